//! Abuse reports about a domain from anyone, signed in or not (phishing, malware, spam,
//! illegal content): a public form guarded by a per-address rate limit and a signed,
//! single-use proof-of-work challenge instead of a captcha. A report becomes a complaint of
//! kind `abuse` with the same working-day deadlines, seen only by staff (never by the
//! domain's holder), who find the domain's data beside it.

use serde_json::json;
use yuming_core::pow;
use yuming_core::ticket::{self, BODY_MAX_CHARS};
use yuming_store::ComplaintRow;

use super::complaints::body_context;
use crate::platform::audit::{self, Change};
use crate::platform::crypto::{new_id, random_token};
use crate::platform::rate_limit;
use crate::{App, AppError, RequestContext};

crate::platform::error::error_enum! {
    /// What the abuse form refuses.
    pub enum AbuseError {
        /// Not a category of the form.
        InvalidCategory = BadRequest("INVALID_CATEGORY", field = "category") => (
            "choose what the domain is used for: phishing, malware, spam, illegal or other",
            "请选择滥用类型：phishing、malware、spam、illegal 或 other",
        ),
        /// A domain this registrar does not hold.
        UnknownDomain = BadRequest("DOMAIN_NOT_HERE", field = "domain") => (
            "this domain is not registered through us; report it to its own registrar",
            "该域名不在本平台注册，请向其注册商举报",
        ),
        /// A description that is empty or too long.
        InvalidDescription = BadRequest("INVALID_BODY", field = "body") => (
            format!("describe the abuse in 1 to {BODY_MAX_CHARS} characters (a URL helps)"),
            format!("请用 1 到 {BODY_MAX_CHARS} 个字符描述滥用情况（附上网址更好）"),
        ),
        /// A reply address that is not an e-mail address.
        InvalidEmail = BadRequest("INVALID_EMAIL", field = "email") => (
            "give a valid e-mail address for our answer, or none",
            "请填写有效的回复邮箱，或留空",
        ),
        /// A missing, forged, expired, reused or unsolved challenge.
        Challenge = BadRequest("CHALLENGE_FAILED", field = "challenge") => (
            "the form's check did not pass (it runs in your browser with JavaScript); reload the page and send again",
            "表单校验未通过（需在浏览器中启用 JavaScript 运行），请刷新页面后重新提交",
        ),
        /// Too many reports from this address.
        TooMany = TooManyRequests("RATE_LIMITED") => (
            "too many reports from your address; try again in an hour",
            "您的地址提交的举报过多，请一小时后再试",
        ),
    }
}

/// The categories of the form.
pub const CATEGORIES: [&str; 5] = ["phishing", "malware", "spam", "illegal", "other"];

/// How long a challenge stays valid.
const CHALLENGE_TTL_SECS: i64 = 1800;
/// Reports per source address per hour.
const REPORTS_PER_IP_PER_HOUR: i64 = 5;

/// A challenge for the form: solve with [`pow::solve`] at [`pow::ABUSE_FORM_BITS`].
pub fn challenge(app: &App) -> String {
    let random = random_token::<12>();
    let expires = app.now().0 + CHALLENGE_TTL_SECS;
    let payload = format!("{random}.{expires}");
    let tag = &app.cipher().blind_index(&payload, "abuse.challenge")[..32];
    format!("{payload}.{tag}")
}

/// Checks a challenge's signature and age; returns its random part (its single-use key).
fn verify_challenge(app: &App, challenge: &str) -> Option<String> {
    let mut parts = challenge.split('.');
    let (random, expires, tag) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let expires: i64 = expires.parse().ok()?;
    let expected = app
        .cipher()
        .blind_index(&format!("{random}.{expires}"), "abuse.challenge");
    let now = app.now().0;
    (expected.get(..32) == Some(tag) && now <= expires && expires - now <= CHALLENGE_TTL_SECS)
        .then(|| random.to_owned())
}

