//! ICP filing (备案), spec §1: entity types, operation types, the order state machine (§1.7),
//! the rejection catalogue (§1.8), filing-type determination (§1.3), the versioned rules
//! table and the self-check ([`check`]).
//!
//! Everything here is pure. The application layer gathers the facts (what the platform knows
//! about the domain, the servers, duplicates, the blacklist, what the authority knows about
//! the certificate) and passes them in with `now`.

pub mod certificate;
mod check;
pub mod estimate;
pub mod monitor;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use crate::clock::Timestamp;

pub use check::{
    CheckInput, CheckProblem, DomainFacts, DuplicateFacts, EntityFacts, PersonFacts,
    PreapprovalFacts, ServerFacts, Severity, SiteFacts, self_check,
};

/// 主办单位性质 (§1.4): our own keys, mapped to each upstream code set at the edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityType {
    /// 国防机构.
    Defense,
    /// 政府机关.
    Gov,
    /// 事业单位.
    PublicInst,
    /// 企业.
    Enterprise,
    /// 个人.
    Person,
    /// 社会团体.
    SocialOrg,
    /// 民办非企业单位.
    PrivateNonent,
    /// 基金会.
    Foundation,
    /// 律师执业机构.
    LawFirm,
    /// 外国在华文化中心.
    ForeignCulture,
    /// 群众性团体组织.
    MassOrg,
    /// 司法鉴定机构.
    Forensic,
    /// 宗教团体.
    Religious,
    /// 境外机构.
    Overseas,
    /// 医疗机构.
    Medical,
    /// 公证机构.
    Notary,
    /// 集体经济.
    Collective,
    /// 仲裁机构.
    Arbitration,
}

const ENTITY_TYPES: [(EntityType, &str, &str); 18] = [
    (EntityType::Defense, "DEFENSE", "国防机构"),
    (EntityType::Gov, "GOV", "政府机关"),
    (EntityType::PublicInst, "PUBLIC_INST", "事业单位"),
    (EntityType::Enterprise, "ENTERPRISE", "企业"),
    (EntityType::Person, "PERSON", "个人"),
    (EntityType::SocialOrg, "SOCIAL_ORG", "社会团体"),
    (
        EntityType::PrivateNonent,
        "PRIVATE_NONENT",
        "民办非企业单位",
    ),
    (EntityType::Foundation, "FOUNDATION", "基金会"),
    (EntityType::LawFirm, "LAW_FIRM", "律师执业机构"),
    (
        EntityType::ForeignCulture,
        "FOREIGN_CULTURE",
        "外国在华文化中心",
    ),
    (EntityType::MassOrg, "MASS_ORG", "群众性团体组织"),
    (EntityType::Forensic, "FORENSIC", "司法鉴定机构"),
    (EntityType::Religious, "RELIGIOUS", "宗教团体"),
    (EntityType::Overseas, "OVERSEAS", "境外机构"),
    (EntityType::Medical, "MEDICAL", "医疗机构"),
    (EntityType::Notary, "NOTARY", "公证机构"),
    (EntityType::Collective, "COLLECTIVE", "集体经济"),
    (EntityType::Arbitration, "ARBITRATION", "仲裁机构"),
];

impl EntityType {
    /// The stable key, e.g. `ENTERPRISE`.
    pub fn as_str(self) -> &'static str {
        ENTITY_TYPES
            .iter()
            .find(|(t, _, _)| *t == self)
            .map_or("PERSON", |(_, key, _)| key)
    }

    /// Parses a stable key.
    pub fn parse(key: &str) -> Option<EntityType> {
        ENTITY_TYPES
            .iter()
            .find(|(_, k, _)| *k == key)
            .map(|(t, _, _)| *t)
    }

    /// The Chinese label.
    pub fn label_zh(self) -> &'static str {
        ENTITY_TYPES
            .iter()
            .find(|(t, _, _)| *t == self)
            .map_or("个人", |(_, _, zh)| zh)
    }

    /// Whether this is a natural person.
    pub fn is_person(self) -> bool {
        self == EntityType::Person
    }

    /// National-level units may use the reserved site-name prefixes (R-NAME 3).
    pub fn is_national(self) -> bool {
        matches!(self, EntityType::Defense | EntityType::Gov)
    }
}

