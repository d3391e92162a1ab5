//! PyPI's projects, as `scripts/pypi-index` takes them from PyPI's JSON API: the most
//! downloaded projects (8,000 by default), each with every release's version, yanked
//! flag, Requires-Python and wheel size, the newest release's dependencies, and whether
//! it is compiled. One JSON object a line, in 64 shards by an FNV-1a hash of the
//! normalized name (as `debian_index`), read through [`crate::wasi::Machine::indexes`]
//! (`pypi/NN.jsonl`): natively from the generated directory, in the browser fetched from
//! the page when pip first needs a shard. pip asks the curated index
//! (`engine/catalog/pypi.json`) first; this one answers for every other project.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use serde::Deserialize;

/// One project of the index.
#[derive(Debug, Clone, Deserialize)]
pub struct PyProject {
    /// pip's normalized name.
    pub name: String,
    /// The name as the project writes it.
    #[serde(default)]
    pub display: String,
    /// Version → the size in kB of the file pip would download.
    pub versions: BTreeMap<String, u64>,
    #[serde(default)]
    pub yanked: Vec<String>,
    #[serde(default)]
    pub requires_python: BTreeMap<String, String>,
    /// The newest release's Requires-Dist (PyPI's JSON API gives no other release's).
    #[serde(default)]
    pub requires: Vec<String>,
    /// No pure-Python wheel: its code could not run in the sandbox.
    #[serde(default)]
    pub compiled: bool,
    #[serde(default)]
    pub summary: String,
}

type Shard = Rc<BTreeMap<String, PyProject>>;

thread_local! {
    static SHARDS_READ: RefCell<BTreeMap<u32, Option<Shard>>> = const { RefCell::new(BTreeMap::new()) };
    static CURATED_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Makes pip on this thread use the curated index only: snapshot tests whose output
/// must not follow PyPI's new releases.
pub fn curated_only(on: bool) {
    CURATED_ONLY.with(|c| c.set(on));
}

fn shard(n: u32) -> Option<Shard> {
    if CURATED_ONLY.with(|c| c.get()) {
        return None;
    }
    if let Some(s) = SHARDS_READ.with(|m| m.borrow().get(&n).cloned()) {
        return s;
    }
    let parsed = crate::wasi::machine().and_then(|m| (m.indexes)(&format!("pypi/{n:02}.jsonl"))).map(|data| {
        let text = String::from_utf8_lossy(&data);
        Rc::new(text.lines().filter_map(|l| serde_json::from_str::<PyProject>(l).ok()).map(|p| (p.name.clone(), p)).collect::<BTreeMap<_, _>>())
    });
    SHARDS_READ.with(|m| m.borrow_mut().insert(n, parsed.clone()));
    parsed
}

/// A project by pip's normalized name.
pub fn lookup(name: &str) -> Option<PyProject> {
    shard(super::debian_index::shard_of(name))?.get(name).cloned()
}

/// Where the generated index is on this machine: `BERTH_PYPI_INDEX`, or the newest
/// `pypi-index-*` in the cache; `BERTH_PYPI_INDEX=none` turns it off.
#[cfg(not(target_arch = "wasm32"))]
pub fn native_dir() -> Option<std::path::PathBuf> {
    if let Some(dir) = std::env::var_os("BERTH_PYPI_INDEX") {
        return (dir != "none").then(|| std::path::PathBuf::from(dir));
    }
    crate::wasi::newest_in_cache("pypi-index-", "done")
}

/// The pure-Python wheel of `name==version`, downloaded from PyPI on demand (natively,
/// where the host has a network): for a project of the generated index that the
/// curated index lacks (those stay modelled, as documented) and that has a
/// `py3-none-any` wheel. The file is checked against PyPI's sha256 and kept in
/// `~/.cache/berth/pypi-wheels`. `None` where any of that does not hold.
#[cfg(all(not(target_arch = "wasm32"), feature = "tls"))]
pub fn fetch_wheel(name: &str, version: &str) -> Option<std::sync::Arc<Vec<u8>>> {
    use crate::image::distribution::{http::Request, NativeRemote, Remote};
    if CURATED_ONLY.with(|c| c.get()) || super::pip::index().packages.contains_key(name) {
        return None;
    }
    let project = lookup(name)?;
    if project.compiled || !project.versions.contains_key(version) {
        return None;
    }
    let cache = crate::wasi::cache_dir()?.join("pypi-wheels");
    let safe = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.+!".contains(c));
    if !safe(name) || !safe(version) {
        return None;
    }
    let kept = cache.join(format!("{name}-{version}.whl"));
    if let Ok(data) = std::fs::read(&kept) {
        return Some(std::sync::Arc::new(data));
    }
    let remote = NativeRemote::from_env();
    // PyPI's simple API in its JSON form (PEP 691): every file with its sha256.
    let mut ask = Request::new("GET", format!("https://pypi.org/simple/{name}/")).header("Accept", "application/vnd.pypi.simple.v1+json");
    ask.limit = 32 << 20;
    let answer = remote.send(&ask).ok().filter(|r| r.status == 200)?;
    let doc: serde_json::Value = serde_json::from_slice(&answer.body).ok()?;
    let file = doc.get("files")?.as_array()?.iter().find(|f| {
        f.get("filename").and_then(|n| n.as_str()).is_some_and(|n| n.ends_with("-none-any.whl") && n.split('-').nth(1) == Some(version) && n.split('-').nth(2).is_some_and(|py| py.contains("py3")))
    })?;
    let url = file.get("url")?.as_str()?;
    let sha256 = file.get("hashes")?.get("sha256")?.as_str()?;
    let mut request = Request::new("GET", url);
    request.limit = 64 << 20;
    let wheel = remote.send(&request).ok().filter(|r| r.status == 200)?.body;
    if crate::image::digest::Digest::of(&wheel).hex() != sha256 {
        return None;
    }
    let _ = std::fs::create_dir_all(&cache);
    let _ = std::fs::write(&kept, &wheel);
    Some(std::sync::Arc::new(wheel))
}

