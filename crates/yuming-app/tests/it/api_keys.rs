use yuming_app::accounts::api_keys::{self, CreatedApiKey, NewApiKeyInput, SignatureHeaders};
use yuming_app::accounts::{self};
use yuming_app::{App, AppError, ErrorKind};
use yuming_core::access::{Actor, Right};
use yuming_core::signing::{SignedParts, sign};
use yuming_test_support::fixtures::{ctx, customer};
use yuming_test_support::{TestDb, both_backends, test_app};

fn key_input(name: &str, scopes: &[&str]) -> NewApiKeyInput {
    NewApiKeyInput {
        name: name.into(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        ..NewApiKeyInput::default()
    }
}

/// Authenticates one signed `GET /api/v1/me` with a fresh nonce from `source`.
async fn call(
    app: &App,
    created: &CreatedApiKey,
    nonce: &str,
    source: Option<&str>,
) -> Result<Actor, AppError> {
    let now = app.now().0.to_string();
    let parts = SignedParts {
        method: "GET",
        path_and_query: "/api/v1/me",
        timestamp: &now,
        nonce,
        body: b"",
    };
    let signature = sign(created.secret.as_bytes(), &parts);
    let headers = SignatureHeaders {
        key_id: &created.key.id,
        signature: &signature,
    };
    let source = source.map(|s| s.parse().expect("ip"));
    api_keys::authenticate_signed(app, headers, &parts, source).await
}

fn code<T: std::fmt::Debug>(r: Result<T, AppError>) -> &'static str {
    r.err().map(|e| e.code).unwrap_or("OK")
}

both_backends!(signed_requests, |t: TestDb| async move {
    let (app, clock) = test_app(&t.db);
    let alice = customer(&app, "alice@example.com").await;
    let created = api_keys::create(&app, &ctx(), &alice, key_input("ci", &["read"]))
        .await
        .expect("create");
    assert!(created.secret.len() > 64);
    let now = app.now().0.to_string();
    let parts = SignedParts {
        method: "GET",
        path_and_query: "/api/v1/me",
        timestamp: &now,
        nonce: "nonce-aaaaaaaaaaaaaaaa",
        body: b"",
    };
    let signature = sign(created.secret.as_bytes(), &parts);
    let headers = SignatureHeaders {
        key_id: &created.key.id,
        signature: &signature,
    };
    let actor = api_keys::authenticate_signed(&app, headers, &parts, None)
        .await
        .expect("signed request");
    assert_eq!(actor.account_id, alice.account_id);
    assert_eq!(
        code(api_keys::authenticate_signed(&app, headers, &parts, None).await),
        "REPLAYED_NONCE"
    );

    let tampered = SignedParts {
        path_and_query: "/api/v1/api-keys",
        nonce: "nonce-bbbbbbbbbbbbbbbb",
        ..parts
    };
    assert_eq!(
        code(api_keys::authenticate_signed(&app, headers, &tampered, None).await),
        "INVALID_SIGNATURE"
    );

    clock.advance_secs(301);
    let late = SignedParts {
        nonce: "nonce-cccccccccccccccc",
        ..parts
    };
    let late_signature = sign(created.secret.as_bytes(), &late);
    let late_headers = SignatureHeaders {
        key_id: &created.key.id,
        signature: &late_signature,
    };
    assert_eq!(
        code(api_keys::authenticate_signed(&app, late_headers, &late, None).await),
        "TIMESTAMP_OUT_OF_WINDOW"
    );

    api_keys::revoke(&app, &ctx(), &alice, &created.key.id)
        .await
        .expect("revoke");
    let now = app.now().0.to_string();
    let fresh = SignedParts {
        timestamp: &now,
        nonce: "nonce-dddddddddddddddd",
        ..parts
    };
    let fresh_signature = sign(created.secret.as_bytes(), &fresh);
    let fresh_headers = SignatureHeaders {
        key_id: &created.key.id,
        signature: &fresh_signature,
    };
    assert_eq!(
        code(api_keys::authenticate_signed(&app, fresh_headers, &fresh, None).await),
        "INVALID_API_KEY"
    );
});

