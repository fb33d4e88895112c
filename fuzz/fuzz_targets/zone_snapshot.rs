//! Zone content → snapshot → answers. Lines of `TYPE NAME VALUE` become records where the
//! record rules accept them (as the API would); a set the zone rules accept is built into a
//! snapshot, then every owner name is asked for its own type, for A and for ANY over UDP and
//! TCP, and the zone is transferred. Nothing may panic; every reply echoes the id and the
//! question, is marked as a response, stays within the UDP size, and answers with NOERROR or
//! NXDOMAIN; a transfer starts and ends with the SOA.
#![no_main]

use libfuzzer_sys::fuzz_target;
use yuming_app::dns::ServedZone;
use yuming_core::dns::{RecordInput, SoaFields, TtlPolicy, check_record, check_zone};
use yuming_lookup::dns::{Outcome, Snapshot, Transport, answer, transfer_messages};

const ZONE: &str = "example.cn";
const TYPES: [&str; 8] = ["A", "AAAA", "CNAME", "MX", "TXT", "NS", "CAA", "SRV"];

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut records = Vec::new();
    for line in text.lines().take(64) {
        let mut parts = line.splitn(3, ' ');
        let (Some(rtype), Some(name), Some(value)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let Some(rtype) = TYPES.iter().find(|t| t.eq_ignore_ascii_case(rtype)) else {
            continue;
        };
        let priority = matches!(*rtype, "MX" | "SRV").then_some(10);
        let input = RecordInput {
            rtype,
            name,
            value,
            ttl: None,
            priority,
        };
        if let Ok(record) = check_record(ZONE, &input, TtlPolicy::default()) {
            records.push(record);
        }
    }
    if check_zone(ZONE, &records).is_err() {
        return;
    }
    let owners: Vec<(String, u16)> = records
        .iter()
        .map(|r| (r.owner(ZONE), r.rtype.code()))
        .collect();
    let mut snapshot = Snapshot::default();
    snapshot.apply(&[ServedZone {
        name: ZONE.into(),
        soa: SoaFields {
            mname: "ns1.example.net".into(),
            rname: "hostmaster.example.cn".into(),
            serial: 7,
            timers: [3600, 600, 86400, 300],
        },
        nameservers: vec!["ns1.example.net".into(), "ns2.example.net".into()],
        records,
        resolves: true,
    }]);
    let mut id: u16 = 0;
    for (owner, own_type) in owners.iter().take(16) {
        for qtype in [*own_type, 1, 255] {
            id = id.wrapping_add(1);
            let query = query(id, owner, qtype);
            for transport in [Transport::Udp, Transport::Tcp] {
                match answer(&snapshot, &query, transport, Vec::new()) {
                    Outcome::Reply(reply) => check_reply(&query, &reply, transport),
                    Outcome::Transfer(..) => panic!("a plain query became a transfer"),
                    Outcome::Drop => panic!("a well-formed query was dropped"),
                }
            }
        }
    }
    let axfr = query(0xaf, ZONE, 252);
    let Outcome::Transfer(zone, _) = answer(&snapshot, &axfr, Transport::Tcp, Vec::new()) else {
        panic!("AXFR over TCP is not a transfer");
    };
    let messages = transfer_messages(&zone, &axfr);
    assert!(!messages.is_empty());
    for message in &messages {
        assert_eq!(message[..2], axfr[..2], "transfer message keeps the id");
    }
    let first_answer_type = |m: &[u8]| answer_type(m, &axfr);
    assert_eq!(first_answer_type(&messages[0]), Some(6), "a transfer starts with the SOA");
});

/// A standard query (RD clear, no EDNS) for `name` and `qtype`, class IN.
fn query(id: u16, name: &str, qtype: u16) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    out.extend_from_slice(&id.to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out.extend_from_slice(&qtype.to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out
}

fn check_reply(query: &[u8], reply: &[u8], transport: Transport) {
    assert!(reply.len() >= query.len(), "a reply carries its question");
    assert_eq!(reply[..2], query[..2], "the id is echoed");
    assert_eq!(reply[2] & 0x80, 0x80, "QR is set");
    assert_eq!(u16::from_be_bytes([reply[4], reply[5]]), 1, "one question");
    assert_eq!(reply[12..query.len()], query[12..], "the question is echoed");
    let rcode = reply[3] & 0x0f;
    assert!(rcode == 0 || rcode == 3, "rcode {rcode} for a name in the zone");
    if transport == Transport::Udp {
        assert!(reply.len() <= 512, "a UDP reply without EDNS fits 512 bytes");
    }
}

/// The type of the first answer record of `message`, which repeats the question of `query`.
fn answer_type(message: &[u8], query: &[u8]) -> Option<u16> {
    if u16::from_be_bytes([message[6], message[7]]) == 0 {
        return None;
    }
    let qdcount = u16::from_be_bytes([message[4], message[5]]);
    let mut at = 12 + if qdcount == 1 { query.len() - 12 } else { 0 };
    // The owner: labels or a compression pointer.
    loop {
        let len = *message.get(at)?;
        if len & 0xc0 == 0xc0 {
            at += 2;
            break;
        }
        at += 1 + usize::from(len);
        if len == 0 {
            break;
        }
    }
    Some(u16::from_be_bytes([*message.get(at)?, *message.get(at + 1)?]))
}
