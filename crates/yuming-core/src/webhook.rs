//! Webhook signatures: how a receiver knows a delivery came from the platform and was not
//! replayed.
//!
//! Each delivery carries `Yuming-Timestamp: <unix seconds>` and
//! `Yuming-Signature: v1=<hex>`, where `<hex>` is the lower-case hex HMAC-SHA256, keyed with
//! the endpoint's secret (the whole `whsec_…` string as shown), of `"{timestamp}.{body}"` (the
//! raw body bytes). Receivers recompute it, compare in constant time and refuse timestamps
//! outside a few minutes of their clock. During a secret rotation the header may carry several
//! `v1=` values separated by commas; any one matching is enough.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::clock::Timestamp;

/// How far a delivery's timestamp may be from the receiver's clock, either way.
pub const TOLERANCE_SECS: i64 = 300;

/// The scheme prefix of a signature value.
pub const SCHEME: &str = "v1";

/// Why a delivery does not verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WebhookSignatureError {
    /// The timestamp is not a number or outside the tolerance.
    #[error("timestamp missing, malformed or outside the tolerance")]
    Stale,
    /// No `v1=` value matches.
    #[error("no signature matches")]
    Mismatch,
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of every length.
    let mut mac = match <Hmac<Sha256> as KeyInit>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts keys of every length"),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `Yuming-Signature` header value for `body` sent at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    format!(
        "{SCHEME}={}",
        hex::encode(mac(secret, timestamp, body).finalize().into_bytes())
    )
}

/// Verifies a delivery as a receiver would: timestamp within [`TOLERANCE_SECS`] of `now`
/// and one `v1=` value of `header` matching, compared in constant time.
pub fn verify(
    secret: &str,
    timestamp: &str,
    header: &str,
    body: &[u8],
    now: Timestamp,
) -> Result<(), WebhookSignatureError> {
    let sent: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| WebhookSignatureError::Stale)?;
    if (now.0 - sent).abs() > TOLERANCE_SECS {
        return Err(WebhookSignatureError::Stale);
    }
    let matches = header
        .split(',')
        .filter_map(|part| part.trim().strip_prefix("v1="))
        .filter_map(|hex_value| hex::decode(hex_value).ok())
        .any(|given| mac(secret, sent, body).verify_slice(&given).is_ok());
    if matches {
        Ok(())
    } else {
        Err(WebhookSignatureError::Mismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_timestamp_dot_body() {
        // Independent vector: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            sign("whsec_test", 1_700_000_000, br#"{"a":1}"#),
            "v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
    }

    #[test]
    fn verifies_and_refuses_changes() {
        let body = br#"{"kind":"low_balance"}"#;
        let header = sign("whsec_k", 1_000, body);
        assert_eq!(
            verify("whsec_k", "1000", &header, body, Timestamp(1_100)),
            Ok(())
        );
        let rotating = format!("v1=00, {header}");
        assert_eq!(
            verify("whsec_k", "1000", &rotating, body, Timestamp(1_000)),
            Ok(())
        );
        assert_eq!(
            verify(
                "whsec_k",
                "1000",
                &header,
                br#"{"kind":"low_balancE"}"#,
                Timestamp(1_000)
            ),
            Err(WebhookSignatureError::Mismatch)
        );
        assert_eq!(
            verify("whsec_other", "1000", &header, body, Timestamp(1_000)),
            Err(WebhookSignatureError::Mismatch)
        );
        assert_eq!(
            verify("whsec_k", "1001", &header, body, Timestamp(1_000)),
            Err(WebhookSignatureError::Mismatch),
            "the timestamp is signed"
        );
        assert_eq!(
            verify(
                "whsec_k",
                "1000",
                &header,
                body,
                Timestamp(1_000 + TOLERANCE_SECS + 1)
            ),
            Err(WebhookSignatureError::Stale)
        );
        assert_eq!(
            verify("whsec_k", "soon", &header, body, Timestamp(1_000)),
            Err(WebhookSignatureError::Stale)
        );
    }
}
