//! Lifecycle flow routes: auto-renew through signed requests, transfers, batches and
//! cancellation over HTTP.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use yuming_core::signing::{SignedParts, sign};
use yuming_test_support::fixtures::operator;
use yuming_test_support::{TestDb, both_backends};

use crate::harness::Harness;

/// A customer with a funded balance and a verified contact; returns (tenant, token, contact).
async fn verified_customer(h: &Harness, email: &str) -> (String, String, String) {
    let (id, token) = h.customer(email).await;
    let contact = h.fund_and_contact(&id, &token, 100_000).await;
    yuming_app::registrar::contacts::decide(
        &h.app,
        &yuming_app::RequestContext::internal("test"),
        &operator(),
        &contact,
        "approve",
        None,
    )
    .await
    .expect("verify contact");
    (id, token, contact)
}

async fn register(h: &Harness, token: &str, name: &str, contact: &str) {
    let reply = h
        .call(
            Method::POST,
            "/api/v1/domains",
            Some(token),
            Some(json!({"name": name, "years": 1, "registrant_contact_id": contact})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.json);
}

fn signed(
    key_id: &str,
    secret: &str,
    method: Method,
    path: &str,
    body: &str,
    timestamp: i64,
    nonce: &str,
) -> Request<Body> {
    let ts = timestamp.to_string();
    let parts = SignedParts {
        method: method.as_str(),
        path_and_query: path,
        timestamp: &ts,
        nonce,
        body: body.as_bytes(),
    };
    let signature = sign(secret.as_bytes(), &parts);
    Request::builder()
        .method(method.clone())
        .uri(path)
        .header("content-type", "application/json")
        .header("x-yuming-key", key_id)
        .header("x-yuming-timestamp", ts.clone())
        .header("x-yuming-nonce", nonce)
        .header("x-yuming-signature", signature)
        .body(Body::from(body.to_owned()))
        .expect("request")
}

both_backends!(
    auto_renew_through_signed_requests,
    |db: TestDb| async move {
        let h = Harness::new(db);
        let (_, token, contact) = verified_customer(&h, "alice@example.com").await;
        register(&h, &token, "signed.com", &contact).await;
        let key = h
            .call(
                Method::POST,
                "/api/v1/api-keys",
                Some(&token),
                Some(json!({"name": "renewals", "scopes": ["domains"]})),
            )
            .await;
        assert_eq!(key.status, StatusCode::CREATED, "{}", key.json);
        let key_id = key.json["id"].as_str().unwrap_or_default().to_owned();
        let secret = key.json["secret"].as_str().unwrap_or_default().to_owned();
        let now = h.app.now().0;
        let path = "/api/v1/domains/signed.com/auto-renew";
        let body = json!({"enabled": true, "days_before": 30}).to_string();
        let put = h
            .send(signed(
                &key_id,
                &secret,
                Method::PUT,
                path,
                &body,
                now,
                "nonce-autorenew-000001",
            ))
            .await;
        assert_eq!(put.status, StatusCode::OK, "{}", put.json);
        assert_eq!(
            put.json,
            json!({"name": "signed.com", "enabled": true, "days_before": 30})
        );
        let get = h
            .send(signed(
                &key_id,
                &secret,
                Method::GET,
                path,
                "",
                now,
                "nonce-autorenew-000002",
            ))
            .await;
        assert_eq!(get.json["days_before"], 30);
        // A body changed after signing is refused and changes nothing.
        let mut tampered = signed(
            &key_id,
            &secret,
            Method::PUT,
            path,
            &body,
            now,
            "nonce-autorenew-000003",
        );
        *tampered.body_mut() = Body::from(json!({"enabled": false}).to_string());
        let refused = h.send(tampered).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
        assert_eq!(refused.code(), "INVALID_SIGNATURE");
        let bad = json!({"days_before": 61}).to_string();
        let invalid = h
            .send(signed(
                &key_id,
                &secret,
                Method::PUT,
                path,
                &bad,
                now,
                "nonce-autorenew-000004",
            ))
            .await;
        assert_eq!(invalid.status, StatusCode::BAD_REQUEST);
        assert_eq!(invalid.code(), "INVALID_RENEW_THRESHOLD");
        let domain = h
            .call(
                Method::GET,
                "/api/v1/domains/signed.com",
                Some(&token),
                None,
            )
            .await;
        assert_eq!(domain.json["auto_renew"], true);
    }
);

both_backends!(
    transfer_batch_and_cancellation_routes,
    |db: TestDb| async move {
        let story =
            yuming_test_support::story::Story::new("transfer batch and cancellation routes");
        let h = Harness::new(db);
        let (_, alice, alice_contact) = verified_customer(&h, "alice@example.com").await;
        let (_, _, bob_contact) = verified_customer(&h, "bob@example.com").await;
        register(&h, &alice, "moving.com", &alice_contact).await;
        register(&h, &alice, "staying.com", &alice_contact).await;
        h.clock.advance_days(61);
        // Sessions last a day.
        let alice = h.login("alice@example.com").await;
        let bob = h.login("bob@example.com").await;

        let code = h
            .call(
                Method::GET,
                "/api/v1/domains/moving.com/auth-code",
                Some(&alice),
                None,
            )
            .await;
        let auth_code = code.json["auth_code"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        let wrong = h
            .call(
                Method::POST,
                "/api/v1/transfers",
                Some(&bob),
                Some(json!({
            "name": "moving.com", "auth_code": "nope", "registrant_contact_id": bob_contact})),
            )
            .await;
        assert_eq!(
            (wrong.status, wrong.code()),
            (StatusCode::FORBIDDEN, "INVALID_AUTH_CODE")
        );
        let requested = h
            .call(
                Method::POST,
                "/api/v1/transfers",
                Some(&bob),
                Some(json!({
            "name": "moving.com", "auth_code": auth_code, "registrant_contact_id": bob_contact})),
            )
            .await;
        assert_eq!(requested.status, StatusCode::CREATED, "{}", requested.json);
        assert_eq!(
            requested.json["fee"],
            json!({"amount": 7900, "currency": "CNY"})
        );
        let pending = h
            .call(Method::GET, "/api/v1/transfers", Some(&alice), None)
            .await;
        assert_eq!(pending.json["transfers"][0]["gaining"], false);
        let decided = h
            .call(
                Method::POST,
                "/api/v1/domains/moving.com/transfer/decision",
                Some(&alice),
                Some(json!({"decision": "reject", "reason": "not for sale"})),
            )
            .await;
        assert_eq!(decided.status, StatusCode::OK, "{}", decided.json);
        assert_eq!(decided.json["status"], "rejected");

        story.step("Batches");
        // Batches: 51 is refused outright; a lock batch runs in the background.
        let many: Vec<String> = (0..51).map(|i| format!("d{i}.com")).collect();
        let refused = h
            .call(
                Method::POST,
                "/api/v1/batches",
                Some(&alice),
                Some(json!({"operation": "lock", "domains": many})),
            )
            .await;
        assert_eq!(
            (refused.status, refused.code()),
            (StatusCode::BAD_REQUEST, "TOO_MANY_DOMAINS")
        );
        let started = h
            .call(
                Method::POST,
                "/api/v1/batches",
                Some(&alice),
                Some(json!({"operation": "lock", "domains": ["moving.com", "staying.com"]})),
            )
            .await;
        assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.json);
        let id = started.json["id"].as_str().unwrap_or_default().to_owned();
        let mut progress = Value::Null;
        for _ in 0..200 {
            progress = h
                .call(
                    Method::GET,
                    &format!("/api/v1/batches/{id}"),
                    Some(&alice),
                    None,
                )
                .await
                .json;
            if progress["status"] == "completed" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(progress["status"], "completed", "{progress}");
        assert_eq!(
            (progress["done"].as_u64(), progress["failed"].as_u64()),
            (Some(2), Some(0))
        );
        let other = h
            .call(
                Method::GET,
                &format!("/api/v1/batches/{id}"),
                Some(&bob),
                None,
            )
            .await;
        assert_eq!(other.status, StatusCode::NOT_FOUND);

        story.step("Cancellation");
        // Cancellation: locked names are refused with the lifecycle's code; unlocked, accepted.
        let locked = h
            .call(
                Method::POST,
                "/api/v1/cancellations",
                Some(&alice),
                Some(json!({"domains": ["staying.com"]})),
            )
            .await;
        assert_eq!(
            locked.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            locked.json
        );
        assert_eq!(locked.json["error"]["field"], "names[0]");
        h.call(
            Method::PATCH,
            "/api/v1/domains/staying.com",
            Some(&alice),
            Some(json!({"locked": false})),
        )
        .await;
        let created = h
            .call(
                Method::POST,
                "/api/v1/cancellations",
                Some(&alice),
                Some(json!({"domains": ["staying.com"]})),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
        assert_eq!(created.json["irreversible"], true);
        assert_eq!(created.json["next_step"], "status");
        let cid = created.json["id"].as_str().unwrap_or_default().to_owned();
        let foreign = h
            .call(
                Method::POST,
                "/api/v1/cancellations",
                Some(&bob),
                Some(json!({"domains": ["moving.com"]})),
            )
            .await;
        assert_eq!(foreign.status, StatusCode::NOT_FOUND);
        let step = h
            .call(
                Method::POST,
                &format!("/api/v1/cancellations/{cid}/steps"),
                Some(&alice),
                Some(json!({"step": "status"})),
            )
            .await;
        assert_eq!(step.json["confirmed_steps"], json!(["status"]));
        let export = h
            .send(
                Request::builder()
                    .uri(format!("/api/v1/cancellations/{cid}/export?format=zip"))
                    .header("authorization", format!("Bearer {alice}"))
                    .body(Body::empty())
                    .expect("request"),
            )
            .await;
        assert_eq!(export.status, StatusCode::OK);
        assert_eq!(export.headers["content-type"], "application/zip");
        let bad_format = h
            .call(
                Method::GET,
                &format!("/api/v1/cancellations/{cid}/export?format=rar"),
                Some(&alice),
                None,
            )
            .await;
        assert_eq!(bad_format.code(), "INVALID_FORMAT");
        let queue = h
            .call(
                Method::GET,
                "/api/v1/review/cancellations",
                Some(&alice),
                None,
            )
            .await;
        assert_eq!(queue.status, StatusCode::FORBIDDEN);
    }
);
