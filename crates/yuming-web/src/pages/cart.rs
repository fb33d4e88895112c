//! The cart and its checkout: names picked on the search page (signed in or not) wait in a
//! cookie with their terms; the checkout registers them in one batch (each name charged in its
//! own transaction, once per rendering of the form) and leads to the batch's page, which shows
//! what happened to each name.

use std::collections::{BTreeMap, HashMap};

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use yuming_app::AppError;
use yuming_app::billing::payments;
use yuming_app::registrar::batches::{self, BatchOperation, RegisterOrder};
use yuming_app::registrar::checkout::{self as checkout_orders, CheckoutItemInput};
use yuming_app::registrar::{catalogue as stored_catalogue, contacts, coupons, domains};
use yuming_core::catalogue::Operation;
use yuming_core::money::{Currency, Money};
use yuming_core::promotion::Purchase;

use super::{Base, CheckedForm, FormState, SignedInForm, app_error_page, page, submit_once};
use crate::WebState;
use crate::format;
use crate::session::{CART_MAX, Visitor, local_path, status_of};

/// One name of the cart.
pub struct CartLine {
    /// As people read it.
    pub name: String,
    /// The A-label (what the forms send).
    pub ascii: String,
    /// Years chosen.
    pub years: u32,
    /// The terms the TLD offers.
    pub year_options: Vec<u32>,
    /// Still available.
    pub available: bool,
    /// Why not, in words.
    pub status: String,
    /// Price of the first year.
    pub per_year: String,
    /// Price for the years chosen.
    pub total: String,
}

#[derive(Template)]
#[template(path = "cart.html")]
struct CartPage {
    base: Base,
    lines: Vec<CartLine>,
    total: String,
    discount: String,
    any_available: bool,
    contacts: Vec<(String, String)>,
    /// Gateways the order can be paid through instead of the balance.
    methods: Vec<super::payments::MethodChoice>,
    form: FormState,
}

fn cart_error(code: &'static str, en: &str, zh: &str) -> AppError {
    AppError::bad_request(code, en.to_owned(), zh.to_owned()).with_field("name")
}

async fn cart_page(
    state: &WebState,
    visitor: &Visitor,
    mut form: FormState,
    status: StatusCode,
) -> Response {
    let coupon = form.value("coupon").trim().to_owned();
    let app = &state.app;
    let names: Vec<String> = visitor.cart.iter().map(|(n, _)| n.clone()).collect();
    let buyer = super::buyer_of(state, visitor).await;
    let loaded = async {
        let found = if names.is_empty() {
            Vec::new()
        } else {
            domains::check_as(app, buyer.as_ref(), &names).await?
        };
        let catalogue = stored_catalogue::current(app).await?;
        let contacts = match &visitor.actor {
            Some(actor) => contacts::list(app, actor, None, 200).await?.contacts,
            None => Vec::new(),
        };
        Ok::<_, AppError>((found, catalogue, contacts))
    }
    .await;
    let (found, catalogue, contact_list) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return app_error_page(visitor, state, &e),
    };
    let locale = visitor.locale;
    let mut total = Money::zero(Currency::Cny);
    let mut discount = Money::zero(Currency::Cny);
    let mut lines = Vec::new();
    for ((ascii, years), availability) in visitor.cart.iter().zip(found.iter()) {
        let row = super::public::result_row(locale, availability);
        let year_options = catalogue
            .tld(ascii.rsplit('.').next().unwrap_or(""))
            .map(|tld| (tld.min_years..=tld.max_years).collect())
            .unwrap_or_else(|| vec![1]);
        let quote = if availability.available {
            match domains::register_quote(app, buyer.as_ref(), availability, *years).await {
                Ok(quote) => quote,
                Err(e) => return app_error_page(visitor, state, &e),
            }
        } else {
            None
        };
        let line_total = quote.as_ref().map(|q| q.price);
        // The price the customer will pay: the coupon's discount is shown before checkout.
        let line_total = match (line_total, coupon.is_empty()) {
            (Some(amount), false) => {
                let tld = ascii.rsplit('.').next().unwrap_or("");
                let first_year = quote.as_ref().map_or(amount, |q| q.first_year);
                let purchase = Purchase {
                    tld,
                    operation: Operation::Register,
                    price: amount,
                    first_year,
                };
                match coupons::quote(app, &coupon, &purchase).await {
                    Ok(off) => {
                        discount = discount.checked_add(off).unwrap_or(discount);
                        Some(amount.checked_sub(off).unwrap_or(amount))
                    }
                    Err(e) => {
                        if form.error("coupon").is_none() {
                            form.fail(locale, &e, &["coupon"]);
                        }
                        Some(amount)
                    }
                }
            }
            (line_total, _) => line_total,
        };
        if let Some(amount) = line_total {
            total = total.checked_add(amount).unwrap_or(total);
        }
        lines.push(CartLine {
            name: row.name.clone(),
            ascii: ascii.clone(),
            years: *years,
            year_options,
            available: availability.available,
            status: row.status.clone(),
            per_year: row.price.clone(),
            total: line_total.map(format::money).unwrap_or_default(),
        });
    }
    let contacts = super::contacts::registrant_choices(locale, &contact_list);
    let template = CartPage {
        base: Base::new(visitor, state, "cart-title", ""),
        any_available: lines.iter().any(|l| l.available),
        lines,
        total: format::money(total),
        discount: if discount.is_positive() {
            format::money(discount)
        } else {
            String::new()
        },
        contacts,
        methods: super::payments::method_choices(state, locale),
        form,
    };
    page(visitor, status, &template)
}

