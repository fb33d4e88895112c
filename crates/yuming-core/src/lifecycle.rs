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

use time::{Date, Month, OffsetDateTime};

use crate::clock::Timestamp;
use crate::rules::epp_status::{EppStatus, Operation, StatusSet, validate_status_set};

#[cfg(test)]
mod tests;

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
    fn starting(redemption_starts_at: Timestamp, periods: &TldPeriods) -> DeletionSchedule {
        let pending_delete_starts_at =
            redemption_starts_at.plus_days(i64::from(periods.redemption_days));
        DeletionSchedule {
            redemption_starts_at,
            pending_delete_starts_at,
            released_at: pending_delete_starts_at.plus_days(i64::from(periods.pending_delete_days)),
        }
    }
}

/// The deletion that is in effect at `now`, if any, and the resulting schedule.
struct Timeline {
    /// When the delete command in effect was accepted.
    deleted_at: Option<Timestamp>,
    schedule: DeletionSchedule,
    /// The end of the add grace period (equal to `created_at` when there is none).
    add_grace_ends_at: Timestamp,
}

impl Timeline {
    fn new(record: &DomainRecord, periods: &TldPeriods, now: Timestamp) -> Timeline {
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

    fn phase(&self, record: &DomainRecord, now: Timestamp) -> Phase {
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
fn grace_periods(
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
fn transfer_locks(
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
fn live_boundaries(
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

fn record_renewal(
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

fn check_years(years: u32, periods: &TldPeriods) -> Result<(), LifecycleError> {
    if (1..=periods.max_registration_years).contains(&years) {
        Ok(())
    } else {
        Err(LifecycleError::InvalidYears {
            years,
            max: periods.max_registration_years,
        })
    }
}

fn check_within_max_term(
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

fn check_not_blocked(projection: &Projection, operation: Operation) -> Result<(), LifecycleError> {
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

fn validated(statuses: &[EppStatus]) -> Result<StatusSet, LifecycleError> {
    validate_status_set(statuses)
        .map(|valid| valid.value)
        .map_err(|rejection| LifecycleError::InconsistentRecord {
            codes: rejection.codes(),
        })
}

fn start_of_utc_day(at: Timestamp) -> Timestamp {
    Timestamp(at.0.saturating_sub(at.0.rem_euclid(SECONDS_PER_DAY)))
}

/// `at` plus `years` calendar years, leap-safe as Nomulus's `leapSafeAddYears`: one year
/// first, then the rest, so 29 February becomes 28 February and stays there, exactly as
/// the same number of one-year renewals would give.
fn add_years(at: Timestamp, years: u32) -> Result<Timestamp, LifecycleError> {
    if years == 0 {
        return Ok(at);
    }
    let first = shift_calendar_years(at, 1)?;
    shift_calendar_years(first, i64::from(years) - 1)
}

/// `at` moved by `years` calendar years (either way), same time of day; 29 February
/// becomes 28 February in a common year.
fn shift_calendar_years(at: Timestamp, years: i64) -> Result<Timestamp, LifecycleError> {
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
