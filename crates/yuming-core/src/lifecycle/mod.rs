//! The domain lifecycle: registered → expired (auto-renew grace) → redemption → pending
//! delete → released, projected from stored facts at `now`.
//!
//! Nothing here flips a state on a timer. A [`DomainRecord`] holds only facts that flows
//! wrote (when the name was created, renewed, transferred, deleted, restored; its current
//! expiry; the registrar and registry status flags), and [`project`] computes the phase,
//! the RFC 3915 grace periods, the EPP status set and the next instant at which any of
//! that changes. This is how Nomulus works (`DomainBase.cloneProjectedAtTime`): a missed
//! scheduler run changes nothing, the next run sees the same projection and performs the
//! side effects (charges, notices, DNS suspension, release) it has not yet performed.
//!
//! The decision functions ([`can_renew`], [`can_restore`], [`can_transfer`],
//! [`can_delete`], [`auto_renew_due`]) say whether an operation is allowed at `now` and
//! what it would do; the transition functions ([`renew`], [`auto_renew`], [`restore`],
//! [`delete`], [`DomainRecord::register`]) return the updated facts for the caller to
//! store together with a history row.
//!
//! Sources (see `shared/spec/domain-rules.md` §4):
//! - RFC 3915 (EPP Redemption Grace Period mapping): the `rgpStatus` values, the
//!   delete → redemption → pending delete flow, immediate deletion inside the add grace
//!   period, restore only during redemption. Durations are registry policy, not RFC text.
//! - RFC 5731 §2.3: EPP status values and which combinations are allowed; validated with
//!   [`validate_status_set`].
//! - Nomulus `Tld.java` defaults: add grace 5 d, renew grace 5 d, auto-renew grace 45 d,
//!   transfer grace 5 d, automatic transfer 5 d, redemption 30 d, pending delete 5 d;
//!   `DomainDeleteFlow` (status set `{pendingDelete}` while deleted, refunded years taken
//!   off the expiry); `DomainRestoreRequestFlow` (restore fee always, one renewal year only
//!   when already expired); `leapSafeAddYears` and the 10-year cap of `DomainRenewFlow`.
//! - ICANN Transfer Policy: 60-day lock after registration or transfer; expiry is no reason
//!   to refuse a transfer, but a name in redemption must be restored first.
//! - Nomulus `DomainRenewFlow`: a renewal adds a renew grace period and leaves the running
//!   ones (the add grace period among them) alone, as RFC 3915 describes the periods as
//!   independent; a delete inside both refunds both.
//! - CNNIC `.cn` / `.中国` rules as summarised by registrars (2007 rules, flagged for
//!   re-verification in spec §7): add grace 3 d (refund minus a fee; the summary's "lost once
//!   renewed" is not followed, see [`TldPeriods::cn`]),
//!   35-day post-expiry renewal period, 15-day redemption, no transfer within 60 days of
//!   registration, transfer or post-expiry renewal, nor in the last 15 days before expiry.

use std::fmt;

use crate::clock::Timestamp;
use crate::rules::epp_status::{EppStatus, Operation, StatusSet};

mod deletion;
mod renewal;
mod restore;
#[cfg(test)]
mod tests;
mod timeline;
mod transfer;

pub use deletion::{DeleteDecision, DeleteEffect, Refund, RefundedOperation, can_delete, delete};
pub use renewal::{
    AutoRenewDue, RenewDecision, auto_renew, auto_renew_ahead, auto_renew_due,
    auto_renew_due_ahead, can_renew, renew,
};
pub use restore::{Charge, RestoreDecision, can_restore, restore};
use timeline::{Timeline, add_years, check_years, grace_periods, live_boundaries, validated};
pub use transfer::{
    TransferDecision, can_transfer, complete_transfer, end_pending_transfer, request_transfer,
};

const SECONDS_PER_DAY: i64 = 86_400;

