//! The lifecycle sweep on both backends: a domain's whole life under the fake clock with
//! reminders delivered through a real SMTP server (aiosmtpd), auto-renew failure, redemption,
//! release and re-registration; concurrent sweeps charging exactly once.

use yuming_app::notify::notices::{self, Mailer};
use yuming_app::{App, ops::scheduler, registrar::domains};
use yuming_core::clock::Timestamp;
use yuming_core::lifecycle::Phase;
use yuming_test_support::smtp::SmtpSink;
use yuming_test_support::{TestDb, both_backends, test_app};

use super::registrar::{assert_ledger_balanced, balance_of, ctx, customer, register_input};

/// A mailer that sends to the test's SMTP server.
fn mailer(sink: &SmtpSink) -> Mailer {
    Mailer::new(
        &format!("smtp://127.0.0.1:{}", sink.port),
        "Yuming <noreply@yuming.test>",
    )
    .expect("mailer")
}

/// One sweep, then delivery of whatever e-mail it queued.
async fn tick(app: &App, mailer: &Mailer) -> scheduler::SweepReport {
    let report = scheduler::sweep(app).await.expect("sweep");
    let (_, failed) = notices::deliver_email(app, mailer, 100)
        .await
        .expect("deliver");
    assert_eq!(failed, 0, "SMTP delivery failed");
    report
}

async fn phase_of(app: &App, actor: &yuming_core::access::Actor, name: &str) -> Phase {
    domains::get(app, actor, name).await.expect("get").phase
}

