//! Complaints and appeals (投诉 / 申诉): a separate flow from tickets, with statutory-style
//! deadlines in working days (China's calendar with its public holidays and worked weekends):
//! acknowledgement within 1 working day, a final written answer within the configured number
//! (`[care] complaint_resolution_working_days`, default 15). A deadline that is near (or
//! passed) is escalated once to the supervisors (administrators); the regulators get a CSV of
//! every complaint of a period with whether each deadline was kept.

use serde_json::{Map, Value, json};
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::ticket::{self, BODY_MAX_CHARS, SUBJECT_MAX_CHARS};
use yuming_store::{ComplaintRow, Tx};

use crate::notify::notices::{self, NoticeKind, NoticeRequest};
use crate::platform::audit::{self, Change};
use crate::platform::crypto::new_id;
use crate::{App, AppError, RequestContext};

crate::platform::error::error_enum! {
    /// What the complaint use cases refuse.
    pub enum ComplaintError {
        /// Neither `complaint` nor `appeal`.
        InvalidKind = BadRequest("INVALID_KIND", field = "kind") => (
            "kind must be complaint (投诉) or appeal (申诉)",
            "类型须为 complaint（投诉）或 appeal（申诉）",
        ),
        /// A subject that is empty, too long or has control characters.
        InvalidSubject = BadRequest("INVALID_SUBJECT", field = "subject") => (
            format!("write a subject of 1 to {SUBJECT_MAX_CHARS} characters on one line"),
            format!("请填写 1 到 {SUBJECT_MAX_CHARS} 个字符的标题（单行）"),
        ),
        /// A text that is empty, too long or has control characters.
        InvalidBody = BadRequest("INVALID_BODY", field = "body") => (
            format!("write 1 to {BODY_MAX_CHARS} characters"),
            format!("请填写 1 到 {BODY_MAX_CHARS} 个字符"),
        ),
        /// A reference that is too long.
        InvalidRelated = BadRequest("INVALID_RELATED", field = "related") => (
            "the reference may have up to 200 characters on one line",
            "关联信息最多 200 个字符（单行）",
        ),
        /// The complaint is not in a state for this step (acknowledged or answered already).
        WrongStep = Conflict("COMPLAINT_STEP") => (
            "this complaint has moved on already; reload it",
            "该投诉已进入下一步，请刷新后查看",
        ),
    }
}

/// Hours before the acknowledgement deadline at which it is escalated.
const ACK_ESCALATE_BEFORE_SECS: i64 = 4 * 3600;
/// Hours before the resolution deadline at which it is escalated.
const RESOLUTION_ESCALATE_BEFORE_SECS: i64 = 24 * 3600;

/// A complaint as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintView {
    /// Id.
    pub id: String,
    /// The customer.
    pub owner_id: String,
    /// `complaint` or `appeal`.
    pub kind: String,
    /// Subject.
    pub subject: String,
    /// The text.
    pub body: String,
    /// What it concerns.
    pub related: Option<String>,
    /// `received`, `acknowledged`, `answered`.
    pub status: String,
    /// Received.
    pub received_at: Timestamp,
    /// Acknowledged by then.
    pub ack_due_at: Timestamp,
    /// Answered by then.
    pub resolution_due_at: Timestamp,
    /// Acknowledged.
    pub acknowledged_at: Option<Timestamp>,
    /// Answered.
    pub answered_at: Option<Timestamp>,
    /// The final written answer.
    pub answer: Option<String>,
    /// A deadline was escalated to the supervisors.
    pub escalated: bool,
}

pub(super) fn body_context(id: &str) -> String {
    format!("complaint.body:{id}")
}

fn answer_context(id: &str) -> String {
    format!("complaint.answer:{id}")
}

/// The sealing context of an abuse reporter's address.
pub(super) fn reporter_context(id: &str) -> String {
    format!("complaint.reporter:{id}")
}

