-- The registrant's consent to show its name, e-mail and phone in WHOIS and RDAP (redacted
-- by default; identity numbers and street addresses are never shown).
ALTER TABLE contacts ADD COLUMN disclose BOOLEAN NOT NULL DEFAULT FALSE;
