//! DNS hosting use cases: a zone per registered domain (created with the registration, or
//! lazily for older domains), record CRUD, zone-file import/export, the mainland-mode hold,
//! and the snapshot feed of the authoritative server.
//!
//! Every change bumps the zone's SOA serial (a counter, so it is monotonic however many
//! changes a day brings) and appends the domain's history row and the audit entry in the same
//! transaction; the whole-zone rules are checked on the zone as it would be after the change.

use serde_json::json;
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::dns::{
    self, DnsProblem, Record, RecordInput, RecordType, SoaFields, check_record, check_zone,
};
use yuming_core::rules::domain_name::{DomainName, DomainPolicy};
use yuming_store::{DnsRecordRow, DomainHistoryEntry, DomainRow, Tx, ZoneRow};

use crate::platform::BoxFuture;
use crate::platform::audit::{self, Change};
use crate::platform::crypto::new_id;
use crate::registrar::catalogue as stored_catalogue;
use crate::registrar::export::{ExportFile, ExportPart};
use crate::{App, AppError, RequestContext};

/// SOA timers of every hosted zone: refresh, retry, expire, minimum (negative TTL).
pub const SOA_TIMERS: [u32; 4] = [3600, 600, 1_209_600, 300];

/// A record as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordView {
    /// Opaque id.
    pub id: String,
    /// The validated record.
    pub record: Record,
}

/// A zone with its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneView {
    /// A-label name.
    pub name: String,
    /// SOA serial.
    pub serial: u32,
    /// Whether the zone is kept from resolving until filed.
    pub mainland_hold: bool,
    /// Records by owner then type.
    pub records: Vec<RecordView>,
}

/// A record as given by a client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordChange {
    /// Type mnemonic.
    pub rtype: String,
    /// Owner.
    pub name: String,
    /// Value.
    pub value: String,
    /// TTL, default when absent.
    pub ttl: Option<i64>,
    /// MX/SRV priority.
    pub priority: Option<i64>,
}

/// How an imported zone file combines with the records already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// The file becomes the zone.
    Replace,
    /// The file's records are added; records already present are kept, exact duplicates
    /// skipped.
    Merge,
}

fn dns_error(p: DnsProblem) -> AppError {
    AppError::bad_request(p.problem.code, p.problem.message, p.problem.message_zh)
        .with_field(p.field)
}

fn record_of_row(row: &DnsRecordRow) -> Result<Record, AppError> {
    Ok(Record {
        rtype: RecordType::parse(&row.rtype)
            .ok_or_else(|| AppError::internal(format!("stored record type {}", row.rtype)))?,
        name: row.name.clone(),
        value: row.value.clone(),
        ttl: u32::try_from(row.ttl).unwrap_or(600),
        priority: row.priority.and_then(|p| u16::try_from(p).ok()),
    })
}

fn row_of_record(id: String, domain_id: &str, r: &Record, now: Timestamp) -> DnsRecordRow {
    DnsRecordRow {
        id,
        domain_id: domain_id.to_owned(),
        rtype: r.rtype.as_str().to_owned(),
        name: r.name.clone(),
        value: r.value.clone(),
        ttl: i64::from(r.ttl),
        priority: r.priority.map(i64::from),
        created_at: now.0,
        updated_at: now.0,
    }
}

fn new_zone(domain: &DomainRow, now: Timestamp) -> ZoneRow {
    ZoneRow {
        domain_id: domain.id.clone(),
        name: domain.name.clone(),
        owner_id: domain.owner_id.clone(),
        serial: 1,
        mainland_hold: false,
        created_at: now.0,
        updated_at: now.0,
    }
}

/// Creates the zone of a domain being registered, in the registration's transaction.
pub async fn create_zone(tx: &mut Tx, domain: &DomainRow, now: Timestamp) -> Result<(), AppError> {
    tx.insert_zone(&new_zone(domain, now)).await?;
    Ok(())
}

