//! Support tickets: a customer asks (with screenshots or documents, sealed at rest like filing
//! materials), staff answer in the thread, assign, set the priority and close; each priority
//! promises a first response and a resolution time, and a missed one alerts staff once. Every
//! reply reaches the other side as a notice (e-mail and in-app for customers); a closed
//! ticket can be rated. A customer sees only their own tenant's tickets (others are 404).

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::ticket::{
    self, ATTACHMENT_MAX_BYTES, ATTACHMENTS_MAX, BODY_MAX_CHARS, COMMENT_MAX_CHARS, Category,
    Priority, SUBJECT_MAX_CHARS, Status,
};
use yuming_store::{TicketAttachmentRow, TicketMessageRow, TicketRow, Tx};

use crate::notify::notices::{self, NoticeKind, NoticeRequest};
use crate::platform::audit::{self, Change};
use crate::platform::crypto::new_id;
use crate::{App, AppError, RequestContext};

crate::platform::error::error_enum! {
    /// What the ticket use cases refuse.
    pub enum TicketError {
        /// An unknown category.
        InvalidCategory = BadRequest("INVALID_CATEGORY", field = "category") => (
            "choose a category: domains, dns, filing, billing, account or other",
            "请选择问题分类：domains、dns、filing、billing、account 或 other",
        ),
        /// An unknown priority.
        InvalidPriority = BadRequest("INVALID_PRIORITY", field = "priority") => (
            "priority must be low, normal, high or urgent",
            "优先级须为 low、normal、high 或 urgent",
        ),
        /// A subject that is empty, too long or has control characters.
        InvalidSubject = BadRequest("INVALID_SUBJECT", field = "subject") => (
            format!("write a subject of 1 to {SUBJECT_MAX_CHARS} characters on one line"),
            format!("请填写 1 到 {SUBJECT_MAX_CHARS} 个字符的标题（单行）"),
        ),
        /// A message that is empty, too long or has control characters.
        InvalidBody = BadRequest("INVALID_BODY", field = "body") => (
            format!("write a message of 1 to {BODY_MAX_CHARS} characters"),
            format!("请填写 1 到 {BODY_MAX_CHARS} 个字符的内容"),
        ),
        /// A related object that is not the customer's.
        InvalidRelated = BadRequest("INVALID_RELATED", field = "related") => (
            "the related domain, order or filing is not one of this account's",
            "关联的域名、订单或备案不属于本账户",
        ),
        /// An attachment of a type that is not allowed.
        AttachmentType = BadRequest("ATTACHMENT_TYPE", field = "attachment") => (
            "attach PNG or JPEG screenshots or PDF documents only",
            "附件仅支持 PNG、JPEG 截图或 PDF 文档",
        ),
        /// An attachment that is too large.
        AttachmentTooLarge = BadRequest("ATTACHMENT_TOO_LARGE", field = "attachment") => (
            format!("an attachment may be at most {} MB", ATTACHMENT_MAX_BYTES / (1024 * 1024)),
            format!("单个附件不能超过 {} MB", ATTACHMENT_MAX_BYTES / (1024 * 1024)),
        ),
        /// More attachments than a ticket may hold.
        TooManyAttachments = BadRequest("TOO_MANY_ATTACHMENTS", field = "attachment") => (
            format!("a ticket holds at most {ATTACHMENTS_MAX} attachments"),
            format!("每个工单最多 {ATTACHMENTS_MAX} 个附件"),
        ),
        /// A rating outside 1..=5 or with a comment that is too long.
        InvalidRating = BadRequest("INVALID_RATING", field = "rating") => (
            format!("rate from 1 to 5 stars; a comment may have up to {COMMENT_MAX_CHARS} characters"),
            format!("请评 1 到 5 星；评价内容最多 {COMMENT_MAX_CHARS} 个字符"),
        ),
        /// A rating of a ticket that is not closed, or rated already.
        NotRatable = Conflict("NOT_RATABLE") => (
            "a ticket is rated once, after it is closed",
            "工单关闭后才能评价，且只能评价一次",
        ),
        /// The ticket is closed already.
        AlreadyClosed = Conflict("TICKET_CLOSED") => (
            "this ticket is closed already",
            "该工单已关闭",
        ),
        /// An assignee who is not staff able to work tickets.
        InvalidAssignee = BadRequest("INVALID_ASSIGNEE", field = "assignee") => (
            "assign the ticket to a support or administrator account",
            "请指派给客服或管理员账户",
        ),
        /// Someone changed the ticket between reading and writing it.
        Concurrent = Conflict("TICKET_CHANGED") => (
            "the ticket changed meanwhile; reload it and try again",
            "工单已被他人更新，请刷新后重试",
        ),
    }
}

