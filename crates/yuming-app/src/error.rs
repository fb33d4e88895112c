//! The one error type of the use cases: a stable code, messages in English and Chinese, the
//! offending field, and a kind that entry points map to their own status codes.

use yuming_core::access::{Denied, Right};
use yuming_core::credentials::CredentialError;
use yuming_core::signing::SigningError;
use yuming_store::{SqlxError, StoreError};

/// Broad class of an error; HTTP maps each to one status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// 400: the input is malformed or breaks a rule.
    BadRequest,
    /// 401: no valid credentials.
    Unauthenticated,
    /// 403: authenticated but not allowed.
    Forbidden,
    /// 404: no such object for this actor (including other tenants' objects).
    NotFound,
    /// 402: the balance does not cover the charge.
    PaymentRequired,
    /// 409: conflicts with the current state (taken e-mail, request in progress).
    Conflict,
    /// 422: well-formed but cannot be processed (idempotency key reused with another body).
    Unprocessable,
    /// 429: rate limit or lockout; see `retry_after_secs`.
    TooManyRequests,
    /// 503: a dependency (database) is unavailable.
    Unavailable,
    /// 500: a bug or an unexpected failure; details are logged, never sent.
    Internal,
}

/// A use-case error. Boxed so that `Result<T, AppError>` stays one pointer wide on the
/// happy path; fields are reached through `Deref`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppError(Box<ErrorInfo>);

/// The contents of an [`AppError`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorInfo {
    /// Broad class.
    pub kind: ErrorKind,
    /// Stable UPPER_SNAKE code that clients may match on.
    pub code: &'static str,
    /// English message.
    pub message: String,
    /// Chinese message.
    pub message_zh: String,
    /// The input field at fault, as a dotted path.
    pub field: Option<String>,
    /// Seconds until a retry can succeed (rate limits, lockout).
    pub retry_after_secs: Option<i64>,
    /// For logs only; never sent to clients.
    pub detail: Option<String>,
}

impl std::fmt::Display for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)?;
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

impl std::error::Error for AppError {}

impl std::ops::Deref for AppError {
    type Target = ErrorInfo;

    fn deref(&self) -> &ErrorInfo {
        &self.0
    }
}

impl std::ops::DerefMut for AppError {
    fn deref_mut(&mut self) -> &mut ErrorInfo {
        &mut self.0
    }
}

impl AppError {
    /// Takes the contents out.
    pub fn into_info(self) -> ErrorInfo {
        *self.0
    }

    /// Adds a detail for the logs.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// An error with both messages.
    pub fn new(
        kind: ErrorKind,
        code: &'static str,
        message: impl Into<String>,
        message_zh: impl Into<String>,
    ) -> Self {
        AppError(Box::new(ErrorInfo {
            kind,
            code,
            message: message.into(),
            message_zh: message_zh.into(),
            field: None,
            retry_after_secs: None,
            detail: None,
        }))
    }

    /// Names the offending input field.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Says when a retry can succeed.
    pub fn with_retry_after(mut self, secs: i64) -> Self {
        self.retry_after_secs = Some(secs.max(1));
        self
    }

    /// A `BadRequest` with both messages.
    pub fn bad_request(
        code: &'static str,
        message: impl Into<String>,
        message_zh: impl Into<String>,
    ) -> Self {
        AppError::new(ErrorKind::BadRequest, code, message, message_zh)
    }

    /// The object does not exist for this actor.
    pub fn not_found() -> Self {
        AppError::new(
            ErrorKind::NotFound,
            "NOT_FOUND",
            "not found",
            "未找到该资源",
        )
    }

    /// Credentials are missing or invalid.
    pub fn unauthenticated(
        code: &'static str,
        message: impl Into<String>,
        message_zh: impl Into<String>,
    ) -> Self {
        AppError::new(ErrorKind::Unauthenticated, code, message, message_zh)
    }

    /// The actor lacks a right in its own tenant.
    pub fn forbidden(right: Right) -> Self {
        AppError::new(
            ErrorKind::Forbidden,
            "FORBIDDEN",
            format!("this action needs the right {}", right.as_str()),
            format!("此操作需要权限 {}", right.as_str()),
        )
    }

    /// An unexpected failure; `detail` goes to the log only.
    pub fn internal(detail: impl Into<String>) -> Self {
        AppError::new(
            ErrorKind::Internal,
            "INTERNAL",
            "internal error",
            "服务器内部错误",
        )
        .with_detail(detail)
    }
}

impl From<Denied> for AppError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::NotFound => AppError::not_found(),
            Denied::Forbidden(right) => AppError::forbidden(right),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => AppError::not_found(),
            StoreError::Database(sqlx_error) if is_unavailable(&sqlx_error) => AppError::new(
                ErrorKind::Unavailable,
                "UNAVAILABLE",
                "the database is unavailable, retry later",
                "数据库暂不可用，请稍后重试",
            )
            .with_detail(sqlx_error.to_string()),
            other => AppError::internal(other.to_string()),
        }
    }
}

fn is_unavailable(error: &SqlxError) -> bool {
    matches!(
        error,
        SqlxError::PoolTimedOut | SqlxError::PoolClosed | SqlxError::Io(_)
    )
}

impl From<CredentialError> for AppError {
    fn from(error: CredentialError) -> Self {
        match error {
            CredentialError::InvalidEmail => AppError::bad_request(
                "INVALID_EMAIL",
                "invalid e-mail address",
                "电子邮箱地址无效",
            )
            .with_field("email"),
            CredentialError::PasswordTooShort { min } => AppError::bad_request(
                "WEAK_PASSWORD",
                format!("password must have at least {min} characters"),
                format!("密码至少需要 {min} 个字符"),
            )
            .with_field("password"),
            CredentialError::PasswordTooLong { max } => AppError::bad_request(
                "WEAK_PASSWORD",
                format!("password must have at most {max} characters"),
                format!("密码最多 {max} 个字符"),
            )
            .with_field("password"),
            CredentialError::PasswordTooSimple => AppError::bad_request(
                "WEAK_PASSWORD",
                "password is too simple: use at least 4 different characters",
                "密码过于简单：请至少使用 4 个不同的字符",
            )
            .with_field("password"),
            CredentialError::InvalidDisplayName => AppError::bad_request(
                "INVALID_DISPLAY_NAME",
                "display name must have 1 to 64 printable characters",
                "显示名称须为 1 到 64 个可打印字符",
            )
            .with_field("display_name"),
        }
    }
}

impl From<SigningError> for AppError {
    fn from(error: SigningError) -> Self {
        let (code, zh, field) = match error {
            SigningError::MalformedTimestamp => (
                "INVALID_TIMESTAMP",
                "时间戳不是以秒为单位的 Unix 时间",
                "X-Yuming-Timestamp",
            ),
            SigningError::TimestampOutOfWindow => (
                "TIMESTAMP_OUT_OF_WINDOW",
                "时间戳与服务器时间相差超过 300 秒",
                "X-Yuming-Timestamp",
            ),
            SigningError::MalformedNonce => (
                "INVALID_NONCE",
                "Nonce 须为 16 到 64 个字母、数字、'_' 或 '-'",
                "X-Yuming-Nonce",
            ),
            SigningError::BadSignature => {
                ("INVALID_SIGNATURE", "签名与请求不符", "X-Yuming-Signature")
            }
        };
        AppError::unauthenticated(code, error.to_string(), zh).with_field(field)
    }
}