/// A report as the form sends it.
#[derive(Debug, Clone, Default)]
pub struct AbuseReport {
    /// The domain.
    pub domain: String,
    /// One of [`CATEGORIES`].
    pub category: String,
    /// What happens (URLs, dates).
    pub body: String,
    /// Where to answer (optional).
    pub email: String,
    /// The challenge the page gave.
    pub challenge: String,
    /// Its solution.
    pub nonce: String,
}

/// Files a report (anyone); returns its reference.
pub async fn report(
    app: &App,
    ctx: &RequestContext,
    input: &AbuseReport,
) -> Result<String, AppError> {
    let source_ip = ctx.client_ip.as_deref().unwrap_or("unknown");
    if !rate_limit::allow(
        app,
        &format!("abuse:ip:{source_ip}"),
        REPORTS_PER_IP_PER_HOUR,
        3600,
    )
    .await?
    {
        return Err(AbuseError::TooMany.into());
    }
    let random = verify_challenge(app, input.challenge.trim()).ok_or(AbuseError::Challenge)?;
    if !pow::solves(
        input.challenge.trim(),
        input.nonce.trim(),
        pow::ABUSE_FORM_BITS,
    ) {
        return Err(AbuseError::Challenge.into());
    }
    let category = CATEGORIES
        .into_iter()
        .find(|c| *c == input.category.trim())
        .ok_or(AbuseError::InvalidCategory)?;
    let body = ticket::checked_text(&input.body, BODY_MAX_CHARS, true)
        .map_err(|_| AbuseError::InvalidDescription)?;
    let email = input.email.trim();
    if !email.is_empty() && yuming_core::credentials::Email::parse(email).is_err() {
        return Err(AbuseError::InvalidEmail.into());
    }
    use yuming_core::rules::domain_name::{DomainName, DomainPolicy};
    let typed = input.domain.trim().trim_end_matches('.').to_lowercase();
    let ascii = DomainName::parse(&typed, &DomainPolicy::GENERIC)
        .map_or_else(|_| typed.clone(), |valid| valid.value.ascii().to_owned());
    let mut tx = app.db().read().await?;
    let domain = tx.domain_by_name(&ascii).await?;
    tx.commit().await?;
    let domain = domain.ok_or(AbuseError::UnknownDomain)?;
    // Single use: the challenge's random part may pass once.
    if !rate_limit::allow(
        app,
        &format!("abuse:challenge:{random}"),
        1,
        CHALLENGE_TTL_SECS,
    )
    .await?
    {
        return Err(AbuseError::Challenge.into());
    }
    let now = app.now();
    let calendar = &app.settings().work_calendar;
    let id = new_id("cmp");
    let text = if email.is_empty() {
        body
    } else {
        format!("{body}\n\n— reply to / 回复邮箱: {email}")
    };
    let row = ComplaintRow {
        body_sealed: app.cipher().seal(text.as_bytes(), &body_context(&id)),
        id: id.clone(),
        owner_id: String::new(),
        filed_by: "public".into(),
        kind: "abuse".into(),
        subject: format!("{category}: {}", domain.unicode_name),
        related: Some(domain.name.clone()),
        status: "received".into(),
        received_at: now.0,
        ack_due_at: calendar.deadline(now, 1).0,
        resolution_due_at: calendar
            .deadline(now, app.settings().complaint_resolution_working_days.max(1))
            .0,
        acknowledged_at: None,
        acknowledged_by: None,
        answered_at: None,
        answered_by: None,
        answer_sealed: None,
        ack_escalated_at: None,
        resolution_escalated_at: None,
        updated_at: now.0,
        reporter_email_sealed: (!email.is_empty()).then(|| {
            app.cipher()
                .seal(email.as_bytes(), &super::complaints::reporter_context(&id))
        }),
    };
    let mut tx = app.db().write().await?;
    tx.insert_complaint(&row).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        "public",
        Change {
            action: "abuse.report",
            object_type: "complaint",
            object_id: &id,
            tenant: "",
            before: serde_json::Value::Null,
            after: json!({ "domain": domain.name, "category": category }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}
