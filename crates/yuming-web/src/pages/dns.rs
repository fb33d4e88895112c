//! A domain's DNS records: the list, adding and deleting with the zone's own checks, and the
//! zone file out and in.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use yuming_app::dns::{self, ImportMode, RecordChange, ZoneView};

use super::{Base, FormState, SignedInForm, app_error_page, page};
use crate::WebState;
use crate::pages::ErrorText;
use crate::session::{Visitor, status_of};

/// TTLs offered in the form, in seconds (any other value can still be imported).
const TTL_PRESETS: [u32; 6] = [60, 300, 600, 1800, 3600, 86_400];
/// Record types the form offers, most used first.
const TYPES: [&str; 8] = ["A", "CNAME", "AAAA", "MX", "TXT", "NS", "CAA", "SRV"];

/// One record as the table shows it.
pub struct RecordLine {
    /// Record id.
    pub id: String,
    /// Type mnemonic.
    pub rtype: String,
    /// Owner relative to the zone (`@` for the apex).
    pub name: String,
    /// The owner in full.
    pub owner: String,
    /// Value.
    pub value: String,
    /// TTL in words.
    pub ttl: String,
    /// MX/SRV priority.
    pub priority: String,
}

#[derive(Template)]
#[template(path = "console/dns.html")]
struct DnsPage {
    base: Base,
    zone: String,
    display_name: String,
    serial: u32,
    mainland_hold: bool,
    records: Vec<RecordLine>,
    types: Vec<&'static str>,
    ttls: Vec<(u32, String)>,
    form: FormState,
    import: FormState,
    history: Vec<ChangeLine>,
}

/// One change of the zone as the history shows it.
pub struct ChangeLine {
    /// When.
    pub at: String,
    /// What kind of change, in words.
    pub what: String,
    /// The record or count before, as text.
    pub before: String,
    /// After.
    pub after: String,
    /// The serial the change produced.
    pub serial: String,
}

/// Changes the DNS page shows (the API gives up to [`dns::HISTORY_LIMIT`]).
const HISTORY_ON_PAGE: usize = 20;

/// A record or an import summary of the history as one line of text.
fn change_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::Null => String::new(),
        serde_json::Value::Object(map) if map.contains_key("type") => {
            let field = |name: &str| match map.get(name) {
                Some(serde_json::Value::String(text)) => text.clone(),
                Some(serde_json::Value::Null) | None => String::new(),
                Some(other) => other.to_string(),
            };
            let priority = field("priority");
            let priority = if priority.is_empty() {
                priority
            } else {
                format!("{priority} ")
            };
            format!(
                "{} {} {} {}{}",
                field("name"),
                field("ttl"),
                field("type"),
                priority,
                field("value")
            )
        }
        other => other.to_string(),
    }
}

fn ttl_words(base_locale: crate::i18n::Locale, ttl: u32) -> String {
    match ttl {
        t if t >= 86_400 && t.is_multiple_of(86_400) => {
            base_locale.t_args("ttl-days", &[("n", (t / 86_400).to_string())])
        }
        t if t >= 3600 && t.is_multiple_of(3600) => {
            base_locale.t_args("ttl-hours", &[("n", (t / 3600).to_string())])
        }
        t if t >= 60 && t.is_multiple_of(60) => {
            base_locale.t_args("ttl-minutes", &[("n", (t / 60).to_string())])
        }
        t => base_locale.t_args("ttl-seconds", &[("n", t.to_string())]),
    }
}

const RECORD_FIELDS: [&str; 5] = ["type", "name", "value", "ttl", "priority"];

