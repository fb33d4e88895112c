//! A Merkle tree over the audit log, as in RFC 9162 (Certificate Transparency 2.0) §2.1 and
//! RFC 6962 §2.1, so that the platform can publish signed tree heads and hand customers
//! inclusion and consistency proofs.
//!
//! Leaves are hashed as `SHA-256(0x00 || data)` and interior nodes as
//! `SHA-256(0x01 || left || right)`; the tree over `n` leaves splits at the largest power of
//! two strictly below `n`, so every left part is a perfect subtree.
//!
//! Nothing here reads the log: the hashes of perfect subtrees come from a [`Subtrees`] source
//! (a slice of leaf hashes, the in-memory [`MemoryTree`], or a table of interior nodes kept by
//! the store, filled through [`completed_subtrees`] as leaves are appended). A tree head or a
//! proof then costs O(log n) to O(log² n) subtree lookups and never rehashes the whole log.

use sha2::{Digest, Sha256};
use std::convert::Infallible;

/// A SHA-256 hash: a leaf hash, an interior node hash or a tree root.
pub type Hash = [u8; 32];

/// The hash of a leaf: `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(data);
    hasher.finalize().into()
}

/// The hash of an interior node: `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The root of the empty tree: SHA-256 of the empty string.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// Where the hashes of perfect subtrees come from.
///
/// The store keeps interior nodes in a table, so that tree heads and proofs never rehash the
/// whole log; slices of leaf hashes and [`MemoryTree`] implement it for tests and small callers.
pub trait Subtrees {
    /// Why a subtree hash could not be produced (missing row, database failure, ...).
    type Error;

    /// The hash of the perfect subtree at `level` (level 0 = leaf hashes) covering the leaves
    /// `[index << level, (index + 1) << level)`.
    fn subtree(&self, level: u32, index: u64) -> Result<Hash, Self::Error>;
}

/// A perfect subtree that a source does not hold (its leaves lie beyond the source's end).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the subtree at level {level}, index {index} is not available")]
pub struct MissingSubtree {
    /// The requested level (0 = leaves).
    pub level: u32,
    /// The requested index within that level.
    pub index: u64,
}

/// Whether the perfect subtree `(level, index)` lies within the first `len` leaves.
fn within(len: u64, level: u32, index: u64) -> bool {
    level < u64::BITS && index < (len >> level)
}

/// A slice of leaf hashes; perfect subtrees are computed by hashing their leaves.
impl Subtrees for [Hash] {
    type Error = MissingSubtree;

    fn subtree(&self, level: u32, index: u64) -> Result<Hash, MissingSubtree> {
        if !within(self.len() as u64, level, index) {
            return Err(MissingSubtree { level, index });
        }
        Ok(hash_perfect(self, level, index))
    }
}

/// Hashes the perfect subtree `(level, index)` of `leaves`, which must hold it.
fn hash_perfect(leaves: &[Hash], level: u32, index: u64) -> Hash {
    if level == 0 {
        return leaves[index as usize];
    }
    let left = hash_perfect(leaves, level - 1, 2 * index);
    let right = hash_perfect(leaves, level - 1, 2 * index + 1);
    node_hash(&left, &right)
}

/// Why a proof cannot be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError<E> {
    /// An inclusion proof was asked for a leaf outside the tree.
    #[error("leaf index {index} is not below the tree size {size}")]
    IndexOutOfRange {
        /// The requested leaf index.
        index: u64,
        /// The tree size.
        size: u64,
    },
    /// A consistency proof was asked for sizes other than `0 < old_size <= new_size`.
    #[error("no consistency proof from tree size {old_size} to {new_size}")]
    InvalidSizes {
        /// The older tree size.
        old_size: u64,
        /// The newer tree size.
        new_size: u64,
    },
    /// The subtree source failed.
    #[error("subtree source: {0}")]
    Source(E),
}

