//! Paying into the balance through a gateway: create a payment, take the gateway's signed
//! notify (stored first, then verified and applied exactly once), refund to the original
//! method, settle what notifies left open by querying, and reconcile the gateway's daily
//! bill with the ledger.
//!
//! The one rule of money here: the credit is booked in the same transaction that moves the
//! payment out of `pending` with a conditional update, so however many notifies and query
//! results race, one of them credits and the others find nothing left to do.

use std::sync::Arc;

use serde_json::json;
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::money::{self, Currency, HolderId, Money};
use yuming_store::{OrderRow, Tx};
pub use yuming_store::{PaymentAlertRow, PaymentNotificationRow, PaymentRefundRow, PaymentRow};

use super::gateways::{
    CheckoutRequest, GatewayError, GatewayEvent, Notify, NotifyAnswer, PaymentGateway,
    RefundRequest, RefundState, TradeState,
};
use super::{BillingError, MAX_TOP_UP_MINOR, book, credit_received, top_up_received};
use crate::platform::audit::{self, Change};
use crate::platform::crypto::new_id;
use crate::platform::paging::{Page, PageCursor, next_cursor};
use crate::{App, AppError, RequestContext};

/// How long a payment may stay unpaid before it is closed at the gateway.
pub const PAYMENT_TTL_SECS: i64 = 2 * 3600;

/// How long after creation the settling job first asks the gateway about a payment (a
/// notify normally arrives well before).
pub const QUERY_AFTER_SECS: i64 = 5 * 60;

/// The longest refund reason.
pub const MAX_REASON_CHARS: usize = 80;

/// Notify headers worth keeping (what the gateways sign or identify themselves with).
const KEPT_HEADERS: [&str; 7] = [
    "content-type",
    "wechatpay-timestamp",
    "wechatpay-nonce",
    "wechatpay-signature",
    "wechatpay-serial",
    super::gateways::sandbox::TIMESTAMP_HEADER,
    super::gateways::sandbox::SIGNATURE_HEADER,
];

crate::platform::error::error_enum! {
    /// What the payment use cases refuse.
    pub enum PaymentError {
        /// No gateway of that name is configured.
        UnknownMethod = BadRequest("UNKNOWN_PAYMENT_METHOD", field = "method") => (
            "this payment method is not available",
            "不支持该支付方式",
        ),
        /// The gateways take CNY only.
        UnsupportedCurrency = BadRequest("UNSUPPORTED_CURRENCY", field = "amount.currency") => (
            "payments are made in CNY",
            "仅支持人民币支付",
        ),
        /// The gateway refused to create the trade.
        GatewayRefused { why: String } = Unavailable("PAYMENT_GATEWAY_REFUSED") => (
            format!("the payment gateway refused the payment: {why}"),
            format!("支付渠道拒绝了本次支付：{why}"),
        ),
        /// The gateway did not answer; the payment stays pending and is settled later.
        GatewayUnavailable { payment_id: String } = Unavailable("PAYMENT_GATEWAY_UNAVAILABLE") => (
            format!("the payment gateway did not answer; payment {payment_id} stays pending and is checked again shortly"),
            format!("支付渠道暂无响应；支付单 {payment_id} 保持待支付，稍后自动核实"),
        ),
        /// A refund of a payment that is not paid (or fully refunded).
        NotRefundable = Conflict("PAYMENT_NOT_REFUNDABLE") => (
            "only a paid payment with an amount left to refund can be refunded",
            "只有已支付且尚有可退金额的支付单可以退款",
        ),
        /// A refund larger than what is left of the payment.
        RefundTooLarge { left: Money } = BadRequest("REFUND_EXCEEDS_PAYMENT", field = "amount") => (
            format!("at most {left} of this payment can be refunded"),
            format!("本支付单最多可退 {left}"),
        ),
        /// The balance no longer holds the money (it was spent).
        RefundExceedsBalance { amount: Money } = PaymentRequired("REFUND_EXCEEDS_BALANCE") => (
            format!("the balance does not hold {amount} to refund"),
            format!("余额不足 {amount}，无法退款"),
        ),
        /// The gateway's bill could not be fetched or read.
        BillUnavailable { why: String } = Unavailable("PAYMENT_BILL_UNAVAILABLE") => (
            format!("the gateway's bill is not available: {why}"),
            format!("无法获取支付渠道对账单：{why}"),
        ),
        /// No checkout order of that id in the caller's account.
        UnknownOrder = BadRequest("UNKNOWN_ORDER", field = "order_id") => (
            "no such order",
            "订单不存在",
        ),
        /// The order is paid, fulfilled or expired.
        OrderNotPayable = Conflict("ORDER_NOT_PAYABLE", field = "order_id") => (
            "this order is no longer awaiting payment",
            "该订单已不在待支付状态",
        ),
        /// The amount is not what the order is due.
        OrderAmount { due: Money } = BadRequest("ORDER_AMOUNT_MISMATCH", field = "amount") => (
            format!("this order is due {due}"),
            format!("该订单应付 {due}"),
        ),
        /// The payment's money is on an invoice: the invoice must be voided first.
        Invoiced = Conflict("PAYMENT_INVOICED") => (
            "this payment has been invoiced; ask finance to void the invoice before a refund",
            "该笔支付已开具发票，退款前请联系财务作废发票",
        ),
        /// A reason that is too long or has control characters.
        InvalidReason = BadRequest("INVALID_REASON", field = "reason") => (
            format!("the reason must have at most {MAX_REASON_CHARS} printable characters"),
            format!("原因最多 {MAX_REASON_CHARS} 个可打印字符"),
        ),
    }
}