async fn dns_page(
    state: &WebState,
    visitor: &Visitor,
    name: &str,
    form: FormState,
    import: FormState,
    status: StatusCode,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    let loaded = async {
        let zone = dns::list_records(&state.app, actor, name).await?;
        let history = dns::history(&state.app, actor, name).await?;
        Ok::<_, yuming_app::AppError>((zone, history))
    }
    .await;
    let (zone, history): (ZoneView, _) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let locale = visitor.locale;
    let records = zone
        .records
        .iter()
        .map(|r| RecordLine {
            id: r.id.clone(),
            rtype: r.record.rtype.as_str().to_owned(),
            name: r.record.name.clone(),
            owner: r.record.owner(&zone.name),
            value: r.record.value.clone(),
            ttl: ttl_words(locale, r.record.ttl),
            priority: r.record.priority.map(|p| p.to_string()).unwrap_or_default(),
        })
        .collect();
    let template = DnsPage {
        base: Base::new(visitor, state, "dns-title", "domains"),
        display_name: crate::format::unicode_name(&zone.name),
        zone: zone.name.clone(),
        serial: zone.serial,
        mainland_hold: zone.mainland_hold,
        records,
        types: TYPES.to_vec(),
        ttls: TTL_PRESETS
            .iter()
            .map(|t| (*t, ttl_words(locale, *t)))
            .collect(),
        form,
        import,
        history: history
            .iter()
            .take(HISTORY_ON_PAGE)
            .map(|c| ChangeLine {
                at: crate::format::datetime(c.at),
                what: locale.t(&format!("dns-change-{}", c.action.replace(['.', '_'], "-"))),
                before: change_text(&c.before),
                after: change_text(&c.after),
                serial: c.serial.map(|s| s.to_string()).unwrap_or_default(),
            })
            .collect(),
    };
    page(visitor, status, &template)
}

/// `/console/domains/{name}/dns`.
pub async fn records(
    State(state): State<WebState>,
    visitor: Visitor,
    Path(name): Path<String>,
) -> Response {
    let mut form = FormState::new();
    form.set("ttl", "600");
    form.set("name", "@");
    dns_page(
        &state,
        &visitor,
        &name,
        form,
        FormState::new(),
        StatusCode::OK,
    )
    .await
}

fn optional_number(text: Option<&String>) -> Option<i64> {
    text.map(|t| t.trim())
        .filter(|t| !t.is_empty())
        // A value that is not a number is passed on as one out of range, so that the record
        // rules refuse it with their own message and field.
        .map(|t| t.parse().unwrap_or(-1))
}

/// The record a form describes.
fn change_of(fields: &std::collections::HashMap<String, String>) -> RecordChange {
    let field = |n: &str| fields.get(n).cloned().unwrap_or_default();
    RecordChange {
        rtype: field("type"),
        name: field("name"),
        value: field("value"),
        ttl: optional_number(fields.get("ttl")),
        priority: optional_number(fields.get("priority")),
    }
}

/// `POST /console/domains/{name}/dns`: adds a record.
pub async fn add_record(
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
    match dns::create_record(&state.app, &visitor.ctx, actor, &name, change_of(&fields)).await {
        Ok(_) => visitor.redirect(&format!("/console/domains/{name}/dns?done=record-added")),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            // The API names the record's type `type`; the form does too.
            form.fail(visitor.locale, &e, &RECORD_FIELDS);
            dns_page(
                &state,
                &visitor,
                &name,
                form,
                FormState::new(),
                status_of(&e),
            )
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "console/dns_edit.html")]
struct EditPage {
    base: Base,
    zone: String,
    display_name: String,
    record_id: String,
    types: Vec<&'static str>,
    ttls: Vec<(u32, String)>,
    form: FormState,
}

