//! ICP filing after approval: certificate signing keys, issued certificates, and the look-ups
//! the public filing search needs.

use crate::db::{StoreError, Tx, map_err};
use crate::filing::FilingSiteRow;

/// A certificate signing key.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SigningKeyRow {
    /// Key id.
    pub key_id: String,
    /// Ed25519 public key, base64.
    pub public_key: String,
    /// PKCS#8 private key sealed with the master key.
    pub private_sealed: Vec<u8>,
    /// When made.
    pub created_at: i64,
    /// When it stopped signing.
    pub retired_at: Option<i64>,
}

/// An issued certificate.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CertificateRow {
    /// Id.
    pub id: String,
    /// The filed site.
    pub site_id: String,
    /// The tenant.
    pub owner_id: String,
    /// The canonical JSON that was signed.
    pub document: String,
    /// Base64 Ed25519 signature.
    pub signature: String,
    /// The signing key.
    pub key_id: String,
    /// Issued.
    pub issued_at: i64,
    /// Valid until.
    pub valid_until: i64,
    /// When a newer certificate replaced it.
    pub superseded_at: Option<i64>,
}

const CERTIFICATE_COLUMNS: &str =
    "id, site_id, owner_id, document, signature, key_id, issued_at, valid_until, superseded_at";

impl Tx {
    /// The key that signs now (the newest not retired).
    pub async fn active_signing_key(&mut self) -> Result<Option<SigningKeyRow>, StoreError> {
        let sql = "SELECT key_id, public_key, private_sealed, created_at, retired_at FROM filing_signing_keys \
                   WHERE retired_at IS NULL ORDER BY created_at DESC, key_id LIMIT 1";
        on_conn!(self, c => sqlx::query_as::<_, SigningKeyRow>(sql).fetch_optional(c).await.map_err(map_err))
    }

    /// Every signing key, newest first (published for verification).
    pub async fn signing_keys(&mut self) -> Result<Vec<SigningKeyRow>, StoreError> {
        let sql = "SELECT key_id, public_key, private_sealed, created_at, retired_at FROM filing_signing_keys \
                   ORDER BY created_at DESC, key_id";
        on_conn!(self, c => sqlx::query_as::<_, SigningKeyRow>(sql).fetch_all(c).await.map_err(map_err))
    }

