//! The authoritative DNS answer path: an immutable snapshot of every served zone with the
//! records pre-encoded in wire form, and `answer`, which turns a request packet into a
//! response packet without touching the database. Hand-written rather than hickory-server
//! because the hot path here is a hash lookup and a few `extend_from_slice`; names inside
//! record data are written uncompressed (compression is optional, RFC 1035 §4.1.4) and the
//! owner of an answer is a pointer to the question when it is the question's name.
//!
//! Suspended zones (holds, redemption, pending delete, mainland hold) are simply absent, so
//! their names are REFUSED like any name the platform does not host.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use yuming_app::dns::ServedZone;
use yuming_core::dns::{RecordType, caa_parts, srv_parts, txt_strings};

const TYPE_SOA: u16 = 6;
const TYPE_OPT: u16 = 41;
const TYPE_AXFR: u16 = 252;
const TYPE_IXFR: u16 = 251;
const TYPE_ANY: u16 = 255;
const CLASS_IN: u16 = 1;
const TYPE_NS: u16 = 2;
const TYPE_CNAME: u16 = 5;
const TYPE_A: u16 = 1;
const TYPE_AAAA: u16 = 28;

/// Response codes.
pub mod rcode {
    /// No error.
    pub const NOERROR: u8 = 0;
    /// Malformed request.
    pub const FORMERR: u8 = 1;
    /// Server failure.
    pub const SERVFAIL: u8 = 2;
    /// Name does not exist.
    pub const NXDOMAIN: u8 = 3;
    /// Opcode not implemented.
    pub const NOTIMP: u8 = 4;
    /// Not served here.
    pub const REFUSED: u8 = 5;
}

/// The UDP payload size we advertise and honour at most (the DNS Flag Day 2020 value).
pub const EDNS_UDP_SIZE: u16 = 1232;
/// Longest chase of CNAMEs inside one zone.
const MAX_CNAME_CHAIN: usize = 8;

/// One RRset's record: type, TTL and wire rdata.
#[derive(Debug, Clone)]
struct Rr {
    rtype: u16,
    ttl: u32,
    rdata: Box<[u8]>,
}

/// One zone, ready to answer from.
#[derive(Debug, Default)]
pub struct Zone {
    /// A-label name, no final dot.
    pub name: String,
    /// SOA serial.
    pub serial: u32,
    apex_wire: Box<[u8]>,
    soa: Rr,
    /// Owner (absolute, lower case) → records.
    nodes: HashMap<Box<str>, Vec<Rr>>,
    /// Delegation points below the apex.
    cuts: HashSet<Box<str>>,
    /// Names that exist only because something below them does (empty non-terminals).
    enclosers: HashSet<Box<str>>,
}

impl Default for Rr {
    fn default() -> Self {
        Rr {
            rtype: TYPE_SOA,
            ttl: 0,
            rdata: Box::new([]),
        }
    }
}

impl Zone {
    /// The delegation point at or above `name` and below the apex, if any: compared label by
    /// label, walking from `name` up to the apex.
    pub fn delegated<'z>(&'z self, name: &str) -> Option<&'z str> {
        if self.cuts.is_empty() {
            return None;
        }
        let mut rest = name;
        while rest.len() > self.name.len() {
            if let Some(cut) = self.cuts.get(rest) {
                return Some(cut);
            }
            rest = rest.split_once('.')?.1;
        }
        None
    }
}

/// Every served zone, and the cancelled names under their stray-traffic watch.
#[derive(Debug, Default, Clone)]
pub struct Snapshot {
    zones: HashMap<Box<str>, Arc<Zone>>,
    /// Watched name → queries counted since the last drain. The counters are shared by
    /// every clone, so a snapshot swapped in by the poller keeps counting into them.
    watched: HashMap<Box<str>, Arc<AtomicU64>>,
}

impl Snapshot {
    /// Applies reloaded zones: resolving ones replace or join, the others leave.
    /// Returns the zones whose serial changed (to NOTIFY secondaries about).
    pub fn apply(&mut self, changed: &[ServedZone]) -> Vec<String> {
        let mut notify = Vec::new();
        for z in changed {
            if z.resolves {
                let zone = build_zone(z);
                let old = self.zones.get(z.name.as_str()).map(|o| o.serial);
                if old != Some(zone.serial) {
                    notify.push(z.name.clone());
                }
                self.zones.insert(z.name.as_str().into(), Arc::new(zone));
            } else {
                self.zones.remove(z.name.as_str());
            }
        }
        notify
    }

