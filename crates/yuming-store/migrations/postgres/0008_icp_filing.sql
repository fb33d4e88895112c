-- ICP filing (spec §1): the versioned rules table, provider IP pools, customers' servers,
-- the blacklist, filing entities and sites, orders with their status history and review
-- notes. Certificate and ID numbers live only inside the sealed JSON documents
-- (AES-256-GCM, bound to the row by `filing.entity:<id>` / `filing.site:<id>` /
-- `filing.order:<id>`); equality look-ups use keyed blind indexes. Principals' mobile and
-- e-mail stay plain for the duplicate checks (§1.8 CONTACT_INVALID).

-- Every province- or provider-specific limit: the row in force for a key is the most
-- specific scope (provider > province > national) with the latest effective_from <= now.
CREATE TABLE filing_rules (
    id              TEXT PRIMARY KEY,
    scope           TEXT NOT NULL,          -- national | province | provider
    scope_key       TEXT NOT NULL,          -- '' | GB/T 2260 two-digit code | provider name
    rule_key        TEXT NOT NULL,
    value           TEXT NOT NULL,
    source          TEXT NOT NULL,
    effective_from  BIGINT NOT NULL,
    created_at      BIGINT NOT NULL
);
CREATE INDEX filing_rules_key_idx ON filing_rules (rule_key, effective_from);

INSERT INTO filing_rules (id, scope, scope_key, rule_key, value, source, effective_from, created_at) VALUES
 ('fr_dom_age', 'national', '', 'domain.min_age_days', '30', 'DESIGN.md ICP rules', 0, 0),
 ('fr_dom_left', 'national', '', 'domain.min_remaining_days', '90', 'spec R-DOM-4', 0, 0),
 ('fr_dom_holder', 'national', '', 'domain.holder_exact', '1', 'spec R-DOM-1', 0, 0),
 ('fr_dom_tlds', 'national', '', 'domain.approved_tlds', 'cn,com,net,org,xn--fiqs8s,xn--fiqz9s,xn--55qx5d,xn--io0a7i,top,xyz,vip,site,info,biz,mobi,name,cc,tv,club,shop,ltd,group,ink,fun,online,store,tech,wang,xin,ren', 'spec R-DOM-3 (refresh from the MIIT list)', 0, 0),
 ('fr_cert_left', 'national', '', 'cert.min_remaining_days', '90', 'spec R-MAT-2', 0, 0),
 ('fr_purpose', 'national', '', 'personal.purpose_max_chars', '200', 'DESIGN.md ICP rules', 0, 0),
 ('fr_sub_acct', 'national', '', 'submit.per_account_per_day', '3', 'DESIGN.md ICP risk limits', 0, 0),
 ('fr_sub_ip', 'national', '', 'submit.per_ip_per_day', '5', 'DESIGN.md ICP risk limits', 0, 0),
 ('fr_age_12', 'province', '12', 'person.min_age', '18', 'spec R-PER-1', 0, 0),
 ('fr_age_13', 'province', '13', 'person.min_age', '18', 'spec R-PER-1', 0, 0),
 ('fr_age_15', 'province', '15', 'person.min_age', '18', 'spec R-PER-1', 0, 0),
 ('fr_age_43', 'province', '43', 'person.min_age', '18', 'spec R-PER-1', 0, 0),
 ('fr_age_32', 'province', '32', 'person.min_age', '16', 'spec R-PER-1', 0, 0),
 ('fr_shell_12', 'province', '12', 'subject.empty_shell_add_ok', '1', 'spec R-OP-7', 0, 0),
 ('fr_shell_21', 'province', '21', 'subject.empty_shell_add_ok', '1', 'spec R-OP-7', 0, 0),
 ('fr_shell_51', 'province', '51', 'subject.empty_shell_add_ok', '1', 'spec R-OP-7', 0, 0),
 ('fr_shell_53', 'province', '53', 'subject.empty_shell_add_ok', '1', 'spec R-OP-7', 0, 0),
 ('fr_shell_32', 'province', '32', 'subject.empty_shell_add_ok', '1', 'spec R-OP-7', 0, 0),
 ('fr_shell_33', 'province', '33', 'subject.empty_shell_add_ok', '1', 'spec R-OP-7', 0, 0),
 ('fr_shell_31', 'province', '31', 'subject.empty_shell_add_ok', '1', 'spec R-OP-7', 0, 0),
 ('fr_shell_45', 'province', '45', 'subject.empty_shell_add_ok', '1', 'spec R-OP-7', 0, 0),
 ('fr_shell_14', 'province', '14', 'subject.empty_shell_add_ok', '1', 'spec R-OP-7', 0, 0),
 ('fr_shell_11', 'province', '11', 'subject.empty_shell_add_ok', '1', 'spec R-OP-7', 0, 0),
 ('fr_shell_52', 'province', '52', 'subject.empty_shell_add_ok', '1', 'spec R-OP-7', 0, 0);

-- The provider's address pools, configured by admins.
CREATE TABLE filing_ip_pools (
    id          TEXT PRIMARY KEY,
    cidr        TEXT NOT NULL,
    region      TEXT NOT NULL,
    mainland    BOOLEAN NOT NULL,
    created_at  BIGINT NOT NULL
);

