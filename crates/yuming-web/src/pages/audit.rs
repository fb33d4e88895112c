//! The account's audit log: every change made in the account, by whom, from which request,
//! newest first — the same tamper-evident chain staff verify.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use yuming_app::platform::audit;

use super::{Base, app_error_page, page};
use crate::WebState;
use crate::format;
use crate::session::Visitor;

const PER_PAGE: i64 = 50;

/// An entry as the page shows it.
pub struct EntryLine {
    /// Position in the chain.
    pub seq: i64,
    /// When.
    pub at: String,
    /// The action in words (and its name).
    pub action: String,
    /// What it changed.
    pub object: String,
    /// Who: "you" or the account id.
    pub actor: String,
    /// Our request id.
    pub request_id: String,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    base: Base,
    entries: Vec<EntryLine>,
    older: Option<i64>,
}

/// The query of the log: entries before `before`.
#[derive(Debug, Deserialize)]
pub struct BeforeQuery {
    #[serde(default)]
    before: Option<i64>,
}

/// `/console/audit`.
pub async fn log(
    State(state): State<WebState>,
    visitor: Visitor,
    Query(query): Query<BeforeQuery>,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    let listing = match audit::list(&state.app, actor, query.before, PER_PAGE).await {
        Ok(listing) => listing,
        Err(e) => return app_error_page(&visitor, &state, &e),
    };
    let locale = visitor.locale;
    let template = AuditPage {
        base: Base::new(&visitor, &state, "audit-title", "audit"),
        entries: listing
            .entries
            .iter()
            .map(|e| {
                let key = format!("audit-action-{}", e.action.replace(['.', '_'], "-"));
                let action = if locale.has(&key) {
                    format!("{} ({})", locale.t(&key), e.action)
                } else {
                    e.action.clone()
                };
                EntryLine {
                    seq: e.seq,
                    at: format::datetime(e.at),
                    action,
                    object: format!("{} {}", e.object_type, e.object_id),
                    actor: if e.actor == actor.account_id {
                        locale.t("audit-you")
                    } else {
                        e.actor.clone()
                    },
                    request_id: e.request_id.clone(),
                }
            })
            .collect(),
        older: listing.next_before_seq,
    };
    page(&visitor, StatusCode::OK, &template)
}
