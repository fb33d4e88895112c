//! Differential test of the DNS codec against `hickory-proto`, an independent implementation
//! of the wire format (issue 14 item 9).
//!
//! Queries are generated at random and encoded by hickory; our server answers them from a
//! zone; hickory decodes every reply, and what it reads is compared with a small model of
//! authoritative resolution (RFC 1034 §4.3.2) over the same records, written here without
//! our code. A second property mutates the encoded queries byte by byte: whenever hickory
//! reads the bytes as a canonical one-question query, our decoder must read the same
//! question and answer it as the model does; whatever the bytes, every reply we send must be
//! a message hickory can decode. Zone transfers and NOTIFY are checked the same way.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query, ResponseCode};
use hickory_proto::rr::rdata::{A, AAAA, CAA, CNAME, MX, NS, SOA, SRV, TXT};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use yuming_app::dns::ServedZone;
use yuming_core::dns::{RecordInput, SoaFields, TtlPolicy, check_record};
use yuming_lookup::dns::{Outcome, Snapshot, Transport, answer, notify_message, transfer_messages};

const APEX: &str = "example.cn";
/// Our advertised EDNS payload size: a UDP reply never exceeds the client's size clamped to
/// 512..=1232.
const EDNS_UDP_SIZE: u16 = 1232;

fn name(text: &str) -> Name {
    Name::from_ascii(format!("{text}.")).expect("model name")
}

/// One record of the test zone: how it is entered (as a customer would) and what it must
/// look like on the wire, as hickory's own types.
struct Entry {
    rtype: &'static str,
    owner: &'static str,
    value: String,
    priority: Option<i64>,
    wire: RData,
}

fn entries() -> Vec<Entry> {
    let entry = |rtype, owner, value: &str, priority, wire| Entry {
        rtype,
        owner,
        value: value.to_owned(),
        priority,
        wire,
    };
    let mut list = vec![
        entry(
            "MX",
            "@",
            "mail.example.cn",
            Some(10),
            RData::MX(MX::new(10, name("mail.example.cn"))),
        ),
        entry(
            "TXT",
            "@",
            "v=spf1 -all",
            None,
            RData::TXT(TXT::new(vec!["v=spf1 -all".into()])),
        ),
        entry(
            "CAA",
            "@",
            "0 issue \"ca.example\"",
            None,
            // The issuer is a domain name without the final dot (RFC 8659 §4.2).
            RData::CAA(CAA::new_issue(
                false,
                Some(Name::from_ascii("ca.example").expect("issuer")),
                Vec::new(),
            )),
        ),
        entry(
            "A",
            "www",
            "192.0.2.1",
            None,
            RData::A(A(Ipv4Addr::new(192, 0, 2, 1))),
        ),
        entry(
            "AAAA",
            "www",
            "2001:db8::1",
            None,
            RData::AAAA(AAAA("2001:db8::1".parse::<Ipv6Addr>().expect("v6"))),
        ),
        entry(
            "A",
            "mail",
            "192.0.2.25",
            None,
            RData::A(A(Ipv4Addr::new(192, 0, 2, 25))),
        ),
        entry(
            "CNAME",
            "alias",
            "www.example.cn",
            None,
            RData::CNAME(CNAME(name("www.example.cn"))),
        ),
        entry(
            "CNAME",
            "chain",
            "alias.example.cn",
            None,
            RData::CNAME(CNAME(name("alias.example.cn"))),
        ),
        entry(
            "CNAME",
            "out",
            "www.example.com",
            None,
            RData::CNAME(CNAME(name("www.example.com"))),
        ),
        entry(
            "CNAME",
            "dangling",
            "nope.example.cn",
            None,
            RData::CNAME(CNAME(name("nope.example.cn"))),
        ),
        entry(
            "CNAME",
            "ent",
            "deep.example.cn",
            None,
            RData::CNAME(CNAME(name("deep.example.cn"))),
        ),
        entry(
            "CNAME",
            "intocut",
            "host.sub.example.cn",
            None,
            RData::CNAME(CNAME(name("host.sub.example.cn"))),
        ),
        entry(
            "A",
            "x.y.deep",
            "192.0.2.9",
            None,
            RData::A(A(Ipv4Addr::new(192, 0, 2, 9))),
        ),
        entry(
            "SRV",
            "_sip._tcp",
            "5 5060 sip.example.cn",
            Some(1),
            RData::SRV(SRV::new(1, 5, 5060, name("sip.example.cn"))),
        ),
        entry(
            "NS",
            "sub",
            "ns1.sub.example.cn",
            None,
            RData::NS(NS(name("ns1.sub.example.cn"))),
        ),
        entry(
            "A",
            "ns1.sub",
            "192.0.2.53",
            None,
            RData::A(A(Ipv4Addr::new(192, 0, 2, 53))),
        ),
        entry(
            "TXT",
            "long",
            &"t".repeat(300),
            None,
            RData::TXT(TXT::new(vec!["t".repeat(255), "t".repeat(45)])),
        ),
    ];
    for i in 0..100u8 {
        list.push(entry(
            "A",
            "big",
            &format!("10.0.0.{i}"),
            None,
            RData::A(A(Ipv4Addr::new(10, 0, 0, i))),
        ));
    }
    list
}

