//! Notices on both backends: idempotent enqueue per occasion, in-app inbox, preferences.

use serde_json::{Map, Value, json};
use yuming_app::App;
use yuming_app::notify::notices::{self, NoticeKind, NoticeRequest};
use yuming_test_support::fixtures::{ctx, customer};
use yuming_test_support::{TestDb, both_backends, test_app};

fn params(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

async fn enqueue(app: &App, request: &NoticeRequest) -> usize {
    let mut tx = app.db().write().await.expect("tx");
    let n = notices::enqueue(&mut tx, request, app.now().0)
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");
    n
}

both_backends!(one_notice_per_occasion_and_inbox, |db: TestDb| async move {
    let (app, _clock) = test_app(&db.db);
    let alice = customer(&app, "alice@example.com").await;
    let bob = customer(&app, "bob@example.com").await;
    let request = NoticeRequest {
        account_id: alice.account_id.clone(),
        kind: NoticeKind::LowBalance,
        occasion: "low_balance:CNY:1".into(),
        params: params(json!({ "balance": "10.00 CNY", "threshold": "50.00 CNY" })),
        // No SMS for this kind by default: a mobile here adds no row.
        sms_to: Some(notices::SmsTo::new(app.cipher(), "13800138000")),
    };
    // Default channels: e-mail and in-app; a repeat of the occasion adds nothing.
    assert_eq!(enqueue(&app, &request).await, 2);
    assert_eq!(enqueue(&app, &request).await, 0);

    let inbox = notices::inbox(&app, &alice, None, 50).await.expect("inbox");
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].subject, "账户余额不足");
    assert!(inbox[0].body.contains("10.00 CNY"), "{}", inbox[0].body);
    assert_eq!(notices::unread_count(&app, &alice).await.expect("n"), 1);
    // Another account neither sees nor marks it.
    assert!(
        notices::inbox(&app, &bob, None, 50)
            .await
            .expect("bob")
            .is_empty()
    );
    let err = notices::mark_read(&app, &ctx(), &bob, &inbox[0].id)
        .await
        .expect_err("other tenant");
    assert_eq!(err.code, "NOT_FOUND");
    notices::mark_read(&app, &ctx(), &alice, &inbox[0].id)
        .await
        .expect("read");
    assert_eq!(notices::unread_count(&app, &alice).await.expect("n"), 0);

    // Preferences: in-app only for low balance; a new occasion gets one row.
    notices::set_preference(&app, &ctx(), &alice, "low_balance", &["in_app".into()])
        .await
        .expect("pref");
    let next = NoticeRequest {
        occasion: "low_balance:CNY:2".into(),
        ..request.clone()
    };
    assert_eq!(enqueue(&app, &next).await, 1);
    let mut tx = app.db().read().await.expect("tx");
    let rows = tx
        .notices_by_occasion("low_balance", "low_balance:CNY:2")
        .await
        .expect("rows");
    tx.commit().await.expect("commit");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].channel, "in_app");
    // Everything off: nothing is written.
    notices::set_preference(&app, &ctx(), &alice, "low_balance", &[])
        .await
        .expect("pref");
    let third = NoticeRequest {
        occasion: "low_balance:CNY:3".into(),
        ..request.clone()
    };
    assert_eq!(enqueue(&app, &third).await, 0);
    let err = notices::set_preference(&app, &ctx(), &alice, "low_balance", &["pigeon".into()])
        .await
        .expect_err("bad channel");
    assert_eq!(err.code, "UNKNOWN_CHANNEL");
    let prefs = notices::preferences(&app, &alice).await.expect("prefs");
    let expiry = prefs
        .iter()
        .find(|p| p.kind == "expiry_reminder")
        .expect("kind");
    // Webhook is on by default: it delivers only where the account registered endpoints.
    assert_eq!(
        expiry.channels,
        vec![
            "email".to_owned(),
            "in_app".to_owned(),
            "webhook".to_owned()
        ]
    );
});

#[test]
fn templates_render_in_both_languages() {
    let p = params(
        json!({ "domain": "例子.中国", "days": 7, "expires_at": "2026-03-01", "auto_renew_zh": "", "auto_renew_en": "" }),
    );
    let (subject, body) = notices::render(&NoticeKind::ExpiryReminder, "zh-CN", &p);
    assert_eq!(subject, "域名 例子.中国 将于 7 天后到期");
    assert!(body.contains("2026-03-01"));
    let (subject, _) = notices::render(&NoticeKind::ExpiryReminder, "en", &p);
    assert_eq!(subject, "例子.中国 expires in 7 days");
    assert_eq!(notices::backoff_secs(0), 60);
    assert_eq!(notices::backoff_secs(3), 480);
    assert_eq!(notices::backoff_secs(30), 86_400);
}

#[tokio::test]
async fn mailer_urls_plain_starttls_tls_and_credentials() {
    use yuming_app::notify::notices::Mailer;
    for url in [
        "smtp://127.0.0.1:2525",
        "smtp://mail.example.com:587?tls=required",
        "smtps://mailer:s3cret-pass@mail.example.com:465",
        "smtp://mailer:s3cret-pass@mail.example.com:587?tls=opportunistic",
    ] {
        Mailer::new(url, "Yuming <noreply@example.com>").unwrap_or_else(|e| panic!("{url}: {e:?}"));
    }
    for url in [
        "http://mail.example.com",
        "mail.example.com:25",
        "smtps://mailer:s3cret-pass@:465",
    ] {
        let error = Mailer::new(url, "noreply@example.com").expect_err(url);
        let text = format!("{error:?} {error}");
        assert!(text.contains("INVALID_SMTP_URL"), "{text}");
        assert!(!text.contains("s3cret-pass"), "the password leaked: {text}");
    }
    assert!(Mailer::new("smtp://127.0.0.1:2525", "not an address").is_err());
}
