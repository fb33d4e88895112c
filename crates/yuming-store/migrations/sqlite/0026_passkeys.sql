-- Passkeys (WebAuthn) as a second factor (issue 16). The credential id is stored base64url,
-- the public key as the authenticator's COSE_Key bytes (public, so not sealed).
CREATE TABLE passkeys (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    tenant_id       TEXT NOT NULL,
    credential_id   TEXT NOT NULL UNIQUE,
    public_key      BLOB NOT NULL,
    algorithm       INTEGER NOT NULL,
    sign_count      INTEGER NOT NULL,
    name            TEXT NOT NULL,
    backup_eligible INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER
);
CREATE INDEX passkeys_account_idx ON passkeys (account_id, created_at);

-- Challenges issued for a ceremony, each used once within minutes; a login challenge is also
-- the ticket that carries the checked password to the login's second step.
CREATE TABLE webauthn_challenges (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    purpose     TEXT NOT NULL,
    challenge   BLOB NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX webauthn_challenges_expiry_idx ON webauthn_challenges (expires_at);
