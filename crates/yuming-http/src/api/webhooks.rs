//! Webhook endpoints of the caller's tenant and their delivery log.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yuming_app::notify::webhooks::{self, DeliveryView, EndpointInput, EndpointView};
use yuming_app::platform::paging::PageCursor;

use crate::dto::{ErrorBody, TimePageQuery};
use crate::extract::{ApiJson, ApiQuery, Auth, Ctx};
use crate::{ApiError, AppState};

/// An endpoint to create or the settings that replace an endpoint's.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    /// Where deliveries are POSTed (`https://…`).
    pub url: String,
    /// Free text, up to 200 characters.
    #[serde(default)]
    pub description: String,
    /// Notice kinds to receive (as in `/api/v1/notification-preferences`); empty or absent:
    /// every kind.
    #[serde(default)]
    pub kinds: Vec<String>,
    /// Whether deliveries are made (default true).
    #[serde(default = "enabled_by_default")]
    pub enabled: bool,
}

fn enabled_by_default() -> bool {
    true
}

impl From<WebhookRequest> for EndpointInput {
    fn from(r: WebhookRequest) -> Self {
        EndpointInput {
            url: r.url,
            description: r.description,
            kinds: r.kinds,
            enabled: r.enabled,
        }
    }
}

/// An endpoint (never with its secret).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookDto {
    /// Id.
    pub id: String,
    /// Target.
    pub url: String,
    /// Free text.
    pub description: String,
    /// Subscribed notice kinds (empty: every kind).
    pub kinds: Vec<String>,
    /// Whether deliveries are made.
    pub enabled: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<EndpointView> for WebhookDto {
    fn from(v: EndpointView) -> Self {
        WebhookDto {
            id: v.id,
            url: v.url,
            description: v.description,
            kinds: v.kinds,
            enabled: v.enabled,
            created_at: v.created_at.to_rfc3339(),
            updated_at: v.updated_at.to_rfc3339(),
        }
    }
}

/// An endpoint with its signing secret: returned once, on creation and rotation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookWithSecretDto {
    /// The endpoint.
    pub webhook: WebhookDto,
    /// `whsec_…`: the key of `Yuming-Signature: v1=hex(HMAC-SHA256(secret, "{Yuming-Timestamp}.{body}"))`.
    pub secret: String,
}

/// The tenant's endpoints.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookListDto {
    /// Oldest first.
    pub webhooks: Vec<WebhookDto>,
}

/// One attempt of a delivery.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookAttemptDto {
    /// 1, 2, …
    pub attempt: i64,
    /// RFC 3339.
    pub at: String,
    /// The HTTP status that came back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<i64>,
    /// What went wrong, when no 2xx came back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One delivery with its attempts.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookDeliveryDto {
    /// Id (the `Yuming-Webhook-Id` header).
    pub id: String,
    /// Notice kind.
    pub kind: String,
    /// The notice's occasion.
    pub occasion: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    /// RFC 3339, while pending.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<String>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<String>,
    /// The JSON body sent.
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    /// Every attempt, oldest first.
    pub attempts: Vec<WebhookAttemptDto>,
}

impl From<DeliveryView> for WebhookDeliveryDto {
    fn from(d: DeliveryView) -> Self {
        WebhookDeliveryDto {
            id: d.id,
            kind: d.kind,
            occasion: d.occasion,
            status: d.status,
            next_attempt_at: d.next_attempt_at.map(|t| t.to_rfc3339()),
            created_at: d.created_at.to_rfc3339(),
            delivered_at: d.delivered_at.map(|t| t.to_rfc3339()),
            payload: d.payload,
            attempts: d
                .attempts
                .into_iter()
                .map(|a| WebhookAttemptDto {
                    attempt: a.attempt,
                    at: a.at.to_rfc3339(),
                    http_status: a.http_status,
                    error: a.error,
                })
                .collect(),
        }
    }
}

