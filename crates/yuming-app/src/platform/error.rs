//! The one error type of the use cases: a stable code, messages in English and Chinese, the
//! offending field, and a kind that entry points map to their own status codes.

use yuming_core::access::{Denied, Right};
use yuming_core::contact::{ContactError, ContactKind, NAME_MAX_CHARS, REASON_MAX_CHARS};
use yuming_core::credentials::CredentialError;
use yuming_core::signing::SigningError;
use yuming_store::StoreError;

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

impl ErrorKind {
    /// The HTTP status code of this class, the one mapping the API and the console share.
    pub fn status_code(self) -> u16 {
        match self {
            ErrorKind::BadRequest => 400,
            ErrorKind::Unauthenticated => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::PaymentRequired => 402,
            ErrorKind::Conflict => 409,
            ErrorKind::Unprocessable => 422,
            ErrorKind::TooManyRequests => 429,
            ErrorKind::Unavailable => 503,
            ErrorKind::Internal => 500,
        }
    }
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

    /// A reviewer's decision on an item that changed after the reviewer opened it (a new
    /// upload, an edit, another reviewer's action): they must look at it again first.
    pub fn changed_since_opened() -> Self {
        AppError::new(
            ErrorKind::Conflict,
            "CHANGED_SINCE_OPENED",
            "this item changed after you opened it; reload it and look again before deciding",
            "该事项在您打开之后已有变化，请刷新页面重新查看后再作决定",
        )
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
            Denied::OwnSubmission => AppError::new(
                ErrorKind::Forbidden,
                "OWN_SUBMISSION",
                "reviewers cannot decide on their own account's submissions",
                "审核员不能审核本账号提交的资料",
            ),
            Denied::MissingScope(right, Some(scope)) => AppError::new(
                ErrorKind::Forbidden,
                "API_KEY_SCOPE_MISSING",
                format!(
                    "this API key lacks the scope {} (needed for {})",
                    scope.as_str(),
                    right.as_str()
                ),
                format!(
                    "该 API 密钥缺少权限范围 {}（{} 需要）",
                    scope.as_str(),
                    right.as_str()
                ),
            ),
            Denied::MissingScope(_, None) | Denied::InteractiveSessionRequired => AppError::new(
                ErrorKind::Forbidden,
                "INTERACTIVE_SESSION_REQUIRED",
                "account security (password, TOTP, API keys, sessions) needs a login session, not an API key",
                "账户安全操作（密码、动态验证码、API 密钥、会话）须登录后操作，不能使用 API 密钥",
            ),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => AppError::not_found(),
            error if error.is_unavailable() => AppError::new(
                ErrorKind::Unavailable,
                "UNAVAILABLE",
                "the database is unavailable, retry later",
                "数据库暂不可用，请稍后重试",
            )
            .with_detail(error.to_string()),
            other => AppError::internal(other.to_string()),
        }
    }
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

