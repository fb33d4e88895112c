//! Registrant contacts (域名持有者): who they are, which identity document identifies them,
//! the real-name verification states (spec §3.1) and the rules for their fields.
//!
//! Real-name verification is decided by a reviewer (RN-1): the checks here only refuse input
//! that cannot be right (a wrong check digit, a mainland name without Chinese characters) and
//! flag what a human must look at (a USCC whose only fault is its check character, §2.2).

use std::fmt;

use time::Date;

use crate::rules::resident_id::{ResidentId, ResidentIdKind};
use crate::rules::travel_document::{TravelDocument, TravelDocumentKind};
use crate::rules::uscc::{EntityTypeHint, Uscc};
use crate::rules::{Rejection, is_han, mask_middle};

/// Whether a contact is a natural person or an organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContactKind {
    /// 个人.
    Person,
    /// 单位 / 企业.
    Organization,
}

impl ContactKind {
    /// The stable lowercase name used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ContactKind::Person => "person",
            ContactKind::Organization => "organization",
        }
    }

    /// Parses the stable name.
    pub fn parse(name: &str) -> Option<ContactKind> {
        [ContactKind::Person, ContactKind::Organization]
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }
}

/// The identity document a contact is verified against (RN-9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdType {
    /// 居民身份证, also 港澳台居民居住证 (same number layout, §2.1).
    ResidentId,
    /// 护照.
    Passport,
    /// 港澳居民来往内地通行证.
    HkMacauPermit,
    /// 台湾居民来往大陆通行证.
    TaiwanPermit,
    /// 外国人永久居留身份证.
    ForeignPermanentResident,
    /// 统一社会信用代码 (organisations only).
    Uscc,
}

impl IdType {
    /// Every document type, in the order the API lists them.
    pub const ALL: [IdType; 6] = [
        IdType::ResidentId,
        IdType::Passport,
        IdType::HkMacauPermit,
        IdType::TaiwanPermit,
        IdType::ForeignPermanentResident,
        IdType::Uscc,
    ];

    /// The stable name used in storage and the API, e.g. `resident_id`.
    pub fn as_str(self) -> &'static str {
        match self {
            IdType::ResidentId => "resident_id",
            IdType::Passport => "passport",
            IdType::HkMacauPermit => "hk_macau_permit",
            IdType::TaiwanPermit => "taiwan_permit",
            IdType::ForeignPermanentResident => "foreign_permanent_resident",
            IdType::Uscc => "uscc",
        }
    }

    /// The document images a reviewer needs to compare the entered data with (RN-9, RN-10):
    /// both sides of a card or permit, the photo page of a passport, the licence or
    /// certificate of an organisation. The kinds share names and image rules with filing
    /// materials.
    pub fn document_kinds(self) -> &'static [&'static str] {
        match self {
            IdType::ResidentId
            | IdType::HkMacauPermit
            | IdType::TaiwanPermit
            | IdType::ForeignPermanentResident => &["id_front", "id_back"],
            IdType::Passport => &["id_front"],
            IdType::Uscc => &["business_licence"],
        }
    }

    /// Parses the stable name.
    pub fn parse(name: &str) -> Option<IdType> {
        IdType::ALL
            .into_iter()
            .find(|id_type| id_type.as_str() == name)
    }

    /// Whether the document identifies a natural person.
    pub fn is_personal(self) -> bool {
        self != IdType::Uscc
    }

    /// Whether a contact of `kind` may be identified by this document: a person by a personal
    /// document, an organisation by its unified social credit code.
    pub fn allowed_for(self, kind: ContactKind) -> bool {
        match kind {
            ContactKind::Person => self.is_personal(),
            ContactKind::Organization => self == IdType::Uscc,
        }
    }
}

/// Real-name verification status of a contact (RN-11: InAudit / Approved / Reject).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum VerificationStatus {
    /// Submitted, waiting for a reviewer.
    Pending,
    /// A reviewer approved the document.
    Verified,
    /// A reviewer rejected the document, with a reason.
    Rejected,
}

impl VerificationStatus {
    /// The stable lowercase name used in storage and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            VerificationStatus::Pending => "pending",
            VerificationStatus::Verified => "verified",
            VerificationStatus::Rejected => "rejected",
        }
    }

    /// Parses the stable name.
    pub fn parse(name: &str) -> Option<VerificationStatus> {
        [
            VerificationStatus::Pending,
            VerificationStatus::Verified,
            VerificationStatus::Rejected,
        ]
        .into_iter()
        .find(|status| status.as_str() == name)
    }

    /// The status after a reviewer's decision. Only a pending contact can be decided: a
    /// decision is final, and a corrected document is a new contact.
    pub fn decide(self, decision: ReviewDecision) -> Result<VerificationStatus, ContactError> {
        match (self, decision) {
            (VerificationStatus::Pending, ReviewDecision::Approve) => {
                Ok(VerificationStatus::Verified)
            }
            (VerificationStatus::Pending, ReviewDecision::Reject) => {
                Ok(VerificationStatus::Rejected)
            }
            (VerificationStatus::Verified | VerificationStatus::Rejected, _) => {
                Err(ContactError::NotPending)
            }
        }
    }
}

