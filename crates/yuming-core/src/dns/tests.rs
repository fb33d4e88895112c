use super::*;

const ZONE: &str = "example.cn";

fn rec(rtype: &str, name: &str, value: &str) -> Result<Record, DnsProblem> {
    let priority = matches!(rtype, "MX" | "SRV").then_some(10);
    check_record(
        ZONE,
        &RecordInput {
            rtype,
            name,
            value,
            ttl: None,
            priority,
        },
        TtlPolicy::default(),
    )
}

fn code_of(r: Result<Record, DnsProblem>) -> &'static str {
    r.map(|_| "OK").unwrap_or_else(|p| p.problem.code)
}

#[test]
fn records_are_canonicalised() {
    let a = rec("a", "WWW", " 192.0.2.1 ").unwrap();
    assert_eq!(
        (a.rtype, a.name.as_str(), a.value.as_str(), a.ttl),
        (RecordType::A, "www", "192.0.2.1", 600)
    );
    assert_eq!(
        rec("AAAA", "@", "2001:DB8::0:1").unwrap().value,
        "2001:db8::1"
    );
    assert_eq!(
        rec("CNAME", "www.example.cn.", "Target.Example.NET.")
            .unwrap()
            .name,
        "www"
    );
    assert_eq!(
        rec("CNAME", "www", "Target.Example.NET.").unwrap().value,
        "target.example.net"
    );
    assert_eq!(rec("A", "邮件", "192.0.2.1").unwrap().name, "xn--5nq051n");
    assert_eq!(
        rec("MX", "@", "mx.例子.cn").unwrap().value,
        "mx.xn--fsqu00a.cn"
    );
    assert_eq!(
        rec("CAA", "@", "0 ISSUE letsencrypt.org").unwrap().value,
        "0 issue \"letsencrypt.org\""
    );
    assert_eq!(
        rec("SRV", "_sip._tcp", "5 5060 sip.example.cn.")
            .unwrap()
            .value,
        "5 5060 sip.example.cn"
    );
}

#[test]
fn bad_values_are_refused_with_their_field() {
    assert_eq!(
        code_of(rec("A", "www", "300.1.1.1")),
        code::RECORD_VALUE_INVALID
    );
    assert_eq!(
        code_of(rec("AAAA", "www", "192.0.2.1")),
        code::RECORD_VALUE_INVALID
    );
    assert_eq!(
        code_of(rec("CNAME", "@", "x.example.net")),
        code::CNAME_AT_APEX
    );
    assert_eq!(code_of(rec("NS", "@", "ns.example.net")), code::NS_AT_APEX);
    assert_eq!(code_of(rec("SPF", "@", "x")), code::RECORD_TYPE_UNSUPPORTED);
    assert_eq!(
        code_of(rec("A", "bad name", "192.0.2.1")),
        code::RECORD_NAME_INVALID
    );
    assert_eq!(
        code_of(rec("A", "www.other.cn.", "192.0.2.1")),
        code::RECORD_NAME_INVALID
    );
    assert_eq!(
        code_of(rec("A", "-x", "192.0.2.1")),
        code::RECORD_NAME_INVALID
    );
    assert_eq!(
        code_of(rec("TXT", "@", &"x".repeat(70_000))),
        code::TXT_TOO_LONG
    );
    assert_eq!(
        code_of(rec("CAA", "@", "0 is-sue x")),
        code::RECORD_VALUE_INVALID
    );
    assert_eq!(
        code_of(rec("SRV", "_x._tcp", "1 99999 a.example.cn")),
        code::RECORD_VALUE_INVALID
    );
    let p = check_record(
        ZONE,
        &RecordInput {
            rtype: "A",
            name: "w",
            value: "192.0.2.1",
            ttl: Some(5),
            priority: None,
        },
        TtlPolicy::default(),
    )
    .unwrap_err();
    assert_eq!((p.field, p.problem.code), ("ttl", code::RECORD_TTL_INVALID));
    let p = check_record(
        ZONE,
        &RecordInput {
            rtype: "MX",
            name: "@",
            value: "mx.example.cn",
            ttl: None,
            priority: None,
        },
        TtlPolicy::default(),
    )
    .unwrap_err();
    assert_eq!(
        (p.field, p.problem.code),
        ("priority", code::RECORD_PRIORITY_INVALID)
    );
    let p = check_record(
        ZONE,
        &RecordInput {
            rtype: "A",
            name: "w",
            value: "192.0.2.1",
            ttl: None,
            priority: Some(1),
        },
        TtlPolicy::default(),
    )
    .unwrap_err();
    assert_eq!(p.field, "priority");
}