/// The operation types of §1.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operation {
    /// 首次备案.
    First,
    /// 新增网站 (主体 filed here).
    AddSite,
    /// 无主体新增网站 (主体 filed at another provider).
    AddSiteNoLocal,
    /// 新增接入.
    AddAccess,
    /// 变更主体.
    ChangeSubject,
    /// 变更网站.
    ChangeSite,
    /// 变更备案 (both).
    ChangeAll,
    /// 注销主体.
    CancelSubject,
    /// 注销网站.
    CancelSite,
    /// 取消接入.
    CancelAccess,
}

const OPERATIONS: [(Operation, &str, &str); 10] = [
    (Operation::First, "FIRST", "首次备案"),
    (Operation::AddSite, "ADD_SITE", "新增网站"),
    (
        Operation::AddSiteNoLocal,
        "ADD_SITE_NO_LOCAL",
        "无主体新增网站",
    ),
    (Operation::AddAccess, "ADD_ACCESS", "新增接入"),
    (Operation::ChangeSubject, "CHANGE_SUBJECT", "变更主体"),
    (Operation::ChangeSite, "CHANGE_SITE", "变更网站"),
    (Operation::ChangeAll, "CHANGE_ALL", "变更备案"),
    (Operation::CancelSubject, "CANCEL_SUBJECT", "注销主体"),
    (Operation::CancelSite, "CANCEL_SITE", "注销网站"),
    (Operation::CancelAccess, "CANCEL_ACCESS", "取消接入"),
];

impl Operation {
    /// The stable key, e.g. `ADD_SITE`.
    pub fn as_str(self) -> &'static str {
        OPERATIONS
            .iter()
            .find(|(o, _, _)| *o == self)
            .map_or("FIRST", |(_, key, _)| key)
    }

    /// The name the authority uses, e.g. `变更网站`.
    pub fn label_zh(self) -> &'static str {
        OPERATIONS
            .iter()
            .find(|(o, _, _)| *o == self)
            .map_or("首次备案", |(_, _, name)| name)
    }

    /// Parses a stable key.
    pub fn parse(key: &str) -> Option<Operation> {
        OPERATIONS
            .iter()
            .find(|(_, k, _)| *k == key)
            .map(|(o, _, _)| *o)
    }

    /// Every operation but 取消接入 goes through the authority's SMS verification (§1.7).
    pub fn needs_sms(self) -> bool {
        self != Operation::CancelAccess
    }

    /// Operations that create a new site: its domain must not resolve yet (R-DOM-5).
    pub fn creates_site(self) -> bool {
        matches!(
            self,
            Operation::First | Operation::AddSite | Operation::AddSiteNoLocal
        )
    }

    /// Operations that need an approved filing first.
    pub fn needs_existing_filing(self) -> bool {
        matches!(
            self,
            Operation::ChangeSubject
                | Operation::ChangeSite
                | Operation::ChangeAll
                | Operation::CancelSubject
                | Operation::CancelSite
                | Operation::CancelAccess
        )
    }

    /// Operations that carry a site (and so a domain and access information).
    pub fn has_site(self) -> bool {
        !matches!(self, Operation::ChangeSubject | Operation::CancelSubject)
    }

    /// Whether an order of this operation may change `field` (a dotted path of the
    /// proposed data): 变更主体 changes the entity's data only, 变更网站 the website's only,
    /// a cancellation changes nothing (§1.2).
    pub fn may_change(self, field: &str) -> bool {
        match self {
            Operation::ChangeSubject => field.starts_with("entity."),
            Operation::ChangeSite => field.starts_with("site."),
            Operation::CancelSubject | Operation::CancelSite | Operation::CancelAccess => false,
            _ => true,
        }
    }

    /// Cancellations: nothing is checked but the right to cancel.
    pub fn is_cancel(self) -> bool {
        matches!(
            self,
            Operation::CancelSubject | Operation::CancelSite | Operation::CancelAccess
        )
    }
}

/// An order's status (§1.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Being drafted; the filing type is not determined yet.
    Draft,
    /// Type determined, verified fields frozen; the applicant fills in the rest.
    Filling,
    /// 待接入商审核.
    ProviderReview,
    /// 接入商驳回: the applicant fixes the rejected fields.
    ProviderRejected,
    /// 待提交管局.
    PendingSubmitMiit,
    /// 工信部短信核验.
    SmsVerify,
    /// Returned by the authority (SMS timeout or too many wrong codes).
    Returned,
    /// 待管局审核.
    BureauReview,
    /// 管局审核通过 (final).
    Approved,
    /// 管局驳回: back to the applicant.
    BureauRejected,
    /// 放弃备案 (final).
    Abandoned,
}

