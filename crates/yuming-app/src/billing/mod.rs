//! Balances, top-ups, the customer's ledger and order history; payments through gateways
//! ([`payments`], [`gateways`]).

pub mod bank;
pub mod credit_requests;
pub mod gateways;
pub mod invoices;
pub mod payments;
pub mod report;
pub mod services;

use serde_json::{Map, Value, json};
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::money::{self, Currency, HolderId, Money};
use yuming_store::{LedgerEntryRow, OrderRow, Tx};

use crate::platform::audit::{self, Change};
use crate::platform::crypto::new_id;
use crate::platform::paging::{Page, PageCursor, next_cursor};
use crate::{App, AppError, RequestContext};
use credit_requests::Direction;

/// The largest single top-up: 10 million yuan.
pub const MAX_TOP_UP_MINOR: i64 = 1_000_000_000;

/// The CNY balance (fen) under which an account gets the low-balance notice, unless it chose
/// another threshold: 50 CNY.
pub const DEFAULT_LOW_BALANCE_THRESHOLD: i64 = 5_000;

/// The highest threshold an account may choose: 1 million yuan.
pub const MAX_LOW_BALANCE_THRESHOLD: i64 = 100_000_000;

/// Sends the low-balance notice when `balance` (after a debit) is under the account's
/// threshold, once per episode: an episode ends with the next top-up. Called in the
/// transaction of every debit ([`charge`]).
pub async fn low_balance_notice(
    tx: &mut Tx,
    holder: &str,
    balance: Money,
    now: Timestamp,
) -> Result<usize, AppError> {
    if balance.currency() != Currency::Cny {
        return Ok(0);
    }
    let threshold = tx
        .low_balance_threshold(holder)
        .await?
        .unwrap_or(DEFAULT_LOW_BALANCE_THRESHOLD);
    if balance.minor() >= threshold {
        return Ok(0);
    }
    let episode = tx.topup_count(holder).await?;
    let mut params = Map::new();
    params.insert("balance".into(), Value::String(balance.to_string()));
    params.insert(
        "threshold".into(),
        Value::String(Money::new(threshold, Currency::Cny).to_string()),
    );
    crate::notify::notices::enqueue(
        tx,
        &crate::notify::notices::NoticeRequest {
            account_id: holder.to_owned(),
            kind: crate::notify::notices::NoticeKind::LowBalance,
            occasion: format!("low_balance:CNY:{episode}"),
            params,
            sms_to: None,
        },
        now.0,
    )
    .await
}

/// The tenant's low-balance threshold (CNY).
pub async fn low_balance_threshold(app: &App, actor: &Actor) -> Result<Money, AppError> {
    actor.authorize(&actor.tenant_id, Right::BillingRead)?;
    let mut tx = app.db().read().await?;
    let threshold = tx.low_balance_threshold(&actor.tenant_id).await?;
    tx.commit().await?;
    Ok(Money::new(
        threshold.unwrap_or(DEFAULT_LOW_BALANCE_THRESHOLD),
        Currency::Cny,
    ))
}

/// Sets the tenant's low-balance threshold in fen (0 turns the notice off).
pub async fn set_low_balance_threshold(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    amount_minor: i64,
) -> Result<Money, AppError> {
    actor.authorize(&actor.tenant_id, Right::BillingPay)?;
    if !(0..=MAX_LOW_BALANCE_THRESHOLD).contains(&amount_minor) {
        return Err(BillingError::InvalidThreshold.into());
    }
    let now = app.now();
    let mut tx = app.db().write().await?;
    let before = tx.low_balance_threshold(&actor.tenant_id).await?;
    tx.set_low_balance_threshold(&actor.tenant_id, Some(amount_minor), now.0)
        .await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "billing.low_balance_threshold",
            object_type: "account",
            object_id: &actor.tenant_id,
            tenant: &actor.tenant_id,
            before: json!({ "threshold": before }),
            after: json!({ "threshold": amount_minor }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Money::new(amount_minor, Currency::Cny))
}

