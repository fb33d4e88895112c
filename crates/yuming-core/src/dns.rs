//! DNS hosting rules: resource records of a hosted zone, their validation one by one and as a
//! zone (CNAME exclusivity, delegations and their glue), TXT splitting, and the RFC 1035
//! master-file format (parse and render).
//!
//! Owner names are kept relative to the zone (`@` for the apex) in lower-case A-labels;
//! target names (CNAME, NS, MX, SRV) are absolute, lower-case A-labels without the final dot.

mod zonefile;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

pub use zonefile::{SoaFields, parse_zone_file, render_zone_file};

use crate::rules::Problem;

/// Longest TXT value accepted, in bytes, before splitting into ≤255-byte strings. Large enough
/// for 4096-bit DKIM keys, small enough that a response with it still fits a TCP answer easily.
pub const TXT_MAX_BYTES: usize = 4000;
/// One character-string on the wire (RFC 1035 §3.3).
pub const TXT_CHUNK: usize = 255;
/// Records in one zone (the import and the API both stop there).
pub const MAX_RECORDS_PER_ZONE: usize = 20_000;
/// Largest TTL accepted (RFC 2181 §8 allows 2^31-1; a week is plenty for hosted zones).
pub const MAX_TTL: u32 = 604_800;

/// Stable problem codes of this module.
pub mod code {
    /// Unknown or unsupported record type.
    pub const RECORD_TYPE_UNSUPPORTED: &str = "RECORD_TYPE_UNSUPPORTED";
    /// Owner name is not a valid name inside the zone.
    pub const RECORD_NAME_INVALID: &str = "RECORD_NAME_INVALID";
    /// The value does not parse for the type.
    pub const RECORD_VALUE_INVALID: &str = "RECORD_VALUE_INVALID";
    /// TTL out of range.
    pub const RECORD_TTL_INVALID: &str = "RECORD_TTL_INVALID";
    /// Priority missing, out of range, or given for a type without one.
    pub const RECORD_PRIORITY_INVALID: &str = "RECORD_PRIORITY_INVALID";
    /// TXT longer than [`super::TXT_MAX_BYTES`].
    pub const TXT_TOO_LONG: &str = "TXT_TOO_LONG";
    /// CNAME at the zone apex.
    pub const CNAME_AT_APEX: &str = "CNAME_AT_APEX";
    /// A CNAME shares its owner with another record.
    pub const CNAME_NOT_EXCLUSIVE: &str = "CNAME_NOT_EXCLUSIVE";
    /// NS at the apex (the apex nameservers are the domain's nameservers).
    pub const NS_AT_APEX: &str = "NS_AT_APEX";
    /// An in-zone nameserver of a delegation has no address record.
    pub const NS_GLUE_MISSING: &str = "NS_GLUE_MISSING";
    /// The same record twice.
    pub const RECORD_DUPLICATE: &str = "RECORD_DUPLICATE";
    /// More than [`super::MAX_RECORDS_PER_ZONE`] records.
    pub const ZONE_TOO_LARGE: &str = "ZONE_TOO_LARGE";
    /// The zone file does not parse.
    pub const ZONE_FILE_INVALID: &str = "ZONE_FILE_INVALID";
}

/// The record types a hosted zone may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RecordType {
    /// IPv4 address.
    A,
    /// IPv6 address.
    Aaaa,
    /// Alias.
    Cname,
    /// Mail exchange.
    Mx,
    /// Text.
    Txt,
    /// Delegation of a sub-zone.
    Ns,
    /// Certification authority authorisation (RFC 8659).
    Caa,
    /// Service location (RFC 2782).
    Srv,
}

impl RecordType {
    /// Every supported type.
    pub const ALL: [RecordType; 8] = [
        RecordType::A,
        RecordType::Aaaa,
        RecordType::Cname,
        RecordType::Mx,
        RecordType::Txt,
        RecordType::Ns,
        RecordType::Caa,
        RecordType::Srv,
    ];

    /// The mnemonic, upper case.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordType::A => "A",
            RecordType::Aaaa => "AAAA",
            RecordType::Cname => "CNAME",
            RecordType::Mx => "MX",
            RecordType::Txt => "TXT",
            RecordType::Ns => "NS",
            RecordType::Caa => "CAA",
            RecordType::Srv => "SRV",
        }
    }

    /// The wire type code (RFC 1035, 3596, 2782, 8659).
    pub fn code(self) -> u16 {
        match self {
            RecordType::A => 1,
            RecordType::Ns => 2,
            RecordType::Cname => 5,
            RecordType::Mx => 15,
            RecordType::Txt => 16,
            RecordType::Aaaa => 28,
            RecordType::Srv => 33,
            RecordType::Caa => 257,
        }
    }

    /// Parses a mnemonic, any case.
    pub fn parse(input: &str) -> Option<RecordType> {
        RecordType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(input.trim()))
    }

    fn has_priority(self) -> bool {
        matches!(self, RecordType::Mx | RecordType::Srv)
    }
}