impl From<ContactError> for AppError {
    fn from(error: ContactError) -> Self {
        let bad = |code, field: &str, message: String, message_zh: String| {
            AppError::bad_request(code, message, message_zh).with_field(field)
        };
        match error {
            ContactError::UnknownKind => bad(
                "INVALID_CONTACT_KIND",
                "kind",
                "kind must be person or organization".into(),
                "kind 须为 person（个人）或 organization（单位）".into(),
            ),
            ContactError::UnknownIdType => bad(
                "INVALID_ID_TYPE",
                "id_type",
                "id_type must be resident_id, passport, hk_macau_permit, taiwan_permit, \
                 foreign_permanent_resident or uscc"
                    .into(),
                "id_type 须为 resident_id、passport、hk_macau_permit、taiwan_permit、\
                 foreign_permanent_resident 或 uscc"
                    .into(),
            ),
            ContactError::IdTypeNotAllowed {
                kind: ContactKind::Person,
                ..
            } => bad(
                "ID_TYPE_NOT_ALLOWED",
                "id_type",
                "a person is identified by a personal document: resident_id, passport, \
                 hk_macau_permit, taiwan_permit or foreign_permanent_resident"
                    .into(),
                "个人须使用个人证件：居民身份证、护照、港澳通行证、台湾通行证或外国人永久居留身份证"
                    .into(),
            ),
            ContactError::IdTypeNotAllowed {
                kind: ContactKind::Organization,
                ..
            } => bad(
                "ID_TYPE_NOT_ALLOWED",
                "id_type",
                "an organization is identified by its unified social credit code (uscc)".into(),
                "单位须使用统一社会信用代码（uscc）".into(),
            ),
            ContactError::InvalidName => bad(
                "INVALID_NAME",
                "name",
                format!("name must have 1 to {NAME_MAX_CHARS} printable characters"),
                format!("名称须为 1 到 {NAME_MAX_CHARS} 个可打印字符"),
            ),
            ContactError::NameNotChinese => bad(
                "NAME_NOT_CHINESE",
                "name",
                "the holder of a mainland document must be named in Chinese, as on the document"
                    .into(),
                "所有者（中文）字段必须包含中文字符，并与证件一致".into(),
            ),
            ContactError::InvalidPhone => bad(
                "INVALID_PHONE",
                "phone",
                "phone must be +country.number (e.g. +86.13800138000) or an 11-digit \
                 mainland mobile number"
                    .into(),
                "电话须为 +国家码.号码 格式（如 +86.13800138000）或 11 位中国大陆手机号".into(),
            ),
            ContactError::InvalidCountry => bad(
                "INVALID_COUNTRY",
                "address.country",
                "country must be an ISO 3166-1 alpha-2 code such as CN".into(),
                "国家或地区须为 ISO 3166-1 两位字母代码，如 CN".into(),
            ),
            ContactError::InvalidAddressPart(part) => bad(
                "INVALID_ADDRESS",
                &format!("address.{}", part.as_str()),
                format!(
                    "address.{} must have 1 to {} printable characters",
                    part.as_str(),
                    part.max_chars()
                ),
                format!(
                    "地址 {} 须为 1 到 {} 个可打印字符",
                    part.as_str(),
                    part.max_chars()
                ),
            ),
            ContactError::InvalidPostalCode => bad(
                "INVALID_POSTAL_CODE",
                "address.postal_code",
                "postal code must be 6 digits in China, elsewhere up to 16 letters, digits, \
                 spaces and hyphens"
                    .into(),
                "邮政编码在中国须为 6 位数字，其他国家或地区最多 16 个字母、数字、空格或连字符".into(),
            ),
            ContactError::UnknownDecision => bad(
                "INVALID_DECISION",
                "decision",
                "decision must be approve or reject".into(),
                "decision 须为 approve（通过）或 reject（驳回）".into(),
            ),
            ContactError::ReasonRequired => bad(
                "REASON_REQUIRED",
                "reason",
                "a rejection needs a reason for the customer".into(),
                "驳回时必须填写原因".into(),
            ),
            ContactError::InvalidReason => bad(
                "INVALID_REASON",
                "reason",
                format!("reason must have 1 to {REASON_MAX_CHARS} printable characters"),
                format!("原因须为 1 到 {REASON_MAX_CHARS} 个可打印字符"),
            ),
            ContactError::NotPending => AppError::new(
                ErrorKind::Conflict,
                "CONTACT_NOT_PENDING",
                "the contact was already reviewed",
                "该联系人已审核，不能再次审核",
            ),
        }
    }
}

