//! What a container's first process does between the clone and `execve`, as data: a list
//! of [`Step`]s built from the spec before the clone (every string already a C string),
//! then carried out through [`Sys`] one by one. The order follows runc's
//! `prepareRootfs` and `finalizeNamespace`: mounts private, the overlay at the root,
//! `pivot_root`, `/proc`, `/dev` as a tmpfs with its nodes, `/sys` read-only, the
//! container's mounts and files, Docker's masked and read-only paths, the old root
//! gone, then hostname, loopback, capabilities, user and the program.
//!
//! The container's mounts are made after `pivot_root`, their sources reached through the
//! old root under a name chosen at random for this start: a symlink in the image then
//! resolves inside the container (as runc's `securejoin` resolves it), never on the host.

// System calls are what this backend is: each unsafe block says what makes it sound.
#![allow(unsafe_code)]
// The mount flags are `c_ulong`, 32 bits wide on some targets.
#![allow(clippy::unnecessary_cast)]

use std::ffi::CString;
use std::path::PathBuf;

use super::sys::{Errno, Sys};
use crate::runtime::spec::ContainerSpec;

/// Docker's default capability set (moby's `caps.DefaultCapabilities`).
pub const DEFAULT_CAPS: &[(&str, u32)] = &[
    ("CHOWN", 0),
    ("DAC_OVERRIDE", 1),
    ("FOWNER", 3),
    ("FSETID", 4),
    ("KILL", 5),
    ("SETGID", 6),
    ("SETUID", 7),
    ("SETPCAP", 8),
    ("NET_BIND_SERVICE", 10),
    ("NET_RAW", 13),
    ("SYS_CHROOT", 18),
    ("MKNOD", 27),
    ("AUDIT_WRITE", 29),
    ("SETFCAP", 31),
];

pub fn default_caps() -> u64 {
    DEFAULT_CAPS.iter().fold(0, |set, (_, bit)| set | (1u64 << bit))
}

/// The capability set the spec gives (Docker's default where it gives none), within
/// what this process has (`--privileged` on a host without `CAP_SYS_RESOURCE` gets
/// every capability but that one).
pub fn caps_of(spec: &ContainerSpec) -> u64 {
    let wanted = match &spec.process.capabilities {
        Some(c) => c.bounding.iter().filter_map(|n| crate::runtime::spec::capability(n)).fold(0, |set, bit| set | (1u64 << bit)),
        None => default_caps(),
    };
    wanted & own_caps()
}

/// This process's bounding set (all where it cannot be read).
fn own_caps() -> u64 {
    std::fs::read_to_string("/proc/self/status").ok().and_then(|s| s.lines().find_map(|l| l.strip_prefix("CapBnd:")).and_then(|v| u64::from_str_radix(v.trim(), 16).ok())).unwrap_or(u64::MAX)
}

/// Where this process's command line is in its memory (`arg_start`, `arg_end` of
/// `/proc/self/stat`).
fn own_args() -> (usize, usize) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rfind(')').map_or("", |i| &stat[i + 1..]);
    let fields: Vec<&str> = after.split_whitespace().collect();
    // Fields 48 and 49 of stat(5); `after` starts at field 3.
    let at = |n: usize| fields.get(n - 3).and_then(|v| v.parse().ok()).unwrap_or(0);
    (at(48), at(49))
}

/// `RLIMIT_NOFILE` → its number.
fn rlimit_number(kind: &str) -> Option<i32> {
    let n = match kind.strip_prefix("RLIMIT_")? {
        "CPU" => libc::RLIMIT_CPU,
        "FSIZE" => libc::RLIMIT_FSIZE,
        "DATA" => libc::RLIMIT_DATA,
        "STACK" => libc::RLIMIT_STACK,
        "CORE" => libc::RLIMIT_CORE,
        "RSS" => libc::RLIMIT_RSS,
        "NPROC" => libc::RLIMIT_NPROC,
        "NOFILE" => libc::RLIMIT_NOFILE,
        "MEMLOCK" => libc::RLIMIT_MEMLOCK,
        "AS" => libc::RLIMIT_AS,
        "LOCKS" => libc::RLIMIT_LOCKS,
        "SIGPENDING" => libc::RLIMIT_SIGPENDING,
        "MSGQUEUE" => libc::RLIMIT_MSGQUEUE,
        "NICE" => libc::RLIMIT_NICE,
        "RTPRIO" => libc::RLIMIT_RTPRIO,
        "RTTIME" => libc::RLIMIT_RTTIME,
        _ => return None,
    };
    Some(n as i32)
}

/// A tmpfs mount's options split as mount(2) wants them: flags, and the rest as data.
fn tmpfs_options(options: &[String]) -> (u64, String) {
    let mut flags = 0;
    let mut data = Vec::new();
    for o in options {
        match o.as_str() {
            "ro" => flags |= MS_RDONLY,
            "nosuid" => flags |= MS_NOSUID,
            "nodev" => flags |= MS_NODEV,
            "noexec" => flags |= MS_NOEXEC,
            "rw" | "suid" | "dev" | "exec" => {}
            other => data.push(other.to_string()),
        }
    }
    (flags, data.join(","))
}

