//! Signing up, verifying the address, logging in (with the TOTP step) and out.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use yuming_app::accounts::{self, Consent, LoginInput, NewAccountInput};

use super::{Base, CheckedForm, FormState, app_error_page, message, page};
use crate::WebState;
use crate::session::{Visitor, local_path};

/// The version of the user agreement and privacy policy the sign-up form shows.
pub const TERMS_VERSION: &str = "2026-12";

#[derive(Template)]
#[template(path = "signup.html")]
struct SignupPage {
    base: Base,
    form: FormState,
}

const SIGNUP_FIELDS: [&str; 4] = ["email", "password", "display_name", "agree"];

/// `GET /signup`.
pub async fn signup_form(State(state): State<WebState>, visitor: Visitor) -> Response {
    if visitor.actor.is_some() {
        return visitor.redirect("/console");
    }
    let template = SignupPage {
        base: Base::new(&visitor, &state, "signup-title", ""),
        form: FormState::new(),
    };
    page(&visitor, StatusCode::OK, &template)
}

/// `POST /signup`: the account is created and a verification link mailed; the page says so
/// whether or not the address already had an account (sign-up does not reveal customers).
pub async fn signup(
    State(state): State<WebState>,
    CheckedForm {
        visitor, fields, ..
    }: CheckedForm,
) -> Response {
    let mut form = FormState::from_fields(&fields);
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    if !form.checked("agree") {
        form.fail(
            visitor.locale,
            &accounts::AccountsError::TermsNotAccepted.into(),
            &SIGNUP_FIELDS,
        );
    } else {
        let input = NewAccountInput {
            email: field("email"),
            password: field("password"),
            display_name: field("display_name"),
        };
        let consent = Consent {
            terms_version: TERMS_VERSION.to_owned(),
        };
        match accounts::signup_with_consent(&state.app, &visitor.ctx, input, Some(&consent)).await {
            Ok(_) => {
                return message(
                    &visitor,
                    &state,
                    StatusCode::OK,
                    "signup-sent-title",
                    visitor
                        .locale
                        .t_args("signup-sent-text", &[("email", field("email"))]),
                    vec![("/login".to_owned(), visitor.locale.t("nav-login"))],
                );
            }
            Err(e) => form.fail(visitor.locale, &e, &SIGNUP_FIELDS),
        }
    }
    let template = SignupPage {
        base: Base::new(&visitor, &state, "signup-title", ""),
        form,
    };
    page(&visitor, StatusCode::UNPROCESSABLE_ENTITY, &template)
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    base: Base,
    form: FormState,
    next: String,
    totp_step: bool,
}

/// The query of `/login`.
#[derive(Debug, Deserialize)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

const LOGIN_FIELDS: [&str; 3] = ["email", "password", "totp"];

/// `GET /login?next=/console/…`.
pub async fn login_form(
    State(state): State<WebState>,
    visitor: Visitor,
    Query(query): Query<NextQuery>,
) -> Response {
    let next = local_path(&query.next).unwrap_or("/console").to_owned();
    if visitor.actor.is_some() {
        return visitor.redirect(&next);
    }
    let template = LoginPage {
        base: Base::new(&visitor, &state, "login-title", ""),
        form: FormState::new(),
        next,
        totp_step: false,
    };
    page(&visitor, StatusCode::OK, &template)
}

/// `POST /login`: password, then the TOTP code when the account has one; on success the
/// session cookie is set and the visitor goes where they were going.
pub async fn login(
    State(state): State<WebState>,
    CheckedForm {
        mut visitor,
        fields,
        ..
    }: CheckedForm,
) -> Response {
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let next = local_path(&field("next")).unwrap_or("/console").to_owned();
    let totp = Some(field("totp")).filter(|c| !c.trim().is_empty());
    let input = LoginInput {
        email: field("email"),
        password: field("password"),
        totp,
    };
    match accounts::login(&state.app, &visitor.ctx, input).await {
        Ok(session) => {
            visitor.start_session(&session.token, session.expires_at);
            visitor.redirect(&next)
        }
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            // Asking for the code is the next step, not a mistake.
            let totp_step =
                matches!(e.code, "TOTP_REQUIRED" | "INVALID_TOTP") || fields.contains_key("totp");
            if e.code != "TOTP_REQUIRED" {
                form.fail(visitor.locale, &e, &LOGIN_FIELDS);
            }
            let status = crate::session::status_of(&e);
            let template = LoginPage {
                base: Base::new(&visitor, &state, "login-title", ""),
                form,
                next,
                totp_step,
            };
            page(&visitor, status, &template)
        }
    }
}

/// `POST /logout`: ends this session and forgets the cookie.
pub async fn logout(
    State(state): State<WebState>,
    CheckedForm {
        mut visitor,
        fields: _,
        ..
    }: CheckedForm,
) -> Response {
    if let Some(actor) = visitor.actor.clone()
        && let Err(e) = accounts::logout(&state.app, &visitor.ctx, &actor).await
    {
        return app_error_page(&visitor, &state, &e);
    }
    visitor.end_session();
    visitor.redirect("/?done=logged-out")
}

#[derive(Template)]
#[template(path = "verify_email.html")]
struct VerifyEmailPage {
    base: Base,
    token: String,
}

/// The query of `/verify-email`.
#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

/// `GET /verify-email?token=…`: the mailed link. It only shows a button: mail scanners
/// that open links must not use the token up; the person's click POSTs it.
pub async fn verify_email_form(
    State(state): State<WebState>,
    visitor: Visitor,
    Query(query): Query<TokenQuery>,
) -> Response {
    let template = VerifyEmailPage {
        base: Base::new(&visitor, &state, "verify-title", ""),
        token: query.token,
    };
    page(&visitor, StatusCode::OK, &template)
}

/// `POST /verify-email`.
pub async fn verify_email(
    State(state): State<WebState>,
    CheckedForm {
        visitor, fields, ..
    }: CheckedForm,
) -> Response {
    let token = fields.get("token").map_or("", String::as_str);
    match accounts::verification::verify_email(&state.app, &visitor.ctx, token).await {
        Ok(()) => message(
            &visitor,
            &state,
            StatusCode::OK,
            "verify-done-title",
            visitor.locale.t("verify-done-text"),
            vec![("/login".to_owned(), visitor.locale.t("nav-login"))],
        ),
        Err(e) => message(
            &visitor,
            &state,
            crate::session::status_of(&e),
            "verify-failed-title",
            visitor.locale.error_message(&e),
            vec![("/signup".to_owned(), visitor.locale.t("nav-signup"))],
        ),
    }
}
