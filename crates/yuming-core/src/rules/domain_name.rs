//! Domain-name syntax and IDN handling, spec §4.4 (rules L-1 … L-6).
//!
//! Input may be Unicode (`例子.中国`), an A-label (`xn--fsqu00a.xn--fiqs8s`),
//! or a mix, typed with full-width characters or ideographic full stops.
//! [`DomainName::parse`] normalises it (NFKC, lowercase), converts each label
//! with UTS 46 non-transitional processing (the `idna` crate), and checks the
//! registry rules that UTS 46 leaves open: LDH, hyphen positions, lengths in
//! A-label form, IDNA 2008's letter/digit rule and the per-registry script
//! policy. Which registry rules apply is a [`DomainPolicy`] chosen by the
//! caller from TLD configuration, never inferred from the TLD's name here.
//!
//! Simplified/traditional variants (L-6) are handled by [`variant_key`]: two
//! labels that differ only by variant characters share a key, so a registry
//! can block the other forms for everyone but the registrant. The character
//! data is OpenCC's complete character tables (Apache-2.0, `data/opencc`).

use std::fmt;

use icu_properties::CodePointMapData;
use icu_properties::props::GeneralCategory;
use idna::uts46::{AsciiDenyList, DnsLength, Hyphens, Uts46};
use unicode_normalization::UnicodeNormalization;

use super::{
    Checked, Findings, MAX_INPUT_BYTES, code, empty_rejection, is_han, show_char,
    too_long_rejection,
};

/// Longest label in A-label (ASCII) form, in octets (RFC 1034).
pub const MAX_LABEL_OCTETS: usize = 63;

/// Longest name in A-label form without the root dot, in octets.
pub const MAX_NAME_OCTETS: usize = 253;

/// Which characters an IDN label may use beyond IDNA 2008.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdnScriptPolicy {
    /// Any IDNA 2008 letters and digits.
    Any,
    /// Chinese IDN tables (CNNIC `cn_zh-cn`): a non-ASCII label must contain
    /// a Chinese character and may otherwise only use ASCII letters, digits
    /// and hyphens (L-4).
    Chinese,
}

/// Registry syntax rules that differ between TLD families.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DomainPolicy {
    /// Forbid `--` anywhere in a label, not just in positions 3-4 (L-3).
    pub forbid_consecutive_hyphens: bool,
    /// Script rule for non-ASCII labels.
    pub idn_script: IdnScriptPolicy,
}

impl DomainPolicy {
    /// gTLD defaults: LDH plus IDNA 2008, `--` banned only in positions 3-4.
    pub const GENERIC: DomainPolicy = DomainPolicy {
        forbid_consecutive_hyphens: false,
        idn_script: IdnScriptPolicy::Any,
    };

    /// The CNNIC family (`.cn`, `.中国`, `.公司`, `.网络`): no `--` anywhere
    /// and Chinese-only IDN labels.
    pub const CHINESE_REGISTRY: DomainPolicy = DomainPolicy {
        forbid_consecutive_hyphens: true,
        idn_script: IdnScriptPolicy::Chinese,
    };
}

/// What kind of characters a label is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LabelScript {
    /// Only ASCII letters, digits and hyphens.
    Ascii,
    /// At least one Chinese character; everything else ASCII LDH.
    Han,
    /// Contains non-ASCII characters that are not Chinese.
    Other,
}

impl LabelScript {
    /// Classifies a U-label.
    pub fn of(label: &str) -> LabelScript {
        if label.is_ascii() {
            LabelScript::Ascii
        } else if label.chars().all(|c| c.is_ascii() || is_han(c)) {
            LabelScript::Han
        } else {
            LabelScript::Other
        }
    }
}

/// One label of a domain name in both forms.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Label {
    ascii: String,
    unicode: String,
    script: LabelScript,
}

impl Label {
    /// The A-label / LDH form, e.g. `xn--fiqs8s`.
    pub fn ascii(&self) -> &str {
        &self.ascii
    }

    /// The U-label form, e.g. `中国` (same as `ascii()` for LDH labels).
    pub fn unicode(&self) -> &str {
        &self.unicode
    }

    /// The label's script class.
    pub fn script(&self) -> LabelScript {
        self.script
    }

    /// Whether this is an internationalised (non-ASCII) label.
    pub fn is_idn(&self) -> bool {
        self.script != LabelScript::Ascii
    }
}

/// A syntactically valid, normalised domain name of at least two labels.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DomainName {
    ascii: String,
    unicode: String,
    labels: Vec<Label>,
    tld: Label,
}

