//! The `python` program of the userland. It knows its installation (prefix, version,
//! virtual environment) from the filesystem as CPython does, creates virtual
//! environments, hands `-m pip` and pip's entry scripts to [`super::pip`], and checks
//! imports against what is installed. Running general Python code needs the Python
//! runtime, which this build does not include: such programs fail with a message that
//! says so, before any of them runs.

use crate::shell::applets::Ctx;
use crate::vfs::{join, normalize, split_parent, Attrs, Content, FileSystem};

/// One Python installation as the interpreter at `exe` sees it.
#[derive(Clone, Debug)]
pub struct PyEnv {
    /// The interpreter's path as invoked (`/opt/venv/bin/python`).
    pub exe: String,
    /// Where packages go: the virtual environment, or the base installation.
    pub prefix: String,
    /// The base installation (`/usr/local`, `/opt/conda`).
    pub base: String,
    /// `3.8`.
    pub xy: String,
    /// `3.8.20`.
    pub version: String,
    pub venv: bool,
    /// `$HOME/.local/lib/pythonX.Y/site-packages`, searched after site-packages.
    pub user_site: Option<String>,
}

impl PyEnv {
    pub fn site_packages(&self) -> String {
        format!("{}/lib/python{}/site-packages", self.prefix, self.xy)
    }

    pub fn bin(&self) -> String {
        format!("{}/bin", self.prefix)
    }

    /// Finds the installation of the interpreter named `argv0` (looked up on `PATH`).
    pub fn locate(fs: &dyn FileSystem, argv0: &str, cwd: &str, path_var: &str) -> Option<PyEnv> {
        let exe = if argv0.contains('/') {
            join(cwd, argv0)
        } else {
            path_var.split(':').map(|d| join(&join(cwd, d), argv0)).find(|p| fs.stat(p).is_ok_and(|m| m.is_file()))?
        };
        let bin = split_parent(&exe)?.0;
        let prefix = split_parent(&bin).map(|p| p.0).unwrap_or_else(|| "/".into());
        let prefix = if prefix.is_empty() { "/".to_string() } else { prefix };
        if let Ok(cfg) = fs.read(&join(&prefix, "pyvenv.cfg")) {
            let cfg = String::from_utf8_lossy(&cfg).into_owned();
            let field = |k: &str| cfg.lines().find_map(|l| l.split_once('=').filter(|(a, _)| a.trim() == k).map(|(_, v)| v.trim().to_string()));
            let home = field("home").unwrap_or_else(|| "/usr/local/bin".into());
            let base = split_parent(&normalize(&home)).map(|p| p.0).unwrap_or_else(|| "/usr/local".into());
            let version = field("version").or_else(|| field("version_info")).or_else(|| base_version(fs, &base))?;
            let xy = version.split('.').take(2).collect::<Vec<_>>().join(".");
            return Some(PyEnv { exe, prefix, base, xy, version, venv: true, user_site: None });
        }
        let version = base_version(fs, &prefix)?;
        let xy = version.split('.').take(2).collect::<Vec<_>>().join(".");
        Some(PyEnv { exe, prefix: prefix.clone(), base: prefix, xy, version, venv: false, user_site: None })
    }
}

/// The full version of the installation at `prefix`: its `patchlevel.h`, its conda
/// metadata, or the name of its library directory.
fn base_version(fs: &dyn FileSystem, prefix: &str) -> Option<String> {
    let names = |dir: &str| fs.read_dir(&join(prefix, dir)).map(|v| v.into_iter().map(|e| e.name).collect::<Vec<_>>()).unwrap_or_default();
    for inc in names("include").into_iter().filter(|n| n.starts_with("python3")) {
        if let Ok(h) = fs.read(&join(prefix, &format!("include/{inc}/patchlevel.h"))) {
            let h = String::from_utf8_lossy(&h).into_owned();
            if let Some(v) = h.lines().find_map(|l| l.strip_prefix("#define PY_VERSION")).map(|v| v.trim().trim_matches('"').to_string()) {
                return Some(v);
            }
        }
    }
    if let Some(meta) = names("conda-meta").into_iter().find(|n| n.starts_with("python-3")) {
        return meta.strip_prefix("python-").and_then(|r| r.split('-').next()).map(str::to_string);
    }
    let xy = names("lib").into_iter().find_map(|n| n.strip_prefix("python3.").map(|m| format!("3.{m}")))?;
    // Debian's interpreter: the version dpkg installed (`3.11.2-1+b1`).
    let status = fs.read("/var/lib/dpkg/status").map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    let dpkg = status.split("\n\n").find(|p| p.lines().any(|l| l == "Package: python3-minimal")).and_then(|p| p.lines().find_map(|l| l.strip_prefix("Version: "))).and_then(|v| v.split(['-', '+']).next()).filter(|v| v.starts_with(&format!("{xy}.")));
    Some(dpkg.map_or(xy, str::to_string))
}

