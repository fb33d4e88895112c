//! What the registrar must hear from, or tell, the contexts built on it — DNS hosting and ICP
//! filing — without depending on them. The application object wires the platform's own
//! implementation ([`crate::app`]); the registrar only sees this trait, so the dependency
//! between the contexts points one way.

use yuming_core::clock::Timestamp;
use yuming_store::{DomainRow, Tx};

use crate::AppError;
use crate::platform::BoxFuture;
use crate::registrar::cancellations::DependentFiling;
use crate::registrar::export::ExportPart;

/// Events of a name's life that other contexts act on inside the same transaction, and the
/// questions the registrar asks them.
pub trait DomainHooks: Send + Sync {
    /// A name was registered: set up what comes with it (its hosted zone), in `tx`.
    fn registered<'a>(
        &'a self,
        tx: &'a mut Tx,
        domain: &'a DomainRow,
        now: Timestamp,
    ) -> BoxFuture<'a, Result<(), AppError>>;

    /// A name is being deleted: withdraw what it publishes (its hosted zone), in `tx`.
    fn deleting<'a>(
        &'a self,
        tx: &'a mut Tx,
        domain: &'a DomainRow,
    ) -> BoxFuture<'a, Result<(), AppError>>;

    /// The filings that tie `domain` to the authority's records (the cancellation flow refuses
    /// to delete it until they are resolved).
    fn dependent_filings<'a>(
        &'a self,
        tx: &'a mut Tx,
        domain: &'a DomainRow,
    ) -> BoxFuture<'a, Result<Vec<DependentFiling>, AppError>>;

    /// The parts other contexts add to a cancellation's data export, after the registrar's own.
    fn export_parts(&self) -> Vec<Box<dyn ExportPart>>;
}
