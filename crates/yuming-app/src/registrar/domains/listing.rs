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
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    // One statement outside a transaction: every console page of the domain list asks this.
    let listed = app
        .db()
        .domains_page(&actor.tenant_id, after.unwrap_or(""), limit)
        .await?;
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
