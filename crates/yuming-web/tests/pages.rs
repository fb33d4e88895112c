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
            .header(
                header::USER_AGENT,
                "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            )
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
        let pairs: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        self.post_pairs(path, &pairs).await
    }

    async fn post_pairs(&mut self, path: &str, fields: &[(String, String)]) -> Answer {
        let body = serde_urlencoded::to_string(fields).expect("form");
        self.send(
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            Body::from(body),
        )
        .await
    }

    /// Sends a `multipart/form-data` form as a browser does: the text fields in order, then
    /// the file (none when `file` is empty, as when nothing was chosen).
    async fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file_field: &str,
        file: &[u8],
    ) -> Answer {
        let boundary = "----yumingtestboundary7MA4YWxkTrZu0gW";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        let file_name = if file.is_empty() { "" } else { "scan.png" };
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{file_field}\"; \
                 filename=\"{file_name}\"\r\nContent-Type: image/png\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        self.send(
            Request::post(path).header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            ),
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
            answer.body.contains(
                "id=\"e-email\">电子邮箱地址无效 <a class=\"help-link\" \
                 href=\"/help/articles/account-security\">查看帮助</a><"
            ),
            "the API's message_zh beside the field, with the article that explains it: {}",
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
        assert_eq!(step.status, StatusCode::OK, "the next step, not an error");
        assert!(step.body.contains("name=\"totp\""), "{}", step.body);
        assert!(!step.body.contains("name=\"password\""), "{}", step.body);
        assert!(!phone.cookies.contains_key("ym_session"));
        // The step carries a ticket instead of the password; a wrong code keeps the step.
        let ticket = between(&step.body, "name=\"ticket\" value=\"", "\"").to_owned();
        let code = yuming_core::totp::code_at(&secret, app.now());
        let wrong_code = if code == "000000" { "111111" } else { "000000" };
        let wrong = phone
            .post(
                "/login",
                &[
                    ("csrf_token", &step.csrf()),
                    ("ticket", &ticket),
                    ("email", "eve@example.com"),
                    ("totp", wrong_code),
                    ("next", "/console/security"),
                ],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert!(wrong.body.contains("动态验证码错误"), "{}", wrong.body);
        assert!(wrong.body.contains(&ticket), "the same step again");
        let done = phone
            .post(
                "/login",
                &[
                    ("csrf_token", &wrong.csrf()),
                    ("ticket", &ticket),
                    ("email", "eve@example.com"),
                    ("totp", &code),
                    ("next", "/console/security"),
                ],
            )
            .await;
        assert_eq!(done.location(), "/console/security");

        // The phone sees both sessions, each with the browser that started it, and ends
        // the laptop's.
        let page = phone.get("/console/security").await;
        assert_eq!(
            page.body.matches("Firefox · Linux").count(),
            2,
            "{}",
            page.body
        );
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
            coupon: None,
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

both_backends!(
    a_contact_gets_its_document_images_in_the_console,
    |db: TestDb| async move {
        use yuming_app::registrar::{contact_documents, contacts};
        let (app, _clock) = test_app(&db.db);
        customer(&app, "rui@example.com").await;
        customer(&app, "eve@example.com").await;
        let mut browser = Browser::new(&app, WebSettings::default());
        browser.log_in("rui@example.com", PASSWORD).await;

        let form = browser.get("/console/contacts/new").await;
        let created = browser
            .post(
                "/console/contacts/new",
                &[
                    ("csrf_token", &form.csrf()),
                    ("kind", "person"),
                    ("name", "张三"),
                    ("id_type", "resident_id"),
                    ("id_number", "11010519491231002X"),
                    ("email", "holder@example.com"),
                    ("phone", "13800138000"),
                    ("country", "CN"),
                    ("province", "北京"),
                    ("city", "北京"),
                    ("street", "长安街 1 号"),
                    ("postal_code", ""),
                ],
            )
            .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER);
        let location = created.location().to_owned();
        let contact_path = location
            .strip_suffix("?done=contact-created")
            .expect("to the new profile's page");
        let contact_id = contact_path.rsplit('/').next().unwrap().to_owned();

        // A resident ID card takes both sides; nothing is uploaded yet.
        let page = browser.get(&location).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("证件正面") && page.body.contains("证件反面"));
        assert!(page.body.contains("还需上传 2 张图片"), "{}", page.body);
        assert!(page.body.contains("enctype=\"multipart/form-data\""));
        let upload_path = format!("{contact_path}/documents");

        // Too small for a 300 dpi scan of a card: refused, explained next to the front slot,
        // in the visitor's language, and nothing stored.
        let small = fixtures::document_png(600, 400);
        let refused = browser
            .post_file(
                &upload_path,
                &[("csrf_token", &page.csrf()), ("kind", "id_front")],
                "file",
                &small,
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert!(
            refused.body.contains("id=\"e-file-id_front\"")
                && refused.body.contains("图片为 600 × 400 像素"),
            "{}",
            refused.body
        );
        // Nothing chosen.
        let empty = browser
            .post_file(
                &upload_path,
                &[("csrf_token", &page.csrf()), ("kind", "id_back")],
                "file",
                &[],
            )
            .await;
        assert_eq!(empty.status, StatusCode::BAD_REQUEST);
        assert!(empty.body.contains("请选择要上传的文件"));
        // A forged form (no CSRF token) is refused before the file is looked at.
        let forged = browser
            .post_file(&upload_path, &[("kind", "id_front")], "file", &small)
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let none = contact_documents::list(
            &app,
            &fixtures::login(&app, "rui@example.com").await,
            &contact_id,
        )
        .await
        .expect("documents");
        assert!(none.documents.is_empty());

        let scan = fixtures::document_png(1100, 700);
        for kind in ["id_front", "id_back"] {
            let accepted = browser
                .post_file(
                    &upload_path,
                    &[("csrf_token", &page.csrf()), ("kind", kind)],
                    "file",
                    &scan,
                )
                .await;
            assert_eq!(accepted.status, StatusCode::SEE_OTHER, "{}", accepted.body);
            assert_eq!(
                accepted.location(),
                format!("{contact_path}?done=document-uploaded")
            );
        }
        let complete = browser
            .get(&format!("{contact_path}?done=document-uploaded"))
            .await;
        assert!(complete.body.contains("图片已通过检查并保存"));
        assert!(complete.body.contains("图片已全部上传"));
        assert!(complete.body.contains("1100 × 700 px"));
        let marker = format!("src=\"{contact_path}/documents/");
        let start =
            complete.body.find(&marker).expect("a thumbnail") + marker.len() - "/documents/".len();
        let image_path = format!(
            "{contact_path}{}",
            &complete.body[start..].split('"').next().unwrap()
        );
        let image = browser.get(&image_path).await;
        assert_eq!(image.status, StatusCode::OK);
        assert_eq!(image.headers[header::CONTENT_TYPE], "image/png");
        assert_eq!(image.headers[header::CACHE_CONTROL], "private, no-store");

        // Another customer finds neither the page, the image nor a way to upload.
        let mut other = Browser::new(&app, WebSettings::default());
        other.log_in("eve@example.com", PASSWORD).await;
        assert_eq!(other.get(contact_path).await.status, StatusCode::NOT_FOUND);
        assert_eq!(other.get(&image_path).await.status, StatusCode::NOT_FOUND);
        let theirs = other.get("/console/contacts/new").await;
        let intruding = other
            .post_file(
                &upload_path,
                &[("csrf_token", &theirs.csrf()), ("kind", "id_front")],
                "file",
                &scan,
            )
            .await;
        assert_eq!(intruding.status, StatusCode::NOT_FOUND);

        // The reviewer sees the images beside the data; opening one is audited.
        let reviewer =
            fixtures::staff(&app, "rev@example.com", yuming_core::access::Role::Reviewer).await;
        let unmasked = contacts::get_unmasked(&app, &fixtures::ctx(), &reviewer, &contact_id)
            .await
            .expect("reviewer's view");
        assert!(unmasked.documents.missing().is_empty());
        let front = unmasked
            .documents
            .current("id_front")
            .expect("front")
            .id
            .clone();
        let (content_type, bytes) =
            contact_documents::content(&app, &fixtures::ctx(), &reviewer, &contact_id, &front)
                .await
                .expect("the image");
        assert_eq!(content_type, "image/png");
        assert!(bytes.starts_with(b"\x89PNG"));
        contacts::decide(
            &app,
            &fixtures::ctx(),
            &reviewer,
            &contact_id,
            "approve",
            None,
        )
        .await
        .expect("approved");
        let audit = browser.get("/console/audit").await;
        assert!(
            audit.body.contains("审核人员查看证件图片"),
            "{}",
            audit.body
        );

        // Reviewed: the images stay as reviewed.
        let locked = browser.get(contact_path).await;
        assert!(locked.body.contains("已审核，证件图片保持审核时的内容"));
        assert!(!locked.body.contains("multipart/form-data"));
        let late = browser
            .post_file(
                &upload_path,
                &[("csrf_token", &locked.csrf()), ("kind", "id_front")],
                "file",
                &scan,
            )
            .await;
        assert_eq!(late.status, StatusCode::CONFLICT);
        assert!(late.body.contains("不可再更换"));
    }
);

