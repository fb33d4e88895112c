//! The consistency monitor's records: per-site schedule and lease, check results, alerts.

use crate::db::{StoreError, Tx, map_err};

/// One check result.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FilingCheckRow {
    /// Id.
    pub id: String,
    /// The site.
    pub site_id: String,
    /// `domain`, `dns`, `server`, `footer`.
    pub check_kind: String,
    /// `ok`, `problem`, `unknown`.
    pub outcome: String,
    /// What was seen.
    pub detail: String,
    /// When.
    pub checked_at: i64,
}

/// An alert.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct FilingAlertRow {
    /// Id.
    pub id: String,
    /// The site.
    pub site_id: String,
    /// The tenant.
    pub owner_id: String,
    /// Stable kind, e.g. `UNFILED_ADDRESS`.
    pub kind: String,
    /// `drift` or `risk`.
    pub severity: String,
    /// Why (en).
    pub reason_en: String,
    /// Why (zh-CN).
    pub reason_zh: String,
    /// The fixing action.
    pub fix: String,
    /// First seen.
    pub opened_at: i64,
    /// Last seen.
    pub last_seen_at: i64,
    /// By when the change must be filed.
    pub deadline_at: Option<i64>,
    /// When it stopped being seen.
    pub resolved_at: Option<i64>,
}

const ALERT_COLUMNS: &str = "id, site_id, owner_id, kind, severity, reason_en, reason_zh, fix, opened_at, \
     last_seen_at, deadline_at, resolved_at";

