//! Availability of names, single and bulk, from the in-memory index and the catalogue, and
//! suggestions of available alternatives.

use yuming_core::catalogue::{self, Catalogue, Prices, Unavailable};
use yuming_core::clock::Timestamp;
use yuming_core::lifecycle::{self, DomainRecord, Phase, StatusFlags};
use yuming_core::pricing::{Adjustment, Buyer};
use yuming_core::rules::Problem;
use yuming_core::rules::domain_name::{DomainName, DomainPolicy};
use yuming_store::HeldName;

use crate::registrar::RegistrarError;
use crate::registrar::catalogue as stored_catalogue;
use crate::{App, AppError};

/// Most names in one bulk check.
pub const MAX_BULK_CHECK: usize = 1_000;

/// The answer for one name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Availability {
    /// The input as given.
    pub input: String,
    /// Unicode and A-label forms, when the name parsed.
    pub name: Option<(String, String)>,
    /// Whether it can be registered now.
    pub available: bool,
    /// Why not: `REGISTERED`, `VARIANT_REGISTERED`, `RESERVED`, `BLOCKED`, `LOOKALIKE`,
    /// `INVALID_SYNTAX`, `UNSUPPORTED_TLD`, `NOT_SECOND_LEVEL`.
    pub reason: Option<&'static str>,
    /// Rule findings behind an `INVALID_SYNTAX`, `BLOCKED` or `LOOKALIKE`, and non-blocking
    /// warnings (including look-alike findings held for review).
    pub problems: Vec<Problem>,
    /// Whether premium prices apply.
    pub premium: bool,
    /// Per-year prices this buyer pays (promotions, member level and volume tier applied),
    /// for names under a sold TLD.
    pub price: Option<Prices>,
    /// The catalogue's prices, when an adjustment lowers `price`.
    pub list_price: Option<Prices>,
    /// Why `price` is below the list: a promotion, a member level or a volume tier.
    pub adjustment: Option<Adjustment>,
    /// The name will be held for a naming review after registration.
    pub needs_review: bool,
}

fn record_of_held(held: &HeldName) -> DomainRecord {
    DomainRecord {
        created_at: Timestamp(held.created_at),
        expires_at: Timestamp(held.expires_at),
        registered_years: 1,
        last_renewal: None,
        last_transferred_at: None,
        pending_transfer_since: None,
        deleted_at: held.deleted_at.map(Timestamp),
        restored_at: held.restored_at.map(Timestamp),
        flags: StatusFlags::new(),
        auto_renew: false,
    }
}

/// Whether a held name has been released by the passage of time (the scheduler may not
/// have purged it yet).
pub(super) fn is_released(held: &HeldName, catalogue: &Catalogue, now: Timestamp) -> bool {
    let Some(tld) = catalogue.tld(&held.tld) else {
        return false;
    };
    lifecycle::project(&record_of_held(held), &tld.periods, now)
        .is_ok_and(|p| p.phase == Phase::Released)
}

/// Checks names against the catalogue and the registries, priced for an anonymous visitor;
/// results in input order, one bad name never fails the batch.
pub async fn check(app: &App, inputs: &[String]) -> Result<Vec<Availability>, AppError> {
    check_as(app, None, inputs).await
}

