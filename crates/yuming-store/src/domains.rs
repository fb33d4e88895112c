//! Domains: the local registry's authoritative record and the registrar's view in one row,
//! with an append-only history.

use crate::db::{Db, StoreError, Tx, map_err};

/// A domain as stored.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DomainRow {
    /// Opaque id.
    pub id: String,
    /// A-label form, lower case.
    pub name: String,
    /// Unicode form.
    pub unicode_name: String,
    /// ASCII TLD.
    pub tld: String,
    /// Shared key of the name's simplified/traditional variants.
    pub variant_key: String,
    /// Owning tenant.
    pub owner_id: String,
    /// Registrant contact.
    pub registrant_contact_id: String,
    /// Registry connector name.
    pub registry: String,
    /// client*/server*/inactive flags, comma-separated.
    pub flags: String,
    /// Nameservers, comma-separated.
    pub nameservers: String,
    /// Encrypted auth code.
    pub auth_code_sealed: Vec<u8>,
    /// Automatic renewal on expiry.
    pub auto_renew: bool,
    /// Held for naming review.
    pub needs_review: bool,
    /// Registration time.
    pub created_at: i64,
    /// Expiry.
    pub expires_at: i64,
    /// Years bought at registration.
    pub registered_years: i64,
    /// Latest renewal time.
    pub last_renewal_at: Option<i64>,
    /// Latest renewal's years.
    pub last_renewal_years: Option<i64>,
    /// Latest renewal's kind (`explicit`, `auto`, `restore`).
    pub last_renewal_kind: Option<String>,
    /// Expiry before the latest renewal.
    pub last_renewal_prev_expiry: Option<i64>,
    /// Latest completed transfer.
    pub last_transferred_at: Option<i64>,
    /// Pending transfer request time.
    pub pending_transfer_since: Option<i64>,
    /// Latest delete command.
    pub deleted_at: Option<i64>,
    /// Latest restore.
    pub restored_at: Option<i64>,
    /// Released and registrable again.
    pub purged_at: Option<i64>,
    /// Last change.
    pub updated_at: i64,
}

macro_rules! domain_columns {
    () => {
        "id, name, unicode_name, tld, variant_key, owner_id, registrant_contact_id, registry, flags, \
         nameservers, auth_code_sealed, auto_renew, needs_review, created_at, expires_at, registered_years, \
         last_renewal_at, last_renewal_years, last_renewal_kind, last_renewal_prev_expiry, last_transferred_at, \
         pending_transfer_since, deleted_at, restored_at, purged_at, updated_at"
    };
}

/// A live (not purged) row that holds a name or one of its variants.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HeldName {
    /// A-label name.
    pub name: String,
    /// Variant key.
    pub variant_key: String,
    /// Owning tenant.
    pub owner_id: String,
    /// ASCII TLD.
    pub tld: String,
    /// Registration time.
    pub created_at: i64,
    /// Expiry.
    pub expires_at: i64,
    /// Latest delete command.
    pub deleted_at: Option<i64>,
    /// Latest restore.
    pub restored_at: Option<i64>,
}

/// A held name with the facts an availability index needs to follow changes.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HeldNameChange {
    /// The held name.
    #[sqlx(flatten)]
    pub held: HeldName,
    /// Set once the name was released and purged.
    pub purged_at: Option<i64>,
    /// Last change of the row.
    pub updated_at: i64,
}

impl Tx {
    /// Every live held name (the initial load of an availability index).
    pub async fn all_held_names(&mut self) -> Result<Vec<HeldNameChange>, StoreError> {
        let sql = "SELECT name, variant_key, owner_id, tld, created_at, expires_at, deleted_at, restored_at, purged_at, \
                   updated_at FROM domains WHERE purged_at IS NULL";
        on_conn!(self, c => sqlx::query_as::<_, HeldNameChange>(sql).fetch_all(c).await.map_err(map_err))
    }

