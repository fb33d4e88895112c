//! DNS hosting stories on both backends: zone created with the registration, record rules,
//! serial, audit, zone-file import/export, suspension in the served snapshot.

use yuming_app::dns::{self, ImportMode, RecordChange};
use yuming_app::registrar::domains;
use yuming_app::{App, AppError};
use yuming_core::access::Actor;
use yuming_test_support::fixtures::{ctx, operator};
use yuming_test_support::{TestDb, both_backends, test_app};

use crate::registrar::{customer, register_input};

fn code<T: std::fmt::Debug>(r: Result<T, AppError>) -> &'static str {
    r.err().map(|e| e.code).unwrap_or("OK")
}

fn rr(rtype: &str, name: &str, value: &str) -> RecordChange {
    RecordChange {
        rtype: rtype.into(),
        name: name.into(),
        value: value.into(),
        ttl: None,
        priority: matches!(rtype, "MX" | "SRV").then_some(10),
    }
}

async fn audit_count(app: &App) -> i64 {
    yuming_app::platform::audit::verify(app)
        .await
        .expect("verify")
        .expect("chain intact")
}

both_backends!(records_rules_serial_and_audit, |t: TestDb| async move {
    let (app, _clock) = test_app(&t.db);
    let (alice, contact) = customer(&app, &t, "alice@example.com", 100_000).await;
    let (bob, _) = customer(&app, &t, "bob@example.com", 0).await;
    domains::register(
        &app,
        &ctx(),
        &alice,
        register_input("dns-test.com", 1, &contact),
    )
    .await
    .expect("register");
    let zone = dns::list_records(&app, &alice, "dns-test.com")
        .await
        .expect("zone");
    assert_eq!(
        (zone.name.as_str(), zone.serial, zone.records.len()),
        ("dns-test.com", 1, 0)
    );

    let www = dns::create_record(
        &app,
        &ctx(),
        &alice,
        "dns-test.com",
        rr("A", "www", "192.0.2.10"),
    )
    .await
    .expect("A");
    assert_eq!(www.record.ttl, 600);
    dns::create_record(
        &app,
        &ctx(),
        &alice,
        "dns-test.com",
        rr("MX", "@", "mail.dns-test.com"),
    )
    .await
    .expect("MX");
    dns::create_record(
        &app,
        &ctx(),
        &alice,
        "dns-test.com",
        rr("CNAME", "邮件", "www.dns-test.com"),
    )
    .await
    .expect("IDN CNAME");
    let zone = dns::list_records(&app, &alice, "dns-test.com")
        .await
        .expect("zone");
    assert_eq!(zone.serial, 4);
    assert!(zone.records.iter().any(|r| r.record.name == "xn--5nq051n"));

    // Bad input: the code and field, nothing written, the serial unchanged.
    let before = audit_count(&app).await;
    let bad = [
        (rr("A", "www", "300.1.2.3"), "RECORD_VALUE_INVALID", "value"),
        (rr("CNAME", "@", "x.example.net"), "CNAME_AT_APEX", "name"),
        (
            rr("CNAME", "www", "x.example.net"),
            "CNAME_NOT_EXCLUSIVE",
            "name",
        ),
        (rr("TXT", "@", &"x".repeat(70_000)), "TXT_TOO_LONG", "value"),
        (
            rr("NS", "sub", "ns1.sub.dns-test.com"),
            "NS_GLUE_MISSING",
            "value",
        ),
        (rr("A", "www", "192.0.2.10"), "RECORD_DUPLICATE", "value"),
        (rr("HINFO", "www", "x"), "RECORD_TYPE_UNSUPPORTED", "type"),
    ];
    for (input, code, field) in bad {
        let e = dns::create_record(&app, &ctx(), &alice, "dns-test.com", input)
            .await
            .expect_err(code);
        assert_eq!((e.code, e.field.as_deref()), (code, Some(field)));
    }
    assert_eq!(audit_count(&app).await, before);
    assert_eq!(
        dns::list_records(&app, &alice, "dns-test.com")
            .await
            .expect("zone")
            .serial,
        4
    );

    // Another tenant's zone does not exist for bob.
    assert_eq!(
        code(dns::list_records(&app, &bob, "dns-test.com").await),
        "NOT_FOUND"
    );
    assert_eq!(
        code(
            dns::create_record(
                &app,
                &ctx(),
                &bob,
                "dns-test.com",
                rr("A", "x", "192.0.2.1")
            )
            .await
        ),
        "NOT_FOUND"
    );
    assert_eq!(
        code(dns::delete_record(&app, &ctx(), &bob, "dns-test.com", &www.id).await),
        "NOT_FOUND"
    );

    // Glue: the NS goes in once its address exists, and the address cannot then be deleted.
    let glue = dns::create_record(
        &app,
        &ctx(),
        &alice,
        "dns-test.com",
        rr("A", "ns1.sub", "192.0.2.53"),
    )
    .await
    .expect("glue");
    dns::create_record(
        &app,
        &ctx(),
        &alice,
        "dns-test.com",
        rr("NS", "sub", "ns1.sub.dns-test.com"),
    )
    .await
    .expect("delegation");
    assert_eq!(
        code(dns::delete_record(&app, &ctx(), &alice, "dns-test.com", &glue.id).await),
        "NS_GLUE_MISSING"
    );

    let updated = dns::update_record(
        &app,
        &ctx(),
        &alice,
        "dns-test.com",
        &www.id,
        rr("A", "www", "192.0.2.11"),
    )
    .await
    .expect("update");
    assert_eq!(updated.record.value, "192.0.2.11");
    let before = audit_count(&app).await;
    dns::delete_record(&app, &ctx(), &alice, "dns-test.com", &www.id)
        .await
        .expect("delete");
    assert_eq!(audit_count(&app).await, before + 1);
    let zone = dns::list_records(&app, &alice, "dns-test.com")
        .await
        .expect("zone");
    assert_eq!(zone.serial, 8);
    assert!(zone.records.iter().all(|r| r.id != www.id));
});

