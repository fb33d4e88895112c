//! The error envelope and the health answer.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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

/// `GET /readyz` answer: whether this instance should be sent traffic, and why not.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Readiness {
    /// `ready` or `not_ready`.
    pub status: String,
    /// The database answers.
    pub database: bool,
    /// Every migration this release embeds is applied.
    pub migrations: bool,
    /// The DNS snapshot is loaded (true where this instance does not serve DNS).
    pub dns_snapshot: bool,
}

/// `GET /healthz` answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok`.
    pub status: String,
}
