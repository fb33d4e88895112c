//! What an API key may do: its scopes (which rights of its account it carries), the source
//! addresses it may be used from, and its call quotas.
//!
//! A key never carries account-security rights (API keys, sub-accounts): those operations,
//! like password and TOTP changes and sessions, need an interactive login session
//! ([`crate::access::Actor::require_interactive`]).

use std::net::IpAddr;

use ipnet::IpNet;

use crate::access::{Right, RightSet};

/// One scope of an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Read domains, contacts, orders, balance, the ledger and the audit log.
    Read,
    /// Register, renew, transfer, change and cancel domains (and read them).
    Domains,
    /// Change hosted DNS records (and read the domains they belong to).
    Dns,
    /// Spend the balance (needed with `domains` for paid operations) and read billing.
    Billing,
    /// ICP filing (备案).
    Filing,
    /// Webhook endpoints and their delivery log.
    Webhooks,
    /// Platform staff work (review queues, finance, administration), for staff accounts.
    Staff,
}

impl Scope {
    /// Every scope, in display order.
    pub const ALL: [Scope; 7] = [
        Scope::Read,
        Scope::Domains,
        Scope::Dns,
        Scope::Billing,
        Scope::Filing,
        Scope::Webhooks,
        Scope::Staff,
    ];

    /// The stable name used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Domains => "domains",
            Scope::Dns => "dns",
            Scope::Billing => "billing",
            Scope::Filing => "filing",
            Scope::Webhooks => "webhooks",
            Scope::Staff => "staff",
        }
    }

    /// Parses the stable name.
    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The rights of its account this scope lets a key exercise.
    pub fn rights(self) -> RightSet {
        match self {
            Scope::Read => {
                RightSet::of(&[Right::DomainsRead, Right::BillingRead, Right::AuditRead])
            }
            Scope::Domains => RightSet::of(&[Right::DomainsRead, Right::DomainsManage]),
            Scope::Dns => RightSet::of(&[Right::DomainsRead, Right::DnsManage]),
            Scope::Billing => RightSet::of(&[Right::BillingRead, Right::BillingPay]),
            Scope::Filing => RightSet::of(&[Right::IcpManage]),
            Scope::Webhooks => RightSet::of(&[Right::WebhooksManage]),
            Scope::Staff => RightSet::of(&[
                Right::ReviewQueue,
                Right::BillingManage,
                Right::PlatformAdmin,
                Right::CustomerAssist,
            ]),
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// Which scope a key needs to exercise `right`; `None` for rights no key can carry
/// (managing API keys and sub-accounts needs an interactive session).
pub fn scope_for(right: Right) -> Option<Scope> {
    match right {
        Right::DomainsRead | Right::BillingRead | Right::AuditRead => Some(Scope::Read),
        Right::DomainsManage => Some(Scope::Domains),
        Right::DnsManage => Some(Scope::Dns),
        Right::BillingPay => Some(Scope::Billing),
        Right::IcpManage => Some(Scope::Filing),
        Right::WebhooksManage => Some(Scope::Webhooks),
        Right::ReviewQueue
        | Right::BillingManage
        | Right::PlatformAdmin
        | Right::CustomerAssist => Some(Scope::Staff),
        Right::ApiKeysManage | Right::SubAccountsManage => None,
    }
}

/// A set of scopes, stored as a comma-separated list of names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct ScopeSet(u8);

impl ScopeSet {
    /// Every scope (keys created before scopes existed).
    pub fn all() -> ScopeSet {
        ScopeSet::of(&Scope::ALL)
    }

    /// The set of the given scopes.
    pub fn of(scopes: &[Scope]) -> ScopeSet {
        ScopeSet(scopes.iter().fold(0, |acc, s| acc | s.bit()))
    }

    /// Whether the set holds `scope`.
    pub fn contains(self, scope: Scope) -> bool {
        self.0 & scope.bit() != 0
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The scopes in display order.
    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// The rights these scopes let a key exercise (before intersecting with the account's).
    pub fn rights(self) -> RightSet {
        self.iter()
            .fold(RightSet::empty(), |acc, scope| acc.union(scope.rights()))
    }

    /// Whether a key with these scopes may exercise `right`.
    pub fn allows(self, right: Right) -> bool {
        self.rights().contains(right)
    }

    /// The storage form, e.g. `read,dns`.
    pub fn to_storage(self) -> String {
        self.iter().map(Scope::as_str).collect::<Vec<_>>().join(",")
    }

    /// Parses names (storage form split on commas, or the API's list); an unknown name is
    /// an error naming it. Empty names are skipped.
    pub fn parse_list<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<ScopeSet, String> {
        let mut set = ScopeSet::default();
        for name in names {
            let name = name.trim();
            if name.is_empty() {
                continue;
            }
            match Scope::parse(name) {
                Some(scope) => set.0 |= scope.bit(),
                None => return Err(name.to_owned()),
            }
        }
        Ok(set)
    }
}

/// Most networks in one key's source allow-list.
pub const MAX_ALLOWED_NETWORKS: usize = 32;

/// The source networks a key may be used from; empty means any source.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceAllowList(Vec<IpNet>);

/// Why an allow-list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AllowListError {
    /// `INVALID_CIDR` (400): not an address or `address/prefix`.
    #[error("{0:?} is not an IP address or CIDR network")]
    Invalid(String),
    /// `TOO_MANY_CIDRS` (400).
    #[error("at most {MAX_ALLOWED_NETWORKS} networks")]
    TooMany,
}

impl SourceAllowList {
    /// Parses networks such as `203.0.113.0/24`, `2001:db8::/48` or a single address
    /// (a /32 or /128). Host bits are cleared (`10.1.2.3/8` is `10.0.0.0/8`).
    pub fn parse<'a>(
        items: impl IntoIterator<Item = &'a str>,
    ) -> Result<SourceAllowList, AllowListError> {
        let mut nets = Vec::new();
        for item in items {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            let net = match item.parse::<IpNet>() {
                Ok(net) => net.trunc(),
                Err(_) => match item.parse::<IpAddr>() {
                    Ok(addr) => IpNet::from(addr),
                    Err(_) => return Err(AllowListError::Invalid(item.to_owned())),
                },
            };
            if !nets.contains(&net) {
                nets.push(net);
            }
        }
        if nets.len() > MAX_ALLOWED_NETWORKS {
            return Err(AllowListError::TooMany);
        }
        Ok(SourceAllowList(nets))
    }

    /// Whether any source may use the key.
    pub fn is_any(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a request from `source` may use the key. With a list, a request whose source
    /// is unknown is refused. An IPv4-mapped IPv6 source is matched as IPv4.
    pub fn allows(&self, source: Option<IpAddr>) -> bool {
        if self.0.is_empty() {
            return true;
        }
        let Some(source) = source else {
            return false;
        };
        let source = match source {
            IpAddr::V6(v6) => v6
                .to_ipv4_mapped()
                .map(IpAddr::V4)
                .unwrap_or(IpAddr::V6(v6)),
            v4 => v4,
        };
        self.0.iter().any(|net| net.contains(&source))
    }

    /// The networks in canonical text form.
    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }

    /// The storage form: networks joined by commas.
    pub fn to_storage(&self) -> String {
        self.to_strings().join(",")
    }
}

/// Call quotas of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Calls per minute (fixed UTC minute windows).
    pub per_minute: i64,
    /// Calls per day (fixed UTC days).
    pub per_day: i64,
}