/// The methods customers can choose, in the order configured.
pub fn methods(app: &App) -> Vec<&'static str> {
    app.payment_gateways().iter().map(|g| g.name()).collect()
}

fn gateway(app: &App, name: &str) -> Result<Arc<dyn PaymentGateway>, AppError> {
    app.payment_gateways()
        .into_iter()
        .find(|g| g.name() == name)
        .ok_or_else(|| PaymentError::UnknownMethod.into())
}

fn notify_url(app: &App, gateway: &str) -> String {
    format!(
        "{}/api/v1/payments/notify/{gateway}",
        app.settings().public_url.trim_end_matches('/')
    )
}

/// A new payment id: short enough for every gateway's merchant trade number (WeChat Pay
/// allows 32 characters) and unguessable.
fn new_payment_id() -> String {
    let mut id = new_id("pay");
    id.truncate(32);
    id
}

/// The amount of a stored payment or refund.
pub fn stored_money(amount: i64, currency: &str) -> Result<Money, AppError> {
    Currency::parse(currency)
        .map(|c| Money::new(amount, c))
        .map_err(|_| AppError::internal(format!("stored currency {currency}")))
}

/// Starts a top-up of `amount` through `method`: the payment is stored pending, then the
/// gateway creates the trade and says where the payer pays.
pub async fn create(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    amount: Money,
    method: &str,
) -> Result<PaymentRow, AppError> {
    create_for(app, ctx, actor, amount, method, None).await
}

/// [`create`], optionally paying a checkout order awaiting payment: `amount` must be what
/// the order is due, and the payment lapses with the order. The money is credited to the
/// balance like any top-up and the order is then fulfilled from it.
pub async fn create_for(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    amount: Money,
    method: &str,
    order_id: Option<&str>,
) -> Result<PaymentRow, AppError> {
    actor.require(Right::BillingPay)?;
    let gateway = gateway(app, method)?;
    if amount.currency() != Currency::Cny {
        return Err(PaymentError::UnsupportedCurrency.into());
    }
    if amount.minor() <= 0 || amount.minor() > MAX_TOP_UP_MINOR {
        return Err(BillingError::InvalidCredit.into());
    }
    let now = app.now();
    let row = PaymentRow {
        id: new_payment_id(),
        owner_id: actor.tenant_id.clone(),
        actor_id: actor.account_id.clone(),
        method: gateway.name().to_owned(),
        amount: amount.minor(),
        currency: amount.currency().code().to_owned(),
        refunded: 0,
        status: "pending".into(),
        gateway_trade_no: None,
        pay_url: None,
        qr_code: None,
        failure: None,
        created_at: now.0,
        updated_at: now.0,
        paid_at: None,
        expires_at: now.0 + PAYMENT_TTL_SECS,
    };
    let mut row = row;
    let mut tx = app.db().write().await?;
    crate::accounts::verification::require_verified(&mut tx, &actor.tenant_id).await?;
    if let Some(order_id) = order_id {
        let order = tx
            .checkout_order(order_id)
            .await?
            .filter(|o| o.owner_id == actor.tenant_id)
            .ok_or(PaymentError::UnknownOrder)?;
        if order.status != "awaiting_payment" || order.expires_at <= now.0 {
            return Err(PaymentError::OrderNotPayable.into());
        }
        if order.amount != amount.minor() || order.currency != amount.currency().code() {
            let due = stored_money(order.amount, &order.currency)?;
            return Err(PaymentError::OrderAmount { due }.into());
        }
        row.expires_at = row.expires_at.min(order.expires_at);
        tx.insert_payment(&row).await?;
        tx.link_checkout_payment(&row.id, order_id).await?;
    } else {
        tx.insert_payment(&row).await?;
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "payment.create",
            object_type: "payment",
            object_id: &row.id,
            tenant: &actor.tenant_id,
            before: serde_json::Value::Null,
            after: json!({ "amount": row.amount, "currency": row.currency, "method": row.method, "order_id": order_id }),
        },
    )
    .await?;
    tx.commit().await?;

    let subject = match order_id {
        Some(order_id) => format!("订单支付 Order {order_id} {amount}"),
        None => format!("账户充值 Top-up {amount}"),
    };
    let notify = notify_url(app, gateway.name());
    let return_url = format!(
        "{}/console/billing/payments/{}",
        app.settings().public_url.trim_end_matches('/'),
        row.id
    );
    let request = CheckoutRequest {
        payment_id: &row.id,
        amount,
        subject: &subject,
        notify_url: &notify,
        return_url: &return_url,
        expires_at: Timestamp(row.expires_at),
    };
    match gateway.create(&request).await {
        Ok(checkout) => {
            let mut tx = app.db().write().await?;
            tx.set_payment_checkout(
                &row.id,
                checkout.trade_no.as_deref(),
                checkout.pay_url.as_deref(),
                checkout.qr_code.as_deref(),
                app.now().0,
            )
            .await?;
            let stored = tx.payment(&row.id).await?;
            tx.commit().await?;
            stored.ok_or_else(|| AppError::internal("the payment vanished"))
        }
        Err(GatewayError::Unavailable(why)) => {
            tracing::warn!(payment_id = %row.id, %why, "payment gateway unavailable at creation");
            Err(PaymentError::GatewayUnavailable { payment_id: row.id }.into())
        }
        Err(error) => {
            let why = error.to_string();
            let mut tx = app.db().write().await?;
            tx.move_payment(
                &row.id,
                ["pending", "pending"],
                "failed",
                Some(&why),
                app.now().0,
            )
            .await?;
            tx.commit().await?;
            Err(PaymentError::GatewayRefused { why }.into())
        }
    }
}

