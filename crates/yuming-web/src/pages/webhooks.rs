//! Webhooks: endpoints that receive the account's notices as signed HTTP requests, the
//! signing secret (shown once, at creation and on rotation), a test delivery, and each
//! endpoint's delivery log with its attempts and a resend.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::notify::kinds::NoticeKind;
use yuming_app::notify::webhooks::{self, DeliveryView, EndpointInput, EndpointView};
use yuming_app::platform::paging::PageCursor;
use yuming_app::{AppError, ErrorKind};

use super::{Base, FormState, SignedInForm, app_error_page, page};
use crate::WebState;
use crate::format;
use crate::i18n::Locale;
use crate::pages::ErrorText;
use crate::session::{Visitor, status_of};

/// Deliveries an endpoint's page shows.
const DELIVERIES_ON_PAGE: i64 = 20;

fn kind_label(locale: Locale, kind: &str) -> String {
    let key = format!("notice-kind-{}", kind.replace('_', "-"));
    if locale.has(&key) {
        locale.t(&key)
    } else {
        kind.to_owned()
    }
}

/// An endpoint as listed.
pub struct EndpointLine {
    /// Id.
    pub id: String,
    /// Target.
    pub url: String,
    /// Free text.
    pub description: String,
    /// Subscribed kinds in words (empty: every kind).
    pub kinds: String,
    /// Deliveries are made.
    pub enabled: bool,
}

fn endpoint_line(locale: Locale, e: &EndpointView) -> EndpointLine {
    EndpointLine {
        id: e.id.clone(),
        url: e.url.clone(),
        description: e.description.clone(),
        kinds: if e.kinds.is_empty() {
            locale.t("webhooks-all-kinds")
        } else {
            e.kinds
                .iter()
                .map(|k| kind_label(locale, k))
                .collect::<Vec<_>>()
                .join(locale.t("list-separator").as_str())
        },
        enabled: e.enabled,
    }
}

/// Every notice kind as a checkbox: (stable name, label, ticked).
fn kind_boxes(locale: Locale, ticked: &[String]) -> Vec<(String, String, bool)> {
    NoticeKind::ALL
        .iter()
        .map(|k| {
            (
                k.as_str().to_owned(),
                kind_label(locale, k.as_str()),
                ticked.iter().any(|t| t == k.as_str()),
            )
        })
        .collect()
}

fn input_of(fields: &std::collections::HashMap<String, String>, body: &[u8]) -> EndpointInput {
    EndpointInput {
        url: fields.get("url").cloned().unwrap_or_default(),
        description: fields.get("description").cloned().unwrap_or_default(),
        kinds: super::all_values(body, "kind"),
        enabled: fields.get("enabled").is_some_and(|v| v == "on"),
    }
}

const ENDPOINT_FIELDS: [&str; 4] = ["url", "description", "kinds", "enabled"];

#[derive(Template)]
#[template(path = "console/webhooks.html")]
struct ListPage {
    base: Base,
    endpoints: Vec<EndpointLine>,
    kinds: Vec<(String, String, bool)>,
    form: FormState,
}

