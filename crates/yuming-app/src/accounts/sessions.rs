//! Logging in (with lockout and the second factor), sessions and their tokens, logging out, the
//! account itself, and changing the password.

use serde_json::json;
use yuming_core::access::{Actor, AuthMethod};
use yuming_core::clock::Timestamp;
use yuming_core::credentials::{Email, check_password};
use yuming_core::totp;
use yuming_store::{AccountRow, SessionRow, Tx, WebauthnChallengeRow};

use super::attempts;
use super::passkeys::{self, PasskeyAssertion, PasskeyCeremony};
use super::second_factor::open_totp_secret;
use super::{AccountView, account_row, actor_for};
use crate::accounts::AccountsError;
use crate::platform::audit::{self, Change};
use crate::platform::crypto::{random_token, sha256_hex};
use crate::{App, AppError, RequestContext, platform::rate_limit};

/// Login input.
#[derive(Clone)]
pub struct LoginInput {
    /// E-mail.
    pub email: String,
    /// Password.
    pub password: String,
    /// TOTP code, when enrolled.
    pub totp: Option<String>,
}

impl std::fmt::Debug for LoginInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never reach logs or panic messages.
        f.debug_struct("LoginInput")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("totp", &"<redacted>")
            .finish()
    }
}

/// A new session.
#[derive(Clone)]
pub struct LoginOutput {
    /// The bearer token; only its SHA-256 is stored.
    pub token: String,
    /// When it expires.
    pub expires_at: Timestamp,
    /// The account.
    pub account: AccountView,
}

impl std::fmt::Debug for LoginOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never reach logs or panic messages.
        f.debug_struct("LoginOutput")
            .field("expires_at", &self.expires_at)
            .field("account", &self.account)
            .field("token", &"<redacted>")
            .finish()
    }
}

fn invalid_credentials() -> AppError {
    AppError::from(AccountsError::InvalidCredentials)
}

/// Where a login stands after the password was checked.
#[derive(Debug, Clone)]
pub enum LoginStep {
    /// Logged in.
    Session(LoginOutput),
    /// The password was right; a second factor is needed.
    SecondFactor(SecondFactorStep),
}

/// The second step of a login: how the account can confirm it, and the ticket that carries
/// the checked password to that step.
#[derive(Clone)]
pub struct SecondFactorStep {
    /// Sent back with the second factor instead of the password: one use, valid for
    /// minutes, bound to the account (it is also the passkey ceremony's challenge id).
    pub ticket: String,
    /// A TOTP code is accepted.
    pub totp: bool,
    /// A passkey is accepted: the ceremony for the browser to run.
    pub passkey: Option<PasskeyCeremony>,
}

impl std::fmt::Debug for SecondFactorStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The ticket stands in for the password for a few minutes: never logged.
        f.debug_struct("SecondFactorStep")
            .field("ticket", &"<redacted>")
            .field("totp", &self.totp)
            .field("passkey", &self.passkey.is_some())
            .finish()
    }
}

/// The answer of the second step.
#[derive(Clone, Default)]
pub struct SecondStepInput {
    /// [`SecondFactorStep::ticket`].
    pub ticket: String,
    /// A TOTP code.
    pub totp: Option<String>,
    /// The answer to the passkey ceremony.
    pub passkey: Option<PasskeyAssertion>,
}

impl std::fmt::Debug for SecondStepInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never reach logs or panic messages.
        f.debug_struct("SecondStepInput")
            .field("ticket", &"<redacted>")
            .field("totp", &"<redacted>")
            .field("passkey", &self.passkey.is_some())
            .finish()
    }
}

/// The second factor a session is created with.
enum Factor {
    None,
    Totp(u64),
    Passkey(PasskeyAssertion),
}

/// Logs in: checks lockout, password and TOTP, and creates a session. An account with a
/// second factor and no TOTP code given gets `TOTP_REQUIRED` (TOTP only) or
/// `SECOND_FACTOR_REQUIRED` (it has passkeys, which only the console's two-step login of
/// [`login_step`] and [`login_second_step`] can answer).
pub async fn login(
    app: &App,
    ctx: &RequestContext,
    input: LoginInput,
) -> Result<LoginOutput, AppError> {
    match login_step(app, ctx, input).await? {
        LoginStep::Session(session) => Ok(session),
        LoginStep::SecondFactor(SecondFactorStep { passkey: None, .. }) => {
            Err(AccountsError::TotpRequired.into())
        }
        LoginStep::SecondFactor(_) => Err(AccountsError::SecondFactorRequired.into()),
    }
}

fn login_rate_limit_key(ctx: &RequestContext) -> Option<String> {
    ctx.client_ip.as_ref().map(|ip| format!("login:ip:{ip}"))
}

