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

use serde_json::json;
use subtle::ConstantTimeEq;
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::lifecycle::{self, RefundedOperation, RgpStatus};
use yuming_core::money::{self, Currency, HolderId, Money};
use yuming_core::totp;
use yuming_store::{CancellationDomainRow, CancellationRow, DomainRow, OrderRow, Tx};

use crate::notify::flow_notices::notify;
use crate::platform::crypto::{new_id, random_bytes};
use crate::registrar::catalogue as stored_catalogue;
use crate::registrar::domains::{self, lifecycle_error, record_change};
use crate::registrar::export::{self, ArchiveFormat};
use crate::registrar::registry::BoxFuture;
use crate::{App, AppError, ErrorKind, RequestContext, accounts::attempts};

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

/// Asks the ICP part which filings depend on a domain. The ICP module implements this; the
/// built-in [`NoFilingModule`] answers for a platform that has none.
pub trait FilingDependencies: Send + Sync {
    /// The filings that depend on `domain`.
    fn filings<'a>(
        &'a self,
        tx: &'a mut Tx,
        domain: &'a DomainRow,
    ) -> BoxFuture<'a, Result<Vec<DependentFiling>, AppError>>;
}

/// The answer of a platform without an ICP filing module: no filing can depend on anything.
pub struct NoFilingModule;

impl FilingDependencies for NoFilingModule {
    fn filings<'a>(
        &'a self,
        _tx: &'a mut Tx,
        _domain: &'a DomainRow,
    ) -> BoxFuture<'a, Result<Vec<DependentFiling>, AppError>> {
        Box::pin(async { Ok(Vec::new()) })
    }
}

/// The filing check in use: the platform's own ICP filing module.
pub fn filing_dependencies() -> Box<dyn FilingDependencies> {
    Box::new(crate::filing::dependencies::IcpFilings)
}

