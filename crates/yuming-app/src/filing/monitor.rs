//! The consistency monitor of filed sites, run by the jobs: for each site due (leased, so one
//! instance checks it), observe the domain on the platform, the addresses its hosted zone
//! gives (apex and `www`), the filed servers' hosting, and the homepage footer; judge with
//! [`yuming_core::filing::monitor::findings`]; record every check; open an alert (with a
//! notice through the account's channels) for each new finding, refresh the ones still seen
//! and resolve the ones gone. Alerts are unique per site and kind while open.
//!
//! The homepage is fetched with a short timeout and a size cap, without following redirects
//! into private networks; anything that keeps it from being read is "unknown", never drift.

use std::net::IpAddr;
use std::time::Duration;

use serde_json::{Map, Value};
use yuming_core::access::{Actor, Right};
use yuming_core::clock::Timestamp;
use yuming_core::filing::monitor::{
    AlertKind, CHANGE_DEADLINE_HOURS, DomainFacts, FiledServer, FooterFacts, Outcome,
    SiteObservation, findings, footer_shows,
};
use yuming_core::lifecycle::Phase;
use yuming_store::{FilingAlertRow, FilingCheckRow, FilingSiteRow};

use super::SiteInput;
use super::sealing::{open_json, site_context};
use crate::notify::notices::{NoticeKind, NoticeRequest};
use crate::platform::crypto::new_id;
use crate::{App, AppError, RequestContext};

/// What one monitor run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MonitorReport {
    /// Sites checked.
    pub checked: usize,
    /// Alerts opened.
    pub opened: usize,
    /// Alerts resolved.
    pub resolved: usize,
}

/// An alert as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertView {
    /// Id.
    pub id: String,
    /// The site.
    pub site_id: String,
    /// The site's domain.
    pub domain: String,
    /// Stable kind.
    pub kind: String,
    /// `drift` or `risk`.
    pub severity: String,
    /// Why (en).
    pub reason_en: String,
    /// Why (zh-CN).
    pub reason_zh: String,
    /// What fixes it (`CANCEL_SITE`, `CHANGE_SITE`, `CANCEL_ACCESS`, …).
    pub fix: String,
    /// The API path that starts the fix.
    pub fix_path: String,
    /// First seen.
    pub opened_at: Timestamp,
    /// Last seen.
    pub last_seen_at: Timestamp,
    /// By when the change must be filed.
    pub deadline_at: Option<Timestamp>,
    /// When it cleared.
    pub resolved_at: Option<Timestamp>,
}

/// A check result as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckView {
    /// `domain`, `dns`, `server`, `footer`.
    pub check: String,
    /// `ok`, `problem`, `unknown`.
    pub outcome: String,
    /// What was seen.
    pub detail: String,
    /// When.
    pub checked_at: Timestamp,
}

fn fix_path(fix: &str) -> &'static str {
    match fix {
        "CANCEL_SITE" | "CHANGE_SITE" | "CANCEL_ACCESS" => "/api/v1/filing/orders",
        "RENEW_DOMAIN" => "/api/v1/domains/{name}/renew",
        "VERIFY_REGISTRANT" => "/api/v1/contacts",
        _ => "/api/v1/filing/sites/{id}/footer",
    }
}

fn alert_view(row: FilingAlertRow, domain: String) -> AlertView {
    AlertView {
        domain,
        fix_path: fix_path(&row.fix).to_owned(),
        id: row.id,
        site_id: row.site_id,
        kind: row.kind,
        severity: row.severity,
        reason_en: row.reason_en,
        reason_zh: row.reason_zh,
        fix: row.fix,
        opened_at: Timestamp(row.opened_at),
        last_seen_at: Timestamp(row.last_seen_at),
        deadline_at: row.deadline_at.map(Timestamp),
        resolved_at: row.resolved_at.map(Timestamp),
    }
}

