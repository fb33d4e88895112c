//! Signed webhooks: endpoints, deliveries (one per endpoint and notice occasion) and the log
//! of delivery attempts.

use crate::db::{StoreError, Tx, map_err};

/// A tenant's webhook endpoint.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WebhookEndpointRow {
    /// Opaque id.
    pub id: String,
    /// The tenant it belongs to.
    pub account_id: String,
    /// Where deliveries are POSTed.
    pub url: String,
    /// Free text.
    pub description: String,
    /// Comma list of notice kinds ('' = every kind).
    pub kinds: String,
    /// Whether deliveries are made.
    pub enabled: bool,
    /// The signing secret, sealed with the master key.
    pub secret_sealed: Vec<u8>,
    /// When created.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

/// One notice for one endpoint.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WebhookDeliveryRow {
    /// Opaque id (sent as `Yuming-Webhook-Id`).
    pub id: String,
    /// The endpoint.
    pub endpoint_id: String,
    /// The tenant.
    pub account_id: String,
    /// Notice kind.
    pub kind: String,
    /// Dedupe key of the notice.
    pub occasion: String,
    /// The JSON body sent.
    pub payload: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// When the next attempt is due.
    pub next_attempt_at: i64,
    /// A worker holds the delivery until then.
    pub lease_until: i64,
    /// HTTP status of the last attempt, when one came back.
    pub last_status: Option<i64>,
    /// Error of the last attempt.
    pub last_error: Option<String>,
    /// When it was created.
    pub created_at: i64,
    /// When an attempt succeeded.
    pub delivered_at: Option<i64>,
}

/// One delivery attempt.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct WebhookAttemptRow {
    /// The delivery.
    pub delivery_id: String,
    /// 1, 2, …
    pub attempt: i64,
    /// When it was made.
    pub at: i64,
    /// The HTTP status that came back.
    pub http_status: Option<i64>,
    /// What went wrong, when no 2xx came back.
    pub error: Option<String>,
}

const ENDPOINT_COLUMNS: &str =
    "id, account_id, url, description, kinds, enabled, secret_sealed, created_at, updated_at";
const DELIVERY_COLUMNS: &str = "id, endpoint_id, account_id, kind, occasion, payload, status, attempts, \
     next_attempt_at, lease_until, last_status, last_error, created_at, delivered_at";

/// An endpoint whose deliveries fail, for operators.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FailingEndpointRow {
    /// Endpoint id.
    pub id: String,
    /// Its customer.
    pub account_id: String,
    /// Where it points.
    pub url: String,
    /// Whether it is on.
    pub enabled: bool,
    /// Deliveries given up on.
    pub failed: i64,
    /// Deliveries still being retried after a failure.
    pub retrying: i64,
    /// A recent error text.
    pub last_error: Option<String>,
    /// A recent HTTP status answered.
    pub last_status: Option<i64>,
}

