//! Support tickets in the customer console: the list with a form to open one (with an
//! attachment), each ticket's thread with a reply form, closing, and the rating once closed.
//! The staff side (`/admin/tickets`) shows the same thread through [`ThreadLine`].

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use yuming_app::care::tickets::{self, NewAttachment, NewTicket, TicketDetail, TicketView};
use yuming_core::ticket::{Category, Priority, Status};

use super::upload::{UploadForm, UploadProblem};
use super::{Base, FormState, SignedInForm, app_error_page, page, submit_once};
use crate::WebState;
use crate::format;
use crate::i18n::Locale;
use crate::session::{Visitor, status_of};

/// A ticket as a list shows it.
pub struct TicketLine {
    /// Id.
    pub id: String,
    /// Subject.
    pub subject: String,
    /// Category in words.
    pub category: String,
    /// Priority in words.
    pub priority: String,
    /// Status (stable, for the badge).
    pub status: &'static str,
    /// Status in words.
    pub status_words: String,
    /// Last change.
    pub updated: String,
    /// A due time was missed.
    pub breached: bool,
}

/// The words of a ticket's status, category and priority.
pub fn words(locale: Locale, prefix: &str, value: &str) -> String {
    locale.t(&format!("ticket-{prefix}-{value}"))
}

/// A ticket as a list shows it.
pub fn line_of(locale: Locale, t: &TicketView) -> TicketLine {
    TicketLine {
        id: t.id.clone(),
        subject: t.subject.clone(),
        category: words(locale, "category", t.category.as_str()),
        priority: words(locale, "priority", t.priority.as_str()),
        status: t.status.as_str(),
        status_words: words(locale, "status", t.status.as_str()),
        updated: format::datetime(t.updated_at),
        breached: t.breached,
    }
}

/// One message of a thread as shown.
pub struct ThreadLine {
    /// Written by staff.
    pub from_staff: bool,
    /// Who, in words.
    pub who: String,
    /// When.
    pub at: String,
    /// The text.
    pub body: String,
    /// Attachments: (download address, name, size in words).
    pub attachments: Vec<(String, String, String)>,
}

