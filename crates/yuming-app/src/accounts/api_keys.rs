//! API keys: created and revoked by their owner at a login session, the secret shown once,
//! requests signed with HMAC-SHA256 (see `yuming_core::signing`) and checked against a
//! replay-nonce store. A key carries only its scopes of its account's rights
//! (`yuming_core::api_key`), may be limited to source networks, and has call quotas per
//! minute and per day counted in the shared `rate_counters`.

use std::net::IpAddr;

use serde_json::json;
use yuming_core::access::{Actor, AuthMethod, Right};
use yuming_core::api_key::{AllowListError, Quota, ScopeSet, SourceAllowList};
use yuming_core::clock::Timestamp;
use yuming_core::signing::{self, SignedParts};
use yuming_store::{ApiKeyRow, NewApiKey, Tx};

use crate::accounts::AccountsError;
use crate::accounts::actor_of_account;
use crate::platform::audit::{self, Change};
use crate::platform::crypto::{new_id, random_token};
use crate::{App, AppError, RequestContext};

/// What the API shows of a key (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyView {
    /// Public key id.
    pub id: String,
    /// Label.
    pub name: String,
    /// The account whose rights the key carries.
    pub account_id: String,
    /// What the key may do.
    pub scopes: ScopeSet,
    /// Source networks it may be used from (empty: any).
    pub allowed_cidrs: Vec<String>,
    /// Its call quotas.
    pub quota: Quota,
    /// Calls counted in the current windows.
    pub usage: ApiKeyUsage,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last use.
    pub last_used_at: Option<Timestamp>,
    /// Revocation time.
    pub revoked_at: Option<Timestamp>,
}

/// Calls of a key counted against its quotas in the current windows (UTC minute and day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiKeyUsage {
    /// Calls in the current minute.
    pub minute: i64,
    /// When the minute window ends.
    pub minute_resets_at: Timestamp,
    /// Calls in the current day.
    pub day: i64,
    /// When the day window ends.
    pub day_resets_at: Timestamp,
}

const MINUTE: i64 = 60;
const DAY: i64 = 86_400;

fn bucket(key_id: &str, window_secs: i64) -> String {
    if window_secs == MINUTE {
        format!("api_key:{key_id}:minute")
    } else {
        format!("api_key:{key_id}:day")
    }
}

fn window_start(now: Timestamp, window_secs: i64) -> i64 {
    now.0 - now.0.rem_euclid(window_secs)
}

async fn usage_of(tx: &mut Tx, key_id: &str, now: Timestamp) -> Result<ApiKeyUsage, AppError> {
    let minute_start = window_start(now, MINUTE);
    let day_start = window_start(now, DAY);
    Ok(ApiKeyUsage {
        minute: tx
            .rate_counter(&bucket(key_id, MINUTE), minute_start)
            .await?,
        minute_resets_at: Timestamp(minute_start + MINUTE),
        day: tx.rate_counter(&bucket(key_id, DAY), day_start).await?,
        day_resets_at: Timestamp(day_start + DAY),
    })
}

fn stored_scopes(row: &ApiKeyRow) -> Result<ScopeSet, AppError> {
    ScopeSet::parse_list(row.scopes.split(','))
        .map_err(|bad| AppError::internal(format!("stored scope {bad:?} is unknown")))
}

fn stored_allow_list(row: &ApiKeyRow) -> Result<SourceAllowList, AppError> {
    SourceAllowList::parse(row.allowed_cidrs.split(','))
        .map_err(|e| AppError::internal(format!("stored allow-list: {e}")))
}

async fn view_of(tx: &mut Tx, row: &ApiKeyRow, now: Timestamp) -> Result<ApiKeyView, AppError> {
    Ok(ApiKeyView {
        id: row.id.clone(),
        name: row.name.clone(),
        account_id: row.account_id.clone(),
        scopes: stored_scopes(row)?,
        allowed_cidrs: stored_allow_list(row)?.to_strings(),
        quota: Quota {
            per_minute: row.per_minute,
            per_day: row.per_day,
        },
        usage: usage_of(tx, &row.id, now).await?,
        created_at: Timestamp(row.created_at),
        last_used_at: row.last_used_at.map(Timestamp),
        revoked_at: row.revoked_at.map(Timestamp),
    })
}

/// A new key with its secret, which is shown this once.
#[derive(Clone)]
pub struct CreatedApiKey {
    /// The key.
    pub key: ApiKeyView,
    /// The secret to sign with.
    pub secret: String,
}

