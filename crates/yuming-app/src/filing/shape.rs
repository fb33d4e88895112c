//! Errors and shape checks of the filing inputs: dates, provinces, ID types, lengths, persons,
//! entities, sites; masking of ID numbers.

use std::net::IpAddr;

use time::Date;
use yuming_core::contact::{self, IdType};
use yuming_core::filing::{self, EntityType};
use yuming_core::rules::province;

use crate::AppError;
use crate::filing::FilingError;

use super::authority::AuthorityError;
use super::forms::{EntityInput, Payload, PersonInput, SiteInput};

pub(super) fn transition_error(e: filing::TransitionError) -> AppError {
    FilingError::InvalidState {
        status: e.from.as_str(),
        status_zh: e.from.label_zh(),
        event: e.event.as_str().replace('_', " "),
    }
    .into()
}

pub(super) fn concurrent() -> AppError {
    AppError::from(FilingError::ConcurrentChange)
}

pub(super) fn corrupt(what: &str) -> AppError {
    AppError::internal(format!("filing data corrupt: {what}"))
}

pub(super) fn authority_error(e: AuthorityError) -> AppError {
    AppError::from(FilingError::AuthorityUnavailable).with_detail(e.to_string())
}

// ---------------------------------------------------------------------------------------
// Parsing helpers.

pub(super) fn parse_date(value: Option<&str>, field: &str) -> Result<Option<Date>, AppError> {
    let Some(value) = value else { return Ok(None) };
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(value.trim(), &format).map(Some).map_err(|_| {
        AppError::from(FilingError::InvalidDate {
            field: field.to_owned(),
        })
    })
}

pub(super) fn parse_province(value: &str) -> Result<u8, AppError> {
    let value = value.trim();
    let trimmed = value
        .trim_end_matches('省')
        .trim_end_matches('市')
        .trim_end_matches("自治区");
    value
        .parse::<u8>()
        .ok()
        .and_then(province::by_code)
        .or_else(|| province::by_name_zh(trimmed))
        .or_else(|| province::by_name_zh(value))
        .map(|p| p.code)
        .ok_or_else(|| AppError::from(FilingError::InvalidProvince))
}

pub(super) fn parse_id_type(value: &str, field: &str) -> Result<IdType, AppError> {
    IdType::parse(value).ok_or_else(|| {
        AppError::from(FilingError::InvalidIdType {
            field: field.to_owned(),
        })
    })
}

pub(super) fn bounded(value: &str, field: &str, max: usize) -> Result<(), AppError> {
    let n = value.chars().count();
    if value.trim().is_empty() || n > max {
        return Err(FilingError::TextLength {
            field: field.to_owned(),
            max,
        }
        .into());
    }
    Ok(())
}

/// Shape checks only: rule violations (check digits, validity) are self-check findings so
/// that the applicant sees them all at once with their fixes.
fn check_person_shape(p: &PersonInput, field: &str) -> Result<(), AppError> {
    bounded(&p.name, &format!("{field}.name"), 64)?;
    parse_id_type(&p.id_type, &format!("{field}.id_type"))?;
    bounded(&p.id_number, &format!("{field}.id_number"), 64)?;
    parse_date(
        p.id_valid_until.as_deref(),
        &format!("{field}.id_valid_until"),
    )?;
    bounded(&p.mobile, &format!("{field}.mobile"), 32)?;
    bounded(&p.email, &format!("{field}.email"), 254)
}

pub(super) fn check_entity_shape(e: &EntityInput) -> Result<(EntityType, u8, IdType), AppError> {
    let entity_type = EntityType::parse(&e.entity_type)
        .ok_or_else(|| AppError::from(FilingError::InvalidEntityType))?;
    bounded(&e.name, "entity.name", 100)?;
    let province = parse_province(&e.province)?;
    let cert_type = parse_id_type(&e.cert_type, "entity.cert_type")?;
    bounded(&e.cert_no, "entity.cert_no", 64)?;
    parse_date(e.cert_valid_until.as_deref(), "entity.cert_valid_until")?;
    bounded(&e.address, "entity.address", 200)?;
    check_person_shape(&e.principal, "entity.principal")?;
    Ok((entity_type, province, cert_type))
}

pub(super) fn check_site_shape(s: &SiteInput) -> Result<String, AppError> {
    bounded(&s.name, "site.name", 64)?;
    let domain = yuming_core::rules::domain_name::DomainName::parse(
        &s.domain,
        &yuming_core::rules::domain_name::DomainPolicy::CHINESE_REGISTRY,
    )
    .or_else(|_| {
        yuming_core::rules::domain_name::DomainName::parse(
            &s.domain,
            &yuming_core::rules::domain_name::DomainPolicy::GENERIC,
        )
    })
    .map_err(|_| AppError::from(FilingError::InvalidDomain))?;
    bounded(&s.homepage, "site.homepage", 300)?;
    if s.purpose.chars().count() > 2000 {
        bounded(&s.purpose, "site.purpose", 2000)?;
    }
    if s.servers.len() > 64 {
        return Err(FilingError::TooManyServers.into());
    }
    for (i, ip) in s.servers.iter().enumerate() {
        ip.trim()
            .parse::<IpAddr>()
            .map_err(|_| FilingError::InvalidIp {
                field: format!("site.servers[{i}]"),
            })?;
    }
    for (i, p) in s.preapprovals.iter().enumerate() {
        parse_date(
            p.valid_until.as_deref(),
            &format!("site.preapprovals[{i}].valid_until"),
        )?;
    }
    check_person_shape(&s.principal, "site.principal")?;
    Ok(domain.value.ascii().to_owned())
}

/// The normalised document number when it passes its rule, else the trimmed input (the
/// self-check reports it).
pub(super) fn normalized(id_type: IdType, number: &str, today: Date) -> String {
    contact::check_document(id_type, number, today)
        .map(|d| d.number)
        .unwrap_or_else(|_| number.trim().to_uppercase())
}

pub(super) fn masked(id_type: IdType, number: &str, today: Date) -> String {
    contact::check_document(id_type, number, today)
        .map(|d| d.masked)
        .unwrap_or_else(|_| yuming_core::rules::mask_middle(number.trim(), 2, 2))
}

pub(super) fn mask_payload(payload: &Payload, today: Date) -> Payload {
    let mut p = payload.clone();
    let mask_person = |person: &mut PersonInput| {
        if let Some(t) = IdType::parse(&person.id_type) {
            person.id_number = masked(t, &person.id_number, today);
        }
    };
    if let Some(t) = IdType::parse(&p.entity.cert_type) {
        p.entity.cert_no = masked(t, &p.entity.cert_no, today);
    }
    mask_person(&mut p.entity.principal);
    if let Some(site) = p.site.as_mut() {
        mask_person(&mut site.principal);
    }
    p
}
