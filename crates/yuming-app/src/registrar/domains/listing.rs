//! A customer's domains: the list and one domain.

use yuming_core::access::{Actor, Right};
use yuming_store::ListedDomain;

use super::records::{DomainView, holds, project_row, view, view_of};
use super::renewal::ascii_of;
use crate::registrar::catalogue as stored_catalogue;
use crate::{App, AppError};

/// The caller's domains, by A-label, `limit` after `after`.
pub async fn list(
    app: &App,
    actor: &Actor,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<DomainView>, AppError> {
    actor.require(Right::DomainsRead)?;
    // One statement outside a transaction: every console page of the domain list asks this.
    let listed = app
        .db()
        .domains_page(&actor.tenant_id, after.unwrap_or(""), limit)
        .await?;
    views_of_listed(app, &listed).await
}

async fn views_of_listed(app: &App, listed: &[ListedDomain]) -> Result<Vec<DomainView>, AppError> {
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    listed
        .iter()
        .map(
            |ListedDomain {
                 row,
                 registrant_verified,
             }| {
                let tld = catalogue.tld(&row.tld).ok_or_else(|| {
                    AppError::internal(format!("TLD {} left the catalogue", row.tld))
                })?;
                let projection = project_row(row, tld, now)?;
                Ok(view(
                    row,
                    &projection,
                    holds(row, tld, *registrant_verified, now),
                ))
            },
        )
        .collect()
}

/// The orders a domain list can be read in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DomainOrder {
    /// By A-label.
    #[default]
    Name,
    /// Soonest expiry first (then by A-label).
    Expiry,
}

impl DomainOrder {
    /// Parses `name` or `expiry`.
    pub fn parse(text: &str) -> Option<DomainOrder> {
        match text {
            "name" => Some(DomainOrder::Name),
            "expiry" => Some(DomainOrder::Expiry),
            _ => None,
        }
    }

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            DomainOrder::Name => "name",
            DomainOrder::Expiry => "expiry",
        }
    }

    /// Where a page that ended with `view` goes on from: the A-label, or for the expiry
    /// order `<expires_at>.<A-label>`.
    fn cursor_of(self, view: &DomainView) -> String {
        match self {
            DomainOrder::Name => view.ascii.clone(),
            DomainOrder::Expiry => format!("{}.{}", view.expires_at.0, view.ascii),
        }
    }
}

/// `limit` names of the caller after the cursor `after` of `order`.
async fn page_in_order(
    app: &App,
    actor: &Actor,
    order: DomainOrder,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<DomainView>, AppError> {
    match order {
        DomainOrder::Name => list(app, actor, after, limit).await,
        DomainOrder::Expiry => {
            actor.require(Right::DomainsRead)?;
            let (expires, name) = match after {
                None => (i64::MIN, String::new()),
                Some(cursor) => {
                    let invalid = || {
                        AppError::bad_request(
                            "INVALID_CURSOR",
                            "the cursor is not one this list gave",
                            "分页游标无效",
                        )
                        .with_field("after")
                    };
                    let (at, name) = cursor.split_once('.').ok_or_else(invalid)?;
                    (at.parse::<i64>().map_err(|_| invalid())?, name.to_owned())
                }
            };
            let listed = app
                .db()
                .domains_page_by_expiry(&actor.tenant_id, expires, &name, limit)
                .await?;
            views_of_listed(app, &listed).await
        }
    }
}

/// One domain of the caller's tenant.
pub async fn get(app: &App, actor: &Actor, name: &str) -> Result<DomainView, AppError> {
    let catalogue = stored_catalogue::current(app).await?;
    let ascii = ascii_of(name)?;
    let mut tx = app.db().read().await?;
    let row = tx
        .domain_by_name(&ascii)
        .await?
        .ok_or_else(AppError::not_found)?;
    actor.authorize(&row.owner_id, Right::DomainsRead)?;
    let tld = catalogue
        .tld(&row.tld)
        .ok_or_else(|| AppError::internal(format!("TLD {} left the catalogue", row.tld)))?;
    let view = view_of(&mut tx, &row, tld, app.now()).await?;
    tx.commit().await?;
    Ok(view)
}

/// What a domain list can be narrowed to (the console's filters).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DomainFilter {
    /// A part of the name, in Unicode or A-labels, any case.
    pub contains: Option<String>,
    /// One TLD, Unicode or A-label (`中国`, `xn--fiqs8s`, `com`).
    pub tld: Option<String>,
    /// Only names in this state.
    pub state: Option<ListState>,
    /// Only active names that expire within this many days.
    pub expiring_within_days: Option<i64>,
}

