//! `conda` over the same offline index of Python projects pip uses, plus the interpreter
//! itself: `env create -f environment.yml`, `create`, `install`, `run -n`, `list`,
//! `env list`, `clean --all` and `--version`, with conda's wording. Environments live in
//! `<root>/envs/<name>` with `conda-meta` records; downloaded packages stay in
//! `<root>/pkgs` (both the archive and its extracted copy) until `conda clean`, which is
//! where conda images' size goes.

use std::collections::BTreeMap;

use super::pip::{index, python_ok, size_text, write_distribution};
use super::python::{put_text, PyEnv};
use super::version::{compare, parse_specifier, satisfies};
use crate::shell::applets::Ctx;
use crate::vfs::{join, Attrs, Content, FileSystem};

/// The interpreter versions conda channels offer, newest patch release of each.
const PYTHONS: &[&str] = &["3.7.16", "3.8.20", "3.9.20", "3.10.15", "3.11.10", "3.12.7"];

/// The conda installation: where `conda` lives (`/opt/conda`).
fn root_of(argv0: &str, ctx: &Ctx) -> String {
    if let Some(exe) = ctx.env.get("CONDA_EXE") {
        if let Some(r) = exe.strip_suffix("/bin/conda") {
            return r.to_string();
        }
    }
    let path = if argv0.contains('/') {
        argv0.to_string()
    } else {
        let path_var = ctx.env.get("PATH").cloned().unwrap_or_default();
        path_var.split(':').map(|d| join(d, argv0)).find(|p| ctx.fs.exists(p)).unwrap_or_else(|| "/opt/conda/bin/conda".into())
    };
    path.rsplit_once('/').and_then(|(bin, _)| bin.rsplit_once('/')).map(|(root, _)| root.to_string()).filter(|r| !r.is_empty()).unwrap_or_else(|| "/opt/conda".into())
}

fn conda_version(fs: &dyn FileSystem, root: &str) -> String {
    fs.read_dir(&join(root, "conda-meta"))
        .unwrap_or_default()
        .iter()
        .find_map(|e| e.name.strip_prefix("conda-").and_then(|r| r.split('-').next()).filter(|v| v.starts_with(|c: char| c.is_ascii_digit())).map(str::to_string))
        .unwrap_or_else(|| "24.7.1".into())
}

const CONDA_USAGE: &str = "usage: conda [-h] [-v] [--no-plugins] [-V] COMMAND ...";

/// `conda --help`: the commands as conda lists them; those Berth's conda does not run
/// say so when they are run.
const CONDA_HELP: &str = "\nconda is a tool for managing and deploying applications, environments and packages.\n\noptions:\n  -h, --help          Show this help message and exit.\n  -v, --verbose       Can be used multiple times. Once for detailed output, twice for INFO logging, thrice for DEBUG logging, four times for TRACE logging.\n  --no-plugins        Disable all plugins that are not built into conda.\n  -V, --version       Show the conda version number and exit.\n\ncommands:\n  The following built-in and plugins subcommands are available.\n\n  COMMAND\n    activate          Activate a conda environment.\n    clean             Remove unused packages and caches.\n    config            Modify configuration values in .condarc.\n    create            Create a new conda environment from a list of specified packages.\n    deactivate        Deactivate the current active conda environment.\n    env               Create and manage conda environments.\n    info              Display information about current conda install.\n    init              Initialize conda for shell interaction.\n    install           Install a list of packages into a specified conda environment.\n    list              List installed packages in a conda environment.\n    remove (uninstall)\n                      Remove a list of packages from a specified conda environment.\n    run               Run an executable in a conda environment.\n    search            Search for packages and display associated information using the MatchSpec format.\n    update (upgrade)  Update conda packages to the latest compatible version.\n";

