use super::*;
use crate::rules::test_support::{assert_well_formed, garbage, render};

fn check(input: &str, expect: &str) {
    let result = OrgCode::parse(input);
    assert_well_formed(&result);
    assert_eq!(
        render(&result, |org| org.hyphenated()),
        expect,
        "input: {input:?}"
    );
}

#[test]
fn spec_check_char_vectors() {
    // Spec §6 `org_code_check`.
    for (body, expected) in [
        ("60003734", '1'),
        ("MA1MRHG2", '0'),
        ("71788327", '7'),
        ("M0001TGQ", 'X'),
    ] {
        assert_eq!(check_char(body), Some(expected), "body {body}");
    }
}

#[test]
fn check_char_rejects_bad_bodies() {
    assert_eq!(check_char(""), None);
    assert_eq!(check_char("6000373"), None);
    assert_eq!(check_char("600037341"), None);
    assert_eq!(check_char("6000373a"), None);
    assert_eq!(check_char("中0003734"), None);
}

#[test]
fn valid_codes() {
    check("60003734-1", "ok 60003734-1");
    check("600037341", "ok 60003734-1");
    check(" 60003734 - 1 ", "ok 60003734-1");
    check("ma1mrhg2-0", "ok MA1MRHG2-0");
    check("71788327-7", "ok 71788327-7");
    check("M0001TGQ-X", "ok M0001TGQ-X");
    check("ｍ０００１ＴＧＱ－Ｘ", "ok M0001TGQ-X");
}

#[test]
fn invalid_codes() {
    check("", "err EMPTY");
    check("   ", "err EMPTY");
    check("60003734-2", "err CHECKSUM_MISMATCH review");
    check("M0001TGQ-0", "err CHECKSUM_MISMATCH review");
    check("6000373-41", "err INVALID_LENGTH");
    check("60003734-", "err INVALID_CHARSET");
    check("6000-3734-1", "err INVALID_LENGTH");
    check("6000_3734", "err INVALID_CHARSET");
    check("60003734-A", "err INVALID_CHARSET");
    check("6000中734-1", "err INVALID_CHARSET");
}

#[test]
fn display_is_hyphenated() {
    let parsed = OrgCode::parse("600037341").map(|valid| valid.value);
    assert_eq!(parsed.as_ref().map(|org| org.as_str()), Ok("600037341"));
    assert_eq!(
        parsed.map(|org| org.to_string()),
        Ok("60003734-1".to_owned())
    );
}

#[test]
fn garbage_never_panics() {
    for input in garbage() {
        assert_well_formed(&OrgCode::parse(&input));
        let _ = check_char(&input);
    }
}
