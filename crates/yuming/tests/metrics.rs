//! `/metrics` of a running `yuming serve`, from the outside: on its own listener behind a
//! bearer token (the main listener answers 404 there), counting HTTP requests by route
//! template, DNS queries by type and response code, WHOIS lookups and rate-limit refusals —
//! and read by Prometheus' own text-format parser and linted by `promtool`.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use yuming_test_support::serve::start_serve;

mod common;
use common::{dig, yuming};

const TOKEN: &str = "metrics-test-token";

/// Runs `program args` with `input` on its standard input; (success, stdout + stderr).
fn pipe(program: &str, args: &[&str], input: &str) -> (bool, String) {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e} (run .ci/install-tools)"));
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The value of the sample `series` (name with labels, exactly as rendered).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_the_listeners_did_in_the_prometheus_format() {
    let dir = std::env::temp_dir().join(format!("yuming-metrics-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut server = yuming(&dir.join("data"));
    server
        .arg("serve")
        .env("YUMING_WHOIS_ADDR", "127.0.0.1:0")
        .env("YUMING_METRICS__ADDR", "127.0.0.1:0")
        .env("YUMING_METRICS__TOKEN", TOKEN)
        .env("YUMING_LOOKUP__WHOIS_PER_IP_PER_MINUTE", "2")
        .stdout(Stdio::null());
    let mut served = start_serve(&mut server, true);
    served.wait_healthy().await;
    let log = served.log();
    let metrics_addr = log
        .lines()
        .find(|line| line.contains("metrics are serving"))
        .and_then(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .and_then(|line| line["fields"]["metrics"].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("no metrics listener in the log:\n{log}"));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client");
    let base = served.base();

    // Traffic: pages, the API, DNS and WHOIS (the third lookup is over its limit).
    for path in [
        "/",
        "/api/v1/domains/check?name=metrics-test.com",
        "/api/v1/nowhere",
    ] {
        client
            .get(format!("{base}{path}"))
            .send()
            .await
            .expect("request");
    }
    let dns = served.listening.dns.expect("DNS is on").port();
    dig(dns, &["nothing-here.example", "A"]);
    dig(dns, &["nothing-here.example", "AAAA"]);
    let whois = served.listening.whois.expect("WHOIS is on");
    for _ in 0..3 {
        let mut stream = tokio::net::TcpStream::connect(whois).await.expect("whois");
        stream.write_all(b"nothere.com\r\n").await.expect("query");
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
    }

    // Only on its own listener, only with the token.
    let main = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .expect("main");
    assert_eq!(
        main.status(),
        404,
        "the main listener does not serve metrics"
    );
    let url = format!("http://{metrics_addr}/metrics");
    let anonymous = client.get(&url).send().await.expect("metrics");
    assert_eq!(anonymous.status(), 401);
    let wrong = client
        .get(&url)
        .bearer_auth("wrong")
        .send()
        .await
        .expect("metrics");
    assert_eq!(wrong.status(), 401);
    let reply = client
        .get(&url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .expect("metrics");
    assert_eq!(reply.status(), 200);
    assert_eq!(
        reply.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = reply.text().await.expect("body");

    assert!(
        sample(
            &text,
            "yuming_http_requests_total{method=\"GET\",route=\"/api/v1/domains/check\",status=\"200\"}"
        )
        .is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(
        sample(
            &text,
            "yuming_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"}"
        )
        .is_some_and(|n| n >= 1.0),
        "the unknown path is counted without its raw path: {text}"
    );
    assert!(
        !text.contains("/api/v1/nowhere"),
        "raw paths never become labels"
    );
    for qtype in ["A", "AAAA"] {
        let prefix =
            format!("yuming_dns_queries_total{{transport=\"udp\",qtype=\"{qtype}\",rcode=");
        let counted: f64 = text
            .lines()
            .filter(|line| line.starts_with(&prefix))
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum();
        assert!((counted - 1.0).abs() < f64::EPSILON, "{prefix} in {text}");
    }
    assert_eq!(
        sample(
            &text,
            "yuming_lookups_total{protocol=\"whois\",result=\"not_found\"}"
        ),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "yuming_rate_limited_total{limiter=\"whois\"}"),
        Some(1.0),
        "{text}"
    );
    assert!(
        text.contains("yuming_dns_query_duration_seconds_bucket{transport=\"udp\",le=\"+Inf\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("yuming_db_pool_connections{state=\"max\"}"),
        "{text}"
    );

    // Prometheus' own parser reads every family; promtool finds nothing to lint.
    let (parsed, out) = pipe(
        "python3",
        &[
            "-c",
            "import sys\nfrom prometheus_client.parser import text_string_to_metric_families\n\
             families = list(text_string_to_metric_families(sys.stdin.read()))\n\
             assert families\nprint(len(families), 'families')",
        ],
        &text,
    );
    assert!(
        parsed,
        "the Prometheus parser refused /metrics: {out}\n{text}"
    );
    let (linted, out) = pipe("promtool", &["check", "metrics"], &text);
    assert!(linted, "promtool check metrics: {out}\n{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
