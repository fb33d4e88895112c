-- Sign-up proves the e-mail address (security review, issue 13 item 2): a self sign-up is
-- activated through a link mailed to the address, and an unverified account cannot pay or
-- register. Accounts that exist already keep working: they count as verified from creation.
ALTER TABLE accounts ADD COLUMN email_verified_at BIGINT;
UPDATE accounts SET email_verified_at = created_at;

-- One row per mailed link; only the SHA-256 of the token is kept. used_at is set when the
-- link is used, or when the account verified through another link or a newer one replaced it.
CREATE TABLE email_verifications (
    token_hash  TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
CREATE INDEX email_verifications_account_idx ON email_verifications (account_id);

-- A secret an e-mail carries (the verification link), sealed with the master key; the body
-- holds only a placeholder until the moment of delivery.
ALTER TABLE notice_outbox ADD COLUMN secret_sealed BYTEA;
