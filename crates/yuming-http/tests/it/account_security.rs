//! Account security over HTTP (security review, items 5–7): API keys' scopes, source
//! networks and quotas, interactive-only operations, ambiguous credentials, the `Bearer`
//! scheme's case, and the shared lockout of TOTP guesses.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use yuming_core::signing::{SignedParts, sign};
use yuming_core::totp;
use yuming_test_support::{TestDb, both_backends};

use crate::harness::{Harness, Reply};

struct Key {
    id: String,
    secret: String,
}

async fn new_key(h: &Harness, token: &str, body: Value) -> Key {
    let created = h
        .call(Method::POST, "/api/v1/api-keys", Some(token), Some(body))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.json);
    Key {
        id: created.json["id"].as_str().unwrap_or_default().into(),
        secret: created.json["secret"].as_str().unwrap_or_default().into(),
    }
}

fn signed(
    h: &Harness,
    key: &Key,
    method: Method,
    path: &str,
    body: &str,
    nonce: &str,
) -> Request<Body> {
    let timestamp = h.app.now().0.to_string();
    let parts = SignedParts {
        method: method.as_str(),
        path_and_query: path,
        timestamp: &timestamp,
        nonce,
        body: body.as_bytes(),
    };
    let signature = sign(key.secret.as_bytes(), &parts);
    Request::builder()
        .method(method)
        .uri(path)
        .header("content-type", "application/json")
        .header("x-yuming-key", &key.id)
        .header("x-yuming-timestamp", timestamp)
        .header("x-yuming-nonce", nonce)
        .header("x-yuming-signature", signature)
        .body(Body::from(body.to_owned()))
        .expect("request")
}

fn from(mut request: Request<Body>, source: &str) -> Request<Body> {
    let addr: SocketAddr = format!("{source}:40000").parse().expect("addr");
    request.extensions_mut().insert(ConnectInfo(addr));
    request
}

fn is(reply: &Reply, status: StatusCode, code: &str) {
    assert_eq!(
        (reply.status, reply.code()),
        (status, code),
        "{}",
        reply.json
    );
}

both_backends!(keys_stay_out_of_account_security, |db: TestDb| async move {
    let h = Harness::new(db);
    let (_, token) = h.customer("alice@example.com").await;
    let key = new_key(
        &h,
        &token,
        json!({"name": "ci", "scopes": ["read", "domains", "dns", "billing", "filing", "webhooks"]}),
    )
    .await;
    let attempts = [
        (Method::POST, "/api/v1/api-keys", json!({"name": "more"}).to_string()),
        (Method::GET, "/api/v1/api-keys", String::new()),
        (Method::DELETE, &*format!("/api/v1/api-keys/{}", key.id), String::new()),
        (Method::POST, "/api/v1/auth/totp/setup", String::new()),
        (Method::POST, "/api/v1/auth/totp/disable", json!({"code": "123456"}).to_string()),
        (
            Method::POST,
            "/api/v1/auth/password",
            json!({"current_password": "correct horse battery", "new_password": "stolen passphrase 1"})
                .to_string(),
        ),
        (Method::POST, "/api/v1/auth/logout", String::new()),
    ];
    for (i, (method, path, body)) in attempts.into_iter().enumerate() {
        let reply = h
            .send(signed(
                &h,
                &key,
                method.clone(),
                path,
                &body,
                &format!("nonce-security-{i:08}"),
            ))
            .await;
        assert_eq!(
            (reply.status, reply.code()),
            (StatusCode::FORBIDDEN, "INTERACTIVE_SESSION_REQUIRED"),
            "{method} {path}: {}",
            reply.json
        );
    }
    // A key without the webhooks scope cannot add an endpoint; its 403 names the scope.
    let reader = new_key(&h, &token, json!({"name": "reader"})).await;
    let body = json!({"url": "https://hooks.example.com/x"}).to_string();
    let reply = h
        .send(signed(
            &h,
            &reader,
            Method::POST,
            "/api/v1/webhooks",
            &body,
            "nonce-scope-00000001",
        ))
        .await;
    is(&reply, StatusCode::FORBIDDEN, "API_KEY_SCOPE_MISSING");
    let me = h
        .send(signed(
            &h,
            &reader,
            Method::GET,
            "/api/v1/me",
            "",
            "nonce-scope-00000002",
        ))
        .await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.json);
    // The owner's key list shows scopes, networks and quotas.
    let listed = h
        .call(Method::GET, "/api/v1/api-keys", Some(&token), None)
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.json);
    let reader_row = listed.json["api_keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["id"] == reader.id.as_str()).cloned())
        .unwrap_or_default();
    assert_eq!(reader_row["scopes"], json!(["read"]));
    assert_eq!(reader_row["allowed_cidrs"], json!([]));
    assert_eq!(reader_row["quota"]["per_minute"], 600);
    // Both authenticated calls count, the refused one too.
    assert_eq!(reader_row["quota"]["used_today"], 2);
});

