//! Look-alike names (UTS #39 "Unicode Security Mechanisms"): labels that mix scripts in a
//! way no language does, and labels that read as an ASCII name (`аpple` with a Cyrillic
//! `а`, or the all-Cyrillic `аррӏе`). The catalogue decides per TLD whether such a name is
//! refused or held for the naming review; this module only finds the problems.
//!
//! Mixed scripts: a label must be at most *Highly Restrictive* (UTS #39 §5.2): one script
//! plus Common/Inherited characters (digits, hyphen), or Latin combined with Han and the
//! scripts written with it (Han + Bopomofo, Han + Hiragana/Katakana, Han + Hangul). So
//! `例子`, `例子123`, `abc例子` and `café` pass, while Latin + Cyrillic (`аpple`) does not.
//! *Moderately Restrictive* is not enough: it admits Latin + Armenian, and Armenian `օ`
//! is a perfect `o`. Unlike the crate's own detection, characters outside UTS #39's
//! identifier profile are not refused here: IDNA 2008 (already checked by the parser) is
//! the character repertoire of domain names, and it includes rare Han characters that the
//! identifier profile lists as uncommon.
//!
//! Confusable with ASCII: the label's UTS #39 skeleton, case-folded (DNS is
//! case-insensitive), consists of ASCII letters, digits and hyphens only. Then an ASCII
//! name with the same skeleton looks the same as the label, whatever scripts the label uses.

use unicode_security::mixed_script::AugmentedScriptSet;

use super::domain_name::DomainName;
use super::{Problem, code};

/// Whether a label stays within UTS #39's Highly Restrictive level (see the module notes).
pub fn is_highly_restrictive(label: &str) -> bool {
    if label.is_ascii() {
        return true;
    }
    let latin = AugmentedScriptSet::for_char('a');
    let mut all = AugmentedScriptSet::default();
    let mut without_latin = AugmentedScriptSet::default();
    for c in label.chars() {
        let set = AugmentedScriptSet::for_char(c);
        all.intersect_with(set);
        let mut latin_part = set;
        latin_part.intersect_with(latin);
        if latin_part.base.is_empty() {
            without_latin.intersect_with(set);
        }
    }
    // Single script, or Latin plus one of the Han-based writing systems.
    !all.is_empty() || without_latin.hanb || without_latin.jpan || without_latin.kore
}

/// The ASCII label that looks the same as `label`, if there is one (never for an ASCII
/// label itself). Each non-ASCII character is replaced by its skeleton, case-folded; the
/// ASCII characters are kept as typed, so that the answer reads as the name it imitates
/// (the skeleton of `m` itself is `rn`).
pub fn ascii_lookalike(label: &str) -> Option<String> {
    if label.is_ascii() {
        return None;
    }
    let mut out = String::with_capacity(label.len());
    for c in label.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            out.extend(
                unicode_security::skeleton(c.encode_utf8(&mut buf)).flat_map(char::to_lowercase),
            );
        }
    }
    let ldh = !out.is_empty()
        && out
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    ldh.then_some(out)
}

/// Every look-alike problem of the name's labels left of the TLD (the TLD is the
/// catalogue's own), in label order.
pub fn check(name: &DomainName) -> Vec<Problem> {
    let labels = name.labels();
    let mut problems = Vec::new();
    for label in &labels[..labels.len().saturating_sub(1)] {
        let unicode = label.unicode();
        if unicode.is_ascii() {
            continue;
        }
        if !is_highly_restrictive(unicode) {
            problems.push(Problem::new(
                code::MIXED_SCRIPT,
                format!(
                    "label \"{unicode}\" mixes scripts that no language writes together \
                     (e.g. latin with cyrillic)"
                ),
                format!("标签“{unicode}”混用了不同文字（如拉丁字母与西里尔字母）"),
            ));
        }
        if let Some(ascii) = ascii_lookalike(unicode) {
            problems.push(Problem::new(
                code::CONFUSABLE_WITH_ASCII,
                format!("label \"{unicode}\" looks like the ascii label \"{ascii}\""),
                format!("标签“{unicode}”与 ASCII 标签“{ascii}”外形相同"),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::domain_name::DomainPolicy;

    fn codes(input: &str, policy: &DomainPolicy) -> Vec<&'static str> {
        let name = DomainName::parse(input, policy).expect("parses").value;
        check(&name).iter().map(|p| p.code).collect()
    }

    #[test]
    fn look_alikes_are_found_and_real_idns_pass() {
        const MIXED: &str = code::MIXED_SCRIPT;
        const ASCII: &str = code::CONFUSABLE_WITH_ASCII;
        let generic = DomainPolicy::GENERIC;
        let chinese = DomainPolicy::CHINESE_REGISTRY;
        for (input, policy, expected) in [
            // The review's findings: Cyrillic а in a Latin word, and all-Cyrillic "apple".
            ("\u{430}pple.com", &generic, vec![MIXED, ASCII]),
            ("p\u{430}ypal.com", &generic, vec![MIXED, ASCII]),
            (
                "\u{430}\u{440}\u{440}\u{4cf}\u{435}.com",
                &generic,
                vec![ASCII],
            ),
            // Greek omicron for o; Armenian օ (Moderately Restrictive, still refused).
            ("g\u{3bf}\u{3bf}gle.com", &generic, vec![MIXED, ASCII]),
            ("g\u{585}\u{585}gle.com", &generic, vec![MIXED, ASCII]),
            // Dotless i is Latin, single-script, but reads as "i".
            ("\u{131}bm.com", &generic, vec![ASCII]),
            // Legitimate names.
            ("example.com", &generic, vec![]),
            ("caf\u{e9}.com", &generic, vec![]),
            ("stra\u{df}e.com", &generic, vec![]),
            (
                "\u{43f}\u{440}\u{438}\u{43c}\u{435}\u{440}.com",
                &generic,
                vec![],
            ),
            ("例子.中国", &chinese, vec![]),
            ("例子123.cn", &chinese, vec![]),
            ("abc例子.cn", &chinese, vec![]),
            ("中文-域名.cn", &chinese, vec![]),
            ("日本語のドメイン.com", &generic, vec![]),
            ("한국어.com", &generic, vec![]),
            ("abc.中国", &chinese, vec![]),
            // A rare Han character (CJK extension B) is still a Chinese label.
            ("\u{20bb7}家.cn", &chinese, vec![]),
        ] {
            assert_eq!(codes(input, policy), expected, "{input}");
        }
    }

    #[test]
    fn the_lookalike_names_the_ascii_label() {
        assert_eq!(
            ascii_lookalike("\u{430}\u{440}\u{440}\u{4cf}\u{435}").as_deref(),
            Some("apple")
        );
        assert_eq!(ascii_lookalike("apple"), None);
        assert_eq!(ascii_lookalike("例子"), None);
    }
}
