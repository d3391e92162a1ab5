//! `apt-get` and `apt` over Berth's offline Debian/Ubuntu index
//! (`engine/catalog/debian.json`): `update` (package lists under `/var/lib/apt/lists`),
//! `install` (dependencies, recommends unless `--no-install-recommends`, the
//! `Do you want to continue?` prompt, `-y`), `remove`/`purge`, `clean`, and `apt list
//! --installed`, with apt's wording and exit codes. Installed packages are recorded in
//! `/var/lib/dpkg/status` as dpkg records them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::Deserialize;

use super::pip::size_text;
use super::python::{put_content, put_text};
use crate::shell::applets::Ctx;
use crate::vfs::{Attrs, Content, FileSystem};

#[derive(Deserialize)]
struct Index {
    archives: BTreeMap<String, String>,
    packages: BTreeMap<String, Package>,
}

#[derive(Deserialize)]
struct Package {
    /// Release codename → version.
    versions: BTreeMap<String, String>,
    /// [download kB, installed kB].
    size: [u64; 2],
    #[serde(default)]
    depends: Vec<String>,
    #[serde(default)]
    recommends: Vec<String>,
    #[serde(default)]
    programs: Vec<String>,
    #[serde(default)]
    section: String,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| serde_json::from_str(include_str!("../../../catalog/debian.json")).unwrap_or(Index { archives: BTreeMap::new(), packages: BTreeMap::new() }))
}

const STATUS: &str = "/var/lib/dpkg/status";
const LISTS: &str = "/var/lib/apt/lists";

fn codename(fs: &dyn FileSystem) -> String {
    let text = fs.read("/etc/os-release").map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    text.lines().find_map(|l| l.strip_prefix("VERSION_CODENAME=")).map(|v| v.trim_matches('"').to_string()).filter(|v| !v.is_empty()).unwrap_or_else(|| "bookworm".into())
}

/// Packages dpkg has installed, with versions.
fn installed(fs: &dyn FileSystem) -> BTreeMap<String, String> {
    let text = fs.read(STATUS).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    let mut out = BTreeMap::new();
    for stanza in text.split("\n\n") {
        let field = |k: &str| stanza.lines().find_map(|l| l.strip_prefix(k)).map(|v| v.trim().to_string());
        if let (Some(name), Some(version)) = (field("Package:"), field("Version:")) {
            if field("Status:").is_none_or(|s| s.ends_with(" installed")) {
                out.insert(name, version);
            }
        }
    }
    out
}

fn lists_present(fs: &dyn FileSystem) -> bool {
    fs.read_dir(LISTS).is_ok_and(|v| v.iter().any(|e| e.name.ends_with("_Packages.lz4")))
}

/// apt's `Do you want to continue? [Y/n]`, answered from stdin; no answer aborts, as it
/// does when apt reads end-of-file.
fn confirm(ctx: &mut Ctx) -> bool {
    ctx.out("Do you want to continue? [Y/n] ");
    let answer = String::from_utf8_lossy(&ctx.stdin).lines().next().map(|l| l.trim().to_lowercase());
    let yes = matches!(answer.as_deref(), Some("" | "y" | "yes"));
    if !yes {
        ctx.out("Abort.\n");
    }
    yes
}