impl Quota {
    /// Quotas of a key whose owner chose none (and of keys from before quotas existed).
    pub const DEFAULT: Quota = Quota {
        per_minute: 600,
        per_day: 100_000,
    };
    /// The highest quotas an owner may choose.
    pub const MAX: Quota = Quota {
        per_minute: 1_000_000,
        per_day: 1_000_000_000,
    };

    /// Checks chosen quotas (each 1 to the maximum, and a day holding at least a minute);
    /// the error names the offending field.
    pub fn new(per_minute: Option<i64>, per_day: Option<i64>) -> Result<Quota, &'static str> {
        let per_minute = per_minute.unwrap_or(Quota::DEFAULT.per_minute);
        let per_day = per_day.unwrap_or(Quota::DEFAULT.per_day.max(per_minute));
        if !(1..=Quota::MAX.per_minute).contains(&per_minute) {
            return Err("per_minute");
        }
        if !(1..=Quota::MAX.per_day).contains(&per_day) || per_day < per_minute {
            return Err("per_day");
        }
        Ok(Quota {
            per_minute,
            per_day,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip_and_map_rights() {
        let set = ScopeSet::parse_list(["dns", " read", ""]).expect("parse");
        assert_eq!(set.to_storage(), "read,dns");
        assert_eq!(ScopeSet::parse_list(set.to_storage().split(',')), Ok(set));
        assert_eq!(
            ScopeSet::parse_list(["read", "admin"]),
            Err("admin".to_owned())
        );
        assert!(set.allows(Right::DnsManage));
        assert!(set.allows(Right::DomainsRead));
        assert!(!set.allows(Right::DomainsManage));
        assert!(!set.allows(Right::BillingPay));
        for right in Right::ALL {
            match scope_for(right) {
                Some(scope) => assert!(scope.rights().contains(right), "{right:?}"),
                None => assert!(!ScopeSet::all().allows(right), "{right:?}"),
            }
        }
        assert!(!ScopeSet::all().allows(Right::ApiKeysManage));
        assert!(!ScopeSet::all().allows(Right::SubAccountsManage));
    }

    #[test]
    fn allow_lists() {
        let list = SourceAllowList::parse(["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"])
            .expect("parse");
        let ip = |s: &str| Some(s.parse::<IpAddr>().expect("ip"));
        assert!(list.allows(ip("203.0.113.200")));
        assert!(list.allows(ip("::ffff:203.0.113.5")));
        assert!(list.allows(ip("198.51.100.7")));
        assert!(!list.allows(ip("198.51.100.8")));
        assert!(list.allows(ip("2001:db8:1::1")));
        assert!(!list.allows(ip("2001:db9::1")));
        assert!(!list.allows(None));
        assert!(SourceAllowList::default().allows(None));
        assert_eq!(
            SourceAllowList::parse(["10.1.2.3/8"]).map(|l| l.to_storage()),
            Ok("10.0.0.0/8".to_owned())
        );
        assert_eq!(
            SourceAllowList::parse(["10.0.0.0/33"]),
            Err(AllowListError::Invalid("10.0.0.0/33".into()))
        );
        assert!(SourceAllowList::parse(["example.com"]).is_err());
        let many: Vec<String> = (0..33).map(|i| format!("10.0.{i}.0/24")).collect();
        assert_eq!(
            SourceAllowList::parse(many.iter().map(String::as_str)),
            Err(AllowListError::TooMany)
        );
    }

    #[test]
    fn quotas() {
        assert_eq!(Quota::new(None, None), Ok(Quota::DEFAULT));
        assert_eq!(
            Quota::new(Some(10), Some(100)),
            Ok(Quota {
                per_minute: 10,
                per_day: 100
            })
        );
        assert_eq!(Quota::new(Some(0), None), Err("per_minute"));
        assert_eq!(Quota::new(Some(100), Some(10)), Err("per_day"));
        assert_eq!(
            Quota::new(Some(1_000_000), None).map(|q| q.per_day),
            Ok(1_000_000)
        );
    }
}