impl DomainName {
    /// Parses and normalises a domain name under `policy`.
    pub fn parse(input: &str, policy: &DomainPolicy) -> Checked<DomainName> {
        if input.len() > MAX_INPUT_BYTES {
            return Err(too_long_rejection());
        }
        let normalized = normalize(input);
        if normalized.is_empty() {
            return Err(empty_rejection());
        }
        let mut findings = Findings::new();
        // One trailing dot is the DNS root and is dropped; a second one
        // leaves an empty label and is reported below.
        let name = normalized.strip_suffix('.').unwrap_or(&normalized);
        let raw_labels: Vec<&str> = name.split('.').collect();
        // 253 octets hold at most 127 labels; more can only be garbage, and
        // stopping here keeps the problem list short.
        if raw_labels.len() > MAX_NAME_OCTETS.div_ceil(2) {
            findings.error(
                code::INVALID_LENGTH,
                format!(
                    "domain name has {} labels, more than fit in {MAX_NAME_OCTETS} octets",
                    raw_labels.len()
                ),
                format!(
                    "域名有 {} 个标签，超出 {MAX_NAME_OCTETS} 字节的上限",
                    raw_labels.len()
                ),
            );
            return Err(findings.reject(Some(normalized)));
        }
        if raw_labels.len() < 2 && raw_labels.iter().all(|label| !label.is_empty()) {
            findings.error(
                code::MISSING_TLD,
                "domain name needs a label and a top-level domain, e.g. example.cn".to_owned(),
                "域名应包含名称和顶级域，如 example.cn".to_owned(),
            );
        }
        let mut labels = Vec::with_capacity(raw_labels.len());
        let mut reported_empty = false;
        for raw in &raw_labels {
            if raw.is_empty() {
                if !reported_empty {
                    findings.error(
                        code::EMPTY_LABEL,
                        "domain name has an empty label (two dots in a row, or a leading dot)"
                            .to_owned(),
                        "域名中有空标签（连续的点或以点开头）".to_owned(),
                    );
                    reported_empty = true;
                }
                continue;
            }
            if let Some(label) = check_label(raw, policy, &mut findings) {
                labels.push(label);
            }
        }
        if let Some(tld) = raw_labels.last().filter(|_| raw_labels.len() >= 2)
            && !tld.is_empty()
            && tld.bytes().all(|b| b.is_ascii_digit())
        {
            findings.error(
                code::INVALID_TLD,
                "top-level domain cannot be all digits".to_owned(),
                "顶级域不能全是数字".to_owned(),
            );
        }
        if findings.has_errors() {
            return Err(findings.reject(Some(normalized)));
        }

        let ascii = join(&labels, Label::ascii);
        let unicode = join(&labels, Label::unicode);
        if ascii.len() > MAX_NAME_OCTETS {
            findings.error(
                code::INVALID_LENGTH,
                format!(
                    "domain name is {} octets in ascii form, more than {MAX_NAME_OCTETS}",
                    ascii.len()
                ),
                format!(
                    "域名的 ASCII 形式为 {} 字节，超过 {MAX_NAME_OCTETS} 字节",
                    ascii.len()
                ),
            );
        }
        // Label-by-label processing cannot see rules that span labels (the
        // bidi rule applies to a whole name once any label is right-to-left),
        // so the assembled name goes through UTS 46 once more.
        if Uts46::new()
            .to_ascii(
                unicode.as_bytes(),
                AsciiDenyList::STD3,
                Hyphens::Allow,
                DnsLength::Ignore,
            )
            .is_err()
        {
            findings.error(
                code::INVALID_IDN,
                "domain name breaks the idna bidirectional or contextual rules".to_owned(),
                "域名不符合 IDNA 双向文字或上下文规则".to_owned(),
            );
        }
        // `labels` is non-empty here: no errors means at least two labels.
        let Some(tld) = labels.last().cloned() else {
            return Err(findings.reject(Some(normalized)));
        };
        findings.finish(
            unicode.clone(),
            DomainName {
                ascii,
                unicode,
                labels,
                tld,
            },
        )
    }

    /// The A-label form, e.g. `xn--fsqu00a.xn--fiqs8s`; use it on the wire.
    pub fn ascii(&self) -> &str {
        &self.ascii
    }

    /// The Unicode form, e.g. `例子.中国`; use it for display.
    pub fn unicode(&self) -> &str {
        &self.unicode
    }

    /// All labels, left to right.
    pub fn labels(&self) -> &[Label] {
        &self.labels
    }

    /// The top-level domain (last label).
    pub fn tld(&self) -> &Label {
        &self.tld
    }

    /// Whether any label is internationalised.
    pub fn is_idn(&self) -> bool {
        self.labels.iter().any(Label::is_idn)
    }

