//! The OCI runtime face: `berth oci …`, or the binary run as `berth-oci` (dispatched by
//! `argv[0]`), with runc's command line over a bundle's `config.json` (runtime-spec
//! 1.2): `create`, `start`, `state`, `kill`, `delete`, `run`, `ps`, `features`, so that
//! a container engine such as podman (`--runtime /path/to/berth-oci`) can use Berth as
//! its runtime. `create` sets the container up and leaves its process waiting on the
//! state directory's `exec.fifo` (as runc does); `start` opens the fifo and lets it
//! exec. The container's standard streams are the caller's (a terminal goes to the
//! `--console-socket`), and its process outlives `create`.
//!
//! State lives under `--root` (default `/run/berth-oci`), one directory per container
//! with `state.json`. Every hook of the runtime spec runs: `prestart`, `createRuntime`,
//! `poststart` and `poststop` here, in the runtime's namespaces; `createContainer` and
//! `startContainer` in the container's first process (see [`super::plan::HookRun`]).
//! Not done yet: user namespaces.

// System calls are what this backend is: each unsafe block says what makes it sound.
#![allow(unsafe_code)]

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::cgroup::Cgroups;
use super::plan::bundle::{self, Bundle};
use super::process::{self, Spawned, Streams};
use crate::runtime::spec::{self, ContainerSpec, Hook};

/// The name the binary answers to as the OCI runtime.
pub const BINARY: &str = "berth-oci";

const DEFAULT_ROOT: &str = "/run/berth-oci";

/// What `create` leaves for the other commands.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Record {
    id: String,
    /// PID and start time (a PID alone may be another process's later).
    identity: String,
    pid: i32,
    bundle: PathBuf,
    rootfs: PathBuf,
    created: String,
    cgroups_path: PathBuf,
    annotations: std::collections::BTreeMap<String, String>,
    hooks: spec::Hooks,
}

struct Global {
    root: PathBuf,
    log: Option<PathBuf>,
    json_log: bool,
}

type Result<T> = std::result::Result<T, String>;

/// Runs the OCI command line `args` (without the program's name). Returns the exit status.
pub fn main(args: &[String]) -> i32 {
    let mut g = Global { root: PathBuf::from(DEFAULT_ROOT), log: None, json_log: false };
    let mut i = 0;
    // Global options before the command, as runc takes them.
    while let Some(a) = args.get(i) {
        let (name, inline) = a.split_once('=').map_or((a.as_str(), None), |(n, v)| (n, Some(v.to_string())));
        let mut value = || inline.clone().or_else(|| {
            i += 1;
            args.get(i).cloned()
        });
        match name {
            "--root" => g.root = value().map(PathBuf::from).unwrap_or(g.root),
            "--log" => g.log = value().map(PathBuf::from),
            "--log-format" => g.json_log = value().as_deref() == Some("json"),
            "--rootless" | "--criu" => {
                if inline.is_none() && args.get(i + 1).is_some_and(|v| !v.starts_with('-') && matches!(v.as_str(), "true" | "false" | "auto")) {
                    i += 1;
                }
            }
            "--debug" | "--systemd-cgroup" | "--no-pivot" => {}
            "--version" | "-v" | "version" => {
                println!("{BINARY} version {}\nspec: {}", env!("CARGO_PKG_VERSION"), spec::OCI_VERSION);
                return 0;
            }
            "--help" | "-h" | "help" => {
                println!("usage: {BINARY} [--root DIR] [--log FILE] [--log-format text|json] COMMAND [OPTIONS] ID\n\ncommands: create, start, state, exec, pause, resume, kill, delete, run, ps, features");
                return 0;
            }
            _ => break,
        }
        i += 1;
    }
    let Some(command) = args.get(i) else {
        return report(&g, "no command given (create, start, state, exec, pause, resume, kill, delete, run, ps, features)");
    };
    let rest = &args[i + 1..];
    let r = match command.as_str() {
        "create" => create(&g, rest, false).map(|_| 0),
        "run" => create(&g, rest, true),
        "start" => one_id(rest).and_then(|id| start(&g, &id)).map(|_| 0),
        "state" => one_id(rest).and_then(|id| state(&g, &id)).map(|s| {
            println!("{s}");
            0
        }),
        "exec" => exec(&g, rest),
        "pause" => one_id(rest).and_then(|id| pause(&g, &id, true)).map(|_| 0),
        "resume" => one_id(rest).and_then(|id| pause(&g, &id, false)).map(|_| 0),
        "kill" => kill(&g, rest).map(|_| 0),
        "delete" => delete(&g, rest).map(|_| 0),
        "ps" => ps(&g, rest).map(|_| 0),
        "features" => {
            println!("{}", features());
            Ok(0)
        }
        other => Err(format!("unknown command {other:?} (create, start, state, exec, pause, resume, kill, delete, run, ps, features)")),
    };
    r.unwrap_or_else(|e| report(&g, &e))
}

