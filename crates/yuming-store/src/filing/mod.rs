//! ICP filing: rules table, address pools, servers, blacklist, entities, sites, orders with
//! their history and review notes, and uploaded materials.

mod rows;

pub use rows::{
    FilingEntityRow, FilingHistoryRow, FilingMaterialRow, FilingNoteRow, FilingOrderRow,
    FilingRuleRow, FilingSiteRow, IpPoolRow, ServerRow,
};

use crate::db::{StoreError, Tx, map_err};

macro_rules! entity_columns {
    () => {
        "id, owner_id, entity_type, province, name, cert_type, cert_digest, cert_masked, \
         COALESCE(principal_mobile_index, '') AS principal_mobile_index, \
         COALESCE(principal_email_index, '') AS principal_email_index, data_sealed, subject_no, \
         status, created_at, updated_at"
    };
}

macro_rules! site_columns {
    () => {
        "id, owner_id, entity_id, domain, COALESCE(principal_mobile_index, '') AS \
         principal_mobile_index, COALESCE(principal_email_index, '') AS principal_email_index, \
         data_sealed, site_no, status, created_at, updated_at"
    };
}

macro_rules! order_columns {
    () => {
        "id, owner_id, entity_id, site_id, operation, status, lock_key, payload_sealed, \
         rejected_fields, claimed_by, authority_ticket, submitted_at, created_at, updated_at"
    };
}

macro_rules! material_columns {
    () => {
        "id, owner_id, order_id, kind, current, content_type, size_bytes, sha256, width, \
         height, dpi, data_sealed, created_by, created_at"
    };
}

