//! The staff console under `/admin`: reviewers, finance, support and administrators work
//! here, each seeing the menus and actions their rights allow. The pages call the same use
//! cases as the API's staff endpoints, so that a right, a claim lock or a separation-of-duties
//! rule is checked in one place whichever way a decision arrives.
//!
//! A signed-out visitor is sent to the login page; a signed-in customer gets the same 404 as
//! any unknown page, so that the back office does not admit it exists.

pub mod catalogue;
pub mod complaints;
pub mod customers;
pub mod filing_settings;
pub mod finance;
pub mod help;
pub mod lists;
pub mod monitor;
pub mod operations;
pub mod payments;
pub mod review;
pub mod staff;
pub mod tickets;

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::AppError;
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;

use super::{Base, SignedInForm, app_error_page, page};
use crate::WebState;
use crate::i18n::Locale;
use crate::session::Visitor;

/// The signed-in staff member; otherwise the answer to give instead: the login page for a
/// signed-out visitor, a plain 404 for anyone else.
#[allow(clippy::result_large_err, reason = "the error is the response itself")]
pub(crate) fn require_staff<'a>(
    visitor: &'a Visitor,
    state: &WebState,
) -> Result<&'a Actor, Response> {
    let actor = visitor.require_actor()?;
    if actor.role.is_staff() {
        Ok(actor)
    } else {
        Err(hidden(visitor, state))
    }
}

/// A form sent by staff: a [`SignedInForm`] (CSRF, origin and session checked) whose actor
/// is staff; anyone else gets what [`require_staff`] answers, before the handler runs.
pub(crate) struct StaffForm {
    /// Who sent it.
    pub visitor: Visitor,
    /// The signed-in staff member.
    pub actor: Actor,
    /// The fields (the last value of a repeated name).
    pub fields: std::collections::HashMap<String, String>,
}

impl axum::extract::FromRequest<WebState> for StaffForm {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &WebState) -> Result<Self, Response> {
        let SignedInForm {
            visitor,
            actor,
            fields,
            ..
        } = SignedInForm::from_request(req, state).await?;
        require_staff(&visitor, state)?;
        Ok(StaffForm {
            visitor,
            actor,
            fields,
        })
    }
}

/// The 404 a non-staff visitor gets for anything under `/admin`: the page every unknown
/// address shows.
fn hidden(visitor: &Visitor, state: &WebState) -> Response {
    visitor.finish(super::not_found_for(state, visitor.locale))
}

/// How long something has waited, in words ("3 小时", "2 days").
pub(crate) fn waited(locale: Locale, since: Timestamp, now: Timestamp) -> String {
    let minutes = (now.0 - since.0).max(0) / 60;
    let (value, unit) = if minutes < 60 {
        (minutes, "minutes")
    } else if minutes < 48 * 60 {
        (minutes / 60, "hours")
    } else {
        (minutes / (24 * 60), "days")
    };
    locale.t_args(&format!("admin-waited-{unit}"), &[("n", value.to_string())])
}

/// One tile of a dashboard: a count with where to work it.
pub struct Tile {
    /// What is counted.
    pub label: String,
    /// How many.
    pub count: usize,
    /// A figure shown instead of the count (an amount of money).
    pub figure: Option<String>,
    /// The oldest item's wait, when there is one.
    pub oldest: Option<String>,
    /// Where the list is worked, when the console has a page for it (else the API).
    pub href: Option<&'static str>,
    /// Over its service level: shown as a warning.
    pub late: bool,
}

