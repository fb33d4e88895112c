//! The WHOIS listener (RFC 3912): one query line per connection, one answer, then close.
//!
//! Every connection is bounded: a query line of at most [`whois::MAX_QUERY_BYTES`], a read
//! timeout so idle connections are dropped, caps on open connections per listener and per
//! source (see [`crate::listener`]), and the per-IP [`RateLimiter`]. Bad input gets one
//! `Error:` line and the connection is closed.

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use yuming_app::{App, ErrorKind, registrar::domains};

use crate::LookupSettings;
use crate::limiter::RateLimiter;
use crate::listener::{AcceptBackoff, ConnectionLimits, ConnectionTracker, Refused, accept};
use crate::whois::{self, MAX_QUERY_BYTES, QueryError};

/// WHOIS listener settings.
#[derive(Debug, Clone)]
pub struct WhoisSettings {
    /// A connection that has not sent its query line within this time is dropped.
    pub read_timeout: Duration,
    /// Most connections open at once; more are told so and closed.
    pub max_connections: usize,
    /// Most connections open at once from one source (IPv4 address or IPv6 /64); 0 is no
    /// per-source cap.
    pub max_connections_per_ip: usize,
    /// What the answers say about the registrar, and the per-IP rate limit
    /// (`whois_per_ip_per_minute`, token bucket; 0 is unlimited).
    pub lookup: LookupSettings,
}

impl Default for WhoisSettings {
    fn default() -> Self {
        WhoisSettings {
            read_timeout: Duration::from_secs(10),
            max_connections: 256,
            max_connections_per_ip: 8,
            lookup: LookupSettings::default(),
        }
    }
}

/// Accepts connections on `listener` until `shutdown` completes; connections already being
/// answered finish on their own (each is bounded by the read timeout).
pub async fn serve(
    listener: TcpListener,
    app: App,
    settings: WhoisSettings,
    shutdown: impl Future<Output = ()>,
) {
    let settings = Arc::new(settings);
    let limiter = Arc::new(RateLimiter::new(settings.lookup.whois_per_ip_per_minute));
    let tracker = ConnectionTracker::new(ConnectionLimits {
        total: settings.max_connections,
        per_source: settings.max_connections_per_ip,
    });
    let mut backoff = AcceptBackoff::default();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = accept(&listener, &mut backoff, "WHOIS") => accepted,
        };
        let permit = match tracker.admit(peer.ip()) {
            Ok(permit) => permit,
            Err(refused) => {
                let line: &[u8] = match refused {
                    Refused::SourceFull => {
                        b"Error: too many connections from your address; try again later.\r\n"
                    }
                    Refused::ListenerFull => b"Error: the server is busy; try again later.\r\n",
                };
                // Best effort and never waiting: a new connection's send buffer has room for
                // one line.
                let _ = stream.try_write(line);
                continue;
            }
        };
        let app = app.clone();
        let settings = settings.clone();
        let limiter = limiter.clone();
        tokio::spawn(async move {
            answer(stream, peer.ip(), &app, &settings, &limiter).await;
            drop(permit);
        });
    }
    tracing::info!("WHOIS listener stopped");
}

/// Reads up to the first LF, at most `MAX_QUERY_BYTES` + CRLF. `Ok(None)` when the line is
/// too long.
async fn read_line(stream: &mut TcpStream) -> std::io::Result<Option<Vec<u8>>> {
    let limit = MAX_QUERY_BYTES + 2;
    let mut line = Vec::with_capacity(256);
    let mut chunk = [0u8; 512];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            // A client that half-closes without a line end still asked something.
            return Ok(Some(line));
        }
        let part = chunk.get(..n).unwrap_or_default();
        if let Some(end) = part.iter().position(|&b| b == b'\n') {
            line.extend_from_slice(part.get(..=end).unwrap_or_default());
            return Ok((line.len() <= limit).then_some(line));
        }
        line.extend_from_slice(part);
        if line.len() > limit {
            return Ok(None);
        }
    }
}

async fn answer(
    mut stream: TcpStream,
    ip: IpAddr,
    app: &App,
    settings: &WhoisSettings,
    limiter: &RateLimiter,
) {
    let metrics = app.metrics();
    let reply = match limiter.check(ip, Instant::now()) {
        Err(wait) => {
            metrics.rate_limited("whois");
            metrics.lookup("whois", "limited");
            format!("Error: rate limit exceeded; try again in {wait} seconds.\r\n")
        }
        Ok(()) => match tokio::time::timeout(settings.read_timeout, read_line(&mut stream)).await {
            Err(_) => {
                metrics.lookup("whois", "timeout");
                "Error: no query received in time.\r\n".to_owned()
            }
            Ok(Err(_)) => return,
            Ok(Ok(None)) => {
                metrics.lookup("whois", "invalid");
                QueryError::TooLong.line().to_owned()
            }
            Ok(Ok(Some(line))) => match whois::parse_query(&line) {
                Err(error) => {
                    metrics.lookup("whois", "invalid");
                    error.line().to_owned()
                }
                Ok(query) => lookup(app, &query, &settings.lookup).await,
            },
        },
    };
    let write = async {
        stream.write_all(reply.as_bytes()).await?;
        stream.shutdown().await
    };
    if tokio::time::timeout(settings.read_timeout, write)
        .await
        .is_err()
    {
        return;
    }
    // Closing a socket with unread input makes the kernel send RST, which can destroy the
    // answer before the client reads it (a 10 000-byte line, say). Read what is left, briefly
    // and boundedly, so the close is a clean FIN.
    let mut sink = [0u8; 4096];
    let mut budget: usize = 1 << 20;
    let drain = async {
        while budget > 0 {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => budget = budget.saturating_sub(n),
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
}

async fn lookup(app: &App, query: &str, settings: &LookupSettings) -> String {
    let now = app.now();
    let metrics = app.metrics();
    match domains::lookup(app, query).await {
        Ok(view) => {
            metrics.lookup("whois", "found");
            whois::render_record(&view, settings, now)
        }
        Err(error) if error.kind == ErrorKind::NotFound => {
            metrics.lookup("whois", "not_found");
            whois::render_no_match(query, settings, now)
        }
        Err(error) if error.kind == ErrorKind::BadRequest => {
            metrics.lookup("whois", "invalid");
            whois::render_invalid(query)
        }
        Err(error) => {
            metrics.lookup("whois", "error");
            tracing::error!(%error, "WHOIS lookup failed");
            "Error: the service is temporarily unavailable; try again later.\r\n".to_owned()
        }
    }
}
