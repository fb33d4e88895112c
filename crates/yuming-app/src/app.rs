//! The application object every entry point holds, and the per-request context.

use std::sync::Arc;

use yuming_core::clock::{Clock, Timestamp};
use yuming_core::credentials::LockoutPolicy;
use yuming_store::{Db, DomainRow, Tx};

use crate::AppError;
use crate::accounts::password::PasswordHasher;
use crate::platform::BoxFuture;
use crate::platform::crypto::Cipher;
use crate::registrar::cancellations::DependentFiling;
use crate::registrar::export::ExportPart;
use crate::registrar::hooks::DomainHooks;
use crate::registrar::registry::{LocalRegistry, RegistryConnector};

/// Settings the use cases need (a slice of the configuration, so that this crate does not
/// depend on how configuration is loaded).
#[derive(Debug, Clone)]
pub struct AppSettings {
    /// Lifetime of login tokens.
    pub session_ttl_secs: i64,
    /// Failed-login lockout schedule.
    pub lockout: LockoutPolicy,
    /// Login attempts per source IP per minute.
    pub login_attempts_per_ip_per_minute: i64,
    /// Whether self sign-up is open.
    pub allow_signup: bool,
    /// Unauthenticated validation requests per source IP per minute.
    pub validate_per_ip_per_minute: i64,
    /// Nameservers of new domains when the customer names none.
    pub default_nameservers: Vec<String>,
    /// Argon2id memory cost (KiB).
    pub argon2_memory_kib: u32,
    /// Argon2id iterations.
    pub argon2_iterations: u32,
    /// How many password hashes run at once, and how long a request waits for a turn.
    pub password_hashing: crate::accounts::password::HashingLimits,
    /// Sign-ups (and verification re-sends) per source IP per hour; 0 = unlimited.
    pub signups_per_ip_per_hour: i64,
    /// How long an e-mail verification link stays valid.
    pub email_verification_ttl_secs: i64,
    /// The address customers reach the console at, for links in e-mails
    /// (e.g. `https://domains.example.com`), without a trailing slash.
    pub public_url: String,
    /// Default and minimum TTL of hosted DNS records.
    pub dns_ttl: yuming_core::dns::TtlPolicy,
    /// Handling fee kept back when a cancellation inside the add grace period refunds the
    /// registration, in minor units of the order's currency.
    pub cancellation_fee_minor: i64,
    /// Whether outbound HTTP (webhook deliveries, the filing monitor's homepage fetch) may
    /// go to private networks (loopback, RFC 1918, …).
    pub private_targets: bool,
    /// Seconds between two consistency checks of a filed site.
    pub monitor_interval_secs: i64,
    /// Time limit of the homepage fetch.
    pub footer_timeout_secs: u64,
    /// Bytes of a homepage read at most.
    pub footer_max_bytes: usize,
    /// Days a filing certificate is valid from issue.
    pub certificate_validity_days: i64,
    /// Public filing look-ups per source IP per minute.
    pub public_lookups_per_ip_per_minute: i64,
    /// Whether the built-in sandbox payment gateway is offered (local use and trials only:
    /// it lets anyone approve a payment without paying).
    pub payments_sandbox: bool,
    /// The operator's account customers transfer to (对公转账); bank transfer is offered
    /// only when it is set.
    pub bank_account: Option<crate::billing::bank::BankAccount>,
    /// A person's manual credit above this many minor units needs a second finance person
    /// (four eyes); the operator on the server is not held to it.
    pub credit_second_approval_above: i64,
    /// Filing material images decoded at once (each may take up to
    /// `filing::materials::MAX_ALLOC` bytes); further uploads wait briefly, then get 503.
    pub material_decodes: usize,
    /// Whether this installation runs the scheduler's jobs (`[scheduler] enabled`).
    pub scheduler_enabled: bool,
    /// Seconds between two runs of the scheduler's jobs; a job that has not run for three
    /// of these is shown as lagging.
    pub scheduler_interval_secs: u64,
    /// Seconds between two filing syncs with the authority.
    pub filing_sync_interval_secs: u64,
    /// Working days within which a complaint gets its final written answer.
    pub complaint_resolution_working_days: u32,
    /// The working-day calendar complaints count in: China's, with the days the operator
    /// added for years published after this release.
    pub work_calendar: yuming_core::calendar::WorkCalendar,
    /// Backups `serve` takes by itself (`[backup]`); off where `interval_secs` is 0.
    pub backup: crate::ops::scheduled_backup::BackupSchedule,
    /// Whether requests and queries are counted for `/metrics` (`[metrics] enabled`).
    pub metrics_enabled: bool,
}

