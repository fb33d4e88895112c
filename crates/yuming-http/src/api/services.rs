//! Value-added services: the products on sale, buying one from the balance, and finance's
//! catalogue and list of purchases to deliver.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yuming_app::billing::services::{self, OrderRow, ProductInput, ServiceProductRow};
use yuming_core::clock::Timestamp;

use crate::dto::{ErrorBody, MoneyDto};
use crate::extract::{ApiJson, Auth, Ctx};
use crate::{ApiError, AppState};

/// A service product.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServiceProductDto {
    /// Stable code.
    pub code: String,
    /// Name in Chinese.
    pub name_zh: String,
    /// Name in English.
    pub name_en: String,
    /// What the customer gets.
    pub description: String,
    /// Price per unit.
    pub price: MoneyDto,
    /// On sale.
    pub active: bool,
}

impl From<ServiceProductRow> for ServiceProductDto {
    fn from(r: ServiceProductRow) -> Self {
        ServiceProductDto {
            price: MoneyDto {
                amount: r.price,
                currency: r.currency,
            },
            code: r.code,
            name_zh: r.name_zh,
            name_en: r.name_en,
            description: r.description,
            active: r.active == 1,
        }
    }
}

/// The services on sale.
#[utoipa::path(get, path = "/api/v1/services", tag = "billing",
    responses((status = 200, body = Vec<ServiceProductDto>)))]
pub async fn products(
    State(state): State<AppState>,
) -> Result<Json<Vec<ServiceProductDto>>, ApiError> {
    let rows = services::products(&state.app).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// A purchase to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServicePurchaseRequest {
    /// Units, 1–100 (default 1).
    #[serde(default)]
    pub quantity: Option<u32>,
    /// What staff should know (the site, the filing order…), up to 500 characters.
    #[serde(default)]
    pub note: Option<String>,
}

/// A purchase made.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServicePurchaseDto {
    /// The order.
    pub order_id: String,
    /// The product.
    pub code: String,
    /// Units.
    pub quantity: u32,
    /// What was charged.
    pub charged: MoneyDto,
    /// The balance afterwards.
    pub balance: MoneyDto,
}

/// Buys a service from the balance, in one transaction.
#[utoipa::path(post, path = "/api/v1/services/{code}/purchases", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    params(("code" = String, Path, description = "service code")),
    request_body = ServicePurchaseRequest,
    responses((status = 201, body = ServicePurchaseDto), (status = 400, body = ErrorBody), (status = 402, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn buy(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<ServicePurchaseRequest>,
) -> Result<(StatusCode, Json<ServicePurchaseDto>), ApiError> {
    let purchase = services::buy(
        &state.app,
        &ctx,
        &actor,
        &code,
        body.quantity.unwrap_or(1),
        body.note.as_deref(),
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(ServicePurchaseDto {
            order_id: purchase.order_id,
            code: purchase.code,
            quantity: purchase.quantity,
            charged: purchase.charged.into(),
            balance: purchase.balance.into(),
        }),
    ))
}

/// A product to create or change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceProductRequest {
    /// Name in Chinese.
    pub name_zh: String,
    /// Name in English (default: the Chinese name).
    #[serde(default)]
    pub name_en: String,
    /// What the customer gets, up to 500 characters.
    #[serde(default)]
    pub description: String,
    /// Price per unit, minor units.
    pub price: i64,
    /// ISO 4217 code (default CNY).
    #[serde(default)]
    pub currency: Option<String>,
    /// On sale (default true).
    #[serde(default)]
    pub active: Option<bool>,
}

/// Creates or changes a service product (finance staff).
#[utoipa::path(put, path = "/api/v1/admin/services/{code}", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(("code" = String, Path, description = "service code: 2–32 of a–z, 0–9, -")),
    request_body = ServiceProductRequest,
    responses((status = 200, body = ServiceProductDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn set_product(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<ServiceProductRequest>,
) -> Result<Json<ServiceProductDto>, ApiError> {
    let input = ProductInput {
        code,
        name_zh: body.name_zh,
        name_en: body.name_en,
        description: body.description,
        price: body.price,
        currency: body.currency,
        active: body.active.unwrap_or(true),
    };
    let row = services::set_product(&state.app, &ctx, &actor, input).await?;
    Ok(Json(row.into()))
}

/// Every service product, on sale or not (finance staff).
#[utoipa::path(get, path = "/api/v1/admin/services", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<ServiceProductDto>), (status = 403, body = ErrorBody)))]
pub async fn all_products(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<Vec<ServiceProductDto>>, ApiError> {
    let rows = services::all_products(&state.app, &actor).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// A service purchase to deliver.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServicePurchaseLineDto {
    /// The order.
    pub order_id: String,
    /// The customer.
    pub account_id: String,
    /// What was bought: `{code, name, quantity, unit_price, note}`.
    pub detail: serde_json::Value,
    /// What was charged.
    pub charged: MoneyDto,
    /// When.
    pub created_at: String,
}

impl From<OrderRow> for ServicePurchaseLineDto {
    fn from(o: OrderRow) -> Self {
        ServicePurchaseLineDto {
            detail: serde_json::from_str(&o.detail).unwrap_or_default(),
            charged: MoneyDto {
                amount: o.amount,
                currency: o.currency,
            },
            order_id: o.id,
            account_id: o.owner_id,
            created_at: Timestamp(o.created_at).to_rfc3339(),
        }
    }
}

/// Service purchases to deliver, newest first (finance staff).
#[utoipa::path(get, path = "/api/v1/admin/services/purchases", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<ServicePurchaseLineDto>), (status = 403, body = ErrorBody)))]
pub async fn purchases(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<Vec<ServicePurchaseLineDto>>, ApiError> {
    let rows = services::purchases(&state.app, &actor).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}
