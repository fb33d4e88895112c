//! The authoritative DNS listeners: UDP on dedicated threads (one per core, blocking
//! `recv_from`/`send_to` on clones of one socket: no executor hop per datagram), TCP on tokio
//! with length-prefixed frames, an idle timeout and caps on open connections per listener and
//! per source (RFC 7766 §6.2.2: one client must not hold every slot), and the poller that
//! keeps the snapshot current and sends NOTIFY to the secondaries. UDP needs no descriptor
//! per client, so it keeps answering whatever happens to TCP.
//!
//! Freshness: every second the poller asks the database for zones whose zone or domain row
//! changed since the previous poll (with a two-second overlap, as times are whole seconds),
//! so a change made through any instance is served within about two seconds. A full reload
//! every minute picks up changes that are only a matter of time (a grace period ending).
//! The same minute stores how many queries arrived for cancelled names under their 30-day
//! stray-traffic watch and reloads that list.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use yuming_app::App;
use yuming_app::platform::metrics::DnsCounters;

use crate::dns::{Outcome, Snapshot, Transport, answer, notify_message, transfer_messages};
use crate::listener::{AcceptBackoff, ConnectionLimits, ConnectionTracker, accept};

/// Listener settings.
#[derive(Debug, Clone)]
pub struct DnsSettings {
    /// Secondaries: sent NOTIFY, allowed AXFR/IXFR (by IP).
    pub secondaries: Vec<SocketAddr>,
    /// UDP worker threads.
    pub udp_threads: usize,
    /// A TCP connection idle longer than this is closed.
    pub tcp_idle: Duration,
    /// Open TCP connections in all; more are closed at once.
    pub tcp_connections: usize,
    /// Open TCP connections from one source (IPv4 address or IPv6 /64); 0 is no per-source
    /// cap. Configured secondaries are exempt from both caps, so that a flood from elsewhere
    /// cannot stop zone transfers.
    pub tcp_connections_per_ip: usize,
    /// Poll interval of the change feed.
    pub poll: Duration,
}

impl Default for DnsSettings {
    fn default() -> Self {
        DnsSettings {
            secondaries: Vec::new(),
            udp_threads: std::thread::available_parallelism().map_or(2, |n| n.get()),
            tcp_idle: Duration::from_secs(10),
            tcp_connections: 512,
            tcp_connections_per_ip: 16,
            poll: Duration::from_secs(1),
        }
    }
}

/// The current snapshot, swapped whole on reload.
#[derive(Clone, Default)]
pub struct Shared(Arc<RwLock<Arc<Snapshot>>>);

