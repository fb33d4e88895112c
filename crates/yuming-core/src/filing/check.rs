//! The self-check assistant: every problem the authority would reject an order for, found
//! before submission, each with its §1.8 code, field, explanation and fix in both languages.

use time::Date;

use super::{
    AuthorityLookup, EntityType, Operation, RejectCode, RuleSet, check_declared_type,
    determine_type, rule,
};
use crate::clock::Timestamp;
use crate::contact::{self, IdType};
use crate::rules::resident_id::ResidentId;
use crate::rules::site_name::{DEFAULT_SENSITIVE_WORDS, SiteName, SiteNameContext, SiteOwner};

/// Whether a problem stops submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Submission is refused while it remains.
    Blocking,
    /// Shown, submission allowed.
    Warning,
}

impl Severity {
    /// `blocking` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Blocking => "blocking",
            Severity::Warning => "warning",
        }
    }
}

/// One finding of the self-check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckProblem {
    /// The rejection code the authority would use.
    pub code: RejectCode,
    /// The field at fault, as a dotted path (`site.domain`).
    pub field: String,
    /// Blocking or warning.
    pub severity: Severity,
    /// What is wrong (English).
    pub message: String,
    /// What is wrong (zh-CN).
    pub message_zh: String,
    /// How to fix it (English).
    pub fix: String,
    /// How to fix it (zh-CN).
    pub fix_zh: String,
}

/// A person named in the order (主体负责人 or 网站负责人). Not `Debug`: it holds an ID number.
#[derive(Clone, PartialEq, Eq)]
pub struct PersonFacts {
    /// Name.
    pub name: String,
    /// Document type.
    pub id_type: IdType,
    /// Document number.
    pub id_number: String,
    /// Last day the document is valid; `None` for long-term (长期).
    pub id_valid_until: Option<Date>,
    /// Mobile number (11 digits).
    pub mobile: String,
    /// E-mail.
    pub email: String,
    /// Face/liveness verification: `None` not done yet.
    pub liveness_passed: Option<bool>,
}

/// The filing entity (主体). Not `Debug`: it holds the certificate number.
#[derive(Clone, PartialEq, Eq)]
pub struct EntityFacts {
    /// 主办单位性质.
    pub entity_type: EntityType,
    /// Name as on the certificate.
    pub name: String,
    /// Filing province (GB/T 2260 two-digit code).
    pub province: u8,
    /// Certificate type (a person's ID type, or `Uscc`).
    pub cert_type: IdType,
    /// Certificate number.
    pub cert_no: String,
    /// Last day the certificate is valid; `None` for long-term.
    pub cert_valid_until: Option<Date>,
    /// 主体负责人.
    pub principal: PersonFacts,
    /// For units: the principal is the legal representative.
    pub principal_is_legal_rep: bool,
    /// An authorisation letter (授权书) is among the materials.
    pub has_authorisation_letter: bool,
}

/// A content type needing pre-approval, with its document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreapprovalFacts {
    /// The content type id (R-PRE enum, e.g. 3 教育).
    pub content_type: u8,
    /// Approval document number; empty when missing.
    pub document_no: String,
    /// Last day the approval is valid.
    pub valid_until: Option<Date>,
}

/// The site (网站) of the order. Not `Debug`: the principal holds an ID number.
#[derive(Clone, PartialEq, Eq)]
pub struct SiteFacts {
    /// 网站名称.
    pub name: String,
    /// The one domain (ASCII form).
    pub domain: String,
    /// Homepage URL.
    pub homepage: String,
    /// Content type ids (R-PRE list; 0 = 其他, 100 = 博客/个人空间).
    pub content_types: Vec<u8>,
    /// Pre-approvals listed.
    pub preapprovals: Vec<PreapprovalFacts>,
    /// Purpose / description (personal sites are limited in length).
    pub purpose: String,
    /// 互联网信息服务负责人.
    pub principal: PersonFacts,
}

