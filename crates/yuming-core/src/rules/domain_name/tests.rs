use super::*;
use crate::rules::test_support::{assert_well_formed, garbage, render};

fn check_with(policy: &DomainPolicy, input: &str, expect: &str) {
    let result = DomainName::parse(input, policy);
    assert_well_formed(&result);
    let shown = render(&result, |name| {
        format!("{} {}", name.ascii(), name.unicode())
    });
    assert_eq!(shown, expect, "input: {input:?}");
}

/// Checks under the CNNIC policy (.cn/.中国 family).
fn check(input: &str, expect: &str) {
    check_with(&DomainPolicy::CHINESE_REGISTRY, input, expect);
}

/// Checks under the generic gTLD policy.
fn check_generic(input: &str, expect: &str) {
    check_with(&DomainPolicy::GENERIC, input, expect);
}

#[test]
fn spec_punycode_vectors() {
    // Spec §4.4 and §6; each label under a neutral ASCII parent and as a TLD.
    for (unicode, ascii) in [
        ("中国", "xn--fiqs8s"),
        ("中國", "xn--fiqz9s"),
        ("公司", "xn--55qx5d"),
        ("网络", "xn--io0a7i"),
        ("集团", "xn--3bst00m"),
        ("公益", "xn--55qw42g"),
        ("政务", "xn--zfr164b"),
        ("北京大学", "xn--1lq90ic7fzpc"),
        ("中文域名", "xn--fiq06l2rdsvs"),
    ] {
        check(
            &format!("{unicode}.cn"),
            &format!("ok {ascii}.cn {unicode}.cn"),
        );
        check(
            &format!("{ascii}.cn"),
            &format!("ok {ascii}.cn {unicode}.cn"),
        );
        check(
            &format!("example.{unicode}"),
            &format!("ok example.{ascii} example.{unicode}"),
        );
    }
    check("例子.中国", "ok xn--fsqu00a.xn--fiqs8s 例子.中国");
    check(
        "xn--fsqu00a.xn--fiqs8s",
        "ok xn--fsqu00a.xn--fiqs8s 例子.中国",
    );
    check(
        "XN--FSQU00A.XN--FIQS8S",
        "ok xn--fsqu00a.xn--fiqs8s 例子.中国",
    );
    check("xn--fsqu00a.中国", "ok xn--fsqu00a.xn--fiqs8s 例子.中国");
}

#[test]
fn spec_syntax_vectors() {
    check_generic("ab--cd.com", "err RESERVED_HYPHENS");
    check("ab--cd.com", "err RESERVED_HYPHENS");
    check("abc--d.cn", "err CONSECUTIVE_HYPHENS");
    check_generic("abc--d.com", "ok abc--d.com abc--d.com");
    check("-abc.cn", "err INVALID_HYPHEN");
    check_generic(&format!("{}.com", "a".repeat(64)), "err INVALID_LENGTH");
    check("例子.cn", "ok xn--fsqu00a.cn 例子.cn");
    check("abc.中国", "ok abc.xn--fiqs8s abc.中国");
    // ASCII labels are allowed under .中国; L-4 only applies to labels that
    // are internationalised.
    check("123.中国", "ok 123.xn--fiqs8s 123.中国");
}

#[test]
fn normalisation() {
    check("Example.CN", "ok example.cn example.cn");
    check("  example.cn.  ", "ok example.cn example.cn");
    check("ｅｘａｍｐｌｅ．ｃｎ", "ok example.cn example.cn");
    check("例子。中国", "ok xn--fsqu00a.xn--fiqs8s 例子.中国");
    check("例子｡中国", "ok xn--fsqu00a.xn--fiqs8s 例子.中国");
    check_generic("MÜNCHEN.de", "ok xn--mnchen-3ya.de münchen.de");
    // Decomposed ü (u + U+0308) composes to the same name.
    check_generic("mu\u{308}nchen.de", "ok xn--mnchen-3ya.de münchen.de");
}

#[test]
fn ldh_and_hyphens() {
    check_generic("a.com", "ok a.com a.com");
    check_generic("a-b.com", "ok a-b.com a-b.com");
    check_generic("abc-.com", "err INVALID_HYPHEN");
    check_generic("ab_c.com", "err INVALID_CHARSET");
    check_generic("ab c.com", "err INVALID_CHARSET");
    check_generic("ab*c.com", "err INVALID_CHARSET");
    check_generic("a--.com", "err INVALID_HYPHEN");
    check_generic("a---b.com", "err RESERVED_HYPHENS");
    check_generic("abc---d.com", "ok abc---d.com abc---d.com");
    check("abc---d.com", "err CONSECUTIVE_HYPHENS");
    // Positions 3-4 also apply to U-labels.
    check("例子--网.cn", "err RESERVED_HYPHENS");
    check("例子网--a.cn", "err CONSECUTIVE_HYPHENS");
    check_generic("例子网--a.cn", "ok xn----a-uc0e315cc44c.cn 例子网--a.cn");
    // The A-label's own `--` is not the user's hyphen.
    check("xn--fsqu00a.cn", "ok xn--fsqu00a.cn 例子.cn");
    check("例-子.cn", "ok xn----kb7aq09a.cn 例-子.cn");
    check("例子-.cn", "err INVALID_HYPHEN");
}

