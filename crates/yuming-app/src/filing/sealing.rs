//! Sealing of the filing documents (AES-256-GCM under the master key, bound to the row), the blind
//! indexes of certificate numbers, and order rows as views.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::Date;
use yuming_core::clock::Timestamp;
use yuming_core::contact::IdType;
use yuming_core::filing::{Operation, OrderStatus};
use yuming_store::FilingOrderRow;

use crate::{App, AppError};

use super::CERT_INDEX;
use super::forms::Payload;
use super::shape::{corrupt, mask_payload, normalized};
use super::views::OrderView;

pub(super) fn entity_context(id: &str) -> String {
    format!("filing.entity:{id}")
}

pub(super) fn site_context(id: &str) -> String {
    format!("filing.site:{id}")
}

pub(super) fn order_context(id: &str) -> String {
    format!("filing.order:{id}")
}

pub(super) fn seal_json<T: Serialize>(
    app: &App,
    value: &T,
    context: &str,
) -> Result<Vec<u8>, AppError> {
    let bytes =
        serde_json::to_vec(value).map_err(|e| AppError::internal(format!("filing json: {e}")))?;
    Ok(app.cipher().seal(&bytes, context))
}

pub(super) fn open_json<T: for<'de> Deserialize<'de>>(
    app: &App,
    sealed: &[u8],
    context: &str,
) -> Result<T, AppError> {
    let bytes = app
        .cipher()
        .open(sealed, context)
        .map_err(|e| AppError::internal(format!("filing data does not open: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|_| corrupt(context))
}

pub(super) fn cert_digest(app: &App, cert_type: IdType, number: &str, today: Date) -> String {
    app.cipher().blind_index(
        &format!(
            "{}:{}",
            cert_type.as_str(),
            normalized(cert_type, number, today)
        ),
        CERT_INDEX,
    )
}

/// Every index the certificate may be stored under (across master-key rotations): for
/// lookups.
pub(super) fn cert_digests(app: &App, cert_type: IdType, number: &str, today: Date) -> Vec<String> {
    app.cipher().blind_indexes(
        &format!(
            "{}:{}",
            cert_type.as_str(),
            normalized(cert_type, number, today)
        ),
        CERT_INDEX,
    )
}

pub(super) fn cert_key(cert_type: IdType, number: &str, today: Date) -> String {
    format!(
        "{}:{}",
        cert_type.as_str(),
        normalized(cert_type, number, today)
    )
}

pub(super) fn order_view(
    app: &App,
    row: &FilingOrderRow,
    unmasked: bool,
) -> Result<OrderView, AppError> {
    let payload: Payload = open_json(app, &row.payload_sealed, &order_context(&row.id))?;
    let today = app.now().date();
    Ok(OrderView {
        id: row.id.clone(),
        owner_id: row.owner_id.clone(),
        entity_id: row.entity_id.clone(),
        site_id: row.site_id.clone(),
        operation: Operation::parse(&row.operation).ok_or_else(|| corrupt("operation"))?,
        status: OrderStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
        rejected_fields: serde_json::from_str(&row.rejected_fields)
            .map_err(|_| corrupt("rejected_fields"))?,
        claimed_by: row.claimed_by.clone(),
        submitted_at: row.submitted_at.map(Timestamp),
        created_at: Timestamp(row.created_at),
        updated_at: Timestamp(row.updated_at),
        payload: if unmasked {
            payload
        } else {
            mask_payload(&payload, today)
        },
    })
}

pub(super) fn order_summary(row: &FilingOrderRow) -> Value {
    json!({
        "operation": row.operation,
        "status": row.status,
        "entity_id": row.entity_id,
        "site_id": row.site_id,
    })
}
