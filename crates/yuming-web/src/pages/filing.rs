//! ICP filing in steps: the entity (主体), then a site (网站) with its servers, which opens the
//! order; the order's page shows the self-check with each finding and its fix, the progress
//! and the submission.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::filing::{
    self, EntityInput, NewOrderInput, PersonInput, SiteInput, materials, materials::MaterialView,
};
use yuming_app::{AppError, ErrorKind};
use yuming_core::filing::Severity;

use super::contacts::{UploadSlot, image_response};
use super::upload::UploadForm;
use super::{Base, CheckedForm, FormState, SignedInForm, app_error_page, page};
use crate::WebState;
use crate::format;
use crate::i18n::Locale;
use crate::pages::ErrorText;
use crate::session::{Visitor, status_of};

/// Entity types in the order people look for them.
const ENTITY_TYPES: [&str; 18] = [
    "PERSON",
    "ENTERPRISE",
    "PUBLIC_INST",
    "SOCIAL_ORG",
    "PRIVATE_NONENT",
    "GOV",
    "FOUNDATION",
    "LAW_FIRM",
    "MEDICAL",
    "NOTARY",
    "ARBITRATION",
    "FORENSIC",
    "COLLECTIVE",
    "MASS_ORG",
    "RELIGIOUS",
    "FOREIGN_CULTURE",
    "OVERSEAS",
    "DEFENSE",
];

const CERT_TYPES: [&str; 6] = [
    "resident_id",
    "uscc",
    "passport",
    "hk_macau_permit",
    "taiwan_permit",
    "foreign_permanent_resident",
];

fn options(locale: Locale, prefix: &str, keys: &[&str]) -> Vec<(String, String)> {
    keys.iter()
        .filter(|k| locale.has(&format!("{prefix}{k}")))
        .map(|k| ((*k).to_owned(), locale.t(&format!("{prefix}{k}"))))
        .collect()
}

pub(crate) fn status_words(locale: Locale, status: &str) -> (&'static str, String) {
    let badge = match status {
        "APPROVED" | "filed" => "success",
        "PROVIDER_REJECTED" | "BUREAU_REJECTED" | "RETURNED" | "ABANDONED" | "cancelled" => "error",
        "SMS_VERIFY" | "FILLING" | "DRAFT" | "draft" => "warning",
        _ => "primary",
    };
    let key = format!("filing-status-{status}");
    let words = if locale.has(&key) {
        locale.t(&key)
    } else {
        status.to_owned()
    };
    (badge, words)
}

/// An entity in the list.
pub struct EntityLine {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Type in words.
    pub kind: String,
    /// Province.
    pub province: String,
    /// 主体备案号.
    pub subject_no: String,
    /// Badge class.
    pub badge: &'static str,
    /// Status in words.
    pub status: String,
}

/// An order in the list.
pub struct OrderLine {
    /// Id.
    pub id: String,
    /// Operation in words.
    pub operation: String,
    /// Site domain, when it has one.
    pub domain: String,
    /// Badge class.
    pub badge: &'static str,
    /// Status in words.
    pub status: String,
    /// Last change.
    pub updated: String,
    /// Waiting for the code the authority texted to the principal.
    pub sms: bool,
}

#[derive(Template)]
#[template(path = "console/filing.html")]
struct FilingPage {
    base: Base,
    entities: Vec<EntityLine>,
    orders: Vec<OrderLine>,
}

fn order_line(locale: Locale, order: &filing::OrderView) -> OrderLine {
    let (badge, status) = status_words(locale, order.status.as_str());
    let op_key = format!("filing-op-{}", order.operation.as_str());
    OrderLine {
        id: order.id.clone(),
        operation: if locale.has(&op_key) {
            locale.t(&op_key)
        } else {
            order.operation.as_str().to_owned()
        },
        domain: order
            .payload
            .site
            .as_ref()
            .map(|s| format::unicode_name(&s.domain))
            .unwrap_or_default(),
        badge,
        status,
        updated: format::datetime(order.updated_at),
        sms: order.status.as_str() == "SMS_VERIFY",
    }
}

