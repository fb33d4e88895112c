-- Personal data at rest (security review, item 11): contact e-mails and phones, filing
-- principals' mobiles and e-mails, the sandbox authority's certificate keys and mobiles, and
-- SMS recipients in the outbox are no longer stored in clear.
--
-- Values that are read back are sealed (AES-256-GCM under the master key, bound to their row
-- by the context `contact.email:<id>`, `contact.phone:<id>`, `notice.recipient:<id>`,
-- `sandbox.ticket.cert:<id>`); values that are only compared are replaced by keyed blind
-- indexes (HMAC-SHA256; the sealed JSON documents keep the filing values themselves).
--
-- The old plaintext columns stay, emptied: the master key is needed to fill the new columns,
-- so the one-time conversion of existing rows runs in Rust when the application starts
-- (`yuming_app::at_rest::seal_legacy_plaintext`), after every migration; a migration cannot
-- drop a column whose data that later step still has to read. A later release may drop them.

ALTER TABLE contacts ADD COLUMN email_sealed BLOB;
ALTER TABLE contacts ADD COLUMN phone_sealed BLOB;

ALTER TABLE filing_entities ADD COLUMN principal_mobile_index TEXT;
ALTER TABLE filing_entities ADD COLUMN principal_email_index TEXT;
DROP INDEX filing_entities_mobile_idx;
DROP INDEX filing_entities_email_idx;
CREATE INDEX filing_entities_mobile_index_idx ON filing_entities (principal_mobile_index);
CREATE INDEX filing_entities_email_index_idx ON filing_entities (principal_email_index);

ALTER TABLE filing_sites ADD COLUMN principal_mobile_index TEXT;
ALTER TABLE filing_sites ADD COLUMN principal_email_index TEXT;
DROP INDEX filing_sites_mobile_idx;
DROP INDEX filing_sites_email_idx;
CREATE INDEX filing_sites_mobile_index_idx ON filing_sites (principal_mobile_index);
CREATE INDEX filing_sites_email_index_idx ON filing_sites (principal_email_index);

-- The sandbox keys subjects and sites by a blind index of the certificate (`cert_key` then
-- holds the index, 64 hex digits, instead of `type:number`); a ticket keeps the certificate
-- sealed, as the authority must match it again at decision time under every key in use.
ALTER TABLE sandbox_authority_tickets ADD COLUMN cert_sealed BLOB;
ALTER TABLE sandbox_authority_sms ADD COLUMN mobile_index TEXT;
DROP INDEX sandbox_authority_sms_mobile_idx;
CREATE INDEX sandbox_authority_sms_mobile_index_idx ON sandbox_authority_sms (mobile_index, id);

ALTER TABLE notice_outbox ADD COLUMN recipient_sealed BLOB;
