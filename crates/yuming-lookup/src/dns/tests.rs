use yuming_core::dns::{RecordInput, SoaFields, TtlPolicy, check_record};

use super::*;

fn zone() -> Snapshot {
    let rec = |t: &str, n: &str, v: &str| {
        check_record(
            "example.cn",
            &RecordInput {
                rtype: t,
                name: n,
                value: v,
                ttl: None,
                priority: (t == "MX").then_some(5),
            },
            TtlPolicy::default(),
        )
        .expect("record")
    };
    let mut records = vec![
        rec("A", "www", "192.0.2.1"),
        rec("CNAME", "alias", "www.example.cn"),
        rec("MX", "@", "mail.example.cn"),
        rec("A", "a.b.deep", "192.0.2.9"),
        rec("NS", "sub", "ns1.sub.example.cn"),
        rec("A", "ns1.sub", "192.0.2.53"),
    ];
    for i in 0..200 {
        records.push(rec("A", "big", &format!("10.0.{}.{}", i / 250, i % 250)));
    }
    let mut s = Snapshot::default();
    s.apply(&[ServedZone {
        name: "example.cn".into(),
        soa: SoaFields {
            mname: "ns1.example.net".into(),
            rname: "hostmaster.example.cn".into(),
            serial: 3,
            timers: [1, 2, 3, 4],
        },
        nameservers: vec!["ns1.example.net".into()],
        records,
        resolves: true,
    }]);
    s
}

fn query(name: &str, qtype: u16, edns: bool) -> Vec<u8> {
    let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, u8::from(edns)];
    put_name(&mut q, name);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    if edns {
        q.extend_from_slice(&[0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0]);
    }
    q
}

fn ask(s: &Snapshot, packet: &[u8], t: Transport) -> Vec<u8> {
    match answer(s, packet, t, Vec::new()) {
        Outcome::Reply(r) => r,
        _ => panic!("no reply"),
    }
}

/// (rcode, aa, tc, answers, authority, additional)
fn shape(r: &[u8]) -> (u8, bool, bool, u16, u16, u16) {
    (
        r[3] & 0x0f,
        r[2] & 0x04 != 0,
        r[2] & 0x02 != 0,
        be16(r, 6).unwrap(),
        be16(r, 8).unwrap(),
        be16(r, 10).unwrap(),
    )
}

#[test]
fn answers_nxdomain_nodata_referral_cname() {
    let s = zone();
    assert_eq!(
        shape(&ask(&s, &query("WWW.example.cn", 1, false), Transport::Udp)),
        (0, true, false, 1, 0, 0)
    );
    assert_eq!(
        shape(&ask(
            &s,
            &query("nope.example.cn", 1, false),
            Transport::Udp
        )),
        (3, true, false, 0, 1, 0)
    );
    assert_eq!(
        shape(&ask(
            &s,
            &query("www.example.cn", 28, false),
            Transport::Udp
        )),
        (0, true, false, 0, 1, 0)
    );
    // Empty non-terminal: NODATA, not NXDOMAIN.
    assert_eq!(
        shape(&ask(
            &s,
            &query("b.deep.example.cn", 1, false),
            Transport::Udp
        )),
        (0, true, false, 0, 1, 0)
    );
    assert_eq!(
        shape(&ask(
            &s,
            &query("host.sub.example.cn", 1, false),
            Transport::Udp
        )),
        (0, false, false, 0, 1, 1)
    );
    assert_eq!(
        shape(&ask(
            &s,
            &query("alias.example.cn", 1, true),
            Transport::Udp
        )),
        (0, true, false, 2, 0, 1)
    );
    assert_eq!(
        shape(&ask(&s, &query("example.cn", 255, false), Transport::Udp)),
        (0, true, false, 1, 0, 0)
    );
    assert_eq!(
        shape(&ask(&s, &query("example.org", 1, false), Transport::Udp)),
        (5, false, false, 0, 0, 0)
    );
    // 200 A records do not fit 512 bytes: TC over UDP, whole over TCP.
    assert_eq!(
        shape(&ask(&s, &query("big.example.cn", 1, false), Transport::Udp)),
        (0, true, true, 0, 0, 0)
    );
    assert_eq!(
        shape(&ask(&s, &query("big.example.cn", 1, false), Transport::Tcp)),
        (0, true, false, 200, 0, 0)
    );
    assert!(matches!(
        answer(
            &s,
            &query("example.cn", 252, false),
            Transport::Udp,
            Vec::new()
        ),
        Outcome::Reply(_)
    ));
    assert!(matches!(
        answer(
            &s,
            &query("example.cn", 252, false),
            Transport::Tcp,
            Vec::new()
        ),
        Outcome::Transfer(..)
    ));
}

