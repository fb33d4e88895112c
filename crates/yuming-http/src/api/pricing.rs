//! The price book (finance staff): promotional prices per TLD with a time window, member
//! price levels and which customer has one, volume tiers by names held. Check, search and
//! every charge price through it.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yuming_app::registrar::pricing::{self, PriceLevelRow, PromotionInput, PromotionRow};
use yuming_core::clock::Timestamp;

use super::coupons::instant;
use crate::dto::ErrorBody;
use crate::extract::{ApiJson, Auth, Ctx};
use crate::{ApiError, AppState};

/// A promotional price to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromotionRequest {
    /// The TLD (`top`, `.中国`).
    pub tld: String,
    /// `register`, `renew` or `transfer`.
    pub operation: String,
    /// Price per year, minor units (e.g. 900 for ¥9).
    pub price: i64,
    /// ISO 4217 code, the TLD's (default CNY).
    #[serde(default)]
    pub currency: Option<String>,
    /// Only the first year is at this price; later years at list.
    #[serde(default)]
    pub first_year_only: bool,
    /// What customers read (default 特惠), up to 40 characters.
    #[serde(default)]
    pub label: Option<String>,
    /// Valid from (RFC 3339).
    #[serde(default)]
    pub starts_at: Option<String>,
    /// Valid until (RFC 3339, exclusive).
    #[serde(default)]
    pub ends_at: Option<String>,
}

/// A promotional price.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PromotionDto {
    /// Id.
    pub id: String,
    /// TLD (A-label).
    pub tld: String,
    /// Operation.
    pub operation: String,
    /// Price per year, minor units.
    pub price: i64,
    /// Currency.
    pub currency: String,
    /// Only the first year.
    pub first_year_only: bool,
    /// Label.
    pub label: String,
    /// Valid from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub starts_at: Option<String>,
    /// Valid until.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<String>,
    /// Ended by staff.
    pub disabled: bool,
}

impl From<PromotionRow> for PromotionDto {
    fn from(r: PromotionRow) -> Self {
        PromotionDto {
            id: r.id,
            tld: r.tld,
            operation: r.operation,
            price: r.price,
            currency: r.currency,
            first_year_only: r.first_year_only != 0,
            label: r.label,
            starts_at: r.starts_at.map(|t| Timestamp(t).to_rfc3339()),
            ends_at: r.ends_at.map(|t| Timestamp(t).to_rfc3339()),
            disabled: r.disabled_at.is_some(),
        }
    }
}

/// Creates a promotional price (finance staff).
#[utoipa::path(post, path = "/api/v1/admin/pricing/promotions", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    request_body = PromotionRequest,
    responses((status = 201, body = PromotionDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_promotion(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<PromotionRequest>,
) -> Result<(StatusCode, Json<PromotionDto>), ApiError> {
    let input = PromotionInput {
        starts_at: instant("starts_at", body.starts_at.as_deref())?,
        ends_at: instant("ends_at", body.ends_at.as_deref())?,
        tld: body.tld,
        operation: body.operation,
        price: body.price,
        currency: body.currency,
        first_year_only: body.first_year_only,
        label: body.label,
    };
    let row = pricing::create_promotion(&state.app, &ctx, &actor, input).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// Promotional prices, newest first (finance staff).
#[utoipa::path(get, path = "/api/v1/admin/pricing/promotions", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<PromotionDto>), (status = 403, body = ErrorBody)))]
pub async fn promotions(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<Vec<PromotionDto>>, ApiError> {
    let rows = pricing::promotions(&state.app, &actor).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// Ends a promotional price now (finance staff).
#[utoipa::path(delete, path = "/api/v1/admin/pricing/promotions/{id}", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "promotion id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn disable_promotion(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    pricing::disable_promotion(&state.app, &ctx, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A member price level to create or change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PriceLevelRequest {
    /// Discount off list prices in basis points (1500 = 15 %).
    pub discount_bps: i64,
    /// What staff read.
    #[serde(default)]
    pub description: String,
}

/// A member price level.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PriceLevelDto {
    /// Name (lower case).
    pub name: String,
    /// Discount in basis points.
    pub discount_bps: i64,
    /// Description.
    pub description: String,
}

impl From<PriceLevelRow> for PriceLevelDto {
    fn from(r: PriceLevelRow) -> Self {
        PriceLevelDto {
            name: r.name,
            discount_bps: r.discount_bps,
            description: r.description,
        }
    }
}

/// Creates or changes a member price level (finance staff).
#[utoipa::path(put, path = "/api/v1/admin/pricing/levels/{name}", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(("name" = String, Path, description = "level name: 1–32 of a–z, 0–9, - or _")),
    request_body = PriceLevelRequest,
    responses((status = 200, body = PriceLevelDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn set_level(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(name): Path<String>,
    ApiJson(body): ApiJson<PriceLevelRequest>,
) -> Result<Json<PriceLevelDto>, ApiError> {
    let row = pricing::set_level(
        &state.app,
        &ctx,
        &actor,
        &name,
        body.discount_bps,
        &body.description,
    )
    .await?;
    Ok(Json(row.into()))
}

/// Member price levels (finance staff).
#[utoipa::path(get, path = "/api/v1/admin/pricing/levels", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<PriceLevelDto>), (status = 403, body = ErrorBody)))]
pub async fn levels(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<Vec<PriceLevelDto>>, ApiError> {
    let rows = pricing::levels(&state.app, &actor).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// Which level a customer account is on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountLevelRequest {
    /// A level's name; absent or empty: standard prices.
    #[serde(default)]
    pub level: Option<String>,
}

/// Puts a customer account on a member price level (finance staff).
#[utoipa::path(put, path = "/api/v1/admin/accounts/{id}/price-level", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "customer account id")),
    request_body = AccountLevelRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn assign_level(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AccountLevelRequest>,
) -> Result<StatusCode, ApiError> {
    pricing::assign_level(&state.app, &ctx, &actor, &id, body.level.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One volume tier.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VolumeTierDto {
    /// Live names the account must hold.
    pub min_names: i64,
    /// Discount off list prices in basis points.
    pub discount_bps: i64,
}

/// Replaces the volume tiers (finance staff); an empty list removes them.
#[utoipa::path(put, path = "/api/v1/admin/pricing/volume-tiers", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    request_body = Vec<VolumeTierDto>,
    responses((status = 200, body = Vec<VolumeTierDto>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn set_volume_tiers(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<Vec<VolumeTierDto>>,
) -> Result<Json<Vec<VolumeTierDto>>, ApiError> {
    let tiers: Vec<(i64, i64)> = body.iter().map(|t| (t.min_names, t.discount_bps)).collect();
    let saved = pricing::set_volume_tiers(&state.app, &ctx, &actor, &tiers).await?;
    Ok(Json(tier_dtos(saved)))
}

fn tier_dtos(tiers: Vec<(i64, i64)>) -> Vec<VolumeTierDto> {
    tiers
        .into_iter()
        .map(|(min_names, discount_bps)| VolumeTierDto {
            min_names,
            discount_bps,
        })
        .collect()
}

/// The volume tiers (finance staff).
#[utoipa::path(get, path = "/api/v1/admin/pricing/volume-tiers", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<VolumeTierDto>), (status = 403, body = ErrorBody)))]
pub async fn volume_tiers(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<Vec<VolumeTierDto>>, ApiError> {
    Ok(Json(tier_dtos(
        pricing::volume_tiers(&state.app, &actor).await?,
    )))
}
