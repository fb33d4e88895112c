//! Registrant profiles (contacts): the list, the form, and each profile's page with its
//! real-name review status, the reviewer's reason and the identity document images.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use yuming_app::AppError;
use yuming_app::platform::images::ImageView;
use yuming_app::registrar::contact_documents::{self, DocumentSet};
use yuming_app::registrar::contacts::{self, ContactView, NewContactInput};
use yuming_core::contact::VerificationStatus;

use super::upload::UploadForm;
use super::{Base, FormState, SignedInForm, app_error_page, page};
use crate::WebState;
use crate::format;
use crate::i18n::Locale;
use crate::session::Visitor;

/// A contact as the list shows it.
pub struct ContactLine {
    /// Profile id (another account's holder offers name it).
    pub id: String,
    /// Holder name.
    pub name: String,
    /// Masked document number.
    pub id_number: String,
    /// Document type in words.
    pub id_type: String,
    /// Badge class.
    pub badge: &'static str,
    /// Verification state in words.
    pub status: String,
    /// The reviewer's reason, when rejected.
    pub reason: String,
    /// Region.
    pub region: String,
    /// Created.
    pub created: String,
}

#[derive(Template)]
#[template(path = "console/contacts.html")]
struct ContactsPage {
    base: Base,
    contacts: Vec<ContactLine>,
}

/// `/console/contacts`: registrant contacts and their real-name verification.
pub async fn contacts(State(state): State<WebState>, visitor: Visitor) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    let listing = match contacts::list(&state.app, actor, None, 200).await {
        Ok(listing) => listing,
        Err(e) => return app_error_page(&visitor, &state, &e),
    };
    let locale = visitor.locale;
    let lines = listing
        .contacts
        .iter()
        .map(|c| contact_line(locale, c))
        .collect();
    let template = ContactsPage {
        base: Base::new(&visitor, &state, "contacts-title", "contacts"),
        contacts: lines,
    };
    page(&visitor, StatusCode::OK, &template)
}

#[derive(Template)]
#[template(path = "console/contact_form.html")]
struct ContactFormPage {
    base: Base,
    form: FormState,
    id_types: Vec<(String, String)>,
}

const CONTACT_FIELDS: [&str; 11] = [
    "kind",
    "name",
    "id_type",
    "id_number",
    "email",
    "phone",
    "country",
    "province",
    "city",
    "street",
    "postal_code",
];

const ID_TYPES: [&str; 6] = [
    "resident_id",
    "passport",
    "hk_macau_permit",
    "taiwan_permit",
    "foreign_permanent_resident",
    "uscc",
];

fn contact_form_page(
    state: &WebState,
    visitor: &Visitor,
    form: FormState,
    status: StatusCode,
) -> Response {
    let template = ContactFormPage {
        base: Base::new(visitor, state, "contact-new-title", "contacts"),
        form,
        id_types: ID_TYPES
            .iter()
            .map(|t| ((*t).to_owned(), visitor.locale.t(&format!("id-type-{t}"))))
            .collect(),
    };
    page(visitor, status, &template)
}

/// `/console/contacts/new`.
pub async fn contact_form(State(state): State<WebState>, visitor: Visitor) -> Response {
    if let Err(login) = visitor.require_actor() {
        return login;
    }
    let mut form = FormState::new();
    form.set("kind", "person");
    form.set("country", "CN");
    contact_form_page(&state, &visitor, form, StatusCode::OK)
}

/// `POST /console/contacts/new`: submitted for real-name review.
pub async fn create_contact(
    State(state): State<WebState>,
    SignedInForm {
        visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let actor = &actor;
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let input = NewContactInput {
        kind: field("kind"),
        name: field("name"),
        id_type: field("id_type"),
        id_number: field("id_number"),
        email: field("email"),
        phone: field("phone"),
        address: contacts::AddressFields {
            country: field("country"),
            province: field("province"),
            city: field("city"),
            street: field("street"),
            postal_code: Some(field("postal_code")).filter(|p| !p.trim().is_empty()),
        },
    };
    match contacts::create(&state.app, &visitor.ctx, actor, &input).await {
        Ok(contact) => visitor.redirect(&format!(
            "/console/contacts/{}?done=contact-created",
            contact.id
        )),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &CONTACT_FIELDS);
            contact_form_page(&state, &visitor, form, crate::session::status_of(&e))
        }
    }
}

/// A verification state's badge class and its words' message key.
pub(crate) fn status_badge(status: VerificationStatus) -> (&'static str, &'static str) {
    match status {
        VerificationStatus::Verified => ("success", "contact-verified"),
        VerificationStatus::Pending => ("primary", "contact-pending"),
        VerificationStatus::Rejected => ("error", "contact-rejected"),
    }
}

/// The profiles a registration form offers as registrant (all but rejected ones), as
/// (id, "name · masked number · state").
pub fn registrant_choices(locale: Locale, contacts: &[ContactView]) -> Vec<(String, String)> {
    contacts
        .iter()
        .filter(|c| c.verification.status != VerificationStatus::Rejected)
        .map(|c| {
            let (_, key) = status_badge(c.verification.status);
            (
                c.id.clone(),
                format!("{} · {} · {}", c.name, c.id_number_masked, locale.t(key)),
            )
        })
        .collect()
}

fn contact_line(locale: Locale, c: &ContactView) -> ContactLine {
    let (badge, key) = status_badge(c.verification.status);
    ContactLine {
        id: c.id.clone(),
        name: c.name.clone(),
        id_number: c.id_number_masked.clone(),
        id_type: locale.t(&format!("id-type-{}", c.id_type.as_str())),
        badge,
        status: locale.t(key),
        reason: c.verification.reason.clone().unwrap_or_default(),
        region: format!(
            "{} {} {}",
            c.region.country, c.region.province, c.region.city
        ),
        created: format::date(c.created_at),
    }
}

