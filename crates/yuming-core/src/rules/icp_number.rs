//! ICP filing numbers (ICP备案号), ICP licences, value-added telecom licences
//! and public-security filing numbers (公网安备号), spec §1.10.
//!
//! Grammar (§1.10.2):
//!
//! ```text
//! ICP_FILING  := P "ICP备" SEQ "号" [ "-" SITE ]      SEQ = 8 or 10 digits
//! ICP_LICENCE := P "ICP证" 6DIGIT "号" [ "-" SITE ]
//! VAT_LICENCE := (P | "合字") "B" ("1"|"2") "-" 8DIGIT [ "-" SITE ]
//! PSB_FILING  := Q "公网安备" [" "] 14DIGIT "号"
//! SITE        := [1-9][0-9]*
//! ```
//!
//! `P` comes from the ICP column of the province table and `Q` from the PSB
//! column; they differ for Sichuan (蜀/川), Gansu (陇/甘) and, for PSB,
//! Yunnan accepts 滇 or 云. See [`province`].

use std::fmt;

use time::Date;

use super::{
    Checked, Findings, MAX_INPUT_BYTES, Rejection, Valid, code, empty_rejection, fold_code_input,
    province, show_char, too_long_rejection,
};

pub use super::province::{PROVINCES, Province};

/// How to treat the non-standard spellings found in legacy data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyPolicy {
    /// Refuse them (for new input typed by an applicant).
    Reject,
    /// Accept and normalise them with a warning (for imported records):
    /// colloquial prefixes (`川ICP备` → `蜀ICP备`) and the site serial written
    /// before 号 (`滇ICP备09010050-5号` → `滇ICP备09010050号-5`).
    Normalize,
}

/// Options for parsing ICP numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IcpParseOptions {
    /// The current date; 10-digit sequences must not carry a later year.
    pub today: Date,
    /// What to do with legacy spellings.
    pub legacy: LegacyPolicy,
}

impl IcpParseOptions {
    /// Strict parsing as of `today` (V-ICP-1: wrong prefixes are errors).
    pub fn strict(today: Date) -> Self {
        IcpParseOptions {
            today,
            legacy: LegacyPolicy::Reject,
        }
    }

    /// Lenient parsing as of `today` for legacy data (warn and normalise).
    pub fn lenient(today: Date) -> Self {
        IcpParseOptions {
            today,
            legacy: LegacyPolicy::Normalize,
        }
    }
}

/// Any number that can appear in an ICP footer, classified by type.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IcpNumber {
    /// 非经营性 ICP 备案号, e.g. `京ICP备16020626号-8`.
    Filing(IcpFilingNumber),
    /// 经营性 ICP 许可证号, e.g. `京ICP证070791号`.
    Licence(IcpLicenceNumber),
    /// 增值电信业务经营许可证号, e.g. `粤B2-20090059-5`.
    ValueAddedLicence(VatLicenceNumber),
}

