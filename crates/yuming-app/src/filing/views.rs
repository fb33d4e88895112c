//! What the filing use cases return: entities, sites, orders, self-check reports, history, notes,
//! the review view.

use yuming_core::clock::Timestamp;
use yuming_core::filing::{CheckProblem, Operation, OrderStatus};
use yuming_core::rules::province;
use yuming_store::{FilingEntityRow, FilingSiteRow};

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
}
