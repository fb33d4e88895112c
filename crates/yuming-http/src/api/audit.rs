//! The audit log, tenant-scoped.

use axum::Json;
use axum::extract::State;
use yuming_app::platform::audit;

use crate::dto::{AuditEntryDto, AuditList, AuditQuery, ErrorBody};
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
