//! Website name rules for ICP filings (网站名称, R-NAME in spec §1.6).
//!
//! Hard rules (errors): at least 3 characters; not only digits; not only
//! English letters; no special symbols; none of the caller's sensitive words;
//! no 中国/中央/国家/… prefix unless the owner is a national unit.
//!
//! Judgement rules (warnings, for the reviewer): a unit's site name should
//! relate to the unit name (R-NAME 4); a personal site name should not sound
//! like a business or official body and should stay within 10 characters
//! (R-NAME 5).
//!
//! Matching is done on the simplified-Chinese variant key, so traditional
//! spellings (`中國科技網`) hit the same rules.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

use super::{
    Checked, Findings, MAX_INPUT_BYTES, code, domain_name::variant_key, empty_rejection, is_han,
    show_char, too_long_rejection,
};

/// Minimum length in characters (R-NAME 1).
pub const MIN_CHARS: usize = 3;

/// Longest personal site name that draws no warning (R-NAME 1).
pub const RECOMMENDED_PERSONAL_MAX_CHARS: usize = 10;

/// Upper bound in characters. The spec sets none; this only keeps absurd
/// input out of the filing record.
pub const MAX_CHARS: usize = 100;

/// Prefixes reserved for national units (R-NAME 3).
pub const RESERVED_PREFIXES: [&str; 12] = [
    "中国", "中央", "国家", "中华", "人大", "人民", "反腐", "纪检", "监察", "信访", "维权", "投诉",
];

/// The sensitive words the spec names as examples. Real lists are longer,
/// change often and come from configuration.
pub const DEFAULT_SENSITIVE_WORDS: [&str; 2] = ["反腐", "赌博"];

/// Words that make a personal site name sound commercial or official.
const COMMERCIAL_WORDS: [&str; 8] = [
    "公司", "企业", "集团", "官网", "官方", "商城", "论坛", "博客",
];

/// Legal-form suffixes ignored when relating a site name to a unit name,
/// since every company shares them.
const UNIT_SUFFIXES: [&str; 5] = ["股份有限公司", "有限责任公司", "有限公司", "分公司", "公司"];

/// Who the site belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteOwner {
    /// A natural person (个人).
    Personal,
    /// An organisation that is not a national-level unit.
    Unit,
    /// A national-level unit, allowed the reserved prefixes.
    NationalUnit,
}

/// Everything a site name is judged against besides itself.
#[derive(Debug, Clone, Copy)]
pub struct SiteNameContext<'a> {
    /// The filing subject's kind.
    pub owner: SiteOwner,
    /// The unit's registered name, to check that the site name relates to
    /// it; `None` skips that check.
    pub unit_name: Option<&'a str>,
    /// Words that may not appear anywhere in the name.
    pub sensitive_words: &'a [&'a str],
}

/// A website name that passed R-NAME.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SiteName(String);

