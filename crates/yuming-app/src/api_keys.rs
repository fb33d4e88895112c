//! API keys: created and revoked by their owner, the secret shown once, requests signed with
//! HMAC-SHA256 (see `yuming_core::signing`) and checked against a replay-nonce store.

use serde_json::json;
use yuming_core::access::{Actor, AuthMethod, Right};
use yuming_core::clock::Timestamp;
use yuming_core::signing::{self, SignedParts};
use yuming_store::{ApiKeyRow, NewApiKey};

use crate::accounts::actor_of_account;
use crate::audit::{self, Change};
use crate::crypto::{new_id, random_token};
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
    /// Creation time.
    pub created_at: Timestamp,
    /// Last use.
    pub last_used_at: Option<Timestamp>,
    /// Revocation time.
    pub revoked_at: Option<Timestamp>,
}

impl From<&ApiKeyRow> for ApiKeyView {
    fn from(row: &ApiKeyRow) -> Self {
        ApiKeyView {
            id: row.id.clone(),
            name: row.name.clone(),
            account_id: row.account_id.clone(),
            created_at: Timestamp(row.created_at),
            last_used_at: row.last_used_at.map(Timestamp),
            revoked_at: row.revoked_at.map(Timestamp),
        }
    }
}

/// A new key with its secret, which is shown this once.
#[derive(Clone)]
pub struct CreatedApiKey {
    /// The key.
    pub key: ApiKeyView,
    /// The secret to sign with.
    pub secret: String,
}

fn digest_context(key_id: &str) -> String {
    format!("api_key.digest:{key_id}")
}

/// Creates a key for the actor.
pub async fn create(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    name: &str,
) -> Result<CreatedApiKey, AppError> {
    actor.require(Right::ApiKeysManage)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
        return Err(AppError::bad_request(
            "INVALID_NAME",
            "name must have 1 to 64 printable characters",
            "名称须为 1 到 64 个可打印字符",
        )
        .with_field("name"));
    }
    let id = new_id("yk");
    // 64 random bytes make an 86-character secret: longer than the HMAC block, so only its
    // SHA-256 is needed to verify (see yuming_core::signing).
    let secret = format!("ysk_{}", random_token::<64>());
    let digest = signing::signing_key_from_secret(&secret);
    let sealed = app.cipher().seal(&digest, &digest_context(&id));
    let now = app.now();
    let mut tx = app.db().write().await?;
    tx.insert_api_key(&NewApiKey {
        id: &id,
        account_id: &actor.account_id,
        tenant_id: &actor.tenant_id,
        name,
        secret_digest: &sealed,
        now: now.0,
    })
    .await?;
    let row = tx
        .api_key_by_id(&id)
        .await?
        .ok_or_else(|| AppError::internal("inserted key vanished"))?;
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
            after: json!({ "name": name, "account_id": actor.account_id }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(CreatedApiKey {
        key: ApiKeyView::from(&row),
        secret,
    })
}

/// The keys of the actor's tenant.
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<ApiKeyView>, AppError> {
    actor.require(Right::ApiKeysManage)?;
    let mut tx = app.db().read().await?;
    let rows = tx.api_keys_of_tenant(&actor.tenant_id).await?;
    tx.commit().await?;
    Ok(rows.iter().map(ApiKeyView::from).collect())
}

/// Revokes a key of the actor's tenant; another tenant's key is not found.
pub async fn revoke(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    key_id: &str,
) -> Result<ApiKeyView, AppError> {
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
    tx.commit().await?;
    Ok(ApiKeyView::from(&after))
}

/// The signature headers of a request.
#[derive(Debug, Clone, Copy)]
pub struct SignatureHeaders<'a> {
    /// `X-Yuming-Key`.
    pub key_id: &'a str,
    /// `X-Yuming-Signature`.
    pub signature: &'a str,
}

/// Authenticates a signed request: key, timestamp window, signature, then the nonce (only
/// after the signature holds, so that forged requests cannot fill the nonce store).
pub async fn authenticate_signed(
    app: &App,
    headers: SignatureHeaders<'_>,
    parts: &SignedParts<'_>,
) -> Result<Actor, AppError> {
    let unknown_key = || {
        AppError::unauthenticated(
            "INVALID_API_KEY",
            "unknown or revoked API key",
            "API 密钥不存在或已撤销",
        )
        .with_field("X-Yuming-Key")
    };
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
    if !tx.record_nonce(&row.id, parts.nonce, now.0).await? {
        return Err(AppError::unauthenticated(
            "REPLAYED_NONCE",
            "this nonce was already used",
            "该 Nonce 已被使用",
        )
        .with_field("X-Yuming-Nonce"));
    }
    tx.touch_api_key(&row.id, now.0).await?;
    let actor = actor_of_account(
        &mut tx,
        &row.account_id,
        AuthMethod::ApiKey {
            key_id: row.id.clone(),
        },
    )
    .await?
    .ok_or_else(unknown_key)?;
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
