//! The safe cancellation (注销) of a domain, step by step: start it by typing the name, then
//! confirm each step of the checklist (state, dependent filings, the data export, the final
//! notice), then submit it for staff review with the second factor or the e-mailed code.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use yuming_app::ErrorKind;
use yuming_app::registrar::cancellations::{self, Submission};
use yuming_app::registrar::export::ArchiveFormat;

use super::{Base, FormState, SignedInForm, app_error_page, page};
use crate::WebState;
use crate::format;
use crate::pages::ErrorText;
use crate::session::{Visitor, status_of};

/// A step of the checklist as the page shows it.
pub struct StepLine {
    /// Its key.
    pub key: &'static str,
    /// What it asks, in words.
    pub text: String,
    /// Confirmed already.
    pub done: bool,
    /// The one to confirm now.
    pub current: bool,
}

/// A domain of the request.
pub struct DomainLine {
    /// The name as people read it.
    pub name: String,
    /// What approval would refund now.
    pub refund: String,
    /// Filings that depend on it, with what to do.
    pub filings: Vec<String>,
    /// After the decision.
    pub result: String,
}

#[derive(Template)]
#[template(path = "console/cancellation.html")]
struct CancellationPage {
    base: Base,
    id: String,
    status: String,
    badge: &'static str,
    steps: Vec<StepLine>,
    ready: bool,
    requires_totp: bool,
    requires_document: bool,
    domains: Vec<DomainLine>,
    reason: String,
    form: FormState,
}

async fn cancellation_page(
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
    let view = match cancellations::get(&state.app, actor, id).await {
        Ok(view) => view,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let locale = visitor.locale;
    let draft = view.status == "draft";
    let steps = cancellations::STEPS
        .iter()
        .map(|key| StepLine {
            key,
            text: locale.t(&format!("cancel-step-{}", key.replace('_', "-"))),
            done: view.confirmed_steps.iter().any(|s| s == key),
            current: draft && view.next_step.as_deref() == Some(*key),
        })
        .collect();
    let (badge, key) = match view.status.as_str() {
        "approved" => ("success", "cancel-status-approved"),
        "rejected" => ("error", "cancel-status-rejected"),
        "submitted" => ("primary", "cancel-status-submitted"),
        _ => ("warning", "cancel-status-draft"),
    };
    let template = CancellationPage {
        base: Base::new(visitor, state, "cancel-title", "domains"),
        id: view.id.clone(),
        status: locale.t(key),
        badge,
        ready: draft && view.next_step.is_none(),
        steps,
        requires_totp: view.requires_totp,
        requires_document: view.requires_document,
        domains: view
            .domains
            .iter()
            .map(|d| DomainLine {
                name: format::unicode_name(&d.name),
                refund: d.refund_preview.map(format::money).unwrap_or_default(),
                filings: d
                    .filings
                    .iter()
                    .map(|f| format!("{} — {}", f.number, f.note))
                    .collect(),
                result: d.result.clone().unwrap_or_default(),
            })
            .collect(),
        reason: view.reason.clone().unwrap_or_default(),
        form,
    };
    page(visitor, status, &template)
}

/// `POST /console/domains/{name}/cancel`: starts a request; the name must be typed again.
pub async fn start(
    State(state): State<WebState>,
    Path(name): Path<String>,
    SignedInForm {
        visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let typed = fields.get("confirm_name").map_or("", |v| v.trim());
    if typed != name && typed != format::unicode_name(&name) {
        let mut cancel_form = FormState::from_fields(&fields);
        cancel_form.set_error("confirm_name", visitor.locale.t("cancel-type-name-wrong"));
        let extras = super::console::DomainExtras {
            cancel_form,
            ..super::console::DomainExtras::default()
        };
        return super::console::domain_page(
            &state,
            &visitor,
            &name,
            extras,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match cancellations::create(
        &state.app,
        &visitor.ctx,
        &actor,
        std::slice::from_ref(&name),
    )
    .await
    {
        Ok(view) => visitor.redirect(&format!("/console/cancellations/{}", view.id)),
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}

/// `/console/cancellations/{id}`.
pub async fn show(
    State(state): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    cancellation_page(&state, &visitor, &id, FormState::new(), StatusCode::OK).await
}

/// `POST /console/cancellations/{id}/steps/{step}`: confirms the next step.
pub async fn confirm(
    State(state): State<WebState>,
    Path((id, step)): Path<(String, String)>,
    SignedInForm { visitor, actor, .. }: SignedInForm,
) -> Response {
    match cancellations::confirm_step(&state.app, &visitor.ctx, &actor, &id, &step).await {
        Ok(_) => visitor.redirect(&format!("/console/cancellations/{id}")),
        Err(e) if e.kind == ErrorKind::NotFound => app_error_page(&visitor, &state, &e),
        Err(e) => {
            let mut form = FormState::new();
            form.alert = Some(ErrorText::of(visitor.locale, &e));
            cancellation_page(&state, &visitor, &id, form, status_of(&e)).await
        }
    }
}

/// `GET /console/cancellations/{id}/export`: the data export of the request's domains.
pub async fn export(
    State(state): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    match cancellations::export_archive(&state.app, actor, &id, ArchiveFormat::Zip).await {
        Ok(bytes) => {
            let mut response = bytes.into_response();
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/zip"),
            );
            if let Ok(value) =
                HeaderValue::from_str(&format!("attachment; filename=\"{id}-export.zip\""))
            {
                h.insert(header::CONTENT_DISPOSITION, value);
            }
            visitor.finish(response)
        }
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}

/// `POST /console/cancellations/{id}/submit` with the TOTP or e-mailed code.
pub async fn submit(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedInForm {
        visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let code = fields
        .get("code")
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    let totp = fields
        .get("totp")
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    let submission = Submission {
        totp,
        code,
        document: None,
    };
    match cancellations::submit(&state.app, &visitor.ctx, &actor, &id, submission).await {
        Ok(_) => visitor.redirect(&format!(
            "/console/cancellations/{id}?done=cancel-submitted"
        )),
        Err(e) if e.kind == ErrorKind::NotFound => app_error_page(&visitor, &state, &e),
        Err(e) => {
            let mut form = FormState::new();
            form.fail(visitor.locale, &e, &["code", "totp"]);
            cancellation_page(&state, &visitor, &id, form, status_of(&e)).await
        }
    }
}
