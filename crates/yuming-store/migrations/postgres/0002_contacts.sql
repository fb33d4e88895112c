-- Registrant contacts and their real-name verification history.
-- The document number and the street address are personal data: they are stored only sealed
-- (AES-256-GCM, bound to the row by the context `contact.id_number:<id>` /
-- `contact.address:<id>`), next to a masked number for display and a keyed blind index
-- (HMAC-SHA256, never a plain hash) for equality lookups. Country, province and city stay
-- plain for routing and WHOIS region display.

CREATE TABLE contacts (
    id                   TEXT PRIMARY KEY,
    owner_id             TEXT NOT NULL,
    kind                 TEXT NOT NULL,
    name                 TEXT NOT NULL,
    id_type              TEXT NOT NULL,
    id_number_sealed     BYTEA NOT NULL,
    id_number_masked     TEXT NOT NULL,
    id_number_digest     TEXT NOT NULL,
    email                TEXT NOT NULL,
    phone                TEXT NOT NULL,
    address_sealed       BYTEA NOT NULL,
    country              TEXT NOT NULL,
    province             TEXT NOT NULL,
    city                 TEXT NOT NULL,
    verification_status  TEXT NOT NULL,
    verification_reason  TEXT,
    manual_review        BOOLEAN NOT NULL DEFAULT FALSE,
    entity_type_hint     TEXT,
    reviewed_by          TEXT,
    reviewed_at          BIGINT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
-- A tenant's contacts, newest first.
CREATE INDEX contacts_owner_idx ON contacts (owner_id, created_at);
-- The review queue: pending contacts, oldest first.
CREATE INDEX contacts_status_idx ON contacts (verification_status, created_at);
-- The same document on several contacts.
CREATE INDEX contacts_id_digest_idx ON contacts (id_number_digest);

-- Every verification status change, from the submission on; rows are never changed.
-- The identity column orders a contact's changes even within one second.
CREATE TABLE contact_reviews (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    contact_id   TEXT NOT NULL REFERENCES contacts (id),
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    reason       TEXT,
    actor        TEXT NOT NULL,
    at           BIGINT NOT NULL
);
CREATE INDEX contact_reviews_contact_idx ON contact_reviews (contact_id, seq);
