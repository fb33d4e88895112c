//! Purging of ephemeral rows (expired sessions, old nonces, idempotency keys and rate
//! windows). Business rows are never deleted; these are security bookkeeping only.

use crate::db::{StoreError, Tx, map_err};

impl Tx {
    /// Deletes ephemeral rows that can no longer matter at `now`; returns how many.
    pub async fn purge_ephemeral(
        &mut self,
        now: i64,
        nonce_horizon_secs: i64,
        idempotency_horizon_secs: i64,
    ) -> Result<u64, StoreError> {
        let statements: [(&str, i64); 5] = [
            (
                "DELETE FROM api_nonces WHERE seen_at < $1",
                now - nonce_horizon_secs,
            ),
            ("DELETE FROM sessions WHERE expires_at < $1", now - 86_400),
            (
                "DELETE FROM idempotency_keys WHERE created_at < $1",
                now - idempotency_horizon_secs,
            ),
            (
                "DELETE FROM webauthn_challenges WHERE expires_at < $1",
                now - 3_600,
            ),
            (
                "DELETE FROM rate_counters WHERE window_start < $1",
                now - 2 * 86_400,
            ),
        ];
        let mut total = 0;
        for (sql, cutoff) in statements {
            total += on_conn!(self, c => sqlx::query(sql).bind(cutoff).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        }
        Ok(total)
    }
}
