//! Registrant contacts and their real-name verification (spec §3.1).
//!
//! A customer submits a contact with an identity document; the shared rules
//! (`yuming_core::contact`) refuse what cannot be right, the document number and street address
//! are sealed, and the contact waits as `pending` until a reviewer approves or rejects it
//! (RN-1). Views show only a masked document number and no street; reviewers open the full
//! document with [`get_unmasked`], which is audited. Later flows (change of registrant, ICP
//! filing) call [`require_verified`].

use serde::{Deserialize, Serialize};
use serde_json::json;
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::contact::{
    self, Address, AddressInput, ContactError, ContactKind, IdType, Phone, ReviewDecision,
    VerificationStatus,
};
use yuming_core::credentials::Email;
use yuming_core::rules::Rejection;
use yuming_store::{
    ContactKey, ContactPage, ContactReviewRow, ContactRow, NewContact, Tx, VerificationChange,
};

use crate::platform::audit::{self, Change};
use crate::platform::crypto::{Cipher, new_id};
use crate::platform::paging::PageCursor;
use crate::registrar::RegistrarError;
use crate::{App, AppError, RequestContext};

/// The blind-index purpose of document numbers.
const ID_NUMBER_INDEX: &str = "contact.id_number";

fn id_number_context(contact_id: &str) -> String {
    format!("contact.id_number:{contact_id}")
}

fn address_context(contact_id: &str) -> String {
    format!("contact.address:{contact_id}")
}

pub(crate) fn email_context(contact_id: &str) -> String {
    format!("contact.email:{contact_id}")
}

pub(crate) fn phone_context(contact_id: &str) -> String {
    format!("contact.phone:{contact_id}")
}

/// Blind-index purpose of contacts' phones (support finds a customer by one).
pub(crate) const PHONE_INDEX: &str = "contact.phone";

/// The form of a phone that is indexed and looked up: a mainland number (`+86.…`) as its
/// national digits, so that `13800138000` finds `+86.13800138000`; any other as stored.
pub(crate) fn normal_phone(phone: &str) -> String {
    let phone = phone.trim();
    match phone.strip_prefix("+86.") {
        Some(national) => national.to_owned(),
        None => phone.to_owned(),
    }
}

/// Opens a sealed text column of a contact; a row of an older release not yet converted
/// (`None`) still has the value in its plaintext column.
fn open_text(
    cipher: &Cipher,
    sealed: Option<&[u8]>,
    legacy: &str,
    context: &str,
) -> Result<String, AppError> {
    let Some(sealed) = sealed else {
        return Ok(legacy.to_owned());
    };
    cipher
        .open(sealed, context)
        .map_err(|e| AppError::internal(format!("{context}: {e}")))
        .and_then(|bytes| {
            String::from_utf8(bytes).map_err(|_| AppError::internal(format!("{context}: utf-8")))
        })
}

/// A contact's e-mail and phone, opened.
pub(crate) fn email_and_phone(
    cipher: &Cipher,
    row: &ContactRow,
) -> Result<(String, String), AppError> {
    Ok((
        open_text(
            cipher,
            row.email_sealed.as_deref(),
            &row.legacy_email,
            &email_context(&row.id),
        )?,
        open_text(
            cipher,
            row.phone_sealed.as_deref(),
            &row.legacy_phone,
            &phone_context(&row.id),
        )?,
    ))
}

/// A new contact as submitted. No `Debug`: it holds the plain document number and address.
#[derive(Clone)]
pub struct NewContactInput {
    /// `person` or `organization`.
    pub kind: String,
    /// Holder name as on the document.
    pub name: String,
    /// Document type, e.g. `resident_id`.
    pub id_type: String,
    /// Document number.
    pub id_number: String,
    /// E-mail.
    pub email: String,
    /// Phone: `+86.13800138000` or an 11-digit mainland mobile number.
    pub phone: String,
    /// Postal address.
    pub address: AddressFields,
}

