//! Telling people: the notice service (e-mail, SMS, in-console), signed webhooks, and the one
//! place the lifecycle flows hand their notices over.

pub(crate) mod flow_notices;
pub mod kinds;
pub mod notices;
pub mod webhooks;

crate::platform::error::error_enum! {
    /// What the notification use cases refuse: each case's stable code, both messages and the
    /// field at fault in one place.
    pub enum NotifyError {
        /// A preference names a channel that does not exist.
        UnknownChannel {
            /// Its position in `channels`.
            index: usize,
        } = BadRequest("UNKNOWN_CHANNEL", field = format!("channels[{index}]"))
            => ("unknown notice channel", "未知的通知渠道"),
        /// An endpoint subscribes to a notice kind that does not exist.
        UnknownKind {
            /// Its position in `kinds`.
            index: usize,
        } = BadRequest("UNKNOWN_NOTICE_KIND", field = format!("kinds[{index}]"))
            => ("unknown notice kind", "未知的通知类型"),
        /// A webhook URL that is empty or longer than 2 048 bytes.
        UrlLength = BadRequest("INVALID_WEBHOOK_URL", field = "url")
            => ("the URL must be 1–2048 characters", "URL 长度须为 1–2048 个字符"),
        /// A webhook URL that does not parse as an absolute URL.
        UrlNotAbsolute = BadRequest("INVALID_WEBHOOK_URL", field = "url")
            => ("not an absolute http(s) URL", "不是有效的 http(s) 绝对地址"),
        /// A webhook URL that is not http(s) or names no host.
        UrlSchemeOrHost = BadRequest("INVALID_WEBHOOK_URL", field = "url") => (
            "the URL must use http or https and name a host",
            "URL 须使用 http 或 https 并包含主机名",
        ),
        /// A webhook URL carrying a user name or password.
        UrlCredentials = BadRequest("INVALID_WEBHOOK_URL", field = "url") => (
            "credentials in the URL are not accepted; verify the signature instead",
            "URL 中不得包含用户名或密码，请校验签名",
        ),
        /// A webhook URL that points into a private or local network.
        UrlPrivate = BadRequest("WEBHOOK_URL_PRIVATE", field = "url") => (
            "the URL points into a private or local network",
            "URL 指向内网或本机地址",
        ),
        /// A webhook description longer than 200 characters.
        DescriptionTooLong = BadRequest("INVALID_DESCRIPTION", field = "description")
            => ("the description is longer than 200 characters", "描述超过 200 个字符"),
        /// The account already has the most endpoints allowed.
        TooManyEndpoints {
            /// The limit.
            max: usize,
        } = Conflict("TOO_MANY_WEBHOOKS") => (
            format!("an account may have at most {max} webhook endpoints"),
            format!("每个账户最多 {max} 个 Webhook 地址"),
        ),
        /// A test delivery to a disabled endpoint.
        EndpointDisabled = Conflict("WEBHOOK_DISABLED")
            => ("the endpoint is disabled", "该 Webhook 地址已停用"),
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