/// The per-TLD lifecycle numbers. Every value is a setting; [`TldPeriods::gtld`] and
/// [`TldPeriods::cn`] are the two presets. A period of 0 days means "no such period".
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TldPeriods {
    /// RGP `addPeriod`: days after registration in which a delete refunds the registration.
    pub add_grace_days: u32,
    /// RGP `renewPeriod`: days after an explicit renewal in which a delete refunds it.
    pub renew_grace_days: u32,
    /// RGP `autoRenewPeriod`: days after expiry in which the name can still be renewed at
    /// the normal price (CNNIC 续费期), and in which a delete refunds an auto-renewal.
    pub auto_renew_grace_days: u32,
    /// RGP `transferPeriod`: days after a transfer in which a delete refunds the transfer.
    pub transfer_grace_days: u32,
    /// RGP `redemptionPeriod` (赎回期): days in which a deleted name can be restored.
    pub redemption_days: u32,
    /// RGP `pendingDelete` (删除期): days after redemption before the name is released.
    pub pending_delete_days: u32,
    /// Days after a transfer request before silence from the losing side approves it.
    pub transfer_auto_approve_days: u32,
    /// No inter-registrar transfer within this many days of registration or of a transfer.
    pub transfer_lock_days: u32,
    /// No transfer within this many days of a renewal made after expiry (`.cn`); 0 = none.
    pub post_expiry_renewal_transfer_lock_days: u32,
    /// No transfer from this many days before expiry until the name is renewed (`.cn`);
    /// 0 = none.
    pub no_transfer_before_expiry_days: u32,
    /// Years a completed transfer adds to the expiry (1 for gTLDs, 0 for `.cn`).
    pub transfer_adds_years: u32,
    /// Longest term per command and longest unexpired term from `now`, in years.
    pub max_registration_years: u32,
}

impl TldPeriods {
    /// ICANN gTLD defaults, as in Nomulus `Tld.java`: add/renew/transfer grace 5 days,
    /// auto-renew grace 45, redemption 30, pending delete 5, auto-approve 5, transfer lock
    /// 60 days, a transfer adds one year, terms of 1 to 10 years.
    pub fn gtld() -> TldPeriods {
        TldPeriods {
            add_grace_days: 5,
            renew_grace_days: 5,
            auto_renew_grace_days: 45,
            transfer_grace_days: 5,
            redemption_days: 30,
            pending_delete_days: 5,
            transfer_auto_approve_days: 5,
            transfer_lock_days: 60,
            post_expiry_renewal_transfer_lock_days: 0,
            no_transfer_before_expiry_days: 0,
            transfer_adds_years: 1,
            max_registration_years: 10,
        }
    }

    /// CNNIC `.cn` / `.中国` as summarised in spec §4.3: add grace 3 days, 35-day post-expiry
    /// renewal period, redemption 15, pending delete 5, transfer lock 60 days after
    /// registration, transfer or post-expiry renewal, none in the last 15 days before expiry.
    /// The summary names no renew or transfer grace, so those are 0, and a `.cn` transfer
    /// does not extend the term. Its "add grace lost once renewed" (a 2007 registrar page) is
    /// not followed: as in RFC 3915 and Nomulus, a renewal leaves the add grace running.
    pub fn cn() -> TldPeriods {
        TldPeriods {
            add_grace_days: 3,
            renew_grace_days: 0,
            auto_renew_grace_days: 35,
            transfer_grace_days: 0,
            redemption_days: 15,
            pending_delete_days: 5,
            transfer_auto_approve_days: 5,
            transfer_lock_days: 60,
            post_expiry_renewal_transfer_lock_days: 60,
            no_transfer_before_expiry_days: 15,
            transfer_adds_years: 0,
            max_registration_years: 10,
        }
    }
}

/// Where a domain is in its life at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Phase {
    /// Registered and not expired (正常). Grace periods may be running.
    Active,
    /// Expired but still renewable at the normal price (RGP `autoRenewPeriod`, CNNIC
    /// 续费期). Not published in DNS.
    AutoRenewGrace,
    /// Deleted (explicitly or because the grace ran out) and restorable for a fee (赎回期).
    Redemption,
    /// Past redemption, waiting to be released; nothing can be done (删除期).
    PendingDelete,
    /// Gone: the name is available for registration again.
    Released,
}

