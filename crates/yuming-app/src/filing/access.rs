//! The one place a filing resource is authorised: loaded by id and checked against the
//! actor's tenant (another tenant's id is NOT_FOUND).

use yuming_core::access::{Actor, Right};
use yuming_store::{FilingEntityRow, FilingOrderRow, Tx};

use crate::AppError;

pub(super) async fn authorized_entity(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    right: Right,
) -> Result<FilingEntityRow, AppError> {
    let row = tx
        .filing_entity(id)
        .await?
        .ok_or_else(AppError::not_found)?;
    actor.authorize(&row.owner_id, right)?;
    Ok(row)
}

pub(super) async fn authorized_order(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    right: Right,
) -> Result<FilingOrderRow, AppError> {
    let row = tx.filing_order(id).await?.ok_or_else(AppError::not_found)?;
    actor.authorize(&row.owner_id, right)?;
    Ok(row)
}
