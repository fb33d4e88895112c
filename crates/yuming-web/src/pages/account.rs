//! The account's own data: "download all my data" and the account-closure request.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use yuming_app::AppError;
use yuming_app::accounts::closure::{self, ClosureView};
use yuming_app::ops::data_export;
use yuming_app::registrar::export::ArchiveFormat;

use super::{Base, FormState, SignedInForm, app_error_page, page};
use crate::WebState;
use crate::format;
use crate::session::{Visitor, status_of};

#[derive(Template)]
#[template(path = "console/account.html")]
struct AccountPage {
    base: Base,
    closure: Option<ClosureLine>,
    open: bool,
    blockers: Vec<String>,
    holder: bool,
    form: FormState,
}

/// The latest closure request in words.
pub struct ClosureLine {
    /// Badge class.
    pub badge: &'static str,
    /// The state in words.
    pub status: String,
    /// When asked.
    pub requested: String,
    /// Staff's note.
    pub note: String,
}

fn closure_line(visitor: &Visitor, view: &ClosureView) -> ClosureLine {
    let badge = match view.status.as_str() {
        "requested" => "primary",
        "completed" => "success",
        "refused" => "error",
        _ => "neutral",
    };
    ClosureLine {
        badge,
        status: visitor.locale.t(&format!("closure-status-{}", view.status)),
        requested: format::datetime(view.requested_at),
        note: view.decision_note.clone().unwrap_or_default(),
    }
}

async fn account_page(
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
        let current = closure::current(&state.app, actor).await?;
        let blockers = closure::blockers(&state.app, actor).await?;
        Ok::<_, AppError>((current, blockers))
    }
    .await;
    let (current, blockers) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let zh = visitor.locale == crate::i18n::Locale::ZhCn;
    let template = AccountPage {
        base: Base::new(visitor, state, "account-title", "account"),
        open: current.as_ref().is_some_and(|c| c.status == "requested"),
        closure: current.as_ref().map(|c| closure_line(visitor, c)),
        blockers: blockers
            .iter()
            .map(|b| if zh { b.message_zh() } else { b.message() })
            .collect(),
        holder: !actor.is_sub_account(),
        form,
    };
    page(visitor, status, &template)
}

/// `/console/account`: download all my data, close the account.
pub async fn overview(State(state): State<WebState>, visitor: Visitor) -> Response {
    account_page(&state, &visitor, FormState::new(), StatusCode::OK).await
}

/// `POST /console/account/export`: the archive of everything the account holds, as a
/// download (a form, so that it carries the CSRF token: producing it is audited).
pub async fn export(
    State(state): State<WebState>,
    SignedInForm {
        visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let format = match fields.get("format").map(String::as_str) {
        Some("zip") => ArchiveFormat::Zip,
        _ => ArchiveFormat::TarGz,
    };
    match data_export::export(&state.app, &visitor.ctx, &actor, format).await {
        Ok((file_name, bytes)) => {
            let mut response = bytes.into_response();
            let headers = response.headers_mut();
            if let Ok(value) = HeaderValue::from_str(format.media_type()) {
                headers.insert(header::CONTENT_TYPE, value);
            }
            if let Ok(value) =
                HeaderValue::from_str(&format!("attachment; filename=\"{file_name}\""))
            {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            headers.insert(
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            );
            visitor.finish(response)
        }
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}

/// `POST /console/account/closure`: asks to close the account (password as confirmation).
pub async fn request_closure(
    State(state): State<WebState>,
    SignedInForm {
        visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let password = fields.get("password").map_or("", String::as_str);
    let reason = fields.get("reason").map(String::as_str);
    match closure::request(&state.app, &visitor.ctx, &actor, password, reason).await {
        Ok(_) => visitor.redirect("/console/account?done=closure-requested"),
        Err(e) => {
            let mut form = FormState::new();
            form.set("reason", reason.unwrap_or_default());
            form.fail(visitor.locale, &e, &["password", "reason"]);
            account_page(&state, &visitor, form, status_of(&e)).await
        }
    }
}

/// `POST /console/account/closure/withdraw`.
pub async fn withdraw_closure(
    State(state): State<WebState>,
    SignedInForm { visitor, actor, .. }: SignedInForm,
) -> Response {
    match closure::withdraw(&state.app, &visitor.ctx, &actor).await {
        Ok(()) => visitor.redirect("/console/account?done=closure-withdrawn"),
        Err(e) => {
            let mut form = FormState::new();
            form.fail(visitor.locale, &e, &[]);
            account_page(&state, &visitor, form, status_of(&e)).await
        }
    }
}
