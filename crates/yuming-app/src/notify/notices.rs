//! Notices: the platform-wide notification service.
//!
//! A use case calls [`enqueue`] inside its own transaction; one outbox row per channel the
//! account wants is written there, so the notice exists exactly when the change it reports
//! commits. Rows are unique on (account, kind, occasion, channel): the occasion is the
//! dedupe key (e.g. `expiry:30d:<domain>:<expires_at>`), so a notice is sent once per
//! occasion however many sweeps, restarts or instances reach it. In-app notices are
//! delivered by being written; e-mail rows wait for [`deliver_email`], which claims them
//! with a lease, commits, and only then talks SMTP, so no transaction spans network I/O.
//! Without a configured SMTP server e-mail rows simply stay pending in the outbox.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{Map, Value};
use yuming_core::access::Actor;
use yuming_store::{NoticeRow, Tx};

use crate::platform::audit::{self, Change};
use crate::platform::crypto::{Cipher, new_id};
use crate::registrar::registry::BoxFuture;
use crate::{App, AppError, RequestContext};

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
    fn templates(&self) -> [(&'static str, &'static str); 2] {
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

/// A notice to send.
#[derive(Debug, Clone)]
pub struct NoticeRequest {
    /// The account notified (for domains: the owning tenant).
    pub account_id: String,
    /// What about.
    pub kind: NoticeKind,
    /// Dedupe key: at most one notice per account, kind and occasion.
    pub occasion: String,
    /// Template parameters (a JSON object; strings and numbers).
    pub params: Map<String, Value>,
    /// The mobile that gets the SMS channel's copy (a filing's applicant); `None` skips SMS.
    pub sms_to: Option<SmsTo>,
}

/// The recipient of a notice's SMS copy: a principal's mobile, which the outbox keeps only
/// sealed (`notice.recipient:<notice id>`), so the request carries the cipher that seals it.
#[derive(Clone)]
pub struct SmsTo {
    mobile: String,
    cipher: Cipher,
}

impl SmsTo {
    /// The mobile `mobile`, to be sealed with `cipher` (the application's).
    pub fn new(cipher: &Cipher, mobile: &str) -> SmsTo {
        SmsTo {
            mobile: mobile.trim().to_owned(),
            cipher: cipher.clone(),
        }
    }
}

impl std::fmt::Debug for SmsTo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A mobile number is personal data: never in a log line.
        f.write_str("SmsTo(..)")
    }
}

fn recipient_context(notice_id: &str) -> String {
    format!("notice.recipient:{notice_id}")
}

/// Seals an SMS notice's mobile for its outbox row.
pub(crate) fn seal_recipient(cipher: &Cipher, notice_id: &str, mobile: &str) -> Vec<u8> {
    cipher.seal(mobile.as_bytes(), &recipient_context(notice_id))
}

/// Where an outbox row goes: the sealed SMS mobile opened, else the stored address.
fn recipient_of(cipher: &Cipher, row: &NoticeRow) -> Result<String, String> {
    match &row.recipient_sealed {
        Some(sealed) => cipher
            .open(sealed, &recipient_context(&row.id))
            .map_err(|e| format!("recipient: {e}"))
            .and_then(|bytes| String::from_utf8(bytes).map_err(|_| "recipient: utf-8".into())),
        None => Ok(row.recipient.clone()),
    }
}

/// Renders a notice in `language` (`en`, anything else is zh-CN).
pub fn render(kind: &NoticeKind, language: &str, params: &Map<String, Value>) -> (String, String) {
    let [zh, en] = kind.templates();
    let (subject, body) = if language.starts_with("en") { en } else { zh };
    (fill(subject, params), fill(body, params))
}

fn fill(template: &str, params: &Map<String, Value>) -> String {
    let mut out = template.to_owned();
    for (key, value) in params {
        let text = match value {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        out = out.replace(&format!("{{{key}}}"), &text);
    }
    out
}

/// Writes the outbox rows of `request` in the caller's transaction; returns how many were
/// new (0 when this occasion was already notified or every channel is off).
pub async fn enqueue(tx: &mut Tx, request: &NoticeRequest, now: i64) -> Result<usize, AppError> {
    enqueue_with_secret(tx, request, None, now).await
}

/// The placeholder a template puts where a secret goes (see [`Secret`]).
const SECRET_PLACEHOLDER: &str = "{secret}";

/// A secret an e-mail carries, such as a verification link. The outbox keeps it only sealed
/// (bound to the notice's row); the body stores the `{secret}` placeholder and delivery
/// fills it in.
pub struct Secret<'a> {
    /// The text that replaces `{secret}` in the body.
    pub text: &'a str,
    /// The cipher that seals it (the application's).
    pub cipher: &'a Cipher,
}