/// The states a list can be narrowed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListState {
    /// Registered and not expired.
    Active,
    /// Expired: renewal grace, redemption or pending delete.
    Expired,
    /// The registry holds it (real-name or naming review): it does not resolve.
    Held,
}

impl ListState {
    /// Parses `active`, `expired` or `held`.
    pub fn parse(text: &str) -> Option<ListState> {
        match text {
            "active" => Some(ListState::Active),
            "expired" => Some(ListState::Expired),
            "held" => Some(ListState::Held),
            _ => None,
        }
    }
}

/// A page of a filtered list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilteredPage {
    /// The names that match, by A-label.
    pub domains: Vec<DomainView>,
    /// Pass as `after` to read on; `None` when every name was read.
    pub next_after: Option<String>,
}

/// Names read per statement while filtering.
const FILTER_CHUNK: i64 = 200;
/// Most names one filtered page reads; a page that stops there says where to go on.
const FILTER_SCAN_LIMIT: usize = 5_000;

impl DomainFilter {
    fn matches(&self, view: &DomainView, now: yuming_core::clock::Timestamp) -> bool {
        use yuming_core::lifecycle::Phase;
        if let Some(part) = &self.contains {
            let part = part.trim().to_lowercase();
            if !view.name.to_lowercase().contains(&part) && !view.ascii.contains(&part) {
                return false;
            }
        }
        if let Some(tld) = &self.tld {
            let tld = tld.trim().trim_start_matches('.').to_lowercase();
            let of = |name: &str| name.rsplit('.').next().unwrap_or("").to_owned();
            if of(&view.ascii) != tld && of(&view.name) != tld {
                return false;
            }
        }
        let state_ok = match self.state {
            None => true,
            Some(ListState::Active) => view.phase == Phase::Active,
            Some(ListState::Expired) => matches!(
                view.phase,
                Phase::AutoRenewGrace | Phase::Redemption | Phase::PendingDelete
            ),
            Some(ListState::Held) => !view.holds.is_empty(),
        };
        if !state_ok {
            return false;
        }
        match self.expiring_within_days {
            Some(days) => view.phase == Phase::Active && view.expires_at.0 <= now.0 + days * 86_400,
            None => true,
        }
    }
}

/// The caller's domains that match `filter`, by A-label, up to `limit` after `after`.
pub async fn list_filtered(
    app: &App,
    actor: &Actor,
    filter: &DomainFilter,
    after: Option<&str>,
    limit: usize,
) -> Result<FilteredPage, AppError> {
    list_sorted(app, actor, filter, DomainOrder::Name, after, limit).await
}

/// The caller's domains that match `filter`, in `order`, up to `limit` after the cursor
/// `after` (a page's `next_after`). Reads the list a chunk at a time and stops after
/// [`FILTER_SCAN_LIMIT`] names, so one request stays bounded however large the account; the
/// answer's `next_after` goes on from there.
pub async fn list_sorted(
    app: &App,
    actor: &Actor,
    filter: &DomainFilter,
    order: DomainOrder,
    after: Option<&str>,
    limit: usize,
) -> Result<FilteredPage, AppError> {
    let now = app.now();
    let limit = limit.clamp(1, 1_000);
    if *filter == DomainFilter::default() {
        // Nothing to narrow: one read of the page and one name more, to know whether
        // there is a next page.
        let mut domains = page_in_order(app, actor, order, after, limit as i64 + 1).await?;
        let more = domains.len() > limit;
        domains.truncate(limit);
        let next_after = more
            .then(|| domains.last().map(|d| order.cursor_of(d)))
            .flatten();
        return Ok(FilteredPage {
            domains,
            next_after,
        });
    }
    let mut cursor = after.map(str::to_owned);
    let mut found = Vec::new();
    let mut scanned = 0;
    loop {
        let chunk = page_in_order(app, actor, order, cursor.as_deref(), FILTER_CHUNK).await?;
        let read_all = (chunk.len() as i64) < FILTER_CHUNK;
        for view in chunk {
            scanned += 1;
            let at = order.cursor_of(&view);
            if filter.matches(&view, now) {
                found.push(view);
                if found.len() == limit {
                    return Ok(FilteredPage {
                        domains: found,
                        next_after: Some(at),
                    });
                }
            }
            cursor = Some(at);
        }
        if read_all {
            return Ok(FilteredPage {
                domains: found,
                next_after: None,
            });
        }
        if scanned >= FILTER_SCAN_LIMIT {
            return Ok(FilteredPage {
                domains: found,
                next_after: cursor,
            });
        }
    }
}
