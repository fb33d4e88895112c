//! Roles, rights and the single access decision every entry point goes through.
//!
//! Every resource belongs to a tenant (the top-level customer account). A customer's
//! sub-accounts act inside the parent's tenant with a subset of rights granted by the parent.
//! Staff roles act across tenants with the rights of their role.

use std::fmt;

use crate::api_key::{Scope, ScopeSet, scope_for};

/// An account's role on the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// Operator with every right.
    Admin,
    /// Works the ICP review and real-name verification queues.
    Reviewer,
    /// Reads customer data to help them; changes nothing financial.
    Support,
    /// Top-ups, refunds, ledger reports.
    Finance,
    /// A customer (个人 / 企业), possibly a sub-account of an enterprise customer.
    Customer,
}

impl Role {
    /// Every role, for listings and parsing.
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Reviewer,
        Role::Support,
        Role::Finance,
        Role::Customer,
    ];

    /// The stable lowercase name used in storage, CLI and API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Reviewer => "reviewer",
            Role::Support => "support",
            Role::Finance => "finance",
            Role::Customer => "customer",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether this is a platform staff role that acts across tenants.
    pub fn is_staff(self) -> bool {
        self != Role::Customer
    }

    /// The rights this role holds (for a top-level account).
    pub fn rights(self) -> RightSet {
        match self {
            Role::Admin => RightSet::all(),
            Role::Reviewer => {
                RightSet::of(&[Right::ReviewQueue, Right::AuditRead, Right::DomainsRead])
            }
            Role::Support => RightSet::of(&[
                Right::DomainsRead,
                Right::BillingRead,
                Right::AuditRead,
                Right::CustomerAssist,
            ]),
            Role::Finance => {
                RightSet::of(&[Right::BillingRead, Right::BillingManage, Right::AuditRead])
            }
            Role::Customer => RightSet::customer_all(),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One right over a tenant's resources.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Right {
    /// See domains, contacts and orders.
    DomainsRead,
    /// Register, renew, transfer, change and cancel domains.
    DomainsManage,
    /// Change DNS records.
    DnsManage,
    /// See balance, ledger and orders.
    BillingRead,
    /// Spend the balance (needed together with `DomainsManage` for paid operations).
    BillingPay,
    /// Create and change ICP filings.
    IcpManage,
    /// Create and revoke API keys (interactive sessions only).
    ApiKeysManage,
    /// Manage webhook endpoints and read their delivery log.
    WebhooksManage,
    /// Read the audit log.
    AuditRead,
    /// Create sub-accounts and grant them rights.
    SubAccountsManage,
    /// Staff only: work review queues.
    ReviewQueue,
    /// Staff only: top-ups, refunds, credit limits.
    BillingManage,
    /// Staff only: catalogue, users and platform settings.
    PlatformAdmin,
    /// Staff only: act for a customer who asked, through explicit, audited actions (unlock a
    /// login, send the verification e-mail again) — never by logging in as them.
    CustomerAssist,
}

impl Right {
    /// Every right.
    pub const ALL: [Right; 14] = [
        Right::DomainsRead,
        Right::DomainsManage,
        Right::DnsManage,
        Right::BillingRead,
        Right::BillingPay,
        Right::IcpManage,
        Right::ApiKeysManage,
        Right::WebhooksManage,
        Right::AuditRead,
        Right::SubAccountsManage,
        Right::ReviewQueue,
        Right::BillingManage,
        Right::PlatformAdmin,
        Right::CustomerAssist,
    ];

    /// The stable name, e.g. `domains:read`.
    pub fn as_str(self) -> &'static str {
        match self {
            Right::DomainsRead => "domains:read",
            Right::DomainsManage => "domains:manage",
            Right::DnsManage => "dns:manage",
            Right::BillingRead => "billing:read",
            Right::BillingPay => "billing:pay",
            Right::IcpManage => "icp:manage",
            Right::ApiKeysManage => "api_keys:manage",
            Right::WebhooksManage => "webhooks:manage",
            Right::AuditRead => "audit:read",
            Right::SubAccountsManage => "sub_accounts:manage",
            Right::ReviewQueue => "staff:review",
            Right::BillingManage => "staff:billing",
            Right::PlatformAdmin => "staff:admin",
            Right::CustomerAssist => "staff:assist",
        }
    }

    /// Parses the stable name.
    pub fn parse(s: &str) -> Option<Right> {
        Right::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether a customer may hold (and grant to a sub-account) this right.
    pub fn is_customer_right(self) -> bool {
        !matches!(
            self,
            Right::ReviewQueue
                | Right::BillingManage
                | Right::PlatformAdmin
                | Right::CustomerAssist
        )
    }

    fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// A set of rights, stored as a comma-separated list of stable names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RightSet(u32);

impl RightSet {
    /// No rights.
    pub fn empty() -> Self {
        RightSet(0)
    }

    /// Every right.
    pub fn all() -> Self {
        RightSet::of(&Right::ALL)
    }

    /// Every right a customer can hold.
    pub fn customer_all() -> Self {
        let rights: Vec<Right> = Right::ALL
            .into_iter()
            .filter(|r| r.is_customer_right())
            .collect();
        RightSet::of(&rights)
    }

    /// The set of the given rights.
    pub fn of(rights: &[Right]) -> Self {
        RightSet(rights.iter().fold(0, |acc, r| acc | r.bit()))
    }

    /// Whether the set contains `right`.
    pub fn contains(self, right: Right) -> bool {
        self.0 & right.bit() != 0
    }

    /// The rights in either set.
    pub fn union(self, other: RightSet) -> Self {
        RightSet(self.0 | other.0)
    }

    /// The rights in both sets.
    pub fn intersection(self, other: RightSet) -> Self {
        RightSet(self.0 & other.0)
    }

    /// Whether every right of `other` is in this set.
    pub fn covers(self, other: RightSet) -> bool {
        self.0 & other.0 == other.0
    }

    /// The rights in a stable order.
    pub fn iter(self) -> impl Iterator<Item = Right> {
        Right::ALL.into_iter().filter(move |r| self.contains(*r))
    }

    /// The storage form, e.g. `domains:read,dns:manage`.
    pub fn to_storage(self) -> String {
        self.iter().map(Right::as_str).collect::<Vec<_>>().join(",")
    }

    /// Parses the storage form; unknown names are an error naming the first one.
    pub fn parse_list<'a>(names: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut set = RightSet::empty();
        for name in names {
            let name = name.trim();
            if name.is_empty() {
                continue;
            }
            match Right::parse(name) {
                Some(right) => set.0 |= right.bit(),
                None => return Err(name.to_owned()),
            }
        }
        Ok(set)
    }
}

/// How the actor proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMethod {
    /// A login session token.
    Session {
        /// The stored (hashed) session id.
        session_id: String,
    },
    /// A request signed with an API key.
    ApiKey {
        /// The public key id.
        key_id: String,
        /// What the key may do; the actor's rights are already narrowed to them.
        scopes: ScopeSet,
    },
    /// An operator command on the server (CLI).
    Operator,
    /// The platform itself (scheduler, background jobs).
    System,
}

