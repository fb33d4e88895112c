//! ICP filing: entities, sites, servers, orders, self-check, materials (customers); the
//! filing review queue (staff, tagged `admin`); address pools, rules and blacklist (admins).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use yuming_app::filing::{self, FieldRejection, NewOrderInput, RuleInput, ServerInput, materials};
use yuming_app::{AppError, ErrorKind};
use yuming_core::clock::Timestamp;

use crate::dto::ErrorBody;
use crate::extract::{ApiJson, ApiQuery, Auth, Ctx};
use crate::filing_dto::{
    BlacklistRequest, CheckReportDto, EntityDto, EntityListDto, EntityViewDto, FilingOrderDto,
    HistoryDto, IpPoolCreateRequest, IpPoolDto, IpPoolListDto, MaterialDto, MaterialListDto,
    NoteCreateRequest, NoteDto, NoteListDto, OrderCreateRequest, OrderListDto, PayloadDto,
    RejectRequest, ReviewOrderDto, RuleCreateRequest, RuleDto, RuleListDto, SandboxMessageDto,
    SandboxSmsQuery, ServerDto, ServerListDto, ServersCreateRequest, SiteDto, SiteViewDto,
    SmsCodeRequest, SyncReportDto,
};
use crate::{ApiError, AppState};

/// Largest material upload body: the 5 MB file plus nothing (raw body, not multipart).
pub const MATERIAL_BODY_LIMIT: usize = materials::MAX_BYTES + 1024;

/// Reads an upload's raw body with the upload's own limit (larger than the API's default).
pub(crate) async fn read_upload(body: Body) -> Result<Vec<u8>, ApiError> {
    axum::body::to_bytes(body, MATERIAL_BODY_LIMIT)
        .await
        .map(|bytes| bytes.to_vec())
        .map_err(|_| {
            ApiError::from(AppError::new(
                ErrorKind::BadRequest,
                "MATERIAL_TOO_LARGE",
                "the file is larger than 5 MB",
                "文件超过 5 MB",
            ))
        })
}

/// A stored image as its owner or a reviewer downloads it, with its type (the API's layers
/// add `Cache-Control: no-store` to every answer).
pub(crate) fn image_response(content_type: &str, bytes: Vec<u8>) -> Response {
    let mut headers = HeaderMap::new();
    if let Ok(value) = content_type.parse() {
        headers.insert(header::CONTENT_TYPE, value);
    }
    (headers, bytes).into_response()
}

pub(crate) fn parse_time(value: &str, field: &str) -> Result<Timestamp, ApiError> {
    time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339)
        .map(|t| Timestamp(t.unix_timestamp()))
        .map_err(|_| {
            AppError::bad_request(
                "INVALID_TIME",
                "times are RFC 3339, e.g. 2027-01-01T00:00:00Z",
                "时间须为 RFC 3339 格式，如 2027-01-01T00:00:00Z",
            )
            .with_field(field)
            .into()
        })
}

