//! Accounts and authentication: sign-up, login (with lockout and optional TOTP), sessions,
//! password change, operator-created users and enterprise sub-accounts.

pub mod api_keys;
pub(crate) mod attempts;
pub mod closure;
mod error;
pub mod passkeys;
pub mod password;
mod second_factor;
mod sessions;
mod sub_accounts;
pub mod verification;

pub use error::AccountsError;
pub use second_factor::{TotpEnrolment, totp_begin, totp_pending, totp_set_enabled};
pub(crate) use sessions::actor_of_account;
pub use sessions::{
    LoginInput, LoginOutput, LoginStep, SecondFactorStep, SecondStepInput, SessionView,
    authenticate_session, authenticate_token, change_password, login, login_second_step,
    login_step, logout, logout_everywhere, me, resume_second_step, revoke_session, sessions,
};
pub use sub_accounts::{
    NewSubAccountInput, create_sub_account, list_sub_accounts, tenant_of_email, update_sub_account,
};

use serde_json::json;
use yuming_core::access::{Actor, AuthMethod, Right, RightSet, Role};
use yuming_core::clock::Timestamp;
use yuming_core::credentials::{Email, check_password, parse_display_name};
use yuming_store::{AccountRow, NewAccount, Tx};

use crate::platform::audit::{self, Change};
use crate::platform::crypto::new_id;
use crate::{App, AppError, RequestContext};

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

/// The actor of a stored account acting through the platform on their own earlier request
/// (a paid checkout order being fulfilled).
pub(crate) async fn stored_actor(app: &App, account_id: &str) -> Result<Actor, AppError> {
    let mut tx = app.db().read().await?;
    let row = tx.account_by_id(account_id).await?;
    tx.commit().await?;
    let row = row.ok_or_else(|| AppError::internal(format!("account {account_id} vanished")))?;
    actor_for(&row, AuthMethod::System)
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
    AppError::from(AccountsError::EmailTaken)
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
    signup_with_consent(app, ctx, input, None).await
}

/// The user agreement and privacy policy a person accepted on signing up: the version is
/// kept in the sign-up's audit entry, whose time is when they accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    /// The version of the user agreement and privacy policy shown, e.g. `2026-12`.
    pub terms_version: String,
}

/// [`signup`], recording the agreement the person accepted (the console's sign-up form).
pub async fn signup_with_consent(
    app: &App,
    ctx: &RequestContext,
    input: NewAccountInput,
    consent: Option<&Consent>,
) -> Result<SignupOutcome, AppError> {
    if !app.settings().allow_signup {
        return Err(AccountsError::SignupClosed.into());
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
            after: match consent {
                Some(consent) => {
                    let mut after = view.summary();
                    after["terms_version"] = json!(consent.terms_version);
                    after
                }
                None => view.summary(),
            },
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

/// Every staff account, by e-mail (administrators).
pub async fn staff(app: &App, actor: &Actor) -> Result<Vec<AccountView>, AppError> {
    actor.require(Right::PlatformAdmin)?;
    let mut tx = app.db().read().await?;
    let rows = tx.staff_accounts(1_000).await?;
    tx.commit().await?;
    rows.iter().map(AccountView::from_row).collect()
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