fn secret_context(notice_id: &str) -> String {
    format!("notice.secret:{notice_id}")
}

/// The body of an outbox row as it is sent: its sealed secret opened into the placeholder.
pub fn body_to_send(cipher: &Cipher, row: &NoticeRow) -> Result<String, String> {
    match &row.secret_sealed {
        None => Ok(row.body.clone()),
        Some(sealed) => {
            let secret = cipher
                .open(sealed, &secret_context(&row.id))
                .map_err(|e| format!("secret: {e}"))
                .and_then(|b| String::from_utf8(b).map_err(|_| "secret: utf-8".to_owned()))?;
            Ok(row.body.replace(SECRET_PLACEHOLDER, &secret))
        }
    }
}

/// [`enqueue`], with a secret for the e-mail copy (only e-mail carries it: other channels
/// of such a kind are never written).
pub async fn enqueue_with_secret(
    tx: &mut Tx,
    request: &NoticeRequest,
    secret: Option<Secret<'_>>,
    now: i64,
) -> Result<usize, AppError> {
    let account = tx
        .account_by_id(&request.account_id)
        .await?
        .ok_or_else(|| {
            AppError::internal(format!("notice for unknown account {}", request.account_id))
        })?;
    let channels = channels_of(tx, &request.account_id, &request.kind).await?;
    let (subject, body) = render(&request.kind, &account.language, &request.params);
    let params = Value::Object(request.params.clone()).to_string();
    let mut inserted = 0;
    for channel in channels {
        let id = new_id("ntc");
        if secret.is_some() && channel != Channel::Email {
            continue;
        }
        let (recipient, recipient_sealed, status) = match channel {
            Channel::Email => (account.email.clone(), None, "pending"),
            Channel::InApp => (String::new(), None, "sent"),
            // Accounts carry no phone number: an SMS goes only where the occasion names one.
            Channel::Sms => match &request.sms_to {
                Some(to) if !to.mobile.is_empty() => (
                    String::new(),
                    Some(seal_recipient(&to.cipher, &id, &to.mobile)),
                    "pending",
                ),
                _ => continue,
            },
            // One delivery per endpoint, in the webhook tables (not the outbox).
            Channel::Webhook => {
                inserted += crate::notify::webhooks::enqueue(
                    tx,
                    &request.account_id,
                    &request.kind,
                    &request.occasion,
                    (&subject, &body),
                    &request.params,
                    now,
                )
                .await?;
                continue;
            }
        };
        let secret_sealed = secret.as_ref().map(|secret| {
            secret
                .cipher
                .seal(secret.text.as_bytes(), &secret_context(&id))
        });
        let row = NoticeRow {
            id,
            account_id: request.account_id.clone(),
            kind: request.kind.as_str().to_owned(),
            occasion: request.occasion.clone(),
            channel: channel.as_str().to_owned(),
            recipient,
            recipient_sealed,
            language: account.language.clone(),
            subject: subject.clone(),
            body: body.clone(),
            params: params.clone(),
            status: status.to_owned(),
            attempts: 0,
            next_attempt_at: now,
            lease_until: 0,
            last_error: None,
            read_at: None,
            created_at: now,
            sent_at: (channel == Channel::InApp).then_some(now),
            secret_sealed,
        };
        if tx.insert_notice(&row).await? {
            inserted += 1;
        }
    }
    Ok(inserted)
}

async fn channels_of(
    tx: &mut Tx,
    account_id: &str,
    kind: &NoticeKind,
) -> Result<Vec<Channel>, AppError> {
    if kind.is_account_security() {
        return Ok(kind.default_channels());
    }
    Ok(
        match tx.notice_preference(account_id, kind.as_str()).await? {
            Some(list) => list
                .split(',')
                .filter_map(Channel::parse)
                .collect::<BTreeSet<_>>()
                .into_iter()
                .collect(),
            None => kind.default_channels(),
        },
    )
}

/// An in-app notice as the account sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InboxItem {
    /// Id.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// Subject.
    pub subject: String,
    /// Body.
    pub body: String,
    /// Creation time.
    pub created_at: i64,
    /// When read, if read.
    pub read_at: Option<i64>,
}

/// The actor's in-app notices, newest first, `limit` older than `before`.
pub async fn inbox(
    app: &App,
    actor: &Actor,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<InboxItem>, AppError> {
    let mut tx = app.db().read().await?;
    let rows = tx
        .notices_of_account(
            &actor.account_id,
            Channel::InApp.as_str(),
            before.unwrap_or(i64::MAX),
            limit,
        )
        .await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| InboxItem {
            id: r.id,
            kind: r.kind,
            subject: r.subject,
            body: r.body,
            created_at: r.created_at,
            read_at: r.read_at,
        })
        .collect())
}

