//! Yuming's domain layer: pure types and rules.
//!
//! Nothing in this crate performs I/O, reads the system clock or knows about
//! HTTP, SQL or JSON. Time is always a parameter (`now: Timestamp`).

pub mod access;
pub mod api_key;
pub mod audit;
pub mod bank_statement;
pub mod calendar;
pub mod catalogue;
pub mod client_address;
pub mod clock;
pub mod contact;
pub mod credentials;
pub mod dns;
pub mod filing;
pub mod help;
pub mod lifecycle;
pub mod merkle;
pub mod money;
pub mod net;
pub mod payments;
pub mod pow;
pub mod pricing;
pub mod promotion;
pub mod rules;
pub mod signing;
pub mod ticket;
pub mod totp;
pub mod webauthn;
pub mod webhook;
