//! Hosted DNS zones and their records.

use crate::db::{StoreError, Tx, map_err};

/// A hosted zone.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ZoneRow {
    /// The domain it belongs to.
    pub domain_id: String,
    /// A-label name of the zone (the domain's name).
    pub name: String,
    /// Owning tenant.
    pub owner_id: String,
    /// SOA serial, bumped on every change.
    pub serial: i64,
    /// Kept from resolving until filed (ICP mainland mode).
    pub mainland_hold: bool,
    /// Creation time.
    pub created_at: i64,
    /// Last change (records, serial or hold).
    pub updated_at: i64,
}

/// A stored record (canonical form, see `yuming_core::dns::Record`).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DnsRecordRow {
    /// Opaque id.
    pub id: String,
    /// Zone (domain id).
    pub domain_id: String,
    /// Type mnemonic.
    pub rtype: String,
    /// Owner relative to the zone.
    pub name: String,
    /// Canonical value.
    pub value: String,
    /// Seconds.
    pub ttl: i64,
    /// MX/SRV priority.
    pub priority: Option<i64>,
    /// Creation time.
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

/// A zone with its domain's facts the DNS snapshot needs to decide whether it resolves.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ServedZoneRow {
    /// The zone.
    #[sqlx(flatten)]
    pub zone: ZoneRow,
    /// Domain's nameservers, comma-separated (the apex NS).
    pub nameservers: String,
    /// Domain's EPP flags, comma-separated.
    pub flags: String,
    /// Domain's TLD.
    pub tld: String,
    /// Domain facts for the lifecycle projection.
    pub domain_created_at: i64,
    /// Expiry.
    pub expires_at: i64,
    /// Latest delete command.
    pub deleted_at: Option<i64>,
    /// Latest restore.
    pub restored_at: Option<i64>,
    /// Released.
    pub purged_at: Option<i64>,
    /// Held for naming review.
    pub needs_review: bool,
    /// Domain's last change.
    pub domain_updated_at: i64,
}

macro_rules! zone_columns {
    () => {
        "domain_id, name, owner_id, serial, mainland_hold, created_at, updated_at"
    };
}
macro_rules! record_columns {
    () => {
        "id, domain_id, rtype, name, value, ttl, priority, created_at, updated_at"
    };
}

impl Tx {
    /// Creates a zone; an existing zone for the domain is left as it is.
    pub async fn insert_zone(&mut self, row: &ZoneRow) -> Result<(), StoreError> {
        let sql = "INSERT INTO dns_zones (domain_id, name, owner_id, serial, mainland_hold, created_at, updated_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (domain_id) DO NOTHING";
        on_conn!(self, c => sqlx::query(sql)
            .bind(&row.domain_id).bind(&row.name).bind(&row.owner_id).bind(row.serial)
            .bind(row.mainland_hold).bind(row.created_at).bind(row.updated_at)
            .execute(c).await.map(|_| ()).map_err(map_err))
    }

