//! Wire types of the ICP filing API (kept apart from `dto` so that the filing area can grow
//! without touching the shared file). Requests reject unknown fields.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yuming_app::filing::{
    self, CheckReport, EntityInput, EntityView, HistoryEntry, NoteView, OrderView, Payload,
    PersonInput, PreapprovalInput, SiteInput, SiteView, materials::MaterialView,
};
use yuming_app::filing::{IpPoolView, RuleView, ServerView};

/// A person: 主体负责人 or 网站负责人.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PersonDto {
    /// Name.
    #[schema(example = "张三")]
    pub name: String,
    /// `resident_id`, `passport`, `hk_macau_permit`, `taiwan_permit`, `foreign_permanent_resident`.
    #[schema(example = "resident_id")]
    pub id_type: String,
    /// Document number (masked in responses).
    #[schema(example = "11010519491231002X")]
    pub id_number: String,
    /// Last valid day `YYYY-MM-DD`; absent for long-term documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_valid_until: Option<String>,
    /// Mainland mobile.
    #[schema(example = "13800138000")]
    pub mobile: String,
    /// E-mail.
    pub email: String,
}

/// A filing entity (主体).
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntityDto {
    /// §1.4 key: `PERSON`, `ENTERPRISE`, `GOV`, `PUBLIC_INST`, …
    #[schema(example = "PERSON")]
    pub entity_type: String,
    /// Name as on the certificate.
    pub name: String,
    /// Filing province: `北京` or `11`.
    #[schema(example = "北京")]
    pub province: String,
    /// Certificate type (a personal document type, or `uscc`).
    pub cert_type: String,
    /// Certificate number (masked in responses).
    pub cert_no: String,
    /// Last valid day of the certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_valid_until: Option<String>,
    /// Certificate / correspondence address.
    pub address: String,
    /// 主体负责人.
    pub principal: PersonDto,
    /// Units: the principal is the legal representative (default true).
    #[serde(default = "yes")]
    pub principal_is_legal_rep: bool,
}

fn yes() -> bool {
    true
}

/// A pre-approval (前置审批).
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreapprovalDto {
    /// Content type id (R-PRE).
    pub content_type: u8,
    /// Approval document number.
    pub document_no: String,
    /// Last valid day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<String>,
}

/// A site (网站).
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SiteDto {
    /// 网站名称 (R-NAME).
    pub name: String,
    /// The one domain.
    pub domain: String,
    /// Homepage URL under the domain.
    pub homepage: String,
    /// Content type ids: 0 其他, 100 博客/个人空间, R-PRE ids (1 新闻, 3 教育, …).
    pub content_types: Vec<u8>,
    /// Pre-approvals.
    #[serde(default)]
    pub preapprovals: Vec<PreapprovalDto>,
    /// Purpose (personal sites: at most 200 characters by default).
    pub purpose: String,
    /// Languages.
    #[serde(default)]
    pub languages: Vec<String>,
    /// 互联网信息服务负责人.
    pub principal: PersonDto,
    /// Server addresses.
    pub servers: Vec<String>,
    /// Remarks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remarks: Option<String>,
}

impl From<PersonDto> for PersonInput {
    fn from(p: PersonDto) -> Self {
        PersonInput {
            name: p.name,
            id_type: p.id_type,
            id_number: p.id_number,
            id_valid_until: p.id_valid_until,
            mobile: p.mobile,
            email: p.email,
        }
    }
}

impl From<PersonInput> for PersonDto {
    fn from(p: PersonInput) -> Self {
        PersonDto {
            name: p.name,
            id_type: p.id_type,
            id_number: p.id_number,
            id_valid_until: p.id_valid_until,
            mobile: p.mobile,
            email: p.email,
        }
    }
}

impl From<EntityDto> for EntityInput {
    fn from(e: EntityDto) -> Self {
        EntityInput {
            entity_type: e.entity_type,
            name: e.name,
            province: e.province,
            cert_type: e.cert_type,
            cert_no: e.cert_no,
            cert_valid_until: e.cert_valid_until,
            address: e.address,
            principal: e.principal.into(),
            principal_is_legal_rep: e.principal_is_legal_rep,
        }
    }
}

