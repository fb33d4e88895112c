use std::fmt::Debug;

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::timeline::{shift_calendar_years, start_of_utc_day};
use super::*;
use crate::rules::epp_status::validate_status_set;

const DAY: i64 = 86_400;

fn ts(text: &str) -> Timestamp {
    let moment = OffsetDateTime::parse(text, &Rfc3339).unwrap_or_else(|e| panic!("{text}: {e}"));
    Timestamp(moment.unix_timestamp())
}

/// 2025-03-10T08:00:00Z; a one-year registration expires exactly 365 days later.
fn t0() -> Timestamp {
    ts("2025-03-10T08:00:00Z")
}

fn register(years: u32, periods: &TldPeriods, now: Timestamp) -> DomainRecord {
    DomainRecord::register(years, periods, now).unwrap_or_else(|e| panic!("register: {e}"))
}

fn ok<T>(result: Result<T, LifecycleError>) -> T {
    result.unwrap_or_else(|e| panic!("unexpected {}: {e}", e.code()))
}

fn code<T: Debug>(result: Result<T, LifecycleError>) -> &'static str {
    match result {
        Ok(_) => "ok",
        Err(error) => error.code(),
    }
}

fn flags(statuses: &[EppStatus]) -> StatusFlags {
    ok(StatusFlags::from_statuses(statuses))
}

fn rgp(projection: &Projection) -> String {
    let names: Vec<&str> = projection
        .grace_periods
        .iter()
        .map(|grace| grace.status.as_epp())
        .collect();
    if names.is_empty() {
        "-".to_owned()
    } else {
        names.join(",")
    }
}

fn statuses(projection: &Projection) -> String {
    match &projection.statuses {
        None => "-".to_owned(),
        Some(set) => set
            .as_slice()
            .iter()
            .map(|status| status.as_epp())
            .collect::<Vec<_>>()
            .join(","),
    }
}

/// The codes of renew(1), restore, transfer and delete at `now`, space separated.
fn decisions(record: &DomainRecord, periods: &TldPeriods, now: Timestamp) -> String {
    [
        code(can_renew(record, periods, 1, now)),
        code(can_restore(record, periods, now)),
        code(can_transfer(record, periods, now)),
        code(can_delete(record, periods, now)),
    ]
    .join(" ")
}

/// Asserts the RFC 5731 rules on a projected set independently of how it was built.
fn assert_valid_statuses(projection: &Projection) {
    match &projection.statuses {
        None => assert_eq!(projection.phase, Phase::Released),
        Some(set) => {
            assert_ne!(projection.phase, Phase::Released);
            let revalidated = validate_status_set(set.as_slice());
            assert!(revalidated.is_ok(), "{:?}: {revalidated:?}", set.as_slice());
        }
    }
}

/// One row of a lifecycle table: what holds from `from` until the next row.
struct Row {
    from: Timestamp,
    phase: Phase,
    rgp: &'static str,
    statuses: &'static str,
    resolves: bool,
    /// Codes of renew(1), restore, transfer, delete.
    decisions: &'static str,
}

fn row(
    from: Timestamp,
    phase: Phase,
    rgp: &'static str,
    statuses: &'static str,
    resolves: bool,
    decisions: &'static str,
) -> Row {
    Row {
        from,
        phase,
        rgp,
        statuses,
        resolves,
        decisions,
    }
}

/// Checks `record` against `rows` at `now`. `next_change` must be the next row start.
fn check_at(record: &DomainRecord, periods: &TldPeriods, rows: &[Row], now: Timestamp) {
    let Some(index) = rows.iter().rposition(|row| row.from <= now) else {
        return;
    };
    let expected = &rows[index];
    let projection = ok(project(record, periods, now));
    let at = now.to_rfc3339();
    assert_eq!(projection.phase, expected.phase, "phase at {at}");
    assert_eq!(rgp(&projection), expected.rgp, "rgp at {at}");
    assert_eq!(statuses(&projection), expected.statuses, "statuses at {at}");
    assert_eq!(projection.resolves, expected.resolves, "resolves at {at}");
    assert_eq!(
        decisions(record, periods, now),
        expected.decisions,
        "decisions at {at}"
    );
    let next = rows.get(index + 1).map(|row| row.from);
    assert_eq!(projection.next_change, next, "next change at {at}");
    assert_valid_statuses(&projection);
}

/// Walks day by day (on the hour of registration and half a day later) and at the second
/// before, at and after every row start.
fn walk(record: &DomainRecord, periods: &TldPeriods, rows: &[Row]) {
    let start = record.created_at;
    let Some(last) = rows.last() else {
        return;
    };
    let end = last.from.plus_days(5);
    let mut now = start;
    let mut steps = 0;
    while now <= end {
        check_at(record, periods, rows, now);
        check_at(record, periods, rows, now.plus_secs(DAY / 2));
        now = now.plus_days(1);
        steps += 1;
    }
    assert!(steps > 400, "walked only {steps} days");
    for row in rows {
        for delta in [-1, 0, 1] {
            check_at(record, periods, rows, row.from.plus_secs(delta));
        }
    }
}

const LIVE_LOCKED: &str = "ok RESTORE_OUTSIDE_REDEMPTION TRANSFER_LOCKED ok";
const LIVE_FREE: &str = "ok RESTORE_OUTSIDE_REDEMPTION ok ok";
const IN_REDEMPTION: &str = "NOT_RENEWABLE_IN_PHASE ok RESTORE_REQUIRED ALREADY_DELETED";
const IN_PENDING_DELETE: &str = "NOT_RENEWABLE_IN_PHASE RESTORE_OUTSIDE_REDEMPTION \
                                 NOT_TRANSFERABLE_IN_PHASE ALREADY_DELETED";
const RELEASED: &str = "DOMAIN_RELEASED DOMAIN_RELEASED DOMAIN_RELEASED DOMAIN_RELEASED";