fn view_of(app: &App, row: &ComplaintRow) -> Result<ComplaintView, AppError> {
    let open = |sealed: &[u8], context: &str| {
        app.cipher()
            .open(sealed, context)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|e| AppError::internal(format!("complaint {}: {e}", row.id)))
    };
    Ok(ComplaintView {
        id: row.id.clone(),
        owner_id: row.owner_id.clone(),
        kind: row.kind.clone(),
        subject: row.subject.clone(),
        body: open(&row.body_sealed, &body_context(&row.id))?,
        related: row.related.clone(),
        status: row.status.clone(),
        received_at: Timestamp(row.received_at),
        ack_due_at: Timestamp(row.ack_due_at),
        resolution_due_at: Timestamp(row.resolution_due_at),
        acknowledged_at: row.acknowledged_at.map(Timestamp),
        answered_at: row.answered_at.map(Timestamp),
        answer: row
            .answer_sealed
            .as_deref()
            .map(|sealed| open(sealed, &answer_context(&row.id)))
            .transpose()?,
        escalated: row.ack_escalated_at.is_some() || row.resolution_escalated_at.is_some(),
    })
}

async fn authorized(tx: &mut Tx, actor: &Actor, id: &str) -> Result<ComplaintRow, AppError> {
    let row = tx.complaint(id).await?.ok_or_else(AppError::not_found)?;
    actor.authorize(&row.owner_id, super::care_right(actor))?;
    Ok(row)
}

/// A customer files a complaint or an appeal; its deadlines are set from now.
pub async fn file(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    kind: &str,
    subject: &str,
    body: &str,
    related: &str,
) -> Result<ComplaintView, AppError> {
    if actor.role.is_staff() {
        return Err(AppError::not_found());
    }
    actor.require(Right::DomainsRead)?;
    let kind = match kind.trim() {
        "complaint" => "complaint",
        "appeal" => "appeal",
        _ => return Err(ComplaintError::InvalidKind.into()),
    };
    let subject = ticket::checked_text(subject, SUBJECT_MAX_CHARS, false)
        .map_err(|_| ComplaintError::InvalidSubject)?;
    let body = ticket::checked_text(body, BODY_MAX_CHARS, true)
        .map_err(|_| ComplaintError::InvalidBody)?;
    let related = match related.trim() {
        "" => None,
        text => Some(
            ticket::checked_text(text, 200, false).map_err(|_| ComplaintError::InvalidRelated)?,
        ),
    };
    let now = app.now();
    let calendar = &app.settings().work_calendar;
    let id = new_id("cmp");
    let row = ComplaintRow {
        body_sealed: app.cipher().seal(body.as_bytes(), &body_context(&id)),
        id,
        owner_id: actor.tenant_id.clone(),
        filed_by: actor.account_id.clone(),
        kind: kind.to_owned(),
        subject,
        related,
        status: "received".into(),
        received_at: now.0,
        ack_due_at: calendar.deadline(now, 1).0,
        resolution_due_at: calendar
            .deadline(now, app.settings().complaint_resolution_working_days.max(1))
            .0,
        acknowledged_at: None,
        acknowledged_by: None,
        answered_at: None,
        answered_by: None,
        answer_sealed: None,
        ack_escalated_at: None,
        resolution_escalated_at: None,
        updated_at: now.0,
        reporter_email_sealed: None,
    };
    let mut tx = app.db().write().await?;
    tx.insert_complaint(&row).await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "complaint.file",
            object_type: "complaint",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: Value::Null,
            after: json!({ "kind": row.kind, "ack_due_at": row.ack_due_at,
                           "resolution_due_at": row.resolution_due_at }),
        },
    )
    .await?;
    tx.commit().await?;
    view_of(app, &row)
}

