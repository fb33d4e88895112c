//! The OpenAPI 3.1 document, generated from handler annotations as the router is built.

use std::collections::BTreeMap;

use axum::Router;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, ResponseBuilder};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouter};
use utoipa_axum::routes;

use crate::AppState;
use crate::api::{
    account_data, admin, api_keys, audit, auth, bank, billing, checkout, complaints, contacts,
    coupons, dns, domains, filing, filing_after, flows, health, help, invoices, notifications,
    payments, pricing, review, services, sub_accounts, tickets, validate, webhooks,
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
        (name = "support", description = "Support tickets: threads with support, service levels, ratings"),
        (name = "help", description = "The help centre: articles, search, the article that explains a code (public)"),
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

/// Operations whose use case limits requests per client or account (429 with the error
/// envelope): method and path as in the document.
const RATE_LIMITED: &[(&str, &str)] = &[
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/password"),
    ("post", "/api/v1/auth/totp/enable"),
    ("post", "/api/v1/auth/totp/disable"),
    ("post", "/api/v1/validate"),
    ("post", "/api/v1/transfers"),
    ("post", "/api/v1/filing/orders/{id}/submit"),
    ("post", "/api/v1/cancellations/{id}/submit"),
    ("post", "/api/v1/public/filing/certificates/verify"),
    ("get", "/api/v1/public/filings"),
];

/// The error responses every operation of a kind can give, documented once here rather than
/// on each handler: 401 everywhere (required credentials missing, or any sent credentials
/// invalid), 403 wherever credentials are required (rights), 400/413/415 wherever a body is
/// read, 409/422 and the `Idempotency-Key` header on every mutating request (malformed, too large, not JSON), 429 where the use case rate-limits. A handler's own
/// description of the same status is kept.
struct CommonErrors;

impl CommonErrors {
    fn add(operation: &mut Operation, status: &str, description: &str) {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| {
                RefOr::T(
                    ResponseBuilder::new()
                        .description(description)
                        .content(
                            "application/json",
                            ContentBuilder::new()
                                .schema(Some(Ref::from_schema_name("ErrorBody")))
                                .build(),
                        )
                        .build(),
                )
            });
    }
}