/// Creates zones for domains registered before DNS hosting existed, `batch` at a time; returns
/// how many were created. Safe to run on several instances at once.
pub async fn backfill_zones(app: &App, batch: i64) -> Result<usize, AppError> {
    let now = app.now();
    let mut total = 0;
    loop {
        let mut tx = app.db().write().await?;
        let missing = tx.domains_without_zone(batch).await?;
        for (domain_id, name, owner_id) in &missing {
            tx.insert_zone(&ZoneRow {
                domain_id: domain_id.clone(),
                name: name.clone(),
                owner_id: owner_id.clone(),
                serial: 1,
                mainland_hold: false,
                created_at: now.0,
                updated_at: now.0,
            })
            .await?;
        }
        tx.commit().await?;
        total += missing.len();
        if i64::try_from(missing.len()).unwrap_or(0) < batch {
            return Ok(total);
        }
    }
}

/// The domain named in the URL (Unicode or A-label) if the actor may exercise `right` on
/// it; another tenant's domain, like an unknown one, is `NOT_FOUND`.
async fn authorized_domain(
    tx: &mut Tx,
    actor: &Actor,
    name: &str,
    right: Right,
) -> Result<DomainRow, AppError> {
    let ascii = DomainName::parse(name, &DomainPolicy::GENERIC)
        .map(|v| v.value.ascii().to_owned())
        .map_err(|_| AppError::not_found())?;
    let domain = tx
        .domain_by_name(&ascii)
        .await?
        .ok_or_else(AppError::not_found)?;
    actor.authorize(&domain.owner_id, right)?;
    Ok(domain)
}

/// Loads the domain named in the URL and its zone (created if missing), checking `right`;
/// another tenant's domain is `NOT_FOUND`.
async fn load_zone(
    tx: &mut Tx,
    actor: &Actor,
    name: &str,
    right: Right,
    now: Timestamp,
) -> Result<(DomainRow, ZoneRow), AppError> {
    let domain = authorized_domain(tx, actor, name, right).await?;
    let zone = match tx.zone_for_update(&domain.id).await? {
        Some(z) => z,
        None => {
            let z = new_zone(&domain, now);
            tx.insert_zone(&z).await?;
            z
        }
    };
    Ok((domain, zone))
}

/// Loads a domain's zone for reading: the domain if the actor may exercise `right` on it,
/// and its zone. A domain registered before DNS hosting whose zone the start-up backfill has
/// not created yet reads as the empty zone it will get; nothing is written.
async fn read_zone(
    tx: &mut Tx,
    actor: &Actor,
    name: &str,
    right: Right,
    now: Timestamp,
) -> Result<(DomainRow, ZoneRow), AppError> {
    let domain = authorized_domain(tx, actor, name, right).await?;
    let zone = match tx.zone_of(&domain.id).await? {
        Some(zone) => zone,
        None => new_zone(&domain, now),
    };
    Ok((domain, zone))
}

fn views(rows: &[DnsRecordRow]) -> Result<Vec<RecordView>, AppError> {
    rows.iter()
        .map(|r| {
            Ok(RecordView {
                id: r.id.clone(),
                record: record_of_row(r)?,
            })
        })
        .collect()
}

fn zone_view(zone: &ZoneRow, rows: &[DnsRecordRow]) -> Result<ZoneView, AppError> {
    Ok(ZoneView {
        name: zone.name.clone(),
        serial: serial_of(zone),
        mainland_hold: zone.mainland_hold,
        records: views(rows)?,
    })
}

fn serial_of(zone: &ZoneRow) -> u32 {
    u32::try_from(zone.serial).unwrap_or(u32::MAX)
}

