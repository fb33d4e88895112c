-- Value-added services sold with their own price (issue 17): a filing-assistance package,
-- batch filing… Purchases are orders of kind `service`, booked to service revenue.
CREATE TABLE service_products (
    code         TEXT PRIMARY KEY,
    name_zh      TEXT NOT NULL,
    name_en      TEXT NOT NULL,
    description  TEXT NOT NULL,
    price        INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    active       INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX orders_kind_idx ON orders (kind, created_at);
