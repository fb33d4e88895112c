//! Per-source-IP token buckets, in memory.
//!
//! Each instance keeps its own buckets: a client spread over N instances gets N times the
//! rate. That is acceptable for lookups (the limit protects the service from scrapers, it is
//! not a quota) and keeps a database write off every WHOIS query.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Most buckets kept; past this, full (idle) buckets are dropped first, so a flood of
/// source addresses cannot grow memory without bound.
const MAX_BUCKETS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// A token bucket per source IP: `per_minute` tokens refill evenly over a minute, and a
/// client may burst up to `per_minute` requests.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl RateLimiter {
    /// A limiter allowing `per_minute` requests per minute per IP; 0 turns limiting off.
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `ip` at `now`; `Err(seconds)` says how long until one is back.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_sec = capacity / 60.0;
        // A poisoned lock only means another thread panicked mid-update; the map is still
        // a valid map of buckets.
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(&ip) {
            buckets.retain(|_, b| {
                b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * per_sec < capacity
            });
            if buckets.len() >= MAX_BUCKETS {
                buckets.clear();
            }
        }
        let bucket = buckets.entry(ip).or_insert(Bucket {
            tokens: capacity,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_sec).min(capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            let wait = ((1.0 - bucket.tokens) / per_sec).ceil();
            // The wait is at most 60 / per_minute seconds, far inside u64.
            Err(if wait.is_finite() && wait > 0.0 {
                wait as u64
            } else {
                1
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn bursts_then_refills() {
        let limiter = RateLimiter::new(25);
        let ip: IpAddr = [192, 0, 2, 1].into();
        let other: IpAddr = [192, 0, 2, 2].into();
        let t0 = Instant::now();
        for _ in 0..25 {
            assert!(limiter.check(ip, t0).is_ok());
        }
        let wait = limiter.check(ip, t0).expect_err("26th is refused");
        assert_eq!(wait, 3, "one token every 2.4 s");
        assert!(limiter.check(other, t0).is_ok(), "buckets are per IP");
        assert!(limiter.check(ip, t0 + Duration::from_secs(3)).is_ok());
        assert!(limiter.check(ip, t0 + Duration::from_secs(3)).is_err());
    }

    #[test]
    fn zero_is_off() {
        let limiter = RateLimiter::new(0);
        let t0 = Instant::now();
        for _ in 0..1000 {
            assert!(limiter.check([127, 0, 0, 1].into(), t0).is_ok());
        }
    }
}