/// `apt-get ARGS…` (`modern` for `apt`, which warns in scripts and prints progress
/// differently).
pub fn run(args: &[String], modern: bool, ctx: &mut Ctx) -> i32 {
    let prog = if modern { "apt" } else { "apt-get" };
    let mut yes = false;
    let mut no_recommends = false;
    let mut quiet = 0;
    let mut words = Vec::new();
    for a in args {
        match a.as_str() {
            "-y" | "--yes" | "--assume-yes" => yes = true,
            "-q" | "--quiet" => quiet += 1,
            "-qq" => quiet += 2,
            "--no-install-recommends" => no_recommends = true,
            "-o" | "--fix-missing" | "-f" | "--no-install-suggests" | "--allow-unauthenticated" => {}
            a if a.starts_with("-o") || a.starts_with("--option") => {}
            a if a.starts_with('-') && a.len() > 1 && !a.starts_with("--") && a[1..].chars().all(|c| "yqf".contains(c)) => {
                yes |= a.contains('y');
                quiet += a.matches('q').count();
            }
            a if a.starts_with('-') => {
                ctx.err(&format!("E: Command line option '{a}' is not understood in combination with the other options.\n"));
                return 100;
            }
            w => words.push(w.to_string()),
        }
    }
    if modern {
        ctx.err("\nWARNING: apt does not have a stable CLI interface. Use with caution in scripts.\n\n");
    }
    let Some(command) = words.first().cloned() else {
        ctx.err(&format!("{prog}: missing command\nUsage: {prog} [options] command\n"));
        return 1;
    };
    let operands = &words[1..];
    let needs_root = matches!(command.as_str(), "update" | "install" | "remove" | "purge" | "upgrade" | "clean" | "autoremove" | "dist-upgrade");
    if needs_root && ctx.uid != 0 {
        if command == "update" {
            ctx.out("Reading package lists...\n");
            ctx.err("E: Could not open lock file /var/lib/apt/lists/lock - open (13: Permission denied)\nE: Unable to lock directory /var/lib/apt/lists/\n");
        } else {
            ctx.err("E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), are you root?\n");
        }
        return 100;
    }
    match command.as_str() {
        "update" => update(ctx, quiet),
        "install" => install(ctx, operands, yes, no_recommends, quiet),
        "remove" | "purge" | "autoremove" => remove(ctx, operands, yes, command == "purge"),
        "upgrade" | "dist-upgrade" => {
            header(ctx, quiet);
            ctx.out("Calculating upgrade...\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n");
            0
        }
        "clean" | "autoclean" => {
            for dir in ["/var/cache/apt/archives"] {
                for e in ctx.fs.read_dir(dir).unwrap_or_default() {
                    if e.name.ends_with(".deb") {
                        let _ = ctx.fs.remove_file(&format!("{dir}/{}", e.name));
                    }
                }
            }
            for f in ["/var/cache/apt/pkgcache.bin", "/var/cache/apt/srcpkgcache.bin"] {
                let _ = ctx.fs.remove_file(f);
            }
            0
        }
        "list" if modern => {
            ctx.out("Listing...\n");
            for (name, version) in installed(&*ctx.fs) {
                if operands.iter().any(|o| o == "--installed") || operands.is_empty() || operands.iter().any(|o| o == &name) {
                    ctx.out(&format!("{name}/now {version} amd64 [installed,local]\n"));
                }
            }
            0
        }
        "show" | "policy" | "search" => cache(&words, ctx),
        other => {
            ctx.err(&format!("E: Invalid operation {other}\n"));
            100
        }
    }
}

/// `apt-cache show|policy|search`, answered from the lists `update` fetched.
pub fn cache(words: &[String], ctx: &mut Ctx) -> i32 {
    let Some(command) = words.first() else {
        ctx.err("E: No operation specified\n");
        return 100;
    };
    let names = &words[1..];
    let index = index();
    let release = codename(&*ctx.fs);
    let lists = lists_present(&*ctx.fs);
    let have = installed(&*ctx.fs);
    let base = index.archives.get(&release).cloned().unwrap_or_else(|| "http://deb.debian.org/debian".into());
    let known = |n: &str| if lists { index.packages.get(n) } else { None };
    match command.as_str() {
        "show" => {
            let mut status = 0;
            for n in names {
                let Some(p) = known(n) else {
                    ctx.err("E: No packages found\n");
                    status = 100;
                    continue;
                };
                let v = p.versions.get(&release).cloned().unwrap_or_default();
                let mut text = format!("Package: {n}\nVersion: {v}\nInstalled-Size: {}\nArchitecture: amd64\n", p.size[1]);
                if !p.depends.is_empty() {
                    text.push_str(&format!("Depends: {}\n", p.depends.join(", ")));
                }
                if !p.recommends.is_empty() {
                    text.push_str(&format!("Recommends: {}\n", p.recommends.join(", ")));
                }
                text.push_str(&format!("Section: {}\nPriority: optional\nFilename: pool/main/{}/{n}/{n}_{}_amd64.deb\nSize: {}\nDescription: {n} (modelled by Berth)\n\n", p.section, &n[..1], v.split(':').next_back().unwrap_or(&v), p.size[0] * 1024));
                ctx.out(&text);
            }
            status
        }
        "policy" => {
            for n in names {
                let Some(p) = known(n) else {
                    ctx.err(&format!("N: Unable to locate package {n}\n"));
                    continue;
                };
                let v = p.versions.get(&release).cloned().unwrap_or_default();
                let inst = have.get(n).cloned().unwrap_or_else(|| "(none)".into());
                ctx.out(&format!("{n}:\n  Installed: {inst}\n  Candidate: {v}\n  Version table:\n     {v} 500\n        500 {base} {release}/main amd64 Packages\n"));
            }
            0
        }
        "search" => {
            let pattern = names.first().cloned().unwrap_or_default();
            for n in index.packages.keys().filter(|n| lists && n.contains(pattern.as_str())) {
                ctx.out(&format!("{n} - {n} (modelled by Berth)\n"));
            }
            0
        }
        other => {
            ctx.err(&format!("E: Invalid operation {other}\n"));
            100
        }
    }
}