/// The customer's complaints, newest first.
pub async fn list(app: &App, actor: &Actor) -> Result<Vec<ComplaintView>, AppError> {
    actor.require(super::care_right(actor))?;
    let mut tx = app.db().read().await?;
    let rows = tx.complaints_of_owner(&actor.tenant_id, 100).await?;
    tx.commit().await?;
    rows.iter().map(|r| view_of(app, r)).collect()
}

/// Staff's queue: complaints not answered, the nearest deadline first.
pub async fn queue(app: &App, actor: &Actor) -> Result<Vec<ComplaintView>, AppError> {
    actor.require(Right::CustomerAssist)?;
    let mut tx = app.db().read().await?;
    let rows = tx.open_complaints(200).await?;
    tx.commit().await?;
    rows.iter().map(|r| view_of(app, r)).collect()
}

/// One complaint (its customer, or staff).
pub async fn get(app: &App, actor: &Actor, id: &str) -> Result<ComplaintView, AppError> {
    let mut tx = app.db().read().await?;
    let row = authorized(&mut tx, actor, id).await?;
    tx.commit().await?;
    view_of(app, &row)
}

/// Tells the customer about a step of their complaint (e-mail and in-app).
/// An abuse report has no customer: its reporter hears by e-mail when they left an address
/// (the answer itself included, as they have no console), and no one otherwise.
#[allow(
    clippy::too_many_arguments,
    reason = "the step's texts for customer and reporter"
)]
async fn tell_customer(
    app: &App,
    tx: &mut Tx,
    sender: &str,
    row: &ComplaintRow,
    step: &str,
    zh: String,
    en: String,
    reporter: (String, String),
    now: i64,
) -> Result<(), AppError> {
    if row.owner_id.is_empty() {
        let Some(sealed) = &row.reporter_email_sealed else {
            return Ok(());
        };
        let to = app
            .cipher()
            .open(sealed, &reporter_context(&row.id))
            .map_err(|e| AppError::internal(format!("complaint {}: reporter: {e}", row.id)))?;
        let to = String::from_utf8_lossy(&to);
        let (zh, en) = reporter;
        notices::enqueue_outside_email(
            tx,
            app.cipher(),
            sender,
            &to,
            &format!("complaint:{}:{step}", row.id),
            "zh-CN",
            &format!("您的举报 / Your abuse report: {}", row.subject),
            &format!("{zh}\n\n{en}"),
            now,
        )
        .await?;
        return Ok(());
    }
    let mut params = Map::new();
    params.insert(
        "subject".into(),
        Value::String(format!("您的投诉/申诉：{}", row.subject)),
    );
    params.insert("body".into(), Value::String(zh));
    params.insert(
        "subject_en".into(),
        Value::String(format!("Your complaint: {}", row.subject)),
    );
    params.insert("body_en".into(), Value::String(en));
    notices::enqueue(
        tx,
        &NoticeRequest {
            account_id: row.owner_id.clone(),
            kind: NoticeKind::Generic,
            occasion: format!("complaint:{}:{step}", row.id),
            params,
            sms_to: None,
        },
        now,
    )
    .await?;
    Ok(())
}

/// Staff acknowledge a complaint (受理); the customer hears when the answer is due.
pub async fn acknowledge(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
) -> Result<ComplaintView, AppError> {
    actor.require(Right::CustomerAssist)?;
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    let mut row = authorized(&mut tx, actor, id).await?;
    if row.status != "received" {
        return Err(ComplaintError::WrongStep.into());
    }
    row.status = "acknowledged".into();
    row.acknowledged_at = Some(now);
    row.acknowledged_by = Some(actor.account_id.clone());
    row.updated_at = now;
    if !tx.update_complaint(&row, "received").await? {
        return Err(ComplaintError::WrongStep.into());
    }
    let due = yuming_core::calendar::china_datetime(Timestamp(row.resolution_due_at));
    tell_customer(
        app,
        &mut tx,
        &actor.account_id,
        &row,
        "acknowledged",
        format!(
            "我们已受理您的投诉/申诉（{}），将于 {due} 前给出书面答复。",
            row.id
        ),
        format!(
            "We have taken up your complaint ({}) and will answer in writing by {due}.",
            row.id
        ),
        (
            format!("我们已受理您的举报（{}），将于 {due} 前答复。", row.id),
            format!(
                "We have taken up your report ({}) and will answer by {due}.",
                row.id
            ),
        ),
        now,
    )
    .await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "complaint.acknowledge",
            object_type: "complaint",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: json!({ "status": "received" }),
            after: json!({ "status": row.status }),
        },
    )
    .await?;
    tx.commit().await?;
    view_of(app, &row)
}