/// A reviewer's decision on a pending contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewDecision {
    /// The document matches: the contact becomes verified.
    Approve,
    /// The document does not match: the contact becomes rejected, with a reason.
    Reject,
}

impl ReviewDecision {
    /// The stable name used in the API.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewDecision::Approve => "approve",
            ReviewDecision::Reject => "reject",
        }
    }

    /// Parses the stable name.
    pub fn parse(name: &str) -> Option<ReviewDecision> {
        [ReviewDecision::Approve, ReviewDecision::Reject]
            .into_iter()
            .find(|decision| decision.as_str() == name)
    }
}

/// Why a contact field or a review was refused. Each variant maps to one API error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    /// `INVALID_CONTACT_KIND` (400).
    #[error("kind must be person or organization")]
    UnknownKind,
    /// `INVALID_ID_TYPE` (400).
    #[error("unknown id_type")]
    UnknownIdType,
    /// `ID_TYPE_NOT_ALLOWED` (400): an organisation with a personal document or the reverse.
    #[error("{} cannot identify a {}", .id_type.as_str(), .kind.as_str())]
    IdTypeNotAllowed {
        /// The contact's kind.
        kind: ContactKind,
        /// The document type given.
        id_type: IdType,
    },
    /// `INVALID_NAME` (400).
    #[error("name must have 1 to {NAME_MAX_CHARS} printable characters")]
    InvalidName,
    /// `NAME_NOT_CHINESE` (400): RN-10, a mainland holder's name is written in Chinese.
    #[error("the name must contain Chinese characters")]
    NameNotChinese,
    /// `INVALID_PHONE` (400).
    #[error("invalid phone number")]
    InvalidPhone,
    /// `INVALID_COUNTRY` (400).
    #[error("country must be an ISO 3166-1 alpha-2 code")]
    InvalidCountry,
    /// `INVALID_ADDRESS` (400): an address line is empty, too long or has control characters.
    #[error("address {} must have 1 to {} printable characters", .0.as_str(), .0.max_chars())]
    InvalidAddressPart(AddressPart),
    /// `INVALID_POSTAL_CODE` (400).
    #[error("invalid postal code")]
    InvalidPostalCode,
    /// `INVALID_DECISION` (400).
    #[error("decision must be approve or reject")]
    UnknownDecision,
    /// `REASON_REQUIRED` (400): a rejection tells the customer why.
    #[error("a rejection needs a reason")]
    ReasonRequired,
    /// `INVALID_REASON` (400).
    #[error("reason must have 1 to {REASON_MAX_CHARS} printable characters")]
    InvalidReason,
    /// `CONTACT_NOT_PENDING` (409): the contact was already decided.
    #[error("the contact is not pending review")]
    NotPending,
}

/// The longest accepted contact name, in characters.
pub const NAME_MAX_CHARS: usize = 100;

/// The longest accepted review reason, in characters.
pub const REASON_MAX_CHARS: usize = 500;

/// A checked identity document, ready to be sealed. `Debug` shows only the masked number.
#[derive(Clone, PartialEq, Eq)]
pub struct CheckedDocument {
    /// The document type.
    pub id_type: IdType,
    /// The normalised number (personal data: store it sealed).
    pub number: String,
    /// The number for display, e.g. `1101**********002X`.
    pub masked: String,
    /// The number broke only a check character rule that real documents are known to break
    /// (§2.2): a reviewer must look at it before it can be verified.
    pub manual_review: bool,
    /// For a USCC, the §1.4 subject type its first characters suggest (e.g. `ENTERPRISE`).
    pub entity_type_hint: Option<&'static str>,
    /// RN-10: the holder of a mainland document must be named in Chinese.
    pub name_must_be_chinese: bool,
}

impl fmt::Debug for CheckedDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckedDocument")
            .field("id_type", &self.id_type)
            .field("number", &self.masked)
            .field("manual_review", &self.manual_review)
            .field("entity_type_hint", &self.entity_type_hint)
            .finish()
    }
}

