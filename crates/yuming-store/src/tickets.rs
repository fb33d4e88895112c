//! Support tickets, their messages and attachments.

use crate::db::{StoreError, Tx, map_err};

/// A ticket as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TicketRow {
    /// `tkt_…`.
    pub id: String,
    /// The customer (tenant).
    pub owner_id: String,
    /// The account that opened it.
    pub opened_by: String,
    /// Category (stable name).
    pub category: String,
    /// Subject.
    pub subject: String,
    /// `low`, `normal`, `high`, `urgent`.
    pub priority: String,
    /// `open`, `answered`, `closed`.
    pub status: String,
    /// The staff member working it.
    pub assignee: Option<String>,
    /// `domain`, `order` or `filing`, when it concerns one.
    pub related_kind: Option<String>,
    /// That object's name or id.
    pub related_id: Option<String>,
    /// Staff answer first by then.
    pub first_response_due_at: i64,
    /// Resolved by then.
    pub resolution_due_at: i64,
    /// Staff's first answer.
    pub first_responded_at: Option<i64>,
    /// When a due time was found missed (alerted once).
    pub sla_breached_at: Option<i64>,
    /// When it was closed.
    pub closed_at: Option<i64>,
    /// 1 to 5, once closed.
    pub rating: Option<i64>,
    /// The customer's words with the rating.
    pub rating_comment: Option<String>,
    /// Opened.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

/// A message of a ticket's thread.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TicketMessageRow {
    /// `tkm_…`.
    pub id: String,
    /// The ticket.
    pub ticket_id: String,
    /// Its place in the thread (1, 2, …).
    pub position: i64,
    /// Who wrote it.
    pub author_id: String,
    /// Written by staff.
    pub from_staff: bool,
    /// The sealed text.
    pub body_sealed: Vec<u8>,
    /// When.
    pub created_at: i64,
}

/// An attachment of a message.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TicketAttachmentRow {
    /// `tka_…`.
    pub id: String,
    /// The ticket.
    pub ticket_id: String,
    /// The message it came with.
    pub message_id: String,
    /// The name it was uploaded under (cleaned).
    pub file_name: String,
    /// Its type, from its bytes.
    pub content_type: String,
    /// Its size.
    pub size_bytes: i64,
    /// SHA-256 of the plain bytes.
    pub sha256: String,
    /// The sealed bytes.
    pub data_sealed: Vec<u8>,
    /// When.
    pub created_at: i64,
}

macro_rules! ticket_columns {
    () => {
        "id, owner_id, opened_by, category, subject, priority, status, assignee, related_kind, \
         related_id, first_response_due_at, resolution_due_at, first_responded_at, \
         sla_breached_at, closed_at, rating, rating_comment, created_at, updated_at"
    };
}

