//! Test support: a fresh database per test on each backend, a fake clock and a cheaply
//! configured [`App`].
//!
//! PostgreSQL tests use `YUMING_TEST_PG_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`)
//! as an administrative connection, create `yuming_test_<random>` for one test and drop it
//! afterwards, even when the test panics. When PostgreSQL cannot be reached the test is
//! skipped with a visible `SKIPPED (no PostgreSQL)` line, except in CI ([`in_ci`]), where
//! that is a failure.

use std::sync::Arc;

pub mod filing;
pub mod fixtures;
pub mod gateways;
pub mod serve;
pub mod smtp;
pub mod story;
pub mod webauthn;

use sqlx::Connection;
use yuming_app::platform::clock::FakeClock;
use yuming_app::platform::crypto::Cipher;
use yuming_app::{App, AppSettings};
use yuming_core::clock::Timestamp;
use yuming_store::{Backend, Db};

/// 2026-01-01T00:00:00Z, the default start of every fake clock.
pub const EPOCH_2026: Timestamp = Timestamp(1_767_225_600);

/// A database that exists for one test.
pub struct TestDb {
    /// The migrated database.
    pub db: Db,
    /// Its URL, for tests that start the binary against it.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(
        #[expect(dead_code, reason = "held so the directory lives as long as the test")]
        tempfile::TempDir,
    ),
    Postgres {
        admin_url: String,
        name: String,
    },
}

