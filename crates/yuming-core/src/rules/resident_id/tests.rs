use time::macros::date;

use super::*;
use crate::rules::test_support::{assert_well_formed, garbage, render, render_rejection};

const TODAY: Date = date!(2026 - 05 - 01);

fn check(input: &str, expect: &str) {
    let result = ResidentId::parse(input, TODAY);
    assert_well_formed(&result);
    assert_eq!(
        render(&result, |id| id.as_str().to_owned()),
        expect,
        "input: {input:?}"
    );
}

#[test]
fn spec_valid() {
    for number in [
        "360426199101010071",
        "44011320141005001X",
        "110102199101010078",
        "412723199010050012",
        "120110199212010072",
        "440308199901101512",
        "500154199804106120",
        "44040119580101000X",
        "810000199408230021",
        "830000199201300022",
        "52030219891209794X",
        "11010519491231002X",
        // Valid unless the county code is checked against its history
        // (strict mode in jxlwqq/id-validator.py), which we do not do.
        "500154199301135886",
    ] {
        check(number, &format!("ok {number}"));
    }
}

#[test]
fn spec_lowercase_x_is_normalised() {
    check("44011320141005001x", "ok 44011320141005001X");
    check(" 4401 1320 1410 0500 1x ", "ok 44011320141005001X");
    check(
        "４４０１１３２０１４１００５００１ｘ",
        "ok 44011320141005001X",
    );
}

#[test]
fn spec_invalid_checksum() {
    check("36042619910102009X", "err CHECKSUM_MISMATCH");
    check("440308199901101513", "err CHECKSUM_MISMATCH");
    check("52030219891209794Y", "err CHECKSUM_MISMATCH");
}

#[test]
fn spec_invalid_date() {
    check("360426199113010079", "err INVALID_DATE");
    // Feb 30; the check digit is wrong as well and both are reported.
    check("440308199902301512", "err INVALID_DATE,CHECKSUM_MISMATCH");
}

#[test]
fn spec_invalid_region() {
    check("990426199112010074", "err INVALID_REGION");
    // Prefecture 11 under Beijing does not exist; checksum is wrong too.
    check("111111199901101512", "err INVALID_REGION,CHECKSUM_MISMATCH");
}

#[test]
fn spec_invalid_format() {
    check("T60426199101010078", "err INVALID_FORMAT");
    check("44030819990110", "err INVALID_LENGTH");
    check("", "err EMPTY");
    check("3604261991010100中1", "err INVALID_FORMAT");
    check("36042619910101007", "err INVALID_LENGTH");
    check("3604261991010100711", "err INVALID_LENGTH");
}

#[test]
fn birth_date_bounds_use_today() {
    let body = "11010518991231002";
    let number = format!("{body}{}", check_char(body).unwrap_or('0'));
    check(&number, "err INVALID_DATE");
    let body = "11010520260501002";
    let number = format!("{body}{}", check_char(body).unwrap_or('0'));
    check(&number, &format!("ok {number}"));
    let body = "11010520260502002";
    let number = format!("{body}{}", check_char(body).unwrap_or('0'));
    check(&number, "err INVALID_DATE");
    // The same number is fine a day later: "today" is a parameter.
    let later = ResidentId::parse(&number, date!(2026 - 05 - 02));
    assert!(later.is_ok(), "{later:?}");
}

#[test]
fn permits_need_whole_region_codes() {
    let body = "81000119940823002";
    let number = format!("{body}{}", check_char(body).unwrap_or('0'));
    check(&number, "err INVALID_REGION");
    let body = "71000019940823002";
    let number = format!("{body}{}", check_char(body).unwrap_or('0'));
    check(&number, "err INVALID_REGION");
}

#[test]
fn prefecture_digits() {
    // 469001 (五指山市, directly under Hainan) uses prefecture 90.
    for (body, expect_ok) in [
        ("46900119800101001", true),
        ("46000119800101001", true),
        ("50030119800101001", true),
        ("50040119800101001", false),
        ("44710119800101001", false),
        ("44910119800101001", false),
    ] {
        let number = format!("{body}{}", check_char(body).unwrap_or('0'));
        let result = ResidentId::parse(&number, TODAY);
        assert_eq!(result.is_ok(), expect_ok, "{number}: {result:?}");
    }
}