/// Prints an error (and writes it to `--log`, as JSON with `--log-format json`, which
/// is where conmon and podman read it). Returns the exit status 1.
fn report(g: &Global, msg: &str) -> i32 {
    eprintln!("{BINARY}: {msg}");
    if let Some(log) = &g.log {
        let line = if g.json_log { format!("{}\n", serde_json::json!({ "level": "error", "msg": msg, "time": now() })) } else { format!("level=error msg={msg:?}\n") };
        let _ = std::fs::OpenOptions::new().create(true).append(true).open(log).and_then(|mut f| f.write_all(line.as_bytes()));
    }
    1
}

fn now() -> String {
    let ns = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i64);
    crate::time::rfc3339_nanos(ns)
}

/// Options of a command and its positional arguments.
struct Parsed {
    flags: Vec<(String, Option<String>)>,
    positional: Vec<String>,
}

impl Parsed {
    fn get(&self, names: &[&str]) -> Option<&str> {
        self.flags.iter().rev().find(|(n, _)| names.contains(&n.as_str())).and_then(|(_, v)| v.as_deref())
    }
    fn all(&self, names: &[&str]) -> Vec<&str> {
        self.flags.iter().filter(|(n, _)| names.contains(&n.as_str())).filter_map(|(_, v)| v.as_deref()).collect()
    }
    fn has(&self, names: &[&str]) -> bool {
        self.flags.iter().any(|(n, _)| names.contains(&n.as_str()))
    }
}

/// Parses `args`: the options in `valued` take a value, every other `-…` is a switch.
fn parse(args: &[String], valued: &[&str]) -> Parsed {
    let mut p = Parsed { flags: Vec::new(), positional: Vec::new() };
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if a.starts_with('-') && a.len() > 1 && p.positional.is_empty() {
            let (name, inline) = a.split_once('=').map_or((a.clone(), None), |(n, v)| (n.to_string(), Some(v.to_string())));
            let value = if valued.contains(&name.as_str()) && inline.is_none() {
                i += 1;
                args.get(i).cloned()
            } else {
                inline
            };
            p.flags.push((name, value));
        } else {
            p.positional.push(a.clone());
        }
        i += 1;
    }
    p
}

fn one_id(args: &[String]) -> Result<String> {
    let p = parse(args, &[]);
    p.positional.first().cloned().ok_or_else(|| "a container ID is required".into())
}

fn valid_id(id: &str) -> Result<()> {
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || "_+-.".contains(c)) || id == "." || id == ".." {
        return Err(format!("invalid container ID format: {id}"));
    }
    Ok(())
}

