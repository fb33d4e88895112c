//! Registration paid from the balance in one transaction: the charge, the booking, the auth code,
//! the held-name index and the history.

use serde_json::json;
use yuming_core::access::{Actor, Right};
use yuming_core::catalogue::{Catalogue, Operation};
use yuming_core::clock::Timestamp;
use yuming_core::lifecycle::DomainRecord;
use yuming_core::money::Money;
use yuming_core::pricing::Item;
use yuming_core::promotion::Purchase;
use yuming_core::rules::domain_name::DomainName;
use yuming_store::{DomainHistoryEntry, DomainRow, HeldName, HeldNameChange, Tx};

use super::records::{
    DomainView, apply_record, holds, lifecycle_error, parse_nameservers, project_row,
    unavailable_error, view, years_error,
};
use super::search::is_released;
use crate::billing::{BalanceOrder, pay_order};
use crate::platform::audit::{self, Change};
use crate::platform::crypto::{new_id, random_token};
use crate::registrar::RegistrarError;
use crate::registrar::catalogue as stored_catalogue;
use crate::registrar::pricing;
use crate::{App, AppError, RequestContext};

/// A registration request.
#[derive(Debug, Clone)]
pub struct RegisterInput {
    /// The name, Unicode or A-label.
    pub name: String,
    /// Term in years.
    pub years: u32,
    /// Registrant contact of the caller's tenant.
    pub registrant_contact_id: String,
    /// Nameservers: the platform's when absent; an empty list registers the name without
    /// any (it does not resolve).
    pub nameservers: Option<Vec<String>>,
    /// Automatic renewal.
    pub auto_renew: bool,
    /// A coupon code to apply.
    pub coupon: Option<String>,
}

/// The result of a paid operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The domain after the operation.
    pub domain: DomainView,
    /// The order.
    pub order_id: String,
    /// What was charged.
    pub charged: Money,
    /// What a coupon took off the price (zero without one).
    pub discount: Money,
    /// The catalogue's price for the term, before promotions, levels, tiers and coupons.
    pub list: Money,
    /// The balance afterwards.
    pub balance: Money,
}

pub(crate) fn auth_code_context(domain_id: &str) -> String {
    format!("domain.auth_code:{domain_id}")
}

/// A new random auth code: 16 characters from an unambiguous alphabet, with every class EPP
/// registries commonly require.
pub(crate) fn new_auth_code() -> String {
    format!("Ym-{}9a", random_token::<12>())
}

/// Registers a name for `years`, charging the balance; all or nothing.
pub async fn register(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    input: RegisterInput,
) -> Result<Receipt, AppError> {
    register_at(app, ctx, actor, input, None).await
}

/// A price agreed before: a checkout order's, paid through a gateway (its coupon, if any,
/// was taken when the order was placed).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Agreed<'a> {
    /// What to charge.
    pub price: Money,
    /// The list price it came from.
    pub list: Money,
    /// What the order's coupon took off.
    pub discount: Money,
    /// The checkout order.
    pub checkout_order: &'a str,
}