/// What the platform knows about the site's domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainFacts {
    /// The domain is registered with us (else nothing below is known).
    pub known: bool,
    /// Its registrant's real name is verified.
    pub real_name_verified: bool,
    /// Its holder (name, certificate type and number) equals the entity.
    pub holder_matches: bool,
    /// Registration time.
    pub registered_at: Timestamp,
    /// Expiry time.
    pub expires_at: Timestamp,
    /// It has nameservers / answers DNS.
    pub resolves: bool,
    /// Its TLD is on the MIIT-approved list.
    pub tld_approved: bool,
}

/// One server/IP named in the access information.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerFacts {
    /// The address.
    pub ip: String,
    /// In a configured mainland pool of this provider.
    pub in_mainland_pool: bool,
    /// A server of the applicant's account.
    pub owned_by_applicant: bool,
}

/// Duplicates across entities found by the platform (§1.8 CONTACT_INVALID, R-OP-1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DuplicateFacts {
    /// Fields (`entity.principal.mobile`, …) whose value another entity already uses.
    pub reused_contacts: Vec<String>,
    /// The certificate is in a filing of another account.
    pub cert_filed_from_other_account: bool,
    /// Another in-flight order for the same certificate.
    pub other_order_in_flight: bool,
}

/// Everything the self-check judges.
#[derive(Clone)]
pub struct CheckInput<'a> {
    /// The operation of the order.
    pub operation: Operation,
    /// The entity as the order proposes it.
    pub entity: &'a EntityFacts,
    /// The site, for operations that carry one.
    pub site: Option<&'a SiteFacts>,
    /// The domain facts, for operations that carry a site.
    pub domain: Option<&'a DomainFacts>,
    /// The access servers.
    pub servers: &'a [ServerFacts],
    /// Duplicates.
    pub duplicates: &'a DuplicateFacts,
    /// Fields whose person or certificate is blacklisted.
    pub blacklist_hits: &'a [String],
    /// Approved sites of the entity found unreachable or without their number.
    pub existing_sites_down: &'a [String],
    /// Kinds of the materials uploaded (current versions), e.g. `id_front`.
    pub materials: &'a [&'a str],
    /// What the authority knows; `None` when it was not asked (cancellations, changes).
    pub authority: Option<&'a AuthorityLookup>,
    /// The rules in force for the order's province and provider.
    pub rules: &'a RuleSet,
    /// Now.
    pub now: Timestamp,
}

/// Content types that need 前置审批 (R-PRE).
const PREAPPROVAL_TYPES: [u8; 11] = [1, 2, 3, 4, 5, 6, 9, 10, 11, 13, 14];
/// Content types a personal site may have: 其他 and 博客/个人空间.
const PERSONAL_CONTENT: [u8; 2] = [0, 100];

struct Report {
    problems: Vec<CheckProblem>,
}

impl Report {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        code: RejectCode,
        field: &str,
        severity: Severity,
        message: String,
        message_zh: String,
        fix: &str,
        fix_zh: &str,
    ) {
        self.problems.push(CheckProblem {
            code,
            field: field.to_owned(),
            severity,
            message,
            message_zh,
            fix: fix.to_owned(),
            fix_zh: fix_zh.to_owned(),
        });
    }
}

