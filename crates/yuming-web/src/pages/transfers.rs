//! Transfers: bringing a domain in with its transfer code, and the progress of every
//! transfer and change of holder the account takes part in, with the decisions it may make.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::AppError;
use yuming_app::registrar::{contacts, transfers};
use yuming_core::contact::VerificationStatus;

use super::{Base, FormState, SignedInForm, app_error_page, page, submit_once};
use crate::WebState;
use crate::format;
use crate::i18n::Locale;
use crate::pages::ErrorText;
use crate::session::{Visitor, status_of};

/// A transfer as the list shows it.
pub struct TransferLine {
    /// Id.
    pub id: String,
    /// Transfer or change of holder, and the direction, in words.
    pub what: String,
    /// The domain as people read it.
    pub domain: String,
    /// The A-label.
    pub ascii: String,
    /// Badge class.
    pub badge: &'static str,
    /// Status in words.
    pub status: String,
    /// Requested.
    pub requested: String,
    /// When silence approves it.
    pub auto_approves: String,
    /// The fee.
    pub fee: String,
    /// A rejection's reason.
    pub reason: String,
    /// The account may withdraw it (it asked for it), or decline an offered change of holder.
    pub can_cancel: bool,
    /// The account may accept an offered change of holder.
    pub can_accept: bool,
    /// The account may approve or reject it (it holds the domain).
    pub can_decide: bool,
}

fn line(locale: Locale, t: &transfers::TransferView) -> TransferLine {
    let pending = t.status == "pending";
    let (badge, key) = match t.status.as_str() {
        "approved" | "auto_approved" => ("success", format!("transfer-status-{}", t.status)),
        "rejected" | "cancelled" => ("error", format!("transfer-status-{}", t.status)),
        _ => ("primary", "transfer-status-pending".to_owned()),
    };
    let what = match (t.kind.as_str(), t.gaining) {
        ("transfer", true) => "transfer-in",
        ("transfer", false) => "transfer-out",
        (_, true) => "holder-change-in",
        (_, false) => "holder-change-out",
    };
    TransferLine {
        id: t.id.clone(),
        what: locale.t(what),
        domain: format::unicode_name(&t.domain),
        ascii: t.domain.clone(),
        badge,
        status: locale.t(&key),
        requested: format::datetime(t.requested_at),
        auto_approves: t.auto_approves_at.map(format::datetime).unwrap_or_default(),
        fee: if t.fee.is_zero() {
            String::new()
        } else {
            format::money(t.fee)
        },
        reason: t.reason.clone().unwrap_or_default(),
        can_cancel: pending && (t.gaining || t.kind == "holder_change"),
        can_accept: pending && t.gaining && t.kind == "holder_change",
        can_decide: pending && !t.gaining && t.kind == "transfer",
    }
}

#[derive(Template)]
#[template(path = "console/transfers.html")]
struct TransfersPage {
    base: Base,
    transfers: Vec<TransferLine>,
    contacts: Vec<(String, String)>,
    form: FormState,
}

const TRANSFER_FIELDS: [&str; 3] = ["name", "auth_code", "contact_id"];

async fn transfers_page(
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
        let listed = transfers::list(&state.app, actor, 100).await?;
        let listing = contacts::list(&state.app, actor, None, 200).await?;
        Ok::<_, AppError>((listed, listing))
    }
    .await;
    let (listed, listing) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let template = TransfersPage {
        base: Base::new(visitor, state, "transfers-title", "transfers"),
        transfers: listed.iter().map(|t| line(visitor.locale, t)).collect(),
        contacts: listing
            .contacts
            .iter()
            .filter(|c| c.verification.status == VerificationStatus::Verified)
            .map(|c| (c.id.clone(), format!("{} · {}", c.name, c.id_number_masked)))
            .collect(),
        form,
    };
    page(visitor, status, &template)
}

/// `/console/transfers`.
pub async fn overview(State(state): State<WebState>, visitor: Visitor) -> Response {
    transfers_page(&state, &visitor, FormState::new(), StatusCode::OK).await
}

/// `POST /console/transfers`: a transfer in, with the code from the current registrar; the
/// fee is charged once per rendering of the form.
pub async fn request(
    State(state): State<WebState>,
    SignedInForm {
        mut visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let field = |n: &str| fields.get(n).cloned().unwrap_or_default();
    let (name, code, contact) = (field("name"), field("auth_code"), field("contact_id"));
    let app = state.app.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        transfers::request(&app, &ctx, &actor, name.trim(), code.trim(), &contact).await?;
        Ok("/console/transfers?done=transfer-requested".to_owned())
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &TRANSFER_FIELDS);
            transfers_page(&state, &visitor, form, status_of(&e)).await
        }
    }
}

/// `POST /console/transfers/{id}/cancel`: the gaining side withdraws (the fee is refunded).
pub async fn cancel(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedInForm {
        visitor,
        actor,
        fields: _,
        ..
    }: SignedInForm,
) -> Response {
    let actor = &actor;
    match transfers::cancel(&state.app, &visitor.ctx, actor, &id).await {
        Ok(_) => visitor.redirect("/console/transfers?done=transfer-cancelled"),
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}

/// `POST /console/transfers/decide/{name}` with `approve=true|false` and a reason for a
/// rejection: the holder answers a transfer out before silence approves it.
pub async fn decide(
    State(state): State<WebState>,
    Path(name): Path<String>,
    SignedInForm {
        visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let actor = &actor;
    let approve = fields.get("approve").is_some_and(|v| v == "true");
    let reason = fields
        .get("reason")
        .map(String::as_str)
        .filter(|r| !r.trim().is_empty());
    match transfers::decide(&state.app, &visitor.ctx, actor, &name, approve, reason).await {
        Ok(_) => {
            let done = if approve {
                "transfer-approved"
            } else {
                "transfer-rejected"
            };
            visitor.redirect(&format!("/console/transfers?done={done}"))
        }
        Err(e) if e.kind == yuming_app::ErrorKind::BadRequest => {
            let mut form = FormState::new();
            form.alert = Some(ErrorText::of(visitor.locale, &e));
            transfers_page(&state, &visitor, form, status_of(&e)).await
        }
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}

/// `POST /console/transfers/{id}/accept`: the target of a change of holder accepts it.
pub async fn accept(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedInForm { visitor, actor, .. }: SignedInForm,
) -> Response {
    match transfers::accept_holder_change(&state.app, &visitor.ctx, &actor, &id).await {
        Ok(_) => visitor.redirect("/console/transfers?done=holder-accepted"),
        Err(e) if e.kind == yuming_app::ErrorKind::NotFound => app_error_page(&visitor, &state, &e),
        Err(e) => {
            let mut form = FormState::new();
            form.alert = Some(ErrorText::of(visitor.locale, &e));
            transfers_page(&state, &visitor, form, status_of(&e)).await
        }
    }
}
