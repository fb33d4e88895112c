//! The stored TLD catalogue and platform settings.

use crate::db::{StoreError, Tx, map_err};

/// One stored TLD definition.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TldRow {
    /// ASCII TLD.
    pub ascii: String,
    /// Unicode TLD.
    pub unicode: String,
    /// Definition in the catalogue TOML format.
    pub definition: String,
    /// Last import time.
    pub updated_at: i64,
}

impl Tx {
    /// Every TLD, ordered by ASCII name.
    pub async fn tlds(&mut self) -> Result<Vec<TldRow>, StoreError> {
        let sql = "SELECT ascii, unicode, definition, updated_at FROM tlds ORDER BY ascii";
        on_conn!(self, c => sqlx::query_as::<_, TldRow>(sql).fetch_all(c).await.map_err(map_err))
    }

    /// Inserts or replaces a TLD definition.
    pub async fn upsert_tld(&mut self, row: &TldRow) -> Result<(), StoreError> {
        let sql = "INSERT INTO tlds (ascii, unicode, definition, updated_at) VALUES ($1, $2, $3, $4) \
                   ON CONFLICT (ascii) DO UPDATE SET unicode = excluded.unicode, \
                   definition = excluded.definition, updated_at = excluded.updated_at";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.ascii)
            .bind(&row.unicode)
            .bind(&row.definition)
            .bind(row.updated_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// A fingerprint that changes whenever the catalogue changes: (rows, latest update).
    pub async fn catalogue_version(&mut self) -> Result<(i64, i64), StoreError> {
        let sql = "SELECT (SELECT COUNT(*) FROM tlds) + (SELECT COUNT(*) FROM settings), \
                   COALESCE((SELECT MAX(updated_at) FROM tlds), 0) + COALESCE((SELECT MAX(updated_at) FROM settings), 0)";
        on_conn!(self, c => sqlx::query_as::<_, (i64, i64)>(sql).fetch_one(c).await.map_err(map_err))
    }

    /// A setting's value.
    pub async fn setting(&mut self, name: &str) -> Result<Option<String>, StoreError> {
        let sql = "SELECT value FROM settings WHERE name = $1";
        on_conn!(self, c => sqlx::query_scalar::<_, String>(sql).bind(name).fetch_optional(c).await.map_err(map_err))
    }

    /// Sets a setting.
    pub async fn set_setting(
        &mut self,
        name: &str,
        value: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO settings (name, value, updated_at) VALUES ($1, $2, $3) \
                   ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";
        on_conn!(self, c => sqlx::query(sql)
            .bind(name)
            .bind(value)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }
}
