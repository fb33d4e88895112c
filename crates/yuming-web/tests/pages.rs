//! The console through its router (no socket, no browser), each on SQLite and PostgreSQL:
//! sessions and their cookies, CSRF, redirects, languages, errors beside their fields, the
//! 404 split between pages and the API, and the asset cache headers. The journeys in a real
//! browser are in `crates/yuming/tests/console.rs`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;
use yuming_app::App;
use yuming_test_support::{TestDb, both_backends, fixtures, test_app};
use yuming_web::{WebSettings, WebState};

/// A JSON 404 standing in for the API router behind the console.
fn api_stand_in() -> Router {
    Router::new()
        .route(
            "/api/v1/things/{id}/echo",
            axum::routing::post(
                |axum::extract::Path(id): axum::extract::Path<String>| async move { id },
            ),
        )
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"error":{"code":"NOT_FOUND"}}"#,
            )
        })
}

/// A browser's share of the protocol: a cookie jar and the answers as text.
struct Browser {
    router: Router,
    cookies: HashMap<String, String>,
    accept_language: &'static str,
}

struct Answer {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Answer {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }

    /// The CSRF token of the page's first form.
    fn csrf(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self.body.find(marker).expect("a form with a CSRF token") + marker.len();
        self.body[start..start + 64].to_owned()
    }
}

impl Browser {
    fn new(app: &App, settings: WebSettings) -> Browser {
        let state = WebState {
            app: app.clone(),
            settings: Arc::new(settings),
        };
        Browser {
            router: yuming_web::router(state, api_stand_in()),
            cookies: HashMap::new(),
            accept_language: "zh-CN,zh;q=0.9",
        }
    }

