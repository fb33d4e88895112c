//! Errors and shape checks of the filing inputs: dates, provinces, ID types, lengths, persons,
//! entities, sites; masking of ID numbers.

use std::net::IpAddr;

use time::Date;
use yuming_core::contact::{self, IdType};
use yuming_core::filing::{self, EntityType};
use yuming_core::rules::province;

use crate::{AppError, ErrorKind};

use super::authority::AuthorityError;
use super::forms::{EntityInput, Payload, PersonInput, SiteInput};

pub(super) fn invalid(
    code: &'static str,
    field: &str,
    en: impl Into<String>,
    zh: impl Into<String>,
) -> AppError {
    AppError::bad_request(code, en, zh).with_field(field)
}

pub(super) fn transition_error(e: filing::TransitionError) -> AppError {
    AppError::new(
        ErrorKind::Conflict,
        "INVALID_STATE",
        format!(
            "the order is {} and cannot {}",
            e.from.as_str(),
            e.event.as_str().replace('_', " ")
        ),
        format!("订单当前状态为“{}”，不能执行该操作", e.from.label_zh()),
    )
}

pub(super) fn concurrent() -> AppError {
    AppError::new(
        ErrorKind::Conflict,
        "CONCURRENT_CHANGE",
        "the order changed meanwhile; reload and retry",
        "订单已被修改，请刷新后重试",
    )
}

pub(super) fn corrupt(what: &str) -> AppError {
    AppError::internal(format!("filing data corrupt: {what}"))
}

pub(super) fn authority_error(e: AuthorityError) -> AppError {
    AppError::new(
        ErrorKind::Unavailable,
        "AUTHORITY_UNAVAILABLE",
        "the filing authority did not answer; the order will be retried",
        "备案系统暂无响应，稍后将自动重试",
    )
    .with_detail(e.to_string())
}

// ---------------------------------------------------------------------------------------
// Parsing helpers.

pub(super) fn parse_date(value: Option<&str>, field: &str) -> Result<Option<Date>, AppError> {
    let Some(value) = value else { return Ok(None) };
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(value.trim(), &format).map(Some).map_err(|_| {
        invalid(
            "INVALID_DATE",
            field,
            "dates are YYYY-MM-DD",
            "日期格式须为 YYYY-MM-DD",
        )
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
        .ok_or_else(|| {
            invalid(
                "INVALID_PROVINCE",
                "entity.province",
                "unknown province",
                "未知省份",
            )
        })
}

pub(super) fn parse_id_type(value: &str, field: &str) -> Result<IdType, AppError> {
    IdType::parse(value).ok_or_else(|| {
        invalid(
            "INVALID_ID_TYPE",
            field,
            "unknown document type",
            "未知证件类型",
        )
    })
}

pub(super) fn bounded(value: &str, field: &str, max: usize) -> Result<(), AppError> {
    let n = value.chars().count();
    if value.trim().is_empty() || n > max {
        return Err(invalid(
            "INVALID_LENGTH",
            field,
            format!("{field} must have 1 to {max} characters"),
            format!("{field} 须为 1 至 {max} 个字符"),
        ));
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
    let entity_type = EntityType::parse(&e.entity_type).ok_or_else(|| {
        invalid(
            "INVALID_ENTITY_TYPE",
            "entity.entity_type",
            "unknown entity type",
            "未知主办单位性质",
        )
    })?;
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
    .map_err(|_| {
        invalid(
            "INVALID_DOMAIN",
            "site.domain",
            "not a domain name",
            "域名格式无效",
        )
    })?;
    bounded(&s.homepage, "site.homepage", 300)?;
    if s.purpose.chars().count() > 2000 {
        bounded(&s.purpose, "site.purpose", 2000)?;
    }
    if s.servers.len() > 64 {
        return Err(invalid(
            "TOO_MANY_SERVERS",
            "site.servers",
            "at most 64 servers",
            "最多 64 个服务器",
        ));
    }
    for (i, ip) in s.servers.iter().enumerate() {
        ip.trim().parse::<IpAddr>().map_err(|_| {
            invalid(
                "INVALID_IP",
                &format!("site.servers[{i}]"),
                "not an IP address",
                "IP 地址格式无效",
            )
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
