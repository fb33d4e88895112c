-- Each account's low-balance notice threshold in CNY minor units (fen); NULL means the platform
-- default (50 CNY), 0 turns the notice off.
ALTER TABLE accounts ADD COLUMN low_balance_threshold BIGINT;
