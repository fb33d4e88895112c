//! Restore during redemption (RFC 3915): what it charges and the record after it.

use super::timeline::add_years;
use super::{DomainRecord, LifecycleError, Phase, Renewal, RenewalKind, TldPeriods, project};
use crate::clock::Timestamp;

/// Something the customer pays for with an operation; the pricing layer prices it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Charge {
    /// The restore (redemption) fee.
    RestoreFee,
    /// A renewal of this many years.
    Renewal {
        /// The years.
        years: u32,
    },
}

/// What a restore would do.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RestoreDecision {
    /// What is due: the restore fee always, plus one renewal year when the name has
    /// already expired (more only if the periods are longer than a year).
    pub charges: Vec<Charge>,
    /// The expiry after the restore.
    pub new_expires_at: Timestamp,
}

impl RestoreDecision {
    /// The renewal years included in the restore.
    pub fn renewal_years(&self) -> u32 {
        self.charges
            .iter()
            .map(|charge| match charge {
                Charge::Renewal { years } => *years,
                Charge::RestoreFee => 0,
            })
            .sum()
    }
}

/// Whether `record` can be restored at `now`: only in redemption (RFC 3915).
///
/// As in Nomulus `DomainRestoreRequestFlow`, the expiry is kept when it is still ahead and
/// extended by whole years until it is after `now` otherwise (one year with the presets).
/// Stored flags do not block a restore: while deleted, the projected status set is
/// `{pendingDelete}` alone.
///
/// # Errors
/// `DOMAIN_RELEASED`, `RESTORE_OUTSIDE_REDEMPTION`, `RENEWAL_TOO_LONG` (only with periods
/// longer than the maximum term), `DATE_OUT_OF_RANGE`, `INCONSISTENT_RECORD`.
pub fn can_restore(
    record: &DomainRecord,
    periods: &TldPeriods,
    now: Timestamp,
) -> Result<RestoreDecision, LifecycleError> {
    let projection = project(record, periods, now)?;
    match projection.phase {
        Phase::Redemption => {}
        Phase::Released => return Err(LifecycleError::DomainReleased),
        phase @ (Phase::Active | Phase::AutoRenewGrace | Phase::PendingDelete) => {
            return Err(LifecycleError::RestoreOutsideRedemption { phase });
        }
    }
    let mut years = 0;
    let mut new_expires_at = record.expires_at;
    while new_expires_at <= now {
        if years >= periods.max_registration_years {
            return Err(LifecycleError::RenewalTooLong {
                requested: add_years(new_expires_at, 1)?,
                latest: add_years(now, periods.max_registration_years)?,
            });
        }
        new_expires_at = add_years(new_expires_at, 1)?;
        years += 1;
    }
    let mut charges = vec![Charge::RestoreFee];
    if years > 0 {
        charges.push(Charge::Renewal { years });
    }
    Ok(RestoreDecision {
        charges,
        new_expires_at,
    })
}

/// Restores `record` at `now`; returns the updated facts (deletion undone, expiry set, any
/// pending transfer dropped, the included renewal recorded).
///
/// # Errors
/// As [`can_restore`].
pub fn restore(
    record: &DomainRecord,
    periods: &TldPeriods,
    now: Timestamp,
) -> Result<DomainRecord, LifecycleError> {
    let decision = can_restore(record, periods, now)?;
    let mut restored = record.clone();
    restored.restored_at = Some(now);
    restored.pending_transfer_since = None;
    restored.expires_at = decision.new_expires_at;
    let years = decision.renewal_years();
    if years > 0 {
        restored.last_renewal = Some(Renewal {
            at: now,
            years,
            kind: RenewalKind::Restore,
            previous_expires_at: record.expires_at,
        });
    }
    Ok(restored)
}
