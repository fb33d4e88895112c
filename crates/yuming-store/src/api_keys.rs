//! API keys and the replay-nonce store of signed requests.

use crate::db::{StoreError, Tx, map_err};

/// An API key as stored. The secret itself is never stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiKeyRow {
    /// Public key id sent in `X-Yuming-Key`.
    pub id: String,
    /// The account that created it and whose rights it carries.
    pub account_id: String,
    /// The owning tenant.
    pub tenant_id: String,
    /// The user's label.
    pub name: String,
    /// SHA-256 of the secret, encrypted with the master key.
    pub secret_digest: Vec<u8>,
    /// Creation time.
    pub created_at: i64,
    /// Last successful use.
    pub last_used_at: Option<i64>,
    /// Revocation time.
    pub revoked_at: Option<i64>,
    /// Scopes, comma-separated names.
    pub scopes: String,
    /// Source networks allowed, comma-separated; empty for any.
    pub allowed_cidrs: String,
    /// Calls allowed per minute.
    pub per_minute: i64,
    /// Calls allowed per day.
    pub per_day: i64,
}

/// The fields of a new key.
#[derive(Debug, Clone)]
pub struct NewApiKey<'a> {
    /// Public key id.
    pub id: &'a str,
    /// Creating account.
    pub account_id: &'a str,
    /// Owning tenant.
    pub tenant_id: &'a str,
    /// Label.
    pub name: &'a str,
    /// Encrypted digest of the secret.
    pub secret_digest: &'a [u8],
    /// Scopes, storage form.
    pub scopes: &'a str,
    /// Allowed source networks, storage form.
    pub allowed_cidrs: &'a str,
    /// Calls allowed per minute.
    pub per_minute: i64,
    /// Calls allowed per day.
    pub per_day: i64,
    /// Creation time.
    pub now: i64,
}

macro_rules! api_key_columns {
    () => {
        "id, account_id, tenant_id, name, secret_digest, created_at, last_used_at, revoked_at, \
         scopes, allowed_cidrs, per_minute, per_day"
    };
}

impl Tx {
    /// Stores a new key.
    pub async fn insert_api_key(&mut self, key: &NewApiKey<'_>) -> Result<(), StoreError> {
        let sql = "INSERT INTO api_keys (id, account_id, tenant_id, name, secret_digest, created_at, \
                   scopes, allowed_cidrs, per_minute, per_day) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(key.id)
            .bind(key.account_id)
            .bind(key.tenant_id)
            .bind(key.name)
            .bind(key.secret_digest)
            .bind(key.now)
            .bind(key.scopes)
            .bind(key.allowed_cidrs)
            .bind(key.per_minute)
            .bind(key.per_day)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// The key with this id.
    pub async fn api_key_by_id(&mut self, id: &str) -> Result<Option<ApiKeyRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            api_key_columns!(),
            " FROM api_keys WHERE id = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, ApiKeyRow>(sql).bind(id).fetch_optional(c).await.map_err(map_err))
    }

    /// The keys of a tenant, newest first.
    pub async fn api_keys_of_tenant(
        &mut self,
        tenant_id: &str,
    ) -> Result<Vec<ApiKeyRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            api_key_columns!(),
            " FROM api_keys WHERE tenant_id = $1 ORDER BY created_at DESC, id"
        );
        on_conn!(self, c => sqlx::query_as::<_, ApiKeyRow>(sql).bind(tenant_id).fetch_all(c).await.map_err(map_err))
    }

    /// Revokes a key.
    pub async fn revoke_api_key(&mut self, id: &str, now: i64) -> Result<(), StoreError> {
        let sql = "UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
        on_conn!(self, c => sqlx::query(sql).bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }

    /// Notes a successful use (at most once a minute, to keep hot keys from writing often).
    pub async fn touch_api_key(&mut self, id: &str, now: i64) -> Result<(), StoreError> {
        let sql = "UPDATE api_keys SET last_used_at = $2 WHERE id = $1 \
                   AND (last_used_at IS NULL OR last_used_at < $2 - 60)";
        on_conn!(self, c => sqlx::query(sql).bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }

    /// Records a nonce; returns false if this key already used it (a replay).
    pub async fn record_nonce(
        &mut self,
        key_id: &str,
        nonce: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO api_nonces (key_id, nonce, seen_at) VALUES ($1, $2, $3) \
                   ON CONFLICT (key_id, nonce) DO NOTHING";
        let result = on_conn!(self, c => sqlx::query(sql)
            .bind(key_id)
            .bind(nonce)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(result == 1)
    }
}
