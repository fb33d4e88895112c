//! The web console: server-rendered HTML for people, beside the JSON API of `yuming-http`.
//!
//! Pages call the same `yuming-app` use cases as the API (a rule lives in one place; a page
//! never re-implements one). What this crate owns is presentation: templates (askama,
//! checked at compile time), the locale files (Fluent, zh-CN first), browser sessions in
//! cookies with a CSRF token on every form, and the embedded static assets.
//!
//! Map:
//! - [`session`]: cookies, the signed-in visitor, CSRF, form idempotency keys
//! - [`i18n`]: the locale of a request and the message lookup
//! - [`format`]: money, times and statuses as people read them
//! - [`assets`]: CSS, script, icons, manifest and service worker, embedded with cache headers
//! - `pages`: one module per area (public, auth, console)

pub mod assets;
pub mod format;
pub mod i18n;
mod pages;
pub mod session;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::middleware::{Next, from_fn};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use yuming_app::App;

/// What the console shows about the operator (the footer of public pages).
#[derive(Debug, Clone, Default)]
pub struct SiteSettings {
    /// The operator's name, e.g. "Yuming Registrar".
    pub operator: String,
    /// The operator's own ICP filing number (shown in the footer, as the rules require).
    pub icp_number: String,
    /// The public-security filing number (公安备案号).
    pub psb_number: String,
}

/// Console settings.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// Mark cookies `Secure` (when the console is served over TLS, directly or behind a
    /// proxy that terminates it).
    pub secure_cookies: bool,
    /// Footer facts.
    pub site: SiteSettings,
    /// Requests taking longer are answered with an error page.
    pub request_timeout: Duration,
    /// Largest accepted form body.
    pub body_limit_bytes: usize,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings {
            secure_cookies: false,
            site: SiteSettings::default(),
            request_timeout: Duration::from_secs(30),
            body_limit_bytes: 1024 * 1024,
        }
    }
}

/// Shared state of the console's handlers.
#[derive(Clone)]
pub struct WebState {
    /// The application.
    pub app: App,
    /// Console settings.
    pub settings: std::sync::Arc<WebSettings>,
}

/// Whether a request that no route claimed should get the console's HTML 404 rather than
/// the API's JSON one: anything outside the machine paths that a browser asks for as a page.
pub fn wants_html(req: &Request) -> bool {
    let path = req.uri().path();
    let machine = [
        "/api/",
        "/rdap",
        "/healthz",
        "/readyz",
        "/metrics",
        "/.well-known/",
    ]
    .iter()
    .any(|prefix| path.starts_with(prefix));
    !machine
        && req
            .headers()
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"))
}

