//! The one validation entry point behind `POST /api/v1/validate`, live form checks and
//! imports: it answers from the same rule code (`yuming_core::rules`) that contacts,
//! registration and the ICP self-check use.

use yuming_core::rules::domain_name::{DomainName, DomainPolicy};
use yuming_core::rules::icp_number::{IcpNumber, IcpParseOptions, PsbNumber};
use yuming_core::rules::org_code::OrgCode;
use yuming_core::rules::resident_id::{ResidentId, ResidentIdKind, Sex};
use yuming_core::rules::site_name::{
    DEFAULT_SENSITIVE_WORDS, SiteName, SiteNameContext, SiteOwner,
};
use yuming_core::rules::travel_document::{TravelDocument, TravelDocumentKind};
use yuming_core::rules::uscc::Uscc;
use yuming_core::rules::{Checked, Problem};

use crate::{App, AppError, RequestContext, platform::rate_limit};

/// What is being validated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidationKind {
    /// 居民身份证号码 (GB 11643).
    ResidentId,
    /// 统一社会信用代码 (GB 32100).
    Uscc,
    /// 组织机构代码 (GB 11714).
    OrgCode,
    /// ICP filing or licence number.
    IcpNumber,
    /// 公安备案号.
    PsbNumber,
    /// A domain name (Unicode or A-label).
    Domain,
    /// A website name (R-NAME).
    SiteName,
    /// A passport, HK/Macau or Taiwan permit, or foreign permanent resident ID (format only).
    TravelDocument(TravelDocumentKind),
}

impl ValidationKind {
    /// Parses the API name.
    pub fn parse(name: &str) -> Option<ValidationKind> {
        Some(match name {
            "resident_id" => ValidationKind::ResidentId,
            "uscc" => ValidationKind::Uscc,
            "org_code" => ValidationKind::OrgCode,
            "icp_number" => ValidationKind::IcpNumber,
            "psb_number" => ValidationKind::PsbNumber,
            "domain" => ValidationKind::Domain,
            "site_name" => ValidationKind::SiteName,
            "passport" => ValidationKind::TravelDocument(TravelDocumentKind::Passport),
            "hk_macau_permit" => ValidationKind::TravelDocument(TravelDocumentKind::HkMacauPermit),
            "taiwan_permit" => ValidationKind::TravelDocument(TravelDocumentKind::TaiwanPermit),
            "foreign_permanent_resident" => {
                ValidationKind::TravelDocument(TravelDocumentKind::ForeignPermanentResident)
            }
            _ => return None,
        })
    }
}

/// Extra context some kinds need.
#[derive(Debug, Clone, Default)]
pub struct ValidationOptions {
    /// For `site_name`: `personal`, `unit` (default) or `national_unit`.
    pub owner: Option<String>,
    /// For `site_name`: the unit's registered name.
    pub unit_name: Option<String>,
}

/// The outcome of one validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationReport {
    /// Whether the value passes (warnings allowed).
    pub valid: bool,
    /// The normalised value, when it got that far.
    pub normalized: Option<String>,
    /// Blocking problems.
    pub errors: Vec<Problem>,
    /// Non-blocking findings.
    pub warnings: Vec<Problem>,
    /// Typed facts read from the value (birth date, region, entity type, …).
    pub details: Vec<(&'static str, String)>,
    /// The value is structurally sound and only a check character disagrees: a human may
    /// still approve it (real non-conforming USCCs exist).
    pub manual_review_possible: bool,
}

