//! The tamper-evident audit chain.
//!
//! Every entry stores the SHA-256 of the previous entry and its own hash over a canonical,
//! length-prefixed encoding of its content. Editing, deleting or reordering any entry breaks
//! the chain at that entry, and [`ChainVerifier`] names the first bad one.

use sha2::{Digest, Sha256};
use std::fmt;

use crate::clock::Timestamp;

/// The `prev_hash` of the first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The content of one audit entry, as hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Position in the chain, starting at 1 with no gaps.
    pub seq: i64,
    /// When the change was committed.
    pub at: Timestamp,
    /// Who made the change: an account id, `system` or `cli:<user>`.
    pub actor: String,
    /// The tenant owning the changed object; empty for platform-wide objects.
    pub tenant: String,
    /// What happened, e.g. `account.signup`, `api_key.revoke`.
    pub action: String,
    /// The kind of object changed, e.g. `account`.
    pub object_type: String,
    /// The changed object's id.
    pub object_id: String,
    /// The request that caused the change, for correlation with logs (our id).
    pub request_id: String,
    /// The id the client sent in `X-Request-Id`, if any: kept beside ours, never instead of it.
    pub client_request_id: String,
    /// A summary of the object before the change, never containing secrets.
    pub before: String,
    /// A summary of the object after the change, never containing secrets.
    pub after: String,
    /// The hash of the previous entry.
    pub prev_hash: String,
}

impl AuditEntry {
    /// The canonical byte encoding that is hashed: every field as `<len>:<bytes>\n`, in a
    /// fixed order, so that no two different entries encode alike.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let seq = self.seq.to_string();
        let at = self.at.0.to_string();
        let fields: [&str; 11] = [
            &seq,
            &at,
            &self.actor,
            &self.tenant,
            &self.action,
            &self.object_type,
            &self.object_id,
            &self.request_id,
            &self.before,
            &self.after,
            &self.prev_hash,
        ];
        // Entries written before the client's id was kept have none; hashing it only when
        // present keeps their hashes (and so the whole existing chain) valid.
        let client =
            (!self.client_request_id.is_empty()).then_some(self.client_request_id.as_str());
        let mut out = Vec::with_capacity(fields.iter().map(|f| f.len() + 8).sum::<usize>() + 80);
        for field in fields.into_iter().chain(client) {
            out.extend_from_slice(field.len().to_string().as_bytes());
            out.push(b':');
            out.extend_from_slice(field.as_bytes());
            out.push(b'\n');
        }
        out
    }

    /// The hex SHA-256 of the canonical encoding, which the next entry links to.
    pub fn compute_hash(&self) -> String {
        hex::encode(Sha256::digest(self.canonical_bytes()))
    }
}

/// The bytes a signed tree head's signature covers: a versioned, line-based text so that a
/// verifier in any language can rebuild it: `yuming-audit-tree-head/1`, the tree size, the
/// signing time (unix seconds) and the root hash in lower-case hex, each on its own line.
pub fn tree_head_message(tree_size: u64, signed_at: i64, root_hash_hex: &str) -> Vec<u8> {
    format!("yuming-audit-tree-head/1\n{tree_size}\n{signed_at}\n{root_hash_hex}\n").into_bytes()
}

/// Where and how the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    /// The sequence number of the first bad entry.
    pub seq: i64,
    /// What is wrong with it.
    pub kind: BreakKind,
}

/// The ways an audit chain can be broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BreakKind {
    /// The entry's content no longer matches its stored hash (edited).
    ContentChanged,
    /// The entry does not link to the hash of the entry before it (edited hash, reordered or
    /// an entry before it was removed and re-sequenced).
    BrokenLink,
    /// An entry with this sequence number is missing, or entries are out of order.
    Missing,
    /// The chain ends before the head recorded by the store (entries removed from the end).
    Truncated,
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            BreakKind::ContentChanged => "content does not match its hash (edited)",
            BreakKind::BrokenLink => "does not link to the previous entry's hash",
            BreakKind::Missing => "is missing or out of order",
            BreakKind::Truncated => "is missing: the chain ends before the recorded head",
        };
        write!(f, "audit entry {} {}", self.seq, what)
    }
}