async fn list_page(
    state: &WebState,
    visitor: &Visitor,
    form: FormState,
    chosen: &[String],
    status: StatusCode,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    let endpoints = match webhooks::list(&state.app, actor).await {
        Ok(endpoints) => endpoints,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let locale = visitor.locale;
    let template = ListPage {
        base: Base::new(visitor, state, "webhooks-title", "webhooks"),
        endpoints: endpoints.iter().map(|e| endpoint_line(locale, e)).collect(),
        kinds: kind_boxes(locale, chosen),
        form,
    };
    page(visitor, status, &template)
}

/// `/console/webhooks`.
pub async fn list(State(state): State<WebState>, visitor: Visitor) -> Response {
    let mut form = FormState::new();
    form.set("enabled", "on");
    list_page(&state, &visitor, form, &[], StatusCode::OK).await
}

/// A delivery in the log.
pub struct DeliveryLine {
    /// Id.
    pub id: String,
    /// Kind in words.
    pub kind: String,
    /// Badge class.
    pub badge: &'static str,
    /// Status in words.
    pub status: String,
    /// Created.
    pub created: String,
    /// Each attempt: time, HTTP status or error.
    pub attempts: Vec<(String, String)>,
    /// Can be sent again.
    pub resendable: bool,
}

fn delivery_line(locale: Locale, d: &DeliveryView) -> DeliveryLine {
    let badge = match d.status.as_str() {
        "sent" => "success",
        "failed" => "error",
        _ => "primary",
    };
    DeliveryLine {
        id: d.id.clone(),
        kind: kind_label(locale, &d.kind),
        badge,
        status: locale.t(&format!("webhooks-delivery-{}", d.status)),
        created: format::datetime(d.created_at),
        attempts: d
            .attempts
            .iter()
            .map(|a| {
                let outcome = match (&a.http_status, &a.error) {
                    (Some(code), _) => format!("HTTP {code}"),
                    (None, Some(error)) => error.clone(),
                    (None, None) => String::new(),
                };
                (format::datetime(a.at), outcome)
            })
            .collect(),
        resendable: d.status != "pending",
    }
}

#[derive(Template)]
#[template(path = "console/webhook.html")]
struct EndpointPage {
    base: Base,
    endpoint: EndpointLine,
    kinds: Vec<(String, String, bool)>,
    deliveries: Vec<DeliveryLine>,
    secret: Option<String>,
    form: FormState,
    alert: Option<ErrorText>,
}

/// What an endpoint's page shows besides the stored endpoint.
#[derive(Default)]
struct Shown {
    /// The signing secret, right after it was made.
    secret: Option<String>,
    /// The settings form as sent, with its errors, and the kinds ticked.
    form: Option<(FormState, Vec<String>)>,
    /// An error of an action, at the top.
    alert: Option<ErrorText>,
}

async fn endpoint_page(
    state: &WebState,
    visitor: &Visitor,
    id: &str,
    shown: Shown,
    status: StatusCode,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    let loaded = async {
        let endpoint = webhooks::get(&state.app, actor, id).await?;
        let deliveries = webhooks::deliveries(
            &state.app,
            actor,
            id,
            &PageCursor::start(),
            DELIVERIES_ON_PAGE,
        )
        .await?;
        Ok::<_, AppError>((endpoint, deliveries))
    }
    .await;
    let (endpoint, deliveries) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let locale = visitor.locale;
    let (form, chosen) = shown.form.unwrap_or_else(|| {
        let mut form = FormState::new();
        form.set("url", &endpoint.url);
        form.set("description", &endpoint.description);
        if endpoint.enabled {
            form.set("enabled", "on");
        }
        (form, endpoint.kinds.clone())
    });
    let template = EndpointPage {
        base: Base::new(visitor, state, "webhook-title", "webhooks"),
        endpoint: endpoint_line(locale, &endpoint),
        kinds: kind_boxes(locale, &chosen),
        deliveries: deliveries
            .items
            .iter()
            .map(|d| delivery_line(locale, d))
            .collect(),
        secret: shown.secret,
        form,
        alert: shown.alert,
    };
    page(visitor, status, &template)
}

/// `/console/webhooks/{id}`: the endpoint, its settings and its delivery log.
pub async fn show(
    State(state): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    endpoint_page(&state, &visitor, &id, Shown::default(), StatusCode::OK).await
}

/// `POST /console/webhooks`: a new endpoint; its page shows the secret this once.
pub async fn create(
    State(state): State<WebState>,
    SignedInForm {
        visitor,
        actor,
        fields,
        body,
    }: SignedInForm,
) -> Response {
    let input = input_of(&fields, &body);
    match webhooks::create(&state.app, &visitor.ctx, &actor, &input).await {
        Ok(created) => {
            let shown = Shown {
                secret: Some(created.secret),
                ..Shown::default()
            };
            endpoint_page(
                &state,
                &visitor,
                &created.endpoint.id,
                shown,
                StatusCode::CREATED,
            )
            .await
        }
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &ENDPOINT_FIELDS);
            list_page(&state, &visitor, form, &input.kinds, status_of(&e)).await
        }
    }
}

