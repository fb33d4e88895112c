//! Sign-up → login → API key → signed requests; tampering and replays are refused.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::json;
use yuming_core::signing::{SignedParts, sign};
use yuming_test_support::{TestDb, both_backends};

use crate::harness::Harness;

struct Signer {
    key_id: String,
    secret: String,
}

impl Signer {
    fn request(
        &self,
        method: Method,
        path: &str,
        body: &str,
        timestamp: i64,
        nonce: &str,
    ) -> Request<Body> {
        let timestamp = timestamp.to_string();
        let parts = SignedParts {
            method: method.as_str(),
            path_and_query: path,
            timestamp: &timestamp,
            nonce,
            body: body.as_bytes(),
        };
        let signature = sign(self.secret.as_bytes(), &parts);
        Request::builder()
            .method(method)
            .uri(path)
            .header("content-type", "application/json")
            .header("x-yuming-key", &self.key_id)
            .header("x-yuming-timestamp", timestamp)
            .header("x-yuming-nonce", nonce)
            .header("x-yuming-signature", signature)
            .body(Body::from(body.to_owned()))
            .expect("request")
    }
}

both_backends!(signed_request_lifecycle, |db: TestDb| async move {
    let h = Harness::new(db);
    let (account_id, token) = h.customer("alice@example.com").await;
    let created = h
        .call(
            Method::POST,
            "/api/v1/api-keys",
            Some(&token),
            Some(json!({"name": "deploy"})),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    let signer = Signer {
        key_id: created.json["id"].as_str().unwrap_or_default().into(),
        secret: created.json["secret"].as_str().unwrap_or_default().into(),
    };
    let listed = h
        .call(Method::GET, "/api/v1/api-keys", Some(&token), None)
        .await;
    assert!(
        !listed.json.to_string().contains(&signer.secret),
        "the secret is shown once only"
    );
    let now = h.app.now().0;

    let me = h
        .send(signer.request(Method::GET, "/api/v1/me", "", now, "nonce-0000000000000001"))
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.json);
    assert_eq!(me.json["id"], account_id.as_str());

    // A signed POST with a body.
    let body = json!({"name": "from-api"}).to_string();
    let post = h
        .send(signer.request(
            Method::POST,
            "/api/v1/api-keys",
            &body,
            now,
            "nonce-0000000000000002",
        ))
        .await;
    assert_eq!(post.status, StatusCode::CREATED, "{}", post.json);

    let replay = h
        .send(signer.request(Method::GET, "/api/v1/me", "", now, "nonce-0000000000000001"))
        .await;
    assert_eq!(
        (replay.status, replay.code()),
        (StatusCode::UNAUTHORIZED, "REPLAYED_NONCE")
    );

    let mut tampered = signer.request(
        Method::POST,
        "/api/v1/api-keys",
        &body,
        now,
        "nonce-0000000000000003",
    );
    *tampered.body_mut() = Body::from(json!({"name": "evil"}).to_string());
    let tampered = h.send(tampered).await;
    assert_eq!(
        (tampered.status, tampered.code()),
        (StatusCode::UNAUTHORIZED, "INVALID_SIGNATURE")
    );

    let stale = h
        .send(signer.request(
            Method::GET,
            "/api/v1/me",
            "",
            now - 301,
            "nonce-0000000000000004",
        ))
        .await;
    assert_eq!(
        (stale.status, stale.code()),
        (StatusCode::UNAUTHORIZED, "TIMESTAMP_OUT_OF_WINDOW")
    );
    let future = h
        .send(signer.request(
            Method::GET,
            "/api/v1/me",
            "",
            now + 301,
            "nonce-0000000000000005",
        ))
        .await;
    assert_eq!(future.code(), "TIMESTAMP_OUT_OF_WINDOW");
    let short_nonce = h
        .send(signer.request(Method::GET, "/api/v1/me", "", now, "abc"))
        .await;
    assert_eq!(short_nonce.code(), "INVALID_NONCE");

    let wrong_key = Signer {
        key_id: "yk_unknown".into(),
        secret: signer.secret.clone(),
    };
    let unknown = h
        .send(wrong_key.request(Method::GET, "/api/v1/me", "", now, "nonce-0000000000000006"))
        .await;
    assert_eq!(
        (unknown.status, unknown.code()),
        (StatusCode::UNAUTHORIZED, "INVALID_API_KEY")
    );

    let mut missing = signer.request(Method::GET, "/api/v1/me", "", now, "nonce-0000000000000007");
    missing.headers_mut().remove("x-yuming-signature");
    assert_eq!(h.send(missing).await.code(), "INVALID_SIGNATURE");

    // The clock moves; a fresh signature with a fresh nonce works again.
    h.clock.advance_secs(600);
    let later = h
        .send(signer.request(
            Method::GET,
            "/api/v1/me",
            "",
            h.app.now().0,
            "nonce-0000000000000008",
        ))
        .await;
    assert_eq!(later.status, StatusCode::OK);
});
