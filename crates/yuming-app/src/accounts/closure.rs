//! Closing an account (账户注销): the holder asks, with its password; staff in finance
//! complete the request once the account holds nothing: no domain, no debt and no balance
//! left to refund. Completing closes the tenant's accounts and revokes their sessions and API
//! keys; the records the law requires to be kept (orders, ledger, audit) stay.

use serde_json::json;
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_store::{ClosureRow, Tx};

use super::{AccountsError, account_row, attempts};
use crate::platform::audit::{self, Change};
use crate::platform::crypto::new_id;
use crate::{App, AppError, RequestContext};

/// Longest reason a customer can give.
pub const MAX_REASON: usize = 500;

/// A closure request as the customer and staff see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosureView {
    /// `clo_…`.
    pub id: String,
    /// The account.
    pub account_id: String,
    /// `requested`, `withdrawn`, `completed` or `refused`.
    pub status: String,
    /// The customer's reason.
    pub reason: Option<String>,
    /// Staff's note on the decision.
    pub decision_note: Option<String>,
    /// When asked.
    pub requested_at: Timestamp,
    /// When decided or withdrawn.
    pub decided_at: Option<Timestamp>,
}

impl ClosureView {
    fn from_row(row: &ClosureRow) -> ClosureView {
        ClosureView {
            id: row.id.clone(),
            account_id: row.account_id.clone(),
            status: row.status.clone(),
            reason: row.reason.clone(),
            decision_note: row.decision_note.clone(),
            requested_at: Timestamp(row.requested_at),
            decided_at: row.decided_at.map(Timestamp),
        }
    }
}

/// What still keeps an account open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    /// Domains are still registered (transfer them out, let them expire or cancel them).
    Domains(i64),
    /// The balance is negative: money is owed.
    Owed(i64),
    /// Money is left on the balance: finance refunds it first.
    Balance(i64),
}

impl Blocker {
    /// In English.
    pub fn message(&self) -> String {
        match self {
            Blocker::Domains(n) => format!("{n} domain(s) still registered"),
            Blocker::Owed(minor) => format!("{} owed", money(*minor)),
            Blocker::Balance(minor) => format!("{} on the balance to refund", money(*minor)),
        }
    }

    /// In Chinese.
    pub fn message_zh(&self) -> String {
        match self {
            Blocker::Domains(n) => format!("仍有 {n} 个域名"),
            Blocker::Owed(minor) => format!("欠费 {}", money(*minor)),
            Blocker::Balance(minor) => format!("余额 {} 待退款", money(*minor)),
        }
    }
}

fn money(minor: i64) -> String {
    let minor = minor.abs();
    format!("¥{}.{:02}", minor / 100, minor % 100)
}

/// What keeps the tenant's account open, read in `tx`.
async fn blockers_in(tx: &mut Tx, tenant_id: &str) -> Result<Vec<Blocker>, AppError> {
    let mut found = Vec::new();
    let domains = tx.live_domain_count(tenant_id).await?;
    if domains > 0 {
        found.push(Blocker::Domains(domains));
    }
    let balance = tx.balance(tenant_id, "CNY").await?.balance;
    if balance < 0 {
        found.push(Blocker::Owed(balance));
    } else if balance > 0 {
        found.push(Blocker::Balance(balance));
    }
    Ok(found)
}

/// What keeps the actor's account open now (empty: staff can complete a request).
pub async fn blockers(app: &App, actor: &Actor) -> Result<Vec<Blocker>, AppError> {
    actor.require(Right::DomainsRead)?;
    let mut tx = app.db().read().await?;
    let found = blockers_in(&mut tx, &actor.tenant_id).await?;
    tx.commit().await?;
    Ok(found)
}

fn require_holder(actor: &Actor) -> Result<(), AppError> {
    actor.require_interactive()?;
    if actor.role.is_staff() || actor.is_sub_account() {
        return Err(AccountsError::NotAParentAccount.into());
    }
    Ok(())
}

/// The account's latest closure request, if any.
pub async fn current(app: &App, actor: &Actor) -> Result<Option<ClosureView>, AppError> {
    let mut tx = app.db().read().await?;
    let row = tx.latest_closure(&actor.account_id).await?;
    tx.commit().await?;
    Ok(row.as_ref().map(ClosureView::from_row))
}

