//! Staff find a customer (by e-mail or by one of their domain names) and see what they hold:
//! the account, its balance and its names. Each lookup is an audit entry, so that every look
//! at a customer's data can be accounted for; nothing here changes the customer.

use serde_json::json;
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::money::{Currency, Money};

use crate::platform::audit::{self, Change};
use crate::{App, AppError, RequestContext};

/// How many of the customer's names the summary lists.
const NAMES_SHOWN: i64 = 50;

/// How many of the customer's latest orders the summary lists.
const ORDERS_SHOWN: i64 = 20;

/// How many of the customer's filing orders and notices (per channel) the summary lists.
const FILINGS_SHOWN: usize = 20;
const NOTICES_SHOWN: i64 = 10;

/// A customer as staff see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerSummary {
    /// The account (tenant) id.
    pub account_id: String,
    /// Its e-mail.
    pub email: String,
    /// Its display name.
    pub display_name: String,
    /// `active` or `disabled`.
    pub status: String,
    /// When it signed up.
    pub created_at: Timestamp,
    /// Its CNY balance.
    pub balance: Money,
    /// How far below zero the balance may go.
    pub credit_limit: Money,
    /// Its names (A-label, Unicode, expiry), by name, at most [`NAMES_SHOWN`].
    pub domains: Vec<(String, String, Timestamp)>,
    /// Its latest orders (kind, domain, amount, status, when), newest first.
    pub orders: Vec<(String, Option<String>, Money, String, Timestamp)>,
    /// Its ICP filing orders (id, operation, status, last change), newest first.
    pub filings: Vec<(String, String, String, Timestamp)>,
    /// Its latest e-mail and SMS notices (when, kind, channel, status, subject), newest
    /// first: what support needs to answer "did you send me…".
    pub notices: Vec<(Timestamp, String, String, String, String)>,
    /// Its support tickets (id, subject, status, last change), most recent first; only for
    /// staff who work tickets.
    pub tickets: Vec<(String, String, String, Timestamp)>,
    /// Logins refused until then after too many failures.
    pub locked_until: Option<Timestamp>,
    /// Whether the e-mail address is verified.
    pub email_verified: bool,
}

/// What support may do for a customer who asked (on the phone, in a ticket): each explicit,
/// with a reason, audited, and none of them a way to act as the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assist {
    /// Lift the lock that failed logins set.
    Unlock,
    /// Send a fresh e-mail verification link to the address on file.
    ResendVerification,
}

