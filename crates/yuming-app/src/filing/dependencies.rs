//! What the cancellation flow (注销) must hear from ICP filing before a domain goes: a filed
//! site, or an open filing order, ties the domain to the authority's records, and deleting it
//! first would leave a filing pointing at a name the holder no longer has.

use yuming_store::{DomainRow, Tx};

use crate::AppError;
use crate::registrar::cancellations::DependentFiling;

/// The filed sites and open orders that use `domain`, from the platform's filing tables.
pub(crate) async fn dependent_filings(
    tx: &mut Tx,
    domain: &DomainRow,
) -> Result<Vec<DependentFiling>, AppError> {
    let ties = tx.filing_ties_of_domain(&domain.name).await?;
    Ok(ties
        .into_iter()
        .map(|(site_id, site_no, _status, open_order)| match (site_no, open_order) {
            (_, Some(order)) => DependentFiling {
                number: order.clone(),
                note: format!(
                    "filing order {order} is open for this domain: finish or abandon it first \
                     (备案订单 {order} 正在办理，请先完成或放弃)"
                ),
            },
            (Some(number), None) => DependentFiling {
                number: number.clone(),
                note: format!(
                    "site {number} is filed with this domain: file a cancel-site or cancel-access \
                     order first (网站 {number} 已备案，请先办理注销网站或取消接入)"
                ),
            },
            (None, None) => DependentFiling {
                number: site_id,
                note: "a filed site uses this domain (该域名有已备案网站)".into(),
            },
        })
        .collect())
}