impl IcpNumber {
    /// Parses any of the three ICP number types.
    pub fn parse(input: &str, options: IcpParseOptions) -> Checked<IcpNumber> {
        if input.len() > MAX_INPUT_BYTES {
            return Err(too_long_rejection());
        }
        let normalized: String = fold_code_input(input)
            .chars()
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if normalized.is_empty() {
            return Err(empty_rejection());
        }
        let chars: Vec<char> = normalized.chars().collect();
        let mut findings = Findings::new();
        let Some((&prefix, rest)) = chars.split_first() else {
            return Err(empty_rejection());
        };

        if starts_with(&chars, "ICP") {
            findings.error(
                code::INVALID_PREFIX,
                "number is missing its province prefix (e.g. 京ICP备…)".to_owned(),
                "备案号缺少省份简称（如 京ICP备…）".to_owned(),
            );
            return Err(findings.reject(Some(normalized)));
        }
        if starts_with(rest, "ICP备") {
            return parse_filing(prefix, &rest[4..], normalized, options, findings)
                .map(|valid| map_valid(valid, IcpNumber::Filing));
        }
        if starts_with(rest, "ICP证") {
            return parse_licence(prefix, &rest[4..], normalized, options, findings)
                .map(|valid| map_valid(valid, IcpNumber::Licence));
        }
        if prefix == '合' && starts_with(rest, "字B") {
            return parse_vat(None, &rest[2..], normalized, findings)
                .map(|valid| map_valid(valid, IcpNumber::ValueAddedLicence));
        }
        if starts_with(rest, "B") {
            return parse_vat(Some(prefix), &rest[1..], normalized, findings)
                .map(|valid| map_valid(valid, IcpNumber::ValueAddedLicence));
        }
        if starts_with(rest, "公网安备") {
            findings.error(
                code::WRONG_NUMBER_TYPE,
                "this is a public security filing number, not an icp number".to_owned(),
                "这是公安联网备案号，不是 ICP 备案号".to_owned(),
            );
            return Err(findings.reject(Some(normalized)));
        }
        findings.error(
            code::INVALID_FORMAT,
            "not an icp number: expected e.g. 京ICP备12345678号-1".to_owned(),
            "不是 ICP 备案号：格式应类似 京ICP备12345678号-1".to_owned(),
        );
        Err(findings.reject(Some(normalized)))
    }

    /// A stable name of the number type: `ICP_FILING`, `ICP_LICENCE` or
    /// `VAT_LICENCE`.
    pub fn kind(&self) -> &'static str {
        match self {
            IcpNumber::Filing(_) => "ICP_FILING",
            IcpNumber::Licence(_) => "ICP_LICENCE",
            IcpNumber::ValueAddedLicence(_) => "VAT_LICENCE",
        }
    }
}

impl fmt::Display for IcpNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IcpNumber::Filing(number) => number.fmt(f),
            IcpNumber::Licence(number) => number.fmt(f),
            IcpNumber::ValueAddedLicence(number) => number.fmt(f),
        }
    }
}

fn map_valid<T, U>(valid: Valid<T>, wrap: impl FnOnce(T) -> U) -> Valid<U> {
    Valid {
        value: wrap(valid.value),
        warnings: valid.warnings,
    }
}

/// A non-commercial ICP filing number: subject number plus optional site.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IcpFilingNumber {
    province: &'static Province,
    sequence: String,
    site: Option<u32>,
}

impl IcpFilingNumber {
    /// Parses a filing number; licences and PSB numbers are refused with
    /// [`code::WRONG_NUMBER_TYPE`].
    pub fn parse(input: &str, options: IcpParseOptions) -> Checked<IcpFilingNumber> {
        let valid = IcpNumber::parse(input, options)?;
        let (what, what_zh) = match valid.value {
            IcpNumber::Filing(number) => {
                return Ok(Valid {
                    value: number,
                    warnings: valid.warnings,
                });
            }
            IcpNumber::Licence(_) => ("an icp licence number", "ICP 经营许可证号"),
            IcpNumber::ValueAddedLicence(_) => (
                "a value-added telecom licence number",
                "增值电信业务经营许可证号",
            ),
        };
        let mut findings = Findings::new();
        findings.error(
            code::WRONG_NUMBER_TYPE,
            format!("this is {what}, not an icp filing number"),
            format!("这是{what_zh}，不是 ICP 备案号"),
        );
        Err(findings.reject(None))
    }

    /// Builds the current 10-digit form from its parts, e.g. (四川, 2022,
    /// 9836, Some(1)) → `蜀ICP备2022009836号-1`.
    pub fn from_parts(
        province: &'static Province,
        year: i32,
        serial: u32,
        site: Option<u32>,
        today: Date,
    ) -> Result<IcpFilingNumber, Rejection> {
        let mut findings = Findings::new();
        check_year(year, today, &mut findings);
        if serial > 999_999 {
            findings.error(
                code::INVALID_LENGTH,
                format!("serial {serial} has more than 6 digits"),
                format!("序号 {serial} 超过 6 位"),
            );
        }
        if site == Some(0) {
            site_zero(&mut findings);
        }
        if findings.has_errors() {
            return Err(findings.reject(None));
        }
        Ok(IcpFilingNumber {
            province,
            sequence: format!("{year:04}{serial:06}"),
            site,
        })
    }

