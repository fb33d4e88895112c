//! Submission to review with its risk limits, the order's state transitions and their notices,
//! abandoning an order, and its history.

use serde_json::{Value, json};
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::filing::{OrderEvent, OrderStatus, Severity, rule};
use yuming_store::{FilingHistoryRow, FilingNoteRow, FilingOrderRow, Tx};

use crate::platform::audit::{self, Change};
use crate::{App, AppError, ErrorKind, RequestContext};

use super::forms::Payload;
use super::orders::{authority_lookup, authorized_order};
use super::sealing::{open_json, order_context, order_summary, order_view};
use super::self_check::{rules_for, run_check};
use super::shape::{concurrent, corrupt, transition_error};
use super::views::{HistoryEntry, NoteView, OrderView};

/// Start of the submission day (midnight Beijing time) and its length.
fn submission_day(now: Timestamp) -> (i64, i64) {
    const DAY: i64 = 86_400;
    const UTC8: i64 = 8 * 3600;
    (now.0 - (now.0 + UTC8).rem_euclid(DAY), DAY)
}

fn limit_error(limit: i64, per: &str, per_zh: &str, resets: Timestamp, now: Timestamp) -> AppError {
    AppError::new(
        ErrorKind::TooManyRequests,
        "SUBMISSION_LIMIT",
        format!(
            "at most {limit} filing submissions per {per} per day; the limit resets at {}",
            resets.to_rfc3339()
        ),
        format!(
            "每个{per_zh}每天最多提交 {limit} 次备案，限制将于 {} 解除",
            resets.to_rfc3339()
        ),
    )
    .with_retry_after(resets.0 - now.0)
}

/// Submits (or resubmits) an order to the provider's review. Refused while the self-check
/// has blocking problems, and beyond the daily limits per account and per source IP
/// (counted in the database, in this transaction: a refused submission does not count).
pub async fn submit(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<OrderView, AppError> {
    let mut tx = app.db().read().await?;
    let row = authorized_order(&mut tx, actor, id, Right::IcpManage).await?;
    tx.commit().await?;
    let view = order_view(app, &row, true)?;
    view.status
        .apply(OrderEvent::Submit)
        .map_err(transition_error)?;
    let lookup = authority_lookup(app, view.operation, &view.payload).await?;

    let mut tx = app.db().write().await?;
    let mut row = authorized_order(&mut tx, actor, id, Right::IcpManage).await?;
    let payload: Payload = open_json(app, &row.payload_sealed, &order_context(&row.id))?;
    let report = run_check(app, &mut tx, &row, &payload, lookup.as_ref()).await?;
    if !report.submittable {
        let codes: Vec<String> = report
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Blocking)
            .map(|p| format!("{} ({})", p.code.as_str(), p.field))
            .collect();
        return Err(AppError::new(
            ErrorKind::Unprocessable,
            "SELF_CHECK_FAILED",
            format!("fix these problems first: {}", codes.join(", ")),
            format!("请先解决以下问题：{}", codes.join("，")),
        ));
    }
    let now = app.now();
    let rules = rules_for(&mut tx, &payload, now).await?;
    let (day_start, day) = submission_day(now);
    let resets = Timestamp(day_start + day);
    if let Some(limit) = rules.int(rule::SUBMIT_PER_ACCOUNT_PER_DAY) {
        let hits = tx
            .hit_rate_counter(
                &format!("filing.submit.account:{}", row.owner_id),
                day_start,
            )
            .await?;
        if hits > limit {
            return Err(limit_error(limit, "account", "账号", resets, now));
        }
    }
    if let (Some(limit), Some(ip)) = (rules.int(rule::SUBMIT_PER_IP_PER_DAY), &ctx.client_ip) {
        let hits = tx
            .hit_rate_counter(&format!("filing.submit.ip:{ip}"), day_start)
            .await?;
        if hits > limit {
            return Err(limit_error(limit, "source IP", "IP", resets, now));
        }
    }
    let from = OrderStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?;
    let to = from.apply(OrderEvent::Submit).map_err(transition_error)?;
    let expected = row.status.clone();
    row.status = to.as_str().to_owned();
    row.submitted_at = Some(now.0);
    row.claimed_by = None;
    // A returned or rejected order goes to the authority again as a new submission.
    row.authority_ticket = None;
    row.updated_at = now.0;
    if !tx
        .update_filing_order(&row, &expected, &actor.account_id, None)
        .await?
    {
        return Err(concurrent());
    }
    status_changed(app, &mut tx, &row, from, to).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.order.submit",
            object_type: "filing_order",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: json!({"status": expected}),
            after: order_summary(&row),
        },
    )
    .await?;
    tx.commit().await?;
    order_view(app, &row, false)
}

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
async fn status_changed(
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

/// Gives up an order (any non-final status); releases the entity's lock.
pub async fn abandon(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<OrderView, AppError> {
    transition(
        app,
        ctx,
        actor,
        id,
        OrderEvent::Abandon,
        Right::IcpManage,
        None,
        |_| Ok(()),
    )
    .await
}

/// An order's status history.
pub async fn history(app: &App, actor: &Actor, id: &str) -> Result<Vec<HistoryEntry>, AppError> {
    let mut tx = app.db().read().await?;
    let row = authorized_order(&mut tx, actor, id, Right::IcpManage).await?;
    let rows = tx.filing_history(&row.id).await?;
    tx.commit().await?;
    Ok(rows.iter().map(history_entry).collect())
}

pub(super) fn history_entry(r: &FilingHistoryRow) -> HistoryEntry {
    HistoryEntry {
        from: r.from_status.clone(),
        to: r.to_status.clone(),
        actor: r.actor.clone(),
        note: r.note.clone(),
        at: Timestamp(r.at),
    }
}

pub(super) fn note_view(r: &FilingNoteRow) -> NoteView {
    NoteView {
        kind: r.kind.clone(),
        author: r.author.clone(),
        from_staff: r.from_staff,
        field: r.field.clone(),
        code: r.code.clone(),
        body: r.body.clone(),
        at: Timestamp(r.at),
    }
}