/// Docker's masked paths: a file is covered with `/dev/null`, a directory with an empty
/// read-only tmpfs.
pub const MASKED_FILES: &[&str] = &["/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug"];
pub const MASKED_DIRS: &[&str] = &["/proc/asound", "/proc/acpi", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap"];
/// Docker's read-only paths.
pub const READ_ONLY: &[&str] = &["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/// The device nodes of `/dev`: name, major, minor (Docker's default devices).
pub const DEVICES: &[(&str, u32, u32)] = &[("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8), ("urandom", 1, 9), ("tty", 5, 0)];

const MS_REC: u64 = libc::MS_REC as u64;
const MS_PRIVATE: u64 = libc::MS_PRIVATE as u64;
const MS_BIND: u64 = libc::MS_BIND as u64;
const MS_RDONLY: u64 = libc::MS_RDONLY as u64;
const MS_REMOUNT: u64 = libc::MS_REMOUNT as u64;
const MS_NOSUID: u64 = libc::MS_NOSUID as u64;
const MS_NODEV: u64 = libc::MS_NODEV as u64;
const MS_NOEXEC: u64 = libc::MS_NOEXEC as u64;
const MS_STRICTATIME: u64 = libc::MS_STRICTATIME as u64;

/// One thing the child does. `optional` steps may fail (a masked path the kernel does
/// not have); any other failure stops the start and is reported with the step.
#[derive(Debug)]
pub enum Step {
    WaitParent(i32),
    /// A cgroup namespace of its own, made once the parent has placed it in its cgroups
    /// (so that they are its namespace's root, as runc does).
    UnshareCgroup,
    DieWithParent,
    Umask(u32),
    Mount { source: Option<CString>, target: CString, fstype: Option<CString>, flags: u64, data: Option<CString>, optional: bool },
    Umount { target: CString, flags: i32 },
    /// A directory; one that exists already is fine.
    Mkdir { path: CString, mode: u32 },
    Touch(CString),
    Mknod { path: CString, mode: u32, dev: u64 },
    Symlink { target: CString, link: CString },
    PivotRoot { new_root: CString, put_old: CString },
    Chdir(CString),
    Rmdir(CString),
    Hostname(CString),
    LoopbackUp,
    DropBounding(u64),
    Groups(Vec<u32>),
    Gid(u32),
    Uid(u32),
    Caps(u64),
    /// `--security-opt no-new-privileges`.
    NoNewPrivs,
    /// `--ulimit`: a resource limit (`RLIMIT_*` number).
    Rlimit { resource: i32, soft: u64, hard: u64 },
    /// `--sysctl`: a value written to `/proc/sys/…`.
    WriteFile { path: CString, data: Vec<u8> },
    /// A masked path: `/dev/null` over a file, an empty read-only tmpfs over a directory.
    Mask(CString),
    /// `--init`: this process stays as PID 1, reaping and forwarding signals, and its
    /// child goes on with the steps; `close` is the descriptor PID 1 must not hold, and
    /// `args` the memory of this process's command line (`/proc/1/cmdline` then reads
    /// `init`, not the host's `berth` command).
    Init { close: i32, args: (usize, usize) },
    /// `-t`: a terminal of the container's own; its master end goes over `socket`.
    Console { socket: i32 },
    /// The seccomp filter, installed while the capability to do so is still held.
    Seccomp(Vec<super::seccomp::Insn>),
    /// Joins a namespace a bundle names by path (open at `fd`, a `CLONE_NEW*` kind).
    Setns { fd: i32, nstype: i32 },
    /// An OCI `create`: reports the container ready on `report` and waits for `start`
    /// on `fifo` (`/proc/self/fd/N` of the `exec.fifo` the parent opened).
    AwaitStart { report: i32, fifo: CString },
    /// An OCI `createContainer` or `startContainer` hook (see [`HookRun`]).
    Hook(HookRun),
    Exec(Exec),
}

/// An OCI hook the container's first process runs, with everything `execve` needs made
/// before the clone. `createContainer` hooks run in the host's filesystem (the old root,
/// the path resolving in the runtime's namespace) with the container's finished root
/// bound at its host path, so a hook such as the NVIDIA toolkit's `update-ldcache` finds
/// the container where the bundle's `config.json` says it is; they run in a mount
/// namespace of their own (a copy of the container's), so files they write land in the
/// container but mounts they make do not. `startContainer` hooks run inside the
/// container, after the start and before the program. The hook reads the container's
/// state on standard input; its output is shown on the container's standard error only
/// when it fails.
#[derive(Debug)]
pub struct HookRun {
    pub kind: &'static str,
    pub index: usize,
    pub program: Exec,
    /// The state as JSON, before and after the container's host PID (which the parent
    /// sends with its go-ahead).
    pub state: (Vec<u8>, Vec<u8>),
    /// Milliseconds; 0 is no limit.
    pub timeout_ms: u64,
    /// `createContainer`: the old root, and the container root's host path under it.
    pub host: Option<(CString, CString)>,
    /// After an OCI `start` nobody reads the failure report: the hook's failure is
    /// written to the container's standard error, after this (`error running …: `).
    pub after_start: Option<Vec<u8>>,
}

/// What a hook that ran and failed reports as its `errno`: its exit status above this
/// (a signal's number above [`HOOK_SIGNALLED`]), or `ETIMEDOUT`.
pub const HOOK_EXITED: i32 = 0x1_0000;
pub const HOOK_SIGNALLED: i32 = 0x2_0000;

/// The hooks of `kind` as steps. `bundle` and `id` go into the state they read.
pub fn hook_steps(kind: &'static str, hooks: &[crate::runtime::spec::Hook], id: &str, bundle: &str, annotations: &std::collections::BTreeMap<String, String>, host: Option<(&str, &str)>, after_start: bool) -> Result<Vec<Step>, String> {
    const PID: &str = "\"pid\":2147483647";
    let status = if kind == "createContainer" { "creating" } else { "created" };
    let state = serde_json::json!({ "ociVersion": crate::runtime::spec::OCI_VERSION, "id": id, "status": status, "pid": 2147483647u32, "bundle": bundle, "annotations": annotations }).to_string();
    let (before, after) = state.split_once(PID).ok_or("the hooks' state has no PID")?;
    hooks
        .iter()
        .enumerate()
        .map(|(index, h)| {
            let args = if h.args.is_empty() { vec![h.path.clone()] } else { h.args.clone() };
            let mut program = Exec::new(&args, &h.env, &h.path)?;
            program.candidates = vec![c(&h.path)?];
            let host = host.map(|(old, at)| Ok::<_, String>((c(old)?, c(&format!("{old}{at}"))?))).transpose()?;
            let after_start = after_start.then(|| format!("{}: error running {kind} hook #{index} ({}): ", super::oci::BINARY, h.path).into_bytes());
            Ok(Step::Hook(HookRun { kind, index, program, state: (format!("{before}\"pid\":").into_bytes(), after.as_bytes().to_vec()), timeout_ms: h.timeout.unwrap_or(0).saturating_mul(1000), host, after_start }))
        })
        .collect()
}

/// The program: where to look for it (each `PATH` directory, or the one path given),
/// and its arguments and environment as null-terminated pointer arrays.
#[derive(Debug)]
pub struct Exec {
    pub argv0: String,
    pub candidates: Vec<CString>,
    strings: Vec<CString>,
    pub(super) argv: Vec<*const libc::c_char>,
    pub(super) envp: Vec<*const libc::c_char>,
}

impl Exec {
    pub fn new(args: &[String], env: &[String], path: &str) -> Result<Exec, String> {
        let argv0 = args.first().cloned().ok_or("no command specified")?;
        let candidates = if argv0.contains('/') { vec![argv0.clone()] } else { path.split(':').filter(|d| !d.is_empty()).map(|d| format!("{}/{argv0}", d.trim_end_matches('/'))).collect() };
        let strings: Vec<CString> = args.iter().chain(env).map(|s| c(s)).collect::<Result<_, _>>()?;
        let mut argv: Vec<*const libc::c_char> = strings[..args.len()].iter().map(|s| s.as_ptr()).collect();
        argv.push(std::ptr::null());
        let mut envp: Vec<*const libc::c_char> = strings[args.len()..].iter().map(|s| s.as_ptr()).collect();
        envp.push(std::ptr::null());
        Ok(Exec { argv0, candidates: candidates.iter().map(|s| c(s)).collect::<Result<_, _>>()?, strings, argv, envp })
    }

    pub fn strings(&self) -> usize {
        self.strings.len()
    }
}

/// Where a container's files are on the host for one start.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Layout {
    /// The merged root (the overlay's mount point).
    pub rootfs: PathBuf,
    /// Layer directories, the image's top layer first.
    pub lower: Vec<PathBuf>,
    pub upper: PathBuf,
    pub work: PathBuf,
    /// `hosts`, `hostname`, `resolv.conf` for this container.
    pub files: PathBuf,
    /// The old root's name under the new one while the mounts are made.
    pub old_root: String,
    /// The container's ID, for the state its hooks read (their bundle is the directory
    /// above `rootfs`, where its `config.json` is written when it has hooks).
    #[serde(default)]
    pub id: String,
    /// In a user namespace (`rootless`): overlayfs with `userxattr`, device nodes bound
    /// from the host's `/dev` (a user namespace cannot make them), no cgroups.
    #[serde(default)]
    pub rootless: bool,
    /// The copying snapshotter (where overlayfs cannot mount): `rootfs` holds the layers
    /// copied and merged, and is bound onto itself instead of an overlay mount.
    #[serde(default)]
    pub copy: bool,
}

impl Layout {
    pub fn bundle(&self) -> PathBuf {
        self.rootfs.parent().map(PathBuf::from).unwrap_or_default()
    }
}

/// A host path bound into the container.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Bind {
    pub source: PathBuf,
    pub destination: String,
    pub read_only: bool,
    pub file: bool,
    /// Propagation flags to set on the mount after it is made (`MS_SHARED | MS_REC`, …).
    #[serde(default)]
    pub propagation: Vec<u64>,
}

fn c(s: &str) -> Result<CString, String> {
    CString::new(s).map_err(|_| format!("{s:?} contains a NUL byte"))
}

fn mount(source: Option<&str>, target: &str, fstype: Option<&str>, flags: u64, data: Option<&str>, optional: bool) -> Result<Step, String> {
    Ok(Step::Mount { source: source.map(c).transpose()?, target: c(target)?, fstype: fstype.map(c).transpose()?, flags, data: data.map(c).transpose()?, optional })
}

/// `mkdir -p` of `path` inside the new root, one component at a time.
fn mkdir_all(steps: &mut Vec<Step>, path: &str) -> Result<(), String> {
    let mut at = String::new();
    for part in crate::vfs::components(path) {
        at.push('/');
        at.push_str(part);
        steps.push(Step::Mkdir { path: c(&at)?, mode: 0o755 });
    }
    Ok(())
}

/// The container's seccomp filter: its profile (or the host's default one, where there
/// is one) compiled for its capabilities; none when unconfined or `--privileged`, as
/// Docker has it.
pub fn seccomp_program(spec: &ContainerSpec, caps: u64) -> Result<Option<Vec<super::seccomp::Insn>>, String> {
    use super::seccomp;
    if spec.annotation(crate::runtime::spec::ANNOTATION_PRIVILEGED) == Some("true") || spec.linux.seccomp.as_ref().and_then(|v| v.as_str()) == Some("unconfined") {
        return Ok(None);
    }
    let profile = match &spec.linux.seccomp {
        Some(value) => seccomp::from_value(value).map_err(|e| format!("Decoding seccomp profile failed: {e}"))?,
        // The host's containers default, or Berth's own where it has none.
        None => seccomp::default_profile()?.0,
    };
    let names: Vec<String> = (0..crate::runtime::spec::CAPABILITIES.len()).filter(|b| caps & (1u64 << b) != 0).map(|b| format!("CAP_{}", crate::runtime::spec::CAPABILITIES[b])).collect();
    seccomp::compile(&profile, &names).map(Some)
}

/// The host's cgroup hierarchies under /sys/fs/cgroup that a container has a cgroup in,
/// as (name under it, type, the mount options that name its controllers):
/// `("memory", "cgroup", "memory")`, or `("", "cgroup2", "")` on a cgroup v2 host.
fn cgroup_hierarchies() -> Vec<(String, String, String)> {
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    let mut out = Vec::new();
    for line in mounts.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        let (Some(point), Some(fstype), Some(options)) = (f.get(1), f.get(2), f.get(3)) else { continue };
        if *fstype != "cgroup" && *fstype != "cgroup2" {
            continue;
        }
        let Some(name) = point.strip_prefix("/sys/fs/cgroup").map(|n| n.trim_start_matches('/')) else { continue };
        // Only the hierarchies the container has a cgroup of its own in (see `cgroup.rs`):
        // in another its namespace's root would be the host's.
        let ours = (*fstype == "cgroup2" && name.is_empty()) || (*fstype == "cgroup" && super::cgroup::V1_CONTROLLERS.contains(&name));
        if name.contains('/') || !ours {
            continue;
        }
        let controllers: Vec<&str> = options.split(',').filter(|o| !matches!(*o, "rw" | "ro" | "nosuid" | "nodev" | "noexec" | "relatime" | "seclabel") && !o.starts_with("release_agent")).collect();
        out.push((name.to_string(), fstype.to_string(), if *fstype == "cgroup" { controllers.join(",") } else { String::new() }));
    }
    out
}

/// The container's cgroups at `/sys/fs/cgroup`: a tmpfs with each hierarchy the
/// container has a cgroup in (or the unified one), read-only unless `--privileged`.
fn cgroup_mounts(steps: &mut Vec<Step>, read_only: bool) -> Result<(), String> {
    let cgroup_flags = MS_NOSUID | MS_NODEV | MS_NOEXEC | if read_only { MS_RDONLY } else { 0 };
    steps.push(mount(Some("tmpfs"), "/sys/fs/cgroup", Some("tmpfs"), MS_NOSUID | MS_NODEV | MS_NOEXEC, Some("mode=755"), true)?);
    for (name, fstype, options) in cgroup_hierarchies() {
        if fstype == "cgroup2" && name.is_empty() {
            steps.push(mount(Some("cgroup2"), "/sys/fs/cgroup", Some("cgroup2"), cgroup_flags, None, true)?);
            continue;
        }
        let path = format!("/sys/fs/cgroup/{name}");
        steps.push(Step::Mkdir { path: c(&path)?, mode: 0o555 });
        steps.push(mount(Some(&fstype), &path, Some(&fstype), cgroup_flags, (!options.is_empty()).then_some(options.as_str()), true)?);
    }
    if read_only {
        steps.push(mount(None, "/sys/fs/cgroup", None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, Some("mode=755"), true)?);
    }
    Ok(())
}

/// A destination as a path from the new root.
fn rootfs_path(destination: &str) -> String {
    crate::vfs::normalize(destination)
}

/// Whether the spec asks for a new namespace of `kind` (an entry without a path).
pub fn new_namespace(spec: &ContainerSpec, kind: &str) -> bool {
    spec.linux.namespaces.iter().any(|n| n.kind == kind && n.path.is_none())
}

/// A namespace kind as the OCI spec names it, and its `CLONE_NEW*` flag.
pub const NAMESPACES: &[(&str, i32)] = &[
    ("mount", libc::CLONE_NEWNS),
    ("pid", libc::CLONE_NEWPID),
    ("network", libc::CLONE_NEWNET),
    ("ipc", libc::CLONE_NEWIPC),
    ("uts", libc::CLONE_NEWUTS),
    ("cgroup", libc::CLONE_NEWCGROUP),
    ("user", libc::CLONE_NEWUSER),
    ("time", 0x80),
];

fn namespace_kind(flag: i32) -> &'static str {
    NAMESPACES.iter().find(|(_, f)| *f == flag).map_or("?", |(k, _)| k)
}

