//! Wire types of the JSON API. Requests reject unknown fields; times are RFC 3339 strings.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yuming_app::accounts::AccountView;
use yuming_app::accounts::api_keys::ApiKeyView;
use yuming_app::registrar::contacts::{ContactDocument, ContactView, ReviewEntry};
use yuming_core::clock::Timestamp;
use yuming_store::StoredAuditEntry;

/// The error envelope of every 4xx/5xx response.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorDetail,
}

/// One error.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable UPPER_SNAKE code.
    #[schema(example = "INVALID_EMAIL")]
    pub code: String,
    /// English message.
    pub message: String,
    /// Chinese message.
    pub message_zh: String,
    /// The offending field, as a dotted path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// `GET /healthz` answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
}

/// Sign-up request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignupRequest {
    /// E-mail, also the login name.
    pub email: String,
    /// At least 8 characters.
    pub password: String,
    /// Name shown in the console.
    pub display_name: String,
}

/// The answer to a sign-up or a request for a new verification link: the same whether or
/// not the address already has an account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VerificationSentResponse {
    /// Always `verification_sent`.
    pub status: String,
    /// The address, normalised, that the link was sent to (if it may have an account).
    pub email: String,
}

/// Verifies an e-mail address with the token from the mailed link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyEmailRequest {
    /// The `token` parameter of the link.
    pub token: String,
}

/// Asks for a new verification link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResendVerificationRequest {
    /// The address signed up with.
    pub email: String,
}

/// Login request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// E-mail.
    pub email: String,
    /// Password.
    pub password: String,
    /// Six-digit TOTP code, when enrolled.
    #[serde(default)]
    pub totp: Option<String>,
}

/// A new login session.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LoginResponse {
    /// Bearer token for `Authorization: Bearer <token>`.
    pub token: String,
    /// Expiry, RFC 3339.
    pub expires_at: String,
    /// The account.
    pub account: AccountDto,
}

/// An account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccountDto {
    /// Opaque id.
    pub id: String,
    /// E-mail.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// `admin`, `reviewer`, `support`, `finance` or `customer`.
    pub role: String,
    /// The tenant the account acts in.
    pub tenant_id: String,
    /// The parent account of a sub-account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<String>,
    /// Rights held, e.g. `domains:read`.
    pub rights: Vec<String>,
    /// `active` or `disabled`.
    pub status: String,
    /// Whether login needs a TOTP code.
    pub totp_enabled: bool,
    /// Whether the e-mail address is verified; until it is, the account cannot pay or
    /// register (`EMAIL_NOT_VERIFIED`).
    pub email_verified: bool,
    /// Creation time, RFC 3339.
    pub created_at: String,
}

impl From<AccountView> for AccountDto {
    fn from(view: AccountView) -> Self {
        AccountDto {
            id: view.id,
            email: view.email,
            display_name: view.display_name,
            role: view.role.as_str().to_owned(),
            tenant_id: view.tenant_id,
            parent_id: view.parent_id,
            rights: view.rights.iter().map(|r| r.as_str().to_owned()).collect(),
            status: view.status,
            totp_enabled: view.totp_enabled,
            email_verified: view.email_verified,
            created_at: view.created_at.to_rfc3339(),
        }
    }
}

/// Password change request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeRequest {
    /// The current password.
    pub current_password: String,
    /// The new password.
    pub new_password: String,
}

/// A TOTP secret being enrolled (shown once).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TotpSetupResponse {
    /// Base32 secret.
    pub secret: String,
    /// `otpauth://` URL for a QR code.
    pub otpauth_url: String,
}

/// A TOTP code.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TotpCodeRequest {
    /// Six digits from the authenticator.
    pub code: String,
}

/// API key creation request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyCreateRequest {
    /// A label, 1–64 characters.
    pub name: String,
    /// What the key may do: `read`, `domains`, `dns`, `billing`, `filing`, `webhooks`,
    /// `staff` (each only within the account's own rights). Default `["read"]`. Password,
    /// TOTP, API-key and session management are never available to a key.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// Source networks the key may be used from (`203.0.113.0/24`, `2001:db8::/48`, single
    /// addresses; at most 32). Empty or absent: any source.
    #[serde(default)]
    pub allowed_cidrs: Vec<String>,
    /// Calls per minute, 1–1 000 000 (default 600).
    #[serde(default)]
    pub per_minute: Option<i64>,
    /// Calls per day, 1–1 000 000 000 and at least `per_minute` (default 100 000).
    #[serde(default)]
    pub per_day: Option<i64>,
}

