//! One foreground start of a container: its directories on disk, the clone into new
//! namespaces, the cgroups, the child's steps, the output, the exit, and the cleanup.

// System calls are what this backend is: each unsafe block says what makes it sound.
#![allow(unsafe_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use super::cgroup::Cgroups;
use super::plan::{self, Bind, Layout, Step};
use super::rootfs::{self, RootfsError};
use super::sys::{self, Linux};
use crate::runtime::spec::ContainerSpec;
use crate::runtime::{DiskRoot, Ran, RuntimeError, Stdio};
use crate::vfs::{FileSystem, MemoryFs, OverlayFs};

fn failed(what: &str, e: impl std::fmt::Display) -> RuntimeError {
    RuntimeError::Failed(format!("{what}: {e}"))
}

pub(super) fn pipe() -> Result<(OwnedFd, OwnedFd), RuntimeError> {
    let mut fds = [0; 2];
    // SAFETY: two ints for the kernel to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(failed("creating a pipe", std::io::Error::last_os_error()));
    }
    // SAFETY: both descriptors are new and ours.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// The start's directories under `<native>/run/<id>`, removed when it ends (a
/// detached start's are the supervisor's, until the engine reaps it).
struct RunDir {
    path: PathBuf,
    keep: bool,
}

impl Drop for RunDir {
    fn drop(&mut self) {
        if !self.keep {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

/// What the engine needs to read a detached container back once it has ended.
#[derive(serde::Serialize, serde::Deserialize)]
struct Prepared {
    skip: Vec<String>,
    volumes: BTreeMap<String, PathBuf>,
    /// The copying snapshotter: the writable layer is the difference between the root
    /// and these layer directories.
    #[serde(default)]
    copy: Option<Vec<PathBuf>>,
}

/// A detached container that has ended, read back: how it ended (`None`: its
/// supervisor went away without saying), its output since the last look, its writable
/// layer and its volumes.
pub struct Reaped {
    pub exit: Option<super::supervisor::Exit>,
    pub logs: Vec<crate::runtime::LogLine>,
    pub upper: MemoryFs,
    pub volumes: BTreeMap<String, MemoryFs>,
}

/// Reads back the detached container `id` that has ended and removes its run
/// directory. Its process, if its supervisor was killed, is killed first.
pub fn reap(native: &Path, id: &str) -> Result<Reaped, RuntimeError> {
    let handle = super::supervisor::Handle::of(native, id);
    // Its processes are gone before its cgroups can be removed.
    super::cgroup::Cgroups::existing_at(&Path::new("berth").join(id)).kill_and_remove(handle.pid());
    let exit = handle.exit();
    let (logs, _) = handle.logs_from(0);
    let prepared: Prepared = std::fs::read(handle.dir.join("prepared.json")).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or(Prepared { skip: Vec::new(), volumes: BTreeMap::new(), copy: None });
    let upper = match &prepared.copy {
        Some(lower) => rootfs::lower_view(lower).and_then(|view| rootfs::diff_tree(&view, &handle.dir.join("rootfs"), &prepared.skip)),
        None => rootfs::read_back(&handle.dir.join("upper"), &prepared.skip),
    }
    .map_err(|e| failed("reading the writable layer back", e))?;
    let mut volumes = BTreeMap::new();
    for (name, dir) in &prepared.volumes {
        volumes.insert(name.clone(), rootfs::read_back(dir, &[]).map_err(|e| failed("reading a volume back", e))?);
    }
    let _ = std::fs::remove_dir_all(&handle.dir);
    super::cgroup::sweep(&|_| false, &[]);
    Ok(Reaped { exit, logs, upper, volumes })
}

/// Removes the run directories and cgroups of foreground starts whose `berth` is gone
/// (a detached container's directory is its supervisor's, and the engine reaps it).
fn sweep(native: &Path) {
    let run = native.join("run");
    let alive = |dir: &Path| super::supervisor::Handle { dir: dir.to_path_buf() }.supervisor_alive();
    let (mut live, mut dead) = (Vec::new(), Vec::new());
    if let Ok(entries) = std::fs::read_dir(&run) {
        for e in entries.filter_map(Result::ok) {
            if alive(&e.path()) || e.path().join("start.json").exists() {
                live.push(e.file_name().to_string_lossy().into_owned());
            } else {
                let _ = std::fs::remove_dir_all(e.path());
                dead.push(e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    super::cgroup::sweep(&|id| live.iter().any(|l| l == id), &dead);
}

/// `/etc/hosts` as Docker writes it for a container without a bridge network.
fn hosts(hostname: &str) -> String {
    let mut s = String::from("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n");
    if !hostname.is_empty() {
        s.push_str(&format!("127.0.1.1\t{hostname}\n"));
    }
    s
}

/// The host's `/etc/resolv.conf` without loopback name servers, which cannot answer in
/// another network namespace (Docker falls back to public servers then).
fn resolv_conf(host_network: bool) -> String {
    let host = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
    if host_network {
        return host;
    }
    let kept: Vec<&str> = host.lines().filter(|l| !(l.starts_with("nameserver") && (l.contains(" 127.") || l.contains(" ::1")))).collect();
    let mut out = kept.join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    if !kept.iter().any(|l| l.starts_with("nameserver")) {
        out.push_str("nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
    }
    out
}

fn random_name() -> String {
    let mut bytes = [0u8; 8];
    let _ = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    format!(".berth-old-root-{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// Writes the init layer: `/proc`, `/dev`, `/sys`, the files of `/etc` that are mounted
/// over, `/etc/mtab` and `/.dockerenv`, as Docker's init layer has them. It is the same
/// for every container, so it is written once, beside the image layers.
fn init_layer(native: &Path, dir: &Path) -> std::io::Result<()> {
    let tmp = native.join("layers").join(format!(".tmp-{}-init", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    for d in ["proc", "sys", "dev/pts", "dev/shm", "etc"] {
        std::fs::create_dir_all(tmp.join(d))?;
    }
    for f in ["etc/hosts", "etc/hostname", "etc/resolv.conf", ".dockerenv"] {
        std::fs::write(tmp.join(f), "")?;
    }
    std::os::unix::fs::symlink("/proc/mounts", tmp.join("etc/mtab"))?;
    match std::fs::rename(&tmp, dir) {
        Err(_) if dir.is_dir() => std::fs::remove_dir_all(&tmp),
        r => r,
    }
}

/// Runs `spec`'s process in the foreground to its exit.
pub fn run(spec: &ContainerSpec, root: DiskRoot<'_>, stdio: Stdio) -> Result<Ran, RuntimeError> {
    let native = root.dir.clone();
    sweep(&native);
    let rootfs_err = |e: RootfsError| match e {
        RootfsError::Modelled(path) => RuntimeError::Failed(format!("{path} in this image is modelled (its bytes are labels Berth's userland runs, not a Linux program): the native runtime cannot run it; use --runtime emulated")),
        other => failed("preparing the root filesystem", other),
    };
    // Every path first: the child is cloned before the files are written, so that
    // moving it into its cgroups (which waits for an RCU grace period on cgroup v1,
    // several milliseconds here) overlaps with writing them.
    let layer_path = |diff_id: &str| native.join("layers").join(diff_id.strip_prefix("sha256:").unwrap_or(diff_id));
    let detached = stdio.terminal.detached.is_some();
    let run = RunDir { path: native.join("run").join(&root.id), keep: false };
    let _ = std::fs::remove_dir_all(&run.path);
    for d in ["rootfs", "work", "files", "volumes"] {
        std::fs::create_dir_all(run.path.join(d)).map_err(|e| failed("creating the container's directories", e))?;
    }
    std::fs::write(run.path.join("owner"), super::supervisor::identity(std::process::id() as i32)).map_err(|e| failed("creating the container's directories", e))?;
    // The same for every container: written once.
    let init = native.join("layers").join("init");
    let mut lower: Vec<PathBuf> = vec![init.clone()];
    lower.extend(root.layers.iter().rev().map(|(d, _)| layer_path(d)));
    if root.layers.is_empty() {
        // An image without layers (`FROM scratch` and nothing added): an empty lower.
        lower.push(native.join("layers").join("empty"));
    }
    let files = run.path.join("files");
    // The image as the container will see it, for its mount points (the engine hands
    // the layers over in memory where there are mounts).
    let view = OverlayFs::new(root.layers.iter().filter_map(|(_, l)| l.clone()).collect(), root.upper.clone());
    // Mount points of the container's mounts that the image lacks are created in the
    // writable layer; they are not the container's change.
    let mut skip: Vec<String> = Vec::new();
    let mut binds = Vec::new();
    let mut volume_dirs: BTreeMap<String, PathBuf> = BTreeMap::new();
    for m in &spec.mounts {
        let read_only = m.read_only();
        // Symlinks in the image resolve inside it, never on the host.
        let destination = rootfs::resolve_in(&view, &m.destination);
        if !view.exists(&destination) {
            skip.push(destination.clone());
        }
        match m.kind.as_str() {
            "bind" => {
                let source = Path::new(&m.source);
                // The engine has made a missing `-v` source (`daemon::start`); one that
                // is still missing is `--mount type=bind`'s, which dockerd refuses.
                if !source.exists() {
                    return Err(RuntimeError::Failed(format!("invalid mount config for type \"bind\": bind source path does not exist: {}", m.source)));
                }
                let source = std::fs::canonicalize(source).map_err(|e| failed(&format!("bind mount source {}", m.source), e))?;
                let file = !source.is_dir();
                binds.push(Bind { source, destination, read_only, file, propagation: super::plan::bundle::propagation_of(&m.options) });
            }
            "volume" => {
                let next = volume_dirs.len();
                let dir = volume_dirs.entry(m.source.clone()).or_insert_with(|| run.path.join("volumes").join(next.to_string())).clone();
                binds.push(Bind { source: dir, destination, read_only, file: false, propagation: Vec::new() });
            }
            // Made by the child's steps.
            "tmpfs" => {}
            other => return Err(RuntimeError::Failed(format!("the native runtime does not mount {other} mounts yet"))),
        }
    }
    let copy = !rootfs::overlay_usable(&native);
    let layout = Layout { rootfs: run.path.join("rootfs"), lower, upper: run.path.join("upper"), work: run.path.join("work"), files: files.clone(), old_root: random_name(), id: root.id.clone(), rootless: super::rootless::in_user_namespace(), copy };
    let (rootfs_dir, lower_dirs) = (layout.rootfs.clone(), layout.lower.clone());
    let host_network = !plan::new_namespace(spec, "network");

    // What the child's mounts need on disk, written while it is placed in its cgroups.
    let upper_src: &MemoryFs = root.upper;
    let volumes_src: &BTreeMap<String, MemoryFs> = root.volumes;
    let prepare = || -> Result<(), RuntimeError> {
        for (diff_id, layer) in &root.layers {
            match layer {
                Some(fs) => {
                    rootfs::layer_dir(&native, diff_id, fs.as_ref()).map_err(rootfs_err)?;
                }
                None if layer_path(diff_id).is_dir() => {}
                None => return Err(RuntimeError::Failed(format!("layer {diff_id} is not on disk"))),
            }
        }
        if root.layers.is_empty() {
            std::fs::create_dir_all(native.join("layers").join("empty")).map_err(|e| failed("preparing the root filesystem", e))?;
        }
        // The init layer (Docker's `-init`): the runtime's own mount points, above the
        // image's layers, so that they are not the container's change.
        if !init.is_dir() {
            init_layer(&native, &init).map_err(|e| failed("preparing the root filesystem", e))?;
        }
        rootfs::write_out(upper_src, &run.path.join("upper")).map_err(rootfs_err)?;
        if copy {
            // The copying snapshotter: every layer, the bottom one first, then the
            // writable layer, merged into the root as overlayfs would show them.
            for dir in lower_dirs.iter().rev().chain(std::iter::once(&run.path.join("upper"))) {
                rootfs::apply_dir(dir, &rootfs_dir).map_err(rootfs_err)?;
            }
        }
        let write = |name: &str, text: &str| std::fs::write(files.join(name), text).map_err(|e| failed("writing the container's files", e));
        if host_network {
            write("hosts", &std::fs::read_to_string("/etc/hosts").unwrap_or_else(|_| hosts("")))?;
            write("hostname", &format!("{}\n", std::fs::read_to_string("/etc/hostname").unwrap_or_default().trim()))?;
        } else {
            // On a bridge network: its address for its hostname, and its peers' names.
            let bridged: Option<crate::runtime::spec::Bridges> = spec.annotation(crate::runtime::spec::ANNOTATION_BRIDGES).and_then(|t| serde_json::from_str(t).ok());
            match bridged.filter(|b| !b.hosts.is_empty()) {
                Some(b) => write("hosts", &format!("{}{}\n", hosts(""), b.hosts.join("\n")))?,
                None => write("hosts", &hosts(&spec.hostname))?,
            }
            write("hostname", &format!("{}\n", spec.hostname))?;
        }
        write("resolv.conf", &resolv_conf(host_network))?;
        // A hook reads the container's bundle: its config, with the root where it is.
        if !spec.hooks.is_empty() {
            let mut config = spec.clone();
            config.root.path = "rootfs".into();
            std::fs::write(run.path.join("config.json"), serde_json::to_vec_pretty(&config).unwrap_or_default()).map_err(|e| failed("writing the container's config.json", e))?;
        }
        for (name, dir) in &volume_dirs {
            let fs = volumes_src.get(name).cloned().unwrap_or_default();
            rootfs::write_out(&fs, dir).map_err(rootfs_err)?;
        }
        Ok(())
    };

    if detached {
        // The supervisor starts it and stays with it; the run directory is its.
        prepare()?;
        let reap = Prepared { skip, volumes: volume_dirs, copy: copy.then(|| layout.lower.clone()) };
        std::fs::write(run.path.join("prepared.json"), serde_json::to_vec(&reap).unwrap_or_default()).map_err(|e| failed("writing the container's start", e))?;
        let start = super::supervisor::Start {
            id: root.id.clone(),
            spec: spec.clone(),
            layout,
            binds,
            tty: spec.process.terminal,
            open_stdin: spec.annotation(crate::runtime::spec::ANNOTATION_OPEN_STDIN) == Some("true"),
            replay_first: spec.annotation(crate::runtime::spec::ANNOTATION_REPLAY_FIRST) == Some("true"),
        };
        super::supervisor::launch(&run.path, &start)?;
        let mut run = run;
        run.keep = true;
        return Ok(Ran { status: 0, stdout: Vec::new(), stderr: Vec::new(), suspended: None, diverged: false, slept: 0.0, stamps: Vec::new(), oom_killed: false, supervised: true });
    }
    let mut cgroups = Cgroups::create(&root.id, &spec.linux.resources).map_err(RuntimeError::Failed)?;
    let result = start(spec, &layout, &binds, stdio, &cgroups, prepare);
    let oom_killed = cgroups.oom_killed();
    cgroups.remove();
    let mut ran = result?;
    ran.oom_killed = oom_killed;

    // The writable layer and the volumes as the process left them.
    *root.upper = if layout.copy { rootfs::lower_view(&layout.lower).and_then(|view| rootfs::diff_tree(&view, &layout.rootfs, &skip)) } else { rootfs::read_back(&layout.upper, &skip) }.map_err(rootfs_err)?;
    for (name, dir) in volume_dirs {
        let fs = rootfs::read_back(&dir, &[]).map_err(rootfs_err)?;
        root.volumes.insert(name, fs);
    }
    Ok(ran)
}

/// Clones the child, places it, lets it go and collects its output and exit.
fn start(spec: &ContainerSpec, layout: &Layout, binds: &[Bind], stdio: Stdio, cgroups: &Cgroups, prepare: impl FnOnce() -> Result<(), RuntimeError>) -> Result<Ran, RuntimeError> {
    let started = std::time::Instant::now();
    let bound = super::ports::bind(spec)?;
    let child = spawn(spec, layout, binds, stdio.combined, stdio.console, cgroups, prepare)?;
    super::ports::serve(bound, child.pid, &layout.bundle());
    // Where `stop`, `kill` and `rm -f` from another terminal find it (the run holds the
    // state's lock meanwhile; see `daemon::preempt`).
    let _ = std::fs::write(layout.bundle().join("pid"), super::supervisor::identity(child.pid));
    if let (Some(master), crate::runtime::Console::Terminal { interactive }) = (child.master, stdio.console) {
        // The user's terminal and the container's, relayed until the process is done.
        drop((child.stdin, child.stdout, child.stderr));
        relay(master, interactive);
        let status = wait(child.pid);
        return Ok(Ran { status, stdout: Vec::new(), stderr: Vec::new(), suspended: None, diverged: false, slept: started.elapsed().as_secs_f64(), stamps: Vec::new(), oom_killed: false, supervised: false });
    }
    // Standard input on its own thread, so a process that writes before it reads cannot
    // fill a pipe while the other waits.
    let stdin = stdio.stdin;
    let mut in_file = std::fs::File::from(child.stdin);
    let feeder = std::thread::spawn(move || {
        let _ = in_file.write_all(&stdin);
    });
    let mut bufs = [Vec::new(), Vec::new()];
    collect(child.stdout, child.stderr, &mut |stream, bytes| bufs[stream].extend_from_slice(bytes));
    let status = wait(child.pid);
    let _ = feeder.join();
    let [stdout, stderr] = bufs;
    Ok(Ran { status, stdout, stderr, suspended: None, diverged: false, slept: started.elapsed().as_secs_f64(), stamps: Vec::new(), oom_killed: false, supervised: false })
}

/// A container's first process, running: its host PID and the other ends of its
/// standard streams (stderr is stdout's where they were combined).
pub struct Child {
    pub pid: i32,
    pub stdin: OwnedFd,
    pub stdout: OwnedFd,
    pub stderr: Option<OwnedFd>,
    /// The master end of its terminal, with `-t`.
    pub master: Option<OwnedFd>,
}

/// Clones the child into its namespaces, places it in its cgroups while `prepare`
/// writes what its mounts need, lets it go, and returns once it has exec'd its program
/// (or with the step that failed).
pub fn spawn(spec: &ContainerSpec, layout: &Layout, binds: &[Bind], combined: bool, console: crate::runtime::Console, cgroups: &Cgroups, prepare: impl FnOnce() -> Result<(), RuntimeError>) -> Result<Child, RuntimeError> {
    let terminal = matches!(console, crate::runtime::Console::Terminal { .. });
    // `--network container:…`: that container's network namespace, joined once the
    // go-ahead has come (the host's is not joined: the child is in it already).
    let joined = match spec.linux.namespaces.iter().find(|n| n.kind == "network").and_then(|n| n.path.as_deref()).filter(|p| *p != "/proc/1/ns/net") {
        Some(path) => Some(std::fs::File::open(path).map(OwnedFd::from).map_err(|e| failed(&format!("joining the network namespace {path}"), e))?),
        None => None,
    };
    let built = |fds: Fds| {
        let mut steps = plan::build(spec, layout, binds, fds.sync, fds.report, fds.console)?;
        if let Some(fd) = &joined {
            let at = steps.iter().position(|s| matches!(s, Step::WaitParent(_))).map_or(0, |i| i + 1);
            steps.insert(at, Step::Setns { fd: fd.as_raw_fd(), nstype: libc::CLONE_NEWNET });
        }
        Ok((steps, plan::clone_flags(spec)))
    };
    match spawn_with(built, Streams::Pipes { combined }, terminal, cgroups, prepare, |pid| super::bridge::connect(spec, pid))? {
        (Spawned::Child(child), _) => Ok(child),
        (Spawned::Inherited { .. }, _) => Err(RuntimeError::Failed("the container's streams were not set up".into())),
    }
}

/// The descriptors the child's steps use: the parent's go-ahead, the failure report,
/// the console socket.
#[derive(Debug, Clone, Copy)]
pub struct Fds {
    pub sync: i32,
    pub report: i32,
    pub console: Option<i32>,
}

/// The child's standard streams: pipes to this process, or this process's own (an OCI
/// runtime's container has its caller's).
#[derive(Debug, Clone, Copy)]
pub enum Streams {
    Pipes { combined: bool },
    Inherit,
}

/// A started child: with pipes, or with this process's streams.
pub enum Spawned {
    Child(Child),
    Inherited { pid: i32, master: Option<OwnedFd> },
}

/// What a report from the child that is not a failure says: it is set up and waits for
/// the start (an OCI `create`; see [`Step::AwaitStart`]).
pub const READY: u32 = u32::MAX;

/// Clones a child that runs the steps `build` makes for its descriptors, with the clone
/// flags it gives; places it in `cgroups` while `prepare` runs; lets it go; and returns
/// once it has exec'd (or reported itself ready, the second value then true), or with
/// the step that failed.
pub fn spawn_with(build: impl FnOnce(Fds) -> Result<(Vec<Step>, i32), String>, streams: Streams, terminal: bool, cgroups: &Cgroups, prepare: impl FnOnce() -> Result<(), RuntimeError>, network: impl FnOnce(i32) -> Result<(), RuntimeError>) -> Result<(Spawned, bool), RuntimeError> {
    let sockets = if terminal { Some(socketpair()?) } else { None };
    let (sync_r, sync_w) = pipe()?;
    let (err_r, err_w) = pipe()?;
    let pipes = match streams {
        Streams::Pipes { combined } => {
            let (in_r, in_w) = pipe()?;
            let (out_r, out_w) = pipe()?;
            let (errout_r, errout_w) = if combined { (None, None) } else { pipe().map(|(r, w)| (Some(r), Some(w)))? };
            Some((in_r, in_w, out_r, out_w, errout_r, errout_w))
        }
        Streams::Inherit => None,
    };
    let fds = Fds { sync: sync_r.as_raw_fd(), report: err_w.as_raw_fd(), console: sockets.as_ref().map(|(_, child)| child.as_raw_fd()) };
    let (steps, flags) = build(fds).map_err(RuntimeError::Failed)?;
    let streams_fds = match &pipes {
        Some((in_r, _, _, out_w, _, errout_w)) => [in_r.as_raw_fd(), out_w.as_raw_fd(), errout_w.as_ref().map_or(out_w.as_raw_fd(), |w| w.as_raw_fd())],
        None => [-1; 3],
    };
    let report = err_w.as_raw_fd();
    // SAFETY: a clone without a new stack behaves as fork; the child only runs the
    // prepared steps (no allocation, no locks) and then execs or exits.
    let pid = unsafe { libc::syscall(libc::SYS_clone, (flags | libc::SIGCHLD) as libc::c_ulong, 0usize, 0usize, 0usize, 0usize) } as i32;
    if pid < 0 {
        return Err(failed("creating the container's namespaces (clone)", std::io::Error::last_os_error()));
    }
    if pid == 0 {
        // With a terminal, the Console step sets the streams up.
        let streams = if sockets.is_some() { [-1; 3] } else { streams_fds };
        child(&steps, streams, report);
    }
    drop((sync_r, err_w));
    let pipes = pipes.map(|(in_r, in_w, out_r, out_w, errout_r, errout_w)| {
        drop((in_r, out_w, errout_w));
        (in_w, out_r, errout_r)
    });
    let parent_socket = sockets.map(|(parent, child)| {
        drop(child);
        parent
    });
    let (placed, prepared) = std::thread::scope(|scope| {
        let placing = scope.spawn(|| cgroups.add(pid));
        let prepared = prepare();
        (placing.join().unwrap_or_else(|_| Err("placing the container in its cgroups failed".into())), prepared)
    });
    let mut sync_w = std::fs::File::from(sync_w);
    // Its network interfaces, made from outside while it waits (`bridge::connect`).
    if let Err(e) = placed.map_err(RuntimeError::Failed).and(prepared).and_then(|()| network(pid)) {
        // The child holds its own copy of the pipe's write end (it was cloned with it),
        // so it would wait for ever for a go-ahead: it is killed before it runs a step.
        drop(sync_w);
        // SAFETY: pid is our child, not yet reaped.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        wait(pid);
        return Err(e);
    }
    // The go-ahead, with the child's PID as the host sees it (for its hooks' state).
    let mut go = [1u8; 5];
    go[1..].copy_from_slice(&pid.to_ne_bytes());
    let _ = sync_w.write_all(&go);
    drop(sync_w);
    // The terminal's master end, sent by the child (none if it failed before).
    // SAFETY: a descriptor the kernel passed to us.
    let master = parent_socket.and_then(|s| super::sys::recv_fd(s.as_raw_fd())).map(|fd| unsafe { OwnedFd::from_raw_fd(fd) });

    // The child reports a failed step on this pipe, or that it is ready; it closes on exec.
    let mut report = [0u8; 8];
    let mut got = 0;
    let mut err_file = std::fs::File::from(err_r);
    while got < report.len() {
        match err_file.read(&mut report[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    let mut ready = false;
    if got == report.len() {
        let step = u32::from_ne_bytes(report[..4].try_into().unwrap_or_default());
        if step == READY {
            ready = true;
        } else {
            wait(pid);
            let errno = i32::from_ne_bytes(report[4..].try_into().unwrap_or_default());
            return Err(step_error(&steps, step as usize, errno));
        }
    }
    let spawned = match pipes {
        Some((stdin, stdout, stderr)) => Spawned::Child(Child { pid, stdin, stdout, stderr, master }),
        None => Spawned::Inherited { pid, master },
    };
    Ok((spawned, ready))
}

pub(super) fn socketpair() -> Result<(OwnedFd, OwnedFd), RuntimeError> {
    let mut fds = [0; 2];
    // SAFETY: two ints for the kernel to fill.
    if unsafe { libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0, fds.as_mut_ptr()) } != 0 {
        return Err(failed("creating the console socket", std::io::Error::last_os_error()));
    }
    // SAFETY: both descriptors are new and ours.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Relays the user's terminal and the container's (`master`) until the container's
/// side closes: this command's stdin to it where `interactive` (raw mode while it runs,
/// so Ctrl-C reaches the container), its output to this command's stdout, and the
/// window's size as it changes.
pub(super) fn relay(master: OwnedFd, interactive: bool) {
    // SAFETY: terminal and descriptor calls on our own descriptors and local structs.
    unsafe {
        let m = master.as_raw_fd();
        let mut saved: libc::termios = std::mem::zeroed();
        let raw = interactive && libc::isatty(0) == 1 && libc::tcgetattr(0, &mut saved) == 0;
        if raw {
            let mut t = saved;
            libc::cfmakeraw(&mut t);
            libc::tcsetattr(0, libc::TCSANOW, &t);
        }
        let mut size: libc::winsize = std::mem::zeroed();
        let size_of = |fd: i32, ws: &mut libc::winsize| libc::ioctl(fd, libc::TIOCGWINSZ, ws as *mut libc::winsize) == 0;
        let mut last = (0u16, 0u16);
        let mut stdin_open = interactive;
        let mut buf = [0u8; 16 << 10];
        loop {
            if (size_of(0, &mut size) || size_of(1, &mut size)) && (size.ws_row, size.ws_col) != last {
                last = (size.ws_row, size.ws_col);
                libc::ioctl(m, libc::TIOCSWINSZ, &size as *const libc::winsize);
            }
            let mut polls = [libc::pollfd { fd: m, events: libc::POLLIN, revents: 0 }, libc::pollfd { fd: if stdin_open { 0 } else { -1 }, events: libc::POLLIN, revents: 0 }];
            if libc::poll(polls.as_mut_ptr(), 2, 250) < 0 {
                if super::sys::errno() == libc::EINTR {
                    continue;
                }
                break;
            }
            if polls[0].revents != 0 {
                let n = libc::read(m, buf.as_mut_ptr().cast(), buf.len());
                if n <= 0 {
                    // EIO: every process with the terminal open has exited.
                    break;
                }
                let _ = std::io::stdout().write_all(&buf[..n as usize]);
                let _ = std::io::stdout().flush();
            }
            if polls[1].revents != 0 {
                let n = libc::read(0, buf.as_mut_ptr().cast(), buf.len());
                if n <= 0 {
                    // Input ended (a pipe): the terminal's end-of-file, as a user's Ctrl-D.
                    stdin_open = false;
                    libc::write(m, b"\x04".as_ptr().cast(), 1);
                } else {
                    libc::write(m, buf.as_ptr().cast(), n as usize);
                }
            }
        }
        if raw {
            libc::tcsetattr(0, libc::TCSANOW, &saved);
        }
    }
}

/// In the child: standard streams onto the pipes, then the steps. Never returns.
fn child(steps: &[Step], streams: [i32; 3], report: i32) -> ! {
    // SAFETY: descriptor calls on our own descriptors; `_exit` ends the child.
    unsafe {
        for (i, fd) in streams.iter().enumerate() {
            if *fd >= 0 {
                libc::dup2(*fd, i as i32);
            }
        }
        let failed = match plan::run(steps, &Linux) {
            Ok(()) => plan::Failed { step: steps.len().saturating_sub(1), errno: libc::ENOEXEC },
            Err(f) => f,
        };
        let mut msg = [0u8; 8];
        msg[..4].copy_from_slice(&(failed.step as u32).to_ne_bytes());
        msg[4..].copy_from_slice(&failed.errno.to_ne_bytes());
        libc::write(report, msg.as_ptr().cast(), msg.len());
        libc::_exit(if matches!(steps.get(failed.step), Some(Step::Exec(_))) { if failed.errno == libc::ENOENT { 127 } else { 126 } } else { 1 });
    }
}

/// The error for a step that failed, in Docker's words where it has them.
fn step_error(steps: &[Step], step: usize, errno: i32) -> RuntimeError {
    let Some(s) = steps.get(step) else { return RuntimeError::Failed(format!("the container's setup failed (errno {errno})")) };
    let os = std::io::Error::from_raw_os_error(errno);
    match s {
        Step::Exec(e) if errno == libc::ENOENT => RuntimeError::ExecNotFound { argv0: e.argv0.clone(), in_path: !e.argv0.contains('/') },
        Step::Exec(e) if errno == libc::EACCES => RuntimeError::ExecDenied { argv0: e.argv0.clone() },
        Step::Hook(_) if errno >= plan::HOOK_SIGNALLED => RuntimeError::Failed(format!("{}: killed by signal {}", plan::describe(s), errno - plan::HOOK_SIGNALLED)),
        Step::Hook(_) if errno >= plan::HOOK_EXITED => RuntimeError::Failed(format!("{}: exit status {}", plan::describe(s), errno - plan::HOOK_EXITED)),
        Step::Hook(h) if errno == libc::ETIMEDOUT => RuntimeError::Failed(format!("{}: timed out after {}s", plan::describe(s), h.timeout_ms / 1000)),
        other => RuntimeError::Failed(format!("{}: {}", plan::describe(other), os.to_string().split(" (os error").next().unwrap_or_default().to_lowercase())),
    }
}

/// Reads stdout (stream 0) and stderr (1) until both are closed, handing each chunk
/// to `sink` as it comes.
pub fn collect(out: OwnedFd, err: Option<OwnedFd>, sink: &mut dyn FnMut(usize, &[u8])) {
    let mut fds: Vec<(OwnedFd, usize)> = vec![(out, 0)];
    if let Some(e) = err {
        fds.push((e, 1));
    }
    let mut chunk = vec![0u8; 64 << 10];
    while !fds.is_empty() {
        let mut polls: Vec<libc::pollfd> = fds.iter().map(|(fd, _)| libc::pollfd { fd: fd.as_raw_fd(), events: libc::POLLIN, revents: 0 }).collect();
        // SAFETY: an array of pollfd with its length.
        let n = unsafe { libc::poll(polls.as_mut_ptr(), polls.len() as libc::nfds_t, -1) };
        if n < 0 {
            if sys::errno() == libc::EINTR {
                continue;
            }
            break;
        }
        let mut closed = Vec::new();
        for (i, p) in polls.iter().enumerate() {
            if p.revents == 0 {
                continue;
            }
            // SAFETY: reads into our buffer.
            let got = unsafe { libc::read(p.fd, chunk.as_mut_ptr().cast(), chunk.len()) };
            if got > 0 {
                sink(fds[i].1, &chunk[..got as usize]);
            } else if got == 0 || sys::errno() != libc::EINTR {
                closed.push(i);
            }
        }
        for i in closed.into_iter().rev() {
            fds.remove(i);
        }
    }
}

/// Waits for the child; its exit status as a shell reports it (128 + a signal).
pub fn wait(pid: i32) -> i32 {
    let mut status = 0;
    loop {
        // SAFETY: waits for our own child.
        let r = unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
        if r == pid {
            break;
        }
        if r < 0 && sys::errno() != libc::EINTR {
            return 255;
        }
    }
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        255
    }
}
