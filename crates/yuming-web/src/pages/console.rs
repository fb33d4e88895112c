//! The customer console: overview, domains, registration, contacts and billing. Each
//! handler asks the visitor's actor of the same use case the API calls.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use yuming_app::registrar::contacts;
use yuming_app::registrar::domains::{self, DomainUpdate, DomainView, RegisterInput};
use yuming_app::{AppError, billing};
use yuming_core::lifecycle::Phase;
use yuming_core::money::Currency;

use super::{Base, FormState, SignedInForm, app_error_page, page, submit_once};
use crate::WebState;
use crate::format;
use crate::i18n::Locale;
use crate::pages::ErrorText;
use crate::pages::public::{ResultRow, result_row};
use crate::session::Visitor;

/// Days before expiry from which a domain counts as expiring.
const EXPIRING_WITHIN_DAYS: i64 = 30;
/// Domains the overview reads to count and find what expires.
const OVERVIEW_DOMAINS: i64 = 200;
/// Domains per page of the list.
const DOMAINS_PER_PAGE: i64 = 50;

/// A domain as the list and the detail page show it.
pub struct DomainLine {
    /// Unicode name.
    pub name: String,
    /// A-label, when it differs.
    pub ascii: String,
    /// A-label, always: what forms send.
    pub key: String,
    /// Badge class.
    pub badge: &'static str,
    /// The state in words.
    pub status: String,
    /// What it means and what to do.
    pub explanation: String,
    /// Expiry date.
    pub expires: String,
    /// "in 12 days" / "3 days ago".
    pub expires_in: String,
    /// Automatic renewal.
    pub auto_renew: bool,
    /// Why the registry holds it, in words.
    pub holds: Vec<String>,
    /// EPP status codes, for support.
    pub codes: String,
    /// Nameservers.
    pub nameservers: Vec<String>,
    /// Registration date.
    pub created: String,
    /// Published in DNS.
    pub resolves: bool,
    /// The path of its page.
    pub href: String,
}

fn domain_line(
    locale: Locale,
    view: &DomainView,
    now: yuming_core::clock::Timestamp,
) -> DomainLine {
    let days = format::days_until(view.expires_at, now);
    let expiring = view.phase == Phase::Active && days <= EXPIRING_WITHIN_DAYS;
    let (badge, key) = match view.phase {
        Phase::Active if !view.holds.is_empty() => ("warning", "phase-held"),
        Phase::Active if expiring => ("warning", "phase-expiring"),
        Phase::Active => ("success", "phase-active"),
        Phase::AutoRenewGrace => ("warning", "phase-auto-renew-grace"),
        Phase::Redemption => ("error", "phase-redemption"),
        Phase::PendingDelete => ("error", "phase-pending-delete"),
        Phase::Released => ("neutral", "phase-released"),
    };
    let expires_in = if days >= 0 {
        locale.t_args("domains-expires-in", &[("days", days.to_string())])
    } else {
        locale.t_args("domains-expired-ago", &[("days", (-days).to_string())])
    };
    DomainLine {
        name: view.name.clone(),
        key: view.ascii.clone(),
        ascii: if view.ascii == view.name {
            String::new()
        } else {
            view.ascii.clone()
        },
        badge,
        status: locale.t(key),
        explanation: locale.t(&format!("{key}-explained")),
        expires: format::date(view.expires_at),
        expires_in,
        auto_renew: view.auto_renew,
        holds: view
            .holds
            .iter()
            .map(|hold| {
                let key = format!("hold-{hold}");
                if locale.has(&key) {
                    locale.t(&key)
                } else {
                    (*hold).to_owned()
                }
            })
            .collect(),
        codes: view.statuses.join(", "),
        nameservers: view.nameservers.clone(),
        created: format::date(view.created_at),
        resolves: view.resolves,
        href: format!("/console/domains/{}", view.ascii),
    }
}