const APEX_NS: [&str; 2] = ["ns1.example.net", "ns2.example.net"];
const SERIAL: u32 = 2_026_120_601;
const TIMERS: [u32; 4] = [7200, 900, 1_209_600, 300];

fn snapshot() -> Snapshot {
    let records = entries()
        .iter()
        .map(|e| {
            check_record(
                APEX,
                &RecordInput {
                    rtype: e.rtype,
                    name: e.owner,
                    value: &e.value,
                    ttl: None,
                    priority: e.priority,
                },
                TtlPolicy::default(),
            )
            .expect("a valid record")
        })
        .collect();
    let mut snapshot = Snapshot::default();
    snapshot.apply(&[ServedZone {
        name: APEX.into(),
        soa: SoaFields {
            mname: APEX_NS[0].into(),
            rname: "hostmaster.example.cn".into(),
            serial: SERIAL,
            timers: TIMERS,
        },
        nameservers: APEX_NS.iter().map(|ns| (*ns).to_owned()).collect(),
        records,
        resolves: true,
    }]);
    snapshot
}

/// The zone as the model sees it: owner → records in the order they were entered (SOA and
/// the apex NS first).
struct Model {
    apex: Name,
    nodes: BTreeMap<Name, Vec<RData>>,
    cuts: Vec<Name>,
}

fn soa() -> RData {
    let [refresh, retry, expire, minimum] = TIMERS;
    RData::SOA(SOA::new(
        name(APEX_NS[0]),
        name("hostmaster.example.cn"),
        SERIAL,
        i32::try_from(refresh).expect("timer"),
        i32::try_from(retry).expect("timer"),
        i32::try_from(expire).expect("timer"),
        minimum,
    ))
}

impl Model {
    fn new() -> Self {
        let apex = name(APEX);
        let mut nodes: BTreeMap<Name, Vec<RData>> = BTreeMap::new();
        let at_apex = nodes.entry(apex.clone()).or_default();
        at_apex.push(soa());
        at_apex.extend(APEX_NS.iter().map(|ns| RData::NS(NS(name(ns)))));
        let mut cuts = Vec::new();
        for e in entries() {
            let owner = if e.owner == "@" {
                apex.clone()
            } else {
                name(&format!("{}.{APEX}", e.owner))
            };
            if e.rtype == "NS" && owner != apex {
                cuts.push(owner.clone());
            }
            nodes.entry(owner).or_default().push(e.wire);
        }
        Model { apex, nodes, cuts }
    }

    fn in_zone(&self, name: &Name) -> bool {
        self.apex.zone_of(name)
    }

    fn cut_above(&self, name: &Name) -> Option<&Name> {
        self.cuts.iter().find(|cut| cut.zone_of(name))
    }

