//! Invoices of paid top-ups: asked for once per payment, issued with a PDF or rejected
//! (which frees the payments), company tax ids checked, refunds of invoiced money refused.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use yuming_app::billing::gateways::sandbox::SandboxDecision;
use yuming_test_support::{TestDb, both_backends, pdf_text, test_settings};

use crate::harness::Harness;

/// A customer who paid `fen` through the sandbox gateway (a real payment, so that its money
/// is invoiceable and refundable).
async fn paid(h: &Harness, token: &str, fen: i64) -> String {
    let r = h
        .call(
            Method::POST,
            "/api/v1/payments",
            Some(token),
            Some(json!({ "amount": { "amount": fen, "currency": "CNY" }, "method": "sandbox" })),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.json);
    let id = r.json["id"].as_str().expect("id").to_owned();
    // The settling job learns the payment from the sandbox, as it would after a lost notify.
    h.app
        .sandbox_gateway()
        .expect("sandbox")
        .decide(&id, SandboxDecision::Approve)
        .await
        .expect("approve");
    h.clock
        .advance_secs(yuming_app::billing::payments::QUERY_AFTER_SECS + 1);
    yuming_app::billing::payments::settle(&h.app)
        .await
        .expect("settle");
    id
}

fn company() -> Value {
    json!({ "kind": "company", "title": "上海示例科技有限公司", "tax_id": "91110000600037341L",
            "address": "上海市浦东新区世纪大道 1 号", "phone": "021-12345678", "bank": "招商银行上海分行", "bank_account": "1219 0000 0000 001" })
}

