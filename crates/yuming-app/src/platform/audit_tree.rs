//! Verifiable operation evidence: a Merkle tree over the audit log (RFC 9162 §2.1), signed
//! tree heads, inclusion proofs (receipts) and consistency proofs.
//!
//! The hash chain shows that the log was not edited *where it is checked*; the tree lets a
//! customer keep a receipt — an entry, a signed head and the path between them — and check
//! later, with nothing but the platform's public key, that the entry is still in every later
//! head (consistency proofs): the platform cannot rewrite history without its own signature
//! proving it.
//!
//! Leaf `i` is audit entry `seq = i + 1`, its leaf input the 32 bytes of the entry's chain
//! hash (which commits to every field). The tree is extended from the log by the scheduler
//! (`audit_tree_head`, every tick) and on demand when a receipt is asked for an entry not yet
//! covered.

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use yuming_core::access::{Actor, Right};
use yuming_core::merkle::{self, Hash, Subtrees};
use yuming_store::{TreeHeadRow, Tx};

use crate::platform::audit::AuditEntryView;
use crate::platform::signing_key;
use crate::{App, AppError};

/// Audit entries added to the tree per write transaction.
const EXTEND_BATCH: i64 = 2_000;

/// A signed tree head, as published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedTreeHead {
    /// Audit entries covered (entries `1..=tree_size`).
    pub tree_size: u64,
    /// The Merkle root, lower-case hex.
    pub root_hash: String,
    /// When it was signed (unix seconds).
    pub signed_at: i64,
    /// The signing key's id (its public half is at `/api/v1/public/filing/keys` too).
    pub key_id: String,
    /// The Ed25519 public key, base64.
    pub public_key: String,
    /// The Ed25519 signature over [`yuming_core::audit::tree_head_message`], base64.
    pub signature: String,
}

/// An inclusion proof for one audit entry: a receipt a customer can keep.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// The entry.
    pub entry: AuditEntryView,
    /// Its leaf index (`seq - 1`).
    pub leaf_index: u64,
    /// Its leaf hash, hex.
    pub leaf_hash: String,
    /// The audit path, hex, leaf to root.
    pub proof: Vec<String>,
    /// The head the path leads to.
    pub head: SignedTreeHead,
}

