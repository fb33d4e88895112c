//! Registrar stories on both backends: availability, registration and renewal through the
//! ledger, concurrency, bad input, management.

use std::sync::Arc;
pub(crate) use yuming_test_support::fixtures::{code, ctx, operator};

use yuming_app::platform::paging::PageCursor;
use yuming_app::registrar::contacts::{self, AddressFields, NewContactInput};
use yuming_app::registrar::domains::{self, DomainUpdate, RegisterInput};
use yuming_app::{App, billing, registrar::catalogue};
use yuming_core::access::Actor;
use yuming_core::money::{Currency, Money};
use yuming_core::rules::domain_name::{DomainName, DomainPolicy};
use yuming_test_support::{TestDb, both_backends, test_app};

/// A customer with `balance` fen and one registrant contact; returns (actor, contact id).
pub(crate) async fn customer(
    app: &App,
    _db: &TestDb,
    email: &str,
    balance: i64,
) -> (Actor, String) {
    let actor = yuming_test_support::fixtures::customer(app, email).await;
    if balance > 0 {
        billing::credit(
            app,
            &ctx(),
            &operator(),
            &actor.tenant_id,
            Money::new(balance, Currency::Cny),
            "test top-up",
        )
        .await
        .expect("credit");
    }
    let contact = contacts::create(
        app,
        &ctx(),
        &actor,
        &NewContactInput {
            kind: "person".into(),
            name: "张三".into(),
            id_type: "resident_id".into(),
            id_number: "11010519491231002X".into(),
            email: email.into(),
            phone: "+86.13800138000".into(),
            address: AddressFields {
                country: "CN".into(),
                province: "北京市".into(),
                city: "北京市".into(),
                street: "长安街 1 号".into(),
                postal_code: None,
            },
        },
    )
    .await
    .expect("contact");
    let contact_id = contact.id;
    // A reviewer verifies the real name, as the queue would.
    contacts::decide(app, &ctx(), &operator(), &contact_id, "approve", None)
        .await
        .expect("approve contact");
    (actor, contact_id)
}

pub(crate) fn register_input(name: &str, years: u32, contact: &str) -> RegisterInput {
    RegisterInput {
        name: name.into(),
        years,
        registrant_contact_id: contact.into(),
        nameservers: None,
        auto_renew: false,
        coupon: None,
    }
}

pub(crate) async fn balance_of(app: &App, actor: &Actor) -> i64 {
    billing::balance(app, actor, Currency::Cny)
        .await
        .expect("balance")
        .balance
        .minor()
}

pub(crate) async fn assert_ledger_balanced(app: &App) {
    for (currency, sum) in billing::ledger_sums(app).await.expect("sums") {
        assert_eq!(sum, 0, "ledger of {currency} sums to zero");
    }
}