/// Staff give the final written answer (acknowledging it too, if that was not done).
pub async fn answer(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    id: &str,
    text: &str,
) -> Result<ComplaintView, AppError> {
    actor.require(Right::CustomerAssist)?;
    let text = ticket::checked_text(text, BODY_MAX_CHARS, true)
        .map_err(|_| ComplaintError::InvalidBody)?;
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    let mut row = authorized(&mut tx, actor, id).await?;
    let before = row.status.clone();
    if before == "answered" {
        return Err(ComplaintError::WrongStep.into());
    }
    if row.acknowledged_at.is_none() {
        row.acknowledged_at = Some(now);
        row.acknowledged_by = Some(actor.account_id.clone());
    }
    row.status = "answered".into();
    row.answered_at = Some(now);
    row.answered_by = Some(actor.account_id.clone());
    row.answer_sealed = Some(app.cipher().seal(text.as_bytes(), &answer_context(&row.id)));
    row.updated_at = now;
    if !tx.update_complaint(&row, &before).await? {
        return Err(ComplaintError::WrongStep.into());
    }
    tell_customer(
        app,
        &mut tx,
        &actor.account_id,
        &row,
        "answered",
        format!(
            "您的投诉/申诉（{}）已有书面答复，请在控制台“投诉与申诉”中查看。",
            row.id
        ),
        format!(
            "Your complaint ({}) has a written answer; read it under Complaints in the console.",
            row.id
        ),
        (
            format!("关于您的举报（{}），我们的答复如下：\n\n{text}", row.id),
            format!("Our answer to your report ({}):\n\n{text}", row.id),
        ),
        now,
    )
    .await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "complaint.answer",
            object_type: "complaint",
            object_id: &row.id,
            tenant: &row.owner_id,
            before: json!({ "status": before }),
            after: json!({ "status": row.status }),
        },
    )
    .await?;
    tx.commit().await?;
    view_of(app, &row)
}

