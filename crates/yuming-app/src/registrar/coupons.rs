//! Coupons on domain purchases: finance creates them, customers pass a code when they
//! register or renew, and the discount is taken in the transaction that charges, where the
//! total and per-account use limits are counted with conditional updates (so 20 customers
//! racing for a coupon with 5 uses get exactly 5 discounts).

use serde_json::json;
use yuming_core::access::{Actor, Right};
use yuming_core::catalogue::Operation;
use yuming_core::clock::Timestamp;
use yuming_core::money::{Currency, Money};
use yuming_core::promotion::{self, CouponKind, CouponRefusal, CouponTerms, Purchase};
use yuming_store::{CouponRow, Tx};

use crate::platform::audit::{self, Change};
use crate::platform::crypto::new_id;
use crate::registrar::catalogue as stored_catalogue;
use crate::{App, AppError, RequestContext};

/// The largest amount a coupon may take off: 100 000 yuan.
pub const MAX_COUPON_AMOUNT_MINOR: i64 = 10_000_000;

crate::platform::error::error_enum! {
    /// What coupon use cases refuse.
    pub enum CouponError {
        /// A code outside `A–Z 0–9 - _`, 3–32 characters.
        InvalidCode = BadRequest("INVALID_COUPON_CODE", field = "code") => (
            "a coupon code has 3–32 letters, digits, - or _",
            "优惠码须为 3–32 位字母、数字、- 或 _",
        ),
        /// The code is in use.
        CodeTaken = Conflict("COUPON_CODE_TAKEN", field = "code") => (
            "a coupon with this code exists",
            "该优惠码已存在",
        ),
        /// A term out of range, naming the field.
        InvalidTerm { field: &'static str, why: &'static str, why_zh: &'static str } = BadRequest("INVALID_COUPON", field = field) => (
            format!("{field}: {why}"),
            format!("{field}：{why_zh}"),
        ),
        /// No coupon of that code (or switched off).
        Unknown = BadRequest("UNKNOWN_COUPON", field = "coupon") => (
            "no such coupon",
            "优惠码无效",
        ),
        /// The coupon does not apply to this purchase.
        NotApplicable { why: String, why_zh: String } = BadRequest("COUPON_NOT_APPLICABLE", field = "coupon") => (
            format!("the coupon does not apply: {why}"),
            format!("该优惠码不适用：{why_zh}"),
        ),
        /// Every use of the coupon is taken.
        Exhausted = Conflict("COUPON_EXHAUSTED", field = "coupon") => (
            "this coupon has been used up",
            "该优惠码已被领完",
        ),
        /// This account used the coupon as often as it may.
        AccountLimit = Conflict("COUPON_ACCOUNT_LIMIT", field = "coupon") => (
            "this account has used this coupon as often as allowed",
            "本账户使用该优惠码的次数已达上限",
        ),
    }
}

/// A coupon to create (finance staff).
#[derive(Debug, Clone, Default)]
pub struct CouponInput {
    /// The code customers type.
    pub code: String,
    /// `amount` or `percent`.
    pub kind: String,
    /// Minor units off (amount) or percent off (1–100).
    pub value: i64,
    /// Currency of an amount coupon (default CNY).
    pub currency: Option<String>,
    /// TLDs, Unicode or A-label, with or without the dot; empty: all.
    pub tlds: Vec<String>,
    /// `register`, `renew`, `transfer`, `restore`; empty: all.
    pub operations: Vec<String>,
    /// Only the first year is discounted.
    pub first_year_only: bool,
    /// Valid from (unix time).
    pub starts_at: Option<i64>,
    /// Valid until (unix time, exclusive).
    pub ends_at: Option<i64>,
    /// Total uses.
    pub max_uses: Option<i64>,
    /// Uses per customer account.
    pub max_uses_per_account: Option<i64>,
    /// Minimum purchase (minor units).
    pub min_order: Option<i64>,
}

fn operation_of(name: &str) -> Option<Operation> {
    match name {
        "register" => Some(Operation::Register),
        "renew" => Some(Operation::Renew),
        "transfer" => Some(Operation::Transfer),
        "restore" => Some(Operation::Restore),
        _ => None,
    }
}

fn invalid(field: &'static str, why: &'static str, why_zh: &'static str) -> AppError {
    CouponError::InvalidTerm { field, why, why_zh }.into()
}

