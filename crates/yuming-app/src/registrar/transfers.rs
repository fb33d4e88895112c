//! Transfers between accounts of the platform (the local registry is authoritative for every
//! TLD, so the gaining and the losing registrar account are both ours) and changes of holder
//! (过户).
//!
//! A transfer: the gaining account asks with the auth code and pays the transfer fee at once
//! (held as an ordinary charge); the holder approves or rejects with a reason; silence
//! approves it at `auto_approves_at`. A rejection or a cancellation by the gaining side
//! refunds the fee exactly. Completion follows `lifecycle::complete_transfer`: a year more
//! (gTLDs), the transfer grace and a new 60-day lock.
//!
//! A change of holder: the holder names the target account (by e-mail) and one of its
//! verified registrant contacts; the target accepts. No fee, no change of term.

use serde_json::json;
use subtle::ConstantTimeEq;
use yuming_core::access::{Actor, AuthMethod, Right, RightSet, Role};
use yuming_core::catalogue::{Catalogue, Operation};
use yuming_core::clock::Timestamp;
use yuming_core::lifecycle;
use yuming_core::money::{Currency, Money};
use yuming_store::{DomainRow, TransferRow, Tx};

use crate::billing::{BalanceOrder, pay_order, refund_order};
use crate::notify::flow_notices::notify;
use crate::platform::crypto::new_id;
use crate::registrar::RegistrarError;
use crate::registrar::catalogue as stored_catalogue;
use crate::registrar::domains::{
    self, auth_code_context, lifecycle_error, load_for_update, new_auth_code, record_change,
};
use crate::{App, AppError, RequestContext};

/// Wrong auth codes a tenant may send per window before transfers are refused.
pub const AUTH_CODE_ATTEMPTS: i64 = 5;
/// The window of [`AUTH_CODE_ATTEMPTS`], in seconds.
pub const AUTH_CODE_WINDOW_SECS: i64 = 3_600;

/// What the API shows of a transfer or change of holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferView {
    /// Opaque id.
    pub id: String,
    /// `transfer` or `holder_change`.
    pub kind: String,
    /// A-label of the domain.
    pub domain: String,
    /// `pending`, `approved`, `auto_approved`, `rejected`, `cancelled`.
    pub status: String,
    /// Whether the caller's tenant gains (`true`) or loses the domain.
    pub gaining: bool,
    /// When requested.
    pub requested_at: Timestamp,
    /// When silence approves it (transfers).
    pub auto_approves_at: Option<Timestamp>,
    /// When decided.
    pub decided_at: Option<Timestamp>,
    /// A rejection's reason.
    pub reason: Option<String>,
    /// The fee paid by the gaining side (refunded on rejection or cancellation).
    pub fee: Money,
}

fn view(row: &TransferRow, tenant: &str) -> Result<TransferView, AppError> {
    let currency = Currency::parse(&row.currency)
        .map_err(|_| AppError::internal(format!("stored currency {}", row.currency)))?;
    Ok(TransferView {
        id: row.id.clone(),
        kind: row.kind.clone(),
        domain: row.domain_name.clone(),
        status: row.status.clone(),
        gaining: row.to_owner_id == tenant,
        requested_at: Timestamp(row.requested_at),
        auto_approves_at: row.auto_approves_at.map(Timestamp),
        decided_at: row.decided_at.map(Timestamp),
        reason: row.reason.clone(),
        fee: Money::new(row.amount, currency),
    })
}

/// The actor of work nobody asked for at that moment (auto-approvals).
fn system_actor() -> Actor {
    Actor {
        account_id: "system".into(),
        tenant_id: String::new(),
        role: Role::Admin,
        rights: RightSet::all(),
        method: AuthMethod::Operator,
    }
}

fn no_pending() -> AppError {
    AppError::from(RegistrarError::NoPendingTransfer)
}

fn invalid_reason() -> AppError {
    AppError::from(RegistrarError::InvalidReason)
}

fn parse_reason(reason: Option<&str>) -> Result<String, AppError> {
    match reason.map(str::trim) {
        Some(r) if !r.is_empty() && r.chars().count() <= 500 => Ok(r.to_owned()),
        _ => Err(invalid_reason()),
    }
}

