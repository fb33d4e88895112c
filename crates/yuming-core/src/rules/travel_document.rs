//! Identity documents of people who are not mainland residents: passports, the
//! Hong Kong/Macau and Taiwan travel permits and the foreign permanent
//! resident ID card (spec §2.3).
//!
//! None of these has a public check digit except the 2023 foreign permanent
//! resident ID, so the checks are about shape only: they catch typos and
//! wrong document types, not forgeries. A reviewer still looks at the
//! document (RN-1). The spec rates the sources as low authority, so legacy
//! shapes are accepted with a [`code::LEGACY_FORMAT`] warning rather than
//! refused.
//!
//! Document numbers are personal data: [`TravelDocument`]'s `Debug` output is
//! masked and messages never repeat the number.

use std::fmt;

use super::{
    Checked, Findings, MAX_INPUT_BYTES, code, empty_rejection, fold_code_input, mask_middle,
    resident_id, show_char, too_long_rejection,
};

/// Which document a number belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TravelDocumentKind {
    /// 护照: any country's passport.
    Passport,
    /// 港澳居民来往内地通行证 (回乡证).
    HkMacauPermit,
    /// 台湾居民来往大陆通行证 (台胞证).
    TaiwanPermit,
    /// 外国人永久居留身份证.
    ForeignPermanentResident,
}

impl TravelDocumentKind {
    /// The document's Chinese name, for messages.
    pub fn name_zh(self) -> &'static str {
        match self {
            TravelDocumentKind::Passport => "护照",
            TravelDocumentKind::HkMacauPermit => "港澳居民来往内地通行证",
            TravelDocumentKind::TaiwanPermit => "台湾居民来往大陆通行证",
            TravelDocumentKind::ForeignPermanentResident => "外国人永久居留身份证",
        }
    }

    /// The document's English name, for messages.
    pub fn name_en(self) -> &'static str {
        match self {
            TravelDocumentKind::Passport => "passport",
            TravelDocumentKind::HkMacauPermit => "Hong Kong/Macau travel permit",
            TravelDocumentKind::TaiwanPermit => "Taiwan travel permit",
            TravelDocumentKind::ForeignPermanentResident => "foreign permanent resident ID",
        }
    }
}

/// A document number of the right shape for its kind: uppercase ASCII
/// letters and digits, no separators.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct TravelDocument {
    kind: TravelDocumentKind,
    number: String,
    legacy: bool,
}

impl TravelDocument {
    /// Checks `input` as a number of `kind`, tolerating spaces, lowercase and
    /// full-width characters.
    pub fn parse(kind: TravelDocumentKind, input: &str) -> Checked<TravelDocument> {
        if input.len() > MAX_INPUT_BYTES {
            return Err(too_long_rejection());
        }
        let normalized = fold_code_input(input).to_ascii_uppercase();
        if normalized.is_empty() {
            return Err(empty_rejection());
        }
        let mut findings = Findings::new();
        let mut bad: Vec<char> = normalized
            .chars()
            .filter(|c| !(c.is_ascii_uppercase() || c.is_ascii_digit()))
            .collect();
        if !bad.is_empty() {
            bad.dedup();
            let shown: Vec<String> = bad.into_iter().map(show_char).collect();
            findings.error(
                code::INVALID_CHARSET,
                format!(
                    "a {} number may only contain letters and digits, found {}",
                    kind.name_en(),
                    shown.join(", ")
                ),
                format!(
                    "{}号码只能包含字母和数字，发现 {}",
                    kind.name_zh(),
                    shown.join("、")
                ),
            );
            return Err(findings.reject(Some(normalized)));
        }
        // From here on the number is ASCII, so byte positions are characters.
        let shape = match kind {
            TravelDocumentKind::Passport => passport_shape(&normalized),
            TravelDocumentKind::HkMacauPermit => hk_macau_shape(&normalized),
            TravelDocumentKind::TaiwanPermit => taiwan_shape(&normalized),
            TravelDocumentKind::ForeignPermanentResident => {
                foreign_resident_shape(&normalized, &mut findings)
            }
        };
        let legacy = match shape {
            Shape::Current => false,
            Shape::Legacy => {
                findings.warn(
                    code::LEGACY_FORMAT,
                    format!(
                        "legacy {} number format: check that the document is still valid",
                        kind.name_en()
                    ),
                    format!("旧版{}号码格式：请核实证件仍在有效期内", kind.name_zh()),
                );
                true
            }
            Shape::WrongLength(expected_en, expected_zh) => {
                findings.error(
                    code::INVALID_LENGTH,
                    format!(
                        "a {} number must have {expected_en}, got {}",
                        kind.name_en(),
                        normalized.len()
                    ),
                    format!(
                        "{}号码应为 {expected_zh}，实际为 {} 位",
                        kind.name_zh(),
                        normalized.len()
                    ),
                );
                false
            }
            Shape::WrongFormat(expected_en, expected_zh) => {
                findings.error(
                    code::INVALID_FORMAT,
                    format!("a {} number must be {expected_en}", kind.name_en()),
                    format!("{}号码应为 {expected_zh}", kind.name_zh()),
                );
                false
            }
        };
        findings.finish(
            normalized.clone(),
            TravelDocument {
                kind,
                number: normalized,
                legacy,
            },
        )
    }

