//! Liveness and readiness.

use axum::Json;
use axum::extract::State;

use crate::dto::{ErrorBody, Health};
use crate::{ApiError, AppState};

/// Answers 200 once the database is reachable.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, body = Health), (status = 503, body = ErrorBody)))]
pub async fn healthz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    state
        .app
        .db()
        .ping()
        .await
        .map_err(yuming_app::AppError::from)?;
    Ok(Json(Health {
        status: "ok".into(),
    }))
}
