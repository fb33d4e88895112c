//! The authoritative DNS server from the outside: `yuming serve` with DNS on, records created
//! through the HTTP API, answers checked with `dig` (UDP and TCP), and a real Knot secondary
//! that receives the zone by AXFR and follows a change after our NOTIFY.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use yuming_test_support::serve::{Served, start_serve};

mod common;
use common::{create_customer, dig, status, yuming};

const ZONE: &str = "dns-e2e.com";

/// A port free for both UDP and TCP right now, for Knot, which cannot bind port 0 and report
/// what it got: by the time Knot starts the port may be taken, so its start is retried.
fn free_port() -> u16 {
    loop {
        let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp");
        let port = udp.local_addr().expect("addr").port();
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// `yuming serve` on ports of its own choosing, sending NOTIFY to Knot on `knot_port`.
fn serve(data: &Path, knot_port: u16) -> Served {
    let mut command = yuming(data);
    command
        .arg("serve")
        .env("YUMING_WHOIS_ADDR", "")
        .env("YUMING_DNS__SECONDARIES", format!("127.0.0.1:{knot_port}"))
        .env("YUMING_LOOKUP__TERMS_URL", "https://registrar.test/terms")
        .stdout(Stdio::null());
    start_serve(&mut command, true)
}

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn flags(out: &str) -> Vec<&str> {
    out.split("flags: ")
        .nth(1)
        .and_then(|s| s.split(';').next())
        .map(|s| s.split_whitespace().collect())
        .unwrap_or_default()
}

async fn until(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dig_and_a_knot_secondary_see_records_made_through_the_api() {
    let dir = tempfile_dir();
    let data = dir.join("data");
    let mut knot_port = free_port();
    let mut server = serve(&data, knot_port);
    let mut base = server.base();
    let mut dns = server.listening.dns.expect("DNS address").port();
    server.wait_healthy().await;
    let client = yuming_app::platform::http::client_builder()
        .build()
        .expect("client");
    let call = |base: &str,
                method: reqwest::Method,
                path: String,
                token: Option<String>,
                body: Option<Value>| {
        let client = client.clone();
        let base = base.to_owned();
        async move {
            let mut request = client.request(method, format!("{base}{path}"));
            if let Some(t) = token {
                request = request.bearer_auth(t);
            }
            if let Some(b) = body {
                request = request.json(&b);
            }
            let response = request.send().await.expect("request");
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    use reqwest::Method;
    // The registrar identity comes from `[lookup]` (here through the environment).
    let (s, help) = call(&base, Method::GET, "/rdap/help".into(), None, None).await;
    assert_eq!(s, 200);
    assert!(
        help.to_string().contains("https://registrar.test/terms"),
        "{help}"
    );
    // A customer an operator creates counts as verified (a self sign-up would first need
    // the mailed link).
    create_customer(&data, "d@example.com", "correct horse battery", 1_000_000);
    let (_, login) = call(
        &base,
        Method::POST,
        "/api/v1/auth/login".into(),
        None,
        Some(json!({"email": "d@example.com", "password": "correct horse battery"})),
    )
    .await;
    let token = login["token"].as_str().expect("token").to_owned();
    let (s, contact) = call(&base,Method::POST, "/api/v1/contacts".into(), Some(token.clone()), Some(json!({
        "kind": "person", "name": "张三", "id_type": "resident_id", "id_number": "11010519491231002X",
        "email": "d@example.com", "phone": "+86.13800138000",
        "address": {"country": "CN", "province": "北京市", "city": "北京市", "street": "长安街 1 号"}
    }))).await;
    assert_eq!(s, 201, "{contact}");
    let (s, reg) = call(
        &base,
        Method::POST,
        "/api/v1/domains".into(),
        Some(token.clone()),
        Some(json!({
            "name": ZONE, "years": 1, "registrant_contact_id": contact["id"]
        })),
    )
    .await;
    assert_eq!(s, 201, "{reg}");
    let records = format!("/api/v1/domains/{ZONE}/records");
    let mut add = vec![
        json!({"type": "A", "name": "www", "value": "192.0.2.10"}),
        json!({"type": "AAAA", "name": "www", "value": "2001:db8::10"}),
        json!({"type": "CNAME", "name": "alias", "value": "www.dns-e2e.com"}),
        json!({"type": "A", "name": "ns1.sub", "value": "192.0.2.53"}),
        json!({"type": "NS", "name": "sub", "value": "ns1.sub.dns-e2e.com"}),
        json!({"type": "MX", "name": "@", "value": "mail.dns-e2e.com", "priority": 10}),
        json!({"type": "TXT", "name": "@", "value": "v=spf1 ".to_owned() + &"a".repeat(400)}),
    ];
    for i in 0..60 {
        add.push(json!({"type": "A", "name": "big", "value": format!("10.0.0.{i}")}));
    }
    for body in add {
        let (s, r) = call(
            &base,
            Method::POST,
            records.clone(),
            Some(token.clone()),
            Some(body),
        )
        .await;
        assert_eq!(s, 201, "{r}");
    }
    let (s, r) = call(
        &base,
        Method::POST,
        records.clone(),
        Some(token.clone()),
        Some(json!({"type": "CNAME", "name": "@", "value": "x.example.net"})),
    )
    .await;
    assert_eq!(
        (s, r["error"]["code"].as_str()),
        (400, Some("CNAME_AT_APEX"))
    );

    // Served within seconds of the change, over UDP and TCP.
    until("www over UDP", || {
        dig(dns, &["+short", "www.dns-e2e.com", "A"]).trim() == "192.0.2.10"
    })
    .await;
    assert_eq!(
        dig(dns, &["+tcp", "+short", "www.dns-e2e.com", "AAAA"]).trim(),
        "2001:db8::10"
    );
    let a = dig(dns, &["www.dns-e2e.com", "A"]);
    assert_eq!(status(&a), "NOERROR");
    assert!(flags(&a).contains(&"aa"), "{a}");
    let nx = dig(dns, &["nothing.dns-e2e.com", "A"]);
    assert_eq!(status(&nx), "NXDOMAIN", "{nx}");
    assert!(nx.contains("SOA"), "{nx}");
    let nodata = dig(dns, &["alias.dns-e2e.com", "MX"]);
    assert_eq!(status(&nodata), "NOERROR");
    let nodata = dig(dns, &["mail2.dns-e2e.com", "A"]);
    assert_eq!(status(&nodata), "NXDOMAIN");
    let nodata = dig(dns, &["www.dns-e2e.com", "TXT"]);
    assert!(
        nodata.contains("ANSWER: 0") && nodata.contains("SOA"),
        "{nodata}"
    );
    let cname = dig(dns, &["+short", "alias.dns-e2e.com", "A"]);
    assert_eq!(
        cname.lines().collect::<Vec<_>>(),
        vec!["www.dns-e2e.com.", "192.0.2.10"]
    );
    let referral = dig(dns, &["+norecurse", "host.sub.dns-e2e.com", "A"]);
    assert!(!flags(&referral).contains(&"aa"), "{referral}");
    assert!(
        referral.contains("AUTHORITY: 1") && referral.contains("192.0.2.53"),
        "{referral}"
    );
    let txt = dig(dns, &["+short", "dns-e2e.com", "TXT"]);
    assert_eq!(
        txt.matches("\" \"").count(),
        1,
        "split into two strings: {txt}"
    );
    let tc = dig(dns, &["+noedns", "+ignore", "big.dns-e2e.com", "A"]);
    assert!(flags(&tc).contains(&"tc"), "{tc}");
    let full = dig(dns, &["+noedns", "+short", "big.dns-e2e.com", "A"]);
    assert_eq!(full.lines().count(), 60, "dig retries over TCP after TC");
    assert_eq!(status(&dig(dns, &["example.org", "A"])), "REFUSED");
    let any = dig(dns, &["dns-e2e.com", "ANY"]);
    assert_eq!(status(&any), "NOERROR");
    let edns = dig(dns, &["+bufsize=1232", "www.dns-e2e.com", "A"]);
    assert!(edns.contains("udp: 1232"), "{edns}");
    // AXFR: the secondaries' address (127.0.0.1) gets the zone, SOA first and last; another
    // source address is refused.
    let axfr = dig(dns, &["dns-e2e.com", "AXFR"]);
    assert_eq!(axfr.matches("\tSOA\t").count(), 2, "{axfr}");
    assert!(axfr.contains("192.0.2.53"), "{axfr}");
    let refused = dig(dns, &["-b", "127.0.0.2", "dns-e2e.com", "AXFR"]);
    assert!(
        refused.contains("Transfer failed") && !refused.contains("192.0.2.10"),
        "{refused}"
    );

    // Malformed input over UDP and TCP: no crash, the server keeps answering.
    let udp = std::net::UdpSocket::bind("127.0.0.1:0").expect("udp");
    udp.set_read_timeout(Some(Duration::from_secs(2)))
        .expect("timeout");
    udp.send_to(
        &[0x12, 0x34, 0x01, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0xff],
        ("127.0.0.1", dns),
    )
    .expect("send");
    let mut buf = [0u8; 512];
    let (n, _) = udp.recv_from(&mut buf).expect("FORMERR reply");
    assert_eq!((n >= 12, buf[3] & 0x0f), (true, 1));
    udp.send_to(&[1, 2, 3], ("127.0.0.1", dns))
        .expect("send junk");
    // EDNS (RFC 6891): a version we do not speak is BADVERS (extended rcode 16) with our OPT
    // (version 0) in the answer; a query with two OPT records is FORMERR.
    for transport in ["+notcp", "+tcp"] {
        let badvers = dig(
            dns,
            &[
                transport,
                "+edns=1",
                "+noednsnegotiation",
                "www.dns-e2e.com",
                "A",
            ],
        );
        assert_eq!(status(&badvers), "BADVERS", "{badvers}");
        assert!(badvers.contains("EDNS: version: 0"), "{badvers}");
        assert!(badvers.contains("ANSWER: 0"), "{badvers}");
    }
    let mut two_opts = vec![0x42, 0x42, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 2];
    for label in ["www", "dns-e2e", "com"] {
        two_opts.push(u8::try_from(label.len()).expect("short label"));
        two_opts.extend_from_slice(label.as_bytes());
    }
    two_opts.extend_from_slice(&[0, 0, 1, 0, 1]);
    for _ in 0..2 {
        two_opts.extend_from_slice(&[0, 0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0]);
    }
    udp.send_to(&two_opts, ("127.0.0.1", dns))
        .expect("send two OPTs");
    let (n, _) = udp.recv_from(&mut buf).expect("FORMERR reply");
    assert_eq!(
        (n >= 12, &buf[..2], buf[3] & 0x0f),
        (true, &[0x42u8, 0x42][..], 1)
    );
    {
        use std::io::{Read, Write};
        let mut tcp = std::net::TcpStream::connect(("127.0.0.1", dns)).expect("tcp");
        tcp.set_read_timeout(Some(Duration::from_secs(15)))
            .expect("timeout");
        // Announces 65535 bytes, sends 3 and stops: the server times out and closes.
        tcp.write_all(&[0xff, 0xff, 1, 2, 3]).expect("write");
        let mut rest = Vec::new();
        let _ = tcp.read_to_end(&mut rest);
        assert!(rest.is_empty());
    }
    assert_eq!(
        dig(dns, &["+tcp", "+short", "www.dns-e2e.com", "A"]).trim(),
        "192.0.2.10"
    );

    // A real Knot secondary: AXFR at start, then a change arrives by NOTIFY (its refresh timer
    // is an hour, so only the NOTIFY can explain a quick update).
    let knot_dir = dir.join("knot");
    let mut attempt = 0;
    let _knot = loop {
        attempt += 1;
        let _ = std::fs::remove_dir_all(&knot_dir);
        std::fs::create_dir_all(knot_dir.join("db")).expect("knot dir");
        std::fs::write(
            knot_dir.join("knot.conf"),
            format!(
                "server:\n  rundir: {d}\n  listen: 127.0.0.1@{knot_port}\n\
                 database:\n  storage: {d}/db\n\
                 log:\n  - target: stderr\n    any: info\n\
                 remote:\n  - id: primary\n    address: 127.0.0.1@{dns}\n\
                 acl:\n  - id: notify\n    address: 127.0.0.1\n    action: notify\n\
                 template:\n  - id: default\n    storage: {d}\n    zonefile-load: none\n    journal-content: all\n\
                 zone:\n  - domain: {ZONE}\n    master: primary\n    acl: notify\n",
                d = knot_dir.display()
            ),
        )
        .expect("knot.conf");
        let log_path = knot_dir.join("knot.log");
        let mut knot = Kill(
            Command::new("knotd")
                .args(["-c", &knot_dir.join("knot.conf").to_string_lossy()])
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log_path).expect("knot log"))
                .spawn()
                .expect("knotd (package knot)"),
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        let transferred = loop {
            if let Ok(Some(_)) = knot.0.try_wait() {
                break false;
            }
            if dig(knot_port, &["+short", "www.dns-e2e.com", "A"]).trim() == "192.0.2.10" {
                break true;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for Knot to transfer the zone"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        if transferred {
            break knot;
        }
        // Knot exits at once when its port was taken meanwhile: another port, and a restarted
        // server (same database) that sends its NOTIFY there.
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        assert!(
            attempt < 5 && log.contains("address already in use"),
            "knotd exited: {log}"
        );
        drop(knot);
        drop(server);
        knot_port = free_port();
        server = serve(&data, knot_port);
        base = server.base();
        dns = server.listening.dns.expect("DNS address").port();
    };
    assert_eq!(
        dig(knot_port, &["+short", "alias.dns-e2e.com", "CNAME"]).trim(),
        "www.dns-e2e.com."
    );
    let (s, _) = call(
        &base,
        Method::POST,
        records.clone(),
        Some(token.clone()),
        Some(json!({"type": "A", "name": "late", "value": "192.0.2.77"})),
    )
    .await;
    assert_eq!(s, 201);
    until("Knot to follow the NOTIFY", || {
        dig(knot_port, &["+short", "late.dns-e2e.com", "A"]).trim() == "192.0.2.77"
    })
    .await;
    let ours = dig(dns, &["+short", "dns-e2e.com", "SOA"]);
    let theirs = dig(knot_port, &["+short", "dns-e2e.com", "SOA"]);
    assert_eq!(ours, theirs);
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("yuming-dns-e2e-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}
