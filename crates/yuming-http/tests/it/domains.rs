//! Registrar endpoints: availability, idempotent paid registration, renewal, management.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;
use yuming_test_support::{TestDb, both_backends};

use crate::harness::Harness;

both_backends!(check_endpoints, |db: TestDb| async move {
    let h = Harness::new(db);
    let one = h
        .call(
            Method::GET,
            "/api/v1/domains/check?name=%E4%BE%8B%E5%AD%90.%E4%B8%AD%E5%9B%BD",
            None,
            None,
        )
        .await;
    assert_eq!(one.status, StatusCode::OK, "{}", one.json);
    assert_eq!(one.json["name"], "例子.中国");
    assert_eq!(one.json["ascii"], "xn--fsqu00a.xn--fiqs8s");
    assert_eq!(one.json["available"], true);
    assert_eq!(one.json["premium"], false);
    assert_eq!(
        one.json["price"]["register"],
        json!({"amount": 2900, "currency": "CNY"})
    );

    let reserved = h
        .call(
            Method::GET,
            "/api/v1/domains/check?name=nic.com",
            None,
            None,
        )
        .await;
    assert_eq!(
        (
            reserved.json["available"].clone(),
            reserved.json["reason"].clone()
        ),
        (json!(false), json!("RESERVED"))
    );
    assert!(
        reserved.json["suggestions"]
            .as_array()
            .is_some_and(|s| !s.is_empty()),
        "{}",
        reserved.json
    );

    let bulk = h
        .call(
            Method::POST,
            "/api/v1/domains/check",
            None,
            Some(json!({"names": ["a-1.com", "bad..com", "x.org", "car.com"]})),
        )
        .await;
    assert_eq!(bulk.status, StatusCode::OK);
    let reasons: Vec<serde_json::Value> = bulk.json["results"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| r["reason"].clone())
        .collect();
    assert_eq!(
        reasons,
        vec![
            json!(null),
            json!("INVALID_SYNTAX"),
            json!("UNSUPPORTED_TLD"),
            json!(null)
        ]
    );
    assert_eq!(bulk.json["results"][3]["premium"], true);

    let names: Vec<String> = (0..1001).map(|i| format!("n{i}.com")).collect();
    let too_many = h
        .call(
            Method::POST,
            "/api/v1/domains/check",
            None,
            Some(json!({ "names": names })),
        )
        .await;
    assert_eq!(
        (too_many.status, too_many.code()),
        (StatusCode::BAD_REQUEST, "TOO_MANY_NAMES")
    );
    let missing = h
        .call(Method::GET, "/api/v1/domains/check", None, None)
        .await;
    assert_eq!(
        (missing.status, missing.code()),
        (StatusCode::BAD_REQUEST, "INVALID_QUERY")
    );

    // The single check has its own short path: it keeps request ids and security headers,
    // and other methods on the path still reach the full stack's 405.
    for reply in [&one, &missing] {
        assert!(
            reply.headers.contains_key("x-request-id"),
            "{:?}",
            reply.headers
        );
        assert_eq!(reply.headers["x-content-type-options"], "nosniff");
    }
    let put = h
        .call(Method::PUT, "/api/v1/domains/check", None, None)
        .await;
    assert_eq!(
        (put.status, put.code()),
        (StatusCode::METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED")
    );
    assert!(put.headers.contains_key("x-request-id"));
});

fn register(token: &str, key: &str, body: serde_json::Value) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri("/api/v1/domains")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("idempotency-key", key)
        .body(Body::from(body.to_string()))
        .expect("request")
}

