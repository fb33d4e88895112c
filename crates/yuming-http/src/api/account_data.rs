//! The account holder's own data: "download all my data" (personal-information access) and
//! the account-closure request; finance staff's queue of closure requests.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yuming_app::accounts::closure::{self, Blocker, ClosureView};
use yuming_app::ops::data_export;
use yuming_app::registrar::export::ArchiveFormat;

use crate::dto::ErrorBody;
use crate::extract::{ApiJson, ApiQuery, Auth, Ctx};
use crate::flow_dto::ExportQuery;
use crate::{ApiError, AppState};

/// Everything the caller's account holds, as one archive: account, registrant profiles
/// (document numbers masked), domains with DNS history and zone files, orders, balance
/// movements, ICP filings, notices, sessions, API keys (no secrets) and the audit trail.
/// Recorded in the audit log.
#[utoipa::path(get, path = "/api/v1/me/export", tag = "auth", security(("bearer" = []), ("api_key" = [])),
    params(ExportQuery),
    responses((status = 200, description = "the archive: `application/gzip` (tar.gz) or `application/zip`",
            content((Vec<u8> = "application/gzip"), (Vec<u8> = "application/zip"))),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn export(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let format = match query.format.as_deref() {
        None => ArchiveFormat::TarGz,
        Some(text) => ArchiveFormat::parse(text)?,
    };
    let (file_name, bytes) = data_export::export(&state.app, &ctx, &actor, format).await?;
    Ok((
        [
            (header::CONTENT_TYPE, format.media_type().to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// A closure request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClosureDto {
    /// `clo_…`.
    pub id: String,
    /// The account.
    pub account_id: String,
    /// `requested`, `withdrawn`, `completed` or `refused`.
    pub status: String,
    /// The customer's reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Staff's note on the decision.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision_note: Option<String>,
    /// RFC 3339.
    pub requested_at: String,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decided_at: Option<String>,
    /// What keeps the account open now, in English and Chinese (empty: it can be closed).
    pub blockers: Vec<BlockerDto>,
}

/// Something that keeps an account open.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BlockerDto {
    /// `domains`, `owed` or `balance`.
    pub kind: String,
    /// In English.
    pub message: String,
    /// In Chinese.
    pub message_zh: String,
}

fn closure_dto(view: ClosureView, blockers: &[Blocker]) -> ClosureDto {
    ClosureDto {
        id: view.id,
        account_id: view.account_id,
        status: view.status,
        reason: view.reason,
        decision_note: view.decision_note,
        requested_at: view.requested_at.to_rfc3339(),
        decided_at: view.decided_at.map(|t| t.to_rfc3339()),
        blockers: blockers
            .iter()
            .map(|b| BlockerDto {
                kind: match b {
                    Blocker::Domains(_) => "domains",
                    Blocker::Owed(_) => "owed",
                    Blocker::Balance(_) => "balance",
                }
                .into(),
                message: b.message(),
                message_zh: b.message_zh(),
            })
            .collect(),
    }
}

/// Asks to close the account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosureRequest {
    /// The account's password, as confirmation.
    pub password: String,
    /// Why (optional, at most 500 characters).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Asks staff to close the caller's account (a tenant's main account, confirmed with its
/// password). Staff complete it once no domain, debt or balance is left.
#[utoipa::path(post, path = "/api/v1/me/closure", tag = "auth", security(("bearer" = [])),
    request_body = ClosureRequest,
    responses((status = 201, body = ClosureDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn request_closure(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<ClosureRequest>,
) -> Result<(StatusCode, Json<ClosureDto>), ApiError> {
    let view = closure::request(
        &state.app,
        &ctx,
        &actor,
        &body.password,
        body.reason.as_deref(),
    )
    .await?;
    let blockers = closure::blockers(&state.app, &actor).await?;
    Ok((StatusCode::CREATED, Json(closure_dto(view, &blockers))))
}

/// The caller's latest closure request and what keeps the account open.
#[utoipa::path(get, path = "/api/v1/me/closure", tag = "auth", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = ClosureDto), (status = 404, body = ErrorBody)))]
pub async fn closure_status(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<ClosureDto>, ApiError> {
    let view = closure::current(&state.app, &actor)
        .await?
        .ok_or_else(yuming_app::AppError::not_found)?;
    let blockers = closure::blockers(&state.app, &actor).await?;
    Ok(Json(closure_dto(view, &blockers)))
}

/// Withdraws the caller's open closure request.
#[utoipa::path(delete, path = "/api/v1/me/closure", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 409, body = ErrorBody)))]
pub async fn withdraw_closure(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
) -> Result<StatusCode, ApiError> {
    closure::withdraw(&state.app, &ctx, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Open closure requests.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ClosureListDto {
    /// Oldest first.
    pub closures: Vec<ClosureDto>,
}

/// Open closure requests, oldest first, each with what keeps its account open (finance).
#[utoipa::path(get, path = "/api/v1/admin/closures", tags = ["admin"], security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = ClosureListDto), (status = 403, body = ErrorBody)))]
pub async fn closure_queue(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<ClosureListDto>, ApiError> {
    let queue = closure::queue(&state.app, &actor, 200).await?;
    Ok(Json(ClosureListDto {
        closures: queue
            .into_iter()
            .map(|(view, blockers)| closure_dto(view, &blockers))
            .collect(),
    }))
}

/// A decision on a closure request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClosureDecisionRequest {
    /// `complete` or `refuse`.
    pub decision: String,
    /// Required to refuse.
    #[serde(default)]
    pub note: Option<String>,
}

/// Completes (closes the tenant's accounts; refused with `ACCOUNT_NOT_EMPTY` while a domain,
/// debt or balance is left) or refuses an open closure request (finance).
#[utoipa::path(post, path = "/api/v1/admin/closures/{id}/decision", tags = ["admin"], security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "closure id")), request_body = ClosureDecisionRequest,
    responses((status = 200, body = ClosureDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn decide_closure(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ClosureDecisionRequest>,
) -> Result<Json<ClosureDto>, ApiError> {
    let complete = match body.decision.as_str() {
        "complete" => true,
        "refuse" => false,
        _ => {
            return Err(yuming_app::AppError::bad_request(
                "INVALID_DECISION",
                "decision is complete or refuse",
                "decision 须为 complete 或 refuse",
            )
            .with_field("decision")
            .into());
        }
    };
    let view = closure::decide(
        &state.app,
        &ctx,
        &actor,
        &id,
        complete,
        body.note.as_deref(),
    )
    .await?;
    Ok(Json(closure_dto(view, &[])))
}