both_backends!(a_domain_lives_and_dies, |db: TestDb| async move {
    let sink = SmtpSink::start();
    let mailer = mailer(&sink);
    let (app, clock) = test_app(&db.db);
    // Enough for the registration only: the auto-renewal will find an empty balance.
    let (alice, contact) = customer(&app, &db, "alice@example.com", 6_900).await;
    // Alice turned the low-balance notice off, so the mail counted below is the lifecycle's
    // alone (that notice has its own test).
    yuming_app::billing::set_low_balance_threshold(&app, &ctx(), &alice, 0)
        .await
        .expect("threshold");
    let mut input = register_input("lifecycle-story.com", 1, &contact);
    input.auto_renew = true;
    let receipt = domains::register(&app, &ctx(), &alice, input)
        .await
        .expect("register");
    let expires = receipt.domain.expires_at;
    assert_eq!(balance_of(&app, &alice).await, 0);

    // Nothing is due a year ahead.
    let report = tick(&app, &mailer).await;
    assert_eq!(report.notices, 0);
    assert!(sink.received().is_empty());

    // 30, 7 and 1 days before expiry: one reminder each, by e-mail through SMTP; repeats
    // of the sweep send nothing more.
    for (days, expected) in [(30, 1), (7, 2), (1, 3)] {
        clock.set(Timestamp(expires.0 - days * 86_400 + 3_600));
        tick(&app, &mailer).await;
        tick(&app, &mailer).await;
        let messages = sink.received();
        assert_eq!(messages.len(), expected, "after the {days}-day sweep");
        assert!(
            messages
                .iter()
                .all(|m| m["to"] == serde_json::json!(["alice@example.com"])),
            "{messages:?}"
        );
    }
    // The subjects travel RFC 2047 encoded (Chinese) and decode to the outbox's text.
    let mailed: Vec<String> = sink
        .received()
        .iter()
        .map(|m| m["subject"].as_str().unwrap_or("").to_owned())
        .collect();
    let inbox = notices::inbox(&app, &alice, None, 50).await.expect("inbox");
    let subjects: Vec<&str> = inbox.iter().map(|i| i.subject.as_str()).collect();
    assert_eq!(
        subjects,
        vec![
            "域名 lifecycle-story.com 将于 1 天后到期",
            "域名 lifecycle-story.com 将于 7 天后到期",
            "域名 lifecycle-story.com 将于 30 天后到期",
        ]
    );
    let mut newest_first = mailed.clone();
    newest_first.reverse();
    assert_eq!(newest_first, subjects, "what the SMTP server received");

    // Expiry: the auto-renewal is due but the balance is empty: no charge, never negative,
    // one failure notice and one "expired" notice; the name stops resolving.
    clock.set(Timestamp(expires.0 + 3_600));
    let report = tick(&app, &mailer).await;
    assert_eq!(report.renewed, 0);
    assert_eq!(report.renew_failed, 1);
    let report = tick(&app, &mailer).await;
    assert_eq!((report.renew_failed, report.notices), (0, 0));
    assert_eq!(balance_of(&app, &alice).await, 0);
    let view = domains::get(&app, &alice, "lifecycle-story.com")
        .await
        .expect("get");
    assert_eq!(view.phase, Phase::AutoRenewGrace);
    assert!(!view.resolves);
    assert_eq!(sink.received().len(), 5);

    // Past the 45-day auto-renew grace: redemption, notified once.
    clock.set(Timestamp(expires.0 + 46 * 86_400));
    let report = tick(&app, &mailer).await;
    assert_eq!(report.renewed, 0, "no renewal outside the grace period");
    assert_eq!(
        phase_of(&app, &alice, "lifecycle-story.com").await,
        Phase::Redemption
    );
    assert_eq!(sink.received().len(), 6);
    assert_eq!(balance_of(&app, &alice).await, 0);

    // A top-up, then a restore during redemption: the restore fee plus one year, and the
    // name resolves again.
    yuming_app::billing::credit(
        &app,
        &ctx(),
        &crate::registrar::operator(),
        &alice.tenant_id,
        yuming_core::money::Money::new(30_000, yuming_core::money::Currency::Cny),
        "top-up",
    )
    .await
    .expect("top-up");
    let receipt =
        yuming_app::registrar::restore::restore(&app, &ctx(), &alice, "lifecycle-story.com")
            .await
            .expect("restore");
    assert_eq!(receipt.charged.minor(), 16_000 + 7_900);
    assert_eq!(balance_of(&app, &alice).await, 30_000 - 23_900);
    let view = domains::get(&app, &alice, "lifecycle-story.com")
        .await
        .expect("get");
    assert_eq!(view.phase, Phase::Active);
    assert!(view.resolves);

    // A second domain of another account runs out entirely: pending delete, then released
    // and registered by a third account.
    let (bob, bob_contact) = customer(&app, &db, "bob@example.com", 6_900).await;
    let receipt = domains::register(
        &app,
        &ctx(),
        &bob,
        register_input("second-life.com", 1, &bob_contact),
    )
    .await
    .expect("register second");
    let second_expiry = receipt.domain.expires_at;
    // gTLD: 45 days grace + 30 redemption → pending delete; + 5 → released.
    clock.set(Timestamp(second_expiry.0 + 76 * 86_400));
    tick(&app, &mailer).await;
    assert_eq!(
        phase_of(&app, &bob, "second-life.com").await,
        Phase::PendingDelete
    );
    clock.set(Timestamp(second_expiry.0 + 81 * 86_400));
    let report = tick(&app, &mailer).await;
    assert!(report.released >= 1);
    let again = tick(&app, &mailer).await;
    assert_eq!(again.released, 0);
    assert!(domains::get(&app, &bob, "second-life.com").await.is_err());
    let availability = domains::check(&app, &["second-life.com".to_owned()])
        .await
        .expect("check");
    assert!(availability[0].available);
    let (carol, carol_contact) = customer(&app, &db, "carol@example.com", 6_900).await;
    let receipt = domains::register(
        &app,
        &ctx(),
        &carol,
        register_input("second-life.com", 1, &carol_contact),
    )
    .await
    .expect("re-register");
    assert_eq!(receipt.domain.owner_id, carol.tenant_id);

    let mut tx = app.db().read().await.expect("tx");
    assert_eq!(
        tx.domain_history_count("auto_renew_failed")
            .await
            .expect("n"),
        1
    );
    assert_eq!(tx.domain_history_count("release").await.expect("n"), 2);
    tx.commit().await.expect("commit");
    assert_ledger_balanced(&app).await;
});