both_backends!(availability_reasons_and_prices, |t: TestDb| async move {
    let (app, _clock) = test_app(&t.db);
    let (alice, contact) = customer(&app, &t, "alice@example.com", 100_000).await;
    domains::register(
        &app,
        &ctx(),
        &alice,
        register_input("taken.com", 1, &contact),
    )
    .await
    .expect("register");
    domains::register(&app, &ctx(), &alice, register_input("中國.cn", 1, &contact))
        .await
        .expect("register IDN");

    let inputs: Vec<String> = [
        "free.com",
        "TAKEN.com",
        "中国.cn",
        "nic.com",
        "car.com",
        "abc--d.cn",
        "example.org",
        "a.b.com",
        "例子.中国",
        "xn--fsqu00a.xn--fiqs8s",
        "-bad.com",
        "",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let results = domains::check(&app, &inputs).await.expect("check");
    let reasons: Vec<Option<&str>> = results.iter().map(|r| r.reason).collect();
    assert_eq!(
        reasons,
        vec![
            None,
            Some("REGISTERED"),
            Some("VARIANT_REGISTERED"),
            Some("RESERVED"),
            None,
            Some("INVALID_SYNTAX"),
            Some("UNSUPPORTED_TLD"),
            Some("NOT_SECOND_LEVEL"),
            None,
            None,
            Some("INVALID_SYNTAX"),
            Some("INVALID_SYNTAX"),
        ]
    );
    assert_eq!(results[0].price.map(|p| p.register.minor()), Some(6_900));
    assert!(results[4].premium && results[4].price.map(|p| p.register.minor()) == Some(2_000_000));
    assert_eq!(
        results[8].name,
        Some(("例子.中国".to_owned(), "xn--fsqu00a.xn--fiqs8s".to_owned()))
    );
    assert!(!results[5].problems.is_empty(), "syntax failures say why");

    let too_many: Vec<String> = (0..1001).map(|i| format!("n{i}.com")).collect();
    assert_eq!(
        code(domains::check(&app, &too_many).await),
        "TOO_MANY_NAMES"
    );
    let thousand: Vec<String> = (0..1000).map(|i| format!("n{i}.com")).collect();
    let checked = domains::check(&app, &thousand).await.expect("1000 names");
    assert!(
        checked
            .iter()
            .enumerate()
            .all(|(i, r)| r.input == format!("n{i}.com") && r.available)
    );

    let taken = &domains::check(&app, &["taken.com".to_owned()])
        .await
        .expect("check")[0];
    let suggestions = domains::suggestions(&app, None, taken, 5)
        .await
        .expect("suggestions");
    assert!(
        suggestions.iter().any(|s| s.input == "taken.net"),
        "{suggestions:?}"
    );
});

both_backends!(
    registration_and_renewal_through_the_ledger,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        let (alice, contact) = customer(&app, &t, "alice@example.com", 10_000).await;
        let receipt = domains::register(
            &app,
            &ctx(),
            &alice,
            register_input("example-shop.com", 1, &contact),
        )
        .await
        .expect("register");
        assert_eq!(
            (receipt.charged.minor(), receipt.balance.minor()),
            (6_900, 3_100)
        );
        assert_eq!(receipt.domain.statuses, vec!["ok".to_owned()]);
        assert_eq!(receipt.domain.grace_periods, vec!["addPeriod".to_owned()]);
        assert_eq!(balance_of(&app, &alice).await, 3_100);

        let before_audit = yuming_app::platform::audit::verify(&app)
            .await
            .expect("verify")
            .expect("intact");
        let poor = domains::register(
            &app,
            &ctx(),
            &alice,
            register_input("second.com", 1, &contact),
        )
        .await;
        assert_eq!(code(poor), "INSUFFICIENT_BALANCE");
        assert_eq!(
            code(domains::get(&app, &alice, "second.com").await),
            "NOT_FOUND",
            "nothing written"
        );
        assert_eq!(balance_of(&app, &alice).await, 3_100);
        assert_eq!(
            yuming_app::platform::audit::verify(&app)
                .await
                .expect("verify"),
            Ok(before_audit)
        );

        billing::credit(
            &app,
            &ctx(),
            &operator(),
            &alice.tenant_id,
            Money::new(100_000, Currency::Cny),
            "more",
        )
        .await
        .expect("credit");
        let renewed = domains::renew(&app, &ctx(), &alice, "EXAMPLE-SHOP.com", 2)
            .await
            .expect("renew");
        assert_eq!(renewed.charged.minor(), 2 * 7_900);
        assert_eq!(
            renewed.domain.expires_at.0 - receipt.domain.expires_at.0,
            (365 + 366) * 86_400
        );
        assert_eq!(
            code(domains::renew(&app, &ctx(), &alice, "example-shop.com", 8).await),
            "RENEWAL_TOO_LONG"
        );
        assert_eq!(
            code(domains::renew(&app, &ctx(), &alice, "example-shop.com", 0).await),
            "INVALID_YEARS"
        );

        let lines = billing::ledger(&app, &alice, &PageCursor::start(), 50)
            .await
            .expect("ledger")
            .items;
        assert_eq!(
            lines.iter().map(|l| l.amount.minor()).sum::<i64>(),
            balance_of(&app, &alice).await
        );
        assert!(
            lines.iter().all(|l| l.order_id.is_some()),
            "every entry links to its order"
        );
        let orders = billing::orders(&app, &alice, &PageCursor::start(), 50)
            .await
            .expect("orders")
            .items;
        let kinds: Vec<&str> = orders.iter().map(|o| o.kind.as_str()).collect();
        // The fake clock stands still, so every row shares one second: paging one row at a
        // time must still visit each exactly once, in the same order.
        for limit in [1, 2, 3] {
            let mut cursor = PageCursor::start();
            let mut paged = Vec::new();
            loop {
                let page = billing::orders(&app, &alice, &cursor, limit)
                    .await
                    .expect("page");
                paged.extend(page.items.into_iter().map(|o| o.id));
                match page.next {
                    Some(next) => cursor = next,
                    None => break,
                }
            }
            assert_eq!(
                paged,
                orders.iter().map(|o| o.id.clone()).collect::<Vec<_>>(),
                "limit {limit}"
            );
            let mut cursor = PageCursor::start();
            let mut paged = 0;
            loop {
                let page = billing::ledger(&app, &alice, &cursor, limit)
                    .await
                    .expect("page");
                paged += page.items.len();
                match page.next {
                    Some(next) => cursor = next,
                    None => break,
                }
            }
            assert_eq!(paged, lines.len(), "ledger, limit {limit}");
        }
        assert_eq!(kinds.iter().filter(|k| **k == "register").count(), 1);
        assert_eq!(kinds.iter().filter(|k| **k == "renew").count(), 1);
        assert_eq!(kinds.iter().filter(|k| **k == "topup").count(), 2);
        assert_ledger_balanced(&app).await;
        let running = balance_of(&app, &alice).await;
        let mut tx = t.db.read().await.expect("tx");
        assert_eq!(
            tx.ledger_balance_of_holder(&alice.tenant_id, "CNY")
                .await
                .expect("sum"),
            running
        );
        tx.commit().await.expect("commit");
    }
);

both_backends!(
    bad_registration_input_changes_nothing,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        let (alice, contact) = customer(&app, &t, "alice@example.com", 100_000).await;
        let (_bob, bobs_contact) = customer(&app, &t, "bob@example.com", 0).await;
        // The first use of the catalogue seeds the default one (an audited change of its own).
        catalogue::current(&app).await.expect("catalogue");
        let before = yuming_app::platform::audit::verify(&app)
            .await
            .expect("verify")
            .expect("intact");
        for (input, expected) in [
            (register_input("ok-name.com", 0, &contact), "INVALID_YEARS"),
            (register_input("ok-name.com", 11, &contact), "INVALID_YEARS"),
            (
                register_input("ok-name.org", 1, &contact),
                "UNSUPPORTED_TLD",
            ),
            (register_input("ab--cd.com", 1, &contact), "INVALID_SYNTAX"),
            (register_input("abc--d.cn", 1, &contact), "INVALID_SYNTAX"),
            (
                register_input(&format!("{}.com", "a".repeat(64)), 1, &contact),
                "INVALID_SYNTAX",
            ),
            (register_input("nic.com", 1, &contact), "RESERVED"),
            (
                register_input("ok-name.com", 1, &bobs_contact),
                "CONTACT_NOT_FOUND",
            ),
            (
                register_input("ok-name.com", 1, "con_missing"),
                "CONTACT_NOT_FOUND",
            ),
            (
                RegisterInput {
                    nameservers: Some(vec!["not a host".into()]),
                    ..register_input("ok-name.com", 1, &contact)
                },
                "INVALID_NAMESERVER",
            ),
        ] {
            let name = input.name.clone();
            assert_eq!(
                code(domains::register(&app, &ctx(), &alice, input).await),
                expected,
                "{name}"
            );
        }
        assert_eq!(balance_of(&app, &alice).await, 100_000);
        assert_eq!(
            yuming_app::platform::audit::verify(&app)
                .await
                .expect("verify"),
            Ok(before),
            "nothing written"
        );
        assert_eq!(
            code(
                billing::credit(
                    &app,
                    &ctx(),
                    &operator(),
                    &alice.tenant_id,
                    Money::new(-5, Currency::Cny),
                    ""
                )
                .await
            ),
            "INVALID_AMOUNT"
        );
        assert_eq!(
            code(
                billing::credit(
                    &app,
                    &ctx(),
                    &operator(),
                    &alice.tenant_id,
                    Money::new(i64::MAX, Currency::Cny),
                    ""
                )
                .await
            ),
            "INVALID_AMOUNT"
        );
        assert_eq!(
            code(
                billing::credit(
                    &app,
                    &ctx(),
                    &alice,
                    &alice.tenant_id,
                    Money::new(5, Currency::Cny),
                    ""
                )
                .await
            ),
            "FORBIDDEN"
        );
    }
);

