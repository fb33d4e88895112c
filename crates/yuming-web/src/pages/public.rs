//! Public pages: the home page with the search box, availability search, the language switch
//! and the offline page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use yuming_app::registrar::domains::{self, Availability, MAX_BULK_CHECK};
use yuming_core::pricing::Adjustment;

use super::{Base, app_error_page, page};
use crate::WebState;
use crate::format;
use crate::i18n::Locale;
use crate::pages::ErrorText;
use crate::session::{Visitor, local_path};

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    base: Base,
    q: String,
}

/// `/`: the search box first.
pub async fn home(State(state): State<WebState>, visitor: Visitor) -> Response {
    let template = HomePage {
        base: Base::new(&visitor, &state, "home-title", ""),
        q: String::new(),
    };
    page(&visitor, StatusCode::OK, &template)
}

/// The query of `/search`.
#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    /// A name, a label (searched under every TLD) or many names (one per line).
    #[serde(default)]
    q: String,
    /// `1` shows the box for many names.
    #[serde(default)]
    bulk: String,
}

/// One row of the results.
pub struct ResultRow {
    /// The name as people read it.
    pub name: String,
    /// Its A-label, when it differs.
    pub ascii: String,
    /// Registrable now.
    pub available: bool,
    /// Badge class.
    pub badge: &'static str,
    /// The status in words.
    pub status: String,
    /// First-year price.
    pub price: String,
    /// The list first-year price, when a promotion, level or tier lowers it.
    pub list_price: String,
    /// Why the price is lower, in words.
    pub price_note: String,
    /// Renewal price.
    pub renew: String,
    /// Premium price applies.
    pub premium: bool,
    /// A naming review follows registration.
    pub needs_review: bool,
    /// Rule findings in words.
    pub notes: Vec<String>,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    base: Base,
    q: String,
    rows: Vec<ResultRow>,
    suggestions: Vec<ResultRow>,
    alert: Option<ErrorText>,
    bulk: bool,
    available: usize,
}

/// The names a query stands for: a bare label under every TLD of the catalogue, a name as
/// it is, several names (lines, spaces or commas) each as it is.
fn names_of(query: &str, tlds: &[String]) -> Vec<String> {
    let parts: Vec<&str> = query
        .split(|c: char| c.is_whitespace() || c == ',' || c == '，' || c == '、')
        .filter(|p| !p.is_empty())
        .collect();
    match parts.as_slice() {
        [] => Vec::new(),
        [one] if !one.contains('.') && !one.contains('。') => {
            tlds.iter().map(|tld| format!("{one}.{tld}")).collect()
        }
        many => many.iter().map(|p| (*p).to_owned()).collect(),
    }
}

/// Why a price is below the list, in words.
pub(crate) fn price_note(locale: Locale, adjustment: &Adjustment) -> String {
    match adjustment {
        Adjustment::List => String::new(),
        Adjustment::Promotion { label, .. } => label.clone(),
        Adjustment::Level { name, .. } => {
            locale.t_args("price-note-level", &[("level", name.clone())])
        }
        Adjustment::Volume { min_names, .. } => {
            locale.t_args("price-note-volume", &[("count", min_names.to_string())])
        }
    }
}

pub(crate) fn result_row(locale: Locale, a: &Availability) -> ResultRow {
    let (name, ascii) = a
        .name
        .clone()
        .unwrap_or_else(|| (a.input.clone(), a.input.clone()));
    let (badge, status) = match a.reason {
        None => ("success", locale.t("search-available")),
        Some(reason) => {
            let key = format!("reason-{reason}");
            let badge = match reason {
                "REGISTERED" | "VARIANT_REGISTERED" => "neutral",
                "RESERVED" => "warning",
                _ => "error",
            };
            let text = if locale.has(&key) {
                locale.t(&key)
            } else {
                reason.to_owned()
            };
            (badge, text)
        }
    };
    ResultRow {
        ascii: if ascii == name { String::new() } else { ascii },
        name,
        available: a.available,
        badge,
        status,
        price: a
            .price
            .map(|p| format::money(p.register))
            .unwrap_or_default(),
        renew: a.price.map(|p| format::money(p.renew)).unwrap_or_default(),
        list_price: a
            .list_price
            .filter(|list| a.price.is_some_and(|p| p.register != list.register))
            .map(|p| format::money(p.register))
            .unwrap_or_default(),
        price_note: a
            .adjustment
            .as_ref()
            .map(|adjustment| price_note(locale, adjustment))
            .unwrap_or_default(),
        premium: a.premium,
        needs_review: a.needs_review,
        notes: a
            .problems
            .iter()
            .map(|p| locale.problem_message(p))
            .collect(),
    }
}

