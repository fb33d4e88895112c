//! Value-added services in the console: the products on sale, each bought from the balance.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::billing::services;
use yuming_core::money::{Currency, Money};

use super::{Base, FormState, SignedInForm, app_error_page, page, submit_once};
use crate::WebState;
use crate::format;
use crate::i18n::Locale;
use crate::session::Visitor;

/// A product as the page shows it.
pub struct ProductCard {
    code: String,
    name: String,
    description: String,
    price: String,
    /// Its buy form (sent back with its errors when it failed).
    form: FormState,
}

#[derive(Template)]
#[template(path = "console/services.html")]
struct ServicesPage {
    base: Base,
    products: Vec<ProductCard>,
}

fn card(locale: Locale, row: &services::ServiceProductRow) -> ProductCard {
    ProductCard {
        code: row.code.clone(),
        name: if locale == Locale::En {
            row.name_en.clone()
        } else {
            row.name_zh.clone()
        },
        description: row.description.clone(),
        price: format::money(Money::new(
            row.price,
            Currency::parse(&row.currency).unwrap_or(Currency::Cny),
        )),
        form: FormState::new(),
    }
}

async fn services_page(
    state: &WebState,
    visitor: &Visitor,
    failed: Option<(String, FormState)>,
    status: StatusCode,
) -> Response {
    if let Err(login) = visitor.require_actor() {
        return login;
    }
    let rows = match services::products(&state.app).await {
        Ok(rows) => rows,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let mut failed = failed;
    let products = rows
        .iter()
        .map(|r| {
            let mut card = card(visitor.locale, r);
            if failed.as_ref().is_some_and(|(code, _)| *code == r.code)
                && let Some((_, form)) = failed.take()
            {
                card.form = form;
            }
            card
        })
        .collect();
    let template = ServicesPage {
        base: Base::new(visitor, state, "services-title", "services"),
        products,
    };
    page(visitor, status, &template)
}

/// `GET /console/services`.
pub async fn list(State(state): State<WebState>, visitor: Visitor) -> Response {
    services_page(&state, &visitor, None, StatusCode::OK).await
}

/// `POST /console/services/{code}/buy`: buys from the balance, once per rendering.
pub async fn buy(
    State(state): State<WebState>,
    Path(code): Path<String>,
    SignedInForm {
        mut visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let quantity = fields
        .get("quantity")
        .map_or("1", |q| q.trim())
        .parse::<u32>()
        .unwrap_or(0);
    let note = fields.get("note").cloned().unwrap_or_default();
    let app = state.app.clone();
    let product = code.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        services::buy(&app, &ctx, &actor, &product, quantity, Some(&note)).await?;
        Ok("/console/billing?done=service-bought".to_owned())
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &["quantity", "note"]);
            services_page(
                &state,
                &visitor,
                Some((code, form)),
                crate::session::status_of(&e),
            )
            .await
        }
    }
}