/// Modules built into CPython or in its standard library (what `import` finds without
/// installing anything).
const STDLIB: &[&str] = &[
    "__future__", "abc", "argparse", "array", "ast", "asyncio", "base64", "bisect", "builtins", "bz2", "calendar", "cmath", "collections", "concurrent", "configparser", "contextlib", "copy", "csv", "ctypes", "dataclasses", "datetime", "decimal", "difflib", "email", "enum", "errno", "fnmatch", "fractions", "functools", "gc", "getpass", "glob", "gzip", "hashlib", "heapq", "hmac", "html", "http", "importlib", "inspect", "io", "ipaddress", "itertools", "json", "keyword", "logging", "lzma", "math", "mimetypes", "multiprocessing", "numbers", "operator", "os", "pathlib", "pickle", "platform", "pprint", "queue", "random", "re", "secrets", "select", "shlex", "shutil", "signal", "socket", "sqlite3", "ssl", "stat", "statistics", "string", "struct", "subprocess", "sys", "sysconfig", "tarfile", "tempfile", "textwrap", "threading", "time", "timeit", "tkinter", "traceback", "types", "typing", "unicodedata", "unittest", "urllib", "uuid", "venv", "warnings", "weakref", "xml", "zipfile", "zlib", "pip", "ensurepip", "site",
];

/// The site-packages directories `env`'s interpreter searches, in order.
pub fn site_dirs(fs: &dyn FileSystem, env: &PyEnv) -> Vec<String> {
    let mut dirs = vec![env.site_packages()];
    if !env.venv {
        dirs.extend(env.user_site.clone());
    }
    if !env.venv || venv_system_site(fs, env) {
        dirs.push(format!("{}/lib/python{}/site-packages", env.base, env.xy));
    }
    dirs.dedup();
    dirs
}

/// Whether `module` can be imported in `env`.
pub fn importable(fs: &dyn FileSystem, env: &PyEnv, module: &str) -> bool {
    let top = module.split('.').next().unwrap_or(module);
    if STDLIB.contains(&top) && top != "pip" {
        return true;
    }
    let mut dirs = site_dirs(fs, env);
    dirs.push(format!("{}/lib/python{}", env.base, env.xy));
    dirs.iter().any(|d| fs.exists(&join(d, &format!("{top}/__init__.py"))) || fs.exists(&join(d, &format!("{top}.py"))) || fs.read_dir(&join(d, top)).is_ok())
}

fn venv_system_site(fs: &dyn FileSystem, env: &PyEnv) -> bool {
    fs.read(&join(&env.prefix, "pyvenv.cfg")).is_ok_and(|c| String::from_utf8_lossy(&c).contains("include-system-site-packages = true"))
}

/// The `__version__` a module's `__init__.py` declares.
fn module_version(fs: &dyn FileSystem, env: &PyEnv, module: &str) -> Option<String> {
    let top = module.split('.').next()?;
    let mut dirs = vec![env.site_packages()];
    if !env.venv {
        dirs.extend(env.user_site.clone());
        dirs.push(format!("{}/lib/python{}/site-packages", env.base, env.xy));
    }
    for d in dirs {
        for f in [format!("{top}/__init__.py"), format!("{top}/version.py"), format!("{top}.py")] {
            if let Ok(text) = fs.read(&join(&d, &f)) {
                let text = String::from_utf8_lossy(&text).into_owned();
                if let Some(v) = text.lines().find_map(|l| l.strip_prefix("__version__ = ")) {
                    return Some(v.trim().trim_matches(['"', '\'']).to_string());
                }
            }
        }
    }
    None
}

