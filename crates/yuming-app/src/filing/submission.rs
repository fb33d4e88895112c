//! Submission to review with its risk limits, the order's state transitions and their notices,
//! abandoning an order, and its history.

use serde_json::json;
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::filing::{OrderEvent, OrderStatus, Severity, rule};
use yuming_store::{FilingHistoryRow, FilingNoteRow};

use crate::filing::FilingError;
use crate::platform::audit::{self, Change};
use crate::{App, AppError, RequestContext};

use super::access::authorized_order;
use super::forms::Payload;
use super::orders::authority_lookup;
use super::rules::rules_for;
use super::sealing::{open_json, order_context, order_summary, order_view};
use super::self_check::run_check;
use super::shape::{concurrent, corrupt, transition_error};
use super::transitions::{status_changed, transition};
use super::views::{HistoryEntry, NoteView, OrderView};

/// Start of the submission day (midnight Beijing time) and its length.
fn submission_day(now: Timestamp) -> (i64, i64) {
    const DAY: i64 = 86_400;
    const UTC8: i64 = 8 * 3600;
    (now.0 - (now.0 + UTC8).rem_euclid(DAY), DAY)
}

fn limit_error(limit: i64, per_account: bool, resets: Timestamp, now: Timestamp) -> AppError {
    let error = FilingError::SubmissionLimit {
        limit,
        per_account,
        resets: resets.to_rfc3339(),
    };
    AppError::from(error).with_retry_after(resets.0 - now.0)
}

/// The applicant's one step in the console: an order still in DRAFT first has its type
/// verified with the authority (验证备案类型, which freezes the verified fields), then it is
/// submitted — the two use cases the API offers separately, each in its own transaction.
pub async fn verify_and_submit(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<OrderView, AppError> {
    let order = super::orders::get_order(app, actor, id).await?;
    if order.status == OrderStatus::Draft {
        super::orders::verify_type(app, ctx, actor, id).await?;
    }
    submit(app, ctx, actor, id).await
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
        let problems: Vec<String> = report
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Blocking)
            .map(|p| format!("{} ({})", p.code.as_str(), p.field))
            .collect();
        return Err(FilingError::SelfCheckFailed { problems }.into());
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
            return Err(limit_error(limit, true, resets, now));
        }
    }
    if let (Some(limit), Some(ip)) = (rules.int(rule::SUBMIT_PER_IP_PER_DAY), &ctx.client_ip) {
        let hits = tx
            .hit_rate_counter(&format!("filing.submit.ip:{ip}"), day_start)
            .await?;
        if hits > limit {
            return Err(limit_error(limit, false, resets, now));
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
