//! "Download all my data": the account holder's access to its personal information (PIPL
//! art. 45, the right to access and copy), as one machine-readable archive.
//!
//! The archive holds JSON files in the shapes the API uses, read through the same use cases
//! the API and console call, each under the actor's own rights: the account, its registrant
//! profiles (document numbers masked, as every view shows them), domains and their history and
//! zones, orders and balance movements, ICP filings (numbers masked), notices, sessions, API
//! keys (never their secrets) and the account's audit trail. Producing it is recorded in the
//! audit log.

use serde_json::{Value, json};
use yuming_core::access::{Actor, Right};
use yuming_core::money::Currency;

use crate::platform::audit::{self, Change};
use crate::platform::paging::PageCursor;
use crate::registrar::export::{self, ArchiveFormat, ExportFile, archive};
use crate::registrar::{contacts, domains};
use crate::{App, AppError, RequestContext, billing, dns, filing, notify};

/// Rows read per page while collecting.
const PAGE: i64 = 500;
/// Most domains (and so zone files and histories) one archive holds; an account with more
/// gets the first ones by name and a note saying so (the API lists the rest).
pub const MAX_DOMAINS: usize = 2_000;

/// A JSON file under the archive's top directory.
fn json_file(path: &str, value: &Value) -> Result<ExportFile, AppError> {
    export::json_file(format!("yuming-export/{path}"), value)
}

const README: &str = "\
Yuming: your data / 您的数据\n\
\n\
account.json        the account / 账户\n\
contacts.json       registrant profiles (document numbers masked) / 实名模板（证件号码已脱敏）\n\
domains.json        domains / 域名\n\
domains/<name>/     history.json and zone.txt of each domain / 每个域名的历史与区域文件\n\
orders.json         orders / 订单\n\
ledger.json         balance movements (amounts in minor units: fen, cents) / 收支明细（金额单位：分）\n\
filing.json         ICP filing entities and orders / ICP 备案主体与订单\n\
notices.json        in-app notices / 站内通知\n\
sessions.json       signed-in sessions / 登录会话\n\
api_keys.json       API keys (no secrets) / API 密钥（不含密钥本身）\n\
audit.json          the account's audit trail / 操作日志\n";