    /// The simplified/traditional variant key of the whole name, e.g.
    /// `例子.中国` for both `例子.中國` and `例子.中国`.
    pub fn variant_key(&self) -> String {
        variant_key(&self.unicode)
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.unicode)
    }
}

fn join(labels: &[Label], form: fn(&Label) -> &str) -> String {
    labels.iter().map(form).collect::<Vec<_>>().join(".")
}

/// Trims, applies NFKC (full-width letters, digits and dots become ASCII),
/// maps ideographic full stops to `.`, lowercases and recomposes (NFC).
fn normalize(input: &str) -> String {
    let folded: String = input
        .trim()
        .nfkc()
        .map(|c| if is_label_separator(c) { '.' } else { c })
        .collect();
    folded.to_lowercase().nfc().collect()
}

/// Dots that UTS 46 treats as label separators; NFKC leaves U+3002 alone.
fn is_label_separator(c: char) -> bool {
    matches!(c, '.' | '\u{3002}' | '\u{FF0E}' | '\u{FF61}')
}

/// Checks one non-empty, normalised label and returns both of its forms.
fn check_label(raw: &str, policy: &DomainPolicy, findings: &mut Findings) -> Option<Label> {
    let (what, what_zh) = describe(raw);
    let before = findings.error_count();

    // ASCII characters in any label must be LDH; catching them here gives a
    // clearer message than a generic IDNA failure.
    let mut bad: Vec<char> = raw
        .chars()
        .filter(|c| c.is_ascii() && !is_ldh(*c))
        .collect();
    bad.dedup();
    if !bad.is_empty() {
        let shown: Vec<String> = bad.iter().take(5).map(|c| show_char(*c)).collect();
        findings.error(
            code::INVALID_CHARSET,
            format!(
                "{what} may only contain letters, digits and hyphens, found {}",
                shown.join(", ")
            ),
            format!(
                "{what_zh}只能包含字母、数字和连字符，发现 {}",
                shown.join("、")
            ),
        );
        return None;
    }

    let (ascii, unicode) = if raw.is_ascii() && !raw.starts_with("xn--") {
        (raw.to_owned(), raw.to_owned())
    } else {
        match convert_idn(raw) {
            Some(forms) => forms,
            None => {
                findings.error(
                    code::INVALID_IDN,
                    format!("{what} is not a valid internationalised label"),
                    format!("{what_zh}不是有效的国际化域名标签"),
                );
                return None;
            }
        }
    };

    if let Some(bad) = unicode
        .chars()
        .find(|c| !c.is_ascii() && !is_idna2008_letter_digit(*c))
    {
        findings.error(
            code::INVALID_IDN,
            format!(
                "{what} contains {}, which is not a letter or digit allowed by idna 2008",
                show_char(bad)
            ),
            format!("{what_zh}包含 IDNA 2008 不允许的字符 {}", show_char(bad)),
        );
    }
    check_hyphens(&unicode, policy, &what, &what_zh, findings);
    if ascii.len() > MAX_LABEL_OCTETS {
        findings.error(
            code::INVALID_LENGTH,
            format!(
                "{what} is {} octets in ascii form, more than {MAX_LABEL_OCTETS}",
                ascii.len()
            ),
            format!(
                "{what_zh}的 ASCII 形式为 {} 字节，超过 {MAX_LABEL_OCTETS} 字节",
                ascii.len()
            ),
        );
    }
    let script = LabelScript::of(&unicode);
    // A label already refused for its characters gets no script verdict on top.
    let characters_ok = findings.error_count() == before;
    if characters_ok
        && policy.idn_script == IdnScriptPolicy::Chinese
        && script == LabelScript::Other
    {
        if unicode.chars().any(is_han) {
            findings.error(
                code::MIXED_SCRIPT,
                format!("{what} mixes chinese with other non-ascii scripts"),
                format!("{what_zh}混用了中文和其他非 ASCII 文字"),
            );
        } else {
            findings.error(
                code::MISSING_CJK,
                format!("{what} is internationalised but contains no chinese character"),
                format!("{what_zh}是国际化标签，但不含中文字符"),
            );
        }
    }
    (findings.error_count() == before).then_some(Label {
        ascii,
        unicode,
        script,
    })
}

