//! E-mail verification of self sign-ups.
//!
//! A sign-up mails a link with a random token (only its SHA-256 is stored, and the outbox
//! keeps the link sealed). Using the link marks the address verified; until then the account
//! may log in and look around but cannot pay or register ([`require_verified`]). Sign-up
//! and re-send answer the same whether or not the address has an account, so neither tells
//! a stranger who is a customer.

use serde_json::{Map, Value, json};
use yuming_store::Tx;

use crate::accounts::AccountsError;
use crate::notify::notices::{self, NoticeKind, NoticeRequest, Secret};
use crate::platform::audit::{self, Change};
use crate::platform::crypto::{random_token, sha256_hex};
use crate::{App, AppError, RequestContext, platform::rate_limit};

/// Verification and attempt mails to one address per hour, at most; more are quietly not
/// sent (the answer must not differ), so a stranger cannot flood someone's mailbox.
pub const MAILS_PER_ADDRESS_PER_HOUR: i64 = 5;

fn invalid_token() -> AppError {
    AppError::from(AccountsError::InvalidVerificationToken)
}

fn not_verified() -> AppError {
    AppError::from(AccountsError::EmailNotVerified)
}

/// Refuses money and registrations for a tenant whose owner has not verified the address.
pub(crate) async fn require_verified(tx: &mut Tx, tenant: &str) -> Result<(), AppError> {
    let account = tx
        .account_by_id(tenant)
        .await?
        .ok_or_else(|| AppError::internal(format!("tenant {tenant} has no account")))?;
    match account.email_verified_at {
        Some(_) => Ok(()),
        None => Err(not_verified()),
    }
}

/// Counts a sign-up or a re-send against the source's hourly limit.
pub(crate) async fn count_signup(app: &App, ctx: &RequestContext) -> Result<(), AppError> {
    let limit = app.settings().signups_per_ip_per_hour;
    match &ctx.client_ip {
        Some(ip) if limit > 0 => {
            rate_limit::hit(app, &format!("signup:ip:{ip}"), limit, 3600).await
        }
        _ => Ok(()),
    }
}

/// Whether one more mail (a verification link or a sign-up attempt notice) may go to
/// `email` this hour.
pub(crate) async fn may_mail(app: &App, email: &str) -> Result<bool, AppError> {
    let bucket = format!("signup:mail:{}", sha256_hex(email.as_bytes()));
    rate_limit::allow(app, &bucket, MAILS_PER_ADDRESS_PER_HOUR, 3600).await
}

/// Writes a new verification link for the account in the caller's transaction: older
/// unused links end, the new token's hash is stored, and the mail is queued with the link
/// sealed.
pub(crate) async fn issue_link(
    app: &App,
    tx: &mut Tx,
    account_id: &str,
    display_name: &str,
) -> Result<(), AppError> {
    let now = app.now().0;
    let ttl = app.settings().email_verification_ttl_secs;
    let token = format!("yev_{}", random_token::<32>());
    let token_hash = sha256_hex(token.as_bytes());
    tx.retire_email_verifications(account_id, now).await?;
    tx.insert_email_verification(&token_hash, account_id, now, now + ttl)
        .await?;
    let link = format!(
        "{}/verify-email?token={token}",
        app.settings().public_url.trim_end_matches('/')
    );
    let mut params = Map::new();
    params.insert(
        "display_name".into(),
        Value::String(display_name.to_owned()),
    );
    params.insert("hours".into(), json!(ttl / 3600));
    let request = NoticeRequest {
        account_id: account_id.to_owned(),
        kind: NoticeKind::EmailVerification,
        occasion: format!("verify:{}", &token_hash[..16]),
        params,
        sms_to: None,
    };
    let secret = Secret {
        text: &link,
        cipher: app.cipher(),
    };
    notices::enqueue_with_secret(tx, &request, Some(secret), now).await?;
    Ok(())
}

/// Tells the owner of `account_id` that someone tried to sign up with the address, unless
/// the address had its hourly share of mails.
pub(crate) async fn signup_attempted(
    app: &App,
    account_id: &str,
    email: &str,
) -> Result<(), AppError> {
    if !may_mail(app, email).await? {
        return Ok(());
    }
    let now = app.now().0;
    let mut params = Map::new();
    params.insert("email".into(), Value::String(email.to_owned()));
    let request = NoticeRequest {
        account_id: account_id.to_owned(),
        kind: NoticeKind::SignupAttempt,
        // At most one such mail an hour per account, however many attempts.
        occasion: format!("signup-attempt:{}", now - now.rem_euclid(3600)),
        params,
        sms_to: None,
    };
    let mut tx = app.db().write().await?;
    notices::enqueue(&mut tx, &request, now).await?;
    tx.commit().await?;
    Ok(())
}

/// Uses a verification token: the account's address is verified, its other links end and
/// verification mails still waiting are cancelled.
///
/// # Errors
/// `INVALID_VERIFICATION_TOKEN` (400) for an unknown, used or expired token.
pub async fn verify_email(app: &App, ctx: &RequestContext, token: &str) -> Result<(), AppError> {
    let token = token.trim();
    if token.is_empty() || token.len() > 128 {
        return Err(invalid_token());
    }
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    let Some(account_id) = tx
        .use_email_verification(&sha256_hex(token.as_bytes()), now)
        .await?
    else {
        return Err(invalid_token());
    };
    let account = tx
        .account_by_id(&account_id)
        .await?
        .ok_or_else(|| AppError::internal("verified account vanished"))?;
    if !tx.mark_email_verified(&account_id, now).await? {
        // Verified already (through another link): the token is spent, nothing changes.
        tx.commit().await?;
        return Ok(());
    }
    tx.retire_email_verifications(&account_id, now).await?;
    tx.cancel_pending_notices(&account_id, NoticeKind::EmailVerification.as_str(), now)
        .await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &account_id,
        Change {
            action: "account.email_verified",
            object_type: "account",
            object_id: &account_id,
            tenant: &account.tenant_id,
            before: json!({ "email_verified": false }),
            after: json!({ "email_verified": true }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Mails a fresh link to `email` when it belongs to an account still waiting for
/// verification; answers the same in every case (after the per-source limit).
pub async fn resend(app: &App, ctx: &RequestContext, email: &str) -> Result<(), AppError> {
    count_signup(app, ctx).await?;
    let Ok(email) = yuming_core::credentials::Email::parse(email) else {
        return Ok(());
    };
    let account = {
        let mut tx = app.db().read().await?;
        let row = tx.account_by_email(email.as_str()).await?;
        tx.commit().await?;
        row
    };
    let Some(account) = account.filter(|a| a.email_verified_at.is_none() && a.status == "active")
    else {
        return Ok(());
    };
    if !may_mail(app, email.as_str()).await? {
        return Ok(());
    }
    let mut tx = app.db().write().await?;
    issue_link(app, &mut tx, &account.id, &account.display_name).await?;
    tx.commit().await?;
    Ok(())
}
