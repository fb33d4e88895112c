//! What the end-to-end tests of the `yuming` binary share: the command on a clean
//! configuration, and `dig` with its status line.
// Each test file is its own crate and uses only part of this module.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Stdio};

/// `yuming` with no inherited `YUMING_*` configuration, its data in `data`, quiet logs and
/// cheap password hashing.
pub fn yuming(data: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_yuming"));
    for (name, _) in std::env::vars() {
        if name.starts_with("YUMING_") {
            command.env_remove(name);
        }
    }
    command
        .env("YUMING_LOG", "warn")
        .env("YUMING_DATA_DIR", data)
        .env("YUMING_AUTH__ARGON2_MEMORY_KIB", "64")
        .env("YUMING_AUTH__ARGON2_ITERATIONS", "1");
    command
}

/// `dig @127.0.0.1 -p PORT` with one try of 2 s (a later `+time=` in `args` wins) and `args`;
/// its standard output.
pub fn dig(port: u16, args: &[&str]) -> String {
    let out = Command::new("dig")
        .arg("@127.0.0.1")
        .args(["-p", &port.to_string(), "+time=2", "+tries=1"])
        .args(args)
        .output()
        .expect("dig (package dnsutils)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The `status:` of a dig answer (`NOERROR`, `REFUSED`, …), `none` when there is none.
pub fn status(out: &str) -> &str {
    out.split("status: ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .unwrap_or("none")
}

/// Creates a customer with `yuming user create` (an operator-made account counts as
/// verified) and credits `fen` to its balance.
pub fn create_customer(data: &Path, email: &str, password: &str, fen: i64) {
    use std::io::Write as _;
    let mut child = yuming(data)
        .args(["user", "create", "--email", email, "--role", "customer"])
        .arg("--password-stdin")
        .stdin(Stdio::piped())
        .spawn()
        .expect("user create");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("password");
    assert!(child.wait().expect("user create").success(), "user create");
    if fen > 0 {
        let credit = yuming(data)
            .args(["account", "credit", "--email", email, "--amount"])
            .arg(fen.to_string())
            .status()
            .expect("account credit");
        assert!(credit.success(), "account credit");
    }
}

/// Logs in through the API and returns the bearer token.
pub async fn login(client: &reqwest::Client, base: &str, email: &str, password: &str) -> String {
    let response = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("login");
    let body: serde_json::Value = response.json().await.expect("login body");
    body["token"].as_str().expect("token").to_owned()
}

/// Runs an operator command against `db_url`; its standard output. Panics with its output
/// when it fails.
pub fn operator(data: &Path, db_url: &str, args: &[&str], stdin: Option<&str>) -> String {
    use std::io::Write as _;
    let mut child = yuming(data)
        .args(args)
        .env("YUMING_DATABASE_URL", db_url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run yuming");
    if let (Some(mut pipe), Some(text)) = (child.stdin.take(), stdin) {
        pipe.write_all(text.as_bytes()).expect("stdin");
    }
    let out = child.wait_with_output().expect("output");
    assert!(
        out.status.success(),
        "yuming {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