/// How many in-app notices the actor has not read.
pub async fn unread_count(app: &App, actor: &Actor) -> Result<i64, AppError> {
    let mut tx = app.db().read().await?;
    let n = tx.unread_notice_count(&actor.account_id).await?;
    tx.commit().await?;
    Ok(n)
}

/// Marks one of the actor's in-app notices read; another account's is `NOT_FOUND`.
pub async fn mark_read(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<(), AppError> {
    let now = app.now();
    let mut tx = app.db().write().await?;
    if !tx.mark_notice_read(&actor.account_id, id, now.0).await? {
        return Err(AppError::not_found());
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "notice.read",
            object_type: "notice",
            object_id: id,
            tenant: &actor.tenant_id,
            before: Value::Null,
            after: Value::Null,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The channels of one notice kind for an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Preference {
    /// Kind.
    pub kind: String,
    /// Channels (empty: the kind is off).
    pub channels: Vec<String>,
}

/// The actor's channels for every kind (defaults where none was chosen).
pub async fn preferences(app: &App, actor: &Actor) -> Result<Vec<Preference>, AppError> {
    let mut tx = app.db().read().await?;
    let mut out = Vec::new();
    for kind in NoticeKind::ALL {
        let channels = channels_of(&mut tx, &actor.account_id, &kind).await?;
        out.push(Preference {
            kind: kind.as_str().to_owned(),
            channels: channels
                .into_iter()
                .map(|c| c.as_str().to_owned())
                .collect(),
        });
    }
    tx.commit().await?;
    Ok(out)
}

/// Sets the actor's channels for one notice kind.
pub async fn set_preference(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    kind: &str,
    channels: &[String],
) -> Result<Preference, AppError> {
    // The kind names the resource in the path: an unknown one is not found.
    let parsed_kind = NoticeKind::parse(kind).ok_or_else(AppError::not_found)?;
    let mut set = BTreeSet::new();
    for (i, name) in channels.iter().enumerate() {
        let channel = Channel::parse(name).ok_or_else(|| {
            AppError::bad_request(
                "UNKNOWN_CHANNEL",
                "unknown notice channel",
                "未知的通知渠道",
            )
            .with_field(format!("channels[{i}]"))
        })?;
        set.insert(channel);
    }
    let list: Vec<String> = set.iter().map(|c| c.as_str().to_owned()).collect();
    let now = app.now();
    let mut tx = app.db().write().await?;
    tx.set_notice_preference(
        &actor.account_id,
        parsed_kind.as_str(),
        &list.join(","),
        now.0,
    )
    .await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "notice.preference",
            object_type: "account",
            object_id: &actor.account_id,
            tenant: &actor.tenant_id,
            before: Value::Null,
            after: serde_json::json!({ "kind": parsed_kind.as_str(), "channels": list }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Preference {
        kind: parsed_kind.as_str().to_owned(),
        channels: list,
    })
}

/// Sends e-mail; the binary builds it from `smtp_url`, tests point it at a local server.
#[derive(Clone)]
pub struct Mailer {
    transport: lettre::AsyncSmtpTransport<lettre::Tokio1Executor>,
    from: lettre::message::Mailbox,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `smtp://host:port` (plain SMTP, no authentication) sending as `from`.
    ///
    /// # Errors
    /// `INVALID_SMTP_URL` when either does not parse.
    pub fn new(smtp_url: &str, from: &str) -> Result<Mailer, AppError> {
        let invalid = |what: &str| AppError::internal(format!("INVALID_SMTP_URL: {what}"));
        let rest = smtp_url
            .strip_prefix("smtp://")
            .ok_or_else(|| invalid("scheme must be smtp://"))?;
        let (host, port) = match rest.trim_end_matches('/').rsplit_once(':') {
            Some((host, port)) => (host, port.parse::<u16>().map_err(|_| invalid("port"))?),
            None => (rest.trim_end_matches('/'), 25),
        };
        let transport =
            lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::builder_dangerous(host)
                .port(port)
                .timeout(Some(std::time::Duration::from_secs(20)))
                .build();
        let from = from.parse().map_err(|_| invalid("from address"))?;
        Ok(Mailer { transport, from })
    }

    async fn send(&self, recipient: &str, row: &NoticeRow, body: String) -> Result<(), String> {
        use lettre::AsyncTransport;
        let to: lettre::message::Mailbox =
            recipient.parse().map_err(|e| format!("recipient: {e}"))?;
        let message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(row.subject.clone())
            .header(lettre::message::header::ContentType::TEXT_PLAIN)
            .body(body)
            .map_err(|e| format!("message: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| format!("smtp: {e}"))
    }
}

/// Delivery attempts before a notice is given up (`failed`).
pub const MAX_ATTEMPTS: i64 = 8;

/// The wait before attempt `attempts + 1`: one minute doubling, capped at a day.
pub fn backoff_secs(attempts: i64) -> i64 {
    (60_i64 << attempts.clamp(0, 20)).min(86_400)
}

/// Sends up to `limit` due e-mail notices: claims them with a lease in one short
/// transaction, sends outside any transaction, records each outcome. A worker that dies
/// mid-send leaves its rows to be claimed again when the lease ends. Returns (sent, failed
/// attempts).
pub async fn deliver_email(
    app: &App,
    mailer: &Mailer,
    limit: i64,
) -> Result<(usize, usize), AppError> {
    deliver(app, Channel::Email, &Sender::Mail(mailer), limit).await
}

/// Sends up to `limit` due SMS notices through `gateway`, with the same lease, retry and
/// back-off as [`deliver_email`]. Returns (sent, failed attempts).
pub async fn deliver_sms(
    app: &App,
    gateway: &dyn SmsGateway,
    limit: i64,
) -> Result<(usize, usize), AppError> {
    deliver(app, Channel::Sms, &Sender::Sms(gateway), limit).await
}

/// Sends SMS. Network I/O for a real provider: never called inside a transaction.
pub trait SmsGateway: Send + Sync {
    /// Sends `text` to `mobile`; the error text is kept on the outbox row.
    fn send<'a>(&'a self, mobile: &'a str, text: &'a str) -> BoxFuture<'a, Result<(), String>>;
}

/// The built-in gateway for development and tests: accepts every message without leaving
/// the machine. What it "sent" is the outbox row itself, marked `sent` in the database, so
/// any process can read it ([`sms_sent`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct SandboxSmsGateway;

impl SmsGateway for SandboxSmsGateway {
    fn send<'a>(&'a self, mobile: &'a str, _text: &'a str) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            if mobile.trim().is_empty() {
                return Err("no mobile".into());
            }
            Ok(())
        })
    }
}