/// Streaming verifier: feed entries in ascending `seq` order, then call [`finish`](Self::finish).
#[derive(Debug)]
pub struct ChainVerifier {
    expected_seq: i64,
    expected_prev: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl ChainVerifier {
    /// A verifier expecting the first entry of a chain.
    pub fn new() -> Self {
        ChainVerifier {
            expected_seq: 1,
            expected_prev: GENESIS_HASH.to_owned(),
        }
    }

    /// Checks the next entry and its stored hash.
    pub fn push(&mut self, entry: &AuditEntry, stored_hash: &str) -> Result<(), ChainBreak> {
        if entry.seq != self.expected_seq {
            return Err(ChainBreak {
                seq: self.expected_seq.min(entry.seq),
                kind: BreakKind::Missing,
            });
        }
        if entry.prev_hash != self.expected_prev {
            return Err(ChainBreak {
                seq: entry.seq,
                kind: BreakKind::BrokenLink,
            });
        }
        if entry.compute_hash() != stored_hash {
            return Err(ChainBreak {
                seq: entry.seq,
                kind: BreakKind::ContentChanged,
            });
        }
        self.expected_seq += 1;
        self.expected_prev = stored_hash.to_owned();
        Ok(())
    }

    /// Compares the end of the chain with the head (last sequence number and hash) that the
    /// store keeps separately, which catches entries deleted from the end. Returns the number
    /// of verified entries.
    pub fn finish(self, head_seq: i64, head_hash: &str) -> Result<i64, ChainBreak> {
        let verified = self.expected_seq - 1;
        if head_seq > verified {
            return Err(ChainBreak {
                seq: verified + 1,
                kind: BreakKind::Truncated,
            });
        }
        if head_seq < verified || (verified > 0 && head_hash != self.expected_prev) {
            return Err(ChainBreak {
                seq: head_seq.max(1),
                kind: BreakKind::BrokenLink,
            });
        }
        Ok(verified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<(AuditEntry, String)> {
        let mut prev = GENESIS_HASH.to_owned();
        (1..=n)
            .map(|seq| {
                let entry = AuditEntry {
                    seq,
                    at: Timestamp(1_700_000_000 + seq),
                    actor: "acc_1".into(),
                    tenant: "acc_1".into(),
                    action: "account.update".into(),
                    object_type: "account".into(),
                    object_id: "acc_1".into(),
                    request_id: format!("req-{seq}"),
                    client_request_id: String::new(),
                    before: "{}".into(),
                    after: format!("{{\"n\":{seq}}}"),
                    prev_hash: prev.clone(),
                };
                let hash = entry.compute_hash();
                prev = hash.clone();
                (entry, hash)
            })
            .collect()
    }

    fn verify(entries: &[(AuditEntry, String)], head: (i64, &str)) -> Result<i64, ChainBreak> {
        let mut verifier = ChainVerifier::new();
        for (entry, hash) in entries {
            verifier.push(entry, hash)?;
        }
        verifier.finish(head.0, head.1)
    }

    #[test]
    fn client_request_id_is_hashed_only_when_present() {
        let (entry, hash) = chain(1).remove(0);
        // Entries from before the field existed keep their hash.
        assert_eq!(entry.compute_hash(), hash);
        let mut with_client = entry.clone();
        with_client.client_request_id = "their-id-1".into();
        assert_ne!(with_client.compute_hash(), hash);
        // The field is length-prefixed like the others: no shifting of bytes between fields.
        let mut shifted = with_client.clone();
        shifted.prev_hash.push('1');
        shifted.client_request_id = "their-id-".into();
        assert_ne!(shifted.compute_hash(), with_client.compute_hash());
    }

    #[test]
    fn intact_chain_verifies() {
        let entries = chain(5);
        let head = entries.last().map(|(_, h)| h.clone()).unwrap_or_default();
        assert_eq!(verify(&entries, (5, &head)), Ok(5));
        assert_eq!(verify(&[], (0, GENESIS_HASH)), Ok(0));
    }

    #[test]
    fn edited_content_is_named() {
        let mut entries = chain(5);
        let head = entries[4].1.clone();
        entries[2].0.after = "{\"n\":999}".into();
        assert_eq!(
            verify(&entries, (5, &head)),
            Err(ChainBreak {
                seq: 3,
                kind: BreakKind::ContentChanged
            })
        );
    }

    #[test]
    fn deleted_entry_is_named() {
        let mut entries = chain(5);
        let head = entries[4].1.clone();
        entries.remove(1);
        assert_eq!(
            verify(&entries, (5, &head)),
            Err(ChainBreak {
                seq: 2,
                kind: BreakKind::Missing
            })
        );
    }

    #[test]
    fn reordered_entries_are_detected() {
        let mut entries = chain(5);
        let head = entries[4].1.clone();
        // Swap content but keep sequence numbers, as an attacker rewriting history would.
        let (a, b) = (entries[1].clone(), entries[2].clone());
        entries[1] = (AuditEntry { seq: 2, ..b.0 }, b.1);
        entries[2] = (AuditEntry { seq: 3, ..a.0 }, a.1);
        assert_eq!(
            verify(&entries, (5, &head)),
            Err(ChainBreak {
                seq: 2,
                kind: BreakKind::BrokenLink
            })
        );
    }

    #[test]
    fn truncated_tail_is_detected() {
        let mut entries = chain(5);
        let head = entries[4].1.clone();
        entries.truncate(3);
        assert_eq!(
            verify(&entries, (5, &head)),
            Err(ChainBreak {
                seq: 4,
                kind: BreakKind::Truncated
            })
        );
    }

    #[test]
    fn canonical_encoding_is_unambiguous() {
        let entries = chain(1);
        let mut a = entries[0].0.clone();
        let mut b = a.clone();
        a.actor = "ab".into();
        a.tenant = "c".into();
        b.actor = "a".into();
        b.tenant = "bc".into();
        assert_ne!(a.compute_hash(), b.compute_hash());
    }
}
