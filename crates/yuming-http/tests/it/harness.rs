//! A router over a fresh database, and helpers to call it.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;
use yuming_app::App;
use yuming_app::AppSettings;
use yuming_app::platform::clock::FakeClock;
use yuming_http::{AppState, HttpSettings};
use yuming_test_support::{TestDb, test_app_with, test_settings};

pub struct Harness {
    pub router: Router,
    pub app: App,
    pub clock: FakeClock,
    pub db: TestDb,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: Value,
    /// The raw body (binary answers such as material files).
    pub body: Vec<u8>,
}

impl Reply {
    /// The error code of an error envelope, after checking the envelope's shape.
    pub fn code(&self) -> &str {
        let error = &self.json["error"];
        assert!(error["message"].is_string(), "no message in {}", self.json);
        assert!(
            error["message_zh"].is_string(),
            "no message_zh in {}",
            self.json
        );
        error["code"].as_str().unwrap_or("")
    }
}

impl Harness {
    pub fn new(db: TestDb) -> Harness {
        Harness::with_settings(db, test_settings())
    }

    pub fn with_settings(db: TestDb, settings: AppSettings) -> Harness {
        let (app, clock) = test_app_with(&db.db, settings);
        let settings = HttpSettings {
            body_limit_bytes: 64 * 1024,
            ..HttpSettings::default()
        };
        let router = yuming_http::router(AppState {
            app: app.clone(),
            settings,
        });
        Harness {
            router,
            app,
            clock,
            db,
        }
    }

    pub async fn send(&self, request: Request<Body>) -> Reply {
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let json = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Reply {
            status,
            headers,
            json,
            body: bytes.to_vec(),
        }
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            builder = builder.header("authorization", format!("Bearer {token}"));
        }
        let body = match body {
            Some(value) => {
                builder = builder.header("content-type", "application/json");
                Body::from(value.to_string())
            }
            None => Body::empty(),
        };
        self.send(builder.body(body).expect("request")).await
    }

    /// Signs up, verifies the address through the mailed link and logs in; returns
    /// (account id, token).
    pub async fn customer(&self, email: &str) -> (String, String) {
        let (id, token) = self.unverified_customer(email).await;
        let link = yuming_test_support::verification_tokens(&self.app, &id)
            .await
            .into_iter()
            .next()
            .expect("a verification link was mailed");
        let verified = self
            .call(
                Method::POST,
                "/api/v1/auth/verify-email",
                None,
                Some(json!({ "token": link })),
            )
            .await;
        assert_eq!(verified.status, StatusCode::NO_CONTENT, "{}", verified.json);
        (id, token)
    }

    /// Signs up and logs in without verifying the address; returns (account id, token).
    pub async fn unverified_customer(&self, email: &str) -> (String, String) {
        let signup = self
            .call(
                Method::POST,
                "/api/v1/auth/signup",
                None,
                Some(json!({
                    "email": email, "password": "correct horse battery", "display_name": "测试"
                })),
            )
            .await;
        assert_eq!(signup.status, StatusCode::ACCEPTED, "{}", signup.json);
        assert_eq!(signup.json["status"], "verification_sent");
        let login = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({
                    "email": email, "password": "correct horse battery"
                })),
            )
            .await;
        assert_eq!(login.status, StatusCode::OK, "{}", login.json);
        (
            login.json["account"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            login.json["token"].as_str().unwrap_or_default().to_owned(),
        )
    }

    /// Creates a staff account of `role` (as an operator would) and logs it in; returns
    /// (account id, token).
    pub async fn staff(&self, email: &str, role: &str) -> (String, String) {
        let view = yuming_app::accounts::create_user(
            &self.app,
            &yuming_app::RequestContext::internal("test"),
            &yuming_core::access::Actor::system(),
            yuming_app::accounts::NewAccountInput {
                email: email.into(),
                password: "correct horse battery".into(),
                display_name: "staff".into(),
            },
            yuming_core::access::Role::parse(role).expect("a role"),
        )
        .await
        .expect("staff account");
        (view.id, self.login(email).await)
    }

    /// Logs in again and returns a new token.
    pub async fn login(&self, email: &str) -> String {
        let login = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({
                    "email": email, "password": "correct horse battery"
                })),
            )
            .await;
        assert_eq!(login.status, StatusCode::OK, "{}", login.json);
        login.json["token"].as_str().unwrap_or_default().to_owned()
    }

    /// Credits a tenant's balance (as finance staff would).
    pub async fn fund(&self, tenant: &str, balance: i64) {
        let operator = yuming_core::access::Actor {
            account_id: "cli".into(),
            tenant_id: String::new(),
            role: yuming_core::access::Role::Admin,
            rights: yuming_core::access::RightSet::all(),
            method: yuming_core::access::AuthMethod::Operator,
        };
        let amount = yuming_core::money::Money::new(balance, yuming_core::money::Currency::Cny);
        yuming_app::billing::credit(
            &self.app,
            &yuming_app::RequestContext::internal("test"),
            &operator,
            tenant,
            amount,
            "test",
        )
        .await
        .expect("credit");
    }

    /// Funds a tenant and submits a registrant contact through the API; returns its id.
    pub async fn fund_and_contact(&self, tenant: &str, token: &str, balance: i64) -> String {
        self.fund(tenant, balance).await;
        let contact = self
            .call(Method::POST, "/api/v1/contacts", Some(token), Some(json!({
                "kind": "person", "name": "张三", "id_type": "resident_id",
                "id_number": "11010519491231002X", "email": "holder@example.com",
                "phone": "+86.13800138000",
                "address": {"country": "CN", "province": "北京市", "city": "北京市", "street": "长安街 1 号"}
            })))
            .await;
        assert_eq!(contact.status, StatusCode::CREATED, "{}", contact.json);
        contact.json["id"].as_str().unwrap_or_default().to_owned()
    }

    /// The number of audit entries (each state change writes one).
    pub async fn audit_count(&self) -> i64 {
        yuming_app::platform::audit::verify(&self.app)
            .await
            .expect("verify")
            .expect("chain intact")
    }
}