/// The bundle's `config.json`, with an error that names the field it is about.
pub fn load_config(bundle: &Path) -> Result<ContainerSpec> {
    let path = bundle.join("config.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_config(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Parses a `config.json`. A field of the wrong type or shape is named by its path
/// (`process.args`), found by reading each part on its own.
pub fn parse_config(text: &str) -> Result<ContainerSpec> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    match serde_json::from_value::<ContainerSpec>(value.clone()) {
        Ok(spec) => {
            if spec.oci_version.is_empty() {
                return Err("ociVersion: missing".into());
            }
            if spec.root.path.is_empty() {
                return Err("root.path: missing".into());
            }
            if spec.process.args.is_empty() {
                return Err("process.args: the process has no arguments".into());
            }
            if spec.process.cwd.is_empty() || !spec.process.cwd.starts_with('/') {
                return Err(format!("process.cwd: {:?} is not an absolute path", spec.process.cwd));
            }
            Ok(spec)
        }
        Err(whole) => Err(locate(&value).unwrap_or_else(|| whole.to_string())),
    }
}

/// Which field of a config that does not read is wrong: each section, and each field
/// of `process`, `root` and `linux`, read on its own.
fn locate(value: &serde_json::Value) -> Option<String> {
    fn check<T: serde::de::DeserializeOwned>(v: &serde_json::Value, path: &str) -> Option<String> {
        serde_json::from_value::<T>(v.clone()).err().map(|e| format!("{path}: {e}"))
    }
    let field = |section: &str, name: &str| value.get(section).and_then(|s| s.get(name));
    let obj = value.as_object()?;
    if obj.get("process").is_none() {
        return Some("process: missing".into());
    }
    for name in ["args", "env"] {
        if let Some(v) = field("process", name) {
            if let Some(e) = check::<Vec<String>>(v, &format!("process.{name}")) {
                return Some(e);
            }
        }
    }
    if let Some(v) = field("process", "cwd") {
        if let Some(e) = check::<String>(v, "process.cwd") {
            return Some(e);
        }
    }
    if let Some(v) = field("process", "user") {
        if let Some(e) = check::<spec::User>(v, "process.user") {
            return Some(e);
        }
    }
    if let Some(v) = field("process", "rlimits") {
        if let Some(e) = check::<Vec<spec::Rlimit>>(v, "process.rlimits") {
            return Some(e);
        }
    }
    if let Some(e) = obj.get("process").and_then(|v| check::<spec::ProcessSpec>(v, "process")) {
        return Some(e);
    }
    if let Some(e) = obj.get("root").map_or(Some("root: missing".into()), |v| check::<spec::RootSpec>(v, "root")) {
        return Some(e);
    }
    if let Some(mounts) = obj.get("mounts").and_then(|m| m.as_array()) {
        for (i, m) in mounts.iter().enumerate() {
            if let Some(e) = check::<spec::MountSpec>(m, &format!("mounts[{i}]")) {
                return Some(e);
            }
        }
    }
    if let Some(linux) = obj.get("linux").and_then(|l| l.as_object()) {
        for (name, v) in linux {
            let e = match name.as_str() {
                "namespaces" => check::<Vec<spec::Namespace>>(v, "linux.namespaces"),
                "resources" => check::<spec::Resources>(v, "linux.resources"),
                "devices" => check::<Vec<spec::DeviceSpec>>(v, "linux.devices"),
                "maskedPaths" | "readonlyPaths" => check::<Vec<String>>(v, &format!("linux.{name}")),
                "sysctl" => check::<std::collections::BTreeMap<String, String>>(v, "linux.sysctl"),
                "cgroupsPath" => check::<String>(v, "linux.cgroupsPath"),
                _ => None,
            };
            if e.is_some() {
                return e;
            }
        }
    }
    if let Some(e) = obj.get("hooks").and_then(|v| check::<spec::Hooks>(v, "hooks")) {
        return Some(e);
    }
    None
}

/// Finds `argv0` as `execve` in the container will: a path, or each `PATH` directory,
/// with symlinks resolved inside `rootfs`.
fn lookup(rootfs: &Path, argv0: &str, path: &str, cwd: &str) -> bool {
    let candidates: Vec<String> = if argv0.contains('/') {
        vec![if argv0.starts_with('/') { argv0.to_string() } else { format!("{cwd}/{argv0}") }]
    } else {
        path.split(':').filter(|d| !d.is_empty()).map(|d| format!("{d}/{argv0}")).collect()
    };
    candidates.iter().any(|c| resolve(rootfs, c, 0).is_some_and(|p| p.is_file()))
}

/// `path` inside `rootfs` with every symlink followed inside it.
fn resolve(rootfs: &Path, path: &str, depth: usize) -> Option<PathBuf> {
    if depth > 40 {
        return None;
    }
    let mut at = String::new();
    let normalized = crate::vfs::normalize(path);
    let parts: Vec<&str> = crate::vfs::components(&normalized);
    for (i, part) in parts.iter().enumerate() {
        let next = format!("{at}/{part}");
        let host = rootfs.join(next.trim_start_matches('/'));
        match std::fs::read_link(&host) {
            Ok(target) => {
                let target = target.to_string_lossy().into_owned();
                let joined = if target.starts_with('/') { target } else { format!("{at}/{target}") };
                let rest = parts[i + 1..].join("/");
                return resolve(rootfs, &format!("{joined}/{rest}"), depth + 1);
            }
            Err(_) => at = next,
        }
    }
    Some(rootfs.join(at.trim_start_matches('/')))
}

fn dir_of(g: &Global, id: &str) -> PathBuf {
    g.root.join(id)
}

fn read_record(g: &Global, id: &str) -> Result<Record> {
    valid_id(id)?;
    let bytes = std::fs::read(dir_of(g, id).join("state.json")).map_err(|_| format!("container does not exist: {id}"))?;
    serde_json::from_slice(&bytes).map_err(|e| format!("the state of container {id} cannot be read: {e}"))
}

fn status(g: &Global, r: &Record) -> &'static str {
    if !super::supervisor::alive_as(&r.identity) {
        "stopped"
    } else if dir_of(g, &r.id).join("exec.fifo").exists() {
        "created"
    } else if Cgroups::existing_at(&r.cgroups_path).frozen() {
        "paused"
    } else {
        "running"
    }
}

