//! `Idempotency-Key`: a retried mutating request has no second effect.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;
use yuming_test_support::{TestDb, both_backends};

use crate::harness::Harness;

fn create_key(token: &str, idempotency_key: &str, name: &str) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri("/api/v1/api-keys")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("idempotency-key", idempotency_key)
        .body(Body::from(json!({ "name": name }).to_string()))
        .expect("request")
}

both_backends!(retries_return_the_first_response, |db: TestDb| async move {
    let h = Harness::new(db);
    let (_, token) = h.customer("alice@example.com").await;
    let first = h.send(create_key(&token, "key-1", "ci")).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let audit_after_first = h.audit_count().await;
    let second = h.send(create_key(&token, "key-1", "ci")).await;
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(second.json, first.json, "identical response");
    assert_eq!(
        second
            .headers
            .get("idempotent-replayed")
            .map(|v| v.as_bytes()),
        Some(&b"true"[..])
    );
    assert_eq!(h.audit_count().await, audit_after_first, "no second effect");

    // The stored replay holds the once-shown secret, so it is kept encrypted.
    let secret = first.json["secret"].as_str().unwrap_or_default().to_owned();
    assert!(!secret.is_empty());
    let leaked =
        h.db.db
            .execute_raw(&format!(
                "UPDATE idempotency_keys SET status_code = status_code \
             WHERE CAST(response_body AS TEXT) LIKE '%{secret}%'"
            ))
            .await
            .expect("query");
    assert_eq!(leaked, 0, "the API secret is not stored in plain text");
    let stored = h
        .db
        .db
        .execute_raw(
            "UPDATE idempotency_keys SET status_code = status_code WHERE response_body IS NOT NULL",
        )
        .await
        .expect("query");
    assert!(stored >= 1, "the response is stored for replay");

    let list = h
        .call(Method::GET, "/api/v1/api-keys", Some(&token), None)
        .await;
    assert_eq!(list.json["api_keys"].as_array().map(Vec::len), Some(1));

    let reused = h.send(create_key(&token, "key-1", "other body")).await;
    assert_eq!(
        (reused.status, reused.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "IDEMPOTENCY_KEY_REUSED")
    );

    // Errors are replayed too, and a new key is a new request.
    let bad = h.send(create_key(&token, "key-2", "")).await;
    assert_eq!(bad.code(), "INVALID_NAME");
    assert_eq!(
        h.send(create_key(&token, "key-2", "")).await.code(),
        "INVALID_NAME"
    );
    assert_eq!(
        h.send(create_key(&token, "key-3", "second")).await.status,
        StatusCode::CREATED
    );

    let bad_key = h.send(create_key(&token, "has space", "x")).await;
    assert_eq!(
        (bad_key.status, bad_key.code()),
        (StatusCode::BAD_REQUEST, "INVALID_IDEMPOTENCY_KEY")
    );
});

both_backends!(keys_are_scoped_per_account, |db: TestDb| async move {
    let h = Harness::new(db);
    let (_, alice) = h.customer("alice@example.com").await;
    let (_, bob) = h.customer("bob@example.com").await;
    let a = h.send(create_key(&alice, "same", "k")).await;
    let b = h.send(create_key(&bob, "same", "k")).await;
    assert_eq!(
        (a.status, b.status),
        (StatusCode::CREATED, StatusCode::CREATED)
    );
    assert_ne!(a.json["id"], b.json["id"], "bob did not get alice's replay");
});
