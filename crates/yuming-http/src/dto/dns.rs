//! DNS records, zones and zone files.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A DNS record to create or the new content of one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DnsRecordRequest {
    /// A, AAAA, CNAME, MX, TXT, NS, CAA or SRV.
    #[serde(rename = "type")]
    pub rtype: String,
    /// Owner relative to the zone (`@` for the apex, `www`, Unicode allowed) or absolute.
    pub name: String,
    /// Address, target host, text, `flags tag "value"` (CAA) or `weight port target` (SRV).
    pub value: String,
    /// Seconds; the platform default (600) when absent.
    #[serde(default)]
    pub ttl: Option<i64>,
    /// MX preference or SRV priority (required for those, refused for others).
    #[serde(default)]
    pub priority: Option<i64>,
}

/// A DNS record of a hosted zone.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DnsRecordDto {
    /// Opaque id.
    pub id: String,
    /// Type.
    #[serde(rename = "type")]
    pub rtype: String,
    /// Owner relative to the zone, A-labels, `@` for the apex.
    pub name: String,
    /// Canonical value.
    pub value: String,
    /// Seconds.
    pub ttl: u32,
    /// MX/SRV priority.
    pub priority: Option<u16>,
}

impl From<yuming_app::dns::RecordView> for DnsRecordDto {
    fn from(v: yuming_app::dns::RecordView) -> Self {
        DnsRecordDto {
            id: v.id,
            rtype: v.record.rtype.as_str().to_owned(),
            name: v.record.name,
            value: v.record.value,
            ttl: v.record.ttl,
            priority: v.record.priority,
        }
    }
}

/// A hosted zone and its records.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DnsZoneDto {
    /// Zone name (A-label).
    pub zone: String,
    /// SOA serial; increases on every change.
    pub serial: u32,
    /// Kept from resolving until the site is filed (mainland mode).
    pub mainland_hold: bool,
    /// Records by owner then type.
    pub records: Vec<DnsRecordDto>,
}

impl From<yuming_app::dns::ZoneView> for DnsZoneDto {
    fn from(v: yuming_app::dns::ZoneView) -> Self {
        DnsZoneDto {
            zone: v.name,
            serial: v.serial,
            mainland_hold: v.mainland_hold,
            records: v.records.into_iter().map(DnsRecordDto::from).collect(),
        }
    }
}

/// A zone in RFC 1035 master-file format.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ZoneFileDto {
    /// The master file. SOA and apex NS are the platform's: exported, skipped on import.
    pub zone_file: String,
    /// On import: `replace` (default) makes the file the zone; `merge` adds its records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

/// One change of a hosted zone.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ZoneChangeDto {
    /// `dns.record_create`, `dns.record_update`, `dns.record_delete`, `dns.zone_import` or
    /// `dns.mainland_hold`.
    pub action: String,
    /// The acting account.
    pub actor: String,
    /// The zone's serial after the change (absent on changes recorded before it was kept).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial: Option<i64>,
    /// What the change replaced: a record, an import's record count, or `null`.
    #[schema(value_type = Object)]
    pub before: serde_json::Value,
    /// What it left.
    #[schema(value_type = Object)]
    pub after: serde_json::Value,
    /// When, RFC 3339.
    pub at: String,
}

/// A zone's changes, newest first.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ZoneHistoryDto {
    /// Up to 200 changes.
    pub changes: Vec<ZoneChangeDto>,
}

impl From<Vec<yuming_app::dns::ZoneChange>> for ZoneHistoryDto {
    fn from(changes: Vec<yuming_app::dns::ZoneChange>) -> Self {
        ZoneHistoryDto {
            changes: changes
                .into_iter()
                .map(|c| ZoneChangeDto {
                    action: c.action,
                    actor: c.actor,
                    serial: c.serial,
                    before: c.before,
                    after: c.after,
                    at: c.at.to_rfc3339(),
                })
                .collect(),
        }
    }
}
