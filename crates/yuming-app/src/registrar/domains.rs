//! Registrar use cases: availability (single and bulk), registration and renewal paid from
//! the balance in one transaction, and domain management.

use serde_json::json;
use yuming_core::access::{Actor, Right};
use yuming_core::catalogue::{self, Catalogue, Operation, Prices, TldPolicy, Unavailable};
use yuming_core::clock::Timestamp;
use yuming_core::contact::{self, ContactError, ReviewDecision};
use yuming_core::lifecycle::{
    self, DomainRecord, LifecycleError, Phase, Projection, Renewal, RenewalKind, StatusFlags,
};
use yuming_core::money::{self, HolderId, Money};
use yuming_core::rules::Problem;
use yuming_core::rules::domain_name::{DomainName, DomainPolicy, VARIANT_KEY_VERSION, variant_key};
use yuming_core::rules::epp_status::EppStatus;
use yuming_store::{
    DomainHistoryEntry, DomainRow, HeldName, HeldNameChange, LedgerEntryRow, ListedDomain,
    OrderRow, PublishedContact, Tx,
};

use crate::platform::audit::{self, Change};
use crate::platform::crypto::{new_id, random_token};
use crate::registrar::catalogue as stored_catalogue;
use crate::{App, AppError, ErrorKind, RequestContext};

/// Most names in one bulk check.
pub const MAX_BULK_CHECK: usize = 1_000;

/// The answer for one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Availability {
    /// The input as given.
    pub input: String,
    /// Unicode and A-label forms, when the name parsed.
    pub name: Option<(String, String)>,
    /// Whether it can be registered now.
    pub available: bool,
    /// Why not: `REGISTERED`, `VARIANT_REGISTERED`, `RESERVED`, `BLOCKED`, `LOOKALIKE`,
    /// `INVALID_SYNTAX`, `UNSUPPORTED_TLD`, `NOT_SECOND_LEVEL`.
    pub reason: Option<&'static str>,
    /// Rule findings behind an `INVALID_SYNTAX`, `BLOCKED` or `LOOKALIKE`, and non-blocking
    /// warnings (including look-alike findings held for review).
    pub problems: Vec<Problem>,
    /// Whether premium prices apply.
    pub premium: bool,
    /// Per-year register and renew prices, for names under a sold TLD.
    pub price: Option<Prices>,
    /// The name will be held for a naming review after registration.
    pub needs_review: bool,
}

fn record_of_held(held: &HeldName) -> DomainRecord {
    DomainRecord {
        created_at: Timestamp(held.created_at),
        expires_at: Timestamp(held.expires_at),
        registered_years: 1,
        last_renewal: None,
        last_transferred_at: None,
        pending_transfer_since: None,
        deleted_at: held.deleted_at.map(Timestamp),
        restored_at: held.restored_at.map(Timestamp),
        flags: StatusFlags::new(),
        auto_renew: false,
    }
}

/// Whether a held name has been released by the passage of time (the scheduler may not
/// have purged it yet).
fn is_released(held: &HeldName, catalogue: &Catalogue, now: Timestamp) -> bool {
    let Some(tld) = catalogue.tld(&held.tld) else {
        return false;
    };
    lifecycle::project(&record_of_held(held), &tld.periods, now)
        .is_ok_and(|p| p.phase == Phase::Released)
}

/// Checks names against the catalogue and the registries; results in input order, one bad
/// name never fails the batch.
pub async fn check(app: &App, inputs: &[String]) -> Result<Vec<Availability>, AppError> {
    if inputs.len() > MAX_BULK_CHECK {
        return Err(AppError::bad_request(
            "TOO_MANY_NAMES",
            format!("at most {MAX_BULK_CHECK} names per request"),
            format!("每次最多查询 {MAX_BULK_CHECK} 个域名"),
        )
        .with_field("names"));
    }
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    let decisions: Vec<Result<catalogue::Registrable<'_>, Unavailable>> = inputs
        .iter()
        .map(|input| catalogue.registrable(input))
        .collect();
    // Answered from this instance's availability index (cache-first); the registry
    // confirms inside the paying transaction.
    crate::registrar::availability::fresh(app).await?;
    let index = app.availability();
    Ok(inputs
        .iter()
        .zip(decisions)
        .map(|(input, decision)| match decision {
            Err(unavailable) => {
                let problems = match &unavailable {
                    Unavailable::InvalidSyntax(p)
                    | Unavailable::Blocked(p)
                    | Unavailable::Lookalike(p) => p.clone(),
                    _ => Vec::new(),
                };
                // Every name that parses is answered in both forms (CONTRACT), also when it
                // is reserved, blocked or under an unsold TLD; only invalid syntax has none.
                let name = match unavailable {
                    Unavailable::InvalidSyntax(_) => None,
                    _ => DomainName::parse(input, &DomainPolicy::GENERIC)
                        .ok()
                        .map(|p| (p.value.unicode().to_owned(), p.value.ascii().to_owned())),
                };
                Availability {
                    input: input.clone(),
                    name,
                    available: false,
                    reason: Some(unavailable.code()),
                    problems,
                    premium: false,
                    price: None,
                    needs_review: false,
                }
            }
            Ok(registrable) => {
                let (by_name, by_variant) =
                    index.lookup(registrable.name.ascii(), &registrable.name.variant_key());
                let reason = match (by_name, by_variant) {
                    (Some(h), _) if !is_released(&h, &catalogue, now) => Some("REGISTERED"),
                    (_, Some(h)) if !is_released(&h, &catalogue, now) => Some("VARIANT_REGISTERED"),
                    _ => None,
                };
                Availability {
                    input: input.clone(),
                    name: Some((
                        registrable.name.unicode().to_owned(),
                        registrable.name.ascii().to_owned(),
                    )),
                    available: reason.is_none(),
                    reason,
                    problems: registrable.warnings.clone(),
                    premium: registrable.premium,
                    price: Some(registrable.prices),
                    needs_review: registrable.needs_review,
                }
            }
        })
        .collect())
}

