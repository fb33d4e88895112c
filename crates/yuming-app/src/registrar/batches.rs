//! Batch operations over up to 50 domains: register (the console's checkout), renew,
//! auto-renew on/off, nameservers, lock/unlock, cancel. The request is checked and stored with one pending item per domain,
//! then a background task works through the items; each item runs as its own use case in its
//! own transaction, so a failed item is never charged and never undoes another. Progress and
//! per-item results live in the database, so any instance answers `get`.
//!
//! Also the per-domain auto-renew settings (on/off and the threshold in days before expiry).

use serde_json::json;
use yuming_core::access::{Actor, AuthMethod, Right};
use yuming_core::clock::Timestamp;
use yuming_store::{BatchItemRow, BatchRow};

use crate::platform::crypto::new_id;
use crate::registrar::RegistrarError;
use crate::registrar::catalogue as stored_catalogue;
use crate::registrar::domains::{self, DomainUpdate, load_for_update, record_change};
use crate::{App, AppError, RequestContext};

/// Most domains per batch.
pub const MAX_BATCH: usize = 50;
/// How long a worker holds a running batch without finishing an item before the jobs take
/// it over.
pub const BATCH_LEASE_SECS: i64 = 300;
/// Largest auto-renew threshold, in days before expiry.
pub const MAX_RENEW_DAYS_BEFORE: u32 = 60;

/// What a batch does to each domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOperation {
    /// Renew for `years`.
    Renew {
        /// Years.
        years: u32,
    },
    /// Turn automatic renewal on or off.
    AutoRenew {
        /// On or off.
        enabled: bool,
    },
    /// Replace the nameservers.
    Nameservers {
        /// The new list.
        nameservers: Vec<String>,
    },
    /// Set (`true`) or clear the registrar lock.
    Lock {
        /// Lock or unlock.
        locked: bool,
    },
    /// Start one cancellation request (注销) for every domain that can be cancelled; it
    /// continues through its checklist like any other.
    Cancel,
    /// Register each name (a checkout): its own term, one registrant, optional nameservers,
    /// automatic renewal on or off. Each name is charged in its own transaction.
    Register(RegisterOrder),
}

/// What a checkout registers: the terms per name and what every name shares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterOrder {
    /// Years per name (A-label or Unicode, as given); a name not listed gets one year.
    pub years: std::collections::BTreeMap<String, u32>,
    /// The registrant contact of every name.
    pub registrant_contact_id: String,
    /// Nameservers, or the platform's.
    pub nameservers: Option<Vec<String>>,
    /// Automatic renewal.
    pub auto_renew: bool,
    /// A coupon code applied to each name (each takes one use).
    pub coupon: Option<String>,
}

impl BatchOperation {
    fn name(&self) -> &'static str {
        match self {
            BatchOperation::Renew { .. } => "renew",
            BatchOperation::AutoRenew { .. } => "auto_renew",
            BatchOperation::Nameservers { .. } => "nameservers",
            BatchOperation::Lock { locked: true } => "lock",
            BatchOperation::Lock { locked: false } => "unlock",
            BatchOperation::Cancel => "cancel",
            BatchOperation::Register(_) => "register",
        }
    }
}

/// One item's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchItemView {
    /// The domain as given.
    pub domain: String,
    /// `pending`, `succeeded`, `failed`.
    pub status: String,
    /// The error code of a failure.
    pub code: Option<String>,
    /// The error message, or for `cancel` the cancellation request id.
    pub message: Option<String>,
    /// A failure's message in Chinese.
    pub message_zh: Option<String>,
    /// The order of a paid item.
    pub order_id: Option<String>,
}

/// A batch's progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchView {
    /// Opaque id.
    pub id: String,
    /// The operation.
    pub operation: String,
    /// `running` or `completed`.
    pub status: String,
    /// Items.
    pub total: usize,
    /// Items finished.
    pub done: usize,
    /// Items that failed.
    pub failed: usize,
    /// Per item, in request order.
    pub items: Vec<BatchItemView>,
    /// When requested.
    pub created_at: Timestamp,
    /// When finished.
    pub finished_at: Option<Timestamp>,
}

