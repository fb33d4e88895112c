//! The OpenAPI 3.1 document, generated from handler annotations as the router is built.

use axum::Router;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::api::{
    admin, api_keys, audit, auth, billing, contacts, domains, health, notifications, review,
    sub_accounts, validate,
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
        (name = "sub-accounts", description = "Enterprise sub-accounts"),
        (name = "contacts", description = "Registrant contacts and their real-name verification"),
        (name = "review", description = "Reviewers' queues (staff)"),
        (name = "audit", description = "Tamper-evident audit log"),
        (name = "admin", description = "Platform administration"),
        (name = "domains", description = "Availability, registration, renewal, management"),
        (name = "billing", description = "Balance, ledger and orders"),
        (name = "notifications", description = "In-app notices and notice preferences"),
        (name = "validation", description = "Identifier checks shared by forms, self-check and imports"),
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
        .routes(routes!(sub_accounts::create, sub_accounts::list))
        .routes(routes!(sub_accounts::update))
        .routes(routes!(contacts::create, contacts::list))
        .routes(routes!(contacts::get))
        .routes(routes!(review::contact_queue))
        .routes(routes!(review::contact_document))
        .routes(routes!(review::contact_decision))
        .routes(routes!(audit::list))
        .routes(routes!(admin::create_user))
        .routes(routes!(validate::validate))
        .routes(routes!(domains::check_one, domains::check_bulk))
        .routes(routes!(domains::register, domains::list))
        .routes(routes!(domains::get, domains::update))
        .routes(routes!(domains::renew))
        .routes(routes!(domains::change_registrant))
        .routes(routes!(domains::auth_code))
        .routes(routes!(domains::reset_auth_code))
        .routes(routes!(billing::balance))
        .routes(routes!(billing::ledger))
        .routes(routes!(billing::orders))
        .routes(routes!(billing::credit))
        .routes(routes!(billing::credit_limit))
        .routes(routes!(review::domain_queue))
        .routes(routes!(review::domain_decision))
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