    /// The filing province.
    pub fn province(&self) -> &'static Province {
        self.province
    }

    /// The 8- or 10-digit sequence.
    pub fn sequence(&self) -> &str {
        &self.sequence
    }

    /// The year of a 10-digit sequence; `None` for legacy 8-digit ones,
    /// whose two-digit prefix is not reliably a year.
    pub fn year(&self) -> Option<i32> {
        if self.sequence.len() == 10 {
            self.sequence.get(..4).and_then(|year| year.parse().ok())
        } else {
            None
        }
    }

    /// Whether the sequence is the legacy 8-digit form.
    pub fn is_legacy_sequence(&self) -> bool {
        self.sequence.len() == 8
    }

    /// The website serial (`-N`), if this is a site number.
    pub fn site(&self) -> Option<u32> {
        self.site
    }

    /// The subject (主体) number without the site serial, e.g.
    /// `京ICP备16020626号`; Guangdong footers show this form.
    pub fn subject_number(&self) -> String {
        format!("{}ICP备{}号", self.province.icp_prefix, self.sequence)
    }

    /// The same subject with a different (or no) site serial.
    pub fn with_site(&self, site: Option<u32>) -> Result<IcpFilingNumber, Rejection> {
        if site == Some(0) {
            let mut findings = Findings::new();
            site_zero(&mut findings);
            return Err(findings.reject(None));
        }
        Ok(IcpFilingNumber {
            province: self.province,
            sequence: self.sequence.clone(),
            site,
        })
    }
}

impl fmt::Display for IcpFilingNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.subject_number())?;
        match self.site {
            Some(site) => write!(f, "-{site}"),
            None => Ok(()),
        }
    }
}

/// A commercial ICP licence number (ICP证).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IcpLicenceNumber {
    prefix: char,
    province: &'static Province,
    serial: String,
    site: Option<u32>,
}

impl IcpLicenceNumber {
    /// The issuing province.
    pub fn province(&self) -> &'static Province {
        self.province
    }

    /// The 6-digit licence serial.
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The website serial (`-N`), if any.
    pub fn site(&self) -> Option<u32> {
        self.site
    }
}

impl fmt::Display for IcpLicenceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ICP证{}号", self.prefix, self.serial)?;
        match self.site {
            Some(site) => write!(f, "-{site}"),
            None => Ok(()),
        }
    }
}

/// Who issued a value-added telecom licence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VatIssuer {
    /// A provincial communications administration; the prefix as written.
    Province {
        /// The abbreviation on the licence.
        prefix: char,
        /// The province it names.
        province: &'static Province,
    },
    /// MIIT for cross-regional licences (`合字`).
    Ministry,
}

/// A value-added telecom business licence number (增值电信业务经营许可证).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct VatLicenceNumber {
    issuer: VatIssuer,
    class: u8,
    serial: String,
    site: Option<u32>,
}

impl VatLicenceNumber {
    /// The issuer.
    pub fn issuer(&self) -> VatIssuer {
        self.issuer
    }

    /// The business class after `B`: 1 or 2.
    pub fn class(&self) -> u8 {
        self.class
    }

    /// The 8-digit serial.
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The website serial (`-N`), if any.
    pub fn site(&self) -> Option<u32> {
        self.site
    }
}

impl fmt::Display for VatLicenceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.issuer {
            VatIssuer::Province { prefix, .. } => write!(f, "{prefix}")?,
            VatIssuer::Ministry => f.write_str("合字")?,
        }
        write!(f, "B{}-{}", self.class, self.serial)?;
        match self.site {
            Some(site) => write!(f, "-{site}"),
            None => Ok(()),
        }
    }
}

