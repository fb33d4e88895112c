//! Application layer: the use cases every entry point (HTTP API, console, CLI, scheduler)
//! calls. Each use case authorises the actor once, runs in one transaction and writes its
//! audit entry in that same transaction.

pub mod accounts;
pub mod api_keys;
pub mod at_rest;
pub mod audit;
pub mod availability;
pub mod backup;
pub mod batches;
pub mod billing;
pub mod cancellations;
pub mod catalogue;
pub mod clock;
pub mod contacts;
pub mod crypto;
pub mod dns;
pub mod domains;
pub mod error;
pub mod export;
pub mod filing;
pub mod idempotency;
pub mod notices;
pub mod paging;
pub mod password;
pub mod rate_limit;
pub mod registry;
pub mod restore;
pub mod scheduler;
pub mod system;
pub mod transfers;
pub mod validation;
pub mod verification;
pub mod webhooks;

mod attempts;
mod context;
mod flow_notices;

pub use context::{App, AppSettings, IdempotencyMark, RequestContext};
pub use error::{AppError, ErrorInfo, ErrorKind};
