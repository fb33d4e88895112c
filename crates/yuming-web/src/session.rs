//! Browser sessions: who is asking, in which language, and whether a form really came from
//! our own page.
//!
//! - `ym_session`: the session token that `POST /api/v1/auth/login` would return as a bearer
//!   token (one session store, one revocation); HttpOnly, SameSite=Lax, Secure over TLS.
//! - `ym_csrf`: a random value set on the first visit. Every form carries `csrf_token`, a
//!   digest of that value and (once signed in) the session token, so a token minted for one
//!   session is useless in another and a page of another site can neither read nor forge it.
//!   Requests with an `Origin` of another host are refused as well.
//! - `ym_lang`: the language the visitor picked; otherwise `Accept-Language` decides.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use yuming_app::{AppError, RequestContext};
use yuming_core::access::Actor;
use yuming_core::clock::Timestamp;

use crate::WebState;
use crate::i18n::Locale;

/// The session cookie.
pub const SESSION_COOKIE: &str = "ym_session";
/// The CSRF seed cookie.
pub const CSRF_COOKIE: &str = "ym_csrf";
/// The language cookie.
pub const LANG_COOKIE: &str = "ym_lang";
/// The form field that carries the CSRF token.
pub const CSRF_FIELD: &str = "csrf_token";

/// The value of cookie `name` in the request.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    cookie_up_to(headers, name, 256)
}

/// A cookie's value of at most `max_len` bytes.
fn cookie_up_to<'a>(headers: &'a HeaderMap, name: &str, max_len: usize) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty() && value.len() <= max_len)
}

/// The cart cookie: the names a visitor picked and the years of each, kept in the browser
/// (so that a visitor can fill it before signing in), as `name:years` entries joined by `+`.
pub const CART_COOKIE: &str = "ym_cart";
/// Most names in a cart: one checkout is one batch.
pub const CART_MAX: usize = yuming_app::registrar::batches::MAX_BATCH;
/// Longest cart cookie (browsers keep at least 4 096 bytes a cookie).
pub const CART_COOKIE_MAX: usize = 3800;

/// A cart as the cookie keeps it: A-labels in the order they were added, each with its years.
/// Entries that are not a plausible A-label or term are dropped.
pub fn parse_cart(value: &str) -> Vec<(String, u32)> {
    let mut items: Vec<(String, u32)> = Vec::new();
    for entry in value.split('+') {
        let Some((name, years)) = entry.split_once(':') else {
            continue;
        };
        let plausible = !name.is_empty()
            && name.len() <= 253
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-');
        let years = years.parse::<u32>().ok().filter(|y| (1..=10).contains(y));
        if let (true, Some(years)) = (plausible, years)
            && items.len() < CART_MAX
            && !items.iter().any(|(n, _)| n == name)
        {
            items.push((name.to_owned(), years));
        }
    }
    items
}

/// The cookie value of a cart.
pub fn encode_cart(items: &[(String, u32)]) -> String {
    items
        .iter()
        .map(|(name, years)| format!("{name}:{years}"))
        .collect::<Vec<_>>()
        .join("+")
}