/// A public-security filing number (公安联网备案号).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PsbNumber {
    prefix: char,
    province: &'static Province,
    digits: String,
}

impl PsbNumber {
    /// Parses `京公网安备11010502030143号`; a space before the digits is
    /// tolerated. Region digits that belong to another province than the
    /// prefix only warn (V-PSB-1): such numbers exist in real footers.
    pub fn parse(input: &str) -> Checked<PsbNumber> {
        if input.len() > MAX_INPUT_BYTES {
            return Err(too_long_rejection());
        }
        let normalized = fold_code_input(input);
        if normalized.is_empty() {
            return Err(empty_rejection());
        }
        let chars: Vec<char> = normalized.chars().collect();
        let mut findings = Findings::new();
        let Some((&prefix, rest)) = chars.split_first() else {
            return Err(empty_rejection());
        };
        if !starts_with(rest, "公网安备") {
            let message = if starts_with(&chars, "公网安备") {
                (
                    code::INVALID_PREFIX,
                    "number is missing its province prefix (e.g. 京公网安备…)",
                    "备案号缺少省份简称（如 京公网安备…）",
                )
            } else {
                (
                    code::INVALID_FORMAT,
                    "not a public security filing number: expected e.g. 京公网安备11010502030143号",
                    "不是公安联网备案号：格式应类似 京公网安备11010502030143号",
                )
            };
            findings.error(message.0, message.1.to_owned(), message.2.to_owned());
            return Err(findings.reject(Some(normalized)));
        }
        let mut position = 4;
        let digits = take_digits(rest, &mut position);
        if !eat(rest, &mut position, "号") || position != rest.len() {
            findings.error(
                code::INVALID_FORMAT,
                "public security filing number must be digits followed by 号".to_owned(),
                "公安联网备案号应为数字加“号”".to_owned(),
            );
            return Err(findings.reject(Some(normalized)));
        }

        let province = province::by_psb_prefix(prefix);
        if province.is_none() {
            let hint = province::by_icp_prefix(prefix).map(|p| {
                (
                    format!(" ({} uses {})", p.name_en, p.psb_prefix()),
                    format!("（{}应为“{}”）", p.name_zh, p.psb_prefix()),
                )
            });
            let (hint, hint_zh) = hint.unwrap_or_default();
            findings.error(
                code::INVALID_PREFIX,
                format!(
                    "{} is not a public security filing prefix{hint}",
                    show_char(prefix)
                ),
                format!("{} 不是公安联网备案省份简称{hint_zh}", show_char(prefix)),
            );
        }
        if digits.len() != 14 {
            findings.error(
                code::INVALID_LENGTH,
                format!(
                    "public security filing number must have 14 digits, got {}",
                    digits.len()
                ),
                format!("公安联网备案号应为 14 位数字，实际为 {} 位", digits.len()),
            );
        } else {
            let code_digits: u8 = digits.get(..2).and_then(|d| d.parse().ok()).unwrap_or(0);
            match (province::by_code(code_digits), province) {
                (None, _) => findings.error(
                    code::INVALID_REGION,
                    format!("region code {} is not a known province", &digits[..6]),
                    format!("地区代码 {} 不属于已知省份", &digits[..6]),
                ),
                (Some(region), Some(prefix_province)) if region != prefix_province => findings
                    .warn(
                        code::REGION_PREFIX_MISMATCH,
                        format!(
                            "region code {} is in {}, but the prefix {} is {}",
                            &digits[..6],
                            region.name_en,
                            prefix,
                            prefix_province.name_en
                        ),
                        format!(
                            "地区代码 {} 属于{}，但简称“{}”对应{}",
                            &digits[..6],
                            region.name_zh,
                            prefix,
                            prefix_province.name_zh
                        ),
                    ),
                _ => {}
            }
        }
        let canonical = format!("{prefix}公网安备{digits}号");
        match province {
            Some(province) if !findings.has_errors() => findings.finish(
                canonical,
                PsbNumber {
                    prefix,
                    province,
                    digits,
                },
            ),
            _ => Err(findings.reject(Some(canonical))),
        }
    }