/// Who is acting: resolved once per request and passed to every use case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The acting account.
    pub account_id: String,
    /// The tenant whose resources the actor works on (the parent for a sub-account).
    pub tenant_id: String,
    /// The account's role.
    pub role: Role,
    /// The rights the actor holds in its tenant (or across tenants for staff).
    pub rights: RightSet,
    /// How the actor authenticated.
    pub method: AuthMethod,
}

/// Why an access check failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Denied {
    /// The resource belongs to another tenant: answer as if it did not exist.
    NotFound,
    /// The resource is the actor's, but the actor lacks the right.
    Forbidden(Right),
    /// Staff may not decide on a submission of their own tenant (separation of duties).
    OwnSubmission,
    /// The account holds the right, but the API key making the request lacks the scope
    /// (`None`: no key can carry the right).
    MissingScope(Right, Option<Scope>),
    /// An account-security operation (password, TOTP, API keys, sessions) was attempted
    /// with an API key: it needs an interactive login session.
    InteractiveSessionRequired,
}

impl Actor {
    /// The platform itself, e.g. the scheduler.
    pub fn system() -> Actor {
        Actor {
            account_id: "system".into(),
            tenant_id: String::new(),
            role: Role::Admin,
            rights: RightSet::all(),
            method: AuthMethod::System,
        }
    }

    /// Whether the actor is a sub-account acting inside its parent's tenant.
    pub fn is_sub_account(&self) -> bool {
        self.account_id != self.tenant_id && self.role == Role::Customer
    }

    /// The one access decision: may this actor exercise `right` on a resource owned by
    /// `owner_tenant`? Another tenant's resource is `NotFound`, never `Forbidden`, so that
    /// existence does not leak.
    pub fn authorize(&self, owner_tenant: &str, right: Right) -> Result<(), Denied> {
        let same_tenant = owner_tenant == self.tenant_id;
        if !same_tenant && !self.role.is_staff() {
            return Err(Denied::NotFound);
        }
        if !self.rights.contains(right) {
            return Err(if same_tenant {
                self.missing(right)
            } else {
                Denied::NotFound
            });
        }
        Ok(())
    }

    /// [`Actor::authorize`] for a reviewer's decision, which must also come from outside the
    /// submitting tenant: nobody approves their own real-name, naming or filing submission.
    pub fn authorize_decision(&self, owner_tenant: &str, right: Right) -> Result<(), Denied> {
        self.authorize(owner_tenant, right)?;
        if owner_tenant == self.tenant_id {
            return Err(Denied::OwnSubmission);
        }
        Ok(())
    }

    /// May this actor exercise `right` in its own tenant (e.g. create a resource)?
    pub fn require(&self, right: Right) -> Result<(), Denied> {
        if self.rights.contains(right) {
            Ok(())
        } else {
            Err(self.missing(right))
        }
    }