/// A dashboard section (one per role the staff member holds).
pub struct Section {
    /// Heading.
    pub title: String,
    /// Its tiles.
    pub tiles: Vec<Tile>,
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage {
    base: Base,
    sections: Vec<Section>,
    /// Settings to change before customers rely on the installation (administrators).
    warnings: Vec<String>,
}

/// Items that wait longer than this are past the service level a registrar promises its
/// customers for a review (one working day, kept simple as 24 hours).
const REVIEW_SLA_SECS: i64 = 24 * 3600;

fn tile(
    locale: Locale,
    label_key: &str,
    href: Option<&'static str>,
    waiting_since: &[Timestamp],
    now: Timestamp,
) -> Tile {
    let oldest = waiting_since.iter().min().copied();
    Tile {
        label: locale.t(label_key),
        count: waiting_since.len(),
        figure: None,
        oldest: oldest.map(|at| waited(locale, at, now)),
        href,
        late: oldest.is_some_and(|at| now.0 - at.0 > REVIEW_SLA_SECS),
    }
}

async fn sections(
    state: &WebState,
    actor: &Actor,
    locale: Locale,
    now: Timestamp,
) -> Result<Vec<Section>, AppError> {
    let app = &state.app;
    let mut sections = Vec::new();
    if actor.rights.contains(Right::ReviewQueue) {
        let contacts = yuming_app::registrar::contacts::review_queue(app, actor, None, 200).await?;
        let filings = yuming_app::filing::review_queue(app, actor).await?;
        let names = yuming_app::registrar::domains::naming_review_queue(app, actor, 200).await?;
        let contact_times: Vec<Timestamp> =
            contacts.contacts.iter().map(|c| c.updated_at).collect();
        let filing_times: Vec<Timestamp> = filings
            .iter()
            .map(|o| o.submitted_at.unwrap_or(o.updated_at))
            .collect();
        let name_times: Vec<Timestamp> = names.iter().map(|d| d.created_at).collect();
        let monitor_alerts = yuming_app::filing::monitor::alerts(app, actor, true).await?;
        let overdue = monitor_alerts
            .iter()
            .any(|a| a.deadline_at.is_some_and(|d| d.0 < now.0));
        sections.push(Section {
            title: locale.t("admin-role-review"),
            tiles: vec![
                tile(
                    locale,
                    "admin-queue-contacts",
                    Some("/admin/review/contacts"),
                    &contact_times,
                    now,
                ),
                tile(
                    locale,
                    "admin-queue-filings",
                    Some("/admin/review/filing"),
                    &filing_times,
                    now,
                ),
                tile(
                    locale,
                    "admin-queue-names",
                    Some("/admin/review/names"),
                    &name_times,
                    now,
                ),
                // A filed site out of step with its filing must be fixed by a deadline; the
                // tile warns once any deadline has passed.
                Tile {
                    label: locale.t("admin-monitor-open"),
                    count: monitor_alerts.len(),
                    figure: None,
                    oldest: monitor_alerts
                        .iter()
                        .map(|a| a.opened_at)
                        .min()
                        .map(|at| waited(locale, at, now)),
                    href: Some("/admin/monitor"),
                    late: overdue,
                },
            ],
        });
    }
    if actor.rights.contains(Right::BillingManage) {
        let alerts = yuming_app::billing::payments::alerts(app, actor, false).await?;
        let invoices = yuming_app::billing::invoices::queue(app, actor).await?;
        let lines = yuming_app::billing::bank::lines(app, actor, Some("unmatched")).await?;
        let alert_times: Vec<Timestamp> = alerts.iter().map(|a| Timestamp(a.created_at)).collect();
        let invoice_times: Vec<Timestamp> = invoices.iter().map(|i| i.created_at).collect();
        let line_times: Vec<Timestamp> =
            lines.iter().map(|l| Timestamp(l.row.imported_at)).collect();
        // Today in China Standard Time, the day finance counts in.
        let today = yuming_app::billing::report::day_of(now);
        let report = yuming_app::billing::report::revenue(app, actor, today, today).await?;
        let registrations: i64 = report
            .lines
            .iter()
            .filter(|l| l.operation == "register")
            .map(|l| l.orders)
            .sum();
        let net = report
            .totals
            .iter()
            .map(|m| crate::format::money(*m))
            .collect::<Vec<_>>()
            .join(" · ");
        sections.push(Section {
            title: locale.t("admin-role-finance"),
            tiles: vec![
                Tile {
                    label: locale.t("admin-today-registrations"),
                    count: usize::try_from(registrations).unwrap_or_default(),
                    figure: None,
                    oldest: None,
                    href: Some("/admin/finance/revenue"),
                    late: false,
                },
                Tile {
                    label: locale.t("admin-today-revenue"),
                    count: 0,
                    figure: Some(if net.is_empty() {
                        crate::format::money(yuming_core::money::Money::new(
                            0,
                            yuming_core::money::Currency::Cny,
                        ))
                    } else {
                        net
                    }),
                    oldest: None,
                    href: Some("/admin/finance/revenue"),
                    late: false,
                },
                tile(
                    locale,
                    "admin-queue-alerts",
                    Some("/admin/finance#alerts"),
                    &alert_times,
                    now,
                ),
                tile(
                    locale,
                    "admin-queue-invoices",
                    Some("/admin/finance#invoices"),
                    &invoice_times,
                    now,
                ),
                tile(
                    locale,
                    "admin-queue-bank-lines",
                    Some("/admin/finance#statements"),
                    &line_times,
                    now,
                ),
            ],
        });
    }
    if actor.rights.contains(Right::CustomerAssist) {
        let open =
            yuming_app::care::tickets::queue(app, actor, yuming_core::ticket::Status::Open).await?;
        let answered =
            yuming_app::care::tickets::queue(app, actor, yuming_core::ticket::Status::Answered)
                .await?;
        let breached = open
            .iter()
            .chain(answered.iter())
            .filter(|t| t.breached)
            .count();
        let waiting: Vec<Timestamp> = open.iter().map(|t| t.updated_at).collect();
        let complaints = yuming_app::care::complaints::queue(app, actor).await?;
        let complaints_escalated = complaints.iter().filter(|c| c.escalated).count();
        sections.push(Section {
            title: locale.t("admin-role-support"),
            tiles: vec![
                Tile {
                    late: breached > 0,
                    ..tile(
                        locale,
                        "admin-tickets-waiting",
                        Some("/admin/tickets"),
                        &waiting,
                        now,
                    )
                },
                Tile {
                    label: locale.t("admin-tickets-breached"),
                    count: breached,
                    figure: None,
                    oldest: None,
                    href: Some("/admin/tickets"),
                    late: breached > 0,
                },
                Tile {
                    label: locale.t("admin-tickets-answered"),
                    count: answered.len(),
                    figure: None,
                    oldest: None,
                    href: Some("/admin/tickets?status=answered"),
                    late: false,
                },
                // Complaints have statutory deadlines: any escalated one is shown as late.
                Tile {
                    label: locale.t("admin-complaints-open"),
                    count: complaints.len(),
                    figure: None,
                    oldest: complaints
                        .iter()
                        .map(|c| c.received_at)
                        .min()
                        .map(|at| waited(locale, at, now)),
                    href: Some("/admin/complaints"),
                    late: complaints_escalated > 0,
                },
            ],
        });
    }
    if actor.rights.contains(Right::PlatformAdmin) {
        let tlds = yuming_app::registrar::catalogue::price_list(app, actor).await?;
        let staff = yuming_app::accounts::staff(app, actor).await?;
        let without_totp = staff.iter().filter(|a| !a.totp_enabled).count();
        let (failing_jobs, lagging_jobs) = yuming_app::ops::jobs::trouble(app, actor).await?;
        sections.push(Section {
            title: locale.t("admin-role-admin"),
            tiles: vec![
                Tile {
                    label: locale.t("admin-catalogue-tlds"),
                    count: tlds.len(),
                    figure: None,
                    oldest: None,
                    href: Some("/admin/catalogue"),
                    late: false,
                },
                // Staff can read personal data and move money: each should have a second factor.
                Tile {
                    label: locale.t("admin-staff-without-totp"),
                    count: without_totp,
                    figure: None,
                    oldest: None,
                    href: Some("/admin/staff"),
                    late: without_totp > 0,
                },
                Tile {
                    label: locale.t("admin-jobs-failing"),
                    count: failing_jobs,
                    figure: None,
                    oldest: None,
                    href: Some("/admin/operations"),
                    late: failing_jobs > 0,
                },
                Tile {
                    label: locale.t("admin-jobs-lagging"),
                    count: lagging_jobs,
                    figure: None,
                    oldest: None,
                    href: Some("/admin/operations"),
                    late: lagging_jobs > 0,
                },
            ],
        });
    }
    Ok(sections)
}

/// `GET /admin`: what waits for this staff member, per role.
pub async fn dashboard(State(state): State<WebState>, visitor: Visitor) -> Response {
    let actor = match require_staff(&visitor, &state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    match sections(&state, actor, visitor.locale, visitor.now).await {
        Ok(sections) => {
            let warnings = if actor
                .rights
                .contains(yuming_core::access::Right::PlatformAdmin)
            {
                yuming_app::ops::system::status(&state.app, actor)
                    .map(|status| status.warnings)
                    .unwrap_or_default()
                    .into_iter()
                    .map(|w| match visitor.locale {
                        Locale::ZhCn => w.message_zh,
                        Locale::En => w.message,
                    })
                    .collect()
            } else {
                Vec::new()
            };
            let template = DashboardPage {
                base: Base::new(&visitor, &state, "admin-title", "admin-home"),
                sections,
                warnings,
            };
            page(&visitor, StatusCode::OK, &template)
        }
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}

/// `GET /admin/{*rest}`: an unknown staff page (a 404 that does not tell customers more).
pub async fn not_found(State(state): State<WebState>, visitor: Visitor) -> Response {
    if let Err(answer) = require_staff(&visitor, &state) {
        return answer;
    }
    app_error_page(&visitor, &state, &AppError::not_found())
}
