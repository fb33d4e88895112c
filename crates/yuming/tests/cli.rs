//! The binary from the outside: `serve` on SQLite and PostgreSQL, operator commands, and
//! `audit verify` catching an edited row on both backends.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use yuming_test_support::TestDb;
use yuming_test_support::serve::{Served, start_serve};

fn yuming() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_yuming"));
    // Start from a clean slate: no inherited configuration.
    for (name, _) in std::env::vars() {
        if name.starts_with("YUMING_") {
            command.env_remove(name);
        }
    }
    command
        .env("YUMING_LOG", "warn")
        .env("YUMING_DNS_ADDR", "")
        .env("YUMING_WHOIS_ADDR", "");
    command
}

/// The permission bits of a file or directory.
#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

struct Server {
    served: Served,
    base: String,
}

impl Server {
    fn start(data_dir: &Path, database_url: Option<&str>) -> Server {
        let mut command = yuming();
        command
            .arg("serve")
            .current_dir(data_dir)
            .env("YUMING_DATA_DIR", data_dir.join("data"))
            .env("YUMING_AUTH__ARGON2_MEMORY_KIB", "64")
            .env("YUMING_AUTH__ARGON2_ITERATIONS", "1")
            .stdout(Stdio::null());
        if let Some(url) = database_url {
            command.env("YUMING_DATABASE_URL", url);
        }
        // Binds port 0 and reports the address: no free-port race with other tests.
        let served = start_serve(&mut command, false);
        let base = served.base();
        Server { served, base }
    }

    async fn wait_healthy(&mut self) -> serde_json::Value {
        self.served.wait_healthy().await
    }

