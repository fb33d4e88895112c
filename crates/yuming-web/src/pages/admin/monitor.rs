//! The filing monitor's alerts for reviewers: filed sites whose domain, server address or
//! footer no longer match their filing, with the deadline by which the customer must act.
//! Alerts clear by themselves when a later check finds the site consistent again.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::filing::monitor;

use super::{require_staff, waited};
use crate::WebState;
use crate::format;
use crate::i18n::Locale;
use crate::pages::{Base, app_error_page, page};
use crate::session::Visitor;

/// An alert as the page lists it.
pub struct AlertLine {
    /// The site's domain.
    pub domain: String,
    /// Stable kind.
    pub kind: String,
    /// `drift` or `risk`.
    pub severity: String,
    /// Why, in the visitor's language.
    pub reason: String,
    /// What fixes it.
    pub fix: String,
    /// First seen, and for how long.
    pub opened: String,
    /// Last seen.
    pub last_seen: String,
    /// By when the customer must act.
    pub deadline: Option<String>,
    /// Past the deadline.
    pub overdue: bool,
    /// When it cleared.
    pub resolved: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/monitor.html")]
struct MonitorPage {
    base: Base,
    alerts: Vec<AlertLine>,
    all: bool,
}

/// `?all=1` shows cleared alerts too.
#[derive(serde::Deserialize)]
pub struct MonitorQuery {
    all: Option<String>,
}

fn line(locale: Locale, a: &monitor::AlertView, now: yuming_core::clock::Timestamp) -> AlertLine {
    AlertLine {
        domain: a.domain.clone(),
        kind: a.kind.clone(),
        reason: if locale == Locale::ZhCn {
            a.reason_zh.clone()
        } else {
            a.reason_en.clone()
        },
        fix: a.fix.clone(),
        opened: format!(
            "{} ({})",
            format::datetime(a.opened_at),
            waited(locale, a.opened_at, now)
        ),
        last_seen: format::datetime(a.last_seen_at),
        deadline: a.deadline_at.map(format::datetime),
        overdue: a.resolved_at.is_none() && a.deadline_at.is_some_and(|d| d.0 < now.0),
        resolved: a.resolved_at.map(format::datetime),
        severity: a.severity.clone(),
    }
}

/// `GET /admin/monitor`: open alerts (all with `?all=1`), newest first.
pub async fn alerts(
    State(state): State<WebState>,
    visitor: Visitor,
    Query(query): Query<MonitorQuery>,
) -> Response {
    let actor = match require_staff(&visitor, &state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let all = query.all.is_some_and(|v| v == "1");
    let alerts = match monitor::alerts(&state.app, actor, !all).await {
        Ok(alerts) => alerts,
        Err(e) => return app_error_page(&visitor, &state, &e),
    };
    let template = MonitorPage {
        base: Base::new(&visitor, &state, "admin-monitor-title", "admin-monitor"),
        alerts: alerts
            .iter()
            .map(|a| line(visitor.locale, a, visitor.now))
            .collect(),
        all,
    };
    page(&visitor, StatusCode::OK, &template)
}
