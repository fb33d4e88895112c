use super::*;
use crate::rules::test_support::{assert_well_formed, garbage, render};

const UNIT: SiteNameContext<'static> = SiteNameContext {
    owner: SiteOwner::Unit,
    unit_name: None,
    sensitive_words: &DEFAULT_SENSITIVE_WORDS,
};

const PERSON: SiteNameContext<'static> = SiteNameContext {
    owner: SiteOwner::Personal,
    unit_name: None,
    sensitive_words: &DEFAULT_SENSITIVE_WORDS,
};

const NATIONAL: SiteNameContext<'static> = SiteNameContext {
    owner: SiteOwner::NationalUnit,
    unit_name: None,
    sensitive_words: &DEFAULT_SENSITIVE_WORDS,
};

fn check_in(context: &SiteNameContext<'_>, input: &str, expect: &str) {
    let result = SiteName::parse(input, context);
    assert_well_formed(&result);
    assert_eq!(
        render(&result, |name| name.as_str().to_owned()),
        expect,
        "input: {input:?}"
    );
}

fn check(input: &str, expect: &str) {
    check_in(&UNIT, input, expect);
}

#[test]
fn spec_vectors() {
    let alibaba = SiteNameContext {
        unit_name: Some("阿里云计算有限公司"),
        ..UNIT
    };
    check_in(&alibaba, "阿里云官网", "ok 阿里云官网");
    check("12345", "err DIGITS_ONLY");
    check("MySite", "err LETTERS_ONLY");
    check("中国科技网", "err FORBIDDEN_PREFIX");
    check("ab", "err INVALID_LENGTH,LETTERS_ONLY");
}

#[test]
fn length() {
    check("", "err EMPTY");
    check("  ", "err EMPTY");
    check("云计", "err INVALID_LENGTH");
    check("云计算", "ok 云计算");
    check(" 云计算 ", "ok 云计算");
    check(&"云".repeat(100), &format!("ok {}", "云".repeat(100)));
    check(&"云".repeat(101), "err INVALID_LENGTH");
    check("12", "err INVALID_LENGTH,DIGITS_ONLY");
}

#[test]
fn charset() {
    check("abc123", "ok abc123");
    check("云计算123", "ok 云计算123");
    check("ＭｙＳｉｔｅ", "err LETTERS_ONLY");
    check("１２３４５", "err DIGITS_ONLY");
    check("我的网站!", "err INVALID_CHARSET");
    check("我的 网站", "err INVALID_CHARSET");
    check("我的网站😀", "err INVALID_CHARSET");
    check("我的·网站", "err INVALID_CHARSET");
    check("我的网站\u{0}", "err INVALID_CHARSET");
    check("わたしのサイト", "err INVALID_CHARSET");
}

#[test]
fn reserved_prefixes() {
    // No sensitive words here: 反腐 is both a prefix and a default word.
    let unit = SiteNameContext {
        sensitive_words: &[],
        ..UNIT
    };
    let person = SiteNameContext {
        sensitive_words: &[],
        ..PERSON
    };
    let national = SiteNameContext {
        sensitive_words: &[],
        ..NATIONAL
    };
    for prefix in RESERVED_PREFIXES {
        let name = format!("{prefix}科技网");
        check_in(&unit, &name, "err FORBIDDEN_PREFIX");
        check_in(&person, &name, "err FORBIDDEN_PREFIX");
        check_in(&national, &name, &format!("ok {name}"));
    }
    // Traditional spelling hits the same rule.
    check("中國科技網", "err FORBIDDEN_PREFIX");
    // Only a prefix is reserved, not the word anywhere.
    check("科技中国网", "ok 科技中国网");
}

#[test]
fn sensitive_words() {
    check("反腐科技网", "err SENSITIVE_WORD,FORBIDDEN_PREFIX");
    check("在线赌博网", "err SENSITIVE_WORD");
    check_in(&NATIONAL, "在线赌博网", "err SENSITIVE_WORD");
    let custom = SiteNameContext {
        sensitive_words: &["彩票", "", "  ", "VPN"],
        ..UNIT
    };
    check_in(&custom, "在线彩票网", "err SENSITIVE_WORD");
    check_in(&custom, "快速vpn网", "err SENSITIVE_WORD");
    // Empty entries in the list must not match everything.
    check_in(&custom, "云计算网", "ok 云计算网");
    let none = SiteNameContext {
        sensitive_words: &[],
        ..UNIT
    };
    check_in(&none, "在线赌博网", "ok 在线赌博网");
}

#[test]
fn unit_name_relation() {
    let tencent = SiteNameContext {
        unit_name: Some("深圳市腾讯计算机系统有限公司"),
        ..UNIT
    };
    check_in(&tencent, "腾讯网", "ok 腾讯网");
    check_in(&tencent, "騰訊網", "ok 騰訊網");
    check_in(
        &tencent,
        "美食天地",
        "ok 美食天地 warn NAME_UNRELATED_TO_UNIT",
    );
    // Sharing only the legal form is not a relation.
    let generic = SiteNameContext {
        unit_name: Some("某某有限公司"),
        ..UNIT
    };
    check_in(&generic, "某某官网", "ok 某某官网");
    check_in(
        &generic,
        "美食公司网",
        "ok 美食公司网 warn NAME_UNRELATED_TO_UNIT",
    );
    let ascii = SiteNameContext {
        unit_name: Some("Yuming Tech"),
        ..UNIT
    };
    check_in(&ascii, "yuming官网", "ok yuming官网");
}

#[test]
fn personal_warnings() {
    check_in(&PERSON, "我的小站", "ok 我的小站");
    check_in(
        &PERSON,
        "张三的个人技术博客",
        "ok 张三的个人技术博客 warn PERSONAL_NAME_LOOKS_COMMERCIAL",
    );
    check_in(
        &PERSON,
        "张三的个人技术学习笔记本",
        "ok 张三的个人技术学习笔记本 warn LENGTH_NOT_RECOMMENDED",
    );
    check_in(
        &PERSON,
        "张三商城",
        "ok 张三商城 warn PERSONAL_NAME_LOOKS_COMMERCIAL",
    );
    // Units may of course call themselves 官网.
    check("张三商城官网", "ok 张三商城官网");
}

#[test]
fn garbage_never_panics() {
    let contexts = [
        UNIT,
        PERSON,
        NATIONAL,
        SiteNameContext {
            owner: SiteOwner::Unit,
            unit_name: Some(""),
            sensitive_words: &["", "\u{0}", "😀"],
        },
    ];
    for input in garbage() {
        for context in &contexts {
            assert_well_formed(&SiteName::parse(&input, context));
            let as_unit = SiteNameContext {
                unit_name: Some(&input),
                ..*context
            };
            assert_well_formed(&SiteName::parse("云计算网", &as_unit));
        }
    }
}
