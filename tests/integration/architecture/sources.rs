//! Reading the source tree for the layout's rules: each file's module, its
//! code without comments and tests, the `crate::`/`super::` paths it names,
//! and the graph of which file imports which.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

pub struct SourceFile {
    /// The module the file defines, e.g. `["server", "auth", "cookies"]`.
    pub module: Vec<String>,
    /// Relative to `src/`, for messages.
    pub name: String,
    pub text: String,
}

pub fn src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

pub fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

/// Every `.rs` file under `dir`, with its line count.
pub fn line_counts(dir: &Path, out: &mut Vec<(PathBuf, usize)>) {
    for entry in std::fs::read_dir(dir).expect("a readable directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            line_counts(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            let text = std::fs::read_to_string(&path).expect("a readable source file");
            out.push((path, text.lines().count()));
        }
    }
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

pub fn sources() -> Vec<SourceFile> {
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
    for anchor in ["crate::", "super::", "self::"] {
        paths.extend(paths_at(code, anchor));
    }
    // A module imported by name (`use crate::team;`, `use crate::{team, ui};`)
    // is then reached through that name: `team::server::members_of`.
    let imported: Vec<String> = paths
        .iter()
        .filter(|path| !path.ends_with("::*"))
        .cloned()
        .collect();
    for import in imported {
        let name = import.rsplit("::").next().unwrap_or_default();
        if name.is_empty() || matches!(name, "crate" | "super" | "self") {
            continue;
        }
        for found in paths_at(code, &format!("{name}::")) {
            paths.push(format!("{import}{}", &found[name.len()..]));
        }
    }
    paths
}

/// Every path in `code` that starts with `anchor` (`crate::`, `team::`),
/// not as the tail of a longer path or name.
fn paths_at(code: &str, anchor: &str) -> Vec<String> {
    let bytes = code.as_bytes();
    let mut paths = Vec::new();
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

pub struct Graph {
    pub files: Vec<SourceFile>,
    /// Edges between indexes of `files`.
    pub edges: BTreeMap<usize, BTreeSet<usize>>,
}

pub fn graph() -> Graph {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checker_sees_imports_of_every_shape() {
        let code = "use crate::server::{auth::{self, app_state}, db::now_ms};\nuse super::Method;\nuse crate::{team, ui};\nfn f() { crate::ui::time::now(); team::server::members_of(); }\n";
        let paths = referenced_paths(code);
        for expected in [
            "crate::server::auth",
            "crate::server::auth::app_state",
            "crate::server::db::now_ms",
            "super::Method",
            "crate::ui::time::now",
            "crate::team::server::members_of",
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
}
