//! Value-added services sold as products with their own price — a filing-assistance
//! package, batch filing, a DNS consultation — bought from the balance in one transaction
//! and booked to their own revenue account (`service_revenue`), apart from domain income.
//! A purchase is an order of kind `service` that staff then deliver.

use serde_json::json;
use yuming_core::access::{Actor, Right};
use yuming_core::money::{Currency, Money};
pub use yuming_store::{OrderRow, ServiceProductRow};

use super::{BalanceOrder, Income, pay_order_as};
use crate::platform::audit::{self, Change};
use crate::{App, AppError, RequestContext};

/// The highest unit price: 1 000 000 yuan.
pub const MAX_PRICE_MINOR: i64 = 100_000_000;
/// Most units in one purchase.
pub const MAX_QUANTITY: u32 = 100;

crate::platform::error::error_enum! {
    /// What service products and purchases refuse.
    pub enum ServiceError {
        /// A field out of range, naming it.
        Invalid { field: &'static str, why: &'static str, why_zh: &'static str } = BadRequest("INVALID_SERVICE", field = field) => (
            format!("{field}: {why}"),
            format!("{field}：{why_zh}"),
        ),
        /// No product of that code on sale.
        Unknown = NotFound("UNKNOWN_SERVICE", field = "code") => (
            "no such service on sale",
            "该服务不存在或已下架",
        ),
    }
}

fn invalid(field: &'static str, why: &'static str, why_zh: &'static str) -> AppError {
    ServiceError::Invalid { field, why, why_zh }.into()
}

/// A product to create or change.
#[derive(Debug, Clone, Default)]
pub struct ProductInput {
    /// Stable code: 2–32 of `a–z 0–9 -`.
    pub code: String,
    /// Name in Chinese.
    pub name_zh: String,
    /// Name in English.
    pub name_en: String,
    /// What the customer gets.
    pub description: String,
    /// Price per unit, minor units.
    pub price: i64,
    /// ISO 4217 code (default CNY).
    pub currency: Option<String>,
    /// On sale.
    pub active: bool,
}

fn text(field: &'static str, value: &str, max: usize) -> Result<String, AppError> {
    let value = value.trim();
    if value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(invalid(
            field,
            "too long or has control characters",
            "过长或含控制字符",
        ));
    }
    Ok(value.to_owned())
}

/// Creates or changes a product (finance staff).
pub async fn set_product(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    input: ProductInput,
) -> Result<ServiceProductRow, AppError> {
    actor.require(Right::BillingManage)?;
    let code = input.code.trim().to_ascii_lowercase();
    if !(2..=32).contains(&code.len())
        || !code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(invalid(
            "code",
            "a code has 2–32 of a–z, 0–9 or -",
            "编码须为 2–32 位小写字母、数字或 -",
        ));
    }
    let name_zh = text("name_zh", &input.name_zh, 60)?;
    if name_zh.is_empty() {
        return Err(invalid(
            "name_zh",
            "a Chinese name is required",
            "请填写中文名称",
        ));
    }
    let name_en = text("name_en", &input.name_en, 60)?;
    let description = text("description", &input.description, 500)?;
    if !(1..=MAX_PRICE_MINOR).contains(&input.price) {
        return Err(invalid(
            "price",
            "the price is 1 to 100000000 minor units",
            "价格须为 1 到 100000000 分",
        ));
    }
    let currency = Currency::parse(input.currency.as_deref().unwrap_or("CNY"))
        .map_err(|_| invalid("currency", "unknown currency", "未知币种"))?;
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    let before = tx.service_product(&code).await?;
    let row = ServiceProductRow {
        name_en: if name_en.is_empty() {
            name_zh.clone()
        } else {
            name_en
        },
        code,
        name_zh,
        description,
        price: input.price,
        currency: currency.code().to_owned(),
        active: i64::from(input.active),
        created_at: before.as_ref().map_or(now, |b| b.created_at),
        updated_at: now,
    };
    tx.upsert_service_product(&row).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "service.product.set",
            object_type: "service_product",
            object_id: &row.code,
            tenant: &actor.tenant_id,
            before: before.map_or(serde_json::Value::Null, |b| {
                json!({ "price": b.price, "active": b.active })
            }),
            after: json!({ "name": row.name_zh, "price": row.price, "currency": row.currency, "active": row.active }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// The products on sale, by code (anyone).
pub async fn products(app: &App) -> Result<Vec<ServiceProductRow>, AppError> {
    let mut tx = app.db().read().await?;
    let rows = tx.service_products(true).await?;
    tx.commit().await?;
    Ok(rows)
}

/// Every product, on sale or not (finance staff).
pub async fn all_products(app: &App, actor: &Actor) -> Result<Vec<ServiceProductRow>, AppError> {
    actor.require(Right::BillingManage)?;
    let mut tx = app.db().read().await?;
    let rows = tx.service_products(false).await?;
    tx.commit().await?;
    Ok(rows)
}

/// A purchase made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Purchase {
    /// The order.
    pub order_id: String,
    /// The product.
    pub code: String,
    /// Units.
    pub quantity: u32,
    /// What was charged.
    pub charged: Money,
    /// The balance afterwards.
    pub balance: Money,
}

/// Buys `quantity` units of a product from the balance, all or nothing.
pub async fn buy(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    code: &str,
    quantity: u32,
    note: Option<&str>,
) -> Result<Purchase, AppError> {
    actor.require(Right::BillingPay)?;
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        return Err(invalid(
            "quantity",
            "the quantity is 1 to 100",
            "数量须为 1 到 100",
        ));
    }
    let note = text("note", note.unwrap_or_default(), 500)?;
    let now = app.now();
    let mut tx = app.db().write().await?;
    let product = tx
        .service_product(&code.trim().to_ascii_lowercase())
        .await?
        .filter(|p| p.active == 1)
        .ok_or(ServiceError::Unknown)?;
    let currency = Currency::parse(&product.currency)
        .map_err(|_| AppError::internal("stored product currency"))?;
    let amount = Money::new(product.price, currency)
        .checked_mul(i64::from(quantity))
        .map_err(|e| AppError::internal(format!("service price: {e}")))?;
    let (order_id, balance) = pay_order_as(
        &mut tx,
        BalanceOrder {
            owner_id: &actor.tenant_id,
            actor_id: &actor.account_id,
            kind: "service",
            domain_name: "",
            years: None,
            amount,
            memo: format!("service {} x{quantity}", product.code),
            detail: json!({ "code": product.code, "name": product.name_zh, "name_en": product.name_en, "quantity": quantity, "unit_price": product.price, "note": note }),
        },
        Income::Services,
        now,
    )
    .await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "service.purchase",
            object_type: "order",
            object_id: &order_id,
            tenant: &actor.tenant_id,
            before: serde_json::Value::Null,
            after: json!({ "code": product.code, "quantity": quantity, "amount": amount.minor() }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Purchase {
        order_id,
        code: product.code,
        quantity,
        charged: amount,
        balance,
    })
}

/// Service purchases to deliver, newest first (finance and support staff).
pub async fn purchases(app: &App, actor: &Actor) -> Result<Vec<OrderRow>, AppError> {
    actor.require(Right::BillingManage)?;
    let mut tx = app.db().read().await?;
    let rows = tx.orders_of_kind("service", 500).await?;
    tx.commit().await?;
    Ok(rows)
}
