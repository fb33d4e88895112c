//! Balance, ledger, orders and staff credits.

use axum::Json;
use axum::extract::{Path, State};
use yuming_app::AppError;
use yuming_app::billing;
use yuming_app::platform::paging::PageCursor;
use yuming_core::money::{Currency, Money};

use crate::dto::{
    BalanceDto, CreditDecisionRequest, CreditRequest, CreditRequestDto, CreditRequestList,
    ErrorBody, LedgerDto, LedgerLineDto, NewCreditRequest, OrderDto, OrderList, TimePageQuery,
};
use crate::extract::{ApiJson, ApiQuery, Auth, Ctx};
use crate::{ApiError, AppState};

/// The tenant's balance (CNY).
#[utoipa::path(get, path = "/api/v1/account/balance", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = BalanceDto)))]
pub async fn balance(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<BalanceDto>, ApiError> {
    Ok(Json(
        billing::balance(&state.app, &actor, Currency::Cny)
            .await?
            .into(),
    ))
}

/// Balance movements, newest first; each links to its order.
#[utoipa::path(get, path = "/api/v1/account/ledger", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    params(TimePageQuery), responses((status = 200, body = LedgerDto)))]
pub async fn ledger(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(query): ApiQuery<TimePageQuery>,
) -> Result<Json<LedgerDto>, ApiError> {
    let from = PageCursor::from_params(query.cursor.as_deref(), query.before)?;
    let page = billing::ledger(&state.app, &actor, &from, query.limit.unwrap_or(50)).await?;
    Ok(Json(LedgerDto {
        next_cursor: page.next.map(|c| c.encode()),
        entries: page
            .items
            .into_iter()
            .map(|l| LedgerLineDto {
                id: l.id,
                transaction_id: l.transaction_id,
                amount: l.amount.into(),
                order_id: l.order_id,
                memo: l.memo,
                at: l.at.to_rfc3339(),
            })
            .collect(),
    }))
}

/// Order history, newest first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    params(TimePageQuery), responses((status = 200, body = OrderList)))]
pub async fn orders(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(query): ApiQuery<TimePageQuery>,
) -> Result<Json<OrderList>, ApiError> {
    let from = PageCursor::from_params(query.cursor.as_deref(), query.before)?;
    let page = billing::orders(&state.app, &actor, &from, query.limit.unwrap_or(50)).await?;
    Ok(Json(OrderList {
        next_cursor: page.next.map(|c| c.encode()),
        orders: page
            .items
            .into_iter()
            .map(|o| OrderDto {
                id: o.id,
                kind: o.kind,
                domain: o.domain_name,
                years: o.years,
                amount: crate::dto::MoneyDto {
                    amount: o.amount,
                    currency: o.currency,
                },
                status: o.status,
                created_at: yuming_core::clock::Timestamp(o.created_at).to_rfc3339(),
            })
            .collect(),
    }))
}

/// Credits a customer's balance (finance staff). A person's credit above the approval amount
/// (`[payments] credit_second_approval_above`) is refused with `SECOND_APPROVAL_REQUIRED`
/// (409): ask for it with `POST /api/v1/admin/credit-requests` instead.
#[utoipa::path(post, path = "/api/v1/admin/accounts/{id}/credit", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "the customer (tenant) account id")), request_body = CreditRequest,
    responses((status = 200, body = BalanceDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn credit(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreditRequest>,
) -> Result<Json<BalanceDto>, ApiError> {
    let currency = Currency::parse(body.currency.as_deref().unwrap_or("CNY")).map_err(|_| {
        AppError::bad_request("UNKNOWN_CURRENCY", "unknown currency", "未知币种")
            .with_field("currency")
    })?;
    let amount = Money::new(body.amount, currency);
    Ok(Json(
        billing::credit(
            &state.app,
            &ctx,
            &actor,
            &id,
            amount,
            body.note.as_deref().unwrap_or(""),
        )
        .await?
        .into(),
    ))
}

/// Takes money back from a customer's balance (finance staff): the correction of a credit or
/// payment booked in error, never more than the balance holds (`DEBIT_EXCEEDS_BALANCE`, 409).
/// Above the approval amount a person's debit is refused with `SECOND_APPROVAL_REQUIRED`
/// (409): ask for it with `POST /api/v1/admin/credit-requests` and `"direction": "debit"`.
#[utoipa::path(post, path = "/api/v1/admin/accounts/{id}/debit", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "the customer (tenant) account id")), request_body = CreditRequest,
    responses((status = 200, body = BalanceDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn debit(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreditRequest>,
) -> Result<Json<BalanceDto>, ApiError> {
    let amount = Money::new(body.amount, currency_of(body.currency.as_deref())?);
    Ok(Json(
        billing::debit(
            &state.app,
            &ctx,
            &actor,
            &id,
            amount,
            body.note.as_deref().unwrap_or(""),
        )
        .await?
        .into(),
    ))
}

/// Sets how far below zero a customer's balance may go (finance staff).
#[utoipa::path(put, path = "/api/v1/admin/accounts/{id}/credit-limit", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "the customer (tenant) account id")), request_body = crate::dto::CreditLimitRequest,
    responses((status = 200, body = BalanceDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn credit_limit(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<crate::dto::CreditLimitRequest>,
) -> Result<Json<BalanceDto>, ApiError> {
    let currency = Currency::parse(body.currency.as_deref().unwrap_or("CNY")).map_err(|_| {
        AppError::bad_request("UNKNOWN_CURRENCY", "unknown currency", "未知币种")
            .with_field("currency")
    })?;
    Ok(Json(
        billing::set_credit_limit(
            &state.app,
            &ctx,
            &actor,
            &id,
            Money::new(body.amount, currency),
        )
        .await?
        .into(),
    ))
}

/// A low-balance threshold to set.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LowBalanceThresholdRequest {
    /// CNY minor units (fen); 0 turns the notice off.
    pub amount: i64,
}

/// The balance under which the tenant gets the low-balance notice (default 50 CNY).
#[utoipa::path(get, path = "/api/v1/account/low-balance-threshold", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = crate::dto::MoneyDto), (status = 403, body = ErrorBody)))]
pub async fn low_balance_threshold(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<crate::dto::MoneyDto>, ApiError> {
    Ok(Json(
        billing::low_balance_threshold(&state.app, &actor)
            .await?
            .into(),
    ))
}

/// Sets the tenant's low-balance threshold; every debit below it sends one notice per
/// episode (until the next top-up).
#[utoipa::path(put, path = "/api/v1/account/low-balance-threshold", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    request_body = LowBalanceThresholdRequest,
    responses((status = 200, body = crate::dto::MoneyDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn set_low_balance_threshold(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<LowBalanceThresholdRequest>,
) -> Result<Json<crate::dto::MoneyDto>, ApiError> {
    Ok(Json(
        billing::set_low_balance_threshold(&state.app, &ctx, &actor, body.amount)
            .await?
            .into(),
    ))
}

fn currency_of(code: Option<&str>) -> Result<Currency, AppError> {
    Currency::parse(code.unwrap_or("CNY")).map_err(|_| {
        AppError::bad_request("UNKNOWN_CURRENCY", "unknown currency", "未知币种")
            .with_field("currency")
    })
}

/// Asks for a manual credit that a second finance person approves (four eyes).
#[utoipa::path(post, path = "/api/v1/admin/credit-requests", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    request_body = NewCreditRequest,
    responses((status = 201, body = CreditRequestDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn request_credit(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<NewCreditRequest>,
) -> Result<(axum::http::StatusCode, Json<CreditRequestDto>), ApiError> {
    let amount = Money::new(body.amount, currency_of(body.currency.as_deref())?);
    let direction =
        billing::credit_requests::Direction::parse(body.direction.as_deref().unwrap_or("credit"))
            .ok_or_else(|| {
            AppError::bad_request(
                "UNKNOWN_DIRECTION",
                "direction must be credit or debit",
                "方向须为 credit 或 debit",
            )
            .with_field("direction")
        })?;
    let view = billing::credit_requests::request(
        &state.app,
        &ctx,
        &actor,
        &body.account_id,
        amount,
        body.note.as_deref().unwrap_or(""),
        direction,
    )
    .await?;
    Ok((axum::http::StatusCode::CREATED, Json(view.into())))
}

/// Credit requests waiting for a second approval, oldest first (finance staff).
#[utoipa::path(get, path = "/api/v1/admin/credit-requests", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = CreditRequestList), (status = 403, body = ErrorBody)))]
pub async fn credit_requests(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<CreditRequestList>, ApiError> {
    let pending = billing::credit_requests::pending(&state.app, &actor).await?;
    Ok(Json(CreditRequestList {
        requests: pending.into_iter().map(Into::into).collect(),
    }))
}

/// A second finance person approves (the credit is booked) or rejects with a reason; the
/// person who asked cannot decide (`OWN_CREDIT_REQUEST`, 403).
#[utoipa::path(post, path = "/api/v1/admin/credit-requests/{id}/decision", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "the credit request id")), request_body = CreditDecisionRequest,
    responses((status = 200, body = CreditRequestDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn decide_credit_request(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreditDecisionRequest>,
) -> Result<Json<CreditRequestDto>, ApiError> {
    let approve = match body.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return Err(AppError::bad_request(
                "UNKNOWN_DECISION",
                "decision must be approve or reject",
                "结论须为 approve 或 reject",
            )
            .with_field("decision")
            .into());
        }
    };
    let view = billing::credit_requests::decide(
        &state.app,
        &ctx,
        &actor,
        &id,
        approve,
        body.reason.as_deref(),
    )
    .await?;
    Ok(Json(view.into()))
}