impl Phase {
    /// A stable lowercase name, e.g. `auto_renew_grace`.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Active => "active",
            Phase::AutoRenewGrace => "auto_renew_grace",
            Phase::Redemption => "redemption",
            Phase::PendingDelete => "pending_delete",
            Phase::Released => "released",
        }
    }

    /// Whether the domain is deleted or released, i.e. in neither live phase.
    pub fn is_deleted(self) -> bool {
        matches!(
            self,
            Phase::Redemption | Phase::PendingDelete | Phase::Released
        )
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An RFC 3915 `rgpStatus` value that Yuming produces. `pendingRestore` is absent: a
/// restore is processed at once, with the report taken as part of the request (as Nomulus
/// does), so the name never waits for one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RgpStatus {
    /// `addPeriod`: just registered.
    AddPeriod,
    /// `renewPeriod`: just renewed explicitly.
    RenewPeriod,
    /// `autoRenewPeriod`: after expiry, or after an auto-renewal at expiry.
    AutoRenewPeriod,
    /// `transferPeriod`: just transferred in.
    TransferPeriod,
    /// `redemptionPeriod`: deleted, restorable.
    RedemptionPeriod,
    /// `pendingDelete`: deleted, no longer restorable.
    PendingDelete,
}

impl RgpStatus {
    /// The RFC 3915 wire name, e.g. `addPeriod`.
    pub fn as_epp(self) -> &'static str {
        match self {
            RgpStatus::AddPeriod => "addPeriod",
            RgpStatus::RenewPeriod => "renewPeriod",
            RgpStatus::AutoRenewPeriod => "autoRenewPeriod",
            RgpStatus::TransferPeriod => "transferPeriod",
            RgpStatus::RedemptionPeriod => "redemptionPeriod",
            RgpStatus::PendingDelete => "pendingDelete",
        }
    }
}

impl fmt::Display for RgpStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_epp())
    }
}

/// A grace period running at the projected instant: `[starts_at, ends_at)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GracePeriod {
    /// Which period.
    pub status: RgpStatus,
    /// The first second of the period.
    pub starts_at: Timestamp,
    /// The first second after the period.
    pub ends_at: Timestamp,
}

/// How a renewal came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RenewalKind {
    /// Ordered by the customer; opens a `renewPeriod`.
    Explicit,
    /// Performed by the scheduler on the day of expiry; opens an `autoRenewPeriod` counted
    /// from the previous expiry.
    Auto,
    /// The renewal year included in a restore; opens no grace period (restores are final).
    Restore,
}

/// The stored facts of the latest renewal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Renewal {
    /// When it was made.
    pub at: Timestamp,
    /// How many years it added.
    pub years: u32,
    /// How it came about.
    pub kind: RenewalKind,
    /// The expiry it extended. A renewal with `at >= previous_expires_at` was made after
    /// expiry, which matters for the `.cn` transfer lock.
    pub previous_expires_at: Timestamp,
}

impl Renewal {
    fn after_expiry(&self) -> bool {
        self.at >= self.previous_expires_at
    }
}

/// The EPP statuses a registrar or registry sets by hand: the `client*`/`server*` holds and
/// prohibitions, and `inactive`. `ok` and `pending*` are never stored; [`project`] derives
/// them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct StatusFlags(Vec<EppStatus>);

impl StatusFlags {
    /// No flags.
    pub fn new() -> StatusFlags {
        StatusFlags::default()
    }

    /// The flags in `statuses`, refusing `ok` and `pending*`. Duplicates collapse.
    pub fn from_statuses(statuses: &[EppStatus]) -> Result<StatusFlags, LifecycleError> {
        let mut flags = StatusFlags::new();
        for status in statuses {
            flags.insert(*status)?;
        }
        Ok(flags)
    }

    /// Adds a flag; returns whether it was new.
    pub fn insert(&mut self, status: EppStatus) -> Result<bool, LifecycleError> {
        if status == EppStatus::Ok || status.is_pending() {
            return Err(LifecycleError::StatusNotSettable { status });
        }
        match self.0.binary_search(&status) {
            Ok(_) => Ok(false),
            Err(index) => {
                self.0.insert(index, status);
                Ok(true)
            }
        }
    }

    /// Removes a flag; returns whether it was present.
    pub fn remove(&mut self, status: EppStatus) -> bool {
        match self.0.binary_search(&status) {
            Ok(index) => {
                self.0.remove(index);
                true
            }
            Err(_) => false,
        }
    }

    /// Whether `status` is set.
    pub fn contains(&self, status: EppStatus) -> bool {
        self.0.binary_search(&status).is_ok()
    }

    /// The flags in RFC order.
    pub fn as_slice(&self) -> &[EppStatus] {
        &self.0
    }
}