/// Runs the shared rule for `id_type` on `input`. A refusal lists the rule's problems; a
/// USCC whose structure is sound and only a check character disagrees is accepted with
/// `manual_review` set.
pub fn check_document(
    id_type: IdType,
    input: &str,
    today: Date,
) -> Result<CheckedDocument, Rejection> {
    let travel = |kind: TravelDocumentKind| {
        TravelDocument::parse(kind, input).map(|valid| CheckedDocument {
            id_type,
            number: valid.value.as_str().to_owned(),
            masked: valid.value.mask(),
            manual_review: false,
            entity_type_hint: None,
            name_must_be_chinese: false,
        })
    };
    match id_type {
        IdType::ResidentId => ResidentId::parse(input, today).map(|valid| CheckedDocument {
            id_type,
            number: valid.value.as_str().to_owned(),
            masked: valid.value.mask(),
            manual_review: false,
            entity_type_hint: None,
            // Residence permits of Hong Kong, Macau and Taiwan residents share the layout;
            // their holders' names need not be Chinese.
            name_must_be_chinese: valid.value.kind() == ResidentIdKind::Mainland,
        }),
        IdType::Passport => travel(TravelDocumentKind::Passport),
        IdType::HkMacauPermit => travel(TravelDocumentKind::HkMacauPermit),
        IdType::TaiwanPermit => travel(TravelDocumentKind::TaiwanPermit),
        IdType::ForeignPermanentResident => travel(TravelDocumentKind::ForeignPermanentResident),
        IdType::Uscc => match Uscc::parse(input) {
            Ok(valid) => Ok(uscc_document(valid.value.as_str(), false)),
            Err(rejection) => match (&rejection.normalized, rejection.manual_review_possible) {
                (Some(normalized), true) => Ok(uscc_document(normalized, true)),
                _ => Err(rejection),
            },
        },
    }
}

fn uscc_document(code: &str, manual_review: bool) -> CheckedDocument {
    CheckedDocument {
        id_type: IdType::Uscc,
        number: code.to_owned(),
        masked: mask_middle(code, 2, 2),
        manual_review,
        entity_type_hint: EntityTypeHint::from_code(code).subject_type_key(),
        name_must_be_chinese: true,
    }
}

/// Trims a contact's name and checks it has 1–100 printable characters and, when the
/// document is a mainland one, at least one Chinese character (RN-10).
pub fn parse_contact_name(raw: &str, must_be_chinese: bool) -> Result<String, ContactError> {
    let name = raw.trim();
    let n_chars = name.chars().count();
    if n_chars == 0 || n_chars > NAME_MAX_CHARS || name.chars().any(char::is_control) {
        return Err(ContactError::InvalidName);
    }
    if must_be_chinese && !name.chars().any(is_han) {
        return Err(ContactError::NameNotChinese);
    }
    Ok(name.to_owned())
}

/// A phone number in EPP form (RFC 5733): `+` country code, `.`, subscriber number, at most
/// 15 digits in all (E.164).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// Accepts `+CC.NUMBER`, an 11-digit mainland mobile number (`13800138000`) or one with
    /// `+86` before it, with spaces or hyphens anywhere; returns the EPP form.
    pub fn parse(raw: &str) -> Result<Phone, ContactError> {
        if raw.len() > 64 {
            return Err(ContactError::InvalidPhone);
        }
        let compact: String = raw
            .trim()
            .chars()
            .filter(|c| *c != ' ' && *c != '-')
            .collect();
        let is_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let epp = match compact.strip_prefix('+') {
            Some(rest) => match rest.split_once('.') {
                Some((country, number))
                    if is_digits(country)
                        && is_digits(number)
                        && country.len() <= 3
                        && !country.starts_with('0')
                        && country.len() + number.len() <= 15 =>
                {
                    format!("+{country}.{number}")
                }
                Some(_) => return Err(ContactError::InvalidPhone),
                None => match rest.strip_prefix("86") {
                    Some(mobile) if is_mainland_mobile(mobile) => format!("+86.{mobile}"),
                    _ => return Err(ContactError::InvalidPhone),
                },
            },
            None if is_mainland_mobile(&compact) => format!("+86.{compact}"),
            None => return Err(ContactError::InvalidPhone),
        };
        Ok(Phone(epp))
    }

    /// The EPP form, e.g. `+86.13800138000`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `1[3-9]` followed by 9 digits: the mainland mobile numbering plan.
fn is_mainland_mobile(number: &str) -> bool {
    let bytes = number.as_bytes();
    bytes.len() == 11
        && bytes[0] == b'1'
        && (b'3'..=b'9').contains(&bytes[1])
        && bytes.iter().all(u8::is_ascii_digit)
}