#[test]
fn gtld_whole_life() {
    let periods = TldPeriods::gtld();
    let record = register(1, &periods, t0());
    let expiry = ts("2026-03-10T08:00:00Z");
    assert_eq!(record.expires_at, expiry);
    let rows = [
        row(t0(), Phase::Active, "addPeriod", "ok", true, LIVE_LOCKED),
        row(
            t0().plus_days(5),
            Phase::Active,
            "-",
            "ok",
            true,
            LIVE_LOCKED,
        ),
        row(
            t0().plus_days(60),
            Phase::Active,
            "-",
            "ok",
            true,
            LIVE_FREE,
        ),
        // ICANN TP-2: expiry is no reason to refuse a transfer.
        row(
            expiry,
            Phase::AutoRenewGrace,
            "autoRenewPeriod",
            "clientHold",
            false,
            LIVE_FREE,
        ),
        row(
            expiry.plus_days(45),
            Phase::Redemption,
            "redemptionPeriod",
            "pendingDelete",
            false,
            IN_REDEMPTION,
        ),
        row(
            expiry.plus_days(75),
            Phase::PendingDelete,
            "pendingDelete",
            "pendingDelete",
            false,
            IN_PENDING_DELETE,
        ),
        row(
            expiry.plus_days(80),
            Phase::Released,
            "-",
            "-",
            false,
            RELEASED,
        ),
    ];
    walk(&record, &periods, &rows);
}

#[test]
fn cn_whole_life() {
    let periods = TldPeriods::cn();
    let record = register(1, &periods, t0());
    let expiry = ts("2026-03-10T08:00:00Z");
    let rows = [
        row(t0(), Phase::Active, "addPeriod", "ok", true, LIVE_LOCKED),
        row(
            t0().plus_days(3),
            Phase::Active,
            "-",
            "ok",
            true,
            LIVE_LOCKED,
        ),
        row(
            t0().plus_days(60),
            Phase::Active,
            "-",
            "ok",
            true,
            LIVE_FREE,
        ),
        // No transfer in the last 15 days before expiry, nor after it until renewed.
        row(
            expiry.plus_days(-15),
            Phase::Active,
            "-",
            "ok",
            true,
            LIVE_LOCKED,
        ),
        row(
            expiry,
            Phase::AutoRenewGrace,
            "autoRenewPeriod",
            "clientHold",
            false,
            LIVE_LOCKED,
        ),
        row(
            expiry.plus_days(35),
            Phase::Redemption,
            "redemptionPeriod",
            "pendingDelete",
            false,
            IN_REDEMPTION,
        ),
        row(
            expiry.plus_days(50),
            Phase::PendingDelete,
            "pendingDelete",
            "pendingDelete",
            false,
            IN_PENDING_DELETE,
        ),
        row(
            expiry.plus_days(55),
            Phase::Released,
            "-",
            "-",
            false,
            RELEASED,
        ),
    ];
    walk(&record, &periods, &rows);
}

#[test]
fn exact_boundaries_by_hand() {
    let periods = TldPeriods::gtld();
    let record = register(1, &periods, t0());
    let expiry = record.expires_at;
    let phase = |now: Timestamp| ok(project(&record, &periods, now)).phase;
    let in_add =
        |now: Timestamp| ok(project(&record, &periods, now)).in_grace(RgpStatus::AddPeriod);
    assert!(in_add(t0()));
    assert!(in_add(t0().plus_days(5).plus_secs(-1)));
    assert!(!in_add(t0().plus_days(5)));
    assert_eq!(phase(expiry.plus_secs(-1)), Phase::Active);
    assert_eq!(phase(expiry), Phase::AutoRenewGrace);
    assert_eq!(
        phase(expiry.plus_days(45).plus_secs(-1)),
        Phase::AutoRenewGrace
    );
    assert_eq!(phase(expiry.plus_days(45)), Phase::Redemption);
    assert_eq!(phase(expiry.plus_days(75).plus_secs(-1)), Phase::Redemption);
    assert_eq!(phase(expiry.plus_days(75)), Phase::PendingDelete);
    assert_eq!(
        phase(expiry.plus_days(80).plus_secs(-1)),
        Phase::PendingDelete
    );
    assert_eq!(phase(expiry.plus_days(80)), Phase::Released);

    let projection = ok(project(&record, &periods, expiry.plus_days(10)));
    assert_eq!(
        projection.grace_periods,
        vec![GracePeriod {
            status: RgpStatus::AutoRenewPeriod,
            starts_at: expiry,
            ends_at: expiry.plus_days(45),
        }]
    );
    assert_eq!(
        projection.deletion,
        DeletionSchedule {
            redemption_starts_at: expiry.plus_days(45),
            pending_delete_starts_at: expiry.plus_days(75),
            released_at: expiry.plus_days(80),
        }
    );
}

#[test]
fn renew_caps_and_years() {
    let periods = TldPeriods::gtld();
    let now = t0().plus_days(1);
    let nine = register(9, &periods, t0());
    assert_eq!(code(can_renew(&nine, &periods, 2, now)), "RENEWAL_TOO_LONG");
    assert_eq!(
        can_renew(&nine, &periods, 2, now),
        Err(LifecycleError::RenewalTooLong {
            requested: ts("2036-03-10T08:00:00Z"),
            latest: ts("2035-03-11T08:00:00Z"),
        })
    );
    let one_more = ok(can_renew(&nine, &periods, 1, now));
    assert_eq!(one_more.new_expires_at, ts("2035-03-10T08:00:00Z"));
    // Exactly ten years from now is allowed, one second more is not.
    assert_eq!(code(can_renew(&nine, &periods, 1, t0())), "ok");
    let nine_plus = DomainRecord {
        expires_at: nine.expires_at.plus_secs(1),
        ..nine.clone()
    };
    assert_eq!(
        code(can_renew(&nine_plus, &periods, 1, t0())),
        "RENEWAL_TOO_LONG"
    );

    let record = register(1, &periods, t0());
    for years in [0, 11, u32::MAX] {
        assert_eq!(
            can_renew(&record, &periods, years, now),
            Err(LifecycleError::InvalidYears { years, max: 10 })
        );
        assert_eq!(
            code(DomainRecord::register(years, &periods, t0())),
            "INVALID_YEARS"
        );
    }
    assert_eq!(code(can_renew(&record, &periods, 9, now)), "ok");
    assert_eq!(
        code(can_renew(&record, &periods, 10, now)),
        "RENEWAL_TOO_LONG"
    );
    assert_eq!(code(DomainRecord::register(10, &periods, t0())), "ok");
}

