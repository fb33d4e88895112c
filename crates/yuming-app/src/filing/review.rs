//! The reviewer queue: claim, the review view, approve, reject with per-field reasons, and notes.

use serde_json::{Value, json};
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::filing::{self, OrderEvent, OrderStatus};
use yuming_store::{FilingNoteRow, FilingOrderRow};

use crate::filing::FilingError;
use crate::platform::audit::{self, Change};
use crate::{App, AppError, RequestContext};

use super::access::authorized_order;
use super::materials;
use super::orders::authority_lookup;
use super::sealing::order_view;
use super::self_check::run_check;
use super::shape::{bounded, concurrent, corrupt, transition_error};
use super::submission::{history_entry, note_view};
use super::sync::push_to_authority;
use super::transitions::transition;
use super::views::{EarlierOrder, NoteView, OrderView, ReviewView};

/// How many of the entity's other orders a reviewer sees beside the one they review.
const EARLIER_SHOWN: i64 = 10;

/// Orders waiting for the provider's review, oldest first.
pub async fn review_queue(app: &App, actor: &Actor) -> Result<Vec<OrderView>, AppError> {
    actor.require(Right::ReviewQueue)?;
    let mut tx = app.db().read().await?;
    let rows = tx
        .filing_orders_in_status(&[OrderStatus::ProviderReview.as_str()], 200)
        .await?;
    tx.commit().await?;
    rows.iter().map(|r| order_view(app, r, false)).collect()
}

/// Claims an order for review (or confirms the actor's claim).
pub async fn claim(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<OrderView, AppError> {
    // Staff-only: a customer is refused whatever the id (403, not 404).
    actor.require(Right::ReviewQueue)?;
    let mut tx = app.db().write().await?;
    let mut row = authorized_order(&mut tx, actor, id, Right::ReviewQueue).await?;
    if row.status != OrderStatus::ProviderReview.as_str() {
        return Err(transition_error(filing::TransitionError {
            from: OrderStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
            event: OrderEvent::ProviderPass,
        }));
    }
    match &row.claimed_by {
        Some(other) if *other != actor.account_id => return Err(claimed_by_other()),
        _ => {}
    }
    let held = row.claimed_by.clone();
    row.claimed_by = Some(actor.account_id.clone());
    row.updated_at = app.now().0;
    if !tx
        .set_filing_claim(
            &row.id,
            held.as_deref(),
            Some(&actor.account_id),
            row.updated_at,
        )
        .await?
    {
        // Another reviewer claimed it between our read and our write.
        return Err(claimed_by_other());
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.order.claim",
            object_type: "filing_order",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: Value::Null,
            after: json!({"claimed_by": actor.account_id}),
        },
    )
    .await?;
    tx.commit().await?;
    order_view(app, &row, false)
}

/// Gives a claimed order back to the queue: its reviewer's own claim, or (administrators)
/// anyone's, e.g. a colleague's who is away.
pub async fn release(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<OrderView, AppError> {
    actor.require(Right::ReviewQueue)?;
    let mut tx = app.db().write().await?;
    let mut row = authorized_order(&mut tx, actor, id, Right::ReviewQueue).await?;
    let holder = row.claimed_by.clone().ok_or(FilingError::NotClaimed)?;
    if holder != actor.account_id && !actor.rights.contains(Right::PlatformAdmin) {
        return Err(claimed_by_other());
    }
    row.claimed_by = None;
    row.updated_at = app.now().0;
    if !tx
        .set_filing_claim(&row.id, Some(&holder), None, row.updated_at)
        .await?
    {
        return Err(concurrent());
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.order.release",
            object_type: "filing_order",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: json!({"claimed_by": holder}),
            after: json!({"claimed_by": null}),
        },
    )
    .await?;
    tx.commit().await?;
    order_view(app, &row, false)
}

fn claimed_by_other() -> AppError {
    AppError::from(FilingError::ClaimedByOther)
}