    /// Stores a new key; `false` when the id exists (another instance made one first).
    pub async fn insert_signing_key(&mut self, row: &SigningKeyRow) -> Result<bool, StoreError> {
        let sql = "INSERT INTO filing_signing_keys (key_id, public_key, private_sealed, created_at, retired_at) \
                   VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key_id) DO NOTHING";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(&row.key_id)
            .bind(&row.public_key)
            .bind(&row.private_sealed)
            .bind(row.created_at)
            .bind(row.retired_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// Retires every signing key still in use (the next certificate makes a new one);
    /// retired keys keep verifying what they signed.
    pub async fn retire_signing_keys(&mut self, now: i64) -> Result<u64, StoreError> {
        let sql = "UPDATE filing_signing_keys SET retired_at = $1 WHERE retired_at IS NULL";
        on_conn!(self, c => sqlx::query(sql).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))
    }

    /// Stores a certificate, superseding the site's current one.
    pub async fn insert_certificate(&mut self, row: &CertificateRow) -> Result<(), StoreError> {
        let sql = "UPDATE filing_certificates SET superseded_at = $2 WHERE site_id = $1 AND superseded_at IS NULL";
        on_conn!(self, c => sqlx::query(sql).bind(&row.site_id).bind(row.issued_at).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        let sql = format!(
            "INSERT INTO filing_certificates ({CERTIFICATE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        );
        on_conn!(self, c => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(&row.id)
            .bind(&row.site_id)
            .bind(&row.owner_id)
            .bind(&row.document)
            .bind(&row.signature)
            .bind(&row.key_id)
            .bind(row.issued_at)
            .bind(row.valid_until)
            .bind(row.superseded_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// The site's current certificate.
    pub async fn current_certificate(
        &mut self,
        site_id: &str,
    ) -> Result<Option<CertificateRow>, StoreError> {
        let sql = format!(
            "SELECT {CERTIFICATE_COLUMNS} FROM filing_certificates WHERE site_id = $1 AND superseded_at IS NULL"
        );
        on_conn!(self, c => sqlx::query_as::<_, CertificateRow>(sqlx::AssertSqlSafe(sql.clone())).bind(site_id).fetch_optional(c).await.map_err(map_err))
    }

    /// Current certificates still valid at `now` that end before `horizon` (renewal
    /// reminders; an ended certificate is not reminded of again and again).
    pub async fn certificates_ending_between(
        &mut self,
        now: i64,
        horizon: i64,
        limit: i64,
    ) -> Result<Vec<CertificateRow>, StoreError> {
        let sql = format!(
            "SELECT {CERTIFICATE_COLUMNS} FROM filing_certificates WHERE superseded_at IS NULL \
             AND valid_until >= $1 AND valid_until < $2 ORDER BY valid_until, id LIMIT $3 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, CertificateRow>(sqlx::AssertSqlSafe(sql.clone())).bind(now).bind(horizon).bind(limit).fetch_all(c).await.map_err(map_err))
    }

    /// Filed sites by domain or by (site or subject) number: what the public search finds.
    pub async fn filed_sites_matching(
        &mut self,
        domain: Option<&str>,
        number: Option<&str>,
    ) -> Result<Vec<FilingSiteRow>, StoreError> {
        let sql = "SELECT s.id, s.owner_id, s.entity_id, s.domain, \
                   COALESCE(s.principal_mobile_index, '') AS principal_mobile_index, \
                   COALESCE(s.principal_email_index, '') AS principal_email_index, s.data_sealed, s.site_no, s.status, s.created_at, s.updated_at \
                   FROM filing_sites s JOIN filing_entities e ON e.id = s.entity_id \
                   WHERE s.status = 'filed' AND (s.domain = $1 OR s.site_no = $2 OR e.subject_no = $2) \
                   ORDER BY s.site_no, s.id LIMIT 100";
        on_conn!(self, c => sqlx::query_as::<_, FilingSiteRow>(sql)
            .bind(domain.unwrap_or(""))
            .bind(number.unwrap_or(""))
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Orders per status, of one tenant (every tenant's for `None`).
    pub async fn filing_status_counts(
        &mut self,
        owner: Option<&str>,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let sql = "SELECT status, COUNT(*) FROM filing_orders WHERE ($1 OR owner_id = $2) \
                   GROUP BY status ORDER BY status";
        on_conn!(self, c => sqlx::query_as::<_, (String, i64)>(sql)
            .bind(owner.is_none()).bind(owner.unwrap_or("")).fetch_all(c).await.map_err(map_err))
    }

    /// Every approved order's (operation, province, submitted at, approved at): the history
    /// the approval estimates come from (all tenants; only durations leave this query).
    pub async fn filing_approval_history(
        &mut self,
    ) -> Result<Vec<(String, i64, i64, i64)>, StoreError> {
        let sql = "SELECT o.operation, e.province, o.submitted_at, MAX(h.at) FROM filing_orders o \
                   JOIN filing_entities e ON e.id = o.entity_id \
                   JOIN filing_order_history h ON h.order_id = o.id AND h.to_status = 'APPROVED' \
                   WHERE o.status = 'APPROVED' AND o.submitted_at IS NOT NULL \
                   GROUP BY o.id, o.operation, e.province, o.submitted_at";
        on_conn!(self, c => sqlx::query_as::<_, (String, i64, i64, i64)>(sql).fetch_all(c).await.map_err(map_err))
    }

    /// Open orders (not approved or abandoned) as (id, operation, status, province, submitted
    /// at), newest first.
    pub async fn open_filing_orders(
        &mut self,
        owner: Option<&str>,
        limit: i64,
    ) -> Result<Vec<(String, String, String, i64, Option<i64>)>, StoreError> {
        let sql = "SELECT o.id, o.operation, o.status, e.province, o.submitted_at FROM filing_orders o \
                   JOIN filing_entities e ON e.id = o.entity_id \
                   WHERE ($1 OR o.owner_id = $2) AND o.status NOT IN ('APPROVED', 'ABANDONED') \
                   ORDER BY o.created_at DESC, o.id DESC LIMIT $3 + 0";
        on_conn!(self, c => sqlx::query_as::<_, (String, String, String, i64, Option<i64>)>(sql)
            .bind(owner.is_none()).bind(owner.unwrap_or("")).bind(limit.clamp(1, 1000)).fetch_all(c).await.map_err(map_err))
    }

    /// The latest status changes as (order id, from, to, at), newest first.
    pub async fn recent_filing_changes(
        &mut self,
        owner: Option<&str>,
        limit: i64,
    ) -> Result<Vec<(String, Option<String>, String, i64)>, StoreError> {
        let sql = "SELECT h.order_id, h.from_status, h.to_status, h.at FROM filing_order_history h \
                   JOIN filing_orders o ON o.id = h.order_id WHERE ($1 OR o.owner_id = $2) \
                   ORDER BY h.at DESC, h.seq DESC LIMIT $3 + 0";
        on_conn!(self, c => sqlx::query_as::<_, (String, Option<String>, String, i64)>(sql)
            .bind(owner.is_none()).bind(owner.unwrap_or("")).bind(limit.clamp(1, 200)).fetch_all(c).await.map_err(map_err))
    }

    /// What ends between `from` and `until`, as (kind, subject, ends at): filed sites'
    /// domains, the tenant's servers and current certificates.
    pub async fn filing_expiries(
        &mut self,
        owner: Option<&str>,
        from: i64,
        until: i64,
    ) -> Result<Vec<(String, String, i64)>, StoreError> {
        let sql = "SELECT 'domain', s.domain, d.expires_at FROM filing_sites s \
                   JOIN domains d ON d.name = s.domain AND d.purged_at IS NULL \
                   WHERE s.status = 'filed' AND ($1 OR s.owner_id = $2) AND d.expires_at >= $3 AND d.expires_at < $4 \
                   UNION ALL SELECT 'server', v.ip, v.expires_at FROM filing_servers v \
                   WHERE ($1 OR v.owner_id = $2) AND v.expires_at >= $3 AND v.expires_at < $4 \
                   UNION ALL SELECT 'certificate', c.id, c.valid_until FROM filing_certificates c \
                   WHERE c.superseded_at IS NULL AND ($1 OR c.owner_id = $2) AND c.valid_until >= $3 AND c.valid_until < $4 \
                   ORDER BY 3, 2";
        on_conn!(self, c => sqlx::query_as::<_, (String, String, i64)>(sql)
            .bind(owner.is_none()).bind(owner.unwrap_or("")).bind(from).bind(until).fetch_all(c).await.map_err(map_err))
    }
}
