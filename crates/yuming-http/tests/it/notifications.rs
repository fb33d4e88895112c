//! In-app notices and preferences over HTTP, on both backends.

use axum::http::{Method, StatusCode};
use serde_json::json;
use yuming_app::billing;
use yuming_core::money::{Currency, Money};
use yuming_test_support::{TestDb, both_backends};

use crate::harness::Harness;

both_backends!(inbox_mark_read_and_preferences, |db: TestDb| async move {
    let h = Harness::new(db);
    let (alice, alice_token) = h.customer("alice@example.com").await;
    let (_bob, bob_token) = h.customer("bob@example.com").await;
    // The same low-balance episode twice: one notice.
    for _ in 0..2 {
        let mut tx = h.app.db().write().await.expect("tx");
        billing::low_balance_notice(
            &mut tx,
            &alice,
            Money::new(1_000, Currency::Cny),
            h.app.now(),
        )
        .await
        .expect("low balance");
        tx.commit().await.expect("commit");
    }
    let list = h
        .call(
            Method::GET,
            "/api/v1/notifications",
            Some(&alice_token),
            None,
        )
        .await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.json);
    assert_eq!(list.json["unread"], 1);
    let items = list.json["notifications"]
        .as_array()
        .expect("array")
        .clone();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["kind"], "low_balance");
    assert!(
        items[0]["body"]
            .as_str()
            .unwrap_or_default()
            .contains("10.00 CNY"),
        "{}",
        items[0]
    );
    let id = items[0]["id"].as_str().expect("id").to_owned();

    // Bob sees nothing of it and cannot mark it.
    let bobs = h
        .call(Method::GET, "/api/v1/notifications", Some(&bob_token), None)
        .await;
    assert_eq!(bobs.json["notifications"], json!([]));
    let path = format!("/api/v1/notifications/{id}/read");
    let denied = h.call(Method::POST, &path, Some(&bob_token), None).await;
    assert_eq!(denied.status, StatusCode::NOT_FOUND);
    let read = h.call(Method::POST, &path, Some(&alice_token), None).await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.json);
    assert_eq!(read.json["unread"], 0);
    let count = h
        .call(
            Method::GET,
            "/api/v1/notifications/unread-count",
            Some(&alice_token),
            None,
        )
        .await;
    assert_eq!(count.json["unread"], 0);

    let set = h
        .call(
            Method::PUT,
            "/api/v1/notification-preferences/expiry_reminder",
            Some(&alice_token),
            Some(json!({ "channels": ["in_app"] })),
        )
        .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.json);
    let prefs = h
        .call(
            Method::GET,
            "/api/v1/notification-preferences",
            Some(&alice_token),
            None,
        )
        .await;
    let expiry = prefs.json["preferences"]
        .as_array()
        .expect("array")
        .iter()
        .find(|p| p["kind"] == "expiry_reminder")
        .cloned()
        .expect("kind");
    assert_eq!(expiry["channels"], json!(["in_app"]));
    let bad = h
        .call(
            Method::PUT,
            "/api/v1/notification-preferences/nonsense",
            Some(&alice_token),
            Some(json!({ "channels": [] })),
        )
        .await;
    assert_eq!(bad.status, StatusCode::NOT_FOUND);
    let bad_channel = h
        .call(
            Method::PUT,
            "/api/v1/notification-preferences/low_balance",
            Some(&alice_token),
            Some(json!({ "channels": ["pigeon"] })),
        )
        .await;
    assert_eq!(bad_channel.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_channel.code(), "UNKNOWN_CHANNEL");
});
