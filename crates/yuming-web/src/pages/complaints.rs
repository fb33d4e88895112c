//! Complaints and appeals (投诉 / 申诉) in the customer console: filing one, and each with its
//! deadlines, steps and the final written answer. Staff work them under `/admin/complaints`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::care::complaints::{self, ComplaintView};

use super::{Base, FormState, SignedInForm, app_error_page, page, submit_once};
use crate::WebState;
use crate::format;
use crate::i18n::Locale;
use crate::session::{Visitor, status_of};

/// A complaint as shown.
pub struct ComplaintLine {
    /// Id.
    pub id: String,
    /// Complaint or appeal, in words.
    pub kind: String,
    /// `complaint`, `appeal` or `abuse`.
    pub kind_code: String,
    /// Subject.
    pub subject: String,
    /// The text.
    pub body: String,
    /// What it concerns.
    pub related: String,
    /// Status (stable, for the badge).
    pub status: String,
    /// Status in words.
    pub status_words: String,
    /// Received.
    pub received: String,
    /// Acknowledgement due, and when it happened.
    pub ack: (String, Option<String>),
    /// Answer due, and when it happened.
    pub resolution: (String, Option<String>),
    /// The final answer.
    pub answer: Option<String>,
    /// A deadline was escalated.
    pub escalated: bool,
}

/// A complaint as the pages show it.
pub fn line_of(locale: Locale, c: &ComplaintView) -> ComplaintLine {
    ComplaintLine {
        id: c.id.clone(),
        kind: locale.t(&format!("complaint-kind-{}", c.kind)),
        kind_code: c.kind.clone(),
        subject: c.subject.clone(),
        body: c.body.clone(),
        related: c.related.clone().unwrap_or_default(),
        status: c.status.clone(),
        status_words: locale.t(&format!("complaint-status-{}", c.status)),
        received: format::datetime(c.received_at),
        ack: (
            format::datetime(c.ack_due_at),
            c.acknowledged_at.map(format::datetime),
        ),
        resolution: (
            format::datetime(c.resolution_due_at),
            c.answered_at.map(format::datetime),
        ),
        answer: c.answer.clone(),
        escalated: c.escalated,
    }
}

#[derive(Template)]
#[template(path = "console/complaints.html")]
struct ComplaintsPage {
    base: Base,
    complaints: Vec<ComplaintLine>,
    form: FormState,
}

async fn complaints_page(
    state: &WebState,
    visitor: &Visitor,
    form: FormState,
    status: StatusCode,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let rows = match complaints::list(&state.app, actor).await {
        Ok(rows) => rows,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let template = ComplaintsPage {
        base: Base::new(visitor, state, "complaints-title", "complaints"),
        complaints: rows.iter().map(|c| line_of(visitor.locale, c)).collect(),
        form,
    };
    page(visitor, status, &template)
}

/// `GET /console/complaints`.
pub async fn list(State(state): State<WebState>, visitor: Visitor) -> Response {
    complaints_page(&state, &visitor, FormState::new(), StatusCode::OK).await
}

/// `POST /console/complaints`.
pub async fn file(
    State(state): State<WebState>,
    SignedInForm {
        mut visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let (kind, subject, body, related) = (
        field("kind"),
        field("subject"),
        field("body"),
        field("related"),
    );
    let app = state.app.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        let filed = complaints::file(&app, &ctx, &actor, &kind, &subject, &body, &related).await?;
        Ok(format!(
            "/console/complaints/{}?done=complaint-filed",
            filed.id
        ))
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &["kind", "subject", "body", "related"]);
            complaints_page(&state, &visitor, form, status_of(&e)).await
        }
    }
}

#[derive(Template)]
#[template(path = "console/complaint.html")]
struct ComplaintPage {
    base: Base,
    c: ComplaintLine,
}

/// `GET /console/complaints/{id}` (another customer's is 404).
pub async fn show(
    State(state): State<WebState>,
    Path(id): Path<String>,
    visitor: Visitor,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    match complaints::get(&state.app, actor, &id).await {
        Ok(c) => {
            let template = ComplaintPage {
                base: Base::new(&visitor, &state, "complaints-title", "complaints"),
                c: line_of(visitor.locale, &c),
            };
            page(&visitor, StatusCode::OK, &template)
        }
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}