/// [`register`] at the current price, or at a price `agreed` before.
pub(crate) async fn register_at(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    input: RegisterInput,
    agreed: Option<Agreed<'_>>,
) -> Result<Receipt, AppError> {
    actor.require(Right::DomainsManage)?;
    actor.require(Right::BillingPay)?;
    let catalogue = stored_catalogue::current(app).await?;
    let registrable = catalogue
        .registrable(&input.name)
        .map_err(unavailable_error)?;
    let tld = registrable.tld;
    tld.check_years(input.years).map_err(years_error)?;
    // Absent means the platform's nameservers; an explicit empty list is kept, so that a name
    // can be registered not resolving (e.g. while its ICP filing is pending).
    let nameservers = match &input.nameservers {
        Some(list) => parse_nameservers(list)?,
        None => app.settings().default_nameservers.clone(),
    };
    let now = app.now();
    let record = DomainRecord::register(input.years, &tld.periods, now).map_err(lifecycle_error)?;
    let connector = app.registry(&tld.registry)?;

    let id = new_id("dom");
    let auth_code = app
        .cipher()
        .seal(new_auth_code().as_bytes(), &auth_code_context(&id));
    let mut row = DomainRow {
        id: id.clone(),
        name: registrable.name.ascii().to_owned(),
        unicode_name: registrable.name.unicode().to_owned(),
        tld: tld.ascii.clone(),
        variant_key: registrable.name.variant_key(),
        owner_id: actor.tenant_id.clone(),
        registrant_contact_id: input.registrant_contact_id.clone(),
        registry: tld.registry.clone(),
        flags: String::new(),
        nameservers: nameservers.join(","),
        auth_code_sealed: auth_code,
        auto_renew: input.auto_renew,
        needs_review: registrable.needs_review,
        created_at: now.0,
        expires_at: 0,
        registered_years: 0,
        last_renewal_at: None,
        last_renewal_years: None,
        last_renewal_kind: None,
        last_renewal_prev_expiry: None,
        last_transferred_at: None,
        pending_transfer_since: None,
        deleted_at: None,
        restored_at: None,
        purged_at: None,
        updated_at: now.0,
    };
    let mut record = record;
    record.auto_renew = input.auto_renew;
    apply_record(&mut row, &record);

    crate::registrar::availability::fresh(app).await?;
    let book = crate::registrar::pricing::book(app).await?;
    let mut tx = app.db().write().await?;
    let registrant_verified =
        require_owned_contact(&mut tx, actor, &input.registrant_contact_id).await?;
    // Only a name the index knows as held can need releasing first (the index holds every
    // row older than its last poll, and releasing takes months); the registry's own check and
    // unique indexes still catch anything newer.
    let (by_name, by_variant) = app
        .availability()
        .lookup(registrable.name.ascii(), &registrable.name.variant_key());
    if by_name.is_some() || by_variant.is_some() {
        release_if_expired(&mut tx, &catalogue, &registrable.name, now).await?;
    }
    connector.create(&mut tx, &row).await?;
    app.domain_hooks().registered(&mut tx, &row, now).await?;
    // A name a live checkout order holds is kept for that order's customer.
    if let Some(holder) = tx.name_held_for(&row.name, now.0).await?
        && holder != actor.tenant_id
    {
        return Err(RegistrarError::HeldForOrder.into());
    }
    let (list, amount, charged, coupon) = match agreed {
        Some(agreed) => (
            agreed.list,
            agreed
                .price
                .checked_add(agreed.discount)
                .unwrap_or(agreed.price),
            agreed.price,
            None,
        ),
        None => {
            let quote = pricing::quote_in(
                &mut tx,
                &book,
                &actor.tenant_id,
                Item {
                    prices: &registrable.prices,
                    premium: registrable.premium,
                    tld: &tld.ascii,
                    operation: Operation::Register,
                    years: input.years,
                },
                now,
            )
            .await?;
            let purchase = Purchase {
                tld: &tld.ascii,
                operation: Operation::Register,
                price: quote.price,
                first_year: quote.first_year,
            };
            let (charged, coupon) = apply_coupon(
                &mut tx,
                &actor.tenant_id,
                input.coupon.as_deref(),
                &purchase,
                now,
            )
            .await?;
            (quote.list, quote.price, charged, coupon)
        }
    };
    let (order_id, balance) = pay_order(
        &mut tx,
        BalanceOrder {
            owner_id: &actor.tenant_id,
            actor_id: &actor.account_id,
            kind: "register",
            domain_name: &row.name,
            years: Some(i64::from(input.years)),
            amount: charged,
            memo: format!("register {} {}y", row.name, input.years),
            detail: json!({ "premium": registrable.premium, "unicode": row.unicode_name, "list_price": list.minor(), "price": amount.minor(), "coupon": coupon.as_ref().map(|c| c.discount.minor()), "checkout_order": agreed.map(|a| a.checkout_order) }),
        },
        now,
    )
    .await?;
    let coupon_summary = match &coupon {
        Some(taken) => {
            crate::registrar::coupons::record(&mut tx, taken, &actor.tenant_id, &order_id, now)
                .await?
        }
        None => serde_json::Value::Null,
    };
    let summary = json!({ "name": row.unicode_name, "years": input.years, "expires_at": row.expires_at, "order_id": order_id, "amount": charged.minor(), "coupon": coupon_summary });
    record_change(
        app,
        &mut tx,
        ctx,
        actor,
        &row,
        "domain.register",
        Some(&order_id),
        serde_json::Value::Null,
        summary,
        now,
    )
    .await?;
    let projection = project_row(&row, tld, now)?;
    let domain = view(
        &row,
        &projection,
        holds(&row, tld, registrant_verified, now),
    );
    tx.commit().await?;
    app.availability().note(held_change(&row));
    Ok(Receipt {
        domain,
        order_id,
        charged,
        discount: amount.checked_sub(charged).unwrap_or(amount),
        list,
        balance,
    })
}

