//! API keys of the caller's tenant.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use yuming_app::accounts::api_keys;

use crate::dto::{ApiKeyCreateRequest, ApiKeyCreated, ApiKeyDto, ApiKeyList, ErrorBody};
use crate::extract::{ApiJson, Auth, Ctx};
use crate::{ApiError, AppState};

/// Creates an API key with its scopes, source networks and quotas; the secret is in this
/// response only.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", security(("bearer" = [])),
    description = "Only at a login session: a signed request is 403 `INTERACTIVE_SESSION_REQUIRED`.",
    request_body = ApiKeyCreateRequest,
    responses((status = 201, body = ApiKeyCreated), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<ApiKeyCreateRequest>,
) -> Result<(StatusCode, Json<ApiKeyCreated>), ApiError> {
    let input = api_keys::NewApiKeyInput {
        name: body.name,
        scopes: body.scopes.unwrap_or_else(|| vec!["read".to_owned()]),
        allowed_cidrs: body.allowed_cidrs,
        per_minute: body.per_minute,
        per_day: body.per_day,
    };
    let created = api_keys::create(&state.app, &ctx, &actor, input).await?;
    Ok((
        StatusCode::CREATED,
        Json(ApiKeyCreated {
            key: created.key.into(),
            secret: created.secret,
        }),
    ))
}

/// Lists the tenant's API keys with their quotas' current use.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", security(("bearer" = [])),
    description = "Only at a login session: a signed request is 403 `INTERACTIVE_SESSION_REQUIRED`.",
    responses((status = 200, body = ApiKeyList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<ApiKeyList>, ApiError> {
    let keys = api_keys::list(&state.app, &actor).await?;
    Ok(Json(ApiKeyList {
        api_keys: keys.into_iter().map(ApiKeyDto::from).collect(),
    }))
}

/// One API key with its quotas' current use.
#[utoipa::path(get, path = "/api/v1/api-keys/{id}", tag = "api-keys", security(("bearer" = [])),
    description = "Only at a login session: a signed request is 403 `INTERACTIVE_SESSION_REQUIRED`.",
    params(("id" = String, Path, description = "key id")),
    responses((status = 200, body = ApiKeyDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<ApiKeyDto>, ApiError> {
    Ok(Json(api_keys::get(&state.app, &actor, &id).await?.into()))
}

/// Revokes an API key.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys", security(("bearer" = [])),
    description = "Only at a login session: a signed request is 403 `INTERACTIVE_SESSION_REQUIRED`.",
    params(("id" = String, Path, description = "key id")),
    responses((status = 200, body = ApiKeyDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<ApiKeyDto>, ApiError> {
    Ok(Json(
        api_keys::revoke(&state.app, &ctx, &actor, &id)
            .await?
            .into(),
    ))
}
