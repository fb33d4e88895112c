//! Availability, registration, renewal and management of domains.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use yuming_app::registrar::domains::{self, DomainUpdate, RegisterInput};
use yuming_app::registrar::pricing;

use crate::dto::{
    AuthCodeDto, BulkCheckRequest, BulkCheckResponse, CheckQuery, CheckResultDto, DomainDto,
    DomainList, DomainListQuery, DomainReceiptDto, DomainUpdateRequest, ErrorBody, RegisterRequest,
    RegistrantChangeRequest, RenewRequest, SuggestionDto,
};
use crate::extract::{ApiJson, ApiQuery, Auth, Ctx, MaybeAuth};
use crate::{ApiError, AppState};

/// The signed-in caller as a buyer (their member level and volume tier), if any.
async fn buyer_of(
    state: &AppState,
    actor: Option<&yuming_core::access::Actor>,
) -> Result<Option<yuming_core::pricing::Buyer>, ApiError> {
    Ok(match actor {
        Some(actor) => Some(pricing::buyer(&state.app, &actor.tenant_id).await?),
        None => None,
    })
}

/// Availability and price of one name (for the signed-in caller: at their own price level), with suggestions when it is taken.
#[utoipa::path(get, path = "/api/v1/domains/check", tag = "domains", params(CheckQuery),
    responses((status = 200, body = CheckResultDto), (status = 400, body = ErrorBody)))]
pub async fn check_one(
    State(state): State<AppState>,
    MaybeAuth(actor): MaybeAuth,
    ApiQuery(query): ApiQuery<CheckQuery>,
) -> Result<Json<CheckResultDto>, ApiError> {
    let buyer = buyer_of(&state, actor.as_ref()).await?;
    let mut results = domains::check_as(
        &state.app,
        buyer.as_ref(),
        std::slice::from_ref(&query.name),
    )
    .await?;
    let Some(result) = results.pop() else {
        return Err(yuming_app::AppError::internal("check returned no result").into());
    };
    let suggestions = if matches!(
        result.reason,
        Some("REGISTERED" | "VARIANT_REGISTERED" | "RESERVED")
    ) {
        domains::suggestions(&state.app, buyer.as_ref(), &result, 5).await?
    } else {
        Vec::new()
    };
    let mut dto = CheckResultDto::from(result);
    dto.suggestions = suggestions
        .into_iter()
        .map(|s| SuggestionDto::from(CheckResultDto::from(s)))
        .collect();
    Ok(Json(dto))
}

/// Availability of up to 1000 names, in input order; one bad name does not fail the batch.
#[utoipa::path(post, path = "/api/v1/domains/check", tag = "domains", request_body = BulkCheckRequest,
    responses((status = 200, body = BulkCheckResponse), (status = 400, body = ErrorBody)))]
pub async fn check_bulk(
    State(state): State<AppState>,
    MaybeAuth(actor): MaybeAuth,
    ApiJson(body): ApiJson<BulkCheckRequest>,
) -> Result<Json<BulkCheckResponse>, ApiError> {
    let buyer = buyer_of(&state, actor.as_ref()).await?;
    let results = domains::check_as(&state.app, buyer.as_ref(), &body.names).await?;
    Ok(Json(BulkCheckResponse {
        results: results.into_iter().map(CheckResultDto::from).collect(),
    }))
}

