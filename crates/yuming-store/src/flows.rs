//! Lifecycle flows: transfers and changes of holder, cancellation requests, batches, and
//! the auto-renew threshold column of `domains`.

use crate::db::{StoreError, Tx, map_err};

/// A transfer or change of holder as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TransferRow {
    /// Opaque id.
    pub id: String,
    /// `transfer` or `holder_change`.
    pub kind: String,
    /// The domain.
    pub domain_id: String,
    /// The domain's A-label at request time.
    pub domain_name: String,
    /// The losing tenant.
    pub from_owner_id: String,
    /// The gaining tenant.
    pub to_owner_id: String,
    /// The gaining tenant's registrant contact.
    pub to_contact_id: String,
    /// The account that made the request.
    pub requested_by: String,
    /// `pending`, `approved`, `auto_approved`, `rejected`, `cancelled`.
    pub status: String,
    /// When requested.
    pub requested_at: i64,
    /// When silence approves it (transfers only).
    pub auto_approves_at: Option<i64>,
    /// When decided.
    pub decided_at: Option<i64>,
    /// Who decided (`system` for an auto-approval).
    pub decided_by: Option<String>,
    /// The reason of a rejection.
    pub reason: Option<String>,
    /// The fee's order.
    pub order_id: Option<String>,
    /// The fee in minor units (0 for a change of holder).
    pub amount: i64,
    /// The fee's currency.
    pub currency: String,
}

const TRANSFER_COLUMNS: &str = "id, kind, domain_id, domain_name, from_owner_id, to_owner_id, to_contact_id, \
     requested_by, status, requested_at, auto_approves_at, decided_at, decided_by, reason, order_id, amount, currency";

/// A cancellation request as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CancellationRow {
    /// Opaque id.
    pub id: String,
    /// The tenant.
    pub owner_id: String,
    /// The requesting account.
    pub requested_by: String,
    /// `draft`, `submitted`, `approved`, `rejected`.
    pub status: String,
    /// Confirmed checklist steps, comma-separated.
    pub steps: String,
    /// The e-mailed confirmation code, encrypted.
    pub code_sealed: Option<Vec<u8>>,
    /// When the code lapses.
    pub code_expires_at: Option<i64>,
    /// The encrypted supporting document.
    pub document_sealed: Option<Vec<u8>>,
    /// Its file name.
    pub document_name: Option<String>,
    /// The rejection reason.
    pub reason: Option<String>,
    /// Created.
    pub created_at: i64,
    /// Submitted for review.
    pub submitted_at: Option<i64>,
    /// Decided.
    pub decided_at: Option<i64>,
    /// The deciding reviewer.
    pub decided_by: Option<String>,
    /// Last change.
    pub updated_at: i64,
}

const CANCELLATION_COLUMNS: &str = "id, owner_id, requested_by, status, steps, code_sealed, code_expires_at, \
     document_sealed, document_name, reason, created_at, submitted_at, decided_at, decided_by, updated_at";

/// One domain of a cancellation request.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CancellationDomainRow {
    /// The request.
    pub cancellation_id: String,
    /// Order in the request.
    pub position: i64,
    /// The domain.
    pub domain_id: String,
    /// Its A-label.
    pub domain_name: String,
    /// `deleted` or the error code that kept it.
    pub result: Option<String>,
    /// The refund's order, if any.
    pub refund_order_id: Option<String>,
    /// End of the stray-traffic watch.
    pub monitor_until: Option<i64>,
    /// DNS queries for the name seen during the watch.
    pub stray_queries: i64,
    /// When the last of them was counted.
    pub last_stray_at: Option<i64>,
}

/// A batch as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BatchRow {
    /// Opaque id.
    pub id: String,
    /// The tenant.
    pub owner_id: String,
    /// The requesting account.
    pub actor_id: String,
    /// The operation name.
    pub operation: String,
    /// JSON parameters.
    pub params: String,
    /// `running` or `completed`.
    pub status: String,
    /// Number of items.
    pub total: i64,
    /// Created.
    pub created_at: i64,
    /// Finished.
    pub finished_at: Option<i64>,
}