#[test]
fn spec_legacy_15_upgrade() {
    assert_eq!(
        upgrade_legacy("610104620927690").ok(),
        Some("610104196209276908".to_owned())
    );
    check(
        "610104620927690",
        "ok 610104196209276908 warn LEGACY_ID_UPGRADED",
    );
    check("61010462092769X", "err INVALID_FORMAT");
    // The upgraded number is validated like any other: month 13.
    check(
        "610104621327690",
        "err INVALID_DATE warn LEGACY_ID_UPGRADED",
    );
    let rejection = upgrade_legacy("61010462092769").err();
    assert_eq!(
        rejection.as_ref().map(render_rejection),
        Some("err INVALID_FORMAT".to_owned())
    );
    assert_eq!(
        upgrade_legacy("").err().map(|r| r.codes()),
        Some(vec![code::EMPTY])
    );
}

#[test]
fn worked_example_check_char() {
    // Spec §2.1: S = 167, 167 mod 11 = 2 -> X.
    assert_eq!(check_char("11010519491231002"), Some('X'));
    assert_eq!(check_char("1101051949123100"), None);
    assert_eq!(check_char("1101051949123100a"), None);
    assert_eq!(check_char("１１０１０５１９４９１２３１００２"), None);
}

#[test]
fn details() {
    let parsed = ResidentId::parse("11010519491231002X", TODAY).map(|valid| valid.value);
    let Ok(id) = parsed else {
        panic!("vector must parse: {parsed:?}");
    };
    assert_eq!(id.birth_date(), date!(1949 - 12 - 31));
    assert_eq!(id.sex(), Sex::Female);
    assert_eq!(id.province_code(), 11);
    assert_eq!(id.province().map(|p| p.name_zh), Some("北京"));
    assert_eq!(id.region_code(), "110105");
    assert_eq!(id.kind(), ResidentIdKind::Mainland);
    assert_eq!(id.mask(), "1101**********002X");
    assert_eq!(id.to_string(), "11010519491231002X");
    assert_eq!(format!("{id:?}"), "ResidentId(\"1101**********002X\")");
    assert_eq!(id.age_on(date!(2026 - 05 - 01)), 76);
    assert_eq!(id.age_on(date!(1950 - 12 - 30)), 0);
    assert_eq!(id.age_on(date!(1950 - 12 - 31)), 1);

    let male = ResidentId::parse("360426199101010071", TODAY).map(|valid| valid.value.sex());
    assert_eq!(male.ok(), Some(Sex::Male));

    for (number, kind) in [
        ("810000199408230021", ResidentIdKind::HongKongPermit),
        ("830000199201300022", ResidentIdKind::TaiwanPermit),
    ] {
        let parsed = ResidentId::parse(number, TODAY).map(|valid| valid.value);
        assert_eq!(parsed.as_ref().map(|id| id.kind()), Ok(kind));
        assert_eq!(parsed.map(|id| id.province()), Ok(None));
    }
    let body = "82000019940823002";
    let number = format!("{body}{}", check_char(body).unwrap_or('0'));
    let macau = ResidentId::parse(&number, TODAY).map(|valid| valid.value.kind());
    assert_eq!(macau.ok(), Some(ResidentIdKind::MacauPermit));
}

#[test]
fn mask_any_length() {
    assert_eq!(mask("11010519491231002X"), "1101**********002X");
    assert_eq!(mask("610104620927690"), "6101*******7690");
    assert_eq!(mask("12345678"), "********");
    assert_eq!(mask(""), "");
    assert_eq!(mask("中文中文中文中文中"), "中文中文*文中文中");
}

#[test]
fn messages_do_not_echo_the_number() {
    let rejection = ResidentId::parse("36042619910102009X", TODAY).err();
    let problems = rejection.map(|r| r.problems).unwrap_or_default();
    assert!(!problems.is_empty());
    for problem in problems {
        assert!(!problem.message.contains("36042619910102009"));
        assert!(!problem.message_zh.contains("36042619910102009"));
    }
}

#[test]
fn garbage_never_panics() {
    for input in garbage() {
        assert_well_formed(&ResidentId::parse(&input, TODAY));
        let _ = upgrade_legacy(&input);
        let _ = check_char(&input);
        let _ = mask(&input);
    }
}
