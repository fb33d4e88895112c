//! Passkeys (WebAuthn credentials) and the one-time challenges of their ceremonies.

use crate::db::{StoreError, Tx, map_err};

/// A passkey as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PasskeyRow {
    /// Opaque id, used in URLs.
    pub id: String,
    /// The account it is a second factor of.
    pub account_id: String,
    /// That account's tenant.
    pub tenant_id: String,
    /// The authenticator's credential id, base64url.
    pub credential_id: String,
    /// The COSE_Key bytes.
    pub public_key: Vec<u8>,
    /// COSE algorithm.
    pub algorithm: i64,
    /// The last signature counter seen.
    pub sign_count: i64,
    /// The user's label.
    pub name: String,
    /// 1 when the credential may be synced between devices.
    pub backup_eligible: i64,
    /// Registration time.
    pub created_at: i64,
    /// Last login with it.
    pub last_used_at: Option<i64>,
}

/// A challenge as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WebauthnChallengeRow {
    /// Opaque id the browser sends back.
    pub id: String,
    /// The account it was issued to.
    pub account_id: String,
    /// `register` or `login`.
    pub purpose: String,
    /// The random challenge.
    pub challenge: Vec<u8>,
    /// Unusable after this.
    pub expires_at: i64,
    /// When it was used, once.
    pub used_at: Option<i64>,
}

macro_rules! passkey_columns {
    () => {
        "id, account_id, tenant_id, credential_id, public_key, algorithm, sign_count, name, \
         backup_eligible, created_at, last_used_at"
    };
}

impl Tx {
    /// Stores a new passkey.
    pub async fn insert_passkey(&mut self, row: &PasskeyRow) -> Result<(), StoreError> {
        let sql = concat!(
            "INSERT INTO passkeys (",
            passkey_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        );
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.account_id)
            .bind(&row.tenant_id)
            .bind(&row.credential_id)
            .bind(&row.public_key)
            .bind(row.algorithm)
            .bind(row.sign_count)
            .bind(&row.name)
            .bind(row.backup_eligible)
            .bind(row.created_at)
            .bind(row.last_used_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// The passkeys of an account, oldest first.
    pub async fn passkeys_of_account(
        &mut self,
        account_id: &str,
    ) -> Result<Vec<PasskeyRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            passkey_columns!(),
            " FROM passkeys WHERE account_id = $1 ORDER BY created_at, id"
        );
        on_conn!(self, c => sqlx::query_as::<_, PasskeyRow>(sql).bind(account_id).fetch_all(c).await.map_err(map_err))
    }

    /// The passkey with this credential id.
    pub async fn passkey_by_credential(
        &mut self,
        credential_id: &str,
    ) -> Result<Option<PasskeyRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            passkey_columns!(),
            " FROM passkeys WHERE credential_id = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, PasskeyRow>(sql).bind(credential_id).fetch_optional(c).await.map_err(map_err))
    }

    /// Records a login with a passkey: its new counter, if the stored one is still `seen`
    /// (a concurrent login with a cloned key loses). Returns whether it was updated.
    pub async fn advance_passkey(
        &mut self,
        id: &str,
        seen: i64,
        sign_count: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE passkeys SET sign_count = $3, last_used_at = $4 \
                   WHERE id = $1 AND sign_count = $2";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(seen)
            .bind(sign_count)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// Deletes a passkey of an account; returns whether there was one.
    pub async fn delete_passkey(&mut self, account_id: &str, id: &str) -> Result<bool, StoreError> {
        let sql = "DELETE FROM passkeys WHERE id = $1 AND account_id = $2";
        let n = on_conn!(self, c => sqlx::query(sql).bind(id).bind(account_id).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(n == 1)
    }

    /// Stores a challenge.
    pub async fn insert_webauthn_challenge(
        &mut self,
        row: &WebauthnChallengeRow,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO webauthn_challenges (id, account_id, purpose, challenge, expires_at, \
                   used_at) VALUES ($1, $2, $3, $4, $5, $6)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.account_id)
            .bind(&row.purpose)
            .bind(&row.challenge)
            .bind(row.expires_at)
            .bind(row.used_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// The challenge with this id, used or not.
    pub async fn webauthn_challenge(
        &mut self,
        id: &str,
    ) -> Result<Option<WebauthnChallengeRow>, StoreError> {
        let sql = "SELECT id, account_id, purpose, challenge, expires_at, used_at \
                   FROM webauthn_challenges WHERE id = $1";
        on_conn!(self, c => sqlx::query_as::<_, WebauthnChallengeRow>(sql).bind(id).fetch_optional(c).await.map_err(map_err))
    }

    /// Uses up a live challenge of this account and purpose, returning it; `None` when it
    /// does not exist, is another account's, expired or was used already.
    pub async fn take_webauthn_challenge(
        &mut self,
        id: &str,
        account_id: &str,
        purpose: &str,
        now: i64,
    ) -> Result<Option<WebauthnChallengeRow>, StoreError> {
        let sql = "UPDATE webauthn_challenges SET used_at = $4 \
                   WHERE id = $1 AND account_id = $2 AND purpose = $3 AND used_at IS NULL \
                   AND expires_at > $4 \
                   RETURNING id, account_id, purpose, challenge, expires_at, used_at";
        on_conn!(self, c => sqlx::query_as::<_, WebauthnChallengeRow>(sql)
            .bind(id)
            .bind(account_id)
            .bind(purpose)
            .bind(now)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }
}
