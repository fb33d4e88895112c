//! `yuming serve`: every enabled listener in one process, with graceful shutdown.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use yuming_config::Config;
use yuming_http::{AppState, HttpSettings};
use yuming_lookup::listener::ConnectionLimits;

use crate::setup;

/// Runs until SIGINT or SIGTERM, then lets in-flight requests finish.
pub async fn serve(mut config: Config) -> anyhow::Result<()> {
    check_descriptor_budget(&config);
    if !config.http.failpoint.is_empty() {
        tracing::warn!(
            failpoint = %config.http.failpoint,
            "TEST FAILPOINT SET ([http] failpoint): requests will hang on purpose; never use this in production"
        );
    }
    // Bound first, so that a port picked by the system (`:0`) is known to the links and
    // passkeys that name the console's address.
    let listener = tokio::net::TcpListener::bind(&config.http_addr)
        .await
        .with_context(|| format!("binding the HTTP listener to {}", config.http_addr))?;
    let local = listener.local_addr()?;
    setup::settle_port(&mut config, local.port());
    let app = setup::build_app(&config).await?;
    // Every domain has its zone from here on, so reading records never has to create one
    // (also when the DNS listener is off).
    yuming_app::dns::backfill_zones(&app, 500)
        .await
        .map_err(|e| anyhow::anyhow!("creating the zones of older domains: {}", e.message))?;
    // The help centre's shipped articles and search index, so that the first reader does
    // not wait for them.
    yuming_app::care::help::ensure_ready(&app)
        .await
        .map_err(|e| anyhow::anyhow!("preparing the help centre: {}", e.message))?;
    // Try-out values that must not reach customers (e.g. the example.net nameservers in every
    // zone's SOA and NS); staff also see them at GET /api/v1/admin/system.
    let year = yuming_core::calendar::WorkCalendar::day_of(app.now()).year();
    let calendar = yuming_app::ops::system::calendar_warning(app.settings(), year);
    for warning in yuming_app::ops::system::setting_warnings(app.settings())
        .into_iter()
        .chain(calendar)
    {
        tracing::warn!(
            code = warning.code,
            setting = warning.setting,
            "{}",
            warning.message
        );
    }
    #[allow(
        clippy::needless_update,
        reason = "settings added to HttpSettings later keep their defaults here"
    )]
    let state = AppState {
        app: app.clone(),
        settings: HttpSettings {
            body_limit_bytes: config.http.body_limit_bytes,
            request_timeout: Duration::from_secs(config.http.request_timeout_secs),
            lookup: config.lookup.clone(),
            pause_before_idempotent_store: config.http.failpoint == "pause_before_idempotent_store",
            metrics_token: (!config.metrics.token.is_empty()).then(|| config.metrics.token.clone()),
            metrics_here: config.metrics.addr.is_empty(),
        },
    };
    let web = yuming_web::WebState {
        app: app.clone(),
        settings: std::sync::Arc::new(yuming_web::WebSettings {
            secure_cookies: config.web.secure_cookies
                || config.http.public_url.starts_with("https://")
                || !config.http.tls_cert.is_empty(),
            site: yuming_web::SiteSettings {
                operator: config.web.operator_name.clone(),
                icp_number: config.web.icp_number.clone(),
                psb_number: config.web.psb_number.clone(),
            },
            request_timeout: Duration::from_secs(config.http.request_timeout_secs),
            body_limit_bytes: config.http.body_limit_bytes,
        }),
    };
    let metrics_listener = if config.metrics.addr.is_empty() {
        None
    } else {
        let listener = tokio::net::TcpListener::bind(&config.metrics.addr)
            .await
            .with_context(|| format!("binding the metrics listener to {}", config.metrics.addr))?;
        tracing::info!(metrics = %listener.local_addr()?, "metrics are serving");
        Some((listener, yuming_http::metrics_router(state.clone())))
    };
    let router = yuming_web::router(web, yuming_http::router(state));
    let trusted_proxies = std::sync::Arc::new(
        yuming_core::client_address::TrustedProxies::parse(&config.http.trusted_proxies)
            .context("http.trusted_proxies")?,
    );
    tracing::info!(http = %local, database = ?app.db().backend(), "yuming is serving");

    // One signal stops every listener: each waits on its own receiver.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let whois = if config.whois_addr.is_empty() {
        None
    } else {
        let whois_listener = tokio::net::TcpListener::bind(&config.whois_addr)
            .await
            .with_context(|| format!("binding the WHOIS listener to {}", config.whois_addr))?;
        tracing::info!(whois = %whois_listener.local_addr()?, "WHOIS is serving");
        Some(tokio::spawn(yuming_lookup::server::serve(
            whois_listener,
            app.clone(),
            yuming_lookup::server::WhoisSettings {
                lookup: config.lookup.clone(),
                read_timeout: Duration::from_secs(config.whois.read_timeout_secs),
                max_connections: config.whois.max_connections,
                max_connections_per_ip: config.whois.max_connections_per_ip,
            },
            wait_for(stopped.clone()),
        )))
    };
    let dns = if config.dns_addr.is_empty() {
        None
    } else {
        let udp = std::net::UdpSocket::bind(&config.dns_addr)
            .with_context(|| format!("binding the DNS UDP socket to {}", config.dns_addr))?;
        let tcp = tokio::net::TcpListener::bind(udp.local_addr()?)
            .await
            .with_context(|| format!("binding the DNS TCP listener to {}", config.dns_addr))?;
        let mut secondaries = Vec::new();
        for s in &config.dns.secondaries {
            secondaries.push(
                s.parse::<SocketAddr>()
                    .with_context(|| format!("dns.secondaries: {s:?} is not ip:port"))?,
            );
        }
        let shared = yuming_lookup::dns_server::initial_snapshot(&app)
            .await
            .context("loading the DNS zones")?;
        tracing::info!(dns = %udp.local_addr()?, zones = shared.current().len(), "DNS is serving");
        Some(tokio::spawn(yuming_lookup::dns_server::serve(
            udp,
            tcp,
            app.clone(),
            shared,
            yuming_lookup::dns_server::DnsSettings {
                secondaries,
                tcp_idle: Duration::from_secs(config.dns.tcp_idle_timeout_secs),
                tcp_connections: config.dns.tcp_max_connections,
                tcp_connections_per_ip: config.dns.tcp_max_connections_per_ip,
                ..Default::default()
            },
            wait_for(stopped.clone()),
        )))
    };
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });

    let housekeeping = tokio::spawn(housekeeping(app.clone(), config.clone()));
    let backups = tokio::spawn(backups(app.clone()));
    let filing_sync = tokio::spawn(filing_sync(
        app.clone(),
        config.filing.sync_interval_secs.clamp(1, 1800),
    ));
    let tls = match (config.http.tls_cert.as_str(), config.http.tls_key.as_str()) {
        ("", "") => None,
        ("", _) | (_, "") => {
            anyhow::bail!("http.tls_cert and http.tls_key go together: set both or neither")
        }
        (cert, key) => {
            let tls = std::sync::Arc::new(crate::http_server::Tls::load(
                std::path::Path::new(cert),
                std::path::Path::new(key),
            )?);
            tokio::spawn(reload_on_hangup(std::sync::Arc::clone(&tls)));
            tracing::info!(cert, "HTTPS: serving TLS, certificate reloaded on SIGHUP");
            Some(tls)
        }
    };
    let limits = crate::http_server::HttpLimits {
        connections: ConnectionLimits {
            total: config.http.max_connections,
            per_source: config.http.max_connections_per_ip,
        },
        header_read_timeout: Duration::from_secs(config.http.header_read_timeout_secs),
        idle_timeout: Duration::from_secs(config.http.idle_timeout_secs),
        trusted_proxies,
        tls,
    };
    let metrics_server = metrics_listener.map(|(listener, router)| {
        tokio::spawn(crate::http_server::serve(
            listener,
            router,
            limits.clone(),
            wait_for(stopped.clone()),
        ))
    });
    crate::http_server::serve(listener, router, limits, wait_for(stopped)).await;
    if let Some(metrics_server) = metrics_server {
        let _ = metrics_server.await;
    }
    if let Some(whois) = whois {
        let _ = whois.await;
    }
    if let Some(dns) = dns {
        let _ = dns.await;
    }
    housekeeping.abort();
    backups.abort();
    filing_sync.abort();
    app.db().close().await;
    tracing::info!("yuming stopped");
    Ok(())
}

