//! Signed webhooks on both backends, against a real HTTP receiver on 127.0.0.1 that fails the
//! first attempt: retry with back-off, signatures a receiver can verify, the delivery log,
//! secret rotation, tenant isolation and the private-network guard.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde_json::{Map, Value, json};
use yuming_app::notify::notices::{self, NoticeKind, NoticeRequest};
use yuming_app::notify::webhooks::{self, EndpointInput};
use yuming_app::platform::paging::PageCursor;
use yuming_app::{App, AppError};
use yuming_core::access::Actor;
use yuming_core::webhook::{self as signature, WebhookSignatureError};
use yuming_test_support::fixtures::{ctx, customer};
use yuming_test_support::{TestDb, both_backends, test_app, test_app_with, test_settings};

fn code<T: std::fmt::Debug>(r: Result<T, AppError>) -> &'static str {
    r.expect_err("an error").code
}

async fn notify(app: &App, account: &Actor, kind: NoticeKind, occasion: &str) -> usize {
    let mut params = Map::new();
    params.insert("balance".into(), json!("10.00 CNY"));
    params.insert("threshold".into(), json!("50.00 CNY"));
    let mut tx = app.db().write().await.expect("tx");
    let n = notices::enqueue(
        &mut tx,
        &NoticeRequest {
            account_id: account.account_id.clone(),
            kind,
            occasion: occasion.into(),
            params,
            sms_to: None,
        },
        app.now().0,
    )
    .await
    .expect("enqueue");
    tx.commit().await.expect("commit");
    n
}

/// What the receiver saw: headers and raw body of each request.
type Seen = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