impl Tx {
    /// Stores a new ticket.
    pub async fn insert_ticket(&mut self, row: &TicketRow) -> Result<(), StoreError> {
        let sql = concat!(
            "INSERT INTO tickets (",
            ticket_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
             $17, $18, $19)"
        );
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.owner_id)
            .bind(&row.opened_by)
            .bind(&row.category)
            .bind(&row.subject)
            .bind(&row.priority)
            .bind(&row.status)
            .bind(&row.assignee)
            .bind(&row.related_kind)
            .bind(&row.related_id)
            .bind(row.first_response_due_at)
            .bind(row.resolution_due_at)
            .bind(row.first_responded_at)
            .bind(row.sla_breached_at)
            .bind(row.closed_at)
            .bind(row.rating)
            .bind(&row.rating_comment)
            .bind(row.created_at)
            .bind(row.updated_at)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// Writes a ticket's changeable fields back, if it still has the `updated_at` it was read
    /// with; `false` when someone changed it in between.
    pub async fn update_ticket(
        &mut self,
        row: &TicketRow,
        read_at_update: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE tickets SET priority = $2, status = $3, assignee = $4, \
                   first_response_due_at = $5, resolution_due_at = $6, first_responded_at = $7, \
                   sla_breached_at = $8, closed_at = $9, rating = $10, rating_comment = $11, \
                   updated_at = $12 WHERE id = $1 AND updated_at = $13";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.priority)
            .bind(&row.status)
            .bind(&row.assignee)
            .bind(row.first_response_due_at)
            .bind(row.resolution_due_at)
            .bind(row.first_responded_at)
            .bind(row.sla_breached_at)
            .bind(row.closed_at)
            .bind(row.rating)
            .bind(&row.rating_comment)
            .bind(row.updated_at)
            .bind(read_at_update)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// A ticket by id.
    pub async fn ticket(&mut self, id: &str) -> Result<Option<TicketRow>, StoreError> {
        let sql = concat!("SELECT ", ticket_columns!(), " FROM tickets WHERE id = $1");
        on_conn!(self, c => sqlx::query_as::<_, TicketRow>(sql)
            .bind(id)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// A customer's tickets, most recently changed first; at most `limit`.
    pub async fn tickets_of_owner(
        &mut self,
        owner_id: &str,
        limit: i64,
    ) -> Result<Vec<TicketRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            ticket_columns!(),
            " FROM tickets WHERE owner_id = $1 ORDER BY updated_at DESC, id DESC LIMIT $2 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, TicketRow>(sql)
            .bind(owner_id)
            .bind(limit)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Tickets in `status`, least recently changed first (the staff queue); at most `limit`.
    pub async fn tickets_in_status(
        &mut self,
        status: &str,
        limit: i64,
    ) -> Result<Vec<TicketRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            ticket_columns!(),
            " FROM tickets WHERE status = $1 ORDER BY updated_at, id LIMIT $2 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, TicketRow>(sql)
            .bind(status)
            .bind(limit)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Tickets not closed that missed a due time at `now` and were not alerted yet.
    pub async fn tickets_past_due(
        &mut self,
        now: i64,
        limit: i64,
    ) -> Result<Vec<TicketRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            ticket_columns!(),
            " FROM tickets WHERE status <> 'closed' AND sla_breached_at IS NULL \
             AND ((first_responded_at IS NULL AND first_response_due_at < $1) \
             OR resolution_due_at < $1) ORDER BY id LIMIT $2 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, TicketRow>(sql)
            .bind(now)
            .bind(limit)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Marks a ticket's missed due time as alerted; `false` when another instance did.
    pub async fn mark_ticket_breached(&mut self, id: &str, now: i64) -> Result<bool, StoreError> {
        let sql =
            "UPDATE tickets SET sla_breached_at = $2 WHERE id = $1 AND sla_breached_at IS NULL";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// Stores a message at the end of its thread (its `position` is set here: one more than
    /// the last).
    pub async fn insert_ticket_message(
        &mut self,
        row: &TicketMessageRow,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO ticket_messages (id, ticket_id, position, author_id, from_staff, \
                   body_sealed, created_at) VALUES ($1, $2, \
                   (SELECT COALESCE(MAX(position), 0) + 1 FROM ticket_messages WHERE ticket_id = $2), \
                   $3, $4, $5, $6)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.ticket_id)
            .bind(&row.author_id)
            .bind(row.from_staff)
            .bind(&row.body_sealed)
            .bind(row.created_at)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// A ticket's messages, oldest first.
    pub async fn ticket_messages(
        &mut self,
        ticket_id: &str,
    ) -> Result<Vec<TicketMessageRow>, StoreError> {
        let sql = "SELECT id, ticket_id, position, author_id, from_staff, body_sealed, created_at \
                   FROM ticket_messages WHERE ticket_id = $1 ORDER BY position";
        on_conn!(self, c => sqlx::query_as::<_, TicketMessageRow>(sql)
            .bind(ticket_id)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Stores an attachment.
    pub async fn insert_ticket_attachment(
        &mut self,
        row: &TicketAttachmentRow,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO ticket_attachments (id, ticket_id, message_id, file_name, \
                   content_type, size_bytes, sha256, data_sealed, created_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.ticket_id)
            .bind(&row.message_id)
            .bind(&row.file_name)
            .bind(&row.content_type)
            .bind(row.size_bytes)
            .bind(&row.sha256)
            .bind(&row.data_sealed)
            .bind(row.created_at)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// A ticket's attachments (without their bytes' plaintext), oldest first.
    pub async fn ticket_attachments(
        &mut self,
        ticket_id: &str,
    ) -> Result<Vec<TicketAttachmentRow>, StoreError> {
        let sql = "SELECT id, ticket_id, message_id, file_name, content_type, size_bytes, sha256, \
                   data_sealed, created_at FROM ticket_attachments WHERE ticket_id = $1 \
                   ORDER BY created_at, id";
        on_conn!(self, c => sqlx::query_as::<_, TicketAttachmentRow>(sql)
            .bind(ticket_id)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }
}
