-- Batch items keep a failure's message in both languages (issue 16): the console shows the
-- user's, the API both, as its error shape does.
ALTER TABLE batch_items ADD COLUMN message_zh TEXT;