impl fmt::Display for RecordType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A record as a user gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordInput<'a> {
    /// Type mnemonic.
    pub rtype: &'a str,
    /// Owner: `@`, a name relative to the zone, or an absolute name ending in the zone.
    pub name: &'a str,
    /// Value in presentation form (see [`Record::value`]).
    pub value: &'a str,
    /// TTL in seconds; the default when absent.
    pub ttl: Option<i64>,
    /// MX preference or SRV priority.
    pub priority: Option<i64>,
}

/// A validated record in canonical form.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Record {
    /// Type.
    pub rtype: RecordType,
    /// Owner relative to the zone, lower-case A-labels, `@` for the apex.
    pub name: String,
    /// A/AAAA: the address; CNAME/NS/MX: the absolute target; TXT: the text (unquoted, split
    /// only on the wire); CAA: `flags tag "value"`; SRV: `weight port target`.
    pub value: String,
    /// Seconds.
    pub ttl: u32,
    /// MX preference or SRV priority.
    pub priority: Option<u16>,
}

impl Record {
    /// The absolute owner name (without the final dot).
    pub fn owner(&self, zone: &str) -> String {
        absolute(&self.name, zone)
    }
}

/// The absolute form of a relative owner.
pub fn absolute(relative: &str, zone: &str) -> String {
    if relative == "@" {
        zone.to_owned()
    } else {
        format!("{relative}.{zone}")
    }
}

/// TTL limits of the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TtlPolicy {
    /// TTL given to records that name none.
    pub default: u32,
    /// Smallest TTL accepted.
    pub minimum: u32,
}

impl Default for TtlPolicy {
    fn default() -> Self {
        TtlPolicy {
            default: 600,
            minimum: 60,
        }
    }
}

/// A refused record or zone: the problem and the input field it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsProblem {
    /// `type`, `name`, `value`, `ttl`, `priority`, or `zone` (whole-zone and file problems).
    pub field: &'static str,
    /// What is wrong.
    pub problem: Problem,
}

impl DnsProblem {
    fn new(
        field: &'static str,
        code: &'static str,
        message: impl Into<String>,
        message_zh: impl Into<String>,
    ) -> Self {
        DnsProblem {
            field,
            problem: Problem::new(code, message, message_zh),
        }
    }
}

impl fmt::Display for DnsProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.problem, self.field)
    }
}

/// Validates one record of `zone` (A-label, lower case, no final dot) and returns it in
/// canonical form. Whole-zone rules are [`check_zone`]'s.
pub fn check_record(
    zone: &str,
    input: &RecordInput<'_>,
    ttl: TtlPolicy,
) -> Result<Record, DnsProblem> {
    let rtype = RecordType::parse(input.rtype).ok_or_else(|| {
        DnsProblem::new(
            "type",
            code::RECORD_TYPE_UNSUPPORTED,
            "record type must be one of A, AAAA, CNAME, MX, TXT, NS, CAA, SRV",
            "记录类型必须是 A、AAAA、CNAME、MX、TXT、NS、CAA、SRV 之一",
        )
    })?;
    let name = owner_name(zone, input.name)?;
    let ttl = match input.ttl {
        None => ttl.default,
        Some(t) if t >= i64::from(ttl.minimum) && t <= i64::from(MAX_TTL) => {
            u32::try_from(t).unwrap_or(ttl.default)
        }
        Some(_) => {
            return Err(DnsProblem::new(
                "ttl",
                code::RECORD_TTL_INVALID,
                format!("ttl must be between {} and {MAX_TTL} seconds", ttl.minimum),
                format!("TTL 必须在 {} 到 {MAX_TTL} 秒之间", ttl.minimum),
            ));
        }
    };
    let priority = match (rtype.has_priority(), input.priority) {
        (true, Some(p)) => Some(u16::try_from(p).map_err(|_| priority_problem())?),
        (true, None) => return Err(priority_problem()),
        (false, None) => None,
        (false, Some(_)) => {
            return Err(DnsProblem::new(
                "priority",
                code::RECORD_PRIORITY_INVALID,
                "only MX and SRV records have a priority",
                "只有 MX 和 SRV 记录有优先级",
            ));
        }
    };
    let value = match rtype {
        RecordType::A => input
            .value
            .trim()
            .parse::<Ipv4Addr>()
            .map(|a| a.to_string())
            .map_err(|_| value_problem("an IPv4 address", "IPv4 地址"))?,
        RecordType::Aaaa => input
            .value
            .trim()
            .parse::<Ipv6Addr>()
            .map(|a| a.to_string())
            .map_err(|_| value_problem("an IPv6 address", "IPv6 地址"))?,
        RecordType::Cname | RecordType::Ns | RecordType::Mx => {
            if rtype == RecordType::Cname && name == "@" {
                return Err(DnsProblem::new(
                    "name",
                    code::CNAME_AT_APEX,
                    "a CNAME cannot be at the zone apex",
                    "区域顶点不能设置 CNAME 记录",
                ));
            }
            if rtype == RecordType::Ns && name == "@" {
                return Err(DnsProblem::new(
                    "name",
                    code::NS_AT_APEX,
                    "the apex nameservers are the domain's nameservers; NS records delegate sub-names",
                    "顶点的域名服务器即域名的 DNS 服务器；NS 记录只能用于子域委派",
                ));
            }
            target_name(input.value).ok_or_else(|| value_problem("a host name", "主机名"))?
        }
        RecordType::Txt => {
            if input.value.len() > TXT_MAX_BYTES {
                return Err(DnsProblem::new(
                    "value",
                    code::TXT_TOO_LONG,
                    format!("a TXT value is at most {TXT_MAX_BYTES} bytes"),
                    format!("TXT 记录值最多 {TXT_MAX_BYTES} 字节"),
                ));
            }
            if input.value.chars().any(|c| c.is_control() && c != '\t') {
                return Err(value_problem(
                    "text without control characters",
                    "不含控制字符的文本",
                ));
            }
            input.value.to_owned()
        }
        RecordType::Caa => caa_value(input.value)
            .ok_or_else(|| value_problem("`flags tag \"value\"`", "`flags tag \"value\"`"))?,
        RecordType::Srv => srv_value(input.value)
            .ok_or_else(|| value_problem("`weight port target`", "`weight port target`"))?,
    };
    Ok(Record {
        rtype,
        name,
        value,
        ttl,
        priority,
    })
}

