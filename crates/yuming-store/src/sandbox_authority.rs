//! The built-in sandbox filing authority's records: tickets, number serials, filed subjects
//! and sites, and the text messages it "sent". They stand for an outside system; only the
//! sandbox connector reads or writes them.

use crate::db::{StoreError, Tx, map_err};

/// One submission the sandbox accepted.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SandboxTicketRow {
    /// The authority's reference.
    pub id: String,
    /// The platform's order id.
    pub order_id: String,
    /// The operation code.
    pub operation: String,
    /// GB/T 2260 province code.
    pub province: i64,
    /// Keyed blind index of the certificate (`type:number` in clear on a row of an older
    /// release not yet converted).
    pub cert_key: String,
    /// The certificate (`type:number`), sealed; `None` on a row of an older release.
    pub cert_sealed: Option<Vec<u8>>,
    /// The site's domain, for operations that carry one.
    pub domain: Option<String>,
    /// The existing site number, for operations on a filed site.
    pub site_no: Option<String>,
    /// `sms`, `review`, `returned` or `done`.
    pub phase: String,
    /// Salted SHA-256 of the SMS code (hex).
    pub code_hash: String,
    /// When the SMS code stops being valid.
    pub code_expires_at: i64,
    /// Wrong codes entered so far.
    pub wrong_codes: i64,
    /// When the bureau decides (once in review).
    pub decide_at: i64,
    /// Whether the bureau will reject it.
    pub reject: bool,
    /// The decision as JSON, once `done`.
    pub result: Option<String>,
    /// When it was accepted.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

/// A subject (主体) filed at the sandbox.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SandboxSubjectRow {
    /// Keyed blind index of the certificate.
    pub cert_key: String,
    /// 主体备案号.
    pub subject_no: String,
    /// Province code.
    pub province: i64,
    /// Year of the number.
    pub year: i64,
    /// Serial within province and year.
    pub serial: i64,
    /// The next site suffix.
    pub next_site: i64,
    /// When it was filed.
    pub created_at: i64,
}

const TICKET_COLUMNS: &str = "id, order_id, operation, province, cert_key, cert_sealed, domain, site_no, \
     phase, code_hash, code_expires_at, wrong_codes, decide_at, reject, result, created_at, updated_at";

