//! ICP filing (备案) use cases: entities, sites, servers, orders from draft to number, the
//! self-check, risk limits, the reviewer queue, the authority round trip and `sync`.
//!
//! The order carries the proposed data (entity and site) as one sealed JSON document; the
//! entity and site rows hold what is filed. Approval copies the order's data onto them.
//! Authority calls are network I/O for a real connector, so they happen between
//! transactions, never inside one.

pub mod authority;
pub mod batch;
pub mod certificates;
pub mod dashboard;
pub mod dependencies;
pub mod materials;
pub mod monitor;

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::Date;
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::contact::{self, IdType};
use yuming_core::filing::{
    self, AuthorityLookup, CheckInput, CheckProblem, DomainFacts, DuplicateFacts, EntityFacts,
    EntityType, Operation, OrderEvent, OrderStatus, PersonFacts, PreapprovalFacts, RuleRow,
    RuleScope, RuleSet, ServerFacts, Severity, SiteFacts, rule,
};
use yuming_core::rules::province;
use yuming_store::{
    FilingEntityRow, FilingHistoryRow, FilingNoteRow, FilingOrderRow, FilingRuleRow, FilingSiteRow,
    IpPoolRow, ServerRow, Tx,
};

use crate::platform::audit::{self, Change};
use crate::platform::crypto::new_id;
use crate::{App, AppError, ErrorKind, RequestContext};

pub use authority::{
    AuthorityError, AuthorityStatus, FilingAuthority, SandboxConfig, SandboxFilingAuthority,
    SmsOutcome, Submission, Ticket,
};

/// The provider name rules rows of scope `provider` are matched against.
pub const PROVIDER: &str = "yuming";
const CONTACT_INDEX: &str = "contact.id_number";
const BLACKLIST_INDEX: &str = "filing.blacklist";
const CERT_INDEX: &str = "filing.cert";
/// Blind-index purposes of principals' mobiles and e-mails (the duplicate checks compare
/// them; the values themselves are only in the sealed documents).
pub(crate) const MOBILE_INDEX: &str = "filing.principal_mobile";
pub(crate) const EMAIL_INDEX: &str = "filing.principal_email";

/// The form of a principal's mobile that is indexed and compared.
pub(crate) fn normal_mobile(mobile: &str) -> String {
    mobile.trim().to_owned()
}

/// The form of a principal's e-mail that is indexed and compared.
pub(crate) fn normal_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn principal_indexes(app: &App, principal: &PersonInput) -> (String, String) {
    (
        app.cipher()
            .blind_index(&normal_mobile(&principal.mobile), MOBILE_INDEX),
        app.cipher()
            .blind_index(&normal_email(&principal.email), EMAIL_INDEX),
    )
}

/// The mobile of a site's principal, from its sealed document (for SMS notices).
pub(crate) fn site_principal_mobile(app: &App, site: &FilingSiteRow) -> Result<String, AppError> {
    let input: SiteInput = open_json(app, &site.data_sealed, &site_context(&site.id))?;
    Ok(normal_mobile(&input.principal.mobile))
}

/// Orders `sync` looks at per run.
const SYNC_BATCH: i64 = 500;

// ---------------------------------------------------------------------------------------
// Wire-neutral input documents (also the sealed JSON form).

/// A person (主体负责人 / 网站负责人).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonInput {
    /// Name.
    pub name: String,
    /// Document type (`resident_id`, `passport`, …).
    pub id_type: String,
    /// Document number.
    pub id_number: String,
    /// Last valid day `YYYY-MM-DD`; absent for long-term.
    #[serde(default)]
    pub id_valid_until: Option<String>,
    /// Mobile.
    pub mobile: String,
    /// E-mail.
    pub email: String,
}

/// A filing entity (主体) as submitted.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EntityInput {
    /// §1.4 key, e.g. `PERSON`, `ENTERPRISE`.
    pub entity_type: String,
    /// Name as on the certificate.
    pub name: String,
    /// Filing province: Chinese short name (`北京`) or GB/T 2260 code (`11`).
    pub province: String,
    /// Certificate type: a personal document type or `uscc`.
    pub cert_type: String,
    /// Certificate number.
    pub cert_no: String,
    /// Last valid day of the certificate; absent for long-term.
    #[serde(default)]
    pub cert_valid_until: Option<String>,
    /// Certificate / correspondence address.
    pub address: String,
    /// 主体负责人.
    pub principal: PersonInput,
    /// For units: the principal is the legal representative.
    #[serde(default = "yes")]
    pub principal_is_legal_rep: bool,
}

fn yes() -> bool {
    true
}

/// A pre-approval (前置审批) listed for a content type.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreapprovalInput {
    /// Content type id.
    pub content_type: u8,
    /// Approval document number.
    pub document_no: String,
    /// Last valid day.
    #[serde(default)]
    pub valid_until: Option<String>,
}

/// A site (网站) as submitted.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteInput {
    /// 网站名称.
    pub name: String,
    /// The one domain.
    pub domain: String,
    /// Homepage URL.
    pub homepage: String,
    /// Content type ids (0 其他, 100 博客/个人空间, R-PRE ids).
    pub content_types: Vec<u8>,
    /// Pre-approvals.
    #[serde(default)]
    pub preapprovals: Vec<PreapprovalInput>,
    /// Purpose / description.
    pub purpose: String,
    /// Languages, e.g. `zh-CN`.
    #[serde(default)]
    pub languages: Vec<String>,
    /// 互联网信息服务负责人.
    pub principal: PersonInput,
    /// Server addresses (access information).
    pub servers: Vec<String>,
    /// Remarks.
    #[serde(default)]
    pub remarks: Option<String>,
}

/// The data an order proposes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payload {
    /// The entity.
    pub entity: EntityInput,
    /// The site, for operations that carry one.
    #[serde(default)]
    pub site: Option<SiteInput>,
}

