//! Coupons, their use counters and redemptions.

use crate::db::{StoreError, Tx, map_err};

/// A coupon as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CouponRow {
    /// Opaque id.
    pub id: String,
    /// Normalised code (upper case).
    pub code: String,
    /// `amount` or `percent`.
    pub kind: String,
    /// Minor units (amount) or percent.
    pub value: i64,
    /// ISO 4217 code of an amount coupon (and of `min_order`).
    pub currency: String,
    /// Comma-separated A-label TLDs; empty: all.
    pub tlds: String,
    /// Comma-separated operations; empty: all.
    pub operations: String,
    /// 1: only the first year is discounted.
    pub first_year_only: i64,
    /// Valid from.
    pub starts_at: Option<i64>,
    /// Valid until (exclusive).
    pub ends_at: Option<i64>,
    /// Total redemptions allowed.
    pub max_uses: Option<i64>,
    /// Redemptions allowed per customer account.
    pub max_uses_per_account: Option<i64>,
    /// Minimum purchase, minor units.
    pub min_order: Option<i64>,
    /// Redemptions so far.
    pub uses: i64,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: i64,
    /// When it was switched off.
    pub disabled_at: Option<i64>,
}

macro_rules! coupon_columns {
    () => {
        "id, code, kind, value, currency, tlds, operations, first_year_only, starts_at, ends_at, \
         max_uses, max_uses_per_account, min_order, uses, created_by, created_at, disabled_at"
    };
}

impl Tx {
    /// Stores a new coupon; `false` when the code is taken.
    pub async fn insert_coupon(&mut self, row: &CouponRow) -> Result<bool, StoreError> {
        let sql = concat!(
            "INSERT INTO coupons (",
            coupon_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
             ON CONFLICT (code) DO NOTHING"
        );
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.code)
            .bind(&row.kind)
            .bind(row.value)
            .bind(&row.currency)
            .bind(&row.tlds)
            .bind(&row.operations)
            .bind(row.first_year_only)
            .bind(row.starts_at)
            .bind(row.ends_at)
            .bind(row.max_uses)
            .bind(row.max_uses_per_account)
            .bind(row.min_order)
            .bind(row.uses)
            .bind(&row.created_by)
            .bind(row.created_at)
            .bind(row.disabled_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// A coupon by its normalised code.
    pub async fn coupon_by_code(&mut self, code: &str) -> Result<Option<CouponRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            coupon_columns!(),
            " FROM coupons WHERE code = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, CouponRow>(sql)
            .bind(code)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// Coupons, newest first.
    pub async fn coupons(&mut self, limit: i64) -> Result<Vec<CouponRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            coupon_columns!(),
            " FROM coupons ORDER BY created_at DESC, id DESC LIMIT $1 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, CouponRow>(sql)
            .bind(limit.clamp(1, 1000))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Switches a coupon off; `false` when there is no such coupon.
    pub async fn disable_coupon(&mut self, id: &str, now: i64) -> Result<bool, StoreError> {
        let sql = "UPDATE coupons SET disabled_at = COALESCE(disabled_at, $2) WHERE id = $1";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// Takes one use of a coupon if any is left; `false` when its `max_uses` are spent. The
    /// row stays locked to the end of the transaction, which serialises redemptions.
    pub async fn take_coupon_use(&mut self, id: &str) -> Result<bool, StoreError> {
        let sql = "UPDATE coupons SET uses = uses + 1 \
                   WHERE id = $1 AND disabled_at IS NULL AND (max_uses IS NULL OR uses < max_uses)";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// Takes one of an account's uses of a coupon if fewer than `limit` were taken.
    pub async fn take_coupon_account_use(
        &mut self,
        coupon_id: &str,
        account_id: &str,
        limit: i64,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO coupon_account_uses (coupon_id, account_id, uses) VALUES ($1, $2, 1) \
                   ON CONFLICT (coupon_id, account_id) DO UPDATE SET uses = coupon_account_uses.uses + 1 \
                   WHERE coupon_account_uses.uses < $3";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(coupon_id)
            .bind(account_id)
            .bind(limit)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1 && limit >= 1)
    }

    /// Records a redemption.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_coupon_redemption(
        &mut self,
        id: &str,
        coupon_id: &str,
        account_id: &str,
        order_id: &str,
        discount: i64,
        currency: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO coupon_redemptions (id, coupon_id, account_id, order_id, discount, currency, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(coupon_id)
            .bind(account_id)
            .bind(order_id)
            .bind(discount)
            .bind(currency)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// A coupon's redemptions: (count, total discount).
    pub async fn coupon_redemption_totals(
        &mut self,
        coupon_id: &str,
    ) -> Result<(i64, i64), StoreError> {
        let sql = "SELECT COUNT(*), CAST(COALESCE(SUM(discount), 0) AS BIGINT) FROM coupon_redemptions WHERE coupon_id = $1";
        on_conn!(self, c => sqlx::query_as::<_, (i64, i64)>(sql)
            .bind(coupon_id)
            .fetch_one(c)
            .await
            .map_err(map_err))
    }
}
