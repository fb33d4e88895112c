-- Availability indexes of every instance follow domain changes by updated_at.
CREATE INDEX domains_updated_idx ON domains (updated_at);
