//! Field and file encryption (AES-256-GCM under the master key, with rotation), random
//! tokens and digests.

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// Format version of sealed values: `0x01 ‖ key id (4) ‖ nonce (12) ‖ ciphertext+tag`.
const VERSION: u8 = 1;

/// Why a key or a sealed value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The master key is not base64 of exactly 32 bytes.
    #[error("master key must be base64 of 32 bytes")]
    BadKey,
    /// The value was sealed under a key this server does not have.
    #[error("sealed with an unknown key")]
    UnknownKey,
    /// The value is truncated, altered or sealed for another context.
    #[error("sealed value failed authentication")]
    Corrupt,
}

/// Encrypts and decrypts values with the current master key; older keys still decrypt.
#[derive(Clone)]
pub struct Cipher {
    current: (u32, Aes256Gcm),
    previous: Vec<(u32, Aes256Gcm)>,
    /// HMAC-SHA256(master key, "blind-index"): the root of the blind-index keys, so that
    /// the master key itself is used for nothing but encryption.
    blind_index_root: [u8; 32],
    /// The same roots of the previous master keys: indexes written before a rotation still
    /// match ([`Cipher::blind_indexes`]).
    previous_index_roots: Vec<[u8; 32]>,
}

impl std::fmt::Debug for Cipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("Cipher")
            .field("key_id", &self.current.0)
            .finish_non_exhaustive()
    }
}

fn key_bytes_from_base64(b64: &str) -> Result<Vec<u8>, CryptoError> {
    let bytes = STANDARD
        .decode(b64.trim())
        .map_err(|_| CryptoError::BadKey)?;
    if bytes.len() != 32 {
        return Err(CryptoError::BadKey);
    }
    Ok(bytes)
}

fn key_from_bytes(bytes: &[u8]) -> Result<(u32, Aes256Gcm), CryptoError> {
    let digest = Sha256::digest(bytes);
    let key_id = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    let cipher = Aes256Gcm::new_from_slice(bytes).map_err(|_| CryptoError::BadKey)?;
    Ok((key_id, cipher))
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of every length, so this cannot fail.
    let Ok(mut mac) = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(key) else {
        unreachable!("HMAC accepts keys of every length")
    };
    mac.update(message);
    mac.finalize().into_bytes().into()
}

fn index_under(root: &[u8; 32], value: &str, purpose: &str) -> String {
    let purpose_key = hmac_sha256(root, purpose.as_bytes());
    hex::encode(hmac_sha256(&purpose_key, value.as_bytes()))
}

impl Cipher {
    /// A cipher from the base64 master key and older keys kept for rotation.
    pub fn from_base64(current: &str, previous: &[String]) -> Result<Cipher, CryptoError> {
        let current_bytes = key_bytes_from_base64(current)?;
        let previous_bytes = previous
            .iter()
            .map(|k| key_bytes_from_base64(k))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Cipher {
            current: key_from_bytes(&current_bytes)?,
            previous: previous_bytes
                .iter()
                .map(|bytes| key_from_bytes(bytes))
                .collect::<Result<_, _>>()?,
            blind_index_root: hmac_sha256(&current_bytes, b"blind-index"),
            previous_index_roots: previous_bytes
                .iter()
                .map(|bytes| hmac_sha256(bytes, b"blind-index"))
                .collect(),
        })
    }

    /// A keyed blind index of `value`: lower-case hex HMAC-SHA256 under a key derived from
    /// the master key for `purpose` (e.g. `contact.id_number`). Equal values give equal
    /// indexes, so rows can be matched without decrypting them, while someone holding the
    /// database but not the key cannot test guesses (a plain hash of an 18-digit ID number
    /// is brute-forced in minutes). Distinct purposes give unrelated indexes.
    ///
    /// New indexes are written under the current master key; lookups use
    /// [`Cipher::blind_indexes`], which also match indexes written under a previous key.
    pub fn blind_index(&self, value: &str, purpose: &str) -> String {
        index_under(&self.blind_index_root, value, purpose)
    }

    /// Every index `value` may be stored under: the current master key's first, then one
    /// per previous key, so that rows indexed before a key rotation are still found.
    pub fn blind_indexes(&self, value: &str, purpose: &str) -> Vec<String> {
        std::iter::once(&self.blind_index_root)
            .chain(&self.previous_index_roots)
            .map(|root| index_under(root, value, purpose))
            .collect()
    }

    /// A fresh random master key, base64.
    pub fn generate_key_base64() -> String {
        STANDARD.encode(random_bytes::<32>())
    }

    /// Encrypts `plaintext`, binding it to `context` (e.g. `account.totp:<id>`) so that a
    /// sealed value copied to another row or column does not decrypt.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Vec<u8> {
        let nonce = Nonce::generate();
        let (key_id, cipher) = &self.current;
        let payload = Payload {
            msg: plaintext,
            aad: context.as_bytes(),
        };
        let Ok(ciphertext) = cipher.encrypt(&nonce, payload) else {
            unreachable!("AES-GCM encryption of an in-memory buffer cannot fail")
        };
        let mut out = Vec::with_capacity(1 + 4 + 12 + ciphertext.len());
        out.push(VERSION);
        out.extend_from_slice(&key_id.to_be_bytes());
        out.extend_from_slice(nonce.as_slice());
        out.extend_from_slice(&ciphertext);
        out
    }

    /// Decrypts a value sealed by [`seal`](Self::seal) with the same context.
    pub fn open(&self, sealed: &[u8], context: &str) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < 1 + 4 + 12 + 16 || sealed[0] != VERSION {
            return Err(CryptoError::Corrupt);
        }
        let key_id = u32::from_be_bytes([sealed[1], sealed[2], sealed[3], sealed[4]]);
        let cipher = std::iter::once(&self.current)
            .chain(self.previous.iter())
            .find(|(id, _)| *id == key_id)
            .map(|(_, c)| c)
            .ok_or(CryptoError::UnknownKey)?;
        let nonce = Nonce::try_from(&sealed[5..17]).map_err(|_| CryptoError::Corrupt)?;
        let payload = Payload {
            msg: &sealed[17..],
            aad: context.as_bytes(),
        };
        cipher
            .decrypt(&nonce, payload)
            .map_err(|_| CryptoError::Corrupt)
    }
}

