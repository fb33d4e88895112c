//! Unified social credit code (统一社会信用代码, GB 32100-2015), spec §2.2.
//!
//! Layout `R K DDDDDD OOOOOOOOO C`: registration authority, organisation
//! category, 6-digit region of the registering authority, 9-character
//! organisation code (GB 11714, with its own check character) and a check
//! character over the first 17.
//!
//! Early pilot regions issued codes whose final check character does not
//! follow the standard (`91350100M0001TGQXM`). Those are real entities, so a
//! structurally valid code with a wrong check character is refused with
//! [`Rejection::manual_review_possible`] set: callers send it to a human
//! rather than blocking the applicant.

use std::fmt;

use super::{
    Checked, Findings, MAX_INPUT_BYTES, Rejection, code, empty_rejection, fold_code_input,
    org_code, province, show_char, too_long_rejection,
};

/// The 31-character USCC alphabet (no I, O, Z, S, V); value = index.
pub const CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// Weights 3^i mod 31 for positions 0..17.
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A registration authority (char 1) and the categories (char 2) it may issue.
struct Authority {
    code: char,
    name_zh: &'static str,
    categories: &'static [(char, &'static str)],
}

/// The current GB 32100 table (spec §2.2). Older drafts used a different
/// authority mapping (3 教育, 4 公安, …); the spec says not to use it.
const AUTHORITIES: [Authority; 12] = [
    Authority {
        code: '1',
        name_zh: "机构编制",
        categories: &[
            ('1', "机关"),
            ('2', "事业单位"),
            ('3', "编办直接管理机构编制的群众团体"),
            ('9', "其他"),
        ],
    },
    Authority {
        code: '2',
        name_zh: "外交",
        categories: &[('1', "外国常驻新闻机构"), ('9', "其他")],
    },
    Authority {
        code: '3',
        name_zh: "司法行政",
        categories: &[
            ('1', "律师执业机构"),
            ('2', "公证处"),
            ('3', "基层法律服务所"),
            ('4', "司法鉴定机构"),
            ('5', "仲裁委员会"),
            ('9', "其他"),
        ],
    },
    Authority {
        code: '4',
        name_zh: "文化",
        categories: &[('1', "外国在华文化中心"), ('9', "其他")],
    },
    Authority {
        code: '5',
        name_zh: "民政",
        categories: &[
            ('1', "社会团体"),
            ('2', "民办非企业单位"),
            ('3', "基金会"),
            ('9', "其他"),
        ],
    },
    Authority {
        code: '6',
        name_zh: "旅游",
        categories: &[
            ('1', "外国旅游部门常驻代表机构"),
            ('2', "港澳台地区旅游部门常驻内地(大陆)代表机构"),
            ('9', "其他"),
        ],
    },
    Authority {
        code: '7',
        name_zh: "宗教",
        categories: &[('1', "宗教活动场所"), ('2', "宗教院校"), ('9', "其他")],
    },
    Authority {
        code: '8',
        name_zh: "工会",
        categories: &[('1', "基层工会"), ('9', "其他")],
    },
    Authority {
        code: '9',
        name_zh: "工商",
        categories: &[('1', "企业"), ('2', "个体工商户"), ('3', "农民专业合作社")],
    },
    Authority {
        code: 'A',
        name_zh: "中央军委改革和编制办公室",
        categories: &[('1', "军队事业单位"), ('9', "其他")],
    },
    Authority {
        code: 'N',
        name_zh: "农业",
        categories: &[
            ('1', "组级集体经济组织"),
            ('2', "村级集体经济组织"),
            ('3', "乡镇级集体经济组织"),
            ('9', "其他"),
        ],
    },
    Authority {
        code: 'Y',
        name_zh: "其他",
        categories: &[('1', "其他")],
    },
];

fn authority(code: char) -> Option<&'static Authority> {
    AUTHORITIES.iter().find(|authority| authority.code == code)
}

