//! What every context stands on: the application object and the per-request context, the
//! clock, field and file encryption, the audit log, the error type, idempotency keys, paging,
//! durable rate limits and the shared validation entry point.

pub mod at_rest;
pub mod audit;
pub mod clock;
pub(crate) mod context;
pub mod crypto;
pub mod error;
pub mod idempotency;
pub mod paging;
pub mod rate_limit;
pub mod validation;