fn priority_problem() -> DnsProblem {
    DnsProblem::new(
        "priority",
        code::RECORD_PRIORITY_INVALID,
        "MX and SRV records need a priority between 0 and 65535",
        "MX 和 SRV 记录需要 0 到 65535 之间的优先级",
    )
}

fn value_problem(expected: &str, expected_zh: &str) -> DnsProblem {
    DnsProblem::new(
        "value",
        code::RECORD_VALUE_INVALID,
        format!("the value must be {expected}"),
        format!("记录值必须是{expected_zh}"),
    )
}

fn name_problem(message: &str, message_zh: &str) -> DnsProblem {
    DnsProblem::new("name", code::RECORD_NAME_INVALID, message, message_zh)
}

/// One label to its A-label: LDH plus `_` (service labels), or a Unicode label through IDNA.
fn a_label(label: &str) -> Option<String> {
    if label.is_empty() {
        return None;
    }
    let ascii = if label.is_ascii() {
        label.to_ascii_lowercase()
    } else {
        idna::domain_to_ascii(label).ok()?
    };
    let ok = ascii.len() <= 63
        && !ascii.contains('.')
        && ascii
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && !ascii.starts_with('-')
        && !ascii.ends_with('-');
    ok.then_some(ascii)
}

/// The owner relative to the zone, lower-case A-labels.
fn owner_name(zone: &str, input: &str) -> Result<String, DnsProblem> {
    let trimmed = input.trim();
    if trimmed.is_empty() || trimmed == "@" {
        return Ok("@".into());
    }
    let (body, absolute) = match trimmed.strip_suffix('.') {
        Some(b) => (b, true),
        None => (trimmed, false),
    };
    let mut labels = Vec::new();
    for label in body.split('.') {
        labels.push(a_label(label).ok_or_else(|| {
            name_problem(
                "each label of the name is 1-63 letters, digits, hyphens or underscores (or Unicode)",
                "名称的每一段须为 1-63 个字母、数字、连字符或下划线（或中文等 Unicode 字符）",
            )
        })?);
    }
    let full = labels.join(".");
    let relative = if full == zone {
        "@".to_owned()
    } else if let Some(rel) = full.strip_suffix(zone).and_then(|r| r.strip_suffix('.')) {
        rel.to_owned()
    } else if absolute {
        return Err(name_problem(
            "the name is outside this zone",
            "名称不在本区域内",
        ));
    } else {
        full
    };
    if relative != "@" && relative.len() + 1 + zone.len() > 253 {
        return Err(name_problem(
            "the full name is longer than 253 characters",
            "完整名称超过 253 个字符",
        ));
    }
    Ok(relative)
}

/// An absolute host name: lower-case A-labels, no final dot, LDH (underscores allowed for
/// targets such as `_spf` hosts), at least two labels.
fn target_name(input: &str) -> Option<String> {
    let body = input.trim();
    let body = body.strip_suffix('.').unwrap_or(body);
    let labels = body.split('.').map(a_label).collect::<Option<Vec<_>>>()?;
    if labels.len() < 2 {
        return None;
    }
    let name = labels.join(".");
    (name.len() <= 253).then_some(name)
}

