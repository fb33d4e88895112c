//! Account security: the password, two-step verification (TOTP) with a QR code, the list of
//! passkeys, login sessions with revoke and "log out everywhere", and API keys (the secret
//! shown once).

use askama::Template;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use yuming_app::accounts::{self, api_keys, passkeys};
use yuming_app::{AppError, ErrorKind};

use super::{Base, FormState, SignedInForm, app_error_page, page};
use crate::WebState;
use crate::format;
use crate::pages::ErrorText;
use crate::session::{Visitor, status_of};

/// Scopes an API key can be given, as the API names them.
const SCOPES: [&str; 6] = ["read", "domains", "dns", "billing", "filing", "webhooks"];

/// A session in the list.
pub struct SessionLine {
    /// Its id, for the revoke form.
    pub id: String,
    /// The first characters of the id, to tell sessions apart.
    pub short: String,
    /// Started.
    pub created: String,
    /// Expires.
    pub expires: String,
    /// The browser and system it was started from, and the address.
    pub device: String,
    /// This one.
    pub current: bool,
}

/// An API key in the list.
pub struct KeyLine {
    /// Key id (the public half).
    pub id: String,
    /// Name.
    pub name: String,
    /// Scopes.
    pub scopes: String,
    /// Created.
    pub created: String,
    /// Last used.
    pub last_used: String,
    /// Revoked.
    pub revoked: bool,
}

/// A passkey in the list.
pub struct PasskeyLine {
    /// Its id, for the remove form.
    pub id: String,
    /// Name.
    pub name: String,
    /// Synced between devices.
    pub synced: bool,
    /// Added.
    pub created: String,
    /// Last login with it.
    pub last_used: String,
}

/// A TOTP enrolment in progress: shown once, right after it was started.
pub struct Enrolment {
    /// The QR code of the `otpauth://` URL, as a data URL.
    pub qr: String,
    /// The secret in base32, for typing in.
    pub secret: String,
}

fn enrolment_of(enrolment: accounts::TotpEnrolment) -> Enrolment {
    let qr = crate::format::qr_data_url(&enrolment.otpauth_url);
    Enrolment {
        qr,
        secret: enrolment.secret,
    }
}

/// An API key just created: its secret is shown this once.
pub struct NewKey {
    /// Key id.
    pub id: String,
    /// The secret.
    pub secret: String,
}