    /// A name with nothing of its own but something below it (an empty non-terminal).
    fn encloses(&self, name: &Name) -> bool {
        self.nodes.keys().any(|k| k != name && name.zone_of(k))
    }

    fn expect(&self, request: &Message, transport: Transport) -> Expected {
        let query = &request.queries[0];
        if request.metadata.op_code != OpCode::Query {
            return Expected::bare(ResponseCode::NotImp);
        }
        if request.edns.as_ref().is_some_and(|e| e.version() > 0) {
            return Expected::bare(ResponseCode::BADVERS);
        }
        let qname = &query.name;
        if query.query_class != DNSClass::IN || !self.in_zone(qname) {
            return Expected::bare(ResponseCode::Refused);
        }
        if matches!(query.query_type, RecordType::AXFR | RecordType::IXFR) {
            return if transport == Transport::Tcp && *qname == self.apex {
                Expected::Transfer
            } else {
                Expected::bare(ResponseCode::Refused)
            };
        }
        if let Some(cut) = self.cut_above(qname) {
            return self.referral(cut);
        }
        let mut out = Answer {
            rcode: ResponseCode::NoError,
            authoritative: true,
            ..Answer::default()
        };
        let mut at = qname.to_lowercase();
        // A chain longer than ours (8) is not in the zone.
        loop {
            let Some(rrs) = self.nodes.get(&at) else {
                if !self.encloses(&at) {
                    out.rcode = ResponseCode::NXDomain;
                }
                out.authority.push((self.apex.clone(), soa()));
                return Expected::Answer(out);
            };
            let cname = rrs.iter().find(|r| matches!(r, RData::CNAME(_)));
            if let (Some(RData::CNAME(CNAME(target))), false) =
                (cname, query.query_type == RecordType::CNAME)
            {
                out.answer
                    .push((at.clone(), RData::CNAME(CNAME(target.clone()))));
                if !self.in_zone(target) || self.cut_above(target).is_some() {
                    return Expected::Answer(out);
                }
                at = target.to_lowercase();
                continue;
            }
            let wanted = match query.query_type {
                // RFC 8482: one RRset is enough, the first at the name.
                RecordType::ANY => rrs[0].record_type(),
                other => other,
            };
            let matching: Vec<_> = rrs
                .iter()
                .filter(|r| r.record_type() == wanted)
                .map(|r| (at.clone(), r.clone()))
                .collect();
            if matching.is_empty() {
                out.authority.push((self.apex.clone(), soa()));
            }
            out.answer.extend(matching);
            return Expected::Answer(out);
        }
    }

    fn referral(&self, cut: &Name) -> Expected {
        let mut out = Answer {
            rcode: ResponseCode::NoError,
            authoritative: false,
            ..Answer::default()
        };
        for rr in &self.nodes[cut] {
            if let RData::NS(NS(target)) = rr {
                out.authority.push((cut.clone(), rr.clone()));
                for glue in self.nodes.get(target).into_iter().flatten() {
                    if matches!(glue, RData::A(_) | RData::AAAA(_)) {
                        out.additional.push((target.clone(), glue.clone()));
                    }
                }
            }
        }
        Expected::Answer(out)
    }
}

#[derive(Debug, Default)]
struct Answer {
    rcode: ResponseCode,
    authoritative: bool,
    answer: Vec<(Name, RData)>,
    authority: Vec<(Name, RData)>,
    additional: Vec<(Name, RData)>,
}

#[derive(Debug)]
enum Expected {
    Answer(Answer),
    Transfer,
}

impl Expected {
    fn bare(rcode: ResponseCode) -> Self {
        Expected::Answer(Answer {
            rcode,
            ..Answer::default()
        })
    }
}

/// A section as sorted (owner, rdata) text, so that order within an RRset does not matter.
fn section(records: &[Record]) -> Vec<String> {
    let pairs: Vec<(Name, RData)> = records
        .iter()
        .map(|r| (r.name.clone(), r.data.clone()))
        .collect();
    expected_section(&pairs)
}

