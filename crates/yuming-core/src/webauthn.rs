//! Passkeys (W3C Web Authentication, Level 2) as a second factor: the pure half of the
//! registration (§7.1) and authentication (§7.2) ceremonies — reading the client data, the
//! authenticator data, the attestation object and the COSE public key, and checking the
//! signature. Challenges, storage and sign counters live in the application layer.
//!
//! Attestation is not verified: like most consumer sites, Yuming asks for `"none"` and trusts
//! the key on first use, so any attestation format is accepted and its statement ignored.

pub mod cbor;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ring::signature::{self, UnparsedPublicKey};
use serde::Deserialize;
use sha2::{Digest, Sha256};

/// COSE algorithm ES256 (ECDSA over P-256 with SHA-256).
pub const ES256: i64 = -7;
/// COSE algorithm EdDSA (Ed25519).
pub const EDDSA: i64 = -8;
/// COSE algorithm RS256 (RSASSA-PKCS1-v1_5 with SHA-256), which Windows Hello uses.
pub const RS256: i64 = -257;
/// The algorithms offered in `pubKeyCredParams`, in order of preference.
pub const ALGORITHMS: [i64; 3] = [ES256, EDDSA, RS256];

/// The longest credential id the spec allows.
pub const MAX_CREDENTIAL_ID: usize = 1023;

const FLAG_USER_PRESENT: u8 = 0x01;
const FLAG_USER_VERIFIED: u8 = 0x04;
const FLAG_BACKUP_ELIGIBLE: u8 = 0x08;
const FLAG_ATTESTED: u8 = 0x40;

/// Why a ceremony's response is refused. Every variant means "not this time": none reveals
/// anything an attacker could use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebauthnError {
    /// The client data is not the JSON the browser sends.
    #[error("client data is malformed")]
    ClientData,
    /// `type` is not the ceremony's (`webauthn.create` / `webauthn.get`).
    #[error("wrong ceremony type")]
    CeremonyType,
    /// The challenge is not the one issued.
    #[error("challenge does not match")]
    Challenge,
    /// The page that ran the ceremony is not this site.
    #[error("origin {0} is not this site")]
    Origin(String),
    /// The authenticator data or attestation object cannot be read.
    #[error("authenticator data is malformed")]
    AuthenticatorData,
    /// The credential was made for another relying party.
    #[error("relying party id does not match")]
    RpId,
    /// The user was not present (no touch).
    #[error("user presence missing")]
    UserPresence,
    /// A public key of an algorithm or curve not offered.
    #[error("unsupported public key")]
    UnsupportedKey,
    /// The signature does not verify.
    #[error("signature does not verify")]
    Signature,
    /// The signature counter went backwards: the authenticator may have been cloned.
    #[error("signature counter went backwards")]
    Counter,
}

/// What the server expects a ceremony to have been run for.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    /// The challenge the server issued.
    pub challenge: &'a [u8],
    /// The web origin of the console, e.g. `https://console.example.cn`.
    pub origin: &'a str,
    /// The relying party id, the console's host name.
    pub rp_id: &'a str,
}

/// The relying party a public URL stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    /// The host name (a domain, never an IP address: browsers refuse those).
    pub id: String,
    /// `scheme://host[:port]`.
    pub origin: String,
}

impl RelyingParty {
    /// From the console's public URL (`http.public_url`); `None` when its host is an IP
    /// address or the URL cannot be read, since no browser runs WebAuthn there.
    pub fn from_public_url(url: &str) -> Option<RelyingParty> {
        let (scheme, rest) = url.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return None;
        }
        let authority = rest.split(['/', '?', '#']).next()?;
        if authority.is_empty() || authority.contains('@') || authority.starts_with('[') {
            return None;
        }
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => {
                (host, Some(port))
            }
            Some(_) => return None,
            None => (authority, None),
        };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let is_ip = host.parse::<std::net::IpAddr>().is_ok();
        let is_name = !host.is_empty()
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if is_ip || !is_name {
            return None;
        }
        let default_port = if scheme == "https" { "443" } else { "80" };
        let origin = match port.filter(|p| *p != default_port) {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        };
        Some(RelyingParty { id: host, origin })
    }
}

