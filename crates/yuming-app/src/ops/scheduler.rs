//! The scheduler's jobs: the lifecycle sweep (reminders, auto-renewal, expiry, redemption
//! and release notices, release) and notice delivery.
//!
//! Lifecycle state is never stored: each domain is projected at `now` by
//! `yuming_core::lifecycle`, and the sweep only performs the side effects the projection
//! calls for and that have not happened yet. Every side effect is idempotent on its own —
//! an auto-renewal is no longer due once the expiry moved, notices are unique per occasion,
//! a purged row leaves the due set — so a missed, repeated or concurrent sweep converges to
//! the same result.
//!
//! Concurrency: each domain is handled in its own write transaction that first claims the
//! row. On PostgreSQL the claim is `FOR UPDATE SKIP LOCKED`, so concurrent workers split
//! the due set and never wait on each other; a worker that reaches a row after another
//! committed sees the new facts and does nothing. On SQLite `BEGIN IMMEDIATE` serialises
//! the writers, which gives the same exactly-once result on one machine.

use serde_json::{Map, Value, json};
use yuming_core::catalogue::{self as rules, Operation};
use yuming_core::clock::Timestamp;
use yuming_core::lifecycle::{self, Phase};
use yuming_store::{DomainHistoryEntry, DomainRow, Tx};

use crate::billing::{BalanceOrder, pay_order};
use crate::notify::notices::{self, NoticeKind, NoticeRequest};
use crate::platform::audit::{self, Change};
use crate::platform::crypto::new_id;
use crate::registrar::catalogue as stored_catalogue;
use crate::registrar::domains::{apply_record, held_change, record_of};
use crate::{App, AppError, RequestContext};

/// Days before expiry at which a reminder is sent.
pub const REMINDER_DAYS: [i64; 3] = [30, 7, 1];

/// Days after expiry during which an "expired" notice is still worth sending.
pub const EXPIRED_NOTICE_DAYS: i64 = 5;

/// The actor name history and audit entries of the scheduler carry.
pub const SCHEDULER_ACTOR: &str = "scheduler";

/// What one sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Due domains examined (claimed).
    pub examined: u64,
    /// Auto-renewals charged.
    pub renewed: u64,
    /// Auto-renewals that could not be charged (first failure per expiry).
    pub renew_failed: u64,
    /// Names released.
    pub released: u64,
    /// Notice rows written.
    pub notices: u64,
}

impl SweepReport {
    fn add(&mut self, other: SweepReport) {
        self.examined += other.examined;
        self.renewed += other.renewed;
        self.renew_failed += other.renew_failed;
        self.released += other.released;
        self.notices += other.notices;
    }
}

/// Runs the lifecycle sweep over every due domain at the clock's `now`.
///
/// The due set comes from indexes (expiry within the reminder horizon, or deleted), never
/// from a scan of all domains.
pub async fn sweep(app: &App) -> Result<SweepReport, AppError> {
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    let horizon = now.plus_days(REMINDER_DAYS[0] + 1).0;
    let mut report = SweepReport::default();
    let mut tx = app.db().read().await?;
    let ahead = now
        .plus_days(i64::from(crate::registrar::batches::MAX_RENEW_DAYS_BEFORE) + 1)
        .0;
    let ids = tx.lifecycle_due_ids(horizon, now.0, ahead).await?;
    tx.commit().await?;
    for id in ids {
        report.add(sweep_one(app, &catalogue, &id, now).await?);
    }
    Ok(report)
}

