//! Four eyes on large manual credits over the API: above the approval amount a finance
//! person's credit is refused and asked for instead; the asker cannot approve it; a second
//! person's approval books it once, however often or concurrently it is sent.

use axum::http::{Method, StatusCode};
use serde_json::json;
use yuming_test_support::{TestDb, both_backends};

use crate::harness::Harness;

async fn balance(h: &Harness, token: &str) -> i64 {
    let reply = h
        .call(Method::GET, "/api/v1/account/balance", Some(token), None)
        .await;
    reply.json["balance"]["amount"].as_i64().expect("balance")
}

both_backends!(
    a_large_credit_needs_a_second_finance_person,
    |db: TestDb| async move {
        let h = Harness::new(db);
        let (customer, customer_token) = h.customer("big@example.com").await;
        let (_, first) = h.staff("first@example.com", "finance").await;
        let (_, second) = h.staff("second@example.com", "finance").await;
        let credit = |token: String, amount: i64| {
            let h = &h;
            let path = format!("/api/v1/admin/accounts/{customer}/credit");
            async move {
                h.call(
                    Method::POST,
                    &path,
                    Some(&token),
                    Some(json!({"amount": amount, "note": "对公转账 T100"})),
                )
                .await
            }
        };
        // At the line: booked at once. Above it: refused, nothing booked.
        let small = credit(first.clone(), 1_000_000).await;
        assert_eq!(small.status, StatusCode::OK, "{}", small.json);
        let large = credit(first.clone(), 1_000_001).await;
        assert_eq!(
            (large.status, large.code()),
            (StatusCode::CONFLICT, "SECOND_APPROVAL_REQUIRED"),
            "{}",
            large.json
        );
        assert_eq!(balance(&h, &customer_token).await, 1_000_000);

        let asked = h
            .call(
                Method::POST,
                "/api/v1/admin/credit-requests",
                Some(&first),
                Some(json!({"account_id": customer, "amount": 5_000_000, "note": "对公转账 T101"})),
            )
            .await;
        assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.json);
        assert_eq!(asked.json["status"], "pending");
        let id = asked.json["id"].as_str().expect("id").to_owned();
        let listed = h
            .call(
                Method::GET,
                "/api/v1/admin/credit-requests",
                Some(&second),
                None,
            )
            .await;
        assert_eq!(
            listed.json["requests"][0]["id"],
            id.as_str(),
            "{}",
            listed.json
        );
        assert_eq!(
            balance(&h, &customer_token).await,
            1_000_000,
            "nothing booked yet"
        );

        let decision = format!("/api/v1/admin/credit-requests/{id}/decision");
        let own = h
            .call(
                Method::POST,
                &decision,
                Some(&first),
                Some(json!({"decision": "approve"})),
            )
            .await;
        assert_eq!(
            (own.status, own.code()),
            (StatusCode::FORBIDDEN, "OWN_CREDIT_REQUEST"),
            "{}",
            own.json
        );
        let no_reason = h
            .call(
                Method::POST,
                &decision,
                Some(&second),
                Some(json!({"decision": "reject"})),
            )
            .await;
        assert_eq!(no_reason.code(), "REASON_REQUIRED", "{}", no_reason.json);
        // The second person approves from two tabs at once: booked exactly once.
        let (a, b) = tokio::join!(
            h.call(
                Method::POST,
                &decision,
                Some(&second),
                Some(json!({"decision": "approve"}))
            ),
            h.call(
                Method::POST,
                &decision,
                Some(&second),
                Some(json!({"decision": "approve"}))
            ),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::CONFLICT],
            "{} {}",
            a.json,
            b.json
        );
        assert_eq!(balance(&h, &customer_token).await, 6_000_000);
        let sums = yuming_app::billing::ledger_sums(&h.app)
            .await
            .expect("sums");
        assert!(sums.iter().all(|(_, sum)| *sum == 0), "{sums:?}");

        // A rejection keeps its reason and books nothing.
        let asked = h
            .call(
                Method::POST,
                "/api/v1/admin/credit-requests",
                Some(&second),
                Some(json!({"account_id": customer, "amount": 2_000_000})),
            )
            .await;
        let id = asked.json["id"].as_str().expect("id").to_owned();
        let rejected = h
            .call(
                Method::POST,
                &format!("/api/v1/admin/credit-requests/{id}/decision"),
                Some(&first),
                Some(json!({"decision": "reject", "reason": "流水中没有这笔款项"})),
            )
            .await;
        assert_eq!(rejected.status, StatusCode::OK, "{}", rejected.json);
        assert_eq!(rejected.json["status"], "rejected");
        assert_eq!(rejected.json["reason"], "流水中没有这笔款项");
        assert_eq!(balance(&h, &customer_token).await, 6_000_000);

        // Customers are not finance.
        let refused = h
            .call(
                Method::GET,
                "/api/v1/admin/credit-requests",
                Some(&customer_token),
                None,
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
    }
);