/// `/cart`: the names picked, their terms and prices; the checkout once signed in.
pub async fn show(
    State(state): State<WebState>,
    visitor: Visitor,
    axum::extract::Query(query): axum::extract::Query<CouponQuery>,
) -> Response {
    let mut form = FormState::new();
    form.set("auto_renew", "on");
    if let Some(coupon) = query.coupon {
        form.set("coupon", &coupon);
    }
    cart_page(&state, &visitor, form, StatusCode::OK).await
}

/// `/cart?coupon=…`: the prices with a coupon's discount.
#[derive(Debug, serde::Deserialize)]
pub struct CouponQuery {
    #[serde(default)]
    coupon: Option<String>,
}

/// `POST /cart/add`: puts one or more names (`name`, repeated) in the cart, each as its
/// A-label for one year, and goes back to `back` (the search page).
pub async fn add(
    State(state): State<WebState>,
    CheckedForm {
        mut visitor,
        fields,
        body,
    }: CheckedForm,
) -> Response {
    let wanted = super::all_values(&body, "name");
    let back = fields
        .get("back")
        .and_then(|b| local_path(b))
        .unwrap_or("/cart")
        .to_owned();
    let outcome = async {
        if wanted.is_empty() || wanted.len() > CART_MAX {
            return Err(cart_error(
                "TOO_MANY_NAMES",
                "add 1 to 50 names at a time",
                "每次加入 1 到 50 个域名",
            ));
        }
        let found = domains::check(&state.app, &wanted).await?;
        let mut cart = visitor.cart.clone();
        for availability in found.iter().filter(|a| a.available) {
            if let Some((_, ascii)) = &availability.name
                && !cart.iter().any(|(n, _)| n == ascii)
            {
                cart.push((ascii.clone(), 1));
            }
        }
        Ok(cart)
    }
    .await;
    let cart = match outcome {
        Ok(cart) => cart,
        Err(e) => return app_error_page(&visitor, &state, &e),
    };
    if cart.len() > CART_MAX || !visitor.remember_cart(cart) {
        let e = cart_error(
            "CART_FULL",
            "the cart holds at most 50 names; check out or remove some first",
            "购物车最多 50 个域名，请先结算或移除部分域名",
        );
        let mut form = FormState::new();
        form.fail(visitor.locale, &e, &[]);
        return cart_page(&state, &visitor, form, StatusCode::BAD_REQUEST).await;
    }
    let separator = if back.contains('?') { '&' } else { '?' };
    visitor.redirect(&format!("{back}{separator}done=cart-added"))
}

/// The years the cart form chose, by A-label.
fn chosen_years(visitor: &Visitor, fields: &HashMap<String, String>) -> Vec<(String, u32)> {
    visitor
        .cart
        .iter()
        .map(|(name, years)| {
            let chosen = fields
                .get(&format!("years:{name}"))
                .and_then(|y| y.parse::<u32>().ok())
                .filter(|y| (1..=10).contains(y))
                .unwrap_or(*years);
            (name.clone(), chosen)
        })
        .collect()
}