#[derive(Template)]
#[template(path = "console/dashboard.html")]
struct DashboardPage {
    base: Base,
    balance: String,
    domain_count: usize,
    more_domains: bool,
    expiring: Vec<DomainLine>,
    held: usize,
    email_verified: bool,
}

/// `/console`: what needs attention first.
pub async fn dashboard(State(state): State<WebState>, visitor: Visitor) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor.clone(),
        Err(login) => return login,
    };
    // Staff hold no domains or balance of their own: their home is the back office.
    if actor.role.is_staff() {
        return visitor.redirect("/admin");
    }
    let app = &state.app;
    let loaded = async {
        let account = yuming_app::accounts::me(app, &actor).await?;
        let balance = billing::balance(app, &actor, Currency::Cny).await?;
        // One more than the overview counts, to know whether to say "200+".
        let listed = domains::list(app, &actor, None, OVERVIEW_DOMAINS + 1).await?;
        Ok::<_, AppError>((account, balance, listed))
    }
    .await;
    let (account, balance, listed) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return app_error_page(&visitor, &state, &e),
    };
    let more_domains = listed.len() as i64 > OVERVIEW_DOMAINS;
    let listed = &listed[..listed.len().min(OVERVIEW_DOMAINS as usize)];
    let expiring = listed
        .iter()
        .filter(|d| format::days_until(d.expires_at, visitor.now) <= EXPIRING_WITHIN_DAYS)
        .map(|d| domain_line(visitor.locale, d, visitor.now))
        .collect();
    let template = DashboardPage {
        base: Base::new(&visitor, &state, "dashboard-title", "home"),
        balance: format::money(balance.balance),
        domain_count: listed.len(),
        more_domains,
        held: listed.iter().filter(|d| !d.holds.is_empty()).count(),
        expiring,
        email_verified: account.email_verified,
    };
    page(&visitor, StatusCode::OK, &template)
}

#[derive(Template)]
#[template(path = "console/domains.html")]
struct DomainsPage {
    base: Base,
    domains: Vec<DomainLine>,
    next: Option<String>,
    first_page: bool,
    query: ListQuery,
    tlds: Vec<String>,
    filtered: bool,
    batch: FormState,
}

/// The query of the domain list: the filters and where the page starts.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    after: String,
    /// Part of the name.
    #[serde(default)]
    pub q: String,
    /// `active`, `expired` or `held`.
    #[serde(default)]
    pub state: String,
    /// One TLD.
    #[serde(default)]
    pub tld: String,
    /// Expiring within this many days.
    #[serde(default)]
    pub within: String,
    /// `name` (default) or `expiry`.
    #[serde(default)]
    pub sort: String,
}

impl ListQuery {
    fn filter(&self) -> domains::DomainFilter {
        let some = |text: &str| Some(text.trim().to_owned()).filter(|t| !t.is_empty());
        domains::DomainFilter {
            contains: some(&self.q),
            tld: some(&self.tld),
            state: domains::ListState::parse(&self.state),
            expiring_within_days: self.within.trim().parse().ok().filter(|d| *d > 0),
        }
    }

    /// The query string of the next page: these filters, after `after`.
    fn next(&self, after: &str) -> String {
        serde_urlencoded::to_string([
            ("q", self.q.as_str()),
            ("state", self.state.as_str()),
            ("tld", self.tld.as_str()),
            ("within", self.within.as_str()),
            ("sort", self.sort.as_str()),
            ("after", after),
        ])
        .unwrap_or_default()
    }
}

/// `/console/domains`: the list, by name or by expiry, a page at a time, narrowed by name,
/// state, TLD and expiry, with the names to act on in one batch picked by checkboxes.
pub async fn domains(
    State(state): State<WebState>,
    visitor: Visitor,
    Query(query): Query<ListQuery>,
) -> Response {
    domains_page(&state, &visitor, query, FormState::new(), StatusCode::OK).await
}

