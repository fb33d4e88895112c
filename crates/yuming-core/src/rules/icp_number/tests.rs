use time::macros::date;

use super::*;
use crate::rules::test_support::{assert_well_formed, garbage, render, render_rejection};

const TODAY: Date = date!(2026 - 05 - 01);

fn check(input: &str, expect: &str) {
    let result = IcpNumber::parse(input, IcpParseOptions::strict(TODAY));
    assert_well_formed(&result);
    let shown = render(&result, |number| format!("{} {number}", number.kind()));
    assert_eq!(shown, expect, "input: {input:?}");
}

fn check_lenient(input: &str, expect: &str) {
    let result = IcpNumber::parse(input, IcpParseOptions::lenient(TODAY));
    assert_well_formed(&result);
    let shown = render(&result, |number| format!("{} {number}", number.kind()));
    assert_eq!(shown, expect, "input: {input:?}");
}

fn check_psb(input: &str, expect: &str) {
    let result = PsbNumber::parse(input);
    assert_well_formed(&result);
    let shown = render(&result, |number| {
        format!(
            "{number} {} {}",
            number.province().name_zh,
            number.region_code()
        )
    });
    assert_eq!(shown, expect, "input: {input:?}");
}

#[test]
fn spec_valid_filing_numbers() {
    for number in [
        "京ICP备12345678号",
        "京ICP备12345678号-1",
        "京ICP备2022005355号",
        "京ICP备16020626号-8",
        "蜀ICP备2022009836号",
        "滇ICP备2023001289号-1",
        "陇ICP备2020003856号",
        "黔ICP备2026002589号-1",
        "蜀ICP备20016559号-9",
    ] {
        check(number, &format!("ok ICP_FILING {number}"));
    }
}

#[test]
fn spec_invalid_filing_numbers() {
    check("川ICP备2022009836号", "err INVALID_PREFIX");
    check("京ICP备1234567号", "err INVALID_LENGTH");
    check("京ICP备12345678", "err INVALID_FORMAT");
    check("京ICP备12345678号-0", "err INVALID_SITE_NUMBER");
}

#[test]
fn spec_other_types() {
    check("京ICP证070791号", "ok ICP_LICENCE 京ICP证070791号");
    check("京ICP证030173号-1", "ok ICP_LICENCE 京ICP证030173号-1");
    check("粤B2-20090059-5", "ok VAT_LICENCE 粤B2-20090059-5");
    check("粤B2-20090059", "ok VAT_LICENCE 粤B2-20090059");
    check("浙B2-20080224-1", "ok VAT_LICENCE 浙B2-20080224-1");
    check("合字B2-20090004", "ok VAT_LICENCE 合字B2-20090004");
    check("川B2-20090004", "ok VAT_LICENCE 川B2-20090004");
}

#[test]
fn filing_parts() {
    let parsed = IcpFilingNumber::parse("京ICP备16020626号-8", IcpParseOptions::strict(TODAY))
        .map(|valid| valid.value);
    let Ok(number) = parsed else {
        panic!("vector must parse: {parsed:?}");
    };
    assert_eq!(number.province().name_zh, "北京");
    assert_eq!(number.sequence(), "16020626");
    assert!(number.is_legacy_sequence());
    assert_eq!(number.year(), None);
    assert_eq!(number.site(), Some(8));
    assert_eq!(number.subject_number(), "京ICP备16020626号");
    assert_eq!(
        number.with_site(None).map(|n| n.to_string()),
        Ok("京ICP备16020626号".to_owned())
    );
    assert!(number.with_site(Some(0)).is_err());

    let parsed = IcpFilingNumber::parse("滇ICP备2023001289号-1", IcpParseOptions::strict(TODAY))
        .map(|valid| valid.value);
    assert_eq!(parsed.as_ref().map(|n| n.year()), Ok(Some(2023)));
    assert_eq!(parsed.as_ref().map(|n| n.province().code), Ok(53));
    assert_eq!(parsed.map(|n| n.is_legacy_sequence()), Ok(false));
}

#[test]
fn filing_parse_refuses_other_types() {
    let options = IcpParseOptions::strict(TODAY);
    for input in [
        "京ICP证070791号",
        "粤B2-20090059-5",
        "京公网安备11010502030143号",
    ] {
        let result = IcpFilingNumber::parse(input, options);
        assert_well_formed(&result);
        assert_eq!(
            result.err().map(|r| render_rejection(&r)),
            Some("err WRONG_NUMBER_TYPE".to_owned()),
            "{input}"
        );
    }
}

