//! Logical backups: a consistent snapshot of every table as plain SQL `INSERT` statements in
//! the source backend's dialect, and loading such a dump into an empty database.
//!
//! Tables are dumped and loaded in the order the migrations create them, so a table always
//! comes after the tables its foreign keys point to. The dump holds data only: a restore
//! first builds the schema by running the migrations up to the version the dump was taken
//! at, loads the rows in one transaction, then applies any newer migrations, so a dump taken
//! by an older release restores into a newer one.

use futures_util::TryStreamExt;
use sqlx::migrate::Migrator;
use sqlx::{Column, Row, TypeInfo, ValueRef};
use std::io::Write;

use crate::db::{Backend, Db, DbInner, StoreError, TxInner, map_err};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// What a dump contains, for the archive's manifest and for checking a restore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpSummary {
    /// The backend whose dialect the SQL is written in.
    pub backend: Backend,
    /// The newest migration applied to the dumped database.
    pub migration_version: i64,
    /// Rows per table, in dump order.
    pub tables: Vec<(String, u64)>,
}

/// Why a dump cannot be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    /// The dump was written for the other backend.
    #[error("the dump is for {dump:?} but the target database is {target:?}")]
    BackendMismatch {
        /// The dump's backend.
        dump: Backend,
        /// The target's backend.
        target: Backend,
    },
    /// The dump needs a schema newer than this release knows.
    #[error("the dump was taken at migration {0}, newer than this release's migrations")]
    TooNew(i64),
    /// The target is not a new, empty database; a restore never merges.
    #[error(
        "the target database is not new (it already has table {0}); restore into a new, empty database"
    )]
    TargetNotEmpty(String),
    /// After loading, a table's row count differs from the manifest.
    #[error("table {table} has {found} rows after loading, the dump had {expected}")]
    CountMismatch {
        /// The table.
        table: String,
        /// Rows in the manifest.
        expected: u64,
        /// Rows loaded.
        found: u64,
    },
    /// A database failure.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn migrator(backend: Backend) -> &'static Migrator {
    match backend {
        Backend::Sqlite => &SQLITE_MIGRATIONS,
        Backend::Postgres => &POSTGRES_MIGRATIONS,
    }
}

/// The tables the migrations create, in creation order (a table created and later dropped
/// is left out by the existence check at dump time).
fn tables_in_creation_order(backend: Backend) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for migration in migrator(backend).iter() {
        let sql = migration.sql.as_str();
        let mut words = sql.split_whitespace().peekable();
        while let Some(word) = words.next() {
            if !word.eq_ignore_ascii_case("CREATE") {
                continue;
            }
            if !words
                .peek()
                .is_some_and(|w| w.eq_ignore_ascii_case("TABLE"))
            {
                continue;
            }
            words.next();
            let mut name = words.next().unwrap_or_default();
            if name.eq_ignore_ascii_case("IF") {
                words.next(); // NOT
                words.next(); // EXISTS
                name = words.next().unwrap_or_default();
            }
            let name = name.trim_end_matches('(').trim_matches('"').to_owned();
            if !name.is_empty() && !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

fn is_identifier(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn quote_text(out: &mut String, text: &str) {
    out.push('\'');
    for c in text.chars() {
        if c == '\'' {
            out.push('\'');
        }
        out.push(c);
    }
    out.push('\'');
}

fn unsupported(table: &str, column: &str, type_name: &str) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(format!(
        "cannot dump {table}.{column}: column type {type_name} is not supported by the backup format"
    )))
}

/// Renders one SQLite value as a literal (SQLite values carry their storage class).
fn sqlite_literal(
    out: &mut String,
    row: &sqlx::sqlite::SqliteRow,
    index: usize,
    table: &str,
) -> Result<(), StoreError> {
    let raw = row.try_get_raw(index).map_err(map_err)?;
    if raw.is_null() {
        out.push_str("NULL");
        return Ok(());
    }
    let type_name = raw.type_info().name().to_ascii_uppercase();
    match type_name.as_str() {
        "INTEGER" | "BOOLEAN" | "INT8" | "BIGINT" => {
            let v: i64 = row.try_get(index).map_err(map_err)?;
            out.push_str(&v.to_string());
        }
        "REAL" => {
            let v: f64 = row.try_get(index).map_err(map_err)?;
            out.push_str(&format!("{v:?}"));
        }
        "TEXT" => {
            let v: String = row.try_get(index).map_err(map_err)?;
            quote_text(out, &v);
        }
        "BLOB" => {
            let v: Vec<u8> = row.try_get(index).map_err(map_err)?;
            out.push_str("X'");
            out.push_str(&hex::encode(v));
            out.push('\'');
        }
        other => return Err(unsupported(table, row.columns()[index].name(), other)),
    }
    Ok(())
}

/// Renders one PostgreSQL value as a literal, by the column's declared type.
fn postgres_literal(
    out: &mut String,
    row: &sqlx::postgres::PgRow,
    index: usize,
    table: &str,
) -> Result<(), StoreError> {
    let raw = row.try_get_raw(index).map_err(map_err)?;
    if raw.is_null() {
        out.push_str("NULL");
        return Ok(());
    }
    let type_name = row.columns()[index].type_info().name().to_ascii_uppercase();
    match type_name.as_str() {
        "INT8" => out.push_str(&row.try_get::<i64, _>(index).map_err(map_err)?.to_string()),
        "INT4" => out.push_str(&row.try_get::<i32, _>(index).map_err(map_err)?.to_string()),
        "INT2" => out.push_str(&row.try_get::<i16, _>(index).map_err(map_err)?.to_string()),
        "BOOL" => {
            let v: bool = row.try_get(index).map_err(map_err)?;
            out.push_str(if v { "TRUE" } else { "FALSE" });
        }
        "FLOAT8" => {
            let v: f64 = row.try_get(index).map_err(map_err)?;
            out.push_str(&format!("{v:?}"));
        }
        "TEXT" | "VARCHAR" | "BPCHAR" | "NAME" => {
            let v: String = row.try_get(index).map_err(map_err)?;
            quote_text(out, &v);
        }
        "BYTEA" => {
            let v: Vec<u8> = row.try_get(index).map_err(map_err)?;
            out.push_str("'\\x");
            out.push_str(&hex::encode(v));
            out.push_str("'::bytea");
        }
        other => return Err(unsupported(table, row.columns()[index].name(), other)),
    }
    Ok(())
}

fn write_io(out: &mut (dyn Write + Send), text: &str) -> Result<(), StoreError> {
    out.write_all(text.as_bytes())
        .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))
}

