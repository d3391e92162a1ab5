//! `pip` over Berth's offline package index (`engine/catalog/pypi.json`): `install`
//! (requirement specifiers, `-r` files, `--no-cache-dir`, `--upgrade`, `--no-deps`,
//! dependency resolution with Requires-Python), `list`, `freeze`, `show`, `uninstall`
//! and `--version`, with pip's wording. Installed distributions are ordinary files in
//! site-packages (`*.dist-info`, the module with its `__version__`, console scripts and a
//! lazily sized payload), so layers, `du` and `docker history` grow as they would.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::Deserialize;

use super::python::{put_text, PyEnv};
use super::version::{compare, parse_specifier, satisfies, Clause};
use crate::shell::applets::Ctx;
use crate::vfs::{join, Attrs, Content, FileSystem, FsResult};

#[derive(Deserialize)]
pub(super) struct Index {
    pub(super) packages: BTreeMap<String, Package>,
}

#[derive(Clone, Deserialize)]
pub(super) struct Package {
    /// Version → [wheel size in kB, installed size in kB].
    pub(super) versions: BTreeMap<String, [u64; 2]>,
    #[serde(default)]
    pub(super) requires: Vec<String>,
    #[serde(default)]
    import: Option<String>,
    #[serde(default)]
    module_file: bool,
    #[serde(default)]
    scripts: Vec<String>,
    #[serde(default)]
    compiled: bool,
    #[serde(default)]
    requires_python: BTreeMap<String, String>,
    /// Releases PyPI marks yanked: chosen only when pinned with `==`.
    #[serde(default)]
    yanked: Vec<String>,
}

pub(super) fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| serde_json::from_str(include_str!("../../../catalog/pypi.json")).unwrap_or(Index { packages: BTreeMap::new() }))
}

/// A project as pip resolves it: from the curated index, else from PyPI's generated
/// one (`pypi_index`), whose installed sizes are estimated as three times the wheel's.
pub(super) fn project(name: &str) -> Option<std::borrow::Cow<'static, Package>> {
    if let Some(p) = index().packages.get(name) {
        return Some(std::borrow::Cow::Borrowed(p));
    }
    generated(name)
}

/// [`project`] for a requirement: the curated entry where it has a release the
/// specifier allows, else PyPI's, which has every release (`flask==2.0.2`).
fn project_for(name: &str, spec: &[Clause]) -> Option<std::borrow::Cow<'static, Package>> {
    match index().packages.get(name) {
        Some(p) if spec.is_empty() || p.versions.keys().any(|v| satisfies(v, spec)) => Some(std::borrow::Cow::Borrowed(p)),
        curated => generated(name).or(curated.map(std::borrow::Cow::Borrowed)),
    }
}

fn generated(name: &str) -> Option<std::borrow::Cow<'static, Package>> {
    let p = super::pypi_index::lookup(name)?;
    Some(std::borrow::Cow::Owned(Package {
        versions: p.versions.iter().map(|(v, kb)| (v.clone(), [*kb, kb.saturating_mul(3)])).collect(),
        requires: p.requires.clone(),
        import: None,
        module_file: false,
        scripts: Vec::new(),
        compiled: p.compiled,
        requires_python: p.requires_python.clone(),
        yanked: p.yanked.clone(),
    }))
}

/// pip's normalized project name: lower case, runs of `-_.` as one `-`.
pub fn normalize_name(name: &str) -> String {
    let mut out = String::new();
    let mut sep = false;
    for c in name.chars() {
        if "-_.".contains(c) {
            sep = true;
        } else {
            if sep && !out.is_empty() {
                out.push('-');
            }
            sep = false;
            out.push(c.to_ascii_lowercase());
        }
    }
    out
}

fn pip_version(fs: &dyn FileSystem, env: &PyEnv) -> String {
    installed(fs, env).get("pip").map(|d| d.version.clone()).unwrap_or_else(|| "24.0".into())
}

/// An installed distribution.
#[derive(Clone, Debug)]
struct Dist {
    name: String,
    version: String,
    dir: String,
    requires: Vec<String>,
}

