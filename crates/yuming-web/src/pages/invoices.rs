//! Invoices (发票): what can be invoiced, the request form, the requests with their status
//! and the issued PDFs.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use yuming_app::billing::invoices::{self, InvoiceBuyer, InvoiceRequest};

use super::{Base, FormState, SignedInForm, app_error_page, page, submit_once};
use crate::WebState;
use crate::format;
use crate::session::Visitor;

/// An invoice as the list shows it.
pub struct InvoiceLine {
    /// Id.
    pub id: String,
    /// Asked on.
    pub at: String,
    /// The title.
    pub title: String,
    /// The amount.
    pub amount: String,
    /// Status, labelled.
    pub status: String,
    /// Badge colour.
    pub badge: &'static str,
    /// The number, once issued.
    pub number: String,
    /// Why it was rejected.
    pub reason: String,
    /// Issued: the PDF can be downloaded.
    pub issued: bool,
}

#[derive(Template)]
#[template(path = "console/invoices.html")]
struct InvoicesPage {
    base: Base,
    invoiceable: String,
    can_request: bool,
    invoices: Vec<InvoiceLine>,
    form: FormState,
    text_fields: [(&'static str, &'static str); 7],
}

/// The request form's text fields and their labels.
const TEXT_FIELDS: [(&str, &str); 7] = [
    ("title", "invoices-field-title"),
    ("tax_id", "invoices-field-tax-id"),
    ("address", "invoices-field-address"),
    ("phone", "invoices-field-phone"),
    ("bank", "invoices-field-bank"),
    ("bank_account", "invoices-field-account"),
    ("email", "invoices-field-email"),
];

const FIELDS: [&str; 9] = [
    "kind",
    "title",
    "tax_id",
    "address",
    "phone",
    "bank",
    "bank_account",
    "email",
    "order_ids",
];

/// `GET /console/billing/invoices`.
pub async fn list(State(state): State<WebState>, visitor: Visitor) -> Response {
    let mut form = FormState::new();
    form.set("kind", "company");
    invoices_page(&state, &visitor, form, StatusCode::OK).await
}

async fn invoices_page(
    state: &WebState,
    visitor: &Visitor,
    form: FormState,
    status: StatusCode,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    let loaded = async {
        let (_, total) = invoices::invoiceable(&state.app, actor).await?;
        let list = invoices::list(&state.app, actor).await?;
        Ok::<_, yuming_app::AppError>((total, list))
    }
    .await;
    let (total, list) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let locale = visitor.locale;
    let template = InvoicesPage {
        base: Base::new(visitor, state, "invoices-title", "invoices"),
        invoiceable: format::money(total),
        can_request: total.is_positive(),
        invoices: list
            .into_iter()
            .map(|v| InvoiceLine {
                at: format::datetime(v.created_at),
                title: v.buyer.title,
                amount: format::money(v.amount),
                status: locale.t(&format!("invoice-status-{}", v.status)),
                badge: match v.status.as_str() {
                    "issued" => "success",
                    "rejected" => "error",
                    _ => "warning",
                },
                issued: v.status == "issued",
                number: v.number.unwrap_or_default(),
                reason: v.reason.unwrap_or_default(),
                id: v.id,
            })
            .collect(),
        form,
        text_fields: TEXT_FIELDS,
    };
    page(visitor, status, &template)
}

/// `POST /console/billing/invoices`: asks for an invoice of everything paid and not invoiced.
pub async fn request(
    State(state): State<WebState>,
    SignedInForm {
        mut visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let input = InvoiceRequest {
        kind: field("kind"),
        buyer: InvoiceBuyer {
            title: field("title"),
            tax_id: field("tax_id"),
            address: field("address"),
            phone: field("phone"),
            bank: field("bank"),
            bank_account: field("bank_account"),
            email: field("email"),
        },
        order_ids: Vec::new(),
    };
    let app = state.app.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        invoices::request(&app, &ctx, &actor, input).await?;
        Ok("/console/billing/invoices?done=invoice-requested".to_owned())
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &FIELDS);
            invoices_page(&state, &visitor, form, crate::session::status_of(&e)).await
        }
    }
}

/// `GET /console/billing/invoices/{id}/pdf`.
pub async fn pdf(
    State(state): State<WebState>,
    Path(id): Path<String>,
    visitor: Visitor,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    match invoices::pdf(&state.app, actor, &id).await {
        Ok((name, bytes)) => visitor.finish(
            (
                [
                    (header::CONTENT_TYPE, "application/pdf".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{name}\""),
                    ),
                ],
                bytes,
            )
                .into_response(),
        ),
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}