/// Up to `limit` available alternatives for a taken name: the same label under the other
/// TLDs of the catalogue.
pub async fn suggestions(
    app: &App,
    taken: &Availability,
    limit: usize,
) -> Result<Vec<Availability>, AppError> {
    // A reserved name did not pass the catalogue, so parse the input itself.
    let unicode = match &taken.name {
        Some((unicode, _)) => unicode.clone(),
        None => match DomainName::parse(&taken.input, &DomainPolicy::GENERIC) {
            Ok(parsed) => parsed.value.unicode().to_owned(),
            Err(_) => return Ok(Vec::new()),
        },
    };
    let Some((label, tld)) = unicode.split_once('.') else {
        return Ok(Vec::new());
    };
    let catalogue = stored_catalogue::current(app).await?;
    let candidates: Vec<String> = catalogue
        .tlds()
        .filter(|t| t.unicode != tld)
        .map(|t| format!("{label}.{}", t.unicode))
        .collect();
    let mut found: Vec<Availability> = check(app, &candidates)
        .await?
        .into_iter()
        .filter(|a| a.available)
        .collect();
    found.truncate(limit);
    Ok(found)
}

/// What the API shows of a domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainView {
    /// Unicode form.
    pub name: String,
    /// A-label form.
    pub ascii: String,
    /// Owning tenant.
    pub owner_id: String,
    /// Registrant contact.
    pub registrant_contact_id: String,
    /// Lifecycle phase at the clock's now.
    pub phase: Phase,
    /// EPP statuses (derived from the stored facts at now).
    pub statuses: Vec<String>,
    /// RGP grace periods running now.
    pub grace_periods: Vec<String>,
    /// Registration time.
    pub created_at: Timestamp,
    /// Expiry.
    pub expires_at: Timestamp,
    /// Automatic renewal on.
    pub auto_renew: bool,
    /// Nameservers.
    pub nameservers: Vec<String>,
    /// Held for naming review.
    pub needs_review: bool,
    /// Whether the name is published in DNS now.
    pub resolves: bool,
    /// Why the registry holds it (serverHold): `REALNAME_UNVERIFIED`, `NAMING_REVIEW`.
    pub holds: Vec<&'static str>,
}

fn split_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

pub(crate) fn lifecycle_error(error: LifecycleError) -> AppError {
    let code = error.code();
    let (kind, zh) = match code {
        "INVALID_YEARS" => (ErrorKind::BadRequest, "期限无效"),
        "RENEWAL_TOO_LONG" => (
            ErrorKind::Unprocessable,
            "续费后有效期不能超过自今日起 10 年",
        ),
        "NOT_RENEWABLE_IN_PHASE" => (ErrorKind::Unprocessable, "域名当前状态不可续费"),
        "RESTORE_REQUIRED" => (ErrorKind::Unprocessable, "域名处于赎回期，须先赎回"),
        "RESTORE_OUTSIDE_REDEMPTION" => (ErrorKind::Unprocessable, "仅赎回期内可赎回"),
        "TRANSFER_LOCKED" => (ErrorKind::Unprocessable, "域名处于转移锁定期"),
        "STATUS_PROHIBITS" => (ErrorKind::Unprocessable, "域名状态禁止该操作"),
        "DOMAIN_RELEASED" => (ErrorKind::NotFound, "域名已释放"),
        _ => (ErrorKind::Unprocessable, "域名生命周期规则不允许该操作"),
    };
    let field = if code == "INVALID_YEARS" || code == "RENEWAL_TOO_LONG" {
        Some("years")
    } else {
        None
    };
    let error = AppError::new(kind, code, error.to_string(), zh);
    match field {
        Some(f) => error.with_field(f),
        None => error,
    }
}

/// The lifecycle facts of a stored row.
pub fn record_of(row: &DomainRow) -> Result<DomainRecord, AppError> {
    let statuses: Vec<EppStatus> = split_list(&row.flags)
        .iter()
        .map(|f| {
            EppStatus::from_epp(f)
                .ok_or_else(|| AppError::internal(format!("stored flag {f:?} is unknown")))
        })
        .collect::<Result<_, _>>()?;
    let flags = StatusFlags::from_statuses(&statuses)
        .map_err(|e| AppError::internal(format!("stored flags: {e}")))?;
    let last_renewal = match (
        row.last_renewal_at,
        row.last_renewal_years,
        row.last_renewal_kind.as_deref(),
        row.last_renewal_prev_expiry,
    ) {
        (Some(at), Some(years), Some(kind), Some(previous)) => Some(Renewal {
            at: Timestamp(at),
            years: u32::try_from(years).unwrap_or(0),
            kind: match kind {
                "auto" => RenewalKind::Auto,
                "restore" => RenewalKind::Restore,
                _ => RenewalKind::Explicit,
            },
            previous_expires_at: Timestamp(previous),
        }),
        _ => None,
    };
    Ok(DomainRecord {
        created_at: Timestamp(row.created_at),
        expires_at: Timestamp(row.expires_at),
        registered_years: u32::try_from(row.registered_years).unwrap_or(1),
        last_renewal,
        last_transferred_at: row.last_transferred_at.map(Timestamp),
        pending_transfer_since: row.pending_transfer_since.map(Timestamp),
        deleted_at: row.deleted_at.map(Timestamp),
        restored_at: row.restored_at.map(Timestamp),
        flags,
        auto_renew: row.auto_renew,
    })
}