fn header(ctx: &mut Ctx, quiet: usize) {
    if quiet < 2 {
        ctx.out("Reading package lists...\nBuilding dependency tree...\nReading state information...\n");
    }
}

fn update(ctx: &mut Ctx, quiet: usize) -> i32 {
    let release = codename(&*ctx.fs);
    let ubuntu = index().archives.get(&release).is_some_and(|a| a.contains("ubuntu"));
    let base = index().archives.get(&release).cloned().unwrap_or_else(|| "http://deb.debian.org/debian".into());
    let suites: Vec<(String, String, u64, u64)> = if ubuntu {
        vec![(base.clone(), release.clone(), 270, 17_500), (base.clone(), format!("{release}-updates"), 128, 2_700), (base.replace("archive.", "security."), format!("{release}-security"), 129, 2_400)]
    } else {
        vec![(base.clone(), release.clone(), 151, 8_792), (base.clone(), format!("{release}-updates"), 55, 13), (base.replace("/debian", "/debian-security"), format!("{release}-security"), 48, 243)]
    };
    let mut n = 0;
    let mut total = 0;
    let mut lines = String::new();
    for (url, suite, release_kb, _) in &suites {
        n += 1;
        total += release_kb;
        lines.push_str(&format!("Get:{n} {url} {suite} InRelease [{}]\n", size_text(*release_kb)));
    }
    for (url, suite, _, packages_kb) in &suites {
        n += 1;
        total += packages_kb;
        lines.push_str(&format!("Get:{n} {url} {suite}/main amd64 Packages [{}]\n", size_text(*packages_kb)));
    }
    let _ = ctx.fs.create_dir_all(&format!("{LISTS}/partial"), 0o700);
    for (url, suite, release_kb, packages_kb) in &suites {
        let prefix = format!("{}_dists_{suite}", url.trim_start_matches("http://").replace('/', "_"));
        let _ = ctx.fs.put_file(&format!("{LISTS}/{prefix}_InRelease"), Content::lazy(release_kb * 1024, "modelled:apt-release"), Attrs::mode(0o644));
        // Lists are stored lz4-compressed, about four times the download.
        let _ = ctx.fs.put_file(&format!("{LISTS}/{prefix}_main_binary-amd64_Packages.lz4"), Content::lazy(packages_kb * 1024 * 4, "modelled:apt-lists"), Attrs::mode(0o644));
    }
    if quiet == 0 {
        ctx.out(&lines);
        ctx.out(&format!("Fetched {} in 1s ({}/s)\n", size_text(total), size_text(total)));
    }
    if quiet < 2 {
        ctx.out("Reading package lists...\n");
    }
    0
}

