-- The address an abuse reporter left for the answer (issue 19), sealed like the texts: the
-- acknowledgement and the final answer are e-mailed to it.
ALTER TABLE complaints ADD COLUMN reporter_email_sealed BYTEA;