    /// The province named by the prefix.
    pub fn province(&self) -> &'static Province {
        self.province
    }

    /// The 14 digits.
    pub fn digits(&self) -> &str {
        &self.digits
    }

    /// The 6-digit county-level region code at the start of the digits.
    pub fn region_code(&self) -> &str {
        self.digits.get(..6).unwrap_or("")
    }
}

impl fmt::Display for PsbNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}公网安备{}号", self.prefix, self.digits)
    }
}

/// The numeric part after the type marker: `SEQ 号 [-SITE]`, or the legacy
/// `SEQ -SITE 号` layout.
struct Tail {
    sequence: String,
    site: Option<String>,
    site_before_hao: bool,
}

/// Reads `digits 号 [- digits]` (or the legacy `digits - digits 号`) and
/// requires the end of input after it.
fn parse_tail(rest: &[char]) -> Option<Tail> {
    let mut position = 0;
    let sequence = take_digits(rest, &mut position);
    if eat(rest, &mut position, "号") {
        let site = if eat(rest, &mut position, "-") {
            Some(take_digits(rest, &mut position))
        } else {
            None
        };
        let complete = position == rest.len() && site.as_ref().is_none_or(|s| !s.is_empty());
        return complete.then_some(Tail {
            sequence,
            site,
            site_before_hao: false,
        });
    }
    if eat(rest, &mut position, "-") {
        let site = take_digits(rest, &mut position);
        let complete = !site.is_empty() && eat(rest, &mut position, "号") && position == rest.len();
        return complete.then_some(Tail {
            sequence,
            site: Some(site),
            site_before_hao: true,
        });
    }
    None
}

fn tail_format_error(findings: &mut Findings, example: &str) {
    findings.error(
        code::INVALID_FORMAT,
        format!("number must end in digits, 号 and an optional -N site serial, e.g. {example}"),
        format!("格式应为数字加“号”，可带 -N 网站序号，如 {example}"),
    );
}

fn parse_filing(
    prefix: char,
    rest: &[char],
    normalized: String,
    options: IcpParseOptions,
    mut findings: Findings,
) -> Checked<IcpFilingNumber> {
    let province = icp_prefix_province(prefix, options, &mut findings);
    let Some(tail) = parse_tail(rest) else {
        tail_format_error(&mut findings, "京ICP备12345678号-1");
        return Err(findings.reject(Some(normalized)));
    };
    check_site_layout(&tail, options, &mut findings);
    match tail.sequence.len() {
        8 => {}
        10 => {
            let year: i32 = tail
                .sequence
                .get(..4)
                .and_then(|year| year.parse().ok())
                .unwrap_or(0);
            check_year(year, options.today, &mut findings);
        }
        count => findings.error(
            code::INVALID_LENGTH,
            format!("filing sequence must have 8 or 10 digits, got {count}"),
            format!("备案号数字部分应为 8 位或 10 位，实际为 {count} 位"),
        ),
    }
    let site = parse_site(tail.site.as_deref(), &mut findings);
    match province {
        Some(province) if !findings.has_errors() => {
            let number = IcpFilingNumber {
                province,
                sequence: tail.sequence,
                site,
            };
            findings.finish(number.to_string(), number)
        }
        _ => Err(findings.reject(Some(normalized))),
    }
}

