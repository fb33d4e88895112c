//! Handlers, one module per resource. Each handler extracts, calls one use case and maps the
//! result to a DTO.

pub mod account_data;
pub mod admin;
pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod bank;
pub mod billing;
pub mod checkout;
pub mod complaints;
pub mod contacts;
pub mod coupons;
pub mod dns;
pub mod domains;
pub mod filing;
pub mod filing_after;
pub mod flows;
pub mod health;
pub mod help;
pub mod invoices;
pub mod notifications;
pub mod payments;
pub mod pricing;
pub mod review;
pub mod services;
pub mod sub_accounts;
pub mod tickets;
pub mod validate;
pub mod webhooks;