/// What the owner chooses for a new key.
#[derive(Debug, Clone, Default)]
pub struct NewApiKeyInput {
    /// Label, 1–64 printable characters.
    pub name: String,
    /// Scope names (`read`, `domains`, `dns`, `billing`, `filing`, `webhooks`, `staff`); at
    /// least one, each covering some right the account holds.
    pub scopes: Vec<String>,
    /// Source networks (`203.0.113.0/24`, `2001:db8::/48`, single addresses); empty: any.
    pub allowed_cidrs: Vec<String>,
    /// Calls per minute (default and bounds in `yuming_core::api_key::Quota`).
    pub per_minute: Option<i64>,
    /// Calls per day.
    pub per_day: Option<i64>,
}

struct CheckedKey {
    name: String,
    scopes: ScopeSet,
    allow_list: SourceAllowList,
    quota: Quota,
}

fn check_new_key(actor: &Actor, input: &NewApiKeyInput) -> Result<CheckedKey, AppError> {
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(AccountsError::InvalidName.into());
    }
    let scopes = ScopeSet::parse_list(input.scopes.iter().map(String::as_str))
        .map_err(|scope| AccountsError::UnknownScope { scope })?;
    if scopes.is_empty() {
        return Err(AccountsError::ScopesRequired.into());
    }
    if let Some(scope) = scopes
        .iter()
        .find(|scope| actor.rights.intersection(scope.rights()) == Default::default())
    {
        return Err(AccountsError::ScopeNotHeld {
            scope: scope.as_str().to_owned(),
        }
        .into());
    }
    let allow_list = SourceAllowList::parse(input.allowed_cidrs.iter().map(String::as_str))
        .map_err(|e| {
            let reason = e.to_string();
            match e {
                AllowListError::Invalid(_) => AccountsError::InvalidCidr { reason },
                AllowListError::TooMany => AccountsError::TooManyCidrs { reason },
            }
        })?;
    let quota = Quota::new(input.per_minute, input.per_day)
        .map_err(|field| AccountsError::InvalidQuota { field })?;
    Ok(CheckedKey {
        name: name.to_owned(),
        scopes,
        allow_list,
        quota,
    })
}

fn digest_context(key_id: &str) -> String {
    format!("api_key.digest:{key_id}")
}