const STATUSES: [(OrderStatus, &str, &str); 11] = [
    (OrderStatus::Draft, "DRAFT", "草稿"),
    (OrderStatus::Filling, "FILLING", "填写中"),
    (
        OrderStatus::ProviderReview,
        "PROVIDER_REVIEW",
        "待接入商审核",
    ),
    (
        OrderStatus::ProviderRejected,
        "PROVIDER_REJECTED",
        "接入商驳回",
    ),
    (
        OrderStatus::PendingSubmitMiit,
        "PENDING_SUBMIT_MIIT",
        "待提交管局",
    ),
    (OrderStatus::SmsVerify, "SMS_VERIFY", "待短信核验"),
    (OrderStatus::Returned, "RETURNED", "已退回"),
    (OrderStatus::BureauReview, "BUREAU_REVIEW", "待管局审核"),
    (OrderStatus::Approved, "APPROVED", "管局审核通过"),
    (OrderStatus::BureauRejected, "BUREAU_REJECTED", "管局驳回"),
    (OrderStatus::Abandoned, "ABANDONED", "已放弃"),
];

/// What happens to an order; [`OrderStatus::apply`] is the only way to change its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderEvent {
    /// The filing type was verified (验证备案类型).
    VerifyType,
    /// The applicant submits (or resubmits after a rejection or return).
    Submit,
    /// The provider's reviewer rejects.
    ProviderReject,
    /// The provider's reviewer passes.
    ProviderPass,
    /// Pushed to the authority; `sms` says whether it asks for SMS verification.
    PushToAuthority {
        /// Whether the operation goes through SMS verification.
        sms: bool,
    },
    /// The SMS code was entered correctly.
    SmsVerified,
    /// 24 h passed or the 6th wrong code: back to the applicant.
    SmsFailed,
    /// The bureau approves.
    BureauApprove,
    /// The bureau rejects.
    BureauReject,
    /// The applicant gives up.
    Abandon,
}

impl OrderEvent {
    /// A short name for errors and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderEvent::VerifyType => "verify_type",
            OrderEvent::Submit => "submit",
            OrderEvent::ProviderReject => "provider_reject",
            OrderEvent::ProviderPass => "provider_pass",
            OrderEvent::PushToAuthority { .. } => "push_to_authority",
            OrderEvent::SmsVerified => "sms_verified",
            OrderEvent::SmsFailed => "sms_failed",
            OrderEvent::BureauApprove => "bureau_approve",
            OrderEvent::BureauReject => "bureau_reject",
            OrderEvent::Abandon => "abandon",
        }
    }
}

/// An event that the current status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an order in status {} cannot {}", from.as_str(), event.as_str())]
pub struct TransitionError {
    /// The status the order is in.
    pub from: OrderStatus,
    /// The refused event.
    pub event: OrderEvent,
}

