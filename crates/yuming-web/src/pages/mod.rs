//! The pages, one module per area, and what they share: the layout's facts ([`Base`]), form
//! state with errors next to their fields, error pages, and submitting a form exactly once.

pub mod abuse;
pub mod account;
pub mod admin;
pub mod audit;
pub mod auth;
pub mod bank;
pub mod batches;
pub mod cancellation;
pub mod cart;
pub mod complaints;
pub mod console;
pub mod contacts;
pub mod dns;
pub mod filing;
pub mod help;
pub mod invoices;
pub mod notices;
pub mod payments;
pub mod public;
pub mod security;
pub mod services;
pub mod team;
pub mod tickets;
pub mod transfers;
pub mod upload;
pub mod webhooks;

use std::collections::HashMap;

use askama::Template;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use sha2::{Digest, Sha256};
use yuming_app::AppError;
use yuming_app::platform::idempotency::{self, Replay};

use crate::i18n::Locale;
use crate::session::{CSRF_FIELD, Visitor, status_of};
use crate::{SiteSettings, WebState, assets, html};

/// What the layout needs on every page.
pub struct Base {
    /// The page's language.
    pub locale: Locale,
    /// The page title.
    pub title: String,
    /// The CSRF token of this page's forms.
    pub csrf: String,
    /// Signed in.
    pub signed_in: bool,
    /// The account's display name.
    pub display_name: String,
    /// This page's path and query.
    pub path: String,
    /// Footer facts.
    pub site: SiteSettings,
    /// The console section to highlight; empty on public pages.
    pub section: &'static str,
    /// A one-line message at the top of the page: (`success`/`error`/`info`, text).
    pub flash: Option<(&'static str, String)>,
    /// Unread in-app notices of the signed-in account.
    pub unread: i64,
    /// Names in the cart.
    pub cart: usize,
    /// What the staff menu offers (all `false` for customers and visitors).
    pub staff: StaffMenu,
}

/// The parts of the staff console a staff member's rights open.
#[derive(Debug, Clone, Copy, Default)]
pub struct StaffMenu {
    /// Signed in as staff at all.
    pub any: bool,
    /// Review queues.
    pub review: bool,
    /// Customers (support, finance).
    pub customers: bool,
    /// Finance work (invoices, alerts, statements).
    pub finance: bool,
    /// The audit log.
    pub audit: bool,
    /// Catalogue and platform settings.
    pub platform: bool,
    /// Support tickets and acting for customers.
    pub assist: bool,
}

impl StaffMenu {
    fn of(actor: Option<&yuming_core::access::Actor>) -> StaffMenu {
        use yuming_core::access::Right;
        match actor {
            Some(actor) if actor.role.is_staff() => StaffMenu {
                any: true,
                review: actor.rights.contains(Right::ReviewQueue),
                customers: actor.rights.contains(Right::BillingRead),
                finance: actor.rights.contains(Right::BillingManage),
                audit: actor.rights.contains(Right::AuditRead),
                platform: actor.rights.contains(Right::PlatformAdmin),
                assist: actor.rights.contains(Right::CustomerAssist),
            },
            _ => StaffMenu::default(),
        }
    }
}

/// One entry of the language switch.
pub struct LanguageLink {
    /// Where it leads.
    pub url: String,
    /// The language's own name.
    pub label: &'static str,
    /// BCP 47 tag.
    pub tag: &'static str,
    /// The page is in this language.
    pub current: bool,
}

impl Base {
    /// The layout facts for a page titled by message `title_key`.
    pub fn new(
        visitor: &Visitor,
        state: &WebState,
        title_key: &str,
        section: &'static str,
    ) -> Base {
        Base {
            locale: visitor.locale,
            title: visitor.locale.t(title_key),
            csrf: visitor.csrf_token(),
            signed_in: visitor.actor.is_some(),
            display_name: visitor.display_name.clone().unwrap_or_default(),
            path: visitor.path.clone(),
            site: state.settings.site.clone(),
            section,
            flash: flash_of(visitor),
            unread: visitor.unread_notices,
            cart: visitor.cart.len(),
            staff: StaffMenu::of(visitor.actor.as_ref()),
        }
    }