/// The state as the runtime spec words it, and runc's extra fields.
fn state_json(g: &Global, r: &Record) -> serde_json::Value {
    let status = status(g, r);
    serde_json::json!({
        "ociVersion": spec::OCI_VERSION,
        "id": r.id,
        "pid": if status == "stopped" { 0 } else { r.pid },
        "status": status,
        "bundle": r.bundle,
        "rootfs": r.rootfs,
        "created": r.created,
        "owner": "",
        "annotations": r.annotations,
    })
}

fn state(g: &Global, id: &str) -> Result<String> {
    let r = read_record(g, id)?;
    serde_json::to_string_pretty(&state_json(g, &r)).map_err(|e| e.to_string())
}

/// Runs `hooks` in turn with the state on standard input; the first that fails stops.
fn run_hooks(kind: &str, hooks: &[Hook], state: &serde_json::Value) -> Result<()> {
    for h in hooks {
        let mut cmd = std::process::Command::new(&h.path);
        if h.args.len() > 1 {
            cmd.args(&h.args[1..]);
        }
        if let Some(argv0) = h.args.first() {
            std::os::unix::process::CommandExt::arg0(&mut cmd, argv0);
        }
        cmd.env_clear().envs(h.env.iter().filter_map(|e| e.split_once('='))).stdin(std::process::Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| format!("{kind} hook {}: {e}", h.path))?;
        if let Some(mut stdin) = child.stdin.take() {
            let _ = stdin.write_all(state.to_string().as_bytes());
        }
        let deadline = h.timeout.map(|t| std::time::Instant::now() + std::time::Duration::from_secs(t));
        let status = loop {
            match child.try_wait() {
                Ok(Some(s)) => break s,
                Ok(None) if deadline.is_some_and(|d| std::time::Instant::now() > d) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("{kind} hook {}: timed out after {}s", h.path, h.timeout.unwrap_or(0)));
                }
                Ok(None) => std::thread::sleep(std::time::Duration::from_millis(2)),
                Err(e) => return Err(format!("{kind} hook {}: {e}", h.path)),
            }
        };
        if !status.success() {
            return Err(format!("{kind} hook {} failed: {status}", h.path));
        }
    }
    Ok(())
}

