//! Validation rules for the identifiers people type into registrar and ICP
//! filing forms: resident ID numbers, unified social credit codes,
//! organisation codes, passports and travel permits, ICP and public-security
//! filing numbers, domain names, website names, EPP status sets and the domain
//! naming review.
//!
//! Every rule is a pure function of its input. Where the answer depends on the
//! date, `today` is a parameter: nothing here reads the clock. The rule book is
//! `shared/spec/domain-rules.md`; section numbers in comments refer to it.
//!
//! All validators share one result shape, [`Checked`]: on success a
//! normalised newtype plus warnings, on failure a [`Rejection`] listing every
//! [`Problem`] found (not just the first), so a form can show them all at once.
//! Problem codes are stable strings collected in [`code`]; the HTTP layer
//! serialises them as they are.

pub mod domain_name;
pub mod epp_status;
pub mod icp_number;
pub mod lookalike;
pub mod naming_review;
pub mod org_code;
pub mod province;
pub mod resident_id;
pub mod site_name;
pub mod travel_document;
pub mod uscc;

#[cfg(test)]
mod test_support;
#[cfg(test)]
mod tests;

use std::fmt;

use icu_properties::CodePointMapData;
use icu_properties::props::Script;
use unicode_normalization::UnicodeNormalization;

/// One finding about an input: a stable code plus English and Chinese text.
///
/// Used both for blocking problems and for warnings. Messages are meant for
/// end users, so they name the offending part of the input but never echo the
/// whole input back (it may be a personal ID number).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Problem {
    /// Stable UPPER_SNAKE identifier, one of the constants in [`code`].
    pub code: &'static str,
    /// English message: lowercase, no trailing period.
    pub message: String,
    /// Simplified Chinese (zh-CN) message.
    pub message_zh: String,
}