impl OrderStatus {
    /// The stable key, e.g. `PROVIDER_REVIEW`.
    pub fn as_str(self) -> &'static str {
        STATUSES
            .iter()
            .find(|(s, _, _)| *s == self)
            .map_or("DRAFT", |(_, key, _)| key)
    }

    /// The Chinese label, as providers show it.
    pub fn label_zh(self) -> &'static str {
        STATUSES
            .iter()
            .find(|(s, _, _)| *s == self)
            .map_or("草稿", |(_, _, zh)| zh)
    }

    /// Parses a stable key.
    pub fn parse(key: &str) -> Option<OrderStatus> {
        STATUSES
            .iter()
            .find(|(_, k, _)| *k == key)
            .map(|(s, _, _)| *s)
    }

    /// Approved and abandoned orders never change again.
    pub fn is_final(self) -> bool {
        matches!(self, OrderStatus::Approved | OrderStatus::Abandoned)
    }

    /// A non-final order holds the per-entity lock (R-OP-1).
    pub fn holds_lock(self) -> bool {
        !self.is_final()
    }

    /// Whether the applicant may edit fields in this status (all open fields in a draft or
    /// while filling; only the rejected fields after a rejection or return).
    pub fn applicant_may_edit(self) -> bool {
        matches!(
            self,
            OrderStatus::Draft
                | OrderStatus::Filling
                | OrderStatus::ProviderRejected
                | OrderStatus::BureauRejected
                | OrderStatus::Returned
        )
    }

    /// The status after `event`, or why the event is not allowed now.
    pub fn apply(self, event: OrderEvent) -> Result<OrderStatus, TransitionError> {
        use OrderEvent as E;
        use OrderStatus as S;
        let next = match (self, event) {
            (s, E::Abandon) if !s.is_final() => S::Abandoned,
            (S::Draft, E::VerifyType) => S::Filling,
            (S::Filling | S::ProviderRejected | S::BureauRejected | S::Returned, E::Submit) => {
                S::ProviderReview
            }
            (S::ProviderReview, E::ProviderReject) => S::ProviderRejected,
            (S::ProviderReview, E::ProviderPass) => S::PendingSubmitMiit,
            (S::PendingSubmitMiit, E::PushToAuthority { sms: true }) => S::SmsVerify,
            (S::PendingSubmitMiit, E::PushToAuthority { sms: false }) => S::BureauReview,
            (S::SmsVerify, E::SmsVerified) => S::BureauReview,
            (S::SmsVerify, E::SmsFailed) => S::Returned,
            (S::BureauReview, E::BureauApprove) => S::Approved,
            (S::BureauReview, E::BureauReject) => S::BureauRejected,
            (from, event) => return Err(TransitionError { from, event }),
        };
        Ok(next)
    }
}

/// Fields fixed by the type determination (§1.3, R-OP-3): changing them needs a new order.
pub const FROZEN_FIELDS: [&str; 5] = [
    "entity.province",
    "entity.entity_type",
    "entity.cert_type",
    "entity.cert_no",
    "site.domain",
];

/// Whether the applicant may change `field` of an order in `status`. After a rejection only
/// the fields the reviewer rejected reopen (a rejected field `entity` reopens `entity.*`);
/// frozen fields never reopen once the type is determined.
pub fn field_editable(status: OrderStatus, rejected_fields: &[String], field: &str) -> bool {
    if !status.applicant_may_edit() {
        return false;
    }
    if status == OrderStatus::Draft {
        return true;
    }
    if FROZEN_FIELDS.contains(&field) {
        return false;
    }
    match status {
        OrderStatus::Filling => true,
        _ => rejected_fields.iter().any(|rejected| {
            field == rejected
                || field
                    .strip_prefix(rejected.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
        }),
    }
}

/// The rejection catalogue (§1.8) plus two platform findings the catalogue has no row for
/// (`ACCESS_INVALID`: server not in a mainland pool of ours or not the applicant's;
/// `BLACKLISTED`: operators' list of people and certificates proven to give false data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RejectCode {
    /// Domain real-name missing or holder ≠ entity.
    DomainNotVerified,
    /// TLD/registrar not approved, domain expiring, too young.
    DomainCheckFail,
    /// Unfiled domain still resolves.
    DomainResolving,
    /// Violates R-NAME.
    SiteNameInvalid,
    /// Content needs pre-approval or does not fit the entity.
    ContentInvalid,
    /// Approved sites unreachable or without number in the footer.
    ExistingSiteDown,
    /// Unit principal is not the legal representative and no authorisation.
    PrincipalNotLegalRep,
    /// Phone/e-mail invalid, reused or duplicated.
    ContactInvalid,
    /// Certificate invalid: check digits, validity, age.
    CertInvalid,
    /// Face/liveness check failed.
    LivenessFail,
    /// Already filed: should be another operation.
    AlreadyFiled,
    /// Another order in progress for the same certificate.
    OrderConflict,
    /// FIRST vs ADD mis-detected.
    WrongType,
    /// An empty-shell entity exists.
    EmptyShell,
    /// Pre-approval document missing, expired or unclear.
    PreapprovalInvalid,
    /// Server not in a mainland pool or not the applicant's (platform finding).
    AccessInvalid,
    /// Person or certificate on the operators' blacklist (platform finding).
    Blacklisted,
}

