//! Use-case stories, each run on SQLite and on PostgreSQL.

mod accounts;
mod api_keys;
mod audit_chain;
mod contacts;
mod notices;
mod registrar;
mod scheduler;