async fn limit_login_rate(app: &App, ctx: &RequestContext) -> Result<(), AppError> {
    if let Some(key) = login_rate_limit_key(ctx) {
        rate_limit::hit(
            app,
            &key,
            app.settings().login_attempts_per_ip_per_minute,
            60,
        )
        .await?;
    }
    Ok(())
}

/// Logs in with the password (and a TOTP code given along, as API clients do), or, when
/// the account has a second factor and none was given, returns the second step with its
/// ticket (and a passkey ceremony when the account has passkeys).
pub async fn login_step(
    app: &App,
    ctx: &RequestContext,
    input: LoginInput,
) -> Result<LoginStep, AppError> {
    limit_login_rate(app, ctx).await?;
    let now = app.now();
    let Ok(email) = Email::parse(&input.email) else {
        return Err(invalid_credentials());
    };
    let row = {
        let mut tx = app.db().read().await?;
        let row = tx.account_by_email(email.as_str()).await?;
        tx.commit().await?;
        row
    };
    let Some(row) = row else {
        // Spend the same time as for a real account so that timing reveals nothing.
        let dummy = app.dummy_password_hash().await?;
        let _ = app.hasher().verify(&input.password, dummy).await?;
        return Err(invalid_credentials());
    };
    // The attempt is counted before the password is verified (see `attempts`).
    let attempt = attempts::reserve(app, &row.id, &row.tenant_id).await?;
    if !app
        .hasher()
        .verify(&input.password, &row.password_hash)
        .await?
    {
        return Err(attempts::failed(app, ctx, attempt, invalid_credentials()).await);
    }
    if row.status != "active" {
        attempts::release(app, attempt).await?;
        return Err(AccountsError::AccountDisabled.into());
    }
    let code = input.totp.as_deref().filter(|c| !c.trim().is_empty());
    if let (true, Some(code)) = (row.totp_enabled, code) {
        let secret = open_totp_secret(app, &row)?;
        let Some(step) = totp::verify(&secret, code, now) else {
            let wrong = AppError::from(AccountsError::LoginTotpWrong);
            return Err(attempts::failed(app, ctx, attempt, wrong).await);
        };
        let session = start_session(app, ctx, &row, attempt, Factor::Totp(step), None).await?;
        return Ok(LoginStep::Session(session));
    }
    let passkeys = passkeys::of_account(app, &row.id).await?;
    if row.totp_enabled || !passkeys.is_empty() {
        attempts::release(app, attempt).await?;
        let step = passkeys::second_step(app, &row, &passkeys).await?;
        return Ok(LoginStep::SecondFactor(step));
    }
    let session = start_session(app, ctx, &row, attempt, Factor::None, None).await?;
    Ok(LoginStep::Session(session))
}

/// The live second-step ticket and its account.
async fn ticket_account(
    app: &App,
    ticket: &str,
) -> Result<(WebauthnChallengeRow, AccountRow), AppError> {
    let expired = || AppError::from(AccountsError::LoginStepExpired);
    if ticket.is_empty() || ticket.len() > 128 {
        return Err(expired());
    }
    let mut tx = app.db().read().await?;
    let challenge = tx
        .webauthn_challenge(ticket)
        .await?
        .filter(|c| c.purpose == "login" && c.used_at.is_none() && c.expires_at > app.now().0)
        .ok_or_else(expired)?;
    let row = tx
        .account_by_id(&challenge.account_id)
        .await?
        .ok_or_else(expired)?;
    tx.commit().await?;
    if row.status != "active" {
        return Err(AccountsError::AccountDisabled.into());
    }
    Ok((challenge, row))
}

/// The second step of a login: a TOTP code or a passkey with the ticket of [`login_step`].
/// A wrong answer counts as a failed attempt and leaves the ticket usable until it expires.
pub async fn login_second_step(
    app: &App,
    ctx: &RequestContext,
    input: SecondStepInput,
) -> Result<LoginOutput, AppError> {
    limit_login_rate(app, ctx).await?;
    let (_, row) = ticket_account(app, &input.ticket).await?;
    let attempt = attempts::reserve(app, &row.id, &row.tenant_id).await?;
    let code = input.totp.as_deref().filter(|c| !c.trim().is_empty());
    let factor = if let Some(answer) = input.passkey {
        Factor::Passkey(answer)
    } else if let (true, Some(code)) = (row.totp_enabled, code) {
        let secret = open_totp_secret(app, &row)?;
        let Some(step) = totp::verify(&secret, code, app.now()) else {
            let wrong = AppError::from(AccountsError::LoginTotpWrong);
            return Err(attempts::failed(app, ctx, attempt, wrong).await);
        };
        Factor::Totp(step)
    } else {
        attempts::release(app, attempt).await?;
        return Err(AccountsError::SecondFactorRequired.into());
    };
    start_session(app, ctx, &row, attempt, factor, Some(&input.ticket)).await
}

