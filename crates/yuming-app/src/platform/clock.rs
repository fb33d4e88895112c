//! Clock adapters: the system clock (optionally shifted for simulation) and a settable fake.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use yuming_core::clock::{Clock, Timestamp};

/// The system clock, shifted by `YUMING_CLOCK_OFFSET_SECS` in simulation and staging.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock {
    offset_secs: i64,
}

impl SystemClock {
    /// A system clock shifted by `offset_secs`.
    pub fn with_offset(offset_secs: i64) -> Self {
        SystemClock { offset_secs }
    }
}

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Timestamp(secs.saturating_add(self.offset_secs))
    }
}

/// A clock that tests set and advance explicitly, shared by every clone.
#[derive(Debug, Clone)]
pub struct FakeClock {
    now: Arc<AtomicI64>,
}

impl FakeClock {
    /// A fake clock showing `start`.
    pub fn at(start: Timestamp) -> Self {
        FakeClock {
            now: Arc::new(AtomicI64::new(start.0)),
        }
    }

    /// Moves the clock forward by `secs`.
    pub fn advance_secs(&self, secs: i64) {
        self.now.fetch_add(secs, Ordering::SeqCst);
    }

    /// Moves the clock forward by `days`.
    pub fn advance_days(&self, days: i64) {
        self.advance_secs(days * 86_400);
    }

    /// Sets the clock.
    pub fn set(&self, to: Timestamp) {
        self.now.store(to.0, Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.now.load(Ordering::SeqCst))
    }
}

impl SystemClock {
    /// Now, without an offset (for benchmark clients that sign requests).
    pub fn default_now() -> Timestamp {
        SystemClock::default().now()
    }
}