/// `create` (and `run`, which goes on to start it and, unless `--detach`, waits for it
/// and deletes it, returning its status).
fn create(g: &Global, args: &[String], run: bool) -> Result<i32> {
    let p = parse(args, &["--bundle", "-b", "--pid-file", "--console-socket", "--preserve-fds"]);
    let id = p.positional.first().cloned().ok_or("a container ID is required")?;
    valid_id(&id)?;
    let bundle_dir = std::fs::canonicalize(p.get(&["--bundle", "-b"]).unwrap_or(".")).map_err(|e| format!("bundle: {e}"))?;
    let mut spec = load_config(&bundle_dir)?;
    let rootfs = bundle_dir.join(&spec.root.path);
    let rootfs = std::fs::canonicalize(&rootfs).map_err(|e| format!("root.path: {}: {e}", rootfs.display()))?;
    let argv0 = spec.process.args[0].clone();
    if !lookup(&rootfs, &argv0, spec.path(), &spec.process.cwd) {
        return Err(if argv0.contains('/') { format!("exec: \"{argv0}\": stat {argv0}: no such file or directory") } else { format!("exec: \"{argv0}\": executable file not found in $PATH") });
    }
    // No profile in a bundle is no filter (the runtime spec's rule).
    if spec.linux.seccomp.is_none() {
        spec.linux.seccomp = Some(spec::unconfined());
    }
    let console_socket = p.get(&["--console-socket"]).map(PathBuf::from);
    if spec.process.terminal && console_socket.is_none() && !run {
        return Err("process.terminal: a terminal needs --console-socket".into());
    }
    let mut flags = libc::CLONE_NEWNS;
    let mut join = Vec::new();
    let mut opened: Vec<OwnedFd> = Vec::new();
    for (i, ns) in spec.linux.namespaces.iter().enumerate() {
        let flag = super::plan::NAMESPACES.iter().find(|(k, _)| *k == ns.kind).map(|(_, f)| *f).ok_or_else(|| format!("linux.namespaces[{i}].type: unknown namespace {:?}", ns.kind))?;
        match (ns.kind.as_str(), &ns.path) {
            ("user" | "time", _) => return Err(format!("linux.namespaces[{i}]: {} namespaces are not supported by berth-oci yet", ns.kind)),
            ("pid" | "mount", Some(_)) => return Err(format!("linux.namespaces[{i}]: joining a {} namespace is not supported by berth-oci yet", ns.kind)),
            ("cgroup", None) => {}
            (_, None) => flags |= flag,
            (_, Some(path)) => {
                let f = std::fs::File::open(path).map_err(|e| format!("linux.namespaces[{i}].path: {path}: {e}"))?;
                join.push((f.as_raw_fd(), flag));
                opened.push(OwnedFd::from(f));
            }
        }
    }
    if !spec.linux.namespaces.iter().any(|n| n.kind == "mount") {
        return Err("linux.namespaces: a mount namespace is required".into());
    }

    let dir = dir_of(g, &id);
    std::fs::create_dir_all(&g.root).map_err(|e| format!("{}: {e}", g.root.display()))?;
    if std::fs::create_dir(&dir).is_err() {
        return Err(format!("container with id exists: {id}"));
    }
    let cleanup = |cgroups: Option<&mut Cgroups>| {
        if let Some(c) = cgroups {
            c.remove();
        }
        let _ = std::fs::remove_dir_all(&dir);
    };
    let fifo = dir.join("exec.fifo");
    let fifo_c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).map_err(|_| "the state directory's path has a NUL byte")?;
    // SAFETY: a C string path; the mode as runc makes it (writable by the container's user).
    let made = unsafe {
        let old = libc::umask(0);
        let r = libc::mkfifo(fifo_c.as_ptr(), 0o622);
        libc::umask(old);
        r
    };
    if made != 0 {
        let e = std::io::Error::last_os_error();
        cleanup(None);
        return Err(format!("creating {}: {e}", fifo.display()));
    }
    // SAFETY: opens a path given as a C string; the descriptor is ours.
    let fifo_fd = unsafe { libc::open(fifo_c.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
    if fifo_fd < 0 {
        let e = std::io::Error::last_os_error();
        cleanup(None);
        return Err(format!("opening {}: {e}", fifo.display()));
    }
    // SAFETY: a new descriptor, ours.
    let fifo_owned = unsafe { OwnedFd::from_raw_fd(fifo_fd) };
    let cgroups_path = PathBuf::from(match &spec.linux.cgroups_path {
        // systemd's `slice:prefix:name`, as a path under the slice.
        Some(p) if !p.starts_with('/') && p.contains(':') => {
            let parts: Vec<&str> = p.split(':').collect();
            format!("{}/{}-{}.scope", parts[0], parts.get(1).unwrap_or(&"berth"), parts.get(2).unwrap_or(&id.as_str()))
        }
        Some(p) => p.trim_start_matches('/').to_string(),
        None => format!("berth-oci/{id}"),
    });
    let mut cgroups = match Cgroups::create_at(&cgroups_path, &spec.linux.resources) {
        Ok(c) => c,
        Err(e) => {
            cleanup(None);
            return Err(e);
        }
    };
    let b = Bundle { dir: bundle_dir.clone(), rootfs: rootfs.clone(), old_root: format!(".berth-oci-old-root-{}", std::process::id()), join, fifo: format!("/proc/self/fd/{fifo_fd}"), id: id.clone() };
    let terminal = spec.process.terminal;
    let spawned = process::spawn_with(|fds| Ok((bundle::build(&spec, &b, fds)?, flags)), Streams::Inherit, terminal, &cgroups, || Ok(()), |_| Ok(()));
    drop(opened);
    let (pid, master) = match spawned {
        Ok((Spawned::Inherited { pid, master }, true)) => (pid, master),
        Ok(_) => {
            cleanup(Some(&mut cgroups));
            return Err("the container did not report itself ready".into());
        }
        Err(e) => {
            cleanup(Some(&mut cgroups));
            return Err(e.to_string());
        }
    };
    let abort = |cgroups: &mut Cgroups, msg: String| {
        // SAFETY: a signal to the container's own process.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        process::wait(pid);
        cleanup(Some(cgroups));
        Err(msg)
    };
    if let (Some(master), Some(socket)) = (&master, &console_socket) {
        let sent = std::os::unix::net::UnixStream::connect(socket).map_err(|e| format!("--console-socket {}: {e}", socket.display())).and_then(|s| super::sys::send_fd(s.as_raw_fd(), master.as_raw_fd()).map_err(|e| format!("sending the terminal: errno {e}")));
        if let Err(e) = sent {
            return abort(&mut cgroups, e);
        }
    }
    let record = Record { id: id.clone(), identity: super::supervisor::identity(pid), pid, bundle: bundle_dir, rootfs, created: now(), cgroups_path, annotations: spec.annotations.clone(), hooks: spec.hooks.clone() };
    let written = serde_json::to_vec(&record).map_err(|e| e.to_string()).and_then(|b| std::fs::write(dir.join("state.json"), b).map_err(|e| format!("writing the container's state: {e}")));
    if let Err(e) = written {
        return abort(&mut cgroups, e);
    }
    if let Some(pid_file) = p.get(&["--pid-file"]) {
        if let Err(e) = std::fs::write(pid_file, pid.to_string()) {
            return abort(&mut cgroups, format!("--pid-file {pid_file}: {e}"));
        }
    }
    let hooks: Vec<Hook> = spec.hooks.prestart.iter().chain(&spec.hooks.create_runtime).cloned().collect();
    if let Err(e) = run_hooks("createRuntime", &hooks, &state_json(g, &record)) {
        return abort(&mut cgroups, e);
    }
    drop(fifo_owned);
    if !run {
        return Ok(0);
    }
    start(g, &id)?;
    if p.has(&["--detach", "-d"]) {
        return Ok(0);
    }
    let status = match master {
        Some(m) if console_socket.is_none() => {
            process::relay(m, true);
            process::wait(pid)
        }
        _ => process::wait(pid),
    };
    delete(g, &[id])?;
    Ok(status)
}

fn start(g: &Global, id: &str) -> Result<()> {
    let r = read_record(g, id)?;
    match status(g, &r) {
        "created" => {}
        "running" => return Err("cannot start an already running container".into()),
        _ => return Err("cannot start a container that has stopped".into()),
    }
    let fifo = dir_of(g, id).join("exec.fifo");
    let mut f = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(&fifo).map_err(|e| format!("opening {}: {e}", fifo.display()))?;
    // The container opens its end once ours is open; until then a read sees no writer.
    let mut byte = [0u8; 1];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        match f.read(&mut byte) {
            Ok(1) => break,
            Ok(_) | Err(_) if super::supervisor::alive_as(&r.identity) && std::time::Instant::now() < deadline => std::thread::sleep(std::time::Duration::from_micros(200)),
            _ => return Err("the container's process went away before its start".into()),
        }
    }
    let _ = std::fs::remove_file(&fifo);
    if let Err(e) = run_hooks("poststart", &r.hooks.poststart, &state_json(g, &r)) {
        eprintln!("{BINARY}: {e}");
    }
    Ok(())
}