fn view(row: &BatchRow, items: &[BatchItemRow]) -> BatchView {
    BatchView {
        id: row.id.clone(),
        operation: row.operation.clone(),
        status: row.status.clone(),
        total: items.len(),
        done: items.iter().filter(|i| i.status != "pending").count(),
        failed: items.iter().filter(|i| i.status == "failed").count(),
        items: items
            .iter()
            .map(|i| BatchItemView {
                domain: i.domain_name.clone(),
                status: i.status.clone(),
                code: i.code.clone(),
                message: i.message.clone(),
                message_zh: i.message_zh.clone(),
                order_id: i.order_id.clone(),
            })
            .collect(),
        created_at: Timestamp(row.created_at),
        finished_at: row.finished_at.map(Timestamp),
    }
}

/// Checks and stores a batch, then starts its work in the background; returns at once with
/// every item pending. More than 50 domains is `TOO_MANY_DOMAINS` and nothing is stored.
pub async fn start(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    operation: BatchOperation,
    names: Vec<String>,
) -> Result<BatchView, AppError> {
    actor.require(Right::DomainsManage)?;
    if names.is_empty() || names.len() > MAX_BATCH {
        return Err(RegistrarError::BatchSize { got: names.len() }.into());
    }
    // Parameters are checked once, up front, so that a bad one fails the whole request.
    match &operation {
        BatchOperation::Renew { years } => {
            actor.require(Right::BillingPay)?;
            if !(1..=10).contains(years) {
                return Err(RegistrarError::InvalidYears.into());
            }
        }
        BatchOperation::Nameservers { nameservers } => {
            domains::parse_nameservers(nameservers)?;
        }
        BatchOperation::Register(order) => {
            actor.require(Right::BillingPay)?;
            if order.years.values().any(|y| !(1..=10).contains(y)) {
                return Err(RegistrarError::InvalidYears.into());
            }
            if let Some(nameservers) = &order.nameservers {
                domains::parse_nameservers(nameservers)?;
            }
        }
        _ => {}
    }
    let now = app.now();
    let row = BatchRow {
        id: new_id("bat"),
        owner_id: actor.tenant_id.clone(),
        actor_id: actor.account_id.clone(),
        operation: operation.name().into(),
        params: match &operation {
            BatchOperation::Renew { years } => json!({ "years": years }),
            BatchOperation::AutoRenew { enabled } => json!({ "enabled": enabled }),
            BatchOperation::Nameservers { nameservers } => json!({ "nameservers": nameservers }),
            BatchOperation::Register(order) => json!({
                "years": order.years,
                "registrant_contact_id": order.registrant_contact_id,
                "nameservers": order.nameservers,
                "auto_renew": order.auto_renew,
                "coupon": order.coupon,
            }),
            _ => json!({}),
        }
        .to_string(),
        status: "running".into(),
        total: i64::try_from(names.len()).unwrap_or(0),
        created_at: now.0,
        finished_at: None,
    };
    let items: Vec<BatchItemRow> = names
        .iter()
        .enumerate()
        .map(|(i, name)| BatchItemRow {
            batch_id: row.id.clone(),
            position: i64::try_from(i).unwrap_or(0),
            domain_name: name.clone(),
            status: "pending".into(),
            code: None,
            message: None,
            message_zh: None,
            order_id: None,
        })
        .collect();
    let holder = new_id("wrk");
    let mut tx = app.db().write().await?;
    tx.insert_batch(&row, &items).await?;
    tx.lease_batch(&row.id, &holder, now.0 + BATCH_LEASE_SECS)
        .await?;
    crate::platform::audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        crate::platform::audit::Change {
            action: "batch.start",
            object_type: "batch",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: serde_json::Value::Null,
            after: json!({ "operation": row.operation, "domains": names }),
        },
    )
    .await?;
    tx.commit().await?;
    let started = view(&row, &items);
    let (app, ctx, actor) = (app.clone(), ctx.clone(), actor.clone());
    tokio::spawn(async move {
        if let Err(error) = run(&app, &ctx, &actor, &operation, &row.id, &holder, items).await {
            // The lease runs out and the jobs resume the batch.
            tracing::error!(%error, batch = %row.id, "batch stopped; the jobs resume it");
        }
    });
    Ok(started)
}

