//! Registrant contacts and the history of their real-name verification status.

use yuming_core::contact::VerificationStatus;

use crate::db::{Db, StoreError, Tx, map_err};

/// A contact as stored. The document number and street address are sealed by the caller.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ContactRow {
    /// Opaque id, `con_…`.
    pub id: String,
    /// The owning tenant.
    pub owner_id: String,
    /// `person` or `organization`.
    pub kind: String,
    /// Holder name as on the document.
    pub name: String,
    /// Document type, e.g. `resident_id`.
    pub id_type: String,
    /// The normalised document number, encrypted.
    pub id_number_sealed: Vec<u8>,
    /// The document number for display, e.g. `1101**********002X`.
    pub id_number_masked: String,
    /// Keyed blind index of the document number, for equality lookups.
    pub id_number_digest: String,
    /// The e-mail, encrypted; `None` only on a row written by a release before migration
    /// 0018 that the start-up conversion has not reached yet.
    pub email_sealed: Option<Vec<u8>>,
    /// The phone (EPP form), encrypted; `None` as for `email_sealed`.
    pub phone_sealed: Option<Vec<u8>>,
    /// The e-mail in clear as older releases stored it; empty once sealed.
    pub legacy_email: String,
    /// The phone in clear as older releases stored it; empty once sealed.
    pub legacy_phone: String,
    /// The full postal address as JSON, encrypted.
    pub address_sealed: Vec<u8>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// Province.
    pub province: String,
    /// City.
    pub city: String,
    /// `pending`, `verified` or `rejected`.
    pub verification_status: String,
    /// Why the contact was rejected.
    pub verification_reason: Option<String>,
    /// The document needs a human look before it can be verified (USCC check character).
    pub manual_review: bool,
    /// For organisations, the subject type the USCC suggests.
    pub entity_type_hint: Option<String>,
    /// The reviewer of the last decision.
    pub reviewed_by: Option<String>,
    /// Time of the last decision.
    pub reviewed_at: Option<i64>,
    /// Creation time.
    pub created_at: i64,
    /// Last change time.
    pub updated_at: i64,
}

/// The fields of a new contact; its first history row is written with it.
#[derive(Debug, Clone)]
pub struct NewContact<'a> {
    /// Opaque id.
    pub id: &'a str,
    /// Owning tenant.
    pub owner_id: &'a str,
    /// `person` or `organization`.
    pub kind: &'a str,
    /// Holder name.
    pub name: &'a str,
    /// Document type.
    pub id_type: &'a str,
    /// Encrypted document number.
    pub id_number_sealed: &'a [u8],
    /// Masked document number.
    pub id_number_masked: &'a str,
    /// Blind index of the document number.
    pub id_number_digest: &'a str,
    /// Encrypted e-mail.
    pub email_sealed: &'a [u8],
    /// Encrypted phone.
    pub phone_sealed: &'a [u8],
    /// Keyed blind index of the phone (support's search).
    pub phone_index: &'a str,
    /// Encrypted full address.
    pub address_sealed: &'a [u8],
    /// Country code.
    pub country: &'a str,
    /// Province.
    pub province: &'a str,
    /// City.
    pub city: &'a str,
    /// The initial verification status.
    pub verification_status: &'a str,
    /// Whether a human must look at the document.
    pub manual_review: bool,
    /// Subject type suggested by a USCC.
    pub entity_type_hint: Option<&'a str>,
    /// The account that submitted the contact, for the history row.
    pub actor: &'a str,
    /// Creation time.
    pub now: i64,
}

/// A position in a contact listing: contacts are ordered by creation time, then id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactKey {
    /// Creation time of the last contact seen.
    pub created_at: i64,
    /// Id of the last contact seen.
    pub id: String,
}

/// One page of contacts.
#[derive(Debug, Clone)]
pub struct ContactPage {
    /// The contacts.
    pub contacts: Vec<ContactRow>,
    /// Where the next page starts; `None` at the end.
    pub next: Option<ContactKey>,
}

