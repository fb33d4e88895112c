//! Administrators watch the platform run: the scheduler's jobs (last run, lag, failures, run
//! one now), e-mail and SMS delivery, and customers' webhook endpoints that keep failing.
//! Reviewers (and administrators) work the filing monitor's alerts on their own page.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::AppError;
use yuming_app::ops::{health, jobs};
use yuming_core::clock::Timestamp;

use super::{StaffForm, require_staff, waited};
use crate::WebState;
use crate::format;
use crate::i18n::Locale;
use crate::pages::{Base, FormState, app_error_page, page, submit_once};
use crate::session::{Visitor, status_of};

/// A job as the page lists it.
pub struct JobLine {
    /// Stable name (in the run-now address).
    pub name: &'static str,
    /// In words.
    pub title: String,
    /// How often it runs, in words.
    pub every: String,
    /// When it last started ("—" never), and how long ago.
    pub last_run: String,
    /// How long it took and what it handled.
    pub outcome: String,
    /// `ok`, `failing`, `lagging`, `never` or `unavailable`.
    pub state: &'static str,
    /// Its state in words.
    pub state_words: String,
    /// Runs and failures so far.
    pub counts: String,
    /// The last failure, with when.
    pub last_error: Option<String>,
    /// Who started the last run.
    pub trigger: String,
}

/// Notices of one channel.
pub struct ChannelLine {
    /// `email`, `sms`, …
    pub channel: String,
    /// Waiting to go.
    pub pending: i64,
    /// How long the oldest waits.
    pub oldest_pending: Option<String>,
    /// Sent.
    pub sent: i64,
    /// Given up on.
    pub failed: i64,
    /// Held (no transport).
    pub held: i64,
    /// The latest delivery.
    pub last_sent: String,
}

/// A failing webhook endpoint.
pub struct WebhookLine {
    /// Where it points.
    pub url: String,
    /// Its customer.
    pub account: String,
    /// Whether it is on.
    pub enabled: bool,
    /// Given up on / retrying.
    pub counts: String,
    /// What went wrong.
    pub error: String,
}

#[derive(Template)]
#[template(path = "admin/operations.html")]
struct OperationsPage {
    base: Base,
    jobs: Vec<JobLine>,
    smtp_configured: bool,
    channels: Vec<ChannelLine>,
    errors: Vec<(String, String, String)>,
    webhooks: Vec<WebhookLine>,
    /// The job whose run-now failed, with the message.
    failed: Option<(String, FormState)>,
    form: FormState,
}

impl OperationsPage {
    fn form_of(&self, job: &str) -> &FormState {
        match &self.failed {
            Some((failed, form)) if failed == job => form,
            _ => &self.form,
        }
    }
}

fn every_words(locale: Locale, secs: u64) -> String {
    if secs.is_multiple_of(3600) {
        locale.t_args("admin-every-hours", &[("n", (secs / 3600).to_string())])
    } else if secs.is_multiple_of(60) {
        locale.t_args("admin-every-minutes", &[("n", (secs / 60).to_string())])
    } else {
        locale.t_args("admin-every-seconds", &[("n", secs.to_string())])
    }
}

fn job_line(
    locale: Locale,
    view: &jobs::JobView,
    now: Timestamp,
    staff: &std::collections::HashMap<String, String>,
) -> JobLine {
    let name = view.job.name();
    let state = if view.unavailable {
        "unavailable"
    } else if view.failing {
        "failing"
    } else if view.lagging {
        "lagging"
    } else if view.status.is_none() {
        "never"
    } else {
        "ok"
    };
    let status = view.status.as_ref();
    JobLine {
        name,
        title: locale.t(&format!("admin-job-{}", name.replace('_', "-"))),
        every: every_words(locale, view.every_secs),
        last_run: status.map_or_else(
            || "—".to_owned(),
            |s| {
                format!(
                    "{} ({})",
                    format::datetime(Timestamp(s.last_started_at)),
                    locale.t_args(
                        "admin-ago",
                        &[("when", waited(locale, Timestamp(s.last_started_at), now))]
                    )
                )
            },
        ),
        outcome: status.map_or_else(String::new, |s| {
            locale.t_args(
                "admin-job-outcome",
                &[
                    ("ms", s.last_duration_ms.to_string()),
                    ("n", s.last_processed.to_string()),
                ],
            )
        }),
        state,
        state_words: locale.t(&format!("admin-job-state-{state}")),
        counts: status.map_or_else(String::new, |s| {
            locale.t_args(
                "admin-job-counts",
                &[
                    ("runs", s.runs.to_string()),
                    ("failures", s.failures.to_string()),
                ],
            )
        }),
        last_error: status.and_then(|s| {
            let at = s.last_error_at?;
            Some(format!(
                "{} · {}",
                format::datetime(Timestamp(at)),
                s.last_error.clone().unwrap_or_default()
            ))
        }),
        trigger: status.map_or_else(String::new, |s| {
            match s.last_trigger.strip_prefix("manual:") {
                Some(who) => locale.t_args(
                    "admin-job-trigger-manual",
                    &[(
                        "who",
                        staff.get(who).cloned().unwrap_or_else(|| who.to_owned()),
                    )],
                ),
                None => locale.t("admin-job-trigger-schedule"),
            }
        }),
    }
}