/// Runs every check and returns every problem (blocking first, in field order within).
pub fn self_check(input: &CheckInput<'_>) -> Vec<CheckProblem> {
    let mut report = Report {
        problems: Vec::new(),
    };
    let today = input.now.date();
    let rules = input.rules;

    for field in input.blacklist_hits {
        report.add(
            RejectCode::Blacklisted,
            field,
            Severity::Blocking,
            "this person or certificate is on the blacklist for false filing data".into(),
            "该人员或证件因提供虚假备案信息已被列入黑名单".into(),
            "contact the provider's compliance team",
            "请联系接入商合规团队",
        );
    }

    if let Some(lookup) = input.authority {
        let shell_ok = rules.flag(rule::EMPTY_SHELL_ADD_OK);
        match determine_type(lookup, shell_ok)
            .and_then(|op| check_declared_type(input.operation, op).map(|()| op))
        {
            Ok(_) => {}
            Err(code) => type_problem(&mut report, code),
        }
    }
    if input.duplicates.other_order_in_flight {
        report.add(
            RejectCode::OrderConflict,
            "entity.cert_no",
            Severity::Blocking,
            "another filing order for this certificate is in progress".into(),
            "该证件已有进行中的备案订单".into(),
            "finish or abandon the other order first",
            "请先完成或放弃另一订单",
        );
    }
    if input.duplicates.cert_filed_from_other_account {
        report.add(
            RejectCode::OrderConflict,
            "entity.cert_no",
            Severity::Blocking,
            "this certificate is already used by a filing entity of another account".into(),
            "该证件已在其他账号下提交备案".into(),
            "file from the account that holds the entity",
            "请在已有该主体的账号下办理",
        );
    }
    if input.operation.is_cancel() {
        report
            .problems
            .sort_by_key(|p| p.severity != Severity::Blocking);
        return report.problems;
    }

    check_entity(&mut report, input, today);
    check_materials(&mut report, input);
    if let Some(site) = input.site {
        check_site(&mut report, input, site);
    }
    if input.operation.has_site() {
        check_domain(&mut report, input);
        check_access(&mut report, input);
    }
    for field in &input.duplicates.reused_contacts {
        report.add(
            RejectCode::ContactInvalid,
            field,
            Severity::Blocking,
            "this phone or e-mail is already used by another filing entity".into(),
            "该手机号或邮箱已被其他备案主体使用".into(),
            "use a phone number and e-mail of this entity's own",
            "请使用本主体自己的手机号和邮箱",
        );
    }
    for site in input.existing_sites_down {
        report.add(
            RejectCode::ExistingSiteDown,
            "entity.sites",
            Severity::Blocking,
            format!("approved site {site} is unreachable or does not show its filing number"),
            format!("已备案网站 {site} 无法访问或底部未展示备案号"),
            "restore the site and link its number to beian.miit.gov.cn in the footer",
            "恢复网站访问，并在首页底部展示备案号并链接至 beian.miit.gov.cn",
        );
    }
    report
        .problems
        .sort_by_key(|p| p.severity != Severity::Blocking);
    report.problems
}

fn type_problem(report: &mut Report, code: RejectCode) {
    let (message, message_zh, fix, fix_zh) = match code {
        RejectCode::AlreadyFiled => (
            "the entity or site is already filed: this is not a first filing",
            "主体或网站已备案，不属于首次备案",
            "create an add-site, add-access or change order instead",
            "请改为新增网站、新增接入或变更备案",
        ),
        RejectCode::EmptyShell => (
            "the entity is an empty shell at the authority",
            "该主体为空壳主体",
            "cancel the empty-shell entity at the bureau first",
            "请先到管局注销空壳主体",
        ),
        RejectCode::DomainNotVerified => (
            "the domain is filed under another entity",
            "该域名已被其他主体备案",
            "use a domain held by this entity",
            "请使用本主体持有的域名",
        ),
        _ => (
            "the declared operation does not match the authority's records",
            "备案类型与管局记录不符",
            "check the entity name and certificate number, then verify the type again",
            "请核对主体名称与证件号码后重新验证备案类型",
        ),
    };
    let field = if code == RejectCode::DomainNotVerified {
        "site.domain"
    } else {
        "operation"
    };
    report.add(
        code,
        field,
        Severity::Blocking,
        message.into(),
        message_zh.into(),
        fix,
        fix_zh,
    );
}