/// One payment of the actor's tenant (or any, for finance staff).
pub async fn get(app: &App, actor: &Actor, id: &str) -> Result<PaymentRow, AppError> {
    let mut tx = app.db().read().await?;
    let row = tx.payment(id).await?;
    tx.commit().await?;
    let row = row.ok_or_else(AppError::not_found)?;
    actor.authorize(&row.owner_id, Right::BillingRead)?;
    Ok(row)
}

/// The refunds of a payment the actor may see.
pub async fn refunds(
    app: &App,
    actor: &Actor,
    id: &str,
) -> Result<Vec<PaymentRefundRow>, AppError> {
    get(app, actor, id).await?;
    let mut tx = app.db().read().await?;
    let rows = tx.refunds_of_payment(id).await?;
    tx.commit().await?;
    Ok(rows)
}

/// The tenant's payments, newest first.
pub async fn list(
    app: &App,
    actor: &Actor,
    from: &PageCursor,
    limit: i64,
) -> Result<Page<PaymentRow>, AppError> {
    actor.require(Right::BillingRead)?;
    let mut tx = app.db().read().await?;
    let rows = tx
        .payments_of_owner(&actor.tenant_id, (from.at, &from.id), limit)
        .await?;
    tx.commit().await?;
    let next = next_cursor(&rows, limit, |r| (r.created_at, &r.id));
    Ok(Page { items: rows, next })
}

/// The latest payments of every customer (in `status` when given) and the latest refunds,
/// newest first (finance staff).
pub async fn latest(
    app: &App,
    actor: &Actor,
    status: Option<&str>,
    limit: i64,
) -> Result<(Vec<PaymentRow>, Vec<PaymentRefundRow>), AppError> {
    actor.require(Right::BillingManage)?;
    let mut tx = app.db().read().await?;
    let payments = tx.latest_payments(status, limit).await?;
    let refunds = tx.latest_refunds(limit).await?;
    tx.commit().await?;
    Ok((payments, refunds))
}

/// Takes a gateway's notify: stores it as received, verifies it and applies what it
/// reports, and returns the answer that gateway expects. A notify that does not verify
/// changes nothing but an alert; one that fails half-way stays `received` and is processed
/// again by [`settle`] (and by the gateway's own redelivery).
pub async fn receive_notify(
    app: &App,
    gateway_name: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<NotifyAnswer, AppError> {
    let gateway = gateway(app, gateway_name)?;
    let kept: serde_json::Map<String, serde_json::Value> = headers
        .iter()
        .filter(|(name, _)| KEPT_HEADERS.contains(&name.as_str()))
        .map(|(name, value)| (name.clone(), json!(value)))
        .collect();
    let row = PaymentNotificationRow {
        id: new_id("pnt"),
        gateway: gateway.name().to_owned(),
        headers: serde_json::Value::Object(kept).to_string(),
        body: body.to_vec(),
        payment_id: None,
        outcome: "received".into(),
        detail: String::new(),
        received_at: app.now().0,
        processed_at: None,
    };
    let mut tx = app.db().write().await?;
    tx.insert_payment_notification(&row).await?;
    tx.commit().await?;
    let accepted = process_notification(app, gateway.as_ref(), &row).await?;
    Ok(gateway.answer(accepted))
}

/// Verifies and applies a stored notify; `false` when it did not verify.
async fn process_notification(
    app: &App,
    gateway: &dyn PaymentGateway,
    row: &PaymentNotificationRow,
) -> Result<bool, AppError> {
    let headers: Vec<(String, String)> =
        serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&row.headers)
            .unwrap_or_default()
            .into_iter()
            .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_owned()))
            .collect();
    let notify = Notify {
        headers: &headers,
        body: &row.body,
    };
    let now = app.now();
    match gateway.verify_notify(notify) {
        Err(error) => {
            tracing::warn!(gateway = gateway.name(), notification = %row.id, %error, "payment notify refused");
            let mut tx = app.db().write().await?;
            tx.finish_payment_notification(&row.id, None, "forged", &error.to_string(), now.0)
                .await?;
            raise(
                &mut tx,
                gateway.name(),
                "forged_notify",
                None,
                &format!("notify {}: {error}", row.id),
                now,
            )
            .await?;
            tx.commit().await?;
            Ok(false)
        }
        Ok(event) => {
            let mut tx = app.db().write().await?;
            let (outcome, detail) = apply(app, &mut tx, gateway.name(), &event, now).await?;
            tx.finish_payment_notification(
                &row.id,
                Some(event.payment_id()),
                outcome,
                &detail,
                now.0,
            )
            .await?;
            tx.commit().await?;
            Ok(true)
        }
    }
}