/// The holder of a tenant's main account asks to close it, confirming with its password.
/// The request may be made while the account still holds something; staff complete it only
/// once it holds nothing.
pub async fn request(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    password: &str,
    reason: Option<&str>,
) -> Result<ClosureView, AppError> {
    require_holder(actor)?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > MAX_REASON) {
        return Err(AppError::bad_request(
            "INVALID_REASON",
            "the reason is at most 500 characters",
            "原因最多 500 个字符",
        )
        .with_field("reason"));
    }
    let row = account_row(app, &actor.account_id).await?;
    let attempt = attempts::reserve(app, &row.id, &row.tenant_id).await?;
    if !app.hasher().verify(password, &row.password_hash).await? {
        let wrong = AppError::from(AccountsError::WrongPassword).with_field("password");
        return Err(attempts::failed(app, ctx, attempt, wrong).await);
    }
    let now = app.now().0;
    let closure = ClosureRow {
        id: new_id("clo"),
        account_id: row.id.clone(),
        tenant_id: row.tenant_id.clone(),
        status: "requested".into(),
        reason: reason.map(str::to_owned),
        decision_note: None,
        requested_at: now,
        decided_by: None,
        decided_at: None,
    };
    let mut tx = app.db().write().await?;
    attempts::succeeded(app, &mut tx, attempt).await?;
    if !tx.insert_closure(&closure).await? {
        return Err(AccountsError::ClosurePending.into());
    }
    let blockers = blockers_in(&mut tx, &row.tenant_id).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "account.closure_request",
            object_type: "account_closure",
            object_id: &closure.id,
            tenant: &closure.tenant_id,
            before: serde_json::Value::Null,
            after: json!({ "status": "requested",
                           "blockers": blockers.iter().map(Blocker::message).collect::<Vec<_>>() }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ClosureView::from_row(&closure))
}

/// The holder withdraws its open request.
pub async fn withdraw(app: &App, ctx: &RequestContext, actor: &Actor) -> Result<(), AppError> {
    require_holder(actor)?;
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    let open = tx
        .latest_closure(&actor.account_id)
        .await?
        .filter(|c| c.status == "requested")
        .ok_or(AccountsError::NoOpenClosure)?;
    if !tx
        .decide_closure(&open.id, "withdrawn", &actor.account_id, None, now)
        .await?
    {
        return Err(AccountsError::NoOpenClosure.into());
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "account.closure_withdraw",
            object_type: "account_closure",
            object_id: &open.id,
            tenant: &open.tenant_id,
            before: json!({ "status": "requested" }),
            after: json!({ "status": "withdrawn" }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Open requests, oldest first, with what keeps each account open (finance staff).
pub async fn queue(
    app: &App,
    actor: &Actor,
    limit: i64,
) -> Result<Vec<(ClosureView, Vec<Blocker>)>, AppError> {
    actor.require(Right::BillingManage)?;
    let mut tx = app.db().read().await?;
    let rows = tx.closures_in("requested", limit.clamp(1, 200)).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let blockers = blockers_in(&mut tx, &row.tenant_id).await?;
        out.push((ClosureView::from_row(&row), blockers));
    }
    tx.commit().await?;
    Ok(out)
}

/// Staff decide an open request: `complete` closes the accounts (refused with
/// `ACCOUNT_NOT_EMPTY` while anything keeps them open), `refuse` ends the request with a note.
pub async fn decide(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    closure_id: &str,
    complete: bool,
    note: Option<&str>,
) -> Result<ClosureView, AppError> {
    actor.require(Right::BillingManage)?;
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if !complete && note.is_none() {
        return Err(AppError::bad_request(
            "REASON_REQUIRED",
            "say why the closure is refused",
            "请填写拒绝注销的原因",
        )
        .with_field("note"));
    }
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    let row = tx
        .closure_by_id(closure_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    actor.authorize_decision(&row.tenant_id, Right::BillingManage)?;
    if row.status != "requested" {
        return Err(AccountsError::NoOpenClosure.into());
    }
    let closed = if complete {
        let blockers = blockers_in(&mut tx, &row.tenant_id).await?;
        if !blockers.is_empty() {
            return Err(AccountsError::AccountNotEmpty {
                what: blockers
                    .iter()
                    .map(Blocker::message)
                    .collect::<Vec<_>>()
                    .join("; "),
                what_zh: blockers
                    .iter()
                    .map(Blocker::message_zh)
                    .collect::<Vec<_>>()
                    .join("；"),
            }
            .into());
        }
        tx.close_tenant(&row.tenant_id, now).await?
    } else {
        0
    };
    let to = if complete { "completed" } else { "refused" };
    if !tx
        .decide_closure(&row.id, to, &actor.account_id, note, now)
        .await?
    {
        return Err(AccountsError::NoOpenClosure.into());
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: if complete {
                "account.closure_complete"
            } else {
                "account.closure_refuse"
            },
            object_type: "account_closure",
            object_id: &row.id,
            tenant: &row.tenant_id,
            before: json!({ "status": "requested" }),
            after: json!({ "status": to, "note": note, "accounts_closed": closed }),
        },
    )
    .await?;
    let after = tx
        .closure_by_id(&row.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    tx.commit().await?;
    Ok(ClosureView::from_row(&after))
}
