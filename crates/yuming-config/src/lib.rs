//! Yuming's configuration: one TOML file plus `YUMING_*` environment overrides.
//!
//! Precedence: built-in defaults < TOML file < environment. Top-level keys are overridden by
//! `YUMING_<KEY>` (e.g. `YUMING_HTTP_ADDR`), nested keys by `YUMING_<SECTION>__<KEY>`
//! (e.g. `YUMING_AUTH__SESSION_TTL_SECS`). This crate does not read the environment or the
//! file system itself: the binary passes both in.

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// The whole configuration tree.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// SQLite file, uploads and generated keys live here.
    pub data_dir: PathBuf,
    /// `sqlite://…` or `postgres://…`; defaults to `sqlite://<data_dir>/yuming.db`.
    pub database_url: Option<String>,
    /// API, console and RDAP listener.
    pub http_addr: String,
    /// Authoritative DNS listener (UDP and TCP); empty turns it off.
    pub dns_addr: String,
    /// WHOIS listener; empty turns it off.
    pub whois_addr: String,
    /// Base64 of the 32-byte master key; generated into the data dir when unset.
    pub master_key: Option<String>,
    /// Older master keys (base64), still accepted for decryption during key rotation.
    pub previous_master_keys: Vec<String>,
    /// `smtp://host:port`; unset writes mail to the outbox table only.
    pub smtp_url: Option<String>,
    /// Simulation and staging only: shifts every component's clock by this many seconds.
    pub clock_offset_secs: i64,
    /// `text` or `json` log lines.
    pub log_format: LogFormat,
    /// Authentication settings.
    pub auth: AuthConfig,
    /// HTTP API settings.
    pub http: HttpConfig,
    /// Database pool settings.
    pub database: DatabaseConfig,
    /// Registrar settings.
    pub registrar: RegistrarConfig,
    /// The registrar's identity in WHOIS and RDAP answers.
    pub lookup: LookupConfig,
    /// ICP filing settings.
    pub filing: FilingConfig,
    /// Hosted DNS settings.
    pub dns: DnsConfig,
    /// WHOIS listener settings.
    pub whois: WhoisConfig,
    /// Background jobs (lifecycle sweep, notice delivery).
    pub scheduler: SchedulerConfig,
    /// The web console.
    pub web: WebConfig,
    /// Payment gateways.
    pub payments: PaymentsConfig,
    /// Customer care: tickets, complaints.
    pub care: CareConfig,
    /// `/metrics`.
    pub metrics: MetricsConfig,
    /// Backups `serve` takes by itself.
    pub backup: BackupConfig,
}

/// Customer care (`[care]`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CareConfig {
    /// Working days (China's calendar) within which a complaint or appeal gets its final
    /// written answer. Default 15.
    pub complaint_resolution_working_days: u32,
    /// Public holidays (`YYYY-MM-DD`) of years whose State Council notice came after this
    /// release; the built-in calendar has 2025 and 2026.
    pub holidays: Vec<String>,
    /// Weekend days worked in exchange (调休上班), `YYYY-MM-DD`, for the same years.
    pub worked_days: Vec<String>,
}

impl Default for CareConfig {
    fn default() -> Self {
        CareConfig {
            complaint_resolution_working_days: 15,
            holidays: Vec::new(),
            worked_days: Vec::new(),
        }
    }
}

/// Whether `text` is a `YYYY-MM-DD` day that exists.
fn is_day(text: &str) -> bool {
    let parts: Vec<&str> = text.trim().split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return false;
    };
    let (Ok(year), Ok(month), Ok(day)) = (
        year.parse::<u32>(),
        month.parse::<u32>(),
        day.parse::<u32>(),
    ) else {
        return false;
    };
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (2000..=2100).contains(&year) && (1..=days).contains(&day)
}

/// Payment gateways (`[payments]`). Private keys and the WeChat Pay APIv3 key are given
/// sealed with the master key (`yuming secret seal < key.pem` prints `sealed:…`), never in
/// clear.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PaymentsConfig {
    /// Offer the built-in sandbox gateway, whose pay page lets anyone approve a payment
    /// without paying: for trials and local use only, turn it off in production.
    pub sandbox: bool,
    /// Time limit of one call to a gateway, seconds.
    pub timeout_secs: u64,
    /// Alipay (absent: not offered).
    pub alipay: Option<AlipayConfig>,
    /// WeChat Pay API v3 (absent: not offered).
    pub wechat: Option<WechatPayConfig>,
    /// The account customers transfer to (对公转账; absent: not offered).
    pub bank: Option<BankAccountConfig>,
    /// A staff member's manual credit above this many minor units (fen) waits for a second
    /// finance person's approval (four eyes). Default 1 000 000 (¥10 000).
    pub credit_second_approval_above: i64,
}