/// An API key (without its secret).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyDto {
    /// Key id for `X-Yuming-Key`.
    pub id: String,
    /// Label.
    pub name: String,
    /// The account whose rights the key carries.
    pub account_id: String,
    /// Scopes: which of the account's rights the key carries.
    pub scopes: Vec<String>,
    /// Source networks it may be used from; empty: any.
    pub allowed_cidrs: Vec<String>,
    /// Call quotas and their use in the current windows.
    pub quota: ApiKeyQuotaDto,
    /// Creation time.
    pub created_at: String,
    /// Last use.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<String>,
    /// Revocation time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
}

/// An API key's call quotas and their use (fixed UTC minute and day windows). A call over a
/// quota is 429 `API_KEY_QUOTA_EXCEEDED` with `Retry-After`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyQuotaDto {
    /// Calls allowed per minute.
    pub per_minute: i64,
    /// Calls allowed per day.
    pub per_day: i64,
    /// Calls counted in the current minute.
    pub used_this_minute: i64,
    /// When the minute's count starts again.
    pub minute_resets_at: String,
    /// Calls counted today (UTC).
    pub used_today: i64,
    /// When the day's count starts again.
    pub day_resets_at: String,
}

impl From<ApiKeyView> for ApiKeyDto {
    fn from(view: ApiKeyView) -> Self {
        ApiKeyDto {
            id: view.id,
            name: view.name,
            account_id: view.account_id,
            scopes: view.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            allowed_cidrs: view.allowed_cidrs,
            quota: ApiKeyQuotaDto {
                per_minute: view.quota.per_minute,
                per_day: view.quota.per_day,
                used_this_minute: view.usage.minute,
                minute_resets_at: view.usage.minute_resets_at.to_rfc3339(),
                used_today: view.usage.day,
                day_resets_at: view.usage.day_resets_at.to_rfc3339(),
            },
            created_at: view.created_at.to_rfc3339(),
            last_used_at: view.last_used_at.map(Timestamp::to_rfc3339),
            revoked_at: view.revoked_at.map(Timestamp::to_rfc3339),
        }
    }
}

/// A new API key with its secret, shown this once.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyCreated {
    /// The key.
    #[serde(flatten)]
    pub key: ApiKeyDto,
    /// The signing secret. It is not stored and cannot be shown again.
    pub secret: String,
}

/// The caller's API keys.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ApiKeyList {
    /// Keys, newest first.
    pub api_keys: Vec<ApiKeyDto>,
}

/// Sub-account creation request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubAccountCreateRequest {
    /// E-mail.
    pub email: String,
    /// Password.
    pub password: String,
    /// Display name.
    pub display_name: String,
    /// Rights to grant, a subset of the parent's, e.g. `["domains:read", "dns:manage"]`.
    pub rights: Vec<String>,
}

/// Sub-account change request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubAccountUpdateRequest {
    /// New rights (replaces the old set).
    #[serde(default)]
    pub rights: Option<Vec<String>>,
    /// Disable (`true`) or re-enable (`false`).
    #[serde(default)]
    pub disabled: Option<bool>,
}

/// Sub-accounts of the caller's tenant.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SubAccountList {
    /// Sub-accounts, oldest first.
    pub sub_accounts: Vec<AccountDto>,
}

/// Staff account creation (admin only).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserCreateRequest {
    /// E-mail.
    pub email: String,
    /// Password.
    pub password: String,
    /// Display name.
    pub display_name: String,
    /// `admin`, `reviewer`, `support`, `finance` or `customer`.
    pub role: String,
}

