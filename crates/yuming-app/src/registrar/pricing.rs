//! The operator's price book — promotional prices per TLD with a time window, member price
//! levels given to accounts, volume tiers by names held — and the one place every entry
//! point asks what a customer pays ([`quote`]; the rule itself is
//! [`yuming_core::pricing::quote`]).
//!
//! The book is kept in memory and reloaded after [`REFRESH_AFTER`] (at once after a change on
//! this instance), so availability checks stay free of database round trips.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde_json::json;
use yuming_core::access::{Actor, Right};
use yuming_core::catalogue::{Operation, Prices};
use yuming_core::clock::Timestamp;
use yuming_core::money::{Currency, Money};
use yuming_core::pricing::{self, Buyer, Item, PriceBook, Promotion, Quote, VolumeTier};
use yuming_store::Tx;
pub use yuming_store::{PriceLevelRow, PromotionRow};

use crate::platform::audit::{self, Change};
use crate::platform::crypto::new_id;
use crate::registrar::catalogue as stored_catalogue;
use crate::{App, AppError, RequestContext};

/// How long the in-memory book may be old (changes on another instance show after this).
pub const REFRESH_AFTER: Duration = Duration::from_secs(2);
/// The highest promotional price per year: 100 000 yuan.
pub const MAX_PROMOTION_MINOR: i64 = 10_000_000;
/// Most volume tiers.
pub const MAX_TIERS: usize = 20;

crate::platform::error::error_enum! {
    /// What price book use cases refuse.
    pub enum PricingError {
        /// A field out of range, naming it.
        Invalid { field: &'static str, why: &'static str, why_zh: &'static str } = BadRequest("INVALID_PRICE_RULE", field = field) => (
            format!("{field}: {why}"),
            format!("{field}：{why_zh}"),
        ),
        /// No price level of that name.
        UnknownLevel = BadRequest("UNKNOWN_PRICE_LEVEL", field = "level") => (
            "no price level of this name",
            "没有该价格等级",
        ),
    }
}

fn invalid(field: &'static str, why: &'static str, why_zh: &'static str) -> AppError {
    PricingError::Invalid { field, why, why_zh }.into()
}

/// The cached book; one per [`App`].
#[derive(Default)]
pub(crate) struct PriceBookCache {
    entry: RwLock<Option<(Instant, Arc<PriceBook>)>>,
}

impl PriceBookCache {
    fn invalidate(&self) {
        if let Ok(mut entry) = self.entry.write() {
            *entry = None;
        }
    }
}

pub(crate) fn operation_of(name: &str) -> Option<Operation> {
    match name {
        "register" => Some(Operation::Register),
        "renew" => Some(Operation::Renew),
        "transfer" => Some(Operation::Transfer),
        "restore" => Some(Operation::Restore),
        _ => None,
    }
}

fn promotion_of(row: &PromotionRow) -> Option<Promotion> {
    Some(Promotion {
        id: row.id.clone(),
        tld: row.tld.clone(),
        operation: operation_of(&row.operation)?,
        price: Money::new(row.price, Currency::parse(&row.currency).ok()?),
        first_year_only: row.first_year_only != 0,
        starts_at: row.starts_at.map(Timestamp),
        ends_at: row.ends_at.map(Timestamp),
        label: row.label.clone(),
    })
}

fn bps(value: i64) -> u32 {
    u32::try_from(value.clamp(0, i64::from(pricing::FULL_BPS))).unwrap_or(0)
}

/// The price book, from memory when fresh.
pub async fn book(app: &App) -> Result<Arc<PriceBook>, AppError> {
    let cache = app.price_book_cache();
    if let Some((loaded, book)) = cache.entry.read().ok().and_then(|e| e.clone())
        && loaded.elapsed() < REFRESH_AFTER
    {
        return Ok(book);
    }
    let mut tx = app.db().read().await?;
    let promotions = tx.live_promotions().await?;
    let levels = tx.price_levels().await?;
    let tiers = tx.volume_tiers().await?;
    tx.commit().await?;
    let book = Arc::new(PriceBook {
        promotions: promotions.iter().filter_map(promotion_of).collect(),
        levels: levels
            .into_iter()
            .map(|l| (l.name, bps(l.discount_bps)))
            .collect(),
        tiers: tiers
            .into_iter()
            .map(|(min_names, discount_bps)| VolumeTier {
                min_names,
                discount_bps: bps(discount_bps),
            })
            .collect(),
    });
    if let Ok(mut entry) = cache.entry.write() {
        *entry = Some((Instant::now(), book.clone()));
    }
    Ok(book)
}