#[test]
fn renewal_in_grace_counts_from_old_expiry() {
    let periods = TldPeriods::gtld();
    let record = register(1, &periods, t0());
    let expiry = record.expires_at;
    let late = ok(can_renew(&record, &periods, 1, expiry.plus_days(30)));
    assert_eq!(
        late,
        RenewDecision {
            years: 1,
            renews_from: expiry,
            new_expires_at: ts("2027-03-10T08:00:00Z"),
            late: true,
        }
    );
    let renewed = ok(renew(&record, &periods, 1, expiry.plus_days(30)));
    let projection = ok(project(&renewed, &periods, expiry.plus_days(30)));
    assert_eq!(projection.phase, Phase::Active);
    assert_eq!(rgp(&projection), "renewPeriod");
    assert_eq!(statuses(&projection), "ok");
    assert!(projection.resolves);
    assert_eq!(projection.next_change, Some(expiry.plus_days(35)));

    let early = ok(can_renew(&record, &periods, 2, t0().plus_days(100)));
    assert!(!early.late);
    assert_eq!(early.new_expires_at, ts("2028-03-10T08:00:00Z"));
}

#[test]
fn renewal_blocked_by_phase_and_status() {
    let periods = TldPeriods::gtld();
    let record = register(1, &periods, t0());
    let expiry = record.expires_at;
    assert_eq!(
        can_renew(&record, &periods, 1, expiry.plus_days(45)),
        Err(LifecycleError::NotRenewableInPhase {
            phase: Phase::Redemption
        })
    );
    assert_eq!(
        code(can_renew(&record, &periods, 1, expiry.plus_days(79))),
        "NOT_RENEWABLE_IN_PHASE"
    );
    for flag in [
        EppStatus::ClientRenewProhibited,
        EppStatus::ServerRenewProhibited,
    ] {
        let prohibited = DomainRecord {
            flags: flags(&[flag, EppStatus::ClientHold]),
            ..record.clone()
        };
        assert_eq!(
            can_renew(&prohibited, &periods, 1, t0().plus_days(10)),
            Err(LifecycleError::StatusProhibits {
                operation: Operation::Renew,
                statuses: vec![flag],
            })
        );
    }
}

#[test]
fn leap_day_years() {
    let periods = TldPeriods::gtld();
    let leap = ts("2024-02-29T12:00:00Z");
    assert_eq!(
        register(1, &periods, leap).expires_at,
        ts("2025-02-28T12:00:00Z")
    );
    // Leap-safe: four years from 29 February is the 28th, as four one-year renewals give.
    assert_eq!(
        register(4, &periods, leap).expires_at,
        ts("2028-02-28T12:00:00Z")
    );
    let one = register(1, &periods, leap);
    let mut renewed = one;
    for year in 0..3 {
        renewed = ok(renew(&renewed, &periods, 1, leap.plus_days(30 + year)));
    }
    assert_eq!(renewed.expires_at, ts("2028-02-28T12:00:00Z"));
    assert_eq!(
        ok(add_years(ts("2023-03-01T00:00:00Z"), 1)),
        ts("2024-03-01T00:00:00Z")
    );
    assert_eq!(
        ok(shift_calendar_years(leap, -1)),
        ts("2023-02-28T12:00:00Z")
    );
}

#[test]
fn restore_only_in_redemption() {
    let periods = TldPeriods::gtld();
    let record = register(1, &periods, t0());
    let expiry = record.expires_at;
    for (now, phase) in [
        (t0().plus_days(1), Phase::Active),
        (expiry.plus_days(44), Phase::AutoRenewGrace),
        (expiry.plus_days(75), Phase::PendingDelete),
    ] {
        assert_eq!(
            can_restore(&record, &periods, now),
            Err(LifecycleError::RestoreOutsideRedemption { phase })
        );
        assert_eq!(
            code(restore(&record, &periods, now)),
            "RESTORE_OUTSIDE_REDEMPTION"
        );
    }
    assert_eq!(
        code(can_restore(&record, &periods, expiry.plus_days(80))),
        "DOMAIN_RELEASED"
    );

    // Expired and not renewed: restore fee plus one renewal year from the old expiry.
    let now = expiry.plus_days(50);
    let decision = ok(can_restore(&record, &periods, now));
    assert_eq!(
        decision.charges,
        vec![Charge::RestoreFee, Charge::Renewal { years: 1 }]
    );
    assert_eq!(decision.renewal_years(), 1);
    assert_eq!(decision.new_expires_at, ts("2027-03-10T08:00:00Z"));
    let restored = ok(restore(&record, &periods, now));
    let projection = ok(project(&restored, &periods, now));
    assert_eq!(projection.phase, Phase::Active);
    assert_eq!(statuses(&projection), "ok");
    assert_eq!(rgp(&projection), "-");
    assert!(projection.resolves);
    // A restore opens no grace period, so a delete right after refunds nothing.
    let again = ok(can_delete(&restored, &periods, now.plus_secs(60)));
    assert!(again.refunds.is_empty());
    assert_eq!(
        code(can_restore(&restored, &periods, now)),
        "RESTORE_OUTSIDE_REDEMPTION"
    );
}