/// Withdraws what DNS publishes for a cancelled domain, in the deleting transaction: the
/// delegation (nameservers) and the hosted zone with its records.
async fn clear_dns(tx: &mut Tx, row: &mut DomainRow) -> Result<(), AppError> {
    crate::dns::remove_zone(tx, row).await?;
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
    let filings_check = filing_dependencies();
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
                    filings_check.filings(tx, r).await?,
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
        return Err(AppError::new(
            ErrorKind::Conflict,
            "CANCELLATION_PENDING",
            format!("{} is already in an open cancellation request", row.name),
            format!("{} 已在进行中的注销申请中", row.name),
        ));
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
        return Err(AppError::bad_request(
            "TOO_MANY_DOMAINS",
            format!("a request names 1 to {MAX_DOMAINS} domains"),
            format!("每次须包含 1 到 {MAX_DOMAINS} 个域名"),
        )
        .with_field("names"));
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
    AppError::new(
        ErrorKind::Conflict,
        "NOT_A_DRAFT",
        "this cancellation request is no longer a draft",
        "该注销申请已提交或已处理",
    )
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
        return Err(AppError::bad_request(
            "UNKNOWN_STEP",
            format!("steps are {}", STEPS.join(", ")),
            format!("步骤须为 {}", STEPS.join("、")),
        )
        .with_field("step"));
    }
    if expected != Some(step) {
        return Err(AppError::new(
            ErrorKind::Conflict,
            "STEP_OUT_OF_ORDER",
            format!("the next step is {}", expected.unwrap_or("submit")),
            format!("下一步应为 {}", expected.unwrap_or("submit")),
        )
        .with_field("step"));
    }
    let view = view_of(app, &mut tx, &row, &domain_rows).await?;
    match step {
        "status" => {
            if let Some(gone) = view
                .domains
                .iter()
                .find(|d| !matches!(d.phase.as_str(), "active" | "auto_renew_grace"))
            {
                return Err(AppError::new(
                    ErrorKind::Conflict,
                    "NOT_CANCELLABLE",
                    format!("{} is {} and cannot be cancelled", gone.name, gone.phase),
                    format!("{} 当前状态不可注销", gone.name),
                ));
            }
        }
        "filings" => {
            if let Some(bound) = view.domains.iter().find(|d| !d.filings.is_empty()) {
                return Err(AppError::new(
                    ErrorKind::Conflict,
                    "FILINGS_BOUND",
                    format!("{} still has ICP filings; unbind them first", bound.name),
                    format!("{} 仍有关联的 ICP 备案，请先解除", bound.name),
                ));
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

/// What `submit` takes.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    /// The TOTP code (accounts with 2FA).
    pub totp: Option<String>,
    /// The e-mailed code (accounts without).
    pub code: Option<String>,
    /// A supporting document: file name and bytes.
    pub document: Option<(String, Vec<u8>)>,
}

fn wrong_code() -> AppError {
    AppError::new(
        ErrorKind::Unprocessable,
        "INVALID_CONFIRMATION",
        "the confirmation code is wrong or expired",
        "确认码错误或已过期",
    )
    .with_field("code")
}

/// Submits a completed checklist for staff review, confirmed with TOTP or the e-mailed code.
pub async fn submit(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    submission: Submission,
) -> Result<CancellationView, AppError> {
    let now = app.now();
    let bucket = format!("cancellation-code:{id}");
    let window = now.0 - now.0.rem_euclid(3_600);
    let account = {
        let mut tx = app.db().read().await?;
        let account = tx
            .account_by_id(&actor.account_id)
            .await?
            .ok_or_else(AppError::not_found)?;
        tx.commit().await?;
        account
    };
    // A TOTP code is an attempt at the account's secrets: it shares the login's counter and
    // lockout, reserved before anything is verified (see `attempts`).
    let attempt = if account.totp_enabled {
        Some(attempts::reserve(app, &account.id, &account.tenant_id).await?)
    } else {
        None
    };
    let prepared: Result<_, AppError> = async {
        let mut tx = app.db().write().await?;
        let (row, domain_rows) = load(&mut tx, actor, id, Right::DomainsManage).await?;
        if row.status != "draft" {
            return Err(not_draft());
        }
        if steps_of(&row).len() < STEPS.len() {
            return Err(AppError::new(
                ErrorKind::Conflict,
                "CHECKLIST_INCOMPLETE",
                "confirm every checklist step first",
                "请先逐项确认注销清单",
            ));
        }
        if tx.rate_counter(&bucket, window).await? >= CODE_ATTEMPTS {
            return Err(AppError::new(
                ErrorKind::TooManyRequests,
                "RATE_LIMITED",
                "too many wrong confirmation codes; retry later",
                "确认码错误次数过多，请稍后重试",
            )
            .with_retry_after(window + 3_600 - now.0));
        }
        Ok::<_, AppError>((tx, row, domain_rows))
    }
    .await;
    let (mut tx, mut row, domain_rows) = match prepared {
        Ok(prepared) => prepared,
        Err(error) => {
            if let Some(attempt) = attempt {
                attempts::release(app, attempt).await?;
            }
            return Err(error);
        }
    };
    let confirmed = if account.totp_enabled {
        let secret = account
            .totp_secret
            .as_deref()
            .ok_or_else(|| AppError::internal("totp enabled without secret"))?;
        let secret = app
            .cipher()
            .open(secret, &format!("account.totp:{}", account.id))
            .map_err(|e| AppError::internal(format!("totp secret: {e}")))?;
        let step = submission
            .totp
            .as_deref()
            .and_then(|code| totp::verify(&secret, code, now))
            .map(|step| i64::try_from(step).unwrap_or(i64::MAX));
        match step {
            // Marked used in this transaction: the same code cannot log in or confirm again.
            Some(step) => tx.advance_totp_step(&account.id, step).await?,
            None => false,
        }
    } else {
        match (
            &row.code_sealed,
            row.code_expires_at,
            submission.code.as_deref(),
        ) {
            (Some(sealed), Some(expires), Some(given)) if now.0 < expires => {
                let stored = app
                    .cipher()
                    .open(sealed, &code_context(&row.id))
                    .map_err(|e| AppError::internal(format!("code: {e}")))?;
                bool::from(stored.as_slice().ct_eq(given.trim().as_bytes()))
            }
            _ => false,
        }
    };
    if !confirmed {
        drop(tx);
        let mut tx = app.db().write().await?;
        tx.hit_rate_counter(&bucket, window).await?;
        tx.commit().await?;
        let error = wrong_code();
        return Err(match attempt {
            Some(attempt) => attempts::failed(app, ctx, attempt, error.with_field("totp")).await,
            None => error,
        });
    }
    if let Some(attempt) = attempt {
        attempts::succeeded(app, &mut tx, attempt).await?;
    }
    let view = view_of(app, &mut tx, &row, &domain_rows).await?;
    if let Some((name, bytes)) = submission.document {
        if bytes.is_empty() || bytes.len() > MAX_DOCUMENT_BYTES || name.trim().is_empty() {
            return Err(AppError::bad_request(
                "INVALID_DOCUMENT",
                format!("the document must be 1 byte to {MAX_DOCUMENT_BYTES} bytes, with a name"),
                "证明文件大小须在 1 字节到 2 MiB 之间并带文件名",
            )
            .with_field("document"));
        }
        row.document_sealed = Some(app.cipher().seal(&bytes, &document_context(&row.id)));
        row.document_name = Some(name.trim().chars().take(200).collect());
    }
    if view.requires_document && row.document_sealed.is_none() {
        return Err(AppError::bad_request(
            "DOCUMENT_REQUIRED",
            "cancelling a Chinese domain name under this TLD needs a supporting document",
            "注销该后缀的中文域名须上传证明文件",
        )
        .with_field("document"));
    }
    row.status = "submitted".into();
    row.code_sealed = None;
    row.submitted_at = Some(now.0);
    row.updated_at = now.0;
    tx.update_cancellation(&row).await?;
    crate::platform::audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        crate::platform::audit::Change {
            action: "cancellation.submit",
            object_type: "cancellation",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: serde_json::Value::Null,
            after: json!({ "domains": domain_rows.iter().map(|d| &d.domain_name).collect::<Vec<_>>(), "document": row.document_name }),
        },
    )
    .await?;
    let view = view_of(app, &mut tx, &row, &domain_rows).await?;
    tx.commit().await?;
    Ok(view)
}

/// Submitted requests, oldest first (reviewers).
pub async fn review_queue(
    app: &App,
    actor: &Actor,
    limit: i64,
) -> Result<Vec<CancellationView>, AppError> {
    actor.require(Right::ReviewQueue)?;
    let mut tx = app.db().read().await?;
    let ids = tx.cancellation_queue(limit).await?;
    let mut views = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some((row, domains)) = tx.cancellation_by_id(&id).await? {
            views.push(view_of(app, &mut tx, &row, &domains).await?);
        }
    }
    tx.commit().await?;
    Ok(views)
}

