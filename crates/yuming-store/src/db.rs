//! Connection pools for both backends, transactions and error mapping.
//!
//! Every `LIMIT` takes its parameter as `LIMIT $n + 0`: SQLite's planner reads a bare bound
//! `LIMIT $n` and marks the statement to be prepared again whenever a value is bound, so a
//! cached statement was parsed anew on every execution (about an eighth of the CPU of the
//! domain list under `bench/api.sh`). An expression is not read; PostgreSQL takes both.

use crate::lone_read::Readers;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Postgres, Sqlite, SqlitePool, Transaction};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::OwnedMutexGuard;

/// How long a writer waits for its turn on SQLite before the request fails as unavailable
/// (the same bound as SQLite's own busy timeout).
const WRITE_TURN_WAIT: Duration = Duration::from_secs(10);

/// Which database a [`Db`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file (WAL).
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// A storage failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist.
    #[error("not found")]
    NotFound,
    /// A uniqueness constraint was violated; names the constraint (or column) if known.
    #[error("conflict on {0}")]
    Conflict(String),
    /// The URL names no supported backend.
    #[error("unsupported database url: {0}")]
    UnsupportedUrl(String),
    /// Any other database error.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A lone read on SQLite's inline path ([`crate::lone_read`]) failed.
    #[error("database error: {0}")]
    Embedded(#[from] rusqlite::Error),
    /// Applying migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Whether the database could not be reached or stayed busy (worth retrying later), as
    /// opposed to a statement that failed.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(error) => matches!(
                error,
                sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_)
            ),
            StoreError::Embedded(error) => matches!(
                error.sqlite_error_code(),
                Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
            ),
            _ => false,
        }
    }

    /// Whether this is a uniqueness violation of the named constraint or column.
    pub fn is_conflict_on(&self, name: &str) -> bool {
        matches!(self, StoreError::Conflict(c) if c.contains(name))
    }
}

/// Maps driver errors, turning uniqueness violations into [`StoreError::Conflict`].
pub(crate) fn map_err(error: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &error
        && db.is_unique_violation()
    {
        // PostgreSQL names the constraint; SQLite names the columns in the message.
        let name = db
            .constraint()
            .map(str::to_owned)
            .unwrap_or_else(|| db.message().to_owned());
        return StoreError::Conflict(name);
    }
    if matches!(error, sqlx::Error::RowNotFound) {
        return StoreError::NotFound;
    }
    StoreError::Database(error)
}

/// A pool on one of the two backends. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Db {
    pub(crate) inner: DbInner,
    /// On a SQLite file, the connections lone hot-path reads run on (see [`crate::lone_read`]).
    pub(crate) readers: Option<Arc<Readers>>,
    /// On SQLite, the queue writers of this instance wait in for their turn (see [`Db::write`]).
    write_queue: Option<Arc<tokio::sync::Mutex<()>>>,
}