both_backends!(
    a_manual_debit_corrects_a_balance_with_four_eyes_above_the_line,
    |db: TestDb| async move {
        let h = Harness::new(db);
        let (customer, customer_token) = h.customer("wrongly@example.com").await;
        let (_, first) = h.staff("fixer@example.com", "finance").await;
        let (_, second) = h.staff("checker@example.com", "finance").await;
        let (_, support) = h.staff("desk@example.com", "support").await;
        let book = |kind: &'static str, token: String, amount: i64| {
            let h = &h;
            let path = format!("/api/v1/admin/accounts/{customer}/{kind}");
            async move {
                h.call(
                    Method::POST,
                    &path,
                    Some(&token),
                    Some(json!({"amount": amount, "note": "重复入账更正 T300"})),
                )
                .await
            }
        };
        let credited = book("credit", first.clone(), 800_000).await;
        assert_eq!(credited.status, StatusCode::OK, "{}", credited.json);

        // More than the balance holds: refused, nothing moves.
        let too_much = book("debit", first.clone(), 800_001).await;
        assert_eq!(
            (too_much.status, too_much.code()),
            (StatusCode::CONFLICT, "DEBIT_EXCEEDS_BALANCE"),
            "{}",
            too_much.json
        );
        let not_finance = book("debit", support.clone(), 100).await;
        assert_eq!(not_finance.status, StatusCode::FORBIDDEN);
        let zero = book("debit", first.clone(), 0).await;
        assert_eq!(zero.code(), "INVALID_AMOUNT", "{}", zero.json);

        let debited = book("debit", first.clone(), 300_000).await;
        assert_eq!(debited.status, StatusCode::OK, "{}", debited.json);
        assert_eq!(debited.json["balance"]["amount"], 500_000);
        assert_eq!(balance(&h, &customer_token).await, 500_000);

        // Above the approval line a debit is asked for and a second person books it, once.
        let mut more = book("credit", first.clone(), 1_000_000).await;
        assert_eq!(more.status, StatusCode::OK, "{}", more.json);
        more = book("credit", second.clone(), 1_000_000).await;
        assert_eq!(more.status, StatusCode::OK, "{}", more.json);
        let large = book("debit", first.clone(), 2_000_000).await;
        assert_eq!(large.code(), "SECOND_APPROVAL_REQUIRED", "{}", large.json);
        let unknown = h
            .call(
                Method::POST,
                "/api/v1/admin/credit-requests",
                Some(&first),
                Some(json!({"account_id": customer, "amount": 2_000_000, "direction": "sideways"})),
            )
            .await;
        assert_eq!(unknown.code(), "UNKNOWN_DIRECTION", "{}", unknown.json);
        let asked = h
            .call(
                Method::POST,
                "/api/v1/admin/credit-requests",
                Some(&first),
                Some(json!({"account_id": customer, "amount": 2_000_000, "direction": "debit", "note": "重复入账更正 T301"})),
            )
            .await;
        assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.json);
        assert_eq!(asked.json["direction"], "debit");
        assert_eq!(balance(&h, &customer_token).await, 2_500_000);
        let id = asked.json["id"].as_str().expect("id").to_owned();
        let approved = h
            .call(
                Method::POST,
                &format!("/api/v1/admin/credit-requests/{id}/decision"),
                Some(&second),
                Some(json!({"decision": "approve"})),
            )
            .await;
        assert_eq!(approved.status, StatusCode::OK, "{}", approved.json);
        assert_eq!(balance(&h, &customer_token).await, 500_000);
        let sums = yuming_app::billing::ledger_sums(&h.app)
            .await
            .expect("sums");
        assert!(sums.iter().all(|(_, sum)| *sum == 0), "{sums:?}");

        // The customer sees the debits among their orders.
        let orders = h
            .call(Method::GET, "/api/v1/orders", Some(&customer_token), None)
            .await;
        let debits = orders.json["orders"]
            .as_array()
            .expect("orders")
            .iter()
            .filter(|o| o["kind"] == "debit")
            .count();
        assert_eq!(debits, 2, "{}", orders.json);
    }
);