both_backends!(
    zone_file_import_export_and_suspension,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        let (alice, contact) = customer(&app, &t, "alice@example.com", 100_000).await;
        domains::register(
            &app,
            &ctx(),
            &alice,
            register_input("zonefile.com", 1, &contact),
        )
        .await
        .expect("register");
        dns::create_record(
            &app,
            &ctx(),
            &alice,
            "zonefile.com",
            rr("A", "old", "192.0.2.1"),
        )
        .await
        .expect("A");
        let file = "$ORIGIN zonefile.com.\n$TTL 300\n@ IN SOA ns1.x. h.x. 1 2 3 4 5\n@ IN NS ns1.example.net.\n\
                @ A 192.0.2.80\nwww CNAME @\n@ TXT \"v=spf1 -all\"\n";
        let merged = dns::import_zone(
            &app,
            &ctx(),
            &alice,
            "zonefile.com",
            file,
            ImportMode::Merge,
        )
        .await
        .expect("merge");
        assert_eq!(merged.records.len(), 4);
        let replaced = dns::import_zone(
            &app,
            &ctx(),
            &alice,
            "zonefile.com",
            file,
            ImportMode::Replace,
        )
        .await
        .expect("replace");
        assert_eq!(replaced.records.len(), 3);
        assert!(replaced.serial > merged.serial);
        let text = dns::export_zone(&app, &alice, "zonefile.com")
            .await
            .expect("export");
        assert!(
            text.contains(&format!(
                "SOA ns1.example.net. hostmaster.zonefile.com. {} ",
                replaced.serial
            )),
            "{text}"
        );
        let again = dns::import_zone(
            &app,
            &ctx(),
            &alice,
            "zonefile.com",
            &text,
            ImportMode::Replace,
        )
        .await
        .expect("re-import of the export");
        let values = |z: &dns::ZoneView| {
            z.records
                .iter()
                .map(|r| r.record.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(values(&again), values(&replaced));

        // A bad file changes nothing.
        let e = dns::import_zone(
            &app,
            &ctx(),
            &alice,
            "zonefile.com",
            "x A 1.2.3.4\ny A 999.0.0.1\n",
            ImportMode::Replace,
        )
        .await
        .expect_err("bad file");
        assert_eq!(
            (e.code, e.field.as_deref()),
            ("RECORD_VALUE_INVALID", Some("zone"))
        );
        assert_eq!(
            dns::list_records(&app, &alice, "zonefile.com")
                .await
                .expect("zone")
                .records
                .len(),
            3
        );

        // The served snapshot: resolving, then on clientHold gone, then back.
        let served = dns::served_zones_since(&app, 0).await.expect("served");
        let z = served
            .iter()
            .find(|z| z.name == "zonefile.com")
            .expect("served zone");
        assert!(z.resolves);
        assert_eq!(z.records.len(), 3);
        assert_eq!(z.nameservers, vec!["ns1.example.net", "ns2.example.net"]);
        let mut tx = t.db.write().await.expect("tx");
        let mut row = tx
            .domain_by_name("zonefile.com")
            .await
            .expect("row")
            .expect("some");
        row.flags = "clientHold".into();
        tx.update_domain(&row).await.expect("hold");
        tx.commit().await.expect("commit");
        let served = dns::served_zones_since(&app, 0).await.expect("served");
        let z = served
            .iter()
            .find(|z| z.name == "zonefile.com")
            .expect("served zone");
        assert!(!z.resolves && z.records.is_empty());

        // Mainland-mode hold: staff only, and it takes the zone out of DNS.
        assert_eq!(
            code(dns::set_mainland_hold(&app, &ctx(), &alice, "zonefile.com", true).await),
            "FORBIDDEN"
        );
        dns::set_mainland_hold(&app, &ctx(), &operator(), "zonefile.com", true)
            .await
            .expect("hold");
        assert!(
            dns::list_records(&app, &alice, "zonefile.com")
                .await
                .expect("zone")
                .mainland_hold
        );
    }
);

both_backends!(
    zones_are_backfilled_for_older_domains,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        let (alice, contact) = customer(&app, &t, "alice@example.com", 100_000).await;
        domains::register(
            &app,
            &ctx(),
            &alice,
            register_input("older.com", 1, &contact),
        )
        .await
        .expect("register");
        // Simulate a domain registered before DNS hosting: its zone row removed.
        let mut tx = t.db.write().await.expect("tx");
        let row = tx
            .domain_by_name("older.com")
            .await
            .expect("row")
            .expect("some");
        tx.delete_zone(&row.id).await.expect("drop zone");
        tx.commit().await.expect("commit");
        assert!(
            dns::served_zones_since(&app, 0)
                .await
                .expect("served")
                .iter()
                .all(|z| z.name != "older.com")
        );
        assert_eq!(dns::backfill_zones(&app, 10).await.expect("backfill"), 1);
        assert_eq!(dns::backfill_zones(&app, 10).await.expect("again"), 0);
        assert!(
            dns::served_zones_since(&app, 0)
                .await
                .expect("served")
                .iter()
                .any(|z| z.name == "older.com")
        );
    }
);