/// The namespaces `clone` makes for `spec` (the cgroup one comes later, in a step).
pub fn clone_flags(spec: &ContainerSpec) -> i32 {
    let mut flags = libc::CLONE_NEWNS | libc::CLONE_NEWPID | libc::CLONE_NEWUTS;
    if new_namespace(spec, "network") {
        flags |= libc::CLONE_NEWNET;
    }
    if new_namespace(spec, "ipc") {
        flags |= libc::CLONE_NEWIPC;
    }
    flags
}

/// The steps of a start. `sync` is the descriptor the parent's go-ahead arrives on.
pub fn build(spec: &ContainerSpec, layout: &Layout, binds: &[Bind], sync: i32, report: i32, console: Option<i32>) -> Result<Vec<Step>, String> {
    // The parent-death signal first: a parent that dies before its go-ahead (while it
    // sets up the container's network, say) takes the waiting child with it.
    let mut steps = vec![Step::DieWithParent, Step::WaitParent(sync)];
    if new_namespace(spec, "cgroup") && !layout.rootless {
        steps.push(Step::UnshareCgroup);
    }
    steps.push(Step::Umask(0));
    let root = layout.rootfs.to_str().ok_or("the root path is not UTF-8")?.to_string();
    steps.push(mount(None, "/", None, MS_REC | MS_PRIVATE, None, false)?);
    if layout.copy {
        // pivot_root needs the new root to be a mount: the copied tree, bound onto itself.
        steps.push(mount(Some(&root), &root, None, MS_BIND | MS_REC, None, false)?);
    } else {
        let lower = layout.lower.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(":");
        let data = format!("lowerdir={lower},upperdir={},workdir={},volatile{}", layout.upper.display(), layout.work.display(), if layout.rootless { ",userxattr" } else { "" });
        steps.push(mount(Some("overlay"), &root, Some("overlay"), 0, Some(&data), false)?);
    }
    let old = format!("{root}/{}", layout.old_root);
    steps.push(Step::Mkdir { path: c(&old)?, mode: 0o700 });
    steps.push(Step::PivotRoot { new_root: c(&root)?, put_old: c(&old)? });
    steps.push(Step::Chdir(c("/")?));
    let old_root = format!("/{}", layout.old_root);

    // /proc, /dev, /sys.
    steps.push(Step::Mkdir { path: c("/proc")?, mode: 0o555 });
    steps.push(mount(Some("proc"), "/proc", Some("proc"), MS_NOSUID | MS_NODEV | MS_NOEXEC, None, false)?);
    steps.push(Step::Mkdir { path: c("/dev")?, mode: 0o755 });
    steps.push(mount(Some("tmpfs"), "/dev", Some("tmpfs"), MS_NOSUID | MS_STRICTATIME, Some("mode=755,size=65536k"), false)?);
    // A user namespace cannot make device nodes: the host's are bound instead.
    let bound_node = |steps: &mut Vec<Step>, path: &str| -> Result<(), String> {
        steps.push(Step::Touch(c(path)?));
        steps.push(mount(Some(&format!("{old_root}{path}")), path, None, MS_BIND, None, false)?);
        Ok(())
    };
    for (name, major, minor) in DEVICES {
        if layout.rootless {
            bound_node(&mut steps, &format!("/dev/{name}"))?;
        } else {
            steps.push(Step::Mknod { path: c(&format!("/dev/{name}"))?, mode: libc::S_IFCHR | 0o666, dev: libc::makedev(*major, *minor) });
        }
    }
    // `--device` and `--gpus`: their nodes, which the devices cgroup lets it open.
    for d in &spec.linux.devices {
        let kind = if d.kind == "b" { libc::S_IFBLK } else { libc::S_IFCHR };
        let path = crate::vfs::normalize(&d.path);
        if let Some((parent, _)) = crate::vfs::split_parent(&path) {
            mkdir_all(&mut steps, &parent)?;
        }
        if layout.rootless {
            bound_node(&mut steps, &path)?;
        } else {
            steps.push(Step::Mknod { path: c(&path)?, mode: kind | d.file_mode.unwrap_or(0o666) & 0o777, dev: libc::makedev(d.major, d.minor) });
        }
    }
    steps.push(Step::Mkdir { path: c("/dev/pts")?, mode: 0o755 });
    steps.push(mount(Some("devpts"), "/dev/pts", Some("devpts"), MS_NOSUID | MS_NOEXEC, Some("newinstance,ptmxmode=0666,mode=0620,gid=5"), false)?);
    steps.push(Step::Symlink { target: c("pts/ptmx")?, link: c("/dev/ptmx")? });
    if let Some(socket) = console {
        steps.push(Step::Console { socket });
    }
    steps.push(Step::Mkdir { path: c("/dev/shm")?, mode: 0o1777 });
    // `--shm-size` comes as a tmpfs mount on /dev/shm; Docker's default is 64 MiB.
    if !spec.mounts.iter().any(|m| m.kind == "tmpfs" && crate::vfs::normalize(&m.destination) == "/dev/shm") {
        steps.push(mount(Some("shm"), "/dev/shm", Some("tmpfs"), MS_NOSUID | MS_NODEV | MS_NOEXEC, Some("mode=1777,size=65536k"), false)?);
    }
    steps.push(Step::Mkdir { path: c("/dev/mqueue")?, mode: 0o755 });
    steps.push(mount(Some("mqueue"), "/dev/mqueue", Some("mqueue"), MS_NOSUID | MS_NODEV | MS_NOEXEC, None, true)?);
    for (link, target) in [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2"), ("core", "/proc/kcore")] {
        steps.push(Step::Symlink { target: c(target)?, link: c(&format!("/dev/{link}"))? });
    }
    steps.push(Step::Mkdir { path: c("/sys")?, mode: 0o555 });
    let privileged = spec.annotation(crate::runtime::spec::ANNOTATION_PRIVILEGED) == Some("true");
    if new_namespace(spec, "network") {
        let ro = if privileged { 0 } else { MS_RDONLY };
        steps.push(mount(Some("sysfs"), "/sys", Some("sysfs"), ro | MS_NOSUID | MS_NODEV | MS_NOEXEC, None, false)?);
    } else {
        // Sharing the host's network: its /sys, read-only (as runc does without a netns).
        steps.push(mount(Some(&format!("{old_root}/sys")), "/sys", None, MS_BIND | MS_REC, None, false)?);
        steps.push(mount(None, "/sys", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, None, false)?);
    }

    // Its own cgroups at /sys/fs/cgroup, read-only (the host's hierarchies, each seen
    // from the container's cgroup, its namespace's root); with the host's /sys this also
    // covers the host's cgroup mounts.
    if !layout.rootless {
        cgroup_mounts(&mut steps, !privileged)?;
    }

    // The container's own files and mounts.
    steps.push(Step::Mkdir { path: c("/etc")?, mode: 0o755 });
    for name in ["hosts", "hostname", "resolv.conf"] {
        let target = format!("/etc/{name}");
        steps.push(Step::Touch(c(&target)?));
        let source = format!("{old_root}{}/{name}", layout.files.display());
        steps.push(mount(Some(&source), &target, None, MS_BIND, None, false)?);
    }
    for b in binds {
        let dest = crate::vfs::normalize(&b.destination);
        if b.file {
            if let Some((parent, _)) = crate::vfs::split_parent(&dest) {
                mkdir_all(&mut steps, &parent)?;
            }
            steps.push(Step::Touch(c(&dest)?));
        } else {
            mkdir_all(&mut steps, &dest)?;
        }
        let source = format!("{old_root}{}", b.source.display());
        steps.push(mount(Some(&source), &dest, None, MS_BIND | MS_REC, None, false)?);
        if b.read_only {
            steps.push(mount(None, &dest, None, MS_BIND | MS_REMOUNT | MS_RDONLY, None, false)?);
        }
        for flags in &b.propagation {
            steps.push(mount(None, &dest, None, *flags, None, false)?);
        }
    }
    for m in spec.mounts.iter().filter(|m| m.kind == "tmpfs") {
        let dest = rootfs_path(&m.destination);
        mkdir_all(&mut steps, &dest)?;
        let (flags, data) = tmpfs_options(&m.options);
        steps.push(mount(Some("tmpfs"), &dest, Some("tmpfs"), flags, (!data.is_empty()).then_some(data.as_str()), false)?);
    }
    let links: Vec<(String, String)> = spec.annotation(crate::runtime::spec::ANNOTATION_SYMLINKS).and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default();
    for (link, target) in &links {
        let link = crate::vfs::normalize(link);
        if let Some((parent, _)) = crate::vfs::split_parent(&link) {
            mkdir_all(&mut steps, &parent)?;
        }
        steps.push(Step::Symlink { target: c(target)?, link: c(&link)? });
    }
    // `--sysctl`, while /proc/sys is still writable.
    for (key, value) in &spec.linux.sysctl {
        steps.push(Step::WriteFile { path: c(&format!("/proc/sys/{}", key.replace('.', "/")))?, data: value.as_bytes().to_vec() });
    }
    match &spec.linux.masked_paths {
        Some(paths) => {
            for path in paths {
                steps.push(Step::Mask(c(path)?));
            }
        }
        None => {
            for path in MASKED_FILES {
                steps.push(mount(Some("/dev/null"), path, None, MS_BIND, None, true)?);
            }
            for path in MASKED_DIRS {
                steps.push(mount(Some("tmpfs"), path, Some("tmpfs"), MS_RDONLY, None, true)?);
            }
        }
    }
    let read_only: Vec<String> = spec.linux.readonly_paths.clone().unwrap_or_else(|| READ_ONLY.iter().map(|p| p.to_string()).collect());
    let bundle = layout.bundle().display().to_string();
    steps.extend(hook_steps("createContainer", &spec.hooks.create_container, &layout.id, &bundle, &spec.annotations, Some((&old_root, &root)), false)?);
    finish(spec, &mut steps, &read_only, &old_root)?;
    process(spec, &mut steps, report, None, Env::Docker, (&layout.id, &bundle))?;
    Ok(steps)
}

