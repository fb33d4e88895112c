-- Identity document images of registrant contacts (issue 16: "create, upload the identity
-- document images, see review status"). Same shape and checks as filing materials: the file
-- is sealed with the file key (`contact.document:<id>`), a re-upload of a kind adds a row and
-- clears `current` on the old one, and what the upload checks measured is kept beside it.
CREATE TABLE contact_documents (
    id            TEXT PRIMARY KEY,
    owner_id      TEXT NOT NULL,
    contact_id    TEXT NOT NULL REFERENCES contacts (id),
    kind          TEXT NOT NULL,
    current       BOOLEAN NOT NULL,
    content_type  TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    width         BIGINT NOT NULL,
    height        BIGINT NOT NULL,
    dpi           BIGINT,
    data_sealed   BYTEA NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX contact_documents_contact_idx ON contact_documents (contact_id, kind, created_at);
