use super::*;
use crate::rules::test_support::garbage;

fn check_with(blocklist: &[BlockTerm<'_>], name: &str, expect: &str) {
    let review = naming_review(name, blocklist);
    let mut shown = review.verdict.as_str().to_owned();
    for hit in &review.hits {
        shown.push(' ');
        shown.push_str(&hit.term);
    }
    assert_eq!(shown, expect, "name: {name:?}");
}

fn check(name: &str, expect: &str) {
    check_with(&DEFAULT_BLOCKLIST, name, expect);
}

#[test]
fn spec_vectors() {
    check("sino-trade.cn", "REVIEW sino");
    check("example.cn", "PASS");
    check("xiongan.cn", "REVIEW xiongan");
}

#[test]
fn default_list() {
    check("中国制造.cn", "REVIEW 中国");
    check("中國製造.cn", "REVIEW 中国");
    check("madeinchina.com", "REVIEW china");
    check("MadeInChina.COM", "REVIEW china");
    check("chn-export.com", "REVIEW chn");
    check("2chn.com", "REVIEW chn");
    check("sinotrade.com", "REVIEW sino");
    check("中华美食.cn", "REVIEW 中华");
    check("国家电网.cn", "REVIEW 国家");
    check("全国招聘.cn", "REVIEW 全国");
    check("zhongguo-cha.cn", "REVIEW zhongguo");
    check("雄安新区.cn", "REVIEW 雄安");
    check("fuckyou.com", "REJECT fuck");
    check("xxxvideo.com", "REJECT xxx");
    // Strictest verdict wins; every hit is listed.
    check("china-xxx.com", "REJECT china xxx");
}

#[test]
fn word_boundaries_avoid_false_positives() {
    check("casino.com", "PASS");
    check("technology.com", "PASS");
    check("example.com", "PASS");
}

#[test]
fn tld_is_not_reviewed() {
    check("例子.中国", "PASS");
    check("xn--fsqu00a.xn--fiqs8s", "PASS");
    check("中国.cn", "REVIEW 中国");
    check("xn--fiqs8s.cn", "REVIEW 中国");
    check("XN--FIQS8S.CN.", "REVIEW 中国");
    check("abc.china", "PASS");
    // A bare label is reviewed as such.
    check("china", "REVIEW china");
    check("sino-trade", "REVIEW sino");
    check("", "PASS");
    // Second-level labels are reviewed too.
    check("china.com.cn", "REVIEW china");
    check("中国。cn", "REVIEW 中国");
}

#[test]
fn custom_blocklist() {
    let blocklist = [
        BlockTerm {
            term: "bank",
            kind: MatchKind::Exact,
            verdict: Verdict::Review,
        },
        BlockTerm {
            term: "赌博",
            kind: MatchKind::Contains,
            verdict: Verdict::Reject,
        },
        BlockTerm {
            term: "  ",
            kind: MatchKind::Contains,
            verdict: Verdict::Reject,
        },
    ];
    check_with(&blocklist, "bank.cn", "REVIEW bank");
    check_with(&blocklist, "mybank.cn", "PASS");
    check_with(&blocklist, "在线赌博.cn", "REJECT 赌博");
    check_with(&[], "china.cn", "PASS");
}

#[test]
fn problems() {
    let review = naming_review("china-xxx.com", &DEFAULT_BLOCKLIST);
    let codes: Vec<&str> = review.problems().iter().map(|p| p.code).collect();
    assert_eq!(codes, vec![code::RESERVED_TERM, code::PROHIBITED_TERM]);
    for problem in review.problems() {
        assert!(!problem.message.is_empty() && !problem.message_zh.is_empty());
    }
    assert!(Verdict::Pass < Verdict::Review && Verdict::Review < Verdict::Reject);
}

#[test]
fn garbage_never_panics() {
    for input in garbage() {
        let review = naming_review(&input, &DEFAULT_BLOCKLIST);
        assert_eq!(review.verdict == Verdict::Pass, review.hits.is_empty());
        let custom = [BlockTerm {
            term: &input,
            kind: MatchKind::TokenStart,
            verdict: Verdict::Review,
        }];
        let _ = naming_review("sino-trade.cn", &custom);
        let _ = naming_review(&input, &custom);
    }
}
