//! RFC 1035 §5 master files: the subset a hosted zone needs. `$ORIGIN` (must be the zone),
//! `$TTL`, comments, parentheses spanning lines, quoted strings with `\"`, `\\` and `\DDD`
//! escapes, an omitted owner meaning the previous one, optional TTL and class `IN` in either
//! order. SOA and apex NS are the platform's and are skipped on import; `$INCLUDE` and
//! `$GENERATE` are refused.

use std::fmt::Write as _;

use super::{
    DnsProblem, Record, RecordInput, RecordType, TtlPolicy, caa_parts, check_record, code,
};

/// Longest zone file accepted, in bytes.
const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;

/// The SOA of a rendered zone file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoaFields {
    /// Primary nameserver (absolute, no final dot).
    pub mname: String,
    /// Responsible mailbox as a name (`hostmaster.example.com`).
    pub rname: String,
    /// Serial.
    pub serial: u32,
    /// Refresh, retry, expire, minimum (negative-caching TTL).
    pub timers: [u32; 4],
}

fn file_problem(line: usize, what: &str, what_zh: &str) -> DnsProblem {
    DnsProblem::new(
        "zone",
        code::ZONE_FILE_INVALID,
        format!("line {line}: {what}"),
        format!("第 {line} 行：{what_zh}"),
    )
}

/// One token and whether it was quoted.
#[derive(Debug)]
struct Token {
    text: String,
    quoted: bool,
}

/// A logical entry: its tokens, whether it began with blank space (owner omitted), and the
/// line it started on.
#[derive(Debug)]
struct Entry {
    tokens: Vec<Token>,
    blank_owner: bool,
    line: usize,
}

fn entries(text: &str) -> Result<Vec<Entry>, DnsProblem> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1usize;
    let mut depth = 0u32;
    let mut current: Option<Entry> = None;
    let mut at_line_start = true;
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                line += 1;
                at_line_start = true;
                if depth == 0
                    && let Some(e) = current.take()
                {
                    out.push(e);
                }
                continue;
            }
            ';' => {
                while chars.peek().is_some_and(|&c| c != '\n') {
                    chars.next();
                }
                continue;
            }
            ' ' | '\t' | '\r' => {
                if at_line_start && depth == 0 && current.is_none() {
                    current = Some(Entry {
                        tokens: Vec::new(),
                        blank_owner: true,
                        line,
                    });
                }
                at_line_start = false;
                continue;
            }
            _ => {}
        }
        at_line_start = false;
        let entry = current.get_or_insert_with(|| Entry {
            tokens: Vec::new(),
            blank_owner: false,
            line,
        });
        match c {
            '(' => depth += 1,
            ')' => {
                depth = depth
                    .checked_sub(1)
                    .ok_or_else(|| file_problem(line, "unbalanced parenthesis", "括号不匹配"))?;
            }
            '"' => {
                let mut text = String::new();
                loop {
                    match chars.next() {
                        None => {
                            return Err(file_problem(line, "unterminated string", "字符串未结束"));
                        }
                        Some('"') => break,
                        Some('\\') => text.push(unescape(&mut chars, line)?),
                        Some('\n') => {
                            line += 1;
                            text.push('\n');
                        }
                        Some(c) => text.push(c),
                    }
                }
                entry.tokens.push(Token { text, quoted: true });
            }
            _ => {
                let mut text = String::new();
                let mut c = c;
                loop {
                    if c == '\\' {
                        text.push(unescape(&mut chars, line)?);
                    } else {
                        text.push(c);
                    }
                    match chars.peek() {
                        Some(&n)
                            if !matches!(n, ' ' | '\t' | '\r' | '\n' | ';' | '(' | ')' | '"') =>
                        {
                            c = n;
                            chars.next();
                        }
                        _ => break,
                    }
                }
                entry.tokens.push(Token {
                    text,
                    quoted: false,
                });
            }
        }
    }
    if depth != 0 {
        return Err(file_problem(line, "unbalanced parenthesis", "括号不匹配"));
    }
    if let Some(e) = current.take() {
        out.push(e);
    }
    out.retain(|e| !e.tokens.is_empty());
    Ok(out)
}