#[test]
fn restore_after_explicit_delete_keeps_expiry() {
    let periods = TldPeriods::gtld();
    let record = register(1, &periods, t0());
    let flagged = DomainRecord {
        flags: flags(&[EppStatus::ClientDeleteProhibited]),
        ..record.clone()
    };
    assert_eq!(
        code(delete(&flagged, &periods, t0().plus_days(100))),
        "STATUS_PROHIBITS"
    );
    let deleted = ok(delete(&record, &periods, t0().plus_days(100)));
    let projection = ok(project(&deleted, &periods, t0().plus_days(100)));
    assert_eq!(projection.phase, Phase::Redemption);
    assert_eq!(statuses(&projection), "pendingDelete");
    assert!(!projection.resolves);
    assert_eq!(projection.next_change, Some(t0().plus_days(130)));
    let decision = ok(can_restore(&deleted, &periods, t0().plus_days(110)));
    assert_eq!(decision.charges, vec![Charge::RestoreFee]);
    assert_eq!(decision.new_expires_at, record.expires_at);
    let restored = ok(restore(&deleted, &periods, t0().plus_days(110)));
    assert_eq!(restored.last_renewal, None);
    assert_eq!(
        ok(project(&restored, &periods, t0().plus_days(110))).phase,
        Phase::Active
    );
    // Deleted again later: the newer delete is in effect.
    let deleted_again = ok(delete(&restored, &periods, t0().plus_days(200)));
    let projection = ok(project(&deleted_again, &periods, t0().plus_days(231)));
    assert_eq!(projection.phase, Phase::PendingDelete);
    assert_eq!(projection.next_change, Some(t0().plus_days(235)));
    // Projected before that delete, the restored state shows.
    assert_eq!(
        ok(project(&deleted_again, &periods, t0().plus_days(150))).phase,
        Phase::Active
    );
}

#[test]
fn transfer_locks_gtld() {
    let periods = TldPeriods::gtld();
    let record = register(1, &periods, t0());
    let expiry = record.expires_at;
    assert_eq!(
        can_transfer(&record, &periods, t0().plus_days(60).plus_secs(-1)),
        Err(LifecycleError::TransferLocked {
            reason: TransferLockReason::NewRegistration,
            until: Some(t0().plus_days(60)),
        })
    );
    let now = t0().plus_days(60);
    assert_eq!(
        can_transfer(&record, &periods, now),
        Ok(TransferDecision {
            auto_approves_at: now.plus_days(5),
            new_expires_at: ts("2027-03-10T08:00:00Z"),
        })
    );
    // In the auto-renew grace period the transfer year counts from the old expiry.
    let late = ok(can_transfer(&record, &periods, expiry.plus_days(10)));
    assert_eq!(late.new_expires_at, ts("2027-03-10T08:00:00Z"));
    assert_eq!(
        code(can_transfer(&record, &periods, expiry.plus_days(45))),
        "RESTORE_REQUIRED"
    );

    let transferred = DomainRecord {
        last_transferred_at: Some(t0().plus_days(100)),
        ..record.clone()
    };
    assert_eq!(
        can_transfer(&transferred, &periods, t0().plus_days(120)),
        Err(LifecycleError::TransferLocked {
            reason: TransferLockReason::RecentTransfer,
            until: Some(t0().plus_days(160)),
        })
    );
    assert_eq!(
        code(can_transfer(&transferred, &periods, t0().plus_days(160))),
        "ok"
    );
    // When two locks apply, the one that lifts last is reported.
    let both = DomainRecord {
        last_transferred_at: Some(t0().plus_days(10)),
        ..record.clone()
    };
    assert_eq!(
        can_transfer(&both, &periods, t0().plus_days(20)),
        Err(LifecycleError::TransferLocked {
            reason: TransferLockReason::RecentTransfer,
            until: Some(t0().plus_days(70)),
        })
    );

    for flag in [
        EppStatus::ClientTransferProhibited,
        EppStatus::ServerTransferProhibited,
    ] {
        let prohibited = DomainRecord {
            flags: flags(&[flag]),
            ..record.clone()
        };
        assert_eq!(
            can_transfer(&prohibited, &periods, now),
            Err(LifecycleError::StatusProhibits {
                operation: Operation::Transfer,
                statuses: vec![flag],
            })
        );
    }
    // A ten-year name gains only the days up to the ten-year cap; the transfer still goes
    // through.
    let ten = register(10, &periods, t0());
    let capped = ok(can_transfer(&ten, &periods, now));
    assert_eq!(capped.new_expires_at, ts("2035-05-09T08:00:00Z"));
    assert_eq!(capped.new_expires_at, ok(add_years(now, 10)));
}

#[test]
fn transfer_locks_cn() {
    let periods = TldPeriods::cn();
    let record = register(1, &periods, t0());
    let expiry = record.expires_at;
    let window = expiry.plus_days(-15);
    let just_before = ok(can_transfer(&record, &periods, window.plus_secs(-1)));
    // A .cn transfer does not extend the term.
    assert_eq!(just_before.new_expires_at, expiry);
    for now in [window, expiry.plus_secs(-1), expiry, expiry.plus_days(34)] {
        assert_eq!(
            can_transfer(&record, &periods, now),
            Err(LifecycleError::TransferLocked {
                reason: TransferLockReason::NearExpiry,
                until: None,
            }),
            "at {now}"
        );
    }
    // A renewal made after expiry locks transfers for 60 days.
    let renewed_at = expiry.plus_days(10);
    let renewed = ok(renew(&record, &periods, 1, renewed_at));
    assert_eq!(
        can_transfer(&renewed, &periods, renewed_at),
        Err(LifecycleError::TransferLocked {
            reason: TransferLockReason::PostExpiryRenewal,
            until: Some(renewed_at.plus_days(60)),
        })
    );
    assert_eq!(
        code(can_transfer(&renewed, &periods, renewed_at.plus_days(60))),
        "ok"
    );
    let projection = ok(project(&renewed, &periods, renewed_at));
    assert_eq!(projection.next_change, Some(renewed_at.plus_days(60)));
    // A renewal before the window lifts nothing and locks nothing.
    let early = ok(renew(&record, &periods, 1, t0().plus_days(100)));
    assert_eq!(code(can_transfer(&early, &periods, window)), "ok");
}