both_backends!(keys_are_tenant_scoped, |t: TestDb| async move {
    let (app, _clock) = test_app(&t.db);
    let alice = customer(&app, "alice@example.com").await;
    let bob = customer(&app, "bob@example.com").await;
    let key = api_keys::create(&app, &ctx(), &alice, key_input("alice's", &["read"]))
        .await
        .expect("create");
    assert_eq!(api_keys::list(&app, &bob).await.expect("list").len(), 0);
    assert_eq!(
        code(api_keys::revoke(&app, &ctx(), &bob, &key.key.id).await),
        "NOT_FOUND"
    );
    assert_eq!(
        api_keys::list(&app, &alice).await.expect("list")[0].revoked_at,
        None
    );
    assert_eq!(
        code(api_keys::create(&app, &ctx(), &alice, key_input("", &["read"])).await),
        "INVALID_NAME"
    );
});

both_backends!(
    api_keys_cannot_touch_account_security,
    |t: TestDb| async move {
        let (app, _clock) = test_app(&t.db);
        let alice = customer(&app, "alice@example.com").await;
        let all = ["read", "domains", "dns", "billing", "filing", "webhooks"];
        let created = api_keys::create(&app, &ctx(), &alice, key_input("leaked", &all))
            .await
            .expect("create");
        let key = call(&app, &created, "nonce-security-0000001", None)
            .await
            .expect("signed");
        assert_eq!(
            code(api_keys::create(&app, &ctx(), &key, key_input("more", &["read"])).await),
            "INTERACTIVE_SESSION_REQUIRED"
        );
        assert_eq!(
            code(api_keys::list(&app, &key).await),
            "INTERACTIVE_SESSION_REQUIRED"
        );
        assert_eq!(
            code(api_keys::get(&app, &key, &created.key.id).await),
            "INTERACTIVE_SESSION_REQUIRED"
        );
        assert_eq!(
            code(api_keys::revoke(&app, &ctx(), &key, &created.key.id).await),
            "INTERACTIVE_SESSION_REQUIRED"
        );
        assert_eq!(
            code(accounts::totp_begin(&app, &ctx(), &key).await),
            "INTERACTIVE_SESSION_REQUIRED"
        );
        assert_eq!(
            code(accounts::totp_set_enabled(&app, &ctx(), &key, "123456", false).await),
            "INTERACTIVE_SESSION_REQUIRED"
        );
        assert_eq!(
            code(
                accounts::change_password(
                    &app,
                    &ctx(),
                    &key,
                    "correct horse battery",
                    "stolen passphrase 1"
                )
                .await
            ),
            "INTERACTIVE_SESSION_REQUIRED"
        );
        assert_eq!(
            code(accounts::logout(&app, &ctx(), &key).await),
            "INTERACTIVE_SESSION_REQUIRED"
        );
        // The owner's session still manages everything.
        assert_eq!(api_keys::list(&app, &alice).await.expect("list").len(), 1);
        assert!(!accounts::me(&app, &alice).await.expect("me").totp_enabled);
    }
);

both_backends!(scopes_narrow_a_key, |t: TestDb| async move {
    let (app, _clock) = test_app(&t.db);
    let alice = customer(&app, "alice@example.com").await;
    let created = api_keys::create(&app, &ctx(), &alice, key_input("dns-robot", &["dns"]))
        .await
        .expect("create");
    assert_eq!(created.key.scopes.to_storage(), "dns");
    let key = call(&app, &created, "nonce-scopes-000000001", None)
        .await
        .expect("signed");
    assert!(key.rights.contains(Right::DnsManage));
    assert!(key.rights.contains(Right::DomainsRead));
    assert!(!key.rights.contains(Right::DomainsManage));
    assert!(!key.rights.contains(Right::BillingPay));
    let denied = yuming_app::notify::webhooks::list(&app, &key)
        .await
        .expect_err("no webhooks scope");
    assert_eq!(
        (denied.code, denied.kind),
        ("API_KEY_SCOPE_MISSING", ErrorKind::Forbidden)
    );
    assert!(denied.message.contains("webhooks"), "{}", denied.message);
    for (scopes, expected) in [
        (vec![], "SCOPES_REQUIRED"),
        (vec!["read", "root"], "UNKNOWN_SCOPE"),
        (vec!["staff"], "SCOPE_NOT_HELD"),
    ] {
        assert_eq!(
            code(api_keys::create(&app, &ctx(), &alice, key_input("k", &scopes)).await),
            expected,
            "{scopes:?}"
        );
    }
    let bad_cidr = NewApiKeyInput {
        allowed_cidrs: vec!["10.0.0.0/33".into()],
        ..key_input("k", &["read"])
    };
    assert_eq!(
        code(api_keys::create(&app, &ctx(), &alice, bad_cidr).await),
        "INVALID_CIDR"
    );
    let bad_quota = NewApiKeyInput {
        per_minute: Some(0),
        ..key_input("k", &["read"])
    };
    assert_eq!(
        code(api_keys::create(&app, &ctx(), &alice, bad_quota).await),
        "INVALID_QUOTA"
    );
});