/// Converts an IDN label (U-label, or A-label starting `xn--`) to its
/// (A-label, U-label) pair, or `None` if UTS 46 refuses it.
fn convert_idn(raw: &str) -> Option<(String, String)> {
    let uts46 = Uts46::new();
    let ascii = uts46
        .to_ascii(
            raw.as_bytes(),
            AsciiDenyList::STD3,
            Hyphens::Allow,
            DnsLength::Ignore,
        )
        .ok()?
        .into_owned();
    if ascii.is_empty() || ascii.contains('.') {
        return None;
    }
    let (unicode, result) = uts46.to_unicode(ascii.as_bytes(), AsciiDenyList::STD3, Hyphens::Allow);
    result.ok()?;
    let unicode = unicode.into_owned();
    // An A-label must be the canonical encoding of its U-label (RFC 5891
    // §5.4); re-encoding catches non-canonical Punycode.
    if raw.starts_with("xn--") {
        let again = uts46
            .to_ascii(
                unicode.as_bytes(),
                AsciiDenyList::STD3,
                Hyphens::Allow,
                DnsLength::Ignore,
            )
            .ok()?;
        if again != raw {
            return None;
        }
    }
    Some((ascii, unicode))
}

/// L-1, L-2 and L-3, checked on the U-label so that an A-label's own `xn--`
/// and Punycode delimiter are not mistaken for hyphens the user typed.
fn check_hyphens(
    unicode: &str,
    policy: &DomainPolicy,
    what: &str,
    what_zh: &str,
    findings: &mut Findings,
) {
    if unicode.starts_with('-') || unicode.ends_with('-') {
        findings.error(
            code::INVALID_HYPHEN,
            format!("{what} cannot start or end with a hyphen"),
            format!("{what_zh}不能以连字符开头或结尾"),
        );
    }
    let third_and_fourth: String = unicode.chars().skip(2).take(2).collect();
    if third_and_fourth == "--" {
        findings.error(
            code::RESERVED_HYPHENS,
            format!("{what} cannot have hyphens in both the third and fourth positions"),
            format!("{what_zh}的第 3、4 位不能同时是连字符"),
        );
    } else if policy.forbid_consecutive_hyphens && unicode.contains("--") {
        findings.error(
            code::CONSECUTIVE_HYPHENS,
            format!("{what} cannot contain two hyphens in a row under this top-level domain"),
            format!("该顶级域下{what_zh}不能包含连续的连字符"),
        );
    }
}

fn is_ldh(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
}

/// Approximates IDNA 2008's PVALID letters and digits (RFC 5892 §2.1):
/// lowercase/other/modifier letters, combining marks and decimal digits,
/// plus the listed exception 〇 (U+3007). UTS 46 alone would also accept
/// symbols such as emoji that IDNA 2008 disallows.
fn is_idna2008_letter_digit(c: char) -> bool {
    if c == '\u{3007}' {
        return true;
    }
    matches!(
        CodePointMapData::<GeneralCategory>::new().get(c),
        GeneralCategory::LowercaseLetter
            | GeneralCategory::OtherLetter
            | GeneralCategory::ModifierLetter
            | GeneralCategory::NonspacingMark
            | GeneralCategory::SpacingMark
            | GeneralCategory::DecimalNumber
    )
}

/// How messages refer to a label: quoted if short and printable.
fn describe(raw: &str) -> (String, String) {
    let printable = raw.chars().all(|c| !c.is_control() && !c.is_whitespace());
    if printable && raw.chars().count() <= MAX_LABEL_OCTETS {
        (format!("label \"{raw}\""), format!("标签“{raw}”"))
    } else {
        ("a label".to_owned(), "标签".to_owned())
    }
}

/// Names the variant data and key function; stored keys computed under another version are
/// recomputed at start-up. Change it whenever [`variant_key`] may give a different answer.
pub const VARIANT_KEY_VERSION: &str = "opencc-26753884/first-candidate-bundles/1";

/// OpenCC's character tables (Apache-2.0), see `data/opencc/README.md`.
const TS_CHARACTERS: &str = include_str!("../../data/opencc/TSCharacters.txt");
const ST_CHARACTERS: &str = include_str!("../../data/opencc/STCharacters.txt");

/// `key → first candidate` of every line of an OpenCC character table whose first candidate
/// differs from the key.
fn first_candidates(table: &'static str) -> impl Iterator<Item = (char, char)> {
    table
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (key, candidates) = line.split_once('\t')?;
            let mut key = key.chars();
            let mut first = candidates.split(' ').next()?.chars();
            match (key.next(), key.next(), first.next(), first.next()) {
                (Some(k), None, Some(f), None) if k != f => Some((k, f)),
                _ => None,
            }
        })
}

/// The character tables and the variant bundles built from them, once.
struct Variants {
    to_simplified: std::collections::HashMap<char, char>,
    to_traditional: std::collections::HashMap<char, char>,
    /// Every character with a variant → its bundle's key character.
    keys: std::collections::HashMap<char, char>,
}