/// SMS sent to an account's mobiles, newest first (the sandbox gateway's record), with
/// `recipient` opened.
pub async fn sms_sent(app: &App, account_id: &str, limit: i64) -> Result<Vec<NoticeRow>, AppError> {
    let mut tx = app.db().read().await?;
    let rows = tx
        .notices_of_account(account_id, Channel::Sms.as_str(), i64::MAX, limit)
        .await?;
    tx.commit().await?;
    rows.into_iter()
        .filter(|r| r.status == "sent")
        .map(|mut row| {
            row.recipient = recipient_of(app.cipher(), &row).map_err(AppError::internal)?;
            row.recipient_sealed = None;
            Ok(row)
        })
        .collect()
}

enum Sender<'a> {
    Mail(&'a Mailer),
    Sms(&'a dyn SmsGateway),
}

impl Sender<'_> {
    async fn send(&self, recipient: &str, row: &NoticeRow, body: String) -> Result<(), String> {
        match self {
            Sender::Mail(mailer) => mailer.send(recipient, row, body).await,
            // An SMS carries the body only: the subject would be repeated text on a phone.
            Sender::Sms(gateway) => gateway.send(recipient, &body).await,
        }
    }
}

async fn deliver(
    app: &App,
    channel: Channel,
    sender: &Sender<'_>,
    limit: i64,
) -> Result<(usize, usize), AppError> {
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    let claimed = tx
        .claim_notices(channel.as_str(), now, now + 300, limit)
        .await?;
    tx.commit().await?;
    let (mut sent, mut failed) = (0, 0);
    for row in claimed {
        let outcome = match recipient_of(app.cipher(), &row)
            .and_then(|recipient| Ok((recipient, body_to_send(app.cipher(), &row)?)))
        {
            Ok((recipient, body)) => sender.send(&recipient, &row, body).await,
            Err(error) => Err(error),
        };
        let now = app.now().0;
        let mut tx = app.db().write().await?;
        match outcome {
            Ok(()) => {
                tx.finish_notice(&row.id, "sent", now, None, now).await?;
                sent += 1;
            }
            Err(error) => {
                tracing::warn!(notice = %row.id, channel = channel.as_str(), %error, "notice delivery failed");
                let status = if row.attempts + 1 >= MAX_ATTEMPTS {
                    "failed"
                } else {
                    "pending"
                };
                tx.finish_notice(
                    &row.id,
                    status,
                    now + backoff_secs(row.attempts),
                    Some(&error),
                    now,
                )
                .await?;
                failed += 1;
            }
        }
        tx.commit().await?;
    }
    Ok((sent, failed))
}