/// `conda init [bash|zsh|…]`: the `conda initialize` block in the shell's startup file,
/// as conda writes it (once: a second run finds it there).
fn init(root: &str, args: &[String], ctx: &mut Ctx) -> i32 {
    let shell = args.iter().find(|a| !a.starts_with('-')).map_or("bash", String::as_str);
    let file = match shell {
        "bash" => ".bashrc",
        "zsh" => ".zshrc",
        "fish" => ".config/fish/config.fish",
        "tcsh" => ".tcshrc",
        "xonsh" => ".xonshrc",
        "powershell" => return ctx.fail("conda init", "powershell is not a shell Berth's sandbox has", 1),
        other => {
            ctx.err(&format!("usage: conda init [-h] [--all] [--user] [--no-user] [--system] [--reverse] [--json] [-v] [-q] [-d] [SHELLS ...]\nconda init: error: argument SHELLS: invalid choice: '{other}' (choose from 'bash', 'fish', 'tcsh', 'xonsh', 'zsh', 'powershell')\n"));
            return 2;
        }
    };
    let home = ctx.env.get("HOME").cloned().unwrap_or_else(|| "/root".into());
    let path = join(&home, file);
    let existing = ctx.fs.read(&path).map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    if existing.contains("# >>> conda initialize >>>") {
        ctx.out(&format!("no change     {root}/condabin/conda\nno change     {path}\nNo action taken.\n"));
        return 0;
    }
    let block = format!("\n# >>> conda initialize >>>\n# !! Contents within this block are managed by 'conda init' !!\n__conda_setup=\"$('{root}/bin/conda' 'shell.{shell}' 'hook' 2> /dev/null)\"\nif [ $? -eq 0 ]; then\n    eval \"$__conda_setup\"\nelse\n    if [ -f \"{root}/etc/profile.d/conda.sh\" ]; then\n        . \"{root}/etc/profile.d/conda.sh\"\n    else\n        export PATH=\"{root}/bin:$PATH\"\n    fi\nfi\nunset __conda_setup\n# <<< conda initialize <<<\n");
    if let Some((parent, _)) = crate::vfs::split_parent(&path) {
        let _ = ctx.fs.create_dir_all(&parent, 0o755);
    }
    if let Err(e) = ctx.fs.write(&path, format!("{existing}{block}").as_bytes()) {
        return ctx.fail("conda init", &format!("{path}: {}", e.errno.message()), 1);
    }
    ctx.out(&format!("no change     {root}/condabin/conda\nmodified      {path}\n\n==> For changes to take effect, close and re-open your current shell. <==\n\n"));
    0
}

pub fn run(argv: &[String], ctx: &mut Ctx) -> i32 {
    let root = root_of(&argv[0], ctx);
    let args = &argv[1..];
    let Some(command) = args.first() else {
        ctx.out(&format!("{CONDA_USAGE}\n"));
        return 0;
    };
    let rest = &args[1..];
    match command.as_str() {
        "-h" | "--help" | "help" => {
            ctx.out(&format!("{CONDA_USAGE}\n{CONDA_HELP}"));
            0
        }
        "init" => init(&root, rest, ctx),
        "--version" | "-V" => {
            let v = conda_version(&*ctx.fs, &root);
            ctx.out(&format!("conda {v}\n"));
            0
        }
        "env" => match rest.first().map(String::as_str) {
            Some("create") => env_create(&root, &rest[1..], ctx),
            Some("list") => env_list(&root, ctx),
            other => {
                ctx.err(&format!("usage: conda env [-h] command ...\nconda env: error: argument command: invalid choice: '{}'\n", other.unwrap_or("")));
                2
            }
        },
        "info" if rest.iter().any(|a| a == "--envs" || a == "-e") => env_list(&root, ctx),
        "create" => {
            let opts = Opts::parse(rest);
            let Some(name) = opts.name.clone() else {
                ctx.err("\nCondaValueError: either -n NAME or -p PREFIX option required,\ntry \"conda create -h\" for more details\n\n");
                return 1;
            };
            let prefix = format!("{root}/envs/{name}");
            create(&root, &prefix, &name, &opts.specs, &opts.channels, ctx)
        }
        "install" => {
            let opts = Opts::parse(rest);
            let prefix = match &opts.name {
                Some(n) if n != "base" => format!("{root}/envs/{n}"),
                _ => root.clone(),
            };
            if !ctx.fs.exists(&join(&prefix, "conda-meta")) {
                ctx.err(&format!("\nEnvironmentLocationNotFound: Not a conda environment: {prefix}\n\n"));
                return 1;
            }
            if opts.specs.is_empty() {
                ctx.err("\nCondaValueError: too few arguments, must supply command line package specs or --file\n\n");
                return 1;
            }
            install(&root, &prefix, &opts.specs, &opts.channels, ctx)
        }
        "run" => conda_run(&root, rest, ctx),
        "list" => {
            let opts = Opts::parse(rest);
            let prefix = match &opts.name {
                Some(n) if n != "base" => format!("{root}/envs/{n}"),
                _ => root.clone(),
            };
            list(&prefix, ctx)
        }
        "clean" => clean(&root, ctx),
        "activate" | "deactivate" => {
            ctx.err(&format!("\nCondaError: Run 'conda init' before 'conda {command}'\n\n"));
            1
        }
        other => {
            ctx.err(&format!("usage: conda [-h] [-v] [--no-plugins] [-V] COMMAND ...\nconda: error: argument COMMAND: invalid choice: '{other}' (choose from 'clean', 'compare', 'config', 'create', 'info', 'init', 'install', 'list', 'notices', 'package', 'remove', 'rename', 'run', 'search', 'update', 'upgrade', 'activate', 'deactivate', 'env')\n"));
            2
        }
    }
}

