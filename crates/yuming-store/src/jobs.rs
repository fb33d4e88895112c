//! What the scheduler's jobs did last, and the daily reconciliation results.

use crate::db::{StoreError, Tx, map_err};

/// A job's last run and failure counts, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct JobStatusRow {
    /// The job's name (`lifecycle_sweep`, `email_delivery`, …).
    pub name: String,
    /// Runs recorded.
    pub runs: i64,
    /// Of which failed.
    pub failures: i64,
    /// Failures since the last success.
    pub consecutive_failures: i64,
    /// When the last run started.
    pub last_started_at: i64,
    /// When it ended.
    pub last_finished_at: i64,
    /// How long it took.
    pub last_duration_ms: i64,
    /// Items it handled.
    pub last_processed: i64,
    /// The last successful run's end.
    pub last_ok_at: Option<i64>,
    /// The last failure's message.
    pub last_error: Option<String>,
    /// When it happened.
    pub last_error_at: Option<i64>,
    /// The instance that ran it last.
    pub last_holder: String,
    /// `schedule`, or `manual:<staff id>` for a run asked for in the console.
    pub last_trigger: String,
}

/// One finished run, to record.
#[derive(Debug, Clone)]
pub struct JobRun<'a> {
    /// The job's name.
    pub name: &'a str,
    /// When it started.
    pub started_at: i64,
    /// When it ended.
    pub finished_at: i64,
    /// How long it took.
    pub duration_ms: i64,
    /// Items handled.
    pub processed: i64,
    /// Why it failed, if it did.
    pub error: Option<&'a str>,
    /// The instance.
    pub holder: &'a str,
    /// `schedule` or `manual:<staff id>`.
    pub trigger: &'a str,
}

/// One day's reconciliation of a gateway's bill.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ReconciliationRow {
    /// Gateway name.
    pub gateway: String,
    /// The bill's day (China time), `YYYY-MM-DD`.
    pub day: String,
    /// When it was compared.
    pub ran_at: i64,
    /// Bill lines that matched the ledger.
    pub matched: i64,
    /// The differences, a JSON array of strings.
    pub mismatches: String,
}

impl Tx {
    /// Records a finished run of a job: counts go up, the last run's facts replace the old
    /// ones, and a success clears the run of failures (keeping the last error for reference).
    pub async fn record_job_run(&mut self, run: &JobRun<'_>) -> Result<(), StoreError> {
        let failed = i64::from(run.error.is_some());
        let ok_at = run.error.is_none().then_some(run.finished_at);
        let error_at = run.error.is_some().then_some(run.finished_at);
        let sql = "INSERT INTO job_status (name, runs, failures, consecutive_failures, \
                   last_started_at, last_finished_at, last_duration_ms, last_processed, last_ok_at, \
                   last_error, last_error_at, last_holder, last_trigger) \
                   VALUES ($1, 1, $2, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                   ON CONFLICT (name) DO UPDATE SET runs = job_status.runs + 1, \
                   failures = job_status.failures + excluded.failures, \
                   consecutive_failures = CASE WHEN excluded.failures = 0 THEN 0 \
                       ELSE job_status.consecutive_failures + 1 END, \
                   last_started_at = excluded.last_started_at, \
                   last_finished_at = excluded.last_finished_at, \
                   last_duration_ms = excluded.last_duration_ms, \
                   last_processed = excluded.last_processed, \
                   last_ok_at = COALESCE(excluded.last_ok_at, job_status.last_ok_at), \
                   last_error = COALESCE(excluded.last_error, job_status.last_error), \
                   last_error_at = COALESCE(excluded.last_error_at, job_status.last_error_at), \
                   last_holder = excluded.last_holder, last_trigger = excluded.last_trigger";
        on_conn!(self, c => sqlx::query(sql)
            .bind(run.name)
            .bind(failed)
            .bind(run.started_at)
            .bind(run.finished_at)
            .bind(run.duration_ms)
            .bind(run.processed)
            .bind(ok_at)
            .bind(run.error)
            .bind(error_at)
            .bind(run.holder)
            .bind(run.trigger)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// Every job's status, by name.
    pub async fn job_statuses(&mut self) -> Result<Vec<JobStatusRow>, StoreError> {
        let sql = "SELECT name, runs, failures, consecutive_failures, last_started_at, \
                   last_finished_at, last_duration_ms, last_processed, last_ok_at, last_error, \
                   last_error_at, last_holder, last_trigger FROM job_status ORDER BY name";
        on_conn!(self, c => sqlx::query_as::<_, JobStatusRow>(sql)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Stores a day's reconciliation, replacing an earlier one of the same gateway and day.
    pub async fn upsert_reconciliation(
        &mut self,
        row: &ReconciliationRow,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO reconciliations (gateway, day, ran_at, matched, mismatches) \
                   VALUES ($1, $2, $3, $4, $5) ON CONFLICT (gateway, day) DO UPDATE SET \
                   ran_at = excluded.ran_at, matched = excluded.matched, \
                   mismatches = excluded.mismatches";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.gateway)
            .bind(&row.day)
            .bind(row.ran_at)
            .bind(row.matched)
            .bind(&row.mismatches)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// The latest reconciliations, newest day first; at most `limit`.
    pub async fn reconciliations(
        &mut self,
        limit: i64,
    ) -> Result<Vec<ReconciliationRow>, StoreError> {
        let sql = "SELECT gateway, day, ran_at, matched, mismatches FROM reconciliations \
                   ORDER BY day DESC, gateway LIMIT $1 + 0";
        on_conn!(self, c => sqlx::query_as::<_, ReconciliationRow>(sql)
            .bind(limit)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }
}
