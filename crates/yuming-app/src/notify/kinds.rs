//! What a notice is about, and how often its delivery is retried: shared by every channel
//! (e-mail, SMS, in-app, webhooks), so that no channel depends on another.

/// What a notice is about. Stored by [`NoticeKind::as_str`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NoticeKind {
    /// The domain expires in a few days (30, 7, 1 before expiry).
    ExpiryReminder,
    /// The domain expired and is in its post-expiry grace (sent within 5 days).
    DomainExpired,
    /// The domain was renewed automatically.
    AutoRenewSucceeded,
    /// The automatic renewal could not be charged (e.g. insufficient balance).
    AutoRenewFailed,
    /// The domain entered redemption (restorable for a fee).
    DomainRedemption,
    /// The domain was released.
    DomainReleased,
    /// The balance fell below the account's threshold.
    LowBalance,
    /// A transfer of one of the account's domains was requested.
    TransferRequested,
    /// A transfer was approved.
    TransferApproved,
    /// A transfer was rejected.
    TransferRejected,
    /// A cancellation (delete) of a domain.
    Cancellation,
    /// The status of an ICP filing changed.
    IcpStatusChanged,
    /// A filing certificate ends within 30 days.
    FilingCertificateRenewal,
    /// The consistency monitor found a filed site drifting or at risk.
    FilingAlert,
    /// File the site with the public security bureau (公安备案) within 30 days.
    PsbFilingReminder,
    /// Anything else: rendered from the `subject`/`body` (and `subject_en`/`body_en`)
    /// parameters, so other parts of the platform can notify before they add a kind.
    Generic,
    /// The link that verifies a new account's e-mail address (e-mail only, always sent).
    EmailVerification,
    /// Someone tried to sign up with an address that already has an account: the owner
    /// hears of it, the person signing up learns nothing (e-mail only, always sent).
    SignupAttempt,
}

impl NoticeKind {
    /// Every kind, for the preferences API.
    pub const ALL: [NoticeKind; 16] = [
        NoticeKind::ExpiryReminder,
        NoticeKind::DomainExpired,
        NoticeKind::AutoRenewSucceeded,
        NoticeKind::AutoRenewFailed,
        NoticeKind::DomainRedemption,
        NoticeKind::DomainReleased,
        NoticeKind::LowBalance,
        NoticeKind::TransferRequested,
        NoticeKind::TransferApproved,
        NoticeKind::TransferRejected,
        NoticeKind::Cancellation,
        NoticeKind::IcpStatusChanged,
        NoticeKind::FilingCertificateRenewal,
        NoticeKind::FilingAlert,
        NoticeKind::PsbFilingReminder,
        NoticeKind::Generic,
    ];

