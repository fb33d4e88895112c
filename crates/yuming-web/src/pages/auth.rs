//! Signing up, verifying the address, logging in (with the passkey or TOTP step) and out.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use std::collections::HashMap;

use yuming_app::accounts::passkeys::PasskeyAssertion;
use yuming_app::accounts::{
    self, Consent, LoginInput, LoginStep, NewAccountInput, SecondFactorStep, SecondStepInput,
};

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
    /// The second step: which factors, and the passkey ceremony for the page's script.
    second: Option<SecondStep>,
}

/// What the second step of the login form offers.
struct SecondStep {
    /// Carries the checked password to this step.
    ticket: String,
    /// Whom the step logs in, as typed at the first step.
    email: String,
    totp: bool,
    passkey: Option<PasskeyOffer>,
}

/// A passkey ceremony, ready for the page.
struct PasskeyOffer {
    challenge_id: String,
    /// The `publicKey` options as JSON, for `data-passkey-login`.
    options: String,
}

impl SecondStep {
    fn of(step: SecondFactorStep, email: String) -> SecondStep {
        SecondStep {
            ticket: step.ticket,
            email,
            totp: step.totp,
            passkey: step.passkey.map(|ceremony| PasskeyOffer {
                challenge_id: ceremony.challenge_id,
                options: ceremony.options.to_string(),
            }),
        }
    }
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
        second: None,
    };
    page(&visitor, StatusCode::OK, &template)
}

/// The passkey answer the page's script put in the form, if any.
fn passkey_answer(fields: &HashMap<String, String>) -> Option<PasskeyAssertion> {
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let signature = field("passkey_signature");
    (!signature.is_empty()).then(|| PasskeyAssertion {
        challenge_id: field("passkey_challenge"),
        credential_id: field("passkey_credential"),
        client_data_json: field("passkey_client_data"),
        authenticator_data: field("passkey_authenticator_data"),
        signature,
    })
}

/// `POST /login`: the password first; when the account has a second factor, the page
/// that follows carries a ticket instead of the password and asks for a passkey or a TOTP
/// code. On success the session cookie is set and the visitor goes where they were going.
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
    let email = field("email");
    let totp = Some(field("totp")).filter(|c| !c.trim().is_empty());
    let mut form = FormState::from_fields(&fields);
    let ticket = field("ticket");
    let (status, second) = if ticket.is_empty() {
        let input = LoginInput {
            email: email.clone(),
            password: field("password"),
            totp,
        };
        match accounts::login_step(&state.app, &visitor.ctx, input).await {
            Ok(LoginStep::Session(session)) => {
                visitor.start_session(&session.token, session.expires_at);
                return visitor.redirect(&next);
            }
            // Asking for the second factor is the next step, not a mistake.
            Ok(LoginStep::SecondFactor(step)) => {
                (StatusCode::OK, Some(SecondStep::of(step, email)))
            }
            Err(e) => {
                form.fail(visitor.locale, &e, &LOGIN_FIELDS);
                (crate::session::status_of(&e), None)
            }
        }
    } else {
        let input = SecondStepInput {
            ticket: ticket.clone(),
            totp,
            passkey: passkey_answer(&fields),
        };
        match accounts::login_second_step(&state.app, &visitor.ctx, input).await {
            Ok(session) => {
                visitor.start_session(&session.token, session.expires_at);
                return visitor.redirect(&next);
            }
            Err(e) => {
                form.fail(visitor.locale, &e, &LOGIN_FIELDS);
                // The same ticket serves another try until it expires; then the password
                // is asked for again.
                let second = match accounts::resume_second_step(&state.app, &ticket).await {
                    Ok(step) => Some(SecondStep::of(step, email)),
                    Err(expired) => {
                        if e.code != expired.code {
                            form.fail(visitor.locale, &expired, &LOGIN_FIELDS);
                        }
                        None
                    }
                };
                (crate::session::status_of(&e), second)
            }
        }
    };
    let template = LoginPage {
        base: Base::new(&visitor, &state, "login-title", ""),
        form,
        next,
        second,
    };
    page(&visitor, status, &template)
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