/// Raises an alert for finance.
pub(super) async fn raise(
    tx: &mut Tx,
    gateway: &str,
    kind: &str,
    payment_id: Option<&str>,
    detail: &str,
    now: Timestamp,
) -> Result<(), AppError> {
    tx.insert_payment_alert(&PaymentAlertRow {
        id: new_id("pal"),
        gateway: gateway.to_owned(),
        kind: kind.to_owned(),
        payment_id: payment_id.map(str::to_owned),
        detail: detail.to_owned(),
        created_at: now.0,
        resolved_at: None,
    })
    .await?;
    Ok(())
}

/// Applies a verified fact about a payment, in `tx`; returns the outcome and what was found.
async fn apply(
    app: &App,
    tx: &mut Tx,
    gateway: &str,
    event: &GatewayEvent,
    now: Timestamp,
) -> Result<(&'static str, String), AppError> {
    let payment_id = event.payment_id();
    let Some(payment) = tx.payment(payment_id).await? else {
        let detail = format!("no payment {payment_id}");
        raise(tx, gateway, "unknown_payment", None, &detail, now).await?;
        return Ok(("mismatch", detail));
    };
    if payment.method != gateway {
        let detail = format!("payment {payment_id} is a {} payment", payment.method);
        raise(
            tx,
            gateway,
            "method_mismatch",
            Some(payment_id),
            &detail,
            now,
        )
        .await?;
        return Ok(("mismatch", detail));
    }
    let expected = stored_money(payment.amount, &payment.currency)?;
    match event {
        GatewayEvent::Paid {
            trade_no, amount, ..
        } => {
            if *amount != expected {
                let detail = format!("paid {amount}, the payment is {expected}");
                raise(
                    tx,
                    gateway,
                    "amount_mismatch",
                    Some(payment_id),
                    &detail,
                    now,
                )
                .await?;
                return Ok(("mismatch", detail));
            }
            if credit_paid(app, tx, &payment, trade_no, now).await? {
                Ok(("credited", format!("credited {expected}")))
            } else {
                Ok(("duplicate", format!("already {}", payment.status)))
            }
        }
        GatewayEvent::Closed { .. } => {
            let closed = tx
                .move_payment(payment_id, ["pending", "failed"], "closed", None, now.0)
                .await?;
            Ok((
                "closed",
                if closed {
                    "closed unpaid"
                } else {
                    "not pending"
                }
                .to_owned(),
            ))
        }
        GatewayEvent::Refund {
            refund_id,
            amount,
            succeeded,
            ..
        } => {
            // A refund implies a payment: if its notify has not arrived yet, book it first.
            let trade_no = payment.gateway_trade_no.clone().unwrap_or_default();
            let credited_now = credit_paid(app, tx, &payment, &trade_no, now).await?;
            let known = match refund_id {
                Some(id) => tx
                    .payment_refund(id)
                    .await?
                    .filter(|r| r.payment_id == payment.id),
                None => None,
            };
            let Some(refund) = known else {
                let detail = format!(
                    "a refund of {amount} not made through the platform (refund {})",
                    refund_id.as_deref().unwrap_or("without a number")
                );
                raise(
                    tx,
                    gateway,
                    "external_refund",
                    Some(payment_id),
                    &detail,
                    now,
                )
                .await?;
                return Ok(("refund", detail));
            };
            let state = if *succeeded {
                RefundState::Succeeded { refund_no: None }
            } else {
                RefundState::Failed {
                    reason: "the gateway reports the refund failed".into(),
                }
            };
            let settled = settle_refund(app, tx, &refund, &state, now).await?;
            let paid_note = if credited_now {
                " (the payment was booked first)"
            } else {
                ""
            };
            Ok((
                "refund",
                format!(
                    "refund {} {}{paid_note}",
                    refund.id,
                    if settled {
                        "settled"
                    } else {
                        "already settled"
                    }
                ),
            ))
        }
        GatewayEvent::Nothing { .. } => Ok(("ignored", "nothing to do".to_owned())),
    }
}