/// A new ticket as the customer fills it in.
#[derive(Debug, Clone, Default)]
pub struct NewTicket {
    /// Category (stable name).
    pub category: String,
    /// Subject.
    pub subject: String,
    /// The first message.
    pub body: String,
    /// Priority (stable name); empty means `normal`.
    pub priority: String,
    /// A domain name, an order id or a filing order id it concerns (empty: none).
    pub related: String,
}

/// A file to attach: the name it was uploaded under and its bytes.
#[derive(Clone)]
pub struct NewAttachment {
    /// Uploaded name.
    pub file_name: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

/// A ticket as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketView {
    /// Id.
    pub id: String,
    /// Customer.
    pub owner_id: String,
    /// Category.
    pub category: Category,
    /// Subject.
    pub subject: String,
    /// Priority.
    pub priority: Priority,
    /// Status.
    pub status: Status,
    /// Staff member working it.
    pub assignee: Option<String>,
    /// `domain`, `order`, `filing`.
    pub related_kind: Option<String>,
    /// The related object.
    pub related_id: Option<String>,
    /// First answer due.
    pub first_response_due_at: Timestamp,
    /// Resolution due.
    pub resolution_due_at: Timestamp,
    /// First answered.
    pub first_responded_at: Option<Timestamp>,
    /// A due time was missed (staff only see this as a flag).
    pub breached: bool,
    /// Closed.
    pub closed_at: Option<Timestamp>,
    /// Rating.
    pub rating: Option<i64>,
    /// Rating comment.
    pub rating_comment: Option<String>,
    /// Opened.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A message of the thread, opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageView {
    /// Id.
    pub id: String,
    /// From staff.
    pub from_staff: bool,
    /// The author's account (customers see staff only as "support").
    pub author_id: String,
    /// The text.
    pub body: String,
    /// When.
    pub created_at: Timestamp,
    /// Its attachments.
    pub attachments: Vec<AttachmentView>,
}

/// An attachment as listed (never its contents).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentView {
    /// Id.
    pub id: String,
    /// File name.
    pub file_name: String,
    /// Type.
    pub content_type: String,
    /// Size.
    pub size_bytes: i64,
}

/// A ticket with its thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketDetail {
    /// The ticket.
    pub ticket: TicketView,
    /// Its messages, oldest first.
    pub messages: Vec<MessageView>,
    /// The customer's e-mail (staff only).
    pub customer_email: Option<String>,
}

fn view_of(row: &TicketRow) -> Result<TicketView, AppError> {
    let corrupt = |what: &str| AppError::internal(format!("ticket {} {what}", row.id));
    Ok(TicketView {
        id: row.id.clone(),
        owner_id: row.owner_id.clone(),
        category: Category::parse(&row.category).ok_or_else(|| corrupt("category"))?,
        subject: row.subject.clone(),
        priority: Priority::parse(&row.priority).ok_or_else(|| corrupt("priority"))?,
        status: Status::parse(&row.status).ok_or_else(|| corrupt("status"))?,
        assignee: row.assignee.clone(),
        related_kind: row.related_kind.clone(),
        related_id: row.related_id.clone(),
        first_response_due_at: Timestamp(row.first_response_due_at),
        resolution_due_at: Timestamp(row.resolution_due_at),
        first_responded_at: row.first_responded_at.map(Timestamp),
        breached: row.sla_breached_at.is_some(),
        closed_at: row.closed_at.map(Timestamp),
        rating: row.rating,
        rating_comment: row.rating_comment.clone(),
        created_at: Timestamp(row.created_at),
        updated_at: Timestamp(row.updated_at),
    })
}