impl Tx {
    /// Stores a new ticket; `false` (and nothing stored) when the order already has an open
    /// one.
    pub async fn insert_sandbox_ticket(
        &mut self,
        row: &SandboxTicketRow,
    ) -> Result<bool, StoreError> {
        let sql = format!(
            "INSERT INTO sandbox_authority_tickets ({TICKET_COLUMNS}) VALUES \
             ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
             ON CONFLICT (order_id) WHERE phase IN ('sms', 'review') DO NOTHING"
        );
        let n = on_conn!(self, c => sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(&row.id)
            .bind(&row.order_id)
            .bind(&row.operation)
            .bind(row.province)
            .bind(&row.cert_key)
            .bind(&row.cert_sealed)
            .bind(&row.domain)
            .bind(&row.site_no)
            .bind(&row.phase)
            .bind(&row.code_hash)
            .bind(row.code_expires_at)
            .bind(row.wrong_codes)
            .bind(row.decide_at)
            .bind(row.reject)
            .bind(&row.result)
            .bind(row.created_at)
            .bind(row.updated_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// The order's open ticket (awaiting its code or in review), if any.
    pub async fn open_sandbox_ticket_of_order(
        &mut self,
        order_id: &str,
    ) -> Result<Option<SandboxTicketRow>, StoreError> {
        let sql = format!(
            "SELECT {TICKET_COLUMNS} FROM sandbox_authority_tickets \
             WHERE order_id = $1 AND phase IN ('sms', 'review')"
        );
        on_conn!(self, c => sqlx::query_as::<_, SandboxTicketRow>(sqlx::AssertSqlSafe(sql.clone()))
            .bind(order_id).fetch_optional(c).await.map_err(map_err))
    }

    /// A ticket, locked for the rest of the transaction (PostgreSQL; SQLite's write
    /// transaction already excludes other writers), so that two instances asking about the
    /// same ticket at once decide it once.
    pub async fn sandbox_ticket_for_update(
        &mut self,
        id: &str,
    ) -> Result<Option<SandboxTicketRow>, StoreError> {
        let sqlite =
            format!("SELECT {TICKET_COLUMNS} FROM sandbox_authority_tickets WHERE id = $1");
        let postgres = format!("{sqlite} FOR UPDATE");
        per_backend!(self,
            sqlite: c => sqlx::query_as::<_, SandboxTicketRow>(sqlx::AssertSqlSafe(sqlite.clone()))
                .bind(id).fetch_optional(c).await.map_err(map_err),
            postgres: c => sqlx::query_as::<_, SandboxTicketRow>(sqlx::AssertSqlSafe(postgres.clone()))
                .bind(id).fetch_optional(c).await.map_err(map_err),
        )
    }

    /// Writes a ticket's mutable fields back.
    pub async fn update_sandbox_ticket(
        &mut self,
        row: &SandboxTicketRow,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE sandbox_authority_tickets SET phase = $2, wrong_codes = $3, decide_at = $4, \
                   result = $5, updated_at = $6 WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.phase)
            .bind(row.wrong_codes)
            .bind(row.decide_at)
            .bind(&row.result)
            .bind(row.updated_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// Takes the next serial of a province and year, starting at `first`. The counter row is
    /// updated in place, so concurrent takers get distinct serials on both backends.
    pub async fn take_sandbox_serial(
        &mut self,
        province: i64,
        year: i64,
        first: i64,
    ) -> Result<i64, StoreError> {
        let sql = "INSERT INTO sandbox_authority_serials (province, year, next_serial) VALUES ($1, $2, $3 + 1) \
                   ON CONFLICT (province, year) DO UPDATE SET next_serial = sandbox_authority_serials.next_serial + 1 \
                   RETURNING next_serial - 1";
        on_conn!(self, c => sqlx::query_scalar::<_, i64>(sql)
            .bind(province)
            .bind(year)
            .bind(first)
            .fetch_one(c)
            .await
            .map_err(map_err))
    }

    /// The subject filed for a certificate.
    pub async fn sandbox_subject(
        &mut self,
        cert_key: &str,
    ) -> Result<Option<SandboxSubjectRow>, StoreError> {
        let sql = "SELECT cert_key, subject_no, province, year, serial, next_site, created_at \
                   FROM sandbox_authority_subjects WHERE cert_key = $1";
        on_conn!(self, c => sqlx::query_as::<_, SandboxSubjectRow>(sql).bind(cert_key).fetch_optional(c).await.map_err(map_err))
    }

    /// Files a subject; `false` when the certificate already has one.
    pub async fn insert_sandbox_subject(
        &mut self,
        row: &SandboxSubjectRow,
    ) -> Result<bool, StoreError> {
        let sql = "INSERT INTO sandbox_authority_subjects (cert_key, subject_no, province, year, serial, \
                   next_site, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (cert_key) DO NOTHING";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(&row.cert_key)
            .bind(&row.subject_no)
            .bind(row.province)
            .bind(row.year)
            .bind(row.serial)
            .bind(row.next_site)
            .bind(row.created_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// Takes the next site suffix of a subject.
    pub async fn take_sandbox_site_suffix(&mut self, cert_key: &str) -> Result<i64, StoreError> {
        let sql = "UPDATE sandbox_authority_subjects SET next_site = next_site + 1 WHERE cert_key = $1 \
                   RETURNING next_site - 1";
        on_conn!(self, c => sqlx::query_scalar::<_, i64>(sql).bind(cert_key).fetch_one(c).await.map_err(map_err))
    }

    /// Removes a subject and its sites.
    pub async fn delete_sandbox_subject(&mut self, cert_key: &str) -> Result<(), StoreError> {
        for sql in [
            "DELETE FROM sandbox_authority_sites WHERE cert_key = $1",
            "DELETE FROM sandbox_authority_subjects WHERE cert_key = $1",
        ] {
            on_conn!(self, c => sqlx::query(sql).bind(cert_key).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        }
        Ok(())
    }

    /// The subject certificate a domain is filed under, if any.
    pub async fn sandbox_site_subject(
        &mut self,
        domain: &str,
    ) -> Result<Option<String>, StoreError> {
        let sql = "SELECT cert_key FROM sandbox_authority_sites WHERE domain = $1";
        on_conn!(self, c => sqlx::query_scalar::<_, String>(sql).bind(domain).fetch_optional(c).await.map_err(map_err))
    }

    /// How many sites a subject has.
    pub async fn sandbox_site_count(&mut self, cert_key: &str) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM sandbox_authority_sites WHERE cert_key = $1";
        on_conn!(self, c => sqlx::query_scalar::<_, i64>(sql).bind(cert_key).fetch_one(c).await.map_err(map_err))
    }

    /// Files a site.
    pub async fn insert_sandbox_site(
        &mut self,
        domain: &str,
        cert_key: &str,
        site_serial: i64,
        site_no: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO sandbox_authority_sites (domain, cert_key, site_serial, site_no, created_at) \
                   VALUES ($1, $2, $3, $4, $5)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(domain)
            .bind(cert_key)
            .bind(site_serial)
            .bind(site_no)
            .bind(at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// Removes a filed site.
    pub async fn delete_sandbox_site(&mut self, domain: &str) -> Result<(), StoreError> {
        let sql = "DELETE FROM sandbox_authority_sites WHERE domain = $1";
        on_conn!(self, c => sqlx::query(sql).bind(domain).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }

    /// Records a text message the sandbox sent to the mobile with this blind index.
    pub async fn insert_sandbox_sms(
        &mut self,
        mobile_index: &str,
        body: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        // The plaintext column of older releases is NOT NULL: it gets the empty string.
        let sql = "INSERT INTO sandbox_authority_sms (mobile, mobile_index, body, sent_at) \
                   VALUES ('', $1, $2, $3)";
        on_conn!(self, c => sqlx::query(sql).bind(mobile_index).bind(body).bind(at).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }

    /// The text messages sent to a mobile stored under any of `mobile_indexes` (one per
    /// master key in use), oldest first, with when they were sent.
    pub async fn sandbox_sms_to(
        &mut self,
        mobile_indexes: &[String],
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let sql = "SELECT id, body, sent_at FROM sandbox_authority_sms WHERE mobile_index = $1";
        let mut texts: Vec<(i64, String, i64)> = Vec::new();
        for index in mobile_indexes {
            let found = on_conn!(self, c => sqlx::query_as::<_, (i64, String, i64)>(sql)
                .bind(index)
                .fetch_all(c)
                .await
                .map_err(map_err))?;
            texts.extend(found);
        }
        texts.sort_by_key(|(id, _, _)| *id);
        texts.dedup_by_key(|(id, _, _)| *id);
        Ok(texts.into_iter().map(|(_, body, at)| (body, at)).collect())
    }

    /// Up to `limit` tickets an older release stored with the certificate in clear:
    /// `(id, cert_key)`.
    pub async fn sandbox_tickets_in_clear(
        &mut self,
        limit: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let sql = "SELECT id, cert_key FROM sandbox_authority_tickets WHERE cert_sealed IS NULL \
                   ORDER BY id LIMIT $1 + 0";
        on_conn!(self, c => sqlx::query_as::<_, (String, String)>(sql).bind(limit).fetch_all(c).await.map_err(map_err))
    }

    /// Replaces a ticket's certificate in clear by its index and sealed form; false when
    /// another instance did it first.
    pub async fn seal_sandbox_ticket_in_clear(
        &mut self,
        id: &str,
        cert_index: &str,
        cert_sealed: &[u8],
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE sandbox_authority_tickets SET cert_key = $2, cert_sealed = $3 \
                   WHERE id = $1 AND cert_sealed IS NULL";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(cert_index)
            .bind(cert_sealed)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    /// Up to `limit` certificate keys of filed subjects still in clear (`type:number`; an
    /// index is hex and has no colon).
    pub async fn sandbox_subjects_in_clear(
        &mut self,
        limit: i64,
    ) -> Result<Vec<String>, StoreError> {
        let sql = "SELECT cert_key FROM sandbox_authority_subjects WHERE cert_key LIKE '%:%' \
                   ORDER BY cert_key LIMIT $1 + 0";
        on_conn!(self, c => sqlx::query_scalar::<_, String>(sql).bind(limit).fetch_all(c).await.map_err(map_err))
    }

    /// Re-keys a filed subject and its sites from the certificate in clear to its index. The
    /// sites' foreign key is checked at commit, when both sides agree again.
    pub async fn rekey_sandbox_subject(
        &mut self,
        cert_key: &str,
        cert_index: &str,
    ) -> Result<(), StoreError> {
        per_backend!(self,
            sqlite: c => sqlx::query("PRAGMA defer_foreign_keys = ON").execute(c).await.map(|_| ()).map_err(map_err),
            postgres: c => sqlx::query("SET CONSTRAINTS sandbox_authority_sites_cert_key_fkey DEFERRED").execute(c).await.map(|_| ()).map_err(map_err),
        )?;
        for sql in [
            "UPDATE sandbox_authority_subjects SET cert_key = $2 WHERE cert_key = $1",
            "UPDATE sandbox_authority_sites SET cert_key = $2 WHERE cert_key = $1",
        ] {
            on_conn!(self, c => sqlx::query(sql).bind(cert_key).bind(cert_index).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        }
        Ok(())
    }

    /// Up to `limit` text messages an older release stored with the mobile in clear:
    /// `(id, mobile)`.
    pub async fn sandbox_sms_in_clear(
        &mut self,
        limit: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let sql = "SELECT id, mobile FROM sandbox_authority_sms WHERE mobile_index IS NULL \
                   ORDER BY id LIMIT $1 + 0";
        on_conn!(self, c => sqlx::query_as::<_, (i64, String)>(sql).bind(limit).fetch_all(c).await.map_err(map_err))
    }

    /// Replaces a text message's mobile in clear by its index.
    pub async fn index_sandbox_sms_in_clear(
        &mut self,
        id: i64,
        mobile_index: &str,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE sandbox_authority_sms SET mobile_index = $2, mobile = '' \
                   WHERE id = $1 AND mobile_index IS NULL";
        on_conn!(self, c => sqlx::query(sql).bind(id).bind(mobile_index).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }

    /// How many numbers the sandbox has issued in all (subjects and sites; tests, operators).
    pub async fn sandbox_numbers_issued(&mut self) -> Result<(i64, i64), StoreError> {
        let subjects = on_conn!(self, c => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sandbox_authority_subjects").fetch_one(c).await.map_err(map_err))?;
        let sites = on_conn!(self, c => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sandbox_authority_sites").fetch_one(c).await.map_err(map_err))?;
        Ok((subjects, sites))
    }
}
