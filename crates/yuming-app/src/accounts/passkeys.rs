//! Passkeys (WebAuthn) as a second factor: registering one from a signed-in session, the
//! challenge offered at login, checking the answer, listing and removing them. The pure
//! ceremony checks are in `yuming_core::webauthn`; this module issues the one-time
//! challenges, keeps the signature counters and writes the audit trail.

use serde_json::{Value, json};
use yuming_core::access::Actor;
use yuming_core::clock::Timestamp;
use yuming_core::credentials::parse_display_name;
use yuming_core::webauthn::{self, Expected, RelyingParty, b64url, from_b64url};
use yuming_store::{AccountRow, PasskeyRow, StoreError, Tx, WebauthnChallengeRow};

use super::SecondFactorStep;
use crate::accounts::AccountsError;
use crate::platform::audit::{self, Change};
use crate::platform::crypto::{new_id, random_bytes, random_token};
use crate::{App, AppError, RequestContext};

/// How long a ceremony may take, in seconds (the browser's own timeout is shorter).
const CHALLENGE_TTL_SECS: i64 = 300;
/// Passkeys one account may hold.
pub const MAX_PASSKEYS: usize = 10;

/// A passkey as the console and API show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyView {
    /// Opaque id.
    pub id: String,
    /// The user's label.
    pub name: String,
    /// Whether it may be synced between the user's devices.
    pub synced: bool,
    /// Added.
    pub created_at: Timestamp,
    /// Last login with it.
    pub last_used_at: Option<Timestamp>,
}

impl PasskeyView {
    fn of(row: &PasskeyRow) -> PasskeyView {
        PasskeyView {
            id: row.id.clone(),
            name: row.name.clone(),
            synced: row.backup_eligible != 0,
            created_at: Timestamp(row.created_at),
            last_used_at: row.last_used_at.map(Timestamp),
        }
    }
}

/// A ceremony for the browser to run: the challenge's id to send back, and the
/// `publicKey` options of `navigator.credentials.create()`/`get()` with every binary member
/// in base64url.
#[derive(Debug, Clone, PartialEq)]
pub struct PasskeyCeremony {
    /// Sent back with the answer.
    pub challenge_id: String,
    /// The options.
    pub options: Value,
}

/// The browser's answer to a registration ceremony, binary members in base64url.
#[derive(Debug, Clone, Default)]
pub struct NewPasskey {
    /// From [`PasskeyCeremony::challenge_id`].
    pub challenge_id: String,
    /// The label; a default is chosen when blank.
    pub name: String,
    /// `response.clientDataJSON`.
    pub client_data_json: String,
    /// `response.attestationObject`.
    pub attestation_object: String,
}

/// The browser's answer to a login ceremony, binary members in base64url.
#[derive(Debug, Clone, Default)]
pub struct PasskeyAssertion {
    /// From [`PasskeyCeremony::challenge_id`].
    pub challenge_id: String,
    /// `rawId`.
    pub credential_id: String,
    /// `response.clientDataJSON`.
    pub client_data_json: String,
    /// `response.authenticatorData`.
    pub authenticator_data: String,
    /// `response.signature`.
    pub signature: String,
}

/// The relying party this deployment is, from `http.public_url`.
pub fn relying_party(app: &App) -> Result<RelyingParty, AppError> {
    RelyingParty::from_public_url(&app.settings().public_url)
        .ok_or_else(|| AccountsError::PasskeysUnavailable.into())
}

/// Whether passkeys can be used here at all (the console hides them otherwise).
pub fn available(app: &App) -> bool {
    relying_party(app).is_ok()
}

async fn issue_challenge(
    app: &App,
    tx: &mut Tx,
    account_id: &str,
    purpose: &str,
) -> Result<WebauthnChallengeRow, StoreError> {
    let row = WebauthnChallengeRow {
        // Also the login's second-step ticket: unguessable, not just unique.
        id: format!("wch_{}", random_token::<24>()),
        account_id: account_id.to_owned(),
        purpose: purpose.to_owned(),
        challenge: random_bytes::<32>().to_vec(),
        expires_at: app.now().0 + CHALLENGE_TTL_SECS,
        used_at: None,
    };
    tx.insert_webauthn_challenge(&row).await?;
    Ok(row)
}

fn descriptors(passkeys: &[PasskeyRow]) -> Value {
    passkeys
        .iter()
        .map(|p| json!({ "type": "public-key", "id": p.credential_id }))
        .collect()
}

