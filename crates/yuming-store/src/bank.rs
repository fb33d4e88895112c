//! Bank transfer requests and imported statement lines.

use crate::db::{StoreError, Tx, map_err};

/// A bank transfer request as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BankTransferRow {
    /// Opaque id.
    pub id: String,
    /// The customer tenant.
    pub owner_id: String,
    /// Who asked.
    pub actor_id: String,
    /// The reference for the memo.
    pub reference: String,
    /// What the customer said they would transfer, minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// What has come in so far, minor units.
    pub received: i64,
    /// `awaiting`, `partly_received`, `received`, `over_received`, `cancelled`.
    pub status: String,
    /// Created.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

/// An imported statement line.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BankStatementLineRow {
    /// Opaque id.
    pub id: String,
    /// The bank's transaction id.
    pub txn_id: String,
    /// Booking date as the bank wrote it.
    pub booked_on: String,
    /// Credit, minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// The payer's name and account, sealed.
    pub payer_sealed: Vec<u8>,
    /// The memo.
    pub memo: String,
    /// `matched`, `unmatched`, `assigned`.
    pub status: String,
    /// The transfer it matched.
    pub transfer_id: Option<String>,
    /// Whose balance it was credited to.
    pub owner_id: Option<String>,
    /// The ledger order of the credit.
    pub order_id: Option<String>,
    /// Who imported it.
    pub imported_by: String,
    /// When.
    pub imported_at: i64,
    /// Who assigned it by hand.
    pub settled_by: Option<String>,
    /// When it was credited.
    pub settled_at: Option<i64>,
}

macro_rules! transfer_columns {
    () => {
        "id, owner_id, actor_id, reference, amount, currency, received, status, created_at, updated_at"
    };
}

macro_rules! line_columns {
    () => {
        "id, txn_id, booked_on, amount, currency, payer_sealed, memo, status, transfer_id, owner_id, \
         order_id, imported_by, imported_at, settled_by, settled_at"
    };
}

impl Tx {
    /// Stores a transfer request; `false` when its reference is taken.
    pub async fn insert_bank_transfer(
        &mut self,
        row: &BankTransferRow,
    ) -> Result<bool, StoreError> {
        let sql = concat!(
            "INSERT INTO bank_transfers (",
            transfer_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (reference) DO NOTHING"
        );
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.owner_id)
            .bind(&row.actor_id)
            .bind(&row.reference)
            .bind(row.amount)
            .bind(&row.currency)
            .bind(row.received)
            .bind(&row.status)
            .bind(row.created_at)
            .bind(row.updated_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// One transfer request.
    pub async fn bank_transfer(&mut self, id: &str) -> Result<Option<BankTransferRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            transfer_columns!(),
            " FROM bank_transfers WHERE id = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, BankTransferRow>(sql)
            .bind(id)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// The transfer request of a reference.
    pub async fn bank_transfer_by_reference(
        &mut self,
        reference: &str,
    ) -> Result<Option<BankTransferRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            transfer_columns!(),
            " FROM bank_transfers WHERE reference = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, BankTransferRow>(sql)
            .bind(reference)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// A tenant's transfer requests, newest first.
    pub async fn bank_transfers_of(
        &mut self,
        owner_id: &str,
        limit: i64,
    ) -> Result<Vec<BankTransferRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            transfer_columns!(),
            " FROM bank_transfers WHERE owner_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, BankTransferRow>(sql)
            .bind(owner_id)
            .bind(limit.clamp(1, 500))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Adds money received to a transfer request and sets its status.
    pub async fn receive_bank_transfer(
        &mut self,
        id: &str,
        amount: i64,
        status: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE bank_transfers SET received = received + $2, status = $3, updated_at = $4 WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(amount)
            .bind(status)
            .bind(now)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// Stores an imported line; `false` when its transaction id was imported before.
    pub async fn insert_bank_statement_line(
        &mut self,
        row: &BankStatementLineRow,
    ) -> Result<bool, StoreError> {
        let sql = concat!(
            "INSERT INTO bank_statement_lines (",
            line_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) \
             ON CONFLICT (txn_id) DO NOTHING"
        );
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.txn_id)
            .bind(&row.booked_on)
            .bind(row.amount)
            .bind(&row.currency)
            .bind(&row.payer_sealed)
            .bind(&row.memo)
            .bind(&row.status)
            .bind(&row.transfer_id)
            .bind(&row.owner_id)
            .bind(&row.order_id)
            .bind(&row.imported_by)
            .bind(row.imported_at)
            .bind(&row.settled_by)
            .bind(row.settled_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// One statement line.
    pub async fn bank_statement_line(
        &mut self,
        id: &str,
    ) -> Result<Option<BankStatementLineRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            line_columns!(),
            " FROM bank_statement_lines WHERE id = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, BankStatementLineRow>(sql)
            .bind(id)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// Statement lines of a status (any when `None`), newest first.
    pub async fn bank_statement_lines(
        &mut self,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<BankStatementLineRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            line_columns!(),
            " FROM bank_statement_lines WHERE ($1 IS NULL OR status = $1) \
             ORDER BY imported_at DESC, id DESC LIMIT $2 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, BankStatementLineRow>(sql)
            .bind(status)
            .bind(limit.clamp(1, 1000))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Credits an unmatched line to `owner_id` by hand; `false` when it is not unmatched.
    pub async fn assign_bank_statement_line(
        &mut self,
        id: &str,
        owner_id: &str,
        order_id: &str,
        settled_by: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE bank_statement_lines SET status = 'assigned', owner_id = $2, order_id = $3, \
                   settled_by = $4, settled_at = $5 WHERE id = $1 AND status = 'unmatched'";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(owner_id)
            .bind(order_id)
            .bind(settled_by)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }
}