both_backends!(
    auto_renew_charges_once_and_warns_low_balance,
    |db: TestDb| async move {
        let (app, clock) = test_app(&db.db);
        let (alice, contact) =
            customer(&app, &db, "alice@example.com", 6_900 + 7_900 + 1_000).await;
        let mut input = register_input("renews-itself.com", 1, &contact);
        input.auto_renew = true;
        let receipt = domains::register(&app, &ctx(), &alice, input)
            .await
            .expect("register");
        let expires = receipt.domain.expires_at;
        // Due from 00:00 UTC on the day of expiry, so the name never lapses.
        clock.set(expires);
        let report = scheduler::sweep(&app).await.expect("sweep");
        assert_eq!(
            report.renewed,
            1,
            "{report:?} {:?}",
            notices::inbox(&app, &alice, None, 50).await
        );
        assert_eq!(scheduler::sweep(&app).await.expect("again").renewed, 0);
        assert_eq!(balance_of(&app, &alice).await, 1_000);
        let view = domains::get(&app, &alice, "renews-itself.com")
            .await
            .expect("get");
        assert_eq!(view.phase, Phase::Active);
        assert!(view.expires_at.0 > expires.0 + 364 * 86_400);
        let inbox = notices::inbox(&app, &alice, None, 50).await.expect("inbox");
        let kinds: Vec<&str> = inbox.iter().map(|i| i.kind.as_str()).collect();
        assert!(kinds.contains(&"auto_renew_succeeded"), "{kinds:?}");
        assert_eq!(kinds.iter().filter(|k| **k == "low_balance").count(), 1);
        assert_ledger_balanced(&app).await;
    }
);

both_backends!(concurrent_sweeps_act_once, |db: TestDb| async move {
    let (app, clock) = test_app(&db.db);
    const N: i64 = 200;
    let start = N * (6_900 + 7_900) + 100_000;
    let (alice, contact) = customer(&app, &db, "alice@example.com", start).await;
    let mut expires = None;
    for i in 0..N {
        let mut input = register_input(&format!("due-{i:03}.com"), 1, &contact);
        input.auto_renew = true;
        let receipt = domains::register(&app, &ctx(), &alice, input)
            .await
            .expect("register");
        expires = Some(receipt.domain.expires_at);
    }
    clock.set(expires.expect("registered"));
    // Two workers over the same due set at the same time (PostgreSQL: SKIP LOCKED claims;
    // SQLite: serialised writers).
    let (a, b) = tokio::join!(
        tokio::spawn({
            let app = app.clone();
            async move { scheduler::sweep(&app).await }
        }),
        tokio::spawn({
            let app = app.clone();
            async move { scheduler::sweep(&app).await }
        }),
    );
    let (a, b) = (
        a.expect("join").expect("sweep a"),
        b.expect("join").expect("sweep b"),
    );
    assert_eq!(a.renewed + b.renewed, N as u64, "{a:?} {b:?}");
    assert_eq!(balance_of(&app, &alice).await, start - N * (6_900 + 7_900));
    let mut tx = app.db().read().await.expect("tx");
    assert_eq!(tx.domain_history_count("auto_renew").await.expect("n"), N);
    let counts = tx.notice_counts().await.expect("counts");
    tx.commit().await.expect("commit");
    let renewed_notices: i64 = counts
        .iter()
        .filter(|(kind, _, _)| kind == "auto_renew_succeeded")
        .map(|(_, _, n)| n)
        .sum();
    // E-mail and in-app, once per domain.
    assert_eq!(renewed_notices, 2 * N);
    let orders = yuming_app::billing::orders(
        &app,
        &alice,
        &yuming_app::platform::paging::PageCursor::start(),
        500,
    )
    .await
    .expect("orders");
    assert_eq!(
        orders
            .items
            .iter()
            .filter(|o| o.kind == "auto_renew")
            .count() as i64,
        N
    );
    // A third sweep finds nothing left to do.
    let again = scheduler::sweep(&app).await.expect("again");
    assert_eq!((again.renewed, again.notices), (0, 0));
    assert_ledger_balanced(&app).await;
});