/// `python ARGS…`.
pub fn run(argv: &[String], ctx: &mut Ctx) -> i32 {
    let path_var = ctx.env.get("PATH").cloned().unwrap_or_default();
    let Some(mut env) = PyEnv::locate(&*ctx.fs, &argv[0], &ctx.cwd, &path_var) else {
        return ctx.fail(&argv[0], "cannot find its Python installation (no patchlevel.h, conda-meta or lib/python3.* next to it)", 127);
    };
    let home = ctx.env.get("HOME").cloned().unwrap_or_else(|| "/".into());
    env.user_site = Some(join(&home, &format!(".local/lib/python{}/site-packages", env.xy)));
    let mut i = 1;
    while let Some(a) = argv.get(i) {
        match a.as_str() {
            "-W" | "-X" => i += 2,
            // Flags without an argument, alone or bundled (`-uB`).
            f if f.len() > 1 && f.starts_with('-') && f[1..].chars().all(|c| "bBdEiIOqsSuvx".contains(c)) => i += 1,
            _ => break,
        }
    }
    let rest = &argv[i.min(argv.len())..];
    // The real interpreter where the front end has one; without it, the subset below.
    let real = |ctx: &mut Ctx, env: &PyEnv| -> Option<i32> {
        let machine = crate::wasi::machine()?;
        let build = (machine.python)().ok()?;
        let sites = site_dirs(&*ctx.fs, env);
        Some(crate::wasi::python::run(&machine, &build, env, &sites, argv, ctx))
    };
    match rest.first().map(String::as_str) {
        Some("-V" | "--version") => {
            ctx.out(&format!("Python {}\n", env.version));
            0
        }
        Some("-m") => {
            let Some(module) = rest.get(1) else {
                return ctx.fail(&argv[0], "Argument expected for the -m option", 2);
            };
            match module.as_str() {
                "pip" => super::pip::run(&env, &rest[2..], ctx),
                "venv" => venv(&env, &rest[2..], ctx),
                m => match real(ctx, &env) {
                    Some(status) => status,
                    None if !importable(&*ctx.fs, &env, m) => {
                        ctx.err(&format!("{}: No module named {m}\n", env.exe));
                        1
                    }
                    None => runtime_needed(ctx, &format!("python -m {m}")),
                },
            }
        }
        Some("-c") => {
            let Some(code) = rest.get(1) else {
                return ctx.fail(&argv[0], "Argument expected for the -c option", 2);
            };
            if let Some(status) = real(ctx, &env) {
                return status;
            }
            run_code(&env, code, "<string>", ctx)
        }
        Some(script) if script != "-" => {
            let path = ctx.path(script);
            let data = match ctx.fs.read(&path) {
                Ok(d) => d,
                Err(e) => {
                    // CPython joins the working directory and the name as given: `//greet.py` in `/`.
                    let shown = if script.starts_with('/') { script.to_string() } else { format!("{}/{script}", ctx.cwd) };
                    ctx.err(&format!("{}: can't open file '{shown}': [Errno {}] {}\n", argv[0], e.errno.code(), e.errno.message()));
                    return 2;
                }
            };
            let text = String::from_utf8_lossy(&data).into_owned();
            if text.contains("from pip._internal.cli.main import main") {
                return super::pip::run(&env, &rest[1..], ctx);
            }
            if text.contains("from conda_pack.") {
                return super::conda::pack(&rest[1..], ctx);
            }
            if let Some(status) = real(ctx, &env) {
                return status;
            }
            run_code(&env, &text, script, ctx)
        }
        _ => {
            if let Some(status) = real(ctx, &env) {
                return status;
            }
            let code = String::from_utf8_lossy(&ctx.stdin).into_owned();
            run_code(&env, &code, "<stdin>", ctx)
        }
    }
}

fn runtime_needed(ctx: &mut Ctx, what: &str) -> i32 {
    ctx.err(&format!("berth: {what}: running this Python code needs the Python runtime, which this build of Berth does not include; imports, `print` of literals and versions, `-m pip` and `-m venv` work without it\n"));
    1
}

/// A statement the interpreter handles without the runtime.
enum Stmt {
    Import(Vec<String>),
    Print(Vec<Expr>),
    Pass,
}

enum Expr {
    Str(String),
    Version(String),
}