const REJECT_CODES: [(RejectCode, &str); 17] = [
    (RejectCode::DomainNotVerified, "DOMAIN_NOT_VERIFIED"),
    (RejectCode::DomainCheckFail, "DOMAIN_CHECK_FAIL"),
    (RejectCode::DomainResolving, "DOMAIN_RESOLVING"),
    (RejectCode::SiteNameInvalid, "SITE_NAME_INVALID"),
    (RejectCode::ContentInvalid, "CONTENT_INVALID"),
    (RejectCode::ExistingSiteDown, "EXISTING_SITE_DOWN"),
    (RejectCode::PrincipalNotLegalRep, "PRINCIPAL_NOT_LEGAL_REP"),
    (RejectCode::ContactInvalid, "CONTACT_INVALID"),
    (RejectCode::CertInvalid, "CERT_INVALID"),
    (RejectCode::LivenessFail, "LIVENESS_FAIL"),
    (RejectCode::AlreadyFiled, "ALREADY_FILED"),
    (RejectCode::OrderConflict, "ORDER_CONFLICT"),
    (RejectCode::WrongType, "WRONG_TYPE"),
    (RejectCode::EmptyShell, "EMPTY_SHELL"),
    (RejectCode::PreapprovalInvalid, "PREAPPROVAL_INVALID"),
    (RejectCode::AccessInvalid, "ACCESS_INVALID"),
    (RejectCode::Blacklisted, "BLACKLISTED"),
];

impl RejectCode {
    /// Every code.
    pub fn all() -> impl Iterator<Item = RejectCode> {
        REJECT_CODES.iter().map(|(c, _)| *c)
    }

    /// The stable key, e.g. `DOMAIN_RESOLVING`.
    pub fn as_str(self) -> &'static str {
        REJECT_CODES
            .iter()
            .find(|(c, _)| *c == self)
            .map_or("CERT_INVALID", |(_, key)| key)
    }

    /// Parses a stable key.
    pub fn parse(key: &str) -> Option<RejectCode> {
        REJECT_CODES
            .iter()
            .find(|(_, k)| *k == key)
            .map(|(c, _)| *c)
    }
}

/// What the authority knows about the certificate and the domain (§1.3 input).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorityLookup {
    /// The certificate's 主体 is filed; `Some(true)` when it is an empty shell.
    pub subject_filed: Option<SubjectAtAuthority>,
    /// The domain is filed as a site.
    pub site_filed: Option<SiteAtAuthority>,
}

/// A filed 主体.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectAtAuthority {
    /// 主体备案号.
    pub subject_no: String,
    /// Every site was cancelled (空壳主体).
    pub empty_shell: bool,
    /// Filed through this provider.
    pub at_this_provider: bool,
}

/// A filed site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SiteAtAuthority {
    /// The site's 主体 is the certificate's.
    pub same_subject: bool,
    /// This provider is among its access providers.
    pub accessed_here: bool,
}

/// Filing-type determination (§1.3): the operation the facts call for, or the rejection.
/// `empty_shell_add_ok` is the province's R-OP-7 flag from the rules table.
pub fn determine_type(
    lookup: &AuthorityLookup,
    empty_shell_add_ok: bool,
) -> Result<Operation, RejectCode> {
    if let Some(site) = &lookup.site_filed {
        if !site.same_subject {
            return Err(RejectCode::DomainNotVerified);
        }
        if site.accessed_here {
            return Err(RejectCode::AlreadyFiled);
        }
        return Ok(Operation::AddAccess);
    }
    if let Some(subject) = &lookup.subject_filed {
        if subject.empty_shell && !empty_shell_add_ok {
            return Err(RejectCode::EmptyShell);
        }
        return Ok(if subject.at_this_provider {
            Operation::AddSite
        } else {
            Operation::AddSiteNoLocal
        });
    }
    Ok(Operation::First)
}

/// Whether an applicant's declared operation fits what the authority knows: a FIRST that is
/// really an ADD (or the other way round) is the common WRONG_TYPE rejection.
pub fn check_declared_type(declared: Operation, determined: Operation) -> Result<(), RejectCode> {
    let new_site = |op: Operation| op.creates_site() || op == Operation::AddAccess;
    if declared == determined || !new_site(declared) {
        return Ok(());
    }
    match (declared, determined) {
        (Operation::First, _) => Err(RejectCode::AlreadyFiled),
        _ => Err(RejectCode::WrongType),
    }
}