/// The optional `Idempotency-Key` header every mutating request accepts.
fn idempotency_key() -> Parameter {
    ParameterBuilder::new()
        .name("Idempotency-Key")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(
            "Makes the request safe to retry: a repeat with the same key and body returns the \
             first response and has no second effect. 1–128 visible ASCII characters \
             (`INVALID_IDEMPOTENCY_KEY`, 400, otherwise)",
        ))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(128))
                .pattern(Some("^[!-~]+$")),
        ))
        .build()
}

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                ("get", &mut item.get),
                ("put", &mut item.put),
                ("post", &mut item.post),
                ("delete", &mut item.delete),
                ("patch", &mut item.patch),
            ];
            for (method, operation) in operations {
                let Some(operation) = operation.as_mut() else {
                    continue;
                };
                // An operation with a security requirement that is not the empty one needs
                // credentials: missing, expired or wrong ones are 401.
                let secured = operation.security.as_ref().is_some_and(|requirements| {
                    !requirements.is_empty()
                        && requirements.iter().all(|r| {
                            serde_json::to_value(r).is_ok_and(|v| v != serde_json::json!({}))
                        })
                });
                // Credentials are checked wherever they are sent, so a public operation answers
                // 401 to a bad token too.
                Self::add(
                    operation,
                    "401",
                    if secured {
                        "Missing, invalid or expired credentials (`UNAUTHENTICATED`, `INVALID_TOKEN`, …)"
                    } else {
                        "Credentials were sent and are invalid or expired (`INVALID_TOKEN`, …); \
                         this operation needs none"
                    },
                );
                let signed = operation.security.as_ref().is_some_and(|requirements| {
                    requirements
                        .iter()
                        .any(|r| serde_json::to_value(r).is_ok_and(|v| v.get("api_key").is_some()))
                });
                if secured {
                    // Every use case checks the actor's rights: a sub-account without the right,
                    // or a customer on a staff route, is refused; so is an API key outside its
                    // scopes or source networks, and an API key on an interactive-only route.
                    Self::add(
                        operation,
                        "403",
                        "The account lacks the right this operation needs (`FORBIDDEN`), the API \
                         key lacks the scope (`API_KEY_SCOPE_MISSING`) or may not be used from \
                         this address (`API_KEY_SOURCE_NOT_ALLOWED`), or the operation needs a \
                         login session (`INTERACTIVE_SESSION_REQUIRED`)",
                    );
                    Self::add(
                        operation,
                        "400",
                        "Malformed request, or both a signature and `Authorization` were sent \
                         (`AMBIGUOUS_CREDENTIALS`)",
                    );
                }
                if signed {
                    Self::add(
                        operation,
                        "429",
                        "The API key's call quota per minute or per day is used up \
                         (`API_KEY_QUOTA_EXCEEDED`); retry after the `Retry-After` seconds",
                    );
                }
                let body_types: Vec<String> = match &operation.request_body {
                    Some(RefOr::T(body)) => body.content.keys().cloned().collect(),
                    _ => Vec::new(),
                };
                if !body_types.is_empty() {
                    Self::add(
                        operation,
                        "400",
                        "Malformed body, unknown field or invalid value",
                    );
                    Self::add(
                        operation,
                        "413",
                        "Body larger than the limit (`PAYLOAD_TOO_LARGE`)",
                    );
                    Self::add(
                        operation,
                        "415",
                        "Body not of the documented media type (`UNSUPPORTED_MEDIA_TYPE`)",
                    );
                }
                if method != "get" {
                    // The idempotency layer in front of every mutating request.
                    let parameters = operation.parameters.get_or_insert_with(Vec::new);
                    let declared = parameters.iter().any(|p| {
                        matches!(p, RefOr::T(p) if p.name.eq_ignore_ascii_case("Idempotency-Key"))
                    });
                    if !declared {
                        parameters.push(RefOr::T(idempotency_key()));
                    }
                    Self::add(
                        operation,
                        "400",
                        "Malformed request: body, parameter or `Idempotency-Key` \
                         (`INVALID_IDEMPOTENCY_KEY`)",
                    );
                    Self::add(
                        operation,
                        "409",
                        "Conflict with the current state, or a request with this \
                         `Idempotency-Key` is still being processed",
                    );
                    Self::add(
                        operation,
                        "422",
                        "The domain's state or status forbids the operation, or the \
                         `Idempotency-Key` was used with a different request",
                    );
                }
                if RATE_LIMITED.contains(&(method, path.as_str())) {
                    Self::add(
                        operation,
                        "429",
                        "Too many requests; retry after the `Retry-After` seconds",
                    );
                }
            }
        }
    }
}

/// An [`OpenApiRouter`] that also notes every schema name two different types claimed:
/// utoipa keys components by name, so the second type would silently replace the first and
/// responses of the first would be validated against the wrong shape.
struct CheckedRoutes {
    router: OpenApiRouter<AppState>,
    seen: BTreeMap<String, serde_json::Value>,
    collisions: Vec<String>,
}

impl CheckedRoutes {
    fn routes(mut self, routes: UtoipaMethodRouter<AppState>) -> Self {
        for (name, schema) in &routes.0 {
            let shape = serde_json::to_value(schema).unwrap_or(serde_json::Value::Null);
            match self.seen.get(name) {
                Some(known) if *known != shape => {
                    if !self.collisions.contains(name) {
                        self.collisions.push(name.clone());
                    }
                }
                Some(_) => {}
                None => {
                    self.seen.insert(name.clone(), shape);
                }
            }
        }
        self.router = self.router.routes(routes);
        self
    }
}

/// The API routes and their OpenAPI document.
pub fn api_router() -> (Router<AppState>, OpenApiDoc) {
    let (router, document, _) = build();
    (router, document)
}