/// The uploaded document of a request (reviewers; audited): file name and bytes.
pub async fn document(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<(String, Vec<u8>), AppError> {
    actor.require(Right::ReviewQueue)?;
    let mut tx = app.db().write().await?;
    let (row, _) = tx
        .cancellation_by_id(id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let (Some(sealed), Some(name)) = (&row.document_sealed, &row.document_name) else {
        return Err(AppError::not_found());
    };
    let bytes = app
        .cipher()
        .open(sealed, &document_context(&row.id))
        .map_err(|e| AppError::internal(format!("document: {e}")))?;
    crate::platform::audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        crate::platform::audit::Change {
            action: "cancellation.document_view",
            object_type: "cancellation",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: serde_json::Value::Null,
            after: json!({ "document": name }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((name.clone(), bytes))
}

/// A reviewer's decision. Rejection needs a reason and changes no domain. Approval deletes
/// each domain in its own transaction (a domain that can no longer be deleted keeps its
/// error code as its result and is not charged or refunded).
pub async fn decide(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    decision: &str,
    reason: Option<&str>,
) -> Result<CancellationView, AppError> {
    actor.require(Right::ReviewQueue)?;
    let decision = yuming_core::contact::ReviewDecision::parse(decision)
        .ok_or(yuming_core::contact::ContactError::UnknownDecision)?;
    let reason = yuming_core::contact::parse_review_reason(reason, decision)?;
    let approve = decision == yuming_core::contact::ReviewDecision::Approve;
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    let (row, domain_rows) = {
        let mut tx = app.db().read().await?;
        let found = tx
            .cancellation_by_id(id)
            .await?
            .ok_or_else(AppError::not_found)?;
        tx.commit().await?;
        found
    };
    if row.status != "submitted" {
        return Err(AppError::new(
            ErrorKind::Conflict,
            "NOT_SUBMITTED",
            "this cancellation request is not waiting for review",
            "该注销申请不在待审核状态",
        ));
    }
    if approve {
        for d in &domain_rows {
            let mut tx = app.db().write().await?;
            let outcome = delete_one(app, &mut tx, ctx, actor, &catalogue, &row, d, now).await;
            match outcome {
                Ok(updated) => {
                    tx.update_cancellation_domain(&updated).await?;
                    tx.commit().await?;
                }
                Err(error) if error.kind != ErrorKind::Internal => {
                    drop(tx);
                    let mut tx = app.db().write().await?;
                    let mut kept = d.clone();
                    kept.result = Some(error.code.to_owned());
                    tx.update_cancellation_domain(&kept).await?;
                    tx.commit().await?;
                }
                Err(error) => return Err(error),
            }
        }
    }
    let mut tx = app.db().write().await?;
    let (mut row, domain_rows) = tx
        .cancellation_by_id(id)
        .await?
        .ok_or_else(AppError::not_found)?;
    row.status = if approve { "approved" } else { "rejected" }.into();
    row.reason = reason.clone();
    row.decided_at = Some(now.0);
    row.decided_by = Some(actor.account_id.clone());
    row.updated_at = now.0;
    tx.update_cancellation(&row).await?;
    let detail = json!({ "cancellation_id": row.id, "status": row.status, "reason": reason,
        "domains": domain_rows.iter().map(|d| d.domain_name.clone()).collect::<Vec<_>>(),
        "results": domain_rows.iter().map(|d| json!({ "domain": d.domain_name, "result": d.result })).collect::<Vec<_>>() });
    notify(&mut tx, &row.owner_id, "cancellation.decided", &detail, now).await?;
    crate::platform::audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        crate::platform::audit::Change {
            action: "cancellation.decide",
            object_type: "cancellation",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: json!({ "status": "submitted" }),
            after: detail,
        },
    )
    .await?;
    let view = view_of(app, &mut tx, &row, &domain_rows).await?;
    tx.commit().await?;
    Ok(view)
}

#[expect(clippy::too_many_arguments, reason = "one call site, all named")]
async fn delete_one(
    app: &App,
    tx: &mut Tx,
    ctx: &RequestContext,
    actor: &Actor,
    catalogue: &yuming_core::catalogue::Catalogue,
    request: &CancellationRow,
    d: &CancellationDomainRow,
    now: Timestamp,
) -> Result<CancellationDomainRow, AppError> {
    let mut row = tx
        .domain_by_name_for_update(&d.domain_name)
        .await?
        .filter(|r| r.id == d.domain_id && r.owner_id == request.owner_id)
        .ok_or_else(AppError::not_found)?;
    let tld = catalogue
        .tld(&row.tld)
        .ok_or_else(|| AppError::internal(format!("TLD {} left the catalogue", row.tld)))?;
    let record = domains::record_of(&row)?;
    let decision = lifecycle::can_delete(&record, &tld.periods, now).map_err(lifecycle_error)?;
    let refund = refund_due(app, tx, &row, &decision).await?;
    let deleted = lifecycle::delete(&record, &tld.periods, now).map_err(lifecycle_error)?;
    let before = json!({ "expires_at": row.expires_at, "nameservers": row.nameservers });
    domains::apply_record(&mut row, &deleted);
    clear_dns(tx, &mut row).await?;
    row.updated_at = now.0;
    app.registry(&tld.registry)?.delete(tx, &row).await?;
    let mut refund_order = None;
    if let Some(amount) = refund.filter(|m| m.minor() > 0) {
        let holder = HolderId::parse(&row.owner_id)
            .map_err(|e| AppError::internal(format!("holder id: {e}")))?;
        let order_id = new_id("ord");
        tx.change_balance(
            &row.owner_id,
            amount.currency().code(),
            amount.minor(),
            now.0,
        )
        .await?
        .ok_or_else(|| AppError::internal("a refund was refused"))?;
        let transaction = money::refund(&holder, amount)
            .map_err(|e| AppError::internal(format!("refund: {e}")))?;
        domains::book(
            tx,
            &transaction,
            &order_id,
            &format!("cancellation of {}", row.name),
            now,
        )
        .await?;
        tx.insert_order(&OrderRow {
            id: order_id.clone(),
            owner_id: row.owner_id.clone(),
            actor_id: actor.account_id.clone(),
            kind: "refund".into(),
            domain_name: Some(row.name.clone()),
            years: None,
            amount: amount.minor(),
            currency: amount.currency().code().into(),
            status: "completed".into(),
            detail: json!({ "cancellation_id": request.id, "fee": app.settings().cancellation_fee_minor })
                .to_string(),
            created_at: now.0,
        })
        .await?;
        refund_order = Some(order_id);
    }
    let monitor_until = now.plus_days(MONITOR_DAYS);
    record_change(
        app,
        tx,
        ctx,
        actor,
        &row,
        "domain.cancel",
        refund_order.as_deref(),
        before,
        json!({ "cancellation_id": request.id, "refund_order": refund_order, "monitor_until": monitor_until.0 }),
        now,
    )
    .await?;
    app.availability().note(domains::held_change(&row));
    let mut updated = d.clone();
    updated.result = Some("deleted".into());
    updated.refund_order_id = refund_order;
    updated.monitor_until = Some(monitor_until.0);
    Ok(updated)
}

/// Names cancelled through this flow whose stray-traffic watch is still running at now,
/// with its end: what the DNS server counts queries for.
pub async fn monitored_names(app: &App) -> Result<Vec<(String, Timestamp)>, AppError> {
    let mut tx = app.db().read().await?;
    let names = tx.monitored_names(app.now().0).await?;
    tx.commit().await?;
    Ok(names
        .into_iter()
        .map(|(n, until)| (n, Timestamp(until)))
        .collect())
}

/// Adds DNS queries counted for watched names (from the authoritative server) to their
/// watches, in one transaction. Counts for a name whose watch has ended are dropped: the
/// server's list of watched names trails the database by up to a minute.
pub async fn record_stray_traffic(app: &App, counts: &[(String, u64)]) -> Result<(), AppError> {
    if counts.iter().all(|(_, n)| *n == 0) {
        return Ok(());
    }
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    for (name, count) in counts.iter().filter(|(_, n)| *n > 0) {
        let count = i64::try_from(*count).unwrap_or(i64::MAX);
        tx.add_stray_queries(name, count, now).await?;
    }
    tx.commit().await?;
    Ok(())
}