fn parse_licence(
    prefix: char,
    rest: &[char],
    normalized: String,
    options: IcpParseOptions,
    mut findings: Findings,
) -> Checked<IcpLicenceNumber> {
    let province = licence_prefix_province(prefix, &mut findings);
    let Some(tail) = parse_tail(rest) else {
        tail_format_error(&mut findings, "京ICP证070791号");
        return Err(findings.reject(Some(normalized)));
    };
    check_site_layout(&tail, options, &mut findings);
    if tail.sequence.len() != 6 {
        findings.error(
            code::INVALID_LENGTH,
            format!(
                "icp licence serial must have 6 digits, got {}",
                tail.sequence.len()
            ),
            format!(
                "ICP 许可证号数字部分应为 6 位，实际为 {} 位",
                tail.sequence.len()
            ),
        );
    }
    let site = parse_site(tail.site.as_deref(), &mut findings);
    match province {
        Some(province) if !findings.has_errors() => {
            let number = IcpLicenceNumber {
                prefix,
                province,
                serial: tail.sequence,
                site,
            };
            findings.finish(number.to_string(), number)
        }
        _ => Err(findings.reject(Some(normalized))),
    }
}

/// Parses what follows `B` in a VAT licence: `1|2 - 8DIGIT [- SITE]`.
fn parse_vat(
    prefix: Option<char>,
    rest: &[char],
    normalized: String,
    mut findings: Findings,
) -> Checked<VatLicenceNumber> {
    let issuer = match prefix {
        None => Some(VatIssuer::Ministry),
        Some(prefix) => licence_prefix_province(prefix, &mut findings)
            .map(|province| VatIssuer::Province { prefix, province }),
    };
    let class = match rest.first() {
        Some('1') => 1,
        Some('2') => 2,
        _ => 0,
    };
    let mut position = 1;
    let well_formed = class != 0 && eat(rest, &mut position, "-");
    let serial = take_digits(rest, &mut position);
    let site = if eat(rest, &mut position, "-") {
        Some(take_digits(rest, &mut position))
    } else {
        None
    };
    let complete = position == rest.len() && site.as_ref().is_none_or(|s| !s.is_empty());
    if !well_formed || !complete {
        findings.error(
            code::INVALID_FORMAT,
            "value-added telecom licence must look like 粤B2-20090059 or 粤B2-20090059-5"
                .to_owned(),
            "增值电信业务经营许可证号格式应类似 粤B2-20090059 或 粤B2-20090059-5".to_owned(),
        );
        return Err(findings.reject(Some(normalized)));
    }
    if serial.len() != 8 {
        findings.error(
            code::INVALID_LENGTH,
            format!("licence serial must have 8 digits, got {}", serial.len()),
            format!("许可证号数字部分应为 8 位，实际为 {} 位", serial.len()),
        );
    }
    let site = parse_site(site.as_deref(), &mut findings);
    match issuer {
        Some(issuer) if !findings.has_errors() => {
            let number = VatLicenceNumber {
                issuer,
                class,
                serial,
                site,
            };
            findings.finish(number.to_string(), number)
        }
        _ => Err(findings.reject(Some(normalized))),
    }
}

/// Resolves an ICP filing prefix (V-ICP-1).
fn icp_prefix_province(
    prefix: char,
    options: IcpParseOptions,
    findings: &mut Findings,
) -> Option<&'static Province> {
    if let Some(province) = province::by_icp_prefix(prefix) {
        return Some(province);
    }
    if let Some(province) = province::by_colloquial_prefix(prefix) {
        let correct = province.icp_prefix;
        let name = province.name_en;
        let name_zh = province.name_zh;
        match options.legacy {
            LegacyPolicy::Reject => findings.error(
                code::INVALID_PREFIX,
                format!("{name} icp numbers start with {correct}, not {prefix}"),
                format!("{name_zh}的 ICP 备案号以“{correct}”开头，而不是“{prefix}”"),
            ),
            LegacyPolicy::Normalize => findings.warn(
                code::NONSTANDARD_PREFIX,
                format!("prefix {prefix} was corrected to {correct} ({name})"),
                format!("简称“{prefix}”已更正为“{correct}”（{name_zh}）"),
            ),
        }
        return match options.legacy {
            LegacyPolicy::Reject => None,
            LegacyPolicy::Normalize => Some(province),
        };
    }
    findings.error(
        code::INVALID_PREFIX,
        format!("{} is not a province prefix", show_char(prefix)),
        format!("{} 不是省份简称", show_char(prefix)),
    );
    None
}

