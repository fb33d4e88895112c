//! Support works tickets: the queue (waiting for staff first, late ones marked), each thread
//! with the customer's account, a reply form with an attachment, taking it on, changing the
//! priority (its due times follow) and closing it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::care::tickets::{self, TicketChange};
use yuming_core::ticket::{Priority, Status};

use super::{StaffForm, require_staff};
use crate::WebState;
use crate::format;
use crate::pages::tickets::{
    ThreadLine, TicketLine, attachment_of, attachment_response, line_of, related_words, thread_of,
    words,
};
use crate::pages::upload::UploadForm;
use crate::pages::{Base, FormState, app_error_page, page, submit_once};
use crate::session::{Visitor, status_of};

#[derive(Template)]
#[template(path = "admin/tickets.html")]
struct QueuePage {
    base: Base,
    status: &'static str,
    statuses: Vec<(&'static str, String)>,
    tickets: Vec<(TicketLine, String, String)>,
}

/// `?status=` picks the queue (default `open`: waiting for staff).
#[derive(serde::Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    status: String,
}

/// `GET /admin/tickets`.
pub async fn queue(
    State(state): State<WebState>,
    visitor: Visitor,
    Query(query): Query<QueueQuery>,
) -> Response {
    let actor = match require_staff(&visitor, &state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let status = Status::parse(&query.status).unwrap_or(Status::Open);
    let rows = match tickets::queue(&state.app, actor, status).await {
        Ok(rows) => rows,
        Err(e) => return app_error_page(&visitor, &state, &e),
    };
    let locale = visitor.locale;
    let template = QueuePage {
        base: Base::new(&visitor, &state, "admin-tickets-title", "admin-tickets"),
        status: status.as_str(),
        statuses: [Status::Open, Status::Answered, Status::Closed]
            .iter()
            .map(|s| (s.as_str(), words(locale, "status", s.as_str())))
            .collect(),
        tickets: rows
            .iter()
            .map(|t| {
                let due = if t.first_responded_at.is_none() {
                    t.first_response_due_at
                } else {
                    t.resolution_due_at
                };
                (
                    line_of(locale, t),
                    t.priority.as_str().to_owned(),
                    format::datetime(due),
                )
            })
            .collect(),
    };
    page(&visitor, StatusCode::OK, &template)
}

#[derive(Template)]
#[template(path = "admin/ticket.html")]
struct TicketPage {
    base: Base,
    ticket: TicketLine,
    customer: String,
    related: Option<String>,
    assignee: String,
    mine: bool,
    due: String,
    priorities: Vec<(&'static str, String)>,
    priority: &'static str,
    thread: Vec<ThreadLine>,
    closed: bool,
    rating: Option<(i64, String)>,
    form: FormState,
    other: FormState,
}

async fn ticket_page(
    state: &WebState,
    visitor: &Visitor,
    id: &str,
    form: FormState,
    status: StatusCode,
) -> Response {
    let actor = match require_staff(visitor, state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let detail = match tickets::get(&state.app, actor, id).await {
        Ok(detail) => detail,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let locale = visitor.locale;
    let t = &detail.ticket;
    let customer = detail
        .customer_email
        .clone()
        .unwrap_or_else(|| t.owner_id.clone());
    let template = TicketPage {
        base: Base::new(visitor, state, "admin-tickets-title", "admin-tickets"),
        customer,
        related: related_words(locale, t),
        assignee: t.assignee.clone().unwrap_or_default(),
        mine: t.assignee.as_deref() == Some(actor.account_id.as_str()),
        due: format!(
            "{} / {}",
            format::datetime(t.first_response_due_at),
            format::datetime(t.resolution_due_at)
        ),
        priorities: Priority::ALL
            .iter()
            .map(|p| (p.as_str(), words(locale, "priority", p.as_str())))
            .collect(),
        priority: t.priority.as_str(),
        thread: thread_of(locale, &detail, &format!("/admin/tickets/{id}")),
        closed: t.status == Status::Closed,
        rating: t
            .rating
            .map(|stars| (stars, t.rating_comment.clone().unwrap_or_default())),
        ticket: line_of(locale, t),
        form,
        other: FormState::new(),
    };
    page(visitor, status, &template)
}

/// `GET /admin/tickets/{id}`.
pub async fn show(
    State(state): State<WebState>,
    Path(id): Path<String>,
    visitor: Visitor,
) -> Response {
    ticket_page(&state, &visitor, &id, FormState::new(), StatusCode::OK).await
}

/// `POST /admin/tickets/{id}/reply`: staff's answer with an optional attachment.
pub async fn reply(
    State(state): State<WebState>,
    Path(id): Path<String>,
    form: UploadForm,
) -> Response {
    if let Err(answer) = require_staff(&form.visitor, &state) {
        return answer;
    }
    let UploadForm {
        mut visitor,
        actor,
        fields,
        file,
    } = form;
    let body = fields.get("body").cloned().unwrap_or_default();
    let files = match attachment_of(file) {
        Ok(files) => files,
        Err(e) => return finish(&state, visitor, &id, &fields, Err(e)).await,
    };
    let app = state.app.clone();
    let ticket = id.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        tickets::reply(&app, &ctx, &actor, &ticket, &body, files).await?;
        Ok(format!("/admin/tickets/{ticket}?done=ticket-replied"))
    })
    .await;
    finish(&state, visitor, &id, &fields, done).await
}

/// `POST /admin/tickets/{id}/{action}`: `take` (assign to me), `priority`, `close`.
pub async fn action(
    State(state): State<WebState>,
    Path((id, action)): Path<(String, String)>,
    StaffForm {
        mut visitor,
        actor,
        fields,
    }: StaffForm,
) -> Response {
    let app = state.app.clone();
    let ticket = id.clone();
    let priority = fields.get("priority").cloned();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        let change = match action.as_str() {
            "take" => TicketChange {
                assignee: Some(actor.account_id.clone()),
                ..TicketChange::default()
            },
            "priority" => TicketChange {
                priority,
                ..TicketChange::default()
            },
            "close" => {
                tickets::close(&app, &ctx, &actor, &ticket).await?;
                return Ok(format!("/admin/tickets/{ticket}?done=ticket-closed"));
            }
            _ => return Err(yuming_app::AppError::not_found()),
        };
        tickets::update(&app, &ctx, &actor, &ticket, &change).await?;
        Ok(format!("/admin/tickets/{ticket}?done=ticket-updated"))
    })
    .await;
    finish(&state, visitor, &id, &fields, done).await
}

async fn finish(
    state: &WebState,
    visitor: Visitor,
    id: &str,
    fields: &std::collections::HashMap<String, String>,
    done: Result<String, yuming_app::AppError>,
) -> Response {
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(fields);
            form.fail(visitor.locale, &e, &["body", "attachment"]);
            ticket_page(state, &visitor, id, form, status_of(&e)).await
        }
    }
}

/// `GET /admin/tickets/{id}/attachments/{attachment}`.
pub async fn attachment(
    State(state): State<WebState>,
    Path((id, attachment)): Path<(String, String)>,
    visitor: Visitor,
) -> Response {
    let actor = match require_staff(&visitor, &state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    match tickets::attachment(&state.app, actor, &id, &attachment).await {
        Ok((name, content_type, bytes)) => {
            visitor.finish(attachment_response(&name, &content_type, bytes))
        }
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}