both_backends!(source_networks_and_quotas, |db: TestDb| async move {
    let h = Harness::new(db);
    let (_, token) = h.customer("alice@example.com").await;
    let key = new_key(
        &h,
        &token,
        json!({"name": "office", "allowed_cidrs": ["203.0.113.0/24"], "per_minute": 2, "per_day": 100}),
    )
    .await;
    let outside = h
        .send(from(
            signed(
                &h,
                &key,
                Method::GET,
                "/api/v1/me",
                "",
                "nonce-net-0000000001",
            ),
            "198.51.100.1",
        ))
        .await;
    is(
        &outside,
        StatusCode::FORBIDDEN,
        "API_KEY_SOURCE_NOT_ALLOWED",
    );
    let unknown_source = h
        .send(signed(
            &h,
            &key,
            Method::GET,
            "/api/v1/me",
            "",
            "nonce-net-0000000002",
        ))
        .await;
    is(
        &unknown_source,
        StatusCode::FORBIDDEN,
        "API_KEY_SOURCE_NOT_ALLOWED",
    );
    for nonce in ["nonce-net-0000000003", "nonce-net-0000000004"] {
        let inside = h
            .send(from(
                signed(&h, &key, Method::GET, "/api/v1/me", "", nonce),
                "203.0.113.9",
            ))
            .await;
        assert_eq!(inside.status, StatusCode::OK, "{}", inside.json);
    }
    let over = h
        .send(from(
            signed(
                &h,
                &key,
                Method::GET,
                "/api/v1/me",
                "",
                "nonce-net-0000000005",
            ),
            "203.0.113.9",
        ))
        .await;
    is(
        &over,
        StatusCode::TOO_MANY_REQUESTS,
        "API_KEY_QUOTA_EXCEEDED",
    );
    let retry_after: i64 = over
        .headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    let shown = h
        .call(
            Method::GET,
            &format!("/api/v1/api-keys/{}", key.id),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.json);
    assert_eq!(shown.json["quota"]["per_minute"], 2);
    assert_eq!(shown.json["quota"]["used_this_minute"], 2);
    assert_eq!(shown.json["allowed_cidrs"], json!(["203.0.113.0/24"]));
    let invalid = h
        .call(
            Method::POST,
            "/api/v1/api-keys",
            Some(&token),
            Some(json!({"name": "bad", "allowed_cidrs": ["not-a-network"]})),
        )
        .await;
    is(&invalid, StatusCode::BAD_REQUEST, "INVALID_CIDR");
});