#[test]
fn malformed_packets_get_formerr_or_nothing() {
    let s = zone();
    assert!(matches!(
        answer(&s, &[1, 2, 3], Transport::Udp, Vec::new()),
        Outcome::Drop
    ));
    let mut two = query("www.example.cn", 1, false);
    two[5] = 2;
    assert_eq!(shape(&ask(&s, &two, Transport::Udp)).0, 1);
    let mut truncated = query("www.example.cn", 1, false);
    truncated.truncate(20);
    assert_eq!(shape(&ask(&s, &truncated, Transport::Udp)).0, 1);
    let mut pointer = query("www.example.cn", 1, false);
    pointer[12] = 0xC0;
    assert_eq!(shape(&ask(&s, &pointer, Transport::Udp)).0, 1);
    // Every prefix and a byte flip at every position: never a panic.
    let base = query("alias.example.cn", 1, true);
    for n in 0..base.len() {
        let _ = answer(&s, &base[..n], Transport::Udp, Vec::new());
        for v in [0u8, 0x3f, 0x40, 0xc0, 0xff] {
            let mut p = base.clone();
            p[n] = v;
            let _ = answer(&s, &p, Transport::Udp, Vec::new());
        }
    }
}

/// The OPT record at the end of a reply: (extended rcode, version, UDP size).
fn opt_of(r: &[u8]) -> (u8, u8, u16) {
    let n = r.len();
    assert_eq!(
        &r[n - 11..n - 6],
        &[0, 0, 41, 0x04, 0xD0],
        "OPT owned by the root, size 1232"
    );
    (r[n - 6], r[n - 5], be16(r, n - 8).unwrap())
}

#[test]
fn edns_version_other_than_0_gets_badvers_with_an_opt() {
    let s = zone();
    for version in [1u8, 255] {
        let mut q = query("www.example.cn", 1, true);
        let n = q.len();
        q[n - 5] = version;
        for t in [Transport::Udp, Transport::Tcp] {
            let r = ask(&s, &q, t);
            // BADVERS = 16: the header holds its low 4 bits (0), the OPT the high 8 (1).
            let (rcode, _, _, answers, authority, additional) = shape(&r);
            assert_eq!(
                (rcode, answers, authority, additional),
                (0, 0, 0, 1),
                "{version}"
            );
            assert_eq!(opt_of(&r), (1, 0, 1232), "we speak version 0");
        }
    }
    let ok = ask(&s, &query("www.example.cn", 1, true), Transport::Udp);
    assert_eq!(shape(&ok), (0, true, false, 1, 0, 1));
    assert_eq!(opt_of(&ok), (0, 0, 1232));
}

#[test]
fn a_second_opt_or_a_stray_additional_record_is_formerr() {
    let s = zone();
    let opt = [0u8, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0];
    let mut two = query("www.example.cn", 1, true);
    two[11] = 2;
    two.extend_from_slice(&opt);
    let r = ask(&s, &two, Transport::Udp);
    assert_eq!((r[3] & 0x0f, &r[..2]), (1, &[0x12u8, 0x34][..]), "FORMERR");
    // Also when the first OPT carries an option (its rdata must be skipped correctly).
    let mut with_option = query("www.example.cn", 1, false);
    with_option[11] = 1;
    with_option.extend_from_slice(&[0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 4, 0, 10, 0, 0]);
    assert_eq!(
        shape(&ask(&s, &with_option, Transport::Udp)).0,
        0,
        "one OPT with an empty option is fine"
    );
    with_option[11] = 2;
    with_option.extend_from_slice(&opt);
    assert_eq!(shape(&ask(&s, &with_option, Transport::Udp)).0, 1);
    // OPT not owned by the root, or a record that is not OPT.
    let mut owned = query("www.example.cn", 1, false);
    owned[11] = 1;
    owned.extend_from_slice(&[1, b'x', 0, 0, 41, 0x10, 0x00, 0, 0, 0, 0, 0, 0]);
    assert_eq!(shape(&ask(&s, &owned, Transport::Udp)).0, 1);
    let mut a = query("www.example.cn", 1, true);
    a[11] = 2;
    a.extend_from_slice(&[0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1]);
    assert_eq!(shape(&ask(&s, &a, Transport::Udp)).0, 1);
    // The count says two, only one is there.
    let mut short = query("www.example.cn", 1, true);
    short[11] = 2;
    assert_eq!(shape(&ask(&s, &short, Transport::Udp)).0, 1);
}

#[test]
fn transfer_starts_and_ends_with_soa() {
    let s = zone();
    let z = s.zone("example.cn").expect("zone");
    let messages = transfer_messages(z, &query("example.cn", 252, false));
    let answers: u16 = messages.iter().map(|m| be16(m, 6).unwrap()).sum();
    assert_eq!(answers, 2 + 1 + 206);
}