async fn sweep_one(
    app: &App,
    catalogue: &rules::Catalogue,
    id: &str,
    now: Timestamp,
) -> Result<SweepReport, AppError> {
    let mut report = SweepReport::default();
    let book = crate::registrar::pricing::book(app).await?;
    let mut tx = app.db().write().await?;
    let Some(mut row) = tx.claim_domain(id).await? else {
        return Ok(report);
    };
    report.examined = 1;
    let Some(tld) = catalogue.tld(&row.tld) else {
        tracing::warn!(domain = %row.name, tld = %row.tld, "TLD left the catalogue; not swept");
        return Ok(report);
    };
    let mut record = record_of(&row)?;
    let days_before = if row.auto_renew {
        u32::try_from(tx.auto_renew_days_before(&row.id).await?.unwrap_or(0)).unwrap_or(0)
    } else {
        0
    };

    if lifecycle::auto_renew_due_ahead(&record, &tld.periods, now, days_before)
        .map_err(crate::registrar::domains::lifecycle_error)?
        .is_some()
    {
        let label = row.name.split('.').next().unwrap_or_default().to_owned();
        let (prices, premium) = tld.prices_for(&label);
        let amount = crate::registrar::pricing::quote_in(
            &mut tx,
            &book,
            &row.owner_id,
            yuming_core::pricing::Item {
                prices: &prices,
                premium,
                tld: &tld.ascii,
                operation: Operation::Renew,
                years: 1,
            },
            now,
        )
        .await?
        .price;
        let previous_expiry = row.expires_at;
        let outcome = match lifecycle::auto_renew_ahead(&record, &tld.periods, now, days_before) {
            Ok(renewed) => {
                let detail = json!({
                    "previous_expires_at": previous_expiry,
                    "expires_at": renewed.expires_at.0,
                });
                // The charge itself sends the low-balance notice when it is due.
                pay_order(
                    &mut tx,
                    BalanceOrder {
                        owner_id: &row.owner_id,
                        actor_id: SCHEDULER_ACTOR,
                        kind: "auto_renew",
                        domain_name: &row.name,
                        years: Some(1),
                        amount,
                        memo: format!("auto-renew {} 1y", row.name),
                        detail,
                    },
                    now,
                )
                .await
                .map(|(order_id, _balance)| (renewed, order_id))
            }
            Err(e) => Err(crate::registrar::domains::lifecycle_error(e)),
        };
        match outcome {
            Ok((renewed, order_id)) => {
                apply_record(&mut row, &renewed);
                row.updated_at = now.0;
                app.registry(&tld.registry)?.renew(&mut tx, &row).await?;
                report.notices += notify(
                    &mut tx,
                    &row,
                    NoticeKind::AutoRenewSucceeded,
                    format!("auto_renew:{}:{previous_expiry}", row.id),
                    json!({ "expires_at": date(row.expires_at), "amount": amount.to_string() }),
                    now,
                )
                .await? as u64;
                history(&mut tx, &row, "auto_renew", Some(&order_id),
                    json!({ "previous_expires_at": previous_expiry, "expires_at": row.expires_at, "amount": amount.minor() }), now).await?;
                audit::record(app, &mut tx, &RequestContext::internal("scheduler"), SCHEDULER_ACTOR, Change {
                    action: "domain.auto_renew",
                    object_type: "domain",
                    object_id: &row.name,
                    tenant: &row.owner_id,
                    before: json!({ "expires_at": previous_expiry }),
                    after: json!({ "expires_at": row.expires_at, "order_id": order_id, "amount": amount.minor() }),
                })
                .await?;
                report.renewed = 1;
                record = renewed;
            }
            Err(error) => {
                // Nothing was charged (the balance update is conditional); the customer is
                // told once per expiry and the next sweeps retry until the grace runs out.
                let sent = notify(&mut tx, &row, NoticeKind::AutoRenewFailed,
                    format!("auto_renew_failed:{}:{previous_expiry}", row.id),
                    json!({ "amount": amount.to_string(), "reason_zh": error.message_zh, "reason_en": error.message }), now).await?;
                if sent > 0 {
                    history(
                        &mut tx,
                        &row,
                        "auto_renew_failed",
                        None,
                        json!({ "code": error.code, "amount": amount.minor() }),
                        now,
                    )
                    .await?;
                    report.notices += sent as u64;
                    report.renew_failed = 1;
                }
            }
        }
    }

    let projection = lifecycle::project(&record, &tld.periods, now)
        .map_err(crate::registrar::domains::lifecycle_error)?;
    match projection.phase {
        Phase::Active => {
            let days_left = (row.expires_at - now.0 + 86_399).div_euclid(86_400);
            // Only the nearest threshold crossed: a sweep that missed the 30-day mark at
            // 6 days left sends the 7-day reminder, not both.
            if let Some(days) = REMINDER_DAYS
                .iter()
                .rev()
                .copied()
                .find(|d| days_left <= *d)
                && days_left > 0
            {
                let (zh, en) = if row.auto_renew {
                    (
                        "（已开启自动续费，请保证余额充足）",
                        " (auto-renew is on: keep your balance sufficient)",
                    )
                } else {
                    ("", "")
                };
                report.notices += notify(&mut tx, &row, NoticeKind::ExpiryReminder,
                    format!("expiry:{days}d:{}:{}", row.id, row.expires_at),
                    json!({ "days": days, "expires_at": date(row.expires_at), "auto_renew_zh": zh, "auto_renew_en": en }), now).await? as u64;
            }
        }
        Phase::AutoRenewGrace => {
            if now.0 - row.expires_at <= EXPIRED_NOTICE_DAYS * 86_400 {
                let grace_ends = projection.deletion.redemption_starts_at;
                report.notices += notify(&mut tx, &row, NoticeKind::DomainExpired,
                    format!("expired:{}:{}", row.id, row.expires_at),
                    json!({ "expires_at": date(row.expires_at), "grace_ends_at": date(grace_ends.0) }), now).await? as u64;
            }
        }
        Phase::Redemption => {
            let starts = projection.deletion.redemption_starts_at.0;
            let sent = notify(&mut tx, &row, NoticeKind::DomainRedemption,
                format!("redemption:{}:{starts}", row.id),
                json!({ "pending_delete_at": date(projection.deletion.pending_delete_starts_at.0) }), now).await?;
            if sent > 0 {
                history(
                    &mut tx,
                    &row,
                    "redemption",
                    None,
                    json!({ "since": starts }),
                    now,
                )
                .await?;
                report.notices += sent as u64;
            }
        }
        Phase::PendingDelete => {}
        Phase::Released => {
            tx.purge_domain(&row.id, now.0).await?;
            row.purged_at = Some(now.0);
            row.updated_at = now.0;
            report.notices += notify(
                &mut tx,
                &row,
                NoticeKind::DomainReleased,
                format!("released:{}", row.id),
                json!({}),
                now,
            )
            .await? as u64;
            history(
                &mut tx,
                &row,
                "release",
                None,
                json!({ "released_at": projection.deletion.released_at.0 }),
                now,
            )
            .await?;
            audit::record(
                app,
                &mut tx,
                &RequestContext::internal("scheduler"),
                SCHEDULER_ACTOR,
                Change {
                    action: "domain.release",
                    object_type: "domain",
                    object_id: &row.name,
                    tenant: &row.owner_id,
                    before: json!({ "expires_at": row.expires_at, "deleted_at": row.deleted_at }),
                    after: json!({ "purged_at": now.0 }),
                },
            )
            .await?;
            report.released = 1;
        }
    }
    tx.commit().await?;
    if report.renewed > 0 || report.released > 0 {
        app.availability().note(held_change(&row));
    }
    Ok(report)
}