fn installed(fs: &dyn FileSystem, env: &PyEnv) -> BTreeMap<String, Dist> {
    let site = env.site_packages();
    let mut out = BTreeMap::new();
    for e in fs.read_dir(&site).unwrap_or_default() {
        if !e.name.ends_with(".dist-info") {
            continue;
        }
        let dir = join(&site, &e.name);
        let Ok(meta) = fs.read(&join(&dir, "METADATA")) else { continue };
        let meta = String::from_utf8_lossy(&meta).into_owned();
        let field = |k: &str| meta.lines().find_map(|l| l.strip_prefix(k)).map(|v| v.trim().to_string());
        let (Some(name), Some(version)) = (field("Name:"), field("Version:")) else { continue };
        let requires = meta.lines().filter_map(|l| l.strip_prefix("Requires-Dist:")).filter_map(|v| applies(v.trim(), &env.xy)).collect();
        out.insert(normalize_name(&name), Dist { name, version, dir, requires });
    }
    out
}

/// A `Requires-Dist` value without its environment marker, when the marker holds on
/// Linux with Python `xy` and no extras requested (`watchdog>=2.3; extra == "watchdog"`
/// does not apply; `importlib-metadata; python_version < "3.10"` does on 3.8).
fn applies(requirement: &str, xy: &str) -> Option<String> {
    let Some((req, marker)) = requirement.split_once(';') else { return Some(requirement.to_string()) };
    let py = parse_version_tuple(xy);
    let holds = |clause: &str| -> bool {
        let words: Vec<&str> = clause.split_whitespace().collect();
        match words.as_slice() {
            ["extra", "==", _] => false,
            ["platform_system" | "sys_platform" | "os_name", op, value] => {
                let value = value.trim_matches(['"', '\'']);
                let here = if clause.starts_with("os_name") { "posix" } else if clause.starts_with("sys_platform") { "linux" } else { "Linux" };
                match *op {
                    "==" => here == value,
                    "!=" => here != value,
                    _ => true,
                }
            }
            ["python_version" | "python_full_version", op, value] => {
                let v = parse_version_tuple(value.trim_matches(['"', '\'']));
                match *op {
                    "<" => py < v,
                    "<=" => py <= v,
                    ">" => py > v,
                    ">=" => py >= v,
                    "==" => py == v,
                    "!=" => py != v,
                    _ => true,
                }
            }
            _ => true,
        }
    };
    // `a and b`, `a or b` (no parentheses in what the wheelhouse carries).
    let marker = marker.replace(['(', ')'], " ");
    let value = marker.split(" or ").any(|alt| alt.split(" and ").all(|c| holds(c.trim())));
    value.then(|| req.trim().to_string())
}

fn parse_version_tuple(v: &str) -> Vec<u32> {
    v.split('.').map(|p| p.parse().unwrap_or(0)).collect()
}

/// `pip ARGS…` for the installation `env`.
pub fn run(env: &PyEnv, args: &[String], ctx: &mut Ctx) -> i32 {
    let mut i = 0;
    let mut quiet = false;
    while let Some(a) = args.get(i) {
        match a.as_str() {
            "-q" | "--quiet" => quiet = true,
            "--disable-pip-version-check" | "--no-color" | "--no-input" | "-v" | "--verbose" => {}
            "-V" | "--version" => {
                let v = pip_version(&*ctx.fs, env);
                ctx.out(&format!("pip {v} from {}/pip (python {})\n", env.site_packages(), env.xy));
                return 0;
            }
            _ => break,
        }
        i += 1;
    }
    let Some(command) = args.get(i) else {
        ctx.out("\nUsage:   \n  pip <command> [options]\n\nCommands:\n  install                     Install packages.\n  uninstall                   Uninstall packages.\n  freeze                      Output installed packages in requirements format.\n  list                        List installed packages.\n  show                        Show information about installed packages.\n");
        return 0;
    };
    let rest = &args[i + 1..];
    match command.as_str() {
        "install" => install(env, rest, quiet, ctx),
        "list" => list(env, rest, ctx),
        "freeze" => freeze(env, ctx),
        "show" => show(env, rest, ctx),
        "uninstall" => uninstall(env, rest, ctx),
        "index" if rest.first().map(String::as_str) == Some("versions") => index_versions(env, &rest[1..], ctx),
        "cache" if rest.first().map(String::as_str) == Some("purge") => {
            let dir = cache_dir(ctx);
            let _ = ctx.fs.remove_all(&dir);
            ctx.out("Files removed: 0\n");
            0
        }
        other => {
            let known = ["install", "download", "uninstall", "freeze", "inspect", "list", "show", "check", "config", "search", "cache", "index", "wheel", "hash", "completion", "debug", "help"];
            let hint = known.iter().find(|k| crate::dockerfile::suggest::distance(k, other) <= 2).map(|k| format!(" - maybe you meant \"{k}\"")).unwrap_or_default();
            ctx.err(&format!("ERROR: unknown command \"{other}\"{hint}\n"));
            1
        }
    }
}