#[test]
fn queries_for_watched_cancelled_names_are_counted_and_refused() {
    let mut s = zone();
    s.set_watched(["gone.cn", "left.com"]);
    for name in ["gone.cn", "www.gone.cn", "mail.GONE.cn"] {
        let r = ask(
            &s,
            &query(&name.to_ascii_lowercase(), 1, false),
            Transport::Udp,
        );
        assert_eq!(shape(&r).0, rcode::REFUSED, "{name} is not served");
    }
    // Served names and names outside the watch are not counted.
    ask(&s, &query("www.example.cn", 1, false), Transport::Udp);
    ask(&s, &query("other.cn", 1, false), Transport::Udp);
    ask(&s, &query("notgone.cn", 1, false), Transport::Udp);
    // A clone (the poller's next snapshot) counts into the same counters.
    let next = s.clone();
    ask(&next, &query("left.com", 28, true), Transport::Tcp);
    assert_eq!(
        s.drain_stray(),
        vec![("gone.cn".to_owned(), 3), ("left.com".to_owned(), 1)]
    );
    assert!(s.drain_stray().is_empty(), "a drain takes the counts");

    // Counts that could not be stored come back with the next drain; a name that left the
    // watch keeps nothing.
    s.restore_stray(&[("gone.cn".to_owned(), 2), ("left.com".to_owned(), 5)]);
    s.set_watched(["gone.cn"]);
    ask(&s, &query("gone.cn", 1, false), Transport::Udp);
    ask(&s, &query("left.com", 1, false), Transport::Udp);
    assert_eq!(s.drain_stray(), vec![("gone.cn".to_owned(), 3)]);
}

fn zone_of(records: &[(&str, &str, &str)]) -> Snapshot {
    let records = records
        .iter()
        .map(|(t, n, v)| {
            check_record(
                "example.cn",
                &RecordInput {
                    rtype: t,
                    name: n,
                    value: v,
                    ttl: None,
                    priority: None,
                },
                TtlPolicy::default(),
            )
            .expect("record")
        })
        .collect();
    let mut s = Snapshot::default();
    s.apply(&[ServedZone {
        name: "example.cn".into(),
        soa: SoaFields {
            mname: "ns1.example.net".into(),
            rname: "hostmaster.example.cn".into(),
            serial: 1,
            timers: [1, 2, 3, 4],
        },
        nameservers: vec!["ns1.example.net".into()],
        records,
        resolves: true,
    }]);
    s
}

#[test]
fn a_cname_to_an_empty_non_terminal_is_nodata_not_nxdomain() {
    let s = zone_of(&[
        ("A", "a.b.deep", "192.0.2.9"),
        ("CNAME", "to-ent", "b.deep.example.cn"),
        ("CNAME", "to-nothing", "nothing.example.cn"),
    ]);
    // The CNAME, then NODATA for the empty non-terminal it names: NOERROR and the SOA.
    assert_eq!(
        shape(&ask(
            &s,
            &query("to-ent.example.cn", 1, false),
            Transport::Udp
        )),
        (0, true, false, 1, 1, 0)
    );
    // A target that does not exist at all is still NXDOMAIN.
    assert_eq!(
        shape(&ask(
            &s,
            &query("to-nothing.example.cn", 1, false),
            Transport::Udp
        )),
        (3, true, false, 1, 1, 0)
    );
}

#[test]
fn a_cname_target_is_delegated_only_below_the_cut_label_by_label() {
    let s = zone_of(&[
        ("NS", "sub", "ns1.sub.example.cn"),
        ("A", "ns1.sub", "192.0.2.53"),
        ("A", "xsub", "192.0.2.7"),
        ("CNAME", "to-xsub", "xsub.example.cn"),
        ("CNAME", "to-sub", "host.sub.example.cn"),
    ]);
    // `xsub.example.cn` ends with the text `sub.example.cn` but is not below the cut: the
    // chain is followed to its A record.
    assert_eq!(
        shape(&ask(
            &s,
            &query("to-xsub.example.cn", 1, false),
            Transport::Udp
        )),
        (0, true, false, 2, 0, 0)
    );
    // Below the cut the CNAME is answered alone (the target is another server's).
    assert_eq!(
        shape(&ask(
            &s,
            &query("to-sub.example.cn", 1, false),
            Transport::Udp
        )),
        (0, true, false, 1, 0, 0)
    );
    let zone = s.zone("example.cn").expect("zone");
    assert_eq!(
        zone.delegated("host.sub.example.cn"),
        Some("sub.example.cn")
    );
    assert_eq!(zone.delegated("sub.example.cn"), Some("sub.example.cn"));
    assert_eq!(zone.delegated("xsub.example.cn"), None);
    assert_eq!(zone.delegated("example.cn"), None);
}
