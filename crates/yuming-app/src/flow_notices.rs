//! The one place where the lifecycle flows (transfers, changes of holder, cancellations)
//! hand a notice to the user.
//!
//! The notices service (e-mail, in-app, webhooks, per-kind channel choice) is built on the
//! `lifecycle-sched` branch as `crate::notices::enqueue(tx, …)`. Until it is merged, this
//! function writes the notice to the log under the `yuming::notice` target, inside the
//! caller's transaction boundary, and every flow already calls it at the right moment with the
//! right recipient, so wiring the service in is a change of this body only.

use serde_json::Value;
use yuming_store::Tx;

use crate::AppError;

/// Notifies `tenant` of `kind` (e.g. `transfer.requested`) with `detail`, as part of `tx`.
pub(crate) async fn notify(
    _tx: &mut Tx,
    tenant: &str,
    kind: &str,
    detail: &Value,
) -> Result<(), AppError> {
    tracing::info!(target: "yuming::notice", tenant, kind, %detail, "notice");
    Ok(())
}
