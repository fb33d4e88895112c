//! Crash and retry through the real binary (security review, issue 13 item 1): a renewal under
//! an `Idempotency-Key` commits, the process is killed with SIGKILL before it stores the
//! response (the `pause_before_idempotent_store` failpoint holds it in exactly that window),
//! and the client retries with the same key after a restart. The retry must never renew (and
//! charge) a second time: while the first request might still be running it is told to wait
//! (409), and once that claim is stale it gets the committed effect replayed. Both backends.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use yuming_test_support::TestDb;
use yuming_test_support::serve::{Served, start_serve};

mod common;
use common::{login, operator, yuming};

const EMAIL: &str = "crash@example.com";
const PASSWORD: &str = "correct horse battery";

/// `yuming serve` on `db_url` with `env` added; waits until it answers.
async fn serve(data: &Path, db_url: &str, env: &[(&str, &str)]) -> Served {
    let mut command = yuming(data);
    command
        .arg("serve")
        .env("YUMING_DATABASE_URL", db_url)
        .env("YUMING_WHOIS_ADDR", "")
        .stdout(Stdio::null());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut served = start_serve(&mut command, false);
    served.wait_healthy().await;
    served
}

async fn call(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let request = match body {
        Some(body) => client.post(format!("{base}{path}")).json(&body),
        None => client.get(format!("{base}{path}")),
    };
    let response = request.bearer_auth(token).send().await.expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn balance(client: &reqwest::Client, base: &str, token: &str) -> i64 {
    let (status, body) = call(client, base, token, "/api/v1/account/balance", None).await;
    assert_eq!(status, 200, "{body}");
    body["balance"]["amount"].as_i64().unwrap_or(-1)
}

/// The renewal under `key`, with a client timeout.
async fn renew(
    base: &str,
    token: &str,
    key: &str,
    timeout: Duration,
) -> reqwest::Result<(u16, Value)> {
    let client = yuming_app::platform::http::client_builder()
        .timeout(timeout)
        .build()?;
    let response = client
        .post(format!("{base}/api/v1/domains/crash-test.com/renew"))
        .bearer_auth(token)
        .header("idempotency-key", key)
        .json(&json!({ "years": 1 }))
        .send()
        .await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await.unwrap_or(Value::Null)))
}

async fn crash_between_commit_and_response(db: TestDb) {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let client = yuming_app::platform::http::client_builder()
        .build()
        .expect("client");

    // A customer with money, a registrant contact and a domain, set up as an operator and a
    // customer would. The failpoint only holds requests that carry an Idempotency-Key.
    let mut server = serve(
        &data,
        &db.url,
        &[("YUMING_HTTP__FAILPOINT", "pause_before_idempotent_store")],
    )
    .await;
    let base = server.base();
    operator(
        &data,
        &db.url,
        &[
            "user",
            "create",
            "--email",
            EMAIL,
            "--role",
            "customer",
            "--password-stdin",
        ],
        Some(PASSWORD),
    );
    operator(
        &data,
        &db.url,
        &[
            "account",
            "credit",
            "--email",
            EMAIL,
            "--amount",
            "100000",
            "--currency",
            "CNY",
            "--note",
            "test",
        ],
        None,
    );
    let token = login(&client, &base, EMAIL, PASSWORD).await;
    let (status, contact) = call(&client, &base, &token, "/api/v1/contacts", Some(json!({
        "kind": "person", "name": "张三", "id_type": "resident_id",
        "id_number": "11010519491231002X", "email": "holder@example.com",
        "phone": "+86.13800138000",
        "address": {"country": "CN", "province": "北京市", "city": "北京市", "street": "长安街 1 号"}
    }))).await;
    assert_eq!(status, 201, "{contact}");
    let (status, registered) = call(
        &client,
        &base,
        &token,
        "/api/v1/domains",
        Some(json!({
            "name": "crash-test.com", "years": 1, "registrant_contact_id": contact["id"],
        })),
    )
    .await;
    assert_eq!(status, 201, "{registered}");
    let before = balance(&client, &base, &token).await;

    // The renewal commits, then the server holds it before storing the response; the client
    // gives up waiting.
    let first = renew(&base, &token, "renew-after-crash", Duration::from_secs(2)).await;
    assert!(first.is_err(), "the failpoint holds the answer: {first:?}");
    let deadline = Instant::now() + Duration::from_secs(30);
    let charged = loop {
        let now = balance(&client, &base, &token).await;
        if now < before {
            break before - now;
        }
        assert!(Instant::now() < deadline, "the renewal never committed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };

    // kill -9: nothing after the commit runs.
    let pid = server.child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let _ = server.child.wait();
    drop(server);

    // Restarted at once: the first request could still be running as far as the key knows.
    let server = serve(&data, &db.url, &[]).await;
    let (status, body) = renew(
        &server.base(),
        &token,
        "renew-after-crash",
        Duration::from_secs(30),
    )
    .await
    .expect("retry");
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        body["error"]["code"], "IDEMPOTENCY_KEY_IN_PROGRESS",
        "{body}"
    );
    assert_eq!(
        balance(&client, &server.base(), &token).await,
        before - charged
    );
    drop(server);

    // Ten minutes later (past the stale window): the committed effect is replayed.
    let server = serve(&data, &db.url, &[("YUMING_CLOCK_OFFSET_SECS", "600")]).await;
    let base = server.base();
    let (status, body) = renew(&base, &token, "renew-after-crash", Duration::from_secs(30))
        .await
        .expect("retry");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["idempotent_replay"]["status"], "committed", "{body}");
    assert_eq!(
        body["idempotent_replay"]["effect"]["object_type"], "domain",
        "{body}"
    );
    assert_eq!(
        balance(&client, &base, &token).await,
        before - charged,
        "renewed and charged exactly once"
    );
    let (_, orders) = call(&client, &base, &token, "/api/v1/orders", None).await;
    let renewals = orders["orders"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|o| o["kind"] == "renew")
        .count();
    assert_eq!(renewals, 1, "{orders}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_between_commit_and_response_on_sqlite() {
    crash_between_commit_and_response(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_between_commit_and_response_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        crash_between_commit_and_response(db).await;
    }
}