fn message_context(id: &str) -> String {
    format!("ticket.message:{id}")
}

fn attachment_context(id: &str) -> String {
    format!("ticket.attachment:{id}")
}

/// The ticket `id` if `actor` may see it (another tenant's is 404).
async fn authorized(tx: &mut Tx, actor: &Actor, id: &str) -> Result<TicketRow, AppError> {
    let row = tx.ticket(id).await?.ok_or_else(AppError::not_found)?;
    actor.authorize(&row.owner_id, super::care_right(actor))?;
    Ok(row)
}

/// Checks the files before anything is written: allowed type, size and count.
fn check_attachments(files: &[NewAttachment], already: usize) -> Result<(), AppError> {
    if already + files.len() > ATTACHMENTS_MAX {
        return Err(TicketError::TooManyAttachments.into());
    }
    for file in files {
        if file.bytes.len() > ATTACHMENT_MAX_BYTES {
            return Err(TicketError::AttachmentTooLarge.into());
        }
        if ticket::attachment_type(&file.bytes).is_none() {
            return Err(TicketError::AttachmentType.into());
        }
    }
    Ok(())
}

/// Writes a message and its attachments (sealed) in `tx`.
async fn write_message(
    app: &App,
    tx: &mut Tx,
    ticket_id: &str,
    author: &Actor,
    body: &str,
    files: &[NewAttachment],
    now: i64,
) -> Result<String, AppError> {
    let id = new_id("tkm");
    tx.insert_ticket_message(&TicketMessageRow {
        id: id.clone(),
        ticket_id: ticket_id.to_owned(),
        position: 0,
        author_id: author.account_id.clone(),
        from_staff: author.role.is_staff(),
        body_sealed: app.cipher().seal(body.as_bytes(), &message_context(&id)),
        created_at: now,
    })
    .await?;
    for file in files {
        let attachment = new_id("tka");
        tx.insert_ticket_attachment(&TicketAttachmentRow {
            id: attachment.clone(),
            ticket_id: ticket_id.to_owned(),
            message_id: id.clone(),
            file_name: ticket::clean_file_name(&file.file_name),
            content_type: ticket::attachment_type(&file.bytes)
                .unwrap_or("application/octet-stream")
                .to_owned(),
            size_bytes: i64::try_from(file.bytes.len()).unwrap_or(i64::MAX),
            sha256: hex::encode(Sha256::digest(&file.bytes)),
            data_sealed: app
                .cipher()
                .seal(&file.bytes, &attachment_context(&attachment)),
            created_at: now,
        })
        .await?;
    }
    Ok(id)
}

/// Checks that `related` names a domain, an order or a filing order of `tenant`; returns its
/// kind and id.
async fn related_of(
    tx: &mut Tx,
    tenant: &str,
    related: &str,
) -> Result<Option<(String, String)>, AppError> {
    let related = related.trim();
    if related.is_empty() {
        return Ok(None);
    }
    if related.starts_with("ord_") {
        return match tx.order(related).await? {
            Some(order) if order.owner_id == tenant => Ok(Some(("order".into(), order.id))),
            _ => Err(TicketError::InvalidRelated.into()),
        };
    }
    if let Some(order) = tx.filing_order(related).await?
        && order.owner_id == tenant
    {
        return Ok(Some(("filing".into(), order.id)));
    }
    use yuming_core::rules::domain_name::{DomainName, DomainPolicy};
    let name = related.trim_end_matches('.').to_lowercase();
    let ascii = DomainName::parse(&name, &DomainPolicy::GENERIC)
        .map_or_else(|_| name.clone(), |valid| valid.value.ascii().to_owned());
    match tx.domain_by_name(&ascii).await? {
        Some(domain) if domain.owner_id == tenant => Ok(Some(("domain".into(), domain.name))),
        _ => Err(TicketError::InvalidRelated.into()),
    }
}

