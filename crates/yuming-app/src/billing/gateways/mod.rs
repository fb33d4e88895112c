//! The payment gateway port and its implementations: Alipay (RSA2), WeChat Pay API v3, and
//! the built-in sandbox. A gateway only speaks its wire protocol; what a payment's state
//! means for the ledger is decided in [`crate::billing::payments`].

use std::fmt;

use yuming_core::clock::Timestamp;
use yuming_core::money::Money;

use crate::platform::BoxFuture;

pub mod alipay;
pub mod rsa;
pub mod sandbox;
pub mod wechat;

/// What a payment page needs from the gateway to collect `amount`.
#[derive(Debug, Clone)]
pub struct CheckoutRequest<'a> {
    /// Our payment id, sent as the merchant's trade number.
    pub payment_id: &'a str,
    /// What the payer pays.
    pub amount: Money,
    /// Shown to the payer (e.g. "Top-up of account …").
    pub subject: &'a str,
    /// Where the gateway posts its notify.
    pub notify_url: &'a str,
    /// Where the payer's browser goes back after paying.
    pub return_url: &'a str,
    /// The gateway closes the trade if unpaid by then.
    pub expires_at: Timestamp,
}

/// Where the payer pays.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checkout {
    /// The gateway's trade number, when it gives one at creation.
    pub trade_no: Option<String>,
    /// A page the payer's browser opens.
    pub pay_url: Option<String>,
    /// A code the payer scans (`weixin://…`, `https://qr.alipay.com/…`).
    pub qr_code: Option<String>,
}

/// A trade as the gateway's query sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TradeState {
    /// Created, not paid yet.
    Unpaid,
    /// Paid (possibly refunded since, in part or whole).
    Paid {
        /// The gateway's trade number.
        trade_no: String,
        /// What was paid.
        amount: Money,
    },
    /// Closed unpaid.
    Closed,
    /// The gateway has no such trade (never created, or not yet visible).
    NotFound,
}

/// One fact a verified notify reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayEvent {
    /// The payer paid `amount` for our payment `payment_id`.
    Paid {
        /// Our payment id.
        payment_id: String,
        /// The gateway's trade number.
        trade_no: String,
        /// What was paid, as the gateway states it.
        amount: Money,
    },
    /// The trade was closed without payment.
    Closed {
        /// Our payment id.
        payment_id: String,
    },
    /// A refund of our payment reached a final state.
    Refund {
        /// Our payment id.
        payment_id: String,
        /// Our refund id, when the gateway echoes it (a refund made in the gateway's own
        /// console has none of ours).
        refund_id: Option<String>,
        /// The amount of this refund.
        amount: Money,
        /// `false`: the refund failed and the money stayed with the merchant.
        succeeded: bool,
    },
    /// Verified, but nothing to act on (e.g. a trade created, waiting for payment).
    Nothing {
        /// Our payment id.
        payment_id: String,
    },
}

impl GatewayEvent {
    /// Our payment id.
    pub fn payment_id(&self) -> &str {
        match self {
            GatewayEvent::Paid { payment_id, .. }
            | GatewayEvent::Closed { payment_id }
            | GatewayEvent::Refund { payment_id, .. }
            | GatewayEvent::Nothing { payment_id } => payment_id,
        }
    }
}

/// A refund to ask the gateway for.
#[derive(Debug, Clone)]
pub struct RefundRequest<'a> {
    /// Our payment id.
    pub payment_id: &'a str,
    /// Our refund id, sent as the merchant's refund number (repeating it is idempotent).
    pub refund_id: &'a str,
    /// This refund.
    pub amount: Money,
    /// What the payment was (WeChat wants it).
    pub total: Money,
    /// Shown to the payer.
    pub reason: &'a str,
    /// Where the gateway posts the refund's outcome (WeChat).
    pub notify_url: &'a str,
}

