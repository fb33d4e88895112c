//! The audit log, tenant-scoped.

use axum::Json;
use axum::extract::{Path, State};
use yuming_app::platform::{audit, audit_tree};

use crate::dto::{
    AuditEntryDto, AuditList, AuditQuery, AuditReceiptDto, ConsistencyProofDto, ConsistencyQuery,
    ErrorBody, TreeHeadDto,
};
use crate::extract::{ApiQuery, Auth};
use crate::{ApiError, AppState};

/// Audit entries of the caller's tenant (staff: all), newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "audit", security(("bearer" = []), ("api_key" = [])),
    params(AuditQuery),
    responses((status = 200, body = AuditList), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<AuditList>, ApiError> {
    let listing = audit::list(
        &state.app,
        &actor,
        query.before_seq,
        query.limit.unwrap_or(50),
    )
    .await?;
    Ok(Json(AuditList {
        entries: listing
            .entries
            .into_iter()
            .map(AuditEntryDto::from)
            .collect(),
        next_before_seq: listing.next_before_seq,
    }))
}

/// The newest signed head of the audit log's Merkle tree (signing one first when the log has
/// grown since). Public: anyone may keep heads to check later ones against.
#[utoipa::path(get, path = "/api/v1/public/audit/sth", tag = "audit",
    responses((status = 200, body = TreeHeadDto), (status = 404, body = ErrorBody)))]
pub async fn tree_head(State(state): State<AppState>) -> Result<Json<TreeHeadDto>, ApiError> {
    let head = audit_tree::latest_head(&state.app)
        .await?
        .ok_or_else(yuming_app::AppError::not_found)?;
    Ok(Json(head.into()))
}

/// The signed head of exactly `tree_size` entries, if one was signed.
#[utoipa::path(get, path = "/api/v1/public/audit/sth/{tree_size}", tag = "audit",
    params(("tree_size" = u64, Path, description = "Entries the head covers")),
    responses((status = 200, body = TreeHeadDto), (status = 404, body = ErrorBody)))]
pub async fn tree_head_of_size(
    State(state): State<AppState>,
    Path(tree_size): Path<String>,
) -> Result<Json<TreeHeadDto>, ApiError> {
    let size = tree_size
        .parse::<u64>()
        .map_err(|_| yuming_app::AppError::not_found())?;
    Ok(Json(audit_tree::head(&state.app, size).await?.into()))
}

/// A consistency proof between the trees of `first` and `second` entries: with it, a head
/// kept earlier and a later one show that the log only grew.
#[utoipa::path(get, path = "/api/v1/public/audit/consistency", tag = "audit",
    params(ConsistencyQuery),
    responses((status = 200, body = ConsistencyProofDto), (status = 400, body = ErrorBody)))]
pub async fn consistency(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ConsistencyQuery>,
) -> Result<Json<ConsistencyProofDto>, ApiError> {
    let proof = audit_tree::consistency(&state.app, query.first, query.second).await?;
    Ok(Json(ConsistencyProofDto {
        first: query.first,
        second: query.second,
        proof,
    }))
}

/// A receipt for one of the caller's audit entries (staff: any): the entry with every hashed
/// field, a signed tree head and the inclusion proof between them. Another tenant's entry is
/// 404.
#[utoipa::path(get, path = "/api/v1/audit/{seq}/proof", tag = "audit", security(("bearer" = []), ("api_key" = [])),
    params(("seq" = i64, Path, description = "The entry's position in the log")),
    responses((status = 200, body = AuditReceiptDto), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn proof(
    State(state): State<AppState>,
    Auth(actor): Auth,
    Path(seq): Path<String>,
) -> Result<Json<AuditReceiptDto>, ApiError> {
    let seq = seq
        .parse::<i64>()
        .map_err(|_| yuming_app::AppError::not_found())?;
    Ok(Json(
        audit_tree::receipt(&state.app, &actor, seq).await?.into(),
    ))
}
