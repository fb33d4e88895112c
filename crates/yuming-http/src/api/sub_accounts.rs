//! Enterprise sub-accounts.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use yuming_app::accounts::{self, NewAccountInput, NewSubAccountInput};

use crate::dto::{
    AccountDto, ErrorBody, SubAccountCreateRequest, SubAccountList, SubAccountUpdateRequest,
};
use crate::extract::{ApiJson, Auth, Ctx};
use crate::{ApiError, AppState};

/// Creates a sub-account with a subset of the caller's rights.
#[utoipa::path(post, path = "/api/v1/sub-accounts", tag = "sub-accounts", security(("bearer" = []), ("api_key" = [])),
    request_body = SubAccountCreateRequest,
    responses((status = 201, body = AccountDto), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the e-mail belongs to an account")))]
pub async fn create(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<SubAccountCreateRequest>,
) -> Result<(StatusCode, Json<AccountDto>), ApiError> {
    let input = NewSubAccountInput {
        account: NewAccountInput {
            email: body.email,
            password: body.password,
            display_name: body.display_name,
        },
        rights: body.rights,
    };
    let account = accounts::create_sub_account(&state.app, &ctx, &actor, input).await?;
    Ok((StatusCode::CREATED, Json(account.into())))
}

/// Lists the tenant's sub-accounts.
#[utoipa::path(get, path = "/api/v1/sub-accounts", tag = "sub-accounts", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = SubAccountList), (status = 403, body = ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<SubAccountList>, ApiError> {
    let accounts = accounts::list_sub_accounts(&state.app, &actor).await?;
    Ok(Json(SubAccountList {
        sub_accounts: accounts.into_iter().map(AccountDto::from).collect(),
    }))
}

/// Changes a sub-account's rights or disables it.
#[utoipa::path(put, path = "/api/v1/sub-accounts/{id}", tag = "sub-accounts", security(("bearer" = []), ("api_key" = [])),
    params(("id" = String, Path, description = "sub-account id")), request_body = SubAccountUpdateRequest,
    responses((status = 200, body = AccountDto), (status = 404, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SubAccountUpdateRequest>,
) -> Result<Json<AccountDto>, ApiError> {
    let account =
        accounts::update_sub_account(&state.app, &ctx, &actor, &id, body.rights, body.disabled)
            .await?;
    Ok(Json(account.into()))
}
