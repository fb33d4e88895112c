//! Accounts (customers, sub-accounts and staff).

use crate::db::{Db, StoreError, Tx, map_err};

/// The account behind a live session (not revoked, not expired at `now`).
pub(crate) const ACCOUNT_FOR_SESSION: &str = "SELECT a.id, a.email, a.display_name, a.password_hash, a.role, a.parent_id, \
     a.tenant_id, a.rights, a.status, a.language, a.totp_secret, a.totp_enabled, a.totp_last_step, \
     a.failed_logins, a.locked_until, a.created_at, a.updated_at, a.email_verified_at \
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
        lone_read!(
            optional: self,
            AccountRow,
            ACCOUNT_FOR_SESSION,
            AccountRow::from_rusqlite,
            session_id,
            now
        )
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
    /// When the owner proved the e-mail address is theirs; `None` until then.
    pub email_verified_at: Option<i64>,
}

impl AccountRow {
    /// The row of a statement on SQLite's inline read path. Columns are read by position, in
    /// the order of the columns macro (a lookup by name cost a fifth of a list request).
    fn from_rusqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<AccountRow> {
        Ok(AccountRow {
            id: r.get(0)?,
            email: r.get(1)?,
            display_name: r.get(2)?,
            password_hash: r.get(3)?,
            role: r.get(4)?,
            parent_id: r.get(5)?,
            tenant_id: r.get(6)?,
            rights: r.get(7)?,
            status: r.get(8)?,
            language: r.get(9)?,
            totp_secret: r.get(10)?,
            totp_enabled: r.get(11)?,
            totp_last_step: r.get(12)?,
            failed_logins: r.get(13)?,
            locked_until: r.get(14)?,
            created_at: r.get(15)?,
            updated_at: r.get(16)?,
            email_verified_at: r.get(17)?,
        })
    }
}

/// The outcome of [`Tx::reserve_attempt`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The attempt may be verified.
    Reserved {
        /// Failed or pending attempts counted, this one included.
        count: i64,
        /// The lock set because this attempt, should it fail, reaches the threshold.
        locks_until: Option<i64>,
    },
    /// The account is locked until then; nothing was counted.
    Locked {
        /// End of the lock.
        until: i64,
    },
    /// No such account.
    NoAccount,
}

/// How a reserved attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settlement {
    /// The secret was right.
    Success {
        /// The count its reservation returned.
        count: i64,
    },
    /// The secret was wrong: the attempt stays counted.
    Failure,
    /// The attempt was not decided (e.g. a TOTP code is still needed): it is taken back.
    Release,
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
    /// Whether the e-mail address counts as verified from the start (accounts an operator or
    /// a parent account creates); self sign-ups verify it through an e-mailed link.
    pub email_verified: bool,
}

macro_rules! account_columns {
    () => {
        "id, email, display_name, password_hash, role, parent_id, tenant_id, rights, \
     status, language, totp_secret, totp_enabled, totp_last_step, failed_logins, locked_until, \
     created_at, updated_at, email_verified_at"
    };
}