fn check_person(report: &mut Report, input: &CheckInput<'_>, field: &str, person: &PersonFacts) {
    let today = input.now.date();
    match contact::check_document(person.id_type, &person.id_number, today) {
        Err(rejection) => {
            let what: Vec<&str> = rejection.problems.iter().map(|p| p.code).collect();
            report.add(
                RejectCode::CertInvalid,
                &format!("{field}.id_number"),
                Severity::Blocking,
                format!("the ID number is not valid ({})", what.join(", ")),
                format!("证件号码无效（{}）", what.join("，")),
                "enter the number exactly as on the document",
                "请按证件原样填写号码",
            );
        }
        Ok(_) => {
            if let Some(min_age) = input.rules.int(rule::PERSON_MIN_AGE)
                && person.id_type == IdType::ResidentId
                && let Ok(id) = ResidentId::parse(&person.id_number, today)
            {
                let age = id.value.age_on(today);
                if i64::from(age) < min_age {
                    report.add(
                        RejectCode::CertInvalid,
                        &format!("{field}.id_number"),
                        Severity::Blocking,
                        format!("this province requires the person to be at least {min_age}"),
                        format!("本省要求负责人年满 {min_age} 周岁"),
                        "a guardian files instead, with guardianship materials",
                        "请由监护人办理并提供监护关系材料",
                    );
                }
            }
        }
    }
    validity(
        report,
        input,
        &format!("{field}.id_valid_until"),
        person.id_valid_until,
    );
    if !is_mainland_mobile(&person.mobile) {
        report.add(
            RejectCode::ContactInvalid,
            &format!("{field}.mobile"),
            Severity::Blocking,
            "the mobile number must be an 11-digit mainland number".into(),
            "手机号须为 11 位中国大陆手机号".into(),
            "enter a reachable mainland mobile number",
            "请填写可接通的中国大陆手机号",
        );
    }
    if crate::credentials::Email::parse(&person.email).is_err() {
        report.add(
            RejectCode::ContactInvalid,
            &format!("{field}.email"),
            Severity::Blocking,
            "the e-mail address is not valid".into(),
            "邮箱地址无效".into(),
            "enter a working e-mail address",
            "请填写有效邮箱",
        );
    }
    match person.liveness_passed {
        Some(true) => {}
        Some(false) => report.add(
            RejectCode::LivenessFail,
            &format!("{field}.liveness"),
            Severity::Blocking,
            "the face verification failed".into(),
            "人脸核验未通过".into(),
            "redo it in good light against a white background, facing the camera",
            "请在光线充足、白色背景下正对镜头重新核验",
        ),
        None => report.add(
            RejectCode::LivenessFail,
            &format!("{field}.liveness"),
            Severity::Warning,
            "the face verification is not done yet".into(),
            "尚未完成人脸核验".into(),
            "complete it before the provider's review",
            "请在接入商审核前完成",
        ),
    }
}

fn validity(report: &mut Report, input: &CheckInput<'_>, field: &str, until: Option<Date>) {
    let (Some(until), Some(min_days)) = (until, input.rules.int(rule::CERT_MIN_REMAINING_DAYS))
    else {
        return;
    };
    let left = (until - input.now.date()).whole_days();
    if left <= min_days {
        report.add(
            RejectCode::CertInvalid,
            field,
            Severity::Blocking,
            format!("the document is valid for only {left} more days; more than {min_days} needed"),
            format!("证件剩余有效期仅 {left} 天，须超过 {min_days} 天"),
            "renew the document first",
            "请先更新证件",
        );
    }
}

fn is_mainland_mobile(mobile: &str) -> bool {
    let digits: String = mobile.chars().filter(|c| !c.is_whitespace()).collect();
    let digits = digits
        .strip_prefix("+86.")
        .or_else(|| digits.strip_prefix("+86"))
        .unwrap_or(&digits);
    digits.len() == 11 && digits.starts_with('1') && digits.bytes().all(|b| b.is_ascii_digit())
}

