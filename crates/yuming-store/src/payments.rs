//! Payments through gateways, their refunds, the callbacks received and the alerts raised,
//! and the built-in sandbox gateway's own trades.

use crate::db::{StoreError, Tx, map_err};

/// A payment as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PaymentRow {
    /// Opaque id; also the merchant's trade number sent to the gateway.
    pub id: String,
    /// The tenant whose balance it tops up.
    pub owner_id: String,
    /// Who started it.
    pub actor_id: String,
    /// The gateway: `sandbox`, `alipay`, `wechat`.
    pub method: String,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Minor units refunded so far.
    pub refunded: i64,
    /// `pending`, `paid`, `refunded`, `closed`, `failed`.
    pub status: String,
    /// The gateway's own trade number, once known.
    pub gateway_trade_no: Option<String>,
    /// Where the payer approves it (page payment).
    pub pay_url: Option<String>,
    /// What the payer scans (QR payment).
    pub qr_code: Option<String>,
    /// Why creating it failed.
    pub failure: Option<String>,
    /// Creation time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
    /// When the credit was booked.
    pub paid_at: Option<i64>,
    /// An unpaid payment is closed at the gateway after this.
    pub expires_at: i64,
}

/// A refund as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PaymentRefundRow {
    /// Opaque id; also the refund request number sent to the gateway.
    pub id: String,
    /// The payment refunded.
    pub payment_id: String,
    /// The payment's owner.
    pub owner_id: String,
    /// Who asked for it.
    pub actor_id: String,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Why.
    pub reason: String,
    /// `pending`, `succeeded`, `failed`.
    pub status: String,
    /// The gateway's refund number, once known.
    pub gateway_refund_no: Option<String>,
    /// Why the gateway refused it.
    pub failure: Option<String>,
    /// Creation time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

/// A gateway callback as received.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PaymentNotificationRow {
    /// Opaque id.
    pub id: String,
    /// The gateway named in the path.
    pub gateway: String,
    /// The headers that the gateway's signature covers, as a JSON object.
    pub headers: String,
    /// The raw body.
    pub body: Vec<u8>,
    /// The payment it concerned, once known.
    pub payment_id: Option<String>,
    /// `received`, then `credited`, `duplicate`, `refund`, `closed`, `ignored`, `forged`,
    /// `mismatch`.
    pub outcome: String,
    /// What processing found.
    pub detail: String,
    /// Receipt time.
    pub received_at: i64,
    /// Processing time.
    pub processed_at: Option<i64>,
}

/// Something finance must look at.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PaymentAlertRow {
    /// Opaque id.
    pub id: String,
    /// The gateway concerned.
    pub gateway: String,
    /// `forged_notify`, `amount_mismatch`, `unknown_payment`, `external_refund`,
    /// `reconciliation`, …
    pub kind: String,
    /// The payment concerned, if known.
    pub payment_id: Option<String>,
    /// What was found.
    pub detail: String,
    /// When.
    pub created_at: i64,
    /// When finance closed it.
    pub resolved_at: Option<i64>,
}

/// The sandbox gateway's side of a trade.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SandboxTradeRow {
    /// The sandbox's trade number.
    pub trade_no: String,
    /// The merchant's (our payment id).
    pub out_trade_no: String,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// Minor units refunded.
    pub refunded: i64,
    /// `open`, `paid`, `declined`, `closed`.
    pub status: String,
    /// Creation time.
    pub created_at: i64,
    /// Payment time.
    pub paid_at: Option<i64>,
}

macro_rules! payment_columns {
    () => {
        "id, owner_id, actor_id, method, amount, currency, refunded, status, gateway_trade_no, \
         pay_url, qr_code, failure, created_at, updated_at, paid_at, expires_at"
    };
}

macro_rules! refund_columns {
    () => {
        "id, payment_id, owner_id, actor_id, amount, currency, reason, status, \
         gateway_refund_no, failure, created_at, updated_at"
    };
}

