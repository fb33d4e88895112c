//! The shape of `yuming-app` as a test: the bounded contexts depend on each other in one
//! direction only, as `LAYERS` declares, and no module of the crate reaches, directly or
//! through others, back to itself. `app.rs` (the application object, which wires every
//! context) and `lib.rs` are the composition root and are left out.
//!
//! The dependencies are read from the source: every `crate::…` path (also inside
//! `use crate::{…}` groups) and every `super::…` path outside comments.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each context and the contexts it may use. A context not listed here fails the test, so a
/// new one is placed deliberately.
const LAYERS: &[(&str, &[&str])] = &[
    ("platform", &[]),
    ("notify", &["platform"]),
    ("accounts", &["platform", "notify"]),
    ("billing", &["platform", "notify", "accounts"]),
    ("registrar", &["platform", "notify", "accounts", "billing"]),
    (
        "dns",
        &["platform", "notify", "accounts", "billing", "registrar"],
    ),
    (
        "filing",
        &["platform", "notify", "accounts", "billing", "registrar"],
    ),
    (
        "care",
        &[
            "platform",
            "notify",
            "accounts",
            "billing",
            "registrar",
            "dns",
            "filing",
        ],
    ),
    (
        "ops",
        &[
            "platform",
            "notify",
            "accounts",
            "billing",
            "registrar",
            "dns",
            "filing",
            "care",
        ],
    ),
];

const ROOT_MODULES: &[&str] = &["lib", "app"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/registrar/domains/search.rs` → `["registrar", "domains", "search"]`.
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let relative = file
        .strip_prefix(src)
        .expect("under src")
        .with_extension("");
    let mut segments: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if segments.last().is_some_and(|s| s == "mod") {
        segments.pop();
    }
    segments
}

/// The unit a module belongs to for the cycle check: its context and the context's direct
/// child (`registrar::domains`), or the context alone for a one-file context (`billing`).
fn unit_of(segments: &[String]) -> String {
    segments
        .iter()
        .take(2)
        .cloned()
        .collect::<Vec<_>>()
        .join("::")
}

/// The code without comments (doc links name modules without depending on them).
fn code_of(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(at) if !line[..at].contains('"') => &line[..at],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident_at(text: &str, at: usize) -> Option<&str> {
    let rest = &text[at..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    (end > 0).then(|| &rest[..end])
}

/// The module paths (up to two segments) named after each `prefix`, including the items of a
/// `prefix{a::b, c}` group.
fn paths_after(code: &str, prefix: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(hit) = code[from..].find(prefix) {
        let start = from + hit;
        from = start + prefix.len();
        let boundary = code[..start]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'));
        if !boundary {
            continue;
        }
        if code[from..].starts_with('{') {
            let Some(close) = code[from..].find('}') else {
                continue;
            };
            for item in code[from + 1..from + close].split(',') {
                let segments: Vec<String> = item
                    .trim()
                    .split("::")
                    .take(2)
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty() && !s.starts_with('{'))
                    .collect();
                if !segments.is_empty() {
                    found.push(segments);
                }
            }
            continue;
        }
        let mut segments = Vec::new();
        let mut at = from;
        while let Some(ident) = ident_at(code, at) {
            segments.push(ident.to_owned());
            at += ident.len();
            if segments.len() == 2 || !code[at..].starts_with("::") {
                break;
            }
            at += 2;
        }
        if !segments.is_empty() {
            found.push(segments);
        }
    }
    found
}

struct Crate {
    /// Unit → the units its code names.
    edges: BTreeMap<String, BTreeSet<String>>,
}

fn read_crate() -> Crate {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let modules: Vec<(Vec<String>, String)> = files
        .iter()
        .map(|f| {
            (
                module_path(&src, f),
                std::fs::read_to_string(f).expect("read source"),
            )
        })
        .filter(|(path, _)| !ROOT_MODULES.contains(&path[0].as_str()))
        .collect();
    let units: BTreeSet<String> = modules.iter().map(|(p, _)| unit_of(p)).collect();
    let resolve = |segments: &[String]| -> Option<String> {
        let two = unit_of(segments);
        if units.contains(&two) {
            return Some(two);
        }
        let one = segments.first()?.clone();
        units.contains(&one).then_some(one)
    };
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, text) in &modules {
        let unit = unit_of(path);
        let code = code_of(text);
        let mut named: Vec<Vec<String>> = paths_after(&code, "crate::");
        // `super::x` in module a::b::c names a::b::x.
        let parent = &path[..path.len() - 1];
        for segments in paths_after(&code, "super::") {
            let mut absolute = parent.to_vec();
            absolute.extend(segments);
            named.push(absolute);
        }
        let targets = edges.entry(unit.clone()).or_default();
        for segments in named {
            if let Some(target) = resolve(&segments)
                && target != unit
            {
                targets.insert(target);
            }
        }
    }
    Crate { edges }
}

fn context_of(unit: &str) -> &str {
    unit.split("::").next().unwrap_or(unit)
}

#[test]
fn contexts_depend_only_on_the_layers_below_them() {
    let krate = read_crate();
    let allowed: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let mut wrong = Vec::new();
    for (unit, targets) in &krate.edges {
        let from = context_of(unit);
        let Some(may) = allowed.get(from) else {
            wrong.push(format!("{unit}: context `{from}` is not in LAYERS"));
            continue;
        };
        for target in targets {
            let to = context_of(target);
            if to != from && !may.contains(&to) {
                wrong.push(format!("{unit} uses {target}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "dependencies against the layers:\n{}",
        wrong.join("\n")
    );
    // The test reads what it should: the registrar's use of billing is seen.
    assert!(krate.edges["registrar::domains"].contains("billing"));
}

#[test]
fn no_module_depends_on_itself_through_others() {
    let krate = read_crate();
    // Tarjan's strongly connected components; a component of more than one unit is a cycle.
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on_stack: BTreeSet<&'a str>,
        cycles: Vec<Vec<&'a str>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on_stack.insert(v);
        let edges = s.edges;
        for w in edges.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let low = s.low[v].min(s.low[w]);
                s.low.insert(v, low);
            } else if s.on_stack.contains(w) {
                let low = s.low[v].min(s.index[w]);
                s.low.insert(v, low);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on_stack.remove(w);
                component.push(w);
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort_unstable();
                s.cycles.push(component);
            }
        }
    }
    let mut state = State {
        edges: &krate.edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        cycles: Vec::new(),
    };
    for unit in krate.edges.keys() {
        if !state.index.contains_key(unit.as_str()) {
            visit(&mut state, unit);
        }
    }
    assert!(state.cycles.is_empty(), "import cycles: {:?}", state.cycles);
    assert!(
        krate.edges.len() > 40,
        "only {} modules read",
        krate.edges.len()
    );
}
