//! EPP domain status values (RFC 5731 §2.3), their Chinese labels, the rules
//! on combining them, and which operations a set of them blocks (spec §4.1).
//!
//! Combination rules (RFC 5731 §2.3):
//! - `ok` must not be combined with any other status;
//! - `pendingDelete`/`pendingRenew`/`pendingTransfer`/`pendingUpdate` must
//!   not be combined with the matching `client*`/`server*Prohibited`;
//! - at most one `pending*` status at a time.
//!
//! Everything else may be combined.

use std::fmt;
use std::str::FromStr;

use super::{Checked, Findings, code};

/// One of the 17 RFC 5731 domain status values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EppStatus {
    /// `clientDeleteProhibited`.
    ClientDeleteProhibited,
    /// `clientHold`: not published in DNS, set by the registrar.
    ClientHold,
    /// `clientRenewProhibited`.
    ClientRenewProhibited,
    /// `clientTransferProhibited`.
    ClientTransferProhibited,
    /// `clientUpdateProhibited`.
    ClientUpdateProhibited,
    /// `inactive`: no delegation hosts.
    Inactive,
    /// `ok`: no pending operation and no prohibition.
    Ok,
    /// `pendingCreate`.
    PendingCreate,
    /// `pendingDelete`.
    PendingDelete,
    /// `pendingRenew`.
    PendingRenew,
    /// `pendingTransfer`.
    PendingTransfer,
    /// `pendingUpdate`.
    PendingUpdate,
    /// `serverDeleteProhibited`.
    ServerDeleteProhibited,
    /// `serverHold`: not published in DNS, set by the registry.
    ServerHold,
    /// `serverRenewProhibited`.
    ServerRenewProhibited,
    /// `serverTransferProhibited`.
    ServerTransferProhibited,
    /// `serverUpdateProhibited`.
    ServerUpdateProhibited,
}

impl EppStatus {
    /// All 17 values in RFC order.
    pub const ALL: [EppStatus; 17] = [
        EppStatus::ClientDeleteProhibited,
        EppStatus::ClientHold,
        EppStatus::ClientRenewProhibited,
        EppStatus::ClientTransferProhibited,
        EppStatus::ClientUpdateProhibited,
        EppStatus::Inactive,
        EppStatus::Ok,
        EppStatus::PendingCreate,
        EppStatus::PendingDelete,
        EppStatus::PendingRenew,
        EppStatus::PendingTransfer,
        EppStatus::PendingUpdate,
        EppStatus::ServerDeleteProhibited,
        EppStatus::ServerHold,
        EppStatus::ServerRenewProhibited,
        EppStatus::ServerTransferProhibited,
        EppStatus::ServerUpdateProhibited,
    ];