/// The largest power of two strictly less than `n`; `n` must be at least 2.
fn split(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (u64::BITS - 1 - (n - 1).leading_zeros())
}

/// MTH of the leaves `[start, start + n)`, for a range reached by the RFC's recursive split
/// from `[0, size)`: such a range starts at a multiple of the smallest power of two `>= n`, so
/// it is the run of perfect subtrees given by the set bits of `n`, largest first.
fn range_hash<S: Subtrees + ?Sized>(src: &S, start: u64, n: u64) -> Result<Hash, S::Error> {
    if n == 0 {
        return Ok(empty_root());
    }
    let mut parts = Vec::with_capacity(n.count_ones() as usize);
    let mut pos = start;
    for level in (0..u64::BITS).rev() {
        if n >> level & 1 == 1 {
            debug_assert_eq!(pos % (1 << level), 0);
            parts.push(src.subtree(level, pos >> level)?);
            pos += 1 << level;
        }
    }
    let mut hashes = parts.into_iter().rev();
    let mut acc = hashes.next().unwrap_or_else(empty_root);
    for left in hashes {
        acc = node_hash(&left, &acc);
    }
    Ok(acc)
}

/// The Merkle tree hash (MTH) of the first `size` leaves; [`empty_root`] for `size == 0`.
///
/// Asks `src` for one perfect subtree per set bit of `size`.
pub fn root<S: Subtrees + ?Sized>(src: &S, size: u64) -> Result<Hash, S::Error> {
    range_hash(src, 0, size)
}

/// The inclusion proof (audit path) of leaf `index` in the tree of the first `size` leaves,
/// as `PATH(m, D[n])` of RFC 6962 §2.1.1: sibling hashes from the leaf up to the root.
pub fn inclusion_proof<S: Subtrees + ?Sized>(
    src: &S,
    index: u64,
    size: u64,
) -> Result<Vec<Hash>, ProofError<S::Error>> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let mut path = Vec::new();
    let (mut m, mut start, mut n) = (index, 0, size);
    while n > 1 {
        let k = split(n);
        if m < k {
            path.push(range_hash(src, start + k, n - k).map_err(ProofError::Source)?);
            n = k;
        } else {
            path.push(range_hash(src, start, k).map_err(ProofError::Source)?);
            m -= k;
            start += k;
            n -= k;
        }
    }
    path.reverse();
    Ok(path)
}

/// Verifies that `leaf` (a leaf hash) is leaf `index` of the tree of `size` leaves with root
/// `root`, by the algorithm of RFC 9162 §2.1.3.2; the proof must be consumed exactly.
///
/// Only the root binds the tree: a proof may also fit another size whose path has the same
/// shape, so `size` and `root` must come from the same signed tree head.
pub fn verify_inclusion(leaf: &Hash, index: u64, size: u64, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut fn_, mut sn) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            r = node_hash(p, &r);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    sn == 0 && r == *root
}

/// The consistency proof between the tree of the first `old_size` leaves and that of the first
/// `new_size` leaves, as `PROOF(m, D[n])` / `SUBPROOF` of RFC 6962 §2.1.2.
///
/// Empty when `old_size == new_size`; an error when `old_size == 0` or `old_size > new_size`.
pub fn consistency_proof<S: Subtrees + ?Sized>(
    src: &S,
    old_size: u64,
    new_size: u64,
) -> Result<Vec<Hash>, ProofError<S::Error>> {
    if old_size == 0 || old_size > new_size {
        return Err(ProofError::InvalidSizes { old_size, new_size });
    }
    let mut proof = Vec::new();
    let (mut m, mut start, mut n, mut whole_old_tree) = (old_size, 0, new_size, true);
    while m != n {
        let k = split(n);
        if m <= k {
            proof.push(range_hash(src, start + k, n - k).map_err(ProofError::Source)?);
            n = k;
        } else {
            proof.push(range_hash(src, start, k).map_err(ProofError::Source)?);
            m -= k;
            start += k;
            n -= k;
            whole_old_tree = false;
        }
    }
    if !whole_old_tree {
        proof.push(range_hash(src, start, n).map_err(ProofError::Source)?);
    }
    proof.reverse();
    Ok(proof)
}