impl Shared {
    /// The snapshot to answer one request from.
    pub fn current(&self) -> Arc<Snapshot> {
        match self.0.read() {
            Ok(g) => Arc::clone(&g),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    fn replace(&self, snapshot: Snapshot) {
        let new = Arc::new(snapshot);
        match self.0.write() {
            Ok(mut g) => *g = new,
            Err(poisoned) => *poisoned.into_inner() = new,
        }
    }
}

/// Loads every zone (the first snapshot).
pub async fn initial_snapshot(app: &App) -> Result<Shared, yuming_app::AppError> {
    app.metrics().dns_snapshot_loading();
    yuming_app::dns::backfill_zones(app, 500).await?;
    let mut snapshot = Snapshot::default();
    snapshot.apply(&yuming_app::dns::served_zones_since(app, 0).await?);
    let shared = Shared::default();
    let zones = snapshot.len();
    shared.replace(snapshot);
    refresh_watch(app, &shared).await?;
    app.metrics().dns_snapshot_loaded(zones);
    Ok(shared)
}

/// Stores the queries counted for cancelled names since the last call and reloads the list
/// of names under their stray-traffic watch. Counts that cannot be stored are kept for the
/// next call.
pub async fn refresh_watch(app: &App, shared: &Shared) -> Result<(), yuming_app::AppError> {
    let current = shared.current();
    let counts = current.drain_stray();
    if let Err(error) =
        yuming_app::registrar::cancellations::record_stray_traffic(app, &counts).await
    {
        current.restore_stray(&counts);
        return Err(error);
    }
    let names = yuming_app::registrar::cancellations::monitored_names(app).await?;
    let mut next = (*shared.current()).clone();
    next.set_watched(names.iter().map(|(name, _)| name.as_str()));
    shared.replace(next);
    Ok(())
}

/// Runs UDP and TCP on `udp`/`tcp` and the poller until `shutdown` completes.
pub async fn serve(
    udp: UdpSocket,
    tcp: TcpListener,
    app: App,
    shared: Shared,
    settings: DnsSettings,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    // The read timeout lets the threads notice the stop flag.
    let _ = udp.set_read_timeout(Some(Duration::from_millis(250)));
    for _ in 0..settings.udp_threads.max(1) {
        let Ok(socket) = udp.try_clone() else {
            continue;
        };
        let shared = shared.clone();
        let stop = Arc::clone(&stop);
        let counters = app.metrics().dns().worker("udp");
        threads.push(std::thread::spawn(move || {
            udp_loop(&socket, &shared, &stop, &counters)
        }));
    }
    let tcp_counters = app.metrics().dns().worker("tcp");
    let poller = tokio::spawn(poll_loop(app, shared.clone(), settings.clone()));
    let tracker = ConnectionTracker::new(ConnectionLimits {
        total: settings.tcp_connections,
        per_source: settings.tcp_connections_per_ip,
    });
    let allowed: Arc<Vec<IpAddr>> =
        Arc::new(settings.secondaries.iter().map(SocketAddr::ip).collect());
    let mut backoff = AcceptBackoff::default();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = accept(&tcp, &mut backoff, "DNS TCP") => accepted,
        };
        let permit = if allowed.contains(&peer.ip()) {
            None
        } else {
            match tracker.admit(peer.ip()) {
                Ok(permit) => Some(permit),
                Err(_) => {
                    // Over a cap: close at once rather than queue.
                    drop(stream);
                    continue;
                }
            }
        };
        let shared = shared.clone();
        let allowed = Arc::clone(&allowed);
        let idle = settings.tcp_idle;
        let counters = Arc::clone(&tcp_counters);
        tokio::spawn(async move {
            let _permit = permit;
            let _ = tcp_connection(stream, peer, &shared, &allowed, idle, &counters).await;
        });
    }
    stop.store(true, Ordering::Relaxed);
    poller.abort();
    for t in threads {
        let _ = t.join();
    }
}

fn udp_loop(socket: &UdpSocket, shared: &Shared, stop: &AtomicBool, counters: &DnsCounters) {
    let mut buf = [0u8; 4096];
    let mut out = Vec::with_capacity(1500);
    while !stop.load(Ordering::Relaxed) {
        let Ok((n, peer)) = socket.recv_from(&mut buf) else {
            continue;
        };
        let started = Instant::now();
        let snapshot = shared.current();
        match answer(
            &snapshot,
            &buf[..n],
            Transport::Udp,
            std::mem::take(&mut out),
        ) {
            Outcome::Reply(reply) => {
                counted(counters, &buf[..n], &reply, started);
                let _ = socket.send_to(&reply, peer);
                out = reply;
            }
            Outcome::Transfer(_, buffer) => out = buffer,
            Outcome::Drop => counters.malformed(),
        }
    }
}

async fn tcp_connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    shared: &Shared,
    allowed: &[IpAddr],
    idle: Duration,
    counters: &DnsCounters,
) -> std::io::Result<()> {
    let mut buf = vec![0u8; 65_535];
    loop {
        let mut len = [0u8; 2];
        match tokio::time::timeout(idle, stream.read_exact(&mut len)).await {
            Ok(Ok(_)) => {}
            _ => return Ok(()),
        }
        let n = usize::from(u16::from_be_bytes(len));
        // A frame shorter than a header cannot be a request; the peer is confused.
        if n < 12 {
            return Ok(());
        }
        match tokio::time::timeout(idle, stream.read_exact(&mut buf[..n])).await {
            Ok(Ok(_)) => {}
            _ => return Ok(()),
        }
        let started = Instant::now();
        let snapshot = shared.current();
        let messages = match answer(&snapshot, &buf[..n], Transport::Tcp, Vec::new()) {
            Outcome::Reply(reply) => {
                counted(counters, &buf[..n], &reply, started);
                vec![reply]
            }
            Outcome::Transfer(zone, _) if allowed.contains(&peer.ip()) => {
                transfer_messages(&zone, &buf[..n])
            }
            Outcome::Transfer(..) => {
                tracing::info!(%peer, "zone transfer refused: not a configured secondary");
                vec![refused(&buf[..n])]
            }
            Outcome::Drop => {
                counters.malformed();
                return Ok(());
            }
        };
        for m in messages {
            let len = u16::try_from(m.len()).unwrap_or(u16::MAX);
            stream.write_all(&len.to_be_bytes()).await?;
            stream.write_all(&m[..usize::from(len)]).await?;
        }
    }
}