/// A page of the delivery log.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct WebhookDeliveryListDto {
    /// Newest first.
    pub deliveries: Vec<WebhookDeliveryDto>,
    /// Pass as `cursor` for the next page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Adds an endpoint; the signing secret is in this response only.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = []), ("api_key" = [])),
    request_body = WebhookRequest,
    responses((status = 201, body = WebhookWithSecretDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<WebhookRequest>,
) -> Result<(StatusCode, Json<WebhookWithSecretDto>), ApiError> {
    let created = webhooks::create(&state.app, &ctx, &actor, &body.into()).await?;
    Ok((
        StatusCode::CREATED,
        Json(WebhookWithSecretDto {
            webhook: created.endpoint.into(),
            secret: created.secret,
        }),
    ))
}

/// The tenant's endpoints.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = WebhookListDto), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<WebhookListDto>, ApiError> {
    let endpoints = webhooks::list(&state.app, &actor).await?;
    Ok(Json(WebhookListDto {
        webhooks: endpoints.into_iter().map(WebhookDto::from).collect(),
    }))
}

/// One endpoint.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "endpoint id")),
    responses((status = 200, body = WebhookDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<WebhookDto>, ApiError> {
    Ok(Json(webhooks::get(&state.app, &actor, &id).await?.into()))
}

/// Replaces an endpoint's settings (the secret stays).
#[utoipa::path(put, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "endpoint id")), request_body = WebhookRequest,
    responses((status = 200, body = WebhookDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WebhookRequest>,
) -> Result<Json<WebhookDto>, ApiError> {
    Ok(Json(
        webhooks::update(&state.app, &ctx, &actor, &id, &body.into())
            .await?
            .into(),
    ))
}

/// Removes an endpoint and its delivery log.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "endpoint id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    webhooks::delete(&state.app, &ctx, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces the signing secret; the new one is in this response only.
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/rotate-secret", tag = "webhooks", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "endpoint id")),
    responses((status = 200, body = WebhookWithSecretDto), (status = 404, body = ErrorBody)))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<WebhookWithSecretDto>, ApiError> {
    let rotated = webhooks::rotate_secret(&state.app, &ctx, &actor, &id).await?;
    Ok(Json(WebhookWithSecretDto {
        webhook: rotated.endpoint.into(),
        secret: rotated.secret,
    }))
}

/// The endpoint's deliveries with every attempt, newest first.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "endpoint id"), TimePageQuery),
    responses((status = 200, body = WebhookDeliveryListDto), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn deliveries(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<TimePageQuery>,
) -> Result<Json<WebhookDeliveryListDto>, ApiError> {
    let from = PageCursor::from_params(query.cursor.as_deref(), query.before)?;
    let page =
        webhooks::deliveries(&state.app, &actor, &id, &from, query.limit.unwrap_or(50)).await?;
    Ok(Json(WebhookDeliveryListDto {
        next_cursor: page.next.map(|c| c.encode()),
        deliveries: page
            .items
            .into_iter()
            .map(WebhookDeliveryDto::from)
            .collect(),
    }))
}

/// Sends a delivery again at the next job run (same id and body, current secret).
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/deliveries/{delivery_id}/retry", tag = "webhooks", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "endpoint id"), ("delivery_id" = String, Path, description = "delivery id")),
    responses((status = 202, body = WebhookDeliveryDto), (status = 404, body = ErrorBody)))]
pub async fn retry(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path((id, delivery_id)): Path<(String, String)>,
) -> Result<(StatusCode, Json<WebhookDeliveryDto>), ApiError> {
    let delivery = webhooks::redeliver(&state.app, &ctx, &actor, &id, &delivery_id).await?;
    Ok((StatusCode::ACCEPTED, Json(delivery.into())))
}

/// Queues a `ping` delivery to the endpoint (sent by the next job run).
#[utoipa::path(post, path = "/api/v1/webhooks/{id}/ping", tag = "webhooks", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "endpoint id")),
    responses((status = 202, body = WebhookDeliveryDto), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn ping(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<WebhookDeliveryDto>), ApiError> {
    let delivery = webhooks::ping(&state.app, &ctx, &actor, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(delivery.into())))
}
