-- Signed webhooks: a tenant's endpoints, one delivery per endpoint and notice occasion, and
-- every delivery attempt (the delivery log).

-- `secret_sealed` is the signing secret sealed with the master key (AES-256-GCM); it is shown
-- once, when created or rotated. `kinds` is a comma list of notice kinds ('' = every kind).
CREATE TABLE webhook_endpoints (
    id             TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL,
    url            TEXT NOT NULL,
    description    TEXT NOT NULL,
    kinds          TEXT NOT NULL,
    enabled        BOOLEAN NOT NULL,
    secret_sealed  BLOB NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_account_idx ON webhook_endpoints (account_id, created_at);

-- `status`: pending | sent | failed. Unique per endpoint, kind and occasion, like the notice
-- outbox: a notice reaches an endpoint once however many sweeps or instances raise it.
CREATE TABLE webhook_deliveries (
    id               TEXT PRIMARY KEY,
    endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    account_id       TEXT NOT NULL,
    kind             TEXT NOT NULL,
    occasion         TEXT NOT NULL,
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    next_attempt_at  INTEGER NOT NULL,
    lease_until      INTEGER NOT NULL,
    last_status      INTEGER,
    last_error       TEXT,
    created_at       INTEGER NOT NULL,
    delivered_at     INTEGER,
    UNIQUE (endpoint_id, kind, occasion)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, created_at, id);

-- One row per attempt: HTTP status, or the error when no response came.
CREATE TABLE webhook_attempts (
    delivery_id  TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempt      INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    http_status  INTEGER,
    error        TEXT,
    PRIMARY KEY (delivery_id, attempt)
);
