//! Lifecycle flows: transfers and changes of holder, automatic renewal, batches, and safe
//! cancellation (注销) with its staff review.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use yuming_app::registrar::batches::{self, BatchOperation, RegisterOrder};
use yuming_app::registrar::cancellations::{self, Submission};
use yuming_app::registrar::export::ArchiveFormat;
use yuming_app::{AppError, registrar::transfers};

use crate::dto::{ErrorBody, ReviewDecisionRequest};
use crate::extract::{ApiJson, ApiQuery, Auth, Ctx};
use crate::flow_dto::{
    AutoRenewDto, AutoRenewRequest, BatchDto, BatchRequest, CancellationDto, CancellationList,
    CancellationRequest, CancellationStepRequest, CancellationSubmitRequest, ExportQuery,
    HolderChangeRequest, TransferDecisionRequest, TransferDto, TransferList, TransferRequest,
};
use crate::{ApiError, AppState};

/// Requests the transfer of a domain into the caller's account with its auth code; the
/// transfer fee is charged now and refunded if the holder rejects or the caller cancels.
#[utoipa::path(post, path = "/api/v1/transfers", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    request_body = TransferRequest,
    responses((status = 201, body = TransferDto), (status = 402, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn request_transfer(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<TransferRequest>,
) -> Result<(StatusCode, Json<TransferDto>), ApiError> {
    let view = transfers::request(
        &state.app,
        &ctx,
        &actor,
        &body.name,
        &body.auth_code,
        &body.registrant_contact_id,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// The caller's transfers and changes of holder, gaining and losing.
#[utoipa::path(get, path = "/api/v1/transfers", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = TransferList)))]
pub async fn list_transfers(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<TransferList>, ApiError> {
    let views = transfers::list(&state.app, &actor, 100).await?;
    Ok(Json(TransferList {
        transfers: views.into_iter().map(TransferDto::from).collect(),
    }))
}

/// One transfer or change of holder, for either side.
#[utoipa::path(get, path = "/api/v1/transfers/{id}", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "transfer id")),
    responses((status = 200, body = TransferDto), (status = 404, body = ErrorBody)))]
pub async fn get_transfer(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<TransferDto>, ApiError> {
    Ok(Json(transfers::get(&state.app, &actor, &id).await?.into()))
}

/// Withdraws a pending request (the gaining side of a transfer, refunded; either side of a
/// change of holder).
#[utoipa::path(post, path = "/api/v1/transfers/{id}/cancel", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "transfer id")),
    responses((status = 200, body = TransferDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel_transfer(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<TransferDto>, ApiError> {
    Ok(Json(
        transfers::cancel(&state.app, &ctx, &actor, &id)
            .await?
            .into(),
    ))
}

/// The target account accepts an offered change of holder.
#[utoipa::path(post, path = "/api/v1/transfers/{id}/accept", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "transfer id")),
    responses((status = 200, body = TransferDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn accept_holder_change(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<TransferDto>, ApiError> {
    Ok(Json(
        transfers::accept_holder_change(&state.app, &ctx, &actor, &id)
            .await?
            .into(),
    ))
}

/// The holder approves the pending transfer out, or rejects it with a reason.
#[utoipa::path(post, path = "/api/v1/domains/{name}/transfer/decision", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    params(("name" = String, Path, description = "domain name")), request_body = TransferDecisionRequest,
    responses((status = 200, body = TransferDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn decide_transfer(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<TransferDecisionRequest>,
) -> Result<Json<TransferDto>, ApiError> {
    let approve = match body.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            // The ownership check first: another tenant's name is 404 whatever the body.
            yuming_app::registrar::domains::get(&state.app, &actor, &name).await?;
            return Err(AppError::bad_request(
                "UNKNOWN_DECISION",
                "decision is approve or reject",
                "决定须为 approve 或 reject",
            )
            .with_field("decision")
            .into());
        }
    };
    let view = transfers::decide(
        &state.app,
        &ctx,
        &actor,
        &name,
        approve,
        body.reason.as_deref(),
    )
    .await?;
    Ok(Json(view.into()))
}

/// Offers the domain to another account (过户); that account accepts.
#[utoipa::path(post, path = "/api/v1/domains/{name}/holder-change", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    params(("name" = String, Path, description = "domain name")), request_body = HolderChangeRequest,
    responses((status = 201, body = TransferDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn offer_holder_change(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<HolderChangeRequest>,
) -> Result<(StatusCode, Json<TransferDto>), ApiError> {
    let view = transfers::offer_holder_change(
        &state.app,
        &ctx,
        &actor,
        &name,
        &body.to_email,
        &body.to_contact_id,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// Automatic renewal of a domain: on/off and days before expiry.
#[utoipa::path(get, path = "/api/v1/domains/{name}/auto-renew", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    params(("name" = String, Path, description = "domain name")),
    responses((status = 200, body = AutoRenewDto), (status = 404, body = ErrorBody)))]
pub async fn get_auto_renew(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(name): Path<String>,
) -> Result<Json<AutoRenewDto>, ApiError> {
    Ok(Json(
        batches::auto_renew(&state.app, &actor, &name).await?.into(),
    ))
}

/// Turns automatic renewal on or off and sets how many days before expiry it renews (0–60).
#[utoipa::path(put, path = "/api/v1/domains/{name}/auto-renew", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    params(("name" = String, Path, description = "domain name")), request_body = AutoRenewRequest,
    responses((status = 200, body = AutoRenewDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn set_auto_renew(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<AutoRenewRequest>,
) -> Result<Json<AutoRenewDto>, ApiError> {
    Ok(Json(
        batches::set_auto_renew(
            &state.app,
            &ctx,
            &actor,
            &name,
            body.enabled,
            body.days_before,
        )
        .await?
        .into(),
    ))
}

fn missing(field: &'static str) -> AppError {
    AppError::bad_request(
        "MISSING_FIELD",
        format!("{field} is required for this operation"),
        format!("该操作需要 {field}"),
    )
    .with_field(field)
}

/// Starts a batch over 1–50 domains and returns at once (202) with its id; each domain is
/// its own transaction, failed items are never charged.
#[utoipa::path(post, path = "/api/v1/batches", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    request_body = BatchRequest,
    responses((status = 202, body = BatchDto), (status = 400, body = ErrorBody)))]
pub async fn start_batch(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<BatchRequest>,
) -> Result<(StatusCode, Json<BatchDto>), ApiError> {
    let operation = match body.operation.as_str() {
        "renew" => BatchOperation::Renew {
            years: body.years.ok_or_else(|| missing("years"))?,
        },
        "auto_renew" => BatchOperation::AutoRenew {
            enabled: body.enabled.ok_or_else(|| missing("enabled"))?,
        },
        "nameservers" => BatchOperation::Nameservers {
            nameservers: body.nameservers.ok_or_else(|| missing("nameservers"))?,
        },
        "lock" => BatchOperation::Lock { locked: true },
        "unlock" => BatchOperation::Lock { locked: false },
        "cancel" => BatchOperation::Cancel,
        "register" => BatchOperation::Register(RegisterOrder {
            years: body
                .domains
                .iter()
                .map(|name| (name.clone(), body.years.unwrap_or(1)))
                .collect(),
            registrant_contact_id: body
                .registrant_contact_id
                .clone()
                .ok_or_else(|| missing("registrant_contact_id"))?,
            nameservers: body.nameservers.clone(),
            auto_renew: body.auto_renew.unwrap_or(true),
            coupon: body.coupon.clone(),
        }),
        _ => {
            return Err(AppError::bad_request(
                "UNKNOWN_OPERATION",
                "operation is register, renew, auto_renew, nameservers, lock, unlock or cancel",
                "操作须为 register、renew、auto_renew、nameservers、lock、unlock 或 cancel",
            )
            .with_field("operation")
            .into());
        }
    };
    let view = batches::start(&state.app, &ctx, &actor, operation, body.domains).await?;
    Ok((StatusCode::ACCEPTED, Json(view.into())))
}

/// A batch's status and per-item results (any instance answers).
#[utoipa::path(get, path = "/api/v1/batches/{id}", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "batch id")),
    responses((status = 200, body = BatchDto), (status = 404, body = ErrorBody)))]
pub async fn get_batch(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<BatchDto>, ApiError> {
    Ok(Json(batches::get(&state.app, &actor, &id).await?.into()))
}

/// Starts a cancellation request (注销) for 1–50 domains. Cancellation is irreversible.
#[utoipa::path(post, path = "/api/v1/cancellations", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    request_body = CancellationRequest,
    responses((status = 201, body = CancellationDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_cancellation(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<CancellationRequest>,
) -> Result<(StatusCode, Json<CancellationDto>), ApiError> {
    let view = cancellations::create(&state.app, &ctx, &actor, &body.domains).await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// A cancellation request with its checklist.
#[utoipa::path(get, path = "/api/v1/cancellations/{id}", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "cancellation id")),
    responses((status = 200, body = CancellationDto), (status = 404, body = ErrorBody)))]
pub async fn get_cancellation(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<CancellationDto>, ApiError> {
    Ok(Json(
        cancellations::get(&state.app, &actor, &id).await?.into(),
    ))
}

/// Confirms the next step of the checklist.
#[utoipa::path(post, path = "/api/v1/cancellations/{id}/steps", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "cancellation id")), request_body = CancellationStepRequest,
    responses((status = 200, body = CancellationDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn confirm_cancellation_step(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CancellationStepRequest>,
) -> Result<Json<CancellationDto>, ApiError> {
    Ok(Json(
        cancellations::confirm_step(&state.app, &ctx, &actor, &id, &body.step)
            .await?
            .into(),
    ))
}

/// The data export of the request's domains: contacts (masked), orders, history and
/// delegation, as `.tar.gz` (default) or `.zip`.
#[utoipa::path(get, path = "/api/v1/cancellations/{id}/export", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "cancellation id"), ExportQuery),
    responses((status = 200, description = "the archive: `application/gzip` (tar.gz) or `application/zip`",
            content((Vec<u8> = "application/gzip"), (Vec<u8> = "application/zip"))),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn export_cancellation(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let format = match query.format.as_deref() {
        None => ArchiveFormat::TarGz,
        Some(text) => ArchiveFormat::parse(text)?,
    };
    let bytes = cancellations::export_archive(&state.app, &actor, &id, format).await?;
    let disposition = format!(
        "attachment; filename=\"{}-export.{}\"",
        id.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect::<String>(),
        format.extension()
    );
    Ok((
        [
            (header::CONTENT_TYPE, format.media_type().to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// Submits the completed checklist for staff review, confirmed with TOTP or the e-mailed
/// code. Irreversible once approved.
#[utoipa::path(post, path = "/api/v1/cancellations/{id}/submit", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "cancellation id")), request_body = CancellationSubmitRequest,
    responses((status = 200, body = CancellationDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn submit_cancellation(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CancellationSubmitRequest>,
) -> Result<Json<CancellationDto>, ApiError> {
    let document = match body.document {
        None => None,
        Some(upload) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(upload.content_base64.as_bytes())
                .map_err(|_| {
                    AppError::bad_request(
                        "INVALID_DOCUMENT",
                        "the document content is not base64",
                        "证明文件内容不是 base64 编码",
                    )
                    .with_field("document.content_base64")
                })?;
            Some((upload.name, bytes))
        }
    };
    let submission = Submission {
        totp: body.totp,
        code: body.code,
        document,
    };
    Ok(Json(
        cancellations::submit(&state.app, &ctx, &actor, &id, submission)
            .await?
            .into(),
    ))
}

/// Cancellation requests waiting for review, oldest first (staff).
#[utoipa::path(get, path = "/api/v1/review/cancellations", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = CancellationList), (status = 403, body = ErrorBody)))]
pub async fn cancellation_queue(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<CancellationList>, ApiError> {
    let views = cancellations::review_queue(&state.app, &actor, 100).await?;
    Ok(Json(CancellationList {
        cancellations: views.into_iter().map(CancellationDto::from).collect(),
    }))
}

/// The uploaded supporting document of a request (staff; audited).
#[utoipa::path(get, path = "/api/v1/review/cancellations/{id}/document", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "cancellation id")),
    responses((status = 200, description = "the document", content_type = "application/octet-stream"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn cancellation_document(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (name, bytes) = cancellations::document(&state.app, &ctx, &actor, &id).await?;
    let safe: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .collect();
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Approves (the domains are deleted, DNS cleared, refunds per the add-grace rule) or
/// rejects with a reason (staff).
#[utoipa::path(post, path = "/api/v1/review/cancellations/{id}/decision", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "cancellation id")), request_body = ReviewDecisionRequest,
    responses((status = 200, body = CancellationDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn decide_cancellation(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReviewDecisionRequest>,
) -> Result<Json<CancellationDto>, ApiError> {
    Ok(Json(
        cancellations::decide(
            &state.app,
            &ctx,
            &actor,
            &id,
            body.decision.as_deref().unwrap_or_default(),
            body.reason.as_deref(),
        )
        .await?
        .into(),
    ))
}

/// Restores a domain in redemption: the restore fee plus any renewal year due, charged in
/// the same transaction. Outside redemption: 422 `RESTORE_OUTSIDE_REDEMPTION`, no charge.
#[utoipa::path(post, path = "/api/v1/domains/{name}/restore", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    params(("name" = String, Path, description = "domain name")),
    responses((status = 200, body = crate::dto::DomainReceiptDto), (status = 402, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn restore_domain(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(name): Path<String>,
) -> Result<Json<crate::dto::DomainReceiptDto>, ApiError> {
    Ok(Json(
        yuming_app::registrar::restore::restore(&state.app, &ctx, &actor, &name)
            .await?
            .into(),
    ))
}