impl Tx {
    /// Inserts an account; a taken e-mail is `Conflict("accounts_email_key"…)`.
    pub async fn insert_account(&mut self, new: &NewAccount<'_>) -> Result<(), StoreError> {
        let sql = "INSERT INTO accounts (id, email, display_name, password_hash, role, parent_id, \
                   tenant_id, rights, status, created_at, updated_at, email_verified_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, $9, $10)";
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
            .bind(new.email_verified.then_some(new.now))
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

    /// Every staff account (any role but `customer`), by e-mail; at most `limit`.
    pub async fn staff_accounts(&mut self, limit: i64) -> Result<Vec<AccountRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts a WHERE a.role <> 'customer' ORDER BY a.email LIMIT $1 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, AccountRow>(sql)
            .bind(limit)
            .fetch_all(c)
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

    /// Sets the TOTP secret (encrypted), whether it is enforced, and the last TOTP step used
    /// (the step of the code that confirmed the change, so that it cannot be used again).
    pub async fn set_totp(
        &mut self,
        id: &str,
        secret: Option<&[u8]>,
        enabled: bool,
        last_step: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE accounts SET totp_secret = $2, totp_enabled = $3, totp_last_step = $5, updated_at = $4 WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(secret)
            .bind(enabled)
            .bind(now)
            .bind(last_step)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// Reserves one attempt at a secret of the account (password, TOTP code) before it is
    /// verified: the failed-attempt counter goes up by one in a single conditional `UPDATE`
    /// that also checks the lock, so concurrent attempts each count and none passes a lock
    /// set by another. `lock_for(n)` is the lockout policy: when the count `n` (this attempt
    /// included) would lock the account if this attempt fails, the lock is set now, in the same
    /// transaction, so that later attempts wait for it; a success takes it back in
    /// [`Tx::settle_attempt`].
    pub async fn reserve_attempt(
        &mut self,
        id: &str,
        now: i64,
        lock_for: impl FnOnce(i64) -> Option<i64>,
    ) -> Result<Reservation, StoreError> {
        let sql = "UPDATE accounts SET failed_logins = failed_logins + 1, updated_at = $2 \
                   WHERE id = $1 AND (locked_until IS NULL OR locked_until <= $2) \
                   RETURNING failed_logins";
        let count: Option<i64> = on_conn!(self, c => sqlx::query_scalar(sql)
            .bind(id)
            .bind(now)
            .fetch_optional(c)
            .await
            .map_err(map_err))?;
        let Some(count) = count else {
            let sql = "SELECT locked_until FROM accounts WHERE id = $1";
            let until: Option<Option<i64>> = on_conn!(self, c => sqlx::query_scalar(sql)
                .bind(id)
                .fetch_optional(c)
                .await
                .map_err(map_err))?;
            return Ok(match until {
                None => Reservation::NoAccount,
                Some(until) => Reservation::Locked {
                    until: until.unwrap_or(now).max(now + 1),
                },
            });
        };
        let locks_until = lock_for(count);
        if let Some(until) = locks_until {
            let sql = "UPDATE accounts SET locked_until = $2 WHERE id = $1";
            on_conn!(self, c => sqlx::query(sql)
                .bind(id)
                .bind(until)
                .execute(c)
                .await
                .map(|r| r.rows_affected())
                .map_err(map_err))?;
        }
        Ok(Reservation::Reserved { count, locks_until })
    }

    /// Settles a reserved attempt. A failure keeps the count (and the lock it set). A success
    /// takes back the failures counted up to and including its own reservation (`count`), but
    /// not attempts reserved after it; a release takes back only its own. Either way the lock
    /// goes when the count left is below `threshold`.
    pub async fn settle_attempt(
        &mut self,
        id: &str,
        settlement: Settlement,
        threshold: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        let give_back = match settlement {
            Settlement::Failure => return Ok(()),
            Settlement::Success { count } => count,
            Settlement::Release => 1,
        };
        let sql = "UPDATE accounts SET \
                   failed_logins = CASE WHEN failed_logins > $2 THEN failed_logins - $2 ELSE 0 END, \
                   locked_until = CASE WHEN failed_logins - $2 >= $3 THEN locked_until ELSE NULL END, \
                   updated_at = $4 WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(give_back)
            .bind(threshold)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// Clears an account's failed logins and lock (support, at the customer's request);
    /// `false` when the account does not exist.
    pub async fn clear_lockout(&mut self, id: &str, now: i64) -> Result<bool, StoreError> {
        let sql = "UPDATE accounts SET failed_logins = 0, locked_until = NULL, updated_at = $2 \
                   WHERE id = $1";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// Records the last accepted TOTP step; returns false if it was not newer (a replayed code).
    pub async fn advance_totp_step(&mut self, id: &str, step: i64) -> Result<bool, StoreError> {
        let sql = "UPDATE accounts SET totp_last_step = $2 WHERE id = $1 AND totp_last_step < $2";
        let result = on_conn!(self, c => sqlx::query(sql).bind(id).bind(step).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(result == 1)
    }

    /// Records a verification of the account's e-mail address (only the first counts);
    /// returns whether it was not verified before.
    pub async fn mark_email_verified(&mut self, id: &str, now: i64) -> Result<bool, StoreError> {
        let sql = "UPDATE accounts SET email_verified_at = $2, updated_at = $2 \
                   WHERE id = $1 AND email_verified_at IS NULL";
        let changed = on_conn!(self, c => sqlx::query(sql).bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(changed == 1)
    }

    /// Stores a new e-mail verification token (only its SHA-256).
    pub async fn insert_email_verification(
        &mut self,
        token_hash: &str,
        account_id: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO email_verifications (token_hash, account_id, created_at, expires_at) \
                   VALUES ($1, $2, $3, $4)";
        on_conn!(self, c => sqlx::query(sql).bind(token_hash).bind(account_id).bind(now).bind(expires_at).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }

    /// Uses up a verification token that is unused and not expired at `now`; returns the
    /// account it verifies, or `None` for an unknown, used or expired token.
    pub async fn use_email_verification(
        &mut self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<String>, StoreError> {
        let sql = "UPDATE email_verifications SET used_at = $2 \
                   WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2 \
                   RETURNING account_id";
        on_conn!(self, c => sqlx::query_scalar(sql).bind(token_hash).bind(now).fetch_optional(c).await.map_err(map_err))
    }

    /// Ends every unused verification token of the account (after it verified, or when a
    /// new link replaces the old ones); returns how many.
    pub async fn retire_email_verifications(
        &mut self,
        account_id: &str,
        now: i64,
    ) -> Result<u64, StoreError> {
        let sql = "UPDATE email_verifications SET used_at = $2 \
                   WHERE account_id = $1 AND used_at IS NULL";
        on_conn!(self, c => sqlx::query(sql).bind(account_id).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))
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

impl Db {
    /// The account with this id, as one statement outside any transaction (for lone reads
    /// such as `GET /me`, which would otherwise pay BEGIN and COMMIT round trips).
    pub async fn account(&self, id: &str) -> Result<Option<AccountRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            account_columns!(),
            " FROM accounts WHERE id = $1"
        );
        lone_read!(optional: self, AccountRow, sql, AccountRow::from_rusqlite, id)
    }
}
