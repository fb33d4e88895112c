//! `yuming bench auth`: login and authenticated-request throughput over real HTTP on
//! 127.0.0.1, and the cost of the audit write per state change. Bounded in time; sends
//! traffic to loopback only.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use yuming_app::platform::clock::SystemClock;
use yuming_app::platform::crypto::Cipher;
use yuming_app::{App, RequestContext, accounts};
use yuming_config::Config;
use yuming_core::clock::Timestamp;
use yuming_core::signing::{SignedParts, sign};
use yuming_store::{Db, NewAuditEntry};

use crate::setup;

struct Phase {
    name: &'static str,
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies_us: Vec<u64>,
}

impl Phase {
    fn report(&mut self) {
        self.latencies_us.sort_unstable();
        let pct = |p: f64| {
            let n = self.latencies_us.len();
            if n == 0 {
                0
            } else {
                self.latencies_us[((n as f64 * p) as usize).min(n - 1)]
            }
        };
        // Integer arithmetic only: requests per second with one decimal.
        let per_sec_x10 = (self.requests as u128 * 10_000_000) / self.elapsed.as_micros().max(1);
        println!(
            "{:<34} {:>7}.{} req/s   p50 {:>6} µs   p99 {:>6} µs   ({} requests, {} errors)",
            self.name,
            per_sec_x10 / 10,
            per_sec_x10 % 10,
            pct(0.50),
            pct(0.99),
            self.requests,
            self.errors
        );
    }
}

/// Fails the benchmark when any request of `phases` did not get its expected (2xx) answer:
/// a rate counting refusals or errors measures something else.
fn all_answered(phases: &[&Phase]) -> anyhow::Result<()> {
    let failed: Vec<String> = phases
        .iter()
        .filter(|p| p.errors > 0)
        .map(|p| format!("{} ({} of {})", p.name, p.errors, p.requests))
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        anyhow::bail!(
            "requests without the expected answer: {}",
            failed.join(", ")
        )
    }
}

/// Runs `make_request` from `concurrency` clients for `seconds`.
async fn run_phase<F, Fut>(
    name: &'static str,
    concurrency: usize,
    seconds: u64,
    make_request: F,
) -> Phase
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let make_request = Arc::new(make_request);
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..concurrency {
        let make_request = make_request.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            let mut i = 0;
            while Instant::now() < deadline {
                let t0 = Instant::now();
                if !make_request(client * 1_000_000 + i).await {
                    errors += 1;
                }
                latencies.push(t0.elapsed().as_micros() as u64);
                i += 1;
            }
            (latencies, errors)
        }));
    }
    let mut phase = Phase {
        name,
        requests: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies_us: Vec::new(),
    };
    for task in tasks {
        if let Ok((latencies, errors)) = task.await {
            phase.requests += latencies.len();
            phase.errors += errors;
            phase.latencies_us.extend(latencies);
        }
    }
    phase.elapsed = started.elapsed();
    phase
}

/// A migrated database (a temporary SQLite file unless `database_url` is given) and an app
/// over it with the system clock, no login rate limit and a throwaway master key.
async fn bench_app(
    config: &Config,
    database_url: Option<String>,
    cheap_hashing: bool,
) -> anyhow::Result<(tempfile::TempDir, Db, App)> {
    Ok(bench_app_with_key(config, database_url, cheap_hashing)
        .await?
        .0)
}

/// A database with its URL and the app's master key, for a [`ServerProcess`] over the same.
struct BenchDatabase {
    url: String,
    master_key: String,
}

async fn bench_app_with_key(
    config: &Config,
    database_url: Option<String>,
    cheap_hashing: bool,
) -> anyhow::Result<((tempfile::TempDir, Db, App), BenchDatabase)> {
    let temp_dir = tempfile::tempdir()?;
    let url =
        database_url.unwrap_or_else(|| format!("sqlite://{}/bench.db", temp_dir.path().display()));
    let db = Db::connect(&url, config.database.max_connections)
        .await
        .context("connecting")?;
    db.migrate().await?;
    let mut settings = setup::app_settings(config);
    settings.login_attempts_per_ip_per_minute = i64::MAX;
    if cheap_hashing {
        settings.argon2_memory_kib = 64;
        settings.argon2_iterations = 1;
    }
    let master_key = Cipher::generate_key_base64();
    let cipher = Cipher::from_base64(&master_key, &[])?;
    let app = App::new(
        db.clone(),
        Arc::new(SystemClock::default()),
        cipher,
        settings,
    );
    Ok(((temp_dir, db, app), BenchDatabase { url, master_key }))
}