both_backends!(credentials_are_unambiguous, |db: TestDb| async move {
    let h = Harness::new(db);
    let (account_id, token) = h.customer("alice@example.com").await;
    let key = new_key(&h, &token, json!({"name": "ci"})).await;
    let mut both = signed(
        &h,
        &key,
        Method::GET,
        "/api/v1/me",
        "",
        "nonce-both-000000001",
    );
    both.headers_mut().insert(
        header::AUTHORIZATION,
        format!("Bearer {token}").parse().expect("header"),
    );
    is(
        &h.send(both).await,
        StatusCode::BAD_REQUEST,
        "AMBIGUOUS_CREDENTIALS",
    );
    // RFC 7235: the scheme name is case-insensitive.
    for scheme in ["bearer", "BEARER", "Bearer", "bEaReR"] {
        let request = Request::builder()
            .uri("/api/v1/me")
            .header(header::AUTHORIZATION, format!("{scheme} {token}"))
            .body(Body::empty())
            .expect("request");
        let reply = h.send(request).await;
        assert_eq!(reply.status, StatusCode::OK, "{scheme}: {}", reply.json);
        assert_eq!(reply.json["id"], account_id.as_str());
    }
    let request = Request::builder()
        .uri("/api/v1/me")
        .header(header::AUTHORIZATION, format!("Basic {token}"))
        .body(Body::empty())
        .expect("request");
    is(
        &h.send(request).await,
        StatusCode::UNAUTHORIZED,
        "INVALID_TOKEN",
    );
});

both_backends!(totp_disable_guesses_lock_out, |db: TestDb| async move {
    let h = Harness::new(db);
    let (_, token) = h.customer("alice@example.com").await;
    let setup = h
        .call(Method::POST, "/api/v1/auth/totp/setup", Some(&token), None)
        .await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.json);
    let secret =
        totp::base32_decode(setup.json["secret"].as_str().unwrap_or_default()).expect("secret");
    let enabling = totp::code_at(&secret, h.app.now());
    let enabled = h
        .call(
            Method::POST,
            "/api/v1/auth/totp/enable",
            Some(&token),
            Some(json!({"code": enabling})),
        )
        .await;
    assert_eq!(enabled.status, StatusCode::NO_CONTENT, "{}", enabled.json);
    // The enabling code does not log in.
    let replay = h
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "alice@example.com", "password": "correct horse battery", "totp": enabling})),
        )
        .await;
    is(&replay, StatusCode::UNAUTHORIZED, "INVALID_TOTP");
    h.clock.advance_secs(30);
    let wrong = if totp::code_at(&secret, h.app.now()) == "000000" {
        "111111"
    } else {
        "000000"
    };
    let mut codes = Vec::new();
    for _ in 0..6 {
        let reply = h
            .call(
                Method::POST,
                "/api/v1/auth/totp/disable",
                Some(&token),
                Some(json!({"code": wrong})),
            )
            .await;
        codes.push(reply.code().to_owned());
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(reply.headers.contains_key(header::RETRY_AFTER));
        }
    }
    // The replayed login above counted as the first failure.
    assert_eq!(
        codes,
        [
            "INVALID_TOTP",
            "INVALID_TOTP",
            "INVALID_TOTP",
            "ACCOUNT_LOCKED",
            "ACCOUNT_LOCKED",
            "ACCOUNT_LOCKED"
        ]
    );
    let me = h.call(Method::GET, "/api/v1/me", Some(&token), None).await;
    assert_eq!(me.json["totp_enabled"], true);
});

