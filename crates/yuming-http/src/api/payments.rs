//! Payments into the balance through a gateway, their refunds, the gateways' notify
//! endpoint and finance's view of alerts and reconciliation.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yuming_app::AppError;
use yuming_app::billing::payments::{self, PaymentAlertRow, PaymentRefundRow, PaymentRow};
use yuming_app::platform::paging::PageCursor;
use yuming_core::clock::Timestamp;
use yuming_core::money::{Currency, Money};

use crate::dto::{ErrorBody, MoneyDto, TimePageQuery};
use crate::extract::{ApiJson, ApiQuery, Auth, Ctx};
use crate::{ApiError, AppState};

/// A payment to start.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    /// What to pay into the balance (minor units; CNY).
    pub amount: MoneyDto,
    /// The gateway: one of `GET /api/v1/payments/methods`.
    pub method: String,
    /// A checkout order awaiting payment (`POST /api/v1/orders`): the amount must be what it
    /// is due; once paid, the order is fulfilled from the credited balance.
    #[serde(default)]
    pub order_id: Option<String>,
}

/// A payment.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentDto {
    /// Payment id (also the merchant trade number at the gateway).
    pub id: String,
    /// `pending`, `paid`, `refunded`, `closed`, `failed`.
    pub status: String,
    /// The gateway.
    pub method: String,
    /// What is paid.
    pub amount: MoneyDto,
    /// What was refunded of it.
    pub refunded: MoneyDto,
    /// Where the payer pays (page payment, sandbox).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_url: Option<String>,
    /// What the payer scans (QR payment); render it as a QR code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_code: Option<String>,
    /// The gateway's trade number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trade_no: Option<String>,
    /// Why it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Creation time.
    pub created_at: String,
    /// When it was credited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub paid_at: Option<String>,
    /// An unpaid payment is closed after this.
    pub expires_at: String,
}

impl PaymentDto {
    fn of(row: PaymentRow) -> PaymentDto {
        PaymentDto {
            amount: MoneyDto {
                amount: row.amount,
                currency: row.currency.clone(),
            },
            refunded: MoneyDto {
                amount: row.refunded,
                currency: row.currency,
            },
            id: row.id,
            status: row.status,
            method: row.method,
            pay_url: row.pay_url,
            qr_code: row.qr_code,
            trade_no: row.gateway_trade_no,
            failure: row.failure,
            created_at: Timestamp(row.created_at).to_rfc3339(),
            paid_at: row.paid_at.map(|t| Timestamp(t).to_rfc3339()),
            expires_at: Timestamp(row.expires_at).to_rfc3339(),
        }
    }
}

/// Payments, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentList {
    /// Payments.
    pub payments: Vec<PaymentDto>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// The methods on offer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentMethods {
    /// Gateway names, in the order offered.
    pub methods: Vec<String>,
}

/// A refund to make.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequestDto {
    /// How much (default: all that is left of the payment).
    #[serde(default)]
    pub amount: Option<MoneyDto>,
    /// Why (shown to the payer by the gateway), up to 80 characters.
    #[serde(default)]
    pub reason: String,
}

/// A refund.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RefundDto {
    /// Refund id (the merchant refund number at the gateway).
    pub id: String,
    /// The payment refunded.
    pub payment_id: String,
    /// `pending`, `succeeded`, `failed`.
    pub status: String,
    /// How much.
    pub amount: MoneyDto,
    /// Why.
    pub reason: String,
    /// Why the gateway refused it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    /// Creation time.
    pub created_at: String,
}

impl From<PaymentRefundRow> for RefundDto {
    fn from(r: PaymentRefundRow) -> Self {
        RefundDto {
            id: r.id,
            payment_id: r.payment_id,
            status: r.status,
            amount: MoneyDto {
                amount: r.amount,
                currency: r.currency,
            },
            reason: r.reason,
            failure: r.failure,
            created_at: Timestamp(r.created_at).to_rfc3339(),
        }
    }
}