/// Runs `code` if it only imports and prints; otherwise reports, before running anything,
/// that it needs the runtime.
fn run_code(env: &PyEnv, code: &str, file: &str, ctx: &mut Ctx) -> i32 {
    let mut stmts = Vec::new();
    let mut bound: Vec<(String, String)> = Vec::new();
    for (n, line) in code.lines().enumerate() {
        let line = line.split(" #").next().unwrap_or("");
        if line.trim_start().starts_with('#') {
            continue;
        }
        for part in line.split(';') {
            let s = part.trim();
            if s.is_empty() {
                continue;
            }
            match statement(s, &mut bound) {
                Some(st) => stmts.push((n + 1, st)),
                None => return runtime_needed(ctx, &format!("{file}, line {}", n + 1)),
            }
        }
    }
    for (line, st) in stmts {
        match st {
            Stmt::Pass => {}
            Stmt::Import(modules) => {
                for m in modules {
                    if !importable(&*ctx.fs, env, &m) {
                        ctx.err(&format!("Traceback (most recent call last):\n  File \"{file}\", line {line}, in <module>\nModuleNotFoundError: No module named '{}'\n", m.split('.').next().unwrap_or(&m)));
                        return 1;
                    }
                }
            }
            Stmt::Print(exprs) => {
                let mut words = Vec::new();
                for e in exprs {
                    words.push(match e {
                        Expr::Str(s) => s,
                        Expr::Version(m) => match module_version(&*ctx.fs, env, &m) {
                            Some(v) => v,
                            None => return runtime_needed(ctx, &format!("{file}, line {line}")),
                        },
                    });
                }
                ctx.out(&format!("{}\n", words.join(" ")));
            }
        }
    }
    0
}

fn statement(s: &str, bound: &mut Vec<(String, String)>) -> Option<Stmt> {
    if s == "pass" {
        return Some(Stmt::Pass);
    }
    if let Some(rest) = s.strip_prefix("import ") {
        let mut modules = Vec::new();
        for item in rest.split(',') {
            let mut words = item.split_whitespace();
            let module = words.next()?.to_string();
            let alias = match (words.next(), words.next()) {
                (Some("as"), Some(a)) => a.to_string(),
                (None, None) => module.clone(),
                _ => return None,
            };
            if !is_dotted_name(&module) {
                return None;
            }
            bound.push((alias, module.clone()));
            modules.push(module);
        }
        return Some(Stmt::Import(modules));
    }
    if let Some(rest) = s.strip_prefix("from ") {
        let (module, names) = rest.split_once(" import ")?;
        let module = module.trim();
        if !is_dotted_name(module) || names.trim().is_empty() {
            return None;
        }
        return Some(Stmt::Import(vec![module.to_string()]));
    }
    let args = s.strip_prefix("print(")?.strip_suffix(')')?;
    let mut exprs = Vec::new();
    for arg in split_args(args)? {
        let a = arg.trim();
        if let Some(text) = string_literal(a) {
            exprs.push(Expr::Str(text));
        } else if let Some(name) = a.strip_suffix(".__version__") {
            let module = bound.iter().rev().find(|(alias, _)| alias == name)?.1.clone();
            exprs.push(Expr::Version(module));
        } else if !a.is_empty() && a.chars().all(|c| c.is_ascii_digit()) {
            exprs.push(Expr::Str(a.to_string()));
        } else {
            return None;
        }
    }
    Some(Stmt::Print(exprs))
}

fn is_dotted_name(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !p.starts_with(|c: char| c.is_ascii_digit()))
}

fn split_args(s: &str) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for c in s.chars() {
        match quote {
            Some(q) if c == q => {
                quote = None;
                cur.push(c);
            }
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                cur.push(c);
            }
            None if c == ',' => out.push(std::mem::take(&mut cur)),
            None => cur.push(c),
        }
    }
    if quote.is_some() {
        return None;
    }
    if !cur.trim().is_empty() || !out.is_empty() {
        out.push(cur);
    }
    Some(out)
}

fn string_literal(s: &str) -> Option<String> {
    let q = s.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let inner = s.strip_prefix(q)?.strip_suffix(q)?;
    if inner.contains(q) || inner.contains('\\') {
        return None;
    }
    Some(inner.to_string())
}

/// `python -m venv DIR`: the interpreter links, `pyvenv.cfg`, an `activate` script and
/// pip installed by ensurepip, as CPython lays them out.
fn venv(env: &PyEnv, args: &[String], ctx: &mut Ctx) -> i32 {
    let mut system_site = false;
    let mut without_pip = false;
    let mut dirs = Vec::new();
    for a in args {
        match a.as_str() {
            "--system-site-packages" => system_site = true,
            "--without-pip" => without_pip = true,
            "--clear" | "--upgrade-deps" | "--copies" | "--symlinks" => {}
            a if a.starts_with('-') => {
                ctx.err(&format!("usage: venv [-h] [--system-site-packages] [--symlinks | --copies] [--clear] [--upgrade] [--without-pip] [--prompt PROMPT] [--upgrade-deps]\n            ENV_DIR [ENV_DIR ...]\nvenv: error: unrecognized arguments: {a}\n"));
                return 2;
            }
            d => dirs.push(d.to_string()),
        }
    }
    if dirs.is_empty() {
        ctx.err("usage: venv [-h] [--system-site-packages] [--symlinks | --copies] [--clear] [--upgrade] [--without-pip] [--prompt PROMPT] [--upgrade-deps]\n            ENV_DIR [ENV_DIR ...]\nvenv: error: the following arguments are required: ENV_DIR\n");
        return 2;
    }
    for d in dirs {
        let root = ctx.path(&d);
        if let Err(e) = make_venv(ctx.fs, env, &root, system_site, without_pip) {
            ctx.err(&format!("Error: [Errno {}] {}: '{}'\n", e.errno.code(), e.errno.message(), e.path));
            return 1;
        }
    }
    0
}

