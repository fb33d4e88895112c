//! The order state machine applied: one transition in its own transaction or in the caller's,
//! the event recorded in the history, and the notices a status change sends.

use serde_json::Value;
use yuming_core::access::{Actor, Right};
use yuming_core::filing::{OrderEvent, OrderStatus};
use yuming_store::{FilingOrderRow, Tx};

use crate::platform::audit::{self, Change};
use crate::{App, AppError, RequestContext};

use super::access::authorized_order;
use super::forms::Payload;
use super::sealing::{open_json, order_context, order_summary, order_view};
use super::shape::{concurrent, corrupt, transition_error};
use super::views::OrderView;

/// Applies `event` to an order in one transaction: authorisation, the state machine,
/// `mutate` for the event's own changes, the history row, the notice hook and the audit
/// entry.
#[allow(clippy::too_many_arguments)]
pub(super) async fn transition(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    event: OrderEvent,
    right: Right,
    note: Option<&str>,
    mutate: impl FnOnce(&mut FilingOrderRow) -> Result<(), AppError>,
) -> Result<OrderView, AppError> {
    let mut tx = app.db().write().await?;
    let mut row = authorized_order(&mut tx, actor, id, right).await?;
    let row = apply_event(
        app,
        &mut tx,
        &mut row,
        event,
        &actor.account_id,
        note,
        mutate,
    )
    .await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: match event {
                OrderEvent::VerifyType => "filing.order.verify_type",
                OrderEvent::Abandon => "filing.order.abandon",
                OrderEvent::ProviderPass => "filing.order.approve",
                OrderEvent::ProviderReject => "filing.order.reject",
                OrderEvent::SmsVerified | OrderEvent::SmsFailed => "filing.order.sms",
                _ => "filing.order.transition",
            },
            object_type: "filing_order",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: Value::Null,
            after: order_summary(&row),
        },
    )
    .await?;
    tx.commit().await?;
    order_view(app, &row, false)
}

pub(super) async fn apply_event(
    app: &App,
    tx: &mut Tx,
    row: &mut FilingOrderRow,
    event: OrderEvent,
    actor: &str,
    note: Option<&str>,
    mutate: impl FnOnce(&mut FilingOrderRow) -> Result<(), AppError>,
) -> Result<FilingOrderRow, AppError> {
    let from = OrderStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?;
    let to = from.apply(event).map_err(transition_error)?;
    let expected = row.status.clone();
    mutate(row)?;
    row.status = to.as_str().to_owned();
    if to.is_final() {
        // Releases the entity's lock (R-OP-1).
        row.lock_key = None;
    }
    row.updated_at = app.now().0;
    if !tx.update_filing_order(row, &expected, actor, note).await? {
        return Err(concurrent());
    }
    status_changed(app, tx, row, from, to).await?;
    Ok(row.clone())
}

/// Every status change passes here, inside its transaction: the applicant's account is
/// notified (e-mail and in-app, in the account's language) through the notices outbox, so
/// the notice exists exactly when the change commits. The SMS copy goes to the subject
/// principal's mobile from the order's payload.
pub(super) async fn status_changed(
    app: &App,
    tx: &mut Tx,
    row: &FilingOrderRow,
    from: OrderStatus,
    to: OrderStatus,
) -> Result<(), AppError> {
    tracing::debug!(
        order = %row.id,
        from = from.as_str(),
        to = to.as_str(),
        "filing order status changed"
    );
    let mut params = serde_json::Map::new();
    params.insert("filing".into(), Value::String(row.id.clone()));
    params.insert(
        "status".into(),
        Value::String(format!("{} ({})", to.label_zh(), to.as_str())),
    );
    let payload = open_json::<Payload>(app, &row.payload_sealed, &order_context(&row.id));
    // The notice names what the customer filed (the site and its domain, or the subject),
    // not the order id, which they never typed.
    let (target_zh, target_en) = match &payload {
        Ok(Payload {
            site: Some(site), ..
        }) => {
            params.insert("domain".into(), Value::String(site.domain.clone()));
            params.insert("site".into(), Value::String(site.name.clone()));
            (
                format!("网站“{}”（{}）", site.name, site.domain),
                format!("the site “{}” ({})", site.name, site.domain),
            )
        }
        Ok(payload) => {
            params.insert("entity".into(), Value::String(payload.entity.name.clone()));
            (
                format!("主体“{}”", payload.entity.name),
                format!("the subject “{}”", payload.entity.name),
            )
        }
        Err(_) => (
            format!("申请 {}", row.id),
            format!("application {}", row.id),
        ),
    };
    params.insert("target".into(), Value::String(target_zh));
    params.insert("target_en".into(), Value::String(target_en));
    // The applicant is the subject's principal (负责人): the mobile the authority also texts.
    let sms_to = match &payload {
        Ok(payload) => Some(crate::notify::notices::SmsTo::new(
            app.cipher(),
            &payload.entity.principal.mobile,
        )),
        Err(e) => {
            // A notice never blocks the change it reports; e-mail and in-app still go out.
            tracing::warn!(order = %row.id, error = %e, "no applicant mobile for the SMS notice");
            None
        }
    };
    crate::notify::notices::enqueue(
        tx,
        &crate::notify::notices::NoticeRequest {
            account_id: row.owner_id.clone(),
            kind: crate::notify::notices::NoticeKind::IcpStatusChanged,
            // One notice per change: an order may pass the same status more than once.
            occasion: format!(
                "filing:{}:{}:{}:{}",
                row.id,
                from.as_str(),
                to.as_str(),
                row.updated_at
            ),
            params,
            sms_to,
        },
        row.updated_at,
    )
    .await?;
    Ok(())
}
