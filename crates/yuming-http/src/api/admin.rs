//! Platform administration.

use axum::Json;
use axum::extract::State;
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
