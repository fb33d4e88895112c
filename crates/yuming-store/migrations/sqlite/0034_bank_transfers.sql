-- Bank transfers (对公转账, issue 17): a top-up request with a unique reference the
-- customer writes in the transfer's memo, and the statement lines finance imports and
-- matches (or assigns by hand). The payer's name and account are sealed (AES-256-GCM).
CREATE TABLE bank_transfers (
    id          TEXT PRIMARY KEY,
    owner_id    TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    reference   TEXT NOT NULL UNIQUE,
    amount      INTEGER NOT NULL,
    currency    TEXT NOT NULL,
    received    INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX bank_transfers_owner_idx ON bank_transfers (owner_id, created_at);

CREATE TABLE bank_statement_lines (
    id            TEXT PRIMARY KEY,
    txn_id        TEXT NOT NULL UNIQUE,
    booked_on     TEXT NOT NULL,
    amount        INTEGER NOT NULL,
    currency      TEXT NOT NULL,
    payer_sealed  BLOB NOT NULL,
    memo          TEXT NOT NULL,
    status        TEXT NOT NULL,
    transfer_id   TEXT REFERENCES bank_transfers (id),
    owner_id      TEXT,
    order_id      TEXT,
    imported_by   TEXT NOT NULL,
    imported_at   INTEGER NOT NULL,
    settled_by    TEXT,
    settled_at    INTEGER
);
CREATE INDEX bank_statement_lines_status_idx ON bank_statement_lines (status, imported_at);
