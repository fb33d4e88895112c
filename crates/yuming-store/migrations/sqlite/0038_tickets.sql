-- Support tickets (issue 19): a customer's question, staff's answers in a thread, the
-- service-level times its priority promises, and the customer's rating once closed. Message
-- bodies and attachments are sealed (AES-256-GCM) like filing materials.
CREATE TABLE tickets (
    id                     TEXT PRIMARY KEY,
    owner_id               TEXT NOT NULL,
    opened_by              TEXT NOT NULL,
    category               TEXT NOT NULL,
    subject                TEXT NOT NULL,
    priority               TEXT NOT NULL,
    status                 TEXT NOT NULL,
    assignee               TEXT,
    related_kind           TEXT,
    related_id             TEXT,
    first_response_due_at  INTEGER NOT NULL,
    resolution_due_at      INTEGER NOT NULL,
    first_responded_at     INTEGER,
    sla_breached_at        INTEGER,
    closed_at              INTEGER,
    rating                 INTEGER,
    rating_comment         TEXT,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
);
CREATE INDEX tickets_owner_idx ON tickets (owner_id, updated_at);
CREATE INDEX tickets_status_idx ON tickets (status, updated_at);

CREATE TABLE ticket_messages (
    id           TEXT PRIMARY KEY,
    ticket_id    TEXT NOT NULL REFERENCES tickets (id),
    position     INTEGER NOT NULL,
    author_id    TEXT NOT NULL,
    from_staff   BOOLEAN NOT NULL,
    body_sealed  BLOB NOT NULL,
    created_at   INTEGER NOT NULL
);
-- The thread's order: messages of one second keep the order they were written in.
CREATE UNIQUE INDEX ticket_messages_position_idx ON ticket_messages (ticket_id, position);

CREATE TABLE ticket_attachments (
    id            TEXT PRIMARY KEY,
    ticket_id     TEXT NOT NULL REFERENCES tickets (id),
    message_id    TEXT NOT NULL REFERENCES ticket_messages (id),
    file_name     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size_bytes    INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    data_sealed   BLOB NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX ticket_attachments_ticket_idx ON ticket_attachments (ticket_id, created_at);
