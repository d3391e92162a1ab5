//! `apk` over Berth's offline Alpine index (`engine/catalog/alpine.json`): `update`
//! (indexes under `/var/cache/apk`), `add` (with `--no-cache`, `--update`, `--virtual`),
//! `del`, `info` and `list --installed`, with apk's wording. Without `--no-cache` or a
//! prior `update`, `add` finds no index, as in the official images.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::Deserialize;

use super::python::{put_content, put_text};
use crate::shell::applets::Ctx;
use crate::vfs::{Attrs, Content, FileSystem};

#[derive(Deserialize)]
struct Index {
    packages: BTreeMap<String, Package>,
}

#[derive(Deserialize)]
struct Package {
    version: String,
    /// [download kB, installed kB].
    size: [u64; 2],
    #[serde(default)]
    depends: Vec<String>,
    #[serde(default)]
    programs: Vec<String>,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| serde_json::from_str(include_str!("../../../catalog/alpine.json")).unwrap_or(Index { packages: BTreeMap::new() }))
}

const INSTALLED: &str = "/lib/apk/db/installed";
const WORLD: &str = "/etc/apk/world";
const CACHE: &str = "/var/cache/apk";

fn repositories(fs: &dyn FileSystem) -> Vec<String> {
    let text = fs.read("/etc/apk/repositories").map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string).collect()
}

fn installed(fs: &dyn FileSystem) -> BTreeMap<String, String> {
    let text = fs.read(INSTALLED).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    let mut out = BTreeMap::new();
    for stanza in text.split("\n\n") {
        let field = |k: &str| stanza.lines().find_map(|l| l.strip_prefix(k)).map(str::to_string);
        if let (Some(p), Some(v)) = (field("P:"), field("V:")) {
            out.insert(p, v);
        }
    }
    out
}

fn index_cached(fs: &dyn FileSystem) -> bool {
    fs.read_dir(CACHE).is_ok_and(|v| v.iter().any(|e| e.name.starts_with("APKINDEX.")))
}

fn fetch_lines(ctx: &mut Ctx) {
    for repo in repositories(&*ctx.fs) {
        ctx.out(&format!("fetch {repo}/x86_64/APKINDEX.tar.gz\n"));
    }
}

pub fn run(args: &[String], ctx: &mut Ctx) -> i32 {
    let mut no_cache = false;
    let mut update = false;
    let mut virtual_name = None;
    let mut extra_repos: Vec<String> = Vec::new();
    let mut words = Vec::new();
    let mut i = 0;
    while let Some(a) = args.get(i) {
        i += 1;
        match a.as_str() {
            "--no-cache" => no_cache = true,
            "-U" | "--update" | "--update-cache" => update = true,
            "-t" | "--virtual" => {
                virtual_name = args.get(i).cloned();
                i += 1;
            }
            // A repository for this command only: Berth has the curated index of the
            // image's own repositories, and no network to fetch another's from, so apk
            // says what it says when a repository cannot be reached and goes on without it.
            "-X" | "--repository" => {
                let Some(url) = args.get(i).cloned() else {
                    ctx.err("apk: option requires an argument -- 'X'\n");
                    return 1;
                };
                i += 1;
                extra_repos.push(url);
            }
            a if a.starts_with("--repository=") => extra_repos.push(a["--repository=".len()..].to_string()),
            "-q" | "--quiet" | "-v" | "--no-progress" | "--clean-protected" | "--purge" => {}
            a if a.starts_with('-') => {
                ctx.err(&format!("apk: unrecognized option: {}\n", a.trim_start_matches('-')));
                return 1;
            }
            w => words.push(w.to_string()),
        }
    }
    let Some(command) = words.first().cloned() else {
        ctx.out("apk-tools 2.14.4, compiled for x86_64.\n\nusage: apk [<OPTIONS>...] COMMAND [<ARGUMENTS>...]\n");
        return 1;
    };
    let operands = &words[1..];
    for repo in &extra_repos {
        ctx.err(&format!("WARNING: fetching {}/x86_64/APKINDEX.tar.gz: temporary error (try again later)\n", repo.trim_end_matches('/')));
    }
    if matches!(command.as_str(), "add" | "del" | "update" | "upgrade") && ctx.uid != 0 {
        ctx.err("ERROR: Unable to lock database: Permission denied\nERROR: Failed to open apk database: Permission denied\n");
        return 99;
    }
    match command.as_str() {
        "update" => {
            fetch_lines(ctx);
            write_indexes(ctx);
            for repo in repositories(&*ctx.fs) {
                ctx.out(&format!("v3.20.3-180-g4e51b6a1a0b [{repo}]\n"));
            }
            ctx.out("OK: 24163 distinct packages available\n");
            0
        }
        "add" => add(ctx, operands, no_cache, update, virtual_name),
        "del" => del(ctx, operands),
        "info" => {
            for (name, version) in installed(&*ctx.fs) {
                if operands.is_empty() {
                    ctx.out(&format!("{name}\n"));
                } else if operands.contains(&name) {
                    ctx.out(&format!("{name}-{version} description:\n{name}\n\n"));
                }
            }
            0
        }
        "list" => {
            for (name, version) in installed(&*ctx.fs) {
                ctx.out(&format!("{name}-{version} x86_64 {{{name}}} [installed]\n"));
            }
            0
        }
        other => {
            ctx.err(&format!("apk: unknown command '{other}'\n"));
            1
        }
    }
}