#[test]
fn year_of_ten_digit_sequences() {
    check("京ICP备2026000001号", "ok ICP_FILING 京ICP备2026000001号");
    check("京ICP备2027000001号", "err INVALID_YEAR");
    check("京ICP备1999000001号", "err INVALID_YEAR");
    // The year bound moves with "today".
    let next_year = IcpNumber::parse(
        "京ICP备2027000001号",
        IcpParseOptions::strict(date!(2027 - 01 - 01)),
    );
    assert!(next_year.is_ok(), "{next_year:?}");
}

#[test]
fn normalisation() {
    check("京icp备12345678号-1", "ok ICP_FILING 京ICP备12345678号-1");
    check(
        " 京ICP备 12345678号 - 1 ",
        "ok ICP_FILING 京ICP备12345678号-1",
    );
    check(
        "京ＩＣＰ备１２３４５６７８号－１",
        "ok ICP_FILING 京ICP备12345678号-1",
    );
}

#[test]
fn malformed_filing_numbers() {
    check("", "err EMPTY");
    check("ICP备12345678号", "err INVALID_PREFIX");
    check("X", "err INVALID_FORMAT");
    check("京ICP备号", "err INVALID_LENGTH");
    check("京ICP备12345678号-", "err INVALID_FORMAT");
    check("京ICP备12345678号-01", "err INVALID_SITE_NUMBER");
    check("京ICP备12345678号-99999999999", "err INVALID_SITE_NUMBER");
    check("京ICP备12345678号1", "err INVALID_FORMAT");
    check("京ICP备12345678号-1号", "err INVALID_FORMAT");
    check("京ICP备12345678号-1-2", "err INVALID_FORMAT");
    check("港ICP备12345678号", "err INVALID_PREFIX");
    check("川ICP备1234567号", "err INVALID_PREFIX,INVALID_LENGTH");
    check("京ICP备2022A05355号", "err INVALID_FORMAT");
    check("京ICP证07079号", "err INVALID_LENGTH");
    check("粤B3-20090059", "err INVALID_FORMAT");
    check("粤B2-2009005", "err INVALID_LENGTH");
    check("粤B2-20090059-0", "err INVALID_SITE_NUMBER");
    check("粤B2-20090059-", "err INVALID_FORMAT");
    check("京公网安备11010502030143号", "err WRONG_NUMBER_TYPE");
}

#[test]
fn legacy_policy() {
    check("滇ICP备09010050-5号", "err INVALID_FORMAT");
    check_lenient(
        "滇ICP备09010050-5号",
        "ok ICP_FILING 滇ICP备09010050号-5 warn NONSTANDARD_FORMAT",
    );
    check_lenient(
        "川ICP备2022009836号",
        "ok ICP_FILING 蜀ICP备2022009836号 warn NONSTANDARD_PREFIX",
    );
    check_lenient(
        "甘ICP备2020003856号",
        "ok ICP_FILING 陇ICP备2020003856号 warn NONSTANDARD_PREFIX",
    );
    check_lenient(
        "云ICP备2023001289号-1",
        "ok ICP_FILING 滇ICP备2023001289号-1 warn NONSTANDARD_PREFIX",
    );
    check_lenient(
        "贵ICP备2026002589号-1",
        "ok ICP_FILING 黔ICP备2026002589号-1 warn NONSTANDARD_PREFIX",
    );
    // Lenient parsing still refuses what is simply wrong.
    check_lenient("京ICP备12345678号-0", "err INVALID_SITE_NUMBER");
    check_lenient("港ICP备12345678号", "err INVALID_PREFIX");
}

