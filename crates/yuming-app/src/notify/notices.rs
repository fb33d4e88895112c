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

use crate::notify::NotifyError;
use crate::platform::BoxFuture;
use crate::platform::audit::{self, Change};
use crate::platform::crypto::{Cipher, new_id};
use crate::{App, AppError, RequestContext};

pub use crate::notify::kinds::{Channel, MAX_ATTEMPTS, NoticeKind, backoff_secs};

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

/// An e-mail to someone without an account here (the reporter of an abuse complaint who
/// left an address for the answer): through the same outbox, retries and SMTP as notices,
/// the address kept only sealed, no in-app copy. The outbox files every row under an
/// account, so the row is filed under `sender`, the staff account that wrote (it never shows
/// in that account's inbox, which lists in-app rows). `occasion` deduplicates as for notices.
#[allow(
    clippy::too_many_arguments,
    reason = "one outbox row, each argument a column"
)]
pub async fn enqueue_outside_email(
    tx: &mut Tx,
    cipher: &Cipher,
    sender: &str,
    to: &str,
    occasion: &str,
    language: &str,
    subject: &str,
    body: &str,
    now: i64,
) -> Result<bool, AppError> {
    let id = new_id("ntc");
    let row = NoticeRow {
        recipient_sealed: Some(seal_recipient(cipher, &id, to)),
        id,
        account_id: sender.to_owned(),
        kind: NoticeKind::Generic.as_str().to_owned(),
        occasion: occasion.to_owned(),
        channel: Channel::Email.as_str().to_owned(),
        recipient: String::new(),
        language: language.to_owned(),
        subject: subject.to_owned(),
        body: body.to_owned(),
        params: "{}".into(),
        status: "pending".into(),
        attempts: 0,
        next_attempt_at: now,
        lease_until: 0,
        last_error: None,
        read_at: None,
        created_at: now,
        sent_at: None,
        secret_sealed: None,
    };
    Ok(tx.insert_notice(&row).await?)
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
    Ok(app.db().unread_notices(&actor.account_id).await?)
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
        let channel = Channel::parse(name)
            .ok_or_else(|| AppError::from(NotifyError::UnknownChannel { index: i }))?;
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
    /// A mailer for `smtp_url` sending as `from`. The URL is lettre's: `smtp://host:port`
    /// (plain SMTP), `smtp://host:587?tls=required` (STARTTLS), `smtps://host:465` (TLS from
    /// the first byte), each optionally with `user:password@` for SMTP AUTH. TLS uses rustls
    /// with ring and the Mozilla root certificates.
    ///
    /// # Errors
    /// `INVALID_SMTP_URL` when either does not parse; the message never repeats the URL, which
    /// may hold a password.
    pub fn new(smtp_url: &str, from: &str) -> Result<Mailer, AppError> {
        let invalid = |what: &str| AppError::internal(format!("INVALID_SMTP_URL: {what}"));
        if !(smtp_url.starts_with("smtp://") || smtp_url.starts_with("smtps://")) {
            return Err(invalid("scheme must be smtp:// or smtps://"));
        }
        let transport = lettre::AsyncSmtpTransport::<lettre::Tokio1Executor>::from_url(smtp_url)
            .map_err(|e| invalid(&e.to_string()))?
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