/// The end of the filesystem's setup and the namespaces' own: the read-only paths, the
/// old root gone, the root read-only where asked, the hostname, `lo` up.
fn finish(spec: &ContainerSpec, steps: &mut Vec<Step>, read_only: &[String], old_root: &str) -> Result<(), String> {
    for path in read_only {
        let path = path.as_str();
        // Read-only, keeping /proc's nosuid, nodev and noexec.
        steps.push(mount(Some(path), path, None, MS_BIND | MS_REC, None, true)?);
        steps.push(mount(None, path, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, None, true)?);
    }
    steps.push(Step::Umount { target: c(old_root)?, flags: libc::MNT_DETACH });
    steps.push(Step::Rmdir(c(old_root)?));
    if spec.root.readonly {
        steps.push(mount(None, "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY, None, false)?);
    }
    if new_namespace(spec, "uts") && !spec.hostname.is_empty() {
        steps.push(Step::Hostname(c(&spec.hostname)?));
    }
    if new_namespace(spec, "network") {
        steps.push(Step::LoopbackUp);
    }
    Ok(())
}

/// Which variables a process gets beyond its spec's: Docker's `PATH`, `HOSTNAME` and
/// `HOME`, or, for an OCI bundle, `HOME` alone (as runc sets it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Env {
    Docker,
    Bundle,
}

/// The process's steps, once its filesystem is made: working directory, rlimits,
/// `--init`, the wait for an OCI `start`, seccomp, capabilities, user, the program.
fn process(spec: &ContainerSpec, steps: &mut Vec<Step>, report: i32, await_start: Option<CString>, extra: Env, (id, bundle): (&str, &str)) -> Result<(), String> {
    let cwd = if spec.process.cwd.is_empty() { "/".to_string() } else { spec.process.cwd.clone() };
    mkdir_all(steps, &cwd)?;
    steps.push(Step::Chdir(c(&cwd)?));
    for r in &spec.process.rlimits {
        let resource = rlimit_number(&r.kind).ok_or_else(|| format!("unknown rlimit {}", r.kind))?;
        steps.push(Step::Rlimit { resource, soft: r.soft, hard: r.hard });
    }
    if spec.init() {
        // Before the user changes: PID 1 stays root, as docker-init does.
        steps.push(Step::Init { close: report, args: own_args() });
    }
    let after_start = await_start.is_some();
    if let Some(fifo) = await_start {
        steps.push(Step::AwaitStart { report, fifo });
    }
    steps.extend(hook_steps("startContainer", &spec.hooks.start_container, id, bundle, &spec.annotations, None, after_start)?);
    let caps = caps_of(spec);
    if let Some(program) = seccomp_program(spec, caps)? {
        steps.push(Step::Seccomp(program));
    }
    steps.push(Step::DropBounding(caps));
    let user = &spec.process.user;
    steps.push(Step::Groups(user.additional_gids.clone().unwrap_or_default()));
    steps.push(Step::Gid(user.gid));
    steps.push(Step::Uid(user.uid));
    if user.uid == 0 {
        steps.push(Step::Caps(caps));
    }
    if spec.process.no_new_privileges {
        steps.push(Step::NoNewPrivs);
    }
    steps.push(Step::Umask(0o022));
    let mut env = spec.process.env.clone();
    if extra == Env::Docker {
        if !env.iter().any(|e| e.starts_with("PATH=")) {
            env.insert(0, format!("PATH={}", crate::runtime::spec::DEFAULT_PATH));
        }
        if !env.iter().any(|e| e.starts_with("HOSTNAME=")) && !spec.hostname.is_empty() {
            env.push(format!("HOSTNAME={}", spec.hostname));
        }
    }
    if !env.iter().any(|e| e.starts_with("HOME=")) {
        env.push(format!("HOME={}", if user.uid == 0 { "/root" } else { "/" }));
    }
    steps.push(Step::Exec(Exec::new(&spec.process.args, &env, spec.path())?));
    Ok(())
}

/// How the steps ended, when they did not end in the program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failed {
    pub step: usize,
    pub errno: Errno,
}