impl From<EntityInput> for EntityDto {
    fn from(e: EntityInput) -> Self {
        EntityDto {
            entity_type: e.entity_type,
            name: e.name,
            province: e.province,
            cert_type: e.cert_type,
            cert_no: e.cert_no,
            cert_valid_until: e.cert_valid_until,
            address: e.address,
            principal: e.principal.into(),
            principal_is_legal_rep: e.principal_is_legal_rep,
        }
    }
}

impl From<SiteDto> for SiteInput {
    fn from(s: SiteDto) -> Self {
        SiteInput {
            name: s.name,
            domain: s.domain,
            homepage: s.homepage,
            content_types: s.content_types,
            preapprovals: s
                .preapprovals
                .into_iter()
                .map(|p| PreapprovalInput {
                    content_type: p.content_type,
                    document_no: p.document_no,
                    valid_until: p.valid_until,
                })
                .collect(),
            purpose: s.purpose,
            languages: s.languages,
            principal: s.principal.into(),
            servers: s.servers,
            remarks: s.remarks,
        }
    }
}

impl From<SiteInput> for SiteDto {
    fn from(s: SiteInput) -> Self {
        SiteDto {
            name: s.name,
            domain: s.domain,
            homepage: s.homepage,
            content_types: s.content_types,
            preapprovals: s
                .preapprovals
                .into_iter()
                .map(|p| PreapprovalDto {
                    content_type: p.content_type,
                    document_no: p.document_no,
                    valid_until: p.valid_until,
                })
                .collect(),
            purpose: s.purpose,
            languages: s.languages,
            principal: s.principal.into(),
            servers: s.servers,
            remarks: s.remarks,
        }
    }
}

/// The data an order proposes.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayloadDto {
    /// The entity.
    pub entity: EntityDto,
    /// The site, for operations that carry one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<SiteDto>,
}

impl From<PayloadDto> for Payload {
    fn from(p: PayloadDto) -> Self {
        Payload {
            entity: p.entity.into(),
            site: p.site.map(Into::into),
        }
    }
}

/// An entity as listed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EntityViewDto {
    /// `fen_…`.
    pub id: String,
    /// §1.4 key.
    pub entity_type: String,
    /// Province.
    pub province: String,
    /// Name.
    pub name: String,
    /// Certificate type.
    pub cert_type: String,
    /// Masked certificate number.
    pub cert_masked: String,
    /// 主体备案号, once filed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject_no: Option<String>,
    /// `draft`, `filed` or `cancelled`.
    pub status: String,
    /// Sites (in `GET /filing/entities/{id}` only).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sites: Vec<SiteViewDto>,
    /// Creation time.
    pub created_at: String,
}

impl From<EntityView> for EntityViewDto {
    fn from(e: EntityView) -> Self {
        EntityViewDto {
            id: e.id,
            entity_type: e.entity_type,
            province: e.province,
            name: e.name,
            cert_type: e.cert_type,
            cert_masked: e.cert_masked,
            subject_no: e.subject_no,
            status: e.status,
            sites: Vec::new(),
            created_at: e.created_at.to_rfc3339(),
        }
    }
}

/// A site as listed.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SiteViewDto {
    /// `fsi_…`.
    pub id: String,
    /// The entity.
    pub entity_id: String,
    /// Domain.
    pub domain: String,
    /// 网站备案号, once filed (e.g. `京ICP备2026000123号-1`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_no: Option<String>,
    /// `draft`, `filed` or `cancelled`.
    pub status: String,
}

impl From<SiteView> for SiteViewDto {
    fn from(s: SiteView) -> Self {
        SiteViewDto {
            id: s.id,
            entity_id: s.entity_id,
            domain: s.domain,
            site_no: s.site_no,
            status: s.status,
        }
    }
}

