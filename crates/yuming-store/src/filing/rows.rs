//! The rows of the filing tables.

/// One row of the versioned rules table.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FilingRuleRow {
    /// Opaque id.
    pub id: String,
    /// `national`, `province` or `provider`.
    pub scope: String,
    /// Empty, a province code or a provider name.
    pub scope_key: String,
    /// The rule key.
    pub rule_key: String,
    /// The value.
    pub value: String,
    /// Where the value comes from.
    pub source: String,
    /// From when it applies.
    pub effective_from: i64,
    /// When the row was added.
    pub created_at: i64,
}

/// A configured address pool of the provider.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IpPoolRow {
    /// Opaque id.
    pub id: String,
    /// `203.0.113.0/24` or a single address.
    pub cidr: String,
    /// Region name, e.g. `北京`.
    pub region: String,
    /// In mainland China.
    pub mainland: bool,
    /// When it was added.
    pub created_at: i64,
}

/// A customer's server.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ServerRow {
    /// Opaque id.
    pub id: String,
    /// The owning tenant.
    pub owner_id: String,
    /// The address.
    pub ip: String,
    /// Region name.
    pub region: String,
    /// When the server's term ends.
    pub expires_at: i64,
    /// When it was added.
    pub created_at: i64,
}

/// A filing entity (主体).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FilingEntityRow {
    /// Opaque id.
    pub id: String,
    /// The owning tenant.
    pub owner_id: String,
    /// §1.4 key.
    pub entity_type: String,
    /// GB/T 2260 province code.
    pub province: i64,
    /// Name on the certificate.
    pub name: String,
    /// Certificate type.
    pub cert_type: String,
    /// Blind index of the certificate.
    pub cert_digest: String,
    /// Masked certificate number.
    pub cert_masked: String,
    /// Keyed blind index of the principal's mobile (the number itself is only in
    /// `data_sealed`); empty on a row of an older release not yet converted.
    pub principal_mobile_index: String,
    /// Keyed blind index of the principal's e-mail, as for the mobile.
    pub principal_email_index: String,
    /// Sealed JSON document.
    pub data_sealed: Vec<u8>,
    /// 主体备案号 once filed.
    pub subject_no: Option<String>,
    /// `draft`, `filed` or `cancelled`.
    pub status: String,
    /// Creation time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

/// A site (网站).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FilingSiteRow {
    /// Opaque id.
    pub id: String,
    /// The owning tenant.
    pub owner_id: String,
    /// The entity.
    pub entity_id: String,
    /// The domain (ASCII).
    pub domain: String,
    /// Keyed blind index of the site principal's mobile (the number itself is only in
    /// `data_sealed`); empty on a row of an older release not yet converted.
    pub principal_mobile_index: String,
    /// Keyed blind index of the site principal's e-mail, as for the mobile.
    pub principal_email_index: String,
    /// Sealed JSON document.
    pub data_sealed: Vec<u8>,
    /// 网站备案号 once filed.
    pub site_no: Option<String>,
    /// `draft`, `filed` or `cancelled`.
    pub status: String,
    /// Creation time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

/// A filing order.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FilingOrderRow {
    /// Opaque id.
    pub id: String,
    /// The owning tenant.
    pub owner_id: String,
    /// The entity.
    pub entity_id: String,
    /// The site, for operations that carry one.
    pub site_id: Option<String>,
    /// §1.2 key.
    pub operation: String,
    /// §1.7 key.
    pub status: String,
    /// The entity id while the order holds the entity's lock.
    pub lock_key: Option<String>,
    /// Sealed JSON of the proposed data.
    pub payload_sealed: Vec<u8>,
    /// JSON array of the fields a rejection reopened.
    pub rejected_fields: String,
    /// The reviewer who claimed it.
    pub claimed_by: Option<String>,
    /// The authority's ticket.
    pub authority_ticket: Option<String>,
    /// Last submission time.
    pub submitted_at: Option<i64>,
    /// Creation time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

/// One status change of an order.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FilingHistoryRow {
    /// Order of the changes.
    pub seq: i64,
    /// The order.
    pub order_id: String,
    /// Before; `None` at creation.
    pub from_status: Option<String>,
    /// After.
    pub to_status: String,
    /// The acting account (or `authority`).
    pub actor: String,
    /// Why.
    pub note: Option<String>,
    /// When.
    pub at: i64,
}

/// A review note: a per-field rejection comment, a call-log entry or a message.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FilingNoteRow {
    /// Order of the notes.
    pub seq: i64,
    /// The order.
    pub order_id: String,
    /// `rejection`, `call` or `message`.
    pub kind: String,
    /// The writing account.
    pub author: String,
    /// Written by staff (else by the applicant).
    pub from_staff: bool,
    /// The field it is about.
    pub field: Option<String>,
    /// The §1.8 code, for rejections.
    pub code: Option<String>,
    /// The text.
    pub body: String,
    /// When.
    pub at: i64,
}

/// An uploaded material.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FilingMaterialRow {
    /// Opaque id.
    pub id: String,
    /// The owning tenant.
    pub owner_id: String,
    /// The order.
    pub order_id: String,
    /// Material kind.
    pub kind: String,
    /// The latest upload of its kind.
    pub current: bool,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of the plain file, hex.
    pub sha256: String,
    /// Pixels.
    pub width: i64,
    /// Pixels.
    pub height: i64,
    /// Dots per inch, when the file states it.
    pub dpi: Option<i64>,
    /// The sealed file.
    pub data_sealed: Vec<u8>,
    /// The uploading account.
    pub created_by: String,
    /// Upload time.
    pub created_at: i64,
}
