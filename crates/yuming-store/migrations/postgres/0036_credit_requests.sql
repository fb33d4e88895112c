-- Manual credits above the configured amount wait for a second finance person (four eyes,
-- issue 18): the request, who asked, who decided and the order the approved credit became.
CREATE TABLE credit_requests (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    amount        BIGINT NOT NULL,
    currency      TEXT NOT NULL,
    note          TEXT NOT NULL,
    status        TEXT NOT NULL,
    requested_by  TEXT NOT NULL,
    requested_at  BIGINT NOT NULL,
    decided_by    TEXT,
    decided_at    BIGINT,
    reason        TEXT,
    order_id      TEXT
);
CREATE INDEX credit_requests_status_idx ON credit_requests (status, requested_at);
