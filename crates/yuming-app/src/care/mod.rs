//! Customer care: where customers reach people — support tickets (and, to come, the help
//! centre, complaints and feedback). Sits above the registrar and filing contexts, whose
//! objects a ticket may concern, and below operations, whose scheduler runs its sweeps.

pub mod tickets;
