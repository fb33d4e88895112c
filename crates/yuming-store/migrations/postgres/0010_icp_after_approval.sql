-- ICP filing after approval: the platform's certificate signing keys and the certificates.

-- Ed25519 keys. `private_sealed` is the PKCS#8 document sealed with the master key; the public
-- key (base64) is published so that anyone can verify certificates offline. Retired keys stay
-- to verify what they signed.
CREATE TABLE filing_signing_keys (
    key_id          TEXT PRIMARY KEY,
    public_key      TEXT NOT NULL,
    private_sealed  BYTEA NOT NULL,
    created_at      BIGINT NOT NULL,
    retired_at      BIGINT
);

-- Issued certificates: `document` is the canonical JSON that was signed, `signature` the
-- base64 Ed25519 signature. A re-issue (renewal) supersedes the previous one.
CREATE TABLE filing_certificates (
    id             TEXT PRIMARY KEY,
    site_id        TEXT NOT NULL REFERENCES filing_sites (id),
    owner_id       TEXT NOT NULL,
    document       TEXT NOT NULL,
    signature      TEXT NOT NULL,
    key_id         TEXT NOT NULL REFERENCES filing_signing_keys (key_id),
    issued_at      BIGINT NOT NULL,
    valid_until    BIGINT NOT NULL,
    superseded_at  BIGINT
);
CREATE INDEX filing_certificates_site_idx ON filing_certificates (site_id, issued_at);
CREATE INDEX filing_certificates_due_idx ON filing_certificates (valid_until);

-- Guangdong footers show the subject (主体) number rather than the site number.
INSERT INTO filing_rules (id, scope, scope_key, rule_key, value, source, effective_from, created_at) VALUES
 ('fr_footer_gd', 'province', '44', 'footer.subject_number', '1', 'Guangdong communications administration footer rule', 0, 0);
