//! The HTTP entry point: the JSON API under `/api/v1`, health, the OpenAPI document and RDAP
//! under `/rdap` (outside the OpenAPI document).
//!
//! This is the only crate that knows HTTP and JSON. Handlers are thin: extract, call one use
//! case of `yuming-app`, map the result to a DTO.

mod error;
mod extract;
mod middleware;
mod openapi;
pub mod rdap;

pub mod api;
pub mod dto;
pub mod filing_dto;
pub mod flow_dto;

use std::time::Duration;

use axum::Router;
use yuming_app::App;

pub use error::ApiError;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    /// The application.
    pub app: App,
    /// HTTP settings.
    pub settings: HttpSettings,
}

/// HTTP-specific settings.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// Largest accepted request body.
    pub body_limit_bytes: usize,
    /// Requests taking longer are answered 503.
    pub request_timeout: Duration,
    /// What RDAP answers say about the registrar, and its per-IP rate limit
    /// (`rdap_per_ip_per_minute`).
    pub lookup: yuming_lookup::LookupSettings,
    /// The `pause_before_idempotent_store` failpoint (`[http] failpoint`): a request under an
    /// `Idempotency-Key` pauses for ever after its effect committed and before its response
    /// is stored, so that a test can kill the process in that window. Never set in production.
    pub pause_before_idempotent_store: bool,
    /// `GET /metrics` needs `Authorization: Bearer <this>` (`[metrics] token`); `None` is open.
    pub metrics_token: Option<String>,
    /// Whether this listener serves `/metrics` (not when `[metrics] addr` gives it a listener
    /// of its own).
    pub metrics_here: bool,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings {
            body_limit_bytes: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            lookup: yuming_lookup::LookupSettings::default(),
            pause_before_idempotent_store: false,
            metrics_token: None,
            metrics_here: true,
        }
    }
}

/// The complete router.
pub fn router(state: AppState) -> Router {
    let (api_router, document) = openapi::api_router();
    let document_json =
        std::sync::Arc::new(document.to_pretty_json().unwrap_or_else(|_| "{}".into()));
    let full = middleware::wrap(api_router, document_json, state.clone());
    middleware::with_fast_check(full, state)
}

/// A router with `/metrics` alone, for `[metrics] addr`.
pub fn metrics_router(state: AppState) -> Router {
    Router::new()
        .route("/metrics", axum::routing::get(api::health::metrics))
        .with_state(state)
}

/// The OpenAPI document of `/api/v1`, generated from the handlers' annotations.
pub fn openapi_json() -> String {
    openapi::document()
        .to_pretty_json()
        .unwrap_or_else(|_| "{}".into())
}
