//! Enterprise sub-accounts: created by the parent with a subset of its rights, listed, updated; and
//! the tenant behind an e-mail address.

use yuming_core::access::{Actor, Right, RightSet, Role};
use yuming_core::credentials::Email;
use yuming_store::NewAccount;

use super::{AccountView, NewAccountInput, check_new_account, insert_account};
use crate::accounts::AccountsError;
use crate::platform::audit::{self, Change};
use crate::platform::crypto::new_id;
use crate::{App, AppError, RequestContext};

/// Input of a new sub-account.
#[derive(Debug, Clone)]
pub struct NewSubAccountInput {
    /// Credentials and name.
    pub account: NewAccountInput,
    /// Rights granted, stable names.
    pub rights: Vec<String>,
}

fn parse_granted_rights(actor: &Actor, names: &[String]) -> Result<RightSet, AppError> {
    let rights = RightSet::parse_list(names.iter().map(String::as_str))
        .map_err(|right| AccountsError::UnknownRight { right })?;
    if let Some(staff_right) = rights.iter().find(|r| !r.is_customer_right()) {
        return Err(AccountsError::RightNotGrantable {
            right: staff_right.as_str(),
        }
        .into());
    }
    if !actor.rights.covers(rights) {
        return Err(AccountsError::RightNotHeld.into());
    }
    Ok(rights)
}

fn require_parent(actor: &Actor) -> Result<(), AppError> {
    actor.require(Right::SubAccountsManage)?;
    if actor.role != Role::Customer || actor.is_sub_account() {
        return Err(AccountsError::NotAParentAccount.into());
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
    let row = row.ok_or_else(|| AppError::from(AccountsError::AccountNotFound))?;
    Ok(row.tenant_id)
}
