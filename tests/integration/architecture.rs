//! The layout's rules (README, "Where things are"), checked on the source
//! tree itself so that a change which breaks one fails `make test`:
//! - `ui/` imports no room and nothing from `server/`;
//! - `server/` (shared infrastructure) imports no `ui` and no room's views;
//! - a room imports another room's types (`mod.rs`), server functions
//!   (`api`) and service (`server/mod.rs` and its services), never its views
//!   (`view`), its SQL (`server::store`) or its JSON API (`server::rest`);
//! - no two files import each other, directly or around a longer loop;
//! - no source file grows past `MAX_LINES`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The feature rooms under `src/`.
const ROOMS: [&str; 8] = [
    "account",
    "two_factor",
    "sessions",
    "login_history",
    "api_keys",
    "recovery",
    "team",
    "checkup",
];

/// A file longer than this is split (the guide says "about 400").
const MAX_LINES: usize = 420;

struct SourceFile {
    /// The module the file defines, e.g. `["server", "auth", "cookies"]`.
    module: Vec<String>,
    /// Relative to `src/`, for messages.
    name: String,
    text: String,
}

fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn collect(dir: &Path, files: &mut Vec<SourceFile>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("src/ is readable")
        .map(|entry| entry.expect("a directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect(&path, files);
            continue;
        }
        if path.extension().is_none_or(|ext| ext != "rs") {
            continue;
        }
        let relative = path
            .strip_prefix(src_dir())
            .expect("under src/")
            .to_string_lossy()
            .replace('\\', "/");
        if relative == "main.rs" {
            continue;
        }
        let mut module: Vec<String> = relative
            .trim_end_matches(".rs")
            .split('/')
            .map(str::to_string)
            .collect();
        if module
            .last()
            .is_some_and(|last| last == "mod" || last == "lib")
        {
            module.pop();
        }
        let text = std::fs::read_to_string(&path).expect("a readable source file");
        files.push(SourceFile {
            module,
            name: relative,
            text,
        });
    }
}

fn sources() -> Vec<SourceFile> {
    let mut files = Vec::new();
    collect(&src_dir(), &mut files);
    files
}

/// The file's code without comments and without its test module, which may
/// reach anywhere.
fn code_of(text: &str) -> String {
    let mut code = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("#[cfg(test)]") || trimmed.starts_with("#[cfg(all(test") {
            let next = lines.peek().map(|l| l.trim_start()).unwrap_or_default();
            if next.starts_with("mod tests") {
                break;
            }
        }
        if trimmed.starts_with("//") {
            continue;
        }
        code.push_str(line);
        code.push('\n');
    }
    code
}

/// Expands a `use` tree (`a::{b, c::{d, self}}`) into its paths.
fn expand_use_tree(tree: &str, prefix: &str, out: &mut Vec<String>) {
    let tree = tree.trim();
    if let Some(open) = tree.find('{') {
        let head = tree[..open].trim().trim_end_matches("::");
        let base = join(prefix, head);
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        let mut depth = 0;
        let mut start = 0;
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand_use_tree(&inner[start..i], &base, out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand_use_tree(&inner[start..], &base, out);
    } else if !tree.is_empty() {
        let path = tree.split(" as ").next().unwrap_or_default().trim();
        let path = path.strip_suffix("::self").unwrap_or(path);
        if path == "self" {
            out.push(prefix.to_string());
        } else {
            out.push(join(prefix, path));
        }
    }
}

fn join(prefix: &str, rest: &str) -> String {
    match (prefix.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_string(),
        (_, true) => prefix.to_string(),
        _ => format!("{prefix}::{rest}"),
    }
}

/// Every `crate::`, `super::` and `self::` path a file's code names.
fn referenced_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(at) = rest.find("use ") {
        let before_ok = at == 0 || !rest[..at].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        let after = &rest[at + 4..];
        let end = after.find(';').unwrap_or(after.len());
        if before_ok {
            let tree = after[..end].trim();
            if tree.starts_with("crate::")
                || tree.starts_with("super::")
                || tree.starts_with("self::")
            {
                expand_use_tree(tree, "", &mut paths);
            }
        }
        rest = &after[end.min(after.len())..];
    }
    let bytes = code.as_bytes();
    for anchor in ["crate::", "super::", "self::"] {
        let mut from = 0;
        while let Some(found) = code[from..].find(anchor) {
            let start = from + found;
            from = start + anchor.len();
            if start > 0
                && (bytes[start - 1].is_ascii_alphanumeric()
                    || bytes[start - 1] == b'_'
                    || bytes[start - 1] == b':')
            {
                continue;
            }
            let mut end = from;
            loop {
                let segment_end = code[end..]
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .map_or(code.len(), |i| end + i);
                if segment_end == end {
                    break;
                }
                end = segment_end;
                if code[end..].starts_with("::")
                    && code[end + 2..].starts_with(|c: char| c.is_alphabetic() || c == '_')
                {
                    end += 2;
                } else {
                    break;
                }
            }
            paths.push(code[start..end].trim_end_matches("::").to_string());
        }
    }
    paths
}

