//! The operator's rules table (per province and provider), the rules in force for an order,
//! and the blacklist of certificate numbers.

use serde_json::{Value, json};
use time::Date;
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::contact::IdType;
use yuming_core::filing::{RuleRow, RuleScope, RuleSet};
use yuming_core::rules::province;
use yuming_store::{FilingRuleRow, Tx};

use crate::filing::FilingError;
use crate::platform::audit::{self, Change};
use crate::platform::crypto::new_id;
use crate::{App, AppError, RequestContext};

use super::forms::Payload;
use super::shape::{bounded, masked, normalized, parse_id_type, parse_province};
use super::views::RuleView;
use super::{BLACKLIST_INDEX, PROVIDER};

/// A new rules-table row as submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInput {
    /// `national`, `province` or `provider`.
    pub scope: String,
    /// Province code or provider name (empty for national).
    pub scope_key: String,
    /// Rule key.
    pub key: String,
    /// Value.
    pub value: String,
    /// Source of the value.
    pub source: String,
    /// From when it applies.
    pub effective_from: Timestamp,
}

/// Adds a rules-table row (admin). Rows are versions: nothing is edited.
pub async fn add_rule(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    input: &RuleInput,
) -> Result<RuleView, AppError> {
    actor.require(Right::PlatformAdmin)?;
    let scope_ok = match input.scope.as_str() {
        "national" => input.scope_key.is_empty(),
        "province" => input
            .scope_key
            .parse::<u8>()
            .ok()
            .and_then(province::by_code)
            .is_some(),
        "provider" => !input.scope_key.trim().is_empty(),
        _ => false,
    };
    if !scope_ok {
        return Err(FilingError::InvalidScope.into());
    }
    bounded(&input.key, "key", 64)?;
    bounded(&input.value, "value", 4000)?;
    bounded(&input.source, "source", 500)?;
    let row = FilingRuleRow {
        id: new_id("fru"),
        scope: input.scope.clone(),
        scope_key: input.scope_key.clone(),
        rule_key: input.key.trim().to_owned(),
        value: input.value.trim().to_owned(),
        source: input.source.trim().to_owned(),
        effective_from: input.effective_from.0,
        created_at: app.now().0,
    };
    let mut tx = app.db().write().await?;
    tx.insert_filing_rule(&row).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.rule.add",
            object_type: "filing_rule",
            object_id: &row.id,
            tenant: "",
            before: Value::Null,
            after: json!({"scope": row.scope, "scope_key": row.scope_key, "key": row.rule_key,
                          "value": row.value, "effective_from": row.effective_from}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row.into())
}

/// Every rules-table row (admin).
pub async fn list_rules(app: &App, actor: &Actor) -> Result<Vec<RuleView>, AppError> {
    actor.require(Right::PlatformAdmin)?;
    let mut tx = app.db().read().await?;
    let rows = tx.filing_rules().await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(RuleView::from).collect())
}

/// Blacklists a person or certificate (admin) for proven false filing data.
pub async fn blacklist(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id_type: &str,
    number: &str,
    reason: &str,
) -> Result<(), AppError> {
    actor.require(Right::PlatformAdmin)?;
    let id_type = parse_id_type(id_type, "id_type")?;
    bounded(number, "number", 64)?;
    bounded(reason, "reason", 500)?;
    let today = app.now().date();
    let digest = blacklist_digest(app, id_type, number, today);
    let mut tx = app.db().write().await?;
    tx.insert_blacklist(&digest, reason.trim(), &actor.account_id, app.now().0)
        .await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.blacklist.add",
            object_type: "filing_blacklist",
            object_id: &digest,
            tenant: "",
            before: Value::Null,
            after: json!({"id_type": id_type.as_str(),
                          "masked": masked(id_type, number, today)}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Every index a blacklisted number may be stored under (across master-key rotations).
pub(super) fn blacklist_digests(
    app: &App,
    id_type: IdType,
    number: &str,
    today: Date,
) -> Vec<String> {
    app.cipher().blind_indexes(
        &format!(
            "{}:{}",
            id_type.as_str(),
            normalized(id_type, number, today)
        ),
        BLACKLIST_INDEX,
    )
}

fn blacklist_digest(app: &App, id_type: IdType, number: &str, today: Date) -> String {
    app.cipher().blind_index(
        &format!(
            "{}:{}",
            id_type.as_str(),
            normalized(id_type, number, today)
        ),
        BLACKLIST_INDEX,
    )
}

pub(super) async fn rules_for(
    tx: &mut Tx,
    payload: &Payload,
    now: Timestamp,
) -> Result<RuleSet, AppError> {
    let province = parse_province(&payload.entity.province)?;
    rules_for_province(tx, province, now).await
}

/// The rules in force for a province at `now`.
pub(super) async fn rules_for_province(
    tx: &mut Tx,
    province: u8,
    now: Timestamp,
) -> Result<RuleSet, AppError> {
    let rows = tx.filing_rules().await?;
    let rows: Vec<RuleRow> = rows
        .into_iter()
        .filter_map(|r| {
            let scope = match r.scope.as_str() {
                "national" => RuleScope::National,
                "province" => RuleScope::Province(r.scope_key.parse().ok()?),
                "provider" => RuleScope::Provider(r.scope_key.clone()),
                _ => return None,
            };
            Some(RuleRow {
                scope,
                key: r.rule_key,
                value: r.value,
                effective_from: Timestamp(r.effective_from),
            })
        })
        .collect();
    Ok(RuleSet::resolve(&rows, province, PROVIDER, now))
}