/// The stored facts about one registered domain. Flows write these; [`project`] reads them.
///
/// Times are facts, not schedules: there is no "redemption ends at" column, because that
/// follows from the facts and the TLD's [`TldPeriods`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DomainRecord {
    /// When the name was registered.
    pub created_at: Timestamp,
    /// The current expiry, after every renewal, transfer and restore so far.
    pub expires_at: Timestamp,
    /// The years bought at registration (what an add-grace delete refunds).
    pub registered_years: u32,
    /// The latest renewal, if any.
    pub last_renewal: Option<Renewal>,
    /// When the latest inter-registrar transfer completed, if any.
    pub last_transferred_at: Option<Timestamp>,
    /// When the transfer now pending was requested; cleared when it is approved, rejected
    /// or cancelled.
    pub pending_transfer_since: Option<Timestamp>,
    /// When the latest delete command was accepted, if any.
    pub deleted_at: Option<Timestamp>,
    /// When the latest restore was made, if any. A restore at or after `deleted_at` undoes
    /// that delete, and voids every grace period that started before it. [`delete`] clears
    /// it, so that a delete in the same second as a restore is not mistaken for undone.
    pub restored_at: Option<Timestamp>,
    /// The `client*`/`server*`/`inactive` flags.
    pub flags: StatusFlags,
    /// Whether the customer asked for automatic renewal on the day of expiry.
    pub auto_renew: bool,
}

impl DomainRecord {
    /// The facts of a new registration for `years` years at `now`.
    ///
    /// # Errors
    /// [`LifecycleError::InvalidYears`] outside `1..=max_registration_years`;
    /// [`LifecycleError::DateOutOfRange`] when the expiry is not a representable date.
    pub fn register(
        years: u32,
        periods: &TldPeriods,
        now: Timestamp,
    ) -> Result<DomainRecord, LifecycleError> {
        check_years(years, periods)?;
        Ok(DomainRecord {
            created_at: now,
            expires_at: add_years(now, years)?,
            registered_years: years,
            last_renewal: None,
            last_transferred_at: None,
            pending_transfer_since: None,
            deleted_at: None,
            restored_at: None,
            flags: StatusFlags::new(),
            auto_renew: false,
        })
    }
}

/// When a deleted (or to-be-deleted) domain moves on: the expected schedule while live, the
/// actual one once deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DeletionSchedule {
    /// Redemption starts (the end of the auto-renew grace, or the delete).
    pub redemption_starts_at: Timestamp,
    /// Redemption ends and pending delete starts.
    pub pending_delete_starts_at: Timestamp,
    /// The name is released.
    pub released_at: Timestamp,
}

/// Everything about a domain at one instant, computed by [`project`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Projection {
    /// The instant projected at.
    pub at: Timestamp,
    /// The phase.
    pub phase: Phase,
    /// The RFC 3915 grace periods running at `at`, in [`RgpStatus`] order.
    pub grace_periods: Vec<GracePeriod>,
    /// The EPP status set, validated with [`validate_status_set`]; `None` once released,
    /// when the object no longer exists.
    pub statuses: Option<StatusSet>,
    /// Whether the name's delegation is published in DNS.
    pub resolves: bool,
    /// When a pending transfer is approved by default; the scheduler approves it when
    /// `at >= this`.
    pub transfer_auto_approves_at: Option<Timestamp>,
    /// When the domain will be (or was) deleted and released.
    pub deletion: DeletionSchedule,
    /// The next instant after `at` at which the projection or a decision can change; `None`
    /// once released. A scheduler looks again then.
    pub next_change: Option<Timestamp>,
}

impl Projection {
    /// Whether `status` is one of the running grace periods.
    pub fn in_grace(&self, status: RgpStatus) -> bool {
        self.grace_periods
            .iter()
            .any(|grace| grace.status == status)
    }
}

/// Why a transfer is locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransferLockReason {
    /// Within the lock after registration (ICANN TP-1, CNNIC).
    NewRegistration,
    /// Within the lock after a previous transfer (ICANN TP-1, CNNIC).
    RecentTransfer,
    /// Within the lock after a renewal made after expiry (CNNIC).
    PostExpiryRenewal,
    /// Within the last days before expiry, or expired, and not renewed (CNNIC).
    NearExpiry,
}

