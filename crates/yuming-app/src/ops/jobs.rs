//! The scheduler's jobs as administrators see them: when each last ran, how long ago, what
//! it did, whether it is failing or lagging, and running one now (audited).

use serde_json::json;
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
pub use yuming_store::JobStatusRow;

use super::scheduler::{self, Job, JobsReport, Trigger};
use crate::platform::audit::{self, Change};
use crate::platform::error::ErrorKind;
use crate::{App, AppError, RequestContext};

/// A job with its recorded state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobView {
    /// The job.
    pub job: Job,
    /// What the job status table holds (`None`: never ran on this installation).
    pub status: Option<JobStatusRow>,
    /// How often it is meant to run.
    pub every_secs: u64,
    /// Seconds since it last started (`None`: never).
    pub lag_secs: Option<i64>,
    /// Not run for three of its intervals while the scheduler is on.
    pub lagging: bool,
    /// Its last run failed.
    pub failing: bool,
    /// Cannot run here (e-mail without `smtp_url`).
    pub unavailable: bool,
}

/// How many intervals a job may miss before it counts as lagging.
const LAG_INTERVALS: u64 = 3;

/// Every job with its state (administrators).
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<JobView>, AppError> {
    actor.require(Right::PlatformAdmin)?;
    let mut tx = app.db().read().await?;
    let rows = tx.job_statuses().await?;
    tx.commit().await?;
    Ok(views(app, rows, app.now()))
}

fn views(app: &App, rows: Vec<JobStatusRow>, now: Timestamp) -> Vec<JobView> {
    let settings = app.settings();
    let mailer = app.mailer().is_some();
    Job::ALL
        .into_iter()
        .map(|job| {
            let status = rows.iter().find(|r| r.name == job.name()).cloned();
            let every_secs = match job {
                Job::Backup => settings.backup.interval_secs,
                job if job.each_tick() => settings.scheduler_interval_secs,
                _ => settings.filing_sync_interval_secs,
            };
            let unavailable = (job == Job::EmailDelivery && !mailer)
                || (job == Job::Backup && settings.backup.interval_secs == 0);
            let lag_secs = status.as_ref().map(|s| (now.0 - s.last_started_at).max(0));
            let allowed =
                i64::try_from(every_secs.saturating_mul(LAG_INTERVALS) + 60).unwrap_or(i64::MAX);
            // The lifecycle sweep runs on one instance at a time, so others skip it; its
            // record still shows the last run anywhere.
            let lagging = settings.scheduler_enabled
                && !unavailable
                && lag_secs.is_some_and(|lag| lag > allowed);
            JobView {
                job,
                failing: status.as_ref().is_some_and(|s| s.consecutive_failures > 0),
                status,
                every_secs,
                lag_secs,
                lagging,
                unavailable,
            }
        })
        .collect()
}

/// How many jobs failed on their last run, and how many lag (for the dashboards).
pub async fn trouble(app: &App, actor: &Actor) -> Result<(usize, usize), AppError> {
    let jobs = list(app, actor).await?;
    Ok((
        jobs.iter().filter(|j| j.failing).count(),
        jobs.iter().filter(|j| j.lagging).count(),
    ))
}

/// What a run asked for in the console did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunNow {
    /// The job.
    pub job: Job,
    /// Items it handled.
    pub processed: usize,
}

/// Runs `name` now as `actor` (administrators), recorded like a scheduled run and audited
/// before it starts. A job that another instance is running, or e-mail without `smtp_url`,
/// is refused; a job that fails returns its error (also recorded).
pub async fn run_now(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    name: &str,
) -> Result<RunNow, AppError> {
    actor.require(Right::PlatformAdmin)?;
    let job = Job::from_name(name).ok_or_else(AppError::not_found)?;
    let mailer = app.mailer();
    if job == Job::EmailDelivery && mailer.is_none() {
        return Err(AppError::new(
            ErrorKind::Conflict,
            "SMTP_NOT_CONFIGURED",
            "e-mail cannot be sent: smtp_url is not set, so notices stay in the outbox",
            "未配置 smtp_url，无法发送邮件，通知保留在待发队列中",
        ));
    }
    let mut tx = app.db().write().await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "job.run_now",
            object_type: "job",
            object_id: job.name(),
            tenant: "",
            before: json!(null),
            after: json!({"job": job.name()}),
        },
    )
    .await?;
    tx.commit().await?;
    let holder = format!("console:{}", actor.account_id);
    let mut report = JobsReport::default();
    let ran = scheduler::run_recorded(
        app,
        job,
        &holder,
        Trigger::Manual(&actor.account_id),
        mailer.as_ref(),
        &mut report,
    )
    .await?;
    match ran {
        Some(processed) => Ok(RunNow { job, processed }),
        None => Err(AppError::new(
            ErrorKind::Conflict,
            "JOB_RUNNING_ELSEWHERE",
            "another instance is running this job now; its run is recorded when it ends",
            "另一实例正在运行此任务，运行结束后会记录结果",
        )),
    }
}