fn check_entity(report: &mut Report, input: &CheckInput<'_>, _today: Date) {
    let entity = input.entity;
    let person = entity.entity_type.is_person();
    if person != entity.cert_type.is_personal() {
        report.add(
            RejectCode::CertInvalid,
            "entity.cert_type",
            Severity::Blocking,
            format!(
                "a {} entity cannot file with this certificate type",
                entity.entity_type.as_str()
            ),
            format!("{}主体不能使用该证件类型", entity.entity_type.label_zh()),
            "choose the certificate the entity type requires",
            "请选择与主办单位性质相符的证件类型",
        );
    } else {
        match contact::check_document(entity.cert_type, &entity.cert_no, input.now.date()) {
            Err(rejection) => {
                let what: Vec<&str> = rejection.problems.iter().map(|p| p.code).collect();
                report.add(
                    RejectCode::CertInvalid,
                    "entity.cert_no",
                    Severity::Blocking,
                    format!("the certificate number is not valid ({})", what.join(", ")),
                    format!("证件号码无效（{}）", what.join("，")),
                    "enter the number exactly as on the certificate",
                    "请按证件原样填写号码",
                );
            }
            Ok(document) if document.manual_review => report.add(
                RejectCode::CertInvalid,
                "entity.cert_no",
                Severity::Warning,
                "the certificate's check character disagrees; a reviewer will compare it with the licence".into(),
                "证件校验位不符，审核员将与营业执照核对".into(),
                "make sure the number matches the licence",
                "请确认号码与营业执照一致",
            ),
            Ok(_) => {}
        }
    }
    validity(
        report,
        input,
        "entity.cert_valid_until",
        entity.cert_valid_until,
    );
    if person && entity.principal.id_number != entity.cert_no {
        report.add(
            RejectCode::CertInvalid,
            "entity.principal.id_number",
            Severity::Blocking,
            "a personal entity's principal must be the person".into(),
            "个人主体的负责人须为本人".into(),
            "enter the person's own ID as the principal",
            "请填写本人证件作为负责人",
        );
    }
    check_person(report, input, "entity.principal", &entity.principal);
    if !person && !entity.principal_is_legal_rep && !entity.has_authorisation_letter {
        report.add(
            RejectCode::PrincipalNotLegalRep,
            "entity.principal",
            Severity::Blocking,
            "the principal is not the legal representative and no authorisation letter is uploaded"
                .into(),
            "主体负责人非法定代表人且未上传授权书".into(),
            "upload an authorisation letter signed by the legal representative",
            "请上传法定代表人签字的授权书",
        );
    }
}

/// The materials every non-cancellation order needs. Missing ones are warnings: the
/// provider's reviewer asks for them, and photos are often added last.
fn check_materials(report: &mut Report, input: &CheckInput<'_>) {
    let mut needed: Vec<(&str, RejectCode, &str)> = vec![
        ("id_front", RejectCode::CertInvalid, "正面证件照"),
        ("id_back", RejectCode::CertInvalid, "反面证件照"),
        ("verification_photo", RejectCode::LivenessFail, "核验照片"),
        ("commitment_letter", RejectCode::CertInvalid, "真实性承诺书"),
    ];
    if !input.entity.entity_type.is_person() {
        needed.push(("business_licence", RejectCode::CertInvalid, "主体证件"));
    }
    if input.site.is_some_and(|s| !s.preapprovals.is_empty()) {
        needed.push((
            "preapproval",
            RejectCode::PreapprovalInvalid,
            "前置审批文件",
        ));
    }
    for (kind, code, zh) in needed {
        if !input.materials.contains(&kind) {
            report.add(
                code,
                &format!("materials.{kind}"),
                Severity::Warning,
                format!(
                    "the {} material is not uploaded yet",
                    kind.replace('_', " ")
                ),
                format!("尚未上传{zh}"),
                "upload a colour photo or scan of the original",
                "请上传原件的彩色照片或扫描件",
            );
        }
    }
}