/// The postal address of a new contact as submitted.
#[derive(Clone)]
pub struct AddressFields {
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
    /// Province, state or region.
    pub province: String,
    /// City.
    pub city: String,
    /// Street address.
    pub street: String,
    /// Postal code.
    pub postal_code: Option<String>,
}

/// The full postal address, also the JSON form sealed in the row. Only [`get_unmasked`]
/// returns it; not `Debug`, so that the street cannot end up in a log line.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FullAddress {
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
    /// Province.
    pub province: String,
    /// City.
    pub city: String,
    /// Street address.
    pub street: String,
    /// Postal code.
    pub postal_code: Option<String>,
}

/// The part of the address every view shows: enough for routing and WHOIS region display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
    /// Province.
    pub province: String,
    /// City.
    pub city: String,
}

/// Where a contact stands in real-name verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    /// Pending, verified or rejected.
    pub status: VerificationStatus,
    /// The reviewer's reason for the status (always set when rejected).
    pub reason: Option<String>,
    /// The document broke only a check-character rule: a reviewer must look at it.
    pub manual_review: bool,
    /// When the reviewer decided.
    pub reviewed_at: Option<Timestamp>,
}

/// What customers and staff see of a contact: the document number masked, no street.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactView {
    /// Opaque id, `con_…`.
    pub id: String,
    /// The owning tenant.
    pub owner_id: String,
    /// Person or organisation.
    pub kind: ContactKind,
    /// Holder name.
    pub name: String,
    /// Document type.
    pub id_type: IdType,
    /// The document number for display, e.g. `1101**********002X`.
    pub id_number_masked: String,
    /// E-mail.
    pub email: String,
    /// Phone, EPP form.
    pub phone: String,
    /// Country, province, city.
    pub region: Region,
    /// Verification state.
    pub verification: Verification,
    /// For organisations, the filing subject type the USCC suggests (e.g. `ENTERPRISE`).
    pub entity_type_hint: Option<String>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change time.
    pub updated_at: Timestamp,
}

impl ContactView {
    pub(crate) fn from_row(cipher: &Cipher, row: &ContactRow) -> Result<ContactView, AppError> {
        let corrupt = |column: &str| {
            AppError::internal(format!("contact {} has an unknown {column}", row.id))
        };
        let (email, phone) = email_and_phone(cipher, row)?;
        Ok(ContactView {
            id: row.id.clone(),
            owner_id: row.owner_id.clone(),
            kind: ContactKind::parse(&row.kind).ok_or_else(|| corrupt("kind"))?,
            name: row.name.clone(),
            id_type: IdType::parse(&row.id_type).ok_or_else(|| corrupt("id_type"))?,
            id_number_masked: row.id_number_masked.clone(),
            email,
            phone,
            region: Region {
                country: row.country.clone(),
                province: row.province.clone(),
                city: row.city.clone(),
            },
            verification: Verification {
                status: VerificationStatus::parse(&row.verification_status)
                    .ok_or_else(|| corrupt("verification_status"))?,
                reason: row.verification_reason.clone(),
                manual_review: row.manual_review,
                reviewed_at: row.reviewed_at.map(Timestamp),
            },
            entity_type_hint: row.entity_type_hint.clone(),
            created_at: Timestamp(row.created_at),
            updated_at: Timestamp(row.updated_at),
        })
    }

    /// What the audit log keeps of a contact: no name, number or address.
    fn summary(&self) -> serde_json::Value {
        json!({
            "kind": self.kind.as_str(),
            "id_type": self.id_type.as_str(),
            "id_number_masked": self.id_number_masked,
            "status": self.verification.status.as_str(),
            "manual_review": self.verification.manual_review,
        })
    }
}

