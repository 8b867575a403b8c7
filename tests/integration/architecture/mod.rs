//! The layout's rules (README, "Where things are"), checked on the source
//! tree itself so that a change which breaks one fails `make test`:
//! - `ui/` imports no room and nothing from `server/`;
//! - `server/` (shared infrastructure) imports no `ui` and no room's views;
//! - a room imports another room's types (`mod.rs`), server functions
//!   (`api`) and service (`server/mod.rs` and its services), never its views
//!   (`view`), its SQL (`server::store`) or its JSON API (`server::rest`);
//! - no two files import each other, directly or around a longer loop;
//! - no source file grows past `MAX_LINES`.

mod sources;

use sources::{Graph, SourceFile, graph, line_counts, src_dir, tests_dir};
use std::collections::{BTreeMap, BTreeSet};

/// The feature rooms under `src/`.
const ROOMS: [&str; 9] = [
    "account",
    "passkeys",
    "two_factor",
    "sessions",
    "login_history",
    "api_keys",
    "recovery",
    "team",
    "checkup",
];

/// A file longer than this is split (the guide says "about 400").
const MAX_LINES: usize = 440;

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
fn no_source_or_test_file_is_too_long_to_read() {
    let mut counts = Vec::new();
    line_counts(&src_dir(), &mut counts);
    line_counts(&tests_dir(), &mut counts);
    let long: Vec<String> = counts
        .iter()
        .filter(|(_, lines)| *lines > MAX_LINES)
        .map(|(path, lines)| format!("{}: {lines} lines", path.display()))
        .collect();
    assert!(long.is_empty(), "split these: {long:#?}");
}