pub(crate) async fn domains_page(
    state: &WebState,
    visitor: &Visitor,
    query: ListQuery,
    batch: FormState,
    status: StatusCode,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    let after = Some(query.after.as_str()).filter(|a| !a.is_empty());
    let filter = query.filter();
    let order = domains::DomainOrder::parse(&query.sort).unwrap_or_default();
    let loaded = async {
        let page = domains::list_sorted(
            &state.app,
            actor,
            &filter,
            order,
            after,
            DOMAINS_PER_PAGE as usize,
        )
        .await?;
        let catalogue = yuming_app::registrar::catalogue::current(&state.app).await?;
        Ok::<_, AppError>((page, catalogue))
    }
    .await;
    let (listed, catalogue) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let template = DomainsPage {
        base: Base::new(visitor, state, "domains-title", "domains"),
        domains: listed
            .domains
            .iter()
            .map(|d| domain_line(visitor.locale, d, visitor.now))
            .collect(),
        next: listed.next_after.as_deref().map(|a| query.next(a)),
        first_page: after.is_none(),
        filtered: filter != domains::DomainFilter::default(),
        tlds: catalogue.tlds().map(|t| t.unicode.clone()).collect(),
        query,
        batch,
    };
    page(visitor, status, &template)
}

#[derive(Template)]
#[template(path = "console/domain.html")]
struct DomainPage {
    base: Base,
    domain: DomainLine,
    years: Vec<u32>,
    renew_price: String,
    form: FormState,
    locked: bool,
    auth_code: Option<String>,
    ns_form: FormState,
    holder_form: FormState,
    cancel_form: FormState,
}

/// What a domain page shows besides the domain: the forms' state and a revealed auth code.
#[derive(Default)]
pub(crate) struct DomainExtras {
    pub(crate) form: FormState,
    pub(crate) ns_form: FormState,
    pub(crate) holder_form: FormState,
    pub(crate) cancel_form: FormState,
    pub(crate) auth_code: Option<String>,
}

pub(crate) async fn domain_page(
    state: &WebState,
    visitor: &Visitor,
    name: &str,
    extras: DomainExtras,
    status: StatusCode,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    let view = match domains::get(&state.app, actor, name).await {
        Ok(view) => view,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let catalogue = match yuming_app::registrar::catalogue::current(&state.app).await {
        Ok(catalogue) => catalogue,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let tld_ascii = view.ascii.rsplit('.').next().unwrap_or("");
    let (years, renew_price) = match catalogue.tld(tld_ascii) {
        Some(tld) => (
            (tld.min_years..=tld.max_years).collect(),
            catalogue
                .registrable(&view.ascii)
                .map(|r| format::money(r.prices.renew))
                .unwrap_or_default(),
        ),
        None => (Vec::new(), String::new()),
    };
    let locked = view
        .statuses
        .iter()
        .any(|s| s == "clientTransferProhibited");
    let mut ns_form = extras.ns_form;
    if ns_form.value("nameservers").is_empty() && ns_form.error("nameservers").is_none() {
        ns_form.set("nameservers", &view.nameservers.join("\n"));
    }
    let template = DomainPage {
        base: Base::new(visitor, state, "domain-title", "domains"),
        domain: domain_line(visitor.locale, &view, visitor.now),
        years,
        renew_price,
        form: extras.form,
        locked,
        auth_code: extras.auth_code,
        ns_form,
        holder_form: extras.holder_form,
        cancel_form: extras.cancel_form,
    };
    page(visitor, status, &template)
}

/// `/console/domains/{name}`: the state in words and what can be done now.
pub async fn domain(
    State(state): State<WebState>,
    visitor: Visitor,
    Path(name): Path<String>,
) -> Response {
    domain_page(
        &state,
        &visitor,
        &name,
        DomainExtras::default(),
        StatusCode::OK,
    )
    .await
}

/// `POST /console/domains/{name}/renew`, once per rendering of the form.
pub async fn renew(
    State(state): State<WebState>,
    Path(name): Path<String>,
    SignedInForm {
        mut visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let years: u32 = fields
        .get("years")
        .and_then(|y| y.parse().ok())
        .unwrap_or(0);
    let coupon = fields
        .get("coupon")
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    let app = state.app.clone();
    let target = name.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        let receipt =
            domains::renew_with_coupon(&app, &ctx, &actor, &target, years, coupon.as_deref())
                .await?;
        Ok(format!(
            "/console/domains/{}?done=renewed",
            receipt.domain.ascii
        ))
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &["years", "coupon"]);
            let extras = DomainExtras {
                form,
                ..DomainExtras::default()
            };
            domain_page(
                &state,
                &visitor,
                &name,
                extras,
                crate::session::status_of(&e),
            )
            .await
        }
    }
}