/// A credential the registration ceremony produced, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCredential {
    /// The credential id the authenticator chose.
    pub id: Vec<u8>,
    /// The COSE_Key, exactly as the authenticator encoded it.
    pub public_key: Vec<u8>,
    /// Its COSE algorithm.
    pub algorithm: i64,
    /// The signature counter at registration.
    pub sign_count: u32,
    /// Whether the user was verified (PIN, biometrics), not just present.
    pub user_verified: bool,
    /// Whether the credential may be synced to other devices (a multi-device passkey).
    pub backup_eligible: bool,
    /// The attestation format the authenticator used.
    pub attestation_format: String,
}

/// A successful authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assertion {
    /// The new signature counter to store.
    pub sign_count: u32,
    /// Whether the user was verified.
    pub user_verified: bool,
}

/// Base64url without padding, the encoding of challenges and ids on the wire.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Reads base64url, with or without padding.
pub fn from_b64url(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

#[derive(Deserialize)]
struct ClientData {
    #[serde(rename = "type")]
    kind: String,
    challenge: String,
    origin: String,
    #[serde(default, rename = "crossOrigin")]
    cross_origin: bool,
}

fn check_client_data(
    json: &[u8],
    ceremony: &str,
    expected: &Expected<'_>,
) -> Result<(), WebauthnError> {
    let data: ClientData = serde_json::from_slice(json).map_err(|_| WebauthnError::ClientData)?;
    if data.kind != ceremony {
        return Err(WebauthnError::CeremonyType);
    }
    let challenge = from_b64url(&data.challenge).ok_or(WebauthnError::Challenge)?;
    if !bool::from(subtle::ConstantTimeEq::ct_eq(
        challenge.as_slice(),
        expected.challenge,
    )) {
        return Err(WebauthnError::Challenge);
    }
    if data.origin != expected.origin || data.cross_origin {
        return Err(WebauthnError::Origin(data.origin));
    }
    Ok(())
}

/// The fixed part of authenticator data (§6.1) and, when present, the attested credential.
struct AuthenticatorData<'a> {
    rp_id_hash: &'a [u8],
    flags: u8,
    sign_count: u32,
    attested: Option<(Vec<u8>, Vec<u8>)>,
}

fn read_authenticator_data(data: &[u8]) -> Result<AuthenticatorData<'_>, WebauthnError> {
    let bad = || WebauthnError::AuthenticatorData;
    let rp_id_hash = data.get(..32).ok_or_else(bad)?;
    let flags = *data.get(32).ok_or_else(bad)?;
    let counter: [u8; 4] = data
        .get(33..37)
        .ok_or_else(bad)?
        .try_into()
        .map_err(|_| bad())?;
    let mut attested = None;
    if flags & FLAG_ATTESTED != 0 {
        // aaguid (16) | credential id length (2) | credential id | COSE_Key | extensions
        let rest = data.get(37 + 16..).ok_or_else(bad)?;
        let length = usize::from(u16::from_be_bytes(
            rest.get(..2)
                .ok_or_else(bad)?
                .try_into()
                .map_err(|_| bad())?,
        ));
        if length == 0 || length > MAX_CREDENTIAL_ID {
            return Err(bad());
        }
        let id = rest.get(2..2 + length).ok_or_else(bad)?.to_vec();
        let key_bytes = rest.get(2 + length..).ok_or_else(bad)?;
        let (_, used) = cbor::decode_prefix(key_bytes).map_err(|_| bad())?;
        attested = Some((id, key_bytes[..used].to_vec()));
    }
    Ok(AuthenticatorData {
        rp_id_hash,
        flags,
        sign_count: u32::from_be_bytes(counter),
        attested,
    })
}

fn check_rp_and_presence(
    data: &AuthenticatorData<'_>,
    expected: &Expected<'_>,
) -> Result<(), WebauthnError> {
    if data.rp_id_hash != Sha256::digest(expected.rp_id.as_bytes()).as_slice() {
        return Err(WebauthnError::RpId);
    }
    if data.flags & FLAG_USER_PRESENT == 0 {
        return Err(WebauthnError::UserPresence);
    }
    Ok(())
}

/// A COSE public key this server can verify with.
enum PublicKey {
    Es256(Vec<u8>),
    Ed25519(Vec<u8>),
    Rs256 { n: Vec<u8>, e: Vec<u8> },
}

