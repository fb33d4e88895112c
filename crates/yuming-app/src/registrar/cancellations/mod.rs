//! Safe cancellation (注销): one guided flow per request, for 1 to 50 domains of a tenant.
//!
//! The checklist is confirmed step by step, in order: `status` (the domains can be deleted
//! now, and what a delete would refund), `filings` (no ICP filing depends on them, asked of
//! [`FilingDependencies`]), `export` (the data archive was offered, see [`crate::registrar::export`]),
//! `final_notice` (the user was told, by notice, that cancellation is irreversible; an
//! e-mailed confirmation code is issued then for accounts without TOTP). `submit` takes the
//! TOTP or e-mailed code (and, where the TLD asks, a document for Chinese IDNs, stored
//! encrypted) and queues the request for staff. A reviewer rejects with a reason or
//! approves; approval deletes each domain through `lifecycle::delete` in its own
//! transaction, clears its delegation, refunds the registration minus the handling fee only
//! inside the add grace period, and records a 30-day window in which the released name is
//! watched for stray traffic. Nothing here is reversible.

mod review;
mod stray_traffic;
mod submission;

pub use review::{decide, document, review_queue};
pub use stray_traffic::{monitored_names, record_stray_traffic};
pub use submission::{Submission, submit};

use serde_json::json;
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::lifecycle::{self, RefundedOperation, RgpStatus};
use yuming_core::money::{Currency, Money};
use yuming_store::{CancellationDomainRow, CancellationRow, DomainRow, Tx};

use crate::notify::flow_notices::notify;
use crate::platform::crypto::{new_id, random_bytes};
use crate::registrar::RegistrarError;
use crate::registrar::catalogue as stored_catalogue;
use crate::registrar::domains::{self, lifecycle_error, record_change};
use crate::registrar::export::{self, ArchiveFormat};
use crate::{App, AppError, RequestContext};

/// Most domains in one cancellation request.
pub const MAX_DOMAINS: usize = 50;
/// The checklist, in the order it is confirmed.
pub const STEPS: [&str; 4] = ["status", "filings", "export", "final_notice"];
/// Days a cancelled name is watched for stray traffic.
pub const MONITOR_DAYS: i64 = 30;
/// Lifetime of an e-mailed confirmation code.
const CODE_TTL_SECS: i64 = 30 * 60;
/// Wrong confirmation codes per request per hour.
const CODE_ATTEMPTS: i64 = 5;
/// Largest supporting document.
pub const MAX_DOCUMENT_BYTES: usize = 2 * 1024 * 1024;
/// What the API says about every cancellation.
pub const IRREVERSIBLE: &str = "Cancellation is irreversible: once approved, the domains are \
    deleted and cannot be restored through this platform. 注销不可撤销：审核通过后域名即被删除，无法恢复。";

/// An ICP filing that depends on a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependentFiling {
    /// The filing or licence number.
    pub number: String,
    /// What the user must do (unbind the site, cancel the filing).
    pub note: String,
}

/// Withdraws what DNS publishes for a cancelled domain, in the deleting transaction: the
/// delegation (nameservers) and the hosted zone with its records.
async fn clear_dns(app: &App, tx: &mut Tx, row: &mut DomainRow) -> Result<(), AppError> {
    app.domain_hooks().deleting(tx, row).await?;
    row.nameservers.clear();
    Ok(())
}

/// One domain of a request as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancellationDomainView {
    /// A-label.
    pub name: String,
    /// Lifecycle phase now.
    pub phase: String,
    /// What approval would refund now (registration minus fee inside the add grace period).
    pub refund_preview: Option<Money>,
    /// ICP filings that depend on it.
    pub filings: Vec<DependentFiling>,
    /// After the decision: `deleted` or the error code that kept it.
    pub result: Option<String>,
    /// End of the stray-traffic watch.
    pub monitor_until: Option<Timestamp>,
    /// DNS queries for the name counted during the watch: traffic that still expects it.
    pub stray_queries: i64,
    /// When the last of them arrived.
    pub last_stray_at: Option<Timestamp>,
}

