//! Bank transfers (对公转账): the reference a customer writes in the transfer's memo, and the
//! bank statement (CSV) finance imports to match transfers against. Pure rules.
//!
//! A reference is `YM`, eight Crockford base-32 characters and a Luhn mod 32 check
//! character, so that a mistyped reference in a memo matches nothing rather than another
//! customer's transfer.

use crate::money::{Currency, Money};
use crate::payments::parse_decimal_amount;

/// Crockford's base-32 alphabet (no I, L, O, U).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// The prefix of every reference.
pub const REFERENCE_PREFIX: &str = "YM";
/// Characters after the prefix: eight of body, one check.
const BODY_LEN: usize = 8;
/// Most lines in one statement.
pub const MAX_STATEMENT_LINES: usize = 10_000;

fn value_of(c: u8) -> Option<u32> {
    ALPHABET
        .iter()
        .position(|&a| a == c)
        .and_then(|p| u32::try_from(p).ok())
}

/// The Luhn mod 32 check character of `body` (characters of [`ALPHABET`]).
fn check_char(body: &[u8]) -> Option<u8> {
    let mut factor = 2;
    let mut sum = 0;
    for &c in body.iter().rev() {
        let addend = factor * value_of(c)?;
        factor = if factor == 2 { 1 } else { 2 };
        sum += addend / 32 + addend % 32;
    }
    let check = (32 - sum % 32) % 32;
    ALPHABET.get(usize::try_from(check).ok()?).copied()
}

/// A new reference from eight random bytes.
pub fn new_reference(random: [u8; BODY_LEN]) -> String {
    let body: Vec<u8> = random
        .iter()
        .map(|b| ALPHABET[usize::from(b % 32)])
        .collect();
    let check = check_char(&body).unwrap_or(b'0');
    let mut reference = String::from(REFERENCE_PREFIX);
    reference.extend(body.iter().map(|&b| char::from(b)));
    reference.push(char::from(check));
    reference
}

/// Whether `candidate` (upper case) is a well-formed reference with a correct check.
pub fn is_reference(candidate: &str) -> bool {
    let Some(rest) = candidate.strip_prefix(REFERENCE_PREFIX) else {
        return false;
    };
    let bytes = rest.as_bytes();
    if bytes.len() != BODY_LEN + 1 {
        return false;
    }
    let (body, check) = bytes.split_at(BODY_LEN);
    check_char(body).is_some_and(|c| c == check[0])
}

/// The first valid reference in a memo, whatever the case and whatever surrounds it
/// (banks add their own words, spaces and punctuation).
pub fn find_reference(memo: &str) -> Option<String> {
    let upper: Vec<char> = memo.to_uppercase().chars().collect();
    let width = REFERENCE_PREFIX.len() + BODY_LEN + 1;
    if upper.len() < width {
        return None;
    }
    (0..=upper.len() - width)
        .map(|start| upper[start..start + width].iter().collect::<String>())
        .find(|candidate| is_reference(candidate))
}

/// One credit line of a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    /// 1-based line number in the file (after the header).
    pub line: usize,
    /// The bank's transaction id (unique per account).
    pub txn_id: String,
    /// The booking date as given.
    pub booked_on: String,
    /// What came in.
    pub amount: Money,
    /// The payer's account name.
    pub payer_name: String,
    /// The payer's account number.
    pub payer_account: String,
    /// The memo (附言/摘要), where the reference should be.
    pub memo: String,
}

/// Why a statement cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementError {
    /// No header line.
    Empty,
    /// The header lacks a column (its accepted names are given).
    MissingColumn(&'static str),
    /// A line is malformed.
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        why: String,
    },
    /// More than [`MAX_STATEMENT_LINES`] lines.
    TooLong,
}

impl std::fmt::Display for StatementError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StatementError::Empty => write!(f, "the statement is empty"),
            StatementError::MissingColumn(names) => {
                write!(f, "the header has no column {names}")
            }
            StatementError::Line { line, why } => write!(f, "line {line}: {why}"),
            StatementError::TooLong => {
                write!(f, "a statement has at most {MAX_STATEMENT_LINES} lines")
            }
        }
    }
}

