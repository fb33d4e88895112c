use yuming_app::accounts::{self, LoginInput, NewAccountInput};
use yuming_app::api_keys::{self, SignatureHeaders};
use yuming_app::{App, AppError, RequestContext};
use yuming_core::access::Actor;
use yuming_core::signing::{SignedParts, sign};
use yuming_test_support::{TestDb, both_backends, test_app};

fn ctx() -> RequestContext {
    RequestContext::internal("test")
}

async fn customer(app: &App, email: &str) -> Actor {
    accounts::signup(
        app,
        &ctx(),
        NewAccountInput {
            email: email.into(),
            password: "correct horse battery".into(),
            display_name: "x".into(),
        },
    )
    .await
    .expect("signup");
    let session = accounts::login(
        app,
        &ctx(),
        LoginInput {
            email: email.into(),
            password: "correct horse battery".into(),
            totp: None,
        },
    )
    .await
    .expect("login");
    accounts::authenticate_token(app, &session.token)
        .await
        .expect("auth")
}

fn code<T: std::fmt::Debug>(r: Result<T, AppError>) -> &'static str {
    r.err().map(|e| e.code).unwrap_or("OK")
}

both_backends!(signed_requests, |t: TestDb| async move {
    let (app, clock) = test_app(&t.db);
    let alice = customer(&app, "alice@example.com").await;
    let created = api_keys::create(&app, &ctx(), &alice, "ci")
        .await
        .expect("create");
    assert!(created.secret.len() > 64);
    let now = app.now().0.to_string();
    let parts = SignedParts {
        method: "GET",
        path_and_query: "/api/v1/me",
        timestamp: &now,
        nonce: "nonce-aaaaaaaaaaaaaaaa",
        body: b"",
    };
    let signature = sign(created.secret.as_bytes(), &parts);
    let headers = SignatureHeaders {
        key_id: &created.key.id,
        signature: &signature,
    };
    let actor = api_keys::authenticate_signed(&app, headers, &parts)
        .await
        .expect("signed request");
    assert_eq!(actor.account_id, alice.account_id);
    assert_eq!(
        code(api_keys::authenticate_signed(&app, headers, &parts).await),
        "REPLAYED_NONCE"
    );

    let tampered = SignedParts {
        path_and_query: "/api/v1/api-keys",
        nonce: "nonce-bbbbbbbbbbbbbbbb",
        ..parts
    };
    assert_eq!(
        code(api_keys::authenticate_signed(&app, headers, &tampered).await),
        "INVALID_SIGNATURE"
    );

    clock.advance_secs(301);
    let late = SignedParts {
        nonce: "nonce-cccccccccccccccc",
        ..parts
    };
    let late_signature = sign(created.secret.as_bytes(), &late);
    let late_headers = SignatureHeaders {
        key_id: &created.key.id,
        signature: &late_signature,
    };
    assert_eq!(
        code(api_keys::authenticate_signed(&app, late_headers, &late).await),
        "TIMESTAMP_OUT_OF_WINDOW"
    );

    api_keys::revoke(&app, &ctx(), &alice, &created.key.id)
        .await
        .expect("revoke");
    let now = app.now().0.to_string();
    let fresh = SignedParts {
        timestamp: &now,
        nonce: "nonce-dddddddddddddddd",
        ..parts
    };
    let fresh_signature = sign(created.secret.as_bytes(), &fresh);
    let fresh_headers = SignatureHeaders {
        key_id: &created.key.id,
        signature: &fresh_signature,
    };
    assert_eq!(
        code(api_keys::authenticate_signed(&app, fresh_headers, &fresh).await),
        "INVALID_API_KEY"
    );
});

both_backends!(keys_are_tenant_scoped, |t: TestDb| async move {
    let (app, _clock) = test_app(&t.db);
    let alice = customer(&app, "alice@example.com").await;
    let bob = customer(&app, "bob@example.com").await;
    let key = api_keys::create(&app, &ctx(), &alice, "alice's")
        .await
        .expect("create");
    assert_eq!(api_keys::list(&app, &bob).await.expect("list").len(), 0);
    assert_eq!(
        code(api_keys::revoke(&app, &ctx(), &bob, &key.key.id).await),
        "NOT_FOUND"
    );
    assert_eq!(
        api_keys::list(&app, &alice).await.expect("list")[0].revoked_at,
        None
    );
    assert_eq!(
        code(api_keys::create(&app, &ctx(), &alice, "").await),
        "INVALID_NAME"
    );
});