/// `POST /console/webhooks/{id}`: changes the endpoint's settings.
pub async fn update(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedInForm {
        visitor,
        actor,
        fields,
        body,
    }: SignedInForm,
) -> Response {
    let input = input_of(&fields, &body);
    match webhooks::update(&state.app, &visitor.ctx, &actor, &id, &input).await {
        Ok(_) => visitor.redirect(&format!("/console/webhooks/{id}?done=webhook-saved")),
        Err(e) if e.kind == ErrorKind::NotFound => app_error_page(&visitor, &state, &e),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &ENDPOINT_FIELDS);
            let status = status_of(&e);
            let shown = Shown {
                form: Some((form, input.kinds)),
                ..Shown::default()
            };
            endpoint_page(&state, &visitor, &id, shown, status).await
        }
    }
}

/// The outcome of an action on an endpoint: back to its page, or the error on it.
async fn after_action(
    state: &WebState,
    visitor: &Visitor,
    id: &str,
    outcome: Result<&str, AppError>,
) -> Response {
    match outcome {
        Ok(done) => visitor.redirect(&format!("/console/webhooks/{id}?done={done}")),
        Err(e) if e.kind == ErrorKind::NotFound => app_error_page(visitor, state, &e),
        Err(e) => {
            let shown = Shown {
                alert: Some(ErrorText::of(visitor.locale, &e)),
                ..Shown::default()
            };
            endpoint_page(state, visitor, id, shown, status_of(&e)).await
        }
    }
}

/// `POST /console/webhooks/{id}/rotate`: a new secret, shown this once.
pub async fn rotate(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedInForm { visitor, actor, .. }: SignedInForm,
) -> Response {
    match webhooks::rotate_secret(&state.app, &visitor.ctx, &actor, &id).await {
        Ok(rotated) => {
            let shown = Shown {
                secret: Some(rotated.secret),
                ..Shown::default()
            };
            endpoint_page(&state, &visitor, &id, shown, StatusCode::OK).await
        }
        Err(e) => after_action(&state, &visitor, &id, Err(e)).await,
    }
}

/// `POST /console/webhooks/{id}/ping`: queues a test delivery.
pub async fn ping(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedInForm { visitor, actor, .. }: SignedInForm,
) -> Response {
    let outcome = webhooks::ping(&state.app, &visitor.ctx, &actor, &id)
        .await
        .map(|_| "webhook-pinged");
    after_action(&state, &visitor, &id, outcome).await
}

/// `POST /console/webhooks/{id}/deliveries/{delivery}/redeliver`.
pub async fn redeliver(
    State(state): State<WebState>,
    Path((id, delivery)): Path<(String, String)>,
    SignedInForm { visitor, actor, .. }: SignedInForm,
) -> Response {
    let outcome = webhooks::redeliver(&state.app, &visitor.ctx, &actor, &id, &delivery)
        .await
        .map(|_| "webhook-redelivered");
    after_action(&state, &visitor, &id, outcome).await
}

/// `POST /console/webhooks/{id}/delete`.
pub async fn delete(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedInForm { visitor, actor, .. }: SignedInForm,
) -> Response {
    match webhooks::delete(&state.app, &visitor.ctx, &actor, &id).await {
        Ok(_) => visitor.redirect("/console/webhooks?done=webhook-deleted"),
        Err(e) => after_action(&state, &visitor, &id, Err(e)).await,
    }
}
