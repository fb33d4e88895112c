-- A running batch is leased by the instance working through it and the lease is renewed after
-- every item; a batch whose lease ran out (its instance died) is resumed by the jobs.
ALTER TABLE batches ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN holder TEXT;
CREATE INDEX batches_running_idx ON batches (status, lease_until);

-- Each batch item runs under its own request id; the audit entry its use case writes in the
-- same transaction is the proof that it committed, so a resumed batch never repeats an item.
CREATE INDEX audit_log_request_idx ON audit_log (request_id);