/// One image an upload form can fill: what it is, what is there now, what went wrong.
pub struct UploadSlot {
    /// The kind, as the use case names it (`id_front`, …).
    pub kind: String,
    /// The kind in words.
    pub label: String,
    /// What the image must show.
    pub help: String,
    /// Where the current image is served, when there is one.
    pub image_url: Option<String>,
    /// What the checks measured of it, in words.
    pub measured: String,
    /// Why the last upload of this kind was refused.
    pub error: Option<String>,
}

impl UploadSlot {
    /// A slot for `kind` with the words of its locale keys (`upload-kind-{kind}` and its
    /// `-help`).
    pub fn new(locale: Locale, kind: &str) -> UploadSlot {
        UploadSlot {
            kind: kind.to_owned(),
            label: locale.t(&format!("upload-kind-{}", kind.replace('_', "-"))),
            help: locale.t(&format!("upload-kind-{}-help", kind.replace('_', "-"))),
            image_url: None,
            measured: String::new(),
            error: None,
        }
    }

    /// Shows the current upload, served at `url`, with what the checks measured of it.
    pub fn with_current(mut self, locale: Locale, url: String, image: &ImageView) -> UploadSlot {
        let dpi = image.dpi.map(|d| format!(" · {d} dpi")).unwrap_or_default();
        self.measured = format!(
            "{} × {} px{dpi} · {} KB · {} {}",
            image.width,
            image.height,
            (image.size_bytes + 1023) / 1024,
            locale.t("upload-uploaded-at"),
            format::datetime(image.created_at)
        );
        self.image_url = Some(url);
        self
    }
}

#[derive(Template)]
#[template(path = "console/contact.html")]
struct ContactPage {
    base: Base,
    contact: ContactLine,
    kind: String,
    email: String,
    phone: String,
    slots: Vec<UploadSlot>,
    upload_action: String,
    missing: usize,
    editable: bool,
    alert: Option<String>,
}

async fn contact_page(
    state: &WebState,
    visitor: &Visitor,
    id: &str,
    failed: Option<(String, AppError)>,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    let loaded = async {
        let contact = contacts::get(&state.app, actor, id).await?;
        let documents = contact_documents::list(&state.app, actor, id).await?;
        Ok::<_, AppError>((contact, documents))
    }
    .await;
    let (contact, documents) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let locale = visitor.locale;
    let (failed_kind, error) = match &failed {
        Some((kind, e)) => (kind.as_str(), Some(locale.error_message(e))),
        None => ("", None),
    };
    let editable = contact.verification.status == VerificationStatus::Pending;
    // Only a slot with its form shows an error; otherwise it stands at the top.
    let slot_error = error.clone().filter(|_| editable);
    let slots = slots_of(locale, &contact, &documents, failed_kind, slot_error);
    // An error that names no slot (an unknown kind) stands at the top.
    let alert = error.filter(|_| !slots.iter().any(|s| s.error.is_some()));
    let status = failed
        .as_ref()
        .map_or(StatusCode::OK, |(_, e)| crate::session::status_of(e));
    let template = ContactPage {
        base: Base::new(visitor, state, "contact-title", "contacts"),
        kind: locale.t(&format!("contact-kind-{}", contact.kind.as_str())),
        email: contact.email.clone(),
        phone: contact.phone.clone(),
        upload_action: format!("/console/contacts/{}/documents", contact.id),
        missing: documents.missing().len(),
        editable,
        contact: contact_line(locale, &contact),
        slots,
        alert,
    };
    page(visitor, status, &template)
}

fn slots_of(
    locale: Locale,
    contact: &ContactView,
    documents: &DocumentSet,
    failed_kind: &str,
    error: Option<String>,
) -> Vec<UploadSlot> {
    documents
        .required
        .iter()
        .map(|kind| {
            let mut slot = UploadSlot::new(locale, kind);
            if let Some(d) = documents.current(kind) {
                let url = format!("/console/contacts/{}/documents/{}", contact.id, d.id);
                slot = slot.with_current(locale, url, d);
            }
            if *kind == failed_kind {
                slot.error = error.clone();
            }
            slot
        })
        .collect()
}

/// `/console/contacts/{id}`: a profile, its review and its document images.
pub async fn contact(
    State(state): State<WebState>,
    visitor: Visitor,
    Path(id): Path<String>,
) -> Response {
    contact_page(&state, &visitor, &id, None).await
}

/// `POST /console/contacts/{id}/documents`: one image (`kind`, `file`).
pub async fn upload_document(
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
            contact_documents::upload(&state.app, &visitor.ctx, &actor, &id, &kind, file.bytes)
                .await
        }
        Err(problem) => Err(problem.error()),
    };
    match result {
        Ok(_) => visitor.redirect(&format!("/console/contacts/{id}?done=document-uploaded")),
        Err(e) if e.kind == yuming_app::ErrorKind::NotFound => app_error_page(&visitor, &state, &e),
        Err(e) => contact_page(&state, &visitor, &id, Some((kind, e))).await,
    }
}

/// `/console/contacts/{id}/documents/{document}`: the image, to its owner only.
pub async fn document_image(
    State(state): State<WebState>,
    visitor: Visitor,
    Path((id, document)): Path<(String, String)>,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    match contact_documents::content(&state.app, &visitor.ctx, actor, &id, &document).await {
        Ok((content_type, bytes)) => image_response(&content_type, bytes),
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}

/// An uploaded image as the console serves it: its own type, never cached by others, never
/// sniffed as anything else.
pub fn image_response(content_type: &str, bytes: Vec<u8>) -> Response {
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    (headers, bytes).into_response()
}