/// Carries the steps out. Returns only when one failed (or, with a fake, when the
/// program "ran"): the real `execve` does not return.
pub fn run(steps: &[Step], sys: &dyn Sys) -> Result<(), Failed> {
    for (i, step) in steps.iter().enumerate() {
        let fail = |errno| Failed { step: i, errno };
        let r = match step {
            Step::WaitParent(fd) => sys.wait_parent(*fd),
            Step::UnshareCgroup => sys.unshare(libc::CLONE_NEWCGROUP),
            Step::DieWithParent => sys.die_with_parent(),
            Step::Umask(mask) => {
                // SAFETY: umask cannot fail.
                unsafe { libc::umask(*mask as libc::mode_t) };
                Ok(())
            }
            Step::Mount { source, target, fstype, flags, data, optional } => match sys.mount(source.as_deref(), target, fstype.as_deref(), *flags, data.as_deref()) {
                Err(_) if *optional => Ok(()),
                r => r,
            },
            Step::Umount { target, flags } => sys.umount(target, *flags),
            Step::Mkdir { path, mode } => match sys.mkdir(path, *mode) {
                Err(libc::EEXIST) => Ok(()),
                r => r,
            },
            Step::Touch(path) => match sys.touch(path) {
                Err(libc::EEXIST) => Ok(()),
                r => r,
            },
            // A bundle's root may have the node already.
            Step::Mknod { path, mode, dev } => match sys.mknod(path, *mode, *dev) {
                Err(libc::EEXIST) => Ok(()),
                r => r,
            },
            Step::Symlink { target, link } => match sys.symlink(target, link) {
                Err(libc::EEXIST) => Ok(()),
                r => r,
            },
            Step::PivotRoot { new_root, put_old } => sys.pivot_root(new_root, put_old),
            Step::Chdir(path) => sys.chdir(path),
            Step::Rmdir(path) => sys.rmdir(path),
            Step::Hostname(name) => sys.sethostname(name),
            Step::LoopbackUp => sys.loopback_up(),
            Step::DropBounding(keep) => sys.drop_bounding(*keep),
            Step::Groups(gids) => sys.setgroups(gids),
            Step::Gid(gid) => sys.setgid(*gid),
            Step::Uid(uid) => sys.setuid(*uid),
            Step::Caps(caps) => sys.capset(*caps),
            Step::NoNewPrivs => sys.no_new_privs(),
            Step::Rlimit { resource, soft, hard } => sys.setrlimit(*resource, *soft, *hard),
            Step::WriteFile { path, data } => sys.write_file(path, data),
            Step::Mask(path) => match sys.mount(Some(c"/dev/null"), path, None, MS_BIND, None) {
                Err(libc::ENOTDIR | libc::EISDIR | libc::EINVAL) => sys.mount(Some(c"tmpfs"), path, Some(c"tmpfs"), MS_RDONLY, None),
                Err(libc::ENOENT) => Ok(()),
                r => r,
            },
            Step::Init { close, args } => sys.init(*close, *args),
            Step::Console { socket } => sys.console(*socket),
            Step::Seccomp(program) => sys.seccomp(program),
            Step::Setns { fd, nstype } => sys.setns(*fd, *nstype),
            Step::AwaitStart { report, fifo } => sys.await_start(*report, fifo),
            Step::Hook(hook) => sys.run_hook(hook),
            Step::Exec(exec) => {
                // As execvp: the first candidate that runs; EACCES is kept over ENOENT.
                let mut worst = libc::ENOENT;
                for path in &exec.candidates {
                    match sys.execve(path, &exec.argv, &exec.envp) {
                        0 => return Ok(()),
                        libc::ENOENT | libc::ENOTDIR => {}
                        e => worst = e,
                    }
                    if exec.candidates.len() == 1 {
                        break;
                    }
                }
                Err(worst)
            }
        };
        r.map_err(fail)?;
    }
    Ok(())
}