impl Default for PaymentsConfig {
    fn default() -> Self {
        PaymentsConfig {
            sandbox: true,
            timeout_secs: 10,
            alipay: None,
            wechat: None,
            bank: None,
            credit_second_approval_above: 1_000_000,
        }
    }
}

/// Alipay open platform, RSA2 (`[payments.alipay]`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct AlipayConfig {
    /// The application id (APPID).
    pub app_id: String,
    /// The gateway (default `https://openapi.alipay.com/gateway.do`).
    pub gateway_url: Option<String>,
    /// The application private key, sealed (`sealed:…`).
    pub private_key: String,
    /// Alipay's public key (支付宝公钥), PEM or base64 (public: not sealed).
    pub alipay_public_key: String,
    /// `page` (computer-site payment, the default) or `qr` (scan to pay).
    pub product: Option<String>,
}

/// The operator's bank account for transfers (`[payments.bank]`): shown to customers with a
/// reference per top-up; finance imports the bank's statement to credit them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct BankAccountConfig {
    /// The account holder (户名), e.g. the operator's company name.
    pub account_name: String,
    /// The bank and branch (开户行).
    pub bank_name: String,
    /// The account number (账号).
    pub account_number: String,
}

/// WeChat Pay API v3 (`[payments.wechat]`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct WechatPayConfig {
    /// The merchant id (商户号).
    pub mch_id: String,
    /// The app id payments belong to.
    pub app_id: String,
    /// The API address (default `https://api.mch.weixin.qq.com`).
    pub base_url: Option<String>,
    /// The serial number of the merchant API certificate.
    pub merchant_serial_no: String,
    /// The merchant API private key, sealed (`sealed:…`).
    pub private_key: String,
    /// The APIv3 key, sealed (`sealed:…`).
    pub api_v3_key: String,
    /// The platform certificate or WeChat Pay public key, PEM (public: not sealed).
    pub platform_key: String,
    /// Its serial number.
    pub platform_serial: String,
}

/// The web console (`/`, `/console`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct WebConfig {
    /// Mark the console's cookies `Secure`. They are also marked when `[http] public_url`
    /// starts with `https://`; set this when TLS ends at a proxy and public_url is unset.
    pub secure_cookies: bool,
    /// The operator's name in the footer of public pages.
    pub operator_name: String,
    /// The operator's own ICP filing number (e.g. `京ICP备12345678号`), shown in the footer
    /// as the rules for sites in mainland China require.
    pub icp_number: String,
    /// The public-security filing number (公安备案号) for the footer.
    pub psb_number: String,
}

/// ICP filing settings: the built-in sandbox authority and the status sync.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FilingConfig {
    /// Seconds between SMS verification and the sandbox bureau's decision.
    pub sandbox_decision_delay_secs: i64,
    /// Share of submissions the sandbox bureau rejects, 0.0–1.0.
    pub sandbox_rejection_rate: f64,
    /// Seed of the sandbox's decisions and SMS codes.
    pub sandbox_seed: u64,
    /// How often `serve` syncs order status with the authority (at most 1800: the
    /// authority's decisions must show within 30 minutes).
    pub sync_interval_secs: u64,
    /// Days a filing certificate is valid from issue (renewal reminder 30 days before).
    pub certificate_validity_days: i64,
    /// Public filing look-ups per source IP per minute.
    pub public_lookups_per_ip_per_minute: i64,
    /// Seconds between two consistency checks of a filed site.
    pub monitor_interval_secs: i64,
    /// Time limit of the monitor's homepage fetch.
    pub footer_timeout_secs: u64,
    /// Bytes of a homepage the monitor reads at most.
    pub footer_max_bytes: usize,
    /// Material images decoded at once (each up to 160 MB of memory); more uploads wait up
    /// to 5 s for a turn, then get 503 `MATERIALS_BUSY` with `Retry-After`.
    pub material_decodes: usize,
}