fn read_public_key(cose: &[u8]) -> Result<(PublicKey, i64), WebauthnError> {
    let unsupported = || WebauthnError::UnsupportedKey;
    let key = cbor::decode(cose).map_err(|_| unsupported())?;
    let int = |label: i64| key.int_key(label).and_then(cbor::Value::as_int);
    let bytes = |label: i64| key.int_key(label).and_then(cbor::Value::as_bytes);
    let (kty, alg) = (int(1), int(3).ok_or_else(unsupported)?);
    let public = match (kty, alg) {
        (Some(2), ES256) if int(-1) == Some(1) => {
            let (x, y) = (
                bytes(-2).ok_or_else(unsupported)?,
                bytes(-3).ok_or_else(unsupported)?,
            );
            if x.len() != 32 || y.len() != 32 {
                return Err(unsupported());
            }
            PublicKey::Es256([&[0x04][..], x, y].concat())
        }
        (Some(1), EDDSA) if int(-1) == Some(6) => {
            let x = bytes(-2).ok_or_else(unsupported)?;
            if x.len() != 32 {
                return Err(unsupported());
            }
            PublicKey::Ed25519(x.to_vec())
        }
        (Some(3), RS256) => PublicKey::Rs256 {
            n: bytes(-1).ok_or_else(unsupported)?.to_vec(),
            e: bytes(-2).ok_or_else(unsupported)?.to_vec(),
        },
        _ => return Err(unsupported()),
    };
    Ok((public, alg))
}

fn verify_signature(key: &PublicKey, message: &[u8], signature: &[u8]) -> bool {
    match key {
        PublicKey::Es256(point) => {
            UnparsedPublicKey::new(&signature::ECDSA_P256_SHA256_ASN1, point)
                .verify(message, signature)
                .is_ok()
        }
        PublicKey::Ed25519(x) => UnparsedPublicKey::new(&signature::ED25519, x)
            .verify(message, signature)
            .is_ok(),
        PublicKey::Rs256 { n, e } => signature::RsaPublicKeyComponents { n, e }
            .verify(&signature::RSA_PKCS1_2048_8192_SHA256, message, signature)
            .is_ok(),
    }
}

/// Checks a registration response (`navigator.credentials.create`) and returns the
/// credential to store.
pub fn verify_registration(
    expected: &Expected<'_>,
    client_data_json: &[u8],
    attestation_object: &[u8],
) -> Result<NewCredential, WebauthnError> {
    check_client_data(client_data_json, "webauthn.create", expected)?;
    let bad = || WebauthnError::AuthenticatorData;
    let object = cbor::decode(attestation_object).map_err(|_| bad())?;
    let format = object
        .text_key("fmt")
        .and_then(cbor::Value::as_text)
        .ok_or_else(bad)?
        .to_owned();
    let auth_data = object
        .text_key("authData")
        .and_then(cbor::Value::as_bytes)
        .ok_or_else(bad)?;
    let data = read_authenticator_data(auth_data)?;
    check_rp_and_presence(&data, expected)?;
    let (id, public_key) = data.attested.ok_or_else(bad)?;
    let (_, algorithm) = read_public_key(&public_key)?;
    Ok(NewCredential {
        id,
        public_key,
        algorithm,
        sign_count: data.sign_count,
        user_verified: data.flags & FLAG_USER_VERIFIED != 0,
        backup_eligible: data.flags & FLAG_BACKUP_ELIGIBLE != 0,
        attestation_format: format,
    })
}

/// Checks an authentication response (`navigator.credentials.get`) against the stored key
/// and counter.
pub fn verify_assertion(
    expected: &Expected<'_>,
    public_key: &[u8],
    stored_sign_count: u32,
    client_data_json: &[u8],
    authenticator_data: &[u8],
    signature: &[u8],
) -> Result<Assertion, WebauthnError> {
    check_client_data(client_data_json, "webauthn.get", expected)?;
    let data = read_authenticator_data(authenticator_data)?;
    check_rp_and_presence(&data, expected)?;
    let (key, _) = read_public_key(public_key)?;
    let message = [
        authenticator_data,
        Sha256::digest(client_data_json).as_slice(),
    ]
    .concat();
    if !verify_signature(&key, &message, signature) {
        return Err(WebauthnError::Signature);
    }
    // Authenticators without a counter always send 0 (synced passkeys do); otherwise it
    // must grow, or two copies of the key are in use (§6.1.1).
    if (data.sign_count != 0 || stored_sign_count != 0) && data.sign_count <= stored_sign_count {
        return Err(WebauthnError::Counter);
    }
    Ok(Assertion {
        sign_count: data.sign_count,
        user_verified: data.flags & FLAG_USER_VERIFIED != 0,
    })
}

#[cfg(test)]
mod tests;