/// Splits CSV text (RFC 4180: quoted fields may hold commas, quotes and line breaks) into
/// records; blank lines are skipped.
pub fn csv_records(text: &str) -> Result<Vec<(usize, Vec<String>)>, StatementError> {
    let mut records = Vec::new();
    let mut field = String::new();
    let mut record: Vec<String> = Vec::new();
    let mut in_quotes = false;
    let mut line = 1;
    let mut record_line = 1;
    let mut chars = text.trim_start_matches('\u{feff}').chars().peekable();
    while let Some(c) = chars.next() {
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                '\n' => {
                    line += 1;
                    field.push(c);
                }
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' if field.is_empty() => in_quotes = true,
            ',' => record.push(std::mem::take(&mut field)),
            '\r' => {}
            '\n' => {
                record.push(std::mem::take(&mut field));
                if record.iter().any(|f| !f.trim().is_empty()) {
                    records.push((record_line, std::mem::take(&mut record)));
                } else {
                    record.clear();
                }
                line += 1;
                record_line = line;
                if records.len() > MAX_STATEMENT_LINES + 1 {
                    return Err(StatementError::TooLong);
                }
            }
            _ => field.push(c),
        }
    }
    if in_quotes {
        return Err(StatementError::Line {
            line: record_line,
            why: "a quoted field is not closed".into(),
        });
    }
    record.push(field);
    if record.iter().any(|f| !f.trim().is_empty()) {
        records.push((record_line, record));
    }
    if records.len() > MAX_STATEMENT_LINES + 1 {
        return Err(StatementError::TooLong);
    }
    Ok(records)
}

const TXN_ID: &[&str] = &["txn_id", "交易流水号", "流水号", "交易编号"];
const BOOKED_ON: &[&str] = &["booked_on", "交易日期", "记账日期", "日期"];
const AMOUNT: &[&str] = &["amount", "贷方金额", "收入金额", "入账金额"];
const PAYER_NAME: &[&str] = &["payer_name", "对方户名", "付款人名称", "对方名称"];
const PAYER_ACCOUNT: &[&str] = &["payer_account", "对方账号", "付款人账号"];
const MEMO: &[&str] = &["memo", "附言", "摘要", "用途", "备注"];

fn column(header: &[String], names: &[&str], label: &'static str) -> Result<usize, StatementError> {
    header
        .iter()
        .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
        .ok_or(StatementError::MissingColumn(label))
}

