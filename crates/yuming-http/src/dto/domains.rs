//! Money, prices, availability checks, registration, renewal and the domain list.

use super::validation::ProblemDto;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Money in minor units: `{"amount": 5900, "currency": "CNY"}` is 59.00 CNY.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct MoneyDto {
    /// Minor units (fen, cents).
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
}

impl From<yuming_core::money::Money> for MoneyDto {
    fn from(m: yuming_core::money::Money) -> Self {
        MoneyDto {
            amount: m.minor(),
            currency: m.currency().code().to_owned(),
        }
    }
}

/// Per-year prices of a name.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PriceDto {
    /// Registration per year.
    pub register: MoneyDto,
    /// Renewal per year.
    pub renew: MoneyDto,
}

/// Availability of one name.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CheckResultDto {
    /// The name in Unicode, normalised (the input as given when its syntax is invalid).
    pub name: String,
    /// The A-label form; present for every name that parses (also reserved, registered,
    /// blocked or under an unsold TLD), absent only when `reason` is `INVALID_SYNTAX`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ascii: Option<String>,
    /// Whether it can be registered now.
    pub available: bool,
    /// Why not: `REGISTERED`, `VARIANT_REGISTERED`, `RESERVED`, `BLOCKED`, `LOOKALIKE`,
    /// `INVALID_SYNTAX`, `UNSUPPORTED_TLD`, `NOT_SECOND_LEVEL`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Whether premium prices apply.
    pub premium: bool,
    /// What the caller pays per year, for names under a sold TLD: promotions apply to
    /// everyone; a signed-in caller also gets their member level or volume tier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<PriceDto>,
    /// The catalogue's prices, when an adjustment lowers `price`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub list_price: Option<PriceDto>,
    /// Why `price` is below `list_price`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price_note: Option<PriceNoteDto>,
    /// Rule findings (why the syntax is invalid, naming-review hits).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub problems: Vec<ProblemDto>,
    /// The name will be held for a naming review after registration.
    pub needs_review: bool,
    /// Available alternatives for a taken name (single checks only).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub suggestions: Vec<SuggestionDto>,
}

/// Why a price is below the list price.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PriceNoteDto {
    /// `promotion`, `level` or `volume`.
    pub kind: String,
    /// The promotion's label, the level's name, or the tier's threshold (`≥100`).
    pub label: String,
}

impl From<yuming_core::pricing::Adjustment> for PriceNoteDto {
    fn from(a: yuming_core::pricing::Adjustment) -> Self {
        use yuming_core::pricing::Adjustment;
        let label = match &a {
            Adjustment::List => String::new(),
            Adjustment::Promotion { label, .. } => label.clone(),
            Adjustment::Level { name, .. } => name.clone(),
            Adjustment::Volume { min_names, .. } => format!("≥{min_names}"),
        };
        PriceNoteDto {
            kind: a.code().to_owned(),
            label,
        }
    }
}

/// An available alternative to a taken name.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SuggestionDto {
    /// Unicode form.
    pub name: String,
    /// A-label form.
    pub ascii: String,
    /// Whether premium prices apply.
    pub premium: bool,
    /// Prices.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<PriceDto>,
}

impl From<CheckResultDto> for SuggestionDto {
    fn from(c: CheckResultDto) -> Self {
        SuggestionDto {
            ascii: c.ascii.unwrap_or_default(),
            name: c.name,
            premium: c.premium,
            price: c.price,
        }
    }
}

impl From<yuming_app::registrar::domains::Availability> for CheckResultDto {
    fn from(a: yuming_app::registrar::domains::Availability) -> Self {
        let (name, ascii) = match a.name {
            Some((unicode, ascii)) => (unicode, Some(ascii)),
            None => (a.input, None),
        };
        CheckResultDto {
            name,
            ascii,
            available: a.available,
            reason: a.reason.map(str::to_owned),
            premium: a.premium,
            price: a.price.map(|p| PriceDto {
                register: p.register.into(),
                renew: p.renew.into(),
            }),
            list_price: a.list_price.map(|p| PriceDto {
                register: p.register.into(),
                renew: p.renew.into(),
            }),
            price_note: a.adjustment.map(PriceNoteDto::from),
            problems: a.problems.into_iter().map(ProblemDto::from).collect(),
            needs_review: a.needs_review,
            suggestions: Vec::new(),
        }
    }
}

/// `GET /api/v1/domains/check` query.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CheckQuery {
    /// The name, Unicode or A-label.
    pub name: String,
}

/// Bulk check request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulkCheckRequest {
    /// Up to 1000 names.
    pub names: Vec<String>,
}