fn check_site(report: &mut Report, input: &CheckInput<'_>, site: &SiteFacts) {
    let entity = input.entity;
    let owner = if entity.entity_type.is_person() {
        SiteOwner::Personal
    } else if entity.entity_type.is_national() {
        SiteOwner::NationalUnit
    } else {
        SiteOwner::Unit
    };
    let context = SiteNameContext {
        owner,
        unit_name: (owner != SiteOwner::Personal).then_some(entity.name.as_str()),
        sensitive_words: &DEFAULT_SENSITIVE_WORDS,
    };
    match SiteName::parse(&site.name, &context) {
        Err(rejection) => {
            for problem in &rejection.problems {
                report.add(
                    RejectCode::SiteNameInvalid,
                    "site.name",
                    Severity::Blocking,
                    problem.message.clone(),
                    problem.message_zh.clone(),
                    "choose a name that follows the naming rules",
                    "请按网站名称规则重新命名",
                );
            }
        }
        Ok(valid) => {
            for warning in &valid.warnings {
                report.add(
                    RejectCode::SiteNameInvalid,
                    "site.name",
                    Severity::Warning,
                    warning.message.clone(),
                    warning.message_zh.clone(),
                    "an explanatory note may be needed",
                    "可能需要补充说明材料",
                );
            }
        }
    }
    let homepage_ok = site
        .homepage
        .strip_prefix("https://")
        .or_else(|| site.homepage.strip_prefix("http://"))
        .map(|rest| rest.split(['/', ':', '?']).next().unwrap_or(""))
        .is_some_and(|host| {
            let host = host.to_ascii_lowercase();
            host == site.domain || host.ends_with(&format!(".{}", site.domain))
        });
    if !homepage_ok {
        report.add(
            RejectCode::ContentInvalid,
            "site.homepage",
            Severity::Blocking,
            "the homepage must be a URL under the site's domain".into(),
            "首页地址须位于网站域名下".into(),
            "enter e.g. https://www.<domain>/",
            "请填写如 https://www.<域名>/ 的地址",
        );
    }
    if entity.entity_type.is_person() {
        if let Some(&bad) = site
            .content_types
            .iter()
            .find(|c| !PERSONAL_CONTENT.contains(c))
        {
            report.add(
                RejectCode::ContentInvalid,
                "site.content_types",
                Severity::Blocking,
                format!("a personal site may not have content type {bad}"),
                format!("个人网站不能选择内容类型 {bad}"),
                "personal sites are limited to blog/personal space or other",
                "个人网站仅可选择博客/个人空间或其他",
            );
        }
        if let Some(max) = input.rules.int(rule::PERSONAL_PURPOSE_MAX_CHARS) {
            let chars = site.purpose.chars().count() as i64;
            if chars > max {
                report.add(
                    RejectCode::ContentInvalid,
                    "site.purpose",
                    Severity::Blocking,
                    format!("the purpose has {chars} characters; at most {max}"),
                    format!("网站用途描述有 {chars} 个字符，最多 {max} 个"),
                    "shorten the description",
                    "请精简描述",
                );
            }
        }
    }
    for &content in site
        .content_types
        .iter()
        .filter(|c| PREAPPROVAL_TYPES.contains(c))
    {
        match site.preapprovals.iter().find(|p| p.content_type == content) {
            None => report.add(
                RejectCode::ContentInvalid,
                "site.preapprovals",
                Severity::Blocking,
                format!("content type {content} needs a pre-approval"),
                format!("内容类型 {content} 需要前置审批"),
                "obtain the approval and list it, or remove the content type",
                "请取得前置审批并填写，或去掉该内容类型",
            ),
            Some(p) => {
                let expired = p.valid_until.is_some_and(|d| d < input.now.date());
                if p.document_no.trim().is_empty() || expired {
                    report.add(
                        RejectCode::PreapprovalInvalid,
                        "site.preapprovals",
                        Severity::Blocking,
                        format!(
                            "the pre-approval for content type {content} is missing or expired"
                        ),
                        format!("内容类型 {content} 的前置审批文件缺失或已过期"),
                        "upload a valid approval document",
                        "请上传有效的审批文件",
                    );
                }
            }
        }
    }
    check_person(report, input, "site.principal", &site.principal);
    let a = &entity.principal;
    let b = &site.principal;
    if a.id_number != b.id_number && (a.mobile == b.mobile || a.email == b.email) {
        report.add(
            RejectCode::ContactInvalid,
            "site.principal.mobile",
            Severity::Blocking,
            "two different principals share a phone or e-mail".into(),
            "两位不同负责人的手机号或邮箱相同".into(),
            "each principal gives their own phone and e-mail",
            "请分别填写各自的手机号和邮箱",
        );
    }
}