/// [`check`], priced for `buyer` (their member level and volume tier).
pub async fn check_as(
    app: &App,
    buyer: Option<&Buyer>,
    inputs: &[String],
) -> Result<Vec<Availability>, AppError> {
    if inputs.len() > MAX_BULK_CHECK {
        return Err(RegistrarError::TooManyNames.into());
    }
    let catalogue = stored_catalogue::current(app).await?;
    let book = crate::registrar::pricing::book(app).await?;
    let now = app.now();
    let decisions: Vec<Result<catalogue::Registrable<'_>, Unavailable>> = inputs
        .iter()
        .map(|input| catalogue.registrable(input))
        .collect();
    // Answered from this instance's availability index (cache-first); the registry
    // confirms inside the paying transaction.
    crate::registrar::availability::fresh(app).await?;
    let index = app.availability();
    Ok(inputs
        .iter()
        .zip(decisions)
        .map(|(input, decision)| match decision {
            Err(unavailable) => {
                let problems = match &unavailable {
                    Unavailable::InvalidSyntax(p)
                    | Unavailable::Blocked(p)
                    | Unavailable::Lookalike(p) => p.clone(),
                    _ => Vec::new(),
                };
                // Every name that parses is answered in both forms (CONTRACT), also when it
                // is reserved, blocked or under an unsold TLD; only invalid syntax has none.
                let name = match unavailable {
                    Unavailable::InvalidSyntax(_) => None,
                    _ => DomainName::parse(input, &DomainPolicy::GENERIC)
                        .ok()
                        .map(|p| (p.value.unicode().to_owned(), p.value.ascii().to_owned())),
                };
                Availability {
                    input: input.clone(),
                    name,
                    available: false,
                    reason: Some(unavailable.code()),
                    problems,
                    premium: false,
                    price: None,
                    list_price: None,
                    adjustment: None,
                    needs_review: false,
                }
            }
            Ok(registrable) => {
                let (by_name, by_variant) =
                    index.lookup(registrable.name.ascii(), &registrable.name.variant_key());
                let reason = match (by_name, by_variant) {
                    (Some(h), _) if !is_released(&h, &catalogue, now) => Some("REGISTERED"),
                    (_, Some(h)) if !is_released(&h, &catalogue, now) => Some("VARIANT_REGISTERED"),
                    _ => None,
                };
                let (price, adjustment) = crate::registrar::pricing::shown_prices(
                    &book,
                    buyer,
                    &registrable.prices,
                    registrable.premium,
                    &registrable.tld.ascii,
                    now,
                );
                Availability {
                    input: input.clone(),
                    name: Some((
                        registrable.name.unicode().to_owned(),
                        registrable.name.ascii().to_owned(),
                    )),
                    available: reason.is_none(),
                    reason,
                    problems: registrable.warnings.clone(),
                    premium: registrable.premium,
                    price: Some(price),
                    list_price: adjustment.as_ref().map(|_| registrable.prices),
                    adjustment,
                    needs_review: registrable.needs_review,
                }
            }
        })
        .collect())
}

/// What `buyer` (none: a visitor) pays to register a name a check found, for `years` (the
/// cart's line total); `None` for a name under no sold TLD.
pub async fn register_quote(
    app: &App,
    buyer: Option<&Buyer>,
    checked: &Availability,
    years: u32,
) -> Result<Option<yuming_core::pricing::Quote>, AppError> {
    let (Some(list), Some((_, ascii))) = (checked.list_price.or(checked.price), &checked.name)
    else {
        return Ok(None);
    };
    let book = crate::registrar::pricing::book(app).await?;
    let tld = ascii.rsplit('.').next().unwrap_or_default();
    let item = yuming_core::pricing::Item {
        prices: &list,
        premium: checked.premium,
        tld,
        operation: yuming_core::catalogue::Operation::Register,
        years,
    };
    yuming_core::pricing::quote(&book, buyer, item, app.now())
        .map(Some)
        .map_err(|e| AppError::internal(format!("price: {e}")))
}

/// Up to `limit` available alternatives for a taken name: the same label under the other
/// TLDs of the catalogue.
pub async fn suggestions(
    app: &App,
    buyer: Option<&Buyer>,
    taken: &Availability,
    limit: usize,
) -> Result<Vec<Availability>, AppError> {
    // A reserved name did not pass the catalogue, so parse the input itself.
    let unicode = match &taken.name {
        Some((unicode, _)) => unicode.clone(),
        None => match DomainName::parse(&taken.input, &DomainPolicy::GENERIC) {
            Ok(parsed) => parsed.value.unicode().to_owned(),
            Err(_) => return Ok(Vec::new()),
        },
    };
    let Some((label, tld)) = unicode.split_once('.') else {
        return Ok(Vec::new());
    };
    let catalogue = stored_catalogue::current(app).await?;
    let candidates: Vec<String> = catalogue
        .tlds()
        .filter(|t| t.unicode != tld)
        .map(|t| format!("{label}.{}", t.unicode))
        .collect();
    let mut found: Vec<Availability> = check_as(app, buyer, &candidates)
        .await?
        .into_iter()
        .filter(|a| a.available)
        .collect();
    found.truncate(limit);
    Ok(found)
}
