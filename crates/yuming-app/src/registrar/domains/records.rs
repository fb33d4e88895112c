//! A domain row as the lifecycle's record and as the view the API shows, with the errors the domain
//! use cases share.

use yuming_core::catalogue::{TldPolicy, Unavailable};
use yuming_core::clock::Timestamp;
use yuming_core::lifecycle::{
    self, DomainRecord, LifecycleError, Phase, Projection, Renewal, RenewalKind, StatusFlags,
};
use yuming_core::rules::Problem;
use yuming_core::rules::domain_name::{DomainName, DomainPolicy};
use yuming_core::rules::epp_status::EppStatus;
use yuming_store::{DomainRow, Tx};

use crate::registrar::RegistrarError;
use crate::{AppError, ErrorKind};

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

/// A term the TLD does not sell (`INVALID_YEARS` on `years`).
pub(crate) fn years_error(problem: Problem) -> AppError {
    AppError::bad_request(problem.code, problem.message, problem.message_zh).with_field("years")
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
pub(super) fn holds(
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

pub(super) fn view(
    row: &DomainRow,
    projection: &Projection,
    holds: Vec<&'static str>,
) -> DomainView {
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
pub(super) async fn registrant_verified(tx: &mut Tx, row: &DomainRow) -> Result<bool, AppError> {
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

pub(crate) fn unavailable_error(unavailable: Unavailable) -> AppError {
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
        return Err(RegistrarError::TooManyNameservers.into());
    }
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        let parsed = DomainName::parse(name, &DomainPolicy::GENERIC).map_err(|rejection| {
            RegistrarError::InvalidNameserver {
                index: i,
                name: name.clone(),
                reason: rejection.to_string(),
            }
        })?;
        let ascii = parsed.value.ascii().to_owned();
        if !out.contains(&ascii) {
            out.push(ascii);
        }
    }
    Ok(out)
}
