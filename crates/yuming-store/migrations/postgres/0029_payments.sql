-- Payments through gateways (issue 17): a payment is created pending, the gateway's signed
-- notify (or the query job) settles it, and the credit is booked in the transaction that
-- moves it out of `pending`, so a duplicate notify finds nothing left to credit.
CREATE TABLE payments (
    id               TEXT PRIMARY KEY,
    owner_id         TEXT NOT NULL REFERENCES accounts (id),
    actor_id         TEXT NOT NULL,
    method           TEXT NOT NULL,
    amount           BIGINT NOT NULL,
    currency         TEXT NOT NULL,
    refunded         BIGINT NOT NULL DEFAULT 0,
    status           TEXT NOT NULL,
    gateway_trade_no TEXT,
    pay_url          TEXT,
    qr_code          TEXT,
    failure          TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    paid_at          BIGINT,
    expires_at       BIGINT NOT NULL
);
CREATE INDEX payments_owner_idx ON payments (owner_id, created_at);
CREATE INDEX payments_status_idx ON payments (status, created_at);

-- Refunds back to the payment's method; the balance is debited when the refund is asked
-- for and credited back if the gateway refuses it.
CREATE TABLE payment_refunds (
    id                TEXT PRIMARY KEY,
    payment_id        TEXT NOT NULL REFERENCES payments (id),
    owner_id          TEXT NOT NULL,
    actor_id          TEXT NOT NULL,
    amount            BIGINT NOT NULL,
    currency          TEXT NOT NULL,
    reason            TEXT NOT NULL,
    status            TEXT NOT NULL,
    gateway_refund_no TEXT,
    failure           TEXT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX payment_refunds_payment_idx ON payment_refunds (payment_id, created_at);
CREATE INDEX payment_refunds_status_idx ON payment_refunds (status, created_at);

-- Every gateway callback as received, stored before it is checked or acted on: a crash
-- between receipt and credit leaves the row `received`, and processing it again is safe.
CREATE TABLE payment_notifications (
    id           TEXT PRIMARY KEY,
    gateway      TEXT NOT NULL,
    headers      TEXT NOT NULL,
    body         BYTEA NOT NULL,
    payment_id   TEXT,
    outcome      TEXT NOT NULL,
    detail       TEXT NOT NULL,
    received_at  BIGINT NOT NULL,
    processed_at BIGINT
);
CREATE INDEX payment_notifications_received_idx ON payment_notifications (received_at);
CREATE INDEX payment_notifications_payment_idx ON payment_notifications (payment_id);

-- What finance must look at: forged or inconsistent notifies, refunds made outside the
-- platform, reconciliation mismatches.
CREATE TABLE payment_alerts (
    id          TEXT PRIMARY KEY,
    gateway     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    payment_id  TEXT,
    detail      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    resolved_at BIGINT
);
CREATE INDEX payment_alerts_created_idx ON payment_alerts (created_at);

-- The built-in sandbox gateway's own side of each trade (what a real gateway keeps).
CREATE TABLE sandbox_trades (
    trade_no     TEXT PRIMARY KEY,
    out_trade_no TEXT NOT NULL UNIQUE,
    amount       BIGINT NOT NULL,
    currency     TEXT NOT NULL,
    refunded     BIGINT NOT NULL DEFAULT 0,
    status       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    paid_at      BIGINT
);
