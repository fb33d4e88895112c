//! HTTPS on the HTTP listener: a client trusting the certificate is served, plain HTTP on
//! the same port is not, and after the certificate files are replaced a SIGHUP makes new
//! connections get the new certificate without a restart (a broken replacement is refused
//! and the old pair kept).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use yuming_test_support::serve::start_serve;

mod common;
use common::yuming;

/// A self-signed P-256 server certificate (not a CA: rustls refuses a CA certificate as a
/// server's) for localhost and 127.0.0.1, written to `cert`/`key`.
fn make_certificate(cert: &Path, key: &Path, name: &str) {
    let config = cert.with_extension("cnf");
    std::fs::write(
        &config,
        "[req]\ndistinguished_name = dn\nx509_extensions = leaf\nprompt = no\n[dn]\n\
         [leaf]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = digitalSignature\n\
         extendedKeyUsage = serverAuth\nsubjectAltName = DNS:localhost, IP:127.0.0.1\n",
    )
    .expect("openssl configuration");
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ])
        .arg("-config")
        .arg(&config)
        .arg("-keyout")
        .arg(key)
        .arg("-out")
        .arg(cert)
        .args(["-days", "2", "-subj", &format!("/CN={name}")])
        .output()
        .expect("openssl (run .ci/install-tools)");
    assert!(
        out.status.success(),
        "openssl made no certificate: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A client that trusts only `cert`, with a new connection (and handshake) per request.
fn trusting(cert: &Path) -> reqwest::Client {
    let pem = std::fs::read(cert).expect("certificate");
    yuming_app::platform::http::client_builder()
        .tls_certs_only([reqwest::Certificate::from_pem(&pem).expect("PEM")])
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

async fn answers(client: &reqwest::Client, url: &str) -> bool {
    client
        .get(url)
        .send()
        .await
        .is_ok_and(|r| r.status().is_success())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_serves_and_reloads_its_certificate_on_sighup() {
    let dir = std::env::temp_dir().join(format!("yuming-tls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    make_certificate(&cert, &key, "first");
    let first = dir.join("first.pem");
    std::fs::copy(&cert, &first).expect("keep the first certificate");

    let mut server = yuming(&dir.join("data"));
    server
        .arg("serve")
        .env("YUMING_HTTP__TLS_CERT", &cert)
        .env("YUMING_HTTP__TLS_KEY", &key)
        .env("YUMING_WHOIS_ADDR", "")
        .stdout(Stdio::null());
    let mut served = start_serve(&mut server, false);
    let port = served.listening.http.port();
    let url = format!("https://localhost:{port}/healthz");
    let old = trusting(&first);
    let mut up = false;
    for _ in 0..100 {
        if answers(&old, &url).await {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(up, "HTTPS never answered:\n{}", served.log());

    // Plain HTTP on the TLS port gets no answer.
    let plain = yuming_app::platform::http::client_builder()
        .timeout(Duration::from_secs(5))
        .build()
        .expect("client");
    assert!(!answers(&plain, &format!("http://127.0.0.1:{port}/healthz")).await);

    // A renewal: new files, then SIGHUP. A client trusting only the new certificate is
    // refused until the reload and served after it.
    make_certificate(&cert, &key, "second");
    let new = trusting(&cert);
    assert!(
        !answers(&new, &url).await,
        "the old certificate is still served"
    );
    let pid = served.child.id().to_string();
    let hup = |pid: &str| {
        Command::new("kill")
            .args(["-HUP", pid])
            .status()
            .expect("kill")
            .success()
    };
    assert!(hup(&pid));
    let mut reloaded = false;
    for _ in 0..50 {
        if answers(&new, &url).await {
            reloaded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        reloaded,
        "the new certificate was not loaded:\n{}",
        served.log()
    );
    assert!(
        !answers(&old, &url).await,
        "new connections get the new certificate"
    );

    // A broken replacement is refused and the working pair kept.
    std::fs::write(&key, b"not a key").expect("break the key");
    assert!(hup(&pid));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        answers(&new, &url).await,
        "still serving after a failed reload"
    );
    assert!(served.log().contains("did not load"), "{}", served.log());
    let _ = std::fs::remove_dir_all(&dir);
}