/// `pip index versions NAME [--pre]`: the releases this interpreter can install, newest
/// first (yanked ones left out), and the installed one.
fn index_versions(env: &PyEnv, args: &[String], ctx: &mut Ctx) -> i32 {
    let pre = args.iter().any(|a| a == "--pre");
    let Some(name) = args.iter().find(|a| !a.starts_with('-')) else {
        ctx.err("ERROR: You need to specify at least one argument.\n");
        return 1;
    };
    ctx.err("WARNING: pip index is currently an experimental command. It may be removed/changed in a future release without prior warning.\n");
    let key = normalize_name(name);
    // PyPI's own list where the generated index has the project.
    let Some(pkg) = generated(&key).or_else(|| project(&key)) else {
        ctx.err(&format!("ERROR: No matching distribution found for {name}\n"));
        return 1;
    };
    let prerelease = |v: &str| v.chars().any(|c| c.is_ascii_alphabetic());
    let mut versions: Vec<&String> = pkg.versions.keys().filter(|v| !pkg.yanked.contains(v) && (pre || !prerelease(v)) && python_ok(&pkg, v, &env.version).is_none()).collect();
    versions.sort_by(|a, b| compare(b, a));
    let Some(latest) = versions.first() else {
        ctx.err(&format!("ERROR: No matching distribution found for {name}\n"));
        return 1;
    };
    ctx.out(&format!("{key} ({latest})\nAvailable versions: {}\n", versions.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")));
    if let Some(d) = installed(&*ctx.fs, env).get(&key) {
        ctx.out(&format!("  INSTALLED: {}\n  LATEST:    {latest}\n", d.version));
    }
    0
}

fn cache_dir(ctx: &Ctx) -> String {
    format!("{}/.cache/pip", ctx.env.get("HOME").cloned().unwrap_or_else(|| "/root".into()))
}

/// A requirement as written, and where it came from.
#[derive(Clone, Debug)]
struct Req {
    text: String,
    name: String,
    spec: Vec<Clause>,
    from: Option<String>,
}

fn parse_requirement(text: &str, from: Option<String>) -> Result<Req, String> {
    let body = text.split(';').next().unwrap_or("").trim();
    let name_len = body.chars().take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).count();
    if name_len == 0 {
        return Err(format!("Invalid requirement: '{text}'"));
    }
    let (name, mut rest) = body.split_at(name_len);
    if rest.trim_start().starts_with('[') {
        rest = rest.split_once(']').map(|(_, r)| r).unwrap_or("");
    }
    let spec = parse_specifier(rest.trim().trim_start_matches('(').trim_end_matches(')')).map_err(|_| format!("Invalid requirement: '{text}'"))?;
    Ok(Req { text: body.to_string(), name: normalize_name(name), spec, from })
}

/// Requirements of `-r FILE`, with pip's `(from -r FILE (line N))` origins.
fn read_requirements(ctx: &mut Ctx, file: &str, depth: usize, out: &mut Vec<Req>) -> Result<(), String> {
    let path = ctx.path(file);
    let data = ctx.fs.read(&path).map_err(|e| format!("ERROR: Could not open requirements file: [Errno {}] {}: '{file}'", e.errno.code(), e.errno.message()))?;
    let text = String::from_utf8_lossy(&data).into_owned();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split(" #").next().unwrap_or("").trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(nested) = line.strip_prefix("-r ").or_else(|| line.strip_prefix("--requirement ")) {
            if depth > 8 {
                return Err(format!("ERROR: {file}: requirement files include each other too deeply"));
            }
            let nested = join(crate::vfs::split_parent(&path).map(|p| p.0).as_deref().unwrap_or("/"), nested.trim());
            read_requirements(ctx, &nested, depth + 1, out)?;
            continue;
        }
        if line.starts_with('-') {
            // Index options (`--index-url`, `--extra-index-url`, `-f`) change where pip looks;
            // the sandbox has one index.
            continue;
        }
        let from = format!("-r {file} (line {})", n + 1);
        let req = parse_requirement(line, Some(from)).map_err(|e| format!("ERROR: {e} (from line {} of {file})", n + 1))?;
        out.push(req);
    }
    Ok(())
}