    /// A served zone by name.
    pub fn zone(&self, name: &str) -> Option<&Arc<Zone>> {
        self.zones.get(name)
    }

    /// How many zones are served.
    pub fn len(&self) -> usize {
        self.zones.len()
    }

    /// Whether no zone is served.
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    /// Replaces the set of watched (cancelled) names, keeping the uncounted queries of
    /// names that stay watched.
    pub fn set_watched<'a>(&mut self, names: impl IntoIterator<Item = &'a str>) {
        let mut next = HashMap::new();
        for name in names {
            let counter = self
                .watched
                .get(name)
                .map_or_else(|| Arc::new(AtomicU64::new(0)), Arc::clone);
            next.insert(Box::from(name), counter);
        }
        self.watched = next;
    }

    /// Takes the queries counted per watched name since the last drain (names with none
    /// are left out).
    pub fn drain_stray(&self) -> Vec<(String, u64)> {
        let mut counts: Vec<(String, u64)> = self
            .watched
            .iter()
            .filter_map(|(name, n)| {
                let count = n.swap(0, Ordering::Relaxed);
                (count > 0).then(|| (name.to_string(), count))
            })
            .collect();
        counts.sort();
        counts
    }

    /// Gives counts that could not be recorded back, to go with the next drain.
    pub fn restore_stray(&self, counts: &[(String, u64)]) {
        for (name, count) in counts {
            if let Some(n) = self.watched.get(name.as_str()) {
                n.fetch_add(*count, Ordering::Relaxed);
            }
        }
    }

    /// Counts a query for a name the platform does not serve, if it is at or below a
    /// watched name.
    fn note_stray(&self, qname: &str) {
        if self.watched.is_empty() {
            return;
        }
        let mut rest = qname;
        loop {
            if let Some(n) = self.watched.get(rest) {
                n.fetch_add(1, Ordering::Relaxed);
                return;
            }
            match rest.split_once('.') {
                Some((_, parent)) => rest = parent,
                None => return,
            }
        }
    }

    /// The zone holding `qname` (longest suffix match).
    fn find(&self, qname: &str) -> Option<&Arc<Zone>> {
        let mut rest = qname;
        loop {
            if let Some(z) = self.zones.get(rest) {
                return Some(z);
            }
            rest = rest.split_once('.')?.1;
        }
    }
}

/// `name` (A-labels, no final dot; empty = root) in wire form, appended to `out`.
fn put_name(out: &mut Vec<u8>, name: &str) {
    if !name.is_empty() {
        for label in name.split('.') {
            let bytes = label.as_bytes();
            out.push(u8::try_from(bytes.len().min(63)).unwrap_or(63));
            out.extend_from_slice(&bytes[..bytes.len().min(63)]);
        }
    }
    out.push(0);
}

fn name_wire(name: &str) -> Box<[u8]> {
    let mut v = Vec::with_capacity(name.len() + 2);
    put_name(&mut v, name);
    v.into_boxed_slice()
}

fn rdata_of(rtype: RecordType, value: &str, priority: Option<u16>) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(16);
    match rtype {
        RecordType::A => out.extend_from_slice(&value.parse::<std::net::Ipv4Addr>().ok()?.octets()),
        RecordType::Aaaa => {
            out.extend_from_slice(&value.parse::<std::net::Ipv6Addr>().ok()?.octets());
        }
        RecordType::Cname | RecordType::Ns => put_name(&mut out, value),
        RecordType::Mx => {
            out.extend_from_slice(&priority.unwrap_or(10).to_be_bytes());
            put_name(&mut out, value);
        }
        RecordType::Txt => {
            for chunk in txt_strings(value) {
                out.push(u8::try_from(chunk.len()).ok()?);
                out.extend_from_slice(chunk);
            }
        }
        RecordType::Caa => {
            let (flags, tag, v) = caa_parts(value)?;
            out.push(flags);
            out.push(u8::try_from(tag.len()).ok()?);
            out.extend_from_slice(tag.as_bytes());
            out.extend_from_slice(v.as_bytes());
        }
        RecordType::Srv => {
            let (weight, port, target) = srv_parts(value)?;
            out.extend_from_slice(&priority.unwrap_or(0).to_be_bytes());
            out.extend_from_slice(&weight.to_be_bytes());
            out.extend_from_slice(&port.to_be_bytes());
            put_name(&mut out, if target == "." { "" } else { target });
        }
    }
    Some(out)
}