both_backends!(fifty_accounts_race_for_one_name, |t: TestDb| async move {
    let (app, _clock) = test_app(&t.db);
    let mut racers = Vec::new();
    for i in 0..50 {
        racers.push(customer(&app, &t, &format!("racer{i}@example.com"), 10_000).await);
    }
    let app = Arc::new(app);
    let tasks: Vec<_> = racers
        .into_iter()
        .map(|(actor, contact)| {
            let app = app.clone();
            tokio::spawn(async move {
                domains::register(
                    &app,
                    &ctx(),
                    &actor,
                    register_input("contested.com", 1, &contact),
                )
                .await
            })
        })
        .collect();
    let mut winners = 0;
    for task in tasks {
        match task.await.expect("join") {
            Ok(_) => winners += 1,
            Err(e) => assert!(
                matches!(e.code, "REGISTERED" | "DOMAIN_UNAVAILABLE"),
                "unexpected {e}"
            ),
        }
    }
    assert_eq!(winners, 1);
    let mut tx = t.db.read().await.expect("tx");
    let charges: i64 = tx
        .ledger_sums()
        .await
        .expect("sums")
        .iter()
        .map(|(_, s)| *s)
        .sum();
    tx.commit().await.expect("commit");
    assert_eq!(charges, 0);
    let registrations =
        t.db.execute_raw("UPDATE orders SET status = status WHERE kind = 'register'")
            .await
            .expect("count");
    assert_eq!(registrations, 1, "exactly one charge");
});

