//! Product feedback: customers post ideas and vote (once each) for the ones they want; staff
//! give each a status and a note that every customer sees. Ideas are visible to every signed-in
//! customer without their author's name: they are about the product, not about an account.

use serde_json::{Value, json};
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::ticket::{self, BODY_MAX_CHARS, SUBJECT_MAX_CHARS};
use yuming_store::FeedbackRow;

use crate::platform::audit::{self, Change};
use crate::platform::crypto::new_id;
use crate::{App, AppError, RequestContext};

/// The statuses an idea moves through.
pub const STATUSES: [&str; 5] = ["open", "planned", "in_progress", "done", "declined"];

/// Longest staff note.
const NOTE_MAX_CHARS: usize = 1000;

crate::platform::error::error_enum! {
    /// What product feedback refuses.
    pub enum FeedbackError {
        /// A title that is empty, too long or not one line.
        InvalidTitle = BadRequest("INVALID_TITLE", field = "title") => (
            format!("write a title of 1 to {SUBJECT_MAX_CHARS} characters on one line"),
            format!("请填写 1 到 {SUBJECT_MAX_CHARS} 个字符的标题（单行）"),
        ),
        /// A text that is empty or too long.
        InvalidBody = BadRequest("INVALID_BODY", field = "body") => (
            format!("write 1 to {BODY_MAX_CHARS} characters"),
            format!("请填写 1 到 {BODY_MAX_CHARS} 个字符"),
        ),
        /// Not one of [`STATUSES`].
        InvalidStatus = BadRequest("INVALID_STATUS", field = "status") => (
            "the status must be open, planned, in_progress, done or declined",
            "状态须为 open（待评估）、planned（已计划）、in_progress（开发中）、done（已上线）或 declined（暂不考虑）",
        ),
        /// A note that is too long.
        InvalidNote = BadRequest("INVALID_NOTE", field = "note") => (
            format!("the note may have up to {NOTE_MAX_CHARS} characters"),
            format!("说明最多 {NOTE_MAX_CHARS} 个字符"),
        ),
    }
}

/// An idea as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackView {
    /// Id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// One of [`STATUSES`].
    pub status: String,
    /// Votes.
    pub votes: i64,
    /// What staff said.
    pub staff_note: Option<String>,
    /// Whether the reader voted for it.
    pub voted: bool,
    /// Whether the reader's tenant posted it.
    pub mine: bool,
    /// Posted.
    pub created_at: Timestamp,
}

fn view_of(row: FeedbackRow, actor: &Actor, voted: &[String]) -> FeedbackView {
    FeedbackView {
        voted: voted.contains(&row.id),
        mine: row.owner_id == actor.tenant_id,
        id: row.id,
        title: row.title,
        body: row.body,
        status: row.status,
        votes: row.votes,
        staff_note: row.staff_note,
        created_at: Timestamp(row.created_at),
    }
}

/// The board: every idea, most votes first; `status` narrows it.
pub async fn list(
    app: &App,
    actor: &Actor,
    status: Option<&str>,
) -> Result<Vec<FeedbackView>, AppError> {
    actor.require(super::care_right(actor))?;
    let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) if STATUSES.contains(&s) => Some(s),
        Some(_) => return Err(FeedbackError::InvalidStatus.into()),
    };
    let mut tx = app.db().read().await?;
    let rows = tx.feedback_list(status, 200).await?;
    let voted = tx.feedback_voted_by(&actor.account_id).await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|row| view_of(row, actor, &voted))
        .collect())
}

/// A customer posts an idea (and counts as its first vote).
pub async fn post(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    title: &str,
    body: &str,
) -> Result<FeedbackView, AppError> {
    if actor.role.is_staff() {
        return Err(AppError::not_found());
    }
    actor.require(Right::DomainsRead)?;
    let title = ticket::checked_text(title, SUBJECT_MAX_CHARS, false)
        .map_err(|_| FeedbackError::InvalidTitle)?;
    let body =
        ticket::checked_text(body, BODY_MAX_CHARS, true).map_err(|_| FeedbackError::InvalidBody)?;
    let now = app.now().0;
    let row = FeedbackRow {
        id: new_id("fbk"),
        owner_id: actor.tenant_id.clone(),
        author_id: actor.account_id.clone(),
        title,
        body,
        status: "open".into(),
        votes: 0,
        staff_note: None,
        created_at: now,
        updated_at: now,
    };
    let mut tx = app.db().write().await?;
    tx.insert_feedback(&row).await?;
    tx.vote_feedback(&row.id, &actor.account_id, now).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "feedback.post",
            object_type: "feedback",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: Value::Null,
            after: json!({ "title": row.title }),
        },
    )
    .await?;
    let stored = tx
        .feedback(&row.id)
        .await?
        .ok_or_else(AppError::not_found)?;
    tx.commit().await?;
    Ok(view_of(stored, actor, std::slice::from_ref(&row.id)))
}

/// A customer votes for an idea; voting again changes nothing.
pub async fn vote(app: &App, actor: &Actor, id: &str) -> Result<FeedbackView, AppError> {
    if actor.role.is_staff() {
        return Err(AppError::not_found());
    }
    actor.require(Right::DomainsRead)?;
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    tx.feedback(id).await?.ok_or_else(AppError::not_found)?;
    tx.vote_feedback(id, &actor.account_id, now).await?;
    let row = tx.feedback(id).await?.ok_or_else(AppError::not_found)?;
    tx.commit().await?;
    Ok(view_of(row, actor, &[id.to_owned()]))
}

/// Staff set an idea's status and say why.
pub async fn set_status(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    status: &str,
    note: &str,
) -> Result<FeedbackView, AppError> {
    actor.require(Right::CustomerAssist)?;
    let status = STATUSES
        .into_iter()
        .find(|s| *s == status.trim())
        .ok_or(FeedbackError::InvalidStatus)?;
    let note = match note.trim() {
        "" => None,
        text => Some(
            ticket::checked_text(text, NOTE_MAX_CHARS, true)
                .map_err(|_| FeedbackError::InvalidNote)?,
        ),
    };
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    let before = tx.feedback(id).await?.ok_or_else(AppError::not_found)?;
    tx.set_feedback_status(id, status, note.as_deref(), now)
        .await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "feedback.status",
            object_type: "feedback",
            object_id: id,
            tenant: &before.owner_id,
            before: json!({ "status": before.status, "note": before.staff_note }),
            after: json!({ "status": status, "note": note }),
        },
    )
    .await?;
    let row = tx.feedback(id).await?.ok_or_else(AppError::not_found)?;
    tx.commit().await?;
    Ok(view_of(row, actor, &[]))
}