both_backends!(idempotent_paid_registration, |db: TestDb| async move {
    let h = Harness::new(db);
    let (alice_id, alice) = h.customer("alice@example.com").await;
    let contact = h.fund_and_contact(&alice_id, &alice, 50_000).await;
    let body = json!({"name": "例子.中国", "years": 2, "registrant_contact_id": contact, "auto_renew": true});
    let first = h.send(register(&alice, "reg-1", body.clone())).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.json);
    assert_eq!(
        first.json["charged"],
        json!({"amount": 5800, "currency": "CNY"})
    );
    assert_eq!(
        first.json["balance"],
        json!({"amount": 44200, "currency": "CNY"})
    );
    let second = h.send(register(&alice, "reg-1", body.clone())).await;
    assert_eq!(
        (second.status, second.json.clone()),
        (StatusCode::CREATED, first.json.clone()),
        "identical response"
    );

    let orders = h
        .call(Method::GET, "/api/v1/orders", Some(&alice), None)
        .await;
    let registrations = orders.json["orders"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|o| o["kind"] == "register")
        .count();
    assert_eq!(registrations, 1, "one charge");
    let balance = h
        .call(Method::GET, "/api/v1/account/balance", Some(&alice), None)
        .await;
    assert_eq!(balance.json["balance"]["amount"], 44_200);
    let ledger = h
        .call(Method::GET, "/api/v1/account/ledger", Some(&alice), None)
        .await;
    let amounts: Vec<i64> = ledger.json["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["amount"]["amount"].as_i64())
        .collect();
    let mut amounts = amounts;
    amounts.sort_unstable();
    assert_eq!(amounts, vec![-5_800, 50_000]);
    // Paging with the returned cursor: one entry per page, then the end.
    let first = h
        .call(
            Method::GET,
            "/api/v1/account/ledger?limit=1",
            Some(&alice),
            None,
        )
        .await;
    let cursor = first.json["next_cursor"]
        .as_str()
        .expect("next_cursor")
        .to_owned();
    let second = h
        .call(
            Method::GET,
            &format!("/api/v1/account/ledger?limit=1&cursor={cursor}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(second.json["entries"].as_array().map(Vec::len), Some(1));
    assert_ne!(
        second.json["entries"][0]["id"],
        first.json["entries"][0]["id"]
    );
    let bad = h
        .call(
            Method::GET,
            "/api/v1/orders?cursor=nonsense",
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(
        (bad.status, bad.code()),
        (StatusCode::BAD_REQUEST, "INVALID_CURSOR")
    );

    // Without the key a retry is a new request and the name is taken.
    let again = h
        .call(Method::POST, "/api/v1/domains", Some(&alice), Some(body))
        .await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::CONFLICT, "REGISTERED")
    );

    let detail = h
        .call(
            Method::GET,
            "/api/v1/domains/%E4%BE%8B%E5%AD%90.%E4%B8%AD%E5%9B%BD",
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.json);
    assert_eq!(detail.json["auto_renew"], true);
    let renewed = h
        .call(
            Method::POST,
            "/api/v1/domains/xn--fsqu00a.xn--fiqs8s/renew",
            Some(&alice),
            Some(json!({"years": 1})),
        )
        .await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.json);
    let locked = h
        .call(
            Method::PATCH,
            "/api/v1/domains/xn--fsqu00a.xn--fiqs8s",
            Some(&alice),
            Some(json!({"locked": true})),
        )
        .await;
    assert!(
        locked.json["statuses"]
            .as_array()
            .is_some_and(|s| s.contains(&json!("clientTransferProhibited")))
    );
    let code = h
        .call(
            Method::GET,
            "/api/v1/domains/xn--fsqu00a.xn--fiqs8s/auth-code",
            Some(&alice),
            None,
        )
        .await;
    assert!(
        code.json["auth_code"]
            .as_str()
            .is_some_and(|c| c.len() >= 16)
    );
});