/// `POST /cart/update`: keeps the years chosen and recomputes the prices.
pub async fn update(
    State(_state): State<WebState>,
    CheckedForm {
        mut visitor,
        fields,
        ..
    }: CheckedForm,
) -> Response {
    let cart = chosen_years(&visitor, &fields);
    visitor.remember_cart(cart);
    match fields
        .get("coupon")
        .map(|c| c.trim())
        .filter(|c| !c.is_empty())
    {
        Some(coupon) => visitor.redirect(&format!(
            "/cart?coupon={}",
            serde_urlencoded::to_string([("c", coupon)])
                .unwrap_or_default()
                .trim_start_matches("c=")
        )),
        None => visitor.redirect("/cart"),
    }
}

/// `POST /cart/remove`: takes `remove` (an A-label) out of the cart.
pub async fn remove(
    State(_state): State<WebState>,
    CheckedForm {
        mut visitor,
        fields,
        ..
    }: CheckedForm,
) -> Response {
    let gone = fields.get("remove").cloned().unwrap_or_default();
    let cart: Vec<(String, u32)> = chosen_years(&visitor, &fields)
        .into_iter()
        .filter(|(name, _)| *name != gone)
        .collect();
    visitor.remember_cart(cart);
    visitor.redirect("/cart")
}

const CHECKOUT_FIELDS: [&str; 5] = [
    "registrant_contact_id",
    "nameservers",
    "auto_renew",
    "name",
    "coupon",
];

/// `POST /cart/checkout`: registers every available name of the cart in one batch, paid
/// from the balance, once per rendering of the form; the cart empties and the batch's page
/// shows each name's outcome.
pub async fn checkout(
    State(state): State<WebState>,
    SignedInForm {
        mut visitor,
        actor,
        fields,
        ..
    }: SignedInForm,
) -> Response {
    let cart = chosen_years(&visitor, &fields);
    let field = |name: &str| fields.get(name).map_or("", String::as_str);
    let nameservers = super::split_hosts(field("nameservers"));
    let order = RegisterOrder {
        years: cart.iter().cloned().collect::<BTreeMap<_, _>>(),
        registrant_contact_id: field("registrant_contact_id").to_owned(),
        nameservers: (!nameservers.is_empty()).then_some(nameservers),
        auto_renew: field("auto_renew") == "on",
        coupon: Some(field("coupon").trim().to_owned()).filter(|c| !c.is_empty()),
    };
    let names: Vec<String> = cart.iter().map(|(n, _)| n.clone()).collect();
    let pay_with = fields
        .get("pay_with")
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty());
    let app = state.app.clone();
    // The form names every name of the cart in its `years:` fields, so the key covers the
    // selection; a repeated click finds the first click's batch (or order) even once the
    // cart is empty.
    let done = submit_once(&state, &mut visitor, &fields, |ctx| async move {
        if names.is_empty() {
            return Err(cart_error(
                "CART_EMPTY",
                "the cart is empty",
                "购物车是空的",
            ));
        }
        if order.registrant_contact_id.is_empty() {
            return Err(AppError::bad_request(
                "MISSING_FIELD",
                "choose the registrant profile",
                "请选择域名持有者的实名模板",
            )
            .with_field("registrant_contact_id"));
        }
        if let Some(method) = pay_with {
            // Paid through a gateway: the order holds the names while the customer pays,
            // and is fulfilled once the gateway confirms.
            let items = order
                .years
                .iter()
                .map(|(name, years)| CheckoutItemInput {
                    name: name.clone(),
                    years: *years,
                    registrant_contact_id: order.registrant_contact_id.clone(),
                    nameservers: order.nameservers.clone(),
                    auto_renew: order.auto_renew,
                })
                .collect();
            let placed =
                checkout_orders::place(&app, &ctx, &actor, items, order.coupon.as_deref()).await?;
            let amount = placed.amount()?;
            let payment =
                payments::create_for(&app, &ctx, &actor, amount, &method, Some(&placed.row.id))
                    .await?;
            return Ok(format!("/console/billing/payments/{}", payment.id));
        }
        let batch =
            batches::start(&app, &ctx, &actor, BatchOperation::Register(order), names).await?;
        Ok(format!(
            "/console/batches/{}?done=checkout-started",
            batch.id
        ))
    })
    .await;
    match done {
        Ok(location) => {
            visitor.remember_cart(Vec::new());
            visitor.redirect(&location)
        }
        Err(e) => {
            visitor.remember_cart(cart);
            let mut form = FormState::from_fields(&fields);
            form.fail(visitor.locale, &e, &CHECKOUT_FIELDS);
            cart_page(&state, &visitor, form, status_of(&e)).await
        }
    }
}