#[derive(Template)]
#[template(path = "console/security.html")]
struct SecurityPage {
    base: Base,
    totp_enabled: bool,
    enrolment: Option<Enrolment>,
    sessions: Vec<SessionLine>,
    keys: Vec<KeyLine>,
    passkeys: Vec<PasskeyLine>,
    passkeys_available: bool,
    passkey_form: FormState,
    new_key: Option<NewKey>,
    scopes: Vec<(&'static str, String)>,
    password_form: FormState,
    totp_form: FormState,
    key_form: FormState,
}

/// What the security page shows besides its data; each form keeps its own errors.
#[derive(Default)]
struct Shown {
    enrolment: Option<Enrolment>,
    new_key: Option<NewKey>,
    password_form: Option<FormState>,
    totp_form: Option<FormState>,
    key_form: Option<FormState>,
    passkey_form: Option<FormState>,
}

async fn security_page(
    state: &WebState,
    visitor: &Visitor,
    shown: Shown,
    status: StatusCode,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    let app = &state.app;
    let loaded = async {
        let account = accounts::me(app, actor).await?;
        let sessions = accounts::sessions(app, actor).await?;
        let keys = api_keys::list(app, actor).await?;
        let passkeys = passkeys::list(app, actor).await?;
        let pending = match shown.enrolment {
            Some(_) => None,
            None => accounts::totp_pending(app, actor).await?,
        };
        Ok::<_, AppError>((account, sessions, keys, passkeys, pending))
    }
    .await;
    let (account, sessions, keys, passkeys, pending) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let locale = visitor.locale;
    let template = SecurityPage {
        base: Base::new(visitor, state, "security-title", "security"),
        totp_enabled: account.totp_enabled,
        enrolment: shown.enrolment.or_else(|| pending.map(enrolment_of)),
        sessions: sessions
            .iter()
            .map(|s| SessionLine {
                id: s.id.clone(),
                short: s.id.chars().take(8).collect(),
                created: format::datetime(s.created_at),
                expires: format::datetime(s.expires_at),
                device: [
                    s.user_agent
                        .as_deref()
                        .map(format::device)
                        .unwrap_or_default(),
                    s.ip.clone().unwrap_or_default(),
                ]
                .into_iter()
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(" · "),
                current: s.current,
            })
            .collect(),
        keys: keys
            .iter()
            .map(|k| KeyLine {
                id: k.id.clone(),
                name: k.name.clone(),
                scopes: k
                    .scopes
                    .iter()
                    .map(|s| locale.t(&format!("scope-{}", s.as_str())))
                    .collect::<Vec<_>>()
                    .join("、"),
                created: format::date(k.created_at),
                last_used: k.last_used_at.map(format::datetime).unwrap_or_default(),
                revoked: k.revoked_at.is_some(),
            })
            .collect(),
        passkeys: passkeys
            .into_iter()
            .map(|p| PasskeyLine {
                id: p.id,
                name: p.name,
                synced: p.synced,
                created: format::date(p.created_at),
                last_used: p.last_used_at.map(format::datetime).unwrap_or_default(),
            })
            .collect(),
        passkeys_available: passkeys::available(app),
        passkey_form: shown.passkey_form.unwrap_or_default(),
        new_key: shown.new_key,
        scopes: SCOPES
            .iter()
            .map(|s| (*s, locale.t(&format!("scope-{s}"))))
            .collect(),
        password_form: shown.password_form.unwrap_or_default(),
        totp_form: shown.totp_form.unwrap_or_default(),
        key_form: shown.key_form.unwrap_or_default(),
    };
    page(visitor, status, &template)
}

/// `/console/security`.
pub async fn overview(State(state): State<WebState>, visitor: Visitor) -> Response {
    security_page(&state, &visitor, Shown::default(), StatusCode::OK).await
}

/// `POST /console/security/password`: other sessions end; this one stays.
pub async fn change_password(
    State(state): State<WebState>,
    SignedInForm {
        visitor,
        actor,
        fields,
        body: _,
    }: SignedInForm,
) -> Response {
    let field = |n: &str| fields.get(n).cloned().unwrap_or_default();
    match accounts::change_password(
        &state.app,
        &visitor.ctx,
        &actor,
        &field("current_password"),
        &field("new_password"),
    )
    .await
    {
        Ok(()) => visitor.redirect("/console/security?done=password-changed"),
        Err(e) => {
            let mut form = FormState::new();
            form.fail(visitor.locale, &e, &["current_password", "new_password"]);
            let shown = Shown {
                password_form: Some(form),
                ..Shown::default()
            };
            security_page(&state, &visitor, shown, status_of(&e)).await
        }
    }
}

/// `POST /console/security/totp/begin`: a new secret, shown once as a QR code and as text.
pub async fn totp_begin(
    State(state): State<WebState>,
    SignedInForm {
        visitor,
        actor,
        fields: _,
        body: _,
    }: SignedInForm,
) -> Response {
    match accounts::totp_begin(&state.app, &visitor.ctx, &actor).await {
        Ok(enrolment) => {
            let shown = Shown {
                enrolment: Some(enrolment_of(enrolment)),
                ..Shown::default()
            };
            security_page(&state, &visitor, shown, StatusCode::OK).await
        }
        Err(e) => {
            let mut form = FormState::new();
            form.alert = Some(ErrorText::of(visitor.locale, &e));
            let shown = Shown {
                totp_form: Some(form),
                ..Shown::default()
            };
            security_page(&state, &visitor, shown, status_of(&e)).await
        }
    }
}

async fn totp_switch(state: WebState, form: SignedInForm, enable: bool) -> Response {
    let SignedInForm {
        visitor,
        actor,
        fields,
        ..
    } = form;
    let code = fields.get("code").cloned().unwrap_or_default();
    match accounts::totp_set_enabled(&state.app, &visitor.ctx, &actor, &code, enable).await {
        Ok(()) => {
            let done = if enable { "totp-on" } else { "totp-off" };
            visitor.redirect(&format!("/console/security?done={done}"))
        }
        Err(e) => {
            let mut form = FormState::new();
            form.fail(visitor.locale, &e, &["code"]);
            let shown = Shown {
                totp_form: Some(form),
                ..Shown::default()
            };
            security_page(&state, &visitor, shown, status_of(&e)).await
        }
    }
}

/// `POST /console/security/totp/enable` with the first code from the authenticator.
pub async fn totp_enable(State(state): State<WebState>, form: SignedInForm) -> Response {
    totp_switch(state, form, true).await
}

/// `POST /console/security/totp/disable` with a current code.
pub async fn totp_disable(State(state): State<WebState>, form: SignedInForm) -> Response {
    totp_switch(state, form, false).await
}

/// `POST /console/security/sessions/{id}/revoke`.
pub async fn revoke_session(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedInForm {
        visitor,
        actor,
        fields: _,
        body: _,
    }: SignedInForm,
) -> Response {
    match accounts::revoke_session(&state.app, &visitor.ctx, &actor, &id).await {
        Ok(()) => visitor.redirect("/console/security?done=session-ended"),
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}

/// `POST /console/security/sessions/end-all`: every session, this one too.
pub async fn logout_everywhere(
    State(state): State<WebState>,
    SignedInForm {
        mut visitor,
        actor,
        fields: _,
        body: _,
    }: SignedInForm,
) -> Response {
    match accounts::logout_everywhere(&state.app, &visitor.ctx, &actor).await {
        Ok(_) => {
            visitor.end_session();
            visitor.redirect("/login?done=logged-out-everywhere")
        }
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}

/// `POST /console/security/api-keys`: a key with the chosen scopes; its secret is on the
/// answer page only.
pub async fn create_key(
    State(state): State<WebState>,
    SignedInForm {
        visitor,
        actor,
        fields,
        body,
    }: SignedInForm,
) -> Response {
    // Checkboxes repeat their name; the field map keeps one value per name.
    let scopes: Vec<String> = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
        .unwrap_or_default()
        .into_iter()
        .filter(|(name, _)| name == "scopes")
        .map(|(_, value)| value)
        .collect();
    let input = api_keys::NewApiKeyInput {
        name: fields.get("name").cloned().unwrap_or_default(),
        scopes,
        allowed_cidrs: Vec::new(),
        per_minute: None,
        per_day: None,
    };
    match api_keys::create(&state.app, &visitor.ctx, &actor, input).await {
        Ok(created) => {
            let shown = Shown {
                new_key: Some(NewKey {
                    id: created.key.id,
                    secret: created.secret,
                }),
                ..Shown::default()
            };
            security_page(&state, &visitor, shown, StatusCode::OK).await
        }
        Err(e) if e.kind == ErrorKind::Forbidden => app_error_page(&visitor, &state, &e),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &["name", "scopes"]);
            let shown = Shown {
                key_form: Some(form),
                ..Shown::default()
            };
            security_page(&state, &visitor, shown, status_of(&e)).await
        }
    }
}

/// `POST /console/security/api-keys/{id}/revoke`.
pub async fn revoke_key(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedInForm {
        visitor,
        actor,
        fields: _,
        body: _,
    }: SignedInForm,
) -> Response {
    match api_keys::revoke(&state.app, &visitor.ctx, &actor, &id).await {
        Ok(_) => visitor.redirect("/console/security?done=key-revoked"),
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}

/// `POST /console/security/passkeys/options`: a registration ceremony for the page's script,
/// as JSON (`{challenge_id, options}` or `{error}`).
pub async fn passkey_options(
    State(state): State<WebState>,
    SignedInForm { visitor, actor, .. }: SignedInForm,
) -> Response {
    match passkeys::registration_options(&state.app, &actor).await {
        Ok(ceremony) => Json(serde_json::json!({
            "challenge_id": ceremony.challenge_id,
            "options": ceremony.options,
        }))
        .into_response(),
        Err(e) => (
            status_of(&e),
            Json(serde_json::json!({ "error": visitor.locale.error_message(&e) })),
        )
            .into_response(),
    }
}

/// `POST /console/security/passkeys`: the browser's answer, from the page's script.
pub async fn add_passkey(
    State(state): State<WebState>,
    SignedInForm {
        visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let field = |n: &str| fields.get(n).cloned().unwrap_or_default();
    let input = passkeys::NewPasskey {
        challenge_id: field("challenge_id"),
        name: field("name"),
        client_data_json: field("client_data_json"),
        attestation_object: field("attestation_object"),
    };
    match passkeys::register(&state.app, &visitor.ctx, &actor, input).await {
        Ok(_) => visitor.redirect("/console/security?done=passkey-added#passkeys"),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &["name"]);
            let shown = Shown {
                passkey_form: Some(form),
                ..Shown::default()
            };
            security_page(&state, &visitor, shown, status_of(&e)).await
        }
    }
}

/// `POST /console/security/passkeys/{id}/delete`.
pub async fn remove_passkey(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedInForm { visitor, actor, .. }: SignedInForm,
) -> Response {
    match passkeys::remove(&state.app, &visitor.ctx, &actor, &id).await {
        Ok(()) => visitor.redirect("/console/security?done=passkey-removed#passkeys"),
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}
