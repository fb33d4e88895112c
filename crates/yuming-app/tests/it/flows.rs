//! Lifecycle flows on both backends: transfers (approve, reject, cancel, auto-approval,
//! wrong auth codes, locks), changes of holder, safe cancellation, batches, auto-renew
//! settings, and the bad-input list of issue 5.

use std::time::Duration;

use yuming_app::registrar::batches::{self, BatchOperation};
use yuming_app::registrar::cancellations::{self, Submission};
use yuming_app::registrar::domains::{self, DomainUpdate};
use yuming_app::registrar::export::ArchiveFormat;
use yuming_app::{App, registrar::transfers};
use yuming_core::access::Actor;
use yuming_test_support::{TestDb, both_backends, test_app};

use crate::registrar::{
    assert_ledger_balanced, balance_of, code, ctx, customer, operator, register_input,
};

async fn auth_code_of(app: &App, actor: &Actor, name: &str) -> String {
    domains::auth_code(app, &ctx(), actor, name, false)
        .await
        .expect("auth code")
}

async fn owner_of(app: &App, name: &str) -> String {
    domains::lookup(app, name)
        .await
        .expect("lookup")
        .domain
        .owner_id
}

both_backends!(transfers_between_accounts, |t: TestDb| async move {
    let story = yuming_test_support::story::Story::new("transfers between accounts");
    let (app, clock) = test_app(&t.db);
    let (alice, alice_contact) = customer(&app, &t, "alice@example.com", 100_000).await;
    let (bob, bob_contact) = customer(&app, &t, "bob@example.com", 100_000).await;
    for name in [
        "one.com",
        "two.com",
        "three.com",
        "four.com",
        "five.com",
        "locked.com",
    ] {
        domains::register(
            &app,
            &ctx(),
            &alice,
            register_input(name, 1, &alice_contact),
        )
        .await
        .expect("register");
    }
    let fresh = "fresh.com";
    // Inside the 60-day lock after registration.
    let code_one = auth_code_of(&app, &alice, "one.com").await;
    let bob_before = balance_of(&app, &bob).await;
    assert_eq!(
        code(transfers::request(&app, &ctx(), &bob, "one.com", &code_one, &bob_contact).await),
        "TRANSFER_LOCKED"
    );
    assert_eq!(balance_of(&app, &bob).await, bob_before, "nothing charged");
    clock.advance_days(61);
    domains::register(
        &app,
        &ctx(),
        &alice,
        register_input(fresh, 1, &alice_contact),
    )
    .await
    .expect("register fresh");

    story.step("Approved by the holder");
    // Approved by the holder: fee charged to the gaining side, a year added.
    let expiry_before = domains::get(&app, &alice, "one.com")
        .await
        .expect("get")
        .expires_at;
    let pending = transfers::request(&app, &ctx(), &bob, "one.com", &code_one, &bob_contact)
        .await
        .expect("request");
    assert_eq!(
        (pending.status.as_str(), pending.fee.minor()),
        ("pending", 7_900)
    );
    assert_eq!(balance_of(&app, &bob).await, bob_before - 7_900);
    let inbox = yuming_app::notify::notices::inbox(&app, &alice, None, 10)
        .await
        .expect("inbox");
    assert!(
        inbox
            .iter()
            .any(|n| n.kind == "transfer_requested" && n.body.contains("one.com")),
        "the holder is told: {inbox:?}"
    );
    let seen = domains::get(&app, &alice, "one.com").await.expect("get");
    assert!(
        seen.statuses.contains(&"pendingTransfer".to_owned()),
        "{:?}",
        seen.statuses
    );
    let listed = transfers::list(&app, &alice, 50).await.expect("list");
    assert!(listed.iter().any(|v| v.id == pending.id && !v.gaining));
    let approved = transfers::decide(&app, &ctx(), &alice, "one.com", true, None)
        .await
        .expect("approve");
    assert_eq!(approved.status, "approved");
    assert_eq!(owner_of(&app, "one.com").await, bob.tenant_id);
    let moved = domains::get(&app, &bob, "one.com")
        .await
        .expect("bob sees it");
    assert_eq!(moved.expires_at.0, expiry_before.0 + 365 * 86_400);
    assert!(moved.grace_periods.contains(&"transferPeriod".to_owned()));
    assert_eq!(
        code(domains::get(&app, &alice, "one.com").await),
        "NOT_FOUND"
    );
    assert_ne!(
        auth_code_of(&app, &bob, "one.com").await,
        code_one,
        "new auth code"
    );

    story.step("Rejected with a reason");
    // Rejected with a reason: refunded exactly.
    let code_two = auth_code_of(&app, &alice, "two.com").await;
    let before = balance_of(&app, &bob).await;
    transfers::request(&app, &ctx(), &bob, "two.com", &code_two, &bob_contact)
        .await
        .expect("request two");
    assert_eq!(
        code(transfers::decide(&app, &ctx(), &alice, "two.com", false, None).await),
        "INVALID_REASON"
    );
    let rejected = transfers::decide(&app, &ctx(), &alice, "two.com", false, Some("not selling"))
        .await
        .expect("reject");
    assert_eq!(
        (rejected.status.as_str(), rejected.reason.as_deref()),
        ("rejected", Some("not selling"))
    );
    assert_eq!(balance_of(&app, &bob).await, before);
    assert_eq!(owner_of(&app, "two.com").await, alice.tenant_id);
    let after = domains::get(&app, &alice, "two.com").await.expect("get");
    assert!(!after.statuses.contains(&"pendingTransfer".to_owned()));

    story.step("Cancelled by the gaining side");
    // Cancelled by the gaining side: refunded.
    let code_three = auth_code_of(&app, &alice, "three.com").await;
    let mine = transfers::request(&app, &ctx(), &bob, "three.com", &code_three, &bob_contact)
        .await
        .expect("request three");
    assert_eq!(
        code(transfers::cancel(&app, &ctx(), &alice, &mine.id).await),
        "NOT_FOUND"
    );
    transfers::cancel(&app, &ctx(), &bob, &mine.id)
        .await
        .expect("cancel");
    assert_eq!(balance_of(&app, &bob).await, before);

    story.step("Silence");
    // Silence: auto-approved at requested_at + 5 days, even when read late.
    yuming_app::registrar::batches::set_auto_renew(
        &app,
        &ctx(),
        &alice,
        "four.com",
        Some(true),
        Some(20),
    )
    .await
    .expect("alice renews automatically");
    let code_four = auth_code_of(&app, &alice, "four.com").await;
    let silent = transfers::request(&app, &ctx(), &bob, "four.com", &code_four, &bob_contact)
        .await
        .expect("request four");
    let code_five = auth_code_of(&app, &alice, "five.com").await;
    let late = transfers::request(&app, &ctx(), &bob, "five.com", &code_five, &bob_contact)
        .await
        .expect("request five");
    clock.advance_days(4);
    assert_eq!(transfers::complete_due(&app, 100).await.expect("due"), 0);
    clock.advance_days(3);
    // Reads only read: the due transfer shows as pending, its approval instant passed,
    // until the jobs run; the domain has not moved.
    let read = transfers::get(&app, &bob, &silent.id).await.expect("get");
    assert_eq!(read.status, "pending");
    assert!(
        transfers::list(&app, &alice, 50)
            .await
            .expect("list")
            .iter()
            .any(|t| t.id == silent.id && t.status == "pending")
    );
    assert_eq!(owner_of(&app, "four.com").await, alice.tenant_id);
    // A holder's decision after the instant is too late: the transfer approved itself then.
    assert_eq!(
        code(transfers::decide(&app, &ctx(), &alice, "five.com", false, Some("too late")).await),
        "NO_PENDING_TRANSFER"
    );
    let five = transfers::get(&app, &bob, &late.id).await.expect("get");
    assert_eq!(
        (five.status.as_str(), five.decided_at),
        ("auto_approved", late.auto_approves_at)
    );
    assert_eq!(owner_of(&app, "five.com").await, bob.tenant_id);
    let jobs = yuming_app::ops::scheduler::run_jobs(&app, "test", None)
        .await
        .expect("jobs");
    assert_eq!(jobs.transfers_completed, 1);
    let done = transfers::get(&app, &bob, &silent.id).await.expect("get");
    assert_eq!(done.status, "auto_approved");
    assert_eq!(
        done.decided_at, silent.auto_approves_at,
        "dated when it fell due"
    );
    assert_eq!(owner_of(&app, "four.com").await, bob.tenant_id);
    assert!(
        !domains::get(&app, &bob, "four.com")
            .await
            .expect("get")
            .auto_renew
    );
    assert_eq!(
        code(transfers::get(&app, &alice, "nope").await),
        "NOT_FOUND"
    );

    story.step("Registrar lock and the fresh registration's lock");
    // Registrar lock and the fresh registration's lock: refused, nothing charged.
    domains::update(
        &app,
        &ctx(),
        &alice,
        "locked.com",
        DomainUpdate {
            locked: Some(true),
            ..DomainUpdate::default()
        },
    )
    .await
    .expect("lock");
    let before = balance_of(&app, &bob).await;
    let code_locked = auth_code_of(&app, &alice, "locked.com").await;
    assert_eq!(
        code(
            transfers::request(&app, &ctx(), &bob, "locked.com", &code_locked, &bob_contact).await
        ),
        "STATUS_PROHIBITS"
    );
    let code_fresh = auth_code_of(&app, &alice, fresh).await;
    assert_eq!(
        code(transfers::request(&app, &ctx(), &bob, fresh, &code_fresh, &bob_contact).await),
        "TRANSFER_LOCKED"
    );
    assert_eq!(balance_of(&app, &bob).await, before);

    story.step("Wrong auth codes");
    // Wrong auth codes: five answered, then rate-limited even with the right code.
    for _ in 0..5 {
        assert_eq!(
            code(
                transfers::request(&app, &ctx(), &bob, "two.com", "wrong-code", &bob_contact).await
            ),
            "INVALID_AUTH_CODE"
        );
    }
    assert_eq!(
        code(transfers::request(&app, &ctx(), &bob, "two.com", &code_two, &bob_contact).await),
        "RATE_LIMITED"
    );
    assert_eq!(balance_of(&app, &bob).await, before);
    assert_eq!(owner_of(&app, "two.com").await, alice.tenant_id);
    assert_ledger_balanced(&app).await;
    assert!(
        yuming_app::platform::audit::verify(&app)
            .await
            .expect("verify")
            .is_ok()
    );
});

