-- DNS hosting: one zone per registered domain and its records. The SOA serial is a counter
-- bumped in the transaction of every change; the DNS servers poll `updated_at` to reload
-- changed zones.

CREATE TABLE dns_zones (
    domain_id      TEXT PRIMARY KEY REFERENCES domains (id),
    name           TEXT NOT NULL,
    owner_id       TEXT NOT NULL,
    serial         INTEGER NOT NULL,
    -- Kept out of DNS until the site is filed (ICP "mainland mode"); set by the ICP flows.
    mainland_hold  BOOLEAN NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX dns_zones_updated_idx ON dns_zones (updated_at);

CREATE TABLE dns_records (
    id          TEXT PRIMARY KEY,
    domain_id   TEXT NOT NULL REFERENCES dns_zones (domain_id),
    rtype       TEXT NOT NULL,
    name        TEXT NOT NULL,
    value       TEXT NOT NULL,
    ttl         INTEGER NOT NULL,
    priority    INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX dns_records_zone_idx ON dns_records (domain_id, name);
