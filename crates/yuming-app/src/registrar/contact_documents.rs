//! Identity document images of registrant contacts: the customer uploads the sides its
//! document type needs ([`IdType::document_kinds`]) while the contact waits for review; the
//! reviewer sees them beside the entered data.
//!
//! The images pass the same checks as filing materials (size, real JPEG/PNG, completeness,
//! pixel budget, minimum size or 300 dpi, colour) through [`images::check_image`], are
//! re-encoded, and are sealed with the file key under `contact.document:<id>`. Once the
//! contact has been reviewed its documents stay as they were reviewed. A reviewer opening an
//! image is recorded in the audit log, as opening the plain document number is.

use serde_json::json;
use sha2::{Digest, Sha256};
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::contact::{IdType, VerificationStatus};
use yuming_store::{ContactDocumentRow, ContactRow, Tx};

use crate::platform::audit::{self, Change};
use crate::platform::crypto::new_id;
use crate::platform::images::{self, ImageView};
use crate::registrar::RegistrarError;
use crate::{App, AppError, RequestContext};

/// A document image as listed (never its contents).
pub type DocumentView = ImageView;

fn view_of(row: &ContactDocumentRow) -> DocumentView {
    ImageView {
        id: row.id.clone(),
        kind: row.kind.clone(),
        current: row.current,
        content_type: row.content_type.clone(),
        size_bytes: row.size_bytes,
        sha256: row.sha256.clone(),
        width: row.width,
        height: row.height,
        dpi: row.dpi,
        created_at: Timestamp(row.created_at),
    }
}

/// A contact's documents: what its document type needs and what was uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentSet {
    /// The kinds the contact's document type needs, in the order to show them.
    pub required: Vec<&'static str>,
    /// Every upload, oldest first.
    pub documents: Vec<DocumentView>,
}

impl DocumentSet {
    /// The current upload of `kind`.
    pub fn current(&self, kind: &str) -> Option<&DocumentView> {
        self.documents.iter().find(|d| d.current && d.kind == kind)
    }

    /// Required kinds without a current upload.
    pub fn missing(&self) -> Vec<&'static str> {
        self.required
            .iter()
            .copied()
            .filter(|kind| self.current(kind).is_none())
            .collect()
    }
}

fn document_context(id: &str) -> String {
    format!("contact.document:{id}")
}

fn required_kinds(row: &ContactRow) -> Result<&'static [&'static str], AppError> {
    IdType::parse(&row.id_type)
        .map(IdType::document_kinds)
        .ok_or_else(|| AppError::internal(format!("contact {} has an unknown id_type", row.id)))
}

async fn contact_row(
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

/// Staff read documents through the review right, customers through their own.
fn read_right(actor: &Actor) -> Right {
    if actor.role.is_staff() {
        Right::ReviewQueue
    } else {
        Right::DomainsRead
    }
}

/// Uploads the `kind` image of a contact that is still waiting for review. A second upload
/// of a kind replaces the first (which stays in the history).
pub async fn upload(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    contact_id: &str,
    kind: &str,
    bytes: Vec<u8>,
) -> Result<DocumentView, AppError> {
    let mut tx = app.db().read().await?;
    let row = contact_row(&mut tx, actor, contact_id, Right::DomainsManage).await?;
    tx.commit().await?;
    check_upload_allowed(&row, kind)?;
    let (inspection, bytes) = images::check_image(app, kind, bytes).await?;
    let id = new_id("cdo");
    let document = ContactDocumentRow {
        id: id.clone(),
        owner_id: row.owner_id.clone(),
        contact_id: row.id.clone(),
        kind: kind.to_owned(),
        current: true,
        content_type: inspection.content_type.to_owned(),
        size_bytes: bytes.len() as i64,
        sha256: hex::encode(Sha256::digest(&bytes)),
        width: i64::from(inspection.width),
        height: i64::from(inspection.height),
        dpi: inspection.dpi.map(i64::from),
        data_sealed: app.cipher().seal(&bytes, &document_context(&id)),
        created_by: actor.account_id.clone(),
        created_at: app.now().0,
    };
    let mut tx = app.db().write().await?;
    // Checked again in the writing transaction: a reviewer may have decided meanwhile.
    let current = contact_row(&mut tx, actor, contact_id, Right::DomainsManage).await?;
    check_upload_allowed(&current, kind)?;
    tx.insert_contact_document(&document).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "contact.document.upload",
            object_type: "contact_document",
            object_id: &id,
            tenant: &document.owner_id,
            before: serde_json::Value::Null,
            after: json!({"contact_id": document.contact_id, "kind": document.kind,
                          "sha256": document.sha256, "size": document.size_bytes}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(view_of(&document))
}

fn check_upload_allowed(row: &ContactRow, kind: &str) -> Result<(), AppError> {
    let required = required_kinds(row)?;
    if !required.contains(&kind) {
        return Err(RegistrarError::DocumentKindNotForContact {
            expected: required.join(", "),
        }
        .into());
    }
    if row.verification_status != VerificationStatus::Pending.as_str() {
        return Err(RegistrarError::DocumentsLocked.into());
    }
    Ok(())
}

/// The contact's documents (its owner, or a reviewer).
pub async fn list(app: &App, actor: &Actor, contact_id: &str) -> Result<DocumentSet, AppError> {
    let mut tx = app.db().read().await?;
    let row = contact_row(&mut tx, actor, contact_id, read_right(actor)).await?;
    let set = document_set(&mut tx, &row).await?;
    tx.commit().await?;
    Ok(set)
}

/// What the contact's document type needs and what was uploaded, inside a transaction.
pub(crate) async fn document_set(tx: &mut Tx, row: &ContactRow) -> Result<DocumentSet, AppError> {
    let documents = tx.contact_documents(&row.id).await?;
    Ok(DocumentSet {
        required: required_kinds(row)?.to_vec(),
        documents: documents.iter().map(view_of).collect(),
    })
}

/// A document's plain image and type (its owner, or a reviewer: audited).
pub async fn content(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    contact_id: &str,
    document_id: &str,
) -> Result<(String, Vec<u8>), AppError> {
    let staff = actor.role.is_staff();
    let mut tx = if staff {
        app.db().write().await?
    } else {
        app.db().read().await?
    };
    let contact = contact_row(&mut tx, actor, contact_id, read_right(actor)).await?;
    let row = tx
        .contact_document(document_id)
        .await?
        .filter(|d| d.contact_id == contact.id)
        .ok_or_else(AppError::not_found)?;
    let bytes = app
        .cipher()
        .open(&row.data_sealed, &document_context(&row.id))
        .map_err(|e| AppError::internal(format!("contact document {}: {e}", row.id)))?;
    if staff {
        audit::record(
            app,
            &mut tx,
            ctx,
            &actor.account_id,
            Change {
                action: "contact.document.view",
                object_type: "contact_document",
                object_id: &row.id,
                tenant: &row.owner_id,
                before: serde_json::Value::Null,
                after: json!({"contact_id": row.contact_id, "kind": row.kind}),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok((row.content_type, bytes))
}
