//! Invoices (发票) of paid top-ups: customers ask, finance issues or rejects.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yuming_app::billing::invoices::{self, InvoiceBuyer, InvoiceRequest, InvoiceView};

use crate::dto::{ErrorBody, MoneyDto};
use crate::extract::{ApiJson, Auth, Ctx};
use crate::{ApiError, AppState};

/// An invoice to ask for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceRequestDto {
    /// `personal` or `company`.
    pub kind: String,
    /// The title (抬头): the person's or the company's name.
    pub title: String,
    /// A company's tax id: its unified social credit code.
    #[serde(default)]
    pub tax_id: String,
    /// Registered address.
    #[serde(default)]
    pub address: String,
    /// Telephone.
    #[serde(default)]
    pub phone: String,
    /// Bank.
    #[serde(default)]
    pub bank: String,
    /// Bank account.
    #[serde(default)]
    pub bank_account: String,
    /// Where the electronic invoice is sent.
    #[serde(default)]
    pub email: String,
    /// The top-up orders to invoice (see `GET /api/v1/invoices/invoiceable`); absent: all.
    #[serde(default)]
    pub order_ids: Vec<String>,
}

/// An invoice.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InvoiceDto {
    /// Id.
    pub id: String,
    /// `personal` or `company`.
    pub kind: String,
    /// The title.
    pub title: String,
    /// The tax id (companies).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub tax_id: String,
    /// The amount.
    pub amount: MoneyDto,
    /// `requested`, `issued`, `rejected`.
    pub status: String,
    /// The invoice number, once issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// Why it was rejected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// When it was asked for.
    pub created_at: String,
    /// The PDF, once issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pdf_url: Option<String>,
}

impl From<InvoiceView> for InvoiceDto {
    fn from(v: InvoiceView) -> Self {
        InvoiceDto {
            pdf_url: (v.status == "issued").then(|| format!("/api/v1/invoices/{}/pdf", v.id)),
            id: v.id,
            kind: v.kind,
            title: v.buyer.title,
            tax_id: v.buyer.tax_id,
            amount: v.amount.into(),
            status: v.status,
            number: v.number,
            reason: v.reason,
            created_at: v.created_at.to_rfc3339(),
        }
    }
}

/// Paid top-ups not invoiced yet.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InvoiceableDto {
    /// Their total.
    pub total: MoneyDto,
    /// Each top-up order and what can be invoiced of it (less refunds).
    pub orders: Vec<InvoiceableOrderDto>,
}

/// A paid top-up not invoiced yet.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InvoiceableOrderDto {
    /// The order id.
    pub order_id: String,
    /// What can be invoiced.
    pub amount: MoneyDto,
    /// When it was paid.
    pub at: String,
}

/// A number to issue an invoice under.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceIssueRequest {
    /// The tax authority's invoice number (8–20 digits).
    pub number: String,
}

/// Why an invoice is rejected.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InvoiceRejectRequest {
    /// Shown to the customer.
    pub reason: String,
}

/// Asks for an invoice of paid top-ups.
#[utoipa::path(post, path = "/api/v1/invoices", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    request_body = InvoiceRequestDto,
    responses((status = 201, body = InvoiceDto), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn request(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<InvoiceRequestDto>,
) -> Result<(StatusCode, Json<InvoiceDto>), ApiError> {
    let input = InvoiceRequest {
        kind: body.kind,
        buyer: InvoiceBuyer {
            title: body.title,
            tax_id: body.tax_id,
            address: body.address,
            phone: body.phone,
            bank: body.bank,
            bank_account: body.bank_account,
            email: body.email,
        },
        order_ids: body.order_ids,
    };
    let view = invoices::request(&state.app, &ctx, &actor, input).await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// The tenant's invoices, newest first.
#[utoipa::path(get, path = "/api/v1/invoices", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<InvoiceDto>)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<Vec<InvoiceDto>>, ApiError> {
    let views = invoices::list(&state.app, &actor).await?;
    Ok(Json(views.into_iter().map(Into::into).collect()))
}

/// What can be invoiced: paid top-ups on no invoice, less refunds.
#[utoipa::path(get, path = "/api/v1/invoices/invoiceable", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = InvoiceableDto)))]
pub async fn invoiceable(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<InvoiceableDto>, ApiError> {
    let (orders, total) = invoices::invoiceable(&state.app, &actor).await?;
    Ok(Json(InvoiceableDto {
        total: total.into(),
        orders: orders
            .into_iter()
            .map(|(order, amount)| InvoiceableOrderDto {
                amount: MoneyDto {
                    amount,
                    currency: order.currency,
                },
                order_id: order.id,
                at: yuming_core::clock::Timestamp(order.created_at).to_rfc3339(),
            })
            .collect(),
    }))
}

/// One invoice.
#[utoipa::path(get, path = "/api/v1/invoices/{id}", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "invoice id")),
    responses((status = 200, body = InvoiceDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<InvoiceDto>, ApiError> {
    Ok(Json(invoices::get(&state.app, &actor, &id).await?.into()))
}

/// An issued invoice as PDF.
#[utoipa::path(get, path = "/api/v1/invoices/{id}/pdf", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "invoice id")),
    responses((status = 200, content_type = "application/pdf", body = Vec<u8>), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn pdf(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let (name, bytes) = invoices::pdf(&state.app, &actor, &id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Invoice requests waiting for finance, oldest first.
#[utoipa::path(get, path = "/api/v1/admin/invoices", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<InvoiceDto>), (status = 403, body = ErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<Vec<InvoiceDto>>, ApiError> {
    let views = invoices::queue(&state.app, &actor).await?;
    Ok(Json(views.into_iter().map(Into::into).collect()))
}

/// Issues a requested invoice (finance staff).
#[utoipa::path(post, path = "/api/v1/admin/invoices/{id}/issue", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "invoice id")), request_body = InvoiceIssueRequest,
    responses((status = 200, body = InvoiceDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn issue(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<InvoiceIssueRequest>,
) -> Result<Json<InvoiceDto>, ApiError> {
    Ok(Json(
        invoices::issue(&state.app, &ctx, &actor, &id, &body.number)
            .await?
            .into(),
    ))
}

/// Rejects a requested invoice with a reason (finance staff).
#[utoipa::path(post, path = "/api/v1/admin/invoices/{id}/reject", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "invoice id")), request_body = InvoiceRejectRequest,
    responses((status = 200, body = InvoiceDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reject(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<InvoiceRejectRequest>,
) -> Result<Json<InvoiceDto>, ApiError> {
    Ok(Json(
        invoices::reject(&state.app, &ctx, &actor, &id, &body.reason)
            .await?
            .into(),
    ))
}
