//! The running API against its own OpenAPI document, with schemathesis (PyPI `st`): a fresh
//! `yuming serve` (SQLite) on 127.0.0.1, a customer with a little seed data (a contact, a
//! registration, a filing entity, site and order, so that lists and lookups are not empty),
//! then `st run` twice — with the customer's bearer token and without any credentials.
//!
//! Passes when there is no 5xx, no response outside its schema, no undocumented status code
//! and no undocumented content type. Bounded by examples per operation and by time; the
//! environment variable `YUMING_ST_MAX_TIME` (seconds per run) lengthens a run by hand.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use yuming_test_support::serve::start_serve;

mod common;
use common::{create_customer, login, yuming};

const EMAIL: &str = "st@example.com";
const PASSWORD: &str = "correct horse battery";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_keeps_its_openapi_contract_under_generated_requests() {
    if Command::new("st").arg("--version").output().is_err() {
        yuming_test_support::skip("schemathesis (st) is not installed: .ci/install-tools");
        return;
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    create_customer(&data, EMAIL, PASSWORD, 10_000_000);
    let mut command = yuming(&data);
    command.arg("serve");
    let mut server = start_serve(&mut command, false);
    let base = server.base();
    let token = seed(&base).await;

    let with_token = run_st(dir.path(), &base, Some(&token));
    let anonymous = run_st(dir.path(), &base, None);
    for (name, run) in [("customer token", &with_token), ("anonymous", &anonymous)] {
        assert!(
            run.passed,
            "schemathesis ({name}) found failures:\n{}\n--- server log ---\n{}",
            run.output,
            server.log()
        );
    }
    // The document describes well over a hundred operations; every one was exercised.
    assert!(with_token.tested >= 100, "{}", with_token.output);
    assert_eq!(with_token.tested, anonymous.tested);
    // With the token every customer operation gets past authentication: the only ones that
    // answer nothing but 401/403 are staff endpoints (a customer is not staff) and the login
    // with made-up credentials. Without it, all do not.
    let refused = refused_operations(&with_token.output);
    assert_eq!(
        refused.len() as u32,
        with_token.only_refused,
        "{}",
        with_token.output
    );
    let customer_refused: Vec<&String> = refused
        .iter()
        .filter(|operation| !is_staff_or_login(operation))
        .collect();
    assert!(
        customer_refused.is_empty(),
        "with a customer token these customer operations answered only 401/403: {customer_refused:?}\n{}",
        with_token.output
    );
    assert!(
        anonymous.only_refused > with_token.only_refused + 40,
        "without credentials only {} operations were refused:\n{}",
        anonymous.only_refused,
        anonymous.output
    );
}

/// A contact, a registration and a filing order for the customer; returns its bearer token.
async fn seed(base: &str) -> String {
    let client = yuming_app::platform::http::client_builder()
        .build()
        .expect("client");
    let token = login(&client, base, EMAIL, PASSWORD).await;
    let post = |path: &str, body: Value| {
        let request = client
            .post(format!("{base}{path}"))
            .bearer_auth(&token)
            .json(&body);
        async move {
            let response = request.send().await.expect("request");
            let status = response.status().as_u16();
            let body = response.json::<Value>().await.unwrap_or(Value::Null);
            assert!((200..300).contains(&status), "seeding: {status} {body}");
            body
        }
    };
    let contact = post(
        "/api/v1/contacts",
        json!({
            "kind": "person", "name": "张三", "id_type": "resident_id",
            "id_number": "11010519491231002X", "email": "z@example.com",
            "phone": "+86.13800138000",
            "address": { "country": "CN", "province": "北京市", "city": "北京市", "street": "长安街 1 号" }
        }),
    )
    .await;
    post(
        "/api/v1/domains",
        json!({ "name": "seed-example.cn", "years": 1, "registrant_contact_id": contact["id"] }),
    )
    .await;
    let principal = json!({
        "name": "张三", "id_type": "resident_id", "id_number": "11010519491231002X",
        "mobile": "13800138000", "email": "p@example.com"
    });
    let entity = post(
        "/api/v1/filing/entities",
        json!({
            "entity_type": "PERSON", "name": "张三", "province": "北京",
            "cert_type": "resident_id", "cert_no": "11010519491231002X",
            "address": "北京市东城区长安街 1 号", "principal": principal,
            "principal_is_legal_rep": true
        }),
    )
    .await;
    let entity_id = entity["id"].as_str().expect("entity id");
    let site = post(
        &format!("/api/v1/filing/entities/{entity_id}/sites"),
        json!({
            "name": "张三的学习笔记", "domain": "seed-example.cn",
            "homepage": "https://www.seed-example.cn/", "content_types": [100],
            "preapprovals": [], "purpose": "记录生活与学习", "languages": ["zh-CN"],
            "principal": principal, "servers": ["203.0.113.30"]
        }),
    )
    .await;
    post(
        "/api/v1/filing/orders",
        json!({ "operation": "FIRST", "entity_id": entity_id, "site_id": site["id"] }),
    )
    .await;
    token
}

struct StRun {
    passed: bool,
    tested: u32,
    only_refused: u32,
    output: String,
}

fn run_st(work: &Path, base: &str, token: Option<&str>) -> StRun {
    let max_time = std::env::var("YUMING_ST_MAX_TIME").unwrap_or_else(|_| "45".into());
    // Left to itself st signs up and logs in on its own when it sees a sign-up and a login
    // operation: the anonymous run would not be anonymous.
    let config = work.join("schemathesis.toml");
    std::fs::write(&config, "[auth]\nauto-signup = false\n").expect("st config");
    let mut command = Command::new("st");
    // st keeps its state in `.schemathesis/` under the working directory.
    command.current_dir(work).arg("--config-file").arg(&config).args([
        "run",
        &format!("{base}/api/openapi.json"),
        "--url",
        base,
        "--checks",
        "not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance",
        // Logging out would end the token every other request uses.
        "--exclude-path",
        "/api/v1/auth/logout",
        // A made-up X-Yuming-Key next to the bearer token is refused by design (401).
        "--generation-with-security-parameters",
        "false",
        "--max-examples",
        "20",
        "--max-time",
        &max_time,
        "--workers",
        "2",
        "--seed",
        "3",
        "--no-color",
    ]);
    if let Some(token) = token {
        command.args(["-H", &format!("Authorization: Bearer {token}")]);
    }
    let out = command.output().expect("st run");
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    StRun {
        passed: out.status.success(),
        tested: number_after(&output, "Tested: "),
        only_refused: number_after(&output, "Authentication failed: "),
        output,
    }
}

/// The number that follows `label` in st's summary; 0 when the line is absent.
fn number_after(output: &str, label: &str) -> u32 {
    output
        .split(label)
        .nth(1)
        .and_then(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// The operations st lists under "Authentication failed" (`METHOD /path`, one per line).
fn refused_operations(output: &str) -> Vec<String> {
    let Some(section) = output.split("Authentication failed").nth(1) else {
        return Vec::new();
    };
    section
        .lines()
        .skip(1)
        .take_while(|line| !line.contains('💡'))
        .filter_map(|line| line.trim().strip_prefix("- "))
        .map(str::to_owned)
        .collect()
}

fn is_staff_or_login(operation: &str) -> bool {
    let path = operation.split_whitespace().nth(1).unwrap_or_default();
    path.starts_with("/api/v1/admin/")
        || path.starts_with("/api/v1/review/")
        || path == "/api/v1/auth/login"
}
