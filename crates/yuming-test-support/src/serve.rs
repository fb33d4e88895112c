//! Starting `yuming serve` from tests without racing other tests for ports.
//!
//! Picking a free port and releasing it for the server races with every other process that
//! binds ports meanwhile. Instead the server is told to bind port 0 (`127.0.0.1:0`) and the
//! test reads the addresses it got from its log: `yuming is serving http=…`,
//! `DNS is serving dns=…` and `WHOIS is serving whois=…` (JSON log lines at `info` for
//! `yuming::serve`). The DNS listener
//! binds TCP on the port its UDP socket got, which can still be taken; such a start is retried.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The addresses a started `yuming serve` listens on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listening {
    /// The HTTP listener.
    pub http: SocketAddr,
    /// The DNS listener (UDP and TCP on the same port), when DNS is on.
    pub dns: Option<SocketAddr>,
    /// The WHOIS listener, when the command turned it on (e.g. `YUMING_WHOIS_ADDR=127.0.0.1:0`).
    pub whois: Option<SocketAddr>,
}

/// A running `yuming serve`, killed on drop.
pub struct Served {
    /// The process.
    pub child: Child,
    /// Where it listens.
    pub listening: Listening,
    log: mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Served {
    /// `http://ADDR`.
    pub fn base(&self) -> String {
        format!("http://{}", self.listening.http)
    }

    /// The log lines read so far (and any that arrived since), for failure messages.
    pub fn log(&mut self) -> String {
        self.seen.extend(self.log.try_iter());
        self.seen.join("\n")
    }

    /// Polls `GET /healthz` until it answers 2xx and returns its body.
    ///
    /// # Panics
    /// When the process exits first or is not healthy within 60 s, with its log.
    pub async fn wait_healthy(&mut self) -> serde_json::Value {
        self.wait_healthy_from(None).await
    }

    /// [`Served::wait_healthy`] from the source address `local` (a test of per-address
    /// limits keeps its own address's connection slots clear of the poll's connection).
    ///
    /// # Panics
    /// As [`Served::wait_healthy`].
    pub async fn wait_healthy_from(
        &mut self,
        local: Option<std::net::IpAddr>,
    ) -> serde_json::Value {
        let deadline = Instant::now() + Duration::from_secs(60);
        let client = yuming_app::platform::http::client_builder()
            .local_address(local)
            .build()
            .expect("client");
        let url = format!("{}/healthz", self.base());
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("yuming serve exited early with {status}: {}", self.log());
            }
            if let Ok(response) = client.get(&url).send().await
                && response.status().is_success()
            {
                return response.json().await.expect("health JSON");
            }
            assert!(
                Instant::now() < deadline,
                "yuming serve did not become healthy: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `command` (a `yuming serve` without its HTTP or DNS address) with both listeners on
/// `127.0.0.1:0`, DNS only when `dns`, and waits until it reports its addresses — also the
/// WHOIS address when the command sets a non-empty `YUMING_WHOIS_ADDR`. A start that failed
/// because a port was taken meanwhile is retried.
///
/// # Panics
/// When the server exits or stays silent for 60 s, with its log.
pub fn start_serve(command: &mut Command, dns: bool) -> Served {
    command
        .env("YUMING_HTTP_ADDR", "127.0.0.1:0")
        .env("YUMING_DNS_ADDR", if dns { "127.0.0.1:0" } else { "" })
        .env("YUMING_LOG_FORMAT", "json")
        .env("YUMING_LOG", "warn,yuming::serve=info")
        .stderr(Stdio::piped());
    let whois = command
        .get_envs()
        .any(|(name, value)| name == "YUMING_WHOIS_ADDR" && value.is_some_and(|v| !v.is_empty()));
    let mut attempt = 0;
    loop {
        attempt += 1;
        match try_start(command, dns, whois) {
            Ok(served) => return served,
            Err(log) if attempt < 5 && log.contains("in use") => continue,
            Err(log) => panic!("yuming serve did not start:\n{log}"),
        }
    }
}

fn try_start(command: &mut Command, dns: bool, whois: bool) -> Result<Served, String> {
    let mut child = command.spawn().map_err(|e| format!("spawn: {e}"))?;
    let Some(stderr) = child.stderr.take() else {
        return Err("stderr is not piped".into());
    };
    let (send, log) = mpsc::channel();
    // Reads to the end so that the server never blocks on a full pipe.
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let _ = send.send(line);
        }
    });
    let mut seen = Vec::new();
    let (mut http, mut dns_addr, mut whois_addr) = (None, None, None);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(http) = http
            && (!dns || dns_addr.is_some())
            && (!whois || whois_addr.is_some())
        {
            return Ok(Served {
                child,
                listening: Listening {
                    http,
                    dns: dns_addr,
                    whois: whois_addr,
                },
                log,
                seen,
            });
        }
        match log.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                if let Ok(entry) = serde_json::from_str::<serde_json::Value>(&line) {
                    let field = |name: &str| {
                        entry["fields"][name]
                            .as_str()
                            .and_then(|a| a.parse::<SocketAddr>().ok())
                    };
                    http = http.or_else(|| field("http"));
                    dns_addr = dns_addr.or_else(|| field("dns"));
                    whois_addr = whois_addr.or_else(|| field("whois"));
                }
                seen.push(line);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                // stderr closed: the process is gone (or closing); collect its status.
                let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                seen.push(format!("(exited: {status})"));
                return Err(seen.join("\n"));
            }
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            seen.push("(no address reported within 60 s)".into());
            return Err(seen.join("\n"));
        }
    }
}
