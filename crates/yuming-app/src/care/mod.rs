//! Customer care: where customers reach people — support tickets, and complaints and appeals
//! with their working-day deadlines (the help centre and feedback are to come). Sits above the registrar and filing contexts, whose
//! objects a ticket may concern, and below operations, whose scheduler runs its sweeps.

pub mod abuse;
pub mod complaints;
pub mod tickets;
