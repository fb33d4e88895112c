-- Queries that reached the authoritative DNS server for a cancelled name during its
-- stray-traffic watch: how much traffic still expects the name to exist.
ALTER TABLE cancellation_domains ADD COLUMN stray_queries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cancellation_domains ADD COLUMN last_stray_at INTEGER;