/// Creates a key for the actor (at a login session only).
pub async fn create(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    input: NewApiKeyInput,
) -> Result<CreatedApiKey, AppError> {
    actor.require_interactive()?;
    actor.require(Right::ApiKeysManage)?;
    let checked = check_new_key(actor, &input)?;
    let id = new_id("yk");
    // 64 random bytes make an 86-character secret: longer than the HMAC block, so only its
    // SHA-256 is needed to verify (see yuming_core::signing).
    let secret = format!("ysk_{}", random_token::<64>());
    let digest = signing::signing_key_from_secret(&secret);
    let sealed = app.cipher().seal(&digest, &digest_context(&id));
    let now = app.now();
    let scopes = checked.scopes.to_storage();
    let allowed_cidrs = checked.allow_list.to_storage();
    let mut tx = app.db().write().await?;
    tx.insert_api_key(&NewApiKey {
        id: &id,
        account_id: &actor.account_id,
        tenant_id: &actor.tenant_id,
        name: &checked.name,
        secret_digest: &sealed,
        scopes: &scopes,
        allowed_cidrs: &allowed_cidrs,
        per_minute: checked.quota.per_minute,
        per_day: checked.quota.per_day,
        now: now.0,
    })
    .await?;
    let row = tx
        .api_key_by_id(&id)
        .await?
        .ok_or_else(|| AppError::internal("inserted key vanished"))?;
    let view = view_of(&mut tx, &row, now).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "api_key.create",
            object_type: "api_key",
            object_id: &id,
            tenant: &actor.tenant_id,
            before: serde_json::Value::Null,
            after: json!({
                "name": checked.name,
                "account_id": actor.account_id,
                "scopes": scopes,
                "allowed_cidrs": allowed_cidrs,
                "per_minute": checked.quota.per_minute,
                "per_day": checked.quota.per_day,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedApiKey { key: view, secret })
}

/// The keys of the actor's tenant, with their current usage.
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<ApiKeyView>, AppError> {
    actor.require_interactive()?;
    actor.require(Right::ApiKeysManage)?;
    let now = app.now();
    let mut tx = app.db().read().await?;
    let rows = tx.api_keys_of_tenant(&actor.tenant_id).await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in &rows {
        views.push(view_of(&mut tx, row, now).await?);
    }
    tx.commit().await?;
    Ok(views)
}

/// One key of the actor's tenant with its current usage; another tenant's key is not found.
pub async fn get(app: &App, actor: &Actor, key_id: &str) -> Result<ApiKeyView, AppError> {
    actor.require_interactive()?;
    let now = app.now();
    let mut tx = app.db().read().await?;
    let row = tx
        .api_key_by_id(key_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    actor.authorize(&row.tenant_id, Right::ApiKeysManage)?;
    let view = view_of(&mut tx, &row, now).await?;
    tx.commit().await?;
    Ok(view)
}

/// Revokes a key of the actor's tenant; another tenant's key is not found.
pub async fn revoke(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    key_id: &str,
) -> Result<ApiKeyView, AppError> {
    actor.require_interactive()?;
    let mut tx = app.db().write().await?;
    let row = tx
        .api_key_by_id(key_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    actor.authorize(&row.tenant_id, Right::ApiKeysManage)?;
    let now = app.now();
    tx.revoke_api_key(&row.id, now.0).await?;
    let after = tx
        .api_key_by_id(key_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if row.revoked_at.is_none() {
        audit::record(
            app,
            &mut tx,
            ctx,
            &actor.account_id,
            Change {
                action: "api_key.revoke",
                object_type: "api_key",
                object_id: &row.id,
                tenant: &row.tenant_id,
                before: json!({ "revoked_at": null }),
                after: json!({ "revoked_at": now.0 }),
            },
        )
        .await?;
    }
    let view = view_of(&mut tx, &after, now).await?;
    tx.commit().await?;
    Ok(view)
}

/// The signature headers of a request.
#[derive(Debug, Clone, Copy)]
pub struct SignatureHeaders<'a> {
    /// `X-Yuming-Key`.
    pub key_id: &'a str,
    /// `X-Yuming-Signature`.
    pub signature: &'a str,
}

/// Authenticates a signed request: key, timestamp window, signature, then the source
/// allow-list, the nonce and the quotas (only after the signature holds, so that forged
/// requests cannot fill the nonce store or spend the owner's quota). A request over a quota
/// counts nothing and records no nonce. The actor carries the key's scopes of its account's
/// rights.
pub async fn authenticate_signed(
    app: &App,
    headers: SignatureHeaders<'_>,
    parts: &SignedParts<'_>,
    source: Option<IpAddr>,
) -> Result<Actor, AppError> {
    let unknown_key = || AppError::from(AccountsError::InvalidApiKey);
    if headers.key_id.is_empty() || headers.key_id.len() > 64 {
        return Err(unknown_key());
    }
    let now = app.now();
    let mut tx = app.db().write().await?;
    let row = tx
        .api_key_by_id(headers.key_id)
        .await?
        .ok_or_else(unknown_key)?;
    if row.revoked_at.is_some() {
        return Err(unknown_key());
    }
    let digest = app
        .cipher()
        .open(&row.secret_digest, &digest_context(&row.id))
        .map_err(|e| AppError::internal(format!("api key digest: {e}")))?;
    signing::verify(&digest, parts, headers.signature, now)?;
    if !stored_allow_list(&row)?.allows(source) {
        return Err(AccountsError::ApiKeySourceNotAllowed.into());
    }
    if !tx.record_nonce(&row.id, parts.nonce, now.0).await? {
        return Err(AccountsError::ReplayedNonce.into());
    }
    for (window_secs, limit) in [(MINUTE, row.per_minute), (DAY, row.per_day)] {
        let start = window_start(now, window_secs);
        let calls = tx
            .hit_rate_counter(&bucket(&row.id, window_secs), start)
            .await?;
        if calls > limit {
            let retry_after = (start + window_secs - now.0).max(1);
            let exceeded = AccountsError::ApiKeyQuotaExceeded {
                limit,
                per_day: window_secs != MINUTE,
                retry_after,
            };
            return Err(AppError::from(exceeded).with_retry_after(retry_after));
        }
    }
    tx.touch_api_key(&row.id, now.0).await?;
    let scopes = stored_scopes(&row)?;
    let mut actor = actor_of_account(
        &mut tx,
        &row.account_id,
        AuthMethod::ApiKey {
            key_id: row.id.clone(),
            scopes,
        },
    )
    .await?
    .ok_or_else(unknown_key)?;
    actor.rights = actor.rights.intersection(scopes.rights());
    tx.commit().await?;
    Ok(actor)
}

impl std::fmt::Debug for CreatedApiKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret never reaches logs or panic messages.
        f.debug_struct("CreatedApiKey")
            .field("key", &self.key)
            .field("secret", &"<redacted>")
            .finish()
    }
}