fn write_indexes(ctx: &mut Ctx) {
    let _ = ctx.fs.create_dir_all(CACHE, 0o755);
    for (i, repo) in repositories(&*ctx.fs).iter().enumerate() {
        let size = if repo.ends_with("/main") { 480_000 } else { 1_800_000 };
        let _ = ctx.fs.put_file(&format!("{CACHE}/APKINDEX.{:08x}.tar.gz", 0x3c9f_a8e1u32.wrapping_add(i as u32 * 0x1111)), Content::lazy(size, "modelled:APKINDEX"), Attrs::mode(0o644));
    }
}

fn add(ctx: &mut Ctx, names: &[String], no_cache: bool, update: bool, virtual_name: Option<String>) -> i32 {
    if no_cache || update {
        fetch_lines(ctx);
        if update && !no_cache {
            write_indexes(ctx);
        }
    } else if !index_cached(&*ctx.fs) {
        for repo in repositories(&*ctx.fs) {
            ctx.err(&format!("WARNING: opening from cache {repo}: No such file or directory\n"));
        }
    }
    let have_index = no_cache || update || index_cached(&*ctx.fs);
    let index = index();
    let requested: Vec<String> = names.iter().map(|n| n.split(['=', '<', '>', '~']).next().unwrap_or(n).to_string()).collect();
    let missing: Vec<&String> = requested.iter().filter(|n| !have_index || !index.packages.contains_key(n.as_str())).collect();
    if !missing.is_empty() {
        ctx.err("ERROR: unable to select packages:\n");
        for m in missing {
            ctx.err(&format!("  {m} (no such package):\n    required by: world[{m}]\n"));
        }
        return 1;
    }
    let have = installed(&*ctx.fs);
    let mut order = Vec::new();
    let mut seen = BTreeSet::new();
    fn visit(n: &str, index: &Index, have: &BTreeMap<String, String>, seen: &mut BTreeSet<String>, order: &mut Vec<String>) {
        if have.contains_key(n) || !seen.insert(n.to_string()) {
            return;
        }
        if let Some(p) = index.packages.get(n) {
            for d in &p.depends {
                visit(d, index, have, seen, order);
            }
            order.push(n.to_string());
        }
    }
    for r in &requested {
        visit(r, index, &have, &mut seen, &mut order);
    }
    let total = order.len() + usize::from(virtual_name.is_some());
    let mut db = ctx.fs.read(INSTALLED).unwrap_or_default();
    for (i, n) in order.iter().enumerate() {
        let p = &index.packages[n];
        ctx.out(&format!("({}/{total}) Installing {n} ({})\n", i + 1, p.version));
        if let Err(e) = write_package(ctx.fs, n, p) {
            ctx.err(&format!("ERROR: {n}-{}: {e}\n", p.version));
            return 1;
        }
        db.extend_from_slice(format!("C:Q1berthcatalog{n}=\nP:{n}\nV:{}\nA:x86_64\nI:{}\nT:{n} (modelled by Berth)\nD:{}\n\n", p.version, p.size[1] * 1024, p.depends.join(" ")).as_bytes());
    }
    if let Some(v) = &virtual_name {
        ctx.out(&format!("({total}/{total}) Installing {v} (20241123.000000)\n"));
        db.extend_from_slice(format!("P:{v}\nV:20241123.000000\nA:noarch\nD:{}\n\n", requested.join(" ")).as_bytes());
    }
    if order.iter().any(|n| n == "ca-certificates") {
        ctx.out("Executing ca-certificates-20240705-r0.trigger\n");
    }
    if !order.is_empty() {
        ctx.out("Executing busybox-1.36.1-r29.trigger\n");
    }
    let _ = ctx.fs.write(INSTALLED, &db);
    let mut world: Vec<String> = String::from_utf8_lossy(&ctx.fs.read(WORLD).unwrap_or_default()).lines().map(str::to_string).collect();
    match &virtual_name {
        Some(v) => world.push(v.clone()),
        None => world.extend(names.iter().cloned()),
    }
    world.sort();
    world.dedup();
    let _ = ctx.fs.write(WORLD, format!("{}\n", world.join("\n")).as_bytes());
    let all = installed(&*ctx.fs);
    let kb: u64 = 7_800 + all.keys().filter_map(|n| index.packages.get(n)).map(|p| p.size[1]).sum::<u64>();
    ctx.out(&format!("OK: {} MiB in {} packages\n", kb / 1024, all.len()));
    0
}

