//! Tidy checks over the source tree, as rust-analyzer's tidy tests do: the engine's
//! modules import each other only downwards through the layers ARCHITECTURE.md lists,
//! and the web crate reaches the engine through `engine::api` only. A new import against
//! the layers fails here; so does an exception below that is no longer needed, so the
//! list only shrinks.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The engine's top-level modules, lowest layer first. A module may use the modules of
/// lower layers and those named with it in its own layer.
const LAYERS: &[&[&str]] = &[
    &["time", "stack", "units", "reference", "vfs"],
    &["dockerignore"],
    &["dockerfile"],
    &["image"],
    // The userland: the shell and its applets run WebAssembly programs, whose WASI host
    // reads the applets' context.
    &["shell", "wasi"],
    &["runtime"],
    &["build"],
    // What the front end lends: files, clock, console (its console attaches a runtime's
    // terminal session).
    &["host"],
    &["daemon"],
    &["cli"],
    &["sandbox"],
    &["api"],
    &["lesson", "workbench"],
];

/// Imports against the layers that are known debt: (from, to, why).
const EXCEPTIONS: &[(&str, &str, &str)] = &[
    ("cli", "lesson", "`berth lesson check|run` lives in cli/lesson.rs until the command table lets a front end add commands"),
    ("api", "workbench", "Response carries the lesson panel's LessonInfo/LessonView, and api re-exports the worker's Workbench"),
];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `crate::name` references in `text`, outside comments.
fn crate_refs(text: &str) -> BTreeSet<String> {
    let mut refs = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            let name: String = rest[at + 7..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if !name.is_empty() {
                refs.insert(name);
            }
            rest = &rest[at + 7..];
        }
    }
    refs
}

/// module -> the top-level modules it uses.
fn engine_imports() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut graph = BTreeMap::new();
    for entry in std::fs::read_dir(&src).expect("engine/src").flatten() {
        let path = entry.path();
        let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("").to_string();
        if name == "lib" || name == "bin" {
            continue;
        }
        let mut files = Vec::new();
        if path.is_dir() {
            rust_files(&path, &mut files);
        } else {
            files.push(path.clone());
        }
        let mut deps = BTreeSet::new();
        for f in files {
            deps.extend(crate_refs(&std::fs::read_to_string(&f).expect("read")));
        }
        deps.remove(&name);
        graph.insert(name, deps);
    }
    graph
}

#[test]
fn engine_modules_import_only_downwards() {
    let graph = engine_imports();
    assert!(graph.len() > 10, "found only {:?}", graph.keys());
    let mut wrong = Vec::new();
    let mut used = BTreeSet::new();
    for (module, deps) in &graph {
        let Some(own) = layer_of(module) else {
            wrong.push(format!("{module}: not in LAYERS (add it to tests/tidy.rs and ARCHITECTURE.md)"));
            continue;
        };
        for dep in deps {
            let Some(theirs) = layer_of(dep) else { continue };
            if theirs <= own {
                continue;
            }
            if let Some(e) = EXCEPTIONS.iter().find(|(f, t, _)| f == module && t == dep) {
                used.insert((e.0, e.1));
                continue;
            }
            wrong.push(format!("{module} uses {dep}, a higher layer"));
        }
    }
    for (f, t, why) in EXCEPTIONS {
        if !used.contains(&(*f, *t)) {
            wrong.push(format!("exception {f} -> {t} is no longer needed ({why}): remove it"));
        }
    }
    assert!(wrong.is_empty(), "layering (see ARCHITECTURE.md, Layers):\n{}", wrong.join("\n"));
}

#[test]
fn the_web_crate_uses_the_engine_through_api_only() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../web/src");
    let mut files = Vec::new();
    rust_files(&web, &mut files);
    assert!(!files.is_empty());
    let mut wrong = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let mut rest = code;
            while let Some(at) = rest.find("engine::") {
                let after = &rest[at + 8..];
                if !after.starts_with("api") {
                    wrong.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
                }
                rest = after;
            }
        }
    }
    assert!(wrong.is_empty(), "the web crate must use engine::api only:\n{}", wrong.join("\n"));
}

#[test]
fn the_checker_sees_an_import_against_the_layers() {
    // The checker itself can fail: a leaf that named the command line would be caught.
    let refs = crate_refs("use crate::cli::Host; // crate::api in a comment\nlet x = crate::vfs::join(a, b);");
    assert_eq!(refs.into_iter().collect::<Vec<_>>(), ["cli", "vfs"]);
    assert!(layer_of("cli") > layer_of("vfs"));
}