/// The kind of organisation a USCC's first two characters suggest (§1.4).
///
/// Only a hint: the filing subject type is what the applicant's certificate
/// says, and some pairings are province policy (e.g. 个体工商户 files as 企业
/// in Zhejiang).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntityTypeHint {
    /// `91` 企业.
    Enterprise,
    /// `92` 个体工商户.
    IndividualBusiness,
    /// `93` 农民专业合作社.
    FarmerCooperative,
    /// `11` 机关.
    GovernmentOrgan,
    /// `12` 事业单位.
    PublicInstitution,
    /// `13` 编办直接管理机构编制的群众团体.
    MassOrganisation,
    /// `31` 律师执业机构.
    LawFirm,
    /// `32` 公证处.
    Notary,
    /// `34` 司法鉴定机构.
    ForensicInstitution,
    /// `35` 仲裁委员会.
    Arbitration,
    /// `41` 外国在华文化中心.
    ForeignCulturalCentre,
    /// `51` 社会团体.
    SocialOrganisation,
    /// `52` 民办非企业单位.
    PrivateNonEnterprise,
    /// `53` 基金会.
    Foundation,
    /// `71` 宗教活动场所.
    ReligiousVenue,
    /// `N*` 集体经济组织.
    Collective,
    /// Any other pair.
    Other,
}

impl EntityTypeHint {
    /// Derives the hint from the first two characters of a (possibly
    /// invalid) code, so a manual-review queue can show it too.
    pub fn from_code(uscc: &str) -> EntityTypeHint {
        let mut chars = uscc.chars().map(|c| c.to_ascii_uppercase());
        match (chars.next(), chars.next()) {
            (Some('9'), Some('1')) => EntityTypeHint::Enterprise,
            (Some('9'), Some('2')) => EntityTypeHint::IndividualBusiness,
            (Some('9'), Some('3')) => EntityTypeHint::FarmerCooperative,
            (Some('1'), Some('1')) => EntityTypeHint::GovernmentOrgan,
            (Some('1'), Some('2')) => EntityTypeHint::PublicInstitution,
            (Some('1'), Some('3')) => EntityTypeHint::MassOrganisation,
            (Some('3'), Some('1')) => EntityTypeHint::LawFirm,
            (Some('3'), Some('2')) => EntityTypeHint::Notary,
            (Some('3'), Some('4')) => EntityTypeHint::ForensicInstitution,
            (Some('3'), Some('5')) => EntityTypeHint::Arbitration,
            (Some('4'), Some('1')) => EntityTypeHint::ForeignCulturalCentre,
            (Some('5'), Some('1')) => EntityTypeHint::SocialOrganisation,
            (Some('5'), Some('2')) => EntityTypeHint::PrivateNonEnterprise,
            (Some('5'), Some('3')) => EntityTypeHint::Foundation,
            (Some('7'), Some('1')) => EntityTypeHint::ReligiousVenue,
            (Some('N'), Some(_)) => EntityTypeHint::Collective,
            _ => EntityTypeHint::Other,
        }
    }

    /// The §1.4 subject-type key this most likely files as, if one fits.
    ///
    /// `None` for 个体工商户 and 农民专业合作社, whose filing type is province
    /// policy, and for unmapped pairs.
    pub fn subject_type_key(self) -> Option<&'static str> {
        match self {
            EntityTypeHint::Enterprise => Some("ENTERPRISE"),
            EntityTypeHint::GovernmentOrgan => Some("GOV"),
            EntityTypeHint::PublicInstitution => Some("PUBLIC_INST"),
            EntityTypeHint::MassOrganisation => Some("MASS_ORG"),
            EntityTypeHint::LawFirm => Some("LAW_FIRM"),
            EntityTypeHint::Notary => Some("NOTARY"),
            EntityTypeHint::ForensicInstitution => Some("FORENSIC"),
            EntityTypeHint::Arbitration => Some("ARBITRATION"),
            EntityTypeHint::ForeignCulturalCentre => Some("FOREIGN_CULTURE"),
            EntityTypeHint::SocialOrganisation => Some("SOCIAL_ORG"),
            EntityTypeHint::PrivateNonEnterprise => Some("PRIVATE_NONENT"),
            EntityTypeHint::Foundation => Some("FOUNDATION"),
            EntityTypeHint::ReligiousVenue => Some("RELIGIOUS"),
            EntityTypeHint::Collective => Some("COLLECTIVE"),
            EntityTypeHint::IndividualBusiness
            | EntityTypeHint::FarmerCooperative
            | EntityTypeHint::Other => None,
        }
    }

    /// Chinese label for display.
    pub fn label_zh(self) -> &'static str {
        match self {
            EntityTypeHint::Enterprise => "企业",
            EntityTypeHint::IndividualBusiness => "个体工商户",
            EntityTypeHint::FarmerCooperative => "农民专业合作社",
            EntityTypeHint::GovernmentOrgan => "机关",
            EntityTypeHint::PublicInstitution => "事业单位",
            EntityTypeHint::MassOrganisation => "群众团体",
            EntityTypeHint::LawFirm => "律师执业机构",
            EntityTypeHint::Notary => "公证机构",
            EntityTypeHint::ForensicInstitution => "司法鉴定机构",
            EntityTypeHint::Arbitration => "仲裁机构",
            EntityTypeHint::ForeignCulturalCentre => "外国在华文化中心",
            EntityTypeHint::SocialOrganisation => "社会团体",
            EntityTypeHint::PrivateNonEnterprise => "民办非企业单位",
            EntityTypeHint::Foundation => "基金会",
            EntityTypeHint::ReligiousVenue => "宗教活动场所",
            EntityTypeHint::Collective => "集体经济组织",
            EntityTypeHint::Other => "其他",
        }
    }
}