/// The module segments a path names, seen from `module` (`is_dir_module`
/// when the file is a `mod.rs`/`lib.rs`, whose `super` is one level up).
fn absolute(path: &str, module: &[String]) -> Vec<String> {
    let mut segments: Vec<&str> = path.split("::").collect();
    let mut base: Vec<String> = match segments.first() {
        Some(&"crate") => {
            segments.remove(0);
            Vec::new()
        }
        _ => module.to_vec(),
    };
    while let Some(first) = segments.first() {
        match *first {
            "super" => {
                base.pop();
                segments.remove(0);
            }
            "self" => {
                segments.remove(0);
            }
            _ => break,
        }
    }
    base.extend(segments.iter().map(|s| s.to_string()));
    base
}

struct Graph {
    files: Vec<SourceFile>,
    /// Edges between indexes of `files`.
    edges: BTreeMap<usize, BTreeSet<usize>>,
}

fn graph() -> Graph {
    let files = sources();
    let by_module: BTreeMap<Vec<String>, usize> = files
        .iter()
        .enumerate()
        .map(|(i, file)| (file.module.clone(), i))
        .collect();
    let mut edges: BTreeMap<usize, BTreeSet<usize>> = BTreeMap::new();
    for (i, file) in files.iter().enumerate() {
        for path in referenced_paths(&code_of(&file.text)) {
            let target = absolute(&path, &file.module);
            // The deepest file that defines a prefix of the path.
            let found = (0..=target.len())
                .rev()
                .find_map(|len| by_module.get(&target[..len]).copied());
            if let Some(j) = found
                && j != i
                && !files[j].module.is_empty()
            {
                edges.entry(i).or_default().insert(j);
            }
        }
    }
    Graph { files, edges }
}

fn room_of(module: &[String]) -> Option<&str> {
    module
        .first()
        .map(String::as_str)
        .filter(|first| ROOMS.contains(first))
}

fn is_view(module: &[String]) -> bool {
    room_of(module).is_some() && module.get(1).is_some_and(|part| part == "view")
}

fn is_private_server_part(module: &[String]) -> bool {
    room_of(module).is_some()
        && module.get(1).is_some_and(|part| part == "server")
        && module
            .get(2)
            .is_some_and(|part| part == "store" || part == "rest")
}

fn violations(graph: &Graph, rule: impl Fn(&SourceFile, &SourceFile) -> bool) -> Vec<String> {
    let mut found = Vec::new();
    for (from, targets) in &graph.edges {
        for to in targets {
            let (a, b) = (&graph.files[*from], &graph.files[*to]);
            if rule(a, b) {
                found.push(format!("{} imports {}", a.name, b.name));
            }
        }
    }
    found
}

