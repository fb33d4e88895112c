//! Platform-wide tallies for the metrics endpoint: how many orders and payments there are,
//! by kind and status. Counted in the database so that every instance reports the same.

use crate::db::{StoreError, Tx, map_err};

impl Tx {
    /// Orders by kind (`register`, `renew`, `topup`, …) and status.
    pub async fn order_tallies(&mut self) -> Result<Vec<(String, String, i64)>, StoreError> {
        let sql =
            "SELECT kind, status, COUNT(*) FROM orders GROUP BY kind, status ORDER BY kind, status";
        on_conn!(self, c => sqlx::query_as::<_, (String, String, i64)>(sql).fetch_all(c).await.map_err(map_err))
    }

    /// Gateway payments by method and status.
    pub async fn payment_tallies(&mut self) -> Result<Vec<(String, String, i64)>, StoreError> {
        let sql = "SELECT method, status, COUNT(*) FROM payments GROUP BY method, status ORDER BY method, status";
        on_conn!(self, c => sqlx::query_as::<_, (String, String, i64)>(sql).fetch_all(c).await.map_err(map_err))
    }
}