/// The routes, the document and the schema names claimed by more than one type.
fn build() -> (Router<AppState>, OpenApiDoc, Vec<String>) {
    let checked = CheckedRoutes {
        router: OpenApiRouter::with_openapi(ApiDoc::openapi()),
        seen: BTreeMap::new(),
        collisions: Vec::new(),
    };
    let checked = checked
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(auth::signup))
        .routes(routes!(auth::verify_email))
        .routes(routes!(auth::resend_verification))
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::me))
        .routes(routes!(account_data::export))
        .routes(routes!(
            account_data::request_closure,
            account_data::closure_status,
            account_data::withdraw_closure
        ))
        .routes(routes!(account_data::closure_queue))
        .routes(routes!(account_data::decide_closure))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::passkeys_list))
        .routes(routes!(auth::passkeys_remove))
        .routes(routes!(auth::totp_setup))
        .routes(routes!(auth::totp_enable))
        .routes(routes!(auth::totp_disable))
        .routes(routes!(api_keys::create, api_keys::list))
        .routes(routes!(api_keys::get, api_keys::revoke))
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
        .routes(routes!(contacts::documents))
        .routes(routes!(contacts::upload_document))
        .routes(routes!(contacts::document_content))
        .routes(routes!(review::contact_queue))
        .routes(routes!(review::contact_document))
        .routes(routes!(review::contact_decision))
        .routes(routes!(audit::list))
        .routes(routes!(audit::proof))
        .routes(routes!(audit::tree_head))
        .routes(routes!(audit::tree_head_of_size))
        .routes(routes!(audit::consistency))
        .routes(routes!(admin::create_user))
        .routes(routes!(admin::assist))
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
        .routes(routes!(billing::debit))
        .routes(routes!(billing::request_credit, billing::credit_requests))
        .routes(routes!(billing::decide_credit_request))
        .routes(routes!(billing::credit_limit))
        .routes(routes!(payments::create, payments::list))
        .routes(routes!(payments::methods))
        .routes(routes!(payments::get))
        .routes(routes!(payments::refund, payments::refunds))
        .routes(routes!(payments::notify))
        .routes(routes!(payments::alerts))
        .routes(routes!(payments::resolve_alert))
        .routes(routes!(payments::reconcile))
        .routes(routes!(coupons::create, coupons::list))
        .routes(routes!(coupons::disable))
        .routes(routes!(bank::request, bank::list))
        .routes(routes!(bank::get))
        .routes(routes!(bank::import))
        .routes(routes!(bank::lines))
        .routes(routes!(bank::assign))
        .routes(routes!(services::products))
        .routes(routes!(services::buy))
        .routes(routes!(services::all_products))
        .routes(routes!(services::purchases))
        .routes(routes!(services::set_product))
        .routes(routes!(checkout::place, checkout::list))
        .routes(routes!(checkout::get))
        .routes(routes!(checkout::cancel))
        .routes(routes!(pricing::create_promotion, pricing::promotions))
        .routes(routes!(pricing::disable_promotion))
        .routes(routes!(pricing::levels))
        .routes(routes!(pricing::set_level))
        .routes(routes!(pricing::assign_level))
        .routes(routes!(pricing::set_volume_tiers, pricing::volume_tiers))
        .routes(routes!(help::contents))
        .routes(routes!(help::article))
        .routes(routes!(help::search))
        .routes(routes!(help::code))
        .routes(routes!(help::create))
        .routes(routes!(help::editor_get))
        .routes(routes!(help::save))
        .routes(routes!(help::publish))
        .routes(routes!(help::feedback_list, help::feedback_post))
        .routes(routes!(help::feedback_vote))
        .routes(routes!(help::feedback_status))
        .routes(routes!(complaints::file, complaints::list))
        .routes(routes!(complaints::get))
        .routes(routes!(complaints::queue))
        .routes(routes!(complaints::acknowledge))
        .routes(routes!(complaints::answer))
        .routes(routes!(complaints::export))
        .routes(routes!(tickets::open, tickets::list))
        .routes(routes!(tickets::get))
        .routes(routes!(tickets::message))
        .routes(routes!(tickets::close))
        .routes(routes!(tickets::rate))
        .routes(routes!(tickets::attachment))
        .routes(routes!(tickets::upload_attachment))
        .routes(routes!(tickets::queue))
        .routes(routes!(tickets::update))
        .routes(routes!(invoices::request, invoices::list))
        .routes(routes!(invoices::invoiceable))
        .routes(routes!(invoices::get))
        .routes(routes!(invoices::pdf))
        .routes(routes!(invoices::queue))
        .routes(routes!(invoices::issue))
        .routes(routes!(invoices::reject))
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
        .routes(routes!(dns::history))
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
        .routes(routes!(notifications::set_preference));
    let (router, mut document) = checked.router.split_for_parts();
    CommonErrors.modify(&mut document);
    (router, document, checked.collisions)
}

