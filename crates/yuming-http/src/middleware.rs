//! Cross-cutting HTTP concerns: request ids and tracing, panics, timeouts, body limits,
//! security headers, authentication (bearer tokens and signed requests) and idempotency.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::{Next, from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;
use yuming_app::platform::idempotency::Replay;
use yuming_app::{
    AppError, ErrorKind, IdempotencyMark, accounts, accounts::api_keys, platform::idempotency,
};
use yuming_core::signing::SignedParts;

use crate::extract::{Auth, request_context};
use crate::{ApiError, AppState};

/// Largest response body stored for idempotent replay.
const MAX_STORED_RESPONSE: usize = 4 * 1024 * 1024;

/// The body limit of a request: the API default, or the material upload's own limit.
fn body_limit_for(state: &AppState, path: &str) -> usize {
    let default = state.settings.body_limit_bytes;
    let upload = (path.starts_with("/api/v1/filing/orders/") && path.contains("/materials/"))
        || (path.starts_with("/api/v1/contacts/") && path.contains("/documents/"));
    if path == "/api/v1/admin/bank-statements" {
        default.max(yuming_app::billing::bank::MAX_STATEMENT_BYTES)
    } else if upload {
        default.max(crate::api::filing::MATERIAL_BODY_LIMIT)
    } else {
        default
    }
}

/// Adds the OpenAPI route, fallbacks and every layer.
pub fn wrap(api: Router<AppState>, openapi_json: Arc<String>, state: AppState) -> Router {
    let body_limit = state.settings.body_limit_bytes;
    let request_timeout = state.settings.request_timeout;
    api.route(
        "/api/openapi.json",
        get(move || {
            let json = openapi_json.clone();
            async move { ([(header::CONTENT_TYPE, "application/json")], json.as_str().to_owned()) }
        }),
    )
    .fallback(not_found)
    .method_not_allowed_fallback(method_not_allowed)
    .layer(from_fn_with_state(state.clone(), idempotent))
    .layer(from_fn_with_state(state.clone(), authenticate))
    .layer(DefaultBodyLimit::max(body_limit))
    .layer(from_fn(move |req: Request, next: Next| async move {
        match tokio::time::timeout(request_timeout, next.run(req)).await {
            Ok(response) => response,
            Err(_) => ApiError::from(AppError::new(
                ErrorKind::Unavailable,
                "TIMEOUT",
                "the request took too long",
                "请求处理超时",
            ))
            .into_response(),
        }
    }))
    .layer(from_fn(security_headers))
    .layer(CatchPanicLayer::custom(|_panic: Box<dyn std::any::Any + Send>| {
        ApiError::from(AppError::internal("handler panicked")).into_response()
    }))
    .layer(from_fn(expose_route))
    .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
        let request_id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
        tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %request_id)
    }))
    .layer(PropagateRequestIdLayer::x_request_id())
    .layer(SetRequestIdLayer::x_request_id(SequentialRequestIds::new()))
    .with_state(state)
}

/// Copies the matched route template (`/api/v1/domains/{id}`) onto the response, where the
/// request metrics recorded outside the API router (which reaches it as a fallback and so
/// never sees its routes) find it.
async fn expose_route(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .cloned();
    let mut response = next.run(req).await;
    if let Some(route) = route {
        response.extensions_mut().insert(route);
    }
    response
}