/// Builds a zone's answer structures.
pub fn build_zone(z: &ServedZone) -> Zone {
    let apex = z.name.as_str();
    let mut soa = Vec::with_capacity(64);
    put_name(&mut soa, &z.soa.mname);
    put_name(&mut soa, &z.soa.rname);
    soa.extend_from_slice(&z.soa.serial.to_be_bytes());
    for t in z.soa.timers {
        soa.extend_from_slice(&t.to_be_bytes());
    }
    let soa = Rr {
        rtype: TYPE_SOA,
        ttl: 3600,
        rdata: soa.into_boxed_slice(),
    };
    let mut nodes: HashMap<Box<str>, Vec<Rr>> = HashMap::new();
    let apex_node = nodes.entry(apex.into()).or_default();
    apex_node.push(soa.clone());
    for ns in &z.nameservers {
        apex_node.push(Rr {
            rtype: TYPE_NS,
            ttl: 3600,
            rdata: name_wire(ns),
        });
    }
    let mut cuts = HashSet::new();
    for r in &z.records {
        let Some(rdata) = rdata_of(r.rtype, &r.value, r.priority) else {
            continue;
        };
        let owner = r.owner(apex);
        if r.rtype == RecordType::Ns && owner != apex {
            cuts.insert(owner.clone().into_boxed_str());
        }
        nodes.entry(owner.into()).or_default().push(Rr {
            rtype: r.rtype.code(),
            ttl: r.ttl,
            rdata: rdata.into_boxed_slice(),
        });
    }
    let mut enclosers = HashSet::new();
    for owner in nodes.keys() {
        let mut rest: &str = owner;
        while let Some((_, parent)) = rest.split_once('.') {
            if parent.len() < apex.len() {
                break;
            }
            if !nodes.contains_key(parent) {
                enclosers.insert(parent.into());
            }
            rest = parent;
        }
    }
    Zone {
        name: apex.to_owned(),
        serial: z.soa.serial,
        apex_wire: name_wire(apex),
        soa,
        nodes,
        cuts,
        enclosers,
    }
}

/// A parsed request.
struct Query<'a> {
    id: [u8; 2],
    rd: bool,
    opcode: u8,
    /// The question section as received (echoed back verbatim).
    question: &'a [u8],
    qname: String,
    qtype: u16,
    qclass: u16,
    /// The client's EDNS UDP size, when it sent OPT.
    edns: Option<u16>,
    edns_version: u8,
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

enum Parsed<'a> {
    Ok(Query<'a>),
    /// Well-formed enough to reply to, not to answer: the rcode and the bits to echo.
    Error([u8; 2], u8, u8),
    /// Not worth a reply (too short, or a response).
    Drop,
}

fn parse(packet: &[u8]) -> Parsed<'_> {
    if packet.len() < 12 {
        return Parsed::Drop;
    }
    let id = [packet[0], packet[1]];
    let flags = packet[2];
    if flags & 0x80 != 0 {
        return Parsed::Drop;
    }
    let opcode = (flags >> 3) & 0x0f;
    let formerr = Parsed::Error(id, opcode, rcode::FORMERR);
    let (Some(qd), Some(an), Some(ns), Some(ar)) = (
        be16(packet, 4),
        be16(packet, 6),
        be16(packet, 8),
        be16(packet, 10),
    ) else {
        return formerr;
    };
    if qd != 1 || an > 0 && opcode == 0 || ns > 0 && opcode == 0 {
        return formerr;
    }
    let mut at = 12;
    let mut qname = String::with_capacity(64);
    loop {
        let Some(&len) = packet.get(at) else {
            return formerr;
        };
        at += 1;
        if len == 0 {
            break;
        }
        // Compression pointers or extended labels have no place in a question.
        if len > 63 {
            return formerr;
        }
        let Some(label) = packet.get(at..at + usize::from(len)) else {
            return formerr;
        };
        if !qname.is_empty() {
            qname.push('.');
        }
        for &b in label {
            // Names we serve are LDH/underscore; anything else cannot match, but must not
            // break the string either.
            qname.push(if b.is_ascii_graphic() && b != b'.' {
                char::from(b.to_ascii_lowercase())
            } else {
                '?'
            });
        }
        at += usize::from(len);
        if at - 12 > 255 {
            return formerr;
        }
    }
    let (Some(qtype), Some(qclass)) = (be16(packet, at), be16(packet, at + 2)) else {
        return formerr;
    };
    let question = &packet[12..at + 4];
    at += 4;
    let mut edns = None;
    let mut edns_version = 0;
    if opcode == 0 {
        // Only OPT is expected in a query's additional section (TSIG is not used), and at most
        // one: a second OPT, or one not owned by the root, is FORMERR (RFC 6891 §6.1.1).
        for _ in 0..ar {
            let (Some(&0), Some(TYPE_OPT), Some(size), Some(&version), Some(rdlen)) = (
                packet.get(at),
                be16(packet, at + 1),
                be16(packet, at + 3),
                packet.get(at + 6),
                be16(packet, at + 9),
            ) else {
                return formerr;
            };
            if edns.is_some() {
                return formerr;
            }
            at += 11 + usize::from(rdlen);
            if packet.len() < at {
                return formerr;
            }
            edns = Some(size);
            edns_version = version;
        }
    }
    Parsed::Ok(Query {
        id,
        rd: flags & 0x01 != 0,
        opcode,
        question,
        qname,
        qtype,
        qclass,
        edns,
        edns_version,
    })
}