/// `/console/filing`: the account's entities and orders.
pub async fn overview(State(state): State<WebState>, visitor: Visitor) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    let loaded = async {
        let entities = filing::list_entities(&state.app, actor).await?;
        let orders = filing::list_orders(&state.app, actor).await?;
        Ok::<_, AppError>((entities, orders))
    }
    .await;
    let (entities, orders) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return app_error_page(&visitor, &state, &e),
    };
    let locale = visitor.locale;
    let template = FilingPage {
        base: Base::new(&visitor, &state, "filing-title", "filing"),
        entities: entities
            .iter()
            .map(|e| {
                let (badge, status) = status_words(locale, &e.status);
                EntityLine {
                    id: e.id.clone(),
                    name: e.name.clone(),
                    kind: locale.t(&format!("entity-type-{}", e.entity_type)),
                    province: e.province.clone(),
                    subject_no: e.subject_no.clone().unwrap_or_default(),
                    badge,
                    status,
                }
            })
            .collect(),
        orders: orders.iter().map(|o| order_line(locale, o)).collect(),
    };
    page(&visitor, StatusCode::OK, &template)
}

#[derive(Template)]
#[template(path = "console/filing_entity_form.html")]
struct EntityFormPage {
    base: Base,
    form: FormState,
    entity_types: Vec<(String, String)>,
    cert_types: Vec<(String, String)>,
}

const ENTITY_FIELDS: [&str; 13] = [
    "entity.entity_type",
    "entity.name",
    "entity.province",
    "entity.cert_type",
    "entity.cert_no",
    "entity.cert_valid_until",
    "entity.address",
    "entity.principal.name",
    "entity.principal.id_type",
    "entity.principal.id_number",
    "entity.principal.id_valid_until",
    "entity.principal.mobile",
    "entity.principal.email",
];

fn entity_form(
    state: &WebState,
    visitor: &Visitor,
    form: FormState,
    status: StatusCode,
) -> Response {
    let template = EntityFormPage {
        base: Base::new(visitor, state, "filing-entity-title", "filing"),
        form,
        entity_types: options(visitor.locale, "entity-type-", &ENTITY_TYPES),
        cert_types: options(visitor.locale, "id-type-", &CERT_TYPES),
    };
    page(visitor, status, &template)
}

/// `/console/filing/new`: step 1, the entity.
pub async fn new_entity(State(state): State<WebState>, visitor: Visitor) -> Response {
    if let Err(login) = visitor.require_actor() {
        return login;
    }
    let mut form = FormState::new();
    form.set("entity.entity_type", "PERSON");
    form.set("entity.cert_type", "resident_id");
    form.set("entity.principal.id_type", "resident_id");
    entity_form(&state, &visitor, form, StatusCode::OK)
}

fn optional(fields: &HashMap<String, String>, name: &str) -> Option<String> {
    fields
        .get(name)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn person(fields: &HashMap<String, String>, prefix: &str) -> PersonInput {
    let field = |n: &str| {
        fields
            .get(&format!("{prefix}.{n}"))
            .cloned()
            .unwrap_or_default()
    };
    PersonInput {
        name: field("name"),
        id_type: field("id_type"),
        id_number: field("id_number"),
        id_valid_until: optional(fields, &format!("{prefix}.id_valid_until")),
        mobile: field("mobile"),
        email: field("email"),
    }
}

/// `POST /console/filing/new`: the entity is kept as a draft; the site comes next.
pub async fn create_entity(
    State(state): State<WebState>,
    SignedInForm {
        visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let actor = &actor;
    let field = |n: &str| fields.get(n).cloned().unwrap_or_default();
    let input = EntityInput {
        entity_type: field("entity.entity_type"),
        name: field("entity.name"),
        province: field("entity.province"),
        cert_type: field("entity.cert_type"),
        cert_no: field("entity.cert_no"),
        cert_valid_until: optional(&fields, "entity.cert_valid_until"),
        address: field("entity.address"),
        principal: person(&fields, "entity.principal"),
        principal_is_legal_rep: true,
    };
    match filing::create_entity(&state.app, &visitor.ctx, actor, &input).await {
        Ok(entity) => visitor.redirect(&format!(
            "/console/filing/entities/{}?done=entity-saved",
            entity.id
        )),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &ENTITY_FIELDS);
            entity_form(&state, &visitor, form, status_of(&e))
        }
    }
}