crate::platform::error::error_enum! {
    /// What the billing use cases refuse: each case has its stable code, both messages and the
    /// field at fault in one place ([`BillingError::into`] an [`AppError`]).
    pub enum BillingError {
        /// The low-balance threshold is outside 0..=[`MAX_LOW_BALANCE_THRESHOLD`].
        InvalidThreshold = BadRequest("INVALID_THRESHOLD", field = "amount") => (
            format!("the threshold must be 0–{MAX_LOW_BALANCE_THRESHOLD} fen"),
            format!("阈值须为 0–{MAX_LOW_BALANCE_THRESHOLD} 分"),
        ),
        /// A credit outside 1..=[`MAX_TOP_UP_MINOR`].
        InvalidCredit = BadRequest("INVALID_AMOUNT", field = "amount") => (
            format!("the amount must be 0.01 to 10,000,000.00 (1 to {MAX_TOP_UP_MINOR} minor units)"),
            format!("金额须在 0.01 元到 1000 万元之间（1 到 {MAX_TOP_UP_MINOR} 分）"),
        ),
        /// A credit limit outside 0..=[`MAX_TOP_UP_MINOR`].
        InvalidCreditLimit = BadRequest("INVALID_AMOUNT", field = "amount") => (
            format!("the credit limit must be 0 to {MAX_TOP_UP_MINOR} minor units"),
            format!("信用额度须在 0 到 {MAX_TOP_UP_MINOR} 分之间"),
        ),
        /// A credit note longer than 200 characters or with control characters.
        InvalidNote = BadRequest("INVALID_NOTE", field = "note") => (
            "the note must have at most 200 printable characters",
            "备注最多 200 个可打印字符",
        ),
        /// A credit addressed to a sub-account (the balance is the parent's).
        CreditToSubAccount = BadRequest("NOT_A_TENANT", field = "email") => (
            "credit the parent account, not a sub-account",
            "请为主账户充值，而非子账户",
        ),
        /// A credit limit set on a sub-account.
        LimitOfSubAccount = BadRequest("NOT_A_TENANT", field = "email") => (
            "set the parent account's limit, not a sub-account's",
            "请设置主账户的额度",
        ),
        /// A person's credit above the amount that needs a second finance person.
        SecondApprovalRequired { above: Money } = Conflict("SECOND_APPROVAL_REQUIRED", field = "amount") => (
            format!("a manual credit or debit above {above} needs a second finance person's approval: request it"),
            format!("超过 {above} 的人工入账或扣款须由另一位财务人员复核，请提交申请"),
        ),
        /// The person who asked for a credit decides on it.
        OwnCreditRequest = Forbidden("OWN_CREDIT_REQUEST") => (
            "a credit request is decided by someone other than the person who made it",
            "入账申请须由申请人以外的财务人员复核",
        ),
        /// The request was decided already.
        CreditRequestDecided = Conflict("CREDIT_REQUEST_DECIDED") => (
            "this credit request has been decided already",
            "该入账申请已处理",
        ),
        /// A manual debit larger than the customer's balance.
        DebitExceedsBalance { balance: Money } = Conflict("DEBIT_EXCEEDS_BALANCE", field = "amount") => (
            format!("the balance is {balance}: a manual debit cannot take more than the customer holds"),
            format!("当前余额为 {balance}，人工扣款不能超过客户余额"),
        ),
        /// A rejection without a reason.
        ReasonRequired = BadRequest("REASON_REQUIRED", field = "reason") => (
            "say why the request is rejected (1 to 200 characters)",
            "请填写驳回原因（1 到 200 个字符）",
        ),
        /// The balance (with the credit limit) does not cover a charge.
        InsufficientBalance { needed: Money } = PaymentRequired("INSUFFICIENT_BALANCE") => (
            format!("the balance does not cover {needed}"),
            format!("余额不足以支付 {needed}"),
        ),
    }
}

/// A customer's balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BalanceView {
    /// What may be spent (credit-normal).
    pub balance: Money,
    /// How far below zero it may go.
    pub credit_limit: Money,
}

