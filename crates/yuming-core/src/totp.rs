//! Time-based one-time passwords (RFC 6238, HMAC-SHA1, 6 digits, 30-second steps) and the
//! RFC 4648 base32 alphabet authenticator apps use for secrets.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

use crate::clock::Timestamp;

/// Seconds per TOTP step.
pub const STEP_SECS: i64 = 30;
const DIGITS: u32 = 6;
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// The code for a given step counter (RFC 4226 HOTP with dynamic truncation).
pub fn hotp(secret: &[u8], counter: u64) -> u32 {
    let Ok(mut mac) = <Hmac<Sha1> as KeyInit>::new_from_slice(secret) else {
        unreachable!("HMAC accepts keys of every length")
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let binary = (u32::from(digest[offset]) & 0x7f) << 24
        | u32::from(digest[offset + 1]) << 16
        | u32::from(digest[offset + 2]) << 8
        | u32::from(digest[offset + 3]);
    binary % 10_u32.pow(DIGITS)
}

/// The six-digit code at `now`, zero-padded.
pub fn code_at(secret: &[u8], now: Timestamp) -> String {
    format!("{:06}", hotp(secret, step(now)))
}

fn step(now: Timestamp) -> u64 {
    u64::try_from(now.0.max(0) / STEP_SECS).unwrap_or(0)
}

/// Checks a user-entered code, allowing one step of clock drift either way. Returns the
/// matching step so callers can refuse reuse of the same code.
pub fn verify(secret: &[u8], code: &str, now: Timestamp) -> Option<u64> {
    let code = code.trim();
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step(now);
    // Every window is computed and compared in constant time, so that neither the comparison
    // nor which window matched shows in the time taken.
    let mut matched = None;
    for s in [current.saturating_sub(1), current, current + 1] {
        let expected = format!("{:06}", hotp(secret, s));
        let equal = bool::from(expected.as_bytes().ct_eq(code.as_bytes()));
        matched = matched.or(equal.then_some(s));
    }
    matched
}

/// Encodes bytes as unpadded base32.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u64 = 0;
    let mut bits = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u64::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(BASE32[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(BASE32[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// Decodes base32, ignoring case, spaces and padding; `None` on other characters.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buffer: u64 = 0;
    let mut bits = 0;
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let c = c.to_ascii_uppercase();
        let value = BASE32.iter().position(|&b| char::from(b) == c)? as u64;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((buffer >> bits) & 0xff) as u8);
        }
    }
    Some(out)
}

/// The `otpauth://` URL authenticator apps scan.
pub fn otpauth_url(issuer: &str, account: &str, secret: &[u8]) -> String {
    fn escape(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                    char::from(b).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    }
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period=30",
        escape(issuer),
        escape(account),
        base32_encode(secret),
        escape(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B, SHA-1 key "12345678901234567890" (8-digit codes there; we keep
    // the last six digits).
    #[test]
    fn rfc6238_vectors() {
        let secret = b"12345678901234567890";
        for (t, code8) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(code_at(secret, Timestamp(t)), code8[2..], "t={t}");
        }
    }

    #[test]
    fn verify_allows_one_step_of_drift() {
        let secret = b"12345678901234567890";
        let code = code_at(secret, Timestamp(1_000_000));
        assert!(verify(secret, &code, Timestamp(1_000_000 + 30)).is_some());
        assert!(verify(secret, &code, Timestamp(1_000_000 + 90)).is_none());
        assert!(verify(secret, "12345", Timestamp(0)).is_none());
        assert!(verify(secret, "abcdef", Timestamp(0)).is_none());
    }

    #[test]
    fn base32_round_trip() {
        assert_eq!(base32_encode(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("mzxw6ytboi======"), Some(b"foobar".to_vec()));
        assert_eq!(base32_decode("M1"), None);
        let bytes: Vec<u8> = (0..20).collect();
        assert_eq!(base32_decode(&base32_encode(&bytes)), Some(bytes));
    }
}