both_backends!(change_of_holder, |t: TestDb| async move {
    let (app, _clock) = test_app(&t.db);
    let (alice, alice_contact) = customer(&app, &t, "alice@example.com", 100_000).await;
    let (bob, bob_contact) = customer(&app, &t, "bob@example.com", 0).await;
    domains::register(
        &app,
        &ctx(),
        &alice,
        register_input("gift.com", 1, &alice_contact),
    )
    .await
    .expect("register");
    // Bob's contact must exist there and be verified; Alice's own contact is not Bob's.
    assert_eq!(
        code(
            transfers::offer_holder_change(
                &app,
                &ctx(),
                &alice,
                "gift.com",
                "bob@example.com",
                &alice_contact
            )
            .await
        ),
        "CONTACT_NOT_VERIFIED"
    );
    assert_eq!(
        code(
            transfers::offer_holder_change(
                &app,
                &ctx(),
                &bob,
                "gift.com",
                "alice@example.com",
                &bob_contact
            )
            .await
        ),
        "NOT_FOUND"
    );
    let offer = transfers::offer_holder_change(
        &app,
        &ctx(),
        &alice,
        "gift.com",
        "bob@example.com",
        &bob_contact,
    )
    .await
    .expect("offer");
    assert_eq!(
        (offer.kind.as_str(), offer.status.as_str()),
        ("holder_change", "pending")
    );
    assert_eq!(
        code(transfers::accept_holder_change(&app, &ctx(), &alice, &offer.id).await),
        "NOT_FOUND"
    );
    let accepted = transfers::accept_holder_change(&app, &ctx(), &bob, &offer.id)
        .await
        .expect("accept");
    assert_eq!(accepted.status, "approved");
    let moved = domains::get(&app, &bob, "gift.com")
        .await
        .expect("bob owns it");
    assert_eq!(moved.registrant_contact_id, bob_contact);
    assert_eq!(balance_of(&app, &bob).await, 0, "no fee");
});

