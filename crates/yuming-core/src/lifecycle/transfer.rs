//! Transfers: whether one may start (ICANN transfer policy locks), the pending state, completion
//! and its end.

use super::timeline::{add_years, check_not_blocked, transfer_locks};
use super::{DomainRecord, LifecycleError, Phase, TldPeriods, project};
use crate::clock::Timestamp;
use crate::rules::epp_status::{EppStatus, Operation};

/// What a transfer request would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransferDecision {
    /// When the request is approved if the losing side stays silent.
    pub auto_approves_at: Timestamp,
    /// The expiry after the transfer: `transfer_adds_years` more, but never beyond the
    /// maximum term from `now` (and never earlier than today's expiry).
    pub new_expires_at: Timestamp,
}

/// Whether an inter-registrar transfer of `record` may be requested at `now`.
///
/// Expiry alone is no reason to refuse (ICANN TP-2), so a gTLD name in the auto-renew grace
/// period can move; a name in redemption must be restored first. Time locks: 60 days after
/// registration or a transfer (TP-1), and for `.cn` 60 days after a post-expiry renewal and
/// from 15 days before expiry until renewed.
///
/// # Errors
/// `DOMAIN_RELEASED`, `RESTORE_REQUIRED`, `NOT_TRANSFERABLE_IN_PHASE`, `STATUS_PROHIBITS`
/// (`*TransferProhibited`, a pending transfer), `TRANSFER_LOCKED`, `DATE_OUT_OF_RANGE`,
/// `INCONSISTENT_RECORD`.
pub fn can_transfer(
    record: &DomainRecord,
    periods: &TldPeriods,
    now: Timestamp,
) -> Result<TransferDecision, LifecycleError> {
    let projection = project(record, periods, now)?;
    match projection.phase {
        Phase::Active | Phase::AutoRenewGrace => {}
        Phase::Released => return Err(LifecycleError::DomainReleased),
        Phase::Redemption => return Err(LifecycleError::RestoreRequired),
        phase @ Phase::PendingDelete => {
            return Err(LifecycleError::NotTransferableInPhase { phase });
        }
    }
    check_not_blocked(&projection, Operation::Transfer)?;
    // Report the lock that lifts last, so the customer learns when a transfer can succeed.
    if let Some((reason, until)) = transfer_locks(record, periods, now)
        .into_iter()
        .max_by_key(|(_, until)| until.unwrap_or(Timestamp(i64::MAX)))
    {
        return Err(LifecycleError::TransferLocked { reason, until });
    }
    let extended = add_years(record.expires_at, periods.transfer_adds_years)?;
    let latest = add_years(now, periods.max_registration_years)?;
    Ok(TransferDecision {
        auto_approves_at: now.plus_days(i64::from(periods.transfer_auto_approve_days)),
        new_expires_at: extended.min(latest).max(record.expires_at),
    })
}

/// Records a transfer request at `now` after [`can_transfer`] allowed it: the name carries
/// `pendingTransfer` until the request is approved, rejected or cancelled.
///
/// # Errors
/// As [`can_transfer`].
pub fn request_transfer(
    record: &DomainRecord,
    periods: &TldPeriods,
    now: Timestamp,
) -> Result<(DomainRecord, TransferDecision), LifecycleError> {
    let decision = can_transfer(record, periods, now)?;
    let mut pending = record.clone();
    pending.pending_transfer_since = Some(now);
    Ok((pending, decision))
}

/// Completes the pending transfer at `at` (the approval, or the auto-approval instant when a
/// late scheduler run catches up): the transfer grace and the transfer lock start then, the
/// term grows by `transfer_adds_years` (never beyond the maximum term from `at`), and the
/// registrar's own flags are dropped, as they belonged to the losing side.
///
/// # Errors
/// `NOT_TRANSFERABLE_IN_PHASE` when no transfer is pending or the name is no longer live at
/// `at`; `DATE_OUT_OF_RANGE`; `INCONSISTENT_RECORD`.
pub fn complete_transfer(
    record: &DomainRecord,
    periods: &TldPeriods,
    at: Timestamp,
) -> Result<DomainRecord, LifecycleError> {
    let projection = project(record, periods, at)?;
    if record.pending_transfer_since.is_none()
        || !matches!(projection.phase, Phase::Active | Phase::AutoRenewGrace)
    {
        return Err(LifecycleError::NotTransferableInPhase {
            phase: projection.phase,
        });
    }
    let extended = add_years(record.expires_at, periods.transfer_adds_years)?;
    let latest = add_years(at, periods.max_registration_years)?;
    let mut transferred = record.clone();
    transferred.expires_at = extended.min(latest).max(record.expires_at);
    transferred.last_transferred_at = Some(at);
    transferred.pending_transfer_since = None;
    for flag in [
        EppStatus::ClientTransferProhibited,
        EppStatus::ClientDeleteProhibited,
        EppStatus::ClientUpdateProhibited,
        EppStatus::ClientRenewProhibited,
        EppStatus::ClientHold,
    ] {
        transferred.flags.remove(flag);
    }
    Ok(transferred)
}

/// Clears a pending transfer that was rejected or cancelled; the facts are otherwise
/// unchanged.
pub fn end_pending_transfer(record: &DomainRecord) -> DomainRecord {
    let mut ended = record.clone();
    ended.pending_transfer_since = None;
    ended
}