/// One item of a batch.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BatchItemRow {
    /// The batch.
    pub batch_id: String,
    /// Order in the request.
    pub position: i64,
    /// The domain as given.
    pub domain_name: String,
    /// `pending`, `succeeded`, `failed`.
    pub status: String,
    /// The error code of a failure.
    pub code: Option<String>,
    /// The error message of a failure (English).
    pub message: Option<String>,
    /// The error message of a failure in Chinese.
    pub message_zh: Option<String>,
    /// The order of a paid item.
    pub order_id: Option<String>,
}

impl Tx {
    /// The auto-renew threshold (days before expiry) of a domain; `None` if no such row.
    pub async fn auto_renew_days_before(
        &mut self,
        domain_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        let sql = "SELECT auto_renew_days_before FROM domains WHERE id = $1";
        on_conn!(self, c => sqlx::query_scalar::<_, i64>(sql).bind(domain_id).fetch_optional(c).await.map_err(map_err))
    }

    /// Sets the auto-renew threshold of a domain.
    pub async fn set_auto_renew_days_before(
        &mut self,
        domain_id: &str,
        days: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE domains SET auto_renew_days_before = $2, updated_at = $3 WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql).bind(domain_id).bind(days).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }

    /// Inserts a transfer. A second pending one for the domain is a `Conflict`.
    pub async fn insert_transfer(&mut self, row: &TransferRow) -> Result<(), StoreError> {
        let sql = "INSERT INTO domain_transfers (id, kind, domain_id, domain_name, from_owner_id, to_owner_id, \
                   to_contact_id, requested_by, status, requested_at, auto_approves_at, decided_at, decided_by, reason, \
                   order_id, amount, currency) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
                   $15, $16, $17)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.kind)
            .bind(&row.domain_id)
            .bind(&row.domain_name)
            .bind(&row.from_owner_id)
            .bind(&row.to_owner_id)
            .bind(&row.to_contact_id)
            .bind(&row.requested_by)
            .bind(&row.status)
            .bind(row.requested_at)
            .bind(row.auto_approves_at)
            .bind(row.decided_at)
            .bind(&row.decided_by)
            .bind(&row.reason)
            .bind(&row.order_id)
            .bind(row.amount)
            .bind(&row.currency)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// Records the decision on a pending transfer; `false` if it was no longer pending.
    pub async fn decide_transfer(
        &mut self,
        id: &str,
        status: &str,
        decided_at: i64,
        decided_by: &str,
        reason: Option<&str>,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE domain_transfers SET status = $2, decided_at = $3, decided_by = $4, reason = $5 \
                   WHERE id = $1 AND status = 'pending'";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(status)
            .bind(decided_at)
            .bind(decided_by)
            .bind(reason)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// A transfer by id.
    pub async fn transfer_by_id(&mut self, id: &str) -> Result<Option<TransferRow>, StoreError> {
        let sql = format!("SELECT {TRANSFER_COLUMNS} FROM domain_transfers WHERE id = $1");
        on_conn!(self, c => sqlx::query_as::<_, TransferRow>(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(c).await.map_err(map_err))
    }

    /// The pending transfer or change of holder of a domain, if any.
    pub async fn pending_transfer_of(
        &mut self,
        domain_id: &str,
    ) -> Result<Option<TransferRow>, StoreError> {
        let sql = format!(
            "SELECT {TRANSFER_COLUMNS} FROM domain_transfers WHERE domain_id = $1 AND status = 'pending'"
        );
        on_conn!(self, c => sqlx::query_as::<_, TransferRow>(sqlx::AssertSqlSafe(sql.clone())).bind(domain_id).fetch_optional(c).await.map_err(map_err))
    }

    /// Transfers a tenant gains or loses, newest first.
    pub async fn transfers_of_tenant(
        &mut self,
        tenant: &str,
        limit: i64,
    ) -> Result<Vec<TransferRow>, StoreError> {
        let sql = format!(
            "SELECT {TRANSFER_COLUMNS} FROM domain_transfers WHERE to_owner_id = $1 OR from_owner_id = $1 \
             ORDER BY requested_at DESC, id LIMIT $2 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, TransferRow>(sqlx::AssertSqlSafe(sql.clone())).bind(tenant).bind(limit.clamp(1, 500)).fetch_all(c).await.map_err(map_err))
    }

    /// Ids of pending transfers whose auto-approval instant is at or before `now`, oldest
    /// first.
    pub async fn due_transfer_ids(
        &mut self,
        now: i64,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        let sql = "SELECT id FROM domain_transfers WHERE status = 'pending' AND auto_approves_at <= $1 \
                   ORDER BY auto_approves_at, id LIMIT $2 + 0";
        on_conn!(self, c => sqlx::query_scalar::<_, String>(sql).bind(now).bind(limit).fetch_all(c).await.map_err(map_err))
    }

    /// Inserts a cancellation request and its domains.
    pub async fn insert_cancellation(
        &mut self,
        row: &CancellationRow,
        domains: &[CancellationDomainRow],
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO cancellations (id, owner_id, requested_by, status, steps, code_sealed, code_expires_at, \
                   document_sealed, document_name, reason, created_at, submitted_at, decided_at, decided_by, updated_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.owner_id)
            .bind(&row.requested_by)
            .bind(&row.status)
            .bind(&row.steps)
            .bind(&row.code_sealed)
            .bind(row.code_expires_at)
            .bind(&row.document_sealed)
            .bind(&row.document_name)
            .bind(&row.reason)
            .bind(row.created_at)
            .bind(row.submitted_at)
            .bind(row.decided_at)
            .bind(&row.decided_by)
            .bind(row.updated_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        for d in domains {
            let sql = "INSERT INTO cancellation_domains (cancellation_id, position, domain_id, domain_name, result, \
                       refund_order_id, monitor_until) VALUES ($1, $2, $3, $4, $5, $6, $7)";
            on_conn!(self, c => sqlx::query(sql)
                .bind(&d.cancellation_id)
                .bind(d.position)
                .bind(&d.domain_id)
                .bind(&d.domain_name)
                .bind(&d.result)
                .bind(&d.refund_order_id)
                .bind(d.monitor_until)
                .execute(c)
                .await
                .map(|r| r.rows_affected())
                .map_err(map_err))?;
        }
        Ok(())
    }

    /// Writes the mutable fields of a cancellation request back.
    pub async fn update_cancellation(&mut self, row: &CancellationRow) -> Result<(), StoreError> {
        let sql = "UPDATE cancellations SET status = $2, steps = $3, code_sealed = $4, code_expires_at = $5, \
                   document_sealed = $6, document_name = $7, reason = $8, submitted_at = $9, decided_at = $10, \
                   decided_by = $11, updated_at = $12 WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.status)
            .bind(&row.steps)
            .bind(&row.code_sealed)
            .bind(row.code_expires_at)
            .bind(&row.document_sealed)
            .bind(&row.document_name)
            .bind(&row.reason)
            .bind(row.submitted_at)
            .bind(row.decided_at)
            .bind(&row.decided_by)
            .bind(row.updated_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// Writes the outcome for one domain of a cancellation request.
    pub async fn update_cancellation_domain(
        &mut self,
        row: &CancellationDomainRow,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE cancellation_domains SET result = $3, refund_order_id = $4, monitor_until = $5 \
                   WHERE cancellation_id = $1 AND position = $2";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.cancellation_id)
            .bind(row.position)
            .bind(&row.result)
            .bind(&row.refund_order_id)
            .bind(row.monitor_until)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// A cancellation request by id, with its domains in order.
    pub async fn cancellation_by_id(
        &mut self,
        id: &str,
    ) -> Result<Option<(CancellationRow, Vec<CancellationDomainRow>)>, StoreError> {
        let sql = format!("SELECT {CANCELLATION_COLUMNS} FROM cancellations WHERE id = $1");
        let row = on_conn!(self, c => sqlx::query_as::<_, CancellationRow>(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(c).await.map_err(map_err))?;
        let Some(row) = row else { return Ok(None) };
        let sql = "SELECT cancellation_id, position, domain_id, domain_name, result, refund_order_id, monitor_until, \
                   stray_queries, last_stray_at FROM cancellation_domains WHERE cancellation_id = $1 ORDER BY position";
        let domains = on_conn!(self, c => sqlx::query_as::<_, CancellationDomainRow>(sql).bind(id).fetch_all(c).await.map_err(map_err))?;
        Ok(Some((row, domains)))
    }

    /// Whether a domain is part of a cancellation request still open (draft or submitted).
    pub async fn open_cancellation_of(
        &mut self,
        domain_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let sql = "SELECT c.id FROM cancellation_domains d JOIN cancellations c ON c.id = d.cancellation_id \
                   WHERE d.domain_id = $1 AND c.status IN ('draft', 'submitted') LIMIT 1";
        on_conn!(self, c => sqlx::query_scalar::<_, String>(sql).bind(domain_id).fetch_optional(c).await.map_err(map_err))
    }

    /// Submitted cancellation requests, oldest first.
    pub async fn cancellation_queue(&mut self, limit: i64) -> Result<Vec<String>, StoreError> {
        let sql = "SELECT id FROM cancellations WHERE status = 'submitted' ORDER BY submitted_at, id LIMIT $1 + 0";
        on_conn!(self, c => sqlx::query_scalar::<_, String>(sql).bind(limit.clamp(1, 500)).fetch_all(c).await.map_err(map_err))
    }

    /// Deleted names still inside their stray-traffic watch at `now`, with its end.
    pub async fn monitored_names(&mut self, now: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let sql = "SELECT domain_name, monitor_until FROM cancellation_domains WHERE monitor_until > $1 \
                   ORDER BY domain_name";
        on_conn!(self, c => sqlx::query_as::<_, (String, i64)>(sql).bind(now).fetch_all(c).await.map_err(map_err))
    }

    /// Adds `count` stray queries seen at `at` to every watch of `name` still running then.
    /// Returns the number of watches counted.
    pub async fn add_stray_queries(
        &mut self,
        name: &str,
        count: i64,
        at: i64,
    ) -> Result<u64, StoreError> {
        let sql = "UPDATE cancellation_domains SET stray_queries = stray_queries + $2, last_stray_at = $3 \
                   WHERE domain_name = $1 AND monitor_until > $3";
        on_conn!(self, c => sqlx::query(sql)
            .bind(name)
            .bind(count)
            .bind(at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))
    }

    /// A domain's history, oldest first, as (action, actor, order id, detail JSON, at).
    pub async fn domain_history(
        &mut self,
        domain_id: &str,
    ) -> Result<Vec<(String, String, Option<String>, String, i64)>, StoreError> {
        let sql = "SELECT action, actor, order_id, detail, at FROM domain_history WHERE domain_id = $1 ORDER BY at, id";
        on_conn!(self, c => sqlx::query_as(sql).bind(domain_id).fetch_all(c).await.map_err(map_err))
    }

    /// Inserts a batch and its items.
    pub async fn insert_batch(
        &mut self,
        row: &BatchRow,
        items: &[BatchItemRow],
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO batches (id, owner_id, actor_id, operation, params, status, total, created_at, \
                   finished_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.owner_id)
            .bind(&row.actor_id)
            .bind(&row.operation)
            .bind(&row.params)
            .bind(&row.status)
            .bind(row.total)
            .bind(row.created_at)
            .bind(row.finished_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        for item in items {
            let sql = "INSERT INTO batch_items (batch_id, position, domain_name, status, code, message, order_id, \
                       message_zh) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
            on_conn!(self, c => sqlx::query(sql)
                .bind(&item.batch_id)
                .bind(item.position)
                .bind(&item.domain_name)
                .bind(&item.status)
                .bind(&item.code)
                .bind(&item.message)
                .bind(&item.order_id)
                .bind(&item.message_zh)
                .execute(c)
                .await
                .map(|r| r.rows_affected())
                .map_err(map_err))?;
        }
        Ok(())
    }

    /// Records one item's outcome (once: a finished item keeps its first outcome).
    pub async fn finish_batch_item(&mut self, item: &BatchItemRow) -> Result<(), StoreError> {
        let sql = "UPDATE batch_items SET status = $3, code = $4, message = $5, order_id = $6, \
                   message_zh = $7 WHERE batch_id = $1 AND position = $2 AND status = 'pending'";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&item.batch_id)
            .bind(item.position)
            .bind(&item.status)
            .bind(&item.code)
            .bind(&item.message)
            .bind(&item.order_id)
            .bind(&item.message_zh)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// Marks a batch completed and frees its lease.
    pub async fn finish_batch(&mut self, id: &str, now: i64) -> Result<(), StoreError> {
        let sql = "UPDATE batches SET status = 'completed', finished_at = $2, lease_until = 0 WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql).bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }

    /// A batch with its items in order.
    pub async fn batch_by_id(
        &mut self,
        id: &str,
    ) -> Result<Option<(BatchRow, Vec<BatchItemRow>)>, StoreError> {
        let sql = "SELECT id, owner_id, actor_id, operation, params, status, total, created_at, finished_at \
                   FROM batches WHERE id = $1";
        let row = on_conn!(self, c => sqlx::query_as::<_, BatchRow>(sql).bind(id).fetch_optional(c).await.map_err(map_err))?;
        let Some(row) = row else { return Ok(None) };
        let sql = "SELECT batch_id, position, domain_name, status, code, message, order_id, message_zh FROM batch_items \
                   WHERE batch_id = $1 ORDER BY position";
        let items = on_conn!(self, c => sqlx::query_as::<_, BatchItemRow>(sql).bind(id).fetch_all(c).await.map_err(map_err))?;
        Ok(Some((row, items)))
    }
}

impl Tx {
    /// Leases a running batch to `holder` until `until` (at the start and after every item).
    pub async fn lease_batch(
        &mut self,
        id: &str,
        holder: &str,
        until: i64,
    ) -> Result<(), StoreError> {
        let sql =
            "UPDATE batches SET lease_until = $3, holder = $2 WHERE id = $1 AND status = 'running'";
        on_conn!(self, c => sqlx::query(sql).bind(id).bind(holder).bind(until).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }

    /// Claims up to `limit` running batches whose lease ran out (their instance stopped),
    /// leasing them to `holder` until `until`; rows another worker is claiming are skipped on
    /// PostgreSQL.
    pub async fn claim_stalled_batches(
        &mut self,
        now: i64,
        holder: &str,
        until: i64,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        let ids: Vec<String> = per_backend!(self,
            sqlite: c => sqlx::query_scalar("SELECT id FROM batches WHERE status = 'running' AND lease_until <= $1 ORDER BY created_at, id LIMIT $2 + 0")
                .bind(now).bind(limit).fetch_all(c).await.map_err(map_err),
            postgres: c => sqlx::query_scalar("SELECT id FROM batches WHERE status = 'running' AND lease_until <= $1 ORDER BY created_at, id LIMIT $2 + 0 FOR UPDATE SKIP LOCKED")
                .bind(now).bind(limit).fetch_all(c).await.map_err(map_err),
        )?;
        for id in &ids {
            self.lease_batch(id, holder, until).await?;
        }
        Ok(ids)
    }
}