/// The document alone (for `yuming openapi` and tests).
pub fn document() -> OpenApiDoc {
    api_router().1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_name_belongs_to_one_type() {
        let (_, document, collisions) = build();
        assert_eq!(
            collisions,
            Vec::<String>::new(),
            "schema names claimed twice"
        );
        // The renamed pairs are both present, each with its own shape.
        let schemas = &document.components.as_ref().expect("components").schemas;
        for name in [
            "OrderDto",
            "FilingOrderDto",
            "VerificationDto",
            "CertificateVerificationDto",
        ] {
            assert!(schemas.contains_key(name), "{name} missing");
        }
        let json = serde_json::to_value(&document).expect("json");
        let props = |name: &str| json["components"]["schemas"][name]["properties"].clone();
        assert!(props("OrderDto").get("kind").is_some(), "billing order");
        assert!(
            props("FilingOrderDto").get("operation").is_some(),
            "filing order"
        );
        assert!(props("VerificationDto").get("manual_review").is_some());
        assert!(props("CertificateVerificationDto").get("valid").is_some());
    }

    #[test]
    fn collisions_are_noticed() {
        mod a {
            #[derive(utoipa::ToSchema)]
            #[expect(dead_code, reason = "only its schema is used")]
            pub struct Twin {
                pub left: String,
            }
        }
        mod b {
            #[derive(utoipa::ToSchema)]
            #[expect(dead_code, reason = "only its schema is used")]
            pub struct Twin {
                pub right: i64,
            }
        }
        let mut checked = CheckedRoutes {
            router: OpenApiRouter::new(),
            seen: BTreeMap::new(),
            collisions: Vec::new(),
        };
        for schema in [
            <a::Twin as utoipa::PartialSchema>::schema(),
            <b::Twin as utoipa::PartialSchema>::schema(),
        ] {
            checked = checked.routes((
                vec![("Twin".to_owned(), schema)],
                utoipa::openapi::path::Paths::new(),
                axum::routing::MethodRouter::new(),
            ));
        }
        assert_eq!(checked.collisions, vec!["Twin".to_owned()]);
    }

    #[test]
    fn common_errors_are_documented() {
        let json = serde_json::to_value(document()).expect("json");
        let responses = |method: &str, path: &str| {
            json["paths"][path][method]["responses"]
                .as_object()
                .expect("responses")
                .clone()
        };
        let error_ref = serde_json::json!({"$ref": "#/components/schemas/ErrorBody"});
        // Authenticated, with a JSON body.
        let create = responses("post", "/api/v1/contacts");
        for status in ["400", "401", "413", "415"] {
            assert_eq!(
                create[status]["content"]["application/json"]["schema"], error_ref,
                "POST /contacts {status}"
            );
        }
        // Mutating requests take an Idempotency-Key and document its refusals.
        let params = json["paths"]["/api/v1/contacts"]["post"]["parameters"]
            .as_array()
            .expect("parameters")
            .clone();
        assert!(
            params
                .iter()
                .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header")
        );
        assert!(create.contains_key("409") && create.contains_key("422"));
        let delete = responses("delete", "/api/v1/webhooks/{id}");
        assert!(delete.contains_key("400"), "a malformed Idempotency-Key");
        // Authenticated read: 401 but no body errors.
        let list = responses("get", "/api/v1/contacts");
        assert!(list.contains_key("401") && list.contains_key("403"));
        assert!(!list.contains_key("415") && !list.contains_key("422"));
        // Public, rate-limited; credentials are optional but checked when sent.
        let validate = responses("post", "/api/v1/validate");
        assert!(validate.contains_key("429") && validate.contains_key("415"));
        assert!(
            validate["401"]["description"]
                .as_str()
                .is_some_and(|d| d.contains("needs none"))
        );
        // Every rate-limited operation named exists in the document.
        for (method, path) in RATE_LIMITED {
            assert!(
                responses(method, path).contains_key("429"),
                "{method} {path}"
            );
        }
        assert!(!validate.contains_key("403"), "no rights needed");
        let health = responses("get", "/healthz");
        assert!(!health.contains_key("415"), "no body");
    }
}