/// A customer opens a ticket with its first message and attachments (all or nothing).
pub async fn open(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    input: &NewTicket,
    files: Vec<NewAttachment>,
) -> Result<TicketView, AppError> {
    if actor.role.is_staff() {
        return Err(AppError::not_found());
    }
    actor.require(Right::DomainsRead)?;
    let category = Category::parse(input.category.trim()).ok_or(TicketError::InvalidCategory)?;
    let priority = match input.priority.trim() {
        "" => Priority::Normal,
        other => Priority::parse(other).ok_or(TicketError::InvalidPriority)?,
    };
    let subject = ticket::checked_text(&input.subject, SUBJECT_MAX_CHARS, false)
        .map_err(|_| TicketError::InvalidSubject)?;
    let body = ticket::checked_text(&input.body, BODY_MAX_CHARS, true)
        .map_err(|_| TicketError::InvalidBody)?;
    check_attachments(&files, 0)?;
    let now = app.now();
    let (first_due, resolution_due) = priority.due_from(now);
    let mut tx = app.db().write().await?;
    let related = related_of(&mut tx, &actor.tenant_id, &input.related).await?;
    let row = TicketRow {
        id: new_id("tkt"),
        owner_id: actor.tenant_id.clone(),
        opened_by: actor.account_id.clone(),
        category: category.as_str().to_owned(),
        subject,
        priority: priority.as_str().to_owned(),
        status: Status::Open.as_str().to_owned(),
        assignee: None,
        related_kind: related.as_ref().map(|(kind, _)| kind.clone()),
        related_id: related.map(|(_, id)| id),
        first_response_due_at: first_due.0,
        resolution_due_at: resolution_due.0,
        first_responded_at: None,
        sla_breached_at: None,
        closed_at: None,
        rating: None,
        rating_comment: None,
        created_at: now.0,
        updated_at: now.0,
    };
    tx.insert_ticket(&row).await?;
    write_message(app, &mut tx, &row.id, actor, &body, &files, now.0).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "ticket.open",
            object_type: "ticket",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: Value::Null,
            after: json!({ "category": row.category, "priority": row.priority,
                           "attachments": files.len() }),
        },
    )
    .await?;
    tx.commit().await?;
    view_of(&row)
}

/// The customer's tickets (staff: use [`queue`]), most recently changed first.
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<TicketView>, AppError> {
    actor.require(super::care_right(actor))?;
    let mut tx = app.db().read().await?;
    let rows = tx.tickets_of_owner(&actor.tenant_id, 200).await?;
    tx.commit().await?;
    rows.iter().map(view_of).collect()
}

/// Staff's queue: tickets in `status` (open ones wait for staff), least recently changed
/// first.
pub async fn queue(app: &App, actor: &Actor, status: Status) -> Result<Vec<TicketView>, AppError> {
    actor.require(Right::CustomerAssist)?;
    let mut tx = app.db().read().await?;
    let rows = tx.tickets_in_status(status.as_str(), 200).await?;
    tx.commit().await?;
    rows.iter().map(view_of).collect()
}

/// A customer's tickets as staff see them (the customer detail page).
pub async fn of_customer(
    app: &App,
    actor: &Actor,
    tenant: &str,
) -> Result<Vec<TicketView>, AppError> {
    actor.require(Right::CustomerAssist)?;
    let mut tx = app.db().read().await?;
    let rows = tx.tickets_of_owner(tenant, 50).await?;
    tx.commit().await?;
    rows.iter().map(view_of).collect()
}

/// A ticket with its thread.
pub async fn get(app: &App, actor: &Actor, id: &str) -> Result<TicketDetail, AppError> {
    let mut tx = app.db().read().await?;
    let row = authorized(&mut tx, actor, id).await?;
    let messages = tx.ticket_messages(&row.id).await?;
    let attachments = tx.ticket_attachments(&row.id).await?;
    let customer_email = if actor.role.is_staff() {
        tx.account_by_id(&row.owner_id).await?.map(|a| a.email)
    } else {
        None
    };
    tx.commit().await?;
    let messages = messages
        .into_iter()
        .map(|m| {
            let body = app
                .cipher()
                .open(&m.body_sealed, &message_context(&m.id))
                .map_err(|e| AppError::internal(format!("ticket message {}: {e}", m.id)))?;
            Ok(MessageView {
                body: String::from_utf8_lossy(&body).into_owned(),
                attachments: attachments
                    .iter()
                    .filter(|a| a.message_id == m.id)
                    .map(|a| AttachmentView {
                        id: a.id.clone(),
                        file_name: a.file_name.clone(),
                        content_type: a.content_type.clone(),
                        size_bytes: a.size_bytes,
                    })
                    .collect(),
                id: m.id,
                from_staff: m.from_staff,
                author_id: m.author_id,
                created_at: Timestamp(m.created_at),
            })
        })
        .collect::<Result<Vec<_>, AppError>>()?;
    Ok(TicketDetail {
        ticket: view_of(&row)?,
        messages,
        customer_email,
    })
}

