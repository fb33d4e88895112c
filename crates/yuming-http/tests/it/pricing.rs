//! The price book: promotional prices with a window, member price levels and volume tiers;
//! what check and search show is what registration, renewal and transfer charge.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use yuming_core::clock::Timestamp;
use yuming_test_support::{TestDb, both_backends};

use crate::harness::Harness;

async fn check(h: &Harness, token: Option<&str>, name: &str) -> Value {
    let r = h
        .call(
            Method::GET,
            &format!("/api/v1/domains/check?name={name}"),
            token,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    r.json
}

async fn register(h: &Harness, token: &str, contact: &str, name: &str, years: u32) -> Value {
    let r = h
        .call(
            Method::POST,
            "/api/v1/domains",
            Some(token),
            Some(json!({ "name": name, "years": years, "registrant_contact_id": contact })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    r.json
}

fn at(h: &Harness, offset_secs: i64) -> String {
    Timestamp(h.app.now().0 + offset_secs).to_rfc3339()
}

both_backends!(
    a_first_year_promotion_is_shown_and_charged_inside_its_window,
    |db: TestDb| async move {
        let h = Harness::new(db);
        let (_, finance) = h.staff("finance@example.com", "finance").await;
        let (id, token) = h.customer("buyer@example.com").await;
        let contact = h.fund_and_contact(&id, &token, 100_000).await;

        let promotion = h
            .call(
                Method::POST,
                "/api/v1/admin/pricing/promotions",
                Some(&finance),
                Some(json!({ "tld": ".com", "operation": "register", "price": 1_900,
                    "first_year_only": true, "label": "首年特惠", "starts_at": at(&h, -60), "ends_at": at(&h, 86_400) })),
            )
            .await;
        assert_eq!(promotion.status, StatusCode::CREATED, "{}", promotion.json);
        assert_eq!(promotion.json["tld"], "com");

        // A visitor sees the promotional first year beside the list price; renewal is list.
        let shown = check(&h, None, "promo-one.com").await;
        assert_eq!(shown["price"]["register"]["amount"], 1_900, "{shown}");
        assert_eq!(shown["price"]["renew"]["amount"], 7_900);
        assert_eq!(shown["list_price"]["register"]["amount"], 6_900);
        assert_eq!(shown["price_note"]["kind"], "promotion");
        assert_eq!(shown["price_note"]["label"], "首年特惠");
        // Premium names keep their own price.
        let premium = check(&h, None, "car.com").await;
        assert_eq!(premium["price"]["register"]["amount"], 2_000_000);
        assert!(premium.get("price_note").is_none(), "{premium}");

        // Two years: the first at the promotion, the second at list.
        let receipt = register(&h, &token, &contact, "promo-one.com", 2).await;
        assert_eq!(receipt["charged"]["amount"], 1_900 + 6_900, "{receipt}");
        assert_eq!(receipt["list_price"]["amount"], 2 * 6_900);
        assert_eq!(receipt["balance"]["amount"], 100_000 - 8_800);

        // After the window the list price is back, shown and charged.
        h.clock.advance_days(2);
        let token = h.login("buyer@example.com").await;
        let shown = check(&h, None, "promo-two.com").await;
        assert_eq!(shown["price"]["register"]["amount"], 6_900, "{shown}");
        assert!(shown.get("list_price").is_none());
        let receipt = register(&h, &token, &contact, "promo-two.com", 1).await;
        assert_eq!(receipt["charged"]["amount"], 6_900);

        // Ended by finance: a new promotion, switched off, is gone at once.
        let finance = h.login("finance@example.com").await;
        let created = h
            .call(
                Method::POST,
                "/api/v1/admin/pricing/promotions",
                Some(&finance),
                Some(json!({ "tld": "net", "operation": "register", "price": 100 })),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
        assert_eq!(
            check(&h, None, "promo.net").await["price"]["register"]["amount"],
            100
        );
        let promotion_id = created.json["id"].as_str().expect("id");
        let ended = h
            .call(
                Method::DELETE,
                &format!("/api/v1/admin/pricing/promotions/{promotion_id}"),
                Some(&finance),
                None,
            )
            .await;
        assert_eq!(ended.status, StatusCode::NO_CONTENT);
        assert_eq!(
            check(&h, None, "promo.net").await["price"]["register"]["amount"],
            7_900
        );
        let listed = h
            .call(
                Method::GET,
                "/api/v1/admin/pricing/promotions",
                Some(&finance),
                None,
            )
            .await;
        assert_eq!(listed.json.as_array().map(Vec::len), Some(2));
        assert_eq!(listed.json[0]["disabled"], true);
    }
);

both_backends!(
    member_levels_and_volume_tiers_price_signed_in_customers,
    |db: TestDb| async move {
        let h = Harness::new(db);
        let (_, finance) = h.staff("finance@example.com", "finance").await;
        let (reseller_id, reseller) = h.customer("reseller@example.com").await;
        let contact = h.fund_and_contact(&reseller_id, &reseller, 1_000_000).await;
        let (_, plain) = h.customer("plain@example.com").await;

        let level = h
            .call(
                Method::PUT,
                "/api/v1/admin/pricing/levels/Reseller",
                Some(&finance),
                Some(json!({ "discount_bps": 2_000, "description": "代理商" })),
            )
            .await;
        assert_eq!(level.status, StatusCode::OK, "{}", level.json);
        assert_eq!(level.json["name"], "reseller");
        let assigned = h
            .call(
                Method::PUT,
                &format!("/api/v1/admin/accounts/{reseller_id}/price-level"),
                Some(&finance),
                Some(json!({ "level": "reseller" })),
            )
            .await;
        assert_eq!(assigned.status, StatusCode::NO_CONTENT, "{}", assigned.json);

        // The reseller's own check shows 20 % off; a visitor's and another customer's do not.
        let own = check(&h, Some(&reseller), "level-one.com").await;
        assert_eq!(own["price"]["register"]["amount"], 5_520, "{own}");
        assert_eq!(own["price"]["renew"]["amount"], 6_320);
        assert_eq!(own["price_note"]["kind"], "level");
        assert_eq!(own["price_note"]["label"], "reseller");
        for token in [None, Some(plain.as_str())] {
            let shown = check(&h, token, "level-one.com").await;
            assert_eq!(shown["price"]["register"]["amount"], 6_900, "{shown}");
        }
        // Bulk check prices the same way.
        let bulk = h
            .call(
                Method::POST,
                "/api/v1/domains/check",
                Some(&reseller),
                Some(json!({ "names": ["level-one.com", "level-one.net"] })),
            )
            .await;
        assert_eq!(
            bulk.json["results"][1]["price"]["register"]["amount"],
            6_320
        );

        let receipt = register(&h, &reseller, &contact, "level-one.com", 1).await;
        assert_eq!(receipt["charged"]["amount"], 5_520, "{receipt}");
        let renewed = h
            .call(
                Method::POST,
                "/api/v1/domains/level-one.com/renew",
                Some(&reseller),
                Some(json!({ "years": 2 })),
            )
            .await;
        assert_eq!(renewed.status, StatusCode::OK, "{}", renewed.json);
        assert_eq!(renewed.json["charged"]["amount"], 2 * 6_320);

        // Volume tiers: from 2 names held, 30 % off beats the level's 20 %.
        let tiers = h
            .call(
                Method::PUT,
                "/api/v1/admin/pricing/volume-tiers",
                Some(&finance),
                Some(json!([{ "min_names": 2, "discount_bps": 3_000 }, { "min_names": 100, "discount_bps": 4_000 }])),
            )
            .await;
        assert_eq!(tiers.status, StatusCode::OK, "{}", tiers.json);
        assert_eq!(
            check(&h, Some(&reseller), "level-two.com").await["price_note"]["kind"],
            "level",
            "one name held: below the first tier"
        );
        register(&h, &reseller, &contact, "level-two.com", 1).await;
        let shown = check(&h, Some(&reseller), "level-three.com").await;
        assert_eq!(shown["price"]["register"]["amount"], 4_830, "{shown}");
        assert_eq!(shown["price_note"]["kind"], "volume");
        let receipt = register(&h, &reseller, &contact, "level-three.com", 1).await;
        assert_eq!(receipt["charged"]["amount"], 4_830);

        // Back to standard prices.
        let cleared = h
            .call(
                Method::PUT,
                &format!("/api/v1/admin/accounts/{reseller_id}/price-level"),
                Some(&finance),
                Some(json!({})),
            )
            .await;
        assert_eq!(cleared.status, StatusCode::NO_CONTENT);
        let empty = h
            .call(
                Method::PUT,
                "/api/v1/admin/pricing/volume-tiers",
                Some(&finance),
                Some(json!([])),
            )
            .await;
        assert_eq!(empty.status, StatusCode::OK);
        let shown = check(&h, Some(&reseller), "level-four.com").await;
        assert_eq!(shown["price"]["register"]["amount"], 6_900, "{shown}");
    }
);

both_backends!(
    the_price_book_refuses_bad_rules_and_customers,
    |db: TestDb| async move {
        let h = Harness::new(db);
        let (_, finance) = h.staff("finance@example.com", "finance").await;
        let (customer_id, customer) = h.customer("c@example.com").await;
        let cases = [
            (
                Method::POST,
                "/api/v1/admin/pricing/promotions".to_owned(),
                json!({ "tld": "example", "operation": "register", "price": 100 }),
                "tld",
            ),
            (
                Method::POST,
                "/api/v1/admin/pricing/promotions".to_owned(),
                json!({ "tld": "com", "operation": "restore", "price": 100 }),
                "operation",
            ),
            (
                Method::POST,
                "/api/v1/admin/pricing/promotions".to_owned(),
                json!({ "tld": "com", "operation": "register", "price": -1 }),
                "price",
            ),
            (
                Method::POST,
                "/api/v1/admin/pricing/promotions".to_owned(),
                json!({ "tld": "com", "operation": "register", "price": 1, "starts_at": at(&h, 10), "ends_at": at(&h, 5) }),
                "ends_at",
            ),
            (
                Method::PUT,
                "/api/v1/admin/pricing/levels/gold".to_owned(),
                json!({ "discount_bps": 10_001 }),
                "discount_bps",
            ),
            (
                Method::PUT,
                "/api/v1/admin/pricing/levels/黄金".to_owned(),
                json!({ "discount_bps": 100 }),
                "name",
            ),
            (
                Method::PUT,
                format!("/api/v1/admin/accounts/{customer_id}/price-level"),
                json!({ "level": "nobody" }),
                "level",
            ),
            (
                Method::PUT,
                "/api/v1/admin/pricing/volume-tiers".to_owned(),
                json!([{ "min_names": 5, "discount_bps": 100 }, { "min_names": 5, "discount_bps": 200 }]),
                "min_names",
            ),
            (
                Method::PUT,
                "/api/v1/admin/pricing/volume-tiers".to_owned(),
                json!([{ "min_names": 0, "discount_bps": 100 }]),
                "min_names",
            ),
        ];
        for (method, path, body, field) in cases {
            let path = path.replace("黄金", "%E9%BB%84%E9%87%91");
            let r = h
                .call(method.clone(), &path, Some(&finance), Some(body.clone()))
                .await;
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "{path} {body}: {}",
                r.json
            );
            assert_eq!(r.json["error"]["field"], field, "{path} {body}: {}", r.json);
            assert!(r.json["error"]["message_zh"].is_string());
        }
        // Customers manage none of it, and an unknown account is not found.
        for (method, path) in [
            (Method::GET, "/api/v1/admin/pricing/promotions"),
            (Method::GET, "/api/v1/admin/pricing/levels"),
            (Method::GET, "/api/v1/admin/pricing/volume-tiers"),
        ] {
            let r = h.call(method, path, Some(&customer), None).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
        }
        h.call(
            Method::PUT,
            "/api/v1/admin/pricing/levels/gold",
            Some(&finance),
            Some(json!({ "discount_bps": 500 })),
        )
        .await;
        let missing = h
            .call(
                Method::PUT,
                "/api/v1/admin/accounts/acc_nobody/price-level",
                Some(&finance),
                Some(json!({ "level": "gold" })),
            )
            .await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        let levels = h
            .call(
                Method::GET,
                "/api/v1/admin/pricing/levels",
                Some(&finance),
                None,
            )
            .await;
        assert_eq!(levels.json[0]["name"], "gold");
    }
);
