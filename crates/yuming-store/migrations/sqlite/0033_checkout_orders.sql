-- Pay for this order at checkout (issue 17): the order holds its names, prices and coupon
-- uses until it is paid through a gateway (then fulfilled from the credited balance) or
-- expires (then releases them).
CREATE TABLE checkout_orders (
    id           TEXT PRIMARY KEY,
    owner_id     TEXT NOT NULL,
    actor_id     TEXT NOT NULL,
    status       TEXT NOT NULL,
    amount       INTEGER NOT NULL,
    currency     TEXT NOT NULL,
    items        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    paid_at      INTEGER,
    payment_id   TEXT,
    claimed_at   INTEGER,
    finished_at  INTEGER,
    updated_at   INTEGER NOT NULL
);
CREATE INDEX checkout_orders_owner_idx ON checkout_orders (owner_id, created_at);
CREATE INDEX checkout_orders_status_idx ON checkout_orders (status, expires_at);

CREATE TABLE order_holds (
    name        TEXT PRIMARY KEY,
    order_id    TEXT NOT NULL REFERENCES checkout_orders (id),
    owner_id    TEXT NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX order_holds_order_idx ON order_holds (order_id);

CREATE TABLE checkout_payments (
    payment_id  TEXT PRIMARY KEY REFERENCES payments (id),
    order_id    TEXT NOT NULL REFERENCES checkout_orders (id)
);