impl Tx {
    /// Stores a new payment.
    pub async fn insert_payment(&mut self, row: &PaymentRow) -> Result<(), StoreError> {
        let sql = concat!(
            "INSERT INTO payments (",
            payment_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        );
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.owner_id)
            .bind(&row.actor_id)
            .bind(&row.method)
            .bind(row.amount)
            .bind(&row.currency)
            .bind(row.refunded)
            .bind(&row.status)
            .bind(&row.gateway_trade_no)
            .bind(&row.pay_url)
            .bind(&row.qr_code)
            .bind(&row.failure)
            .bind(row.created_at)
            .bind(row.updated_at)
            .bind(row.paid_at)
            .bind(row.expires_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// A payment by id.
    pub async fn payment(&mut self, id: &str) -> Result<Option<PaymentRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            payment_columns!(),
            " FROM payments WHERE id = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, PaymentRow>(sql)
            .bind(id)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// The latest payments of every customer (in `status` when given), newest first.
    pub async fn latest_payments(
        &mut self,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<PaymentRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            payment_columns!(),
            " FROM payments WHERE ($1 OR status = $2) ORDER BY created_at DESC, id DESC LIMIT $3 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, PaymentRow>(sql)
            .bind(status.is_none())
            .bind(status.unwrap_or(""))
            .bind(limit.clamp(1, 500))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// The latest refunds of every customer, newest first.
    pub async fn latest_refunds(
        &mut self,
        limit: i64,
    ) -> Result<Vec<PaymentRefundRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            refund_columns!(),
            " FROM payment_refunds ORDER BY created_at DESC, id DESC LIMIT $1 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, PaymentRefundRow>(sql)
            .bind(limit.clamp(1, 500))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// A tenant's payments, newest first, strictly after `(before_at, before_id)`.
    pub async fn payments_of_owner(
        &mut self,
        owner_id: &str,
        (before_at, before_id): (i64, &str),
        limit: i64,
    ) -> Result<Vec<PaymentRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            payment_columns!(),
            " FROM payments WHERE owner_id = $1 AND (created_at < $2 OR (created_at = $2 AND id < $3)) \
             ORDER BY created_at DESC, id DESC LIMIT $4 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, PaymentRow>(sql)
            .bind(owner_id)
            .bind(before_at)
            .bind(before_id)
            .bind(limit.clamp(1, 500))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Payments in `status` created before `created_before`, oldest first.
    pub async fn payments_in_status(
        &mut self,
        status: &str,
        created_before: i64,
        limit: i64,
    ) -> Result<Vec<PaymentRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            payment_columns!(),
            " FROM payments WHERE status = $1 AND created_at < $2 \
             ORDER BY created_at, id LIMIT $3 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, PaymentRow>(sql)
            .bind(status)
            .bind(created_before)
            .bind(limit.clamp(1, 1000))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Payments of `method` paid in `[from, to)`.
    pub async fn payments_paid_between(
        &mut self,
        method: &str,
        from: i64,
        to: i64,
    ) -> Result<Vec<PaymentRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            payment_columns!(),
            " FROM payments WHERE method = $1 AND paid_at >= $2 AND paid_at < $3 ORDER BY paid_at, id"
        );
        on_conn!(self, c => sqlx::query_as::<_, PaymentRow>(sql)
            .bind(method)
            .bind(from)
            .bind(to)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Records what the gateway answered to creating a payment.
    pub async fn set_payment_checkout(
        &mut self,
        id: &str,
        trade_no: Option<&str>,
        pay_url: Option<&str>,
        qr_code: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE payments SET gateway_trade_no = COALESCE($2, gateway_trade_no), pay_url = $3, \
                   qr_code = $4, updated_at = $5 WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(trade_no)
            .bind(pay_url)
            .bind(qr_code)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// Moves a payment from one of `from` (a comma-free list of up to two statuses) to `to`;
    /// `true` when this call moved it. Concurrent callers are serialised by the row, so
    /// exactly one of them sees `true`.
    pub async fn move_payment(
        &mut self,
        id: &str,
        from: [&str; 2],
        to: &str,
        failure: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE payments SET status = $4, failure = COALESCE($5, failure), updated_at = $6 \
                   WHERE id = $1 AND status IN ($2, $3)";
        let moved = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(from[0])
            .bind(from[1])
            .bind(to)
            .bind(failure)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(moved == 1)
    }

    /// Marks an unpaid (`pending`, `closed` or `failed`) payment paid; `true` when this call did, so
    /// that exactly one of several concurrent notifies books the credit.
    pub async fn mark_payment_paid(
        &mut self,
        id: &str,
        trade_no: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE payments SET status = 'paid', gateway_trade_no = $2, paid_at = $3, updated_at = $3 \
                   WHERE id = $1 AND status IN ('pending', 'closed', 'failed')";
        let moved = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(trade_no)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(moved == 1)
    }

    /// Adds `delta` to a paid payment's refunded amount, refusing to refund more than was
    /// paid; its status becomes `refunded` when all of it is. `true` when applied.
    pub async fn add_payment_refunded(
        &mut self,
        id: &str,
        delta: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE payments SET refunded = refunded + $2, \
                   status = CASE WHEN refunded + $2 = amount THEN 'refunded' ELSE 'paid' END, updated_at = $3 \
                   WHERE id = $1 AND status IN ('paid', 'refunded') AND refunded + $2 >= 0 AND refunded + $2 <= amount";
        let moved = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(delta)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(moved == 1)
    }

    /// Stores a new refund.
    pub async fn insert_payment_refund(
        &mut self,
        row: &PaymentRefundRow,
    ) -> Result<(), StoreError> {
        let sql = concat!(
            "INSERT INTO payment_refunds (",
            refund_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
        );
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.payment_id)
            .bind(&row.owner_id)
            .bind(&row.actor_id)
            .bind(row.amount)
            .bind(&row.currency)
            .bind(&row.reason)
            .bind(&row.status)
            .bind(&row.gateway_refund_no)
            .bind(&row.failure)
            .bind(row.created_at)
            .bind(row.updated_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// A refund by id.
    pub async fn payment_refund(
        &mut self,
        id: &str,
    ) -> Result<Option<PaymentRefundRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            refund_columns!(),
            " FROM payment_refunds WHERE id = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, PaymentRefundRow>(sql)
            .bind(id)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// A payment's refunds, oldest first.
    pub async fn refunds_of_payment(
        &mut self,
        payment_id: &str,
    ) -> Result<Vec<PaymentRefundRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            refund_columns!(),
            " FROM payment_refunds WHERE payment_id = $1 ORDER BY created_at, id"
        );
        on_conn!(self, c => sqlx::query_as::<_, PaymentRefundRow>(sql)
            .bind(payment_id)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Refunds still `pending` created before `created_before`, oldest first.
    pub async fn pending_refunds(
        &mut self,
        created_before: i64,
        limit: i64,
    ) -> Result<Vec<PaymentRefundRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            refund_columns!(),
            " FROM payment_refunds WHERE status = 'pending' AND created_at < $1 \
             ORDER BY created_at, id LIMIT $2 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, PaymentRefundRow>(sql)
            .bind(created_before)
            .bind(limit.clamp(1, 1000))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Settles a pending refund (`succeeded` or `failed`); `true` when this call did.
    pub async fn settle_payment_refund(
        &mut self,
        id: &str,
        status: &str,
        refund_no: Option<&str>,
        failure: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE payment_refunds SET status = $2, gateway_refund_no = COALESCE($3, gateway_refund_no), \
                   failure = $4, updated_at = $5 WHERE id = $1 AND status = 'pending'";
        let moved = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(status)
            .bind(refund_no)
            .bind(failure)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(moved == 1)
    }

    /// Stores a callback as received.
    pub async fn insert_payment_notification(
        &mut self,
        row: &PaymentNotificationRow,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO payment_notifications (id, gateway, headers, body, payment_id, outcome, detail, \
                   received_at, processed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.gateway)
            .bind(&row.headers)
            .bind(&row.body)
            .bind(&row.payment_id)
            .bind(&row.outcome)
            .bind(&row.detail)
            .bind(row.received_at)
            .bind(row.processed_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// Records what processing a callback found.
    pub async fn finish_payment_notification(
        &mut self,
        id: &str,
        payment_id: Option<&str>,
        outcome: &str,
        detail: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE payment_notifications SET payment_id = $2, outcome = $3, detail = $4, processed_at = $5 \
                   WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(payment_id)
            .bind(outcome)
            .bind(detail)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// Callbacks about one payment (or, with `None`, all), newest first.
    pub async fn payment_notifications(
        &mut self,
        payment_id: Option<&str>,
        limit: i64,
    ) -> Result<Vec<PaymentNotificationRow>, StoreError> {
        let sql = "SELECT id, gateway, headers, body, payment_id, outcome, detail, received_at, processed_at \
                   FROM payment_notifications WHERE ($1 IS NULL OR payment_id = $1) \
                   ORDER BY received_at DESC, id DESC LIMIT $2 + 0";
        on_conn!(self, c => sqlx::query_as::<_, PaymentNotificationRow>(sql)
            .bind(payment_id)
            .bind(limit.clamp(1, 1000))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// How many callbacks credited each payment (exactly one, or the ledger is wrong).
    pub async fn credits_per_payment(&mut self) -> Result<Vec<(String, i64)>, StoreError> {
        let sql = "SELECT payment_id, COUNT(*) FROM payment_notifications \
                   WHERE outcome = 'credited' AND payment_id IS NOT NULL GROUP BY payment_id";
        on_conn!(self, c => sqlx::query_as::<_, (String, i64)>(sql)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Callbacks received but never processed (a crash in between), oldest first.
    pub async fn unprocessed_payment_notifications(
        &mut self,
        received_before: i64,
        limit: i64,
    ) -> Result<Vec<PaymentNotificationRow>, StoreError> {
        let sql = "SELECT id, gateway, headers, body, payment_id, outcome, detail, received_at, processed_at \
                   FROM payment_notifications WHERE outcome = 'received' AND received_at < $1 \
                   ORDER BY received_at, id LIMIT $2 + 0";
        on_conn!(self, c => sqlx::query_as::<_, PaymentNotificationRow>(sql)
            .bind(received_before)
            .bind(limit.clamp(1, 1000))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Raises an alert.
    pub async fn insert_payment_alert(&mut self, row: &PaymentAlertRow) -> Result<(), StoreError> {
        let sql = "INSERT INTO payment_alerts (id, gateway, kind, payment_id, detail, created_at, resolved_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.gateway)
            .bind(&row.kind)
            .bind(&row.payment_id)
            .bind(&row.detail)
            .bind(row.created_at)
            .bind(row.resolved_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// Closes an open alert; `false` when there is no open alert of that id.
    pub async fn resolve_payment_alert(&mut self, id: &str, now: i64) -> Result<bool, StoreError> {
        let sql =
            "UPDATE payment_alerts SET resolved_at = $2 WHERE id = $1 AND resolved_at IS NULL";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// Alerts, newest first (open ones only unless `all`).
    pub async fn payment_alerts(
        &mut self,
        all: bool,
        limit: i64,
    ) -> Result<Vec<PaymentAlertRow>, StoreError> {
        let sql = "SELECT id, gateway, kind, payment_id, detail, created_at, resolved_at FROM payment_alerts \
                   WHERE ($1 OR resolved_at IS NULL) ORDER BY created_at DESC, id DESC LIMIT $2 + 0";
        on_conn!(self, c => sqlx::query_as::<_, PaymentAlertRow>(sql)
            .bind(all)
            .bind(limit.clamp(1, 1000))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Stores a sandbox trade.
    pub async fn insert_sandbox_trade(&mut self, row: &SandboxTradeRow) -> Result<(), StoreError> {
        let sql = "INSERT INTO sandbox_trades (trade_no, out_trade_no, amount, currency, refunded, status, \
                   created_at, paid_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.trade_no)
            .bind(&row.out_trade_no)
            .bind(row.amount)
            .bind(&row.currency)
            .bind(row.refunded)
            .bind(&row.status)
            .bind(row.created_at)
            .bind(row.paid_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// The sandbox trade of a merchant trade number.
    pub async fn sandbox_trade(
        &mut self,
        out_trade_no: &str,
    ) -> Result<Option<SandboxTradeRow>, StoreError> {
        let sql = "SELECT trade_no, out_trade_no, amount, currency, refunded, status, created_at, paid_at \
                   FROM sandbox_trades WHERE out_trade_no = $1";
        on_conn!(self, c => sqlx::query_as::<_, SandboxTradeRow>(sql)
            .bind(out_trade_no)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// Moves an `open` sandbox trade to `to` (`paid`, `declined`, `closed`); `true` when
    /// this call did.
    pub async fn decide_sandbox_trade(
        &mut self,
        out_trade_no: &str,
        to: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE sandbox_trades SET status = $2, \
                   paid_at = CASE WHEN $2 = 'paid' THEN $3 ELSE paid_at END \
                   WHERE out_trade_no = $1 AND status = 'open'";
        let moved = on_conn!(self, c => sqlx::query(sql)
            .bind(out_trade_no)
            .bind(to)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(moved == 1)
    }

    /// Refunds part of a paid sandbox trade; `true` when it covered the amount.
    pub async fn refund_sandbox_trade(
        &mut self,
        out_trade_no: &str,
        amount: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE sandbox_trades SET refunded = refunded + $2 \
                   WHERE out_trade_no = $1 AND status = 'paid' AND refunded + $2 <= amount";
        let moved = on_conn!(self, c => sqlx::query(sql)
            .bind(out_trade_no)
            .bind(amount)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(moved == 1)
    }

    /// Sandbox trades paid in `[from, to)`: the sandbox's daily bill.
    pub async fn sandbox_trades_paid_between(
        &mut self,
        from: i64,
        to: i64,
    ) -> Result<Vec<SandboxTradeRow>, StoreError> {
        let sql = "SELECT trade_no, out_trade_no, amount, currency, refunded, status, created_at, paid_at \
                   FROM sandbox_trades WHERE paid_at >= $1 AND paid_at < $2 ORDER BY paid_at, trade_no";
        on_conn!(self, c => sqlx::query_as::<_, SandboxTradeRow>(sql)
            .bind(from)
            .bind(to)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }
}