// ---------------------------------------------------------------------------------------
// Views.

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
    fn from_row(row: &FilingEntityRow) -> EntityView {
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
    fn from_row(row: &FilingSiteRow) -> SiteView {
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

// ---------------------------------------------------------------------------------------
// Errors.

fn invalid(
    code: &'static str,
    field: &str,
    en: impl Into<String>,
    zh: impl Into<String>,
) -> AppError {
    AppError::bad_request(code, en, zh).with_field(field)
}

fn transition_error(e: filing::TransitionError) -> AppError {
    AppError::new(
        ErrorKind::Conflict,
        "INVALID_STATE",
        format!(
            "the order is {} and cannot {}",
            e.from.as_str(),
            e.event.as_str().replace('_', " ")
        ),
        format!("订单当前状态为“{}”，不能执行该操作", e.from.label_zh()),
    )
}

fn concurrent() -> AppError {
    AppError::new(
        ErrorKind::Conflict,
        "CONCURRENT_CHANGE",
        "the order changed meanwhile; reload and retry",
        "订单已被修改，请刷新后重试",
    )
}

fn corrupt(what: &str) -> AppError {
    AppError::internal(format!("filing data corrupt: {what}"))
}

fn authority_error(e: AuthorityError) -> AppError {
    AppError::new(
        ErrorKind::Unavailable,
        "AUTHORITY_UNAVAILABLE",
        "the filing authority did not answer; the order will be retried",
        "备案系统暂无响应，稍后将自动重试",
    )
    .with_detail(e.to_string())
}

// ---------------------------------------------------------------------------------------
// Parsing helpers.

fn parse_date(value: Option<&str>, field: &str) -> Result<Option<Date>, AppError> {
    let Some(value) = value else { return Ok(None) };
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(value.trim(), &format).map(Some).map_err(|_| {
        invalid(
            "INVALID_DATE",
            field,
            "dates are YYYY-MM-DD",
            "日期格式须为 YYYY-MM-DD",
        )
    })
}

fn parse_province(value: &str) -> Result<u8, AppError> {
    let value = value.trim();
    let trimmed = value
        .trim_end_matches('省')
        .trim_end_matches('市')
        .trim_end_matches("自治区");
    value
        .parse::<u8>()
        .ok()
        .and_then(province::by_code)
        .or_else(|| province::by_name_zh(trimmed))
        .or_else(|| province::by_name_zh(value))
        .map(|p| p.code)
        .ok_or_else(|| {
            invalid(
                "INVALID_PROVINCE",
                "entity.province",
                "unknown province",
                "未知省份",
            )
        })
}

fn parse_id_type(value: &str, field: &str) -> Result<IdType, AppError> {
    IdType::parse(value).ok_or_else(|| {
        invalid(
            "INVALID_ID_TYPE",
            field,
            "unknown document type",
            "未知证件类型",
        )
    })
}

fn bounded(value: &str, field: &str, max: usize) -> Result<(), AppError> {
    let n = value.chars().count();
    if value.trim().is_empty() || n > max {
        return Err(invalid(
            "INVALID_LENGTH",
            field,
            format!("{field} must have 1 to {max} characters"),
            format!("{field} 须为 1 至 {max} 个字符"),
        ));
    }
    Ok(())
}

/// Shape checks only: rule violations (check digits, validity) are self-check findings so
/// that the applicant sees them all at once with their fixes.
fn check_person_shape(p: &PersonInput, field: &str) -> Result<(), AppError> {
    bounded(&p.name, &format!("{field}.name"), 64)?;
    parse_id_type(&p.id_type, &format!("{field}.id_type"))?;
    bounded(&p.id_number, &format!("{field}.id_number"), 64)?;
    parse_date(
        p.id_valid_until.as_deref(),
        &format!("{field}.id_valid_until"),
    )?;
    bounded(&p.mobile, &format!("{field}.mobile"), 32)?;
    bounded(&p.email, &format!("{field}.email"), 254)
}

fn check_entity_shape(e: &EntityInput) -> Result<(EntityType, u8, IdType), AppError> {
    let entity_type = EntityType::parse(&e.entity_type).ok_or_else(|| {
        invalid(
            "INVALID_ENTITY_TYPE",
            "entity.entity_type",
            "unknown entity type",
            "未知主办单位性质",
        )
    })?;
    bounded(&e.name, "entity.name", 100)?;
    let province = parse_province(&e.province)?;
    let cert_type = parse_id_type(&e.cert_type, "entity.cert_type")?;
    bounded(&e.cert_no, "entity.cert_no", 64)?;
    parse_date(e.cert_valid_until.as_deref(), "entity.cert_valid_until")?;
    bounded(&e.address, "entity.address", 200)?;
    check_person_shape(&e.principal, "entity.principal")?;
    Ok((entity_type, province, cert_type))
}

fn check_site_shape(s: &SiteInput) -> Result<String, AppError> {
    bounded(&s.name, "site.name", 64)?;
    let domain = yuming_core::rules::domain_name::DomainName::parse(
        &s.domain,
        &yuming_core::rules::domain_name::DomainPolicy::CHINESE_REGISTRY,
    )
    .or_else(|_| {
        yuming_core::rules::domain_name::DomainName::parse(
            &s.domain,
            &yuming_core::rules::domain_name::DomainPolicy::GENERIC,
        )
    })
    .map_err(|_| {
        invalid(
            "INVALID_DOMAIN",
            "site.domain",
            "not a domain name",
            "域名格式无效",
        )
    })?;
    bounded(&s.homepage, "site.homepage", 300)?;
    if s.purpose.chars().count() > 2000 {
        bounded(&s.purpose, "site.purpose", 2000)?;
    }
    if s.servers.len() > 64 {
        return Err(invalid(
            "TOO_MANY_SERVERS",
            "site.servers",
            "at most 64 servers",
            "最多 64 个服务器",
        ));
    }
    for (i, ip) in s.servers.iter().enumerate() {
        ip.trim().parse::<IpAddr>().map_err(|_| {
            invalid(
                "INVALID_IP",
                &format!("site.servers[{i}]"),
                "not an IP address",
                "IP 地址格式无效",
            )
        })?;
    }
    for (i, p) in s.preapprovals.iter().enumerate() {
        parse_date(
            p.valid_until.as_deref(),
            &format!("site.preapprovals[{i}].valid_until"),
        )?;
    }
    check_person_shape(&s.principal, "site.principal")?;
    Ok(domain.value.ascii().to_owned())
}

/// The normalised document number when it passes its rule, else the trimmed input (the
/// self-check reports it).
fn normalized(id_type: IdType, number: &str, today: Date) -> String {
    contact::check_document(id_type, number, today)
        .map(|d| d.number)
        .unwrap_or_else(|_| number.trim().to_uppercase())
}

fn masked(id_type: IdType, number: &str, today: Date) -> String {
    contact::check_document(id_type, number, today)
        .map(|d| d.masked)
        .unwrap_or_else(|_| yuming_core::rules::mask_middle(number.trim(), 2, 2))
}

fn mask_payload(payload: &Payload, today: Date) -> Payload {
    let mut p = payload.clone();
    let mask_person = |person: &mut PersonInput| {
        if let Some(t) = IdType::parse(&person.id_type) {
            person.id_number = masked(t, &person.id_number, today);
        }
    };
    if let Some(t) = IdType::parse(&p.entity.cert_type) {
        p.entity.cert_no = masked(t, &p.entity.cert_no, today);
    }
    mask_person(&mut p.entity.principal);
    if let Some(site) = p.site.as_mut() {
        mask_person(&mut site.principal);
    }
    p
}

// ---------------------------------------------------------------------------------------
// Sealing.

fn entity_context(id: &str) -> String {
    format!("filing.entity:{id}")
}

fn site_context(id: &str) -> String {
    format!("filing.site:{id}")
}

fn order_context(id: &str) -> String {
    format!("filing.order:{id}")
}

fn seal_json<T: Serialize>(app: &App, value: &T, context: &str) -> Result<Vec<u8>, AppError> {
    let bytes =
        serde_json::to_vec(value).map_err(|e| AppError::internal(format!("filing json: {e}")))?;
    Ok(app.cipher().seal(&bytes, context))
}

fn open_json<T: for<'de> Deserialize<'de>>(
    app: &App,
    sealed: &[u8],
    context: &str,
) -> Result<T, AppError> {
    let bytes = app
        .cipher()
        .open(sealed, context)
        .map_err(|e| AppError::internal(format!("filing data does not open: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|_| corrupt(context))
}

fn cert_digest(app: &App, cert_type: IdType, number: &str, today: Date) -> String {
    app.cipher().blind_index(
        &format!(
            "{}:{}",
            cert_type.as_str(),
            normalized(cert_type, number, today)
        ),
        CERT_INDEX,
    )
}

/// Every index the certificate may be stored under (across master-key rotations): for
/// lookups.
fn cert_digests(app: &App, cert_type: IdType, number: &str, today: Date) -> Vec<String> {
    app.cipher().blind_indexes(
        &format!(
            "{}:{}",
            cert_type.as_str(),
            normalized(cert_type, number, today)
        ),
        CERT_INDEX,
    )
}

fn cert_key(cert_type: IdType, number: &str, today: Date) -> String {
    format!(
        "{}:{}",
        cert_type.as_str(),
        normalized(cert_type, number, today)
    )
}

fn order_view(app: &App, row: &FilingOrderRow, unmasked: bool) -> Result<OrderView, AppError> {
    let payload: Payload = open_json(app, &row.payload_sealed, &order_context(&row.id))?;
    let today = app.now().date();
    Ok(OrderView {
        id: row.id.clone(),
        owner_id: row.owner_id.clone(),
        entity_id: row.entity_id.clone(),
        site_id: row.site_id.clone(),
        operation: Operation::parse(&row.operation).ok_or_else(|| corrupt("operation"))?,
        status: OrderStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
        rejected_fields: serde_json::from_str(&row.rejected_fields)
            .map_err(|_| corrupt("rejected_fields"))?,
        claimed_by: row.claimed_by.clone(),
        submitted_at: row.submitted_at.map(Timestamp),
        created_at: Timestamp(row.created_at),
        updated_at: Timestamp(row.updated_at),
        payload: if unmasked {
            payload
        } else {
            mask_payload(&payload, today)
        },
    })
}

fn order_summary(row: &FilingOrderRow) -> Value {
    json!({
        "operation": row.operation,
        "status": row.status,
        "entity_id": row.entity_id,
        "site_id": row.site_id,
    })
}

// ---------------------------------------------------------------------------------------
// Entities, sites, servers.

/// Creates a draft entity of the actor's tenant.
pub async fn create_entity(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    input: &EntityInput,
) -> Result<EntityView, AppError> {
    actor.require(Right::IcpManage)?;
    let (entity_type, province, cert_type) = check_entity_shape(input)?;
    let now = app.now();
    let today = now.date();
    let id = new_id("fen");
    let (principal_mobile_index, principal_email_index) = principal_indexes(app, &input.principal);
    let row = FilingEntityRow {
        id: id.clone(),
        owner_id: actor.tenant_id.clone(),
        entity_type: entity_type.as_str().to_owned(),
        province: i64::from(province),
        name: input.name.trim().to_owned(),
        cert_type: cert_type.as_str().to_owned(),
        cert_digest: cert_digest(app, cert_type, &input.cert_no, today),
        cert_masked: masked(cert_type, &input.cert_no, today),
        principal_mobile_index,
        principal_email_index,
        data_sealed: seal_json(app, input, &entity_context(&id))?,
        subject_no: None,
        status: "draft".into(),
        created_at: now.0,
        updated_at: now.0,
    };
    let mut tx = app.db().write().await?;
    tx.insert_filing_entity(&row).await?;
    let view = EntityView::from_row(&row);
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.entity.create",
            object_type: "filing_entity",
            object_id: &id,
            tenant: &actor.tenant_id,
            before: Value::Null,
            after: json!({"entity_type": row.entity_type, "province": row.province,
                          "cert_masked": row.cert_masked}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

async fn authorized_entity(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    right: Right,
) -> Result<FilingEntityRow, AppError> {
    let row = tx
        .filing_entity(id)
        .await?
        .ok_or_else(AppError::not_found)?;
    actor.authorize(&row.owner_id, right)?;
    Ok(row)
}

/// The actor's entities.
pub async fn list_entities(app: &App, actor: &Actor) -> Result<Vec<EntityView>, AppError> {
    actor.require(Right::IcpManage)?;
    let mut tx = app.db().read().await?;
    let rows = tx.filing_entities_of_owner(&actor.tenant_id).await?;
    tx.commit().await?;
    Ok(rows.iter().map(EntityView::from_row).collect())
}

/// One entity and its sites.
pub async fn get_entity(
    app: &App,
    actor: &Actor,
    id: &str,
) -> Result<(EntityView, Vec<SiteView>), AppError> {
    let mut tx = app.db().read().await?;
    let row = authorized_entity(&mut tx, actor, id, Right::IcpManage).await?;
    let sites = tx.filing_sites_of_entity(&row.id).await?;
    tx.commit().await?;
    Ok((
        EntityView::from_row(&row),
        sites.iter().map(SiteView::from_row).collect(),
    ))
}

/// Adds a draft site to an entity.
pub async fn create_site(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    entity_id: &str,
    input: &SiteInput,
) -> Result<SiteView, AppError> {
    let mut tx = app.db().write().await?;
    let entity = authorized_entity(&mut tx, actor, entity_id, Right::IcpManage).await?;
    if entity.status == "cancelled" {
        return Err(invalid(
            "ENTITY_CANCELLED",
            "entity_id",
            "the entity is cancelled",
            "该主体已注销",
        ));
    }
    let domain = check_site_shape(input)?;
    let now = app.now();
    let id = new_id("fsi");
    let (principal_mobile_index, principal_email_index) = principal_indexes(app, &input.principal);
    let mut stored = input.clone();
    stored.domain = domain.clone();
    let row = FilingSiteRow {
        id: id.clone(),
        owner_id: entity.owner_id.clone(),
        entity_id: entity.id.clone(),
        domain,
        principal_mobile_index,
        principal_email_index,
        data_sealed: seal_json(app, &stored, &site_context(&id))?,
        site_no: None,
        status: "draft".into(),
        created_at: now.0,
        updated_at: now.0,
    };
    tx.insert_filing_site(&row).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.site.create",
            object_type: "filing_site",
            object_id: &id,
            tenant: &entity.owner_id,
            before: Value::Null,
            after: json!({"entity_id": entity.id, "domain": row.domain}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(SiteView::from_row(&row))
}

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
) -> Result<Vec<ServerRow>, AppError> {
    actor.require(Right::IcpManage)?;
    if inputs.is_empty() || inputs.len() > 500 {
        return Err(invalid(
            "INVALID_LENGTH",
            "servers",
            "1 to 500 servers at a time",
            "每次 1 至 500 台服务器",
        ));
    }
    let now = app.now();
    let mut rows = Vec::with_capacity(inputs.len());
    for (i, input) in inputs.iter().enumerate() {
        let ip: IpAddr = input.ip.trim().parse().map_err(|_| {
            invalid(
                "INVALID_IP",
                &format!("servers[{i}].ip"),
                "not an IP address",
                "IP 地址格式无效",
            )
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
                AppError::new(
                    ErrorKind::Conflict,
                    "SERVER_TAKEN",
                    "this address is already registered to an account",
                    "该 IP 已登记在某账号下",
                )
                .with_field(format!("servers[{i}].ip"))
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
    Ok(rows)
}

/// The actor's servers.
pub async fn list_servers(app: &App, actor: &Actor) -> Result<Vec<ServerRow>, AppError> {
    actor.require(Right::IcpManage)?;
    let mut tx = app.db().read().await?;
    let rows = tx.servers_of_owner(&actor.tenant_id).await?;
    tx.commit().await?;
    Ok(rows)
}

/// Adds a provider address pool (admin).
pub async fn add_ip_pool(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    cidr: &str,
    region: &str,
    mainland: bool,
) -> Result<IpPoolRow, AppError> {
    actor.require(Right::PlatformAdmin)?;
    if parse_cidr(cidr).is_none() {
        return Err(invalid(
            "INVALID_CIDR",
            "cidr",
            "expected an address or address/prefix",
            "须为 IP 地址或 IP/前缀",
        ));
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
    Ok(row)
}

/// Every address pool (admin).
pub async fn list_ip_pools(app: &App, actor: &Actor) -> Result<Vec<IpPoolRow>, AppError> {
    actor.require(Right::PlatformAdmin)?;
    let mut tx = app.db().read().await?;
    let rows = tx.ip_pools().await?;
    tx.commit().await?;
    Ok(rows)
}

fn parse_cidr(cidr: &str) -> Option<(IpAddr, u8)> {
    let (addr, prefix) = match cidr.trim().split_once('/') {
        Some((a, p)) => (a.parse::<IpAddr>().ok()?, p.parse::<u8>().ok()?),
        None => {
            let a = cidr.trim().parse::<IpAddr>().ok()?;
            (a, if a.is_ipv4() { 32 } else { 128 })
        }
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (prefix <= max).then_some((addr, prefix))
}

fn cidr_contains(cidr: &str, ip: &IpAddr) -> bool {
    let Some((net, prefix)) = parse_cidr(cidr) else {
        return false;
    };
    let bits = |a: &IpAddr| -> u128 {
        match a {
            IpAddr::V4(v4) => u128::from(u32::from(*v4)),
            IpAddr::V6(v6) => u128::from(*v6),
        }
    };
    if net.is_ipv4() != ip.is_ipv4() {
        return false;
    }
    let width = if net.is_ipv4() { 32 } else { 128 };
    if prefix == 0 {
        return true;
    }
    let shift = width - u32::from(prefix);
    bits(&net) >> shift == bits(ip) >> shift
}

/// A new rules-table row as submitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleInput {
    /// `national`, `province` or `provider`.
    pub scope: String,
    /// Province code or provider name (empty for national).
    pub scope_key: String,
    /// Rule key.
    pub key: String,
    /// Value.
    pub value: String,
    /// Source of the value.
    pub source: String,
    /// From when it applies.
    pub effective_from: Timestamp,
}

/// Adds a rules-table row (admin). Rows are versions: nothing is edited.
pub async fn add_rule(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    input: &RuleInput,
) -> Result<FilingRuleRow, AppError> {
    actor.require(Right::PlatformAdmin)?;
    let scope_ok = match input.scope.as_str() {
        "national" => input.scope_key.is_empty(),
        "province" => input
            .scope_key
            .parse::<u8>()
            .ok()
            .and_then(province::by_code)
            .is_some(),
        "provider" => !input.scope_key.trim().is_empty(),
        _ => false,
    };
    if !scope_ok {
        return Err(invalid(
            "INVALID_SCOPE",
            "scope",
            "scope is national (no key), province (GB/T 2260 code) or provider (name)",
            "范围须为 national（无键）、province（省级代码）或 provider（接入商名）",
        ));
    }
    bounded(&input.key, "key", 64)?;
    bounded(&input.value, "value", 4000)?;
    bounded(&input.source, "source", 500)?;
    let row = FilingRuleRow {
        id: new_id("fru"),
        scope: input.scope.clone(),
        scope_key: input.scope_key.clone(),
        rule_key: input.key.trim().to_owned(),
        value: input.value.trim().to_owned(),
        source: input.source.trim().to_owned(),
        effective_from: input.effective_from.0,
        created_at: app.now().0,
    };
    let mut tx = app.db().write().await?;
    tx.insert_filing_rule(&row).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.rule.add",
            object_type: "filing_rule",
            object_id: &row.id,
            tenant: "",
            before: Value::Null,
            after: json!({"scope": row.scope, "scope_key": row.scope_key, "key": row.rule_key,
                          "value": row.value, "effective_from": row.effective_from}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(row)
}

/// Every rules-table row (admin).
pub async fn list_rules(app: &App, actor: &Actor) -> Result<Vec<FilingRuleRow>, AppError> {
    actor.require(Right::PlatformAdmin)?;
    let mut tx = app.db().read().await?;
    let rows = tx.filing_rules().await?;
    tx.commit().await?;
    Ok(rows)
}

/// Blacklists a person or certificate (admin) for proven false filing data.
pub async fn blacklist(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id_type: &str,
    number: &str,
    reason: &str,
) -> Result<(), AppError> {
    actor.require(Right::PlatformAdmin)?;
    let id_type = parse_id_type(id_type, "id_type")?;
    bounded(number, "number", 64)?;
    bounded(reason, "reason", 500)?;
    let today = app.now().date();
    let digest = blacklist_digest(app, id_type, number, today);
    let mut tx = app.db().write().await?;
    tx.insert_blacklist(&digest, reason.trim(), &actor.account_id, app.now().0)
        .await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.blacklist.add",
            object_type: "filing_blacklist",
            object_id: &digest,
            tenant: "",
            before: Value::Null,
            after: json!({"id_type": id_type.as_str(),
                          "masked": masked(id_type, number, today)}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Every index a blacklisted number may be stored under (across master-key rotations).
fn blacklist_digests(app: &App, id_type: IdType, number: &str, today: Date) -> Vec<String> {
    app.cipher().blind_indexes(
        &format!(
            "{}:{}",
            id_type.as_str(),
            normalized(id_type, number, today)
        ),
        BLACKLIST_INDEX,
    )
}

fn blacklist_digest(app: &App, id_type: IdType, number: &str, today: Date) -> String {
    app.cipher().blind_index(
        &format!(
            "{}:{}",
            id_type.as_str(),
            normalized(id_type, number, today)
        ),
        BLACKLIST_INDEX,
    )
}

// ---------------------------------------------------------------------------------------
// Orders.

/// A new order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrderInput {
    /// §1.2 key.
    pub operation: String,
    /// The entity.
    pub entity_id: String,
    /// The site, for operations that carry one.
    pub site_id: Option<String>,
}

/// Creates a draft order. The entity's lock (one non-final order, R-OP-1) is taken here.
pub async fn create_order(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    input: &NewOrderInput,
) -> Result<OrderView, AppError> {
    create_order_with_lock(app, ctx, actor, input, None).await
}

/// The entity lock is held by the entity's id (R-OP-1); the orders of one batch filing hold
/// `<entity>#<batch>#<n>` together instead, and the batch checks beforehand that the entity
/// has no order in progress.
pub(crate) async fn create_order_with_lock(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    input: &NewOrderInput,
    batch_lock: Option<String>,
) -> Result<OrderView, AppError> {
    let mut tx = app.db().write().await?;
    let entity = authorized_entity(&mut tx, actor, &input.entity_id, Right::IcpManage).await?;
    // Under the entity's row lock: no other order (a single one, or another batch) may be
    // in progress; a batch's own siblings may.
    tx.lock_filing_entity(&entity.id).await?;
    let siblings = batch_lock.as_deref().and_then(|lock| {
        lock.rsplit_once('#')
            .map(|(prefix, _)| format!("{prefix}#"))
    });
    if tx
        .filing_entity_has_open_order(&entity.id, siblings.as_deref())
        .await?
    {
        return Err(order_conflict());
    }
    let operation = Operation::parse(&input.operation).ok_or_else(|| {
        invalid(
            "INVALID_OPERATION",
            "operation",
            "unknown operation",
            "未知备案类型",
        )
    })?;
    let filed = entity.status == "filed";
    if entity.status == "cancelled" || (operation.needs_existing_filing() && !filed) {
        return Err(invalid(
            "ENTITY_NOT_FILED",
            "entity_id",
            "this operation needs a filed entity",
            "该操作需要已备案的主体",
        ));
    }
    if operation == Operation::First && filed {
        return Err(invalid(
            "ALREADY_FILED",
            "operation",
            "the entity is filed: add a site or change it instead",
            "该主体已备案，请办理新增网站或变更",
        ));
    }
    let site = match (&input.site_id, operation.has_site()) {
        (Some(site_id), true) => {
            let site = tx
                .filing_site(site_id)
                .await?
                .filter(|s| s.entity_id == entity.id)
                .ok_or_else(AppError::not_found)?;
            let want_filed = !operation.creates_site() && operation != Operation::AddAccess;
            if (site.status == "filed") != want_filed || site.status == "cancelled" {
                return Err(invalid(
                    "SITE_STATE",
                    "site_id",
                    if want_filed {
                        "this operation needs a filed site"
                    } else {
                        "this operation needs a site that is not filed yet"
                    },
                    if want_filed {
                        "该操作需要已备案的网站"
                    } else {
                        "该操作需要尚未备案的网站"
                    },
                ));
            }
            Some(site)
        }
        (None, true) => {
            return Err(invalid(
                "SITE_REQUIRED",
                "site_id",
                "this operation needs a site",
                "该操作需要指定网站",
            ));
        }
        (_, false) => None,
    };
    let payload = Payload {
        entity: open_json(app, &entity.data_sealed, &entity_context(&entity.id))?,
        site: match &site {
            Some(s) => Some(open_json(app, &s.data_sealed, &site_context(&s.id))?),
            None => None,
        },
    };
    let now = app.now();
    let id = new_id("for");
    let row = FilingOrderRow {
        id: id.clone(),
        owner_id: entity.owner_id.clone(),
        entity_id: entity.id.clone(),
        site_id: site.as_ref().map(|s| s.id.clone()),
        operation: operation.as_str().to_owned(),
        status: OrderStatus::Draft.as_str().to_owned(),
        lock_key: Some(batch_lock.unwrap_or_else(|| entity.id.clone())),
        payload_sealed: seal_json(app, &payload, &order_context(&id))?,
        rejected_fields: "[]".into(),
        claimed_by: None,
        authority_ticket: None,
        submitted_at: None,
        created_at: now.0,
        updated_at: now.0,
    };
    tx.insert_filing_order(&row, &actor.account_id)
        .await
        .map_err(|e| {
            if e.is_conflict_on("lock_key") {
                order_conflict()
            } else {
                e.into()
            }
        })?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.order.create",
            object_type: "filing_order",
            object_id: &id,
            tenant: &row.owner_id,
            before: Value::Null,
            after: order_summary(&row),
        },
    )
    .await?;
    tx.commit().await?;
    order_view(app, &row, false)
}

fn order_conflict() -> AppError {
    AppError::new(
        ErrorKind::Conflict,
        "ORDER_CONFLICT",
        "the entity already has an order in progress; finish or abandon it first",
        "该主体已有进行中的备案订单，请先完成或放弃",
    )
    .with_field("entity_id")
}

async fn authorized_order(
    tx: &mut Tx,
    actor: &Actor,
    id: &str,
    right: Right,
) -> Result<FilingOrderRow, AppError> {
    let row = tx.filing_order(id).await?.ok_or_else(AppError::not_found)?;
    actor.authorize(&row.owner_id, right)?;
    Ok(row)
}

/// One order (numbers masked).
pub async fn get_order(app: &App, actor: &Actor, id: &str) -> Result<OrderView, AppError> {
    let mut tx = app.db().read().await?;
    let row = authorized_order(&mut tx, actor, id, Right::IcpManage).await?;
    tx.commit().await?;
    order_view(app, &row, false)
}

/// The actor's orders, newest first.
pub async fn list_orders(app: &App, actor: &Actor) -> Result<Vec<OrderView>, AppError> {
    actor.require(Right::IcpManage)?;
    let mut tx = app.db().read().await?;
    let rows = tx.filing_orders_of_owner(&actor.tenant_id).await?;
    tx.commit().await?;
    rows.iter().map(|r| order_view(app, r, false)).collect()
}

/// Flattens a JSON document into `path → leaf` pairs (`entity.principal.mobile`).
fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, Value)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(&path, v, out);
            }
        }
        other => out.push((prefix.to_owned(), other.clone())),
    }
}

/// Replaces the order's proposed data. Every changed field must be editable now: all but
/// the frozen ones while filling, only the rejected ones after a rejection (R-OP-3, §1.3).
pub async fn update_order(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    payload: &Payload,
) -> Result<OrderView, AppError> {
    let mut tx = app.db().write().await?;
    let mut row = authorized_order(&mut tx, actor, id, Right::IcpManage).await?;
    let view = order_view(app, &row, true)?;
    check_entity_shape(&payload.entity)?;
    let mut payload = payload.clone();
    match (&mut payload.site, view.payload.site.is_some()) {
        (Some(site), true) => site.domain = check_site_shape(site)?,
        (None, false) => {}
        _ => {
            return Err(invalid(
                "SITE_MISMATCH",
                "site",
                "the order's site cannot be added or removed",
                "不能增删订单中的网站",
            ));
        }
    }
    let as_json =
        |p: &Payload| serde_json::to_value(p).map_err(|e| AppError::internal(e.to_string()));
    let (mut before, mut after) = (Vec::new(), Vec::new());
    flatten("", &as_json(&view.payload)?, &mut before);
    flatten("", &as_json(&payload)?, &mut after);
    let old: std::collections::BTreeMap<_, _> = before.into_iter().collect();
    let new: std::collections::BTreeMap<_, _> = after.into_iter().collect();
    let mut changed: Vec<&String> = new
        .iter()
        .filter(|(k, v)| old.get(*k) != Some(*v))
        .map(|(k, _)| k)
        .collect();
    changed.extend(old.keys().filter(|k| !new.contains_key(*k)));
    for field in changed {
        if !filing::field_editable(view.status, &view.rejected_fields, field) {
            return Err(AppError::new(
                ErrorKind::Conflict,
                "FIELD_LOCKED",
                format!(
                    "{field} cannot be changed in status {}",
                    view.status.as_str()
                ),
                format!("当前状态（{}）下不能修改 {field}", view.status.label_zh()),
            )
            .with_field(field.clone()));
        }
    }
    let expected = row.status.clone();
    row.payload_sealed = seal_json(app, &payload, &order_context(&row.id))?;
    row.updated_at = app.now().0;
    if !tx
        .update_filing_order(&row, &expected, &actor.account_id, None)
        .await?
    {
        return Err(concurrent());
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.order.update",
            object_type: "filing_order",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: Value::Null,
            after: order_summary(&row),
        },
    )
    .await?;
    tx.commit().await?;
    order_view(app, &row, false)
}

/// Asks the authority what is filed for the order's certificate and domain (none for
/// operations on filed data).
async fn authority_lookup(
    app: &App,
    operation: Operation,
    payload: &Payload,
) -> Result<Option<AuthorityLookup>, AppError> {
    if !(operation.creates_site() || operation == Operation::AddAccess) {
        return Ok(None);
    }
    let today = app.now().date();
    let cert_type = parse_id_type(&payload.entity.cert_type, "entity.cert_type")?;
    let key = cert_key(cert_type, &payload.entity.cert_no, today);
    let domain = payload.site.as_ref().map(|s| s.domain.as_str());
    app.filing_authority()
        .lookup(&key, domain)
        .await
        .map(Some)
        .map_err(authority_error)
}

/// 验证备案类型: determines the filing type with the authority (§1.3). The declared
/// operation must match it; then the verified fields freeze (DRAFT → FILLING).
pub async fn verify_type(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<OrderView, AppError> {
    let view = get_order(app, actor, id).await?;
    let mut tx = app.db().read().await?;
    let row = authorized_order(&mut tx, actor, id, Right::IcpManage).await?;
    tx.commit().await?;
    let unmasked = order_view(app, &row, true)?;
    view.status
        .apply(OrderEvent::VerifyType)
        .map_err(transition_error)?;
    if let Some(lookup) = authority_lookup(app, view.operation, &unmasked.payload).await? {
        let mut tx = app.db().read().await?;
        let rules = rules_for(&mut tx, &unmasked.payload, app.now()).await?;
        tx.commit().await?;
        let determined = filing::determine_type(&lookup, rules.flag(rule::EMPTY_SHELL_ADD_OK))
            .and_then(|op| filing::check_declared_type(view.operation, op).map(|()| op));
        if let Err(code) = determined {
            return Err(AppError::new(
                ErrorKind::Unprocessable,
                "FILING_TYPE_MISMATCH",
                format!(
                    "the authority's records do not allow a {} order here ({})",
                    view.operation.as_str(),
                    code.as_str()
                ),
                format!("根据管局记录，不能办理该类型备案（{}）", code.as_str()),
            )
            .with_field("operation"));
        }
    }
    transition(
        app,
        ctx,
        actor,
        id,
        OrderEvent::VerifyType,
        Right::IcpManage,
        None,
        |_| Ok(()),
    )
    .await
}

async fn rules_for(tx: &mut Tx, payload: &Payload, now: Timestamp) -> Result<RuleSet, AppError> {
    let province = parse_province(&payload.entity.province)?;
    rules_for_province(tx, province, now).await
}

/// The rules in force for a province at `now`.
async fn rules_for_province(
    tx: &mut Tx,
    province: u8,
    now: Timestamp,
) -> Result<RuleSet, AppError> {
    let rows = tx.filing_rules().await?;
    let rows: Vec<RuleRow> = rows
        .into_iter()
        .filter_map(|r| {
            let scope = match r.scope.as_str() {
                "national" => RuleScope::National,
                "province" => RuleScope::Province(r.scope_key.parse().ok()?),
                "provider" => RuleScope::Provider(r.scope_key.clone()),
                _ => return None,
            };
            Some(RuleRow {
                scope,
                key: r.rule_key,
                value: r.value,
                effective_from: Timestamp(r.effective_from),
            })
        })
        .collect();
    Ok(RuleSet::resolve(&rows, province, PROVIDER, now))
}

fn person_facts(p: &PersonInput, liveness: Option<bool>) -> Result<PersonFacts, AppError> {
    Ok(PersonFacts {
        name: p.name.clone(),
        id_type: parse_id_type(&p.id_type, "principal.id_type")?,
        id_number: p.id_number.clone(),
        id_valid_until: parse_date(p.id_valid_until.as_deref(), "principal.id_valid_until")?,
        mobile: p.mobile.clone(),
        email: p.email.clone(),
        liveness_passed: liveness,
    })
}

/// Gathers the facts of an order and runs the self-check.
async fn run_check(
    app: &App,
    tx: &mut Tx,
    row: &FilingOrderRow,
    payload: &Payload,
    lookup: Option<&AuthorityLookup>,
) -> Result<CheckReport, AppError> {
    let now = app.now();
    let today = now.date();
    let operation = Operation::parse(&row.operation).ok_or_else(|| corrupt("operation"))?;
    let rules = rules_for(tx, payload, now).await?;
    let e = &payload.entity;
    let (entity_type, province, cert_type) = check_entity_shape(e)?;
    let materials = tx.filing_materials(&row.id).await?;
    let has_material = |kind: &str| materials.iter().any(|m| m.current && m.kind == kind);
    let entity = EntityFacts {
        entity_type,
        name: e.name.clone(),
        province,
        cert_type,
        cert_no: e.cert_no.clone(),
        cert_valid_until: parse_date(e.cert_valid_until.as_deref(), "entity.cert_valid_until")?,
        // No face-verification service is connected yet: reported as a warning.
        principal: person_facts(&e.principal, None)?,
        principal_is_legal_rep: e.principal_is_legal_rep,
        has_authorisation_letter: has_material("authorisation_letter"),
    };
    let site = match &payload.site {
        Some(s) => Some(SiteFacts {
            name: s.name.clone(),
            domain: s.domain.clone(),
            homepage: s.homepage.clone(),
            content_types: s.content_types.clone(),
            preapprovals: s
                .preapprovals
                .iter()
                .map(|p| {
                    Ok(PreapprovalFacts {
                        content_type: p.content_type,
                        document_no: p.document_no.clone(),
                        valid_until: parse_date(p.valid_until.as_deref(), "site.preapprovals")?,
                    })
                })
                .collect::<Result<_, AppError>>()?,
            purpose: s.purpose.clone(),
            principal: person_facts(&s.principal, None)?,
        }),
        None => None,
    };

    let approved_tlds: Vec<String> = rules
        .text(rule::APPROVED_TLDS)
        .map(|v| v.split(',').map(|t| t.trim().to_owned()).collect())
        .unwrap_or_default();
    let domain = match &payload.site {
        Some(s) => {
            let tld = s.domain.rsplit('.').next().unwrap_or("").to_owned();
            let tld_approved = approved_tlds.contains(&tld);
            Some(match tx.domain_by_name(&s.domain).await? {
                Some(d) if d.purged_at.is_none() => {
                    let (verified, holder) = if d.owner_id != row.owner_id {
                        // Someone else's domain: say only that the holder differs.
                        (true, false)
                    } else {
                        match tx.contact_by_id(&d.registrant_contact_id).await? {
                            Some(c) => {
                                let digests = app.cipher().blind_indexes(
                                    &format!(
                                        "{}:{}",
                                        cert_type.as_str(),
                                        normalized(cert_type, &e.cert_no, today)
                                    ),
                                    CONTACT_INDEX,
                                );
                                (
                                    c.verification_status == "verified",
                                    digests.contains(&c.id_number_digest)
                                        && c.name == e.name.trim(),
                                )
                            }
                            None => (false, false),
                        }
                    };
                    DomainFacts {
                        known: true,
                        real_name_verified: verified,
                        holder_matches: holder,
                        registered_at: Timestamp(d.created_at),
                        expires_at: Timestamp(d.expires_at),
                        resolves: !d.nameservers.trim().is_empty(),
                        tld_approved,
                    }
                }
                _ => DomainFacts {
                    known: false,
                    real_name_verified: false,
                    holder_matches: false,
                    registered_at: now,
                    expires_at: now,
                    resolves: false,
                    tld_approved,
                },
            })
        }
        None => None,
    };

    let pools = tx.ip_pools().await?;
    let mut servers = Vec::new();
    if let Some(s) = &payload.site {
        for ip_text in &s.servers {
            let Ok(ip) = ip_text.trim().parse::<IpAddr>() else {
                continue;
            };
            let in_pool = pools
                .iter()
                .any(|p| p.mainland && cidr_contains(&p.cidr, &ip));
            let owned = tx
                .server_by_ip(&ip.to_string())
                .await?
                .is_some_and(|srv| srv.owner_id == row.owner_id && srv.expires_at > now.0);
            servers.push(ServerFacts {
                ip: ip.to_string(),
                in_mainland_pool: in_pool,
                owned_by_applicant: owned,
            });
        }
    }

    let digests = cert_digests(app, cert_type, &e.cert_no, today);
    let mut duplicates = DuplicateFacts::default();
    let mut contacts = vec![
        (
            "entity.principal.mobile",
            true,
            normal_mobile(&e.principal.mobile),
        ),
        (
            "entity.principal.email",
            false,
            normal_email(&e.principal.email),
        ),
    ];
    if let Some(s) = &payload.site {
        contacts.push((
            "site.principal.mobile",
            true,
            normal_mobile(&s.principal.mobile),
        ));
        contacts.push((
            "site.principal.email",
            false,
            normal_email(&s.principal.email),
        ));
    }
    for (field, mobile, value) in contacts {
        let purpose = if mobile { MOBILE_INDEX } else { EMAIL_INDEX };
        // Used by an entity of another certificate (its index under none of our keys); the
        // contact is stored under the index of whichever master key was current then.
        let mut reused = false;
        for index in app.cipher().blind_indexes(&value, purpose) {
            let users = tx
                .filing_contact_users(mobile, &index, &row.entity_id)
                .await?;
            reused |= users.iter().any(|digest| !digests.contains(digest));
        }
        if reused {
            duplicates.reused_contacts.push(field.to_owned());
        }
    }
    for digest in &digests {
        duplicates.cert_filed_from_other_account |= tx
            .filing_entities_by_cert(digest, &row.entity_id)
            .await?
            .iter()
            .any(|other| other.owner_id != row.owner_id);
        duplicates.other_order_in_flight |= tx
            .filing_cert_has_other_open_order(digest, &row.entity_id)
            .await?;
    }

    let mut blacklist_hits = Vec::new();
    let mut people = vec![
        ("entity.cert_no", cert_type, e.cert_no.clone()),
        (
            "entity.principal.id_number",
            parse_id_type(&e.principal.id_type, "entity.principal.id_type")?,
            e.principal.id_number.clone(),
        ),
    ];
    if let Some(s) = &payload.site {
        people.push((
            "site.principal.id_number",
            parse_id_type(&s.principal.id_type, "site.principal.id_type")?,
            s.principal.id_number.clone(),
        ));
    }
    for (field, id_type, number) in people {
        for digest in blacklist_digests(app, id_type, &number, today) {
            if tx.is_blacklisted(&digest).await? {
                blacklist_hits.push(field.to_owned());
                break;
            }
        }
    }

    let present: Vec<&str> = materials
        .iter()
        .filter(|m| m.current)
        .map(|m| m.kind.as_str())
        .collect();
    let problems = filing::self_check(&CheckInput {
        operation,
        entity: &entity,
        site: site.as_ref(),
        domain: domain.as_ref(),
        servers: &servers,
        duplicates: &duplicates,
        blacklist_hits: &blacklist_hits,
        // No reachability prober for approved sites yet: nothing is reported down.
        existing_sites_down: &[],
        materials: &present,
        authority: lookup,
        rules: &rules,
        now,
    });
    let submittable = problems.iter().all(|p| p.severity != Severity::Blocking);
    Ok(CheckReport {
        problems,
        submittable,
    })
}

/// The self-check report of an order (`GET …/check`).
pub async fn check(app: &App, actor: &Actor, id: &str) -> Result<CheckReport, AppError> {
    let mut tx = app.db().read().await?;
    let row = authorized_order(&mut tx, actor, id, Right::IcpManage).await?;
    tx.commit().await?;
    let payload = order_view(app, &row, true)?.payload;
    let operation = Operation::parse(&row.operation).ok_or_else(|| corrupt("operation"))?;
    let lookup = authority_lookup(app, operation, &payload).await?;
    let mut tx = app.db().read().await?;
    let report = run_check(app, &mut tx, &row, &payload, lookup.as_ref()).await?;
    tx.commit().await?;
    Ok(report)
}

/// Start of the submission day (midnight Beijing time) and its length.
fn submission_day(now: Timestamp) -> (i64, i64) {
    const DAY: i64 = 86_400;
    const UTC8: i64 = 8 * 3600;
    (now.0 - (now.0 + UTC8).rem_euclid(DAY), DAY)
}

fn limit_error(limit: i64, per: &str, per_zh: &str, resets: Timestamp, now: Timestamp) -> AppError {
    AppError::new(
        ErrorKind::TooManyRequests,
        "SUBMISSION_LIMIT",
        format!(
            "at most {limit} filing submissions per {per} per day; the limit resets at {}",
            resets.to_rfc3339()
        ),
        format!(
            "每个{per_zh}每天最多提交 {limit} 次备案，限制将于 {} 解除",
            resets.to_rfc3339()
        ),
    )
    .with_retry_after(resets.0 - now.0)
}

/// Submits (or resubmits) an order to the provider's review. Refused while the self-check
/// has blocking problems, and beyond the daily limits per account and per source IP
/// (counted in the database, in this transaction: a refused submission does not count).
pub async fn submit(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<OrderView, AppError> {
    let mut tx = app.db().read().await?;
    let row = authorized_order(&mut tx, actor, id, Right::IcpManage).await?;
    tx.commit().await?;
    let view = order_view(app, &row, true)?;
    view.status
        .apply(OrderEvent::Submit)
        .map_err(transition_error)?;
    let lookup = authority_lookup(app, view.operation, &view.payload).await?;

    let mut tx = app.db().write().await?;
    let mut row = authorized_order(&mut tx, actor, id, Right::IcpManage).await?;
    let payload: Payload = open_json(app, &row.payload_sealed, &order_context(&row.id))?;
    let report = run_check(app, &mut tx, &row, &payload, lookup.as_ref()).await?;
    if !report.submittable {
        let codes: Vec<String> = report
            .problems
            .iter()
            .filter(|p| p.severity == Severity::Blocking)
            .map(|p| format!("{} ({})", p.code.as_str(), p.field))
            .collect();
        return Err(AppError::new(
            ErrorKind::Unprocessable,
            "SELF_CHECK_FAILED",
            format!("fix these problems first: {}", codes.join(", ")),
            format!("请先解决以下问题：{}", codes.join("，")),
        ));
    }
    let now = app.now();
    let rules = rules_for(&mut tx, &payload, now).await?;
    let (day_start, day) = submission_day(now);
    let resets = Timestamp(day_start + day);
    if let Some(limit) = rules.int(rule::SUBMIT_PER_ACCOUNT_PER_DAY) {
        let hits = tx
            .hit_rate_counter(
                &format!("filing.submit.account:{}", row.owner_id),
                day_start,
            )
            .await?;
        if hits > limit {
            return Err(limit_error(limit, "account", "账号", resets, now));
        }
    }
    if let (Some(limit), Some(ip)) = (rules.int(rule::SUBMIT_PER_IP_PER_DAY), &ctx.client_ip) {
        let hits = tx
            .hit_rate_counter(&format!("filing.submit.ip:{ip}"), day_start)
            .await?;
        if hits > limit {
            return Err(limit_error(limit, "source IP", "IP", resets, now));
        }
    }
    let from = OrderStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?;
    let to = from.apply(OrderEvent::Submit).map_err(transition_error)?;
    let expected = row.status.clone();
    row.status = to.as_str().to_owned();
    row.submitted_at = Some(now.0);
    row.claimed_by = None;
    // A returned or rejected order goes to the authority again as a new submission.
    row.authority_ticket = None;
    row.updated_at = now.0;
    if !tx
        .update_filing_order(&row, &expected, &actor.account_id, None)
        .await?
    {
        return Err(concurrent());
    }
    status_changed(app, &mut tx, &row, from, to).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.order.submit",
            object_type: "filing_order",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: json!({"status": expected}),
            after: order_summary(&row),
        },
    )
    .await?;
    tx.commit().await?;
    order_view(app, &row, false)
}

/// Applies `event` to an order in one transaction: authorisation, the state machine,
/// `mutate` for the event's own changes, the history row, the notice hook and the audit
/// entry.
#[allow(clippy::too_many_arguments)]
async fn transition(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    event: OrderEvent,
    right: Right,
    note: Option<&str>,
    mutate: impl FnOnce(&mut FilingOrderRow) -> Result<(), AppError>,
) -> Result<OrderView, AppError> {
    let mut tx = app.db().write().await?;
    let mut row = authorized_order(&mut tx, actor, id, right).await?;
    let row = apply_event(
        app,
        &mut tx,
        &mut row,
        event,
        &actor.account_id,
        note,
        mutate,
    )
    .await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: match event {
                OrderEvent::VerifyType => "filing.order.verify_type",
                OrderEvent::Abandon => "filing.order.abandon",
                OrderEvent::ProviderPass => "filing.order.approve",
                OrderEvent::ProviderReject => "filing.order.reject",
                OrderEvent::SmsVerified | OrderEvent::SmsFailed => "filing.order.sms",
                _ => "filing.order.transition",
            },
            object_type: "filing_order",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: Value::Null,
            after: order_summary(&row),
        },
    )
    .await?;
    tx.commit().await?;
    order_view(app, &row, false)
}

async fn apply_event(
    app: &App,
    tx: &mut Tx,
    row: &mut FilingOrderRow,
    event: OrderEvent,
    actor: &str,
    note: Option<&str>,
    mutate: impl FnOnce(&mut FilingOrderRow) -> Result<(), AppError>,
) -> Result<FilingOrderRow, AppError> {
    let from = OrderStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?;
    let to = from.apply(event).map_err(transition_error)?;
    let expected = row.status.clone();
    mutate(row)?;
    row.status = to.as_str().to_owned();
    if to.is_final() {
        // Releases the entity's lock (R-OP-1).
        row.lock_key = None;
    }
    row.updated_at = app.now().0;
    if !tx.update_filing_order(row, &expected, actor, note).await? {
        return Err(concurrent());
    }
    status_changed(app, tx, row, from, to).await?;
    Ok(row.clone())
}

/// Every status change passes here, inside its transaction: the applicant's account is
/// notified (e-mail and in-app, in the account's language) through the notices outbox, so
/// the notice exists exactly when the change commits. The SMS copy goes to the subject
/// principal's mobile from the order's payload.
async fn status_changed(
    app: &App,
    tx: &mut Tx,
    row: &FilingOrderRow,
    from: OrderStatus,
    to: OrderStatus,
) -> Result<(), AppError> {
    tracing::debug!(
        order = %row.id,
        from = from.as_str(),
        to = to.as_str(),
        "filing order status changed"
    );
    let mut params = serde_json::Map::new();
    params.insert("filing".into(), Value::String(row.id.clone()));
    params.insert(
        "status".into(),
        Value::String(format!("{} ({})", to.label_zh(), to.as_str())),
    );
    let payload = open_json::<Payload>(app, &row.payload_sealed, &order_context(&row.id));
    // The notice names what the customer filed (the site and its domain, or the subject),
    // not the order id, which they never typed.
    let (target_zh, target_en) = match &payload {
        Ok(Payload {
            site: Some(site), ..
        }) => {
            params.insert("domain".into(), Value::String(site.domain.clone()));
            params.insert("site".into(), Value::String(site.name.clone()));
            (
                format!("网站“{}”（{}）", site.name, site.domain),
                format!("the site “{}” ({})", site.name, site.domain),
            )
        }
        Ok(payload) => {
            params.insert("entity".into(), Value::String(payload.entity.name.clone()));
            (
                format!("主体“{}”", payload.entity.name),
                format!("the subject “{}”", payload.entity.name),
            )
        }
        Err(_) => (
            format!("申请 {}", row.id),
            format!("application {}", row.id),
        ),
    };
    params.insert("target".into(), Value::String(target_zh));
    params.insert("target_en".into(), Value::String(target_en));
    // The applicant is the subject's principal (负责人): the mobile the authority also texts.
    let sms_to = match &payload {
        Ok(payload) => Some(crate::notify::notices::SmsTo::new(
            app.cipher(),
            &payload.entity.principal.mobile,
        )),
        Err(e) => {
            // A notice never blocks the change it reports; e-mail and in-app still go out.
            tracing::warn!(order = %row.id, error = %e, "no applicant mobile for the SMS notice");
            None
        }
    };
    crate::notify::notices::enqueue(
        tx,
        &crate::notify::notices::NoticeRequest {
            account_id: row.owner_id.clone(),
            kind: crate::notify::notices::NoticeKind::IcpStatusChanged,
            // One notice per change: an order may pass the same status more than once.
            occasion: format!(
                "filing:{}:{}:{}:{}",
                row.id,
                from.as_str(),
                to.as_str(),
                row.updated_at
            ),
            params,
            sms_to,
        },
        row.updated_at,
    )
    .await?;
    Ok(())
}

/// Gives up an order (any non-final status); releases the entity's lock.
pub async fn abandon(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<OrderView, AppError> {
    transition(
        app,
        ctx,
        actor,
        id,
        OrderEvent::Abandon,
        Right::IcpManage,
        None,
        |_| Ok(()),
    )
    .await
}

/// An order's status history.
pub async fn history(app: &App, actor: &Actor, id: &str) -> Result<Vec<HistoryEntry>, AppError> {
    let mut tx = app.db().read().await?;
    let row = authorized_order(&mut tx, actor, id, Right::IcpManage).await?;
    let rows = tx.filing_history(&row.id).await?;
    tx.commit().await?;
    Ok(rows.iter().map(history_entry).collect())
}

fn history_entry(r: &FilingHistoryRow) -> HistoryEntry {
    HistoryEntry {
        from: r.from_status.clone(),
        to: r.to_status.clone(),
        actor: r.actor.clone(),
        note: r.note.clone(),
        at: Timestamp(r.at),
    }
}

fn note_view(r: &FilingNoteRow) -> NoteView {
    NoteView {
        kind: r.kind.clone(),
        author: r.author.clone(),
        from_staff: r.from_staff,
        field: r.field.clone(),
        code: r.code.clone(),
        body: r.body.clone(),
        at: Timestamp(r.at),
    }
}

// ---------------------------------------------------------------------------------------
// Review.

/// Orders waiting for the provider's review, oldest first.
pub async fn review_queue(app: &App, actor: &Actor) -> Result<Vec<OrderView>, AppError> {
    actor.require(Right::ReviewQueue)?;
    let mut tx = app.db().read().await?;
    let rows = tx
        .filing_orders_in_status(&[OrderStatus::ProviderReview.as_str()], 200)
        .await?;
    tx.commit().await?;
    rows.iter().map(|r| order_view(app, r, false)).collect()
}

/// Claims an order for review (or confirms the actor's claim).
pub async fn claim(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<OrderView, AppError> {
    // Staff-only: a customer is refused whatever the id (403, not 404).
    actor.require(Right::ReviewQueue)?;
    let mut tx = app.db().write().await?;
    let mut row = authorized_order(&mut tx, actor, id, Right::ReviewQueue).await?;
    if row.status != OrderStatus::ProviderReview.as_str() {
        return Err(transition_error(filing::TransitionError {
            from: OrderStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
            event: OrderEvent::ProviderPass,
        }));
    }
    match &row.claimed_by {
        Some(other) if *other != actor.account_id => return Err(claimed_by_other()),
        _ => {}
    }
    row.claimed_by = Some(actor.account_id.clone());
    row.updated_at = app.now().0;
    let expected = row.status.clone();
    if !tx
        .update_filing_order(&row, &expected, &actor.account_id, None)
        .await?
    {
        return Err(concurrent());
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.order.claim",
            object_type: "filing_order",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: Value::Null,
            after: json!({"claimed_by": actor.account_id}),
        },
    )
    .await?;
    tx.commit().await?;
    order_view(app, &row, false)
}

fn claimed_by_other() -> AppError {
    AppError::new(
        ErrorKind::Conflict,
        "CLAIMED_BY_OTHER",
        "another reviewer has claimed this order",
        "该订单已被其他审核员领取",
    )
}

fn require_claim(row: &FilingOrderRow, actor: &Actor) -> Result<(), AppError> {
    match &row.claimed_by {
        Some(by) if *by == actor.account_id => Ok(()),
        Some(_) => Err(claimed_by_other()),
        None => Err(AppError::new(
            ErrorKind::Conflict,
            "NOT_CLAIMED",
            "claim the order before deciding",
            "请先领取订单再审核",
        )),
    }
}

/// The reviewer's full view (plain numbers: audited as `filing.order.reveal`).
pub async fn review_view(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<ReviewView, AppError> {
    // Staff-only: a customer is refused whatever the id (403, not 404).
    actor.require(Right::ReviewQueue)?;
    let mut tx = app.db().read().await?;
    let row = authorized_order(&mut tx, actor, id, Right::ReviewQueue).await?;
    tx.commit().await?;
    let order = order_view(app, &row, true)?;
    let lookup = authority_lookup(app, order.operation, &order.payload).await?;
    let mut tx = app.db().write().await?;
    let check = run_check(app, &mut tx, &row, &order.payload, lookup.as_ref()).await?;
    let materials = tx
        .filing_materials(&row.id)
        .await?
        .iter()
        .map(materials::MaterialView::from_row)
        .collect();
    let history = tx
        .filing_history(&row.id)
        .await?
        .iter()
        .map(history_entry)
        .collect();
    let notes = tx
        .filing_notes(&row.id)
        .await?
        .iter()
        .map(note_view)
        .collect();
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.order.reveal",
            object_type: "filing_order",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: Value::Null,
            after: Value::Null,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(ReviewView {
        order,
        check,
        materials,
        history,
        notes,
    })
}

/// The provider's reviewer passes the order; it is pushed to the authority right away (and
/// by `sync` if the authority does not answer now).
pub async fn approve(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<OrderView, AppError> {
    // Staff-only: a customer is refused whatever the id (403, not 404).
    actor.require(Right::ReviewQueue)?;
    let mut tx = app.db().read().await?;
    let row = authorized_order(&mut tx, actor, id, Right::ReviewQueue).await?;
    tx.commit().await?;
    require_claim(&row, actor)?;
    transition(
        app,
        ctx,
        actor,
        id,
        OrderEvent::ProviderPass,
        Right::ReviewQueue,
        None,
        |_| Ok(()),
    )
    .await?;
    if let Err(e) = push_to_authority(app, id).await {
        tracing::warn!(order = %id, error = %e, "push to the authority failed; sync retries");
    }
    let mut tx = app.db().read().await?;
    let row = authorized_order(&mut tx, actor, id, Right::ReviewQueue).await?;
    tx.commit().await?;
    order_view(app, &row, false)
}

/// One rejected field with its §1.8 code and the reviewer's comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRejection {
    /// Dotted field path (`site.name`, or `entity` for the whole entity).
    pub field: String,
    /// §1.8 code.
    pub code: String,
    /// Comment for the applicant.
    pub comment: String,
}

/// The provider's reviewer rejects: the listed fields (only those) reopen for editing.
pub async fn reject(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    rejections: &[FieldRejection],
) -> Result<OrderView, AppError> {
    // Staff-only: a customer is refused whatever the id (403, not 404).
    actor.require(Right::ReviewQueue)?;
    if rejections.is_empty() || rejections.len() > 50 {
        return Err(invalid(
            "INVALID_LENGTH",
            "rejections",
            "1 to 50 rejected fields",
            "须列出 1 至 50 个驳回字段",
        ));
    }
    for (i, r) in rejections.iter().enumerate() {
        if filing::RejectCode::parse(&r.code).is_none() {
            return Err(invalid(
                "INVALID_REJECT_CODE",
                &format!("rejections[{i}].code"),
                "not a rejection code of the catalogue",
                "不是驳回原因目录中的代码",
            ));
        }
        bounded(&r.field, &format!("rejections[{i}].field"), 100)?;
        bounded(&r.comment, &format!("rejections[{i}].comment"), 1000)?;
    }
    let mut tx = app.db().read().await?;
    let row = authorized_order(&mut tx, actor, id, Right::ReviewQueue).await?;
    tx.commit().await?;
    require_claim(&row, actor)?;
    let fields: Vec<String> = rejections
        .iter()
        .map(|r| r.field.trim().to_owned())
        .collect();
    let fields_json =
        serde_json::to_string(&fields).map_err(|e| AppError::internal(e.to_string()))?;
    let codes: Vec<&str> = rejections.iter().map(|r| r.code.as_str()).collect();
    let note = codes.join(",");
    let view = transition(
        app,
        ctx,
        actor,
        id,
        OrderEvent::ProviderReject,
        Right::ReviewQueue,
        Some(&note),
        |row| {
            row.rejected_fields = fields_json;
            Ok(())
        },
    )
    .await?;
    let mut tx = app.db().write().await?;
    for r in rejections {
        tx.insert_filing_note(&FilingNoteRow {
            seq: 0,
            order_id: id.to_owned(),
            kind: "rejection".into(),
            author: actor.account_id.clone(),
            from_staff: true,
            field: Some(r.field.trim().to_owned()),
            code: Some(r.code.clone()),
            body: r.comment.trim().to_owned(),
            at: app.now().0,
        })
        .await?;
    }
    tx.commit().await?;
    Ok(view)
}

/// Adds a call-log entry (staff) or a message (staff or the applicant) to an order.
pub async fn add_note(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    kind: &str,
    body: &str,
) -> Result<NoteView, AppError> {
    let staff = actor.role.is_staff();
    let right = if staff {
        Right::ReviewQueue
    } else {
        Right::IcpManage
    };
    let mut tx = app.db().write().await?;
    let row = authorized_order(&mut tx, actor, id, right).await?;
    match kind {
        "message" => {}
        "call" if staff => {}
        _ => {
            return Err(invalid(
                "INVALID_NOTE_KIND",
                "kind",
                "kind is message (or call, for staff)",
                "类型须为 message（审核员可用 call）",
            ));
        }
    }
    bounded(body, "body", 4000)?;
    let note = FilingNoteRow {
        seq: 0,
        order_id: row.id.clone(),
        kind: kind.to_owned(),
        author: actor.account_id.clone(),
        from_staff: staff,
        field: None,
        code: None,
        body: body.trim().to_owned(),
        at: app.now().0,
    };
    tx.insert_filing_note(&note).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "filing.order.note",
            object_type: "filing_order",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: Value::Null,
            after: json!({"kind": kind}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(note_view(&note))
}

/// An order's notes (the applicant's view and the reviewer's).
pub async fn notes(app: &App, actor: &Actor, id: &str) -> Result<Vec<NoteView>, AppError> {
    let right = if actor.role.is_staff() {
        Right::ReviewQueue
    } else {
        Right::IcpManage
    };
    let mut tx = app.db().read().await?;
    let row = authorized_order(&mut tx, actor, id, right).await?;
    let rows = tx.filing_notes(&row.id).await?;
    tx.commit().await?;
    Ok(rows.iter().map(note_view).collect())
}

// ---------------------------------------------------------------------------------------
// Authority round trip.

fn system() -> Actor {
    Actor::system()
}

/// Pushes an order waiting in PENDING_SUBMIT_MIIT to the authority.
async fn push_to_authority(app: &App, id: &str) -> Result<(), AppError> {
    let mut tx = app.db().read().await?;
    let row = tx.filing_order(id).await?.ok_or_else(AppError::not_found)?;
    let site = match &row.site_id {
        Some(s) => tx.filing_site(s).await?,
        None => None,
    };
    tx.commit().await?;
    if row.status != OrderStatus::PendingSubmitMiit.as_str() || row.authority_ticket.is_some() {
        return Ok(());
    }
    let payload: Payload = open_json(app, &row.payload_sealed, &order_context(&row.id))?;
    let today = app.now().date();
    let cert_type = parse_id_type(&payload.entity.cert_type, "entity.cert_type")?;
    let mut mobiles = vec![payload.entity.principal.mobile.trim().to_owned()];
    if let Some(s) = &payload.site
        && !mobiles.contains(&s.principal.mobile.trim().to_owned())
    {
        mobiles.push(s.principal.mobile.trim().to_owned());
    }
    let submission = Submission {
        order_id: row.id.clone(),
        operation: Operation::parse(&row.operation).ok_or_else(|| corrupt("operation"))?,
        province: parse_province(&payload.entity.province)?,
        cert_key: cert_key(cert_type, &payload.entity.cert_no, today),
        domain: payload.site.as_ref().map(|s| s.domain.clone()),
        site_no: site.and_then(|s| s.site_no),
        mobiles,
    };
    let ticket = app
        .filing_authority()
        .submit(&submission, app.now())
        .await
        .map_err(authority_error)?;
    let mut tx = app.db().write().await?;
    let Some(mut row) = tx.filing_order_for_update(id).await? else {
        return Ok(());
    };
    if row.status != OrderStatus::PendingSubmitMiit.as_str() {
        // Abandoned meanwhile: the authority's ticket will lapse.
        return Ok(());
    }
    let ticket_id = ticket.id.clone();
    apply_event(
        app,
        &mut tx,
        &mut row,
        OrderEvent::PushToAuthority {
            sms: ticket.sms_required,
        },
        "authority",
        None,
        |row| {
            row.authority_ticket = Some(ticket_id);
            Ok(())
        },
    )
    .await?;
    audit::record(
        app,
        &mut tx,
        &RequestContext::internal("filing.sync"),
        &system().account_id,
        Change {
            action: "filing.order.push",
            object_type: "filing_order",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: Value::Null,
            after: order_summary(&row),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Enters the SMS verification code the authority sent to the principals.
pub async fn verify_sms(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    code: &str,
) -> Result<OrderView, AppError> {
    let mut tx = app.db().read().await?;
    let row = authorized_order(&mut tx, actor, id, Right::IcpManage).await?;
    tx.commit().await?;
    let status = OrderStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?;
    let (Some(ticket), OrderStatus::SmsVerify) = (&row.authority_ticket, status) else {
        return Err(transition_error(filing::TransitionError {
            from: status,
            event: OrderEvent::SmsVerified,
        }));
    };
    if code.len() > 16 {
        return Err(invalid(
            "INVALID_CODE",
            "code",
            "not a verification code",
            "验证码格式无效",
        ));
    }
    let outcome = app
        .filing_authority()
        .verify_sms(ticket, code, app.now())
        .await
        .map_err(authority_error)?;
    match outcome {
        SmsOutcome::Verified => {
            transition(
                app,
                ctx,
                actor,
                id,
                OrderEvent::SmsVerified,
                Right::IcpManage,
                None,
                |_| Ok(()),
            )
            .await
        }
        SmsOutcome::Wrong { remaining } => Err(AppError::new(
            ErrorKind::BadRequest,
            "SMS_CODE_WRONG",
            format!("wrong code; {remaining} tries left before the order is returned"),
            format!("验证码错误，还可尝试 {remaining} 次，之后订单将被退回"),
        )
        .with_field("code")),
        SmsOutcome::Returned => {
            transition(
                app,
                ctx,
                actor,
                id,
                OrderEvent::SmsFailed,
                Right::IcpManage,
                Some("sms verification failed"),
                |_| Ok(()),
            )
            .await?;
            Err(AppError::new(
                ErrorKind::Conflict,
                "SMS_RETURNED",
                "too many wrong codes or the code expired: the order was returned; submit it again",
                "验证码错误次数过多或已过期，订单已退回，请重新提交",
            )
            .with_field("code"))
        }
    }
}

/// What one `sync` run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Orders looked at.
    pub checked: usize,
    /// Orders whose status changed.
    pub changed: usize,
    /// Orders the authority could not be asked about (retried next run).
    pub failed: usize,
}

/// Brings every order at the authority up to date: pushes orders still waiting to be
/// pushed, returns expired SMS verifications, records bureau decisions and issues numbers.
/// The scheduler calls it at least every 30 minutes (`yuming jobs run-once` too).
pub async fn sync(app: &App) -> Result<SyncReport, AppError> {
    let mut tx = app.db().read().await?;
    let rows = tx
        .filing_orders_in_status(
            &[
                OrderStatus::PendingSubmitMiit.as_str(),
                OrderStatus::SmsVerify.as_str(),
                OrderStatus::BureauReview.as_str(),
            ],
            SYNC_BATCH,
        )
        .await?;
    tx.commit().await?;
    let mut report = SyncReport::default();
    for row in rows {
        report.checked += 1;
        match sync_one(app, &row).await {
            Ok(true) => report.changed += 1,
            Ok(false) => {}
            Err(e) => {
                tracing::warn!(order = %row.id, error = %e, "filing sync failed");
                report.failed += 1;
            }
        }
    }
    Ok(report)
}

async fn sync_one(app: &App, row: &FilingOrderRow) -> Result<bool, AppError> {
    let Some(ticket) = &row.authority_ticket else {
        push_to_authority(app, &row.id).await?;
        return Ok(true);
    };
    let status = app
        .filing_authority()
        .status(ticket, app.now())
        .await
        .map_err(authority_error)?;
    let current = OrderStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?;
    let event = match (&status, current) {
        (AuthorityStatus::Returned, OrderStatus::SmsVerify) => OrderEvent::SmsFailed,
        (
            AuthorityStatus::InReview
            | AuthorityStatus::Approved { .. }
            | AuthorityStatus::Rejected { .. },
            OrderStatus::SmsVerify,
        ) => OrderEvent::SmsVerified,
        (AuthorityStatus::Approved { .. }, OrderStatus::BureauReview) => OrderEvent::BureauApprove,
        (AuthorityStatus::Rejected { .. }, OrderStatus::BureauReview) => OrderEvent::BureauReject,
        _ => return Ok(false),
    };
    let mut tx = app.db().write().await?;
    let Some(mut row) = tx.filing_order_for_update(&row.id).await? else {
        return Ok(false);
    };
    if row.status != current.as_str() {
        return Ok(false);
    }
    let note = match &status {
        AuthorityStatus::Rejected { codes } => Some(codes.join(",")),
        _ => None,
    };
    let row = apply_event(
        app,
        &mut tx,
        &mut row,
        event,
        "authority",
        note.as_deref(),
        |row| {
            if event == OrderEvent::BureauReject {
                // The bureau names no fields: everything but the frozen fields reopens.
                row.rejected_fields = r#"["entity","site"]"#.into();
            }
            Ok(())
        },
    )
    .await?;
    if let (
        OrderEvent::BureauApprove,
        AuthorityStatus::Approved {
            subject_no,
            site_no,
        },
    ) = (event, &status)
    {
        record_approval(app, &mut tx, &row, subject_no, site_no.as_deref()).await?;
    }
    if let (OrderEvent::BureauReject, AuthorityStatus::Rejected { codes }) = (event, &status) {
        for code in codes {
            tx.insert_filing_note(&FilingNoteRow {
                seq: 0,
                order_id: row.id.clone(),
                kind: "rejection".into(),
                author: "authority".into(),
                from_staff: true,
                field: None,
                code: Some(code.clone()),
                body: "管局驳回".into(),
                at: app.now().0,
            })
            .await?;
        }
    }
    audit::record(
        app,
        &mut tx,
        &RequestContext::internal("filing.sync"),
        &system().account_id,
        Change {
            action: "filing.order.sync",
            object_type: "filing_order",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: json!({"status": current.as_str()}),
            after: order_summary(&row),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Copies an approved order onto the entity and site rows with the issued numbers.
async fn record_approval(
    app: &App,
    tx: &mut Tx,
    order: &FilingOrderRow,
    subject_no: &str,
    site_no: Option<&str>,
) -> Result<(), AppError> {
    let payload: Payload = open_json(app, &order.payload_sealed, &order_context(&order.id))?;
    let operation = Operation::parse(&order.operation).ok_or_else(|| corrupt("operation"))?;
    let now = app.now();
    let today = now.date();
    let mut entity = tx
        .filing_entity(&order.entity_id)
        .await?
        .ok_or_else(|| corrupt("entity"))?;
    let cert_type = parse_id_type(&payload.entity.cert_type, "entity.cert_type")?;
    entity.name = payload.entity.name.trim().to_owned();
    (entity.principal_mobile_index, entity.principal_email_index) =
        principal_indexes(app, &payload.entity.principal);
    entity.cert_masked = masked(cert_type, &payload.entity.cert_no, today);
    entity.cert_digest = cert_digest(app, cert_type, &payload.entity.cert_no, today);
    entity.cert_type = cert_type.as_str().to_owned();
    entity.entity_type = payload.entity.entity_type.clone();
    entity.province = i64::from(parse_province(&payload.entity.province)?);
    entity.data_sealed = seal_json(app, &payload.entity, &entity_context(&entity.id))?;
    entity.subject_no = Some(subject_no.to_owned());
    entity.status = if operation == Operation::CancelSubject {
        "cancelled".into()
    } else {
        "filed".into()
    };
    entity.updated_at = now.0;
    tx.update_filing_entity(&entity).await?;
    if operation == Operation::CancelSubject {
        for mut site in tx.filing_sites_of_entity(&entity.id).await? {
            site.status = "cancelled".into();
            site.updated_at = now.0;
            tx.update_filing_site(&site).await?;
        }
    }
    if let (Some(site_id), Some(site_input)) = (&order.site_id, &payload.site) {
        let mut site = tx
            .filing_site(site_id)
            .await?
            .ok_or_else(|| corrupt("site"))?;
        site.domain = site_input.domain.clone();
        (site.principal_mobile_index, site.principal_email_index) =
            principal_indexes(app, &site_input.principal);
        site.data_sealed = seal_json(app, site_input, &site_context(&site.id))?;
        if let Some(no) = site_no {
            site.site_no = Some(no.to_owned());
        }
        site.status = if matches!(operation, Operation::CancelSite | Operation::CancelAccess) {
            "cancelled".into()
        } else {
            "filed".into()
        };
        site.updated_at = now.0;
        tx.update_filing_site(&site).await?;
        // A filed site gets its signed certificate in the same transaction.
        if site.status == "filed" {
            certificates::issue(app, tx, &site, &entity).await?;
        }
    }
    Ok(())
}