    /// The EPP wire name, e.g. `clientHold`.
    pub fn as_epp(self) -> &'static str {
        match self {
            EppStatus::ClientDeleteProhibited => "clientDeleteProhibited",
            EppStatus::ClientHold => "clientHold",
            EppStatus::ClientRenewProhibited => "clientRenewProhibited",
            EppStatus::ClientTransferProhibited => "clientTransferProhibited",
            EppStatus::ClientUpdateProhibited => "clientUpdateProhibited",
            EppStatus::Inactive => "inactive",
            EppStatus::Ok => "ok",
            EppStatus::PendingCreate => "pendingCreate",
            EppStatus::PendingDelete => "pendingDelete",
            EppStatus::PendingRenew => "pendingRenew",
            EppStatus::PendingTransfer => "pendingTransfer",
            EppStatus::PendingUpdate => "pendingUpdate",
            EppStatus::ServerDeleteProhibited => "serverDeleteProhibited",
            EppStatus::ServerHold => "serverHold",
            EppStatus::ServerRenewProhibited => "serverRenewProhibited",
            EppStatus::ServerTransferProhibited => "serverTransferProhibited",
            EppStatus::ServerUpdateProhibited => "serverUpdateProhibited",
        }
    }

    /// Parses an EPP wire name; EPP tokens are case-sensitive.
    pub fn from_epp(name: &str) -> Option<EppStatus> {
        EppStatus::ALL
            .into_iter()
            .find(|status| status.as_epp() == name)
    }

    /// The zh-CN label registrar consoles show (spec §4.1); labels for the
    /// pending states the spec does not list are ours.
    pub fn label_zh(self) -> &'static str {
        match self {
            EppStatus::ClientDeleteProhibited => "注册商禁止删除",
            EppStatus::ClientHold => "注册商暂停解析",
            EppStatus::ClientRenewProhibited => "注册商禁止续费",
            EppStatus::ClientTransferProhibited => "注册商禁止转移",
            EppStatus::ClientUpdateProhibited => "注册商禁止更新",
            EppStatus::Inactive => "非激活状态",
            EppStatus::Ok => "正常",
            EppStatus::PendingCreate => "注册处理中",
            EppStatus::PendingDelete => "删除期",
            EppStatus::PendingRenew => "续费处理中",
            EppStatus::PendingTransfer => "转移中",
            EppStatus::PendingUpdate => "更新处理中",
            EppStatus::ServerDeleteProhibited => "注册局禁止删除",
            EppStatus::ServerHold => "注册局暂停解析",
            EppStatus::ServerRenewProhibited => "注册局禁止续费",
            EppStatus::ServerTransferProhibited => "注册局禁止转移",
            EppStatus::ServerUpdateProhibited => "注册局禁止更新",
        }
    }

    /// Whether the registrar sets and clears this status (`client*`).
    pub fn is_client(self) -> bool {
        self.as_epp().starts_with("client")
    }

    /// Whether only the registry sets and clears this status (`server*`).
    pub fn is_server(self) -> bool {
        self.as_epp().starts_with("server")
    }

    /// Whether this is one of the five `pending*` statuses.
    pub fn is_pending(self) -> bool {
        self.as_epp().starts_with("pending")
    }

    /// The operation a `*Prohibited` status forbids.
    pub fn prohibition(self) -> Option<Operation> {
        match self {
            EppStatus::ClientDeleteProhibited | EppStatus::ServerDeleteProhibited => {
                Some(Operation::Delete)
            }
            EppStatus::ClientRenewProhibited | EppStatus::ServerRenewProhibited => {
                Some(Operation::Renew)
            }
            EppStatus::ClientTransferProhibited | EppStatus::ServerTransferProhibited => {
                Some(Operation::Transfer)
            }
            EppStatus::ClientUpdateProhibited | EppStatus::ServerUpdateProhibited => {
                Some(Operation::Update)
            }
            _ => None,
        }
    }

    /// The operation a `pending*` status is waiting on (none for
    /// `pendingCreate`, which precedes the object's existence).
    pub fn pending_operation(self) -> Option<Operation> {
        match self {
            EppStatus::PendingDelete => Some(Operation::Delete),
            EppStatus::PendingRenew => Some(Operation::Renew),
            EppStatus::PendingTransfer => Some(Operation::Transfer),
            EppStatus::PendingUpdate => Some(Operation::Update),
            _ => None,
        }
    }
}

impl fmt::Display for EppStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_epp())
    }
}

/// A string that is not one of the 17 RFC 5731 status values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown epp status value")]
pub struct UnknownStatus;

impl FromStr for EppStatus {
    type Err = UnknownStatus;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        EppStatus::from_epp(name).ok_or(UnknownStatus)
    }
}

/// A transform operation that statuses can block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    /// `<domain:delete>`.
    Delete,
    /// `<domain:renew>`.
    Renew,
    /// `<domain:transfer op="request">`.
    Transfer,
    /// `<domain:update>`.
    Update,
}

impl Operation {
    /// All four operations.
    pub const ALL: [Operation; 4] = [
        Operation::Delete,
        Operation::Renew,
        Operation::Transfer,
        Operation::Update,
    ];

    /// Lowercase English name, e.g. `transfer`.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Delete => "delete",
            Operation::Renew => "renew",
            Operation::Transfer => "transfer",
            Operation::Update => "update",
        }
    }

    /// Chinese name, e.g. `转移`.
    pub fn label_zh(self) -> &'static str {
        match self {
            Operation::Delete => "删除",
            Operation::Renew => "续费",
            Operation::Transfer => "转移",
            Operation::Update => "更新",
        }
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A non-empty, duplicate-free status set that satisfies RFC 5731.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct StatusSet(Vec<EppStatus>);

impl StatusSet {
    /// The statuses in RFC order.
    pub fn as_slice(&self) -> &[EppStatus] {
        &self.0
    }

    /// Whether `status` is in the set.
    pub fn contains(&self, status: EppStatus) -> bool {
        self.0.contains(&status)
    }

    /// The statuses in the set that block `operation`.
    ///
    /// Besides the matching `*Prohibited` statuses: `pendingDelete` blocks
    /// everything (only an RGP restore, which callers handle separately,
    /// may touch a name being deleted); `pendingCreate` blocks everything
    /// (the object does not exist yet); `pendingTransfer` blocks delete
    /// (spec §4.1) and a second transfer.
    ///
    /// A `clientUpdateProhibited` update that only removes that status is
    /// still allowed by RFC 5731; callers check for that case themselves.
    pub fn blocking(&self, operation: Operation) -> Vec<EppStatus> {
        self.0
            .iter()
            .copied()
            .filter(|status| blocks(*status, operation))
            .collect()
    }

