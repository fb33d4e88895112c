//! Helpers shared by the rule tests: a compact rendering of [`Checked`]
//! results for one-line `check(input, expect)` tests, and a corpus of hostile
//! inputs for the "never panics" tests.

use super::{Checked, Problem, Rejection};

/// Renders a result as `ok <value> [warn CODE,…]` or `err CODE,… [review]`.
pub(crate) fn render<T>(result: &Checked<T>, show: impl Fn(&T) -> String) -> String {
    match result {
        Ok(valid) => {
            let mut out = format!("ok {}", show(&valid.value));
            if !valid.warnings.is_empty() {
                out.push_str(" warn ");
                out.push_str(&codes(&valid.warnings));
            }
            out
        }
        Err(rejection) => render_rejection(rejection),
    }
}

pub(crate) fn render_rejection(rejection: &Rejection) -> String {
    let mut out = format!("err {}", codes(&rejection.problems));
    if !rejection.warnings.is_empty() {
        out.push_str(" warn ");
        out.push_str(&codes(&rejection.warnings));
    }
    if rejection.manual_review_possible {
        out.push_str(" review");
    }
    out
}

fn codes(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|problem| problem.code)
        .collect::<Vec<_>>()
        .join(",")
}

/// Asserts the invariants every result must keep, whatever the input.
pub(crate) fn assert_well_formed<T>(result: &Checked<T>) {
    let problems: Vec<&Problem> = match result {
        Ok(valid) => valid.warnings.iter().collect(),
        Err(rejection) => {
            assert!(!rejection.problems.is_empty(), "rejection without problems");
            rejection
                .problems
                .iter()
                .chain(rejection.warnings.iter())
                .collect()
        }
    };
    for problem in problems {
        assert!(!problem.code.is_empty());
        assert!(
            problem
                .code
                .chars()
                .all(|c| c.is_ascii_uppercase() || c == '_'),
            "code {} is not UPPER_SNAKE",
            problem.code
        );
        assert!(
            !problem.message.is_empty(),
            "{} has no message",
            problem.code
        );
        assert!(
            !problem.message_zh.is_empty(),
            "{} has no zh message",
            problem.code
        );
        assert!(!problem.message.ends_with('.'), "{}", problem.message);
    }
}

/// Inputs that must never panic any validator: empty, huge, control
/// characters, emoji, mixed scripts, lone combining marks, look-alikes and
/// near-misses of valid values.
pub(crate) fn garbage() -> Vec<String> {
    let mut inputs: Vec<String> = [
        "",
        " ",
        "\t\n\r",
        "\0",
        "\u{7f}",
        "\u{202e}abc",
        "\u{200d}",
        "\u{feff}",
        "\u{fffd}",
        "\u{10ffff}",
        "\u{301}",
        "a\u{301}\u{301}\u{301}",
        "😀",
        "👨‍👩‍👧‍👦.com",
        "abc中文Ωяあ한",
        "١٢٣٤٥٦٧٨٩",
        "１１０１０５１９４９１２３１００２Ｘ",
        "９１１１００００６００３７３４１Ｌ",
        "-",
        "--",
        ".",
        "..",
        "...",
        "。",
        "xn--",
        "xn--.xn--",
        "xn--zzzzzzzzzz",
        "xn--a-.com",
        "XN--FIQS8S.XN--FIQS8S",
        "a.-",
        "号",
        "ICP备",
        "京ICP备",
        "京ICP备号",
        "京ICP备号-",
        "京ICP备-号",
        "京ICP备12345678号-",
        "京ICP备12345678号--1",
        "京ICP备12345678号-99999999999999999999",
        "京ICP证",
        "合字",
        "合字B",
        "粤B",
        "粤B2-",
        "公网安备",
        "京公网安备",
        "京公网安备号",
        "ok",
        "clientHold",
        "null",
        "%00",
        "<script>alert(1)</script>",
        "' OR 1=1 --",
        "ÀÁÂÃÄÅ",
        "ﬁ",
        "ẞ",
        "İ",
        "\u{1F1E8}\u{1F1F3}",
        "中国",
        "中國",
        "中华人民共和国",
        "xiongan",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();

    inputs.push("a".repeat(10_000));
    inputs.push("中".repeat(10_000));
    inputs.push("9".repeat(10_000));
    inputs.push("😀".repeat(3_000));
    inputs.push("\u{301}".repeat(5_000));
    inputs.push("\u{ad}".repeat(5_000));
    inputs.push(".".repeat(10_000));
    inputs.push("-".repeat(10_000));
    inputs.push(format!("{}.com", "a".repeat(63)));
    inputs.push(format!("{}.com", "a".repeat(64)));
    inputs.push(format!("{}.cn", "中".repeat(30)));
    inputs.push(format!("xn--{}", "a".repeat(1_000)));
    inputs.push((0u32..=0x7f).filter_map(char::from_u32).collect());
    inputs.push((0x80u32..=0x2ff).filter_map(char::from_u32).collect());
    for length in 0..=20 {
        inputs.push("1".repeat(length));
        inputs.push("X".repeat(length));
        inputs.push("中".repeat(length));
    }
    inputs
}