/// A reviewer's change of a contact's verification status.
#[derive(Debug, Clone)]
pub struct VerificationChange<'a> {
    /// The contact.
    pub contact_id: &'a str,
    /// The status the change starts from; the change applies only if it still holds.
    pub from: &'a str,
    /// The new status.
    pub to: &'a str,
    /// The reviewer's reason.
    pub reason: Option<&'a str>,
    /// The reviewing account.
    pub actor: &'a str,
    /// Time of the decision.
    pub now: i64,
}

/// One verification status change, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ContactReviewRow {
    /// Order of the changes.
    pub seq: i64,
    /// The contact.
    pub contact_id: String,
    /// The status before; `None` for the submission.
    pub from_status: Option<String>,
    /// The status after.
    pub to_status: String,
    /// The reviewer's reason.
    pub reason: Option<String>,
    /// The acting account.
    pub actor: String,
    /// Time of the change.
    pub at: i64,
}

macro_rules! contact_columns {
    () => {
        "id, owner_id, kind, name, id_type, id_number_sealed, id_number_masked, \
         id_number_digest, email_sealed, phone_sealed, email AS legacy_email, \
         phone AS legacy_phone, address_sealed, country, province, city, \
         verification_status, verification_reason, manual_review, entity_type_hint, \
         reviewed_by, reviewed_at, created_at, updated_at"
    };
}

/// The largest page of contacts one query returns.
const MAX_PAGE: i64 = 200;

/// Splits the `limit + 1` rows a page query fetched into the page and the next page's key.
fn into_page(mut contacts: Vec<ContactRow>, limit: i64) -> ContactPage {
    let next = if contacts.len() as i64 > limit {
        contacts.truncate(limit as usize);
        contacts.last().map(|row| ContactKey {
            created_at: row.created_at,
            id: row.id.clone(),
        })
    } else {
        None
    };
    ContactPage { contacts, next }
}

impl Tx {
    /// Stores a new contact and the history row of its submission.
    pub async fn insert_contact(&mut self, new: &NewContact<'_>) -> Result<(), StoreError> {
        // The plaintext columns of older releases are NOT NULL: they get the empty string.
        let sql = "INSERT INTO contacts (id, owner_id, kind, name, id_type, id_number_sealed, \
                   id_number_masked, id_number_digest, email_sealed, phone_sealed, email, phone, \
                   address_sealed, country, province, city, verification_status, manual_review, \
                   entity_type_hint, created_at, updated_at, phone_index) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, '', '', $11, $12, $13, $14, \
                   $15, $16, $17, $18, $18, $19)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(new.id)
            .bind(new.owner_id)
            .bind(new.kind)
            .bind(new.name)
            .bind(new.id_type)
            .bind(new.id_number_sealed)
            .bind(new.id_number_masked)
            .bind(new.id_number_digest)
            .bind(new.email_sealed)
            .bind(new.phone_sealed)
            .bind(new.address_sealed)
            .bind(new.country)
            .bind(new.province)
            .bind(new.city)
            .bind(new.verification_status)
            .bind(new.manual_review)
            .bind(new.entity_type_hint)
            .bind(new.now)
            .bind(new.phone_index)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        self.append_contact_review(
            new.id,
            None,
            new.verification_status,
            None,
            new.actor,
            new.now,
        )
        .await
    }

    /// The contact with this id.
    /// Whether the contact consented to showing its name, e-mail and phone in lookups.
    pub async fn contact_disclosure(&mut self, id: &str) -> Result<bool, StoreError> {
        let sql = "SELECT disclose FROM contacts WHERE id = $1";
        let found: Option<bool> = on_conn!(self, c => sqlx::query_scalar(sql)
            .bind(id)
            .fetch_optional(c)
            .await
            .map_err(map_err))?;
        Ok(found.unwrap_or(false))
    }

