-- Domain lifecycle flows: transfers and changes of holder, safe cancellation (注销) with its
-- staff review, batch operations, and the per-domain auto-renew threshold.

-- Days before expiry at which the scheduler renews a domain with auto_renew on; 0 means on
-- the day of expiry (the lifecycle default).
ALTER TABLE domains ADD COLUMN auto_renew_days_before BIGINT NOT NULL DEFAULT 0;

-- Transfers between accounts: `transfer` (the gaining account asks with the auth code, the
-- holder approves, rejects, or stays silent until auto_approves_at) and `holder_change`
-- (过户: the holder offers the domain to a named account, which accepts).
CREATE TABLE domain_transfers (
    id                TEXT PRIMARY KEY,
    kind              TEXT NOT NULL,
    domain_id         TEXT NOT NULL REFERENCES domains (id),
    domain_name       TEXT NOT NULL,
    from_owner_id     TEXT NOT NULL,
    to_owner_id       TEXT NOT NULL,
    to_contact_id     TEXT NOT NULL,
    requested_by      TEXT NOT NULL,
    -- pending, approved, auto_approved, rejected, cancelled
    status            TEXT NOT NULL,
    requested_at      BIGINT NOT NULL,
    auto_approves_at  BIGINT,
    decided_at        BIGINT,
    decided_by        TEXT,
    reason            TEXT,
    -- The fee paid by the gaining account at request time (0 for a change of holder).
    order_id          TEXT,
    amount            BIGINT NOT NULL,
    currency          TEXT NOT NULL
);
CREATE UNIQUE INDEX domain_transfers_pending_idx ON domain_transfers (domain_id) WHERE status = 'pending';
CREATE INDEX domain_transfers_due_idx ON domain_transfers (auto_approves_at) WHERE status = 'pending';
CREATE INDEX domain_transfers_to_idx ON domain_transfers (to_owner_id, requested_at);
CREATE INDEX domain_transfers_from_idx ON domain_transfers (from_owner_id, requested_at);

-- A cancellation request for one or more domains of one tenant, walked through its
-- checklist, confirmed, then decided by staff.
CREATE TABLE cancellations (
    id               TEXT PRIMARY KEY,
    owner_id         TEXT NOT NULL,
    requested_by     TEXT NOT NULL,
    -- draft, submitted, approved, rejected
    status           TEXT NOT NULL,
    -- Checklist steps confirmed so far, comma-separated, in order.
    steps            TEXT NOT NULL,
    -- The e-mailed confirmation code, encrypted, and when it lapses.
    code_sealed      BYTEA,
    code_expires_at  BIGINT,
    -- A supporting document (Chinese IDNs, per TLD), encrypted.
    document_sealed  BYTEA,
    document_name    TEXT,
    reason           TEXT,
    created_at       BIGINT NOT NULL,
    submitted_at     BIGINT,
    decided_at       BIGINT,
    decided_by       TEXT,
    updated_at       BIGINT NOT NULL
);
CREATE INDEX cancellations_queue_idx ON cancellations (status, submitted_at);
CREATE INDEX cancellations_owner_idx ON cancellations (owner_id, created_at);

CREATE TABLE cancellation_domains (
    cancellation_id  TEXT NOT NULL REFERENCES cancellations (id),
    position         BIGINT NOT NULL,
    domain_id        TEXT NOT NULL REFERENCES domains (id),
    domain_name      TEXT NOT NULL,
    -- deleted, or the error code that kept the domain
    result           TEXT,
    refund_order_id  TEXT,
    -- The deleted name is watched for stray traffic until then.
    monitor_until    BIGINT,
    PRIMARY KEY (cancellation_id, position)
);
CREATE INDEX cancellation_domains_domain_idx ON cancellation_domains (domain_id);
CREATE INDEX cancellation_domains_monitor_idx ON cancellation_domains (monitor_until);

-- Batch operations run in the background; any instance answers progress from here.
CREATE TABLE batches (
    id           TEXT PRIMARY KEY,
    owner_id     TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    operation    TEXT NOT NULL,
    params       TEXT NOT NULL,
    -- running, completed
    status       TEXT NOT NULL,
    total        BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    finished_at  BIGINT
);
CREATE INDEX batches_owner_idx ON batches (owner_id, created_at);

CREATE TABLE batch_items (
    batch_id     TEXT NOT NULL REFERENCES batches (id),
    position     BIGINT NOT NULL,
    domain_name  TEXT NOT NULL,
    -- pending, succeeded, failed
    status       TEXT NOT NULL,
    code         TEXT,
    message      TEXT,
    order_id     TEXT,
    PRIMARY KEY (batch_id, position)
);
