//! Lone reads on SQLite's hot path — the session lookup every authenticated request makes,
//! the caller's account, a page of the caller's domains — through plain rusqlite connections
//! on the calling thread.
//!
//! sqlx-sqlite runs every connection on a worker thread of its own and hands each statement
//! and its rows over channels. Profiling `bench/api.sh` on a 2-core machine showed half the
//! CPU of `GET /api/v1/me` in futex waits and context switches of that hand-off, so a request
//! cost about as much as the number of statements it ran. A read by primary key or by an
//! index range takes a few microseconds in SQLite itself, less than one hand-off, so these
//! reads run inline instead. They are single statements (consistent on their own, no
//! transaction needed); everything that writes, and every transaction, stays on sqlx.
//!
//! The connections are opened read-write (a read-only connection cannot recover a WAL left
//! behind by a crash) but with `PRAGMA query_only`, so a bug cannot write through them.

use crate::db::StoreError;
use rusqlite::{Connection, OpenFlags, Params, Row};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// A fixed set of read connections to one SQLite file.
pub(crate) struct Readers {
    slots: Box<[Mutex<Connection>]>,
    next: AtomicUsize,
}

impl std::fmt::Debug for Readers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readers")
            .field("connections", &self.slots.len())
            .finish()
    }
}

impl Readers {
    /// Opens `count` connections to the database file at `path`, which must exist (the sqlx
    /// pool created it and switched it to WAL).
    pub(crate) fn open(path: &Path, count: usize) -> Result<Readers, StoreError> {
        let slots = (0..count.max(1))
            .map(|_| open_one(path).map(Mutex::new))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Readers {
            slots: slots.into_boxed_slice(),
            next: AtomicUsize::new(0),
        })
    }

    /// Runs one statement and collects its rows with `map`.
    pub(crate) fn all<T>(
        &self,
        sql: &str,
        params: impl Params,
        map: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        self.with(|conn| {
            let mut statement = conn.prepare_cached(sql)?;
            let rows = statement.query_map(params, map)?;
            rows.collect()
        })
    }

    /// Runs one statement and maps its first row, if any.
    pub(crate) fn optional<T>(
        &self,
        sql: &str,
        params: impl Params,
        map: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>, StoreError> {
        self.with(|conn| {
            let mut statement = conn.prepare_cached(sql)?;
            let mut rows = statement.query(params)?;
            rows.next()?.map(map).transpose()
        })
    }

    /// Runs `work` on a free connection; when all are busy, waits for one in turn. The wait
    /// is bounded by the few microseconds another caller holds it.
    fn with<T>(
        &self,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, StoreError> {
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let n = self.slots.len();
        let guard = (0..n)
            .find_map(|i| self.slots[(start + i) % n].try_lock().ok())
            .map(Ok)
            .unwrap_or_else(|| self.slots[start % n].lock())
            // A panic while a connection was held cannot leave it half-way through a
            // statement that matters: every use is one read.
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        work(&guard).map_err(StoreError::from)
    }
}

fn open_one(path: &Path) -> Result<Connection, StoreError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(Duration::from_secs(10))?;
    conn.pragma_update(None, "query_only", true)?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use rusqlite::StatementStatus;

    /// The hot reads stay prepared: executing them with new values does not make SQLite
    /// prepare them again (see the `LIMIT $n + 0` rule in `db.rs`).
    #[tokio::test]
    async fn hot_reads_are_not_prepared_again() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "yuming-reprepare-{}-{nanos}.db",
            std::process::id()
        ));
        let url = format!("sqlite://{}", path.display());
        let db = crate::Db::connect(&url, 1).await.expect("db");
        db.migrate().await.expect("migrate");
        let conn = rusqlite::Connection::open(&path).expect("open");
        let hot_reads = [
            ("ACCOUNT_FOR_SESSION", crate::accounts::ACCOUNT_FOR_SESSION),
            ("DOMAINS_PAGE", crate::domains::DOMAINS_PAGE),
            (
                "DOMAINS_PAGE_BY_EXPIRY",
                crate::domains::DOMAINS_PAGE_BY_EXPIRY,
            ),
            ("DOMAIN_BY_NAME", crate::domains::DOMAIN_BY_NAME),
            ("PUBLISHED_CONTACT", crate::contacts::PUBLISHED_CONTACT),
        ];
        for (name, sql) in hot_reads {
            for run in 0..3_i64 {
                let mut statement = conn.prepare_cached(sql).expect(name);
                let count = statement.parameter_count();
                let values: Vec<rusqlite::types::Value> = (0..count)
                    .map(|i| {
                        if i + 1 == count {
                            rusqlite::types::Value::Integer(10 + run)
                        } else {
                            rusqlite::types::Value::Text(format!("v{run}"))
                        }
                    })
                    .collect();
                let mut rows = statement
                    .query(rusqlite::params_from_iter(values))
                    .expect(name);
                while rows.next().expect(name).is_some() {}
                drop(rows);
                assert_eq!(
                    statement.get_status(StatementStatus::RePrepare),
                    0,
                    "{name} was prepared again on run {run}"
                );
            }
        }
        drop(conn);
        drop(db);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }

    /// Every `LIMIT` of the store's SQL follows the rule.
    #[test]
    fn every_limit_is_an_expression() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![dir.clone()];
        let mut offenders = Vec::new();
        while let Some(path) = files.pop() {
            if path.is_dir() {
                for entry in std::fs::read_dir(&path).expect("dir").flatten() {
                    files.push(entry.path());
                }
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("read");
            for (at, _) in text.match_indices("LIMIT $") {
                let rest = &text[at + "LIMIT $".len()..];
                let digits = rest.chars().take_while(char::is_ascii_digit).count();
                if digits > 0 && !rest[digits..].starts_with(" + 0") {
                    offenders.push(format!("{}: {}", path.display(), &text[at..at + 12]));
                }
            }
        }
        assert!(offenders.is_empty(), "{offenders:?}");
    }
}