/// Writes lifecycle facts back into a row.
pub fn apply_record(row: &mut DomainRow, record: &DomainRecord) {
    row.expires_at = record.expires_at.0;
    row.registered_years = i64::from(record.registered_years);
    if let Some(renewal) = &record.last_renewal {
        row.last_renewal_at = Some(renewal.at.0);
        row.last_renewal_years = Some(i64::from(renewal.years));
        row.last_renewal_kind = Some(
            match renewal.kind {
                RenewalKind::Explicit => "explicit",
                RenewalKind::Auto => "auto",
                RenewalKind::Restore => "restore",
            }
            .to_owned(),
        );
        row.last_renewal_prev_expiry = Some(renewal.previous_expires_at.0);
    }
    row.last_transferred_at = record.last_transferred_at.map(|t| t.0);
    row.pending_transfer_since = record.pending_transfer_since.map(|t| t.0);
    row.deleted_at = record.deleted_at.map(|t| t.0);
    row.restored_at = record.restored_at.map(|t| t.0);
    row.flags = record
        .flags
        .as_slice()
        .iter()
        .map(|s| s.as_epp())
        .collect::<Vec<_>>()
        .join(",");
    row.auto_renew = record.auto_renew;
}

/// Registry holds that are not lifecycle facts: an unverified registrant past the TLD's
/// real-name grace (spec §3.1 RN-2/RN-3) and a pending naming review (RN-1).
fn holds(
    row: &DomainRow,
    tld: &TldPolicy,
    registrant_verified: bool,
    now: Timestamp,
) -> Vec<&'static str> {
    let mut holds = Vec::new();
    let grace_ends = Timestamp(row.created_at).plus_days(i64::from(tld.realname_grace_days));
    if tld.realname_required && !registrant_verified && now >= grace_ends {
        holds.push("REALNAME_UNVERIFIED");
    }
    if row.needs_review {
        holds.push("NAMING_REVIEW");
    }
    holds
}

fn view(row: &DomainRow, projection: &Projection, holds: Vec<&'static str>) -> DomainView {
    let mut statuses: Vec<String> = projection
        .statuses
        .as_ref()
        .map(|s| s.as_slice().iter().map(|x| x.as_epp().to_owned()).collect())
        .unwrap_or_default();
    let held = !holds.is_empty() && !projection.phase.is_deleted();
    if held {
        statuses.retain(|s| s != "ok");
        if !statuses.iter().any(|s| s == "serverHold") {
            statuses.push("serverHold".to_owned());
            statuses.sort();
        }
    }
    DomainView {
        name: row.unicode_name.clone(),
        ascii: row.name.clone(),
        owner_id: row.owner_id.clone(),
        registrant_contact_id: row.registrant_contact_id.clone(),
        phase: projection.phase,
        statuses,
        grace_periods: projection
            .grace_periods
            .iter()
            .map(|g| g.status.as_epp().to_owned())
            .collect(),
        created_at: Timestamp(row.created_at),
        expires_at: Timestamp(row.expires_at),
        auto_renew: row.auto_renew,
        nameservers: split_list(&row.nameservers),
        needs_review: row.needs_review,
        resolves: projection.resolves && !held,
        holds: if projection.phase.is_deleted() {
            Vec::new()
        } else {
            holds
        },
    }
}

/// Whether the registrant contact of a row has passed real-name verification.
async fn registrant_verified(tx: &mut Tx, row: &DomainRow) -> Result<bool, AppError> {
    Ok(tx
        .contact_by_id(&row.registrant_contact_id)
        .await?
        .is_some_and(|c| c.verification_status == "verified"))
}

/// The API view of a row at `now`, with registry holds.
pub(crate) async fn view_of(
    tx: &mut Tx,
    row: &DomainRow,
    tld: &TldPolicy,
    now: Timestamp,
) -> Result<DomainView, AppError> {
    let projection = project_row(row, tld, now)?;
    let verified = registrant_verified(tx, row).await?;
    Ok(view(row, &projection, holds(row, tld, verified, now)))
}

/// Whether the domain's delegation is published now: its lifecycle phase and EPP holds, plus
/// the platform's own holds (real-name verification, naming review). The DNS snapshot's test.
pub(crate) async fn resolves_now(
    tx: &mut Tx,
    row: &DomainRow,
    tld: &TldPolicy,
    now: Timestamp,
) -> Result<bool, AppError> {
    Ok(view_of(tx, row, tld, now).await?.resolves)
}

pub(crate) fn project_row(
    row: &DomainRow,
    tld: &TldPolicy,
    now: Timestamp,
) -> Result<Projection, AppError> {
    lifecycle::project(&record_of(row)?, &tld.periods, now).map_err(lifecycle_error)
}

