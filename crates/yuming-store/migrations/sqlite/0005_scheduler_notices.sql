-- Notices (outbox per channel, in-app inbox, preferences) and the scheduler's job leases.

-- One row per notice and channel. The unique key makes enqueueing idempotent: a notice is
-- sent once per occasion however many sweeps, restarts or instances see it.
CREATE TABLE notice_outbox (
    id               TEXT PRIMARY KEY,
    account_id       TEXT NOT NULL REFERENCES accounts (id),
    kind             TEXT NOT NULL,
    occasion         TEXT NOT NULL,
    channel          TEXT NOT NULL,
    recipient        TEXT NOT NULL,
    language         TEXT NOT NULL,
    subject          TEXT NOT NULL,
    body             TEXT NOT NULL,
    params           TEXT NOT NULL,
    -- pending (waiting for a delivery worker), sent, failed (gave up), held (no transport).
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    lease_until      INTEGER NOT NULL,
    last_error       TEXT,
    read_at          INTEGER,
    created_at       INTEGER NOT NULL,
    sent_at          INTEGER,
    CONSTRAINT notice_outbox_once_key UNIQUE (account_id, kind, occasion, channel)
);
CREATE INDEX notice_outbox_due_idx ON notice_outbox (channel, next_attempt_at) WHERE status = 'pending';
CREATE INDEX notice_outbox_inbox_idx ON notice_outbox (account_id, channel, created_at);

-- Channels an account chose per notice kind; no row = the kind's default channels.
CREATE TABLE notice_preferences (
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    kind        TEXT NOT NULL,
    channels    TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, kind)
);

-- One row per periodic job: whoever holds an unexpired lease runs it.
CREATE TABLE job_leases (
    name         TEXT PRIMARY KEY,
    holder       TEXT NOT NULL,
    lease_until  INTEGER NOT NULL,
    last_run_at  INTEGER NOT NULL
);

-- Deleted names leave the expiry index's due range only when released, so the sweep finds
-- them through this one.
CREATE INDEX domains_deleted_idx ON domains (deleted_at) WHERE purged_at IS NULL AND deleted_at IS NOT NULL;
