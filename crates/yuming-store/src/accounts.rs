//! Accounts (customers, sub-accounts and staff).

use crate::db::{Db, DbInner, StoreError, Tx, map_err};

/// The account behind a live session (not revoked, not expired at `now`).
const ACCOUNT_FOR_SESSION: &str = "SELECT a.id, a.email, a.display_name, a.password_hash, a.role, a.parent_id, \
     a.tenant_id, a.rights, a.status, a.language, a.totp_secret, a.totp_enabled, a.totp_last_step, \
     a.failed_logins, a.locked_until, a.created_at, a.updated_at \
     FROM sessions s JOIN accounts a ON a.id = s.account_id \
     WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > $2";

impl Db {
    /// The account behind a live session, as one statement outside any transaction: every
    /// authenticated request asks this, and a lone read needs no BEGIN/COMMIT round trips.
    pub async fn account_for_session(
        &self,
        session_id: &str,
        now: i64,
    ) -> Result<Option<AccountRow>, StoreError> {
        match &self.inner {
            DbInner::Sqlite(pool) => sqlx::query_as::<_, AccountRow>(ACCOUNT_FOR_SESSION)
                .bind(session_id)
                .bind(now)
                .fetch_optional(pool)
                .await
                .map_err(map_err),
            DbInner::Postgres(pool) => sqlx::query_as::<_, AccountRow>(ACCOUNT_FOR_SESSION)
                .bind(session_id)
                .bind(now)
                .fetch_optional(pool)
                .await
                .map_err(map_err),
        }
    }
}

/// An account as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AccountRow {
    /// Opaque id.
    pub id: String,
    /// Normalised e-mail, unique.
    pub email: String,
    /// Name shown in the console.
    pub display_name: String,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Stable role name.
    pub role: String,
    /// The parent account of a sub-account.
    pub parent_id: Option<String>,
    /// The tenant the account acts in (itself, or the parent's).
    pub tenant_id: String,
    /// Granted rights, comma-separated stable names.
    pub rights: String,
    /// `active` or `disabled`.
    pub status: String,
    /// Preferred language for notices: `zh-CN` or `en`.
    pub language: String,
    /// Encrypted TOTP secret, set during enrolment.
    pub totp_secret: Option<Vec<u8>>,
    /// Whether login needs a TOTP code.
    pub totp_enabled: bool,
    /// The last TOTP step accepted, so that a code cannot be replayed.
    pub totp_last_step: i64,
    /// Consecutive failed logins.
    pub failed_logins: i64,
    /// Login refused until this time.
    pub locked_until: Option<i64>,
    /// Creation time.
    pub created_at: i64,
    /// Last change time.
    pub updated_at: i64,
}

/// The fields of a new account.
#[derive(Debug, Clone)]
pub struct NewAccount<'a> {
    /// Opaque id.
    pub id: &'a str,
    /// Normalised e-mail.
    pub email: &'a str,
    /// Display name.
    pub display_name: &'a str,
    /// Argon2id PHC string.
    pub password_hash: &'a str,
    /// Role name.
    pub role: &'a str,
    /// Parent of a sub-account.
    pub parent_id: Option<&'a str>,
    /// Tenant.
    pub tenant_id: &'a str,
    /// Rights, storage form.
    pub rights: &'a str,
    /// Creation time.
    pub now: i64,
}

macro_rules! account_columns {
    () => {
        "id, email, display_name, password_hash, role, parent_id, tenant_id, rights, \
     status, language, totp_secret, totp_enabled, totp_last_step, failed_logins, locked_until, \
     created_at, updated_at"
    };
}

impl Tx {
    /// Inserts an account; a taken e-mail is `Conflict("accounts_email_key"…)`.
    pub async fn insert_account(&mut self, new: &NewAccount<'_>) -> Result<(), StoreError> {
        let sql = "INSERT INTO accounts (id, email, display_name, password_hash, role, parent_id, \
                   tenant_id, rights, status, created_at, updated_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, $9)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(new.id)
            .bind(new.email)
            .bind(new.display_name)
            .bind(new.password_hash)
            .bind(new.role)
            .bind(new.parent_id)
            .bind(new.tenant_id)
            .bind(new.rights)
            .bind(new.now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// The account with this id.
    pub async fn account_by_id(&mut self, id: &str) -> Result<Option<AccountRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE id = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, AccountRow>(sql)
            .bind(id)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// The account with this (normalised) e-mail.
    pub async fn account_by_email(
        &mut self,
        email: &str,
    ) -> Result<Option<AccountRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE email = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, AccountRow>(sql)
            .bind(email)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// The sub-accounts of a tenant, oldest first.
    pub async fn sub_accounts(&mut self, parent_id: &str) -> Result<Vec<AccountRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE parent_id = $1 ORDER BY created_at, id"
        );
        on_conn!(self, c => sqlx::query_as::<_, AccountRow>(sql)
            .bind(parent_id)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Records the outcome of a login attempt: failures and lock, or a reset on success.
    pub async fn set_login_state(
        &mut self,
        id: &str,
        failed_logins: i64,
        locked_until: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE accounts SET failed_logins = $2, locked_until = $3, updated_at = $4 WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(failed_logins)
            .bind(locked_until)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// Replaces the password hash.
    pub async fn set_password_hash(
        &mut self,
        id: &str,
        hash: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE accounts SET password_hash = $2, updated_at = $3 WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql).bind(id).bind(hash).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }

    /// Sets the TOTP secret (encrypted) and whether it is enforced.
    pub async fn set_totp(
        &mut self,
        id: &str,
        secret: Option<&[u8]>,
        enabled: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE accounts SET totp_secret = $2, totp_enabled = $3, totp_last_step = 0, updated_at = $4 WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(secret)
            .bind(enabled)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// Records the last accepted TOTP step; returns false if it was not newer (a replayed code).
    pub async fn advance_totp_step(&mut self, id: &str, step: i64) -> Result<bool, StoreError> {
        let sql = "UPDATE accounts SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2";
        let result = on_conn!(self, c => sqlx::query(sql).bind(id).bind(step).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(result == 1)
    }

    /// Changes a sub-account's rights or status.
    pub async fn update_sub_account(
        &mut self,
        id: &str,
        rights: &str,
        status: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE accounts SET rights = $2, status = $3, updated_at = $4 WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(rights)
            .bind(status)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }
}

impl Tx {
    /// The account's low-balance threshold in fen, when it chose one.
    pub async fn low_balance_threshold(
        &mut self,
        account_id: &str,
    ) -> Result<Option<i64>, StoreError> {
        let sql = "SELECT low_balance_threshold FROM accounts WHERE id = $1";
        let found: Option<Option<i64>> = on_conn!(self, c => sqlx::query_scalar(sql).bind(account_id).fetch_optional(c).await.map_err(map_err))?;
        Ok(found.flatten())
    }

    /// Sets (or with `None` resets to the default) the account's low-balance threshold.
    pub async fn set_low_balance_threshold(
        &mut self,
        account_id: &str,
        threshold: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE accounts SET low_balance_threshold = $2, updated_at = $3 WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql).bind(account_id).bind(threshold).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }
}