fn require_claim(row: &FilingOrderRow, actor: &Actor) -> Result<(), AppError> {
    match &row.claimed_by {
        Some(by) if *by == actor.account_id => Ok(()),
        Some(_) => Err(claimed_by_other()),
        None => Err(FilingError::NotClaimed.into()),
    }
}

/// The reviewer's full view (plain numbers: audited as `filing.order.reveal`).
pub async fn review_view(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<ReviewView, AppError> {
    // Staff-only: a customer is refused whatever the id (403, not 404).
    actor.require(Right::ReviewQueue)?;
    let mut tx = app.db().read().await?;
    let row = authorized_order(&mut tx, actor, id, Right::ReviewQueue).await?;
    tx.commit().await?;
    let order = order_view(app, &row, true)?;
    let lookup = authority_lookup(app, order.operation, &order.payload).await?;
    let mut tx = app.db().write().await?;
    let check = run_check(app, &mut tx, &row, &order.payload, lookup.as_ref()).await?;
    let materials = tx
        .filing_materials(&row.id)
        .await?
        .iter()
        .map(materials::view_of)
        .collect();
    let history = tx
        .filing_history(&row.id)
        .await?
        .iter()
        .map(history_entry)
        .collect();
    let notes = tx
        .filing_notes(&row.id)
        .await?
        .iter()
        .map(note_view)
        .collect();
    let mut earlier = Vec::new();
    for other in tx
        .filing_orders_of_entity(&row.entity_id, EARLIER_SHOWN + 1)
        .await?
        .into_iter()
        .filter(|other| other.id != row.id)
        .take(EARLIER_SHOWN as usize)
    {
        let decisions = tx
            .filing_notes(&other.id)
            .await?
            .iter()
            .filter(|n| n.from_staff)
            .map(note_view)
            .collect();
        earlier.push(EarlierOrder {
            id: other.id,
            operation: other.operation,
            status: other.status,
            updated_at: Timestamp(other.updated_at),
            decisions,
        });
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.order.reveal",
            object_type: "filing_order",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: Value::Null,
            after: Value::Null,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ReviewView {
        order,
        check,
        materials,
        history,
        notes,
        earlier,
    })
}

/// The provider's reviewer passes the order; it is pushed to the authority right away (and
/// by `sync` if the authority does not answer now).
pub async fn approve(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<OrderView, AppError> {
    approve_seen(app, ctx, actor, id, None).await
}

/// Refuses a decision on an order changed since the reviewer opened it at `seen`.
fn unchanged_since(row: &FilingOrderRow, seen: Option<Timestamp>) -> Result<(), AppError> {
    match seen {
        Some(seen) if row.updated_at != seen.0 => Err(AppError::changed_since_opened()),
        _ => Ok(()),
    }
}

/// [`approve`] by a reviewer who opened the order when it was last changed at `seen`: an
/// order changed since is refused with `CHANGED_SINCE_OPENED`.
pub async fn approve_seen(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    seen: Option<Timestamp>,
) -> Result<OrderView, AppError> {
    // Staff-only: a customer is refused whatever the id (403, not 404).
    actor.require(Right::ReviewQueue)?;
    let mut tx = app.db().read().await?;
    let row = authorized_order(&mut tx, actor, id, Right::ReviewQueue).await?;
    tx.commit().await?;
    require_claim(&row, actor)?;
    transition(
        app,
        ctx,
        actor,
        id,
        OrderEvent::ProviderPass,
        Right::ReviewQueue,
        None,
        |row| unchanged_since(row, seen),
    )
    .await?;
    if let Err(e) = push_to_authority(app, id).await {
        tracing::warn!(order = %id, error = %e, "push to the authority failed; sync retries");
    }
    let mut tx = app.db().read().await?;
    let row = authorized_order(&mut tx, actor, id, Right::ReviewQueue).await?;
    tx.commit().await?;
    order_view(app, &row, false)
}

/// One rejected field with its §1.8 code and the reviewer's comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRejection {
    /// Dotted field path (`site.name`, or `entity` for the whole entity).
    pub field: String,
    /// §1.8 code.
    pub code: String,
    /// Comment for the applicant.
    pub comment: String,
}

/// The provider's reviewer rejects: the listed fields (only those) reopen for editing.
pub async fn reject(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    rejections: &[FieldRejection],
) -> Result<OrderView, AppError> {
    reject_seen(app, ctx, actor, id, rejections, None).await
}

/// [`reject`] by a reviewer who opened the order when it was last changed at `seen`.
pub async fn reject_seen(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    rejections: &[FieldRejection],
    seen: Option<Timestamp>,
) -> Result<OrderView, AppError> {
    // Staff-only: a customer is refused whatever the id (403, not 404).
    actor.require(Right::ReviewQueue)?;
    if rejections.is_empty() || rejections.len() > 50 {
        return Err(FilingError::RejectionCount.into());
    }
    for (i, r) in rejections.iter().enumerate() {
        if filing::RejectCode::parse(&r.code).is_none() {
            return Err(FilingError::InvalidRejectCode { index: i }.into());
        }
        bounded(&r.field, &format!("rejections[{i}].field"), 100)?;
        bounded(&r.comment, &format!("rejections[{i}].comment"), 1000)?;
    }
    let mut tx = app.db().read().await?;
    let row = authorized_order(&mut tx, actor, id, Right::ReviewQueue).await?;
    tx.commit().await?;
    require_claim(&row, actor)?;
    let fields: Vec<String> = rejections
        .iter()
        .map(|r| r.field.trim().to_owned())
        .collect();
    let fields_json =
        serde_json::to_string(&fields).map_err(|e| AppError::internal(e.to_string()))?;
    let codes: Vec<&str> = rejections.iter().map(|r| r.code.as_str()).collect();
    let note = codes.join(",");
    let view = transition(
        app,
        ctx,
        actor,
        id,
        OrderEvent::ProviderReject,
        Right::ReviewQueue,
        Some(&note),
        |row| {
            unchanged_since(row, seen)?;
            row.rejected_fields = fields_json;
            Ok(())
        },
    )
    .await?;
    let mut tx = app.db().write().await?;
    for r in rejections {
        tx.insert_filing_note(&FilingNoteRow {
            seq: 0,
            order_id: id.to_owned(),
            kind: "rejection".into(),
            author: actor.account_id.clone(),
            from_staff: true,
            field: Some(r.field.trim().to_owned()),
            code: Some(r.code.clone()),
            body: r.comment.trim().to_owned(),
            at: app.now().0,
        })
        .await?;
    }
    tx.commit().await?;
    Ok(view)
}

/// Adds a call-log entry (staff) or a message (staff or the applicant) to an order.
pub async fn add_note(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    kind: &str,
    body: &str,
) -> Result<NoteView, AppError> {
    let staff = actor.role.is_staff();
    let right = if staff {
        Right::ReviewQueue
    } else {
        Right::IcpManage
    };
    let mut tx = app.db().write().await?;
    let row = authorized_order(&mut tx, actor, id, right).await?;
    match kind {
        "message" => {}
        "call" if staff => {}
        _ => {
            return Err(FilingError::InvalidNoteKind.into());
        }
    }
    bounded(body, "body", 4000)?;
    let note = FilingNoteRow {
        seq: 0,
        order_id: row.id.clone(),
        kind: kind.to_owned(),
        author: actor.account_id.clone(),
        from_staff: staff,
        field: None,
        code: None,
        body: body.trim().to_owned(),
        at: app.now().0,
    };
    tx.insert_filing_note(&note).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.order.note",
            object_type: "filing_order",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: Value::Null,
            after: json!({"kind": kind}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(note_view(&note))
}

/// An order's notes (the applicant's view and the reviewer's).
pub async fn notes(app: &App, actor: &Actor, id: &str) -> Result<Vec<NoteView>, AppError> {
    let right = if actor.role.is_staff() {
        Right::ReviewQueue
    } else {
        Right::IcpManage
    };
    let mut tx = app.db().read().await?;
    let row = authorized_order(&mut tx, actor, id, right).await?;
    let rows = tx.filing_notes(&row.id).await?;
    tx.commit().await?;
    Ok(rows.iter().map(note_view).collect())
}
