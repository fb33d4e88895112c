//! Administrators keep the naming lists: each TLD's reserved labels (refused as `RESERVED`)
//! and premium labels (priced on their own; changed through a catalogue import), and the
//! screening list that blocks names or holds them for the naming review.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::registrar::catalogue::{self, ScreeningFile, TermFile};
use yuming_core::money::{Currency, Money};

use super::{StaffForm, require_staff};
use crate::WebState;
use crate::format;
use crate::i18n::Locale;
use crate::pages::{Base, FormState, app_error_page, page, submit_once};
use crate::session::{Visitor, status_of};

/// One TLD's lists as the page shows them.
pub struct TldLists {
    /// A-label.
    pub ascii: String,
    /// Unicode form.
    pub unicode: String,
    /// How many labels are reserved.
    pub reserved_count: usize,
    /// Premium labels with their registration and renewal prices.
    pub premium: Vec<(String, String)>,
    /// The reserved-labels form (one label per line).
    pub form: FormState,
}

#[derive(Template)]
#[template(path = "admin/lists.html")]
struct ListsPage {
    base: Base,
    tlds: Vec<TldLists>,
    built_in: usize,
    screening: FormState,
}

/// The screening terms as the form's text: one per line, `term verdict match`.
fn terms_text(terms: &[TermFile]) -> String {
    terms
        .iter()
        .map(|t| format!("{} {} {}", t.term, t.verdict, t.kind))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Parses the form's lines (`term [block|review] [contains|token_start|exact]`; the verdict
/// defaults to `review`, the match to `contains`); the first bad line is reported.
fn parse_terms(locale: Locale, text: &str) -> Result<Vec<TermFile>, String> {
    let mut terms = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some((term, rest)) = words.split_first() else {
            continue;
        };
        let mut verdict = "review";
        let mut kind = "contains";
        for word in rest {
            match *word {
                "block" | "review" => verdict = word,
                "contains" | "token_start" | "exact" => kind = word,
                _ => {
                    return Err(locale.t_args(
                        "admin-lists-bad-line",
                        &[("line", (i + 1).to_string()), ("word", (*word).to_owned())],
                    ));
                }
            }
        }
        terms.push(TermFile {
            term: (*term).to_owned(),
            kind: kind.to_owned(),
            verdict: verdict.to_owned(),
        });
    }
    Ok(terms)
}

async fn lists_page(
    state: &WebState,
    visitor: &Visitor,
    failed: Option<(String, FormState)>,
    status: StatusCode,
) -> Response {
    let actor = match require_staff(visitor, state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let (tlds, screening) = match catalogue::lists(&state.app, actor).await {
        Ok(loaded) => loaded,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let mut failed = failed;
    let screening_form = match failed.take_if(|(which, _)| which == "screening") {
        Some((_, form)) => form,
        None => {
            let mut form = FormState::new();
            form.set("terms", &terms_text(&screening.terms));
            if screening.include_defaults {
                form.set("include_defaults", "1");
            }
            form
        }
    };
    let template = ListsPage {
        base: Base::new(visitor, state, "admin-lists-title", "admin-lists"),
        tlds: tlds
            .into_iter()
            .map(|tld| {
                let currency = Currency::parse(&tld.currency).unwrap_or(Currency::Cny);
                let form = match failed.take_if(|(which, _)| *which == tld.ascii) {
                    Some((_, form)) => form,
                    None => {
                        let mut form = FormState::new();
                        form.set("reserved", &tld.reserved.join("\n"));
                        form
                    }
                };
                TldLists {
                    reserved_count: tld.reserved.len(),
                    premium: tld
                        .premium
                        .iter()
                        .map(|(label, prices)| {
                            (
                                label.clone(),
                                format!(
                                    "{} / {}",
                                    format::money(Money::new(prices.register, currency)),
                                    format::money(Money::new(prices.renew, currency))
                                ),
                            )
                        })
                        .collect(),
                    ascii: tld.ascii,
                    unicode: tld.unicode,
                    form,
                }
            })
            .collect(),
        built_in: screening.built_in,
        screening: screening_form,
    };
    page(visitor, status, &template)
}

/// `GET /admin/catalogue/lists`.
pub async fn show(State(state): State<WebState>, visitor: Visitor) -> Response {
    lists_page(&state, &visitor, None, StatusCode::OK).await
}

/// `POST /admin/catalogue/{tld}/reserved`: the TLD's reserved labels, one per line.
pub async fn set_reserved(
    State(state): State<WebState>,
    Path(tld): Path<String>,
    StaffForm {
        mut visitor,
        actor,
        fields,
    }: StaffForm,
) -> Response {
    let labels: Vec<String> = fields
        .get("reserved")
        .map(|text| text.lines().map(str::to_owned).collect())
        .unwrap_or_default();
    let app = state.app.clone();
    let which = tld.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        catalogue::set_reserved(&app, &ctx, &actor, &which, labels).await?;
        Ok(format!(
            "/admin/catalogue/lists?done=lists-saved#tld-{which}"
        ))
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &[]);
            lists_page(&state, &visitor, Some((tld, form)), status_of(&e)).await
        }
    }
}

/// `POST /admin/catalogue/screening`: the platform's own screening terms, and whether the
/// built-in list applies as well.
pub async fn set_screening(
    State(state): State<WebState>,
    StaffForm {
        mut visitor,
        actor,
        fields,
    }: StaffForm,
) -> Response {
    let text = fields.get("terms").cloned().unwrap_or_default();
    let terms = match parse_terms(visitor.locale, &text) {
        Ok(terms) => terms,
        Err(message) => {
            let mut form = FormState::from_fields(&fields);
            form.set_error("terms", message);
            return lists_page(
                &state,
                &visitor,
                Some(("screening".into(), form)),
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    let file = ScreeningFile {
        include_defaults: fields.contains_key("include_defaults"),
        terms,
    };
    let app = state.app.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        catalogue::set_screening(&app, &ctx, &actor, file).await?;
        Ok("/admin/catalogue/lists?done=lists-saved#screening".to_owned())
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &[]);
            lists_page(
                &state,
                &visitor,
                Some(("screening".into(), form)),
                status_of(&e),
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_terms, terms_text};
    use crate::i18n::Locale;

    #[test]
    fn terms_read_back_as_they_are_shown() {
        let terms =
            parse_terms(Locale::En, "赌场 block\n\ncasino review exact\nbank").expect("parse");
        assert_eq!(terms.len(), 3);
        assert_eq!(
            (
                terms[0].term.as_str(),
                terms[0].verdict.as_str(),
                terms[0].kind.as_str()
            ),
            ("赌场", "block", "contains")
        );
        assert_eq!(
            (terms[1].verdict.as_str(), terms[1].kind.as_str()),
            ("review", "exact")
        );
        assert_eq!(terms[2].verdict, "review");
        let again = parse_terms(Locale::En, &terms_text(&terms)).expect("again");
        assert_eq!(terms_text(&again), terms_text(&terms));
        assert!(parse_terms(Locale::En, "casino forbid").is_err());
    }
}
