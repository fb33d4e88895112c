-- Invoices (发票, issue 17): a customer asks for an invoice of paid top-ups; finance issues it
-- (number, PDF) or rejects it. `invoice_items` has one row per invoiced order, so an amount
-- can be invoiced once; a rejection deletes the invoice's items. The buyer's details and the
-- PDF are sealed with the master key.
CREATE TABLE invoices (
    id          TEXT PRIMARY KEY,
    owner_id    TEXT NOT NULL REFERENCES accounts (id),
    actor_id    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    details     BYTEA NOT NULL,
    amount      BIGINT NOT NULL,
    currency    TEXT NOT NULL,
    status      TEXT NOT NULL,
    number      TEXT,
    reason      TEXT,
    decided_by  TEXT,
    decided_at  BIGINT,
    pdf         BYTEA,
    created_at  BIGINT NOT NULL
);
CREATE INDEX invoices_owner_idx ON invoices (owner_id, created_at);
CREATE INDEX invoices_status_idx ON invoices (status, created_at);
CREATE UNIQUE INDEX invoices_number_idx ON invoices (number);

CREATE TABLE invoice_items (
    order_id    TEXT PRIMARY KEY,
    invoice_id  TEXT NOT NULL REFERENCES invoices (id),
    amount      BIGINT NOT NULL
);
CREATE INDEX invoice_items_invoice_idx ON invoice_items (invoice_id);

-- The top-up order a payment's credit was booked under (refunds of invoiced money are refused).
ALTER TABLE payments ADD COLUMN credit_order_id TEXT;
