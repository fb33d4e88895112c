//! Sign-up, login, the account, TOTP, API keys, sub-accounts and operator-created users.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yuming_app::accounts::AccountView;
use yuming_app::accounts::api_keys::ApiKeyView;
use yuming_app::accounts::passkeys::PasskeyView;
use yuming_core::clock::Timestamp;

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

/// A passkey of the caller's account (a second factor for console logins).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PasskeyDto {
    /// Opaque id.
    pub id: String,
    /// The owner's label.
    pub name: String,
    /// Whether it may be synced between the owner's devices.
    pub synced: bool,
    /// When it was added (RFC 3339).
    pub created_at: String,
    /// The last login with it (RFC 3339).
    pub last_used_at: Option<String>,
}

impl From<PasskeyView> for PasskeyDto {
    fn from(v: PasskeyView) -> Self {
        PasskeyDto {
            id: v.id,
            name: v.name,
            synced: v.synced,
            created_at: v.created_at.to_rfc3339(),
            last_used_at: v.last_used_at.map(Timestamp::to_rfc3339),
        }
    }
}

/// The caller's passkeys.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PasskeyList {
    /// Oldest first.
    pub items: Vec<PasskeyDto>,
}