impl Problem {
    /// Builds a problem from a code and its two messages.
    pub fn new(
        code: &'static str,
        message: impl Into<String>,
        message_zh: impl Into<String>,
    ) -> Self {
        Problem {
            code,
            message: message.into(),
            message_zh: message_zh.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// A value that passed validation, with any findings that did not block it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Valid<T> {
    /// The parsed, normalised value.
    pub value: T,
    /// Non-blocking findings, e.g. "legacy 15-digit ID was upgraded".
    pub warnings: Vec<Problem>,
}

impl<T> Valid<T> {
    /// Drops the warnings and returns the value.
    pub fn into_value(self) -> T {
        self.value
    }
}

/// Why an input was refused.
///
/// Maps to HTTP 422 (and EPP 2005 "parameter value syntax error" where an EPP
/// command carried the value). `problems` is never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", summary(.problems))]
pub struct Rejection {
    /// Every blocking problem found, in input order where that makes sense.
    pub problems: Vec<Problem>,
    /// Non-blocking findings gathered before the input was refused.
    pub warnings: Vec<Problem>,
    /// The input after normalisation (trimmed, case-folded, separators
    /// removed), when it got that far; handy for a manual-review queue.
    pub normalized: Option<String>,
    /// True when the input is structurally sound and only a check character
    /// disagrees. Some real registrations carry such codes (spec §2.2), so
    /// callers route these to a human instead of refusing outright.
    pub manual_review_possible: bool,
}

impl Rejection {
    /// A rejection with a single problem and nothing else.
    pub fn single(problem: Problem) -> Self {
        Rejection {
            problems: vec![problem],
            warnings: Vec::new(),
            normalized: None,
            manual_review_possible: false,
        }
    }

    /// Whether any blocking problem carries `code`.
    pub fn has(&self, code: &str) -> bool {
        self.problems.iter().any(|problem| problem.code == code)
    }

    /// The codes of all blocking problems, in order.
    pub fn codes(&self) -> Vec<&'static str> {
        self.problems.iter().map(|problem| problem.code).collect()
    }
}

fn summary(problems: &[Problem]) -> String {
    let messages: Vec<&str> = problems
        .iter()
        .map(|problem| problem.message.as_str())
        .collect();
    if messages.is_empty() {
        "invalid input".to_owned()
    } else {
        messages.join("; ")
    }
}

/// The result of every validator in this module.
pub type Checked<T> = Result<Valid<T>, Rejection>;

/// Stable problem codes. Clients switch on these, so never rename one.
pub mod code {
    /// The input was empty or only whitespace.
    pub const EMPTY: &str = "EMPTY";
    /// Too short or too long (characters, digits, octets, labels).
    pub const INVALID_LENGTH: &str = "INVALID_LENGTH";
    /// Contains characters outside the allowed alphabet.
    pub const INVALID_CHARSET: &str = "INVALID_CHARSET";
    /// Right characters, wrong arrangement.
    pub const INVALID_FORMAT: &str = "INVALID_FORMAT";
    /// The check character does not match the computed one.
    pub const CHECKSUM_MISMATCH: &str = "CHECKSUM_MISMATCH";
    /// The organisation code inside a USCC has a wrong check character.
    pub const ORG_CODE_CHECKSUM_MISMATCH: &str = "ORG_CODE_CHECKSUM_MISMATCH";
    /// An embedded date is not a real date or is out of range.
    pub const INVALID_DATE: &str = "INVALID_DATE";
    /// An embedded year is implausible (before 2000 or after today).
    pub const INVALID_YEAR: &str = "INVALID_YEAR";
    /// An embedded GB/T 2260 region code is not a known province.
    pub const INVALID_REGION: &str = "INVALID_REGION";
    /// A USCC registration-authority character is not in GB 32100.
    pub const INVALID_AUTHORITY: &str = "INVALID_AUTHORITY";
    /// A USCC organisation-category character is not allowed for its authority.
    pub const INVALID_CATEGORY: &str = "INVALID_CATEGORY";
    /// A filing-number province prefix is wrong for that kind of number.
    pub const INVALID_PREFIX: &str = "INVALID_PREFIX";
    /// An ICP site serial (`-N`) is zero or malformed.
    pub const INVALID_SITE_NUMBER: &str = "INVALID_SITE_NUMBER";
    /// A well-formed number of another kind (licence, PSB) where a filing
    /// number was expected.
    pub const WRONG_NUMBER_TYPE: &str = "WRONG_NUMBER_TYPE";
    /// A domain name has an empty label (`a..b`, leading dot).
    pub const EMPTY_LABEL: &str = "EMPTY_LABEL";
    /// A domain name has a single label, so no TLD.
    pub const MISSING_TLD: &str = "MISSING_TLD";
    /// The TLD is not acceptable (e.g. all digits).
    pub const INVALID_TLD: &str = "INVALID_TLD";
    /// A label starts or ends with a hyphen.
    pub const INVALID_HYPHEN: &str = "INVALID_HYPHEN";
    /// A label has `--` in positions 3-4 without being an A-label (L-2).
    pub const RESERVED_HYPHENS: &str = "RESERVED_HYPHENS";
    /// A label has `--` anywhere, under a TLD that forbids it (L-3).
    pub const CONSECUTIVE_HYPHENS: &str = "CONSECUTIVE_HYPHENS";
    /// A label fails IDNA 2008 / UTS 46 processing or is a bad A-label.
    pub const INVALID_IDN: &str = "INVALID_IDN";
    /// A non-ASCII label has no Chinese character under a Chinese IDN policy (L-4).
    pub const MISSING_CJK: &str = "MISSING_CJK";
    /// A label mixes scripts: Chinese with other non-ASCII scripts under a Chinese IDN
    /// policy, or (look-alike check) beyond UTS #39's Highly Restrictive level.
    pub const MIXED_SCRIPT: &str = "MIXED_SCRIPT";
    /// A non-ASCII label has the UTS #39 skeleton of an ASCII label (reads as that name).
    pub const CONFUSABLE_WITH_ASCII: &str = "CONFUSABLE_WITH_ASCII";
    /// A website name is only digits (R-NAME 2).
    pub const DIGITS_ONLY: &str = "DIGITS_ONLY";
    /// A website name is only ASCII letters (R-NAME 2).
    pub const LETTERS_ONLY: &str = "LETTERS_ONLY";
    /// A website name contains a caller-supplied sensitive word (R-NAME 2).
    pub const SENSITIVE_WORD: &str = "SENSITIVE_WORD";
    /// A website name starts with a prefix reserved for national units (R-NAME 3).
    pub const FORBIDDEN_PREFIX: &str = "FORBIDDEN_PREFIX";
    /// An EPP status set is empty.
    pub const EMPTY_STATUS_SET: &str = "EMPTY_STATUS_SET";
    /// An EPP status string is not one of the 17 RFC 5731 values.
    pub const UNKNOWN_STATUS: &str = "UNKNOWN_STATUS";
    /// `ok` combined with another status.
    pub const OK_NOT_ALONE: &str = "OK_NOT_ALONE";
    /// A `pendingX` status combined with a matching `*XProhibited` status.
    pub const PENDING_CONFLICTS_PROHIBITION: &str = "PENDING_CONFLICTS_PROHIBITION";
    /// More than one `pending*` status.
    pub const MULTIPLE_PENDING: &str = "MULTIPLE_PENDING";
    /// A naming-review term that sends a name to manual review.
    pub const RESERVED_TERM: &str = "RESERVED_TERM";
    /// A naming-review term that rejects a name.
    pub const PROHIBITED_TERM: &str = "PROHIBITED_TERM";

    // Warnings only.

