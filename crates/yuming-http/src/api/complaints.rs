//! Complaints and appeals (投诉 / 申诉): customers file them; support acknowledges and gives
//! the final written answer within working-day deadlines; a CSV for regulators.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use yuming_app::AppError;
use yuming_app::care::complaints::{self, ComplaintView};

use crate::dto::ErrorBody;
use crate::extract::{ApiJson, ApiQuery, Auth, Ctx};
use crate::{ApiError, AppState};

/// A complaint or appeal to file.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewComplaintDto {
    /// `complaint` (投诉) or `appeal` (申诉).
    pub kind: String,
    /// One line, up to 120 characters.
    pub subject: String,
    /// What happened and what is asked for, up to 10 000 characters.
    pub body: String,
    /// What it concerns (a domain, a decision's reference), up to 200 characters.
    #[serde(default)]
    pub related: Option<String>,
}

/// A complaint or appeal.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ComplaintDto {
    /// Id.
    pub id: String,
    /// `complaint` or `appeal`.
    pub kind: String,
    /// Subject.
    pub subject: String,
    /// The text.
    pub body: String,
    /// What it concerns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related: Option<String>,
    /// `received`, `acknowledged`, `answered`.
    pub status: String,
    /// Received (RFC 3339).
    pub received_at: String,
    /// Acknowledged by then (end of the next working day, China time).
    pub ack_due_at: String,
    /// Answered in writing by then.
    pub resolution_due_at: String,
    /// When it was acknowledged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<String>,
    /// When it was answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<String>,
    /// The final written answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
}

impl From<ComplaintView> for ComplaintDto {
    fn from(c: ComplaintView) -> Self {
        ComplaintDto {
            id: c.id,
            kind: c.kind,
            subject: c.subject,
            body: c.body,
            related: c.related,
            status: c.status,
            received_at: c.received_at.to_rfc3339(),
            ack_due_at: c.ack_due_at.to_rfc3339(),
            resolution_due_at: c.resolution_due_at.to_rfc3339(),
            acknowledged_at: c.acknowledged_at.map(|t| t.to_rfc3339()),
            answered_at: c.answered_at.map(|t| t.to_rfc3339()),
            answer: c.answer,
        }
    }
}

/// Complaints.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ComplaintList {
    /// Newest first (the staff queue: nearest deadline first).
    pub complaints: Vec<ComplaintDto>,
}

/// The final written answer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ComplaintAnswerRequest {
    /// The answer the customer receives, up to 10 000 characters.
    pub text: String,
}

/// The export's period (China days, inclusive).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplaintExportQuery {
    /// First day, `YYYY-MM-DD`.
    pub from: String,
    /// Last day, `YYYY-MM-DD`.
    pub to: String,
}

/// Files a complaint or an appeal.
#[utoipa::path(post, path = "/api/v1/complaints", tag = "support", security(("bearer" = []), ("api_key" = [])),
    request_body = NewComplaintDto,
    responses((status = 201, body = ComplaintDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn file(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<NewComplaintDto>,
) -> Result<(StatusCode, Json<ComplaintDto>), ApiError> {
    let view = complaints::file(
        &state.app,
        &ctx,
        &actor,
        &body.kind,
        &body.subject,
        &body.body,
        body.related.as_deref().unwrap_or(""),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// The account's complaints and appeals, newest first.
#[utoipa::path(get, path = "/api/v1/complaints", tag = "support", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = ComplaintList), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<ComplaintList>, ApiError> {
    let views = complaints::list(&state.app, &actor).await?;
    Ok(Json(ComplaintList {
        complaints: views.into_iter().map(Into::into).collect(),
    }))
}

/// One complaint (its customer, or support).
#[utoipa::path(get, path = "/api/v1/complaints/{id}", tag = "support", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "complaint id")),
    responses((status = 200, body = ComplaintDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<ComplaintDto>, ApiError> {
    Ok(Json(complaints::get(&state.app, &actor, &id).await?.into()))
}

/// Support's queue: complaints not answered, the nearest deadline first.
#[utoipa::path(get, path = "/api/v1/admin/complaints", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = ComplaintList), (status = 403, body = ErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<ComplaintList>, ApiError> {
    let views = complaints::queue(&state.app, &actor).await?;
    Ok(Json(ComplaintList {
        complaints: views.into_iter().map(Into::into).collect(),
    }))
}

/// Acknowledges a complaint (受理); the customer is told when the answer is due.
#[utoipa::path(post, path = "/api/v1/admin/complaints/{id}/acknowledge", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "complaint id")),
    responses((status = 200, body = ComplaintDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn acknowledge(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<ComplaintDto>, ApiError> {
    Ok(Json(
        complaints::acknowledge(&state.app, &ctx, &actor, &id)
            .await?
            .into(),
    ))
}

/// Gives the final written answer; the customer is notified.
#[utoipa::path(post, path = "/api/v1/admin/complaints/{id}/answer", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "complaint id")), request_body = ComplaintAnswerRequest,
    responses((status = 200, body = ComplaintDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn answer(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ComplaintAnswerRequest>,
) -> Result<Json<ComplaintDto>, ApiError> {
    Ok(Json(
        complaints::answer(&state.app, &ctx, &actor, &id, &body.text)
            .await?
            .into(),
    ))
}

/// Every complaint received in a period, as CSV for regulators (UTF-8 with BOM).
#[utoipa::path(get, path = "/api/v1/admin/complaints/export", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(ComplaintExportQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(query): ApiQuery<ComplaintExportQuery>,
) -> Result<Response, ApiError> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = |value: &str, field: &'static str| {
        time::Date::parse(value.trim(), &format).map_err(|_| {
            AppError::bad_request(
                "INVALID_DATE",
                "dates are YYYY-MM-DD",
                "日期格式须为 YYYY-MM-DD",
            )
            .with_field(field)
        })
    };
    let (from, to) = (day(&query.from, "from")?, day(&query.to, "to")?);
    let csv = complaints::export_csv(&state.app, &actor, from, to).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"complaints-{from}-{to}.csv\""),
            ),
        ],
        csv,
    )
        .into_response())
}