#[derive(Default)]
struct Opts {
    name: Option<String>,
    file: Option<String>,
    channels: Vec<String>,
    specs: Vec<String>,
}

impl Opts {
    fn parse(args: &[String]) -> Opts {
        let mut o = Opts::default();
        let mut i = 0;
        while let Some(a) = args.get(i) {
            i += 1;
            match a.as_str() {
                "-n" | "--name" => {
                    o.name = args.get(i).cloned();
                    i += 1;
                }
                "-f" | "--file" => {
                    o.file = args.get(i).cloned();
                    i += 1;
                }
                "-c" | "--channel" => {
                    o.channels.extend(args.get(i).cloned());
                    i += 1;
                }
                a if a.starts_with('-') => {}
                spec => o.specs.push(spec.to_string()),
            }
        }
        o
    }
}

/// `name: …`, `channels:` and `dependencies:` (with a nested `- pip:` list) of an
/// environment file.
struct EnvFile {
    name: Option<String>,
    channels: Vec<String>,
    conda: Vec<String>,
    pip: Vec<String>,
}

fn parse_env_file(text: &str, file: &str) -> Result<EnvFile, String> {
    let mut env = EnvFile { name: None, channels: Vec::new(), conda: Vec::new(), pip: Vec::new() };
    let mut section = "";
    let mut in_pip = false;
    for (n, raw) in text.lines().enumerate() {
        let line = raw.split(" #").next().unwrap_or("").trim_end();
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let t = line.trim();
        if indent == 0 {
            in_pip = false;
            let Some((key, value)) = t.split_once(':') else {
                return Err(format!("\nEnvironmentFileInvalid: '{file}' is not a valid environment file (line {}: expected `key: value`)\n", n + 1));
            };
            section = match key.trim() {
                "name" => {
                    env.name = Some(value.trim().trim_matches(['"', '\'']).to_string());
                    ""
                }
                "channels" => "channels",
                "dependencies" => "dependencies",
                _ => "",
            };
            continue;
        }
        let Some(item) = t.strip_prefix("- ").map(str::trim) else {
            continue;
        };
        match section {
            "channels" => env.channels.push(item.to_string()),
            "dependencies" if item == "pip:" => in_pip = true,
            "dependencies" if in_pip && indent > 2 => env.pip.push(item.to_string()),
            "dependencies" => {
                in_pip = false;
                env.conda.push(item.trim_matches(['"', '\'']).to_string());
            }
            _ => {}
        }
    }
    Ok(env)
}