fn date(ts: i64) -> String {
    Timestamp(ts).date().to_string()
}

async fn notify(
    tx: &mut Tx,
    row: &DomainRow,
    kind: NoticeKind,
    occasion: String,
    extra: Value,
    now: Timestamp,
) -> Result<usize, AppError> {
    let mut params = Map::new();
    params.insert("domain".into(), Value::String(row.unicode_name.clone()));
    if let Value::Object(extra) = extra {
        params.extend(extra);
    }
    notices::enqueue(
        tx,
        &NoticeRequest {
            account_id: row.owner_id.clone(),
            kind,
            occasion,
            params,
            sms_to: None,
        },
        now.0,
    )
    .await
}

async fn history(
    tx: &mut Tx,
    row: &DomainRow,
    action: &str,
    order_id: Option<&str>,
    detail: Value,
    now: Timestamp,
) -> Result<(), AppError> {
    tx.append_domain_history(&DomainHistoryEntry {
        id: &new_id("dh"),
        domain_id: &row.id,
        action,
        actor: SCHEDULER_ACTOR,
        order_id,
        detail: &detail.to_string(),
        at: now.0,
    })
    .await?;
    Ok(())
}

/// What one run of the periodic jobs did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JobsReport {
    /// The lifecycle sweep, when this worker held its lease.
    pub sweep: Option<SweepReport>,
    /// E-mail notices sent.
    pub emails_sent: usize,
    /// E-mail delivery attempts that failed (retried with backoff).
    pub emails_failed: usize,
    /// SMS notices handed to the gateway.
    pub sms_sent: usize,
    /// SMS delivery attempts that failed (retried with backoff).
    pub sms_failed: usize,
    /// Transfers completed because their approval period ran out.
    pub transfers_completed: usize,
    /// Batches resumed and finished after their instance stopped.
    pub batches_resumed: usize,
    /// Filing certificate renewal reminders queued.
    pub certificate_reminders: usize,
    /// The filing consistency monitor (sites are leased, so instances share the work).
    pub filing_monitor: crate::filing::monitor::MonitorReport,
    /// Webhook deliveries accepted by their endpoints.
    pub webhooks_sent: usize,
    /// Webhook delivery attempts that failed (retried with backoff).
    pub webhooks_failed: usize,
    /// Payments and refunds settled by asking the gateways.
    pub payments: crate::billing::payments::SettleReport,
    /// Gateway bills reconciled with the ledger (once per gateway and day).
    pub reconciliations: usize,
    /// Paid checkout orders fulfilled (normally right after the notify already).
    pub orders_fulfilled: usize,
    /// Unpaid checkout orders lapsed, their names and coupon uses released.
    pub orders_lapsed: usize,
    /// The filing sync, when it ran.
    pub filing_sync: Option<crate::filing::SyncReport>,
    /// Support tickets found past a due time (each alerted once).
    pub tickets_late: usize,
    /// Complaint deadlines escalated to the supervisors.
    pub complaints_escalated: usize,
    /// Backups taken (and verified).
    pub backups_taken: usize,
}