    /// A message in the page's language.
    pub fn t(&self, key: &str) -> String {
        self.locale.t(key)
    }

    /// A message with one argument.
    pub fn t1(&self, key: &str, name: &'static str, value: &str) -> String {
        self.locale.t_args(key, &[(name, value.to_owned())])
    }

    /// The versioned URL of an asset.
    pub fn asset(&self, name: &str) -> String {
        assets::url(name)
    }

    /// Whether this is a console page (with the menu).
    pub fn console(&self) -> bool {
        !self.section.is_empty()
    }

    /// Whether this is a staff console page (with the staff menu).
    pub fn staff_console(&self) -> bool {
        self.section.starts_with("admin")
    }

    /// The language switch, each link coming back to this page.
    pub fn languages(&self) -> Vec<LanguageLink> {
        let back = serde_urlencoded::to_string([("back", self.path.as_str())]).unwrap_or_default();
        Locale::ALL
            .iter()
            .map(|locale| LanguageLink {
                url: format!("/lang/{}?{back}", locale.tag()),
                label: match locale {
                    Locale::ZhCn => "简体中文",
                    Locale::En => "English",
                },
                tag: locale.tag(),
                current: *locale == self.locale,
            })
            .collect()
    }
}

/// The message a redirect asked to show (`?done=<key>`), when it names one of ours.
fn flash_of(visitor: &Visitor) -> Option<(&'static str, String)> {
    let query = visitor.path.split_once('?')?.1;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query).ok()?;
    let key = pairs.iter().find(|(k, _)| k == "done")?.1.clone();
    let message_key = format!("done-{key}");
    (key.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') && visitor.locale.has(&message_key))
        .then(|| ("success", visitor.locale.t(&message_key)))
}

/// What a form was filled with and what was wrong with it. Every one, however it was made,
/// carries a fresh idempotency key, so that any paying form it renders is submitted once.
pub struct FormState {
    values: HashMap<String, String>,
    errors: HashMap<String, ErrorText>,
    /// An error that names no field of this form.
    pub alert: Option<ErrorText>,
    /// The idempotency key of this rendering of the form.
    pub key: String,
}

impl Default for FormState {
    fn default() -> Self {
        FormState {
            values: HashMap::new(),
            errors: HashMap::new(),
            alert: None,
            key: format!("web-{}", yuming_app::platform::crypto::random_token::<16>()),
        }
    }
}

impl FormState {
    /// A fresh form with a new submission key.
    pub fn new() -> FormState {
        FormState::default()
    }

    /// A form as submitted (the secrets are never echoed back: see [`FormState::value`]).
    pub fn from_fields(fields: &HashMap<String, String>) -> FormState {
        FormState {
            values: fields.clone(),
            ..FormState::new()
        }
    }

    /// Sets a value.
    pub fn set(&mut self, name: &str, value: &str) {
        self.values.insert(name.to_owned(), value.to_owned());
    }

    /// The value to show in field `name`.
    pub fn value(&self, name: &str) -> &str {
        if name.contains("password") || name == "totp" {
            return "";
        }
        self.values.get(name).map_or("", String::as_str)
    }

    /// The alert, or else an error of a field the page does not show (a form that shows
    /// only some of its fields still says what was wrong).
    pub fn alert_besides(&self, shown: &[&str]) -> Option<ErrorText> {
        self.alert.clone().or_else(|| {
            let mut hidden: Vec<(&String, &ErrorText)> = self
                .errors
                .iter()
                .filter(|(field, _)| !shown.contains(&field.as_str()))
                .collect();
            hidden.sort();
            hidden.first().map(|(_, message)| (*message).clone())
        })
    }