fn unavailable_error(unavailable: Unavailable) -> AppError {
    let (kind, en, zh) = match &unavailable {
        Unavailable::InvalidSyntax(_) => (
            ErrorKind::BadRequest,
            "the domain name is not valid",
            "域名格式无效",
        ),
        Unavailable::UnsupportedTld => (
            ErrorKind::BadRequest,
            "this TLD is not offered",
            "不支持该顶级域",
        ),
        Unavailable::NotSecondLevel => (
            ErrorKind::BadRequest,
            "only second-level names can be registered",
            "仅可注册二级域名",
        ),
        Unavailable::Reserved => (
            ErrorKind::Conflict,
            "the name is reserved",
            "该域名为保留域名",
        ),
        Unavailable::Blocked(_) => (
            ErrorKind::Conflict,
            "the name is not allowed",
            "该域名含禁止注册的内容",
        ),
        Unavailable::Lookalike(_) => (
            ErrorKind::Conflict,
            "the name imitates another name",
            "该域名与其他域名外形相似",
        ),
    };
    let detail = match &unavailable {
        Unavailable::InvalidSyntax(problems)
        | Unavailable::Blocked(problems)
        | Unavailable::Lookalike(problems) => problems.first().cloned(),
        _ => None,
    };
    let (en, zh) = match detail {
        Some(problem) => (
            format!("{en}: {}", problem.message),
            format!("{zh}：{}", problem.message_zh),
        ),
        None => (en.to_owned(), zh.to_owned()),
    };
    AppError::new(kind, unavailable.code(), en, zh).with_field("name")
}

/// Checks and normalises nameservers: host names, at most 13, no duplicates.
pub fn parse_nameservers(names: &[String]) -> Result<Vec<String>, AppError> {
    if names.len() > 13 {
        return Err(AppError::bad_request(
            "TOO_MANY_NAMESERVERS",
            "at most 13 nameservers",
            "最多 13 个域名服务器",
        )
        .with_field("nameservers"));
    }
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let parsed = DomainName::parse(name, &DomainPolicy::GENERIC).map_err(|rejection| {
            AppError::bad_request(
                "INVALID_NAMESERVER",
                format!("{name:?} is not a host name: {rejection}"),
                format!("{name:?} 不是有效的主机名"),
            )
            .with_field(format!("nameservers[{i}]"))
        })?;
        let ascii = parsed.value.ascii().to_owned();
        if !out.contains(&ascii) {
            out.push(ascii);
        }
    }
    Ok(out)
}

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
    /// The balance afterwards.
    pub balance: Money,
}

fn insufficient_balance(needed: Money) -> AppError {
    AppError::new(
        ErrorKind::PaymentRequired,
        "INSUFFICIENT_BALANCE",
        format!("the balance does not cover {needed}"),
        format!("余额不足以支付 {needed}"),
    )
}

/// Debits `amount` from the tenant's balance and books the charge, in `tx`.
pub(crate) async fn charge(
    tx: &mut Tx,
    tenant: &str,
    amount: Money,
    order_id: &str,
    memo: &str,
    now: Timestamp,
) -> Result<Money, AppError> {
    let holder =
        HolderId::parse(tenant).map_err(|e| AppError::internal(format!("holder id: {e}")))?;
    crate::accounts::verification::require_verified(tx, tenant).await?;
    let currency = amount.currency().code();
    let Some(balance) = tx
        .change_balance(tenant, currency, -amount.minor(), now.0)
        .await?
    else {
        return Err(insufficient_balance(amount));
    };
    let transaction =
        money::charge(&holder, amount).map_err(|e| AppError::internal(format!("charge: {e}")))?;
    book(tx, &transaction, order_id, memo, now).await?;
    let balance = Money::new(balance, amount.currency());
    // Every debit path comes through here, so the low-balance check is made once, here.
    crate::billing::low_balance_notice(tx, tenant, balance, now).await?;
    Ok(balance)
}

/// Appends a balanced transaction's postings.
pub(crate) async fn book(
    tx: &mut Tx,
    transaction: &money::Transaction,
    order_id: &str,
    memo: &str,
    now: Timestamp,
) -> Result<(), AppError> {
    let transaction_id = new_id("txn");
    let rows: Vec<LedgerEntryRow> = transaction
        .postings()
        .iter()
        .map(|posting| LedgerEntryRow {
            id: new_id("le"),
            transaction_id: transaction_id.clone(),
            account: posting.account().kind().as_str().to_owned(),
            holder_id: posting.account().holder().map(|h| h.as_str().to_owned()),
            amount: posting.amount().minor(),
            currency: posting.amount().currency().code().to_owned(),
            order_id: Some(order_id.to_owned()),
            memo: memo.to_owned(),
            created_at: now.0,
        })
        .collect();
    tx.insert_ledger_entries(&rows).await?;
    Ok(())
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
    actor.require(Right::DomainsManage)?;
    actor.require(Right::BillingPay)?;
    let catalogue = stored_catalogue::current(app).await?;
    let registrable = catalogue
        .registrable(&input.name)
        .map_err(unavailable_error)?;
    let tld = registrable.tld;
    tld.check_years(input.years)
        .map_err(|p| AppError::bad_request(p.code, p.message, p.message_zh).with_field("years"))?;
    // Absent means the platform's nameservers; an explicit empty list is kept, so that a name
    // can be registered not resolving (e.g. while its ICP filing is pending).
    let nameservers = match &input.nameservers {
        Some(list) => parse_nameservers(list)?,
        None => app.settings().default_nameservers.clone(),
    };
    let now = app.now();
    let record = DomainRecord::register(input.years, &tld.periods, now).map_err(lifecycle_error)?;
    let amount = catalogue::price(&registrable.prices, Operation::Register, input.years)
        .map_err(|e| AppError::internal(format!("price: {e}")))?;
    let connector = app.registry(&tld.registry)?;

    let id = new_id("dom");
    let order_id = new_id("ord");
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
    crate::dns::create_zone(&mut tx, &row, now).await?;
    let balance = charge(
        &mut tx,
        &actor.tenant_id,
        amount,
        &order_id,
        &format!("register {} {}y", row.name, input.years),
        now,
    )
    .await?;
    tx.insert_order(&OrderRow {
        id: order_id.clone(),
        owner_id: actor.tenant_id.clone(),
        actor_id: actor.account_id.clone(),
        kind: "register".into(),
        domain_name: Some(row.name.clone()),
        years: Some(i64::from(input.years)),
        amount: amount.minor(),
        currency: amount.currency().code().into(),
        status: "completed".into(),
        detail: json!({ "premium": registrable.premium, "unicode": row.unicode_name }).to_string(),
        created_at: now.0,
    })
    .await?;
    let summary = json!({ "name": row.unicode_name, "years": input.years, "expires_at": row.expires_at, "order_id": order_id, "amount": amount.minor() });
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
        charged: amount,
        balance,
    })
}