/// Entities of the tenant.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct EntityListDto {
    /// The entities.
    pub entities: Vec<EntityViewDto>,
}

/// A new order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderCreateRequest {
    /// `FIRST`, `ADD_SITE`, `ADD_SITE_NO_LOCAL`, `ADD_ACCESS`, `CHANGE_SUBJECT`,
    /// `CHANGE_SITE`, `CHANGE_ALL`, `CANCEL_SUBJECT`, `CANCEL_SITE`, `CANCEL_ACCESS`.
    #[schema(example = "FIRST")]
    pub operation: String,
    /// The entity.
    pub entity_id: String,
    /// The site, for operations that carry one.
    #[serde(default)]
    pub site_id: Option<String>,
}

/// An order; certificate and ID numbers are masked.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct FilingOrderDto {
    /// `for_…`.
    pub id: String,
    /// The entity.
    pub entity_id: String,
    /// The site.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site_id: Option<String>,
    /// §1.2 operation.
    pub operation: String,
    /// §1.7 status, e.g. `PROVIDER_REVIEW`.
    pub status: String,
    /// The status in Chinese.
    pub status_zh: String,
    /// Fields a rejection reopened for editing.
    pub rejected_fields: Vec<String>,
    /// Reviewer who claimed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed_by: Option<String>,
    /// Last submission.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub submitted_at: Option<String>,
    /// Creation.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// The proposed data.
    pub payload: PayloadDto,
}

impl From<OrderView> for FilingOrderDto {
    fn from(o: OrderView) -> Self {
        FilingOrderDto {
            id: o.id,
            entity_id: o.entity_id,
            site_id: o.site_id,
            operation: o.operation.as_str().to_owned(),
            status: o.status.as_str().to_owned(),
            status_zh: o.status.label_zh().to_owned(),
            rejected_fields: o.rejected_fields,
            claimed_by: o.claimed_by,
            submitted_at: o.submitted_at.map(|t| t.to_rfc3339()),
            created_at: o.created_at.to_rfc3339(),
            updated_at: o.updated_at.to_rfc3339(),
            payload: PayloadDto {
                entity: o.payload.entity.into(),
                site: o.payload.site.map(Into::into),
            },
        }
    }
}

/// Orders.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct OrderListDto {
    /// The orders.
    pub orders: Vec<FilingOrderDto>,
}

/// One self-check finding.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckProblemDto {
    /// §1.8 rejection code (plus `ACCESS_INVALID`, `BLACKLISTED`).
    #[schema(example = "DOMAIN_RESOLVING")]
    pub code: String,
    /// Field path.
    pub field: String,
    /// `blocking` or `warning`.
    pub severity: String,
    /// English explanation.
    pub message: String,
    /// Chinese explanation.
    pub message_zh: String,
    /// English fix.
    pub fix: String,
    /// Chinese fix.
    pub fix_zh: String,
}

/// The self-check report.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckReportDto {
    /// No blocking problem remains.
    pub submittable: bool,
    /// Every problem, blocking first.
    pub problems: Vec<CheckProblemDto>,
}

impl From<CheckReport> for CheckReportDto {
    fn from(r: CheckReport) -> Self {
        CheckReportDto {
            submittable: r.submittable,
            problems: r
                .problems
                .into_iter()
                .map(|p| CheckProblemDto {
                    code: p.code.as_str().to_owned(),
                    field: p.field,
                    severity: p.severity.as_str().to_owned(),
                    message: p.message,
                    message_zh: p.message_zh,
                    fix: p.fix,
                    fix_zh: p.fix_zh,
                })
                .collect(),
        }
    }
}

/// One status change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HistoryEntryDto {
    /// Before.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// After.
    pub to: String,
    /// Who (`authority` for the authority's decisions).
    pub actor: String,
    /// Why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// When.
    pub at: String,
}

impl From<HistoryEntry> for HistoryEntryDto {
    fn from(h: HistoryEntry) -> Self {
        HistoryEntryDto {
            from: h.from,
            to: h.to,
            actor: h.actor,
            note: h.note,
            at: h.at.to_rfc3339(),
        }
    }
}