    /// A domain's zone, for reading (no lock).
    pub async fn zone_of(&mut self, domain_id: &str) -> Result<Option<ZoneRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            zone_columns!(),
            " FROM dns_zones WHERE domain_id = $1"
        );
        on_conn!(self, c => sqlx::query_as::<_, ZoneRow>(sql).bind(domain_id).fetch_optional(c).await.map_err(map_err))
    }

    /// A domain's zone, locked for update on PostgreSQL (SQLite write transactions are
    /// exclusive already).
    pub async fn zone_for_update(
        &mut self,
        domain_id: &str,
    ) -> Result<Option<ZoneRow>, StoreError> {
        let sqlite = concat!(
            "SELECT ",
            zone_columns!(),
            " FROM dns_zones WHERE domain_id = $1"
        );
        let postgres = concat!(
            "SELECT ",
            zone_columns!(),
            " FROM dns_zones WHERE domain_id = $1 FOR UPDATE"
        );
        per_backend!(self,
            sqlite: c => sqlx::query_as::<_, ZoneRow>(sqlite).bind(domain_id).fetch_optional(c).await.map_err(map_err),
            postgres: c => sqlx::query_as::<_, ZoneRow>(postgres).bind(domain_id).fetch_optional(c).await.map_err(map_err),
        )
    }

    /// Writes a zone's serial, hold flag and change time.
    pub async fn update_zone(&mut self, row: &ZoneRow) -> Result<(), StoreError> {
        let sql = "UPDATE dns_zones SET serial = $2, mainland_hold = $3, updated_at = $4, owner_id = $5 WHERE domain_id = $1";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(&row.domain_id).bind(row.serial).bind(row.mainland_hold).bind(row.updated_at).bind(&row.owner_id)
            .execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    /// A zone's records, by owner name then type.
    pub async fn zone_records(&mut self, domain_id: &str) -> Result<Vec<DnsRecordRow>, StoreError> {
        let sql = concat!(
            "SELECT ",
            record_columns!(),
            " FROM dns_records WHERE domain_id = $1 ORDER BY name, rtype, id"
        );
        on_conn!(self, c => sqlx::query_as::<_, DnsRecordRow>(sql).bind(domain_id).fetch_all(c).await.map_err(map_err))
    }

    /// Inserts records.
    pub async fn insert_records(&mut self, rows: &[DnsRecordRow]) -> Result<(), StoreError> {
        let sql = concat!(
            "INSERT INTO dns_records (",
            record_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        );
        for row in rows {
            on_conn!(self, c => sqlx::query(sql)
                .bind(&row.id).bind(&row.domain_id).bind(&row.rtype).bind(&row.name).bind(&row.value)
                .bind(row.ttl).bind(row.priority).bind(row.created_at).bind(row.updated_at)
                .execute(c).await.map(|_| ()).map_err(map_err))?;
        }
        Ok(())
    }

    /// Replaces one record's content.
    pub async fn update_record(&mut self, row: &DnsRecordRow) -> Result<(), StoreError> {
        let sql = "UPDATE dns_records SET rtype = $3, name = $4, value = $5, ttl = $6, priority = $7, updated_at = $8 \
                   WHERE id = $1 AND domain_id = $2";
        let n = on_conn!(self, c => sqlx::query(sql)
            .bind(&row.id).bind(&row.domain_id).bind(&row.rtype).bind(&row.name).bind(&row.value)
            .bind(row.ttl).bind(row.priority).bind(row.updated_at)
            .execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    /// Deletes one record of a zone.
    pub async fn delete_record(&mut self, domain_id: &str, id: &str) -> Result<(), StoreError> {
        let sql = "DELETE FROM dns_records WHERE id = $1 AND domain_id = $2";
        let n = on_conn!(self, c => sqlx::query(sql).bind(id).bind(domain_id)
            .execute(c).await.map(|r| r.rows_affected()).map_err(map_err))?;
        if n == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    /// Deletes every record of a zone (import in replace mode).
    pub async fn delete_zone_records(&mut self, domain_id: &str) -> Result<u64, StoreError> {
        let sql = "DELETE FROM dns_records WHERE domain_id = $1";
        on_conn!(self, c => sqlx::query(sql).bind(domain_id)
            .execute(c).await.map(|r| r.rows_affected()).map_err(map_err))
    }

    /// Removes a zone and its records (a released name's zone; a new registration of the
    /// name starts empty).
    pub async fn delete_zone(&mut self, domain_id: &str) -> Result<(), StoreError> {
        self.delete_zone_records(domain_id).await?;
        let sql = "DELETE FROM dns_zones WHERE domain_id = $1";
        on_conn!(self, c => sqlx::query(sql).bind(domain_id)
            .execute(c).await.map(|_| ()).map_err(map_err))
    }

    /// Domains that have no zone yet (registered before DNS hosting), at most `limit`.
    pub async fn domains_without_zone(
        &mut self,
        limit: i64,
    ) -> Result<Vec<(String, String, String)>, StoreError> {
        let sql = "SELECT d.id, d.name, d.owner_id FROM domains d LEFT JOIN dns_zones z ON z.domain_id = d.id \
                   WHERE z.domain_id IS NULL AND d.purged_at IS NULL ORDER BY d.id LIMIT $1 + 0";
        on_conn!(self, c => sqlx::query_as::<_, (String, String, String)>(sql).bind(limit).fetch_all(c).await.map_err(map_err))
    }

    /// Zones whose zone row or domain row changed at or after `since` (all when 0), with the
    /// domain facts that decide whether they resolve.
    pub async fn served_zones_changed_since(
        &mut self,
        since: i64,
    ) -> Result<Vec<ServedZoneRow>, StoreError> {
        let sql = "SELECT z.domain_id, z.name, z.owner_id, z.serial, z.mainland_hold, z.created_at, z.updated_at, \
                   d.nameservers, d.flags, d.tld, d.created_at AS domain_created_at, d.expires_at, d.deleted_at, \
                   d.restored_at, d.purged_at, d.needs_review, d.updated_at AS domain_updated_at \
                   FROM dns_zones z JOIN domains d ON d.id = z.domain_id \
                   WHERE z.updated_at >= $1 OR d.updated_at >= $1";
        on_conn!(self, c => sqlx::query_as::<_, ServedZoneRow>(sql).bind(since).fetch_all(c).await.map_err(map_err))
    }
}