#[test]
fn the_ui_kit_imports_no_room_and_nothing_of_the_server() {
    let found = violations(&graph(), |from, to| {
        from.module.first().is_some_and(|m| m == "ui")
            && (room_of(&to.module).is_some() || to.module.first().is_some_and(|m| m == "server"))
    });
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn the_shared_server_imports_no_ui_and_no_views() {
    let found = violations(&graph(), |from, to| {
        from.module.first().is_some_and(|m| m == "server")
            && (to.module.first().is_some_and(|m| m == "ui") || is_view(&to.module))
    });
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn rooms_never_reach_into_another_rooms_views_sql_or_json_api() {
    let found = violations(&graph(), |from, to| {
        let (Some(a), Some(b)) = (room_of(&from.module), room_of(&to.module)) else {
            return false;
        };
        a != b && (is_view(&to.module) || is_private_server_part(&to.module))
    });
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn no_file_imports_itself_through_others() {
    let graph = graph();
    // Tarjan's strongly connected components; any component of two or more
    // files is an import cycle.
    struct State<'g> {
        graph: &'g Graph,
        index: usize,
        indexes: BTreeMap<usize, usize>,
        low: BTreeMap<usize, usize>,
        stack: Vec<usize>,
        on_stack: BTreeSet<usize>,
        cycles: Vec<Vec<String>>,
    }
    fn visit(state: &mut State<'_>, node: usize) {
        state.indexes.insert(node, state.index);
        state.low.insert(node, state.index);
        state.index += 1;
        state.stack.push(node);
        state.on_stack.insert(node);
        let targets: Vec<usize> = state
            .graph
            .edges
            .get(&node)
            .map(|t| t.iter().copied().collect())
            .unwrap_or_default();
        for next in targets {
            if !state.indexes.contains_key(&next) {
                visit(state, next);
                let low = state.low[&node].min(state.low[&next]);
                state.low.insert(node, low);
            } else if state.on_stack.contains(&next) {
                let low = state.low[&node].min(state.indexes[&next]);
                state.low.insert(node, low);
            }
        }
        if state.low[&node] == state.indexes[&node] {
            let mut component = Vec::new();
            while let Some(top) = state.stack.pop() {
                state.on_stack.remove(&top);
                component.push(state.graph.files[top].name.clone());
                if top == node {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                state.cycles.push(component);
            }
        }
    }
    let mut state = State {
        graph: &graph,
        index: 0,
        indexes: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        cycles: Vec::new(),
    };
    for node in 0..graph.files.len() {
        if !state.indexes.contains_key(&node) {
            visit(&mut state, node);
        }
    }
    assert!(
        state.cycles.is_empty(),
        "import cycles: {:#?}",
        state.cycles
    );
}

#[test]
fn no_source_file_is_too_long_to_read() {
    let long: Vec<String> = sources()
        .iter()
        .filter(|file| file.text.lines().count() > MAX_LINES)
        .map(|file| format!("{}: {} lines", file.name, file.text.lines().count()))
        .collect();
    assert!(long.is_empty(), "split these: {long:#?}");
}

#[test]
fn the_checker_sees_imports_of_every_shape() {
    let code = "use crate::server::{auth::{self, app_state}, db::now_ms};\nuse super::Method;\nfn f() { crate::ui::time::now(); }\n";
    let paths = referenced_paths(code);
    for expected in [
        "crate::server::auth",
        "crate::server::auth::app_state",
        "crate::server::db::now_ms",
        "super::Method",
        "crate::ui::time::now",
    ] {
        assert!(
            paths.iter().any(|p| p == expected),
            "{expected} in {paths:?}"
        );
    }
    let module: Vec<String> = vec!["two_factor".into(), "server".into(), "verify".into()];
    assert_eq!(
        absolute("super::store::get", &module),
        ["two_factor", "server", "store", "get"]
    );
    assert_eq!(
        code_of("use crate::a;\n// crate::b\n#[cfg(test)]\nmod tests {\n use crate::c;\n}\n"),
        "use crate::a;\n"
    );
}