    /// What was typed into field `name`, if the form had it.
    pub fn typed(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Whether a checkbox is ticked.
    pub fn checked(&self, name: &str) -> bool {
        self.values
            .get(name)
            .is_some_and(|v| v == "on" || v == "true")
    }

    /// Whether the form came back with an error (a section that folds stays open).
    pub fn has_problems(&self) -> bool {
        self.alert.is_some() || !self.errors.is_empty()
    }

    /// The error to show beside field `name`.
    pub fn error(&self, name: &str) -> Option<&ErrorText> {
        self.errors.get(name)
    }

    /// Sets the error shown beside field `name`.
    pub fn set_error(&mut self, name: &str, message: String) {
        self.errors
            .insert(name.to_owned(), ErrorText::plain(message));
    }

    /// Places a use-case error beside the field it names, or at the top when the form has
    /// no such field.
    pub fn fail(&mut self, locale: Locale, error: &AppError, fields: &[&str]) {
        let message = ErrorText::of(locale, error);
        // The API names an item of a list field by its index (`nameservers[1]`); the form
        // has the list as one field.
        let field = error
            .field
            .as_deref()
            .map(|f| f.split_once('[').map_or(f, |(base, _)| base));
        match field {
            Some(field) if fields.contains(&field) => {
                self.errors.insert(field.to_owned(), message);
            }
            _ => self.alert = Some(message),
        }
    }
}

/// An error as a page shows it: the message in the visitor's language and, when the help
/// centre has an article that explains its code, a link to it. Rendered as HTML by templates
/// (`{{ error }}`): the message is escaped here, the link is built from a fixed table.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ErrorText {
    /// The message.
    pub message: String,
    /// The article's path and the link's text.
    pub help: Option<(String, String)>,
}

impl ErrorText {
    /// A use-case error with its help link.
    pub fn of(locale: Locale, error: &AppError) -> ErrorText {
        ErrorText::coded(locale, locale.error_message(error), error.code)
    }

    /// A message about `code` (an error or a self-check finding) with its help link.
    pub fn coded(locale: Locale, message: String, code: &str) -> ErrorText {
        ErrorText {
            message,
            help: yuming_core::help::article_for_code(code)
                .map(|link| (link.path(), locale.t("help-explain"))),
        }
    }

    /// A message with no help link.
    pub fn plain(message: String) -> ErrorText {
        ErrorText {
            message,
            help: None,
        }
    }
}

impl std::fmt::Display for ErrorText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&yuming_core::help::escape_html(&self.message))?;
        if let Some((path, label)) = &self.help {
            write!(
                f,
                " <a class=\"help-link\" href=\"{}\">{}</a>",
                yuming_core::help::escape_html(path),
                yuming_core::help::escape_html(label)
            )?;
        }
        Ok(())
    }
}

impl askama::filters::HtmlSafe for ErrorText {}

/// Parses an `application/x-www-form-urlencoded` body into fields (the last value wins).
pub fn parse_form(body: &[u8]) -> HashMap<String, String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .unwrap_or_default()
        .into_iter()
        .collect()
}

/// Renders a template into an HTML response with the visit's cookies.
pub fn page(visitor: &Visitor, status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(body) => visitor.finish(html(status, body)),
        Err(e) => {
            tracing::error!(error = %e, "rendering a console page failed");
            error_page_plain(StatusCode::INTERNAL_SERVER_ERROR)
        }
    }
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    base: Base,
    heading: String,
    text: String,
    kind: &'static str,
    links: Vec<(String, String)>,
}

/// A page that says one thing (an error, a confirmation) with links onwards.
pub fn message(
    visitor: &Visitor,
    state: &WebState,
    status: StatusCode,
    heading_key: &str,
    text: String,
    links: Vec<(String, String)>,
) -> Response {
    let kind = if status.is_success() { "info" } else { "error" };
    let template = MessagePage {
        base: Base::new(
            visitor,
            state,
            heading_key,
            if visitor.actor.is_some() && visitor.path.starts_with("/console") {
                "home"
            } else {
                ""
            },
        ),
        heading: visitor.locale.t(heading_key),
        text,
        kind,
        links,
    };
    page(visitor, status, &template)
}

/// The page for a use-case error that is not about a form field (not found, forbidden,
/// unavailable, a bug), with the message in the visitor's language.
/// The signed-in customer as a buyer, so that prices shown are their own (member level,
/// volume tier); `None` for a visitor, or when it cannot be read (list prices then show).
pub async fn buyer_of(state: &WebState, visitor: &Visitor) -> Option<yuming_core::pricing::Buyer> {
    let actor = visitor.actor.as_ref()?;
    yuming_app::registrar::pricing::buyer(&state.app, &actor.tenant_id)
        .await
        .ok()
}

