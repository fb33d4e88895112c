//! Domain naming review (命名审核), spec §3.2.
//!
//! MIIT Order 43 Art. 28 forbids names with certain content, and registries
//! reject strings that imply the state or government for unrelated
//! applicants. [`naming_review`] screens a name against a blocklist and
//! answers PASS, REVIEW (queue for a human) or REJECT. The list is data: the
//! built-in [`DEFAULT_BLOCKLIST`] holds only the spec's examples and real
//! deployments pass their maintained list.
//!
//! Syntax is not checked here ([`DomainName`](super::domain_name::DomainName)
//! does that); this only looks at meaning.

use unicode_normalization::UnicodeNormalization;

use super::{MAX_INPUT_BYTES, Problem, code, domain_name::variant_key};

/// The outcome of a naming review, ordered from mildest to strictest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// No term matched.
    Pass,
    /// A human must look at the name before it is registered.
    Review,
    /// The name must not be registered.
    Reject,
}

impl Verdict {
    /// `PASS`, `REVIEW` or `REJECT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "PASS",
            Verdict::Review => "REVIEW",
            Verdict::Reject => "REJECT",
        }
    }
}

/// Where in a label a term must appear to match.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatchKind {
    /// Anywhere (the right choice for Chinese terms, which have no word
    /// boundaries).
    Contains,
    /// At the start of the label or right after a hyphen or digit, so
    /// `sino` matches `sino-trade` and `sinotrade` but not `casino`.
    TokenStart,
    /// The whole label.
    Exact,
}

/// One blocklist entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BlockTerm<'a> {
    /// The term; compared case-insensitively and across simplified and
    /// traditional Chinese.
    pub term: &'a str,
    /// How the term must match.
    pub kind: MatchKind,
    /// What a match means.
    pub verdict: Verdict,
}

const fn term(term: &'static str, kind: MatchKind, verdict: Verdict) -> BlockTerm<'static> {
    BlockTerm {
        term,
        kind,
        verdict,
    }
}

/// The spec's examples (§3.2): names implying China or the state go to
/// review, the Xiongan national project goes to review, insults are
/// rejected.
///
/// Xiongan is REVIEW rather than REJECT: entities legitimately based in the
/// Xiongan New Area exist, and the registry's own review has the last word.
pub const DEFAULT_BLOCKLIST: [BlockTerm<'static>; 13] = [
    term("中国", MatchKind::Contains, Verdict::Review),
    term("中华", MatchKind::Contains, Verdict::Review),
    term("国家", MatchKind::Contains, Verdict::Review),
    term("全国", MatchKind::Contains, Verdict::Review),
    term("china", MatchKind::Contains, Verdict::Review),
    term("zhongguo", MatchKind::Contains, Verdict::Review),
    term("zhonghua", MatchKind::Contains, Verdict::Review),
    term("chn", MatchKind::TokenStart, Verdict::Review),
    term("sino", MatchKind::TokenStart, Verdict::Review),
    term("雄安", MatchKind::Contains, Verdict::Review),
    term("xiongan", MatchKind::Contains, Verdict::Review),
    term("fuck", MatchKind::Contains, Verdict::Reject),
    term("xxx", MatchKind::Contains, Verdict::Reject),
];

/// A blocklist term that matched.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NamingHit {
    /// The term as written in the blocklist.
    pub term: String,
    /// What this term demands.
    pub verdict: Verdict,
}

/// The result of [`naming_review`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamingReview {
    /// The strictest verdict among the hits, or PASS.
    pub verdict: Verdict,
    /// Every matching term, in blocklist order.
    pub hits: Vec<NamingHit>,
}

