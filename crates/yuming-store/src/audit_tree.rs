//! The audit log's Merkle tree nodes and signed tree heads (see migration 0042).

use crate::db::{StoreError, Tx, map_err};

/// A signed tree head as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TreeHeadRow {
    /// Leaves (audit entries) covered.
    pub tree_size: i64,
    /// The root hash, hex.
    pub root_hash: String,
    /// When it was signed (unix seconds).
    pub signed_at: i64,
    /// The signing key's id.
    pub key_id: String,
    /// Ed25519 signature, base64.
    pub signature: String,
}

macro_rules! head_columns {
    () => {
        "tree_size, root_hash, signed_at, key_id, signature"
    };
}

impl Tx {
    /// Leaves in the tree so far.
    pub async fn audit_tree_size(&mut self) -> Result<i64, StoreError> {
        let sql = "SELECT CAST(COALESCE(MAX(idx) + 1, 0) AS BIGINT) FROM audit_tree_nodes WHERE level = 0";
        let (size,): (i64,) =
            on_conn!(self, c => sqlx::query_as(sql).fetch_one(c).await.map_err(map_err))?;
        Ok(size)
    }

    /// Audit entries after `seq`, oldest first: (seq, chain hash hex).
    pub async fn audit_hashes_after(
        &mut self,
        seq: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let sql = "SELECT seq, hash FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2 + 0";
        on_conn!(self, c => sqlx::query_as::<_, (i64, String)>(sql).bind(seq).bind(limit).fetch_all(c).await.map_err(map_err))
    }

    /// One node's hash (hex), if stored.
    pub async fn audit_tree_node(
        &mut self,
        level: i64,
        idx: i64,
    ) -> Result<Option<String>, StoreError> {
        let sql = "SELECT hash FROM audit_tree_nodes WHERE level = $1 AND idx = $2";
        let row: Option<(String,)> = on_conn!(self, c => sqlx::query_as(sql).bind(level).bind(idx).fetch_optional(c).await.map_err(map_err))?;
        Ok(row.map(|(hash,)| hash))
    }

    /// Stores nodes; ones already there (written by another instance) are left as they are.
    pub async fn insert_audit_tree_node(
        &mut self,
        level: i64,
        idx: i64,
        hash: &str,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO audit_tree_nodes (level, idx, hash) VALUES ($1, $2, $3) \
                   ON CONFLICT (level, idx) DO NOTHING";
        on_conn!(self, c => sqlx::query(sql).bind(level).bind(idx).bind(hash).execute(c).await.map(|_| ()).map_err(map_err))
    }

    /// The newest signed head.
    pub async fn latest_audit_tree_head(&mut self) -> Result<Option<TreeHeadRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            head_columns!(),
            " FROM audit_tree_heads ORDER BY tree_size DESC LIMIT 1"
        );
        on_conn!(self, c => sqlx::query_as::<_, TreeHeadRow>(sql).fetch_optional(c).await.map_err(map_err))
    }

    /// The signed head of exactly `tree_size` leaves.
    pub async fn audit_tree_head(
        &mut self,
        tree_size: i64,
    ) -> Result<Option<TreeHeadRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            head_columns!(),
            " FROM audit_tree_heads WHERE tree_size = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, TreeHeadRow>(sql).bind(tree_size).fetch_optional(c).await.map_err(map_err))
    }

    /// Stores a signed head; `false` when one of that size exists already.
    pub async fn insert_audit_tree_head(&mut self, row: &TreeHeadRow) -> Result<bool, StoreError> {
        let sql = concat!(
            "INSERT INTO audit_tree_heads (",
            head_columns!(),
            ") VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (tree_size) DO NOTHING"
        );
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(row.tree_size)
            .bind(&row.root_hash)
            .bind(row.signed_at)
            .bind(&row.key_id)
            .bind(&row.signature)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// One audit entry by its position.
    pub async fn audit_entry(
        &mut self,
        seq: i64,
    ) -> Result<Option<crate::StoredAuditEntry>, StoreError> {
        let sql = "SELECT seq, at, actor, tenant, action, object_type, object_id, request_id, \
                   client_request_id, before_summary, after_summary, prev_hash, hash \
                   FROM audit_log WHERE seq = $1";
        on_conn!(self, c => sqlx::query_as::<_, crate::StoredAuditEntry>(sql).bind(seq).fetch_optional(c).await.map_err(map_err))
    }
}