#[test]
fn lengths() {
    let label63 = "a".repeat(63);
    check_generic(
        &format!("{label63}.com"),
        &format!("ok {label63}.com {label63}.com"),
    );
    // 4 labels of 63 + 3 dots = 255 > 253.
    let long = [label63.as_str(); 4].join(".");
    check_generic(&long, "err INVALID_LENGTH");
    // 3 x 63 + "a" * 61 + 3 dots = 253 exactly.
    let exact = format!("{label63}.{label63}.{label63}.{}", "a".repeat(61));
    check_generic(&exact, &format!("ok {exact} {exact}"));
    // Chinese labels are measured in A-label form: 20 characters fit (the
    // legacy CNNIC limit), 30 do not.
    let twenty = "中".repeat(20);
    let result = DomainName::parse(&format!("{twenty}.cn"), &DomainPolicy::CHINESE_REGISTRY);
    assert!(result.is_ok(), "{result:?}");
    check(&format!("{}.cn", "中文".repeat(30)), "err INVALID_LENGTH");
    check_generic(&"a.".repeat(200), "err INVALID_LENGTH");
}

#[test]
fn structure() {
    check("", "err EMPTY");
    check("   ", "err EMPTY");
    check("cn", "err MISSING_TLD");
    check("中国", "err MISSING_TLD");
    check(".", "err EMPTY_LABEL");
    check("a..cn", "err EMPTY_LABEL");
    check(".a.cn", "err EMPTY_LABEL");
    check("a.cn..", "err EMPTY_LABEL");
    check("....", "err EMPTY_LABEL");
    check_generic("example.123", "err INVALID_TLD");
    check_generic("1.2.3.4", "err INVALID_TLD");
}

#[test]
fn idn_validity() {
    check_generic("xn--zzzzzzzzz.com", "err INVALID_IDN");
    check_generic("xn--.com", "err INVALID_IDN");
    check_generic("xn--abc.com", "err INVALID_IDN");
    // An A-label that decodes to pure ASCII is not an A-label.
    check_generic("xn--abc-.com", "err INVALID_IDN");
    // Emoji and symbols: UTS 46 would map them, IDNA 2008 does not allow them.
    check_generic("😀.com", "err INVALID_IDN");
    check_generic("☃.com", "err INVALID_IDN");
    check("😀.cn", "err INVALID_IDN");
    check_generic("a\u{200d}b.com", "err INVALID_IDN");
    check_generic("\u{301}a.com", "err INVALID_IDN");
    // Right-to-left label next to a label that breaks the bidi rule.
    check_generic("שלום.com", "ok xn--9dbne9b.com שלום.com");
    check_generic("1שלום.com", "err INVALID_IDN");
}

#[test]
fn chinese_script_policy() {
    check("例子abc.cn", "ok xn--abc-uc0e315c.cn 例子abc.cn");
    check("münchen.cn", "err MISSING_CJK");
    check("пример.中国", "err MISSING_CJK");
    check("例子ü.cn", "err MIXED_SCRIPT");
    check("例子あ.cn", "err MIXED_SCRIPT");
    check_generic("münchen.com", "ok xn--mnchen-3ya.com münchen.com");
    check_generic("例子あ.com", "ok xn--l8ju55gj8h.com 例子あ.com");
    // 〇 (U+3007) is a Han character that IDNA 2008 lists as an exception.
    check("〇〇七.cn", "ok xn--w6ja241u.cn 〇〇七.cn");
}

#[test]
fn label_details() {
    let parsed = DomainName::parse("例子.abc.中国", &DomainPolicy::CHINESE_REGISTRY)
        .map(|valid| valid.value);
    let Ok(name) = parsed else {
        panic!("must parse: {parsed:?}");
    };
    let scripts: Vec<LabelScript> = name.labels().iter().map(Label::script).collect();
    assert_eq!(
        scripts,
        vec![LabelScript::Han, LabelScript::Ascii, LabelScript::Han]
    );
    assert_eq!(name.tld().unicode(), "中国");
    assert_eq!(name.tld().ascii(), "xn--fiqs8s");
    assert!(name.is_idn());
    assert_eq!(name.to_string(), "例子.abc.中国");
    let ascii_only = DomainName::parse("example.com", &DomainPolicy::GENERIC);
    assert_eq!(ascii_only.map(|valid| valid.value.is_idn()), Ok(false));

    assert_eq!(LabelScript::of("abc-1"), LabelScript::Ascii);
    assert_eq!(LabelScript::of("中文abc"), LabelScript::Han);
    assert_eq!(LabelScript::of("中文ü"), LabelScript::Other);
    assert_eq!(LabelScript::of("münchen"), LabelScript::Other);
}