/// The scope of a rules-table row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleScope {
    /// Applies everywhere.
    National,
    /// Applies to one province (GB/T 2260 two-digit code).
    Province(u8),
    /// Applies to one access provider (by name).
    Provider(String),
}

impl RuleScope {
    fn rank(&self) -> u8 {
        match self {
            RuleScope::National => 0,
            RuleScope::Province(_) => 1,
            RuleScope::Provider(_) => 2,
        }
    }
}

/// One row of the versioned rules table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleRow {
    /// Where it applies.
    pub scope: RuleScope,
    /// The rule key, one of [`rule`].
    pub key: String,
    /// The value (integers as decimal text).
    pub value: String,
    /// From when it applies.
    pub effective_from: Timestamp,
}

/// Keys of the rules table, with the values the migration seeds.
pub mod rule {
    /// Days since registration before a domain can be filed (configurable; default 30).
    pub const DOMAIN_MIN_AGE_DAYS: &str = "domain.min_age_days";
    /// Days of validity a domain must have left (R-DOM-4; default 90).
    pub const DOMAIN_MIN_REMAINING_DAYS: &str = "domain.min_remaining_days";
    /// 1: the domain holder must equal the entity exactly (R-DOM-1).
    pub const DOMAIN_HOLDER_EXACT: &str = "domain.holder_exact";
    /// Days a certificate must stay valid (R-MAT-2; default 90).
    pub const CERT_MIN_REMAINING_DAYS: &str = "cert.min_remaining_days";
    /// Minimum age of a personal applicant (R-PER-1; province rows).
    pub const PERSON_MIN_AGE: &str = "person.min_age";
    /// Maximum characters of a personal site's purpose (default 200).
    pub const PERSONAL_PURPOSE_MAX_CHARS: &str = "personal.purpose_max_chars";
    /// Submissions per account per day (default 3).
    pub const SUBMIT_PER_ACCOUNT_PER_DAY: &str = "submit.per_account_per_day";
    /// Submissions per source IP per day (default 5).
    pub const SUBMIT_PER_IP_PER_DAY: &str = "submit.per_ip_per_day";
    /// 1: an empty-shell 主体 may get new sites directly (R-OP-7 provinces).
    pub const EMPTY_SHELL_ADD_OK: &str = "subject.empty_shell_add_ok";
    /// Comma-separated ASCII TLDs on the MIIT-approved list (R-DOM-3).
    pub const APPROVED_TLDS: &str = "domain.approved_tlds";
}

/// The rule values in force for one order: for each key the most specific scope that matches
/// (provider over province over national), and within it the latest row effective at `now`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleSet {
    values: BTreeMap<String, String>,
}

impl RuleSet {
    /// Resolves `rows` for a province and provider at `now`.
    pub fn resolve(rows: &[RuleRow], province: u8, provider: &str, now: Timestamp) -> RuleSet {
        let mut best: BTreeMap<&str, (u8, Timestamp, &str)> = BTreeMap::new();
        for row in rows {
            let applies = match &row.scope {
                RuleScope::National => true,
                RuleScope::Province(code) => *code == province,
                RuleScope::Provider(name) => name == provider,
            };
            if !applies || row.effective_from > now {
                continue;
            }
            let candidate = (row.scope.rank(), row.effective_from, row.value.as_str());
            let better = best
                .get(row.key.as_str())
                .is_none_or(|(rank, from, _)| (candidate.0, candidate.1) >= (*rank, *from));
            if better {
                best.insert(row.key.as_str(), candidate);
            }
        }
        RuleSet {
            values: best
                .into_iter()
                .map(|(key, (_, _, value))| (key.to_owned(), value.to_owned()))
                .collect(),
        }
    }

    /// An integer rule, `None` when no row applies (the rule is off).
    pub fn int(&self, key: &str) -> Option<i64> {
        self.values.get(key).and_then(|v| v.trim().parse().ok())
    }

    /// A text rule.
    pub fn text(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// A flag rule: `1`/`true` is on.
    pub fn flag(&self, key: &str) -> bool {
        self.values
            .get(key)
            .is_some_and(|v| matches!(v.trim(), "1" | "true"))
    }

    /// Sets a value (tests and operator previews).
    pub fn with(mut self, key: &str, value: &str) -> RuleSet {
        self.values.insert(key.to_owned(), value.to_owned());
        self
    }
}