#[test]
fn pending_transfer() {
    let periods = TldPeriods::gtld();
    let requested_at = t0().plus_days(100);
    let record = DomainRecord {
        pending_transfer_since: Some(requested_at),
        ..register(1, &periods, t0())
    };
    let projection = ok(project(&record, &periods, requested_at.plus_days(1)));
    assert_eq!(statuses(&projection), "pendingTransfer");
    assert!(projection.resolves);
    assert_eq!(
        projection.transfer_auto_approves_at,
        Some(requested_at.plus_days(5))
    );
    assert_eq!(projection.next_change, Some(requested_at.plus_days(5)));
    assert_eq!(
        can_transfer(&record, &periods, requested_at.plus_days(1)),
        Err(LifecycleError::StatusProhibits {
            operation: Operation::Transfer,
            statuses: vec![EppStatus::PendingTransfer],
        })
    );
    assert_eq!(
        code(can_delete(&record, &periods, requested_at.plus_days(1))),
        "STATUS_PROHIBITS"
    );
    assert_eq!(
        code(can_renew(&record, &periods, 1, requested_at.plus_days(1))),
        "ok"
    );
    // Not yet requested from this instant's point of view.
    let before = ok(project(&record, &periods, requested_at.plus_secs(-1)));
    assert_eq!(statuses(&before), "ok");
    assert_eq!(before.transfer_auto_approves_at, None);
    // A pending transfer on a transfer-prohibited name is a contradiction in the facts.
    let contradictory = DomainRecord {
        flags: flags(&[EppStatus::ServerTransferProhibited]),
        ..record.clone()
    };
    assert_eq!(
        project(&contradictory, &periods, requested_at.plus_days(1)),
        Err(LifecycleError::InconsistentRecord {
            codes: vec!["PENDING_CONFLICTS_PROHIBITION"],
        })
    );
    // In redemption the transfer is moot and the status set stays valid.
    let expired = ok(project(&record, &periods, record.expires_at.plus_days(50)));
    assert_eq!(statuses(&expired), "pendingDelete");
    assert_eq!(expired.transfer_auto_approves_at, None);
}

#[test]
fn refunds_per_grace_period() {
    let periods = TldPeriods::gtld();
    let record = register(2, &periods, t0());
    let expiry = record.expires_at;

    // Add grace: registration refunded minus a fee, released at once.
    let in_add = ok(can_delete(
        &record,
        &periods,
        t0().plus_days(5).plus_secs(-1),
    ));
    assert_eq!(
        in_add,
        DeleteDecision {
            effect: DeleteEffect::ReleasedImmediately,
            refunds: vec![Refund {
                grace: RgpStatus::AddPeriod,
                operation: RefundedOperation::Registration { years: 2 },
                fee_deducted: true,
            }],
        }
    );
    let gone = ok(delete(&record, &periods, t0().plus_days(1)));
    let projection = ok(project(&gone, &periods, t0().plus_days(1)));
    assert_eq!(projection.phase, Phase::Released);
    assert_eq!(projection.next_change, None);
    assert_eq!(statuses(&projection), "-");

    // After add grace: no refund, into redemption.
    let now = t0().plus_days(5);
    assert_eq!(
        ok(can_delete(&record, &periods, now)),
        DeleteDecision {
            effect: DeleteEffect::Redemption(DeletionSchedule {
                redemption_starts_at: now,
                pending_delete_starts_at: now.plus_days(30),
                released_at: now.plus_days(35),
            }),
            refunds: vec![],
        }
    );

    // Renew grace: the renewal is refunded and its years come off the expiry.
    let renewed = ok(renew(&record, &periods, 3, t0().plus_days(100)));
    let decision = ok(can_delete(
        &renewed,
        &periods,
        t0().plus_days(105).plus_secs(-1),
    ));
    assert_eq!(
        decision.refunds,
        vec![Refund {
            grace: RgpStatus::RenewPeriod,
            operation: RefundedOperation::Renewal { years: 3 },
            fee_deducted: false,
        }]
    );
    assert!(
        ok(can_delete(&renewed, &periods, t0().plus_days(105)))
            .refunds
            .is_empty()
    );
    let deleted = ok(delete(&renewed, &periods, t0().plus_days(101)));
    assert_eq!(deleted.expires_at, expiry);
    // Restoring does not revive the refunded renewal's grace period.
    let restored = ok(restore(&deleted, &periods, t0().plus_days(102)));
    assert_eq!(restored.expires_at, expiry);
    let after = ok(can_delete(&restored, &periods, t0().plus_days(103)));
    assert!(after.refunds.is_empty(), "{after:?}");

    // Transfer grace.
    let transferred = DomainRecord {
        last_transferred_at: Some(t0().plus_days(200)),
        ..record.clone()
    };
    assert_eq!(
        ok(can_delete(&transferred, &periods, t0().plus_days(202))).refunds,
        vec![Refund {
            grace: RgpStatus::TransferPeriod,
            operation: RefundedOperation::Transfer { years: 1 },
            fee_deducted: false,
        }]
    );
    assert!(
        ok(can_delete(&transferred, &periods, t0().plus_days(205)))
            .refunds
            .is_empty()
    );

    // Expired, never renewed: nothing was paid, nothing is refunded.
    let unpaid = ok(can_delete(&record, &periods, expiry.plus_days(10)));
    assert!(unpaid.refunds.is_empty());
    assert!(matches!(unpaid.effect, DeleteEffect::Redemption(_)));

    // Renewed inside the gTLD add grace: both are refundable.
    let quick = ok(renew(&record, &periods, 1, t0().plus_days(1)));
    let both = ok(can_delete(&quick, &periods, t0().plus_days(2)));
    assert_eq!(both.effect, DeleteEffect::ReleasedImmediately);
    let graces: Vec<RgpStatus> = both.refunds.iter().map(|refund| refund.grace).collect();
    assert_eq!(graces, vec![RgpStatus::AddPeriod, RgpStatus::RenewPeriod]);
}

