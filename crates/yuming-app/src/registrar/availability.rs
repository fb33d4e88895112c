//! The per-instance availability index: every live registered name and variant key in
//! memory, so that availability checks (single and bulk) need no database round trip
//! (DESIGN: "cache-first"). Registration stays authoritative: the registry connector checks
//! again inside the paying transaction and the unique indexes decide races.
//!
//! The index follows the `domains` table by `updated_at`: this instance's own writes are
//! applied at once, other instances' within [`POLL_AFTER`] (plus a full reload every
//! [`RELOAD_AFTER`] to heal anything a delta could miss).

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use yuming_store::{HeldName, HeldNameChange};

use crate::{App, AppError};

/// How long a delta may be old before a check polls for changes.
pub const POLL_AFTER: Duration = Duration::from_secs(1);
/// How often the whole index is rebuilt.
pub const RELOAD_AFTER: Duration = Duration::from_secs(300);
/// How far back each delta looks before the newest change seen: a transaction that started
/// earlier may commit later, and request timeouts bound that delay well below this.
const DELTA_MARGIN_SECS: i64 = 60;

#[derive(Default)]
struct Index {
    by_name: HashMap<String, HeldName>,
    name_of_variant: HashMap<String, String>,
    watermark: i64,
    polled: Option<Instant>,
    loaded: Option<Instant>,
}

impl Index {
    fn apply(&mut self, change: HeldNameChange) {
        self.watermark = self.watermark.max(change.updated_at);
        let HeldNameChange {
            held, purged_at, ..
        } = change;
        if purged_at.is_some() {
            if self
                .by_name
                .get(&held.name)
                .is_some_and(|h| h.variant_key == held.variant_key)
            {
                self.by_name.remove(&held.name);
                if self.name_of_variant.get(&held.variant_key) == Some(&held.name) {
                    self.name_of_variant.remove(&held.variant_key);
                }
            }
        } else {
            self.name_of_variant
                .insert(held.variant_key.clone(), held.name.clone());
            self.by_name.insert(held.name.clone(), held);
        }
    }
}

/// The index; one per [`App`].
#[derive(Default)]
pub(crate) struct AvailabilityIndex {
    index: RwLock<Index>,
    refresh: tokio::sync::Mutex<()>,
}

impl AvailabilityIndex {
    /// Applies a change this instance just committed.
    pub(crate) fn note(&self, change: HeldNameChange) {
        if let Ok(mut index) = self.index.write() {
            index.apply(change);
        }
    }

    /// The live rows holding `name` and holding its variant key under another name.
    pub(crate) fn lookup(
        &self,
        name: &str,
        variant_key: &str,
    ) -> (Option<HeldName>, Option<HeldName>) {
        let Ok(index) = self.index.read() else {
            return (None, None);
        };
        let by_name = index.by_name.get(name).cloned();
        let by_variant = index
            .name_of_variant
            .get(variant_key)
            .filter(|holder| holder.as_str() != name)
            .and_then(|holder| index.by_name.get(holder))
            .cloned();
        (by_name, by_variant)
    }

    fn staleness(&self) -> (bool, bool) {
        let Ok(index) = self.index.read() else {
            return (true, true);
        };
        let reload = index.loaded.is_none_or(|t| t.elapsed() >= RELOAD_AFTER);
        let poll = index.polled.is_none_or(|t| t.elapsed() >= POLL_AFTER);
        (reload, poll)
    }
}

/// Polls for other instances' changes now, whatever the index's age (operators, tests).
pub async fn refresh_now(app: &App) -> Result<(), AppError> {
    if let Ok(mut index) = app.availability().index.write() {
        index.polled = None;
    }
    fresh(app).await
}

/// Brings the index up to date if it is older than [`POLL_AFTER`]; one refresh at a time.
pub(crate) async fn fresh(app: &App) -> Result<(), AppError> {
    let availability = app.availability();
    let (reload, poll) = availability.staleness();
    if !reload && !poll {
        return Ok(());
    }
    let _guard = availability.refresh.lock().await;
    let (reload, poll) = availability.staleness();
    if reload {
        let mut tx = app.db().read().await?;
        let rows = tx.all_held_names().await?;
        tx.commit().await?;
        let mut index = Index::default();
        for row in rows {
            index.apply(row);
        }
        let now = Instant::now();
        index.loaded = Some(now);
        index.polled = Some(now);
        if let Ok(mut current) = availability.index.write() {
            *current = index;
        }
    } else if poll {
        let since = availability.index.read().map(|i| i.watermark).unwrap_or(0) - DELTA_MARGIN_SECS;
        let mut tx = app.db().read().await?;
        let changes = tx.held_names_changed_since(since).await?;
        tx.commit().await?;
        if let Ok(mut index) = availability.index.write() {
            for change in changes {
                index.apply(change);
            }
            index.polled = Some(Instant::now());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(name: &str, key: &str, purged: bool, updated_at: i64) -> HeldNameChange {
        HeldNameChange {
            held: HeldName {
                name: name.into(),
                variant_key: key.into(),
                owner_id: "acc".into(),
                tld: "cn".into(),
                created_at: 0,
                expires_at: 0,
                deleted_at: None,
                restored_at: None,
            },
            purged_at: purged.then_some(updated_at),
            updated_at,
        }
    }

    #[test]
    fn names_variants_and_purges() {
        let mut index = Index::default();
        index.apply(change("xn--fiqz9s.cn", "中国.cn", false, 10));
        let availability = AvailabilityIndex {
            index: RwLock::new(index),
            ..AvailabilityIndex::default()
        };
        let (by_name, by_variant) = availability.lookup("xn--fiqs8s.cn", "中国.cn");
        assert!(by_name.is_none());
        assert_eq!(by_variant.map(|h| h.name), Some("xn--fiqz9s.cn".to_owned()));
        let (by_name, by_variant) = availability.lookup("xn--fiqz9s.cn", "中国.cn");
        assert!(by_name.is_some() && by_variant.is_none());
        availability.note(change("xn--fiqz9s.cn", "中国.cn", true, 20));
        assert_eq!(
            availability.lookup("xn--fiqz9s.cn", "中国.cn"),
            (None, None)
        );
        assert_eq!(
            availability.index.read().map(|i| i.watermark).unwrap_or(0),
            20
        );
    }
}