/// Bumps the serial, appends history and audit (last) for one change of a zone.
#[expect(
    clippy::too_many_arguments,
    reason = "one call site per use case, all named arguments"
)]
async fn record_zone_change(
    app: &App,
    tx: &mut Tx,
    ctx: &RequestContext,
    actor: &Actor,
    zone: &mut ZoneRow,
    action: &str,
    before: serde_json::Value,
    after: serde_json::Value,
    now: Timestamp,
) -> Result<(), AppError> {
    // RFC 1982 arithmetic would allow wrapping; a hosted zone never reaches 2^31 changes, and
    // a plain counter keeps comparisons obvious for secondaries.
    zone.serial += 1;
    zone.updated_at = now.0;
    tx.update_zone(zone).await?;
    // Before and after both, so that the zone's change history can show what each change
    // replaced (rows written before this kept only `after`).
    let detail = json!({ "serial": zone.serial, "before": before, "after": after });
    tx.append_domain_history(&DomainHistoryEntry {
        id: &new_id("dh"),
        domain_id: &zone.domain_id,
        action: action.strip_prefix("domain.").unwrap_or(action),
        actor: &actor.account_id,
        order_id: None,
        detail: &detail.to_string(),
        at: now.0,
    })
    .await?;
    audit::record(
        app,
        tx,
        ctx,
        &actor.account_id,
        Change {
            action,
            object_type: "dns_zone",
            object_id: &zone.name,
            tenant: &zone.owner_id,
            before,
            after,
        },
    )
    .await?;
    Ok(())
}

fn record_json(id: &str, r: &Record) -> serde_json::Value {
    json!({ "id": id, "type": r.rtype.as_str(), "name": r.name, "value": r.value, "ttl": r.ttl, "priority": r.priority })
}

fn validate(app: &App, zone: &str, change: &RecordChange) -> Result<Record, AppError> {
    check_record(
        zone,
        &RecordInput {
            rtype: &change.rtype,
            name: &change.name,
            value: &change.value,
            ttl: change.ttl,
            priority: change.priority,
        },
        app.settings().dns_ttl,
    )
    .map_err(dns_error)
}

/// The zone and its records.
pub async fn list_records(app: &App, actor: &Actor, name: &str) -> Result<ZoneView, AppError> {
    let now = app.now();
    let mut tx = app.db().read().await?;
    let (domain, zone) = read_zone(&mut tx, actor, name, Right::DomainsRead, now).await?;
    let rows = tx.zone_records(&domain.id).await?;
    tx.commit().await?;
    zone_view(&zone, &rows)
}

/// One change of a zone, as its history shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneChange {
    /// `dns.record_create`, `dns.record_update`, `dns.record_delete`, `dns.zone_import` or
    /// `dns.mainland_hold`.
    pub action: String,
    /// The acting account.
    pub actor: String,
    /// The zone's serial after the change (absent on changes recorded before it was kept).
    pub serial: Option<i64>,
    /// What the change replaced: a record (`id`, `type`, `name`, `value`, `ttl`,
    /// `priority`), an import's record count, or `null`.
    pub before: serde_json::Value,
    /// What it left.
    pub after: serde_json::Value,
    /// When.
    pub at: Timestamp,
}

/// Most changes [`history`] returns.
pub const HISTORY_LIMIT: usize = 200;

/// The zone's changes, newest first, at most [`HISTORY_LIMIT`].
pub async fn history(app: &App, actor: &Actor, name: &str) -> Result<Vec<ZoneChange>, AppError> {
    let now = app.now();
    let mut tx = app.db().read().await?;
    let (domain, _) = read_zone(&mut tx, actor, name, Right::DomainsRead, now).await?;
    let rows = tx.domain_history(&domain.id).await?;
    tx.commit().await?;
    let mut changes: Vec<ZoneChange> = rows
        .into_iter()
        .filter(|(action, ..)| action.starts_with("dns."))
        .map(|(action, actor, _, detail, at)| {
            let detail: serde_json::Value = serde_json::from_str(&detail).unwrap_or_default();
            let kept_both = detail.get("after").is_some() && detail.get("before").is_some();
            ZoneChange {
                action,
                actor,
                serial: detail.get("serial").and_then(serde_json::Value::as_i64),
                before: if kept_both {
                    detail["before"].clone()
                } else {
                    serde_json::Value::Null
                },
                after: if kept_both {
                    detail["after"].clone()
                } else {
                    detail
                },
                at: Timestamp(at),
            }
        })
        .collect();
    // Newest first: by time, and within a second by the serial each change produced.
    changes.sort_by_key(|c| std::cmp::Reverse((c.at.0, c.serial)));
    changes.truncate(HISTORY_LIMIT);
    Ok(changes)
}