    /// The stable name, e.g. `expiry_reminder`.
    pub fn as_str(&self) -> &'static str {
        match self {
            NoticeKind::ExpiryReminder => "expiry_reminder",
            NoticeKind::DomainExpired => "domain_expired",
            NoticeKind::AutoRenewSucceeded => "auto_renew_succeeded",
            NoticeKind::AutoRenewFailed => "auto_renew_failed",
            NoticeKind::DomainRedemption => "domain_redemption",
            NoticeKind::DomainReleased => "domain_released",
            NoticeKind::LowBalance => "low_balance",
            NoticeKind::TransferRequested => "transfer_requested",
            NoticeKind::TransferApproved => "transfer_approved",
            NoticeKind::TransferRejected => "transfer_rejected",
            NoticeKind::Cancellation => "cancellation",
            NoticeKind::IcpStatusChanged => "icp_status_changed",
            NoticeKind::FilingCertificateRenewal => "filing_certificate_renewal",
            NoticeKind::FilingAlert => "filing_alert",
            NoticeKind::PsbFilingReminder => "psb_filing_reminder",
            NoticeKind::Generic => "generic",
            NoticeKind::EmailVerification => "email_verification",
            NoticeKind::SignupAttempt => "signup_attempt",
        }
    }

    /// The kind with this stable name (of the kinds an account chooses channels for).
    pub fn parse(name: &str) -> Option<NoticeKind> {
        NoticeKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Kinds about the account itself, sent by e-mail whatever the account's preferences
    /// (they are not in [`NoticeKind::ALL`]: there is nothing to choose).
    pub fn is_account_security(&self) -> bool {
        matches!(
            self,
            NoticeKind::EmailVerification | NoticeKind::SignupAttempt
        )
    }

    /// Channels used when the account chose none for this kind: money and losing a name
    /// matter enough for e-mail; everything lands in the in-app inbox and at the account's
    /// webhook endpoints (if it registered any).
    pub fn default_channels(&self) -> Vec<Channel> {
        match self {
            // Filing status changes and filing alerts reach the principal's phone too.
            NoticeKind::IcpStatusChanged | NoticeKind::FilingAlert => vec![
                Channel::Email,
                Channel::InApp,
                Channel::Sms,
                Channel::Webhook,
            ],
            // A link that activates the account goes only to the mailbox it proves.
            NoticeKind::EmailVerification | NoticeKind::SignupAttempt => vec![Channel::Email],
            _ => vec![Channel::Email, Channel::InApp, Channel::Webhook],
        }
    }

    /// (subject, body) templates in zh-CN and en; `{name}` is replaced by the parameter.
    pub(crate) fn templates(&self) -> [(&'static str, &'static str); 2] {
        match self {
            NoticeKind::ExpiryReminder => [
                (
                    "域名 {domain} 将于 {days} 天后到期",
                    "您的域名 {domain} 将于 {expires_at} 到期（剩余 {days} 天）。请及时续费{auto_renew_zh}。",
                ),
                (
                    "{domain} expires in {days} days",
                    "Your domain {domain} expires on {expires_at} ({days} days left). Please renew it in time{auto_renew_en}.",
                ),
            ],
            NoticeKind::DomainExpired => [
                (
                    "域名 {domain} 已到期",
                    "您的域名 {domain} 已于 {expires_at} 到期，解析已暂停。请在 {grace_ends_at} 前续费，逾期将进入赎回期。",
                ),
                (
                    "{domain} has expired",
                    "Your domain {domain} expired on {expires_at} and no longer resolves. Renew it before {grace_ends_at}, after which it enters redemption.",
                ),
            ],
            NoticeKind::AutoRenewSucceeded => [
                (
                    "域名 {domain} 已自动续费",
                    "您的域名 {domain} 已自动续费一年，新到期时间 {expires_at}，扣款 {amount}。",
                ),
                (
                    "{domain} was renewed automatically",
                    "Your domain {domain} was renewed for one year until {expires_at}; {amount} was charged.",
                ),
            ],
            NoticeKind::AutoRenewFailed => [
                (
                    "域名 {domain} 自动续费失败",
                    "您的域名 {domain} 自动续费失败：{reason_zh}。续费需 {amount}，请充值，我们将稍后重试。",
                ),
                (
                    "Automatic renewal of {domain} failed",
                    "The automatic renewal of {domain} failed: {reason_en}. It costs {amount}; please top up, we will retry.",
                ),
            ],
            NoticeKind::DomainRedemption => [
                (
                    "域名 {domain} 已进入赎回期",
                    "您的域名 {domain} 已被删除并进入赎回期，可在 {pending_delete_at} 前赎回。",
                ),
                (
                    "{domain} is in redemption",
                    "Your domain {domain} was deleted and can be restored until {pending_delete_at}.",
                ),
            ],
            NoticeKind::DomainReleased => [
                (
                    "域名 {domain} 已释放",
                    "域名 {domain} 已被释放，现在任何人都可以注册。",
                ),
                (
                    "{domain} was released",
                    "The domain {domain} was released and is available for registration.",
                ),
            ],
            NoticeKind::LowBalance => [
                (
                    "账户余额不足",
                    "您的账户余额为 {balance}，低于提醒阈值 {threshold}。",
                ),
                (
                    "Low balance",
                    "Your balance is {balance}, below your threshold of {threshold}.",
                ),
            ],
            NoticeKind::TransferRequested => [
                ("域名 {domain} 转移申请", "已收到域名 {domain} 的转移申请。"),
                (
                    "Transfer of {domain} requested",
                    "A transfer of {domain} was requested.",
                ),
            ],
            NoticeKind::TransferApproved => [
                ("域名 {domain} 转移已批准", "域名 {domain} 的转移已批准。"),
                (
                    "Transfer of {domain} approved",
                    "The transfer of {domain} was approved.",
                ),
            ],
            NoticeKind::TransferRejected => [
                ("域名 {domain} 转移被拒绝", "域名 {domain} 的转移被拒绝。"),
                (
                    "Transfer of {domain} rejected",
                    "The transfer of {domain} was rejected.",
                ),
            ],
            NoticeKind::Cancellation => [
                ("域名 {domain} 已注销", "域名 {domain} 已按您的申请注销。"),
                (
                    "{domain} was cancelled",
                    "The domain {domain} was cancelled as you requested.",
                ),
            ],
            NoticeKind::IcpStatusChanged => [
                (
                    "{target}的备案状态变更",
                    "您为{target}提交的备案申请（{filing}）状态变为：{status}。",
                ),
                (
                    "ICP filing of {target_en}: status changed",
                    "Your ICP filing application for {target_en} ({filing}) is now: {status}.",
                ),
            ],
            NoticeKind::FilingCertificateRenewal => [
                (
                    "{domain} 的备案证书即将到期",
                    "网站“{site}”（{domain}，{number}）的备案证书将于 {valid_until} 到期，请在控制台续期证书。",
                ),
                (
                    "The filing certificate of {domain} ends soon",
                    "The filing certificate of the site “{site}” ({domain}, {number}) ends on {valid_until}; renew it in the console.",
                ),
            ],
            NoticeKind::FilingAlert => [
                ("备案风险提醒：{domain}", "{reason}。处理方式：{fix}"),
                ("Filing alert for {domain}", "{reason_en}. To fix it: {fix}"),
            ],
            NoticeKind::PsbFilingReminder => [
                (
                    "请为 {domain} 办理公安备案",
                    "网站 {domain} 已取得 ICP 备案，请于 {deadline} 前在全国互联网安全管理服务平台（beian.mps.gov.cn）办理公安联网备案。",
                ),
                (
                    "File {domain} with the public security bureau",
                    "{domain} has its ICP filing; file it with the public security bureau (beian.mps.gov.cn) before {deadline}.",
                ),
            ],
            NoticeKind::Generic => [("{subject}", "{body}"), ("{subject_en}", "{body_en}")],
            NoticeKind::EmailVerification => [
                (
                    "请验证您的电子邮箱",
                    "您好 {display_name}：\n\n请打开以下链接完成注册（{hours} 小时内有效）：\n{secret}\n\n验证前账户不能充值或注册域名。如果这不是您本人的操作，请忽略本邮件。",
                ),
                (
                    "Verify your e-mail address",
                    "Hello {display_name},\n\nOpen this link to finish signing up (valid for {hours} hours):\n{secret}\n\nUntil then the account cannot pay or register domains. If you did not sign up, ignore this e-mail.",
                ),
            ],
            NoticeKind::SignupAttempt => [
                (
                    "有人尝试用您的邮箱注册",
                    "有人尝试使用 {email} 注册新账户，但该邮箱已有账户。如果是您本人，请直接登录（忘记密码可在登录页重置）；如果不是，请忽略本邮件，您的账户没有变化。",
                ),
                (
                    "Someone tried to sign up with your address",
                    "Someone tried to sign up with {email}, which already has an account. If it was you, just log in; if not, ignore this e-mail: nothing about your account changed.",
                ),
            ],
        }
    }
}

/// A delivery channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// E-mail to the account's address.
    Email,
    /// The in-app inbox.
    InApp,
    /// SMS to the mobile the occasion names (`NoticeRequest::sms_to`), through the
    /// [`SmsGateway`].
    Sms,
    /// A signed POST to each of the account's webhook endpoints subscribed to the kind
    /// ([`crate::notify::webhooks`]); nothing when it has none.
    Webhook,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 4] = [
        Channel::Email,
        Channel::InApp,
        Channel::Sms,
        Channel::Webhook,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::InApp => "in_app",
            Channel::Sms => "sms",
            Channel::Webhook => "webhook",
        }
    }

    /// The channel with this name.
    pub fn parse(name: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// Delivery attempts before a notice is given up (`failed`).
pub const MAX_ATTEMPTS: i64 = 8;

/// The wait before attempt `attempts + 1`: one minute doubling, capped at a day.
pub fn backoff_secs(attempts: i64) -> i64 {
    (60_i64 << attempts.clamp(0, 20)).min(86_400)
}