fn hex_hash(text: &str) -> Result<Hash, AppError> {
    let bytes = hex::decode(text).map_err(|_| AppError::internal("a stored hash is not hex"))?;
    Hash::try_from(bytes.as_slice())
        .map_err(|_| AppError::internal("a stored hash is not 32 bytes"))
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Stored nodes for one computation. Which nodes a root or a proof needs depends only on the
/// sizes and indices involved, never on hash values, so it runs twice: first to learn the
/// nodes (an unknown one reads as zeros and is noted), then on the ones fetched.
#[derive(Default)]
struct Nodes {
    known: HashMap<(u32, u64), Hash>,
    unknown: std::cell::RefCell<Vec<(u32, u64)>>,
}

impl Subtrees for Nodes {
    type Error = std::convert::Infallible;

    fn subtree(&self, level: u32, index: u64) -> Result<Hash, Self::Error> {
        Ok(self.known.get(&(level, index)).copied().unwrap_or_else(|| {
            self.unknown.borrow_mut().push((level, index));
            [0; 32]
        }))
    }
}

/// Runs `compute` against the stored nodes it needs.
async fn with_nodes<T, E>(
    tx: &mut Tx,
    compute: impl Fn(&Nodes) -> Result<T, E>,
) -> Result<T, AppError>
where
    E: std::fmt::Display,
{
    let mut nodes = Nodes::default();
    // The dry run's errors are about sizes, and come back the same in the real run.
    let _ = compute(&nodes);
    for (level, index) in nodes.unknown.take() {
        if nodes.known.contains_key(&(level, index)) {
            continue;
        }
        let stored = tx
            .audit_tree_node(i64::from(level), to_i64(index))
            .await?
            .ok_or_else(|| {
                AppError::internal(format!("audit tree node {level}/{index} missing"))
            })?;
        nodes.known.insert((level, index), hex_hash(&stored)?);
    }
    compute(&nodes).map_err(|e| AppError::internal(format!("audit tree: {e}")))
}

/// Adds every audit entry not yet in the tree; returns the tree's size.
pub async fn extend(app: &App) -> Result<u64, AppError> {
    loop {
        let mut tx = app.db().write().await?;
        let size = u64::try_from(tx.audit_tree_size().await?).unwrap_or(0);
        let entries = tx.audit_hashes_after(to_i64(size), EXTEND_BATCH).await?;
        if entries.is_empty() {
            tx.commit().await?;
            return Ok(size);
        }
        // The right edge of the tree: the perfect subtrees a new leaf's ancestors pair with.
        let mut nodes: HashMap<(u32, u64), Hash> = HashMap::new();
        for level in 0..64u32 {
            if size >> level & 1 == 1 {
                let index = (size >> level) - 1;
                let stored = tx
                    .audit_tree_node(i64::from(level), to_i64(index))
                    .await?
                    .ok_or_else(|| AppError::internal("audit tree edge node missing"))?;
                nodes.insert((level, index), hex_hash(&stored)?);
            }
        }
        for (next, (seq, hash)) in (size..).zip(entries.iter()) {
            if u64::try_from(*seq).ok() != Some(next + 1) {
                return Err(AppError::internal(format!(
                    "the audit log has a gap before entry {seq}"
                )));
            }
            let leaf = merkle::leaf_hash(&hex_hash(hash)?);
            let completed = merkle::completed_subtrees(next, leaf, |level, index| {
                nodes
                    .get(&(level, index))
                    .copied()
                    .ok_or(merkle::MissingSubtree { level, index })
            })
            .map_err(|e| AppError::internal(format!("audit tree: {e}")))?;
            for (level, index, hash) in completed {
                tx.insert_audit_tree_node(i64::from(level), to_i64(index), &hex::encode(hash))
                    .await?;
                nodes.insert((level, index), hash);
            }
        }
        tx.commit().await?;
    }
}

fn head_of(row: TreeHeadRow, public_key: String) -> SignedTreeHead {
    SignedTreeHead {
        tree_size: u64::try_from(row.tree_size).unwrap_or(0),
        root_hash: row.root_hash,
        signed_at: row.signed_at,
        key_id: row.key_id,
        public_key,
        signature: row.signature,
    }
}

async fn public_key_of(tx: &mut Tx, key_id: &str) -> Result<String, AppError> {
    Ok(tx
        .signing_keys()
        .await?
        .into_iter()
        .find(|k| k.key_id == key_id)
        .map(|k| k.public_key)
        .unwrap_or_default())
}

/// Extends the tree and signs a head for its size, unless the newest head already covers it.
/// Returns the newest head (`None` while the log is empty).
pub async fn sign_head(app: &App) -> Result<Option<SignedTreeHead>, AppError> {
    let size = extend(app).await?;
    let mut tx = app.db().write().await?;
    if let Some(latest) = tx.latest_audit_tree_head().await?
        && u64::try_from(latest.tree_size).unwrap_or(0) >= size
    {
        let key = public_key_of(&mut tx, &latest.key_id).await?;
        tx.commit().await?;
        return Ok(Some(head_of(latest, key)));
    }
    if size == 0 {
        tx.commit().await?;
        return Ok(None);
    }
    let root = with_nodes(&mut tx, |nodes| merkle::root(nodes, size)).await?;
    let root_hex = hex::encode(root);
    let signed_at = app.now().0;
    let (key_id, pair) = signing_key::signing_key(app, &mut tx).await?;
    let message = yuming_core::audit::tree_head_message(size, signed_at, &root_hex);
    let row = TreeHeadRow {
        tree_size: to_i64(size),
        root_hash: root_hex,
        signed_at,
        key_id,
        signature: BASE64.encode(pair.sign(&message).as_ref()),
    };
    // Another instance may have signed the same size meanwhile: its head stands.
    let row = if tx.insert_audit_tree_head(&row).await? {
        row
    } else {
        tx.audit_tree_head(row.tree_size)
            .await?
            .ok_or_else(|| AppError::internal("a tree head vanished"))?
    };
    let public_key = public_key_of(&mut tx, &row.key_id).await?;
    tx.commit().await?;
    Ok(Some(head_of(row, public_key)))
}

/// The newest signed head, signing one first if none covers the log yet.
pub async fn latest_head(app: &App) -> Result<Option<SignedTreeHead>, AppError> {
    sign_head(app).await
}

/// A signed head of exactly `tree_size` entries.
pub async fn head(app: &App, tree_size: u64) -> Result<SignedTreeHead, AppError> {
    let mut tx = app.db().read().await?;
    let row = tx
        .audit_tree_head(to_i64(tree_size))
        .await?
        .ok_or_else(AppError::not_found)?;
    let key = public_key_of(&mut tx, &row.key_id).await?;
    tx.commit().await?;
    Ok(head_of(row, key))
}

/// A receipt for audit entry `seq`, which the actor must be able to read: its own tenant's
/// entries for a customer, any for staff with the audit right. Another tenant's is not found.
pub async fn receipt(app: &App, actor: &Actor, seq: i64) -> Result<Receipt, AppError> {
    actor.require(Right::AuditRead)?;
    let mut tx = app.db().read().await?;
    let entry = tx.audit_entry(seq).await?;
    tx.commit().await?;
    let entry = entry
        .filter(|e| actor.role.is_staff() || e.tenant == actor.tenant_id)
        .ok_or_else(AppError::not_found)?;
    let head = sign_head(app)
        .await?
        .ok_or_else(|| AppError::internal("the audit tree is empty"))?;
    let leaf_index = u64::try_from(seq - 1).unwrap_or(0);
    let leaf = merkle::leaf_hash(&hex_hash(&entry.hash)?);
    let size = head.tree_size;
    let mut tx = app.db().read().await?;
    let proof = with_nodes(&mut tx, |nodes| {
        merkle::inclusion_proof(nodes, leaf_index, size)
    })
    .await?;
    tx.commit().await?;
    Ok(Receipt {
        entry: AuditEntryView::from(entry),
        leaf_index,
        leaf_hash: hex::encode(leaf),
        proof: proof.iter().map(hex::encode).collect(),
        head,
    })
}

/// The consistency proof from the tree of `first` entries to the tree of `second`, both
/// within the newest signed head; hex, as RFC 9162 §2.1.4.
pub async fn consistency(app: &App, first: u64, second: u64) -> Result<Vec<String>, AppError> {
    let mut tx = app.db().read().await?;
    let latest = tx
        .latest_audit_tree_head()
        .await?
        .map_or(0, |h| u64::try_from(h.tree_size).unwrap_or(0));
    if first == 0 || first > second || second > latest {
        tx.commit().await?;
        return Err(AppError::bad_request(
            "INVALID_TREE_SIZES",
            format!("sizes must satisfy 1 ≤ first ≤ second ≤ {latest} (the newest signed head)"),
            format!("树大小须满足 1 ≤ first ≤ second ≤ {latest}（最新签名树头）"),
        )
        .with_field("first"));
    }
    let proof = with_nodes(&mut tx, |nodes| {
        merkle::consistency_proof(nodes, first, second)
    })
    .await?;
    tx.commit().await?;
    Ok(proof.iter().map(hex::encode).collect())
}

/// Whether a signed head's signature holds for its content under its public key.
pub fn head_signature_valid(head: &SignedTreeHead) -> bool {
    let (Ok(key), Ok(signature)) = (
        BASE64.decode(&head.public_key),
        BASE64.decode(&head.signature),
    ) else {
        return false;
    };
    let message =
        yuming_core::audit::tree_head_message(head.tree_size, head.signed_at, &head.root_hash);
    ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, key)
        .verify(&message, &signature)
        .is_ok()
}