fn pg_admin_url() -> String {
    std::env::var("YUMING_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Whether the tests run in CI (`CI` set to `true`, `1` or `yes`, in any case), where a
/// missing service or tool fails a test instead of skipping it. The one place that decides.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| is_ci_value(&v))
}

fn is_ci_value(value: &str) -> bool {
    ["true", "1", "yes"]
        .iter()
        .any(|v| value.trim().eq_ignore_ascii_case(v))
}

/// Records that the running test skipped (part of) its work for `reason`: a
/// `SKIPPED (reason): test` line on the process's stderr, written past the test harness's
/// output capture so that it shows in a passing run, and a line in `YUMING_TEST_SKIP_LOG`
/// (set by `./test`, which sums the skips up at the end).
///
/// # Panics
/// In CI ([`in_ci`]), where nothing may be skipped.
pub fn skip(reason: &str) {
    use std::io::Write;
    let test = std::thread::current()
        .name()
        .unwrap_or("unnamed test")
        .to_owned();
    assert!(
        !in_ci(),
        "{test}: {reason}, and nothing may be skipped in CI"
    );
    // `eprintln!` would be captured and shown only for failing tests.
    let _ = std::io::stderr().write_all(format!("SKIPPED ({reason}): {test}\n").as_bytes());
    if let Some(path) = std::env::var_os("YUMING_TEST_SKIP_LOG")
        && let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
    {
        let _ = file.write_all(format!("{reason}\t{test}\n").as_bytes());
    }
}

/// A connection to the PostgreSQL server's maintenance database, or `None` (skip) when it
/// is unreachable outside CI.
async fn pg_admin(admin_url: &str) -> Option<sqlx::PgConnection> {
    match sqlx::PgConnection::connect(admin_url).await {
        Ok(conn) => Some(conn),
        Err(e) if !in_ci() => {
            eprintln!("cannot connect to PostgreSQL at {admin_url}: {e}");
            skip("no PostgreSQL");
            None
        }
        Err(e) => panic!("in CI and PostgreSQL at {admin_url} is unreachable: {e}"),
    }
}

/// The name of a migrated template database for the current schema, built on first use.
///
/// Its name carries [`Db::postgres_schema_fingerprint`], so a changed migration gets a new
/// template and the old one is dropped; test processes build it under an advisory lock, and
/// it is marked a template only once fully migrated, so an interrupted build is rebuilt.
/// `./test` drops it at the end of the run.
async fn pg_template(admin_url: &str) -> Option<String> {
    static TEMPLATE: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    if let Some(name) = TEMPLATE.get() {
        return Some(name.clone());
    }
    let mut admin = pg_admin(admin_url).await?;
    let name = TEMPLATE
        .get_or_init(|| async {
            let name = format!("yuming_tpl_{}", Db::postgres_schema_fingerprint());
            build_template(&mut admin, admin_url, &name).await;
            name
        })
        .await
        .clone();
    let _ = admin.close().await;
    Some(name)
}

async fn build_template(admin: &mut sqlx::PgConnection, admin_url: &str, name: &str) {
    // Any constant shared by the test processes.
    const LOCK: i64 = 0x7975_6d69_6e67;
    let run = |sql: String| sqlx::raw_sql(sqlx::AssertSqlSafe(sql));
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(LOCK)
        .execute(&mut *admin)
        .await
        .expect("template lock");
    let existing: Vec<(String, bool)> = sqlx::query_as(
        "SELECT datname, datistemplate FROM pg_database WHERE datname LIKE 'yuming\\_tpl\\_%'",
    )
    .fetch_all(&mut *admin)
    .await
    .expect("list templates");
    let mut ready = false;
    for (datname, is_template) in existing {
        if datname == name && is_template {
            ready = true;
            continue;
        }
        // Another schema's template, or this one half built by an interrupted run.
        run(format!("ALTER DATABASE {datname} IS_TEMPLATE false"))
            .execute(&mut *admin)
            .await
            .expect("unmark template");
        run(format!("DROP DATABASE IF EXISTS {datname} WITH (FORCE)"))
            .execute(&mut *admin)
            .await
            .expect("drop stale template");
    }
    if !ready {
        run(format!("CREATE DATABASE {name}"))
            .execute(&mut *admin)
            .await
            .expect("create template");
        let db = Db::connect(&url_with_database(admin_url, name), 2)
            .await
            .expect("connect template");
        db.migrate().await.expect("migrate template");
        db.close().await;
        run(format!("ALTER DATABASE {name} IS_TEMPLATE true"))
            .execute(&mut *admin)
            .await
            .expect("mark template");
    }
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(LOCK)
        .execute(&mut *admin)
        .await
        .expect("template unlock");
}

fn url_with_database(admin_url: &str, name: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin_url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let path_start = base[scheme_end..]
        .find('/')
        .map(|i| i + scheme_end)
        .unwrap_or(base.len());
    let mut url = format!("{}/{}", &base[..path_start], name);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

impl TestDb {
    /// A migrated SQLite database in a temporary directory.
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/yuming.db", dir.path().display());
        let db = Db::connect(&url, 8).await.expect("open sqlite");
        db.migrate().await.expect("migrate sqlite");
        TestDb {
            db,
            url,
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    /// An empty, unmigrated SQLite database in a temporary directory.
    pub async fn sqlite_unmigrated() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}/yuming.db", dir.path().display());
        let db = Db::connect(&url, 8).await.expect("open sqlite");
        TestDb {
            db,
            url,
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    /// An empty database of the same backend as `self`, or `None` where [`TestDb::postgres`]
    /// would skip.
    pub async fn empty_sibling(&self) -> Option<TestDb> {
        match self.backend() {
            Backend::Sqlite => Some(TestDb::sqlite_unmigrated().await),
            Backend::Postgres => TestDb::postgres_unmigrated().await,
        }
    }

    /// A migrated PostgreSQL database of its own, or `None` (skip) when PostgreSQL is not
    /// reachable outside CI. It is a copy of the migrated template ([`pg_template`]), so the
    /// migrations run once per schema rather than once per test.
    pub async fn postgres() -> Option<TestDb> {
        let admin_url = pg_admin_url();
        let template = pg_template(&admin_url).await?;
        TestDb::postgres_database(admin_url, Some(&template)).await
    }

    /// An empty PostgreSQL database of its own (for testing that the binary migrates it).
    pub async fn postgres_unmigrated() -> Option<TestDb> {
        TestDb::postgres_database(pg_admin_url(), None).await
    }

    async fn postgres_database(admin_url: String, template: Option<&str>) -> Option<TestDb> {
        let mut admin = pg_admin(&admin_url).await?;
        let name = format!("yuming_test_{}", uuid::Uuid::new_v4().simple());
        let sql = match template {
            Some(template) => format!("CREATE DATABASE {name} TEMPLATE {template}"),
            None => format!("CREATE DATABASE {name}"),
        };
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .expect("create test database");
        let _ = admin.close().await;
        let url = url_with_database(&admin_url, &name);
        let db = Db::connect(&url, 8).await.expect("connect test database");
        Some(TestDb {
            db,
            url,
            cleanup: Cleanup::Postgres { admin_url, name },
        })
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        self.db.backend()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Cleanup::Postgres { admin_url, name } = &self.cleanup {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop runs outside any async context we can await in, so use a thread with its
            // own small runtime; FORCE ends the pool's remaining connections.
            let handle = std::thread::spawn(move || {
                let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                runtime.block_on(async move {
                    if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                        let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                        if let Err(e) = sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                            .execute(&mut admin)
                            .await
                        {
                            eprintln!("could not drop test database {name}: {e}");
                        }
                        let _ = admin.close().await;
                    }
                });
            });
            let _ = handle.join();
        }
    }
}

/// Settings with cheap password hashing so that tests run fast; everything else default.
pub fn test_settings() -> AppSettings {
    AppSettings {
        argon2_memory_kib: 64,
        argon2_iterations: 1,
        // A host name, as passkeys need (browsers refuse WebAuthn on IP addresses).
        public_url: "http://localhost:8080".into(),
        ..AppSettings::default()
    }
}

/// An application over `db` with a fake clock at [`EPOCH_2026`] and a random master key.
pub fn test_app(db: &Db) -> (App, FakeClock) {
    test_app_with(db, test_settings())
}

/// Like [`test_app`] with explicit settings.
pub fn test_app_with(db: &Db, settings: AppSettings) -> (App, FakeClock) {
    test_app_with_keys(db, settings, &Cipher::generate_key_base64(), &[])
}

/// Like [`test_app_with`] with the given master keys (base64; current and previous), as an
/// instance after a key rotation is started.
pub fn test_app_with_keys(
    db: &Db,
    settings: AppSettings,
    current: &str,
    previous: &[String],
) -> (App, FakeClock) {
    let clock = FakeClock::at(EPOCH_2026);
    let cipher = Cipher::from_base64(current, previous).expect("cipher");
    (
        App::new(db.clone(), Arc::new(clock.clone()), cipher, settings),
        clock,
    )
}

/// Runs the same async test body on SQLite and on PostgreSQL:
///
/// ```text
/// both_backends!(signup_then_login, |db: TestDb| async move { ... });
/// ```
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::TestDb::sqlite().await;
                ($body)(db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(db) = $crate::TestDb::postgres().await {
                    ($body)(db).await;
                }
            }
        }
    };
}