impl SiteName {
    /// Checks a website name against R-NAME.
    pub fn parse(input: &str, context: &SiteNameContext<'_>) -> Checked<SiteName> {
        if input.len() > MAX_INPUT_BYTES {
            return Err(too_long_rejection());
        }
        // NFKC turns full-width letters and digits into ASCII so "only
        // letters" cannot be dodged with ＭｙＳｉｔｅ.
        let name: String = input.nfkc().collect::<String>().trim().to_owned();
        if name.is_empty() {
            return Err(empty_rejection());
        }
        let mut findings = Findings::new();
        let length = name.chars().count();
        if length > MAX_CHARS {
            findings.error(
                code::INVALID_LENGTH,
                format!("website name has {length} characters, more than {MAX_CHARS}"),
                format!("网站名称有 {length} 个字符，超过 {MAX_CHARS} 个"),
            );
            return Err(findings.reject(None));
        }
        if length < MIN_CHARS {
            findings.error(
                code::INVALID_LENGTH,
                format!("website name needs at least {MIN_CHARS} characters, got {length}"),
                format!("网站名称至少 {MIN_CHARS} 个字符，实际为 {length} 个"),
            );
        }

        let mut symbols: Vec<char> = Vec::new();
        for c in name.chars() {
            let allowed = is_han(c) || c.is_ascii_alphanumeric();
            if !allowed && !symbols.contains(&c) {
                symbols.push(c);
            }
        }
        if !symbols.is_empty() {
            let shown: Vec<String> = symbols.iter().take(5).map(|c| show_char(*c)).collect();
            findings.error(
                code::INVALID_CHARSET,
                format!(
                    "website name may only use chinese characters, letters and digits, found {}",
                    shown.join(", ")
                ),
                format!(
                    "网站名称只能使用汉字、字母和数字，发现 {}",
                    shown.join("、")
                ),
            );
        }
        if name.chars().all(|c| c.is_ascii_digit()) {
            findings.error(
                code::DIGITS_ONLY,
                "website name cannot be only digits".to_owned(),
                "网站名称不能是纯数字".to_owned(),
            );
        }
        if name.chars().all(|c| c.is_ascii_alphabetic()) {
            findings.error(
                code::LETTERS_ONLY,
                "website name cannot be only english letters".to_owned(),
                "网站名称不能是纯英文字母".to_owned(),
            );
        }

        let key = variant_key(&name);
        for word in context.sensitive_words {
            let word_key = variant_key(word.trim());
            // An empty entry would match everything; configuration mistakes
            // must not block every filing.
            if !word_key.is_empty() && key.contains(&word_key) {
                findings.error(
                    code::SENSITIVE_WORD,
                    format!(
                        "website name contains the sensitive word \"{}\"",
                        word.trim()
                    ),
                    format!("网站名称包含敏感词“{}”", word.trim()),
                );
            }
        }
        if context.owner != SiteOwner::NationalUnit
            && let Some(prefix) = RESERVED_PREFIXES
                .iter()
                .find(|prefix| key.starts_with(&variant_key(prefix)))
        {
            findings.error(
                code::FORBIDDEN_PREFIX,
                format!("only national units may start a website name with \"{prefix}\""),
                format!("非国家级单位的网站名称不能以“{prefix}”开头"),
            );
        }

        match context.owner {
            SiteOwner::Personal => personal_warnings(&key, length, &mut findings),
            SiteOwner::Unit | SiteOwner::NationalUnit => {
                if let Some(unit_name) = context.unit_name
                    && !relates_to_unit(&key, unit_name)
                {
                    findings.warn(
                        code::NAME_UNRELATED_TO_UNIT,
                        "website name shares nothing with the unit name; the reviewer may ask for an explanation".to_owned(),
                        "网站名称与主办单位名称无关联，审核时可能需要提供说明材料".to_owned(),
                    );
                }
            }
        }
        findings.finish(name.clone(), SiteName(name))
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SiteName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn personal_warnings(key: &str, length: usize, findings: &mut Findings) {
    if length > RECOMMENDED_PERSONAL_MAX_CHARS {
        findings.warn(
            code::LENGTH_NOT_RECOMMENDED,
            format!(
                "personal website names should have at most {RECOMMENDED_PERSONAL_MAX_CHARS} characters"
            ),
            format!("个人网站名称建议不超过 {RECOMMENDED_PERSONAL_MAX_CHARS} 个字符"),
        );
    }
    if let Some(word) = COMMERCIAL_WORDS.iter().find(|word| key.contains(**word)) {
        findings.warn(
            code::PERSONAL_NAME_LOOKS_COMMERCIAL,
            format!(
                "\"{word}\" makes a personal website name sound like a business or official site"
            ),
            format!("个人网站名称含“{word}”，容易被视为企业或官方网站"),
        );
    }
}

/// Whether the site name (variant key) plausibly refers to the unit: it
/// shares a two-character run with the unit's name once legal-form suffixes
/// are removed, or one contains the other.
fn relates_to_unit(site_key: &str, unit_name: &str) -> bool {
    let mut unit_key = variant_key(unit_name.trim());
    for suffix in UNIT_SUFFIXES {
        if let Some(stripped) = unit_key.strip_suffix(suffix) {
            unit_key = stripped.to_owned();
            break;
        }
    }
    if unit_key.is_empty() {
        return true;
    }
    if site_key.contains(&unit_key) || unit_key.contains(site_key) {
        return true;
    }
    let unit_chars: Vec<char> = unit_key.chars().collect();
    unit_chars.windows(2).any(|pair| {
        let bigram: String = pair.iter().collect();
        site_key.contains(&bigram)
    })
}

#[cfg(test)]
mod tests;