fn install(ctx: &mut Ctx, names: &[String], yes: bool, no_recommends: bool, quiet: usize) -> i32 {
    header(ctx, quiet);
    if names.is_empty() {
        ctx.out("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n");
        return 0;
    }
    let index = index();
    let release = codename(&*ctx.fs);
    let have = installed(&*ctx.fs);
    let lists = lists_present(&*ctx.fs);
    // Requested packages, then what they pull in.
    let mut missing = Vec::new();
    for n in names {
        let name = n.split('=').next().unwrap_or(n);
        // apt knows what dpkg has installed even without lists.
        if !have.contains_key(name) && (!lists || !index.packages.contains_key(name)) {
            missing.push(name.to_string());
        }
    }
    if !missing.is_empty() {
        for m in &missing {
            ctx.err(&format!("E: Unable to locate package {m}\n"));
        }
        return 100;
    }
    let mut order: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    fn visit(name: &str, index: &Index, no_recommends: bool, have: &BTreeMap<String, String>, seen: &mut BTreeSet<String>, order: &mut Vec<String>) {
        if have.contains_key(name) || !seen.insert(name.to_string()) {
            return;
        }
        let Some(p) = index.packages.get(name) else { return };
        for d in &p.depends {
            visit(d, index, no_recommends, have, seen, order);
        }
        if !no_recommends {
            for d in &p.recommends {
                visit(d, index, no_recommends, have, seen, order);
            }
        }
        order.push(name.to_string());
    }
    let requested: Vec<String> = names.iter().map(|n| n.split('=').next().unwrap_or(n).to_string()).collect();
    for r in &requested {
        if let Some(v) = have.get(r) {
            ctx.out(&format!("{r} is already the newest version ({v}).\n"));
        }
        visit(r, index, no_recommends, &have, &mut seen, &mut order);
    }
    if order.is_empty() {
        ctx.out("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n");
        return 0;
    }
    let mut sorted = order.clone();
    sorted.sort();
    let extra: Vec<&String> = sorted.iter().filter(|n| !requested.contains(n)).collect();
    if !extra.is_empty() {
        ctx.out(&format!("The following additional packages will be installed:\n{}", wrap(&extra)));
    }
    if no_recommends {
        let skipped: BTreeSet<&String> = order.iter().filter_map(|n| index.packages.get(n)).flat_map(|p| p.recommends.iter()).filter(|r| !have.contains_key(*r) && !order.contains(r)).collect();
        if !skipped.is_empty() {
            ctx.out(&format!("Recommended packages:\n{}", wrap(&skipped.into_iter().collect::<Vec<_>>())));
        }
    }
    ctx.out(&format!("The following NEW packages will be installed:\n{}", wrap(&sorted.iter().collect::<Vec<_>>())));
    let version = |n: &str| index.packages[n].versions.get(&release).cloned().or_else(|| index.packages[n].versions.values().next().cloned()).unwrap_or_default();
    let download: u64 = order.iter().map(|n| index.packages[n].size[0]).sum();
    let disk: u64 = order.iter().map(|n| index.packages[n].size[1]).sum();
    ctx.out(&format!(
        "0 upgraded, {} newly installed, 0 to remove and 0 not upgraded.\nNeed to get {} of archives.\nAfter this operation, {} of additional disk space will be used.\n",
        order.len(),
        size_text(download),
        size_text(disk)
    ));
    if !extra.is_empty() && !yes && !confirm(ctx) {
        return 1;
    }
    let base = index.archives.get(&release).cloned().unwrap_or_else(|| "http://deb.debian.org/debian".into());
    for (i, n) in order.iter().enumerate() {
        let p = &index.packages[n];
        ctx.out(&format!("Get:{} {base} {release}/main amd64 {n} amd64 {} [{}]\n", i + 1, version(n), size_text(p.size[0])));
    }
    ctx.out(&format!("debconf: delaying package configuration, since apt-utils is not installed\nFetched {} in 1s ({}/s)\n", size_text(download), size_text(download)));
    let mut status = ctx.fs.read(STATUS).unwrap_or_default();
    for (i, n) in order.iter().enumerate() {
        let v = version(n);
        if i == 0 {
            ctx.out(&format!("Selecting previously unselected package {n}.\n(Reading database ... {} files and directories currently installed.)\n", 4000 + have.len() * 60));
        } else {
            ctx.out(&format!("Selecting previously unselected package {n}.\n"));
        }
        ctx.out(&format!("Preparing to unpack .../{i:02}-{n}_{}_amd64.deb ...\nUnpacking {n} ({v}) ...\n", v.split(':').next_back().unwrap_or(&v)));
        if let Err(e) = write_package(ctx.fs, n, &v, &index.packages[n]) {
            ctx.err(&format!("dpkg: error processing archive {n}: {e}\nE: Sub-process /usr/bin/dpkg returned an error code (1)\n"));
            return 100;
        }
        if !status.is_empty() && !status.ends_with(b"\n\n") {
            status.extend_from_slice(b"\n");
        }
        let p = &index.packages[n];
        let depends = if p.depends.is_empty() { String::new() } else { format!("Depends: {}\n", p.depends.join(", ")) };
        status.extend_from_slice(
            format!("Package: {n}\nStatus: install ok installed\nPriority: optional\nSection: {}\nInstalled-Size: {}\nArchitecture: amd64\nVersion: {v}\n{depends}Description: {n} (modelled by Berth)\n\n", p.section, p.size[1]).as_bytes(),
        );
    }
    for n in &order {
        ctx.out(&format!("Setting up {n} ({}) ...\n", version(n)));
    }
    if let Some(libc) = have.get("libc-bin") {
        ctx.out(&format!("Processing triggers for libc-bin ({libc}) ...\n"));
    }
    if let Err(e) = ctx.fs.write(STATUS, &status) {
        ctx.err(&format!("E: {e}\n"));
        return 100;
    }
    0
}