/// Verifies that the tree of `new_size` leaves with root `new_root` extends the tree of
/// `old_size` leaves with root `old_root`, by the algorithm of RFC 9162 §2.1.4.2; the proof
/// must be consumed exactly.
///
/// `old_size == new_size` is accepted with an empty proof and equal roots; `old_size == 0`
/// and `old_size > new_size` are rejected, as [`consistency_proof`] produces no proof for them.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old_size == 0 || old_size > new_size {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    if proof.is_empty() {
        return false;
    }
    let path: Vec<&Hash> = if old_size.is_power_of_two() {
        std::iter::once(old_root).chain(proof).collect()
    } else {
        proof.iter().collect()
    };
    let (mut fn_, mut sn) = (old_size - 1, new_size - 1);
    while fn_ & 1 == 1 {
        fn_ >>= 1;
        sn >>= 1;
    }
    let (mut fr, mut sr) = (*path[0], *path[0]);
    for c in &path[1..] {
        if sn == 0 {
            return false;
        }
        if fn_ & 1 == 1 || fn_ == sn {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            if fn_ & 1 == 0 {
                while fn_ & 1 == 0 && fn_ != 0 {
                    fn_ >>= 1;
                    sn >>= 1;
                }
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fn_ >>= 1;
        sn >>= 1;
    }
    fr == *old_root && sr == *new_root && sn == 0
}

/// The perfect subtrees completed by appending leaf number `leaf_index` (0-based) with hash
/// `leaf`, as `(level, index, hash)`, lowest first: the leaf itself at level 0, then every
/// node `(l, k)` with `l >= 1` for which `leaf_index + 1` is divisible by `2^l`.
///
/// The left child of each new node is fetched through `left_sibling(level, index)` (always an
/// even index of a subtree already stored); the right child is the one just computed.
pub fn completed_subtrees<E>(
    leaf_index: u64,
    leaf: Hash,
    mut left_sibling: impl FnMut(u32, u64) -> Result<Hash, E>,
) -> Result<Vec<(u32, u64, Hash)>, E> {
    let mut out = vec![(0, leaf_index, leaf)];
    let (mut level, mut index, mut hash) = (0u32, leaf_index, leaf);
    while index & 1 == 1 {
        let left = left_sibling(level, index - 1)?;
        hash = node_hash(&left, &hash);
        level += 1;
        index >>= 1;
        out.push((level, index, hash));
    }
    Ok(out)
}

/// An in-memory tree keeping every perfect subtree, filled incrementally with
/// [`completed_subtrees`] exactly as the store fills its node table.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryTree {
    /// `levels[l][k]` is the hash of the perfect subtree `(l, k)`.
    levels: Vec<Vec<Hash>>,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of leaves.
    pub fn len(&self) -> u64 {
        self.levels.first().map_or(0, |leaves| leaves.len() as u64)
    }

    /// Whether the tree has no leaves.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends a leaf hash and returns its index.
    pub fn push(&mut self, leaf: Hash) -> u64 {
        let index = self.len();
        let levels = &self.levels;
        // Every left sibling is complete before its right sibling is, so it is always stored.
        let Ok(nodes) = completed_subtrees(index, leaf, |l, k| {
            Ok::<_, Infallible>(levels[l as usize][k as usize])
        });
        for (level, _, hash) in nodes {
            let level = level as usize;
            if self.levels.len() <= level {
                self.levels.push(Vec::new());
            }
            self.levels[level].push(hash);
        }
        index
    }
}

impl Subtrees for MemoryTree {
    type Error = MissingSubtree;

