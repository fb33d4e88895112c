//! The built-in **sandbox** payment gateway, for trying the platform out and for local
//! development: it keeps its side of each trade in its own table, its pay page lets a person
//! approve or decline, and it then posts a notify signed like a real gateway's (HMAC-SHA256
//! under a key derived from the master key) to the platform's notify endpoint. No money
//! moves anywhere: turn it off (`payments.sandbox = false`) where customers pay for real.

use serde_json::{Value, json};
use std::sync::Arc;

use yuming_core::clock::Clock;
use yuming_core::money::{Currency, Money};
use yuming_store::{Db, SandboxTradeRow};

use super::{
    BillLine, Checkout, CheckoutRequest, GatewayError, GatewayEvent, Notify, NotifyAnswer,
    PaymentGateway, RefundRequest, RefundState, TradeState,
};
use crate::platform::BoxFuture;
use crate::platform::crypto::Cipher;

/// The header carrying the sandbox's signature (`v1=<hex>`), over `timestamp.body`.
pub const SIGNATURE_HEADER: &str = "sandbox-signature";
/// The header carrying the time the notify was signed.
pub const TIMESTAMP_HEADER: &str = "sandbox-timestamp";

/// The sandbox gateway.
pub struct SandboxGateway {
    db: Db,
    // The application's clock: the sandbox lives inside the platform, so its trades and
    // bills follow the same (possibly shifted) time as the payments they settle.
    clock: Arc<dyn Clock>,
    signing_key: String,
    public_url: String,
    client: reqwest::Client,
}

impl std::fmt::Debug for SandboxGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SandboxGateway")
            .field("public_url", &self.public_url)
            .finish_non_exhaustive()
    }
}

/// What the payer decided on the sandbox's pay page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SandboxDecision {
    /// Pay.
    Approve,
    /// Do not pay: the trade closes.
    Decline,
}

impl SandboxGateway {
    /// The sandbox over the platform's database; `public_url` is where the platform (and so
    /// the sandbox's pay page and the notify endpoint) is reached.
    pub fn new(db: Db, clock: Arc<dyn Clock>, cipher: &Cipher, public_url: &str) -> SandboxGateway {
        SandboxGateway {
            db,
            clock,
            signing_key: cipher.blind_index("notify signing key", "payments.sandbox"),
            public_url: public_url.trim_end_matches('/').to_owned(),
            client: crate::platform::http::client_builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .unwrap_or_default(),
        }
    }

    /// The trade behind our payment, for the pay page.
    pub async fn trade(&self, payment_id: &str) -> Result<Option<SandboxTradeRow>, GatewayError> {
        let mut tx = self.db.read().await.map_err(unavailable)?;
        let trade = tx.sandbox_trade(payment_id).await.map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        Ok(trade)
    }

    /// Records the payer's decision and delivers the notify. `Ok(false)`: the trade was
    /// already decided (or closed), nothing sent. A notify that cannot be delivered is left
    /// to the platform's query job, as with a real gateway.
    pub async fn decide(
        &self,
        payment_id: &str,
        decision: SandboxDecision,
    ) -> Result<bool, GatewayError> {
        let to = match decision {
            SandboxDecision::Approve => "paid",
            SandboxDecision::Decline => "declined",
        };
        let mut tx = self.db.write().await.map_err(unavailable)?;
        let moved = tx
            .decide_sandbox_trade(payment_id, to, self.clock.now().0)
            .await
            .map_err(unavailable)?;
        let trade = tx.sandbox_trade(payment_id).await.map_err(unavailable)?;
        tx.commit().await.map_err(unavailable)?;
        let (true, Some(trade)) = (moved, trade) else {
            return Ok(false);
        };
        let body = json!({
            "out_trade_no": trade.out_trade_no,
            "trade_no": trade.trade_no,
            "status": trade.status,
            "amount": trade.amount,
            "currency": trade.currency,
        })
        .to_string();
        let (timestamp_value, signature) = self.sign(body.as_bytes());
        let delivered = self
            .client
            .post(format!(
                "{}/api/v1/payments/notify/sandbox",
                self.public_url
            ))
            .header("content-type", "application/json")
            .header(TIMESTAMP_HEADER, timestamp_value)
            .header(SIGNATURE_HEADER, signature)
            .body(body)
            .send()
            .await;
        if let Err(error) = delivered {
            tracing::warn!(%error, payment_id, "sandbox notify not delivered; the query job settles it");
        }
        Ok(true)
    }

    /// Signs a notify body: (timestamp, signature header value).
    pub fn sign(&self, body: &[u8]) -> (String, String) {
        let now = self.clock.now().0;
        (
            now.to_string(),
            yuming_core::webhook::sign(&self.signing_key, now, body),
        )
    }
}

fn unavailable(error: impl std::fmt::Display) -> GatewayError {
    GatewayError::Unavailable(format!("sandbox: {error}"))
}

fn amount_of(value: &Value) -> Result<Money, GatewayError> {
    let currency = Currency::parse(value["currency"].as_str().unwrap_or_default())
        .map_err(|_| GatewayError::Malformed("unknown currency".into()))?;
    value["amount"]
        .as_i64()
        .filter(|a| *a > 0)
        .map(|a| Money::new(a, currency))
        .ok_or_else(|| GatewayError::Malformed("amount is not a positive integer".into()))
}

