//! Renewal, manual and automatic (RFC 3915 renew and auto-renew grace).

use super::timeline::{
    add_years, check_not_blocked, check_within_max_term, check_years, record_renewal,
    start_of_utc_day,
};
use super::{
    DomainRecord, LifecycleError, Phase, RenewalKind, SECONDS_PER_DAY, TldPeriods, project,
};
use crate::clock::Timestamp;
use crate::rules::epp_status::Operation;

/// What a renewal would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RenewDecision {
    /// The years renewed.
    pub years: u32,
    /// The expiry the renewal counts from: the current one, even when already passed.
    pub renews_from: Timestamp,
    /// The expiry after the renewal.
    pub new_expires_at: Timestamp,
    /// Whether the name is already expired (renewed in the auto-renew grace period).
    pub late: bool,
}

/// Whether `record` can be renewed by `years` at `now`, and the resulting expiry.
///
/// Renewal counts from the current expiry, also in the auto-renew grace period, so that a
/// late renewal buys no free days. The new expiry may be at most `max_registration_years`
/// after `now` (Nomulus `DomainRenewFlow`).
///
/// # Errors
/// `INVALID_YEARS`, `DOMAIN_RELEASED`, `NOT_RENEWABLE_IN_PHASE` (redemption, pending
/// delete), `STATUS_PROHIBITS` (`*RenewProhibited`), `RENEWAL_TOO_LONG`,
/// `DATE_OUT_OF_RANGE`, `INCONSISTENT_RECORD`.
pub fn can_renew(
    record: &DomainRecord,
    periods: &TldPeriods,
    years: u32,
    now: Timestamp,
) -> Result<RenewDecision, LifecycleError> {
    check_years(years, periods)?;
    let projection = project(record, periods, now)?;
    match projection.phase {
        Phase::Active | Phase::AutoRenewGrace => {}
        Phase::Released => return Err(LifecycleError::DomainReleased),
        phase @ (Phase::Redemption | Phase::PendingDelete) => {
            return Err(LifecycleError::NotRenewableInPhase { phase });
        }
    }
    check_not_blocked(&projection, Operation::Renew)?;
    let new_expires_at = add_years(record.expires_at, years)?;
    check_within_max_term(new_expires_at, periods, now)?;
    Ok(RenewDecision {
        years,
        renews_from: record.expires_at,
        new_expires_at,
        late: projection.phase == Phase::AutoRenewGrace,
    })
}

/// Renews `record` by `years` at the customer's request; returns the updated facts.
///
/// # Errors
/// As [`can_renew`].
pub fn renew(
    record: &DomainRecord,
    periods: &TldPeriods,
    years: u32,
    now: Timestamp,
) -> Result<DomainRecord, LifecycleError> {
    let decision = can_renew(record, periods, years, now)?;
    Ok(record_renewal(
        record,
        &decision,
        RenewalKind::Explicit,
        now,
    ))
}

/// An auto-renewal that is due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AutoRenewDue {
    /// The start (00:00 UTC) of the day of expiry, from which the renewal is due.
    pub due_since: Timestamp,
    /// The expiry the one-year renewal counts from.
    pub renews_from: Timestamp,
}

/// Whether the scheduler should auto-renew `record` at `now`.
///
/// Due from 00:00 UTC on the day of expiry, so the charge happens before the name lapses,
/// and still due afterwards throughout the auto-renew grace period, so that a missed run
/// catches up. Not due when auto-renew is off or the name is deleted. Renewal
/// prohibitions are not checked here: [`auto_renew`] reports them, so the customer can be
/// told why the renewal failed.
///
/// # Errors
/// `INCONSISTENT_RECORD`.
pub fn auto_renew_due(
    record: &DomainRecord,
    periods: &TldPeriods,
    now: Timestamp,
) -> Result<Option<AutoRenewDue>, LifecycleError> {
    auto_renew_due_ahead(record, periods, now, 0)
}

/// As [`auto_renew_due`], for an account that asked to renew `days_before` days ahead of
/// expiry: due from 00:00 UTC on that earlier day.
///
/// # Errors
/// `INCONSISTENT_RECORD`.
pub fn auto_renew_due_ahead(
    record: &DomainRecord,
    periods: &TldPeriods,
    now: Timestamp,
    days_before: u32,
) -> Result<Option<AutoRenewDue>, LifecycleError> {
    if !record.auto_renew {
        return Ok(None);
    }
    let projection = project(record, periods, now)?;
    let due_since = start_of_utc_day(
        record
            .expires_at
            .plus_secs(-i64::from(days_before) * SECONDS_PER_DAY),
    );
    let due = !projection.phase.is_deleted() && now >= due_since;
    Ok(due.then_some(AutoRenewDue {
        due_since,
        renews_from: record.expires_at,
    }))
}

/// Performs a due auto-renewal of one year; returns the updated facts.
///
/// Refusing when not due makes a repeated scheduler run harmless: once renewed, the new
/// expiry is a year away and the renewal is no longer due.
///
/// # Errors
/// `AUTO_RENEW_NOT_DUE`, then as [`can_renew`].
pub fn auto_renew(
    record: &DomainRecord,
    periods: &TldPeriods,
    now: Timestamp,
) -> Result<DomainRecord, LifecycleError> {
    auto_renew_ahead(record, periods, now, 0)
}

/// As [`auto_renew`], with the account's renewal threshold (see [`auto_renew_due_ahead`]).
///
/// # Errors
/// `AUTO_RENEW_NOT_DUE`, then as [`can_renew`].
pub fn auto_renew_ahead(
    record: &DomainRecord,
    periods: &TldPeriods,
    now: Timestamp,
    days_before: u32,
) -> Result<DomainRecord, LifecycleError> {
    if auto_renew_due_ahead(record, periods, now, days_before)?.is_none() {
        return Err(LifecycleError::AutoRenewNotDue);
    }
    let decision = can_renew(record, periods, 1, now)?;
    Ok(record_renewal(record, &decision, RenewalKind::Auto, now))
}