/// Marks a payment paid and books its credit, in `tx`; `false` when it was already paid.
async fn credit_paid(
    app: &App,
    tx: &mut Tx,
    payment: &PaymentRow,
    trade_no: &str,
    now: Timestamp,
) -> Result<bool, AppError> {
    if !tx.mark_payment_paid(&payment.id, trade_no, now.0).await? {
        return Ok(false);
    }
    let amount = stored_money(payment.amount, &payment.currency)?;
    let memo = format!("{} payment {}", payment.method, payment.id);
    let order_id = new_id("ord");
    top_up_received(
        tx,
        &order_id,
        &payment.owner_id,
        &payment.actor_id,
        amount,
        &memo,
        json!({ "payment_id": payment.id, "method": payment.method, "trade_no": trade_no }),
        now,
    )
    .await?;
    tx.set_payment_credit_order(&payment.id, &order_id).await?;
    // A payment for a checkout order marks it paid; the fulfilment then charges the balance
    // just credited. An order that lapsed before the money came leaves it on the balance.
    let checkout = match tx.checkout_order_of_payment(&payment.id).await? {
        Some(checkout) => {
            let paid = tx.mark_checkout_paid(&checkout, &payment.id, now.0).await?;
            Some(json!({ "id": checkout, "paid": paid }))
        }
        None => None,
    };
    audit::record(
        app,
        tx,
        &RequestContext::internal("payment-notify"),
        &format!("gateway:{}", payment.method),
        Change {
            action: "payment.paid",
            object_type: "payment",
            object_id: &payment.id,
            tenant: &payment.owner_id,
            before: json!({ "status": payment.status }),
            after: json!({ "status": "paid", "amount": payment.amount, "currency": payment.currency, "order_id": order_id, "trade_no": trade_no, "checkout_order": checkout }),
        },
    )
    .await?;
    Ok(true)
}

/// Asks the gateway to refund `amount` (all that is left when `None`) of a paid payment to
/// where it came from. The balance is debited at once, and credited back if the gateway
/// refuses; a refund whose outcome is not known yet stays `pending` until the gateway's
/// notify or [`settle`] decides it.
pub async fn refund(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    payment_id: &str,
    amount: Option<Money>,
    reason: &str,
) -> Result<PaymentRefundRow, AppError> {
    let payment = get(app, actor, payment_id).await?;
    if actor.require(Right::BillingManage).is_err() {
        actor.authorize(&payment.owner_id, Right::BillingPay)?;
    }
    let reason = reason.trim();
    if reason.chars().count() > MAX_REASON_CHARS || reason.chars().any(char::is_control) {
        return Err(PaymentError::InvalidReason.into());
    }
    let total = stored_money(payment.amount, &payment.currency)?;
    let left = stored_money(payment.amount - payment.refunded, &payment.currency)?;
    if payment.status != "paid" || !left.is_positive() {
        return Err(PaymentError::NotRefundable.into());
    }
    let amount = amount.unwrap_or(left);
    if amount.currency() != total.currency() {
        return Err(PaymentError::UnsupportedCurrency.into());
    }
    if !amount.is_positive() {
        return Err(BillingError::InvalidCredit.into());
    }
    if amount.minor() > left.minor() {
        return Err(PaymentError::RefundTooLarge { left }.into());
    }
    let gateway = gateway(app, &payment.method)?;
    let holder = HolderId::parse(&payment.owner_id)
        .map_err(|e| AppError::internal(format!("holder id: {e}")))?;
    let now = app.now();
    let row = PaymentRefundRow {
        id: new_id("rfd"),
        payment_id: payment.id.clone(),
        owner_id: payment.owner_id.clone(),
        actor_id: actor.account_id.clone(),
        amount: amount.minor(),
        currency: payment.currency.clone(),
        reason: reason.to_owned(),
        status: "pending".into(),
        gateway_refund_no: None,
        failure: None,
        created_at: now.0,
        updated_at: now.0,
    };
    let mut tx = app.db().write().await?;
    if let Some(order_id) = tx.payment_credit_order(&payment.id).await?
        && tx.order_invoiced(&order_id).await?
    {
        return Err(PaymentError::Invoiced.into());
    }
    if !tx
        .add_payment_refunded(&payment.id, amount.minor(), now.0)
        .await?
    {
        return Err(PaymentError::NotRefundable.into());
    }
    if tx
        .change_balance(&payment.owner_id, &payment.currency, -amount.minor(), now.0)
        .await?
        .is_none()
    {
        return Err(PaymentError::RefundExceedsBalance { amount }.into());
    }
    let transaction = money::top_up(&holder, amount)
        .map_err(|e| AppError::internal(format!("refund: {e}")))?
        .reversed();
    book(
        &mut tx,
        &transaction,
        &row.id,
        &format!("refund of {} payment {}", payment.method, payment.id),
        now,
    )
    .await?;
    tx.insert_payment_refund(&row).await?;
    tx.insert_order(&OrderRow {
        id: row.id.clone(),
        owner_id: payment.owner_id.clone(),
        actor_id: actor.account_id.clone(),
        kind: "payment_refund".into(),
        domain_name: None,
        years: None,
        amount: amount.minor(),
        currency: payment.currency.clone(),
        status: "pending".into(),
        detail: json!({ "payment_id": payment.id, "method": payment.method, "reason": reason })
            .to_string(),
        created_at: now.0,
    })
    .await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "payment.refund",
            object_type: "payment",
            object_id: &payment.id,
            tenant: &payment.owner_id,
            before: json!({ "refunded": payment.refunded }),
            after: json!({ "refunded": payment.refunded + amount.minor(), "refund_id": row.id, "amount": amount.minor(), "reason": reason }),
        },
    )
    .await?;
    tx.commit().await?;

    let notify = notify_url(app, gateway.name());
    let request = RefundRequest {
        payment_id: &payment.id,
        refund_id: &row.id,
        amount,
        total,
        reason: if reason.is_empty() {
            "退款 refund"
        } else {
            reason
        },
        notify_url: &notify,
    };
    match gateway.refund(&request).await {
        Ok(state) => {
            let mut tx = app.db().write().await?;
            settle_refund(app, &mut tx, &row, &state, app.now()).await?;
            tx.commit().await?;
        }
        Err(error) => {
            tracing::warn!(refund = %row.id, %error, "refund outcome unknown; the settling job asks again");
        }
    }
    let mut tx = app.db().read().await?;
    let stored = tx.payment_refund(&row.id).await?;
    tx.commit().await?;
    stored.ok_or_else(|| AppError::internal("the refund vanished"))
}

