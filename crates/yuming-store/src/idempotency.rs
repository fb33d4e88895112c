//! Idempotency keys: a repeated mutating request returns the first response.

use crate::db::{StoreError, Tx, map_err};

/// The outcome of claiming an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// First use: process the request, then store its response.
    New,
    /// Already processed with the same request: replay this response.
    Done {
        /// HTTP status of the first response.
        status: u16,
        /// Body of the first response.
        body: Vec<u8>,
    },
    /// The first request's effect committed (its transaction marked the key), but its
    /// response was never stored: the process died in between. Replay this, never re-run.
    Committed {
        /// Our request id of the request that committed.
        request_id: String,
        /// When it committed.
        at: i64,
        /// What it changed (JSON: action, object type and id).
        summary: String,
    },
    /// Another request with this key is being processed right now.
    InProgress,
    /// The key was used before with a different request.
    Mismatch,
}

#[derive(sqlx::FromRow)]
struct Row {
    request_hash: String,
    status_code: Option<i64>,
    response_body: Option<Vec<u8>>,
    created_at: i64,
    effect_at: Option<i64>,
    effect_request_id: Option<String>,
    effect_summary: Option<String>,
}

impl Tx {
    /// Claims `key` for `scope` (the account). An unfinished claim older than `stale_before`
    /// (its request died) is taken over.
    pub async fn claim_idempotency_key(
        &mut self,
        scope: &str,
        key: &str,
        request_hash: &str,
        now: i64,
        stale_before: i64,
    ) -> Result<IdempotencyClaim, StoreError> {
        let insert = "INSERT INTO idempotency_keys (scope, idem_key, request_hash, created_at) \
                      VALUES ($1, $2, $3, $4) ON CONFLICT (scope, idem_key) DO NOTHING";
        let inserted = on_conn!(self, c => sqlx::query(insert)
            .bind(scope)
            .bind(key)
            .bind(request_hash)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        if inserted == 1 {
            return Ok(IdempotencyClaim::New);
        }
        let select = "SELECT request_hash, status_code, response_body, created_at, effect_at, \
                      effect_request_id, effect_summary FROM idempotency_keys \
                      WHERE scope = $1 AND idem_key = $2";
        let row = on_conn!(self, c => sqlx::query_as::<_, Row>(select)
            .bind(scope)
            .bind(key)
            .fetch_one(c)
            .await
            .map_err(map_err))?;
        if row.request_hash != request_hash {
            return Ok(IdempotencyClaim::Mismatch);
        }
        match (row.status_code, row.response_body) {
            (Some(status), Some(body)) => Ok(IdempotencyClaim::Done {
                status: u16::try_from(status).unwrap_or(500),
                body,
            }),
            _ if row.created_at < stale_before && row.effect_at.is_some() => {
                Ok(IdempotencyClaim::Committed {
                    request_id: row.effect_request_id.unwrap_or_default(),
                    at: row.effect_at.unwrap_or_default(),
                    summary: row.effect_summary.unwrap_or_default(),
                })
            }
            _ if row.created_at < stale_before => {
                let retake = "UPDATE idempotency_keys SET created_at = $3 \
                              WHERE scope = $1 AND idem_key = $2 AND status_code IS NULL \
                              AND effect_at IS NULL AND created_at = $4";
                let n = on_conn!(self, c => sqlx::query(retake)
                    .bind(scope)
                    .bind(key)
                    .bind(now)
                    .bind(row.created_at)
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected())
                    .map_err(map_err))?;
                Ok(if n == 1 {
                    IdempotencyClaim::New
                } else {
                    IdempotencyClaim::InProgress
                })
            }
            _ => Ok(IdempotencyClaim::InProgress),
        }
    }

    /// Stores the response of a claimed key.
    pub async fn complete_idempotency_key(
        &mut self,
        scope: &str,
        key: &str,
        status: u16,
        body: &[u8],
    ) -> Result<(), StoreError> {
        let sql = "UPDATE idempotency_keys SET status_code = $3, response_body = $4 WHERE scope = $1 AND idem_key = $2";
        on_conn!(self, c => sqlx::query(sql)
            .bind(scope)
            .bind(key)
            .bind(i64::from(status))
            .bind(body)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// Marks, inside the transaction of the effect itself, that the request claiming `key`
    /// changed something: if the process dies before the response is stored, a retry finds
    /// the effect and replays it instead of running again. The first effect of a request
    /// names it; later ones in the same request keep that.
    pub async fn mark_idempotency_effect(
        &mut self,
        scope: &str,
        key: &str,
        request_id: &str,
        at: i64,
        summary: &str,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE idempotency_keys SET effect_at = $3, effect_request_id = $4, effect_summary = $5 \
                   WHERE scope = $1 AND idem_key = $2 AND effect_at IS NULL";
        on_conn!(self, c => sqlx::query(sql)
            .bind(scope)
            .bind(key)
            .bind(at)
            .bind(request_id)
            .bind(summary)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// Forgets an unfinished claim so that the client may retry (after a server error),
    /// unless its effect committed: such a key stays, to be replayed. True when forgotten.
    pub async fn release_idempotency_key(
        &mut self,
        scope: &str,
        key: &str,
    ) -> Result<bool, StoreError> {
        let sql = "DELETE FROM idempotency_keys WHERE scope = $1 AND idem_key = $2 \
                   AND status_code IS NULL AND effect_at IS NULL";
        let n = on_conn!(self, c => sqlx::query(sql).bind(scope).bind(key).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(n == 1)
    }

    /// The committed effect of a key, as (request id, when, summary), if its request marked one.
    pub async fn idempotency_effect(
        &mut self,
        scope: &str,
        key: &str,
    ) -> Result<Option<(String, i64, String)>, StoreError> {
        let sql = "SELECT effect_request_id, effect_at, effect_summary FROM idempotency_keys \
                   WHERE scope = $1 AND idem_key = $2 AND effect_at IS NOT NULL";
        let row = on_conn!(self, c => sqlx::query_as::<_, (Option<String>, i64, Option<String>)>(sql)
            .bind(scope)
            .bind(key)
            .fetch_optional(c)
            .await
            .map_err(map_err))?;
        Ok(row.map(|(request_id, at, summary)| {
            (
                request_id.unwrap_or_default(),
                at,
                summary.unwrap_or_default(),
            )
        }))
    }
}