    fn subtree(&self, level: u32, index: u64) -> Result<Hash, MissingSubtree> {
        self.levels
            .get(level as usize)
            .and_then(|nodes| nodes.get(usize::try_from(index).ok()?))
            .copied()
            .ok_or(MissingSubtree { level, index })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(hex_str: &str) -> Hash {
        let bytes = hex::decode(hex_str).unwrap();
        bytes.try_into().unwrap()
    }

    fn hs(hexes: &[&str]) -> Vec<Hash> {
        hexes.iter().map(|s| h(s)).collect()
    }

    /// The leaves of Certificate Transparency's `merkle_tree_test.cc` and
    /// transparency-dev/merkle's testonly data.
    fn reference_leaves() -> Vec<Hash> {
        [
            "",
            "00",
            "10",
            "2021",
            "3031",
            "40414243",
            "5051525354555657",
            "606162636465666768696a6b6c6d6e6f",
        ]
        .iter()
        .map(|s| leaf_hash(&hex::decode(s).unwrap()))
        .collect()
    }

    const REFERENCE_ROOTS: [&str; 8] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ];

    /// Distinct leaf hashes for the exhaustive tests.
    fn leaves(n: u64) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(&i.to_be_bytes())).collect()
    }

    fn memory_tree(leaves: &[Hash]) -> MemoryTree {
        let mut tree = MemoryTree::new();
        for (i, leaf) in leaves.iter().enumerate() {
            assert_eq!(tree.push(*leaf), i as u64);
        }
        tree
    }

    fn flipped(hash: &Hash, byte: usize) -> Hash {
        let mut out = *hash;
        out[byte] ^= 0x01;
        out
    }

    #[test]
    fn empty_tree_root_is_sha256_of_nothing() {
        let expected = h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(empty_root(), expected);
        let none: &[Hash] = &[];
        assert_eq!(root(none, 0), Ok(expected));
        assert_eq!(root(&MemoryTree::new(), 0), Ok(expected));
    }

    #[test]
    fn leaf_and_node_hashes_are_domain_separated() {
        assert_eq!(leaf_hash(b""), h(REFERENCE_ROOTS[0]));
        let a = leaf_hash(b"a");
        let b = leaf_hash(b"b");
        let mut raw = vec![0x01];
        raw.extend_from_slice(&a);
        raw.extend_from_slice(&b);
        let as_node: Hash = Sha256::digest(&raw).into();
        assert_eq!(node_hash(&a, &b), as_node);
        assert_ne!(leaf_hash(&raw[1..]), as_node);
    }

    #[test]
    fn reference_roots() {
        let leaves = reference_leaves();
        let tree = memory_tree(&leaves);
        for (i, expected) in REFERENCE_ROOTS.iter().enumerate() {
            let size = i as u64 + 1;
            assert_eq!(
                root(leaves.as_slice(), size),
                Ok(h(expected)),
                "size {size}"
            );
            assert_eq!(root(&tree, size), Ok(h(expected)), "size {size}");
        }
    }

    #[test]
    fn reference_inclusion_proofs() {
        let leaves = reference_leaves();
        let cases: [(u64, u64, Vec<Hash>); 5] = [
            (0, 1, vec![]),
            (
                0,
                8,
                hs(&[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ]),
            ),
            (
                5,
                8,
                hs(&[
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ]),
            ),
            (
                2,
                3,
                hs(&["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
            ),
            (
                1,
                5,
                hs(&[
                    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ]),
            ),
        ];
        for (index, size, expected) in cases {
            let root_hash = h(REFERENCE_ROOTS[size as usize - 1]);
            assert_eq!(
                inclusion_proof(leaves.as_slice(), index, size).as_ref(),
                Ok(&expected),
                "leaf {index} of {size}"
            );
            assert!(
                verify_inclusion(&leaves[index as usize], index, size, &expected, &root_hash),
                "leaf {index} of {size}"
            );
        }
    }

    #[test]
    fn reference_consistency_proofs() {
        let leaves = reference_leaves();
        let cases: [(u64, u64, Vec<Hash>); 4] = [
            (1, 1, vec![]),
            (
                1,
                8,
                hs(&[
                    "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
                ]),
            ),
            (
                6,
                8,
                hs(&[
                    "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                    "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
                ]),
            ),
            (
                2,
                5,
                hs(&[
                    "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                    "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                ]),
            ),
        ];
        for (old, new, expected) in cases {
            let old_root = h(REFERENCE_ROOTS[old as usize - 1]);
            let new_root = h(REFERENCE_ROOTS[new as usize - 1]);
            assert_eq!(
                consistency_proof(leaves.as_slice(), old, new).as_ref(),
                Ok(&expected),
                "{old} -> {new}"
            );
            assert!(
                verify_consistency(old, new, &old_root, &new_root, &expected),
                "{old} -> {new}"
            );
        }
    }

    #[test]
    fn incremental_tree_matches_slice() {
        let all = leaves(70);
        let mut tree = MemoryTree::new();
        for size in 1..=70u64 {
            tree.push(all[size as usize - 1]);
            assert_eq!(tree.len(), size);
            let slice = &all[..size as usize];
            assert_eq!(root(&tree, size), root(slice, size), "size {size}");
            for level in 0..8 {
                for index in 0..=(size >> level) {
                    let from_tree = tree.subtree(level, index);
                    let from_slice = slice.subtree(level, index);
                    assert_eq!(from_tree, from_slice, "({level}, {index}) of {size}");
                }
            }
            for index in 0..size {
                assert_eq!(
                    inclusion_proof(&tree, index, size),
                    inclusion_proof(slice, index, size),
                    "leaf {index} of {size}"
                );
            }
            for old in 1..=size {
                assert_eq!(
                    consistency_proof(&tree, old, size),
                    consistency_proof(slice, old, size),
                    "{old} -> {size}"
                );
            }
        }
    }

    #[test]
    fn root_matches_rfc_recursive_definition() {
        fn mth(leaves: &[Hash]) -> Hash {
            match leaves.len() {
                0 => empty_root(),
                1 => leaves[0],
                n => {
                    let k = split(n as u64) as usize;
                    node_hash(&mth(&leaves[..k]), &mth(&leaves[k..]))
                }
            }
        }
        let all = leaves(70);
        for size in 0..=70 {
            assert_eq!(root(all.as_slice(), size), Ok(mth(&all[..size as usize])));
        }
    }

    #[test]
    fn exhaustive_inclusion_proofs_verify_and_resist_tampering() {
        let all = leaves(70);
        let tree = memory_tree(&all);
        let roots: Vec<Hash> = (0..=70).map(|n| root(&tree, n).unwrap()).collect();
        for size in 1..=70u64 {
            let root_hash = roots[size as usize];
            for index in 0..size {
                let leaf = all[index as usize];
                let proof = inclusion_proof(&tree, index, size).unwrap();
                assert!(verify_inclusion(&leaf, index, size, &proof, &root_hash));

                for byte in 0..32 {
                    assert!(!verify_inclusion(
                        &flipped(&leaf, byte),
                        index,
                        size,
                        &proof,
                        &root_hash
                    ));
                    assert!(!verify_inclusion(
                        &leaf,
                        index,
                        size,
                        &proof,
                        &flipped(&root_hash, byte)
                    ));
                    for i in 0..proof.len() {
                        let mut bad = proof.clone();
                        bad[i] = flipped(&bad[i], byte);
                        assert!(!verify_inclusion(&leaf, index, size, &bad, &root_hash));
                    }
                }
                // Proof consumed exactly: neither shorter nor longer.
                if !proof.is_empty() {
                    assert!(!verify_inclusion(
                        &leaf,
                        index,
                        size,
                        &proof[1..],
                        &root_hash
                    ));
                    assert!(!verify_inclusion(
                        &leaf,
                        index,
                        size,
                        &proof[..proof.len() - 1],
                        &root_hash
                    ));
                }
                let mut longer = proof.clone();
                longer.push(root_hash);
                assert!(!verify_inclusion(&leaf, index, size, &longer, &root_hash));
                // Another index in the same tree.
                for other in 0..size {
                    if other != index {
                        assert!(!verify_inclusion(&leaf, other, size, &proof, &root_hash));
                    }
                }
                // Another tree size, checked against that size's root.
                for other in index + 1..=70 {
                    if other != size {
                        let other_root = roots[other as usize];
                        assert!(!verify_inclusion(&leaf, index, other, &proof, &other_root));
                    }
                }
                // A size that does not contain the leaf.
                assert!(!verify_inclusion(&leaf, index, index, &proof, &root_hash));
            }
        }
    }

    #[test]
    fn exhaustive_consistency_proofs_verify_and_resist_tampering() {
        let all = leaves(70);
        let tree = memory_tree(&all);
        let roots: Vec<Hash> = (0..=70).map(|n| root(&tree, n).unwrap()).collect();
        for new in 1..=70u64 {
            let new_root = roots[new as usize];
            for old in 1..=new {
                let old_root = roots[old as usize];
                let proof = consistency_proof(&tree, old, new).unwrap();
                assert_eq!(proof.is_empty(), old == new, "{old} -> {new}");
                assert!(verify_consistency(old, new, &old_root, &new_root, &proof));

                for byte in 0..32 {
                    let bad_old = flipped(&old_root, byte);
                    let bad_new = flipped(&new_root, byte);
                    assert!(!verify_consistency(old, new, &bad_old, &new_root, &proof));
                    assert!(!verify_consistency(old, new, &old_root, &bad_new, &proof));
                    for i in 0..proof.len() {
                        let mut bad = proof.clone();
                        bad[i] = flipped(&bad[i], byte);
                        assert!(!verify_consistency(old, new, &old_root, &new_root, &bad));
                    }
                }
                if !proof.is_empty() {
                    assert!(!verify_consistency(
                        old,
                        new,
                        &old_root,
                        &new_root,
                        &proof[1..]
                    ));
                    let shorter = &proof[..proof.len() - 1];
                    assert!(!verify_consistency(old, new, &old_root, &new_root, shorter));
                }
                let mut longer = proof.clone();
                longer.push(new_root);
                assert!(!verify_consistency(old, new, &old_root, &new_root, &longer));
                // Other sizes, checked against those sizes' roots.
                for other in 1..=70u64 {
                    if other != old && other <= new {
                        let other_root = roots[other as usize];
                        assert!(
                            !verify_consistency(other, new, &other_root, &new_root, &proof),
                            "{old} -> {new} as {other} -> {new}"
                        );
                    }
                    if other != new && other >= old {
                        let other_root = roots[other as usize];
                        assert!(
                            !verify_consistency(old, other, &old_root, &other_root, &proof),
                            "{old} -> {new} as {old} -> {other}"
                        );
                    }
                }
                // Sizes outside 0 < old <= new.
                assert!(!verify_consistency(
                    0,
                    new,
                    &empty_root(),
                    &new_root,
                    &proof
                ));
                if old < new {
                    assert!(!verify_consistency(new, old, &new_root, &old_root, &proof));
                }
            }
        }
    }

    #[test]
    fn out_of_range_requests_are_errors() {
        let all = leaves(5);
        let slice = all.as_slice();
        let tree = memory_tree(&all);

        for (index, size) in [(0, 0), (5, 5), (6, 5), (u64::MAX, u64::MAX), (u64::MAX, 3)] {
            assert_eq!(
                inclusion_proof(slice, index, size),
                Err(ProofError::IndexOutOfRange { index, size })
            );
            assert_eq!(
                inclusion_proof(&tree, index, size),
                Err(ProofError::IndexOutOfRange { index, size })
            );
        }
        for (old_size, new_size) in [(0, 0), (0, 5), (6, 5), (u64::MAX, 1)] {
            assert_eq!(
                consistency_proof(slice, old_size, new_size),
                Err(ProofError::InvalidSizes { old_size, new_size })
            );
            assert_eq!(
                consistency_proof(&tree, old_size, new_size),
                Err(ProofError::InvalidSizes { old_size, new_size })
            );
        }

        // Sizes beyond what the source holds are source errors, not panics.
        assert!(root(slice, 6).is_err());
        assert!(root(&tree, u64::MAX).is_err());
        assert!(matches!(
            inclusion_proof(slice, 0, 6),
            Err(ProofError::Source(_))
        ));
        assert!(matches!(
            inclusion_proof(&tree, 4, u64::MAX),
            Err(ProofError::Source(_))
        ));
        assert!(matches!(
            consistency_proof(slice, 5, 9),
            Err(ProofError::Source(_))
        ));
        assert!(matches!(
            consistency_proof(&tree, 1, u64::MAX),
            Err(ProofError::Source(_))
        ));
        for (level, index) in [
            (0, 5),
            (1, 2),
            (3, 0),
            (64, 0),
            (u32::MAX, 0),
            (0, u64::MAX),
        ] {
            assert_eq!(
                slice.subtree(level, index),
                Err(MissingSubtree { level, index })
            );
            assert_eq!(
                tree.subtree(level, index),
                Err(MissingSubtree { level, index })
            );
        }

        // Verifiers reject impossible sizes instead of underflowing.
        let r = root(slice, 5).unwrap();
        assert!(!verify_inclusion(&all[0], 0, 0, &[], &r));
        assert!(!verify_inclusion(&all[0], u64::MAX, u64::MAX, &[], &r));
        assert!(!verify_consistency(0, 0, &empty_root(), &empty_root(), &[]));
        assert!(!verify_consistency(u64::MAX, 1, &r, &r, &[r]));
        assert!(!verify_consistency(1, u64::MAX, &r, &r, &[]));
        assert!(!verify_consistency(1, u64::MAX, &all[0], &r, &[r; 64]));
    }

    #[test]
    fn equal_sizes_need_equal_roots_and_no_proof() {
        let all = leaves(3);
        let r = root(all.as_slice(), 3).unwrap();
        assert!(verify_consistency(3, 3, &r, &r, &[]));
        assert!(!verify_consistency(3, 3, &r, &flipped(&r, 0), &[]));
        assert!(!verify_consistency(3, 3, &r, &r, &[r]));
    }

    #[test]
    fn completed_subtrees_reports_every_finished_node() {
        let all = leaves(8);
        let mut asked = Vec::new();
        let nodes = completed_subtrees(7, all[7], |level, index| {
            asked.push((level, index));
            all.as_slice().subtree(level, index)
        })
        .unwrap();
        assert_eq!(asked, vec![(0, 6), (1, 2), (2, 0)]);
        let expected: Vec<(u32, u64, Hash)> = [(0, 7), (1, 3), (2, 1), (3, 0)]
            .into_iter()
            .map(|(l, k)| (l, k, all.as_slice().subtree(l, k).unwrap()))
            .collect();
        assert_eq!(nodes, expected);

        // An even leaf completes nothing above itself and asks for nothing.
        let nodes = completed_subtrees(4, all[4], |_, _| -> Result<Hash, ()> { Err(()) });
        assert_eq!(nodes, Ok(vec![(0, 4, all[4])]));

        // A failing sibling lookup is passed through.
        let nodes = completed_subtrees(5, all[5], |level, index| Err((level, index)));
        assert_eq!(nodes, Err((0, 4)));

        // The last possible leaf completes 64 levels without overflowing.
        let nodes = completed_subtrees(u64::MAX, all[0], |_, _| Ok::<_, ()>(all[1])).unwrap();
        assert_eq!(nodes.len(), 65);
        assert_eq!(nodes.last().map(|n| (n.0, n.1)), Some((64, 0)));
    }
}