/// Periodic purge of expired security bookkeeping, and the scheduler's jobs (lifecycle
/// sweep, notice delivery) every `scheduler.interval_secs`. Each instance runs this; the
/// sweep's lease and per-domain claims keep instances from doing the same work twice.
async fn housekeeping(app: yuming_app::App, config: yuming_config::Config) {
    // Built at start-up (an invalid smtp_url was reported there).
    let mailer = app.mailer();
    let holder = crate::setup::instance_id();
    let period = Duration::from_secs(config.scheduler.interval_secs.max(1));
    // The jobs first run one period after start, so that starting a server changes nothing
    // by itself (the first sweep loads the catalogue, an audited import on a fresh database).
    // Taken before the interval starts, so that its second tick is not early.
    let jobs_from = tokio::time::Instant::now() + period;
    let mut interval = tokio::time::interval(period);
    let mut last_purge: Option<tokio::time::Instant> = None;
    loop {
        interval.tick().await;
        if last_purge.is_none_or(|at| at.elapsed() >= Duration::from_secs(600)) {
            last_purge = Some(tokio::time::Instant::now());
            if let Err(error) = yuming_app::platform::idempotency::purge_ephemeral(&app).await {
                tracing::warn!(%error, "housekeeping failed; retrying at the next tick");
            }
        }
        if !config.scheduler.enabled || tokio::time::Instant::now() < jobs_from {
            continue;
        }
        match yuming_app::ops::scheduler::run_jobs(&app, &holder, mailer.as_ref()).await {
            Ok(report) => tracing::debug!(?report, "scheduler jobs ran"),
            Err(error) => {
                tracing::warn!(%error, "scheduler jobs failed; retrying at the next tick")
            }
        }
    }
}