both_backends!(paid_top_ups_are_invoiced_once, |db: TestDb| async move {
    // Nothing listens at the public URL (port 9 on loopback): the sandbox's notify is lost
    // and the settling job credits the payment.
    let h = Harness::with_settings(
        db,
        yuming_app::AppSettings {
            public_url: "http://127.0.0.1:9".into(),
            ..test_settings()
        },
    );
    let (_, finance) = h.staff("finance@example.com", "finance").await;
    let (_, token) = h.customer("buyer@example.com").await;
    let first = paid(&h, &token, 10_000).await;
    paid(&h, &token, 5_000).await;
    let open = h
        .call(
            Method::GET,
            "/api/v1/invoices/invoiceable",
            Some(&token),
            None,
        )
        .await;
    assert_eq!(open.json["total"]["amount"], 15_000, "{}", open.json);

    // A company needs a valid unified social credit code.
    let mut bad = company();
    bad["tax_id"] = json!("91110000600037341N");
    let r = h
        .call(Method::POST, "/api/v1/invoices", Some(&token), Some(bad))
        .await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::BAD_REQUEST, "INVALID_TAX_ID")
    );
    assert_eq!(r.json["error"]["field"], "tax_id");
    let r = h
        .call(
            Method::POST,
            "/api/v1/invoices",
            Some(&token),
            Some(json!({ "kind": "gift", "title": "x" })),
        )
        .await;
    assert_eq!(r.code(), "INVALID_INVOICE_KIND");
    let r = h
        .call(
            Method::POST,
            "/api/v1/invoices",
            Some(&token),
            Some(json!({ "kind": "personal", "title": "" })),
        )
        .await;
    assert_eq!(
        (r.code(), r.json["error"]["field"].clone()),
        ("INVALID_INVOICE_FIELD", json!("title"))
    );

    let asked = h
        .call(
            Method::POST,
            "/api/v1/invoices",
            Some(&token),
            Some(company()),
        )
        .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.json);
    assert_eq!(asked.json["amount"]["amount"], 15_000);
    assert_eq!(asked.json["status"], "requested");
    let id = asked.json["id"].as_str().expect("id").to_owned();
    // The same money cannot be invoiced twice.
    let again = h
        .call(
            Method::POST,
            "/api/v1/invoices",
            Some(&token),
            Some(company()),
        )
        .await;
    assert_eq!(
        (again.status, again.code()),
        (StatusCode::BAD_REQUEST, "NOTHING_TO_INVOICE")
    );
    // Invoiced money is not refunded.
    let refund = h
        .call(
            Method::POST,
            &format!("/api/v1/payments/{first}/refunds"),
            Some(&token),
            Some(json!({})),
        )
        .await;
    assert_eq!(
        (refund.status, refund.code()),
        (StatusCode::CONFLICT, "PAYMENT_INVOICED")
    );

    // Finance rejects: the payments are free again; then the customer asks again and finance
    // issues.
    let queue = h
        .call(Method::GET, "/api/v1/admin/invoices", Some(&finance), None)
        .await;
    assert_eq!(queue.json.as_array().map(Vec::len), Some(1));
    let no_reason = h
        .call(
            Method::POST,
            &format!("/api/v1/admin/invoices/{id}/reject"),
            Some(&finance),
            Some(json!({ "reason": " " })),
        )
        .await;
    assert_eq!(no_reason.code(), "REASON_REQUIRED");
    let rejected = h
        .call(
            Method::POST,
            &format!("/api/v1/admin/invoices/{id}/reject"),
            Some(&finance),
            Some(json!({ "reason": "开户行名称有误" })),
        )
        .await;
    assert_eq!(rejected.json["status"], "rejected", "{}", rejected.json);
    let late = h
        .call(
            Method::POST,
            &format!("/api/v1/admin/invoices/{id}/issue"),
            Some(&finance),
            Some(json!({ "number": "26312000000012345678" })),
        )
        .await;
    assert_eq!(
        (late.status, late.code()),
        (StatusCode::CONFLICT, "INVOICE_DECIDED")
    );
    let asked = h
        .call(
            Method::POST,
            "/api/v1/invoices",
            Some(&token),
            Some(company()),
        )
        .await;
    assert_eq!(asked.status, StatusCode::CREATED, "{}", asked.json);
    let id = asked.json["id"].as_str().expect("id").to_owned();
    let not_yet = h
        .call(
            Method::GET,
            &format!("/api/v1/invoices/{id}/pdf"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(not_yet.code(), "INVOICE_NOT_ISSUED");
    let customer_issues = h
        .call(
            Method::POST,
            &format!("/api/v1/admin/invoices/{id}/issue"),
            Some(&token),
            Some(json!({ "number": "26312000000012345678" })),
        )
        .await;
    assert_eq!(customer_issues.status, StatusCode::FORBIDDEN);
    let bad_number = h
        .call(
            Method::POST,
            &format!("/api/v1/admin/invoices/{id}/issue"),
            Some(&finance),
            Some(json!({ "number": "12AB" })),
        )
        .await;
    assert_eq!(bad_number.code(), "INVALID_INVOICE_NUMBER");
    let issued = h
        .call(
            Method::POST,
            &format!("/api/v1/admin/invoices/{id}/issue"),
            Some(&finance),
            Some(json!({ "number": "26312000000012345678" })),
        )
        .await;
    assert_eq!(issued.json["status"], "issued", "{}", issued.json);
    assert_eq!(issued.json["number"], "26312000000012345678");

    let pdf = h
        .call(
            Method::GET,
            &format!("/api/v1/invoices/{id}/pdf"),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers["content-type"], "application/pdf");
    let text = pdf_text(&pdf.body);
    for expected in [
        "26312000000012345678",
        "上海示例科技有限公司",
        "91110000600037341L",
        "150.00 CNY",
        "电子发票",
    ] {
        assert!(text.contains(expected), "{expected} missing from:\n{text}");
    }
    // Another tenant sees nothing.
    let (_, other) = h.customer("other@example.com").await;
    let hidden = h
        .call(
            Method::GET,
            &format!("/api/v1/invoices/{id}/pdf"),
            Some(&other),
            None,
        )
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    let listed = h
        .call(Method::GET, "/api/v1/invoices", Some(&token), None)
        .await;
    assert_eq!(listed.json.as_array().map(Vec::len), Some(2));
    // The buyer's details are sealed at rest.
    let mut tx = h.app.db().read().await.expect("read");
    let row = tx.invoice(&id).await.expect("row").expect("invoice");
    tx.commit().await.expect("commit");
    assert!(!String::from_utf8_lossy(&row.details).contains("上海示例"));
    assert!(!String::from_utf8_lossy(row.pdf.as_deref().unwrap_or_default()).contains("PDF"));
});