/// One verification status change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewEntry {
    /// The status before; `None` for the submission.
    pub from: Option<VerificationStatus>,
    /// The status after.
    pub to: VerificationStatus,
    /// The reviewer's reason.
    pub reason: Option<String>,
    /// The acting account.
    pub actor: String,
    /// Time of the change.
    pub at: Timestamp,
}

impl ReviewEntry {
    fn from_row(row: &ContactReviewRow) -> Result<ReviewEntry, AppError> {
        let status = |name: &str| {
            VerificationStatus::parse(name).ok_or_else(|| {
                AppError::internal(format!("contact review {} has an unknown status", row.seq))
            })
        };
        Ok(ReviewEntry {
            from: row.from_status.as_deref().map(status).transpose()?,
            to: status(&row.to_status)?,
            reason: row.reason.clone(),
            actor: row.actor.clone(),
            at: Timestamp(row.at),
        })
    }
}

/// What a reviewer sees to decide: the contact with its plain document number, full address
/// and history. Not `Debug`, so that it cannot end up in a log line.
#[derive(Clone)]
pub struct ContactDocument {
    /// The contact.
    pub contact: ContactView,
    /// The normalised document number.
    pub id_number: String,
    /// The full postal address.
    pub address: FullAddress,
    /// Every status change, oldest first.
    pub history: Vec<ReviewEntry>,
    /// The identity document images, to compare with the entered data.
    pub documents: crate::registrar::contact_documents::DocumentSet,
}

/// One page of contacts.
#[derive(Debug, Clone)]
pub struct ContactListing {
    /// The contacts.
    pub contacts: Vec<ContactView>,
    /// Pass as `cursor` to get the next page; `None` at the end.
    pub next_cursor: Option<String>,
}

impl ContactListing {
    fn from_page(cipher: &Cipher, page: &ContactPage) -> Result<ContactListing, AppError> {
        Ok(ContactListing {
            contacts: page
                .contacts
                .iter()
                .map(|row| ContactView::from_row(cipher, row))
                .collect::<Result<_, _>>()?,
            next_cursor: page
                .next
                .as_ref()
                .map(|key| format!("{}.{}", key.created_at, key.id)),
        })
    }
}

/// Parses a page cursor made by [`ContactListing`]: `<created_at>.<id>`, the shared form.
fn parse_cursor(cursor: Option<&str>) -> Result<Option<ContactKey>, AppError> {
    cursor
        .map(|text| {
            let cursor = PageCursor::parse(text, "cursor")?;
            Ok(ContactKey {
                created_at: cursor.at,
                id: cursor.id,
            })
        })
        .transpose()
}

/// A document the shared rules refuse: the first problem's code, every problem's message.
fn document_error(rejection: &Rejection) -> AppError {
    let code = rejection
        .problems
        .first()
        .map_or("INVALID_FORMAT", |problem| problem.code);
    let messages: Vec<&str> = rejection
        .problems
        .iter()
        .map(|problem| problem.message.as_str())
        .collect();
    let messages_zh: Vec<&str> = rejection
        .problems
        .iter()
        .map(|problem| problem.message_zh.as_str())
        .collect();
    AppError::bad_request(code, messages.join("; "), messages_zh.join("；")).with_field("id_number")
}

