//! RDAP routes (RFC 7480/9082): `/rdap/domain/{name}`, `/rdap/nameserver/{name}`,
//! `/rdap/entity/{handle}`, `/rdap/help`. Not part of the `/api/v1` OpenAPI document: RDAP
//! has its own specification and media type. The JSON is rendered by `yuming-lookup`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, Path, State};
use axum::http::{Extensions, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use serde_json::Value;
use yuming_app::{AppError, ErrorKind, registrar::domains};
use yuming_lookup::limiter::RateLimiter;
use yuming_lookup::{LookupSettings, rdap};

use crate::AppState;

/// Per-router RDAP context: the registrar facts shown and the per-IP limiter.
#[derive(Clone)]
pub struct Rdap {
    settings: Arc<LookupSettings>,
    limiter: Arc<RateLimiter>,
}

/// The RDAP routes, rate limited to `settings.rdap_per_ip_per_minute` queries per source IP
/// (in memory, per instance; 0 is unlimited).
pub fn routes(settings: LookupSettings) -> Router<AppState> {
    let rdap = Rdap {
        limiter: Arc::new(RateLimiter::new(settings.rdap_per_ip_per_minute)),
        settings: Arc::new(settings),
    };
    Router::new()
        .route("/rdap/domain/{name}", get(domain))
        .route("/rdap/nameserver/{name}", get(nameserver))
        .route("/rdap/entity/{handle}", get(entity))
        .route("/rdap/help", get(help))
        .route("/rdap/{*rest}", get(unsupported))
        .route("/rdap", get(unsupported))
        .layer(Extension(rdap))
}

fn reply(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(rdap::CONTENT_TYPE),
    );
    // RDAP is public data meant for browser clients too (RFC 7480 §5.6).
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

fn error_reply(rdap: &Rdap, status: StatusCode, title: &str, description: &str) -> Response {
    reply(
        status,
        &rdap::error(status.as_u16(), title, description, &rdap.settings),
    )
}

fn app_error(rdap: &Rdap, error: &AppError) -> Response {
    match error.kind {
        ErrorKind::NotFound => {
            error_reply(rdap, StatusCode::NOT_FOUND, "Not Found", &error.message)
        }
        ErrorKind::BadRequest => {
            error_reply(rdap, StatusCode::BAD_REQUEST, "Bad Request", &error.message)
        }
        _ => {
            tracing::error!(%error, "RDAP lookup failed");
            error_reply(
                rdap,
                StatusCode::INTERNAL_SERVER_ERROR,
                "Internal Server Error",
                "the lookup failed; try again later",
            )
        }
    }
}

/// Refuses the request when the source IP is over its limit. Requests without a peer
/// address (in-process tests) share one bucket.
fn limited(app: &yuming_app::App, rdap: &Rdap, extensions: &Extensions) -> Option<Response> {
    let ip = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ConnectInfo(a)| a.ip());
    let wait = rdap.limiter.check(ip, Instant::now()).err()?;
    app.metrics().rate_limited("rdap");
    let mut response = error_reply(
        rdap,
        StatusCode::TOO_MANY_REQUESTS,
        "Too Many Requests",
        &format!("rate limit exceeded; retry in {wait} seconds"),
    );
    if let Ok(value) = HeaderValue::from_str(&wait.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    Some(response)
}

async fn domain(
    State(state): State<AppState>,
    Extension(rdap): Extension<Rdap>,
    extensions: Extensions,
    Path(name): Path<String>,
) -> Response {
    if let Some(refused) = limited(&state.app, &rdap, &extensions) {
        return refused;
    }
    match domains::lookup(&state.app, &name).await {
        Ok(view) => reply(
            StatusCode::OK,
            &rdap::domain(&view, &rdap.settings, state.app.now()),
        ),
        Err(error) => app_error(&rdap, &error),
    }
}

async fn nameserver(
    State(state): State<AppState>,
    Extension(rdap): Extension<Rdap>,
    extensions: Extensions,
    Path(name): Path<String>,
) -> Response {
    if let Some(refused) = limited(&state.app, &rdap, &extensions) {
        return refused;
    }
    match domains::lookup_nameserver(&state.app, &name).await {
        Ok((ascii, unicode)) => reply(
            StatusCode::OK,
            &rdap::nameserver(&ascii, &unicode, &rdap.settings, state.app.now()),
        ),
        Err(error) => app_error(&rdap, &error),
    }
}

async fn entity(
    State(state): State<AppState>,
    Extension(rdap): Extension<Rdap>,
    extensions: Extensions,
    Path(handle): Path<String>,
) -> Response {
    if let Some(refused) = limited(&state.app, &rdap, &extensions) {
        return refused;
    }
    match domains::lookup_registrant(&state.app, &handle).await {
        Ok(registrant) => reply(
            StatusCode::OK,
            &rdap::entity(&registrant, &rdap.settings, state.app.now()),
        ),
        Err(error) => app_error(&rdap, &error),
    }
}

async fn help(
    State(state): State<AppState>,
    Extension(rdap): Extension<Rdap>,
    extensions: Extensions,
) -> Response {
    if let Some(refused) = limited(&state.app, &rdap, &extensions) {
        return refused;
    }
    reply(StatusCode::OK, &rdap::help(&rdap.settings))
}

/// Any other path under `/rdap` is a query type this server does not support (RFC 7480
/// §5.4: 400).
async fn unsupported(Extension(rdap): Extension<Rdap>) -> Response {
    error_reply(
        &rdap,
        StatusCode::BAD_REQUEST,
        "Bad Request",
        "unsupported query; see /rdap/help",
    )
}
