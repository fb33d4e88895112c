-- Sessions remember where they were started (issue 16), so that their owner can tell them
-- apart in the session list.
ALTER TABLE sessions ADD COLUMN ip TEXT;
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