impl TransferLockReason {
    /// A stable lowercase name, e.g. `near_expiry`.
    pub fn as_str(self) -> &'static str {
        match self {
            TransferLockReason::NewRegistration => "new_registration",
            TransferLockReason::RecentTransfer => "recent_transfer",
            TransferLockReason::PostExpiryRenewal => "post_expiry_renewal",
            TransferLockReason::NearExpiry => "near_expiry",
        }
    }
}

impl fmt::Display for TransferLockReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a lifecycle operation was refused. Each variant's doc names its API error code, the
/// HTTP status and the EPP result code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LifecycleError {
    /// `INVALID_YEARS` (400, EPP 2004): a term outside `1..=max_registration_years`.
    #[error("term must be 1 to {max} years, got {years}")]
    InvalidYears {
        /// The requested term.
        years: u32,
        /// The TLD's maximum.
        max: u32,
    },
    /// `RENEWAL_TOO_LONG` (422, EPP 2306): the unexpired term would exceed the maximum
    /// years from now.
    #[error("the new expiry {requested} is later than the latest allowed {latest}")]
    RenewalTooLong {
        /// The expiry the operation would give.
        requested: Timestamp,
        /// The latest allowed expiry (now plus the maximum years).
        latest: Timestamp,
    },
    /// `NOT_RENEWABLE_IN_PHASE` (409, EPP 2105): deleted names are restored, not renewed.
    #[error("a domain in phase {phase} cannot be renewed")]
    NotRenewableInPhase {
        /// The phase at `now`.
        phase: Phase,
    },
    /// `AUTO_RENEW_NOT_DUE` (409): auto-renew is off, not yet due, or already done.
    #[error("auto-renewal is not due")]
    AutoRenewNotDue,
    /// `RESTORE_OUTSIDE_REDEMPTION` (409, EPP 2105): restore is possible only in redemption.
    #[error("a domain in phase {phase} cannot be restored")]
    RestoreOutsideRedemption {
        /// The phase at `now`.
        phase: Phase,
    },
    /// `RESTORE_REQUIRED` (409, EPP 2106): a name in redemption must be restored before it
    /// can be transferred (ICANN TP-2).
    #[error("the domain is in redemption and must be restored first")]
    RestoreRequired,
    /// `NOT_TRANSFERABLE_IN_PHASE` (409, EPP 2106): pending delete.
    #[error("a domain in phase {phase} cannot be transferred")]
    NotTransferableInPhase {
        /// The phase at `now`.
        phase: Phase,
    },
    /// `TRANSFER_LOCKED` (409, EPP 2106): a time-based transfer lock applies.
    #[error("transfer is locked ({reason})")]
    TransferLocked {
        /// Which lock; when several apply, the one that lifts last.
        reason: TransferLockReason,
        /// When the lock lifts by itself; `None` when only a renewal lifts it.
        until: Option<Timestamp>,
    },
    /// `ALREADY_DELETED` (409, EPP 2304): delete of a name in redemption or pending delete.
    #[error("a domain in phase {phase} is already deleted")]
    AlreadyDeleted {
        /// The phase at `now`.
        phase: Phase,
    },
    /// `DOMAIN_RELEASED` (404, EPP 2303): the name was released; the object is gone.
    #[error("the domain has been released")]
    DomainReleased,
    /// `STATUS_PROHIBITS` (409, EPP 2304): an EPP status blocks the operation.
    #[error("status prohibits {operation}")]
    StatusProhibits {
        /// The blocked operation.
        operation: Operation,
        /// The statuses that block it.
        statuses: Vec<EppStatus>,
    },
    /// `STATUS_NOT_SETTABLE` (400, EPP 2306): `ok` and `pending*` are derived, never set.
    #[error("{status} is derived and cannot be set")]
    StatusNotSettable {
        /// The refused status.
        status: EppStatus,
    },
    /// `INCONSISTENT_RECORD` (500): the stored facts project to an invalid status set, e.g.
    /// a pending transfer on a name flagged `serverTransferProhibited`.
    #[error("stored domain facts are inconsistent: {}", .codes.join(", "))]
    InconsistentRecord {
        /// The [`crate::rules::code`] values the status set failed with.
        codes: Vec<&'static str>,
    },
    /// `DATE_OUT_OF_RANGE` (422, EPP 2004): a date beyond the supported calendar (years
    /// -9999 to 9999).
    #[error("date is out of range")]
    DateOutOfRange,
}