/// `exec`: another process in a running container, from `--process FILE` (a runtime
/// spec `process`) or from the container's own with the command line's changes, as
/// runc takes them. With `--detach` its PID is written to `--pid-file` and it is left
/// to the caller's subreaper; without, this waits and returns its status.
fn exec(g: &Global, args: &[String]) -> Result<i32> {
    let p = parse(args, &["--process", "-p", "--pid-file", "--console-socket", "--cwd", "--env", "-e", "--user", "-u", "--cap", "-c", "--additional-gids", "-g", "--preserve-fds", "--process-label", "--apparmor", "--cgroup"]);
    let id = p.positional.first().ok_or("a container ID is required")?;
    let r = read_record(g, id)?;
    match status(g, &r) {
        "stopped" => return Err("cannot exec in a stopped container".into()),
        "paused" => return Err("cannot exec in a paused container".into()),
        _ => {}
    }
    let mut spec = load_config(&r.bundle)?;
    if spec.linux.seccomp.is_none() {
        spec.linux.seccomp = Some(spec::unconfined());
    }
    if let Some(file) = p.get(&["--process", "-p"]) {
        let text = std::fs::read_to_string(file).map_err(|e| format!("--process {file}: {e}"))?;
        spec.process = serde_json::from_str(&text).map_err(|e| format!("--process {file}: {e}"))?;
    } else {
        let command = &p.positional[1..];
        if command.is_empty() {
            return Err("exec: a command is required (or --process FILE)".into());
        }
        spec.process.args = command.to_vec();
        spec.process.terminal = p.has(&["--tty", "-t"]);
        if let Some(cwd) = p.get(&["--cwd"]) {
            spec.process.cwd = cwd.to_string();
        }
        spec.process.env.extend(p.all(&["--env", "-e"]).into_iter().map(str::to_string));
        if let Some(user) = p.get(&["--user", "-u"]) {
            let (uid, gid) = user.split_once(':').unwrap_or((user, "0"));
            spec.process.user.uid = uid.parse().map_err(|_| format!("--user {user}: not uid[:gid]"))?;
            spec.process.user.gid = gid.parse().map_err(|_| format!("--user {user}: not uid[:gid]"))?;
        }
        for g in p.all(&["--additional-gids", "-g"]) {
            let gid = g.parse().map_err(|_| format!("--additional-gids {g}: not a number"))?;
            spec.process.user.additional_gids.get_or_insert_with(Vec::new).push(gid);
        }
        let added: Vec<String> = p.all(&["--cap", "-c"]).into_iter().map(|c| if c.starts_with("CAP_") { c.to_string() } else { format!("CAP_{c}") }).collect();
        if !added.is_empty() {
            let caps = spec.process.capabilities.get_or_insert_with(Default::default);
            for set in [&mut caps.bounding, &mut caps.effective, &mut caps.permitted] {
                set.extend(added.iter().cloned());
            }
        }
        if p.has(&["--no-new-privs"]) {
            spec.process.no_new_privileges = true;
        }
    }
    if spec.process.args.is_empty() {
        return Err("process.args: empty".into());
    }
    let detach = p.has(&["--detach", "-d"]);
    let console = match p.get(&["--console-socket"]) {
        Some(path) => Some(std::os::unix::net::UnixStream::connect(path).map_err(|e| format!("--console-socket {path}: {e}"))?),
        None if spec.process.terminal => return Err("cannot allocate tty if berth-oci will detach without setting console socket".into()),
        None => None,
    };
    if !detach {
        // The process is reparented to us once the child that entered exits.
        // SAFETY: prctl with integer arguments.
        unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) };
    }
    let cgroups = Cgroups::existing_at(&r.cgroups_path);
    let pid = super::exec::exec_detached(r.pid, &cgroups.procs_files_here(), &spec, console.as_ref(), [0, 1, 2]).map_err(|e| e.to_string())?;
    drop(console);
    if let Some(pid_file) = p.get(&["--pid-file"]) {
        std::fs::write(pid_file, pid.to_string()).map_err(|e| format!("--pid-file {pid_file}: {e}"))?;
    }
    if detach {
        return Ok(0);
    }
    Ok(process::wait(pid))
}