both_backends!(balance_for_ten_buys_exactly_ten, |t: TestDb| async move {
    let (app, _clock) = test_app(&t.db);
    let (alice, contact) = customer(&app, &t, "alice@example.com", 10 * 6_900).await;
    let app = Arc::new(app);
    let tasks: Vec<_> = (0..30)
        .map(|i| {
            let (app, alice, contact) = (app.clone(), alice.clone(), contact.clone());
            tokio::spawn(async move {
                domains::register(
                    &app,
                    &ctx(),
                    &alice,
                    register_input(&format!("name{i}.com"), 1, &contact),
                )
                .await
            })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        match task.await.expect("join") {
            Ok(_) => ok += 1,
            Err(e) => assert_eq!(e.code, "INSUFFICIENT_BALANCE"),
        }
    }
    assert_eq!(ok, 10);
    assert_eq!(balance_of(&app, &alice).await, 0);
    assert_ledger_balanced(&app).await;
    assert_eq!(
        domains::list(&app, &alice, None, 100)
            .await
            .expect("list")
            .len(),
        10
    );
});

both_backends!(management_and_tenant_scoping, |t: TestDb| async move {
    let (app, _clock) = test_app(&t.db);
    let (alice, contact) = customer(&app, &t, "alice@example.com", 100_000).await;
    let (bob, _) = customer(&app, &t, "bob@example.com", 0).await;
    domains::register(
        &app,
        &ctx(),
        &alice,
        register_input("例子.中国", 2, &contact),
    )
    .await
    .expect("register");

    let view = domains::get(&app, &alice, "xn--fsqu00a.xn--fiqs8s")
        .await
        .expect("get by A-label");
    assert_eq!(
        (view.name.as_str(), view.ascii.as_str()),
        ("例子.中国", "xn--fsqu00a.xn--fiqs8s")
    );
    assert_eq!(
        view.nameservers,
        vec!["ns1.example.net".to_owned(), "ns2.example.net".to_owned()]
    );
    assert_eq!(
        code(domains::get(&app, &bob, "例子.中国").await),
        "NOT_FOUND"
    );
    assert_eq!(
        code(domains::renew(&app, &ctx(), &bob, "例子.中国", 1).await),
        "NOT_FOUND"
    );
    assert_eq!(
        code(domains::auth_code(&app, &ctx(), &bob, "例子.中国", false).await),
        "NOT_FOUND"
    );
    assert!(
        domains::list(&app, &bob, None, 100)
            .await
            .expect("list")
            .is_empty()
    );

    let ns = DomainUpdate {
        nameservers: Some(vec!["NS1.Example.COM".into(), "ns1.example.com".into()]),
        ..DomainUpdate::default()
    };
    let updated = domains::update(&app, &ctx(), &alice, "例子.中国", ns)
        .await
        .expect("nameservers");
    assert_eq!(updated.nameservers, vec!["ns1.example.com".to_owned()]);

    let locked = domains::update(
        &app,
        &ctx(),
        &alice,
        "例子.中国",
        DomainUpdate {
            locked: Some(true),
            ..DomainUpdate::default()
        },
    )
    .await
    .expect("lock");
    assert!(
        locked
            .statuses
            .contains(&"clientTransferProhibited".to_owned())
    );
    let blocked = DomainUpdate {
        nameservers: Some(vec!["ns9.example.com".into()]),
        ..DomainUpdate::default()
    };
    assert_eq!(
        code(domains::update(&app, &ctx(), &alice, "例子.中国", blocked).await),
        "STATUS_PROHIBITS"
    );
    let unlocked = domains::update(
        &app,
        &ctx(),
        &alice,
        "例子.中国",
        DomainUpdate {
            locked: Some(false),
            ..DomainUpdate::default()
        },
    )
    .await
    .expect("unlock");
    assert_eq!(unlocked.statuses, vec!["ok".to_owned()]);

    let first = domains::auth_code(&app, &ctx(), &alice, "例子.中国", false)
        .await
        .expect("auth code");
    let second = domains::auth_code(&app, &ctx(), &alice, "例子.中国", true)
        .await
        .expect("reset");
    assert_ne!(first, second);
    assert_eq!(
        domains::auth_code(&app, &ctx(), &alice, "例子.中国", false)
            .await
            .expect("auth code"),
        second
    );
});

both_backends!(
    lookalikes_are_refused_and_chinese_idns_register,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        let (alice, contact) = customer(&app, &t, "alice@example.com", 100_000).await;
        // The security review's names: mixed-script (Cyrillic а) and whole-script Cyrillic.
        let inputs: Vec<String> = [
            "\u{430}pple.com",
            "p\u{430}ypal.com",
            "\u{430}\u{440}\u{440}\u{4cf}\u{435}.com",
            "xn--pple-43d.com",
            "例子.中国",
            "caf\u{e9}.com",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let results = domains::check(&app, &inputs).await.expect("check");
        let reasons: Vec<Option<&str>> = results.iter().map(|r| r.reason).collect();
        assert_eq!(
            reasons,
            vec![
                Some("LOOKALIKE"),
                Some("LOOKALIKE"),
                Some("LOOKALIKE"),
                Some("LOOKALIKE"),
                None,
                None
            ]
        );
        let codes =
            |i: usize| -> Vec<&str> { results[i].problems.iter().map(|p| p.code).collect() };
        assert_eq!(codes(0), vec!["MIXED_SCRIPT", "CONFUSABLE_WITH_ASCII"]);
        assert_eq!(codes(2), vec!["CONFUSABLE_WITH_ASCII"]);
        assert!(results[2].problems[0].message.contains("\"apple\""));

        // Registration applies the same decision.
        let refused = domains::register(
            &app,
            &ctx(),
            &alice,
            register_input("\u{430}pple.com", 1, &contact),
        )
        .await
        .expect_err("look-alike refused");
        assert_eq!(
            (refused.code, refused.kind, refused.field.as_deref()),
            ("LOOKALIKE", yuming_app::ErrorKind::Conflict, Some("name"))
        );
        let chinese = domains::register(
            &app,
            &ctx(),
            &alice,
            register_input("例子.中国", 1, &contact),
        )
        .await
        .expect("a Chinese IDN registers");
        assert!(!chinese.domain.needs_review);

        // A TLD whose policy is review: registrable, held for the naming review.
        let file = "[[tld]]\nname = \"net\"\nlookalikes = \"review\"\nprices = { register = 7900, renew = 8900, transfer = 8900, restore = 16000 }\n";
        catalogue::import(&app, &ctx(), &operator(), file)
            .await
            .expect("import");
        let held = domains::register(
            &app,
            &ctx(),
            &alice,
            register_input("\u{430}pple.net", 1, &contact),
        )
        .await
        .expect("registrable under review");
        assert!(held.domain.needs_review);
        let queue = domains::naming_review_queue(&app, &operator(), 50)
            .await
            .expect("queue");
        assert!(
            queue.iter().any(|d| d.ascii == "xn--pple-43d.net"),
            "{queue:?}"
        );
        assert_eq!(
            code(
                catalogue::import(
                    &app,
                    &ctx(),
                    &operator(),
                    "[[tld]]\nname = \"net\"\nlookalikes = \"maybe\"\nprices = { register = 1, renew = 1, transfer = 1, restore = 1 }\n"
                )
                .await
            ),
            "INVALID_CATALOGUE"
        );
    }
);

fn reason(app: &App, name: &str) -> impl std::future::Future<Output = Option<&'static str>> {
    let app = app.clone();
    let name = name.to_owned();
    async move { domains::check(&app, &[name]).await.expect("check")[0].reason }
}

both_backends!(
    simplified_and_traditional_forms_block_each_other,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        let (alice, alice_contact) = customer(&app, &t, "alice@example.com", 100_000).await;
        let (bob, bob_contact) = customer(&app, &t, "bob@example.com", 100_000).await;
        // Simplified registered: the traditional and any mixed form are taken for others.
        domains::register(
            &app,
            &ctx(),
            &alice,
            register_input("竞赛测试.cn", 1, &alice_contact),
        )
        .await
        .expect("simplified");
        // Traditional registered: the simplified form is taken (the other direction).
        domains::register(
            &app,
            &ctx(),
            &alice,
            register_input("軟件開發.cn", 1, &alice_contact),
        )
        .await
        .expect("traditional");
        for (name, expected) in [
            ("競賽測試.cn", Some("VARIANT_REGISTERED")),
            ("竞賽测試.cn", Some("VARIANT_REGISTERED")),
            ("软件开发.cn", Some("VARIANT_REGISTERED")),
            ("竞赛测试.cn", Some("REGISTERED")),
            ("竞赛考试.cn", None),
        ] {
            assert_eq!(reason(&app, name).await, expected, "{name}");
        }
        for name in ["競賽測試.cn", "软件开发.cn"] {
            let refused =
                domains::register(&app, &ctx(), &bob, register_input(name, 1, &bob_contact))
                    .await
                    .expect_err("variant of another account's name");
            assert_eq!(
                (refused.code, refused.field.as_deref()),
                ("VARIANT_REGISTERED", Some("name")),
                "{name}"
            );
        }
        // Another instance (its own availability index) answers the same.
        let (other, _) = test_app(&t.db);
        assert_eq!(
            reason(&other, "競賽測試.cn").await,
            Some("VARIANT_REGISTERED")
        );
    }
);