fn report<T>(
    checked: Checked<T>,
    normalize: impl Fn(&T) -> String,
    details: impl Fn(&T) -> Vec<(&'static str, String)>,
) -> ValidationReport {
    match checked {
        Ok(valid) => ValidationReport {
            valid: true,
            normalized: Some(normalize(&valid.value)),
            errors: Vec::new(),
            warnings: valid.warnings,
            details: details(&valid.value),
            manual_review_possible: false,
        },
        Err(rejection) => ValidationReport {
            valid: false,
            normalized: rejection.normalized,
            errors: rejection.problems,
            warnings: rejection.warnings,
            details: Vec::new(),
            manual_review_possible: rejection.manual_review_possible,
        },
    }
}

/// The TLDs whose registry forbids `--` anywhere and accepts Chinese IDN labels only (spec
/// §4.4 L-3/L-4). The TLD catalogue takes this over once it exists.
const CHINESE_REGISTRY_TLDS: [&str; 4] = ["cn", "中国", "公司", "网络"];

/// Parses a domain under the policy of its TLD's registry family.
fn parse_domain(value: &str) -> Checked<DomainName> {
    let generic = DomainName::parse(value, &DomainPolicy::GENERIC);
    match &generic {
        Ok(valid) if CHINESE_REGISTRY_TLDS.contains(&valid.value.tld().unicode()) => {
            DomainName::parse(value, &DomainPolicy::CHINESE_REGISTRY)
        }
        _ => generic,
    }
}

/// Validates `value` as `kind` on `today` (pure: no rate limit, no I/O).
pub fn validate(
    kind: ValidationKind,
    value: &str,
    today: time::Date,
    options: &ValidationOptions,
) -> ValidationReport {
    match kind {
        ValidationKind::ResidentId => report(
            ResidentId::parse(value, today),
            |id| id.as_str().to_owned(),
            |id| {
                let mut details = vec![
                    ("birth_date", id.birth_date().to_string()),
                    (
                        "sex",
                        match id.sex() {
                            Sex::Male => "male",
                            Sex::Female => "female",
                        }
                        .to_owned(),
                    ),
                    ("region_code", id.region_code().to_owned()),
                    ("masked", id.mask()),
                    (
                        "document",
                        match id.kind() {
                            ResidentIdKind::Mainland => "mainland_resident_id",
                            ResidentIdKind::HongKongPermit => "hong_kong_residence_permit",
                            ResidentIdKind::MacauPermit => "macau_residence_permit",
                            ResidentIdKind::TaiwanPermit => "taiwan_residence_permit",
                        }
                        .to_owned(),
                    ),
                ];
                if let Some(province) = id.province() {
                    details.push(("province", province.name_zh.to_owned()));
                }
                details
            },
        ),
        ValidationKind::Uscc => report(
            Uscc::parse(value),
            |c| c.as_str().to_owned(),
            |c| {
                let hint = c.entity_hint();
                let mut details = vec![
                    ("registration_authority", c.authority_name_zh().to_owned()),
                    ("category", c.category_name_zh().to_owned()),
                    ("region_code", c.region_code().to_owned()),
                    ("org_code", c.org_code().to_owned()),
                    ("entity_type_zh", hint.label_zh().to_owned()),
                ];
                if let Some(key) = hint.subject_type_key() {
                    details.push(("entity_type", key.to_owned()));
                }
                details
            },
        ),
        ValidationKind::OrgCode => report(OrgCode::parse(value), |c| c.to_string(), |_| Vec::new()),
        ValidationKind::IcpNumber => report(
            IcpNumber::parse(value, IcpParseOptions::strict(today)),
            |n| n.to_string(),
            |n| {
                let mut details = vec![("number_type", n.kind().to_owned())];
                if let IcpNumber::Filing(filing) = n {
                    details.push(("province", filing.province().name_zh.to_owned()));
                    details.push(("subject_number", filing.subject_number()));
                    if let Some(site) = filing.site() {
                        details.push(("site", site.to_string()));
                    }
                }
                details
            },
        ),
        ValidationKind::PsbNumber => report(
            PsbNumber::parse(value),
            |n| n.to_string(),
            |n| {
                vec![
                    ("province", n.province().name_zh.to_owned()),
                    ("region_code", n.region_code().to_owned()),
                ]
            },
        ),
        ValidationKind::Domain => report(
            parse_domain(value),
            |d| d.ascii().to_owned(),
            |d| {
                vec![
                    ("ascii", d.ascii().to_owned()),
                    ("unicode", d.unicode().to_owned()),
                    ("tld", d.tld().unicode().to_owned()),
                    ("idn", d.is_idn().to_string()),
                    ("variant_key", d.variant_key()),
                ]
            },
        ),
        ValidationKind::TravelDocument(kind) => report(
            TravelDocument::parse(kind, value),
            |d| d.as_str().to_owned(),
            |d| {
                vec![
                    ("masked", d.mask()),
                    ("document", kind.name_en().to_owned()),
                ]
            },
        ),
        ValidationKind::SiteName => {
            let owner = match options.owner.as_deref() {
                Some("personal") => SiteOwner::Personal,
                Some("national_unit") => SiteOwner::NationalUnit,
                _ => SiteOwner::Unit,
            };
            let context = SiteNameContext {
                owner,
                unit_name: options.unit_name.as_deref(),
                sensitive_words: &DEFAULT_SENSITIVE_WORDS,
            };
            report(
                SiteName::parse(value, &context),
                |n| n.to_string(),
                |_| Vec::new(),
            )
        }
    }
}

/// The API use case: rate-limited per source IP, then [`validate`] at the clock's today.
pub async fn validate_request(
    app: &App,
    ctx: &RequestContext,
    kind: ValidationKind,
    value: &str,
    options: &ValidationOptions,
) -> Result<ValidationReport, AppError> {
    if let Some(ip) = &ctx.client_ip {
        rate_limit::hit(
            app,
            &format!("validate:ip:{ip}"),
            app.settings().validate_per_ip_per_minute,
            60,
        )
        .await?;
    }
    Ok(validate(kind, value, app.now().date(), options))
}
