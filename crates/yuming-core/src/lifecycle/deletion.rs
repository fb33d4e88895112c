//! Deletion: the refund inside a grace period (RFC 3915) or redemption, and the deletion schedule.

use super::timeline::{Timeline, check_not_blocked, grace_periods, shift_calendar_years};
use super::{
    DeletionSchedule, DomainRecord, LifecycleError, Phase, RgpStatus, TldPeriods, project,
};
use crate::clock::Timestamp;
use crate::rules::epp_status::Operation;

/// The operation a refund gives back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RefundedOperation {
    /// The registration.
    Registration {
        /// Its years.
        years: u32,
    },
    /// An explicit renewal.
    Renewal {
        /// Its years.
        years: u32,
    },
    /// An auto-renewal.
    AutoRenewal {
        /// Its years.
        years: u32,
    },
    /// A transfer.
    Transfer {
        /// The years it added.
        years: u32,
    },
}

/// One refund a delete earns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Refund {
    /// The grace period that makes it refundable.
    pub grace: RgpStatus,
    /// What is refunded.
    pub operation: RefundedOperation,
    /// Whether a handling fee is kept back (add grace: "refund minus fee").
    pub fee_deducted: bool,
}

/// What happens to a deleted name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeleteEffect {
    /// Deleted inside the add grace period: released at once, no redemption (RFC 3915).
    ReleasedImmediately,
    /// Into redemption, then pending delete, then released.
    Redemption(DeletionSchedule),
}

/// What a delete (cancellation, 注销) would do.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DeleteDecision {
    /// Immediate release or redemption.
    pub effect: DeleteEffect,
    /// The refunds earned: one per paid operation whose grace period is still running;
    /// empty when none is.
    pub refunds: Vec<Refund>,
}

/// Whether `record` can be deleted (cancelled) at `now`, and the refunds that earns.
///
/// Within the add grace period the registration is refunded minus a fee and the name is
/// released at once; within a renew, auto-renew or transfer grace period that operation is
/// refunded; otherwise there is no refund. An expired name that was never auto-renewed has
/// nothing to refund: the customer paid nothing for its grace period.
///
/// # Errors
/// `DOMAIN_RELEASED`, `ALREADY_DELETED`, `STATUS_PROHIBITS` (`*DeleteProhibited`, a pending
/// transfer), `INCONSISTENT_RECORD`.
pub fn can_delete(
    record: &DomainRecord,
    periods: &TldPeriods,
    now: Timestamp,
) -> Result<DeleteDecision, LifecycleError> {
    let projection = project(record, periods, now)?;
    match projection.phase {
        Phase::Active | Phase::AutoRenewGrace => {}
        Phase::Released => return Err(LifecycleError::DomainReleased),
        phase @ (Phase::Redemption | Phase::PendingDelete) => {
            return Err(LifecycleError::AlreadyDeleted { phase });
        }
    }
    check_not_blocked(&projection, Operation::Delete)?;
    let timeline = Timeline::new(record, periods, now);
    let refunds: Vec<Refund> = grace_periods(record, periods, &timeline, projection.phase, now)
        .into_iter()
        .filter_map(|(_, refund)| refund)
        .collect();
    let effect = if projection.in_grace(RgpStatus::AddPeriod) {
        DeleteEffect::ReleasedImmediately
    } else {
        DeleteEffect::Redemption(DeletionSchedule::starting(now, periods))
    };
    Ok(DeleteDecision { effect, refunds })
}

/// Deletes `record` at `now`; returns the updated facts. Refunded renewal and transfer
/// years come off the expiry (as Nomulus does), so a later restore does not hand them back.
///
/// # Errors
/// As [`can_delete`].
pub fn delete(
    record: &DomainRecord,
    periods: &TldPeriods,
    now: Timestamp,
) -> Result<DomainRecord, LifecycleError> {
    let decision = can_delete(record, periods, now)?;
    let mut deleted = record.clone();
    deleted.deleted_at = Some(now);
    // Timestamps have one-second resolution, so "restored at or after the delete" cannot
    // tell a restore-then-delete in the same second from the reverse. The restore's only
    // other use, voiding older grace periods, does not matter while deleted, and the next
    // restore sets it again.
    deleted.restored_at = None;
    // A delete cancels a pending transfer; it cannot be pending on a deleted name.
    deleted.pending_transfer_since = None;
    let refunded_years: u32 = decision
        .refunds
        .iter()
        .map(|refund| match refund.operation {
            RefundedOperation::Renewal { years }
            | RefundedOperation::AutoRenewal { years }
            | RefundedOperation::Transfer { years } => years,
            // The name is released at once; its expiry no longer matters.
            RefundedOperation::Registration { .. } => 0,
        })
        .fold(0, u32::saturating_add);
    if refunded_years > 0 {
        deleted.expires_at = shift_calendar_years(record.expires_at, -i64::from(refunded_years))?;
    }
    Ok(deleted)
}

impl DeletionSchedule {
    pub(super) fn starting(
        redemption_starts_at: Timestamp,
        periods: &TldPeriods,
    ) -> DeletionSchedule {
        let pending_delete_starts_at =
            redemption_starts_at.plus_days(i64::from(periods.redemption_days));
        DeletionSchedule {
            redemption_starts_at,
            pending_delete_starts_at,
            released_at: pending_delete_starts_at.plus_days(i64::from(periods.pending_delete_days)),
        }
    }
}