/// An attachment's name, type and plain bytes (the customer, or staff).
pub async fn attachment(
    app: &App,
    actor: &Actor,
    ticket_id: &str,
    attachment_id: &str,
) -> Result<(String, String, Vec<u8>), AppError> {
    let mut tx = app.db().read().await?;
    let row = authorized(&mut tx, actor, ticket_id).await?;
    let found = tx
        .ticket_attachments(&row.id)
        .await?
        .into_iter()
        .find(|a| a.id == attachment_id)
        .ok_or_else(AppError::not_found)?;
    tx.commit().await?;
    let bytes = app
        .cipher()
        .open(&found.data_sealed, &attachment_context(&found.id))
        .map_err(|e| AppError::internal(format!("ticket attachment {}: {e}", found.id)))?;
    Ok((found.file_name, found.content_type, bytes))
}

/// Adds a message to the thread (the customer or staff), with attachments; the ticket moves
/// to the other side (a customer's message reopens a closed ticket), staff's first answer is
/// recorded, and the other side is notified.
pub async fn reply(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    body: &str,
    files: Vec<NewAttachment>,
) -> Result<TicketView, AppError> {
    let body =
        ticket::checked_text(body, BODY_MAX_CHARS, true).map_err(|_| TicketError::InvalidBody)?;
    let now = app.now();
    let mut tx = app.db().write().await?;
    let mut row = authorized(&mut tx, actor, id).await?;
    let attached = tx.ticket_attachments(&row.id).await?.len();
    check_attachments(&files, attached)?;
    let from_staff = actor.role.is_staff();
    let before = row.status.clone();
    let read_at = row.updated_at;
    let status = Status::parse(&row.status).unwrap_or(Status::Open);
    if status == Status::Closed && from_staff {
        return Err(TicketError::AlreadyClosed.into());
    }
    if status == Status::Closed {
        // Reopened: a new resolution time from now, the old rating no longer stands.
        let priority = Priority::parse(&row.priority).unwrap_or(Priority::Normal);
        row.resolution_due_at = priority.due_from(now).1.0;
        row.closed_at = None;
        row.rating = None;
        row.rating_comment = None;
        row.sla_breached_at = None;
    }
    row.status = status.after_message(from_staff).as_str().to_owned();
    if from_staff && row.first_responded_at.is_none() {
        row.first_responded_at = Some(now.0);
    }
    if from_staff && row.assignee.is_none() {
        row.assignee = Some(actor.account_id.clone());
    }
    row.updated_at = now.0.max(read_at + 1);
    if !tx.update_ticket(&row, read_at).await? {
        return Err(TicketError::Concurrent.into());
    }
    let message = write_message(app, &mut tx, &row.id, actor, &body, &files, now.0).await?;
    notify_other_side(&mut tx, &row, from_staff, &message, now.0).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "ticket.reply",
            object_type: "ticket",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: json!({ "status": before }),
            after: json!({ "status": row.status, "message": message,
                           "attachments": files.len() }),
        },
    )
    .await?;
    tx.commit().await?;
    view_of(&row)
}