/// Credits `amount` to a tenant's balance (finance staff and operators): a top-up received
/// outside the platform, e.g. a bank transfer. A person (not the operator on the server)
/// crediting more than `AppSettings::credit_second_approval_above` is refused with
/// `SECOND_APPROVAL_REQUIRED`: such a credit is a [`credit_requests::request`] that a second
/// finance person approves.
pub async fn credit(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    tenant_id: &str,
    amount: Money,
    note: &str,
) -> Result<BalanceView, AppError> {
    manual_booking(app, ctx, actor, tenant_id, amount, note, Direction::Credit).await
}

/// Takes money back from a customer's balance (finance staff): the correction of a credit or
/// payment booked in error, with a note saying why. The reverse of a top-up in the ledger
/// (balance to cash), a completed `debit` order and an audit entry, all in one transaction;
/// never more than the balance holds. Above the approval amount a person must ask for it
/// ([`credit_requests::request`] with [`credit_requests::Direction::Debit`]).
pub async fn debit(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    tenant_id: &str,
    amount: Money,
    note: &str,
) -> Result<BalanceView, AppError> {
    manual_booking(app, ctx, actor, tenant_id, amount, note, Direction::Debit).await
}

/// A person's manual credit or debit at or under the approval amount, booked in one
/// transaction (above it: [`credit_requests::request`]).
async fn manual_booking(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    tenant_id: &str,
    amount: Money,
    note: &str,
    direction: Direction,
) -> Result<BalanceView, AppError> {
    actor.require(Right::BillingManage)?;
    let note = check_credit(amount, note)?;
    if credit_requests::needs_second_approval(app, actor, amount) {
        return Err(BillingError::SecondApprovalRequired {
            above: Money::new(
                app.settings().credit_second_approval_above,
                amount.currency(),
            ),
        }
        .into());
    }
    HolderId::parse(tenant_id).map_err(|_| AppError::not_found())?;
    let mut tx = app.db().write().await?;
    let (balance, _) = book_manual(
        app,
        ctx,
        &mut tx,
        &actor.account_id,
        tenant_id,
        amount,
        note,
        direction,
    )
    .await?;
    let limit = tx
        .balance(tenant_id, amount.currency().code())
        .await?
        .credit_limit;
    tx.commit().await?;
    Ok(BalanceView {
        balance: Money::new(balance, amount.currency()),
        credit_limit: Money::new(limit, amount.currency()),
    })
}

/// Books a manual credit or debit inside `tx`; returns the new balance and the order.
#[allow(
    clippy::too_many_arguments,
    reason = "the booking's facts, each needed"
)]
async fn book_manual(
    app: &App,
    ctx: &RequestContext,
    tx: &mut Tx,
    actor_id: &str,
    tenant_id: &str,
    amount: Money,
    note: &str,
    direction: Direction,
) -> Result<(i64, String), AppError> {
    match direction {
        Direction::Credit => book_credit(app, ctx, tx, actor_id, tenant_id, amount, note).await,
        Direction::Debit => book_debit(app, ctx, tx, actor_id, tenant_id, amount, note).await,
    }
}

