//! Storage adapter: SQLite (embedded default) and PostgreSQL (scale-out) through sqlx.
//!
//! This is the only crate that contains SQL. Both backends run the same statements wherever
//! the dialects agree (numbered `$n` parameters, `RETURNING`, `ON CONFLICT`); the few that
//! differ are written per backend next to each other. Every repository method runs inside a
//! [`Tx`], so a use case's reads and writes commit or roll back together; the exceptions are
//! the lone reads of the hot path (`Db::account_for_session`, `Db::account`,
//! `Db::domains_page`), single statements that on SQLite run inline on rusqlite connections
//! (see `lone_read`) to spare sqlx's per-statement thread hand-off.

#[macro_use]
mod db;
mod accounts;
mod api_keys;
mod audit;
mod audit_tree;
mod backup;
mod bank;
mod catalogue;
mod checkout;
mod closures;
mod complaints;
mod contacts;
mod coupons;
mod credit_requests;
mod dns;
mod domains;
mod filing;
mod filing_after;
mod filing_monitor;
mod flows;
mod help;
mod housekeeping;
mod idempotency;
mod invoices;
mod jobs;
mod ledger;
mod lone_read;
mod notices;
mod passkeys;
mod payments;
mod price_book;
mod rate;
mod sandbox_authority;
mod services;
mod sessions;
mod tallies;
mod tickets;
mod webhooks;

pub use accounts::{AccountRow, NewAccount, Reservation, Settlement};
pub use api_keys::{ApiKeyRow, NewApiKey};
pub use audit::{AuditFilter, AuditPage, NewAuditEntry, StoredAuditEntry};
pub use audit_tree::TreeHeadRow;
pub use backup::{DumpSummary, RestoreError};
pub use bank::{BankStatementLineRow, BankTransferRow};
pub use catalogue::TldRow;
pub use checkout::CheckoutOrderRow;
pub use closures::ClosureRow;
pub use complaints::ComplaintRow;
pub use contacts::{
    ContactDocumentRow, ContactKey, ContactPage, ContactReviewRow, ContactRow, NewContact,
    PublishedContact, VerificationChange,
};
pub use coupons::CouponRow;
pub use db::{Backend, Db, StoreError, Tx, redact_url};
pub use dns::{DnsRecordRow, ServedZoneRow, ZoneRow};
pub use domains::{DomainHistoryEntry, DomainRow, HeldName, HeldNameChange, ListedDomain};
pub use filing::{
    FilingEntityRow, FilingHistoryRow, FilingMaterialRow, FilingNoteRow, FilingOrderRow,
    FilingRuleRow, FilingSiteRow, IpPoolRow, ServerRow,
};
pub use filing_after::{CertificateRow, SigningKeyRow};
pub use filing_monitor::{FilingAlertRow, FilingCheckRow};
pub use flows::{BatchItemRow, BatchRow, CancellationDomainRow, CancellationRow, TransferRow};
pub use help::{FeedbackRow, HelpArticleRow, HelpRevisionRow, PublishedHelpRow};
pub use invoices::InvoiceRow;
pub use jobs::{JobRun, JobStatusRow, ReconciliationRow};
pub use ledger::{BalanceRow, LedgerEntryRow, OrderRow, RevenueRow};
pub use notices::{NoticeRow, OutboxHealthRow};
pub use passkeys::{PasskeyRow, WebauthnChallengeRow};
pub use payments::{
    PaymentAlertRow, PaymentNotificationRow, PaymentRefundRow, PaymentRow, SandboxTradeRow,
};
pub use price_book::{PriceLevelRow, PromotionRow};
pub use sandbox_authority::{SandboxSubjectRow, SandboxTicketRow};
pub use webhooks::{FailingEndpointRow, WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow};

pub use credit_requests::CreditRequestRow;
pub use idempotency::IdempotencyClaim;
pub use services::ServiceProductRow;
pub use sessions::SessionRow;
pub use tickets::{TicketAttachmentRow, TicketMessageRow, TicketRow};
