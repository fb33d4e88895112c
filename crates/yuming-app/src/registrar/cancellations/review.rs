//! Staff review of cancellations: the queue, the submitted documents, the decision, and the
//! deletion of each name.

use serde_json::json;
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::lifecycle::{self};
use yuming_store::{CancellationDomainRow, CancellationRow, Tx};

use super::{CancellationView, MONITOR_DAYS, clear_dns, document_context, refund_due, view_of};
use crate::billing::BalanceOrder;
use crate::notify::flow_notices::notify;
use crate::registrar::RegistrarError;
use crate::registrar::catalogue as stored_catalogue;
use crate::registrar::domains::{self, lifecycle_error, record_change};
use crate::{App, AppError, ErrorKind, RequestContext};

/// Submitted requests, oldest first (reviewers).
pub async fn review_queue(
    app: &App,
    actor: &Actor,
    limit: i64,
) -> Result<Vec<CancellationView>, AppError> {
    actor.require(Right::ReviewQueue)?;
    let mut tx = app.db().read().await?;
    let ids = tx.cancellation_queue(limit).await?;
    let mut views = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some((row, domains)) = tx.cancellation_by_id(&id).await? {
            views.push(view_of(app, &mut tx, &row, &domains).await?);
        }
    }
    tx.commit().await?;
    Ok(views)
}

/// The uploaded document of a request (reviewers; audited): file name and bytes.
pub async fn document(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<(String, Vec<u8>), AppError> {
    actor.require(Right::ReviewQueue)?;
    let mut tx = app.db().write().await?;
    let (row, _) = tx
        .cancellation_by_id(id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let (Some(sealed), Some(name)) = (&row.document_sealed, &row.document_name) else {
        return Err(AppError::not_found());
    };
    let bytes = app
        .cipher()
        .open(sealed, &document_context(&row.id))
        .map_err(|e| AppError::internal(format!("document: {e}")))?;
    crate::platform::audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        crate::platform::audit::Change {
            action: "cancellation.document_view",
            object_type: "cancellation",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: serde_json::Value::Null,
            after: json!({ "document": name }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((name.clone(), bytes))
}

/// A reviewer's decision. Rejection needs a reason and changes no domain. Approval deletes
/// each domain in its own transaction (a domain that can no longer be deleted keeps its
/// error code as its result and is not charged or refunded).
pub async fn decide(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    decision: &str,
    reason: Option<&str>,
) -> Result<CancellationView, AppError> {
    actor.require(Right::ReviewQueue)?;
    let decision = yuming_core::contact::ReviewDecision::parse(decision)
        .ok_or(yuming_core::contact::ContactError::UnknownDecision)?;
    let reason = yuming_core::contact::parse_review_reason(reason, decision)?;
    let approve = decision == yuming_core::contact::ReviewDecision::Approve;
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    let (row, domain_rows) = {
        let mut tx = app.db().read().await?;
        let found = tx
            .cancellation_by_id(id)
            .await?
            .ok_or_else(AppError::not_found)?;
        tx.commit().await?;
        found
    };
    if row.status != "submitted" {
        return Err(RegistrarError::NotSubmitted.into());
    }
    if approve {
        for d in &domain_rows {
            let mut tx = app.db().write().await?;
            let outcome = delete_one(app, &mut tx, ctx, actor, &catalogue, &row, d, now).await;
            match outcome {
                Ok(updated) => {
                    tx.update_cancellation_domain(&updated).await?;
                    tx.commit().await?;
                }
                Err(error) if error.kind != ErrorKind::Internal => {
                    drop(tx);
                    let mut tx = app.db().write().await?;
                    let mut kept = d.clone();
                    kept.result = Some(error.code.to_owned());
                    tx.update_cancellation_domain(&kept).await?;
                    tx.commit().await?;
                }
                Err(error) => return Err(error),
            }
        }
    }
    let mut tx = app.db().write().await?;
    let (mut row, domain_rows) = tx
        .cancellation_by_id(id)
        .await?
        .ok_or_else(AppError::not_found)?;
    row.status = if approve { "approved" } else { "rejected" }.into();
    row.reason = reason.clone();
    row.decided_at = Some(now.0);
    row.decided_by = Some(actor.account_id.clone());
    row.updated_at = now.0;
    tx.update_cancellation(&row).await?;
    let detail = json!({ "cancellation_id": row.id, "status": row.status, "reason": reason,
        "domains": domain_rows.iter().map(|d| d.domain_name.clone()).collect::<Vec<_>>(),
        "results": domain_rows.iter().map(|d| json!({ "domain": d.domain_name, "result": d.result })).collect::<Vec<_>>() });
    notify(&mut tx, &row.owner_id, "cancellation.decided", &detail, now).await?;
    crate::platform::audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        crate::platform::audit::Change {
            action: "cancellation.decide",
            object_type: "cancellation",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: json!({ "status": "submitted" }),
            after: detail,
        },
    )
    .await?;
    let view = view_of(app, &mut tx, &row, &domain_rows).await?;
    tx.commit().await?;
    Ok(view)
}

#[expect(clippy::too_many_arguments, reason = "one call site, all named")]
async fn delete_one(
    app: &App,
    tx: &mut Tx,
    ctx: &RequestContext,
    actor: &Actor,
    catalogue: &yuming_core::catalogue::Catalogue,
    request: &CancellationRow,
    d: &CancellationDomainRow,
    now: Timestamp,
) -> Result<CancellationDomainRow, AppError> {
    let mut row = tx
        .domain_by_name_for_update(&d.domain_name)
        .await?
        .filter(|r| r.id == d.domain_id && r.owner_id == request.owner_id)
        .ok_or_else(AppError::not_found)?;
    let tld = catalogue
        .tld(&row.tld)
        .ok_or_else(|| AppError::internal(format!("TLD {} left the catalogue", row.tld)))?;
    let record = domains::record_of(&row)?;
    let decision = lifecycle::can_delete(&record, &tld.periods, now).map_err(lifecycle_error)?;
    let refund = refund_due(app, tx, &row, &decision).await?;
    let deleted = lifecycle::delete(&record, &tld.periods, now).map_err(lifecycle_error)?;
    let before = json!({ "expires_at": row.expires_at, "nameservers": row.nameservers });
    domains::apply_record(&mut row, &deleted);
    clear_dns(app, tx, &mut row).await?;
    row.updated_at = now.0;
    app.registry(&tld.registry)?.delete(tx, &row).await?;
    let mut refund_order = None;
    if let Some(amount) = refund.filter(|m| m.minor() > 0) {
        let order_id = crate::billing::refund_order(
            tx,
            BalanceOrder {
                owner_id: &row.owner_id,
                actor_id: &actor.account_id,
                kind: "refund",
                domain_name: &row.name,
                years: None,
                amount,
                memo: format!("cancellation of {}", row.name),
                detail: json!({
                    "cancellation_id": request.id,
                    "fee": app.settings().cancellation_fee_minor,
                }),
            },
            now,
        )
        .await?;
        refund_order = Some(order_id);
    }
    let monitor_until = now.plus_days(MONITOR_DAYS);
    record_change(
        app,
        tx,
        ctx,
        actor,
        &row,
        "domain.cancel",
        refund_order.as_deref(),
        before,
        json!({ "cancellation_id": request.id, "refund_order": refund_order, "monitor_until": monitor_until.0 }),
        now,
    )
    .await?;
    app.availability().note(domains::held_change(&row));
    let mut updated = d.clone();
    updated.result = Some("deleted".into());
    updated.refund_order_id = refund_order;
    updated.monitor_until = Some(monitor_until.0);
    Ok(updated)
}
