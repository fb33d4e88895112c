//! Support tickets: customers open them and write in the thread, staff answer, assign, set
//! the priority and close; a closed ticket is rated once. Another tenant's ticket is 404.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yuming_app::AppError;
use yuming_app::care::tickets::{
    self, NewAttachment, NewTicket, TicketChange, TicketDetail, TicketView,
};
use yuming_core::ticket::Status;

use crate::dto::ErrorBody;
use crate::extract::{ApiJson, ApiQuery, Auth, Ctx};
use crate::{ApiError, AppState};

/// A ticket to open.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicketDto {
    /// `domains`, `dns`, `filing`, `billing`, `account` or `other`.
    pub category: String,
    /// One line, up to 120 characters.
    pub subject: String,
    /// The first message, up to 10 000 characters.
    pub body: String,
    /// `low`, `normal` (default), `high` or `urgent`.
    #[serde(default)]
    pub priority: Option<String>,
    /// A domain name, order id or filing order id of this account it concerns.
    #[serde(default)]
    pub related: Option<String>,
}

/// A ticket.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketDto {
    /// Id.
    pub id: String,
    /// Category.
    pub category: String,
    /// Subject.
    pub subject: String,
    /// Priority.
    pub priority: String,
    /// `open` (waiting for support), `answered`, `closed`.
    pub status: String,
    /// The staff account working it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// `domain`, `order` or `filing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_kind: Option<String>,
    /// The related object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_id: Option<String>,
    /// Support answers first by then (RFC 3339).
    pub first_response_due_at: String,
    /// Resolved by then (RFC 3339).
    pub resolution_due_at: String,
    /// Past a due time.
    pub breached: bool,
    /// 1–5, once rated.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rating: Option<i64>,
    /// Opened (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

impl From<TicketView> for TicketDto {
    fn from(t: TicketView) -> Self {
        TicketDto {
            id: t.id,
            category: t.category.as_str().to_owned(),
            subject: t.subject,
            priority: t.priority.as_str().to_owned(),
            status: t.status.as_str().to_owned(),
            assignee: t.assignee,
            related_kind: t.related_kind,
            related_id: t.related_id,
            first_response_due_at: t.first_response_due_at.to_rfc3339(),
            resolution_due_at: t.resolution_due_at.to_rfc3339(),
            breached: t.breached,
            rating: t.rating,
            created_at: t.created_at.to_rfc3339(),
            updated_at: t.updated_at.to_rfc3339(),
        }
    }
}

/// Tickets.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketList {
    /// Most recently changed first (the staff queue: least recently first).
    pub tickets: Vec<TicketDto>,
}

/// An attachment's description.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketAttachmentDto {
    /// Id.
    pub id: String,
    /// File name.
    pub file_name: String,
    /// `image/png`, `image/jpeg` or `application/pdf`.
    pub content_type: String,
    /// Size.
    pub size_bytes: i64,
    /// Where to download it.
    pub url: String,
}

/// A message of the thread.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketMessageDto {
    /// Id.
    pub id: String,
    /// Written by support.
    pub from_staff: bool,
    /// The text.
    pub body: String,
    /// When (RFC 3339).
    pub created_at: String,
    /// Its attachments.
    pub attachments: Vec<TicketAttachmentDto>,
}

/// A ticket with its thread.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TicketDetailDto {
    /// The ticket.
    pub ticket: TicketDto,
    /// The thread, oldest first.
    pub messages: Vec<TicketMessageDto>,
}

impl From<TicketDetail> for TicketDetailDto {
    fn from(d: TicketDetail) -> Self {
        let id = d.ticket.id.clone();
        TicketDetailDto {
            ticket: d.ticket.into(),
            messages: d
                .messages
                .into_iter()
                .map(|m| TicketMessageDto {
                    id: m.id,
                    from_staff: m.from_staff,
                    body: m.body,
                    created_at: m.created_at.to_rfc3339(),
                    attachments: m
                        .attachments
                        .into_iter()
                        .map(|a| TicketAttachmentDto {
                            url: format!("/api/v1/tickets/{id}/attachments/{}", a.id),
                            id: a.id,
                            file_name: a.file_name,
                            content_type: a.content_type,
                            size_bytes: a.size_bytes,
                        })
                        .collect(),
                })
                .collect(),
        }
    }
}

/// A message to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketMessageRequest {
    /// The text, up to 10 000 characters.
    pub body: String,
}

/// A rating of a closed ticket.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketRatingRequest {
    /// 1 (poor) to 5 (excellent).
    pub stars: i64,
    /// Up to 500 characters.
    #[serde(default)]
    pub comment: Option<String>,
}

/// What staff change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketChangeRequest {
    /// A new priority (its due times are counted from when the ticket was opened).
    #[serde(default)]
    pub priority: Option<String>,
    /// A staff account id to assign it to; an empty string takes it off anyone.
    #[serde(default)]
    pub assignee: Option<String>,
}

/// The staff queue's status.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TicketQueueQuery {
    /// `open` (default: waiting for support), `answered` or `closed`.
    pub status: Option<String>,
}