/// A valid 18-character unified social credit code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uscc(String);

impl Uscc {
    /// Parses a code, tolerating spaces, hyphens, lowercase and full-width
    /// characters (`91 110000 600037341L`).
    pub fn parse(input: &str) -> Checked<Uscc> {
        if input.len() > MAX_INPUT_BYTES {
            return Err(too_long_rejection());
        }
        let normalized: String = fold_code_input(input)
            .chars()
            .filter(|&c| c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if normalized.is_empty() {
            return Err(empty_rejection());
        }
        let mut findings = Findings::new();
        let chars: Vec<char> = normalized.chars().collect();
        if chars.len() != 18 {
            findings.error(
                code::INVALID_LENGTH,
                format!(
                    "unified social credit code must have 18 characters, got {}",
                    chars.len()
                ),
                format!("统一社会信用代码应为 18 位，实际为 {} 位", chars.len()),
            );
            return Err(findings.reject(Some(normalized)));
        }
        let mut bad: Vec<char> = chars
            .iter()
            .copied()
            .filter(|&c| !CHARSET.contains(c))
            .collect();
        if !bad.is_empty() {
            bad.dedup();
            let shown: Vec<String> = bad.into_iter().map(show_char).collect();
            findings.error(
                code::INVALID_CHARSET,
                format!(
                    "unified social credit code may not contain {} (I, O, Z, S and V are never used)",
                    shown.join(", ")
                ),
                format!(
                    "统一社会信用代码不能包含 {}（不使用 I、O、Z、S、V）",
                    shown.join("、")
                ),
            );
            return Err(findings.reject(Some(normalized)));
        }

        // From here on every character is ASCII, so byte slicing is safe.
        check_structure(&chars, &normalized, &mut findings);
        let structurally_valid = !findings.has_errors();

        let org = &normalized[8..17];
        if let Some(expected) = org_code::check_char(&org[..8]) {
            let actual = chars[16];
            // A non-digit here was already reported as a format problem.
            if expected != actual && (actual.is_ascii_digit() || actual == 'X') {
                findings.error(
                    code::ORG_CODE_CHECKSUM_MISMATCH,
                    format!(
                        "organisation code part (characters 9-17) should end in {expected}, got {actual}"
                    ),
                    format!("代码第 9-17 位（组织机构代码）校验码应为 {expected}，实际为 {actual}"),
                );
            }
        }
        if let Some(expected) = check_char(&normalized[..17]) {
            let actual = chars[17];
            if expected != actual {
                findings.error(
                    code::CHECKSUM_MISMATCH,
                    format!("check character should be {expected}, got {actual}"),
                    format!("校验码应为 {expected}，实际为 {actual}"),
                );
            }
        }

        if findings.has_errors() {
            let mut rejection: Rejection = findings.reject(Some(normalized));
            rejection.manual_review_possible = structurally_valid;
            return Err(rejection);
        }
        findings.finish(normalized.clone(), Uscc(normalized))
    }

    /// The 18 characters, uppercase, no separators.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Registration authority character (char 1), e.g. `9`.
    pub fn authority_code(&self) -> char {
        self.0.chars().next().unwrap_or('?')
    }

    /// Registration authority name, e.g. `工商`.
    pub fn authority_name_zh(&self) -> &'static str {
        authority(self.authority_code()).map_or("", |authority| authority.name_zh)
    }