impl NamingReview {
    /// The hits as problems ([`code::RESERVED_TERM`] for review,
    /// [`code::PROHIBITED_TERM`] for reject), for display.
    pub fn problems(&self) -> Vec<Problem> {
        self.hits
            .iter()
            .map(|hit| match hit.verdict {
                Verdict::Reject => Problem::new(
                    code::PROHIBITED_TERM,
                    format!("names containing \"{}\" cannot be registered", hit.term),
                    format!("含有“{}”的域名不能注册", hit.term),
                ),
                Verdict::Review | Verdict::Pass => Problem::new(
                    code::RESERVED_TERM,
                    format!(
                        "names containing \"{}\" need manual naming review",
                        hit.term
                    ),
                    format!("含有“{}”的域名需要人工命名审核", hit.term),
                ),
            })
            .collect()
    }
}

/// Reviews a label or a domain name against `blocklist`.
///
/// A dotted name has its last label (the TLD) ignored, so `例子.中国` is
/// not flagged for `中国`. A-labels are decoded first, and matching is
/// case-insensitive and blind to simplified/traditional differences.
pub fn naming_review(name: &str, blocklist: &[BlockTerm<'_>]) -> NamingReview {
    Blocklist::new(blocklist).review(name)
}

/// A blocklist with each term's variant key computed once, for callers that review many
/// names against the same list (availability checks).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Blocklist {
    terms: Vec<PreparedTerm>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct PreparedTerm {
    term: String,
    key: String,
    kind: MatchKind,
    verdict: Verdict,
}

impl Blocklist {
    /// Prepares `blocklist`; empty terms are dropped (they would match everything).
    pub fn new(blocklist: &[BlockTerm<'_>]) -> Blocklist {
        let terms = blocklist
            .iter()
            .filter_map(|entry| {
                let key = variant_key(entry.term.trim());
                (!key.is_empty()).then(|| PreparedTerm {
                    term: entry.term.trim().to_owned(),
                    key,
                    kind: entry.kind,
                    verdict: entry.verdict,
                })
            })
            .collect();
        Blocklist { terms }
    }

    /// Reviews a label or a domain name, as [`naming_review`] does.
    pub fn review(&self, name: &str) -> NamingReview {
        let labels = reviewable_labels(name);
        let mut hits: Vec<NamingHit> = Vec::new();
        for entry in &self.terms {
            let matched = labels
                .iter()
                .any(|label| matches(label, &entry.key, entry.kind));
            if matched && !hits.iter().any(|hit| hit.term == entry.term) {
                hits.push(NamingHit {
                    term: entry.term.clone(),
                    verdict: entry.verdict,
                });
            }
        }
        let verdict = hits
            .iter()
            .map(|hit| hit.verdict)
            .max()
            .unwrap_or(Verdict::Pass);
        NamingReview { verdict, hits }
    }
}

/// Splits a name into the labels to review, as variant keys.
fn reviewable_labels(name: &str) -> Vec<String> {
    // Past this size the input is not a domain name; review it as one blob
    // without IDNA decoding so the cost stays linear.
    if name.len() > MAX_INPUT_BYTES {
        return vec![variant_key(name)];
    }
    let folded: String = name
        .trim()
        .nfkc()
        .map(|c| if c == '\u{3002}' { '.' } else { c })
        .collect::<String>()
        .to_lowercase();
    let decoded = if folded.contains("xn--") {
        let (unicode, result) = idna::domain_to_unicode(&folded);
        if result.is_ok() { unicode } else { folded }
    } else {
        folded
    };
    let trimmed = decoded.strip_suffix('.').unwrap_or(&decoded);
    let mut labels: Vec<&str> = trimmed.split('.').collect();
    if labels.len() > 1 {
        labels.pop();
    }
    labels.into_iter().map(variant_key).collect()
}

fn matches(label: &str, term_key: &str, kind: MatchKind) -> bool {
    match kind {
        MatchKind::Exact => label == term_key,
        MatchKind::Contains => label.contains(term_key),
        MatchKind::TokenStart => label.match_indices(term_key).any(|(start, _)| {
            label[..start]
                .chars()
                .next_back()
                .is_none_or(|before| before == '-' || before.is_ascii_digit())
        }),
    }
}

#[cfg(test)]
mod tests;