/// `pause` and `resume`: the freezer over every process of the container.
fn pause(g: &Global, id: &str, frozen: bool) -> Result<()> {
    let r = read_record(g, id)?;
    match (status(g, &r), frozen) {
        ("running", true) | ("paused", false) => Cgroups::existing_at(&r.cgroups_path).set_frozen(frozen),
        (_, true) => Err("container not running".into()),
        (_, false) => Err("container not paused".into()),
    }
}

/// A signal by number or name, in any case (`9`, `kill`, `SIGKILL`).
fn signal_of(name: &str) -> Result<i32> {
    crate::runtime::signal_number(&name.to_ascii_uppercase()).ok_or_else(|| format!("unknown signal {name:?}"))
}

fn kill(g: &Global, args: &[String]) -> Result<()> {
    let p = parse(args, &[]);
    let id = p.positional.first().ok_or("a container ID is required")?;
    let signal = signal_of(p.positional.get(1).map_or("TERM", String::as_str))?;
    let r = read_record(g, id)?;
    if status(g, &r) == "stopped" {
        return Err("container not running".into());
    }
    let pids = if p.has(&["--all", "-a"]) { Cgroups::existing_at(&r.cgroups_path).pids() } else { vec![r.pid] };
    for pid in pids {
        // SAFETY: a signal to a process of the container.
        if unsafe { libc::kill(pid, signal) } != 0 {
            return Err(format!("kill {pid}: {}", std::io::Error::last_os_error()));
        }
    }
    Ok(())
}

fn delete(g: &Global, args: &[String]) -> Result<()> {
    let p = parse(args, &[]);
    let id = p.positional.first().ok_or("a container ID is required")?;
    let r = match read_record(g, id) {
        Ok(r) => r,
        // `delete --force` of what is not there is done, as runc has it.
        Err(_) if p.has(&["--force", "-f"]) => return Ok(()),
        Err(e) => return Err(e),
    };
    let s = status(g, &r);
    if s != "stopped" {
        if !p.has(&["--force", "-f"]) {
            return Err(format!("cannot delete container {id} that is not stopped: {s}"));
        }
        let alive = super::supervisor::alive_as(&r.identity);
        Cgroups::existing_at(&r.cgroups_path).kill_and_remove(alive.then_some(r.pid));
    } else {
        Cgroups::existing_at(&r.cgroups_path).remove();
    }
    let _ = std::fs::remove_dir_all(dir_of(g, id));
    if let Err(e) = run_hooks("poststop", &r.hooks.poststop, &state_json(g, &r)) {
        eprintln!("{BINARY}: {e}");
    }
    Ok(())
}

