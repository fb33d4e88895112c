//! Notices: the per-channel outbox (also the in-app inbox), preferences, and job leases.

use crate::db::{Db, StoreError, Tx, map_err};

/// A notice for one channel, as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct NoticeRow {
    /// Opaque id.
    pub id: String,
    /// The account notified.
    pub account_id: String,
    /// Notice kind, e.g. `expiry_reminder`.
    pub kind: String,
    /// Dedupe key: one notice per account, kind, occasion and channel.
    pub occasion: String,
    /// `email`, `in_app`, `sms`, `webhook`.
    pub channel: String,
    /// E-mail address, or empty (in-app; SMS, whose number is sealed).
    pub recipient: String,
    /// An SMS notice's mobile number, sealed (`None` for other channels, and on an SMS row of
    /// an older release not yet converted, whose number is in `recipient`).
    pub recipient_sealed: Option<Vec<u8>>,
    /// Language rendered in.
    pub language: String,
    /// Rendered subject.
    pub subject: String,
    /// Rendered body.
    pub body: String,
    /// JSON parameters the text was rendered from.
    pub params: String,
    /// `pending`, `sent`, `failed`, `held`.
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// Earliest next delivery attempt.
    pub next_attempt_at: i64,
    /// A delivery worker owns the row until then.
    pub lease_until: i64,
    /// Latest delivery error.
    pub last_error: Option<String>,
    /// When the account read it (in-app).
    pub read_at: Option<i64>,
    /// Enqueue time.
    pub created_at: i64,
    /// Delivery time.
    pub sent_at: Option<i64>,
    /// A secret the e-mail carries (a verification link), sealed; the stored body holds only
    /// the `{secret}` placeholder, filled in at delivery, so the outbox never has it in clear.
    pub secret_sealed: Option<Vec<u8>>,
}

macro_rules! notice_columns {
    () => {
        "id, account_id, kind, occasion, channel, recipient, recipient_sealed, language, subject, body, params, \
         status, attempts, next_attempt_at, lease_until, last_error, read_at, created_at, sent_at, \
         secret_sealed"
    };
}

/// Notices of one channel in one status.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct OutboxHealthRow {
    /// `email`, `sms`, …
    pub channel: String,
    /// `pending`, `sent`, `failed`, `held`.
    pub status: String,
    /// How many.
    pub count: i64,
    /// The oldest one's creation.
    pub oldest: i64,
    /// The latest delivery among them.
    pub last_sent: Option<i64>,
}

