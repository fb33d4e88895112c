//! HTTP-level stories through the router (no socket), each on SQLite and PostgreSQL.

mod harness;

mod account_security;
mod assist;
mod audit_proofs;
mod bank;
mod checkout;
mod complaints;
mod contacts;
mod coupons;
mod credit_requests;
mod domains;
mod errors;
mod filing;
mod flows;
mod help;
mod idempotency;
mod invoices;
mod lookups;
mod notifications;
mod payments;
mod pricing;
mod services;
mod signed_requests;
mod tenant_isolation;
mod tickets;
mod validate;
mod webhooks;
