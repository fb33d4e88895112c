//! ICP filing (备案) use cases: entities, sites, servers, orders from draft to number, the
//! self-check, risk limits, the reviewer queue, the authority round trip and `sync`.
//!
//! The order carries the proposed data (entity and site) as one sealed JSON document; the
//! entity and site rows hold what is filed. Approval copies the order's data onto them.
//! Authority calls are network I/O for a real connector, so they happen between
//! transactions, never inside one.

mod access;
pub mod authority;
pub mod batch;
mod certificate_pdf;
pub mod certificates;
pub mod dashboard;
pub mod dependencies;
mod entities;
mod error;
mod forms;
pub mod materials;
pub mod monitor;
mod orders;
mod review;
mod rules;
mod sealing;
mod self_check;
mod servers;
mod shape;
mod submission;
mod sync;
mod transitions;
mod views;

pub use entities::{create_entity, create_site, get_entity, list_entities};
pub use error::FilingError;
pub use forms::{EntityInput, Payload, PersonInput, PreapprovalInput, SiteInput};
pub(crate) use orders::create_order_with_lock;
pub use orders::{
    NewOrderInput, create_order, create_site_order, get_order, list_orders, update_order,
    update_order_fields, verify_type,
};
pub use review::{
    FieldRejection, add_note, approve, approve_seen, claim, notes, reject, reject_seen, release,
    review_queue, review_view,
};
pub use rules::{RuleInput, add_rule, blacklist, list_rules};
use sealing::{open_json, site_context};
pub use self_check::check;
pub use servers::{ServerInput, add_ip_pool, add_servers, list_ip_pools, list_servers};
pub use submission::{abandon, history, submit, verify_and_submit};
pub use sync::{SyncReport, sync, verify_sms};
pub use views::{
    CheckReport, EarlierOrder, EntityView, HistoryEntry, IpPoolView, NoteView, OrderView,
    ReviewView, RuleView, ServerView, SiteView,
};

use yuming_store::FilingSiteRow;

use crate::{App, AppError};

pub use authority::{
    AuthorityError, AuthorityStatus, FilingAuthority, SandboxConfig, SandboxFilingAuthority,
    SmsOutcome, Submission, Ticket,
};

/// The provider name rules rows of scope `provider` are matched against.
pub const PROVIDER: &str = "yuming";
const CONTACT_INDEX: &str = "contact.id_number";
const BLACKLIST_INDEX: &str = "filing.blacklist";
const CERT_INDEX: &str = "filing.cert";
/// Blind-index purposes of principals' mobiles and e-mails (the duplicate checks compare
/// them; the values themselves are only in the sealed documents).
pub(crate) const MOBILE_INDEX: &str = "filing.principal_mobile";
pub(crate) const EMAIL_INDEX: &str = "filing.principal_email";

/// The form of a principal's mobile that is indexed and compared.
pub(crate) fn normal_mobile(mobile: &str) -> String {
    mobile.trim().to_owned()
}

/// The form of a principal's e-mail that is indexed and compared.
pub(crate) fn normal_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn principal_indexes(app: &App, principal: &PersonInput) -> (String, String) {
    (
        app.cipher()
            .blind_index(&normal_mobile(&principal.mobile), MOBILE_INDEX),
        app.cipher()
            .blind_index(&normal_email(&principal.email), EMAIL_INDEX),
    )
}

/// The mobile of a site's principal, from its sealed document (for SMS notices).
pub(crate) fn site_principal_mobile(app: &App, site: &FilingSiteRow) -> Result<String, AppError> {
    let input: SiteInput = open_json(app, &site.data_sealed, &site_context(&site.id))?;
    Ok(normal_mobile(&input.principal.mobile))
}

/// Orders `sync` looks at per run.
const SYNC_BATCH: i64 = 500;