impl Tx {
    /// Puts every filed site without a schedule on it, due now.
    pub async fn schedule_new_filed_sites(&mut self, now: i64) -> Result<u64, StoreError> {
        let sql = "INSERT INTO filing_monitor (site_id, next_check_at, lease_until) \
                   SELECT s.id, $1, 0 FROM filing_sites s WHERE s.status = 'filed' \
                   AND NOT EXISTS (SELECT 1 FROM filing_monitor m WHERE m.site_id = s.id) \
                   ON CONFLICT (site_id) DO NOTHING";
        on_conn!(self, c => sqlx::query(sql).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))
    }

    /// Claims up to `limit` filed sites due for a check, leasing them until `until` (rows
    /// another instance is claiming are skipped on PostgreSQL).
    pub async fn claim_due_filed_sites(
        &mut self,
        now: i64,
        until: i64,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        let ids: Vec<String> = per_backend!(self,
            sqlite: c => sqlx::query_scalar("SELECT m.site_id FROM filing_monitor m JOIN filing_sites s ON s.id = m.site_id \
                 WHERE s.status = 'filed' AND m.next_check_at <= $1 AND m.lease_until <= $1 ORDER BY m.next_check_at, m.site_id LIMIT $2 + 0")
                .bind(now).bind(limit).fetch_all(c).await.map_err(map_err),
            postgres: c => sqlx::query_scalar("SELECT m.site_id FROM filing_monitor m JOIN filing_sites s ON s.id = m.site_id \
                 WHERE s.status = 'filed' AND m.next_check_at <= $1 AND m.lease_until <= $1 ORDER BY m.next_check_at, m.site_id LIMIT $2 + 0 \
                 FOR UPDATE OF m SKIP LOCKED")
                .bind(now).bind(limit).fetch_all(c).await.map_err(map_err),
        )?;
        for id in &ids {
            let sql = "UPDATE filing_monitor SET lease_until = $2 WHERE site_id = $1";
            on_conn!(self, c => sqlx::query(sql).bind(id).bind(until).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        }
        Ok(ids)
    }

    /// Sets a site's next check and frees its lease.
    pub async fn reschedule_filed_site(
        &mut self,
        site_id: &str,
        next: i64,
    ) -> Result<(), StoreError> {
        let sql =
            "UPDATE filing_monitor SET next_check_at = $2, lease_until = 0 WHERE site_id = $1";
        on_conn!(self, c => sqlx::query(sql).bind(site_id).bind(next).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }

    /// Makes a site due now (an explicit "check now").
    pub async fn make_filed_site_due(&mut self, site_id: &str, now: i64) -> Result<(), StoreError> {
        let sql = "INSERT INTO filing_monitor (site_id, next_check_at, lease_until) VALUES ($1, $2, 0) \
                   ON CONFLICT (site_id) DO UPDATE SET next_check_at = $2";
        on_conn!(self, c => sqlx::query(sql).bind(site_id).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }

    /// Records a check result.
    pub async fn insert_filing_check(&mut self, row: &FilingCheckRow) -> Result<(), StoreError> {
        let sql = "INSERT INTO filing_checks (id, site_id, check_kind, outcome, detail, checked_at) \
                   VALUES ($1, $2, $3, $4, $5, $6)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.site_id)
            .bind(&row.check_kind)
            .bind(&row.outcome)
            .bind(&row.detail)
            .bind(row.checked_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// A site's check results, newest first.
    pub async fn filing_checks_of(
        &mut self,
        site_id: &str,
        limit: i64,
    ) -> Result<Vec<FilingCheckRow>, StoreError> {
        let sql = "SELECT id, site_id, check_kind, outcome, detail, checked_at FROM filing_checks \
                   WHERE site_id = $1 ORDER BY checked_at DESC, id DESC LIMIT $2 + 0";
        on_conn!(self, c => sqlx::query_as::<_, FilingCheckRow>(sql).bind(site_id).bind(limit.clamp(1, 500)).fetch_all(c).await.map_err(map_err))
    }

    /// A site's open alerts.
    pub async fn open_filing_alerts(
        &mut self,
        site_id: &str,
    ) -> Result<Vec<FilingAlertRow>, StoreError> {
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM filing_alerts WHERE site_id = $1 AND resolved_at IS NULL ORDER BY opened_at, id"
        );
        on_conn!(self, c => sqlx::query_as::<_, FilingAlertRow>(sqlx::AssertSqlSafe(sql.clone())).bind(site_id).fetch_all(c).await.map_err(map_err))
    }

    /// Opens an alert; `false` when one of its kind is already open for the site.
    pub async fn open_filing_alert(&mut self, row: &FilingAlertRow) -> Result<bool, StoreError> {
        let sql = format!(
            "INSERT INTO filing_alerts ({ALERT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (site_id, kind) WHERE resolved_at IS NULL DO NOTHING"
        );
        let n = on_conn!(self, c => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(&row.id)
            .bind(&row.site_id)
            .bind(&row.owner_id)
            .bind(&row.kind)
            .bind(&row.severity)
            .bind(&row.reason_en)
            .bind(&row.reason_zh)
            .bind(&row.fix)
            .bind(row.opened_at)
            .bind(row.last_seen_at)
            .bind(row.deadline_at)
            .bind(row.resolved_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// Refreshes an open alert's reason and last sighting.
    pub async fn touch_filing_alert(
        &mut self,
        id: &str,
        reason_en: &str,
        reason_zh: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE filing_alerts SET reason_en = $2, reason_zh = $3, last_seen_at = $4 WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql).bind(id).bind(reason_en).bind(reason_zh).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }

    /// Resolves an open alert.
    pub async fn resolve_filing_alert(&mut self, id: &str, now: i64) -> Result<(), StoreError> {
        let sql = "UPDATE filing_alerts SET resolved_at = $2 WHERE id = $1 AND resolved_at IS NULL";
        on_conn!(self, c => sqlx::query(sql).bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }

    /// Resolves the open alerts of sites no longer filed (cancelled): nothing is left to
    /// keep consistent. Returns how many.
    pub async fn resolve_alerts_of_unfiled_sites(&mut self, now: i64) -> Result<u64, StoreError> {
        let sql = "UPDATE filing_alerts SET resolved_at = $1 WHERE resolved_at IS NULL \
                   AND site_id IN (SELECT id FROM filing_sites WHERE status <> 'filed')";
        on_conn!(self, c => sqlx::query(sql).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))
    }

    /// A tenant's alerts (all tenants' for `None`), newest first; open ones only if asked.
    pub async fn filing_alerts_of(
        &mut self,
        owner_id: Option<&str>,
        open_only: bool,
        limit: i64,
    ) -> Result<Vec<FilingAlertRow>, StoreError> {
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM filing_alerts WHERE ($1 OR owner_id = $2) \
             AND (NOT $3 OR resolved_at IS NULL) ORDER BY opened_at DESC, id DESC LIMIT $4 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, FilingAlertRow>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(owner_id.is_none())
            .bind(owner_id.unwrap_or(""))
            .bind(open_only)
            .bind(limit.clamp(1, 500))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }
}
