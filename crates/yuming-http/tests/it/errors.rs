//! Bad input gets the documented 4xx envelope, never a 500, and writes nothing.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;
use yuming_test_support::{TestDb, both_backends};

use crate::harness::Harness;

both_backends!(
    malformed_requests_get_the_error_envelope,
    |db: TestDb| async move {
        let h = Harness::new(db);
        let (_, token) = h.customer("alice@example.com").await;
        let before = h.audit_count().await;

        let raw = |path: &str, content_type: &str, body: &str| {
            Request::builder()
                .method(Method::POST)
                .uri(path)
                .header("content-type", content_type)
                .body(Body::from(body.to_owned()))
                .expect("request")
        };
        let cases: Vec<(Request<Body>, StatusCode, &str, Option<&str>)> = vec![
            (
                raw("/api/v1/auth/signup", "application/json", "{\"email\": "),
                StatusCode::BAD_REQUEST,
                "INVALID_JSON",
                None,
            ),
            (
                raw("/api/v1/auth/signup", "application/json", "[1,2]"),
                StatusCode::BAD_REQUEST,
                "INVALID_FIELD",
                None,
            ),
            (
                raw(
                    "/api/v1/auth/signup",
                    "application/json",
                    r#"{"email":"a@b.cn","password":"correct horse","display_name":"x","admin":true}"#,
                ),
                StatusCode::BAD_REQUEST,
                "UNKNOWN_FIELD",
                Some("admin"),
            ),
            (
                raw(
                    "/api/v1/auth/signup",
                    "application/json",
                    r#"{"email":"a@b.cn","password":123,"display_name":"x"}"#,
                ),
                StatusCode::BAD_REQUEST,
                "INVALID_FIELD",
                Some("password"),
            ),
            (
                raw(
                    "/api/v1/auth/signup",
                    "application/json",
                    r#"{"email":"a@b.cn","display_name":"x"}"#,
                ),
                StatusCode::BAD_REQUEST,
                "MISSING_FIELD",
                Some("password"),
            ),
            (
                raw(
                    "/api/v1/auth/signup",
                    "application/json",
                    r#"{"email":"a@b.cn","password":"correct horse","display_name":"x"} trailing"#,
                ),
                StatusCode::BAD_REQUEST,
                "INVALID_JSON",
                None,
            ),
            (
                raw(
                    "/api/v1/auth/signup",
                    "text/plain",
                    r#"{"email":"a@b.cn","password":"correct horse","display_name":"x"}"#,
                ),
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                None,
            ),
            (
                raw(
                    "/api/v1/auth/signup",
                    "application/json",
                    &format!(
                        r#"{{"email":"a@b.cn","password":"{}","display_name":"x"}}"#,
                        "p".repeat(70_000)
                    ),
                ),
                StatusCode::PAYLOAD_TOO_LARGE,
                "PAYLOAD_TOO_LARGE",
                None,
            ),
            (
                raw(
                    "/api/v1/auth/signup",
                    "application/json",
                    r#"{"email":"x'); DROP TABLE accounts; --@a.cn","password":"correct horse","display_name":"x"}"#,
                ),
                StatusCode::BAD_REQUEST,
                "INVALID_EMAIL",
                Some("email"),
            ),
            (
                raw(
                    "/api/v1/auth/signup",
                    "application/json",
                    "{\"email\":\"c@d.cn\",\"password\":\"correct horse\",\"display_name\":\"a\\u0000b\"}",
                ),
                StatusCode::BAD_REQUEST,
                "INVALID_DISPLAY_NAME",
                Some("display_name"),
            ),
            (
                raw(
                    "/api/v1/auth/login",
                    "application/json",
                    r#"{"email":"' OR 1=1 --","password":"x"}"#,
                ),
                StatusCode::UNAUTHORIZED,
                "INVALID_CREDENTIALS",
                None,
            ),
            (
                raw("/api/v1/no-such-thing", "application/json", "{}"),
                StatusCode::NOT_FOUND,
                "NOT_FOUND",
                None,
            ),
            (
                raw("/api/v1/me", "application/json", "{}"),
                StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                None,
            ),
            (
                raw("/api/v1/api-keys", "application/json", r#"{"name":"k"}"#),
                StatusCode::UNAUTHORIZED,
                "UNAUTHENTICATED",
                None,
            ),
        ];
        for (request, status, code, field) in cases {
            let uri = request.uri().clone();
            let reply = h.send(request).await;
            assert_eq!(reply.status, status, "{uri}: {}", reply.json);
            assert_eq!(reply.code(), code, "{uri}: {}", reply.json);
            if let Some(field) = field {
                assert_eq!(reply.json["error"]["field"], field, "{uri}: {}", reply.json);
            }
        }

        let forged = h
            .call(Method::GET, "/api/v1/me", Some("yst_forged"), None)
            .await;
        assert_eq!(
            (forged.status, forged.code()),
            (StatusCode::UNAUTHORIZED, "INVALID_TOKEN")
        );
        let basic = h
            .send(
                Request::builder()
                    .uri("/api/v1/me")
                    .header("authorization", "Basic YTpi")
                    .body(Body::empty())
                    .expect("req"),
            )
            .await;
        assert_eq!(
            (basic.status, basic.code()),
            (StatusCode::UNAUTHORIZED, "INVALID_TOKEN")
        );
        let bad_query = h
            .call(Method::GET, "/api/v1/audit?limit=lots", Some(&token), None)
            .await;
        assert_eq!(
            (bad_query.status, bad_query.code()),
            (StatusCode::BAD_REQUEST, "INVALID_QUERY")
        );

        assert_eq!(h.audit_count().await, before, "bad input wrote nothing");
    }
);

both_backends!(health_openapi_and_request_ids, |db: TestDb| async move {
    let h = Harness::new(db);
    let health = h.call(Method::GET, "/healthz", None, None).await;
    assert_eq!(
        (health.status, health.json.clone()),
        (StatusCode::OK, json!({"status": "ok"}))
    );
    assert!(health.headers.get("x-request-id").is_some());
    assert_eq!(
        health
            .headers
            .get("x-content-type-options")
            .map(|v| v.as_bytes()),
        Some(&b"nosniff"[..])
    );

    let echoed = h
        .send(
            Request::builder()
                .uri("/healthz")
                .header("x-request-id", "trace-123")
                .body(Body::empty())
                .expect("req"),
        )
        .await;
    // Our id answers, never the client's in its place (theirs is kept beside ours in audit
    // entries: see idempotency::a_client_request_id_is_kept_beside_ours).
    let ours = echoed
        .headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(!ours.is_empty() && ours != "trace-123", "{ours}");

    let doc = h.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(
        doc.json["openapi"]
            .as_str()
            .unwrap_or("")
            .starts_with("3.1"),
        "{}",
        doc.json["openapi"]
    );
    for path in [
        "/api/v1/auth/signup",
        "/api/v1/auth/login",
        "/api/v1/api-keys",
        "/api/v1/api-keys/{id}",
        "/api/v1/audit",
    ] {
        assert!(
            doc.json["paths"][path].is_object(),
            "{path} missing from the OpenAPI document"
        );
    }
    assert!(doc.json["components"]["schemas"]["ErrorBody"].is_object());
});

both_backends!(signup_closed_and_roles, |db: TestDb| async move {
    let h = Harness::new(db);
    let (_, token) = h.customer("plain@example.com").await;
    let reply = h
        .call(Method::POST, "/api/v1/admin/users", Some(&token), Some(json!({
            "email": "staff@example.com", "password": "correct horse battery", "display_name": "s", "role": "reviewer"
        })))
        .await;
    assert_eq!(
        (reply.status, reply.code()),
        (StatusCode::FORBIDDEN, "FORBIDDEN")
    );
});
