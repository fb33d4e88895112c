//! Invoices and the orders they cover.

use crate::db::{StoreError, Tx, map_err};
use crate::ledger::OrderRow;

/// An invoice as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct InvoiceRow {
    /// Opaque id.
    pub id: String,
    /// The customer tenant.
    pub owner_id: String,
    /// Who asked for it.
    pub actor_id: String,
    /// `personal` or `company`.
    pub kind: String,
    /// The buyer's details, sealed JSON.
    pub details: Vec<u8>,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// `requested`, `issued`, `rejected`.
    pub status: String,
    /// The tax authority's invoice number, once issued.
    pub number: Option<String>,
    /// Why it was rejected.
    pub reason: Option<String>,
    /// Finance staff who decided.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<i64>,
    /// The PDF, sealed, once issued.
    pub pdf: Option<Vec<u8>>,
    /// When it was asked for.
    pub created_at: i64,
}

macro_rules! invoice_columns {
    () => {
        "id, owner_id, actor_id, kind, details, amount, currency, status, number, reason, \
         decided_by, decided_at, pdf, created_at"
    };
}

impl Tx {
    /// Stores a new invoice.
    pub async fn insert_invoice(&mut self, row: &InvoiceRow) -> Result<(), StoreError> {
        let sql = concat!(
            "INSERT INTO invoices (",
            invoice_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        );
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.owner_id)
            .bind(&row.actor_id)
            .bind(&row.kind)
            .bind(&row.details)
            .bind(row.amount)
            .bind(&row.currency)
            .bind(&row.status)
            .bind(&row.number)
            .bind(&row.reason)
            .bind(&row.decided_by)
            .bind(row.decided_at)
            .bind(&row.pdf)
            .bind(row.created_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// Puts an order on an invoice; `false` when it is on one already.
    pub async fn insert_invoice_item(
        &mut self,
        invoice_id: &str,
        order_id: &str,
        amount: i64,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO invoice_items (order_id, invoice_id, amount) VALUES ($1, $2, $3) \
                   ON CONFLICT (order_id) DO NOTHING";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(order_id)
            .bind(invoice_id)
            .bind(amount)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// An invoice by id.
    pub async fn invoice(&mut self, id: &str) -> Result<Option<InvoiceRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            invoice_columns!(),
            " FROM invoices WHERE id = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, InvoiceRow>(sql)
            .bind(id)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// A tenant's invoices, newest first.
    pub async fn invoices_of_owner(
        &mut self,
        owner_id: &str,
        limit: i64,
    ) -> Result<Vec<InvoiceRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            invoice_columns!(),
            " FROM invoices WHERE owner_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, InvoiceRow>(sql)
            .bind(owner_id)
            .bind(limit.clamp(1, 500))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Invoices in `status`, oldest first (finance's queue).
    pub async fn invoices_in_status(
        &mut self,
        status: &str,
        limit: i64,
    ) -> Result<Vec<InvoiceRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            invoice_columns!(),
            " FROM invoices WHERE status = $1 ORDER BY created_at, id LIMIT $2 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, InvoiceRow>(sql)
            .bind(status)
            .bind(limit.clamp(1, 500))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Issues a requested invoice; `false` when it was decided before.
    pub async fn issue_invoice(
        &mut self,
        id: &str,
        number: &str,
        pdf: &[u8],
        by: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE invoices SET status = 'issued', number = $2, pdf = $3, decided_by = $4, decided_at = $5 \
                   WHERE id = $1 AND status = 'requested'";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(number)
            .bind(pdf)
            .bind(by)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// Rejects a requested invoice and frees its orders; `false` when it was decided before.
    pub async fn reject_invoice(
        &mut self,
        id: &str,
        reason: &str,
        by: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE invoices SET status = 'rejected', reason = $2, decided_by = $3, decided_at = $4 \
                   WHERE id = $1 AND status = 'requested'";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(reason)
            .bind(by)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        if n == 1 {
            on_conn!(self, c => sqlx::query("DELETE FROM invoice_items WHERE invoice_id = $1")
                .bind(id)
                .execute(c)
                .await
                .map(|r| r.rows_affected())
                .map_err(map_err))?;
        }
        Ok(n == 1)
    }

    /// A tenant's completed top-up orders on no invoice, oldest first.
    pub async fn uninvoiced_topups(&mut self, owner_id: &str) -> Result<Vec<OrderRow>, StoreError> {
        let sql = "SELECT o.id, o.owner_id, o.actor_id, o.kind, o.domain_name, o.years, o.amount, o.currency, \
                   o.status, o.detail, o.created_at FROM orders o LEFT JOIN invoice_items i ON i.order_id = o.id \
                   WHERE o.owner_id = $1 AND o.kind = 'topup' AND o.status = 'completed' AND i.order_id IS NULL \
                   ORDER BY o.created_at, o.id";
        on_conn!(self, c => sqlx::query_as::<_, OrderRow>(sql)
            .bind(owner_id)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Whether an order is on an invoice (requested or issued).
    pub async fn order_invoiced(&mut self, order_id: &str) -> Result<bool, StoreError> {
        let sql = "SELECT COUNT(*) FROM invoice_items WHERE order_id = $1";
        let (n,): (i64,) = on_conn!(self, c => sqlx::query_as(sql)
            .bind(order_id)
            .fetch_one(c)
            .await
            .map_err(map_err))?;
        Ok(n > 0)
    }

    /// Records the top-up order a payment's credit was booked under.
    pub async fn set_payment_credit_order(
        &mut self,
        payment_id: &str,
        order_id: &str,
    ) -> Result<(), StoreError> {
        on_conn!(self, c => sqlx::query("UPDATE payments SET credit_order_id = $2 WHERE id = $1")
            .bind(payment_id)
            .bind(order_id)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// The top-up order a payment's credit was booked under.
    pub async fn payment_credit_order(
        &mut self,
        payment_id: &str,
    ) -> Result<Option<String>, StoreError> {
        let sql = "SELECT credit_order_id FROM payments WHERE id = $1";
        let row: Option<(Option<String>,)> = on_conn!(self, c => sqlx::query_as(sql)
            .bind(payment_id)
            .fetch_optional(c)
            .await
            .map_err(map_err))?;
        Ok(row.and_then(|(id,)| id))
    }
}