/// The model's records in the form of [`section`].
fn expected_section(records: &[(Name, RData)]) -> Vec<String> {
    let mut out: Vec<String> = records
        .iter()
        .map(|(owner, data)| format!("{} {data:?}", owner.to_lowercase()))
        .collect();
    out.sort();
    out
}

fn udp_limit(request: &Message) -> usize {
    request.edns.as_ref().map_or(512, |e| {
        usize::from(e.max_payload().clamp(512, EDNS_UDP_SIZE))
    })
}

/// Answers `bytes`, which hickory decoded as `request`, and checks the reply against the
/// model.
fn check(
    snapshot: &Snapshot,
    model: &Model,
    bytes: &[u8],
    request: &Message,
    transport: Transport,
) -> Result<(), TestCaseError> {
    let expected = model.expect(request, transport);
    let reply = match answer(snapshot, bytes, transport, Vec::new()) {
        Outcome::Reply(reply) => reply,
        Outcome::Transfer(zone, _) => {
            prop_assert!(matches!(expected, Expected::Transfer), "{expected:?}");
            prop_assert_eq!(&zone.name, APEX);
            return Ok(());
        }
        Outcome::Drop => return Err(TestCaseError::fail("a well-formed query was dropped")),
    };
    let Expected::Answer(want) = expected else {
        return Err(TestCaseError::fail("a transfer was answered as a query"));
    };
    let got = Message::from_vec(&reply)
        .map_err(|e| TestCaseError::fail(format!("hickory cannot decode our reply: {e}")))?;
    prop_assert_eq!(got.metadata.id, request.metadata.id);
    prop_assert_eq!(got.metadata.message_type, MessageType::Response);
    prop_assert_eq!(got.metadata.op_code, request.metadata.op_code);
    // Code 16 is both BADVERS and BADSIG (RFC 6891, RFC 8945); hickory reads it as the latter.
    prop_assert_eq!(
        u16::from(got.metadata.response_code),
        u16::from(want.rcode),
        "{:?} for {:?}",
        got.metadata.response_code,
        want.rcode
    );
    if want.rcode == ResponseCode::NotImp {
        return Ok(());
    }
    prop_assert_eq!(
        got.metadata.recursion_desired,
        request.metadata.recursion_desired
    );
    prop_assert_eq!(got.queries.len(), 1);
    // The question is echoed as asked, case included (RFC 1035 §4.1.1, RFC 4343 §4.1).
    prop_assert!(got.queries[0].name.eq_case(&request.queries[0].name));
    prop_assert_eq!(got.queries[0].query_type, request.queries[0].query_type);
    prop_assert_eq!(got.queries[0].query_class, request.queries[0].query_class);
    // A request with OPT gets OPT back (RFC 6891 §6.1.1), one without does not.
    prop_assert_eq!(got.edns.is_some(), request.edns.is_some());
    if let Some(edns) = &got.edns {
        prop_assert_eq!(edns.max_payload(), EDNS_UDP_SIZE);
        prop_assert_eq!(edns.version(), 0);
    }
    if transport == Transport::Udp {
        prop_assert!(reply.len() <= udp_limit(request), "{} bytes", reply.len());
    }
    if got.metadata.truncation {
        // Truncated: the client retries over TCP; nothing partial is offered.
        prop_assert_eq!(transport, Transport::Udp);
        prop_assert!(got.answers.is_empty() && got.authorities.is_empty());
        prop_assert!(got.additionals.is_empty());
        prop_assert!(!want.answer.is_empty() || !want.additional.is_empty());
        return Ok(());
    }
    prop_assert_eq!(got.metadata.authoritative, want.authoritative);
    prop_assert_eq!(section(&got.answers), expected_section(&want.answer));
    prop_assert_eq!(section(&got.authorities), expected_section(&want.authority));
    prop_assert_eq!(
        section(&got.additionals),
        expected_section(&want.additional)
    );
    Ok(())
}