both_backends!(safe_cancellation, |t: TestDb| async move {
    let story = yuming_test_support::story::Story::new("safe cancellation");
    let (app, clock) = test_app(&t.db);
    let (alice, contact) = customer(&app, &t, "alice@example.com", 100_000).await;
    let (bob, _) = customer(&app, &t, "bob@example.com", 0).await;
    domains::register(&app, &ctx(), &alice, register_input("bye.com", 1, &contact))
        .await
        .expect("register");
    domains::register(
        &app,
        &ctx(),
        &alice,
        register_input("keep.com", 1, &contact),
    )
    .await
    .expect("register");
    let after_register = balance_of(&app, &alice).await;
    yuming_app::dns::create_record(
        &app,
        &ctx(),
        &alice,
        "bye.com",
        yuming_app::dns::RecordChange {
            rtype: "A".into(),
            name: "www".into(),
            value: "192.0.2.7".into(),
            ttl: None,
            priority: None,
        },
    )
    .await
    .expect("record");

    assert_eq!(
        code(cancellations::create(&app, &ctx(), &bob, &["bye.com".to_owned()]).await),
        "NOT_FOUND",
        "another tenant's domain"
    );
    let request = cancellations::create(&app, &ctx(), &alice, &["bye.com".to_owned()])
        .await
        .expect("create");
    assert_eq!(request.next_step.as_deref(), Some("status"));
    assert!(request.warning.contains("irreversible"));
    assert_eq!(
        request.domains[0].refund_preview.map(|m| m.minor()),
        Some(6_900 - 1_000)
    );
    assert!(
        request.domains[0].filings.is_empty(),
        "no ICP filing uses the domain"
    );
    assert_eq!(
        code(cancellations::create(&app, &ctx(), &alice, &["bye.com".to_owned()]).await),
        "CANCELLATION_PENDING"
    );
    assert_eq!(
        code(cancellations::get(&app, &bob, &request.id).await),
        "NOT_FOUND"
    );
    assert_eq!(
        code(cancellations::confirm_step(&app, &ctx(), &alice, &request.id, "export").await),
        "STEP_OUT_OF_ORDER"
    );
    assert_eq!(
        code(cancellations::submit(&app, &ctx(), &alice, &request.id, Submission::default()).await),
        "CHECKLIST_INCOMPLETE"
    );
    for step in ["status", "filings"] {
        cancellations::confirm_step(&app, &ctx(), &alice, &request.id, step)
            .await
            .expect("step");
    }
    let tgz = cancellations::export_archive(&app, &alice, &request.id, ArchiveFormat::TarGz)
        .await
        .expect("tar.gz");
    assert_eq!(&tgz[..2], &[0x1f, 0x8b], "gzip magic");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(tgz.as_slice()));
    let zone_file = archive
        .entries()
        .expect("entries")
        .filter_map(Result::ok)
        .find(|e| e.path().is_ok_and(|p| p.ends_with("zones/bye.com.zone")))
        .map(|mut e| {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut e, &mut text).expect("zone text");
            text
        })
        .expect("the hosted zone is exported");
    assert!(zone_file.contains("192.0.2.7"), "{zone_file}");
    let zip = cancellations::export_archive(&app, &alice, &request.id, ArchiveFormat::Zip)
        .await
        .expect("zip");
    assert_eq!(&zip[..4], b"PK\x03\x04");
    let zip_text = String::from_utf8_lossy(&zip).to_string();
    for part in [
        "contacts/contacts.json",
        "orders/orders.json",
        "history/bye.com.json",
        "delegation/bye.com.zone",
        "zones/bye.com.zone",
    ] {
        assert!(zip_text.contains(part), "{part} in the archive");
    }
    for step in ["export", "final_notice"] {
        cancellations::confirm_step(&app, &ctx(), &alice, &request.id, step)
            .await
            .expect("step");
    }
    let inbox = yuming_app::notify::notices::inbox(&app, &alice, None, 10)
        .await
        .expect("inbox");
    assert!(
        inbox.iter().filter(|n| n.kind == "generic").count() >= 2,
        "final notice and code notice: {inbox:?}"
    );
    let wrong = Submission {
        code: Some("00000000".into()),
        ..Submission::default()
    };
    assert_eq!(
        code(cancellations::submit(&app, &ctx(), &alice, &request.id, wrong).await),
        "INVALID_CONFIRMATION"
    );
    // The e-mailed code, as the notice carries it.
    let mut tx = app.db().read().await.expect("tx");
    let (row, _) = tx
        .cancellation_by_id(&request.id)
        .await
        .expect("read")
        .expect("row");
    tx.commit().await.expect("commit");
    let sealed = row.code_sealed.expect("code issued");
    let emailed = String::from_utf8(
        app.cipher()
            .open(&sealed, &format!("cancellation.code:{}", request.id))
            .expect("open"),
    )
    .expect("utf8");
    let submitted = cancellations::submit(
        &app,
        &ctx(),
        &alice,
        &request.id,
        Submission {
            code: Some(emailed),
            ..Submission::default()
        },
    )
    .await
    .expect("submit");
    assert_eq!(submitted.status, "submitted");
    assert_eq!(
        code(cancellations::review_queue(&app, &alice, 10).await),
        "FORBIDDEN"
    );
    let queue = cancellations::review_queue(&app, &operator(), 10)
        .await
        .expect("queue");
    assert_eq!(queue.len(), 1);
    assert_eq!(
        code(cancellations::decide(&app, &ctx(), &operator(), &request.id, "reject", None).await),
        "REASON_REQUIRED"
    );
    clock.advance_days(1);
    let decided = cancellations::decide(&app, &ctx(), &operator(), &request.id, "approve", None)
        .await
        .expect("approve");
    assert_eq!(decided.status, "approved");
    assert_eq!(decided.domains[0].result.as_deref(), Some("deleted"));
    assert_eq!(
        balance_of(&app, &alice).await,
        after_register + 5_900,
        "refund minus fee"
    );
    let gone = domains::get(&app, &alice, "bye.com").await.expect("get");
    assert_eq!(gone.phase.as_str(), "released");
    assert!(gone.nameservers.is_empty(), "delegation cleared");
    let zone = yuming_app::dns::list_records(&app, &alice, "bye.com")
        .await
        .expect("zone");
    assert!(zone.records.is_empty(), "hosted records cleared: {zone:?}");
    let available = domains::check(&app, &["bye.com".to_owned()])
        .await
        .expect("check");
    assert!(available[0].available, "released within add grace");
    let watched = cancellations::monitored_names(&app).await.expect("monitor");
    assert_eq!(watched.len(), 1);
    assert_eq!(watched[0].0, "bye.com");
    // What the DNS server counted for the name reaches the request.
    cancellations::record_stray_traffic(
        &app,
        &[
            ("bye.com".to_owned(), 3),
            ("never-cancelled.com".to_owned(), 9),
        ],
    )
    .await
    .expect("stray traffic");
    clock.advance_days(2);
    cancellations::record_stray_traffic(&app, &[("bye.com".to_owned(), 2)])
        .await
        .expect("stray traffic");
    let counted = cancellations::get(&app, &alice, &request.id)
        .await
        .expect("get");
    assert_eq!(counted.domains[0].stray_queries, 5);
    assert_eq!(counted.domains[0].last_stray_at, Some(app.now()));
    clock.advance_days(31);
    assert!(
        cancellations::monitored_names(&app)
            .await
            .expect("monitor")
            .is_empty()
    );
    cancellations::record_stray_traffic(&app, &[("bye.com".to_owned(), 7)])
        .await
        .expect("after the watch");
    let after = cancellations::get(&app, &alice, &request.id)
        .await
        .expect("get");
    assert_eq!(after.domains[0].stray_queries, 5, "the watch has ended");
    assert_ledger_balanced(&app).await;

    story.step("Outside the add grace period");
    // Outside the add grace period: deleted without refund.
    let request = cancellations::create(&app, &ctx(), &alice, &["keep.com".to_owned()])
        .await
        .expect("create");
    assert_eq!(request.domains[0].refund_preview, None);
});

