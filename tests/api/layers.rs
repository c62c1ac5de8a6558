//! The crate's top-level modules as a graph of `crate::` imports (tests aside): none may import its
//! way back to itself, so each can be read, tested and changed with only what is below it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// The module each `crate::` path in `code` names first: `crate::a::b` and `crate::{a, b::c}`.
fn imported(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 1;
            let end = group
                .char_indices()
                .find(|&(_, c)| {
                    depth += match c {
                        '{' => 1,
                        '}' => -1,
                        _ => 0,
                    };
                    depth == 0
                })
                .map_or(group.len(), |(i, _)| i);
            let mut level = 0;
            let parts = group[..end].split(|c| {
                level += match c {
                    '{' => 1,
                    '}' => -1,
                    _ => 0,
                };
                c == ',' && level == 0
            });
            names.extend(parts.map(leading_name).filter(|n| !n.is_empty()));
        } else {
            names.insert(leading_name(rest));
        }
    }
    names
}

fn leading_name(path: &str) -> String {
    path.trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

/// The code of a file as the compiler builds it outside tests: comments and the unit tests left out.
fn compiled(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or_default();
    text.lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn files(dir: &Path, found: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn no_module_joins_an_import_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    files(&src, &mut found);
    let top = |path: &Path| -> String {
        let relative = path.strip_prefix(&src).expect("under src/");
        let first = relative.components().next().expect("a component");
        first.as_os_str().to_string_lossy().trim_end_matches(".rs").to_owned()
    };
    let modules: BTreeSet<String> = found
        .iter()
        .map(|p| top(p))
        .filter(|m| m != "main" && m != "lib")
        .collect();
    let mut imports: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in &found {
        let module = top(path);
        if !modules.contains(&module) {
            continue;
        }
        let text = std::fs::read_to_string(path).expect("a source file");
        let names = imported(&compiled(&text));
        let entry = imports.entry(module.clone()).or_default();
        entry.extend(names.into_iter().filter(|n| modules.contains(n) && *n != module));
    }
    let reaches = |from: &str| -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut next: Vec<String> = imports.get(from).into_iter().flatten().cloned().collect();
        while let Some(module) = next.pop() {
            if seen.insert(module.clone()) {
                next.extend(imports.get(&module).into_iter().flatten().cloned());
            }
        }
        seen
    };
    let in_a_circle: Vec<&String> = modules.iter().filter(|m| reaches(m).contains(*m)).collect();
    assert!(
        in_a_circle.is_empty(),
        "these modules import their way back to themselves: {in_a_circle:?}"
    );
    // The reading itself: a few edges known to exist, so an unreadable source cannot pass.
    assert!(imports["server"].contains("accounts"));
    assert!(imports["documents"].contains("workflow"));
}

#[test]
fn imports_are_read_from_paths_and_groups() {
    let code = "use crate::a::b;\nuse crate::{c, d::{e, f}, g};\nlet x = crate::h::i();";
    let names: Vec<String> = imported(code).into_iter().collect();
    assert_eq!(names, ["a", "c", "d", "g", "h"]);
}
