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
    super::debian_index::newest_in_cache("pypi-index-")
}