/// `POST /console/domains/{name}/auto-renew` with `enabled=true|false`.
pub async fn auto_renew(
    State(state): State<WebState>,
    Path(name): Path<String>,
    form: SignedInForm,
) -> Response {
    let enabled = form.fields.get("enabled").is_some_and(|v| v == "true");
    let change = DomainUpdate {
        nameservers: None,
        locked: None,
        auto_renew: Some(enabled),
    };
    let done = if enabled {
        "auto-renew-on"
    } else {
        "auto-renew-off"
    };
    update_domain(&state, form, &name, change, done).await
}

/// `POST /console/domains/{name}/lock` with `enabled=true|false`: the registrar lock
/// (transfer, delete and update prohibited together).
pub async fn lock(
    State(state): State<WebState>,
    Path(name): Path<String>,
    form: SignedInForm,
) -> Response {
    let enabled = form.fields.get("enabled").is_some_and(|v| v == "true");
    let change = DomainUpdate {
        nameservers: None,
        locked: Some(enabled),
        auto_renew: None,
    };
    let done = if enabled { "locked" } else { "unlocked" };
    update_domain(&state, form, &name, change, done).await
}

/// `POST /console/domains/{name}/nameservers`: one host per line; none leaves the name
/// without nameservers (it stops resolving).
pub async fn nameservers(
    State(state): State<WebState>,
    Path(name): Path<String>,
    form: SignedInForm,
) -> Response {
    let hosts: Vec<String> = form
        .fields
        .get("nameservers")
        .map(String::as_str)
        .unwrap_or("")
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|h| !h.is_empty())
        .map(str::to_owned)
        .collect();
    let change = DomainUpdate {
        nameservers: Some(hosts),
        locked: None,
        auto_renew: None,
    };
    update_domain(&state, form, &name, change, "nameservers-changed").await
}

async fn update_domain(
    state: &WebState,
    form: SignedInForm,
    name: &str,
    change: DomainUpdate,
    done: &str,
) -> Response {
    let SignedInForm {
        visitor,
        actor,
        fields,
        ..
    } = form;
    let nameservers_changed = change.nameservers.is_some();
    match domains::update(&state.app, &visitor.ctx, &actor, name, change).await {
        Ok(view) => visitor.redirect(&format!("/console/domains/{}?done={done}", view.ascii)),
        Err(e) if e.kind == yuming_app::ErrorKind::NotFound => app_error_page(&visitor, state, &e),
        Err(e) => {
            let mut extras = DomainExtras::default();
            if nameservers_changed {
                extras.ns_form = FormState::from_fields(&fields);
                extras
                    .ns_form
                    .set_error("nameservers", visitor.locale.error_message(&e));
            } else {
                extras.form.alert = Some(ErrorText::of(visitor.locale, &e));
            }
            domain_page(state, &visitor, name, extras, crate::session::status_of(&e)).await
        }
    }
}

