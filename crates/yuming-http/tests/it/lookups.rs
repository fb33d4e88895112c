//! RDAP through the router and WHOIS over a real TCP connection, on both backends.

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use yuming_lookup::server::WhoisSettings;
use yuming_test_support::{TestDb, both_backends};

use crate::harness::{Harness, Reply};

/// Registers `name` for a new customer with a person registrant (organisation when `org`)
/// and the given nameservers.
async fn registered(h: &Harness, email: &str, name: &str, org: bool) {
    let (id, token) = h.customer(email).await;
    h.fund(&id, 100_000).await;
    let contact = if org {
        json!({
            "kind": "organization", "name": "北京例子科技有限公司", "id_type": "uscc",
            "id_number": "91110108MA01KPGL1D", "email": "org@example.com",
            "phone": "+86.1088888888",
            "address": {"country": "CN", "province": "北京市", "city": "北京市", "street": "中关村大街 1 号"}
        })
    } else {
        json!({
            "kind": "person", "name": "张三", "id_type": "resident_id",
            "id_number": "11010519491231002X", "email": "holder@example.com",
            "phone": "+86.13800138000",
            "address": {"country": "CN", "province": "北京市", "city": "北京市", "street": "长安街 1 号"}
        })
    };
    let contact = h
        .call(
            Method::POST,
            "/api/v1/contacts",
            Some(&token),
            Some(contact),
        )
        .await;
    assert_eq!(contact.status, StatusCode::CREATED, "{}", contact.json);
    let body = json!({
        "name": name, "years": 1, "registrant_contact_id": contact.json["id"],
        "nameservers": ["ns1.dns-host.net", "ns2.dns-host.net"]
    });
    let reg = h
        .call(Method::POST, "/api/v1/domains", Some(&token), Some(body))
        .await;
    assert_eq!(reg.status, StatusCode::CREATED, "{}", reg.json);
}