/// How long a job's lease lasts: a worker that dies mid-job frees it after this.
pub const JOB_LEASE_SECS: i64 = 900;

/// The scheduler's jobs. Each run is recorded (`job_status`: last run, duration, items,
/// failures), so administrators see what ran, what lags and what fails, and can run one now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Job {
    /// Reminders, auto-renewal, expiry, redemption and release (one instance at a time).
    LifecycleSweep,
    /// Batches whose instance stopped mid-way.
    ResumeBatches,
    /// Filing certificate renewal reminders.
    CertificateReminders,
    /// The filing consistency monitor (domain, server address, site footer).
    FilingMonitor,
    /// Payments and refunds settled by asking the gateways.
    SettlePayments,
    /// Yesterday's gateway bills compared with the ledger.
    ReconcilePayments,
    /// Paid checkout orders fulfilled.
    FulfilOrders,
    /// Unpaid checkout orders lapsed, their names released.
    LapseOrders,
    /// Transfers whose approval period ran out.
    CompleteTransfers,
    /// E-mail notices sent through SMTP.
    EmailDelivery,
    /// SMS notices handed to the gateway.
    SmsDelivery,
    /// Webhook deliveries.
    WebhookDelivery,
    /// Support tickets past their first-response or resolution time alerted.
    TicketSla,
    /// Complaints whose acknowledgement or answer deadline is near escalated.
    ComplaintDeadlines,
    /// Filing orders brought up to date with the authority (its own interval).
    FilingSync,
    /// The audit log's Merkle tree extended and a new tree head signed.
    AuditTreeHead,
    /// A backup of the database and uploads (its own interval, `[backup] interval_secs`).
    Backup,
}

impl Job {
    /// Every job, in the order a run of the scheduler takes them.
    pub const ALL: [Job; 17] = [
        Job::LifecycleSweep,
        Job::ResumeBatches,
        Job::CertificateReminders,
        Job::FilingMonitor,
        Job::SettlePayments,
        Job::ReconcilePayments,
        Job::FulfilOrders,
        Job::LapseOrders,
        Job::CompleteTransfers,
        Job::EmailDelivery,
        Job::SmsDelivery,
        Job::WebhookDelivery,
        Job::TicketSla,
        Job::ComplaintDeadlines,
        Job::FilingSync,
        Job::AuditTreeHead,
        Job::Backup,
    ];

    /// Its stable name (stored, shown, used in addresses).
    pub fn name(self) -> &'static str {
        match self {
            Job::LifecycleSweep => "lifecycle_sweep",
            Job::ResumeBatches => "resume_batches",
            Job::CertificateReminders => "certificate_reminders",
            Job::FilingMonitor => "filing_monitor",
            Job::SettlePayments => "settle_payments",
            Job::ReconcilePayments => "reconcile_payments",
            Job::FulfilOrders => "fulfil_orders",
            Job::LapseOrders => "lapse_orders",
            Job::CompleteTransfers => "complete_transfers",
            Job::EmailDelivery => "email_delivery",
            Job::SmsDelivery => "sms_delivery",
            Job::WebhookDelivery => "webhook_delivery",
            Job::TicketSla => "ticket_sla",
            Job::ComplaintDeadlines => "complaint_deadlines",
            Job::FilingSync => "filing_sync",
            Job::AuditTreeHead => "audit_tree_head",
            Job::Backup => crate::ops::scheduled_backup::JOB_NAME,
        }
    }

    /// The job of this name.
    pub fn from_name(name: &str) -> Option<Job> {
        Job::ALL.into_iter().find(|job| job.name() == name)
    }

    /// Whether it runs on every tick of [`run_jobs`]; the filing sync has an interval of its
    /// own (`[filing] sync_interval_secs`).
    pub fn each_tick(self) -> bool {
        !matches!(self, Job::FilingSync | Job::Backup)
    }
}