fn unescape(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    line: usize,
) -> Result<char, DnsProblem> {
    let bad = || file_problem(line, "bad escape", "转义序列无效");
    let c = chars.next().ok_or_else(bad)?;
    if c.is_ascii_digit() {
        let d2 = chars.next().ok_or_else(bad)?;
        let d3 = chars.next().ok_or_else(bad)?;
        let n = [c, d2, d3]
            .iter()
            .try_fold(0u32, |acc, d| d.to_digit(10).map(|v| acc * 10 + v))
            .ok_or_else(bad)?;
        // Values above 127 would be raw bytes, which a UTF-8 TXT value cannot carry.
        if n > 127 {
            return Err(bad());
        }
        char::from_u32(n).ok_or_else(bad)
    } else {
        Ok(c)
    }
}

fn parse_ttl(text: &str) -> Option<i64> {
    if !text.bytes().next()?.is_ascii_digit() {
        return None;
    }
    text.parse::<i64>().ok()
}

/// Parses a master file for `zone` into validated records (SOA and apex NS skipped). Stops at
/// the first problem; its message names the line.
pub fn parse_zone_file(
    zone: &str,
    text: &str,
    ttl_policy: TtlPolicy,
) -> Result<Vec<Record>, DnsProblem> {
    if text.len() > MAX_FILE_BYTES {
        return Err(file_problem(
            0,
            "the file is larger than 4 MiB",
            "文件超过 4 MiB",
        ));
    }
    let mut records = Vec::new();
    let mut default_ttl: Option<i64> = None;
    let mut last_owner: Option<String> = None;
    for entry in entries(text)? {
        let line = entry.line;
        let mut tokens = entry.tokens.iter();
        let owner = if entry.blank_owner {
            last_owner
                .clone()
                .ok_or_else(|| file_problem(line, "no owner name", "缺少记录名"))?
        } else {
            let first = tokens.next().map(|t| t.text.as_str()).unwrap_or_default();
            if first.eq_ignore_ascii_case("$ORIGIN") {
                let origin = tokens.next().map(|t| t.text.as_str()).unwrap_or_default();
                let origin = origin.strip_suffix('.').unwrap_or(origin);
                let ascii = idna::domain_to_ascii(origin).unwrap_or_default();
                if ascii != zone {
                    return Err(file_problem(
                        line,
                        "$ORIGIN must be the zone itself",
                        "$ORIGIN 必须是本区域",
                    ));
                }
                continue;
            }
            if first.eq_ignore_ascii_case("$TTL") {
                default_ttl = Some(
                    tokens
                        .next()
                        .and_then(|t| parse_ttl(&t.text))
                        .ok_or_else(|| file_problem(line, "bad $TTL", "$TTL 无效"))?,
                );
                continue;
            }
            if first.starts_with('$') {
                return Err(file_problem(
                    line,
                    "only $ORIGIN and $TTL directives are supported",
                    "只支持 $ORIGIN 和 $TTL 指令",
                ));
            }
            first.to_owned()
        };
        last_owner = Some(owner.clone());
        let mut ttl = None;
        let mut rtype = None;
        for t in tokens.by_ref() {
            if let Some(v) = parse_ttl(&t.text) {
                ttl = Some(v);
            } else if t.text.eq_ignore_ascii_case("IN") {
            } else {
                rtype = Some(t.text.as_str());
                break;
            }
        }
        let rtype = rtype.ok_or_else(|| file_problem(line, "no record type", "缺少记录类型"))?;
        let rest: Vec<&Token> = tokens.collect();
        if rtype.eq_ignore_ascii_case("SOA") {
            continue;
        }
        let relative_ns_apex = rtype.eq_ignore_ascii_case("NS")
            && (owner == "@" || owner.trim_end_matches('.').eq_ignore_ascii_case(zone));
        if relative_ns_apex {
            continue;
        }
        let kind = RecordType::parse(rtype).ok_or_else(|| {
            file_problem(
                line,
                &format!("unsupported record type {rtype}"),
                &format!("不支持的记录类型 {rtype}"),
            )
        })?;
        let (priority, rdata) = match kind {
            RecordType::Mx | RecordType::Srv => {
                let (p, rest) = rest
                    .split_first()
                    .ok_or_else(|| file_problem(line, "missing priority", "缺少优先级"))?;
                (
                    Some(
                        p.text
                            .parse::<i64>()
                            .map_err(|_| file_problem(line, "bad priority", "优先级无效"))?,
                    ),
                    rest,
                )
            }
            _ => (None, rest.as_slice()),
        };
        let value = match kind {
            RecordType::Txt => rdata.iter().map(|t| t.text.as_str()).collect::<String>(),
            RecordType::Caa => {
                let joined: Vec<String> = rdata
                    .iter()
                    .map(|t| {
                        if t.quoted {
                            format!("\"{}\"", t.text)
                        } else {
                            t.text.clone()
                        }
                    })
                    .collect();
                joined.join(" ")
            }
            _ => rdata
                .iter()
                .map(|t| t.text.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        };
        // Relative targets in a master file are relative to $ORIGIN.
        let value = match kind {
            RecordType::Cname | RecordType::Ns | RecordType::Mx => qualify(&value, zone),
            RecordType::Srv => {
                let mut parts: Vec<String> = value.split(' ').map(str::to_owned).collect();
                if let Some(target) = parts.get_mut(2) {
                    *target = qualify(target, zone);
                }
                parts.join(" ")
            }
            _ => value,
        };
        let owner_input = if owner == "@" || owner.ends_with('.') {
            owner.clone()
        } else {
            format!("{owner}.{zone}.")
        };
        let record = check_record(
            zone,
            &RecordInput {
                rtype,
                name: &owner_input,
                value: &value,
                ttl: ttl.or(default_ttl),
                priority,
            },
            ttl_policy,
        )
        .map_err(|p| DnsProblem {
            field: "zone",
            problem: crate::rules::Problem::new(
                p.problem.code,
                format!("line {line}: {}", p.problem.message),
                format!("第 {line} 行：{}", p.problem.message_zh),
            ),
        })?;
        records.push(record);
        if records.len() > super::MAX_RECORDS_PER_ZONE {
            return Err(file_problem(line, "too many records", "记录过多"));
        }
    }
    Ok(records)
}

fn qualify(name: &str, zone: &str) -> String {
    if name == "@" {
        format!("{zone}.")
    } else if name.ends_with('.') || name.is_empty() {
        name.to_owned()
    } else {
        format!("{name}.{zone}.")
    }
}

fn quote(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\{:03}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Renders a zone as a master file: `$ORIGIN`, `$TTL`, SOA, the apex NS, then the records in
/// the given order. Parsing the output gives the same records back.
pub fn render_zone_file(
    zone: &str,
    soa: &SoaFields,
    nameservers: &[String],
    records: &[Record],
) -> String {
    let mut out = String::with_capacity(128 + records.len() * 48);
    let _ = writeln!(out, "$ORIGIN {zone}.");
    let _ = writeln!(out, "$TTL {}", super::TtlPolicy::default().default);
    let [refresh, retry, expire, minimum] = soa.timers;
    let _ = writeln!(
        out,
        "@ 3600 IN SOA {}. {}. {} {refresh} {retry} {expire} {minimum}",
        soa.mname, soa.rname, soa.serial
    );
    for ns in nameservers {
        let _ = writeln!(out, "@ 3600 IN NS {ns}.");
    }
    for r in records {
        let _ = write!(out, "{} {} IN {} ", r.name, r.ttl, r.rtype);
        if let Some(p) = r.priority {
            let _ = write!(out, "{p} ");
        }
        match r.rtype {
            RecordType::Txt => {
                let mut first = true;
                // Split on character boundaries so each chunk stays valid UTF-8 text.
                let mut rest = r.value.as_str();
                if rest.is_empty() {
                    out.push_str("\"\"");
                }
                while !rest.is_empty() {
                    let mut cut = rest.len().min(super::TXT_CHUNK);
                    while !rest.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    if !first {
                        out.push(' ');
                    }
                    first = false;
                    quote(&rest[..cut], &mut out);
                    rest = &rest[cut..];
                }
            }
            RecordType::Caa => {
                if let Some((flags, tag, value)) = caa_parts(&r.value) {
                    let _ = write!(out, "{flags} {tag} ");
                    quote(value, &mut out);
                }
            }
            RecordType::Srv => {
                let (head, target) = r.value.rsplit_once(' ').unwrap_or(("", ""));
                let dot = if target == "." { "" } else { "." };
                let _ = write!(out, "{head} {target}{dot}");
            }
            RecordType::Cname | RecordType::Ns | RecordType::Mx => {
                let _ = write!(out, "{}.", r.value);
            }
            RecordType::A | RecordType::Aaaa => out.push_str(&r.value),
        }
        out.push('\n');
    }
    out
}