/// Applies a refund's final state, in `tx`: success completes it; failure credits the
/// balance back. `false` when it was settled before.
async fn settle_refund(
    app: &App,
    tx: &mut Tx,
    refund: &PaymentRefundRow,
    state: &RefundState,
    now: Timestamp,
) -> Result<bool, AppError> {
    let (status, refund_no, failure) = match state {
        RefundState::Processing => return Ok(false),
        RefundState::Succeeded { refund_no } => ("succeeded", refund_no.as_deref(), None),
        RefundState::Failed { reason } => ("failed", None, Some(reason.as_str())),
    };
    if !tx
        .settle_payment_refund(&refund.id, status, refund_no, failure, now.0)
        .await?
    {
        return Ok(false);
    }
    if status == "succeeded" {
        tx.set_order_status(&refund.id, "completed").await?;
        return Ok(true);
    }
    let amount = stored_money(refund.amount, &refund.currency)?;
    let memo = format!("refund {} failed: credited back", refund.id);
    credit_received(tx, &refund.owner_id, amount, &refund.id, &memo, now).await?;
    tx.add_payment_refunded(&refund.payment_id, -refund.amount, now.0)
        .await?;
    tx.set_order_status(&refund.id, "failed").await?;
    audit::record(
        app,
        tx,
        &RequestContext::internal("payment-refund"),
        "system",
        Change {
            action: "payment.refund_failed",
            object_type: "payment",
            object_id: &refund.payment_id,
            tenant: &refund.owner_id,
            before: json!({ "refund_id": refund.id, "status": "pending" }),
            after: json!({ "refund_id": refund.id, "status": "failed", "reason": failure }),
        },
    )
    .await?;
    Ok(true)
}

/// What one run of [`settle`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettleReport {
    /// Stored notifies processed again after a crash.
    pub notifies: usize,
    /// Payments found paid by querying.
    pub credited: usize,
    /// Unpaid payments closed.
    pub closed: usize,
    /// Refunds whose outcome was learnt.
    pub refunds: usize,
}

