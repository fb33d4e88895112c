//! Bank transfer top-ups: references, statement import with exact, partial, over- and
//! unreferenced payments, re-imports that credit nothing twice, and lines assigned by hand.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use yuming_app::AppSettings;
use yuming_app::billing::bank::BankAccount;
use yuming_test_support::{TestDb, both_backends, test_settings};

use crate::harness::{Harness, Reply};

fn with_bank(db: TestDb) -> Harness {
    Harness::with_settings(
        db,
        AppSettings {
            bank_account: Some(BankAccount {
                account_name: "域名科技有限公司".into(),
                bank_name: "招商银行北京分行".into(),
                account_number: "110900000010201".into(),
            }),
            ..test_settings()
        },
    )
}

async fn announce(h: &Harness, token: &str, fen: i64) -> Value {
    let r = h
        .call(
            Method::POST,
            "/api/v1/payments/bank-transfers",
            Some(token),
            Some(json!({ "amount": { "amount": fen, "currency": "CNY" } })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    r.json
}

async fn import(h: &Harness, token: &str, csv: &[u8]) -> Reply {
    h.send(
        Request::post("/api/v1/admin/bank-statements")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "text/csv")
            .body(Body::from(csv.to_vec()))
            .expect("request"),
    )
    .await
}

async fn balance(h: &Harness, token: &str) -> i64 {
    let r = h
        .call(Method::GET, "/api/v1/account/balance", Some(token), None)
        .await;
    r.json["balance"]["amount"].as_i64().expect("balance")
}

both_backends!(
    bank_statements_credit_by_reference_once,
    |db: TestDb| async move {
        let h = with_bank(db);
        let (_, finance) = h.staff("finance@example.com", "finance").await;
        let (_, exact) = h.customer("exact@example.com").await;
        let (_, short) = h.customer("short@example.com").await;
        let (over_id, over) = h.customer("over@example.com").await;

        let first = announce(&h, &exact, 100_000).await;
        assert_eq!(first["status"], "awaiting");
        assert_eq!(first["payee"]["account_number"], "110900000010201");
        let reference = first["reference"].as_str().expect("reference").to_owned();
        assert!(
            reference.starts_with("YM") && reference.len() == 11,
            "{reference}"
        );
        let second = announce(&h, &short, 50_000).await;
        let third = announce(&h, &over, 20_000).await;
        assert_ne!(second["reference"], third["reference"]);
        let mut typo = reference.clone().into_bytes();
        typo[4] = if typo[4] == b'0' { b'1' } else { b'0' };
        let typo = String::from_utf8(typo).expect("ascii");

        let csv = format!(
            "交易流水号,交易日期,借方金额,贷方金额,对方户名,对方账号,附言\n\
             T1,2026-12-01,,\"1,000.00\",甲公司,6222000000000001,货款 {}\n\
             T2,2026-12-01,,300.00,乙公司,6222000000000002,{}\n\
             T3,2026-12-02,,250.00,丙公司,6222000000000003,充值{}谢谢\n\
             T4,2026-12-02,,88.00,丁某,6222000000000004,域名费\n\
             T5,2026-12-02,,66.00,戊某,6222000000000005,{typo}\n\
             T6,2026-12-02,12.00,,本公司,1,手续费\n",
            reference.to_lowercase(),
            second["reference"].as_str().expect("reference"),
            third["reference"].as_str().expect("reference"),
        );
        let imported = import(&h, &finance, csv.as_bytes()).await;
        assert_eq!(imported.status, StatusCode::OK, "{}", imported.json);
        assert_eq!(
            imported.json,
            json!({ "lines": 5, "duplicates": 0, "matched": 3, "partial": 1, "over": 1, "unmatched": 2 })
        );
        assert_eq!(balance(&h, &exact).await, 100_000);
        assert_eq!(
            balance(&h, &short).await,
            30_000,
            "a partial payment is credited"
        );
        assert_eq!(
            balance(&h, &over).await,
            25_000,
            "an over-payment is credited in full"
        );
        let listed = h
            .call(
                Method::GET,
                "/api/v1/payments/bank-transfers",
                Some(&short),
                None,
            )
            .await;
        assert_eq!(listed.json[0]["status"], "partly_received");
        assert_eq!(listed.json[0]["received"]["amount"], 30_000);
        let alerts = h
            .call(
                Method::GET,
                "/api/v1/admin/payments/alerts",
                Some(&finance),
                None,
            )
            .await;
        assert_eq!(alerts.json[0]["kind"], "over_payment", "{}", alerts.json);

        // The same statement again (and a GBK export of it) credits nothing more.
        let again = import(&h, &finance, csv.as_bytes()).await;
        assert_eq!(again.json["duplicates"], 5, "{}", again.json);
        assert_eq!(again.json["matched"], 0);
        let (gbk, _, _) = encoding_rs::GBK.encode(&csv);
        let again = import(&h, &finance, &gbk).await;
        assert_eq!(again.json["duplicates"], 5, "{}", again.json);
        assert_eq!(balance(&h, &exact).await, 100_000);

        // The lines without a reference wait for finance, payer shown to them alone.
        let open = h
            .call(
                Method::GET,
                "/api/v1/admin/bank-statements/lines?status=unmatched",
                Some(&finance),
                None,
            )
            .await;
        assert_eq!(open.status, StatusCode::OK, "{}", open.json);
        let open = open.json.as_array().expect("lines").clone();
        assert_eq!(open.len(), 2);
        let line = open
            .iter()
            .find(|l| l["txn_id"] == "T4")
            .expect("T4 unmatched");
        assert_eq!(line["payer_name"], "丁某");
        let assign = format!(
            "/api/v1/admin/bank-statements/lines/{}/assign",
            line["id"].as_str().expect("id")
        );
        let nobody = h
            .call(
                Method::POST,
                &assign,
                Some(&finance),
                Some(json!({ "account_id": "acc_nobody" })),
            )
            .await;
        assert_eq!(nobody.status, StatusCode::BAD_REQUEST, "{}", nobody.json);
        assert_eq!(nobody.json["error"]["field"], "account_id");
        let assigned = h
            .call(
                Method::POST,
                &assign,
                Some(&finance),
                Some(json!({ "account_id": over_id })),
            )
            .await;
        assert_eq!(assigned.status, StatusCode::NO_CONTENT, "{}", assigned.json);
        assert_eq!(balance(&h, &over).await, 25_000 + 8_800);
        let twice = h
            .call(
                Method::POST,
                &assign,
                Some(&finance),
                Some(json!({ "account_id": over_id })),
            )
            .await;
        assert_eq!(twice.status, StatusCode::CONFLICT);

        // Customers import nothing and see no lines; bank money is invoiceable.
        let refused = import(&h, &exact, csv.as_bytes()).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        let hidden = h
            .call(
                Method::GET,
                "/api/v1/admin/bank-statements/lines",
                Some(&exact),
                None,
            )
            .await;
        assert_eq!(hidden.status, StatusCode::FORBIDDEN);
        let invoiceable = h
            .call(
                Method::GET,
                "/api/v1/invoices/invoiceable",
                Some(&exact),
                None,
            )
            .await;
        assert_eq!(
            invoiceable.json["total"]["amount"], 100_000,
            "{}",
            invoiceable.json
        );
        let foreign = h
            .call(
                Method::GET,
                &format!(
                    "/api/v1/payments/bank-transfers/{}",
                    first["id"].as_str().expect("id")
                ),
                Some(&short),
                None,
            )
            .await;
        assert_eq!(foreign.status, StatusCode::NOT_FOUND);
        for (currency, sum) in yuming_app::billing::ledger_sums(&h.app)
            .await
            .expect("sums")
        {
            assert_eq!(sum, 0, "the {currency} ledger does not sum to zero");
        }
    }
);

both_backends!(bank_transfers_refuse_bad_input, |db: TestDb| async move {
    let h = with_bank(db);
    let (_, finance) = h.staff("finance@example.com", "finance").await;
    let (_, token) = h.customer("c@example.com").await;
    for (body, field) in [
        (
            json!({ "amount": { "amount": 0, "currency": "CNY" } }),
            "amount",
        ),
        (
            json!({ "amount": { "amount": 100, "currency": "USD" } }),
            "amount.currency",
        ),
        (
            json!({ "amount": { "amount": 100, "currency": "XYZ" } }),
            "amount.currency",
        ),
    ] {
        let r = h
            .call(
                Method::POST,
                "/api/v1/payments/bank-transfers",
                Some(&token),
                Some(body.clone()),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.json);
        assert_eq!(r.json["error"]["field"], field, "{body}: {}", r.json);
    }
    for csv in [
        "".as_bytes(),
        b"txn_id,amount\nT1,1.00\n",
        b"txn_id,booked_on,amount,payer_name,payer_account,memo\nT1,d,1.001,x,y,z\n",
        b"txn_id,booked_on,amount,payer_name,payer_account,memo\n\"T1,d,1,x,y,z\n",
    ] {
        let r = import(&h, &finance, csv).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
        assert_eq!(r.json["error"]["code"], "INVALID_STATEMENT");
    }
    let bad_status = h
        .call(
            Method::GET,
            "/api/v1/admin/bank-statements/lines?status=lost",
            Some(&finance),
            None,
        )
        .await;
    assert_eq!(bad_status.status, StatusCode::BAD_REQUEST);
});

both_backends!(
    bank_transfer_is_offered_only_with_an_account,
    |db: TestDb| async move {
        let plain = Harness::new(db);
        let (_, other) = plain.customer("d@example.com").await;
        let r = plain
            .call(
                Method::POST,
                "/api/v1/payments/bank-transfers",
                Some(&other),
                Some(json!({ "amount": { "amount": 100, "currency": "CNY" } })),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.json);
        assert_eq!(r.json["error"]["code"], "UNKNOWN_PAYMENT_METHOD");
    }
);