impl Tx {
    /// Inserts a notice unless one exists for the same account, kind, occasion and channel;
    /// returns whether it was inserted.
    pub async fn insert_notice(&mut self, row: &NoticeRow) -> Result<bool, StoreError> {
        let sql = concat!(
            "INSERT INTO notice_outbox (",
            notice_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) \
             ON CONFLICT (account_id, kind, occasion, channel) DO NOTHING"
        );
        let inserted = on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.account_id)
            .bind(&row.kind)
            .bind(&row.occasion)
            .bind(&row.channel)
            .bind(&row.recipient)
            .bind(&row.recipient_sealed)
            .bind(&row.language)
            .bind(&row.subject)
            .bind(&row.body)
            .bind(&row.params)
            .bind(&row.status)
            .bind(row.attempts)
            .bind(row.next_attempt_at)
            .bind(row.lease_until)
            .bind(&row.last_error)
            .bind(row.read_at)
            .bind(row.created_at)
            .bind(row.sent_at)
            .bind(&row.secret_sealed)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(inserted == 1)
    }

    /// Claims up to `limit` pending notices of `channel` due at `now` by setting their lease
    /// to `lease_until`; rows leased by another worker are skipped. On PostgreSQL the
    /// candidates are locked with `FOR UPDATE SKIP LOCKED`; on SQLite the write transaction
    /// already serialises claimers.
    pub async fn claim_notices(
        &mut self,
        channel: &str,
        now: i64,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<NoticeRow>, StoreError> {
        let select = "SELECT id FROM notice_outbox WHERE status = 'pending' AND channel = $1 AND next_attempt_at <= $2 \
                      AND lease_until <= $2 ORDER BY next_attempt_at, id LIMIT $3 + 0";
        let ids: Vec<(String,)> = per_backend!(self,
            sqlite: c => sqlx::query_as(select).bind(channel).bind(now).bind(limit).fetch_all(c).await.map_err(map_err),
            postgres: c => sqlx::query_as(
                "SELECT id FROM notice_outbox WHERE status = 'pending' AND channel = $1 AND next_attempt_at <= $2 \
                 AND lease_until <= $2 ORDER BY next_attempt_at, id LIMIT $3 + 0 FOR UPDATE SKIP LOCKED"
            ).bind(channel).bind(now).bind(limit).fetch_all(c).await.map_err(map_err),
        )?;
        let mut claimed = Vec::with_capacity(ids.len());
        let sql = concat!(
            "UPDATE notice_outbox SET lease_until = $2 WHERE id = $1 RETURNING ",
            notice_columns!()
        );
        for (id,) in ids {
            let row = on_conn!(self, c => sqlx::query_as::<_, NoticeRow>(sql).bind(&id).bind(lease_until).fetch_one(c).await.map_err(map_err))?;
            claimed.push(row);
        }
        Ok(claimed)
    }

    /// Records a delivery attempt: `sent` (with `sent_at`), or back to `pending` with the next
    /// attempt time, or `failed`. The lease is released.
    pub async fn finish_notice(
        &mut self,
        id: &str,
        status: &str,
        next_attempt_at: i64,
        error: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE notice_outbox SET status = $2, attempts = attempts + 1, next_attempt_at = $3, \
                   lease_until = 0, last_error = $4, sent_at = CASE WHEN $2 = 'sent' THEN $5 ELSE sent_at END \
                   WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql).bind(id).bind(status).bind(next_attempt_at).bind(error).bind(now)
            .execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }

    /// Cancels the account's notices of `kind` still waiting for delivery (a verification
    /// mail once the address is verified); returns how many.
    pub async fn cancel_pending_notices(
        &mut self,
        account_id: &str,
        kind: &str,
        now: i64,
    ) -> Result<u64, StoreError> {
        let sql = "UPDATE notice_outbox SET status = 'cancelled', lease_until = 0, \
                   last_error = 'cancelled', next_attempt_at = $3 \
                   WHERE account_id = $1 AND kind = $2 AND status = 'pending'";
        on_conn!(self, c => sqlx::query(sql).bind(account_id).bind(kind).bind(now)
            .execute(c).await.map(|r| r.rows_affected()).map_err(map_err))
    }

    /// An account's notices of one channel, newest first, `limit` before `before` (created_at).
    pub async fn notices_of_account(
        &mut self,
        account_id: &str,
        channel: &str,
        before: i64,
        limit: i64,
    ) -> Result<Vec<NoticeRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            notice_columns!(),
            " FROM notice_outbox WHERE account_id = $1 AND channel = $2 AND created_at < $3 \
             ORDER BY created_at DESC, id DESC LIMIT $4 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, NoticeRow>(sql).bind(account_id).bind(channel).bind(before)
            .bind(limit.clamp(1, 500)).fetch_all(c).await.map_err(map_err))
    }

    /// Marks one in-app notice of the account read; returns whether it exists.
    pub async fn mark_notice_read(
        &mut self,
        account_id: &str,
        id: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE notice_outbox SET read_at = COALESCE(read_at, $3) \
                   WHERE id = $1 AND account_id = $2 AND channel = 'in_app'";
        let n = on_conn!(self, c => sqlx::query(sql).bind(id).bind(account_id).bind(now)
            .execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(n == 1)
    }

    /// Notices of every channel with this kind and occasion (tests and operators).
    pub async fn notices_by_occasion(
        &mut self,
        kind: &str,
        occasion: &str,
    ) -> Result<Vec<NoticeRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            notice_columns!(),
            " FROM notice_outbox WHERE kind = $1 AND occasion = $2 ORDER BY channel"
        );
        on_conn!(self, c => sqlx::query_as::<_, NoticeRow>(sql).bind(kind).bind(occasion).fetch_all(c).await.map_err(map_err))
    }

    /// Counts notices per status (operators, tests).
    pub async fn notice_counts(&mut self) -> Result<Vec<(String, String, i64)>, StoreError> {
        let sql = "SELECT kind, status, COUNT(*) FROM notice_outbox GROUP BY kind, status ORDER BY kind, status";
        on_conn!(self, c => sqlx::query_as::<_, (String, String, i64)>(sql).fetch_all(c).await.map_err(map_err))
    }

    /// Per channel and status: how many notices, the oldest one's creation and the latest
    /// delivery (operators' view of e-mail and SMS health).
    pub async fn outbox_health(&mut self) -> Result<Vec<OutboxHealthRow>, StoreError> {
        let sql = "SELECT channel, status, COUNT(*) AS count, MIN(created_at) AS oldest, \
                   MAX(sent_at) AS last_sent FROM notice_outbox GROUP BY channel, status \
                   ORDER BY channel, status";
        on_conn!(self, c => sqlx::query_as::<_, OutboxHealthRow>(sql).fetch_all(c).await.map_err(map_err))
    }

    /// The latest delivery errors of notices not (yet) sent, newest first.
    pub async fn outbox_errors(
        &mut self,
        limit: i64,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        let sql = "SELECT channel, last_error, created_at FROM notice_outbox \
                   WHERE last_error IS NOT NULL AND status <> 'sent' \
                   ORDER BY created_at DESC LIMIT $1 + 0";
        on_conn!(self, c => sqlx::query_as::<_, (String, String, i64)>(sql).bind(limit).fetch_all(c).await.map_err(map_err))
    }

    /// The channels an account chose for a notice kind, comma-separated, if it chose.
    pub async fn notice_preference(
        &mut self,
        account_id: &str,
        kind: &str,
    ) -> Result<Option<String>, StoreError> {
        let sql = "SELECT channels FROM notice_preferences WHERE account_id = $1 AND kind = $2";
        let row: Option<(String,)> = on_conn!(self, c => sqlx::query_as(sql).bind(account_id).bind(kind).fetch_optional(c).await.map_err(map_err))?;
        Ok(row.map(|(channels,)| channels))
    }

    /// Every preference an account set, by kind.
    pub async fn notice_preferences(
        &mut self,
        account_id: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let sql =
            "SELECT kind, channels FROM notice_preferences WHERE account_id = $1 ORDER BY kind";
        on_conn!(self, c => sqlx::query_as::<_, (String, String)>(sql).bind(account_id).fetch_all(c).await.map_err(map_err))
    }

    /// Sets the channels of a notice kind for an account.
    pub async fn set_notice_preference(
        &mut self,
        account_id: &str,
        kind: &str,
        channels: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO notice_preferences (account_id, kind, channels, updated_at) VALUES ($1, $2, $3, $4) \
                   ON CONFLICT (account_id, kind) DO UPDATE SET channels = excluded.channels, updated_at = excluded.updated_at";
        on_conn!(self, c => sqlx::query(sql).bind(account_id).bind(kind).bind(channels).bind(now)
            .execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }

    /// Takes the lease of periodic job `name` for `holder` until `lease_until` when it is
    /// free (expired) or already `holder`'s; returns whether it is held now.
    pub async fn acquire_job_lease(
        &mut self,
        name: &str,
        holder: &str,
        now: i64,
        lease_until: i64,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO job_leases (name, holder, lease_until, last_run_at) VALUES ($1, $2, $4, 0) \
                   ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, lease_until = excluded.lease_until \
                   WHERE job_leases.lease_until <= $3 OR job_leases.holder = excluded.holder";
        let n = on_conn!(self, c => sqlx::query(sql).bind(name).bind(holder).bind(now).bind(lease_until)
            .execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(n == 1)
    }

    /// Marks a one-off job (e.g. one day's reconciliation) done for good: its lease is never
    /// granted again.
    pub async fn finish_job_for_good(
        &mut self,
        name: &str,
        holder: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE job_leases SET holder = 'done', lease_until = $3, last_run_at = $4 \
                   WHERE name = $1 AND holder = $2";
        on_conn!(self, c => sqlx::query(sql).bind(name).bind(holder).bind(i64::MAX).bind(now)
            .execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }

    /// Releases a job lease held by `holder` and records the run.
    pub async fn release_job_lease(
        &mut self,
        name: &str,
        holder: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE job_leases SET lease_until = 0, last_run_at = $3 WHERE name = $1 AND holder = $2";
        on_conn!(self, c => sqlx::query(sql).bind(name).bind(holder).bind(now)
            .execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }

    /// Up to `limit` SMS notices an older release stored with the mobile in clear:
    /// `(id, recipient)`.
    pub async fn sms_notices_in_clear(
        &mut self,
        limit: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let sql = "SELECT id, recipient FROM notice_outbox WHERE channel = 'sms' \
                   AND recipient <> '' AND recipient_sealed IS NULL ORDER BY id LIMIT $1 + 0";
        on_conn!(self, c => sqlx::query_as::<_, (String, String)>(sql).bind(limit).fetch_all(c).await.map_err(map_err))
    }

    /// Stores an SMS notice's sealed mobile and empties the plaintext column.
    pub async fn seal_sms_notice_in_clear(
        &mut self,
        id: &str,
        recipient_sealed: &[u8],
    ) -> Result<(), StoreError> {
        let sql = "UPDATE notice_outbox SET recipient_sealed = $2, recipient = '' \
                   WHERE id = $1 AND recipient_sealed IS NULL";
        on_conn!(self, c => sqlx::query(sql).bind(id).bind(recipient_sealed).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }
}

/// A count, as one row.
#[derive(sqlx::FromRow)]
struct Count {
    n: i64,
}

impl Count {
    fn from_rusqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<Count> {
        Ok(Count { n: r.get(0)? })
    }
}

/// Unread in-app notices of an account (the count in the console's top bar).
const UNREAD_NOTICES: &str = "SELECT COUNT(*) AS n FROM notice_outbox \
     WHERE account_id = $1 AND channel = 'in_app' AND read_at IS NULL";

impl Db {
    /// Unread in-app notices of an account, as one statement outside any transaction: every
    /// signed-in console page shows it.
    pub async fn unread_notices(&self, account_id: &str) -> Result<i64, StoreError> {
        let count = lone_read!(
            optional: self,
            Count,
            UNREAD_NOTICES,
            Count::from_rusqlite,
            account_id
        )?;
        Ok(count.map_or(0, |c| c.n))
    }
}
