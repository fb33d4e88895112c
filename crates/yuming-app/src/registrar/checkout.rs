//! Pay for this order at checkout: a customer without the balance places an order for names
//! to register; the order holds the names (nobody else can register them meanwhile), the
//! prices quoted and the coupon uses taken, for [`ORDER_TTL_SECS`]. A gateway payment for the
//! order (`billing::payments::create_for`) credits the balance and marks the order paid; the
//! order is then fulfilled — each name registered at its agreed price, charged from the
//! balance just credited. An order not paid in time lapses and releases what it held.
//!
//! Fulfilment runs right after a notify and on every scheduler run, claims the order first
//! (so two runners never register twice) and skips names already done (so a crash midway
//! is finished by the next run).

use serde::{Deserialize, Serialize};
use serde_json::json;
use yuming_core::access::{Actor, Right};
use yuming_core::catalogue::Operation;
use yuming_core::money::{Currency, Money};
use yuming_core::pricing::Item;
use yuming_core::promotion::Purchase;
pub use yuming_store::CheckoutOrderRow;

use super::domains::{
    Agreed, RegisterInput, apply_coupon, parse_nameservers, register_at, require_owned_contact,
    unavailable_error, years_error,
};
use crate::platform::audit::{self, Change};
use crate::platform::crypto::new_id;
use crate::platform::error::ErrorKind;
use crate::registrar::catalogue as stored_catalogue;
use crate::registrar::{RegistrarError, pricing};
use crate::{App, AppError, RequestContext};

/// How long an order holds its names, prices and coupon uses unpaid (as long as a payment
/// stays open at the gateway).
pub const ORDER_TTL_SECS: i64 = crate::billing::payments::PAYMENT_TTL_SECS;
/// Most names in one order.
pub const MAX_ORDER_ITEMS: usize = 50;
/// After this long a claimed fulfilment is taken to have crashed and is run again.
const STALE_CLAIM_SECS: i64 = 600;

crate::platform::error::error_enum! {
    /// What checkout orders refuse.
    pub enum CheckoutError {
        /// No names, or too many.
        ItemCount = BadRequest("INVALID_ORDER_ITEMS", field = "items") => (
            format!("an order has 1 to {MAX_ORDER_ITEMS} names"),
            format!("每个订单包含 1 到 {MAX_ORDER_ITEMS} 个域名"),
        ),
        /// The same name twice.
        Duplicate { name: String } = BadRequest("DUPLICATE_ORDER_ITEM", field = "items") => (
            format!("{name} is in the order twice"),
            format!("{name} 在订单中重复"),
        ),
        /// A name that cannot be registered now.
        NotAvailable { name: String, reason: String } = Conflict("ORDER_ITEM_UNAVAILABLE", field = "items") => (
            format!("{name} cannot be registered: {reason}"),
            format!("{name} 无法注册：{reason}"),
        ),
        /// Nothing to pay: register from the balance instead.
        NothingDue = BadRequest("ORDER_NOTHING_DUE", field = "items") => (
            "this order costs nothing; register the names directly",
            "该订单无需支付，请直接注册",
        ),
        /// The order is not awaiting payment (so it cannot be cancelled).
        NotAwaitingPayment = Conflict("ORDER_NOT_PAYABLE") => (
            "this order is no longer awaiting payment",
            "该订单已不在待支付状态",
        ),
    }
}

/// One name to order.
#[derive(Debug, Clone)]
pub struct CheckoutItemInput {
    /// The name, Unicode or A-label.
    pub name: String,
    /// Term in years.
    pub years: u32,
    /// Registrant contact of the caller's tenant.
    pub registrant_contact_id: String,
    /// Nameservers (the platform's when absent).
    pub nameservers: Option<Vec<String>>,
    /// Automatic renewal.
    pub auto_renew: bool,
}

/// One name of a stored order, with its agreed price and, once fulfilled, its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutItem {
    /// A-label.
    pub name: String,
    /// Unicode form.
    pub unicode: String,
    /// Term in years.
    pub years: u32,
    /// Registrant contact.
    pub registrant_contact_id: String,
    /// Nameservers as given.
    pub nameservers: Option<Vec<String>>,
    /// Automatic renewal.
    pub auto_renew: bool,
    /// The catalogue's price, minor units.
    pub list: i64,
    /// What is charged, minor units.
    pub price: i64,
    /// What the coupon took off, minor units.
    pub discount: i64,
    /// The coupon taken for it.
    pub coupon_id: Option<String>,
    /// `registered` or `failed`, once fulfilled.
    pub outcome: Option<String>,
    /// The error code of a failed registration.
    pub error: Option<String>,
    /// The charge's ledger order.
    pub ledger_order: Option<String>,
}