/// `N` bytes from the operating system's CSPRNG.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0_u8; N];
    if getrandom::fill(&mut bytes).is_err() {
        // Without an entropy source no secret can be made safely; this is unrecoverable.
        panic!("the operating system's random number generator failed");
    }
    bytes
}

/// A random URL-safe token with `N` bytes of entropy.
pub fn random_token<const N: usize>() -> String {
    URL_SAFE_NO_PAD.encode(random_bytes::<N>())
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// The SHA-1 of `data` in lower-case hex: only to check a digest a third party publishes
/// (WeChat Pay's bill hash), never for anything of ours.
pub fn sha1_hex(data: &[u8]) -> String {
    hex::encode(ring::digest::digest(
        &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        data,
    ))
}

/// A new opaque, non-sequential identifier with a type prefix, e.g. `acc_…`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_round_trip_with_context() {
        let key = Cipher::generate_key_base64();
        let cipher = Cipher::from_base64(&key, &[]).expect("key");
        let sealed = cipher.seal(b"110105194912310021", "contact.id:1");
        assert_ne!(&sealed[17..], b"110105194912310021");
        assert_eq!(
            cipher.open(&sealed, "contact.id:1").as_deref(),
            Ok(&b"110105194912310021"[..])
        );
        assert_eq!(
            cipher.open(&sealed, "contact.id:2"),
            Err(CryptoError::Corrupt)
        );
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(
            cipher.open(&tampered, "contact.id:1"),
            Err(CryptoError::Corrupt)
        );
        assert_eq!(
            cipher.open(&sealed[..10], "contact.id:1"),
            Err(CryptoError::Corrupt)
        );
    }

    #[test]
    fn rotation_keeps_old_values_readable() {
        let old_key = Cipher::generate_key_base64();
        let old = Cipher::from_base64(&old_key, &[]).expect("key");
        let sealed = old.seal(b"secret", "x");
        let new = Cipher::from_base64(&Cipher::generate_key_base64(), &[old_key]).expect("key");
        assert_eq!(new.open(&sealed, "x").as_deref(), Ok(&b"secret"[..]));
        let stranger = Cipher::from_base64(&Cipher::generate_key_base64(), &[]).expect("key");
        assert_eq!(stranger.open(&sealed, "x"), Err(CryptoError::UnknownKey));
    }

    #[test]
    fn blind_indexes_are_keyed_and_separated_by_purpose() {
        let key = Cipher::generate_key_base64();
        let cipher = Cipher::from_base64(&key, &[]).expect("key");
        let index = cipher.blind_index("11010519491231002X", "contact.id_number");
        assert_eq!(index.len(), 64);
        assert!(
            index
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        // Deterministic under one key, also for a second cipher from the same key.
        let same_key = Cipher::from_base64(&key, &[]).expect("key");
        assert_eq!(
            same_key.blind_index("11010519491231002X", "contact.id_number"),
            index
        );
        assert_ne!(
            cipher.blind_index("11010519491231003X", "contact.id_number"),
            index
        );
        assert_ne!(
            cipher.blind_index("11010519491231002X", "contact.phone"),
            index
        );
        // Keyed: not a plain hash, and another master key gives another index.
        assert_ne!(sha256_hex(b"11010519491231002X"), index);
        let other = Cipher::from_base64(&Cipher::generate_key_base64(), &[]).expect("key");
        assert_ne!(
            other.blind_index("11010519491231002X", "contact.id_number"),
            index
        );
    }

    #[test]
    fn indexes_written_before_a_rotation_still_match() {
        let old_key = Cipher::generate_key_base64();
        let old = Cipher::from_base64(&old_key, &[]).expect("key");
        let written = old.blind_index("11010519491231002X", "filing.cert");
        let rotated = Cipher::from_base64(&Cipher::generate_key_base64(), &[old_key]).expect("key");
        let candidates = rotated.blind_indexes("11010519491231002X", "filing.cert");
        assert_eq!(candidates.len(), 2);
        assert_eq!(
            candidates[0],
            rotated.blind_index("11010519491231002X", "filing.cert"),
            "new indexes come from the current key"
        );
        assert!(candidates.contains(&written));
        assert_ne!(candidates[0], written);
    }

    #[test]
    fn bad_keys_are_refused() {
        assert_eq!(
            Cipher::from_base64("short", &[]).err(),
            Some(CryptoError::BadKey)
        );
        assert_eq!(
            Cipher::from_base64(&STANDARD.encode([0_u8; 16]), &[]).err(),
            Some(CryptoError::BadKey)
        );
    }
}
