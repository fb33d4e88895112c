//! Resident identity card number (居民身份证号码, GB 11643-1999), spec §2.1.
//!
//! Layout `AAAAAA YYYYMMDD SSS C`: address code, birth date, sequence (odd
//! for men, even for women) and an ISO 7064 MOD 11-2 check character. The
//! same layout with address `810000`/`820000`/`830000` is used by residence
//! permits for Hong Kong, Macau and Taiwan residents.
//!
//! The number is personal data: [`ResidentId`]'s `Debug` output is masked so
//! it cannot leak into logs by accident, and messages never repeat it.

use std::fmt;

use time::{Date, Month};

use super::{
    Checked, Findings, MAX_INPUT_BYTES, Rejection, code, empty_rejection, fold_code_input,
    mask_middle,
    province::{self, Province},
    too_long_rejection,
};

/// Weights 2^(17-i) mod 11 for the first 17 digits.
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// Check characters indexed by the weighted sum mod 11.
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Birth years before this are refused as implausible (spec §2.1).
const MIN_BIRTH_YEAR: i32 = 1900;

/// Sex as encoded by the parity of the sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    /// Odd sequence number.
    Male,
    /// Even sequence number.
    Female,
}

/// Which document family the number belongs to, from its address code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResidentIdKind {
    /// A mainland resident identity card.
    Mainland,
    /// 港澳台居民居住证 for a Hong Kong resident (`810000`).
    HongKongPermit,
    /// 港澳台居民居住证 for a Macau resident (`820000`).
    MacauPermit,
    /// 港澳台居民居住证 for a Taiwan resident (`830000`).
    TaiwanPermit,
}

/// A valid 18-character resident ID number, uppercase `X`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResidentId {
    number: String,
    birth_date: Date,
}

impl ResidentId {
    /// Parses an 18-character number, or a legacy 15-digit one which is
    /// upgraded to 18 characters with a [`code::LEGACY_ID_UPGRADED`] warning.
    ///
    /// `today` bounds the birth date; nothing here reads the clock.
    pub fn parse(input: &str, today: Date) -> Checked<ResidentId> {
        if input.len() > MAX_INPUT_BYTES {
            return Err(too_long_rejection());
        }
        let normalized = fold_code_input(input).replace('x', "X");
        if normalized.is_empty() {
            return Err(empty_rejection());
        }
        let mut findings = Findings::new();
        match normalized.chars().count() {
            18 => {}
            15 => {
                let upgraded = upgrade_legacy(&normalized)?;
                findings.warn(
                    code::LEGACY_ID_UPGRADED,
                    "legacy 15-digit id number was upgraded to 18 characters".to_owned(),
                    "15 位旧身份证号码已升级为 18 位".to_owned(),
                );
                return validate18(upgraded, today, findings);
            }
            count => {
                findings.error(
                    code::INVALID_LENGTH,
                    format!("resident id number must have 18 characters, got {count}"),
                    format!("身份证号码应为 18 位，实际为 {count} 位"),
                );
                return Err(findings.reject(Some(normalized)));
            }
        }
        validate18(normalized, today, findings)
    }

    /// The 18 characters.
    pub fn as_str(&self) -> &str {
        &self.number
    }

    /// The birth date encoded in characters 7-14.
    pub fn birth_date(&self) -> Date {
        self.birth_date
    }

    /// Age in completed years on `date` (negative only if `date` precedes
    /// the birth date). Used for minimum-age rules (R-PER-1).
    pub fn age_on(&self, date: Date) -> i32 {
        let born = self.birth_date;
        let had_birthday = (date.month() as u8, date.day()) >= (born.month() as u8, born.day());
        date.year() - born.year() - if had_birthday { 0 } else { 1 }
    }

    /// Sex from the parity of the sequence number (character 17).
    pub fn sex(&self) -> Sex {
        let digit = self
            .number
            .as_bytes()
            .get(16)
            .map_or(0, |b| b.wrapping_sub(b'0'));
        if digit % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// The first two digits: a GB/T 2260 province code, or 81/82/83.
    pub fn province_code(&self) -> u8 {
        self.number
            .get(..2)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0)
    }

    /// The mainland province of the address code, if any.
    pub fn province(&self) -> Option<&'static Province> {
        province::by_code(self.province_code())
    }

    /// The 6-digit address code (county at time of issue).
    pub fn region_code(&self) -> &str {
        self.number.get(..6).unwrap_or("")
    }

    /// Whether this is a mainland ID or a HK/Macau/Taiwan residence permit.
    pub fn kind(&self) -> ResidentIdKind {
        match self.province_code() {
            81 => ResidentIdKind::HongKongPermit,
            82 => ResidentIdKind::MacauPermit,
            83 => ResidentIdKind::TaiwanPermit,
            _ => ResidentIdKind::Mainland,
        }
    }

    /// The number with all but the first 4 and last 4 characters hidden,
    /// e.g. `1101**********002X`, for display and logs.
    pub fn mask(&self) -> String {
        mask(&self.number)
    }
}

impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ResidentId").field(&self.mask()).finish()
    }
}

impl fmt::Display for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.number)
    }
}