both_backends!(
    auto_renew_threshold_beyond_the_reminder_horizon,
    |db: TestDb| async move {
        let (app, clock) = test_app(&db.db);
        let (alice, contact) = customer(&app, &db, "alice@example.com", 6_900 + 7_900 * 3).await;
        let receipt = domains::register(
            &app,
            &ctx(),
            &alice,
            register_input("early.com", 1, &contact),
        )
        .await
        .expect("register");
        let expires = receipt.domain.expires_at;
        yuming_app::registrar::batches::set_auto_renew(
            &app,
            &ctx(),
            &alice,
            "early.com",
            Some(true),
            Some(45),
        )
        .await
        .expect("45 days ahead");
        // 46 days before expiry: not yet due.
        clock.set(Timestamp(expires.0 - 46 * 86_400));
        assert_eq!(scheduler::sweep(&app).await.expect("sweep").renewed, 0);
        // 45 days before: renewed once, ahead of the 30-day reminder, however often it runs.
        clock.set(Timestamp(expires.0 - 45 * 86_400));
        assert_eq!(scheduler::sweep(&app).await.expect("sweep").renewed, 1);
        assert_eq!(scheduler::sweep(&app).await.expect("again").renewed, 0);
        clock.advance_days(16);
        assert_eq!(scheduler::sweep(&app).await.expect("at 29 days").renewed, 0);
        let view = domains::get(&app, &alice, "early.com").await.expect("get");
        assert_eq!(view.expires_at.0, expires.0 + 365 * 86_400);
        assert_eq!(balance_of(&app, &alice).await, 7_900 * 2, "charged once");
        let inbox = notices::inbox(&app, &alice, None, 50).await.expect("inbox");
        assert!(
            inbox.iter().all(|n| n.kind != "expiry_reminder"),
            "renewed before any reminder was due: {inbox:?}"
        );
        assert_ledger_balanced(&app).await;
    }
);

both_backends!(
    low_balance_threshold_is_per_account_and_checked_on_every_debit,
    |db: TestDb| async move {
        let (app, _clock) = test_app(&db.db);
        let (alice, contact) = customer(&app, &db, "alice@example.com", 20_000).await;
        let (bob, _) = customer(&app, &db, "bob@example.com", 0).await;
        assert_eq!(
            yuming_app::billing::low_balance_threshold(&app, &bob)
                .await
                .expect("default")
                .minor(),
            5_000
        );
        let set = yuming_app::billing::set_low_balance_threshold(&app, &ctx(), &alice, 15_000)
            .await
            .expect("set");
        assert_eq!(set.minor(), 15_000);
        let bad = yuming_app::billing::set_low_balance_threshold(&app, &ctx(), &alice, -1)
            .await
            .expect_err("negative");
        assert_eq!(
            (bad.code, bad.field.as_deref()),
            ("INVALID_THRESHOLD", Some("amount"))
        );
        let low_notices = |app: App, alice: yuming_core::access::Actor| async move {
            notices::inbox(&app, &alice, None, 50)
                .await
                .expect("inbox")
                .into_iter()
                .filter(|n| n.kind == "low_balance")
                .count()
        };
        // A manual registration (not the scheduler) takes the balance under 150 CNY.
        domains::register(&app, &ctx(), &alice, register_input("one.com", 1, &contact))
            .await
            .expect("register");
        assert_eq!(balance_of(&app, &alice).await, 13_100);
        assert_eq!(low_notices(app.clone(), alice.clone()).await, 1);
        // Still the same episode: no second notice.
        domains::register(&app, &ctx(), &alice, register_input("two.com", 1, &contact))
            .await
            .expect("register");
        assert_eq!(low_notices(app.clone(), alice.clone()).await, 1);
        // 0 turns it off, even in a new episode.
        yuming_app::billing::credit(
            &app,
            &ctx(),
            &crate::registrar::operator(),
            &alice.tenant_id,
            yuming_core::money::Money::new(10_000, yuming_core::money::Currency::Cny),
            "top-up",
        )
        .await
        .expect("credit");
        yuming_app::billing::set_low_balance_threshold(&app, &ctx(), &alice, 0)
            .await
            .expect("off");
        domains::register(
            &app,
            &ctx(),
            &alice,
            register_input("three.com", 1, &contact),
        )
        .await
        .expect("register");
        assert_eq!(balance_of(&app, &alice).await, 9_300);
        assert_eq!(low_notices(app.clone(), alice.clone()).await, 1);
    }
);