/// `POST /console/domains/{name}/holder-change`: offers the domain to another account (过户),
/// to be held by that account's verified profile; the other account accepts it.
pub async fn offer_holder_change(
    State(state): State<WebState>,
    Path(name): Path<String>,
    SignedInForm {
        visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let field = |n: &str| fields.get(n).map_or("", |v| v.trim()).to_owned();
    let offered = yuming_app::registrar::transfers::offer_holder_change(
        &state.app,
        &visitor.ctx,
        &actor,
        &name,
        &field("to_email"),
        &field("to_contact_id"),
    )
    .await;
    match offered {
        Ok(_) => visitor.redirect("/console/transfers?done=holder-offered"),
        Err(e) if e.kind == yuming_app::ErrorKind::NotFound && e.field.is_none() => {
            app_error_page(&visitor, &state, &e)
        }
        Err(e) => {
            let mut holder_form = FormState::from_fields(&fields);
            holder_form.fail(visitor.locale, &e, &["to_email", "to_contact_id"]);
            let extras = DomainExtras {
                holder_form,
                ..DomainExtras::default()
            };
            domain_page(
                &state,
                &visitor,
                &name,
                extras,
                crate::session::status_of(&e),
            )
            .await
        }
    }
}

/// `POST /console/domains/{name}/auth-code` (`reset=true` replaces it first): the transfer
/// secret, shown on the page that answers and nowhere else.
pub async fn auth_code(
    State(state): State<WebState>,
    Path(name): Path<String>,
    SignedInForm {
        visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let actor = &actor;
    let reset = fields.get("reset").is_some_and(|v| v == "true");
    match domains::auth_code(&state.app, &visitor.ctx, actor, &name, reset).await {
        Ok(code) => {
            let extras = DomainExtras {
                auth_code: Some(code),
                ..DomainExtras::default()
            };
            domain_page(&state, &visitor, &name, extras, StatusCode::OK).await
        }
        Err(e) => app_error_page(&visitor, &state, &e),
    }
}

#[derive(Template)]
#[template(path = "console/register.html")]
struct RegisterPage {
    base: Base,
    name: String,
    offer: Option<ResultRow>,
    years: Vec<u32>,
    contacts: Vec<(String, String)>,
    form: FormState,
}

/// The query of the registration page.
#[derive(Debug, Deserialize)]
pub struct NameQuery {
    #[serde(default)]
    name: String,
}

async fn register_page(
    state: &WebState,
    visitor: &Visitor,
    name: &str,
    form: FormState,
    status: StatusCode,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    let app = &state.app;
    let loaded = async {
        let buyer = super::buyer_of(state, visitor).await;
        let found = domains::check_as(app, buyer.as_ref(), &[name.to_owned()]).await?;
        let catalogue = yuming_app::registrar::catalogue::current(app).await?;
        let listing = contacts::list(app, actor, None, 200).await?;
        Ok::<_, AppError>((found, catalogue, listing))
    }
    .await;
    let (found, catalogue, listing) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let offer = found.first().map(|a| result_row(visitor.locale, a));
    let years = found
        .first()
        .and_then(|a| a.name.as_ref())
        .and_then(|(_, ascii)| catalogue.tld(ascii.rsplit('.').next().unwrap_or("")))
        .map(|tld| (tld.min_years..=tld.max_years).collect())
        .unwrap_or_default();
    let contacts = super::contacts::registrant_choices(visitor.locale, &listing.contacts);
    let template = RegisterPage {
        base: Base::new(visitor, state, "register-title", "domains"),
        name: name.to_owned(),
        offer,
        years,
        contacts,
        form,
    };
    page(visitor, status, &template)
}

/// `/console/register?name=…`: term, registrant and renewal for one name, paid from the
/// balance.
pub async fn register_form(
    State(state): State<WebState>,
    visitor: Visitor,
    Query(query): Query<NameQuery>,
) -> Response {
    let mut form = FormState::new();
    form.set("auto_renew", "on");
    register_page(&state, &visitor, query.name.trim(), form, StatusCode::OK).await
}

const REGISTER_FIELDS: [&str; 5] = [
    "name",
    "years",
    "registrant_contact_id",
    "auto_renew",
    "nameservers",
];

/// `POST /console/register`: charged once per rendering of the form, whatever the clicks.
pub async fn register(
    State(state): State<WebState>,
    SignedInForm {
        mut visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let input = RegisterInput {
        name: field("name"),
        years: field("years").parse().unwrap_or(0),
        registrant_contact_id: field("registrant_contact_id"),
        nameservers: Some(crate::pages::split_hosts(&field("nameservers")))
            .filter(|hosts| !hosts.is_empty()),
        auto_renew: fields.get("auto_renew").is_some_and(|v| v == "on"),
        coupon: None,
    };
    let app = state.app.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        let receipt = domains::register(&app, &ctx, &actor, input).await?;
        Ok(format!(
            "/console/domains/{}?done=registered",
            receipt.domain.ascii
        ))
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &REGISTER_FIELDS);
            let status = crate::session::status_of(&e);
            register_page(&state, &visitor, &field("name"), form, status).await
        }
    }
}