/// Validates an 18-character candidate; `findings` may already hold warnings.
fn validate18(number: String, today: Date, mut findings: Findings) -> Checked<ResidentId> {
    let bytes = number.as_bytes();
    // Length is 18 characters; all-ASCII makes it 18 bytes and byte slicing safe.
    // A wrong letter in the check position (`…794Y`) is reported as a
    // checksum mismatch below, like a wrong digit; anything else is a format
    // error.
    let well_formed = bytes.len() == 18
        && bytes[..17].iter().all(u8::is_ascii_digit)
        && bytes[17].is_ascii_alphanumeric();
    if !well_formed {
        findings.error(
            code::INVALID_FORMAT,
            "resident id number must be 17 digits followed by a digit or X".to_owned(),
            "身份证号码应为 17 位数字加 1 位数字或 X".to_owned(),
        );
        return Err(findings.reject(Some(number)));
    }

    check_region(&number[..6], &mut findings);
    let birth_date = check_birth_date(&number[6..14], today, &mut findings);
    if let Some(expected) = check_char(&number[..17]) {
        let actual = char::from(bytes[17]);
        if expected != actual {
            findings.error(
                code::CHECKSUM_MISMATCH,
                format!("check character should be {expected}, got {actual}"),
                format!("校验码应为 {expected}，实际为 {actual}"),
            );
        }
    }
    match birth_date {
        Some(birth_date) => findings.finish(number.clone(), ResidentId { number, birth_date }),
        None => Err(findings.reject(Some(number))),
    }
}

fn check_region(address: &str, findings: &mut Findings) {
    let province_code: u8 = address.get(..2).and_then(|s| s.parse().ok()).unwrap_or(0);
    let prefecture: u8 = address.get(2..4).and_then(|s| s.parse().ok()).unwrap_or(99);
    let valid = match province_code {
        // Residence permits use the whole-region code, nothing finer.
        81..=83 => address.get(2..) == Some("0000"),
        // Municipalities only have 市辖区 (01), 县 (02) and, historically for
        // Chongqing, 市 (03) under them. 00 is tolerated everywhere because
        // some early county-level codes hung directly off the province.
        11 | 12 | 31 | 50 => prefecture <= 3,
        // GB/T 2260 assigns prefecture digits 01-70 and 90 (county-level
        // units directly under the province); 71-89 and 91-99 never occur.
        // This catches typos without the full historical county table.
        code => province::by_code(code).is_some() && (prefecture <= 70 || prefecture == 90),
    };
    if !valid {
        findings.error(
            code::INVALID_REGION,
            format!("address code {address} is not a mainland region code or 810000/820000/830000"),
            format!("地址码 {address} 不是有效的内地行政区划码，也不是 810000/820000/830000"),
        );
    }
}

fn check_birth_date(digits: &str, today: Date, findings: &mut Findings) -> Option<Date> {
    let year: i32 = digits.get(..4)?.parse().ok()?;
    let month: u8 = digits.get(4..6)?.parse().ok()?;
    let day: u8 = digits.get(6..8)?.parse().ok()?;
    let date = Month::try_from(month)
        .ok()
        .and_then(|month| Date::from_calendar_date(year, month, day).ok());
    let Some(date) = date else {
        findings.error(
            code::INVALID_DATE,
            format!("birth date {year:04}-{month:02}-{day:02} is not a calendar date"),
            format!("出生日期 {year:04}-{month:02}-{day:02} 不是有效日期"),
        );
        return None;
    };
    if year < MIN_BIRTH_YEAR {
        findings.error(
            code::INVALID_DATE,
            format!("birth year {year} is before {MIN_BIRTH_YEAR}"),
            format!("出生年份 {year} 早于 {MIN_BIRTH_YEAR} 年"),
        );
        return None;
    }
    if date > today {
        findings.error(
            code::INVALID_DATE,
            format!("birth date {date} is in the future"),
            format!("出生日期 {date} 晚于今天"),
        );
        return None;
    }
    Some(date)
}

/// Computes the check character for the first 17 digits, or `None` if the
/// input is not exactly 17 ASCII digits.
pub fn check_char(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes
        .iter()
        .zip(WEIGHTS)
        .map(|(b, weight)| u32::from(b - b'0') * weight)
        .sum();
    CHECK_CHARS.get(usize::try_from(sum % 11).ok()?).copied()
}

/// Upgrades a legacy 15-digit number (`AAAAAA YYMMDD SSS`, no check
/// character) to 18 characters by inserting `19` before the year and
/// appending the check character: `610104620927690` → `610104196209276908`.
///
/// Only the shape is checked here; parse the result with
/// [`ResidentId::parse`] to validate date and region.
pub fn upgrade_legacy(input: &str) -> Result<String, Rejection> {
    let digits = fold_code_input(input);
    if digits.is_empty() {
        return Err(empty_rejection());
    }
    let mut findings = Findings::new();
    if digits.len() != 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        findings.error(
            code::INVALID_FORMAT,
            "legacy resident id number must be exactly 15 digits".to_owned(),
            "旧身份证号码应为 15 位数字".to_owned(),
        );
        return Err(findings.reject(None));
    }
    // All ASCII digits, so these byte ranges are character boundaries.
    let first17 = format!("{}19{}", &digits[..6], &digits[6..]);
    match check_char(&first17) {
        Some(check) => Ok(format!("{first17}{check}")),
        None => {
            findings.error(
                code::INVALID_FORMAT,
                "legacy resident id number must be exactly 15 digits".to_owned(),
                "旧身份证号码应为 15 位数字".to_owned(),
            );
            Err(findings.reject(None))
        }
    }
}

/// Masks any identifier for display: first 4 and last 4 characters visible,
/// the rest replaced by `*`; inputs of 8 characters or fewer are fully masked.
pub fn mask(number: &str) -> String {
    mask_middle(number, 4, 4)
}

#[cfg(test)]
mod tests;