/// Puts the public single availability check in front of `full` on a short path. It is the
/// most frequent request a registrar serves (every keystroke of a search box), answers from
/// memory, and reads neither credentials nor a body, so the authentication, idempotency,
/// body-limit and trace layers would only cost time; it keeps request ids, security headers
/// and panic containment. Every other request, including `POST` on the same path, goes to
/// `full` unchanged.
pub fn with_fast_check(full: Router, state: AppState) -> Router {
    let ids = SequentialRequestIds::new();
    // RDAP is public and read-only in the same way (no credentials, no body, its own per-IP
    // limiter), so it takes the same short stack.
    let rdap = crate::rdap::routes(state.settings.lookup.clone())
        .route_layer(from_fn(security_headers))
        .route_layer(CatchPanicLayer::custom(
            |_panic: Box<dyn std::any::Any + Send>| {
                ApiError::from(AppError::internal("handler panicked")).into_response()
            },
        ))
        .route_layer(PropagateRequestIdLayer::x_request_id())
        .route_layer(SetRequestIdLayer::x_request_id(ids.clone()));
    // A check with credentials goes the full way (authentication) to be priced for the
    // caller's level; an anonymous one stays on the short stack.
    let authenticated = full.clone();
    let check = get(crate::api::domains::check_one)
        .route_layer(from_fn(move |req: Request, next: Next| {
            let authenticated = authenticated.clone();
            async move {
                let has_credentials = req.headers().contains_key(header::AUTHORIZATION)
                    || req.headers().contains_key("x-yuming-key");
                if has_credentials {
                    match tower::ServiceExt::oneshot(authenticated, req).await {
                        Ok(response) => response,
                        Err(never) => match never {},
                    }
                } else {
                    next.run(req).await
                }
            }
        }))
        .route_layer(from_fn(security_headers))
        .route_layer(CatchPanicLayer::custom(
            |_panic: Box<dyn std::any::Any + Send>| {
                ApiError::from(AppError::internal("handler panicked")).into_response()
            },
        ))
        .route_layer(PropagateRequestIdLayer::x_request_id())
        .route_layer(SetRequestIdLayer::x_request_id(ids))
        .fallback_service(full.clone());
    let mut router = Router::new().route("/api/v1/domains/check", check);
    if state.settings.metrics_here {
        router = router.route("/metrics", get(crate::api::health::metrics));
    }
    router
        .merge(rdap)
        .fallback_service(full)
        .layer(from_fn(expose_route))
        .layer(from_fn(keep_client_request_id))
        .with_state(state)
}

/// The `X-Request-Id` a client sent, kept apart from ours: audit entries and logs carry our
/// id (unique, generated here) and the client's beside it, never the client's instead of it.
#[derive(Debug, Clone)]
pub struct ClientRequestId(pub String);

/// Moves a client's `X-Request-Id` out of the headers (so that the request-id layer inside
/// generates ours) into a [`ClientRequestId`] extension: at most 64 visible ASCII characters,
/// anything else dropped.
async fn keep_client_request_id(mut req: Request, next: Next) -> Response {
    if let Some(value) = req.headers_mut().remove("x-request-id") {
        let theirs: String = value
            .as_bytes()
            .iter()
            .take(64)
            .take_while(|b| b.is_ascii_graphic())
            .map(|&b| char::from(b))
            .collect();
        if !theirs.is_empty() {
            req.extensions_mut().insert(ClientRequestId(theirs));
        }
    }
    next.run(req).await
}

/// Request ids `<random instance prefix>-<counter>`: unique across instances without a
/// system call per request (a UUID v4 would read the OS random source each time).
#[derive(Clone)]
struct SequentialRequestIds {
    prefix: Arc<str>,
    counter: Arc<std::sync::atomic::AtomicU64>,
}

impl SequentialRequestIds {
    fn new() -> Self {
        let prefix = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
        SequentialRequestIds {
            prefix: prefix.into(),
            counter: Arc::new(std::sync::atomic::AtomicU64::new(0)),
        }
    }
}

impl MakeRequestId for SequentialRequestIds {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self
            .counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

async fn not_found() -> ApiError {
    AppError::new(
        ErrorKind::NotFound,
        "NOT_FOUND",
        "no such endpoint",
        "接口不存在",
    )
    .into()
}

async fn method_not_allowed() -> ApiError {
    ApiError::with_status(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        "this method is not allowed on this endpoint",
        "该接口不支持此请求方法",
    )
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        HeaderName::from_static("x-frame-options"),
        HeaderValue::from_static("DENY"),
    );
    response
}

fn header_str<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Resolves `Authorization: Bearer` or an HMAC-signed request to an actor. Requests with
/// credentials that fail are refused here; requests without credentials pass, and handlers
/// that need an actor refuse them through the `Auth` extractor.
async fn authenticate(State(state): State<AppState>, req: Request, next: Next) -> Response {
    match resolve_actor(&state, req)
        .await
        .and_then(require_staff_for_admin)
    {
        Ok(req) => next.run(req).await,
        Err(error) => error.into_response(),
    }
}

