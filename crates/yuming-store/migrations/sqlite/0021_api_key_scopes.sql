-- API keys get scopes, a source allow-list and call quotas (security review, item 7); the
-- rights to manage webhooks are split from the rights to manage API keys.
--
-- scopes: comma-separated names (read, domains, dns, billing, filing, webhooks, staff). Keys
-- created before this migration keep working as before: they get every scope (a key still
-- never exceeds its account's rights, and account-security operations such as password,
-- TOTP, API-key and session management now need a login session whatever the scopes).
-- allowed_cidrs: comma-separated networks; empty = any source.
-- per_minute / per_day: call quotas; existing keys get the defaults (600 / 100 000).
ALTER TABLE api_keys ADD COLUMN scopes TEXT NOT NULL DEFAULT 'read,domains,dns,billing,filing,webhooks,staff';
ALTER TABLE api_keys ADD COLUMN allowed_cidrs TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN per_minute INTEGER NOT NULL DEFAULT 600;
ALTER TABLE api_keys ADD COLUMN per_day INTEGER NOT NULL DEFAULT 100000;

-- Webhook endpoints used to need api_keys:manage; that right is now only for API keys, and
-- webhooks:manage is its own right. Every account (or sub-account) that could manage
-- webhooks keeps that ability.
UPDATE accounts SET rights = rights || ',webhooks:manage'
WHERE (',' || rights || ',') LIKE '%,api_keys:manage,%'
  AND (',' || rights || ',') NOT LIKE '%,webhooks:manage,%';