/// The status history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct HistoryDto {
    /// Oldest first.
    pub history: Vec<HistoryEntryDto>,
}

/// A note: per-field rejection, call log entry, or message.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NoteDto {
    /// `rejection`, `call` or `message`.
    pub kind: String,
    /// Author account.
    pub author: String,
    /// Written by staff.
    pub from_staff: bool,
    /// Field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// §1.8 code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Text.
    pub body: String,
    /// When.
    pub at: String,
}

impl From<NoteView> for NoteDto {
    fn from(n: NoteView) -> Self {
        NoteDto {
            kind: n.kind,
            author: n.author,
            from_staff: n.from_staff,
            field: n.field,
            code: n.code,
            body: n.body,
            at: n.at.to_rfc3339(),
        }
    }
}

/// Notes, oldest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NoteListDto {
    /// The notes.
    pub notes: Vec<NoteDto>,
}

/// A new note.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteCreateRequest {
    /// `message` (anyone on the order) or `call` (staff).
    #[schema(example = "message")]
    pub kind: String,
    /// Text.
    pub body: String,
}

/// The SMS verification code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsCodeRequest {
    /// The 6-digit code the authority sent.
    pub code: String,
}

/// A material.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MaterialDto {
    /// `fma_…`.
    pub id: String,
    /// Kind.
    pub kind: String,
    /// The latest of its kind.
    pub current: bool,
    /// `image/jpeg` or `image/png`.
    pub content_type: String,
    /// Bytes.
    pub size_bytes: i64,
    /// SHA-256, hex.
    pub sha256: String,
    /// Pixels.
    pub width: i64,
    /// Pixels.
    pub height: i64,
    /// Stated density.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dpi: Option<i64>,
    /// Upload time.
    pub created_at: String,
}

impl From<MaterialView> for MaterialDto {
    fn from(m: MaterialView) -> Self {
        MaterialDto {
            id: m.id,
            kind: m.kind,
            current: m.current,
            content_type: m.content_type,
            size_bytes: m.size_bytes,
            sha256: m.sha256,
            width: m.width,
            height: m.height,
            dpi: m.dpi,
            created_at: m.created_at.to_rfc3339(),
        }
    }
}

/// Materials, every version.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MaterialListDto {
    /// The materials.
    pub materials: Vec<MaterialDto>,
}

/// What a reviewer sees (numbers unmasked; audited).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ReviewOrderDto {
    /// The order.
    pub order: FilingOrderDto,
    /// The self-check now.
    pub check: CheckReportDto,
    /// Materials.
    pub materials: Vec<MaterialDto>,
    /// History.
    pub history: Vec<HistoryEntryDto>,
    /// Notes.
    pub notes: Vec<NoteDto>,
}

impl From<filing::ReviewView> for ReviewOrderDto {
    fn from(r: filing::ReviewView) -> Self {
        ReviewOrderDto {
            order: r.order.into(),
            check: r.check.into(),
            materials: r.materials.into_iter().map(Into::into).collect(),
            history: r.history.into_iter().map(Into::into).collect(),
            notes: r.notes.into_iter().map(Into::into).collect(),
        }
    }
}

/// One rejected field.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldRejectionDto {
    /// Field path (`site.name`; `entity` for the whole entity).
    pub field: String,
    /// §1.8 code.
    #[schema(example = "SITE_NAME_INVALID")]
    pub code: String,
    /// Comment for the applicant.
    pub comment: String,
}

/// A rejection.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectRequest {
    /// The rejected fields.
    pub rejections: Vec<FieldRejectionDto>,
    /// The order's `updated_at` the reviewer looked at (RFC 3339): when the order changed
    /// since, the decision is refused with `CHANGED_SINCE_OPENED` (409).
    #[serde(default)]
    pub seen: Option<String>,
}