/// `/api/v1/admin/…` is for platform staff: customers are refused before their input is
/// even parsed. Each use case still checks its own right.
fn require_staff_for_admin(req: Request) -> Result<Request, ApiError> {
    if !req.uri().path().starts_with("/api/v1/admin/") {
        return Ok(req);
    }
    match req.extensions().get::<Auth>() {
        None => Err(AppError::unauthenticated(
            "UNAUTHENTICATED",
            "log in as platform staff",
            "请以平台工作人员身份登录",
        )
        .into()),
        Some(Auth(actor)) if !actor.role.is_staff() => Err(AppError::new(
            ErrorKind::Forbidden,
            "FORBIDDEN",
            "this endpoint is for platform staff",
            "该接口仅供平台工作人员使用",
        )
        .into()),
        Some(_) => Ok(req),
    }
}

async fn resolve_actor(state: &AppState, req: Request) -> Result<Request, ApiError> {
    // RDAP is public and answers in its own error format: credentials there are ignored.
    if req.uri().path().starts_with("/rdap/") {
        return Ok(req);
    }
    let has_signature = req.headers().contains_key("x-yuming-key")
        || req.headers().contains_key("x-yuming-signature");
    if has_signature && req.headers().contains_key(header::AUTHORIZATION) {
        return Err(AppError::bad_request(
            "AMBIGUOUS_CREDENTIALS",
            "send either a signature (X-Yuming-*) or Authorization, not both",
            "请只使用签名（X-Yuming-*）或 Authorization 中的一种凭据",
        )
        .into());
    }
    if has_signature {
        let key_id = header_str(&req, "x-yuming-key").unwrap_or("").to_owned();
        let source = req
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|axum::extract::ConnectInfo(addr)| addr.ip());
        let timestamp = header_str(&req, "x-yuming-timestamp")
            .unwrap_or("")
            .to_owned();
        let nonce = header_str(&req, "x-yuming-nonce").unwrap_or("").to_owned();
        let signature = header_str(&req, "x-yuming-signature")
            .unwrap_or("")
            .to_owned();
        let limit = body_limit_for(state, req.uri().path());
        let (mut parts, body) = req.into_parts();
        let bytes = to_bytes(body, limit)
            .await
            .map_err(|_| ApiError::too_large(limit))?;
        let path_and_query = parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
            .to_owned();
        let signed = SignedParts {
            method: parts.method.as_str(),
            path_and_query: &path_and_query,
            timestamp: &timestamp,
            nonce: &nonce,
            body: &bytes,
        };
        let headers = api_keys::SignatureHeaders {
            key_id: &key_id,
            signature: &signature,
        };
        let actor = api_keys::authenticate_signed(&state.app, headers, &signed, source).await?;
        parts.extensions.insert(Auth(actor));
        return Ok(Request::from_parts(parts, Body::from(bytes)));
    }
    if let Some(authorization) = header_str(&req, "authorization") {
        let Some(token) = bearer_token(authorization) else {
            return Err(AppError::unauthenticated(
                "INVALID_TOKEN",
                "Authorization must be 'Bearer <token>'",
                "Authorization 须为 'Bearer <token>'",
            )
            .into());
        };
        let actor = accounts::authenticate_token(&state.app, token).await?;
        let mut req = req;
        req.extensions_mut().insert(Auth(actor));
        return Ok(req);
    }
    Ok(req)
}

