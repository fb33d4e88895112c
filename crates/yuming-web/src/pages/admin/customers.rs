//! Support and finance find a customer and see what they hold; finance credits a balance
//! (money received outside the platform) or debits it (a correction) with a note, through the
//! same use cases as the API.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::ops::support::{self, CustomerSummary};
use yuming_core::access::Right;

use super::{StaffForm, require_staff};
use crate::WebState;
use crate::format;
use crate::pages::payments::typed_yuan;
use crate::pages::{Base, FormState, page, submit_once};
use crate::session::{Visitor, status_of};

/// The customer as the page shows them.
pub struct CustomerCard {
    /// Account id.
    pub id: String,
    /// E-mail.
    pub email: String,
    /// Display name.
    pub name: String,
    /// Account status in words.
    pub status: String,
    /// Since.
    pub since: String,
    /// Balance.
    pub balance: String,
    /// Credit limit.
    pub credit_limit: String,
    /// Names: (Unicode name, expiry).
    pub domains: Vec<(String, String)>,
    /// Latest orders: (when, what, amount, status).
    pub orders: Vec<(String, String, String, String)>,
    /// The customer's audit trail in the staff audit search.
    pub audit: String,
    /// Filing orders: (last change, operation, status).
    pub filings: Vec<(String, String, String)>,
    /// Latest e-mail and SMS notices: (when, channel, subject, status).
    pub notices: Vec<(String, String, String, String)>,
    /// Support tickets: (address, subject, status in words, last change).
    pub tickets: Vec<(String, String, String, String)>,
    /// Logins refused until then, in words.
    pub locked_until: Option<String>,
    /// The e-mail address is verified.
    pub email_verified: bool,
}

fn card(locale: crate::i18n::Locale, summary: CustomerSummary) -> CustomerCard {
    let words = |prefix: &str, value: &str| {
        let key = format!("{prefix}-{value}");
        if locale.has(&key) {
            locale.t(&key)
        } else {
            value.to_owned()
        }
    };
    CustomerCard {
        orders: summary
            .orders
            .iter()
            .map(|(kind, domain, amount, status, at)| {
                let what = match domain {
                    Some(d) => format!("{} {}", words("order-kind", kind), format::unicode_name(d)),
                    None => words("order-kind", kind),
                };
                (
                    format::datetime(*at),
                    what,
                    format::money(*amount),
                    words("order-status", status),
                )
            })
            .collect(),
        audit: format!("/admin/audit?tenant={}", summary.account_id),
        tickets: summary
            .tickets
            .iter()
            .map(|(id, subject, status, at)| {
                (
                    format!("/admin/tickets/{id}"),
                    subject.clone(),
                    words("ticket-status", status),
                    format::datetime(*at),
                )
            })
            .collect(),
        locked_until: summary.locked_until.map(format::datetime),
        email_verified: summary.email_verified,
        filings: summary
            .filings
            .iter()
            .map(|(_, operation, status, at)| {
                (
                    format::datetime(*at),
                    words("filing-op", operation),
                    crate::pages::filing::status_words(locale, status).1,
                )
            })
            .collect(),
        notices: summary
            .notices
            .iter()
            .map(|(at, _, channel, status, subject)| {
                (
                    format::datetime(*at),
                    words("notice-channel", channel),
                    subject.clone(),
                    words("admin-notice-status", status),
                )
            })
            .collect(),
        id: summary.account_id,
        email: summary.email,
        name: summary.display_name,
        status: summary.status,
        since: format::date(summary.created_at),
        balance: format::money(summary.balance),
        credit_limit: format::money(summary.credit_limit),
        domains: summary
            .domains
            .into_iter()
            .map(|(_, unicode, expires)| (unicode, format::date(expires)))
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "admin/customers.html")]
struct CustomersPage {
    base: Base,
    query: String,
    search_error: Option<String>,
    customer: Option<CustomerCard>,
    can_credit: bool,
    credit: FormState,
    can_assist: bool,
    /// The assist form (its alert when an action failed).
    assist: FormState,
}

/// The search box's query.
#[derive(serde::Deserialize)]
pub struct SearchQuery {
    /// E-mail or domain name.
    #[serde(default)]
    q: String,
}