/// Opens a ticket.
#[utoipa::path(post, path = "/api/v1/tickets", tag = "support", security(("bearer" = []), ("api_key" = [])),
    request_body = NewTicketDto,
    responses((status = 201, body = TicketDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn open(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<NewTicketDto>,
) -> Result<(StatusCode, Json<TicketDto>), ApiError> {
    let input = NewTicket {
        category: body.category,
        subject: body.subject,
        body: body.body,
        priority: body.priority.unwrap_or_default(),
        related: body.related.unwrap_or_default(),
    };
    let view = tickets::open(&state.app, &ctx, &actor, &input, Vec::new()).await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// The account's tickets, most recently changed first.
#[utoipa::path(get, path = "/api/v1/tickets", tag = "support", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = TicketList), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<TicketList>, ApiError> {
    let views = tickets::list(&state.app, &actor).await?;
    Ok(Json(TicketList {
        tickets: views.into_iter().map(Into::into).collect(),
    }))
}

/// A ticket with its thread.
#[utoipa::path(get, path = "/api/v1/tickets/{id}", tag = "support", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "ticket id")),
    responses((status = 200, body = TicketDetailDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<TicketDetailDto>, ApiError> {
    Ok(Json(tickets::get(&state.app, &actor, &id).await?.into()))
}

/// Adds a message (the customer's reopens a closed ticket; support's answers it).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/messages", tag = "support", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "ticket id")), request_body = TicketMessageRequest,
    responses((status = 200, body = TicketDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn message(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TicketMessageRequest>,
) -> Result<Json<TicketDto>, ApiError> {
    let view = tickets::reply(&state.app, &ctx, &actor, &id, &body.body, Vec::new()).await?;
    Ok(Json(view.into()))
}

/// Where an uploaded attachment goes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttachmentQuery {
    /// The file's name as the other side sees it (default `attachment`).
    #[serde(default)]
    pub file_name: Option<String>,
    /// The message the file comes with (default: the file's name).
    #[serde(default)]
    pub message: Option<String>,
}

/// Adds a message with one attachment: the raw file as the body (PNG, JPEG or PDF, up to
/// 5 MB, at most 10 per ticket; the bytes decide the type, not the header). It is stored
/// sealed like filing materials; the other side is notified as for any message.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/attachments", tag = "support", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "ticket id"), AttachmentQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "the file"),
    responses((status = 201, body = TicketDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn upload_attachment(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<AttachmentQuery>,
    body: axum::body::Body,
) -> Result<(StatusCode, Json<TicketDto>), ApiError> {
    let bytes = axum::body::to_bytes(body, yuming_core::ticket::ATTACHMENT_MAX_BYTES)
        .await
        .map_err(|_| AppError::from(tickets::TicketError::AttachmentTooLarge))?
        .to_vec();
    let file_name = query
        .file_name
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| "attachment".to_owned());
    let message = query
        .message
        .filter(|m| !m.trim().is_empty())
        .unwrap_or_else(|| file_name.clone());
    let files = vec![NewAttachment { file_name, bytes }];
    let view = tickets::reply(&state.app, &ctx, &actor, &id, &message, files).await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// Closes a ticket.
#[utoipa::path(post, path = "/api/v1/tickets/{id}/close", tag = "support", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "ticket id")),
    responses((status = 200, body = TicketDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn close(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<TicketDto>, ApiError> {
    Ok(Json(
        tickets::close(&state.app, &ctx, &actor, &id).await?.into(),
    ))
}

/// Rates a closed ticket, once (the customer).
#[utoipa::path(post, path = "/api/v1/tickets/{id}/rating", tag = "support", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "ticket id")), request_body = TicketRatingRequest,
    responses((status = 200, body = TicketDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn rate(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TicketRatingRequest>,
) -> Result<Json<TicketDto>, ApiError> {
    let view = tickets::rate(
        &state.app,
        &ctx,
        &actor,
        &id,
        body.stars,
        body.comment.as_deref().unwrap_or(""),
    )
    .await?;
    Ok(Json(view.into()))
}

/// An attachment, as a download.
#[utoipa::path(get, path = "/api/v1/tickets/{id}/attachments/{attachment}", tag = "support", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "ticket id"), ("attachment" = String, Path, description = "attachment id")),
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>), (status = 404, body = ErrorBody)))]
pub async fn attachment(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((id, attachment)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (name, content_type, bytes) =
        tickets::attachment(&state.app, &actor, &id, &attachment).await?;
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{ascii}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// The staff queue: tickets in a status, least recently changed first (support and admins).
#[utoipa::path(get, path = "/api/v1/admin/tickets", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(TicketQueueQuery),
    responses((status = 200, body = TicketList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(query): ApiQuery<TicketQueueQuery>,
) -> Result<Json<TicketList>, ApiError> {
    let status = match query.status.as_deref() {
        None => Status::Open,
        Some(s) => Status::parse(s).ok_or_else(|| {
            AppError::bad_request(
                "INVALID_STATUS",
                "status must be open, answered or closed",
                "状态须为 open、answered 或 closed",
            )
            .with_field("status")
        })?,
    };
    let views = tickets::queue(&state.app, &actor, status).await?;
    Ok(Json(TicketList {
        tickets: views.into_iter().map(Into::into).collect(),
    }))
}

/// Staff change a ticket's priority or assignee.
#[utoipa::path(patch, path = "/api/v1/admin/tickets/{id}", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "ticket id")), request_body = TicketChangeRequest,
    responses((status = 200, body = TicketDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TicketChangeRequest>,
) -> Result<Json<TicketDto>, ApiError> {
    let change = TicketChange {
        priority: body.priority,
        assignee: body.assignee,
    };
    Ok(Json(
        tickets::update(&state.app, &ctx, &actor, &id, &change)
            .await?
            .into(),
    ))
}
