//! HMAC-SHA256 request signing for API keys.
//!
//! The canonical string is five lines joined by `\n`:
//!
//! ```text
//! METHOD            upper case, e.g. POST
//! PATH?QUERY        exactly as sent, e.g. /api/v1/domains?page=2
//! TIMESTAMP         unix seconds, decimal
//! NONCE             16–64 characters of [A-Za-z0-9_-], never reused within the window
//! SHA256(BODY)      lower-case hex of the raw body bytes (of the empty string for no body)
//! ```
//!
//! The signature is the lower-case hex HMAC-SHA256 of that string keyed with the API secret.
//! Secrets are 64 random bytes rendered longer than HMAC-SHA256's 64-byte block, so RFC 2104
//! reduces the key to SHA-256(secret) before use: the server stores only that digest (see
//! [`signing_key_from_secret`]) and still verifies signatures made with the plain secret.

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use crate::clock::Timestamp;

/// How far a request's timestamp may be from the server's clock, either way.
pub const REPLAY_WINDOW_SECS: i64 = 300;

/// The parts of a request that are signed.
#[derive(Debug, Clone, Copy)]
pub struct SignedParts<'a> {
    /// HTTP method.
    pub method: &'a str,
    /// Path and query string as sent.
    pub path_and_query: &'a str,
    /// The `X-Yuming-Timestamp` header.
    pub timestamp: &'a str,
    /// The `X-Yuming-Nonce` header.
    pub nonce: &'a str,
    /// The raw request body.
    pub body: &'a [u8],
}

/// Why a signed request was refused. Each maps to a 401 API error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SigningError {
    /// `INVALID_TIMESTAMP`: not a decimal unix time.
    #[error("timestamp is not a unix time in seconds")]
    MalformedTimestamp,
    /// `TIMESTAMP_OUT_OF_WINDOW`: more than five minutes from the server clock.
    #[error("timestamp is more than 300 seconds from the server clock")]
    TimestampOutOfWindow,
    /// `INVALID_NONCE`: wrong length or characters.
    #[error("nonce must be 16 to 64 characters of A-Z, a-z, 0-9, '_' or '-'")]
    MalformedNonce,
    /// `INVALID_SIGNATURE`: not hex, or does not match.
    #[error("signature does not match the request")]
    BadSignature,
}

/// The canonical string that is signed.
pub fn canonical_string(parts: &SignedParts<'_>) -> String {
    format!(
        "{}\n{}\n{}\n{}\n{}",
        parts.method.to_ascii_uppercase(),
        parts.path_and_query,
        parts.timestamp,
        parts.nonce,
        hex::encode(Sha256::digest(parts.body))
    )
}

/// The digest the server keeps for a secret; HMAC with it equals HMAC with the secret
/// whenever the secret is longer than 64 bytes.
pub fn signing_key_from_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Signs `parts` with `key` (a client passes its secret, the server the stored digest).
pub fn sign(key: &[u8], parts: &SignedParts<'_>) -> String {
    let mut mac = new_mac(key);
    mac.update(canonical_string(parts).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Checks timestamp window, nonce form and signature (in constant time) and returns the
/// request's timestamp.
pub fn verify(
    key: &[u8],
    parts: &SignedParts<'_>,
    signature_hex: &str,
    now: Timestamp,
) -> Result<Timestamp, SigningError> {
    let timestamp = check_timestamp(parts.timestamp, now)?;
    check_nonce(parts.nonce)?;
    let signature = hex::decode(signature_hex.trim()).map_err(|_| SigningError::BadSignature)?;
    let mut mac = new_mac(key);
    mac.update(canonical_string(parts).as_bytes());
    mac.verify_slice(&signature)
        .map_err(|_| SigningError::BadSignature)?;
    Ok(timestamp)
}

fn new_mac(key: &[u8]) -> Hmac<Sha256> {
    // HMAC accepts keys of any length, so this cannot fail.
    match <Hmac<Sha256> as KeyInit>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    }
}

/// Parses the timestamp header and checks it is within the replay window of `now`.
pub fn check_timestamp(raw: &str, now: Timestamp) -> Result<Timestamp, SigningError> {
    if raw.is_empty() || raw.len() > 12 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SigningError::MalformedTimestamp);
    }
    let secs: i64 = raw.parse().map_err(|_| SigningError::MalformedTimestamp)?;
    if (secs - now.0).abs() > REPLAY_WINDOW_SECS {
        return Err(SigningError::TimestampOutOfWindow);
    }
    Ok(Timestamp(secs))
}

/// Checks the nonce's form.
pub fn check_nonce(nonce: &str) -> Result<(), SigningError> {
    let ok = (16..=64).contains(&nonce.len())
        && nonce
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(SigningError::MalformedNonce)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str =
        "ysk_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-abcdef";

    fn parts(body: &[u8]) -> SignedParts<'_> {
        SignedParts {
            method: "post",
            path_and_query: "/api/v1/api-keys?x=1",
            timestamp: "1700000000",
            nonce: "nonce-0123456789",
            body,
        }
    }

    #[test]
    fn canonical_string_has_five_lines() {
        assert_eq!(
            canonical_string(&parts(b"")),
            "POST\n/api/v1/api-keys?x=1\n1700000000\nnonce-0123456789\n\
             e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn stored_digest_verifies_signatures_made_with_the_secret() {
        assert!(SECRET.len() > 64);
        let signature = sign(SECRET.as_bytes(), &parts(b"{}"));
        let key = signing_key_from_secret(SECRET);
        assert_eq!(
            verify(&key, &parts(b"{}"), &signature, Timestamp(1_700_000_100)),
            Ok(Timestamp(1_700_000_000))
        );
    }

    #[test]
    fn tampering_is_rejected() {
        let key = signing_key_from_secret(SECRET);
        let signature = sign(&key, &parts(b"{}"));
        let now = Timestamp(1_700_000_000);
        assert_eq!(
            verify(&key, &parts(b"{ }"), &signature, now),
            Err(SigningError::BadSignature)
        );
        assert_eq!(
            verify(&key, &parts(b"{}"), "zz", now),
            Err(SigningError::BadSignature)
        );
        let mut other_path = parts(b"{}");
        other_path.path_and_query = "/api/v1/api-keys?x=2";
        assert_eq!(
            verify(&key, &other_path, &signature, now),
            Err(SigningError::BadSignature)
        );
    }

    #[test]
    fn window_and_nonce_rules() {
        let now = Timestamp(1_700_000_000);
        assert_eq!(
            check_timestamp("1700000300", now),
            Ok(Timestamp(1_700_000_300))
        );
        assert_eq!(
            check_timestamp("1700000301", now),
            Err(SigningError::TimestampOutOfWindow)
        );
        assert_eq!(
            check_timestamp("1699999699", now),
            Err(SigningError::TimestampOutOfWindow)
        );
        for bad in ["", "-1", "1.5", "abc", "99999999999999999999"] {
            assert_eq!(
                check_timestamp(bad, now),
                Err(SigningError::MalformedTimestamp),
                "{bad}"
            );
        }
        assert_eq!(check_nonce("short"), Err(SigningError::MalformedNonce));
        assert_eq!(
            check_nonce("has space in it!!"),
            Err(SigningError::MalformedNonce)
        );
        assert_eq!(
            check_nonce(&"n".repeat(65)),
            Err(SigningError::MalformedNonce)
        );
        assert_eq!(check_nonce("abcdefghijklmnop"), Ok(()));
    }
}