both_backends!(stalled_batches_are_resumed_once, |db: TestDb| async move {
    let (app, clock) = test_app(&db.db);
    let (alice, contact) = customer(
        &app,
        &db,
        "alice@example.com",
        3 * 6_900 + 3 * 7_900 + 1_000,
    )
    .await;
    let mut expiries = Vec::new();
    for name in ["a-stalled.com", "b-stalled.com", "c-stalled.com"] {
        let receipt = domains::register(&app, &ctx(), &alice, register_input(name, 1, &contact))
            .await
            .expect("register");
        expiries.push(receipt.domain.expires_at.0);
    }
    // A batch accepted by an instance that died at once: all items pending, its lease
    // still running; the first item's renewal had committed before the crash.
    let now = app.now().0;
    let batch_id = "bat_stalled";
    let mut tx = db.db.write().await.expect("tx");
    tx.insert_batch(
        &yuming_store::BatchRow {
            id: batch_id.into(),
            owner_id: alice.tenant_id.clone(),
            actor_id: alice.account_id.clone(),
            operation: "renew".into(),
            params: r#"{"years":1}"#.into(),
            status: "running".into(),
            total: 3,
            created_at: now,
            finished_at: None,
        },
        &["a-stalled.com", "b-stalled.com", "c-stalled.com"]
            .iter()
            .enumerate()
            .map(|(i, name)| yuming_store::BatchItemRow {
                batch_id: batch_id.into(),
                position: i as i64,
                domain_name: (*name).into(),
                status: "pending".into(),
                code: None,
                message: None,
                message_zh: None,
                order_id: None,
            })
            .collect::<Vec<_>>(),
    )
    .await
    .expect("batch");
    tx.lease_batch(
        batch_id,
        "dead-instance",
        now + yuming_app::registrar::batches::BATCH_LEASE_SECS,
    )
    .await
    .expect("lease");
    tx.commit().await.expect("commit");
    let first = domains::renew(
        &app,
        &yuming_app::RequestContext::internal(&format!("{batch_id}/0")),
        &alice,
        "a-stalled.com",
        1,
    )
    .await
    .expect("renewed before the crash");

    // Within the lease nobody takes it over.
    assert_eq!(
        yuming_app::registrar::batches::resume_stalled(&app, "w1", 10)
            .await
            .expect("resume"),
        0
    );
    clock.advance_secs(yuming_app::registrar::batches::BATCH_LEASE_SECS + 1);
    // Two instances at once: one resumes it, each item happens once.
    let (one, two) = tokio::join!(
        yuming_app::registrar::batches::resume_stalled(&app, "w1", 10),
        yuming_app::registrar::batches::resume_stalled(&app, "w2", 10)
    );
    assert_eq!(one.expect("w1") + two.expect("w2"), 1);
    assert_eq!(
        yuming_app::registrar::batches::resume_stalled(&app, "w1", 10)
            .await
            .expect("again"),
        0
    );
    let batch = yuming_app::registrar::batches::get(&app, &alice, batch_id)
        .await
        .expect("batch");
    assert_eq!(batch.status, "completed");
    assert_eq!((batch.done, batch.failed), (3, 0));
    assert_eq!(
        batch.items[0].order_id.as_deref(),
        Some(first.order_id.as_str()),
        "the committed item is recognised, not repeated"
    );
    assert!(batch.items.iter().all(|i| i.order_id.is_some()));
    assert_eq!(
        balance_of(&app, &alice).await,
        1_000,
        "three renewals, charged once each"
    );
    for (name, expires) in ["a-stalled.com", "b-stalled.com", "c-stalled.com"]
        .iter()
        .zip(&expiries)
    {
        let view = domains::get(&app, &alice, name).await.expect("get");
        assert_eq!(view.expires_at.0, expires + 365 * 86_400, "{name}");
    }
    assert_ledger_balanced(&app).await;
});

