//! Static assets embedded in the binary (the console works air-gapped: no CDN, no web
//! fonts). Files under `/assets/` are addressed with a content hash in the query
//! (`/assets/app.css?v=…`, see [`url`]) and cached for a year; the manifest and the service
//! worker live at the root, where browsers look for them, and are revalidated.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::Embed;

#[derive(Embed)]
#[folder = "assets/"]
struct Files;

/// The first 10 hex digits of each asset's SHA-256, computed once.
static VERSIONS: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    Files::iter()
        .filter_map(|name| {
            let file = Files::get(&name)?;
            let hash = hex::encode(file.metadata.sha256_hash());
            Some((name.into_owned(), hash[..10].to_owned()))
        })
        .collect()
});

/// The URL of an asset with its content version, e.g. `/assets/app.css?v=3f2a9c01be`.
pub fn url(name: &str) -> String {
    match VERSIONS.get(name) {
        Some(version) => format!("/assets/{name}?v={version}"),
        None => format!("/assets/{name}"),
    }
}

/// Every embedded asset's name and size in bytes (the page-weight report).
pub fn sizes() -> Vec<(String, usize)> {
    Files::iter()
        .filter_map(|name| Some((name.to_string(), Files::get(&name)?.data.len())))
        .collect()
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next().unwrap_or("") {
        "css" => "text/css; charset=utf-8",
        "js" => "text/javascript; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "webmanifest" => "application/manifest+json",
        "html" => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn serve(name: &str, headers: &HeaderMap, cache: &'static str) -> Response {
    let Some(file) = Files::get(name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}\"", hex::encode(file.metadata.sha256_hash()));
    if headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == etag)
    {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let mut response = file.data.into_owned().into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(name)),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, etag);
    }
    response
}

async fn asset(Path(name): Path<String>, headers: HeaderMap) -> Response {
    serve(&name, &headers, "public, max-age=31536000, immutable")
}

async fn manifest(headers: HeaderMap) -> Response {
    serve("manifest.webmanifest", &headers, "public, max-age=3600")
}

async fn service_worker(headers: HeaderMap) -> Response {
    // Browsers check the worker script for updates; never keep it long.
    serve("sw.js", &headers, "no-cache")
}

async fn favicon(headers: HeaderMap) -> Response {
    serve("icon.svg", &headers, "public, max-age=86400")
}

/// `/assets/{file}`, `/manifest.webmanifest`, `/sw.js`, `/favicon.ico`.
pub fn routes() -> Router {
    Router::new()
        .route("/assets/{name}", get(asset))
        .route("/manifest.webmanifest", get(manifest))
        .route("/sw.js", get(service_worker))
        .route("/favicon.ico", get(favicon))
}
