//! Paying into the balance: the top-up form (on the billing page), a payment's page with
//! where to pay and its refunds, and the built-in sandbox gateway's pay page.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::AppError;
use yuming_app::billing::gateways::sandbox::SandboxDecision;
use yuming_app::billing::payments::{self, PaymentRow, stored_money};
use yuming_core::clock::Timestamp;
use yuming_core::money::{Currency, Money};

use super::{Base, CheckedForm, FormState, SignedInForm, app_error_page, page, submit_once};
use crate::WebState;
use crate::format;
use crate::i18n::Locale;
use crate::session::Visitor;

/// A payment method as the top-up form offers it.
pub struct MethodChoice {
    /// The gateway name (the form value).
    pub name: String,
    /// Its name in the visitor's language.
    pub label: String,
}

/// The payment methods on offer, labelled.
pub fn method_choices(state: &WebState, locale: Locale) -> Vec<MethodChoice> {
    payments::methods(&state.app)
        .into_iter()
        .map(|name| MethodChoice {
            label: method_label(locale, name),
            name: name.to_owned(),
        })
        .collect()
}

fn method_label(locale: Locale, name: &str) -> String {
    let key = format!("payment-method-{name}");
    if locale.has(&key) {
        locale.t(&key)
    } else {
        name.to_owned()
    }
}

fn status_label(locale: Locale, prefix: &str, status: &str) -> String {
    let key = format!("{prefix}-{status}");
    if locale.has(&key) {
        locale.t(&key)
    } else {
        status.to_owned()
    }
}

fn badge(status: &str) -> &'static str {
    match status {
        "paid" | "succeeded" => "success",
        "pending" => "warning",
        "failed" => "error",
        _ => "neutral",
    }
}

/// A payment as lists show it.
pub struct PaymentLine {
    /// Id.
    pub id: String,
    /// When it was started.
    pub at: String,
    /// The method, labelled.
    pub method: String,
    /// The amount.
    pub amount: String,
    /// The status, labelled.
    pub status: String,
    /// Its badge colour.
    pub badge: &'static str,
}

/// A payment row for lists.
pub fn payment_line(locale: Locale, row: &PaymentRow) -> PaymentLine {
    let amount = stored_money(row.amount, &row.currency)
        .map(format::money)
        .unwrap_or_default();
    PaymentLine {
        id: row.id.clone(),
        at: format::datetime(Timestamp(row.created_at)),
        method: method_label(locale, &row.method),
        amount,
        status: status_label(locale, "payment-status", &row.status),
        badge: badge(&row.status),
    }
}

/// Reads an amount typed in yuan (`100`, `99.5`, `1,000`); `None` when it is not one.
pub(crate) fn typed_yuan(text: &str) -> Option<Money> {
    Money::parse(&text.trim().replace([',', '，'], ""), Currency::Cny).ok()
}

/// The form sent back with "not an amount in yuan" on its `amount` field.
fn not_yuan(locale: Locale, fields: &std::collections::HashMap<String, String>) -> FormState {
    let mut form = FormState::from_fields(fields);
    form.set_error("amount", locale.t("form-amount-yuan"));
    form
}

/// `POST /console/billing/top-up`: starts a payment and goes to its page.
pub async fn top_up(
    State(state): State<WebState>,
    SignedInForm {
        mut visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let Some(amount) = typed_yuan(fields.get("amount").map_or("", String::as_str)) else {
        let form = not_yuan(visitor.locale, &fields);
        return super::console::billing_page(
            &state,
            &visitor,
            super::console::BillingForms {
                top_up: Some(form),
                ..super::console::BillingForms::default()
            },
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let method = fields.get("method").cloned().unwrap_or_default();
    let app = state.app.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        let payment = payments::create(&app, &ctx, &actor, amount, &method).await?;
        Ok(format!("/console/billing/payments/{}", payment.id))
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &["amount", "method"]);
            super::console::billing_page(
                &state,
                &visitor,
                super::console::BillingForms {
                    top_up: Some(form),
                    ..super::console::BillingForms::default()
                },
                crate::session::status_of(&e),
            )
            .await
        }
    }
}

