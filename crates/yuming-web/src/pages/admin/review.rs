//! Reviewers' queues: real-name contacts, held names and ICP filings. Each item opens on a
//! page with the data as entered beside the uploaded images, the self-check findings and the
//! earlier decisions; opening one shows plain personal data and is an audit entry, which the
//! page says.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::Value;
use yuming_app::filing::{self, FieldRejection, materials};
use yuming_app::registrar::{contact_documents, contacts, domains};
use yuming_app::{AppError, ErrorKind};
use yuming_core::filing::{RejectCode, Severity};

use super::{StaffForm, require_staff, waited};
use crate::WebState;
use crate::format;
use crate::i18n::Locale;
use crate::pages::contacts::image_response;
use crate::pages::{Base, FormState, app_error_page, page, submit_once};
use crate::session::{Visitor, status_of};

/// One item of a queue.
pub struct QueueLine {
    /// Where it opens.
    pub href: String,
    /// Its name.
    pub title: String,
    /// A second line (type, region, operation).
    pub detail: String,
    /// How long it has waited.
    pub waited: String,
    /// Who claimed it, when someone did.
    pub claimed_by: String,
}

#[derive(Template)]
#[template(path = "admin/queue.html")]
struct QueuePage {
    base: Base,
    heading: String,
    lead: String,
    lines: Vec<QueueLine>,
}

fn queue_page(
    visitor: &Visitor,
    state: &WebState,
    key: &str,
    section: &'static str,
    lines: Vec<QueueLine>,
) -> Response {
    let template = QueuePage {
        base: Base::new(visitor, state, key, section),
        heading: visitor.locale.t(key),
        lead: visitor.locale.t(&format!("{key}-lead")),
        lines,
    };
    page(visitor, StatusCode::OK, &template)
}