/// The buyer behind `tenant`: their price level and names held.
pub(crate) async fn buyer_in(tx: &mut Tx, tenant: &str) -> Result<Buyer, AppError> {
    let (level, names_held) = tx.price_buyer(tenant).await?;
    Ok(Buyer { level, names_held })
}

/// The buyer behind `tenant`, read on its own (for showing prices).
pub async fn buyer(app: &App, tenant: &str) -> Result<Buyer, AppError> {
    let mut tx = app.db().read().await?;
    let buyer = buyer_in(&mut tx, tenant).await?;
    tx.commit().await?;
    Ok(buyer)
}

/// What `tenant` pays for `item` now, read in the transaction that charges. The `book` is
/// loaded before that transaction opens, so that a writer never waits for a second
/// connection.
pub(crate) async fn quote_in(
    tx: &mut Tx,
    book: &PriceBook,
    tenant: &str,
    item: Item<'_>,
    now: Timestamp,
) -> Result<Quote, AppError> {
    let buyer = buyer_in(tx, tenant).await?;
    pricing::quote(book, Some(&buyer), item, now)
        .map_err(|e| AppError::internal(format!("price: {e}")))
}

/// The per-year prices `buyer` (none: a visitor) sees for a name: register and renew for one
/// year, transfer, restore; with the list prices and the adjustment when they differ.
pub fn shown_prices(
    book: &PriceBook,
    buyer: Option<&Buyer>,
    list: &Prices,
    premium: bool,
    tld: &str,
    now: Timestamp,
) -> (Prices, Option<pricing::Adjustment>) {
    let one = |operation| {
        pricing::quote(
            book,
            buyer,
            Item {
                prices: list,
                premium,
                tld,
                operation,
                years: 1,
            },
            now,
        )
        .ok()
    };
    let (Some(register), Some(renew), Some(transfer)) = (
        one(Operation::Register),
        one(Operation::Renew),
        one(Operation::Transfer),
    ) else {
        return (*list, None);
    };
    let adjustment = [&register, &renew, &transfer]
        .into_iter()
        .map(|q| &q.adjustment)
        .find(|a| **a != pricing::Adjustment::List)
        .cloned();
    (
        Prices {
            register: register.price,
            renew: renew.price,
            transfer: transfer.price,
            restore: list.restore,
        },
        adjustment,
    )
}

/// A promotional price to create.
#[derive(Debug, Clone)]
pub struct PromotionInput {
    /// The TLD, Unicode or A-label, with or without the dot.
    pub tld: String,
    /// `register`, `renew` or `transfer`.
    pub operation: String,
    /// Price per year, minor units.
    pub price: i64,
    /// ISO 4217 code (default CNY).
    pub currency: Option<String>,
    /// Only the first year at this price.
    pub first_year_only: bool,
    /// What customers read (default: "特惠").
    pub label: Option<String>,
    /// Valid from.
    pub starts_at: Option<i64>,
    /// Valid until (exclusive).
    pub ends_at: Option<i64>,
}