#[test]
fn txt_splits_into_255_byte_strings() {
    let long = "a".repeat(600);
    let parts: Vec<usize> = txt_strings(&long).map(<[u8]>::len).collect();
    assert_eq!(parts, vec![255, 255, 90]);
    assert_eq!(txt_strings("").count(), 1);
}

#[test]
fn zone_rules() {
    let www = rec("CNAME", "www", "x.example.net").unwrap();
    let www_a = rec("A", "www", "192.0.2.1").unwrap();
    assert_eq!(
        check_zone(ZONE, &[www.clone(), www_a])
            .unwrap_err()
            .problem
            .code,
        code::CNAME_NOT_EXCLUSIVE
    );
    assert_eq!(
        check_zone(ZONE, &[www.clone(), www.clone()])
            .unwrap_err()
            .problem
            .code,
        code::RECORD_DUPLICATE
    );
    let ns = rec("NS", "sub", "ns1.sub.example.cn").unwrap();
    assert_eq!(
        check_zone(ZONE, std::slice::from_ref(&ns))
            .unwrap_err()
            .problem
            .code,
        code::NS_GLUE_MISSING
    );
    let glue = rec("A", "ns1.sub", "192.0.2.53").unwrap();
    assert!(check_zone(ZONE, &[ns, glue, www]).is_ok());
    let outside = rec("NS", "sub2", "ns.example.net").unwrap();
    assert!(check_zone(ZONE, &[outside]).is_ok());
}

#[test]
fn zone_file_round_trips() {
    let text = r#"
$ORIGIN example.cn.
$TTL 900
@   IN SOA ns1.example.net. hostmaster.example.cn. ( 1 3600 600
        1209600 300 ) ; comment
    IN NS ns1.example.net.
@ 300 IN A 192.0.2.1
www CNAME @
mail IN 3600 AAAA 2001:db8::25
@ MX 10 mail
@ TXT "v=spf1 -all" "tail\"q"
@ CAA 0 issue "letsencrypt.org"
_sip._tcp SRV 1 2 5060 sip.example.net.
sub NS ns.sub
ns.sub A 192.0.2.53
"#;
    let records = parse_zone_file(ZONE, text, TtlPolicy::default()).unwrap();
    assert_eq!(records.len(), 9);
    assert_eq!(records[0].ttl, 300);
    assert_eq!(records[1].value, "example.cn");
    assert_eq!(records[1].ttl, 900);
    assert_eq!(records[2].ttl, 3600);
    assert_eq!(records[3].value, "mail.example.cn");
    assert_eq!(records[4].value, "v=spf1 -alltail\"q");
    check_zone(ZONE, &records).unwrap();
    let soa = SoaFields {
        mname: "ns1.example.net".into(),
        rname: "hostmaster.example.cn".into(),
        serial: 7,
        timers: [3600, 600, 1_209_600, 300],
    };
    let rendered = render_zone_file(ZONE, &soa, &["ns1.example.net".into()], &records);
    let again = parse_zone_file(ZONE, &rendered, TtlPolicy::default()).unwrap();
    assert_eq!(again, records);
    let long = rec("TXT", "k", &"é".repeat(300)).unwrap();
    let rendered = render_zone_file(ZONE, &soa, &[], std::slice::from_ref(&long));
    assert_eq!(
        parse_zone_file(ZONE, &rendered, TtlPolicy::default()).unwrap(),
        vec![long]
    );
}

#[test]
fn bad_zone_files_name_the_line() {
    for (text, line) in [
        ("www A 1.2.3.4\nx A 999.1.1.1\n", 2),
        ("( www A 1.2.3.4\n", 2),
        ("$INCLUDE /etc/passwd\n", 1),
        ("$ORIGIN other.cn.\n", 1),
        ("x TXT \"open\n", 2),
        ("  A 1.2.3.4\n", 1),
        ("x LOC 1 2 3\n", 1),
    ] {
        let p = parse_zone_file(ZONE, text, TtlPolicy::default()).unwrap_err();
        assert_eq!(p.field, "zone", "{text}");
        assert!(
            p.problem.message.starts_with(&format!("line {line}")),
            "{text}: {}",
            p.problem.message
        );
    }
}
