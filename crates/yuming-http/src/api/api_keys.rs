//! API keys of the caller's tenant.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use yuming_app::api_keys;

use crate::dto::{ApiKeyCreateRequest, ApiKeyCreated, ApiKeyDto, ApiKeyList, ErrorBody};
use crate::extract::{ApiJson, Auth, Ctx};
use crate::{ApiError, AppState};

/// Creates an API key; the secret is in this response only.
#[utoipa::path(post, path = "/api/v1/api-keys", tag = "api-keys", security(("bearer" = []), ("api_key" = [])),
    request_body = ApiKeyCreateRequest,
    responses((status = 201, body = ApiKeyCreated), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<ApiKeyCreateRequest>,
) -> Result<(StatusCode, Json<ApiKeyCreated>), ApiError> {
    let created = api_keys::create(&state.app, &ctx, &actor, &body.name).await?;
    Ok((
        StatusCode::CREATED,
        Json(ApiKeyCreated {
            key: created.key.into(),
            secret: created.secret,
        }),
    ))
}

/// Lists the tenant's API keys.
#[utoipa::path(get, path = "/api/v1/api-keys", tag = "api-keys", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = ApiKeyList), (status = 401, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<ApiKeyList>, ApiError> {
    let keys = api_keys::list(&state.app, &actor).await?;
    Ok(Json(ApiKeyList {
        api_keys: keys.into_iter().map(ApiKeyDto::from).collect(),
    }))
}

/// Revokes an API key.
#[utoipa::path(delete, path = "/api/v1/api-keys/{id}", tag = "api-keys", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "key id")),
    responses((status = 200, body = ApiKeyDto), (status = 404, body = ErrorBody)))]
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