/// Something finance must look at.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PaymentAlertDto {
    /// Alert id.
    pub id: String,
    /// The gateway.
    pub gateway: String,
    /// `forged_notify`, `amount_mismatch`, `unknown_payment`, `method_mismatch`,
    /// `external_refund`, `reconciliation`.
    pub kind: String,
    /// The payment concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payment_id: Option<String>,
    /// What was found.
    pub detail: String,
    /// When.
    pub created_at: String,
}

impl From<PaymentAlertRow> for PaymentAlertDto {
    fn from(a: PaymentAlertRow) -> Self {
        PaymentAlertDto {
            id: a.id,
            gateway: a.gateway,
            kind: a.kind,
            payment_id: a.payment_id,
            detail: a.detail,
            created_at: Timestamp(a.created_at).to_rfc3339(),
        }
    }
}

/// A reconciliation to run.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReconcileRequest {
    /// The gateway.
    pub gateway: String,
    /// The day, `YYYY-MM-DD` (China time).
    pub date: String,
}

/// What a reconciliation found.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReconciliationDto {
    /// Bill lines matching the ledger.
    pub matched: usize,
    /// Differences (each also an alert).
    pub mismatches: Vec<String>,
}

fn money_of(dto: &MoneyDto, field: &'static str) -> Result<Money, AppError> {
    let currency = Currency::parse(&dto.currency).map_err(|_| {
        AppError::bad_request("UNKNOWN_CURRENCY", "unknown currency", "未知币种").with_field(field)
    })?;
    Ok(Money::new(dto.amount, currency))
}

/// Starts a payment into the balance, or for a checkout order; pay at `pay_url` or by
/// scanning `qr_code`. The balance is credited when the gateway confirms (and the order,
/// if any, fulfilled from it).
#[utoipa::path(post, path = "/api/v1/payments", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    request_body = PaymentRequest,
    responses((status = 201, body = PaymentDto), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<PaymentRequest>,
) -> Result<(StatusCode, Json<PaymentDto>), ApiError> {
    let amount = money_of(&body.amount, "amount.currency")?;
    let row = payments::create_for(
        &state.app,
        &ctx,
        &actor,
        amount,
        &body.method,
        body.order_id.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(PaymentDto::of(row))))
}

/// The tenant's payments, newest first.
#[utoipa::path(get, path = "/api/v1/payments", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    params(TimePageQuery), responses((status = 200, body = PaymentList)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(query): ApiQuery<TimePageQuery>,
) -> Result<Json<PaymentList>, ApiError> {
    let from = PageCursor::from_params(query.cursor.as_deref(), query.before)?;
    let page = payments::list(&state.app, &actor, &from, query.limit.unwrap_or(50)).await?;
    Ok(Json(PaymentList {
        next_cursor: page.next.map(|c| c.encode()),
        payments: page.items.into_iter().map(PaymentDto::of).collect(),
    }))
}

/// The payment methods on offer.
#[utoipa::path(get, path = "/api/v1/payments/methods", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = PaymentMethods)))]
pub async fn methods(State(state): State<AppState>, Auth(_actor): Auth) -> Json<PaymentMethods> {
    Json(PaymentMethods {
        methods: payments::methods(&state.app)
            .into_iter()
            .map(str::to_owned)
            .collect(),
    })
}

