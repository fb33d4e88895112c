//! Registrant contacts, their real-name review, changes of registrant, naming decisions and credit limits.

use super::domains::DomainDto;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yuming_app::registrar::contact_documents::{DocumentSet, DocumentView};
use yuming_app::registrar::contacts::{ContactDocument, ContactView, ReviewEntry};
use yuming_core::clock::Timestamp;

/// `POST /api/v1/contacts` request: a registrant contact with its identity document. Not
/// `Debug`: it carries the plain document number and street.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactCreateRequest {
    /// `person` or `organization`.
    #[schema(example = "person")]
    pub kind: String,
    /// Holder name as on the document; Chinese for mainland documents.
    #[schema(example = "张三")]
    pub name: String,
    /// `resident_id`, `passport`, `hk_macau_permit`, `taiwan_permit`,
    /// `foreign_permanent_resident` (persons) or `uscc` (organizations).
    #[schema(example = "resident_id")]
    pub id_type: String,
    /// The document number.
    #[schema(example = "11010519491231002X")]
    pub id_number: String,
    /// E-mail.
    pub email: String,
    /// `+86.13800138000` (EPP form) or an 11-digit mainland mobile number.
    #[schema(example = "+86.13800138000")]
    pub phone: String,
    /// Postal address.
    pub address: AddressRequest,
}

/// A postal address.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressRequest {
    /// ISO 3166-1 alpha-2 code.
    #[schema(example = "CN")]
    pub country: String,
    /// Province, state or region (1–64 characters).
    pub province: String,
    /// City (1–64 characters).
    pub city: String,
    /// Street address (1–200 characters); never shown again outside review.
    pub street: String,
    /// Postal code: 6 digits in China.
    #[serde(default)]
    pub postal_code: Option<String>,
}

/// The shown part of a contact's address.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegionDto {
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
    /// Province.
    pub province: String,
    /// City.
    pub city: String,
}

/// Real-name verification state.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VerificationDto {
    /// `pending`, `verified` or `rejected`.
    #[schema(example = "pending")]
    pub status: String,
    /// The reviewer's reason (always present when rejected).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The document broke only a check-character rule; a reviewer looks at it.
    pub manual_review: bool,
    /// When the reviewer decided, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewed_at: Option<String>,
}

/// A registrant contact; the document number is masked and the street is never shown.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactDto {
    /// Opaque id, `con_…`.
    pub id: String,
    /// `person` or `organization`.
    pub kind: String,
    /// Holder name.
    pub name: String,
    /// Document type.
    pub id_type: String,
    /// The document number with the middle hidden, e.g. `1101**********002X`.
    #[schema(example = "1101**********002X")]
    pub id_number_masked: String,
    /// E-mail.
    pub email: String,
    /// Phone, EPP form.
    pub phone: String,
    /// Country, province and city.
    pub address: RegionDto,
    /// Real-name verification.
    pub verification: VerificationDto,
    /// Creation time, RFC 3339.
    pub created_at: String,
}

impl From<ContactView> for ContactDto {
    fn from(view: ContactView) -> Self {
        ContactDto {
            id: view.id,
            kind: view.kind.as_str().to_owned(),
            name: view.name,
            id_type: view.id_type.as_str().to_owned(),
            id_number_masked: view.id_number_masked,
            email: view.email,
            phone: view.phone,
            address: RegionDto {
                country: view.region.country,
                province: view.region.province,
                city: view.region.city,
            },
            verification: VerificationDto {
                status: view.verification.status.as_str().to_owned(),
                reason: view.verification.reason,
                manual_review: view.verification.manual_review,
                reviewed_at: view.verification.reviewed_at.map(Timestamp::to_rfc3339),
            },
            created_at: view.created_at.to_rfc3339(),
        }
    }
}

/// Paging of contact listings.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ContactListQuery {
    /// The previous page's `next_cursor`.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// The caller's contacts.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactList {
    /// Contacts, newest first.
    pub contacts: Vec<ContactDto>,
    /// Cursor of the next page, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A contact as reviewers see it in the queue: still masked, with its owner.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReviewContactDto {
    /// The contact.
    #[serde(flatten)]
    pub contact: ContactDto,
    /// The owning tenant.
    pub owner_id: String,
    /// For organizations, the filing subject type the USCC suggests, e.g. `ENTERPRISE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_type_hint: Option<String>,
}

impl From<ContactView> for ReviewContactDto {
    fn from(view: ContactView) -> Self {
        let owner_id = view.owner_id.clone();
        let entity_type_hint = view.entity_type_hint.clone();
        ReviewContactDto {
            contact: view.into(),
            owner_id,
            entity_type_hint,
        }
    }
}

