//! Administrators change the standard prices of a TLD; the public search quotes them at once.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::registrar::catalogue::{self, PricesFile};
use yuming_core::money::{Currency, Money};

use super::{StaffForm, require_staff};
use crate::WebState;
use crate::format;
use crate::pages::payments::typed_yuan;
use crate::pages::{Base, FormState, app_error_page, page, submit_once};
use crate::session::{Visitor, status_of};

/// The price fields of the form, in the order shown.
const PRICE_FIELDS: [&str; 4] = ["register", "renew", "transfer", "restore"];

/// One TLD's row: its prices as shown and its edit form.
pub struct TldLine {
    /// A-label.
    pub ascii: String,
    /// Unicode form.
    pub unicode: String,
    /// Prices in words, in [`PRICE_FIELDS`] order.
    pub prices: Vec<String>,
    /// Last change.
    pub updated: String,
    /// The edit form (its values in yuan; errors when it failed).
    pub form: FormState,
}

#[derive(Template)]
#[template(path = "admin/catalogue.html")]
struct CataloguePage {
    base: Base,
    tlds: Vec<TldLine>,
    /// The price fields with their labels.
    fields: Vec<(&'static str, String)>,
}

/// An amount as the form shows it: `59.00` (the currency stands beside the field).
fn yuan(minor: i64, currency: Currency) -> String {
    yuming_core::payments::decimal_amount(Money::new(minor, currency))
}

async fn catalogue_page(
    state: &WebState,
    visitor: &Visitor,
    failed: Option<(String, FormState)>,
    status: StatusCode,
) -> Response {
    let actor = match require_staff(visitor, state) {
        Ok(actor) => actor,
        Err(answer) => return answer,
    };
    let rows = match catalogue::price_list(&state.app, actor).await {
        Ok(rows) => rows,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let mut failed = failed;
    let tlds = rows
        .into_iter()
        .map(|row| {
            let currency = Currency::parse(&row.currency).unwrap_or(Currency::Cny);
            let p = row.prices;
            let minors = [p.register, p.renew, p.transfer, p.restore];
            let form = match failed.take_if(|(tld, _)| *tld == row.ascii) {
                Some((_, form)) => form,
                None => {
                    let mut form = FormState::new();
                    for (name, minor) in PRICE_FIELDS.iter().zip(minors) {
                        form.set(name, &yuan(minor, currency));
                    }
                    form
                }
            };
            TldLine {
                prices: minors
                    .iter()
                    .map(|m| format::money(Money::new(*m, currency)))
                    .collect(),
                updated: format::datetime(yuming_core::clock::Timestamp(row.updated_at)),
                ascii: row.ascii,
                unicode: row.unicode,
                form,
            }
        })
        .collect();
    let template = CataloguePage {
        base: Base::new(visitor, state, "admin-catalogue-title", "admin-catalogue"),
        tlds,
        fields: PRICE_FIELDS
            .iter()
            .map(|name| (*name, visitor.locale.t(&format!("admin-price-{name}"))))
            .collect(),
    };
    page(visitor, status, &template)
}

/// `GET /admin/catalogue`: every TLD with its standard prices.
pub async fn list(State(state): State<WebState>, visitor: Visitor) -> Response {
    catalogue_page(&state, &visitor, None, StatusCode::OK).await
}

/// `POST /admin/catalogue/{tld}/prices`: new standard prices, typed in yuan.
pub async fn set_prices(
    State(state): State<WebState>,
    Path(tld): Path<String>,
    StaffForm {
        mut visitor,
        actor,
        fields,
    }: StaffForm,
) -> Response {
    let mut typed = FormState::from_fields(&fields);
    let mut minors = [0i64; 4];
    for (i, name) in PRICE_FIELDS.iter().enumerate() {
        match fields.get(*name).and_then(|v| typed_yuan(v)) {
            Some(money) if money.minor() >= 0 => minors[i] = money.minor(),
            _ => typed.set_error(name, visitor.locale.t("form-amount-yuan")),
        }
    }
    if typed.has_problems() {
        return catalogue_page(
            &state,
            &visitor,
            Some((tld, typed)),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let prices = PricesFile {
        register: minors[0],
        renew: minors[1],
        transfer: minors[2],
        restore: minors[3],
    };
    let app = state.app.clone();
    let target = tld.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        catalogue::set_prices(&app, &ctx, &actor, &target, prices).await?;
        Ok("/admin/catalogue?done=prices-saved".to_owned())
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            typed.fail(visitor.locale, &e, &PRICE_FIELDS);
            catalogue_page(&state, &visitor, Some((tld, typed)), status_of(&e)).await
        }
    }
}

/// One TLD of an import preview as the page shows it.
pub struct ChangeLine {
    /// `.unicode` (and the A-label when it differs).
    pub name: String,
    /// `added`, `changed` or `unchanged`.
    pub kind: &'static str,
    /// The kind in words.
    pub words: String,
    /// Each standard price: (label, before, after, differs).
    pub prices: Vec<(String, String, String, bool)>,
    /// Other parts of the definition change.
    pub other: bool,
}

#[derive(Template)]
#[template(path = "admin/catalogue_import.html")]
struct ImportPage {
    base: Base,
    text: String,
    form: FormState,
    changes: Vec<ChangeLine>,
    /// The price columns' headings.
    columns: Vec<String>,
    screening: bool,
    previewed: bool,
}

fn import_page(
    visitor: &Visitor,
    state: &WebState,
    text: String,
    form: FormState,
    preview: Option<catalogue::ImportPreview>,
    status: StatusCode,
) -> Response {
    let locale = visitor.locale;
    let previewed = preview.is_some();
    let (changes, screening) = match preview {
        Some(preview) => (
            preview
                .tlds
                .iter()
                .map(|t| {
                    let (kind, key) = if t.added {
                        ("added", "admin-import-added")
                    } else if t.unchanged() {
                        ("unchanged", "admin-import-unchanged")
                    } else {
                        ("changed", "admin-import-changed")
                    };
                    let after = t.prices.1;
                    let before = t.prices.0;
                    let pick =
                        |p: &PricesFile, i: usize| [p.register, p.renew, p.transfer, p.restore][i];
                    let prices = PRICE_FIELDS
                        .iter()
                        .enumerate()
                        .map(|(i, field)| {
                            let new = pick(&after, i);
                            let old = before.as_ref().map(|b| pick(b, i));
                            (
                                locale.t(&format!("admin-price-{field}")),
                                old.map(|m| yuan(m, Currency::Cny))
                                    .unwrap_or_else(|| "—".into()),
                                yuan(new, Currency::Cny),
                                old != Some(new),
                            )
                        })
                        .collect();
                    ChangeLine {
                        name: if t.unicode == t.ascii {
                            format!(".{}", t.ascii)
                        } else {
                            format!(".{} (.{})", t.unicode, t.ascii)
                        },
                        kind,
                        words: locale.t(key),
                        prices,
                        other: t.other_changes,
                    }
                })
                .collect(),
            preview.screening,
        ),
        None => (Vec::new(), false),
    };
    let template = ImportPage {
        columns: PRICE_FIELDS
            .iter()
            .map(|field| locale.t(&format!("admin-price-{field}")))
            .collect(),
        base: Base::new(visitor, state, "admin-import-title", "admin-catalogue"),
        text,
        form,
        changes,
        screening,
        previewed,
    };
    page(visitor, status, &template)
}

/// `GET /admin/catalogue/import`: paste a catalogue file to see what it would change.
pub async fn import_form(State(state): State<WebState>, visitor: Visitor) -> Response {
    if let Err(answer) = require_staff(&visitor, &state) {
        return answer;
    }
    import_page(
        &visitor,
        &state,
        String::new(),
        FormState::new(),
        None,
        StatusCode::OK,
    )
}

/// `POST /admin/catalogue/import`: `preview` shows the difference; `apply` imports the
/// previewed text (once per rendering of the preview).
pub async fn import(
    State(state): State<WebState>,
    StaffForm {
        mut visitor,
        actor,
        fields,
    }: StaffForm,
) -> Response {
    let text = fields.get("text").cloned().unwrap_or_default();
    let apply = fields.get("step").is_some_and(|s| s == "apply");
    if !apply {
        return match catalogue::preview_import(&state.app, &actor, &text).await {
            Ok(preview) => import_page(
                &visitor,
                &state,
                text,
                FormState::new(),
                Some(preview),
                StatusCode::OK,
            ),
            Err(e) => {
                let mut form = FormState::from_fields(&fields);
                form.fail(visitor.locale, &e, &["text"]);
                import_page(&visitor, &state, text, form, None, status_of(&e))
            }
        };
    }
    let app = state.app.clone();
    let file = text.clone();
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        catalogue::import(&app, &ctx, &actor, &file).await?;
        Ok("/admin/catalogue?done=catalogue-imported".to_owned())
    })
    .await;
    match done {
        Ok(location) => visitor.redirect(&location),
        Err(e) => {
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &["text"]);
            import_page(&visitor, &state, text, form, None, status_of(&e))
        }
    }
}