/// A refund as the payment page lists it.
pub struct RefundLine {
    /// When.
    pub at: String,
    /// How much.
    pub amount: String,
    /// Why.
    pub reason: String,
    /// Labelled status.
    pub status: String,
    /// Badge colour.
    pub badge: &'static str,
    /// Why the gateway refused it.
    pub failure: String,
}

#[derive(Template)]
#[template(path = "console/payment.html")]
struct PaymentPage {
    base: Base,
    id: String,
    amount: String,
    method: String,
    status: String,
    status_key: String,
    badge: &'static str,
    created: String,
    paid: String,
    expires: String,
    pay_url: String,
    qr: String,
    refunded: String,
    refundable: String,
    refunds: Vec<RefundLine>,
    order: Option<OrderCard>,
    form: FormState,
}

/// The checkout order a payment pays for.
struct OrderCard {
    id: String,
    status: String,
    badge: &'static str,
    /// (name, years, price, outcome in words)
    items: Vec<(String, String, String, String)>,
}

fn order_card(locale: Locale, order: &yuming_app::registrar::checkout::CheckoutOrder) -> OrderCard {
    let currency = Currency::parse(&order.row.currency).unwrap_or(Currency::Cny);
    OrderCard {
        id: order.row.id.clone(),
        status: status_label(locale, "checkout-status", &order.row.status),
        badge: match order.row.status.as_str() {
            "fulfilled" => "success",
            "awaiting_payment" | "paid" | "fulfilling" => "warning",
            "partly_fulfilled" => "error",
            _ => "neutral",
        },
        items: order
            .items
            .iter()
            .map(|item| {
                (
                    item.unicode.clone(),
                    locale.t_args("years-n", &[("n", item.years.to_string())]),
                    format::money(Money::new(item.price, currency)),
                    item.outcome
                        .as_deref()
                        .map(|o| status_label(locale, "checkout-outcome", o))
                        .unwrap_or_default(),
                )
            })
            .collect(),
    }
}

/// `GET /console/billing/payments/{id}`.
pub async fn show(
    State(state): State<WebState>,
    Path(id): Path<String>,
    visitor: Visitor,
) -> Response {
    payment_page(&state, &visitor, &id, FormState::new(), StatusCode::OK).await
}

async fn payment_page(
    state: &WebState,
    visitor: &Visitor,
    id: &str,
    form: FormState,
    status: StatusCode,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    let loaded = async {
        let payment = payments::get(&state.app, actor, id).await?;
        let refunds = payments::refunds(&state.app, actor, id).await?;
        let amount = stored_money(payment.amount, &payment.currency)?;
        let refunded = stored_money(payment.refunded, &payment.currency)?;
        let left = stored_money(payment.amount - payment.refunded, &payment.currency)?;
        let order = yuming_app::registrar::checkout::of_payment(&state.app, actor, id).await?;
        Ok::<_, AppError>((payment, refunds, amount, refunded, left, order))
    }
    .await;
    let (payment, refunds, amount, refunded, left, order) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let locale = visitor.locale;
    let pending = payment.status == "pending";
    let template = PaymentPage {
        base: Base::new(visitor, state, "payment-title", "billing"),
        id: payment.id.clone(),
        amount: format::money(amount),
        method: method_label(locale, &payment.method),
        status: status_label(locale, "payment-status", &payment.status),
        status_key: payment.status.clone(),
        badge: badge(&payment.status),
        created: format::datetime(Timestamp(payment.created_at)),
        paid: payment
            .paid_at
            .map(|t| format::datetime(Timestamp(t)))
            .unwrap_or_default(),
        expires: format::datetime(Timestamp(payment.expires_at)),
        pay_url: payment
            .pay_url
            .clone()
            .filter(|_| pending)
            .unwrap_or_default(),
        qr: payment
            .qr_code
            .as_deref()
            .filter(|_| pending)
            .map(format::qr_data_url)
            .unwrap_or_default(),
        refunded: format::money(refunded),
        order: order.as_ref().map(|o| order_card(locale, o)),
        refundable: if payment.status == "paid" && left.is_positive() {
            format::money(left)
        } else {
            String::new()
        },
        refunds: refunds
            .iter()
            .map(|r| RefundLine {
                at: format::datetime(Timestamp(r.created_at)),
                amount: stored_money(r.amount, &r.currency)
                    .map(format::money)
                    .unwrap_or_default(),
                reason: r.reason.clone(),
                status: status_label(locale, "refund-status", &r.status),
                badge: badge(&r.status),
                failure: r.failure.clone().unwrap_or_default(),
            })
            .collect(),
        form,
    };
    page(visitor, status, &template)
}