both_backends!(
    a_stalled_checkout_registers_each_name_once,
    |db: TestDb| async move {
        let (app, clock) = test_app(&db.db);
        let (alice, contact) = customer(&app, &db, "alice@example.com", 3 * 6_900 + 500).await;
        // A checkout (register batch) accepted by an instance that died after the first name.
        let now = app.now().0;
        let batch_id = "bat_checkout";
        let names = ["x-checkout.com", "y-checkout.com"];
        let params = serde_json::json!({
            "years": { "x-checkout.com": 2, "y-checkout.com": 1 },
            "registrant_contact_id": contact,
            "nameservers": null,
            "auto_renew": true,
        });
        let mut tx = db.db.write().await.expect("tx");
        tx.insert_batch(
            &yuming_store::BatchRow {
                id: batch_id.into(),
                owner_id: alice.tenant_id.clone(),
                actor_id: alice.account_id.clone(),
                operation: "register".into(),
                params: params.to_string(),
                status: "running".into(),
                total: 2,
                created_at: now,
                finished_at: None,
            },
            &names
                .iter()
                .enumerate()
                .map(|(i, name)| yuming_store::BatchItemRow {
                    batch_id: batch_id.into(),
                    position: i as i64,
                    domain_name: (*name).into(),
                    status: "pending".into(),
                    code: None,
                    message: None,
                    message_zh: None,
                    order_id: None,
                })
                .collect::<Vec<_>>(),
        )
        .await
        .expect("batch");
        tx.lease_batch(batch_id, "dead-instance", now + 1)
            .await
            .expect("lease");
        tx.commit().await.expect("commit");
        let first = domains::register(
            &app,
            &yuming_app::RequestContext::internal(&format!("{batch_id}/0")),
            &alice,
            register_input("x-checkout.com", 2, &contact),
        )
        .await
        .expect("registered before the crash");

        clock.advance_secs(2);
        assert_eq!(
            yuming_app::registrar::batches::resume_stalled(&app, "w1", 10)
                .await
                .expect("resume"),
            1
        );
        let batch = yuming_app::registrar::batches::get(&app, &alice, batch_id)
            .await
            .expect("batch");
        assert_eq!(
            (batch.status.as_str(), batch.done, batch.failed),
            ("completed", 2, 0)
        );
        assert_eq!(
            batch.items[0].order_id.as_deref(),
            Some(first.order_id.as_str())
        );
        let y = domains::get(&app, &alice, "y-checkout.com")
            .await
            .expect("registered");
        assert_eq!(
            y.expires_at.0 - y.created_at.0,
            365 * 86_400,
            "its own term"
        );
        assert!(y.auto_renew);
        assert_eq!(
            balance_of(&app, &alice).await,
            500,
            "three years in all, charged once"
        );
        assert_ledger_balanced(&app).await;
    }
);