/// A staff answer reaches the customer (e-mail and in-app, as their preferences say); a
/// customer's message reaches the assignee in the inbox.
async fn notify_other_side(
    tx: &mut Tx,
    row: &TicketRow,
    from_staff: bool,
    message: &str,
    now: i64,
) -> Result<(), AppError> {
    let (account, subject_zh, body_zh, subject_en, body_en) = if from_staff {
        (
            row.owner_id.clone(),
            format!("工单“{}”有新回复", row.subject),
            format!(
                "客服回复了您的工单“{}”（{}），请在控制台“工单”中查看。",
                row.subject, row.id
            ),
            format!("New reply to your ticket “{}”", row.subject),
            format!(
                "Support replied to your ticket “{}” ({}); read it under Tickets in the console.",
                row.subject, row.id
            ),
        )
    } else if let Some(assignee) = &row.assignee {
        (
            assignee.clone(),
            format!("客户回复了工单“{}”", row.subject),
            format!("客户在工单 {} 中有新消息。", row.id),
            format!("The customer wrote on ticket “{}”", row.subject),
            format!("The customer added a message to ticket {}.", row.id),
        )
    } else {
        return Ok(());
    };
    let mut params = Map::new();
    params.insert("subject".into(), Value::String(subject_zh));
    params.insert("body".into(), Value::String(body_zh));
    params.insert("subject_en".into(), Value::String(subject_en));
    params.insert("body_en".into(), Value::String(body_en));
    params.insert("ticket".into(), Value::String(row.id.clone()));
    notices::enqueue(
        tx,
        &NoticeRequest {
            account_id: account,
            kind: NoticeKind::Generic,
            occasion: format!("ticket:{}:{message}", row.id),
            params,
            sms_to: None,
        },
        now,
    )
    .await?;
    Ok(())
}

/// What staff change on a ticket.
#[derive(Debug, Clone, Default)]
pub struct TicketChange {
    /// A new priority (its due times are counted again from when the ticket was opened).
    pub priority: Option<String>,
    /// A new assignee (a staff account id; empty takes it off anyone).
    pub assignee: Option<String>,
}

/// Staff set the priority or the assignee.
pub async fn update(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    change: &TicketChange,
) -> Result<TicketView, AppError> {
    actor.require(Right::CustomerAssist)?;
    let now = app.now();
    let mut tx = app.db().write().await?;
    let mut row = authorized(&mut tx, actor, id).await?;
    let before = json!({ "priority": row.priority, "assignee": row.assignee });
    let read_at = row.updated_at;
    if let Some(priority) = &change.priority {
        let priority = Priority::parse(priority.trim()).ok_or(TicketError::InvalidPriority)?;
        let (first, resolution) = priority.due_from(Timestamp(row.created_at));
        row.priority = priority.as_str().to_owned();
        row.first_response_due_at = first.0;
        row.resolution_due_at = resolution.0;
    }
    if let Some(assignee) = &change.assignee {
        let assignee = assignee.trim();
        row.assignee = if assignee.is_empty() {
            None
        } else {
            let account = tx
                .account_by_id(assignee)
                .await?
                .ok_or(TicketError::InvalidAssignee)?;
            let works_tickets = yuming_core::access::Role::parse(&account.role)
                .is_some_and(|r| r.is_staff() && r.rights().contains(Right::CustomerAssist));
            if !works_tickets || account.status != "active" {
                return Err(TicketError::InvalidAssignee.into());
            }
            Some(account.id)
        };
    }
    row.updated_at = now.0.max(read_at + 1);
    if !tx.update_ticket(&row, read_at).await? {
        return Err(TicketError::Concurrent.into());
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "ticket.update",
            object_type: "ticket",
            object_id: &row.id,
            tenant: &row.owner_id,
            before,
            after: json!({ "priority": row.priority, "assignee": row.assignee }),
        },
    )
    .await?;
    tx.commit().await?;
    view_of(&row)
}

/// Closes a ticket (the customer, or staff).
pub async fn close(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<TicketView, AppError> {
    let now = app.now();
    let mut tx = app.db().write().await?;
    let mut row = authorized(&mut tx, actor, id).await?;
    if row.status == Status::Closed.as_str() {
        return Err(TicketError::AlreadyClosed.into());
    }
    let read_at = row.updated_at;
    let before = row.status.clone();
    row.status = Status::Closed.as_str().to_owned();
    row.closed_at = Some(now.0);
    row.updated_at = now.0.max(read_at + 1);
    if !tx.update_ticket(&row, read_at).await? {
        return Err(TicketError::Concurrent.into());
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "ticket.close",
            object_type: "ticket",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: json!({ "status": before }),
            after: json!({ "status": row.status }),
        },
    )
    .await?;
    tx.commit().await?;
    view_of(&row)
}

