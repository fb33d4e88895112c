//! Backups taken by `serve` itself every `[backup] interval_secs` (default 900 s, so that at
//! most 15 minutes of data are lost), by one instance at a time: written to `[backup] dir`,
//! read back and checked against their digests before they count, restored on a schedule
//! into a scratch database (every `trial_restore_every`-th backup) with the row counts
//! compared, and pruned to the newest `keep`.
//!
//! PostgreSQL deployments should add WAL archiving for point-in-time recovery (see the
//! README): these logical backups bound the loss to the interval, WAL to seconds.

use std::path::{Path, PathBuf};
use std::time::Instant;

use yuming_store::Db;

use crate::ops::backup::{self, BackupError};
use crate::{App, AppError};

/// The job (and lease) name.
pub const JOB_NAME: &str = "backup";
/// How long the backup lease lasts: an instance that dies mid-backup frees it after this. A
/// large database with a trial restore takes longer than the scheduler's other jobs.
const LEASE_SECS: i64 = 3 * 3600;
/// Archive names: `yuming-<UTC time>.tar.gz`, so that names sort by age.
const PREFIX: &str = "yuming-";
const SUFFIX: &str = ".tar.gz";

/// When and where `serve` takes backups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupSchedule {
    /// Seconds between backups; 0 turns scheduled backups off.
    pub interval_secs: u64,
    /// Where archives go.
    pub dir: PathBuf,
    /// Archives kept (the newest).
    pub keep: usize,
    /// Every this many backups, one is restored into a scratch database (0: never).
    pub trial_restore_every: u64,
    /// The data directory whose uploads are backed up.
    pub data_dir: PathBuf,
    /// The database URL, to make a scratch PostgreSQL database beside it for trial restores.
    pub database_url: String,
}

impl Default for BackupSchedule {
    fn default() -> Self {
        BackupSchedule {
            interval_secs: 0,
            dir: PathBuf::from("backups"),
            keep: 96,
            trial_restore_every: 4,
            data_dir: PathBuf::from("."),
            database_url: String::new(),
        }
    }
}

/// What one scheduled backup did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduledBackup {
    /// The archive written.
    pub archive: PathBuf,
    /// Rows in it.
    pub rows: u64,
    /// Its size in bytes.
    pub bytes: u64,
    /// Whether it was restored into a scratch database (and matched).
    pub trial_restored: bool,
    /// Older archives removed.
    pub pruned: usize,
}

fn backup_error(error: BackupError) -> AppError {
    AppError::internal(format!("backup: {error}"))
}

/// Takes a backup when one is due (the last started `interval_secs` ago or more) and this
/// instance gets the lease; `None` otherwise (and always while scheduled backups are off).
/// `force` (a staff member's "run now") ignores the interval but not the lease.
pub async fn run_if_due(
    app: &App,
    holder: &str,
    force: bool,
) -> Result<Option<ScheduledBackup>, AppError> {
    let schedule = &app.settings().backup;
    // Off means off, also for "run now": without `[backup]` there is no agreed place to write.
    if schedule.interval_secs == 0 {
        return Ok(None);
    }
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    let last = tx
        .job_statuses()
        .await?
        .into_iter()
        .find(|row| row.name == JOB_NAME);
    let interval = i64::try_from(schedule.interval_secs).unwrap_or(i64::MAX);
    let due = force
        || last
            .as_ref()
            .is_none_or(|row| row.last_started_at + interval <= now);
    if !due {
        tx.commit().await?;
        return Ok(None);
    }
    let leased = tx
        .acquire_job_lease(JOB_NAME, holder, now, now + LEASE_SECS)
        .await?;
    tx.commit().await?;
    if !leased {
        return Ok(None);
    }
    let done = last.map_or(0, |row| row.runs - row.failures);
    let outcome = take(app, schedule, u64::try_from(done).unwrap_or(0)).await;
    let mut tx = app.db().write().await?;
    tx.release_job_lease(JOB_NAME, holder, app.now().0).await?;
    tx.commit().await?;
    outcome.map(Some)
}

async fn take(
    app: &App,
    schedule: &BackupSchedule,
    done: u64,
) -> Result<ScheduledBackup, AppError> {
    let now = app.now();
    let stamp = time::OffsetDateTime::from_unix_timestamp(now.0)
        .ok()
        .and_then(|t| {
            t.format(&time::macros::format_description!(
                "[year][month][day]T[hour][minute][second]Z"
            ))
            .ok()
        })
        .unwrap_or_else(|| now.0.to_string());
    let archive = schedule.dir.join(format!("{PREFIX}{stamp}{SUFFIX}"));
    let report = backup::create(app.db(), &schedule.data_dir, &archive, now)
        .await
        .map_err(backup_error)?;
    // Read back before it counts: a backup that does not verify is removed and the run fails.
    if let Err(error) = backup::verify(&archive) {
        let _ = std::fs::remove_file(&archive);
        return Err(backup_error(error));
    }
    let trial_restored =
        schedule.trial_restore_every > 0 && done.is_multiple_of(schedule.trial_restore_every);
    if trial_restored {
        drill(app.db(), &schedule.database_url, &archive, &schedule.dir).await?;
    }
    let pruned = prune(&schedule.dir, schedule.keep.max(1))?;
    Ok(ScheduledBackup {
        archive,
        rows: report.manifest.tables.iter().map(|t| t.rows).sum(),
        bytes: report.archive_size,
        trial_restored,
        pruned,
    })
}