/// Books a manual debit inside `tx` (see [`debit`]). Returns the new balance and the order.
async fn book_debit(
    app: &App,
    ctx: &RequestContext,
    tx: &mut Tx,
    actor_id: &str,
    tenant_id: &str,
    amount: Money,
    note: &str,
) -> Result<(i64, String), AppError> {
    let now = app.now();
    let account = tx
        .account_by_id(tenant_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if account.tenant_id != account.id {
        return Err(BillingError::CreditToSubAccount.into());
    }
    let holder =
        HolderId::parse(tenant_id).map_err(|e| AppError::internal(format!("holder id: {e}")))?;
    let current = tx.balance(tenant_id, amount.currency().code()).await?;
    if current.balance < amount.minor() {
        return Err(BillingError::DebitExceedsBalance {
            balance: Money::new(current.balance, amount.currency()),
        }
        .into());
    }
    let order_id = new_id("ord");
    let balance = tx
        .change_balance(tenant_id, amount.currency().code(), -amount.minor(), now.0)
        .await?
        .ok_or_else(|| {
            AppError::from(BillingError::DebitExceedsBalance {
                balance: Money::new(current.balance, amount.currency()),
            })
        })?;
    let transaction = money::top_up(&holder, amount)
        .map_err(|e| AppError::internal(format!("debit: {e}")))?
        .reversed();
    book(tx, &transaction, &order_id, note, now).await?;
    tx.insert_order(&OrderRow {
        id: order_id.clone(),
        owner_id: tenant_id.to_owned(),
        actor_id: actor_id.to_owned(),
        kind: "debit".into(),
        domain_name: None,
        years: None,
        amount: amount.minor(),
        currency: amount.currency().code().into(),
        status: "completed".into(),
        detail: json!({ "note": note }).to_string(),
        created_at: now.0,
    })
    .await?;
    audit::record(app, tx, ctx, actor_id, Change {
        action: "account.debit",
        object_type: "balance",
        object_id: tenant_id,
        tenant: tenant_id,
        before: json!({ "balance": current.balance }),
        after: json!({ "amount": amount.minor(), "currency": amount.currency().code(), "balance": balance, "order_id": order_id, "note": note }),
    })
    .await?;
    Ok((balance, order_id))
}

/// The note of a credit of `amount`, trimmed, when both are acceptable.
fn check_credit(amount: Money, note: &str) -> Result<&str, AppError> {
    if amount.minor() <= 0 || amount.minor() > MAX_TOP_UP_MINOR {
        return Err(BillingError::InvalidCredit.into());
    }
    let note = note.trim();
    if note.chars().count() > 200 || note.chars().any(char::is_control) {
        return Err(BillingError::InvalidNote.into());
    }
    Ok(note)
}

/// Books a manual credit inside `tx`: the ledger, a completed `topup` order and the audit
/// entry (`account.credit`, by `actor_id`). Returns the new balance and the order's id.
async fn book_credit(
    app: &App,
    ctx: &RequestContext,
    tx: &mut Tx,
    actor_id: &str,
    tenant_id: &str,
    amount: Money,
    note: &str,
) -> Result<(i64, String), AppError> {
    let now = app.now();
    let account = tx
        .account_by_id(tenant_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if account.tenant_id != account.id {
        return Err(BillingError::CreditToSubAccount.into());
    }
    crate::accounts::verification::require_verified(tx, tenant_id).await?;
    let order_id = new_id("ord");
    let balance = credit_received(tx, tenant_id, amount, &order_id, note, now).await?;
    tx.insert_order(&OrderRow {
        id: order_id.clone(),
        owner_id: tenant_id.to_owned(),
        actor_id: actor_id.to_owned(),
        kind: "topup".into(),
        domain_name: None,
        years: None,
        amount: amount.minor(),
        currency: amount.currency().code().into(),
        status: "completed".into(),
        detail: json!({ "note": note }).to_string(),
        created_at: now.0,
    })
    .await?;
    audit::record(app, tx, ctx, actor_id, Change {
        action: "account.credit",
        object_type: "balance",
        object_id: tenant_id,
        tenant: tenant_id,
        before: serde_json::Value::Null,
        after: json!({ "amount": amount.minor(), "currency": amount.currency().code(), "balance": balance, "order_id": order_id, "note": note }),
    })
    .await?;
    Ok((balance, order_id))
}

/// The actor's tenant balance in `currency`.
pub async fn balance(
    app: &App,
    actor: &Actor,
    currency: Currency,
) -> Result<BalanceView, AppError> {
    actor.require(Right::BillingRead)?;
    let mut tx = app.db().read().await?;
    let row = tx.balance(&actor.tenant_id, currency.code()).await?;
    tx.commit().await?;
    Ok(BalanceView {
        balance: Money::new(row.balance, currency),
        credit_limit: Money::new(row.credit_limit, currency),
    })
}

/// One movement of the customer's balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerLine {
    /// Posting id.
    pub id: String,
    /// Balanced transaction id.
    pub transaction_id: String,
    /// Effect on the balance: positive credits it (top-up, refund), negative spends.
    pub amount: Money,
    /// The order.
    pub order_id: Option<String>,
    /// Description.
    pub memo: String,
    /// Time.
    pub at: Timestamp,
}

/// The customer's balance movements, newest first.
pub async fn ledger(
    app: &App,
    actor: &Actor,
    from: &PageCursor,
    limit: i64,
) -> Result<Page<LedgerLine>, AppError> {
    actor.require(Right::BillingRead)?;
    let mut tx = app.db().read().await?;
    let rows: Vec<LedgerEntryRow> = tx
        .ledger_of_holder(&actor.tenant_id, (from.at, &from.id), limit)
        .await?;
    tx.commit().await?;
    let next = next_cursor(&rows, limit, |r| (r.created_at, &r.id));
    let items = rows
        .into_iter()
        .filter(|r| r.account == "customer_balance")
        .map(|r| {
            let currency = Currency::parse(&r.currency)
                .map_err(|_| AppError::internal(format!("stored currency {}", r.currency)))?;
            Ok(LedgerLine {
                id: r.id,
                transaction_id: r.transaction_id,
                // Postings are debit-positive; a customer balance is credit-normal.
                amount: Money::new(-r.amount, currency),
                order_id: r.order_id,
                memo: r.memo,
                at: Timestamp(r.created_at),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(Page { items, next })
}

/// The tenant's orders, newest first.
pub async fn orders(
    app: &App,
    actor: &Actor,
    from: &PageCursor,
    limit: i64,
) -> Result<Page<OrderRow>, AppError> {
    actor.require(Right::BillingRead)?;
    let mut tx = app.db().read().await?;
    let rows = tx
        .orders_of_owner(&actor.tenant_id, (from.at, &from.id), limit)
        .await?;
    tx.commit().await?;
    let next = next_cursor(&rows, limit, |r| (r.created_at, &r.id));
    Ok(Page { items: rows, next })
}

/// The sum of all postings per currency: always zero for a consistent ledger.
pub async fn ledger_sums(app: &App) -> Result<Vec<(String, i64)>, AppError> {
    let mut tx = app.db().read().await?;
    let sums = tx.ledger_sums().await?;
    tx.commit().await?;
    Ok(sums)
}

/// Sets how far below zero a tenant's balance may go (finance staff).
pub async fn set_credit_limit(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    tenant_id: &str,
    limit: Money,
) -> Result<BalanceView, AppError> {
    actor.require(Right::BillingManage)?;
    if limit.minor() < 0 || limit.minor() > MAX_TOP_UP_MINOR {
        return Err(BillingError::InvalidCreditLimit.into());
    }
    let mut tx = app.db().write().await?;
    let account = tx
        .account_by_id(tenant_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if account.tenant_id != account.id {
        return Err(BillingError::LimitOfSubAccount.into());
    }
    let currency = limit.currency().code();
    let before = tx.balance(tenant_id, currency).await?;
    tx.set_credit_limit(tenant_id, currency, limit.minor(), app.now().0)
        .await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "account.credit_limit",
            object_type: "balance",
            object_id: tenant_id,
            tenant: tenant_id,
            before: json!({ "credit_limit": before.credit_limit, "currency": currency }),
            after: json!({ "credit_limit": limit.minor(), "currency": currency }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(BalanceView {
        balance: Money::new(before.balance, limit.currency()),
        credit_limit: limit,
    })
}

/// Which revenue account a charge is income of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Income {
    /// Registrations, renewals, restores and transfers.
    Domains,
    /// Value-added services.
    Services,
}

/// Debits `amount` from the tenant's balance and books the charge as income of `income`,
/// in `tx`.
pub(crate) async fn charge_to(
    tx: &mut Tx,
    tenant: &str,
    amount: Money,
    (order_id, memo): (&str, &str),
    income: Income,
    now: Timestamp,
) -> Result<Money, AppError> {
    let holder =
        HolderId::parse(tenant).map_err(|e| AppError::internal(format!("holder id: {e}")))?;
    crate::accounts::verification::require_verified(tx, tenant).await?;
    let currency = amount.currency().code();
    if amount.is_zero() {
        // Free (a 100 % coupon): the order is recorded, nothing is booked.
        let row = tx.balance(tenant, currency).await?;
        return Ok(Money::new(row.balance, amount.currency()));
    }
    let Some(balance) = tx
        .change_balance(tenant, currency, -amount.minor(), now.0)
        .await?
    else {
        return Err(BillingError::InsufficientBalance { needed: amount }.into());
    };
    let transaction = match income {
        Income::Domains => money::charge(&holder, amount),
        Income::Services => money::charge_service(&holder, amount),
    }
    .map_err(|e| AppError::internal(format!("charge: {e}")))?;
    book(tx, &transaction, order_id, memo, now).await?;
    let balance = Money::new(balance, amount.currency());
    // Every debit path comes through here, so the low-balance check is made once, here.
    low_balance_notice(tx, tenant, balance, now).await?;
    Ok(balance)
}

/// Credits `amount` to `owner`'s balance and books it as money received (cash to the
/// customer's balance), in `tx`: the one way money comes in, whether finance credits it, a
/// gateway reports it paid or a refund the gateway refused is given back. Returns the new
/// balance in minor units.
pub(crate) async fn credit_received(
    tx: &mut Tx,
    owner: &str,
    amount: Money,
    order_id: &str,
    memo: &str,
    now: Timestamp,
) -> Result<i64, AppError> {
    let holder =
        HolderId::parse(owner).map_err(|e| AppError::internal(format!("holder id: {e}")))?;
    let balance = tx
        .change_balance(owner, amount.currency().code(), amount.minor(), now.0)
        .await?
        .ok_or_else(|| AppError::internal("a credit was refused"))?;
    let transaction =
        money::top_up(&holder, amount).map_err(|e| AppError::internal(format!("top-up: {e}")))?;
    book(tx, &transaction, order_id, memo, now).await?;
    Ok(balance)
}

/// Books money that came in from outside (a gateway payment, a bank transfer) as a
/// completed top-up order `order_id` — what customers may have invoiced.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn top_up_received(
    tx: &mut Tx,
    order_id: &str,
    owner: &str,
    actor_id: &str,
    amount: Money,
    memo: &str,
    detail: serde_json::Value,
    now: Timestamp,
) -> Result<(), AppError> {
    credit_received(tx, owner, amount, order_id, memo, now).await?;
    tx.insert_order(&OrderRow {
        id: order_id.to_owned(),
        owner_id: owner.to_owned(),
        actor_id: actor_id.to_owned(),
        kind: "topup".into(),
        domain_name: None,
        years: None,
        amount: amount.minor(),
        currency: amount.currency().code().to_owned(),
        status: "completed".into(),
        detail: detail.to_string(),
        created_at: now.0,
    })
    .await?;
    Ok(())
}

/// Appends a balanced transaction's postings.
pub(crate) async fn book(
    tx: &mut Tx,
    transaction: &money::Transaction,
    order_id: &str,
    memo: &str,
    now: Timestamp,
) -> Result<(), AppError> {
    let transaction_id = new_id("txn");
    let rows: Vec<LedgerEntryRow> = transaction
        .postings()
        .iter()
        .map(|posting| LedgerEntryRow {
            id: new_id("le"),
            transaction_id: transaction_id.clone(),
            account: posting.account().kind().as_str().to_owned(),
            holder_id: posting.account().holder().map(|h| h.as_str().to_owned()),
            amount: posting.amount().minor(),
            currency: posting.amount().currency().code().to_owned(),
            order_id: Some(order_id.to_owned()),
            memo: memo.to_owned(),
            created_at: now.0,
        })
        .collect();
    tx.insert_ledger_entries(&rows).await?;
    Ok(())
}

/// An order settled through the balance: paid ([`pay_order`]) or refunded ([`refund_order`]).
pub(crate) struct BalanceOrder<'a> {
    /// The tenant whose balance it settles through.
    pub owner_id: &'a str,
    /// Who placed it (an account id, or the scheduler).
    pub actor_id: &'a str,
    /// `register`, `renew`, `auto_renew`, `restore`, `transfer`, `refund`.
    pub kind: &'a str,
    /// The domain it is for.
    pub domain_name: &'a str,
    /// The years it adds, if any.
    pub years: Option<i64>,
    /// What it costs.
    pub amount: Money,
    /// The ledger memo.
    pub memo: String,
    /// Facts kept with the order.
    pub detail: Value,
}

/// Debits an order's amount from its owner's balance, books it and records the order as
/// completed, all in `tx`: the one way an order is paid. Returns the order id and the
/// balance after the debit.
pub(crate) async fn pay_order(
    tx: &mut Tx,
    order: BalanceOrder<'_>,
    now: Timestamp,
) -> Result<(String, Money), AppError> {
    pay_order_as(tx, order, Income::Domains, now).await
}

/// [`pay_order`] booked as income of `income`.
pub(crate) async fn pay_order_as(
    tx: &mut Tx,
    order: BalanceOrder<'_>,
    income: Income,
    now: Timestamp,
) -> Result<(String, Money), AppError> {
    let order_id = new_id("ord");
    let balance = charge_to(
        tx,
        order.owner_id,
        order.amount,
        (&order_id, &order.memo),
        income,
        now,
    )
    .await?;
    insert_completed(tx, &order_id, &order, now).await?;
    Ok((order_id, balance))
}

/// Credits an order's amount back to its owner's balance, books the refund and records the
/// refund order as completed, all in `tx`: the one way money goes back. Returns the order id.
pub(crate) async fn refund_order(
    tx: &mut Tx,
    order: BalanceOrder<'_>,
    now: Timestamp,
) -> Result<String, AppError> {
    let holder = HolderId::parse(order.owner_id)
        .map_err(|e| AppError::internal(format!("holder id: {e}")))?;
    let order_id = new_id("ord");
    tx.change_balance(
        order.owner_id,
        order.amount.currency().code(),
        order.amount.minor(),
        now.0,
    )
    .await?
    .ok_or_else(|| AppError::internal("a refund was refused"))?;
    let transaction = money::refund(&holder, order.amount)
        .map_err(|e| AppError::internal(format!("refund: {e}")))?;
    book(tx, &transaction, &order_id, &order.memo, now).await?;
    insert_completed(tx, &order_id, &order, now).await?;
    Ok(order_id)
}

async fn insert_completed(
    tx: &mut Tx,
    order_id: &str,
    order: &BalanceOrder<'_>,
    now: Timestamp,
) -> Result<(), AppError> {
    tx.insert_order(&OrderRow {
        id: order_id.to_owned(),
        owner_id: order.owner_id.to_owned(),
        actor_id: order.actor_id.to_owned(),
        kind: order.kind.to_owned(),
        domain_name: Some(order.domain_name.to_owned()).filter(|n| !n.is_empty()),
        years: order.years,
        amount: order.amount.minor(),
        currency: order.amount.currency().code().to_owned(),
        status: "completed".into(),
        detail: order.detail.to_string(),
        created_at: now.0,
    })
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use yuming_core::money::{Currency, Money};

    use super::BillingError;
    use crate::{AppError, ErrorKind};

    #[test]
    fn every_refusal_has_its_code_both_messages_and_kind() {
        let all = [
            BillingError::InvalidThreshold,
            BillingError::InvalidCredit,
            BillingError::InvalidCreditLimit,
            BillingError::InvalidNote,
            BillingError::CreditToSubAccount,
            BillingError::LimitOfSubAccount,
            BillingError::InsufficientBalance {
                needed: Money::new(5_900, Currency::Cny),
            },
        ];
        for error in all {
            let code = error.code();
            let app: AppError = error.clone().into();
            assert_eq!(app.code, code);
            assert!(
                code.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'),
                "{code}"
            );
            assert!(
                !app.message.is_empty() && !app.message_zh.is_empty(),
                "{code}"
            );
            let expected = match error {
                BillingError::InsufficientBalance { .. } => ErrorKind::PaymentRequired,
                _ => ErrorKind::BadRequest,
            };
            assert_eq!(app.kind, expected, "{code}");
        }
        let poor: AppError = BillingError::InsufficientBalance {
            needed: Money::new(5_900, Currency::Cny),
        }
        .into();
        assert!(poor.message.contains("59.00"), "{}", poor.message);
    }
}
