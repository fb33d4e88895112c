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
}

/// The customer whose e-mail is `query`, who holds the domain `query`, or whose filed site or
/// entity has the filing number `query`; `NOT_FOUND` when none matches (or the match is a
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
            "enter an e-mail address, a domain name or a filing number",
            "请输入邮箱地址、域名或备案号",
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
                    None => None,
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
    })
}