/// `ps`: the container's processes, as PIDs (`--format json`) or as `ps -ef` shows them.
fn ps(g: &Global, args: &[String]) -> Result<()> {
    let p = parse(args, &["--format", "-f"]);
    let id = p.positional.first().ok_or("a container ID is required")?;
    let r = read_record(g, id)?;
    let pids = Cgroups::existing_at(&r.cgroups_path).pids();
    if p.get(&["--format", "-f"]) == Some("json") {
        println!("{}", serde_json::to_string(&pids).unwrap_or_default());
        return Ok(());
    }
    let out = std::process::Command::new("ps").arg("-ef").output().map_err(|e| format!("ps: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    if let Some(header) = lines.next() {
        println!("{header}");
    }
    for line in lines {
        if line.split_whitespace().nth(1).and_then(|p| p.parse::<i32>().ok()).is_some_and(|p| pids.contains(&p)) {
            println!("{line}");
        }
    }
    Ok(())
}

/// `features` (runtime-spec `features.json`): what this runtime takes.
fn features() -> String {
    let caps: Vec<String> = spec::CAPABILITIES.iter().map(|c| format!("CAP_{c}")).collect();
    serde_json::to_string_pretty(&serde_json::json!({
        "ociVersionMin": "1.0.0",
        "ociVersionMax": spec::OCI_VERSION,
        "hooks": ["prestart", "createRuntime", "poststart", "poststop"],
        "mountOptions": ["async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "iversion", "lazytime", "loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "noiversion", "nolazytime", "nomand", "norelatime", "nostrictatime", "nosuid", "private", "rbind", "relatime", "remount", "ro", "rprivate", "rshared", "rslave", "runbindable", "rw", "shared", "silent", "slave", "strictatime", "suid", "sync", "unbindable"],
        "linux": {
            "namespaces": ["cgroup", "ipc", "mount", "network", "pid", "uts"],
            "capabilities": caps,
            "cgroup": { "v1": true, "v2": true, "systemd": false, "systemdUser": false },
            "seccomp": { "enabled": true, "actions": ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP", "SCMP_ACT_LOG"], "archs": ["SCMP_ARCH_X86_64"] },
            "apparmor": { "enabled": false },
            "selinux": { "enabled": false }
        },
        "annotations": { "org.berth.runtime": "berth-oci" }
    })).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"{"ociVersion":"1.2.0","process":{"user":{"uid":0,"gid":0},"args":["sh"],"cwd":"/"},"root":{"path":"rootfs"},"linux":{"namespaces":[{"type":"mount"}]}}"#;

    #[test]
    fn a_bad_config_is_named_by_its_field() {
        assert!(parse_config(MINIMAL).is_ok());
        let bad = MINIMAL.replace(r#""args":["sh"]"#, r#""args":"sh""#);
        assert!(parse_config(&bad).unwrap_err().starts_with("process.args: invalid type: string"), "{}", parse_config(&bad).unwrap_err());
        let bad = MINIMAL.replace(r#""cwd":"/""#, r#""cwd":"rel""#);
        assert_eq!(parse_config(&bad).unwrap_err(), "process.cwd: \"rel\" is not an absolute path");
        let bad = MINIMAL.replace(r#"{"type":"mount"}"#, r#"{"kind":"mount"}"#);
        assert!(parse_config(&bad).unwrap_err().starts_with("linux.namespaces: missing field `type`"), "{}", parse_config(&bad).unwrap_err());
        let bad = MINIMAL.replace(r#","root":{"path":"rootfs"}"#, "");
        assert_eq!(parse_config(&bad).unwrap_err(), "root: missing");
        assert!(parse_config("{").unwrap_err().starts_with("not JSON"));
        let bad = MINIMAL.replace(r#""linux":"#, r#""mounts":[{"destination":"/x","options":"ro"}],"linux":"#);
        assert!(parse_config(&bad).unwrap_err().starts_with("mounts[0]: invalid type"), "{}", parse_config(&bad).unwrap_err());
    }

    #[test]
    fn ids_and_signals_are_checked() {
        assert!(valid_id("web-1.a_b+c").is_ok());
        assert_eq!(valid_id("a/b").unwrap_err(), "invalid container ID format: a/b");
        assert_eq!(signal_of("SIGKILL").unwrap(), 9);
        assert_eq!(signal_of("term").unwrap(), 15);
        assert_eq!(signal_of("10").unwrap(), 10);
        assert!(signal_of("NOPE").is_err());
    }

    #[test]
    fn programs_are_found_through_symlinks_inside_the_root() {
        let dir = std::env::temp_dir().join(format!("berth-oci-lookup-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("bin")).unwrap();
        std::fs::write(dir.join("bin/busybox"), b"\x7fELF").unwrap();
        std::os::unix::fs::symlink("busybox", dir.join("bin/sh")).unwrap();
        std::os::unix::fs::symlink("/bin", dir.join("usr-bin")).unwrap();
        assert!(lookup(&dir, "sh", "/usr/bin:/bin", "/"));
        assert!(lookup(&dir, "/usr-bin/sh", "", "/"));
        assert!(!lookup(&dir, "nope", "/bin", "/"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
