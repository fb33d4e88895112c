//! Sign-up, login, logout, the caller's account, password change and TOTP.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use yuming_app::accounts::verification;
use yuming_app::accounts::{self, LoginInput, NewAccountInput, passkeys};

use crate::dto::{
    AccountDto, ErrorBody, LoginRequest, LoginResponse, PasskeyList, PasswordChangeRequest,
    ResendVerificationRequest, SignupRequest, TotpCodeRequest, TotpSetupResponse,
    VerificationSentResponse, VerifyEmailRequest,
};
use crate::extract::{ApiJson, Auth, Ctx};
use crate::{ApiError, AppState};

fn verification_sent(email: &str) -> (StatusCode, Json<VerificationSentResponse>) {
    let email = yuming_core::credentials::Email::parse(email)
        .map(|e| e.as_str().to_owned())
        .unwrap_or_else(|_| email.trim().to_owned());
    (
        StatusCode::ACCEPTED,
        Json(VerificationSentResponse {
            status: "verification_sent".into(),
            email,
        }),
    )
}

/// Signs up a customer account. The answer is the same whether or not the address already
/// has an account: a new account gets a verification link by e-mail, an existing one a note
/// that someone tried to sign up with it.
#[utoipa::path(post, path = "/api/v1/auth/signup", tag = "auth", request_body = SignupRequest,
    responses((status = 202, body = VerificationSentResponse), (status = 400, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn signup(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    ApiJson(body): ApiJson<SignupRequest>,
) -> Result<(StatusCode, Json<VerificationSentResponse>), ApiError> {
    let input = NewAccountInput {
        email: body.email,
        password: body.password,
        display_name: body.display_name,
    };
    let email = input.email.clone();
    accounts::signup(&state.app, &ctx, input).await?;
    Ok(verification_sent(&email))
}

/// Verifies the account's e-mail address with the token of the mailed link.
#[utoipa::path(post, path = "/api/v1/auth/verify-email", tag = "auth",
    request_body = VerifyEmailRequest,
    responses((status = 204), (status = 400, body = ErrorBody)))]
pub async fn verify_email(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    ApiJson(body): ApiJson<VerifyEmailRequest>,
) -> Result<StatusCode, ApiError> {
    verification::verify_email(&state.app, &ctx, &body.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Mails a new verification link when the address has an account still waiting for one;
/// the answer is the same in every case.
#[utoipa::path(post, path = "/api/v1/auth/resend-verification", tag = "auth",
    request_body = ResendVerificationRequest,
    responses((status = 202, body = VerificationSentResponse), (status = 400, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn resend_verification(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    ApiJson(body): ApiJson<ResendVerificationRequest>,
) -> Result<(StatusCode, Json<VerificationSentResponse>), ApiError> {
    verification::resend(&state.app, &ctx, &body.email).await?;
    Ok(verification_sent(&body.email))
}

/// Logs in and returns a bearer token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<LoginResponse>, ApiError> {
    let input = LoginInput {
        email: body.email,
        password: body.password,
        totp: body.totp,
    };
    let session = accounts::login(&state.app, &ctx, input).await?;
    Ok(Json(LoginResponse {
        token: session.token,
        expires_at: session.expires_at.to_rfc3339(),
        account: session.account.into(),
    }))
}

/// Ends the current session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
) -> Result<StatusCode, ApiError> {
    accounts::logout(&state.app, &ctx, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's account.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = []), ("api_key" = [])),
    responses((status = 200, body = AccountDto), (status = 401, body = ErrorBody)))]
pub async fn me(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<AccountDto>, ApiError> {
    Ok(Json(accounts::me(&state.app, &actor).await?.into()))
}

/// Changes the password; every other session is revoked.
#[utoipa::path(post, path = "/api/v1/auth/password", tag = "auth", security(("bearer" = [])),
    request_body = PasswordChangeRequest,
    responses((status = 204), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<PasswordChangeRequest>,
) -> Result<StatusCode, ApiError> {
    accounts::change_password(
        &state.app,
        &ctx,
        &actor,
        &body.current_password,
        &body.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts TOTP enrolment and returns the secret once.
#[utoipa::path(post, path = "/api/v1/auth/totp/setup", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = TotpSetupResponse), (status = 409, body = ErrorBody)))]
pub async fn totp_setup(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
) -> Result<Json<TotpSetupResponse>, ApiError> {
    let enrolment = accounts::totp_begin(&state.app, &ctx, &actor).await?;
    Ok(Json(TotpSetupResponse {
        secret: enrolment.secret,
        otpauth_url: enrolment.otpauth_url,
    }))
}

/// Confirms TOTP enrolment with a current code; from then on login needs a code.
#[utoipa::path(post, path = "/api/v1/auth/totp/enable", tag = "auth", security(("bearer" = [])),
    request_body = TotpCodeRequest, responses((status = 204), (status = 400, body = ErrorBody)))]
pub async fn totp_enable(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<TotpCodeRequest>,
) -> Result<StatusCode, ApiError> {
    accounts::totp_set_enabled(&state.app, &ctx, &actor, &body.code, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Turns TOTP off, confirmed with a current code.
#[utoipa::path(post, path = "/api/v1/auth/totp/disable", tag = "auth", security(("bearer" = [])),
    request_body = TotpCodeRequest, responses((status = 204), (status = 400, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "TOTP is not enabled")))]
pub async fn totp_disable(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    ApiJson(body): ApiJson<TotpCodeRequest>,
) -> Result<StatusCode, ApiError> {
    accounts::totp_set_enabled(&state.app, &ctx, &actor, &body.code, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The caller's passkeys. They are added in the console, where the browser's authenticator
/// answers the WebAuthn ceremony; an account with one logs in to the console with it after
/// the password (a login here answers `SECOND_FACTOR_REQUIRED` unless a TOTP code is given).
#[utoipa::path(get, path = "/api/v1/me/passkeys", tag = "auth", security(("bearer" = [])),
    description = "Only at a login session: a signed request is 403 `INTERACTIVE_SESSION_REQUIRED`.",
    responses((status = 200, body = PasskeyList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody)))]
pub async fn passkeys_list(
    State(state): State<AppState>,
    Auth(actor): Auth,
) -> Result<Json<PasskeyList>, ApiError> {
    let items = passkeys::list(&state.app, &actor).await?;
    Ok(Json(PasskeyList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// Removes one of the caller's passkeys.
#[utoipa::path(delete, path = "/api/v1/me/passkeys/{id}", tag = "auth", security(("bearer" = [])),
    description = "Only at a login session: a signed request is 403 `INTERACTIVE_SESSION_REQUIRED`.",
    params(("id" = String, Path, description = "passkey id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn passkeys_remove(
    State(state): State<AppState>,
    Ctx(ctx): Ctx,
    Auth(actor): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    passkeys::remove(&state.app, &ctx, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
