use super::*;

#[test]
fn rejection_reports_all_messages() {
    let mut findings = Findings::new();
    findings.error(
        code::INVALID_DATE,
        "bad date".to_owned(),
        "日期无效".to_owned(),
    );
    findings.error(
        code::CHECKSUM_MISMATCH,
        "bad check".to_owned(),
        "校验码错误".to_owned(),
    );
    findings.warn(
        code::UNKNOWN_REGION,
        "odd region".to_owned(),
        "地区异常".to_owned(),
    );
    let rejection = findings.reject(Some("x".to_owned()));
    assert_eq!(rejection.to_string(), "bad date; bad check");
    assert!(rejection.has(code::CHECKSUM_MISMATCH));
    assert!(!rejection.has(code::UNKNOWN_REGION));
    assert_eq!(
        rejection.codes(),
        vec![code::INVALID_DATE, code::CHECKSUM_MISMATCH]
    );
    assert_eq!(rejection.warnings.len(), 1);
    assert_eq!(rejection.normalized.as_deref(), Some("x"));
    assert!(!rejection.manual_review_possible);
}

#[test]
fn rejection_is_never_empty() {
    let rejection = Findings::new().reject(None);
    assert_eq!(rejection.codes(), vec![code::INVALID_FORMAT]);
    assert_eq!(rejection.to_string(), "invalid input");
}

#[test]
fn finish_accepts_only_without_errors() {
    let mut findings = Findings::new();
    findings.warn(code::UNKNOWN_REGION, "odd".to_owned(), "异常".to_owned());
    let accepted = findings.finish("v".to_owned(), 7);
    assert_eq!(accepted.as_ref().map(|valid| valid.value), Ok(7));
    assert_eq!(accepted.map(|valid| valid.warnings.len()), Ok(1));

    let mut findings = Findings::new();
    findings.error(code::EMPTY, "empty".to_owned(), "空".to_owned());
    let refused = findings.finish("v".to_owned(), 7);
    assert_eq!(refused.err().map(|r| r.codes()), Some(vec![code::EMPTY]));
}

#[test]
fn problem_display() {
    let problem = Problem::new(code::EMPTY, "value is empty", "内容为空");
    assert_eq!(problem.to_string(), "EMPTY: value is empty");
    assert_eq!(
        Valid {
            value: 1,
            warnings: Vec::new()
        }
        .into_value(),
        1
    );
}

#[test]
fn helpers() {
    assert_eq!(fold_code_input(" １２ ３x\t"), "123x");
    assert!(is_han('中') && is_han('國') && is_han('〇') && is_han('々'));
    assert!(!is_han('a') && !is_han('あ') && !is_han('😀') && !is_han('，'));
    assert_eq!(show_char('\0'), "U+0000");
    assert_eq!(show_char('a'), "'a' (U+0061)");
}

#[test]
fn mask_middle_keeps_the_ends() {
    assert_eq!(mask_middle("E12345678", 2, 2), "E1*****78");
    assert_eq!(
        mask_middle("11010519491231002X", 4, 4),
        "1101**********002X"
    );
    assert_eq!(mask_middle("12345", 2, 2), "12*45");
    assert_eq!(mask_middle("1234", 2, 2), "****");
    assert_eq!(mask_middle("", 2, 2), "");
    assert_eq!(mask_middle("中文中文中", 2, 2), "中文*文中");
}
