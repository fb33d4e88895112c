//! The error envelope: `{"error": {"code", "message", "message_zh", "field"}}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use yuming_app::AppError;

use crate::dto::{ErrorBody, ErrorDetail};

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    error: AppError,
    /// Set for the few HTTP-only statuses (413, 405, 415) that have no use-case kind.
    status_override: Option<StatusCode>,
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        ApiError {
            error,
            status_override: None,
        }
    }
}

impl ApiError {
    /// A 400 with both messages.
    pub fn bad_request(
        code: &'static str,
        message: impl Into<String>,
        message_zh: impl Into<String>,
    ) -> Self {
        AppError::bad_request(code, message, message_zh).into()
    }

    /// An error with an HTTP-only status.
    pub fn with_status(
        status: StatusCode,
        code: &'static str,
        message: impl Into<String>,
        message_zh: impl Into<String>,
    ) -> Self {
        ApiError {
            error: AppError::bad_request(code, message, message_zh),
            status_override: Some(status),
        }
    }

    /// 413 for bodies over the limit.
    pub fn too_large(limit: usize) -> Self {
        ApiError::with_status(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("request body is larger than {limit} bytes"),
            format!("请求体超过 {limit} 字节"),
        )
    }

    /// The use-case error inside.
    pub fn inner(&self) -> &AppError {
        &self.error
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        if let Some(status) = self.status_override {
            return status;
        }
        StatusCode::from_u16(self.error.kind.status_code())
            .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let error = self.error.into_info();
        if status.is_server_error() {
            // The detail goes to the log only; the client gets the generic message.
            tracing::error!(
                code = error.code,
                detail = error.detail.as_deref().unwrap_or(""),
                "request failed"
            );
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: error.code.to_owned(),
                message: error.message,
                message_zh: error.message_zh,
                field: error.field,
            },
        };
        let mut response = (status, axum::Json(body)).into_response();
        if let Some(secs) = error.retry_after_secs
            && let Ok(value) = HeaderValue::from_str(&secs.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}