/// apt's two-space indented, 80-column package list.
fn wrap(names: &[&String]) -> String {
    let mut out = String::new();
    let mut line = String::from(" ");
    for n in names {
        if line.len() + n.len() + 1 > 79 && line.len() > 1 {
            out.push_str(&line);
            out.push('\n');
            line = String::from(" ");
        }
        line.push(' ');
        line.push_str(n);
    }
    out.push_str(&line);
    out.push('\n');
    out
}

fn write_package(fs: &mut dyn FileSystem, name: &str, version: &str, p: &Package) -> crate::vfs::FsResult<()> {
    let mut files = vec![format!("/usr/share/doc/{name}/copyright")];
    put_text(fs, &files[0], &format!("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: {name}\nComment: modelled by Berth; version {version}\n"), 0o644)?;
    for prog in &p.programs {
        let path = format!("/usr/bin/{prog}");
        put_content(fs, &path, Content::lazy(200_000, &format!("exec:{prog}")), 0o755)?;
        files.push(path);
    }
    // The interpreter's library directory, where `python3` finds its installation.
    if name == "python3-minimal" {
        let xy: String = version.split(['-', '+']).next().unwrap_or("").split('.').take(2).collect::<Vec<_>>().join(".");
        for dir in [format!("/usr/lib/python{xy}"), "/usr/lib/python3/dist-packages".to_string()] {
            fs.create_dir_all(&dir, 0o755)?;
        }
        let os_py = format!("/usr/lib/python{xy}/os.py");
        fs.put_file(&os_py, Content::lazy(39_000, "modelled:deb:python3-minimal"), Attrs::mode(0o644))?;
        files.push(os_py);
    }
    let payload = format!("/usr/lib/x86_64-linux-gnu/{name}.modelled");
    fs.create_dir_all("/usr/lib/x86_64-linux-gnu", 0o755)?;
    fs.put_file(&payload, Content::lazy(p.size[1] * 1024, &format!("modelled:deb:{name}")), Attrs::mode(0o644))?;
    files.push(payload);
    let list: String = files.iter().map(|f| format!("{f}\n")).collect();
    put_text(fs, &format!("/var/lib/dpkg/info/{name}.list"), &list, 0o644)
}

