-- The consistency monitor of filed sites: when each site is next checked (and which instance
-- holds it), every check result, and the alerts it raised.

CREATE TABLE filing_monitor (
    site_id        TEXT PRIMARY KEY REFERENCES filing_sites (id),
    next_check_at  BIGINT NOT NULL,
    lease_until    BIGINT NOT NULL
);
CREATE INDEX filing_monitor_due_idx ON filing_monitor (next_check_at);

-- `check_kind`: domain | dns | server | footer; `outcome`: ok | problem | unknown.
CREATE TABLE filing_checks (
    id          TEXT PRIMARY KEY,
    site_id     TEXT NOT NULL REFERENCES filing_sites (id),
    check_kind  TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    detail      TEXT NOT NULL,
    checked_at  BIGINT NOT NULL
);
CREATE INDEX filing_checks_site_idx ON filing_checks (site_id, checked_at);

-- One open alert per site and kind (the partial unique index deduplicates); an alert is
-- resolved by the first cycle that no longer finds it. `deadline_at`: by when the change must
-- be filed (an address change: 48 hours).
CREATE TABLE filing_alerts (
    id            TEXT PRIMARY KEY,
    site_id       TEXT NOT NULL REFERENCES filing_sites (id),
    owner_id      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    severity      TEXT NOT NULL,
    reason_en     TEXT NOT NULL,
    reason_zh     TEXT NOT NULL,
    fix           TEXT NOT NULL,
    opened_at     BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    deadline_at   BIGINT,
    resolved_at   BIGINT
);
CREATE UNIQUE INDEX filing_alerts_open_idx ON filing_alerts (site_id, kind) WHERE resolved_at IS NULL;
CREATE INDEX filing_alerts_owner_idx ON filing_alerts (owner_id, opened_at);