impl Default for AppSettings {
    fn default() -> Self {
        AppSettings {
            session_ttl_secs: 24 * 3600,
            lockout: LockoutPolicy::default(),
            login_attempts_per_ip_per_minute: 30,
            allow_signup: true,
            validate_per_ip_per_minute: 600,
            default_nameservers: vec!["ns1.example.net".into(), "ns2.example.net".into()],
            argon2_memory_kib: 19 * 1024,
            argon2_iterations: 2,
            password_hashing: crate::accounts::password::HashingLimits::default(),
            signups_per_ip_per_hour: 20,
            email_verification_ttl_secs: 48 * 3600,
            public_url: "http://127.0.0.1:8080".into(),
            dns_ttl: yuming_core::dns::TtlPolicy::default(),
            cancellation_fee_minor: 1_000,
            private_targets: false,
            monitor_interval_secs: 6 * 3600,
            footer_timeout_secs: 5,
            footer_max_bytes: 1 << 20,
            certificate_validity_days: 365,
            public_lookups_per_ip_per_minute: 60,
            material_decodes: 2,
            payments_sandbox: true,
            bank_account: None,
            credit_second_approval_above: 1_000_000,
            scheduler_enabled: true,
            scheduler_interval_secs: 60,
            filing_sync_interval_secs: 300,
            complaint_resolution_working_days: 15,
            work_calendar: yuming_core::calendar::WorkCalendar::china(),
            backup: crate::ops::scheduled_backup::BackupSchedule::default(),
            metrics_enabled: true,
        }
    }
}

/// The application: database, clock, cipher and settings. Cheap to clone.
#[derive(Clone)]
pub struct App {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    clock: Arc<dyn Clock>,
    cipher: Cipher,
    hasher: PasswordHasher,
    settings: AppSettings,
    /// Verified against when an e-mail is unknown, so that unknown and known accounts take
    /// the same time to refuse.
    dummy_password_hash: tokio::sync::OnceCell<String>,
    catalogue: crate::registrar::catalogue::CatalogueCache,
    registries: Vec<Arc<dyn RegistryConnector>>,
    availability: crate::registrar::availability::AvailabilityIndex,
    price_book: crate::registrar::pricing::PriceBookCache,
    filing_authority: std::sync::RwLock<Arc<dyn crate::filing::FilingAuthority>>,
    material_decodes: Arc<tokio::sync::Semaphore>,
    domain_hooks: Arc<dyn DomainHooks>,
    payment_gateways: std::sync::RwLock<Vec<Arc<dyn crate::billing::gateways::PaymentGateway>>>,
    mailer: std::sync::RwLock<Option<crate::notify::notices::Mailer>>,
    sandbox_gateway: Option<Arc<crate::billing::gateways::sandbox::SandboxGateway>>,
    help: crate::care::help::HelpIndex,
    metrics: crate::platform::metrics::Metrics,
}

