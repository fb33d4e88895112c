//! The audit log listing.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use yuming_app::platform::audit::AuditEntryView;
use yuming_app::platform::audit_tree::{Receipt, SignedTreeHead};

/// Audit listing query.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Return entries with a sequence number below this (the previous page's cursor).
    #[serde(default)]
    pub before_seq: Option<i64>,
    /// Page size, 1–500 (default 50).
    #[serde(default)]
    pub limit: Option<i64>,
}

/// One audit entry.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEntryDto {
    /// Position in the hash chain.
    pub seq: i64,
    /// Time, RFC 3339.
    pub at: String,
    /// Acting account.
    pub actor: String,
    /// Action, e.g. `api_key.create`.
    pub action: String,
    /// Object kind.
    pub object_type: String,
    /// Object id.
    pub object_id: String,
    /// Our request id (the `X-Request-Id` of our response).
    pub request_id: String,
    /// The `X-Request-Id` the client sent, if it sent one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client_request_id: String,
    /// Summary before (JSON text, may be empty).
    pub before: String,
    /// Summary after (JSON text, may be empty).
    pub after: String,
    /// This entry's hash.
    pub hash: String,
}

impl From<AuditEntryView> for AuditEntryDto {
    fn from(e: AuditEntryView) -> Self {
        AuditEntryDto {
            seq: e.seq,
            at: e.at.to_rfc3339(),
            actor: e.actor,
            action: e.action,
            object_type: e.object_type,
            object_id: e.object_id,
            request_id: e.request_id,
            client_request_id: e.client_request_id,
            before: e.before,
            after: e.after,
            hash: e.hash,
        }
    }
}

/// A page of audit entries.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditList {
    /// Entries, newest first.
    pub entries: Vec<AuditEntryDto>,
    /// Cursor for the next page, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_before_seq: Option<i64>,
}

/// A signed head of the audit log's Merkle tree (RFC 9162 §2.1). The signature is Ed25519
/// over the UTF-8 text `yuming-audit-tree-head/1\n{tree_size}\n{signed_at}\n{root_hash}\n`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TreeHeadDto {
    /// Audit entries covered (entries 1 to `tree_size`).
    pub tree_size: u64,
    /// The Merkle tree's root hash, lower-case hex.
    pub root_hash: String,
    /// When it was signed, unix seconds.
    pub signed_at: i64,
    /// The signing key's id.
    pub key_id: String,
    /// `Ed25519`.
    pub algorithm: String,
    /// The public key, base64 (also published at `/api/v1/public/filing/keys`).
    pub public_key: String,
    /// The signature, base64.
    pub signature: String,
}

impl From<SignedTreeHead> for TreeHeadDto {
    fn from(h: SignedTreeHead) -> Self {
        TreeHeadDto {
            tree_size: h.tree_size,
            root_hash: h.root_hash,
            signed_at: h.signed_at,
            key_id: h.key_id,
            algorithm: "Ed25519".into(),
            public_key: h.public_key,
            signature: h.signature,
        }
    }
}

impl From<TreeHeadDto> for SignedTreeHead {
    fn from(h: TreeHeadDto) -> Self {
        SignedTreeHead {
            tree_size: h.tree_size,
            root_hash: h.root_hash,
            signed_at: h.signed_at,
            key_id: h.key_id,
            public_key: h.public_key,
            signature: h.signature,
        }
    }
}

/// An audit entry with every field its hash covers, as a receipt carries it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptEntryDto {
    /// Position in the hash chain (the leaf is `seq - 1`).
    pub seq: i64,
    /// Commit time, unix seconds (as hashed).
    pub at: i64,
    /// Acting account.
    pub actor: String,
    /// Owning tenant.
    pub tenant: String,
    /// Action.
    pub action: String,
    /// Object kind.
    pub object_type: String,
    /// Object id.
    pub object_id: String,
    /// Our request id.
    pub request_id: String,
    /// The client's request id (empty when none).
    pub client_request_id: String,
    /// Summary before.
    pub before: String,
    /// Summary after.
    pub after: String,
    /// The previous entry's hash.
    pub prev_hash: String,
    /// This entry's hash: SHA-256 of its canonical encoding.
    pub hash: String,
}

/// A receipt: an audit entry, the signed tree head it is in, and the path between them.
/// Keep it; check it any time with `yuming audit verify-receipt FILE`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditReceiptDto {
    /// The entry.
    pub entry: ReceiptEntryDto,
    /// Its leaf index.
    pub leaf_index: u64,
    /// SHA-256(0x00 ‖ the entry hash's 32 bytes), hex.
    pub leaf_hash: String,
    /// The audit path from the leaf to the root, hex (RFC 9162 §2.1.3).
    pub proof: Vec<String>,
    /// The signed head the path leads to.
    pub tree_head: TreeHeadDto,
}

impl From<Receipt> for AuditReceiptDto {
    fn from(r: Receipt) -> Self {
        let e = r.entry;
        AuditReceiptDto {
            entry: ReceiptEntryDto {
                seq: e.seq,
                at: e.at.0,
                actor: e.actor,
                tenant: e.tenant,
                action: e.action,
                object_type: e.object_type,
                object_id: e.object_id,
                request_id: e.request_id,
                client_request_id: e.client_request_id,
                before: e.before,
                after: e.after,
                prev_hash: e.prev_hash,
                hash: e.hash,
            },
            leaf_index: r.leaf_index,
            leaf_hash: r.leaf_hash,
            proof: r.proof,
            tree_head: r.head.into(),
        }
    }
}

impl From<AuditReceiptDto> for Receipt {
    fn from(r: AuditReceiptDto) -> Self {
        let e = r.entry;
        Receipt {
            entry: AuditEntryView {
                seq: e.seq,
                at: yuming_core::clock::Timestamp(e.at),
                actor: e.actor,
                tenant: e.tenant,
                action: e.action,
                object_type: e.object_type,
                object_id: e.object_id,
                request_id: e.request_id,
                client_request_id: e.client_request_id,
                before: e.before,
                after: e.after,
                prev_hash: e.prev_hash,
                hash: e.hash,
            },
            leaf_index: r.leaf_index,
            leaf_hash: r.leaf_hash,
            proof: r.proof,
            head: r.tree_head.into(),
        }
    }
}

/// Which two tree sizes to connect.
#[derive(Debug, Deserialize, ToSchema, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyQuery {
    /// The older tree's size (≥ 1).
    pub first: u64,
    /// The newer tree's size (≤ the newest signed head's).
    pub second: u64,
}

/// A consistency proof (RFC 9162 §2.1.4) between two tree sizes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsistencyProofDto {
    /// The older size.
    pub first: u64,
    /// The newer size.
    pub second: u64,
    /// The proof's hashes, hex.
    pub proof: Vec<String>,
}