async fn sub_account(app: &App, parent: &Actor, email: &str, rights: &[&str]) -> Actor {
    use yuming_app::accounts::{self, LoginInput, NewAccountInput, NewSubAccountInput};
    accounts::create_sub_account(
        app,
        &ctx(),
        parent,
        NewSubAccountInput {
            account: NewAccountInput {
                email: email.into(),
                password: "correct horse battery".into(),
                display_name: "ops".into(),
            },
            rights: rights.iter().map(|r| (*r).to_owned()).collect(),
        },
    )
    .await
    .expect("sub-account");
    let session = accounts::login(
        app,
        &ctx(),
        LoginInput {
            email: email.into(),
            password: "correct horse battery".into(),
            totp: None,
        },
    )
    .await
    .expect("login");
    accounts::authenticate_token(app, &session.token)
        .await
        .expect("auth")
}

// Changing records takes `dns:manage`, the right meant for it; `domains:manage` (register,
// renew, transfer…) alone does not.
both_backends!(dns_manage_right_changes_records, |t: TestDb| async move {
    let (app, _clock) = test_app(&t.db);
    let (alice, contact) = customer(&app, &t, "alice@example.com", 100_000).await;
    domains::register(
        &app,
        &ctx(),
        &alice,
        register_input("dns-rights.com", 1, &contact),
    )
    .await
    .expect("register");
    let dns_ops = sub_account(
        &app,
        &alice,
        "dns@example.com",
        &["domains:read", "dns:manage"],
    )
    .await;
    let registrar_ops = sub_account(
        &app,
        &alice,
        "reg@example.com",
        &["domains:read", "domains:manage"],
    )
    .await;

    let www = dns::create_record(
        &app,
        &ctx(),
        &dns_ops,
        "dns-rights.com",
        rr("A", "www", "192.0.2.10"),
    )
    .await
    .expect("dns:manage adds a record");
    dns::update_record(
        &app,
        &ctx(),
        &dns_ops,
        "dns-rights.com",
        &www.id,
        rr("A", "www", "192.0.2.11"),
    )
    .await
    .expect("dns:manage changes a record");
    dns::import_zone(
        &app,
        &ctx(),
        &dns_ops,
        "dns-rights.com",
        "mail 600 IN A 192.0.2.25\n",
        ImportMode::Merge,
    )
    .await
    .expect("dns:manage imports");
    dns::delete_record(&app, &ctx(), &dns_ops, "dns-rights.com", &www.id)
        .await
        .expect("dns:manage deletes a record");

    assert_eq!(
        code(
            dns::create_record(
                &app,
                &ctx(),
                &registrar_ops,
                "dns-rights.com",
                rr("A", "ftp", "192.0.2.12"),
            )
            .await
        ),
        "FORBIDDEN"
    );
    let zone = dns::list_records(&app, &registrar_ops, "dns-rights.com")
        .await
        .expect("domains:read lists the zone");
    let names: Vec<&str> = zone
        .records
        .iter()
        .map(|r| r.record.name.as_str())
        .collect();
    assert_eq!(names, vec!["mail"]);
});

