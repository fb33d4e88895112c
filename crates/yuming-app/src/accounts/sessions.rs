//! Logging in (with lockout and the second factor), sessions and their tokens, logging out, the
//! account itself, and changing the password.

use serde_json::json;
use yuming_core::access::{Actor, AuthMethod};
use yuming_core::clock::Timestamp;
use yuming_core::credentials::{Email, check_password};
use yuming_core::totp;
use yuming_store::{SessionRow, Tx};

use super::attempts;
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

/// Logs in: checks lockout, password and TOTP, and creates a session.
pub async fn login(
    app: &App,
    ctx: &RequestContext,
    input: LoginInput,
) -> Result<LoginOutput, AppError> {
    if let Some(ip) = &ctx.client_ip {
        rate_limit::hit(
            app,
            &format!("login:ip:{ip}"),
            app.settings().login_attempts_per_ip_per_minute,
            60,
        )
        .await?;
    }
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
    let mut totp_step = None;
    if row.totp_enabled {
        let Some(code) = input.totp.as_deref().filter(|c| !c.trim().is_empty()) else {
            attempts::release(app, attempt).await?;
            return Err(AccountsError::TotpRequired.into());
        };
        let secret = open_totp_secret(app, &row)?;
        match totp::verify(&secret, code, now) {
            Some(step) => totp_step = Some(step),
            None => {
                let wrong = AppError::from(AccountsError::LoginTotpWrong);
                return Err(attempts::failed(app, ctx, attempt, wrong).await);
            }
        }
    }
    let token = format!("yst_{}", random_token::<32>());
    let session = SessionRow {
        id: sha256_hex(token.as_bytes()),
        account_id: row.id.clone(),
        created_at: now.0,
        expires_at: now.0 + app.settings().session_ttl_secs,
        revoked_at: None,
    };
    let mut tx = app.db().write().await?;
    if let Some(step) = totp_step {
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        if !tx.advance_totp_step(&row.id, step).await? {
            drop(tx);
            let replayed = AppError::from(AccountsError::LoginTotpReplayed);
            return Err(attempts::failed(app, ctx, attempt, replayed).await);
        }
    }
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
            after: json!({ "expires_at": session.expires_at, "ip": ctx.client_ip }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(LoginOutput {
        token,
        expires_at: Timestamp(session.expires_at),
        account: AccountView::from_row(&row)?,
    })
}

/// Resolves a bearer token to its actor.
pub async fn authenticate_token(app: &App, token: &str) -> Result<Actor, AppError> {
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
    actor_for(&row, AuthMethod::Session { session_id })
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
