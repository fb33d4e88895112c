//! Public lookups of registration data: WHOIS (RFC 3912) and RDAP (RFC 7480, 9082, 9083,
//! with the ICANN gTLD RDAP profile where it applies).
//!
//! Rendering is pure: [`whois`] turns a [`yuming_app::registrar::domains::LookupView`] into the common
//! registrar text format and [`rdap`] into RDAP JSON; neither touches the database. The
//! WHOIS TCP listener lives in [`server`]; the RDAP routes are mounted by `yuming-http`.
//! Both are rate limited per source IP by the in-memory [`limiter::RateLimiter`]. Every TCP
//! listener of the process (HTTP too) caps its open connections per listener and per source
//! and backs off when `accept` fails, through [`listener`].

pub mod dns;
pub mod dns_server;
pub mod limiter;
pub mod listener;
pub mod rdap;
pub mod server;
pub mod whois;

/// What the lookups say about the registrar itself: the `[lookup]` section of the
/// configuration, one type so that its defaults live in one place.
pub use yuming_config::LookupConfig as LookupSettings;

/// The text shown in place of personal data.
pub const REDACTED: &str = "REDACTED FOR PRIVACY";

/// ICANN's Whois Inaccuracy Complaint Form, required in registrar output.
pub const ICANN_INACCURACY_FORM: &str = "https://icann.org/wicf/";

/// ICANN's page explaining EPP status codes.
pub const ICANN_EPP_STATUS_URL: &str = "https://icann.org/epp";