    /// Warning: a legacy 15-digit resident ID was upgraded to 18 digits.
    pub const LEGACY_ID_UPGRADED: &str = "LEGACY_ID_UPGRADED";
    /// Warning: a travel document number has a legacy shape; the document may have expired.
    pub const LEGACY_FORMAT: &str = "LEGACY_FORMAT";
    /// Warning: a USCC region code is not a known province code.
    pub const UNKNOWN_REGION: &str = "UNKNOWN_REGION";
    /// Warning: a colloquial province prefix (川ICP备) was corrected (蜀ICP备).
    pub const NONSTANDARD_PREFIX: &str = "NONSTANDARD_PREFIX";
    /// Warning: a malformed legacy layout (`…-5号`) was normalised.
    pub const NONSTANDARD_FORMAT: &str = "NONSTANDARD_FORMAT";
    /// Warning: a PSB number's region digits belong to another province than its prefix.
    pub const REGION_PREFIX_MISMATCH: &str = "REGION_PREFIX_MISMATCH";
    /// Warning: the same EPP status was listed twice.
    pub const DUPLICATE_STATUS: &str = "DUPLICATE_STATUS";
    /// Warning: a website name longer than recommended for personal sites.
    pub const LENGTH_NOT_RECOMMENDED: &str = "LENGTH_NOT_RECOMMENDED";
    /// Warning: a unit's website name shares nothing with the unit name (R-NAME 4).
    pub const NAME_UNRELATED_TO_UNIT: &str = "NAME_UNRELATED_TO_UNIT";
    /// Warning: a personal website name sounds commercial or official (R-NAME 5).
    pub const PERSONAL_NAME_LOOKS_COMMERCIAL: &str = "PERSONAL_NAME_LOOKS_COMMERCIAL";
}

/// Inputs longer than this many bytes are refused before any Unicode
/// processing. No identifier handled here comes close (a domain name is at
/// most 253 octets in ASCII form), and the bound keeps hostile inputs cheap.
pub(crate) const MAX_INPUT_BYTES: usize = 1024;

/// Collects problems and warnings while a validator walks its input.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
}

impl Findings {
    pub(crate) fn new() -> Self {
        Findings::default()
    }

    pub(crate) fn error(&mut self, code: &'static str, message: String, message_zh: String) {
        self.problems.push(Problem::new(code, message, message_zh));
    }

    pub(crate) fn warn(&mut self, code: &'static str, message: String, message_zh: String) {
        self.warnings.push(Problem::new(code, message, message_zh));
    }

    pub(crate) fn has_errors(&self) -> bool {
        !self.problems.is_empty()
    }

    pub(crate) fn error_count(&self) -> usize {
        self.problems.len()
    }

    /// Refuses the input with everything collected so far.
    pub(crate) fn reject(self, normalized: Option<String>) -> Rejection {
        let mut problems = self.problems;
        if problems.is_empty() {
            // Callers only reject after recording a problem; this keeps the
            // "never empty" promise even if one forgets.
            problems.push(Problem::new(
                code::INVALID_FORMAT,
                "invalid input",
                "输入无效",
            ));
        }
        Rejection {
            problems,
            warnings: self.warnings,
            normalized,
            manual_review_possible: false,
        }
    }

    /// Accepts `value` if no problem was recorded, otherwise rejects.
    pub(crate) fn finish<T>(self, normalized: String, value: T) -> Checked<T> {
        if self.has_errors() {
            Err(self.reject(Some(normalized)))
        } else {
            Ok(Valid {
                value,
                warnings: self.warnings,
            })
        }
    }
}

/// Shorthand for a rejection of an empty input.
pub(crate) fn empty_rejection() -> Rejection {
    Rejection::single(Problem::new(code::EMPTY, "value is empty", "内容为空"))
}

/// Shorthand for a rejection of an absurdly long input.
pub(crate) fn too_long_rejection() -> Rejection {
    Rejection::single(Problem::new(
        code::INVALID_LENGTH,
        format!("value is longer than {MAX_INPUT_BYTES} bytes"),
        format!("内容超过 {MAX_INPUT_BYTES} 字节"),
    ))
}

/// Normalises a typed code (IDs, credit codes, filing numbers): NFKC so that
/// full-width digits and letters become ASCII, then drops whitespace.
pub(crate) fn fold_code_input(input: &str) -> String {
    input.nfkc().filter(|c| !c.is_whitespace()).collect()
}

/// Masks an identifier for display: the first `keep_start` and last
/// `keep_end` characters stay visible, the rest become `*`. A value too short
/// to hide anything that way is masked completely.
pub fn mask_middle(value: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= keep_start + keep_end {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - keep_start - keep_end;
    let mut masked: String = chars[..keep_start].iter().collect();
    masked.push_str(&"*".repeat(hidden));
    masked.extend(&chars[chars.len() - keep_end..]);
    masked
}

/// Whether `c` belongs to the Han script (Chinese characters, incl. 〇 and 々).
pub(crate) fn is_han(c: char) -> bool {
    CodePointMapData::<Script>::new().get(c) == Script::Han
}

/// Renders a character for a message: itself if printable, else `U+XXXX`.
pub(crate) fn show_char(c: char) -> String {
    if c.is_control() || c.is_whitespace() || c == '\u{FFFD}' {
        format!("U+{:04X}", u32::from(c))
    } else {
        format!("'{c}' (U+{:04X})", u32::from(c))
    }
}
