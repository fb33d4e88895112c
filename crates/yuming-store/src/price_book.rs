//! Promotional prices, member price levels (and which account has which) and volume tiers.

use crate::db::{StoreError, Tx, map_err};

/// A promotional price as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PromotionRow {
    /// Opaque id.
    pub id: String,
    /// A-label TLD without the dot.
    pub tld: String,
    /// `register`, `renew` or `transfer`.
    pub operation: String,
    /// Price per year, minor units.
    pub price: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// 1: only the first year is at this price.
    pub first_year_only: i64,
    /// What customers read.
    pub label: String,
    /// Valid from.
    pub starts_at: Option<i64>,
    /// Valid until (exclusive).
    pub ends_at: Option<i64>,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: i64,
    /// When it was switched off.
    pub disabled_at: Option<i64>,
}

/// A member price level.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PriceLevelRow {
    /// Lower-case name, e.g. `reseller`.
    pub name: String,
    /// Discount in basis points.
    pub discount_bps: i64,
    /// What staff read.
    pub description: String,
    /// Last change.
    pub updated_at: i64,
}

macro_rules! promotion_columns {
    () => {
        "id, tld, operation, price, currency, first_year_only, label, starts_at, ends_at, \
         created_by, created_at, disabled_at"
    };
}

impl Tx {
    /// Stores a new promotional price.
    pub async fn insert_promotion(&mut self, row: &PromotionRow) -> Result<(), StoreError> {
        let sql = concat!(
            "INSERT INTO price_promotions (",
            promotion_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        );
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.tld)
            .bind(&row.operation)
            .bind(row.price)
            .bind(&row.currency)
            .bind(row.first_year_only)
            .bind(&row.label)
            .bind(row.starts_at)
            .bind(row.ends_at)
            .bind(&row.created_by)
            .bind(row.created_at)
            .bind(row.disabled_at)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// Promotions not switched off, newest first.
    pub async fn live_promotions(&mut self) -> Result<Vec<PromotionRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            promotion_columns!(),
            " FROM price_promotions WHERE disabled_at IS NULL ORDER BY created_at DESC, id DESC"
        );
        on_conn!(self, c => sqlx::query_as::<_, PromotionRow>(sql)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Every promotion, newest first.
    pub async fn promotions(&mut self, limit: i64) -> Result<Vec<PromotionRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            promotion_columns!(),
            " FROM price_promotions ORDER BY created_at DESC, id DESC LIMIT $1 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, PromotionRow>(sql)
            .bind(limit.clamp(1, 1000))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Switches a promotion off; `false` when there is none of that id.
    pub async fn disable_promotion(&mut self, id: &str, now: i64) -> Result<bool, StoreError> {
        let sql =
            "UPDATE price_promotions SET disabled_at = COALESCE(disabled_at, $2) WHERE id = $1";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// Creates or changes a price level.
    pub async fn upsert_price_level(&mut self, row: &PriceLevelRow) -> Result<(), StoreError> {
        let sql = "INSERT INTO price_levels (name, discount_bps, description, updated_at) \
                   VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO UPDATE SET \
                   discount_bps = excluded.discount_bps, description = excluded.description, \
                   updated_at = excluded.updated_at";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.name)
            .bind(row.discount_bps)
            .bind(&row.description)
            .bind(row.updated_at)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// Every price level, by name.
    pub async fn price_levels(&mut self) -> Result<Vec<PriceLevelRow>, StoreError> {
        let sql =
            "SELECT name, discount_bps, description, updated_at FROM price_levels ORDER BY name";
        on_conn!(self, c => sqlx::query_as::<_, PriceLevelRow>(sql)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Puts an account on a level (`None`: back to standard prices).
    pub async fn set_account_price_level(
        &mut self,
        account_id: &str,
        level: Option<&str>,
        set_by: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        match level {
            Some(level) => {
                let sql = "INSERT INTO account_price_levels (account_id, level, set_by, set_at) \
                           VALUES ($1, $2, $3, $4) ON CONFLICT (account_id) DO UPDATE SET \
                           level = excluded.level, set_by = excluded.set_by, set_at = excluded.set_at";
                on_conn!(self, c => sqlx::query(sql)
                    .bind(account_id)
                    .bind(level)
                    .bind(set_by)
                    .bind(now)
                    .execute(c)
                    .await
                    .map(|_| ())
                    .map_err(map_err))
            }
            None => {
                let sql = "DELETE FROM account_price_levels WHERE account_id = $1";
                on_conn!(self, c => sqlx::query(sql)
                    .bind(account_id)
                    .execute(c)
                    .await
                    .map(|_| ())
                    .map_err(map_err))
            }
        }
    }

    /// An account's price level and the live names it holds.
    pub async fn price_buyer(
        &mut self,
        account_id: &str,
    ) -> Result<(Option<String>, i64), StoreError> {
        let sql = "SELECT (SELECT level FROM account_price_levels WHERE account_id = $1), \
                   (SELECT COUNT(*) FROM domains WHERE owner_id = $1 AND purged_at IS NULL)";
        on_conn!(self, c => sqlx::query_as::<_, (Option<String>, i64)>(sql)
            .bind(account_id)
            .fetch_one(c)
            .await
            .map_err(map_err))
    }

    /// Replaces the volume tiers.
    pub async fn replace_volume_tiers(&mut self, tiers: &[(i64, i64)]) -> Result<(), StoreError> {
        on_conn!(self, c => sqlx::query("DELETE FROM volume_tiers")
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))?;
        for (min_names, bps) in tiers {
            on_conn!(self, c => sqlx::query("INSERT INTO volume_tiers (min_names, discount_bps) VALUES ($1, $2)")
                .bind(min_names)
                .bind(bps)
                .execute(c)
                .await
                .map(|_| ())
                .map_err(map_err))?;
        }
        Ok(())
    }

    /// The volume tiers, smallest first: (min_names, discount_bps).
    pub async fn volume_tiers(&mut self) -> Result<Vec<(i64, i64)>, StoreError> {
        let sql = "SELECT min_names, discount_bps FROM volume_tiers ORDER BY min_names";
        on_conn!(self, c => sqlx::query_as::<_, (i64, i64)>(sql)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }
}
