//! The public abuse report form (`/abuse`): anyone reports a domain held here; a signed,
//! single-use proof of work that the page's script solves stands in for a captcha, and the
//! source address is rate limited. Reports reach staff as complaints of kind `abuse`.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::care::abuse::{self, AbuseReport, CATEGORIES};

use super::{Base, CheckedForm, FormState, message, page};
use crate::WebState;
use crate::session::{Visitor, status_of};

#[derive(Template)]
#[template(path = "abuse.html")]
struct AbusePage {
    base: Base,
    challenge: String,
    bits: u32,
    categories: Vec<(&'static str, String)>,
    form: FormState,
}

fn abuse_page(
    state: &WebState,
    visitor: &Visitor,
    form: FormState,
    status: StatusCode,
) -> Response {
    let template = AbusePage {
        base: Base::new(visitor, state, "abuse-title", ""),
        challenge: abuse::challenge(&state.app),
        bits: yuming_core::pow::ABUSE_FORM_BITS,
        categories: CATEGORIES
            .iter()
            .map(|c| (*c, visitor.locale.t(&format!("abuse-category-{c}"))))
            .collect(),
        form,
    };
    page(visitor, status, &template)
}

/// `GET /abuse`.
pub async fn form(State(state): State<WebState>, visitor: Visitor) -> Response {
    abuse_page(&state, &visitor, FormState::new(), StatusCode::OK)
}

/// `POST /abuse`.
pub async fn report(
    State(state): State<WebState>,
    CheckedForm {
        visitor, fields, ..
    }: CheckedForm,
) -> Response {
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let input = AbuseReport {
        domain: field("domain"),
        category: field("category"),
        body: field("body"),
        email: field("email"),
        challenge: field("challenge"),
        nonce: field("nonce"),
    };
    match abuse::report(&state.app, &visitor.ctx, &input).await {
        Ok(reference) => message(
            &visitor,
            &state,
            StatusCode::OK,
            "abuse-thanks-title",
            visitor
                .locale
                .t_args("abuse-thanks", &[("reference", reference)]),
            vec![("/".to_owned(), visitor.locale.t("abuse-home"))],
        ),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &["domain", "category", "body", "email"]);
            abuse_page(&state, &visitor, form, status_of(&e))
        }
    }
}
