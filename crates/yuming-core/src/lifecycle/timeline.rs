//! The timeline of one registration: grace period ends, transfer locks, lifecycle boundaries, and
//! the calendar arithmetic they share.

use time::{Date, Month, OffsetDateTime};

use super::deletion::{Refund, RefundedOperation};
use super::renewal::RenewDecision;
use super::{
    DeletionSchedule, DomainRecord, GracePeriod, LifecycleError, Phase, Projection, Renewal,
    RenewalKind, RgpStatus, SECONDS_PER_DAY, TldPeriods, TransferLockReason,
};
use crate::clock::Timestamp;
use crate::rules::epp_status::{EppStatus, Operation, StatusSet, validate_status_set};

/// The deletion that is in effect at `now`, if any, and the resulting schedule.
pub(super) struct Timeline {
    /// When the delete command in effect was accepted.
    pub(super) deleted_at: Option<Timestamp>,
    pub(super) schedule: DeletionSchedule,
    /// The end of the add grace period (equal to `created_at` when there is none).
    pub(super) add_grace_ends_at: Timestamp,
}

impl Timeline {
    pub(super) fn new(record: &DomainRecord, periods: &TldPeriods, now: Timestamp) -> Timeline {
        let add_grace_ends_at = add_grace_end(record, periods);
        let deleted_at = record.deleted_at.filter(|deleted_at| {
            let undone = record
                .restored_at
                .is_some_and(|restored_at| *deleted_at <= restored_at && restored_at <= now);
            *deleted_at <= now && !undone
        });
        let schedule = match deleted_at {
            // RFC 3915: a name deleted in its add grace period is purged at once.
            Some(deleted_at)
                if deleted_at >= record.created_at && deleted_at < add_grace_ends_at =>
            {
                DeletionSchedule {
                    redemption_starts_at: deleted_at,
                    pending_delete_starts_at: deleted_at,
                    released_at: deleted_at,
                }
            }
            Some(deleted_at) => DeletionSchedule::starting(deleted_at, periods),
            None => DeletionSchedule::starting(
                record
                    .expires_at
                    .plus_days(i64::from(periods.auto_renew_grace_days)),
                periods,
            ),
        };
        Timeline {
            deleted_at,
            schedule,
            add_grace_ends_at,
        }
    }

    pub(super) fn phase(&self, record: &DomainRecord, now: Timestamp) -> Phase {
        if now >= self.schedule.released_at {
            Phase::Released
        } else if now >= self.schedule.pending_delete_starts_at {
            Phase::PendingDelete
        } else if now >= self.schedule.redemption_starts_at {
            Phase::Redemption
        } else if self.deleted_at.is_none() && now >= record.expires_at {
            Phase::AutoRenewGrace
        } else {
            Phase::Active
        }
    }
}

/// A renewal does not end the add grace period (RFC 3915, Nomulus `DomainRenewFlow`): it
/// opens a renew grace period beside it, and a delete inside both refunds both.
fn add_grace_end(record: &DomainRecord, periods: &TldPeriods) -> Timestamp {
    record
        .created_at
        .plus_days(i64::from(periods.add_grace_days))
}

