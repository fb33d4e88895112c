-- Foundation: accounts, sessions, API keys, replay nonces, idempotency, rate limits, audit.
-- Times are unix seconds (INTEGER), identifiers are opaque TEXT, secrets are encrypted BLOBs.

CREATE TABLE accounts (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL,
    display_name   TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    role           TEXT NOT NULL,
    parent_id      TEXT REFERENCES accounts (id),
    tenant_id      TEXT NOT NULL,
    rights         TEXT NOT NULL,
    status         TEXT NOT NULL,
    language       TEXT NOT NULL DEFAULT 'zh-CN',
    totp_secret    BLOB,
    totp_enabled   BOOLEAN NOT NULL DEFAULT FALSE,
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    locked_until   INTEGER,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    CONSTRAINT accounts_email_key UNIQUE (email)
);
CREATE INDEX accounts_tenant_idx ON accounts (tenant_id);

CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);
CREATE INDEX sessions_account_idx ON sessions (account_id);

CREATE TABLE api_keys (
    id             TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL REFERENCES accounts (id),
    tenant_id      TEXT NOT NULL,
    name           TEXT NOT NULL,
    secret_digest  BLOB NOT NULL,
    created_at     INTEGER NOT NULL,
    last_used_at   INTEGER,
    revoked_at     INTEGER
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id);

CREATE TABLE api_nonces (
    key_id   TEXT NOT NULL,
    nonce    TEXT NOT NULL,
    seen_at  INTEGER NOT NULL,
    PRIMARY KEY (key_id, nonce)
);
CREATE INDEX api_nonces_seen_idx ON api_nonces (seen_at);

CREATE TABLE idempotency_keys (
    scope          TEXT NOT NULL,
    idem_key       TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    status_code    INTEGER,
    response_body  BLOB,
    created_at     INTEGER NOT NULL,
    PRIMARY KEY (scope, idem_key)
);

CREATE TABLE rate_counters (
    bucket        TEXT NOT NULL,
    window_start  INTEGER NOT NULL,
    hits          INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

CREATE TABLE audit_log (
    seq             INTEGER PRIMARY KEY,
    at              INTEGER NOT NULL,
    actor           TEXT NOT NULL,
    tenant          TEXT NOT NULL,
    action          TEXT NOT NULL,
    object_type     TEXT NOT NULL,
    object_id       TEXT NOT NULL,
    request_id      TEXT NOT NULL,
    before_summary  TEXT NOT NULL,
    after_summary   TEXT NOT NULL,
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL
);
CREATE INDEX audit_log_tenant_idx ON audit_log (tenant, seq);

-- The chain's head, kept apart from the entries so that removing entries from the end of
-- the log is detected too. Appending locks this single row.
CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    seq   INTEGER NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