impl Db {
    /// Writes every table as SQL `INSERT` statements to `out`, from one consistent snapshot
    /// (a read transaction on SQLite's WAL; `REPEATABLE READ` on PostgreSQL), while the
    /// service keeps running.
    pub async fn dump_sql(&self, out: &mut (dyn Write + Send)) -> Result<DumpSummary, StoreError> {
        let backend = self.backend();
        let mut tx = match &self.inner {
            DbInner::Sqlite(pool) => TxInner::Sqlite(pool.begin().await.map_err(map_err)?),
            DbInner::Postgres(pool) => TxInner::Postgres(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await
                    .map_err(map_err)?,
            ),
        };
        let version: Option<i64> = match &mut tx {
            TxInner::Sqlite(t) => {
                sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                    .fetch_one(&mut **t)
                    .await
                    .map_err(map_err)?
            }
            TxInner::Postgres(t) => {
                sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                    .fetch_one(&mut **t)
                    .await
                    .map_err(map_err)?
            }
        };
        let existing = existing_tables(&mut tx).await?;
        write_io(
            out,
            &format!(
                "-- yuming logical backup ({backend:?} dialect), schema at migration {}\n",
                version.unwrap_or(0)
            ),
        )?;
        let mut tables = Vec::new();
        for table in tables_in_creation_order(backend) {
            if !existing.contains(&table) || !is_identifier(&table) {
                continue;
            }
            let select = format!("SELECT * FROM {table}");
            let mut count = 0u64;
            let mut line = String::new();
            match &mut tx {
                TxInner::Sqlite(t) => {
                    let mut rows = sqlx::query(sqlx::AssertSqlSafe(select)).fetch(&mut **t);
                    while let Some(row) = rows.try_next().await.map_err(map_err)? {
                        let row = &row;
                        insert_prefix(
                            &mut line,
                            &table,
                            row.columns().iter().map(|c| c.name()),
                            backend,
                        );
                        for i in 0..row.columns().len() {
                            if i > 0 {
                                line.push_str(", ");
                            }
                            sqlite_literal(&mut line, row, i, &table)?;
                        }
                        line.push_str(");\n");
                        write_io(out, &line)?;
                        count += 1;
                    }
                }
                TxInner::Postgres(t) => {
                    let mut rows = sqlx::query(sqlx::AssertSqlSafe(select)).fetch(&mut **t);
                    while let Some(row) = rows.try_next().await.map_err(map_err)? {
                        let row = &row;
                        insert_prefix(
                            &mut line,
                            &table,
                            row.columns().iter().map(|c| c.name()),
                            backend,
                        );
                        for i in 0..row.columns().len() {
                            if i > 0 {
                                line.push_str(", ");
                            }
                            postgres_literal(&mut line, row, i, &table)?;
                        }
                        line.push_str(");\n");
                        write_io(out, &line)?;
                        count += 1;
                    }
                }
            }
            tables.push((table, count));
        }
        // The snapshot only read; ending it either way is fine.
        match tx {
            TxInner::Sqlite(t) => t.rollback().await.map_err(map_err)?,
            TxInner::Postgres(t) => t.rollback().await.map_err(map_err)?,
        }
        Ok(DumpSummary {
            backend,
            migration_version: version.unwrap_or(0),
            tables,
        })
    }

