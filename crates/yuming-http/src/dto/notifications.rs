//! In-app notices, notification preferences and disclosure consent.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