/// Counts an answered query by its type and the answer's response code.
fn counted(counters: &DnsCounters, request: &[u8], reply: &[u8], started: Instant) {
    let rcode = reply.get(3).map_or(0, |flags| flags & 0x0f);
    counters.answered(question_type(request), rcode, started.elapsed());
}

/// The QTYPE of a request's first question: after the 12-byte header, the name's labels up
/// to the root (a request's question is never compressed).
fn question_type(request: &[u8]) -> Option<u16> {
    let mut at = 12;
    loop {
        let len = usize::from(*request.get(at)?);
        if len == 0 {
            break;
        }
        if len & 0xc0 != 0 {
            return None;
        }
        at += 1 + len;
    }
    Some(u16::from_be_bytes([
        *request.get(at + 1)?,
        *request.get(at + 2)?,
    ]))
}

/// REFUSED echoing the request's id and question.
fn refused(request: &[u8]) -> Vec<u8> {
    let mut r = request.to_vec();
    if r.len() >= 12 {
        r[2] = 0x80 | (r[2] & 0x79);
        r[3] = crate::dns::rcode::REFUSED;
        r[6..12].copy_from_slice(&[0; 6]);
    }
    r
}

async fn poll_loop(app: App, shared: Shared, settings: DnsSettings) {
    let mut interval = tokio::time::interval(settings.poll);
    let mut since = app.now().0;
    let mut polls: u64 = 0;
    let mut notify_id: u16 = 1;
    loop {
        interval.tick().await;
        polls += 1;
        let started = app.now().0;
        // A full reload once a minute catches time-driven changes (grace ends, holds).
        let from = if polls.is_multiple_of(60) {
            0
        } else {
            since - 2
        };
        if from == 0
            && let Err(error) = refresh_watch(&app, &shared).await
        {
            tracing::warn!(%error, "stray-traffic watch refresh failed; retrying");
        }
        match yuming_app::dns::served_zones_since(&app, from).await {
            Ok(changed) if !changed.is_empty() => {
                let mut next = (*shared.current()).clone();
                let notify = next.apply(&changed);
                app.metrics().set_dns_zones(next.len());
                shared.replace(next);
                since = started;
                if !notify.is_empty() && !settings.secondaries.is_empty() {
                    for zone in &notify {
                        notify_id = notify_id.wrapping_add(1);
                        send_notify(zone, notify_id, &settings.secondaries).await;
                    }
                }
            }
            Ok(_) => since = started,
            Err(error) => tracing::warn!(%error, "DNS snapshot refresh failed; retrying"),
        }
    }
}

async fn send_notify(zone: &str, id: u16, secondaries: &[SocketAddr]) {
    let message = notify_message(zone, id);
    for secondary in secondaries {
        let bind: SocketAddr = if secondary.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        if let Ok(socket) = tokio::net::UdpSocket::bind(bind).await {
            let _ = socket.send_to(&message, secondary).await;
            tracing::debug!(%zone, %secondary, "NOTIFY sent");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::question_type;

    #[test]
    fn the_question_type_is_read_after_the_name() {
        // id, flags, counts; "a.cn." AAAA IN
        let mut query = vec![0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0];
        query.extend_from_slice(&[1, b'a', 2, b'c', b'n', 0, 0, 28, 0, 1]);
        assert_eq!(question_type(&query), Some(28));
        assert_eq!(question_type(&query[..query.len() - 3]), None, "cut short");
        assert_eq!(question_type(&query[..12]), None, "no question");
        let mut pointer = query[..12].to_vec();
        pointer.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
        assert_eq!(question_type(&pointer), None, "compressed question");
    }
}
