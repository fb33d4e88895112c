//! What the filing use cases return: entities, sites, orders, self-check reports, history, notes,
//! the review view.

use yuming_core::clock::Timestamp;
use yuming_core::filing::{CheckProblem, Operation, OrderStatus};
use yuming_core::rules::province;
use yuming_store::{FilingEntityRow, FilingRuleRow, FilingSiteRow, IpPoolRow, ServerRow};

use super::forms::Payload;
use super::materials;

/// An entity as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityView {
    /// `fen_…`.
    pub id: String,
    /// Owner tenant.
    pub owner_id: String,
    /// §1.4 key.
    pub entity_type: String,
    /// Province short name.
    pub province: String,
    /// Name.
    pub name: String,
    /// Certificate type.
    pub cert_type: String,
    /// Masked certificate number.
    pub cert_masked: String,
    /// 主体备案号.
    pub subject_no: Option<String>,
    /// `draft`, `filed`, `cancelled`.
    pub status: String,
    /// Creation time.
    pub created_at: Timestamp,
}

impl EntityView {
    pub(super) fn from_row(row: &FilingEntityRow) -> EntityView {
        EntityView {
            id: row.id.clone(),
            owner_id: row.owner_id.clone(),
            entity_type: row.entity_type.clone(),
            province: u8::try_from(row.province)
                .ok()
                .and_then(province::by_code)
                .map_or_else(|| row.province.to_string(), |p| p.name_zh.to_owned()),
            name: row.name.clone(),
            cert_type: row.cert_type.clone(),
            cert_masked: row.cert_masked.clone(),
            subject_no: row.subject_no.clone(),
            status: row.status.clone(),
            created_at: Timestamp(row.created_at),
        }
    }
}

/// A site as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteView {
    /// `fsi_…`.
    pub id: String,
    /// The entity.
    pub entity_id: String,
    /// Domain.
    pub domain: String,
    /// 网站备案号.
    pub site_no: Option<String>,
    /// `draft`, `filed`, `cancelled`.
    pub status: String,
}

impl SiteView {
    pub(super) fn from_row(row: &FilingSiteRow) -> SiteView {
        SiteView {
            id: row.id.clone(),
            entity_id: row.entity_id.clone(),
            domain: row.domain.clone(),
            site_no: row.site_no.clone(),
            status: row.status.clone(),
        }
    }
}

/// An order. `payload` has certificate and ID numbers masked.
#[derive(Clone)]
pub struct OrderView {
    /// `for_…`.
    pub id: String,
    /// Owner tenant.
    pub owner_id: String,
    /// The entity.
    pub entity_id: String,
    /// The site.
    pub site_id: Option<String>,
    /// Operation.
    pub operation: Operation,
    /// Status.
    pub status: OrderStatus,
    /// Fields a rejection reopened.
    pub rejected_fields: Vec<String>,
    /// Reviewer who claimed it.
    pub claimed_by: Option<String>,
    /// Last submission.
    pub submitted_at: Option<Timestamp>,
    /// Creation.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
    /// The proposed data (numbers masked unless the viewer is a reviewer).
    pub payload: Payload,
}

impl std::fmt::Debug for OrderView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderView")
            .field("id", &self.id)
            .field("operation", &self.operation)
            .field("status", &self.status)
            .finish()
    }
}

/// The self-check report.
#[derive(Debug, Clone)]
pub struct CheckReport {
    /// Every problem, blocking first.
    pub problems: Vec<CheckProblem>,
    /// No blocking problem remains.
    pub submittable: bool,
}

/// One status change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// Before.
    pub from: Option<String>,
    /// After.
    pub to: String,
    /// Who.
    pub actor: String,
    /// Why.
    pub note: Option<String>,
    /// When.
    pub at: Timestamp,
}

/// A review note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteView {
    /// `rejection`, `call`, `message`.
    pub kind: String,
    /// Author account.
    pub author: String,
    /// From staff.
    pub from_staff: bool,
    /// Field.
    pub field: Option<String>,
    /// §1.8 code.
    pub code: Option<String>,
    /// Text.
    pub body: String,
    /// When.
    pub at: Timestamp,
}

/// What a reviewer sees: the order unmasked, its check report, materials, history, notes.
#[derive(Clone)]
pub struct ReviewView {
    /// The order with plain numbers.
    pub order: OrderView,
    /// The self-check now.
    pub check: CheckReport,
    /// Materials (every version).
    pub materials: Vec<materials::MaterialView>,
    /// Status history.
    pub history: Vec<HistoryEntry>,
    /// Notes.
    pub notes: Vec<NoteView>,
    /// The entity's other orders with their decisions, newest first.
    pub earlier: Vec<EarlierOrder>,
}

/// Another order of the same entity, with what reviewers and the authority decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlierOrder {
    /// Its id.
    pub id: String,
    /// Its operation (stable name).
    pub operation: String,
    /// Its status now.
    pub status: String,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Its rejections and staff notes, oldest first.
    pub decisions: Vec<NoteView>,
}

/// A customer's server (the address a filed site is hosted on).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerView {
    /// Opaque id.
    pub id: String,
    /// The owning tenant.
    pub owner_id: String,
    /// The address.
    pub ip: String,
    /// Region name.
    pub region: String,
    /// When the server's term ends.
    pub expires_at: Timestamp,
    /// When it was added.
    pub created_at: Timestamp,
}

impl From<ServerRow> for ServerView {
    fn from(row: ServerRow) -> Self {
        ServerView {
            id: row.id,
            owner_id: row.owner_id,
            ip: row.ip,
            region: row.region,
            expires_at: Timestamp(row.expires_at),
            created_at: Timestamp(row.created_at),
        }
    }
}

/// One of the provider's address pools (servers must lie in one of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpPoolView {
    /// Opaque id.
    pub id: String,
    /// `203.0.113.0/24` or a single address.
    pub cidr: String,
    /// Region name, e.g. `北京`.
    pub region: String,
    /// In mainland China.
    pub mainland: bool,
    /// When it was added.
    pub created_at: Timestamp,
}

impl From<IpPoolRow> for IpPoolView {
    fn from(row: IpPoolRow) -> Self {
        IpPoolView {
            id: row.id,
            cidr: row.cidr,
            region: row.region,
            mainland: row.mainland,
            created_at: Timestamp(row.created_at),
        }
    }
}

/// One row of the versioned rules table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleView {
    /// Opaque id.
    pub id: String,
    /// `national`, `province` or `provider`.
    pub scope: String,
    /// Empty, a province code or a provider name.
    pub scope_key: String,
    /// The rule key.
    pub rule_key: String,
    /// The value.
    pub value: String,
    /// Where the value comes from.
    pub source: String,
    /// From when it applies.
    pub effective_from: Timestamp,
    /// When the row was added.
    pub created_at: Timestamp,
}

impl From<FilingRuleRow> for RuleView {
    fn from(row: FilingRuleRow) -> Self {
        RuleView {
            id: row.id,
            scope: row.scope,
            scope_key: row.scope_key,
            rule_key: row.rule_key,
            value: row.value,
            source: row.source,
            effective_from: Timestamp(row.effective_from),
            created_at: Timestamp(row.created_at),
        }
    }
}
