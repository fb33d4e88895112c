//! What every TCP listener (HTTP, WHOIS, DNS over TCP) shares: a cap on open connections per
//! listener and per source, and a back-off when `accept` fails.
//!
//! A connection over either cap is accepted and closed at once rather than left in the
//! kernel's accept queue: a full queue would turn away every client, the well-behaved ones
//! included, while closing keeps the queue moving and only costs the flooding source.
//! Sources are counted by IPv4 address and by IPv6 /64 (a subscriber usually holds a whole
//! /64 and can pick any address in it).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};

/// Caps on the connections one listener keeps open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Open connections in all (at least 1).
    pub total: usize,
    /// Open connections from one source; 0 turns the per-source cap off (e.g. behind a
    /// reverse proxy, where every client has the proxy's address).
    pub per_source: usize,
}

/// Why a connection was turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The listener holds `total` connections.
    ListenerFull,
    /// The source holds `per_source` connections.
    SourceFull,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    by_source: HashMap<IpAddr, usize>,
}

/// Counts one listener's open connections; [`ConnectionTracker::admit`] hands out a permit
/// that gives the slot back when dropped.
#[derive(Debug)]
pub struct ConnectionTracker {
    limits: ConnectionLimits,
    counts: Mutex<Counts>,
}

/// One admitted connection; dropping it frees its slot.
#[derive(Debug)]
pub struct ConnectionPermit {
    tracker: Arc<ConnectionTracker>,
    source: IpAddr,
}

/// The unit a per-source cap counts: the IPv4 address (also when written as an IPv4-mapped
/// IPv6 address), or the IPv6 /64.
pub fn source_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

impl ConnectionTracker {
    /// A tracker enforcing `limits`.
    pub fn new(limits: ConnectionLimits) -> Arc<ConnectionTracker> {
        Arc::new(ConnectionTracker {
            limits,
            counts: Mutex::new(Counts::default()),
        })
    }

    /// Takes a slot for a connection from `ip`, or says which cap is reached.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<ConnectionPermit, Refused> {
        let source = source_of(ip);
        // A poisoned lock only means a thread panicked between two plain integer updates.
        let mut counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        if counts.total >= self.limits.total.max(1) {
            return Err(Refused::ListenerFull);
        }
        let from_source = counts.by_source.get(&source).copied().unwrap_or(0);
        if self.limits.per_source > 0 && from_source >= self.limits.per_source {
            return Err(Refused::SourceFull);
        }
        counts.total += 1;
        counts.by_source.insert(source, from_source + 1);
        Ok(ConnectionPermit {
            tracker: Arc::clone(self),
            source,
        })
    }

    /// Connections open now (in all, and from the source of `ip`).
    pub fn open(&self, ip: IpAddr) -> (usize, usize) {
        let counts = self.counts.lock().unwrap_or_else(PoisonError::into_inner);
        (
            counts.total,
            counts.by_source.get(&source_of(ip)).copied().unwrap_or(0),
        )
    }
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        let mut counts = self
            .tracker
            .counts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        counts.total = counts.total.saturating_sub(1);
        if let Some(n) = counts.by_source.get_mut(&self.source) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.by_source.remove(&self.source);
            }
        }
    }
}

/// First pause after a failed `accept`.
const FIRST_PAUSE: Duration = Duration::from_millis(10);
/// Longest pause between two `accept` attempts while they keep failing.
const LONGEST_PAUSE: Duration = Duration::from_secs(1);

/// How long to wait after a failed `accept`: nothing for an error that concerns only the
/// connection being accepted (it was reset before we took it), otherwise a pause that
/// doubles from 10 ms up to 1 s while the errors go on. Out of file descriptors (`EMFILE`,
/// `ENFILE`) or memory, retrying at once fails again at once: that is the busy loop this
/// prevents.
#[derive(Debug, Default)]
pub struct AcceptBackoff {
    failures: u32,
}

impl AcceptBackoff {
    /// The pause before the next attempt, after `error`; `None` means try again now.
    pub fn failed(&mut self, error: &std::io::Error) -> Option<Duration> {
        use std::io::ErrorKind;
        if matches!(
            error.kind(),
            ErrorKind::ConnectionAborted | ErrorKind::ConnectionReset | ErrorKind::Interrupted
        ) {
            return None;
        }
        self.failures = self.failures.saturating_add(1);
        let doublings = (self.failures - 1).min(16);
        Some(
            FIRST_PAUSE
                .saturating_mul(1 << doublings)
                .min(LONGEST_PAUSE),
        )
    }

    /// Whether this failure is the first of a run (the one worth logging).
    pub fn first_failure(&self) -> bool {
        self.failures == 1
    }

    /// An `accept` succeeded: returns how many failed in a row before it.
    pub fn succeeded(&mut self) -> u32 {
        std::mem::take(&mut self.failures)
    }
}

