//! Manual credits waiting for a second finance person's approval.

use crate::db::{StoreError, Tx, map_err};

/// A credit request as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CreditRequestRow {
    /// `crq_…`.
    pub id: String,
    /// The customer (tenant) to credit.
    pub tenant_id: String,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Why (a bank reference, a goodwill gesture…).
    pub note: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// Who asked.
    pub requested_by: String,
    /// When.
    pub requested_at: i64,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<i64>,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// The top-up order an approval made.
    pub order_id: Option<String>,
    /// `credit` (money to the customer) or `debit` (money taken back).
    pub direction: String,
}

macro_rules! request_columns {
    () => {
        "id, tenant_id, amount, currency, note, status, requested_by, requested_at, decided_by, \
         decided_at, reason, order_id, direction"
    };
}

impl Tx {
    /// Stores a new (pending) request.
    pub async fn insert_credit_request(
        &mut self,
        row: &CreditRequestRow,
    ) -> Result<(), StoreError> {
        let sql = concat!(
            "INSERT INTO credit_requests (",
            request_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
        );
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.tenant_id)
            .bind(row.amount)
            .bind(&row.currency)
            .bind(&row.note)
            .bind(&row.status)
            .bind(&row.requested_by)
            .bind(row.requested_at)
            .bind(&row.decided_by)
            .bind(row.decided_at)
            .bind(&row.reason)
            .bind(&row.order_id)
            .bind(&row.direction)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// A request by id.
    pub async fn credit_request(
        &mut self,
        id: &str,
    ) -> Result<Option<CreditRequestRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            request_columns!(),
            " FROM credit_requests WHERE id = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, CreditRequestRow>(sql)
            .bind(id)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// Requests in `status`, oldest first; at most `limit`.
    pub async fn credit_requests_in_status(
        &mut self,
        status: &str,
        limit: i64,
    ) -> Result<Vec<CreditRequestRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            request_columns!(),
            " FROM credit_requests WHERE status = $1 ORDER BY requested_at, id LIMIT $2 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, CreditRequestRow>(sql)
            .bind(status)
            .bind(limit)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Decides a pending request; `false` when it was no longer pending (another person
    /// decided it first).
    pub async fn decide_credit_request(
        &mut self,
        id: &str,
        status: &str,
        decided_by: &str,
        reason: Option<&str>,
        order_id: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE credit_requests SET status = $2, decided_by = $3, reason = $4, \
                   order_id = $5, decided_at = $6 WHERE id = $1 AND status = 'pending'";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(status)
            .bind(decided_by)
            .bind(reason)
            .bind(order_id)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }
}
