//! Bank transfer top-ups in the console: the billing page's form, and a transfer's page with
//! the account to pay to and the reference to write in the memo.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::billing::bank::{self, TransferView};
use yuming_core::clock::Timestamp;
use yuming_core::money::{Currency, Money};

use super::{Base, FormState, SignedInForm, app_error_page, page, submit_once};
use crate::WebState;
use crate::format;
use crate::i18n::Locale;
use crate::session::Visitor;

/// A transfer request as the billing page lists it.
pub struct TransferLine {
    /// Id.
    pub id: String,
    /// When it was asked for.
    pub at: String,
    /// The memo reference.
    pub reference: String,
    /// Announced.
    pub amount: String,
    /// Received so far.
    pub received: String,
    /// Status in words.
    pub status: String,
    /// Badge colour.
    pub badge: &'static str,
}

fn money(amount: i64, currency: &str) -> String {
    format::money(Money::new(
        amount,
        Currency::parse(currency).unwrap_or(Currency::Cny),
    ))
}

/// A transfer request for lists.
pub fn transfer_line(locale: Locale, view: &TransferView) -> TransferLine {
    let r = &view.row;
    let key = format!("bank-status-{}", r.status);
    TransferLine {
        id: r.id.clone(),
        at: format::datetime(Timestamp(r.created_at)),
        reference: r.reference.clone(),
        amount: money(r.amount, &r.currency),
        received: money(r.received, &r.currency),
        status: if locale.has(&key) {
            locale.t(&key)
        } else {
            r.status.clone()
        },
        badge: match r.status.as_str() {
            "received" => "success",
            "awaiting" => "warning",
            "partly_received" | "over_received" => "primary",
            _ => "neutral",
        },
    }
}

/// `POST /console/billing/bank-transfer`: asks for a reference and shows where to pay.
pub async fn request(
    State(state): State<WebState>,
    SignedInForm {
        mut visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let Some(amount) = super::payments::typed_yuan(fields.get("amount").map_or("", String::as_str))
    else {
        let mut form = FormState::from_fields(&fields);
        form.set_error("amount", visitor.locale.t("form-amount-yuan"));
        return bank_form_page(&state, &visitor, form, StatusCode::BAD_REQUEST).await;
    };
    let app = state.app.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        let view = bank::request(&app, &ctx, &actor, amount).await?;
        Ok(format!("/console/billing/bank-transfers/{}", view.row.id))
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &["amount"]);
            bank_form_page(&state, &visitor, form, crate::session::status_of(&e)).await
        }
    }
}

async fn bank_form_page(
    state: &WebState,
    visitor: &Visitor,
    form: FormState,
    status: StatusCode,
) -> Response {
    super::console::billing_page(
        state,
        visitor,
        super::console::BillingForms {
            bank: Some(form),
            ..super::console::BillingForms::default()
        },
        status,
    )
    .await
}

#[derive(Template)]
#[template(path = "console/bank_transfer.html")]
struct TransferPage {
    base: Base,
    line: TransferLine,
    account_name: String,
    bank_name: String,
    account_number: String,
}

/// `GET /console/billing/bank-transfers/{id}`.
pub async fn show(
    State(state): State<WebState>,
    Path(id): Path<String>,
    visitor: Visitor,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    let view = match bank::get(&state.app, actor, &id).await {
        Ok(view) => view,
        Err(e) => return app_error_page(&visitor, &state, &e),
    };
    let payee = view.payee.clone();
    let template = TransferPage {
        base: Base::new(&visitor, &state, "bank-title", "billing"),
        line: transfer_line(visitor.locale, &view),
        account_name: payee
            .as_ref()
            .map(|p| p.account_name.clone())
            .unwrap_or_default(),
        bank_name: payee
            .as_ref()
            .map(|p| p.bank_name.clone())
            .unwrap_or_default(),
        account_number: payee.map(|p| p.account_number).unwrap_or_default(),
    };
    page(&visitor, StatusCode::OK, &template)
}
