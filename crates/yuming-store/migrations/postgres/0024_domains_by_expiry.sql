-- The console's domain list sorted by expiry (issue 16): a keyset page per owner in
-- (expires_at, name) order.
CREATE INDEX domains_owner_expiry_idx ON domains (owner_id, expires_at, name) WHERE purged_at IS NULL;