fn bucket(tenant: &str) -> String {
    format!("transfer-auth:{tenant}")
}

fn window_start(now: Timestamp) -> i64 {
    now.0 - now.0.rem_euclid(AUTH_CODE_WINDOW_SECS)
}

fn rate_limited(now: Timestamp) -> AppError {
    let retry_after = window_start(now) + AUTH_CODE_WINDOW_SECS - now.0;
    AppError::from(RegistrarError::AuthCodeLocked { retry_after }).with_retry_after(retry_after)
}

/// Requests the transfer of `name` into the caller's tenant with its auth code, to be held
/// by `contact_id` (a verified contact of the caller). Charges the transfer fee now.
pub async fn request(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    name: &str,
    auth_code: &str,
    contact_id: &str,
) -> Result<TransferView, AppError> {
    actor.require(Right::DomainsManage)?;
    actor.require(Right::BillingPay)?;
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    // Checked before the code is compared, so that a correct guess after the limit still
    // learns nothing.
    {
        let mut tx = app.db().read().await?;
        let hits = tx
            .rate_counter(&bucket(&actor.tenant_id), window_start(now))
            .await?;
        tx.commit().await?;
        if hits >= AUTH_CODE_ATTEMPTS {
            return Err(rate_limited(now));
        }
    }
    let ascii = domains::ascii_of(name)?;
    let book = crate::registrar::pricing::book(app).await?;
    let mut tx = app.db().write().await?;
    let mut row = tx
        .domain_by_name_for_update(&ascii)
        .await?
        .ok_or_else(AppError::not_found)?;
    let tld = catalogue
        .tld(&row.tld)
        .ok_or_else(|| AppError::internal(format!("TLD {} left the catalogue", row.tld)))?;
    let stored = app
        .cipher()
        .open(&row.auth_code_sealed, &auth_code_context(&row.id))
        .map_err(|e| AppError::internal(format!("auth code: {e}")))?;
    if !bool::from(stored.as_slice().ct_eq(auth_code.trim().as_bytes())) {
        drop(tx);
        crate::platform::rate_limit::hit(
            app,
            &bucket(&actor.tenant_id),
            AUTH_CODE_ATTEMPTS,
            AUTH_CODE_WINDOW_SECS,
        )
        .await?;
        return Err(RegistrarError::InvalidAuthCode.into());
    }
    if row.owner_id == actor.tenant_id {
        return Err(RegistrarError::AlreadyOwned.into());
    }
    crate::registrar::contacts::require_verified(app, &mut tx, actor, contact_id).await?;
    let record = domains::record_of(&row)?;
    let (pending, decision) =
        lifecycle::request_transfer(&record, &tld.periods, now).map_err(lifecycle_error)?;
    let label = row.name.split('.').next().unwrap_or_default().to_owned();
    let (prices, premium) = tld.prices_for(&label);
    let amount = crate::registrar::pricing::quote_in(
        &mut tx,
        &book,
        &actor.tenant_id,
        yuming_core::pricing::Item {
            prices: &prices,
            premium,
            tld: &tld.ascii,
            operation: Operation::Transfer,
            years: 1,
        },
        now,
    )
    .await?
    .price;
    let (order_id, _balance) = pay_order(
        &mut tx,
        BalanceOrder {
            owner_id: &actor.tenant_id,
            actor_id: &actor.account_id,
            kind: "transfer",
            domain_name: &row.name,
            years: Some(i64::from(tld.periods.transfer_adds_years)),
            amount,
            memo: format!("transfer {}", row.name),
            detail: json!({ "auto_approves_at": decision.auto_approves_at.0 }),
        },
        now,
    )
    .await?;
    let transfer = TransferRow {
        id: new_id("trf"),
        kind: "transfer".into(),
        domain_id: row.id.clone(),
        domain_name: row.name.clone(),
        from_owner_id: row.owner_id.clone(),
        to_owner_id: actor.tenant_id.clone(),
        to_contact_id: contact_id.to_owned(),
        requested_by: actor.account_id.clone(),
        status: "pending".into(),
        requested_at: now.0,
        auto_approves_at: Some(decision.auto_approves_at.0),
        decided_at: None,
        decided_by: None,
        reason: None,
        order_id: Some(order_id.clone()),
        amount: amount.minor(),
        currency: amount.currency().code().into(),
    };
    tx.insert_transfer(&transfer).await?;
    domains::apply_record(&mut row, &pending);
    row.updated_at = now.0;
    app.registry(&tld.registry)?.update(&mut tx, &row).await?;
    let detail = json!({ "transfer_id": transfer.id, "domain": row.name, "auto_approves_at": decision.auto_approves_at.0 });
    notify(&mut tx, &row.owner_id, "transfer.requested", &detail, now).await?;
    record_change(
        app,
        &mut tx,
        ctx,
        actor,
        &row,
        "domain.transfer_request",
        Some(&order_id),
        serde_json::Value::Null,
        detail,
        now,
    )
    .await?;
    tx.commit().await?;
    view(&transfer, &actor.tenant_id)
}