/// Restores `archive` into a scratch database of the live one's kind (a temporary SQLite
/// file, or a new PostgreSQL database beside the live one, reached through `database_url`)
/// and a scratch data directory under `scratch_parent`, timing it; the restore itself checks
/// every member's digest and every table's row count against the manifest. Everything
/// scratch is removed after. The restore drill and the scheduled trial restores both run
/// this.
pub async fn drill(
    live: &Db,
    database_url: &str,
    archive: &Path,
    scratch_parent: &Path,
) -> Result<Drill, AppError> {
    std::fs::create_dir_all(scratch_parent)
        .map_err(|e| AppError::internal(format!("creating {}: {e}", scratch_parent.display())))?;
    let scratch = tempfile::tempdir_in(scratch_parent)
        .map_err(|e| AppError::internal(format!("restore drill: {e}")))?;
    let data_dir = scratch.path().join("data");
    let started = Instant::now();
    let report = match live.backend() {
        yuming_store::Backend::Sqlite => {
            let url = format!("sqlite://{}", scratch.path().join("drill.db").display());
            let db = Db::connect(&url, 1).await?;
            let outcome = backup::restore(&db, &data_dir, archive).await;
            db.close().await;
            outcome.map_err(backup_error)?
        }
        yuming_store::Backend::Postgres => {
            // Hex only: the name goes unquoted into CREATE DATABASE.
            let name = format!(
                "yuming_drill_{}",
                hex::encode(crate::platform::crypto::random_bytes::<6>())
            );
            let url = database_url_named(database_url, &name).ok_or_else(|| {
                AppError::internal("restore drill: the database URL names no database")
            })?;
            live.scratch_database(&name, true).await?;
            let outcome = async {
                let db = Db::connect(&url, 1).await?;
                let restored = backup::restore(&db, &data_dir, archive).await;
                db.close().await;
                restored.map_err(backup_error)
            }
            .await;
            let dropped = live.scratch_database(&name, false).await;
            let report = outcome?;
            dropped?;
            report
        }
    };
    Ok(Drill {
        archive: archive.to_owned(),
        rows: report.manifest.tables.iter().map(|t| t.rows).sum(),
        tables: report.manifest.tables.len(),
        uploads: report.uploads,
        elapsed: started.elapsed(),
    })
}

/// `url` with its database name replaced by `name` (`postgres://u@h:5432/db?x=y`).
fn database_url_named(url: &str, name: &str) -> Option<String> {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let (server, _) = base.rsplit_once('/')?;
    if !server.contains("://") || server.ends_with('/') {
        return None;
    }
    Some(match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    })
}

/// The scheduled archives in `dir`, oldest first (their names sort by time).
fn archives(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
        })
        .collect();
    found.sort();
    Ok(found)
}

/// Removes all but the newest `keep` archives in `dir`; how many went.
fn prune(dir: &Path, keep: usize) -> Result<usize, AppError> {
    let archives =
        archives(dir).map_err(|e| AppError::internal(format!("listing {}: {e}", dir.display())))?;
    let excess = archives.len().saturating_sub(keep);
    for old in &archives[..excess] {
        std::fs::remove_file(old)
            .map_err(|e| AppError::internal(format!("removing {}: {e}", old.display())))?;
    }
    Ok(excess)
}

/// The newest scheduled archive in `dir`, for the restore drill.
pub fn latest(dir: &Path) -> Option<PathBuf> {
    archives(dir).ok()?.pop()
}

/// What a restore drill found: how long a full restore took and what it held.
#[derive(Debug, Clone)]
pub struct Drill {
    /// The archive restored.
    pub archive: PathBuf,
    /// Rows restored.
    pub rows: u64,
    /// Tables restored.
    pub tables: usize,
    /// Uploaded files restored.
    pub uploads: usize,
    /// Wall time of the restore (the RTO of the data).
    pub elapsed: std::time::Duration,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_database_urls_keep_the_server_and_options() {
        assert_eq!(
            database_url_named("postgres://u@127.0.0.1:5432/live?sslmode=disable", "t1").as_deref(),
            Some("postgres://u@127.0.0.1:5432/t1?sslmode=disable")
        );
        assert_eq!(
            database_url_named("postgres://127.0.0.1/live", "t1").as_deref(),
            Some("postgres://127.0.0.1/t1")
        );
        assert_eq!(database_url_named("postgres://127.0.0.1", "t1"), None);
    }

    #[test]
    fn pruning_keeps_the_newest_archives_only() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "yuming-20261201T000000Z.tar.gz",
            "yuming-20261202T000000Z.tar.gz",
            "yuming-20261203T000000Z.tar.gz",
            "notes.txt",
        ] {
            std::fs::write(dir.path().join(name), b"x").unwrap();
        }
        assert_eq!(prune(dir.path(), 2).unwrap(), 1);
        assert!(!dir.path().join("yuming-20261201T000000Z.tar.gz").exists());
        assert!(dir.path().join("notes.txt").exists());
        assert_eq!(
            latest(dir.path()).unwrap(),
            dir.path().join("yuming-20261203T000000Z.tar.gz")
        );
    }
}
