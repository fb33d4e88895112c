//! Organisation code (组织机构代码, GB 11714-1997): 8 body characters and a
//! check character, usually written `XXXXXXXX-X` (spec §2.2).
//!
//! Stand-alone organisation codes were retired by the unified social credit
//! code, but they live on as characters 9-17 of every USCC and on old
//! certificates, so both the check and the parser are kept.

use std::fmt;

use super::{
    Checked, Findings, MAX_INPUT_BYTES, code, empty_rejection, fold_code_input, show_char,
    too_long_rejection,
};

/// Alphabet of the body characters; a character's value is its index.
const ORG_CHARSET: &str = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Weights for the 8 body characters (GB 11714-1997).
const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// A valid 9-character organisation code, stored without the hyphen.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OrgCode(String);

impl OrgCode {
    /// Parses `XXXXXXXX-X` or `XXXXXXXXX`, tolerating spaces, lowercase and
    /// full-width characters.
    pub fn parse(input: &str) -> Checked<OrgCode> {
        if input.len() > MAX_INPUT_BYTES {
            return Err(too_long_rejection());
        }
        let folded = fold_code_input(input).to_ascii_uppercase();
        if folded.is_empty() {
            return Err(empty_rejection());
        }
        let mut findings = Findings::new();
        let chars: Vec<char> = folded.chars().collect();
        // The hyphen is only meaningful before the check character; anywhere
        // else it signals a mistyped or different identifier.
        let compact: Vec<char> = match chars.len() {
            10 if chars[8] == '-' => chars[..8].iter().chain(&chars[9..]).copied().collect(),
            _ => chars,
        };
        let normalized: String = compact.iter().collect();
        if compact.len() != 9 {
            findings.error(
                code::INVALID_LENGTH,
                format!(
                    "organisation code must have 9 characters, got {}",
                    compact.len()
                ),
                format!("组织机构代码应为 9 位，实际为 {} 位", compact.len()),
            );
            return Err(findings.reject(Some(normalized)));
        }
        let (body, check) = compact.split_at(8);
        if let Some(&bad) = body.iter().find(|c| !ORG_CHARSET.contains(**c)) {
            findings.error(
                code::INVALID_CHARSET,
                format!(
                    "organisation code may only contain digits and letters, found {}",
                    show_char(bad)
                ),
                format!(
                    "组织机构代码只能包含数字和大写字母，发现 {}",
                    show_char(bad)
                ),
            );
        }
        let actual = check.first().copied().unwrap_or('?');
        if !(actual.is_ascii_digit() || actual == 'X') {
            findings.error(
                code::INVALID_CHARSET,
                format!(
                    "organisation code check character must be a digit or X, found {}",
                    show_char(actual)
                ),
                format!("组织机构代码校验码应为数字或 X，发现 {}", show_char(actual)),
            );
        }
        if findings.has_errors() {
            return Err(findings.reject(Some(normalized)));
        }
        let body: String = body.iter().collect();
        if let Some(expected) = check_char(&body)
            && expected != actual
        {
            findings.error(
                code::CHECKSUM_MISMATCH,
                format!("organisation code check character should be {expected}, got {actual}"),
                format!("组织机构代码校验码应为 {expected}，实际为 {actual}"),
            );
            let mut rejection = findings.reject(Some(normalized));
            rejection.manual_review_possible = true;
            return Err(rejection);
        }
        findings.finish(normalized.clone(), OrgCode(normalized))
    }

    /// The 9 characters without hyphen, e.g. `600037341`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The conventional written form with hyphen, e.g. `60003734-1`.
    pub fn hyphenated(&self) -> String {
        let (body, check) = self.0.split_at(8.min(self.0.len()));
        format!("{body}-{check}")
    }
}

impl fmt::Display for OrgCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.hyphenated())
    }
}

/// Computes the check character for an 8-character body, or `None` if the
/// body has the wrong length or characters outside `0-9A-Z`.
pub fn check_char(body: &str) -> Option<char> {
    if body.chars().count() != 8 {
        return None;
    }
    let mut sum = 0u32;
    for (c, weight) in body.chars().zip(WEIGHTS) {
        let value = u32::try_from(ORG_CHARSET.find(c)?).ok()?;
        sum += value * weight;
    }
    // 11 - (S mod 11), where 10 is written X and 11 wraps to 0.
    match 11 - sum % 11 {
        10 => Some('X'),
        11 => Some('0'),
        digit => char::from_digit(digit, 10),
    }
}

#[cfg(test)]
mod tests;