/// A coupon's terms as the rule reads them.
pub fn terms_of(row: &CouponRow) -> Result<CouponTerms, AppError> {
    let currency = Currency::parse(&row.currency)
        .map_err(|_| AppError::internal(format!("coupon currency {}", row.currency)))?;
    let kind = match row.kind.as_str() {
        "amount" => CouponKind::Amount(Money::new(row.value, currency)),
        _ => CouponKind::Percent(u8::try_from(row.value.clamp(0, 100)).unwrap_or(0)),
    };
    let list = |text: &str| -> Vec<String> {
        text.split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect()
    };
    Ok(CouponTerms {
        kind,
        tlds: list(&row.tlds),
        operations: list(&row.operations)
            .iter()
            .filter_map(|o| operation_of(o))
            .collect(),
        first_year_only: row.first_year_only != 0,
        starts_at: row.starts_at.map(Timestamp),
        ends_at: row.ends_at.map(Timestamp),
        min_order: row.min_order.map(|m| Money::new(m, currency)),
    })
}

/// Creates a coupon (finance staff).
pub async fn create(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    input: CouponInput,
) -> Result<CouponRow, AppError> {
    actor.require(Right::BillingManage)?;
    let code = promotion::normalize_code(&input.code).ok_or(CouponError::InvalidCode)?;
    let currency = Currency::parse(input.currency.as_deref().unwrap_or("CNY"))
        .map_err(|_| invalid("currency", "unknown currency", "未知币种"))?;
    match input.kind.as_str() {
        "amount" if (1..=MAX_COUPON_AMOUNT_MINOR).contains(&input.value) => {}
        "amount" => {
            return Err(invalid(
                "value",
                "an amount coupon takes 1 to 10000000 minor units off",
                "金额券面值须为 1 到 10000000 分",
            ));
        }
        "percent" if (1..=100).contains(&input.value) => {}
        "percent" => {
            return Err(invalid(
                "value",
                "a percent coupon takes 1 to 100 percent off",
                "折扣券须为 1 到 100（%）",
            ));
        }
        _ => {
            return Err(invalid(
                "kind",
                "the kind is amount or percent",
                "类型须为 amount 或 percent",
            ));
        }
    }
    let catalogue = stored_catalogue::current(app).await?;
    let mut tlds = Vec::new();
    for tld in &input.tlds {
        let wanted = tld.trim().trim_start_matches('.').to_lowercase();
        let found = catalogue
            .tlds()
            .find(|t| t.ascii == wanted || t.unicode == wanted)
            .ok_or_else(|| invalid("tlds", "a TLD is not on sale here", "存在未销售的后缀"))?;
        tlds.push(found.ascii.clone());
    }
    let mut operations = Vec::new();
    for operation in &input.operations {
        if operation_of(operation).is_none() {
            return Err(invalid(
                "operations",
                "operations are register, renew, transfer or restore",
                "操作须为 register、renew、transfer 或 restore",
            ));
        }
        operations.push(operation.clone());
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
    for (field, value) in [
        ("max_uses", input.max_uses),
        ("max_uses_per_account", input.max_uses_per_account),
    ] {
        if value.is_some_and(|v| !(1..=10_000_000).contains(&v)) {
            let field: &'static str = if field == "max_uses" {
                "max_uses"
            } else {
                "max_uses_per_account"
            };
            return Err(invalid(
                field,
                "a use limit is 1 to 10000000",
                "使用次数上限须为 1 到 10000000",
            ));
        }
    }
    if input
        .min_order
        .is_some_and(|m| !(0..=1_000_000_000).contains(&m))
    {
        return Err(invalid(
            "min_order",
            "the minimum is 0 to 1000000000 minor units",
            "最低消费须为 0 到 1000000000 分",
        ));
    }
    let now = app.now();
    let row = CouponRow {
        id: new_id("cpn"),
        code,
        kind: input.kind.clone(),
        value: input.value,
        currency: currency.code().to_owned(),
        tlds: tlds.join(","),
        operations: operations.join(","),
        first_year_only: i64::from(input.first_year_only),
        starts_at: input.starts_at,
        ends_at: input.ends_at,
        max_uses: input.max_uses,
        max_uses_per_account: input.max_uses_per_account,
        min_order: input.min_order,
        uses: 0,
        created_by: actor.account_id.clone(),
        created_at: now.0,
        disabled_at: None,
    };
    let mut tx = app.db().write().await?;
    if !tx.insert_coupon(&row).await? {
        return Err(CouponError::CodeTaken.into());
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "coupon.create",
            object_type: "coupon",
            object_id: &row.id,
            tenant: &actor.tenant_id,
            before: serde_json::Value::Null,
            after: json!({ "code": row.code, "kind": row.kind, "value": row.value, "max_uses": row.max_uses }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// A coupon with what it has given so far.
#[derive(Debug, Clone)]
pub struct CouponView {
    /// The coupon.
    pub row: CouponRow,
    /// Redemptions.
    pub redemptions: i64,
    /// Their discounts, minor units.
    pub discounted: i64,
}

/// Coupons, newest first (finance staff).
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<CouponView>, AppError> {
    actor.require(Right::BillingManage)?;
    let mut tx = app.db().read().await?;
    let rows = tx.coupons(200).await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        let (redemptions, discounted) = tx.coupon_redemption_totals(&row.id).await?;
        views.push(CouponView {
            row,
            redemptions,
            discounted,
        });
    }
    tx.commit().await?;
    Ok(views)
}

/// Switches a coupon off (finance staff); redemptions made stay.
pub async fn disable(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<(), AppError> {
    actor.require(Right::BillingManage)?;
    let mut tx = app.db().write().await?;
    if !tx.disable_coupon(id, app.now().0).await? {
        return Err(AppError::not_found());
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "coupon.disable",
            object_type: "coupon",
            object_id: id,
            tenant: &actor.tenant_id,
            before: serde_json::Value::Null,
            after: json!({ "disabled": true }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn refusal(refusal: CouponRefusal) -> AppError {
    let (why, why_zh) = match refusal {
        CouponRefusal::NotStarted => ("it is not valid yet".to_owned(), "尚未生效".to_owned()),
        CouponRefusal::Ended => ("it has expired".to_owned(), "已过期".to_owned()),
        CouponRefusal::Tld => (
            "not for this suffix".to_owned(),
            "不适用于该后缀".to_owned(),
        ),
        CouponRefusal::Operation => (
            "not for this operation".to_owned(),
            "不适用于该操作".to_owned(),
        ),
        CouponRefusal::BelowMinimum(minimum) => (
            format!("the purchase must cost at least {minimum}"),
            format!("订单金额须不低于 {minimum}"),
        ),
        CouponRefusal::Currency => ("not for this currency".to_owned(), "币种不符".to_owned()),
    };
    CouponError::NotApplicable { why, why_zh }.into()
}

/// What `code` takes off `purchase` now, without using it (for showing the price).
pub async fn quote(app: &App, code: &str, purchase: &Purchase<'_>) -> Result<Money, AppError> {
    let code = promotion::normalize_code(code).ok_or(CouponError::Unknown)?;
    let mut tx = app.db().read().await?;
    let row = tx.coupon_by_code(&code).await?;
    tx.commit().await?;
    let row = row
        .filter(|r| r.disabled_at.is_none())
        .ok_or(CouponError::Unknown)?;
    if row.max_uses.is_some_and(|max| row.uses >= max) {
        return Err(CouponError::Exhausted.into());
    }
    promotion::discount(&terms_of(&row)?, purchase, app.now()).map_err(refusal)
}

/// A coupon taken for a purchase, to record once the order exists.
#[derive(Debug, Clone)]
pub struct Taken {
    coupon_id: String,
    code: String,
    /// What it takes off.
    pub discount: Money,
}

impl Taken {
    /// The coupon's id.
    pub(crate) fn coupon_id(&self) -> &str {
        &self.coupon_id
    }
}

/// Applies `code` to `purchase` by `tenant` in `tx` (the transaction that charges): checks
/// the terms and takes one of the coupon's uses and one of the account's.
pub(crate) async fn take(
    tx: &mut Tx,
    tenant: &str,
    code: &str,
    purchase: &Purchase<'_>,
    now: Timestamp,
) -> Result<Taken, AppError> {
    let code = promotion::normalize_code(code).ok_or(CouponError::Unknown)?;
    let row = tx
        .coupon_by_code(&code)
        .await?
        .filter(|r| r.disabled_at.is_none())
        .ok_or(CouponError::Unknown)?;
    let discount = promotion::discount(&terms_of(&row)?, purchase, now).map_err(refusal)?;
    if !tx.take_coupon_use(&row.id).await? {
        return Err(CouponError::Exhausted.into());
    }
    if let Some(limit) = row.max_uses_per_account
        && !tx.take_coupon_account_use(&row.id, tenant, limit).await?
    {
        return Err(CouponError::AccountLimit.into());
    }
    Ok(Taken {
        coupon_id: row.id,
        code: row.code,
        discount,
    })
}

/// Records the redemption of a taken coupon against the order it discounted.
pub(crate) async fn record(
    tx: &mut Tx,
    taken: &Taken,
    tenant: &str,
    order_id: &str,
    now: Timestamp,
) -> Result<serde_json::Value, AppError> {
    tx.insert_coupon_redemption(
        &new_id("cpr"),
        &taken.coupon_id,
        tenant,
        order_id,
        taken.discount.minor(),
        taken.discount.currency().code(),
        now.0,
    )
    .await?;
    Ok(json!({ "code": taken.code, "discount": taken.discount.minor() }))
}
