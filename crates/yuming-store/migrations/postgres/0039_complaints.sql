-- Complaints and appeals (投诉 / 申诉, issue 19): statutory-style deadlines counted in
-- working days, escalation to a supervisor when one is near, a final written answer. The
-- texts are sealed like ticket messages.
CREATE TABLE complaints (
    id                       TEXT PRIMARY KEY,
    owner_id                 TEXT NOT NULL,
    filed_by                 TEXT NOT NULL,
    kind                     TEXT NOT NULL,
    subject                  TEXT NOT NULL,
    body_sealed              BYTEA NOT NULL,
    related                  TEXT,
    status                   TEXT NOT NULL,
    received_at              BIGINT NOT NULL,
    ack_due_at               BIGINT NOT NULL,
    resolution_due_at        BIGINT NOT NULL,
    acknowledged_at          BIGINT,
    acknowledged_by          TEXT,
    answered_at              BIGINT,
    answered_by              TEXT,
    answer_sealed            BYTEA,
    ack_escalated_at         BIGINT,
    resolution_escalated_at  BIGINT,
    updated_at               BIGINT NOT NULL
);
CREATE INDEX complaints_owner_idx ON complaints (owner_id, received_at);
CREATE INDEX complaints_status_idx ON complaints (status, resolution_due_at);
CREATE INDEX complaints_received_idx ON complaints (received_at);
