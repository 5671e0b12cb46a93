//! The layering of `jans-core` (DESIGN.md §2–§3), read from its own imports: foundations
//! import no component and not the engine; a component imports neither the engine nor
//! another component; the engine is the only module that knows every component. A new
//! `use` that breaks a rule fails here, naming the file. Test modules (`#[cfg(test)]`) are
//! not part of the module graph a build has, and are left out; code behind a feature (the
//! conformance suites of `test-util`) is in.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Janssen's components: one folder each under `src/` (the ones that exist so far, and
/// the names the design reserves).
const COMPONENTS: [&str; 7] = ["auth", "uma", "fido2", "scim", "admin", "casa", "saml"];

/// Modules that sit above everything: the engine, and the fuzzing entry points (a host).
const ABOVE: [&str; 2] = ["engine", "internal"];

/// Cycles among foundations that predate this test, each a pair that imports both ways.
/// The list may shrink, never grow.
const KNOWN_FOUNDATION_CYCLES: [(&str, &str); 3] = [
    // JWS signs through the provider; the provider speaks JOSE's algorithm and key types.
    ("crypto", "jose"),
    // `Error` wraps the store's and the key ring's errors; both return `Error` in places.
    ("error", "keys"),
    ("error", "store"),
];

/// What `crate::Name` re-exports at the root refer to.
fn root_reexport(name: &str) -> Option<&'static str> {
    Some(match name {
        "Engine" | "EngineBuilder" | "RegisteredClient" | "TickReport" => "engine",
        "AuthServer" => "auth",
        "Services" => "services",
        "Config" => "config",
        "Ctx" | "Random" | "UnixTime" => "ctx",
        "Error" => "error",
        "AuthEndpoint" | "Endpoint" | "Method" | "Request" => "request",
        "Body" | "Response" => "response",
        _ => return None,
    })
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Code without its comments (line comments only: the crate uses no block comments).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| match l.split_once("//") {
            Some((before, _)) if !before.contains('"') => before,
            _ => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `code` without its inline `#[cfg(test)] mod name { ... }` blocks.
fn without_test_modules(code: &str) -> String {
    let mut out = String::new();
    let mut lines = code.lines().peekable();
    while let Some(line) = lines.next() {
        let gated = line.trim() == "#[cfg(test)]"
            && lines
                .peek()
                .is_some_and(|next| next.trim_start().starts_with("mod ") && next.ends_with('{'));
        if !gated {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        // Skip to the brace that closes the module.
        let mut depth = 0i32;
        for body in lines.by_ref() {
            depth += body.matches('{').count() as i32 - body.matches('}').count() as i32;
            if depth <= 0 && body.contains('}') {
                break;
            }
        }
    }
    out
}

/// Files declared as test modules (`#[cfg(test)] mod name;`) by the file at `path`.
fn test_module_files(path: &Path, code: &str) -> Vec<PathBuf> {
    let dir = match path.file_name().and_then(|n| n.to_str()) {
        Some("mod.rs") | Some("lib.rs") => path.parent().unwrap().to_path_buf(),
        _ => path.with_extension(""),
    };
    let lines: Vec<&str> = code.lines().map(str::trim).collect();
    lines
        .windows(2)
        .filter(|w| w[0] == "#[cfg(test)]" && w[1].starts_with("mod ") && w[1].ends_with(';'))
        .flat_map(|w| {
            let name = w[1].trim_start_matches("mod ").trim_end_matches(';');
            [
                dir.join(format!("{name}.rs")),
                dir.join(name).join("mod.rs"),
            ]
        })
        .collect()
}

/// The top-level modules a file's code names through `crate::`.
fn imports(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = code;
    while let Some((_, after)) = rest.split_once("crate::") {
        rest = after;
        if let Some(group) = rest.strip_prefix('{') {
            for item in group.split('}').next().unwrap_or_default().split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.insert(name);
            }
        } else {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.insert(name);
        }
    }
    out.into_iter()
        .filter(|n| !n.is_empty() && n != "self")
        .map(|n| root_reexport(&n).map(str::to_owned).unwrap_or(n))
        .collect()
}

/// Top-level module → (the modules it imports → the files that do).
fn graph() -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let test_only: BTreeSet<PathBuf> = files
        .iter()
        .flat_map(|f| test_module_files(f, &code(&std::fs::read_to_string(f).unwrap())))
        .collect();
    let mut graph: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for file in files.into_iter().filter(|f| !test_only.contains(f)) {
        let rel = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let top = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_owned();
        if top == "lib" {
            continue;
        }
        let text = std::fs::read_to_string(&file).unwrap();
        let node = graph.entry(top.clone()).or_default();
        for target in imports(&without_test_modules(&code(&text))) {
            if target != top {
                node.entry(target).or_default().insert(rel.clone());
            }
        }
    }
    graph
}

