//! The naming review (spec §3.1 RN-1): names held until a reviewer decides.

use serde_json::json;
use yuming_core::access::{Actor, Right};
use yuming_core::contact::{self, ContactError, ReviewDecision};
use yuming_core::money::Money;

use super::records::{DomainView, view_of};
use super::registration::{held_change, record_change};
use super::renewal::load_for_update;
use crate::billing::BalanceOrder;
use crate::registrar::RegistrarError;
use crate::registrar::catalogue as stored_catalogue;
use crate::{App, AppError, RequestContext};

/// Domains held for a naming review (spec §3.1 RN-1), oldest first. Reviewers only.
pub async fn naming_review_queue(
    app: &App,
    actor: &Actor,
    limit: i64,
) -> Result<Vec<DomainView>, AppError> {
    actor.require(Right::ReviewQueue)?;
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    let mut tx = app.db().read().await?;
    let rows = tx.domains_needing_review(limit).await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in &rows {
        let tld = catalogue
            .tld(&row.tld)
            .ok_or_else(|| AppError::internal(format!("TLD {} left the catalogue", row.tld)))?;
        views.push(view_of(&mut tx, row, tld, now).await?);
    }
    tx.commit().await?;
    Ok(views)
}

/// A reviewer's naming-review decision: approval lifts the hold; rejection deletes the new
/// registration at once and refunds it in full (RN-1), in one transaction.
pub async fn decide_naming_review(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    name: &str,
    decision: Option<&str>,
    reason: Option<&str>,
) -> Result<Option<DomainView>, AppError> {
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    let mut tx = app.db().write().await?;
    let (mut row, tld) =
        load_for_update(&mut tx, &catalogue, actor, name, Right::ReviewQueue).await?;
    actor.authorize_decision(&row.owner_id, Right::ReviewQueue)?;
    // The contact review queue's decision and reason rules, checked once the actor may see
    // the domain at all, so that a stranger gets 404 whatever the body says.
    let decision =
        ReviewDecision::parse(decision.unwrap_or_default()).ok_or(ContactError::UnknownDecision)?;
    let reason = contact::parse_review_reason(reason, decision)?;
    let reason = reason.as_deref();
    let approve = decision == ReviewDecision::Approve;
    if !row.needs_review {
        return Err(RegistrarError::NotUnderReview.into());
    }
    row.needs_review = false;
    row.updated_at = now.0;
    let mut refund_order = None;
    if !approve {
        row.purged_at = Some(now.0);
        if let Some(order) = tx.latest_order_for_domain(&row.name, "register").await? {
            let currency = yuming_core::money::Currency::parse(&order.currency)
                .map_err(|_| AppError::internal(format!("stored currency {}", order.currency)))?;
            let amount = Money::new(order.amount, currency);
            let order_id = crate::billing::refund_order(
                &mut tx,
                BalanceOrder {
                    owner_id: &row.owner_id,
                    actor_id: &actor.account_id,
                    kind: "refund",
                    domain_name: &row.name,
                    years: order.years,
                    amount,
                    memo: format!("naming review rejected {}", row.name),
                    detail: json!({ "refunds": order.id, "reason": reason }),
                },
                now,
            )
            .await?;
            refund_order = Some(order_id);
        }
    }
    app.registry(&tld.registry)?.update(&mut tx, &row).await?;
    let detail = json!({ "approved": approve, "reason": reason, "refund_order": refund_order });
    record_change(
        app,
        &mut tx,
        ctx,
        actor,
        &row,
        if approve {
            "domain.naming_review_approve"
        } else {
            "domain.naming_review_reject"
        },
        refund_order.as_deref(),
        json!({ "needs_review": true }),
        detail,
        now,
    )
    .await?;
    let view = if approve {
        Some(view_of(&mut tx, &row, tld, now).await?)
    } else {
        None
    };
    tx.commit().await?;
    app.availability().note(held_change(&row));
    Ok(view)
}
