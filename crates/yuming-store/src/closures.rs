//! Account closure requests (migration 0025) and what completing one changes.

use crate::db::{StoreError, Tx, map_err};

/// A closure request as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ClosureRow {
    /// Opaque id, `clo_…`.
    pub id: String,
    /// The account to close (a tenant's main account).
    pub account_id: String,
    /// Its tenant.
    pub tenant_id: String,
    /// `requested`, `withdrawn`, `completed` or `refused`.
    pub status: String,
    /// The customer's reason, if given.
    pub reason: Option<String>,
    /// The staff member's note on the decision.
    pub decision_note: Option<String>,
    /// When asked.
    pub requested_at: i64,
    /// Who decided (or withdrew).
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<i64>,
}

macro_rules! closure_columns {
    () => {
        "id, account_id, tenant_id, status, reason, decision_note, requested_at, decided_by, \
         decided_at"
    };
}

impl Tx {
    /// Stores a new request; `false` when the account has an open one already.
    pub async fn insert_closure(&mut self, row: &ClosureRow) -> Result<bool, StoreError> {
        let sql = "INSERT INTO account_closures (id, account_id, tenant_id, status, reason, \
                   decision_note, requested_at, decided_by, decided_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING";
        let affected = on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.account_id)
            .bind(&row.tenant_id)
            .bind(&row.status)
            .bind(&row.reason)
            .bind(&row.decision_note)
            .bind(row.requested_at)
            .bind(&row.decided_by)
            .bind(row.decided_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(affected == 1)
    }

    /// The account's latest request, open or not.
    pub async fn latest_closure(
        &mut self,
        account_id: &str,
    ) -> Result<Option<ClosureRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            closure_columns!(),
            " FROM account_closures WHERE account_id = $1 \
             ORDER BY requested_at DESC, id DESC LIMIT 1"
        );
        on_conn!(self, c => sqlx::query_as::<_, ClosureRow>(sql)
            .bind(account_id)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// One request.
    pub async fn closure_by_id(&mut self, id: &str) -> Result<Option<ClosureRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            closure_columns!(),
            " FROM account_closures WHERE id = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, ClosureRow>(sql)
            .bind(id)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// Requests in `status`, oldest first.
    pub async fn closures_in(
        &mut self,
        status: &str,
        limit: i64,
    ) -> Result<Vec<ClosureRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            closure_columns!(),
            " FROM account_closures WHERE status = $1 ORDER BY requested_at, id LIMIT $2 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, ClosureRow>(sql)
            .bind(status)
            .bind(limit)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Moves an open request to `to`; `false` when it was no longer open.
    pub async fn decide_closure(
        &mut self,
        id: &str,
        to: &str,
        decided_by: &str,
        note: Option<&str>,
        at: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE account_closures SET status = $2, decided_by = $3, decision_note = $4, \
                   decided_at = $5 WHERE id = $1 AND status = 'requested'";
        let affected = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(to)
            .bind(decided_by)
            .bind(note)
            .bind(at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(affected == 1)
    }

    /// Names the tenant still holds (not purged).
    pub async fn live_domain_count(&mut self, owner_id: &str) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM domains WHERE owner_id = $1 AND purged_at IS NULL";
        on_conn!(self, c => sqlx::query_scalar(sql)
            .bind(owner_id)
            .fetch_one(c)
            .await
            .map_err(map_err))
    }

    /// Closes every account of the tenant, revokes their sessions and API keys. Returns the
    /// number of accounts closed.
    pub async fn close_tenant(&mut self, tenant_id: &str, now: i64) -> Result<u64, StoreError> {
        let revoke_sessions = "UPDATE sessions SET revoked_at = $2 WHERE revoked_at IS NULL \
                               AND account_id IN (SELECT id FROM accounts WHERE tenant_id = $1)";
        on_conn!(self, c => sqlx::query(revoke_sessions)
            .bind(tenant_id)
            .bind(now)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))?;
        let revoke_keys =
            "UPDATE api_keys SET revoked_at = $2 WHERE tenant_id = $1 AND revoked_at IS NULL";
        on_conn!(self, c => sqlx::query(revoke_keys)
            .bind(tenant_id)
            .bind(now)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))?;
        let close = "UPDATE accounts SET status = 'closed', updated_at = $2 WHERE tenant_id = $1";
        on_conn!(self, c => sqlx::query(close)
            .bind(tenant_id)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))
    }
}
