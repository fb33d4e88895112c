//! SHA256withRSA (RSASSA-PKCS1-v1_5 with SHA-256), the signature of Alipay's RSA2 and of
//! WeChat Pay API v3, done with `ring`: the merchant's private key signs requests, the
//! gateway's public key (or platform certificate) verifies notifies and answers.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ring::rand::SystemRandom;
use ring::signature::{self, RsaKeyPair, UnparsedPublicKey};
use yuming_core::payments::{der_of_pem_or_base64, rsa_public_key_of_spki, spki_of_certificate};

/// A merchant private key.
pub struct RsaSigner {
    key: RsaKeyPair,
}

impl fmt::Debug for RsaSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RsaSigner(<private key>)")
    }
}

impl RsaSigner {
    /// Reads a private key given as PEM or bare base64, PKCS#8 or PKCS#1 (both forms the
    /// gateways' key tools write).
    pub fn from_text(text: &str) -> Result<RsaSigner, String> {
        let der = der_of_pem_or_base64(text).map_err(|e| e.to_string())?;
        let key = RsaKeyPair::from_pkcs8(&der)
            .or_else(|_| RsaKeyPair::from_der(&der))
            .map_err(|e| format!("not an RSA private key: {e}"))?;
        Ok(RsaSigner { key })
    }

    /// The base64 signature of `message`.
    pub fn sign_base64(&self, message: &[u8]) -> String {
        let mut signature = vec![0; self.key.public().modulus_len()];
        // Signing with a key that parsed cannot fail except on a broken random source.
        match self.key.sign(
            &signature::RSA_PKCS1_SHA256,
            &SystemRandom::new(),
            message,
            &mut signature,
        ) {
            Ok(()) => STANDARD.encode(signature),
            Err(_) => String::new(),
        }
    }
}

/// A gateway public key.
#[derive(Clone)]
pub struct RsaVerifier {
    public_key: Vec<u8>,
}

impl fmt::Debug for RsaVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RsaVerifier({} bytes)", self.public_key.len())
    }
}

impl RsaVerifier {
    /// Reads a public key given as PEM or bare base64 (SubjectPublicKeyInfo or PKCS#1), or
    /// an X.509 certificate's key.
    pub fn from_text(text: &str) -> Result<RsaVerifier, String> {
        let der = der_of_pem_or_base64(text).map_err(|e| e.to_string())?;
        let spki = if text.contains("CERTIFICATE") {
            spki_of_certificate(&der).map_err(|e| e.to_string())?
        } else {
            &der
        };
        let public_key = rsa_public_key_of_spki(spki)
            .map_err(|e| e.to_string())?
            .to_vec();
        Ok(RsaVerifier { public_key })
    }

    /// Whether `signature_base64` is this key's signature of `message`.
    pub fn verify_base64(&self, message: &[u8], signature_base64: &str) -> bool {
        let Ok(signature) = STANDARD.decode(signature_base64.trim()) else {
            return false;
        };
        UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, &self.public_key)
            .verify(message, &signature)
            .is_ok()
    }
}