both_backends!(stale_variant_keys_are_recomputed, |t: TestDb| async move {
    let (app, _clock) = test_app(&t.db);
    let (bob, bob_contact) = customer(&app, &t, "bob@example.com", 100_000).await;
    let (alice, alice_contact) = customer(&app, &t, "alice@example.com", 100_000).await;
    let (carol, carol_contact) = customer(&app, &t, "carol@example.com", 100_000).await;
    // The state the security review found: names registered under the old 114-pair table,
    // whose keys kept the traditional characters it did not know.
    domains::register(
        &app,
        &ctx(),
        &bob,
        register_input("競賽測試.cn", 1, &bob_contact),
    )
    .await
    .expect("bob");
    domains::register(
        &app,
        &ctx(),
        &carol,
        register_input("軟件.cn", 1, &carol_contact),
    )
    .await
    .expect("carol");
    let mut tx = t.db.write().await.expect("tx");
    for (name, old_key) in [("競賽測試.cn", "競賽測試.cn"), ("軟件.cn", "軟件.cn")] {
        let id = tx
            .domain_by_name(
                DomainName::parse(name, &DomainPolicy::CHINESE_REGISTRY)
                    .expect("name")
                    .value
                    .ascii(),
            )
            .await
            .expect("row")
            .expect("live")
            .id;
        tx.set_variant_key(&id, old_key, 0).await.expect("old key");
    }
    tx.set_setting("domains.variant_key_version", "table-of-114-pairs", 0)
        .await
        .expect("old version");
    tx.commit().await.expect("commit");
    // Alice registers a day later, on an instance that does not know the new keys yet.
    let (old_world, old_clock) = test_app(&t.db);
    old_clock.advance_days(1);
    domains::register(
        &old_world,
        &ctx(),
        &alice,
        register_input("竞赛测试.cn", 1, &alice_contact),
    )
    .await
    .expect("alice got the simplified form of bob's name, as in the review");
    assert_eq!(
        reason(&old_world, "软件.cn").await,
        None,
        "stale key: not blocked"
    );

    let report = domains::rekey_variants(&app).await.expect("rekey");
    assert!(report.ran);
    assert_eq!(report.conflicts, vec!["竞赛测试.cn".to_owned()]);
    assert_eq!(report.rekeyed, 3, "{report:?}");
    let again = domains::rekey_variants(&app).await.expect("rekey again");
    assert_eq!(again, domains::RekeyReport::default());

    let (now, _) = test_app(&t.db);
    for (name, expected) in [
        ("软件.cn", Some("VARIANT_REGISTERED")),
        ("軟件.cn", Some("REGISTERED")),
        ("竞賽测試.cn", Some("VARIANT_REGISTERED")),
        ("競賽測試.cn", Some("REGISTERED")),
        ("竞赛测试.cn", Some("REGISTERED")),
    ] {
        assert_eq!(reason(&now, name).await, expected, "{name}");
    }
    // The older registration holds the bundle.
    let dave = customer(&now, &t, "dave@example.com", 100_000).await;
    let refused = domains::register(
        &now,
        &ctx(),
        &dave.0,
        register_input("竞賽测試.cn", 1, &dave.1),
    )
    .await
    .expect_err("bundle held");
    assert_eq!(refused.code, "VARIANT_REGISTERED");
});

both_backends!(catalogue_import_changes_prices, |t: TestDb| async move {
    let (app, _clock) = test_app(&t.db);
    let before = &domains::check(&app, &["x.top".to_owned()])
        .await
        .expect("check")[0];
    assert_eq!(before.price.map(|p| p.register.minor()), Some(900));
    let file = "[[tld]]\nname = \"top\"\nprices = { register = 1200, renew = 2900, transfer = 2900, restore = 12000 }\nreserved = [\"x\"]\n";
    let summary = catalogue::import(&app, &ctx(), &operator(), file)
        .await
        .expect("import");
    assert_eq!(summary.tlds, vec!["top".to_owned()]);
    let after = &domains::check(&app, &["y.top".to_owned(), "x.top".to_owned()])
        .await
        .expect("check");
    assert_eq!(after[0].price.map(|p| p.register.minor()), Some(1_200));
    assert_eq!(after[1].reason, Some("RESERVED"));
    assert_eq!(
        code(catalogue::import(&app, &ctx(), &operator(), "[[tld]]\nname = \"top\"").await),
        "INVALID_CATALOGUE"
    );
});

