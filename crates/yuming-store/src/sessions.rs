//! Login sessions, stored so that every instance behind a load balancer shares them.

use crate::db::{StoreError, Tx, map_err};

/// A session as stored; `id` is the SHA-256 of the bearer token, never the token itself.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SessionRow {
    /// SHA-256 hex of the token.
    pub id: String,
    /// The account it belongs to.
    pub account_id: String,
    /// Creation time.
    pub created_at: i64,
    /// Expiry time.
    pub expires_at: i64,
    /// When it was revoked (logout, password change).
    pub revoked_at: Option<i64>,
    /// The address it was started from.
    pub ip: Option<String>,
    /// The browser or client that started it.
    pub user_agent: Option<String>,
}

impl Tx {
    /// Stores a new session.
    pub async fn insert_session(&mut self, session: &SessionRow) -> Result<(), StoreError> {
        let sql = "INSERT INTO sessions (id, account_id, created_at, expires_at, revoked_at, ip, \
                   user_agent) VALUES ($1, $2, $3, $4, $5, $6, $7)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&session.id)
            .bind(&session.account_id)
            .bind(session.created_at)
            .bind(session.expires_at)
            .bind(session.revoked_at)
            .bind(&session.ip)
            .bind(&session.user_agent)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// Revokes one session.
    pub async fn revoke_session(&mut self, id: &str, now: i64) -> Result<(), StoreError> {
        let sql = "UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";
        on_conn!(self, c => sqlx::query(sql).bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }

    /// Revokes every live session of an account except `keep` (after a password change).
    pub async fn revoke_sessions_except(
        &mut self,
        account_id: &str,
        keep: Option<&str>,
        now: i64,
    ) -> Result<u64, StoreError> {
        let sql = "UPDATE sessions SET revoked_at = $3 WHERE account_id = $1 AND revoked_at IS NULL \
                   AND ($2 IS NULL OR id <> $2)";
        let result = on_conn!(self, c => sqlx::query(sql)
            .bind(account_id)
            .bind(keep)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(result)
    }

    /// The live sessions of an account, newest first (at most 100).
    pub async fn live_sessions(
        &mut self,
        account_id: &str,
        now: i64,
    ) -> Result<Vec<SessionRow>, StoreError> {
        let sql = "SELECT id, account_id, created_at, expires_at, revoked_at, ip, user_agent FROM sessions \
                   WHERE account_id = $1 AND revoked_at IS NULL AND expires_at > $2 \
                   ORDER BY created_at DESC, id LIMIT 100";
        on_conn!(self, c => sqlx::query_as::<_, SessionRow>(sql)
            .bind(account_id)
            .bind(now)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Revokes one live session of an account; false when it has no such session.
    pub async fn revoke_session_of(
        &mut self,
        account_id: &str,
        id: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE sessions SET revoked_at = $3 \
                   WHERE account_id = $1 AND id = $2 AND revoked_at IS NULL";
        let changed = on_conn!(self, c => sqlx::query(sql)
            .bind(account_id)
            .bind(id)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(changed == 1)
    }
}
