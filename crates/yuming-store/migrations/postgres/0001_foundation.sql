-- Foundation: accounts, sessions, API keys, replay nonces, idempotency, rate limits, audit.
-- Times are unix seconds (BIGINT), identifiers are opaque TEXT, secrets are encrypted BYTEA.

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
    totp_secret    BYTEA,
    totp_enabled   BOOLEAN NOT NULL DEFAULT FALSE,
    totp_last_step BIGINT NOT NULL DEFAULT 0,
    failed_logins  BIGINT NOT NULL DEFAULT 0,
    locked_until   BIGINT,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    CONSTRAINT accounts_email_key UNIQUE (email)
);
CREATE INDEX accounts_tenant_idx ON accounts (tenant_id);

CREATE TABLE sessions (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX sessions_account_idx ON sessions (account_id);

CREATE TABLE api_keys (
    id             TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL REFERENCES accounts (id),
    tenant_id      TEXT NOT NULL,
    name           TEXT NOT NULL,
    secret_digest  BYTEA NOT NULL,
    created_at     BIGINT NOT NULL,
    last_used_at   BIGINT,
    revoked_at     BIGINT
);
CREATE INDEX api_keys_tenant_idx ON api_keys (tenant_id);

CREATE TABLE api_nonces (
    key_id   TEXT NOT NULL,
    nonce    TEXT NOT NULL,
    seen_at  BIGINT NOT NULL,
    PRIMARY KEY (key_id, nonce)
);
CREATE INDEX api_nonces_seen_idx ON api_nonces (seen_at);

CREATE TABLE idempotency_keys (
    scope          TEXT NOT NULL,
    idem_key       TEXT NOT NULL,
    request_hash   TEXT NOT NULL,
    status_code    BIGINT,
    response_body  BYTEA,
    created_at     BIGINT NOT NULL,
    PRIMARY KEY (scope, idem_key)
);

CREATE TABLE rate_counters (
    bucket        TEXT NOT NULL,
    window_start  BIGINT NOT NULL,
    hits          BIGINT NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

CREATE TABLE audit_log (
    seq             BIGINT PRIMARY KEY,
    at              BIGINT NOT NULL,
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
    id    BIGINT PRIMARY KEY CHECK (id = 1),
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