/// Accepts the next connection, pausing per `backoff` while `accept` fails. A run of
/// failures is logged once when it starts and once when it ends, not per attempt.
pub async fn accept(
    listener: &TcpListener,
    backoff: &mut AcceptBackoff,
    what: &'static str,
) -> (TcpStream, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok(accepted) => {
                let failures = backoff.succeeded();
                if failures > 0 {
                    tracing::warn!(listener = what, failures, "accept works again");
                }
                return accepted;
            }
            Err(error) => {
                let Some(pause) = backoff.failed(&error) else {
                    continue;
                };
                if backoff.first_failure() {
                    tracing::error!(
                        listener = what,
                        %error,
                        "accept failed (out of file descriptors?); backing off until it works"
                    );
                }
                tokio::time::sleep(pause).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Error, ErrorKind};

    #[test]
    fn caps_per_listener_and_per_source() {
        let tracker = ConnectionTracker::new(ConnectionLimits {
            total: 4,
            per_source: 2,
        });
        let a: IpAddr = [127, 0, 0, 1].into();
        let b: IpAddr = [127, 0, 0, 2].into();
        let c: IpAddr = [127, 0, 0, 3].into();
        let a1 = tracker.admit(a).expect("first from a");
        let a2 = tracker.admit(a).expect("second from a");
        assert_eq!(tracker.admit(a).err(), Some(Refused::SourceFull));
        let mapped: IpAddr = "::ffff:127.0.0.1".parse().expect("ip");
        assert_eq!(
            tracker.admit(mapped).err(),
            Some(Refused::SourceFull),
            "the mapped form is the same source"
        );
        let _b1 = tracker.admit(b).expect("another source still gets in");
        let _b2 = tracker.admit(b).expect("up to its own cap");
        assert_eq!(tracker.admit(c).err(), Some(Refused::ListenerFull));
        assert_eq!(tracker.open(a), (4, 2));
        drop(a1);
        assert_eq!(tracker.open(a), (3, 1));
        let _c1 = tracker.admit(c).expect("a freed slot is reusable");
        drop(a2);
        assert_eq!(tracker.open(a), (3, 0));
        let remembered = tracker
            .counts
            .lock()
            .expect("lock")
            .by_source
            .contains_key(&a);
        assert!(!remembered, "sources without connections are forgotten");
    }

    #[test]
    fn ipv6_sources_are_counted_per_64() {
        let tracker = ConnectionTracker::new(ConnectionLimits {
            total: 10,
            per_source: 1,
        });
        let one: IpAddr = "2001:db8:1:2::1".parse().expect("ip");
        let same_64: IpAddr = "2001:db8:1:2:ffff::9".parse().expect("ip");
        let other_64: IpAddr = "2001:db8:1:3::1".parse().expect("ip");
        let _p = tracker.admit(one).expect("first");
        assert_eq!(tracker.admit(same_64).err(), Some(Refused::SourceFull));
        assert!(tracker.admit(other_64).is_ok());
    }

    #[test]
    fn zero_per_source_means_only_the_total_counts() {
        let tracker = ConnectionTracker::new(ConnectionLimits {
            total: 3,
            per_source: 0,
        });
        let a: IpAddr = [10, 0, 0, 1].into();
        let held: Vec<_> = (0..3)
            .map(|_| tracker.admit(a).expect("admitted"))
            .collect();
        assert_eq!(tracker.admit(a).err(), Some(Refused::ListenerFull));
        drop(held);
        assert_eq!(tracker.open(a), (0, 0));
    }

    #[test]
    fn accept_errors_back_off_exponentially_and_reset() {
        let mut backoff = AcceptBackoff::default();
        let emfile = Error::from_raw_os_error(24); // EMFILE
        let enfile = Error::from_raw_os_error(23); // ENFILE
        let pauses: Vec<Duration> = (0..10)
            .map(|i| {
                let e = if i % 2 == 0 { &emfile } else { &enfile };
                backoff.failed(e).expect("a pause, never a busy retry")
            })
            .collect();
        assert_eq!(pauses[0], Duration::from_millis(10));
        assert_eq!(pauses[1], Duration::from_millis(20));
        assert_eq!(pauses[2], Duration::from_millis(40));
        assert!(pauses.windows(2).all(|w| w[0] <= w[1]), "{pauses:?}");
        assert_eq!(pauses[9], Duration::from_secs(1), "capped at one second");
        assert!(!backoff.first_failure(), "only the first failure is logged");
        // Thousands of failures in a row neither overflow nor exceed the cap.
        for _ in 0..10_000 {
            assert_eq!(backoff.failed(&emfile), Some(Duration::from_secs(1)));
        }
        assert_eq!(backoff.succeeded(), 10_010);
        assert_eq!(backoff.failed(&emfile), Some(Duration::from_millis(10)));
        assert!(backoff.first_failure(), "a new run is logged again");
    }

    #[test]
    fn errors_of_one_connection_do_not_pause_the_listener() {
        let mut backoff = AcceptBackoff::default();
        for kind in [
            ErrorKind::ConnectionAborted,
            ErrorKind::ConnectionReset,
            ErrorKind::Interrupted,
        ] {
            assert_eq!(backoff.failed(&Error::from(kind)), None, "{kind:?}");
        }
        assert_eq!(backoff.succeeded(), 0);
        // Anything unknown backs off rather than spinning.
        assert!(backoff.failed(&Error::other("strange")).is_some());
    }
}