/// Resumes batches whose instance stopped working on them (their lease ran out): claims up
/// to `limit` under a lease for `holder` and finishes their pending items, each exactly once.
/// Returns how many batches it finished.
pub async fn resume_stalled(app: &App, holder: &str, limit: i64) -> Result<usize, AppError> {
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    let ids = tx
        .claim_stalled_batches(now, holder, now + BATCH_LEASE_SECS, limit)
        .await?;
    tx.commit().await?;
    let mut finished = 0;
    for id in ids {
        let mut tx = app.db().read().await?;
        let found = tx.batch_by_id(&id).await?;
        let actor = match &found {
            Some((row, _)) => {
                crate::accounts::actor_of_account(&mut tx, &row.actor_id, AuthMethod::System)
                    .await?
            }
            None => None,
        };
        tx.commit().await?;
        let Some((row, items)) = found else { continue };
        let pending: Vec<BatchItemRow> = items
            .into_iter()
            .filter(|i| i.status == "pending")
            .collect();
        let ctx = RequestContext::internal(&format!("{}/resume", row.id));
        let outcome = match (actor, operation_of(&row)) {
            (Some(actor), Some(operation)) => {
                run(app, &ctx, &actor, &operation, &row.id, holder, pending).await
            }
            // The account was closed, or the row is unreadable: the items cannot run.
            (actor, _) => {
                let error = match actor {
                    None => AppError::from(RegistrarError::AccountInactive),
                    Some(_) => {
                        AppError::internal(format!("batch {} has unknown parameters", row.id))
                    }
                };
                for item in pending {
                    finish_item(app, &failed(item, &error), &row.id, holder).await?;
                }
                let mut tx = app.db().write().await?;
                tx.finish_batch(&row.id, app.now().0).await?;
                tx.commit().await?;
                Ok(())
            }
        };
        match outcome {
            Ok(()) => finished += 1,
            Err(error) => tracing::warn!(%error, batch = %row.id, "resumed batch stopped"),
        }
    }
    Ok(finished)
}

/// The operation a stored batch row describes.
fn operation_of(row: &BatchRow) -> Option<BatchOperation> {
    let params: serde_json::Value = serde_json::from_str(&row.params).ok()?;
    Some(match row.operation.as_str() {
        "renew" => BatchOperation::Renew {
            years: u32::try_from(params.get("years")?.as_u64()?).ok()?,
        },
        "auto_renew" => BatchOperation::AutoRenew {
            enabled: params.get("enabled")?.as_bool()?,
        },
        "nameservers" => BatchOperation::Nameservers {
            nameservers: params
                .get("nameservers")?
                .as_array()?
                .iter()
                .filter_map(|n| n.as_str().map(str::to_owned))
                .collect(),
        },
        "lock" => BatchOperation::Lock { locked: true },
        "unlock" => BatchOperation::Lock { locked: false },
        "cancel" => BatchOperation::Cancel,
        "register" => BatchOperation::Register(RegisterOrder {
            years: params
                .get("years")?
                .as_object()?
                .iter()
                .filter_map(|(name, y)| Some((name.clone(), u32::try_from(y.as_u64()?).ok()?)))
                .collect(),
            registrant_contact_id: params.get("registrant_contact_id")?.as_str()?.to_owned(),
            nameservers: match params.get("nameservers") {
                Some(serde_json::Value::Array(list)) => Some(
                    list.iter()
                        .filter_map(|n| n.as_str().map(str::to_owned))
                        .collect(),
                ),
                _ => None,
            },
            auto_renew: params.get("auto_renew")?.as_bool()?,
            coupon: params
                .get("coupon")
                .and_then(|c| c.as_str())
                .map(str::to_owned),
        }),
        _ => return None,
    })
}

/// The request id an item's use case runs under: its audit entry, written in the same
/// transaction as its effect, then proves that it committed.
fn item_request_id(batch_id: &str, position: i64) -> String {
    format!("{batch_id}/{position}")
}

/// Whether the use case run under `request_id` committed, with its audit entry's object id
/// and after-summary.
async fn committed(app: &App, request_id: &str) -> Result<Option<(String, String)>, AppError> {
    let mut tx = app.db().read().await?;
    let entry = tx.audit_entry_of_request(request_id).await?;
    tx.commit().await?;
    Ok(entry)
}