/// Refunds the fee of a transfer to the gaining tenant, in `tx`.
async fn refund_fee(
    tx: &mut Tx,
    transfer: &TransferRow,
    actor: &Actor,
    now: Timestamp,
) -> Result<Option<String>, AppError> {
    if transfer.amount == 0 {
        return Ok(None);
    }
    let currency = Currency::parse(&transfer.currency)
        .map_err(|_| AppError::internal(format!("stored currency {}", transfer.currency)))?;
    let amount = Money::new(transfer.amount, currency);
    let order_id = refund_order(
        tx,
        BalanceOrder {
            owner_id: &transfer.to_owner_id,
            actor_id: &actor.account_id,
            kind: "refund",
            domain_name: &transfer.domain_name,
            years: None,
            amount,
            memo: format!("transfer of {} not completed", transfer.domain_name),
            detail: json!({ "refunds": transfer.order_id, "transfer_id": transfer.id }),
        },
        now,
    )
    .await?;
    Ok(Some(order_id))
}

/// Moves the domain of a pending request to its new holder, in `tx`; `at` is the instant of
/// the approval (the auto-approval instant for a late run).
#[expect(
    clippy::too_many_arguments,
    reason = "one call per completion path, all named"
)]
async fn complete(
    app: &App,
    tx: &mut Tx,
    ctx: &RequestContext,
    actor: &Actor,
    catalogue: &Catalogue,
    transfer: &TransferRow,
    status: &str,
    at: Timestamp,
    now: Timestamp,
) -> Result<(), AppError> {
    let mut row = tx
        .domain_by_name_for_update(&transfer.domain_name)
        .await?
        .filter(|r| r.id == transfer.domain_id)
        .ok_or_else(|| AppError::internal("a transferred domain vanished"))?;
    let tld = catalogue
        .tld(&row.tld)
        .ok_or_else(|| AppError::internal(format!("TLD {} left the catalogue", row.tld)))?;
    let before = json!({ "owner_id": row.owner_id, "registrant_contact_id": row.registrant_contact_id, "expires_at": row.expires_at });
    if transfer.kind == "transfer" {
        let record = domains::record_of(&row)?;
        let done =
            lifecycle::complete_transfer(&record, &tld.periods, at).map_err(lifecycle_error)?;
        domains::apply_record(&mut row, &done);
    }
    row.owner_id = transfer.to_owner_id.clone();
    row.registrant_contact_id = transfer.to_contact_id.clone();
    // The new holder pays for renewals from now on, so it opts in itself.
    row.auto_renew = false;
    tx.set_auto_renew_days_before(&row.id, 0, now.0).await?;
    // The losing side knew the old code.
    row.auth_code_sealed = app
        .cipher()
        .seal(new_auth_code().as_bytes(), &auth_code_context(&row.id));
    row.updated_at = now.0;
    if !tx
        .decide_transfer(&transfer.id, status, at.0, &actor.account_id, None)
        .await?
    {
        return Err(no_pending());
    }
    app.registry(&tld.registry)?.update(tx, &row).await?;
    let detail = json!({ "transfer_id": transfer.id, "domain": row.name, "kind": transfer.kind, "status": status, "owner_id": row.owner_id, "expires_at": row.expires_at });
    notify(
        tx,
        &transfer.from_owner_id,
        "transfer.completed",
        &detail,
        now,
    )
    .await?;
    notify(
        tx,
        &transfer.to_owner_id,
        "transfer.completed",
        &detail,
        now,
    )
    .await?;
    let action = if transfer.kind == "transfer" {
        "domain.transfer_complete"
    } else {
        "domain.holder_change_complete"
    };
    record_change(app, tx, ctx, actor, &row, action, None, before, detail, now).await?;
    Ok(())
}

