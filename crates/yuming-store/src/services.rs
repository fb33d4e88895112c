//! Value-added service products; their purchases are orders of kind `service`.

use crate::db::{StoreError, Tx, map_err};
use crate::ledger::OrderRow;

/// A service product as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ServiceProductRow {
    /// Stable code, e.g. `filing-assist`.
    pub code: String,
    /// Name in Chinese.
    pub name_zh: String,
    /// Name in English.
    pub name_en: String,
    /// What the customer gets.
    pub description: String,
    /// Price per unit, minor units.
    pub price: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// 1: on sale.
    pub active: i64,
    /// Created.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

macro_rules! product_columns {
    () => {
        "code, name_zh, name_en, description, price, currency, active, created_at, updated_at"
    };
}

impl Tx {
    /// Creates or changes a product (its creation time stays).
    pub async fn upsert_service_product(
        &mut self,
        row: &ServiceProductRow,
    ) -> Result<(), StoreError> {
        let sql = concat!(
            "INSERT INTO service_products (",
            product_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (code) DO UPDATE SET \
             name_zh = excluded.name_zh, name_en = excluded.name_en, description = excluded.description, \
             price = excluded.price, currency = excluded.currency, active = excluded.active, \
             updated_at = excluded.updated_at"
        );
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.code)
            .bind(&row.name_zh)
            .bind(&row.name_en)
            .bind(&row.description)
            .bind(row.price)
            .bind(&row.currency)
            .bind(row.active)
            .bind(row.created_at)
            .bind(row.updated_at)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// One product.
    pub async fn service_product(
        &mut self,
        code: &str,
    ) -> Result<Option<ServiceProductRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            product_columns!(),
            " FROM service_products WHERE code = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, ServiceProductRow>(sql)
            .bind(code)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// Products, on sale only or all, by code.
    pub async fn service_products(
        &mut self,
        active_only: bool,
    ) -> Result<Vec<ServiceProductRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            product_columns!(),
            " FROM service_products WHERE ($1 = 0 OR active = 1) ORDER BY code"
        );
        on_conn!(self, c => sqlx::query_as::<_, ServiceProductRow>(sql)
            .bind(i64::from(active_only))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Orders of one kind across tenants, newest first (staff work lists).
    pub async fn orders_of_kind(
        &mut self,
        kind: &str,
        limit: i64,
    ) -> Result<Vec<OrderRow>, StoreError> {
        let sql = "SELECT id, owner_id, actor_id, kind, domain_name, years, amount, currency, status, detail, created_at \
                   FROM orders WHERE kind = $1 ORDER BY created_at DESC, id DESC LIMIT $2 + 0";
        on_conn!(self, c => sqlx::query_as::<_, OrderRow>(sql)
            .bind(kind)
            .bind(limit.clamp(1, 1000))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }
}
