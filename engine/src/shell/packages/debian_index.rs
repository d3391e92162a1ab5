//! Debian's own package index, as `scripts/debian-index` generates it from
//! deb.debian.org: for bullseye, bookworm and trixie (main with its -updates and
//! -security suites), every package's version, relations, priority, sizes, description
//! and the programs it ships. Each release is 64 shards of tab-separated lines, a
//! package in the shard its name's FNV-1a hash picks, plus `provides.tsv` (virtual
//! package → providers).
//!
//! The shards come from the front end ([`crate::wasi::Machine::indexes`], under
//! `debian/`): natively
//! files in the generated directory, in the browser fetched from the page one at a time
//! when apt first needs them. Where a release has no generated index, apt uses the
//! curated one (`engine/catalog/debian.json`) and says so in its documentation.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// The releases the generator covers.
pub const RELEASES: &[&str] = &["bullseye", "bookworm", "trixie"];
pub const SHARDS: u32 = 64;

/// One relation: a package name and, where given, a version constraint (`>= 2.34`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relation {
    pub name: String,
    pub constraint: Option<String>,
}

/// One package of the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DebPackage {
    pub name: String,
    pub version: String,
    pub section: String,
    pub priority: String,
    pub essential: bool,
    /// Installed-Size, kB.
    pub installed_kb: u64,
    /// The `.deb`'s size, bytes.
    pub size: u64,
    /// Each entry is a set of alternatives (`a | b`), any one of which satisfies it.
    pub depends: Vec<Vec<Relation>>,
    pub pre_depends: Vec<Vec<Relation>>,
    pub recommends: Vec<Vec<Relation>>,
    pub provides: Vec<String>,
    pub conflicts: Vec<String>,
    /// The relation fields as the archive writes them, for `apt-cache show` and dpkg's
    /// status.
    pub raw_depends: String,
    pub raw_pre_depends: String,
    pub raw_recommends: String,
    /// Programs in `bin/`, `sbin/`, `usr/bin/`, `usr/sbin/`.
    pub programs: Vec<String>,
    pub description: String,
}

/// FNV-1a (32 bits) of a name: which shard holds it.
pub fn shard_of(name: &str) -> u32 {
    let mut h: u32 = 0x811C_9DC5;
    for b in name.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    h % SHARDS
}

/// `libc6 (>= 2.34), awk | mawk:any` → alternatives of relations (architecture
/// qualifiers dropped).
pub fn parse_relations(field: &str) -> Vec<Vec<Relation>> {
    field
        .split(',')
        .map(|group| {
            group
                .split('|')
                .filter_map(|alt| {
                    let alt = alt.trim();
                    let (name, rest) = alt.split_once(char::is_whitespace).map_or((alt, ""), |(n, r)| (n, r));
                    let name = name.split(':').next().unwrap_or(name).trim();
                    if name.is_empty() {
                        return None;
                    }
                    let constraint = rest.trim().strip_prefix('(').and_then(|c| c.split(')').next()).map(|c| c.trim().to_string());
                    Some(Relation { name: name.to_string(), constraint })
                })
                .collect::<Vec<_>>()
        })
        .filter(|g| !g.is_empty())
        .collect()
}

fn parse_line(line: &str) -> Option<DebPackage> {
    let f: Vec<&str> = line.split('\t').collect();
    if f.len() < 14 {
        return None;
    }
    let names = |s: &str| s.split(',').map(|p| p.split('(').next().unwrap_or("").trim().split(':').next().unwrap_or("").to_string()).filter(|p| !p.is_empty()).collect();
    Some(DebPackage {
        name: f[0].to_string(),
        version: f[1].to_string(),
        section: f[2].to_string(),
        priority: f[3].to_string(),
        essential: f[4] == "yes",
        installed_kb: f[5].parse().unwrap_or(0),
        size: f[6].parse().unwrap_or(0),
        depends: parse_relations(f[7]),
        pre_depends: parse_relations(f[8]),
        recommends: parse_relations(f[9]),
        provides: names(f[10]),
        conflicts: names(f[11]),
        raw_depends: f[7].to_string(),
        raw_pre_depends: f[8].to_string(),
        raw_recommends: f[9].to_string(),
        programs: f[12].split_whitespace().map(str::to_string).collect(),
        description: f[13].to_string(),
    })
}

type Shard = Rc<BTreeMap<String, DebPackage>>;
/// Virtual package → the packages that provide it.
type Provides = Rc<BTreeMap<String, Vec<String>>>;

thread_local! {
    /// Shards read so far: (release, shard) → packages.
    static SHARDS_READ: RefCell<BTreeMap<(String, u32), Option<Shard>>> = const { RefCell::new(BTreeMap::new()) };
    static PROVIDES: RefCell<BTreeMap<String, Option<Provides>>> = const { RefCell::new(BTreeMap::new()) };
}

