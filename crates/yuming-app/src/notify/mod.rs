//! Telling people: the notice service (e-mail, SMS, in-console), signed webhooks, and the one
//! place the lifecycle flows hand their notices over.

pub(crate) mod flow_notices;
pub mod kinds;
pub mod notices;
pub mod webhooks;
