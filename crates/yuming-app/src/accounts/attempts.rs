//! The one counter of attempts at an account's secrets: the password at login and at a
//! password change, and every TOTP code (login, enabling and disabling TOTP, confirming a
//! cancellation). All of them share the account's failed-attempt counter and its lockout
//! (`AppSettings::lockout`), so guessing a second factor with a stolen session locks the
//! account just as guessing the password does.
//!
//! An attempt is reserved before the secret is verified ([`reserve`]: one conditional
//! `UPDATE` that counts it and refuses it while the account is locked), then settled:
//! [`failed`] keeps it counted, [`succeeded`] takes back the failures up to its own
//! reservation, [`release`] takes back only itself. Concurrent attempts therefore each count
//! before any is verified, and a right one cannot wipe out wrong ones reserved after it.

use serde_json::json;
use yuming_core::clock::Timestamp;
use yuming_store::{Reservation, Settlement, Tx};

use crate::accounts::AccountsError;
use crate::platform::audit::{self, Change};
use crate::{App, AppError, RequestContext};

/// A reserved attempt, to be settled exactly once.
#[derive(Debug)]
#[must_use = "a reserved attempt must be settled"]
pub(crate) struct Attempt {
    account_id: String,
    tenant_id: String,
    count: i64,
    locks_until: Option<i64>,
}

/// The error of a locked account.
pub(crate) fn locked(until: Timestamp, now: Timestamp) -> AppError {
    let secs = (until.0 - now.0).max(1);
    AppError::from(AccountsError::AccountLocked { secs }).with_retry_after(secs)
}

/// Counts an attempt before its secret is verified; `ACCOUNT_LOCKED` (429) while locked.
pub(crate) async fn reserve(
    app: &App,
    account_id: &str,
    tenant_id: &str,
) -> Result<Attempt, AppError> {
    let now = app.now();
    let policy = app.settings().lockout;
    let mut tx = app.db().write().await?;
    let reservation = tx
        .reserve_attempt(account_id, now.0, |count| {
            policy.locked_until(count, now).map(|t| t.0)
        })
        .await?;
    tx.commit().await?;
    match reservation {
        Reservation::Reserved { count, locks_until } => Ok(Attempt {
            account_id: account_id.to_owned(),
            tenant_id: tenant_id.to_owned(),
            count,
            locks_until,
        }),
        Reservation::Locked { until } => Err(locked(Timestamp(until), now)),
        Reservation::NoAccount => Err(AppError::not_found()),
    }
}

/// Settles a wrong secret: the attempt stays counted. Returns the error to send: `error`, or
/// `ACCOUNT_LOCKED` when this failure locked the account (audited as `account.locked`).
pub(crate) async fn failed(
    app: &App,
    ctx: &RequestContext,
    attempt: Attempt,
    error: AppError,
) -> AppError {
    let Some(until) = attempt.locks_until else {
        return error;
    };
    let outcome: Result<(), AppError> = async {
        let mut tx = app.db().write().await?;
        audit::record(
            app,
            &mut tx,
            ctx,
            &attempt.account_id,
            Change {
                action: "account.locked",
                object_type: "account",
                object_id: &attempt.account_id,
                tenant: &attempt.tenant_id,
                before: json!({ "failed_logins": attempt.count - 1 }),
                after: json!({ "failed_logins": attempt.count, "locked_until": until }),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => locked(Timestamp(until), app.now()),
        Err(store_error) => store_error,
    }
}

/// Settles a right secret inside the caller's transaction (the one that acts on it).
pub(crate) async fn succeeded(app: &App, tx: &mut Tx, attempt: Attempt) -> Result<(), AppError> {
    tx.settle_attempt(
        &attempt.account_id,
        Settlement::Success {
            count: attempt.count,
        },
        app.settings().lockout.threshold,
        app.now().0,
    )
    .await?;
    Ok(())
}

/// Takes back an attempt that decided nothing (a TOTP code still to come, a refused state).
pub(crate) async fn release(app: &App, attempt: Attempt) -> Result<(), AppError> {
    let mut tx = app.db().write().await?;
    tx.settle_attempt(
        &attempt.account_id,
        Settlement::Release,
        app.settings().lockout.threshold,
        app.now().0,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