/// Settles what notifies left open: re-processes notifies stored but never processed, asks
/// the gateway about payments pending for a while (crediting the paid, closing the expired)
/// and about pending refunds. Gateways that do not answer are asked again next run.
pub async fn settle(app: &App) -> Result<SettleReport, AppError> {
    let now = app.now();
    let mut report = SettleReport::default();
    let mut tx = app.db().read().await?;
    let notifies = tx
        .unprocessed_payment_notifications(now.0 - 60, 200)
        .await?;
    let payments = tx
        .payments_in_status("pending", now.0 - QUERY_AFTER_SECS, 200)
        .await?;
    let refunds = tx.pending_refunds(now.0 - QUERY_AFTER_SECS, 200).await?;
    tx.commit().await?;

    for row in notifies {
        if let Ok(gateway) = gateway(app, &row.gateway) {
            process_notification(app, gateway.as_ref(), &row).await?;
            report.notifies += 1;
        }
    }
    for payment in payments {
        let Ok(gateway) = gateway(app, &payment.method) else {
            continue;
        };
        let state = match gateway.query(&payment.id).await {
            Ok(state) => state,
            Err(error) => {
                tracing::warn!(payment = %payment.id, %error, "payment query failed");
                continue;
            }
        };
        let now = app.now();
        let mut tx = app.db().write().await?;
        match state {
            TradeState::Paid { trade_no, amount } => {
                let event = GatewayEvent::Paid {
                    payment_id: payment.id.clone(),
                    trade_no,
                    amount,
                };
                let (outcome, _) = apply(app, &mut tx, gateway.name(), &event, now).await?;
                report.credited += usize::from(outcome == "credited");
            }
            TradeState::Closed => {
                report.closed += usize::from(
                    tx.move_payment(&payment.id, ["pending", "pending"], "closed", None, now.0)
                        .await?,
                );
            }
            TradeState::Unpaid | TradeState::NotFound if now.0 >= payment.expires_at => {
                if let Err(error) = gateway.close(&payment.id).await {
                    tracing::warn!(payment = %payment.id, %error, "closing an expired payment failed");
                    continue;
                }
                report.closed += usize::from(
                    tx.move_payment(
                        &payment.id,
                        ["pending", "pending"],
                        "closed",
                        Some("expired unpaid"),
                        now.0,
                    )
                    .await?,
                );
            }
            TradeState::Unpaid | TradeState::NotFound => {}
        }
        tx.commit().await?;
    }
    for refund in refunds {
        let Ok(gateway) = gateway(app, &payment_method_of(app, &refund.payment_id).await?) else {
            continue;
        };
        match gateway.refund_status(&refund.payment_id, &refund.id).await {
            Ok(state) => {
                let mut tx = app.db().write().await?;
                report.refunds +=
                    usize::from(settle_refund(app, &mut tx, &refund, &state, app.now()).await?);
                tx.commit().await?;
            }
            Err(error) => tracing::warn!(refund = %refund.id, %error, "refund query failed"),
        }
    }
    Ok(report)
}

async fn payment_method_of(app: &App, payment_id: &str) -> Result<String, AppError> {
    let mut tx = app.db().read().await?;
    let payment = tx.payment(payment_id).await?;
    tx.commit().await?;
    Ok(payment.map(|p| p.method).unwrap_or_default())
}

/// What reconciling one gateway's bill of one day found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciliation {
    /// Bill lines that match the ledger.
    pub matched: usize,
    /// Differences, each also raised as an alert.
    pub mismatches: Vec<String>,
}

/// Compares `gateway`'s bill of `day` (China time) with the payments booked paid that day
/// and the refunds it lists; every difference becomes an alert for finance.
pub async fn reconcile(
    app: &App,
    gateway_name: &str,
    day: time::Date,
) -> Result<Reconciliation, AppError> {
    let gateway = gateway(app, gateway_name)?;
    let lines = gateway
        .bill(day)
        .await
        .map_err(|e| PaymentError::BillUnavailable {
            why: format!("{day}: {e}"),
        })?;
    let start = day
        .midnight()
        .assume_offset(time::macros::offset!(+8))
        .unix_timestamp();
    let now = app.now();
    let mut tx = app.db().write().await?;
    let ours = tx
        .payments_paid_between(gateway.name(), start, start + 86_400)
        .await?;
    let mut report = Reconciliation::default();
    let mut billed = std::collections::HashSet::new();
    for line in &lines {
        let finding = match &line.refund_id {
            None => {
                billed.insert(line.payment_id.clone());
                match tx.payment(&line.payment_id).await? {
                    Some(p)
                        if p.paid_at.is_some()
                            && stored_money(p.amount, &p.currency)? == line.amount =>
                    {
                        None
                    }
                    Some(p) if p.paid_at.is_some() => Some(format!(
                        "payment {} billed {} but booked {}",
                        p.id,
                        line.amount,
                        stored_money(p.amount, &p.currency)?
                    )),
                    Some(p) => Some(format!(
                        "payment {} billed {} but {} here",
                        p.id, line.amount, p.status
                    )),
                    None => Some(format!(
                        "billed payment {} ({}) is unknown here",
                        line.payment_id, line.trade_no
                    )),
                }
            }
            Some(refund_id) => match tx.payment_refund(refund_id).await? {
                Some(r) if r.status == "succeeded" && -r.amount == line.amount.minor() => None,
                Some(r) => Some(format!(
                    "refund {} billed {} but {} {} here",
                    r.id,
                    line.amount,
                    r.status,
                    stored_money(r.amount, &r.currency)?
                )),
                None => Some(format!(
                    "billed refund {refund_id} of payment {} is unknown here",
                    line.payment_id
                )),
            },
        };
        match finding {
            None => report.matched += 1,
            Some(detail) => {
                raise(
                    &mut tx,
                    gateway.name(),
                    "reconciliation",
                    Some(&line.payment_id),
                    &detail,
                    now,
                )
                .await?;
                report.mismatches.push(detail);
            }
        }
    }
    for payment in ours.iter().filter(|p| !billed.contains(&p.id)) {
        let detail = format!(
            "payment {} booked paid on {day} is not in the bill",
            payment.id
        );
        raise(
            &mut tx,
            gateway.name(),
            "reconciliation",
            Some(&payment.id),
            &detail,
            now,
        )
        .await?;
        report.mismatches.push(detail);
    }
    tx.upsert_reconciliation(&yuming_store::ReconciliationRow {
        gateway: gateway.name().to_owned(),
        day: day.to_string(),
        ran_at: now.0,
        matched: i64::try_from(report.matched).unwrap_or(i64::MAX),
        mismatches: serde_json::to_string(&report.mismatches)
            .map_err(|e| AppError::internal(format!("serialising mismatches: {e}")))?,
    })
    .await?;
    tx.commit().await?;
    Ok(report)
}

