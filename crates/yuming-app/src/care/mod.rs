//! Customer care: where customers help themselves and reach people — the help centre with its
//! announcements, support tickets, complaints and appeals with their working-day deadlines,
//! public abuse reports, and product feedback. Sits above the registrar and filing contexts,
//! whose objects a ticket may concern, and below operations, whose scheduler runs its sweeps.

use yuming_core::access::{Actor, Right};

pub mod abuse;
pub mod complaints;
pub mod feedback;
pub mod help;
pub mod tickets;

/// The right a ticket or complaint needs: customers their tenant's domain-read right (every
/// customer account has it), staff the right to act for customers.
pub(crate) fn care_right(actor: &Actor) -> Right {
    if actor.role.is_staff() {
        Right::CustomerAssist
    } else {
        Right::DomainsRead
    }
}
