//! Checkout orders paid through a gateway, the names they hold and the payments made for
//! them.

use crate::db::{StoreError, Tx, map_err};

/// A checkout order as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CheckoutOrderRow {
    /// Opaque id.
    pub id: String,
    /// The customer tenant.
    pub owner_id: String,
    /// Who placed it.
    pub actor_id: String,
    /// `awaiting_payment`, `paid`, `fulfilling`, `fulfilled`, `partly_fulfilled`, `expired`.
    pub status: String,
    /// What is due, minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// The items, JSON (names, terms, agreed prices, coupon uses, results).
    pub items: String,
    /// Placed.
    pub created_at: i64,
    /// Released unless paid by then.
    pub expires_at: i64,
    /// Paid.
    pub paid_at: Option<i64>,
    /// The payment that paid it.
    pub payment_id: Option<String>,
    /// When fulfilment was last claimed.
    pub claimed_at: Option<i64>,
    /// Fulfilled or expired.
    pub finished_at: Option<i64>,
    /// Last change.
    pub updated_at: i64,
}

macro_rules! checkout_columns {
    () => {
        "id, owner_id, actor_id, status, amount, currency, items, created_at, expires_at, \
         paid_at, payment_id, claimed_at, finished_at, updated_at"
    };
}

impl Tx {
    /// Stores a new checkout order.
    pub async fn insert_checkout_order(
        &mut self,
        row: &CheckoutOrderRow,
    ) -> Result<(), StoreError> {
        let sql = concat!(
            "INSERT INTO checkout_orders (",
            checkout_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        );
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.owner_id)
            .bind(&row.actor_id)
            .bind(&row.status)
            .bind(row.amount)
            .bind(&row.currency)
            .bind(&row.items)
            .bind(row.created_at)
            .bind(row.expires_at)
            .bind(row.paid_at)
            .bind(&row.payment_id)
            .bind(row.claimed_at)
            .bind(row.finished_at)
            .bind(row.updated_at)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// One checkout order.
    pub async fn checkout_order(
        &mut self,
        id: &str,
    ) -> Result<Option<CheckoutOrderRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            checkout_columns!(),
            " FROM checkout_orders WHERE id = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, CheckoutOrderRow>(sql)
            .bind(id)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// A tenant's checkout orders, newest first.
    pub async fn checkout_orders_of(
        &mut self,
        owner_id: &str,
        limit: i64,
    ) -> Result<Vec<CheckoutOrderRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            checkout_columns!(),
            " FROM checkout_orders WHERE owner_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, CheckoutOrderRow>(sql)
            .bind(owner_id)
            .bind(limit.clamp(1, 500))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Holds `name` for an order until `expires_at`, taking over a lapsed hold; `false` when
    /// another live order holds it.
    pub async fn hold_name(
        &mut self,
        name: &str,
        order_id: &str,
        owner_id: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO order_holds (name, order_id, owner_id, expires_at) VALUES ($1, $2, $3, $4) \
                   ON CONFLICT (name) DO UPDATE SET order_id = excluded.order_id, \
                   owner_id = excluded.owner_id, expires_at = excluded.expires_at \
                   WHERE order_holds.expires_at <= $5";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(name)
            .bind(order_id)
            .bind(owner_id)
            .bind(expires_at)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// The tenant whose live order holds `name` at `now`, if any.
    pub async fn name_held_for(
        &mut self,
        name: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        let sql = "SELECT owner_id FROM order_holds WHERE name = $1 AND expires_at > $2";
        on_conn!(self, c => sqlx::query_scalar::<_, String>(sql)
            .bind(name)
            .bind(now)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// Releases the names an order holds.
    pub async fn release_order_holds(&mut self, order_id: &str) -> Result<(), StoreError> {
        on_conn!(self, c => sqlx::query("DELETE FROM order_holds WHERE order_id = $1")
            .bind(order_id)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// Records that a payment is for a checkout order.
    pub async fn link_checkout_payment(
        &mut self,
        payment_id: &str,
        order_id: &str,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO checkout_payments (payment_id, order_id) VALUES ($1, $2)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(payment_id)
            .bind(order_id)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// The checkout order a payment is for.
    pub async fn checkout_order_of_payment(
        &mut self,
        payment_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let sql = "SELECT order_id FROM checkout_payments WHERE payment_id = $1";
        on_conn!(self, c => sqlx::query_scalar::<_, String>(sql)
            .bind(payment_id)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// Moves an order from one status to another; `false` when it was not in `from`.
    pub async fn move_checkout_order(
        &mut self,
        id: &str,
        from: &str,
        to: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE checkout_orders SET status = $3, updated_at = $4, \
                   finished_at = CASE WHEN $3 IN ('fulfilled', 'partly_fulfilled', 'expired') THEN $4 ELSE finished_at END \
                   WHERE id = $1 AND status = $2";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(from)
            .bind(to)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// Marks an order awaiting payment as paid by `payment_id`; `false` when it was not
    /// awaiting payment (paid already, or expired).
    pub async fn mark_checkout_paid(
        &mut self,
        id: &str,
        payment_id: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE checkout_orders SET status = 'paid', payment_id = $2, paid_at = $3, updated_at = $3 \
                   WHERE id = $1 AND status = 'awaiting_payment'";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(payment_id)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// Claims a paid order for fulfilment (or one whose earlier claim is older than
    /// `stale_before`, after a crash); `false` when another runner has it.
    pub async fn claim_checkout_order(
        &mut self,
        id: &str,
        now: i64,
        stale_before: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE checkout_orders SET status = 'fulfilling', claimed_at = $2, updated_at = $2 \
                   WHERE id = $1 AND (status = 'paid' OR (status = 'fulfilling' AND claimed_at < $3))";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(now)
            .bind(stale_before)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// Stores an order's items (with their results so far).
    pub async fn set_checkout_items(
        &mut self,
        id: &str,
        items: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE checkout_orders SET items = $2, updated_at = $3 WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(items)
            .bind(now)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// Orders to fulfil (paid, or stuck fulfilling since before `stale_before`).
    pub async fn checkout_orders_to_fulfil(
        &mut self,
        stale_before: i64,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        let sql = "SELECT id FROM checkout_orders WHERE status = 'paid' \
                   OR (status = 'fulfilling' AND claimed_at < $1) ORDER BY created_at LIMIT $2 + 0";
        on_conn!(self, c => sqlx::query_scalar::<_, String>(sql)
            .bind(stale_before)
            .bind(limit.clamp(1, 1000))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Unpaid orders past their expiry.
    pub async fn lapsed_checkout_orders(
        &mut self,
        now: i64,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        let sql = "SELECT id FROM checkout_orders WHERE status = 'awaiting_payment' AND expires_at <= $1 \
                   ORDER BY expires_at LIMIT $2 + 0";
        on_conn!(self, c => sqlx::query_scalar::<_, String>(sql)
            .bind(now)
            .bind(limit.clamp(1, 1000))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Gives back one use of a coupon taken by an order that lapsed.
    pub async fn give_back_coupon_use(
        &mut self,
        coupon_id: &str,
        account_id: &str,
        order_id: &str,
    ) -> Result<(), StoreError> {
        on_conn!(self, c => sqlx::query("UPDATE coupons SET uses = uses - 1 WHERE id = $1 AND uses > 0")
            .bind(coupon_id)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))?;
        on_conn!(self, c => sqlx::query("UPDATE coupon_account_uses SET uses = uses - 1 WHERE coupon_id = $1 AND account_id = $2 AND uses > 0")
            .bind(coupon_id)
            .bind(account_id)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))?;
        on_conn!(self, c => sqlx::query("DELETE FROM coupon_redemptions WHERE coupon_id = $1 AND order_id = $2")
            .bind(coupon_id)
            .bind(order_id)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }
}
