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