fn remove(ctx: &mut Ctx, names: &[String], yes: bool, purge: bool) -> i32 {
    header(ctx, 0);
    let have = installed(&*ctx.fs);
    let mut gone = Vec::new();
    for n in names {
        if have.contains_key(n) {
            gone.push(n.clone());
        } else if index().packages.contains_key(n) || lists_present(&*ctx.fs) {
            ctx.out(&format!("Package '{n}' is not installed, so not removed\n"));
        } else {
            ctx.err(&format!("E: Unable to locate package {n}\n"));
            return 100;
        }
    }
    if gone.is_empty() {
        ctx.out("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n");
        return 0;
    }
    ctx.out(&format!("The following packages will be REMOVED:\n{}", wrap(&gone.iter().map(|g| if purge { format!("{g}*") } else { g.clone() }).collect::<Vec<_>>().iter().collect::<Vec<_>>())));
    ctx.out(&format!("0 upgraded, 0 newly installed, {} to remove and 0 not upgraded.\n", gone.len()));
    if !yes && !confirm(ctx) {
        return 1;
    }
    let status = String::from_utf8_lossy(&ctx.fs.read(STATUS).unwrap_or_default()).into_owned();
    let kept: Vec<&str> = status.split("\n\n").filter(|s| !s.trim().is_empty()).filter(|s| !gone.iter().any(|g| s.lines().any(|l| l == format!("Package: {g}")))).collect();
    let _ = ctx.fs.write(STATUS, format!("{}\n\n", kept.join("\n\n")).as_bytes());
    for g in &gone {
        ctx.out(&format!("Removing {g} ({}) ...\n", have[g]));
        let list = format!("/var/lib/dpkg/info/{g}.list");
        for f in String::from_utf8_lossy(&ctx.fs.read(&list).unwrap_or_default()).lines() {
            let _ = ctx.fs.remove_file(f);
        }
        let _ = ctx.fs.remove_file(&list);
    }
    0
}

/// The stanzas of dpkg's status file, each as (field, value) lines.
fn status_stanzas(fs: &dyn FileSystem) -> Vec<Vec<(String, String)>> {
    let text = fs.read(STATUS).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    text.split("\n\n")
        .map(|stanza| {
            let mut fields: Vec<(String, String)> = Vec::new();
            for line in stanza.lines() {
                match line.split_once(':') {
                    Some((k, v)) if !line.starts_with(' ') => fields.push((k.to_string(), v.trim().to_string())),
                    _ => {
                        if let Some(last) = fields.last_mut() {
                            last.1.push('\n');
                            last.1.push_str(line);
                        }
                    }
                }
            }
            fields
        })
        .filter(|f| !f.is_empty())
        .collect()
}

