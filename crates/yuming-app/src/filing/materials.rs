//! Filing materials (R-MAT-1): uploads of an order's documents, encrypted at rest, with the
//! history of re-uploads. Every file passes the document image checks of
//! [`crate::platform::images`] (size, type, completeness, pixels, density, colour) and is
//! stored re-encoded.

use sha2::{Digest, Sha256};
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::filing::OrderStatus;
use yuming_store::FilingMaterialRow;

use crate::filing::FilingError;
use crate::platform::audit::{self, Change};
use crate::platform::crypto::new_id;
pub use crate::platform::images::{
    DECODE_WAIT, Header, ImageView, Inspection, MAX_ALLOC, MAX_BYTES, MAX_PIXELS, MAX_SIDE,
    MIN_DPI, check_image, inspect, precheck,
};
use crate::{App, AppError, RequestContext};

/// The material kinds.
pub const KINDS: [&str; 8] = [
    "id_front",
    "id_back",
    "business_licence",
    "verification_photo",
    "authorisation_letter",
    "preapproval",
    "commitment_letter",
    "other",
];

/// A material as listed (never its contents).
pub type MaterialView = ImageView;

pub(crate) fn view_of(row: &FilingMaterialRow) -> MaterialView {
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

fn material_context(id: &str) -> String {
    format!("filing.material:{id}")
}

/// Uploads a material of `kind` to an order the applicant may still edit. A re-upload of the
/// same kind becomes current; the old one stays in the history.
pub async fn upload(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    order_id: &str,
    kind: &str,
    bytes: Vec<u8>,
) -> Result<MaterialView, AppError> {
    let mut tx = app.db().read().await?;
    let order = tx
        .filing_order(order_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    actor.authorize(&order.owner_id, Right::IcpManage)?;
    tx.commit().await?;
    if !KINDS.contains(&kind) {
        return Err(FilingError::InvalidMaterialKind.into());
    }
    let editable = OrderStatus::parse(&order.status).is_some_and(OrderStatus::applicant_may_edit);
    if !editable {
        return Err(FilingError::OrderNotEditable.into());
    }
    let original_sha256 = hex::encode(Sha256::digest(&bytes));
    let (inspection, bytes) = check_image(app, kind, bytes).await?;
    let id = new_id("fma");
    let row = FilingMaterialRow {
        id: id.clone(),
        owner_id: order.owner_id.clone(),
        order_id: order.id.clone(),
        kind: kind.to_owned(),
        current: true,
        content_type: inspection.content_type.to_owned(),
        size_bytes: bytes.len() as i64,
        sha256: inspection.sha256.clone(),
        width: i64::from(inspection.width),
        height: i64::from(inspection.height),
        dpi: inspection.dpi.map(i64::from),
        data_sealed: app.cipher().seal(&bytes, &material_context(&id)),
        created_by: actor.account_id.clone(),
        created_at: app.now().0,
    };
    let mut tx = app.db().write().await?;
    tx.insert_filing_material(&row).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.material.upload",
            object_type: "filing_material",
            object_id: &id,
            tenant: &row.owner_id,
            before: serde_json::Value::Null,
            after: serde_json::json!({"order_id": row.order_id, "kind": row.kind,
                                      "sha256": row.sha256, "size": row.size_bytes,
                                      "uploaded_sha256": original_sha256}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(view_of(&row))
}

/// An order's materials, every version.
pub async fn list(app: &App, actor: &Actor, order_id: &str) -> Result<Vec<MaterialView>, AppError> {
    let right = if actor.role.is_staff() {
        Right::ReviewQueue
    } else {
        Right::IcpManage
    };
    let mut tx = app.db().read().await?;
    let order = tx
        .filing_order(order_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    actor.authorize(&order.owner_id, right)?;
    let rows = tx.filing_materials(&order.id).await?;
    tx.commit().await?;
    Ok(rows.iter().map(view_of).collect())
}

/// A material's plain contents and type (the owner, or a reviewer).
pub async fn download(
    app: &App,
    actor: &Actor,
    order_id: &str,
    material_id: &str,
) -> Result<(String, Vec<u8>), AppError> {
    let right = if actor.role.is_staff() {
        Right::ReviewQueue
    } else {
        Right::IcpManage
    };
    let mut tx = app.db().read().await?;
    let row = tx
        .filing_material(material_id)
        .await?
        .filter(|m| m.order_id == order_id)
        .ok_or_else(AppError::not_found)?;
    actor.authorize(&row.owner_id, right)?;
    tx.commit().await?;
    let bytes = app
        .cipher()
        .open(&row.data_sealed, &material_context(&row.id))
        .map_err(|e| AppError::internal(format!("material does not open: {e}")))?;
    Ok((row.content_type, bytes))
}
