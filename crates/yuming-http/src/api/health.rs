//! Liveness and readiness.

use axum::Json;
use axum::extract::State;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sha2::Digest;

use crate::dto::{ErrorBody, Health, Readiness};
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

/// Answers 200 when this instance can serve: the database answers, its schema is this
/// release's, and (where it serves DNS) the first DNS snapshot is loaded; 503 otherwise, with
/// what is missing. Load balancers route on this; `/healthz` only says the process is alive.
#[utoipa::path(get, path = "/readyz", tag = "health",
    responses((status = 200, body = Readiness), (status = 503, body = Readiness)))]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let db = state.app.db();
    let database = db.ping().await.is_ok();
    let migrations = database && db.migrations_applied().await.unwrap_or(false);
    let dns_snapshot = state.app.metrics().dns_snapshot_ready();
    let ready = database && migrations && dns_snapshot;
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Readiness {
        status: if ready { "ready" } else { "not_ready" }.into(),
        database,
        migrations,
        dns_snapshot,
    };
    (status, Json(body)).into_response()
}

/// `GET /metrics`: Prometheus text format, for the operator's Prometheus, not for customers
/// (so not in the API document). With `[metrics] token` set it needs `Authorization: Bearer
/// <token>` (401 otherwise). Without a token it is open on a listener of its own (`[metrics]
/// addr`, which the operator exposes where they choose) but answers only the machine itself
/// on the main listener: order and payment volumes are nobody else's business (404).
pub async fn metrics(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    extensions: axum::http::Extensions,
) -> Response {
    // In-process callers (tests) have no peer; a listener always records one.
    let local = extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .is_none_or(|axum::extract::ConnectInfo(addr)| addr.ip().is_loopback());
    if state.settings.metrics_token.is_none() && state.settings.metrics_here && !local {
        return ApiError::from(yuming_app::AppError::not_found()).into_response();
    }
    if let Some(expected) = &state.settings.metrics_token {
        let given = headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or("");
        let same = subtle::ConstantTimeEq::ct_eq(
            sha2::Sha256::digest(given.as_bytes()).as_slice(),
            sha2::Sha256::digest(expected.as_bytes()).as_slice(),
        );
        if !bool::from(same) {
            return ApiError::from(yuming_app::AppError::unauthenticated(
                "UNAUTHENTICATED",
                "the metrics need the bearer token set in [metrics] token",
                "读取监控指标需要 [metrics] token 中设置的令牌",
            ))
            .into_response();
        }
    }
    match yuming_app::platform::metrics::render(&state.app).await {
        Ok(text) => (
            [(
                axum::http::header::CONTENT_TYPE,
                yuming_app::platform::metrics::CONTENT_TYPE,
            )],
            text,
        )
            .into_response(),
        Err(error) => ApiError::from(error).into_response(),
    }
}