/// Completes every pending transfer whose auto-approval instant has passed, each in its own
/// transaction, and returns how many it completed. The scheduler's jobs call this; reads
/// never do (a read only reads), so a due transfer shows as pending, with its
/// `auto_approves_at` in the past, until the jobs run.
pub async fn complete_due(app: &App, limit: i64) -> Result<usize, AppError> {
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    let ids = {
        let mut tx = app.db().read().await?;
        let ids = tx.due_transfer_ids(now.0, limit).await?;
        tx.commit().await?;
        ids
    };
    let mut done = 0;
    let ctx = RequestContext::internal("transfer-auto-approve");
    for id in ids {
        let mut tx = app.db().write().await?;
        // Another instance may have decided it meanwhile.
        let Some(transfer) = tx
            .transfer_by_id(&id)
            .await?
            .filter(|t| t.status == "pending")
        else {
            drop(tx);
            continue;
        };
        let Some(at) = transfer.auto_approves_at.map(Timestamp) else {
            drop(tx);
            continue;
        };
        complete(
            app,
            &mut tx,
            &ctx,
            &system_actor(),
            &catalogue,
            &transfer,
            "auto_approved",
            at,
            now,
        )
        .await?;
        tx.commit().await?;
        done += 1;
    }
    Ok(done)
}

/// The holder's decision on the pending transfer of `name`: approve, or reject with a reason
/// (the gaining side's fee is refunded).
pub async fn decide(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    name: &str,
    approve: bool,
    reason: Option<&str>,
) -> Result<TransferView, AppError> {
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    let mut tx = app.db().write().await?;
    let (mut row, tld) =
        load_for_update(&mut tx, &catalogue, actor, name, Right::DomainsManage).await?;
    let transfer = tx
        .pending_transfer_of(&row.id)
        .await?
        .filter(|t| t.kind == "transfer")
        .ok_or_else(no_pending)?;
    if let Some(at) = transfer.auto_approves_at.filter(|at| *at <= now.0) {
        // Decided too late: the transfer approved itself at `at`. Record that (the jobs would
        // have) and refuse the decision, as if the jobs had been first.
        complete(
            app,
            &mut tx,
            &RequestContext::internal("transfer-auto-approve"),
            &system_actor(),
            &catalogue,
            &transfer,
            "auto_approved",
            Timestamp(at),
            now,
        )
        .await?;
        tx.commit().await?;
        return Err(no_pending());
    }
    if approve {
        complete(
            app, &mut tx, ctx, actor, &catalogue, &transfer, "approved", now, now,
        )
        .await?;
    } else {
        let reason = parse_reason(reason)?;
        end(
            app,
            &mut tx,
            ctx,
            actor,
            &mut row,
            tld,
            &transfer,
            "rejected",
            Some(&reason),
            now,
        )
        .await?;
    }
    let stored = tx
        .transfer_by_id(&transfer.id)
        .await?
        .ok_or_else(|| AppError::internal("transfer vanished"))?;
    tx.commit().await?;
    view(&stored, &actor.tenant_id)
}

