//! Orders, customer balances and double-entry ledger postings.

use crate::db::{StoreError, Tx, map_err};

/// An order as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OrderRow {
    /// Opaque id.
    pub id: String,
    /// Owning tenant.
    pub owner_id: String,
    /// Who placed it.
    pub actor_id: String,
    /// `register`, `renew`, `topup`, …
    pub kind: String,
    /// The domain concerned (A-label).
    pub domain_name: Option<String>,
    /// Years bought.
    pub years: Option<i64>,
    /// Amount in minor units (positive: charged to the customer; top-ups: credited).
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// `completed` (orders are written in the transaction that completes them).
    pub status: String,
    /// JSON detail.
    pub detail: String,
    /// Creation time.
    pub created_at: i64,
}

/// One ledger posting as stored: amount > 0 debits, < 0 credits.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LedgerEntryRow {
    /// Opaque id.
    pub id: String,
    /// The balanced transaction it belongs to.
    pub transaction_id: String,
    /// Account name, e.g. `customer_balance`, `revenue`, `cash`.
    pub account: String,
    /// The customer, for customer accounts.
    pub holder_id: Option<String>,
    /// Signed amount in minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// The order it pays for.
    pub order_id: Option<String>,
    /// Free text.
    pub memo: String,
    /// Time.
    pub created_at: i64,
}

/// A customer balance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub struct BalanceRow {
    /// Balance in minor units (credit-normal: what the customer may spend).
    pub balance: i64,
    /// How far below zero the balance may go.
    pub credit_limit: i64,
}