impl Assist {
    /// The stable name (`unlock`, `resend_verification`).
    pub fn as_str(self) -> &'static str {
        match self {
            Assist::Unlock => "unlock",
            Assist::ResendVerification => "resend_verification",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Assist> {
        [Assist::Unlock, Assist::ResendVerification]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// Does `action` for the customer account `account_id` (staff with the assist right): the
/// reason (1 to 200 characters, e.g. the ticket or call it answers) goes into the audit
/// entry `customer.assist`. An account that is not locked, or already verified, is refused
/// (`NOTHING_TO_DO`, 409), so that nothing is recorded as done that was not.
pub async fn assist(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    account_id: &str,
    action: Assist,
    reason: &str,
) -> Result<(), AppError> {
    if !actor.role.is_staff() {
        return Err(AppError::not_found());
    }
    actor.require(Right::CustomerAssist)?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 200 || reason.chars().any(char::is_control) {
        return Err(AppError::bad_request(
            "REASON_REQUIRED",
            "say why (1 to 200 characters), e.g. the ticket or call this answers",
            "请填写原因（1 到 200 个字符），如对应的工单或来电",
        )
        .with_field("reason"));
    }
    let nothing_to_do = |what: &str, what_zh: &str| {
        AppError::new(
            crate::platform::error::ErrorKind::Conflict,
            "NOTHING_TO_DO",
            what.to_owned(),
            what_zh.to_owned(),
        )
    };
    let now = app.now();
    let account = {
        let mut tx = app.db().read().await?;
        let account = tx.account_by_id(account_id).await?;
        tx.commit().await?;
        account
            .filter(|a| a.role == "customer")
            .ok_or_else(AppError::not_found)?
    };
    // The mail budget is a write of its own: taken before this action's transaction (SQLite
    // has one writer at a time).
    if action == Assist::ResendVerification
        && account.email_verified_at.is_none()
        && !crate::accounts::verification::may_mail(app, &account.email).await?
    {
        return Err(AppError::new(
            crate::platform::error::ErrorKind::TooManyRequests,
            "RATE_LIMITED",
            "this address had its share of mails this hour; try again later",
            "该邮箱本小时的邮件已达上限，请稍后再试",
        )
        .with_retry_after(3600));
    }
    let mut tx = app.db().write().await?;
    let before = match action {
        Assist::Unlock => {
            let Some(until) = account.locked_until.filter(|until| *until > now.0) else {
                return Err(nothing_to_do(
                    "this account is not locked",
                    "该账户未被锁定",
                ));
            };
            tx.clear_lockout(&account.id, now.0).await?;
            json!({ "locked_until": until, "failed_logins": account.failed_logins })
        }
        Assist::ResendVerification => {
            if account.email_verified_at.is_some() {
                return Err(nothing_to_do(
                    "this address is verified already",
                    "该邮箱已通过验证",
                ));
            }
            crate::accounts::verification::issue_link(
                app,
                &mut tx,
                &account.id,
                &account.display_name,
            )
            .await?;
            json!({ "email_verified": false })
        }
    };
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "customer.assist",
            object_type: "account",
            object_id: &account.id,
            tenant: &account.tenant_id,
            before,
            after: json!({ "action": action.as_str(), "reason": reason }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The customer whose e-mail is `query`, who holds the domain `query`, whose filed site or
/// entity has the filing number `query`, or whose filing (as a principal's) or domain contact
/// has `query` as its mainland mobile; `NOT_FOUND` when none matches (or the match is a
/// staff account). Staff with the billing-read right
/// (support, finance, admins).
pub async fn find_customer(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    query: &str,
) -> Result<CustomerSummary, AppError> {
    if !actor.role.is_staff() {
        return Err(AppError::not_found());
    }
    actor.require(Right::BillingRead)?;
    let query = query.trim().to_lowercase();
    if query.is_empty() || query.chars().count() > 254 {
        return Err(AppError::bad_request(
            "INVALID_QUERY",
            "enter an e-mail address, a domain name, a filing number or a mobile number",
            "请输入邮箱地址、域名、备案号或手机号",
        )
        .with_field("q"));
    }
    let mut tx = app.db().write().await?;
    let account = match tx.account_by_email(&query).await? {
        Some(account) => Some(account),
        None => {
            use yuming_core::rules::domain_name::{DomainName, DomainPolicy};
            let name = DomainName::parse(&query, &DomainPolicy::GENERIC)
                .map_or_else(|_| query.clone(), |valid| valid.value.ascii().to_owned());
            match tx.domain_by_name(&name).await? {
                Some(domain) => tx.account_by_id(&domain.owner_id).await?,
                // An ICP filing number (主体 or 网站, e.g. 京ICP备2026000123号-1), as typed.
                None => match tx
                    .filed_sites_matching(None, Some(&query.to_uppercase()))
                    .await?
                    .first()
                {
                    Some(site) => tx.account_by_id(&site.owner_id).await?,
                    // The mobile of a filing's principal (主体或网站负责人), found through its
                    // blind index: the number itself is only in the sealed documents.
                    None => match mainland_mobile(&query) {
                        Some(mobile) => {
                            let index = app.cipher().blind_index(
                                &crate::filing::normal_mobile(&mobile),
                                crate::filing::MOBILE_INDEX,
                            );
                            let contact_index = app.cipher().blind_index(
                                &crate::registrar::contacts::normal_phone(&mobile),
                                crate::registrar::contacts::PHONE_INDEX,
                            );
                            let mut owners = tx.owners_by_principal_mobile(&index).await?;
                            owners.extend(tx.owners_by_contact_phone(&contact_index).await?);
                            match owners.first() {
                                Some(owner) => tx.account_by_id(owner).await?,
                                None => None,
                            }
                        }
                        None => None,
                    },
                },
            }
        }
    };
    let account = account
        .filter(|a| a.role == "customer")
        .ok_or_else(AppError::not_found)?;
    let tenant = account.tenant_id.clone();
    let tenant_row = if tenant == account.id {
        account
    } else {
        tx.account_by_id(&tenant)
            .await?
            .ok_or_else(AppError::not_found)?
    };
    let balance = tx.balance(&tenant, Currency::Cny.code()).await?;
    let orders = tx
        .orders_of_owner(&tenant, (i64::MAX, ""), ORDERS_SHOWN)
        .await?
        .into_iter()
        .map(|o| {
            let currency = Currency::parse(&o.currency).unwrap_or(Currency::Cny);
            (
                o.kind,
                o.domain_name,
                Money::new(o.amount, currency),
                o.status,
                Timestamp(o.created_at),
            )
        })
        .collect();
    let filings = tx
        .filing_orders_of_owner(&tenant)
        .await?
        .into_iter()
        .take(FILINGS_SHOWN)
        .map(|o| (o.id, o.operation, o.status, Timestamp(o.updated_at)))
        .collect();
    let mut notices = Vec::new();
    for channel in ["email", "sms"] {
        notices.extend(
            tx.notices_of_account(&tenant, channel, i64::MAX, NOTICES_SHOWN)
                .await?
                .into_iter()
                .map(|n| {
                    (
                        Timestamp(n.created_at),
                        n.kind,
                        n.channel,
                        n.status,
                        n.subject,
                    )
                }),
        );
    }
    notices.sort_by_key(|n| std::cmp::Reverse(n.0));
    let tickets = if actor.rights.contains(Right::CustomerAssist) {
        tx.tickets_of_owner(&tenant, NOTICES_SHOWN)
            .await?
            .into_iter()
            .map(|t| (t.id, t.subject, t.status, Timestamp(t.updated_at)))
            .collect()
    } else {
        Vec::new()
    };
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "customer.lookup",
            object_type: "account",
            object_id: &tenant,
            tenant: &tenant,
            before: serde_json::Value::Null,
            after: json!({ "query": query }),
        },
    )
    .await?;
    tx.commit().await?;
    let domains = app
        .db()
        .domains_page(&tenant, "", NAMES_SHOWN)
        .await?
        .into_iter()
        .map(|d| (d.row.name, d.row.unicode_name, Timestamp(d.row.expires_at)))
        .collect();
    Ok(CustomerSummary {
        account_id: tenant,
        email: tenant_row.email,
        display_name: tenant_row.display_name,
        status: tenant_row.status,
        created_at: Timestamp(tenant_row.created_at),
        balance: Money::new(balance.balance, Currency::Cny),
        credit_limit: Money::new(balance.credit_limit, Currency::Cny),
        domains,
        orders,
        filings,
        notices,
        tickets,
        locked_until: tenant_row
            .locked_until
            .filter(|until| *until > app.now().0)
            .map(Timestamp),
        email_verified: tenant_row.email_verified_at.is_some(),
    })
}

/// `query` as an 11-digit mainland mobile number (spaces, dashes and a `+86`/`86` prefix
/// removed), when it is one.
fn mainland_mobile(query: &str) -> Option<String> {
    let digits: String = query
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '(' | ')'))
        .collect();
    let digits = digits
        .strip_prefix("+86")
        .or_else(|| digits.strip_prefix("0086"))
        .unwrap_or(&digits);
    let digits = if digits.len() == 13 {
        digits.strip_prefix("86").unwrap_or(digits)
    } else {
        digits
    };
    (digits.len() == 11 && digits.starts_with('1') && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.to_owned())
}

#[cfg(test)]
mod tests {
    use super::mainland_mobile;

    #[test]
    fn mobiles_are_recognised_in_the_forms_people_type() {
        for typed in [
            "13800138000",
            "138 0013 8000",
            "+86 138-0013-8000",
            "8613800138000",
        ] {
            assert_eq!(
                mainland_mobile(typed).as_deref(),
                Some("13800138000"),
                "{typed}"
            );
        }
        for other in ["1380013800", "23800138000", "example.cn", "1380013800x", ""] {
            assert_eq!(mainland_mobile(other), None, "{other}");
        }
    }
}
