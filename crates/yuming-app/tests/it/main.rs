//! Use-case stories, each run on SQLite and on PostgreSQL.

mod abuse;
mod account_data;
mod accounts;
mod api_keys;
mod architecture;
mod at_rest;
mod audit_chain;
mod audit_tree;
mod backup;
mod certificate_jcs;
mod complaints;
mod contacts;
mod dns;
mod filing;
mod flows;
mod help;
mod notices;
mod passkeys;
mod registrar;
mod scheduler;
mod second_factor;
mod webhooks;