    /// Whether `operation` is blocked.
    pub fn prohibits(&self, operation: Operation) -> bool {
        !self.blocking(operation).is_empty()
    }

    /// All blocked operations.
    pub fn prohibited_operations(&self) -> Vec<Operation> {
        Operation::ALL
            .into_iter()
            .filter(|operation| self.prohibits(*operation))
            .collect()
    }

    /// Whether DNS delegation is published: no hold and not inactive.
    pub fn resolves(&self) -> bool {
        !self.0.iter().any(|status| {
            matches!(
                status,
                EppStatus::ClientHold | EppStatus::ServerHold | EppStatus::Inactive
            )
        })
    }
}

fn blocks(status: EppStatus, operation: Operation) -> bool {
    status.prohibition() == Some(operation)
        || matches!(status, EppStatus::PendingDelete | EppStatus::PendingCreate)
        || (status == EppStatus::PendingTransfer
            && matches!(operation, Operation::Delete | Operation::Transfer))
}

/// Validates a status set against the RFC 5731 combination rules.
/// Duplicates are dropped with a warning.
pub fn validate_status_set(statuses: &[EppStatus]) -> Checked<StatusSet> {
    let mut findings = Findings::new();
    let mut set: Vec<EppStatus> = statuses.to_vec();
    set.sort_unstable();
    let before = set.len();
    set.dedup();
    if set.len() != before {
        findings.warn(
            code::DUPLICATE_STATUS,
            "the same status was listed more than once".to_owned(),
            "同一状态重复出现".to_owned(),
        );
    }
    if set.is_empty() {
        findings.error(
            code::EMPTY_STATUS_SET,
            "a domain always has at least one status".to_owned(),
            "域名至少应有一个状态".to_owned(),
        );
        return Err(findings.reject(None));
    }
    if set.contains(&EppStatus::Ok) && set.len() > 1 {
        findings.error(
            code::OK_NOT_ALONE,
            "ok cannot be combined with any other status".to_owned(),
            "ok（正常）状态不能与其他状态同时存在".to_owned(),
        );
    }
    for pending in set.iter().copied().filter(|status| status.is_pending()) {
        let Some(operation) = pending.pending_operation() else {
            continue;
        };
        for prohibition in set
            .iter()
            .copied()
            .filter(|status| status.prohibition() == Some(operation))
        {
            findings.error(
                code::PENDING_CONFLICTS_PROHIBITION,
                format!("{pending} cannot be combined with {prohibition}"),
                format!(
                    "{}（{pending}）不能与{}（{prohibition}）同时存在",
                    pending.label_zh(),
                    prohibition.label_zh()
                ),
            );
        }
    }
    let pendings: Vec<&str> = set
        .iter()
        .filter(|status| status.is_pending())
        .map(|status| status.as_epp())
        .collect();
    if pendings.len() > 1 {
        findings.error(
            code::MULTIPLE_PENDING,
            format!(
                "only one pending status is allowed, got {}",
                pendings.join(", ")
            ),
            format!(
                "同一时间只能有一个 pending 状态，实际有 {}",
                pendings.join("、")
            ),
        );
    }
    let normalized = set
        .iter()
        .map(|status| status.as_epp())
        .collect::<Vec<_>>()
        .join(",");
    findings.finish(normalized, StatusSet(set))
}

/// Parses EPP status names and validates the resulting set; unknown names
/// are reported with [`code::UNKNOWN_STATUS`].
pub fn parse_status_set<S: AsRef<str>>(names: &[S]) -> Checked<StatusSet> {
    let mut findings = Findings::new();
    let mut statuses = Vec::with_capacity(names.len());
    for name in names {
        let name = name.as_ref().trim();
        match EppStatus::from_epp(name) {
            Some(status) => statuses.push(status),
            None => {
                let shown: String = name.chars().take(40).collect();
                findings.error(
                    code::UNKNOWN_STATUS,
                    format!("{shown:?} is not an rfc 5731 domain status"),
                    format!("{shown:?} 不是 RFC 5731 定义的域名状态"),
                );
            }
        }
    }
    if findings.has_errors() {
        return Err(findings.reject(None));
    }
    validate_status_set(&statuses)
}

#[cfg(test)]
mod tests;