/// Records an item's outcome and renews the batch's lease, in one transaction.
async fn finish_item(
    app: &App,
    item: &BatchItemRow,
    batch_id: &str,
    holder: &str,
) -> Result<(), AppError> {
    let mut tx = app.db().write().await?;
    tx.finish_batch_item(item).await?;
    tx.lease_batch(batch_id, holder, app.now().0 + BATCH_LEASE_SECS)
        .await?;
    tx.commit().await?;
    Ok(())
}

fn failed(mut item: BatchItemRow, error: &AppError) -> BatchItemRow {
    item.status = "failed".into();
    item.code = Some(error.code.to_owned());
    item.message = Some(error.message.clone());
    item.message_zh = Some(error.message_zh.clone());
    item
}

/// Works through `items` (the pending ones of batch `batch_id`), renewing the lease after
/// each. An item whose use case already committed (its audit entry exists: the previous
/// worker stopped before recording it) is recorded as succeeded, not run again.
async fn run(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    operation: &BatchOperation,
    batch_id: &str,
    holder: &str,
    items: Vec<BatchItemRow>,
) -> Result<(), AppError> {
    if *operation == BatchOperation::Cancel {
        let request_id = format!("{batch_id}/cancel");
        if let Some((cancellation_id, _)) = committed(app, &request_id).await? {
            for mut item in items {
                item.status = "succeeded".into();
                item.message = Some(cancellation_id.clone());
                finish_item(app, &item, batch_id, holder).await?;
            }
        } else {
            // Each name is checked alone; the ones that pass form one cancellation request.
            let mut passing = Vec::new();
            for item in &items {
                let single =
                    crate::registrar::cancellations::check_only(app, actor, &item.domain_name)
                        .await;
                match single {
                    Ok(()) => passing.push(item.clone()),
                    Err(error) => {
                        finish_item(app, &failed(item.clone(), &error), batch_id, holder).await?
                    }
                }
            }
            if !passing.is_empty() {
                let names: Vec<String> = passing.iter().map(|i| i.domain_name.clone()).collect();
                let item_ctx = RequestContext {
                    request_id,
                    ..ctx.without_idempotency()
                };
                match crate::registrar::cancellations::create(app, &item_ctx, actor, &names).await {
                    Ok(request) => {
                        for mut item in passing {
                            item.status = "succeeded".into();
                            item.message = Some(request.id.clone());
                            finish_item(app, &item, batch_id, holder).await?;
                        }
                    }
                    Err(error) => {
                        for item in passing {
                            finish_item(app, &failed(item, &error), batch_id, holder).await?;
                        }
                    }
                }
            }
        }
    } else {
        for mut item in items {
            let name = item.domain_name.clone();
            let request_id = item_request_id(batch_id, item.position);
            if let Some((_, after)) = committed(app, &request_id).await? {
                item.status = "succeeded".into();
                item.order_id = serde_json::from_str::<serde_json::Value>(&after)
                    .ok()
                    .and_then(|v| {
                        v.get("order_id")
                            .and_then(|o| o.as_str())
                            .map(str::to_owned)
                    });
                finish_item(app, &item, batch_id, holder).await?;
                continue;
            }
            let ctx = &RequestContext {
                request_id,
                ..ctx.without_idempotency()
            };
            let outcome = match operation {
                BatchOperation::Renew { years } => domains::renew(app, ctx, actor, &name, *years)
                    .await
                    .map(|receipt| Some(receipt.order_id)),
                BatchOperation::AutoRenew { enabled } => {
                    set_auto_renew(app, ctx, actor, &name, Some(*enabled), None)
                        .await
                        .map(|_| None)
                }
                BatchOperation::Nameservers { nameservers } => domains::update(
                    app,
                    ctx,
                    actor,
                    &name,
                    DomainUpdate {
                        nameservers: Some(nameservers.clone()),
                        ..DomainUpdate::default()
                    },
                )
                .await
                .map(|_| None),
                BatchOperation::Lock { locked } => domains::update(
                    app,
                    ctx,
                    actor,
                    &name,
                    DomainUpdate {
                        locked: Some(*locked),
                        ..DomainUpdate::default()
                    },
                )
                .await
                .map(|_| None),
                BatchOperation::Cancel => Ok(None),
                BatchOperation::Register(order) => domains::register(
                    app,
                    ctx,
                    actor,
                    domains::RegisterInput {
                        name: name.clone(),
                        years: order.years.get(&name).copied().unwrap_or(1),
                        registrant_contact_id: order.registrant_contact_id.clone(),
                        nameservers: order.nameservers.clone(),
                        auto_renew: order.auto_renew,
                        coupon: order.coupon.clone(),
                    },
                )
                .await
                .map(|receipt| Some(receipt.order_id)),
            };
            item = match outcome {
                Ok(order_id) => {
                    item.status = "succeeded".into();
                    item.order_id = order_id;
                    item
                }
                Err(error) => failed(item, &error),
            };
            finish_item(app, &item, batch_id, holder).await?;
        }
    }
    let mut tx = app.db().write().await?;
    tx.finish_batch(batch_id, app.now().0).await?;
    tx.commit().await?;
    Ok(())
}

