//! The filing dashboard: orders by status, what ends within 30 days (domains of filed sites,
//! servers, certificates), the latest status changes, and for each open order an estimated
//! approval date from the platform's own history (median submission-to-approval time for
//! the same operation in the same province, else the operation's median everywhere).

use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::filing::estimate::{Estimator, PastApproval};

use crate::{App, AppError};

/// Days ahead the dashboard lists what ends.
pub const EXPIRY_HORIZON_DAYS: i64 = 30;

/// One open order with its estimate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOrder {
    /// Order id.
    pub id: String,
    /// Operation key.
    pub operation: String,
    /// Status key.
    pub status: String,
    /// Province code of the entity.
    pub province: u8,
    /// When it was submitted (none for drafts).
    pub submitted_at: Option<Timestamp>,
    /// Expected approval, when there is history to go by and it was submitted.
    pub estimated_approval: Option<Timestamp>,
    /// The median duration the estimate used, in seconds.
    pub median_secs: Option<i64>,
}

/// Something that ends soon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expiry {
    /// `domain`, `server` or `certificate`.
    pub kind: String,
    /// The domain, server address or certificate id.
    pub subject: String,
    /// When it ends.
    pub ends_at: Timestamp,
}

/// A status change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The order.
    pub order_id: String,
    /// Before.
    pub from: Option<String>,
    /// After.
    pub to: String,
    /// When.
    pub at: Timestamp,
}

/// The dashboard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dashboard {
    /// (status, orders), every status with at least one order.
    pub counts: Vec<(String, i64)>,
    /// Orders in all.
    pub total: i64,
    /// What ends within 30 days, soonest first.
    pub expiring: Vec<Expiry>,
    /// The latest status changes, newest first.
    pub recent_changes: Vec<Change>,
    /// Open orders with their estimates, newest first.
    pub open_orders: Vec<OpenOrder>,
}

/// The dashboard of the actor's tenant (staff: of the whole platform).
pub async fn dashboard(app: &App, actor: &Actor) -> Result<Dashboard, AppError> {
    // Customers see their tenant's filings; reviewers the platform's.
    let owner = if actor.role.is_staff() {
        actor.require(Right::ReviewQueue)?;
        None
    } else {
        actor.authorize(&actor.tenant_id, Right::IcpManage)?;
        Some(actor.tenant_id.as_str())
    };
    let now = app.now();
    let mut tx = app.db().read().await?;
    let counts = tx.filing_status_counts(owner).await?;
    let history = tx.filing_approval_history().await?;
    let open = tx.open_filing_orders(owner, 500).await?;
    let changes = tx.recent_filing_changes(owner, 20).await?;
    let expiring = tx
        .filing_expiries(owner, now.0, now.plus_days(EXPIRY_HORIZON_DAYS).0)
        .await?;
    tx.commit().await?;
    let estimator = Estimator::from_history(
        &history
            .into_iter()
            .map(|(operation, province, submitted, approved)| PastApproval {
                operation,
                province: u8::try_from(province).unwrap_or(0),
                duration_secs: approved - submitted,
            })
            .collect::<Vec<_>>(),
    );
    Ok(Dashboard {
        total: counts.iter().map(|(_, n)| n).sum(),
        counts,
        expiring: expiring
            .into_iter()
            .map(|(kind, subject, at)| Expiry {
                kind,
                subject,
                ends_at: Timestamp(at),
            })
            .collect(),
        recent_changes: changes
            .into_iter()
            .map(|(order_id, from, to, at)| Change {
                order_id,
                from,
                to,
                at: Timestamp(at),
            })
            .collect(),
        open_orders: open
            .into_iter()
            .map(|(id, operation, status, province, submitted)| {
                let province = u8::try_from(province).unwrap_or(0);
                let median_secs = estimator.median_secs(&operation, province);
                OpenOrder {
                    estimated_approval: submitted
                        .and_then(|s| estimator.estimate(&operation, province, Timestamp(s))),
                    median_secs: submitted.and(median_secs),
                    submitted_at: submitted.map(Timestamp),
                    id,
                    operation,
                    status,
                    province,
                }
            })
            .collect(),
    })
}