pub fn app_error_page(visitor: &Visitor, state: &WebState, error: &AppError) -> Response {
    if error.kind == yuming_app::ErrorKind::Internal {
        tracing::error!(code = error.code, detail = ?error.detail, "console request failed");
    }
    let status = status_of(error);
    let heading = match status {
        StatusCode::NOT_FOUND => "error-not-found",
        StatusCode::FORBIDDEN => "error-forbidden",
        StatusCode::TOO_MANY_REQUESTS => "error-too-many",
        s if s.is_server_error() => "error-server",
        _ => "error-generic",
    };
    let text = if status.is_server_error() && error.kind == yuming_app::ErrorKind::Internal {
        visitor.locale.t("error-server-text")
    } else {
        visitor.locale.error_message(error)
    };
    let home = if visitor.actor.is_some() {
        "/console"
    } else {
        "/"
    };
    let mut links = vec![(home.to_owned(), visitor.locale.t("link-home"))];
    // A code the help centre explains gets its article (not a missing page: that one has
    // nothing to explain beyond "not found").
    if status != StatusCode::NOT_FOUND
        && let Some(help) = yuming_core::help::article_for_code(error.code)
    {
        links.push((help.path(), visitor.locale.t("help-explain")));
    }
    message(visitor, state, status, heading, text, links)
}

/// The answer to a form whose CSRF token is missing or wrong (an old tab, or a forgery).
pub fn csrf_refused(visitor: &Visitor, state: &WebState) -> Response {
    message(
        visitor,
        state,
        StatusCode::FORBIDDEN,
        "error-csrf",
        visitor.locale.t("error-csrf-text"),
        vec![(visitor.path.clone(), visitor.locale.t("link-reload"))],
    )
}

/// A submitted form whose CSRF token and `Origin` were checked, with its visitor: the first
/// thing every state-changing handler needs. A failed check is the rejection (a 403 page).
pub struct CheckedForm {
    /// Who sent it.
    pub visitor: Visitor,
    /// The fields (the last value of a repeated name).
    pub fields: HashMap<String, String>,
    /// The body as sent (for fields that repeat, such as checkboxes).
    pub body: axum::body::Bytes,
}

impl axum::extract::FromRequest<WebState> for CheckedForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &WebState) -> Result<Self, Response> {
        use axum::extract::FromRequestParts as _;
        use axum::response::IntoResponse as _;
        let (mut parts, body) = req.into_parts();
        let visitor = Visitor::from_request_parts(&mut parts, state).await?;
        let headers = parts.headers.clone();
        let body = axum::body::Bytes::from_request(Request::from_parts(parts, body), state)
            .await
            .map_err(|rejection| visitor.finish(rejection.into_response()))?;
        let fields = parse_form(&body);
        check_form(&visitor, state, &headers, &fields)?;
        Ok(CheckedForm {
            visitor,
            fields,
            body,
        })
    }
}

/// A [`CheckedForm`] from a signed-in visitor; a signed-out one is sent to the login page.
pub struct SignedInForm {
    /// Who sent it.
    pub visitor: Visitor,
    /// The signed-in actor.
    pub actor: yuming_core::access::Actor,
    /// The fields (the last value of a repeated name).
    pub fields: HashMap<String, String>,
    /// The body as sent.
    pub body: axum::body::Bytes,
}

impl axum::extract::FromRequest<WebState> for SignedInForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &WebState) -> Result<Self, Response> {
        let CheckedForm {
            visitor,
            fields,
            body,
        } = CheckedForm::from_request(req, state).await?;
        let actor = visitor.require_actor()?.clone();
        Ok(SignedInForm {
            visitor,
            actor,
            fields,
            body,
        })
    }
}

