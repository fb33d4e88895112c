//! Extractors whose rejections use the error envelope: JSON bodies (unknown fields, wrong
//! types and oversized bodies are 400/413 naming the field), queries, the authenticated
//! actor and the request context.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Query, Request};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, header};
use serde::de::DeserializeOwned;
use yuming_app::{AppError, RequestContext};
use yuming_core::access::Actor;

use crate::error::ApiError;

/// A JSON body deserialised with field paths in errors.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let mime = v
                    .split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .to_ascii_lowercase();
                mime == "application/json" || mime.ends_with("+json")
            })
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::with_status(
                axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "UNSUPPORTED_MEDIA_TYPE",
                "expected Content-Type: application/json",
                "请求须使用 Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::with_status(
                    axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                    "PAYLOAD_TOO_LARGE",
                    "request body is too large",
                    "请求体过大",
                )
            } else {
                ApiError::bad_request(
                    "INVALID_BODY",
                    "the request body could not be read",
                    "无法读取请求体",
                )
            }
        })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Parses JSON, reporting the path of the offending field.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        let (code, zh) = if inner.is_syntax() || inner.is_eof() {
            ("INVALID_JSON", "请求体不是有效的 JSON")
        } else if message.starts_with("unknown field") {
            ("UNKNOWN_FIELD", "请求包含未知字段")
        } else if message.starts_with("missing field") {
            ("MISSING_FIELD", "缺少必填字段")
        } else {
            ("INVALID_FIELD", "字段类型或取值无效")
        };
        let mut error = AppError::bad_request(code, message.clone(), zh);
        let field = if code == "MISSING_FIELD" {
            // serde names the missing field in the message; the path points at its parent.
            message.split('`').nth(1).map(|name| {
                if path == "." {
                    name.to_owned()
                } else {
                    format!("{path}.{name}")
                }
            })
        } else if path != "." {
            Some(path)
        } else {
            None
        };
        if let Some(field) = field {
            error = error.with_field(field);
        }
        ApiError::from(error)
    })?;
    deserializer.end().map_err(|_| {
        ApiError::bad_request(
            "INVALID_JSON",
            "trailing characters after the JSON value",
            "JSON 值之后有多余字符",
        )
    })?;
    Ok(value)
}

/// A query string with envelope errors.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(v)| ApiQuery(v))
            .map_err(|rejection| {
                ApiError::bad_request("INVALID_QUERY", rejection.body_text(), "查询参数无效")
            })
    }
}

/// The authenticated actor, put into the request by the authentication middleware.
#[derive(Clone)]
pub struct Auth(pub Actor);

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Auth>().cloned().ok_or_else(|| {
            AppError::unauthenticated(
                "UNAUTHENTICATED",
                "log in (Authorization: Bearer <token>) or sign the request with an API key",
                "请登录（Authorization: Bearer <token>）或使用 API 密钥签名请求",
            )
            .into()
        })
    }
}

/// The authenticated actor if the request carried credentials (public endpoints that show
/// a signed-in customer their own prices).
pub struct MaybeAuth(pub Option<Actor>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeAuth {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(MaybeAuth(
            parts.extensions.get::<Auth>().map(|a| a.0.clone()),
        ))
    }
}

/// Request id and client address, for audit entries and rate limits.
pub struct Ctx(pub RequestContext);

impl<S: Send + Sync> FromRequestParts<S> for Ctx {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Ctx(request_context(&parts.headers, &parts.extensions)))
    }
}

/// Builds the request context from the request id header and the peer address.
pub fn request_context(headers: &HeaderMap, extensions: &Extensions) -> RequestContext {
    let request_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(64)
        .collect();
    let client_ip = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string());
    RequestContext {
        request_id,
        client_request_id: extensions
            .get::<crate::middleware::ClientRequestId>()
            .map(|theirs| theirs.0.clone())
            .unwrap_or_default(),
        client_ip,
        user_agent: yuming_app::platform::user_agent(
            headers
                .get(axum::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok()),
        ),
        idempotency: extensions.get::<yuming_app::IdempotencyMark>().cloned(),
    }
}