/// The customer rates a closed ticket, once.
pub async fn rate(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    stars: i64,
    comment: &str,
) -> Result<TicketView, AppError> {
    if actor.role.is_staff() {
        return Err(AppError::not_found());
    }
    let comment = comment.trim();
    if !ticket::valid_rating(stars)
        || comment.chars().count() > COMMENT_MAX_CHARS
        || comment
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r'))
    {
        return Err(TicketError::InvalidRating.into());
    }
    let now = app.now();
    let mut tx = app.db().write().await?;
    let mut row = authorized(&mut tx, actor, id).await?;
    if row.status != Status::Closed.as_str() || row.rating.is_some() {
        return Err(TicketError::NotRatable.into());
    }
    let read_at = row.updated_at;
    row.rating = Some(stars);
    row.rating_comment = (!comment.is_empty()).then(|| comment.to_owned());
    row.updated_at = now.0.max(read_at + 1);
    if !tx.update_ticket(&row, read_at).await? {
        return Err(TicketError::NotRatable.into());
    }
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "ticket.rate",
            object_type: "ticket",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: Value::Null,
            after: json!({ "rating": stars }),
        },
    )
    .await?;
    tx.commit().await?;
    view_of(&row)
}

/// Finds tickets that missed their first-response or resolution time and alerts once per
/// ticket: the assignee, or every active support person and administrator when nobody has
/// it. Run by the scheduler; each ticket is marked in its own transaction, so instances do
/// not alert twice. Returns how many tickets were found late.
pub async fn sla_sweep(app: &App) -> Result<usize, AppError> {
    let now = app.now().0;
    let mut tx = app.db().read().await?;
    let late = tx.tickets_past_due(now, 200).await?;
    // Most ticks find nothing late: the staff list is read only when someone is to be told.
    if late.is_empty() {
        tx.commit().await?;
        return Ok(0);
    }
    let staff = tx.staff_accounts(1_000).await?;
    tx.commit().await?;
    let workers: Vec<String> = staff
        .into_iter()
        .filter(|a| {
            a.status == "active"
                && yuming_core::access::Role::parse(&a.role)
                    .is_some_and(|r| r.rights().contains(Right::CustomerAssist))
        })
        .map(|a| a.id)
        .collect();
    let mut alerted = 0;
    for row in late {
        let mut tx = app.db().write().await?;
        if !tx.mark_ticket_breached(&row.id, now).await? {
            continue;
        }
        let which = if row.first_responded_at.is_none() && row.first_response_due_at < now {
            ("首次响应", "first response")
        } else {
            ("解决", "resolution")
        };
        let recipients = match &row.assignee {
            Some(assignee) => vec![assignee.clone()],
            None => workers.clone(),
        };
        for account in recipients {
            let mut params = Map::new();
            params.insert(
                "subject".into(),
                Value::String(format!("工单超时：{}", row.subject)),
            );
            params.insert(
                "body".into(),
                Value::String(format!(
                    "工单 {}（优先级 {}）已超过{}时限，请尽快处理。",
                    row.id, row.priority, which.0
                )),
            );
            params.insert(
                "subject_en".into(),
                Value::String(format!("Ticket overdue: {}", row.subject)),
            );
            params.insert(
                "body_en".into(),
                Value::String(format!(
                    "Ticket {} (priority {}) is past its {} time; please handle it now.",
                    row.id, row.priority, which.1
                )),
            );
            notices::enqueue(
                &mut tx,
                &NoticeRequest {
                    account_id: account,
                    kind: NoticeKind::Generic,
                    occasion: format!("ticket-sla:{}:{now}", row.id),
                    params,
                    sms_to: None,
                },
                now,
            )
            .await?;
        }
        tx.commit().await?;
        alerted += 1;
    }
    Ok(alerted)
}