/// Checks every filed site that is due, up to `limit` per call.
pub async fn run(app: &App, limit: i64) -> Result<MonitorReport, AppError> {
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    tx.schedule_new_filed_sites(now).await?;
    let ended = tx.resolve_alerts_of_unfiled_sites(now).await?;
    let due = tx.claim_due_filed_sites(now, now + 600, limit).await?;
    tx.commit().await?;
    let mut report = MonitorReport {
        resolved: usize::try_from(ended).unwrap_or(usize::MAX),
        ..MonitorReport::default()
    };
    for site_id in due {
        match check_site(app, &site_id).await {
            Ok((opened, resolved)) => {
                report.checked += 1;
                report.opened += opened;
                report.resolved += resolved;
            }
            Err(error) => {
                tracing::warn!(site = %site_id, %error, "filing consistency check failed");
            }
        }
    }
    Ok(report)
}

async fn observe(app: &App, site: &FilingSiteRow) -> Result<SiteObservation, AppError> {
    let now = app.now();
    let input: SiteInput = open_json(app, &site.data_sealed, &site_context(&site.id))?;
    let catalogue = crate::registrar::catalogue::current(app).await?;
    let mut tx = app.db().read().await?;
    let homepage_host = reqwest::Url::parse(input.homepage.trim())
        .ok()
        .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    let mut homepage_address = None;
    let (domain_facts, resolved) = match tx.domain_by_name(&site.domain).await? {
        None => (DomainFacts::Gone, None),
        Some(row) => {
            let tld = catalogue
                .tld(&row.tld)
                .ok_or_else(|| AppError::internal(format!("TLD {} left the catalogue", row.tld)))?;
            let view = crate::registrar::domains::view_of(&mut tx, &row, tld, now).await?;
            let verified = !view.holds.contains(&"REALNAME_UNVERIFIED");
            let live = matches!(view.phase, Phase::Active);
            let platform = &app.settings().default_nameservers;
            let records = tx.zone_records(&row.id).await?;
            let address_of = |owner: &str| -> Vec<IpAddr> {
                records
                    .iter()
                    .filter(|r| matches!(r.rtype.as_str(), "A" | "AAAA") && r.name == owner)
                    .filter_map(|r| r.value.parse::<IpAddr>().ok())
                    .collect()
            };
            // The homepage's host, when the platform is authoritative for it.
            if let Some(host) = &homepage_host {
                let owner = if *host == site.domain {
                    Some("@".to_owned())
                } else {
                    host.strip_suffix(&format!(".{}", site.domain))
                        .map(str::to_owned)
                };
                homepage_address = owner.and_then(|o| address_of(&o).first().copied());
            }
            let resolved = if !view.resolves || view.nameservers.is_empty() {
                // Suspended or not delegated: it answers nothing, so points nowhere unfiled.
                Some(Vec::new())
            } else if view
                .nameservers
                .iter()
                .all(|ns| platform.iter().any(|p| p.eq_ignore_ascii_case(ns)))
            {
                let mut addresses = address_of("@");
                for ip in address_of("www") {
                    if !addresses.contains(&ip) {
                        addresses.push(ip);
                    }
                }
                Some(addresses)
            } else {
                // Delegated elsewhere: what the world sees is not in the platform's zone.
                homepage_address = None;
                None
            };
            (
                DomainFacts::Registered {
                    live,
                    verified,
                    expires_at: view.expires_at,
                },
                resolved,
            )
        }
    };
    let mut filed = Vec::new();
    for text in &input.servers {
        let Ok(ip) = text.trim().parse::<IpAddr>() else {
            continue;
        };
        let expires_at = tx
            .server_by_ip(&ip.to_string())
            .await?
            .map(|s| Timestamp(s.expires_at));
        filed.push(FiledServer { ip, expires_at });
    }
    tx.commit().await?;
    let number = site.site_no.clone().unwrap_or_default();
    let footer = fetch_footer(app, &input.homepage, homepage_address, &number).await;
    Ok(SiteObservation {
        site_no: number,
        domain: site.domain.clone(),
        domain_facts,
        resolved,
        filed,
        footer,
        now,
    })
}