/// What a failed step was doing, for the error the user sees.
pub fn describe(step: &Step) -> String {
    let s = |c: &CString| c.to_string_lossy().into_owned();
    match step {
        Step::WaitParent(_) => "waiting for the runtime".into(),
        Step::UnshareCgroup => "creating the cgroup namespace".into(),
        Step::DieWithParent => "setting the parent-death signal".into(),
        Step::Umask(_) => "setting the umask".into(),
        Step::Mount { source, target, fstype, .. } => format!("mounting {} on {} ({})", source.as_ref().map_or("-".into(), s), s(target), fstype.as_ref().map_or("bind".into(), s)),
        Step::Umount { target, .. } => format!("unmounting {}", s(target)),
        Step::Mkdir { path, .. } => format!("creating directory {}", s(path)),
        Step::Touch(path) => format!("creating mount point {}", s(path)),
        Step::Mknod { path, .. } => format!("creating device {}", s(path)),
        Step::Symlink { link, .. } => format!("creating symlink {}", s(link)),
        Step::PivotRoot { .. } => "pivot_root".into(),
        Step::Chdir(path) => format!("chdir to cwd (\"{}\" set in config.json)", s(path)),
        Step::Rmdir(path) => format!("removing {}", s(path)),
        Step::Hostname(_) => "setting the hostname".into(),
        Step::LoopbackUp => "bringing up the loopback interface".into(),
        Step::DropBounding(_) | Step::Caps(_) => "setting capabilities".into(),
        Step::NoNewPrivs => "setting no_new_privs".into(),
        Step::Rlimit { resource, .. } => format!("setting rlimit {resource}"),
        Step::WriteFile { path, .. } => format!("writing {}", s(path)),
        Step::Mask(path) => format!("masking {}", s(path)),
        Step::Init { .. } => "starting the init process".into(),
        Step::Console { .. } => "allocating a terminal".into(),
        Step::Seccomp(_) => "installing the seccomp filter".into(),
        Step::Setns { nstype, .. } => format!("joining the {} namespace", namespace_kind(*nstype)),
        Step::AwaitStart { .. } => "waiting for the start".into(),
        Step::Hook(h) => format!("error running {} hook #{} ({})", h.kind, h.index, s(&h.program.candidates[0])),
        Step::Groups(_) | Step::Gid(_) | Step::Uid(_) => "setting the user".into(),
        Step::Exec(e) => format!("exec: \"{}\"", e.argv0),
    }
}

pub mod bundle;
#[cfg(test)]
mod tests;