/// A batch of the caller's tenant; another tenant's is `NOT_FOUND`.
pub async fn get(app: &App, actor: &Actor, id: &str) -> Result<BatchView, AppError> {
    let mut tx = app.db().read().await?;
    let found = tx.batch_by_id(id).await?;
    tx.commit().await?;
    let (row, items) = found.ok_or_else(AppError::not_found)?;
    actor.authorize(&row.owner_id, Right::DomainsRead)?;
    Ok(view(&row, &items))
}

/// A domain's automatic-renewal settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoRenewView {
    /// A-label.
    pub name: String,
    /// On or off.
    pub enabled: bool,
    /// Days before expiry at which the scheduler renews (0: on the day of expiry).
    pub days_before: u32,
}

/// Reads a domain's automatic-renewal settings.
pub async fn auto_renew(app: &App, actor: &Actor, name: &str) -> Result<AutoRenewView, AppError> {
    let view = domains::get(app, actor, name).await?;
    let mut tx = app.db().read().await?;
    let row = tx
        .domain_by_name(&view.ascii)
        .await?
        .ok_or_else(AppError::not_found)?;
    let days = tx.auto_renew_days_before(&row.id).await?.unwrap_or(0);
    tx.commit().await?;
    Ok(AutoRenewView {
        name: row.name,
        enabled: row.auto_renew,
        days_before: u32::try_from(days).unwrap_or(0),
    })
}

/// Turns automatic renewal on or off and/or sets its threshold (0 to 60 days before
/// expiry), in one transaction with one audit entry.
pub async fn set_auto_renew(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    name: &str,
    enabled: Option<bool>,
    days_before: Option<u32>,
) -> Result<AutoRenewView, AppError> {
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    let mut tx = app.db().write().await?;
    let (mut row, tld) =
        load_for_update(&mut tx, &catalogue, actor, name, Right::DomainsManage).await?;
    if let Some(days) = days_before
        && days > MAX_RENEW_DAYS_BEFORE
    {
        return Err(RegistrarError::InvalidRenewThreshold.into());
    }
    let mut record = domains::updatable_record(&row, tld, now)?;
    let previous_days = tx.auto_renew_days_before(&row.id).await?.unwrap_or(0);
    let before = json!({ "auto_renew": row.auto_renew, "days_before": previous_days });
    if let Some(enabled) = enabled {
        record.auto_renew = enabled;
    }
    domains::apply_record(&mut row, &record);
    row.updated_at = now.0;
    app.registry(&tld.registry)?.update(&mut tx, &row).await?;
    let days = days_before.map_or(previous_days, i64::from);
    tx.set_auto_renew_days_before(&row.id, days, now.0).await?;
    let after = json!({ "auto_renew": row.auto_renew, "days_before": days });
    record_change(
        app,
        &mut tx,
        ctx,
        actor,
        &row,
        "domain.auto_renew",
        None,
        before,
        after,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(AutoRenewView {
        name: row.name,
        enabled: row.auto_renew,
        days_before: u32::try_from(days).unwrap_or(0),
    })
}