/// A balance movement.
pub struct LedgerRow {
    /// When.
    pub at: String,
    /// What.
    pub memo: String,
    /// Signed amount.
    pub amount: String,
    /// Credit (positive).
    pub credit: bool,
}

/// An order as the billing page shows it.
pub struct OrderLine {
    /// When.
    pub at: String,
    /// What, in words.
    pub what: String,
    /// The domain, as people read it.
    pub domain: String,
    /// Amount.
    pub amount: String,
}

#[derive(Template)]
#[template(path = "console/billing.html")]
struct BillingPage {
    base: Base,
    balance: String,
    credit_limit: String,
    ledger: Vec<LedgerRow>,
    orders: Vec<OrderLine>,
    threshold_form: FormState,
    top_up_form: FormState,
    methods: Vec<crate::pages::payments::MethodChoice>,
    payments: Vec<crate::pages::payments::PaymentLine>,
    bank_offered: bool,
    bank_form: FormState,
    transfers: Vec<crate::pages::bank::TransferLine>,
}

/// The billing page's forms as sent back with their errors (a fresh form when `None`).
#[derive(Default)]
pub struct BillingForms {
    /// The low-balance threshold.
    pub threshold: Option<FormState>,
    /// The top-up.
    pub top_up: Option<FormState>,
    /// The bank transfer request.
    pub bank: Option<FormState>,
}

/// `/console/billing`: balance, top-up, payments, movements, orders and the low-balance
/// reminder.
pub async fn billing(State(state): State<WebState>, visitor: Visitor) -> Response {
    billing_page(&state, &visitor, BillingForms::default(), StatusCode::OK).await
}