/// `/search?q=…`: availability and prices across the catalogue, with suggestions.
pub async fn search(
    State(state): State<WebState>,
    visitor: Visitor,
    Query(query): Query<SearchQuery>,
) -> Response {
    let q = query.q.trim().to_owned();
    let catalogue = match yuming_app::registrar::catalogue::current(&state.app).await {
        Ok(catalogue) => catalogue,
        Err(e) => return app_error_page(&visitor, &state, &e),
    };
    let tlds: Vec<String> = catalogue.tlds().map(|t| t.unicode.clone()).collect();
    let names = names_of(&q, &tlds);
    let bulk = query.bulk == "1" || q.contains(['\n', ',', ' ']);
    let mut alert = None;
    let mut rows = Vec::new();
    let mut suggestions = Vec::new();
    if names.len() > MAX_BULK_CHECK {
        alert = Some(ErrorText::plain(
            visitor
                .locale
                .t_args("search-too-many", &[("max", MAX_BULK_CHECK.to_string())]),
        ));
    } else if !names.is_empty() {
        let buyer = super::buyer_of(&state, &visitor).await;
        match domains::check_as(&state.app, buyer.as_ref(), &names).await {
            Ok(found) => {
                // One name that is taken: offer the same label elsewhere.
                if let [only] = found.as_slice()
                    && !only.available
                {
                    match domains::suggestions(&state.app, buyer.as_ref(), only, 8).await {
                        Ok(more) => {
                            suggestions =
                                more.iter().map(|a| result_row(visitor.locale, a)).collect();
                        }
                        Err(e) => return app_error_page(&visitor, &state, &e),
                    }
                }
                rows = found
                    .iter()
                    .map(|a| result_row(visitor.locale, a))
                    .collect();
            }
            Err(e) => alert = Some(ErrorText::of(visitor.locale, &e)),
        }
    }
    let template = SearchPage {
        base: Base::new(&visitor, &state, "search-title", ""),
        q,
        available: rows.iter().filter(|r| r.available).count(),
        rows,
        suggestions,
        alert,
        bulk,
    };
    page(&visitor, StatusCode::OK, &template)
}

/// The query of `/lang/{tag}`.
#[derive(Debug, Deserialize)]
pub struct BackQuery {
    #[serde(default)]
    back: String,
}

/// `/lang/{tag}?back=/path`: remembers the language and returns to the page.
pub async fn switch_language(
    mut visitor: Visitor,
    Path(tag): Path<String>,
    Query(query): Query<BackQuery>,
) -> Response {
    if let Some(locale) = Locale::from_tag(&tag) {
        visitor.remember_locale(locale);
    }
    let back = local_path(&query.back).unwrap_or("/").to_owned();
    visitor.redirect(&back)
}

#[derive(Template)]
#[template(path = "offline.html")]
struct OfflinePage {
    base: Base,
}

/// `/offline`: what the installed app shows without a network.
pub async fn offline(State(state): State<WebState>, visitor: Visitor) -> Response {
    let template = OfflinePage {
        base: Base::new(&visitor, &state, "offline-title", ""),
    };
    page(&visitor, StatusCode::OK, &template)
}

#[cfg(test)]
mod tests {
    use super::names_of;

    #[test]
    fn a_label_is_searched_under_every_tld() {
        let tlds = vec!["com".to_owned(), "中国".to_owned()];
        assert_eq!(names_of("例子", &tlds), vec!["例子.com", "例子.中国"]);
        assert_eq!(names_of("a.com", &tlds), vec!["a.com"]);
        assert_eq!(
            names_of("a.com\nb.cn, c.net", &tlds),
            vec!["a.com", "b.cn", "c.net"]
        );
        assert!(names_of("  ", &tlds).is_empty());
    }
}