async fn record(
    app: &App,
    tx: &mut Tx,
    ctx: &RequestContext,
    actor: &Actor,
    action: &'static str,
    object: (&'static str, &str),
    after: serde_json::Value,
) -> Result<(), AppError> {
    audit::record(
        app,
        tx,
        ctx,
        &actor.account_id,
        Change {
            action,
            object_type: object.0,
            object_id: object.1,
            tenant: &actor.tenant_id,
            before: serde_json::Value::Null,
            after,
        },
    )
    .await
}

/// Creates a promotional price (finance staff).
pub async fn create_promotion(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    input: PromotionInput,
) -> Result<PromotionRow, AppError> {
    actor.require(Right::BillingManage)?;
    let catalogue = stored_catalogue::current(app).await?;
    let wanted = input.tld.trim().trim_start_matches('.').to_lowercase();
    let tld = catalogue
        .tlds()
        .find(|t| t.ascii == wanted || t.unicode == wanted)
        .ok_or_else(|| invalid("tld", "this TLD is not on sale here", "该后缀未在售"))?;
    match operation_of(&input.operation) {
        Some(Operation::Register | Operation::Renew | Operation::Transfer) => {}
        _ => {
            return Err(invalid(
                "operation",
                "the operation is register, renew or transfer",
                "操作须为 register、renew 或 transfer",
            ));
        }
    }
    let currency = Currency::parse(input.currency.as_deref().unwrap_or("CNY"))
        .map_err(|_| invalid("currency", "unknown currency", "未知币种"))?;
    if currency != tld.prices.register.currency() {
        return Err(invalid(
            "currency",
            "the TLD is priced in another currency",
            "该后缀以其他币种定价",
        ));
    }
    if !(0..=MAX_PROMOTION_MINOR).contains(&input.price) {
        return Err(invalid(
            "price",
            "the price is 0 to 10000000 minor units",
            "价格须为 0 到 10000000 分",
        ));
    }
    if let (Some(start), Some(end)) = (input.starts_at, input.ends_at)
        && end <= start
    {
        return Err(invalid(
            "ends_at",
            "the end must be after the start",
            "结束时间须晚于开始时间",
        ));
    }
    let label = input
        .label
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
        .unwrap_or_else(|| "特惠".to_owned());
    if label.chars().count() > 40 {
        return Err(invalid(
            "label",
            "the label has at most 40 characters",
            "标签最多 40 个字符",
        ));
    }
    let now = app.now();
    let row = PromotionRow {
        id: new_id("pro"),
        tld: tld.ascii.clone(),
        operation: input.operation.clone(),
        price: input.price,
        currency: currency.code().to_owned(),
        first_year_only: i64::from(input.first_year_only),
        label,
        starts_at: input.starts_at,
        ends_at: input.ends_at,
        created_by: actor.account_id.clone(),
        created_at: now.0,
        disabled_at: None,
    };
    let mut tx = app.db().write().await?;
    tx.insert_promotion(&row).await?;
    record(
        app,
        &mut tx,
        ctx,
        actor,
        "price.promotion.create",
        ("price_promotion", &row.id),
        json!({ "tld": row.tld, "operation": row.operation, "price": row.price, "first_year_only": input.first_year_only, "starts_at": row.starts_at, "ends_at": row.ends_at }),
    )
    .await?;
    tx.commit().await?;
    app.price_book_cache().invalidate();
    Ok(row)
}

/// Promotions, newest first (finance staff).
pub async fn promotions(app: &App, actor: &Actor) -> Result<Vec<PromotionRow>, AppError> {
    actor.require(Right::BillingManage)?;
    let mut tx = app.db().read().await?;
    let rows = tx.promotions(500).await?;
    tx.commit().await?;
    Ok(rows)
}

/// Promotions in their window now, for showing to customers.
pub async fn active_promotions(app: &App) -> Result<Vec<Promotion>, AppError> {
    let book = book(app).await?;
    let now = app.now();
    Ok(book
        .promotions
        .iter()
        .filter(|p| p.is_active(now))
        .cloned()
        .collect())
}

/// Ends a promotion now (finance staff).
pub async fn disable_promotion(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<(), AppError> {
    actor.require(Right::BillingManage)?;
    let mut tx = app.db().write().await?;
    if !tx.disable_promotion(id, app.now().0).await? {
        return Err(AppError::not_found());
    }
    record(
        app,
        &mut tx,
        ctx,
        actor,
        "price.promotion.disable",
        ("price_promotion", id),
        json!({ "disabled": true }),
    )
    .await?;
    tx.commit().await?;
    app.price_book_cache().invalidate();
    Ok(())
}

/// Creates or changes a member price level (finance staff).
pub async fn set_level(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    name: &str,
    discount_bps: i64,
    description: &str,
) -> Result<PriceLevelRow, AppError> {
    actor.require(Right::BillingManage)?;
    let name = pricing::normalize_level(name).ok_or_else(|| {
        invalid(
            "name",
            "a level name has 1–32 of a–z, 0–9, - or _",
            "等级名须为 1–32 位小写字母、数字、- 或 _",
        )
    })?;
    if !(1..=i64::from(pricing::FULL_BPS)).contains(&discount_bps) {
        return Err(invalid(
            "discount_bps",
            "the discount is 1 to 10000 basis points",
            "折扣须为 1 到 10000 个基点",
        ));
    }
    let description = description.trim();
    if description.chars().count() > 200 {
        return Err(invalid(
            "description",
            "at most 200 characters",
            "最多 200 个字符",
        ));
    }
    let row = PriceLevelRow {
        name,
        discount_bps,
        description: description.to_owned(),
        updated_at: app.now().0,
    };
    let mut tx = app.db().write().await?;
    tx.upsert_price_level(&row).await?;
    record(
        app,
        &mut tx,
        ctx,
        actor,
        "price.level.set",
        ("price_level", &row.name),
        json!({ "discount_bps": row.discount_bps, "description": row.description }),
    )
    .await?;
    tx.commit().await?;
    app.price_book_cache().invalidate();
    Ok(row)
}

/// The member price levels (finance staff).
pub async fn levels(app: &App, actor: &Actor) -> Result<Vec<PriceLevelRow>, AppError> {
    actor.require(Right::BillingManage)?;
    let mut tx = app.db().read().await?;
    let rows = tx.price_levels().await?;
    tx.commit().await?;
    Ok(rows)
}

/// Puts a customer account on a price level, or back on standard prices (finance staff).
pub async fn assign_level(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    account_id: &str,
    level: Option<&str>,
) -> Result<(), AppError> {
    actor.require(Right::BillingManage)?;
    let mut tx = app.db().write().await?;
    let account = tx
        .account_by_id(account_id)
        .await?
        .filter(|a| a.role == "customer" && a.parent_id.is_none())
        .ok_or_else(AppError::not_found)?;
    let level = match level.map(str::trim).filter(|l| !l.is_empty()) {
        Some(level) => {
            let level = pricing::normalize_level(level).ok_or(PricingError::UnknownLevel)?;
            if !tx.price_levels().await?.iter().any(|l| l.name == level) {
                return Err(PricingError::UnknownLevel.into());
            }
            Some(level)
        }
        None => None,
    };
    tx.set_account_price_level(
        &account.id,
        level.as_deref(),
        &actor.account_id,
        app.now().0,
    )
    .await?;
    record(
        app,
        &mut tx,
        ctx,
        actor,
        "price.level.assign",
        ("account", &account.id),
        json!({ "level": level }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces the volume tiers: (names held, discount in basis points) (finance staff).
pub async fn set_volume_tiers(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    tiers: &[(i64, i64)],
) -> Result<Vec<(i64, i64)>, AppError> {
    actor.require(Right::BillingManage)?;
    if tiers.len() > MAX_TIERS {
        return Err(invalid("tiers", "at most 20 tiers", "最多 20 档"));
    }
    let mut sorted = tiers.to_vec();
    sorted.sort_unstable();
    for pair in sorted.windows(2) {
        if pair[0].0 == pair[1].0 {
            return Err(invalid(
                "min_names",
                "two tiers start at the same number of names",
                "两档的起始域名数相同",
            ));
        }
    }
    for (min_names, discount_bps) in &sorted {
        if !(1..=10_000_000).contains(min_names) {
            return Err(invalid(
                "min_names",
                "a tier starts at 1 to 10000000 names",
                "起始域名数须为 1 到 10000000",
            ));
        }
        if !(1..=i64::from(pricing::FULL_BPS)).contains(discount_bps) {
            return Err(invalid(
                "discount_bps",
                "the discount is 1 to 10000 basis points",
                "折扣须为 1 到 10000 个基点",
            ));
        }
    }
    let mut tx = app.db().write().await?;
    tx.replace_volume_tiers(&sorted).await?;
    record(
        app,
        &mut tx,
        ctx,
        actor,
        "price.volume_tiers.set",
        ("volume_tiers", "all"),
        json!({ "tiers": sorted }),
    )
    .await?;
    tx.commit().await?;
    app.price_book_cache().invalidate();
    Ok(sorted)
}

/// The volume tiers, smallest first (finance staff).
pub async fn volume_tiers(app: &App, actor: &Actor) -> Result<Vec<(i64, i64)>, AppError> {
    actor.require(Right::BillingManage)?;
    let mut tx = app.db().read().await?;
    let rows = tx.volume_tiers().await?;
    tx.commit().await?;
    Ok(rows)
}