    /// Records the contact's consent (or its withdrawal); false when no such contact.
    pub async fn set_contact_disclosure(
        &mut self,
        id: &str,
        disclose: bool,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE contacts SET disclose = $2, updated_at = $3 WHERE id = $1";
        let affected = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(disclose)
            .bind(now)
            .execute(c)
            .await
            .map(|done| done.rows_affected())
            .map_err(map_err))?;
        Ok(affected == 1)
    }

    pub async fn contact_by_id(&mut self, id: &str) -> Result<Option<ContactRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            contact_columns!(),
            " FROM contacts WHERE id = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, ContactRow>(sql)
            .bind(id)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// A tenant's contacts, newest first, `limit` (1–200) per page, starting after `before`.
    pub async fn contacts_of_owner(
        &mut self,
        owner_id: &str,
        before: Option<&ContactKey>,
        limit: i64,
    ) -> Result<ContactPage, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let sql = concat!(
            "SELECT ",
            contact_columns!(),
            " FROM contacts WHERE owner_id = $1 \
             AND ($2 IS NULL OR created_at < $2 OR (created_at = $2 AND id < $3)) \
             ORDER BY created_at DESC, id DESC LIMIT $4 + 0"
        );
        let rows = on_conn!(self, c => sqlx::query_as::<_, ContactRow>(sql)
            .bind(owner_id)
            .bind(before.map(|key| key.created_at))
            .bind(before.map(|key| key.id.as_str()))
            .bind(limit + 1)
            .fetch_all(c)
            .await
            .map_err(map_err))?;
        Ok(into_page(rows, limit))
    }

    /// Contacts waiting for review, oldest first, `limit` (1–200) per page, starting after
    /// `after`.
    pub async fn contact_review_queue(
        &mut self,
        after: Option<&ContactKey>,
        limit: i64,
    ) -> Result<ContactPage, StoreError> {
        let limit = limit.clamp(1, MAX_PAGE);
        let sql = concat!(
            "SELECT ",
            contact_columns!(),
            " FROM contacts WHERE verification_status = $1 \
             AND ($2 IS NULL OR created_at > $2 OR (created_at = $2 AND id > $3)) \
             ORDER BY created_at, id LIMIT $4 + 0"
        );
        let rows = on_conn!(self, c => sqlx::query_as::<_, ContactRow>(sql)
            .bind(VerificationStatus::Pending.as_str())
            .bind(after.map(|key| key.created_at))
            .bind(after.map(|key| key.id.as_str()))
            .bind(limit + 1)
            .fetch_all(c)
            .await
            .map_err(map_err))?;
        Ok(into_page(rows, limit))
    }

    /// Moves a contact from `change.from` to `change.to` and appends the history row.
    /// Returns false, changing nothing, when the contact is no longer in `change.from` (a
    /// concurrent decision won).
    pub async fn set_contact_verification(
        &mut self,
        change: &VerificationChange<'_>,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE contacts SET verification_status = $3, verification_reason = $4, \
                   reviewed_by = $5, reviewed_at = $6, updated_at = $6 \
                   WHERE id = $1 AND verification_status = $2";
        let updated = on_conn!(self, c => sqlx::query(sql)
            .bind(change.contact_id)
            .bind(change.from)
            .bind(change.to)
            .bind(change.reason)
            .bind(change.actor)
            .bind(change.now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        if updated != 1 {
            return Ok(false);
        }
        self.append_contact_review(
            change.contact_id,
            Some(change.from),
            change.to,
            change.reason,
            change.actor,
            change.now,
        )
        .await?;
        Ok(true)
    }

    /// A contact's status changes, oldest first.
    pub async fn contact_reviews(
        &mut self,
        contact_id: &str,
    ) -> Result<Vec<ContactReviewRow>, StoreError> {
        let sql = "SELECT seq, contact_id, from_status, to_status, reason, actor, at \
                   FROM contact_reviews WHERE contact_id = $1 ORDER BY seq";
        on_conn!(self, c => sqlx::query_as::<_, ContactReviewRow>(sql)
            .bind(contact_id)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Up to `limit` contacts whose e-mail and phone an older release stored in clear:
    /// `(id, email, phone)`.
    pub async fn contacts_in_clear(
        &mut self,
        limit: i64,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        let sql = "SELECT id, email, phone FROM contacts WHERE email_sealed IS NULL \
                   OR phone_sealed IS NULL ORDER BY id LIMIT $1 + 0";
        on_conn!(self, c => sqlx::query_as::<_, (String, String, String)>(sql)
            .bind(limit)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Up to `limit` contacts with a sealed phone but no phone index yet: `(id, phone_sealed)`.
    pub async fn contacts_without_phone_index(
        &mut self,
        limit: i64,
    ) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let sql = "SELECT id, phone_sealed FROM contacts WHERE phone_index IS NULL \
                   AND phone_sealed IS NOT NULL ORDER BY id LIMIT $1 + 0";
        on_conn!(self, c => sqlx::query_as::<_, (String, Vec<u8>)>(sql)
            .bind(limit)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Sets a contact's phone index (once: another instance may have done it).
    pub async fn set_contact_phone_index(
        &mut self,
        id: &str,
        index: &str,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE contacts SET phone_index = $2 WHERE id = $1 AND phone_index IS NULL";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(index)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// The tenants holding a contact whose phone has this blind index.
    pub async fn owners_by_contact_phone(
        &mut self,
        index: &str,
    ) -> Result<Vec<String>, StoreError> {
        let sql = "SELECT DISTINCT owner_id FROM contacts WHERE phone_index = $1 ORDER BY owner_id";
        on_conn!(self, c => sqlx::query_scalar::<_, String>(sql)
            .bind(index)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Stores a contact's sealed e-mail and phone and empties the plaintext columns; false
    /// when another instance did it first.
    pub async fn seal_contact_in_clear(
        &mut self,
        id: &str,
        email_sealed: &[u8],
        phone_sealed: &[u8],
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE contacts SET email_sealed = $2, phone_sealed = $3, email = '', \
                   phone = '' WHERE id = $1 AND (email_sealed IS NULL OR phone_sealed IS NULL)";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(email_sealed)
            .bind(phone_sealed)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    async fn append_contact_review(
        &mut self,
        contact_id: &str,
        from: Option<&str>,
        to: &str,
        reason: Option<&str>,
        actor: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO contact_reviews (contact_id, from_status, to_status, reason, \
                   actor, at) VALUES ($1, $2, $3, $4, $5, $6)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(contact_id)
            .bind(from)
            .bind(to)
            .bind(reason)
            .bind(actor)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }
}

/// A contact with the registrant's consent to disclosure, for public lookups.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PublishedContact {
    /// The stored row.
    #[sqlx(flatten)]
    pub row: ContactRow,
    /// Whether the registrant consented to showing name, e-mail and phone.
    pub disclose: bool,
}

/// How many columns `contact_columns!` lists.
const CONTACT_COLUMN_COUNT: usize = 24;

pub(crate) const PUBLISHED_CONTACT: &str = concat!(
    "SELECT ",
    contact_columns!(),
    ", disclose FROM contacts WHERE id = $1"
);

impl Db {
    /// A contact and its disclosure consent as one statement outside any transaction (public
    /// lookups: RDAP, WHOIS).
    pub async fn published_contact(
        &self,
        id: &str,
    ) -> Result<Option<PublishedContact>, StoreError> {
        lone_read!(
            optional: self,
            PublishedContact,
            PUBLISHED_CONTACT,
            PublishedContact::from_rusqlite,
            id
        )
    }
}

impl PublishedContact {
    /// The row of a statement on SQLite's inline read path, by position in the order of
    /// `contact_columns!`, then `disclose`.
    fn from_rusqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<PublishedContact> {
        Ok(PublishedContact {
            row: ContactRow {
                id: r.get(0)?,
                owner_id: r.get(1)?,
                kind: r.get(2)?,
                name: r.get(3)?,
                id_type: r.get(4)?,
                id_number_sealed: r.get(5)?,
                id_number_masked: r.get(6)?,
                id_number_digest: r.get(7)?,
                email_sealed: r.get(8)?,
                phone_sealed: r.get(9)?,
                legacy_email: r.get(10)?,
                legacy_phone: r.get(11)?,
                address_sealed: r.get(12)?,
                country: r.get(13)?,
                province: r.get(14)?,
                city: r.get(15)?,
                verification_status: r.get(16)?,
                verification_reason: r.get(17)?,
                manual_review: r.get(18)?,
                entity_type_hint: r.get(19)?,
                reviewed_by: r.get(20)?,
                reviewed_at: r.get(21)?,
                created_at: r.get(22)?,
                updated_at: r.get(23)?,
            },
            disclose: r.get(CONTACT_COLUMN_COUNT)?,
        })
    }
}

/// An identity document image of a contact (migration 0023).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ContactDocumentRow {
    /// Opaque id, `cdo_…`.
    pub id: String,
    /// The owning tenant.
    pub owner_id: String,
    /// The contact.
    pub contact_id: String,
    /// `id_front`, `id_back` or `business_licence`.
    pub kind: String,
    /// The latest upload of its kind.
    pub current: bool,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of the stored file, hex.
    pub sha256: String,
    /// Pixels.
    pub width: i64,
    /// Pixels.
    pub height: i64,
    /// Dots per inch, when the file states it.
    pub dpi: Option<i64>,
    /// The sealed file (empty in listings).
    pub data_sealed: Vec<u8>,
    /// The uploading account.
    pub created_by: String,
    /// Upload time.
    pub created_at: i64,
}

macro_rules! document_columns {
    () => {
        "id, owner_id, contact_id, kind, current, content_type, size_bytes, sha256, width, \
         height, dpi, data_sealed, created_by, created_at"
    };
}

impl Tx {
    /// Stores a document; an earlier upload of the same kind stops being current.
    pub async fn insert_contact_document(
        &mut self,
        row: &ContactDocumentRow,
    ) -> Result<(), StoreError> {
        let clear = "UPDATE contact_documents SET current = FALSE \
                     WHERE contact_id = $1 AND kind = $2 AND current";
        on_conn!(self, c => sqlx::query(clear)
            .bind(&row.contact_id)
            .bind(&row.kind)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))?;
        let sql = concat!(
            "INSERT INTO contact_documents (",
            document_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        );
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.owner_id)
            .bind(&row.contact_id)
            .bind(&row.kind)
            .bind(row.current)
            .bind(&row.content_type)
            .bind(row.size_bytes)
            .bind(&row.sha256)
            .bind(row.width)
            .bind(row.height)
            .bind(row.dpi)
            .bind(&row.data_sealed)
            .bind(&row.created_by)
            .bind(row.created_at)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// A contact's documents without their contents (every version, oldest first).
    pub async fn contact_documents(
        &mut self,
        contact_id: &str,
    ) -> Result<Vec<ContactDocumentRow>, StoreError> {
        per_backend!(self,
            sqlite: c => sqlx::query_as::<_, ContactDocumentRow>(
                "SELECT id, owner_id, contact_id, kind, current, content_type, size_bytes, \
                 sha256, width, height, dpi, X'' AS data_sealed, created_by, created_at \
                 FROM contact_documents WHERE contact_id = $1 ORDER BY created_at, id")
                .bind(contact_id)
                .fetch_all(c)
                .await
                .map_err(map_err),
            postgres: c => sqlx::query_as::<_, ContactDocumentRow>(
                "SELECT id, owner_id, contact_id, kind, current, content_type, size_bytes, \
                 sha256, width, height, dpi, ''::BYTEA AS data_sealed, created_by, created_at \
                 FROM contact_documents WHERE contact_id = $1 ORDER BY created_at, id")
                .bind(contact_id)
                .fetch_all(c)
                .await
                .map_err(map_err),
        )
    }

    /// One document with its sealed contents.
    pub async fn contact_document(
        &mut self,
        id: &str,
    ) -> Result<Option<ContactDocumentRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            document_columns!(),
            " FROM contact_documents WHERE id = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, ContactDocumentRow>(sql)
            .bind(id)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }
}
