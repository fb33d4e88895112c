//! Value-added services: finance sells a product, a customer buys it from the balance, the
//! charge lands on service revenue, and staff see the purchase to deliver.

use axum::http::{Method, StatusCode};
use serde_json::json;
use yuming_test_support::{TestDb, both_backends};

use crate::harness::Harness;

both_backends!(
    a_service_is_bought_from_the_balance_and_booked_apart,
    |db: TestDb| async move {
        let h = Harness::new(db);
        let (_, finance) = h.staff("finance@example.com", "finance").await;
        let (id, token) = h.customer("site@example.com").await;
        h.fund(&id, 100_000).await;

        let product = h
            .call(
                Method::PUT,
                "/api/v1/admin/services/Filing-Assist",
                Some(&finance),
                Some(json!({ "name_zh": "备案协助服务", "name_en": "Filing assistance", "description": "专人协助准备备案材料", "price": 29_900 })),
            )
            .await;
        assert_eq!(product.status, StatusCode::OK, "{}", product.json);
        assert_eq!(product.json["code"], "filing-assist");
        let listed = h.call(Method::GET, "/api/v1/services", None, None).await;
        assert_eq!(listed.json[0]["price"]["amount"], 29_900, "{}", listed.json);

        let bought = h
            .call(
                Method::POST,
                "/api/v1/services/filing-assist/purchases",
                Some(&token),
                Some(json!({ "quantity": 2, "note": "example.cn 的网站备案" })),
            )
            .await;
        assert_eq!(bought.status, StatusCode::CREATED, "{}", bought.json);
        assert_eq!(bought.json["charged"]["amount"], 59_800);
        assert_eq!(bought.json["balance"]["amount"], 100_000 - 59_800);

        // Booked to service revenue, not domain revenue; the ledger still sums to zero.
        let mut tx = h.app.db().read().await.expect("read");
        let order_id = bought.json["order_id"].as_str().expect("order");
        let entries = tx.ledger_entries_of_order(order_id).await.expect("entries");
        tx.commit().await.expect("commit");
        let accounts: Vec<&str> = entries.iter().map(|e| e.account.as_str()).collect();
        assert!(accounts.contains(&"service_revenue"), "{accounts:?}");
        assert!(!accounts.contains(&"revenue"), "{accounts:?}");
        for (currency, sum) in yuming_app::billing::ledger_sums(&h.app)
            .await
            .expect("sums")
        {
            assert_eq!(sum, 0, "the {currency} ledger does not sum to zero");
        }

        // Staff see it to deliver; the customer sees it among their orders.
        let purchases = h
            .call(
                Method::GET,
                "/api/v1/admin/services/purchases",
                Some(&finance),
                None,
            )
            .await;
        assert_eq!(
            purchases.json[0]["detail"]["quantity"], 2,
            "{}",
            purchases.json
        );
        assert_eq!(purchases.json[0]["account_id"], id.as_str());
        let orders = h
            .call(Method::GET, "/api/v1/orders", Some(&token), None)
            .await;
        // The top-up and the purchase share a second here: find the purchase by its kind.
        let service: Vec<&serde_json::Value> = orders.json["orders"]
            .as_array()
            .expect("orders")
            .iter()
            .filter(|o| o["kind"] == "service")
            .collect();
        assert_eq!(service.len(), 1, "{}", orders.json);
        assert_eq!(service[0]["amount"]["amount"], 59_800, "{}", orders.json);

        // Not enough balance: nothing charged. Off sale: not found. Bad input: 400.
        let too_many = h
            .call(
                Method::POST,
                "/api/v1/services/filing-assist/purchases",
                Some(&token),
                Some(json!({ "quantity": 3 })),
            )
            .await;
        assert_eq!(
            too_many.status,
            StatusCode::PAYMENT_REQUIRED,
            "{}",
            too_many.json
        );
        for (quantity, status) in [(0, StatusCode::BAD_REQUEST), (101, StatusCode::BAD_REQUEST)] {
            let r = h
                .call(
                    Method::POST,
                    "/api/v1/services/filing-assist/purchases",
                    Some(&token),
                    Some(json!({ "quantity": quantity })),
                )
                .await;
            assert_eq!(r.status, status, "{}", r.json);
            assert_eq!(r.json["error"]["field"], "quantity");
        }
        h.call(
            Method::PUT,
            "/api/v1/admin/services/filing-assist",
            Some(&finance),
            Some(json!({ "name_zh": "备案协助服务", "price": 29_900, "active": false })),
        )
        .await;
        let off = h
            .call(
                Method::POST,
                "/api/v1/services/filing-assist/purchases",
                Some(&token),
                Some(json!({})),
            )
            .await;
        assert_eq!(off.status, StatusCode::NOT_FOUND, "{}", off.json);
        let listed = h.call(Method::GET, "/api/v1/services", None, None).await;
        assert_eq!(listed.json, json!([]));
        for body in [
            json!({ "name_zh": "", "price": 100 }),
            json!({ "name_zh": "x", "price": 0 }),
        ] {
            let r = h
                .call(
                    Method::PUT,
                    "/api/v1/admin/services/x1",
                    Some(&finance),
                    Some(body.clone()),
                )
                .await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.json);
        }
        let by_customer = h
            .call(
                Method::PUT,
                "/api/v1/admin/services/mine",
                Some(&token),
                Some(json!({ "name_zh": "x", "price": 1 })),
            )
            .await;
        assert_eq!(by_customer.status, StatusCode::FORBIDDEN);
        assert_eq!(balance_after(&h, &token).await, 100_000 - 59_800);
    }
);

async fn balance_after(h: &Harness, token: &str) -> i64 {
    let r = h
        .call(Method::GET, "/api/v1/account/balance", Some(token), None)
        .await;
    r.json["balance"]["amount"].as_i64().expect("balance")
}