#[derive(Template)]
#[template(path = "console/filing_entity.html")]
struct EntityPage {
    base: Base,
    entity: EntityLine,
    cert_masked: String,
    sites: Vec<(String, String, String, &'static str, String, bool)>,
    form: FormState,
    cert_types: Vec<(String, String)>,
}

const SITE_FIELDS: [&str; 13] = [
    "site.name",
    "site.domain",
    "site.homepage",
    "site.content_types",
    "site.purpose",
    "site.servers",
    "site.principal.name",
    "site.principal.id_type",
    "site.principal.id_number",
    "site.principal.id_valid_until",
    "site.principal.mobile",
    "site.principal.email",
    "site",
];

async fn entity_page(
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
    let (entity, sites) = match filing::get_entity(&state.app, actor, id).await {
        Ok(found) => found,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let locale = visitor.locale;
    let (badge, words) = status_words(locale, &entity.status);
    let template = EntityPage {
        base: Base::new(visitor, state, "filing-entity-title", "filing"),
        entity: EntityLine {
            id: entity.id.clone(),
            name: entity.name.clone(),
            kind: locale.t(&format!("entity-type-{}", entity.entity_type)),
            province: entity.province.clone(),
            subject_no: entity.subject_no.clone().unwrap_or_default(),
            badge,
            status: words,
        },
        cert_masked: entity.cert_masked.clone(),
        sites: sites
            .iter()
            .map(|s| {
                let (badge, words) = status_words(locale, &s.status);
                (
                    s.id.clone(),
                    format::unicode_name(&s.domain),
                    s.site_no.clone().unwrap_or_default(),
                    badge,
                    words,
                    s.status == "draft",
                )
            })
            .collect(),
        form,
        cert_types: options(locale, "id-type-", &CERT_TYPES),
    };
    page(visitor, status, &template)
}

/// `/console/filing/entities/{id}`: step 2, a site.
pub async fn entity(
    State(state): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    let mut form = FormState::new();
    form.set("site.principal.id_type", "resident_id");
    form.set("site.content_types", "0");
    entity_page(&state, &visitor, &id, form, StatusCode::OK).await
}

/// `POST /console/filing/entities/{id}/sites`: the site, and the first filing's order for
/// it; the order's page comes next.
pub async fn create_site(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedInForm {
        visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let actor = &actor;
    let field = |n: &str| fields.get(n).cloned().unwrap_or_default();
    let content_type: u8 = field("site.content_types").parse().unwrap_or(0);
    let input = SiteInput {
        name: field("site.name"),
        domain: field("site.domain"),
        homepage: field("site.homepage"),
        content_types: vec![content_type],
        preapprovals: Vec::new(),
        purpose: field("site.purpose"),
        languages: vec!["zh-CN".to_owned()],
        principal: person(&fields, "site.principal"),
        servers: field("site.servers")
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        remarks: None,
    };
    let app = &state.app;
    let site = match filing::create_site(app, &visitor.ctx, actor, &id, &input).await {
        Ok(site) => site,
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &SITE_FIELDS);
            return entity_page(&state, &visitor, &id, form, status_of(&e)).await;
        }
    };
    start_order(&state, &visitor, &id, &site.id).await
}

async fn start_order(
    state: &WebState,
    visitor: &Visitor,
    entity_id: &str,
    site_id: &str,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    let input = NewOrderInput {
        operation: "FIRST".to_owned(),
        entity_id: entity_id.to_owned(),
        site_id: Some(site_id.to_owned()),
    };
    match filing::create_order(&state.app, &visitor.ctx, actor, &input).await {
        Ok(order) => visitor.redirect(&format!(
            "/console/filing/orders/{}?done=order-started",
            order.id
        )),
        Err(e) => {
            // The site stays as a draft of the entity; its page offers to start again.
            let mut form = FormState::new();
            form.alert = Some(ErrorText::of(visitor.locale, &e));
            entity_page(state, visitor, entity_id, form, status_of(&e)).await
        }
    }
}

/// `POST /console/filing/entities/{id}/sites/{site}/order`: the first filing of a draft site
/// whose order could not be opened before (another order of the entity was in progress).
pub async fn order_site(
    State(state): State<WebState>,
    Path((id, site)): Path<(String, String)>,
    CheckedForm {
        visitor, fields: _, ..
    }: CheckedForm,
) -> Response {
    start_order(&state, &visitor, &id, &site).await
}

/// One self-check finding as the page shows it.
pub struct FindingLine {
    /// The authority's rejection code.
    pub code: String,
    /// The field in words (and its path).
    pub field: String,
    /// Blocking.
    pub blocking: bool,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub fix: String,
    /// The help article's section that explains the code.
    pub help: String,
}

#[derive(Template)]
#[template(path = "console/filing_order.html")]
struct OrderPage {
    base: Base,
    order: OrderLine,
    entity_id: String,
    editable: bool,
    findings: Vec<FindingLine>,
    submittable: bool,
    history: Vec<(String, String, String)>,
    alert: Option<String>,
    slots: Vec<UploadSlot>,
    upload_action: String,
    extra_kinds: Vec<(String, String)>,
    extra_error: Option<String>,
    edit_fields: Vec<EditField>,
    edit_lead: String,
    edit_alert: Option<ErrorText>,
    /// The reviewer's comments since the last submission: (field, code, comment).
    review_notes: Vec<(String, String, String)>,
}

/// A field of the order's proposed data in the edit form.
pub struct EditField {
    /// Dotted path, the input's name.
    pub name: &'static str,
    /// Label.
    pub label: String,
    /// What it holds now (or what was typed).
    pub value: String,
    /// A list, one item per line.
    pub multiline: bool,
    /// The error beside it.
    pub error: Option<ErrorText>,
}

/// The fields of an order the console edits, with their label keys. Document numbers are
/// not among them: the page only ever sees them masked.
const EDITABLE: [(&str, &str); 11] = [
    ("site.name", "filing-site-name"),
    ("site.homepage", "filing-homepage"),
    ("site.purpose", "filing-purpose"),
    ("site.servers", "filing-servers"),
    ("site.principal.name", "filing-edit-site-principal-name"),
    ("site.principal.mobile", "filing-edit-site-principal-mobile"),
    ("site.principal.email", "filing-edit-site-principal-email"),
    ("entity.name", "filing-entity-name"),
    ("entity.address", "filing-address"),
    (
        "entity.principal.mobile",
        "filing-edit-entity-principal-mobile",
    ),
    (
        "entity.principal.email",
        "filing-edit-entity-principal-email",
    ),
];

/// The current value of a field of the proposed data (serialized once), found by the same
/// dotted path the edit form writes it back by: text as it is, a list one item per line.
fn payload_value(payload: &serde_json::Value, path: &str) -> Option<String> {
    match path
        .split('.')
        .try_fold(payload, |node, key| node.get(key))?
    {
        serde_json::Value::String(text) => Some(text.clone()),
        serde_json::Value::Array(items) => Some(
            items
                .iter()
                .filter_map(serde_json::Value::as_str)
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        _ => None,
    }
}

/// The edit form's fields: those the order's operation changes and its status lets the
/// applicant change now (the same rules the app enforces on saving).
fn edit_fields(locale: Locale, order: &filing::OrderView, typed: &FormState) -> Vec<EditField> {
    let payload = serde_json::to_value(&order.payload).unwrap_or_default();
    EDITABLE
        .iter()
        .filter(|(path, _)| {
            order.operation.may_change(path)
                && yuming_core::filing::field_editable(order.status, &order.rejected_fields, path)
        })
        .filter_map(|(path, label)| {
            let current = payload_value(&payload, path)?;
            let value = typed.typed(path).map_or(current, str::to_owned);
            Some(EditField {
                name: path,
                label: locale.t(label),
                value,
                multiline: *path == "site.servers",
                error: typed.error(path).cloned(),
            })
        })
        .collect()
}

/// The material slots of an order: each kind the self-check asks for (a `materials.<kind>`
/// finding) or that has a current upload, in the order of [`materials::KINDS`]; the other
/// kinds are offered in one extra form. The page decides nothing about which materials an
/// order needs: the self-check does.
fn material_slots(
    locale: Locale,
    order_id: &str,
    report_fields: &[String],
    uploaded: &[MaterialView],
) -> (Vec<UploadSlot>, Vec<(String, String)>) {
    let mut slots = Vec::new();
    let mut extra = Vec::new();
    for kind in materials::KINDS {
        let current = uploaded.iter().find(|m| m.current && m.kind == kind);
        let asked = report_fields
            .iter()
            .any(|f| f.strip_prefix("materials.") == Some(kind));
        if current.is_none() && !asked {
            extra.push((
                kind.to_owned(),
                locale.t(&format!("upload-kind-{}", kind.replace('_', "-"))),
            ));
            continue;
        }
        let mut slot = UploadSlot::new(locale, kind);
        if let Some(m) = current {
            let url = format!("/console/filing/orders/{order_id}/materials/{}", m.id);
            slot = slot.with_current(locale, url, m);
        }
        slots.push(slot);
    }
    (slots, extra)
}

async fn order_page(
    state: &WebState,
    visitor: &Visitor,
    id: &str,
    alert: Option<String>,
    status: StatusCode,
) -> Response {
    let shown = OrderShown {
        alert,
        ..OrderShown::default()
    };
    order_page_with(state, visitor, id, shown, status).await
}

/// What the order page shows besides the order: an alert at the top, a refused upload
/// beside its slot, the edit form as it was typed with its errors.
#[derive(Default)]
struct OrderShown {
    alert: Option<String>,
    failed_upload: Option<(String, String)>,
    edit_form: Option<FormState>,
}

async fn order_page_with(
    state: &WebState,
    visitor: &Visitor,
    id: &str,
    shown: OrderShown,
    status: StatusCode,
) -> Response {
    let OrderShown {
        alert,
        failed_upload,
        edit_form,
    } = shown;
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    let app = &state.app;
    let loaded = async {
        let order = filing::get_order(app, actor, id).await?;
        let history = filing::history(app, actor, id).await?;
        let editable = matches!(
            order.status.as_str(),
            "DRAFT" | "FILLING" | "PROVIDER_REJECTED" | "RETURNED" | "BUREAU_REJECTED"
        );
        let report = if editable {
            Some(filing::check(app, actor, id).await?)
        } else {
            None
        };
        let uploaded = materials::list(app, actor, id).await?;
        let notes = filing::notes(app, actor, id).await?;
        Ok::<_, AppError>((order, history, report, editable, uploaded, notes))
    }
    .await;
    let (order, history, report, editable, uploaded, notes) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let locale = visitor.locale;
    let report_fields: Vec<String> = report
        .as_ref()
        .map(|r| r.problems.iter().map(|p| p.field.clone()).collect())
        .unwrap_or_default();
    let (mut slots, extra_kinds) = material_slots(locale, id, &report_fields, &uploaded);
    let mut extra_error = None;
    let mut alert = alert;
    if let Some((kind, message)) = failed_upload {
        // Only a slot with its form shows an error; otherwise it stands at the top.
        if !editable {
            alert = Some(message);
        } else if let Some(slot) = slots.iter_mut().find(|s| s.kind == kind) {
            slot.error = Some(message);
        } else {
            extra_error = Some(message);
        }
    }
    let (findings, submittable) = match report {
        Some(report) => (
            report
                .problems
                .iter()
                .map(|p| {
                    let key = format!("filing-field-{}", p.field.replace(['.', '[', ']'], "-"));
                    let field = if locale.has(&key) {
                        format!("{} ({})", locale.t(&key), p.field)
                    } else {
                        p.field.clone()
                    };
                    let (message, fix) = match locale {
                        Locale::ZhCn => (p.message_zh.clone(), p.fix_zh.clone()),
                        Locale::En => (p.message.clone(), p.fix.clone()),
                    };
                    FindingLine {
                        help: yuming_core::help::article_for_code(p.code.as_str())
                            .map(|link| link.path())
                            .unwrap_or_default(),
                        code: p.code.as_str().to_owned(),
                        field,
                        blocking: p.severity == Severity::Blocking,
                        message,
                        fix,
                    }
                })
                .collect(),
            report.submittable,
        ),
        None => (Vec::new(), false),
    };
    let edit_form = edit_form.unwrap_or_default();
    let fields = if editable {
        edit_fields(locale, &order, &edit_form)
    } else {
        Vec::new()
    };
    let shown_fields: Vec<&str> = fields.iter().map(|f| f.name).collect();
    let edit_lead = locale.t(match order.status.as_str() {
        "DRAFT" | "FILLING" => "filing-edit-lead",
        _ => "filing-edit-lead-rejected",
    });
    // A rejection's comments matter until the applicant submits again.
    let since = order.submitted_at.map_or(0, |at| at.0);
    let review_notes = if editable {
        notes
            .iter()
            .filter(|n| n.from_staff && n.kind == "rejection" && n.at.0 >= since)
            .map(|n| {
                let field = n.field.clone().unwrap_or_default();
                let key = format!("filing-field-{}", field.replace(['.', '[', ']'], "-"));
                let label = if locale.has(&key) {
                    locale.t(&key)
                } else {
                    field
                };
                (label, n.code.clone().unwrap_or_default(), n.body.clone())
            })
            .collect()
    } else {
        Vec::new()
    };
    let template = OrderPage {
        review_notes,
        base: Base::new(visitor, state, "filing-order-title", "filing"),
        edit_fields: fields,
        edit_lead,
        edit_alert: edit_form.alert_besides(&shown_fields),
        order: order_line(locale, &order),
        entity_id: order.entity_id.clone(),
        editable,
        findings,
        submittable,
        history: history
            .iter()
            .map(|h| {
                let (_, words) = status_words(locale, &h.to);
                (
                    format::datetime(h.at),
                    words,
                    h.note.clone().unwrap_or_default(),
                )
            })
            .collect(),
        alert,
        slots,
        upload_action: format!("/console/filing/orders/{}/materials", order.id),
        extra_kinds,
        extra_error,
    };
    page(visitor, status, &template)
}

/// `POST /console/filing/orders/{id}/materials`: one material (`kind`, `file`), through the
/// same checks as the API's upload; a refused file is explained next to its slot.
pub async fn upload_material(
    State(state): State<WebState>,
    Path(id): Path<String>,
    UploadForm {
        visitor,
        actor,
        fields,
        file,
    }: UploadForm,
) -> Response {
    let kind = fields.get("kind").cloned().unwrap_or_default();
    let result = match file {
        Ok(file) => {
            materials::upload(&state.app, &visitor.ctx, &actor, &id, &kind, file.bytes).await
        }
        Err(problem) => Err(problem.error()),
    };
    match result {
        Ok(_) => visitor.redirect(&format!(
            "/console/filing/orders/{id}?done=material-uploaded"
        )),
        Err(e) if e.kind == ErrorKind::NotFound => app_error_page(&visitor, &state, &e),
        Err(e) => {
            let shown = OrderShown {
                failed_upload: Some((kind, visitor.locale.error_message(&e))),
                ..OrderShown::default()
            };
            order_page_with(&state, &visitor, &id, shown, status_of(&e)).await
        }
    }
}

/// `/console/filing/orders/{id}/materials/{material}`: the stored (re-encoded) file.
pub async fn material_image(
    State(state): State<WebState>,
    visitor: Visitor,
    Path((id, material)): Path<(String, String)>,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    match materials::download(&state.app, actor, &id, &material).await {
        Ok((content_type, bytes)) => image_response(&content_type, bytes),
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}

/// `/console/filing/orders/{id}`: the self-check, progress and submission.
pub async fn order(
    State(state): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    order_page(&state, &visitor, &id, None, StatusCode::OK).await
}

/// `POST /console/filing/orders/{id}/fields`: the edit form; only the fields that differ
/// change, through the same checks as the API's update.
pub async fn update_fields(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedInForm {
        visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let changes: Vec<(String, serde_json::Value)> = EDITABLE
        .iter()
        .filter_map(|(path, _)| {
            let value = fields.get(*path)?;
            let json = if *path == "site.servers" {
                serde_json::Value::from(
                    super::split_hosts(value)
                        .into_iter()
                        .map(serde_json::Value::from)
                        .collect::<Vec<_>>(),
                )
            } else {
                serde_json::Value::from(value.trim())
            };
            Some(((*path).to_owned(), json))
        })
        .collect();
    match filing::update_order_fields(&state.app, &visitor.ctx, &actor, &id, &changes).await {
        Ok(_) => visitor.redirect(&format!("/console/filing/orders/{id}?done=order-saved")),
        Err(e) if e.kind == ErrorKind::NotFound => app_error_page(&visitor, &state, &e),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            let names: Vec<&str> = EDITABLE.iter().map(|(path, _)| *path).collect();
            form.fail(visitor.locale, &e, &names);
            let shown = OrderShown {
                edit_form: Some(form),
                ..OrderShown::default()
            };
            order_page_with(&state, &visitor, &id, shown, status_of(&e)).await
        }
    }
}

/// The answer to a step taken on an order's page: back to the page with `done` on success,
/// the error beside the order otherwise (another tenant's order is not found).
async fn after_order_step(
    state: &WebState,
    visitor: &Visitor,
    id: &str,
    outcome: Result<filing::OrderView, AppError>,
    done: &str,
) -> Response {
    match outcome {
        Ok(_) => visitor.redirect(&format!("/console/filing/orders/{id}?done={done}")),
        Err(e) if e.kind == ErrorKind::NotFound => app_error_page(visitor, state, &e),
        Err(e) => {
            let message = visitor.locale.error_message(&e);
            order_page(state, visitor, id, Some(message), status_of(&e)).await
        }
    }
}

/// `POST /console/filing/orders/{id}/abandon`: gives the order up (its entity can take
/// another order then).
pub async fn abandon(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedInForm { visitor, actor, .. }: SignedInForm,
) -> Response {
    let outcome = filing::abandon(&state.app, &visitor.ctx, &actor, &id).await;
    after_order_step(&state, &visitor, &id, outcome, "order-abandoned").await
}

/// `POST /console/filing/sites/{id}/orders`: 变更网站, 注销网站 or 取消接入 of a filed
/// site (`operation`); the new order's page comes next.
pub async fn start_site_order(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedInForm {
        visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let operation = fields.get("operation").cloned().unwrap_or_default();
    if !SITE_OPERATIONS.contains(&operation.as_str()) {
        let e = AppError::from(filing::FilingError::InvalidOperation);
        return app_error_page(&visitor, &state, &e);
    }
    match filing::create_site_order(&state.app, &visitor.ctx, &actor, &id, &operation).await {
        Ok(order) => visitor.redirect(&format!(
            "/console/filing/orders/{}?done=order-started",
            order.id
        )),
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}

/// The operations a filed site's page offers.
const SITE_OPERATIONS: [&str; 3] = ["CHANGE_SITE", "CANCEL_ACCESS", "CANCEL_SITE"];

/// `POST /console/filing/orders/{id}/submit`: verifies the type of an order still in DRAFT,
/// then submits it.
pub async fn submit(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedInForm {
        visitor,
        actor,
        fields: _,
        ..
    }: SignedInForm,
) -> Response {
    let outcome = filing::verify_and_submit(&state.app, &visitor.ctx, &actor, &id).await;
    after_order_step(&state, &visitor, &id, outcome, "order-submitted").await
}

/// `POST /console/filing/orders/{id}/sms`: the code the authority texted to the principal.
pub async fn verify_sms(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedInForm {
        visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let code = fields.get("code").map_or("", |c| c.trim());
    let outcome = filing::verify_sms(&state.app, &visitor.ctx, &actor, &id, code).await;
    after_order_step(&state, &visitor, &id, outcome, "sms-verified").await
}

#[derive(Template)]
#[template(path = "console/filing_site.html")]
struct SitePage {
    base: Base,
    site_id: String,
    certificate: Option<CertificateLine>,
    footer: Option<(String, String)>,
    checks: Vec<(String, String, String, String)>,
    alerts: Vec<AlertLine>,
}

/// The site's filing certificate in words.
pub struct CertificateLine {
    /// 网站备案号.
    pub site_no: String,
    /// 主体备案号.
    pub subject_no: String,
    /// The holder.
    pub entity_name: String,
    /// Domain.
    pub domain: String,
    /// Site name.
    pub site_name: String,
    /// Issued.
    pub issued: String,
    /// Valid until.
    pub valid_until: String,
    /// The certificate's id.
    pub id: String,
}

/// An open monitor alert.
pub struct AlertLine {
    /// Badge class.
    pub badge: &'static str,
    /// What is wrong.
    pub reason: String,
    /// How to fix it.
    pub fix: String,
    /// Since when.
    pub opened: String,
    /// Fix before, when there is a deadline.
    pub deadline: String,
}

/// `/console/filing/sites/{id}`: a filed site's certificate, footer line and what the
/// consistency monitor found.
pub async fn site(
    State(state): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    use yuming_app::filing::{certificates, monitor};
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    let app = &state.app;
    // Not found for another tenant's site (and for a site without a number).
    let footer = match certificates::footer(app, actor, &id).await {
        Ok(footer) => footer,
        Err(e) => return app_error_page(&visitor, &state, &e),
    };
    let loaded = async {
        let certificate = match certificates::certificate(app, actor, &id).await {
            Ok(signed) => Some(signed.certificate),
            Err(e) if e.code == "NO_CERTIFICATE" => None,
            Err(e) => return Err(e),
        };
        let checks = monitor::checks(app, actor, &id).await?;
        let alerts = monitor::alerts(app, actor, true).await?;
        Ok::<_, AppError>((certificate, checks, alerts))
    }
    .await;
    let (certificate, checks, alerts) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return app_error_page(&visitor, &state, &e),
    };
    let locale = visitor.locale;
    let template = SitePage {
        base: Base::new(&visitor, &state, "filing-site-page-title", "filing"),
        site_id: id.clone(),
        certificate: certificate.map(|c| CertificateLine {
            site_no: c.site_no,
            subject_no: c.subject_no,
            entity_name: c.entity_name,
            domain: format::unicode_name(&c.domain),
            site_name: c.site_name,
            issued: format::date(c.issued_at),
            valid_until: format::date(c.valid_until),
            id: c.id,
        }),
        footer: Some((footer.number, footer.html)),
        checks: checks
            .iter()
            .map(|c| {
                (
                    format::datetime(c.checked_at),
                    c.check.clone(),
                    c.outcome.clone(),
                    c.detail.clone(),
                )
            })
            .collect(),
        alerts: alerts
            .iter()
            .filter(|a| a.site_id == id)
            .map(|a| AlertLine {
                badge: if a.severity == "blocking" {
                    "error"
                } else {
                    "warning"
                },
                reason: match locale {
                    Locale::ZhCn => a.reason_zh.clone(),
                    Locale::En => a.reason_en.clone(),
                },
                fix: a.fix.clone(),
                opened: format::datetime(a.opened_at),
                deadline: a.deadline_at.map(format::date).unwrap_or_default(),
            })
            .collect(),
    };
    page(&visitor, StatusCode::OK, &template)
}

/// `/console/filing/sites/{id}/certificate.pdf`: the printable certificate, signed.
pub async fn certificate_pdf(
    State(state): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    match yuming_app::filing::certificates::certificate_pdf(&state.app, actor, &id).await {
        Ok((pdf, signature)) => {
            let mut response = pdf.into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/pdf"),
            );
            let name = id.replace(|c: char| !c.is_ascii_alphanumeric() && c != '_', "");
            if let Ok(value) =
                HeaderValue::from_str(&format!("attachment; filename=\"{name}-certificate.pdf\""))
            {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            // The detached signature of the file's bytes, as the API gives it.
            if let Ok(value) = HeaderValue::from_str(&signature) {
                headers.insert("yuming-signature", value);
            }
            visitor.finish(response)
        }
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}

/// `POST /console/filing/sites/{id}/certificate/renew`: a fresh certificate.
pub async fn renew_certificate(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedInForm { visitor, actor, .. }: SignedInForm,
) -> Response {
    match yuming_app::filing::certificates::renew_certificate(&state.app, &visitor.ctx, &actor, &id)
        .await
    {
        Ok(_) => visitor.redirect(&format!(
            "/console/filing/sites/{id}?done=certificate-renewed"
        )),
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}
