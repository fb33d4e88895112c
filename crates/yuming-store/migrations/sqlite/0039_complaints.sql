-- Complaints and appeals (投诉 / 申诉, issue 19): statutory-style deadlines counted in
-- working days, escalation to a supervisor when one is near, a final written answer. The
-- texts are sealed like ticket messages.
CREATE TABLE complaints (
    id                       TEXT PRIMARY KEY,
    owner_id                 TEXT NOT NULL,
    filed_by                 TEXT NOT NULL,
    kind                     TEXT NOT NULL,
    subject                  TEXT NOT NULL,
    body_sealed              BLOB NOT NULL,
    related                  TEXT,
    status                   TEXT NOT NULL,
    received_at              INTEGER NOT NULL,
    ack_due_at               INTEGER NOT NULL,
    resolution_due_at        INTEGER NOT NULL,
    acknowledged_at          INTEGER,
    acknowledged_by          TEXT,
    answered_at              INTEGER,
    answered_by              TEXT,
    answer_sealed            BLOB,
    ack_escalated_at         INTEGER,
    resolution_escalated_at  INTEGER,
    updated_at               INTEGER NOT NULL
);
CREATE INDEX complaints_owner_idx ON complaints (owner_id, received_at);
CREATE INDEX complaints_status_idx ON complaints (status, resolution_due_at);
CREATE INDEX complaints_received_idx ON complaints (received_at);