/// Escalates complaints whose acknowledgement or answer deadline is near (or passed) to every
/// active administrator, once per deadline. Run by the scheduler; returns how many deadlines
/// were escalated.
pub async fn escalate(app: &App) -> Result<usize, AppError> {
    let now = app.now().0;
    let mut tx = app.db().read().await?;
    let open = tx.open_complaints(500).await?;
    // The deadlines to escalate now: (complaint, acknowledgement or resolution).
    let due: Vec<(ComplaintRow, bool)> = open
        .into_iter()
        .flat_map(|row| {
            let ack_near = row.acknowledged_at.is_none()
                && row.ack_escalated_at.is_none()
                && now >= row.ack_due_at - ACK_ESCALATE_BEFORE_SECS;
            let resolution_near = row.resolution_escalated_at.is_none()
                && now >= row.resolution_due_at - RESOLUTION_ESCALATE_BEFORE_SECS;
            [(true, ack_near), (false, resolution_near)]
                .into_iter()
                .filter(|(_, near)| *near)
                .map(move |(ack, _)| (row.clone(), ack))
        })
        .collect();
    // Most ticks escalate nothing: the supervisors are read only when someone is to be told.
    if due.is_empty() {
        tx.commit().await?;
        return Ok(0);
    }
    let supervisors: Vec<String> = tx
        .staff_accounts(1_000)
        .await?
        .into_iter()
        .filter(|a| a.status == "active" && a.role == "admin")
        .map(|a| a.id)
        .collect();
    tx.commit().await?;
    let mut escalated = 0;
    for (row, ack) in due {
        let mut tx = app.db().write().await?;
        if !tx.mark_complaint_escalated(&row.id, ack, now).await? {
            continue;
        }
        let due = Timestamp(if ack {
            row.ack_due_at
        } else {
            row.resolution_due_at
        });
        let due_text = yuming_core::calendar::china_datetime(due);
        let (what_zh, what_en) = if ack {
            ("受理", "acknowledgement")
        } else {
            ("书面答复", "written answer")
        };
        let state_zh = if now > due.0 {
            "已超期"
        } else {
            "即将到期"
        };
        let state_en = if now > due.0 {
            "is overdue"
        } else {
            "is due soon"
        };
        for supervisor in &supervisors {
            let mut params = Map::new();
            params.insert(
                "subject".into(),
                Value::String(format!("投诉{what_zh}{state_zh}：{}", row.subject)),
            );
            params.insert(
                "body".into(),
                Value::String(format!(
                    "投诉/申诉 {} 的{what_zh}期限为 {due_text}，{state_zh}，请督办。",
                    row.id
                )),
            );
            params.insert(
                "subject_en".into(),
                Value::String(format!("Complaint {what_en} {state_en}: {}", row.subject)),
            );
            params.insert(
                "body_en".into(),
                Value::String(format!(
                    "The {what_en} of complaint {} is due {due_text} and {state_en}; please see to it.",
                    row.id
                )),
            );
            notices::enqueue(
                &mut tx,
                &NoticeRequest {
                    account_id: supervisor.clone(),
                    kind: NoticeKind::Generic,
                    occasion: format!(
                        "complaint-escalation:{}:{}",
                        row.id,
                        if ack { "ack" } else { "resolution" }
                    ),
                    params,
                    sms_to: None,
                },
                now,
            )
            .await?;
        }
        tx.commit().await?;
        escalated += 1;
    }
    Ok(escalated)
}

/// The regulators' export: every complaint received in `[from, to)` (China days) as CSV
/// (UTF-8 with BOM): its reference, kind, subject, when it arrived, both deadlines, when each
/// step happened and whether each deadline was kept. No personal data beyond the subject.
pub async fn export_csv(
    app: &App,
    actor: &Actor,
    from: time::Date,
    to: time::Date,
) -> Result<String, AppError> {
    actor.require(Right::CustomerAssist)?;
    let start = |d: time::Date| {
        d.midnight()
            .assume_offset(time::macros::offset!(+8))
            .unix_timestamp()
    };
    let end = to.next_day().map_or(i64::MAX, start);
    let mut tx = app.db().read().await?;
    let rows = tx
        .complaints_received_between(start(from), end, 10_000)
        .await?;
    tx.commit().await?;
    let at = |t: Option<i64>| {
        t.map(|t| yuming_core::calendar::china_datetime(Timestamp(t)))
            .unwrap_or_default()
    };
    let kept = |done: Option<i64>, due: i64| match done {
        Some(done) if done <= due => "yes",
        Some(_) => "no",
        None if app.now().0 > due => "no",
        None => "pending",
    };
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut csv = String::from(
        "\u{feff}reference,kind,subject,received,acknowledgement_due,acknowledged,acknowledged_in_time,resolution_due,answered,answered_in_time\r\n",
    );
    for r in rows {
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{}\r\n",
            r.id,
            r.kind,
            quote(&r.subject),
            at(Some(r.received_at)),
            at(Some(r.ack_due_at)),
            at(r.acknowledged_at),
            kept(r.acknowledged_at, r.ack_due_at),
            at(Some(r.resolution_due_at)),
            at(r.answered_at),
            kept(r.answered_at, r.resolution_due_at),
        ));
    }
    Ok(csv)
}