fn write_package(fs: &mut dyn FileSystem, name: &str, p: &Package) -> crate::vfs::FsResult<()> {
    for prog in &p.programs {
        put_content(fs, &format!("/usr/bin/{prog}"), Content::lazy(150_000, &format!("exec:{prog}")), 0o755)?;
    }
    put_text(fs, &format!("/usr/share/apk/{name}/.modelled"), &format!("{name}-{}: contents modelled by Berth\n", p.version), 0o644)?;
    fs.put_file(&format!("/usr/lib/{name}.modelled"), Content::lazy(p.size[1] * 1024, &format!("modelled:apk:{name}")), Attrs::mode(0o644))
}

fn del(ctx: &mut Ctx, names: &[String]) -> i32 {
    let have = installed(&*ctx.fs);
    let text = String::from_utf8_lossy(&ctx.fs.read(INSTALLED).unwrap_or_default()).into_owned();
    let mut kept = Vec::new();
    let mut n = 0;
    let gone: Vec<&String> = names.iter().filter(|x| have.contains_key(*x)).collect();
    for stanza in text.split("\n\n").filter(|s| !s.trim().is_empty()) {
        let name = stanza.lines().find_map(|l| l.strip_prefix("P:")).unwrap_or("");
        if gone.iter().any(|g| g.as_str() == name) {
            n += 1;
            ctx.out(&format!("({n}/{}) Purging {name} ({})\n", gone.len(), have[name]));
            let _ = ctx.fs.remove_file(&format!("/usr/lib/{name}.modelled"));
            if let Some(p) = index().packages.get(name) {
                for prog in &p.programs {
                    let _ = ctx.fs.remove_file(&format!("/usr/bin/{prog}"));
                }
            }
        } else {
            kept.push(stanza.to_string());
        }
    }
    let _ = ctx.fs.write(INSTALLED, format!("{}\n\n", kept.join("\n\n")).as_bytes());
    let world: Vec<String> = String::from_utf8_lossy(&ctx.fs.read(WORLD).unwrap_or_default()).lines().filter(|l| !names.iter().any(|n| n == l)).map(str::to_string).collect();
    let _ = ctx.fs.write(WORLD, format!("{}\n", world.join("\n")).as_bytes());
    ctx.out(&format!("OK: {} MiB in {} packages\n", 8, installed(&*ctx.fs).len()));
    0
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_index_parses_and_is_closed_under_dependencies() {
        let index: super::Index = serde_json::from_str(include_str!("../../../catalog/alpine.json")).expect("alpine.json parses");
        for (name, p) in &index.packages {
            for d in &p.depends {
                assert!(index.packages.contains_key(d), "{name} depends on {d}, which the index lacks");
            }
        }
    }
}