/// Bulk check answer, in input order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BulkCheckResponse {
    /// One result per input name.
    pub results: Vec<CheckResultDto>,
}

/// Registration request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// The name, Unicode or A-label.
    pub name: String,
    /// Term, 1–10 years.
    pub years: u32,
    /// A registrant contact of the caller's tenant.
    pub registrant_contact_id: String,
    /// Nameservers (absent: the platform's; `[]`: none, the name does not resolve).
    #[serde(default)]
    pub nameservers: Option<Vec<String>>,
    /// Automatic renewal (default off).
    #[serde(default)]
    pub auto_renew: Option<bool>,
    /// A coupon code; its discount is in the receipt's `discount`.
    #[serde(default)]
    pub coupon: Option<String>,
}

/// Renewal request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewRequest {
    /// Years to add, 1–10; the expiry may not pass ten years from today.
    pub years: u32,
    /// A coupon code; its discount is in the receipt's `discount`.
    #[serde(default)]
    pub coupon: Option<String>,
}

/// A domain.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DomainDto {
    /// Unicode form.
    pub name: String,
    /// A-label form.
    pub ascii: String,
    /// `active`, `auto_renew_grace`, `redemption`, `pending_delete` or `released`.
    pub phase: String,
    /// EPP statuses.
    pub statuses: Vec<String>,
    /// RGP grace periods running now.
    pub grace_periods: Vec<String>,
    /// Registration time.
    pub created_at: String,
    /// Expiry.
    pub expires_at: String,
    /// Automatic renewal.
    pub auto_renew: bool,
    /// Nameservers.
    pub nameservers: Vec<String>,
    /// Registrant contact id.
    pub registrant_contact_id: String,
    /// Held for naming review.
    pub needs_review: bool,
    /// Whether the name is published in DNS now.
    pub resolves: bool,
    /// Why the registry holds it: `REALNAME_UNVERIFIED`, `NAMING_REVIEW`.
    pub holds: Vec<String>,
}

impl From<yuming_app::registrar::domains::DomainView> for DomainDto {
    fn from(d: yuming_app::registrar::domains::DomainView) -> Self {
        DomainDto {
            name: d.name,
            ascii: d.ascii,
            phase: d.phase.as_str().to_owned(),
            statuses: d.statuses,
            grace_periods: d.grace_periods,
            created_at: d.created_at.to_rfc3339(),
            expires_at: d.expires_at.to_rfc3339(),
            auto_renew: d.auto_renew,
            nameservers: d.nameservers,
            registrant_contact_id: d.registrant_contact_id,
            needs_review: d.needs_review,
            resolves: d.resolves,
            holds: d.holds.into_iter().map(str::to_owned).collect(),
        }
    }
}

/// A paid operation's result: the domain and what was charged.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DomainReceiptDto {
    /// The domain.
    #[serde(flatten)]
    pub domain: DomainDto,
    /// The order.
    pub order_id: String,
    /// The amount charged.
    pub charged: MoneyDto,
    /// What a coupon took off the price (zero without one).
    pub discount: MoneyDto,
    /// The catalogue's price for the term, before promotions, member level, volume tier
    /// and coupon.
    pub list_price: MoneyDto,
    /// The balance afterwards.
    pub balance: MoneyDto,
}

impl From<yuming_app::registrar::domains::Receipt> for DomainReceiptDto {
    fn from(r: yuming_app::registrar::domains::Receipt) -> Self {
        DomainReceiptDto {
            domain: r.domain.into(),
            order_id: r.order_id,
            charged: r.charged.into(),
            discount: r.discount.into(),
            list_price: r.list.into(),
            balance: r.balance.into(),
        }
    }
}

/// The caller's domains.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DomainList {
    /// Domains ordered by A-label.
    pub domains: Vec<DomainDto>,
}

/// Paging by name.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DomainListQuery {
    /// Return names after this A-label.
    #[serde(default)]
    pub after: Option<String>,
    /// Page size, 1–1000 (default 100).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// A change of nameservers, registrar lock or automatic renewal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DomainUpdateRequest {
    /// New nameservers.
    #[serde(default)]
    pub nameservers: Option<Vec<String>>,
    /// Registrar lock (clientTransfer/Delete/UpdateProhibited).
    #[serde(default)]
    pub locked: Option<bool>,
    /// Automatic renewal.
    #[serde(default)]
    pub auto_renew: Option<bool>,
}

/// A domain's auth code.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuthCodeDto {
    /// The transfer secret.
    pub auth_code: String,
}