/// `dpkg`, over `/var/lib/dpkg/status` and `info/*.list`: `-l`, `-s`, `-L`, `-S`,
/// `--get-selections`, `--print-architecture`. Installing a `.deb` file is apt's work
/// here (`dpkg -i` says so).
pub fn dpkg(args: &[String], query: bool, ctx: &mut Ctx) -> i32 {
    let get = |f: &[(String, String)], k: &str| f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let (flag, operands): (String, Vec<&String>) = match args.split_first() {
        Some((f, rest)) if f.starts_with('-') => (f.clone(), rest.iter().collect()),
        _ if query => ("-W".into(), args.iter().collect()),
        _ => (String::new(), args.iter().collect()),
    };
    let stanzas = status_stanzas(&*ctx.fs);
    let find = |name: &str| stanzas.iter().find(|f| get(f, "Package") == name && get(f, "Status").ends_with(" installed"));
    match flag.as_str() {
        "--print-architecture" => {
            ctx.out("amd64\n");
            0
        }
        "--version" => {
            ctx.out("Debian 'dpkg' package management program version 1.22.6 (amd64).\n");
            0
        }
        "-l" | "--list" => {
            let patterns: Vec<Vec<crate::shell::pattern::Pat>> = operands.iter().map(|p| crate::shell::pattern::compile_str(p)).collect();
            let any = stanzas.iter().any(|f| patterns.is_empty() || patterns.iter().any(|p| crate::shell::pattern::matches(p, &get(f, "Package"))));
            if any {
                ctx.out("Desired=Unknown/Install/Remove/Purge/Hold\n| Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend\n|/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)\n||/ Name           Version      Architecture Description\n+++-==============-============-============-=================================\n");
            }
            let mut status = 0;
            for f in &stanzas {
                let name = get(f, "Package");
                if !patterns.is_empty() && !patterns.iter().any(|p| crate::shell::pattern::matches(p, &name)) {
                    continue;
                }
                let description = get(f, "Description");
                ctx.out(&format!("ii  {name:<14} {:<12} {:<12} {}\n", get(f, "Version"), get(f, "Architecture"), description.lines().next().unwrap_or("")));
            }
            for p in &operands {
                if !stanzas.iter().any(|f| crate::shell::pattern::matches(&crate::shell::pattern::compile_str(p), &get(f, "Package"))) {
                    ctx.err(&format!("dpkg-query: no packages found matching {p}\n"));
                    status = 1;
                }
            }
            status
        }
        "-s" | "--status" => {
            let mut status = 0;
            for p in &operands {
                match find(p) {
                    Some(f) => {
                        for (k, v) in f {
                            ctx.out(&format!("{k}: {v}\n"));
                        }
                        ctx.out("\n");
                    }
                    None => {
                        ctx.err(&format!("dpkg-query: package '{p}' is not installed and no information is available\nUse dpkg --info (= dpkg-deb --info) to examine archive files.\n"));
                        status = 1;
                    }
                }
            }
            status
        }
        "-L" | "--listfiles" => {
            let mut status = 0;
            for p in &operands {
                match (find(p), ctx.fs.read(&format!("/var/lib/dpkg/info/{p}.list"))) {
                    (Some(_), Ok(list)) => ctx.stdout.extend_from_slice(&list),
                    (Some(_), Err(_)) => ctx.out(&format!("/usr/share/doc/{p}\n")),
                    (None, _) => {
                        ctx.err(&format!("dpkg-query: package '{p}' is not installed\nUse dpkg --contents (= dpkg-deb --contents) to list archive files contents.\n"));
                        status = 1;
                    }
                }
            }
            status
        }
        "-S" | "--search" => {
            let mut status = 0;
            for p in &operands {
                let mut found = false;
                for f in &stanzas {
                    let name = get(f, "Package");
                    let list = String::from_utf8_lossy(&ctx.fs.read(&format!("/var/lib/dpkg/info/{name}.list")).unwrap_or_default()).into_owned();
                    for file in list.lines().filter(|l| l.contains(p.as_str())) {
                        ctx.out(&format!("{name}: {file}\n"));
                        found = true;
                    }
                }
                if !found {
                    ctx.err(&format!("dpkg-query: no path found matching pattern *{p}*\n"));
                    status = 1;
                }
            }
            status
        }
        "--get-selections" => {
            for f in &stanzas {
                ctx.out(&format!("{:<48}install\n", get(f, "Package")));
            }
            0
        }
        "-W" | "--show" => {
            let mut status = 0;
            for f in &stanzas {
                let name = get(f, "Package");
                if operands.is_empty() || operands.iter().any(|p| crate::shell::pattern::matches(&crate::shell::pattern::compile_str(p), &name)) {
                    ctx.out(&format!("{name}\t{}\n", get(f, "Version")));
                }
            }
            for p in &operands {
                if !stanzas.iter().any(|f| crate::shell::pattern::matches(&crate::shell::pattern::compile_str(p), &get(f, "Package"))) {
                    ctx.err(&format!("dpkg-query: no packages found matching {p}\n"));
                    status = 1;
                }
            }
            status
        }
        "-i" | "--install" => ctx.fail("dpkg", "installing .deb files is not provided by Berth's dpkg; install packages by name with apt-get install", 2),
        "" => {
            ctx.err("dpkg: error: need an action option\n\nType dpkg --help for help about installing and deinstalling packages [*];\nUse 'apt' or 'aptitude' for user-friendly package management;\nType dpkg -Dhelp for a list of dpkg debug flag values;\nType dpkg --force-help for a list of forcing options;\nType dpkg-deb --help for help about manipulating *.deb files;\n\nOptions marked [*] produce a lot of output - pipe it through 'less' or 'more' !\n");
            2
        }
        other => ctx.fail("dpkg", &format!("error: unknown option {other}\n\nType dpkg --help for help about installing and deinstalling packages [*];"), 2),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_parses_and_is_closed_under_dependencies() {
        let index: Index = serde_json::from_str(include_str!("../../../catalog/debian.json")).expect("debian.json parses");
        for (name, p) in &index.packages {
            for d in p.depends.iter().chain(&p.recommends) {
                assert!(index.packages.contains_key(d), "{name} depends on {d}, which the index lacks");
            }
            for release in index.archives.keys() {
                assert!(p.versions.contains_key(release), "{name} has no version for {release}");
            }
        }
    }
}