/// A `Set-Cookie` value with the console's attributes.
pub fn set_cookie(name: &str, value: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let text =
        format!("{name}={value}; Path=/; Max-Age={max_age_secs}; HttpOnly; SameSite=Lax{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

fn digest_hex(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex::encode(hasher.finalize())
}

/// The language of a request: the visitor's choice (`ym_lang`), else `Accept-Language`.
pub fn locale_of(headers: &HeaderMap) -> Locale {
    cookie(headers, LANG_COOKIE)
        .and_then(Locale::from_tag)
        .unwrap_or_else(|| {
            Locale::negotiate(
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or(""),
            )
        })
}

/// Who is asking: language, session, CSRF seed and the request context for use cases.
pub struct Visitor {
    /// The language of the answer.
    pub locale: Locale,
    /// The signed-in actor, if the session cookie is valid.
    pub actor: Option<Actor>,
    /// Display name of the signed-in account.
    pub display_name: Option<String>,
    /// The path and query of this request (the target of "back" links).
    pub path: String,
    /// For use cases: request id and client IP.
    pub ctx: RequestContext,
    session_token: Option<String>,
    csrf_seed: String,
    /// Cookies to set on the answer (a new CSRF seed, a new session, a cleared one).
    pub set_cookies: Vec<HeaderValue>,
    secure: bool,
    /// The application clock's now.
    pub now: Timestamp,
    /// Unread in-app notices (the bell in the top bar); 0 when signed out.
    pub unread_notices: i64,
    /// The cart: A-labels and years.
    pub cart: Vec<(String, u32)>,
}

impl Visitor {
    /// The CSRF token forms of this page carry.
    pub fn csrf_token(&self) -> String {
        digest_hex(&[
            "yuming-console-csrf",
            &self.csrf_seed,
            self.session_token.as_deref().unwrap_or(""),
        ])
    }

    /// Checks the token a form sent, in constant time.
    pub fn csrf_ok(&self, sent: &str) -> bool {
        let expected = self.csrf_token();
        sent.len() == expected.len() && bool::from(sent.as_bytes().ct_eq(expected.as_bytes()))
    }

    /// Starts a session after a successful login: the cookie replaces any earlier one.
    pub fn start_session(&mut self, token: &str, expires_at: Timestamp) {
        let max_age = (expires_at.0 - self.now.0).max(0);
        self.set_cookies
            .push(set_cookie(SESSION_COOKIE, token, max_age, self.secure));
        self.session_token = Some(token.to_owned());
    }

    /// Forgets the session cookie.
    pub fn end_session(&mut self) {
        self.set_cookies
            .push(set_cookie(SESSION_COOKIE, "", 0, self.secure));
        self.session_token = None;
        self.actor = None;
    }

    /// Remembers a language choice for a year.
    pub fn remember_locale(&mut self, locale: Locale) {
        self.set_cookies.push(set_cookie(
            LANG_COOKIE,
            locale.tag(),
            365 * 86_400,
            self.secure,
        ));
        self.locale = locale;
    }

    /// Keeps `items` as the cart (an empty cart forgets the cookie). `false` when the cart
    /// would not fit in a cookie.
    pub fn remember_cart(&mut self, items: Vec<(String, u32)>) -> bool {
        let value = encode_cart(&items);
        if value.len() > CART_COOKIE_MAX || items.len() > CART_MAX {
            return false;
        }
        let max_age = if items.is_empty() { 0 } else { 30 * 86_400 };
        self.set_cookies
            .push(set_cookie(CART_COOKIE, &value, max_age, self.secure));
        self.cart = items;
        true
    }

    /// The signed-in actor, or a redirect to the login page that comes back here.
    #[allow(clippy::result_large_err, reason = "the error is the response itself")]
    pub fn require_actor(&self) -> Result<&Actor, Response> {
        self.actor.as_ref().ok_or_else(|| self.redirect_to_login())
    }

    /// To `/login?next=<this page>`.
    pub fn redirect_to_login(&self) -> Response {
        let next = serde_urlencoded::to_string([("next", self.path.as_str())]).unwrap_or_default();
        self.finish(Redirect::to(&format!("/login?{next}")).into_response())
    }

    /// Adds the cookies this visit set to a response.
    pub fn finish(&self, mut response: Response) -> Response {
        for cookie in &self.set_cookies {
            response
                .headers_mut()
                .append(header::SET_COOKIE, cookie.clone());
        }
        response
    }

    /// A See Other redirect with this visit's cookies.
    pub fn redirect(&self, to: &str) -> Response {
        self.finish(Redirect::to(to).into_response())
    }
}

/// A path we may send a visitor back to: local, not protocol-relative.
pub fn local_path(candidate: &str) -> Option<&str> {
    let ok = candidate.starts_with('/')
        && !candidate.starts_with("//")
        && !candidate.starts_with("/\\")
        && candidate.len() <= 512
        && !candidate.chars().any(char::is_control);
    ok.then_some(candidate)
}

impl FromRequestParts<WebState> for Visitor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, Response> {
        let headers = &parts.headers;
        let locale = locale_of(headers);
        let secure = state.settings.secure_cookies;
        let mut set_cookies = Vec::new();
        let csrf_seed = match cookie(headers, CSRF_COOKIE) {
            Some(seed) if seed.len() == 64 && seed.bytes().all(|b| b.is_ascii_hexdigit()) => {
                seed.to_owned()
            }
            _ => {
                let seed = hex::encode(yuming_app::platform::crypto::random_bytes::<32>());
                set_cookies.push(set_cookie(CSRF_COOKIE, &seed, 365 * 86_400, secure));
                seed
            }
        };
        let mut session_token = None;
        let mut actor = None;
        let mut display_name = None;
        let mut unread_notices = 0;
        if let Some(token) = cookie(headers, SESSION_COOKIE) {
            match yuming_app::accounts::authenticate_session(&state.app, token).await {
                Ok((found, name)) => {
                    display_name = Some(name);
                    unread_notices = yuming_app::notify::notices::unread_count(&state.app, &found)
                        .await
                        .unwrap_or(0);
                    session_token = Some(token.to_owned());
                    actor = Some(found);
                }
                // Expired or revoked: forget the cookie so that the next request is clean.
                Err(_) => set_cookies.push(set_cookie(SESSION_COOKIE, "", 0, secure)),
            }
        }
        let client_ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip().to_string());
        let path = parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |pq| pq.as_str().to_owned());
        Ok(Visitor {
            locale,
            actor,
            display_name,
            path,
            ctx: RequestContext {
                request_id: format!("web-{}", yuming_app::platform::crypto::random_token::<8>()),
                client_request_id: String::new(),
                client_ip,
                user_agent: yuming_app::platform::user_agent(
                    parts
                        .headers
                        .get(axum::http::header::USER_AGENT)
                        .and_then(|v| v.to_str().ok()),
                ),
                idempotency: None,
            },
            session_token,
            csrf_seed,
            set_cookies,
            secure,
            now: state.app.now(),
            unread_notices,
            cart: cookie_up_to(headers, CART_COOKIE, CART_COOKIE_MAX)
                .map(parse_cart)
                .unwrap_or_default(),
        })
    }
}

/// Refuses state-changing requests whose `Origin` names another host (a second line behind
/// the CSRF token: browsers send `Origin` on every cross-site POST).
pub fn origin_ok(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let origin_host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .unwrap_or("");
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

/// Security headers of every console answer: a CSP without inline scripts or styles, no
/// framing, no sniffing, and no caching of personal pages.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; \
             object-src 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Cookie, Accept-Language"),
    );
    response
}

/// The status code an application error answers with.
pub fn status_of(error: &AppError) -> StatusCode {
    StatusCode::from_u16(error.kind.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}