both_backends!(
    another_instance_sees_registrations,
    |t: TestDb| async move {
        let (a, _clock) = test_app(&t.db);
        let (b, _clock_b) = test_app(&t.db);
        let (alice, contact) = customer(&a, &t, "alice@example.com", 100_000).await;
        let names = vec!["shared-name.com".to_owned()];
        assert!(domains::check(&b, &names).await.expect("check")[0].available);
        domains::register(
            &a,
            &ctx(),
            &alice,
            register_input("shared-name.com", 1, &contact),
        )
        .await
        .expect("register");
        assert_eq!(
            domains::check(&a, &names).await.expect("check")[0].reason,
            Some("REGISTERED"),
            "own writes at once"
        );
        yuming_app::registrar::availability::refresh_now(&b)
            .await
            .expect("poll");
        assert_eq!(
            domains::check(&b, &names).await.expect("check")[0].reason,
            Some("REGISTERED"),
            "other instance after a poll"
        );
        // Registration on the second instance is refused by the registry whatever its index says.
        let (bob, bobs_contact) = customer(&b, &t, "bob@example.com", 100_000).await;
        assert_eq!(
            code(
                domains::register(
                    &b,
                    &ctx(),
                    &bob,
                    register_input("shared-name.com", 1, &bobs_contact)
                )
                .await
            ),
            "REGISTERED"
        );
    }
);

both_backends!(
    real_name_hold_and_change_of_registrant,
    |t: TestDb| async move {
        let (app, clock) = test_app(&t.db);
        let (alice, verified) = customer(&app, &t, "alice@example.com", 100_000).await;
        let pending = contacts::create(
            &app,
            &ctx(),
            &alice,
            &NewContactInput {
                kind: "organization".into(),
                name: "北京例子科技有限公司".into(),
                id_type: "uscc".into(),
                id_number: "91110000600037341L".into(),
                email: "corp@example.com".into(),
                phone: "13800138000".into(),
                address: AddressFields {
                    country: "CN".into(),
                    province: "北京市".into(),
                    city: "北京市".into(),
                    street: "中关村大街 1 号".into(),
                    postal_code: Some("100080".into()),
                },
            },
        )
        .await
        .expect("organisation contact")
        .id;

        // .cn holds an unverified name at once; .com after a five-day grace.
        let cn = domains::register(&app, &ctx(), &alice, register_input("held.cn", 1, &pending))
            .await
            .expect("register");
        assert_eq!(cn.domain.holds, vec!["REALNAME_UNVERIFIED"]);
        assert_eq!(cn.domain.statuses, vec!["serverHold".to_owned()]);
        assert!(!cn.domain.resolves);
        let com = domains::register(
            &app,
            &ctx(),
            &alice,
            register_input("grace.com", 1, &pending),
        )
        .await
        .expect("register");
        assert!(com.domain.holds.is_empty() && com.domain.resolves);
        clock.advance_days(5);
        assert_eq!(
            domains::get(&app, &alice, "grace.com")
                .await
                .expect("get")
                .holds,
            vec!["REALNAME_UNVERIFIED"]
        );

        // The registrant can only become a verified contact.
        assert_eq!(
            code(domains::change_registrant(&app, &ctx(), &alice, "held.cn", &pending).await),
            "CONTACT_NOT_VERIFIED"
        );
        let changed = domains::change_registrant(&app, &ctx(), &alice, "held.cn", &verified)
            .await
            .expect("change");
        assert_eq!(
            (
                changed.registrant_contact_id.as_str(),
                changed.statuses.clone()
            ),
            (verified.as_str(), vec!["ok".to_owned()])
        );
        assert!(changed.resolves);

        // Verifying the organisation lifts the other hold.
        contacts::decide(&app, &ctx(), &operator(), &pending, "approve", None)
            .await
            .expect("approve");
        assert!(
            domains::get(&app, &alice, "grace.com")
                .await
                .expect("get")
                .holds
                .is_empty()
        );

        let (bob, bobs_contact) = customer(&app, &t, "bob@example.com", 0).await;
        assert_eq!(
            code(domains::change_registrant(&app, &ctx(), &alice, "held.cn", &bobs_contact).await),
            "NOT_FOUND"
        );
        assert_eq!(
            code(domains::change_registrant(&app, &ctx(), &bob, "held.cn", &bobs_contact).await),
            "NOT_FOUND"
        );
    }
);

both_backends!(
    naming_review_hold_approve_and_reject_with_refund,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        let (alice, contact) = customer(&app, &t, "alice@example.com", 10_000).await;
        let held = domains::register(
            &app,
            &ctx(),
            &alice,
            register_input("sino-trade.cn", 1, &contact),
        )
        .await
        .expect("register");
        assert!(held.domain.needs_review);
        assert_eq!(held.domain.holds, vec!["NAMING_REVIEW"]);
        domains::register(
            &app,
            &ctx(),
            &alice,
            register_input("sinoparts.cn", 1, &contact),
        )
        .await
        .expect("register");
        assert_eq!(balance_of(&app, &alice).await, 10_000 - 2 * 3_900);

        let queue = domains::naming_review_queue(&app, &operator(), 10)
            .await
            .expect("queue");
        let mut queued: Vec<&str> = queue.iter().map(|d| d.ascii.as_str()).collect();
        // Both were registered in the same second of the fake clock, so order by name.
        queued.sort_unstable();
        assert_eq!(queued, vec!["sino-trade.cn", "sinoparts.cn"]);
        assert_eq!(
            code(domains::naming_review_queue(&app, &alice, 10).await),
            "FORBIDDEN"
        );
        assert_eq!(
            code(
                domains::decide_naming_review(
                    &app,
                    &ctx(),
                    &alice,
                    "sino-trade.cn",
                    Some("approve"),
                    None
                )
                .await
            ),
            "FORBIDDEN"
        );
        assert_eq!(
            code(
                domains::decide_naming_review(
                    &app,
                    &ctx(),
                    &operator(),
                    "sino-trade.cn",
                    Some("reject"),
                    None
                )
                .await
            ),
            "REASON_REQUIRED"
        );

        let approved = domains::decide_naming_review(
            &app,
            &ctx(),
            &operator(),
            "sinoparts.cn",
            Some("approve"),
            None,
        )
        .await
        .expect("approve");
        assert!(approved.is_some_and(|d| d.holds.is_empty() && d.resolves));
        assert_eq!(
            code(
                domains::decide_naming_review(
                    &app,
                    &ctx(),
                    &operator(),
                    "sinoparts.cn",
                    Some("approve"),
                    None
                )
                .await
            ),
            "NOT_UNDER_REVIEW"
        );

        let rejected = domains::decide_naming_review(
            &app,
            &ctx(),
            &operator(),
            "sino-trade.cn",
            Some("reject"),
            Some("implies a state body"),
        )
        .await
        .expect("reject");
        assert!(rejected.is_none());
        assert_eq!(
            code(domains::get(&app, &alice, "sino-trade.cn").await),
            "NOT_FOUND"
        );
        assert_eq!(
            balance_of(&app, &alice).await,
            10_000 - 3_900,
            "the rejected registration is refunded"
        );
        assert_ledger_balanced(&app).await;
        let again = &domains::check(&app, &["sino-trade.cn".to_owned()])
            .await
            .expect("check")[0];
        assert!(again.available && again.needs_review);
    }
);

