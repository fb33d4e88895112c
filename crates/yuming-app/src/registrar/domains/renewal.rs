//! Renewal paid from the balance, within the lifecycle's limits.

use serde_json::json;
use yuming_core::access::{Actor, Right};
use yuming_core::catalogue::{Catalogue, Operation, TldPolicy};
use yuming_core::lifecycle::{self};
use yuming_core::pricing::Item;
use yuming_core::promotion::Purchase;
use yuming_core::rules::domain_name::{DomainName, DomainPolicy};
use yuming_store::{DomainRow, Tx};

use super::records::{apply_record, lifecycle_error, record_of, view_of, years_error};
use super::registration::{Receipt, apply_coupon, held_change, record_change};
use crate::billing::{BalanceOrder, pay_order};
use crate::registrar::catalogue as stored_catalogue;
use crate::registrar::pricing;
use crate::{App, AppError, RequestContext};

/// Normalises a name given in a URL or body to its A-label, for lookups.
pub(crate) fn ascii_of(name: &str) -> Result<String, AppError> {
    DomainName::parse(name, &DomainPolicy::GENERIC)
        .map(|v| v.value.ascii().to_owned())
        .map_err(|_| AppError::not_found())
}

/// Loads a domain the actor may act on with `right`, locked for update; another tenant's
/// name is `NOT_FOUND`.
pub(crate) async fn load_for_update<'c>(
    tx: &mut Tx,
    catalogue: &'c Catalogue,
    actor: &Actor,
    name: &str,
    right: Right,
) -> Result<(DomainRow, &'c TldPolicy), AppError> {
    let ascii = ascii_of(name)?;
    let row = tx
        .domain_by_name_for_update(&ascii)
        .await?
        .ok_or_else(AppError::not_found)?;
    actor.authorize(&row.owner_id, right)?;
    let tld = catalogue
        .tld(&row.tld)
        .ok_or_else(|| AppError::internal(format!("TLD {} left the catalogue", row.tld)))?;
    Ok((row, tld))
}

/// Renews a domain for `years`, charging the balance; never beyond ten years from now.
pub async fn renew(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    name: &str,
    years: u32,
) -> Result<Receipt, AppError> {
    renew_with_coupon(app, ctx, actor, name, years, None).await
}

/// [`renew`] with a coupon code applied to the price.
pub async fn renew_with_coupon(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    name: &str,
    years: u32,
    coupon: Option<&str>,
) -> Result<Receipt, AppError> {
    actor.require(Right::BillingPay)?;
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    let book = crate::registrar::pricing::book(app).await?;
    let mut tx = app.db().write().await?;
    let (mut row, tld) =
        load_for_update(&mut tx, &catalogue, actor, name, Right::DomainsManage).await?;
    tld.check_years(years).map_err(years_error)?;
    let before = record_of(&row)?;
    let renewed = lifecycle::renew(&before, &tld.periods, years, now).map_err(lifecycle_error)?;
    let label = row.name.split('.').next().unwrap_or_default().to_owned();
    let (prices, premium) = tld.prices_for(&label);
    let previous_expiry = row.expires_at;
    apply_record(&mut row, &renewed);
    row.updated_at = now.0;
    app.registry(&tld.registry)?.renew(&mut tx, &row).await?;
    let quote = pricing::quote_in(
        &mut tx,
        &book,
        &row.owner_id,
        Item {
            prices: &prices,
            premium,
            tld: &tld.ascii,
            operation: Operation::Renew,
            years,
        },
        now,
    )
    .await?;
    let amount = quote.price;
    let purchase = Purchase {
        tld: &tld.ascii,
        operation: Operation::Renew,
        price: amount,
        first_year: quote.first_year,
    };
    let owner = row.owner_id.clone();
    let (charged, coupon) = apply_coupon(&mut tx, &owner, coupon, &purchase, now).await?;
    let (order_id, balance) = pay_order(
        &mut tx,
        BalanceOrder {
            owner_id: &row.owner_id,
            actor_id: &actor.account_id,
            kind: "renew",
            domain_name: &row.name,
            years: Some(i64::from(years)),
            amount: charged,
            memo: format!("renew {} {years}y", row.name),
            detail: json!({ "previous_expires_at": previous_expiry, "expires_at": row.expires_at, "list_price": quote.list.minor(), "price": amount.minor(), "adjustment": quote.adjustment.code(), "coupon": coupon.as_ref().map(|c| c.discount.minor()) }),
        },
        now,
    )
    .await?;
    let coupon_summary = match &coupon {
        Some(taken) => {
            crate::registrar::coupons::record(&mut tx, taken, &owner, &order_id, now).await?
        }
        None => serde_json::Value::Null,
    };
    let summary = json!({ "years": years, "expires_at": row.expires_at, "order_id": order_id, "amount": charged.minor(), "coupon": coupon_summary });
    record_change(
        app,
        &mut tx,
        ctx,
        actor,
        &row,
        "domain.renew",
        Some(&order_id),
        json!({ "expires_at": previous_expiry }),
        summary,
        now,
    )
    .await?;
    let domain = view_of(&mut tx, &row, tld, now).await?;
    tx.commit().await?;
    app.availability().note(held_change(&row));
    Ok(Receipt {
        domain,
        order_id,
        charged,
        discount: amount.checked_sub(charged).unwrap_or(amount),
        list: quote.list,
        balance,
    })
}
