//! Purging of ephemeral rows (expired sessions, old nonces, idempotency keys, rate windows,
//! and the raw bodies of payment notifies once processed and half a year old — the payment
//! rows and the audit log keep what they decided). Business rows are never deleted.

use crate::db::{StoreError, Tx, map_err};

/// How long a processed payment notify's raw body is kept: 180 days.
pub const PAYMENT_NOTIFY_RETENTION_SECS: i64 = 180 * 86_400;

impl Tx {
    /// Deletes ephemeral rows that can no longer matter at `now`; returns how many.
    pub async fn purge_ephemeral(
        &mut self,
        now: i64,
        nonce_horizon_secs: i64,
        idempotency_horizon_secs: i64,
    ) -> Result<u64, StoreError> {
        let statements: [(&str, i64); 6] = [
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
            (
                "DELETE FROM payment_notifications WHERE processed_at IS NOT NULL AND received_at < $1",
                now - PAYMENT_NOTIFY_RETENTION_SECS,
            ),
        ];
        let mut total = 0;
        for (sql, cutoff) in statements {
            total += on_conn!(self, c => sqlx::query(sql).bind(cutoff).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        }
        Ok(total)
    }
}
