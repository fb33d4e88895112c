use ring::rand::SystemRandom;
use ring::signature::{ECDSA_P256_SHA256_ASN1_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};

use super::cbor::{Value, encode, int};
use super::*;

const ORIGIN: &str = "https://console.example.cn";
const RP: &str = "console.example.cn";

enum Key {
    P256(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

impl Key {
    fn p256() -> Key {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        Key::P256(
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
                .unwrap(),
        )
    }

    fn ed25519() -> Key {
        Key::Ed(Ed25519KeyPair::from_seed_unchecked(&[7; 32]).unwrap())
    }

    fn cose(&self) -> Vec<u8> {
        let map = match self {
            Key::P256(pair) => {
                let point = pair.public_key().as_ref();
                Value::Map(vec![
                    (int(1), int(2)),
                    (int(3), int(ES256)),
                    (int(-1), int(1)),
                    (int(-2), Value::Bytes(point[1..33].to_vec())),
                    (int(-3), Value::Bytes(point[33..].to_vec())),
                ])
            }
            Key::Ed(pair) => Value::Map(vec![
                (int(1), int(1)),
                (int(3), int(EDDSA)),
                (int(-1), int(6)),
                (int(-2), Value::Bytes(pair.public_key().as_ref().to_vec())),
            ]),
        };
        let mut out = Vec::new();
        encode(&map, &mut out);
        out
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        match self {
            Key::P256(pair) => pair
                .sign(&SystemRandom::new(), message)
                .unwrap()
                .as_ref()
                .to_vec(),
            Key::Ed(pair) => pair.sign(message).as_ref().to_vec(),
        }
    }
}

fn client_data(kind: &str, challenge: &[u8], origin: &str) -> Vec<u8> {
    format!(
        r#"{{"type":"{kind}","challenge":"{}","origin":"{origin}","crossOrigin":false}}"#,
        b64url(challenge)
    )
    .into_bytes()
}

fn auth_data(rp: &str, flags: u8, count: u32, attested: Option<(&[u8], &[u8])>) -> Vec<u8> {
    let mut data = Sha256::digest(rp.as_bytes()).to_vec();
    data.push(flags);
    data.extend(count.to_be_bytes());
    if let Some((id, key)) = attested {
        data.extend([0u8; 16]);
        data.extend(u16::try_from(id.len()).unwrap().to_be_bytes());
        data.extend(id);
        data.extend(key);
    }
    data
}

fn attestation(auth_data: Vec<u8>) -> Vec<u8> {
    let mut out = Vec::new();
    encode(
        &Value::Map(vec![
            (Value::Text("fmt".into()), Value::Text("none".into())),
            (Value::Text("attStmt".into()), Value::Map(vec![])),
            (Value::Text("authData".into()), Value::Bytes(auth_data)),
        ]),
        &mut out,
    );
    out
}

fn expected(challenge: &[u8]) -> Expected<'_> {
    Expected {
        challenge,
        origin: ORIGIN,
        rp_id: RP,
    }
}

fn register(key: &Key, challenge: &[u8]) -> Result<NewCredential, WebauthnError> {
    let cose = key.cose();
    let data = auth_data(RP, 0x45, 0, Some((b"cred-1", &cose)));
    verify_registration(
        &expected(challenge),
        &client_data("webauthn.create", challenge, ORIGIN),
        &attestation(data),
    )
}

fn assert_with(
    key: &Key,
    stored: &NewCredential,
    challenge: &[u8],
    count: u32,
    data: Vec<u8>,
    client: Vec<u8>,
) -> Result<Assertion, WebauthnError> {
    let message = [data.as_slice(), Sha256::digest(&client).as_slice()].concat();
    let signature = key.sign(&message);
    verify_assertion(
        &expected(challenge),
        &stored.public_key,
        count,
        &client,
        &data,
        &signature,
    )
}

#[test]
fn registers_and_authenticates_with_p256_and_ed25519() {
    for key in [Key::p256(), Key::ed25519()] {
        let credential = register(&key, b"challenge-1").unwrap();
        assert_eq!(credential.id, b"cred-1");
        assert!(credential.user_verified);
        assert_eq!(credential.attestation_format, "none");
        assert!(ALGORITHMS.contains(&credential.algorithm));
        let client = client_data("webauthn.get", b"challenge-2", ORIGIN);
        let ok = assert_with(
            &key,
            &credential,
            b"challenge-2",
            0,
            auth_data(RP, 0x05, 1, None),
            client,
        )
        .unwrap();
        assert_eq!(ok.sign_count, 1);
    }
}

#[test]
fn refuses_every_mismatch() {
    let key = Key::p256();
    let credential = register(&key, b"c").unwrap();
    let get = |challenge: &[u8], origin: &str| client_data("webauthn.get", challenge, origin);
    let cases = [
        // Wrong challenge, origin, ceremony type, relying party, no user presence, a
        // counter that went backwards.
        (
            get(b"other", ORIGIN),
            auth_data(RP, 1, 5, None),
            0,
            WebauthnError::Challenge,
        ),
        (
            get(b"c", "https://evil.example"),
            auth_data(RP, 1, 5, None),
            0,
            WebauthnError::Origin("https://evil.example".into()),
        ),
        (
            client_data("webauthn.create", b"c", ORIGIN),
            auth_data(RP, 1, 5, None),
            0,
            WebauthnError::CeremonyType,
        ),
        (
            get(b"c", ORIGIN),
            auth_data("evil.example", 1, 5, None),
            0,
            WebauthnError::RpId,
        ),
        (
            get(b"c", ORIGIN),
            auth_data(RP, 0, 5, None),
            0,
            WebauthnError::UserPresence,
        ),
        (
            get(b"c", ORIGIN),
            auth_data(RP, 1, 5, None),
            5,
            WebauthnError::Counter,
        ),
        (
            b"not json".to_vec(),
            auth_data(RP, 1, 5, None),
            0,
            WebauthnError::ClientData,
        ),
        (
            get(b"c", ORIGIN),
            vec![0; 20],
            0,
            WebauthnError::AuthenticatorData,
        ),
    ];
    for (client, data, stored, want) in cases {
        assert_eq!(
            assert_with(&key, &credential, b"c", stored, data, client),
            Err(want)
        );
    }
    // A signature by another key.
    let other = Key::p256();
    let client = get(b"c", ORIGIN);
    let data = auth_data(RP, 1, 9, None);
    let message = [data.as_slice(), Sha256::digest(&client).as_slice()].concat();
    assert_eq!(
        verify_assertion(
            &expected(b"c"),
            &credential.public_key,
            0,
            &client,
            &data,
            &other.sign(&message)
        ),
        Err(WebauthnError::Signature)
    );
}

#[test]
fn registration_needs_an_attested_supported_key() {
    let challenge = b"c";
    let client = client_data("webauthn.create", challenge, ORIGIN);
    // No attested credential data.
    let bare = attestation(auth_data(RP, 0x01, 0, None));
    assert_eq!(
        verify_registration(&expected(challenge), &client, &bare),
        Err(WebauthnError::AuthenticatorData)
    );
    // An algorithm not offered (ES384 on P-384).
    let mut p384 = Vec::new();
    encode(
        &Value::Map(vec![
            (int(1), int(2)),
            (int(3), int(-35)),
            (int(-1), int(2)),
            (int(-2), Value::Bytes(vec![1; 48])),
            (int(-3), Value::Bytes(vec![1; 48])),
        ]),
        &mut p384,
    );
    let data = attestation(auth_data(RP, 0x41, 0, Some((b"id", &p384))));
    assert_eq!(
        verify_registration(&expected(challenge), &client, &data),
        Err(WebauthnError::UnsupportedKey)
    );
}

#[test]
fn relying_party_comes_from_the_public_url() {
    let rp = |url| RelyingParty::from_public_url(url);
    assert_eq!(
        rp("https://Console.Example.cn/").unwrap(),
        RelyingParty {
            id: "console.example.cn".into(),
            origin: "https://console.example.cn".into()
        }
    );
    assert_eq!(
        rp("http://localhost:8080").unwrap().origin,
        "http://localhost:8080"
    );
    assert_eq!(
        rp("https://a.example:443/x").unwrap().origin,
        "https://a.example"
    );
    for refused in [
        "http://127.0.0.1:8080",
        "http://[::1]:8080",
        "ftp://a.example",
        "https://user@a.example",
        "https://a.example:x",
        "a.example",
        "https://bad_host.example",
    ] {
        assert_eq!(rp(refused), None, "{refused}");
    }
}
