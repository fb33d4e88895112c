//! The OpenAPI 3.1 document, generated from handler annotations as the router is built.

use axum::Router;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::{
    admin, api_keys, audit, auth, billing, contacts, dns, domains, filing, filing_after, flows,
    health, notifications, review, sub_accounts, validate, webhooks,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Yuming API",
        version = "1",
        description = "Domain registrar and ICP filing platform. Errors use the envelope \
            `{\"error\": {\"code\", \"message\", \"message_zh\", \"field\"}}`; mutating requests \
            accept `Idempotency-Key`; money is in minor units."
    ),
    modifiers(&SecuritySchemes),
    tags(
        (name = "health", description = "Liveness"),
        (name = "auth", description = "Accounts, sessions, TOTP"),
        (name = "api-keys", description = "API keys for HMAC-signed requests"),
        (name = "webhooks", description = "Signed webhooks: endpoints, secrets shown once, the delivery log"),
        (name = "sub-accounts", description = "Enterprise sub-accounts"),
        (name = "contacts", description = "Registrant contacts and their real-name verification"),
        (name = "review", description = "Reviewers' queues (staff)"),
        (name = "audit", description = "Tamper-evident audit log"),
        (name = "admin", description = "Platform administration"),
        (name = "domains", description = "Availability, registration, renewal, management"),
        (name = "dns", description = "Hosted DNS zones and records"),
        (name = "billing", description = "Balance, ledger and orders"),
        (name = "notifications", description = "In-app notices and notice preferences"),
        (name = "validation", description = "Identifier checks shared by forms, self-check and imports"),
        (name = "filing", description = "ICP filing (备案): entities, sites, servers, orders, self-check, materials"),
    )
)]
struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
        components.add_security_scheme(
            "api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "X-Yuming-Key",
                "API key id; the request also carries X-Yuming-Timestamp, X-Yuming-Nonce and \
                 X-Yuming-Signature (HMAC-SHA256, see the README)",
            ))),
        );
    }
}

/// The API routes and their OpenAPI document.
pub fn api_router() -> (Router<AppState>, OpenApiDoc) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(auth::signup))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::totp_setup))
        .routes(routes!(auth::totp_enable))
        .routes(routes!(auth::totp_disable))
        .routes(routes!(api_keys::create, api_keys::list))
        .routes(routes!(api_keys::revoke))
        .routes(routes!(webhooks::create, webhooks::list))
        .routes(routes!(webhooks::get, webhooks::update, webhooks::delete))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::deliveries))
        .routes(routes!(webhooks::retry))
        .routes(routes!(webhooks::ping))
        .routes(routes!(sub_accounts::create, sub_accounts::list))
        .routes(routes!(sub_accounts::update))
        .routes(routes!(contacts::create, contacts::list))
        .routes(routes!(contacts::get))
        .routes(routes!(contacts::disclosure, contacts::set_disclosure))
        .routes(routes!(review::contact_queue))
        .routes(routes!(review::contact_document))
        .routes(routes!(review::contact_decision))
        .routes(routes!(audit::list))
        .routes(routes!(admin::create_user))
        .routes(routes!(admin::system_status))
        .routes(routes!(validate::validate))
        .routes(routes!(domains::check_one, domains::check_bulk))
        .routes(routes!(domains::register, domains::list))
        .routes(routes!(domains::get, domains::update))
        .routes(routes!(domains::renew))
        .routes(routes!(domains::change_registrant))
        .routes(routes!(domains::auth_code))
        .routes(routes!(domains::reset_auth_code))
        .routes(routes!(billing::balance))
        .routes(routes!(
            billing::low_balance_threshold,
            billing::set_low_balance_threshold
        ))
        .routes(routes!(billing::ledger))
        .routes(routes!(billing::orders))
        .routes(routes!(billing::credit))
        .routes(routes!(billing::credit_limit))
        .routes(routes!(review::domain_queue))
        .routes(routes!(review::domain_decision))
        .routes(routes!(filing::create_entity, filing::list_entities))
        .routes(routes!(filing::get_entity))
        .routes(routes!(filing::create_site))
        .routes(routes!(filing::add_servers, filing::list_servers))
        .routes(routes!(filing::create_order, filing::list_orders))
        .routes(routes!(filing::get_order, filing::update_order))
        .routes(routes!(filing::verify_type))
        .routes(routes!(filing::check))
        .routes(routes!(filing::submit))
        .routes(routes!(filing::abandon))
        .routes(routes!(filing::verify_sms))
        .routes(routes!(filing::history))
        .routes(routes!(filing::notes, filing::add_note))
        .routes(routes!(filing::list_materials))
        .routes(routes!(filing::upload_material))
        .routes(routes!(filing::material_content))
        .routes(routes!(filing::review_queue))
        .routes(routes!(filing::review_order))
        .routes(routes!(filing::claim))
        .routes(routes!(filing::approve))
        .routes(routes!(filing::reject))
        .routes(routes!(filing::add_ip_pool, filing::list_ip_pools))
        .routes(routes!(filing::add_rule, filing::list_rules))
        .routes(routes!(filing::blacklist))
        .routes(routes!(filing::sync))
        .routes(routes!(filing::sandbox_sms))
        .routes(routes!(filing_after::certificate))
        .routes(routes!(filing_after::certificate_pdf))
        .routes(routes!(filing_after::renew_certificate))
        .routes(routes!(filing_after::footer))
        .routes(routes!(filing_after::public_keys))
        .routes(routes!(filing_after::verify))
        .routes(routes!(filing_after::public_lookup))
        .routes(routes!(filing_after::alerts))
        .routes(routes!(filing_after::checks))
        .routes(routes!(filing_after::check_now))
        .routes(routes!(filing_after::dashboard))
        .routes(routes!(filing_after::batch_filing))
        .routes(routes!(dns::list, dns::create))
        .routes(routes!(dns::update, dns::delete))
        .routes(routes!(dns::export, dns::import))
        .routes(routes!(flows::request_transfer, flows::list_transfers))
        .routes(routes!(flows::get_transfer))
        .routes(routes!(flows::cancel_transfer))
        .routes(routes!(flows::accept_holder_change))
        .routes(routes!(flows::decide_transfer))
        .routes(routes!(flows::offer_holder_change))
        .routes(routes!(flows::restore_domain))
        .routes(routes!(flows::get_auto_renew, flows::set_auto_renew))
        .routes(routes!(flows::start_batch))
        .routes(routes!(flows::get_batch))
        .routes(routes!(flows::create_cancellation))
        .routes(routes!(flows::get_cancellation))
        .routes(routes!(flows::confirm_cancellation_step))
        .routes(routes!(flows::export_cancellation))
        .routes(routes!(flows::submit_cancellation))
        .routes(routes!(flows::cancellation_queue))
        .routes(routes!(flows::cancellation_document))
        .routes(routes!(flows::decide_cancellation))
        .routes(routes!(notifications::list))
        .routes(routes!(notifications::unread_count))
        .routes(routes!(notifications::mark_read))
        .routes(routes!(notifications::preferences))
        .routes(routes!(notifications::set_preference))
        .split_for_parts()
}

/// The document alone (for `yuming openapi` and tests).
pub fn document() -> OpenApiDoc {
    api_router().1
}