/// Audit listing query.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Return entries with a sequence number below this (the previous page's cursor).
    #[serde(default)]
    pub before_seq: Option<i64>,
    /// Page size, 1–500 (default 50).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// One audit entry.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEntryDto {
    /// Position in the hash chain.
    pub seq: i64,
    /// Time, RFC 3339.
    pub at: String,
    /// Acting account.
    pub actor: String,
    /// Action, e.g. `api_key.create`.
    pub action: String,
    /// Object kind.
    pub object_type: String,
    /// Object id.
    pub object_id: String,
    /// Our request id (the `X-Request-Id` of our response).
    pub request_id: String,
    /// The `X-Request-Id` the client sent, if it sent one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client_request_id: String,
    /// Summary before (JSON text, may be empty).
    pub before: String,
    /// Summary after (JSON text, may be empty).
    pub after: String,
    /// This entry's hash.
    pub hash: String,
}

impl From<StoredAuditEntry> for AuditEntryDto {
    fn from(e: StoredAuditEntry) -> Self {
        AuditEntryDto {
            seq: e.seq,
            at: Timestamp(e.at).to_rfc3339(),
            actor: e.actor,
            action: e.action,
            object_type: e.object_type,
            object_id: e.object_id,
            request_id: e.request_id,
            client_request_id: e.client_request_id,
            before: e.before_summary,
            after: e.after_summary,
            hash: e.hash,
        }
    }
}

/// A page of audit entries.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditList {
    /// Entries, newest first.
    pub entries: Vec<AuditEntryDto>,
    /// Cursor for the next page, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_before_seq: Option<i64>,
}

/// `POST /api/v1/validate` request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateRequest {
    /// `resident_id`, `uscc`, `org_code`, `icp_number`, `psb_number`, `domain` or `site_name`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The value to check.
    pub value: String,
    /// Context for some types.
    #[serde(default)]
    pub options: Option<ValidateOptions>,
}

/// Context for `site_name` validation.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateOptions {
    /// `personal`, `unit` (default) or `national_unit`.
    #[serde(default)]
    pub owner: Option<String>,
    /// The unit's registered name.
    #[serde(default)]
    pub unit_name: Option<String>,
}

/// One finding.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProblemDto {
    /// Stable code, e.g. `CHECKSUM_MISMATCH`.
    pub code: String,
    /// English message.
    pub message: String,
    /// Chinese message.
    pub message_zh: String,
}

impl From<yuming_core::rules::Problem> for ProblemDto {
    fn from(p: yuming_core::rules::Problem) -> Self {
        ProblemDto {
            code: p.code.to_owned(),
            message: p.message,
            message_zh: p.message_zh,
        }
    }
}

/// `POST /api/v1/validate` answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ValidateResponse {
    /// Whether the value passes (warnings allowed).
    pub valid: bool,
    /// The normalised value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normalized: Option<String>,
    /// Blocking problems.
    pub errors: Vec<ProblemDto>,
    /// Non-blocking findings.
    pub warnings: Vec<ProblemDto>,
    /// Facts read from the value, e.g. `birth_date`, `province`, `entity_type`, `ascii`.
    #[schema(value_type = Object)]
    pub details: serde_json::Map<String, serde_json::Value>,
    /// Only a check character disagrees: a reviewer may still approve it.
    pub manual_review_possible: bool,
}

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
    /// Prices, for names under a sold TLD.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub price: Option<PriceDto>,
    /// Rule findings (why the syntax is invalid, naming-review hits).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub problems: Vec<ProblemDto>,
    /// The name will be held for a naming review after registration.
    pub needs_review: bool,
    /// Available alternatives for a taken name (single checks only).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub suggestions: Vec<SuggestionDto>,
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
}

/// Renewal request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewRequest {
    /// Years to add, 1–10; the expiry may not pass ten years from today.
    pub years: u32,
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
    /// The balance afterwards.
    pub balance: MoneyDto,
}