both_backends!(a_key_is_bound_to_its_networks, |t: TestDb| async move {
    let (app, _clock) = test_app(&t.db);
    let alice = customer(&app, "alice@example.com").await;
    let input = NewApiKeyInput {
        allowed_cidrs: vec!["203.0.113.0/24".into(), "2001:db8::/32".into()],
        ..key_input("office", &["read"])
    };
    let created = api_keys::create(&app, &ctx(), &alice, input)
        .await
        .expect("create");
    assert_eq!(
        created.key.allowed_cidrs,
        vec!["203.0.113.0/24".to_owned(), "2001:db8::/32".to_owned()]
    );
    for (nonce, source) in [
        ("nonce-source-000000001", Some("198.51.100.1")),
        ("nonce-source-000000002", None),
        ("nonce-source-000000003", Some("2001:db9::1")),
    ] {
        let refused = call(&app, &created, nonce, source)
            .await
            .expect_err("outside");
        assert_eq!(
            (refused.code, refused.kind),
            ("API_KEY_SOURCE_NOT_ALLOWED", ErrorKind::Forbidden),
            "{source:?}"
        );
    }
    call(
        &app,
        &created,
        "nonce-source-000000004",
        Some("203.0.113.77"),
    )
    .await
    .expect("inside");
    call(
        &app,
        &created,
        "nonce-source-000000005",
        Some("2001:db8:5::1"),
    )
    .await
    .expect("inside");
});

both_backends!(quotas_per_minute_and_day, |t: TestDb| async move {
    let (app, clock) = test_app(&t.db);
    let alice = customer(&app, "alice@example.com").await;
    let input = NewApiKeyInput {
        per_minute: Some(2),
        per_day: Some(3),
        ..key_input("metered", &["read"])
    };
    let created = api_keys::create(&app, &ctx(), &alice, input)
        .await
        .expect("create");
    // Start at the beginning of a minute, so that two calls share it.
    let into_minute = app.now().0.rem_euclid(60);
    if into_minute != 0 {
        clock.advance_secs(60 - into_minute);
    }
    call(&app, &created, "nonce-quota-0000000001", None)
        .await
        .expect("first");
    clock.advance_secs(10);
    call(&app, &created, "nonce-quota-0000000002", None)
        .await
        .expect("second");
    let over = call(&app, &created, "nonce-quota-0000000003", None)
        .await
        .expect_err("minute quota");
    assert_eq!(
        (over.code, over.kind, over.retry_after_secs),
        (
            "API_KEY_QUOTA_EXCEEDED",
            ErrorKind::TooManyRequests,
            Some(50)
        )
    );
    let shown = api_keys::get(&app, &alice, &created.key.id)
        .await
        .expect("get");
    assert_eq!((shown.usage.minute, shown.usage.day), (2, 2));
    assert_eq!(shown.quota.per_minute, 2);
    clock.advance_secs(50);
    // The refused call counted nothing, so its nonce is still fresh.
    call(&app, &created, "nonce-quota-0000000003", None)
        .await
        .expect("next minute");
    let over = call(&app, &created, "nonce-quota-0000000004", None)
        .await
        .expect_err("day quota");
    let now = app.now().0;
    let to_midnight = 86_400 - now.rem_euclid(86_400);
    assert_eq!(
        (over.code, over.retry_after_secs),
        ("API_KEY_QUOTA_EXCEEDED", Some(to_midnight))
    );
    let listed = api_keys::list(&app, &alice).await.expect("list");
    assert_eq!((listed[0].usage.minute, listed[0].usage.day), (1, 3));
});