impl Tx {
    /// Endpoints with deliveries created since `since` that failed or are being retried,
    /// most failures first.
    pub async fn failing_webhook_endpoints(
        &mut self,
        since: i64,
        limit: i64,
    ) -> Result<Vec<FailingEndpointRow>, StoreError> {
        let sql = "SELECT e.id, e.account_id, e.url, e.enabled, \
                   CAST(SUM(CASE WHEN d.status = 'failed' THEN 1 ELSE 0 END) AS BIGINT) AS failed, \
                   CAST(SUM(CASE WHEN d.status = 'pending' THEN 1 ELSE 0 END) AS BIGINT) AS retrying, \
                   MAX(d.last_error) AS last_error, CAST(MAX(d.last_status) AS BIGINT) AS last_status \
                   FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id \
                   WHERE d.created_at >= $1 AND (d.status = 'failed' OR (d.status = 'pending' AND d.attempts > 0)) \
                   GROUP BY e.id, e.account_id, e.url, e.enabled ORDER BY failed DESC, retrying DESC, e.id \
                   LIMIT $2 + 0";
        on_conn!(self, c => sqlx::query_as::<_, FailingEndpointRow>(sql)
            .bind(since)
            .bind(limit)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Stores a new endpoint.
    pub async fn insert_webhook_endpoint(
        &mut self,
        row: &WebhookEndpointRow,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO webhook_endpoints ({ENDPOINT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        );
        on_conn!(self, c => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(&row.id)
            .bind(&row.account_id)
            .bind(&row.url)
            .bind(&row.description)
            .bind(&row.kinds)
            .bind(row.enabled)
            .bind(&row.secret_sealed)
            .bind(row.created_at)
            .bind(row.updated_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// Writes an endpoint's mutable fields back.
    pub async fn update_webhook_endpoint(
        &mut self,
        row: &WebhookEndpointRow,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE webhook_endpoints SET url = $2, description = $3, kinds = $4, enabled = $5, \
                   secret_sealed = $6, updated_at = $7 WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.url)
            .bind(&row.description)
            .bind(&row.kinds)
            .bind(row.enabled)
            .bind(&row.secret_sealed)
            .bind(row.updated_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// Removes an endpoint with its deliveries and their attempts.
    pub async fn delete_webhook_endpoint(&mut self, id: &str) -> Result<(), StoreError> {
        for sql in [
            "DELETE FROM webhook_attempts WHERE delivery_id IN (SELECT id FROM webhook_deliveries WHERE endpoint_id = $1)",
            "DELETE FROM webhook_deliveries WHERE endpoint_id = $1",
            "DELETE FROM webhook_endpoints WHERE id = $1",
        ] {
            on_conn!(self, c => sqlx::query(sql).bind(id).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        }
        Ok(())
    }

    /// An endpoint by id.
    pub async fn webhook_endpoint(
        &mut self,
        id: &str,
    ) -> Result<Option<WebhookEndpointRow>, StoreError> {
        let sql = format!("SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1");
        on_conn!(self, c => sqlx::query_as::<_, WebhookEndpointRow>(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(c).await.map_err(map_err))
    }

    /// A tenant's endpoints, oldest first.
    pub async fn webhook_endpoints_of(
        &mut self,
        account_id: &str,
    ) -> Result<Vec<WebhookEndpointRow>, StoreError> {
        let sql = format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE account_id = $1 ORDER BY created_at, id"
        );
        on_conn!(self, c => sqlx::query_as::<_, WebhookEndpointRow>(sqlx::AssertSqlSafe(sql.clone())).bind(account_id).fetch_all(c).await.map_err(map_err))
    }

    /// Stores a delivery; `false` when this endpoint already has one for the occasion.
    pub async fn insert_webhook_delivery(
        &mut self,
        row: &WebhookDeliveryRow,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "INSERT INTO webhook_deliveries ({DELIVERY_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
             ON CONFLICT (endpoint_id, kind, occasion) DO NOTHING"
        );
        let n = on_conn!(self, c => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(&row.id)
            .bind(&row.endpoint_id)
            .bind(&row.account_id)
            .bind(&row.kind)
            .bind(&row.occasion)
            .bind(&row.payload)
            .bind(&row.status)
            .bind(row.attempts)
            .bind(row.next_attempt_at)
            .bind(row.lease_until)
            .bind(row.last_status)
            .bind(&row.last_error)
            .bind(row.created_at)
            .bind(row.delivered_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// Claims up to `limit` due deliveries until `lease_until` (skipping rows another worker
    /// holds on PostgreSQL).
    pub async fn claim_webhook_deliveries(
        &mut self,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<WebhookDeliveryRow>, StoreError> {
        let select = "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 \
                      AND lease_until <= $1 ORDER BY next_attempt_at, id LIMIT $2 + 0";
        let ids: Vec<(String,)> = per_backend!(self,
            sqlite: c => sqlx::query_as(select).bind(now).bind(limit).fetch_all(c).await.map_err(map_err),
            postgres: c => sqlx::query_as(
                "SELECT id FROM webhook_deliveries WHERE status = 'pending' AND next_attempt_at <= $1 \
                 AND lease_until <= $1 ORDER BY next_attempt_at, id LIMIT $2 + 0 FOR UPDATE SKIP LOCKED"
            ).bind(now).bind(limit).fetch_all(c).await.map_err(map_err),
        )?;
        let sql = format!(
            "UPDATE webhook_deliveries SET lease_until = $2 WHERE id = $1 RETURNING {DELIVERY_COLUMNS}"
        );
        let mut claimed = Vec::with_capacity(ids.len());
        for (id,) in ids {
            let row = on_conn!(self, c => sqlx::query_as::<_, WebhookDeliveryRow>(sqlx::AssertSqlSafe(sql.clone())).bind(&id).bind(lease_until).fetch_one(c).await.map_err(map_err))?;
            claimed.push(row);
        }
        Ok(claimed)
    }

    /// Records one attempt and the delivery's new state; the lease is released.
    pub async fn finish_webhook_attempt(
        &mut self,
        delivery: &WebhookDeliveryRow,
        attempt: &WebhookAttemptRow,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO webhook_attempts (delivery_id, attempt, at, http_status, error) VALUES ($1, $2, $3, $4, $5)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&attempt.delivery_id)
            .bind(attempt.attempt)
            .bind(attempt.at)
            .bind(attempt.http_status)
            .bind(&attempt.error)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        let sql = "UPDATE webhook_deliveries SET status = $2, attempts = $3, next_attempt_at = $4, lease_until = 0, \
                   last_status = $5, last_error = $6, delivered_at = $7 WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&delivery.id)
            .bind(&delivery.status)
            .bind(delivery.attempts)
            .bind(delivery.next_attempt_at)
            .bind(delivery.last_status)
            .bind(&delivery.last_error)
            .bind(delivery.delivered_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// A delivery by id.
    pub async fn webhook_delivery(
        &mut self,
        id: &str,
    ) -> Result<Option<WebhookDeliveryRow>, StoreError> {
        let sql = format!("SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1");
        on_conn!(self, c => sqlx::query_as::<_, WebhookDeliveryRow>(sqlx::AssertSqlSafe(sql.clone())).bind(id).fetch_optional(c).await.map_err(map_err))
    }

    /// Makes a delivery due again now (a manual redelivery); attempts keep counting.
    pub async fn redeliver_webhook(&mut self, id: &str, now: i64) -> Result<(), StoreError> {
        let sql = "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $2, lease_until = 0 WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql).bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }

    /// An endpoint's deliveries, newest first, strictly before `(before_at, before_id)`.
    pub async fn webhook_deliveries_of(
        &mut self,
        endpoint_id: &str,
        before_at: i64,
        before_id: &str,
        limit: i64,
    ) -> Result<Vec<WebhookDeliveryRow>, StoreError> {
        let sql = format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE endpoint_id = $1 \
             AND (created_at < $2 OR (created_at = $2 AND id < $3)) \
             ORDER BY created_at DESC, id DESC LIMIT $4 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, WebhookDeliveryRow>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(endpoint_id)
            .bind(before_at)
            .bind(before_id)
            .bind(limit.clamp(1, 500))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// A delivery's attempts, in order.
    pub async fn webhook_attempts_of(
        &mut self,
        delivery_id: &str,
    ) -> Result<Vec<WebhookAttemptRow>, StoreError> {
        let sql = "SELECT delivery_id, attempt, at, http_status, error FROM webhook_attempts \
                   WHERE delivery_id = $1 ORDER BY attempt";
        on_conn!(self, c => sqlx::query_as::<_, WebhookAttemptRow>(sql).bind(delivery_id).fetch_all(c).await.map_err(map_err))
    }
}

impl Tx {
    /// Webhook deliveries waiting to be sent or retried.
    pub async fn webhook_queue_depth(&mut self) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM webhook_deliveries WHERE status = 'pending'";
        let (count,): (i64,) =
            on_conn!(self, c => sqlx::query_as(sql).fetch_one(c).await.map_err(map_err))?;
        Ok(count)
    }
}