/// A cancellation request as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CancellationView {
    /// Opaque id.
    pub id: String,
    /// `draft`, `submitted`, `approved`, `rejected`.
    pub status: String,
    /// Steps confirmed so far.
    pub confirmed_steps: Vec<String>,
    /// The next step to confirm, while a draft.
    pub next_step: Option<String>,
    /// Whether submission needs TOTP (else the e-mailed code).
    pub requires_totp: bool,
    /// Whether submission needs a supporting document.
    pub requires_document: bool,
    /// Whether one was uploaded.
    pub document_uploaded: bool,
    /// The domains.
    pub domains: Vec<CancellationDomainView>,
    /// A rejection's reason.
    pub reason: Option<String>,
    /// Always the irreversibility warning.
    pub warning: &'static str,
}

fn steps_of(row: &CancellationRow) -> Vec<String> {
    row.steps
        .split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn is_chinese_idn(name: &str) -> bool {
    name.split('.')
        .next()
        .is_some_and(|l| l.starts_with("xn--"))
}

/// The refund a delete would earn now under the cancellation rule: the registration minus
/// the handling fee inside the add grace period, nothing otherwise.
async fn refund_due(
    app: &App,
    tx: &mut Tx,
    row: &DomainRow,
    decision: &lifecycle::DeleteDecision,
) -> Result<Option<Money>, AppError> {
    let in_add_grace = decision.refunds.iter().any(|r| {
        r.grace == RgpStatus::AddPeriod
            && matches!(r.operation, RefundedOperation::Registration { .. })
    });
    if !in_add_grace {
        return Ok(None);
    }
    let Some(order) = tx.latest_order_for_domain(&row.name, "register").await? else {
        return Ok(None);
    };
    let currency = Currency::parse(&order.currency)
        .map_err(|_| AppError::internal(format!("stored currency {}", order.currency)))?;
    let fee = app.settings().cancellation_fee_minor.min(order.amount);
    Ok(Some(Money::new(order.amount - fee, currency)))
}

async fn view_of(
    app: &App,
    tx: &mut Tx,
    row: &CancellationRow,
    domains_rows: &[CancellationDomainRow],
) -> Result<CancellationView, AppError> {
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    let account = tx.account_by_id(&row.requested_by).await?;
    let mut views = Vec::with_capacity(domains_rows.len());
    let mut requires_document = false;
    for d in domains_rows {
        let live = tx
            .domain_by_name(&d.domain_name)
            .await?
            .filter(|r| r.id == d.domain_id);
        let (phase, refund_preview, filings) = match &live {
            Some(r) => {
                let tld = catalogue.tld(&r.tld).ok_or_else(|| {
                    AppError::internal(format!("TLD {} left the catalogue", r.tld))
                })?;
                requires_document |= tld.cancellation_idn_document && is_chinese_idn(&r.name);
                let record = domains::record_of(r)?;
                let projection =
                    lifecycle::project(&record, &tld.periods, now).map_err(lifecycle_error)?;
                let refund = match (
                    row.status.as_str(),
                    lifecycle::can_delete(&record, &tld.periods, now),
                ) {
                    ("draft" | "submitted", Ok(decision)) => {
                        refund_due(app, tx, r, &decision).await?
                    }
                    _ => None,
                };
                (
                    projection.phase.as_str().to_owned(),
                    refund,
                    app.domain_hooks().dependent_filings(tx, r).await?,
                )
            }
            None => ("released".to_owned(), None, Vec::new()),
        };
        views.push(CancellationDomainView {
            name: d.domain_name.clone(),
            phase,
            refund_preview,
            filings,
            result: d.result.clone(),
            monitor_until: d.monitor_until.map(Timestamp),
            stray_queries: d.stray_queries,
            last_stray_at: d.last_stray_at.map(Timestamp),
        });
    }
    let confirmed = steps_of(row);
    let next_step = (row.status == "draft")
        .then(|| STEPS.get(confirmed.len()).map(|s| (*s).to_owned()))
        .flatten();
    Ok(CancellationView {
        id: row.id.clone(),
        status: row.status.clone(),
        confirmed_steps: confirmed,
        next_step,
        requires_totp: account.is_some_and(|a| a.totp_enabled),
        requires_document,
        document_uploaded: row.document_sealed.is_some(),
        domains: views,
        reason: row.reason.clone(),
        warning: IRREVERSIBLE,
    })
}

/// Checks that one domain can be cancelled by `actor`'s tenant now; another tenant's is
/// `NOT_FOUND`.
async fn check_cancellable(
    app: &App,
    tx: &mut Tx,
    actor: &Actor,
    name: &str,
) -> Result<DomainRow, AppError> {
    let catalogue = stored_catalogue::current(app).await?;
    let ascii = domains::ascii_of(name)?;
    let row = tx
        .domain_by_name(&ascii)
        .await?
        .ok_or_else(AppError::not_found)?;
    actor.authorize(&row.owner_id, Right::DomainsManage)?;
    let tld = catalogue
        .tld(&row.tld)
        .ok_or_else(|| AppError::internal(format!("TLD {} left the catalogue", row.tld)))?;
    let record = domains::record_of(&row)?;
    lifecycle::can_delete(&record, &tld.periods, app.now()).map_err(lifecycle_error)?;
    if tx.open_cancellation_of(&row.id).await?.is_some() {
        return Err(RegistrarError::CancellationPending { name: row.name }.into());
    }
    Ok(row)
}

/// Whether one domain could join a cancellation request now (batch pre-check).
pub async fn check_only(app: &App, actor: &Actor, name: &str) -> Result<(), AppError> {
    actor.require(Right::DomainsManage)?;
    let mut tx = app.db().read().await?;
    check_cancellable(app, &mut tx, actor, name).await?;
    tx.commit().await?;
    Ok(())
}

/// Starts a cancellation request for `names` (1 to 50 of the caller's domains). Any name
/// that cannot be cancelled fails the request with its code and `names[i]`; nothing is
/// written then.
pub async fn create(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    names: &[String],
) -> Result<CancellationView, AppError> {
    actor.require(Right::DomainsManage)?;
    if names.is_empty() || names.len() > MAX_DOMAINS {
        return Err(RegistrarError::CancellationSize.into());
    }
    let now = app.now();
    let mut tx = app.db().write().await?;
    let mut rows: Vec<DomainRow> = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let row = match check_cancellable(app, &mut tx, actor, name).await {
            Ok(row) => row,
            // Another tenant's name stays a plain 404, without a field that confirms it.
            Err(e) if e.code == "NOT_FOUND" => return Err(e),
            Err(e) => return Err(e.with_field(format!("names[{i}]"))),
        };
        if rows.iter().any(|r| r.id == row.id) {
            continue;
        }
        rows.push(row);
    }
    let id = new_id("can");
    let cancellation = CancellationRow {
        id: id.clone(),
        owner_id: actor.tenant_id.clone(),
        requested_by: actor.account_id.clone(),
        status: "draft".into(),
        steps: String::new(),
        code_sealed: None,
        code_expires_at: None,
        document_sealed: None,
        document_name: None,
        reason: None,
        created_at: now.0,
        submitted_at: None,
        decided_at: None,
        decided_by: None,
        updated_at: now.0,
    };
    let domain_rows: Vec<CancellationDomainRow> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| CancellationDomainRow {
            cancellation_id: id.clone(),
            position: i64::try_from(i).unwrap_or(0),
            domain_id: r.id.clone(),
            domain_name: r.name.clone(),
            result: None,
            refund_order_id: None,
            monitor_until: None,
            stray_queries: 0,
            last_stray_at: None,
        })
        .collect();
    tx.insert_cancellation(&cancellation, &domain_rows).await?;
    for row in &rows {
        record_change(
            app,
            &mut tx,
            ctx,
            actor,
            row,
            "domain.cancellation_start",
            None,
            serde_json::Value::Null,
            json!({ "cancellation_id": id }),
            now,
        )
        .await?;
    }
    let view = view_of(app, &mut tx, &cancellation, &domain_rows).await?;
    tx.commit().await?;
    Ok(view)
}