/// Reads the homepage (capped, timed) and looks for the number. The subject number alone
/// (Guangdong's footers) also counts.
async fn fetch_footer(
    app: &App,
    homepage: &str,
    zone_address: Option<IpAddr>,
    site_no: &str,
) -> FooterFacts {
    let settings = app.settings();
    let Ok(url) = reqwest::Url::parse(homepage.trim()) else {
        return FooterFacts::Unknown("the homepage is not a URL".into());
    };
    if !matches!(url.scheme(), "http" | "https") {
        return FooterFacts::Unknown("the homepage is not http(s)".into());
    }
    let host = url.host_str().unwrap_or_default().to_owned();
    let port = url.port_or_known_default().unwrap_or(80);
    let address = match zone_address {
        Some(ip) if settings.private_targets || yuming_core::net::is_global(ip) => {
            std::net::SocketAddr::new(ip, port)
        }
        Some(ip) => {
            return FooterFacts::Unknown(format!("refused: {ip} is not a public address"));
        }
        None => match crate::notify::webhooks::resolve(&host, port, settings.private_targets).await
        {
            Ok(address) => address,
            Err((_, why)) => return FooterFacts::Unknown(why),
        },
    };
    let timeout = Duration::from_secs(settings.footer_timeout_secs);
    let Ok(client) = crate::notify::webhooks::pinned_client(&host, address, timeout, timeout)
    else {
        return FooterFacts::Unknown("no HTTP client".into());
    };
    let mut response = match client
        .get(url)
        .header("user-agent", "Yuming-Filing-Monitor/1")
        .send()
        .await
    {
        Ok(response) => response,
        Err(e) if e.is_timeout() => return FooterFacts::Unknown("timeout".into()),
        Err(_) => return FooterFacts::Unknown("the homepage did not answer".into()),
    };
    if !response.status().is_success() {
        return FooterFacts::Unknown(format!("HTTP {}", response.status().as_u16()));
    }
    let subject_no = site_no
        .rsplit_once('-')
        .map_or(site_no, |(subject, _)| subject);
    let mut body: Vec<u8> = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = settings.footer_max_bytes.saturating_sub(body.len());
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                if body.len() >= settings.footer_max_bytes {
                    let text = String::from_utf8_lossy(&body);
                    return if footer_shows(&text, subject_no) {
                        FooterFacts::Shown
                    } else {
                        FooterFacts::Unknown(format!(
                            "the homepage is larger than {} bytes",
                            settings.footer_max_bytes
                        ))
                    };
                }
            }
            Ok(None) => break,
            Err(e) if e.is_timeout() => return FooterFacts::Unknown("timeout".into()),
            Err(_) => return FooterFacts::Unknown("the homepage broke off".into()),
        }
    }
    let text = String::from_utf8_lossy(&body);
    if footer_shows(&text, subject_no) {
        FooterFacts::Shown
    } else {
        FooterFacts::Missing
    }
}

