//! Coupons: finance creates them, customers pass them when registering and renewing, and the
//! limits hold when customers race for the last uses.

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use yuming_test_support::{TestDb, both_backends};

use crate::harness::Harness;

async fn coupon(h: &Harness, finance: &str, body: Value) -> Value {
    let r = h
        .call(
            Method::POST,
            "/api/v1/admin/coupons",
            Some(finance),
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    r.json
}

fn registration(name: &str, contact: &str, coupon: &str) -> Value {
    json!({ "name": name, "years": 1, "registrant_contact_id": contact, "coupon": coupon })
}

both_backends!(
    twenty_customers_racing_for_five_uses_get_five_discounts,
    |db: TestDb| async move {
        let h = Harness::new(db);
        let (_, finance) = h.staff("finance@example.com", "finance").await;
        coupon(&h, &finance, json!({ "code": "first-five", "kind": "percent", "value": 50, "max_uses": 5, "operations": ["register"] })).await;
        let mut customers = Vec::new();
        for i in 0..20 {
            let (id, token) = h.customer(&format!("racer{i}@example.com")).await;
            let contact = h.fund_and_contact(&id, &token, 100_000).await;
            customers.push((token, contact));
        }
        let h = Arc::new(h);
        let races: Vec<_> = customers
            .into_iter()
            .enumerate()
            .map(|(i, (token, contact))| {
                let h = Arc::clone(&h);
                tokio::spawn(async move {
                    let r = h
                        .call(
                            Method::POST,
                            "/api/v1/domains",
                            Some(&token),
                            Some(registration(
                                &format!("race-{i}.com"),
                                &contact,
                                "FIRST-FIVE",
                            )),
                        )
                        .await;
                    (r.status, r.json, token)
                })
            })
            .collect();
        let (mut discounted, mut refused) = (0, 0);
        for race in races {
            let (status, json, token) = race.await.expect("task");
            match status {
                StatusCode::CREATED => {
                    let (charged, discount) = (
                        json["charged"]["amount"].as_i64().unwrap_or(0),
                        json["discount"]["amount"].as_i64().unwrap_or(0),
                    );
                    assert!(discount > 0 && discount == charged, "half off: {json}");
                    discounted += 1;
                }
                StatusCode::CONFLICT => {
                    assert_eq!(json["error"]["code"], "COUPON_EXHAUSTED", "{json}");
                    assert_eq!(json["error"]["field"], "coupon");
                    // All or nothing: no name, no charge.
                    let balance = h
                        .call(Method::GET, "/api/v1/account/balance", Some(&token), None)
                        .await;
                    assert_eq!(balance.json["balance"]["amount"], 100_000);
                    refused += 1;
                }
                other => panic!("unexpected {other}: {json}"),
            }
        }
        assert_eq!((discounted, refused), (5, 15));
        let listed = h
            .call(Method::GET, "/api/v1/admin/coupons", Some(&finance), None)
            .await;
        assert_eq!(listed.json[0]["uses"], 5, "{}", listed.json);
        for (_, sum) in yuming_app::billing::ledger_sums(&h.app)
            .await
            .expect("sums")
        {
            assert_eq!(sum, 0);
        }
    }
);

both_backends!(coupon_terms_are_enforced, |db: TestDb| async move {
    let h = Harness::new(db);
    let (_, finance) = h.staff("finance@example.com", "finance").await;
    let (alice_id, alice) = h.customer("alice@example.com").await;
    let contact = h.fund_and_contact(&alice_id, &alice, 500_000).await;

    // Creation is checked field by field; only finance may create.
    for (body, code, field) in [
        (
            json!({ "code": "x", "kind": "percent", "value": 10 }),
            "INVALID_COUPON_CODE",
            "code",
        ),
        (
            json!({ "code": "BAD-KIND", "kind": "gift", "value": 10 }),
            "INVALID_COUPON",
            "kind",
        ),
        (
            json!({ "code": "TOO-MUCH", "kind": "percent", "value": 101 }),
            "INVALID_COUPON",
            "value",
        ),
        (
            json!({ "code": "NO-VALUE", "kind": "amount", "value": 0 }),
            "INVALID_COUPON",
            "value",
        ),
        (
            json!({ "code": "NOT-SOLD", "kind": "percent", "value": 10, "tlds": ["invalid"] }),
            "INVALID_COUPON",
            "tlds",
        ),
        (
            json!({ "code": "BAD-OP", "kind": "percent", "value": 10, "operations": ["steal"] }),
            "INVALID_COUPON",
            "operations",
        ),
        (
            json!({ "code": "BACKWARDS", "kind": "percent", "value": 10, "starts_at": "2026-02-01T00:00:00Z", "ends_at": "2026-01-01T00:00:00Z" }),
            "INVALID_COUPON",
            "ends_at",
        ),
        (
            json!({ "code": "BAD-TIME", "kind": "percent", "value": 10, "ends_at": "tomorrow" }),
            "INVALID_TIME",
            "ends_at",
        ),
        (
            json!({ "code": "ZERO-USES", "kind": "percent", "value": 10, "max_uses": 0 }),
            "INVALID_COUPON",
            "max_uses",
        ),
    ] {
        let r = h
            .call(
                Method::POST,
                "/api/v1/admin/coupons",
                Some(&finance),
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.json);
        assert_eq!(r.code(), code, "{body}");
        assert_eq!(r.json["error"]["field"], field, "{body}");
    }
    let r = h
        .call(
            Method::POST,
            "/api/v1/admin/coupons",
            Some(&alice),
            Some(json!({ "code": "MINE", "kind": "percent", "value": 100 })),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    coupon(
        &h,
        &finance,
        json!({ "code": "once-each", "kind": "amount", "value": 1_000, "max_uses_per_account": 1 }),
    )
    .await;
    let dup = h
        .call(
            Method::POST,
            "/api/v1/admin/coupons",
            Some(&finance),
            Some(json!({ "code": "ONCE-EACH", "kind": "percent", "value": 5 })),
        )
        .await;
    assert_eq!(
        (dup.status, dup.code()),
        (StatusCode::CONFLICT, "COUPON_CODE_TAKEN")
    );
    let first = h
        .call(
            Method::POST,
            "/api/v1/domains",
            Some(&alice),
            Some(registration("coupon-one.com", &contact, "once-each")),
        )
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.json);
    assert_eq!(first.json["discount"]["amount"], 1_000);
    let second = h
        .call(
            Method::POST,
            "/api/v1/domains",
            Some(&alice),
            Some(registration("coupon-two.com", &contact, "once-each")),
        )
        .await;
    assert_eq!(
        (second.status, second.code()),
        (StatusCode::CONFLICT, "COUPON_ACCOUNT_LIMIT")
    );
    let exists = h
        .call(
            Method::GET,
            "/api/v1/domains/coupon-two.com",
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(
        exists.status,
        StatusCode::NOT_FOUND,
        "refused whole: no name"
    );

    let unknown = h
        .call(
            Method::POST,
            "/api/v1/domains",
            Some(&alice),
            Some(registration("coupon-three.com", &contact, "NOPE")),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::BAD_REQUEST, "UNKNOWN_COUPON")
    );
    coupon(
        &h,
        &finance,
        json!({ "code": "CN-ONLY", "kind": "percent", "value": 10, "tlds": [".cn"] }),
    )
    .await;
    let wrong = h
        .call(
            Method::POST,
            "/api/v1/domains",
            Some(&alice),
            Some(registration("coupon-three.com", &contact, "cn-only")),
        )
        .await;
    assert_eq!(
        (wrong.status, wrong.code()),
        (StatusCode::BAD_REQUEST, "COUPON_NOT_APPLICABLE")
    );
    assert!(
        wrong.json["error"]["message_zh"]
            .as_str()
            .unwrap_or_default()
            .contains("后缀")
    );

    // An amount larger than the price makes the name free, and the ledger still balances.
    coupon(
        &h,
        &finance,
        json!({ "code": "FREE-NAME", "kind": "amount", "value": 9_999_999 }),
    )
    .await;
    let free = h
        .call(
            Method::POST,
            "/api/v1/domains",
            Some(&alice),
            Some(registration("free-name.com", &contact, "free-name")),
        )
        .await;
    assert_eq!(free.status, StatusCode::CREATED, "{}", free.json);
    assert_eq!(free.json["charged"]["amount"], 0);

    // Renewal coupons, first year only, in a window.
    coupon(&h, &finance, json!({ "code": "RENEW-HALF", "kind": "percent", "value": 50, "operations": ["renew"], "first_year_only": true,
        "starts_at": "2025-12-01T00:00:00Z", "ends_at": "2026-02-01T00:00:00Z" })).await;
    let not_for_register = h
        .call(
            Method::POST,
            "/api/v1/domains",
            Some(&alice),
            Some(registration("renew-only.com", &contact, "renew-half")),
        )
        .await;
    assert_eq!(not_for_register.code(), "COUPON_NOT_APPLICABLE");
    let renewed = h
        .call(
            Method::POST,
            "/api/v1/domains/coupon-one.com/renew",
            Some(&alice),
            Some(json!({ "years": 3, "coupon": "renew-half" })),
        )
        .await;
    assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.json);
    let (charged, discount) = (
        renewed.json["charged"]["amount"].as_i64().unwrap_or(0),
        renewed.json["discount"]["amount"].as_i64().unwrap_or(0),
    );
    assert_eq!(
        (charged + discount) / 3 / 2,
        discount,
        "half of one year of three: {}",
        renewed.json
    );
    h.clock.advance_days(40);
    let alice = h.login("alice@example.com").await;
    let finance = h.login("finance@example.com").await;
    let expired = h
        .call(
            Method::POST,
            "/api/v1/domains/coupon-one.com/renew",
            Some(&alice),
            Some(json!({ "years": 1, "coupon": "renew-half" })),
        )
        .await;
    assert_eq!(expired.code(), "COUPON_NOT_APPLICABLE");

    // Switched off: unknown from then on.
    let listed = h
        .call(Method::GET, "/api/v1/admin/coupons", Some(&finance), None)
        .await;
    let free_id = listed
        .json
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["code"] == "FREE-NAME")
        .expect("free")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let off = h
        .call(
            Method::DELETE,
            &format!("/api/v1/admin/coupons/{free_id}"),
            Some(&finance),
            None,
        )
        .await;
    assert_eq!(off.status, StatusCode::NO_CONTENT);
    let gone = h
        .call(
            Method::POST,
            "/api/v1/domains",
            Some(&alice),
            Some(registration("free-again.com", &contact, "free-name")),
        )
        .await;
    assert_eq!(gone.code(), "UNKNOWN_COUPON");
    for (_, sum) in yuming_app::billing::ledger_sums(&h.app)
        .await
        .expect("sums")
    {
        assert_eq!(sum, 0);
    }
});
