//! The authority round trip: pushing approved orders, the principal's SMS verification and `sync`,
//! which records numbers and rejections.

use serde_json::{Value, json};
use yuming_core::access::{Actor, Right};
use yuming_core::filing::{self, Operation, OrderEvent, OrderStatus};
use yuming_store::{FilingNoteRow, FilingOrderRow, Tx};

use crate::filing::FilingError;
use crate::platform::audit::{self, Change};
use crate::{App, AppError, RequestContext};

use super::access::authorized_order;
use super::authority::{AuthorityStatus, SmsOutcome, Submission};
use super::certificates;
use super::forms::Payload;
use super::sealing::{
    cert_digest, cert_key, entity_context, open_json, order_context, order_summary, seal_json,
    site_context,
};
use super::shape::{
    authority_error, corrupt, masked, parse_id_type, parse_province, transition_error,
};
use super::transitions::{apply_event, transition};
use super::views::OrderView;
use super::{SYNC_BATCH, principal_indexes};

pub(super) fn system() -> Actor {
    Actor::system()
}

/// Pushes an order waiting in PENDING_SUBMIT_MIIT to the authority.
pub(super) async fn push_to_authority(app: &App, id: &str) -> Result<(), AppError> {
    let mut tx = app.db().read().await?;
    let row = tx.filing_order(id).await?.ok_or_else(AppError::not_found)?;
    let site = match &row.site_id {
        Some(s) => tx.filing_site(s).await?,
        None => None,
    };
    tx.commit().await?;
    if row.status != OrderStatus::PendingSubmitMiit.as_str() || row.authority_ticket.is_some() {
        return Ok(());
    }
    let payload: Payload = open_json(app, &row.payload_sealed, &order_context(&row.id))?;
    let today = app.now().date();
    let cert_type = parse_id_type(&payload.entity.cert_type, "entity.cert_type")?;
    let mut mobiles = vec![payload.entity.principal.mobile.trim().to_owned()];
    if let Some(s) = &payload.site
        && !mobiles.contains(&s.principal.mobile.trim().to_owned())
    {
        mobiles.push(s.principal.mobile.trim().to_owned());
    }
    let submission = Submission {
        order_id: row.id.clone(),
        operation: Operation::parse(&row.operation).ok_or_else(|| corrupt("operation"))?,
        province: parse_province(&payload.entity.province)?,
        cert_key: cert_key(cert_type, &payload.entity.cert_no, today),
        domain: payload.site.as_ref().map(|s| s.domain.clone()),
        site_no: site.and_then(|s| s.site_no),
        mobiles,
    };
    let ticket = app
        .filing_authority()
        .submit(&submission, app.now())
        .await
        .map_err(authority_error)?;
    let mut tx = app.db().write().await?;
    let Some(mut row) = tx.filing_order_for_update(id).await? else {
        return Ok(());
    };
    if row.status != OrderStatus::PendingSubmitMiit.as_str() {
        // Abandoned meanwhile: the authority's ticket will lapse.
        return Ok(());
    }
    let ticket_id = ticket.id.clone();
    apply_event(
        app,
        &mut tx,
        &mut row,
        OrderEvent::PushToAuthority {
            sms: ticket.sms_required,
        },
        "authority",
        None,
        |row| {
            row.authority_ticket = Some(ticket_id);
            Ok(())
        },
    )
    .await?;
    audit::record(
        app,
        &mut tx,
        &RequestContext::internal("filing.sync"),
        &system().account_id,
        Change {
            action: "filing.order.push",
            object_type: "filing_order",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: Value::Null,
            after: order_summary(&row),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Enters the SMS verification code the authority sent to the principals.
pub async fn verify_sms(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    code: &str,
) -> Result<OrderView, AppError> {
    let mut tx = app.db().read().await?;
    let row = authorized_order(&mut tx, actor, id, Right::IcpManage).await?;
    tx.commit().await?;
    let status = OrderStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?;
    let (Some(ticket), OrderStatus::SmsVerify) = (&row.authority_ticket, status) else {
        return Err(transition_error(filing::TransitionError {
            from: status,
            event: OrderEvent::SmsVerified,
        }));
    };
    if code.len() > 16 {
        return Err(FilingError::InvalidCode.into());
    }
    let outcome = app
        .filing_authority()
        .verify_sms(ticket, code, app.now())
        .await
        .map_err(authority_error)?;
    match outcome {
        SmsOutcome::Verified => {
            transition(
                app,
                ctx,
                actor,
                id,
                OrderEvent::SmsVerified,
                Right::IcpManage,
                None,
                |_| Ok(()),
            )
            .await
        }
        SmsOutcome::Wrong { remaining } => Err(FilingError::SmsCodeWrong { remaining }.into()),
        SmsOutcome::Returned => {
            transition(
                app,
                ctx,
                actor,
                id,
                OrderEvent::SmsFailed,
                Right::IcpManage,
                Some("sms verification failed"),
                |_| Ok(()),
            )
            .await?;
            Err(FilingError::SmsReturned.into())
        }
    }
}

/// What one `sync` run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Orders looked at.
    pub checked: usize,
    /// Orders whose status changed.
    pub changed: usize,
    /// Orders the authority could not be asked about (retried next run).
    pub failed: usize,
}

/// Brings every order at the authority up to date: pushes orders still waiting to be
/// pushed, returns expired SMS verifications, records bureau decisions and issues numbers.
/// The scheduler calls it at least every 30 minutes (`yuming jobs run-once` too).
pub async fn sync(app: &App) -> Result<SyncReport, AppError> {
    let mut tx = app.db().read().await?;
    let rows = tx
        .filing_orders_in_status(
            &[
                OrderStatus::PendingSubmitMiit.as_str(),
                OrderStatus::SmsVerify.as_str(),
                OrderStatus::BureauReview.as_str(),
            ],
            SYNC_BATCH,
        )
        .await?;
    tx.commit().await?;
    let mut report = SyncReport::default();
    for row in rows {
        report.checked += 1;
        match sync_one(app, &row).await {
            Ok(true) => report.changed += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(order = %row.id, error = %e, "filing sync failed");
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

async fn sync_one(app: &App, row: &FilingOrderRow) -> Result<bool, AppError> {
    let Some(ticket) = &row.authority_ticket else {
        push_to_authority(app, &row.id).await?;
        return Ok(true);
    };
    let status = app
        .filing_authority()
        .status(ticket, app.now())
        .await
        .map_err(authority_error)?;
    let current = OrderStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?;
    let event = match (&status, current) {
        (AuthorityStatus::Returned, OrderStatus::SmsVerify) => OrderEvent::SmsFailed,
        (
            AuthorityStatus::InReview
            | AuthorityStatus::Approved { .. }
            | AuthorityStatus::Rejected { .. },
            OrderStatus::SmsVerify,
        ) => OrderEvent::SmsVerified,
        (AuthorityStatus::Approved { .. }, OrderStatus::BureauReview) => OrderEvent::BureauApprove,
        (AuthorityStatus::Rejected { .. }, OrderStatus::BureauReview) => OrderEvent::BureauReject,
        _ => return Ok(false),
    };
    let mut tx = app.db().write().await?;
    let Some(mut row) = tx.filing_order_for_update(&row.id).await? else {
        return Ok(false);
    };
    if row.status != current.as_str() {
        return Ok(false);
    }
    let note = match &status {
        AuthorityStatus::Rejected { codes } => Some(codes.join(",")),
        _ => None,
    };
    let row = apply_event(
        app,
        &mut tx,
        &mut row,
        event,
        "authority",
        note.as_deref(),
        |row| {
            if event == OrderEvent::BureauReject {
                // The bureau names no fields: everything but the frozen fields reopens.
                row.rejected_fields = r#"["entity","site"]"#.into();
            }
            Ok(())
        },
    )
    .await?;
    if let (
        OrderEvent::BureauApprove,
        AuthorityStatus::Approved {
            subject_no,
            site_no,
        },
    ) = (event, &status)
    {
        record_approval(app, &mut tx, &row, subject_no, site_no.as_deref()).await?;
    }
    if let (OrderEvent::BureauReject, AuthorityStatus::Rejected { codes }) = (event, &status) {
        for code in codes {
            tx.insert_filing_note(&FilingNoteRow {
                seq: 0,
                order_id: row.id.clone(),
                kind: "rejection".into(),
                author: "authority".into(),
                from_staff: true,
                field: None,
                code: Some(code.clone()),
                body: "管局驳回".into(),
                at: app.now().0,
            })
            .await?;
        }
    }
    audit::record(
        app,
        &mut tx,
        &RequestContext::internal("filing.sync"),
        &system().account_id,
        Change {
            action: "filing.order.sync",
            object_type: "filing_order",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: json!({"status": current.as_str()}),
            after: order_summary(&row),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Copies an approved order onto the entity and site rows with the issued numbers.
async fn record_approval(
    app: &App,
    tx: &mut Tx,
    order: &FilingOrderRow,
    subject_no: &str,
    site_no: Option<&str>,
) -> Result<(), AppError> {
    let payload: Payload = open_json(app, &order.payload_sealed, &order_context(&order.id))?;
    let operation = Operation::parse(&order.operation).ok_or_else(|| corrupt("operation"))?;
    let now = app.now();
    let today = now.date();
    let mut entity = tx
        .filing_entity(&order.entity_id)
        .await?
        .ok_or_else(|| corrupt("entity"))?;
    let cert_type = parse_id_type(&payload.entity.cert_type, "entity.cert_type")?;
    entity.name = payload.entity.name.trim().to_owned();
    (entity.principal_mobile_index, entity.principal_email_index) =
        principal_indexes(app, &payload.entity.principal);
    entity.cert_masked = masked(cert_type, &payload.entity.cert_no, today);
    entity.cert_digest = cert_digest(app, cert_type, &payload.entity.cert_no, today);
    entity.cert_type = cert_type.as_str().to_owned();
    entity.entity_type = payload.entity.entity_type.clone();
    entity.province = i64::from(parse_province(&payload.entity.province)?);
    entity.data_sealed = seal_json(app, &payload.entity, &entity_context(&entity.id))?;
    entity.subject_no = Some(subject_no.to_owned());
    entity.status = if operation == Operation::CancelSubject {
        "cancelled".into()
    } else {
        "filed".into()
    };
    entity.updated_at = now.0;
    tx.update_filing_entity(&entity).await?;
    if operation == Operation::CancelSubject {
        for mut site in tx.filing_sites_of_entity(&entity.id).await? {
            site.status = "cancelled".into();
            site.updated_at = now.0;
            tx.update_filing_site(&site).await?;
        }
    }
    if let (Some(site_id), Some(site_input)) = (&order.site_id, &payload.site) {
        let mut site = tx
            .filing_site(site_id)
            .await?
            .ok_or_else(|| corrupt("site"))?;
        site.domain = site_input.domain.clone();
        (site.principal_mobile_index, site.principal_email_index) =
            principal_indexes(app, &site_input.principal);
        site.data_sealed = seal_json(app, site_input, &site_context(&site.id))?;
        if let Some(no) = site_no {
            site.site_no = Some(no.to_owned());
        }
        site.status = if matches!(operation, Operation::CancelSite | Operation::CancelAccess) {
            "cancelled".into()
        } else {
            "filed".into()
        };
        site.updated_at = now.0;
        tx.update_filing_site(&site).await?;
        // A filed site gets its signed certificate in the same transaction.
        if site.status == "filed" {
            certificates::issue(app, tx, &site, &entity).await?;
        }
    }
    Ok(())
}