fn env_create(root: &str, args: &[String], ctx: &mut Ctx) -> i32 {
    let opts = Opts::parse(args);
    let file = opts.file.clone().unwrap_or_else(|| "environment.yml".into());
    let text = match ctx.fs.read(&ctx.path(&file)) {
        Ok(t) => String::from_utf8_lossy(&t).into_owned(),
        Err(_) => {
            ctx.err(&format!("\nEnvironmentFileNotFound: '{}' file not found\n\n", ctx.path(&file)));
            return 1;
        }
    };
    let env = match parse_env_file(&text, &file) {
        Ok(e) => e,
        Err(e) => {
            ctx.err(&e);
            return 1;
        }
    };
    let Some(name) = opts.name.clone().or(env.name.clone()) else {
        ctx.err("\nCondaValueError: either -n NAME or -p PREFIX option required,\ntry \"conda env create -h\" for more details\n\n");
        return 1;
    };
    let prefix = format!("{root}/envs/{name}");
    let mut specs = env.conda.clone();
    if !specs.iter().any(|s| s.starts_with("python")) && !env.pip.is_empty() {
        specs.push("python".into());
    }
    let status = create(root, &prefix, &name, &specs, &env.channels, ctx);
    if status != 0 || env.pip.is_empty() {
        return status;
    }
    ctx.out("Installing pip dependencies: ...working... ");
    let Some(py) = PyEnv::locate(&*ctx.fs, &format!("{prefix}/bin/python"), "/", "") else {
        return 1;
    };
    let mut pip_args = vec!["install".to_string()];
    pip_args.extend(env.pip.iter().cloned());
    let mut sub = Ctx::new(ctx.fs, &ctx.cwd, &ctx.env, Vec::new());
    sub.uid = ctx.uid;
    let s = super::pip::run(&py, &pip_args, &mut sub);
    let (o, e) = (sub.stdout, sub.stderr);
    if s != 0 {
        ctx.out("Ran pip subprocess with arguments:\n");
        ctx.out(&String::from_utf8_lossy(&o));
        ctx.err(&format!("{}\nCondaEnvException: Pip failed\n\n", String::from_utf8_lossy(&e)));
        return 1;
    }
    ctx.out("done\n");
    activate_hint(ctx, &name);
    0
}

fn activate_hint(ctx: &mut Ctx, name: &str) {
    ctx.out(&format!("#\n# To activate this environment, use\n#\n#     $ conda activate {name}\n#\n# To deactivate an active environment, use\n#\n#     $ conda deactivate\n\n"));
}

/// The packages a list of conda specs resolves to: the interpreter, then Python projects
/// with their dependencies. `Err` is conda's PackagesNotFoundError text.
fn solve(specs: &[String], default_python: &str, existing: &BTreeMap<String, String>) -> Result<Vec<(String, String)>, Vec<String>> {
    let mut python = existing.get("python").cloned().unwrap_or_else(|| default_python.to_string());
    let mut wanted: Vec<(String, Vec<super::version::Clause>)> = Vec::new();
    let mut missing = Vec::new();
    for spec in specs {
        let s = spec.replace(' ', "");
        let name_len = s.chars().take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).count();
        let (name, constraint) = s.split_at(name_len);
        let name = super::pip::normalize_name(name.rsplit('/').next().unwrap_or(name));
        // conda's `pkg=1.2` means 1.2.*; `pkg==1.2` is exact.
        let constraint = if let Some(v) = constraint.strip_prefix('=').filter(|v| !v.starts_with('=')) { format!("=={v}.*") } else { constraint.to_string() };
        let Ok(clauses) = parse_specifier(&constraint) else {
            missing.push(spec.clone());
            continue;
        };
        if name == "python" {
            match PYTHONS.iter().rev().find(|v| satisfies(v, &clauses)) {
                Some(v) => python = v.to_string(),
                None => missing.push(spec.clone()),
            }
            continue;
        }
        wanted.push((name, clauses));
    }
    let index = index();
    let mut chosen: BTreeMap<String, String> = BTreeMap::new();
    let mut order = vec![("python".to_string(), python.clone())];
    let mut queue: std::collections::VecDeque<(String, Vec<super::version::Clause>)> = wanted.into_iter().collect();
    while let Some((name, clauses)) = queue.pop_front() {
        if chosen.contains_key(&name) || existing.get(&name).is_some_and(|v| satisfies(v, &clauses)) {
            continue;
        }
        let Some(pkg) = index.packages.get(&name) else {
            missing.push(name.clone());
            continue;
        };
        let mut versions: Vec<&String> = pkg.versions.keys().collect();
        versions.sort_by(|a, b| compare(a, b));
        let Some(v) = versions.iter().rev().find(|v| python_ok(pkg, v, &python).is_none() && satisfies(v, &clauses)) else {
            missing.push(format!("{name}{}", clauses.iter().map(|c| format!("{}{}", c.op, c.version)).collect::<Vec<_>>().join(",")));
            continue;
        };
        chosen.insert(name.clone(), v.to_string());
        order.push((name.clone(), v.to_string()));
        for r in &pkg.requires {
            let body = r.split(';').next().unwrap_or("");
            let n = body.chars().take_while(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c)).count();
            if let Ok(c) = parse_specifier(&body[n..]) {
                queue.push_back((super::pip::normalize_name(&body[..n]), c));
            }
        }
    }
    if !missing.is_empty() {
        return Err(missing);
    }
    if existing.get("python") == Some(&python) {
        order.remove(0);
    }
    Ok(order)
}

