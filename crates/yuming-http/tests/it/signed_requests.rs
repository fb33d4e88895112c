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

    // A signed POST with a body is authenticated, but a key cannot mint further keys: API keys
    // are managed at a login session only.
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
    assert_eq!(
        (post.status, post.code()),
        (StatusCode::FORBIDDEN, "INTERACTIVE_SESSION_REQUIRED")
    );

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

both_backends!(
    filing_progress_through_signed_requests,
    |db: TestDb| async move {
        let h = Harness::new(db);
        let (_, token) = h.customer("alice@example.com").await;
        let created = h
            .call(
                Method::POST,
                "/api/v1/api-keys",
                Some(&token),
                Some(json!({"name": "filing-robot", "scopes": ["filing", "read"]})),
            )
            .await;
        let signer = Signer {
            key_id: created.json["id"].as_str().unwrap_or_default().into(),
            secret: created.json["secret"].as_str().unwrap_or_default().into(),
        };
        let now = h.app.now().0;
        let person = json!({"name": "张三", "id_type": "resident_id", "id_number": "11010519491231002X",
                        "mobile": "13800138000", "email": "zhangsan@example.com"});
        let body = json!({"entity_type": "PERSON", "name": "张三", "province": "北京",
                      "cert_type": "resident_id", "cert_no": "11010519491231002X",
                      "address": "北京市东城区长安街 1 号", "principal": person.clone()})
        .to_string();
        let entity = h
            .send(signer.request(
                Method::POST,
                "/api/v1/filing/entities",
                &body,
                now,
                "nonce-filing-000000001",
            ))
            .await;
        assert_eq!(entity.status, StatusCode::CREATED, "{}", entity.json);
        let entity_id = entity.json["id"].as_str().unwrap_or_default().to_owned();
        let body = json!({"name": "张三的学习笔记", "domain": "zhangsan.cn", "homepage": "https://zhangsan.cn/",
                          "content_types": [100], "purpose": "博客", "principal": person,
                          "servers": ["203.0.113.9"]})
        .to_string();
        let site = h
            .send(signer.request(
                Method::POST,
                &format!("/api/v1/filing/entities/{entity_id}/sites"),
                &body,
                now,
                "nonce-filing-000000006",
            ))
            .await;
        assert_eq!(site.status, StatusCode::CREATED, "{}", site.json);
        let body =
            json!({"operation": "FIRST", "entity_id": entity_id, "site_id": site.json["id"]})
                .to_string();
        let order = h
            .send(signer.request(
                Method::POST,
                "/api/v1/filing/orders",
                &body,
                now,
                "nonce-filing-000000002",
            ))
            .await;
        assert_eq!(order.status, StatusCode::CREATED, "{}", order.json);
        let order_id = order.json["id"].as_str().unwrap_or_default().to_owned();

        // The progress of the order: its status, history and the dashboard's estimate list.
        let path = format!("/api/v1/filing/orders/{order_id}");
        let progress = h
            .send(signer.request(Method::GET, &path, "", now, "nonce-filing-000000003"))
            .await;
        assert_eq!(progress.status, StatusCode::OK, "{}", progress.json);
        assert_eq!(progress.json["status"], "DRAFT");
        let history = h
            .send(signer.request(
                Method::GET,
                &format!("{path}/history"),
                "",
                now,
                "nonce-filing-000000004",
            ))
            .await;
        assert_eq!(history.status, StatusCode::OK, "{}", history.json);
        let board = h
            .send(signer.request(
                Method::GET,
                "/api/v1/filing/dashboard",
                "",
                now,
                "nonce-filing-000000005",
            ))
            .await;
        assert_eq!(board.status, StatusCode::OK, "{}", board.json);
        assert_eq!(board.json["open_orders"][0]["id"], order_id.as_str());
        // A replayed signature is refused.
        let replay = h
            .send(signer.request(Method::GET, &path, "", now, "nonce-filing-000000003"))
            .await;
        assert_eq!(replay.status, StatusCode::UNAUTHORIZED, "{}", replay.json);
    }
);