#[test]
fn variants() {
    assert_eq!(variant_key("中國"), "中国");
    assert_eq!(variant_key("中国"), "中国");
    assert_eq!(variant_key("網絡"), "网络");
    assert_eq!(variant_key("网絡"), "网络");
    assert_eq!(variant_key("臺灣"), "台湾");
    assert_eq!(variant_key("颱風"), "台风");
    assert_eq!(variant_key("ABC中國"), "abc中国");
    assert_eq!(to_traditional("中国网络"), "中國網絡");
    assert_eq!(to_traditional("台湾"), "臺灣");
    assert_eq!(to_traditional("发"), "發");
    assert_eq!(to_simplified("中國網絡"), "中国网络");
    assert_eq!(to_simplified("abc"), "abc");
    assert!(is_variant_of("中國", "中国"));
    assert!(is_variant_of("北京大學", "北京大学"));
    assert!(!is_variant_of("中国", "中华"));

    let traditional = DomainName::parse("例子.中國", &DomainPolicy::CHINESE_REGISTRY)
        .map(|valid| valid.value.variant_key());
    let simplified = DomainName::parse("例子.中国", &DomainPolicy::CHINESE_REGISTRY)
        .map(|valid| valid.value.variant_key());
    assert_eq!(traditional, simplified);
    assert_eq!(simplified, Ok("例子.中国".to_owned()));
}

#[test]
fn variants_beyond_the_old_table() {
    // Pairs the former 114-pair table did not know; each must share a key in both directions.
    for (simplified, traditional) in [
        ("竞赛测试", "競賽測試"),
        ("软件开发", "軟件開發"),
        ("认证", "認證"),
        ("饮食", "飲食"),
        ("应用", "應用"),
        ("简体", "簡體"),
        ("铁路", "鐵路"),
        ("声乐", "聲樂"),
        ("剧场", "劇場"),
        ("余", "餘"),
        ("干净", "乾淨"),
        ("发财", "髮財"),
    ] {
        assert_eq!(
            variant_key(traditional),
            variant_key(simplified),
            "{simplified} / {traditional}"
        );
        assert!(is_variant_of(simplified, traditional));
        assert!(is_variant_of(traditional, simplified));
    }
    assert_eq!(variant_key("競賽測試"), "竞赛测试");
    // A mix of both forms is the same bundle.
    assert_eq!(variant_key("竞賽测試"), "竞赛测试");
    // Bundles longer than one pair: every member has the same key.
    for bundle in [
        "余餘馀",
        "干乾幹榦",
        "苎苧薴",
        "钟鍾鐘锺",
        "面麵麪",
        "于於",
        "征徵",
        "系係繫",
    ] {
        let keys: Vec<String> = bundle
            .chars()
            .map(|c| variant_key(&c.to_string()))
            .collect();
        assert!(keys.iter().all(|k| *k == keys[0]), "{bundle}: {keys:?}");
    }
    assert_eq!(variant_key("乾"), "干");
    // Distinct common characters stay distinct.
    for (left, right) in [("象", "像"), ("坐", "座"), ("中国", "中华"), ("了", "瞭")] {
        assert!(!is_variant_of(left, right), "{left} / {right}");
    }
    // ASCII is only case-folded.
    assert_eq!(variant_key("Example-1"), "example-1");
}

#[test]
fn variant_keys_are_idempotent_over_the_tables() {
    // Every character of the CJK Unified Ideographs block and extension A: the key of a key
    // is itself, and a character's usual traditional form has the character's key.
    let blocks = ['\u{3400}'..='\u{4DBF}', '\u{4E00}'..='\u{9FFF}'];
    for c in blocks.into_iter().flatten() {
        let key = variant_key(&c.to_string());
        assert_eq!(variant_key(&key), key, "{c}");
        let traditional = to_traditional(&c.to_string());
        assert_eq!(variant_key(&traditional), key, "{c} → {traditional}");
    }
}

#[test]
fn garbage_never_panics() {
    for input in garbage() {
        for policy in [DomainPolicy::GENERIC, DomainPolicy::CHINESE_REGISTRY] {
            assert_well_formed(&DomainName::parse(&input, &policy));
            assert_well_formed(&DomainName::parse(&format!("{input}.cn"), &policy));
            assert_well_formed(&DomainName::parse(&format!("a.{input}"), &policy));
        }
        let _ = variant_key(&input);
        let _ = to_traditional(&input);
        let _ = to_simplified(&input);
        let _ = LabelScript::of(&input);
    }
}
