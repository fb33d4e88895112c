//! The notification centre: the account's in-app notices, newest first, marked read one by
//! one or all at once.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use yuming_app::notify::notices;
use yuming_core::clock::Timestamp;

use super::{Base, SignedInForm, app_error_page, page};
use crate::WebState;
use crate::format;
use crate::session::Visitor;

const PER_PAGE: i64 = 30;

/// A notice as the list shows it.
pub struct NoticeLine {
    /// Id.
    pub id: String,
    /// Subject.
    pub subject: String,
    /// Text.
    pub body: String,
    /// When.
    pub at: String,
    /// Not read yet.
    pub unread: bool,
}

#[derive(Template)]
#[template(path = "console/notices.html")]
struct NoticesPage {
    base: Base,
    notices: Vec<NoticeLine>,
    older: Option<i64>,
    unread: i64,
}

/// The query of the list: notices older than `before`.
#[derive(Debug, Deserialize)]
pub struct BeforeQuery {
    #[serde(default)]
    before: Option<i64>,
}

/// `/console/notices`.
pub async fn list(
    State(state): State<WebState>,
    visitor: Visitor,
    Query(query): Query<BeforeQuery>,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    let loaded = async {
        let items = notices::inbox(&state.app, actor, query.before, PER_PAGE).await?;
        let unread = notices::unread_count(&state.app, actor).await?;
        Ok::<_, yuming_app::AppError>((items, unread))
    }
    .await;
    let (items, unread) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return app_error_page(&visitor, &state, &e),
    };
    let older = (items.len() as i64 == PER_PAGE)
        .then(|| items.last().map(|n| n.created_at))
        .flatten();
    let template = NoticesPage {
        base: Base::new(&visitor, &state, "notices-title", "notices"),
        notices: items
            .into_iter()
            .map(|n| NoticeLine {
                unread: n.read_at.is_none(),
                at: format::datetime(Timestamp(n.created_at)),
                id: n.id,
                subject: n.subject,
                body: n.body,
            })
            .collect(),
        older,
        unread,
    };
    page(&visitor, StatusCode::OK, &template)
}

/// `POST /console/notices/{id}/read`.
pub async fn mark_read(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedInForm {
        visitor,
        actor,
        fields: _,
        ..
    }: SignedInForm,
) -> Response {
    let actor = &actor;
    match notices::mark_read(&state.app, &visitor.ctx, actor, &id).await {
        Ok(()) => visitor.redirect("/console/notices"),
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}