/// Ends a pending request without moving the domain: refunds the fee, clears
/// `pendingTransfer`, records and notifies.
#[expect(
    clippy::too_many_arguments,
    reason = "one call per ending path, all named"
)]
async fn end(
    app: &App,
    tx: &mut Tx,
    ctx: &RequestContext,
    actor: &Actor,
    row: &mut DomainRow,
    tld: &yuming_core::catalogue::TldPolicy,
    transfer: &TransferRow,
    status: &str,
    reason: Option<&str>,
    now: Timestamp,
) -> Result<(), AppError> {
    if !tx
        .decide_transfer(&transfer.id, status, now.0, &actor.account_id, reason)
        .await?
    {
        return Err(no_pending());
    }
    let refund = refund_fee(tx, transfer, actor, now).await?;
    let record = domains::record_of(row)?;
    domains::apply_record(row, &lifecycle::end_pending_transfer(&record));
    row.updated_at = now.0;
    app.registry(&tld.registry)?.update(tx, row).await?;
    let detail = json!({ "transfer_id": transfer.id, "domain": row.name, "kind": transfer.kind, "status": status, "reason": reason, "refund_order": refund });
    notify(tx, &transfer.to_owner_id, "transfer.ended", &detail, now).await?;
    notify(tx, &transfer.from_owner_id, "transfer.ended", &detail, now).await?;
    record_change(
        app,
        tx,
        ctx,
        actor,
        row,
        if transfer.kind == "transfer" {
            "domain.transfer_end"
        } else {
            "domain.holder_change_end"
        },
        refund.as_deref(),
        serde_json::Value::Null,
        detail,
        now,
    )
    .await?;
    Ok(())
}

/// A request by id, for either side.
pub async fn get(app: &App, actor: &Actor, id: &str) -> Result<TransferView, AppError> {
    actor.require(Right::DomainsRead)?;
    let mut tx = app.db().read().await?;
    let row = tx.transfer_by_id(id).await?;
    tx.commit().await?;
    let row = row.ok_or_else(AppError::not_found)?;
    if actor
        .authorize(&row.to_owner_id, Right::DomainsRead)
        .is_err()
    {
        actor.authorize(&row.from_owner_id, Right::DomainsRead)?;
    }
    view(&row, &actor.tenant_id)
}

/// The caller's transfers and changes of holder, both directions, newest first.
pub async fn list(app: &App, actor: &Actor, limit: i64) -> Result<Vec<TransferView>, AppError> {
    actor.require(Right::DomainsRead)?;
    let mut tx = app.db().read().await?;
    let rows = tx.transfers_of_tenant(&actor.tenant_id, limit).await?;
    tx.commit().await?;
    rows.iter().map(|r| view(r, &actor.tenant_id)).collect()
}

