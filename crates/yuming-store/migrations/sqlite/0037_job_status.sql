-- What the scheduler's jobs did last (issue 18: administrators see last run, lag and
-- failures, and run a job now): one row per job, updated after every run by any instance.
CREATE TABLE job_status (
    name                  TEXT PRIMARY KEY,
    runs                  INTEGER NOT NULL,
    failures              INTEGER NOT NULL,
    consecutive_failures  INTEGER NOT NULL,
    last_started_at       INTEGER NOT NULL,
    last_finished_at      INTEGER NOT NULL,
    last_duration_ms      INTEGER NOT NULL,
    last_processed        INTEGER NOT NULL,
    last_ok_at            INTEGER,
    last_error            TEXT,
    last_error_at         INTEGER,
    last_holder           TEXT NOT NULL,
    last_trigger          TEXT NOT NULL
);

-- Each gateway's daily bill compared with the ledger: kept so that finance sees every
-- day's result, not only the differences raised as alerts.
CREATE TABLE reconciliations (
    gateway     TEXT NOT NULL,
    day         TEXT NOT NULL,
    ran_at      INTEGER NOT NULL,
    matched     INTEGER NOT NULL,
    mismatches  TEXT NOT NULL,
    PRIMARY KEY (gateway, day)
);
CREATE INDEX reconciliations_day_idx ON reconciliations (day);

-- Finance lists the latest payments and refunds of all customers.
CREATE INDEX payments_created_idx ON payments (created_at);
CREATE INDEX payment_refunds_created_idx ON payment_refunds (created_at);

-- Manual debits (corrections of money booked in error) take the same four-eyes path as
-- credits: a request says which way the money moves.
ALTER TABLE credit_requests ADD COLUMN direction TEXT NOT NULL DEFAULT 'credit';

-- Reviewers see the earlier orders (and their decisions) of the entity an order is for.
CREATE INDEX filing_orders_entity_idx ON filing_orders (entity_id, created_at);

-- Support finds a customer by a contact's phone through a keyed blind index (the number
-- itself stays sealed); rows written before are indexed when the application starts.
ALTER TABLE contacts ADD COLUMN phone_index TEXT;
CREATE INDEX contacts_phone_index_idx ON contacts (phone_index);