#[test]
fn refunds_for_auto_renewal() {
    let periods = TldPeriods::gtld();
    let record = DomainRecord {
        auto_renew: true,
        ..register(1, &periods, t0())
    };
    let expiry = record.expires_at;
    // The scheduler runs early on the day of expiry, before the name lapses.
    let renewed_at = ts("2026-03-10T00:00:00Z");
    let renewed = ok(auto_renew(&record, &periods, renewed_at));
    assert_eq!(renewed.expires_at, ts("2027-03-10T08:00:00Z"));
    let expected = vec![Refund {
        grace: RgpStatus::AutoRenewPeriod,
        operation: RefundedOperation::AutoRenewal { years: 1 },
        fee_deducted: false,
    }];
    for now in [renewed_at, expiry, expiry.plus_days(45).plus_secs(-1)] {
        assert_eq!(
            ok(can_delete(&renewed, &periods, now)).refunds,
            expected,
            "at {now}"
        );
    }
    assert!(
        ok(can_delete(&renewed, &periods, expiry.plus_days(45)))
            .refunds
            .is_empty()
    );
    let projection = ok(project(&renewed, &periods, expiry.plus_days(1)));
    assert_eq!(projection.phase, Phase::Active);
    assert_eq!(rgp(&projection), "autoRenewPeriod");
    assert_eq!(statuses(&projection), "ok");
    assert_eq!(projection.next_change, Some(expiry.plus_days(45)));
    let deleted = ok(delete(&renewed, &periods, expiry.plus_days(1)));
    assert_eq!(deleted.expires_at, expiry);
}

#[test]
fn add_grace_survives_a_renewal() {
    // `.cn` (no renew grace period): the add grace keeps running after a renewal, and a delete
    // inside it still refunds the registration and releases the name at once.
    let periods = TldPeriods::cn();
    let record = register(1, &periods, t0());
    let renewed = ok(renew(&record, &periods, 1, t0().plus_days(1)));
    let projection = ok(project(&renewed, &periods, t0().plus_days(2)));
    assert_eq!(rgp(&projection), "addPeriod");
    let decision = ok(can_delete(&renewed, &periods, t0().plus_days(2)));
    assert_eq!(decision.effect, DeleteEffect::ReleasedImmediately);
    assert_eq!(
        decision.refunds,
        vec![Refund {
            grace: RgpStatus::AddPeriod,
            operation: RefundedOperation::Registration { years: 1 },
            fee_deducted: true,
        }]
    );
    // It ends 3 days after registration, renewal or not.
    let after = ok(project(&renewed, &periods, t0().plus_days(3)));
    assert_eq!(rgp(&after), "-");
    assert!(
        ok(can_delete(&renewed, &periods, t0().plus_days(3)))
            .refunds
            .is_empty()
    );

    // gTLD: both periods run side by side, each until its own end.
    let periods = TldPeriods::gtld();
    let record = register(1, &periods, t0());
    let renewed = ok(renew(&record, &periods, 2, t0().plus_days(3)));
    let both = ok(project(&renewed, &periods, t0().plus_days(4)));
    assert_eq!(rgp(&both), "addPeriod,renewPeriod");
    let only_renew = ok(project(&renewed, &periods, t0().plus_days(5)));
    assert_eq!(rgp(&only_renew), "renewPeriod");
    let decision = ok(can_delete(&renewed, &periods, t0().plus_days(4)));
    assert_eq!(decision.effect, DeleteEffect::ReleasedImmediately);
    assert_eq!(
        decision.refunds,
        vec![
            Refund {
                grace: RgpStatus::AddPeriod,
                operation: RefundedOperation::Registration { years: 1 },
                fee_deducted: true,
            },
            Refund {
                grace: RgpStatus::RenewPeriod,
                operation: RefundedOperation::Renewal { years: 2 },
                fee_deducted: false,
            },
        ]
    );
    // Past the add grace, only the renewal is refunded and the name goes to redemption with
    // the renewed years taken off again.
    let later = ok(can_delete(&renewed, &periods, t0().plus_days(6)));
    assert!(matches!(later.effect, DeleteEffect::Redemption(_)));
    assert_eq!(
        later.refunds.iter().map(|r| r.grace).collect::<Vec<_>>(),
        vec![RgpStatus::RenewPeriod]
    );
    let deleted = ok(delete(&renewed, &periods, t0().plus_days(6)));
    assert_eq!(deleted.expires_at, record.expires_at);
}

#[test]
fn auto_renew_schedule() {
    let periods = TldPeriods::gtld();
    let off = register(1, &periods, t0());
    let expiry = off.expires_at;
    let day_start = ts("2026-03-10T00:00:00Z");
    assert_eq!(ok(auto_renew_due(&off, &periods, expiry)), None);
    assert_eq!(
        code(auto_renew(&off, &periods, expiry)),
        "AUTO_RENEW_NOT_DUE"
    );

    let on = DomainRecord {
        auto_renew: true,
        ..off.clone()
    };
    let due = Some(AutoRenewDue {
        due_since: day_start,
        renews_from: expiry,
    });
    assert_eq!(
        ok(auto_renew_due(&on, &periods, day_start.plus_secs(-1))),
        None
    );
    assert_eq!(ok(auto_renew_due(&on, &periods, day_start)), due);
    assert_eq!(ok(auto_renew_due(&on, &periods, expiry.plus_days(44))), due);
    assert_eq!(
        ok(auto_renew_due(&on, &periods, expiry.plus_days(45))),
        None
    );
    // The scheduler is told to look again at the start of the day of expiry.
    let projection = ok(project(&on, &periods, t0().plus_days(61)));
    assert_eq!(projection.next_change, Some(day_start));

    // A missed run catches up late; the renewal still counts from the old expiry.
    let renewed = ok(auto_renew(&on, &periods, expiry.plus_days(20)));
    assert_eq!(renewed.expires_at, ts("2027-03-10T08:00:00Z"));
    assert_eq!(
        ok(auto_renew_due(&renewed, &periods, expiry.plus_days(20))),
        None
    );
    assert_eq!(
        code(auto_renew(&renewed, &periods, expiry.plus_days(20))),
        "AUTO_RENEW_NOT_DUE"
    );

    let prohibited = DomainRecord {
        flags: flags(&[EppStatus::ServerRenewProhibited]),
        ..on.clone()
    };
    assert!(ok(auto_renew_due(&prohibited, &periods, expiry)).is_some());
    assert_eq!(
        code(auto_renew(&prohibited, &periods, expiry)),
        "STATUS_PROHIBITS"
    );
}