/// Who asked for a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger<'a> {
    /// The scheduler's interval.
    Schedule,
    /// A staff member in the console (their account id).
    Manual(&'a str),
}

/// Runs `job` once as `holder` and adds what it did to `report`. `None` when it did not run:
/// another instance holds the lifecycle sweep's lease, or e-mail has no mailer.
async fn run_one(
    app: &App,
    job: Job,
    holder: &str,
    trigger: Trigger<'_>,
    mailer: Option<&notices::Mailer>,
    report: &mut JobsReport,
) -> Result<Option<usize>, AppError> {
    let done = match job {
        Job::LifecycleSweep => {
            let now = app.now().0;
            let mut tx = app.db().write().await?;
            let leased = tx
                .acquire_job_lease("lifecycle_sweep", holder, now, now + JOB_LEASE_SECS)
                .await?;
            tx.commit().await?;
            if !leased {
                return Ok(None);
            }
            let outcome = sweep(app).await;
            let mut tx = app.db().write().await?;
            tx.release_job_lease("lifecycle_sweep", holder, app.now().0)
                .await?;
            tx.commit().await?;
            let sweep = outcome?;
            report.sweep = Some(sweep);
            usize::try_from(sweep.examined).unwrap_or(usize::MAX)
        }
        // Batches whose instance stopped mid-way (their lease ran out) are finished here;
        // items that had already committed are recognised by their audit entries, not run
        // again.
        Job::ResumeBatches => {
            let n = crate::registrar::batches::resume_stalled(app, holder, 10).await?;
            report.batches_resumed += n;
            n
        }
        // Idempotent per certificate (the notice's occasion), so every instance may run it.
        Job::CertificateReminders => {
            let n = crate::filing::certificates::remind_renewals(app).await?;
            report.certificate_reminders += n;
            n
        }
        Job::FilingMonitor => {
            report.filing_monitor = crate::filing::monitor::run(app, 100).await?;
            report.filing_monitor.checked
        }
        // Crediting is guarded row by row, so instances may settle concurrently.
        Job::SettlePayments => {
            report.payments = crate::billing::payments::settle(app).await?;
            let p = report.payments;
            p.notifies + p.credited + p.closed + p.refunds
        }
        Job::ReconcilePayments => {
            report.reconciliations = crate::billing::payments::reconcile_due(app, holder)
                .await?
                .len();
            report.reconciliations
        }
        // Claimed order by order, so instances may run these concurrently.
        Job::FulfilOrders => {
            report.orders_fulfilled = crate::registrar::checkout::fulfil_paid(app).await?;
            report.orders_fulfilled
        }
        Job::LapseOrders => {
            report.orders_lapsed = crate::registrar::checkout::expire_lapsed(app).await?;
            report.orders_lapsed
        }
        // Each due transfer completes in its own transaction that re-checks its state, so
        // concurrent instances cannot complete one twice.
        Job::CompleteTransfers => {
            let mut total = 0;
            loop {
                let done = crate::registrar::transfers::complete_due(app, 100).await?;
                total += done;
                if done < 100 {
                    break;
                }
            }
            report.transfers_completed += total;
            total
        }
        Job::EmailDelivery => {
            let Some(mailer) = mailer else {
                return Ok(None);
            };
            let mut total = 0;
            loop {
                let (sent, failed) = notices::deliver_email(app, mailer, 100).await?;
                report.emails_sent += sent;
                report.emails_failed += failed;
                total += sent + failed;
                if sent + failed < 100 {
                    break;
                }
            }
            total
        }
        // The built-in gateway: no SMS provider has a public test endpoint, so messages are
        // recorded (the outbox row marked sent) instead of leaving the machine.
        Job::SmsDelivery => {
            let mut total = 0;
            loop {
                let (sent, failed) =
                    notices::deliver_sms(app, &notices::SandboxSmsGateway, 100).await?;
                report.sms_sent += sent;
                report.sms_failed += failed;
                total += sent + failed;
                if sent + failed < 100 {
                    break;
                }
            }
            total
        }
        // Deliveries are claimed under a lease (SKIP LOCKED on PostgreSQL): instances share
        // the work without sending one twice.
        Job::WebhookDelivery => {
            let mut total = 0;
            loop {
                let (sent, failed) = crate::notify::webhooks::deliver_webhooks(app, 100).await?;
                report.webhooks_sent += sent;
                report.webhooks_failed += failed;
                total += sent + failed;
                if sent + failed < 100 {
                    break;
                }
            }
            total
        }
        // Each late ticket is marked in its own transaction before it is alerted, so
        // instances alert once.
        Job::TicketSla => {
            let n = crate::care::tickets::sla_sweep(app).await?;
            report.tickets_late += n;
            n
        }
        // Each deadline is marked before it is escalated, so instances escalate once.
        Job::ComplaintDeadlines => {
            let n = crate::care::complaints::escalate(app).await?;
            report.complaints_escalated += n;
            n
        }
        // Idempotent: instances extending at once write identical nodes, and a head of a
        // size already signed is kept.
        // Due by its own interval; a staff member's "run now" takes one at once.
        Job::Backup => {
            let force = matches!(trigger, Trigger::Manual(_));
            match crate::ops::scheduled_backup::run_if_due(app, holder, force).await? {
                Some(backup) => {
                    tracing::info!(
                        archive = %backup.archive.display(),
                        rows = backup.rows,
                        bytes = backup.bytes,
                        trial_restored = backup.trial_restored,
                        pruned = backup.pruned,
                        "backup taken"
                    );
                    report.backups_taken += 1;
                    usize::try_from(backup.rows).unwrap_or(usize::MAX)
                }
                None => return Ok(None),
            }
        }
        Job::AuditTreeHead => {
            let head = crate::platform::audit_tree::sign_head(app).await?;
            usize::try_from(head.map_or(0, |h| h.tree_size)).unwrap_or(usize::MAX)
        }
        Job::FilingSync => {
            let sync = crate::filing::sync(app).await?;
            report.filing_sync = Some(sync);
            sync.checked
        }
    };
    Ok(Some(done))
}

