//! Time as an input: the `Clock` port and the `Timestamp` value type.

use std::fmt;

/// Seconds since the Unix epoch, UTC. Every stored time in Yuming has this form so that
/// SQLite and PostgreSQL hold identical values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(pub i64);

impl Timestamp {
    /// The timestamp `secs` seconds later (or earlier when negative), saturating.
    pub fn plus_secs(self, secs: i64) -> Timestamp {
        Timestamp(self.0.saturating_add(secs))
    }

    /// The timestamp `days` days later.
    pub fn plus_days(self, days: i64) -> Timestamp {
        self.plus_secs(days.saturating_mul(86_400))
    }

    /// RFC 3339 form, e.g. `2026-11-23T18:40:00Z`.
    pub fn to_rfc3339(self) -> String {
        match time::OffsetDateTime::from_unix_timestamp(self.0) {
            Ok(t) => t
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_else(|_| self.0.to_string()),
            Err(_) => self.0.to_string(),
        }
    }

    /// The calendar date (UTC) of this timestamp.
    pub fn date(self) -> time::Date {
        time::OffsetDateTime::from_unix_timestamp(self.0)
            .map(|t| t.date())
            .unwrap_or(time::Date::MIN)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

/// The one source of "now" for every component (API, scheduler, checks).
///
/// Implementations live in adapters: a system clock with an optional offset for
/// simulation, and a settable fake clock for tests.
pub trait Clock: Send + Sync + 'static {
    /// The current time.
    fn now(&self) -> Timestamp;
}