    async fn send(&mut self, request: axum::http::request::Builder, body: Body) -> Answer {
        let cookie: Vec<String> = self
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        let request = request
            .header(header::COOKIE, cookie.join("; "))
            .header(header::ACCEPT, "text/html")
            .header(header::ACCEPT_LANGUAGE, self.accept_language)
            .header(header::HOST, "console.test")
            .body(body)
            .expect("request");
        let response = self.router.clone().oneshot(request).await.expect("answer");
        let status = response.status();
        let headers = response.headers().clone();
        for value in headers.get_all(header::SET_COOKIE) {
            let text = value.to_str().expect("ascii cookie");
            let pair = text.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
        let bytes = axum::body::to_bytes(response.into_body(), 4 << 20)
            .await
            .expect("body");
        Answer {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&mut self, path: &str) -> Answer {
        self.send(Request::get(path), Body::empty()).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let body = serde_urlencoded::to_string(fields).expect("form");
        self.send(
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            Body::from(body),
        )
        .await
    }

    /// Logs in through the form; returns the answer of the POST.
    async fn log_in(&mut self, email: &str, password: &str) -> Answer {
        let form = self.get("/login").await;
        let csrf = form.csrf();
        self.post(
            "/login",
            &[
                ("csrf_token", &csrf),
                ("email", email),
                ("password", password),
                ("next", "/console/domains"),
            ],
        )
        .await
    }
}

const PASSWORD: &str = "correct horse battery";

async fn customer(app: &App, email: &str) {
    let mut input = fixtures::account_input(email);
    input.password = PASSWORD.to_owned();
    yuming_test_support::signup_verified(app, &fixtures::ctx(), input)
        .await
        .expect("sign-up");
}

both_backends!(
    signed_out_console_pages_lead_to_login_and_back,
    |db: TestDb| async move {
        let (app, _clock) = test_app(&db.db);
        customer(&app, "ann@example.com").await;
        let mut browser = Browser::new(&app, WebSettings::default());

        for path in ["/console", "/console/domains", "/console/no-such-page"] {
            let answer = browser.get(path).await;
            assert_eq!(answer.status, StatusCode::SEE_OTHER, "{path}");
            let next = serde_urlencoded::to_string([("next", path)]).expect("query");
            assert_eq!(answer.location(), format!("/login?{next}"), "{path}");
        }

        let answer = browser.log_in("ann@example.com", PASSWORD).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER);
        assert_eq!(
            answer.location(),
            "/console/domains",
            "back where they were going"
        );
        let cookie = answer.set_cookie("ym_session").expect("a session cookie");
        assert!(cookie.contains("HttpOnly"), "{cookie}");
        assert!(cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
        let page = browser.get("/console/domains").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("您还没有域名"), "{}", page.body);

        // A signed-in visitor on an unknown console page gets the 404 page, not a login.
        let missing = browser.get("/console/no-such-page").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert!(missing.body.contains("页面不存在"));

        // A `next` that leaves the site is ignored.
        let mut other = Browser::new(&app, WebSettings::default());
        let form = other.get("/login").await;
        let csrf = form.csrf();
        let answer = other
            .post(
                "/login",
                &[
                    ("csrf_token", &csrf),
                    ("email", "ann@example.com"),
                    ("password", PASSWORD),
                    ("next", "//evil.example/steal"),
                ],
            )
            .await;
        assert_eq!(answer.location(), "/console");
    }
);

both_backends!(
    logout_ends_the_session_everywhere_it_was_used,
    |db: TestDb| async move {
        let (app, _clock) = test_app(&db.db);
        customer(&app, "bob@example.com").await;
        let mut browser = Browser::new(
            &app,
            WebSettings {
                secure_cookies: true,
                ..WebSettings::default()
            },
        );
        let answer = browser.log_in("bob@example.com", PASSWORD).await;
        let cookie = answer.set_cookie("ym_session").expect("session cookie");
        assert!(cookie.contains("; Secure"), "over TLS: {cookie}");
        let session = browser.cookies["ym_session"].clone();

        let page = browser.get("/console").await;
        let csrf = page.csrf();
        let out = browser.post("/logout", &[("csrf_token", &csrf)]).await;
        assert_eq!(out.status, StatusCode::SEE_OTHER);
        assert!(
            out.set_cookie("ym_session")
                .is_some_and(|c| c.contains("Max-Age=0"))
        );

        // The old cookie, replayed, is no longer a session.
        browser.cookies.insert("ym_session".into(), session);
        let again = browser.get("/console").await;
        assert_eq!(again.status, StatusCode::SEE_OTHER);
        assert!(again.location().starts_with("/login"));
    }
);

both_backends!(
    forms_need_the_token_of_their_own_visitor,
    |db: TestDb| async move {
        let (app, _clock) = test_app(&db.db);
        customer(&app, "cat@example.com").await;
        let mut browser = Browser::new(&app, WebSettings::default());
        let form = browser.get("/login").await;
        let csrf = form.csrf();

        // No token, a wrong token, and another visitor's token are all refused before anything
        // is looked at.
        let mut stranger = Browser::new(&app, WebSettings::default());
        let strangers_token = stranger.get("/login").await.csrf();
        for token in ["", "00", strangers_token.as_str()] {
            let answer = browser
                .post(
                    "/login",
                    &[
                        ("csrf_token", token),
                        ("email", "cat@example.com"),
                        ("password", PASSWORD),
                    ],
                )
                .await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "token {token:?}");
            assert!(answer.body.contains("页面已过期"));
            assert!(answer.set_cookie("ym_session").is_none());
        }

        // The right token from a page of another site (a cross-site POST carries its Origin).
        let forged = browser
            .send(
                Request::post("/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::ORIGIN, "https://evil.example"),
                Body::from(
                    serde_urlencoded::to_string([
                        ("csrf_token", csrf.as_str()),
                        ("email", "cat@example.com"),
                        ("password", PASSWORD),
                    ])
                    .expect("form"),
                ),
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);

        // After login the token is bound to the session: the pre-login one no longer works.
        browser.log_in("cat@example.com", PASSWORD).await;
        let out = browser.post("/logout", &[("csrf_token", &csrf)]).await;
        assert_eq!(out.status, StatusCode::FORBIDDEN);
    }
);

both_backends!(
    errors_stand_beside_their_fields_and_keep_the_input,
    |db: TestDb| async move {
        let (app, _clock) = test_app(&db.db);
        let mut browser = Browser::new(&app, WebSettings::default());
        let csrf = browser.get("/signup").await.csrf();
        let answer = browser
            .post(
                "/signup",
                &[
                    ("csrf_token", &csrf),
                    ("email", "not-an-address"),
                    ("display_name", "Dora"),
                    ("password", PASSWORD),
                    ("agree", "on"),
                ],
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            answer.body.contains("id=\"e-email\">电子邮箱地址无效<"),
            "the API's message_zh beside the field: {}",
            answer.body
        );
        assert!(answer.body.contains("value=\"not-an-address\""), "kept");
        assert!(answer.body.contains("value=\"Dora\""), "kept");
        assert!(
            !answer.body.contains(PASSWORD),
            "a password is never echoed"
        );

        // The same in English, from the visitor's Accept-Language.
        browser.accept_language = "en-GB,en;q=0.9";
        let csrf = browser.get("/signup").await.csrf();
        let answer = browser
            .post(
                "/signup",
                &[
                    ("csrf_token", &csrf),
                    ("email", "dora@example.com"),
                    ("display_name", "Dora"),
                    ("password", "short"),
                    ("agree", "on"),
                ],
            )
            .await;
        assert!(answer.body.contains("<html lang=\"en\">"));
        assert!(
            answer
                .body
                .contains("id=\"e-password\">password must have at least"),
            "{}",
            answer.body
        );
    }
);

both_backends!(
    the_language_is_chosen_and_remembered,
    |db: TestDb| async move {
        let (app, _clock) = test_app(&db.db);
        let mut browser = Browser::new(&app, WebSettings::default());
        let home = browser.get("/").await;
        assert!(home.body.contains("<html lang=\"zh-CN\">"));
        assert!(home.body.contains("name=\"q\""), "the search box");

        let switched = browser.get("/lang/en?back=%2Fsearch%3Fq%3Dexample").await;
        assert_eq!(switched.status, StatusCode::SEE_OTHER);
        assert_eq!(switched.location(), "/search?q=example");
        assert!(
            switched
                .set_cookie("ym_lang")
                .is_some_and(|c| c.starts_with("ym_lang=en;"))
        );
        let search = browser.get("/search?q=example").await;
        assert!(search.body.contains("<html lang=\"en\">"));
        assert!(search.body.contains("example.com"), "{}", search.body);

        // The way back never leaves the site.
        for back in [
            "https://evil.example/",
            "//evil.example/",
            "/\\evil.example",
        ] {
            let query = serde_urlencoded::to_string([("back", back)]).expect("query");
            let answer = browser.get(&format!("/lang/zh-CN?{query}")).await;
            assert_eq!(answer.location(), "/", "{back}");
        }
        let home = browser.get("/").await;
        assert!(home.body.contains("<html lang=\"zh-CN\">"));
    }
);

both_backends!(
    pages_and_api_have_their_own_not_found,
    |db: TestDb| async move {
        let (app, _clock) = test_app(&db.db);
        let mut browser = Browser::new(&app, WebSettings::default());
        let page = browser.get("/no-such-page").await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(page.body.starts_with("<!DOCTYPE html>"), "{}", page.body);
        let api = browser.get("/api/v1/no-such-endpoint").await;
        assert_eq!(api.status, StatusCode::NOT_FOUND);
        assert!(api.body.starts_with('{'), "{}", api.body);

        // Every page comes with the headers that keep it from being framed, sniffed, cached or
        // running inline script.
        let home = browser.get("/").await;
        let csp = home.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .expect("csp");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        assert_eq!(home.headers[header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(home.headers[header::CACHE_CONTROL], "no-store");
    }
);

both_backends!(assets_are_versioned_and_cached, |db: TestDb| async move {
    let (app, _clock) = test_app(&db.db);
    let mut browser = Browser::new(&app, WebSettings::default());
    let home = browser.get("/").await;
    let start = home.body.find("/assets/app.css?v=").expect("versioned css");
    let url: String = home.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    let css = browser.get(&url).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers[header::CONTENT_TYPE], "text/css; charset=utf-8");
    assert!(
        css.headers[header::CACHE_CONTROL]
            .to_str()
            .is_ok_and(|c| c.contains("immutable"))
    );
    let etag = css.headers[header::ETAG].to_str().expect("etag").to_owned();
    let again = browser
        .send(
            Request::get(&url).header(header::IF_NONE_MATCH, etag),
            Body::empty(),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    let manifest = browser.get("/manifest.webmanifest").await;
    assert_eq!(manifest.status, StatusCode::OK);
    assert!(manifest.body.contains("\"start_url\": \"/console\""));
    assert_eq!(browser.get("/sw.js").await.status, StatusCode::OK);
    assert_eq!(
        browser.get("/assets/no-such-file.css").await.status,
        StatusCode::NOT_FOUND
    );

    // The page weight goal: every page's HTML, CSS and script well under 100 KB.
    let weight: usize = yuming_web::assets::sizes()
        .iter()
        .filter(|(name, _)| name == "app.css" || name == "app.js")
        .map(|(_, size)| size)
        .sum::<usize>()
        + home.body.len();
    assert!(weight < 100 * 1024, "home page weighs {weight} bytes");
});

/// The text between `start` and the next `end` in `body`.
fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let from = body
        .find(start)
        .unwrap_or_else(|| panic!("{start} in {body}"))
        + start.len();
    let to = body[from..].find(end).expect("end marker") + from;
    &body[from..to]
}

both_backends!(
    security_two_step_sessions_and_keys,
    |db: TestDb| async move {
        let (app, clock) = test_app(&db.db);
        customer(&app, "eve@example.com").await;
        let mut laptop = Browser::new(&app, WebSettings::default());
        laptop.log_in("eve@example.com", PASSWORD).await;

        // Two-step verification: the secret is shown once, as a QR code and as text, and the
        // first code from the authenticator turns it on.
        let page = laptop.get("/console/security").await;
        assert_eq!(page.status, StatusCode::OK);
        let begun = laptop
            .post(
                "/console/security/totp/begin",
                &[("csrf_token", &page.csrf())],
            )
            .await;
        assert_eq!(begun.status, StatusCode::OK);
        assert!(
            begun.body.contains("src=\"data:image/svg+xml;base64,"),
            "a QR code"
        );
        let secret = between(&begun.body, "<code class=\"mono break\">", "<").to_owned();
        let secret = yuming_core::totp::base32_decode(&secret).expect("base32 secret");
        let wrong = laptop
            .post(
                "/console/security/totp/enable",
                &[("csrf_token", &begun.csrf()), ("code", "000000")],
            )
            .await;
        assert!(wrong.body.contains("id=\"e-code\""), "{}", wrong.body);
        let code = yuming_core::totp::code_at(&secret, app.now());
        let on = laptop
            .post(
                "/console/security/totp/enable",
                &[("csrf_token", &begun.csrf()), ("code", &code)],
            )
            .await;
        assert_eq!(on.location(), "/console/security?done=totp-on");

        // Logging in elsewhere now takes the code as a second step.
        clock.advance_secs(60);
        let mut phone = Browser::new(&app, WebSettings::default());
        let step = phone.log_in("eve@example.com", PASSWORD).await;
        assert_eq!(step.status, StatusCode::UNAUTHORIZED);
        assert!(step.body.contains("name=\"totp\""), "{}", step.body);
        assert!(!phone.cookies.contains_key("ym_session"));
        let code = yuming_core::totp::code_at(&secret, app.now());
        let done = phone
            .post(
                "/login",
                &[
                    ("csrf_token", &step.csrf()),
                    ("email", "eve@example.com"),
                    ("password", PASSWORD),
                    ("totp", &code),
                    ("next", "/console/security"),
                ],
            )
            .await;
        assert_eq!(done.location(), "/console/security");

        // The phone sees both sessions and ends the laptop's.
        let page = phone.get("/console/security").await;
        assert_eq!(
            page.body.matches("/revoke\"><input").count(),
            1,
            "{}",
            page.body
        );
        let action = between(
            &page.body,
            "<form method=\"post\" action=\"/console/security/sessions/",
            "\"",
        );
        let ended = phone
            .post(
                &format!("/console/security/sessions/{action}"),
                &[("csrf_token", &page.csrf())],
            )
            .await;
        assert_eq!(ended.location(), "/console/security?done=session-ended");
        assert_eq!(laptop.get("/console").await.status, StatusCode::SEE_OTHER);

        // An API key's secret is on the answer to its creation only.
        let page = phone.get("/console/security").await;
        let created = phone
            .post(
                "/console/security/api-keys",
                &[
                    ("csrf_token", &page.csrf()),
                    ("name", "deploy"),
                    ("scopes", "read"),
                    ("scopes", "dns"),
                ],
            )
            .await;
        assert_eq!(created.status, StatusCode::OK);
        let secret = between(&created.body, "id=\"new-secret\">", "<").to_owned();
        assert!(secret.len() > 40);
        let later = phone.get("/console/security").await;
        assert!(!later.body.contains(&secret));
        assert!(later.body.contains("deploy"));
        let refused = phone
            .post(
                "/console/security/api-keys",
                &[("csrf_token", &later.csrf()), ("name", "none")],
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert!(
            refused.body.contains("class=\"error\""),
            "the scope error beside the scopes"
        );

        // Everywhere: this session too.
        let out = phone
            .post(
                "/console/security/sessions/end-all",
                &[("csrf_token", &later.csrf())],
            )
            .await;
        assert_eq!(out.location(), "/login?done=logged-out-everywhere");
        assert_eq!(phone.get("/console").await.status, StatusCode::SEE_OTHER);
    }
);

both_backends!(notices_are_read_in_the_console, |db: TestDb| async move {
    use yuming_app::notify::kinds::NoticeKind;
    use yuming_app::notify::notices::{self, NoticeRequest};

    let (app, _clock) = test_app(&db.db);
    customer(&app, "fay@example.com").await;
    let mut browser = Browser::new(&app, WebSettings::default());
    browser.log_in("fay@example.com", PASSWORD).await;
    let empty = browser.get("/console/notices").await;
    assert!(empty.body.contains("暂无通知"), "{}", empty.body);
    assert!(!empty.body.contains("class=\"count\""));

    // A low-balance notice, as the ledger would leave it.
    let account = yuming_app::accounts::tenant_of_email(&app, "fay@example.com")
        .await
        .expect("account");
    let mut params = serde_json::Map::new();
    params.insert("balance".into(), "10.00 CNY".into());
    params.insert("threshold".into(), "50.00 CNY".into());
    let request = NoticeRequest {
        account_id: account,
        kind: NoticeKind::LowBalance,
        occasion: "low_balance:CNY:1".into(),
        params,
        sms_to: None,
    };
    let mut tx = app.db().write().await.expect("tx");
    notices::enqueue(&mut tx, &request, app.now().0)
        .await
        .expect("enqueue");
    tx.commit().await.expect("commit");

    let page = browser.get("/console/notices").await;
    assert!(
        page.body.contains("class=\"count\""),
        "the unread count in the top bar"
    );
    assert!(page.body.contains("1 条未读"), "{}", page.body);
    let id = between(&page.body, "action=\"/console/notices/", "/read\"").to_owned();
    let read = browser
        .post(
            &format!("/console/notices/{id}/read"),
            &[("csrf_token", &page.csrf())],
        )
        .await;
    assert_eq!(read.location(), "/console/notices");
    let page = browser.get("/console/notices").await;
    assert!(!page.body.contains("class=\"count\""));
    assert!(page.body.contains("0 条未读"));

    // Another account's notice cannot be marked.
    let mut other = Browser::new(&app, WebSettings::default());
    customer(&app, "gus@example.com").await;
    other.log_in("gus@example.com", PASSWORD).await;
    let theirs = other.get("/console/notices").await;
    let denied = other
        .post(
            &format!("/console/notices/{id}/read"),
            &[("csrf_token", &theirs.csrf())],
        )
        .await;
    assert_eq!(denied.status, StatusCode::NOT_FOUND);
});

/// A registrant contact (pending review) of `owner`, created as the API would.
async fn contact_of(app: &App, owner: &yuming_core::access::Actor) -> String {
    use yuming_app::registrar::contacts::{self, AddressFields, NewContactInput};
    contacts::create(
        app,
        &fixtures::ctx(),
        owner,
        &NewContactInput {
            kind: "person".into(),
            name: "张三".into(),
            id_type: "resident_id".into(),
            id_number: "11010519491231002X".into(),
            email: "holder@example.com".into(),
            phone: "13800138000".into(),
            address: AddressFields {
                country: "CN".into(),
                province: "北京".into(),
                city: "北京".into(),
                street: "长安街 1 号".into(),
                postal_code: None,
            },
        },
    )
    .await
    .expect("contact")
    .id
}

/// Registers `name` for `owner` (with a new contact), paid from its balance.
async fn register(app: &App, owner: &yuming_core::access::Actor, name: &str) {
    use yuming_app::registrar::domains::{self, RegisterInput};
    let contact = contact_of(app, owner).await;
    domains::register(
        app,
        &fixtures::ctx(),
        owner,
        RegisterInput {
            name: name.into(),
            years: 1,
            registrant_contact_id: contact,
            nameservers: None,
            auto_renew: false,
        },
    )
    .await
    .expect("register");
}

both_backends!(a_domain_is_managed_from_its_page, |db: TestDb| async move {
    use yuming_app::registrar::domains;

    let (app, _clock) = test_app(&db.db);
    let owner = fixtures::funded_customer(&app, "hal@example.com", 100_000).await;
    register(&app, &owner, "hal-example.com").await;
    let mut browser = Browser::new(&app, WebSettings::default());
    browser.log_in("hal@example.com", fixtures::PASSWORD).await;

    let page = browser.get("/console/domains/hal-example.com").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("未锁定"), "{}", page.body);
    let locked = browser
        .post(
            "/console/domains/hal-example.com/lock",
            &[("csrf_token", &page.csrf()), ("enabled", "true")],
        )
        .await;
    assert_eq!(
        locked.location(),
        "/console/domains/hal-example.com?done=locked"
    );
    let page = browser
        .get("/console/domains/hal-example.com?done=locked")
        .await;
    assert!(page.body.contains("注册商锁已开启"));
    assert!(page.body.contains("clientTransferProhibited"));

    // The auth code is shown on the answer to the button only.
    let shown = browser
        .post(
            "/console/domains/hal-example.com/auth-code",
            &[("csrf_token", &page.csrf())],
        )
        .await;
    let code = between(&shown.body, "id=\"auth-code-value\">", "<").to_owned();
    let expected = domains::auth_code(&app, &fixtures::ctx(), &owner, "hal-example.com", false)
        .await
        .expect("auth code");
    assert_eq!(code, expected);
    assert!(
        !browser
            .get("/console/domains/hal-example.com")
            .await
            .body
            .contains(&code)
    );

    // A nameserver the rules refuse stands beside the field; nothing changes.
    let refused = browser
        .post(
            "/console/domains/hal-example.com/nameservers",
            &[("csrf_token", &page.csrf()), ("nameservers", "not a host!")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("id=\"e-ns\""), "{}", refused.body);
    assert!(refused.body.contains("not a host!"), "the input is kept");

    // Another customer sees no such domain.
    customer(&app, "ida@example.com").await;
    let mut stranger = Browser::new(&app, WebSettings::default());
    stranger.log_in("ida@example.com", PASSWORD).await;
    assert_eq!(
        stranger
            .get("/console/domains/hal-example.com")
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let csrf = stranger.get("/console").await.csrf();
    let theirs = stranger
        .post(
            "/console/domains/hal-example.com/lock",
            &[("csrf_token", &csrf), ("enabled", "false")],
        )
        .await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
});

both_backends!(
    billing_shows_money_exactly_and_keeps_the_reminder,
    |db: TestDb| async move {
        let (app, _clock) = test_app(&db.db);
        fixtures::funded_customer(&app, "jo@example.com", 123_456_789).await;
        let mut browser = Browser::new(&app, WebSettings::default());
        browser.log_in("jo@example.com", fixtures::PASSWORD).await;
        let page = browser.get("/console/billing").await;
        assert!(page.body.contains("¥1,234,567.89"), "{}", page.body);
        assert!(
            page.body.contains("+¥1,234,567.89"),
            "the top-up in the statement"
        );

        let saved = browser
            .post(
                "/console/billing/threshold",
                &[("csrf_token", &page.csrf()), ("amount", "88.50")],
            )
            .await;
        assert_eq!(saved.location(), "/console/billing?done=threshold-saved");
        let page = browser.get("/console/billing").await;
        assert!(page.body.contains("value=\"88.50\""), "{}", page.body);

        // Not an amount, and an amount needing rounding: refused beside the field, input kept.
        for bad in ["a lot", "1.005"] {
            let refused = browser
                .post(
                    "/console/billing/threshold",
                    &[("csrf_token", &page.csrf()), ("amount", bad)],
                )
                .await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
            assert!(refused.body.contains("id=\"e-amount\""), "{bad}");
            assert!(refused.body.contains(&format!("value=\"{bad}\"")), "{bad}");
        }
        let page = browser.get("/console/billing").await;
        assert!(page.body.contains("value=\"88.50\""), "nothing changed");
    }
);

both_backends!(
    a_transfer_in_is_paid_once_and_answered_by_the_holder,
    |db: TestDb| async move {
        use yuming_app::registrar::{contacts, domains};
        use yuming_core::access::Role;

        let (app, clock) = test_app(&db.db);
        let holder = fixtures::funded_customer(&app, "kim@example.com", 100_000).await;
        register(&app, &holder, "kim-example.com").await;
        // Past the 60 days after registration in which a name cannot be transferred.
        clock.advance_days(61);
        let code = domains::auth_code(&app, &fixtures::ctx(), &holder, "kim-example.com", false)
            .await
            .expect("code");
        let gainer = fixtures::funded_customer(&app, "lee@example.com", 100_000).await;
        let contact = contact_of(&app, &gainer).await;
        let reviewer = fixtures::staff(&app, "rev@example.com", Role::Reviewer).await;
        contacts::decide(&app, &fixtures::ctx(), &reviewer, &contact, "approve", None)
            .await
            .expect("approve");

        let mut browser = Browser::new(&app, WebSettings::default());
        browser.log_in("lee@example.com", fixtures::PASSWORD).await;
        let page = browser.get("/console/transfers").await;
        assert_eq!(page.status, StatusCode::OK);
        let key = between(&page.body, "name=\"form_key\" value=\"", "\"").to_owned();
        let form = [
            ("csrf_token", page.csrf()),
            ("form_key", key),
            ("name", "kim-example.com".to_owned()),
            ("auth_code", "wrong-code-1".to_owned()),
            ("contact_id", contact.clone()),
        ];
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = browser.post("/console/transfers", &form).await;
        assert!(
            refused.body.contains("id=\"e-auth_code\""),
            "{}",
            refused.body
        );
        assert!(refused.body.contains("value=\"kim-example.com\""));

        // The right code, sent twice from the same rendering: one transfer, one charge.
        let page = browser.get("/console/transfers").await;
        let key = between(&page.body, "name=\"form_key\" value=\"", "\"").to_owned();
        let form = [
            ("csrf_token", page.csrf()),
            ("form_key", key),
            ("name", "kim-example.com".to_owned()),
            ("auth_code", code.clone()),
            ("contact_id", contact.clone()),
        ];
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        for _ in 0..2 {
            let sent = browser.post("/console/transfers", &form).await;
            assert_eq!(
                sent.location(),
                "/console/transfers?done=transfer-requested",
                "{}",
                sent.body
            );
        }
        let balance =
            yuming_app::billing::balance(&app, &gainer, yuming_core::money::Currency::Cny)
                .await
                .expect("balance");
        let transfers = yuming_app::registrar::transfers::list(&app, &gainer, 10)
            .await
            .expect("transfers");
        assert_eq!(transfers.len(), 1);
        assert_eq!(balance.balance.minor(), 100_000 - transfers[0].fee.minor());
        let page = browser
            .get("/console/transfers?done=transfer-requested")
            .await;
        assert!(page.body.contains("进行中"));

        // The holder approves it from the same page; the domain changes hands.
        let mut holding = Browser::new(&app, WebSettings::default());
        holding.log_in("kim@example.com", fixtures::PASSWORD).await;
        let page = holding.get("/console/transfers").await;
        assert!(page.body.contains("同意转出"), "{}", page.body);
        let approved = holding
            .post(
                "/console/transfers/decide/kim-example.com",
                &[("csrf_token", &page.csrf()), ("approve", "true")],
            )
            .await;
        assert_eq!(
            approved.location(),
            "/console/transfers?done=transfer-approved"
        );
        let mine = browser.get("/console/domains").await;
        assert!(mine.body.contains("kim-example.com"), "{}", mine.body);
        assert_eq!(
            holding.get("/console/domains/kim-example.com").await.status,
            StatusCode::NOT_FOUND
        );

        // The log of the account shows it, in words.
        let log = browser.get("/console/audit").await;
        assert!(log.body.contains("完成转移"), "{}", log.body);
        assert!(log.body.contains("登录"));
    }
);

both_backends!(
    the_domain_list_is_filtered_and_paged_with_its_filters,
    |db: TestDb| async move {
        let (app, _clock) = test_app(&db.db);
        let owner = fixtures::funded_customer(&app, "max@example.com", 1_000_000).await;
        for name in ["max-shop.com", "max-blog.com", "max-shop.net"] {
            register(&app, &owner, name).await;
        }
        let mut browser = Browser::new(&app, WebSettings::default());
        browser.log_in("max@example.com", fixtures::PASSWORD).await;
        let all = browser.get("/console/domains").await;
        assert_eq!(all.body.matches("href=\"/console/domains/max-").count(), 3);
        let shops = browser.get("/console/domains?q=shop&tld=com").await;
        assert_eq!(
            shops.body.matches("href=\"/console/domains/max-").count(),
            1,
            "{}",
            shops.body
        );
        assert!(shops.body.contains("max-shop.com"));
        assert!(
            shops.body.contains("value=\"shop\""),
            "the filter stays in its field"
        );
        let none = browser.get("/console/domains?state=expired").await;
        assert!(none.body.contains("没有符合条件的域名"));
        // A filter no state has, and a non-number of days, are ignored rather than refused.
        let lenient = browser
            .get("/console/domains?state=bogus&within=soon")
            .await;
        assert_eq!(lenient.status, StatusCode::OK);
        assert_eq!(
            lenient.body.matches("href=\"/console/domains/max-").count(),
            3
        );
    }
);

both_backends!(
    a_change_of_holder_is_offered_and_accepted,
    |db: TestDb| async move {
        use yuming_app::registrar::contacts;
        use yuming_core::access::Role;

        let (app, _clock) = test_app(&db.db);
        let giver = fixtures::funded_customer(&app, "ned@example.com", 100_000).await;
        register(&app, &giver, "ned-example.com").await;
        let taker = fixtures::customer(&app, "ola@example.com").await;
        let profile = contact_of(&app, &taker).await;
        let reviewer = fixtures::staff(&app, "rev2@example.com", Role::Reviewer).await;
        contacts::decide(&app, &fixtures::ctx(), &reviewer, &profile, "approve", None)
            .await
            .expect("approve");

        let mut giving = Browser::new(&app, WebSettings::default());
        giving.log_in("ned@example.com", fixtures::PASSWORD).await;
        let page = giving.get("/console/domains/ned-example.com").await;
        let wrong = giving
            .post(
                "/console/domains/ned-example.com/holder-change",
                &[
                    ("csrf_token", &page.csrf()),
                    ("to_email", "ola@example.com"),
                    ("to_contact_id", "con_not_theirs"),
                ],
            )
            .await;
        assert!(
            wrong.body.contains("class=\"alert error\"")
                || wrong.body.contains("id=\"e-to_contact_id\"")
        );
        assert!(
            wrong.body.contains("value=\"ola@example.com\""),
            "the input is kept"
        );
        let offered = giving
            .post(
                "/console/domains/ned-example.com/holder-change",
                &[
                    ("csrf_token", &page.csrf()),
                    ("to_email", "ola@example.com"),
                    ("to_contact_id", &profile),
                ],
            )
            .await;
        assert_eq!(offered.location(), "/console/transfers?done=holder-offered");

        let mut taking = Browser::new(&app, WebSettings::default());
        taking.log_in("ola@example.com", fixtures::PASSWORD).await;
        let contacts_page = taking.get("/console/contacts").await;
        assert!(
            contacts_page.body.contains(&profile),
            "the profile id is shown to share"
        );
        let page = taking.get("/console/transfers").await;
        let id = between(&page.body, "action=\"/console/transfers/", "/accept\"").to_owned();
        let accepted = taking
            .post(
                &format!("/console/transfers/{id}/accept"),
                &[("csrf_token", &page.csrf())],
            )
            .await;
        assert_eq!(
            accepted.location(),
            "/console/transfers?done=holder-accepted"
        );
        assert!(
            taking
                .get("/console/domains")
                .await
                .body
                .contains("ned-example.com")
        );
        assert_eq!(
            giving.get("/console/domains/ned-example.com").await.status,
            StatusCode::NOT_FOUND
        );
    }
);

both_backends!(
    a_cancellation_is_started_by_typing_the_name_and_walked_step_by_step,
    |db: TestDb| async move {
        let (app, _clock) = test_app(&db.db);
        let owner = fixtures::funded_customer(&app, "pia@example.com", 100_000).await;
        register(&app, &owner, "pia-example.com").await;
        let mut browser = Browser::new(&app, WebSettings::default());
        browser.log_in("pia@example.com", fixtures::PASSWORD).await;

        let page = browser.get("/console/domains/pia-example.com").await;
        let mistyped = browser
            .post(
                "/console/domains/pia-example.com/cancel",
                &[
                    ("csrf_token", &page.csrf()),
                    ("confirm_name", "pia-example.co"),
                ],
            )
            .await;
        assert_eq!(mistyped.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            mistyped.body.contains("id=\"e-confirm_name\""),
            "{}",
            mistyped.body
        );
        // Every form the answer renders can still be sent: the renewal keeps its own key.
        assert!(
            mistyped.body.contains("name=\"form_key\" value=\"web-"),
            "{}",
            mistyped.body
        );
        let started = browser
            .post(
                "/console/domains/pia-example.com/cancel",
                &[
                    ("csrf_token", &page.csrf()),
                    ("confirm_name", "pia-example.com"),
                ],
            )
            .await;
        let location = started.location().to_owned();
        assert!(
            location.starts_with("/console/cancellations/can_"),
            "{location}"
        );

        // The steps in order; one out of order is refused with the rule's message.
        let page = browser.get(&location).await;
        assert!(page.body.contains("注销不可撤销"));
        let early = browser
            .post(
                &format!("{location}/steps/export"),
                &[("csrf_token", &page.csrf())],
            )
            .await;
        assert!(
            early.body.contains("class=\"alert error\""),
            "{}",
            early.body
        );
        for step in ["status", "filings", "export", "final_notice"] {
            let page = browser.get(&location).await;
            if step == "export" {
                let archive = browser.get(&format!("{location}/export")).await;
                assert_eq!(archive.status, StatusCode::OK);
                assert_eq!(archive.headers[header::CONTENT_TYPE], "application/zip");
            }
            let confirmed = browser
                .post(
                    &format!("{location}/steps/{step}"),
                    &[("csrf_token", &page.csrf())],
                )
                .await;
            assert_eq!(
                confirmed.location(),
                location,
                "step {step}: {}",
                confirmed.body
            );
        }
        // Ready to submit: a wrong code stands beside its field, nothing is submitted.
        let page = browser.get(&location).await;
        assert!(page.body.contains("/submit\""), "{}", page.body);
        let wrong = browser
            .post(
                &format!("{location}/submit"),
                &[("csrf_token", &page.csrf()), ("code", "000000")],
            )
            .await;
        assert!(wrong.body.contains("id=\"e-code\""), "{}", wrong.body);
        assert!(wrong.body.contains("填写中"), "still a draft");
    }
);
