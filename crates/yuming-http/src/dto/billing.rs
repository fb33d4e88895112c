//! Balances, the ledger, orders and credits.

use super::domains::MoneyDto;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A balance.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BalanceDto {
    /// What may be spent.
    pub balance: MoneyDto,
    /// How far below zero it may go.
    pub credit_limit: MoneyDto,
}

impl From<yuming_app::billing::BalanceView> for BalanceDto {
    fn from(b: yuming_app::billing::BalanceView) -> Self {
        BalanceDto {
            balance: b.balance.into(),
            credit_limit: b.credit_limit.into(),
        }
    }
}

/// One balance movement.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LedgerLineDto {
    /// Posting id.
    pub id: String,
    /// Balanced transaction id.
    pub transaction_id: String,
    /// Effect on the balance (negative: spent).
    pub amount: MoneyDto,
    /// The order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Description.
    pub memo: String,
    /// Time.
    pub at: String,
}

/// The balance movements, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LedgerDto {
    /// Movements.
    pub entries: Vec<LedgerLineDto>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Paging by time.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TimePageQuery {
    /// The `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Entries before this unix time (when no cursor is given).
    #[serde(default)]
    pub before: Option<i64>,
    /// Page size, 1–500 (default 50).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// An order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderDto {
    /// Order id.
    pub id: String,
    /// `register`, `renew`, `topup`.
    pub kind: String,
    /// The domain (A-label).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Years.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub years: Option<i64>,
    /// Amount.
    pub amount: MoneyDto,
    /// `completed`.
    pub status: String,
    /// Time.
    pub created_at: String,
}

/// Order history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderList {
    /// Orders, newest first.
    pub orders: Vec<OrderDto>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A credit to a customer's balance (finance staff).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditRequest {
    /// Minor units, positive.
    pub amount: i64,
    /// ISO 4217 code (default CNY).
    #[serde(default)]
    pub currency: Option<String>,
    /// Reference, e.g. a bank transfer number.
    #[serde(default)]
    pub note: Option<String>,
}

/// A manual credit waiting for (or decided by) a second finance person.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreditRequestDto {
    /// `crq_…`.
    pub id: String,
    /// The customer (tenant) account.
    pub account_id: String,
    /// How much.
    pub amount: MoneyDto,
    /// Why.
    pub note: String,
    /// `pending`, `approved` or `rejected`.
    pub status: String,
    /// Who asked.
    pub requested_by: String,
    /// When (RFC 3339).
    pub requested_at: String,
    /// Who decided.
    pub decided_by: Option<String>,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// The order an approval made.
    pub order_id: Option<String>,
    /// `credit` (to the customer's balance) or `debit` (taken back from it).
    pub direction: String,
}

impl From<yuming_app::billing::credit_requests::CreditRequestView> for CreditRequestDto {
    fn from(v: yuming_app::billing::credit_requests::CreditRequestView) -> Self {
        CreditRequestDto {
            id: v.id,
            account_id: v.tenant_id,
            amount: v.amount.into(),
            note: v.note,
            status: v.status,
            requested_by: v.requested_by,
            requested_at: v.requested_at.to_rfc3339(),
            decided_by: v.decided_by,
            reason: v.reason,
            order_id: v.order_id,
            direction: v.direction.as_str().to_owned(),
        }
    }
}

/// Asks for a manual credit (or debit) that a second finance person approves.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCreditRequest {
    /// `credit` (default) or `debit`.
    #[serde(default)]
    pub direction: Option<String>,
    /// The customer (tenant) account.
    pub account_id: String,
    /// Minor units, positive.
    pub amount: i64,
    /// ISO 4217 code (default CNY).
    #[serde(default)]
    pub currency: Option<String>,
    /// Reference, e.g. a bank transfer number.
    #[serde(default)]
    pub note: Option<String>,
}

/// A second finance person's decision on a credit request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditDecisionRequest {
    /// `approve` or `reject`.
    #[schema(example = "approve")]
    pub decision: String,
    /// Why (required to reject, 1–200 characters).
    #[serde(default)]
    pub reason: Option<String>,
}

/// Pending credit requests.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreditRequestList {
    /// Oldest first.
    pub requests: Vec<CreditRequestDto>,
}