/// The thread of `detail`, with attachment addresses under `base` (`/console/tickets/{id}`
/// or `/admin/tickets/{id}`).
pub fn thread_of(locale: Locale, detail: &TicketDetail, base: &str) -> Vec<ThreadLine> {
    detail
        .messages
        .iter()
        .map(|m| ThreadLine {
            from_staff: m.from_staff,
            who: if m.from_staff {
                locale.t("ticket-from-staff")
            } else {
                locale.t("ticket-from-customer")
            },
            at: format::datetime(m.created_at),
            body: m.body.clone(),
            attachments: m
                .attachments
                .iter()
                .map(|a| {
                    (
                        format!("{base}/attachments/{}", a.id),
                        a.file_name.clone(),
                        format!("{} KB", (a.size_bytes + 1023) / 1024),
                    )
                })
                .collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "console/tickets.html")]
struct TicketsPage {
    base: Base,
    tickets: Vec<TicketLine>,
    categories: Vec<(&'static str, String)>,
    priorities: Vec<(&'static str, String)>,
    form: FormState,
}

async fn tickets_page(
    state: &WebState,
    visitor: &Visitor,
    form: FormState,
    status: StatusCode,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let rows = match tickets::list(&state.app, actor).await {
        Ok(rows) => rows,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let locale = visitor.locale;
    let template = TicketsPage {
        base: Base::new(visitor, state, "tickets-title", "tickets"),
        tickets: rows.iter().map(|t| line_of(locale, t)).collect(),
        categories: Category::ALL
            .iter()
            .map(|c| (c.as_str(), words(locale, "category", c.as_str())))
            .collect(),
        priorities: Priority::ALL
            .iter()
            .map(|p| (p.as_str(), words(locale, "priority", p.as_str())))
            .collect(),
        form,
    };
    page(visitor, status, &template)
}

/// `GET /console/tickets`.
pub async fn list(State(state): State<WebState>, visitor: Visitor) -> Response {
    let mut form = FormState::new();
    form.set("priority", Priority::Normal.as_str());
    tickets_page(&state, &visitor, form, StatusCode::OK).await
}

/// The attachment of an upload form, when one was chosen.
pub(crate) fn attachment_of(
    file: Result<super::upload::UploadedFile, UploadProblem>,
) -> Result<Vec<NewAttachment>, yuming_app::AppError> {
    match file {
        Ok(file) => Ok(vec![NewAttachment {
            file_name: file.name,
            bytes: file.bytes,
        }]),
        Err(UploadProblem::Missing) => Ok(Vec::new()),
        Err(problem) => Err(problem.error().with_field("attachment")),
    }
}

/// `POST /console/tickets`: a new ticket with an optional attachment.
pub async fn open(State(state): State<WebState>, form: UploadForm) -> Response {
    let UploadForm {
        mut visitor,
        actor,
        fields,
        file,
    } = form;
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let input = NewTicket {
        category: field("category"),
        subject: field("subject"),
        body: field("body"),
        priority: field("priority"),
        related: field("related"),
    };
    let app = state.app.clone();
    let done = match attachment_of(file) {
        Ok(files) => {
            submit_once(&state, &mut visitor, &fields, |ctx| async move {
                let ticket = tickets::open(&app, &ctx, &actor, &input, files).await?;
                Ok(format!("/console/tickets/{}?done=ticket-opened", ticket.id))
            })
            .await
        }
        Err(e) => Err(e),
    };
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(
                visitor.locale,
                &e,
                &[
                    "category",
                    "subject",
                    "body",
                    "priority",
                    "related",
                    "attachment",
                ],
            );
            tickets_page(&state, &visitor, form, status_of(&e)).await
        }
    }
}

#[derive(Template)]
#[template(path = "console/ticket.html")]
struct TicketPage {
    base: Base,
    ticket: TicketLine,
    related: Option<String>,
    thread: Vec<ThreadLine>,
    closed: bool,
    rating: Option<(i64, String)>,
    form: FormState,
    /// Close and rate have a key of their own: one rendering, several forms.
    other: FormState,
}

async fn ticket_page(
    state: &WebState,
    visitor: &Visitor,
    id: &str,
    form: FormState,
    status: StatusCode,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let detail = match tickets::get(&state.app, actor, id).await {
        Ok(detail) => detail,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let locale = visitor.locale;
    let template = TicketPage {
        base: Base::new(visitor, state, "tickets-title", "tickets"),
        related: related_words(locale, &detail.ticket),
        thread: thread_of(locale, &detail, &format!("/console/tickets/{id}")),
        closed: detail.ticket.status == Status::Closed,
        rating: detail.ticket.rating.map(|stars| {
            (
                stars,
                detail.ticket.rating_comment.clone().unwrap_or_default(),
            )
        }),
        ticket: line_of(locale, &detail.ticket),
        form,
        other: FormState::new(),
    };
    page(visitor, status, &template)
}

/// What a ticket concerns, in words.
pub fn related_words(locale: Locale, t: &TicketView) -> Option<String> {
    let (kind, id) = (t.related_kind.as_deref()?, t.related_id.as_deref()?);
    let shown = if kind == "domain" {
        format::unicode_name(id)
    } else {
        id.to_owned()
    };
    Some(format!("{} {shown}", words(locale, "related", kind)))
}

/// `GET /console/tickets/{id}` (another customer's ticket is 404).
pub async fn show(
    State(state): State<WebState>,
    Path(id): Path<String>,
    visitor: Visitor,
) -> Response {
    ticket_page(&state, &visitor, &id, FormState::new(), StatusCode::OK).await
}

/// `POST /console/tickets/{id}/reply`: a message with an optional attachment.
pub async fn reply(
    State(state): State<WebState>,
    Path(id): Path<String>,
    form: UploadForm,
) -> Response {
    let UploadForm {
        mut visitor,
        actor,
        fields,
        file,
    } = form;
    let body = fields.get("body").cloned().unwrap_or_default();
    let app = state.app.clone();
    let ticket = id.clone();
    let done = match attachment_of(file) {
        Ok(files) => {
            submit_once(&state, &mut visitor, &fields, |ctx| async move {
                tickets::reply(&app, &ctx, &actor, &ticket, &body, files).await?;
                Ok(format!("/console/tickets/{ticket}?done=ticket-replied"))
            })
            .await
        }
        Err(e) => Err(e),
    };
    finish(&state, visitor, &id, &fields, done).await
}

/// `POST /console/tickets/{id}/{action}`: `close`, or `rate` with `stars` and `comment`.
pub async fn action(
    State(state): State<WebState>,
    Path((id, action)): Path<(String, String)>,
    SignedInForm {
        mut visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let app = state.app.clone();
    let ticket = id.clone();
    let stars = fields
        .get("stars")
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or(0);
    let comment = fields.get("comment").cloned().unwrap_or_default();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        match action.as_str() {
            "close" => {
                tickets::close(&app, &ctx, &actor, &ticket).await?;
                Ok(format!("/console/tickets/{ticket}?done=ticket-closed"))
            }
            "rate" => {
                tickets::rate(&app, &ctx, &actor, &ticket, stars, &comment).await?;
                Ok(format!("/console/tickets/{ticket}?done=ticket-rated"))
            }
            _ => Err(yuming_app::AppError::not_found()),
        }
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
            form.fail(visitor.locale, &e, &["body", "attachment", "rating"]);
            ticket_page(state, &visitor, id, form, status_of(&e)).await
        }
    }
}

/// An attachment, always as a download (never shown inline), with its sniffed type.
pub fn attachment_response(name: &str, content_type: &str, bytes: Vec<u8>) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // RFC 5987: the UTF-8 name percent-encoded, so that Chinese names survive.
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    if let Ok(value) = HeaderValue::from_str(&format!(
        "attachment; filename=\"attachment\"; filename*=UTF-8''{encoded}"
    )) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

/// `GET /console/tickets/{id}/attachments/{attachment}`.
pub async fn attachment(
    State(state): State<WebState>,
    Path((id, attachment)): Path<(String, String)>,
    visitor: Visitor,
) -> Response {
    let actor = match visitor.require_actor() {
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