impl Default for FilingConfig {
    fn default() -> Self {
        FilingConfig {
            sandbox_decision_delay_secs: 3600,
            sandbox_rejection_rate: 0.0,
            sandbox_seed: 1,
            sync_interval_secs: 300,
            certificate_validity_days: 365,
            public_lookups_per_ip_per_minute: 60,
            monitor_interval_secs: 6 * 3600,
            footer_timeout_secs: 5,
            footer_max_bytes: 1 << 20,
            material_decodes: 2,
        }
    }
}

/// Hosted DNS settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DnsConfig {
    /// TTL of records that name none, seconds.
    pub default_ttl: u32,
    /// Smallest TTL a record may have, seconds.
    pub min_ttl: u32,
    /// Secondary servers (`ip:port`): sent NOTIFY on change, the only clients allowed AXFR
    /// (`YUMING_DNS__SECONDARIES=a,b`).
    pub secondaries: Vec<String>,
    /// Open DNS-over-TCP connections in all; more are closed at once (secondaries exempt).
    pub tcp_max_connections: usize,
    /// Open DNS-over-TCP connections from one source (IPv4 address or IPv6 /64); 0 is no cap.
    pub tcp_max_connections_per_ip: usize,
    /// A DNS-over-TCP connection with nothing to read for this long is closed.
    pub tcp_idle_timeout_secs: u64,
}

impl Default for DnsConfig {
    fn default() -> Self {
        DnsConfig {
            default_ttl: 600,
            min_ttl: 60,
            secondaries: Vec::new(),
            tcp_max_connections: 512,
            tcp_max_connections_per_ip: 16,
            tcp_idle_timeout_secs: 10,
        }
    }
}

/// WHOIS listener settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct WhoisConfig {
    /// Open connections in all; more are told so and closed.
    pub max_connections: usize,
    /// Open connections from one source (IPv4 address or IPv6 /64); 0 is no cap.
    pub max_connections_per_ip: usize,
    /// A connection that has not sent its query line within this time is closed.
    pub read_timeout_secs: u64,
}

impl Default for WhoisConfig {
    fn default() -> Self {
        WhoisConfig {
            max_connections: 256,
            max_connections_per_ip: 8,
            read_timeout_secs: 10,
        }
    }
}

/// Background jobs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SchedulerConfig {
    /// Whether `serve` runs the jobs; turn off on instances that should only answer requests.
    pub enabled: bool,
    /// Seconds between two runs of the jobs.
    pub interval_secs: u64,
    /// Sender of notice e-mail.
    pub mail_from: String,
    /// Whether outbound HTTP (webhook deliveries, the filing monitor's homepage fetch) may go
    /// to private networks (loopback, RFC 1918, link-local…). Off by default so that tenants
    /// cannot make the platform reach internal services.
    pub allow_private_targets: bool,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            enabled: true,
            interval_secs: 60,
            mail_from: "Yuming <noreply@localhost>".into(),
            allow_private_targets: false,
        }
    }
}

/// What WHOIS and RDAP answers say about the registrar running the platform.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LookupConfig {
    /// Registrar name.
    pub registrar_name: String,
    /// Registrar web site.
    pub registrar_url: String,
    /// Host name of the registrar's WHOIS server, as printed in records.
    pub whois_server: String,
    /// Abuse contact e-mail.
    pub abuse_email: String,
    /// Abuse contact phone, EPP form (`+86.1000000000`).
    pub abuse_phone: String,
    /// Public base URL of RDAP, without the trailing slash; used for `self` links.
    pub rdap_base_url: String,
    /// Terms of use of the lookup services.
    pub terms_url: String,
    /// RDAP queries per source IP per minute (token bucket, in memory per instance);
    /// 0 is unlimited.
    pub rdap_per_ip_per_minute: u32,
    /// WHOIS queries per source IP per minute (token bucket, in memory per instance);
    /// 0 is unlimited.
    pub whois_per_ip_per_minute: u32,
}

impl Default for LookupConfig {
    fn default() -> Self {
        LookupConfig {
            registrar_name: "Yuming".into(),
            registrar_url: "https://yuming.example".into(),
            whois_server: "whois.yuming.example".into(),
            abuse_email: "abuse@yuming.example".into(),
            abuse_phone: "+86.1000000000".into(),
            rdap_base_url: "https://yuming.example/rdap".into(),
            terms_url: "https://yuming.example/legal/whois-terms".into(),
            rdap_per_ip_per_minute: 1000,
            whois_per_ip_per_minute: 25,
        }
    }
}

