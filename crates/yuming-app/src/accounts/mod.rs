//! Accounts and authentication: sign-up, login (with lockout and optional TOTP), sessions,
//! password change, operator-created users and enterprise sub-accounts.

pub mod api_keys;
pub(crate) mod attempts;
pub mod password;
pub mod verification;

use serde_json::json;
use yuming_core::access::{Actor, AuthMethod, Right, RightSet, Role};
use yuming_core::clock::Timestamp;
use yuming_core::credentials::{Email, check_password, parse_display_name};
use yuming_core::totp;
use yuming_store::{AccountRow, NewAccount, SessionRow, Tx};

use crate::platform::audit::{self, Change};
use crate::platform::crypto::{new_id, random_bytes, random_token, sha256_hex};
use crate::{App, AppError, ErrorKind, RequestContext, platform::rate_limit};

/// What the API shows of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountView {
    /// Opaque id.
    pub id: String,
    /// E-mail.
    pub email: String,
    /// Display name.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Tenant.
    pub tenant_id: String,
    /// Parent of a sub-account.
    pub parent_id: Option<String>,
    /// Rights held.
    pub rights: RightSet,
    /// `active` or `disabled`.
    pub status: String,
    /// Whether TOTP is required at login.
    pub totp_enabled: bool,
    /// Whether the owner proved the e-mail address (self sign-ups, through the mailed link).
    pub email_verified: bool,
    /// Creation time.
    pub created_at: Timestamp,
}

impl AccountView {
    fn from_row(row: &AccountRow) -> Result<AccountView, AppError> {
        Ok(AccountView {
            id: row.id.clone(),
            email: row.email.clone(),
            display_name: row.display_name.clone(),
            role: parse_role(&row.role)?,
            tenant_id: row.tenant_id.clone(),
            parent_id: row.parent_id.clone(),
            rights: parse_rights(&row.rights)?,
            status: row.status.clone(),
            totp_enabled: row.totp_enabled,
            email_verified: row.email_verified_at.is_some(),
            created_at: Timestamp(row.created_at),
        })
    }

    fn summary(&self) -> serde_json::Value {
        json!({
            "email": self.email,
            "display_name": self.display_name,
            "role": self.role.as_str(),
            "rights": self.rights.to_storage(),
            "status": self.status,
            "totp_enabled": self.totp_enabled,
            "email_verified": self.email_verified,
        })
    }
}

fn parse_role(name: &str) -> Result<Role, AppError> {
    Role::parse(name).ok_or_else(|| AppError::internal(format!("stored role {name:?} is unknown")))
}

fn parse_rights(stored: &str) -> Result<RightSet, AppError> {
    RightSet::parse_list(stored.split(','))
        .map_err(|bad| AppError::internal(format!("stored right {bad:?} is unknown")))
}

fn actor_for(row: &AccountRow, method: AuthMethod) -> Result<Actor, AppError> {
    Ok(Actor {
        account_id: row.id.clone(),
        tenant_id: row.tenant_id.clone(),
        role: parse_role(&row.role)?,
        rights: parse_rights(&row.rights)?,
        method,
    })
}

/// Input of a new account.
#[derive(Clone)]
pub struct NewAccountInput {
    /// E-mail (normalised here).
    pub email: String,
    /// Password (checked against the policy).
    pub password: String,
    /// Display name.
    pub display_name: String,
}

struct CheckedAccount {
    email: Email,
    display_name: String,
    password_hash: String,
}

async fn check_new_account(app: &App, input: &NewAccountInput) -> Result<CheckedAccount, AppError> {
    let email = Email::parse(&input.email)?;
    check_password(&input.password)?;
    let display_name = parse_display_name(&input.display_name)?;
    let password_hash = app.hasher().hash(&input.password).await?;
    Ok(CheckedAccount {
        email,
        display_name,
        password_hash,
    })
}

