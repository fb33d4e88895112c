//! The hash-chained audit log. Appending locks the chain head, so entries are totally
//! ordered and each links to the one before, even with several instances writing.

use yuming_core::audit::{AuditEntry, ChainBreak, ChainVerifier};
use yuming_core::clock::Timestamp;

use crate::db::{StoreError, Tx, map_err};

/// What a use case records about one state change.
#[derive(Debug, Clone, Default)]
pub struct NewAuditEntry {
    /// Acting account id, `system` or `cli`.
    pub actor: String,
    /// Tenant owning the changed object (empty for platform objects).
    pub tenant: String,
    /// Action name, e.g. `api_key.create`.
    pub action: String,
    /// Object kind.
    pub object_type: String,
    /// Object id.
    pub object_id: String,
    /// Request id for log correlation.
    pub request_id: String,
    /// The client's own `X-Request-Id`, if it sent one.
    pub client_request_id: String,
    /// Summary before the change (JSON, no secrets).
    pub before: String,
    /// Summary after the change (JSON, no secrets).
    pub after: String,
}

/// An entry as stored, with its hash.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredAuditEntry {
    /// Position in the chain.
    pub seq: i64,
    /// Commit time.
    pub at: i64,
    /// Acting account.
    pub actor: String,
    /// Owning tenant.
    pub tenant: String,
    /// Action name.
    pub action: String,
    /// Object kind.
    pub object_type: String,
    /// Object id.
    pub object_id: String,
    /// Request id.
    pub request_id: String,
    /// The client's request id (empty when it sent none).
    pub client_request_id: String,
    /// Summary before.
    pub before_summary: String,
    /// Summary after.
    pub after_summary: String,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl StoredAuditEntry {
    /// The entry as hashed, to recompute its hash.
    pub fn to_entry(&self) -> AuditEntry {
        AuditEntry {
            seq: self.seq,
            at: Timestamp(self.at),
            actor: self.actor.clone(),
            tenant: self.tenant.clone(),
            action: self.action.clone(),
            object_type: self.object_type.clone(),
            object_id: self.object_id.clone(),
            request_id: self.request_id.clone(),
            client_request_id: self.client_request_id.clone(),
            before: self.before_summary.clone(),
            after: self.after_summary.clone(),
            prev_hash: self.prev_hash.clone(),
        }
    }
}

/// Binds an entry's thirteen columns in table order.
fn bind_entry<'q, DB: sqlx::Database>(
    query: sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>,
    entry: &'q AuditEntry,
    hash: &'q str,
) -> sqlx::query::Query<'q, DB, <DB as sqlx::Database>::Arguments>
where
    i64: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    query
        .bind(entry.seq)
        .bind(entry.at.0)
        .bind(entry.actor.as_str())
        .bind(entry.tenant.as_str())
        .bind(entry.action.as_str())
        .bind(entry.object_type.as_str())
        .bind(entry.object_id.as_str())
        .bind(entry.request_id.as_str())
        .bind(entry.before.as_str())
        .bind(entry.after.as_str())
        .bind(entry.prev_hash.as_str())
        .bind(hash)
        .bind(entry.client_request_id.as_str())
}

/// What an audit search keeps (every given part must match).
#[derive(Debug, Clone, Default)]
pub struct AuditFilter<'a> {
    /// The owning tenant.
    pub tenant: Option<&'a str>,
    /// The acting account.
    pub actor: Option<&'a str>,
    /// The action, or its beginning (`contact.` finds every contact action).
    pub action_prefix: Option<&'a str>,
    /// The object's id.
    pub object_id: Option<&'a str>,
}

/// One page of a tenant's audit entries, newest first.
#[derive(Debug, Clone)]
pub struct AuditPage {
    /// The entries.
    pub entries: Vec<StoredAuditEntry>,
    /// Pass as `before_seq` to get the next page; `None` at the end.
    pub next_before_seq: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct Head {
    seq: i64,
    hash: String,
}

macro_rules! audit_columns {
    () => {
        "seq, at, actor, tenant, action, object_type, object_id, request_id, \
     before_summary, after_summary, prev_hash, hash, client_request_id"
    };
}

impl Tx {
    /// Appends an entry at `now` and returns its sequence number. Call it as the last write
    /// of a transaction: on PostgreSQL it holds the chain-head row lock until commit.
    pub async fn append_audit(
        &mut self,
        new: &NewAuditEntry,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let head = per_backend!(self,
            sqlite: c => sqlx::query_as::<_, Head>("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(c).await.map_err(map_err),
            postgres: c => sqlx::query_as::<_, Head>("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE")
                .fetch_one(c).await.map_err(map_err),
        )?;
        let entry = AuditEntry {
            seq: head.seq + 1,
            at: now,
            actor: new.actor.clone(),
            tenant: new.tenant.clone(),
            action: new.action.clone(),
            object_type: new.object_type.clone(),
            object_id: new.object_id.clone(),
            request_id: new.request_id.clone(),
            client_request_id: new.client_request_id.clone(),
            before: new.before.clone(),
            after: new.after.clone(),
            prev_hash: head.hash,
        };
        let hash = entry.compute_hash();
        per_backend!(self,
            sqlite: c => {
                let insert = "INSERT INTO audit_log (seq, at, actor, tenant, action, object_type, object_id, \
                              request_id, before_summary, after_summary, prev_hash, hash, client_request_id) \
                              VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)";
                bind_entry(sqlx::query(insert), &entry, &hash).execute(&mut *c).await.map_err(map_err)?;
                sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
                    .bind(entry.seq)
                    .bind(&hash)
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected())
                    .map_err(map_err)
            },
            // One round trip instead of two while the chain head is locked.
            postgres: c => {
                let insert = "WITH appended AS (INSERT INTO audit_log (seq, at, actor, tenant, action, object_type, \
                              object_id, request_id, before_summary, after_summary, prev_hash, hash, client_request_id) \
                              VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING seq, hash) \
                              UPDATE audit_head SET seq = appended.seq, hash = appended.hash FROM appended \
                              WHERE audit_head.id = 1";
                bind_entry(sqlx::query(insert), &entry, &hash)
                    .execute(c)
                    .await
                    .map(|r| r.rows_affected())
                    .map_err(map_err)
            },
        )?;
        Ok(entry.seq)
    }