fn check_domain(report: &mut Report, input: &CheckInput<'_>) {
    let Some(domain) = input.domain else {
        return;
    };
    if !domain.known {
        report.add(
            RejectCode::DomainNotVerified,
            "site.domain",
            Severity::Warning,
            "the domain is not registered with us; a reviewer checks its holder by hand".into(),
            "该域名不在本平台注册，审核员将人工核对持有人".into(),
            "have the holder certificate ready",
            "请准备域名证书",
        );
        return;
    }
    if !domain.real_name_verified || !domain.holder_matches {
        let msg = if domain.real_name_verified {
            (
                "the domain's holder is not this entity",
                "域名持有人与备案主体不一致",
            )
        } else {
            (
                "the domain's real name is not verified",
                "域名未完成实名认证",
            )
        };
        report.add(
            RejectCode::DomainNotVerified,
            "site.domain",
            Severity::Blocking,
            msg.0.into(),
            msg.1.into(),
            "complete real-name verification as the entity, or transfer the domain to it",
            "请以备案主体完成实名认证或将域名过户至主体",
        );
    }
    if !domain.tld_approved {
        report.add(
            RejectCode::DomainCheckFail,
            "site.domain",
            Severity::Blocking,
            "the domain's TLD is not on the MIIT-approved list".into(),
            "该域名后缀未获工信部批准".into(),
            "use a domain under an approved TLD",
            "请使用已获批准的域名后缀",
        );
    }
    if let Some(min_age) = input.rules.int(rule::DOMAIN_MIN_AGE_DAYS) {
        let age = (input.now.0 - domain.registered_at.0).div_euclid(86_400);
        if age < min_age {
            report.add(
                RejectCode::DomainCheckFail,
                "site.domain",
                Severity::Blocking,
                format!("the domain was registered {age} days ago; {min_age} days needed"),
                format!("域名注册仅 {age} 天，须满 {min_age} 天"),
                "wait until the real-name data has reached the authority",
                "请等待实名信息同步至管局后再提交",
            );
        }
    }
    if let Some(min_left) = input.rules.int(rule::DOMAIN_MIN_REMAINING_DAYS) {
        let left = (domain.expires_at.0 - input.now.0).div_euclid(86_400);
        if left <= min_left {
            report.add(
                RejectCode::DomainCheckFail,
                "site.domain",
                Severity::Blocking,
                format!("the domain expires in {left} days; more than {min_left} needed"),
                format!("域名剩余有效期 {left} 天，须超过 {min_left} 天"),
                "renew the domain",
                "请续费域名",
            );
        }
    }
    if domain.resolves && input.operation.creates_site() {
        report.add(
            RejectCode::DomainResolving,
            "site.domain",
            Severity::Blocking,
            "the domain resolves although it is not filed yet".into(),
            "域名未备案但正在解析".into(),
            "remove its DNS records until the filing is approved",
            "请在备案通过前暂停域名解析",
        );
    }
}

fn check_access(report: &mut Report, input: &CheckInput<'_>) {
    if input.servers.is_empty() && input.operation != Operation::CancelAccess {
        report.add(
            RejectCode::AccessInvalid,
            "site.access",
            Severity::Blocking,
            "no server is named in the access information".into(),
            "接入信息未填写服务器".into(),
            "add a mainland server of this provider",
            "请添加本接入商的境内服务器",
        );
    }
    for (i, server) in input.servers.iter().enumerate() {
        let field = format!("site.access[{i}].ip");
        if !server.in_mainland_pool {
            report.add(
                RejectCode::AccessInvalid,
                &field,
                Severity::Blocking,
                format!(
                    "{} is not in a mainland address pool of this provider",
                    server.ip
                ),
                format!("{} 不属于本接入商的境内 IP 段", server.ip),
                "use a server of this provider in mainland China",
                "请使用本接入商的中国境内服务器",
            );
        } else if !server.owned_by_applicant {
            report.add(
                RejectCode::AccessInvalid,
                &field,
                Severity::Blocking,
                format!("{} is not a server of this account", server.ip),
                format!("{} 不是本账号的服务器", server.ip),
                "add or import the server into this account first",
                "请先将服务器添加或导入本账号",
            );
        }
    }
}
