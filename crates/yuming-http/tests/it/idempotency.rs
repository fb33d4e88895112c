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

both_backends!(
    a_key_that_is_not_ascii_is_refused,
    |db: TestDb| async move {
        let h = Harness::new(db);
        let (_, token) = h.customer("alice@example.com").await;
        let audit_before = h.audit_count().await;
        let mut request = create_key(&token, "placeholder", "ci");
        request.headers_mut().insert(
            "idempotency-key",
            axum::http::HeaderValue::from_bytes("键-1".as_bytes()).expect("header bytes"),
        );
        let refused = h.send(request).await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::BAD_REQUEST, "INVALID_IDEMPOTENCY_KEY")
        );
        assert_eq!(refused.json["error"]["field"], "Idempotency-Key");
        assert_eq!(h.audit_count().await, audit_before, "nothing ran");
    }
);

fn renew(token: &str, key: &str, client_request_id: Option<&str>) -> Request<Body> {
    let mut builder = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/domains/crash-test.com/renew")
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", "application/json")
        .header("idempotency-key", key);
    if let Some(id) = client_request_id {
        builder = builder.header("x-request-id", id);
    }
    builder
        .body(Body::from(json!({ "years": 1 }).to_string()))
        .expect("request")
}

async fn balance(h: &Harness, token: &str) -> i64 {
    h.call(Method::GET, "/api/v1/account/balance", Some(token), None)
        .await
        .json["balance"]["amount"]
        .as_i64()
        .unwrap_or(-1)
}

// The crash window, in process: the renewal committed, the process died before its response
// was stored (simulated by removing the stored response), and the client retries after the
// stale window. The retry must replay the committed effect, never renew (and charge) again.
// crates/yuming/tests/crash.rs does the same with the real binary and kill -9.
both_backends!(
    a_committed_effect_is_replayed_after_a_crash,
    |db: TestDb| async move {
        let h = Harness::new(db);
        let (alice_id, alice) = h.customer("alice@example.com").await;
        let contact = h.fund_and_contact(&alice_id, &alice, 50_000).await;
        let registered = h
            .call(
                Method::POST,
                "/api/v1/domains",
                Some(&alice),
                Some(
                    json!({"name": "crash-test.com", "years": 1, "registrant_contact_id": contact}),
                ),
            )
            .await;
        assert_eq!(
            registered.status,
            StatusCode::CREATED,
            "{}",
            registered.json
        );
        let before = balance(&h, &alice).await;

        let first = h.send(renew(&alice, "renew-1", None)).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.json);
        let charged = before - balance(&h, &alice).await;
        assert!(charged > 0, "the renewal was charged");
        let lost = h
        .db
        .db
        .execute_raw("UPDATE idempotency_keys SET status_code = NULL, response_body = NULL WHERE idem_key = 'renew-1'")
        .await
        .expect("simulate the crash");
        assert_eq!(lost, 1);

        // Inside the stale window the request might still be running: 409, try again.
        let early = h.send(renew(&alice, "renew-1", None)).await;
        assert_eq!(
            (early.status, early.code()),
            (StatusCode::CONFLICT, "IDEMPOTENCY_KEY_IN_PROGRESS")
        );

        h.clock.advance_secs(600);
        let audit_before_retry = h.audit_count().await;
        let retry = h.send(renew(&alice, "renew-1", None)).await;
        assert_eq!(retry.status, StatusCode::OK, "{}", retry.json);
        assert_eq!(
            retry
                .headers
                .get("idempotent-replayed")
                .map(|v| v.as_bytes()),
            Some(&b"true"[..])
        );
        let replay = &retry.json["idempotent_replay"];
        assert_eq!(replay["status"], "committed", "{}", retry.json);
        assert_eq!(replay["effect"]["object_type"], "domain", "{}", retry.json);
        assert!(
            replay["request_id"]
                .as_str()
                .is_some_and(|id| !id.is_empty())
        );
        assert_eq!(balance(&h, &alice).await, before - charged, "charged once");
        assert_eq!(
            h.audit_count().await,
            audit_before_retry,
            "no second effect"
        );

        // A request that fails changes nothing and marks nothing: its key may be retried.
        let unknown = Request::builder()
            .method(Method::POST)
            .uri("/api/v1/domains/not-mine.com/renew")
            .header("authorization", format!("Bearer {alice}"))
            .header("content-type", "application/json")
            .header("idempotency-key", "renew-2")
            .body(Body::from(json!({ "years": 1 }).to_string()))
            .expect("request");
        let failed = h.send(unknown).await;
        assert!(failed.status.is_client_error(), "{}", failed.json);
        let marked =
            h.db.db
                .execute_raw(
                    "UPDATE idempotency_keys SET effect_at = effect_at WHERE effect_at IS NOT NULL",
                )
                .await
                .expect("query");
        assert_eq!(marked, 1, "only the renewal's key carries an effect");
    }
);

both_backends!(
    a_client_request_id_is_kept_beside_ours,
    |db: TestDb| async move {
        let h = Harness::new(db);
        let (_, token) = h.customer("alice@example.com").await;
        let mut request = create_key(&token, "with-their-id", "ci");
        request.headers_mut().insert(
            "x-request-id",
            axum::http::HeaderValue::from_static("their-trace-42"),
        );
        let created = h.send(request).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
        let ours = created
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        assert!(!ours.is_empty() && ours != "their-trace-42", "{ours}");

        let audit = h
            .call(Method::GET, "/api/v1/audit", Some(&token), None)
            .await;
        assert_eq!(audit.status, StatusCode::OK, "{}", audit.json);
        let entry = audit.json["entries"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|e| e["action"] == "api_key.create")
            .cloned()
            .unwrap_or_default();
        assert_eq!(entry["request_id"], ours.as_str(), "{}", audit.json);
        assert_eq!(
            entry["client_request_id"], "their-trace-42",
            "{}",
            audit.json
        );
        // The chain covers the client's id too and still verifies.
        assert!(h.audit_count().await > 0);
    }
);