/// Registrar settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RegistrarConfig {
    /// Nameservers given to new domains whose registrant names none (the platform's DNS).
    pub default_nameservers: Vec<String>,
    /// Handling fee (minor units) kept back when a cancellation inside the add grace period
    /// refunds the registration.
    pub cancellation_fee_minor: i64,
}

impl Default for RegistrarConfig {
    fn default() -> Self {
        RegistrarConfig {
            default_nameservers: vec!["ns1.example.net".into(), "ns2.example.net".into()],
            cancellation_fee_minor: 1_000,
        }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// Authentication settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Lifetime of a login token.
    pub session_ttl_secs: i64,
    /// Argon2id memory cost in KiB (OWASP minimum 19 MiB).
    pub argon2_memory_kib: u32,
    /// Argon2id iterations.
    pub argon2_iterations: u32,
    /// Failed logins before the account is locked.
    pub lockout_threshold: i64,
    /// First lock length in seconds; doubles with each further failure.
    pub lockout_base_secs: i64,
    /// Longest lock in seconds.
    pub lockout_max_secs: i64,
    /// Login attempts allowed per source IP per minute.
    pub login_attempts_per_ip_per_minute: i64,
    /// Whether anyone may sign up (off for invite-only installations).
    pub allow_signup: bool,
    /// Password hashes computed at once (each takes `argon2_memory_kib`); 0 = one per core.
    pub password_hash_concurrency: usize,
    /// How long a login or sign-up waits for a hashing turn before it gets 429 SERVER_BUSY.
    pub password_hash_queue_ms: u64,
    /// Sign-ups and verification re-sends per source IP per hour; 0 = unlimited.
    pub signups_per_ip_per_hour: i64,
    /// Hours an e-mail verification link stays valid.
    pub email_verification_ttl_hours: i64,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            session_ttl_secs: 24 * 3600,
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            lockout_threshold: 5,
            lockout_base_secs: 60,
            lockout_max_secs: 3600,
            login_attempts_per_ip_per_minute: 30,
            allow_signup: true,
            password_hash_concurrency: 0,
            password_hash_queue_ms: 2000,
            signups_per_ip_per_hour: 20,
            email_verification_ttl_hours: 48,
        }
    }
}

/// Scheduled backups inside `serve`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct BackupConfig {
    /// Seconds between backups (the most data a disaster can lose); 0 turns them off.
    pub interval_secs: u64,
    /// Where archives go. Empty: `<data_dir>/backups`. Put it on another disk (or a mount
    /// that is copied off the machine): a backup beside the database dies with it.
    pub dir: String,
    /// Archives kept, newest first (96 = one day at the default interval).
    pub keep: usize,
    /// Every this many backups, one is restored into a scratch database and its row counts
    /// compared (0: never).
    pub trial_restore_every: u64,
}

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig {
            interval_secs: 900,
            dir: String::new(),
            keep: 96,
            trial_restore_every: 4,
        }
    }
}

/// Where and for whom `/metrics` is served.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct MetricsConfig {
    /// Count requests and queries (default). `false` only to measure what counting costs
    /// (`bench/registrar.sh` runs the single check both ways).
    pub enabled: bool,
    /// A listener of its own for `/metrics` (`127.0.0.1:9464`), so that it need not be
    /// reachable where customers are; the main listener then answers 404 there. Empty (the
    /// default): served on the main HTTP listener.
    pub addr: String,
    /// When set, `/metrics` needs `Authorization: Bearer <token>`. Empty: open on `addr`,
    /// and on the main listener only to the machine itself (loopback peers).
    pub token: String,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            enabled: true,
            addr: String::new(),
            token: String::new(),
        }
    }
}