fn make_venv(fs: &mut dyn FileSystem, env: &PyEnv, root: &str, system_site: bool, without_pip: bool) -> crate::vfs::FsResult<()> {
    let xy = &env.xy;
    let base_bin = format!("{}/bin", env.base);
    for d in ["bin", "include", &format!("lib/python{xy}/site-packages")] {
        fs.create_dir_all(&join(root, d), 0o755)?;
    }
    if !fs.exists(&join(root, "lib64")) {
        fs.symlink("lib", &join(root, "lib64"))?;
    }
    for (name, target) in [("python", format!("{base_bin}/python{xy}")), ("python3", "python".to_string()), (&*format!("python{xy}"), "python".to_string())] {
        let link = join(root, &format!("bin/{name}"));
        if fs.lstat(&link).is_err() {
            fs.symlink(&target, &link)?;
        }
    }
    let cfg = format!("home = {base_bin}\ninclude-system-site-packages = {system_site}\nversion = {}\nexecutable = {base_bin}/python{xy}\ncommand = {base_bin}/python{xy} -m venv {root}\n", env.version);
    fs.write(&join(root, "pyvenv.cfg"), cfg.as_bytes())?;
    let name = root.rsplit('/').next().unwrap_or("venv");
    let activate = format!(
        "# This file must be used with \"source bin/activate\" *from bash*\n# You cannot run it directly\n\ndeactivate () {{\n    if [ -n \"${{_OLD_VIRTUAL_PATH:-}}\" ] ; then\n        PATH=\"${{_OLD_VIRTUAL_PATH:-}}\"\n        export PATH\n        unset _OLD_VIRTUAL_PATH\n    fi\n    unset VIRTUAL_ENV\n    unset VIRTUAL_ENV_PROMPT\n}}\n\nVIRTUAL_ENV=\"{root}\"\nexport VIRTUAL_ENV\n\n_OLD_VIRTUAL_PATH=\"$PATH\"\nPATH=\"$VIRTUAL_ENV/bin:$PATH\"\nexport PATH\n\nVIRTUAL_ENV_PROMPT=\"({name}) \"\nexport VIRTUAL_ENV_PROMPT\n"
    );
    fs.write(&join(root, "bin/activate"), activate.as_bytes())?;
    if without_pip {
        return Ok(());
    }
    // ensurepip installs the pip wheel bundled with this CPython.
    let bundled = fs
        .read_dir(&format!("{}/lib/python{xy}/site-packages", env.base))
        .ok()
        .and_then(|v| v.into_iter().find_map(|e| e.name.strip_prefix("pip-").and_then(|r| r.strip_suffix(".dist-info")).map(str::to_string)))
        .unwrap_or_else(|| "24.0".into());
    let venv_env = PyEnv { exe: format!("{root}/bin/python"), prefix: root.to_string(), base: env.base.clone(), xy: xy.clone(), version: env.version.clone(), venv: true, user_site: None };
    super::pip::write_distribution(fs, &venv_env, "pip", &bundled, false)?;
    Ok(())
}

/// Writes `text` at `path`, creating parent directories.
pub(super) fn put_text(fs: &mut dyn FileSystem, path: &str, text: &str, mode: u32) -> crate::vfs::FsResult<()> {
    put_content(fs, path, Content::data(text.as_bytes().to_vec()), mode)
}

/// Installs a file as a package manager does: parents created, and a symlink at `path`
/// (BusyBox's `/usr/bin/patch`, an alternatives link) replaced rather than followed.
pub(super) fn put_content(fs: &mut dyn FileSystem, path: &str, content: Content, mode: u32) -> crate::vfs::FsResult<()> {
    if let Some((parent, _)) = split_parent(path) {
        fs.create_dir_all(&parent, 0o755)?;
    }
    if fs.lstat(path).is_ok_and(|m| m.is_symlink()) {
        fs.remove_file(path)?;
    }
    fs.put_file(path, content, Attrs::mode(mode))
}
