//! Loading configuration, the master key and logging; building the application.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use yuming_app::platform::clock::SystemClock;
use yuming_app::platform::crypto::Cipher;
use yuming_app::{App, AppSettings};
use yuming_config::{Config, LogFormat};
use yuming_core::credentials::LockoutPolicy;
use yuming_store::{Db, redact_url};

/// Reads the configuration file (explicit, or `yuming.toml` if present) and the environment.
pub fn load_config(explicit: Option<&Path>) -> anyhow::Result<Config> {
    let path: Option<PathBuf> = match explicit {
        Some(p) => Some(p.to_path_buf()),
        None => Some(PathBuf::from("yuming.toml")).filter(|p| p.exists()),
    };
    let text = match &path {
        Some(p) => {
            Some(std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?)
        }
        None => None,
    };
    let config = Config::load(text.as_deref(), std::env::vars()).with_context(|| {
        format!(
            "loading configuration{}",
            path.map(|p| format!(" from {}", p.display()))
                .unwrap_or_default()
        )
    })?;
    Ok(config)
}

/// Starts logging: `YUMING_LOG` (or `RUST_LOG`) filters, default `info`.
pub fn init_logging(format: LogFormat) {
    let filter = std::env::var("YUMING_LOG")
        .or_else(|_| std::env::var("RUST_LOG"))
        .unwrap_or_else(|_| "info".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// The master key: from configuration, else from `<data_dir>/master.key`, else generated
/// there (mode 0600) with a warning.
pub fn master_key(config: &Config) -> anyhow::Result<String> {
    if let Some(key) = config
        .master_key
        .as_deref()
        .filter(|k| !k.trim().is_empty())
    {
        return Ok(key.trim().to_owned());
    }
    let path = config.data_dir.join("master.key");
    if path.exists() {
        let key = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        return Ok(key.trim().to_owned());
    }
    create_data_dir(&config.data_dir)?;
    let key = Cipher::generate_key_base64();
    write_private(&path, &key)?;
    tracing::warn!(
        path = %path.display(),
        "generated a new master key; back it up: without it encrypted personal data and uploads cannot be read. \
         Set YUMING_MASTER_KEY to manage it yourself"
    );
    Ok(key)
}

/// Creates the data directory (and missing parents) accessible to the owner only (0700): it
/// holds the database, the master key and uploads. An existing directory is left as the
/// operator set it, with a warning when others can enter it.
#[cfg(unix)]
pub fn create_data_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    if let Ok(metadata) = std::fs::metadata(dir) {
        if metadata.permissions().mode() & 0o077 != 0 {
            tracing::warn!(
                path = %dir.display(),
                mode = format!("{:o}", metadata.permissions().mode() & 0o777),
                "the data directory is accessible to other users; 0700 is recommended"
            );
        }
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating {}", dir.display()))
}

#[cfg(not(unix))]
pub fn create_data_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    std::fs::write(path, contents).with_context(|| format!("creating {}", path.display()))
}

/// Opens the database named by the configuration, creating the data dir for SQLite.
pub async fn open_db(config: &Config) -> anyhow::Result<Db> {
    let url = config.database_url();
    if url.starts_with("sqlite:") {
        create_data_dir(&config.data_dir)?;
    }
    Db::connect(&url, config.database.max_connections)
        .await
        .with_context(|| format!("connecting to {}", redact_url(&url)))
}

/// Application settings from the configuration.
pub fn app_settings(config: &Config) -> AppSettings {
    AppSettings {
        session_ttl_secs: config.auth.session_ttl_secs,
        lockout: LockoutPolicy {
            threshold: config.auth.lockout_threshold,
            base_lock_secs: config.auth.lockout_base_secs,
            max_lock_secs: config.auth.lockout_max_secs,
        },
        login_attempts_per_ip_per_minute: config.auth.login_attempts_per_ip_per_minute,
        allow_signup: config.auth.allow_signup,
        validate_per_ip_per_minute: config.http.validate_per_ip_per_minute,
        default_nameservers: config.registrar.default_nameservers.clone(),
        argon2_memory_kib: config.auth.argon2_memory_kib,
        argon2_iterations: config.auth.argon2_iterations,
        password_hashing: yuming_app::accounts::password::HashingLimits {
            concurrency: config.auth.password_hash_concurrency,
            queue_wait: std::time::Duration::from_millis(config.auth.password_hash_queue_ms),
        },
        signups_per_ip_per_hour: config.auth.signups_per_ip_per_hour,
        email_verification_ttl_secs: config.auth.email_verification_ttl_hours.clamp(1, 24 * 30)
            * 3600,
        public_url: public_url(config),
        dns_ttl: yuming_core::dns::TtlPolicy {
            default: config.dns.default_ttl,
            minimum: config.dns.min_ttl,
        },
        cancellation_fee_minor: config.registrar.cancellation_fee_minor,
        private_targets: config.scheduler.allow_private_targets,
        certificate_validity_days: config.filing.certificate_validity_days.clamp(1, 3650),
        public_lookups_per_ip_per_minute: config.filing.public_lookups_per_ip_per_minute,
        monitor_interval_secs: config.filing.monitor_interval_secs.max(60),
        footer_timeout_secs: config.filing.footer_timeout_secs.clamp(1, 60),
        footer_max_bytes: config.filing.footer_max_bytes.clamp(1024, 16 << 20),
        material_decodes: config.filing.material_decodes.clamp(1, 64),
        payments_sandbox: config.payments.sandbox,
        credit_second_approval_above: config.payments.credit_second_approval_above.max(0),
        scheduler_enabled: config.scheduler.enabled,
        scheduler_interval_secs: config.scheduler.interval_secs.max(1),
        metrics_enabled: config.metrics.enabled,
        backup: yuming_app::ops::scheduled_backup::BackupSchedule {
            interval_secs: config.backup.interval_secs,
            dir: if config.backup.dir.is_empty() {
                config.data_dir.join("backups")
            } else {
                std::path::PathBuf::from(&config.backup.dir)
            },
            keep: config.backup.keep,
            trial_restore_every: config.backup.trial_restore_every,
            data_dir: config.data_dir.clone(),
            database_url: config.database_url(),
        },
        filing_sync_interval_secs: config.filing.sync_interval_secs.clamp(1, 1800),
        complaint_resolution_working_days: config
            .care
            .complaint_resolution_working_days
            .clamp(1, 60),
        work_calendar: {
            let days = |list: &[String]| -> Vec<_> {
                list.iter()
                    .filter_map(|d| yuming_core::calendar::parse_day(d))
                    .collect()
            };
            yuming_core::calendar::WorkCalendar::china().with_days(
                &days(&config.care.holidays),
                &days(&config.care.worked_days),
            )
        },
        bank_account: config
            .payments
            .bank
            .as_ref()
            .filter(|b| !b.account_number.trim().is_empty())
            .map(|b| yuming_app::billing::bank::BankAccount {
                account_name: b.account_name.clone(),
                bank_name: b.bank_name.clone(),
                account_number: b.account_number.clone(),
            }),
    }
}

/// The configured public address without a trailing slash, or one made from `http_addr`.
/// Puts the port the HTTP listener was given into a configuration that asked for any port
/// (`:0`): in `http_addr`, and in a `public_url` whose port is `0` (e.g.
/// `http://localhost:0` in tests that need a host name for passkeys).
pub fn settle_port(config: &mut Config, port: u16) {
    if let Some(host) = config.http_addr.strip_suffix(":0") {
        config.http_addr = format!("{host}:{port}");
    }
    let url = config.http.public_url.trim().trim_end_matches('/');
    if let Some(base) = url.strip_suffix(":0") {
        config.http.public_url = format!("{base}:{port}");
    }
}

fn public_url(config: &Config) -> String {
    let configured = config.http.public_url.trim().trim_end_matches('/');
    if configured.is_empty() {
        format!("http://{}", config.http_addr)
    } else {
        configured.to_owned()
    }
}

/// Opens and migrates the database and assembles the application.
pub async fn build_app(config: &Config) -> anyhow::Result<App> {
    if config.clock_offset_secs != 0 {
        tracing::warn!(
            offset_secs = config.clock_offset_secs,
            "SIMULATION CLOCK: every component runs {} seconds {} real time (YUMING_CLOCK_OFFSET_SECS)",
            config.clock_offset_secs.abs(),
            if config.clock_offset_secs > 0 {
                "ahead of"
            } else {
                "behind"
            }
        );
    }
    let key = master_key(config)?;
    let cipher = Cipher::from_base64(&key, &config.previous_master_keys).context("master key")?;
    let db = open_db(config).await?;
    db.migrate().await.context("applying migrations")?;
    let clock = Arc::new(SystemClock::with_offset(config.clock_offset_secs));
    let app = App::new(db, clock, cipher, app_settings(config));
    match mailer(config) {
        Ok(Some(mailer)) => app.set_mailer(mailer),
        Ok(None) => {}
        Err(error) => {
            tracing::error!(%error, "smtp_url is invalid; e-mail notices stay in the outbox")
        }
    }
    // Stored simplified/traditional variant keys follow the current variant rules before
    // anything checks availability.
    let rekey = yuming_app::registrar::domains::rekey_variants(&app)
        .await
        .map_err(|e| anyhow::anyhow!("recomputing variant keys: {e}"))?;
    if rekey.ran {
        tracing::info!(rekeyed = rekey.rekeyed, "variant keys recomputed");
    }
    if !rekey.conflicts.is_empty() {
        tracing::warn!(
            names = ?rekey.conflicts,
            "live names that are variants of older live names: they stay registered, the older name holds the bundle"
        );
    }
    let filing = &config.filing;
    app.set_filing_authority(Arc::new(yuming_app::filing::SandboxFilingAuthority::new(
        yuming_app::filing::SandboxConfig {
            decision_delay_secs: filing.sandbox_decision_delay_secs,
            rejection_rate: filing.sandbox_rejection_rate.clamp(0.0, 1.0),
            seed: filing.sandbox_seed,
            ..yuming_app::filing::SandboxConfig::default()
        },
        app.db().clone(),
        app.cipher().clone(),
    )));
    install_payment_gateways(&app, &config.payments)?;
    // Rows an older release wrote with personal data in clear are sealed before anything
    // reads them (a no-op once done).
    let sealed = yuming_app::ops::at_rest::seal_legacy_plaintext(&app)
        .await
        .map_err(|e| anyhow::anyhow!("sealing personal data stored in clear: {}", e.message))?;
    if sealed.total() > 0 {
        tracing::warn!(
            contacts = sealed.contacts,
            contact_phones = sealed.contact_phones,
            filing_principals = sealed.filing_principals,
            sandbox_rows = sealed.sandbox_rows,
            sms_notices = sealed.sms_notices,
            "sealed personal data an older release stored in clear; older backups still hold it in clear"
        );
    }
    Ok(app)
}

/// What `yuming secret seal` prints before the sealed value, and what the configuration's
/// secret fields must start with.
pub const SEALED_PREFIX: &str = "sealed:";

/// The AEAD context secrets in the configuration are sealed under.
const SECRET_CONTEXT: &str = "config.secret";

/// Seals a secret for the configuration file.
pub fn seal_secret(app_cipher: &Cipher, secret: &str) -> String {
    use base64::Engine as _;
    format!(
        "{SEALED_PREFIX}{}",
        base64::engine::general_purpose::STANDARD
            .encode(app_cipher.seal(secret.as_bytes(), SECRET_CONTEXT))
    )
}

/// Opens a sealed configuration secret; a value in clear is refused, naming the field.
fn open_secret(cipher: &Cipher, field: &str, value: &str) -> anyhow::Result<String> {
    use base64::Engine as _;
    let Some(sealed) = value.trim().strip_prefix(SEALED_PREFIX) else {
        bail!(
            "{field} must be sealed with the master key: run `yuming secret seal < file` and paste its output"
        );
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(sealed)
        .with_context(|| format!("{field}: not a sealed value"))?;
    let plain = cipher
        .open(&bytes, SECRET_CONTEXT)
        .map_err(|_| anyhow::anyhow!("{field}: does not open with the master key"))?;
    String::from_utf8(plain).with_context(|| format!("{field}: not text"))
}

/// Adds the configured Alipay and WeChat Pay gateways to the application.
fn install_payment_gateways(
    app: &App,
    config: &yuming_config::PaymentsConfig,
) -> anyhow::Result<()> {
    use yuming_app::billing::gateways::{alipay, wechat};
    let timeout = std::time::Duration::from_secs(config.timeout_secs.clamp(1, 120));
    if let Some(c) = &config.alipay {
        let product = match c.product.as_deref().unwrap_or("page") {
            "page" => alipay::AlipayProduct::Page,
            "qr" => alipay::AlipayProduct::Qr,
            other => bail!("payments.alipay.product {other:?}: use page or qr"),
        };
        let gateway = alipay::Alipay::new(alipay::AlipayConfig {
            app_id: c.app_id.clone(),
            gateway_url: c
                .gateway_url
                .clone()
                .unwrap_or_else(|| alipay::PRODUCTION_GATEWAY.to_owned()),
            private_key: open_secret(app.cipher(), "payments.alipay.private_key", &c.private_key)?,
            alipay_public_key: c.alipay_public_key.clone(),
            product,
            timeout,
        })
        .map_err(|e| anyhow::anyhow!("payments.alipay: {e}"))?;
        app.set_payment_gateway(Arc::new(gateway));
    }
    if let Some(c) = &config.wechat {
        let gateway = wechat::WechatPay::new(wechat::WechatConfig {
            mch_id: c.mch_id.clone(),
            app_id: c.app_id.clone(),
            base_url: c
                .base_url
                .clone()
                .unwrap_or_else(|| wechat::PRODUCTION_BASE_URL.to_owned()),
            merchant_serial_no: c.merchant_serial_no.clone(),
            private_key: open_secret(app.cipher(), "payments.wechat.private_key", &c.private_key)?,
            api_v3_key: open_secret(app.cipher(), "payments.wechat.api_v3_key", &c.api_v3_key)?,
            platform_key: c.platform_key.clone(),
            platform_serial: c.platform_serial.clone(),
            timeout,
        })
        .map_err(|e| anyhow::anyhow!("payments.wechat: {e}"))?;
        app.set_payment_gateway(Arc::new(gateway));
    }
    if config.sandbox {
        tracing::warn!(
            "the SANDBOX payment gateway is offered: anyone can approve its payments without paying (payments.sandbox = false turns it off)"
        );
    }
    Ok(())
}

/// Refuses an empty or whitespace password read from stdin.
pub fn read_password_stdin() -> anyhow::Result<String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    if password.is_empty() {
        bail!("no password on standard input");
    }
    Ok(password)
}

/// The notice mailer for `smtp_url`, or `None` when unset (e-mail then stays in the outbox).
pub fn mailer(config: &Config) -> anyhow::Result<Option<yuming_app::notify::notices::Mailer>> {
    match config.smtp_url.as_deref().filter(|url| !url.is_empty()) {
        None => Ok(None),
        Some(url) => yuming_app::notify::notices::Mailer::new(url, &config.scheduler.mail_from)
            .map(Some)
            .map_err(|e| anyhow::anyhow!("smtp_url {}: {e}", yuming_store::redact_url(url))),
    }
}

/// An identifier of this process for job leases: host name and process id.
pub fn instance_id() -> String {
    let host = std::fs::read_to_string("/etc/hostname").unwrap_or_default();
    format!("{}:{}", host.trim(), std::process::id())
}