/// HTTP API settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Largest accepted request body for JSON endpoints.
    pub body_limit_bytes: usize,
    /// Requests taking longer are answered 503.
    pub request_timeout_secs: u64,
    /// Unauthenticated `POST /api/v1/validate` calls per source IP per minute.
    pub validate_per_ip_per_minute: i64,
    /// Open connections in all; more get 503 and are closed.
    pub max_connections: usize,
    /// Open connections from one source (IPv4 address or IPv6 /64); more get 503 and are
    /// closed. 0 is no per-source cap: set it behind a reverse proxy, where every client has
    /// the proxy's address.
    pub max_connections_per_ip: usize,
    /// A connection must send a request's complete header within this many seconds; this is
    /// also how long a kept-alive connection may wait for its next request.
    pub header_read_timeout_secs: u64,
    /// A connection on which no byte moves either way for this many seconds is closed, also
    /// in the middle of a request (a client that stops sending its body or stops reading the
    /// answer). Longer than `request_timeout_secs`.
    pub idle_timeout_secs: u64,
    /// A test failpoint, empty in production: `pause_before_idempotent_store` makes a request
    /// under an `Idempotency-Key` pause for ever after its effect committed and before its
    /// response is stored (the crash-and-retry test kills the process there).
    pub failpoint: String,
    /// Where customers reach this platform (`https://domains.example.com`), for links in
    /// e-mails such as the address verification. Empty: `http://` + `http_addr`, which is
    /// right only for a development machine.
    pub public_url: String,
    /// Reverse proxies (addresses or CIDR blocks, such as `10.0.0.0/8`) whose
    /// `Forwarded`/`X-Forwarded-For` headers name the client. Empty (the default): the peer
    /// is always the client and those headers are ignored, so nobody can pick their own
    /// address for the per-IP limits. Set it to the load balancers' addresses in a
    /// multi-instance deployment.
    pub trusted_proxies: Vec<String>,
    /// PEM certificate chain for HTTPS on `http_addr` (with `tls_key`); empty: plain HTTP
    /// (TLS ending at a proxy). `serve` reloads both files on SIGHUP, keeping the old pair
    /// when the new one does not load.
    pub tls_cert: String,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1) for `tls_cert`.
    pub tls_key: String,
}

/// The failpoints `[http] failpoint` accepts.
pub const HTTP_FAILPOINTS: [&str; 1] = ["pause_before_idempotent_store"];

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            body_limit_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            validate_per_ip_per_minute: 600,
            max_connections: 8192,
            max_connections_per_ip: 128,
            header_read_timeout_secs: 10,
            idle_timeout_secs: 60,
            failpoint: String::new(),
            public_url: String::new(),
            trusted_proxies: Vec::new(),
            tls_cert: String::new(),
            tls_key: String::new(),
        }
    }
}

/// Database pool settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// Connections in the pool.
    pub max_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            max_connections: 16,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("./data"),
            database_url: None,
            http_addr: "127.0.0.1:8080".into(),
            dns_addr: "127.0.0.1:5353".into(),
            whois_addr: "127.0.0.1:4343".into(),
            master_key: None,
            previous_master_keys: Vec::new(),
            smtp_url: None,
            clock_offset_secs: 0,
            log_format: LogFormat::Text,
            auth: AuthConfig::default(),
            http: HttpConfig::default(),
            database: DatabaseConfig::default(),
            registrar: RegistrarConfig::default(),
            lookup: LookupConfig::default(),
            filing: FilingConfig::default(),
            dns: DnsConfig::default(),
            whois: WhoisConfig::default(),
            scheduler: SchedulerConfig::default(),
            web: WebConfig::default(),
            payments: PaymentsConfig::default(),
            care: CareConfig::default(),
            metrics: MetricsConfig::default(),
            backup: BackupConfig::default(),
        }
    }
}

/// A configuration that could not be loaded, naming the culprit.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file is not valid TOML or has unknown keys or wrong types.
    #[error("configuration file: {0}")]
    File(String),
    /// An environment variable could not be applied.
    #[error("environment variable {name}: {reason}")]
    Env {
        /// The variable.
        name: String,
        /// What is wrong.
        reason: String,
    },
}