/// A receiver that answers 500 to the first request and 204 afterwards.
async fn receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let log = Arc::clone(&seen);
    let app = Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let log = Arc::clone(&log);
            async move {
                let mut log = log.lock().expect("lock");
                log.push((headers, body.to_vec()));
                if log.len() == 1 {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{address}/hook"), seen)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

both_backends!(
    signed_webhooks_retry_verify_and_log,
    |db: TestDb| async move {
        let story = yuming_test_support::story::Story::new("signed webhooks retry verify and log");
        let (app, clock) = test_app_with(
            &db.db,
            yuming_app::AppSettings {
                private_targets: true,
                ..test_settings()
            },
        );
        let alice = customer(&app, "alice@example.com").await;
        let bob = customer(&app, "bob@example.com").await;
        let (url, seen) = receiver().await;

        let created = webhooks::create(
            &app,
            &ctx(),
            &alice,
            &EndpointInput {
                url: url.clone(),
                description: "订单系统".into(),
                kinds: vec!["low_balance".into()],
                enabled: true,
            },
        )
        .await
        .expect("create");
        let secret = created.secret.clone();
        assert!(
            secret.starts_with("whsec_") && secret.len() > 40,
            "{secret}"
        );
        let id = created.endpoint.id.clone();
        assert_eq!(created.endpoint.kinds, ["low_balance"]);

        story.step("The secret is stored sealed");
        // The secret is stored sealed: not in a dump of the database.
        let mut dump = Vec::new();
        db.db.dump_sql(&mut dump).await.expect("dump");
        assert!(!String::from_utf8_lossy(&dump).contains(&secret));

        story.step("A notice");
        // A notice: e-mail, in-app and one webhook delivery; the same occasion adds nothing;
        // a kind the endpoint does not subscribe to adds no delivery.
        assert_eq!(
            notify(&app, &alice, NoticeKind::LowBalance, "low:1").await,
            3
        );
        assert_eq!(
            notify(&app, &alice, NoticeKind::LowBalance, "low:1").await,
            0
        );
        assert_eq!(
            notify(&app, &alice, NoticeKind::DomainExpired, "exp:1").await,
            2
        );

        story.step("First attempt");
        // First attempt: the receiver answers 500; the delivery waits a minute.
        assert_eq!(
            webhooks::deliver_webhooks(&app, 10).await.expect("run"),
            (0, 1)
        );
        assert_eq!(
            webhooks::deliver_webhooks(&app, 10).await.expect("run"),
            (0, 0)
        );
        clock.advance_secs(61);
        assert_eq!(
            webhooks::deliver_webhooks(&app, 10).await.expect("run"),
            (1, 0)
        );
        assert_eq!(
            webhooks::deliver_webhooks(&app, 10).await.expect("run"),
            (0, 0)
        );

        let requests = seen.lock().expect("lock").clone();
        assert_eq!(requests.len(), 2);
        let (headers, body) = &requests[1];
        assert_eq!(
            header(&requests[0].0, "yuming-webhook-id"),
            header(headers, "yuming-webhook-id"),
            "a retry carries the same id"
        );
        assert_eq!(header(headers, "yuming-event"), "low_balance");
        assert_eq!(header(headers, "content-type"), "application/json");
        let timestamp = header(headers, "yuming-timestamp");
        let signed = header(headers, "yuming-signature");
        assert!(signed.starts_with("v1="), "{signed}");
        // A receiver verifies with the secret it was shown; any change breaks it.
        assert_eq!(
            signature::verify(&secret, timestamp, signed, body, app.now()),
            Ok(())
        );
        let mut tampered = body.clone();
        tampered[10] ^= 1;
        assert_eq!(
            signature::verify(&secret, timestamp, signed, &tampered, app.now()),
            Err(WebhookSignatureError::Mismatch)
        );
        let payload: Value = serde_json::from_slice(body).expect("json");
        assert_eq!(payload["kind"], "low_balance");
        assert_eq!(payload["occasion"], "low:1");
        assert_eq!(payload["data"]["balance"], "10.00 CNY");
        assert_eq!(payload["id"], header(headers, "yuming-webhook-id"));

        story.step("The delivery log");
        // The delivery log: one delivery, two attempts.
        let log = webhooks::deliveries(&app, &alice, &id, &PageCursor::start(), 50)
            .await
            .expect("log");
        assert_eq!(log.items.len(), 1);
        let delivery = &log.items[0];
        assert_eq!(delivery.status, "sent");
        assert_eq!(
            delivery
                .attempts
                .iter()
                .map(|a| (a.attempt, a.http_status))
                .collect::<Vec<_>>(),
            [(1, Some(500)), (2, Some(204))]
        );
        assert_eq!(delivery.attempts[0].error.as_deref(), Some("HTTP 500"));

        story.step("Rotation");
        // Rotation: a new secret signs the redelivery; the old one no longer verifies.
        let rotated = webhooks::rotate_secret(&app, &ctx(), &alice, &id)
            .await
            .expect("rotate");
        assert_ne!(rotated.secret, secret);
        let again = webhooks::redeliver(&app, &ctx(), &alice, &id, &delivery.id)
            .await
            .expect("redeliver");
        assert_eq!(again.status, "pending");
        assert_eq!(
            webhooks::deliver_webhooks(&app, 10).await.expect("run"),
            (1, 0)
        );
        let requests = seen.lock().expect("lock").clone();
        let (headers, body) = &requests[2];
        let (timestamp, signed) = (
            header(headers, "yuming-timestamp"),
            header(headers, "yuming-signature"),
        );
        assert_eq!(
            signature::verify(&rotated.secret, timestamp, signed, body, app.now()),
            Ok(())
        );
        assert_eq!(
            signature::verify(&secret, timestamp, signed, body, app.now()),
            Err(WebhookSignatureError::Mismatch)
        );

        story.step("A ping reaches the endpoint whatever kinds it subscribes to");
        // A ping reaches the endpoint whatever kinds it subscribes to.
        let ping = webhooks::ping(&app, &ctx(), &alice, &id)
            .await
            .expect("ping");
        assert_eq!(
            (ping.kind.as_str(), ping.status.as_str()),
            ("ping", "pending")
        );
        assert_eq!(
            webhooks::deliver_webhooks(&app, 10).await.expect("run"),
            (1, 0)
        );
        let requests = seen.lock().expect("lock").clone();
        assert_eq!(header(&requests[3].0, "yuming-event"), "ping");
        assert_eq!(
            code(webhooks::ping(&app, &ctx(), &bob, &id).await),
            "NOT_FOUND"
        );

        story.step("Another tenant sees nothing and changes nothing");
        // Another tenant sees nothing and changes nothing.
        assert!(webhooks::list(&app, &bob).await.expect("list").is_empty());
        assert_eq!(code(webhooks::get(&app, &bob, &id).await), "NOT_FOUND");
        assert_eq!(
            code(webhooks::deliveries(&app, &bob, &id, &PageCursor::start(), 50).await),
            "NOT_FOUND"
        );
        assert_eq!(
            code(webhooks::redeliver(&app, &ctx(), &bob, &id, &delivery.id).await),
            "NOT_FOUND"
        );
        assert_eq!(
            code(webhooks::delete(&app, &ctx(), &bob, &id).await),
            "NOT_FOUND"
        );
        assert_eq!(
            code(webhooks::rotate_secret(&app, &ctx(), &bob, &id).await),
            "NOT_FOUND"
        );

        story.step("A disabled endpoint gets nothing");
        // A disabled endpoint gets nothing; deleting removes it with its log.
        let mut input = EndpointInput {
            url,
            description: String::new(),
            kinds: Vec::new(),
            enabled: false,
        };
        webhooks::update(&app, &ctx(), &alice, &id, &input)
            .await
            .expect("disable");
        assert_eq!(
            notify(&app, &alice, NoticeKind::LowBalance, "low:2").await,
            2
        );
        input.url = "ftp://example.com/".into();
        let bad = webhooks::update(&app, &ctx(), &alice, &id, &input)
            .await
            .expect_err("bad url");
        assert_eq!(
            (bad.code, bad.field.as_deref()),
            ("INVALID_WEBHOOK_URL", Some("url"))
        );
        webhooks::delete(&app, &ctx(), &alice, &id)
            .await
            .expect("delete");
        assert_eq!(code(webhooks::get(&app, &alice, &id).await), "NOT_FOUND");
    }
);

both_backends!(
    webhooks_may_not_target_private_networks_by_default,
    |db: TestDb| async move {
        let (app, _clock) = test_app(&db.db);
        let alice = customer(&app, "alice@example.com").await;
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://[::1]/",
            "http://10.0.0.8/",
        ] {
            let input = EndpointInput {
                url: url.into(),
                enabled: true,
                ..EndpointInput::default()
            };
            let error = webhooks::create(&app, &ctx(), &alice, &input)
                .await
                .expect_err("private");
            assert_eq!(
                (error.code, error.field.as_deref()),
                ("WEBHOOK_URL_PRIVATE", Some("url"))
            );
        }
        // A name that resolves to loopback passes the form check but is refused when sent.
        let endpoint = webhooks::create(
            &app,
            &ctx(),
            &alice,
            &EndpointInput {
                url: "http://localhost:9/hook".into(),
                enabled: true,
                ..EndpointInput::default()
            },
        )
        .await
        .expect("name accepted");
        assert_eq!(
            notify(&app, &alice, NoticeKind::LowBalance, "low:1").await,
            3
        );
        assert_eq!(
            webhooks::deliver_webhooks(&app, 10).await.expect("run"),
            (0, 1)
        );
        let log = webhooks::deliveries(
            &app,
            &alice,
            &endpoint.endpoint.id,
            &PageCursor::start(),
            10,
        )
        .await
        .expect("log");
        let error = log.items[0].attempts[0].error.clone().unwrap_or_default();
        assert!(error.contains("not a public address"), "{error}");
        assert_eq!(log.items[0].status, "pending", "retried later");
    }
);

/// Set in the child process of the test below.
const PROXY_CHILD: &str = "YUMING_TEST_PROXY_CHILD";

/// Deliveries ignore `HTTP_PROXY`/`ALL_PROXY`: a proxy would connect wherever it likes, not to
/// the checked and pinned address. The environment can only be given to a new process, so the
/// test runs itself again as a child whose proxy variables name a listener of ours, and checks
/// that the delivery reached the receiver while the "proxy" saw no connection. The proxy has
/// nothing to do with storage, so SQLite alone serves.
#[test]
fn deliveries_do_not_go_through_a_proxy_from_the_environment() {
    if std::env::var_os(PROXY_CHILD).is_some() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(deliver_once());
        return;
    }
    let proxy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    proxy.set_nonblocking(true).expect("nonblocking");
    let proxy_url = format!("http://{}", proxy.local_addr().expect("addr"));
    let mut child = std::process::Command::new(std::env::current_exe().expect("test binary"));
    child
        .args([
            "--exact",
            "webhooks::deliveries_do_not_go_through_a_proxy_from_the_environment",
            "--test-threads=1",
        ])
        .env(PROXY_CHILD, "1")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    for name in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        child.env(name, &proxy_url);
    }
    let out = child.output().expect("run the child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("1 passed"),
        "child failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        matches!(proxy.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
        "a connection went to the proxy"
    );
}

/// The child's part: one delivery to a receiver on 127.0.0.1 (private targets allowed).
async fn deliver_once() {
    let db = TestDb::sqlite().await;
    let (app, _clock) = test_app_with(
        &db.db,
        yuming_app::AppSettings {
            private_targets: true,
            ..test_settings()
        },
    );
    let alice = customer(&app, "alice@example.com").await;
    let (url, seen) = receiver().await;
    webhooks::create(
        &app,
        &ctx(),
        &alice,
        &EndpointInput {
            url,
            kinds: vec!["low_balance".into()],
            enabled: true,
            ..EndpointInput::default()
        },
    )
    .await
    .expect("create");
    notify(&app, &alice, NoticeKind::LowBalance, "low:1").await;
    // The receiver answers 500 to its first request: the attempt fails, but it arrived.
    assert_eq!(
        webhooks::deliver_webhooks(&app, 10).await.expect("run"),
        (0, 1)
    );
    assert_eq!(seen.lock().expect("lock").len(), 1, "the receiver got it");
}