/// Observes, judges and records one site; returns (alerts opened, alerts resolved).
async fn check_site(app: &App, site_id: &str) -> Result<(usize, usize), AppError> {
    let mut tx = app.db().read().await?;
    let site = tx.filing_site(site_id).await?;
    tx.commit().await?;
    let Some(site) = site.filter(|s| s.status == "filed") else {
        return Ok((0, 0));
    };
    let observation = observe(app, &site).await?;
    let (found, outcomes) = findings(&observation);
    let now = app.now().0;
    let mut tx = app.db().write().await?;
    for (check, outcome) in &outcomes {
        let (outcome, detail) = match outcome {
            Outcome::Ok => ("ok", String::new()),
            Outcome::Problem => (
                "problem",
                found
                    .iter()
                    .filter(|f| f.kind.check() == *check)
                    .map(|f| f.reason_en.clone())
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            Outcome::Unknown(why) => ("unknown", why.clone()),
        };
        tx.insert_filing_check(&FilingCheckRow {
            id: new_id("fck"),
            site_id: site.id.clone(),
            check_kind: check.as_str().to_owned(),
            outcome: outcome.to_owned(),
            detail,
            checked_at: now,
        })
        .await?;
    }
    let open = tx.open_filing_alerts(&site.id).await?;
    let mut opened = 0;
    for finding in &found {
        if let Some(existing) = open.iter().find(|a| a.kind == finding.kind.as_str()) {
            tx.touch_filing_alert(&existing.id, &finding.reason_en, &finding.reason_zh, now)
                .await?;
            if existing.deadline_at.is_some_and(|deadline| deadline <= now) {
                // The change was not filed in time: one more, final notice.
                notify_alert(
                    &mut tx,
                    principal_sms(app, &site),
                    &site,
                    existing,
                    &format!("已超过备案变更期限：{}", finding.reason_zh),
                    &format!(
                        "The deadline to file the change has passed: {}",
                        finding.reason_en
                    ),
                    format!("filing_alert_overdue:{}", existing.id),
                    now,
                )
                .await?;
            }
            continue;
        }
        let row = FilingAlertRow {
            id: new_id("fal"),
            site_id: site.id.clone(),
            owner_id: site.owner_id.clone(),
            kind: finding.kind.as_str().to_owned(),
            severity: finding.kind.severity().to_owned(),
            reason_en: finding.reason_en.clone(),
            reason_zh: finding.reason_zh.clone(),
            fix: finding.kind.fix().to_owned(),
            opened_at: now,
            last_seen_at: now,
            deadline_at: (finding.kind == AlertKind::UnfiledAddress)
                .then_some(now + CHANGE_DEADLINE_HOURS * 3600),
            resolved_at: None,
        };
        if tx.open_filing_alert(&row).await? {
            opened += 1;
            notify_alert(
                &mut tx,
                principal_sms(app, &site),
                &site,
                &row,
                &finding.reason_zh,
                &finding.reason_en,
                format!("filing_alert:{}", row.id),
                now,
            )
            .await?;
        }
    }
    let mut resolved = 0;
    for alert in &open {
        // Only a definite answer clears an alert: "unknown" says nothing either way.
        let observed = AlertKind::parse(&alert.kind).is_some_and(|kind| {
            outcomes.iter().any(|(check, outcome)| {
                *check == kind.check() && !matches!(outcome, Outcome::Unknown(_))
            })
        });
        if observed && !found.iter().any(|f| f.kind.as_str() == alert.kind) {
            tx.resolve_filing_alert(&alert.id, now).await?;
            resolved += 1;
        }
    }
    psb_reminder(&mut tx, &site, now).await?;
    tx.reschedule_filed_site(&site.id, now + app.settings().monitor_interval_secs)
        .await?;
    tx.commit().await?;
    Ok((opened, resolved))
}

/// The site principal's mobile for an alert's SMS copy; an alert never fails for want of it.
fn principal_sms(app: &App, site: &FilingSiteRow) -> Option<crate::notify::notices::SmsTo> {
    match super::site_principal_mobile(app, site) {
        Ok(mobile) => Some(crate::notify::notices::SmsTo::new(app.cipher(), &mobile)),
        Err(e) => {
            tracing::warn!(site = %site.id, error = %e.message, "no principal mobile for the alert SMS");
            None
        }
    }
}

/// Sends an alert's notice through the account's channels (and by SMS to the site's
/// principal), once per `occasion`.
#[expect(
    clippy::too_many_arguments,
    reason = "two call sites, all named arguments"
)]
async fn notify_alert(
    tx: &mut yuming_store::Tx,
    sms_to: Option<crate::notify::notices::SmsTo>,
    site: &FilingSiteRow,
    alert: &FilingAlertRow,
    reason_zh: &str,
    reason_en: &str,
    occasion: String,
    now: i64,
) -> Result<(), AppError> {
    let mut params = Map::new();
    params.insert("domain".into(), Value::String(site.domain.clone()));
    params.insert("reason".into(), Value::String(reason_zh.to_owned()));
    params.insert("reason_en".into(), Value::String(reason_en.to_owned()));
    params.insert("kind".into(), Value::String(alert.kind.clone()));
    params.insert("fix".into(), Value::String(fix_path(&alert.fix).to_owned()));
    crate::notify::notices::enqueue(
        tx,
        &NoticeRequest {
            account_id: site.owner_id.clone(),
            kind: NoticeKind::FilingAlert,
            occasion,
            params,
            // The site's principal answers for it: the alert reaches their phone.
            sms_to,
        },
        now,
    )
    .await?;
    Ok(())
}