impl Config {
    /// Builds the configuration from the file's text (if any) and the environment variables.
    pub fn load(
        file_text: Option<&str>,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let mut tree: toml::Table = match file_text {
            Some(text) => text
                .parse::<toml::Table>()
                .map_err(|e| ConfigError::File(e.to_string()))?,
            None => toml::Table::new(),
        };
        let mut overrides: Vec<(String, String)> = env
            .into_iter()
            .filter(|(k, _)| k.starts_with("YUMING_"))
            .collect();
        overrides.sort();
        let defaults = match toml::Value::try_from(Config::default()) {
            Ok(toml::Value::Table(t)) => t,
            _ => toml::Table::new(),
        };
        for (name, raw) in overrides {
            apply_env(&mut tree, &defaults, &name, &raw)?;
        }
        let config: Config = toml::Value::Table(tree)
            .try_into()
            .map_err(|e: toml::de::Error| ConfigError::File(e.to_string()))?;
        config.check()?;
        Ok(config)
    }

    /// The database URL, defaulting to the SQLite file in the data dir.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.trim().is_empty() => url.clone(),
            _ => format!("sqlite://{}/yuming.db", self.data_dir.display()),
        }
    }

    fn check(&self) -> Result<(), ConfigError> {
        let bad = |name: &str, reason: &str| Err(ConfigError::File(format!("{name}: {reason}")));
        if self.auth.session_ttl_secs < 60 {
            return bad("auth.session_ttl_secs", "must be at least 60");
        }
        if self.auth.argon2_memory_kib < 8 || self.auth.argon2_iterations < 1 {
            return bad(
                "auth.argon2_*",
                "memory must be at least 8 KiB and iterations at least 1",
            );
        }
        if let Some(day) = self
            .care
            .holidays
            .iter()
            .chain(&self.care.worked_days)
            .find(|d| !is_day(d))
        {
            return Err(ConfigError::File(format!(
                "care.holidays / care.worked_days: {day:?} is not a YYYY-MM-DD day"
            )));
        }
        if self.http.body_limit_bytes < 1024 {
            return bad("http.body_limit_bytes", "must be at least 1024");
        }
        if self.http.max_connections < 1
            || self.dns.tcp_max_connections < 1
            || self.whois.max_connections < 1
        {
            return bad(
                "http.max_connections, dns.tcp_max_connections, whois.max_connections",
                "must be at least 1",
            );
        }
        if self.http.header_read_timeout_secs < 1
            || self.dns.tcp_idle_timeout_secs < 1
            || self.whois.read_timeout_secs < 1
        {
            return bad(
                "http.header_read_timeout_secs, dns.tcp_idle_timeout_secs, whois.read_timeout_secs",
                "must be at least 1",
            );
        }
        if self.http.idle_timeout_secs <= self.http.request_timeout_secs {
            return bad(
                "http.idle_timeout_secs",
                "must be longer than http.request_timeout_secs",
            );
        }
        if !self.http.failpoint.is_empty()
            && !HTTP_FAILPOINTS.contains(&self.http.failpoint.as_str())
        {
            return bad(
                "http.failpoint",
                "must be empty or one of: pause_before_idempotent_store",
            );
        }
        if self.registrar.cancellation_fee_minor < 0 {
            return bad("registrar.cancellation_fee_minor", "must not be negative");
        }
        Ok(())
    }
}

/// Variables the binary reads itself rather than as configuration keys.
const NOT_CONFIG: [&str; 5] = [
    "YUMING_CONFIG",
    "YUMING_LOG",
    "YUMING_TEST_PG_URL",
    "YUMING_TEST_SKIP_LOG",
    "YUMING_PASSWORD",
];