/// Reloads the TLS certificate and key on every SIGHUP (after a renewal), keeping the pair in
/// use when the new files do not load.
async fn reload_on_hangup(tls: std::sync::Arc<crate::http_server::Tls>) {
    let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
    else {
        tracing::warn!("cannot listen for SIGHUP: the TLS certificate reloads only on restart");
        return;
    };
    while hangups.recv().await.is_some() {
        match tls.reload() {
            Ok(()) => tracing::info!("SIGHUP: TLS certificate reloaded"),
            Err(error) => {
                tracing::error!(
                    error = format!("{error:#}"),
                    "SIGHUP: the new TLS certificate did not load; still serving the old one"
                )
            }
        }
    }
}

/// Takes a backup whenever one is due (`[backup] interval_secs`), checking every minute at
/// most, so that a restart after a long stop backs up soon. The first check waits a minute
/// (or the interval, if shorter) so that starting a server does not begin with a backup.
async fn backups(app: yuming_app::App) {
    let every = app.settings().backup.interval_secs;
    if every == 0 {
        return;
    }
    let holder = crate::setup::instance_id();
    let check = Duration::from_secs(every.clamp(1, 60));
    let mut interval = tokio::time::interval_at(tokio::time::Instant::now() + check, check);
    loop {
        interval.tick().await;
        let mut jobs = yuming_app::ops::scheduler::JobsReport::default();
        if let Err(error) = yuming_app::ops::scheduler::run_recorded(
            &app,
            yuming_app::ops::scheduler::Job::Backup,
            &holder,
            yuming_app::ops::scheduler::Trigger::Schedule,
            None,
            &mut jobs,
        )
        .await
        {
            tracing::error!(%error, "the scheduled backup failed; retrying at the next interval");
        }
    }
}

/// Brings filing orders up to date with the authority (pushes, SMS expiry, decisions and
/// numbers) at least every 30 minutes.
async fn filing_sync(app: yuming_app::App, every_secs: u64) {
    let holder = crate::setup::instance_id();
    let mut interval = tokio::time::interval(Duration::from_secs(every_secs));
    loop {
        interval.tick().await;
        let mut jobs = yuming_app::ops::scheduler::JobsReport::default();
        let outcome = yuming_app::ops::scheduler::run_recorded(
            &app,
            yuming_app::ops::scheduler::Job::FilingSync,
            &holder,
            yuming_app::ops::scheduler::Trigger::Schedule,
            None,
            &mut jobs,
        )
        .await
        .map(|_| jobs.filing_sync.unwrap_or_default());
        match outcome {
            Ok(report) if report.changed > 0 || report.failed > 0 => {
                tracing::info!(
                    checked = report.checked,
                    changed = report.changed,
                    failed = report.failed,
                    "filing sync"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(%error, "filing sync failed; retrying at the next tick"),
        }
    }
}

/// Descriptors kept free of the connection caps: database pool, data files, outbound
/// requests, the UDP socket and the runtime's own.
const DESCRIPTOR_RESERVE: u64 = 256;

/// Raises the soft limit on open files to the hard limit, so that the listeners' connection
/// caps decide who is turned away, not `EMFILE` (which also stops every other listener and
/// the database from opening anything), and warns when the caps could still exceed it.
fn check_descriptor_budget(config: &Config) {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let limit = match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) if soft < hard => match setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
            Ok(()) => hard,
            Err(error) => {
                tracing::warn!(%error, soft, hard, "could not raise the open-file limit");
                soft
            }
        },
        Ok((soft, _)) => soft,
        Err(error) => {
            tracing::warn!(%error, "could not read the open-file limit");
            return;
        }
    };
    let mut needed = DESCRIPTOR_RESERVE
        + u64::from(config.database.max_connections)
        + config.http.max_connections as u64;
    if !config.whois_addr.is_empty() {
        needed += config.whois.max_connections as u64;
    }
    if !config.dns_addr.is_empty() {
        needed += config.dns.tcp_max_connections as u64;
    }
    if needed > limit {
        tracing::warn!(
            open_file_limit = limit,
            needed,
            "the connection caps (http.max_connections, whois.max_connections, \
             dns.tcp_max_connections) can exceed the open-file limit; lower them or raise \
             the limit (ulimit -n, LimitNOFILE=)"
        );
    } else {
        tracing::debug!(open_file_limit = limit, needed, "open-file budget");
    }
}

/// Completes once the shutdown flag is set (or its sender is gone).
async fn wait_for(mut stopped: tokio::sync::watch::Receiver<bool>) {
    let _ = stopped.wait_for(|stop| *stop).await;
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
