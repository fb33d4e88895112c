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
use crate::i18n::Locale;
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

/// An entry as a page shows it; `me` is the viewer (shown as "you").
fn entry_line(locale: Locale, e: &audit::AuditEntryView, me: &str) -> EntryLine {
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
        actor: if e.actor == me {
            locale.t("audit-you")
        } else {
            e.actor.clone()
        },
        request_id: e.request_id.clone(),
    }
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
            .map(|e| entry_line(locale, e, &actor.account_id))
            .collect(),
        older: listing.next_before_seq,
    };
    page(&visitor, StatusCode::OK, &template)
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct StaffAuditPage {
    base: Base,
    query: StaffAuditQuery,
    entries: Vec<EntryLine>,
    /// The link to the next (older) page, with the same filters.
    older: Option<String>,
    /// The chain check's outcome, when it was asked for: (intact, words).
    verified: Option<(bool, String)>,
}

/// The staff audit search: filters, a page cursor, and whether to verify the chain.
#[derive(Debug, Default, Deserialize)]
pub struct StaffAuditQuery {
    #[serde(default)]
    tenant: String,
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    object: String,
    #[serde(default)]
    before: Option<i64>,
    #[serde(default)]
    verify: Option<String>,
}

/// `GET /admin/audit`: the whole log searched by tenant, actor, action and object, and the
/// hash chain verified on request.
pub async fn staff_log(
    State(state): State<WebState>,
    visitor: Visitor,
    Query(query): Query<StaffAuditQuery>,
) -> Response {
    let actor = match super::admin::require_staff(&visitor, &state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let search = audit::AuditQuery {
        tenant: query.tenant.clone(),
        actor: query.actor.clone(),
        action: query.action.clone(),
        object_id: query.object.clone(),
    };
    let listing = match audit::search(&state.app, actor, &search, query.before, PER_PAGE).await {
        Ok(listing) => listing,
        Err(e) => return app_error_page(&visitor, &state, &e),
    };
    let locale = visitor.locale;
    let verified = if query.verify.is_some() {
        match audit::verify(&state.app).await {
            Ok(Ok(count)) => Some((
                true,
                locale.t_args("admin-audit-intact", &[("count", count.to_string())]),
            )),
            Ok(Err(broken)) => Some((
                false,
                locale.t_args("admin-audit-broken", &[("seq", broken.seq.to_string())]),
            )),
            Err(e) => return app_error_page(&visitor, &state, &e),
        }
    } else {
        None
    };
    let older = listing.next_before_seq.map(|before| {
        let pairs = [
            ("tenant", query.tenant.as_str()),
            ("actor", query.actor.as_str()),
            ("action", query.action.as_str()),
            ("object", query.object.as_str()),
            ("before", &before.to_string()),
        ];
        format!(
            "/admin/audit?{}",
            serde_urlencoded::to_string(pairs).unwrap_or_default()
        )
    });
    let template = StaffAuditPage {
        base: Base::new(&visitor, &state, "admin-audit-title", "admin-audit"),
        entries: listing
            .entries
            .iter()
            .map(|e| entry_line(locale, e, &actor.account_id))
            .collect(),
        query,
        older,
        verified,
    };
    page(&visitor, StatusCode::OK, &template)
}