impl LifecycleError {
    /// The stable API error code.
    pub fn code(&self) -> &'static str {
        match self {
            LifecycleError::InvalidYears { .. } => "INVALID_YEARS",
            LifecycleError::RenewalTooLong { .. } => "RENEWAL_TOO_LONG",
            LifecycleError::NotRenewableInPhase { .. } => "NOT_RENEWABLE_IN_PHASE",
            LifecycleError::AutoRenewNotDue => "AUTO_RENEW_NOT_DUE",
            LifecycleError::RestoreOutsideRedemption { .. } => "RESTORE_OUTSIDE_REDEMPTION",
            LifecycleError::RestoreRequired => "RESTORE_REQUIRED",
            LifecycleError::NotTransferableInPhase { .. } => "NOT_TRANSFERABLE_IN_PHASE",
            LifecycleError::TransferLocked { .. } => "TRANSFER_LOCKED",
            LifecycleError::AlreadyDeleted { .. } => "ALREADY_DELETED",
            LifecycleError::DomainReleased => "DOMAIN_RELEASED",
            LifecycleError::StatusProhibits { .. } => "STATUS_PROHIBITS",
            LifecycleError::StatusNotSettable { .. } => "STATUS_NOT_SETTABLE",
            LifecycleError::InconsistentRecord { .. } => "INCONSISTENT_RECORD",
            LifecycleError::DateOutOfRange => "DATE_OUT_OF_RANGE",
        }
    }
}

/// Projects `record` at `now`: phase, grace periods, EPP statuses, DNS, next change.
///
/// Facts stamped after `now` (a delete, restore, renewal or transfer that has not happened
/// yet from `now`'s point of view) are ignored where they open an interval, so projecting a
/// little into the past is meaningful; `expires_at` is always the stored one.
///
/// # Errors
/// [`LifecycleError::InconsistentRecord`] when the facts give a status set that RFC 5731
/// forbids (only a pending transfer combined with a `*TransferProhibited` flag can).
pub fn project(
    record: &DomainRecord,
    periods: &TldPeriods,
    now: Timestamp,
) -> Result<Projection, LifecycleError> {
    let timeline = Timeline::new(record, periods, now);
    let phase = timeline.phase(record, now);
    let grace_periods = grace_periods(record, periods, &timeline, phase, now)
        .into_iter()
        .map(|(grace, _)| grace)
        .collect();
    let live = matches!(phase, Phase::Active | Phase::AutoRenewGrace);
    let pending_transfer = record
        .pending_transfer_since
        .filter(|since| live && *since <= now);
    let statuses = match phase {
        Phase::Released => None,
        // Nomulus keeps only `pendingDelete` on a deleted name: the name is out of the zone
        // and every prohibition is moot, and it avoids the RFC 5731 conflict between
        // `pendingDelete` and `*DeleteProhibited`. The stored flags return after a restore.
        Phase::Redemption | Phase::PendingDelete => Some(validated(&[EppStatus::PendingDelete])?),
        Phase::Active | Phase::AutoRenewGrace => {
            let mut statuses = record.flags.as_slice().to_vec();
            if phase == Phase::AutoRenewGrace {
                // ERRP: the registrar interrupts resolution of an expired name so that the
                // registrant notices; CNNIC allows suspension in 续费期 too.
                statuses.push(EppStatus::ClientHold);
            }
            if pending_transfer.is_some() {
                statuses.push(EppStatus::PendingTransfer);
            }
            if statuses.is_empty() {
                statuses.push(EppStatus::Ok);
            }
            Some(validated(&statuses)?)
        }
    };
    let resolves = live && statuses.as_ref().is_some_and(StatusSet::resolves);
    let transfer_auto_approves_at = pending_transfer
        .map(|since| since.plus_days(i64::from(periods.transfer_auto_approve_days)));
    let next_change = if phase == Phase::Released {
        None
    } else {
        let mut instants = vec![
            timeline.schedule.redemption_starts_at,
            timeline.schedule.pending_delete_starts_at,
            timeline.schedule.released_at,
        ];
        if live {
            instants.extend(live_boundaries(record, periods, transfer_auto_approves_at));
        }
        instants.into_iter().filter(|instant| *instant > now).min()
    };
    Ok(Projection {
        at: now,
        phase,
        grace_periods,
        statuses,
        resolves,
        transfer_auto_approves_at,
        deletion: timeline.schedule,
        next_change,
    })
}