/// The second step of a ticket again (after a wrong answer), with its ceremony.
pub async fn resume_second_step(app: &App, ticket: &str) -> Result<SecondFactorStep, AppError> {
    let (challenge, row) = ticket_account(app, ticket).await?;
    let passkeys = passkeys::of_account(app, &row.id).await?;
    passkeys::step_of(app, &row, &challenge, &passkeys)
}

/// Creates the session once every factor holds: the ticket is used up, the TOTP step or the
/// passkey's counter advanced, the attempt settled and the login audited, all in one
/// transaction.
async fn start_session(
    app: &App,
    ctx: &RequestContext,
    row: &AccountRow,
    attempt: attempts::Attempt,
    factor: Factor,
    ticket: Option<&str>,
) -> Result<LoginOutput, AppError> {
    let now = app.now();
    let token = format!("yst_{}", random_token::<32>());
    let session = SessionRow {
        id: sha256_hex(token.as_bytes()),
        account_id: row.id.clone(),
        created_at: now.0,
        expires_at: now.0 + app.settings().session_ttl_secs,
        revoked_at: None,
        ip: ctx.client_ip.clone(),
        user_agent: ctx.user_agent.clone(),
    };
    let mut tx = app.db().write().await?;
    let challenge = match ticket {
        Some(ticket) => {
            let Some(challenge) = tx
                .take_webauthn_challenge(ticket, &row.id, "login", now.0)
                .await?
            else {
                drop(tx);
                attempts::release(app, attempt).await?;
                return Err(AccountsError::LoginStepExpired.into());
            };
            Some(challenge)
        }
        None => None,
    };
    let mut passkey_used = None;
    let second_factor = match &factor {
        Factor::None => None,
        Factor::Totp(step) => {
            let step = i64::try_from(*step).unwrap_or(i64::MAX);
            if !tx.advance_totp_step(&row.id, step).await? {
                drop(tx);
                let replayed = AppError::from(AccountsError::LoginTotpReplayed);
                return Err(attempts::failed(app, ctx, attempt, replayed).await);
            }
            Some("totp")
        }
        Factor::Passkey(answer) => {
            let checked = match &challenge {
                Some(challenge) => {
                    passkeys::use_assertion(app, &mut tx, row, challenge, answer).await
                }
                None => Err(AccountsError::LoginPasskeyWrong.into()),
            };
            match checked {
                Ok(id) => passkey_used = Some(id),
                Err(wrong) => {
                    drop(tx);
                    return Err(attempts::failed(app, ctx, attempt, wrong).await);
                }
            }
            Some("passkey")
        }
    };
    attempts::succeeded(app, &mut tx, attempt).await?;
    tx.insert_session(&session).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &row.id,
        Change {
            action: "auth.login",
            object_type: "session",
            object_id: &session.id[..16],
            tenant: &row.tenant_id,
            before: serde_json::Value::Null,
            after: json!({
                "expires_at": session.expires_at,
                "ip": ctx.client_ip,
                "second_factor": second_factor,
                "passkey": passkey_used,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(LoginOutput {
        token,
        expires_at: Timestamp(session.expires_at),
        account: AccountView::from_row(row)?,
    })
}

/// Resolves a bearer token to its actor.
pub async fn authenticate_token(app: &App, token: &str) -> Result<Actor, AppError> {
    Ok(authenticate_session(app, token).await?.0)
}

/// Resolves a session token to its actor and the account's display name, in the one read
/// every signed-in console page makes.
pub async fn authenticate_session(app: &App, token: &str) -> Result<(Actor, String), AppError> {
    let invalid = || AppError::from(AccountsError::InvalidToken);
    if token.is_empty() || token.len() > 256 {
        return Err(invalid());
    }
    let session_id = sha256_hex(token.as_bytes());
    let now = app.now();
    let row = app
        .db()
        .account_for_session(&session_id, now.0)
        .await?
        .ok_or_else(invalid)?;
    if row.status != "active" {
        return Err(invalid());
    }
    let actor = actor_for(&row, AuthMethod::Session { session_id })?;
    Ok((actor, row.display_name))
}

/// Loads the account an authenticated actor stands for (for API-key authentication).
pub(crate) async fn actor_of_account(
    tx: &mut Tx,
    account_id: &str,
    method: AuthMethod,
) -> Result<Option<Actor>, AppError> {
    match tx.account_by_id(account_id).await? {
        Some(row) if row.status == "active" => Ok(Some(actor_for(&row, method)?)),
        _ => Ok(None),
    }
}

/// Ends the actor's session.
pub async fn logout(app: &App, ctx: &RequestContext, actor: &Actor) -> Result<(), AppError> {
    actor.require_interactive()?;
    let AuthMethod::Session { session_id } = &actor.method else {
        return Err(AccountsError::NotASession.into());
    };
    let mut tx = app.db().write().await?;
    tx.revoke_session(session_id, app.now().0).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "auth.logout",
            object_type: "session",
            object_id: &session_id[..16.min(session_id.len())],
            tenant: &actor.tenant_id,
            before: serde_json::Value::Null,
            after: serde_json::Value::Null,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A live login session of the account, for the list with revoke.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    /// The session's id (the SHA-256 of its token, which it does not reveal).
    pub id: String,
    /// When it was started (the login).
    pub created_at: Timestamp,
    /// When it expires.
    pub expires_at: Timestamp,
    /// The session this request is made in.
    pub current: bool,
    /// The address it was started from.
    pub ip: Option<String>,
    /// The browser or client that started it.
    pub user_agent: Option<String>,
}

/// The actor's live sessions, newest first.
pub async fn sessions(app: &App, actor: &Actor) -> Result<Vec<SessionView>, AppError> {
    actor.require_interactive()?;
    let current = match &actor.method {
        AuthMethod::Session { session_id } => Some(session_id.as_str()),
        _ => None,
    };
    let mut tx = app.db().read().await?;
    let rows = tx.live_sessions(&actor.account_id, app.now().0).await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|row| SessionView {
            current: current == Some(row.id.as_str()),
            created_at: Timestamp(row.created_at),
            expires_at: Timestamp(row.expires_at),
            id: row.id,
            ip: row.ip,
            user_agent: row.user_agent,
        })
        .collect())
}

/// Ends one of the actor's sessions (a lost phone, a shared computer); another account's
/// session, or one already ended, is `NOT_FOUND`.
pub async fn revoke_session(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    session_id: &str,
) -> Result<(), AppError> {
    actor.require_interactive()?;
    let mut tx = app.db().write().await?;
    if !tx
        .revoke_session_of(&actor.account_id, session_id, app.now().0)
        .await?
    {
        return Err(AppError::not_found());
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "auth.session_revoke",
            object_type: "session",
            object_id: &session_id[..16.min(session_id.len())],
            tenant: &actor.tenant_id,
            before: serde_json::Value::Null,
            after: serde_json::Value::Null,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Logs the account out everywhere: every session ends, this one too. Returns how many.
pub async fn logout_everywhere(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
) -> Result<u64, AppError> {
    actor.require_interactive()?;
    let mut tx = app.db().write().await?;
    let ended = tx
        .revoke_sessions_except(&actor.account_id, None, app.now().0)
        .await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "auth.logout_everywhere",
            object_type: "account",
            object_id: &actor.account_id,
            tenant: &actor.tenant_id,
            before: serde_json::Value::Null,
            after: json!({ "sessions": ended }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ended)
}

/// The actor's own account.
pub async fn me(app: &App, actor: &Actor) -> Result<AccountView, AppError> {
    // One statement, no transaction: every console page asks this.
    let row = app
        .db()
        .account(&actor.account_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    AccountView::from_row(&row)
}

/// Changes the actor's password after checking the current one; revokes every other session.
pub async fn change_password(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    current: &str,
    new_password: &str,
) -> Result<(), AppError> {
    actor.require_interactive()?;
    check_password(new_password).map_err(|e| AppError::from(e).with_field("new_password"))?;
    let row = account_row(app, &actor.account_id).await?;
    let attempt = attempts::reserve(app, &row.id, &row.tenant_id).await?;
    if !app.hasher().verify(current, &row.password_hash).await? {
        let wrong = AppError::from(AccountsError::WrongPassword);
        return Err(attempts::failed(app, ctx, attempt, wrong).await);
    }
    let hash = app.hasher().hash(new_password).await?;
    let keep = match &actor.method {
        AuthMethod::Session { session_id } => Some(session_id.as_str()),
        _ => None,
    };
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    attempts::succeeded(app, &mut tx, attempt).await?;
    tx.set_password_hash(&row.id, &hash, now).await?;
    let revoked = tx.revoke_sessions_except(&row.id, keep, now).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "account.password_change",
            object_type: "account",
            object_id: &row.id,
            tenant: &row.tenant_id,
            before: serde_json::Value::Null,
            after: json!({ "other_sessions_revoked": revoked }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