-- Customers' servers; an address belongs to one account.
CREATE TABLE filing_servers (
    id          TEXT PRIMARY KEY,
    owner_id    TEXT NOT NULL,
    ip          TEXT NOT NULL UNIQUE,
    region      TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX filing_servers_owner_idx ON filing_servers (owner_id, created_at);

-- People and certificates proven to have given false filing data (blind indexes).
CREATE TABLE filing_blacklist (
    digest      TEXT PRIMARY KEY,
    reason      TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

-- 主体. `data_sealed` is the JSON document of the filed (or, before approval, proposed) data.
CREATE TABLE filing_entities (
    id                TEXT PRIMARY KEY,
    owner_id          TEXT NOT NULL,
    entity_type       TEXT NOT NULL,
    province          BIGINT NOT NULL,
    name              TEXT NOT NULL,
    cert_type         TEXT NOT NULL,
    cert_digest       TEXT NOT NULL,
    cert_masked       TEXT NOT NULL,
    principal_mobile  TEXT NOT NULL,
    principal_email   TEXT NOT NULL,
    data_sealed       BYTEA NOT NULL,
    subject_no        TEXT,
    status            TEXT NOT NULL,          -- draft | filed | cancelled
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX filing_entities_owner_idx ON filing_entities (owner_id, created_at);
CREATE INDEX filing_entities_cert_idx ON filing_entities (cert_digest);
CREATE INDEX filing_entities_mobile_idx ON filing_entities (principal_mobile);
CREATE INDEX filing_entities_email_idx ON filing_entities (principal_email);

-- 网站: one domain per site.
CREATE TABLE filing_sites (
    id                TEXT PRIMARY KEY,
    owner_id          TEXT NOT NULL,
    entity_id         TEXT NOT NULL REFERENCES filing_entities (id),
    domain            TEXT NOT NULL,
    principal_mobile  TEXT NOT NULL,
    principal_email   TEXT NOT NULL,
    data_sealed       BYTEA NOT NULL,
    site_no           TEXT,
    status            TEXT NOT NULL,          -- draft | filed | cancelled
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX filing_sites_entity_idx ON filing_sites (entity_id, created_at);
CREATE INDEX filing_sites_domain_idx ON filing_sites (domain);
CREATE INDEX filing_sites_mobile_idx ON filing_sites (principal_mobile);
CREATE INDEX filing_sites_email_idx ON filing_sites (principal_email);

-- Orders. `lock_key` is the entity id while the order is not final and NULL after: the
-- unique index is R-OP-1 (one in-flight order per entity), decided by the database.
CREATE TABLE filing_orders (
    id                TEXT PRIMARY KEY,
    owner_id          TEXT NOT NULL,
    entity_id         TEXT NOT NULL REFERENCES filing_entities (id),
    site_id           TEXT REFERENCES filing_sites (id),
    operation         TEXT NOT NULL,
    status            TEXT NOT NULL,
    lock_key          TEXT UNIQUE,
    payload_sealed    BYTEA NOT NULL,
    rejected_fields   TEXT NOT NULL,          -- JSON array of dotted field paths
    claimed_by        TEXT,
    authority_ticket  TEXT,
    submitted_at      BIGINT,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX filing_orders_owner_idx ON filing_orders (owner_id, created_at);
CREATE INDEX filing_orders_status_idx ON filing_orders (status, updated_at);

-- Every status change of an order; rows are never changed.
CREATE TABLE filing_order_history (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id     TEXT NOT NULL REFERENCES filing_orders (id),
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    actor        TEXT NOT NULL,
    note         TEXT,
    at           BIGINT NOT NULL
);
CREATE INDEX filing_order_history_idx ON filing_order_history (order_id, seq);

-- Review notes: per-field rejection comments, the call log and the message thread.
CREATE TABLE filing_order_notes (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id     TEXT NOT NULL REFERENCES filing_orders (id),
    kind         TEXT NOT NULL,               -- rejection | call | message
    author       TEXT NOT NULL,
    from_staff   BOOLEAN NOT NULL,
    field        TEXT,
    code         TEXT,
    body         TEXT NOT NULL,
    at           BIGINT NOT NULL
);
CREATE INDEX filing_order_notes_idx ON filing_order_notes (order_id, seq);

-- Uploaded materials, sealed with the file key (`filing.material:<id>`). A re-upload of the
-- same kind adds a row and clears `current` on the old one, so history is kept. What the
-- upload checks measured is stored so that the self-check does not decode files again.
CREATE TABLE filing_materials (
    id            TEXT PRIMARY KEY,
    owner_id      TEXT NOT NULL,
    order_id      TEXT NOT NULL REFERENCES filing_orders (id),
    kind          TEXT NOT NULL,
    current       BOOLEAN NOT NULL,
    content_type  TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    width         BIGINT NOT NULL,
    height        BIGINT NOT NULL,
    dpi           BIGINT,
    data_sealed   BYTEA NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    BIGINT NOT NULL
);
CREATE INDEX filing_materials_order_idx ON filing_materials (order_id, kind, created_at);