    /// Account-security operations (password, TOTP, API keys, sessions) need a person at a
    /// login session (or an operator on the server): never an API key, so that a leaked key
    /// cannot lock its owner out or mint further keys.
    pub fn require_interactive(&self) -> Result<(), Denied> {
        match self.method {
            AuthMethod::Session { .. } | AuthMethod::Operator | AuthMethod::System => Ok(()),
            AuthMethod::ApiKey { .. } => Err(Denied::InteractiveSessionRequired),
        }
    }

    /// The denial for a right the actor lacks in its own tenant: a key's missing scope is
    /// named as such.
    fn missing(&self, right: Right) -> Denied {
        match &self.method {
            AuthMethod::ApiKey { scopes, .. } if !scopes.allows(right) => {
                Denied::MissingScope(right, scope_for(right))
            }
            _ => Denied::Forbidden(right),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customer(id: &str) -> Actor {
        Actor {
            account_id: id.into(),
            tenant_id: id.into(),
            role: Role::Customer,
            rights: Role::Customer.rights(),
            method: AuthMethod::Operator,
        }
    }

    #[test]
    fn another_tenants_resource_is_not_found() {
        let alice = customer("alice");
        assert_eq!(alice.authorize("alice", Right::DomainsManage), Ok(()));
        assert_eq!(
            alice.authorize("bob", Right::DomainsRead),
            Err(Denied::NotFound)
        );
    }

    #[test]
    fn sub_account_is_limited_to_granted_rights() {
        let sub = Actor {
            account_id: "sub".into(),
            tenant_id: "alice".into(),
            role: Role::Customer,
            rights: RightSet::of(&[Right::DomainsRead]),
            method: AuthMethod::Operator,
        };
        assert!(sub.is_sub_account());
        assert_eq!(sub.authorize("alice", Right::DomainsRead), Ok(()));
        assert_eq!(
            sub.authorize("alice", Right::DomainsManage),
            Err(Denied::Forbidden(Right::DomainsManage))
        );
        assert_eq!(
            sub.authorize("bob", Right::DomainsRead),
            Err(Denied::NotFound)
        );
    }

    #[test]
    fn staff_act_across_tenants_within_their_role() {
        let support = Actor {
            role: Role::Support,
            rights: Role::Support.rights(),
            ..customer("staff")
        };
        assert_eq!(support.authorize("alice", Right::DomainsRead), Ok(()));
        assert_eq!(
            support.authorize("alice", Right::DomainsManage),
            Err(Denied::NotFound)
        );
        assert!(!Role::Customer.rights().contains(Right::PlatformAdmin));
    }

    #[test]
    fn reviewers_never_decide_their_own_submissions() {
        let reviewer = Actor {
            role: Role::Reviewer,
            rights: Role::Reviewer.rights(),
            ..customer("rev")
        };
        assert_eq!(
            reviewer.authorize_decision("alice", Right::ReviewQueue),
            Ok(())
        );
        assert_eq!(
            reviewer.authorize_decision("rev", Right::ReviewQueue),
            Err(Denied::OwnSubmission)
        );
        assert_eq!(
            customer("alice").authorize_decision("alice", Right::ReviewQueue),
            Err(Denied::Forbidden(Right::ReviewQueue))
        );
    }

    #[test]
    fn api_keys_act_within_their_scopes_and_never_interactively() {
        let key = Actor {
            rights: Role::Customer
                .rights()
                .intersection(ScopeSet::of(&[Scope::Dns]).rights()),
            method: AuthMethod::ApiKey {
                key_id: "yk_1".into(),
                scopes: ScopeSet::of(&[Scope::Dns]),
            },
            ..customer("alice")
        };
        assert_eq!(key.authorize("alice", Right::DnsManage), Ok(()));
        assert_eq!(
            key.authorize("alice", Right::DomainsManage),
            Err(Denied::MissingScope(
                Right::DomainsManage,
                Some(Scope::Domains)
            ))
        );
        assert_eq!(
            key.require(Right::ApiKeysManage),
            Err(Denied::MissingScope(Right::ApiKeysManage, None))
        );
        assert_eq!(
            key.authorize("bob", Right::DomainsManage),
            Err(Denied::NotFound)
        );
        assert_eq!(
            key.require_interactive(),
            Err(Denied::InteractiveSessionRequired)
        );
        let session = Actor {
            method: AuthMethod::Session {
                session_id: "s".into(),
            },
            ..customer("alice")
        };
        assert_eq!(session.require_interactive(), Ok(()));
    }

    #[test]
    fn right_sets_round_trip_through_storage() {
        let set = RightSet::of(&[Right::DnsManage, Right::DomainsRead]);
        assert_eq!(set.to_storage(), "domains:read,dns:manage");
        assert_eq!(RightSet::parse_list(set.to_storage().split(',')), Ok(set));
        assert_eq!(
            RightSet::parse_list(["domains:read", "nope"]),
            Err("nope".to_owned())
        );
        assert_eq!(RightSet::parse_list([""]), Ok(RightSet::empty()));
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
    }
}