/// The registrant contact must exist in the actor's tenant; another tenant's contact is not
/// found. Real-name verification is not needed to register: an unverified name is held
/// (serverHold) per its TLD's policy until the contact is verified. Returns whether it is
/// verified.
async fn require_owned_contact(
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
        _ => Err(AppError::new(
            ErrorKind::NotFound,
            "CONTACT_NOT_FOUND",
            "no such registrant contact",
            "登记联系人不存在",
        )
        .with_field("registrant_contact_id")),
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

/// The setting that records under which [`VARIANT_KEY_VERSION`] the stored keys were computed.
const VARIANT_KEY_SETTING: &str = "domains.variant_key_version";

/// What [`rekey_variants`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RekeyReport {
    /// Whether the stored keys were from another version (and so were recomputed).
    pub ran: bool,
    /// Live rows whose key changed.
    pub rekeyed: usize,
    /// Live names that turn out to be variants of an older live name of the bundle (both
    /// registered before the variant data knew they belong together). They stay registered
    /// and keep their own A-label as key; the older name holds the bundle. Operators decide.
    pub conflicts: Vec<String>,
}

/// Recomputes `domains.variant_key` of live rows when the variant rules changed
/// ([`VARIANT_KEY_VERSION`] differs from the one stored), in one transaction; a no-op
/// otherwise. Called at start-up, before any availability index is built.
///
/// Within a bundle the oldest registration takes the bundle's key. A newer live name of the
/// same bundle cannot share it (the unique index allows one live holder), so it is keyed by
/// its own A-label, which no other row's key can equal, and reported.
pub async fn rekey_variants(app: &App) -> Result<RekeyReport, AppError> {
    use std::collections::HashSet;
    let mut tx = app.db().write().await?;
    if tx.setting(VARIANT_KEY_SETTING).await?.as_deref() == Some(VARIANT_KEY_VERSION) {
        tx.commit().await?;
        return Ok(RekeyReport::default());
    }
    let now = app.now();
    let rows = tx.live_variant_keys().await?;
    let mut holders: HashSet<String> = HashSet::new();
    let mut changes: Vec<(&str, String)> = Vec::new();
    let mut conflicts = Vec::new();
    // Oldest first: the first row of a bundle holds it.
    for (id, name, unicode, current) in &rows {
        let key = variant_key(unicode);
        let wanted = if holders.insert(key.clone()) {
            key
        } else {
            conflicts.push(unicode.clone());
            name.clone()
        };
        if &wanted != current {
            changes.push((id, wanted));
        }
    }
    // Two passes: a key may move from one row to another, and the unique index is checked
    // per statement.
    for (id, _) in &changes {
        tx.set_variant_key(id, &format!("\u{1}rekey:{id}"), now.0)
            .await?;
    }
    for (id, key) in &changes {
        tx.set_variant_key(id, key, now.0).await?;
    }
    tx.set_setting(VARIANT_KEY_SETTING, VARIANT_KEY_VERSION, now.0)
        .await?;
    if !changes.is_empty() {
        audit::record(
            app,
            &mut tx,
            &RequestContext::internal("rekey-variants"),
            "system",
            Change {
                action: "domain.variant_rekey",
                object_type: "domain",
                object_id: "variant_key",
                tenant: "",
                before: serde_json::Value::Null,
                after: json!({ "version": VARIANT_KEY_VERSION, "rekeyed": changes.len(),
                               "conflicts": conflicts }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(RekeyReport {
        ran: true,
        rekeyed: changes.len(),
        conflicts,
    })
}

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
    actor.require(Right::BillingPay)?;
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    let mut tx = app.db().write().await?;
    let (mut row, tld) =
        load_for_update(&mut tx, &catalogue, actor, name, Right::DomainsManage).await?;
    tld.check_years(years)
        .map_err(|p| AppError::bad_request(p.code, p.message, p.message_zh).with_field("years"))?;
    let before = record_of(&row)?;
    let renewed = lifecycle::renew(&before, &tld.periods, years, now).map_err(lifecycle_error)?;
    let label = row.name.split('.').next().unwrap_or_default().to_owned();
    let (prices, _) = tld.prices_for(&label);
    let amount = catalogue::price(&prices, Operation::Renew, years)
        .map_err(|e| AppError::internal(format!("price: {e}")))?;
    let previous_expiry = row.expires_at;
    apply_record(&mut row, &renewed);
    row.updated_at = now.0;
    let order_id = new_id("ord");
    app.registry(&tld.registry)?.renew(&mut tx, &row).await?;
    let balance = charge(
        &mut tx,
        &row.owner_id,
        amount,
        &order_id,
        &format!("renew {} {years}y", row.name),
        now,
    )
    .await?;
    tx.insert_order(&OrderRow {
        id: order_id.clone(),
        owner_id: row.owner_id.clone(),
        actor_id: actor.account_id.clone(),
        kind: "renew".into(),
        domain_name: Some(row.name.clone()),
        years: Some(i64::from(years)),
        amount: amount.minor(),
        currency: amount.currency().code().into(),
        status: "completed".into(),
        detail: json!({ "previous_expires_at": previous_expiry, "expires_at": row.expires_at })
            .to_string(),
        created_at: now.0,
    })
    .await?;
    let summary = json!({ "years": years, "expires_at": row.expires_at, "order_id": order_id, "amount": amount.minor() });
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
        charged: amount,
        balance,
    })
}

/// The caller's domains, by A-label, `limit` after `after`.
pub async fn list(
    app: &App,
    actor: &Actor,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<DomainView>, AppError> {
    actor.require(Right::DomainsRead)?;
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    // One statement outside a transaction: every console page of the domain list asks this.
    let listed = app
        .db()
        .domains_page(&actor.tenant_id, after.unwrap_or(""), limit)
        .await?;
    listed
        .iter()
        .map(
            |ListedDomain {
                 row,
                 registrant_verified,
             }| {
                let tld = catalogue.tld(&row.tld).ok_or_else(|| {
                    AppError::internal(format!("TLD {} left the catalogue", row.tld))
                })?;
                let projection = project_row(row, tld, now)?;
                Ok(view(
                    row,
                    &projection,
                    holds(row, tld, *registrant_verified, now),
                ))
            },
        )
        .collect()
}

/// One domain of the caller's tenant.
pub async fn get(app: &App, actor: &Actor, name: &str) -> Result<DomainView, AppError> {
    let catalogue = stored_catalogue::current(app).await?;
    let ascii = ascii_of(name)?;
    let mut tx = app.db().read().await?;
    let row = tx
        .domain_by_name(&ascii)
        .await?
        .ok_or_else(AppError::not_found)?;
    actor.authorize(&row.owner_id, Right::DomainsRead)?;
    let tld = catalogue
        .tld(&row.tld)
        .ok_or_else(|| AppError::internal(format!("TLD {} left the catalogue", row.tld)))?;
    let view = view_of(&mut tx, &row, tld, app.now()).await?;
    tx.commit().await?;
    Ok(view)
}

/// The public facts of a registrant that WHOIS and RDAP may show without consent: the
/// organisation name of a legal person (not personal data), the province and the country
/// (the ICANN Temporary Specification publishes both). Everything else is redacted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicRegistrant {
    /// The contact id, used as the RDAP entity handle.
    pub handle: String,
    /// The organisation name, for `organization` contacts only.
    pub organization: Option<String>,
    /// Province.
    pub province: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// Name, e-mail and phone, present only when the registrant consented to disclosure.
    pub disclosed: Option<DisclosedRegistrant>,
}

/// What a registrant who consented lets lookups show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisclosedRegistrant {
    /// Name (person or organisation).
    pub name: String,
    /// E-mail.
    pub email: String,
    /// Phone, EPP form.
    pub phone: String,
}

