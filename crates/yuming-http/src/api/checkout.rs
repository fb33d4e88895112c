//! Checkout orders paid through a gateway: place one for names to register, pay it with
//! `POST /api/v1/payments` (`order_id`), and it is fulfilled once the gateway confirms; an
//! unpaid order lapses and releases its names.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yuming_app::registrar::checkout::{self, CheckoutItemInput, CheckoutOrder};
use yuming_core::clock::Timestamp;

use crate::dto::{ErrorBody, MoneyDto};
use crate::extract::{ApiJson, Auth, Ctx};
use crate::{ApiError, AppState};

/// One name to order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutItemRequest {
    /// The name, Unicode or A-label.
    pub name: String,
    /// Term, 1–10 years.
    pub years: u32,
    /// A registrant contact of the caller's tenant.
    pub registrant_contact_id: String,
    /// Nameservers (absent: the platform's).
    #[serde(default)]
    pub nameservers: Option<Vec<String>>,
    /// Automatic renewal (default off).
    #[serde(default)]
    pub auto_renew: Option<bool>,
}

/// An order to place.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckoutOrderRequest {
    /// 1–50 names.
    pub items: Vec<CheckoutItemRequest>,
    /// A coupon code applied to each name.
    #[serde(default)]
    pub coupon: Option<String>,
}

/// One name of an order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckoutItemDto {
    /// Unicode form.
    pub name: String,
    /// A-label.
    pub ascii: String,
    /// Term in years.
    pub years: u32,
    /// The catalogue's price.
    pub list_price: MoneyDto,
    /// What is charged for it.
    pub price: MoneyDto,
    /// `registered` or `failed`, once fulfilled.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Why it failed (an error code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A checkout order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckoutOrderDto {
    /// Order id: pass it as `order_id` to `POST /api/v1/payments`.
    pub id: String,
    /// `awaiting_payment`, `paid`, `fulfilling`, `fulfilled`, `partly_fulfilled` (the price
    /// of a name that failed stays on the balance), `expired`.
    pub status: String,
    /// What is due.
    pub amount: MoneyDto,
    /// The names.
    pub items: Vec<CheckoutItemDto>,
    /// Placed.
    pub created_at: String,
    /// Lapses unless paid by then.
    pub expires_at: String,
    /// The payment that paid it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
}

impl From<CheckoutOrder> for CheckoutOrderDto {
    fn from(order: CheckoutOrder) -> Self {
        let currency = order.row.currency.clone();
        let money = |amount: i64| MoneyDto {
            amount,
            currency: currency.clone(),
        };
        CheckoutOrderDto {
            amount: money(order.row.amount),
            items: order
                .items
                .iter()
                .map(|i| CheckoutItemDto {
                    name: i.unicode.clone(),
                    ascii: i.name.clone(),
                    years: i.years,
                    list_price: money(i.list),
                    price: money(i.price),
                    outcome: i.outcome.clone(),
                    error: i.error.clone(),
                })
                .collect(),
            id: order.row.id,
            status: order.row.status,
            created_at: Timestamp(order.row.created_at).to_rfc3339(),
            expires_at: Timestamp(order.row.expires_at).to_rfc3339(),
            payment_id: order.row.payment_id,
        }
    }
}

/// Places an order for names to register, to pay through a gateway: the names, prices and
/// coupon uses are held until it is paid or lapses.
#[utoipa::path(post, path = "/api/v1/checkout/orders", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    request_body = CheckoutOrderRequest,
    responses((status = 201, body = CheckoutOrderDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn place(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<CheckoutOrderRequest>,
) -> Result<(StatusCode, Json<CheckoutOrderDto>), ApiError> {
    let items = body
        .items
        .into_iter()
        .map(|i| CheckoutItemInput {
            name: i.name,
            years: i.years,
            registrant_contact_id: i.registrant_contact_id,
            nameservers: i.nameservers,
            auto_renew: i.auto_renew.unwrap_or(false),
        })
        .collect();
    let order = checkout::place(&state.app, &ctx, &actor, items, body.coupon.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(order.into())))
}

/// The tenant's checkout orders, newest first.
#[utoipa::path(get, path = "/api/v1/checkout/orders", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<CheckoutOrderDto>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<Vec<CheckoutOrderDto>>, ApiError> {
    let orders = checkout::list(&state.app, &actor).await?;
    Ok(Json(orders.into_iter().map(Into::into).collect()))
}

/// One checkout order.
#[utoipa::path(get, path = "/api/v1/checkout/orders/{id}", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "order id")),
    responses((status = 200, body = CheckoutOrderDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<CheckoutOrderDto>, ApiError> {
    Ok(Json(checkout::get(&state.app, &actor, &id).await?.into()))
}

/// Cancels an unpaid order, releasing its names and coupon uses.
#[utoipa::path(post, path = "/api/v1/checkout/orders/{id}/cancel", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "order id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    checkout::cancel(&state.app, &ctx, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