/// Where a refund stands at the gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundState {
    /// The money is on its way back.
    Succeeded {
        /// The gateway's refund number.
        refund_no: Option<String>,
    },
    /// Accepted, final state later (notify or query).
    Processing,
    /// Refused or failed: the money stays with the merchant.
    Failed {
        /// The gateway's reason.
        reason: String,
    },
}

/// One line of a gateway's daily bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillLine {
    /// Our payment id.
    pub payment_id: String,
    /// The gateway's trade number.
    pub trade_no: String,
    /// Our refund id, for a refund line.
    pub refund_id: Option<String>,
    /// Paid in (positive) or refunded (negative).
    pub amount: Money,
}

/// The gateway's answer to a notify, in the form each gateway expects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotifyAnswer {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: &'static str,
    /// Body.
    pub body: String,
}

/// What went wrong talking to a gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayError {
    /// The gateway answered and refused (a definite outcome: nothing happened there).
    Refused(String),
    /// No definite answer (time-out, 5xx, unreadable answer): the outcome is unknown and a
    /// later query settles it.
    Unavailable(String),
    /// A notify or answer whose signature does not verify.
    BadSignature(String),
    /// A notify that cannot be read.
    Malformed(String),
}

impl fmt::Display for GatewayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GatewayError::Refused(why) => write!(f, "refused: {why}"),
            GatewayError::Unavailable(why) => write!(f, "unavailable: {why}"),
            GatewayError::BadSignature(why) => write!(f, "bad signature: {why}"),
            GatewayError::Malformed(why) => write!(f, "malformed: {why}"),
        }
    }
}

impl std::error::Error for GatewayError {}

/// A notify's headers (names lower-case) and raw body.
#[derive(Debug, Clone, Copy)]
pub struct Notify<'a> {
    /// Header name/value pairs, names lower-case.
    pub headers: &'a [(String, String)],
    /// The raw body.
    pub body: &'a [u8],
}

impl Notify<'_> {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A payment gateway (port). Implementations are the protocol only: no database, no ledger.
pub trait PaymentGateway: Send + Sync {
    /// The method name customers choose and the notify path names: `alipay`, `wechat`,
    /// `sandbox`.
    fn name(&self) -> &'static str;

    /// Creates the trade and says where the payer pays.
    fn create<'a>(
        &'a self,
        request: &'a CheckoutRequest<'a>,
    ) -> BoxFuture<'a, Result<Checkout, GatewayError>>;

    /// Checks a notify's signature and reads what it reports. Pure: no I/O.
    fn verify_notify(&self, notify: Notify<'_>) -> Result<GatewayEvent, GatewayError>;

    /// The answer the gateway expects to a notify that was (`true`) or was not taken.
    fn answer(&self, accepted: bool) -> NotifyAnswer;

    /// The trade of our payment, as the gateway sees it.
    fn query<'a>(&'a self, payment_id: &'a str) -> BoxFuture<'a, Result<TradeState, GatewayError>>;

    /// Closes an unpaid trade so that it can no longer be paid.
    fn close<'a>(&'a self, payment_id: &'a str) -> BoxFuture<'a, Result<(), GatewayError>>;

    /// Refunds part or all of a paid trade.
    fn refund<'a>(
        &'a self,
        request: &'a RefundRequest<'a>,
    ) -> BoxFuture<'a, Result<RefundState, GatewayError>>;

    /// Where an earlier refund stands.
    fn refund_status<'a>(
        &'a self,
        payment_id: &'a str,
        refund_id: &'a str,
    ) -> BoxFuture<'a, Result<RefundState, GatewayError>>;

    /// The bill of one calendar day in China time (UTC+8): every payment and refund the
    /// gateway booked that day.
    fn bill(&self, day: time::Date) -> BoxFuture<'_, Result<Vec<BillLine>, GatewayError>>;
}

/// The real time, for the timestamps of the gateways' wire protocols: they are checked
/// against real clocks on both sides (Alipay's request `timestamp`, WeChat Pay's five-minute
/// window), so the application's injected and possibly shifted clock must not be used.
pub(crate) fn wall_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
