//! The watch on cancelled names: which names are monitored, and the stray DNS traffic recorded
//! against them.

use yuming_core::clock::Timestamp;

use crate::{App, AppError};

/// Names cancelled through this flow whose stray-traffic watch is still running at now,
/// with its end: what the DNS server counts queries for.
pub async fn monitored_names(app: &App) -> Result<Vec<(String, Timestamp)>, AppError> {
    let mut tx = app.db().read().await?;
    let names = tx.monitored_names(app.now().0).await?;
    tx.commit().await?;
    Ok(names
        .into_iter()
        .map(|(n, until)| (n, Timestamp(until)))
        .collect())
}

/// Adds DNS queries counted for watched names (from the authoritative server) to their
/// watches, in one transaction. Counts for a name whose watch has ended are dropped: the
/// server's list of watched names trails the database by up to a minute.
pub async fn record_stray_traffic(app: &App, counts: &[(String, u64)]) -> Result<(), AppError> {
    if counts.iter().all(|(_, n)| *n == 0) {
        return Ok(());
    }
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    for (name, count) in counts.iter().filter(|(_, n)| *n > 0) {
        let count = i64::try_from(*count).unwrap_or(i64::MAX);
        tx.add_stray_queries(name, count, now).await?;
    }
    tx.commit().await?;
    Ok(())
}
