//! Finance sees money moving through the gateways: the latest payments of every customer
//! (filtered by status), the latest refunds, and each day's reconciliation of the gateways'
//! bills with the ledger (differences are also raised as alerts on the finance page).

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::AppError;
use yuming_app::billing::payments;
use yuming_core::clock::Timestamp;

use super::require_staff;
use crate::WebState;
use crate::format;
use crate::i18n::Locale;
use crate::pages::{Base, app_error_page, page};
use crate::session::Visitor;

/// Payment statuses the filter offers.
const STATUSES: [&str; 5] = ["pending", "paid", "refunded", "closed", "failed"];

/// How many payments and refunds the page lists.
const SHOWN: i64 = 100;

/// How many days of reconciliation the page lists (per gateway).
const RECONCILIATIONS_SHOWN: i64 = 60;

/// A payment as the page lists it.
pub struct PaymentLine {
    /// Id (also the trade number sent to the gateway).
    pub id: String,
    /// Customer account.
    pub owner: String,
    /// Gateway.
    pub method: String,
    /// Amount, and how much of it was refunded.
    pub amount: String,
    /// Refunded so far, when any.
    pub refunded: Option<String>,
    /// Status (stable, for the badge).
    pub status: String,
    /// Status in words.
    pub status_words: String,
    /// Created.
    pub created: String,
    /// Booked paid.
    pub paid: Option<String>,
    /// The gateway's trade number.
    pub trade_no: String,
}

/// A refund as the page lists it.
pub struct RefundLine {
    /// Id.
    pub id: String,
    /// The payment refunded.
    pub payment: String,
    /// Amount.
    pub amount: String,
    /// Why.
    pub reason: String,
    /// Status.
    pub status: String,
    /// Asked for.
    pub created: String,
    /// Why the gateway refused it.
    pub failure: Option<String>,
}

/// A day's reconciliation.
pub struct ReconciliationLine {
    /// The bill's day.
    pub day: String,
    /// Gateway.
    pub gateway: String,
    /// Bill lines that matched.
    pub matched: i64,
    /// The differences.
    pub mismatches: Vec<String>,
    /// When it ran.
    pub ran: String,
}

#[derive(Template)]
#[template(path = "admin/payments.html")]
struct PaymentsPage {
    base: Base,
    status: String,
    statuses: Vec<(&'static str, String)>,
    payments: Vec<PaymentLine>,
    refunds: Vec<RefundLine>,
    reconciliations: Vec<ReconciliationLine>,
}

/// `?status=paid` narrows the payments.
#[derive(serde::Deserialize)]
pub struct PaymentsQuery {
    #[serde(default)]
    status: String,
}

fn money_of(amount: i64, currency: &str) -> String {
    payments::stored_money(amount, currency)
        .map_or_else(|_| format!("{amount} {currency}"), format::money)
}

/// `prefix-value` in words, or the value itself when there are none.
fn status_words_of(locale: Locale, prefix: &str, value: &str) -> String {
    let key = format!("{prefix}-{value}");
    if locale.has(&key) {
        locale.t(&key)
    } else {
        value.to_owned()
    }
}

/// `GET /admin/finance/payments`.
pub async fn list(
    State(state): State<WebState>,
    visitor: Visitor,
    Query(query): Query<PaymentsQuery>,
) -> Response {
    let actor = match require_staff(&visitor, &state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let status = STATUSES
        .into_iter()
        .find(|s| *s == query.status)
        .map(str::to_owned);
    let loaded = async {
        Ok::<_, AppError>((
            payments::latest(&state.app, actor, status.as_deref(), SHOWN).await?,
            payments::reconciliations(&state.app, actor, RECONCILIATIONS_SHOWN).await?,
        ))
    }
    .await;
    let ((rows, refunds), reconciliations) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return app_error_page(&visitor, &state, &e),
    };
    let locale = visitor.locale;
    let template = PaymentsPage {
        base: Base::new(&visitor, &state, "admin-payments-title", "admin-payments"),
        status: status.unwrap_or_default(),
        statuses: STATUSES
            .iter()
            .map(|s| (*s, status_words_of(locale, "payment-status", s)))
            .collect(),
        payments: rows
            .iter()
            .map(|p| PaymentLine {
                id: p.id.clone(),
                owner: p.owner_id.clone(),
                method: status_words_of(locale, "payment-method", &p.method),
                amount: money_of(p.amount, &p.currency),
                refunded: (p.refunded > 0).then(|| money_of(p.refunded, &p.currency)),
                status: p.status.clone(),
                status_words: status_words_of(locale, "payment-status", &p.status),
                created: format::datetime(Timestamp(p.created_at)),
                paid: p.paid_at.map(|at| format::datetime(Timestamp(at))),
                trade_no: p.gateway_trade_no.clone().unwrap_or_default(),
            })
            .collect(),
        refunds: refunds
            .iter()
            .map(|r| RefundLine {
                id: r.id.clone(),
                payment: r.payment_id.clone(),
                // Stored negative in the ledger sense; shown as the amount returned.
                amount: money_of(r.amount.abs(), &r.currency),
                reason: r.reason.clone(),
                status: r.status.clone(),
                created: format::datetime(Timestamp(r.created_at)),
                failure: r.failure.clone(),
            })
            .collect(),
        reconciliations: reconciliations
            .into_iter()
            .map(|r| ReconciliationLine {
                ran: format::datetime(r.ran_at),
                day: r.day,
                gateway: r.gateway,
                matched: r.matched,
                mismatches: r.mismatches,
            })
            .collect(),
    };
    page(&visitor, StatusCode::OK, &template)
}
