//! Submitting a confirmed cancellation: the second factor, the final checks and the move to review.

use serde_json::json;
use subtle::ConstantTimeEq;
use yuming_core::access::{Actor, Right};
use yuming_core::totp;

use super::{
    CODE_ATTEMPTS, CancellationView, MAX_DOCUMENT_BYTES, STEPS, code_context, document_context,
    load, not_draft, steps_of, view_of,
};
use crate::registrar::RegistrarError;
use crate::{App, AppError, RequestContext, accounts::attempts};

/// What `submit` takes.
#[derive(Debug, Clone, Default)]
pub struct Submission {
    /// The TOTP code (accounts with 2FA).
    pub totp: Option<String>,
    /// The e-mailed code (accounts without).
    pub code: Option<String>,
    /// A supporting document: file name and bytes.
    pub document: Option<(String, Vec<u8>)>,
}

fn wrong_code() -> AppError {
    AppError::from(RegistrarError::InvalidConfirmation)
}

/// Submits a completed checklist for staff review, confirmed with TOTP or the e-mailed code.
pub async fn submit(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    submission: Submission,
) -> Result<CancellationView, AppError> {
    let now = app.now();
    let bucket = format!("cancellation-code:{id}");
    let window = now.0 - now.0.rem_euclid(3_600);
    let account = {
        let mut tx = app.db().read().await?;
        let account = tx
            .account_by_id(&actor.account_id)
            .await?
            .ok_or_else(AppError::not_found)?;
        tx.commit().await?;
        account
    };
    // A TOTP code is an attempt at the account's secrets: it shares the login's counter and
    // lockout, reserved before anything is verified (see `attempts`).
    let attempt = if account.totp_enabled {
        Some(attempts::reserve(app, &account.id, &account.tenant_id).await?)
    } else {
        None
    };
    let prepared: Result<_, AppError> = async {
        let mut tx = app.db().write().await?;
        let (row, domain_rows) = load(&mut tx, actor, id, Right::DomainsManage).await?;
        if row.status != "draft" {
            return Err(not_draft());
        }
        if steps_of(&row).len() < STEPS.len() {
            return Err(RegistrarError::ChecklistIncomplete.into());
        }
        if tx.rate_counter(&bucket, window).await? >= CODE_ATTEMPTS {
            return Err(AppError::from(RegistrarError::ConfirmationLocked)
                .with_retry_after(window + 3_600 - now.0));
        }
        Ok::<_, AppError>((tx, row, domain_rows))
    }
    .await;
    let (mut tx, mut row, domain_rows) = match prepared {
        Ok(prepared) => prepared,
        Err(error) => {
            if let Some(attempt) = attempt {
                attempts::release(app, attempt).await?;
            }
            return Err(error);
        }
    };
    let confirmed = if account.totp_enabled {
        let secret = account
            .totp_secret
            .as_deref()
            .ok_or_else(|| AppError::internal("totp enabled without secret"))?;
        let secret = app
            .cipher()
            .open(secret, &format!("account.totp:{}", account.id))
            .map_err(|e| AppError::internal(format!("totp secret: {e}")))?;
        let step = submission
            .totp
            .as_deref()
            .and_then(|code| totp::verify(&secret, code, now))
            .map(|step| i64::try_from(step).unwrap_or(i64::MAX));
        match step {
            // Marked used in this transaction: the same code cannot log in or confirm again.
            Some(step) => tx.advance_totp_step(&account.id, step).await?,
            None => false,
        }
    } else {
        match (
            &row.code_sealed,
            row.code_expires_at,
            submission.code.as_deref(),
        ) {
            (Some(sealed), Some(expires), Some(given)) if now.0 < expires => {
                let stored = app
                    .cipher()
                    .open(sealed, &code_context(&row.id))
                    .map_err(|e| AppError::internal(format!("code: {e}")))?;
                bool::from(stored.as_slice().ct_eq(given.trim().as_bytes()))
            }
            _ => false,
        }
    };
    if !confirmed {
        drop(tx);
        let mut tx = app.db().write().await?;
        tx.hit_rate_counter(&bucket, window).await?;
        tx.commit().await?;
        let error = wrong_code();
        return Err(match attempt {
            Some(attempt) => attempts::failed(app, ctx, attempt, error.with_field("totp")).await,
            None => error,
        });
    }
    if let Some(attempt) = attempt {
        attempts::succeeded(app, &mut tx, attempt).await?;
    }
    let view = view_of(app, &mut tx, &row, &domain_rows).await?;
    if let Some((name, bytes)) = submission.document {
        if bytes.is_empty() || bytes.len() > MAX_DOCUMENT_BYTES || name.trim().is_empty() {
            return Err(RegistrarError::InvalidDocument.into());
        }
        row.document_sealed = Some(app.cipher().seal(&bytes, &document_context(&row.id)));
        row.document_name = Some(name.trim().chars().take(200).collect());
    }
    if view.requires_document && row.document_sealed.is_none() {
        return Err(RegistrarError::DocumentRequired.into());
    }
    row.status = "submitted".into();
    row.code_sealed = None;
    row.submitted_at = Some(now.0);
    row.updated_at = now.0;
    tx.update_cancellation(&row).await?;
    crate::platform::audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        crate::platform::audit::Change {
            action: "cancellation.submit",
            object_type: "cancellation",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: serde_json::Value::Null,
            after: json!({ "domains": domain_rows.iter().map(|d| &d.domain_name).collect::<Vec<_>>(), "document": row.document_name }),
        },
    )
    .await?;
    let view = view_of(app, &mut tx, &row, &domain_rows).await?;
    tx.commit().await?;
    Ok(view)
}