/// A bundle is a connected set of the tables' first candidates in both directions:
/// `乾`–`干`–`幹`–`榦`, `系`–`係`–`繫`, `余`–`餘`–`馀`. Its key is its smallest member that
/// comes back to itself through its traditional form (a simplified character), so keys read
/// as simplified Chinese: `中国` for `中國`. Deterministic (the data is compiled in) and
/// idempotent (the key is a member of its own bundle).
static VARIANTS: std::sync::LazyLock<Variants> = std::sync::LazyLock::new(|| {
    use std::collections::HashMap;
    let to_simplified: HashMap<char, char> = first_candidates(TS_CHARACTERS).collect();
    let to_traditional: HashMap<char, char> = first_candidates(ST_CHARACTERS).collect();
    let mut parent: HashMap<char, char> = HashMap::new();
    fn root(parent: &mut HashMap<char, char>, c: char) -> char {
        let mut r = *parent.entry(c).or_insert(c);
        while parent[&r] != r {
            r = parent[&r];
        }
        let mut x = c;
        while parent[&x] != r {
            let next = parent[&x];
            parent.insert(x, r);
            x = next;
        }
        r
    }
    for (&from, &to) in to_simplified.iter().chain(&to_traditional) {
        let (a, b) = (root(&mut parent, from), root(&mut parent, to));
        if a != b {
            parent.insert(a.max(b), a.min(b));
        }
    }
    let simplified = |c: char| *to_simplified.get(&c).unwrap_or(&c);
    let traditional = |c: char| *to_traditional.get(&c).unwrap_or(&c);
    let members: Vec<char> = parent.keys().copied().collect();
    // Per bundle: the smallest simplified member (false sorts first), else the smallest.
    let mut best: HashMap<char, (bool, char)> = HashMap::new();
    for &c in &members {
        let r = root(&mut parent, c);
        let candidate = (simplified(traditional(c)) != c, c);
        best.entry(r)
            .and_modify(|b| *b = (*b).min(candidate))
            .or_insert(candidate);
    }
    let keys = members
        .into_iter()
        .map(|c| {
            let r = root(&mut parent, c);
            (c, best.get(&r).map_or(c, |b| b.1))
        })
        .collect();
    Variants {
        to_simplified,
        to_traditional,
        keys,
    }
});

/// One character's variant key (itself when it has no variant).
fn char_key(c: char) -> char {
    if c.is_ascii() {
        return c;
    }
    VARIANTS.keys.get(&c).copied().unwrap_or(c)
}

/// Converts every character to its usual simplified form (OpenCC's first candidate;
/// character by character, so no phrase rules), for display.
pub fn to_simplified(label: &str) -> String {
    label
        .chars()
        .map(|c| *VARIANTS.to_simplified.get(&c).unwrap_or(&c))
        .collect()
}

/// Converts every character to its usual traditional form (OpenCC's first candidate;
/// character by character, so no phrase rules), for display.
pub fn to_traditional(label: &str) -> String {
    label
        .chars()
        .map(|c| *VARIANTS.to_traditional.get(&c).unwrap_or(&c))
        .collect()
}

/// The key under which all simplified/traditional variants of a label (or a whole name)
/// coincide: NFKC, lowercase, then every character replaced by the key of its variant
/// bundle (see `VARIANTS`).
/// `中國` and `中国` both give `中国`, `競賽測試` and `竞赛测试` both `竞赛测试`.
///
/// The key is per character, not per phrase, as registry variant tables (RFC 3743/4713)
/// are: any mix of simplified and traditional characters (`竞賽测試`) lands in the same
/// bundle, and the key does not depend on how a phrase table segments the label. The price
/// is that characters OpenCC maps only inside certain phrases stay apart (`了`/`瞭`), which
/// keeps distinct common characters (`象`/`像`, `坐`/`座`) from blocking each other.
/// Deterministic (the tables are compiled in) and idempotent: `variant_key(variant_key(x))
/// == variant_key(x)`. Changing it changes stored keys: `domains.variant_key` is recomputed
/// at start-up (see `yuming_app::registrar::domains::rekey_variants`).
pub fn variant_key(label: &str) -> String {
    let folded: String = label.nfkc().collect::<String>().to_lowercase();
    if folded.is_ascii() {
        return folded;
    }
    folded.chars().map(char_key).collect()
}

/// Whether two labels are simplified/traditional variants of each other
/// (or equal).
pub fn is_variant_of(left: &str, right: &str) -> bool {
    variant_key(left) == variant_key(right)
}

#[cfg(test)]
mod tests;
