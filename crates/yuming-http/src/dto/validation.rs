//! `POST /api/v1/validate`: live form checks.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

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