both_backends!(
    cancellation_of_chinese_idn_needs_a_document,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        let (alice, contact) = customer(&app, &t, "alice@example.com", 100_000).await;
        domains::register(
            &app,
            &ctx(),
            &alice,
            register_input("例子.中国", 1, &contact),
        )
        .await
        .expect("register");
        let request = cancellations::create(&app, &ctx(), &alice, &["例子.中国".to_owned()])
            .await
            .expect("create");
        assert!(request.requires_document);
        for step in cancellations::STEPS {
            cancellations::confirm_step(&app, &ctx(), &alice, &request.id, step)
                .await
                .expect("step");
        }
        let mut tx = app.db().read().await.expect("tx");
        let (row, _) = tx
            .cancellation_by_id(&request.id)
            .await
            .expect("read")
            .expect("row");
        tx.commit().await.expect("commit");
        let emailed = String::from_utf8(
            app.cipher()
                .open(
                    &row.code_sealed.expect("code"),
                    &format!("cancellation.code:{}", request.id),
                )
                .expect("open"),
        )
        .expect("utf8");
        assert_eq!(
            code(
                cancellations::submit(
                    &app,
                    &ctx(),
                    &alice,
                    &request.id,
                    Submission {
                        code: Some(emailed.clone()),
                        ..Submission::default()
                    }
                )
                .await
            ),
            "DOCUMENT_REQUIRED"
        );
        let document = (
            "form.pdf".to_owned(),
            b"%PDF-1.4 cancellation form".to_vec(),
        );
        cancellations::submit(
            &app,
            &ctx(),
            &alice,
            &request.id,
            Submission {
                code: Some(emailed),
                document: Some(document.clone()),
                ..Submission::default()
            },
        )
        .await
        .expect("submit");
        assert_eq!(
            code(cancellations::document(&app, &ctx(), &alice, &request.id).await),
            "FORBIDDEN"
        );
        let read = cancellations::document(&app, &ctx(), &operator(), &request.id)
            .await
            .expect("document");
        assert_eq!(read, document);
        let rejected = cancellations::decide(
            &app,
            &ctx(),
            &operator(),
            &request.id,
            "reject",
            Some("form unsigned"),
        )
        .await
        .expect("reject");
        assert_eq!(
            (rejected.status.as_str(), rejected.reason.as_deref()),
            ("rejected", Some("form unsigned"))
        );
        domains::get(&app, &alice, "例子.中国")
            .await
            .expect("still there");
    }
);