/// Declares a context's error enum from one table: each variant with its kind, stable code,
/// optional field and both messages. The enum gets `code()` and an `Into<AppError>`, so a use
/// case says *what* went wrong (`AccountsError::EmailTaken`) and the wording lives in one
/// place. Messages and the field are expressions that may use the variant's own fields.
///
/// ```ignore
/// error_enum! {
///     /// What sign-up refuses.
///     pub enum SignUpError {
///         /// The e-mail is registered already.
///         EmailTaken = Conflict("EMAIL_TAKEN", field = "email")
///             => ("this e-mail is already registered", "该邮箱已注册"),
///         /// Too many items.
///         TooMany { got: usize } = BadRequest("TOO_MANY")
///             => (format!("at most 10, got {got}"), format!("最多 10 个，实际 {got} 个")),
///     }
/// }
/// ```
macro_rules! error_enum {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident $({ $($(#[$member_meta:meta])* $member:ident : $member_type:ty),* $(,)? })?
                    = $kind:ident ($code:literal $(, field = $field:expr)? $(,)?)
                    => ($en:expr, $zh:expr $(,)?)
            ),* $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        $vis enum $name {
            $(
                $(#[$variant_meta])*
                $variant $({ $($(#[$member_meta])* $member: $member_type),* })?,
            )*
        }

        impl $name {
            /// The stable code clients match on.
            pub fn code(&self) -> &'static str {
                match self {
                    $($name::$variant { .. } => $code,)*
                }
            }
        }

        impl From<$name> for $crate::AppError {
            #[allow(unused_variables)]
            fn from(error: $name) -> $crate::AppError {
                match error {
                    $(
                        $name::$variant $({ $($member),* })? => {
                            let error = $crate::AppError::new(
                                $crate::ErrorKind::$kind,
                                $code,
                                $en,
                                $zh,
                            );
                            $(let error = error.with_field($field);)?
                            error
                        }
                    )*
                }
            }
        }
    };
}
pub(crate) use error_enum;

error_enum! {
    /// What the shared request machinery (paging, idempotency keys, rate limits) refuses.
    pub enum PlatformError {
        /// A page cursor this API did not hand out.
        InvalidCursor { field: &'static str } = BadRequest("INVALID_CURSOR", field = field)
            => ("the cursor is not one this API returned", "分页游标无效"),
        /// An `Idempotency-Key` that is empty, too long or not visible ASCII.
        InvalidIdempotencyKey = BadRequest("INVALID_IDEMPOTENCY_KEY", field = "Idempotency-Key") => (
            "Idempotency-Key must be 1 to 128 visible ASCII characters",
            "Idempotency-Key 须为 1 到 128 个可见 ASCII 字符",
        ),
        /// The first request with this key has not finished.
        IdempotencyKeyInProgress
            = Conflict("IDEMPOTENCY_KEY_IN_PROGRESS", field = "Idempotency-Key") => (
            "a request with this Idempotency-Key is still being processed",
            "使用该 Idempotency-Key 的请求仍在处理中",
        ),
        /// The key was used with a different request.
        IdempotencyKeyReused = Unprocessable("IDEMPOTENCY_KEY_REUSED", field = "Idempotency-Key") => (
            "this Idempotency-Key was used with a different request",
            "该 Idempotency-Key 已用于另一个不同的请求",
        ),
        /// A durable rate limit is reached.
        RateLimited { retry_after: i64 } = TooManyRequests("RATE_LIMITED") => (
            format!("too many requests; retry in {retry_after} seconds"),
            format!("请求过于频繁，请 {retry_after} 秒后重试"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_enum_variant_becomes_its_kind_code_field_and_both_messages() {
        let error = AppError::from(PlatformError::InvalidCursor { field: "before" });
        assert_eq!(
            (error.kind, error.code, error.field.as_deref()),
            (ErrorKind::BadRequest, "INVALID_CURSOR", Some("before"))
        );
        assert_eq!(error.message, "the cursor is not one this API returned");
        assert_eq!(error.message_zh, "分页游标无效");

        let limited = PlatformError::RateLimited { retry_after: 7 };
        assert_eq!(limited.code(), "RATE_LIMITED");
        let error = AppError::from(limited);
        assert_eq!(error.kind, ErrorKind::TooManyRequests);
        assert_eq!(error.field, None);
        assert!(error.message.contains("retry in 7 seconds"));
        assert!(error.message_zh.contains("7 秒"));
        assert_eq!(error.retry_after_secs, None, "the caller adds Retry-After");
    }
}