/// `yuming serve` in a process of its own, over the benchmark's database and master key: the
/// load generator (this process) and the server then never share a scheduler or cores'
/// run queues by accident, as they would in one runtime. Killed on drop.
struct ServerProcess {
    child: std::process::Child,
    base: String,
}

impl ServerProcess {
    /// Starts it with `env` added to the inherited environment and waits for its address
    /// (read from its JSON log: it binds port 0, so no free-port race) and `/healthz`.
    async fn start(
        database_url: &str,
        data_dir: &std::path::Path,
        master_key: &str,
        env: &[(&str, String)],
    ) -> anyhow::Result<ServerProcess> {
        use std::io::BufRead;
        let mut command = std::process::Command::new(std::env::current_exe()?);
        command
            .arg("serve")
            .env("YUMING_DATABASE_URL", database_url)
            .env("YUMING_DATA_DIR", data_dir)
            .env("YUMING_MASTER_KEY", master_key)
            .env("YUMING_HTTP_ADDR", "127.0.0.1:0")
            .env("YUMING_DNS_ADDR", "")
            .env("YUMING_WHOIS_ADDR", "")
            .env("YUMING_LOG_FORMAT", "json")
            .env("YUMING_LOG", "warn,yuming::serve=info")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().context("starting yuming serve")?;
        let stderr = child.stderr.take().context("serve's stderr")?;
        let (found, address) = std::sync::mpsc::channel();
        // Reads to the end so that the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let http = serde_json::from_str::<serde_json::Value>(&line)
                    .ok()
                    .and_then(|entry| {
                        let fields = entry.get("fields").unwrap_or(&entry);
                        fields
                            .get("http")
                            .and_then(|v| v.as_str())
                            .map(str::to_owned)
                    });
                match http {
                    Some(http) => {
                        let _ = found.send(http);
                    }
                    None if line.contains("\"ERROR\"") => eprintln!("serve: {line}"),
                    None => {}
                }
            }
        });
        let mut server = ServerProcess {
            child,
            base: String::new(),
        };
        let http =
            tokio::task::spawn_blocking(move || address.recv_timeout(Duration::from_secs(60)))
                .await?
                .context("yuming serve did not report its address")?;
        server.base = format!("http://{http}");
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = yuming_app::platform::http::client_builder().build()?;
        loop {
            if let Ok(response) = client.get(format!("{}/healthz", server.base)).send().await
                && response.status().is_success()
            {
                return Ok(server);
            }
            anyhow::ensure!(Instant::now() < deadline, "yuming serve is not healthy");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The benchmark.
pub async fn auth(
    config: &Config,
    database_url: Option<String>,
    concurrency: usize,
    seconds: u64,
) -> anyhow::Result<()> {
    let ((temp_dir, db, app), database) = bench_app_with_key(config, database_url, false).await?;
    println!(
        "backend {:?}, argon2id m={} KiB t={}, {} clients, {} s per phase, {} cores; server in its own process",
        db.backend(),
        config.auth.argon2_memory_kib,
        config.auth.argon2_iterations,
        concurrency,
        seconds,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    let server = ServerProcess::start(
        &database.url,
        &temp_dir.path().join("data"),
        &database.master_key,
        &[
            (
                "YUMING_AUTH__ARGON2_MEMORY_KIB",
                config.auth.argon2_memory_kib.to_string(),
            ),
            (
                "YUMING_AUTH__ARGON2_ITERATIONS",
                config.auth.argon2_iterations.to_string(),
            ),
            // One client address logs in over and over: the per-IP login limit is lifted.
            (
                "YUMING_AUTH__LOGIN_ATTEMPTS_PER_IP_PER_MINUTE",
                i64::MAX.to_string(),
            ),
            ("YUMING_HTTP__MAX_CONNECTIONS_PER_IP", "0".into()),
        ],
    )
    .await?;
    let base = server.base.clone();
    let client = yuming_app::platform::http::client_builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;

    let email = "bench@example.com";
    let password = "bench password 123";
    let signup = client
        .post(format!("{base}/api/v1/auth/signup"))
        .json(&serde_json::json!({ "email": email, "password": password, "display_name": "bench" }))
        .send()
        .await?;
    anyhow::ensure!(
        signup.status().is_success(),
        "signup failed: {}",
        signup.status()
    );

    let login_body = serde_json::json!({ "email": email, "password": password });
    let (c, b, body) = (client.clone(), base.clone(), login_body.clone());
    // Password checks run one per core and shed load with 429 SERVER_BUSY once a check has
    // queued too long: more clients than a few per core would measure the shedding, and a
    // refused login is not a login. The phase uses two clients per core, and says so.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let login_clients = concurrency.min(2 * cores);
    println!(
        "login phase: {login_clients} clients (password checks are bounded per core; the other \
         phases use {concurrency})"
    );
    let mut login = run_phase("POST /api/v1/auth/login", login_clients, seconds, move |_| {
        let (c, b, body) = (c.clone(), b.clone(), body.clone());
        async move {
            matches!(c.post(format!("{b}/api/v1/auth/login")).json(&body).send().await, Ok(r) if r.status().is_success())
        }
    })
    .await;
    login.report();

    let session = accounts::login(
        &app,
        &RequestContext::internal("bench"),
        accounts::LoginInput {
            email: email.into(),
            password: password.into(),
            totp: None,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let token = session.token;
    let (c, b) = (client.clone(), base.clone());
    let mut bearer = run_phase("GET /api/v1/me (bearer token)", concurrency, seconds, move |_| {
        let (c, b, token) = (c.clone(), b.clone(), token.clone());
        async move {
            matches!(c.get(format!("{b}/api/v1/me")).bearer_auth(token).send().await, Ok(r) if r.status().is_success())
        }
    })
    .await;
    bearer.report();

    let actor =
        accounts::authenticate_token(&app, &session_token_for(&app, email, password).await?)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    // The highest quotas: the benchmark measures signing, not the quota's refusals.
    let key = yuming_app::accounts::api_keys::create(
        &app,
        &RequestContext::internal("bench"),
        &actor,
        yuming_app::accounts::api_keys::NewApiKeyInput {
            name: "bench".into(),
            scopes: vec!["read".into()],
            per_minute: Some(yuming_core::api_key::Quota::MAX.per_minute),
            per_day: Some(yuming_core::api_key::Quota::MAX.per_day),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (c, b, key_id, secret) = (
        client.clone(),
        base.clone(),
        key.key.id.clone(),
        key.secret.clone(),
    );
    let mut signed = run_phase(
        "GET /api/v1/me (HMAC-signed)",
        concurrency,
        seconds,
        move |i| {
            let (c, b, key_id, secret) = (c.clone(), b.clone(), key_id.clone(), secret.clone());
            async move {
                let timestamp = SystemClock::default_now().0.to_string();
                let nonce = format!("bench-nonce-{i:016}");
                let parts = SignedParts {
                    method: "GET",
                    path_and_query: "/api/v1/me",
                    timestamp: &timestamp,
                    nonce: &nonce,
                    body: b"",
                };
                let signature = sign(secret.as_bytes(), &parts);
                matches!(c.get(format!("{b}/api/v1/me"))
                .header("X-Yuming-Key", key_id)
                .header("X-Yuming-Timestamp", timestamp)
                .header("X-Yuming-Nonce", nonce)
                .header("X-Yuming-Signature", signature)
                .send().await, Ok(r) if r.status().is_success())
            }
        },
    )
    .await;
    signed.report();
    drop(server);

    audit_cost(&db).await?;
    db.close().await;
    all_answered(&[&login, &bearer, &signed])
}

async fn session_token_for(app: &App, email: &str, password: &str) -> anyhow::Result<String> {
    let session = accounts::login(
        app,
        &RequestContext::internal("bench"),
        accounts::LoginInput {
            email: email.into(),
            password: password.into(),
            totp: None,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(session.token)
}

/// Compares a write transaction holding one small row with the same transaction plus the
/// chained audit append, sequentially, so the difference is the audit write's own cost.
async fn audit_cost(db: &Db) -> anyhow::Result<()> {
    const N: u32 = 2_000;
    let now = Timestamp(1_800_000_000);
    let started = Instant::now();
    for i in 0..N {
        let mut tx = db.write().await?;
        tx.hit_rate_counter(&format!("bench:{i}"), 0).await?;
        tx.commit().await?;
    }
    let baseline = started.elapsed() / N;
    let started = Instant::now();
    for i in 0..N {
        let mut tx = db.write().await?;
        tx.hit_rate_counter(&format!("bench-audit:{i}"), 0).await?;
        tx.append_audit(
            &NewAuditEntry {
                actor: "bench".into(),
                tenant: "bench".into(),
                action: "bench.change".into(),
                object_type: "bench".into(),
                object_id: i.to_string(),
                request_id: "bench".into(),
                before: "{\"n\":0}".into(),
                after: "{\"n\":1}".into(),
                ..NewAuditEntry::default()
            },
            now,
        )
        .await?;
        tx.commit().await?;
    }
    let with_audit = started.elapsed() / N;
    println!(
        "state change without audit          {:>7} µs/op\nstate change with chained audit     {:>7} µs/op   (audit write adds {} µs)",
        baseline.as_micros(),
        with_audit.as_micros(),
        with_audit.as_micros().saturating_sub(baseline.as_micros())
    );
    Ok(())
}

/// Bulk availability and registrations per second, from this process against `yuming serve`
/// running in a process of its own.
pub async fn registrar(
    config: &Config,
    database_url: Option<String>,
    concurrency: usize,
    seconds: u64,
) -> anyhow::Result<()> {
    // Accounts are set up, not measured here: cheap hashing keeps set-up short.
    let ((temp_dir, db, app), database) = bench_app_with_key(config, database_url, true).await?;
    println!(
        "backend {:?}, {} clients, {} s per phase, {} cores; server in its own process",
        db.backend(),
        concurrency,
        seconds,
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    let client = yuming_app::platform::http::client_builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;

    // One customer per client with money and a contact, so registrations do not contend on
    // one balance row.
    let operator = yuming_core::access::Actor {
        account_id: "bench".into(),
        tenant_id: String::new(),
        role: yuming_core::access::Role::Admin,
        rights: yuming_core::access::RightSet::all(),
        method: yuming_core::access::AuthMethod::Operator,
    };
    let ctx = RequestContext::internal("bench");
    let mut customers = Vec::new();
    for i in 0..concurrency {
        let email = format!("bench{i}@example.com");
        accounts::create_user(
            &app,
            &ctx,
            &crate::commands::operator(),
            accounts::NewAccountInput {
                email: email.clone(),
                password: "bench password 1".into(),
                display_name: "b".into(),
            },
            yuming_core::access::Role::Customer,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        let token = session_token_for(&app, &email, "bench password 1").await?;
        let actor = accounts::authenticate_token(&app, &token)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let money =
            yuming_core::money::Money::new(1_000_000_000, yuming_core::money::Currency::Cny);
        yuming_app::billing::credit(&app, &ctx, &operator, &actor.tenant_id, money, "bench")
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let input = yuming_app::registrar::contacts::NewContactInput {
            kind: "person".into(),
            name: "张三".into(),
            id_type: "resident_id".into(),
            id_number: "11010519491231002X".into(),
            email: email.clone(),
            phone: "+86.13800138000".into(),
            address: yuming_app::registrar::contacts::AddressFields {
                country: "CN".into(),
                province: "北京市".into(),
                city: "北京市".into(),
                street: "长安街 1 号".into(),
                postal_code: None,
            },
        };
        let contact = yuming_app::registrar::contacts::create(&app, &ctx, &actor, &input)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .id;
        yuming_app::registrar::contacts::decide(&app, &ctx, &operator, &contact, "approve", None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        customers.push((token, contact));
    }
    // Some registered names so that checks find hits.
    for i in 0..200 {
        let (token, contact) = &customers[i % customers.len()];
        let actor = accounts::authenticate_token(&app, token)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        yuming_app::registrar::domains::register(
            &app,
            &ctx,
            &actor,
            yuming_app::registrar::domains::RegisterInput {
                name: format!("taken{i}.com"),
                years: 1,
                registrant_contact_id: contact.clone(),
                nameservers: None,
                auto_renew: false,
                coupon: None,
            },
        )
        .await
        .map_err(|e| anyhow::anyhow!("seed registration: {e}"))?;
    }
    let server = ServerProcess::start(
        &database.url,
        &temp_dir.path().join("data"),
        &database.master_key,
        &[
            ("YUMING_AUTH__ARGON2_MEMORY_KIB", "64".into()),
            ("YUMING_AUTH__ARGON2_ITERATIONS", "1".into()),
            (
                "YUMING_HTTP__BODY_LIMIT_BYTES",
                (4 * 1024 * 1024).to_string(),
            ),
            ("YUMING_HTTP__MAX_CONNECTIONS_PER_IP", "0".into()),
        ],
    )
    .await?;
    let base = server.base.clone();

    let tlds = ["com", "net", "cn", "top", "中国"];
    let batch: Vec<String> = (0..1000)
        .map(|i| {
            if i % 10 == 0 {
                format!("taken{}.com", i % 200)
            } else {
                format!("free-name-{i}.{}", tlds[i % tlds.len()])
            }
        })
        .collect();
    let body = Arc::new(serde_json::json!({ "names": batch }));
    let (c, b) = (client.clone(), base.clone());
    let mut bulk = run_phase("POST /api/v1/domains/check x1000", concurrency, seconds, move |_| {
        let (c, b, body) = (c.clone(), b.clone(), body.clone());
        async move { matches!(c.post(format!("{b}/api/v1/domains/check")).json(&*body).send().await, Ok(r) if r.status().is_success()) }
    })
    .await;
    bulk.report();
    let names_per_sec =
        (bulk.requests as u128 * 1000 * 1_000_000) / bulk.elapsed.as_micros().max(1);
    println!(
        "{:<34} {:>9} names/s",
        "  = bulk availability", names_per_sec
    );

    let customers = Arc::new(customers);
    let (c, b, registrants) = (client.clone(), base.clone(), customers.clone());
    let mut registrations = run_phase("POST /api/v1/domains (1 year)", concurrency, seconds, move |i| {
        let (c, b, customers) = (c.clone(), b.clone(), registrants.clone());
        async move {
            let (token, contact) = &customers[(i / 1_000_000) % customers.len()];
            let body = serde_json::json!({"name": format!("reg-{i}.com"), "years": 1, "registrant_contact_id": contact});
            matches!(c.post(format!("{b}/api/v1/domains")).bearer_auth(token).json(&body).send().await, Ok(r) if r.status().is_success())
        }
    })
    .await;
    registrations.report();

    let mut notifies = notify_phase(&app, &client, &base, &customers, concurrency, seconds).await?;
    notifies.report();
    let notify_rate_x10 = (notifies.requests as u128 * DUPLICATES as u128 * 10_000_000)
        / notifies.elapsed.as_micros().max(1);
    let registration_rate_x10 =
        (registrations.requests as u128 * 10_000_000) / registrations.elapsed.as_micros().max(1);
    println!(
        "{:<34} {:>7}.{} notifies/s = {}% of the registration rate on this backend",
        "  = notifies processed",
        notify_rate_x10 / 10,
        notify_rate_x10 % 10,
        notify_rate_x10 * 100 / registration_rate_x10.max(1)
    );
    drop(server);
    let sums = yuming_app::billing::ledger_sums(&app)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("ledger sums after the run: {sums:?}");
    anyhow::ensure!(
        sums.iter().all(|(_, sum)| *sum == 0),
        "the ledger does not sum to zero"
    );
    let paid = credited_once(&app, notifies.requests).await?;
    println!("payments notified: {paid}, each credited exactly once");
    db.close().await;
    all_answered(&[&bulk, &registrations, &notifies])
}

/// How many deliveries of each notify the notify phase sends at once.
const DUPLICATES: usize = 32;

/// Gateway notifies: sandbox payments created beforehand, then each delivered
/// [`DUPLICATES`] times at once to `POST /api/v1/payments/notify/sandbox`; a "request" of the
/// phase is one payment, answered only when every delivery got `200 OK`.
async fn notify_phase(
    app: &App,
    client: &reqwest::Client,
    base: &str,
    customers: &[(String, String)],
    concurrency: usize,
    seconds: u64,
) -> anyhow::Result<Phase> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use yuming_app::billing::payments;
    let sandbox = app
        .sandbox_gateway()
        .context("the sandbox gateway is off (payments.sandbox)")?;
    let ctx = RequestContext::internal("bench");
    // Enough payments for the phase at well over the goal rate; running out fails the
    // benchmark rather than inflating it.
    let pool = (seconds as usize * 250).clamp(250, 6_000);
    let mut signed = Vec::with_capacity(pool);
    for i in 0..pool {
        let (token, _) = &customers[i % customers.len()];
        let actor = accounts::authenticate_token(app, token)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let amount = yuming_core::money::Money::new(100, yuming_core::money::Currency::Cny);
        let payment = payments::create(app, &ctx, &actor, amount, "sandbox")
            .await
            .map_err(|e| anyhow::anyhow!("creating a payment: {e}"))?;
        let body = serde_json::json!({
            "out_trade_no": payment.id, "trade_no": payment.gateway_trade_no,
            "status": "paid", "amount": 100, "currency": "CNY",
        })
        .to_string();
        let (timestamp, signature) = sandbox.sign(body.as_bytes());
        signed.push((body, timestamp, signature));
    }
    let signed = Arc::new(signed);
    let next = Arc::new(AtomicUsize::new(0));
    let (c, b) = (client.clone(), base.to_owned());
    Ok(run_phase(
        "notify x32 duplicates (1 payment)",
        concurrency,
        seconds,
        move |_| {
            let (c, b, signed, next) = (c.clone(), b.clone(), signed.clone(), next.clone());
            async move {
                let Some((body, timestamp, signature)) =
                    signed.get(next.fetch_add(1, Ordering::Relaxed)).cloned()
                else {
                    return false;
                };
                let deliveries: Vec<_> = (0..DUPLICATES)
                    .map(|_| {
                        tokio::spawn(
                            c.post(format!("{b}/api/v1/payments/notify/sandbox"))
                                .header("content-type", "application/json")
                                .header("sandbox-timestamp", &timestamp)
                                .header("sandbox-signature", &signature)
                                .body(body.clone())
                                .send(),
                        )
                    })
                    .collect();
                let mut all_taken = true;
                for delivery in deliveries {
                    all_taken &= matches!(delivery.await, Ok(Ok(r)) if r.status().is_success());
                }
                all_taken
            }
        },
    )
    .await)
}

/// Checks that the first `used` bench payments were each credited exactly once: paid, one
/// `credited` notify, and every other delivery a duplicate.
async fn credited_once(app: &App, used: usize) -> anyhow::Result<usize> {
    let mut tx = app.db().read().await?;
    let per_payment = tx.credits_per_payment().await?;
    tx.commit().await?;
    anyhow::ensure!(
        per_payment.iter().all(|(_, n)| *n == 1),
        "a payment was credited more than once"
    );
    anyhow::ensure!(
        per_payment.len() == used,
        "{used} payments were notified but {} credited",
        per_payment.len()
    );
    Ok(used)
}

/// Peak resident memory of this process (VmHWM), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Seeds `domains` domains (`due_percent` % of them expiring now with auto-renew on and a
/// balance that pays for them), then times one full lifecycle sweep.
pub async fn sweep(
    config: &Config,
    database_url: Option<String>,
    domains: i64,
    due_percent: i64,
) -> anyhow::Result<()> {
    let (_temp_dir, db, app) = bench_app(config, database_url, true).await?;
    let ctx = RequestContext::internal("bench");
    let email = format!("sweep-{}@example.com", std::process::id());
    let account = accounts::create_user(
        &app,
        &ctx,
        &crate::commands::operator(),
        accounts::NewAccountInput {
            email: email.clone(),
            password: "bench password 1".into(),
            display_name: "b".into(),
        },
        yuming_core::access::Role::Customer,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let owner = account.id;
    let due_every = (100 / due_percent.clamp(1, 100)).max(1);
    let due = (domains + due_every - 1) / due_every;
    let operator = yuming_core::access::Actor {
        account_id: "bench".into(),
        tenant_id: String::new(),
        role: yuming_core::access::Role::Admin,
        rights: yuming_core::access::RightSet::all(),
        method: yuming_core::access::AuthMethod::Operator,
    };
    let money =
        yuming_core::money::Money::new(due * 10_000 + 1_000_000, yuming_core::money::Currency::Cny);
    yuming_app::billing::credit(&app, &ctx, &operator, &owner, money, "bench")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let started = Instant::now();
    let prefix = format!("sweep{}", std::process::id());
    let mut seeded = 0;
    // Chunks keep each insert's transaction (and SQLite's WAL) bounded.
    while seeded < domains {
        let chunk = (domains - seeded).min(100_000);
        let mut tx = db.write().await?;
        tx.bench_seed_domains(
            &owner,
            "con_bench",
            &format!("{prefix}x{seeded}"),
            chunk,
            due_every,
            app.now().0,
        )
        .await?;
        tx.commit().await?;
        seeded += chunk;
    }
    println!(
        "backend {:?}: seeded {domains} domains ({due} due) in {:.1} s",
        db.backend(),
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let report = yuming_app::ops::scheduler::sweep(&app)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let elapsed = started.elapsed();
    println!(
        "sweep: {:.2} s, {} due domains examined, {} auto-renewed, {} notices; peak RSS {} MiB",
        elapsed.as_secs_f64(),
        report.examined,
        report.renewed,
        report.notices,
        peak_rss_kib().map_or_else(|| "?".to_owned(), |k| (k / 1024).to_string())
    );
    anyhow::ensure!(
        report.renewed as i64 == due,
        "expected {due} renewals, got {}",
        report.renewed
    );
    Ok(())
}