fn is_component(m: &str) -> bool {
    COMPONENTS.contains(&m)
}

#[test]
fn foundations_components_and_the_engine_are_layered() {
    let graph = graph();
    assert!(graph.contains_key("auth") && graph.contains_key("engine"));
    let mut broken = Vec::new();
    for (from, targets) in &graph {
        for (to, files) in targets {
            let rule = if ABOVE.contains(&from.as_str()) {
                None
            } else if is_component(from) {
                (ABOVE.contains(&to.as_str()) || is_component(to))
                    .then_some("a component imports neither the engine nor another component")
            } else {
                (ABOVE.contains(&to.as_str()) || is_component(to))
                    .then_some("a foundation imports no component and not the engine")
            };
            if let Some(rule) = rule {
                broken.push(format!("{from} -> {to} ({rule}): {files:?}"));
            }
        }
    }
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
}

#[test]
fn no_new_import_circles() {
    let graph = graph();
    let imports = |a: &str, b: &str| graph.get(a).is_some_and(|t| t.contains_key(b));
    let mut cycles = Vec::new();
    // Two modules importing each other.
    for (a, targets) in &graph {
        for b in targets.keys() {
            if a < b && imports(b, a) {
                let known = KNOWN_FOUNDATION_CYCLES.contains(&(a.as_str(), b.as_str()));
                if !known {
                    cycles.push(format!("{a} <-> {b}"));
                }
            }
        }
    }
    // Longer circles: after removing the known pairs' back edges, the graph is acyclic.
    let mut edges: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (a, targets) in &graph {
        for b in targets.keys() {
            let back = KNOWN_FOUNDATION_CYCLES
                .iter()
                .any(|(x, y)| (a == y && b == x) || (a == x && b == y && a > b));
            if !back {
                edges.entry(a).or_default().insert(b);
            }
        }
    }
    let mut state: BTreeMap<&str, u8> = BTreeMap::new();
    fn visit<'a>(
        n: &'a str,
        edges: &BTreeMap<&'a str, BTreeSet<&'a str>>,
        state: &mut BTreeMap<&'a str, u8>,
        path: &mut Vec<&'a str>,
        found: &mut Vec<String>,
    ) {
        match state.get(n) {
            Some(2) => return,
            Some(1) => {
                let start = path.iter().position(|p| *p == n).unwrap_or(0);
                found.push(format!("{} -> {n}", path[start..].join(" -> ")));
                return;
            }
            _ => {}
        }
        state.insert(n, 1);
        path.push(n);
        for m in edges.get(n).into_iter().flatten() {
            visit(m, edges, state, path, found);
        }
        path.pop();
        state.insert(n, 2);
    }
    let nodes: Vec<&str> = edges.keys().copied().collect();
    for n in nodes {
        visit(n, &edges, &mut state, &mut Vec::new(), &mut cycles);
    }
    // The known pairs are still cycles (else the list should shrink).
    for (a, b) in KNOWN_FOUNDATION_CYCLES {
        assert!(
            imports(a, b) && imports(b, a),
            "{a} <-> {b} is no longer a circle: take it off KNOWN_FOUNDATION_CYCLES"
        );
    }
    assert!(cycles.is_empty(), "import circles:\n{}", cycles.join("\n"));
}

#[test]
fn the_checker_sees_grouped_and_root_imports() {
    let found = imports(&code(
        "use crate::{auth::AuthServer, ctx::Ctx};\nlet e = crate::Engine::builder(c); // crate::scim\n",
    ));
    let want: BTreeSet<String> = ["auth", "ctx", "engine"].map(str::to_owned).into();
    assert_eq!(found, want);
}

#[test]
fn the_checker_leaves_test_modules_out() {
    let text = "use crate::store::Backend;\n#[cfg(test)]\nmod tests {\n    use crate::repo::Stores;\n    fn f() { let x = crate::auth::X {}; }\n}\nfn g() -> crate::ctx::Ctx { todo!() }\n";
    let found = imports(&without_test_modules(&code(text)));
    let want: BTreeSet<String> = ["store", "ctx"].map(str::to_owned).into();
    assert_eq!(found, want);
    let declared = test_module_files(
        Path::new("src/store/postgres/mod.rs"),
        "#[cfg(test)]\nmod tests;\nmod grants;\n",
    );
    assert!(declared.contains(&PathBuf::from("src/store/postgres/tests.rs")));
    assert!(!declared.iter().any(|p| p.ends_with("grants.rs")));
}