pub(super) fn size_text(kb: u64) -> String {
    if kb >= 1000 {
        format!("{:.1} MB", kb as f64 / 1000.0)
    } else {
        format!("{kb} kB")
    }
}

fn wheel_name(name: &str, version: &str, pkg: &Package, xy: &str) -> String {
    let n = name.replace('-', "_");
    if pkg.compiled {
        let tag = xy.replace('.', "");
        format!("{n}-{version}-cp{tag}-cp{tag}-manylinux_2_17_x86_64.manylinux2014_x86_64.whl")
    } else {
        format!("{n}-{version}-py3-none-any.whl")
    }
}

pub(super) fn python_ok(pkg: &Package, version: &str, python: &str) -> Option<String> {
    let rp = pkg.requires_python.get(version)?;
    let clauses = parse_specifier(rp).ok()?;
    (!satisfies(python, &clauses)).then(|| rp.clone())
}

fn install(env: &PyEnv, args: &[String], mut quiet: bool, ctx: &mut Ctx) -> i32 {
    let mut reqs = Vec::new();
    let mut no_cache = ctx.env.get("PIP_NO_CACHE_DIR").is_some_and(|v| !v.is_empty() && v != "0" && v != "false");
    let mut upgrade = false;
    let mut no_deps = false;
    let mut user = false;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        i += 1;
        match a.as_str() {
            "-r" | "--requirement" => {
                let Some(file) = args.get(i) else {
                    ctx.err("\nUsage:   \n  pip install [options] <requirement specifier> [package-index-options] ...\n\n-r option requires 1 argument\n");
                    return 2;
                };
                i += 1;
                if let Err(e) = read_requirements(ctx, file, 0, &mut reqs) {
                    ctx.err(&format!("{e}\n"));
                    return 1;
                }
            }
            "--no-cache-dir" => no_cache = true,
            "-U" | "--upgrade" => upgrade = true,
            "--no-deps" => no_deps = true,
            "-q" | "--quiet" => quiet = true,
            "--user" => user = true,
            "--no-warn-script-location" | "--root-user-action=ignore" | "--break-system-packages" | "--no-compile" | "--disable-pip-version-check" | "--progress-bar=off" => {}
            "-i" | "--index-url" | "--extra-index-url" | "-f" | "--find-links" | "--root-user-action" | "--progress-bar" => i += 1,
            a if a.starts_with("--index-url=") || a.starts_with("--extra-index-url=") => {}
            a if a.starts_with('-') => {
                ctx.err(&format!("\nUsage:   \n  pip install [options] <requirement specifier> [package-index-options] ...\n\nno such option: {a}\n"));
                return 2;
            }
            spec => match parse_requirement(spec, None) {
                Ok(r) => reqs.push(r),
                Err(e) => {
                    ctx.err(&format!("ERROR: {e}\n"));
                    return 1;
                }
            },
        }
    }
    if reqs.is_empty() {
        ctx.err("ERROR: You must give at least one requirement to install (see \"pip help install\")\n");
        return 1;
    }
    let user_env;
    let mut env = env;
    if user && env.venv {
        ctx.err("ERROR: Can not perform a '--user' install. User site-packages are not visible in this virtualenv.\n");
        return 1;
    }
    let fallback = ctx.uid != 0 && !writable(ctx, &env.site_packages());
    if user || fallback {
        // `--user`, or pip's fallback: the user's site-packages under $HOME/.local.
        if fallback && !quiet {
            ctx.out("Defaulting to user installation because normal site-packages is not writeable\n");
        }
        let home = ctx.env.get("HOME").cloned().unwrap_or_else(|| "/".into());
        let local = join(&home, ".local");
        let parent = if ctx.fs.exists(&local) { local.clone() } else { home.clone() };
        if !writable(ctx, &parent) {
            ctx.err(&format!("ERROR: Could not install packages due to an OSError: [Errno 13] Permission denied: '{local}'\nCheck the permissions.\n\n"));
            return 1;
        }
        user_env = PyEnv { prefix: local, venv: false, ..env.clone() };
        env = &user_env;
    }
    let site = env.site_packages();
    let have = installed(&*ctx.fs, env);
    let mut out = String::new();
    let mut chosen: BTreeMap<String, (String, Req)> = BTreeMap::new();
    let mut satisfied: BTreeSet<String> = BTreeSet::new();
    let mut deps_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut queue: std::collections::VecDeque<(Req, bool)> = reqs.into_iter().map(|r| (r, true)).collect();
    let cache = cache_dir(ctx);
    let mut downloads: Vec<(String, u64, bool)> = Vec::new();
    while let Some((req, top)) = queue.pop_front() {
        if let Some((v, first)) = chosen.get(&req.name) {
            if !satisfies(v, &req.spec) {
                ctx.out(&out);
                ctx.err(&format!(
                    "ERROR: Cannot install {} and {} because these package versions have conflicting dependencies.\n\nThe conflict is caused by:\n    The user requested {}\n    {} depends on {}\n\nTo fix this you could try to:\n1. loosen the range of package versions you've specified\n2. remove package versions to allow pip to attempt to solve the dependency conflict\n\nERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts\n",
                    first.text, req.text, first.text, req.from.as_deref().unwrap_or("the command line"), req.text
                ));
                return 1;
            }
            continue;
        }
        if satisfied.contains(&req.name) {
            continue;
        }
        let from = req.from.as_ref().map(|f| format!(" (from {f})")).unwrap_or_default();
        if let Some(d) = have.get(&req.name) {
            if satisfies(&d.version, &req.spec) && !(upgrade && top) {
                out.push_str(&format!("Requirement already satisfied: {} in {site} ({}){from}\n", req.text, d.version));
                satisfied.insert(req.name.clone());
                if !no_deps {
                    for r in &d.requires {
                        if let Ok(dep) = parse_requirement(r, Some(chain(&d.name, &req))) {
                            queue.push_back((dep, false));
                        }
                    }
                }
                continue;
            }
        }
        let Some(pkg) = project_for(&req.name, &req.spec) else {
            ctx.out(&out);
            ctx.err(&format!("ERROR: Could not find a version that satisfies the requirement {}{from} (from versions: none)\nERROR: No matching distribution found for {}\n", req.text, req.text));
            return 1;
        };
        let pinned = req.spec.len() == 1 && req.text.contains("==");
        let mut versions: Vec<&String> = pkg.versions.keys().filter(|v| pinned || !pkg.yanked.contains(v)).collect();
        versions.sort_by(|a, b| compare(a, b));
        let ignored: Vec<String> = versions.iter().filter_map(|v| python_ok(&pkg, v, &env.version).map(|rp| format!("{v} Requires-Python {rp}"))).collect();
        let pick = versions.iter().rev().find(|v| python_ok(&pkg, v, &env.version).is_none() && satisfies(v, &req.spec));
        let Some(version) = pick.map(|v| v.to_string()) else {
            ctx.out(&out);
            let listed: Vec<&str> = versions.iter().filter(|v| python_ok(&pkg, v, &env.version).is_none()).map(|v| v.as_str()).collect();
            if !ignored.is_empty() {
                ctx.err(&format!("ERROR: Ignored the following versions that require a different python version: {}\n", ignored.join("; ")));
            }
            ctx.err(&format!(
                "ERROR: Could not find a version that satisfies the requirement {}{from} (from versions: {})\nERROR: No matching distribution found for {}\n",
                req.text,
                if listed.is_empty() { "none".to_string() } else { listed.join(", ") },
                req.text
            ));
            return 1;
        };
        out.push_str(&format!("Collecting {}{from}\n", req.text));
        let [wheel_kb, _] = pkg.versions[&version];
        let wheel = wheel_name(&req.name, &version, &pkg, &env.xy);
        let cached_path = format!("{cache}/wheels/{wheel}");
        let cached = !no_cache && ctx.fs.exists(&cached_path);
        if cached {
            out.push_str(&format!("  Using cached {wheel} ({})\n", size_text(wheel_kb)));
        } else {
            out.push_str(&format!("  Downloading {wheel} ({})\n", size_text(wheel_kb)));
        }
        downloads.push((cached_path, wheel_kb, cached));
        let mut deps = Vec::new();
        if !no_deps {
            // Markers (`; extra == "argon2"`, `; python_version < "3.10"`) decide.
            for r in pkg.requires.iter().filter_map(|r| applies(r, &env.xy)) {
                if let Ok(dep) = parse_requirement(&r, Some(chain(&format!("{}=={version}", req.name), &req))) {
                    deps.push(dep.name.clone());
                    queue.push_back((dep, false));
                }
            }
        }
        deps_of.insert(req.name.clone(), deps);
        chosen.insert(req.name.clone(), (version, req));
    }
    // Dependencies install before what needs them.
    let mut order: Vec<String> = Vec::new();
    fn visit(n: &str, deps_of: &BTreeMap<String, Vec<String>>, order: &mut Vec<String>, seen: &mut BTreeSet<String>) {
        if !seen.insert(n.to_string()) {
            return;
        }
        for d in deps_of.get(n).into_iter().flatten() {
            visit(d, deps_of, order, seen);
        }
        if deps_of.contains_key(n) {
            order.push(n.to_string());
        }
    }
    let mut seen = BTreeSet::new();
    for n in chosen.keys() {
        visit(n, &deps_of, &mut order, &mut seen);
    }
    if !order.is_empty() {
        out.push_str(&format!("Installing collected packages: {}\n", order.join(", ")));
    }
    for name in &order {
        let version = chosen[name].0.clone();
        if let Some(old) = have.get(name) {
            out.push_str(&format!("  Attempting uninstall: {name}\n    Found existing installation: {} {}\n    Uninstalling {}-{}:\n      Successfully uninstalled {}-{}\n", old.name, old.version, old.name, old.version, old.name, old.version));
            let _ = remove_distribution(ctx.fs, env, old);
        }
        if let Err(e) = write_distribution(ctx.fs, env, name, &version, chosen[name].1.from.is_none()) {
            ctx.out(&out);
            ctx.err(&format!("ERROR: Could not install packages due to an OSError: [Errno {}] {}: '{}'\n\n", e.errno.code(), e.errno.message(), e.path));
            return 1;
        }
    }
    if !no_cache {
        for (path, kb, cached) in &downloads {
            if !cached {
                let _ = ctx.fs.create_dir_all(&format!("{cache}/wheels"), 0o755);
                let _ = ctx.fs.put_file(path, Content::lazy(kb * 1024, "modelled:pip-cache"), Attrs::mode(0o644));
            }
        }
    }
    let mut done: Vec<String> = order.iter().map(|n| format!("{n}-{}", chosen[n].0)).collect();
    done.sort();
    if !done.is_empty() {
        out.push_str(&format!("Successfully installed {}\n", done.join(" ")));
    }
    if !quiet {
        ctx.out(&out);
    }
    if ctx.uid == 0 && !env.venv && !done.is_empty() {
        ctx.err("WARNING: Running pip as the 'root' user can result in broken permissions and conflicting behaviour with the system package manager. It is recommended to use a virtual environment instead: https://pip.pypa.io/warnings/venv\n");
    }
    0
}