/// The console's routes; whatever they do not claim goes to `api` (the JSON API, RDAP and
/// health), except page requests from browsers, which get the console's 404 page.
pub fn router(state: WebState, api: Router) -> Router {
    let timeout = state.settings.request_timeout;
    let body_limit = state.settings.body_limit_bytes;
    // File uploads have their own, larger body limit (the inner limit wins).
    let uploads = Router::new()
        .route(
            "/console/contacts/{id}/documents",
            post(pages::contacts::upload_document),
        )
        .route(
            "/console/filing/orders/{id}/materials",
            post(pages::filing::upload_material),
        )
        .route(
            "/admin/finance/statements",
            post(pages::admin::finance::import_statement),
        )
        .route(
            "/console/tickets",
            get(pages::tickets::list).post(pages::tickets::open),
        )
        .route("/console/tickets/{id}/reply", post(pages::tickets::reply))
        .route(
            "/admin/tickets/{id}/reply",
            post(pages::admin::tickets::reply),
        )
        .layer(DefaultBodyLimit::max(pages::upload::UPLOAD_BODY_LIMIT));
    let pages = Router::new()
        .route("/", get(pages::public::home))
        .route("/search", get(pages::public::search))
        .route("/abuse", get(pages::abuse::form).post(pages::abuse::report))
        .route("/help", get(pages::help::index))
        .route("/help/search", get(pages::help::search))
        .route("/help/articles/{slug}", get(pages::help::article))
        .route(
            "/console/feedback",
            get(pages::help::board).post(pages::help::post),
        )
        .route("/console/feedback/{id}/vote", post(pages::help::vote))
        .route(
            "/admin/help",
            get(pages::admin::help::list).post(pages::admin::help::create),
        )
        .route("/admin/help/{slug}", get(pages::admin::help::show))
        .route(
            "/admin/help/{slug}/{action}",
            post(pages::admin::help::action),
        )
        .route("/admin/feedback", get(pages::admin::help::feedback_board))
        .route(
            "/admin/feedback/{id}/status",
            post(pages::admin::help::feedback_status),
        )
        .route("/lang/{locale}", get(pages::public::switch_language))
        .route("/offline", get(pages::public::offline))
        .route("/cart", get(pages::cart::show))
        .route("/cart/add", post(pages::cart::add))
        .route("/cart/update", post(pages::cart::update))
        .route("/cart/remove", post(pages::cart::remove))
        .route("/cart/checkout", post(pages::cart::checkout))
        .route(
            "/signup",
            get(pages::auth::signup_form).post(pages::auth::signup),
        )
        .route(
            "/login",
            get(pages::auth::login_form).post(pages::auth::login),
        )
        .route("/logout", post(pages::auth::logout))
        .route(
            "/verify-email",
            get(pages::auth::verify_email_form).post(pages::auth::verify_email),
        )
        .route("/console", get(pages::console::dashboard))
        .route("/console/domains", get(pages::console::domains))
        .route("/console/domains/batch", post(pages::batches::start))
        .route("/console/batches/{id}", get(pages::batches::show))
        .route("/console/domains/{name}", get(pages::console::domain))
        .route("/console/domains/{name}/renew", post(pages::console::renew))
        .route("/console/domains/{name}/lock", post(pages::console::lock))
        .route(
            "/console/domains/{name}/nameservers",
            post(pages::console::nameservers),
        )
        .route(
            "/console/domains/{name}/holder-change",
            post(pages::console::offer_holder_change),
        )
        .route(
            "/console/domains/{name}/cancel",
            post(pages::cancellation::start),
        )
        .route(
            "/console/cancellations/{id}",
            get(pages::cancellation::show),
        )
        .route(
            "/console/cancellations/{id}/steps/{step}",
            post(pages::cancellation::confirm),
        )
        .route(
            "/console/cancellations/{id}/export",
            get(pages::cancellation::export),
        )
        .route(
            "/console/cancellations/{id}/submit",
            post(pages::cancellation::submit),
        )
        .route(
            "/console/domains/{name}/auth-code",
            post(pages::console::auth_code),
        )
        .route(
            "/console/domains/{name}/auto-renew",
            post(pages::console::auto_renew),
        )
        .route(
            "/console/domains/{name}/dns",
            get(pages::dns::records).post(pages::dns::add_record),
        )
        .route(
            "/console/domains/{name}/dns/{id}/delete",
            post(pages::dns::delete_record),
        )
        .route(
            "/console/domains/{name}/dns/{id}/edit",
            get(pages::dns::edit_form).post(pages::dns::update_record),
        )
        .route(
            "/console/domains/{name}/dns/export",
            get(pages::dns::export),
        )
        .route(
            "/console/domains/{name}/dns/import",
            post(pages::dns::import),
        )
        .route(
            "/console/register",
            get(pages::console::register_form).post(pages::console::register),
        )
        .route("/console/contacts", get(pages::contacts::contacts))
        .route(
            "/console/contacts/new",
            get(pages::contacts::contact_form).post(pages::contacts::create_contact),
        )
        .route("/console/contacts/{id}", get(pages::contacts::contact))
        .route(
            "/console/contacts/{id}/documents/{document}",
            get(pages::contacts::document_image),
        )
        .route("/console/billing", get(pages::console::billing))
        .route("/console/billing/top-up", post(pages::payments::top_up))
        .route("/console/billing/bank-transfer", post(pages::bank::request))
        .route("/console/services", get(pages::services::list))
        .route("/console/services/{code}/buy", post(pages::services::buy))
        .route(
            "/console/billing/bank-transfers/{id}",
            get(pages::bank::show),
        )
        .route(
            "/console/billing/invoices",
            get(pages::invoices::list).post(pages::invoices::request),
        )
        .route(
            "/console/billing/invoices/{id}/pdf",
            get(pages::invoices::pdf),
        )
        .route("/console/billing/payments/{id}", get(pages::payments::show))
        .route(
            "/console/billing/payments/{id}/refund",
            post(pages::payments::refund),
        )
        .route(
            "/sandbox/pay/{id}",
            get(pages::payments::sandbox_page).post(pages::payments::sandbox_decide),
        )
        .route(
            "/console/billing/threshold",
            post(pages::console::set_threshold),
        )
        .route("/console/security", get(pages::security::overview))
        .route(
            "/console/security/password",
            post(pages::security::change_password),
        )
        .route(
            "/console/security/totp/begin",
            post(pages::security::totp_begin),
        )
        .route(
            "/console/security/totp/enable",
            post(pages::security::totp_enable),
        )
        .route(
            "/console/security/totp/disable",
            post(pages::security::totp_disable),
        )
        .route(
            "/console/security/sessions/end-all",
            post(pages::security::logout_everywhere),
        )
        .route(
            "/console/security/sessions/{id}/revoke",
            post(pages::security::revoke_session),
        )
        .route(
            "/console/security/passkeys",
            post(pages::security::add_passkey),
        )
        .route(
            "/console/security/passkeys/options",
            post(pages::security::passkey_options),
        )
        .route(
            "/console/security/passkeys/{id}/delete",
            post(pages::security::remove_passkey),
        )
        .route(
            "/console/security/api-keys",
            post(pages::security::create_key),
        )
        .route(
            "/console/security/api-keys/{id}/revoke",
            post(pages::security::revoke_key),
        )
        .route(
            "/console/transfers",
            get(pages::transfers::overview).post(pages::transfers::request),
        )
        .route(
            "/console/transfers/{id}/accept",
            post(pages::transfers::accept),
        )
        .route(
            "/console/transfers/{id}/cancel",
            post(pages::transfers::cancel),
        )
        .route(
            "/console/transfers/decide/{name}",
            post(pages::transfers::decide),
        )
        .route("/console/audit", get(pages::audit::log))
        .route("/console/account", get(pages::account::overview))
        .route(
            "/console/team",
            get(pages::team::overview).post(pages::team::create),
        )
        .route("/console/team/{id}", post(pages::team::update))
        .route(
            "/console/webhooks",
            get(pages::webhooks::list).post(pages::webhooks::create),
        )
        .route(
            "/console/webhooks/{id}",
            get(pages::webhooks::show).post(pages::webhooks::update),
        )
        .route("/console/webhooks/{id}/ping", post(pages::webhooks::ping))
        .route(
            "/console/webhooks/{id}/rotate",
            post(pages::webhooks::rotate),
        )
        .route(
            "/console/webhooks/{id}/delete",
            post(pages::webhooks::delete),
        )
        .route(
            "/console/webhooks/{id}/deliveries/{delivery}/redeliver",
            post(pages::webhooks::redeliver),
        )
        .route("/console/account/export", post(pages::account::export))
        .route(
            "/console/account/closure",
            post(pages::account::request_closure),
        )
        .route(
            "/console/account/closure/withdraw",
            post(pages::account::withdraw_closure),
        )
        .route("/console/notices", get(pages::notices::list))
        .route(
            "/console/notices/{id}/read",
            post(pages::notices::mark_read),
        )
        .route("/console/filing", get(pages::filing::overview))
        .route(
            "/console/filing/new",
            get(pages::filing::new_entity).post(pages::filing::create_entity),
        )
        .route("/console/filing/entities/{id}", get(pages::filing::entity))
        .route(
            "/console/filing/entities/{id}/sites",
            post(pages::filing::create_site),
        )
        .route(
            "/console/filing/entities/{id}/sites/{site}/order",
            post(pages::filing::order_site),
        )
        .route("/console/filing/orders/{id}", get(pages::filing::order))
        .route(
            "/console/filing/orders/{id}/sms",
            post(pages::filing::verify_sms),
        )
        .route("/console/filing/sites/{id}", get(pages::filing::site))
        .route(
            "/console/filing/sites/{id}/certificate.pdf",
            get(pages::filing::certificate_pdf),
        )
        .route(
            "/console/filing/sites/{id}/certificate/renew",
            post(pages::filing::renew_certificate),
        )
        .route(
            "/console/filing/orders/{id}/materials/{material}",
            get(pages::filing::material_image),
        )
        .route(
            "/console/filing/orders/{id}/fields",
            post(pages::filing::update_fields),
        )
        .route(
            "/console/filing/orders/{id}/abandon",
            post(pages::filing::abandon),
        )
        .route(
            "/console/filing/sites/{id}/orders",
            post(pages::filing::start_site_order),
        )
        .route(
            "/console/filing/orders/{id}/submit",
            post(pages::filing::submit),
        )
        .route("/console/{*rest}", get(pages::console::not_found))
        .route("/admin", get(pages::admin::dashboard))
        .route(
            "/admin/review/contacts",
            get(pages::admin::review::contact_queue),
        )
        .route(
            "/admin/review/contacts/{id}",
            get(pages::admin::review::contact),
        )
        .route(
            "/admin/review/contacts/{id}/documents/{document}",
            get(pages::admin::review::contact_document),
        )
        .route(
            "/admin/review/contacts/{id}/decision",
            post(pages::admin::review::contact_decision),
        )
        .route("/admin/review/names", get(pages::admin::review::name_queue))
        .route(
            "/admin/review/names/{name}/decision",
            post(pages::admin::review::name_decision),
        )
        .route(
            "/admin/review/filing",
            get(pages::admin::review::filing_queue),
        )
        .route(
            "/admin/review/filing/{id}",
            get(pages::admin::review::filing_order),
        )
        .route(
            "/admin/review/filing/{id}/materials/{material}",
            get(pages::admin::review::filing_material),
        )
        .route(
            "/admin/review/filing/{id}/{action}",
            post(pages::admin::review::filing_action),
        )
        .route("/admin/customers", get(pages::admin::customers::search))
        .route("/admin/finance", get(pages::admin::finance::overview))
        .route("/admin/audit", get(pages::audit::staff_log))
        .route(
            "/admin/filing-settings",
            get(pages::admin::filing_settings::show),
        )
        .route(
            "/admin/filing-settings/{which}",
            post(pages::admin::filing_settings::add),
        )
        .route(
            "/admin/staff",
            get(pages::admin::staff::list).post(pages::admin::staff::create),
        )
        .route(
            "/admin/finance/revenue",
            get(pages::admin::finance::revenue),
        )
        .route(
            "/admin/finance/revenue.csv",
            get(pages::admin::finance::revenue_csv),
        )
        .route(
            "/admin/finance/invoices/{id}/{action}",
            post(pages::admin::finance::invoice_action),
        )
        .route(
            "/admin/finance/credits/{id}/{decision}",
            post(pages::admin::finance::decide_credit),
        )
        .route(
            "/admin/finance/alerts/{id}/resolve",
            post(pages::admin::finance::resolve_alert),
        )
        .route(
            "/admin/finance/lines/{id}/assign",
            post(pages::admin::finance::assign_line),
        )
        .route(
            "/admin/customers/{id}/credit",
            post(pages::admin::customers::credit),
        )
        .route(
            "/admin/customers/{id}/assist",
            post(pages::admin::customers::assist),
        )
        .route("/admin/catalogue", get(pages::admin::catalogue::list))
        .route(
            "/admin/catalogue/import",
            get(pages::admin::catalogue::import_form).post(pages::admin::catalogue::import),
        )
        .route(
            "/admin/catalogue/{tld}/prices",
            post(pages::admin::catalogue::set_prices),
        )
        .route("/admin/catalogue/lists", get(pages::admin::lists::show))
        .route(
            "/admin/catalogue/screening",
            post(pages::admin::lists::set_screening),
        )
        .route(
            "/admin/catalogue/{tld}/reserved",
            post(pages::admin::lists::set_reserved),
        )
        .route("/console/tickets/{id}", get(pages::tickets::show))
        .route(
            "/console/tickets/{id}/attachments/{attachment}",
            get(pages::tickets::attachment),
        )
        .route(
            "/console/tickets/{id}/{action}",
            post(pages::tickets::action),
        )
        .route(
            "/console/complaints",
            get(pages::complaints::list).post(pages::complaints::file),
        )
        .route("/console/complaints/{id}", get(pages::complaints::show))
        .route("/admin/complaints", get(pages::admin::complaints::queue))
        .route(
            "/admin/complaints.csv",
            get(pages::admin::complaints::export),
        )
        .route(
            "/admin/complaints/{id}",
            get(pages::admin::complaints::show),
        )
        .route(
            "/admin/complaints/{id}/{action}",
            post(pages::admin::complaints::action),
        )
        .route("/admin/tickets", get(pages::admin::tickets::queue))
        .route("/admin/tickets/{id}", get(pages::admin::tickets::show))
        .route(
            "/admin/tickets/{id}/attachments/{attachment}",
            get(pages::admin::tickets::attachment),
        )
        .route(
            "/admin/tickets/{id}/{action}",
            post(pages::admin::tickets::action),
        )
        .route("/admin/operations", get(pages::admin::operations::show))
        .route(
            "/admin/operations/jobs/{name}/run",
            post(pages::admin::operations::run_job),
        )
        .route("/admin/monitor", get(pages::admin::monitor::alerts))
        .route("/admin/finance/payments", get(pages::admin::payments::list))
        .route("/admin/{*rest}", get(pages::admin::not_found))
        .merge(uploads)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(from_fn(move |req: Request, next: Next| async move {
            match tokio::time::timeout(timeout, next.run(req)).await {
                Ok(response) => response,
                Err(_) => pages::error_page_plain(axum::http::StatusCode::SERVICE_UNAVAILABLE),
            }
        }))
        .layer(from_fn(session::security_headers))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_panic: Box<dyn std::any::Any + Send>| {
                pages::error_page_plain(axum::http::StatusCode::INTERNAL_SERVER_ERROR)
            },
        ))
        .with_state(state.clone());
    let metrics_app = state.app.clone();
    let api_or_page_404 = axum::routing::any(move |req: Request| {
        let api = api.clone();
        let state = state.clone();
        async move {
            if wants_html(&req) {
                pages::not_found_page(&state, &req)
            } else {
                use tower::ServiceExt;
                match api.oneshot(req).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                }
            }
        }
    });
    // The API is the fallback as a whole: routed to by pattern, it would see this router's
    // path parameters instead of its own.
    Router::new()
        .merge(assets::routes())
        .merge(pages)
        .fallback(api_or_page_404)
        .layer(from_fn(move |req: Request, next: Next| {
            record_request(metrics_app.clone(), req, next)
        }))
}

/// Counts every request answered (pages, assets and the API behind them) by route template
/// and status. The API is reached as a fallback, so its template comes back on the response.
async fn record_request(app: yuming_app::App, req: Request, next: Next) -> Response {
    let started = std::time::Instant::now();
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .cloned();
    let response = next.run(req).await;
    let route = route.or_else(|| {
        response
            .extensions()
            .get::<axum::extract::MatchedPath>()
            .cloned()
    });
    app.metrics().http_request(
        method.as_str(),
        route
            .as_ref()
            .map_or("unmatched", axum::extract::MatchedPath::as_str),
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

/// An HTML response with the console's default headers.
pub(crate) fn html(status: axum::http::StatusCode, body: String) -> Response {
    (
        status,
        [(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}