    /// Rows changed at or after `since` (updated_at), purged ones included, oldest first.
    pub async fn held_names_changed_since(
        &mut self,
        since: i64,
    ) -> Result<Vec<HeldNameChange>, StoreError> {
        let sql = "SELECT name, variant_key, owner_id, tld, created_at, expires_at, deleted_at, restored_at, purged_at, \
                   updated_at FROM domains WHERE updated_at >= $1 ORDER BY updated_at";
        on_conn!(self, c => sqlx::query_as::<_, HeldNameChange>(sql).bind(since).fetch_all(c).await.map_err(map_err))
    }

    /// Inserts a new domain. A live row with the same name or variant key is a
    /// `Conflict` naming `domains_live_name_idx`/`name` or `domains_live_variant_idx`/`variant_key`.
    pub async fn insert_domain(&mut self, row: &DomainRow) -> Result<(), StoreError> {
        let sql = concat!(
            "INSERT INTO domains (",
            domain_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, \
             $20, $21, $22, $23, $24, $25, $26)"
        );
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.name)
            .bind(&row.unicode_name)
            .bind(&row.tld)
            .bind(&row.variant_key)
            .bind(&row.owner_id)
            .bind(&row.registrant_contact_id)
            .bind(&row.registry)
            .bind(&row.flags)
            .bind(&row.nameservers)
            .bind(&row.auth_code_sealed)
            .bind(row.auto_renew)
            .bind(row.needs_review)
            .bind(row.created_at)
            .bind(row.expires_at)
            .bind(row.registered_years)
            .bind(row.last_renewal_at)
            .bind(row.last_renewal_years)
            .bind(&row.last_renewal_kind)
            .bind(row.last_renewal_prev_expiry)
            .bind(row.last_transferred_at)
            .bind(row.pending_transfer_since)
            .bind(row.deleted_at)
            .bind(row.restored_at)
            .bind(row.purged_at)
            .bind(row.updated_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }

    /// Writes every mutable field of a domain back (renewal, flags, nameservers, contact…).
    pub async fn update_domain(&mut self, row: &DomainRow) -> Result<(), StoreError> {
        let sql = "UPDATE domains SET registrant_contact_id = $2, flags = $3, nameservers = $4, \
                   auth_code_sealed = $5, auto_renew = $6, needs_review = $7, expires_at = $8, \
                   last_renewal_at = $9, last_renewal_years = $10, last_renewal_kind = $11, \
                   last_renewal_prev_expiry = $12, last_transferred_at = $13, pending_transfer_since = $14, \
                   deleted_at = $15, restored_at = $16, purged_at = $17, updated_at = $18, owner_id = $19 \
                   WHERE id = $1";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.registrant_contact_id)
            .bind(&row.flags)
            .bind(&row.nameservers)
            .bind(&row.auth_code_sealed)
            .bind(row.auto_renew)
            .bind(row.needs_review)
            .bind(row.expires_at)
            .bind(row.last_renewal_at)
            .bind(row.last_renewal_years)
            .bind(&row.last_renewal_kind)
            .bind(row.last_renewal_prev_expiry)
            .bind(row.last_transferred_at)
            .bind(row.pending_transfer_since)
            .bind(row.deleted_at)
            .bind(row.restored_at)
            .bind(row.purged_at)
            .bind(row.updated_at)
            .bind(&row.owner_id)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    /// The live row holding this A-label name.
    pub async fn domain_by_name(&mut self, name: &str) -> Result<Option<DomainRow>, StoreError> {
        on_conn!(self, c => sqlx::query_as::<_, DomainRow>(DOMAIN_BY_NAME).bind(name).fetch_optional(c).await.map_err(map_err))
    }

    /// Whether a live domain lists this A-label host among its nameservers.
    pub async fn nameserver_in_use(&mut self, host: &str) -> Result<bool, StoreError> {
        // The list is stored comma-separated; framing both sides with commas matches whole
        // entries only. Hosts are validated LDH names, so LIKE's wildcards cannot occur.
        let sql = "SELECT id FROM domains WHERE purged_at IS NULL \
                   AND (',' || nameservers || ',') LIKE $1 LIMIT 1";
        let pattern = format!("%,{host},%");
        let found: Option<(String,)> = on_conn!(self, c => sqlx::query_as(sql).bind(&pattern).fetch_optional(c).await.map_err(map_err))?;
        Ok(found.is_some())
    }

    /// Whether a contact is the registrant of a live domain.
    pub async fn contact_is_registrant(&mut self, contact_id: &str) -> Result<bool, StoreError> {
        let sql =
            "SELECT id FROM domains WHERE purged_at IS NULL AND registrant_contact_id = $1 LIMIT 1";
        let found: Option<(String,)> = on_conn!(self, c => sqlx::query_as(sql).bind(contact_id).fetch_optional(c).await.map_err(map_err))?;
        Ok(found.is_some())
    }

    /// Same as [`Tx::domain_by_name`] but locks the row until commit on PostgreSQL (SQLite
    /// write transactions already hold the database lock).
    pub async fn domain_by_name_for_update(
        &mut self,
        name: &str,
    ) -> Result<Option<DomainRow>, StoreError> {
        per_backend!(self,
            sqlite: c => sqlx::query_as::<_, DomainRow>(concat!("SELECT ", domain_columns!(), " FROM domains WHERE name = $1 AND purged_at IS NULL"))
                .bind(name).fetch_optional(c).await.map_err(map_err),
            postgres: c => sqlx::query_as::<_, DomainRow>(concat!("SELECT ", domain_columns!(), " FROM domains WHERE name = $1 AND purged_at IS NULL FOR UPDATE"))
                .bind(name).fetch_optional(c).await.map_err(map_err),
        )
    }

    /// The live rows holding any of these names or variant keys (availability checks).
    pub async fn held_names(
        &mut self,
        names: &[String],
        variant_keys: &[String],
    ) -> Result<Vec<HeldName>, StoreError> {
        let mut held = Vec::new();
        // Chunks keep the statement within every backend's parameter limit.
        for (names, keys) in names.chunks(400).zip(variant_keys.chunks(400)) {
            let placeholders = |offset: usize, n: usize| {
                (1..=n)
                    .map(|i| format!("${}", i + offset))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let sql = format!(
                "SELECT name, variant_key, owner_id, tld, created_at, expires_at, deleted_at, restored_at FROM domains \
                 WHERE purged_at IS NULL AND (name IN ({}) OR variant_key IN ({}))",
                placeholders(0, names.len()),
                placeholders(names.len(), keys.len())
            );
            let rows = on_conn!(self, c => {
                let mut query = sqlx::query_as::<_, HeldName>(sqlx::AssertSqlSafe(sql.clone()));
                for name in names {
                    query = query.bind(name);
                }
                for key in keys {
                    query = query.bind(key);
                }
                query.fetch_all(c).await.map_err(map_err)
            })?;
            held.extend(rows);
        }
        Ok(held)
    }

    /// Live domains held for a naming review, oldest first.
    pub async fn domains_needing_review(
        &mut self,
        limit: i64,
    ) -> Result<Vec<DomainRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            domain_columns!(),
            " FROM domains WHERE needs_review = TRUE AND purged_at IS NULL ORDER BY created_at, id LIMIT $1 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, DomainRow>(sql).bind(limit.clamp(1, 500)).fetch_all(c).await.map_err(map_err))
    }

    /// Every live row's variant key, oldest registration first (re-keying after the variant
    /// rules change): `(id, name, unicode_name, variant_key)`.
    pub async fn live_variant_keys(
        &mut self,
    ) -> Result<Vec<(String, String, String, String)>, StoreError> {
        let sql = "SELECT id, name, unicode_name, variant_key FROM domains WHERE purged_at IS NULL \
                   ORDER BY created_at, id";
        on_conn!(self, c => sqlx::query_as::<_, (String, String, String, String)>(sql).fetch_all(c).await.map_err(map_err))
    }

    /// Replaces a live row's variant key; `updated_at` moves so that availability indexes
    /// of other instances pick the change up.
    pub async fn set_variant_key(
        &mut self,
        id: &str,
        variant_key: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "UPDATE domains SET variant_key = $2, updated_at = $3 WHERE id = $1 AND purged_at IS NULL";
        on_conn!(self, c => sqlx::query(sql).bind(id).bind(variant_key).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }

    /// Marks a released name so that it can be registered again.
    pub async fn purge_domain(&mut self, id: &str, now: i64) -> Result<(), StoreError> {
        let sql = "UPDATE domains SET purged_at = $2, updated_at = $2 WHERE id = $1 AND purged_at IS NULL";
        on_conn!(self, c => sqlx::query(sql).bind(id).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        Ok(())
    }

    /// Appends a history row.
    pub async fn append_domain_history(
        &mut self,
        entry: &DomainHistoryEntry<'_>,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO domain_history (id, domain_id, action, actor, order_id, detail, at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(entry.id)
            .bind(entry.domain_id)
            .bind(entry.action)
            .bind(entry.actor)
            .bind(entry.order_id)
            .bind(entry.detail)
            .bind(entry.at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(())
    }
}

/// One history row of a domain.
#[derive(Debug, Clone)]
pub struct DomainHistoryEntry<'a> {
    /// Opaque id.
    pub id: &'a str,
    /// The domain.
    pub domain_id: &'a str,
    /// What happened, e.g. `register`, `renew`.
    pub action: &'a str,
    /// Who did it.
    pub actor: &'a str,
    /// The paying order, if any.
    pub order_id: Option<&'a str>,
    /// JSON detail.
    pub detail: &'a str,
    /// When.
    pub at: i64,
}

impl Tx {
    /// Ids of live domains that may need a lifecycle side effect at `now`: expiring before
    /// `horizon` (reminders, auto-renewal, grace, release) or deleted. Each half uses its
    /// index (`domains_expiry_idx`, `domains_deleted_idx`); there is deliberately no id
    /// cursor, which made SQLite walk the primary key instead (26 s of a 34 s sweep over
    /// 1M rows). The due set is a small fraction of all domains, so one list is fine.
    ///
    /// Auto-renew domains whose renewal threshold (`auto_renew_days_before`, at most
    /// `ahead_horizon - now`) has been reached at `now` are included even beyond `horizon`;
    /// the range on `expires_at` keeps that arm on the expiry index.
    pub async fn lifecycle_due_ids(
        &mut self,
        horizon: i64,
        now: i64,
        ahead_horizon: i64,
    ) -> Result<Vec<String>, StoreError> {
        let sql = "SELECT id FROM domains WHERE purged_at IS NULL AND expires_at <= $1 \
                   UNION \
                   SELECT id FROM domains WHERE purged_at IS NULL AND deleted_at IS NOT NULL \
                   UNION \
                   SELECT id FROM domains WHERE purged_at IS NULL AND auto_renew \
                     AND expires_at > $1 AND expires_at <= $3 \
                     AND expires_at - auto_renew_days_before * 86400 <= $2 + 86399";
        let rows: Vec<(String,)> = on_conn!(self, c => sqlx::query_as(sql).bind(horizon).bind(now).bind(ahead_horizon)
            .fetch_all(c).await.map_err(map_err))?;
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Locks a live domain by id for the rest of the transaction, or `None` when it is gone or
    /// (PostgreSQL) locked by another worker, which is then doing the same work; SQLite's
    /// write transaction already excludes other writers.
    pub async fn claim_domain(&mut self, id: &str) -> Result<Option<DomainRow>, StoreError> {
        per_backend!(self,
            sqlite: c => sqlx::query_as::<_, DomainRow>(concat!("SELECT ", domain_columns!(), " FROM domains WHERE id = $1 AND purged_at IS NULL"))
                .bind(id).fetch_optional(c).await.map_err(map_err),
            postgres: c => sqlx::query_as::<_, DomainRow>(concat!("SELECT ", domain_columns!(), " FROM domains WHERE id = $1 AND purged_at IS NULL FOR UPDATE SKIP LOCKED"))
                .bind(id).fetch_optional(c).await.map_err(map_err),
        )
    }

    /// Counts history rows of an action (operators, tests).
    pub async fn domain_history_count(&mut self, action: &str) -> Result<i64, StoreError> {
        let sql = "SELECT COUNT(*) FROM domain_history WHERE action = $1";
        let (n,): (i64,) = on_conn!(self, c => sqlx::query_as(sql).bind(action).fetch_one(c).await.map_err(map_err))?;
        Ok(n)
    }
}

impl Tx {
    /// Benchmarks only: inserts `count` `.com` domains of `owner_id` in one statement; every
    /// `due_every`-th expires at `now` with auto-renew on, the rest a year later.
    pub async fn bench_seed_domains(
        &mut self,
        owner_id: &str,
        contact_id: &str,
        prefix: &str,
        count: i64,
        due_every: i64,
        now: i64,
    ) -> Result<u64, StoreError> {
        macro_rules! seed_sql {
            ($sealed:literal) => {
                concat!(
                    "WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < $1) \
                     INSERT INTO domains (",
                    domain_columns!(),
                    ") SELECT $2 || '-' || CAST(n AS TEXT), $2 || '-' || CAST(n AS TEXT) || '.com', \
                     $2 || '-' || CAST(n AS TEXT) || '.com', 'com', $2 || '-' || CAST(n AS TEXT) || '.com', $3, $4, \
                     'local', '', 'ns1.example.net,ns2.example.net', ",
                    $sealed,
                    ", n % $5 = 0, FALSE, $6 - 31536000, CASE WHEN n % $5 = 0 THEN $6 ELSE $6 + 31536000 END, 1, \
                     NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, $6 FROM seq"
                )
            };
        }
        per_backend!(self,
            sqlite: c => sqlx::query(seed_sql!("x'00'")).bind(count).bind(prefix).bind(owner_id).bind(contact_id)
                .bind(due_every).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(map_err),
            postgres: c => sqlx::query(seed_sql!("'\\x00'::bytea")).bind(count).bind(prefix).bind(owner_id).bind(contact_id)
                .bind(due_every).bind(now).execute(c).await.map(|r| r.rows_affected()).map_err(map_err),
        )
    }
}

/// A domain of a page of the owner's list, with whether its registrant contact is verified
/// (the registry hold the list shows depends on it).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ListedDomain {
    /// The stored row.
    #[sqlx(flatten)]
    pub row: DomainRow,
    /// Whether the registrant contact passed real-name verification.
    pub registrant_verified: bool,
}

/// One page of an owner's live names with their registrant's verification, in one statement
/// (a query per row made a 20-name list several times slower than the account itself).
pub(crate) const DOMAINS_PAGE: &str = concat!(
    "SELECT ",
    domain_columns!(),
    ", EXISTS (SELECT 1 FROM contacts c WHERE c.id = domains.registrant_contact_id \
       AND c.verification_status = 'verified') AS registrant_verified \
     FROM domains WHERE owner_id = $1 AND purged_at IS NULL AND name > $2 ORDER BY name LIMIT $3 + 0"
);

/// As [`DOMAINS_PAGE`], soonest expiry first, after (`$2` expiry, `$3` A-label).
pub(crate) const DOMAINS_PAGE_BY_EXPIRY: &str = concat!(
    "SELECT ",
    domain_columns!(),
    ", EXISTS (SELECT 1 FROM contacts c WHERE c.id = domains.registrant_contact_id \
       AND c.verification_status = 'verified') AS registrant_verified \
     FROM domains WHERE owner_id = $1 AND purged_at IS NULL AND (expires_at, name) > ($2, $3) \
     ORDER BY expires_at, name LIMIT $4 + 0"
);

/// The live row of a name.
pub(crate) const DOMAIN_BY_NAME: &str = concat!(
    "SELECT ",
    domain_columns!(),
    " FROM domains WHERE name = $1 AND purged_at IS NULL"
);

impl Db {
    /// The live row of an A-label name as one statement outside any transaction (public
    /// lookups: RDAP, WHOIS).
    pub async fn domain_by_name(&self, name: &str) -> Result<Option<DomainRow>, StoreError> {
        lone_read!(
            optional: self,
            DomainRow,
            DOMAIN_BY_NAME,
            DomainRow::from_rusqlite,
            name
        )
    }

    /// Up to `limit` (1–1000) of the owner's live names after `after_name`, by A-label, as one
    /// statement outside any transaction.
    pub async fn domains_page(
        &self,
        owner_id: &str,
        after_name: &str,
        limit: i64,
    ) -> Result<Vec<ListedDomain>, StoreError> {
        let limit = limit.clamp(1, 1000);
        lone_read!(
            all: self,
            ListedDomain,
            DOMAINS_PAGE,
            ListedDomain::from_rusqlite,
            owner_id,
            after_name,
            limit
        )
    }

    /// Up to `limit` (1–1000) of the owner's live names, soonest expiry first, after the
    /// name `after_name` expiring at `after_expires`, as one statement outside any
    /// transaction.
    pub async fn domains_page_by_expiry(
        &self,
        owner_id: &str,
        after_expires: i64,
        after_name: &str,
        limit: i64,
    ) -> Result<Vec<ListedDomain>, StoreError> {
        let limit = limit.clamp(1, 1000);
        lone_read!(
            all: self,
            ListedDomain,
            DOMAINS_PAGE_BY_EXPIRY,
            ListedDomain::from_rusqlite,
            owner_id,
            after_expires,
            after_name,
            limit
        )
    }
}

/// How many columns `domain_columns!` lists.
const DOMAIN_COLUMN_COUNT: usize = 26;

impl ListedDomain {
    /// A listed row on SQLite's inline read path: the domain's columns, then the registrant's
    /// verification.
    fn from_rusqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<ListedDomain> {
        Ok(ListedDomain {
            row: DomainRow::from_rusqlite(r)?,
            registrant_verified: r.get(DOMAIN_COLUMN_COUNT)?,
        })
    }
}

impl DomainRow {
    /// The row of a statement on SQLite's inline read path. Columns are read by position, in
    /// the order of the columns macro (a lookup by name cost a fifth of a list request).
    fn from_rusqlite(r: &rusqlite::Row<'_>) -> rusqlite::Result<DomainRow> {
        Ok(DomainRow {
            id: r.get(0)?,
            name: r.get(1)?,
            unicode_name: r.get(2)?,
            tld: r.get(3)?,
            variant_key: r.get(4)?,
            owner_id: r.get(5)?,
            registrant_contact_id: r.get(6)?,
            registry: r.get(7)?,
            flags: r.get(8)?,
            nameservers: r.get(9)?,
            auth_code_sealed: r.get(10)?,
            auto_renew: r.get(11)?,
            needs_review: r.get(12)?,
            created_at: r.get(13)?,
            expires_at: r.get(14)?,
            registered_years: r.get(15)?,
            last_renewal_at: r.get(16)?,
            last_renewal_years: r.get(17)?,
            last_renewal_kind: r.get(18)?,
            last_renewal_prev_expiry: r.get(19)?,
            last_transferred_at: r.get(20)?,
            pending_transfer_since: r.get(21)?,
            deleted_at: r.get(22)?,
            restored_at: r.get(23)?,
            purged_at: r.get(24)?,
            updated_at: r.get(25)?,
        })
    }
}