    /// Organisation category character (char 2), e.g. `1`.
    pub fn category_code(&self) -> char {
        self.0.chars().nth(1).unwrap_or('?')
    }

    /// Organisation category name, e.g. `企业`.
    pub fn category_name_zh(&self) -> &'static str {
        authority(self.authority_code())
            .and_then(|authority| {
                authority
                    .categories
                    .iter()
                    .find(|(code, _)| *code == self.category_code())
            })
            .map_or("", |(_, name)| name)
    }

    /// The registering authority's 6-digit region code (chars 3-8).
    pub fn region_code(&self) -> &str {
        self.0.get(2..8).unwrap_or("")
    }

    /// The embedded 9-character organisation code (chars 9-17).
    pub fn org_code(&self) -> &str {
        self.0.get(8..17).unwrap_or("")
    }

    /// What kind of organisation the code suggests.
    pub fn entity_hint(&self) -> EntityTypeHint {
        EntityTypeHint::from_code(&self.0)
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks authority, category, region and the organisation-code check
/// position; `chars` has 18 characters from [`CHARSET`].
fn check_structure(chars: &[char], normalized: &str, findings: &mut Findings) {
    let (authority_code, category_code) = (chars[0], chars[1]);
    match authority(authority_code) {
        None => findings.error(
            code::INVALID_AUTHORITY,
            format!("unknown registration authority {authority_code} (character 1)"),
            format!("第 1 位登记管理部门代码 {authority_code} 无效"),
        ),
        Some(authority) => {
            if !authority
                .categories
                .iter()
                .any(|(code, _)| *code == category_code)
            {
                findings.error(
                    code::INVALID_CATEGORY,
                    format!(
                        "category {category_code} (character 2) is not allowed for authority {authority_code}"
                    ),
                    format!(
                        "第 2 位机构类别代码 {category_code} 不属于登记管理部门「{}」",
                        authority.name_zh
                    ),
                );
            }
        }
    }
    let region = &normalized[2..8];
    if !region.bytes().all(|b| b.is_ascii_digit()) {
        findings.error(
            code::INVALID_REGION,
            "region code (characters 3-8) must be 6 digits".to_owned(),
            "第 3-8 位登记管理机关行政区划码应为 6 位数字".to_owned(),
        );
    } else {
        let province_digits = region[..2].parse::<u8>().unwrap_or(0);
        // 10xxxx is used for registrations made by national-level authorities.
        if province_digits != 10 && province::by_code(province_digits).is_none() {
            findings.warn(
                code::UNKNOWN_REGION,
                format!("region code {region} does not start with a known province code"),
                format!("登记管理机关行政区划码 {region} 不属于已知省份"),
            );
        }
    }
    let org_check = chars[16];
    if !(org_check.is_ascii_digit() || org_check == 'X') {
        findings.error(
            code::INVALID_FORMAT,
            format!("character 17 (organisation code check) must be a digit or X, got {org_check}"),
            format!("第 17 位（组织机构代码校验码）应为数字或 X，实际为 {org_check}"),
        );
    }
}

/// Computes the check character for the first 17 characters, or `None` if
/// the input has the wrong length or characters outside [`CHARSET`].
pub fn check_char(first17: &str) -> Option<char> {
    if first17.chars().count() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (c, weight) in first17.chars().zip(WEIGHTS) {
        let value = u32::try_from(CHARSET.find(c)?).ok()?;
        sum += value * weight;
    }
    let index = usize::try_from((31 - sum % 31) % 31).ok()?;
    CHARSET.chars().nth(index)
}

#[cfg(test)]
mod tests;
