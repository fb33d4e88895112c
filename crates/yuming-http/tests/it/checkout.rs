//! Pay for this order at checkout: the order holds its names, is paid through the sandbox
//! gateway (a real signed notify over a socket) and fulfilled; an unpaid order lapses and
//! releases its names and coupon uses.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use yuming_app::AppSettings;
use yuming_app::billing::gateways::sandbox::SandboxDecision;
use yuming_app::registrar::checkout::ORDER_TTL_SECS;
use yuming_test_support::{TestDb, both_backends, test_settings};

use crate::harness::Harness;

async fn served(db: TestDb) -> Harness {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let h = Harness::with_settings(
        db,
        AppSettings {
            public_url: base,
            ..test_settings()
        },
    );
    let router = h.router.clone();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    h
}

fn item(name: &str, contact: &str, years: u32) -> Value {
    json!({ "name": name, "years": years, "registrant_contact_id": contact })
}

async fn place(h: &Harness, token: &str, body: Value) -> Value {
    let r = h
        .call(
            Method::POST,
            "/api/v1/checkout/orders",
            Some(token),
            Some(body),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    r.json
}

async fn order(h: &Harness, token: &str, id: &str) -> Value {
    let r = h
        .call(
            Method::GET,
            &format!("/api/v1/checkout/orders/{id}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    r.json
}

async fn balance(h: &Harness, token: &str) -> i64 {
    let r = h
        .call(Method::GET, "/api/v1/account/balance", Some(token), None)
        .await;
    r.json["balance"]["amount"].as_i64().expect("balance")
}

async fn pay_order(h: &Harness, token: &str, order_id: &str, fen: i64) -> (StatusCode, Value) {
    let r = h
        .call(
            Method::POST,
            "/api/v1/payments",
            Some(token),
            Some(json!({ "amount": { "amount": fen, "currency": "CNY" }, "method": "sandbox", "order_id": order_id })),
        )
        .await;
    (r.status, r.json)
}

both_backends!(
    an_order_paid_through_a_gateway_is_fulfilled,
    |db: TestDb| async move {
        let h = served(db).await;
        let (id, token) = h.customer("shopper@example.com").await;
        let contact = h.fund_and_contact(&id, &token, 1).await;
        assert_eq!(balance(&h, &token).await, 1);

        let placed = place(
            &h,
            &token,
            json!({ "items": [item("order-one.com", &contact, 1), item("order-two.top", &contact, 2)] }),
        )
        .await;
        let order_id = placed["id"].as_str().expect("id").to_owned();
        assert_eq!(placed["status"], "awaiting_payment");
        assert_eq!(placed["amount"]["amount"], 6_900 + 2 * 900, "{placed}");
        assert_eq!(placed["items"][1]["list_price"]["amount"], 1_800);

        // Meanwhile nobody else can take the names.
        let (rival_id, rival) = h.customer("rival@example.com").await;
        let rival_contact = h.fund_and_contact(&rival_id, &rival, 100_000).await;
        let taken = h
            .call(
                Method::POST,
                "/api/v1/domains",
                Some(&rival),
                Some(item("order-one.com", &rival_contact, 1)),
            )
            .await;
        assert_eq!(taken.status, StatusCode::CONFLICT, "{}", taken.json);
        assert_eq!(taken.json["error"]["code"], "HELD_FOR_ORDER");
        let twice = h
            .call(
                Method::POST,
                "/api/v1/checkout/orders",
                Some(&rival),
                Some(json!({ "items": [item("order-two.top", &rival_contact, 1)] })),
            )
            .await;
        assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.json);

        // The payment must be for what the order is due, and only by its owner.
        let (status, wrong) = pay_order(&h, &token, &order_id, 100).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{wrong}");
        assert_eq!(wrong["error"]["code"], "ORDER_AMOUNT_MISMATCH");
        assert_eq!(wrong["error"]["field"], "amount");
        let (status, foreign) = pay_order(&h, &rival, &order_id, 8_700).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{foreign}");
        assert_eq!(foreign["error"]["code"], "UNKNOWN_ORDER");

        let (status, payment) = pay_order(&h, &token, &order_id, 8_700).await;
        assert_eq!(status, StatusCode::CREATED, "{payment}");
        let payment_id = payment["id"].as_str().expect("payment id").to_owned();
        let sandbox = h.app.sandbox_gateway().expect("sandbox");
        assert!(
            sandbox
                .decide(&payment_id, SandboxDecision::Approve)
                .await
                .expect("approve")
        );

        // The notify credited the balance and the order was fulfilled from it at once.
        let done = order(&h, &token, &order_id).await;
        assert_eq!(done["status"], "fulfilled", "{done}");
        assert_eq!(done["payment_id"], payment_id.as_str());
        assert_eq!(done["items"][0]["outcome"], "registered");
        assert_eq!(done["items"][1]["outcome"], "registered");
        assert_eq!(balance(&h, &token).await, 1, "paid in, charged out");
        let domains = h
            .call(Method::GET, "/api/v1/domains", Some(&token), None)
            .await;
        let names: Vec<&str> = domains.json["domains"]
            .as_array()
            .expect("domains")
            .iter()
            .filter_map(|d| d["name"].as_str())
            .collect();
        assert!(
            names.contains(&"order-one.com") && names.contains(&"order-two.top"),
            "{names:?}"
        );
        // A second payment for the same order is refused; a scheduler run changes nothing.
        let (status, again) = pay_order(&h, &token, &order_id, 8_700).await;
        assert_eq!(status, StatusCode::CONFLICT, "{again}");
        assert_eq!(again["error"]["code"], "ORDER_NOT_PAYABLE");
        let jobs = yuming_app::ops::scheduler::run_jobs(&h.app, "test", None)
            .await
            .expect("jobs");
        assert_eq!((jobs.orders_fulfilled, jobs.orders_lapsed), (0, 0));
        assert_eq!(balance(&h, &token).await, 1);
        for (currency, sum) in yuming_app::billing::ledger_sums(&h.app)
            .await
            .expect("sums")
        {
            assert_eq!(sum, 0, "the {currency} ledger does not sum to zero");
        }
        // Other tenants do not see the order.
        let hidden = h
            .call(
                Method::GET,
                &format!("/api/v1/checkout/orders/{order_id}"),
                Some(&rival),
                None,
            )
            .await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
        let listed = h
            .call(Method::GET, "/api/v1/checkout/orders", Some(&token), None)
            .await;
        assert_eq!(listed.json.as_array().map(Vec::len), Some(1));
    }
);

both_backends!(
    an_unpaid_order_lapses_and_releases_names_and_coupon_uses,
    |db: TestDb| async move {
        let h = served(db).await;
        let (_, finance) = h.staff("finance@example.com", "finance").await;
        let coupon = h
            .call(
                Method::POST,
                "/api/v1/admin/coupons",
                Some(&finance),
                Some(
                    json!({ "code": "ONLY-ONE", "kind": "amount", "value": 1_000, "max_uses": 1 }),
                ),
            )
            .await;
        assert_eq!(coupon.status, StatusCode::CREATED, "{}", coupon.json);
        let (id, token) = h.customer("slow@example.com").await;
        let contact = h.fund_and_contact(&id, &token, 1).await;
        let placed = place(
            &h,
            &token,
            json!({ "items": [item("lapse-one.com", &contact, 1)], "coupon": "only-one" }),
        )
        .await;
        assert_eq!(
            placed["amount"]["amount"], 5_900,
            "the coupon is in the price"
        );
        let order_id = placed["id"].as_str().expect("id").to_owned();

        // While the order holds the coupon's only use, nobody else gets it.
        let (other_id, other) = h.customer("quick@example.com").await;
        let other_contact = h.fund_and_contact(&other_id, &other, 100_000).await;
        let refused = h
            .call(
                Method::POST,
                "/api/v1/domains",
                Some(&other),
                Some(json!({ "name": "lapse-two.com", "years": 1, "registrant_contact_id": other_contact, "coupon": "ONLY-ONE" })),
            )
            .await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.json);
        assert_eq!(refused.json["error"]["code"], "COUPON_EXHAUSTED");

        // A payment started and never finished; the order lapses with it.
        let (status, _) = pay_order(&h, &token, &order_id, 5_900).await;
        assert_eq!(status, StatusCode::CREATED);
        h.clock.advance_secs(ORDER_TTL_SECS + 1);
        let jobs = yuming_app::ops::scheduler::run_jobs(&h.app, "test", None)
            .await
            .expect("jobs");
        assert_eq!(jobs.orders_lapsed, 1);
        let token = h.login("slow@example.com").await;
        assert_eq!(order(&h, &token, &order_id).await["status"], "expired");
        let (status, late) = pay_order(&h, &token, &order_id, 5_900).await;
        assert_eq!(status, StatusCode::CONFLICT, "{late}");

        // The name and the coupon's use are free again.
        let other = h.login("quick@example.com").await;
        let registered = h
            .call(
                Method::POST,
                "/api/v1/domains",
                Some(&other),
                Some(json!({ "name": "lapse-one.com", "years": 1, "registrant_contact_id": other_contact, "coupon": "ONLY-ONE" })),
            )
            .await;
        assert_eq!(
            registered.status,
            StatusCode::CREATED,
            "{}",
            registered.json
        );
        assert_eq!(registered.json["discount"]["amount"], 1_000);

        // A customer cancels an order they no longer want; it cannot be cancelled twice.
        let placed = place(
            &h,
            &token,
            json!({ "items": [item("cancel-me.net", &contact, 1)] }),
        )
        .await;
        let cancel_path = format!(
            "/api/v1/checkout/orders/{}/cancel",
            placed["id"].as_str().expect("id")
        );
        let cancelled = h.call(Method::POST, &cancel_path, Some(&token), None).await;
        assert_eq!(
            cancelled.status,
            StatusCode::NO_CONTENT,
            "{}",
            cancelled.json
        );
        let again = h.call(Method::POST, &cancel_path, Some(&token), None).await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        let by_other = h.call(Method::POST, &cancel_path, Some(&other), None).await;
        assert_eq!(by_other.status, StatusCode::NOT_FOUND);
    }
);

both_backends!(
    orders_refuse_bad_items_with_structured_errors,
    |db: TestDb| async move {
        let h = Harness::new(db);
        let (id, token) = h.customer("picky@example.com").await;
        let contact = h.fund_and_contact(&id, &token, 1).await;
        let cases = [
            (json!({ "items": [] }), "INVALID_ORDER_ITEMS"),
            (
                json!({ "items": [item("dup.com", &contact, 1), item("DUP.com", &contact, 1)] }),
                "DUPLICATE_ORDER_ITEM",
            ),
            (
                json!({ "items": [item("nic.com", &contact, 1)] }),
                "ORDER_ITEM_UNAVAILABLE",
            ),
            (
                json!({ "items": [item("fine.com", &contact, 11)] }),
                "INVALID_YEARS",
            ),
            (
                json!({ "items": [item("fine.com", "con_nobody", 1)] }),
                "CONTACT_NOT_FOUND",
            ),
        ];
        for (body, code) in cases {
            let r = h
                .call(
                    Method::POST,
                    "/api/v1/checkout/orders",
                    Some(&token),
                    Some(body.clone()),
                )
                .await;
            assert!(r.status.is_client_error(), "{body}: {}", r.json);
            assert_eq!(r.json["error"]["code"], code, "{body}: {}", r.json);
        }
        let listed = h
            .call(Method::GET, "/api/v1/checkout/orders", Some(&token), None)
            .await;
        assert_eq!(listed.json, json!([]), "nothing was kept");
    }
);