both_backends!(bad_registration_requests, |db: TestDb| async move {
    let h = Harness::new(db);
    let (alice_id, alice) = h.customer("alice@example.com").await;
    let contact = h.fund_and_contact(&alice_id, &alice, 50_000).await;
    for (body, status, code) in [
        (
            json!({"name": "ok.com", "years": "x", "registrant_contact_id": contact}),
            StatusCode::BAD_REQUEST,
            "INVALID_FIELD",
        ),
        (
            json!({"name": "ok.com", "years": -1, "registrant_contact_id": contact}),
            StatusCode::BAD_REQUEST,
            "INVALID_FIELD",
        ),
        (
            json!({"name": "ok.com", "years": 0, "registrant_contact_id": contact}),
            StatusCode::BAD_REQUEST,
            "INVALID_YEARS",
        ),
        (
            json!({"name": "ok.com", "years": 11, "registrant_contact_id": contact}),
            StatusCode::BAD_REQUEST,
            "INVALID_YEARS",
        ),
        (
            json!({"name": "ok.org", "years": 1, "registrant_contact_id": contact}),
            StatusCode::BAD_REQUEST,
            "UNSUPPORTED_TLD",
        ),
        (
            json!({"name": "ok.com", "years": 1, "registrant_contact_id": "con_other"}),
            StatusCode::NOT_FOUND,
            "CONTACT_NOT_FOUND",
        ),
        (
            json!({"name": "car.com", "years": 1, "registrant_contact_id": contact}),
            StatusCode::PAYMENT_REQUIRED,
            "INSUFFICIENT_BALANCE",
        ),
    ] {
        let reply = h
            .call(
                Method::POST,
                "/api/v1/domains",
                Some(&alice),
                Some(body.clone()),
            )
            .await;
        assert_eq!((reply.status, reply.code()), (status, code), "{body}");
    }
    let balance = h
        .call(Method::GET, "/api/v1/account/balance", Some(&alice), None)
        .await;
    assert_eq!(balance.json["balance"]["amount"], 50_000);
    let domains = h
        .call(Method::GET, "/api/v1/domains", Some(&alice), None)
        .await;
    assert_eq!(domains.json["domains"].as_array().map(Vec::len), Some(0));
});

// `"nameservers": []` registers the name without nameservers (it must not resolve while an
// ICP filing is pending); leaving the field out gives the platform's.
both_backends!(
    explicit_empty_nameservers_are_kept,
    |db: TestDb| async move {
        let h = Harness::new(db);
        let (alice_id, alice) = h.customer("alice@example.com").await;
        let contact = h.fund_and_contact(&alice_id, &alice, 50_000).await;
        let none = h
        .send(register(
            &alice,
            "ns-1",
            json!({"name": "no-ns.com", "years": 1, "registrant_contact_id": contact, "nameservers": []}),
        ))
        .await;
        assert_eq!(none.status, StatusCode::CREATED, "{}", none.json);
        let defaults = h
            .send(register(
                &alice,
                "ns-2",
                json!({"name": "default-ns.com", "years": 1, "registrant_contact_id": contact}),
            ))
            .await;
        assert_eq!(defaults.status, StatusCode::CREATED, "{}", defaults.json);
        for (name, expected) in [
            ("no-ns.com", json!([])),
            (
                "default-ns.com",
                json!(["ns1.example.net", "ns2.example.net"]),
            ),
        ] {
            let detail = h
                .call(
                    Method::GET,
                    &format!("/api/v1/domains/{name}"),
                    Some(&alice),
                    None,
                )
                .await;
            assert_eq!(detail.json["nameservers"], expected, "{}", detail.json);
        }
    }
);

// Every answer of the single and the bulk check names the Unicode and the A-label form, also
// for a reserved, a registered or a blocked name; only a name that does not parse has no
// `ascii` (its `name` is the input as given).
both_backends!(check_answers_carry_both_forms, |db: TestDb| async move {
    let h = Harness::new(db);
    let (alice_id, alice) = h.customer("alice@example.com").await;
    let contact = h.fund_and_contact(&alice_id, &alice, 50_000).await;
    let taken = h
        .send(register(
            &alice,
            "taken-1",
            json!({"name": "例子.中国", "years": 1, "registrant_contact_id": contact}),
        ))
        .await;
    assert_eq!(taken.status, StatusCode::CREATED, "{}", taken.json);
    for (input, name, ascii, reason) in [
        ("NIC.com", "nic.com", "nic.com", "RESERVED"),
        (
            "XN--FSQU00A.XN--FIQS8S",
            "例子.中国",
            "xn--fsqu00a.xn--fiqs8s",
            "REGISTERED",
        ),
        ("例子.org", "例子.org", "xn--fsqu00a.org", "UNSUPPORTED_TLD"),
        (
            "www.例子.中国",
            "www.例子.中国",
            "www.xn--fsqu00a.xn--fiqs8s",
            "NOT_SECOND_LEVEL",
        ),
    ] {
        let uri = format!("/api/v1/domains/check?name={}", url_escape(input));
        let one = h.call(Method::GET, &uri, None, None).await;
        assert_eq!(one.status, StatusCode::OK, "{}", one.json);
        assert_eq!(
            (&one.json["name"], &one.json["ascii"], &one.json["reason"]),
            (&json!(name), &json!(ascii), &json!(reason)),
            "{input}: {}",
            one.json
        );
        let bulk = h
            .call(
                Method::POST,
                "/api/v1/domains/check",
                None,
                Some(json!({ "names": [input] })),
            )
            .await;
        assert_eq!(
            (
                &bulk.json["results"][0]["name"],
                &bulk.json["results"][0]["ascii"]
            ),
            (&json!(name), &json!(ascii)),
            "{input}: {}",
            bulk.json
        );
    }
    let invalid = h
        .call(
            Method::GET,
            "/api/v1/domains/check?name=bad..com",
            None,
            None,
        )
        .await;
    assert_eq!(invalid.json["reason"], "INVALID_SYNTAX");
    assert_eq!(invalid.json["name"], "bad..com");
    assert!(invalid.json.get("ascii").is_none(), "{}", invalid.json);
});