#[derive(Debug, Clone)]
pub(crate) enum DbInner {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// One transaction. Dropping it without [`Tx::commit`] rolls back.
pub struct Tx {
    pub(crate) inner: TxInner,
    /// On SQLite, this instance's turn to write, held until commit or rollback.
    _write_turn: Option<OwnedMutexGuard<()>>,
}

pub(crate) enum TxInner {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

/// Runs `$body` with `$conn` bound to the transaction's connection of either backend; the
/// body is compiled once per backend.
macro_rules! on_conn {
    ($tx:expr, $conn:ident => $body:expr) => {
        match &mut $tx.inner {
            $crate::db::TxInner::Sqlite(t) => {
                let $conn: &mut sqlx::SqliteConnection = &mut **t;
                $body
            }
            $crate::db::TxInner::Postgres(t) => {
                let $conn: &mut sqlx::PgConnection = &mut **t;
                $body
            }
        }
    };
}

/// Like [`on_conn!`] but with a different statement per backend.
macro_rules! per_backend {
    ($tx:expr, sqlite: $conn_s:ident => $body_s:expr, postgres: $conn_p:ident => $body_p:expr $(,)?) => {
        match &mut $tx.inner {
            $crate::db::TxInner::Sqlite(t) => {
                let $conn_s: &mut sqlx::SqliteConnection = &mut **t;
                $body_s
            }
            $crate::db::TxInner::Postgres(t) => {
                let $conn_p: &mut sqlx::PgConnection = &mut **t;
                $body_p
            }
        }
    };
}

/// A lone read: one statement outside any transaction, inline on SQLite's readers when there
/// are some ([`crate::lone_read`]), else on the pool of either backend. `optional` reads at
/// most one row, `all` every row. `$from_rusqlite` maps a rusqlite row to `$row`, which sqlx
/// maps by `FromRow`.
macro_rules! lone_read {
    (optional: $($rest:tt)+) => { lone_read!(@run optional, fetch_optional, $($rest)+) };
    (all: $($rest:tt)+) => { lone_read!(@run all, fetch_all, $($rest)+) };
    (@run $inline:ident, $fetch:ident, $db:expr, $row:ty, $sql:expr, $from_rusqlite:expr, $($bind:expr),+ $(,)?) => {
        if let Some(readers) = &$db.readers {
            readers.$inline($sql, ($($bind,)+), $from_rusqlite)
        } else {
            match &$db.inner {
                $crate::db::DbInner::Sqlite(pool) => sqlx::query_as::<_, $row>($sql)
                    $(.bind($bind))+
                    .$fetch(pool)
                    .await
                    .map_err($crate::db::map_err),
                $crate::db::DbInner::Postgres(pool) => sqlx::query_as::<_, $row>($sql)
                    $(.bind($bind))+
                    .$fetch(pool)
                    .await
                    .map_err($crate::db::map_err),
            }
        }
    };
}

impl Db {
    /// Opens a pool for `sqlite://path` (created if missing, WAL) or `postgres://…`.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, StoreError> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(map_err)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // NORMAL is durable against application crashes in WAL mode and loses at
                // most the last transactions on power loss; FULL would fsync every commit.
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true);
            private_database_file(options.get_filename())?;
            let path = options.get_filename().to_owned();
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections.max(1))
                .connect_with(options)
                .await
                .map_err(map_err)?;
            // An in-memory database exists only inside sqlx's connections: lone reads then
            // stay on the pool.
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let readers = if in_memory {
                None
            } else {
                let count = usize::try_from(max_connections.max(1)).unwrap_or(1);
                Some(Arc::new(Readers::open(&path, count)?))
            };
            Ok(Db {
                inner: DbInner::Sqlite(pool),
                readers,
                write_queue: Some(Arc::new(tokio::sync::Mutex::new(()))),
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url).map_err(map_err)?;
            let pool = PgPoolOptions::new()
                .max_connections(max_connections.max(1))
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await
                .map_err(map_err)?;
            Ok(Db {
                inner: DbInner::Postgres(pool),
                readers: None,
                write_queue: None,
            })
        } else {
            Err(StoreError::UnsupportedUrl(redact_url(url)))
        }
    }

    /// Applies pending migrations of this backend (append-only, embedded at compile time).
    /// Safe to run from several instances at once: PostgreSQL takes an advisory lock.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match &self.inner {
            DbInner::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            DbInner::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// A fingerprint of the PostgreSQL schema the embedded migrations build (each
    /// migration's version and checksum): equal fingerprints mean identical schemas, so a
    /// migrated database can serve as a template for another.
    pub fn postgres_schema_fingerprint() -> String {
        let migrator = sqlx::migrate!("./migrations/postgres");
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for migration in migrator.iter() {
            let bytes = migration.version.to_be_bytes();
            for byte in bytes.iter().chain(migration.checksum.iter()) {
                // FNV-1a: a stable name, not a security boundary.
                hash = (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        format!("{hash:016x}")
    }

    /// Which backend this is.
    pub fn backend(&self) -> Backend {
        match &self.inner {
            DbInner::Sqlite(_) => Backend::Sqlite,
            DbInner::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`), so it waits for other writers instead of failing on upgrade.
    ///
    /// SQLite has one writer at a time, and a `BEGIN IMMEDIATE` that finds the lock taken
    /// sleeps in SQLite's busy handler (1, 2, 5, 10 … 100 ms) rather than being woken when
    /// the lock frees: under 16 concurrent registrations that made p99 more than a hundred
    /// times the median. Writers of this instance therefore first queue in FIFO order on an
    /// async mutex, so that the busy handler only ever waits for another process (an operator
    /// command). PostgreSQL locks rows, not the database, and needs no queue.
    pub async fn write(&self) -> Result<Tx, StoreError> {
        let write_turn = match &self.write_queue {
            Some(queue) => Some(
                tokio::time::timeout(WRITE_TURN_WAIT, queue.clone().lock_owned())
                    .await
                    .map_err(|_| StoreError::Database(sqlx::Error::PoolTimedOut))?,
            ),
            None => None,
        };
        let inner = match &self.inner {
            DbInner::Sqlite(pool) => {
                TxInner::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await.map_err(map_err)?)
            }
            DbInner::Postgres(pool) => TxInner::Postgres(pool.begin().await.map_err(map_err)?),
        };
        Ok(Tx {
            inner,
            _write_turn: write_turn,
        })
    }

    /// Starts a transaction that only reads.
    pub async fn read(&self) -> Result<Tx, StoreError> {
        let inner = match &self.inner {
            DbInner::Sqlite(pool) => TxInner::Sqlite(pool.begin().await.map_err(map_err)?),
            DbInner::Postgres(pool) => TxInner::Postgres(pool.begin().await.map_err(map_err)?),
        };
        Ok(Tx {
            inner,
            _write_turn: None,
        })
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let mut tx = self.read().await?;
        on_conn!(tx, c => sqlx::query("SELECT 1").execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        tx.commit().await
    }

    /// Whether every migration this release embeds is applied (and none failed half-way):
    /// `/readyz` refuses traffic to an instance whose schema is behind its code.
    pub async fn migrations_applied(&self) -> Result<bool, StoreError> {
        let (expected, mut tx) = match &self.inner {
            DbInner::Sqlite(_) => (
                sqlx::migrate!("./migrations/sqlite").iter().count(),
                self.read().await?,
            ),
            DbInner::Postgres(_) => (
                sqlx::migrate!("./migrations/postgres").iter().count(),
                self.read().await?,
            ),
        };
        let sql = "SELECT COUNT(*) FROM _sqlx_migrations WHERE success";
        let (applied,): (i64,) =
            on_conn!(tx, c => sqlx::query_as(sql).fetch_one(c).await.map_err(map_err))?;
        tx.commit().await?;
        Ok(usize::try_from(applied).unwrap_or(0) >= expected)
    }

    /// The connection pool right now: (open connections, of which idle, the maximum).
    pub fn pool_usage(&self) -> (u32, u32, u32) {
        match &self.inner {
            DbInner::Sqlite(pool) => (
                pool.size(),
                u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                pool.options().get_max_connections(),
            ),
            DbInner::Postgres(pool) => (
                pool.size(),
                u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                pool.options().get_max_connections(),
            ),
        }
    }

    /// Closes every connection (graceful shutdown).
    pub async fn close(&self) {
        match &self.inner {
            DbInner::Sqlite(pool) => pool.close().await,
            DbInner::Postgres(pool) => pool.close().await,
        }
    }

    /// After values were overwritten in place (the one-time sealing of personal data an older
    /// release stored in clear), makes the old bytes unreadable from the files: on SQLite,
    /// `VACUUM` rebuilds the file without free pages and a truncating checkpoint empties the
    /// WAL. On PostgreSQL old row versions stay until its own `VACUUM FULL`, which takes an
    /// exclusive lock, so that is left to the operator.
    pub async fn compact(&self) -> Result<(), StoreError> {
        if let DbInner::Sqlite(pool) = &self.inner {
            sqlx::query("VACUUM").execute(pool).await.map_err(map_err)?;
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(pool)
                .await
                .map_err(map_err)?;
        }
        Ok(())
    }

    /// PostgreSQL: creates (`create`) or drops a database beside this one on the same server
    /// (restore drills), outside any transaction as PostgreSQL requires. The name must be
    /// lower-case letters, digits and `_`; on SQLite this does nothing.
    pub async fn scratch_database(&self, name: &str, create: bool) -> Result<(), StoreError> {
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        {
            return Err(StoreError::Database(sqlx::Error::Protocol(format!(
                "invalid scratch database name {name:?}"
            ))));
        }
        if let DbInner::Postgres(pool) = &self.inner {
            let sql = if create {
                format!("CREATE DATABASE {name}")
            } else {
                format!("DROP DATABASE IF EXISTS {name}")
            };
            let mut conn = pool.acquire().await.map_err(map_err)?;
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql))
                .execute(&mut *conn)
                .await
                .map_err(map_err)?;
        }
        Ok(())
    }

    /// Runs raw SQL, for tests and operators' repair tools only (e.g. proving that
    /// `audit verify` notices an edited row).
    pub async fn execute_raw(&self, sql: &str) -> Result<u64, StoreError> {
        let mut tx = self.write().await?;
        let n = on_conn!(tx, c => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        tx.commit().await?;
        Ok(n)
    }
}

impl Tx {
    /// Commits.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self.inner {
            TxInner::Sqlite(t) => t.commit().await.map_err(map_err),
            TxInner::Postgres(t) => t.commit().await.map_err(map_err),
        }
    }

    /// Which backend this transaction runs on.
    pub fn backend(&self) -> Backend {
        match self.inner {
            TxInner::Sqlite(_) => Backend::Sqlite,
            TxInner::Postgres(_) => Backend::Postgres,
        }
    }
}

/// Creates the SQLite file readable by its owner only (mode 0600) before SQLite opens it, and
/// takes group and other access away from an existing one and its `-wal`/`-shm` files: SQLite
/// creates those with the database file's permissions, and all of them hold the data.
#[cfg(unix)]
fn private_database_file(path: &std::path::Path) -> Result<(), StoreError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let io = |e: std::io::Error| StoreError::Database(sqlx::Error::Io(e));
    if path.as_os_str().is_empty() || path.as_os_str() == ":memory:" {
        return Ok(());
    }
    if !path.exists() {
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(path)
            .map_err(io)?;
    }
    for suffix in ["", "-wal", "-shm"] {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        let file = std::path::PathBuf::from(name);
        if let Ok(metadata) = std::fs::metadata(&file)
            && metadata.permissions().mode() & 0o077 != 0
        {
            let mode = metadata.permissions().mode() & 0o700;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).map_err(io)?;
        }
    }
    Ok(())
}

#[cfg(not(unix))]
fn private_database_file(_path: &std::path::Path) -> Result<(), StoreError> {
    Ok(())
}

/// Removes a password from a URL before it appears in an error or log line.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}://{}:***@{}", &url[..scheme_end], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact_url("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(redact_url("sqlite://./data/y.db"), "sqlite://./data/y.db");
    }
}