impl Tx {
    /// Stores an order.
    pub async fn insert_order(&mut self, order: &OrderRow) -> Result<(), StoreError> {
        let sql = "INSERT INTO orders (id, owner_id, actor_id, kind, domain_name, years, amount, currency, status, \
                   detail, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&order.id)
            .bind(&order.owner_id)
            .bind(&order.actor_id)
            .bind(&order.kind)
            .bind(&order.domain_name)
            .bind(order.years)
            .bind(order.amount)
            .bind(&order.currency)
            .bind(&order.status)
            .bind(&order.detail)
            .bind(order.created_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// A tenant's orders, newest first by `(created_at, id)`, strictly after the row
    /// `(before_at, before_id)` in that order (`(i64::MAX, "")` for the first page).
    pub async fn orders_of_owner(
        &mut self,
        owner_id: &str,
        (before_at, before_id): (i64, &str),
        limit: i64,
    ) -> Result<Vec<OrderRow>, StoreError> {
        let sql = "SELECT id, owner_id, actor_id, kind, domain_name, years, amount, currency, status, detail, created_at \
                   FROM orders WHERE owner_id = $1 AND (created_at < $2 OR (created_at = $2 AND id < $3)) \
                   ORDER BY created_at DESC, id DESC LIMIT $4 + 0";
        on_conn!(self, c => sqlx::query_as::<_, OrderRow>(sql)
            .bind(owner_id)
            .bind(before_at)
            .bind(before_id)
            .bind(limit.clamp(1, 500))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// An order by id.
    pub async fn order(&mut self, id: &str) -> Result<Option<OrderRow>, StoreError> {
        let sql = "SELECT id, owner_id, actor_id, kind, domain_name, years, amount, currency, status, detail, created_at \
                   FROM orders WHERE id = $1";
        on_conn!(self, c => sqlx::query_as::<_, OrderRow>(sql)
            .bind(id)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// Changes a customer balance by `delta` (negative: spending), refusing to take it below
    /// `-credit_limit`. Returns the new balance, or `None` when the balance does not cover
    /// the debit. The check and the change are one statement, so concurrent debits cannot
    /// overdraw.
    pub async fn change_balance(
        &mut self,
        holder_id: &str,
        currency: &str,
        delta: i64,
        now: i64,
    ) -> Result<Option<i64>, StoreError> {
        // A debit needs no row of its own: without one the balance is 0 with no credit limit,
        // and the conditional update below refuses it. Only credits create the row.
        if delta >= 0 {
            let ensure = "INSERT INTO balances (holder_id, currency, balance, credit_limit, updated_at) \
                          VALUES ($1, $2, 0, 0, $3) ON CONFLICT (holder_id, currency) DO NOTHING";
            on_conn!(self, c => sqlx::query(ensure)
            .bind(holder_id)
            .bind(currency)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        }
        let update = "UPDATE balances SET balance = balance + $3, updated_at = $4 \
                      WHERE holder_id = $1 AND currency = $2 AND ($3 >= 0 OR balance + $3 >= -credit_limit) \
                      RETURNING balance";
        on_conn!(self, c => sqlx::query_scalar::<_, i64>(update)
            .bind(holder_id)
            .bind(currency)
            .bind(delta)
            .bind(now)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// The latest order of `kind` for a domain.
    pub async fn latest_order_for_domain(
        &mut self,
        domain_name: &str,
        kind: &str,
    ) -> Result<Option<OrderRow>, StoreError> {
        let sql = "SELECT id, owner_id, actor_id, kind, domain_name, years, amount, currency, status, detail, created_at \
                   FROM orders WHERE domain_name = $1 AND kind = $2 ORDER BY created_at DESC, id DESC LIMIT 1";
        on_conn!(self, c => sqlx::query_as::<_, OrderRow>(sql).bind(domain_name).bind(kind).fetch_optional(c).await.map_err(map_err))
    }

    /// Sets how far below zero a customer's balance may go.
    pub async fn set_credit_limit(
        &mut self,
        holder_id: &str,
        currency: &str,
        limit: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO balances (holder_id, currency, balance, credit_limit, updated_at) VALUES ($1, $2, 0, $3, $4) \
                   ON CONFLICT (holder_id, currency) DO UPDATE SET credit_limit = excluded.credit_limit, updated_at = excluded.updated_at";
        on_conn!(self, c => sqlx::query(sql)
            .bind(holder_id)
            .bind(currency)
            .bind(limit)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// A customer's balance (zero when there never was one).
    pub async fn balance(
        &mut self,
        holder_id: &str,
        currency: &str,
    ) -> Result<BalanceRow, StoreError> {
        let sql =
            "SELECT balance, credit_limit FROM balances WHERE holder_id = $1 AND currency = $2";
        let row = on_conn!(self, c => sqlx::query_as::<_, BalanceRow>(sql)
            .bind(holder_id)
            .bind(currency)
            .fetch_optional(c)
            .await
            .map_err(map_err))?;
        Ok(row.unwrap_or(BalanceRow {
            balance: 0,
            credit_limit: 0,
        }))
    }

    /// Appends postings in one statement.
    pub async fn insert_ledger_entries(
        &mut self,
        entries: &[LedgerEntryRow],
    ) -> Result<(), StoreError> {
        if entries.is_empty() {
            return Ok(());
        }
        let tuples: Vec<String> = (0..entries.len())
            .map(|i| {
                let n = i * 9;
                format!(
                    "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${})",
                    n + 1,
                    n + 2,
                    n + 3,
                    n + 4,
                    n + 5,
                    n + 6,
                    n + 7,
                    n + 8,
                    n + 9
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO ledger_entries (id, transaction_id, account, holder_id, amount, currency, order_id, memo, \
             created_at) VALUES {}",
            tuples.join(", ")
        );
        on_conn!(self, c => {
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
            for entry in entries {
                query = query
                    .bind(&entry.id)
                    .bind(&entry.transaction_id)
                    .bind(&entry.account)
                    .bind(&entry.holder_id)
                    .bind(entry.amount)
                    .bind(&entry.currency)
                    .bind(&entry.order_id)
                    .bind(&entry.memo)
                    .bind(entry.created_at);
            }
            query.execute(c).await.map(|r| r.rows_affected()).map_err(map_err)
        })?;
        Ok(())
    }

    /// A customer's postings, newest first by `(created_at, id)`, strictly after the row
    /// `(before_at, before_id)` in that order (`(i64::MAX, "")` for the first page).
    pub async fn ledger_of_holder(
        &mut self,
        holder_id: &str,
        (before_at, before_id): (i64, &str),
        limit: i64,
    ) -> Result<Vec<LedgerEntryRow>, StoreError> {
        let sql = "SELECT id, transaction_id, account, holder_id, amount, currency, order_id, memo, created_at \
                   FROM ledger_entries WHERE holder_id = $1 AND (created_at < $2 OR (created_at = $2 AND id < $3)) \
                   ORDER BY created_at DESC, id DESC LIMIT $4 + 0";
        on_conn!(self, c => sqlx::query_as::<_, LedgerEntryRow>(sql)
            .bind(holder_id)
            .bind(before_at)
            .bind(before_id)
            .bind(limit.clamp(1, 500))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// The postings booked for one order (audits and tests of where money went).
    pub async fn ledger_entries_of_order(
        &mut self,
        order_id: &str,
    ) -> Result<Vec<LedgerEntryRow>, StoreError> {
        let sql = "SELECT id, transaction_id, account, holder_id, amount, currency, order_id, memo, created_at                    FROM ledger_entries WHERE order_id = $1 ORDER BY id";
        on_conn!(self, c => sqlx::query_as::<_, LedgerEntryRow>(sql)
            .bind(order_id)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// The sum of all postings per currency; zero for a consistent ledger.
    pub async fn ledger_sums(&mut self) -> Result<Vec<(String, i64)>, StoreError> {
        let sql = "SELECT currency, CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM ledger_entries GROUP BY currency ORDER BY currency";
        on_conn!(self, c => sqlx::query_as::<_, (String, i64)>(sql).fetch_all(c).await.map_err(map_err))
    }

    /// A customer's balance recomputed from the postings (credit-normal), to check the
    /// running total.
    pub async fn ledger_balance_of_holder(
        &mut self,
        holder_id: &str,
        currency: &str,
    ) -> Result<i64, StoreError> {
        let sql = "SELECT CAST(COALESCE(-SUM(amount), 0) AS BIGINT) FROM ledger_entries \
                   WHERE holder_id = $1 AND currency = $2 AND account = 'customer_balance'";
        on_conn!(self, c => sqlx::query_scalar::<_, i64>(sql).bind(holder_id).bind(currency).fetch_one(c).await.map_err(map_err))
    }
}

impl Tx {
    /// How many top-ups a holder has had: a low-balance episode is identified by the top-up
    /// it follows, so one notice is sent per drop below the threshold.
    pub async fn topup_count(&mut self, owner_id: &str) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM orders WHERE owner_id = $1 AND kind = 'topup'";
        let (n,): (i64,) = on_conn!(self, c => sqlx::query_as(sql).bind(owner_id).fetch_one(c).await.map_err(map_err))?;
        Ok(n)
    }
}

impl Tx {
    /// Sets an order's status (`pending` → `completed` or `failed`, for orders that settle
    /// after a gateway answers).
    pub async fn set_order_status(&mut self, id: &str, status: &str) -> Result<(), StoreError> {
        let sql = "UPDATE orders SET status = $2 WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(status)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }
}

/// Completed orders of one day, TLD, kind and currency, summed (the revenue report).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RevenueRow {
    /// Days since 1970-01-01 in China Standard Time (UTC+8), the day finance counts in.
    pub day: i64,
    /// The TLD of the order's domain (A-label), empty for orders without one.
    pub tld: String,
    /// The order's kind (`register`, `renew`, `refund`…).
    pub kind: String,
    /// ISO 4217 code.
    pub currency: String,
    /// How many orders.
    pub orders: i64,
    /// Their amounts summed, in minor units.
    pub amount: i64,
}

/// The grouping of [`Tx::revenue_by_day`]; only the TLD's extraction differs per backend.
macro_rules! revenue_sql {
    ($tld:literal) => {
        concat!(
            "SELECT (created_at + 28800) / 86400 AS day, ",
            $tld,
            " AS tld, kind, currency, COUNT(*) AS orders, CAST(SUM(amount) AS BIGINT) AS amount \
             FROM orders WHERE status = 'completed' AND kind NOT IN ('topup', 'payment_refund', 'debit') \
             AND created_at >= $1 AND created_at < $2 \
             GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4 LIMIT $3 + 0"
        )
    };
}

impl Tx {
    /// Completed orders with `from <= created_at < to`, other than top-ups, their refunds and manual debits
    /// (money held, not earned), summed per day (UTC+8), TLD, kind and currency; at most
    /// `limit` groups.
    pub async fn revenue_by_day(
        &mut self,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<RevenueRow>, StoreError> {
        per_backend!(self,
            sqlite: c => sqlx::query_as::<_, RevenueRow>(revenue_sql!(
                "COALESCE(SUBSTR(domain_name, INSTR(domain_name, '.') + 1), '')"
            ))
            .bind(from)
            .bind(to)
            .bind(limit)
            .fetch_all(c)
            .await
            .map_err(map_err),
            postgres: c => sqlx::query_as::<_, RevenueRow>(revenue_sql!(
                "COALESCE(SUBSTR(domain_name, STRPOS(domain_name, '.') + 1), '')"
            ))
            .bind(from)
            .bind(to)
            .bind(limit)
            .fetch_all(c)
            .await
            .map_err(map_err),
        )
    }
}