/// The host names of a nameserver field: separated by commas (ASCII or full-width), spaces
/// or lines.
pub fn split_hosts(text: &str) -> Vec<String> {
    text.split([',', ' ', '\n', '\r', '\t', '，'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Every value of a repeated form field (checkboxes, multiple selections), in order.
pub fn all_values(body: &[u8], name: &str) -> Vec<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v)
        .collect()
}

/// Checks the CSRF token and the `Origin` of a form submission.
#[allow(clippy::result_large_err, reason = "the error is the response itself")]
pub fn check_form(
    visitor: &Visitor,
    state: &WebState,
    headers: &axum::http::HeaderMap,
    fields: &HashMap<String, String>,
) -> Result<(), Response> {
    let token = fields.get(CSRF_FIELD).map_or("", String::as_str);
    if crate::session::origin_ok(headers) && visitor.csrf_ok(token) {
        Ok(())
    } else {
        Err(csrf_refused(visitor, state))
    }
}

/// A minimal error page that needs nothing (timeouts, a template that failed to render).
pub fn error_page_plain(status: StatusCode) -> Response {
    let body = format!(
        "<!DOCTYPE html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>{code}</title>\
         <p>{code} 请稍后重试。Please try again later.</p><p><a href=\"/\">Yuming</a></p></html>",
        code = status.as_u16()
    );
    html(status, body)
}

/// The console's 404 for a page request no route claimed.
pub fn not_found_page(state: &WebState, req: &Request) -> Response {
    not_found_for(state, crate::session::locale_of(req.headers()))
}

/// The console's 404 page in `locale`.
pub fn not_found_for(state: &WebState, locale: Locale) -> Response {
    let template = NotFoundPage {
        locale,
        css: assets::url("app.css"),
        operator: state.settings.site.operator.clone(),
    };
    let mut response = match template.render() {
        Ok(body) => html(StatusCode::NOT_FOUND, body),
        Err(_) => error_page_plain(StatusCode::NOT_FOUND),
    };
    response.headers_mut().insert(
        axum::http::header::CONTENT_SECURITY_POLICY,
        axum::http::HeaderValue::from_static("default-src 'self'; frame-ancestors 'none'"),
    );
    response
}

#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage {
    locale: Locale,
    css: String,
    operator: String,
}

/// Runs a form's effect at most once per rendering of the form: the form carries an
/// idempotency key; a second submission of the same rendering (a double click, a reload
/// of the POST) answers with where the first one led instead of running again. A refused
/// attempt releases the key, so the corrected form can be sent again.
pub async fn submit_once<F, Fut>(
    state: &WebState,
    visitor: &mut Visitor,
    fields: &HashMap<String, String>,
    effect: F,
) -> Result<String, AppError>
where
    F: FnOnce(yuming_app::RequestContext) -> Fut,
    Fut: std::future::Future<Output = Result<String, AppError>>,
{
    let Some(actor) = &visitor.actor else {
        return Err(AppError::from(
            yuming_app::accounts::AccountsError::InvalidToken,
        ));
    };
    let scope = actor.account_id.clone();
    let key = fields.get("form_key").cloned().unwrap_or_default();
    let mut hasher = Sha256::new();
    let mut names: Vec<&String> = fields.keys().filter(|k| *k != CSRF_FIELD).collect();
    names.sort();
    for name in names {
        hasher.update(name.as_bytes());
        hasher.update([0]);
        hasher.update(fields[name].as_bytes());
        hasher.update([0]);
    }
    let request_hash = hex::encode(hasher.finalize());
    match idempotency::claim(&state.app, &scope, &key, &request_hash).await? {
        Some(Replay::Response { body, .. }) => {
            return Ok(String::from_utf8(body).unwrap_or_else(|_| "/console".to_owned()));
        }
        Some(Replay::Committed { .. }) => return Ok("/console".to_owned()),
        None => {}
    }
    let mut ctx = visitor.ctx.clone();
    ctx.idempotency = Some(yuming_app::IdempotencyMark {
        scope: scope.clone(),
        key: key.clone(),
    });
    match effect(ctx).await {
        Ok(location) => {
            idempotency::complete(&state.app, &scope, &key, 303, location.as_bytes()).await?;
            Ok(location)
        }
        Err(error) => {
            if let Some(Replay::Committed { .. }) =
                idempotency::release(&state.app, &scope, &key).await?
            {
                return Ok("/console".to_owned());
            }
            Err(error)
        }
    }
}