/// The 公安备案 reminder: a filed site must also be filed with the public security bureau
/// within 30 days of going live; the first cycle after approval reminds the applicant once.
async fn psb_reminder(
    tx: &mut yuming_store::Tx,
    site: &FilingSiteRow,
    now: i64,
) -> Result<(), AppError> {
    let mut params = Map::new();
    params.insert("domain".into(), Value::String(site.domain.clone()));
    params.insert(
        "deadline".into(),
        Value::String(Timestamp(site.updated_at).plus_days(30).date().to_string()),
    );
    crate::notify::notices::enqueue(
        tx,
        &NoticeRequest {
            account_id: site.owner_id.clone(),
            kind: NoticeKind::PsbFilingReminder,
            occasion: format!("psb:{}", site.id),
            params,
            sms_to: None,
        },
        now,
    )
    .await?;
    Ok(())
}

/// The actor's alerts (staff: everyone's), newest first.
pub async fn alerts(app: &App, actor: &Actor, open_only: bool) -> Result<Vec<AlertView>, AppError> {
    // Customers see their tenant's filings; reviewers the platform's.
    let owner = if actor.role.is_staff() {
        actor.require(Right::ReviewQueue)?;
        None
    } else {
        actor.authorize(&actor.tenant_id, Right::IcpManage)?;
        Some(actor.tenant_id.as_str())
    };
    let mut tx = app.db().read().await?;
    let rows = tx.filing_alerts_of(owner, open_only, 200).await?;
    let mut domains = std::collections::HashMap::new();
    for row in &rows {
        if !domains.contains_key(&row.site_id) {
            let domain = tx
                .filing_site(&row.site_id)
                .await?
                .map(|site| site.domain)
                .unwrap_or_default();
            domains.insert(row.site_id.clone(), domain);
        }
    }
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let domain = domains.get(&row.site_id).cloned().unwrap_or_default();
            alert_view(row, domain)
        })
        .collect())
}

/// A filed site's check results, newest first.
pub async fn checks(app: &App, actor: &Actor, site_id: &str) -> Result<Vec<CheckView>, AppError> {
    let mut tx = app.db().read().await?;
    let site = tx
        .filing_site(site_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    actor.authorize(&site.owner_id, Right::IcpManage)?;
    let rows = tx.filing_checks_of(&site.id, 200).await?;
    tx.commit().await?;
    Ok(rows
        .into_iter()
        .map(|r| CheckView {
            check: r.check_kind,
            outcome: r.outcome,
            detail: r.detail,
            checked_at: Timestamp(r.checked_at),
        })
        .collect())
}

/// Makes one of the actor's filed sites due now; the next job run checks it.
pub async fn check_now(
    app: &App,
    ctx: &RequestContext,
    actor: &Actor,
    site_id: &str,
) -> Result<(), AppError> {
    let mut tx = app.db().write().await?;
    let site = tx
        .filing_site(site_id)
        .await?
        .ok_or_else(AppError::not_found)?;
    actor.authorize(&site.owner_id, Right::IcpManage)?;
    tx.make_filed_site_due(&site.id, app.now().0).await?;
    crate::platform::audit::record(
        app,
        &mut tx,
        ctx,
        &actor.account_id,
        crate::platform::audit::Change {
            action: "filing.monitor.check_now",
            object_type: "filing_site",
            object_id: &site.id,
            tenant: &site.owner_id,
            before: Value::Null,
            after: Value::Null,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
