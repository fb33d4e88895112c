//! Platform administration.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use yuming_app::AppError;
use yuming_app::accounts::{self, NewAccountInput};
use yuming_core::access::Role;

use crate::dto::{AccountDto, ErrorBody, UserCreateRequest};
use crate::extract::{ApiJson, Auth, Ctx};
use crate::{ApiError, AppState};

/// Creates an account of any role (admin only).
#[utoipa::path(post, path = "/api/v1/admin/users", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    request_body = UserCreateRequest,
    responses((status = 201, body = AccountDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn create_user(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<UserCreateRequest>,
) -> Result<(StatusCode, Json<AccountDto>), ApiError> {
    let role = Role::parse(&body.role).ok_or_else(|| {
        AppError::bad_request(
            "INVALID_ROLE",
            "role must be admin, reviewer, support, finance or customer",
            "角色须为 admin、reviewer、support、finance 或 customer",
        )
        .with_field("role")
    })?;
    let input = NewAccountInput {
        email: body.email,
        password: body.password,
        display_name: body.display_name,
    };
    let account = accounts::create_user(&state.app, &ctx, &actor, input, role).await?;
    Ok((StatusCode::CREATED, Json(account.into())))
}

/// A setting that still has a value meant only for trying the platform out.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SettingWarningDto {
    /// Stable code, e.g. `DEFAULT_NAMESERVERS`.
    pub code: String,
    /// The configuration key to set, e.g. `registrar.default_nameservers`.
    pub setting: String,
    /// What is wrong and what to set.
    pub message: String,
    /// The same in Chinese.
    pub message_zh: String,
}

/// The platform's state for the staff dashboard.
#[derive(Debug, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SystemStatusDto {
    /// Settings to change before customers rely on this installation (empty when none).
    pub warnings: Vec<SettingWarningDto>,
}

/// The platform's state: settings still on their try-out values (admin only).
#[utoipa::path(get, path = "/api/v1/admin/system", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = SystemStatusDto), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn system_status(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<SystemStatusDto>, ApiError> {
    let status = yuming_app::ops::system::status(&state.app, &actor)?;
    Ok(Json(SystemStatusDto {
        warnings: status
            .warnings
            .into_iter()
            .map(|w| SettingWarningDto {
                code: w.code.to_owned(),
                setting: w.setting.to_owned(),
                message: w.message,
                message_zh: w.message_zh,
            })
            .collect(),
    }))
}

/// An action support takes for a customer who asked.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssistRequest {
    /// `unlock` (lift the lock failed logins set) or `resend_verification` (a fresh e-mail
    /// verification link to the address on file).
    pub action: String,
    /// Why: the ticket or call this answers (1 to 200 characters); audited.
    pub reason: String,
}

/// Acts for a customer who asked, through one explicit action (support and admins; audited as
/// `customer.assist` with the reason). Nothing to do (not locked, already verified) is 409
/// `NOTHING_TO_DO`.
#[utoipa::path(post, path = "/api/v1/admin/accounts/{id}/assist", tag = "admin", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "the customer account id")), request_body = AssistRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn assist(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AssistRequest>,
) -> Result<StatusCode, ApiError> {
    use yuming_app::ops::support::{self, Assist};
    let action = Assist::parse(&body.action).ok_or_else(|| {
        AppError::bad_request(
            "UNKNOWN_ACTION",
            "action must be unlock or resend_verification",
            "操作须为 unlock 或 resend_verification",
        )
        .with_field("action")
    })?;
    support::assist(&state.app, &ctx, &actor, &id, action, &body.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}
