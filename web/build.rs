//! Bundles `lessons/` into the worker: every lesson folder (one with an `index.json`)
//! becomes `(slug, [(path, bytes)])` in `$OUT_DIR/lessons.rs`.

use std::path::{Path, PathBuf};

fn files(dir: &Path, base: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files(&path, base, out);
        } else if let Ok(rel) = path.strip_prefix(base) {
            out.push((rel.to_string_lossy().replace('\\', "/"), path.clone()));
        }
    }
}

fn main() {
    // Read at run time: a build script binary may be shared between checkouts.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let root = Path::new(&manifest_dir).join("../lessons");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut code = String::from("/// The lessons bundled with the page: `(slug, [(path, bytes)])`.\n#[allow(clippy::type_complexity)]\npub static LESSONS: &[(&str, &[(&str, &[u8])])] = &[\n");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root).map(|r| r.flatten().map(|e| e.path()).filter(|p| p.join("index.json").is_file()).collect()).unwrap_or_default();
    dirs.sort();
    if dirs.is_empty() {
        println!("cargo:warning=no lessons found in {}: the sandbox will list none", root.display());
    }
    for dir in dirs {
        let slug = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut list = Vec::new();
        files(&dir, &dir, &mut list);
        code.push_str(&format!("    ({slug:?}, &[\n"));
        for (rel, path) in list {
            println!("cargo:rerun-if-changed={}", path.display());
            code.push_str(&format!("        ({rel:?}, include_bytes!({:?})),\n", path.canonicalize().unwrap_or(path.clone()).display().to_string()));
        }
        code.push_str("    ]),\n");
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into())).join("lessons.rs");
    if let Err(e) = std::fs::write(&out, code) {
        panic!("cannot write {}: {e}", out.display());
    }
}