impl Tx {
    /// Every row of the rules table.
    pub async fn filing_rules(&mut self) -> Result<Vec<FilingRuleRow>, StoreError> {
        let sql = "SELECT id, scope, scope_key, rule_key, value, source, effective_from, \
                   created_at FROM filing_rules ORDER BY rule_key, effective_from, id";
        on_conn!(self, c => sqlx::query_as::<_, FilingRuleRow>(sql)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Adds a rules-table row (rows are never edited: a new value is a new row).
    pub async fn insert_filing_rule(&mut self, row: &FilingRuleRow) -> Result<(), StoreError> {
        let sql = "INSERT INTO filing_rules (id, scope, scope_key, rule_key, value, source, \
                   effective_from, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.scope)
            .bind(&row.scope_key)
            .bind(&row.rule_key)
            .bind(&row.value)
            .bind(&row.source)
            .bind(row.effective_from)
            .bind(row.created_at)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// Adds an address pool.
    pub async fn insert_ip_pool(&mut self, row: &IpPoolRow) -> Result<(), StoreError> {
        let sql = "INSERT INTO filing_ip_pools (id, cidr, region, mainland, created_at) \
                   VALUES ($1, $2, $3, $4, $5)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.cidr)
            .bind(&row.region)
            .bind(row.mainland)
            .bind(row.created_at)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// Every address pool.
    pub async fn ip_pools(&mut self) -> Result<Vec<IpPoolRow>, StoreError> {
        let sql = "SELECT id, cidr, region, mainland, created_at FROM filing_ip_pools \
                   ORDER BY created_at, id";
        on_conn!(self, c => sqlx::query_as::<_, IpPoolRow>(sql)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Adds a server; a taken address is [`StoreError::Conflict`].
    pub async fn insert_server(&mut self, row: &ServerRow) -> Result<(), StoreError> {
        let sql = "INSERT INTO filing_servers (id, owner_id, ip, region, expires_at, \
                   created_at) VALUES ($1, $2, $3, $4, $5, $6)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.owner_id)
            .bind(&row.ip)
            .bind(&row.region)
            .bind(row.expires_at)
            .bind(row.created_at)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// The server with this address.
    pub async fn server_by_ip(&mut self, ip: &str) -> Result<Option<ServerRow>, StoreError> {
        let sql = "SELECT id, owner_id, ip, region, expires_at, created_at FROM filing_servers \
                   WHERE ip = $1";
        on_conn!(self, c => sqlx::query_as::<_, ServerRow>(sql)
            .bind(ip)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// A tenant's servers.
    pub async fn servers_of_owner(&mut self, owner_id: &str) -> Result<Vec<ServerRow>, StoreError> {
        let sql = "SELECT id, owner_id, ip, region, expires_at, created_at FROM filing_servers \
                   WHERE owner_id = $1 ORDER BY created_at, id";
        on_conn!(self, c => sqlx::query_as::<_, ServerRow>(sql)
            .bind(owner_id)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Blacklists a blind index (idempotent).
    pub async fn insert_blacklist(
        &mut self,
        digest: &str,
        reason: &str,
        by: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO filing_blacklist (digest, reason, created_by, created_at) \
                   VALUES ($1, $2, $3, $4) ON CONFLICT (digest) DO NOTHING";
        on_conn!(self, c => sqlx::query(sql)
            .bind(digest)
            .bind(reason)
            .bind(by)
            .bind(now)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// Whether a blind index is blacklisted.
    pub async fn is_blacklisted(&mut self, digest: &str) -> Result<bool, StoreError> {
        let sql = "SELECT COUNT(*) FROM filing_blacklist WHERE digest = $1";
        let n = on_conn!(self, c => sqlx::query_scalar::<_, i64>(sql)
            .bind(digest)
            .fetch_one(c)
            .await
            .map_err(map_err))?;
        Ok(n > 0)
    }

    /// Stores a new entity.
    pub async fn insert_filing_entity(&mut self, row: &FilingEntityRow) -> Result<(), StoreError> {
        // The plaintext columns of older releases are NOT NULL: they get the empty string.
        let sql = "INSERT INTO filing_entities (id, owner_id, entity_type, province, name, \
                   cert_type, cert_digest, cert_masked, principal_mobile_index, \
                   principal_email_index, data_sealed, subject_no, status, created_at, \
                   updated_at, principal_mobile, principal_email) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, '', '')";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.owner_id)
            .bind(&row.entity_type)
            .bind(row.province)
            .bind(&row.name)
            .bind(&row.cert_type)
            .bind(&row.cert_digest)
            .bind(&row.cert_masked)
            .bind(&row.principal_mobile_index)
            .bind(&row.principal_email_index)
            .bind(&row.data_sealed)
            .bind(&row.subject_no)
            .bind(&row.status)
            .bind(row.created_at)
            .bind(row.updated_at)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// Rewrites an entity's mutable columns.
    pub async fn update_filing_entity(&mut self, row: &FilingEntityRow) -> Result<(), StoreError> {
        let sql = "UPDATE filing_entities SET entity_type = $2, province = $3, name = $4, \
                   cert_type = $5, cert_digest = $6, cert_masked = $7, principal_mobile_index = $8, \
                   principal_email_index = $9, data_sealed = $10, subject_no = $11, status = $12, \
                   updated_at = $13 WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.entity_type)
            .bind(row.province)
            .bind(&row.name)
            .bind(&row.cert_type)
            .bind(&row.cert_digest)
            .bind(&row.cert_masked)
            .bind(&row.principal_mobile_index)
            .bind(&row.principal_email_index)
            .bind(&row.data_sealed)
            .bind(&row.subject_no)
            .bind(&row.status)
            .bind(row.updated_at)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// The entity with this id.
    pub async fn filing_entity(&mut self, id: &str) -> Result<Option<FilingEntityRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            entity_columns!(),
            " FROM filing_entities WHERE id = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, FilingEntityRow>(sql)
            .bind(id)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// A tenant's entities, oldest first.
    pub async fn filing_entities_of_owner(
        &mut self,
        owner_id: &str,
    ) -> Result<Vec<FilingEntityRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            entity_columns!(),
            " FROM filing_entities WHERE owner_id = $1 ORDER BY created_at, id"
        );
        on_conn!(self, c => sqlx::query_as::<_, FilingEntityRow>(sql)
            .bind(owner_id)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Live entities (not cancelled) with this certificate, except `except_id`.
    pub async fn filing_entities_by_cert(
        &mut self,
        cert_digest: &str,
        except_id: &str,
    ) -> Result<Vec<FilingEntityRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            entity_columns!(),
            " FROM filing_entities WHERE cert_digest = $1 AND id <> $2 \
              AND status <> 'cancelled' ORDER BY created_at, id"
        );
        on_conn!(self, c => sqlx::query_as::<_, FilingEntityRow>(sql)
            .bind(cert_digest)
            .bind(except_id)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// The customers with a live filing (entity or site) whose principal's mobile has this
    /// blind index.
    pub async fn owners_by_principal_mobile(
        &mut self,
        index: &str,
    ) -> Result<Vec<String>, StoreError> {
        let sql = "SELECT owner_id FROM filing_entities WHERE principal_mobile_index = $1 \
                   AND status <> 'cancelled' UNION SELECT owner_id FROM filing_sites \
                   WHERE principal_mobile_index = $1 AND status <> 'cancelled' ORDER BY 1";
        on_conn!(self, c => sqlx::query_scalar::<_, String>(sql)
            .bind(index)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// The certificate indexes of the live entities (other than `entity_id`) whose principal
    /// or a live site's principal has this blind index of a mobile (`mobile`) or e-mail.
    pub async fn filing_contact_users(
        &mut self,
        mobile: bool,
        index: &str,
        entity_id: &str,
    ) -> Result<Vec<String>, StoreError> {
        let sql = if mobile {
            "SELECT e.cert_digest FROM filing_entities e WHERE e.status <> 'cancelled' \
             AND e.id <> $2 AND (e.principal_mobile_index = $1 OR EXISTS (SELECT 1 FROM \
             filing_sites s WHERE s.entity_id = e.id AND s.status <> 'cancelled' \
             AND s.principal_mobile_index = $1))"
        } else {
            "SELECT e.cert_digest FROM filing_entities e WHERE e.status <> 'cancelled' \
             AND e.id <> $2 AND (e.principal_email_index = $1 OR EXISTS (SELECT 1 FROM \
             filing_sites s WHERE s.entity_id = e.id AND s.status <> 'cancelled' \
             AND s.principal_email_index = $1))"
        };
        on_conn!(self, c => sqlx::query_scalar::<_, String>(sql)
            .bind(index)
            .bind(entity_id)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Stores a new site.
    pub async fn insert_filing_site(&mut self, row: &FilingSiteRow) -> Result<(), StoreError> {
        // The plaintext columns of older releases are NOT NULL: they get the empty string.
        let sql = "INSERT INTO filing_sites (id, owner_id, entity_id, domain, \
                   principal_mobile_index, principal_email_index, data_sealed, site_no, status, \
                   created_at, updated_at, principal_mobile, principal_email) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, '', '')";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.owner_id)
            .bind(&row.entity_id)
            .bind(&row.domain)
            .bind(&row.principal_mobile_index)
            .bind(&row.principal_email_index)
            .bind(&row.data_sealed)
            .bind(&row.site_no)
            .bind(&row.status)
            .bind(row.created_at)
            .bind(row.updated_at)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// Rewrites a site's mutable columns.
    pub async fn update_filing_site(&mut self, row: &FilingSiteRow) -> Result<(), StoreError> {
        let sql = "UPDATE filing_sites SET domain = $2, principal_mobile_index = $3, \
                   principal_email_index = $4, data_sealed = $5, site_no = $6, status = $7, \
                   updated_at = $8 WHERE id = $1";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.domain)
            .bind(&row.principal_mobile_index)
            .bind(&row.principal_email_index)
            .bind(&row.data_sealed)
            .bind(&row.site_no)
            .bind(&row.status)
            .bind(row.updated_at)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// The site with this id.
    pub async fn filing_site(&mut self, id: &str) -> Result<Option<FilingSiteRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            site_columns!(),
            " FROM filing_sites WHERE id = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, FilingSiteRow>(sql)
            .bind(id)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// An entity's sites, oldest first.
    pub async fn filing_sites_of_entity(
        &mut self,
        entity_id: &str,
    ) -> Result<Vec<FilingSiteRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            site_columns!(),
            " FROM filing_sites WHERE entity_id = $1 ORDER BY created_at, id"
        );
        on_conn!(self, c => sqlx::query_as::<_, FilingSiteRow>(sql)
            .bind(entity_id)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// What ties a domain to ICP filing: its sites that are filed, or that an open (non-final)
    /// order works on, as `(site id, site number, site status, open order id)`.
    pub async fn filing_ties_of_domain(
        &mut self,
        domain: &str,
    ) -> Result<Vec<(String, Option<String>, String, Option<String>)>, StoreError> {
        let sql = "SELECT s.id, s.site_no, s.status, \
                   (SELECT o.id FROM filing_orders o WHERE o.site_id = s.id AND o.lock_key IS NOT NULL \
                    ORDER BY o.created_at, o.id LIMIT 1) \
                   FROM filing_sites s WHERE s.domain = $1 AND s.status <> 'cancelled' ORDER BY s.created_at, s.id";
        let rows: Vec<(String, Option<String>, String, Option<String>)> = on_conn!(self, c => sqlx::query_as(sql)
            .bind(domain)
            .fetch_all(c)
            .await
            .map_err(map_err))?;
        Ok(rows
            .into_iter()
            .filter(|(_, _, status, open)| status == "filed" || open.is_some())
            .collect())
    }

    /// Stores a new order and its first history row. While `lock_key` is set, a second
    /// non-final order of the entity is [`StoreError::Conflict`] on `lock_key`.
    pub async fn insert_filing_order(
        &mut self,
        row: &FilingOrderRow,
        actor: &str,
    ) -> Result<(), StoreError> {
        let sql = concat!(
            "INSERT INTO filing_orders (",
            order_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        );
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.owner_id)
            .bind(&row.entity_id)
            .bind(&row.site_id)
            .bind(&row.operation)
            .bind(&row.status)
            .bind(&row.lock_key)
            .bind(&row.payload_sealed)
            .bind(&row.rejected_fields)
            .bind(&row.claimed_by)
            .bind(&row.authority_ticket)
            .bind(row.submitted_at)
            .bind(row.created_at)
            .bind(row.updated_at)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))?;
        self.append_filing_history(&row.id, None, &row.status, actor, None, row.created_at)
            .await
    }

    /// Rewrites an order whose status is still `expected_status`; a status change appends a
    /// history row. Returns false, changing nothing, when a concurrent change won.
    /// Sets who holds an order under review, only if it is still in review and held by
    /// `expected` (`None`: free): two reviewers claiming at once cannot both win. `false` when
    /// the order changed meanwhile.
    pub async fn set_filing_claim(
        &mut self,
        id: &str,
        expected: Option<&str>,
        claim: Option<&str>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE filing_orders SET claimed_by = $3, updated_at = $4 \
                   WHERE id = $1 AND status = 'PROVIDER_REVIEW' \
                   AND (claimed_by = $2 OR (claimed_by IS NULL AND $2 IS NULL))";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(expected)
            .bind(claim)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }

    pub async fn update_filing_order(
        &mut self,
        row: &FilingOrderRow,
        expected_status: &str,
        actor: &str,
        note: Option<&str>,
    ) -> Result<bool, StoreError> {
        let sql = "UPDATE filing_orders SET status = $3, lock_key = $4, payload_sealed = $5, \
                   rejected_fields = $6, claimed_by = $7, authority_ticket = $8, \
                   submitted_at = $9, updated_at = $10 WHERE id = $1 AND status = $2";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(expected_status)
            .bind(&row.status)
            .bind(&row.lock_key)
            .bind(&row.payload_sealed)
            .bind(&row.rejected_fields)
            .bind(&row.claimed_by)
            .bind(&row.authority_ticket)
            .bind(row.submitted_at)
            .bind(row.updated_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        if n != 1 {
            return Ok(false);
        }
        if row.status != expected_status {
            self.append_filing_history(
                &row.id,
                Some(expected_status),
                &row.status,
                actor,
                note,
                row.updated_at,
            )
            .await?;
        }
        Ok(true)
    }

    /// The order with this id, locked for the rest of the transaction on PostgreSQL (SQLite's
    /// write transaction already excludes other writers): instances syncing at once then see
    /// each other's transitions instead of racing them.
    pub async fn filing_order_for_update(
        &mut self,
        id: &str,
    ) -> Result<Option<FilingOrderRow>, StoreError> {
        per_backend!(self,
            sqlite: c => sqlx::query_as::<_, FilingOrderRow>(concat!("SELECT ", order_columns!(), " FROM filing_orders WHERE id = $1"))
                .bind(id).fetch_optional(c).await.map_err(map_err),
            postgres: c => sqlx::query_as::<_, FilingOrderRow>(concat!("SELECT ", order_columns!(), " FROM filing_orders WHERE id = $1 FOR UPDATE"))
                .bind(id).fetch_optional(c).await.map_err(map_err),
        )
    }

    /// Whether the entity has an order in progress (holding a lock, alone or in a batch),
    /// leaving out the orders whose lock starts with `except_prefix` (a batch's own).
    pub async fn filing_entity_has_open_order(
        &mut self,
        entity_id: &str,
        except_prefix: Option<&str>,
    ) -> Result<bool, StoreError> {
        let sql =
            "SELECT lock_key FROM filing_orders WHERE entity_id = $1 AND lock_key IS NOT NULL";
        let locks: Vec<String> = on_conn!(self, c => sqlx::query_scalar(sql).bind(entity_id).fetch_all(c).await.map_err(map_err))?;
        Ok(locks
            .iter()
            .any(|lock| except_prefix.is_none_or(|prefix| !lock.starts_with(prefix))))
    }

    /// Locks an entity's row for the rest of the transaction (PostgreSQL; SQLite's write
    /// transaction already excludes other writers), so that order creation checks and
    /// writes its lock without another transaction doing the same in between.
    pub async fn lock_filing_entity(&mut self, entity_id: &str) -> Result<(), StoreError> {
        per_backend!(self,
            sqlite: _c => Ok::<(), StoreError>(()),
            postgres: c => sqlx::query("SELECT id FROM filing_entities WHERE id = $1 FOR UPDATE")
                .bind(entity_id).fetch_optional(c).await.map(|_| ()).map_err(map_err),
        )
    }

    /// The order with this id.
    pub async fn filing_order(&mut self, id: &str) -> Result<Option<FilingOrderRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            order_columns!(),
            " FROM filing_orders WHERE id = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, FilingOrderRow>(sql)
            .bind(id)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// A tenant's orders, newest first.
    pub async fn filing_orders_of_owner(
        &mut self,
        owner_id: &str,
    ) -> Result<Vec<FilingOrderRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            order_columns!(),
            " FROM filing_orders WHERE owner_id = $1 ORDER BY created_at DESC, id DESC"
        );
        on_conn!(self, c => sqlx::query_as::<_, FilingOrderRow>(sql)
            .bind(owner_id)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// The orders of an entity (主体), newest first, at most `limit`.
    pub async fn filing_orders_of_entity(
        &mut self,
        entity_id: &str,
        limit: i64,
    ) -> Result<Vec<FilingOrderRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            order_columns!(),
            " FROM filing_orders WHERE entity_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 + 0"
        );
        on_conn!(self, c => sqlx::query_as::<_, FilingOrderRow>(sql)
            .bind(entity_id)
            .bind(limit)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Orders in one of `statuses`, least recently changed first, at most `limit`.
    pub async fn filing_orders_in_status(
        &mut self,
        statuses: &[&str],
        limit: i64,
    ) -> Result<Vec<FilingOrderRow>, StoreError> {
        let mut out = Vec::new();
        for status in statuses {
            let sql = concat!(
                "SELECT ",
                order_columns!(),
                " FROM filing_orders WHERE status = $1 ORDER BY updated_at, id LIMIT $2 + 0"
            );
            let rows = on_conn!(self, c => sqlx::query_as::<_, FilingOrderRow>(sql)
                .bind(*status)
                .bind(limit)
                .fetch_all(c)
                .await
                .map_err(map_err))?;
            out.extend(rows);
        }
        out.sort_by(|a, b| (a.updated_at, &a.id).cmp(&(b.updated_at, &b.id)));
        out.truncate(usize::try_from(limit).unwrap_or(0));
        Ok(out)
    }

    /// Whether another entity with this certificate has an order holding its lock.
    pub async fn filing_cert_has_other_open_order(
        &mut self,
        cert_digest: &str,
        entity_id: &str,
    ) -> Result<bool, StoreError> {
        let sql = "SELECT COUNT(*) FROM filing_orders o JOIN filing_entities e \
                   ON e.id = o.entity_id WHERE e.cert_digest = $1 AND o.entity_id <> $2 \
                   AND o.lock_key IS NOT NULL";
        let n = on_conn!(self, c => sqlx::query_scalar::<_, i64>(sql)
            .bind(cert_digest)
            .bind(entity_id)
            .fetch_one(c)
            .await
            .map_err(map_err))?;
        Ok(n > 0)
    }

    /// An order's status changes, oldest first.
    pub async fn filing_history(
        &mut self,
        order_id: &str,
    ) -> Result<Vec<FilingHistoryRow>, StoreError> {
        let sql = "SELECT seq, order_id, from_status, to_status, actor, note, at \
                   FROM filing_order_history WHERE order_id = $1 ORDER BY seq";
        on_conn!(self, c => sqlx::query_as::<_, FilingHistoryRow>(sql)
            .bind(order_id)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    async fn append_filing_history(
        &mut self,
        order_id: &str,
        from: Option<&str>,
        to: &str,
        actor: &str,
        note: Option<&str>,
        at: i64,
    ) -> Result<(), StoreError> {
        let sql = "INSERT INTO filing_order_history (order_id, from_status, to_status, actor, \
                   note, at) VALUES ($1, $2, $3, $4, $5, $6)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(order_id)
            .bind(from)
            .bind(to)
            .bind(actor)
            .bind(note)
            .bind(at)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// Appends a review note (`seq` is ignored).
    pub async fn insert_filing_note(&mut self, note: &FilingNoteRow) -> Result<(), StoreError> {
        let sql = "INSERT INTO filing_order_notes (order_id, kind, author, from_staff, field, \
                   code, body, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&note.order_id)
            .bind(&note.kind)
            .bind(&note.author)
            .bind(note.from_staff)
            .bind(&note.field)
            .bind(&note.code)
            .bind(&note.body)
            .bind(note.at)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// An order's notes, oldest first.
    pub async fn filing_notes(&mut self, order_id: &str) -> Result<Vec<FilingNoteRow>, StoreError> {
        let sql = "SELECT seq, order_id, kind, author, from_staff, field, code, body, at \
                   FROM filing_order_notes WHERE order_id = $1 ORDER BY seq";
        on_conn!(self, c => sqlx::query_as::<_, FilingNoteRow>(sql)
            .bind(order_id)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Stores an upload as the current material of its kind; the previous one stays as
    /// history.
    pub async fn insert_filing_material(
        &mut self,
        row: &FilingMaterialRow,
    ) -> Result<(), StoreError> {
        let clear = "UPDATE filing_materials SET current = FALSE \
                     WHERE order_id = $1 AND kind = $2 AND current";
        on_conn!(self, c => sqlx::query(clear)
            .bind(&row.order_id)
            .bind(&row.kind)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))?;
        let sql = concat!(
            "INSERT INTO filing_materials (",
            material_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        );
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id)
            .bind(&row.owner_id)
            .bind(&row.order_id)
            .bind(&row.kind)
            .bind(row.current)
            .bind(&row.content_type)
            .bind(row.size_bytes)
            .bind(&row.sha256)
            .bind(row.width)
            .bind(row.height)
            .bind(row.dpi)
            .bind(&row.data_sealed)
            .bind(&row.created_by)
            .bind(row.created_at)
            .execute(c)
            .await
            .map(|_| ())
            .map_err(map_err))
    }

    /// An order's materials without their contents (every version, oldest first).
    pub async fn filing_materials(
        &mut self,
        order_id: &str,
    ) -> Result<Vec<FilingMaterialRow>, StoreError> {
        // The sealed bytes are left out: listings and the self-check need only what was
        // measured at upload.
        let sql = "SELECT id, owner_id, order_id, kind, current, content_type, size_bytes, \
                   sha256, width, height, dpi, X'' AS data_sealed, created_by, created_at \
                   FROM filing_materials WHERE order_id = $1 ORDER BY created_at, id";
        per_backend!(self,
            sqlite: c => sqlx::query_as::<_, FilingMaterialRow>(sql)
                .bind(order_id)
                .fetch_all(c)
                .await
                .map_err(map_err),
            postgres: c => sqlx::query_as::<_, FilingMaterialRow>(
                "SELECT id, owner_id, order_id, kind, current, content_type, size_bytes, \
                 sha256, width, height, dpi, ''::BYTEA AS data_sealed, created_by, created_at \
                 FROM filing_materials WHERE order_id = $1 ORDER BY created_at, id")
                .bind(order_id)
                .fetch_all(c)
                .await
                .map_err(map_err),
        )
    }

    /// One material with its sealed contents.
    pub async fn filing_material(
        &mut self,
        id: &str,
    ) -> Result<Option<FilingMaterialRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            material_columns!(),
            " FROM filing_materials WHERE id = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, FilingMaterialRow>(sql)
            .bind(id)
            .fetch_optional(c)
            .await
            .map_err(map_err))
    }

    /// Up to `limit` entities (`sites` false) or sites (`sites` true) whose principal's mobile
    /// and e-mail an older release stored in clear, with the data key to open: `(id, mobile,
    /// email)`.
    pub async fn filing_principals_in_clear(
        &mut self,
        sites: bool,
        limit: i64,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        let sql = if sites {
            "SELECT id, principal_mobile, principal_email FROM filing_sites \
             WHERE principal_mobile_index IS NULL OR principal_email_index IS NULL ORDER BY id LIMIT $1 + 0"
        } else {
            "SELECT id, principal_mobile, principal_email FROM filing_entities \
             WHERE principal_mobile_index IS NULL OR principal_email_index IS NULL ORDER BY id LIMIT $1 + 0"
        };
        on_conn!(self, c => sqlx::query_as::<_, (String, String, String)>(sql)
            .bind(limit)
            .fetch_all(c)
            .await
            .map_err(map_err))
    }

    /// Stores the blind indexes of an entity's (or site's) principal and empties the
    /// plaintext columns; false when another instance did it first.
    pub async fn index_filing_principal_in_clear(
        &mut self,
        sites: bool,
        id: &str,
        mobile_index: &str,
        email_index: &str,
    ) -> Result<bool, StoreError> {
        let sql = if sites {
            "UPDATE filing_sites SET principal_mobile_index = $2, principal_email_index = $3, \
             principal_mobile = '', principal_email = '' WHERE id = $1 \
             AND (principal_mobile_index IS NULL OR principal_email_index IS NULL)"
        } else {
            "UPDATE filing_entities SET principal_mobile_index = $2, principal_email_index = $3, \
             principal_mobile = '', principal_email = '' WHERE id = $1 \
             AND (principal_mobile_index IS NULL OR principal_email_index IS NULL)"
        };
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(id)
            .bind(mobile_index)
            .bind(email_index)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            .map_err(map_err))?;
        Ok(n == 1)
    }
}