/// `GET /admin/review/contacts`: contacts waiting for real-name review, oldest first.
pub async fn contact_queue(State(state): State<WebState>, visitor: Visitor) -> Response {
    let actor = match require_staff(&visitor, &state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let listing = match contacts::review_queue(&state.app, actor, None, 200).await {
        Ok(listing) => listing,
        Err(e) => return app_error_page(&visitor, &state, &e),
    };
    let locale = visitor.locale;
    let lines = listing
        .contacts
        .iter()
        .map(|c| QueueLine {
            href: format!("/admin/review/contacts/{}", c.id),
            title: c.name.clone(),
            detail: format!(
                "{} · {} · {} {}",
                locale.t(&format!("id-type-{}", c.id_type.as_str())),
                c.id_number_masked,
                c.region.province,
                c.region.city
            ),
            waited: waited(locale, c.updated_at, visitor.now),
            claimed_by: String::new(),
        })
        .collect();
    queue_page(
        &visitor,
        &state,
        "admin-contacts-title",
        "admin-contacts",
        lines,
    )
}

/// A fact of the item under review: label and value.
pub struct Fact {
    /// What it is.
    pub label: String,
    /// As entered.
    pub value: String,
}

/// An uploaded image on a review page.
pub struct Picture {
    /// Where its bytes are (decrypted on request; the request is audited).
    pub url: String,
    /// What it is.
    pub label: String,
    /// Pixel size and upload time.
    pub detail: String,
}

/// An earlier decision or status change.
pub struct Past {
    /// When.
    pub at: String,
    /// What happened.
    pub what: String,
    /// Why, or by whom.
    pub note: String,
}

#[derive(Template)]
#[template(path = "admin/contact.html")]
struct ContactReviewPage {
    base: Base,
    id: String,
    /// When the contact (or its newest document) last changed, as the page shows it.
    seen: i64,
    name: String,
    pending: bool,
    status: String,
    badge: &'static str,
    facts: Vec<Fact>,
    pictures: Vec<Picture>,
    missing: Vec<String>,
    history: Vec<Past>,
    form: FormState,
}

async fn contact_page(
    state: &WebState,
    visitor: &Visitor,
    id: &str,
    form: FormState,
    status: StatusCode,
) -> Response {
    let actor = match require_staff(visitor, state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let document = match contacts::get_unmasked(&state.app, &visitor.ctx, actor, id).await {
        Ok(document) => document,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let locale = visitor.locale;
    let c = &document.contact;
    let (badge, status_key) = crate::pages::contacts::status_badge(c.verification.status);
    let a = &document.address;
    let facts = vec![
        Fact {
            label: locale.t("field-holder-name"),
            value: c.name.clone(),
        },
        Fact {
            label: locale.t("field-contact-kind"),
            value: locale.t(&format!("contact-kind-{}", c.kind.as_str())),
        },
        Fact {
            label: locale.t("field-id-type"),
            value: locale.t(&format!("id-type-{}", c.id_type.as_str())),
        },
        Fact {
            label: locale.t("field-id-number"),
            value: document.id_number.clone(),
        },
        Fact {
            label: locale.t("field-email"),
            value: c.email.clone(),
        },
        Fact {
            label: locale.t("field-phone"),
            value: c.phone.clone(),
        },
        Fact {
            label: locale.t("admin-contact-address"),
            value: format!(
                "{} {} {} {} {}",
                a.country,
                a.province,
                a.city,
                a.street,
                a.postal_code.as_deref().unwrap_or("")
            )
            .trim()
            .to_owned(),
        },
        Fact {
            label: locale.t("contact-created"),
            value: format::datetime(c.created_at),
        },
    ];
    let pictures = document
        .documents
        .documents
        .iter()
        .filter(|d| d.current)
        .map(|d| Picture {
            url: format!("/admin/review/contacts/{}/documents/{}", c.id, d.id),
            label: locale.t(&format!("upload-kind-{}", d.kind.replace('_', "-"))),
            detail: format!(
                "{}×{} · {}",
                d.width,
                d.height,
                format::datetime(d.created_at)
            ),
        })
        .collect();
    let missing = document
        .documents
        .missing()
        .iter()
        .map(|kind| locale.t(&format!("upload-kind-{}", kind.replace('_', "-"))))
        .collect();
    let history = document
        .history
        .iter()
        .map(|h| {
            let (_, key) = crate::pages::contacts::status_badge(h.to);
            Past {
                at: format::datetime(h.at),
                what: locale.t(key),
                note: h.reason.clone().unwrap_or_default(),
            }
        })
        .collect();
    let seen = document.changed_at().0;
    let template = ContactReviewPage {
        base: Base::new(visitor, state, "admin-contact-title", "admin-contacts"),
        seen,
        id: c.id.clone(),
        name: c.name.clone(),
        pending: c.verification.status == yuming_core::contact::VerificationStatus::Pending,
        status: locale.t(status_key),
        badge,
        facts,
        pictures,
        missing,
        history,
        form,
    };
    page(visitor, status, &template)
}

/// `GET /admin/review/contacts/{id}`: the contact unmasked (audited) with its documents.
pub async fn contact(
    State(state): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    contact_page(&state, &visitor, &id, FormState::new(), StatusCode::OK).await
}

/// `GET /admin/review/contacts/{id}/documents/{document}`: an uploaded image (audited).
pub async fn contact_document(
    State(state): State<WebState>,
    visitor: Visitor,
    Path((id, document)): Path<(String, String)>,
) -> Response {
    let actor = match require_staff(&visitor, &state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    match contact_documents::content(&state.app, &visitor.ctx, actor, &id, &document).await {
        Ok((content_type, bytes)) => image_response(&content_type, bytes),
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}

/// `POST /admin/review/contacts/{id}/decision`: approve, or reject with a reason.
pub async fn contact_decision(
    State(state): State<WebState>,
    Path(id): Path<String>,
    StaffForm {
        mut visitor,
        actor,
        fields,
    }: StaffForm,
) -> Response {
    let decision = fields.get("decision").cloned().unwrap_or_default();
    let reason = fields.get("reason").cloned().unwrap_or_default();
    let seen = seen_of(&fields);
    let app = state.app.clone();
    let contact_id = id.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        let reason = (!reason.trim().is_empty()).then_some(reason.as_str());
        contacts::decide_seen(
            &app,
            &ctx,
            &actor,
            &contact_id,
            &decision,
            reason,
            Some(seen),
        )
        .await?;
        Ok("/admin/review/contacts?done=review-decided".to_owned())
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &["reason"]);
            contact_page(&state, &visitor, &id, form, status_of(&e)).await
        }
    }
}

/// The `seen` field of a decision form: when the item last changed as the reviewer saw it.
/// A form without one (or a forged one) is treated as having seen nothing current.
fn seen_of(fields: &std::collections::HashMap<String, String>) -> yuming_core::clock::Timestamp {
    yuming_core::clock::Timestamp(
        fields
            .get("seen")
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(-1),
    )
}

/// `GET /admin/review/names`: names held for the naming review.
pub async fn name_queue(State(state): State<WebState>, visitor: Visitor) -> Response {
    let actor = match require_staff(&visitor, &state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let views = match domains::naming_review_queue(&state.app, actor, 200).await {
        Ok(views) => views,
        Err(e) => return app_error_page(&visitor, &state, &e),
    };
    let template = NamesPage {
        base: Base::new(&visitor, &state, "admin-names-title", "admin-names"),
        names: views
            .iter()
            .map(|d| QueueLine {
                href: d.ascii.clone(),
                title: d.name.clone(),
                detail: d.ascii.clone(),
                waited: waited(visitor.locale, d.created_at, visitor.now),
                claimed_by: String::new(),
            })
            .collect(),
        form: FormState::new(),
    };
    page(&visitor, StatusCode::OK, &template)
}

#[derive(Template)]
#[template(path = "admin/names.html")]
struct NamesPage {
    base: Base,
    names: Vec<QueueLine>,
    form: FormState,
}

/// `POST /admin/review/names/{name}/decision`: approve a held name, or reject it (the
/// registration is deleted and refunded).
pub async fn name_decision(
    State(state): State<WebState>,
    Path(name): Path<String>,
    StaffForm {
        mut visitor,
        actor,
        fields,
    }: StaffForm,
) -> Response {
    let decision = fields.get("decision").cloned();
    let reason = fields
        .get("reason")
        .cloned()
        .filter(|r| !r.trim().is_empty());
    let app = state.app.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        domains::decide_naming_review(
            &app,
            &ctx,
            &actor,
            &name,
            decision.as_deref(),
            reason.as_deref(),
        )
        .await?;
        Ok("/admin/review/names?done=review-decided".to_owned())
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}

/// `GET /admin/review/filing`: filing orders waiting for the provider's review.
pub async fn filing_queue(State(state): State<WebState>, visitor: Visitor) -> Response {
    let actor = match require_staff(&visitor, &state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let orders = match filing::review_queue(&state.app, actor).await {
        Ok(orders) => orders,
        Err(e) => return app_error_page(&visitor, &state, &e),
    };
    let locale = visitor.locale;
    let lines = orders
        .iter()
        .map(|o| QueueLine {
            href: format!("/admin/review/filing/{}", o.id),
            title: o.payload.site.as_ref().map_or_else(
                || o.payload.entity.name.clone(),
                |s| format!("{} · {}", s.name, s.domain),
            ),
            detail: format!(
                "{} · {} · {}",
                o.payload.entity.name,
                operation_words(locale, o.operation.as_str()),
                o.payload.entity.province
            ),
            waited: waited(locale, o.submitted_at.unwrap_or(o.updated_at), visitor.now),
            claimed_by: o.claimed_by.clone().unwrap_or_default(),
        })
        .collect();
    queue_page(
        &visitor,
        &state,
        "admin-filings-title",
        "admin-filings",
        lines,
    )
}

fn operation_words(locale: Locale, operation: &str) -> String {
    let key = format!("filing-op-{operation}");
    if locale.has(&key) {
        locale.t(&key)
    } else {
        operation.to_owned()
    }
}

/// One self-check finding on the review page.
pub struct Finding {
    /// Its code from the rejection catalogue.
    pub code: String,
    /// The field.
    pub field: String,
    /// Blocking.
    pub blocking: bool,
    /// What is wrong.
    pub message: String,
}

#[derive(Template)]
#[template(path = "admin/filing.html")]
struct FilingReviewPage {
    base: Base,
    id: String,
    /// When the order last changed, as the page shows it.
    seen: i64,
    title: String,
    status: String,
    badge: &'static str,
    claimed_by_me: bool,
    claimed_by_other: Option<String>,
    in_review: bool,
    facts: Vec<Fact>,
    findings: Vec<Finding>,
    pictures: Vec<Picture>,
    history: Vec<Past>,
    notes: Vec<Past>,
    /// The entity's other orders: (when, operation and status, decisions).
    earlier: Vec<(String, String, Vec<Past>)>,
    fields: Vec<(String, String)>,
    codes: Vec<(String, String)>,
    form: FormState,
}

/// The payload flattened to (`entity.name`, value) pairs, in order: every field the
/// applicant entered, whatever the operation.
fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&path, inner, out);
            }
        }
        Value::Array(items) if items.iter().all(|i| !i.is_object()) => {
            let joined: Vec<String> = items.iter().map(scalar).collect();
            out.push((prefix.to_owned(), joined.join(", ")));
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), inner, out);
            }
        }
        Value::Null => {}
        other => out.push((prefix.to_owned(), scalar(other))),
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "✓".into(),
        Value::Bool(false) => "✗".into(),
        other => other.to_string(),
    }
}

