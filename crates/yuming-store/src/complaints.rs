//! Complaints and appeals with their working-day deadlines.

use crate::db::{StoreError, Tx, map_err};

/// A complaint or appeal as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ComplaintRow {
    /// `cmp_…`.
    pub id: String,
    /// The customer (tenant).
    pub owner_id: String,
    /// The account that filed it.
    pub filed_by: String,
    /// `complaint` or `appeal`.
    pub kind: String,
    /// Subject.
    pub subject: String,
    /// The sealed text.
    pub body_sealed: Vec<u8>,
    /// What it is about (a domain, a decision's reference), as given.
    pub related: Option<String>,
    /// `received`, `acknowledged`, `answered`.
    pub status: String,
    /// When it arrived.
    pub received_at: i64,
    /// Acknowledged by then.
    pub ack_due_at: i64,
    /// Answered by then.
    pub resolution_due_at: i64,
    /// When it was acknowledged.
    pub acknowledged_at: Option<i64>,
    /// By whom.
    pub acknowledged_by: Option<String>,
    /// When it was answered.
    pub answered_at: Option<i64>,
    /// By whom.
    pub answered_by: Option<String>,
    /// The sealed final answer.
    pub answer_sealed: Option<Vec<u8>>,
    /// When the near acknowledgement deadline was escalated.
    pub ack_escalated_at: Option<i64>,
    /// When the near resolution deadline was escalated.
    pub resolution_escalated_at: Option<i64>,
    /// Last change.
    pub updated_at: i64,
    /// Abuse reports: the sealed address the reporter left for the answer.
    pub reporter_email_sealed: Option<Vec<u8>>,
}

macro_rules! complaint_columns {
    () => {
        "id, owner_id, filed_by, kind, subject, body_sealed, related, status, received_at, \
         ack_due_at, resolution_due_at, acknowledged_at, acknowledged_by, answered_at, \
         answered_by, answer_sealed, ack_escalated_at, resolution_escalated_at, updated_at, \
         reporter_email_sealed"
    };
}

impl Tx {
    /// Stores a new complaint.
    pub async fn insert_complaint(&mut self, row: &ComplaintRow) -> Result<(), StoreError> {
        let sql = concat!(
            "INSERT INTO complaints (",
            complaint_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
             $17, $18, $19, $20)"
        );
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.owner_id)
            .bind(&row.filed_by)
            .bind(&row.kind)
            .bind(&row.subject)
            .bind(&row.body_sealed)
            .bind(&row.related)
            .bind(&row.status)
            .bind(row.received_at)
            .bind(row.ack_due_at)
            .bind(row.resolution_due_at)
            .bind(row.acknowledged_at)
            .bind(&row.acknowledged_by)
            .bind(row.answered_at)
            .bind(&row.answered_by)
            .bind(&row.answer_sealed)
            .bind(row.ack_escalated_at)
            .bind(row.resolution_escalated_at)
            .bind(row.updated_at)
            .bind(&row.reporter_email_sealed)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// Writes a complaint's changeable fields back if it is still in `expected_status`;
    /// `false` when someone moved it first.
    pub async fn update_complaint(
        &mut self,
        row: &ComplaintRow,
        expected_status: &str,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE complaints SET status = $2, acknowledged_at = $3, acknowledged_by = $4, \
                   answered_at = $5, answered_by = $6, answer_sealed = $7, updated_at = $8 \
                   WHERE id = $1 AND status = $9";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.status)
            .bind(row.acknowledged_at)
            .bind(&row.acknowledged_by)
            .bind(row.answered_at)
            .bind(&row.answered_by)
            .bind(&row.answer_sealed)
            .bind(row.updated_at)
            .bind(expected_status)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// A complaint by id.
    pub async fn complaint(&mut self, id: &str) -> Result<Option<ComplaintRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            complaint_columns!(),
            " FROM complaints WHERE id = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, ComplaintRow>(sql)
            .bind(id)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// A customer's complaints, newest first.
    pub async fn complaints_of_owner(
        &mut self,
        owner_id: &str,
        limit: i64,
    ) -> Result<Vec<ComplaintRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            complaint_columns!(),
            " FROM complaints WHERE owner_id = $1 ORDER BY received_at DESC, id DESC LIMIT $2 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, ComplaintRow>(sql)
            .bind(owner_id)
            .bind(limit)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Complaints not answered yet, the nearest resolution deadline first.
    pub async fn open_complaints(&mut self, limit: i64) -> Result<Vec<ComplaintRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            complaint_columns!(),
            " FROM complaints WHERE status <> 'answered' ORDER BY resolution_due_at, id LIMIT $1 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, ComplaintRow>(sql)
            .bind(limit)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Complaints received in `[from, to)`, oldest first (the regulators' export).
    pub async fn complaints_received_between(
        &mut self,
        from: i64,
        to: i64,
        limit: i64,
    ) -> Result<Vec<ComplaintRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            complaint_columns!(),
            " FROM complaints WHERE received_at >= $1 AND received_at < $2 \
             ORDER BY received_at, id LIMIT $3 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, ComplaintRow>(sql)
            .bind(from)
            .bind(to)
            .bind(limit)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Marks a deadline of a complaint escalated (`ack` or `resolution`); `false` when it was
    /// already (another instance did it).
    pub async fn mark_complaint_escalated(
        &mut self,
        id: &str,
        ack: bool,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = if ack {
            "UPDATE complaints SET ack_escalated_at = $2 WHERE id = $1 AND ack_escalated_at IS NULL"
        } else {
            "UPDATE complaints SET resolution_escalated_at = $2 WHERE id = $1 \
             AND resolution_escalated_at IS NULL"
        };
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }
}