/// Checks a receipt on its own: the entry's fields hash to its chain hash, that hash is the
/// leaf, the path leads from it to the head's root, and the head is signed by its key. The
/// caller still has to trust the key (compare it with the published ones).
pub fn receipt_valid(receipt: &Receipt) -> Result<(), &'static str> {
    let entry = &receipt.entry;
    if entry.recomputed_hash() != entry.hash {
        return Err("the entry's fields do not hash to its hash");
    }
    let chain_hash = hex_hash(&entry.hash).map_err(|_| "the entry's hash is not 32 bytes hex")?;
    let leaf = merkle::leaf_hash(&chain_hash);
    if hex::encode(leaf) != receipt.leaf_hash {
        return Err("the leaf hash is not the entry's");
    }
    let proof: Vec<Hash> = receipt
        .proof
        .iter()
        .map(|p| hex_hash(p))
        .collect::<Result<_, _>>()
        .map_err(|_| "a proof hash is not 32 bytes hex")?;
    let root = hex_hash(&receipt.head.root_hash).map_err(|_| "the root is not 32 bytes hex")?;
    if u64::try_from(entry.seq - 1).ok() != Some(receipt.leaf_index) {
        return Err("the leaf index is not the entry's position");
    }
    if !merkle::verify_inclusion(
        &leaf,
        receipt.leaf_index,
        receipt.head.tree_size,
        &proof,
        &root,
    ) {
        return Err("the audit path does not lead to the head's root");
    }
    if !head_signature_valid(&receipt.head) {
        return Err("the head's signature does not hold");
    }
    Ok(())
}

/// Checks that the tree of `old` grew into the tree of `new` by appending only, given the
/// proof, and that both heads are signed.
pub fn consistent(
    old: &SignedTreeHead,
    new: &SignedTreeHead,
    proof: &[String],
) -> Result<(), &'static str> {
    if !head_signature_valid(old) || !head_signature_valid(new) {
        return Err("a head's signature does not hold");
    }
    let proof: Vec<Hash> = proof
        .iter()
        .map(|p| hex_hash(p))
        .collect::<Result<_, _>>()
        .map_err(|_| "a proof hash is not 32 bytes hex")?;
    let old_root = hex_hash(&old.root_hash).map_err(|_| "a root is not 32 bytes hex")?;
    let new_root = hex_hash(&new.root_hash).map_err(|_| "a root is not 32 bytes hex")?;
    if merkle::verify_consistency(old.tree_size, new.tree_size, &old_root, &new_root, &proof) {
        Ok(())
    } else {
        Err("the newer head does not extend the older one")
    }
}