fn installed(fs: &dyn FileSystem, prefix: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for e in fs.read_dir(&join(prefix, "conda-meta")).unwrap_or_default() {
        if let Some(stem) = e.name.strip_suffix(".json") {
            let parts: Vec<&str> = stem.rsplitn(3, '-').collect();
            if parts.len() == 3 {
                out.insert(parts[2].to_string(), parts[1].to_string());
            }
        }
    }
    out
}

fn create(root: &str, prefix: &str, name: &str, specs: &[String], channels: &[String], ctx: &mut Ctx) -> i32 {
    if ctx.fs.exists(&join(prefix, "conda-meta")) {
        ctx.err(&format!("\nCondaValueError: prefix already exists: {prefix}\n\n"));
        return 1;
    }
    let base_python = super::python::PyEnv::locate(&*ctx.fs, &format!("{root}/bin/python"), "/", "").map(|p| p.version).unwrap_or_else(|| "3.12.7".into());
    let status = transact(root, prefix, specs, channels, &base_python, &BTreeMap::new(), ctx);
    if status == 0 && !specs.is_empty() {
        activate_hint(ctx, name);
    }
    status
}

fn install(root: &str, prefix: &str, specs: &[String], channels: &[String], ctx: &mut Ctx) -> i32 {
    let existing = installed(&*ctx.fs, prefix);
    let base_python = existing.get("python").cloned().unwrap_or_else(|| "3.12.7".into());
    transact(root, prefix, specs, channels, &base_python, &existing, ctx)
}