/// Registers a name, charging the balance in the same transaction.
#[utoipa::path(post, path = "/api/v1/domains", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    request_body = RegisterRequest,
    responses((status = 201, body = DomainReceiptDto), (status = 400, body = ErrorBody), (status = 402, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<(StatusCode, Json<DomainReceiptDto>), ApiError> {
    let input = RegisterInput {
        name: body.name,
        years: body.years,
        registrant_contact_id: body.registrant_contact_id,
        nameservers: body.nameservers,
        auto_renew: body.auto_renew.unwrap_or(false),
        coupon: body.coupon,
    };
    let receipt = domains::register(&state.app, &ctx, &actor, input).await?;
    Ok((StatusCode::CREATED, Json(receipt.into())))
}

/// The caller's domains.
#[utoipa::path(get, path = "/api/v1/domains", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    params(DomainListQuery), responses((status = 200, body = DomainList)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(query): ApiQuery<DomainListQuery>,
) -> Result<Json<DomainList>, ApiError> {
    let views = domains::list(
        &state.app,
        &actor,
        query.after.as_deref(),
        query.limit.unwrap_or(100),
    )
    .await?;
    Ok(Json(DomainList {
        domains: views.into_iter().map(DomainDto::from).collect(),
    }))
}

/// One of the caller's domains (Unicode or A-label); another tenant's is 404.
#[utoipa::path(get, path = "/api/v1/domains/{name}", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    params(("name" = String, Path, description = "domain name")),
    responses((status = 200, body = DomainDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(name): Path<String>,
) -> Result<Json<DomainDto>, ApiError> {
    Ok(Json(domains::get(&state.app, &actor, &name).await?.into()))
}

/// Changes nameservers, the registrar lock or automatic renewal.
#[utoipa::path(patch, path = "/api/v1/domains/{name}", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    params(("name" = String, Path, description = "domain name")), request_body = DomainUpdateRequest,
    responses((status = 200, body = DomainDto), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<DomainUpdateRequest>,
) -> Result<Json<DomainDto>, ApiError> {
    let change = DomainUpdate {
        nameservers: body.nameservers,
        locked: body.locked,
        auto_renew: body.auto_renew,
    };
    Ok(Json(
        domains::update(&state.app, &ctx, &actor, &name, change)
            .await?
            .into(),
    ))
}

/// Renews a domain, charging the balance.
#[utoipa::path(post, path = "/api/v1/domains/{name}/renew", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    params(("name" = String, Path, description = "domain name")), request_body = RenewRequest,
    responses((status = 200, body = DomainReceiptDto), (status = 402, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn renew(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<RenewRequest>,
) -> Result<Json<DomainReceiptDto>, ApiError> {
    Ok(Json(
        domains::renew_with_coupon(
            &state.app,
            &ctx,
            &actor,
            &name,
            body.years,
            body.coupon.as_deref(),
        )
        .await?
        .into(),
    ))
}

/// The domain's auth code (transfer secret).
#[utoipa::path(get, path = "/api/v1/domains/{name}/auth-code", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    params(("name" = String, Path, description = "domain name")),
    responses((status = 200, body = AuthCodeDto), (status = 404, body = ErrorBody)))]
pub async fn auth_code(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(name): Path<String>,
) -> Result<Json<AuthCodeDto>, ApiError> {
    Ok(Json(AuthCodeDto {
        auth_code: domains::auth_code(&state.app, &ctx, &actor, &name, false).await?,
    }))
}

/// Replaces the auth code with a new random one.
#[utoipa::path(post, path = "/api/v1/domains/{name}/auth-code/reset", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    params(("name" = String, Path, description = "domain name")),
    responses((status = 200, body = AuthCodeDto), (status = 404, body = ErrorBody)))]
pub async fn reset_auth_code(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(name): Path<String>,
) -> Result<Json<AuthCodeDto>, ApiError> {
    Ok(Json(AuthCodeDto {
        auth_code: domains::auth_code(&state.app, &ctx, &actor, &name, true).await?,
    }))
}

/// Changes the registrant to another contact whose real name is verified.
#[utoipa::path(put, path = "/api/v1/domains/{name}/registrant", tag = "domains", security(("bearer" = []), ("api_key" = [])),
    params(("name" = String, Path, description = "domain name")), request_body = RegistrantChangeRequest,
    responses((status = 200, body = DomainDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn change_registrant(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<RegistrantChangeRequest>,
) -> Result<Json<DomainDto>, ApiError> {
    Ok(Json(
        domains::change_registrant(&state.app, &ctx, &actor, &name, &body.contact_id)
            .await?
            .into(),
    ))
}
