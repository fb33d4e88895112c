-- Idempotency survives a crash between the effect and the stored response (security review,
-- issue 13 item 1). A use case run under an Idempotency-Key marks the key in its own
-- transaction (effect_at, the request id and a summary of what it changed), so a retry of a
-- key whose request died after its commit replays "committed" instead of running again.
ALTER TABLE idempotency_keys ADD COLUMN effect_at BIGINT;
ALTER TABLE idempotency_keys ADD COLUMN effect_request_id TEXT;
ALTER TABLE idempotency_keys ADD COLUMN effect_summary TEXT;

-- The client's own X-Request-Id, kept beside ours instead of replacing it.
ALTER TABLE audit_log ADD COLUMN client_request_id TEXT NOT NULL DEFAULT '';