/// The grace periods running at `now`, each with the refund a delete would earn from it.
pub(super) fn grace_periods(
    record: &DomainRecord,
    periods: &TldPeriods,
    timeline: &Timeline,
    phase: Phase,
    now: Timestamp,
) -> Vec<(GracePeriod, Option<Refund>)> {
    let schedule = timeline.schedule;
    let mut found: Vec<(GracePeriod, Option<Refund>)> = Vec::new();
    let mut offer = |status: RgpStatus, starts_at: Timestamp, ends_at: Timestamp, refund| {
        // Nomulus clears grace periods on restore: nothing that began before the latest
        // restore can still earn a refund, or a delete/restore/delete would refund twice.
        let voided = record
            .restored_at
            .is_some_and(|restored_at| restored_at <= now && starts_at < restored_at);
        if starts_at <= now && now < ends_at && !voided {
            let grace = GracePeriod {
                status,
                starts_at,
                ends_at,
            };
            found.push((grace, refund));
        }
    };
    match phase {
        Phase::Released => {}
        Phase::Redemption => offer(
            RgpStatus::RedemptionPeriod,
            schedule.redemption_starts_at,
            schedule.pending_delete_starts_at,
            None,
        ),
        Phase::PendingDelete => offer(
            RgpStatus::PendingDelete,
            schedule.pending_delete_starts_at,
            schedule.released_at,
            None,
        ),
        Phase::Active | Phase::AutoRenewGrace => {
            offer(
                RgpStatus::AddPeriod,
                record.created_at,
                timeline.add_grace_ends_at,
                Some(Refund {
                    grace: RgpStatus::AddPeriod,
                    operation: RefundedOperation::Registration {
                        years: record.registered_years,
                    },
                    fee_deducted: true,
                }),
            );
            if let Some(renewal) = record.last_renewal {
                match renewal.kind {
                    RenewalKind::Explicit => offer(
                        RgpStatus::RenewPeriod,
                        renewal.at,
                        renewal.at.plus_days(i64::from(periods.renew_grace_days)),
                        Some(Refund {
                            grace: RgpStatus::RenewPeriod,
                            operation: RefundedOperation::Renewal {
                                years: renewal.years,
                            },
                            fee_deducted: false,
                        }),
                    ),
                    // Counted from the previous expiry, like the registry's own auto-renew
                    // grace, but starting no later than the renewal itself so that a
                    // renewal made early on the day of expiry is refundable at once.
                    RenewalKind::Auto => offer(
                        RgpStatus::AutoRenewPeriod,
                        renewal.at.min(renewal.previous_expires_at),
                        renewal
                            .previous_expires_at
                            .plus_days(i64::from(periods.auto_renew_grace_days)),
                        Some(Refund {
                            grace: RgpStatus::AutoRenewPeriod,
                            operation: RefundedOperation::AutoRenewal {
                                years: renewal.years,
                            },
                            fee_deducted: false,
                        }),
                    ),
                    RenewalKind::Restore => {}
                }
            }
            if let Some(transferred_at) = record.last_transferred_at {
                offer(
                    RgpStatus::TransferPeriod,
                    transferred_at,
                    transferred_at.plus_days(i64::from(periods.transfer_grace_days)),
                    Some(Refund {
                        grace: RgpStatus::TransferPeriod,
                        operation: RefundedOperation::Transfer {
                            years: periods.transfer_adds_years,
                        },
                        fee_deducted: false,
                    }),
                );
            }
            if phase == Phase::AutoRenewGrace {
                // Expired and not renewed: nothing was charged, so nothing is refundable.
                offer(
                    RgpStatus::AutoRenewPeriod,
                    record.expires_at,
                    schedule.redemption_starts_at,
                    None,
                );
            }
        }
    }
    found.sort_by_key(|(grace, _)| grace.status);
    found
}

/// The time-based transfer locks in force at `now`, with the instant each lifts.
pub(super) fn transfer_locks(
    record: &DomainRecord,
    periods: &TldPeriods,
    now: Timestamp,
) -> Vec<(TransferLockReason, Option<Timestamp>)> {
    let lock_days = i64::from(periods.transfer_lock_days);
    let mut locks = Vec::new();
    let mut lock_until = |reason, until: Timestamp| {
        if now < until {
            locks.push((reason, Some(until)));
        }
    };
    lock_until(
        TransferLockReason::NewRegistration,
        record.created_at.plus_days(lock_days),
    );
    if let Some(transferred_at) = record.last_transferred_at {
        lock_until(
            TransferLockReason::RecentTransfer,
            transferred_at.plus_days(lock_days),
        );
    }
    if let Some(renewal) = record.last_renewal.filter(Renewal::after_expiry)
        && periods.post_expiry_renewal_transfer_lock_days > 0
        && renewal.at <= now
    {
        lock_until(
            TransferLockReason::PostExpiryRenewal,
            renewal
                .at
                .plus_days(i64::from(periods.post_expiry_renewal_transfer_lock_days)),
        );
    }
    if near_expiry_window_start(record, periods).is_some_and(|window_start| now >= window_start) {
        locks.push((TransferLockReason::NearExpiry, None));
    }
    locks
}

fn near_expiry_window_start(record: &DomainRecord, periods: &TldPeriods) -> Option<Timestamp> {
    (periods.no_transfer_before_expiry_days > 0).then(|| {
        record
            .expires_at
            .plus_days(-i64::from(periods.no_transfer_before_expiry_days))
    })
}