fn email_taken() -> AppError {
    AppError::new(
        ErrorKind::Conflict,
        "EMAIL_TAKEN",
        "an account with this e-mail already exists",
        "该电子邮箱已注册",
    )
    .with_field("email")
}

async fn insert_account(tx: &mut Tx, new: NewAccount<'_>) -> Result<AccountView, AppError> {
    match tx.insert_account(&new).await {
        Ok(()) => {}
        Err(e) if e.is_conflict_on("email") => return Err(email_taken()),
        Err(e) => return Err(e.into()),
    }
    let row = tx
        .account_by_id(new.id)
        .await?
        .ok_or_else(|| AppError::internal("inserted account vanished"))?;
    AccountView::from_row(&row)
}

/// What a sign-up did. The HTTP answer is the same for both (202, "verification sent"), so
/// that sign-up does not tell a stranger whether an address is a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignupOutcome {
    /// A new account, waiting for its e-mail address to be verified; the link is mailed.
    Created(AccountView),
    /// The address already has an account: its owner is told by e-mail, nothing is created.
    AddressTaken,
}

/// Self sign-up of a customer account (its own tenant). The password is hashed whatever
/// the outcome, so a taken address answers as slowly as a new one.
pub async fn signup(
    app: &App,
    ctx: &RequestContext,
    input: NewAccountInput,
) -> Result<SignupOutcome, AppError> {
    if !app.settings().allow_signup {
        return Err(AppError::new(
            ErrorKind::Forbidden,
            "SIGNUP_CLOSED",
            "sign-up is closed on this platform",
            "本平台暂不开放注册",
        ));
    }
    verification::count_signup(app, ctx).await?;
    let checked = check_new_account(app, &input).await?;
    let existing = {
        let mut tx = app.db().read().await?;
        let row = tx.account_by_email(checked.email.as_str()).await?;
        tx.commit().await?;
        row
    };
    if let Some(existing) = existing {
        verification::signup_attempted(app, &existing.id, checked.email.as_str()).await?;
        return Ok(SignupOutcome::AddressTaken);
    }
    // Asked before the write transaction: the limit counts in a transaction of its own.
    let mail_link = verification::may_mail(app, checked.email.as_str()).await?;
    let id = new_id("acc");
    let now = app.now();
    let rights = Role::Customer.rights().to_storage();
    let mut tx = app.db().write().await?;
    let inserted = insert_account(
        &mut tx,
        NewAccount {
            id: &id,
            email: checked.email.as_str(),
            display_name: &checked.display_name,
            password_hash: &checked.password_hash,
            role: Role::Customer.as_str(),
            parent_id: None,
            tenant_id: &id,
            rights: &rights,
            now: now.0,
            email_verified: false,
        },
    )
    .await;
    let view = match inserted {
        Ok(view) => view,
        // Taken between the read and the insert by a concurrent sign-up.
        Err(e) if e.code == "EMAIL_TAKEN" => return Ok(SignupOutcome::AddressTaken),
        Err(e) => return Err(e),
    };
    if mail_link {
        verification::issue_link(app, &mut tx, &id, &checked.display_name).await?;
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &id,
        Change {
            action: "account.signup",
            object_type: "account",
            object_id: &id,
            tenant: &id,
            before: serde_json::Value::Null,
            after: view.summary(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(SignupOutcome::Created(view))
}

/// An operator creates an account of any role (CLI `yuming user create`, admin API).
pub async fn create_user(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    input: NewAccountInput,
    role: Role,
) -> Result<AccountView, AppError> {
    actor.require(Right::PlatformAdmin)?;
    let checked = check_new_account(app, &input).await?;
    let id = new_id("acc");
    let rights = role.rights().to_storage();
    let mut tx = app.db().write().await?;
    let view = insert_account(
        &mut tx,
        NewAccount {
            id: &id,
            email: checked.email.as_str(),
            display_name: &checked.display_name,
            password_hash: &checked.password_hash,
            role: role.as_str(),
            parent_id: None,
            tenant_id: &id,
            rights: &rights,
            now: app.now().0,
            email_verified: true,
        },
    )
    .await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "account.create",
            object_type: "account",
            object_id: &id,
            tenant: &id,
            before: serde_json::Value::Null,
            after: view.summary(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// Login input.
#[derive(Clone)]
pub struct LoginInput {
    /// E-mail.
    pub email: String,
    /// Password.
    pub password: String,
    /// TOTP code, when enrolled.
    pub totp: Option<String>,
}

/// A new session.
#[derive(Clone)]
pub struct LoginOutput {
    /// The bearer token; only its SHA-256 is stored.
    pub token: String,
    /// When it expires.
    pub expires_at: Timestamp,
    /// The account.
    pub account: AccountView,
}

fn invalid_credentials() -> AppError {
    AppError::unauthenticated(
        "INVALID_CREDENTIALS",
        "e-mail or password is wrong",
        "邮箱或密码错误",
    )
}

/// Logs in: checks lockout, password and TOTP, and creates a session.
pub async fn login(
    app: &App,
    ctx: &RequestContext,
    input: LoginInput,
) -> Result<LoginOutput, AppError> {
    if let Some(ip) = &ctx.client_ip {
        rate_limit::hit(
            app,
            &format!("login:ip:{ip}"),
            app.settings().login_attempts_per_ip_per_minute,
            60,
        )
        .await?;
    }
    let now = app.now();
    let Ok(email) = Email::parse(&input.email) else {
        return Err(invalid_credentials());
    };
    let row = {
        let mut tx = app.db().read().await?;
        let row = tx.account_by_email(email.as_str()).await?;
        tx.commit().await?;
        row
    };
    let Some(row) = row else {
        // Spend the same time as for a real account so that timing reveals nothing.
        let dummy = app.dummy_password_hash().await?;
        let _ = app.hasher().verify(&input.password, dummy).await?;
        return Err(invalid_credentials());
    };
    // The attempt is counted before the password is verified (see `attempts`).
    let attempt = attempts::reserve(app, &row.id, &row.tenant_id).await?;
    if !app
        .hasher()
        .verify(&input.password, &row.password_hash)
        .await?
    {
        return Err(attempts::failed(app, ctx, attempt, invalid_credentials()).await);
    }
    if row.status != "active" {
        attempts::release(app, attempt).await?;
        return Err(AppError::unauthenticated(
            "ACCOUNT_DISABLED",
            "this account is disabled",
            "该账户已停用",
        ));
    }
    let mut totp_step = None;
    if row.totp_enabled {
        let Some(code) = input.totp.as_deref().filter(|c| !c.trim().is_empty()) else {
            attempts::release(app, attempt).await?;
            return Err(AppError::unauthenticated(
                "TOTP_REQUIRED",
                "this account needs a TOTP code",
                "该账户需要输入动态验证码",
            )
            .with_field("totp"));
        };
        let secret = open_totp_secret(app, &row)?;
        match totp::verify(&secret, code, now) {
            Some(step) => totp_step = Some(step),
            None => {
                let wrong = AppError::unauthenticated(
                    "INVALID_TOTP",
                    "the TOTP code is wrong or expired",
                    "动态验证码错误或已过期",
                )
                .with_field("totp");
                return Err(attempts::failed(app, ctx, attempt, wrong).await);
            }
        }
    }
    let token = format!("yst_{}", random_token::<32>());
    let session = SessionRow {
        id: sha256_hex(token.as_bytes()),
        account_id: row.id.clone(),
        created_at: now.0,
        expires_at: now.0 + app.settings().session_ttl_secs,
        revoked_at: None,
    };
    let mut tx = app.db().write().await?;
    if let Some(step) = totp_step {
        let step = i64::try_from(step).unwrap_or(i64::MAX);
        if !tx.advance_totp_step(&row.id, step).await? {
            drop(tx);
            let replayed = AppError::unauthenticated(
                "INVALID_TOTP",
                "this TOTP code was already used",
                "该动态验证码已被使用",
            )
            .with_field("totp");
            return Err(attempts::failed(app, ctx, attempt, replayed).await);
        }
    }
    attempts::succeeded(app, &mut tx, attempt).await?;
    tx.insert_session(&session).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &row.id,
        Change {
            action: "auth.login",
            object_type: "session",
            object_id: &session.id[..16],
            tenant: &row.tenant_id,
            before: serde_json::Value::Null,
            after: json!({ "expires_at": session.expires_at, "ip": ctx.client_ip }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(LoginOutput {
        token,
        expires_at: Timestamp(session.expires_at),
        account: AccountView::from_row(&row)?,
    })
}

/// Resolves a bearer token to its actor.
pub async fn authenticate_token(app: &App, token: &str) -> Result<Actor, AppError> {
    let invalid = || {
        AppError::unauthenticated(
            "INVALID_TOKEN",
            "the token is invalid, expired or revoked",
            "令牌无效、已过期或已注销",
        )
    };
    if token.is_empty() || token.len() > 256 {
        return Err(invalid());
    }
    let session_id = sha256_hex(token.as_bytes());
    let now = app.now();
    let row = app
        .db()
        .account_for_session(&session_id, now.0)
        .await?
        .ok_or_else(invalid)?;
    if row.status != "active" {
        return Err(invalid());
    }
    actor_for(&row, AuthMethod::Session { session_id })
}

/// Loads the account an authenticated actor stands for (for API-key authentication).
pub(crate) async fn actor_of_account(
    tx: &mut Tx,
    account_id: &str,
    method: AuthMethod,
) -> Result<Option<Actor>, AppError> {
    match tx.account_by_id(account_id).await? {
        Some(row) if row.status == "active" => Ok(Some(actor_for(&row, method)?)),
        _ => Ok(None),
    }
}

/// Ends the actor's session.
pub async fn logout(app: &App, ctx: &RequestContext, actor: &Actor) -> Result<(), AppError> {
    actor.require_interactive()?;
    let AuthMethod::Session { session_id } = &actor.method else {
        return Err(AppError::bad_request(
            "NOT_A_SESSION",
            "only login sessions can log out",
            "仅登录会话可以注销",
        ));
    };
    let mut tx = app.db().write().await?;
    tx.revoke_session(session_id, app.now().0).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "auth.logout",
            object_type: "session",
            object_id: &session_id[..16.min(session_id.len())],
            tenant: &actor.tenant_id,
            before: serde_json::Value::Null,
            after: serde_json::Value::Null,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The actor's own account.
pub async fn me(app: &App, actor: &Actor) -> Result<AccountView, AppError> {
    // One statement, no transaction: every console page asks this.
    let row = app
        .db()
        .account(&actor.account_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    AccountView::from_row(&row)
}

/// The stored row of an account, read in a transaction of its own.
async fn account_row(app: &App, account_id: &str) -> Result<AccountRow, AppError> {
    let mut tx = app.db().read().await?;
    let row = tx
        .account_by_id(account_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    tx.commit().await?;
    Ok(row)
}

/// Changes the actor's password after checking the current one; revokes every other session.
pub async fn change_password(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    current: &str,
    new_password: &str,
) -> Result<(), AppError> {
    actor.require_interactive()?;
    check_password(new_password).map_err(|e| AppError::from(e).with_field("new_password"))?;
    let row = account_row(app, &actor.account_id).await?;
    let attempt = attempts::reserve(app, &row.id, &row.tenant_id).await?;
    if !app.hasher().verify(current, &row.password_hash).await? {
        let wrong = AppError::bad_request(
            "WRONG_PASSWORD",
            "the current password is wrong",
            "当前密码错误",
        )
        .with_field("current_password");
        return Err(attempts::failed(app, ctx, attempt, wrong).await);
    }
    let hash = app.hasher().hash(new_password).await?;
    let keep = match &actor.method {
        AuthMethod::Session { session_id } => Some(session_id.as_str()),
        _ => None,
    };
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    attempts::succeeded(app, &mut tx, attempt).await?;
    tx.set_password_hash(&row.id, &hash, now).await?;
    let revoked = tx.revoke_sessions_except(&row.id, keep, now).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "account.password_change",
            object_type: "account",
            object_id: &row.id,
            tenant: &row.tenant_id,
            before: serde_json::Value::Null,
            after: json!({ "other_sessions_revoked": revoked }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A TOTP secret being enrolled, shown once.
#[derive(Clone)]
pub struct TotpEnrolment {
    /// Base32 secret to type into an authenticator.
    pub secret: String,
    /// `otpauth://` URL for a QR code.
    pub otpauth_url: String,
}

fn totp_context(account_id: &str) -> String {
    format!("account.totp:{account_id}")
}

fn open_totp_secret(app: &App, row: &AccountRow) -> Result<Vec<u8>, AppError> {
    let sealed = row
        .totp_secret
        .as_deref()
        .ok_or_else(|| AppError::internal("totp enabled without secret"))?;
    app.cipher()
        .open(sealed, &totp_context(&row.id))
        .map_err(|e| AppError::internal(format!("totp secret: {e}")))
}

/// Starts TOTP enrolment: stores a new secret (not yet enforced) and returns it once.
pub async fn totp_begin(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
) -> Result<TotpEnrolment, AppError> {
    actor.require_interactive()?;
    let secret = random_bytes::<20>();
    let sealed = app.cipher().seal(&secret, &totp_context(&actor.account_id));
    let mut tx = app.db().write().await?;
    let row = tx
        .account_by_id(&actor.account_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if row.totp_enabled {
        return Err(AppError::new(
            ErrorKind::Conflict,
            "TOTP_ALREADY_ENABLED",
            "TOTP is already enabled",
            "动态验证码已启用",
        ));
    }
    tx.set_totp(&row.id, Some(&sealed), false, 0, app.now().0)
        .await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "account.totp_begin",
            object_type: "account",
            object_id: &row.id,
            tenant: &row.tenant_id,
            before: serde_json::Value::Null,
            after: serde_json::Value::Null,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(TotpEnrolment {
        secret: totp::base32_encode(&secret),
        otpauth_url: totp::otpauth_url("Yuming", &row.email, &secret),
    })
}

/// Confirms enrolment with a code from the authenticator, or disables TOTP with a current
/// code. The code counts as an attempt at the account's secrets (shared lockout with login),
/// and its time step is recorded as used, so the same code cannot log in afterwards.
pub async fn totp_set_enabled(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    code: &str,
    enable: bool,
) -> Result<(), AppError> {
    actor.require_interactive()?;
    let wrong_state = || {
        let (code_name, en, zh) = if enable {
            (
                "TOTP_NOT_STARTED",
                "start TOTP enrolment first",
                "请先开始动态验证码绑定",
            )
        } else {
            (
                "TOTP_NOT_ENABLED",
                "TOTP is not enabled",
                "动态验证码未启用",
            )
        };
        AppError::new(ErrorKind::Conflict, code_name, en, zh)
    };
    let row = account_row(app, &actor.account_id).await?;
    if row.totp_secret.is_none() || row.totp_enabled == enable {
        return Err(wrong_state());
    }
    let attempt = attempts::reserve(app, &row.id, &row.tenant_id).await?;
    let now = app.now();
    let secret = open_totp_secret(app, &row)?;
    let step = totp::verify(&secret, code, now)
        .map(|step| i64::try_from(step).unwrap_or(i64::MAX))
        .filter(|step| *step > row.totp_last_step);
    let Some(step) = step else {
        let wrong = AppError::bad_request(
            "INVALID_TOTP",
            "the TOTP code is wrong, expired or already used",
            "动态验证码错误、已过期或已被使用",
        )
        .with_field("code");
        return Err(attempts::failed(app, ctx, attempt, wrong).await);
    };
    let mut tx = app.db().write().await?;
    let current = tx
        .account_by_id(&row.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if current.totp_secret != row.totp_secret || current.totp_enabled != row.totp_enabled {
        // Changed meanwhile (another enrolment or a concurrent change): decide nothing.
        drop(tx);
        attempts::release(app, attempt).await?;
        return Err(wrong_state());
    }
    if !tx.advance_totp_step(&row.id, step).await? {
        drop(tx);
        let replayed = AppError::bad_request(
            "INVALID_TOTP",
            "the TOTP code is wrong, expired or already used",
            "动态验证码错误、已过期或已被使用",
        )
        .with_field("code");
        return Err(attempts::failed(app, ctx, attempt, replayed).await);
    }
    attempts::succeeded(app, &mut tx, attempt).await?;
    let stored = if enable {
        row.totp_secret.as_deref()
    } else {
        None
    };
    tx.set_totp(&row.id, stored, enable, step, now.0).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: if enable {
                "account.totp_enable"
            } else {
                "account.totp_disable"
            },
            object_type: "account",
            object_id: &row.id,
            tenant: &row.tenant_id,
            before: json!({ "totp_enabled": row.totp_enabled }),
            after: json!({ "totp_enabled": enable }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Input of a new sub-account.
#[derive(Debug, Clone)]
pub struct NewSubAccountInput {
    /// Credentials and name.
    pub account: NewAccountInput,
    /// Rights granted, stable names.
    pub rights: Vec<String>,
}

fn parse_granted_rights(actor: &Actor, names: &[String]) -> Result<RightSet, AppError> {
    let rights = RightSet::parse_list(names.iter().map(String::as_str)).map_err(|bad| {
        AppError::bad_request(
            "UNKNOWN_RIGHT",
            format!("unknown right {bad:?}"),
            format!("未知权限 {bad:?}"),
        )
        .with_field("rights")
    })?;
    if let Some(staff_right) = rights.iter().find(|r| !r.is_customer_right()) {
        return Err(AppError::bad_request(
            "RIGHT_NOT_GRANTABLE",
            format!(
                "{} cannot be granted to a sub-account",
                staff_right.as_str()
            ),
            format!("{} 不能授予子账户", staff_right.as_str()),
        )
        .with_field("rights"));
    }
    if !actor.rights.covers(rights) {
        return Err(AppError::bad_request(
            "RIGHT_NOT_HELD",
            "a sub-account can only receive rights its parent holds",
            "子账户只能获得父账户拥有的权限",
        )
        .with_field("rights"));
    }
    Ok(rights)
}

fn require_parent(actor: &Actor) -> Result<(), AppError> {
    actor.require(Right::SubAccountsManage)?;
    if actor.role != Role::Customer || actor.is_sub_account() {
        return Err(AppError::new(
            ErrorKind::Forbidden,
            "NOT_A_PARENT_ACCOUNT",
            "only a top-level customer account manages sub-accounts",
            "只有主账户可以管理子账户",
        ));
    }
    Ok(())
}

/// A customer creates a sub-account in its tenant with a subset of its rights.
pub async fn create_sub_account(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    input: NewSubAccountInput,
) -> Result<AccountView, AppError> {
    require_parent(actor)?;
    let rights = parse_granted_rights(actor, &input.rights)?.to_storage();
    let checked = check_new_account(app, &input.account).await?;
    let id = new_id("acc");
    let mut tx = app.db().write().await?;
    let view = insert_account(
        &mut tx,
        NewAccount {
            id: &id,
            email: checked.email.as_str(),
            display_name: &checked.display_name,
            password_hash: &checked.password_hash,
            role: Role::Customer.as_str(),
            parent_id: Some(&actor.account_id),
            tenant_id: &actor.tenant_id,
            rights: &rights,
            now: app.now().0,
            email_verified: true,
        },
    )
    .await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "sub_account.create",
            object_type: "account",
            object_id: &id,
            tenant: &actor.tenant_id,
            before: serde_json::Value::Null,
            after: view.summary(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(view)
}

/// The sub-accounts of the actor's tenant.
pub async fn list_sub_accounts(app: &App, actor: &Actor) -> Result<Vec<AccountView>, AppError> {
    require_parent(actor)?;
    let mut tx = app.db().read().await?;
    let rows = tx.sub_accounts(&actor.tenant_id).await?;
    tx.commit().await?;
    rows.iter().map(AccountView::from_row).collect()
}

/// Changes a sub-account's rights and/or disables or re-enables it.
pub async fn update_sub_account(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    sub_account_id: &str,
    rights: Option<Vec<String>>,
    disabled: Option<bool>,
) -> Result<AccountView, AppError> {
    require_parent(actor)?;
    let mut tx = app.db().write().await?;
    let row = tx
        .account_by_id(sub_account_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    if row.parent_id.as_deref() != Some(actor.account_id.as_str()) {
        return Err(AppError::not_found());
    }
    actor.authorize(&row.tenant_id, Right::SubAccountsManage)?;
    let before = AccountView::from_row(&row)?;
    let new_rights = match &rights {
        Some(names) => parse_granted_rights(actor, names)?.to_storage(),
        None => row.rights.clone(),
    };
    let status = match disabled {
        Some(true) => "disabled",
        Some(false) => "active",
        None => row.status.as_str(),
    };
    let now = app.now().0;
    tx.update_sub_account(&row.id, &new_rights, status, now)
        .await?;
    if status == "disabled" {
        tx.revoke_sessions_except(&row.id, None, now).await?;
    }
    let after_row = tx
        .account_by_id(&row.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    let after = AccountView::from_row(&after_row)?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "sub_account.update",
            object_type: "account",
            object_id: &row.id,
            tenant: &row.tenant_id,
            before: before.summary(),
            after: after.summary(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// The tenant id of the account with this e-mail (operator tools address customers by
/// e-mail).
pub async fn tenant_of_email(app: &App, email: &str) -> Result<String, AppError> {
    let email = Email::parse(email)?;
    let mut tx = app.db().read().await?;
    let row = tx.account_by_email(email.as_str()).await?;
    tx.commit().await?;
    let row = row.ok_or_else(|| {
        AppError::new(
            ErrorKind::NotFound,
            "ACCOUNT_NOT_FOUND",
            "no account with this e-mail",
            "没有使用该邮箱的账户",
        )
        .with_field("email")
    })?;
    Ok(row.tenant_id)
}

impl std::fmt::Debug for NewAccountInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never reach logs or panic messages.
        f.debug_struct("NewAccountInput")
            .field("email", &self.email)
            .field("display_name", &self.display_name)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl std::fmt::Debug for LoginInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never reach logs or panic messages.
        f.debug_struct("LoginInput")
            .field("email", &self.email)
            .field("password", &"<redacted>")
            .field("totp", &"<redacted>")
            .finish()
    }
}

impl std::fmt::Debug for LoginOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never reach logs or panic messages.
        f.debug_struct("LoginOutput")
            .field("expires_at", &self.expires_at)
            .field("account", &self.account)
            .field("token", &"<redacted>")
            .finish()
    }
}

impl std::fmt::Debug for TotpEnrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets never reach logs or panic messages.
        f.debug_struct("TotpEnrolment")
            .field("secret", &"<redacted>")
            .field("otpauth_url", &"<redacted>")
            .finish()
    }
}
