//! A captcha-free proof of work for public forms: the browser finds a nonce such that
//! SHA-256 of `challenge:nonce` starts with a number of zero bits. Cheap for one report, costly
//! for a flood; the challenge itself is signed and single-use (see the abuse report use case).

use sha2::{Digest, Sha256};

/// Leading zero bits the abuse form asks for (about 65 000 hashes, a second in a browser).
pub const ABUSE_FORM_BITS: u32 = 16;

/// How many leading bits of `hash` are zero.
pub fn leading_zero_bits(hash: &[u8]) -> u32 {
    let mut bits = 0;
    for byte in hash {
        if *byte == 0 {
            bits += 8;
        } else {
            bits += byte.leading_zeros();
            break;
        }
    }
    bits
}

/// Whether `nonce` solves `challenge` at `bits`.
pub fn solves(challenge: &str, nonce: &str, bits: u32) -> bool {
    if nonce.is_empty() || nonce.len() > 32 || !nonce.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let hash = Sha256::digest(format!("{challenge}:{nonce}").as_bytes());
    leading_zero_bits(&hash) >= bits
}

/// Finds a nonce for `challenge` (what the browser does; used by tests and command-line
/// reporters).
pub fn solve(challenge: &str, bits: u32) -> String {
    (0u64..)
        .map(|n| n.to_string())
        .find(|nonce| solves(challenge, nonce, bits))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_found_nonce_solves_and_others_do_not() {
        assert_eq!(leading_zero_bits(&[0, 0, 0x0f, 0xff]), 20);
        assert_eq!(leading_zero_bits(&[0x80]), 0);
        let nonce = solve("abc.123.tag", 12);
        assert!(solves("abc.123.tag", &nonce, 12));
        assert!(!solves("abc.123.other", &nonce, 40));
        assert!(!solves("abc.123.tag", "", 0));
        assert!(!solves("abc.123.tag", "12a", 0));
    }
}
