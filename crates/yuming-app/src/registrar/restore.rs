//! Restore of a deleted domain during redemption (RFC 3915): the restore fee plus the
//! renewal the lifecycle says is due, charged in the same transaction as the restore.

use serde_json::json;
use yuming_core::access::{Actor, Right};
use yuming_core::catalogue::{self, Operation};
use yuming_core::lifecycle::{self, Charge};
use yuming_core::money::Money;

use crate::billing::{BalanceOrder, pay_order};
use crate::registrar::catalogue as stored_catalogue;
use crate::registrar::domains::{
    self, Receipt, held_change, lifecycle_error, load_for_update, record_change, view_of,
};
use crate::{App, AppError, RequestContext};

/// Restores `name` from redemption, charging the restore fee and any renewal year due.
/// Outside redemption: `RESTORE_OUTSIDE_REDEMPTION`, nothing changed, nothing charged.
pub async fn restore(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    name: &str,
) -> Result<Receipt, AppError> {
    actor.require(Right::BillingPay)?;
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    let mut tx = app.db().write().await?;
    let (mut row, tld) =
        load_for_update(&mut tx, &catalogue, actor, name, Right::DomainsManage).await?;
    let record = domains::record_of(&row)?;
    let decision = lifecycle::can_restore(&record, &tld.periods, now).map_err(lifecycle_error)?;
    let restored = lifecycle::restore(&record, &tld.periods, now).map_err(lifecycle_error)?;
    let label = row.name.split('.').next().unwrap_or_default().to_owned();
    let (prices, _) = tld.prices_for(&label);
    let mut amount: Option<Money> = None;
    for item in &decision.charges {
        let part = match item {
            Charge::RestoreFee => catalogue::price(&prices, Operation::Restore, 1),
            Charge::Renewal { years } => catalogue::price(&prices, Operation::Renew, *years),
        }
        .map_err(|e| AppError::internal(format!("price: {e}")))?;
        amount = Some(match amount {
            None => part,
            Some(sum) => sum
                .checked_add(part)
                .map_err(|e| AppError::internal(format!("price: {e}")))?,
        });
    }
    let amount = amount.ok_or_else(|| AppError::internal("a restore without a charge"))?;
    let previous_expiry = row.expires_at;
    domains::apply_record(&mut row, &restored);
    row.updated_at = now.0;
    app.registry(&tld.registry)?.update(&mut tx, &row).await?;
    let (order_id, balance) = pay_order(
        &mut tx,
        BalanceOrder {
            owner_id: &row.owner_id,
            actor_id: &actor.account_id,
            kind: "restore",
            domain_name: &row.name,
            years: Some(i64::from(decision.renewal_years())),
            amount,
            memo: format!("restore {}", row.name),
            detail: json!({ "previous_expires_at": previous_expiry, "expires_at": row.expires_at }),
        },
        now,
    )
    .await?;
    record_change(
        app,
        &mut tx,
        ctx,
        actor,
        &row,
        "domain.restore",
        Some(&order_id),
        json!({ "expires_at": previous_expiry }),
        json!({ "expires_at": row.expires_at, "order_id": order_id, "amount": amount.minor() }),
        now,
    )
    .await?;
    let domain = view_of(&mut tx, &row, tld, now).await?;
    tx.commit().await?;
    app.availability().note(held_change(&row));
    Ok(Receipt {
        domain,
        order_id,
        charged: amount,
        discount: Money::zero(amount.currency()),
        list: amount,
        balance,
    })
}