async fn customers_page(
    state: &WebState,
    visitor: &Visitor,
    query: &str,
    credit: FormState,
    assist: FormState,
    status: StatusCode,
) -> Response {
    let actor = match require_staff(visitor, state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let (customer, search_error) = if query.trim().is_empty() {
        (None, None)
    } else {
        match support::find_customer(&state.app, &visitor.ctx, actor, query).await {
            Ok(summary) => (Some(card(visitor.locale, summary)), None),
            Err(e) => (None, Some(visitor.locale.error_message(&e))),
        }
    };
    let template = CustomersPage {
        base: Base::new(visitor, state, "admin-customers-title", "admin-customers"),
        query: query.to_owned(),
        search_error,
        customer,
        can_credit: actor.rights.contains(Right::BillingManage),
        credit,
        can_assist: actor.rights.contains(Right::CustomerAssist),
        assist,
    };
    page(visitor, status, &template)
}

/// `GET /admin/customers?q=`: find a customer by e-mail or domain name (audited).
pub async fn search(
    State(state): State<WebState>,
    visitor: Visitor,
    Query(query): Query<SearchQuery>,
) -> Response {
    customers_page(
        &state,
        &visitor,
        &query.q,
        FormState::new(),
        FormState::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/customers/{id}/credit`: credits the balance, or with `direction=debit` takes
/// money back, with a note (finance), once per rendering of the form; above the approval
/// amount it becomes a request for a second finance person.
pub async fn credit(
    State(state): State<WebState>,
    Path(id): Path<String>,
    StaffForm {
        mut visitor,
        actor,
        fields,
    }: StaffForm,
) -> Response {
    let query = fields.get("q").cloned().unwrap_or_default();
    let Some(amount) = fields.get("amount").and_then(|a| typed_yuan(a)) else {
        let mut form = FormState::from_fields(&fields);
        form.set_error("amount", visitor.locale.t("form-amount-yuan"));
        return customers_page(
            &state,
            &visitor,
            &query,
            form,
            FormState::new(),
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    use yuming_app::billing::credit_requests::{self, Direction};
    let direction = fields
        .get("direction")
        .and_then(|d| Direction::parse(d))
        .unwrap_or(Direction::Credit);
    let note = fields.get("note").cloned().unwrap_or_default();
    let app = state.app.clone();
    let flash = match direction {
        Direction::Credit => "credited",
        Direction::Debit => "debited",
    };
    let back =
        serde_urlencoded::to_string([("q", query.as_str()), ("done", flash)]).unwrap_or_default();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        if credit_requests::needs_second_approval(&app, &actor, amount) {
            credit_requests::request(&app, &ctx, &actor, &id, amount, &note, direction).await?;
            return Ok("/admin/finance?done=credit-requested#credit-requests".to_owned());
        }
        match direction {
            Direction::Credit => {
                yuming_app::billing::credit(&app, &ctx, &actor, &id, amount, &note).await?
            }
            Direction::Debit => {
                yuming_app::billing::debit(&app, &ctx, &actor, &id, amount, &note).await?
            }
        };
        Ok(format!("/admin/customers?{back}"))
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &["amount", "note"]);
            customers_page(
                &state,
                &visitor,
                &query,
                form,
                FormState::new(),
                status_of(&e),
            )
            .await
        }
    }
}

/// `POST /admin/customers/{id}/assist`: an explicit action for the customer who asked
/// (`action` = `unlock` or `resend_verification`) with the reason, audited.
pub async fn assist(
    State(state): State<WebState>,
    Path(id): Path<String>,
    StaffForm {
        mut visitor,
        actor,
        fields,
    }: StaffForm,
) -> Response {
    let query = fields.get("q").cloned().unwrap_or_default();
    let Some(action) = fields.get("action").and_then(|a| support::Assist::parse(a)) else {
        return crate::pages::app_error_page(&visitor, &state, &yuming_app::AppError::not_found());
    };
    let reason = fields.get("reason").cloned().unwrap_or_default();
    let app = state.app.clone();
    let back = serde_urlencoded::to_string([
        ("q", query.as_str()),
        (
            "done",
            &format!("assist-{}", action.as_str().replace('_', "-")),
        ),
    ])
    .unwrap_or_default();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        support::assist(&app, &ctx, &actor, &id, action, &reason).await?;
        Ok(format!("/admin/customers?{back}"))
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &["reason"]);
            customers_page(
                &state,
                &visitor,
                &query,
                FormState::new(),
                form,
                status_of(&e),
            )
            .await
        }
    }
}