/// Whether the user of `ctx` may create files in `dir`.
fn writable(ctx: &Ctx, dir: &str) -> bool {
    ctx.uid == 0 || ctx.fs.stat(dir).is_ok_and(|m| (m.uid == ctx.uid && m.mode & 0o200 != 0) || (m.gid == ctx.gid && m.mode & 0o020 != 0) || m.mode & 0o002 != 0)
}

/// pip's `(from parent->grandparent)` origin of a dependency.
fn chain(parent: &str, req: &Req) -> String {
    match &req.from {
        Some(f) => format!("{parent}->{f}"),
        None => parent.to_string(),
    }
}

/// Writes distribution `name==version` into `env`'s site-packages.
pub(super) fn write_distribution(fs: &mut dyn FileSystem, env: &PyEnv, name: &str, version: &str, requested: bool) -> FsResult<()> {
    // A pure-Python distribution of the wheelhouse installs for real.
    if let Some(wheel) = crate::wasi::wheel(name, version) {
        return super::wheel::install(fs, env, &wheel, requested).map(|_| ());
    }
    let site = env.site_packages();
    // The entry the version came from: the curated one where it lists it, else PyPI's.
    let found = index().packages.get(name).filter(|p| p.versions.contains_key(version)).map(std::borrow::Cow::Borrowed).or_else(|| generated(name)).or_else(|| project(name));
    let pkg = found.as_deref();
    let module = pkg.and_then(|p| p.import.clone()).unwrap_or_else(|| name.replace('-', "_"));
    let info = format!("{site}/{}-{version}.dist-info", name.replace('-', "_"));
    let requires: Vec<String> = pkg.map(|p| p.requires.clone()).unwrap_or_default();
    let mut meta = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    if let Some(rp) = pkg.and_then(|p| p.requires_python.get(version)) {
        meta.push_str(&format!("Requires-Python: {rp}\n"));
    }
    for r in &requires {
        meta.push_str(&format!("Requires-Dist: {r}\n"));
    }
    put_text(fs, &format!("{info}/METADATA"), &meta, 0o644)?;
    put_text(fs, &format!("{info}/INSTALLER"), "pip\n", 0o644)?;
    put_text(fs, &format!("{info}/WHEEL"), "Wheel-Version: 1.0\nGenerator: berth (modelled wheel)\nRoot-Is-Purelib: true\n", 0o644)?;
    put_text(fs, &format!("{info}/top_level.txt"), &format!("{module}\n"), 0o644)?;
    if requested {
        put_text(fs, &format!("{info}/REQUESTED"), "", 0o644)?;
    }
    let installed_kb = pkg.and_then(|p| p.versions.get(version)).map(|v| v[1]).unwrap_or(1000);
    let mut record = Vec::new();
    if pkg.is_some_and(|p| p.module_file) {
        let file = format!("{module}.py");
        put_text(fs, &format!("{site}/{file}"), &format!("__version__ = \"{version}\"\n"), 0o644)?;
        record.push(file);
    } else {
        put_text(fs, &format!("{site}/{module}/__init__.py"), &crate::image::modelled::modelled_module(name, version, ""), 0o644)?;
        let payload = format!("{site}/{module}/_payload.modelled");
        fs.put_file(&payload, Content::lazy(installed_kb * 1024, &format!("modelled:{name}-{version}")), Attrs::mode(0o644))?;
        record.push(format!("{module}/__init__.py"));
        record.push(format!("{module}/_payload.modelled"));
    }
    for script in pkg.map(|p| p.scripts.clone()).unwrap_or_default() {
        let text = format!("#!{}/python\n# -*- coding: utf-8 -*-\nimport re\nimport sys\nfrom {module}.__main__ import main\nif __name__ == '__main__':\n    sys.argv[0] = re.sub(r'(-script\\.pyw|\\.exe)?$', '', sys.argv[0])\n    sys.exit(main())\n", env.bin());
        let text = if name == "pip" { text.replace(&format!("from {module}.__main__ import main"), "from pip._internal.cli.main import main") } else { text };
        put_text(fs, &format!("{}/{script}", env.bin()), &text, 0o755)?;
        record.push(format!("../../../bin/{script}"));
    }
    if name == "pip" {
        put_text(fs, &format!("{}/pip{}", env.bin(), env.xy), &format!("#!{}/python\nimport sys\nfrom pip._internal.cli.main import main\nsys.exit(main())\n", env.bin()), 0o755)?;
    }
    let record: String = record.iter().map(|f| format!("{f},,\n")).collect();
    put_text(fs, &format!("{info}/RECORD"), &record, 0o644)
}

