//! Four eyes on large manual credits and debits: a finance person asks, another approves (the
//! money is booked in the approving transaction) or rejects with a reason. Nobody decides their own
//! request, and a request is decided once, whatever races.

use serde_json::json;
use yuming_core::access::{Actor, AuthMethod, Right};
use yuming_core::clock::Timestamp;
use yuming_core::money::{Currency, HolderId, Money};
use yuming_store::CreditRequestRow;

use super::{BillingError, book_manual, check_credit};
use crate::platform::audit::{self, Change};
use crate::platform::crypto::new_id;
use crate::{App, AppError, RequestContext};

/// Which way a manual booking moves money.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// To the customer's balance (money received outside the platform, goodwill).
    Credit,
    /// Taken back from it (a correction).
    Debit,
}

impl Direction {
    /// The stable name (`credit`, `debit`).
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Credit => "credit",
            Direction::Debit => "debit",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Direction> {
        match s {
            "credit" => Some(Direction::Credit),
            "debit" => Some(Direction::Debit),
            _ => None,
        }
    }
}

/// A credit request as the entry points show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreditRequestView {
    /// `crq_…`.
    pub id: String,
    /// The customer (tenant) to credit.
    pub tenant_id: String,
    /// How much.
    pub amount: Money,
    /// Why.
    pub note: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// Who asked.
    pub requested_by: String,
    /// When.
    pub requested_at: Timestamp,
    /// Who decided.
    pub decided_by: Option<String>,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// The order an approval made.
    pub order_id: Option<String>,
    /// Which way the money moves.
    pub direction: Direction,
}

fn view_of(row: CreditRequestRow) -> Result<CreditRequestView, AppError> {
    let currency = Currency::parse(&row.currency)
        .map_err(|_| AppError::internal(format!("credit request {} currency", row.id)))?;
    let direction = Direction::parse(&row.direction)
        .ok_or_else(|| AppError::internal(format!("credit request {} direction", row.id)))?;
    Ok(CreditRequestView {
        direction,
        amount: Money::new(row.amount, currency),
        id: row.id,
        tenant_id: row.tenant_id,
        note: row.note,
        status: row.status,
        requested_by: row.requested_by,
        requested_at: Timestamp(row.requested_at),
        decided_by: row.decided_by,
        reason: row.reason,
        order_id: row.order_id,
    })
}

/// Whether `actor` crediting `amount` needs a second person: a person (a login session or an
/// API key, not the operator on the server) above the configured amount.
pub fn needs_second_approval(app: &App, actor: &Actor, amount: Money) -> bool {
    let person = matches!(
        actor.method,
        AuthMethod::Session { .. } | AuthMethod::ApiKey { .. }
    );
    person && amount.minor() > app.settings().credit_second_approval_above
}

/// Asks for a credit or debit that a second finance person approves (finance staff). The
/// customer must exist and be a main account; nothing is booked yet (a debit's balance is
/// checked when it is approved).
pub async fn request(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    tenant_id: &str,
    amount: Money,
    note: &str,
    direction: Direction,
) -> Result<CreditRequestView, AppError> {
    actor.require(Right::BillingManage)?;
    let note = check_credit(amount, note)?;
    HolderId::parse(tenant_id).map_err(|_| AppError::not_found())?;
    let mut tx = app.db().write().await?;
    let account = tx
        .account_by_id(tenant_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if account.tenant_id != account.id {
        return Err(BillingError::CreditToSubAccount.into());
    }
    let row = CreditRequestRow {
        id: new_id("crq"),
        tenant_id: tenant_id.to_owned(),
        amount: amount.minor(),
        currency: amount.currency().code().to_owned(),
        note: note.to_owned(),
        status: "pending".into(),
        requested_by: actor.account_id.clone(),
        requested_at: app.now().0,
        decided_by: None,
        decided_at: None,
        reason: None,
        order_id: None,
        direction: direction.as_str().to_owned(),
    };
    tx.insert_credit_request(&row).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "credit_request.create",
            object_type: "credit_request",
            object_id: &row.id,
            tenant: tenant_id,
            before: serde_json::Value::Null,
            after: json!({ "amount": row.amount, "currency": row.currency, "note": row.note, "direction": row.direction }),
        },
    )
    .await?;
    tx.commit().await?;
    view_of(row)
}

/// Pending requests, oldest first (finance staff).
pub async fn pending(app: &App, actor: &Actor) -> Result<Vec<CreditRequestView>, AppError> {
    actor.require(Right::BillingManage)?;
    let mut tx = app.db().read().await?;
    let rows = tx.credit_requests_in_status("pending", 200).await?;
    tx.commit().await?;
    rows.into_iter().map(view_of).collect()
}

/// A second finance person approves (the credit is booked in the same transaction) or rejects
/// with a reason. The requester cannot decide; a decided request stays as it is.
pub async fn decide(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    approve: bool,
    reason: Option<&str>,
) -> Result<CreditRequestView, AppError> {
    actor.require(Right::BillingManage)?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if !approve && reason.is_none_or(|r| r.chars().count() > 200 || r.chars().any(char::is_control))
    {
        return Err(BillingError::ReasonRequired.into());
    }
    let mut tx = app.db().write().await?;
    let row = tx
        .credit_request(id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if row.requested_by == actor.account_id {
        return Err(BillingError::OwnCreditRequest.into());
    }
    if row.status != "pending" {
        return Err(BillingError::CreditRequestDecided.into());
    }
    let now = app.now().0;
    let (status, order_id) = if approve {
        let currency = Currency::parse(&row.currency)
            .map_err(|_| AppError::internal(format!("credit request {} currency", row.id)))?;
        let amount = Money::new(row.amount, currency);
        let direction = Direction::parse(&row.direction)
            .ok_or_else(|| AppError::internal(format!("credit request {} direction", row.id)))?;
        let (_, order) = book_manual(
            app,
            ctx,
            &mut tx,
            &actor.account_id,
            &row.tenant_id,
            amount,
            &row.note,
            direction,
        )
        .await?;
        ("approved", Some(order))
    } else {
        ("rejected", None)
    };
    let decided = tx
        .decide_credit_request(
            id,
            status,
            &actor.account_id,
            reason,
            order_id.as_deref(),
            now,
        )
        .await?;
    if !decided {
        // Another person decided between our read and our write: nothing of ours is kept.
        return Err(BillingError::CreditRequestDecided.into());
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "credit_request.decide",
            object_type: "credit_request",
            object_id: id,
            tenant: &row.tenant_id,
            before: json!({ "status": "pending" }),
            after: json!({ "status": status, "reason": reason, "order_id": order_id }),
        },
    )
    .await?;
    let after = tx
        .credit_request(id)
        .await?
        .ok_or_else(|| AppError::internal(format!("credit request {id} vanished")))?;
    tx.commit().await?;
    view_of(after)
}