both_backends!(
    credit_limit_allows_a_negative_balance,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        let (alice, contact) = customer(&app, &t, "alice@example.com", 0).await;
        assert_eq!(
            code(
                domains::register(
                    &app,
                    &ctx(),
                    &alice,
                    register_input("on-credit.com", 1, &contact)
                )
                .await
            ),
            "INSUFFICIENT_BALANCE"
        );
        let limit = Money::new(10_000, Currency::Cny);
        assert_eq!(
            code(billing::set_credit_limit(&app, &ctx(), &alice, &alice.tenant_id, limit).await),
            "FORBIDDEN"
        );
        assert_eq!(
            code(
                billing::set_credit_limit(
                    &app,
                    &ctx(),
                    &operator(),
                    &alice.tenant_id,
                    Money::new(-1, Currency::Cny)
                )
                .await
            ),
            "INVALID_AMOUNT"
        );
        billing::set_credit_limit(&app, &ctx(), &operator(), &alice.tenant_id, limit)
            .await
            .expect("limit");
        domains::register(
            &app,
            &ctx(),
            &alice,
            register_input("on-credit.com", 1, &contact),
        )
        .await
        .expect("on credit");
        assert_eq!(balance_of(&app, &alice).await, -6_900);
        assert_eq!(
            code(
                domains::register(
                    &app,
                    &ctx(),
                    &alice,
                    register_input("too-far.com", 1, &contact)
                )
                .await
            ),
            "INSUFFICIENT_BALANCE"
        );
        assert_ledger_balanced(&app).await;
    }
);

both_backends!(
    a_released_name_can_be_registered_again,
    |t: TestDb| async move {
        let (app, clock) = test_app(&t.db);
        let (alice, contact) = customer(&app, &t, "alice@example.com", 100_000).await;
        let (bob, bobs_contact) = customer(&app, &t, "bob@example.com", 100_000).await;
        domains::register(
            &app,
            &ctx(),
            &alice,
            register_input("second-life.com", 1, &contact),
        )
        .await
        .expect("register");
        let names = vec!["second-life.com".to_owned()];
        // gTLD: one year, 45 days of auto-renew grace, 30 of redemption, 5 of pending delete.
        clock.advance_days(365 + 45 + 30 + 3);
        assert_eq!(
            domains::check(&app, &names).await.expect("check")[0].reason,
            Some("REGISTERED")
        );
        assert_eq!(
            code(
                domains::register(
                    &app,
                    &ctx(),
                    &bob,
                    register_input("second-life.com", 1, &bobs_contact)
                )
                .await
            ),
            "REGISTERED"
        );
        clock.advance_days(3);
        assert!(
            domains::check(&app, &names).await.expect("check")[0].available,
            "released by the passage of time"
        );
        let again = domains::register(
            &app,
            &ctx(),
            &bob,
            register_input("second-life.com", 1, &bobs_contact),
        )
        .await
        .expect("re-register");
        assert_eq!(again.domain.owner_id, bob.tenant_id);
        assert_eq!(
            code(domains::get(&app, &alice, "second-life.com").await),
            "NOT_FOUND"
        );
        assert_ledger_balanced(&app).await;
    }
);

// The list is one statement outside a transaction (on SQLite, on the inline read path): each
// entry must be exactly what the single view shows, holds included, page after page.
both_backends!(
    the_domain_list_shows_each_name_as_its_own_view,
    |t: TestDb| async move {
        let (app, clock) = test_app(&t.db);
        let (alice, verified) = customer(&app, &t, "alice@example.com", 100_000).await;
        let (bob, bobs_contact) = customer(&app, &t, "bob@example.com", 100_000).await;
        let pending = contacts::create(
            &app,
            &ctx(),
            &alice,
            &NewContactInput {
                kind: "person".into(),
                name: "李四".into(),
                id_type: "resident_id".into(),
                id_number: "11010519491231002X".into(),
                email: "li@example.com".into(),
                phone: "+86.13800138001".into(),
                address: AddressFields {
                    country: "CN".into(),
                    province: "北京市".into(),
                    city: "北京市".into(),
                    street: "长安街 2 号".into(),
                    postal_code: None,
                },
            },
        )
        .await
        .expect("pending contact")
        .id;
        for (name, contact) in [
            ("b-held.cn", &pending),
            ("a-fine.com", &verified),
            ("例子.中国", &verified),
            ("c-later.com", &pending),
        ] {
            domains::register(&app, &ctx(), &alice, register_input(name, 1, contact))
                .await
                .expect("register");
        }
        domains::register(
            &app,
            &ctx(),
            &bob,
            register_input("bobs.com", 1, &bobs_contact),
        )
        .await
        .expect("register bob's");
        clock.advance_days(6);

        let mut listed = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let page = domains::list(&app, &alice, after.as_deref(), 3)
                .await
                .expect("list");
            after = page.last().map(|v| v.ascii.clone());
            let done = page.len() < 3;
            listed.extend(page);
            if done {
                break;
            }
        }
        let names: Vec<&str> = listed.iter().map(|v| v.ascii.as_str()).collect();
        assert_eq!(
            names,
            [
                "a-fine.com",
                "b-held.cn",
                "c-later.com",
                "xn--fsqu00a.xn--fiqs8s"
            ]
        );
        for view in &listed {
            let single = domains::get(&app, &alice, &view.ascii).await.expect("get");
            assert_eq!(view, &single, "{} listed as it is shown alone", view.ascii);
        }
        let holds: Vec<(&str, Vec<&str>)> = listed
            .iter()
            .map(|v| (v.ascii.as_str(), v.holds.clone()))
            .collect();
        assert_eq!(
            holds,
            [
                ("a-fine.com", vec![]),
                ("b-held.cn", vec!["REALNAME_UNVERIFIED"]),
                ("c-later.com", vec!["REALNAME_UNVERIFIED"]),
                ("xn--fsqu00a.xn--fiqs8s", vec![]),
            ]
        );
    }
);