pub(crate) async fn billing_page(
    state: &WebState,
    visitor: &Visitor,
    forms: BillingForms,
    status: StatusCode,
) -> Response {
    let actor = match visitor.require_actor() {
        Ok(actor) => actor,
        Err(login) => return login,
    };
    let app = &state.app;
    let start = yuming_app::platform::paging::PageCursor::start();
    let loaded = async {
        let balance = billing::balance(app, actor, Currency::Cny).await?;
        let ledger = billing::ledger(app, actor, &start, 50).await?;
        // As many orders as statement lines, so that each line can say what it paid for.
        let orders = billing::orders(app, actor, &start, 50).await?;
        let threshold = billing::low_balance_threshold(app, actor).await?;
        let payments = billing::payments::list(app, actor, &start, 10).await?;
        let transfers = if app.settings().bank_account.is_some() {
            billing::bank::list(app, actor).await?
        } else {
            Vec::new()
        };
        Ok::<_, AppError>((balance, ledger, orders, threshold, payments, transfers))
    }
    .await;
    let (balance, ledger, orders, threshold, payments, transfers) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let locale = visitor.locale;
    let threshold_form = forms.threshold.unwrap_or_else(|| {
        let mut form = FormState::new();
        let minor = threshold.minor();
        form.set("amount", &format!("{}.{:02}", minor / 100, minor % 100));
        form
    });
    let order_lines: Vec<(String, String, OrderLine)> = orders
        .items
        .iter()
        .map(|order| {
            let key = format!("order-kind-{}", order.kind);
            let kind = if locale.has(&key) {
                locale.t(&key)
            } else {
                order.kind.clone()
            };
            let term = order
                .years
                .map(|years| locale.t_args("years-n", &[("n", years.to_string())]));
            let domain = order
                .domain_name
                .as_deref()
                .map(format::unicode_name)
                .unwrap_or_default();
            // "注册 例子.中国 · 1 年": what a statement line paid for.
            let memo = [kind.clone(), domain.clone()]
                .into_iter()
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            let memo = match &term {
                Some(term) => format!("{memo} · {term}"),
                None => memo,
            };
            let currency = Currency::parse(&order.currency).unwrap_or(Currency::Cny);
            let line = OrderLine {
                at: format::datetime(yuming_core::clock::Timestamp(order.created_at)),
                what: match term {
                    Some(term) => format!("{kind} · {term}"),
                    None => kind,
                },
                domain,
                amount: format::money(yuming_core::money::Money::new(order.amount, currency)),
            };
            (order.id.clone(), memo, line)
        })
        .collect();
    // A statement line of an order says what it paid for in the visitor's language; the
    // stored memo (a top-up's reference, say) stands for the others.
    let described = |order_id: &Option<String>| {
        let id = order_id.as_deref()?;
        let (_, memo, _) = order_lines.iter().find(|(o, _, _)| o == id)?;
        Some(memo.clone())
    };
    let ledger = ledger
        .items
        .iter()
        .map(|line| LedgerRow {
            at: format::datetime(line.at),
            memo: described(&line.order_id).unwrap_or_else(|| line.memo.clone()),
            amount: format::money(line.amount),
            credit: line.amount.is_positive(),
        })
        .collect();
    let template = BillingPage {
        base: Base::new(visitor, state, "billing-title", "billing"),
        balance: format::money(balance.balance),
        credit_limit: format::money(balance.credit_limit),
        ledger,
        orders: order_lines.into_iter().map(|(_, _, line)| line).collect(),
        threshold_form,
        methods: crate::pages::payments::method_choices(state, locale),
        top_up_form: forms.top_up.unwrap_or_else(|| {
            let mut form = FormState::new();
            if let Some(first) = billing::payments::methods(app).first() {
                form.set("method", first);
            }
            form
        }),
        payments: payments
            .items
            .iter()
            .map(|p| crate::pages::payments::payment_line(locale, p))
            .collect(),
        bank_offered: app.settings().bank_account.is_some(),
        bank_form: forms.bank.unwrap_or_default(),
        transfers: transfers
            .iter()
            .map(|t| crate::pages::bank::transfer_line(locale, t))
            .collect(),
    };
    page(visitor, status, &template)
}

/// `POST /console/billing/threshold`: the balance under which a reminder is sent, in yuan.
pub async fn set_threshold(
    State(state): State<WebState>,
    SignedInForm {
        visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let actor = &actor;
    let text = fields.get("amount").map_or("", |a| a.trim());
    let minor = yuming_core::money::Money::parse(text, Currency::Cny)
        .map(yuming_core::money::Money::minor)
        // Not an amount: passed on as one out of range, so the rule answers with its message.
        .unwrap_or(-1);
    match billing::set_low_balance_threshold(&state.app, &visitor.ctx, actor, minor).await {
        Ok(_) => visitor.redirect("/console/billing?done=threshold-saved"),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &["amount"]);
            billing_page(
                &state,
                &visitor,
                BillingForms {
                    threshold: Some(form),
                    ..BillingForms::default()
                },
                crate::session::status_of(&e),
            )
            .await
        }
    }
}

/// Any other `/console/…` path: the login page when signed out (so that no path reveals
/// anything to strangers), the 404 page otherwise.
pub async fn not_found(State(state): State<WebState>, visitor: Visitor) -> Response {
    if let Err(login) = visitor.require_actor() {
        return login;
    }
    app_error_page(&visitor, &state, &AppError::not_found())
}