async fn rdap(h: &Harness, path: &str) -> Reply {
    let reply = h
        .send(
            Request::builder()
                .method(Method::GET)
                .uri(path)
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(
        reply
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/rdap+json"),
        "{path}"
    );
    assert_eq!(
        reply
            .headers
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some("*"),
        "{path}"
    );
    reply
}

fn conformance(json: &Value) -> Vec<&str> {
    json["rdapConformance"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn assert_top_level(json: &Value) {
    let c = conformance(json);
    for id in [
        "rdap_level_0",
        "icann_rdap_response_profile_1",
        "icann_rdap_technical_implementation_guide_1",
    ] {
        assert!(c.contains(&id), "{id} missing in {json}");
    }
    let titles: Vec<&str> = json["notices"]
        .as_array()
        .map(|n| n.iter().filter_map(|x| x["title"].as_str()).collect())
        .unwrap_or_default();
    for title in [
        "Terms of Use",
        "Status Codes",
        "RDDS Inaccuracy Complaint Form",
    ] {
        assert!(titles.contains(&title), "notice {title} missing in {json}");
    }
    for notice in json["notices"].as_array().into_iter().flatten() {
        assert!(notice["description"].is_array(), "{notice}");
        assert!(notice["links"][0]["href"].is_string(), "{notice}");
    }
}

fn event(json: &Value, action: &str) -> Option<String> {
    json["events"]
        .as_array()?
        .iter()
        .find(|e| e["eventAction"] == action)
        .and_then(|e| e["eventDate"].as_str())
        .map(str::to_owned)
}

fn redacted_names(json: &Value) -> Vec<String> {
    json["redacted"]
        .as_array()
        .map(|r| {
            r.iter()
                .filter_map(|x| x["name"]["type"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

both_backends!(rdap_domain_answers, |db: TestDb| async move {
    let h = Harness::new(db);
    registered(&h, "alice@example.com", "例子.com", false).await;

    // Unicode and A-label ask for the same object.
    let by_unicode = rdap(&h, "/rdap/domain/%E4%BE%8B%E5%AD%90.com").await;
    let d = rdap(&h, "/rdap/domain/xn--fsqu00a.com").await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.json);
    assert_eq!(by_unicode.json["handle"], d.json["handle"]);
    assert_top_level(&d.json);
    assert!(conformance(&d.json).contains(&"redacted"));
    assert_eq!(d.json["objectClassName"], "domain");
    assert_eq!(d.json["ldhName"], "xn--fsqu00a.com");
    assert_eq!(d.json["unicodeName"], "例子.com");
    assert!(d.json["handle"].is_string());
    assert_eq!(d.json["secureDNS"], json!({"delegationSigned": false}));
    assert_eq!(d.json["links"][0]["rel"], "self");
    assert!(
        d.json["links"][0]["href"]
            .as_str()
            .is_some_and(|h| h.ends_with("/rdap/domain/xn--fsqu00a.com"))
    );
    let status: Vec<&str> = d.json["status"]
        .as_array()
        .map(|s| s.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(status.contains(&"active"), "{status:?}");
    assert!(status.contains(&"add period"), "{status:?}");
    for action in [
        "registration",
        "expiration",
        "last changed",
        "last update of RDAP database",
    ] {
        let date = event(&d.json, action);
        assert!(
            date.as_deref().is_some_and(|d| d.ends_with('Z')),
            "{action}: {date:?}"
        );
    }
    let ns: Vec<&str> = d.json["nameservers"]
        .as_array()
        .map(|n| n.iter().filter_map(|x| x["ldhName"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ns, ["ns1.dns-host.net", "ns2.dns-host.net"]);
    assert_eq!(d.json["nameservers"][0]["objectClassName"], "nameserver");

    // The registrant: personal data redacted per RFC 9537, province and country shown.
    let entities = d.json["entities"].as_array().cloned().unwrap_or_default();
    let registrant = entities
        .iter()
        .find(|e| e["roles"] == json!(["registrant"]))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(registrant["objectClassName"], "entity");
    assert!(
        registrant.get("handle").is_none(),
        "handle removed: {registrant}"
    );
    let text = d.json.to_string();
    for secret in [
        "张三",
        "holder@example.com",
        "13800138000",
        "长安街",
        "11010519491231002X",
    ] {
        assert!(!text.contains(secret), "{secret} leaked: {text}");
    }
    let vcard = &registrant["vcardArray"];
    assert_eq!(vcard[0], "vcard");
    let props = vcard[1].as_array().cloned().unwrap_or_default();
    assert!(props.iter().any(|p| p[0] == "fn" && p[3] == ""));
    assert!(
        props
            .iter()
            .any(|p| p[0] == "adr" && p[1]["cc"] == "CN" && p[3][4] == "北京市")
    );
    let names = redacted_names(&d.json);
    for name in [
        "Registry Registrant ID",
        "Registrant Name",
        "Registrant Organization",
        "Registrant Street",
        "Registrant City",
        "Registrant Postal Code",
        "Registrant Phone",
        "Registrant Email",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} not in {names:?}");
    }
    for r in d.json["redacted"].as_array().into_iter().flatten() {
        let method = r["method"].as_str().unwrap_or("");
        assert!(matches!(method, "removal" | "emptyValue"), "{r}");
        let path = if method == "removal" {
            "prePath"
        } else {
            "postPath"
        };
        assert!(r[path].as_str().is_some_and(|p| p.starts_with("$.")), "{r}");
        assert_eq!(r["pathLang"], "jsonpath");
        assert!(r["reason"]["description"].is_string(), "{r}");
    }
    let registrar = entities
        .iter()
        .find(|e| e["roles"] == json!(["registrar"]))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(registrar["entities"][0]["roles"], json!(["abuse"]));

    // Nameserver and help.
    let ns = rdap(&h, "/rdap/nameserver/ns1.dns-host.net").await;
    assert_eq!(ns.status, StatusCode::OK, "{}", ns.json);
    assert_top_level(&ns.json);
    assert_eq!(ns.json["objectClassName"], "nameserver");
    assert_eq!(ns.json["ldhName"], "ns1.dns-host.net");
    let help = rdap(&h, "/rdap/help").await;
    assert_eq!(help.status, StatusCode::OK);
    assert_top_level(&help.json);
    // RDAP is public: stray or malformed credentials do not turn it into an API error.
    let with_junk_credentials = h
        .send(
            Request::builder()
                .uri("/rdap/help")
                .header("authorization", "Basic Zm9vOmJhcg==")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(with_junk_credentials.status, StatusCode::OK);
});

both_backends!(rdap_entity_and_organisation, |db: TestDb| async move {
    let h = Harness::new(db);
    registered(&h, "bob@example.com", "example-org.com", true).await;
    let d = rdap(&h, "/rdap/domain/EXAMPLE-ORG.COM").await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.json);
    let registrant = d.json["entities"]
        .as_array()
        .and_then(|e| e.iter().find(|x| x["roles"] == json!(["registrant"])))
        .cloned()
        .unwrap_or(Value::Null);
    let props = registrant["vcardArray"][1]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        props
            .iter()
            .any(|p| p[0] == "org" && p[3] == "北京例子科技有限公司"),
        "{registrant}"
    );
    assert!(!redacted_names(&d.json).contains(&"Registrant Organization".to_owned()));

    // The registrant's handle, from the API, answers as an entity; anything else is 404.
    let token = h.login("bob@example.com").await;
    let domain = h
        .call(
            Method::GET,
            "/api/v1/domains/example-org.com",
            Some(&token),
            None,
        )
        .await;
    let handle = domain.json["registrant_contact_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(!handle.is_empty(), "{}", domain.json);
    let e = rdap(&h, &format!("/rdap/entity/{handle}")).await;
    assert_eq!(e.status, StatusCode::OK, "{}", e.json);
    assert_top_level(&e.json);
    assert_eq!(e.json["objectClassName"], "entity");
    assert_eq!(e.json["handle"], handle.as_str());
    assert!(conformance(&e.json).contains(&"redacted"));
    assert!(!e.json.to_string().contains("org@example.com"));
    let missing = rdap(&h, "/rdap/entity/con_nobody").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json["errorCode"], 404);
});

both_backends!(rdap_errors_and_lifecycle, |db: TestDb| async move {
    let h = Harness::new(db);
    for (path, status) in [
        ("/rdap/domain/nothere.com", StatusCode::NOT_FOUND),
        ("/rdap/nameserver/ns9.nowhere.net", StatusCode::NOT_FOUND),
        ("/rdap/domain/bad..com", StatusCode::BAD_REQUEST),
        ("/rdap/domain/-x-.com", StatusCode::BAD_REQUEST),
        ("/rdap/nameserver/a%20b", StatusCode::BAD_REQUEST),
        ("/rdap/autnum/1", StatusCode::BAD_REQUEST),
        ("/rdap/domain/", StatusCode::BAD_REQUEST),
    ] {
        let reply = rdap(&h, path).await;
        assert_eq!(reply.status, status, "{path}: {}", reply.json);
        assert_eq!(reply.json["errorCode"], status.as_u16(), "{path}");
        assert!(reply.json["title"].is_string(), "{path}");
        assert!(reply.json["description"].is_array(), "{path}");
        assert!(conformance(&reply.json).contains(&"rdap_level_0"));
    }

    // Redemption and pending delete are shown with their statuses; released is 404.
    registered(&h, "carol@example.com", "lapsing.com", false).await;
    h.clock.advance_days(366 + 48);
    let d = rdap(&h, "/rdap/domain/lapsing.com").await;
    assert_eq!(d.status, StatusCode::OK, "{}", d.json);
    assert!(
        d.json["status"]
            .as_array()
            .is_some_and(|s| s.contains(&json!("redemption period"))),
        "{}",
        d.json["status"]
    );
    h.clock.advance_days(29);
    let d = rdap(&h, "/rdap/domain/lapsing.com").await;
    assert!(
        d.json["status"]
            .as_array()
            .is_some_and(|s| s.contains(&json!("pending delete"))),
        "{}",
        d.json["status"]
    );
    h.clock.advance_days(30);
    let gone = rdap(&h, "/rdap/domain/lapsing.com").await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.json);
});

fn rdap_limited(h: &mut Harness, per_minute: u32) {
    h.router = yuming_http::router(yuming_http::AppState {
        app: h.app.clone(),
        settings: yuming_http::HttpSettings {
            lookup: yuming_lookup::LookupSettings {
                rdap_per_ip_per_minute: per_minute,
                ..yuming_lookup::LookupSettings::default()
            },
            ..yuming_http::HttpSettings::default()
        },
    });
}

fn whois_limit(per_minute: u32) -> yuming_lookup::LookupSettings {
    yuming_lookup::LookupSettings {
        whois_per_ip_per_minute: per_minute,
        ..yuming_lookup::LookupSettings::default()
    }
}

// `[lookup] rdap_per_ip_per_minute`: N answers, then 429 with Retry-After.
both_backends!(rdap_rate_limited_per_ip, |db: TestDb| async move {
    let mut h = Harness::new(db);
    rdap_limited(&mut h, 3);
    for _ in 0..3 {
        assert_eq!(rdap(&h, "/rdap/help").await.status, StatusCode::OK);
    }
    let refused = rdap(&h, "/rdap/help").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.json["errorCode"], 429);
    assert!(refused.headers.get("retry-after").is_some());
});

// 0 lifts the limit: more queries than the default 1 000 per minute are all answered.
both_backends!(rdap_limit_zero_is_unlimited, |db: TestDb| async move {
    let mut h = Harness::new(db);
    rdap_limited(&mut h, 0);
    for i in 0..1_100 {
        let reply = rdap(&h, "/rdap/help").await;
        assert_eq!(reply.status, StatusCode::OK, "query {i}");
    }
});

/// Starts the WHOIS listener on an ephemeral port; the task ends with the test runtime.
async fn whois_listener(h: &Harness, settings: WhoisSettings) -> std::net::SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(yuming_lookup::server::serve(
        listener,
        h.app.clone(),
        settings,
        std::future::pending(),
    ));
    addr
}

/// Sends `query` raw and reads the answer until the server closes.
async fn whois(addr: std::net::SocketAddr, query: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.write_all(query).await.expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("server closes the connection")
        .expect("read");
    String::from_utf8(answer).expect("UTF-8 answer")
}

both_backends!(whois_over_tcp, |db: TestDb| async move {
    let h = Harness::new(db);
    registered(&h, "dave@example.com", "例子.com", false).await;
    let addr = whois_listener(
        &h,
        WhoisSettings {
            lookup: whois_limit(0),
            read_timeout: Duration::from_millis(500),
            ..WhoisSettings::default()
        },
    )
    .await;

    for query in ["例子.com\r\n", "xn--fsqu00a.com\n", "XN--FSQU00A.COM\r\n"] {
        let text = whois(addr, query.as_bytes()).await;
        assert!(text.contains("Domain Name: XN--FSQU00A.COM\r\n"), "{text}");
        assert!(
            text.contains("Internationalized Domain Name: 例子.com\r\n"),
            "{text}"
        );
        for line in [
            "Registry Domain ID: ",
            "Registrar WHOIS Server: ",
            "Registrar URL: ",
            "Updated Date: ",
            "Creation Date: ",
            "Registry Expiry Date: ",
            "Registrar: ",
            "Domain Status: ok https://icann.org/epp#ok\r\n",
            "Domain Status: addPeriod https://icann.org/epp#addPeriod\r\n",
            "Name Server: NS1.DNS-HOST.NET\r\n",
            "Name Server: NS2.DNS-HOST.NET\r\n",
            "DNSSEC: unsigned\r\n",
            "Registrant Name: REDACTED FOR PRIVACY\r\n",
            "Registrant Email: REDACTED FOR PRIVACY\r\n",
            "Registrant State/Province: 北京市\r\n",
            "Registrant Country: CN\r\n",
            ">>> Last update of WHOIS database: ",
        ] {
            assert!(text.contains(line), "{line:?} missing:\n{text}");
        }
        for secret in ["张三", "holder@example.com", "13800138000", "长安街"] {
            assert!(!text.contains(secret), "{secret} leaked");
        }
    }

    let none = whois(addr, b"nothere.com\r\n").await;
    assert!(
        none.starts_with("No match for \"nothere.com\".\r\n"),
        "{none}"
    );

    // Bad input: one clear error line, then the connection is closed.
    let long = whois(addr, &[b'a'; 10_000]).await;
    assert_eq!(long, "Error: query too long.\r\n");
    let mut long_line = vec![b'a'; 10_000];
    long_line.extend_from_slice(b"\r\n");
    assert_eq!(whois(addr, &long_line).await, "Error: query too long.\r\n");
    let junk = whois(addr, b"\x00\xff\xfe\x01\x02\r\n").await;
    assert!(
        junk.starts_with("Error: the query is not a text line"),
        "{junk}"
    );
    let empty = whois(addr, b"\r\n").await;
    assert!(empty.starts_with("Error: empty query"), "{empty}");
    let invalid = whois(addr, b"bad..com\n").await;
    assert!(
        invalid.starts_with("Error: \"bad..com\" is not a valid domain name."),
        "{invalid}"
    );
    // An idle connection is dropped after the read timeout.
    let idle = whois(addr, b"").await;
    assert_eq!(idle, "Error: no query received in time.\r\n");
});

both_backends!(whois_rate_limited_per_ip, |db: TestDb| async move {
    let h = Harness::new(db);
    let addr = whois_listener(
        &h,
        WhoisSettings {
            lookup: whois_limit(2),
            ..WhoisSettings::default()
        },
    )
    .await;
    assert!(whois(addr, b"a.com\r\n").await.starts_with("No match"));
    assert!(whois(addr, b"a.com\r\n").await.starts_with("No match"));
    let refused = whois(addr, b"a.com\r\n").await;
    assert!(
        refused.starts_with("Error: rate limit exceeded"),
        "{refused}"
    );
});

// The Debian `whois` client against the listener (installed by `./test`).
both_backends!(whois_debian_client, |db: TestDb| async move {
    let available = std::process::Command::new("whois")
        .arg("--version")
        .output()
        .is_ok();
    if !available {
        // ./test installs it (.ci/install-tools); in CI `skip` fails the test.
        yuming_test_support::skip("no whois client: apt-get install whois");
        return;
    }
    let h = Harness::new(db);
    registered(&h, "erin@example.com", "client-check.com", false).await;
    let addr = whois_listener(&h, WhoisSettings::default()).await;
    let port = addr.port().to_string();
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("whois")
            .args(["-h", "127.0.0.1", "-p", &port, "client-check.com"])
            .output()
    })
    .await
    .expect("join")
    .expect("run whois");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        text.contains("Domain Name: CLIENT-CHECK.COM"),
        "{text}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.contains("Registrant Name: REDACTED FOR PRIVACY"),
        "{text}"
    );
});

// An RDAP client that is not ours: PyPI `whoisit` (installed by `./test`) parses the domain
// answer served over a real HTTP listener.
both_backends!(rdap_whoisit_client, |db: TestDb| async move {
    let available = std::process::Command::new("python3")
        .args(["-c", "import whoisit"])
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        yuming_test_support::skip("no whoisit: pip install whoisit");
        return;
    }
    let h = Harness::new(db);
    registered(&h, "fay@example.com", "whoisit-check.com", false).await;
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port().to_string();
    let router = h.router.clone();
    tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/it/tools/whoisit_check.py"
    );
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .args([script, &port, "whoisit-check.com"])
            .output()
    })
    .await
    .expect("join")
    .expect("run python3");
    let parsed: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "whoisit output is not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    assert_eq!(parsed["name"], "whoisit-check.com", "{parsed}");
    let nameservers = parsed["nameservers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(nameservers.len(), 2, "{parsed}");
    assert!(
        parsed["registration_date"]
            .as_str()
            .is_some_and(|d| d.starts_with("2026")),
        "{parsed}"
    );
    assert!(
        parsed["expiration_date"]
            .as_str()
            .is_some_and(|d| d.starts_with("2027")),
        "{parsed}"
    );
    let statuses = parsed["status"].as_array().cloned().unwrap_or_default();
    assert!(!statuses.is_empty(), "{parsed}");
});