#[test]
fn auto_renew_ahead_of_expiry() {
    let periods = TldPeriods::gtld();
    let on = DomainRecord {
        auto_renew: true,
        ..register(1, &periods, t0())
    };
    let expiry = on.expires_at;
    let ten_days_early = ts("2026-02-28T00:00:00Z");
    assert_eq!(
        ok(auto_renew_due_ahead(
            &on,
            &periods,
            ten_days_early.plus_secs(-1),
            10
        )),
        None
    );
    assert_eq!(
        ok(auto_renew_due_ahead(&on, &periods, ten_days_early, 10)),
        Some(AutoRenewDue {
            due_since: ten_days_early,
            renews_from: expiry,
        })
    );
    // Without a threshold the same moment is too early.
    assert_eq!(ok(auto_renew_due(&on, &periods, ten_days_early)), None);
    // Renewing early still adds the year to the old expiry, and only once.
    let renewed = ok(auto_renew_ahead(&on, &periods, ten_days_early, 10));
    assert_eq!(renewed.expires_at, ts("2027-03-10T08:00:00Z"));
    assert_eq!(
        code(auto_renew_ahead(&renewed, &periods, ten_days_early, 10)),
        "AUTO_RENEW_NOT_DUE"
    );
}

#[test]
fn status_flags_and_dns() {
    for derived in [
        EppStatus::Ok,
        EppStatus::PendingCreate,
        EppStatus::PendingDelete,
        EppStatus::PendingRenew,
        EppStatus::PendingTransfer,
        EppStatus::PendingUpdate,
    ] {
        assert_eq!(
            StatusFlags::from_statuses(&[derived]),
            Err(LifecycleError::StatusNotSettable { status: derived })
        );
    }
    let mut set = flags(&[
        EppStatus::ServerHold,
        EppStatus::ClientHold,
        EppStatus::ServerHold,
    ]);
    assert_eq!(
        set.as_slice(),
        &[EppStatus::ClientHold, EppStatus::ServerHold]
    );
    assert!(set.remove(EppStatus::ClientHold));
    assert!(!set.remove(EppStatus::ClientHold));
    assert_eq!(set.insert(EppStatus::Inactive), Ok(true));
    assert_eq!(set.insert(EppStatus::Inactive), Ok(false));

    let periods = TldPeriods::gtld();
    let record = register(1, &periods, t0());
    let now = t0().plus_days(10);
    for (flag, resolves) in [
        (EppStatus::ClientHold, false),
        (EppStatus::ServerHold, false),
        (EppStatus::Inactive, false),
        (EppStatus::ClientTransferProhibited, true),
        (EppStatus::ServerUpdateProhibited, true),
    ] {
        let flagged = DomainRecord {
            flags: flags(&[flag]),
            ..record.clone()
        };
        let projection = ok(project(&flagged, &periods, now));
        assert_eq!(statuses(&projection), flag.as_epp());
        assert_eq!(projection.resolves, resolves, "{flag}");
    }
    // Once deleted, only pendingDelete shows, whatever the flags.
    let locked = DomainRecord {
        flags: flags(&[
            EppStatus::ClientDeleteProhibited,
            EppStatus::ServerTransferProhibited,
            EppStatus::ClientHold,
        ]),
        ..record.clone()
    };
    let projection = ok(project(&locked, &periods, record.expires_at.plus_days(50)));
    assert_eq!(statuses(&projection), "pendingDelete");
    let expired = ok(project(&locked, &periods, record.expires_at));
    assert_eq!(
        statuses(&expired),
        "clientDeleteProhibited,clientHold,serverTransferProhibited"
    );
}

#[test]
fn odd_records_do_not_panic() {
    let periods = TldPeriods::gtld();
    // Expires before it was created: the facts say it expired long ago.
    let backwards = DomainRecord {
        expires_at: t0().plus_days(-400),
        ..register(1, &periods, t0())
    };
    let projection = ok(project(&backwards, &periods, t0()));
    assert_eq!(projection.phase, Phase::Released);
    assert_eq!(
        code(can_renew(&backwards, &periods, 1, t0())),
        "DOMAIN_RELEASED"
    );

    assert_eq!(
        code(DomainRecord::register(1, &periods, Timestamp(i64::MAX))),
        "DATE_OUT_OF_RANGE"
    );
    assert_eq!(
        code(DomainRecord::register(
            1,
            &periods,
            ts("9999-06-01T00:00:00Z")
        )),
        "DATE_OUT_OF_RANGE"
    );
    let far = register(1, &periods, ts("9998-06-01T00:00:00Z"));
    assert_eq!(
        code(can_renew(&far, &periods, 1, far.created_at)),
        "DATE_OUT_OF_RANGE"
    );
    assert_eq!(start_of_utc_day(Timestamp(i64::MIN)), Timestamp(i64::MIN));
    assert_eq!(start_of_utc_day(Timestamp(-1)), Timestamp(-DAY));
}

/// A small deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn time(&mut self) -> Timestamp {
        let base = t0().0;
        match self.below(6) {
            0 => Timestamp(
                [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX][self.below(7) as usize],
            ),
            1 => Timestamp(self.next() as i64),
            _ => Timestamp(base + (self.below(3 * 365 * DAY as u64) as i64) - 365 * DAY),
        }
    }

    fn maybe_time(&mut self) -> Option<Timestamp> {
        (self.below(3) == 0).then(|| self.time())
    }

    fn days(&mut self) -> u32 {
        match self.below(8) {
            0 => u32::MAX,
            1 => 0,
            _ => self.below(100) as u32,
        }
    }
}

