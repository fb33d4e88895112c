//! Registrar use cases: availability (single and bulk), registration and renewal paid from
//! the balance in one transaction, and domain management.

mod listing;
mod lookup;
mod management;
mod naming_review;
mod records;
mod registration;
mod renewal;
mod search;
mod variants;

pub use listing::{
    DomainFilter, DomainOrder, FilteredPage, ListState, get, list, list_filtered, list_sorted,
};
pub use lookup::{
    DisclosedRegistrant, LookupView, PublicRegistrant, lookup, lookup_nameserver, lookup_registrant,
};
pub use management::{DomainUpdate, auth_code, change_registrant, update};
pub(crate) use management::{status_prohibits, updatable_record};
pub use naming_review::{decide_naming_review, naming_review_queue};
pub use records::{DomainView, apply_record, parse_nameservers, record_of};
pub(crate) use records::{lifecycle_error, resolves_now, unavailable_error, view_of, years_error};
pub(crate) use registration::{
    Agreed, apply_coupon, auth_code_context, held_change, new_auth_code, record_change,
    register_at, require_owned_contact,
};
pub use registration::{Receipt, RegisterInput, register};
pub(crate) use renewal::{ascii_of, load_for_update};
pub use renewal::{renew, renew_with_coupon};
pub use search::{Availability, MAX_BULK_CHECK, check, check_as, register_quote, suggestions};
pub use variants::{RekeyReport, rekey_variants};