both_backends!(
    the_list_narrows_by_name_tld_state_and_expiry,
    |db: TestDb| async move {
        use yuming_app::registrar::domains::{DomainFilter, ListState};
        let (app, clock) = test_app(&db.db);
        let (alice, contact) = customer(&app, &db, "filters@example.com", 1_000_000).await;
        for (name, years) in [
            ("alpha-shop.com", 1),
            ("beta-shop.com", 2),
            ("alpha-blog.net", 1),
            ("例子.中国", 1),
        ] {
            domains::register(&app, &ctx(), &alice, register_input(name, years, &contact))
                .await
                .expect("register");
        }
        let names = |page: &yuming_app::registrar::domains::FilteredPage| -> Vec<String> {
            page.domains.iter().map(|d| d.name.clone()).collect()
        };
        let list = |filter: DomainFilter, after: Option<String>, limit: usize| {
            let app = app.clone();
            let alice = alice.clone();
            async move {
                domains::list_filtered(&app, &alice, &filter, after.as_deref(), limit)
                    .await
                    .expect("list")
            }
        };

        let shop = list(
            DomainFilter {
                contains: Some("SHOP".into()),
                ..DomainFilter::default()
            },
            None,
            10,
        )
        .await;
        assert_eq!(names(&shop), vec!["alpha-shop.com", "beta-shop.com"]);
        assert_eq!(shop.next_after, None);
        let chinese = list(
            DomainFilter {
                tld: Some("中国".into()),
                ..DomainFilter::default()
            },
            None,
            10,
        )
        .await;
        assert_eq!(names(&chinese), vec!["例子.中国"]);
        let by_label = list(
            DomainFilter {
                contains: Some("例子".into()),
                ..DomainFilter::default()
            },
            None,
            10,
        )
        .await;
        assert_eq!(names(&by_label), vec!["例子.中国"]);

        // Paging keeps the filter: one at a time.
        let first = list(
            DomainFilter {
                tld: Some(".com".into()),
                ..DomainFilter::default()
            },
            None,
            1,
        )
        .await;
        assert_eq!(names(&first), vec!["alpha-shop.com"]);
        let second = list(
            DomainFilter {
                tld: Some("com".into()),
                ..DomainFilter::default()
            },
            first.next_after.clone(),
            1,
        )
        .await;
        assert_eq!(names(&second), vec!["beta-shop.com"]);

        // Eleven months on, the one-year names expire within 60 days; a year and a day on,
        // they have expired and the two-year one is still active.
        clock.advance_days(330);
        let expiring = list(
            DomainFilter {
                expiring_within_days: Some(60),
                ..DomainFilter::default()
            },
            None,
            10,
        )
        .await;
        assert_eq!(expiring.domains.len(), 3, "{:?}", names(&expiring));
        clock.advance_days(36);
        let expired = list(
            DomainFilter {
                state: Some(ListState::Expired),
                ..DomainFilter::default()
            },
            None,
            10,
        )
        .await;
        assert_eq!(expired.domains.len(), 3, "{:?}", names(&expired));
        let active = list(
            DomainFilter {
                state: Some(ListState::Active),
                ..DomainFilter::default()
            },
            None,
            10,
        )
        .await;
        assert_eq!(names(&active), vec!["beta-shop.com"]);
        assert_eq!(ListState::parse("held"), Some(ListState::Held));
        assert_eq!(ListState::parse("nonsense"), None);
    }
);

both_backends!(an_unfiltered_list_pages_exactly, |db: TestDb| async move {
    use yuming_app::registrar::domains::DomainFilter;
    let (app, _clock) = test_app(&db.db);
    let (alice, contact) = customer(&app, &db, "pages@example.com", 1_000_000).await;
    for name in ["page-a.com", "page-b.com", "page-c.com"] {
        domains::register(&app, &ctx(), &alice, register_input(name, 1, &contact))
            .await
            .expect("register");
    }
    let all = DomainFilter::default();
    let first = domains::list_filtered(&app, &alice, &all, None, 2)
        .await
        .expect("list");
    assert_eq!(first.domains.len(), 2);
    assert_eq!(first.next_after.as_deref(), Some("page-b.com"));
    let rest = domains::list_filtered(&app, &alice, &all, first.next_after.as_deref(), 2)
        .await
        .expect("list");
    assert_eq!(rest.domains.len(), 1);
    assert_eq!(rest.next_after, None, "nothing after the last page");
});