/// A response under construction.
struct Response<'q> {
    out: Vec<u8>,
    counts: [u16; 3],
    q: &'q Query<'q>,
}

impl<'q> Response<'q> {
    fn new(q: &'q Query<'q>, out: Vec<u8>, aa: bool, rc: u8) -> Self {
        let mut out = out;
        out.clear();
        out.extend_from_slice(&q.id);
        out.push(0x80 | (q.opcode << 3) | if aa { 0x04 } else { 0 } | u8::from(q.rd));
        out.push(rc);
        out.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
        out.extend_from_slice(q.question);
        Response {
            out,
            counts: [0; 3],
            q,
        }
    }

    /// Appends a record; `owner` None means the question's name (a pointer to offset 12).
    fn rr(&mut self, section: usize, owner: Option<&str>, rr: &Rr) {
        match owner {
            None => self.out.extend_from_slice(&[0xC0, 0x0C]),
            Some(name) => put_name(&mut self.out, name),
        }
        self.out.extend_from_slice(&rr.rtype.to_be_bytes());
        self.out.extend_from_slice(&CLASS_IN.to_be_bytes());
        self.out.extend_from_slice(&rr.ttl.to_be_bytes());
        let len = u16::try_from(rr.rdata.len()).unwrap_or(0);
        self.out.extend_from_slice(&len.to_be_bytes());
        self.out.extend_from_slice(&rr.rdata[..usize::from(len)]);
        self.counts[section] += 1;
    }

    fn soa(&mut self, zone: &Zone) {
        self.out.extend_from_slice(&zone.apex_wire);
        self.out.extend_from_slice(&TYPE_SOA.to_be_bytes());
        self.out.extend_from_slice(&CLASS_IN.to_be_bytes());
        // Negative answers are cached for min(SOA TTL, SOA minimum) (RFC 2308 §3).
        self.out.extend_from_slice(&300u32.to_be_bytes());
        let len = u16::try_from(zone.soa.rdata.len()).unwrap_or(0);
        self.out.extend_from_slice(&len.to_be_bytes());
        self.out.extend_from_slice(&zone.soa.rdata);
        self.counts[1] += 1;
    }

    /// Writes the counts and OPT; truncates to `limit` (dropping every record, TC set).
    fn finish(mut self, limit: usize) -> Vec<u8> {
        let opt_len = if self.q.edns.is_some() { 11 } else { 0 };
        if self.out.len() + opt_len > limit {
            self.out.truncate(12 + self.q.question.len());
            self.counts = [0; 3];
            self.out[2] |= 0x02;
        }
        let mut additional = self.counts[2];
        if self.q.edns.is_some() {
            self.out.push(0);
            self.out.extend_from_slice(&TYPE_OPT.to_be_bytes());
            self.out.extend_from_slice(&EDNS_UDP_SIZE.to_be_bytes());
            self.out.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
            additional += 1;
        }
        self.out[6..8].copy_from_slice(&self.counts[0].to_be_bytes());
        self.out[8..10].copy_from_slice(&self.counts[1].to_be_bytes());
        self.out[10..12].copy_from_slice(&additional.to_be_bytes());
        self.out
    }
}