/// Starts adding a passkey to the signed-in account.
pub async fn registration_options(app: &App, actor: &Actor) -> Result<PasskeyCeremony, AppError> {
    actor.require_interactive()?;
    let rp = relying_party(app)?;
    let mut tx = app.db().write().await?;
    let account = tx
        .account_by_id(&actor.account_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let existing = tx.passkeys_of_account(&account.id).await?;
    if existing.len() >= MAX_PASSKEYS {
        return Err(AccountsError::TooManyPasskeys.into());
    }
    let challenge = issue_challenge(app, &mut tx, &account.id, "register").await?;
    tx.commit().await?;
    let algorithms: Vec<Value> = webauthn::ALGORITHMS
        .iter()
        .map(|alg| json!({ "type": "public-key", "alg": alg }))
        .collect();
    Ok(PasskeyCeremony {
        challenge_id: challenge.id,
        options: json!({
            "challenge": b64url(&challenge.challenge),
            "rp": { "id": rp.id, "name": "Yuming" },
            "user": {
                "id": b64url(account.id.as_bytes()),
                "name": account.email,
                "displayName": account.display_name,
            },
            "pubKeyCredParams": algorithms,
            "timeout": 120_000,
            "attestation": "none",
            "authenticatorSelection": {
                "residentKey": "preferred",
                "userVerification": "preferred",
            },
            "excludeCredentials": descriptors(&existing),
        }),
    })
}

fn decoded(text: &str, wrong: AccountsError) -> Result<Vec<u8>, AppError> {
    from_b64url(text).ok_or_else(|| wrong.into())
}

/// Finishes adding a passkey: checks the browser's answer against the challenge and stores
/// the credential.
pub async fn register(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    input: NewPasskey,
) -> Result<PasskeyView, AppError> {
    actor.require_interactive()?;
    let rp = relying_party(app)?;
    let name = if input.name.trim().is_empty() {
        None
    } else {
        Some(parse_display_name(&input.name).map_err(|_| AccountsError::InvalidName)?)
    };
    let client_data = decoded(&input.client_data_json, AccountsError::InvalidPasskey)?;
    let attestation = decoded(&input.attestation_object, AccountsError::InvalidPasskey)?;
    let now = app.now();
    let mut tx = app.db().write().await?;
    let account = tx
        .account_by_id(&actor.account_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let challenge = tx
        .take_webauthn_challenge(&input.challenge_id, &account.id, "register", now.0)
        .await?
        .ok_or(AccountsError::InvalidPasskey)?;
    let expected = Expected {
        challenge: &challenge.challenge,
        origin: &rp.origin,
        rp_id: &rp.id,
    };
    let credential = webauthn::verify_registration(&expected, &client_data, &attestation)
        .map_err(|e| AppError::from(AccountsError::InvalidPasskey).with_detail(e.to_string()))?;
    let existing = tx.passkeys_of_account(&account.id).await?;
    if existing.len() >= MAX_PASSKEYS {
        return Err(AccountsError::TooManyPasskeys.into());
    }
    let credential_id = b64url(&credential.id);
    if tx.passkey_by_credential(&credential_id).await?.is_some() {
        return Err(AccountsError::PasskeyExists.into());
    }
    let row = PasskeyRow {
        id: new_id("pk"),
        account_id: account.id.clone(),
        tenant_id: account.tenant_id.clone(),
        credential_id,
        public_key: credential.public_key,
        algorithm: credential.algorithm,
        sign_count: i64::from(credential.sign_count),
        name: name.unwrap_or_else(|| format!("Passkey {}", existing.len() + 1)),
        backup_eligible: i64::from(credential.backup_eligible),
        created_at: now.0,
        last_used_at: None,
    };
    tx.insert_passkey(&row).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "account.passkey_add",
            object_type: "passkey",
            object_id: &row.id,
            tenant: &account.tenant_id,
            before: Value::Null,
            after: json!({
                "name": row.name,
                "algorithm": row.algorithm,
                "synced": credential.backup_eligible,
                "user_verified": credential.user_verified,
                "attestation": credential.attestation_format,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(PasskeyView::of(&row))
}

/// The passkeys of the signed-in account.
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<PasskeyView>, AppError> {
    actor.require_interactive()?;
    let mut tx = app.db().read().await?;
    let rows = tx.passkeys_of_account(&actor.account_id).await?;
    tx.commit().await?;
    Ok(rows.iter().map(PasskeyView::of).collect())
}

/// Removes one of the signed-in account's passkeys.
pub async fn remove(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<(), AppError> {
    actor.require_interactive()?;
    let mut tx = app.db().write().await?;
    let rows = tx.passkeys_of_account(&actor.account_id).await?;
    let Some(row) = rows.iter().find(|p| p.id == id) else {
        return Err(AppError::not_found());
    };
    tx.delete_passkey(&actor.account_id, id).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "account.passkey_remove",
            object_type: "passkey",
            object_id: id,
            tenant: &actor.tenant_id,
            before: json!({ "name": row.name }),
            after: Value::Null,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The passkeys an account logs in with (empty when it has none).
pub(super) async fn of_account(app: &App, account_id: &str) -> Result<Vec<PasskeyRow>, AppError> {
    let mut tx = app.db().read().await?;
    let rows = tx.passkeys_of_account(account_id).await?;
    tx.commit().await?;
    Ok(rows)
}

/// The second step of a login whose password was right: a new ticket (the challenge) and,
/// when the account has passkeys, the ceremony built on it.
pub(super) async fn second_step(
    app: &App,
    account: &AccountRow,
    passkeys: &[PasskeyRow],
) -> Result<SecondFactorStep, AppError> {
    let mut tx = app.db().write().await?;
    let challenge = issue_challenge(app, &mut tx, &account.id, "login").await?;
    tx.commit().await?;
    step_of(app, account, &challenge, passkeys)
}

/// The second step built on a live login challenge.
pub(super) fn step_of(
    app: &App,
    account: &AccountRow,
    challenge: &WebauthnChallengeRow,
    passkeys: &[PasskeyRow],
) -> Result<SecondFactorStep, AppError> {
    let passkey = match (passkeys.is_empty(), relying_party(app)) {
        (true, _) => None,
        (false, Ok(rp)) => Some(PasskeyCeremony {
            challenge_id: challenge.id.clone(),
            options: json!({
                "challenge": b64url(&challenge.challenge),
                "rpId": rp.id,
                "timeout": 120_000,
                "userVerification": "preferred",
                "allowCredentials": descriptors(passkeys),
            }),
        }),
        // Passkeys registered before the public URL changed to an IP address cannot be
        // used; TOTP still can.
        (false, Err(e)) if !account.totp_enabled => return Err(e),
        (false, Err(_)) => None,
    };
    Ok(SecondFactorStep {
        ticket: challenge.id.clone(),
        totp: account.totp_enabled,
        passkey,
    })
}

/// Checks a login answer against the ticket's challenge, inside the transaction that uses
/// the ticket up and creates the session: the counter advances only if the session is
/// created too. Returns the id of the passkey used.
pub(super) async fn use_assertion(
    app: &App,
    tx: &mut Tx,
    account: &AccountRow,
    challenge: &WebauthnChallengeRow,
    answer: &PasskeyAssertion,
) -> Result<String, AppError> {
    let wrong = || AppError::from(AccountsError::LoginPasskeyWrong);
    let rp = relying_party(app)?;
    let now = app.now().0;
    if answer.challenge_id != challenge.id {
        return Err(wrong());
    }
    let passkey = tx
        .passkey_by_credential(&answer.credential_id)
        .await?
        .filter(|p| p.account_id == account.id)
        .ok_or_else(wrong)?;
    let bytes = |text: &str| from_b64url(text).ok_or_else(wrong);
    let expected = Expected {
        challenge: &challenge.challenge,
        origin: &rp.origin,
        rp_id: &rp.id,
    };
    let stored = u32::try_from(passkey.sign_count).unwrap_or(u32::MAX);
    let assertion = webauthn::verify_assertion(
        &expected,
        &passkey.public_key,
        stored,
        &bytes(&answer.client_data_json)?,
        &bytes(&answer.authenticator_data)?,
        &bytes(&answer.signature)?,
    )
    .map_err(|e| wrong().with_detail(e.to_string()))?;
    if !tx
        .advance_passkey(
            &passkey.id,
            passkey.sign_count,
            i64::from(assertion.sign_count),
            now,
        )
        .await?
    {
        return Err(wrong().with_detail("passkey used concurrently"));
    }
    Ok(passkey.id)
}