impl PaymentGateway for SandboxGateway {
    fn name(&self) -> &'static str {
        "sandbox"
    }

    fn create<'a>(
        &'a self,
        request: &'a CheckoutRequest<'a>,
    ) -> BoxFuture<'a, Result<Checkout, GatewayError>> {
        Box::pin(async move {
            let trade_no = format!("SBX{}", crate::platform::crypto::random_token::<12>());
            let mut tx = self.db.write().await.map_err(unavailable)?;
            tx.insert_sandbox_trade(&SandboxTradeRow {
                trade_no: trade_no.clone(),
                out_trade_no: request.payment_id.to_owned(),
                amount: request.amount.minor(),
                currency: request.amount.currency().code().to_owned(),
                refunded: 0,
                status: "open".into(),
                created_at: self.clock.now().0,
                paid_at: None,
            })
            .await
            .map_err(unavailable)?;
            tx.commit().await.map_err(unavailable)?;
            let pay_url = format!("{}/sandbox/pay/{}", self.public_url, request.payment_id);
            Ok(Checkout {
                trade_no: Some(trade_no),
                qr_code: Some(pay_url.clone()),
                pay_url: Some(pay_url),
            })
        })
    }

    fn verify_notify(&self, notify: Notify<'_>) -> Result<GatewayEvent, GatewayError> {
        let bad = |why: &str| GatewayError::BadSignature(why.to_owned());
        let timestamp = notify
            .header(TIMESTAMP_HEADER)
            .ok_or_else(|| bad("no Sandbox-Timestamp"))?;
        let signature = notify
            .header(SIGNATURE_HEADER)
            .ok_or_else(|| bad("no Sandbox-Signature"))?;
        yuming_core::webhook::verify(
            &self.signing_key,
            timestamp,
            signature,
            notify.body,
            self.clock.now(),
        )
        .map_err(|e| bad(&e.to_string()))?;
        let body: Value = serde_json::from_slice(notify.body)
            .map_err(|_| GatewayError::Malformed("not JSON".into()))?;
        let payment_id = body["out_trade_no"]
            .as_str()
            .ok_or_else(|| GatewayError::Malformed("no out_trade_no".into()))?
            .to_owned();
        match body["status"].as_str() {
            Some("paid") => Ok(GatewayEvent::Paid {
                payment_id,
                trade_no: body["trade_no"].as_str().unwrap_or_default().to_owned(),
                amount: amount_of(&body)?,
            }),
            Some("declined" | "closed") => Ok(GatewayEvent::Closed { payment_id }),
            _ => Ok(GatewayEvent::Nothing { payment_id }),
        }
    }

    fn answer(&self, accepted: bool) -> NotifyAnswer {
        NotifyAnswer {
            status: if accepted { 200 } else { 400 },
            content_type: "text/plain; charset=utf-8",
            body: if accepted { "OK" } else { "FAIL" }.into(),
        }
    }

    fn query<'a>(&'a self, payment_id: &'a str) -> BoxFuture<'a, Result<TradeState, GatewayError>> {
        Box::pin(async move {
            let Some(trade) = self.trade(payment_id).await? else {
                return Ok(TradeState::NotFound);
            };
            let currency = Currency::parse(&trade.currency)
                .map_err(|_| GatewayError::Malformed("stored currency".into()))?;
            Ok(match trade.status.as_str() {
                "paid" => TradeState::Paid {
                    trade_no: trade.trade_no,
                    amount: Money::new(trade.amount, currency),
                },
                "open" => TradeState::Unpaid,
                _ => TradeState::Closed,
            })
        })
    }

    fn close<'a>(&'a self, payment_id: &'a str) -> BoxFuture<'a, Result<(), GatewayError>> {
        Box::pin(async move {
            let mut tx = self.db.write().await.map_err(unavailable)?;
            tx.decide_sandbox_trade(payment_id, "closed", self.clock.now().0)
                .await
                .map_err(unavailable)?;
            tx.commit().await.map_err(unavailable)?;
            Ok(())
        })
    }

    fn refund<'a>(
        &'a self,
        request: &'a RefundRequest<'a>,
    ) -> BoxFuture<'a, Result<RefundState, GatewayError>> {
        Box::pin(async move {
            let mut tx = self.db.write().await.map_err(unavailable)?;
            let covered = tx
                .refund_sandbox_trade(request.payment_id, request.amount.minor())
                .await
                .map_err(unavailable)?;
            tx.commit().await.map_err(unavailable)?;
            Ok(if covered {
                RefundState::Succeeded {
                    refund_no: Some(format!("SBXR{}", request.refund_id)),
                }
            } else {
                RefundState::Failed {
                    reason: "the sandbox trade is not paid or the refund exceeds it".into(),
                }
            })
        })
    }

    fn refund_status<'a>(
        &'a self,
        _payment_id: &'a str,
        _refund_id: &'a str,
    ) -> BoxFuture<'a, Result<RefundState, GatewayError>> {
        // The sandbox settles refunds when asked: one still pending never reached it.
        Box::pin(async move {
            Ok(RefundState::Failed {
                reason: "the sandbox never received this refund".into(),
            })
        })
    }

    fn bill(&self, day: time::Date) -> BoxFuture<'_, Result<Vec<BillLine>, GatewayError>> {
        Box::pin(async move {
            let start = day
                .midnight()
                .assume_offset(time::macros::offset!(+8))
                .unix_timestamp();
            let mut tx = self.db.read().await.map_err(unavailable)?;
            let trades = tx
                .sandbox_trades_paid_between(start, start + 86_400)
                .await
                .map_err(unavailable)?;
            tx.commit().await.map_err(unavailable)?;
            trades
                .into_iter()
                .map(|t| {
                    let currency = Currency::parse(&t.currency)
                        .map_err(|_| GatewayError::Malformed("stored currency".into()))?;
                    Ok(BillLine {
                        payment_id: t.out_trade_no,
                        trade_no: t.trade_no,
                        refund_id: None,
                        amount: Money::new(t.amount, currency),
                    })
                })
                .collect()
        })
    }
}