fn fetch(path: &str) -> Option<std::sync::Arc<Vec<u8>>> {
    let machine = crate::wasi::machine()?;
    (machine.indexes)(&format!("debian/{path}"))
}

fn shard(release: &str, n: u32) -> Option<Shard> {
    if let Some(s) = SHARDS_READ.with(|m| m.borrow().get(&(release.to_string(), n)).cloned()) {
        return s;
    }
    let parsed = fetch(&format!("{release}/{n:02}.tsv")).map(|data| {
        let text = String::from_utf8_lossy(&data);
        Rc::new(text.lines().filter_map(parse_line).map(|p| (p.name.clone(), p)).collect::<BTreeMap<_, _>>())
    });
    SHARDS_READ.with(|m| m.borrow_mut().insert((release.to_string(), n), parsed.clone()));
    parsed
}

thread_local! {
    static CURATED_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Makes apt on this thread use the curated index even where the generated one is
/// present: snapshot tests whose output must not follow the archive's updates.
pub fn curated_only(on: bool) {
    CURATED_ONLY.with(|c| c.set(on));
}

/// Whether the generated index covers `release` here.
pub fn available(release: &str) -> bool {
    !CURATED_ONLY.with(|c| c.get()) && RELEASES.contains(&release) && shard(release, 0).is_some()
}

/// A package of `release` by name.
pub fn lookup(release: &str, name: &str) -> Option<DebPackage> {
    shard(release, shard_of(name))?.get(name).cloned()
}

/// The packages that provide a virtual package.
pub fn providers(release: &str, name: &str) -> Vec<String> {
    let table = PROVIDES.with(|m| m.borrow().get(release).cloned()).unwrap_or_else(|| {
        let parsed = fetch(&format!("{release}/provides.tsv")).map(|data| {
            Rc::new(String::from_utf8_lossy(&data).lines().filter_map(|l| l.split_once('\t')).map(|(v, p)| (v.to_string(), p.split_whitespace().map(str::to_string).collect())).collect::<BTreeMap<_, _>>())
        });
        PROVIDES.with(|m| m.borrow_mut().insert(release.to_string(), parsed.clone()));
        parsed
    });
    table.and_then(|t| t.get(name).cloned()).unwrap_or_default()
}

/// Every package of `release` whose name or description contains `pattern` (reads
/// every shard: `apt-cache search`).
pub fn search(release: &str, pattern: &str) -> Vec<DebPackage> {
    let mut out = Vec::new();
    for n in 0..SHARDS {
        if let Some(s) = shard(release, n) {
            out.extend(s.values().filter(|p| p.name.contains(pattern) || p.description.to_lowercase().contains(&pattern.to_lowercase())).cloned());
        }
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// Where the generated index is on this machine: `BERTH_DEBIAN_INDEX`, or the newest
/// `debian-index-*` in the cache; `BERTH_DEBIAN_INDEX=none` turns it off (apt then
/// uses the curated index).
#[cfg(not(target_arch = "wasm32"))]
pub fn native_dir() -> Option<std::path::PathBuf> {
    if let Some(dir) = std::env::var_os("BERTH_DEBIAN_INDEX") {
        return (dir != "none").then(|| std::path::PathBuf::from(dir));
    }
    crate::wasi::newest_in_cache("debian-index-", "done")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_and_relations_read_as_the_generator_writes_them() {
        // The generator's Python computes the same hash (scripts/debian-index).
        assert_eq!(shard_of(""), 0x811C_9DC5 % SHARDS);
        assert_eq!(shard_of("a"), 0xE40C_292C % SHARDS);
        let rel = parse_relations("libc6 (>= 2.34), awk | mawk:any, perl:any");
        assert_eq!(rel.len(), 3);
        assert_eq!(rel[0], vec![Relation { name: "libc6".into(), constraint: Some(">= 2.34".into()) }]);
        assert_eq!(rel[1].iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["awk", "mawk"]);
        assert_eq!(rel[2][0].name, "perl");
        let p = parse_line("curl\t7.88.1-10+deb12u8\tweb\toptional\t\t500\t315000\tlibc6 (>= 2.34), libcurl4 (= 7.88.1-10+deb12u8)\t\t\t\t\tcurl\tcommand line tool for transferring data with URL syntax").unwrap();
        assert_eq!((p.name.as_str(), p.installed_kb, p.programs.as_slice()), ("curl", 500, ["curl".to_string()].as_slice()));
        assert_eq!(p.depends[1][0].name, "libcurl4");
    }
}
