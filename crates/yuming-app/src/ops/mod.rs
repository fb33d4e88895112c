//! Running the installation: backup and restore, the scheduler's jobs, and the settings staff
//! must change before customers rely on it.

pub mod at_rest;
pub mod backup;
pub mod data_export;
pub mod health;
pub mod jobs;
pub mod scheduled_backup;
pub mod scheduler;
pub mod support;
pub mod system;