/// What WHOIS and RDAP show of a registered name: the same view the API builds (statuses and
/// holds at now) plus the registry facts a public lookup needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupView {
    /// The registrar's view at now.
    pub domain: DomainView,
    /// The registry object id (Registry Domain ID, RDAP `handle`).
    pub id: String,
    /// Last change of the registration data.
    pub updated_at: Timestamp,
    /// The registrant's public facts; `None` if the contact row is gone.
    pub registrant: Option<PublicRegistrant>,
}

fn public_registrant(
    app: &App,
    contact: &yuming_store::ContactRow,
    disclose: bool,
) -> Result<PublicRegistrant, AppError> {
    // E-mail and phone are sealed at rest: opened only when the registrant consented.
    let disclosed = if disclose {
        let (email, phone) = crate::registrar::contacts::email_and_phone(app.cipher(), contact)?;
        Some(DisclosedRegistrant {
            name: contact.name.clone(),
            email,
            phone,
        })
    } else {
        None
    };
    Ok(PublicRegistrant {
        handle: contact.id.clone(),
        organization: (contact.kind == "organization").then(|| contact.name.clone()),
        province: contact.province.clone(),
        country: contact.country.clone(),
        disclosed,
    })
}

/// Why a public lookup found nothing.
fn no_such_domain() -> AppError {
    AppError::new(
        ErrorKind::NotFound,
        "DOMAIN_NOT_FOUND",
        "no such domain",
        "未找到该域名",
    )
}