/// How the request arrived: UDP limits the response size, TCP does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// Datagram.
    Udp,
    /// Stream.
    Tcp,
}

/// What the server should do with a request.
pub enum Outcome {
    /// Send these bytes back (reusing the buffer given).
    Reply(Vec<u8>),
    /// A zone transfer request for this zone (TCP, checked against the allowed list by the
    /// caller).
    Transfer(Arc<Zone>, Vec<u8>),
    /// Say nothing.
    Drop,
}

fn error_reply(id: [u8; 2], opcode: u8, rc: u8, mut out: Vec<u8>) -> Vec<u8> {
    out.clear();
    out.extend_from_slice(&id);
    out.push(0x80 | (opcode << 3));
    out.push(rc);
    out.extend_from_slice(&[0; 8]);
    out
}

/// Answers one request from the snapshot. Never panics, whatever the bytes.
pub fn answer(snapshot: &Snapshot, packet: &[u8], transport: Transport, out: Vec<u8>) -> Outcome {
    let q = match parse(packet) {
        Parsed::Ok(q) => q,
        Parsed::Error(id, opcode, rc) => return Outcome::Reply(error_reply(id, opcode, rc, out)),
        Parsed::Drop => return Outcome::Drop,
    };
    if q.opcode != 0 {
        return Outcome::Reply(error_reply(q.id, q.opcode, rcode::NOTIMP, out));
    }
    let limit = match transport {
        Transport::Tcp => 65_535,
        Transport::Udp => q
            .edns
            .map_or(512, |s| usize::from(s.clamp(512, EDNS_UDP_SIZE))),
    };
    if q.edns.is_some() && q.edns_version > 0 {
        // BADVERS (16): extended rcode 1 in the OPT, header rcode 0.
        let mut r = Response::new(&q, out, false, 0).finish(limit);
        let n = r.len();
        if n >= 11 {
            r[n - 6] = 1;
        }
        return Outcome::Reply(r);
    }
    if q.qclass != CLASS_IN {
        return Outcome::Reply(Response::new(&q, out, false, rcode::REFUSED).finish(limit));
    }
    let Some(zone) = snapshot.find(&q.qname) else {
        snapshot.note_stray(&q.qname);
        return Outcome::Reply(Response::new(&q, out, false, rcode::REFUSED).finish(limit));
    };
    if q.qtype == TYPE_AXFR || q.qtype == TYPE_IXFR {
        if transport == Transport::Udp || q.qname != zone.name {
            return Outcome::Reply(Response::new(&q, out, false, rcode::REFUSED).finish(limit));
        }
        return Outcome::Transfer(Arc::clone(zone), out);
    }
    Outcome::Reply(resolve(zone, &q, out).finish(limit))
}

fn resolve<'q>(zone: &Zone, q: &'q Query<'q>, out: Vec<u8>) -> Response<'q> {
    // A delegation at or above the name (below the apex) answers with a referral.
    if let Some(cut) = zone.delegated(&q.qname) {
        return referral(zone, q, cut, out);
    }
    let mut r = Response::new(q, out, true, rcode::NOERROR);
    let mut name: &str = &q.qname;
    let mut owner: Option<&str> = None;
    for _ in 0..MAX_CNAME_CHAIN {
        let Some(node) = zone.nodes.get(name) else {
            if !zone.enclosers.contains(name) {
                r.out[3] = rcode::NXDOMAIN;
            }
            r.soa(zone);
            return r;
        };
        if q.qtype != TYPE_CNAME
            && let Some(cname) = node.iter().find(|rr| rr.rtype == TYPE_CNAME)
        {
            r.rr(0, owner, cname);
            let Some(target) = wire_to_name(&cname.rdata) else {
                return r;
            };
            let in_zone = target == zone.name || target.ends_with(&format!(".{}", zone.name));
            // Out of the zone, or at or below a delegation (label by label: a cut at
            // `sub.example.cn` does not cover `xsub.example.cn`): the CNAME alone.
            if !in_zone || zone.delegated(&target).is_some() {
                return r;
            }
            match zone.nodes.get_key_value(target.as_str()) {
                Some((key, _)) => {
                    name = key;
                    owner = Some(key);
                }
                None => {
                    // An empty non-terminal exists: NODATA (NOERROR), not NXDOMAIN.
                    if !zone.enclosers.contains(target.as_str()) {
                        r.out[3] = rcode::NXDOMAIN;
                    }
                    r.soa(zone);
                    return r;
                }
            }
            continue;
        }
        let before = r.counts[0];
        if q.qtype == TYPE_ANY {
            // RFC 8482: one RRset is enough (the first one at the name).
            if let Some(first) = node.first() {
                for rr in node.iter().filter(|x| x.rtype == first.rtype) {
                    r.rr(0, owner, rr);
                }
            }
        } else {
            for rr in node.iter().filter(|x| x.rtype == q.qtype) {
                r.rr(0, owner, rr);
            }
        }
        if r.counts[0] == before {
            r.soa(zone);
        }
        return r;
    }
    r
}