both_backends!(registrant_disclosure_opt_in, |db: TestDb| async move {
    let h = Harness::new(db);
    let (id, token) = h.customer("erin@example.com").await;
    h.fund(&id, 100_000).await;
    let contact = h
        .call(
            Method::POST,
            "/api/v1/contacts",
            Some(&token),
            Some(json!({
                "kind": "person", "name": "李四", "id_type": "resident_id",
                "id_number": "11010519491231002X", "email": "lisi@example.com",
                "phone": "+86.13900139000",
                "address": {"country": "CN", "province": "北京市", "city": "北京市", "street": "长安街 2 号"}
            })),
        )
        .await;
    let contact_id = contact.json["id"].as_str().expect("id").to_owned();
    let reg = h
        .call(
            Method::POST,
            "/api/v1/domains",
            Some(&token),
            Some(json!({"name": "lisi.com", "years": 1, "registrant_contact_id": contact_id})),
        )
        .await;
    assert_eq!(reg.status, StatusCode::CREATED, "{}", reg.json);
    let path = format!("/api/v1/contacts/{contact_id}/disclosure");
    let default = h.call(Method::GET, &path, Some(&token), None).await;
    assert_eq!(
        default.json,
        json!({"disclose": false}),
        "redacted by default"
    );
    let before = rdap(&h, "/rdap/domain/lisi.com").await;
    assert!(!before.json.to_string().contains("lisi@example.com"));
    assert!(redacted_names(&before.json).contains(&"Registrant Email".to_owned()));

    // Another tenant cannot give consent for this contact.
    let (_, mallory) = h.customer("mallory@example.com").await;
    let stranger = h
        .call(
            Method::PUT,
            &path,
            Some(&mallory),
            Some(json!({"disclose": true})),
        )
        .await;
    assert_eq!(stranger.status, StatusCode::NOT_FOUND);

    let audit_before = h.audit_count().await;
    let set = h
        .call(
            Method::PUT,
            &path,
            Some(&token),
            Some(json!({"disclose": true})),
        )
        .await;
    assert_eq!(set.json, json!({"disclose": true}), "{}", set.json);
    assert_eq!(
        h.audit_count().await,
        audit_before + 1,
        "consent is audited"
    );

    let after = rdap(&h, "/rdap/domain/lisi.com").await;
    let text = after.json.to_string();
    for shown in ["李四", "lisi@example.com", "tel:+86.13900139000"] {
        assert!(text.contains(shown), "{shown} in {text}");
    }
    for hidden in ["11010519491231002X", "长安街"] {
        assert!(!text.contains(hidden), "{hidden} never shown");
    }
    let names = redacted_names(&after.json);
    assert!(!names.contains(&"Registrant Email".to_owned()), "{names:?}");
    assert!(names.contains(&"Registrant Street".to_owned()), "{names:?}");

    let addr = whois_listener(
        &h,
        WhoisSettings {
            lookup: whois_limit(0),
            ..WhoisSettings::default()
        },
    )
    .await;
    let record = whois(addr, b"lisi.com\r\n").await;
    for line in [
        "Registrant Name: 李四\r\n",
        "Registrant Email: lisi@example.com\r\n",
        "Registrant Phone: +86.13900139000\r\n",
        "Registrant Street: REDACTED FOR PRIVACY\r\n",
    ] {
        assert!(record.contains(line), "{line} in {record}");
    }
});