/// Public lookup of a name (WHOIS, RDAP), Unicode or A-label, for anyone. A syntactically
/// invalid name is `INVALID_DOMAIN_NAME` (400); an unknown name, or one the lifecycle has
/// released (even before the scheduler purges it), is `DOMAIN_NOT_FOUND` (404). Names in
/// redemption or pending delete are shown with those statuses.
pub async fn lookup(app: &App, name: &str) -> Result<LookupView, AppError> {
    let parsed = DomainName::parse(name, &DomainPolicy::GENERIC).map_err(|rejection| {
        AppError::bad_request(
            "INVALID_DOMAIN_NAME",
            format!("not a domain name: {rejection}"),
            "域名格式无效",
        )
        .with_field("name")
    })?;
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    // Lone reads outside a transaction: a public lookup shows each row as it is, and every
    // RDAP and WHOIS query asks this.
    let row = app
        .db()
        .domain_by_name(parsed.value.ascii())
        .await?
        .ok_or_else(no_such_domain)?;
    let Some(tld) = catalogue.tld(&row.tld) else {
        return Err(AppError::internal(format!(
            "TLD {} left the catalogue",
            row.tld
        )));
    };
    let projection = project_row(&row, tld, now)?;
    if projection.phase == Phase::Released {
        return Err(no_such_domain());
    }
    let (contact, disclose) = match app
        .db()
        .published_contact(&row.registrant_contact_id)
        .await?
    {
        Some(PublishedContact { row, disclose }) => (Some(row), disclose),
        None => (None, false),
    };
    let verified = contact
        .as_ref()
        .is_some_and(|c| c.verification_status == "verified");
    Ok(LookupView {
        domain: view(&row, &projection, holds(&row, tld, verified, now)),
        id: row.id.clone(),
        updated_at: Timestamp(row.updated_at),
        registrant: contact
            .as_ref()
            .map(|c| public_registrant(app, c, disclose))
            .transpose()?,
    })
}

/// Whether a host name is a nameserver of any live domain (RDAP nameserver lookup). The name
/// must be a valid host name (`INVALID_NAMESERVER`, 400); unknown is `NAMESERVER_NOT_FOUND`.
/// Returns the host's A-label and Unicode forms.
pub async fn lookup_nameserver(app: &App, name: &str) -> Result<(String, String), AppError> {
    let parsed = DomainName::parse(name, &DomainPolicy::GENERIC).map_err(|rejection| {
        AppError::bad_request(
            "INVALID_NAMESERVER",
            format!("not a host name: {rejection}"),
            "主机名无效",
        )
        .with_field("name")
    })?;
    let ascii = parsed.value.ascii().to_owned();
    let mut tx = app.db().read().await?;
    let used = tx.nameserver_in_use(&ascii).await?;
    tx.commit().await?;
    if !used {
        return Err(AppError::new(
            ErrorKind::NotFound,
            "NAMESERVER_NOT_FOUND",
            "no such nameserver",
            "未找到该域名服务器",
        ));
    }
    Ok((ascii, parsed.value.unicode().to_owned()))
}

/// The public facts of a registrant contact, by handle, when it is the registrant of a live
/// domain; any other contact id is `ENTITY_NOT_FOUND`, so handles of contacts that are not
/// published cannot be probed.
pub async fn lookup_registrant(app: &App, handle: &str) -> Result<PublicRegistrant, AppError> {
    let not_found = || {
        AppError::new(
            ErrorKind::NotFound,
            "ENTITY_NOT_FOUND",
            "no such entity",
            "未找到该实体",
        )
    };
    // Handles are short opaque ids; anything longer is not one of ours.
    if handle.is_empty() || handle.len() > 64 {
        return Err(not_found());
    }
    let mut tx = app.db().read().await?;
    let published = tx.contact_is_registrant(handle).await?;
    tx.commit().await?;
    if !published {
        return Err(not_found());
    }
    // The same lone read as the domain lookup's registrant.
    let PublishedContact { row, disclose } = app
        .db()
        .published_contact(handle)
        .await?
        .ok_or_else(not_found)?;
    public_registrant(app, &row, disclose)
}

/// A change to a domain's registration data (EPP `<update>`).
#[derive(Debug, Clone, Default)]
pub struct DomainUpdate {
    /// New nameservers.
    pub nameservers: Option<Vec<String>>,
    /// Registrar lock: sets or clears clientTransferProhibited, clientDeleteProhibited and
    /// clientUpdateProhibited together.
    pub locked: Option<bool>,
    /// Automatic renewal.
    pub auto_renew: Option<bool>,
}

const LOCK_FLAGS: [EppStatus; 3] = [
    EppStatus::ClientTransferProhibited,
    EppStatus::ClientDeleteProhibited,
    EppStatus::ClientUpdateProhibited,
];

pub(crate) fn status_prohibits(status: EppStatus) -> AppError {
    AppError::new(
        ErrorKind::Unprocessable,
        "STATUS_PROHIBITS",
        format!(
            "the domain's status {} prohibits this change; unlock it first",
            status.as_epp()
        ),
        format!("域名状态 {} 禁止此修改，请先解锁", status.as_epp()),
    )
}

/// The lifecycle facts of a domain that may be updated at `now`: not deleted, and not under
/// the registry's update lock. (The registrar's own lock is the caller's to weigh: unlocking
/// must stay possible.)
pub(crate) fn updatable_record(
    row: &DomainRow,
    tld: &TldPolicy,
    now: Timestamp,
) -> Result<DomainRecord, AppError> {
    let record = record_of(row)?;
    let projection = lifecycle::project(&record, &tld.periods, now).map_err(lifecycle_error)?;
    if projection.phase.is_deleted() {
        return Err(AppError::new(
            ErrorKind::Unprocessable,
            "NOT_UPDATABLE_IN_PHASE",
            "a deleted domain cannot be changed",
            "已删除的域名不可修改",
        ));
    }
    if record.flags.contains(EppStatus::ServerUpdateProhibited) {
        return Err(status_prohibits(EppStatus::ServerUpdateProhibited));
    }
    Ok(record)
}