/// Labels that reach every branch of the model, mixed case included, and some that match
/// nothing.
const LABELS: &[&str] = &[
    "www",
    "WWW",
    "mail",
    "alias",
    "chain",
    "out",
    "dangling",
    "ent",
    "intocut",
    "deep",
    "y",
    "x",
    "sub",
    "ns1",
    "host",
    "big",
    "long",
    "_sip",
    "_tcp",
    "nope",
    "a-b",
    "xn--fiqs8s",
];
const SUFFIXES: &[&str] = &[
    "example.cn",
    "EXAMPLE.CN",
    "Example.Cn",
    "example.com",
    "cn",
    "",
];

fn qname() -> impl Strategy<Value = Name> {
    let labels = prop::collection::vec(
        prop_oneof![
            4 => prop::sample::select(LABELS).prop_map(|l| l.as_bytes().to_vec()),
            1 => prop::collection::vec(any::<u8>(), 1..20),
        ],
        0..4,
    );
    (labels, prop::sample::select(SUFFIXES)).prop_filter_map("name too long", |(labels, suffix)| {
        let mut name = Name::from_labels(labels).ok()?;
        name.set_fqdn(true);
        let suffix = if suffix.is_empty() {
            Name::root()
        } else {
            Name::from_ascii(format!("{suffix}.")).ok()?
        };
        name.append_domain(&suffix).ok()
    })
}

fn qtype() -> impl Strategy<Value = RecordType> {
    prop_oneof![
        8 => prop::sample::select(vec![
            RecordType::A,
            RecordType::AAAA,
            RecordType::MX,
            RecordType::TXT,
            RecordType::CNAME,
            RecordType::NS,
            RecordType::SOA,
            RecordType::CAA,
            RecordType::SRV,
            RecordType::ANY,
            RecordType::AXFR,
            RecordType::IXFR,
            RecordType::PTR,
        ]),
        1 => any::<u16>().prop_map(RecordType::from),
    ]
}

fn request() -> impl Strategy<Value = Message> {
    let class = prop_oneof![
        9 => Just(DNSClass::IN),
        1 => prop::sample::select(vec![DNSClass::CH, DNSClass::HS, DNSClass::ANY]),
    ];
    let edns = prop::option::of((512u16..=4096, prop_oneof![9 => Just(0u8), 1 => 1u8..=2]));
    let opcode = prop_oneof![
        19 => Just(OpCode::Query),
        1 => prop::sample::select(vec![OpCode::Status, OpCode::Notify, OpCode::Update]),
    ];
    (
        any::<u16>(),
        any::<bool>(),
        opcode,
        qname(),
        qtype(),
        class,
        edns,
    )
        .prop_map(|(id, rd, opcode, name, qtype, class, edns)| {
            let mut message = Message::new(id, MessageType::Query, opcode);
            message.metadata.recursion_desired = rd;
            let mut query = Query::query(name, qtype);
            query.set_query_class(class);
            message.add_query(query);
            if let Some((size, version)) = edns {
                let mut e = Edns::new();
                e.set_max_payload(size).set_version(version);
                message.set_edns(e);
            }
            message
        })
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn replies_to_random_queries_match_the_model_as_hickory_reads_them() {
    let snapshot = snapshot();
    let model = Model::new();
    runner(4000)
        .run(
            &(
                request(),
                prop::sample::select(vec![Transport::Udp, Transport::Tcp]),
            ),
            |(request, transport)| {
                let bytes = request.to_vec().expect("hickory encodes the query");
                check(&snapshot, &model, &bytes, &request, transport)
            },
        )
        .unwrap();
}

#[test]
fn our_decoder_agrees_with_hickory_on_mutated_queries() {
    let snapshot = snapshot();
    let model = Model::new();
    let edits = prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4);
    let agreed = std::cell::Cell::new(0u32);
    runner(6000)
        .run(
            &(request(), edits, any::<Option<prop::sample::Index>>()),
            |(request, edits, cut)| {
                let mut bytes = request.to_vec().expect("hickory encodes the query");
                for (at, value) in edits {
                    let at = at.index(bytes.len());
                    bytes[at] = value;
                }
                if let Some(cut) = cut {
                    bytes.truncate(cut.index(bytes.len() + 1));
                }
                for transport in [Transport::Udp, Transport::Tcp] {
                    if let Outcome::Reply(reply) = answer(&snapshot, &bytes, transport, Vec::new())
                    {
                        // Whatever came in, what goes out is a DNS message with the id.
                        let got = Message::from_vec(&reply).map_err(|e| {
                            TestCaseError::fail(format!("hickory cannot decode our reply: {e}"))
                        })?;
                        prop_assert_eq!(&reply[..2], &bytes[..2]);
                        prop_assert_eq!(got.metadata.message_type, MessageType::Response);
                    }
                }
                let Ok(decoded) = Message::from_vec(&bytes) else {
                    return Ok(());
                };
                let canonical = decoded.to_vec().is_ok_and(|again| again == bytes);
                let plain_query = decoded.metadata.message_type == MessageType::Query
                    && decoded.queries.len() == 1
                    && decoded.answers.is_empty()
                    && decoded.authorities.is_empty()
                    && decoded.additionals.is_empty()
                    && decoded.signature.is_none();
                if canonical && plain_query {
                    agreed.set(agreed.get() + 1);
                    for transport in [Transport::Udp, Transport::Tcp] {
                        check(&snapshot, &model, &bytes, &decoded, transport)?;
                    }
                }
                Ok(())
            },
        )
        .unwrap();
    // Most single-byte edits (ids, flags, qtypes, label bytes) leave a valid query behind; if
    // almost none did, the property above would be checking nothing.
    assert!(
        agreed.get() > 1000,
        "only {} mutated queries were valid",
        agreed.get()
    );
}