/// Contacts waiting for real-name review.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReviewContactList {
    /// Contacts, oldest first.
    pub contacts: Vec<ReviewContactDto>,
    /// Cursor of the next page, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A reviewer's decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewDecisionRequest {
    /// `approve` or `reject`. Required; it is checked after the contact is found, so that
    /// another tenant's contact answers 404 whatever the body.
    #[serde(default)]
    #[schema(example = "reject")]
    pub decision: Option<String>,
    /// Why (1–500 characters); required to reject.
    #[serde(default)]
    pub reason: Option<String>,
    /// The `changed_at` of the document the reviewer looked at (RFC 3339, from
    /// `GET /api/v1/review/contacts/{id}`): when the contact or its images changed since, the
    /// decision is refused with `CHANGED_SINCE_OPENED` (409).
    #[serde(default)]
    pub seen: Option<String>,
}

/// A full postal address (review only).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct FullAddressDto {
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
    /// Province.
    pub province: String,
    /// City.
    pub city: String,
    /// Street address.
    pub street: String,
    /// Postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
}

/// One verification status change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReviewHistoryDto {
    /// The status before; absent for the submission.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The status after.
    pub to: String,
    /// The reviewer's reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The acting account.
    pub actor: String,
    /// Time, RFC 3339.
    pub at: String,
}

impl From<ReviewEntry> for ReviewHistoryDto {
    fn from(entry: ReviewEntry) -> Self {
        ReviewHistoryDto {
            from: entry.from.map(|status| status.as_str().to_owned()),
            to: entry.to.as_str().to_owned(),
            reason: entry.reason,
            actor: entry.actor,
            at: entry.at.to_rfc3339(),
        }
    }
}

/// A contact's full document, for the reviewer deciding on it. Not `Debug`: it carries the
/// plain document number and street.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ContactDocumentDto {
    /// When the contact or one of its images last changed (RFC 3339): send it back as the
    /// decision's `seen`.
    pub changed_at: String,
    /// The contact.
    pub contact: ReviewContactDto,
    /// The document number, unmasked.
    pub id_number: String,
    /// The full address.
    pub address: FullAddressDto,
    /// Every status change, oldest first.
    pub history: Vec<ReviewHistoryDto>,
    /// The identity document images (fetch each from
    /// `/api/v1/contacts/{id}/documents/{document_id}/content`; every fetch is audited).
    pub documents: ContactImagesDto,
}

/// An identity document image of a contact (never its contents).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactImageDto {
    /// `cdo_…`.
    pub id: String,
    /// `id_front`, `id_back` or `business_licence`.
    pub kind: String,
    /// The latest upload of its kind.
    pub current: bool,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// Bytes of the stored (re-encoded) file.
    pub size_bytes: i64,
    /// SHA-256 of the stored file, hex.
    pub sha256: String,
    /// Pixels.
    pub width: i64,
    /// Pixels.
    pub height: i64,
    /// Stated density.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dpi: Option<i64>,
    /// Upload time, RFC 3339.
    pub created_at: String,
}

impl From<DocumentView> for ContactImageDto {
    fn from(d: DocumentView) -> Self {
        ContactImageDto {
            id: d.id,
            kind: d.kind,
            current: d.current,
            content_type: d.content_type,
            size_bytes: d.size_bytes,
            sha256: d.sha256,
            width: d.width,
            height: d.height,
            dpi: d.dpi,
            created_at: d.created_at.to_rfc3339(),
        }
    }
}

/// A contact's document images: what its document type needs and what was uploaded.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactImagesDto {
    /// The kinds the document type needs.
    pub required: Vec<String>,
    /// Required kinds with no current upload.
    pub missing: Vec<String>,
    /// Every upload, oldest first.
    pub documents: Vec<ContactImageDto>,
}

impl From<DocumentSet> for ContactImagesDto {
    fn from(set: DocumentSet) -> Self {
        ContactImagesDto {
            required: set.required.iter().map(|k| (*k).to_owned()).collect(),
            missing: set.missing().iter().map(|k| (*k).to_owned()).collect(),
            documents: set.documents.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<ContactDocument> for ContactDocumentDto {
    fn from(document: ContactDocument) -> Self {
        ContactDocumentDto {
            changed_at: document.changed_at().to_rfc3339(),
            contact: document.contact.into(),
            id_number: document.id_number,
            address: FullAddressDto {
                country: document.address.country,
                province: document.address.province,
                city: document.address.city,
                street: document.address.street,
                postal_code: document.address.postal_code,
            },
            history: document
                .history
                .into_iter()
                .map(ReviewHistoryDto::from)
                .collect(),
            documents: document.documents.into(),
        }
    }
}

/// Change of registrant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrantChangeRequest {
    /// A contact of the caller's tenant whose real name is verified.
    pub contact_id: String,
}

/// The outcome of a naming-review decision.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NamingDecisionDto {
    /// Whether the name was approved.
    pub approved: bool,
    /// The domain after approval; absent after a rejection (deleted and refunded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<DomainDto>,
}

/// A credit limit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditLimitRequest {
    /// How far below zero the balance may go, minor units, ≥ 0.
    pub amount: i64,
    /// ISO 4217 code (default CNY).
    #[serde(default)]
    pub currency: Option<String>,
}
