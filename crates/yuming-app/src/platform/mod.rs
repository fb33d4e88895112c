//! What every context stands on: the application object and the per-request context, the
//! clock, field and file encryption, the audit log, the error type, idempotency keys, paging,
//! durable rate limits and the shared validation entry point.

pub mod audit;
pub mod audit_tree;
pub mod clock;
pub mod crypto;
pub mod error;
pub mod http;
pub mod idempotency;
pub mod images;
pub mod metrics;
pub mod paging;
pub mod pdf;
pub mod rate_limit;
pub mod signing_key;
pub mod validation;

/// A boxed future, so that traits with async methods (ports and hooks) stay object-safe.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// A `User-Agent` header as kept with a session: printable characters only, at most 256.
pub fn user_agent(header: Option<&str>) -> Option<String> {
    let cleaned: String = header?
        .chars()
        .filter(|c| !c.is_control())
        .take(256)
        .collect();
    let cleaned = cleaned.trim();
    (!cleaned.is_empty()).then(|| cleaned.to_owned())
}
