//! Application layer: the use cases every entry point (HTTP API, console, CLI, scheduler)
//! calls. Each use case authorises the actor once, runs in one transaction and writes its
//! audit entry in that same transaction.
//!
//! The use cases are grouped by bounded context, each a folder:
//!
//! | context | what it owns |
//! |---|---|
//! | [`accounts`] | sign-up, login, sessions, TOTP, API keys, sub-accounts, e-mail verification |
//! | [`registrar`] | catalogue, availability, contacts, registration and renewal, transfers, cancellations, batches, the registry port |
//! | [`billing`] | balances, top-ups, the customer's ledger and orders |
//! | [`dns`] | hosted zones and records |
//! | [`notify`] | notices, webhooks and the lifecycle flows' notices |
//! | [`filing`] | ICP filing: entities, sites, materials, rules, orders, review, the authority |
//! | [`platform`] | clock, crypto, audit, errors, idempotency, paging, rate limits, validation |
//! | [`ops`] | backup and restore, the scheduler's jobs, the one-time sealing of legacy plaintext, the platform's own warnings |
//!
//! The contexts depend on each other in one direction only (`platform` ← `notify` ←
//! `accounts` ← `billing` ← `registrar` ← `dns`, `filing` ← `ops`); where the registrar must
//! reach a context built on it, it goes through [`registrar::hooks::DomainHooks`], wired by the
//! application object ([`App`], in `app.rs`, the one module that sees every context).

mod app;

pub mod accounts;
pub mod billing;
pub mod care;
pub mod dns;
pub mod filing;
pub mod notify;
pub mod ops;
pub mod platform;
pub mod registrar;

pub use app::{App, AppSettings, IdempotencyMark, RequestContext};
pub use platform::error::{AppError, ErrorInfo, ErrorKind};
