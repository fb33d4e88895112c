-- Account closure requests (issue 16): the customer asks, staff complete it once nothing is
-- registered, owed or left on the balance. At most one open request per account.
CREATE TABLE account_closures (
    id             TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL REFERENCES accounts (id),
    tenant_id      TEXT NOT NULL,
    status         TEXT NOT NULL,
    reason         TEXT,
    decision_note  TEXT,
    requested_at   INTEGER NOT NULL,
    decided_by     TEXT,
    decided_at     INTEGER
);
CREATE UNIQUE INDEX account_closures_open_idx ON account_closures (account_id) WHERE status = 'requested';
CREATE INDEX account_closures_status_idx ON account_closures (status, requested_at);
