//! The signed form of a filing certificate is RFC 8785 (JCS), as the RFC's reference
//! implementation writes it: PyPI `jcs` (by the RFC's author, installed by `./test`)
//! re-canonicalises what we sign, and the bytes must not change. Third parties can then
//! verify certificates with any JCS library.

use std::io::Write;
use std::process::{Command, Stdio};

use yuming_core::clock::Timestamp;
use yuming_core::filing::certificate::Certificate;

const RECANONICALISE: &str = "import json, sys, jcs
for line in sys.stdin.buffer.read().decode('utf-8').split('\\n'):
    if line:
        sys.stdout.buffer.write(jcs.canonicalize(json.loads(line)) + b'\\n')";

fn certificate(text: &str) -> Certificate {
    Certificate {
        id: format!("cert_{}", text.len()),
        subject_no: "京ICP备2026000123号".into(),
        site_no: "京ICP备2026000123号-1".into(),
        entity_name: text.into(),
        entity_type: "personal".into(),
        province: "京".into(),
        domain: "xn--fiqs8s.cn".into(),
        site_name: text.into(),
        issued_at: Timestamp(1_767_225_600),
        valid_until: Timestamp(1_798_761_600),
        key_id: format!("key \"{text}\""),
    }
}

#[test]
fn the_signed_form_is_what_the_jcs_reference_implementation_writes() {
    let available = Command::new("python3")
        .args(["-c", "import jcs"])
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        yuming_test_support::skip("no jcs: pip install jcs");
        return;
    }
    let texts = [
        "张三的个人网站",
        "quote \" and backslash \\ and slash /",
        "tab\t newline\n return\r backspace\u{8} form feed\u{c}",
        "bell\u{7} escape\u{1b} unit separator\u{1f} nul\u{0}",
        "delete \u{7f}, line separator \u{2028}, emoji 😀, BOM \u{feff}",
        "",
    ];
    let ours: Vec<String> = texts
        .iter()
        .map(|t| certificate(t).canonical_json())
        .collect();
    let mut child = Command::new("python3")
        .args(["-c", RECANONICALISE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(ours.join("\n").as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("jcs");
    assert!(output.status.success(), "jcs failed");
    let theirs = String::from_utf8(output.stdout).expect("utf-8");
    let theirs: Vec<&str> = theirs.lines().collect();
    assert_eq!(theirs.len(), ours.len());
    for (ours, theirs) in ours.iter().zip(theirs) {
        assert_eq!(ours, theirs);
    }
}