fn apply_env(
    tree: &mut toml::Table,
    defaults: &toml::Table,
    name: &str,
    raw: &str,
) -> Result<(), ConfigError> {
    if NOT_CONFIG.contains(&name) {
        return Ok(());
    }
    let path: Vec<String> = name["YUMING_".len()..]
        .split("__")
        .map(str::to_ascii_lowercase)
        .collect();
    if path.iter().any(String::is_empty) {
        return Err(ConfigError::Env {
            name: name.into(),
            reason: "empty key segment".into(),
        });
    }
    let value = env_value(defaults, &path, raw).map_err(|reason| ConfigError::Env {
        name: name.into(),
        reason,
    })?;
    let mut table = tree;
    for (i, key) in path.iter().enumerate() {
        if i + 1 == path.len() {
            table.insert(key.clone(), value);
            break;
        }
        let entry = table
            .entry(key.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        table = match entry {
            toml::Value::Table(t) => t,
            _ => {
                return Err(ConfigError::Env {
                    name: name.into(),
                    reason: format!("{key} is not a section"),
                });
            }
        };
    }
    Ok(())
}

/// Environment values are strings; each is read as the type the key has in the defaults
/// (`YUMING_CLOCK_OFFSET_SECS=-86400` a number, `YUMING_FILING__SANDBOX_REJECTION_RATE=0.5`
/// a fraction, `YUMING_DNS__SECONDARIES=a,b` a list, `YUMING_LOOKUP__ABUSE_PHONE=10086` a
/// string). A key the defaults do not have (an unset optional string, or a key that does not
/// exist) stays a string, and deserialisation refuses unknown keys.
fn env_value(defaults: &toml::Table, path: &[String], raw: &str) -> Result<toml::Value, String> {
    let mut default = None;
    let mut table = Some(defaults);
    for key in path {
        default = table.and_then(|t| t.get(key));
        table = default.and_then(toml::Value::as_table);
    }
    let text = raw.trim();
    let key = path.join(".");
    Ok(match default {
        Some(toml::Value::Integer(_)) => toml::Value::Integer(
            text.parse()
                .map_err(|_| format!("{key}: {raw:?} is not a whole number"))?,
        ),
        Some(toml::Value::Float(_)) => {
            let number: f64 = text
                .parse()
                .map_err(|_| format!("{key}: {raw:?} is not a number"))?;
            if !number.is_finite() {
                return Err(format!("{key}: {raw:?} is not a finite number"));
            }
            toml::Value::Float(number)
        }
        Some(toml::Value::Boolean(_)) => toml::Value::Boolean(
            text.parse()
                .map_err(|_| format!("{key}: {raw:?} is not true or false"))?,
        ),
        Some(toml::Value::Array(_)) => toml::Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| toml::Value::String(s.into()))
                .collect(),
        ),
        Some(toml::Value::Table(_)) => return Err(format!("{key} names a section, not a key")),
        _ => toml::Value::String(raw.into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holidays_must_be_days_that_exist() {
        let mut config = Config::default();
        config.care.holidays = vec!["2027-02-08".into(), "2028-02-29".into()];
        config.care.worked_days = vec!["2027-02-20".into()];
        assert!(config.check().is_ok());
        for bad in ["2027-02-29", "2027-13-01", "27-02-08", "2027/02/08", ""] {
            config.care.worked_days = vec![bad.into()];
            assert!(config.check().is_err(), "{bad:?}");
        }
    }

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_need_nothing() {
        let config = Config::load(None, env(&[])).expect("defaults load");
        assert_eq!(config, Config::default());
        assert_eq!(config.database_url(), "sqlite://./data/yuming.db");
        assert_eq!(config.http_addr, "127.0.0.1:8080");
        assert_eq!(config.dns_addr, "127.0.0.1:5353");
        assert_eq!(config.whois_addr, "127.0.0.1:4343");
    }

    #[test]
    fn environment_overrides_file() {
        let file =
            "http_addr = \"0.0.0.0:9000\"\nclock_offset_secs = 5\n[auth]\nsession_ttl_secs = 600\n";
        let config = Config::load(
            Some(file),
            env(&[
                ("YUMING_CLOCK_OFFSET_SECS", "-86400"),
                ("YUMING_DATA_DIR", "/tmp/y"),
                ("YUMING_AUTH__LOCKOUT_THRESHOLD", "3"),
                ("YUMING_DNS_ADDR", ""),
                ("YUMING_PREVIOUS_MASTER_KEYS", "a, b"),
                ("YUMING_CONFIG", "ignored.toml"),
                ("YUMING_TEST_SKIP_LOG", "/tmp/skipped"),
                ("YUMING_LOOKUP__REGISTRAR_NAME", "示例注册商"),
                ("YUMING_LOOKUP__ABUSE_PHONE", "10086"),
                ("YUMING_LOOKUP__RDAP_PER_IP_PER_MINUTE", "0"),
                ("HOME", "/root"),
            ]),
        )
        .expect("loads");
        assert_eq!(config.lookup.registrar_name, "示例注册商");
        assert_eq!(config.lookup.abuse_phone, "10086", "kept as text");
        assert_eq!(config.lookup.rdap_per_ip_per_minute, 0, "0 = unlimited");
        assert_eq!(config.lookup.whois_per_ip_per_minute, 25, "default");
        assert_eq!(config.http_addr, "0.0.0.0:9000");
        assert_eq!(config.clock_offset_secs, -86_400);
        assert_eq!(config.auth.session_ttl_secs, 600);
        assert_eq!(config.auth.lockout_threshold, 3);
        assert_eq!(config.dns_addr, "");
        assert_eq!(
            config.previous_master_keys,
            vec!["a".to_string(), "b".to_string()]
        );
        assert_eq!(config.database_url(), "sqlite:///tmp/y/yuming.db");
    }

    #[test]
    fn environment_values_take_the_type_of_their_key() {
        let config = Config::load(
            None,
            env(&[
                ("YUMING_FILING__SANDBOX_REJECTION_RATE", "0.5"),
                ("YUMING_MASTER_KEY", "12345"),
                ("YUMING_DNS__SECONDARIES", "192.0.2.1, 192.0.2.2"),
            ]),
        )
        .expect("loads");
        assert!((config.filing.sandbox_rejection_rate - 0.5).abs() < f64::EPSILON);
        assert_eq!(
            config.master_key.as_deref(),
            Some("12345"),
            "an unset optional text"
        );
        assert_eq!(config.dns.secondaries, vec!["192.0.2.1", "192.0.2.2"]);
        for (name, raw, says) in [
            (
                "YUMING_FILING__SANDBOX_REJECTION_RATE",
                "half",
                "is not a number",
            ),
            (
                "YUMING_FILING__SANDBOX_REJECTION_RATE",
                "NaN",
                "is not a finite number",
            ),
            (
                "YUMING_AUTH__LOCKOUT_THRESHOLD",
                "3.5",
                "is not a whole number",
            ),
            ("YUMING_AUTH", "3", "names a section"),
        ] {
            let error = Config::load(None, env(&[(name, raw)])).expect_err(name);
            let text = error.to_string();
            assert!(text.contains(name) && text.contains(says), "{text}");
        }
    }

    #[test]
    fn unknown_keys_and_wrong_types_are_errors() {
        assert!(Config::load(Some("htp_addr = \"x\""), env(&[])).is_err());
        assert!(Config::load(Some("[auth]\nsession_ttl_secs = \"long\""), env(&[])).is_err());
        assert!(Config::load(None, env(&[("YUMING_AUTH__SESSION_TTL_SECS", "ten")])).is_err());
        assert!(Config::load(None, env(&[("YUMING_NO_SUCH_KEY", "1")])).is_err());
        assert!(Config::load(Some("not toml ["), env(&[])).is_err());
    }

    #[test]
    fn connection_limits_from_file_and_environment() {
        let file = "[http]\nmax_connections_per_ip = 0\n[whois]\nmax_connections = 9\n";
        let config = Config::load(
            Some(file),
            env(&[
                ("YUMING_HTTP__MAX_CONNECTIONS", "100"),
                ("YUMING_HTTP__HEADER_READ_TIMEOUT_SECS", "2"),
                ("YUMING_DNS__TCP_MAX_CONNECTIONS_PER_IP", "3"),
                ("YUMING_WHOIS__MAX_CONNECTIONS_PER_IP", "4"),
            ]),
        )
        .expect("loads");
        assert_eq!(config.http.max_connections, 100);
        assert_eq!(config.http.max_connections_per_ip, 0, "0 turns the cap off");
        assert_eq!(config.http.header_read_timeout_secs, 2);
        assert_eq!(config.http.idle_timeout_secs, 60);
        assert_eq!(config.dns.tcp_max_connections_per_ip, 3);
        assert_eq!(config.dns.tcp_max_connections, 512);
        assert_eq!(
            (
                config.whois.max_connections,
                config.whois.max_connections_per_ip
            ),
            (9, 4)
        );
        for bad in [
            ("YUMING_HTTP__MAX_CONNECTIONS", "0"),
            ("YUMING_DNS__TCP_IDLE_TIMEOUT_SECS", "0"),
            ("YUMING_HTTP__IDLE_TIMEOUT_SECS", "30"),
            ("YUMING_WHOIS__MAX_CONNECTIONS", "-1"),
        ] {
            assert!(Config::load(None, env(&[bad])).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn shipped_example_config_parses() {
        let text = include_str!("../../../yuming.example.toml");
        let config = Config::load(Some(text), env(&[])).expect("example parses");
        assert_eq!(config.http_addr, "127.0.0.1:8080");
    }
}
