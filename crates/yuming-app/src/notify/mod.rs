//! Telling people: the notice service (e-mail, SMS, in-console), signed webhooks, and the one
//! place the lifecycle flows hand their notices over.

pub(crate) mod flow_notices;
pub mod kinds;
pub mod notices;
pub mod webhooks;

use crate::{AppError, ErrorKind};

/// What the notification use cases refuse: each case's stable code, both messages and the
/// field at fault in one place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotifyError {
    /// A preference names a channel that does not exist.
    UnknownChannel {
        /// Its position in `channels`.
        index: usize,
    },
    /// An endpoint subscribes to a notice kind that does not exist.
    UnknownKind {
        /// Its position in `kinds`.
        index: usize,
    },
    /// A webhook URL that is empty or longer than 2 048 bytes.
    UrlLength,
    /// A webhook URL that does not parse as an absolute URL.
    UrlNotAbsolute,
    /// A webhook URL that is not http(s) or names no host.
    UrlSchemeOrHost,
    /// A webhook URL carrying a user name or password.
    UrlCredentials,
    /// A webhook URL that points into a private or local network.
    UrlPrivate,
    /// A webhook description longer than 200 characters.
    DescriptionTooLong,
    /// The account already has the most endpoints allowed.
    TooManyEndpoints {
        /// The limit.
        max: usize,
    },
    /// A test delivery to a disabled endpoint.
    EndpointDisabled,
}

impl NotifyError {
    /// The stable code clients match on.
    pub fn code(&self) -> &'static str {
        match self {
            NotifyError::UnknownChannel { .. } => "UNKNOWN_CHANNEL",
            NotifyError::UnknownKind { .. } => "UNKNOWN_NOTICE_KIND",
            NotifyError::UrlLength
            | NotifyError::UrlNotAbsolute
            | NotifyError::UrlSchemeOrHost
            | NotifyError::UrlCredentials => "INVALID_WEBHOOK_URL",
            NotifyError::UrlPrivate => "WEBHOOK_URL_PRIVATE",
            NotifyError::DescriptionTooLong => "INVALID_DESCRIPTION",
            NotifyError::TooManyEndpoints { .. } => "TOO_MANY_WEBHOOKS",
            NotifyError::EndpointDisabled => "WEBHOOK_DISABLED",
        }
    }
}

impl From<NotifyError> for AppError {
    fn from(error: NotifyError) -> AppError {
        let code = error.code();
        let text = |en: &str, zh: &str| (en.to_owned(), zh.to_owned());
        let (kind, (en, zh), field) = match error {
            NotifyError::UnknownChannel { index } => (
                ErrorKind::BadRequest,
                text("unknown notice channel", "未知的通知渠道"),
                Some(format!("channels[{index}]")),
            ),
            NotifyError::UnknownKind { index } => (
                ErrorKind::BadRequest,
                text("unknown notice kind", "未知的通知类型"),
                Some(format!("kinds[{index}]")),
            ),
            NotifyError::UrlLength => (
                ErrorKind::BadRequest,
                text(
                    "the URL must be 1–2048 characters",
                    "URL 长度须为 1–2048 个字符",
                ),
                Some("url".into()),
            ),
            NotifyError::UrlNotAbsolute => (
                ErrorKind::BadRequest,
                text("not an absolute http(s) URL", "不是有效的 http(s) 绝对地址"),
                Some("url".into()),
            ),
            NotifyError::UrlSchemeOrHost => (
                ErrorKind::BadRequest,
                text(
                    "the URL must use http or https and name a host",
                    "URL 须使用 http 或 https 并包含主机名",
                ),
                Some("url".into()),
            ),
            NotifyError::UrlCredentials => (
                ErrorKind::BadRequest,
                text(
                    "credentials in the URL are not accepted; verify the signature instead",
                    "URL 中不得包含用户名或密码，请校验签名",
                ),
                Some("url".into()),
            ),
            NotifyError::UrlPrivate => (
                ErrorKind::BadRequest,
                text(
                    "the URL points into a private or local network",
                    "URL 指向内网或本机地址",
                ),
                Some("url".into()),
            ),
            NotifyError::DescriptionTooLong => (
                ErrorKind::BadRequest,
                text(
                    "the description is longer than 200 characters",
                    "描述超过 200 个字符",
                ),
                Some("description".into()),
            ),
            NotifyError::TooManyEndpoints { max } => (
                ErrorKind::Conflict,
                (
                    format!("an account may have at most {max} webhook endpoints"),
                    format!("每个账户最多 {max} 个 Webhook 地址"),
                ),
                None,
            ),
            NotifyError::EndpointDisabled => (
                ErrorKind::Conflict,
                text("the endpoint is disabled", "该 Webhook 地址已停用"),
                None,
            ),
        };
        let error = AppError::new(kind, code, en, zh);
        match field {
            Some(field) => error.with_field(field),
            None => error,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::NotifyError;
    use crate::AppError;

    #[test]
    fn every_refusal_has_its_code_both_messages_and_field() {
        let all = [
            (
                NotifyError::UnknownChannel { index: 2 },
                Some("channels[2]"),
            ),
            (NotifyError::UnknownKind { index: 1 }, Some("kinds[1]")),
            (NotifyError::UrlLength, Some("url")),
            (NotifyError::UrlNotAbsolute, Some("url")),
            (NotifyError::UrlSchemeOrHost, Some("url")),
            (NotifyError::UrlCredentials, Some("url")),
            (NotifyError::UrlPrivate, Some("url")),
            (NotifyError::DescriptionTooLong, Some("description")),
            (NotifyError::TooManyEndpoints { max: 10 }, None),
            (NotifyError::EndpointDisabled, None),
        ];
        for (error, field) in all {
            let code = error.code();
            let app: AppError = error.into();
            assert_eq!(app.code, code);
            assert_eq!(app.field.as_deref(), field, "{code}");
            assert!(
                !app.message.is_empty() && !app.message_zh.is_empty(),
                "{code}"
            );
        }
    }
}