fn referral<'q>(zone: &Zone, q: &'q Query<'q>, cut: &str, out: Vec<u8>) -> Response<'q> {
    let mut r = Response::new(q, out, false, rcode::NOERROR);
    let Some(node) = zone.nodes.get(cut) else {
        return r;
    };
    let owner = (cut != q.qname).then_some(cut);
    let mut targets = Vec::new();
    for rr in node.iter().filter(|rr| rr.rtype == TYPE_NS) {
        r.rr(1, owner, rr);
        targets.extend(wire_to_name(&rr.rdata));
    }
    for target in &targets {
        if let Some((key, glue)) = zone.nodes.get_key_value(target.as_str()) {
            for rr in glue
                .iter()
                .filter(|rr| rr.rtype == TYPE_A || rr.rtype == TYPE_AAAA)
            {
                r.rr(2, Some(key), rr);
            }
        }
    }
    r
}

/// An uncompressed wire name back to text (our own rdata only).
fn wire_to_name(wire: &[u8]) -> Option<String> {
    let mut name = String::with_capacity(wire.len());
    let mut at = 0;
    loop {
        let len = usize::from(*wire.get(at)?);
        if len == 0 {
            return Some(name);
        }
        let label = wire.get(at + 1..at + 1 + len)?;
        if !name.is_empty() {
            name.push('.');
        }
        name.push_str(std::str::from_utf8(label).ok()?);
        at += 1 + len;
    }
}

/// The messages of a full zone transfer (AXFR, also sent for IXFR requests, which RFC 1995
/// §4 allows): SOA, every record, SOA, packed into messages of up to ~16 KiB.
pub fn transfer_messages(zone: &Zone, request: &[u8]) -> Vec<Vec<u8>> {
    let Parsed::Ok(q) = parse(request) else {
        return Vec::new();
    };
    let mut messages = Vec::new();
    let mut r = Response::new(&q, Vec::with_capacity(16 * 1024), true, rcode::NOERROR);
    // The transfer starts and ends with the SOA.
    r.rr(0, Some(&zone.name), &zone.soa);
    let mut owners: Vec<&Box<str>> = zone.nodes.keys().collect();
    owners.sort();
    for owner in owners {
        for rr in zone.nodes.get(owner).into_iter().flatten() {
            if rr.rtype == TYPE_SOA {
                continue;
            }
            if r.out.len() > 16 * 1024 {
                let full = std::mem::replace(
                    &mut r,
                    Response::new(&q, Vec::with_capacity(16 * 1024), true, rcode::NOERROR),
                );
                messages.push(full.finish_plain());
            }
            r.rr(0, Some(owner), rr);
        }
    }
    r.rr(0, Some(&zone.name), &zone.soa);
    messages.push(r.finish_plain());
    messages
}

impl Response<'_> {
    /// Counts written, no OPT, no truncation (TCP transfer messages).
    fn finish_plain(mut self) -> Vec<u8> {
        self.out[6..8].copy_from_slice(&self.counts[0].to_be_bytes());
        self.out[8..10].copy_from_slice(&self.counts[1].to_be_bytes());
        self.out[10..12].copy_from_slice(&self.counts[2].to_be_bytes());
        self.out
    }
}

/// A NOTIFY (RFC 1996) for `zone` with message id `id`.
pub fn notify_message(zone: &str, id: u16) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 + zone.len());
    out.extend_from_slice(&id.to_be_bytes());
    out.push(4 << 3 | 0x04);
    out.push(0);
    out.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, 0]);
    put_name(&mut out, zone);
    out.extend_from_slice(&TYPE_SOA.to_be_bytes());
    out.extend_from_slice(&CLASS_IN.to_be_bytes());
    out
}

#[cfg(test)]
mod tests;
