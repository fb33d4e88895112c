//! The audit log listing.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yuming_app::platform::audit::AuditEntryView;

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

impl From<AuditEntryView> for AuditEntryDto {
    fn from(e: AuditEntryView) -> Self {
        AuditEntryDto {
            seq: e.seq,
            at: e.at.to_rfc3339(),
            actor: e.actor,
            action: e.action,
            object_type: e.object_type,
            object_id: e.object_id,
            request_id: e.request_id,
            client_request_id: e.client_request_id,
            before: e.before,
            after: e.after,
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