impl App {
    /// Assembles the application from its adapters.
    pub fn new(db: Db, clock: Arc<dyn Clock>, cipher: Cipher, settings: AppSettings) -> App {
        let hasher = PasswordHasher::new(
            settings.argon2_memory_kib,
            settings.argon2_iterations,
            settings.password_hashing,
        );
        let sandbox_authority = Arc::new(crate::filing::SandboxFilingAuthority::new(
            crate::filing::SandboxConfig::default(),
            db.clone(),
            cipher.clone(),
        ));
        let sandbox_gateway = settings.payments_sandbox.then(|| {
            Arc::new(crate::billing::gateways::sandbox::SandboxGateway::new(
                db.clone(),
                Arc::clone(&clock),
                &cipher,
                &settings.public_url,
            ))
        });
        let payment_gateways: Vec<Arc<dyn crate::billing::gateways::PaymentGateway>> =
            sandbox_gateway
                .iter()
                .map(|g| Arc::clone(g) as Arc<dyn crate::billing::gateways::PaymentGateway>)
                .collect();
        let material_decodes = Arc::new(tokio::sync::Semaphore::new(
            settings.material_decodes.max(1),
        ));
        let settings_metrics = settings.metrics_enabled;
        App {
            inner: Arc::new(Inner {
                db,
                clock,
                cipher,
                hasher,
                settings,
                dummy_password_hash: tokio::sync::OnceCell::new(),
                catalogue: crate::registrar::catalogue::CatalogueCache::default(),
                registries: vec![Arc::new(LocalRegistry)],
                availability: crate::registrar::availability::AvailabilityIndex::default(),
                price_book: crate::registrar::pricing::PriceBookCache::default(),
                filing_authority: std::sync::RwLock::new(sandbox_authority),
                material_decodes,
                domain_hooks: Arc::new(PlatformHooks),
                payment_gateways: std::sync::RwLock::new(payment_gateways),
                mailer: std::sync::RwLock::new(None),
                sandbox_gateway,
                help: crate::care::help::HelpIndex::default(),
                metrics: crate::platform::metrics::Metrics::new(settings_metrics),
            }),
        }
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// Now, from the injected clock.
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// This instance's metrics (`/metrics`).
    pub fn metrics(&self) -> &crate::platform::metrics::Metrics {
        &self.inner.metrics
    }

    /// The field/file cipher.
    pub fn cipher(&self) -> &Cipher {
        &self.inner.cipher
    }

    /// The password hasher.
    pub fn hasher(&self) -> &PasswordHasher {
        &self.inner.hasher
    }

    /// The settings.
    pub fn settings(&self) -> &AppSettings {
        &self.inner.settings
    }

    /// The registry connector of this name (as named in the catalogue).
    pub fn registry(&self, name: &str) -> Result<Arc<dyn RegistryConnector>, crate::AppError> {
        self.inner
            .registries
            .iter()
            .find(|r| r.name() == name)
            .cloned()
            .ok_or_else(|| crate::AppError::internal(format!("no registry connector named {name}")))
    }

    pub(crate) fn availability(&self) -> &crate::registrar::availability::AvailabilityIndex {
        &self.inner.availability
    }

    pub(crate) fn help_index(&self) -> &crate::care::help::HelpIndex {
        &self.inner.help
    }

    pub(crate) fn material_decodes(&self) -> &Arc<tokio::sync::Semaphore> {
        &self.inner.material_decodes
    }

    /// How the registrar reaches DNS hosting and ICP filing.
    pub(crate) fn domain_hooks(&self) -> &dyn DomainHooks {
        self.inner.domain_hooks.as_ref()
    }

    pub(crate) fn price_book_cache(&self) -> &crate::registrar::pricing::PriceBookCache {
        &self.inner.price_book
    }

    pub(crate) fn catalogue_cache(&self) -> &crate::registrar::catalogue::CatalogueCache {
        &self.inner.catalogue
    }

    /// The filing authority connector (the built-in sandbox unless replaced).
    pub fn filing_authority(&self) -> Arc<dyn crate::filing::FilingAuthority> {
        self.inner
            .filing_authority
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Replaces the filing authority connector (at start-up, and in tests).
    pub fn set_filing_authority(&self, authority: Arc<dyn crate::filing::FilingAuthority>) {
        *self
            .inner
            .filing_authority
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = authority;
    }

    /// The payment gateways customers can pay through, in the order offered.
    pub fn payment_gateways(&self) -> Vec<Arc<dyn crate::billing::gateways::PaymentGateway>> {
        self.inner
            .payment_gateways
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Adds a payment gateway, replacing one of the same name (at start-up, and in tests).
    pub fn set_payment_gateway(&self, gateway: Arc<dyn crate::billing::gateways::PaymentGateway>) {
        let mut gateways = self
            .inner
            .payment_gateways
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match gateways.iter_mut().find(|g| g.name() == gateway.name()) {
            Some(slot) => *slot = gateway,
            None => gateways.push(gateway),
        }
    }

    /// The SMTP sender of e-mail notices, when `smtp_url` is configured.
    pub fn mailer(&self) -> Option<crate::notify::notices::Mailer> {
        self.inner
            .mailer
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Sets the SMTP sender (at start-up, and in tests).
    pub fn set_mailer(&self, mailer: crate::notify::notices::Mailer) {
        *self
            .inner
            .mailer
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(mailer);
    }

    /// The built-in sandbox gateway, when offered (its pay page needs more than the port).
    pub fn sandbox_gateway(
        &self,
    ) -> Option<Arc<crate::billing::gateways::sandbox::SandboxGateway>> {
        self.inner.sandbox_gateway.clone()
    }

    /// Forgets the in-memory catalogue so the next use reloads it.
    pub fn invalidate_catalogue(&self) {
        self.inner.catalogue.invalidate();
    }

    pub(crate) async fn dummy_password_hash(&self) -> Result<&str, crate::AppError> {
        self.inner
            .dummy_password_hash
            .get_or_try_init(|| self.inner.hasher.hash("dummy password for timing"))
            .await
            .map(String::as_str)
    }
}

/// Where a request came from, for audit entries, logs and rate limits.
#[derive(Debug, Clone, Default)]
pub struct RequestContext {
    /// Our request id (`x-request-id`, generated by the server), or a CLI/job label.
    pub request_id: String,
    /// The id the client sent in its own `X-Request-Id`, if any (empty otherwise).
    pub client_request_id: String,
    /// The client's IP address, when known.
    pub client_ip: Option<String>,
    /// The client's `User-Agent` (at most 256 characters), kept with the sessions it
    /// starts so that their owner can tell them apart.
    pub user_agent: Option<String>,
    /// The `Idempotency-Key` this request runs under, if any: the use case marks it in the
    /// transaction of its effect (see [`crate::platform::idempotency`]).
    pub idempotency: Option<IdempotencyMark>,
}

/// The idempotency key a request claimed, and the scope (account) it was claimed in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyMark {
    /// The scope of the key: the account, or `anonymous:<ip>`.
    pub scope: String,
    /// The client's key.
    pub key: String,
}

impl RequestContext {
    /// A context for operator commands and background work.
    pub fn internal(label: &str) -> Self {
        RequestContext {
            request_id: label.to_owned(),
            ..RequestContext::default()
        }
    }

    /// The same origin without the idempotency key: for work a request starts but that
    /// commits on its own later (batch items), which must not claim the request's key.
    pub fn without_idempotency(&self) -> Self {
        RequestContext {
            idempotency: None,
            ..self.clone()
        }
    }
}

/// The platform's wiring of the registrar's hooks: the hosted zone follows the name, and the
/// filing tables answer which filings depend on it.
struct PlatformHooks;

impl DomainHooks for PlatformHooks {
    fn registered<'a>(
        &'a self,
        tx: &'a mut Tx,
        domain: &'a DomainRow,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<(), AppError>> {
        Box::pin(crate::dns::create_zone(tx, domain, now))
    }

    fn deleting<'a>(
        &'a self,
        tx: &'a mut Tx,
        domain: &'a DomainRow,
    ) -> BoxFuture<'a, Result<(), AppError>> {
        Box::pin(crate::dns::remove_zone(tx, domain))
    }

    fn dependent_filings<'a>(
        &'a self,
        tx: &'a mut Tx,
        domain: &'a DomainRow,
    ) -> BoxFuture<'a, Result<Vec<DependentFiling>, AppError>> {
        Box::pin(crate::filing::dependencies::dependent_filings(tx, domain))
    }

    fn export_parts(&self) -> Vec<Box<dyn ExportPart>> {
        vec![Box::new(crate::dns::HostedZones)]
    }
}