#[test]
fn a_zone_transfer_decodes_to_every_record_between_two_soas() {
    let snapshot = snapshot();
    let model = Model::new();
    let mut request = Message::new(0x4242, MessageType::Query, OpCode::Query);
    request.add_query(Query::query(name(APEX), RecordType::AXFR));
    let bytes = request.to_vec().expect("encode");
    let Outcome::Transfer(zone, _) = answer(&snapshot, &bytes, Transport::Tcp, Vec::new()) else {
        panic!("AXFR over TCP is a transfer");
    };
    let mut records = Vec::new();
    for message in transfer_messages(&zone, &bytes) {
        let m = Message::from_vec(&message).expect("hickory decodes each transfer message");
        assert_eq!(m.metadata.id, 0x4242);
        assert!(m.metadata.authoritative);
        assert_eq!(m.metadata.response_code, ResponseCode::NoError);
        records.extend(m.answers);
    }
    let soa_record = (model.apex.clone(), soa());
    let (first, rest) = records.split_first().expect("records");
    let (last, middle) = rest.split_last().expect("records");
    assert_eq!(
        section(std::slice::from_ref(first)),
        expected_section(std::slice::from_ref(&soa_record))
    );
    assert_eq!(
        section(std::slice::from_ref(last)),
        expected_section(&[soa_record])
    );
    let everything: Vec<(Name, RData)> = model
        .nodes
        .iter()
        .flat_map(|(owner, rrs)| rrs.iter().map(|r| (owner.clone(), r.clone())))
        .filter(|(_, r)| !matches!(r, RData::SOA(_)))
        .collect();
    assert_eq!(section(middle), expected_section(&everything));
}

#[test]
fn a_notify_decodes_as_a_notify_for_the_zone_soa() {
    let m = Message::from_vec(&notify_message(APEX, 77)).expect("hickory decodes NOTIFY");
    assert_eq!(m.metadata.id, 77);
    assert_eq!(m.metadata.op_code, OpCode::Notify);
    assert!(m.metadata.authoritative);
    assert_eq!(m.queries.len(), 1);
    assert_eq!(m.queries[0].name, name(APEX));
    assert_eq!(m.queries[0].query_type, RecordType::SOA);
    assert_eq!(m.queries[0].query_class, DNSClass::IN);
}