async fn filing_page(
    state: &WebState,
    visitor: &Visitor,
    id: &str,
    form: FormState,
    status: StatusCode,
) -> Response {
    let actor = match require_staff(visitor, state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let app = &state.app;
    let loaded = async {
        let view = filing::review_view(app, &visitor.ctx, actor, id).await?;
        let notes = filing::notes(app, actor, id).await?;
        Ok::<_, AppError>((view, notes))
    }
    .await;
    let (view, notes) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let locale = visitor.locale;
    let order = &view.order;
    let mut pairs = Vec::new();
    flatten(
        "",
        &serde_json::to_value(&order.payload).unwrap_or_default(),
        &mut pairs,
    );
    let label_of = |path: &str| {
        let key = format!("filing-field-{}", path.replace(['.', '[', ']'], "-"));
        if locale.has(&key) {
            format!("{} ({path})", locale.t(&key))
        } else {
            path.to_owned()
        }
    };
    let facts = pairs
        .iter()
        .map(|(path, value)| Fact {
            label: label_of(path),
            value: value.clone(),
        })
        .collect();
    let mut paths: Vec<String> = pairs.iter().map(|(path, _)| path.clone()).collect();
    paths.extend(materials::KINDS.iter().map(|k| format!("materials.{k}")));
    let fields: Vec<(String, String)> = paths
        .into_iter()
        .map(|path| {
            let label = label_of(&path);
            (path, label)
        })
        .collect();
    let findings = view
        .check
        .problems
        .iter()
        .map(|p| Finding {
            code: p.code.as_str().to_owned(),
            field: label_of(&p.field),
            blocking: p.severity == Severity::Blocking,
            message: match locale {
                Locale::ZhCn => p.message_zh.clone(),
                Locale::En => p.message.clone(),
            },
        })
        .collect();
    let pictures = view
        .materials
        .iter()
        .filter(|m| m.current)
        .map(|m| Picture {
            url: format!("/admin/review/filing/{}/materials/{}", order.id, m.id),
            label: locale.t(&format!("upload-kind-{}", m.kind.replace('_', "-"))),
            detail: format!(
                "{}×{} · {}",
                m.width,
                m.height,
                format::datetime(m.created_at)
            ),
        })
        .collect();
    let (badge, status_words) = crate::pages::filing::status_words(locale, order.status.as_str());
    let claimed_by = order.claimed_by.clone();
    let template = FilingReviewPage {
        base: Base::new(visitor, state, "admin-filing-title", "admin-filings"),
        seen: order.updated_at.0,
        id: order.id.clone(),
        title: order.payload.site.as_ref().map_or_else(
            || order.payload.entity.name.clone(),
            |s| format!("{} · {}", s.name, s.domain),
        ),
        status: status_words,
        badge,
        claimed_by_me: claimed_by.as_deref() == Some(actor.account_id.as_str()),
        claimed_by_other: claimed_by.filter(|c| *c != actor.account_id),
        in_review: order.status.as_str() == "PROVIDER_REVIEW",
        facts,
        findings,
        pictures,
        history: view
            .history
            .iter()
            .map(|h| Past {
                at: format::datetime(h.at),
                what: crate::pages::filing::status_words(locale, &h.to).1,
                note: h.note.clone().unwrap_or_default(),
            })
            .collect(),
        notes: notes.iter().map(past_of_note).collect(),
        earlier: view
            .earlier
            .iter()
            .map(|e| {
                (
                    format::datetime(e.updated_at),
                    format!(
                        "{} · {}",
                        operation_words(locale, &e.operation),
                        crate::pages::filing::status_words(locale, &e.status).1
                    ),
                    e.decisions.iter().map(past_of_note).collect(),
                )
            })
            .collect(),
        fields,
        codes: reject_codes(locale),
        form,
    };
    page(visitor, status, &template)
}

/// A filing note (a rejection with its field and code, or a message) as a line of history.
fn past_of_note(n: &yuming_app::filing::NoteView) -> Past {
    Past {
        at: format::datetime(n.at),
        what: format!(
            "{} {}",
            n.field.clone().unwrap_or_default(),
            n.code.clone().unwrap_or_default()
        )
        .trim()
        .to_owned(),
        note: n.body.clone(),
    }
}

/// The rejection catalogue (spec §1.8) as choices: code and its words.
fn reject_codes(locale: Locale) -> Vec<(String, String)> {
    RejectCode::all()
        .map(|code| {
            let key = format!("reject-code-{}", code.as_str());
            let words = if locale.has(&key) {
                locale.t(&key)
            } else {
                code.as_str().to_owned()
            };
            (
                code.as_str().to_owned(),
                format!("{} · {words}", code.as_str()),
            )
        })
        .collect()
}

/// `GET /admin/review/filing/{id}`: the order unmasked (audited), findings, materials.
pub async fn filing_order(
    State(state): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    filing_page(&state, &visitor, &id, FormState::new(), StatusCode::OK).await
}

/// `GET /admin/review/filing/{id}/materials/{material}`: an uploaded material (audited).
pub async fn filing_material(
    State(state): State<WebState>,
    visitor: Visitor,
    Path((id, material)): Path<(String, String)>,
) -> Response {
    let actor = match require_staff(&visitor, &state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    match materials::download(&state.app, actor, &id, &material).await {
        Ok((content_type, bytes)) => image_response(&content_type, bytes),
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}

/// `POST /admin/review/filing/{id}/{action}`: `claim`, `approve` or `reject` (with a field,
/// a code from the catalogue and a comment for the applicant).
pub async fn filing_action(
    State(state): State<WebState>,
    Path((id, action)): Path<(String, String)>,
    StaffForm {
        mut visitor,
        actor,
        fields,
    }: StaffForm,
) -> Response {
    let app = state.app.clone();
    let order_id = id.clone();
    let rejection = FieldRejection {
        field: fields.get("field").cloned().unwrap_or_default(),
        code: fields.get("code").cloned().unwrap_or_default(),
        comment: fields.get("comment").cloned().unwrap_or_default(),
    };
    let seen = Some(seen_of(&fields));
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        match action.as_str() {
            "claim" => {
                filing::claim(&app, &ctx, &actor, &order_id).await?;
                Ok(format!(
                    "/admin/review/filing/{order_id}?done=review-claimed"
                ))
            }
            "release" => {
                filing::release(&app, &ctx, &actor, &order_id).await?;
                Ok("/admin/review/filing?done=review-released".to_owned())
            }
            "approve" => {
                filing::approve_seen(&app, &ctx, &actor, &order_id, seen).await?;
                Ok("/admin/review/filing?done=review-decided".to_owned())
            }
            "reject" => {
                if rejection.comment.trim().is_empty() {
                    return Err(AppError::bad_request(
                        "REJECTION_COMMENT_REQUIRED",
                        "tell the applicant what to change",
                        "请写明申请人需要修改的内容",
                    )
                    .with_field("comment"));
                }
                filing::reject_seen(&app, &ctx, &actor, &order_id, &[rejection], seen).await?;
                Ok("/admin/review/filing?done=review-decided".to_owned())
            }
            _ => Err(AppError::not_found()),
        }
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) if e.kind == ErrorKind::NotFound => app_error_page(&visitor, &state, &e),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &["field", "code", "comment"]);
            filing_page(&state, &visitor, &id, form, status_of(&e)).await
        }
    }
}