/// The edit page of record `id`: filled from the stored record, or from `form` as sent.
async fn edit_page(
    state: &WebState,
    visitor: &Visitor,
    name: &str,
    id: &str,
    form: Option<FormState>,
    status: StatusCode,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    let zone = match dns::list_records(&state.app, actor, name).await {
        Ok(zone) => zone,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let Some(record) = zone.records.iter().find(|r| r.id == id) else {
        return app_error_page(visitor, state, &yuming_app::AppError::not_found());
    };
    let form = form.unwrap_or_else(|| {
        let mut form = FormState::new();
        form.set("type", record.record.rtype.as_str());
        form.set("name", &record.record.name);
        form.set("value", &record.record.value);
        form.set("ttl", &record.record.ttl.to_string());
        if let Some(priority) = record.record.priority {
            form.set("priority", &priority.to_string());
        }
        form
    });
    let locale = visitor.locale;
    let mut ttls: Vec<(u32, String)> = TTL_PRESETS
        .iter()
        .map(|t| (*t, ttl_words(locale, *t)))
        .collect();
    // A TTL outside the presets (set through the API or an import) stays selectable.
    if !TTL_PRESETS.contains(&record.record.ttl) {
        ttls.push((record.record.ttl, ttl_words(locale, record.record.ttl)));
    }
    let template = EditPage {
        base: Base::new(visitor, state, "dns-edit-title", "domains"),
        display_name: crate::format::unicode_name(&zone.name),
        zone: zone.name.clone(),
        record_id: id.to_owned(),
        types: TYPES.to_vec(),
        ttls,
        form,
    };
    page(visitor, status, &template)
}

/// `GET /console/domains/{name}/dns/{id}/edit`.
pub async fn edit_form(
    State(state): State<WebState>,
    visitor: Visitor,
    Path((name, id)): Path<(String, String)>,
) -> Response {
    edit_page(&state, &visitor, &name, &id, None, StatusCode::OK).await
}

/// `POST /console/domains/{name}/dns/{id}/edit`: replaces the record's content; the same
/// record rules as adding one, errors beside their fields.
pub async fn update_record(
    State(state): State<WebState>,
    Path((name, id)): Path<(String, String)>,
    SignedInForm {
        visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    match dns::update_record(
        &state.app,
        &visitor.ctx,
        &actor,
        &name,
        &id,
        change_of(&fields),
    )
    .await
    {
        Ok(_) => visitor.redirect(&format!("/console/domains/{name}/dns?done=record-updated")),
        Err(e) if e.kind == yuming_app::ErrorKind::NotFound => app_error_page(&visitor, &state, &e),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &RECORD_FIELDS);
            edit_page(&state, &visitor, &name, &id, Some(form), status_of(&e)).await
        }
    }
}

/// `POST /console/domains/{name}/dns/{id}/delete`.
pub async fn delete_record(
    State(state): State<WebState>,
    Path((name, id)): Path<(String, String)>,
    SignedInForm {
        visitor,
        actor,
        fields: _,
        ..
    }: SignedInForm,
) -> Response {
    let actor = &actor;
    match dns::delete_record(&state.app, &visitor.ctx, actor, &name, &id).await {
        Ok(()) => visitor.redirect(&format!("/console/domains/{name}/dns?done=record-deleted")),
        Err(e) => {
            let mut form = FormState::new();
            form.alert = Some(ErrorText::of(visitor.locale, &e));
            dns_page(
                &state,
                &visitor,
                &name,
                form,
                FormState::new(),
                status_of(&e),
            )
            .await
        }
    }
}

/// `GET /console/domains/{name}/dns/export`: the zone as a master file, downloaded.
pub async fn export(
    State(state): State<WebState>,
    visitor: Visitor,
    Path(name): Path<String>,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    match dns::export_zone(&state.app, actor, &name).await {
        Ok(text) => {
            let mut response = text.into_response();
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            let file = format!(
                "attachment; filename=\"{}.zone\"",
                name.replace(['"', '\\'], "")
            );
            if let Ok(value) = HeaderValue::from_str(&file) {
                h.insert(header::CONTENT_DISPOSITION, value);
            }
            visitor.finish(response)
        }
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}

/// `POST /console/domains/{name}/dns/import`: a master file, merged or replacing; all or
/// nothing.
pub async fn import(
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
    let mode = if fields.get("mode").is_some_and(|m| m == "replace") {
        ImportMode::Replace
    } else {
        ImportMode::Merge
    };
    let text = fields.get("zone").cloned().unwrap_or_default();
    match dns::import_zone(&state.app, &visitor.ctx, actor, &name, &text, mode).await {
        Ok(_) => visitor.redirect(&format!("/console/domains/{name}/dns?done=zone-imported")),
        Err(e) => {
            let mut import = FormState::from_fields(&fields);
            import.fail(visitor.locale, &e, &["zone"]);
            if import.alert.is_some() {
                // An error of one line of the file: shown beside the file.
                import.alert = None;
                import.set_error("zone", visitor.locale.error_message(&e));
            }
            let mut form = FormState::new();
            form.set("ttl", "600");
            dns_page(&state, &visitor, &name, form, import, status_of(&e)).await
        }
    }
}
