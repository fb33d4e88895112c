//! The HTTP listener: hyper's HTTP/1 connection driver under an accept loop of our own (in
//! place of `axum::serve`, which has no connection caps or timeouts), so that
//!
//! - a connection is admitted only under the per-listener and per-source caps, and one over
//!   them gets a 503 and is closed at once instead of waiting in the kernel's queue;
//! - a request's header must arrive within the header-read timeout, which hyper also applies
//!   while a kept-alive connection waits for its next request;
//! - a connection on which no byte has moved either way for the idle timeout is closed, also
//!   mid-request (a body that stops arriving, an answer nobody reads);
//! - `accept` errors (out of file descriptors) pause the loop instead of spinning it.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::HeaderMap;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Instant;
use tower::ServiceExt;
use yuming_core::client_address::TrustedProxies;
use yuming_lookup::listener::{
    AcceptBackoff, ConnectionLimits, ConnectionTracker, Refused, accept,
};

/// Limits of the HTTP listener, and whom it believes about the client's address.
#[derive(Debug, Clone)]
pub struct HttpLimits {
    /// Open connections in all and per source.
    pub connections: ConnectionLimits,
    /// Time to send a request's complete header (and the keep-alive wait for the next one).
    pub header_read_timeout: Duration,
    /// Time without a byte moving either way before the connection is closed.
    pub idle_timeout: Duration,
    /// Proxies whose forwarding headers name the client (`[http] trusted_proxies`). The
    /// connection caps always count the peer itself: that is who holds the socket.
    pub trusted_proxies: Arc<TrustedProxies>,
    /// HTTPS with this certificate (`[http] tls_cert`/`tls_key`); `None` is plain HTTP.
    pub tls: Option<Arc<Tls>>,
}

/// The listener's certificate and key, reloadable while it serves: connections accepted
/// after a [`Tls::reload`] get the new pair, open ones keep theirs.
#[derive(Debug)]
pub struct Tls {
    cert: PathBuf,
    key: PathBuf,
    config: RwLock<Arc<rustls::ServerConfig>>,
}

impl Tls {
    /// Loads the PEM certificate chain and private key.
    pub fn load(cert: &Path, key: &Path) -> anyhow::Result<Tls> {
        Ok(Tls {
            cert: cert.to_owned(),
            key: key.to_owned(),
            config: RwLock::new(Arc::new(server_config(cert, key)?)),
        })
    }

    /// Reads the files again (after a certificate renewal); on any error the pair in use
    /// stays and the error is returned.
    pub fn reload(&self) -> anyhow::Result<()> {
        let fresh = Arc::new(server_config(&self.cert, &self.key)?);
        *self
            .config
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = fresh;
        Ok(())
    }

    fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        let config = self
            .config
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        tokio_rustls::TlsAcceptor::from(Arc::clone(&config))
    }
}

