//! Fixed-window rate counters in the database, so that limits hold across restarts and are
//! shared by every instance.

use crate::db::{StoreError, Tx, map_err};

impl Tx {
    /// Adds one hit to `bucket` in the window starting at `window_start` and returns the
    /// window's count including this hit.
    pub async fn hit_rate_counter(
        &mut self,
        bucket: &str,
        window_start: i64,
    ) -> Result<i64, StoreError> {
        let sql = "INSERT INTO rate_counters (bucket, window_start, hits) VALUES ($1, $2, 1) \
                   ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_counters.hits + 1 \
                   RETURNING hits";
        on_conn!(self, c => sqlx::query_scalar::<_, i64>(sql)
            .bind(bucket)
            .bind(window_start)
            .fetch_one(c)
            .await
            .map_err(map_err))
    }

    /// The count of `bucket` in the window starting at `window_start`, without a hit.
    pub async fn rate_counter(
        &mut self,
        bucket: &str,
        window_start: i64,
    ) -> Result<i64, StoreError> {
        let sql = "SELECT hits FROM rate_counters WHERE bucket = $1 AND window_start = $2";
        let hits = on_conn!(self, c => sqlx::query_scalar::<_, i64>(sql)
            .bind(bucket)
            .bind(window_start)
            .fetch_optional(c)
            .await
            .map_err(map_err))?;
        Ok(hits.unwrap_or(0))
    }
}