/// `flags tag value` (RFC 8659 §4.1.1) into `flags tag "value"`.
fn caa_value(input: &str) -> Option<String> {
    let mut parts = input.trim().splitn(3, char::is_whitespace);
    let flags: u8 = parts.next()?.parse().ok()?;
    let tag = parts.next()?;
    if tag.is_empty() || tag.len() > 15 || !tag.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    let raw = parts.next()?.trim();
    let value = raw
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(raw);
    if value.contains('"') || value.len() > 255 || value.chars().any(char::is_control) {
        return None;
    }
    Some(format!("{flags} {} \"{value}\"", tag.to_ascii_lowercase()))
}

/// The parts of a CAA value: flags, tag, value.
pub fn caa_parts(value: &str) -> Option<(u8, &str, &str)> {
    let mut parts = value.splitn(3, ' ');
    let flags = parts.next()?.parse().ok()?;
    let tag = parts.next()?;
    let value = parts.next()?.strip_prefix('"')?.strip_suffix('"')?;
    Some((flags, tag, value))
}

/// `weight port target`.
fn srv_value(input: &str) -> Option<String> {
    let mut parts = input.split_whitespace();
    let weight: u16 = parts.next()?.parse().ok()?;
    let port: u16 = parts.next()?.parse().ok()?;
    let target = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let target = if target == "." {
        ".".to_owned()
    } else {
        target_name(target)?
    };
    Some(format!("{weight} {port} {target}"))
}

/// The parts of an SRV value: weight, port, target.
pub fn srv_parts(value: &str) -> Option<(u16, u16, &str)> {
    let mut parts = value.splitn(3, ' ');
    Some((
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?,
    ))
}

/// A TXT value as wire character-strings of at most 255 bytes each (never empty: an empty
/// value is one empty string). Splits on byte boundaries, as resolvers concatenate them.
pub fn txt_strings(value: &str) -> impl Iterator<Item = &[u8]> {
    let bytes = value.as_bytes();
    let empty: &[u8] = &[];
    let first = bytes.is_empty().then_some(empty);
    first.into_iter().chain(bytes.chunks(TXT_CHUNK))
}

/// The whole-zone rules, checked on every change: at most [`MAX_RECORDS_PER_ZONE`] records, no
/// duplicates, a CNAME alone at its name, and every in-zone nameserver of a delegation with an
/// address record (glue).
pub fn check_zone(zone: &str, records: &[Record]) -> Result<(), DnsProblem> {
    if records.len() > MAX_RECORDS_PER_ZONE {
        return Err(DnsProblem::new(
            "zone",
            code::ZONE_TOO_LARGE,
            format!("a zone holds at most {MAX_RECORDS_PER_ZONE} records"),
            format!("一个区域最多 {MAX_RECORDS_PER_ZONE} 条记录"),
        ));
    }
    let mut seen = BTreeSet::new();
    let mut by_name: BTreeMap<&str, Vec<&Record>> = BTreeMap::new();
    for r in records {
        if !seen.insert((r.rtype, r.name.as_str(), r.value.as_str(), r.priority)) {
            return Err(DnsProblem::new(
                "value",
                code::RECORD_DUPLICATE,
                format!("{} {} already has this value", r.name, r.rtype),
                format!("{} 的 {} 记录已有相同的值", r.name, r.rtype),
            ));
        }
        by_name.entry(r.name.as_str()).or_default().push(r);
    }
    for (name, set) in &by_name {
        if set.len() > 1 && set.iter().any(|r| r.rtype == RecordType::Cname) {
            return Err(DnsProblem::new(
                "name",
                code::CNAME_NOT_EXCLUSIVE,
                format!("{name} has a CNAME, which must be the only record at its name"),
                format!("{name} 已有 CNAME 记录，同名下不能有其他记录"),
            ));
        }
    }
    let has_address = |absolute_name: &str| {
        records.iter().any(|r| {
            matches!(r.rtype, RecordType::A | RecordType::Aaaa) && r.owner(zone) == absolute_name
        })
    };
    for ns in records.iter().filter(|r| r.rtype == RecordType::Ns) {
        let target = ns.value.as_str();
        let in_zone = target == zone || target.ends_with(&format!(".{zone}"));
        if in_zone && !has_address(target) {
            return Err(DnsProblem::new(
                "value",
                code::NS_GLUE_MISSING,
                format!("nameserver {target} is inside the zone and needs an A or AAAA record"),
                format!("域名服务器 {target} 位于本区域内，需要 A 或 AAAA 记录（胶水记录）"),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