/// Updates nameservers, the registrar lock and automatic renewal.
pub async fn update(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    name: &str,
    change: DomainUpdate,
) -> Result<DomainView, AppError> {
    let nameservers = change
        .nameservers
        .as_deref()
        .map(parse_nameservers)
        .transpose()?;
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    let mut tx = app.db().write().await?;
    let (mut row, tld) =
        load_for_update(&mut tx, &catalogue, actor, name, Right::DomainsManage).await?;
    let mut record = updatable_record(&row, tld, now)?;
    // With the registrar lock on, only unlocking (and auto-renew) is accepted.
    let unlocking = change.locked == Some(false);
    if record.flags.contains(EppStatus::ClientUpdateProhibited)
        && nameservers.is_some()
        && !unlocking
    {
        return Err(status_prohibits(EppStatus::ClientUpdateProhibited));
    }
    let before =
        json!({ "nameservers": row.nameservers, "flags": row.flags, "auto_renew": row.auto_renew });
    if let Some(locked) = change.locked {
        for flag in LOCK_FLAGS {
            if locked {
                record.flags.insert(flag).map_err(lifecycle_error)?;
            } else {
                record.flags.remove(flag);
            }
        }
    }
    if let Some(auto_renew) = change.auto_renew {
        record.auto_renew = auto_renew;
    }
    apply_record(&mut row, &record);
    if let Some(servers) = &nameservers {
        row.nameservers = servers.join(",");
    }
    row.updated_at = now.0;
    app.registry(&tld.registry)?.update(&mut tx, &row).await?;
    let after =
        json!({ "nameservers": row.nameservers, "flags": row.flags, "auto_renew": row.auto_renew });
    record_change(
        app,
        &mut tx,
        ctx,
        actor,
        &row,
        "domain.update",
        None,
        before,
        after,
        now,
    )
    .await?;
    let view = view_of(&mut tx, &row, tld, now).await?;
    tx.commit().await?;
    Ok(view)
}

/// The domain's auth code (transfer secret), optionally replaced by a new one first.
pub async fn auth_code(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    name: &str,
    reset: bool,
) -> Result<String, AppError> {
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    let mut tx = if reset {
        app.db().write().await?
    } else {
        app.db().read().await?
    };
    let (mut row, tld) =
        load_for_update(&mut tx, &catalogue, actor, name, Right::DomainsManage).await?;
    let code = if reset {
        let code = new_auth_code();
        row.auth_code_sealed = app
            .cipher()
            .seal(code.as_bytes(), &auth_code_context(&row.id));
        row.updated_at = now.0;
        app.registry(&tld.registry)?.update(&mut tx, &row).await?;
        // The new code itself is never recorded.
        let nothing = serde_json::Value::Null;
        record_change(
            app,
            &mut tx,
            ctx,
            actor,
            &row,
            "domain.auth_code_reset",
            None,
            nothing.clone(),
            nothing,
            now,
        )
        .await?;
        code
    } else {
        let plain = app
            .cipher()
            .open(&row.auth_code_sealed, &auth_code_context(&row.id))
            .map_err(|e| AppError::internal(format!("auth code: {e}")))?;
        String::from_utf8(plain).map_err(|_| AppError::internal("auth code is not UTF-8"))?
    };
    tx.commit().await?;
    Ok(code)
}

/// Changes the registrant (过户 inside one tenant or to another of its contacts): the new
/// holder's real name must be verified (spec §3.1 RN-5/RN-6), and update locks apply.
pub async fn change_registrant(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    name: &str,
    contact_id: &str,
) -> Result<DomainView, AppError> {
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    let mut tx = app.db().write().await?;
    let (mut row, tld) =
        load_for_update(&mut tx, &catalogue, actor, name, Right::DomainsManage).await?;
    let record = updatable_record(&row, tld, now)?;
    if record.flags.contains(EppStatus::ClientUpdateProhibited) {
        return Err(status_prohibits(EppStatus::ClientUpdateProhibited));
    }
    crate::registrar::contacts::require_verified(app, &mut tx, actor, contact_id).await?;
    let before = json!({ "registrant_contact_id": row.registrant_contact_id });
    row.registrant_contact_id = contact_id.to_owned();
    row.updated_at = now.0;
    app.registry(&tld.registry)?.update(&mut tx, &row).await?;
    let after = json!({ "registrant_contact_id": row.registrant_contact_id });
    record_change(
        app,
        &mut tx,
        ctx,
        actor,
        &row,
        "domain.registrant_change",
        None,
        before,
        after,
        now,
    )
    .await?;
    let view = view_of(&mut tx, &row, tld, now).await?;
    tx.commit().await?;
    Ok(view)
}

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
        return Err(AppError::new(
            ErrorKind::Conflict,
            "NOT_UNDER_REVIEW",
            "this domain is not held for a naming review",
            "该域名不在命名审核中",
        ));
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
            let holder = HolderId::parse(&row.owner_id)
                .map_err(|e| AppError::internal(format!("holder id: {e}")))?;
            let order_id = new_id("ord");
            tx.change_balance(&row.owner_id, currency.code(), amount.minor(), now.0)
                .await?
                .ok_or_else(|| AppError::internal("a refund was refused"))?;
            let transaction = money::refund(&holder, amount)
                .map_err(|e| AppError::internal(format!("refund: {e}")))?;
            book(
                &mut tx,
                &transaction,
                &order_id,
                &format!("naming review rejected {}", row.name),
                now,
            )
            .await?;
            tx.insert_order(&OrderRow {
                id: order_id.clone(),
                owner_id: row.owner_id.clone(),
                actor_id: actor.account_id.clone(),
                kind: "refund".into(),
                domain_name: Some(row.name.clone()),
                years: order.years,
                amount: order.amount,
                currency: order.currency.clone(),
                status: "completed".into(),
                detail: json!({ "refunds": order.id, "reason": reason }).to_string(),
                created_at: now.0,
            })
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
