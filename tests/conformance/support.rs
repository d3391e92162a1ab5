//! Locating the shared conformance data and reporting pass counts.

use std::path::PathBuf;

/// `../shared/conformance` relative to the repository root, or `BERTH_CONFORMANCE`.
pub fn root() -> PathBuf {
    if let Ok(dir) = std::env::var("BERTH_CONFORMANCE") {
        return PathBuf::from(dir);
    }
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    repo.join("../shared/conformance")
}

/// Prints `name: passed/total` and fails with the list of failures when any case failed.
pub fn report(name: &str, total: usize, failures: &[String]) {
    let passed = total - failures.len();
    println!("conformance {name}: {passed}/{total} passed");
    assert!(failures.is_empty(), "{name}: {} of {total} failed:\n{}", failures.len(), failures.join("\n---\n"));
}