fn channel_lines(
    locale: Locale,
    outbox: &[health::OutboxHealthRow],
    now: Timestamp,
) -> Vec<ChannelLine> {
    let mut channels: Vec<String> = outbox.iter().map(|r| r.channel.clone()).collect();
    for always in ["email", "sms"] {
        if !channels.iter().any(|c| c == always) {
            channels.push(always.to_owned());
        }
    }
    channels.sort();
    channels.dedup();
    channels
        .into_iter()
        .map(|channel| {
            let of = |status: &str| {
                outbox
                    .iter()
                    .find(|r| r.channel == channel && r.status == status)
            };
            let count = |status: &str| of(status).map_or(0, |r| r.count);
            let last_sent = outbox
                .iter()
                .filter(|r| r.channel == channel)
                .filter_map(|r| r.last_sent)
                .max();
            ChannelLine {
                pending: count("pending"),
                oldest_pending: of("pending").map(|r| waited(locale, Timestamp(r.oldest), now)),
                sent: count("sent"),
                failed: count("failed"),
                held: count("held"),
                last_sent: last_sent
                    .map_or_else(|| "—".to_owned(), |at| format::datetime(Timestamp(at))),
                channel,
            }
        })
        .collect()
}

async fn operations_page(
    state: &WebState,
    visitor: &Visitor,
    failed: Option<(String, FormState)>,
    status: StatusCode,
) -> Response {
    let actor = match require_staff(visitor, state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let loaded = async {
        Ok::<_, AppError>((
            jobs::list(&state.app, actor).await?,
            health::delivery(&state.app, actor).await?,
            yuming_app::accounts::staff(&state.app, actor).await?,
        ))
    }
    .await;
    let (job_views, delivery, staff) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let locale = visitor.locale;
    let now = visitor.now;
    let template = OperationsPage {
        base: Base::new(visitor, state, "admin-operations-title", "admin-operations"),
        jobs: {
            // Who ran a job by hand, by e-mail rather than account id.
            let emails = staff
                .into_iter()
                .map(|a| (a.id, a.email))
                .collect::<std::collections::HashMap<_, _>>();
            job_views
                .iter()
                .map(|v| job_line(locale, v, now, &emails))
                .collect()
        },
        smtp_configured: delivery.smtp_configured,
        channels: channel_lines(locale, &delivery.outbox, now),
        errors: delivery
            .outbox_errors
            .iter()
            .map(|(channel, error, at)| {
                (
                    channel.clone(),
                    format::datetime(Timestamp(*at)),
                    error.clone(),
                )
            })
            .collect(),
        webhooks: delivery
            .failing_webhooks
            .iter()
            .map(|w| WebhookLine {
                url: w.url.clone(),
                account: w.account_id.clone(),
                enabled: w.enabled,
                counts: locale.t_args(
                    "admin-webhook-counts",
                    &[
                        ("failed", w.failed.to_string()),
                        ("retrying", w.retrying.to_string()),
                    ],
                ),
                error: match (w.last_status, &w.last_error) {
                    (Some(code), _) => format!("HTTP {code}"),
                    (None, Some(error)) => error.clone(),
                    (None, None) => String::new(),
                },
            })
            .collect(),
        failed,
        form: FormState::new(),
    };
    page(visitor, status, &template)
}

/// `GET /admin/operations`.
pub async fn show(State(state): State<WebState>, visitor: Visitor) -> Response {
    operations_page(&state, &visitor, None, StatusCode::OK).await
}

/// `POST /admin/operations/jobs/{name}/run`: the job runs now, recorded and audited.
pub async fn run_job(
    State(state): State<WebState>,
    Path(name): Path<String>,
    StaffForm {
        mut visitor,
        actor,
        fields,
    }: StaffForm,
) -> Response {
    let app = state.app.clone();
    let job = name.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        let ran = jobs::run_now(&app, &ctx, &actor, &job).await?;
        Ok(format!(
            "/admin/operations?done=job-ran#job-{}",
            ran.job.name()
        ))
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &[]);
            operations_page(&state, &visitor, Some((name, form)), status_of(&e)).await
        }
    }
}