both_backends!(
    the_domain_list_sorts_and_acts_on_a_selection_in_one_batch,
    |db: TestDb| async move {
        use yuming_app::registrar::domains;
        let (app, clock) = test_app(&db.db);
        let owner = fixtures::funded_customer(&app, "bo@example.com", 100_000).await;
        register(&app, &owner, "zz-first.com").await;
        clock.advance_days(10);
        register(&app, &owner, "aa-later.com").await;
        let mut browser = Browser::new(&app, WebSettings::default());
        browser.log_in("bo@example.com", fixtures::PASSWORD).await;

        let position = |body: &str, name: &str| body.find(name).expect(name);
        let by_name = browser.get("/console/domains").await;
        assert!(position(&by_name.body, "aa-later.com") < position(&by_name.body, "zz-first.com"));
        let by_expiry = browser.get("/console/domains?sort=expiry").await;
        assert!(
            position(&by_expiry.body, "zz-first.com") < position(&by_expiry.body, "aa-later.com")
        );
        assert!(
            by_expiry
                .body
                .contains("<option value=\"expiry\" selected>")
        );

        // Nothing ticked: the batch bar says so, in words, and nothing starts.
        let key_of = |body: &str| {
            let marker = "name=\"form_key\" value=\"";
            let start = body.find(marker).expect("form key") + marker.len();
            body[start..].split('"').next().unwrap().to_owned()
        };
        let empty = browser
            .post(
                "/console/domains/batch",
                &[
                    ("csrf_token", &by_name.csrf()),
                    ("form_key", &key_of(&by_name.body)),
                    ("operation", "lock"),
                ],
            )
            .await;
        assert_eq!(empty.status, StatusCode::BAD_REQUEST);
        assert!(
            empty.body.contains("每批须包含 1 到 50 个域名，实际 0 个"),
            "{}",
            empty.body
        );
        let no_operation = browser
            .post(
                "/console/domains/batch",
                &[
                    ("csrf_token", &by_name.csrf()),
                    ("form_key", &key_of(&empty.body)),
                    ("domain", "aa-later.com"),
                ],
            )
            .await;
        assert_eq!(no_operation.status, StatusCode::BAD_REQUEST);
        assert!(no_operation.body.contains("请选择要对所选域名执行的操作"));

        // Two names locked in one batch; the same form sent twice starts one batch.
        let key = key_of(&by_name.body);
        let fields = [
            ("csrf_token", by_name.csrf()),
            ("form_key", key.clone()),
            ("operation", "lock".to_owned()),
            ("domain", "aa-later.com".to_owned()),
            ("domain", "zz-first.com".to_owned()),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let started = browser.post("/console/domains/batch", &fields).await;
        assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
        assert!(started.location().starts_with("/console/batches/bat_"));
        let again = browser.post("/console/domains/batch", &fields).await;
        assert_eq!(again.location(), started.location());
        let batch_path = started.location().split('?').next().unwrap().to_owned();
        let mut finished = String::new();
        for _ in 0..200 {
            let page = browser.get(&batch_path).await;
            assert_eq!(page.status, StatusCode::OK);
            if !page.body.contains("http-equiv=\"refresh\"") {
                finished = page.body;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert!(finished.contains("已完成"), "the batch did not finish");
        assert!(finished.contains("已处理 2") && !finished.contains("失败 "));
        for name in ["aa-later.com", "zz-first.com"] {
            let view = domains::get(&app, &owner, name).await.expect("domain");
            assert!(
                view.statuses
                    .iter()
                    .any(|s| s == "clientTransferProhibited"),
                "{name}: {:?}",
                view.statuses
            );
        }
        // A name that is not the customer's fails alone, explained in the page's language.
        let page = browser.get("/console/domains").await;
        let fields = [
            ("csrf_token", page.csrf()),
            ("form_key", key_of(&page.body)),
            ("operation", "lock".to_owned()),
            ("domain", "not-mine-at-all.com".to_owned()),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let stray = browser.post("/console/domains/batch", &fields).await;
        let stray_path = stray.location().split('?').next().unwrap().to_owned();
        let mut shown = String::new();
        for _ in 0..200 {
            let page = browser.get(&stray_path).await;
            if !page.body.contains("http-equiv=\"refresh\"") {
                shown = page.body;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert!(shown.contains("未找到该资源 (NOT_FOUND)"), "{shown}");
        browser.accept_language = "en";
        let english = browser.get(&stray_path).await;
        assert!(
            english.body.contains("not found (NOT_FOUND)"),
            "{}",
            english.body
        );
        browser.accept_language = "zh-CN,zh;q=0.9";

        // Someone else's batch is not found.
        customer(&app, "mo@example.com").await;
        let mut other = Browser::new(&app, WebSettings::default());
        other.log_in("mo@example.com", PASSWORD).await;
        assert_eq!(other.get(&batch_path).await.status, StatusCode::NOT_FOUND);
    }
);

both_backends!(
    the_dns_page_shows_what_each_change_replaced,
    |db: TestDb| async move {
        let (app, _clock) = test_app(&db.db);
        let owner = fixtures::funded_customer(&app, "di@example.com", 100_000).await;
        register(&app, &owner, "di-example.com").await;
        let mut browser = Browser::new(&app, WebSettings::default());
        browser.log_in("di@example.com", fixtures::PASSWORD).await;
        let path = "/console/domains/di-example.com/dns";
        let page = browser.get(path).await;
        assert!(page.body.contains("暂无变更"));
        let added = browser
            .post(
                path,
                &[
                    ("csrf_token", &page.csrf()),
                    ("type", "A"),
                    ("name", "www"),
                    ("value", "192.0.2.7"),
                    ("ttl", "600"),
                    ("priority", ""),
                ],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
        let page = browser.get(path).await;
        let id_marker = format!("action=\"{path}/");
        let start = page.body.find(&id_marker).expect("a delete form") + id_marker.len();
        let id = page.body[start..].split('/').next().unwrap().to_owned();
        // Edited: the form starts from the stored record; a wrong value is explained beside
        // its field and changes nothing.
        let edit_path = format!("{path}/{id}/edit");
        let edit = browser.get(&edit_path).await;
        assert_eq!(edit.status, StatusCode::OK);
        assert!(edit.body.contains("value=\"192.0.2.7\""), "{}", edit.body);
        let sent = |value: &'static str| {
            [
                ("type", "A"),
                ("name", "www"),
                ("value", value),
                ("ttl", "600"),
                ("priority", ""),
            ]
        };
        let csrf = edit.csrf();
        let mut wrong_fields = vec![("csrf_token", csrf.as_str())];
        wrong_fields.extend(sent("not-an-address"));
        let wrong = browser.post(&edit_path, &wrong_fields).await;
        assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
        assert!(wrong.body.contains("id=\"e-value\""), "{}", wrong.body);
        assert!(
            wrong.body.contains("not-an-address"),
            "what was typed stays"
        );
        let mut right_fields = vec![("csrf_token", csrf.as_str())];
        right_fields.extend(sent("192.0.2.8"));
        let edited = browser.post(&edit_path, &right_fields).await;
        assert_eq!(
            edited.location(),
            format!("{path}?done=record-updated"),
            "{}",
            edited.body
        );
        let page = browser.get(path).await;
        let deleted = browser
            .post(
                &format!("{path}/{id}/delete"),
                &[("csrf_token", &page.csrf())],
            )
            .await;
        assert_eq!(deleted.status, StatusCode::SEE_OTHER, "{}", deleted.body);

        let page = browser.get(path).await;
        let history = between(&page.body, "id=\"history\"", "</table>");
        let deleted_at = history.find("删除记录").expect("the deletion");
        let edited_at = history.find("修改记录").expect("the change");
        let added_at = history.find("添加记录").expect("the addition");
        assert!(
            deleted_at < edited_at && edited_at < added_at,
            "newest first: {history}"
        );
        for value in ["192.0.2.7", "192.0.2.8"] {
            let line = format!("www 600 A {value}");
            assert_eq!(history.matches(&line).count(), 2, "{history}");
        }

        // The API gives the same history.
        let changes = yuming_app::dns::history(&app, &owner, "di-example.com")
            .await
            .expect("history");
        assert_eq!(changes.len(), 3);
        assert_eq!(changes[0].action, "dns.record_delete");
        assert_eq!(changes[0].before["value"], "192.0.2.8");
        assert!(changes[0].after.is_null());
        assert_eq!(changes[1].action, "dns.record_update");
        assert_eq!(changes[1].before["value"], "192.0.2.7");
        assert_eq!(changes[2].after["name"], "www");
        assert!(changes[0].serial > changes[1].serial && changes[1].serial > changes[2].serial);
    }
);

both_backends!(
    the_account_page_downloads_everything_and_asks_for_closure,
    |db: TestDb| async move {
        let (app, _clock) = test_app(&db.db);
        let owner = fixtures::funded_customer(&app, "cy@example.com", 10_000).await;
        register(&app, &owner, "cy-example.com").await;
        let mut browser = Browser::new(&app, WebSettings::default());
        browser.log_in("cy@example.com", fixtures::PASSWORD).await;

        let page = browser.get("/console/account").await;
        assert_eq!(page.status, StatusCode::OK);
        // What keeps the account open is listed before anyone asks.
        assert!(page.body.contains("仍有 1 个域名"), "{}", page.body);
        assert!(page.body.contains("余额 ¥"));

        // The download is a form post (CSRF-checked) answered with the archive.
        let forged = browser
            .post("/console/account/export", &[("format", "zip")])
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let download = browser
            .post(
                "/console/account/export",
                &[("csrf_token", &page.csrf()), ("format", "tar.gz")],
            )
            .await;
        assert_eq!(download.status, StatusCode::OK);
        assert_eq!(download.headers[header::CONTENT_TYPE], "application/gzip");
        let disposition = download.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap();
        assert!(
            disposition.starts_with("attachment; filename=\"yuming-data-")
                && disposition.ends_with(".tar.gz\""),
            "{disposition}"
        );

        // A wrong password is explained next to its field; the right one sends the request.
        let wrong = browser
            .post(
                "/console/account/closure",
                &[
                    ("csrf_token", &page.csrf()),
                    ("reason", "换服务商"),
                    ("password", "not it"),
                ],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
        assert!(wrong.body.contains("id=\"e-password\""), "{}", wrong.body);
        assert!(wrong.body.contains("换服务商"), "what was typed stays");
        let asked = browser
            .post(
                "/console/account/closure",
                &[
                    ("csrf_token", &page.csrf()),
                    ("reason", "换服务商"),
                    ("password", fixtures::PASSWORD),
                ],
            )
            .await;
        assert_eq!(asked.location(), "/console/account?done=closure-requested");
        let page = browser.get(asked.location()).await;
        assert!(page.body.contains("注销申请已提交给工作人员"));
        assert!(page.body.contains("已申请注销"));
        let withdrawn = browser
            .post(
                "/console/account/closure/withdraw",
                &[("csrf_token", &page.csrf())],
            )
            .await;
        assert_eq!(
            withdrawn.location(),
            "/console/account?done=closure-withdrawn"
        );
        let page = browser.get(withdrawn.location()).await;
        assert!(page.body.contains("已撤回"));
        let audit = browser.get("/console/audit").await;
        assert!(audit.body.contains("下载账户全部数据"));
        assert!(audit.body.contains("申请注销账户"));
    }
);

both_backends!(
    a_cart_filled_before_login_is_checked_out_once_with_its_terms,
    |db: TestDb| async move {
        use yuming_app::registrar::domains;
        let (app, _clock) = test_app(&db.db);
        let owner = fixtures::funded_customer(&app, "ka@example.com", 100_000).await;
        let contact = contact_of(&app, &owner).await;
        let before = yuming_app::billing::balance(&app, &owner, yuming_core::money::Currency::Cny)
            .await
            .expect("balance")
            .balance
            .minor();
        let prices = domains::check(&app, &["cart-one.com".to_owned()])
            .await
            .expect("check")[0]
            .price
            .expect("a price");
        let per_year = prices.register.minor();

        // Signed out: names go into the cart from the search page.
        let mut browser = Browser::new(&app, WebSettings::default());
        let search = browser.get("/search?q=cart-one.com").await;
        assert!(search.body.contains("action=\"/cart/add\""));
        for name in ["cart-one.com", "cart-two.com"] {
            let added = browser
                .post(
                    "/cart/add",
                    &[
                        ("csrf_token", &search.csrf()),
                        ("back", "/search?q=cart-one.com"),
                        ("name", name),
                    ],
                )
                .await;
            assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
            assert_eq!(added.location(), "/search?q=cart-one.com&done=cart-added");
        }
        let cart = browser.get("/cart").await;
        assert!(cart.body.contains("cart-one.com") && cart.body.contains("cart-two.com"));
        assert!(
            cart.body.contains("href=\"/cart\""),
            "the cart count is in the top bar"
        );
        assert!(cart.body.contains("登录或注册后即可结算"));
        assert!(
            !cart.body.contains("name=\"registrant_contact_id\""),
            "no checkout before login"
        );
        // Two years for one, the other removed and added back.
        let updated = browser
            .post(
                "/cart/update",
                &[("csrf_token", &cart.csrf()), ("years:cart-one.com", "2")],
            )
            .await;
        assert_eq!(updated.location(), "/cart");
        let removed = browser
            .post(
                "/cart/remove",
                &[
                    ("csrf_token", &cart.csrf()),
                    ("years:cart-one.com", "2"),
                    ("remove", "cart-two.com"),
                ],
            )
            .await;
        assert_eq!(removed.location(), "/cart");
        let cart = browser.get("/cart").await;
        assert!(!cart.body.contains("cart-two.com"));
        let money = |minor: i64| format!("¥{}.{:02}", minor / 100, minor % 100);
        assert!(cart.body.contains(&money(2 * per_year)), "{}", cart.body);
        browser
            .post(
                "/cart/add",
                &[
                    ("csrf_token", &cart.csrf()),
                    ("back", "/cart"),
                    ("name", "cart-two.com"),
                ],
            )
            .await;

        // Logged in, the same cart checks out.
        browser.log_in("ka@example.com", fixtures::PASSWORD).await;
        let cart = browser.get("/cart").await;
        assert!(cart.body.contains(&money(3 * per_year)), "{}", cart.body);
        let key_marker = "name=\"form_key\" value=\"";
        let start = cart.body.find(key_marker).expect("form key") + key_marker.len();
        let key = cart.body[start..].split('"').next().unwrap().to_owned();
        let unchosen = browser
            .post(
                "/cart/checkout",
                &[
                    ("csrf_token", &cart.csrf()),
                    ("form_key", &key),
                    ("years:cart-one.com", "2"),
                    ("years:cart-two.com", "1"),
                    ("registrant_contact_id", ""),
                    ("nameservers", ""),
                ],
            )
            .await;
        assert_eq!(unchosen.status, StatusCode::BAD_REQUEST);
        assert!(unchosen.body.contains("请选择域名持有者的实名模板"));
        let fields = [
            ("csrf_token", cart.csrf()),
            ("form_key", key.clone()),
            ("years:cart-one.com", "2".to_owned()),
            ("years:cart-two.com", "1".to_owned()),
            ("registrant_contact_id", contact.clone()),
            ("nameservers", String::new()),
            ("auto_renew", "on".to_owned()),
        ];
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let paid = browser.post("/cart/checkout", &fields).await;
        assert_eq!(paid.status, StatusCode::SEE_OTHER, "{}", paid.body);
        assert!(paid.location().starts_with("/console/batches/bat_"));
        assert!(
            paid.set_cookie("ym_cart")
                .is_some_and(|c| c.contains("Max-Age=0")),
            "the cart empties"
        );
        let again = browser.post("/cart/checkout", &fields).await;
        assert_eq!(
            again.location(),
            paid.location(),
            "a second click changes nothing"
        );
        let batch_path = paid.location().split('?').next().unwrap().to_owned();
        let mut finished = String::new();
        for _ in 0..200 {
            let page = browser.get(&batch_path).await;
            if !page.body.contains("http-equiv=\"refresh\"") {
                finished = page.body;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        assert!(
            finished.contains("已处理 2") && !finished.contains("失败 "),
            "{finished}"
        );
        let one = domains::get(&app, &owner, "cart-one.com")
            .await
            .expect("registered");
        let two = domains::get(&app, &owner, "cart-two.com")
            .await
            .expect("registered");
        assert!(
            one.expires_at.0 - one.created_at.0 > two.expires_at.0 - two.created_at.0,
            "two years for one, one for the other"
        );
        let after = yuming_app::billing::balance(&app, &owner, yuming_core::money::Currency::Cny)
            .await
            .expect("balance")
            .balance
            .minor();
        assert_eq!(
            before - after,
            3 * per_year,
            "charged once, for three years in all"
        );
    }
);

both_backends!(
    sub_accounts_get_the_rights_they_are_given,
    |db: TestDb| async move {
        let (app, _clock) = test_app(&db.db);
        customer(&app, "boss@example.com").await;
        let mut browser = Browser::new(&app, WebSettings::default());
        browser.log_in("boss@example.com", PASSWORD).await;
        let page = browser.get("/console/team").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("还没有子账号"));
        let weak = browser
            .post(
                "/console/team",
                &[
                    ("csrf_token", &page.csrf()),
                    ("display_name", "小王"),
                    ("email", "wang@example.com"),
                    ("password", "short"),
                    ("right", "domains:read"),
                ],
            )
            .await;
        assert_eq!(weak.status, StatusCode::BAD_REQUEST);
        assert!(weak.body.contains("id=\"e-password\""), "{}", weak.body);
        assert!(
            weak.body.contains("wang@example.com"),
            "what was typed stays"
        );
        let created = browser
            .post(
                "/console/team",
                &[
                    ("csrf_token", &page.csrf()),
                    ("display_name", "小王"),
                    ("email", "wang@example.com"),
                    ("password", PASSWORD),
                    ("right", "domains:read"),
                    ("right", "dns:manage"),
                ],
            )
            .await;
        assert_eq!(created.location(), "/console/team?done=member-created");
        let page = browser.get("/console/team").await;
        assert!(page.body.contains("wang@example.com"));
        let member = yuming_app::accounts::list_sub_accounts(
            &app,
            &fixtures::login(&app, "boss@example.com").await,
        )
        .await
        .expect("members");
        assert_eq!(member.len(), 1);
        let id = member[0].id.clone();
        assert!(
            member[0]
                .rights
                .contains(yuming_core::access::Right::DnsManage)
        );

        // The sub-account logs in with what it was given, and is no main account.
        let mut wang = Browser::new(&app, WebSettings::default());
        wang.log_in("wang@example.com", PASSWORD).await;
        assert_eq!(
            wang.get("/console/team").await.status,
            StatusCode::FORBIDDEN
        );

        // Rights narrowed and the login disabled: its session ends.
        let updated = browser
            .post(
                &format!("/console/team/{id}"),
                &[
                    ("csrf_token", &page.csrf()),
                    ("right", "domains:read"),
                    ("disabled", "on"),
                ],
            )
            .await;
        assert_eq!(updated.location(), "/console/team?done=member-updated");
        let page = browser.get("/console/team").await;
        assert!(page.body.contains("已停用"));
        let after = wang.get("/console/domains").await;
        assert_eq!(after.status, StatusCode::SEE_OTHER, "signed out");
        // Another customer cannot touch it.
        customer(&app, "other@example.com").await;
        let mut other = Browser::new(&app, WebSettings::default());
        other.log_in("other@example.com", PASSWORD).await;
        let theirs = other.get("/console/team").await;
        let denied = other
            .post(
                &format!("/console/team/{id}"),
                &[("csrf_token", &theirs.csrf()), ("right", "domains:manage")],
            )
            .await;
        assert_eq!(denied.status, StatusCode::NOT_FOUND);
    }
);

both_backends!(
    webhook_endpoints_show_their_secret_once_and_their_deliveries,
    |db: TestDb| async move {
        let (app, _clock) = test_app(&db.db);
        customer(&app, "hook@example.com").await;
        let mut browser = Browser::new(&app, WebSettings::default());
        browser.log_in("hook@example.com", PASSWORD).await;
        let page = browser.get("/console/webhooks").await;
        assert!(page.body.contains("还没有 Webhook 地址"));
        let bad = browser
            .post(
                "/console/webhooks",
                &[
                    ("csrf_token", &page.csrf()),
                    ("url", "ftp://hooks.example.com/x"),
                    ("enabled", "on"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(bad.body.contains("id=\"e-url\""), "{}", bad.body);
        let created = browser
            .post(
                "/console/webhooks",
                &[
                    ("csrf_token", &page.csrf()),
                    ("url", "https://hooks.example.com/yuming"),
                    ("description", "运维告警"),
                    ("kind", "expiry_reminder"),
                    ("kind", "low_balance"),
                    ("enabled", "on"),
                ],
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        assert!(created.body.contains("签名密钥仅显示这一次"));
        let marker = "<p class=\"mono break\">";
        let start = created.body.find(marker).expect("the secret") + marker.len();
        let secret = created.body[start..].split('<').next().unwrap().to_owned();
        assert!(secret.starts_with("whsec_"), "{secret}");
        let endpoints = browser.get("/console/webhooks").await;
        assert!(endpoints.body.contains("https://hooks.example.com/yuming"));
        assert!(
            endpoints.body.contains("到期提醒、余额不足"),
            "{}",
            endpoints.body
        );
        assert!(!endpoints.body.contains(&secret), "never shown again");
        let href = "href=\"/console/webhooks/";
        let start = endpoints.body.find(href).expect("a link") + href.len();
        let id = endpoints.body[start..]
            .split('"')
            .next()
            .unwrap()
            .to_owned();
        let path = format!("/console/webhooks/{id}");

        let endpoint = browser.get(&path).await;
        assert!(!endpoint.body.contains(&secret));
        let pinged = browser
            .post(&format!("{path}/ping"), &[("csrf_token", &endpoint.csrf())])
            .await;
        assert_eq!(pinged.location(), format!("{path}?done=webhook-pinged"));
        let endpoint = browser.get(&format!("{path}?done=webhook-pinged")).await;
        assert!(endpoint.body.contains("测试通知") && endpoint.body.contains("等待中"));
        let rotated = browser
            .post(
                &format!("{path}/rotate"),
                &[("csrf_token", &endpoint.csrf())],
            )
            .await;
        assert!(rotated.body.contains("whsec_") && !rotated.body.contains(&secret));
        // Off: a test delivery is refused, in words, at the top.
        let saved = browser
            .post(
                &path,
                &[
                    ("csrf_token", &endpoint.csrf()),
                    ("url", "https://hooks.example.com/yuming"),
                    ("description", "运维告警"),
                ],
            )
            .await;
        assert_eq!(saved.location(), format!("{path}?done=webhook-saved"));
        let refused = browser
            .post(&format!("{path}/ping"), &[("csrf_token", &endpoint.csrf())])
            .await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
        assert!(refused.body.contains("role=\"alert\""));
        // Another customer finds nothing.
        customer(&app, "nosy@example.com").await;
        let mut other = Browser::new(&app, WebSettings::default());
        other.log_in("nosy@example.com", PASSWORD).await;
        assert_eq!(other.get(&path).await.status, StatusCode::NOT_FOUND);
        let deleted = browser
            .post(
                &format!("{path}/delete"),
                &[("csrf_token", &endpoint.csrf())],
            )
            .await;
        assert_eq!(deleted.location(), "/console/webhooks?done=webhook-deleted");
        assert_eq!(browser.get(&path).await.status, StatusCode::NOT_FOUND);
    }
);

both_backends!(
    a_domain_is_registered_with_its_own_nameservers,
    |db: TestDb| async move {
        use yuming_app::registrar::domains;
        let (app, _clock) = test_app(&db.db);
        let owner = fixtures::funded_customer(&app, "ns@example.com", 100_000).await;
        let contact = contact_of(&app, &owner).await;
        let mut browser = Browser::new(&app, WebSettings::default());
        browser.log_in("ns@example.com", fixtures::PASSWORD).await;
        let form = browser.get("/console/register?name=ns-example.com").await;
        assert!(form.body.contains("name=\"nameservers\""));
        let key_marker = "name=\"form_key\" value=\"";
        let start = form.body.find(key_marker).expect("form key") + key_marker.len();
        let key = form.body[start..].split('"').next().unwrap().to_owned();
        let send = |nameservers: &'static str| {
            vec![
                ("csrf_token", form.csrf()),
                ("form_key", key.clone()),
                ("name", "ns-example.com".to_owned()),
                ("years", "1".to_owned()),
                ("registrant_contact_id", contact.clone()),
                ("nameservers", nameservers.to_owned()),
            ]
        };
        let wrong = send("ns1..broken");
        let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let refused = browser.post("/console/register", &wrong).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
        assert!(
            refused.body.contains("id=\"e-nameservers\""),
            "{}",
            refused.body
        );
        assert!(refused.body.contains("ns1..broken"), "what was typed stays");
        let right = send("ns1.other-dns.net，ns2.other-dns.net");
        let right: Vec<(&str, &str)> = right.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let done = browser.post("/console/register", &right).await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        let view = domains::get(&app, &owner, "ns-example.com")
            .await
            .expect("registered");
        assert_eq!(
            view.nameservers,
            vec!["ns1.other-dns.net", "ns2.other-dns.net"]
        );
    }
);

both_backends!(
    a_draft_filing_is_submitted_from_the_console_in_one_step,
    |db: TestDb| async move {
        use yuming_test_support::filing::{self as world, PERSON_ID};
        let w = world::world(&db).await;
        let (alice, order) = world::ready_order(
            &w,
            "draft@example.com",
            "draft-notes.cn",
            "203.0.113.41",
            "13800138000",
            PERSON_ID,
        )
        .await;
        w.clock.advance_days(31);
        let before = yuming_app::filing::get_order(&w.app, &alice, &order)
            .await
            .expect("order");
        assert_eq!(before.status.as_str(), "DRAFT");
        let mut browser = Browser::new(&w.app, WebSettings::default());
        browser
            .log_in("draft@example.com", fixtures::PASSWORD)
            .await;
        let order_path = format!("/console/filing/orders/{order}");
        let page = browser.get(&order_path).await;
        assert!(page.body.contains("/submit\""), "{}", page.body);
        let submitted = browser
            .post(
                &format!("{order_path}/submit"),
                &[("csrf_token", &page.csrf())],
            )
            .await;
        assert_eq!(
            submitted.location(),
            format!("{order_path}?done=order-submitted"),
            "{}",
            submitted.body
        );
        let after = yuming_app::filing::get_order(&w.app, &alice, &order)
            .await
            .expect("order");
        assert_eq!(after.status.as_str(), "PROVIDER_REVIEW");
    }
);

both_backends!(
    a_filing_is_verified_by_sms_and_its_filed_site_shows_the_certificate,
    |db: TestDb| async move {
        use yuming_test_support::filing::{self as world, PERSON_ID};
        let w = world::world(&db).await;
        let (alice, order) = world::ready_order(
            &w,
            "fa@example.com",
            "fa-notes.cn",
            "203.0.113.40",
            "13800138000",
            PERSON_ID,
        )
        .await;
        w.clock.advance_days(31);
        world::pushed(&w, &alice, &order).await;
        let mut browser = Browser::new(&w.app, WebSettings::default());
        browser.log_in("fa@example.com", fixtures::PASSWORD).await;
        let order_path = format!("/console/filing/orders/{order}");
        let page = browser.get(&order_path).await;
        assert!(page.body.contains("短信核验"), "{}", page.body);
        let wrong = browser
            .post(
                &format!("{order_path}/sms"),
                &[("csrf_token", &page.csrf()), ("code", "000000")],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.body);
        assert!(wrong.body.contains("role=\"alert\""));
        let code = w
            .authority
            .last_code_for("13800138000")
            .await
            .expect("a code was texted");
        let verified = browser
            .post(
                &format!("{order_path}/sms"),
                &[("csrf_token", &page.csrf()), ("code", &code)],
            )
            .await;
        assert_eq!(
            verified.location(),
            format!("{order_path}?done=sms-verified"),
            "{}",
            verified.body
        );
        let page = browser.get(verified.location()).await;
        assert!(page.body.contains("核验成功") && !page.body.contains("id=\"sms\""));

        // The authority decides; the filed site has its certificate, footer and monitor.
        w.clock.advance_secs(3601);
        yuming_app::filing::sync(&w.app).await.expect("sync");
        let entities = yuming_app::filing::list_entities(&w.app, &alice)
            .await
            .expect("entities");
        let entity_path = format!("/console/filing/entities/{}", entities[0].id);
        let entity = browser.get(&entity_path).await;
        let marker = "href=\"/console/filing/sites/";
        let start = entity.body.find(marker).expect("a link to the filed site") + marker.len();
        let site_id = entity.body[start..].split('"').next().unwrap().to_owned();
        let site_path = format!("/console/filing/sites/{site_id}");
        let site = browser.get(&site_path).await;
        assert_eq!(site.status, StatusCode::OK, "{}", site.body);
        assert!(site.body.contains("fa-notes.cn") && site.body.contains("备案证书"));
        // The footer HTML is shown as text to copy, escaped, never as markup on this page.
        assert!(
            site.body
                .contains("&#60;a href=&#34;https://beian.miit.gov.cn/&#34;"),
            "{}",
            site.body
        );
        assert!(!site.body.contains("<a href=\"https://beian.miit.gov.cn/\""));
        let pdf = browser.get(&format!("{site_path}/certificate.pdf")).await;
        assert_eq!(pdf.status, StatusCode::OK);
        assert_eq!(pdf.headers[header::CONTENT_TYPE], "application/pdf");
        assert!(pdf.body.starts_with("%PDF"));
        assert!(pdf.headers.contains_key("yuming-signature"));
        let renewed = browser
            .post(
                &format!("{site_path}/certificate/renew"),
                &[("csrf_token", &site.csrf())],
            )
            .await;
        assert_eq!(
            renewed.location(),
            format!("{site_path}?done=certificate-renewed")
        );
        // Another customer finds nothing.
        customer(&w.app, "nosy@example.com").await;
        let mut other = Browser::new(&w.app, WebSettings::default());
        other.log_in("nosy@example.com", PASSWORD).await;
        assert_eq!(other.get(&site_path).await.status, StatusCode::NOT_FOUND);
    }
);

/// Undoes the HTML escaping of an attribute value.
fn unescape(text: &str) -> String {
    text.replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The passkey ceremony the login page offers.
fn offered_ceremony(page: &Answer) -> yuming_app::accounts::passkeys::PasskeyCeremony {
    yuming_app::accounts::passkeys::PasskeyCeremony {
        challenge_id: between(&page.body, "name=\"passkey_challenge\" value=\"", "\"").to_owned(),
        options: serde_json::from_str(&unescape(between(
            &page.body,
            "data-passkey-login=\"",
            "\"",
        )))
        .expect("options JSON"),
    }
}

both_backends!(
    a_passkey_is_added_and_confirms_the_login,
    |db: TestDb| async move {
        use yuming_test_support::webauthn::SoftAuthenticator;
        let (app, _clock) = test_app(&db.db);
        customer(&app, "kim@example.com").await;
        let mut browser = Browser::new(&app, WebSettings::default());
        browser.log_in("kim@example.com", PASSWORD).await;
        let security = browser.get("/console/security").await;
        assert!(
            security.body.contains("data-passkey-register"),
            "{}",
            security.body
        );
        let csrf = security.csrf();

        // The page's script asks for a ceremony, the authenticator answers, the form posts.
        let options = browser
            .post(
                "/console/security/passkeys/options",
                &[("csrf_token", &csrf)],
            )
            .await;
        assert_eq!(options.status, StatusCode::OK, "{}", options.body);
        let options: serde_json::Value = serde_json::from_str(&options.body).expect("JSON");
        let ceremony = yuming_app::accounts::passkeys::PasskeyCeremony {
            challenge_id: options["challenge_id"].as_str().expect("id").to_owned(),
            options: options["options"].clone(),
        };
        let mut authenticator = SoftAuthenticator::new("http://localhost:8080");
        let answer = authenticator.register(&ceremony, "Work laptop");
        let added = browser
            .post(
                "/console/security/passkeys",
                &[
                    ("csrf_token", &csrf),
                    ("name", &answer.name),
                    ("challenge_id", &answer.challenge_id),
                    ("client_data_json", &answer.client_data_json),
                    ("attestation_object", &answer.attestation_object),
                ],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
        assert_eq!(
            added.location(),
            "/console/security?done=passkey-added#passkeys"
        );
        let security = browser.get("/console/security?done=passkey-added").await;
        assert!(security.body.contains("Work laptop"), "{}", security.body);
        // Without the CSRF token the ceremony is not even started.
        let forged = browser
            .post("/console/security/passkeys/options", &[])
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);

        // Logging in again: the password leads to the passkey step, which carries a ticket
        // instead of the password.
        let mut fresh = Browser::new(&app, WebSettings::default());
        let step = fresh.log_in("kim@example.com", PASSWORD).await;
        assert_eq!(step.status, StatusCode::OK, "{}", step.body);
        assert!(
            step.body.contains("请使用通行密钥确认是您本人"),
            "{}",
            step.body
        );
        assert!(
            !step.body.contains("name=\"totp\""),
            "no TOTP on this account"
        );
        assert!(!step.body.contains(PASSWORD), "the password is not echoed");
        let ticket = between(&step.body, "name=\"ticket\" value=\"", "\"").to_owned();
        let ceremony = offered_ceremony(&step);
        assert_eq!(ceremony.challenge_id, ticket);
        let answer_fields = |signed: &yuming_app::accounts::passkeys::PasskeyAssertion,
                             csrf: &str| {
            [
                ("csrf_token", csrf),
                ("ticket", ticket.as_str()),
                ("email", "kim@example.com"),
                ("next", "/console/security"),
                ("passkey_challenge", signed.challenge_id.as_str()),
                ("passkey_credential", signed.credential_id.as_str()),
                ("passkey_client_data", signed.client_data_json.as_str()),
                (
                    "passkey_authenticator_data",
                    signed.authenticator_data.as_str(),
                ),
                ("passkey_signature", signed.signature.as_str()),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .to_vec()
        };
        // Another authenticator's answer is refused; the same step is offered again.
        let mut stranger = SoftAuthenticator::new("http://localhost:8080");
        let wrong = stranger.assert(&ceremony);
        let refused = fresh
            .post_pairs("/login", &answer_fields(&wrong, &step.csrf()))
            .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
        assert!(
            refused.body.contains("通行密钥验证失败"),
            "{}",
            refused.body
        );
        assert_eq!(offered_ceremony(&refused).challenge_id, ticket);
        assert!(refused.set_cookie("ym_session").is_none());
        // The right one logs in and goes where the visitor was going.
        let signed = authenticator.assert(&ceremony);
        let logged_in = fresh
            .post_pairs("/login", &answer_fields(&signed, &refused.csrf()))
            .await;
        assert_eq!(
            logged_in.status,
            StatusCode::SEE_OTHER,
            "{}",
            logged_in.body
        );
        assert_eq!(logged_in.location(), "/console/security");

        // The ticket was used up with it: replaying the answer asks for the password again.
        let mut thief = Browser::new(&app, WebSettings::default());
        let form = thief.get("/login").await;
        let replayed = thief
            .post_pairs("/login", &answer_fields(&signed, &form.csrf()))
            .await;
        assert_eq!(
            replayed.status,
            StatusCode::UNAUTHORIZED,
            "{}",
            replayed.body
        );
        assert!(replayed.body.contains("登录已超时"), "{}", replayed.body);
        assert!(
            replayed.body.contains("name=\"password\""),
            "{}",
            replayed.body
        );
        assert!(replayed.set_cookie("ym_session").is_none());

        // Removing it: the password alone logs in again.
        let security = browser.get("/console/security").await;
        let id = between(&security.body, "/console/security/passkeys/", "/delete").to_owned();
        let removed = browser
            .post(
                &format!("/console/security/passkeys/{id}/delete"),
                &[("csrf_token", &security.csrf())],
            )
            .await;
        assert_eq!(
            removed.location(),
            "/console/security?done=passkey-removed#passkeys"
        );
        let mut again = Browser::new(&app, WebSettings::default());
        let answer = again.log_in("kim@example.com", PASSWORD).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    }
);

both_backends!(
    a_filed_site_is_changed_and_cancelled_from_its_page,
    |db: TestDb| async move {
        use yuming_test_support::filing::{self as world, PERSON_ID};
        let w = world::world(&db).await;
        let (alice, order) = world::ready_order(
            &w,
            "ch@example.com",
            "ch-notes.cn",
            "203.0.113.41",
            "13800138000",
            PERSON_ID,
        )
        .await;
        let (_, sites) = world::approved_first_filing(&w, &alice, &order).await;
        let site_id = sites[0].id.clone();
        let mut browser = Browser::new(&w.app, WebSettings::default());
        browser.log_in("ch@example.com", fixtures::PASSWORD).await;
        let site_path = format!("/console/filing/sites/{site_id}");
        let site = browser.get(&site_path).await;
        assert!(site.body.contains("变更或注销备案"), "{}", site.body);

        // 变更网站: a new order whose form offers the site's fields only.
        let started = browser
            .post(
                &format!("{site_path}/orders"),
                &[("csrf_token", &site.csrf()), ("operation", "CHANGE_SITE")],
            )
            .await;
        assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
        let order_path = started.location().split('?').next().unwrap().to_owned();
        let page = browser.get(started.location()).await;
        assert!(page.body.contains("变更网站"), "{}", page.body);
        assert!(page.body.contains("name=\"site.name\""), "{}", page.body);
        assert!(page.body.contains("name=\"site.servers\""));
        assert!(
            !page.body.contains("name=\"entity.name\""),
            "the entity stays"
        );
        // A field outside the operation is refused beside it, what was typed kept.
        let refused = browser
            .post(
                &format!("{order_path}/fields"),
                &[
                    ("csrf_token", &page.csrf()),
                    ("site.name", "改名后的笔记"),
                    ("entity.name", "别人"),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
        assert!(
            refused.body.contains("变更网站不能修改 entity.name"),
            "{}",
            refused.body
        );
        assert!(refused.body.contains("改名后的笔记"));
        let saved = browser
            .post(
                &format!("{order_path}/fields"),
                &[
                    ("csrf_token", &page.csrf()),
                    ("site.name", "改名后的笔记"),
                    ("site.servers", "203.0.113.41\n"),
                ],
            )
            .await;
        assert_eq!(
            saved.location(),
            format!("{order_path}?done=order-saved"),
            "{}",
            saved.body
        );
        let page = browser.get(saved.location()).await;
        assert!(
            page.body.contains("value=\"改名后的笔记\""),
            "{}",
            page.body
        );
        let order_id = order_path.rsplit('/').next().unwrap();
        let view = yuming_app::filing::get_order(&w.app, &alice, order_id)
            .await
            .expect("order");
        assert_eq!(view.payload.site.as_ref().unwrap().name, "改名后的笔记");
        assert_eq!(view.operation.as_str(), "CHANGE_SITE");
        // While it is open, the entity takes no other order.
        let second = browser
            .post(
                &format!("{site_path}/orders"),
                &[("csrf_token", &site.csrf()), ("operation", "CANCEL_SITE")],
            )
            .await;
        assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.body);
        // Given up from its page, the entity is free again.
        let page = browser.get(&order_path).await;
        let abandoned = browser
            .post(
                &format!("{order_path}/abandon"),
                &[("csrf_token", &page.csrf())],
            )
            .await;
        assert_eq!(
            abandoned.location(),
            format!("{order_path}?done=order-abandoned"),
            "{}",
            abandoned.body
        );
        let page = browser.get(abandoned.location()).await;
        assert!(!page.body.contains("id=\"edit\""), "{}", page.body);

        // 注销网站: an order with nothing to edit.
        let cancel = browser
            .post(
                &format!("{site_path}/orders"),
                &[("csrf_token", &site.csrf()), ("operation", "CANCEL_SITE")],
            )
            .await;
        assert_eq!(cancel.status, StatusCode::SEE_OTHER, "{}", cancel.body);
        let page = browser.get(cancel.location()).await;
        assert!(page.body.contains("注销网站"), "{}", page.body);
        assert!(!page.body.contains("id=\"edit\""), "{}", page.body);
        // An operation the page does not offer, and another customer's site.
        let odd = browser
            .post(
                &format!("{site_path}/orders"),
                &[("csrf_token", &site.csrf()), ("operation", "FIRST")],
            )
            .await;
        assert_eq!(odd.status, StatusCode::BAD_REQUEST);
        customer(&w.app, "nosy-ch@example.com").await;
        let mut other = Browser::new(&w.app, WebSettings::default());
        other.log_in("nosy-ch@example.com", PASSWORD).await;
        let form = other.get("/console").await;
        let theirs = other
            .post(
                &format!("{site_path}/orders"),
                &[("csrf_token", &form.csrf()), ("operation", "CHANGE_SITE")],
            )
            .await;
        assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    }
);

both_backends!(
    a_coupon_in_the_cart_shows_and_charges_the_discounted_price,
    |db: TestDb| async move {
        use yuming_app::registrar::{coupons, domains};
        let (app, _clock) = test_app(&db.db);
        let owner = fixtures::funded_customer(&app, "coupon@example.com", 100_000).await;
        let contact = contact_of(&app, &owner).await;
        let finance = yuming_core::access::Actor {
            account_id: "cli".into(),
            tenant_id: String::new(),
            role: yuming_core::access::Role::Admin,
            rights: yuming_core::access::RightSet::all(),
            method: yuming_core::access::AuthMethod::Operator,
        };
        coupons::create(
            &app,
            &yuming_app::RequestContext::internal("test"),
            &finance,
            coupons::CouponInput {
                code: "spring20".into(),
                kind: "percent".into(),
                value: 20,
                ..coupons::CouponInput::default()
            },
        )
        .await
        .expect("coupon");
        let per_year = domains::check(&app, &["coupon-cart.com".to_owned()])
            .await
            .expect("check")[0]
            .price
            .expect("a price")
            .register
            .minor();
        let off = per_year * 20 / 100;
        let money = |minor: i64| format!("¥{}.{:02}", minor / 100, minor % 100);

        let mut browser = Browser::new(&app, WebSettings::default());
        browser
            .log_in("coupon@example.com", fixtures::PASSWORD)
            .await;
        let search = browser.get("/search?q=coupon-cart.com").await;
        browser
            .post(
                "/cart/add",
                &[
                    ("csrf_token", &search.csrf()),
                    ("back", "/cart"),
                    ("name", "coupon-cart.com"),
                ],
            )
            .await;
        let cart = browser.get("/cart").await;
        let wrong = browser
            .post(
                "/cart/update",
                &[("csrf_token", &cart.csrf()), ("coupon", "nope")],
            )
            .await;
        assert_eq!(wrong.location(), "/cart?coupon=nope");
        let page = browser.get("/cart?coupon=nope").await;
        assert!(page.body.contains("优惠码无效"), "{}", page.body);
        let applied = browser
            .post(
                "/cart/update",
                &[("csrf_token", &cart.csrf()), ("coupon", "spring20")],
            )
            .await;
        let page = browser.get(applied.location()).await;
        assert!(
            page.body.contains(&format!("优惠码立减 {}", money(off))),
            "{}",
            page.body
        );
        assert!(
            page.body.contains(&money(per_year - off)),
            "the total is what will be charged"
        );

        let key_marker = "name=\"form_key\" value=\"";
        let start = page.body.find(key_marker).expect("form key") + key_marker.len();
        let key = page.body[start..].split('"').next().unwrap().to_owned();
        let paid = browser
            .post(
                "/cart/checkout",
                &[
                    ("csrf_token", &page.csrf()),
                    ("form_key", &key),
                    ("years:coupon-cart.com", "1"),
                    ("registrant_contact_id", &contact),
                    ("nameservers", ""),
                    ("coupon", "spring20"),
                ],
            )
            .await;
        assert_eq!(paid.status, StatusCode::SEE_OTHER, "{}", paid.body);
        let batch_path = paid.location().split('?').next().unwrap().to_owned();
        for _ in 0..200 {
            let page = browser.get(&batch_path).await;
            if !page.body.contains("http-equiv=\"refresh\"") {
                assert!(
                    page.body.contains("已处理 1") && !page.body.contains("失败 "),
                    "{}",
                    page.body
                );
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        let balance = yuming_app::billing::balance(&app, &owner, yuming_core::money::Currency::Cny)
            .await
            .expect("balance")
            .balance
            .minor();
        assert_eq!(
            100_000 - balance,
            per_year - off,
            "charged the discounted price"
        );
    }
);

both_backends!(
    the_cart_pays_an_order_online_and_shows_promotions,
    |db: TestDb| async move {
        use yuming_app::registrar::pricing;
        let (app, _clock) = test_app(&db.db);
        let owner = fixtures::funded_customer(&app, "online@example.com", 1).await;
        let contact = contact_of(&app, &owner).await;
        pricing::create_promotion(
            &app,
            &yuming_app::RequestContext::internal("test"),
            &yuming_core::access::Actor::system(),
            pricing::PromotionInput {
                tld: "top".into(),
                operation: "register".into(),
                price: 100,
                currency: None,
                first_year_only: true,
                label: Some("首年 1 元".into()),
                starts_at: None,
                ends_at: None,
            },
        )
        .await
        .expect("promotion");

        let mut browser = Browser::new(&app, WebSettings::default());
        browser
            .log_in("online@example.com", fixtures::PASSWORD)
            .await;
        let search = browser.get("/search?q=online-order.top").await;
        assert!(search.body.contains("首年 1 元"), "{}", search.body);
        assert!(
            search.body.contains("<s class=\"muted\">¥9.00</s> ¥1.00"),
            "the list price is struck through beside the promotional one"
        );
        browser
            .post(
                "/cart/add",
                &[
                    ("csrf_token", &search.csrf()),
                    ("back", "/cart"),
                    ("name", "online-order.top"),
                ],
            )
            .await;
        let cart = browser.get("/cart").await;
        assert!(
            cart.body.contains("name=\"pay_with\" value=\"sandbox\""),
            "{}",
            cart.body
        );
        let key_marker = "name=\"form_key\" value=\"";
        let start = cart.body.find(key_marker).expect("form key") + key_marker.len();
        let key = cart.body[start..].split('"').next().unwrap().to_owned();
        // Two years: ¥1 for the first under the promotion, ¥9 list for the second.
        let placed = browser
            .post(
                "/cart/checkout",
                &[
                    ("csrf_token", &cart.csrf()),
                    ("form_key", &key),
                    ("years:online-order.top", "2"),
                    ("registrant_contact_id", &contact),
                    ("nameservers", ""),
                    ("pay_with", "sandbox"),
                ],
            )
            .await;
        assert_eq!(placed.status, StatusCode::SEE_OTHER, "{}", placed.body);
        assert!(
            placed.location().starts_with("/console/billing/payments/"),
            "{}",
            placed.location()
        );
        let payment = browser.get(placed.location()).await;
        assert!(payment.body.contains("待支付"), "{}", payment.body);
        assert!(
            payment.body.contains("online-order.top"),
            "{}",
            payment.body
        );
        assert!(payment.body.contains("¥10.00"), "{}", payment.body);
        let orders = yuming_app::registrar::checkout::list(&app, &owner)
            .await
            .expect("orders");
        assert_eq!(orders.len(), 1);
        assert_eq!(orders[0].row.amount, 1_000);
        assert_eq!(orders[0].row.status, "awaiting_payment");
    }
);

both_backends!(
    a_bank_transfer_gets_a_reference_and_the_account_to_pay,
    |db: TestDb| async move {
        let (app, _clock) = yuming_test_support::test_app_with(
            &db.db,
            yuming_app::AppSettings {
                bank_account: Some(yuming_app::billing::bank::BankAccount {
                    account_name: "域名科技有限公司".into(),
                    bank_name: "招商银行北京分行".into(),
                    account_number: "110900000010201".into(),
                }),
                ..yuming_test_support::test_settings()
            },
        );
        fixtures::funded_customer(&app, "bank@example.com", 1).await;
        let mut browser = Browser::new(&app, WebSettings::default());
        browser.log_in("bank@example.com", fixtures::PASSWORD).await;
        let billing = browser.get("/console/billing").await;
        assert!(billing.body.contains("对公转账充值"), "{}", billing.body);
        let start = billing
            .body
            .find("action=\"/console/billing/bank-transfer\"")
            .expect("bank form");
        let marker = "name=\"form_key\" value=\"";
        let at = billing.body[start..].find(marker).expect("form key") + start + marker.len();
        let key = billing.body[at..].split('"').next().unwrap().to_owned();
        let wrong = browser
            .post(
                "/console/billing/bank-transfer",
                &[
                    ("csrf_token", &billing.csrf()),
                    ("form_key", &key),
                    ("amount", "abc"),
                ],
            )
            .await;
        assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
        let asked = browser
            .post(
                "/console/billing/bank-transfer",
                &[
                    ("csrf_token", &billing.csrf()),
                    ("form_key", &key),
                    ("amount", "5,000"),
                ],
            )
            .await;
        assert_eq!(asked.status, StatusCode::SEE_OTHER, "{}", asked.body);
        let page = browser.get(asked.location()).await;
        assert!(page.body.contains("110900000010201"), "{}", page.body);
        assert!(
            page.body.contains("¥5000.00") || page.body.contains("¥5,000.00"),
            "{}",
            page.body
        );
        assert!(page.body.contains(">YM"), "the reference: {}", page.body);
        let billing = browser.get("/console/billing").await;
        assert!(billing.body.contains("等待转账"), "{}", billing.body);
    }
);

both_backends!(
    a_service_is_bought_in_the_console,
    |db: TestDb| async move {
        use yuming_app::billing::services;
        let (app, _clock) = test_app(&db.db);
        let owner = fixtures::funded_customer(&app, "svc@example.com", 50_000).await;
        services::set_product(
            &app,
            &yuming_app::RequestContext::internal("test"),
            &yuming_core::access::Actor::system(),
            services::ProductInput {
                code: "filing-assist".into(),
                name_zh: "备案协助服务".into(),
                name_en: "Filing assistance".into(),
                description: "专人协助准备备案材料".into(),
                price: 29_900,
                currency: None,
                active: true,
            },
        )
        .await
        .expect("product");
        let mut browser = Browser::new(&app, WebSettings::default());
        browser.log_in("svc@example.com", fixtures::PASSWORD).await;
        let page = browser.get("/console/services").await;
        assert!(
            page.body.contains("备案协助服务") && page.body.contains("¥299.00"),
            "{}",
            page.body
        );
        let marker = "name=\"form_key\" value=\"";
        let at = page.body.find(marker).expect("form key") + marker.len();
        let key = page.body[at..].split('"').next().unwrap().to_owned();
        let too_many = browser
            .post(
                "/console/services/filing-assist/buy",
                &[
                    ("csrf_token", &page.csrf()),
                    ("form_key", &key),
                    ("quantity", "2"),
                    ("note", ""),
                ],
            )
            .await;
        assert_eq!(
            too_many.status,
            StatusCode::PAYMENT_REQUIRED,
            "{}",
            too_many.body
        );
        let page = browser.get("/console/services").await;
        let at = page.body.find(marker).expect("form key") + marker.len();
        let key = page.body[at..].split('"').next().unwrap().to_owned();
        let bought = browser
            .post(
                "/console/services/filing-assist/buy",
                &[
                    ("csrf_token", &page.csrf()),
                    ("form_key", &key),
                    ("quantity", "1"),
                    ("note", "example.cn"),
                ],
            )
            .await;
        assert_eq!(bought.status, StatusCode::SEE_OTHER, "{}", bought.body);
        let billing = browser.get(bought.location()).await;
        assert!(billing.body.contains("购买成功"), "{}", billing.body);
        let balance = yuming_app::billing::balance(&app, &owner, yuming_core::money::Currency::Cny)
            .await
            .expect("balance")
            .balance
            .minor();
        assert_eq!(balance, 50_000 - 29_900);
    }
);

both_backends!(
    the_back_office_checks_rights_csrf_and_claims,
    |db: TestDb| async move {
        use yuming_core::access::Role;
        use yuming_test_support::filing::{self as world, PERSON_ID};
        let w = world::world(&db).await;
        let (alice, order) = world::ready_order(
            &w,
            "claims@example.com",
            "claims-example.cn",
            "203.0.113.44",
            "13800138000",
            PERSON_ID,
        )
        .await;
        w.clock.advance_days(31);
        let ctx = fixtures::ctx();
        yuming_app::filing::verify_type(&w.app, &ctx, &alice, &order)
            .await
            .expect("type check");
        yuming_app::filing::submit(&w.app, &ctx, &alice, &order)
            .await
            .expect("submit");
        fixtures::staff(&w.app, "second-reviewer@example.com", Role::Reviewer).await;
        fixtures::staff(&w.app, "root@example.com", Role::Admin).await;
        let register_price = |app: App| async move {
            yuming_app::registrar::catalogue::price_list(&app, &fixtures::operator())
                .await
                .expect("prices")
                .into_iter()
                .find(|t| t.ascii == "top")
                .expect(".top")
                .prices
                .register
        };
        let before = register_price(w.app.clone()).await;

        // A customer: every staff page is the plain 404, a staff form changes nothing.
        let mut customer = Browser::new(&w.app, WebSettings::default());
        customer.log_in("claims@example.com", PASSWORD).await;
        for path in [
            "/admin",
            "/admin/review/filing",
            &format!("/admin/review/filing/{order}"),
        ] {
            let answer = customer.get(path).await;
            assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
            assert!(!answer.body.contains("运营后台"), "{path}: {}", answer.body);
        }
        let csrf = customer.get("/console").await.csrf();
        let answer = customer
            .post(
                "/admin/catalogue/top/prices",
                &[
                    ("csrf_token", &csrf),
                    ("register", "1"),
                    ("renew", "1"),
                    ("transfer", "1"),
                    ("restore", "1"),
                ],
            )
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert_eq!(register_price(w.app.clone()).await, before);

        // The first reviewer claims the order in the browser; the second sees the claim
        // and cannot decide it.
        let mut first = Browser::new(&w.app, WebSettings::default());
        first.log_in("reviewer@example.com", PASSWORD).await;
        let page = first.get(&format!("/admin/review/filing/{order}")).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("本次查看已记入审计日志"));
        let claimed = first
            .post(
                &format!("/admin/review/filing/{order}/claim"),
                &[
                    ("csrf_token", &page.csrf()),
                    (
                        "form_key",
                        between(&page.body, "name=\"form_key\" value=\"", "\""),
                    ),
                ],
            )
            .await;
        assert_eq!(claimed.status, StatusCode::SEE_OTHER, "{}", claimed.body);
        let mut second = Browser::new(&w.app, WebSettings::default());
        second.log_in("second-reviewer@example.com", PASSWORD).await;
        let page = second.get(&format!("/admin/review/filing/{order}")).await;
        assert!(page.body.contains("认领，您只能查看"), "{}", page.body);
        assert!(
            !page.body.contains("/approve"),
            "no decision form for the second reviewer"
        );
        let refused = second
            .post(
                &format!("/admin/review/filing/{order}/approve"),
                &[
                    ("csrf_token", &page.csrf()),
                    ("form_key", "web-second-reviewer"),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
        let status = yuming_app::filing::get_order(&w.app, &alice, &order)
            .await
            .expect("order")
            .status;
        assert_eq!(status.as_str(), "PROVIDER_REVIEW");
        // A rejection without a comment for the applicant is refused beside the field.
        let page = first.get(&format!("/admin/review/filing/{order}")).await;
        let refused = first
            .post(
                &format!("/admin/review/filing/{order}/reject"),
                &[
                    ("csrf_token", &page.csrf()),
                    (
                        "form_key",
                        between(&page.body, "name=\"form_key\" value=\"", "\""),
                    ),
                    ("field", "site.name"),
                    ("code", "SITE_NAME_INVALID"),
                    ("comment", " "),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert!(
            refused.body.contains("请写明申请人需要修改的内容"),
            "{}",
            refused.body
        );
        // The first reviewer puts it back; now the second can claim it.
        let page = first.get(&format!("/admin/review/filing/{order}")).await;
        let released = first
            .post(
                &format!("/admin/review/filing/{order}/release"),
                &[("csrf_token", &page.csrf()), ("form_key", &form_key(&page))],
            )
            .await;
        assert_eq!(released.status, StatusCode::SEE_OTHER, "{}", released.body);
        let page = second.get(&format!("/admin/review/filing/{order}")).await;
        let claimed = second
            .post(
                &format!("/admin/review/filing/{order}/claim"),
                &[("csrf_token", &page.csrf()), ("form_key", &form_key(&page))],
            )
            .await;
        assert_eq!(claimed.status, StatusCode::SEE_OTHER, "{}", claimed.body);
        // A reviewer is not an administrator.
        assert_eq!(
            first.get("/admin/catalogue").await.status,
            StatusCode::FORBIDDEN
        );

        // An administrator: a forged form (no CSRF token) and a price that is not an amount
        // change nothing; a good one changes the price and is audited.
        let mut admin = Browser::new(&w.app, WebSettings::default());
        admin.log_in("root@example.com", PASSWORD).await;
        let page = admin.get("/admin/catalogue").await;
        assert_eq!(page.status, StatusCode::OK);
        let forged = admin
            .post(
                "/admin/catalogue/top/prices",
                &[
                    ("register", "1"),
                    ("renew", "1"),
                    ("transfer", "1"),
                    ("restore", "1"),
                ],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let bad = admin
            .post(
                "/admin/catalogue/top/prices",
                &[
                    ("csrf_token", &page.csrf()),
                    (
                        "form_key",
                        between(&page.body, "name=\"form_key\" value=\"", "\""),
                    ),
                    ("register", "九块"),
                    ("renew", "29"),
                    ("transfer", "29"),
                    ("restore", "120"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(bad.body.contains("九块"), "the typed value is kept");
        assert_eq!(register_price(w.app.clone()).await, before);
        let good = admin
            .post(
                "/admin/catalogue/top/prices",
                &[
                    ("csrf_token", &page.csrf()),
                    (
                        "form_key",
                        between(&page.body, "name=\"form_key\" value=\"", "\""),
                    ),
                    ("register", "8.8"),
                    ("renew", "29"),
                    ("transfer", "29"),
                    ("restore", "120"),
                ],
            )
            .await;
        assert_eq!(good.status, StatusCode::SEE_OTHER, "{}", good.body);
        assert_eq!(register_price(w.app.clone()).await, 880);
        let audit = yuming_app::platform::audit::list(&w.app, &fixtures::operator(), None, 50)
            .await
            .expect("audit");
        assert!(
            audit
                .entries
                .iter()
                .any(|e| e.action == "catalogue.prices" && e.object_id == "top")
        );

        // Support lookups: by e-mail and by domain name, each audited; an unknown one says so.
        let found = admin.get("/admin/customers?q=claims-example.cn").await;
        assert_eq!(found.status, StatusCode::OK);
        assert!(found.body.contains("claims@example.com"), "{}", found.body);
        assert!(found.body.contains("claims-example.cn"));
        let unknown = admin.get("/admin/customers?q=nobody%40example.com").await;
        assert!(
            unknown.body.contains("aria-invalid=\"true\""),
            "{}",
            unknown.body
        );
        let audit = yuming_app::platform::audit::list(&w.app, &fixtures::operator(), None, 50)
            .await
            .expect("audit");
        assert!(audit.entries.iter().any(|e| e.action == "customer.lookup"));
    }
);

/// The `form_key` of the first form on a page.
fn form_key(page: &Answer) -> String {
    between(&page.body, "name=\"form_key\" value=\"", "\"").to_owned()
}

both_backends!(
    finance_works_invoices_statements_and_the_audit_log_in_the_browser,
    |db: TestDb| async move {
        use yuming_app::billing::{bank, invoices};
        use yuming_core::access::Role;
        let (app, _clock) = test_app(&db.db);
        let payer = fixtures::funded_customer(&app, "payer@example.com", 10_000).await;
        fixtures::staff(&app, "money@example.com", Role::Finance).await;
        let (orders, _) = invoices::invoiceable(&app, &payer).await.expect("orders");
        let invoice = invoices::request(
            &app,
            &fixtures::ctx(),
            &payer,
            invoices::InvoiceRequest {
                kind: "personal".into(),
                buyer: invoices::InvoiceBuyer {
                    title: "王五".into(),
                    tax_id: String::new(),
                    address: String::new(),
                    phone: String::new(),
                    bank: String::new(),
                    bank_account: String::new(),
                    email: String::new(),
                },
                order_ids: orders.iter().map(|(o, _)| o.id.clone()).collect(),
            },
        )
        .await
        .expect("invoice request");

        let mut finance = Browser::new(&app, WebSettings::default());
        finance.log_in("money@example.com", PASSWORD).await;
        let page = finance.get("/admin/finance").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("王五"), "{}", page.body);
        // An invoice number that is not one is refused beside the request; a good one issues it.
        let refused = finance
            .post(
                &format!("/admin/finance/invoices/{}/issue", invoice.id),
                &[
                    ("csrf_token", &page.csrf()),
                    ("form_key", &form_key(&page)),
                    ("text", "abc"),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
        assert!(refused.body.contains("role=\"alert\""));
        let issued = finance
            .post(
                &format!("/admin/finance/invoices/{}/issue", invoice.id),
                &[
                    ("csrf_token", &page.csrf()),
                    ("form_key", &form_key(&refused)),
                    ("text", "24110000000000012345"),
                ],
            )
            .await;
        assert_eq!(issued.status, StatusCode::SEE_OTHER, "{}", issued.body);
        let after = invoices::get(&app, &payer, &invoice.id)
            .await
            .expect("invoice");
        assert_eq!(after.status, "issued");

        // A statement: its one line carries no reference, so it waits; finance credits it to
        // the customer by e-mail, once even when the form is sent twice.
        let statement = "txn_id,booked_on,amount,payer_name,payer_account,memo\n\
                         T9,2026-12-01,88.00,王五,6222000000000009,域名费\n";
        let page = finance.get("/admin/finance").await;
        let imported = finance
            .post_file(
                "/admin/finance/statements",
                &[("csrf_token", &page.csrf())],
                "file",
                statement.as_bytes(),
            )
            .await;
        assert_eq!(imported.status, StatusCode::OK, "{}", imported.body);
        assert!(
            imported.body.contains("已导入 1 条流水"),
            "{}",
            imported.body
        );
        assert!(imported.body.contains("6222000000000009"));
        let line = bank::lines(&app, &fixtures::operator(), Some("unmatched"))
            .await
            .expect("lines")
            .remove(0);
        let balance = |app: App| async move {
            let payer = fixtures::login(&app, "payer@example.com").await;
            yuming_app::billing::balance(&app, &payer, yuming_core::money::Currency::Cny)
                .await
                .expect("balance")
                .balance
                .minor()
        };
        let before = balance(app.clone()).await;
        let unknown = finance
            .post(
                &format!("/admin/finance/lines/{}/assign", line.row.id),
                &[
                    ("csrf_token", &imported.csrf()),
                    ("form_key", &form_key(&imported)),
                    ("email", "nobody@example.com"),
                ],
            )
            .await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
        let key = form_key(&unknown);
        for _ in 0..2 {
            let assigned = finance
                .post(
                    &format!("/admin/finance/lines/{}/assign", line.row.id),
                    &[
                        ("csrf_token", &unknown.csrf()),
                        ("form_key", &key),
                        ("email", "payer@example.com"),
                    ],
                )
                .await;
            assert_eq!(assigned.status, StatusCode::SEE_OTHER, "{}", assigned.body);
        }
        assert_eq!(balance(app.clone()).await, before + 8_800);

        // The audit log: searched by object, and its chain verified.
        let found = finance
            .get(&format!("/admin/audit?object={}", invoice.id))
            .await;
        assert_eq!(found.status, StatusCode::OK);
        assert!(found.body.contains(&invoice.id), "{}", found.body);
        assert!(
            !found.body.contains(&line.row.id),
            "only the invoice's entries"
        );
        let verified = finance.get("/admin/audit?verify=1").await;
        assert!(verified.body.contains("哈希链完好"), "{}", verified.body);
        // Revenue: a registration counts, the top-ups do not; the CSV carries the same.
        let contact = yuming_test_support::filing::verified_contact(
            &app,
            &payer,
            "person",
            "王五",
            "resident_id",
            "11010519491231002X",
        )
        .await;
        yuming_test_support::filing::register(&app, &payer, "revenue-example.cn", &contact).await;
        let report = finance.get("/admin/finance/revenue").await;
        assert_eq!(report.status, StatusCode::OK, "{}", report.body);
        assert!(report.body.contains(".cn"), "{}", report.body);
        assert!(report.body.contains("注册"), "{}", report.body);
        assert!(
            !report.body.contains("data-label=\"业务\">充值"),
            "top-ups are not revenue: {}",
            report.body
        );
        let csv = finance
            .get("/admin/finance/revenue.csv?from=2025-12-25&to=2026-01-01")
            .await;
        assert_eq!(csv.status, StatusCode::OK);
        assert!(
            csv.headers[header::CONTENT_TYPE]
                .to_str()
                .is_ok_and(|t| t.starts_with("text/csv")),
            "{:?}",
            csv.headers
        );
        assert!(
            csv.body.contains("2026-01-01,cn,register,1,"),
            "{}",
            csv.body
        );
        let backwards = finance
            .get("/admin/finance/revenue?from=2026-01-02&to=2026-01-01")
            .await;
        assert_eq!(backwards.status, StatusCode::BAD_REQUEST);
        assert!(backwards.body.contains("结束日期不能早于开始日期"));
        let not_a_date = finance.get("/admin/finance/revenue?from=yesterday").await;
        assert_eq!(not_a_date.status, StatusCode::BAD_REQUEST);

        let mut customer = Browser::new(&app, WebSettings::default());
        customer.log_in("payer@example.com", PASSWORD).await;
        assert_eq!(
            customer.get("/admin/finance/revenue.csv").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            customer.get("/admin/audit").await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            customer.get("/admin/finance").await.status,
            StatusCode::NOT_FOUND
        );
    }
);

both_backends!(
    a_reviewer_cannot_decide_on_a_contact_that_changed_after_opening_it,
    |db: TestDb| async move {
        use yuming_app::registrar::{contact_documents, contacts};
        use yuming_core::access::Role;
        let (app, clock) = test_app(&db.db);
        let holder = fixtures::customer(&app, "changes@example.com").await;
        fixtures::staff(&app, "checker@example.com", Role::Reviewer).await;
        let contact = contacts::create(
            &app,
            &fixtures::ctx(),
            &holder,
            &contacts::NewContactInput {
                kind: "person".into(),
                name: "赵六".into(),
                id_type: "resident_id".into(),
                id_number: "11010519491231002X".into(),
                email: "zl@example.com".into(),
                phone: "13700137000".into(),
                address: contacts::AddressFields {
                    country: "CN".into(),
                    province: "北京".into(),
                    city: "北京".into(),
                    street: "王府井大街 1 号".into(),
                    postal_code: None,
                },
            },
        )
        .await
        .expect("contact");
        let upload = |kind: &'static str| {
            let (app, holder, id) = (app.clone(), holder.clone(), contact.id.clone());
            async move {
                contact_documents::upload(
                    &app,
                    &fixtures::ctx(),
                    &holder,
                    &id,
                    kind,
                    fixtures::document_png(1100, 700),
                )
                .await
                .expect("upload")
            }
        };
        upload("id_front").await;
        upload("id_back").await;
        let mut reviewer = Browser::new(&app, WebSettings::default());
        reviewer.log_in("checker@example.com", PASSWORD).await;
        let opened = reviewer
            .get(&format!("/admin/review/contacts/{}", contact.id))
            .await;
        assert_eq!(opened.status, StatusCode::OK);
        // The holder replaces a document while the reviewer looks at the old one.
        clock.advance_secs(60);
        upload("id_front").await;
        let stale = reviewer
            .post(
                &format!("/admin/review/contacts/{}/decision", contact.id),
                &[
                    ("csrf_token", &opened.csrf()),
                    ("form_key", &form_key(&opened)),
                    (
                        "seen",
                        between(&opened.body, "name=\"seen\" value=\"", "\""),
                    ),
                    ("decision", "approve"),
                ],
            )
            .await;
        assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
        assert!(stale.body.contains("请刷新页面重新查看"), "{}", stale.body);
        let now = contacts::get(&app, &holder, &contact.id)
            .await
            .expect("contact");
        assert_eq!(now.verification.status.as_str(), "pending");
        // Looked at again, it can be decided.
        let again = reviewer
            .get(&format!("/admin/review/contacts/{}", contact.id))
            .await;
        let decided = reviewer
            .post(
                &format!("/admin/review/contacts/{}/decision", contact.id),
                &[
                    ("csrf_token", &again.csrf()),
                    ("form_key", &form_key(&again)),
                    ("seen", between(&again.body, "name=\"seen\" value=\"", "\"")),
                    ("decision", "approve"),
                ],
            )
            .await;
        assert_eq!(decided.status, StatusCode::SEE_OTHER, "{}", decided.body);
        let now = contacts::get(&app, &holder, &contact.id)
            .await
            .expect("contact");
        assert_eq!(now.verification.status.as_str(), "verified");
    }
);

both_backends!(
    an_administrator_adds_staff_and_support_sees_a_customers_orders,
    |db: TestDb| async move {
        use yuming_core::access::Role;
        let (app, _clock) = test_app(&db.db);
        fixtures::staff(&app, "boss@example.com", Role::Admin).await;
        fixtures::funded_customer(&app, "buyer@example.com", 5_000).await;
        let mut admin = Browser::new(&app, WebSettings::default());
        admin.log_in("boss@example.com", PASSWORD).await;
        let page = admin.get("/admin/staff").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("boss@example.com"));
        assert!(
            !page.body.contains("buyer@example.com"),
            "customers are not staff"
        );
        // A weak first password is refused beside its field, and nothing is created.
        let weak = admin
            .post(
                "/admin/staff",
                &[
                    ("csrf_token", &page.csrf()),
                    ("form_key", &form_key(&page)),
                    ("email", "helper@example.com"),
                    ("display_name", "小帮手"),
                    ("role", "support"),
                    ("password", "short"),
                ],
            )
            .await;
        assert_eq!(weak.status, StatusCode::BAD_REQUEST, "{}", weak.body);
        assert!(
            weak.body
                .contains("aria-invalid=\"true\" aria-describedby=\"e-s-password\"")
        );
        assert!(
            weak.body.contains("helper@example.com"),
            "the typed e-mail is kept"
        );
        // Not a staff role: refused.
        let customer_role = admin
            .post(
                "/admin/staff",
                &[
                    ("csrf_token", &page.csrf()),
                    ("form_key", &form_key(&weak)),
                    ("email", "helper@example.com"),
                    ("display_name", "小帮手"),
                    ("role", "customer"),
                    ("password", "a long enough passphrase"),
                ],
            )
            .await;
        assert_eq!(customer_role.status, StatusCode::BAD_REQUEST);
        let created = admin
            .post(
                "/admin/staff",
                &[
                    ("csrf_token", &page.csrf()),
                    ("form_key", &form_key(&customer_role)),
                    ("email", "helper@example.com"),
                    ("display_name", "小帮手"),
                    ("role", "support"),
                    ("password", "a long enough passphrase"),
                ],
            )
            .await;
        assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
        // The new support member logs in, lands in the back office, and finds the customer
        // with their orders; the catalogue is not theirs.
        let mut support = Browser::new(&app, WebSettings::default());
        support
            .log_in("helper@example.com", "a long enough passphrase")
            .await;
        let home = support.get("/console").await;
        assert_eq!(home.location(), "/admin");
        let dashboard = support.get("/admin").await;
        assert_eq!(dashboard.status, StatusCode::OK);
        assert!(
            !dashboard.body.contains("/admin/catalogue"),
            "no platform menu for support"
        );
        assert!(
            !dashboard.body.contains("上线前请修改"),
            "settings are the admins' concern"
        );
        let found = support.get("/admin/customers?q=buyer%40example.com").await;
        assert!(found.body.contains("最近的订单"), "{}", found.body);
        assert!(found.body.contains("充值"), "{}", found.body);
        assert!(!found.body.contains("手工入账"), "support cannot credit");
        assert_eq!(
            support.get("/admin/catalogue").await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            support.get("/admin/finance").await.status,
            StatusCode::FORBIDDEN
        );
    }
);

both_backends!(
    a_large_credit_in_the_back_office_waits_for_a_second_person,
    |db: TestDb| async move {
        use yuming_core::access::Role;
        let (app, _clock) = test_app(&db.db);
        let buyer = fixtures::customer(&app, "whale@example.com").await;
        fixtures::staff(&app, "asker@example.com", Role::Finance).await;
        fixtures::staff(&app, "checker2@example.com", Role::Finance).await;
        let balance = |app: App| async move {
            let buyer = fixtures::login(&app, "whale@example.com").await;
            yuming_app::billing::balance(&app, &buyer, yuming_core::money::Currency::Cny)
                .await
                .expect("balance")
                .balance
                .minor()
        };
        let mut asker = Browser::new(&app, WebSettings::default());
        asker.log_in("asker@example.com", PASSWORD).await;
        let page = asker.get("/admin/customers?q=whale%40example.com").await;
        let sent = asker
            .post(
                &format!("/admin/customers/{}/credit", buyer.tenant_id),
                &[
                    ("csrf_token", &page.csrf()),
                    ("form_key", &form_key(&page)),
                    ("q", "whale@example.com"),
                    ("amount", "20000"),
                    ("note", "对公转账 T200"),
                ],
            )
            .await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
        assert!(
            sent.location().contains("done=credit-requested"),
            "{}",
            sent.location()
        );
        assert_eq!(
            balance(app.clone()).await,
            0,
            "nothing booked before the second approval"
        );
        let own = asker.get("/admin/finance").await;
        assert!(own.body.contains("这是您提交的申请"), "{}", own.body);
        assert!(
            !own.body.contains("/approve\""),
            "no approve button for the asker"
        );

        let mut checker = Browser::new(&app, WebSettings::default());
        checker.log_in("checker2@example.com", PASSWORD).await;
        let queue = checker.get("/admin/finance").await;
        assert!(queue.body.contains("¥20,000.00"), "{}", queue.body);
        let request = between(
            &queue.body,
            "action=\"/admin/finance/credits/",
            "/approve\"",
        )
        .to_owned();
        let approved = checker
            .post(
                &format!("/admin/finance/credits/{request}/approve"),
                &[
                    ("csrf_token", &queue.csrf()),
                    ("form_key", &form_key(&queue)),
                ],
            )
            .await;
        assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
        assert_eq!(balance(app.clone()).await, 2_000_000);
    }
);

both_backends!(
    support_finds_a_customer_by_filing_number,
    |db: TestDb| async move {
        use yuming_core::access::Role;
        use yuming_test_support::filing::{self as world, PERSON_ID};
        let w = world::world(&db).await;
        let (alice, order) = world::ready_order(
            &w,
            "filed-owner@example.com",
            "filed-owner.cn",
            "203.0.113.45",
            "13800138000",
            PERSON_ID,
        )
        .await;
        let (_, sites) = world::approved_first_filing(&w, &alice, &order).await;
        let number = sites[0].site_no.clone().expect("a site number");
        fixtures::staff(&w.app, "helpdesk@example.com", Role::Support).await;
        let mut support = Browser::new(&w.app, WebSettings::default());
        support.log_in("helpdesk@example.com", PASSWORD).await;
        let query = serde_urlencoded::to_string([("q", number.as_str())]).expect("query");
        let found = support.get(&format!("/admin/customers?{query}")).await;
        assert_eq!(found.status, StatusCode::OK);
        assert!(
            found.body.contains("filed-owner@example.com"),
            "{number}: {}",
            found.body
        );
        assert!(found.body.contains("filed-owner.cn"));
        // By the principal's mobile, typed the way people write it.
        let query = serde_urlencoded::to_string([("q", "+86 138-0013-8000")]).expect("query");
        let by_mobile = support.get(&format!("/admin/customers?{query}")).await;
        assert_eq!(by_mobile.status, StatusCode::OK);
        assert!(
            by_mobile.body.contains("filed-owner@example.com"),
            "{}",
            by_mobile.body
        );
        let query = serde_urlencoded::to_string([("q", "13900139000")]).expect("query");
        let nobody = support.get(&format!("/admin/customers?{query}")).await;
        assert!(!nobody.body.contains("filed-owner@example.com"));
    }
);

both_backends!(
    an_administrator_keeps_filing_rules_pools_and_the_blacklist,
    |db: TestDb| async move {
        use yuming_core::access::Role;
        let (app, _clock) = test_app(&db.db);
        fixtures::staff(&app, "rules@example.com", Role::Admin).await;
        let mut admin = Browser::new(&app, WebSettings::default());
        admin.log_in("rules@example.com", PASSWORD).await;
        let page = admin.get("/admin/filing-settings").await;
        assert_eq!(page.status, StatusCode::OK);
        let bad = admin
            .post(
                "/admin/filing-settings/pool",
                &[
                    ("csrf_token", &page.csrf()),
                    ("form_key", &form_key(&page)),
                    ("cidr", "203.0.113.0/99"),
                    ("region", "北京"),
                    ("mainland", "1"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
        assert!(
            bad.body.contains("203.0.113.0/99"),
            "the typed range is kept"
        );
        let added = admin
            .post(
                "/admin/filing-settings/pool",
                &[
                    ("csrf_token", &page.csrf()),
                    ("form_key", &form_key(&bad)),
                    ("cidr", "203.0.113.0/24"),
                    ("region", "北京"),
                    ("mainland", "1"),
                ],
            )
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
        let page = admin.get("/admin/filing-settings").await;
        assert!(page.body.contains("203.0.113.0/24"), "{}", page.body);
        let rule = admin
            .post(
                "/admin/filing-settings/rule",
                &[
                    ("csrf_token", &page.csrf()),
                    ("form_key", &form_key(&page)),
                    ("scope", "national"),
                    ("scope_key", ""),
                    ("key", "min_domain_age_days"),
                    ("value", "0"),
                    ("source", "工信部 2026 年通知"),
                ],
            )
            .await;
        assert_eq!(rule.status, StatusCode::SEE_OTHER, "{}", rule.body);
        let blacklisted = admin
            .post(
                "/admin/filing-settings/blacklist",
                &[
                    ("csrf_token", &page.csrf()),
                    ("form_key", "web-blacklist-1"),
                    ("id_type", "resident_id"),
                    ("number", "11010519491231002X"),
                    ("reason", "伪造证件"),
                ],
            )
            .await;
        assert_eq!(
            blacklisted.status,
            StatusCode::SEE_OTHER,
            "{}",
            blacklisted.body
        );
        let page = admin.get("/admin/filing-settings").await;
        assert!(page.body.contains("min_domain_age_days"));
        assert!(
            !page.body.contains("11010519491231002X"),
            "the blacklist keeps no number in clear"
        );
        let audit = yuming_app::platform::audit::list(&app, &fixtures::operator(), None, 50)
            .await
            .expect("audit");
        assert!(audit.entries.iter().any(|e| e.action.starts_with("filing.blacklist") || e.action.contains("blacklist")), "{:?}", audit.entries.iter().map(|e| &e.action).collect::<Vec<_>>());
    }
);

both_backends!(
    a_catalogue_import_is_previewed_before_it_is_applied,
    |db: TestDb| async move {
        use yuming_core::access::Role;
        let (app, _clock) = test_app(&db.db);
        fixtures::staff(&app, "catalog@example.com", Role::Admin).await;
        let mut admin = Browser::new(&app, WebSettings::default());
        admin.log_in("catalog@example.com", PASSWORD).await;
        // The catalogue exists once something reads it.
        let page = admin.get("/admin/catalogue").await;
        assert!(page.body.contains(".top"));
        let form = admin.get("/admin/catalogue/import").await;
        assert_eq!(form.status, StatusCode::OK);
        let file = "[[tld]]\nname = \"top\"\nprices = { register = 880, renew = 2900, transfer = 2900, restore = 12000 }\n\n\
                    [[tld]]\nname = \"xyz\"\nprices = { register = 1500, renew = 8900, transfer = 8900, restore = 12000 }\n";
        let preview = admin
            .post(
                "/admin/catalogue/import",
                &[
                    ("csrf_token", &form.csrf()),
                    ("step", "preview"),
                    ("text", file),
                ],
            )
            .await;
        assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
        assert!(preview.body.contains("新增"), "{}", preview.body);
        assert!(preview.body.contains("有改动"));
        assert!(
            preview.body.contains("<s>9.00</s> <strong>8.80</strong>"),
            "{}",
            preview.body
        );
        // Nothing changed by looking.
        let before = yuming_app::registrar::catalogue::price_list(&app, &fixtures::operator())
            .await
            .expect("prices");
        assert!(before.iter().all(|t| t.ascii != "xyz"));
        // A file that does not parse is refused beside the field, with the text kept.
        let broken = admin
            .post(
                "/admin/catalogue/import",
                &[
                    ("csrf_token", &form.csrf()),
                    ("step", "preview"),
                    ("text", "[[tld]\nname = 1"),
                ],
            )
            .await;
        assert_eq!(broken.status, StatusCode::BAD_REQUEST, "{}", broken.body);
        let applied = admin
            .post(
                "/admin/catalogue/import",
                &[
                    ("csrf_token", &preview.csrf()),
                    ("form_key", &form_key(&preview)),
                    ("step", "apply"),
                    ("text", file),
                ],
            )
            .await;
        assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.body);
        let after = yuming_app::registrar::catalogue::price_list(&app, &fixtures::operator())
            .await
            .expect("prices");
        assert_eq!(
            after
                .iter()
                .find(|t| t.ascii == "top")
                .expect("top")
                .prices
                .register,
            880
        );
        assert!(after.iter().any(|t| t.ascii == "xyz"));
    }
);

both_backends!(
    an_administrator_watches_the_jobs_and_runs_one_now,
    |db: TestDb| async move {
        use yuming_core::access::Role;
        let (app, _clock) = test_app(&db.db);
        fixtures::staff(&app, "night@example.com", Role::Admin).await;
        fixtures::staff(&app, "looker@example.com", Role::Reviewer).await;
        customer(&app, "curious@example.com").await;
        let mut admin = Browser::new(&app, WebSettings::default());
        admin.log_in("night@example.com", PASSWORD).await;
        let page = admin.get("/admin/operations").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("生命周期巡检"), "{}", page.body);
        assert!(page.body.contains("尚未运行"));
        assert!(page.body.contains("未设置 smtp_url"), "no SMTP here");
        assert!(
            !page
                .body
                .contains("/admin/operations/jobs/email_delivery/run"),
            "no run button for e-mail without a mailer"
        );
        let forged = admin
            .post("/admin/operations/jobs/lifecycle_sweep/run", &[])
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);

        let ran = admin
            .post(
                "/admin/operations/jobs/lifecycle_sweep/run",
                &[("csrf_token", &page.csrf()), ("form_key", &form_key(&page))],
            )
            .await;
        assert_eq!(ran.status, StatusCode::SEE_OTHER, "{}", ran.body);
        assert!(
            ran.location().contains("done=job-ran"),
            "{}",
            ran.location()
        );
        let after = admin.get(ran.location()).await;
        assert!(after.body.contains("任务已运行"), "{}", after.body);
        assert!(after.body.contains("手动运行"), "{}", after.body);
        assert!(
            after.body.contains("共运行 1 次，失败 0 次"),
            "{}",
            after.body
        );

        // E-mail cannot run without smtp_url: the form says why and nothing else changes.
        let refused = admin
            .post(
                "/admin/operations/jobs/email_delivery/run",
                &[
                    ("csrf_token", &after.csrf()),
                    ("form_key", &form_key(&after)),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
        assert!(refused.body.contains("未配置 smtp_url"), "{}", refused.body);
        let dashboard = admin.get("/admin").await;
        assert!(dashboard.body.contains("失败的任务"), "{}", dashboard.body);
        assert!(dashboard.body.contains("/admin/operations"));
        // The try-out nameservers are named on the administrators' dashboard, not only in
        // the log and the API.
        assert!(
            dashboard.body.contains("上线前请修改") && dashboard.body.contains("ns1.example.net"),
            "{}",
            dashboard.body
        );

        // Reviewers see the monitor's alerts, not the operations page; customers see neither.
        let mut reviewer = Browser::new(&app, WebSettings::default());
        reviewer.log_in("looker@example.com", PASSWORD).await;
        assert_eq!(
            reviewer.get("/admin/operations").await.status,
            StatusCode::FORBIDDEN
        );
        let monitor = reviewer.get("/admin/monitor").await;
        assert_eq!(monitor.status, StatusCode::OK);
        assert!(monitor.body.contains("没有告警"), "{}", monitor.body);
        let mut curious = Browser::new(&app, WebSettings::default());
        curious.log_in("curious@example.com", PASSWORD).await;
        for path in [
            "/admin/operations",
            "/admin/monitor",
            "/admin/finance/payments",
        ] {
            assert_eq!(
                curious.get(path).await.status,
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
    }
);

both_backends!(
    finance_debits_a_balance_and_lists_payments,
    |db: TestDb| async move {
        use yuming_core::access::Role;
        let (app, _clock) = test_app(&db.db);
        let buyer = fixtures::customer(&app, "overpaid@example.com").await;
        fixtures::staff(&app, "cashier@example.com", Role::Finance).await;
        let mut finance = Browser::new(&app, WebSettings::default());
        finance.log_in("cashier@example.com", PASSWORD).await;
        let path = format!("/admin/customers/{}/credit", buyer.tenant_id);
        let page = finance
            .get("/admin/customers?q=overpaid%40example.com")
            .await;
        assert!(
            page.body.contains("扣款（从客户余额扣回）"),
            "{}",
            page.body
        );
        let credited = book(&mut finance, &page, &path, "credit", "300", "对公转账 T400").await;
        assert_eq!(credited.status, StatusCode::SEE_OTHER, "{}", credited.body);
        // Taking back more than the balance: refused with the balance, typed values kept.
        let page = finance
            .get("/admin/customers?q=overpaid%40example.com")
            .await;
        let too_much = book(
            &mut finance,
            &page,
            &path,
            "debit",
            "300.01",
            "重复入账更正",
        )
        .await;
        assert_eq!(too_much.status, StatusCode::CONFLICT, "{}", too_much.body);
        assert!(too_much.body.contains("当前余额为"), "{}", too_much.body);
        assert!(too_much.body.contains("300.01"));
        let debited = book(
            &mut finance,
            &too_much,
            &path,
            "debit",
            "100",
            "重复入账更正",
        )
        .await;
        assert_eq!(debited.status, StatusCode::SEE_OTHER, "{}", debited.body);
        assert!(debited.location().contains("done=debited"));
        let shown = finance.get(debited.location()).await;
        assert!(shown.body.contains("已扣款"), "{}", shown.body);
        assert!(shown.body.contains("¥200.00"), "{}", shown.body);
        assert!(
            shown.body.contains("人工扣款"),
            "the order is listed: {}",
            shown.body
        );

        let payments = finance.get("/admin/finance/payments").await;
        assert_eq!(payments.status, StatusCode::OK);
        assert!(payments.body.contains("没有支付记录"), "{}", payments.body);
        assert!(payments.body.contains("尚未对账"));
        let filtered = finance.get("/admin/finance/payments?status=paid").await;
        assert_eq!(filtered.status, StatusCode::OK);
        let nonsense = finance
            .get("/admin/finance/payments?status=%3Cscript%3E")
            .await;
        assert_eq!(
            nonsense.status,
            StatusCode::OK,
            "an unknown status shows all"
        );
    }
);

/// Posts the customer page's credit/debit form.
async fn book(
    browser: &mut Browser,
    page: &Answer,
    path: &str,
    direction: &str,
    amount: &str,
    note: &str,
) -> Answer {
    browser
        .post(
            path,
            &[
                ("csrf_token", &page.csrf()),
                ("form_key", &form_key(page)),
                ("q", "overpaid@example.com"),
                ("direction", direction),
                ("amount", amount),
                ("note", note),
            ],
        )
        .await
}

both_backends!(
    an_administrator_keeps_the_reserved_and_screening_lists,
    |db: TestDb| async move {
        use yuming_core::access::Role;
        let (app, _clock) = test_app(&db.db);
        fixtures::staff(&app, "lists@example.com", Role::Admin).await;
        let mut admin = Browser::new(&app, WebSettings::default());
        admin.log_in("lists@example.com", PASSWORD).await;
        let mut visitor = Browser::new(&app, WebSettings::default());
        let before = visitor.get("/search?q=mybrand.top").await;
        assert!(!before.body.contains("保留域名"), "{}", before.body);

        let page = admin.get("/admin/catalogue/lists").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("同时使用内置词表"), "{}", page.body);
        let saved = admin
            .post(
                "/admin/catalogue/top/reserved",
                &[
                    ("csrf_token", &page.csrf()),
                    ("form_key", &form_key(&page)),
                    ("reserved", "MyBrand\nother\n\nmybrand"),
                ],
            )
            .await;
        assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
        let reserved = visitor.get("/search?q=mybrand.top").await;
        assert!(reserved.body.contains("保留域名"), "{}", reserved.body);
        let page = admin.get("/admin/catalogue/lists").await;
        assert!(
            page.body.contains("mybrand\nother"),
            "sorted, once: {}",
            page.body
        );

        // A label that cannot be one is refused with the reason and changes nothing.
        let bad = admin
            .post(
                "/admin/catalogue/top/reserved",
                &[
                    ("csrf_token", &page.csrf()),
                    ("form_key", &form_key(&page)),
                    ("reserved", "good\n-bad-"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
        assert!(bad.body.contains("-bad-"), "the typed list is kept");
        assert!(
            visitor
                .get("/search?q=other.top")
                .await
                .body
                .contains("保留域名")
        );

        // The screening list: a bad line is pointed at; a good list blocks at once.
        let page = admin.get("/admin/catalogue/lists").await;
        let bad_line = admin
            .post(
                "/admin/catalogue/screening",
                &[
                    ("csrf_token", &page.csrf()),
                    ("form_key", &form_key(&page)),
                    ("include_defaults", "1"),
                    ("terms", "casinoroyale block\nslots forbid"),
                ],
            )
            .await;
        assert_eq!(bad_line.status, StatusCode::BAD_REQUEST);
        assert!(bad_line.body.contains("第 2 行"), "{}", bad_line.body);
        let screened = admin
            .post(
                "/admin/catalogue/screening",
                &[
                    ("csrf_token", &bad_line.csrf()),
                    ("form_key", &form_key(&bad_line)),
                    ("include_defaults", "1"),
                    ("terms", "casinoroyale block"),
                ],
            )
            .await;
        assert_eq!(screened.status, StatusCode::SEE_OTHER, "{}", screened.body);
        let blocked = visitor.get("/search?q=bestcasinoroyale.top").await;
        assert!(blocked.body.contains("禁止注册"), "{}", blocked.body);
        let page = admin.get("/admin/catalogue/lists").await;
        assert!(
            page.body.contains("casinoroyale block contains"),
            "{}",
            page.body
        );
        let audit = admin.get("/admin/audit?action=catalogue.").await;
        assert!(audit.body.contains("catalogue.reserved"), "{}", audit.body);
        assert!(audit.body.contains("catalogue.screening"), "{}", audit.body);
    }
);

both_backends!(
    support_acts_for_a_customer_only_through_audited_actions,
    |db: TestDb| async move {
        use yuming_app::accounts::{self, LoginInput};
        use yuming_core::access::Role;
        let (app, _clock) = test_app(&db.db);
        fixtures::customer(&app, "locked@example.com").await;
        fixtures::staff(&app, "desk2@example.com", Role::Support).await;
        fixtures::staff(&app, "money@example.com", Role::Finance).await;
        let mut locked = false;
        for _ in 0..20 {
            let attempt = accounts::login(
                &app,
                &fixtures::ctx(),
                LoginInput {
                    email: "locked@example.com".into(),
                    password: "not the password".into(),
                    totp: None,
                },
            )
            .await;
            if attempt.is_err_and(|e| e.code == "ACCOUNT_LOCKED") {
                locked = true;
                break;
            }
        }
        assert!(locked);

        let mut support = Browser::new(&app, WebSettings::default());
        support.log_in("desk2@example.com", PASSWORD).await;
        let page = support.get("/admin/customers?q=locked%40example.com").await;
        assert!(page.body.contains("代客户操作"), "{}", page.body);
        assert!(page.body.contains("登录已锁定至"), "{}", page.body);
        assert!(page.body.contains("邮箱已验证"));
        assert!(page.body.contains("最近的邮件与短信通知"), "{}", page.body);
        assert!(!page.body.contains("手工入账"), "support books no money");
        let path = format!(
            "/admin/customers/{}/assist",
            between(&page.body, "action=\"/admin/customers/", "/assist\"")
        );
        let no_reason = support
            .post(
                &path,
                &[
                    ("csrf_token", &page.csrf()),
                    ("form_key", &form_key(&page)),
                    ("q", "locked@example.com"),
                    ("action", "unlock"),
                    ("reason", ""),
                ],
            )
            .await;
        assert_eq!(
            no_reason.status,
            StatusCode::BAD_REQUEST,
            "{}",
            no_reason.body
        );
        assert!(no_reason.body.contains("请填写原因"), "{}", no_reason.body);
        let unlocked = support
            .post(
                &path,
                &[
                    ("csrf_token", &no_reason.csrf()),
                    ("form_key", &form_key(&no_reason)),
                    ("q", "locked@example.com"),
                    ("action", "unlock"),
                    ("reason", "来电核实身份 T-9"),
                ],
            )
            .await;
        assert_eq!(unlocked.status, StatusCode::SEE_OTHER, "{}", unlocked.body);
        let after = support.get(unlocked.location()).await;
        assert!(after.body.contains("已解除登录锁定"), "{}", after.body);
        assert!(after.body.contains("登录未锁定"), "{}", after.body);
        fixtures::login(&app, "locked@example.com").await;

        let mut finance = Browser::new(&app, WebSettings::default());
        finance.log_in("money@example.com", PASSWORD).await;
        let page = finance.get("/admin/customers?q=locked%40example.com").await;
        assert!(
            !page.body.contains("代客户操作"),
            "finance does not act for customers"
        );
        let forged = finance
            .post(
                &path,
                &[
                    ("csrf_token", &page.csrf()),
                    ("form_key", &form_key(&page)),
                    ("action", "unlock"),
                    ("reason", "试试"),
                ],
            )
            .await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.body);
    }
);

both_backends!(
    a_customer_and_support_work_a_ticket_with_an_attachment,
    |db: TestDb| async move {
        use yuming_core::access::Role;
        let (app, _clock) = test_app(&db.db);
        customer(&app, "ticketer@example.com").await;
        customer(&app, "other@example.com").await;
        fixtures::staff(&app, "answers@example.com", Role::Support).await;
        let mut alice = Browser::new(&app, WebSettings::default());
        alice.log_in("ticketer@example.com", PASSWORD).await;
        let page = alice.get("/console/tickets").await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("提交工单"), "{}", page.body);

        // A script is not an attachment: refused, what was typed is kept.
        let refused = alice
            .post_file(
                "/console/tickets",
                &[
                    ("csrf_token", &page.csrf()),
                    ("form_key", &form_key(&page)),
                    ("category", "dns"),
                    ("priority", "normal"),
                    ("subject", "解析问题"),
                    ("body", "截图见附件"),
                ],
                "attachment",
                b"<script>alert(1)</script>",
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
        assert!(refused.body.contains("附件仅支持"), "{}", refused.body);
        assert!(refused.body.contains("截图见附件"));

        let png = fixtures::document_png(40, 30);
        let opened = alice
            .post_file(
                "/console/tickets",
                &[
                    ("csrf_token", &refused.csrf()),
                    ("form_key", &form_key(&refused)),
                    ("category", "dns"),
                    ("priority", "normal"),
                    ("subject", "解析问题"),
                    ("body", "截图见附件"),
                ],
                "attachment",
                &png,
            )
            .await;
        assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
        let ticket_path = opened
            .location()
            .split('?')
            .next()
            .unwrap_or_default()
            .to_owned();
        let shown = alice.get(opened.location()).await;
        assert!(shown.body.contains("工单已提交"), "{}", shown.body);
        let end = shown.body.find("\" download>").expect("an attachment link");
        let start = shown.body[..end].rfind("href=\"").expect("its address") + "href=\"".len();
        let download = shown.body[start..end].to_owned();
        assert!(download.contains("/attachments/"), "{download}");
        let file = alice.get(&download).await;
        assert_eq!(file.status, StatusCode::OK);
        assert_eq!(
            file.headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok()),
            Some("image/png")
        );
        assert!(
            file.headers
                .get(header::CONTENT_DISPOSITION)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("attachment")),
            "never shown inline"
        );

        // Another customer: 404 for the ticket and its attachment.
        let mut other = Browser::new(&app, WebSettings::default());
        other.log_in("other@example.com", PASSWORD).await;
        assert_eq!(other.get(&ticket_path).await.status, StatusCode::NOT_FOUND);
        assert_eq!(other.get(&download).await.status, StatusCode::NOT_FOUND);

        // Support answers from the queue.
        let mut support = Browser::new(&app, WebSettings::default());
        support.log_in("answers@example.com", PASSWORD).await;
        let queue = support.get("/admin/tickets").await;
        assert!(queue.body.contains("解析问题"), "{}", queue.body);
        let dashboard = support.get("/admin").await;
        assert!(
            dashboard.body.contains("待客服处理的工单"),
            "{}",
            dashboard.body
        );
        let id = ticket_path
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_owned();
        let staff_view = support.get(&format!("/admin/tickets/{id}")).await;
        assert!(
            staff_view.body.contains("ticketer@example.com"),
            "{}",
            staff_view.body
        );
        let answered = support
            .post_file(
                &format!("/admin/tickets/{id}/reply"),
                &[
                    ("csrf_token", &staff_view.csrf()),
                    ("form_key", &form_key(&staff_view)),
                    ("body", "已为您刷新缓存，请再试。"),
                ],
                "attachment",
                b"",
            )
            .await;
        assert_eq!(answered.status, StatusCode::SEE_OTHER, "{}", answered.body);

        // The customer reads it, closes and rates.
        let notices = alice.get("/console/notices").await;
        assert!(notices.body.contains("有新回复"), "{}", notices.body);
        let thread = alice.get(&ticket_path).await;
        assert!(thread.body.contains("已为您刷新缓存"), "{}", thread.body);
        assert!(thread.body.contains("已答复"));
        let close_key = between(
            &thread.body[thread.body.find("/close\"").unwrap_or(0)..],
            "name=\"form_key\" value=\"",
            "\"",
        )
        .to_owned();
        let closed = alice
            .post(
                &format!("{ticket_path}/close"),
                &[("csrf_token", &thread.csrf()), ("form_key", &close_key)],
            )
            .await;
        assert_eq!(closed.status, StatusCode::SEE_OTHER, "{}", closed.body);
        let closed_page = alice.get(closed.location()).await;
        let rate_key = between(
            &closed_page.body[closed_page.body.find("/rate\"").unwrap_or(0)..],
            "name=\"form_key\" value=\"",
            "\"",
        )
        .to_owned();
        let rated = alice
            .post(
                &format!("{ticket_path}/rate"),
                &[
                    ("csrf_token", &closed_page.csrf()),
                    ("form_key", &rate_key),
                    ("stars", "5"),
                    ("comment", "很快"),
                ],
            )
            .await;
        assert_eq!(rated.status, StatusCode::SEE_OTHER, "{}", rated.body);
        let done = alice.get(rated.location()).await;
        assert!(done.body.contains("感谢您的评价"), "{}", done.body);
        assert!(done.body.contains("5 星"));
    }
);

both_backends!(
    support_edits_the_help_centre_and_answers_feedback_in_the_browser,
    |db: TestDb| async move {
        use yuming_core::access::Role;
        let (app, _clock) = test_app(&db.db);
        fixtures::staff(&app, "editor@example.com", Role::Support).await;
        fixtures::customer(&app, "idea@example.com").await;
        let mut staff = Browser::new(&app, WebSettings::default());
        staff.log_in("editor@example.com", PASSWORD).await;

        let list = staff.get("/admin/help").await;
        assert_eq!(list.status, StatusCode::OK);
        assert!(
            list.body.contains("icp-rejection-reasons"),
            "shipped articles listed"
        );
        let bad = staff
            .post(
                "/admin/help",
                &[
                    ("csrf_token", &list.csrf()),
                    ("form_key", &form_key(&list)),
                    ("slug", "Bad Slug"),
                    ("kind", "article"),
                    ("category", "dns"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(bad.body.contains("id=\"e-slug\""), "{}", bad.body);
        let created = staff
            .post(
                "/admin/help",
                &[
                    ("csrf_token", &list.csrf()),
                    ("form_key", &form_key(&bad)),
                    ("slug", "ttl-values"),
                    ("kind", "article"),
                    ("category", "dns"),
                    ("position", "50"),
                ],
            )
            .await;
        assert_eq!(
            created.location(),
            "/admin/help/ttl-values?done=help-created"
        );

        // A draft, previewed to the editor, unseen by readers; then published.
        let editor = staff.get("/admin/help/ttl-values").await;
        let key = between(&editor.body, "name=\"form_key\" value=\"", "\"").to_owned();
        let drafted = staff
            .post(
                "/admin/help/ttl-values/save",
                &[
                    ("csrf_token", &editor.csrf()),
                    ("form_key", &key),
                    ("locale", "zh-CN"),
                    ("title", "TTL 怎么设"),
                    (
                        "body",
                        "TTL 越短，**修改**生效越快。<img src=x onerror=alert(1)>",
                    ),
                    ("intent", "draft"),
                ],
            )
            .await;
        assert_eq!(
            drafted.location(),
            "/admin/help/ttl-values?done=help-draft-saved",
            "{}",
            drafted.body
        );
        let editor = staff.get("/admin/help/ttl-values").await;
        assert!(
            editor.body.contains("<strong>修改</strong>"),
            "preview: {}",
            editor.body
        );
        assert!(
            !editor.body.contains("<img src=x"),
            "raw HTML is shown as text"
        );
        let mut reader = Browser::new(&app, WebSettings::default());
        assert_eq!(
            reader.get("/help/articles/ttl-values").await.status,
            StatusCode::NOT_FOUND
        );
        let key = between(&editor.body, "name=\"form_key\" value=\"", "\"").to_owned();
        let empty_title = staff
            .post(
                "/admin/help/ttl-values/save",
                &[
                    ("csrf_token", &editor.csrf()),
                    ("form_key", &key),
                    ("locale", "zh-CN"),
                    ("title", ""),
                    ("body", "x"),
                    ("intent", "publish"),
                ],
            )
            .await;
        assert_eq!(empty_title.status, StatusCode::BAD_REQUEST);
        assert!(empty_title.body.contains("请填写 1 到 120 个字符的标题"));
        let published = staff
            .post(
                "/admin/help/ttl-values/publish",
                &[
                    ("csrf_token", &editor.csrf()),
                    ("form_key", "publish-zh-1"),
                    ("locale", "zh-CN"),
                    ("revision", "1"),
                ],
            )
            .await;
        assert_eq!(
            published.location(),
            "/admin/help/ttl-values?done=help-published"
        );
        let article = reader.get("/help/articles/ttl-values").await;
        assert_eq!(article.status, StatusCode::OK);
        assert!(article.body.contains("TTL 怎么设") && article.body.contains("&lt;img"));
        let found = reader.get("/help/search?q=TTL%20%E7%94%9F%E6%95%88").await;
        assert!(
            found.body.contains("href=\"/help/articles/ttl-values\""),
            "{}",
            found.body
        );

        // Customers post ideas; support gives one a status every customer then sees.
        let mut customer = Browser::new(&app, WebSettings::default());
        customer.log_in("idea@example.com", PASSWORD).await;
        assert_eq!(
            customer.get("/admin/help").await.status,
            StatusCode::NOT_FOUND,
            "the staff console is not for customers"
        );
        let board = customer.get("/console/feedback").await;
        let posted = customer
            .post(
                "/console/feedback",
                &[
                    ("csrf_token", &board.csrf()),
                    ("form_key", &form_key(&board)),
                    ("title", "WHOIS 隐私保护"),
                    ("body", "希望默认开启。"),
                ],
            )
            .await;
        assert_eq!(posted.location(), "/console/feedback?done=feedback-posted");
        let ideas = staff.get("/admin/feedback").await;
        assert!(ideas.body.contains("WHOIS 隐私保护"), "{}", ideas.body);
        let id = between(&ideas.body, "id=\"idea-", "\"").to_owned();
        let answered = staff
            .post(
                &format!("/admin/feedback/{id}/status"),
                &[
                    ("csrf_token", &ideas.csrf()),
                    ("form_key", &format!("status-{id}")),
                    ("status", "planned"),
                    ("note", "排入下季度"),
                ],
            )
            .await;
        assert_eq!(
            answered.location(),
            format!("/admin/feedback?done=feedback-updated#idea-{id}")
        );
        let board = customer.get("/console/feedback").await;
        assert!(board.body.contains("已计划") && board.body.contains("排入下季度"));
        assert!(board.body.contains("已投票"), "the poster's vote counts");
    }
);
