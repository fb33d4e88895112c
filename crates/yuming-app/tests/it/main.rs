//! Use-case stories, each run on SQLite and on PostgreSQL.

mod accounts;
mod api_keys;
mod audit_chain;
mod backup;
mod contacts;
mod notices;
mod filing;
mod dns;
mod flows;
mod registrar;
