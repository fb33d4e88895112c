//! The registrar: the TLD catalogue and availability, registrant contacts, registration,
//! renewal and management of names, transfers and changes of holder, safe cancellation with
//! its data export, batches, restore during redemption, and the registry port.

pub mod availability;
pub mod batches;
pub mod cancellations;
pub mod catalogue;
pub mod checkout;
pub mod contact_documents;
pub mod contacts;
pub mod coupons;
pub mod domains;
mod error;
pub mod export;
pub mod hooks;
pub mod pricing;
pub mod registry;
pub mod restore;
pub mod transfers;

pub use error::RegistrarError;