    /// A tenant's entries (all entries for `None`), newest first, `limit` per page.
    pub async fn audit_page(
        &mut self,
        tenant: Option<&str>,
        before_seq: Option<i64>,
        limit: i64,
    ) -> Result<AuditPage, StoreError> {
        let filter = AuditFilter {
            tenant,
            ..AuditFilter::default()
        };
        self.audit_search(&filter, before_seq, limit).await
    }

    /// The entries `filter` keeps, newest first, `limit` per page.
    pub async fn audit_search(
        &mut self,
        filter: &AuditFilter<'_>,
        before_seq: Option<i64>,
        limit: i64,
    ) -> Result<AuditPage, StoreError> {
        let limit = limit.clamp(1, 500);
        let sql = concat!(
            "SELECT ",
            audit_columns!(),
            " FROM audit_log WHERE ($1 IS NULL OR tenant = $1) AND ($2 IS NULL OR actor = $2) \
             AND ($3 IS NULL OR action = $3 OR action LIKE $4 ESCAPE '\\') \
             AND ($5 IS NULL OR object_id = $5) \
             AND seq < $6 ORDER BY seq DESC LIMIT $7 + 0"
        );
        // The prefix is matched as typed: its own `%`, `_` and `\` are escaped.
        let like = filter.action_prefix.map(|p| {
            let mut pattern = String::with_capacity(p.len() + 1);
            for c in p.chars() {
                if matches!(c, '%' | '_' | '\\') {
                    pattern.push('\\');
                }
                pattern.push(c);
            }
            pattern.push('%');
            pattern
        });
        let entries = on_conn!(self, c => sqlx::query_as::<_, StoredAuditEntry>(sql)
            .bind(filter.tenant)
            .bind(filter.actor)
            .bind(filter.action_prefix)
            .bind(like.as_deref())
            .bind(filter.object_id)
            .bind(before_seq.unwrap_or(i64::MAX))
            .bind(limit + 1)
            .fetch_all(c)
            .await
            .map_err(map_err))?;
        let mut entries = entries;
        let next_before_seq = if entries.len() as i64 > limit {
            entries.truncate(limit as usize);
            entries.last().map(|e| e.seq)
        } else {
            None
        };
        Ok(AuditPage {
            entries,
            next_before_seq,
        })
    }

    /// Verifies the whole chain in batches and returns the number of entries, or the first
    /// break.
    pub async fn verify_audit_chain(&mut self) -> Result<Result<i64, ChainBreak>, StoreError> {
        let mut verifier = ChainVerifier::new();
        let mut after_seq = 0_i64;
        let sql = concat!(
            "SELECT ",
            audit_columns!(),
            " FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 2000"
        );
        loop {
            let batch = on_conn!(self, c => sqlx::query_as::<_, StoredAuditEntry>(sql)
                .bind(after_seq)
                .fetch_all(c)
                .await
                .map_err(map_err))?;
            let Some(last) = batch.last() else { break };
            after_seq = last.seq;
            for stored in &batch {
                if let Err(broken) = verifier.push(&stored.to_entry(), &stored.hash) {
                    return Ok(Err(broken));
                }
            }
        }
        let head = on_conn!(self, c => sqlx::query_as::<_, Head>("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(c)
            .await
            .map_err(map_err))?;
        Ok(verifier.finish(head.seq, &head.hash))
    }
}

impl Tx {
    /// The first audit entry written under `request_id`, as (object id, after summary): the
    /// proof that the use case run under that id committed.
    pub async fn audit_entry_of_request(
        &mut self,
        request_id: &str,
    ) -> Result<Option<(String, String)>, StoreError> {
        let sql = "SELECT object_id, after_summary FROM audit_log WHERE request_id = $1 ORDER BY seq LIMIT 1";
        on_conn!(self, c => sqlx::query_as::<_, (String, String)>(sql).bind(request_id).fetch_optional(c).await.map_err(map_err))
    }
}