/// Runs `job` once and records the run (its failure too) in the job status. `Ok(None)` when
/// it did not run (see [`run_one`]); the error is the job's own.
pub async fn run_recorded(
    app: &App,
    job: Job,
    holder: &str,
    trigger: Trigger<'_>,
    mailer: Option<&notices::Mailer>,
    report: &mut JobsReport,
) -> Result<Option<usize>, AppError> {
    let started_at = app.now().0;
    let started = std::time::Instant::now();
    let outcome = run_one(app, job, holder, trigger, mailer, report).await;
    let processed = match &outcome {
        Ok(None) => return Ok(None),
        Ok(Some(n)) => i64::try_from(*n).unwrap_or(i64::MAX),
        Err(_) => 0,
    };
    let error = outcome.as_ref().err().map(|e| {
        // The log detail is for operators; the stored text is what staff see.
        tracing::warn!(job = job.name(), error = %e.message, detail = ?e.detail, "job failed");
        e.message.clone()
    });
    let trigger_text = match trigger {
        Trigger::Schedule => "schedule".to_owned(),
        Trigger::Manual(who) => format!("manual:{who}"),
    };
    let run = yuming_store::JobRun {
        name: job.name(),
        started_at,
        finished_at: app.now().0,
        duration_ms: i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX),
        processed,
        error: error.as_deref(),
        holder,
        trigger: &trigger_text,
    };
    // A run that cannot be recorded (the database is down) is still the job's outcome.
    let recorded = async {
        let mut tx = app.db().write().await?;
        tx.record_job_run(&run).await?;
        tx.commit().await?;
        Ok::<_, AppError>(())
    }
    .await;
    if let Err(e) = recorded {
        tracing::warn!(job = job.name(), error = %e.message, "job run not recorded");
    }
    outcome
}

/// Runs the periodic jobs once as `holder` (an instance id), each recorded: the lifecycle
/// sweep when no other instance holds its lease, …, e-mail delivery when a mailer is
/// configured (without one, e-mail stays in the outbox). A failing job does not stop the
/// others; the first failure is returned after all ran.
pub async fn run_jobs(
    app: &App,
    holder: &str,
    mailer: Option<&notices::Mailer>,
) -> Result<JobsReport, AppError> {
    let mut report = JobsReport::default();
    let mut first_error = None;
    for job in Job::ALL.into_iter().filter(|job| job.each_tick()) {
        if let Err(e) = run_recorded(app, job, holder, Trigger::Schedule, mailer, &mut report).await
        {
            first_error.get_or_insert(e);
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(report),
    }
}
