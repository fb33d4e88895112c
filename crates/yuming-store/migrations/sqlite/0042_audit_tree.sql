-- The audit log's Merkle tree (RFC 9162 §2.1, issue 20). Leaf i is entry seq i + 1, hashed
-- from the entry's chain hash. Every perfect subtree's hash is kept (level 0 = leaves), so
-- that a root or a proof costs O(log² n) lookups and never rehashes the log. Values are
-- determined by the log, so instances extending the tree at once write identical rows.
CREATE TABLE audit_tree_nodes (
    level   INTEGER NOT NULL,
    idx     BIGINT NOT NULL,
    hash    TEXT NOT NULL,
    PRIMARY KEY (level, idx)
);

-- Signed tree heads, published at /api/v1/public/audit/sth: what a receipt is checked
-- against, and what consistency proofs connect.
CREATE TABLE audit_tree_heads (
    tree_size   BIGINT PRIMARY KEY,
    root_hash   TEXT NOT NULL,
    signed_at   BIGINT NOT NULL,
    key_id      TEXT NOT NULL,
    signature   TEXT NOT NULL
);
