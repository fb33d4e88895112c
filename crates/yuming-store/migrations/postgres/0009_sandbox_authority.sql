-- The built-in sandbox filing authority's own records. It stands for an outside system (the
-- MIIT filing system), so nothing of the platform refers to these tables; they live in the
-- platform's database only so that every instance (serve, jobs run-once, a restart) sees the
-- same tickets, codes and numbers.

-- One submission the sandbox accepted. `phase`: sms | review | returned | done. The SMS code
-- is kept only as a salted SHA-256 (`code_hash`); `result` is the decision, as JSON, once done.
CREATE TABLE sandbox_authority_tickets (
    id               TEXT PRIMARY KEY,
    order_id         TEXT NOT NULL,
    operation        TEXT NOT NULL,
    province         BIGINT NOT NULL,
    cert_key         TEXT NOT NULL,
    domain           TEXT,
    site_no          TEXT,
    phase            TEXT NOT NULL,
    code_hash        TEXT NOT NULL,
    code_expires_at  BIGINT NOT NULL,
    wrong_codes      BIGINT NOT NULL,
    decide_at        BIGINT NOT NULL,
    reject           BOOLEAN NOT NULL,
    result           TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL
);
-- One open ticket per order: a second push of the same order (two instances syncing at
-- once) gets the open ticket back instead of a second code.
CREATE UNIQUE INDEX sandbox_authority_tickets_open_idx ON sandbox_authority_tickets (order_id)
    WHERE phase IN ('sms', 'review');

-- The next serial per province and year (numbers like 京ICP备2026000123号).
CREATE TABLE sandbox_authority_serials (
    province     BIGINT NOT NULL,
    year         BIGINT NOT NULL,
    next_serial  BIGINT NOT NULL,
    PRIMARY KEY (province, year)
);

-- Filed subjects (主体), by certificate; the number is unique at the authority.
CREATE TABLE sandbox_authority_subjects (
    cert_key    TEXT PRIMARY KEY,
    subject_no  TEXT NOT NULL UNIQUE,
    province    BIGINT NOT NULL,
    year        BIGINT NOT NULL,
    serial      BIGINT NOT NULL,
    next_site   BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Filed sites (网站), by domain.
CREATE TABLE sandbox_authority_sites (
    domain       TEXT PRIMARY KEY,
    cert_key     TEXT NOT NULL REFERENCES sandbox_authority_subjects (cert_key),
    site_serial  BIGINT NOT NULL,
    site_no      TEXT NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL
);

-- The text messages the sandbox "sent" to principals' phones (what a phone would show).
CREATE TABLE sandbox_authority_sms (
    id       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    mobile   TEXT NOT NULL,
    body     TEXT NOT NULL,
    sent_at  BIGINT NOT NULL
);
CREATE INDEX sandbox_authority_sms_mobile_idx ON sandbox_authority_sms (mobile, id);