#[test]
fn random_records_never_panic_and_statuses_always_validate() {
    let settable: Vec<EppStatus> = EppStatus::ALL
        .into_iter()
        .filter(|status| *status != EppStatus::Ok && !status.is_pending())
        .collect();
    let mut rng = Rng(3915);
    let mut projected = 0;
    for _ in 0..20_000 {
        let periods = match rng.below(3) {
            0 => TldPeriods::gtld(),
            1 => TldPeriods::cn(),
            _ => TldPeriods {
                add_grace_days: rng.days(),
                renew_grace_days: rng.days(),
                auto_renew_grace_days: rng.days(),
                transfer_grace_days: rng.days(),
                redemption_days: rng.days(),
                pending_delete_days: rng.days(),
                transfer_auto_approve_days: rng.days(),
                transfer_lock_days: rng.days(),
                post_expiry_renewal_transfer_lock_days: rng.days(),
                no_transfer_before_expiry_days: rng.days(),
                transfer_adds_years: rng.below(12) as u32,
                max_registration_years: rng.below(12) as u32,
            },
        };
        let mut flags = StatusFlags::new();
        for status in &settable {
            if rng.below(6) == 0 {
                ok(flags.insert(*status));
            }
        }
        let last_renewal = (rng.below(3) == 0).then(|| Renewal {
            at: rng.time(),
            years: rng.below(12) as u32,
            kind: [
                RenewalKind::Explicit,
                RenewalKind::Auto,
                RenewalKind::Restore,
            ][rng.below(3) as usize],
            previous_expires_at: rng.time(),
        });
        let record = DomainRecord {
            created_at: rng.time(),
            expires_at: rng.time(),
            registered_years: rng.below(12) as u32,
            last_renewal,
            last_transferred_at: rng.maybe_time(),
            pending_transfer_since: rng.maybe_time(),
            deleted_at: rng.maybe_time(),
            restored_at: rng.maybe_time(),
            flags,
            auto_renew: rng.below(2) == 0,
        };
        let now = rng.time();
        let years = rng.below(13) as u32;
        match project(&record, &periods, now) {
            Ok(projection) => {
                projected += 1;
                assert_valid_statuses(&projection);
                if let Some(next) = projection.next_change {
                    assert!(next > now);
                }
                assert!(!projection.resolves || !projection.phase.is_deleted());
            }
            Err(error) => {
                // Only a pending transfer on a transfer-prohibited name is contradictory.
                assert_eq!(error.code(), "INCONSISTENT_RECORD");
                assert!(record.pending_transfer_since.is_some());
            }
        }
        let _ = can_renew(&record, &periods, years, now);
        let _ = renew(&record, &periods, years, now);
        let _ = auto_renew_due(&record, &periods, now);
        let _ = auto_renew(&record, &periods, now);
        let _ = can_restore(&record, &periods, now);
        let _ = can_transfer(&record, &periods, now);
        let _ = can_delete(&record, &periods, now);
        if let Ok(restored) = restore(&record, &periods, now) {
            let projection = ok(project(&restored, &periods, now));
            assert!(!projection.phase.is_deleted(), "{restored:?} at {now}");
        }
        if let Ok(deleted) = delete(&record, &periods, now) {
            let projection = ok(project(&deleted, &periods, now));
            assert!(projection.phase.is_deleted(), "{deleted:?} at {now}");
        }
    }
    assert!(projected > 15_000, "only {projected} records projected");
}

#[test]
fn transfer_request_complete_and_end() {
    let periods = TldPeriods::gtld();
    let record = register(1, &periods, t0());
    // Locked for 60 days after registration.
    assert_eq!(
        code(request_transfer(&record, &periods, t0().plus_days(59))),
        "TRANSFER_LOCKED"
    );
    let asked = t0().plus_days(61);
    let (pending, decision) = ok(request_transfer(&record, &periods, asked));
    assert_eq!(pending.pending_transfer_since, Some(asked));
    assert_eq!(decision.auto_approves_at, asked.plus_days(5));
    // A second request while one is pending is blocked by pendingTransfer.
    assert_eq!(
        code(request_transfer(&pending, &periods, asked.plus_days(1))),
        "STATUS_PROHIBITS"
    );
    let ended = end_pending_transfer(&pending);
    assert_eq!(ended, record);

    let mut locked = pending.clone();
    locked.flags = flags(&[EppStatus::ClientDeleteProhibited]);
    let done = ok(complete_transfer(
        &locked,
        &periods,
        decision.auto_approves_at,
    ));
    assert_eq!(done.pending_transfer_since, None);
    assert_eq!(done.last_transferred_at, Some(decision.auto_approves_at));
    assert_eq!(done.expires_at, ok(add_years(record.expires_at, 1)));
    assert!(
        done.flags.as_slice().is_empty(),
        "the losing side's flags go"
    );
    // The new holder is locked for 60 days again, and in transfer grace for 5.
    assert_eq!(
        code(request_transfer(
            &done,
            &periods,
            decision.auto_approves_at.plus_days(10)
        )),
        "TRANSFER_LOCKED"
    );
    let projection = ok(project(&done, &periods, decision.auto_approves_at));
    assert!(projection.in_grace(RgpStatus::TransferPeriod));
    // Nothing pending: nothing to complete.
    assert_eq!(
        code(complete_transfer(&record, &periods, asked)),
        "NOT_TRANSFERABLE_IN_PHASE"
    );
}

#[test]
fn cn_transfer_keeps_the_term_and_is_locked_near_expiry() {
    let periods = TldPeriods::cn();
    let record = register(1, &periods, t0());
    assert_eq!(
        code(request_transfer(
            &record,
            &periods,
            record.expires_at.plus_days(-10)
        )),
        "TRANSFER_LOCKED"
    );
    let asked = t0().plus_days(100);
    let (pending, _) = ok(request_transfer(&record, &periods, asked));
    let done = ok(complete_transfer(&pending, &periods, asked.plus_days(1)));
    assert_eq!(
        done.expires_at, record.expires_at,
        ".cn transfers add no year"
    );
}
