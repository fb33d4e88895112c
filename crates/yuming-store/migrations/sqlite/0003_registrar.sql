-- Registrar core: the TLD catalogue, domains (the local registry's and the registrar's
-- record), orders and the double-entry ledger.

CREATE TABLE tlds (
    ascii       TEXT PRIMARY KEY,
    unicode     TEXT NOT NULL,
    -- The TLD's definition in the catalogue TOML format, as imported.
    definition  TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Platform settings as TOML fragments (e.g. the screening list), keyed by name.
CREATE TABLE settings (
    name        TEXT PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE domains (
    id                        TEXT PRIMARY KEY,
    name                      TEXT NOT NULL,
    unicode_name              TEXT NOT NULL,
    tld                       TEXT NOT NULL,
    -- Simplified-Chinese key shared by all variants of the name (RFC 4713 bundles).
    variant_key               TEXT NOT NULL,
    owner_id                  TEXT NOT NULL,
    registrant_contact_id     TEXT NOT NULL,
    registry                  TEXT NOT NULL,
    -- client*/server*/inactive flags, comma-separated EPP names.
    flags                     TEXT NOT NULL,
    nameservers               TEXT NOT NULL,
    auth_code_sealed          BLOB NOT NULL,
    auto_renew                BOOLEAN NOT NULL,
    needs_review              BOOLEAN NOT NULL,
    created_at                INTEGER NOT NULL,
    expires_at                INTEGER NOT NULL,
    registered_years          INTEGER NOT NULL,
    last_renewal_at           INTEGER,
    last_renewal_years        INTEGER,
    last_renewal_kind         TEXT,
    last_renewal_prev_expiry  INTEGER,
    last_transferred_at       INTEGER,
    pending_transfer_since    INTEGER,
    deleted_at                INTEGER,
    restored_at               INTEGER,
    -- Set when the name has been released and may be registered again; the row stays.
    purged_at                 INTEGER,
    updated_at                INTEGER NOT NULL
);
CREATE UNIQUE INDEX domains_live_name_idx ON domains (name) WHERE purged_at IS NULL;
CREATE UNIQUE INDEX domains_live_variant_idx ON domains (variant_key) WHERE purged_at IS NULL;
CREATE INDEX domains_owner_idx ON domains (owner_id, name);
CREATE INDEX domains_expiry_idx ON domains (expires_at) WHERE purged_at IS NULL;

-- Every change of a domain, appended (rows are never edited in place elsewhere).
CREATE TABLE domain_history (
    id          TEXT PRIMARY KEY,
    domain_id   TEXT NOT NULL REFERENCES domains (id),
    action      TEXT NOT NULL,
    actor       TEXT NOT NULL,
    order_id    TEXT,
    detail      TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX domain_history_domain_idx ON domain_history (domain_id, at);

CREATE TABLE orders (
    id               TEXT PRIMARY KEY,
    owner_id         TEXT NOT NULL,
    actor_id         TEXT NOT NULL,
    kind             TEXT NOT NULL,
    domain_name      TEXT,
    years            INTEGER,
    amount           INTEGER NOT NULL,
    currency         TEXT NOT NULL,
    status           TEXT NOT NULL,
    detail           TEXT NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE INDEX orders_owner_idx ON orders (owner_id, created_at);

-- Customer balances kept as running totals so that a debit can be checked and applied in
-- one statement; platform accounts (revenue, cash, refunds) are summed from the entries.
CREATE TABLE balances (
    holder_id     TEXT NOT NULL,
    currency      TEXT NOT NULL,
    balance       INTEGER NOT NULL,
    credit_limit  INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (holder_id, currency)
);

-- Double-entry postings: amount > 0 is a debit, < 0 a credit; each transaction sums to 0.
CREATE TABLE ledger_entries (
    id              TEXT PRIMARY KEY,
    transaction_id  TEXT NOT NULL,
    account         TEXT NOT NULL,
    holder_id       TEXT,
    amount          INTEGER NOT NULL,
    currency        TEXT NOT NULL,
    order_id        TEXT,
    memo            TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX ledger_entries_holder_idx ON ledger_entries (holder_id, created_at);
CREATE INDEX ledger_entries_transaction_idx ON ledger_entries (transaction_id);