fn server_config(cert: &Path, key: &Path) -> anyhow::Result<rustls::ServerConfig> {
    use anyhow::Context as _;
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("reading the certificate {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("parsing the certificate {}", cert.display()))?;
    anyhow::ensure!(!chain.is_empty(), "{} holds no certificate", cert.display());
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("reading the private key {}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("the certificate and key do not make a pair")?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Serves `router` on `listener` until `shutdown` completes, then lets open connections
/// finish their requests (each is bounded by the idle timeout) and returns.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    shutdown: impl Future<Output = ()>,
) {
    let tracker = ConnectionTracker::new(limits.connections);
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    // Every connection holds a receiver: once all are dropped, every connection has ended.
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut backoff = AcceptBackoff::default();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = accept(&listener, &mut backoff, "HTTP") => accepted,
        };
        let permit = match tracker.admit(peer.ip()) {
            Ok(permit) => permit,
            Err(refused) => {
                refuse(&stream, refused);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let builder = builder.clone();
        let stop = stop_rx.clone();
        let idle = limits.idle_timeout;
        let proxies = Arc::clone(&limits.trusted_proxies);
        let tls = limits.tls.as_ref().map(|tls| tls.acceptor());
        let handshake = limits.header_read_timeout;
        tokio::spawn(async move {
            let activity = Arc::new(Activity::new());
            let tracked = Tracked {
                inner: stream,
                activity: Arc::clone(&activity),
            };
            let peer_side = Peer {
                addr: peer,
                proxies,
                activity,
                idle,
            };
            match tls {
                None => connection(tracked, peer_side, router, &builder, stop).await,
                // The handshake gets the header-read timeout: a client that opens a connection
                // and stalls in it holds a slot no longer than one that stalls in its header.
                Some(acceptor) => match tokio::time::timeout(handshake, acceptor.accept(tracked))
                    .await
                {
                    Ok(Ok(stream)) => connection(stream, peer_side, router, &builder, stop).await,
                    Ok(Err(error)) => tracing::debug!(%peer, %error, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                },
            }
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    drop(stop_rx);
    stop_tx.closed().await;
}

/// Answers 503 to a connection over a cap, without waiting: a new connection's send buffer
/// has room for it. Nothing is read, so a client that already sent its request may see a
/// reset instead; either way it is told to go away cheaply.
fn refuse(stream: &TcpStream, refused: Refused) {
    let (message, message_zh) = match refused {
        Refused::SourceFull => (
            "too many connections from your address; try again later",
            "来自您地址的连接过多，请稍后再试",
        ),
        Refused::ListenerFull => (
            "the server is busy; try again later",
            "服务器繁忙，请稍后再试",
        ),
    };
    let body = serde_json::json!({"error": {
        "code": "TOO_MANY_CONNECTIONS",
        "message": message,
        "message_zh": message_zh,
        "field": null,
    }})
    .to_string();
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\nretry-after: 5\r\n\
         content-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.try_write(response.as_bytes());
}

/// Who is on the other end of a connection, and how long it may stay silent.
struct Peer {
    addr: SocketAddr,
    proxies: Arc<TrustedProxies>,
    activity: Arc<Activity>,
    idle: Duration,
}

async fn connection<S>(
    stream: S,
    peer: Peer,
    router: Router,
    builder: &http1::Builder,
    mut stop: watch::Receiver<bool>,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let Peer {
        addr: peer,
        proxies,
        activity,
        idle,
    } = peer;
    let io = TokioIo::new(stream);
    let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
        // What `into_make_service_with_connect_info` would add: the handlers' view of the
        // client, which every per-IP limit, session record and audit entry reads. Behind a
        // trusted proxy that is the address the proxy forwarded for.
        let client = client_of(peer, &proxies, request.headers());
        request.extensions_mut().insert(ConnectInfo(client));
        router.clone().oneshot(request)
    });
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let mut draining = false;
    loop {
        let deadline = activity.last() + idle;
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(error) = result {
                    tracing::debug!(%peer, %error, "HTTP connection ended with an error");
                }
                return;
            }
            _ = stop.wait_for(|stop| *stop), if !draining => {
                // Finishes the request in flight, if any, then closes.
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
            () = tokio::time::sleep_until(deadline) => {
                if activity.last() + idle <= Instant::now() {
                    tracing::debug!(%peer, "closing an HTTP connection idle for {idle:?}");
                    return;
                }
            }
        }
    }
}

/// The client's address: the peer, or behind a trusted proxy the forwarded address (with the
/// peer's port, which handlers do not use).
fn client_of(peer: SocketAddr, proxies: &TrustedProxies, headers: &HeaderMap) -> SocketAddr {
    if proxies.is_empty() {
        return peer;
    }
    let values = |name: &str| -> Vec<&str> {
        headers
            .get_all(name)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect()
    };
    let client = proxies.client(peer.ip(), &values("forwarded"), &values("x-forwarded-for"));
    SocketAddr::new(client, peer.port())
}

/// When a byte last moved on a connection, in milliseconds since it was accepted.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }
}

/// A stream that notes every read or write that moved bytes.
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Tracked {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        result
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
