//! Live validation of identifiers, from the same rules the whole product uses.

use axum::Json;
use axum::extract::State;
use yuming_app::AppError;
use yuming_app::platform::validation::{self, ValidationKind, ValidationOptions};

use crate::dto::{ErrorBody, ProblemDto, ValidateRequest, ValidateResponse};
use crate::extract::{ApiJson, Ctx};
use crate::{ApiError, AppState};

/// Validates a resident ID, USCC, organisation code, ICP or PSB number, domain or site name.
#[utoipa::path(post, path = "/api/v1/validate", tag = "validation", request_body = ValidateRequest,
    responses((status = 200, body = ValidateResponse), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn validate(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    ApiJson(body): ApiJson<ValidateRequest>,
) -> Result<Json<ValidateResponse>, ApiError> {
    let kind = ValidationKind::parse(&body.kind).ok_or_else(|| {
        AppError::bad_request(
            "INVALID_TYPE",
            "type must be resident_id, uscc, org_code, icp_number, psb_number, domain, site_name, passport, hk_macau_permit, taiwan_permit or foreign_permanent_resident",
            "type 须为 resident_id、uscc、org_code、icp_number、psb_number、domain、site_name、passport、hk_macau_permit、taiwan_permit 或 foreign_permanent_resident",
        )
        .with_field("type")
    })?;
    let options = body
        .options
        .map(|o| ValidationOptions {
            owner: o.owner,
            unit_name: o.unit_name,
        })
        .unwrap_or_default();
    let report =
        validation::validate_request(&state.app, &ctx, kind, &body.value, &options).await?;
    Ok(Json(ValidateResponse {
        valid: report.valid,
        normalized: report.normalized,
        errors: report.errors.into_iter().map(ProblemDto::from).collect(),
        warnings: report.warnings.into_iter().map(ProblemDto::from).collect(),
        details: report
            .details
            .into_iter()
            .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v)))
            .collect(),
        manual_review_possible: report.manual_review_possible,
    }))
}