both_backends!(
    reading_records_never_writes_nor_waits_for_writers,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        let (alice, contact) = customer(&app, &t, "alice@example.com", 100_000).await;
        domains::register(
            &app,
            &ctx(),
            &alice,
            register_input("busy.com", 1, &contact),
        )
        .await
        .expect("register");
        dns::create_record(
            &app,
            &ctx(),
            &alice,
            "busy.com",
            rr("A", "www", "192.0.2.10"),
        )
        .await
        .expect("record");
        let domain_id = {
            let mut tx = t.db.read().await.expect("tx");
            let row = tx
                .domain_by_name("busy.com")
                .await
                .expect("row")
                .expect("some");
            tx.commit().await.expect("commit");
            row.id
        };
        // Another connection is in the middle of a write to this very zone: on SQLite it
        // holds the database's write lock, on PostgreSQL the zone row's lock. Reads answer
        // from the last committed state meanwhile (a read that took the write lock would
        // fail after the busy timeout on SQLite, and wait on PostgreSQL).
        let mut writer = t.db.write().await.expect("writer");
        writer
            .zone_for_update(&domain_id)
            .await
            .expect("lock")
            .expect("zone");
        let zone = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            dns::list_records(&app, &alice, "busy.com"),
        )
        .await
        .expect("the read did not wait for the writer")
        .expect("records while a writer holds the lock");
        assert_eq!((zone.serial, zone.records.len()), (2, 1));
        let text = tokio::time::timeout(
            std::time::Duration::from_secs(60),
            dns::export_zone(&app, &alice, "busy.com"),
        )
        .await
        .expect("the export did not wait for the writer")
        .expect("zone file while a writer holds the lock");
        assert!(text.contains("192.0.2.10"), "{text}");
        writer.commit().await.expect("writer done");

        // A domain from before DNS hosting whose zone the start-up backfill has not created
        // yet reads as the empty zone it will get, and reading does not create it.
        let mut tx = t.db.write().await.expect("tx");
        tx.delete_zone_records(&domain_id).await.expect("records");
        tx.delete_zone(&domain_id).await.expect("zone");
        tx.commit().await.expect("commit");
        let zone = dns::list_records(&app, &alice, "busy.com")
            .await
            .expect("zone");
        assert_eq!((zone.serial, zone.records.len()), (1, 0));
        let mut tx = t.db.read().await.expect("tx");
        assert_eq!(tx.zone_of(&domain_id).await.expect("zone"), None);
        tx.commit().await.expect("commit");
        // Another tenant still cannot read it.
        let (bob, _) = customer(&app, &t, "bob@example.com", 0).await;
        assert_eq!(
            code(dns::list_records(&app, &bob, "busy.com").await),
            "NOT_FOUND"
        );
    }
);