fn remove_distribution(fs: &mut dyn FileSystem, env: &PyEnv, d: &Dist) -> FsResult<()> {
    let site = env.site_packages();
    if let Ok(record) = fs.read(&join(&d.dir, "RECORD")) {
        for line in String::from_utf8_lossy(&record).lines() {
            let file = line.split(',').next().unwrap_or("");
            if !file.is_empty() {
                let path = crate::vfs::normalize(&join(&site, file));
                let _ = fs.remove_file(&path);
                if let Some((parent, _)) = crate::vfs::split_parent(&path) {
                    if parent.starts_with(&site) && parent != site && fs.read_dir(&parent).is_ok_and(|v| v.is_empty()) {
                        let _ = fs.remove_dir(&parent);
                    }
                }
            }
        }
    }
    fs.remove_all(&d.dir)
}

fn list(env: &PyEnv, args: &[String], ctx: &mut Ctx) -> i32 {
    let dists = installed(&*ctx.fs, env);
    let mut rows: Vec<(String, String)> = dists.values().map(|d| (d.name.clone(), d.version.clone())).collect();
    rows.sort_by_key(|r| r.0.to_lowercase());
    if args.iter().any(|a| a == "--format=freeze") {
        for (n, v) in rows {
            ctx.out(&format!("{n}=={v}\n"));
        }
        return 0;
    }
    let w = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(7);
    let wv = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).max(7);
    ctx.out(&format!("{:<w$} Version\n{} {}\n", "Package", "-".repeat(w), "-".repeat(wv)));
    for (n, v) in rows {
        ctx.out(&format!("{n:<w$} {v}\n"));
    }
    0
}