/// Creates a draft filing entity (主体).
#[utoipa::path(post, path = "/api/v1/filing/entities", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    request_body = EntityDto,
    responses((status = 201, body = EntityViewDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_entity(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<EntityDto>,
) -> Result<(StatusCode, Json<EntityViewDto>), ApiError> {
    let view = filing::create_entity(&state.app, &ctx, &actor, &body.into()).await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// The tenant's filing entities.
#[utoipa::path(get, path = "/api/v1/filing/entities", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = EntityListDto), (status = 403, body = ErrorBody)))]
pub async fn list_entities(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<EntityListDto>, ApiError> {
    let views = filing::list_entities(&state.app, &actor).await?;
    Ok(Json(EntityListDto {
        entities: views.into_iter().map(Into::into).collect(),
    }))
}

/// One entity with its sites and numbers.
#[utoipa::path(get, path = "/api/v1/filing/entities/{id}", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "entity id")),
    responses((status = 200, body = EntityViewDto), (status = 404, body = ErrorBody)))]
pub async fn get_entity(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<EntityViewDto>, ApiError> {
    let (entity, sites) = filing::get_entity(&state.app, &actor, &id).await?;
    let mut dto = EntityViewDto::from(entity);
    dto.sites = sites.into_iter().map(Into::into).collect();
    Ok(Json(dto))
}

/// Adds a draft site (网站) to an entity.
#[utoipa::path(post, path = "/api/v1/filing/entities/{id}/sites", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "entity id")), request_body = SiteDto,
    responses((status = 201, body = SiteViewDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn create_site(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SiteDto>,
) -> Result<(StatusCode, Json<SiteViewDto>), ApiError> {
    let view = filing::create_site(&state.app, &ctx, &actor, &id, &body.into()).await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// Adds or imports servers of the account (all or nothing).
#[utoipa::path(post, path = "/api/v1/filing/servers", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    request_body = ServersCreateRequest,
    responses((status = 201, body = ServerListDto), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn add_servers(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<ServersCreateRequest>,
) -> Result<(StatusCode, Json<ServerListDto>), ApiError> {
    let mut inputs = Vec::with_capacity(body.servers.len());
    for (i, s) in body.servers.into_iter().enumerate() {
        inputs.push(ServerInput {
            expires_at: parse_time(&s.expires_at, &format!("servers[{i}].expires_at"))?,
            ip: s.ip,
            region: s.region,
        });
    }
    let rows = filing::add_servers(&state.app, &ctx, &actor, &inputs).await?;
    Ok((
        StatusCode::CREATED,
        Json(ServerListDto {
            servers: rows.into_iter().map(ServerDto::from).collect(),
        }),
    ))
}

/// The account's servers.
#[utoipa::path(get, path = "/api/v1/filing/servers", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = ServerListDto), (status = 403, body = ErrorBody)))]
pub async fn list_servers(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<ServerListDto>, ApiError> {
    let rows = filing::list_servers(&state.app, &actor).await?;
    Ok(Json(ServerListDto {
        servers: rows.into_iter().map(ServerDto::from).collect(),
    }))
}

/// Creates a draft order; takes the entity's lock (one order in progress per entity).
#[utoipa::path(post, path = "/api/v1/filing/orders", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    request_body = OrderCreateRequest,
    responses((status = 201, body = FilingOrderDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn create_order(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<OrderCreateRequest>,
) -> Result<(StatusCode, Json<FilingOrderDto>), ApiError> {
    let view = filing::create_order(
        &state.app,
        &ctx,
        &actor,
        &NewOrderInput {
            operation: body.operation,
            entity_id: body.entity_id,
            site_id: body.site_id,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// The tenant's orders, newest first.
#[utoipa::path(get, path = "/api/v1/filing/orders", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = OrderListDto), (status = 403, body = ErrorBody)))]
pub async fn list_orders(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<OrderListDto>, ApiError> {
    let views = filing::list_orders(&state.app, &actor).await?;
    Ok(Json(OrderListDto {
        orders: views.into_iter().map(Into::into).collect(),
    }))
}

/// One order (numbers masked).
#[utoipa::path(get, path = "/api/v1/filing/orders/{id}", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "order id")),
    responses((status = 200, body = FilingOrderDto), (status = 404, body = ErrorBody)))]
pub async fn get_order(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<FilingOrderDto>, ApiError> {
    Ok(Json(
        filing::get_order(&state.app, &actor, &id).await?.into(),
    ))
}

/// Replaces the order's data. Only editable fields may change: everything but the verified
/// fields while filling, only the rejected fields after a rejection. Send the numbers in
/// full (masked values are taken as a change).
#[utoipa::path(put, path = "/api/v1/filing/orders/{id}", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "order id")), request_body = PayloadDto,
    responses((status = 200, body = FilingOrderDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn update_order(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PayloadDto>,
) -> Result<Json<FilingOrderDto>, ApiError> {
    let view = filing::update_order(&state.app, &ctx, &actor, &id, &body.into()).await?;
    Ok(Json(view.into()))
}

/// 验证备案类型: the authority confirms the operation; verified fields freeze.
#[utoipa::path(post, path = "/api/v1/filing/orders/{id}/verify-type", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "order id")),
    responses((status = 200, body = FilingOrderDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn verify_type(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<FilingOrderDto>, ApiError> {
    Ok(Json(
        filing::verify_type(&state.app, &ctx, &actor, &id)
            .await?
            .into(),
    ))
}

/// The self-check: every problem the authority would reject for, with code, field, fix.
#[utoipa::path(get, path = "/api/v1/filing/orders/{id}/check", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "order id")),
    responses((status = 200, body = CheckReportDto), (status = 404, body = ErrorBody)))]
pub async fn check(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<CheckReportDto>, ApiError> {
    Ok(Json(filing::check(&state.app, &actor, &id).await?.into()))
}

/// Submits to the provider's review: refused while blocking problems remain, and beyond
/// 3 submissions per account and 5 per source IP per day (429 says when the limit resets).
#[utoipa::path(post, path = "/api/v1/filing/orders/{id}/submit", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "order id")),
    responses((status = 200, body = FilingOrderDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<FilingOrderDto>, ApiError> {
    Ok(Json(
        filing::submit(&state.app, &ctx, &actor, &id).await?.into(),
    ))
}

/// Abandons the order; releases the entity's lock.
#[utoipa::path(post, path = "/api/v1/filing/orders/{id}/abandon", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "order id")),
    responses((status = 200, body = FilingOrderDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn abandon(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<FilingOrderDto>, ApiError> {
    Ok(Json(
        filing::abandon(&state.app, &ctx, &actor, &id).await?.into(),
    ))
}

/// Enters the authority's SMS verification code (valid 24 h; the 6th wrong code returns
/// the order).
#[utoipa::path(post, path = "/api/v1/filing/orders/{id}/sms", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "order id")), request_body = SmsCodeRequest,
    responses((status = 200, body = FilingOrderDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn verify_sms(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SmsCodeRequest>,
) -> Result<Json<FilingOrderDto>, ApiError> {
    Ok(Json(
        filing::verify_sms(&state.app, &ctx, &actor, &id, &body.code)
            .await?
            .into(),
    ))
}

/// Every status change of the order.
#[utoipa::path(get, path = "/api/v1/filing/orders/{id}/history", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "order id")),
    responses((status = 200, body = HistoryDto), (status = 404, body = ErrorBody)))]
pub async fn history(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<HistoryDto>, ApiError> {
    let entries = filing::history(&state.app, &actor, &id).await?;
    Ok(Json(HistoryDto {
        history: entries.into_iter().map(Into::into).collect(),
    }))
}

/// The order's notes: rejections per field, call log, messages.
#[utoipa::path(get, path = "/api/v1/filing/orders/{id}/notes", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "order id")),
    responses((status = 200, body = NoteListDto), (status = 404, body = ErrorBody)))]
pub async fn notes(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<NoteListDto>, ApiError> {
    let notes = filing::notes(&state.app, &actor, &id).await?;
    Ok(Json(NoteListDto {
        notes: notes.into_iter().map(Into::into).collect(),
    }))
}

/// Adds a message (applicant or reviewer) or a call-log entry (reviewer).
#[utoipa::path(post, path = "/api/v1/filing/orders/{id}/notes", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "order id")), request_body = NoteCreateRequest,
    responses((status = 201, body = NoteDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn add_note(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<NoteCreateRequest>,
) -> Result<(StatusCode, Json<NoteDto>), ApiError> {
    let note = filing::add_note(&state.app, &ctx, &actor, &id, &body.kind, &body.body).await?;
    Ok((StatusCode::CREATED, Json(note.into())))
}

/// The order's materials, every version (contents not included).
#[utoipa::path(get, path = "/api/v1/filing/orders/{id}/materials", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "order id")),
    responses((status = 200, body = MaterialListDto), (status = 404, body = ErrorBody)))]
pub async fn list_materials(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<MaterialListDto>, ApiError> {
    let list = materials::list(&state.app, &actor, &id).await?;
    Ok(Json(MaterialListDto {
        materials: list.into_iter().map(Into::into).collect(),
    }))
}

/// Uploads a material: the raw JPEG or PNG file as the body (`Content-Type: image/jpeg` or
/// `image/png`; the bytes decide, not the header). ≤ 5 MB, ≤ 40 megapixels, ≥ 300 dpi where
/// the file states a density (else the pixels of a 300 dpi scan), colour. The file is stored
/// re-encoded (pixels and density only). A re-upload of a kind replaces it and keeps the old
/// one in the history.
#[utoipa::path(post, path = "/api/v1/filing/orders/{id}/materials/{kind}", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "order id"),
        ("kind" = String, Path, description = "id_front, id_back, business_licence, verification_photo, authorisation_letter, preapproval, commitment_letter, other")),
    request_body(content = Vec<u8>, content_type = "image/jpeg", description = "the file (image/png also accepted)"),
    responses((status = 201, body = MaterialDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "`MATERIALS_BUSY`: too many images being checked; retry after `Retry-After` seconds")))]
pub async fn upload_material(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path((id, kind)): Path<(String, String)>,
    body: Body,
) -> Result<(StatusCode, Json<MaterialDto>), ApiError> {
    let bytes = read_upload(body).await?;
    let view = materials::upload(&state.app, &ctx, &actor, &id, &kind, bytes).await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// A material's file (the applicant, or a reviewer).
#[utoipa::path(get, path = "/api/v1/filing/orders/{id}/materials/{material_id}/content", tag = "filing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "order id"), ("material_id" = String, Path, description = "material id")),
    responses((status = 200, content_type = "image/jpeg", description = "the file"), (status = 404, body = ErrorBody)))]
pub async fn material_content(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path((id, material_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (content_type, bytes) = materials::download(&state.app, &actor, &id, &material_id).await?;
    Ok(image_response(&content_type, bytes))
}

/// Filing orders waiting for the provider's review, oldest first (reviewers).
#[utoipa::path(get, path = "/api/v1/review/filing", tags = ["admin", "review"], security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = OrderListDto), (status = 403, body = ErrorBody)))]
pub async fn review_queue(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<OrderListDto>, ApiError> {
    let views = filing::review_queue(&state.app, &actor).await?;
    Ok(Json(OrderListDto {
        orders: views.into_iter().map(Into::into).collect(),
    }))
}

/// The order with plain numbers, its self-check, materials, history and notes (reviewers;
/// audited).
#[utoipa::path(get, path = "/api/v1/review/filing/{id}", tags = ["admin", "review"], security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "order id")),
    responses((status = 200, body = ReviewOrderDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn review_order(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<ReviewOrderDto>, ApiError> {
    Ok(Json(
        filing::review_view(&state.app, &ctx, &actor, &id)
            .await?
            .into(),
    ))
}

/// Claims an order for review.
#[utoipa::path(post, path = "/api/v1/review/filing/{id}/claim", tags = ["admin", "review"], security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "order id")),
    responses((status = 200, body = FilingOrderDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn claim(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<FilingOrderDto>, ApiError> {
    Ok(Json(
        filing::claim(&state.app, &ctx, &actor, &id).await?.into(),
    ))
}

/// Passes the claimed order; it is pushed to the authority.
#[utoipa::path(post, path = "/api/v1/review/filing/{id}/approve", tags = ["admin", "review"], security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "order id"), crate::filing_dto::ApproveQuery),
    responses((status = 200, body = FilingOrderDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn approve(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<crate::filing_dto::ApproveQuery>,
) -> Result<Json<FilingOrderDto>, ApiError> {
    let seen = query
        .seen
        .as_deref()
        .map(|s| parse_time(s, "seen"))
        .transpose()?;
    Ok(Json(
        filing::approve_seen(&state.app, &ctx, &actor, &id, seen)
            .await?
            .into(),
    ))
}

/// Rejects the claimed order with §1.8 codes and per-field comments; only those fields
/// reopen for the applicant.
#[utoipa::path(post, path = "/api/v1/review/filing/{id}/reject", tags = ["admin", "review"], security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "order id")), request_body = RejectRequest,
    responses((status = 200, body = FilingOrderDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reject(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RejectRequest>,
) -> Result<Json<FilingOrderDto>, ApiError> {
    let rejections: Vec<FieldRejection> = body
        .rejections
        .into_iter()
        .map(|r| FieldRejection {
            field: r.field,
            code: r.code,
            comment: r.comment,
        })
        .collect();
    let seen = body
        .seen
        .as_deref()
        .map(|s| parse_time(s, "seen"))
        .transpose()?;
    Ok(Json(
        filing::reject_seen(&state.app, &ctx, &actor, &id, &rejections, seen)
            .await?
            .into(),
    ))
}

/// Adds a provider address pool (admins).
#[utoipa::path(post, path = "/api/v1/admin/filing/ip-pools", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    request_body = IpPoolCreateRequest,
    responses((status = 201, body = IpPoolDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn add_ip_pool(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<IpPoolCreateRequest>,
) -> Result<(StatusCode, Json<IpPoolDto>), ApiError> {
    let row = filing::add_ip_pool(
        &state.app,
        &ctx,
        &actor,
        &body.cidr,
        &body.region,
        body.mainland,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// The provider's address pools (admins).
#[utoipa::path(get, path = "/api/v1/admin/filing/ip-pools", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = IpPoolListDto), (status = 403, body = ErrorBody)))]
pub async fn list_ip_pools(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<IpPoolListDto>, ApiError> {
    let rows = filing::list_ip_pools(&state.app, &actor).await?;
    Ok(Json(IpPoolListDto {
        pools: rows.into_iter().map(Into::into).collect(),
    }))
}

/// Adds a versioned rules-table row (admins).
#[utoipa::path(post, path = "/api/v1/admin/filing/rules", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    request_body = RuleCreateRequest,
    responses((status = 201, body = RuleDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn add_rule(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<RuleCreateRequest>,
) -> Result<(StatusCode, Json<RuleDto>), ApiError> {
    let input = RuleInput {
        effective_from: parse_time(&body.effective_from, "effective_from")?,
        scope: body.scope,
        scope_key: body.scope_key,
        key: body.key,
        value: body.value,
        source: body.source,
    };
    let row = filing::add_rule(&state.app, &ctx, &actor, &input).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// The rules table (admins).
#[utoipa::path(get, path = "/api/v1/admin/filing/rules", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = RuleListDto), (status = 403, body = ErrorBody)))]
pub async fn list_rules(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<RuleListDto>, ApiError> {
    let rows = filing::list_rules(&state.app, &actor).await?;
    Ok(Json(RuleListDto {
        rules: rows.into_iter().map(Into::into).collect(),
    }))
}

/// Blacklists a person or certificate proven to have given false data (admins).
#[utoipa::path(post, path = "/api/v1/admin/filing/blacklist", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    request_body = BlacklistRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn blacklist(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<BlacklistRequest>,
) -> Result<StatusCode, ApiError> {
    filing::blacklist(
        &state.app,
        &ctx,
        &actor,
        &body.id_type,
        &body.number,
        &body.reason,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The text messages the built-in sandbox authority sent to a mobile, oldest first (admins):
/// a sandbox deployment has no phones, so this is where its SMS verification codes are read.
#[utoipa::path(get, path = "/api/v1/admin/filing/sandbox/sms", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(SandboxSmsQuery),
    responses((status = 200, body = Vec<SandboxMessageDto>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn sandbox_sms(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(query): ApiQuery<SandboxSmsQuery>,
) -> Result<Json<Vec<SandboxMessageDto>>, ApiError> {
    let messages = filing::authority::sandbox_messages(&state.app, &actor, &query.mobile).await?;
    Ok(Json(
        messages
            .into_iter()
            .map(|m| SandboxMessageDto {
                body: m.body,
                sent_at: m.sent_at.to_rfc3339(),
            })
            .collect(),
    ))
}

/// Runs the authority sync now (admins; the scheduler runs it at least every 30 minutes).
#[utoipa::path(post, path = "/api/v1/admin/filing/sync", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = SyncReportDto), (status = 403, body = ErrorBody)))]
pub async fn sync(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<SyncReportDto>, ApiError> {
    actor
        .require(yuming_core::access::Right::PlatformAdmin)
        .map_err(AppError::from)?;
    let report = filing::sync(&state.app).await?;
    Ok(Json(SyncReportDto {
        checked: report.checked,
        changed: report.changed,
        failed: report.failed,
    }))
}