/// Adds a record.
pub async fn create_record(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    name: &str,
    change: RecordChange,
) -> Result<RecordView, AppError> {
    let now = app.now();
    let mut tx = app.db().write().await?;
    let (domain, mut zone) = load_zone(&mut tx, actor, name, Right::DnsManage, now).await?;
    let record = validate(app, &zone.name, &change)?;
    let rows = tx.zone_records(&domain.id).await?;
    let mut all = rows
        .iter()
        .map(record_of_row)
        .collect::<Result<Vec<_>, _>>()?;
    all.push(record.clone());
    check_zone(&zone.name, &all).map_err(dns_error)?;
    let id = new_id("rr");
    tx.insert_records(&[row_of_record(id.clone(), &domain.id, &record, now)])
        .await?;
    let after = record_json(&id, &record);
    record_zone_change(
        app,
        &mut tx,
        ctx,
        actor,
        &mut zone,
        "dns.record_create",
        serde_json::Value::Null,
        after,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(RecordView { id, record })
}

/// Replaces a record's content.
pub async fn update_record(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    name: &str,
    id: &str,
    change: RecordChange,
) -> Result<RecordView, AppError> {
    let now = app.now();
    let mut tx = app.db().write().await?;
    let (domain, mut zone) = load_zone(&mut tx, actor, name, Right::DnsManage, now).await?;
    let rows = tx.zone_records(&domain.id).await?;
    let old = rows
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(AppError::not_found)?;
    let before = record_json(id, &record_of_row(old)?);
    let record = validate(app, &zone.name, &change)?;
    let all = rows
        .iter()
        .map(|r| {
            if r.id == id {
                Ok(record.clone())
            } else {
                record_of_row(r)
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    check_zone(&zone.name, &all).map_err(dns_error)?;
    tx.update_record(&row_of_record(id.to_owned(), &domain.id, &record, now))
        .await?;
    let after = record_json(id, &record);
    record_zone_change(
        app,
        &mut tx,
        ctx,
        actor,
        &mut zone,
        "dns.record_update",
        before,
        after,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(RecordView {
        id: id.to_owned(),
        record,
    })
}

/// Deletes a record (refused when it is the glue another record needs).
pub async fn delete_record(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    name: &str,
    id: &str,
) -> Result<(), AppError> {
    let now = app.now();
    let mut tx = app.db().write().await?;
    let (domain, mut zone) = load_zone(&mut tx, actor, name, Right::DnsManage, now).await?;
    let rows = tx.zone_records(&domain.id).await?;
    let old = rows
        .iter()
        .find(|r| r.id == id)
        .ok_or_else(AppError::not_found)?;
    let before = record_json(id, &record_of_row(old)?);
    let rest = rows
        .iter()
        .filter(|r| r.id != id)
        .map(record_of_row)
        .collect::<Result<Vec<_>, _>>()?;
    check_zone(&zone.name, &rest).map_err(dns_error)?;
    tx.delete_record(&domain.id, id).await?;
    record_zone_change(
        app,
        &mut tx,
        ctx,
        actor,
        &mut zone,
        "dns.record_delete",
        before,
        serde_json::Value::Null,
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn soa_of(zone: &ZoneRow, nameservers: &[String]) -> SoaFields {
    SoaFields {
        mname: nameservers
            .first()
            .cloned()
            .unwrap_or_else(|| format!("ns1.{}", zone.name)),
        rname: format!("hostmaster.{}", zone.name),
        serial: serial_of(zone),
        timers: SOA_TIMERS,
    }
}

fn nameservers_of(domain: &DomainRow) -> Vec<String> {
    domain
        .nameservers
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The zone as an RFC 1035 master file.
pub async fn export_zone(app: &App, actor: &Actor, name: &str) -> Result<String, AppError> {
    let now = app.now();
    let mut tx = app.db().read().await?;
    let (domain, zone) = read_zone(&mut tx, actor, name, Right::DomainsRead, now).await?;
    let text = render_zone(&mut tx, &domain, &zone).await?;
    tx.commit().await?;
    Ok(text)
}

async fn render_zone(tx: &mut Tx, domain: &DomainRow, zone: &ZoneRow) -> Result<String, AppError> {
    let rows = tx.zone_records(&domain.id).await?;
    let records = rows
        .iter()
        .map(record_of_row)
        .collect::<Result<Vec<_>, _>>()?;
    let ns = nameservers_of(domain);
    Ok(dns::render_zone_file(
        &zone.name,
        &soa_of(zone, &ns),
        &ns,
        &records,
    ))
}

/// The hosted zone of `domain` as a master file, if it has one (for data exports).
pub(crate) async fn zone_file_of(
    tx: &mut Tx,
    domain: &DomainRow,
) -> Result<Option<String>, AppError> {
    match tx.zone_of(&domain.id).await? {
        Some(zone) => Ok(Some(render_zone(tx, domain, &zone).await?)),
        None => Ok(None),
    }
}

/// Withdraws a cancelled domain's hosted zone (records and zone row), in the deleting
/// transaction; the name answers REFUSED from the next snapshot on.
pub(crate) async fn remove_zone(tx: &mut Tx, domain: &DomainRow) -> Result<(), AppError> {
    tx.delete_zone_records(&domain.id).await?;
    tx.delete_zone(&domain.id).await?;
    Ok(())
}

/// Imports a master file (SOA and apex NS are the platform's and are skipped); all or nothing.
pub async fn import_zone(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    name: &str,
    text: &str,
    mode: ImportMode,
) -> Result<ZoneView, AppError> {
    let now = app.now();
    let mut tx = app.db().write().await?;
    let (domain, mut zone) = load_zone(&mut tx, actor, name, Right::DnsManage, now).await?;
    let imported =
        dns::parse_zone_file(&zone.name, text, app.settings().dns_ttl).map_err(dns_error)?;
    let existing = tx.zone_records(&domain.id).await?;
    let mut all: Vec<Record> = match mode {
        ImportMode::Replace => Vec::new(),
        ImportMode::Merge => existing
            .iter()
            .map(record_of_row)
            .collect::<Result<_, _>>()?,
    };
    let kept = all.len();
    for r in imported {
        let duplicate = all.iter().any(|x| {
            x.rtype == r.rtype && x.name == r.name && x.value == r.value && x.priority == r.priority
        });
        if !duplicate {
            all.push(r);
        }
    }
    check_zone(&zone.name, &all).map_err(dns_error)?;
    if mode == ImportMode::Replace {
        tx.delete_zone_records(&domain.id).await?;
    }
    let new_rows: Vec<DnsRecordRow> = all[kept..]
        .iter()
        .map(|r| row_of_record(new_id("rr"), &domain.id, r, now))
        .collect();
    tx.insert_records(&new_rows).await?;
    let mode_name = match mode {
        ImportMode::Replace => "replace",
        ImportMode::Merge => "merge",
    };
    record_zone_change(
        app,
        &mut tx,
        ctx,
        actor,
        &mut zone,
        "dns.zone_import",
        json!({ "records": existing.len() }),
        json!({ "mode": mode_name, "added": new_rows.len(), "records": all.len() }),
        now,
    )
    .await?;
    let rows = tx.zone_records(&domain.id).await?;
    tx.commit().await?;
    zone_view(&zone, &rows)
}

/// Keeps a domain's zone from resolving (or lets it resolve again): the hook of the ICP flows
/// for unfiled sites in mainland mode. Staff only (the ICP review decides, not the customer).
pub async fn set_mainland_hold(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    name: &str,
    hold: bool,
) -> Result<(), AppError> {
    actor.require(Right::ReviewQueue)?;
    let now = app.now();
    let mut tx = app.db().write().await?;
    let (_, mut zone) = load_zone(&mut tx, actor, name, Right::ReviewQueue, now).await?;
    let before = json!({ "mainland_hold": zone.mainland_hold });
    zone.mainland_hold = hold;
    record_zone_change(
        app,
        &mut tx,
        ctx,
        actor,
        &mut zone,
        "dns.mainland_hold",
        before,
        json!({ "mainland_hold": hold }),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A zone as the authoritative server serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedZone {
    /// A-label name.
    pub name: String,
    /// SOA.
    pub soa: SoaFields,
    /// Apex nameservers.
    pub nameservers: Vec<String>,
    /// Records.
    pub records: Vec<Record>,
    /// False when the zone must not resolve (hold, redemption, pending delete, mainland hold).
    pub resolves: bool,
}

/// Zones changed at or after `since` (every zone when 0) with whether they resolve at `now`,
/// for the DNS server's snapshot. Purged domains come back with `resolves: false`.
pub async fn served_zones_since(app: &App, since: i64) -> Result<Vec<ServedZone>, AppError> {
    let catalogue = stored_catalogue::current(app).await?;
    let now = app.now();
    let mut tx = app.db().read().await?;
    let changed = tx.served_zones_changed_since(since).await?;
    let mut out = Vec::with_capacity(changed.len());
    for z in changed {
        let Some(domain) = tx.domain_by_name(&z.zone.name).await? else {
            out.push(ServedZone {
                name: z.zone.name.clone(),
                soa: soa_of(&z.zone, &[]),
                nameservers: Vec::new(),
                records: Vec::new(),
                resolves: false,
            });
            continue;
        };
        if domain.id != z.zone.domain_id {
            // A zone of an earlier registration of the name; the live one comes on its own.
            continue;
        }
        let resolves = !z.zone.mainland_hold
            && match catalogue.tld(&domain.tld) {
                Some(tld) => {
                    crate::registrar::domains::resolves_now(&mut tx, &domain, tld, now).await?
                }
                None => false,
            };
        let records = if resolves {
            tx.zone_records(&domain.id)
                .await?
                .iter()
                .map(record_of_row)
                .collect::<Result<Vec<_>, _>>()?
        } else {
            Vec::new()
        };
        let nameservers = nameservers_of(&domain);
        out.push(ServedZone {
            name: z.zone.name.clone(),
            soa: soa_of(&z.zone, &nameservers),
            nameservers,
            records,
            resolves,
        });
    }
    tx.commit().await?;
    Ok(out)
}

/// The hosted zones (records as served), as RFC 1035 master files.
pub struct HostedZones;

impl ExportPart for HostedZones {
    fn name(&self) -> &'static str {
        "zones"
    }

    fn files<'a>(
        &'a self,
        tx: &'a mut Tx,
        _owner_id: &'a str,
        domains: &'a [DomainRow],
    ) -> BoxFuture<'a, Result<Vec<ExportFile>, AppError>> {
        Box::pin(async move {
            let mut files = Vec::new();
            for d in domains {
                if let Some(text) = zone_file_of(tx, d).await? {
                    files.push(ExportFile {
                        path: format!("zones/{}.zone", d.name),
                        bytes: text.into_bytes(),
                    });
                }
            }
            Ok(files)
        })
    }
}