#[test]
fn from_parts() {
    let sichuan = province::by_code(51);
    let Some(sichuan) = sichuan else {
        panic!("Sichuan is in the table");
    };
    let number = IcpFilingNumber::from_parts(sichuan, 2022, 9836, None, TODAY);
    assert_eq!(
        number.map(|n| n.to_string()),
        Ok("蜀ICP备2022009836号".to_owned())
    );
    let number = IcpFilingNumber::from_parts(sichuan, 2022, 9836, Some(3), TODAY);
    assert_eq!(
        number.map(|n| n.to_string()),
        Ok("蜀ICP备2022009836号-3".to_owned())
    );
    let number = IcpFilingNumber::from_parts(sichuan, 1999, 1, None, TODAY);
    assert_eq!(number.map_err(|r| r.codes()), Err(vec![code::INVALID_YEAR]));
    let number = IcpFilingNumber::from_parts(sichuan, 2027, 1_000_000, Some(0), TODAY);
    assert_eq!(
        number.map_err(|r| r.codes()),
        Err(vec![
            code::INVALID_YEAR,
            code::INVALID_LENGTH,
            code::INVALID_SITE_NUMBER
        ])
    );
    // Every formatted number parses back to itself.
    for province in &PROVINCES {
        let number = IcpFilingNumber::from_parts(province, 2024, 123, Some(2), TODAY);
        let text = number.as_ref().map(|n| n.to_string()).unwrap_or_default();
        let reparsed = IcpFilingNumber::parse(&text, IcpParseOptions::strict(TODAY));
        assert_eq!(reparsed.map(|valid| valid.value), number, "{text}");
    }
}

#[test]
fn spec_psb_valid() {
    check_psb(
        "京公网安备11010502030143号",
        "ok 京公网安备11010502030143号 北京 110105",
    );
    check_psb(
        "川公网安备51010802033094号",
        "ok 川公网安备51010802033094号 四川 510108",
    );
    check_psb(
        "甘公网安备 62090202000584号",
        "ok 甘公网安备62090202000584号 甘肃 620902",
    );
    check_psb(
        "黔公网安备52011102000668号",
        "ok 黔公网安备52011102000668号 贵州 520111",
    );
    check_psb(
        "粤公网安备44030502008569号",
        "ok 粤公网安备44030502008569号 广东 440305",
    );
    check_psb(
        "云公网安备53010202000001号",
        "ok 云公网安备53010202000001号 云南 530102",
    );
    check_psb(
        "滇公网安备53010202000001号",
        "ok 滇公网安备53010202000001号 云南 530102",
    );
}

#[test]
fn spec_psb_region_mismatch_warns() {
    check_psb(
        "黔公网安备33010802007421号",
        "ok 黔公网安备33010802007421号 贵州 330108 warn REGION_PREFIX_MISMATCH",
    );
    check_psb(
        "黔公网安备 33010802007421号",
        "ok 黔公网安备33010802007421号 贵州 330108 warn REGION_PREFIX_MISMATCH",
    );
}

#[test]
fn spec_psb_invalid() {
    check_psb("甘公网安备 235487154313号", "err INVALID_LENGTH");
    check_psb("", "err EMPTY");
    check_psb("公网安备11010502030143号", "err INVALID_PREFIX");
    check_psb("蜀公网安备51010802033094号", "err INVALID_PREFIX");
    check_psb("京公网安备11010502030143", "err INVALID_FORMAT");
    check_psb("京公网安备11010502030143号-1", "err INVALID_FORMAT");
    check_psb("京公网安备99010502030143号", "err INVALID_REGION");
    check_psb("京ICP备12345678号", "err INVALID_FORMAT");
}

#[test]
fn prefix_hint_names_the_right_prefix() {
    let rejection = PsbNumber::parse("蜀公网安备51010802033094号").err();
    let message = rejection
        .and_then(|r| r.problems.first().map(|p| p.message.clone()))
        .unwrap_or_default();
    assert!(message.contains("Sichuan uses 川"), "{message}");
    let rejection = IcpNumber::parse("川ICP备2022009836号", IcpParseOptions::strict(TODAY)).err();
    let message = rejection
        .and_then(|r| r.problems.first().map(|p| p.message_zh.clone()))
        .unwrap_or_default();
    assert!(message.contains("蜀"), "{message}");
}

#[test]
fn garbage_never_panics() {
    for input in garbage() {
        assert_well_formed(&IcpNumber::parse(&input, IcpParseOptions::strict(TODAY)));
        assert_well_formed(&IcpNumber::parse(&input, IcpParseOptions::lenient(TODAY)));
        assert_well_formed(&IcpFilingNumber::parse(
            &input,
            IcpParseOptions::strict(TODAY),
        ));
        assert_well_formed(&PsbNumber::parse(&input));
        for prefix in ["京ICP备", "京ICP证", "粤B2-", "京公网安备", "合字B2-"] {
            let input = format!("{prefix}{input}");
            assert_well_formed(&IcpNumber::parse(&input, IcpParseOptions::lenient(TODAY)));
            assert_well_formed(&PsbNumber::parse(&input));
        }
    }
}