/// A stored day's reconciliation, for finance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconciliationView {
    /// Gateway name.
    pub gateway: String,
    /// The bill's day (China time), `YYYY-MM-DD`.
    pub day: String,
    /// When it was compared.
    pub ran_at: Timestamp,
    /// Bill lines that matched the ledger.
    pub matched: i64,
    /// The differences (each also raised as an alert).
    pub mismatches: Vec<String>,
}

/// The latest daily reconciliations, newest day first (finance staff).
pub async fn reconciliations(
    app: &App,
    actor: &Actor,
    limit: i64,
) -> Result<Vec<ReconciliationView>, AppError> {
    actor.require(Right::BillingManage)?;
    let mut tx = app.db().read().await?;
    let rows = tx.reconciliations(limit).await?;
    tx.commit().await?;
    rows.into_iter()
        .map(|row| {
            Ok(ReconciliationView {
                mismatches: serde_json::from_str(&row.mismatches).map_err(|e| {
                    AppError::internal(format!("stored mismatches of {}: {e}", row.day))
                })?,
                gateway: row.gateway,
                day: row.day,
                ran_at: Timestamp(row.ran_at),
                matched: row.matched,
            })
        })
        .collect()
}

/// How long one instance holds a day's reconciliation before another may take it over.
const RECONCILE_LEASE_SECS: i64 = 900;

/// Hour (China time) after which the previous day's bills are final at the gateways (Alipay
/// publishes them after 09:00, WeChat Pay after 10:00).
pub const BILLS_READY_HOUR: u8 = 10;

/// Reconciles each gateway's bill of the previous day (China time) once, as soon as the
/// bills are ready: run from the scheduler by every instance, done by one. A gateway whose
/// bill cannot be fetched is tried again on the next run. Returns the reconciliations made.
pub async fn reconcile_due(
    app: &App,
    holder: &str,
) -> Result<Vec<(String, Reconciliation)>, AppError> {
    let china = time::OffsetDateTime::from_unix_timestamp(app.now().0)
        .map_err(|e| AppError::internal(format!("clock: {e}")))?
        .to_offset(time::macros::offset!(+8));
    if china.hour() < BILLS_READY_HOUR {
        return Ok(Vec::new());
    }
    let Some(day) = china.date().previous_day() else {
        return Ok(Vec::new());
    };
    let mut done = Vec::new();
    for gateway in app.payment_gateways() {
        let name = format!("payments_reconcile:{}:{day}", gateway.name());
        let now = app.now().0;
        let mut tx = app.db().write().await?;
        let leased = tx
            .acquire_job_lease(&name, holder, now, now + RECONCILE_LEASE_SECS)
            .await?;
        tx.commit().await?;
        if !leased {
            continue;
        }
        let outcome = reconcile(app, gateway.name(), day).await;
        let mut tx = app.db().write().await?;
        match outcome {
            Ok(report) => {
                tx.finish_job_for_good(&name, holder, app.now().0).await?;
                done.push((gateway.name().to_owned(), report));
            }
            Err(error) => {
                tracing::warn!(gateway = gateway.name(), %day, error = %error.message, "reconciliation postponed");
                tx.release_job_lease(&name, holder, app.now().0).await?;
            }
        }
        tx.commit().await?;
    }
    Ok(done)
}

/// Payment alerts for finance staff, newest first (open ones unless `all`).
pub async fn alerts(app: &App, actor: &Actor, all: bool) -> Result<Vec<PaymentAlertRow>, AppError> {
    actor.require(Right::BillingManage)?;
    let mut tx = app.db().read().await?;
    let rows = tx.payment_alerts(all, 200).await?;
    tx.commit().await?;
    Ok(rows)
}

/// Closes an alert once finance has dealt with it (audited); an unknown or closed alert is
/// not found.
pub async fn resolve_alert(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<(), AppError> {
    actor.require(Right::BillingManage)?;
    let mut tx = app.db().write().await?;
    if !tx.resolve_payment_alert(id, app.now().0).await? {
        return Err(AppError::not_found());
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "payment.alert_resolved",
            object_type: "payment_alert",
            object_id: id,
            tenant: &actor.tenant_id,
            before: json!({ "resolved": false }),
            after: json!({ "resolved": true }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The notifies received about a payment (finance staff), newest first.
pub async fn notifications(
    app: &App,
    actor: &Actor,
    payment_id: &str,
) -> Result<Vec<PaymentNotificationRow>, AppError> {
    actor.require(Right::BillingManage)?;
    let mut tx = app.db().read().await?;
    let rows = tx.payment_notifications(Some(payment_id), 200).await?;
    tx.commit().await?;
    Ok(rows)
}
