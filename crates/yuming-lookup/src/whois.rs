//! WHOIS text in the common registrar format (ICANN 2013 RAA Registration Data Directory
//! Services specification), with personal data redacted.

use std::fmt::Write as _;

use yuming_app::registrar::domains::LookupView;
use yuming_core::clock::Timestamp;

use crate::{ICANN_EPP_STATUS_URL, ICANN_INACCURACY_FORM, LookupSettings, REDACTED};

/// Longest accepted query line, in bytes, without the line end. Domain names are at most 253
/// characters in A-label form; Unicode input can be longer in bytes, so leave room.
pub const MAX_QUERY_BYTES: usize = 1024;

/// Why a query line was refused; each has one error line for the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueryError {
    /// Nothing but white space.
    Empty,
    /// Longer than [`MAX_QUERY_BYTES`].
    TooLong,
    /// Not UTF-8, or control characters inside.
    NotText,
}

impl QueryError {
    /// The line sent to the client (ends with CRLF).
    pub fn line(self) -> &'static str {
        match self {
            QueryError::Empty => "Error: empty query; send a domain name followed by CRLF.\r\n",
            QueryError::TooLong => "Error: query too long.\r\n",
            QueryError::NotText => {
                "Error: the query is not a text line (UTF-8 without control characters).\r\n"
            }
        }
    }
}

/// Parses one query line (without or with its CRLF/LF). Accepts an optional leading
/// `domain ` keyword, as some clients send it.
pub fn parse_query(line: &[u8]) -> Result<String, QueryError> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() > MAX_QUERY_BYTES {
        return Err(QueryError::TooLong);
    }
    let text = std::str::from_utf8(line).map_err(|_| QueryError::NotText)?;
    if text.chars().any(char::is_control) {
        return Err(QueryError::NotText);
    }
    let text = text.trim();
    let text = match text.split_once(char::is_whitespace) {
        Some((keyword, rest)) if keyword.eq_ignore_ascii_case("domain") => rest.trim(),
        _ => text,
    };
    if text.is_empty() {
        return Err(QueryError::Empty);
    }
    Ok(text.to_owned())
}

fn date(t: Timestamp) -> String {
    t.to_rfc3339()
}

/// Footer shared by every answer: the database update time and the terms.
fn footer(out: &mut String, settings: &LookupSettings, now: Timestamp) {
    let _ = write!(
        out,
        "URL of the ICANN Whois Inaccuracy Complaint Form: {ICANN_INACCURACY_FORM}\r\n\
         >>> Last update of WHOIS database: {} <<<\r\n\
         \r\n\
         For more information on Whois status codes, please visit https://icann.org/epp\r\n\
         \r\n\
         Terms of use: the data above is provided for lookups of domain registration records \
         only; see {}. Personal data is redacted; to contact the registrant, write to the \
         registrar.\r\n",
        date(now),
        settings.terms_url,
    );
}

/// The "No match" answer for a name that is not registered.
pub fn render_no_match(query: &str, settings: &LookupSettings, now: Timestamp) -> String {
    let mut out = format!("No match for \"{}\".\r\n", printable(query));
    footer(&mut out, settings, now);
    out
}

/// The answer for a query that is not a valid domain name.
pub fn render_invalid(query: &str) -> String {
    format!(
        "Error: \"{}\" is not a valid domain name.\r\n",
        printable(query)
    )
}

/// Echoes client input without anything that could break the line structure.
fn printable(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(MAX_QUERY_BYTES)
        .collect()
}

/// Registration record of one domain. Registrant organisation (legal persons only),
/// province and country are shown; every other registrant field says [`REDACTED`].
pub fn render_record(view: &LookupView, settings: &LookupSettings, now: Timestamp) -> String {
    let domain = &view.domain;
    let mut out = String::with_capacity(2048);
    let mut line = |key: &str, value: &str| {
        let _ = write!(out, "{key}: {value}\r\n");
    };
    line("Domain Name", &domain.ascii.to_ascii_uppercase());
    if domain.name != domain.ascii {
        line("Internationalized Domain Name", &domain.name);
    }
    line("Registry Domain ID", &view.id);
    line("Registrar WHOIS Server", &settings.whois_server);
    line("Registrar URL", &settings.registrar_url);
    line("Updated Date", &date(view.updated_at));
    line("Creation Date", &date(domain.created_at));
    line("Registry Expiry Date", &date(domain.expires_at));
    line("Registrar", &settings.registrar_name);
    line("Registrar Abuse Contact Email", &settings.abuse_email);
    line("Registrar Abuse Contact Phone", &settings.abuse_phone);
    for status in domain.statuses.iter().chain(&domain.grace_periods) {
        line(
            "Domain Status",
            &format!("{status} {ICANN_EPP_STATUS_URL}#{status}"),
        );
    }
    let registrant = view.registrant.as_ref();
    let disclosed = registrant.and_then(|r| r.disclosed.as_ref());
    line("Registry Registrant ID", REDACTED);
    line(
        "Registrant Name",
        disclosed.map_or(REDACTED, |d| d.name.as_str()),
    );
    line(
        "Registrant Organization",
        registrant
            .and_then(|r| r.organization.as_deref())
            .unwrap_or(REDACTED),
    );
    line("Registrant Street", REDACTED);
    line("Registrant City", REDACTED);
    line(
        "Registrant State/Province",
        registrant.map_or(REDACTED, |r| r.province.as_str()),
    );
    line("Registrant Postal Code", REDACTED);
    line(
        "Registrant Country",
        registrant.map_or(REDACTED, |r| r.country.as_str()),
    );
    line(
        "Registrant Phone",
        disclosed.map_or(REDACTED, |d| d.phone.as_str()),
    );
    line(
        "Registrant Email",
        disclosed.map_or(REDACTED, |d| d.email.as_str()),
    );
    for ns in &domain.nameservers {
        line("Name Server", &ns.to_ascii_uppercase());
    }
    line("DNSSEC", "unsigned");
    footer(&mut out, settings, now);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_lines() {
        assert_eq!(parse_query(b"example.com\r\n"), Ok("example.com".into()));
        assert_eq!(parse_query(b"example.com\n"), Ok("example.com".into()));
        assert_eq!(parse_query(b"  example.com  "), Ok("example.com".into()));
        assert_eq!(
            parse_query(b"domain example.com\r\n"),
            Ok("example.com".into())
        );
        assert_eq!(
            parse_query("例子.中国\r\n".as_bytes()),
            Ok("例子.中国".into())
        );
        assert_eq!(parse_query(b"\r\n"), Err(QueryError::Empty));
        assert_eq!(parse_query(b""), Err(QueryError::Empty));
        assert_eq!(
            parse_query(b"domain "),
            Ok("domain".into()),
            "a bare keyword is a name"
        );
        assert_eq!(parse_query(&[b'a'; 10_000]), Err(QueryError::TooLong));
        assert_eq!(parse_query(b"\xff\xfe\x00junk"), Err(QueryError::NotText));
        assert_eq!(parse_query(b"a\x00b.com"), Err(QueryError::NotText));
        assert_eq!(parse_query(b"a\rb.com\r\n"), Err(QueryError::NotText));
    }

    #[test]
    fn no_match_line_echoes_safely() {
        let text = render_no_match(
            "nothere.com",
            &LookupSettings::default(),
            Timestamp(1_767_225_600),
        );
        assert!(
            text.starts_with("No match for \"nothere.com\".\r\n"),
            "{text}"
        );
        assert!(text.contains(">>> Last update of WHOIS database: 2026-01-01T00:00:00Z <<<"));
    }
}