/// One free-text line of a postal address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressPart {
    /// Province, state or region.
    Province,
    /// City.
    City,
    /// Street address.
    Street,
}

impl AddressPart {
    /// The field name in the API, under `address.`.
    pub fn as_str(self) -> &'static str {
        match self {
            AddressPart::Province => "province",
            AddressPart::City => "city",
            AddressPart::Street => "street",
        }
    }

    /// The longest accepted line, in characters.
    pub fn max_chars(self) -> usize {
        match self {
            AddressPart::Province | AddressPart::City => 64,
            AddressPart::Street => 200,
        }
    }
}

/// The fields of a postal address as typed. `Debug` leaves out the street and postal code.
#[derive(Clone, Copy)]
pub struct AddressInput<'a> {
    /// ISO 3166-1 alpha-2 code.
    pub country: &'a str,
    /// Province, state or region.
    pub province: &'a str,
    /// City.
    pub city: &'a str,
    /// Street address.
    pub street: &'a str,
    /// Postal code, when the country has them.
    pub postal_code: Option<&'a str>,
}

/// A checked postal address. `Debug` leaves out the street and postal code.
#[derive(Clone, PartialEq, Eq)]
pub struct Address {
    /// ISO 3166-1 alpha-2 code, uppercase.
    pub country: &'static str,
    /// Province, trimmed.
    pub province: String,
    /// City, trimmed.
    pub city: String,
    /// Street address, trimmed.
    pub street: String,
    /// Postal code, trimmed and uppercase; `None` when not given.
    pub postal_code: Option<String>,
}

impl fmt::Debug for AddressInput<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AddressInput")
            .field("country", &self.country)
            .field("province", &self.province)
            .field("city", &self.city)
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Address")
            .field("country", &self.country)
            .field("province", &self.province)
            .field("city", &self.city)
            .finish_non_exhaustive()
    }
}

impl Address {
    /// Checks every part: a known country code, non-empty province and city of at most 64
    /// characters, a street of at most 200, and a postal code of 6 digits in China or of at
    /// most 16 letters, digits, spaces and hyphens elsewhere.
    pub fn parse(input: &AddressInput<'_>) -> Result<Address, ContactError> {
        let country = parse_country(input.country)?;
        let line = |raw: &str, part: AddressPart| {
            let line = raw.trim();
            let n_chars = line.chars().count();
            if n_chars == 0 || n_chars > part.max_chars() || line.chars().any(char::is_control) {
                Err(ContactError::InvalidAddressPart(part))
            } else {
                Ok(line.to_owned())
            }
        };
        let province = line(input.province, AddressPart::Province)?;
        let city = line(input.city, AddressPart::City)?;
        let street = line(input.street, AddressPart::Street)?;
        let postal_code = match input.postal_code.map(str::trim) {
            None | Some("") => None,
            Some(code) => Some(parse_postal_code(code, country)?),
        };
        Ok(Address {
            country,
            province,
            city,
            street,
            postal_code,
        })
    }
}

fn parse_postal_code(code: &str, country: &str) -> Result<String, ContactError> {
    let valid = if country == "CN" {
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit())
    } else {
        code.len() <= 16
            && code.bytes().any(|b| b.is_ascii_alphanumeric())
            && code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-')
    };
    if valid {
        Ok(code.to_ascii_uppercase())
    } else {
        Err(ContactError::InvalidPostalCode)
    }
}

/// Parses an ISO 3166-1 alpha-2 country code, in either case.
pub fn parse_country(raw: &str) -> Result<&'static str, ContactError> {
    let code = raw.trim().to_ascii_uppercase();
    COUNTRY_CODES
        .binary_search(&code.as_str())
        .map(|index| COUNTRY_CODES[index])
        .map_err(|_| ContactError::InvalidCountry)
}

/// Trims a review reason and checks its length; a rejection must have one.
pub fn parse_review_reason(
    raw: Option<&str>,
    decision: ReviewDecision,
) -> Result<Option<String>, ContactError> {
    let reason = raw.map(str::trim).filter(|reason| !reason.is_empty());
    match reason {
        None if decision == ReviewDecision::Reject => Err(ContactError::ReasonRequired),
        None => Ok(None),
        Some(reason) => {
            // Line breaks are allowed: a reason may list several findings.
            let bad_char = reason.chars().any(|c| c.is_control() && c != '\n');
            if reason.chars().count() > REASON_MAX_CHARS || bad_char {
                Err(ContactError::InvalidReason)
            } else {
                Ok(Some(reason.to_owned()))
            }
        }
    }
}

/// The 249 officially assigned ISO 3166-1 alpha-2 codes, sorted for binary search.
const COUNTRY_CODES: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

#[cfg(test)]
mod tests;