fn freeze(env: &PyEnv, ctx: &mut Ctx) -> i32 {
    let skip: &[&str] = if compare(&env.xy, "3.12") == std::cmp::Ordering::Less { &["pip", "setuptools", "wheel", "distribute"] } else { &["pip"] };
    let mut rows: Vec<(String, String)> = installed(&*ctx.fs, env).into_iter().filter(|(k, _)| !skip.contains(&k.as_str())).map(|(_, d)| (d.name, d.version)).collect();
    rows.sort_by_key(|r| r.0.to_lowercase());
    for (n, v) in rows {
        ctx.out(&format!("{n}=={v}\n"));
    }
    0
}

fn show(env: &PyEnv, args: &[String], ctx: &mut Ctx) -> i32 {
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if names.is_empty() {
        ctx.err("ERROR: Please provide a package name or names.\n");
        return 1;
    }
    let dists = installed(&*ctx.fs, env);
    let mut missing = Vec::new();
    let mut blocks = Vec::new();
    for n in names {
        let key = normalize_name(n);
        let Some(d) = dists.get(&key) else {
            missing.push(n.clone());
            continue;
        };
        let requires: Vec<String> = d.requires.iter().filter_map(|r| parse_requirement(r, None).ok()).map(|r| r.name).collect();
        let required_by: Vec<String> = dists.values().filter(|o| o.requires.iter().filter_map(|r| parse_requirement(r, None).ok()).any(|r| r.name == key)).map(|o| o.name.clone()).collect();
        blocks.push(format!("Name: {}\nVersion: {}\nLocation: {}\nRequires: {}\nRequired-by: {}\n", d.name, d.version, env.site_packages(), requires.join(", "), required_by.join(", ")));
    }
    ctx.out(&blocks.join("---\n"));
    if !missing.is_empty() {
        ctx.err(&format!("WARNING: Package(s) not found: {}\n", missing.join(", ")));
        return 1;
    }
    0
}