/// Builds the archive of everything the actor's account holds. Returns the file name and the
/// bytes.
pub async fn export(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    format: ArchiveFormat,
) -> Result<(String, Vec<u8>), AppError> {
    actor.require(Right::DomainsRead)?;
    let mut files = vec![ExportFile {
        path: "yuming-export/README.txt".into(),
        bytes: README.as_bytes().to_vec(),
    }];

    let me = crate::accounts::me(app, actor).await?;
    files.push(json_file(
        "account.json",
        &json!({
            "id": me.id, "email": me.email, "display_name": me.display_name,
            "role": me.role.as_str(), "parent_id": me.parent_id, "status": me.status,
            "totp_enabled": me.totp_enabled, "email_verified": me.email_verified,
            "created_at": me.created_at.to_rfc3339(),
            "balance_minor": billing::balance(app, actor, Currency::Cny).await?.balance.minor(),
            "currency": "CNY",
        }),
    )?);

    let mut all_contacts = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = contacts::list(app, actor, cursor.as_deref(), 200).await?;
        for c in &page.contacts {
            all_contacts.push(json!({
                "id": c.id, "kind": c.kind.as_str(), "name": c.name,
                "id_type": c.id_type.as_str(), "id_number_masked": c.id_number_masked,
                "email": c.email, "phone": c.phone, "country": c.region.country,
                "province": c.region.province, "city": c.region.city,
                "verification": c.verification.status.as_str(),
                "verification_reason": c.verification.reason,
                "created_at": c.created_at.to_rfc3339(),
            }));
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    files.push(json_file("contacts.json", &json!(all_contacts))?);

    let mut names = Vec::new();
    let mut listed = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = domains::list(app, actor, after.as_deref(), PAGE).await?;
        let full = page.len() as i64 == PAGE;
        for d in &page {
            if names.len() < MAX_DOMAINS {
                names.push(d.ascii.clone());
            }
            listed.push(json!({
                "name": d.ascii, "unicode": d.name, "phase": format!("{:?}", d.phase),
                "statuses": d.statuses, "created_at": d.created_at.to_rfc3339(),
                "expires_at": d.expires_at.to_rfc3339(), "auto_renew": d.auto_renew,
                "nameservers": d.nameservers, "registrant_contact_id": d.registrant_contact_id,
            }));
        }
        after = page.last().map(|d| d.ascii.clone());
        if !full {
            break;
        }
    }
    let truncated = listed.len() > names.len();
    files.push(json_file(
        "domains.json",
        &json!({ "domains": listed, "histories_included_for": names.len(), "truncated": truncated }),
    )?);
    for name in &names {
        let history = dns::history(app, actor, name).await?;
        let changes: Vec<Value> = history
            .iter()
            .map(|c| {
                json!({ "action": c.action, "actor": c.actor, "serial": c.serial,
                        "before": c.before, "after": c.after, "at": c.at.to_rfc3339() })
            })
            .collect();
        files.push(json_file(
            &format!("domains/{name}/dns_history.json"),
            &json!(changes),
        )?);
        files.push(ExportFile {
            path: format!("yuming-export/domains/{name}/zone.txt"),
            bytes: dns::export_zone(app, actor, name).await?.into_bytes(),
        });
    }

    let mut orders = Vec::new();
    let mut from = PageCursor::start();
    loop {
        let page = billing::orders(app, actor, &from, PAGE).await?;
        for o in &page.items {
            orders.push(json!({
                "id": o.id, "kind": o.kind, "domain": o.domain_name, "years": o.years,
                "amount_minor": o.amount, "currency": o.currency, "status": o.status,
                "created_at": o.created_at,
            }));
        }
        match page.next {
            Some(next) => from = next,
            None => break,
        }
    }
    files.push(json_file("orders.json", &json!(orders))?);

    let mut ledger = Vec::new();
    let mut from = PageCursor::start();
    loop {
        let page = billing::ledger(app, actor, &from, PAGE).await?;
        for l in &page.items {
            ledger.push(json!({
                "id": l.id, "transaction_id": l.transaction_id, "amount_minor": l.amount.minor(),
                "currency": l.amount.currency().code(), "order_id": l.order_id, "memo": l.memo,
                "at": l.at.to_rfc3339(),
            }));
        }
        match page.next {
            Some(next) => from = next,
            None => break,
        }
    }
    files.push(json_file("ledger.json", &json!(ledger))?);

    let entities = filing::list_entities(app, actor).await?;
    let orders = filing::list_orders(app, actor).await?;
    files.push(json_file(
        "filing.json",
        &json!({
            "entities": entities.iter().map(|e| json!({
                "id": e.id, "entity_type": e.entity_type, "province": e.province, "name": e.name,
                "cert_type": e.cert_type, "cert_masked": e.cert_masked,
                "subject_no": e.subject_no, "status": e.status,
            })).collect::<Vec<_>>(),
            "orders": orders.iter().map(|o| json!({
                "id": o.id, "entity_id": o.entity_id, "site_id": o.site_id,
                "operation": o.operation.as_str(), "status": o.status.as_str(),
                "submitted_at": o.submitted_at.map(|t| t.to_rfc3339()),
                "created_at": o.created_at.to_rfc3339(), "payload": o.payload,
            })).collect::<Vec<_>>(),
        }),
    )?);

    let mut notices = Vec::new();
    let mut before = None;
    loop {
        let page = notify::notices::inbox(app, actor, before, PAGE).await?;
        let full = page.len() as i64 == PAGE;
        before = page.last().map(|n| n.created_at);
        notices.extend(page.into_iter().map(|n| {
            json!({ "id": n.id, "kind": n.kind, "subject": n.subject, "body": n.body,
                    "created_at": n.created_at, "read_at": n.read_at })
        }));
        if !full {
            break;
        }
    }
    files.push(json_file("notices.json", &json!(notices))?);

    // Support tickets with their threads (attachments are listed; their bytes stay in the
    // console and API downloads).
    let mut tickets = Vec::new();
    if actor.rights.contains(Right::DomainsRead) {
        for ticket in crate::care::tickets::list(app, actor).await? {
            let detail = crate::care::tickets::get(app, actor, &ticket.id).await?;
            tickets.push(json!({
                "id": ticket.id, "category": ticket.category.as_str(), "subject": ticket.subject,
                "priority": ticket.priority.as_str(), "status": ticket.status.as_str(),
                "created_at": ticket.created_at.to_rfc3339(), "rating": ticket.rating,
                "messages": detail.messages.iter().map(|m| json!({
                    "from_staff": m.from_staff, "body": m.body,
                    "created_at": m.created_at.to_rfc3339(),
                    "attachments": m.attachments.iter().map(|a| json!({
                        "file_name": a.file_name, "content_type": a.content_type,
                        "size_bytes": a.size_bytes })).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
            }));
        }
    }
    files.push(json_file("tickets.json", &json!(tickets))?);

    let sessions = crate::accounts::sessions(app, actor).await?;
    files.push(json_file(
        "sessions.json",
        &json!(
            sessions
                .iter()
                .map(
                    |s| json!({ "id": s.id, "created_at": s.created_at.to_rfc3339(),
                              "expires_at": s.expires_at.to_rfc3339(), "current": s.current,
                              "ip": s.ip, "user_agent": s.user_agent })
                )
                .collect::<Vec<_>>()
        ),
    )?);

    let keys = crate::accounts::api_keys::list(app, actor).await?;
    files.push(json_file(
        "api_keys.json",
        &json!(
            keys.iter()
                .map(|k| json!({
                    "id": k.id, "name": k.name, "account_id": k.account_id,
                    "scopes": k.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                    "allowed_cidrs": k.allowed_cidrs, "created_at": k.created_at.to_rfc3339(),
                    "last_used_at": k.last_used_at.map(|t| t.to_rfc3339()),
                    "revoked_at": k.revoked_at.map(|t| t.to_rfc3339()),
                }))
                .collect::<Vec<_>>()
        ),
    )?);

    let mut entries = Vec::new();
    if actor.rights.contains(Right::AuditRead) {
        let mut before_seq = None;
        loop {
            let page = audit::list(app, actor, before_seq, PAGE).await?;
            entries.extend(page.entries.iter().map(|e| {
                json!({ "seq": e.seq, "at": e.at.to_rfc3339(), "actor": e.actor,
                        "action": e.action, "object_type": e.object_type,
                        "object_id": e.object_id, "before": e.before, "after": e.after })
            }));
            match page.next_before_seq {
                Some(next) => before_seq = Some(next),
                None => break,
            }
        }
    }
    files.push(json_file("audit.json", &json!(entries))?);

    let now = app.now();
    let bytes = archive(&files, format, now.0)?;
    let mut tx = app.db().write().await?;
    audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        Change {
            action: "account.data_export",
            object_type: "account",
            object_id: &actor.account_id,
            tenant: &actor.tenant_id,
            before: Value::Null,
            after: json!({ "files": files.len(), "bytes": bytes.len(),
                           "format": format.extension() }),
        },
    )
    .await?;
    tx.commit().await?;
    let date = now.to_rfc3339().chars().take(10).collect::<String>();
    Ok((format!("yuming-data-{date}.{}", format.extension()), bytes))
}