/// What a reviewer saw when passing an order.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ApproveQuery {
    /// The order's `updated_at` the reviewer looked at (RFC 3339): when the order changed
    /// since, the decision is refused with `CHANGED_SINCE_OPENED` (409).
    pub seen: Option<String>,
}

/// A server to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerCreateDto {
    /// Address.
    pub ip: String,
    /// Region.
    pub region: String,
    /// End of the server's term, RFC 3339.
    pub expires_at: String,
}

/// Servers to add or import (all or nothing).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServersCreateRequest {
    /// 1–500 servers.
    pub servers: Vec<ServerCreateDto>,
}

/// A server.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServerDto {
    /// `fsv_…`.
    pub id: String,
    /// Address.
    pub ip: String,
    /// Region.
    pub region: String,
    /// End of term.
    pub expires_at: String,
}

impl From<ServerView> for ServerDto {
    fn from(s: ServerView) -> Self {
        ServerDto {
            id: s.id,
            ip: s.ip,
            region: s.region,
            expires_at: s.expires_at.to_rfc3339(),
        }
    }
}

/// Servers.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ServerListDto {
    /// The servers.
    pub servers: Vec<ServerDto>,
}

/// An address pool to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IpPoolCreateRequest {
    /// `203.0.113.0/24` or an address.
    pub cidr: String,
    /// Region.
    pub region: String,
    /// In mainland China.
    pub mainland: bool,
}

/// An address pool.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IpPoolDto {
    /// `fip_…`.
    pub id: String,
    /// CIDR.
    pub cidr: String,
    /// Region.
    pub region: String,
    /// In mainland China.
    pub mainland: bool,
}

impl From<IpPoolView> for IpPoolDto {
    fn from(p: IpPoolView) -> Self {
        IpPoolDto {
            id: p.id,
            cidr: p.cidr,
            region: p.region,
            mainland: p.mainland,
        }
    }
}

/// Address pools.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct IpPoolListDto {
    /// The pools.
    pub pools: Vec<IpPoolDto>,
}

/// A new rules-table row.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleCreateRequest {
    /// `national`, `province` or `provider`.
    pub scope: String,
    /// Province code or provider name; empty for national.
    #[serde(default)]
    pub scope_key: String,
    /// Rule key, e.g. `person.min_age`.
    pub key: String,
    /// Value.
    pub value: String,
    /// Source.
    pub source: String,
    /// From when it applies, RFC 3339.
    pub effective_from: String,
}

/// A rules-table row.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RuleDto {
    /// Id.
    pub id: String,
    /// Scope.
    pub scope: String,
    /// Scope key.
    pub scope_key: String,
    /// Key.
    pub key: String,
    /// Value.
    pub value: String,
    /// Source.
    pub source: String,
    /// From when it applies.
    pub effective_from: String,
}

impl From<RuleView> for RuleDto {
    fn from(r: RuleView) -> Self {
        RuleDto {
            id: r.id,
            scope: r.scope,
            scope_key: r.scope_key,
            key: r.rule_key,
            value: r.value,
            source: r.source,
            effective_from: r.effective_from.to_rfc3339(),
        }
    }
}

/// The rules table.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RuleListDto {
    /// Every row.
    pub rules: Vec<RuleDto>,
}

/// A blacklist entry.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BlacklistRequest {
    /// Document type (`resident_id`, `uscc`, …).
    pub id_type: String,
    /// Number.
    pub number: String,
    /// Why (proven false data).
    pub reason: String,
}

/// What a sync run did.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SyncReportDto {
    /// Orders looked at.
    pub checked: usize,
    /// Orders changed.
    pub changed: usize,
    /// Orders the authority could not be asked about.
    pub failed: usize,
}

/// Which phone's sandbox messages to read.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SandboxSmsQuery {
    /// The principal's mobile number.
    pub mobile: String,
}

/// A text message the built-in sandbox authority sent.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SandboxMessageDto {
    /// The text, with the verification code.
    pub body: String,
    /// When it was sent (RFC 3339).
    pub sent_at: String,
}
