//! Recomputing the stored IDN variant keys when the variant table changes.

use serde_json::json;
use yuming_core::rules::domain_name::{VARIANT_KEY_VERSION, variant_key};

use crate::platform::audit::{self, Change};
use crate::{App, AppError, RequestContext};

/// The setting that records under which [`VARIANT_KEY_VERSION`] the stored keys were computed.
const VARIANT_KEY_SETTING: &str = "domains.variant_key_version";

/// What [`rekey_variants`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RekeyReport {
    /// Whether the stored keys were from another version (and so were recomputed).
    pub ran: bool,
    /// Live rows whose key changed.
    pub rekeyed: usize,
    /// Live names that turn out to be variants of an older live name of the bundle (both
    /// registered before the variant data knew they belong together). They stay registered
    /// and keep their own A-label as key; the older name holds the bundle. Operators decide.
    pub conflicts: Vec<String>,
}

/// Recomputes `domains.variant_key` of live rows when the variant rules changed
/// ([`VARIANT_KEY_VERSION`] differs from the one stored), in one transaction; a no-op
/// otherwise. Called at start-up, before any availability index is built.
///
/// Within a bundle the oldest registration takes the bundle's key. A newer live name of the
/// same bundle cannot share it (the unique index allows one live holder), so it is keyed by
/// its own A-label, which no other row's key can equal, and reported.
pub async fn rekey_variants(app: &App) -> Result<RekeyReport, AppError> {
    use std::collections::HashSet;
    let mut tx = app.db().write().await?;
    if tx.setting(VARIANT_KEY_SETTING).await?.as_deref() == Some(VARIANT_KEY_VERSION) {
        tx.commit().await?;
        return Ok(RekeyReport::default());
    }
    let now = app.now();
    let rows = tx.live_variant_keys().await?;
    let mut holders: HashSet<String> = HashSet::new();
    let mut changes: Vec<(&str, String)> = Vec::new();
    let mut conflicts = Vec::new();
    // Oldest first: the first row of a bundle holds it.
    for (id, name, unicode, current) in &rows {
        let key = variant_key(unicode);
        let wanted = if holders.insert(key.clone()) {
            key
        } else {
            conflicts.push(unicode.clone());
            name.clone()
        };
        if &wanted != current {
            changes.push((id, wanted));
        }
    }
    // Two passes: a key may move from one row to another, and the unique index is checked
    // per statement.
    for (id, _) in &changes {
        tx.set_variant_key(id, &format!("\u{1}rekey:{id}"), now.0)
            .await?;
    }
    for (id, key) in &changes {
        tx.set_variant_key(id, key, now.0).await?;
    }
    tx.set_setting(VARIANT_KEY_SETTING, VARIANT_KEY_VERSION, now.0)
        .await?;
    if !changes.is_empty() {
        audit::record(
            app,
            &mut tx,
            &RequestContext::internal("rekey-variants"),
            "system",
            Change {
                action: "domain.variant_rekey",
                object_type: "domain",
                object_id: "variant_key",
                tenant: "",
                before: serde_json::Value::Null,
                after: json!({ "version": VARIANT_KEY_VERSION, "rekeyed": changes.len(),
                               "conflicts": conflicts }),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(RekeyReport {
        ran: true,
        rekeyed: changes.len(),
        conflicts,
    })
}