    /// Which document this is.
    pub fn kind(&self) -> TravelDocumentKind {
        self.kind
    }

    /// The normalised number.
    pub fn as_str(&self) -> &str {
        &self.number
    }

    /// Whether the number has a legacy shape (a warning was given).
    pub fn is_legacy_format(&self) -> bool {
        self.legacy
    }

    /// The number with all but the first 2 and last 2 characters hidden,
    /// e.g. `E1*****78`, for display and logs.
    pub fn mask(&self) -> String {
        mask_middle(&self.number, 2, 2)
    }
}

impl fmt::Debug for TravelDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TravelDocument")
            .field("kind", &self.kind)
            .field("number", &self.mask())
            .finish()
    }
}

impl fmt::Display for TravelDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.number)
    }
}

/// How a normalised, alphanumeric number compares with its kind's shapes.
enum Shape {
    /// A current document.
    Current,
    /// A legacy document, accepted with a warning.
    Legacy,
    /// No shape has this length: the accepted lengths in English, Chinese.
    WrongLength(&'static str, &'static str),
    /// The length fits but the arrangement does not: English, Chinese.
    WrongFormat(&'static str, &'static str),
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

/// `^[A-Z0-9]{5,17}$`: the generic passport shape (spec §2.3).
fn passport_shape(number: &str) -> Shape {
    if (5..=17).contains(&number.len()) {
        Shape::Current
    } else {
        Shape::WrongLength("5 to 17 characters", "5 至 17 位")
    }
}

/// Current `^[HM]\d{8}(\d{2})?$` (card with optional 2-digit issue count);
/// legacy `^[HM][A-Z]?\d{6,7}$`.
fn hk_macau_shape(number: &str) -> Shape {
    let bytes = number.as_bytes();
    let wrong_format = Shape::WrongFormat(
        "H (Hong Kong) or M (Macau) followed by 8 or 10 digits",
        "H（香港）或 M（澳门）加 8 位或 10 位数字",
    );
    if !matches!(bytes.first(), Some(b'H' | b'M')) {
        return wrong_format;
    }
    let rest = &number[1..];
    match rest.len() {
        8 | 10 if all_digits(rest) => Shape::Current,
        6 | 7 if all_digits(rest) => Shape::Legacy,
        7 | 8 if rest.as_bytes()[0].is_ascii_uppercase() && all_digits(&rest[1..]) => Shape::Legacy,
        6..=8 | 10 => wrong_format,
        _ => Shape::WrongLength(
            "9 or 11 characters (legacy: 7 to 9)",
            "9 位或 11 位（旧版 7 至 9 位）",
        ),
    }
}

/// Current card since 2015 `^\d{8}$`; legacy `^[0-9A-Z]{10}$`.
fn taiwan_shape(number: &str) -> Shape {
    match number.len() {
        8 if all_digits(number) => Shape::Current,
        8 => Shape::WrongFormat("8 digits", "8 位数字"),
        10 => Shape::Legacy,
        _ => Shape::WrongLength("8 characters (legacy: 10)", "8 位（旧版 10 位）"),
    }
}

/// Current (2023) 18 characters starting with 9, with the GB 11643 check
/// character; legacy 15 characters, 3 letters (nationality) and 12 digits.
fn foreign_resident_shape(number: &str, findings: &mut Findings) -> Shape {
    match number.len() {
        18 => {
            let bytes = number.as_bytes();
            let shaped = bytes[0] == b'9'
                && all_digits(&number[..17])
                && (bytes[17].is_ascii_digit() || bytes[17] == b'X');
            if !shaped {
                return Shape::WrongFormat(
                    "9 followed by 16 digits and a check digit or X",
                    "9 开头的 17 位数字加 1 位校验码（数字或 X）",
                );
            }
            if let Some(expected) = resident_id::check_char(&number[..17]) {
                let actual = char::from(bytes[17]);
                if expected != actual {
                    findings.error(
                        code::CHECKSUM_MISMATCH,
                        format!("check character should be {expected}, got {actual}"),
                        format!("校验码应为 {expected}，实际为 {actual}"),
                    );
                }
            }
            Shape::Current
        }
        15 => {
            let bytes = number.as_bytes();
            if bytes[..3].iter().all(u8::is_ascii_uppercase) && all_digits(&number[3..]) {
                Shape::Legacy
            } else {
                Shape::WrongFormat(
                    "3 letters followed by 12 digits (the 15-character version)",
                    "3 位字母加 12 位数字（15 位旧版）",
                )
            }
        }
        _ => Shape::WrongLength("18 characters (legacy: 15)", "18 位（旧版 15 位）"),
    }
}

#[cfg(test)]
mod tests;