/// Submits a contact of the actor's tenant for real-name verification. Every field is
/// checked before anything is written; the contact starts `pending` (a reviewer decides,
/// RN-1), with `manual_review` when the USCC only fails its check character.
pub async fn create(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    input: &NewContactInput,
) -> Result<ContactView, AppError> {
    actor.require(Right::DomainsManage)?;
    let kind = ContactKind::parse(&input.kind).ok_or(ContactError::UnknownKind)?;
    let id_type = IdType::parse(&input.id_type).ok_or(ContactError::UnknownIdType)?;
    if !id_type.allowed_for(kind) {
        return Err(ContactError::IdTypeNotAllowed { kind, id_type }.into());
    }
    let now = app.now();
    let document = contact::check_document(id_type, &input.id_number, now.date())
        .map_err(|rejection| document_error(&rejection))?;
    let name = contact::parse_contact_name(&input.name, document.name_must_be_chinese)?;
    let email = Email::parse(&input.email)?;
    let phone = Phone::parse(&input.phone)?;
    let address = Address::parse(&AddressInput {
        country: &input.address.country,
        province: &input.address.province,
        city: &input.address.city,
        street: &input.address.street,
        postal_code: input.address.postal_code.as_deref(),
    })?;

    let id = new_id("con");
    let id_number_sealed = app
        .cipher()
        .seal(document.number.as_bytes(), &id_number_context(&id));
    // The type is part of the indexed value: a passport and a permit may share a number.
    let id_number_digest = app.cipher().blind_index(
        &format!("{}:{}", id_type.as_str(), document.number),
        ID_NUMBER_INDEX,
    );
    let full_address = FullAddress {
        country: address.country.to_owned(),
        province: address.province.clone(),
        city: address.city.clone(),
        street: address.street.clone(),
        postal_code: address.postal_code.clone(),
    };
    let address_json = serde_json::to_vec(&full_address)
        .map_err(|e| AppError::internal(format!("address json: {e}")))?;
    let address_sealed = app.cipher().seal(&address_json, &address_context(&id));
    let email_sealed = app
        .cipher()
        .seal(email.as_str().as_bytes(), &email_context(&id));
    let phone_sealed = app
        .cipher()
        .seal(phone.as_str().as_bytes(), &phone_context(&id));
    let phone_index = app
        .cipher()
        .blind_index(&normal_phone(phone.as_str()), PHONE_INDEX);

    let mut tx = app.db().write().await?;
    tx.insert_contact(&NewContact {
        id: &id,
        owner_id: &actor.tenant_id,
        kind: kind.as_str(),
        name: &name,
        id_type: id_type.as_str(),
        id_number_sealed: &id_number_sealed,
        id_number_masked: &document.masked,
        id_number_digest: &id_number_digest,
        email_sealed: &email_sealed,
        phone_sealed: &phone_sealed,
        phone_index: &phone_index,
        address_sealed: &address_sealed,
        country: address.country,
        province: &address.province,
        city: &address.city,
        verification_status: VerificationStatus::Pending.as_str(),
        manual_review: document.manual_review,
        entity_type_hint: document.entity_type_hint,
        actor: &actor.account_id,
        now: now.0,
    })
    .await?;
    let view = load_view(app, &mut tx, &id).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "contact.create",
            object_type: "contact",
            object_id: &id,
            tenant: &actor.tenant_id,
            before: serde_json::Value::Null,
            after: view.summary(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

async fn load_view(app: &App, tx: &mut Tx, contact_id: &str) -> Result<ContactView, AppError> {
    let row = tx
        .contact_by_id(contact_id)
        .await?
        .ok_or_else(|| AppError::internal("contact vanished inside its transaction"))?;
    ContactView::from_row(app.cipher(), &row)
}

/// Loads a contact the actor may exercise `right` on; anything else is not found.
async fn authorized_row(
    tx: &mut Tx,
    actor: &Actor,
    contact_id: &str,
    right: Right,
) -> Result<ContactRow, AppError> {
    let row = tx
        .contact_by_id(contact_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    actor.authorize(&row.owner_id, right)?;
    Ok(row)
}

/// One contact, masked; another tenant's contact is not found.
pub async fn get(app: &App, actor: &Actor, contact_id: &str) -> Result<ContactView, AppError> {
    let mut tx = app.db().read().await?;
    let row = authorized_row(&mut tx, actor, contact_id, Right::DomainsRead).await?;
    tx.commit().await?;
    ContactView::from_row(app.cipher(), &row)
}

/// The contacts of the actor's tenant, newest first, masked; `limit` is 1–200.
pub async fn list(
    app: &App,
    actor: &Actor,
    cursor: Option<&str>,
    limit: i64,
) -> Result<ContactListing, AppError> {
    actor.require(Right::DomainsRead)?;
    let before = parse_cursor(cursor)?;
    let mut tx = app.db().read().await?;
    let page = tx
        .contacts_of_owner(&actor.tenant_id, before.as_ref(), limit)
        .await?;
    tx.commit().await?;
    ContactListing::from_page(app.cipher(), &page)
}

/// Staff with the review right open a contact's document: the plain number, the full address
/// and the history. Each opening is an audit entry (`contact.reveal`), so that every look at
/// personal data can be accounted for.
pub async fn get_unmasked(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    contact_id: &str,
) -> Result<ContactDocument, AppError> {
    let mut tx = app.db().write().await?;
    let row = authorized_row(&mut tx, actor, contact_id, Right::ReviewQueue).await?;
    let id_number = app
        .cipher()
        .open(&row.id_number_sealed, &id_number_context(&row.id))
        .map_err(|e| AppError::internal(format!("contact {} id number: {e}", row.id)))
        .and_then(|bytes| {
            String::from_utf8(bytes)
                .map_err(|_| AppError::internal(format!("contact {} id number", row.id)))
        })?;
    let address: FullAddress = app
        .cipher()
        .open(&row.address_sealed, &address_context(&row.id))
        .map_err(|e| AppError::internal(format!("contact {} address: {e}", row.id)))
        .and_then(|bytes| {
            serde_json::from_slice(&bytes)
                .map_err(|e| AppError::internal(format!("contact {} address: {e}", row.id)))
        })?;
    let history = tx
        .contact_reviews(&row.id)
        .await?
        .iter()
        .map(ReviewEntry::from_row)
        .collect::<Result<_, _>>()?;
    let contact = ContactView::from_row(app.cipher(), &row)?;
    let documents = crate::registrar::contact_documents::document_set(&mut tx, &row).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "contact.reveal",
            object_type: "contact",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: serde_json::Value::Null,
            after: json!({ "revealed": ["id_number", "address"] }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ContactDocument {
        contact,
        id_number,
        address,
        history,
        documents,
    })
}

impl ContactDocument {
    /// When the contact or any of its documents last changed: what a reviewer's decision
    /// must have seen ([`decide_seen`]).
    pub fn changed_at(&self) -> Timestamp {
        ContactDocument::last_change(self.contact.updated_at, &self.documents)
    }

    fn last_change(
        updated_at: Timestamp,
        documents: &crate::registrar::contact_documents::DocumentSet,
    ) -> Timestamp {
        documents
            .documents
            .iter()
            .map(|d| d.created_at)
            .chain([updated_at])
            .max()
            .unwrap_or(updated_at)
    }
}

/// Contacts waiting for a reviewer, oldest first, masked; `limit` is 1–200.
pub async fn review_queue(
    app: &App,
    actor: &Actor,
    cursor: Option<&str>,
    limit: i64,
) -> Result<ContactListing, AppError> {
    actor.require(Right::ReviewQueue)?;
    let after = parse_cursor(cursor)?;
    let mut tx = app.db().read().await?;
    let page = tx.contact_review_queue(after.as_ref(), limit).await?;
    tx.commit().await?;
    ContactListing::from_page(app.cipher(), &page)
}

/// A reviewer approves (→ verified) or rejects (→ rejected, with a reason of 1–500
/// characters) a pending contact. The decision is taken as typed, and checked only after the
/// contact is found and the actor authorised, so that another tenant's contact is not found
/// whatever the body says.
pub async fn decide(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    contact_id: &str,
    decision: &str,
    reason: Option<&str>,
) -> Result<ContactView, AppError> {
    decide_seen(app, ctx, actor, contact_id, decision, reason, None).await
}

/// [`decide`] for a reviewer who opened the contact when it was last changed at `seen`: a
/// contact changed since (a new document, an edit) is refused with `CHANGED_SINCE_OPENED`, so
/// that nobody approves what they have not seen.
pub async fn decide_seen(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    contact_id: &str,
    decision: &str,
    reason: Option<&str>,
    seen: Option<Timestamp>,
) -> Result<ContactView, AppError> {
    let mut tx = app.db().write().await?;
    let row = authorized_row(&mut tx, actor, contact_id, Right::ReviewQueue).await?;
    actor.authorize_decision(&row.owner_id, Right::ReviewQueue)?;
    if let Some(seen) = seen {
        let documents = crate::registrar::contact_documents::document_set(&mut tx, &row).await?;
        if ContactDocument::last_change(Timestamp(row.updated_at), &documents) != seen {
            return Err(AppError::changed_since_opened());
        }
    }
    let decision = ReviewDecision::parse(decision).ok_or(ContactError::UnknownDecision)?;
    let reason = contact::parse_review_reason(reason, decision)?;
    let before = ContactView::from_row(app.cipher(), &row)?;
    let from = before.verification.status;
    let to = from.decide(decision)?;
    let changed = tx
        .set_contact_verification(&VerificationChange {
            contact_id: &row.id,
            from: from.as_str(),
            to: to.as_str(),
            reason: reason.as_deref(),
            actor: &actor.account_id,
            now: app.now().0,
        })
        .await?;
    if !changed {
        // Another reviewer decided between our read and our write.
        return Err(ContactError::NotPending.into());
    }
    let after = load_view(app, &mut tx, &row.id).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "contact.review",
            object_type: "contact",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: json!({ "status": from.as_str() }),
            after: json!({
                "status": to.as_str(),
                "decision": decision.as_str(),
                "reason": reason,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// For flows that need a verified holder (change of registrant, ICP filing), inside their own
/// transaction: the contact if the actor may read it and it is verified. Another tenant's
/// contact is `NOT_FOUND`; a pending or rejected one is `CONTACT_NOT_VERIFIED` (409).
pub async fn require_verified(
    app: &App,
    tx: &mut Tx,
    actor: &Actor,
    contact_id: &str,
) -> Result<ContactView, AppError> {
    let row = authorized_row(tx, actor, contact_id, Right::DomainsRead).await?;
    let view = ContactView::from_row(app.cipher(), &row)?;
    if view.verification.status != VerificationStatus::Verified {
        return Err(RegistrarError::RegistrantNotVerified {
            status: view.verification.status.as_str(),
        }
        .into());
    }
    Ok(view)
}

/// The registrant's consent to lookups showing its name, e-mail and phone (WHOIS and RDAP
/// redact them by default; identity numbers and street addresses are never shown). The
/// tenant's own contacts only; every change is an audit entry, as consent must be provable.
pub async fn set_disclosure(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    contact_id: &str,
    disclose: bool,
) -> Result<bool, AppError> {
    let mut tx = app.db().write().await?;
    let row = authorized_row(&mut tx, actor, contact_id, Right::DomainsManage).await?;
    let before = tx.contact_disclosure(&row.id).await?;
    if before != disclose {
        tx.set_contact_disclosure(&row.id, disclose, app.now().0)
            .await?;
        audit::record(
            app,
            &mut tx,
            ctx,
            &actor.account_id,
            Change {
                action: "contact.disclosure",
                object_type: "contact",
                object_id: &row.id,
                tenant: &row.owner_id,
                before: json!({ "disclose": before }),
                after: json!({ "disclose": disclose }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(disclose)
}

/// Whether the contact consented to disclosure in lookups.
pub async fn disclosure(app: &App, actor: &Actor, contact_id: &str) -> Result<bool, AppError> {
    let mut tx = app.db().read().await?;
    let row = authorized_row(&mut tx, actor, contact_id, Right::DomainsRead).await?;
    let disclose = tx.contact_disclosure(&row.id).await?;
    tx.commit().await?;
    Ok(disclose)
}