/// One payment.
#[utoipa::path(get, path = "/api/v1/payments/{id}", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "payment id")),
    responses((status = 200, body = PaymentDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<PaymentDto>, ApiError> {
    Ok(Json(PaymentDto::of(
        payments::get(&state.app, &actor, &id).await?,
    )))
}

/// Refunds part or all of a paid payment to where it came from (the payment's owner, from
/// its unspent balance, or finance staff).
#[utoipa::path(post, path = "/api/v1/payments/{id}/refunds", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "payment id")), request_body = RefundRequestDto,
    responses((status = 201, body = RefundDto), (status = 400, body = ErrorBody), (status = 402, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn refund(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RefundRequestDto>,
) -> Result<(StatusCode, Json<RefundDto>), ApiError> {
    let amount = body
        .amount
        .as_ref()
        .map(|m| money_of(m, "amount.currency"))
        .transpose()?;
    let row = payments::refund(&state.app, &ctx, &actor, &id, amount, &body.reason).await?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// The refunds of a payment.
#[utoipa::path(get, path = "/api/v1/payments/{id}/refunds", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "payment id")),
    responses((status = 200, body = Vec<RefundDto>), (status = 404, body = ErrorBody)))]
pub async fn refunds(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<Vec<RefundDto>>, ApiError> {
    let rows = payments::refunds(&state.app, &actor, &id).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// A gateway's asynchronous notify (unauthenticated; the gateway's signature is checked).
/// Answers in the form that gateway expects.
#[utoipa::path(post, path = "/api/v1/payments/notify/{gateway}", tag = "billing",
    params(("gateway" = String, Path, description = "`alipay`, `wechat`, `sandbox`")),
    request_body(content = String, description = "the gateway's notify as it sends it (Alipay: a form; WeChat Pay: JSON)", content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "taken (Alipay: `success`)"), (status = 204, description = "taken (WeChat Pay)"),
        (status = 400, description = "refused: the signature does not verify"), (status = 404, body = ErrorBody)))]
pub async fn notify(
    State(state): State<AppState>,
    Path(gateway): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let pairs: Vec<(String, String)> = headers
        .iter()
        .filter_map(|(name, value)| {
            value
                .to_str()
                .ok()
                .map(|v| (name.as_str().to_ascii_lowercase(), v.to_owned()))
        })
        .collect();
    let gateway = gateway.to_ascii_lowercase();
    let answer = payments::receive_notify(&state.app, &gateway, &pairs, &body)
        .await
        .map_err(|e| {
            // An unknown gateway is a plain 404; anything else means "deliver again".
            if e.code == "UNKNOWN_PAYMENT_METHOD" {
                AppError::not_found()
            } else {
                e
            }
        })?;
    // A payment for a checkout order is fulfilled at once; should that fail, the scheduler
    // does it on its next run (the notify itself was taken).
    if let Err(error) = yuming_app::registrar::checkout::fulfil_paid(&state.app).await {
        tracing::warn!(%error, "checkout fulfilment after a notify failed; the scheduler retries");
    }
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    Ok((
        status,
        [(header::CONTENT_TYPE, answer.content_type)],
        answer.body,
    )
        .into_response())
}

/// Open payment alerts (finance staff): forged or inconsistent notifies, refunds made
/// outside the platform, reconciliation differences.
#[utoipa::path(get, path = "/api/v1/admin/payments/alerts", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<PaymentAlertDto>), (status = 403, body = ErrorBody)))]
pub async fn alerts(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<Vec<PaymentAlertDto>>, ApiError> {
    let rows = payments::alerts(&state.app, &actor, false).await?;
    Ok(Json(rows.into_iter().map(Into::into).collect()))
}

/// Closes a payment alert once finance has dealt with it.
#[utoipa::path(post, path = "/api/v1/admin/payments/alerts/{id}/resolve", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "alert id")),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn resolve_alert(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    payments::resolve_alert(&state.app, &ctx, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Reconciles a gateway's bill of one day with the ledger now (finance staff; the scheduler
/// does it daily for the day before).
#[utoipa::path(post, path = "/api/v1/admin/payments/reconcile", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    request_body = ReconcileRequest,
    responses((status = 200, body = ReconciliationDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn reconcile(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<ReconcileRequest>,
) -> Result<Json<ReconciliationDto>, ApiError> {
    actor
        .require(yuming_core::access::Right::BillingManage)
        .map_err(AppError::from)?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let day = time::Date::parse(&body.date, &format).map_err(|_| {
        AppError::bad_request(
            "INVALID_DATE",
            "the date must be YYYY-MM-DD",
            "日期格式须为 YYYY-MM-DD",
        )
        .with_field("date")
    })?;
    let report = payments::reconcile(&state.app, &body.gateway, day).await?;
    Ok(Json(ReconciliationDto {
        matched: report.matched,
        mismatches: report.mismatches,
    }))
}
