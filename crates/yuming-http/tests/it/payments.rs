//! Payments through each gateway against its local stand-in, on a real socket (the gateways
//! post their notifies to it): create → pay → notify → credit → refund → reconcile, forged
//! and duplicate notifies, refunds before payments, query-settled payments, bad input.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use yuming_app::AppSettings;
use yuming_app::billing::gateways::alipay::{Alipay, AlipayConfig, AlipayProduct};
use yuming_app::billing::gateways::sandbox::SandboxDecision;
use yuming_app::billing::gateways::wechat::{WechatConfig, WechatPay};
use yuming_app::billing::payments;
use yuming_test_support::gateways::{AlipayStandIn, WechatStandIn};
use yuming_test_support::{TestDb, both_backends, test_settings};

use crate::harness::Harness;

/// The harness with its router also served on 127.0.0.1, at the public URL the gateways
/// post notifies to.
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

fn alipay(stand_in: &AlipayStandIn, product: AlipayProduct) -> Arc<Alipay> {
    Arc::new(
        Alipay::new(AlipayConfig {
            app_id: stand_in.app_id.clone(),
            gateway_url: stand_in.gateway_url.clone(),
            private_key: stand_in.merchant_private_key().to_owned(),
            alipay_public_key: stand_in.alipay_public_key().to_owned(),
            product,
            timeout: Duration::from_secs(5),
        })
        .expect("alipay gateway"),
    )
}

fn wechat(stand_in: &WechatStandIn) -> Arc<WechatPay> {
    Arc::new(
        WechatPay::new(WechatConfig {
            mch_id: stand_in.mch_id.clone(),
            app_id: stand_in.app_id.clone(),
            base_url: stand_in.base_url.clone(),
            merchant_serial_no: stand_in.merchant_serial.clone(),
            private_key: stand_in.merchant_private_key().to_owned(),
            api_v3_key: stand_in.api_v3_key.clone(),
            platform_key: stand_in.platform_certificate().to_owned(),
            platform_serial: stand_in.platform_serial.clone(),
            timeout: Duration::from_secs(5),
        })
        .expect("wechat gateway"),
    )
}