both_backends!(
    signup_answers_alike_and_the_link_activates_the_account,
    |db: TestDb| async move {
        let h = Harness::new(db);
        let (id, token) = h.unverified_customer("new@example.com").await;
        let me = h.call(Method::GET, "/api/v1/me", Some(&token), None).await;
        assert_eq!(me.json["email_verified"], false, "{}", me.json);

        // The same answer for a taken address as for a new one.
        let again = h
        .call(Method::POST, "/api/v1/auth/signup", None, Some(json!({
            "email": "NEW@example.com", "password": "another horse battery", "display_name": "x"
        })))
        .await;
        assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.json);
        assert_eq!(
            again.json,
            json!({"status": "verification_sent", "email": "new@example.com"})
        );
        for email in ["new@example.com", "nobody@example.com"] {
            let resend = h
                .call(
                    Method::POST,
                    "/api/v1/auth/resend-verification",
                    None,
                    Some(json!({"email": email})),
                )
                .await;
            assert_eq!(resend.status, StatusCode::ACCEPTED, "{}", resend.json);
            assert_eq!(resend.json["status"], "verification_sent");
        }

        // Money waits for the verification.
        let (_, admin) = h.staff("fin@example.com", "admin").await;
        let credit = h
            .call(
                Method::POST,
                &format!("/api/v1/admin/accounts/{id}/credit"),
                Some(&admin),
                Some(json!({"amount": 10000, "currency": "CNY", "note": "t"})),
            )
            .await;
        assert_eq!(
            (credit.status, credit.code()),
            (StatusCode::FORBIDDEN, "EMAIL_NOT_VERIFIED"),
            "{}",
            credit.json
        );

        let forged = h
            .call(
                Method::POST,
                "/api/v1/auth/verify-email",
                None,
                Some(json!({"token": "yev_forged"})),
            )
            .await;
        assert_eq!(
            (forged.status, forged.code()),
            (StatusCode::BAD_REQUEST, "INVALID_VERIFICATION_TOKEN")
        );
        // Two links were mailed (sign-up and re-send, in the same second): only the newer works.
        let mut verified = Vec::new();
        for link in yuming_test_support::verification_tokens(&h.app, &id).await {
            let reply = h
                .call(
                    Method::POST,
                    "/api/v1/auth/verify-email",
                    None,
                    Some(json!({"token": link})),
                )
                .await;
            verified.push(reply.status);
        }
        verified.sort();
        assert_eq!(verified, [StatusCode::NO_CONTENT, StatusCode::BAD_REQUEST]);
        let me = h.call(Method::GET, "/api/v1/me", Some(&token), None).await;
        assert_eq!(me.json["email_verified"], true, "{}", me.json);
        let credit = h
            .call(
                Method::POST,
                &format!("/api/v1/admin/accounts/{id}/credit"),
                Some(&admin),
                Some(json!({"amount": 10000, "currency": "CNY", "note": "t"})),
            )
            .await;
        assert!(credit.status.is_success(), "{}", credit.json);
    }
);

both_backends!(
    passkeys_are_listed_and_removed_over_the_api,
    |db: TestDb| async move {
        use yuming_app::accounts::passkeys;
        use yuming_test_support::webauthn::SoftAuthenticator;
        let h = Harness::new(db);
        let (_, token) = h.customer("pk-api@example.com").await;
        let empty = h
            .call(Method::GET, "/api/v1/me/passkeys", Some(&token), None)
            .await;
        assert_eq!(empty.status, StatusCode::OK, "{}", empty.json);
        assert_eq!(empty.json["items"], json!([]));

        // Added the way the console does (the browser's authenticator answers the ceremony).
        let actor = yuming_app::accounts::authenticate_token(&h.app, &token)
            .await
            .expect("the session");
        let mut authenticator = SoftAuthenticator::new("http://localhost:8080");
        let ceremony = passkeys::registration_options(&h.app, &actor)
            .await
            .expect("options");
        passkeys::register(
            &h.app,
            &yuming_app::RequestContext::internal("test"),
            &actor,
            authenticator.register(&ceremony, "Phone"),
        )
        .await
        .expect("register");

        let listed = h
            .call(Method::GET, "/api/v1/me/passkeys", Some(&token), None)
            .await;
        assert_eq!(listed.json["items"][0]["name"], "Phone", "{}", listed.json);
        let id = listed.json["items"][0]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        // The API's one-call login now needs the console's passkey step (or a TOTP code).
        let login = h
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({ "email": "pk-api@example.com", "password": "correct horse battery" })),
            )
            .await;
        is(&login, StatusCode::UNAUTHORIZED, "SECOND_FACTOR_REQUIRED");

        let someone = h.customer("other-pk@example.com").await.1;
        let theirs = h
            .call(
                Method::DELETE,
                &format!("/api/v1/me/passkeys/{id}"),
                Some(&someone),
                None,
            )
            .await;
        is(&theirs, StatusCode::NOT_FOUND, "NOT_FOUND");
        let removed = h
            .call(
                Method::DELETE,
                &format!("/api/v1/me/passkeys/{id}"),
                Some(&token),
                None,
            )
            .await;
        assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.json);
        let after = h
            .call(Method::GET, "/api/v1/me/passkeys", Some(&token), None)
            .await;
        assert_eq!(after.json["items"], json!([]));
    }
);
