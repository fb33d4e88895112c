//! Connection limits of `yuming serve` from the outside: idle connections from one address
//! beyond its cap are turned away on HTTP, DNS over TCP and WHOIS while another address
//! (127.0.0.2) is still answered, UDP DNS keeps answering, and a connection that never
//! completes its request header is closed after the header-read timeout, freeing its slot.

use std::net::{IpAddr, SocketAddr};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use yuming_test_support::serve::start_serve;

mod common;
use common::{dig, status, yuming};

/// Connections one source may hold on each listener in this test.
const PER_IP: usize = 4;

/// A TCP connection to `to` from the local address `from`.
async fn connect_from(from: [u8; 4], to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::from((from, 0)))
        .expect("bind the client address");
    socket.connect(to).await.expect("connect")
}

/// An HTTP client whose connections come from the local address `ip`.
fn from(ip: [u8; 4]) -> reqwest::Client {
    yuming_app::platform::http::client_builder()
        .local_address(IpAddr::from(ip))
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// Everything the server sends until it closes; `None` if it keeps the connection open
/// (silent) for `wait`.
async fn until_closed(stream: &mut TcpStream, wait: Duration) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    match tokio::time::timeout(wait, stream.read_to_end(&mut got)).await {
        Ok(_) => Some(got),
        Err(_) => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_floods_from_one_address_do_not_lock_out_others() {
    let dir = std::env::temp_dir().join(format!("yuming-limits-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut server = yuming(&dir.join("data"));
    let per_ip = PER_IP.to_string();
    server
        .arg("serve")
        .env("YUMING_WHOIS_ADDR", "127.0.0.1:0")
        .env("YUMING_HTTP__MAX_CONNECTIONS_PER_IP", &per_ip)
        .env("YUMING_DNS__TCP_MAX_CONNECTIONS_PER_IP", &per_ip)
        .env("YUMING_WHOIS__MAX_CONNECTIONS_PER_IP", &per_ip)
        // Long enough for the steps below to run while the idle connections are held; the
        // test then waits for the server to close them.
        .env("YUMING_HTTP__HEADER_READ_TIMEOUT_SECS", "4")
        .env("YUMING_DNS__TCP_IDLE_TIMEOUT_SECS", "60")
        .env("YUMING_WHOIS__READ_TIMEOUT_SECS", "60")
        .stdout(Stdio::null());
    let mut served = start_serve(&mut server, true);
    // Polled from another address, so that 127.0.0.1's slots start empty.
    served
        .wait_healthy_from(Some(IpAddr::from([127, 0, 0, 3])))
        .await;
    let http_addr = served.listening.http;
    let dns_addr = served.listening.dns.expect("DNS is on");
    let whois_addr = served.listening.whois.expect("WHOIS is on");
    let dns = dns_addr.port();
    let healthz = format!("http://{http_addr}/healthz");

    // HTTP: 127.0.0.1 fills its slots with connections that send nothing (one sends half a
    // header); the next one is told 503 and closed at once.
    let mut held = Vec::new();
    for i in 0..PER_IP {
        let mut stream = connect_from([127, 0, 0, 1], http_addr).await;
        if i == 0 {
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
                .await
                .expect("half a header");
        }
        held.push(stream);
    }
    let mut over = connect_from([127, 0, 0, 1], http_addr).await;
    let refused = until_closed(&mut over, Duration::from_secs(10))
        .await
        .expect("a connection over the per-IP cap is closed at once");
    let refused = String::from_utf8_lossy(&refused);
    assert!(
        refused.starts_with("HTTP/1.1 503") && refused.contains("TOO_MANY_CONNECTIONS"),
        "{refused}"
    );
    let other = from([127, 0, 0, 2])
        .get(&healthz)
        .send()
        .await
        .expect("another address is served");
    assert_eq!(other.status(), 200);

    // The header-read timeout closes them all (the half header too), freeing the slots; the
    // idle timeout (60 s) is not what closes them.
    for (i, stream) in held.iter_mut().enumerate() {
        let rest = until_closed(stream, Duration::from_secs(30))
            .await
            .unwrap_or_else(|| panic!("connection {i} is still open after the header timeout"));
        let rest = String::from_utf8_lossy(&rest);
        assert!(
            rest.is_empty() || rest.starts_with("HTTP/1.1 408"),
            "no answer to a request never completed: {rest}"
        );
    }
    let again = from([127, 0, 0, 1])
        .get(&healthz)
        .send()
        .await
        .expect("slots are free again");
    assert_eq!(again.status(), 200);

    // DNS over TCP: the same from 127.0.0.1; 127.0.0.2 over TCP and anyone over UDP answered.
    let mut held = Vec::new();
    for _ in 0..PER_IP {
        held.push(connect_from([127, 0, 0, 1], dns_addr).await);
    }
    let mut over = connect_from([127, 0, 0, 1], dns_addr).await;
    assert_eq!(
        until_closed(&mut over, Duration::from_secs(10)).await,
        Some(Vec::new()),
        "a DNS connection over the per-IP cap is closed at once"
    );
    let tcp = tokio::task::spawn_blocking(move || {
        dig(
            dns,
            &["+time=3", "+tcp", "-b", "127.0.0.2", "example.org", "SOA"],
        )
    })
    .await
    .expect("dig");
    assert_eq!(status(&tcp), "REFUSED", "answered over TCP: {tcp}");
    let udp = tokio::task::spawn_blocking(move || dig(dns, &["+time=3", "example.org", "SOA"]))
        .await
        .expect("dig");
    assert_eq!(status(&udp), "REFUSED", "answered over UDP: {udp}");
    for stream in &mut held {
        assert_eq!(
            until_closed(stream, Duration::from_millis(200)).await,
            None,
            "admitted connections are kept until their idle timeout"
        );
    }

    // WHOIS: the same.
    let mut held = Vec::new();
    for _ in 0..PER_IP {
        held.push(connect_from([127, 0, 0, 1], whois_addr).await);
    }
    let mut over = connect_from([127, 0, 0, 1], whois_addr).await;
    let refused = until_closed(&mut over, Duration::from_secs(10))
        .await
        .expect("a WHOIS connection over the per-IP cap is closed at once");
    assert_eq!(
        String::from_utf8_lossy(&refused),
        "Error: too many connections from your address; try again later.\r\n"
    );
    let mut other = connect_from([127, 0, 0, 2], whois_addr).await;
    other.write_all(b"nothere.com\r\n").await.expect("query");
    let answer = until_closed(&mut other, Duration::from_secs(10))
        .await
        .expect("answered");
    assert!(
        String::from_utf8_lossy(&answer).starts_with("No match for \"nothere.com\""),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    drop(held);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Behind a trusted proxy the per-IP limits count the address the proxy forwarded for; from
/// any other peer the forwarding headers are ignored and the peer itself is counted, so a
/// client cannot dodge a limit by inventing `X-Forwarded-For` values.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_ip_limits_believe_forwarded_addresses_only_from_trusted_proxies() {
    let dir = std::env::temp_dir().join(format!("yuming-proxies-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut server = yuming(&dir.join("data"));
    server
        .arg("serve")
        .env("YUMING_HTTP__TRUSTED_PROXIES", "127.0.0.2, 10.0.0.0/8")
        .env("YUMING_LOOKUP__RDAP_PER_IP_PER_MINUTE", "2")
        .stdout(Stdio::null());
    let mut served = start_serve(&mut server, false);
    served.wait_healthy().await;
    let rdap = format!("http://{}/rdap/help", served.listening.http);
    let get = |client: reqwest::Client, forwarded_for: &'static str| {
        let rdap = rdap.clone();
        async move {
            client
                .get(&rdap)
                .header("x-forwarded-for", forwarded_for)
                .send()
                .await
                .expect("RDAP answers")
                .status()
                .as_u16()
        }
    };

    // Through the trusted proxy: 198.51.100.1 spends its two lookups, 198.51.100.2 still has
    // its own. A hop the client wrote itself (left of the proxy's) changes nothing.
    let proxy = from([127, 0, 0, 2]);
    assert_eq!(get(proxy.clone(), "198.51.100.1").await, 200);
    assert_eq!(get(proxy.clone(), "6.6.6.6, 198.51.100.1").await, 200);
    assert_eq!(get(proxy.clone(), "198.51.100.1").await, 429);
    assert_eq!(get(proxy.clone(), "198.51.100.2, 10.1.2.3").await, 200);

    // From an untrusted peer every request counts against the peer, whatever it claims.
    let direct = from([127, 0, 0, 4]);
    assert_eq!(get(direct.clone(), "198.51.100.7").await, 200);
    assert_eq!(get(direct.clone(), "198.51.100.8").await, 200);
    assert_eq!(get(direct.clone(), "198.51.100.9").await, 429);
    let _ = std::fs::remove_dir_all(&dir);
}
