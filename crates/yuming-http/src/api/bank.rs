//! Bank transfer top-ups (对公转账): customers ask for a reference; finance imports the
//! bank's statement and assigns what carried none.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yuming_app::AppError;
use yuming_app::billing::bank::{self, ImportReport, LineView, TransferView};
use yuming_core::clock::Timestamp;
use yuming_core::money::{Currency, Money};

use crate::dto::{ErrorBody, MoneyDto};
use crate::extract::{ApiJson, ApiQuery, Auth, Ctx};
use crate::{ApiError, AppState};

/// A bank transfer to announce.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BankTransferRequest {
    /// What the customer will transfer (minor units; CNY).
    pub amount: MoneyDto,
}

/// The account to transfer to.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PayeeDto {
    /// Account holder (户名).
    pub account_name: String,
    /// Bank and branch (开户行).
    pub bank_name: String,
    /// Account number.
    pub account_number: String,
}

/// A bank transfer request.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BankTransferDto {
    /// Id.
    pub id: String,
    /// Write this in the transfer's memo (附言) so that it is credited automatically.
    pub reference: String,
    /// What was announced.
    pub amount: MoneyDto,
    /// What has come in so far (all of it is on the balance).
    pub received: MoneyDto,
    /// `awaiting`, `partly_received`, `received`, `over_received`.
    pub status: String,
    /// Where to transfer to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payee: Option<PayeeDto>,
    /// Created.
    pub created_at: String,
}

impl From<TransferView> for BankTransferDto {
    fn from(v: TransferView) -> Self {
        let r = v.row;
        BankTransferDto {
            amount: MoneyDto {
                amount: r.amount,
                currency: r.currency.clone(),
            },
            received: MoneyDto {
                amount: r.received,
                currency: r.currency,
            },
            id: r.id,
            reference: r.reference,
            status: r.status,
            payee: v.payee.map(|p| PayeeDto {
                account_name: p.account_name,
                bank_name: p.bank_name,
                account_number: p.account_number,
            }),
            created_at: Timestamp(r.created_at).to_rfc3339(),
        }
    }
}

/// Announces a bank transfer top-up: the account to pay to and the reference for the memo.
#[utoipa::path(post, path = "/api/v1/payments/bank-transfers", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    request_body = BankTransferRequest,
    responses((status = 201, body = BankTransferDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn request(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<BankTransferRequest>,
) -> Result<(StatusCode, Json<BankTransferDto>), ApiError> {
    let currency = Currency::parse(&body.amount.currency).map_err(|_| {
        AppError::bad_request("UNKNOWN_CURRENCY", "unknown currency", "未知币种")
            .with_field("amount.currency")
    })?;
    let view = bank::request(
        &state.app,
        &ctx,
        &actor,
        Money::new(body.amount.amount, currency),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(view.into())))
}

/// The tenant's bank transfer requests, newest first.
#[utoipa::path(get, path = "/api/v1/payments/bank-transfers", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = Vec<BankTransferDto>), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<Vec<BankTransferDto>>, ApiError> {
    let views = bank::list(&state.app, &actor).await?;
    Ok(Json(views.into_iter().map(Into::into).collect()))
}

/// One bank transfer request.
#[utoipa::path(get, path = "/api/v1/payments/bank-transfers/{id}", tag = "billing", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "bank transfer id")),
    responses((status = 200, body = BankTransferDto), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<Json<BankTransferDto>, ApiError> {
    Ok(Json(bank::get(&state.app, &actor, &id).await?.into()))
}

/// What an import did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatementImportDto {
    /// Credit lines read.
    pub lines: usize,
    /// Imported before, skipped.
    pub duplicates: usize,
    /// Credited by their reference.
    pub matched: usize,
    /// Of those, less than announced.
    pub partial: usize,
    /// Of those, more than announced (each raised as an alert).
    pub over: usize,
    /// Without a known reference: assign them by hand.
    pub unmatched: usize,
}