/// Resolves a licence prefix. The spec only establishes the classical
/// abbreviations (蜀, 陇, …) for filing numbers, and licences are issued by
/// the same bureaus under their everyday names too, so both are accepted.
fn licence_prefix_province(prefix: char, findings: &mut Findings) -> Option<&'static Province> {
    let province = province::by_icp_prefix(prefix)
        .or_else(|| province::by_colloquial_prefix(prefix))
        .or_else(|| province::by_psb_prefix(prefix));
    if province.is_none() {
        findings.error(
            code::INVALID_PREFIX,
            format!("{} is not a province prefix", show_char(prefix)),
            format!("{} 不是省份简称", show_char(prefix)),
        );
    }
    province
}

/// Flags the legacy `…-5号` layout (V-ICP-3).
fn check_site_layout(tail: &Tail, options: IcpParseOptions, findings: &mut Findings) {
    if !tail.site_before_hao {
        return;
    }
    match options.legacy {
        LegacyPolicy::Reject => findings.error(
            code::INVALID_FORMAT,
            "the -N site serial must come after 号 (…号-N)".to_owned(),
            "网站序号 -N 应位于“号”之后（…号-N）".to_owned(),
        ),
        LegacyPolicy::Normalize => findings.warn(
            code::NONSTANDARD_FORMAT,
            "site serial written before 号 was moved after it".to_owned(),
            "写在“号”之前的网站序号已移至“号”之后".to_owned(),
        ),
    }
}

/// Parses a site serial `[1-9][0-9]*`.
fn parse_site(site: Option<&str>, findings: &mut Findings) -> Option<u32> {
    let site = site?;
    match site.parse::<u32>() {
        Ok(value) if !site.starts_with('0') => Some(value),
        Ok(0) => {
            site_zero(findings);
            None
        }
        _ => {
            findings.error(
                code::INVALID_SITE_NUMBER,
                "site serial must be a number from 1 without leading zeros".to_owned(),
                "网站序号应为从 1 开始、不带前导零的数字".to_owned(),
            );
            None
        }
    }
}

fn site_zero(findings: &mut Findings) {
    findings.error(
        code::INVALID_SITE_NUMBER,
        "site serial starts at 1; -0 is not a site".to_owned(),
        "网站序号从 1 开始，-0 无效".to_owned(),
    );
}

/// V-ICP-2: a 10-digit sequence starts with a plausible year.
fn check_year(year: i32, today: Date, findings: &mut Findings) {
    if !(2000..=today.year()).contains(&year) {
        findings.error(
            code::INVALID_YEAR,
            format!(
                "year {year} in the sequence must be between 2000 and {}",
                today.year()
            ),
            format!("备案号中的年份 {year} 应在 2000 至 {} 之间", today.year()),
        );
    }
}

fn starts_with(chars: &[char], literal: &str) -> bool {
    let mut position = 0;
    eat(chars, &mut position, literal)
}

/// Consumes `literal` at `position` if present.
fn eat(chars: &[char], position: &mut usize, literal: &str) -> bool {
    let mut next = *position;
    for expected in literal.chars() {
        if chars.get(next) != Some(&expected) {
            return false;
        }
        next += 1;
    }
    *position = next;
    true
}

/// Consumes a run of ASCII digits at `position`.
fn take_digits(chars: &[char], position: &mut usize) -> String {
    let mut digits = String::new();
    while let Some(&c) = chars.get(*position) {
        if !c.is_ascii_digit() {
            break;
        }
        digits.push(c);
        *position += 1;
    }
    digits
}

#[cfg(test)]
mod tests;
