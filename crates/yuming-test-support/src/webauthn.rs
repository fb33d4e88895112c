//! A software authenticator (ES256, `"none"` attestation) answering the ceremonies the
//! server offers, the way a browser with a platform authenticator would; Chromium's virtual
//! authenticator does the same in the browser tests.

use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, KeyPair as _};
use serde_json::Value;
use sha2::{Digest, Sha256};
use yuming_app::accounts::passkeys::{NewPasskey, PasskeyAssertion, PasskeyCeremony};
use yuming_core::webauthn::cbor::{self, Value as Cbor, int};
use yuming_core::webauthn::{ES256, b64url};

/// One credential on a software authenticator.
pub struct SoftAuthenticator {
    pkcs8: Vec<u8>,
    key: EcdsaKeyPair,
    credential_id: Vec<u8>,
    counter: u32,
    origin: String,
}

impl SoftAuthenticator {
    /// A new credential for pages served at `origin` (e.g. `http://localhost:8080`).
    pub fn new(origin: &str) -> SoftAuthenticator {
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &SystemRandom::new())
                .expect("P-256 key");
        let credential_id = Sha256::digest(pkcs8.as_ref())[..16].to_vec();
        SoftAuthenticator::of_key(pkcs8.as_ref().to_vec(), credential_id, 0, origin)
    }

    fn of_key(pkcs8: Vec<u8>, credential_id: Vec<u8>, counter: u32, origin: &str) -> Self {
        let key = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_ASN1_SIGNING,
            &pkcs8,
            &SystemRandom::new(),
        )
        .expect("P-256 key");
        SoftAuthenticator {
            pkcs8,
            key,
            credential_id,
            counter,
            origin: origin.to_owned(),
        }
    }

    /// The credential id, base64url.
    pub fn credential_id(&self) -> String {
        b64url(&self.credential_id)
    }

    fn client_data(&self, kind: &str, options: &Value) -> Vec<u8> {
        serde_json::json!({
            "type": kind,
            "challenge": options["challenge"].as_str().expect("challenge"),
            "origin": self.origin,
            "crossOrigin": false,
        })
        .to_string()
        .into_bytes()
    }

    fn authenticator_data(&mut self, rp_id: &str, attested: bool) -> Vec<u8> {
        self.counter += 1;
        let mut data = Sha256::digest(rp_id.as_bytes()).to_vec();
        // User present and verified, plus attested credential data at registration.
        data.push(if attested { 0x45 } else { 0x05 });
        data.extend(self.counter.to_be_bytes());
        if attested {
            let point = self.key.public_key().as_ref();
            let cose = Cbor::Map(vec![
                (int(1), int(2)),
                (int(3), int(ES256)),
                (int(-1), int(1)),
                (int(-2), Cbor::Bytes(point[1..33].to_vec())),
                (int(-3), Cbor::Bytes(point[33..].to_vec())),
            ]);
            data.extend([0u8; 16]);
            data.extend(
                u16::try_from(self.credential_id.len())
                    .expect("short id")
                    .to_be_bytes(),
            );
            data.extend(&self.credential_id);
            cbor::encode(&cose, &mut data);
        }
        data
    }

    /// Answers a registration ceremony (`navigator.credentials.create`).
    pub fn register(&mut self, ceremony: &PasskeyCeremony, name: &str) -> NewPasskey {
        let options = &ceremony.options;
        let rp_id = options["rp"]["id"].as_str().expect("rp.id").to_owned();
        let client_data = self.client_data("webauthn.create", options);
        let auth_data = self.authenticator_data(&rp_id, true);
        let mut attestation = Vec::new();
        cbor::encode(
            &Cbor::Map(vec![
                (Cbor::Text("fmt".into()), Cbor::Text("none".into())),
                (Cbor::Text("attStmt".into()), Cbor::Map(vec![])),
                (Cbor::Text("authData".into()), Cbor::Bytes(auth_data)),
            ]),
            &mut attestation,
        );
        NewPasskey {
            challenge_id: ceremony.challenge_id.clone(),
            name: name.to_owned(),
            client_data_json: b64url(&client_data),
            attestation_object: b64url(&attestation),
        }
    }

    /// Answers a login ceremony (`navigator.credentials.get`).
    pub fn assert(&mut self, ceremony: &PasskeyCeremony) -> PasskeyAssertion {
        let options = &ceremony.options;
        let rp_id = options["rpId"].as_str().expect("rpId").to_owned();
        let client_data = self.client_data("webauthn.get", options);
        let auth_data = self.authenticator_data(&rp_id, false);
        let message = [
            auth_data.as_slice(),
            Sha256::digest(&client_data).as_slice(),
        ]
        .concat();
        let signature = self
            .key
            .sign(&SystemRandom::new(), &message)
            .expect("signature");
        PasskeyAssertion {
            challenge_id: ceremony.challenge_id.clone(),
            credential_id: self.credential_id(),
            client_data_json: b64url(&client_data),
            authenticator_data: b64url(&auth_data),
            signature: b64url(signature.as_ref()),
        }
    }

    /// A copy of the same credential whose counter stands at `counter`, as a cloned
    /// authenticator's would.
    pub fn copy_with_counter(&self, counter: u32) -> SoftAuthenticator {
        SoftAuthenticator::of_key(
            self.pkcs8.clone(),
            self.credential_id.clone(),
            counter,
            &self.origin,
        )
    }
}