async fn load(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    right: Right,
) -> Result<(CancellationRow, Vec<CancellationDomainRow>), AppError> {
    let (row, domains) = tx
        .cancellation_by_id(id)
        .await?
        .ok_or_else(AppError::not_found)?;
    actor.authorize(&row.owner_id, right)?;
    Ok((row, domains))
}

/// A request of the caller's tenant (or any, for reviewers).
pub async fn get(app: &App, actor: &Actor, id: &str) -> Result<CancellationView, AppError> {
    let mut tx = app.db().read().await?;
    let (row, domains) = match load(&mut tx, actor, id, Right::DomainsRead).await {
        Err(e) if e.code == "NOT_FOUND" && actor.rights.contains(Right::ReviewQueue) => tx
            .cancellation_by_id(id)
            .await?
            .ok_or_else(AppError::not_found)?,
        other => other?,
    };
    let view = view_of(app, &mut tx, &row, &domains).await?;
    tx.commit().await?;
    Ok(view)
}

fn not_draft() -> AppError {
    AppError::from(RegistrarError::NotADraft)
}

/// Confirms the next checklist step. `filings` is refused while a filing depends on a
/// domain; `final_notice` sends the final notice and, for accounts without TOTP, the
/// e-mailed confirmation code.
pub async fn confirm_step(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    step: &str,
) -> Result<CancellationView, AppError> {
    let now = app.now();
    let mut tx = app.db().write().await?;
    let (mut row, domain_rows) = load(&mut tx, actor, id, Right::DomainsManage).await?;
    if row.status != "draft" {
        return Err(not_draft());
    }
    let mut confirmed = steps_of(&row);
    let expected = STEPS.get(confirmed.len()).copied();
    if !STEPS.contains(&step) {
        return Err(RegistrarError::UnknownStep.into());
    }
    if expected != Some(step) {
        return Err(RegistrarError::StepOutOfOrder {
            expected: expected.unwrap_or("submit"),
        }
        .into());
    }
    let view = view_of(app, &mut tx, &row, &domain_rows).await?;
    match step {
        "status" => {
            if let Some(gone) = view
                .domains
                .iter()
                .find(|d| !matches!(d.phase.as_str(), "active" | "auto_renew_grace"))
            {
                return Err(RegistrarError::NotCancellable {
                    name: gone.name.clone(),
                    phase: gone.phase.clone(),
                }
                .into());
            }
        }
        "filings" => {
            if let Some(bound) = view.domains.iter().find(|d| !d.filings.is_empty()) {
                return Err(RegistrarError::FilingsBound {
                    name: bound.name.clone(),
                }
                .into());
            }
        }
        "final_notice" => {
            let detail = json!({ "cancellation_id": row.id, "domains": view.domains.iter().map(|d| &d.name).collect::<Vec<_>>(), "warning": IRREVERSIBLE });
            notify(
                &mut tx,
                &row.owner_id,
                "cancellation.final_notice",
                &detail,
                now,
            )
            .await?;
            if !view.requires_totp {
                let code = confirmation_code();
                row.code_sealed = Some(app.cipher().seal(code.as_bytes(), &code_context(&row.id)));
                row.code_expires_at = Some(now.0 + CODE_TTL_SECS);
                notify(
                    &mut tx,
                    &row.owner_id,
                    "cancellation.confirmation_code",
                    &json!({ "cancellation_id": row.id, "code": code, "expires_at": now.0 + CODE_TTL_SECS }),
                    now,
                )
                .await?;
            }
        }
        _ => {}
    }
    confirmed.push(step.to_owned());
    row.steps = confirmed.join(",");
    row.updated_at = now.0;
    tx.update_cancellation(&row).await?;
    crate::platform::audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        crate::platform::audit::Change {
            action: "cancellation.step",
            object_type: "cancellation",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: serde_json::Value::Null,
            after: json!({ "step": step }),
        },
    )
    .await?;
    let view = view_of(app, &mut tx, &row, &domain_rows).await?;
    tx.commit().await?;
    Ok(view)
}

fn code_context(id: &str) -> String {
    format!("cancellation.code:{id}")
}

fn document_context(id: &str) -> String {
    format!("cancellation.document:{id}")
}

/// Eight decimal digits.
fn confirmation_code() -> String {
    let bytes = random_bytes::<8>();
    let n = u64::from_le_bytes(bytes) % 100_000_000;
    format!("{n:08}")
}

/// The data export of a request's domains, as an archive.
pub async fn export_archive(
    app: &App,
    actor: &Actor,
    id: &str,
    format: ArchiveFormat,
) -> Result<Vec<u8>, AppError> {
    let mut tx = app.db().read().await?;
    let (row, domain_rows) = load(&mut tx, actor, id, Right::DomainsRead).await?;
    let mut live = Vec::new();
    for d in &domain_rows {
        if let Some(r) = tx
            .domain_by_name(&d.domain_name)
            .await?
            .filter(|r| r.id == d.domain_id)
        {
            live.push(r);
        }
    }
    let files = export::collect(app, &mut tx, &row.owner_id, &live).await?;
    tx.commit().await?;
    export::archive(&files, format, app.now().0)
}