impl From<yuming_app::registrar::domains::Receipt> for DomainReceiptDto {
    fn from(r: yuming_app::registrar::domains::Receipt) -> Self {
        DomainReceiptDto {
            domain: r.domain.into(),
            order_id: r.order_id,
            charged: r.charged.into(),
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

/// A balance.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BalanceDto {
    /// What may be spent.
    pub balance: MoneyDto,
    /// How far below zero it may go.
    pub credit_limit: MoneyDto,
}

impl From<yuming_app::billing::BalanceView> for BalanceDto {
    fn from(b: yuming_app::billing::BalanceView) -> Self {
        BalanceDto {
            balance: b.balance.into(),
            credit_limit: b.credit_limit.into(),
        }
    }
}

/// One balance movement.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LedgerLineDto {
    /// Posting id.
    pub id: String,
    /// Balanced transaction id.
    pub transaction_id: String,
    /// Effect on the balance (negative: spent).
    pub amount: MoneyDto,
    /// The order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_id: Option<String>,
    /// Description.
    pub memo: String,
    /// Time.
    pub at: String,
}

/// The balance movements, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct LedgerDto {
    /// Movements.
    pub entries: Vec<LedgerLineDto>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Paging by time.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TimePageQuery {
    /// The `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Entries before this unix time (when no cursor is given).
    #[serde(default)]
    pub before: Option<i64>,
    /// Page size, 1–500 (default 50).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// An order.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderDto {
    /// Order id.
    pub id: String,
    /// `register`, `renew`, `topup`.
    pub kind: String,
    /// The domain (A-label).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Years.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub years: Option<i64>,
    /// Amount.
    pub amount: MoneyDto,
    /// `completed`.
    pub status: String,
    /// Time.
    pub created_at: String,
}

/// Order history.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OrderList {
    /// Orders, newest first.
    pub orders: Vec<OrderDto>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A credit to a customer's balance (finance staff).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditRequest {
    /// Minor units, positive.
    pub amount: i64,
    /// ISO 4217 code (default CNY).
    #[serde(default)]
    pub currency: Option<String>,
    /// Reference, e.g. a bank transfer number.
    #[serde(default)]
    pub note: Option<String>,
}

/// `POST /api/v1/contacts` request: a registrant contact with its identity document. Not
/// `Debug`: it carries the plain document number and street.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactCreateRequest {
    /// `person` or `organization`.
    #[schema(example = "person")]
    pub kind: String,
    /// Holder name as on the document; Chinese for mainland documents.
    #[schema(example = "张三")]
    pub name: String,
    /// `resident_id`, `passport`, `hk_macau_permit`, `taiwan_permit`,
    /// `foreign_permanent_resident` (persons) or `uscc` (organizations).
    #[schema(example = "resident_id")]
    pub id_type: String,
    /// The document number.
    #[schema(example = "11010519491231002X")]
    pub id_number: String,
    /// E-mail.
    pub email: String,
    /// `+86.13800138000` (EPP form) or an 11-digit mainland mobile number.
    #[schema(example = "+86.13800138000")]
    pub phone: String,
    /// Postal address.
    pub address: AddressRequest,
}

/// A postal address.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressRequest {
    /// ISO 3166-1 alpha-2 code.
    #[schema(example = "CN")]
    pub country: String,
    /// Province, state or region (1–64 characters).
    pub province: String,
    /// City (1–64 characters).
    pub city: String,
    /// Street address (1–200 characters); never shown again outside review.
    pub street: String,
    /// Postal code: 6 digits in China.
    #[serde(default)]
    pub postal_code: Option<String>,
}

/// The shown part of a contact's address.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RegionDto {
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
    /// Province.
    pub province: String,
    /// City.
    pub city: String,
}

/// Real-name verification state.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VerificationDto {
    /// `pending`, `verified` or `rejected`.
    #[schema(example = "pending")]
    pub status: String,
    /// The reviewer's reason (always present when rejected).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The document broke only a check-character rule; a reviewer looks at it.
    pub manual_review: bool,
    /// When the reviewer decided, RFC 3339.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewed_at: Option<String>,
}

/// A registrant contact; the document number is masked and the street is never shown.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactDto {
    /// Opaque id, `con_…`.
    pub id: String,
    /// `person` or `organization`.
    pub kind: String,
    /// Holder name.
    pub name: String,
    /// Document type.
    pub id_type: String,
    /// The document number with the middle hidden, e.g. `1101**********002X`.
    #[schema(example = "1101**********002X")]
    pub id_number_masked: String,
    /// E-mail.
    pub email: String,
    /// Phone, EPP form.
    pub phone: String,
    /// Country, province and city.
    pub address: RegionDto,
    /// Real-name verification.
    pub verification: VerificationDto,
    /// Creation time, RFC 3339.
    pub created_at: String,
}