    /// SIGTERM, then the process must exit on its own with success.
    fn stop_gracefully(mut self) {
        let pid = self.served.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(sent.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.served.child.try_wait().expect("wait") {
                assert!(status.success(), "graceful shutdown exits 0, got {status}");
                return;
            }
            assert!(Instant::now() < deadline, "did not shut down");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

async fn signup_and_login(base: &str) {
    let client = yuming_app::platform::http::client_builder()
        .build()
        .expect("client");
    let signup = client
        .post(format!("{base}/api/v1/auth/signup"))
        .json(&serde_json::json!({"email": "a@example.com", "password": "correct horse battery", "display_name": "A"}))
        .send()
        .await
        .expect("signup");
    assert_eq!(signup.status(), 202, "sign-up answers 'verification sent'");
    let login = client
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "a@example.com", "password": "correct horse battery"}))
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_on_embedded_sqlite_with_no_configuration() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start(dir.path(), None);
    assert_eq!(
        server.wait_healthy().await,
        serde_json::json!({"status": "ok"})
    );
    signup_and_login(&server.base).await;
    // Starts on the try-out nameservers, but says loudly what to set.
    let log = server.served.log();
    assert!(
        log.contains("\"level\":\"WARN\"") && log.contains("registrar.default_nameservers"),
        "{log}"
    );
    assert!(
        dir.path().join("data/yuming.db").exists(),
        "SQLite file created on first start"
    );
    let key_file = dir.path().join("data/master.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file)
            .expect("master key generated")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "master key is private");
        // The data directory and everything holding data are the owner's alone, the WAL and
        // shared-memory files included (checked while the server still has them open).
        assert_eq!(mode_of(&dir.path().join("data")), 0o700, "data dir");
        let database = dir.path().join("data/yuming.db");
        assert_eq!(mode_of(&database), 0o600, "database file");
        for suffix in ["-wal", "-shm"] {
            let file = dir.path().join(format!("data/yuming.db{suffix}"));
            assert!(file.exists(), "{suffix} file while serving");
            assert_eq!(mode_of(&file), 0o600, "{suffix} file");
        }
    }
    server.stop_gracefully();

    // A backup archive is private too.
    let archive = dir.path().join("snap.tar.gz");
    let backup = yuming()
        .arg("backup")
        .arg("--out")
        .arg(&archive)
        .current_dir(dir.path())
        .env("YUMING_DATA_DIR", dir.path().join("data"))
        .output()
        .expect("run");
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    #[cfg(unix)]
    assert_eq!(mode_of(&archive), 0o600, "backup archive");

    // The operator commands work on the same database.
    let verify = yuming()
        .arg("audit")
        .arg("verify")
        .current_dir(dir.path())
        .env("YUMING_DATA_DIR", dir.path().join("data"))
        .output()
        .expect("run");
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert!(String::from_utf8_lossy(&verify.stdout).contains("intact: 2 entries"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_migrates_a_fresh_postgres_database() {
    let Some(db) = TestDb::postgres_unmigrated().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = Server::start(dir.path(), Some(&db.url));
    assert_eq!(
        server.wait_healthy().await,
        serde_json::json!({"status": "ok"})
    );
    signup_and_login(&server.base).await;
    server.stop_gracefully();
}

fn run_with_db(
    db_url: &str,
    data_dir: &Path,
    args: &[&str],
    stdin: Option<&str>,
) -> std::process::Output {
    let mut child = yuming()
        .args(args)
        .env("YUMING_DATABASE_URL", db_url)
        .env("YUMING_DATA_DIR", data_dir)
        .env("YUMING_AUTH__ARGON2_MEMORY_KIB", "64")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run yuming");
    if let (Some(mut pipe), Some(text)) = (child.stdin.take(), stdin) {
        pipe.write_all(text.as_bytes()).expect("stdin");
    }
    child.wait_with_output().expect("output")
}

async fn audit_verify_names_the_edited_entry(db: TestDb) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (i, role) in ["admin", "reviewer", "customer"].iter().enumerate() {
        let email = format!("user{i}@example.com");
        let out = run_with_db(
            &db.url,
            dir.path(),
            &[
                "user",
                "create",
                "--email",
                &email,
                "--role",
                role,
                "--password-stdin",
            ],
            Some("correct horse battery\n"),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("created {role} account")));
    }
    let bad_role = run_with_db(
        &db.url,
        dir.path(),
        &[
            "user",
            "create",
            "--email",
            "x@example.com",
            "--role",
            "root",
            "--password-stdin",
        ],
        Some("correct horse battery\n"),
    );
    assert!(!bad_role.status.success());
    let no_password = run_with_db(
        &db.url,
        dir.path(),
        &[
            "user",
            "create",
            "--email",
            "y@example.com",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some(""),
    );
    assert!(!no_password.status.success());

    let ok = run_with_db(&db.url, dir.path(), &["audit", "verify"], None);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("intact: 3 entries"));

    db.db
        .execute_raw("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
        .await
        .expect("tamper");
    let broken = run_with_db(&db.url, dir.path(), &["audit", "verify"], None);
    assert_eq!(broken.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&broken.stderr);
    assert!(
        stderr.contains("audit entry 2 content does not match its hash"),
        "{stderr}"
    );

    let jobs = run_with_db(&db.url, dir.path(), &["jobs", "run-once"], None);
    assert!(
        jobs.status.success(),
        "{}",
        String::from_utf8_lossy(&jobs.stderr)
    );

    // The jobs signed the audit log's first tree head, which made the platform's signing key.
    // Rotating it twice: the older keys stay, retired.
    for _ in 0..2 {
        let rotated = run_with_db(&db.url, dir.path(), &["filing", "rotate-signing-key"], None);
        assert!(
            rotated.status.success(),
            "{}",
            String::from_utf8_lossy(&rotated.stderr)
        );
        assert!(String::from_utf8_lossy(&rotated.stdout).contains("signed with key fsk-"));
    }
    let mut tx = db.db.read().await.expect("tx");
    let keys = tx.signing_keys().await.expect("keys");
    tx.commit().await.expect("commit");
    assert_eq!(keys.len(), 3);
    assert_eq!(keys.iter().filter(|k| k.retired_at.is_none()).count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_on_sqlite() {
    audit_verify_names_the_edited_entry(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_verify_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        audit_verify_names_the_edited_entry(db).await;
    }
}

async fn backup_then_restore_into_a_new_database(db: TestDb) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run_with_db(
        &db.url,
        dir.path(),
        &[
            "user",
            "create",
            "--email",
            "ops@example.com",
            "--role",
            "admin",
            "--password-stdin",
        ],
        Some("correct horse battery\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let archive = dir.path().join("backups/snap.tar.gz");
    let archive_arg = archive.to_string_lossy().into_owned();
    let backup = run_with_db(
        &db.url,
        dir.path(),
        &["backup", "--out", &archive_arg],
        None,
    );
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    assert!(String::from_utf8_lossy(&backup.stdout).contains("master key is not included"));
    #[cfg(unix)]
    assert_eq!(mode_of(&archive), 0o600, "backup archive is private");

    let target = db.empty_sibling().await.expect("new database");
    let target_dir = tempfile::tempdir().expect("tempdir");
    let restore = run_with_db(
        &target.url,
        target_dir.path(),
        &["restore", &archive_arg],
        None,
    );
    let stdout = String::from_utf8_lossy(&restore.stdout);
    assert!(
        restore.status.success(),
        "{}",
        String::from_utf8_lossy(&restore.stderr)
    );
    assert!(
        stdout.contains("audit chain intact (1 entries)"),
        "{stdout}"
    );

    // The restored database is the service's database now: it cannot be restored over.
    let again = run_with_db(
        &target.url,
        target_dir.path(),
        &["restore", &archive_arg],
        None,
    );
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("restore into a new, empty database"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_restore_on_sqlite() {
    backup_then_restore_into_a_new_database(TestDb::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_restore_on_postgres() {
    if let Some(db) = TestDb::postgres().await {
        backup_then_restore_into_a_new_database(db).await;
    }
}

#[test]
fn help_lists_every_command() {
    let out = yuming().arg("--help").output().expect("run");
    let text = String::from_utf8_lossy(&out.stdout);
    for command in [
        "serve", "migrate", "user", "audit", "jobs", "openapi", "bench", "backup", "restore",
    ] {
        assert!(text.contains(command), "--help lacks {command}");
    }
    let bad_config = yuming()
        .args(["migrate"])
        .env("YUMING_AUTH__SESSION_TTL_SECS", "soon")
        .output()
        .expect("run");
    assert!(!bad_config.status.success());
    assert!(String::from_utf8_lossy(&bad_config.stderr).contains("session_ttl_secs"));
}