// RFC 3915 and Nomulus: a renewal inside the add grace period adds a renew grace period
// (where the TLD has one) and leaves the add grace period running.
both_backends!(renewal_inside_add_grace_keeps_it, |db: TestDb| async move {
    let h = Harness::new(db);
    let (alice_id, alice) = h.customer("alice@example.com").await;
    let contact = h.fund_and_contact(&alice_id, &alice, 50_000).await;
    for (name, after) in [
        ("quick-renew.com", json!(["addPeriod", "renewPeriod"])),
        // The CNNIC preset has no renew grace period.
        ("xn--fsqu00a.xn--fiqs8s", json!(["addPeriod"])),
    ] {
        let reg = h
            .send(register(
                &alice,
                &format!("grace-{name}"),
                json!({"name": name, "years": 1, "registrant_contact_id": contact}),
            ))
            .await;
        assert_eq!(reg.status, StatusCode::CREATED, "{}", reg.json);
        let path = format!("/api/v1/domains/{name}");
        let detail = h.call(Method::GET, &path, Some(&alice), None).await;
        assert_eq!(detail.json["grace_periods"], json!(["addPeriod"]));
        let renewed = h
            .call(
                Method::POST,
                &format!("{path}/renew"),
                Some(&alice),
                Some(json!({"years": 1})),
            )
            .await;
        assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.json);
        let detail = h.call(Method::GET, &path, Some(&alice), None).await;
        assert_eq!(
            detail.json["grace_periods"], after,
            "{name}: {}",
            detail.json
        );
    }
});

fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

// The example.net default nameservers end up in every zone: administrators see a warning
// (until `registrar.default_nameservers` is set: yuming-app `system` tests); customers cannot
// read the platform's state.
both_backends!(
    placeholder_nameservers_are_shown_to_admins,
    |db: TestDb| async move {
        use yuming_app::RequestContext;
        use yuming_app::accounts::{self, NewAccountInput};
        use yuming_core::access::{Actor, Role};

        async fn admin(h: &Harness) -> String {
            accounts::create_user(
                &h.app,
                &RequestContext::internal("test"),
                &Actor::system(),
                NewAccountInput {
                    email: "admin@example.com".into(),
                    password: "correct horse battery".into(),
                    display_name: "admin".into(),
                },
                Role::Admin,
            )
            .await
            .expect("admin");
            h.login("admin@example.com").await
        }

        let h = Harness::new(db);
        let token = admin(&h).await;
        let status = h
            .call(Method::GET, "/api/v1/admin/system", Some(&token), None)
            .await;
        assert_eq!(status.status, StatusCode::OK, "{}", status.json);
        assert_eq!(status.json["warnings"][0]["code"], "DEFAULT_NAMESERVERS");
        assert_eq!(
            status.json["warnings"][0]["setting"],
            "registrar.default_nameservers"
        );
        let (_, alice) = h.customer("alice@example.com").await;
        let denied = h
            .call(Method::GET, "/api/v1/admin/system", Some(&alice), None)
            .await;
        assert_eq!(
            (denied.status, denied.code()),
            (StatusCode::FORBIDDEN, "FORBIDDEN")
        );
    }
);