/// The account's e-mail outbox rows (as stored: secrets sealed), newest first.
pub async fn email_outbox(app: &App, account_id: &str) -> Vec<yuming_store::NoticeRow> {
    let mut tx = app.db().read().await.expect("read");
    let rows = tx
        .notices_of_account(account_id, "email", i64::MAX, 100)
        .await
        .expect("outbox");
    tx.commit().await.expect("commit");
    rows
}

/// The verification tokens mailed to an account, newest first, as the mailbox would see
/// them (read from the e-mail outbox, with the sealed link opened).
pub async fn verification_tokens(app: &App, account_id: &str) -> Vec<String> {
    email_outbox(app, account_id)
        .await
        .iter()
        .filter(|row| row.kind == "email_verification")
        .filter_map(|row| yuming_app::notify::notices::body_to_send(app.cipher(), row).ok())
        .filter_map(|body| token_in(&body))
        .collect()
}

/// The token of the first `…?token=…` link in a mail's text (URL-safe characters).
pub fn token_in(body: &str) -> Option<String> {
    let start = body.find("token=")? + "token=".len();
    let token: String = body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    Some(token).filter(|t| !t.is_empty())
}

/// Signs up and verifies the address through the mailed link, as a customer would; the
/// account can then pay and register.
pub async fn signup_verified(
    app: &App,
    ctx: &yuming_app::RequestContext,
    input: yuming_app::accounts::NewAccountInput,
) -> Result<yuming_app::accounts::AccountView, yuming_app::AppError> {
    let created = match yuming_app::accounts::signup(app, ctx, input).await? {
        yuming_app::accounts::SignupOutcome::Created(view) => view,
        yuming_app::accounts::SignupOutcome::AddressTaken => {
            return Err(yuming_app::AppError::internal("address taken"));
        }
    };
    let token = verification_tokens(app, &created.id)
        .await
        .into_iter()
        .next()
        .expect("a verification link was mailed");
    yuming_app::accounts::verification::verify_email(app, ctx, &token).await?;
    Ok(yuming_app::accounts::AccountView {
        email_verified: true,
        ..created
    })
}

/// The text poppler's `pdftotext` reads from `pdf`. A missing `pdftotext` or one that cannot
/// read the file fails the test: `./test` installs poppler-utils (.ci/install-tools).
pub fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("document.pdf");
    std::fs::write(&path, pdf).expect("write pdf");
    let out = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (Debian poppler-utils; ./test installs it)");
    assert!(
        out.status.success(),
        "pdftotext could not read the PDF: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

#[cfg(test)]
mod tests {
    use super::{is_ci_value, url_with_database};

    #[test]
    fn ci_values() {
        for yes in ["true", "TRUE", "1", "yes", " true "] {
            assert!(is_ci_value(yes), "{yes}");
        }
        for no in ["", "0", "false", "no", "off"] {
            assert!(!is_ci_value(no), "{no}");
        }
    }

    #[test]
    fn database_name_replaces_the_path() {
        assert_eq!(
            url_with_database("postgres://u@h:5432/postgres", "t1"),
            "postgres://u@h:5432/t1"
        );
        assert_eq!(
            url_with_database("postgres://u@h", "t1"),
            "postgres://u@h/t1"
        );
        assert_eq!(
            url_with_database("postgres://u@h/p?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
    }
}
