//! Webhook endpoints over HTTP: the secret appears once, structured errors, another tenant's
//! endpoint is 404, the routes are in the API document.

use axum::http::{Method, StatusCode};
use serde_json::json;
use yuming_test_support::{TestDb, both_backends};

use crate::harness::Harness;

both_backends!(webhook_endpoints_over_http, |db: TestDb| async move {
    let h = Harness::new(db);
    let (_, alice) = h.customer("alice@example.com").await;
    let (_, bob) = h.customer("bob@example.com").await;

    let created = h
        .call(
            Method::POST,
            "/api/v1/webhooks",
            Some(&alice),
            Some(json!({"url": "https://hooks.example.com/yuming", "kinds": ["low_balance", "expiry_reminder"]})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let secret = created.json["secret"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(secret.starts_with("whsec_"));
    let id = created.json["webhook"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(created.json["webhook"]["enabled"], true);

    // Never again: not in the list, not in the endpoint.
    let list = h
        .call(Method::GET, "/api/v1/webhooks", Some(&alice), None)
        .await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(list.json["webhooks"].as_array().map(Vec::len), Some(1));
    let one = h
        .call(
            Method::GET,
            &format!("/api/v1/webhooks/{id}"),
            Some(&alice),
            None,
        )
        .await;
    for text in [list.json.to_string(), one.json.to_string()] {
        assert!(
            !text.contains(&secret) && !text.contains("secret"),
            "{text}"
        );
    }

    for (body, code, field) in [
        (json!({"url": "gopher://x"}), "INVALID_WEBHOOK_URL", "url"),
        (
            json!({"url": "http://192.168.1.10/hook"}),
            "WEBHOOK_URL_PRIVATE",
            "url",
        ),
        (
            json!({"url": "https://example.com/", "kinds": ["nope"]}),
            "UNKNOWN_NOTICE_KIND",
            "kinds[0]",
        ),
    ] {
        let bad = h
            .call(Method::POST, "/api/v1/webhooks", Some(&alice), Some(body))
            .await;
        assert_eq!((bad.status, bad.code()), (StatusCode::BAD_REQUEST, code));
        assert_eq!(bad.json["error"]["field"], field, "{}", bad.json);
        assert!(bad.json["error"]["message_zh"].is_string());
    }

    for (method, path) in [
        (Method::GET, format!("/api/v1/webhooks/{id}")),
        (Method::DELETE, format!("/api/v1/webhooks/{id}")),
        (Method::POST, format!("/api/v1/webhooks/{id}/rotate-secret")),
        (Method::GET, format!("/api/v1/webhooks/{id}/deliveries")),
    ] {
        let reply = h.call(method, &path, Some(&bob), None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}");
    }

    let rotated = h
        .call(
            Method::POST,
            &format!("/api/v1/webhooks/{id}/rotate-secret"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK);
    assert_ne!(rotated.json["secret"], json!(secret));
    let log = h
        .call(
            Method::GET,
            &format!("/api/v1/webhooks/{id}/deliveries"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(log.status, StatusCode::OK);
    assert_eq!(log.json["deliveries"], json!([]));
    let gone = h
        .call(
            Method::DELETE,
            &format!("/api/v1/webhooks/{id}"),
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);

    // The low-balance threshold sits with the account's other notice settings.
    let threshold = h
        .call(
            Method::GET,
            "/api/v1/account/low-balance-threshold",
            Some(&alice),
            None,
        )
        .await;
    assert_eq!(threshold.json, json!({"amount": 5000, "currency": "CNY"}));
    let set = h
        .call(
            Method::PUT,
            "/api/v1/account/low-balance-threshold",
            Some(&alice),
            Some(json!({"amount": 20000})),
        )
        .await;
    assert_eq!(
        (set.status, set.json["amount"].clone()),
        (StatusCode::OK, json!(20000))
    );
    let bad = h
        .call(
            Method::PUT,
            "/api/v1/account/low-balance-threshold",
            Some(&alice),
            Some(json!({"amount": -5})),
        )
        .await;
    assert_eq!(
        (bad.status, bad.code()),
        (StatusCode::BAD_REQUEST, "INVALID_THRESHOLD")
    );

    let doc = h
        .call(Method::GET, "/api/openapi.json", None, None)
        .await
        .json;
    for path in [
        "/api/v1/webhooks",
        "/api/v1/webhooks/{id}/rotate-secret",
        "/api/v1/webhooks/{id}/deliveries/{delivery_id}/retry",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
});