impl From<ContactView> for ContactDto {
    fn from(view: ContactView) -> Self {
        ContactDto {
            id: view.id,
            kind: view.kind.as_str().to_owned(),
            name: view.name,
            id_type: view.id_type.as_str().to_owned(),
            id_number_masked: view.id_number_masked,
            email: view.email,
            phone: view.phone,
            address: RegionDto {
                country: view.region.country,
                province: view.region.province,
                city: view.region.city,
            },
            verification: VerificationDto {
                status: view.verification.status.as_str().to_owned(),
                reason: view.verification.reason,
                manual_review: view.verification.manual_review,
                reviewed_at: view.verification.reviewed_at.map(Timestamp::to_rfc3339),
            },
            created_at: view.created_at.to_rfc3339(),
        }
    }
}

/// Paging of contact listings.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ContactListQuery {
    /// The previous page's `next_cursor`.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Page size, 1–200 (default 50).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// The caller's contacts.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ContactList {
    /// Contacts, newest first.
    pub contacts: Vec<ContactDto>,
    /// Cursor of the next page, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A contact as reviewers see it in the queue: still masked, with its owner.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReviewContactDto {
    /// The contact.
    #[serde(flatten)]
    pub contact: ContactDto,
    /// The owning tenant.
    pub owner_id: String,
    /// For organizations, the filing subject type the USCC suggests, e.g. `ENTERPRISE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_type_hint: Option<String>,
}

impl From<ContactView> for ReviewContactDto {
    fn from(view: ContactView) -> Self {
        let owner_id = view.owner_id.clone();
        let entity_type_hint = view.entity_type_hint.clone();
        ReviewContactDto {
            contact: view.into(),
            owner_id,
            entity_type_hint,
        }
    }
}

/// Contacts waiting for real-name review.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReviewContactList {
    /// Contacts, oldest first.
    pub contacts: Vec<ReviewContactDto>,
    /// Cursor of the next page, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// A reviewer's decision.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewDecisionRequest {
    /// `approve` or `reject`. Required; it is checked after the contact is found, so that
    /// another tenant's contact answers 404 whatever the body.
    #[serde(default)]
    #[schema(example = "reject")]
    pub decision: Option<String>,
    /// Why (1–500 characters); required to reject.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A full postal address (review only).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct FullAddressDto {
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
    /// Province.
    pub province: String,
    /// City.
    pub city: String,
    /// Street address.
    pub street: String,
    /// Postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
}

/// One verification status change.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReviewHistoryDto {
    /// The status before; absent for the submission.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// The status after.
    pub to: String,
    /// The reviewer's reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The acting account.
    pub actor: String,
    /// Time, RFC 3339.
    pub at: String,
}

impl From<ReviewEntry> for ReviewHistoryDto {
    fn from(entry: ReviewEntry) -> Self {
        ReviewHistoryDto {
            from: entry.from.map(|status| status.as_str().to_owned()),
            to: entry.to.as_str().to_owned(),
            reason: entry.reason,
            actor: entry.actor,
            at: entry.at.to_rfc3339(),
        }
    }
}

/// A contact's full document, for the reviewer deciding on it. Not `Debug`: it carries the
/// plain document number and street.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ContactDocumentDto {
    /// The contact.
    pub contact: ReviewContactDto,
    /// The document number, unmasked.
    pub id_number: String,
    /// The full address.
    pub address: FullAddressDto,
    /// Every status change, oldest first.
    pub history: Vec<ReviewHistoryDto>,
}

impl From<ContactDocument> for ContactDocumentDto {
    fn from(document: ContactDocument) -> Self {
        ContactDocumentDto {
            contact: document.contact.into(),
            id_number: document.id_number,
            address: FullAddressDto {
                country: document.address.country,
                province: document.address.province,
                city: document.address.city,
                street: document.address.street,
                postal_code: document.address.postal_code,
            },
            history: document
                .history
                .into_iter()
                .map(ReviewHistoryDto::from)
                .collect(),
        }
    }
}

/// Change of registrant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegistrantChangeRequest {
    /// A contact of the caller's tenant whose real name is verified.
    pub contact_id: String,
}

/// The outcome of a naming-review decision.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NamingDecisionDto {
    /// Whether the name was approved.
    pub approved: bool,
    /// The domain after approval; absent after a rejection (deleted and refunded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<DomainDto>,
}