/// `POST /console/billing/payments/{id}/refund`: refunds unspent money of a payment to
/// where it came from.
pub async fn refund(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedInForm {
        mut visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let typed = fields.get("amount").map_or("", |a| a.trim());
    // Empty: all that is left.
    let amount = match (typed.is_empty(), typed_yuan(typed)) {
        (true, _) => None,
        (false, Some(amount)) => Some(amount),
        (false, None) => {
            let form = not_yuan(visitor.locale, &fields);
            return payment_page(&state, &visitor, &id, form, StatusCode::BAD_REQUEST).await;
        }
    };
    let reason = fields.get("reason").cloned().unwrap_or_default();
    let app = state.app.clone();
    let target = id.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        payments::refund(&app, &ctx, &actor, &target, amount, &reason).await?;
        Ok(format!(
            "/console/billing/payments/{target}?done=refund-requested"
        ))
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &["amount", "reason"]);
            payment_page(&state, &visitor, &id, form, crate::session::status_of(&e)).await
        }
    }
}

#[derive(Template)]
#[template(path = "sandbox_pay.html")]
struct SandboxPayPage {
    base: Base,
    id: String,
    amount: String,
    trade_no: String,
    open: bool,
    outcome: String,
}

/// `GET /sandbox/pay/{id}`: the sandbox gateway's cashier page, where whoever holds the
/// link approves or declines (no login: like a real gateway's page, it is the payer's).
pub async fn sandbox_page(
    State(state): State<WebState>,
    Path(id): Path<String>,
    visitor: Visitor,
) -> Response {
    let Some(sandbox) = state.app.sandbox_gateway() else {
        return app_error_page(&visitor, &state, &AppError::not_found());
    };
    let trade = match sandbox.trade(&id).await {
        Ok(Some(trade)) => trade,
        Ok(None) => return app_error_page(&visitor, &state, &AppError::not_found()),
        Err(e) => return app_error_page(&visitor, &state, &AppError::internal(e.to_string())),
    };
    let amount = stored_money(trade.amount, &trade.currency)
        .map(format::money)
        .unwrap_or_default();
    let locale = visitor.locale;
    let template = SandboxPayPage {
        base: Base::new(&visitor, &state, "sandbox-pay-title", ""),
        id,
        amount,
        trade_no: trade.trade_no,
        open: trade.status == "open",
        outcome: status_label(locale, "sandbox-trade", &trade.status),
    };
    page(&visitor, StatusCode::OK, &template)
}

/// `POST /sandbox/pay/{id}` with `decision=approve|decline`: the sandbox records the
/// payer's decision, posts its signed notify to the platform and sends the payer back.
pub async fn sandbox_decide(
    State(state): State<WebState>,
    Path(id): Path<String>,
    CheckedForm {
        visitor, fields, ..
    }: CheckedForm,
) -> Response {
    let Some(sandbox) = state.app.sandbox_gateway() else {
        return app_error_page(&visitor, &state, &AppError::not_found());
    };
    let decision = match fields.get("decision").map(String::as_str) {
        Some("approve") => SandboxDecision::Approve,
        _ => SandboxDecision::Decline,
    };
    if let Err(e) = sandbox.decide(&id, decision).await {
        return app_error_page(&visitor, &state, &AppError::internal(e.to_string()));
    }
    // The payer's browser returns to the merchant, as the real gateways' return URL does.
    visitor.redirect(&format!("/console/billing/payments/{id}"))
}