fn transact(root: &str, prefix: &str, specs: &[String], channels: &[String], python: &str, existing: &BTreeMap<String, String>, ctx: &mut Ctx) -> i32 {
    let channel = channels.first().cloned().unwrap_or_else(|| "pkgs/main".into());
    let mut shown = channels.to_vec();
    shown.push("defaults".into());
    shown.dedup();
    ctx.out(&format!("Channels:\n{}Platform: linux-64\nCollecting package metadata (repodata.json): ...working... done\nSolving environment: ...working... ", shown.iter().map(|c| format!(" - {c}\n")).collect::<String>()));
    let plan = match solve(specs, python, existing) {
        Ok(p) => p,
        Err(missing) => {
            ctx.out("failed\n");
            ctx.err(&format!(
                "\nPackagesNotFoundError: The following packages are not available from current channels:\n\n{}\nCurrent channels:\n\n{}\nTo search for alternate channels that may provide the conda package you're\nlooking for, navigate to\n\n    https://anaconda.org\n\nand use the search bar at the top of the page.\n\n\n",
                missing.iter().map(|m| format!("  - {m}\n")).collect::<String>(),
                shown.iter().map(|c| format!("  - https://conda.anaconda.org/{c}/linux-64\n  - https://conda.anaconda.org/{c}/noarch\n")).collect::<String>()
            ));
            return 1;
        }
    };
    ctx.out("done\n");
    if plan.is_empty() {
        ctx.out("\n# All requested packages already installed.\n\n");
        return 0;
    }
    let python = plan.iter().find(|(n, _)| n == "python").map(|(_, v)| v.as_str()).or(existing.get("python").map(String::as_str)).unwrap_or(python).to_string();
    let py_xy = python.split('.').take(2).collect::<Vec<_>>().join(".");
    let py_tag = py_xy.replace('.', "");
    let index = index();
    let size = |n: &str, v: &str| -> [u64; 2] {
        if n == "python" {
            [25_000, 98_000]
        } else {
            index.packages.get(n).and_then(|p| p.versions.get(v)).copied().unwrap_or([100, 400])
        }
    };
    let build = |n: &str| if n == "python" { "h5148396_0".to_string() } else { format!("py{py_tag}_0") };
    let total: u64 = plan.iter().map(|(n, v)| size(n, v)[0]).sum();
    ctx.out(&format!("\n## Package Plan ##\n\n  environment location: {prefix}\n\n  added / updated specs:\n{}\n\nThe following packages will be downloaded:\n\n    package                    |            build\n    ---------------------------|-----------------\n", specs.iter().map(|s| format!("    - {s}\n")).collect::<String>()));
    for (n, v) in &plan {
        ctx.out(&format!("    {:<27}|{:>17}  {:>9}\n", format!("{n}-{v}"), build(n), size_text(size(n, v)[0])));
    }
    ctx.out(&format!("    ------------------------------------------------------------\n                                           Total:  {:>9}\n\nThe following NEW packages will be INSTALLED:\n\n", size_text(total)));
    for (n, v) in &plan {
        ctx.out(&format!("  {:<18} {channel}/linux-64::{n}-{v}-{}\n", n, build(n)));
    }
    ctx.out("\n\nProceed ([y]/n)? \n\nDownloading and Extracting Packages: ...working... done\nPreparing transaction: ...working... done\nVerifying transaction: ...working... done\nExecuting transaction: ...working... done\n");
    let answer = String::from_utf8_lossy(&ctx.stdin).lines().next().map(|l| l.trim().to_lowercase()).unwrap_or_default();
    if answer == "n" || answer == "no" {
        ctx.err("\nCondaSystemExit: Exiting.\n\n");
        return 1;
    }
    let full_python = python.clone();
    let result = (|| -> crate::vfs::FsResult<()> {
        let fs = &mut *ctx.fs;
        fs.create_dir_all(&join(prefix, "conda-meta"), 0o755)?;
        fs.create_dir_all(&join(root, "pkgs"), 0o755)?;
        for (n, v) in &plan {
            let [dl, inst] = size(n, v);
            let b = build(n);
            // The package cache keeps the archive and its extracted copy.
            fs.put_file(&format!("{root}/pkgs/{n}-{v}-{b}.conda"), Content::lazy(dl * 1024, "modelled:conda-package"), Attrs::mode(0o664))?;
            put_text(fs, &format!("{root}/pkgs/{n}-{v}-{b}/info/index.json"), &format!("{{\"name\": \"{n}\", \"version\": \"{v}\", \"build\": \"{b}\"}}\n"), 0o664)?;
            fs.put_file(&format!("{root}/pkgs/{n}-{v}-{b}/payload.modelled"), Content::lazy(inst * 1024, "modelled:conda-package"), Attrs::mode(0o664))?;
            put_text(fs, &format!("{prefix}/conda-meta/{n}-{v}-{b}.json"), &format!("{{\"name\": \"{n}\", \"version\": \"{v}\", \"build\": \"{b}\", \"channel\": \"https://conda.anaconda.org/{channel}\"}}\n"), 0o644)?;
            if n == "python" {
                let xy = &py_xy;
                fs.create_dir_all(&format!("{prefix}/bin"), 0o755)?;
                fs.put_file(&format!("{prefix}/bin/python{xy}"), Content::lazy(17_000_000, "exec:python"), Attrs::mode(0o755))?;
                for link in ["python", "python3"] {
                    let p = format!("{prefix}/bin/{link}");
                    if fs.lstat(&p).is_err() {
                        fs.symlink(&format!("python{xy}"), &p)?;
                    }
                }
                fs.create_dir_all(&format!("{prefix}/lib/python{xy}/site-packages"), 0o755)?;
                fs.put_file(&format!("{prefix}/lib/libpython{xy}.so.1.0"), Content::lazy(inst * 1024, "modelled:libpython"), Attrs::mode(0o755))?;
            }
        }
        let env = PyEnv { exe: format!("{prefix}/bin/python"), prefix: prefix.to_string(), base: prefix.to_string(), xy: py_xy.clone(), version: full_python.clone(), venv: false, user_site: None };
        for (n, v) in &plan {
            if n != "python" {
                write_distribution(fs, &env, n, v, false)?;
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        ctx.err(&format!("\nCondaError: {e}\n\n"));
        return 1;
    }
    0
}

fn env_list(root: &str, ctx: &mut Ctx) -> i32 {
    ctx.out(&format!("# conda environments:\n#\nbase                     {root}\n"));
    let mut names: Vec<String> = ctx.fs.read_dir(&join(root, "envs")).unwrap_or_default().into_iter().map(|e| e.name).collect();
    names.sort();
    for n in names {
        ctx.out(&format!("{n:<25}{root}/envs/{n}\n"));
    }
    ctx.out("\n");
    0
}

fn list(prefix: &str, ctx: &mut Ctx) -> i32 {
    if !ctx.fs.exists(&join(prefix, "conda-meta")) {
        ctx.err(&format!("\nEnvironmentLocationNotFound: Not a conda environment: {prefix}\n\n"));
        return 1;
    }
    ctx.out(&format!("# packages in environment at {prefix}:\n#\n# Name                    Version                   Build  Channel\n"));
    for e in ctx.fs.read_dir(&join(prefix, "conda-meta")).unwrap_or_default() {
        let Some(stem) = e.name.strip_suffix(".json") else { continue };
        let parts: Vec<&str> = stem.rsplitn(3, '-').collect();
        if parts.len() == 3 {
            ctx.out(&format!("{:<25} {:<25} {:>6}\n", parts[2], parts[1], parts[0]));
        }
    }
    0
}

fn clean(root: &str, ctx: &mut Ctx) -> i32 {
    let pkgs = join(root, "pkgs");
    let entries = ctx.fs.read_dir(&pkgs).unwrap_or_default();
    let tarballs: Vec<String> = entries.iter().filter(|e| e.name.ends_with(".conda") || e.name.ends_with(".tar.bz2")).map(|e| e.name.clone()).collect();
    let dirs: Vec<String> = entries.iter().filter(|e| e.kind == crate::vfs::FileType::Dir && e.name != "cache").map(|e| e.name.clone()).collect();
    let bytes: u64 = tarballs.iter().map(|t| ctx.fs.stat(&join(&pkgs, t)).map_or(0, |m| m.size)).sum();
    if tarballs.is_empty() {
        ctx.out("There are no unused tarball(s) to remove.\n");
    } else {
        ctx.out(&format!("Will remove {} ({}) tarball(s).\n", tarballs.len(), size_text(bytes / 1024)));
    }
    for t in &tarballs {
        let _ = ctx.fs.remove_file(&join(&pkgs, t));
    }
    ctx.out("There are no index cache(s) to remove.\n");
    if dirs.is_empty() {
        ctx.out("There are no unused package(s) to remove.\n");
    } else {
        ctx.out(&format!("Will remove {} package(s).\n", dirs.len()));
    }
    for d in &dirs {
        let _ = ctx.fs.remove_all(&join(&pkgs, d));
    }
    ctx.out("There are no tempfile(s) to remove.\nThere are no logfile(s) to remove.\n");
    0
}

/// `conda run -n NAME CMD…`: the environment's `bin` first on PATH, then the command.
fn conda_run(root: &str, args: &[String], ctx: &mut Ctx) -> i32 {
    let mut name = None;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        match a.as_str() {
            "-n" | "--name" => {
                name = args.get(i + 1).cloned();
                i += 2;
            }
            "--no-capture-output" | "--live-stream" | "-v" => i += 1,
            _ => break,
        }
    }
    let prefix = match name.as_deref() {
        None | Some("base") => root.to_string(),
        Some(n) => format!("{root}/envs/{n}"),
    };
    if !ctx.fs.exists(&join(&prefix, "conda-meta")) {
        ctx.err(&format!("\nEnvironmentLocationNotFound: Not a conda environment: {prefix}\n\n"));
        return 1;
    }
    let command = args[i..].to_vec();
    if command.is_empty() {
        ctx.err("\nArgumentError: No command specified\n\n");
        return 1;
    }
    let mut env = ctx.env.clone();
    let path = env.get("PATH").cloned().unwrap_or_default();
    env.insert("PATH".into(), format!("{prefix}/bin:{path}"));
    env.insert("CONDA_PREFIX".into(), prefix.clone());
    env.insert("CONDA_DEFAULT_ENV".into(), name.unwrap_or_else(|| "base".into()));
    ctx.then_exec = Some((command, env));
    0
}

/// `conda-pack -n NAME -o FILE`: the environment as a relocatable tar, with
/// `bin/activate` and `bin/conda-unpack` (which rewrites the packed prefix to where the
/// archive was unpacked).
pub fn pack(args: &[String], ctx: &mut Ctx) -> i32 {
    let root = root_of("conda", ctx);
    let (mut name, mut prefix, mut out, mut force) = (None, None, None, false);
    let mut i = 0;
    while let Some(a) = args.get(i) {
        match a.as_str() {
            "-n" | "--name" => name = args.get(i + 1).cloned(),
            "-p" | "--prefix" => prefix = args.get(i + 1).cloned(),
            "-o" | "--output" => out = args.get(i + 1).cloned(),
            "-f" | "--force" => {
                force = true;
                i += 1;
                continue;
            }
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    let prefix = prefix.unwrap_or_else(|| match name.as_deref() {
        Some(n) if n != "base" => format!("{root}/envs/{n}"),
        _ => ctx.env.get("CONDA_PREFIX").cloned().unwrap_or_else(|| root.clone()),
    });
    if !ctx.fs.exists(&join(&prefix, "conda-meta")) {
        ctx.err(&format!("CondaPackError: Environment path '{prefix}' doesn't exist
"));
        return 1;
    }
    let env_name = prefix.rsplit('/').next().unwrap_or("env").to_string();
    let out = ctx.path(&out.unwrap_or_else(|| format!("{env_name}.tar.gz")));
    if ctx.fs.exists(&out) && !force {
        ctx.err(&format!("CondaPackError: File '{out}' already exists
"));
        return 1;
    }
    let mut tree = crate::vfs::MemoryFs::new();
    if let Err(e) = copy_tree(&*ctx.fs, &prefix, &mut tree, "") {
        ctx.err(&format!("CondaPackError: {e}\n"));
        return 1;
    }
    let activate = format!("# conda-pack activate: puts this environment first on PATH\n_CONDA_PACK_PREFIX=\"{prefix}\"\nexport CONDA_PREFIX=\"$_CONDA_PACK_PREFIX\"\nexport PATH=\"$_CONDA_PACK_PREFIX/bin:$PATH\"\nunset _CONDA_PACK_PREFIX\n");
    let unpack = format!("#!/bin/sh\n# conda-unpack: rewrites the prefix the environment was packed at ({prefix})\n# to where it now lives.\nhere=$(cd \"$(dirname \"$0\")/..\" && pwd)\nsed -i \"s|{prefix}|$here|g\" \"$here/bin/activate\"\n");
    let wrote = put_text(&mut tree, "/bin/activate", &activate, 0o644).and_then(|_| put_text(&mut tree, "/bin/conda-unpack", &unpack, 0o755));
    if let Err(e) = wrote {
        ctx.err(&format!("CondaPackError: {e}\n"));
        return 1;
    }
    let options = crate::image::layer::LayerOptions::default();
    let mut data = match crate::image::layer::tar_of(&tree, &options) {
        Ok(d) => d,
        Err(e) => {
            ctx.err(&format!("CondaPackError: {e}\n"));
            return 1;
        }
    };
    if out.ends_with(".gz") || out.ends_with(".tgz") {
        use std::io::Write;
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        let _ = enc.write_all(&data);
        data = enc.finish().unwrap_or_default();
    }
    ctx.out(&format!("Collecting packages...\nPacking environment at '{prefix}' to '{out}'\n[########################################] | 100% Completed |  1.0s\n"));
    if let Err(e) = ctx.fs.write(&out, &data) {
        ctx.err(&format!("CondaPackError: {e}\n"));
        return 1;
    }
    0
}

fn copy_tree(from: &dyn FileSystem, src: &str, to: &mut dyn FileSystem, dst: &str) -> crate::vfs::FsResult<()> {
    for e in from.read_dir(src)? {
        let s = join(src, &e.name);
        let d = format!("{dst}/{}", e.name);
        let meta = from.lstat(&s)?;
        if meta.is_dir() {
            to.create_dir_all(&d, meta.mode)?;
            copy_tree(from, &s, to, &d)?;
        } else if meta.is_symlink() {
            to.symlink(&from.read_link(&s)?, &d)?;
        } else {
            to.put_file(&d, from.content(&s)?, Attrs::mode(meta.mode))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_files_and_specs() {
        let env = parse_env_file("name: myenv\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.8\n  - numpy\n  - pip:\n    - flask==3.0.3\n", "environment.yml").unwrap();
        assert_eq!(env.name.as_deref(), Some("myenv"));
        assert_eq!(env.channels, vec!["conda-forge"]);
        assert_eq!(env.conda, vec!["python=3.8", "numpy"]);
        assert_eq!(env.pip, vec!["flask==3.0.3"]);
        let plan = solve(&["python=3.8".into(), "numpy".into()], "3.12.7", &BTreeMap::new()).unwrap();
        assert_eq!(plan[0], ("python".to_string(), "3.8.20".to_string()));
        assert!(plan.contains(&("numpy".to_string(), "1.24.4".to_string())), "{plan:?}");
        assert_eq!(solve(&["nosuch".into()], "3.12.7", &BTreeMap::new()), Err(vec!["nosuch".to_string()]));
    }
}