/// A credit limit.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreditLimitRequest {
    /// How far below zero the balance may go, minor units, ≥ 0.
    pub amount: i64,
    /// ISO 4217 code (default CNY).
    #[serde(default)]
    pub currency: Option<String>,
}

/// A DNS record to create or the new content of one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DnsRecordRequest {
    /// A, AAAA, CNAME, MX, TXT, NS, CAA or SRV.
    #[serde(rename = "type")]
    pub rtype: String,
    /// Owner relative to the zone (`@` for the apex, `www`, Unicode allowed) or absolute.
    pub name: String,
    /// Address, target host, text, `flags tag "value"` (CAA) or `weight port target` (SRV).
    pub value: String,
    /// Seconds; the platform default (600) when absent.
    #[serde(default)]
    pub ttl: Option<i64>,
    /// MX preference or SRV priority (required for those, refused for others).
    #[serde(default)]
    pub priority: Option<i64>,
}

/// A DNS record of a hosted zone.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DnsRecordDto {
    /// Opaque id.
    pub id: String,
    /// Type.
    #[serde(rename = "type")]
    pub rtype: String,
    /// Owner relative to the zone, A-labels, `@` for the apex.
    pub name: String,
    /// Canonical value.
    pub value: String,
    /// Seconds.
    pub ttl: u32,
    /// MX/SRV priority.
    pub priority: Option<u16>,
}

impl From<yuming_app::dns::RecordView> for DnsRecordDto {
    fn from(v: yuming_app::dns::RecordView) -> Self {
        DnsRecordDto {
            id: v.id,
            rtype: v.record.rtype.as_str().to_owned(),
            name: v.record.name,
            value: v.record.value,
            ttl: v.record.ttl,
            priority: v.record.priority,
        }
    }
}

/// A hosted zone and its records.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DnsZoneDto {
    /// Zone name (A-label).
    pub zone: String,
    /// SOA serial; increases on every change.
    pub serial: u32,
    /// Kept from resolving until the site is filed (mainland mode).
    pub mainland_hold: bool,
    /// Records by owner then type.
    pub records: Vec<DnsRecordDto>,
}

impl From<yuming_app::dns::ZoneView> for DnsZoneDto {
    fn from(v: yuming_app::dns::ZoneView) -> Self {
        DnsZoneDto {
            zone: v.name,
            serial: v.serial,
            mainland_hold: v.mainland_hold,
            records: v.records.into_iter().map(DnsRecordDto::from).collect(),
        }
    }
}

/// A zone in RFC 1035 master-file format.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ZoneFileDto {
    /// The master file. SOA and apex NS are the platform's: exported, skipped on import.
    pub zone_file: String,
    /// On import: `replace` (default) makes the file the zone; `merge` adds its records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

/// An in-app notice.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NotificationDto {
    /// Id.
    pub id: String,
    /// Notice kind, e.g. `expiry_reminder`.
    pub kind: String,
    /// Subject in the account's language.
    pub subject: String,
    /// Text in the account's language.
    pub body: String,
    /// When it was sent (RFC 3339).
    pub created_at: String,
    /// When it was read (RFC 3339), if read.
    pub read_at: Option<String>,
}

/// The caller's in-app notices.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NotificationList {
    /// Newest first.
    pub notifications: Vec<NotificationDto>,
    /// Unread notices in total.
    pub unread: i64,
}

/// Unread in-app notices.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct UnreadCount {
    /// Count.
    pub unread: i64,
}

/// The channels of one notice kind.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NotificationPreferenceDto {
    /// Notice kind.
    pub kind: String,
    /// `email`, `in_app`; empty turns the kind off.
    pub channels: Vec<String>,
}

/// Every notice kind with its channels.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct NotificationPreferences {
    /// One per kind.
    pub preferences: Vec<NotificationPreferenceDto>,
}

/// Channels to use for a notice kind.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NotificationPreferenceRequest {
    /// `email`, `in_app`; empty turns the kind off.
    pub channels: Vec<String>,
}

/// A registrant's consent to disclosure in WHOIS and RDAP.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisclosureDto {
    /// `true`: name, e-mail and phone are shown; `false` (default): redacted.
    pub disclose: bool,
}
