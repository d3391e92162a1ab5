//! Locating the shared conformance data and reporting pass counts.

use std::path::PathBuf;

/// The workplace's shared folder: `BERTH_SHARED`, else `../shared` next to the
/// repository, else the nearest ancestor's `shared/`, else `/work/shared`.
pub fn shared() -> PathBuf {
    if let Ok(dir) = std::env::var("BERTH_SHARED") {
        return PathBuf::from(dir);
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let repo = repo.canonicalize().unwrap_or(repo);
    for dir in repo.ancestors().skip(1) {
        let candidate = dir.join("shared");
        if candidate.join("conformance").is_dir() {
            return candidate;
        }
    }
    PathBuf::from("/work/shared")
}

/// The conformance data (`BERTH_CONFORMANCE` overrides).
pub fn root() -> PathBuf {
    if let Ok(dir) = std::env::var("BERTH_CONFORMANCE") {
        return PathBuf::from(dir);
    }
    shared().join("conformance")
}

/// Prints `name: passed/total` and fails with the list of failures when any case failed.
pub fn report(name: &str, total: usize, failures: &[String]) {
    let passed = total - failures.len();
    println!("conformance {name}: {passed}/{total} passed");
    assert!(failures.is_empty(), "{name}: {} of {total} failed:\n{}", failures.len(), failures.join("\n---\n"));
}
