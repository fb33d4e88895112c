//! TOTP as the second factor: enrolment with a sealed secret, and turning it on or off with a valid
//! code.

use serde_json::json;
use yuming_core::access::Actor;
use yuming_core::totp;
use yuming_store::AccountRow;

use super::account_row;
use super::attempts;
use crate::accounts::AccountsError;
use crate::platform::audit::{self, Change};
use crate::platform::crypto::random_bytes;
use crate::{App, AppError, RequestContext};

/// A TOTP secret being enrolled, shown once.
#[derive(Clone)]
pub struct TotpEnrolment {
    /// Base32 secret to type into an authenticator.
    pub secret: String,
    /// `otpauth://` URL for a QR code.
    pub otpauth_url: String,
}

impl std::fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never reach logs or panic messages.
        f.debug_struct("TotpEnrolment")
            .field("secret", &"<redacted>")
            .field("otpauth_url", &"<redacted>")
            .finish()
    }
}

fn totp_context(account_id: &str) -> String {
    format!("account.totp:{account_id}")
}

pub(super) fn open_totp_secret(app: &App, row: &AccountRow) -> Result<Vec<u8>, AppError> {
    let sealed = row
        .totp_secret
        .as_deref()
        .ok_or_else(|| AppError::internal("totp enabled without secret"))?;
    app.cipher()
        .open(sealed, &totp_context(&row.id))
        .map_err(|e| AppError::internal(format!("totp secret: {e}")))
}

/// Starts TOTP enrolment: stores a new secret (not yet enforced) and returns it once.
pub async fn totp_begin(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
) -> Result<TotpEnrolment, AppError> {
    actor.require_interactive()?;
    let secret = random_bytes::<20>();
    let sealed = app.cipher().seal(&secret, &totp_context(&actor.account_id));
    let mut tx = app.db().write().await?;
    let row = tx
        .account_by_id(&actor.account_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if row.totp_enabled {
        return Err(AccountsError::TotpAlreadyEnabled.into());
    }
    tx.set_totp(&row.id, Some(&sealed), false, 0, app.now().0)
        .await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "account.totp_begin",
            object_type: "account",
            object_id: &row.id,
            tenant: &row.tenant_id,
            before: serde_json::Value::Null,
            after: serde_json::Value::Null,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(TotpEnrolment {
        secret: totp::base32_encode(&secret),
        otpauth_url: totp::otpauth_url("Yuming", &row.email, &secret),
    })
}

/// The enrolment started and not yet confirmed, shown again (the console keeps showing the
/// QR code until the first code confirms it); `None` when none is pending or TOTP is on.
pub async fn totp_pending(app: &App, actor: &Actor) -> Result<Option<TotpEnrolment>, AppError> {
    actor.require_interactive()?;
    let row = account_row(app, &actor.account_id).await?;
    if row.totp_enabled || row.totp_secret.is_none() {
        return Ok(None);
    }
    let secret = open_totp_secret(app, &row)?;
    Ok(Some(TotpEnrolment {
        secret: totp::base32_encode(&secret),
        otpauth_url: totp::otpauth_url("Yuming", &row.email, &secret),
    }))
}

/// Confirms enrolment with a code from the authenticator, or disables TOTP with a current
/// code. The code counts as an attempt at the account's secrets (shared lockout with login),
/// and its time step is recorded as used, so the same code cannot log in afterwards.
pub async fn totp_set_enabled(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    code: &str,
    enable: bool,
) -> Result<(), AppError> {
    actor.require_interactive()?;
    let wrong_state = || {
        AppError::from(if enable {
            AccountsError::TotpNotStarted
        } else {
            AccountsError::TotpNotEnabled
        })
    };
    let row = account_row(app, &actor.account_id).await?;
    if row.totp_secret.is_none() || row.totp_enabled == enable {
        return Err(wrong_state());
    }
    let attempt = attempts::reserve(app, &row.id, &row.tenant_id).await?;
    let now = app.now();
    let secret = open_totp_secret(app, &row)?;
    let step = totp::verify(&secret, code, now)
        .map(|step| i64::try_from(step).unwrap_or(i64::MAX))
        .filter(|step| *step > row.totp_last_step);
    let Some(step) = step else {
        let wrong = AppError::from(AccountsError::InvalidTotp);
        return Err(attempts::failed(app, ctx, attempt, wrong).await);
    };
    let mut tx = app.db().write().await?;
    let current = tx
        .account_by_id(&row.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if current.totp_secret != row.totp_secret || current.totp_enabled != row.totp_enabled {
        // Changed meanwhile (another enrolment or a concurrent change): decide nothing.
        drop(tx);
        attempts::release(app, attempt).await?;
        return Err(wrong_state());
    }
    if !tx.advance_totp_step(&row.id, step).await? {
        drop(tx);
        let replayed = AppError::from(AccountsError::InvalidTotp);
        return Err(attempts::failed(app, ctx, attempt, replayed).await);
    }
    attempts::succeeded(app, &mut tx, attempt).await?;
    let stored = if enable {
        row.totp_secret.as_deref()
    } else {
        None
    };
    tx.set_totp(&row.id, stored, enable, step, now.0).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: if enable {
                "account.totp_enable"
            } else {
                "account.totp_disable"
            },
            object_type: "account",
            object_id: &row.id,
            tenant: &row.tenant_id,
            before: json!({ "totp_enabled": row.totp_enabled }),
            after: json!({ "totp_enabled": enable }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