async fn wait_for(app: &App, actor: &Actor, id: &str) -> batches::BatchView {
    for _ in 0..200 {
        let view = batches::get(app, actor, id).await.expect("get batch");
        if view.status == "completed" {
            return view;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("batch {id} did not complete");
}

both_backends!(batch_operations, |t: TestDb| async move {
    let (app, _clock) = test_app(&t.db);
    let (alice, contact) = customer(&app, &t, "alice@example.com", 6_900 * 2 + 7_900).await;
    let (bob, bob_contact) = customer(&app, &t, "bob@example.com", 10_000).await;
    domains::register(&app, &ctx(), &alice, register_input("b1.com", 1, &contact))
        .await
        .expect("r");
    domains::register(&app, &ctx(), &alice, register_input("b2.com", 1, &contact))
        .await
        .expect("r");
    domains::register(
        &app,
        &ctx(),
        &bob,
        register_input("bobs.com", 1, &bob_contact),
    )
    .await
    .expect("r");
    assert_eq!(balance_of(&app, &alice).await, 7_900);

    let too_many: Vec<String> = (0..51).map(|i| format!("n{i}.com")).collect();
    assert_eq!(
        code(
            batches::start(
                &app,
                &ctx(),
                &alice,
                BatchOperation::Renew { years: 1 },
                too_many
            )
            .await
        ),
        "TOO_MANY_DOMAINS"
    );
    assert_eq!(balance_of(&app, &alice).await, 7_900, "nothing done");

    // Enough balance for one renewal: the second fails and is not charged; Bob's is 404.
    let names = vec![
        "b1.com".to_owned(),
        "b2.com".to_owned(),
        "bobs.com".to_owned(),
        "none.com".to_owned(),
    ];
    let started = batches::start(
        &app,
        &ctx(),
        &alice,
        BatchOperation::Renew { years: 1 },
        names,
    )
    .await
    .expect("start");
    assert_eq!(started.total, 4);
    assert_eq!(
        code(batches::get(&app, &bob, &started.id).await),
        "NOT_FOUND"
    );
    let done = wait_for(&app, &alice, &started.id).await;
    let results: Vec<(&str, Option<&str>)> = done
        .items
        .iter()
        .map(|i| (i.status.as_str(), i.code.as_deref()))
        .collect();
    assert_eq!(
        results,
        vec![
            ("succeeded", None),
            ("failed", Some("INSUFFICIENT_BALANCE")),
            ("failed", Some("NOT_FOUND")),
            ("failed", Some("NOT_FOUND")),
        ]
    );
    assert!(done.items[0].order_id.is_some());
    assert_eq!((done.done, done.failed), (4, 3));
    assert_eq!(balance_of(&app, &alice).await, 0);
    assert_eq!(owner_of(&app, "bobs.com").await, bob.tenant_id);

    let locked = batches::start(
        &app,
        &ctx(),
        &alice,
        BatchOperation::Lock { locked: true },
        vec!["b1.com".into(), "b2.com".into()],
    )
    .await
    .expect("lock");
    assert_eq!(wait_for(&app, &alice, &locked.id).await.failed, 0);
    let view = domains::get(&app, &alice, "b2.com").await.expect("get");
    assert!(
        view.statuses
            .contains(&"clientTransferProhibited".to_owned())
    );
    let ns = batches::start(
        &app,
        &ctx(),
        &alice,
        BatchOperation::Nameservers {
            nameservers: vec!["ns1.new.net".into()],
        },
        vec!["b1.com".into()],
    )
    .await
    .expect("ns");
    assert_eq!(
        wait_for(&app, &alice, &ns.id).await.items[0]
            .code
            .as_deref(),
        Some("STATUS_PROHIBITS")
    );
    let unlocked = batches::start(
        &app,
        &ctx(),
        &alice,
        BatchOperation::Lock { locked: false },
        vec!["b1.com".into()],
    )
    .await
    .expect("unlock");
    wait_for(&app, &alice, &unlocked.id).await;
    let auto = batches::start(
        &app,
        &ctx(),
        &alice,
        BatchOperation::AutoRenew { enabled: true },
        vec!["b1.com".into(), "b2.com".into()],
    )
    .await
    .expect("auto");
    assert_eq!(wait_for(&app, &alice, &auto.id).await.failed, 0);
    assert!(
        domains::get(&app, &alice, "b2.com")
            .await
            .expect("get")
            .auto_renew
    );

    let cancel = batches::start(
        &app,
        &ctx(),
        &alice,
        BatchOperation::Cancel,
        vec!["b1.com".into(), "bobs.com".into()],
    )
    .await
    .expect("cancel");
    let cancel = wait_for(&app, &alice, &cancel.id).await;
    assert_eq!(cancel.items[0].status, "succeeded");
    assert_eq!(cancel.items[1].code.as_deref(), Some("NOT_FOUND"));
    let request_id = cancel.items[0].message.clone().expect("request id");
    let request = cancellations::get(&app, &alice, &request_id)
        .await
        .expect("request");
    assert_eq!(request.domains.len(), 1);
    assert_ledger_balanced(&app).await;
});

both_backends!(auto_renew_settings, |t: TestDb| async move {
    let (app, _clock) = test_app(&t.db);
    let (alice, contact) = customer(&app, &t, "alice@example.com", 100_000).await;
    let (bob, _) = customer(&app, &t, "bob@example.com", 0).await;
    domains::register(
        &app,
        &ctx(),
        &alice,
        register_input("auto.com", 1, &contact),
    )
    .await
    .expect("r");
    let initial = batches::auto_renew(&app, &alice, "auto.com")
        .await
        .expect("read");
    assert_eq!((initial.enabled, initial.days_before), (false, 0));
    let set = batches::set_auto_renew(&app, &ctx(), &alice, "auto.com", Some(true), Some(30))
        .await
        .expect("set");
    assert_eq!((set.enabled, set.days_before), (true, 30));
    let kept = batches::set_auto_renew(&app, &ctx(), &alice, "auto.com", Some(false), None)
        .await
        .expect("off");
    assert_eq!(
        (kept.enabled, kept.days_before),
        (false, 30),
        "threshold kept"
    );
    assert_eq!(
        code(batches::set_auto_renew(&app, &ctx(), &alice, "auto.com", None, Some(61)).await),
        "INVALID_RENEW_THRESHOLD"
    );
    assert_eq!(
        code(batches::set_auto_renew(&app, &ctx(), &bob, "auto.com", Some(true), None).await),
        "NOT_FOUND"
    );
    assert_eq!(
        batches::auto_renew(&app, &alice, "auto.com")
            .await
            .expect("read"),
        kept
    );
});

both_backends!(
    renewal_in_pending_delete_changes_nothing,
    |t: TestDb| async move {
        let (app, clock) = test_app(&t.db);
        let (alice, contact) = customer(&app, &t, "alice@example.com", 100_000).await;
        domains::register(
            &app,
            &ctx(),
            &alice,
            register_input("late.com", 1, &contact),
        )
        .await
        .expect("r");
        // One year, 45 days of auto-renew grace, 30 of redemption: pending delete.
        clock.advance_days(365 + 45 + 30 + 1);
        let before = balance_of(&app, &alice).await;
        let view = domains::get(&app, &alice, "late.com").await.expect("get");
        assert_eq!(view.phase.as_str(), "pending_delete");
        assert_eq!(
            code(domains::renew(&app, &ctx(), &alice, "late.com", 1).await),
            "NOT_RENEWABLE_IN_PHASE"
        );
        assert_eq!(
            code(cancellations::create(&app, &ctx(), &alice, &["late.com".to_owned()]).await),
            "ALREADY_DELETED"
        );
        assert_eq!(balance_of(&app, &alice).await, before);
        assert_eq!(
            domains::get(&app, &alice, "late.com").await.expect("get"),
            view
        );
        assert_ledger_balanced(&app).await;
    }
);

both_backends!(restore_only_in_redemption, |t: TestDb| async move {
    let (app, clock) = test_app(&t.db);
    let (alice, contact) = customer(&app, &t, "alice@example.com", 100_000).await;
    domains::register(
        &app,
        &ctx(),
        &alice,
        register_input("back.com", 1, &contact),
    )
    .await
    .expect("r");
    let before = balance_of(&app, &alice).await;
    assert_eq!(
        code(yuming_app::registrar::restore::restore(&app, &ctx(), &alice, "back.com").await),
        "RESTORE_OUTSIDE_REDEMPTION"
    );
    assert_eq!(balance_of(&app, &alice).await, before, "no charge");
    let (bob, _) = customer(&app, &t, "bob@example.com", 100_000).await;
    assert_eq!(
        code(yuming_app::registrar::restore::restore(&app, &ctx(), &bob, "back.com").await),
        "NOT_FOUND"
    );
    // Past expiry and the 45-day grace: redemption; the restore fee plus one year.
    clock.advance_days(365 + 46);
    let receipt = yuming_app::registrar::restore::restore(&app, &ctx(), &alice, "back.com")
        .await
        .expect("restore");
    assert_eq!(receipt.charged.minor(), 16_000 + 7_900);
    assert_eq!(receipt.domain.phase.as_str(), "active");
    assert_eq!(balance_of(&app, &alice).await, before - 23_900);
    assert_ledger_balanced(&app).await;
});