    /// Loads a dump written by [`Db::dump_sql`] into this database, which must be new (no
    /// tables at all): migrates to the dump's schema version, runs the dump in one transaction, checks every
    /// table's row count against `summary`, then applies newer migrations. A failure at any
    /// step leaves no rows behind.
    pub async fn load_sql(&self, sql: &str, summary: &DumpSummary) -> Result<(), RestoreError> {
        let backend = self.backend();
        if summary.backend != backend {
            return Err(RestoreError::BackendMismatch {
                dump: summary.backend,
                target: backend,
            });
        }
        let migrations = migrator(backend);
        if !migrations.version_exists(summary.migration_version) && summary.migration_version != 0 {
            return Err(RestoreError::TooNew(summary.migration_version));
        }
        // Only a database that has never been migrated qualifies: a restore never merges
        // into, or overwrites, data that may matter.
        let mut probe = self.read().await?;
        let existing = existing_tables(&mut probe.inner).await?;
        probe.commit().await?;
        if let Some(table) = existing.into_iter().find(|t| !t.starts_with("sqlite_")) {
            return Err(RestoreError::TargetNotEmpty(table));
        }
        match &self.inner {
            DbInner::Sqlite(pool) => migrations
                .run_to(summary.migration_version, pool)
                .await
                .map_err(StoreError::from)?,
            DbInner::Postgres(pool) => migrations
                .run_to(summary.migration_version, pool)
                .await
                .map_err(StoreError::from)?,
        }
        let mut tx = self.write().await?;
        // Rows the migrations seed (e.g. the audit chain's head) are in the dump too.
        for (table, _) in summary.tables.iter().rev() {
            if is_identifier(table) {
                let delete = format!("DELETE FROM {table}");
                on_conn!(tx, c => sqlx::query(sqlx::AssertSqlSafe(delete)).execute(c).await.map(|_| ()).map_err(map_err))?;
            }
        }
        on_conn!(tx, c => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(c).await.map(|_| ()).map_err(map_err))?;
        for (table, expected) in &summary.tables {
            if !is_identifier(table) {
                continue;
            }
            let found = count_rows(&mut tx.inner, table).await?;
            if found != *expected {
                return Err(RestoreError::CountMismatch {
                    table: table.clone(),
                    expected: *expected,
                    found,
                });
            }
        }
        // Identity sequences continue after the restored values.
        if let TxInner::Postgres(t) = &mut tx.inner {
            let identities: Vec<(String, String)> = sqlx::query_as(
                "SELECT table_name::text, column_name::text FROM information_schema.columns \
                 WHERE table_schema = current_schema() AND is_identity = 'YES'",
            )
            .fetch_all(&mut **t)
            .await
            .map_err(map_err)?;
            for (table, column) in identities {
                if !is_identifier(&table) || !is_identifier(&column) {
                    continue;
                }
                let sql = format!(
                    "SELECT setval(pg_get_serial_sequence('{table}', '{column}'), \
                     COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)"
                );
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut **t)
                    .await
                    .map_err(map_err)?;
            }
        }
        tx.commit().await?;
        self.migrate().await?;
        Ok(())
    }
}

fn insert_prefix<'a>(
    line: &mut String,
    table: &str,
    columns: impl Iterator<Item = &'a str>,
    backend: Backend,
) {
    line.clear();
    line.push_str("INSERT INTO ");
    line.push_str(table);
    line.push_str(" (");
    for (i, column) in columns.enumerate() {
        if i > 0 {
            line.push_str(", ");
        }
        line.push_str(column);
    }
    // Identity columns (GENERATED ALWAYS) keep their dumped values.
    line.push_str(match backend {
        Backend::Sqlite => ") VALUES (",
        Backend::Postgres => ") OVERRIDING SYSTEM VALUE VALUES (",
    });
}

async fn existing_tables(tx: &mut TxInner) -> Result<Vec<String>, StoreError> {
    match tx {
        TxInner::Sqlite(t) => {
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
                .fetch_all(&mut **t)
                .await
        }
        TxInner::Postgres(t) => {
            sqlx::query_scalar(
                "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
            )
            .fetch_all(&mut **t)
            .await
        }
    }
    .map_err(map_err)
}

async fn count_rows(tx: &mut TxInner, table: &str) -> Result<u64, StoreError> {
    let sql = format!("SELECT COUNT(*) FROM {table}");
    let n: i64 = match tx {
        TxInner::Sqlite(t) => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut **t)
                .await
        }
        TxInner::Postgres(t) => {
            sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .fetch_one(&mut **t)
                .await
        }
    }
    .map_err(map_err)?;
    Ok(n.max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_follow_migration_order() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let tables = tables_in_creation_order(backend);
            let position = |name: &str| tables.iter().position(|t| t == name);
            assert!(position("accounts").is_some(), "{tables:?}");
            assert!(position("domains") < position("domain_history"));
            assert!(position("accounts") < position("sessions"));
            assert!(!tables.iter().any(|t| t.starts_with("_sqlx")));
        }
    }

    #[test]
    fn text_literals_double_quotes() {
        let mut out = String::new();
        quote_text(&mut out, "O'Brien \\ 中文");
        assert_eq!(out, "'O''Brien \\ 中文'");
    }
}