fn uninstall(env: &PyEnv, args: &[String], ctx: &mut Ctx) -> i32 {
    let yes = args.iter().any(|a| a == "-y" || a == "--yes");
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if names.is_empty() {
        ctx.err("ERROR: You must give at least one requirement to uninstall (see \"pip help uninstall\")\n");
        return 1;
    }
    let dists = installed(&*ctx.fs, env);
    for n in names {
        let Some(d) = dists.get(&normalize_name(n)) else {
            ctx.err(&format!("WARNING: Skipping {n} as it is not installed.\n"));
            continue;
        };
        ctx.out(&format!("Found existing installation: {} {}\nUninstalling {}-{}:\n", d.name, d.version, d.name, d.version));
        if !yes {
            let answer = String::from_utf8_lossy(&ctx.stdin).lines().next().unwrap_or("").trim().to_lowercase();
            ctx.out("Proceed (Y/n)? ");
            if !(answer.is_empty() && !ctx.stdin.is_empty() || answer == "y" || answer == "yes") {
                ctx.out("\n");
                ctx.err("ERROR: Exception:\nEOFError: EOF when reading a line\n");
                return 2;
            }
        }
        if let Err(e) = remove_distribution(ctx.fs, env, d) {
            ctx.err(&format!("ERROR: Could not uninstall {}: {e}\n", d.name));
            return 1;
        }
        ctx.out(&format!("  Successfully uninstalled {}-{}\n", d.name, d.version));
    }
    0
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_parses_and_its_dependencies_resolve() {
        let index: Index = serde_json::from_str(include_str!("../../../catalog/pypi.json")).expect("pypi.json parses");
        assert!(index.packages.len() > 50);
        for (name, pkg) in &index.packages {
            assert_eq!(&normalize_name(name), name, "{name} is not a normalized name");
            for r in &pkg.requires {
                let req = parse_requirement(r, None).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(index.packages.contains_key(&req.name), "{name} requires {} which the index lacks", req.name);
            }
        }
    }
}
