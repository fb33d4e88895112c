//! How outbound delivery is doing, for administrators: the e-mail and SMS outbox per status
//! with the latest errors, and customers' webhook endpoints that keep failing.

use yuming_core::access::{Actor, Right};
pub use yuming_store::{FailingEndpointRow, OutboxHealthRow};

use crate::{App, AppError};

/// Delivery health.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryHealth {
    /// Whether `smtp_url` is set (without it e-mail stays in the outbox).
    pub smtp_configured: bool,
    /// Notices per channel and status.
    pub outbox: Vec<OutboxHealthRow>,
    /// The latest delivery errors of unsent notices: channel, error, created.
    pub outbox_errors: Vec<(String, String, i64)>,
    /// Webhook endpoints with failed or retried deliveries in the last week.
    pub failing_webhooks: Vec<FailingEndpointRow>,
}

/// How far back failing webhook deliveries are counted.
const WEBHOOK_WINDOW_SECS: i64 = 7 * 24 * 3600;

/// Delivery health (administrators).
pub async fn delivery(app: &App, actor: &Actor) -> Result<DeliveryHealth, AppError> {
    actor.require(Right::PlatformAdmin)?;
    let since = app.now().0 - WEBHOOK_WINDOW_SECS;
    let mut tx = app.db().read().await?;
    let outbox = tx.outbox_health().await?;
    let outbox_errors = tx.outbox_errors(10).await?;
    let failing_webhooks = tx.failing_webhook_endpoints(since, 50).await?;
    tx.commit().await?;
    Ok(DeliveryHealth {
        smtp_configured: app.mailer().is_some(),
        outbox,
        outbox_errors,
        failing_webhooks,
    })
}