both_backends!(
    jobs_are_recorded_and_administrators_run_them_now,
    |db: TestDb| async move {
        use yuming_app::ops::jobs;
        use yuming_app::ops::scheduler::Job;
        use yuming_core::access::Role;
        use yuming_test_support::fixtures;
        let (app, clock) = test_app(&db.db);
        let admin = fixtures::staff(&app, "ops@example.com", Role::Admin).await;
        let reviewer = fixtures::staff(&app, "eyes@example.com", Role::Reviewer).await;

        // Before anything ran, every job is listed as never run; e-mail without a mailer
        // cannot run at all.
        let listed = jobs::list(&app, &admin).await.expect("list");
        assert_eq!(listed.len(), Job::ALL.len());
        assert!(listed.iter().all(|j| j.status.is_none() && !j.failing));
        let email = listed
            .iter()
            .find(|j| j.job == Job::EmailDelivery)
            .expect("email job");
        assert!(email.unavailable);

        scheduler::run_jobs(&app, "instance-a", None)
            .await
            .expect("jobs");
        let listed = jobs::list(&app, &admin).await.expect("list");
        for view in &listed {
            let ran = view.job.each_tick() && view.job != Job::EmailDelivery;
            assert_eq!(view.status.is_some(), ran, "{:?}", view.job);
            if let Some(status) = &view.status {
                assert_eq!(status.runs, 1);
                assert_eq!(status.failures, 0);
                assert_eq!(status.last_trigger, "schedule");
                assert_eq!(status.last_holder, "instance-a");
                assert_eq!(status.last_ok_at, Some(status.last_finished_at));
            }
        }

        // A failure is counted and shown until a run succeeds again; the message stays for
        // reference.
        let mut tx = app.db().write().await.expect("tx");
        tx.record_job_run(&yuming_store::JobRun {
            name: "complete_transfers",
            started_at: app.now().0,
            finished_at: app.now().0,
            duration_ms: 3,
            processed: 0,
            error: Some("database is locked"),
            holder: "instance-b",
            trigger: "schedule",
        })
        .await
        .expect("record");
        tx.commit().await.expect("commit");
        let (failing, _) = jobs::trouble(&app, &admin).await.expect("trouble");
        assert_eq!(failing, 1);
        let transfers = jobs::list(&app, &admin)
            .await
            .expect("list")
            .into_iter()
            .find(|j| j.job == Job::CompleteTransfers)
            .expect("transfers");
        let status = transfers.status.clone().expect("status");
        assert!(transfers.failing);
        assert_eq!((status.runs, status.failures), (2, 1));
        assert_eq!(status.consecutive_failures, 1);
        assert_eq!(status.last_error.as_deref(), Some("database is locked"));

        // Run now: audited, recorded as manual, and the failure streak ends.
        let ran = jobs::run_now(&app, &ctx(), &admin, "complete_transfers")
            .await
            .expect("run now");
        assert_eq!(ran.job, Job::CompleteTransfers);
        let transfers = jobs::list(&app, &admin)
            .await
            .expect("list")
            .into_iter()
            .find(|j| j.job == Job::CompleteTransfers)
            .expect("transfers");
        let status = transfers.status.expect("status");
        assert!(!transfers.failing);
        assert_eq!((status.runs, status.failures), (3, 1));
        assert_eq!(status.consecutive_failures, 0);
        assert_eq!(status.last_trigger, format!("manual:{}", admin.account_id));
        assert_eq!(status.last_error.as_deref(), Some("database is locked"));
        let mut tx = app.db().read().await.expect("tx");
        let audit = tx
            .audit_search(
                &yuming_store::AuditFilter {
                    action_prefix: Some("job.run_now"),
                    ..Default::default()
                },
                None,
                10,
            )
            .await
            .expect("audit");
        tx.commit().await.expect("commit");
        assert_eq!(audit.entries.len(), 1, "{audit:?}");

        // Refusals: e-mail without smtp_url, an unknown job, a reviewer.
        let no_smtp = jobs::run_now(&app, &ctx(), &admin, "email_delivery")
            .await
            .expect_err("no mailer");
        assert_eq!(no_smtp.code, "SMTP_NOT_CONFIGURED");
        let unknown = jobs::run_now(&app, &ctx(), &admin, "mine_bitcoin")
            .await
            .expect_err("unknown");
        assert_eq!(unknown.code, "NOT_FOUND");
        assert!(
            jobs::run_now(&app, &ctx(), &reviewer, "lifecycle_sweep")
                .await
                .is_err()
        );
        assert!(jobs::list(&app, &reviewer).await.is_err());

        // The sweep's lease held by a running instance: a run asked for now is refused and
        // not recorded as a run.
        let now = app.now().0;
        let mut tx = app.db().write().await.expect("tx");
        assert!(
            tx.acquire_job_lease("lifecycle_sweep", "instance-c", now, now + 900)
                .await
                .expect("lease")
        );
        tx.commit().await.expect("commit");
        let busy = jobs::run_now(&app, &ctx(), &admin, "lifecycle_sweep")
            .await
            .expect_err("busy");
        assert_eq!(busy.code, "JOB_RUNNING_ELSEWHERE");

        // A job not run for three intervals lags.
        clock.set(Timestamp(app.now().0 + 4 * 60 + 61));
        let (_, lagging) = jobs::trouble(&app, &admin).await.expect("trouble");
        assert!(lagging > 0);
    }
);
