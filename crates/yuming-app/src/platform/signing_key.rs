//! The platform's Ed25519 signing key: it signs filing certificates and the audit log's tree
//! heads. The private half is sealed with the master key; the public halves of every key,
//! retired ones included, are published so that anything signed stays verifiable.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use ring::signature::{Ed25519KeyPair, KeyPair};
use yuming_store::{SigningKeyRow, Tx};

use crate::platform::crypto::sha256_hex;
use crate::{App, AppError};

/// The sealing context of the private key (kept from when only filings signed).
const KEY_CONTEXT: &str = "filing.signing_key";

/// Opens a stored key.
pub(crate) fn key_pair(app: &App, row: &SigningKeyRow) -> Result<Ed25519KeyPair, AppError> {
    let pkcs8 = app
        .cipher()
        .open(&row.private_sealed, KEY_CONTEXT)
        .map_err(|e| AppError::internal(format!("signing key does not open: {e}")))?;
    Ed25519KeyPair::from_pkcs8(&pkcs8)
        .map_err(|_| AppError::internal("signing key unreadable".to_owned()))
}

/// The key that signs now, made on first use (retired by `yuming filing rotate-signing-key`).
pub(crate) async fn signing_key(
    app: &App,
    tx: &mut Tx,
) -> Result<(String, Ed25519KeyPair), AppError> {
    if let Some(row) = tx.active_signing_key().await? {
        let pair = key_pair(app, &row)?;
        return Ok((row.key_id, pair));
    }
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng)
        .map_err(|_| AppError::internal("no randomness for the signing key".to_owned()))?;
    let pair = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
        .map_err(|_| AppError::internal("generated key unreadable".to_owned()))?;
    let public = pair.public_key().as_ref();
    let row = SigningKeyRow {
        key_id: format!("fsk-{}", &sha256_hex(public)[..16]),
        public_key: BASE64.encode(public),
        private_sealed: app.cipher().seal(pkcs8.as_ref(), KEY_CONTEXT),
        created_at: app.now().0,
        retired_at: None,
    };
    tx.insert_signing_key(&row).await?;
    Ok((row.key_id, pair))
}