/// The token of `Bearer <token>`; the scheme name is case-insensitive (RFC 7235 §2.1).
fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Replays the stored response of a repeated mutating request with the same
/// `Idempotency-Key` and body; refuses the key with another body.
///
/// The use case marks the key in the transaction of its effect (through the request
/// context's [`IdempotencyMark`]), so a key whose effect committed is never run again, even
/// when the process dies before the response below is stored. The request runs to its end in
/// a task of its own: the request timeout outside this layer, or a client that disconnects,
/// stops waiting for it but never abandons an effect half-way between commit and storage.
async fn idempotent(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let mutating = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    );
    if !mutating {
        return next.run(req).await;
    }
    let key = match req.headers().get("idempotency-key") {
        None => return next.run(req).await,
        Some(raw) => match idempotency::check_key(raw.as_bytes()) {
            Ok(key) => key.to_owned(),
            Err(error) => return ApiError::from(error).into_response(),
        },
    };
    let scope = match req.extensions().get::<Auth>() {
        Some(Auth(actor)) => actor.account_id.clone(),
        None => format!(
            "anonymous:{}",
            request_context(req.headers(), req.extensions())
                .client_ip
                .unwrap_or_default()
        ),
    };
    let limit = body_limit_for(&state, req.uri().path());
    let (parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, limit).await else {
        return ApiError::too_large(limit).into_response();
    };
    let mut hasher = Sha256::new();
    hasher.update(parts.method.as_str().as_bytes());
    hasher.update(b"\n");
    hasher.update(
        parts
            .uri
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/")
            .as_bytes(),
    );
    hasher.update(b"\n");
    hasher.update(&bytes);
    let request_hash = hex::encode(hasher.finalize());
    match idempotency::claim(&state.app, &scope, &key, &request_hash).await {
        Err(error) => return ApiError::from(error).into_response(),
        Ok(Some(replay)) => return replayed(replay),
        Ok(None) => {}
    }
    let mut req = Request::from_parts(parts, Body::from(bytes));
    req.extensions_mut().insert(IdempotencyMark {
        scope: scope.clone(),
        key: key.clone(),
    });
    let app = state.app.clone();
    let pause_before_store = state.settings.pause_before_idempotent_store;
    let (task_scope, task_key) = (scope.clone(), key.clone());
    let task = tokio::spawn(async move {
        let (scope, key) = (task_scope, task_key);
        let response = next.run(req).await;
        let (response_parts, response_body) = response.into_parts();
        let Ok(response_bytes) = to_bytes(response_body, MAX_STORED_RESPONSE).await else {
            return settle_failed(&app, &scope, &key).await.unwrap_or_else(|| {
                ApiError::from(AppError::internal(
                    "response too large to store for idempotency",
                ))
                .into_response()
            });
        };
        if pause_before_store {
            // The `pause_before_idempotent_store` failpoint: the effect has committed, its
            // response is not stored yet; the crash test kills the process here.
            tracing::warn!(%key, "failpoint pause_before_idempotent_store: pausing for ever");
            std::future::pending::<()>().await;
        }
        if response_parts.status.is_server_error() {
            settle_failed(&app, &scope, &key).await;
        } else if let Err(error) = idempotency::complete(
            &app,
            &scope,
            &key,
            response_parts.status.as_u16(),
            &response_bytes,
        )
        .await
        {
            tracing::error!(%error, "could not record idempotent response");
        }
        Response::from_parts(response_parts, Body::from(response_bytes))
    });
    match task.await {
        Ok(response) => response,
        Err(join_error) => {
            tracing::error!(error = %join_error, "idempotent request panicked");
            settle_failed(&state.app, &scope, &key).await;
            ApiError::from(AppError::internal("handler panicked")).into_response()
        }
    }
}

/// Settles the key of a request that failed on the server side: forgotten, or, when its
/// effect had committed, answered from now on by the replay of that effect (also returned).
async fn settle_failed(app: &yuming_app::App, scope: &str, key: &str) -> Option<Response> {
    match idempotency::release(app, scope, key).await {
        Ok(None) => None,
        Ok(Some(replay)) => {
            let (status, body) = replay_body(&replay);
            if let Err(error) = idempotency::complete(app, scope, key, status, &body).await {
                tracing::error!(%error, "could not record idempotent effect");
            }
            Some(replayed(replay))
        }
        Err(error) => {
            tracing::error!(%error, "could not release idempotency key");
            None
        }
    }
}

/// The status and body a replay answers with.
fn replay_body(replay: &Replay) -> (u16, Vec<u8>) {
    match replay {
        Replay::Response { status, body } => (*status, body.clone()),
        Replay::Committed {
            request_id,
            committed_at,
            effect,
        } => {
            let body = serde_json::json!({
                "idempotent_replay": {
                    "status": "committed",
                    "request_id": request_id,
                    "committed_at": yuming_core::clock::Timestamp(*committed_at).to_rfc3339(),
                    "effect": effect,
                }
            });
            (200, body.to_string().into_bytes())
        }
    }
}

/// The answer to a repeated key: the first response, or what its committed effect was.
fn replayed(replay: Replay) -> Response {
    let (status, body) = replay_body(&replay);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        HeaderName::from_static("idempotent-replayed"),
        HeaderValue::from_static("true"),
    );
    response
}
