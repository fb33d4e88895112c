//! Bytes → response over UDP and TCP against a zone with every record type, a delegation, a
//! CNAME chain and an oversized RRset: must never panic, and a reply always carries the id.
//! Run with `--features lookup`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use yuming_app::dns::ServedZone;
use yuming_core::dns::{RecordInput, SoaFields, TtlPolicy, check_record};
use yuming_lookup::dns::{Outcome, Snapshot, Transport, answer, transfer_messages};

fn snapshot() -> &'static Snapshot {
    static S: OnceLock<Snapshot> = OnceLock::new();
    S.get_or_init(|| {
        let rec = |t: &str, n: &str, v: &str, p: Option<i64>| {
            check_record(
                "example.cn",
                &RecordInput {
                    rtype: t,
                    name: n,
                    value: v,
                    ttl: None,
                    priority: p,
                },
                TtlPolicy::default(),
            )
            .expect("record")
        };
        let mut records = vec![
            rec("A", "www", "192.0.2.1", None),
            rec("AAAA", "www", "2001:db8::1", None),
            rec("CNAME", "a", "b.example.cn", None),
            rec("CNAME", "b", "www.example.cn", None),
            rec("CNAME", "loop1", "loop2.example.cn", None),
            rec("CNAME", "loop2", "loop1.example.cn", None),
            rec("MX", "@", "mail.example.cn", Some(10)),
            rec("TXT", "@", &"t".repeat(600), None),
            rec("CAA", "@", "0 issue \"ca.example\"", None),
            rec("SRV", "_sip._tcp", "1 5060 sip.example.cn", Some(1)),
            rec("NS", "sub", "ns1.sub.example.cn", None),
            rec("A", "ns1.sub", "192.0.2.53", None),
            rec("A", "x.y.deep", "192.0.2.9", None),
        ];
        for i in 0..100 {
            records.push(rec("A", "big", &format!("10.0.0.{i}"), None));
        }
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
    })
}

fuzz_target!(|data: &[u8]| {
    let s = snapshot();
    for transport in [Transport::Udp, Transport::Tcp] {
        match answer(s, data, transport, Vec::new()) {
            Outcome::Reply(r) => {
                assert!(r.len() >= 12 && r[..2] == data[..2]);
                if transport == Transport::Udp {
                    assert!(r.len() <= 1232 + 11);
                }
            }
            Outcome::Transfer(zone, _) => {
                assert!(!transfer_messages(&zone, data).is_empty());
            }
            Outcome::Drop => {}
        }
    }
});
