//! Servers and the operator's IP pools: a site's server IP must lie in one of the pools.

use std::net::IpAddr;

use ipnet::IpNet;

use serde_json::{Value, json};
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_store::{IpPoolRow, ServerRow};

use crate::filing::FilingError;
use crate::platform::audit::{self, Change};
use crate::platform::crypto::new_id;
use crate::{App, AppError, RequestContext};

use super::shape::bounded;
use super::views::{IpPoolView, ServerView};

/// A customer's server as submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerInput {
    /// The address.
    pub ip: String,
    /// Region name.
    pub region: String,
    /// End of the server's term.
    pub expires_at: Timestamp,
}

/// Adds (or imports, several at once) servers of the actor's account. All or nothing.
pub async fn add_servers(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    inputs: &[ServerInput],
) -> Result<Vec<ServerView>, AppError> {
    actor.require(Right::IcpManage)?;
    if inputs.is_empty() || inputs.len() > 500 {
        return Err(FilingError::ServerBatchSize.into());
    }
    let now = app.now();
    let mut rows = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        let ip: IpAddr = input
            .ip
            .trim()
            .parse()
            .map_err(|_| FilingError::InvalidIp {
                field: format!("servers[{i}].ip"),
            })?;
        bounded(&input.region, &format!("servers[{i}].region"), 64)?;
        rows.push(ServerRow {
            id: new_id("fsv"),
            owner_id: actor.tenant_id.clone(),
            ip: ip.to_string(),
            region: input.region.trim().to_owned(),
            expires_at: input.expires_at.0,
            created_at: now.0,
        });
    }
    let mut tx = app.db().write().await?;
    for (i, row) in rows.iter().enumerate() {
        tx.insert_server(row).await.map_err(|e| {
            if matches!(e, yuming_store::StoreError::Conflict(_)) {
                AppError::from(FilingError::ServerTaken).with_field(format!("servers[{i}].ip"))
            } else {
                e.into()
            }
        })?;
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.servers.add",
            object_type: "filing_server",
            object_id: &rows[0].id,
            tenant: &actor.tenant_id,
            before: Value::Null,
            after: json!({"ips": rows.iter().map(|r| r.ip.as_str()).collect::<Vec<_>>()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(ServerView::from).collect())
}

/// The actor's servers.
pub async fn list_servers(app: &App, actor: &Actor) -> Result<Vec<ServerView>, AppError> {
    actor.require(Right::IcpManage)?;
    let mut tx = app.db().read().await?;
    let rows = tx.servers_of_owner(&actor.tenant_id).await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(ServerView::from).collect())
}

/// Adds a provider address pool (admin).
pub async fn add_ip_pool(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    cidr: &str,
    region: &str,
    mainland: bool,
) -> Result<IpPoolView, AppError> {
    actor.require(Right::PlatformAdmin)?;
    if parse_cidr(cidr).is_none() {
        return Err(FilingError::InvalidCidr.into());
    }
    bounded(region, "region", 64)?;
    let row = IpPoolRow {
        id: new_id("fip"),
        cidr: cidr.trim().to_owned(),
        region: region.trim().to_owned(),
        mainland,
        created_at: app.now().0,
    };
    let mut tx = app.db().write().await?;
    tx.insert_ip_pool(&row).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.ip_pool.add",
            object_type: "filing_ip_pool",
            object_id: &row.id,
            tenant: "",
            before: Value::Null,
            after: json!({"cidr": row.cidr, "region": row.region, "mainland": mainland}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row.into())
}

/// Every address pool (admin).
pub async fn list_ip_pools(app: &App, actor: &Actor) -> Result<Vec<IpPoolView>, AppError> {
    actor.require(Right::PlatformAdmin)?;
    let mut tx = app.db().read().await?;
    let rows = tx.ip_pools().await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(IpPoolView::from).collect())
}

/// An address pool as entered: `203.0.113.0/24`, `2001:db8::/32` or a single address (a
/// pool of one).
fn parse_cidr(cidr: &str) -> Option<IpNet> {
    let text = cidr.trim();
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

/// Whether `ip` lies in the pool `cidr` (never, when the pool does not parse).
pub(super) fn cidr_contains(cidr: &str, ip: &IpAddr) -> bool {
    parse_cidr(cidr).is_some_and(|net| net.contains(ip))
}

#[cfg(test)]
mod tests {
    use super::{cidr_contains, parse_cidr};

    #[test]
    fn pools_hold_the_addresses_of_their_prefix() {
        let ip = |s: &str| s.parse().expect("ip");
        assert!(cidr_contains("203.0.113.0/24", &ip("203.0.113.200")));
        assert!(!cidr_contains("203.0.113.0/24", &ip("203.0.114.1")));
        assert!(
            cidr_contains(" 198.51.100.7 ", &ip("198.51.100.7")),
            "a pool of one"
        );
        assert!(!cidr_contains("198.51.100.7", &ip("198.51.100.8")));
        assert!(cidr_contains("2001:db8::/32", &ip("2001:db8:1::5")));
        assert!(
            !cidr_contains("2001:db8::/32", &ip("203.0.113.1")),
            "families differ"
        );
        assert!(cidr_contains("0.0.0.0/0", &ip("192.0.2.1")));
        for bad in [
            "",
            "203.0.113.0/33",
            "2001:db8::/129",
            "example.cn",
            "203.0.113.0/x",
        ] {
            assert!(parse_cidr(bad).is_none(), "{bad}");
            assert!(!cidr_contains(bad, &ip("203.0.113.1")), "{bad}");
        }
    }
}