/// Every instant at which something about a live domain can change.
pub(super) fn live_boundaries(
    record: &DomainRecord,
    periods: &TldPeriods,
    transfer_auto_approves_at: Option<Timestamp>,
) -> Vec<Timestamp> {
    let days = |n: u32| i64::from(n);
    let mut instants = vec![
        add_grace_end(record, periods),
        record
            .created_at
            .plus_days(days(periods.transfer_lock_days)),
        record.expires_at,
    ];
    if let Some(renewal) = record.last_renewal {
        match renewal.kind {
            RenewalKind::Explicit => {
                instants.push(renewal.at.plus_days(days(periods.renew_grace_days)));
            }
            RenewalKind::Auto => instants.push(
                renewal
                    .previous_expires_at
                    .plus_days(days(periods.auto_renew_grace_days)),
            ),
            RenewalKind::Restore => {}
        }
        if renewal.after_expiry() {
            instants.push(
                renewal
                    .at
                    .plus_days(days(periods.post_expiry_renewal_transfer_lock_days)),
            );
        }
    }
    if let Some(transferred_at) = record.last_transferred_at {
        instants.push(transferred_at.plus_days(days(periods.transfer_grace_days)));
        instants.push(transferred_at.plus_days(days(periods.transfer_lock_days)));
    }
    instants.extend(near_expiry_window_start(record, periods));
    instants.extend(transfer_auto_approves_at);
    if record.auto_renew {
        instants.push(start_of_utc_day(record.expires_at));
    }
    instants
}

pub(super) fn record_renewal(
    record: &DomainRecord,
    decision: &RenewDecision,
    kind: RenewalKind,
    now: Timestamp,
) -> DomainRecord {
    let mut renewed = record.clone();
    renewed.expires_at = decision.new_expires_at;
    renewed.last_renewal = Some(Renewal {
        at: now,
        years: decision.years,
        kind,
        previous_expires_at: decision.renews_from,
    });
    renewed
}

pub(super) fn check_years(years: u32, periods: &TldPeriods) -> Result<(), LifecycleError> {
    if (1..=periods.max_registration_years).contains(&years) {
        Ok(())
    } else {
        Err(LifecycleError::InvalidYears {
            years,
            max: periods.max_registration_years,
        })
    }
}

pub(super) fn check_within_max_term(
    new_expires_at: Timestamp,
    periods: &TldPeriods,
    now: Timestamp,
) -> Result<(), LifecycleError> {
    let latest = add_years(now, periods.max_registration_years)?;
    if new_expires_at > latest {
        Err(LifecycleError::RenewalTooLong {
            requested: new_expires_at,
            latest,
        })
    } else {
        Ok(())
    }
}

pub(super) fn check_not_blocked(
    projection: &Projection,
    operation: Operation,
) -> Result<(), LifecycleError> {
    let statuses = projection
        .statuses
        .as_ref()
        .map(|set| set.blocking(operation))
        .unwrap_or_default();
    if statuses.is_empty() {
        Ok(())
    } else {
        Err(LifecycleError::StatusProhibits {
            operation,
            statuses,
        })
    }
}

pub(super) fn validated(statuses: &[EppStatus]) -> Result<StatusSet, LifecycleError> {
    validate_status_set(statuses)
        .map(|valid| valid.value)
        .map_err(|rejection| LifecycleError::InconsistentRecord {
            codes: rejection.codes(),
        })
}

pub(super) fn start_of_utc_day(at: Timestamp) -> Timestamp {
    Timestamp(at.0.saturating_sub(at.0.rem_euclid(SECONDS_PER_DAY)))
}

/// `at` plus `years` calendar years, leap-safe as Nomulus's `leapSafeAddYears`: one year
/// first, then the rest, so 29 February becomes 28 February and stays there, exactly as
/// the same number of one-year renewals would give.
pub(super) fn add_years(at: Timestamp, years: u32) -> Result<Timestamp, LifecycleError> {
    if years == 0 {
        return Ok(at);
    }
    let first = shift_calendar_years(at, 1)?;
    shift_calendar_years(first, i64::from(years) - 1)
}

/// `at` moved by `years` calendar years (either way), same time of day; 29 February
/// becomes 28 February in a common year.
pub(super) fn shift_calendar_years(at: Timestamp, years: i64) -> Result<Timestamp, LifecycleError> {
    let moment =
        OffsetDateTime::from_unix_timestamp(at.0).map_err(|_| LifecycleError::DateOutOfRange)?;
    let date = moment.date();
    let year = i64::from(date.year())
        .checked_add(years)
        .and_then(|year| i32::try_from(year).ok())
        .ok_or(LifecycleError::DateOutOfRange)?;
    let shifted = match Date::from_calendar_date(year, date.month(), date.day()) {
        Ok(shifted) => shifted,
        Err(_) if date.month() == Month::February && date.day() == 29 => {
            Date::from_calendar_date(year, Month::February, 28)
                .map_err(|_| LifecycleError::DateOutOfRange)?
        }
        Err(_) => return Err(LifecycleError::DateOutOfRange),
    };
    Ok(Timestamp(moment.replace_date(shifted).unix_timestamp()))
}