/// Takes the coupon `code` (if any) for `purchase` in `tx`: the price to charge, and the
/// coupon to record against the order.
pub(crate) async fn apply_coupon(
    tx: &mut Tx,
    tenant: &str,
    code: Option<&str>,
    purchase: &Purchase<'_>,
    now: Timestamp,
) -> Result<(Money, Option<crate::registrar::coupons::Taken>), AppError> {
    let Some(code) = code.filter(|c| !c.trim().is_empty()) else {
        return Ok((purchase.price, None));
    };
    let taken = crate::registrar::coupons::take(tx, tenant, code, purchase, now).await?;
    let charged = purchase
        .price
        .checked_sub(taken.discount)
        .map_err(|e| AppError::internal(format!("discount: {e}")))?;
    Ok((charged, Some(taken)))
}

/// The registrant contact must exist in the actor's tenant; another tenant's contact is not
/// found. Real-name verification is not needed to register: an unverified name is held
/// (serverHold) per its TLD's policy until the contact is verified. Returns whether it is
/// verified.
pub(crate) async fn require_owned_contact(
    tx: &mut Tx,
    actor: &Actor,
    contact_id: &str,
) -> Result<bool, AppError> {
    match tx.contact_by_id(contact_id).await? {
        Some(contact)
            if actor
                .authorize(&contact.owner_id, Right::DomainsManage)
                .is_ok() =>
        {
            Ok(contact.verification_status == "verified")
        }
        _ => Err(RegistrarError::ContactNotFound.into()),
    }
}

/// Purges a row whose name the lifecycle has released, so the name can be taken again
/// even if the scheduler has not run yet.
async fn release_if_expired(
    tx: &mut Tx,
    catalogue: &Catalogue,
    name: &DomainName,
    now: Timestamp,
) -> Result<(), AppError> {
    let held = tx
        .held_names(&[name.ascii().to_owned()], &[name.variant_key()])
        .await?;
    for h in held {
        if is_released(&h, catalogue, now)
            && let Some(row) = tx.domain_by_name(&h.name).await?
        {
            tx.purge_domain(&row.id, now.0).await?;
        }
    }
    Ok(())
}

/// Appends the domain's history row and the audit entry of one change (the audit entry last,
/// as the chain requires). `action` is the audit action, `domain.<what>`.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site per use case, all named arguments"
)]
pub(crate) async fn record_change(
    app: &App,
    tx: &mut Tx,
    ctx: &RequestContext,
    actor: &Actor,
    row: &DomainRow,
    action: &str,
    order_id: Option<&str>,
    before: serde_json::Value,
    after: serde_json::Value,
    now: Timestamp,
) -> Result<(), AppError> {
    tx.append_domain_history(&DomainHistoryEntry {
        id: &new_id("dh"),
        domain_id: &row.id,
        action: action.strip_prefix("domain.").unwrap_or(action),
        actor: &actor.account_id,
        order_id,
        detail: &after.to_string(),
        at: now.0,
    })
    .await?;
    audit::record(
        app,
        tx,
        ctx,
        &actor.account_id,
        Change {
            action,
            object_type: "domain",
            object_id: &row.name,
            tenant: &row.owner_id,
            before,
            after,
        },
    )
    .await?;
    Ok(())
}

/// The availability index's view of a row just written.
pub(crate) fn held_change(row: &DomainRow) -> HeldNameChange {
    HeldNameChange {
        held: HeldName {
            name: row.name.clone(),
            variant_key: row.variant_key.clone(),
            owner_id: row.owner_id.clone(),
            tld: row.tld.clone(),
            created_at: row.created_at,
            expires_at: row.expires_at,
            deleted_at: row.deleted_at,
            restored_at: row.restored_at,
        },
        purged_at: row.purged_at,
        updated_at: row.updated_at,
    }
}
