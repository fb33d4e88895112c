//! Public lookups of registration data: WHOIS (RFC 3912) and RDAP (RFC 7480, 9082, 9083,
//! with the ICANN gTLD RDAP profile where it applies).
//!
//! Rendering is pure: [`whois`] turns a [`yuming_app::domains::LookupView`] into the common
//! registrar text format and [`rdap`] into RDAP JSON; neither touches the database. The
//! WHOIS TCP listener lives in [`server`]; the RDAP routes are mounted by `yuming-http`.
//! Both are rate limited per source IP by the in-memory [`limiter::RateLimiter`].

pub mod dns;
pub mod dns_server;
pub mod limiter;
pub mod rdap;
pub mod server;
pub mod whois;

/// What the lookups say about the registrar itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookupSettings {
    /// Registrar name.
    pub registrar_name: String,
    /// Registrar web site.
    pub registrar_url: String,
    /// Host name of the registrar's WHOIS server.
    pub whois_server: String,
    /// Abuse contact e-mail.
    pub abuse_email: String,
    /// Abuse contact phone, EPP form.
    pub abuse_phone: String,
    /// Public base URL of the RDAP service, without the trailing slash (e.g.
    /// `https://rdap.example.net/rdap`); used for `self` links.
    pub rdap_base_url: String,
    /// Terms of use page.
    pub terms_url: String,
}

impl Default for LookupSettings {
    fn default() -> Self {
        LookupSettings {
            registrar_name: "Yuming".into(),
            registrar_url: "https://yuming.example".into(),
            whois_server: "whois.yuming.example".into(),
            abuse_email: "abuse@yuming.example".into(),
            abuse_phone: "+86.1000000000".into(),
            rdap_base_url: "https://yuming.example/rdap".into(),
            terms_url: "https://yuming.example/legal/whois-terms".into(),
        }
    }
}

/// The text shown in place of personal data.
pub const REDACTED: &str = "REDACTED FOR PRIVACY";

/// ICANN's Whois Inaccuracy Complaint Form, required in registrar output.
pub const ICANN_INACCURACY_FORM: &str = "https://icann.org/wicf/";

/// ICANN's page explaining EPP status codes.
pub const ICANN_EPP_STATUS_URL: &str = "https://icann.org/epp";