/// Withdraws a pending request: the gaining side cancels a transfer (refunded), the holder
/// withdraws an offered change of holder, or its target declines it.
pub async fn cancel(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<TransferView, AppError> {
    complete_due(app, 100).await?;
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    let mut tx = app.db().write().await?;
    let transfer = tx
        .transfer_by_id(id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let side_ok = actor
        .authorize(&transfer.to_owner_id, Right::DomainsManage)
        .is_ok()
        || (transfer.kind == "holder_change"
            && actor
                .authorize(&transfer.from_owner_id, Right::DomainsManage)
                .is_ok());
    if !side_ok {
        return Err(AppError::not_found());
    }
    if transfer.status != "pending" {
        return Err(no_pending());
    }
    let mut row = tx
        .domain_by_name_for_update(&transfer.domain_name)
        .await?
        .filter(|r| r.id == transfer.domain_id)
        .ok_or_else(|| AppError::internal("a transferred domain vanished"))?;
    let tld = catalogue
        .tld(&row.tld)
        .ok_or_else(|| AppError::internal(format!("TLD {} left the catalogue", row.tld)))?;
    end(
        app,
        &mut tx,
        ctx,
        actor,
        &mut row,
        tld,
        &transfer,
        "cancelled",
        None,
        now,
    )
    .await?;
    let stored = tx
        .transfer_by_id(id)
        .await?
        .ok_or_else(|| AppError::internal("transfer vanished"))?;
    tx.commit().await?;
    view(&stored, &actor.tenant_id)
}

/// The holder offers `name` to the account with e-mail `to_email`, to be held by that
/// account's verified contact `to_contact_id` (过户).
pub async fn offer_holder_change(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    name: &str,
    to_email: &str,
    to_contact_id: &str,
) -> Result<TransferView, AppError> {
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    let mut tx = app.db().write().await?;
    let (row, tld) =
        load_for_update(&mut tx, &catalogue, actor, name, Right::DomainsManage).await?;
    let record = domains::updatable_record(&row, tld, now)?;
    if record
        .flags
        .contains(yuming_core::rules::epp_status::EppStatus::ClientUpdateProhibited)
    {
        return Err(domains::status_prohibits(
            yuming_core::rules::epp_status::EppStatus::ClientUpdateProhibited,
        ));
    }
    tx.commit().await?;
    let to_tenant = crate::accounts::tenant_of_email(app, to_email).await?;
    let mut tx = app.db().write().await?;
    let (row, _) = load_for_update(&mut tx, &catalogue, actor, name, Right::DomainsManage).await?;
    if to_tenant == row.owner_id {
        return Err(RegistrarError::AlreadyHolder.into());
    }
    // The holder cannot read the target's contacts; only "exists there and is verified" is
    // revealed, and the target confirms with its own rights on acceptance.
    let contact_ok = tx
        .contact_by_id(to_contact_id)
        .await?
        .is_some_and(|c| c.owner_id == to_tenant && c.verification_status == "verified");
    if !contact_ok {
        return Err(RegistrarError::ContactNotVerified.into());
    }
    if tx.pending_transfer_of(&row.id).await?.is_some() {
        return Err(RegistrarError::TransferPending.into());
    }
    let offer = TransferRow {
        id: new_id("trf"),
        kind: "holder_change".into(),
        domain_id: row.id.clone(),
        domain_name: row.name.clone(),
        from_owner_id: row.owner_id.clone(),
        to_owner_id: to_tenant.clone(),
        to_contact_id: to_contact_id.to_owned(),
        requested_by: actor.account_id.clone(),
        status: "pending".into(),
        requested_at: now.0,
        auto_approves_at: None,
        decided_at: None,
        decided_by: None,
        reason: None,
        order_id: None,
        amount: 0,
        currency: "CNY".into(),
    };
    tx.insert_transfer(&offer).await?;
    let detail = json!({ "transfer_id": offer.id, "domain": row.name });
    notify(&mut tx, &to_tenant, "holder_change.offered", &detail, now).await?;
    record_change(
        app,
        &mut tx,
        ctx,
        actor,
        &row,
        "domain.holder_change_offer",
        None,
        serde_json::Value::Null,
        detail,
        now,
    )
    .await?;
    tx.commit().await?;
    view(&offer, &actor.tenant_id)
}

/// The target accepts an offered change of holder; its contact must still be verified.
pub async fn accept_holder_change(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<TransferView, AppError> {
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    let mut tx = app.db().write().await?;
    let transfer = tx
        .transfer_by_id(id)
        .await?
        .filter(|t| t.kind == "holder_change")
        .ok_or_else(AppError::not_found)?;
    actor.authorize(&transfer.to_owner_id, Right::DomainsManage)?;
    if transfer.status != "pending" {
        return Err(no_pending());
    }
    crate::registrar::contacts::require_verified(app, &mut tx, actor, &transfer.to_contact_id)
        .await?;
    let row = tx
        .domain_by_name_for_update(&transfer.domain_name)
        .await?
        .filter(|r| r.id == transfer.domain_id && r.owner_id == transfer.from_owner_id)
        .ok_or_else(no_pending)?;
    let tld = catalogue
        .tld(&row.tld)
        .ok_or_else(|| AppError::internal(format!("TLD {} left the catalogue", row.tld)))?;
    domains::updatable_record(&row, tld, now)?;
    complete(
        app, &mut tx, ctx, actor, &catalogue, &transfer, "approved", now, now,
    )
    .await?;
    let stored = tx
        .transfer_by_id(id)
        .await?
        .ok_or_else(|| AppError::internal("transfer vanished"))?;
    tx.commit().await?;
    view(&stored, &actor.tenant_id)
}