/// Reads a statement: a header naming the columns (English or the usual Chinese bank
/// names), then one line per movement. Debits and empty credits are left out; amounts are
/// yuan with up to two decimals, thousands separators allowed.
pub fn parse_statement(text: &str) -> Result<Vec<StatementLine>, StatementError> {
    let records = csv_records(text)?;
    let Some(((_, header), rows)) = records.split_first() else {
        return Err(StatementError::Empty);
    };
    let txn = column(header, TXN_ID, "txn_id (交易流水号)")?;
    let booked = column(header, BOOKED_ON, "booked_on (交易日期)")?;
    let amount = column(header, AMOUNT, "amount (贷方金额)")?;
    let payer_name = column(header, PAYER_NAME, "payer_name (对方户名)")?;
    let payer_account = column(header, PAYER_ACCOUNT, "payer_account (对方账号)")?;
    let memo = column(header, MEMO, "memo (附言)")?;
    let mut lines = Vec::with_capacity(rows.len());
    for (line, record) in rows {
        let cell = |i: usize| record.get(i).map(|c| c.trim()).unwrap_or_default();
        let text = cell(amount).replace([',', '¥', '￥', ' '], "");
        // Empty: a debit line in a statement with separate debit and credit columns;
        // negative: a debit in a statement with one signed amount column.
        if text.is_empty() || text.starts_with('-') {
            continue;
        }
        let money =
            parse_decimal_amount(&text, Currency::Cny).map_err(|_| StatementError::Line {
                line: *line,
                why: format!("the amount {text:?} is not a sum in yuan"),
            })?;
        if !money.is_positive() {
            continue;
        }
        let txn_id = cell(txn);
        if txn_id.is_empty() || txn_id.chars().count() > 64 {
            return Err(StatementError::Line {
                line: *line,
                why: "the transaction id is empty or longer than 64 characters".into(),
            });
        }
        let bounded = |s: &str| {
            s.chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect::<String>()
        };
        lines.push(StatementLine {
            line: *line,
            txn_id: txn_id.to_owned(),
            booked_on: bounded(cell(booked)),
            amount: money,
            payer_name: bounded(cell(payer_name)),
            payer_account: bounded(cell(payer_account)),
            memo: bounded(cell(memo)),
        });
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_carry_a_check_character() {
        let reference = new_reference([0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(reference.len(), 11);
        assert!(is_reference(&reference), "{reference}");
        // Every single-character change is caught.
        let bytes = reference.as_bytes();
        for position in 2..bytes.len() {
            for &replacement in ALPHABET {
                if replacement == bytes[position] {
                    continue;
                }
                let mut changed = bytes.to_vec();
                changed[position] = replacement;
                let changed = String::from_utf8(changed).unwrap();
                assert!(!is_reference(&changed), "{changed} passed");
            }
        }
        // Adjacent swaps of different characters are caught too.
        let swapped: String = {
            let mut b = bytes.to_vec();
            b.swap(3, 4);
            String::from_utf8(b).unwrap()
        };
        assert!(bytes[3] == bytes[4] || !is_reference(&swapped));
        assert!(!is_reference("YM123"));
        assert!(!is_reference("XX0123456789"));
    }

    #[test]
    fn references_are_found_in_memos() {
        let reference = new_reference([9, 8, 7, 6, 5, 4, 3, 2]);
        let memo = format!("货款 {} 深圳某某公司", reference.to_lowercase());
        assert_eq!(find_reference(&memo), Some(reference.clone()));
        assert_eq!(find_reference("转账"), None);
        let mut typo = reference.clone().into_bytes();
        typo[5] = if typo[5] == b'0' { b'1' } else { b'0' };
        assert_eq!(find_reference(&String::from_utf8(typo).unwrap()), None);
    }

    #[test]
    fn csv_with_quotes_and_line_breaks() {
        let records = csv_records("a,b\r\n\"x, y\",\"say \"\"hi\"\"\nthere\"\n\n1,2").unwrap();
        assert_eq!(records.len(), 3);
        assert_eq!(
            records[1].1,
            vec!["x, y".to_owned(), "say \"hi\"\nthere".to_owned()]
        );
        assert_eq!(records[2].0, 5);
        assert!(matches!(
            csv_records("a,\"b"),
            Err(StatementError::Line { line: 1, .. })
        ));
    }

    #[test]
    fn statements_in_chinese_or_english_columns() {
        let text = "交易流水号,交易日期,借方金额,贷方金额,对方户名,对方账号,附言\n\
                    T1,2026-12-01,,\"1,234.50\",某某科技有限公司,6222000011112222,YM00000000X\n\
                    T2,2026-12-01,300.00,,本公司,1,手续费\n\
                    T3,2026-12-02,,88,张三,6222,\n";
        let lines = parse_statement(text).unwrap();
        assert_eq!(lines.len(), 2, "the debit is left out");
        assert_eq!(lines[0].amount, Money::new(123_450, Currency::Cny));
        assert_eq!(lines[0].payer_name, "某某科技有限公司");
        assert_eq!(lines[1].txn_id, "T3");
        assert_eq!(lines[1].line, 4);
        let english =
            "txn_id,booked_on,amount,payer_name,payer_account,memo\nA,2026-12-01,10.00,X,1,m\n";
        assert_eq!(parse_statement(english).unwrap().len(), 1);
        assert_eq!(
            parse_statement("txn_id,amount\n"),
            Err(StatementError::MissingColumn("booked_on (交易日期)"))
        );
        assert!(matches!(
            parse_statement(
                "txn_id,booked_on,amount,payer_name,payer_account,memo\nA,d,12.345,X,1,m\n"
            ),
            Err(StatementError::Line { line: 2, .. })
        ));
        assert_eq!(parse_statement(""), Err(StatementError::Empty));
    }
}
