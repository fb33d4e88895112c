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
    size_bytes    INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    dpi           INTEGER,
    data_sealed   BLOB NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX contact_documents_contact_idx ON contact_documents (contact_id, kind, created_at);