impl From<ImportReport> for StatementImportDto {
    fn from(r: ImportReport) -> Self {
        StatementImportDto {
            lines: r.lines,
            duplicates: r.duplicates,
            matched: r.matched,
            partial: r.partial,
            over: r.over,
            unmatched: r.unmatched,
        }
    }
}

/// Imports a bank statement (finance staff): CSV, UTF-8 or GBK, with a header naming the
/// columns — `txn_id, booked_on, amount, payer_name, payer_account, memo`, or the banks'
/// 交易流水号、交易日期、贷方金额、对方户名、对方账号、附言. Importing a line twice credits once.
#[utoipa::path(post, path = "/api/v1/admin/bank-statements", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    request_body(content = String, content_type = "text/csv", description = "the statement"),
    responses((status = 200, body = StatementImportDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    body: Body,
) -> Result<Json<StatementImportDto>, ApiError> {
    let bytes = axum::body::to_bytes(body, bank::MAX_STATEMENT_BYTES)
        .await
        .map_err(|_| ApiError::too_large(bank::MAX_STATEMENT_BYTES))?;
    let report = bank::import_statement(&state.app, &ctx, &actor, &bytes).await?;
    Ok(Json(report.into()))
}

/// `GET /api/v1/admin/bank-statements/lines` query.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LinesQuery {
    /// `matched`, `unmatched` or `assigned`; absent: all.
    #[serde(default)]
    pub status: Option<String>,
}

/// One imported statement line.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StatementLineDto {
    /// Id.
    pub id: String,
    /// The bank's transaction id.
    pub txn_id: String,
    /// Booking date as the bank wrote it.
    pub booked_on: String,
    /// Credit.
    pub amount: MoneyDto,
    /// Payer's account name.
    pub payer_name: String,
    /// Payer's account number.
    pub payer_account: String,
    /// Memo.
    pub memo: String,
    /// `matched`, `unmatched`, `assigned`.
    pub status: String,
    /// The customer credited.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The bank transfer request it matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_transfer_id: Option<String>,
}

impl From<LineView> for StatementLineDto {
    fn from(v: LineView) -> Self {
        let r = v.row;
        StatementLineDto {
            amount: MoneyDto {
                amount: r.amount,
                currency: r.currency,
            },
            id: r.id,
            txn_id: r.txn_id,
            booked_on: r.booked_on,
            payer_name: v.payer_name,
            payer_account: v.payer_account,
            memo: r.memo,
            status: r.status,
            account_id: r.owner_id,
            bank_transfer_id: r.transfer_id,
        }
    }
}

/// Imported statement lines, newest first (finance staff).
#[utoipa::path(get, path = "/api/v1/admin/bank-statements/lines", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(LinesQuery),
    responses((status = 200, body = Vec<StatementLineDto>), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn lines(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(query): ApiQuery<LinesQuery>,
) -> Result<Json<Vec<StatementLineDto>>, ApiError> {
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(s @ ("matched" | "unmatched" | "assigned")) => Some(s),
        Some(_) => {
            return Err(AppError::bad_request(
                "INVALID_STATUS",
                "the status is matched, unmatched or assigned",
                "状态须为 matched、unmatched 或 assigned",
            )
            .with_field("status")
            .into());
        }
    };
    let views = bank::lines(&state.app, &actor, status).await?;
    Ok(Json(views.into_iter().map(Into::into).collect()))
}

/// Whom to credit an unmatched line to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignLineRequest {
    /// A customer account id.
    pub account_id: String,
}

/// Credits an unmatched statement line to a customer by hand (finance staff).
#[utoipa::path(post, path = "/api/v1/admin/bank-statements/lines/{id}/assign", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "statement line id")),
    request_body = AssignLineRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn assign(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AssignLineRequest>,
) -> Result<StatusCode, ApiError> {
    bank::assign(&state.app, &ctx, &actor, &id, &body.account_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