/// A checkout order with its items.
#[derive(Debug, Clone)]
pub struct CheckoutOrder {
    /// The stored row.
    pub row: CheckoutOrderRow,
    /// Its items.
    pub items: Vec<CheckoutItem>,
}

impl CheckoutOrder {
    fn of(row: CheckoutOrderRow) -> Result<CheckoutOrder, AppError> {
        let items = serde_json::from_str(&row.items)
            .map_err(|e| AppError::internal(format!("stored order items: {e}")))?;
        Ok(CheckoutOrder { row, items })
    }

    /// What is due.
    pub fn amount(&self) -> Result<Money, AppError> {
        crate::billing::payments::stored_money(self.row.amount, &self.row.currency)
    }
}

fn items_json(items: &[CheckoutItem]) -> Result<String, AppError> {
    serde_json::to_string(items).map_err(|e| AppError::internal(format!("order items: {e}")))
}

/// Places an order for `items` (with `coupon` applied to each, if given): quotes each name
/// at the caller's price, holds the names and takes the coupon uses, all or nothing.
pub async fn place(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    items: Vec<CheckoutItemInput>,
    coupon: Option<&str>,
) -> Result<CheckoutOrder, AppError> {
    actor.require(Right::DomainsManage)?;
    actor.require(Right::BillingPay)?;
    if items.is_empty() || items.len() > MAX_ORDER_ITEMS {
        return Err(CheckoutError::ItemCount.into());
    }
    let names: Vec<String> = items.iter().map(|i| i.name.clone()).collect();
    let checked = super::domains::check(app, &names).await?;
    let catalogue = stored_catalogue::current(app).await?;
    let book = pricing::book(app).await?;
    let now = app.now();
    let expires_at = now.0 + ORDER_TTL_SECS;
    let id = new_id("chk");
    let mut seen = std::collections::BTreeSet::new();
    let mut prepared = Vec::with_capacity(items.len());
    for (input, found) in items.into_iter().zip(checked) {
        let Some((unicode, ascii)) = found.name.clone() else {
            return Err(CheckoutError::NotAvailable {
                name: input.name,
                reason: found.reason.unwrap_or("INVALID_SYNTAX").to_owned(),
            }
            .into());
        };
        if !found.available {
            return Err(CheckoutError::NotAvailable {
                name: unicode,
                reason: found.reason.unwrap_or("UNAVAILABLE").to_owned(),
            }
            .into());
        }
        if !seen.insert(ascii.clone()) {
            return Err(CheckoutError::Duplicate { name: unicode }.into());
        }
        let registrable = catalogue.registrable(&ascii).map_err(unavailable_error)?;
        registrable
            .tld
            .check_years(input.years)
            .map_err(years_error)?;
        if let Some(list) = &input.nameservers {
            parse_nameservers(list)?;
        }
        prepared.push((
            input,
            unicode,
            ascii,
            registrable.prices,
            registrable.premium,
        ));
    }

    let mut tx = app.db().write().await?;
    let mut total: Option<Money> = None;
    let mut stored = Vec::with_capacity(prepared.len());
    for (input, unicode, ascii, prices, premium) in &prepared {
        require_owned_contact(&mut tx, actor, &input.registrant_contact_id).await?;
        let tld = ascii.rsplit('.').next().unwrap_or_default();
        let quote = pricing::quote_in(
            &mut tx,
            &book,
            &actor.tenant_id,
            Item {
                prices,
                premium: *premium,
                tld,
                operation: Operation::Register,
                years: input.years,
            },
            now,
        )
        .await?;
        let purchase = Purchase {
            tld,
            operation: Operation::Register,
            price: quote.price,
            first_year: quote.first_year,
        };
        let (charged, taken) =
            apply_coupon(&mut tx, &actor.tenant_id, coupon, &purchase, now).await?;
        let coupon_id = match &taken {
            Some(taken) => {
                super::coupons::record(&mut tx, taken, &actor.tenant_id, &id, now).await?;
                Some(taken.coupon_id().to_owned())
            }
            None => None,
        };
        total = Some(match total {
            None => charged,
            Some(sum) => sum
                .checked_add(charged)
                .map_err(|e| AppError::internal(format!("order total: {e}")))?,
        });
        stored.push(CheckoutItem {
            name: ascii.clone(),
            unicode: unicode.clone(),
            years: input.years,
            registrant_contact_id: input.registrant_contact_id.clone(),
            nameservers: input.nameservers.clone(),
            auto_renew: input.auto_renew,
            list: quote.list.minor(),
            price: charged.minor(),
            discount: quote.price.minor() - charged.minor(),
            coupon_id,
            outcome: None,
            error: None,
            ledger_order: None,
        });
    }
    let total = total.unwrap_or(Money::zero(Currency::Cny));
    if !total.is_positive() {
        return Err(CheckoutError::NothingDue.into());
    }
    let row = CheckoutOrderRow {
        id: id.clone(),
        owner_id: actor.tenant_id.clone(),
        actor_id: actor.account_id.clone(),
        status: "awaiting_payment".into(),
        amount: total.minor(),
        currency: total.currency().code().to_owned(),
        items: items_json(&stored)?,
        created_at: now.0,
        expires_at,
        paid_at: None,
        payment_id: None,
        claimed_at: None,
        finished_at: None,
        updated_at: now.0,
    };
    tx.insert_checkout_order(&row).await?;
    for item in &stored {
        if !tx
            .hold_name(&item.name, &id, &actor.tenant_id, expires_at, now.0)
            .await?
        {
            return Err(RegistrarError::HeldForOrder.into());
        }
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "checkout.place",
            object_type: "checkout_order",
            object_id: &id,
            tenant: &actor.tenant_id,
            before: serde_json::Value::Null,
            after: json!({ "amount": row.amount, "currency": row.currency, "names": stored.iter().map(|i| i.name.as_str()).collect::<Vec<_>>(), "expires_at": expires_at }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(CheckoutOrder { row, items: stored })
}

/// One order of the actor's tenant.
pub async fn get(app: &App, actor: &Actor, id: &str) -> Result<CheckoutOrder, AppError> {
    let mut tx = app.db().read().await?;
    let row = tx.checkout_order(id).await?;
    tx.commit().await?;
    let row = row
        .filter(|r| actor.authorize(&r.owner_id, Right::BillingRead).is_ok())
        .ok_or_else(AppError::not_found)?;
    CheckoutOrder::of(row)
}

/// The order a payment of the actor's tenant is for, if any.
pub async fn of_payment(
    app: &App,
    actor: &Actor,
    payment_id: &str,
) -> Result<Option<CheckoutOrder>, AppError> {
    let mut tx = app.db().read().await?;
    let id = tx.checkout_order_of_payment(payment_id).await?;
    let row = match id {
        Some(id) => tx.checkout_order(&id).await?,
        None => None,
    };
    tx.commit().await?;
    row.filter(|r| actor.authorize(&r.owner_id, Right::BillingRead).is_ok())
        .map(CheckoutOrder::of)
        .transpose()
}

/// The tenant's orders, newest first.
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<CheckoutOrder>, AppError> {
    actor.require(Right::BillingRead)?;
    let mut tx = app.db().read().await?;
    let rows = tx.checkout_orders_of(&actor.tenant_id, 100).await?;
    tx.commit().await?;
    rows.into_iter().map(CheckoutOrder::of).collect()
}

/// Releases what an unpaid order holds and moves it to `expired`; `false` when it was not
/// awaiting payment any more.
async fn release(
    app: &App,
    ctx: &RequestContext,
    actor_id: &str,
    id: &str,
    action: &'static str,
) -> Result<bool, AppError> {
    let now = app.now();
    let mut tx = app.db().write().await?;
    let Some(row) = tx.checkout_order(id).await? else {
        return Ok(false);
    };
    if !tx
        .move_checkout_order(id, "awaiting_payment", "expired", now.0)
        .await?
    {
        return Ok(false);
    }
    let order = CheckoutOrder::of(row)?;
    tx.release_order_holds(id).await?;
    for item in &order.items {
        if let Some(coupon_id) = &item.coupon_id {
            tx.give_back_coupon_use(coupon_id, &order.row.owner_id, id)
                .await?;
        }
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        actor_id,
        Change {
            action,
            object_type: "checkout_order",
            object_id: id,
            tenant: &order.row.owner_id,
            before: json!({ "status": "awaiting_payment" }),
            after: json!({ "status": "expired" }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Cancels an unpaid order of the actor's tenant, releasing its names and coupon uses.
pub async fn cancel(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<(), AppError> {
    let order = get(app, actor, id).await?;
    actor.authorize(&order.row.owner_id, Right::BillingPay)?;
    if release(app, ctx, &actor.account_id, id, "checkout.cancel").await? {
        Ok(())
    } else {
        Err(CheckoutError::NotAwaitingPayment.into())
    }
}

/// Lapses every unpaid order past its expiry (scheduler); how many.
pub async fn expire_lapsed(app: &App) -> Result<usize, AppError> {
    let mut tx = app.db().read().await?;
    let ids = tx.lapsed_checkout_orders(app.now().0, 500).await?;
    tx.commit().await?;
    let ctx = RequestContext::internal("scheduler");
    let mut lapsed = 0;
    for id in ids {
        if release(app, &ctx, "scheduler", &id, "checkout.expire").await? {
            lapsed += 1;
        }
    }
    Ok(lapsed)
}

/// Fulfils every paid order (after a notify, and on every scheduler run); how many.
pub async fn fulfil_paid(app: &App) -> Result<usize, AppError> {
    let now = app.now();
    let mut tx = app.db().read().await?;
    let ids = tx
        .checkout_orders_to_fulfil(now.0 - STALE_CLAIM_SECS, 100)
        .await?;
    tx.commit().await?;
    let mut done = 0;
    for id in ids {
        if fulfil(app, &id).await? {
            done += 1;
        }
    }
    Ok(done)
}

/// Registers the names of one paid order at their agreed prices; `false` when another
/// runner has it.
async fn fulfil(app: &App, id: &str) -> Result<bool, AppError> {
    let now = app.now();
    let mut tx = app.db().write().await?;
    if !tx
        .claim_checkout_order(id, now.0, now.0 - STALE_CLAIM_SECS)
        .await?
    {
        return Ok(false);
    }
    let row = tx
        .checkout_order(id)
        .await?
        .ok_or_else(|| AppError::internal("a claimed order vanished"))?;
    tx.commit().await?;
    let mut order = CheckoutOrder::of(row)?;
    let actor = crate::accounts::stored_actor(app, &order.row.actor_id).await?;
    let ctx = RequestContext::internal("checkout");
    let currency = Currency::parse(&order.row.currency)
        .map_err(|_| AppError::internal("stored order currency"))?;
    for index in 0..order.items.len() {
        if order.items[index].outcome.is_some() {
            continue;
        }
        let item = order.items[index].clone();
        let input = RegisterInput {
            name: item.name.clone(),
            years: item.years,
            registrant_contact_id: item.registrant_contact_id.clone(),
            nameservers: item.nameservers.clone(),
            auto_renew: item.auto_renew,
            coupon: None,
        };
        let agreed = Agreed {
            price: Money::new(item.price, currency),
            list: Money::new(item.list, currency),
            discount: Money::new(item.discount, currency),
            checkout_order: id,
        };
        let outcome = register_at(app, &ctx, &actor, input, Some(agreed)).await;
        let slot = &mut order.items[index];
        match outcome {
            Ok(receipt) => {
                slot.outcome = Some("registered".into());
                slot.ledger_order = Some(receipt.order_id);
            }
            Err(e)
                if e.code == "REGISTERED"
                    && owned_by(app, &item.name, &order.row.owner_id).await? =>
            {
                // Registered by an earlier run that crashed before recording it.
                slot.outcome = Some("registered".into());
            }
            Err(e) if matches!(e.kind, ErrorKind::Internal | ErrorKind::Unavailable) => {
                return Err(e);
            }
            Err(e) => {
                tracing::warn!(order = %id, name = %item.name, code = %e.code, "checkout item not registered");
                slot.outcome = Some("failed".into());
                slot.error = Some(e.code.to_string());
            }
        }
        let mut tx = app.db().write().await?;
        tx.set_checkout_items(id, &items_json(&order.items)?, app.now().0)
            .await?;
        tx.commit().await?;
    }
    let failed = order
        .items
        .iter()
        .filter(|i| i.outcome.as_deref() == Some("failed"))
        .count();
    let status = if failed == 0 {
        "fulfilled"
    } else {
        "partly_fulfilled"
    };
    let mut tx = app.db().write().await?;
    tx.move_checkout_order(id, "fulfilling", status, app.now().0)
        .await?;
    tx.release_order_holds(id).await?;
    audit::record(
        app,
        &mut tx,
        &ctx,
        "checkout",
        Change {
            action: "checkout.fulfil",
            object_type: "checkout_order",
            object_id: id,
            tenant: &order.row.owner_id,
            before: json!({ "status": "paid" }),
            after: json!({ "status": status, "failed": failed }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

async fn owned_by(app: &App, name: &str, owner: &str) -> Result<bool, AppError> {
    let mut tx = app.db().read().await?;
    let row = tx.domain_by_name(name).await?;
    tx.commit().await?;
    Ok(row.is_some_and(|r| r.owner_id == owner && r.purged_at.is_none()))
}