async fn pay(h: &Harness, token: &str, method: &str, fen: i64) -> Value {
    let r = h
        .call(
            Method::POST,
            "/api/v1/payments",
            Some(token),
            Some(json!({ "amount": { "amount": fen, "currency": "CNY" }, "method": method })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    assert_eq!(r.json["status"], "pending");
    r.json
}

async fn balance(h: &Harness, token: &str) -> i64 {
    let r = h
        .call(Method::GET, "/api/v1/account/balance", Some(token), None)
        .await;
    r.json["balance"]["amount"].as_i64().expect("balance")
}

async fn payment(h: &Harness, token: &str, id: &str) -> Value {
    let r = h
        .call(
            Method::GET,
            &format!("/api/v1/payments/{id}"),
            Some(token),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    r.json
}

async fn refund(h: &Harness, token: &str, id: &str, fen: Option<i64>) -> (StatusCode, Value) {
    let body = match fen {
        Some(fen) => json!({ "amount": { "amount": fen, "currency": "CNY" }, "reason": "多充了" }),
        None => json!({ "reason": "不用了" }),
    };
    let r = h
        .call(
            Method::POST,
            &format!("/api/v1/payments/{id}/refunds"),
            Some(token),
            Some(body),
        )
        .await;
    (r.status, r.json)
}

async fn alert_kinds(h: &Harness) -> Vec<String> {
    let (_, finance) = h.staff("finance@example.com", "finance").await;
    let r = h
        .call(
            Method::GET,
            "/api/v1/admin/payments/alerts",
            Some(&finance),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    r.json
        .as_array()
        .expect("alerts")
        .iter()
        .map(|a| a["kind"].as_str().unwrap_or_default().to_owned())
        .collect()
}

async fn ledger_balances(h: &Harness) {
    for (currency, sum) in yuming_app::billing::ledger_sums(&h.app)
        .await
        .expect("sums")
    {
        assert_eq!(sum, 0, "the {currency} ledger does not sum to zero");
    }
}

async fn credits_in_audit(h: &Harness, payment_id: &str) -> usize {
    let mut tx = h.app.db().read().await.expect("read");
    let rows = tx
        .payment_notifications(Some(payment_id), 500)
        .await
        .expect("rows");
    tx.commit().await.expect("commit");
    rows.iter().filter(|r| r.outcome == "credited").count()
}

both_backends!(
    sandbox_top_up_refund_and_forged_notify,
    |db: TestDb| async move {
        let h = served(db).await;
        let (_, token) = h.customer("payer@example.com").await;
        let methods = h
            .call(Method::GET, "/api/v1/payments/methods", Some(&token), None)
            .await;
        assert_eq!(methods.json["methods"], json!(["sandbox"]));
        let created = pay(&h, &token, "sandbox", 10_000).await;
        let id = created["id"].as_str().expect("id").to_owned();
        assert!(id.len() <= 32, "{id} fits every gateway's trade number");
        let pay_url = created["pay_url"].as_str().expect("pay_url");
        assert!(
            pay_url.ends_with(&format!("/sandbox/pay/{id}")),
            "{pay_url}"
        );
        assert_eq!(
            balance(&h, &token).await,
            0,
            "nothing before the gateway confirms"
        );

        // The payer approves on the sandbox's page: it posts a signed notify to the platform.
        let sandbox = h.app.sandbox_gateway().expect("sandbox on by default");
        assert!(
            sandbox
                .decide(&id, SandboxDecision::Approve)
                .await
                .expect("decide")
        );
        assert!(
            !sandbox
                .decide(&id, SandboxDecision::Decline)
                .await
                .expect("decided once")
        );
        let paid = payment(&h, &token, &id).await;
        assert_eq!(paid["status"], "paid", "{paid}");
        assert_eq!(balance(&h, &token).await, 10_000);

        // The same notify again (signed afresh) credits nothing more.
        let body = json!({ "out_trade_no": id, "trade_no": paid["trade_no"], "status": "paid", "amount": 10_000, "currency": "CNY" }).to_string();
        let (timestamp, signature) = sandbox.sign(body.as_bytes());
        let replay = h
            .send(
                axum::http::Request::post("/api/v1/payments/notify/sandbox")
                    .header("content-type", "application/json")
                    .header("sandbox-timestamp", &timestamp)
                    .header("sandbox-signature", &signature)
                    .body(axum::body::Body::from(body.clone()))
                    .expect("request"),
            )
            .await;
        assert_eq!(replay.status, StatusCode::OK);
        assert_eq!(
            balance(&h, &token).await,
            10_000,
            "a replay credits nothing"
        );

        // A notify with a forged signature changes nothing and raises an alert.
        let forged = h
            .send(
                axum::http::Request::post("/api/v1/payments/notify/sandbox")
                    .header("sandbox-timestamp", &timestamp)
                    .header("sandbox-signature", "v1=00")
                    .body(axum::body::Body::from(body.replace("10000", "999999")))
                    .expect("request"),
            )
            .await;
        assert_eq!(forged.status, StatusCode::BAD_REQUEST);
        assert_eq!(balance(&h, &token).await, 10_000);

        // Partial refund back to the method, then the rest; no more than was paid.
        let (status, first) = refund(&h, &token, &id, Some(3_000)).await;
        assert_eq!(status, StatusCode::CREATED, "{first}");
        assert_eq!(first["status"], "succeeded");
        assert_eq!(balance(&h, &token).await, 7_000);
        let (status, too_much) = refund(&h, &token, &id, Some(7_001)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{too_much}");
        assert_eq!(too_much["error"]["code"], "REFUND_EXCEEDS_PAYMENT");
        let (status, rest) = refund(&h, &token, &id, None).await;
        assert_eq!(status, StatusCode::CREATED, "{rest}");
        assert_eq!(rest["amount"]["amount"], 7_000);
        assert_eq!(payment(&h, &token, &id).await["status"], "refunded");
        assert_eq!(balance(&h, &token).await, 0);
        let (status, again) = refund(&h, &token, &id, None).await;
        assert_eq!(status, StatusCode::CONFLICT, "{again}");
        ledger_balances(&h).await;
        assert_eq!(alert_kinds(&h).await, vec!["forged_notify"]);
        // Finance closes the alert once dealt with; a second close finds nothing open.
        let finance = h.login("finance@example.com").await;
        let open = h
            .call(
                Method::GET,
                "/api/v1/admin/payments/alerts",
                Some(&finance),
                None,
            )
            .await;
        let alert = open.json[0]["id"].as_str().expect("alert id").to_owned();
        let path = format!("/api/v1/admin/payments/alerts/{alert}/resolve");
        let by_customer = h.call(Method::POST, &path, Some(&token), None).await;
        assert_eq!(by_customer.status, StatusCode::FORBIDDEN);
        let resolved = h.call(Method::POST, &path, Some(&finance), None).await;
        assert_eq!(resolved.status, StatusCode::NO_CONTENT);
        let again = h.call(Method::POST, &path, Some(&finance), None).await;
        assert_eq!(again.status, StatusCode::NOT_FOUND);
        let open = h
            .call(
                Method::GET,
                "/api/v1/admin/payments/alerts",
                Some(&finance),
                None,
            )
            .await;
        assert_eq!(open.json, json!([]));

        // Another tenant sees none of it.
        let (_, other) = h.customer("other@example.com").await;
        let hidden = h
            .call(
                Method::GET,
                &format!("/api/v1/payments/{id}"),
                Some(&other),
                None,
            )
            .await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
        let (status, _) = refund(&h, &other, &id, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let listed = h
            .call(Method::GET, "/api/v1/payments", Some(&token), None)
            .await;
        assert_eq!(listed.json["payments"].as_array().map(Vec::len), Some(1));
    }
);

both_backends!(
    payments_refuse_bad_input_with_structured_errors,
    |db: TestDb| async move {
        let h = served(db).await;
        let (_, token) = h.customer("payer@example.com").await;
        for (body, code, field) in [
            (
                json!({ "amount": { "amount": 0, "currency": "CNY" }, "method": "sandbox" }),
                "INVALID_AMOUNT",
                "amount",
            ),
            (
                json!({ "amount": { "amount": -100, "currency": "CNY" }, "method": "sandbox" }),
                "INVALID_AMOUNT",
                "amount",
            ),
            (
                json!({ "amount": { "amount": 1_000_000_001, "currency": "CNY" }, "method": "sandbox" }),
                "INVALID_AMOUNT",
                "amount",
            ),
            (
                json!({ "amount": { "amount": 100, "currency": "USD" }, "method": "sandbox" }),
                "UNSUPPORTED_CURRENCY",
                "amount.currency",
            ),
            (
                json!({ "amount": { "amount": 100, "currency": "XYZ" }, "method": "sandbox" }),
                "UNKNOWN_CURRENCY",
                "amount.currency",
            ),
            (
                json!({ "amount": { "amount": 100, "currency": "CNY" }, "method": "paypal" }),
                "UNKNOWN_PAYMENT_METHOD",
                "method",
            ),
        ] {
            let r = h
                .call(
                    Method::POST,
                    "/api/v1/payments",
                    Some(&token),
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
                "/api/v1/payments",
                Some(&token),
                Some(json!({ "amount": "100", "method": "sandbox" })),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
        let listed = h
            .call(Method::GET, "/api/v1/payments", Some(&token), None)
            .await;
        assert_eq!(listed.json["payments"], json!([]), "no payment was created");
        let unknown = h
            .call(
                Method::POST,
                "/api/v1/payments/notify/paypal",
                None,
                Some(json!({})),
            )
            .await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        let anonymous = h
            .call(Method::POST, "/api/v1/payments", None, Some(json!({})))
            .await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    }
);

both_backends!(alipay_page_payment_round_trip, |db: TestDb| async move {
    let h = served(db).await;
    let stand_in = AlipayStandIn::start().await;
    h.app
        .set_payment_gateway(alipay(&stand_in, AlipayProduct::Page));
    let (_, token) = h.customer("payer@example.com").await;
    let created = pay(&h, &token, "alipay", 8_888).await;
    let id = created["id"].as_str().expect("id").to_owned();
    let pay_url = created["pay_url"].as_str().expect("pay_url").to_owned();
    assert!(pay_url.starts_with(&stand_in.gateway_url), "{pay_url}");
    assert_eq!(
        stand_in.open(&pay_url).await,
        200,
        "Alipay accepts the signed link"
    );
    assert_eq!(stand_in.trade(&id).expect("trade").total, 8_888);

    // 32 concurrent deliveries of the one notify: every one is answered `success`, one
    // credits.
    let body = stand_in.pay(&id);
    let deliveries = (0..32).map(|_| {
        let stand_in = stand_in.clone();
        let (id, body) = (id.clone(), body.clone());
        tokio::spawn(async move { stand_in.deliver(&id, body).await })
    });
    for delivery in deliveries {
        assert_eq!(delivery.await.expect("task"), (200, "success".to_owned()));
    }
    assert_eq!(balance(&h, &token).await, 8_888);
    assert_eq!(credits_in_audit(&h, &id).await, 1);
    assert_eq!(
        payment(&h, &token, &id).await["trade_no"],
        json!(stand_in.trade(&id).expect("trade").trade_no)
    );

    // Forged (another key) and altered (amount changed after signing) notifies.
    let trade = stand_in.trade(&id).expect("trade");
    let (status, text) = stand_in
        .deliver(&id, stand_in.forged_notify_body(&trade))
        .await;
    assert_eq!((status, text.as_str()), (400, "failure"));
    let altered = stand_in
        .notify_body(&trade, &[])
        .replace("total_amount=88.88", "total_amount=8888.00");
    assert_eq!(stand_in.deliver(&id, altered).await.1, "failure");
    // Correctly signed but for another amount: taken, not credited, alerted.
    let mut wrong = trade.clone();
    wrong.total = 1;
    assert_eq!(
        stand_in
            .deliver(&id, stand_in.notify_body(&wrong, &[]))
            .await
            .1,
        "success"
    );
    assert_eq!(balance(&h, &token).await, 8_888);

    // A partial refund goes back through Alipay.
    let (status, refunded) = refund(&h, &token, &id, Some(888)).await;
    assert_eq!(status, StatusCode::CREATED, "{refunded}");
    assert_eq!(refunded["status"], "succeeded");
    let refund_id = refunded["id"].as_str().expect("refund id");
    assert_eq!(
        stand_in.trade(&id).expect("trade").refunds,
        vec![(refund_id.to_owned(), 888, true)]
    );
    // Its notify (Alipay sends one for refunds too) changes nothing more.
    let trade = stand_in.trade(&id).expect("trade");
    let refund_notify = stand_in.notify_body(
        &trade,
        &[
            ("refund_fee", "8.88"),
            ("gmt_refund", "2026-12-07 11:00:00"),
            ("out_biz_no", refund_id),
        ],
    );
    assert_eq!(stand_in.deliver(&id, refund_notify).await.1, "success");
    assert_eq!(balance(&h, &token).await, 8_000);
    ledger_balances(&h).await;

    // The day's bill (GBK CSV in a zip) matches the ledger: the payment and the refund.
    let (_, finance) = h.staff("finance2@example.com", "finance").await;
    let day = yuming_app::billing::gateways::alipay::china_time(h.app.now().0)[..10].to_owned();
    let r = h
        .call(
            Method::POST,
            "/api/v1/admin/payments/reconcile",
            Some(&finance),
            Some(json!({ "gateway": "alipay", "date": day })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(r.json["matched"], 2, "{}", r.json);
    assert_eq!(r.json["mismatches"], json!([]));
    let kinds = alert_kinds(&h).await;
    assert!(
        kinds.iter().filter(|k| *k == "forged_notify").count() == 2,
        "{kinds:?}"
    );
    assert!(kinds.contains(&"amount_mismatch".to_owned()), "{kinds:?}");
    assert_eq!(
        stand_in.refused(),
        0,
        "every request the platform signed verified"
    );
    let customer = h
        .call(
            Method::GET,
            "/api/v1/admin/payments/alerts",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(customer.status, StatusCode::FORBIDDEN);
});

both_backends!(
    alipay_refund_notify_before_payment_notify,
    |db: TestDb| async move {
        let h = served(db).await;
        let stand_in = AlipayStandIn::start().await;
        h.app
            .set_payment_gateway(alipay(&stand_in, AlipayProduct::Qr));
        let (_, token) = h.customer("payer@example.com").await;
        let created = pay(&h, &token, "alipay", 5_000).await;
        let id = created["id"].as_str().expect("id").to_owned();
        assert!(
            created["qr_code"]
                .as_str()
                .expect("qr")
                .starts_with("https://qr.alipay.com/")
        );
        let pay_notify = stand_in.pay(&id);
        // The merchant refunded 10 yuan in Alipay's own console; that notify arrives first.
        let trade = stand_in.trade(&id).expect("trade");
        let refund_first = stand_in.notify_body(
            &trade,
            &[
                ("refund_fee", "10.00"),
                ("gmt_refund", "2026-12-07 10:30:00"),
                ("out_biz_no", "HZ01RF001"),
            ],
        );
        assert_eq!(stand_in.deliver(&id, refund_first).await.1, "success");
        assert_eq!(
            balance(&h, &token).await,
            5_000,
            "a refund implies the payment: booked once"
        );
        assert_eq!(stand_in.deliver(&id, pay_notify).await.1, "success");
        assert_eq!(
            balance(&h, &token).await,
            5_000,
            "the late payment notify credits nothing more"
        );
        assert!(
            alert_kinds(&h)
                .await
                .contains(&"external_refund".to_owned())
        );
        ledger_balances(&h).await;
    }
);

both_backends!(wechat_native_payment_round_trip, |db: TestDb| async move {
    let h = served(db).await;
    let stand_in = WechatStandIn::start().await;
    h.app.set_payment_gateway(wechat(&stand_in));
    let (_, token) = h.customer("payer@example.com").await;
    let created = pay(&h, &token, "wechat", 12_345).await;
    let id = created["id"].as_str().expect("id").to_owned();
    assert!(
        created["qr_code"]
            .as_str()
            .expect("code_url")
            .starts_with("weixin://wxpay/")
    );

    let notify = stand_in.pay(&id);
    let deliveries = (0..32).map(|_| {
        let (stand_in, id, notify) = (stand_in.clone(), id.clone(), notify.clone());
        tokio::spawn(async move { stand_in.deliver(&id, &notify).await.0 })
    });
    for delivery in deliveries {
        assert_eq!(delivery.await.expect("task"), 204);
    }
    assert_eq!(balance(&h, &token).await, 12_345);
    assert_eq!(credits_in_audit(&h, &id).await, 1);
    let (status, text) = stand_in
        .deliver(&id, &stand_in.forged_pay_notify(&id))
        .await;
    assert_eq!(status, 400);
    assert_eq!(
        serde_json::from_str::<Value>(&text).expect("json")["code"],
        "FAIL"
    );

    // WeChat Pay accepts a refund as PROCESSING; its notify settles it.
    let (status, refunded) = refund(&h, &token, &id, Some(2_345)).await;
    assert_eq!(status, StatusCode::CREATED, "{refunded}");
    assert_eq!(refunded["status"], "pending");
    assert_eq!(
        balance(&h, &token).await,
        10_000,
        "held while the refund is on its way"
    );
    let refund_id = refunded["id"].as_str().expect("id").to_owned();
    stand_in.complete_refund(&refund_id);
    let notify = stand_in.refund_notify(&id, &refund_id, 2_345, "SUCCESS");
    assert_eq!(stand_in.deliver(&id, &notify).await.0, 204);
    let refunds = h
        .call(
            Method::GET,
            &format!("/api/v1/payments/{id}/refunds"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(refunds.json[0]["status"], "succeeded", "{}", refunds.json);

    // A refund the gateway reports abnormal puts the money back on the balance.
    let (_, second) = refund(&h, &token, &id, Some(1_000)).await;
    let second_id = second["id"].as_str().expect("id").to_owned();
    let notify = stand_in.refund_notify(&id, &second_id, 1_000, "ABNORMAL");
    assert_eq!(stand_in.deliver(&id, &notify).await.0, 204);
    assert_eq!(balance(&h, &token).await, 10_000);
    assert_eq!(payment(&h, &token, &id).await["refunded"]["amount"], 2_345);
    ledger_balances(&h).await;

    let (_, finance) = h.staff("finance2@example.com", "finance").await;
    let day = yuming_app::billing::gateways::alipay::china_time(h.app.now().0)[..10].to_owned();
    let r = h
        .call(
            Method::POST,
            "/api/v1/admin/payments/reconcile",
            Some(&finance),
            Some(json!({ "gateway": "wechat", "date": day })),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.json);
    assert_eq!(r.json["mismatches"], json!([]), "{}", r.json);
    assert_eq!(r.json["matched"], 2);
    assert_eq!(stand_in.refused(), 0);
});

both_backends!(
    lost_notifies_and_unpaid_payments_are_settled_by_querying,
    |db: TestDb| async move {
        let h = served(db).await;
        let stand_in = AlipayStandIn::start().await;
        h.app
            .set_payment_gateway(alipay(&stand_in, AlipayProduct::Qr));
        let (_, token) = h.customer("payer@example.com").await;
        let paid = pay(&h, &token, "alipay", 2_000).await["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let unpaid = pay(&h, &token, "alipay", 3_000).await["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let _ = stand_in.pay(&paid); // paid, but the notify never arrives

        h.clock.advance_secs(payments::QUERY_AFTER_SECS + 1);
        let report = payments::settle(&h.app).await.expect("settle");
        assert_eq!(report.credited, 1);
        assert_eq!(balance(&h, &token).await, 2_000);
        assert_eq!(
            payment(&h, &token, &unpaid).await["status"],
            "pending",
            "not expired yet"
        );

        h.clock.advance_secs(payments::PAYMENT_TTL_SECS);
        let report = payments::settle(&h.app).await.expect("settle");
        assert_eq!(report.closed, 1);
        assert_eq!(payment(&h, &token, &unpaid).await["status"], "closed");
        assert_eq!(
            stand_in.trade(&unpaid).expect("trade").status,
            "TRADE_CLOSED",
            "closed at Alipay too"
        );

        // A gateway that does not answer: the payment stays pending, nothing is credited.
        h.app.set_payment_gateway(Arc::new(
            Alipay::new(AlipayConfig {
                app_id: stand_in.app_id.clone(),
                gateway_url: "http://127.0.0.1:9/gateway.do".into(),
                private_key: stand_in.merchant_private_key().to_owned(),
                alipay_public_key: stand_in.alipay_public_key().to_owned(),
                product: AlipayProduct::Qr,
                timeout: Duration::from_secs(2),
            })
            .expect("gateway"),
        ));
        let r = h
            .call(
                Method::POST,
                "/api/v1/payments",
                Some(&token),
                Some(json!({ "amount": { "amount": 100, "currency": "CNY" }, "method": "alipay" })),
            )
            .await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.json);
        assert_eq!(r.code(), "PAYMENT_GATEWAY_UNAVAILABLE");
        let listed = h
            .call(Method::GET, "/api/v1/payments", Some(&token), None)
            .await;
        assert_eq!(listed.json["payments"][0]["status"], "pending");
        ledger_balances(&h).await;
    }
);

both_backends!(
    a_notify_stored_before_a_crash_is_applied_once,
    |db: TestDb| async move {
        let h = served(db).await;
        let (_, token) = h.customer("payer@example.com").await;
        let id = pay(&h, &token, "sandbox", 4_200).await["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let sandbox = h.app.sandbox_gateway().expect("sandbox");
        let body = json!({ "out_trade_no": id, "trade_no": "SBX1", "status": "paid", "amount": 4_200, "currency": "CNY" }).to_string();
        let (timestamp, signature) = sandbox.sign(body.as_bytes());
        // The process died after storing the notify and before processing it.
        let mut tx = h.app.db().write().await.expect("tx");
        tx.insert_payment_notification(&yuming_store::PaymentNotificationRow {
            id: "pnt_crashed".into(),
            gateway: "sandbox".into(),
            headers: json!({ "sandbox-timestamp": timestamp, "sandbox-signature": signature })
                .to_string(),
            body: body.into_bytes(),
            payment_id: None,
            outcome: "received".into(),
            detail: String::new(),
            received_at: h.app.now().0,
            processed_at: None,
        })
        .await
        .expect("insert");
        tx.commit().await.expect("commit");
        h.clock.advance_secs(61);
        let report = payments::settle(&h.app).await.expect("settle");
        assert_eq!(report.notifies, 1);
        assert_eq!(balance(&h, &token).await, 4_200);
        let report = payments::settle(&h.app).await.expect("settle");
        assert_eq!(report.notifies, 0, "processed once");
        assert_eq!(balance(&h, &token).await, 4_200);
        // Half a year later the processed notify's raw body is purged; the payment stays.
        assert_eq!(credits_in_audit(&h, &id).await, 1);
        h.clock.advance_days(179);
        yuming_app::platform::idempotency::purge_ephemeral(&h.app)
            .await
            .expect("purge");
        assert_eq!(credits_in_audit(&h, &id).await, 1, "kept for 180 days");
        h.clock.advance_days(2);
        yuming_app::platform::idempotency::purge_ephemeral(&h.app)
            .await
            .expect("purge");
        assert_eq!(credits_in_audit(&h, &id).await, 0, "purged after 180 days");
        let token = h.login("payer@example.com").await;
        assert_eq!(payment(&h, &token, &id).await["status"], "paid");
    }
);

both_backends!(
    yesterdays_bills_are_reconciled_once_when_ready,
    |db: TestDb| async move {
        let h = served(db).await;
        let (_, token) = h.customer("payer@example.com").await;
        // 2026-01-01 08:00 China time.
        let id = pay(&h, &token, "sandbox", 1_500).await["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let sandbox = h.app.sandbox_gateway().expect("sandbox");
        sandbox
            .decide(&id, SandboxDecision::Approve)
            .await
            .expect("decide");
        assert_eq!(balance(&h, &token).await, 1_500);
        h.clock.advance_secs(24 * 3600);
        assert!(
            payments::reconcile_due(&h.app, "a")
                .await
                .expect("run")
                .is_empty(),
            "08:00: bills not ready"
        );
        h.clock.advance_secs(2 * 3600 + 60);
        let done = payments::reconcile_due(&h.app, "a").await.expect("run");
        assert_eq!(done.len(), 1);
        assert_eq!(done[0].0, "sandbox");
        assert_eq!(done[0].1.matched, 1);
        assert!(done[0].1.mismatches.is_empty(), "{:?}", done[0].1);
        assert!(
            payments::reconcile_due(&h.app, "a")
                .await
                .expect("run")
                .is_empty(),
            "once per day"
        );
        assert!(
            payments::reconcile_due(&h.app, "b")
                .await
                .expect("run")
                .is_empty(),
            "by one instance"
        );
        // Finance sees the day's result (not only differences) and the payment in the list
        // of every customer's payments.
        let finance = yuming_test_support::fixtures::staff(
            &h.app,
            "books@example.com",
            yuming_core::access::Role::Finance,
        )
        .await;
        let kept = payments::reconciliations(&h.app, &finance, 10)
            .await
            .expect("reconciliations");
        assert_eq!(kept.len(), 1, "{kept:?}");
        assert_eq!(
            (
                kept[0].gateway.as_str(),
                kept[0].day.as_str(),
                kept[0].matched
            ),
            ("sandbox", "2026-01-01", 1)
        );
        assert!(kept[0].mismatches.is_empty());
        let (latest, _) = payments::latest(&h.app, &finance, Some("paid"), 10)
            .await
            .expect("latest");
        assert_eq!(latest.len(), 1);
        assert_eq!(latest[0].id, id);
        let (pending, _) = payments::latest(&h.app, &finance, Some("pending"), 10)
            .await
            .expect("latest");
        assert!(pending.is_empty());
        let customer = yuming_test_support::fixtures::login(&h.app, "payer@example.com").await;
        assert!(
            payments::reconciliations(&h.app, &customer, 10)
                .await
                .is_err()
        );
    }
);
