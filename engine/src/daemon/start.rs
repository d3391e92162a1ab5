//! Starting a container's process and keeping it going (moby's `daemon/start.go`): the
//! root filesystem is laid out from the image's layers, the writable layer, bind mounts
//! and volumes; the spec goes to the container's runtime; the end is recorded by
//! [`super::monitor`]. A detached process of the emulated runtime runs only as far as
//! someone looks: [`catch_up`] brings suspended processes up to the present and starts
//! the restarts that are due.

use std::collections::BTreeMap;

use super::EngineError;
use crate::host::Host;
use crate::image::ImageStore;
use crate::runtime::{mounts::Mounted, Container, Containers, Detached, Ran, RuntimeError, Status, Stdio, Terminal};
use crate::vfs::{walk, FileSystem, MemoryFs};

/// A bind mount's source: a host directory, or a single host file (`-v
/// ./config.yml:/app/config.yml`), seen through its directory at the mount point.
pub fn bind_source<'h>(host: &'h dyn Host, source: &str) -> Result<Box<dyn FileSystem + 'h>, String> {
    let first = match host.bind(source) {
        Ok(fs) if fs.stat("/").is_ok_and(|m| m.is_dir()) => return Ok(fs),
        Ok(_) => String::new(),
        Err(e) => e,
    };
    let trimmed = source.trim_end_matches('/');
    let (parent, name) = match trimmed.rsplit_once('/') {
        Some(("", name)) => ("/".to_string(), name.to_string()),
        Some((parent, name)) => (parent.to_string(), name.to_string()),
        None => (".".to_string(), trimmed.to_string()),
    };
    let dir = host.bind(&parent).map_err(|e| if first.is_empty() { e } else { first.clone() })?;
    if !dir.stat(&format!("/{name}")).is_ok_and(|m| m.is_file()) {
        return Err(if first.is_empty() { format!("{source}: no such file or directory") } else { first });
    }
    Ok(Box::new(crate::vfs::SubdirFs { inner: dir, base: format!("/{name}") }))
}

/// A `-v` bind source that does not exist, made as a directory (dockerd makes it, as
/// root, mode 755) under the nearest parent that does; where none can be made, the start
/// reports the missing source as `--mount` would.
fn make_bind_source(host: &dyn Host, source: &str) {
    if bind_source(host, source).is_ok() {
        return;
    }
    let normal = crate::vfs::normalize(source);
    let mut parent = normal.as_str();
    while let Some((up, _)) = parent.rsplit_once('/') {
        parent = if up.is_empty() { "/" } else { up };
        let base = if source.starts_with('/') { parent.to_string() } else { format!(".{parent}") };
        if let Ok(mut fs) = host.bind(&base) {
            let rest = normal[parent.len()..].trim_start_matches('/');
            let _ = fs.create_dir_all(&format!("/{rest}"), 0o755);
            return;
        }
        if parent == "/" {
            return;
        }
    }
}

/// How a container's process ran: its status, stdout and stderr, or why it could not start.
pub type Executed = Result<(i32, Vec<u8>, Vec<u8>), EngineError>;

/// Starts a container's process as `start` does: detached, it runs until it waits.
pub fn execute(store: &mut ImageStore, containers: &mut Containers, c: &Container, host: &dyn Host) -> Executed {
    let mut c = c.clone();
    c.started = Some(host.now());
    c.restart_at_ms = None;
    run_detached(store, containers, &c, host)
}

/// `docker start`: the process of a stopped container starts again, detached, and its
/// restart policy applies again.
pub fn start(store: &mut ImageStore, containers: &mut Containers, c: &Container, host: &dyn Host) -> Executed {
    let mut c = c.clone();
    super::stop::mark_stopped_by_hand(containers, &mut c, false);
    execute(store, containers, &c, host)
}

/// `docker start -a`: as [`start`], except that on a runtime without detached processes
/// (the native one, for now) the process runs in the foreground to its end. The second
/// value says it did, so there is nothing left to follow.
pub fn start_attached(store: &mut ImageStore, containers: &mut Containers, c: &Container, host: &dyn Host) -> (Executed, bool) {
    let detached = choose_runtime(store, c, host).map(|r| r.capabilities().detached).unwrap_or(true);
    if detached {
        return (start(store, containers, c, host), false);
    }
    let mut c = c.clone();
    super::stop::mark_stopped_by_hand(containers, &mut c, false);
    c.started = Some(host.now());
    c.restart_at_ms = None;
    (execute_with(store, containers, &c, host, b"", Terminal::default()), true)
}

/// `docker restart`: stopped as `stop` stops it (TERM, `grace`, KILL), then started.
pub fn restart(store: &mut ImageStore, containers: &mut Containers, c: &Container, host: &dyn Host, grace: f64) -> Executed {
    super::stop::stop(store, containers, c, host, grace);
    let c = containers.find(&c.id).cloned().unwrap_or_else(|| c.clone());
    start(store, containers, &c, host)
}

/// Starts a created container's process detached (`run -d`, a compose service): it runs
/// until it waits in a sleep, and [`catch_up`] takes it on from there.
pub fn start_detached(store: &mut ImageStore, containers: &mut Containers, c: &Container, host: &dyn Host) -> Result<(), EngineError> {
    run_detached(store, containers, c, host).map(|_| ())
}

/// Runs `c`'s process detached, from the start time its record has.
fn run_detached(store: &mut ImageStore, containers: &mut Containers, c: &Container, host: &dyn Host) -> Executed {
    execute_with(store, containers, c, host, b"", Terminal { detached: Some(Detached::Start { until: 0.0 }), ..Terminal::default() })
}

/// Seconds a container's process has been running, by the host's clock.
pub fn running_for(c: &Container, host: &dyn Host) -> f64 {
    (host.now() - c.started.unwrap_or(c.created)).max(0) as f64
}

/// How far in its own time a suspended process is brought when someone looks: the
/// present, or [`crate::runtime::CATCH_UP_LIMIT`].
pub fn catch_up_until(c: &Container, host: &dyn Host) -> f64 {
    running_for(c, host).min(crate::runtime::CATCH_UP_LIMIT)
}

/// Resumes a running container's suspended process (see [`Detached::Resume`]) and records
/// how it went; `None` where there is none to resume.
pub fn resume(store: &mut ImageStore, containers: &mut Containers, c: &Container, host: &dyn Host, until: f64, follow: Option<crate::shell::Pause>, signal: Option<&'static str>) -> Option<Executed> {
    let (Status::Running, Some(at), Some(journal)) = (&c.status, c.suspended, containers.journal(&c.id)) else { return None };
    let detached = Detached::Resume { journal: std::rc::Rc::new(journal), pauses: at.pauses, until, follow, signal };
    Some(execute_with(store, containers, c, host, b"", Terminal { detached: Some(detached), ..Terminal::default() }))
}

/// Brings the suspended processes of running containers up to the present (at most
/// [`crate::runtime::CATCH_UP_LIMIT`] of their time and [`crate::runtime::CATCH_UP_PAUSES`]
/// of their sleeps): a detached process runs only as far
/// as someone looks, so the commands that look at containers call this first. A
/// `while true; do date; sleep 1; done` started two minutes ago has then printed two
/// minutes of dates, as under Docker.
///
/// Restarting containers whose restart policy's next start has come are started then,
/// from that time, and brought up to the present in turn (at most
/// [`MAX_RESTARTS_PER_LOOK`] starts per look).
pub fn catch_up(host: &dyn Host) {
    if host.read_only() {
        return;
    }
    let Ok(storage) = host.storage() else { return };
    let Ok(mut records) = Containers::open(storage) else { return };
    // Native containers that ended under their supervisors since the last look.
    if records.list.values().any(|c| super::native::supervised(c) && super::native::ended(host, c)) {
        super::native::reap_all(&mut records, host);
        let Ok(storage) = host.storage() else { return };
        let Ok(reread) = Containers::open(storage) else { return };
        records = reread;
    }
    let due: Vec<Container> = records
        .list
        .values()
        .filter(|c| c.status == Status::Running && c.suspended.is_some_and(|s| s.pauses < crate::runtime::CATCH_UP_PAUSES && s.wakes_ms as f64 <= catch_up_until(c, host) * 1000.0))
        .cloned()
        .collect();
    let now_ms = host.now().saturating_mul(1000);
    if due.is_empty() && crate::daemon::monitor::due(&records, now_ms).is_empty() {
        return;
    }
    let Ok((mut store, mut containers)) = super::open(host) else { return };
    for c in due {
        let _ = resume(&mut store, &mut containers, &c, host, catch_up_until(&c, host), None, None);
    }
    for _ in 0..MAX_RESTARTS_PER_LOOK {
        let Some(c) = crate::daemon::monitor::due(&containers, now_ms).into_iter().next() else { break };
        let r = crate::daemon::monitor::restarted(&c);
        containers.list.insert(r.id.clone(), r.clone());
        let until = catch_up_until(&r, host);
        let _ = execute_with(&mut store, &mut containers, &r, host, b"", Terminal { detached: Some(Detached::Start { until }), ..Terminal::default() });
    }
}

/// How many restarts one look at the containers runs, so that a container that fails at
/// once under `--restart always` and was left for a day costs a bounded look.
pub const MAX_RESTARTS_PER_LOOK: usize = 100;

pub fn execute_with(store: &mut ImageStore, containers: &mut Containers, c: &Container, host: &dyn Host, stdin: &[u8], terminal: Terminal) -> Executed {
    let stdio = Stdio { stdin: stdin.to_vec(), terminal, combined: false, started: c.started.unwrap_or(c.created), console: Default::default() };
    execute_stdio(store, containers, c, host, stdio)
}

/// [`execute_with`] with the process's streams as `stdio` says (`run -t` natively: the
/// command's own terminal).
pub fn execute_stdio(store: &mut ImageStore, containers: &mut Containers, c: &Container, host: &dyn Host, stdio: Stdio) -> Executed {
    let terminal_detached = stdio.terminal.detached.is_some();
    for m in c.mounts.iter().filter(|m| m.kind == "bind" && m.create_source) {
        make_bind_source(host, &m.source);
    }
    let runtime = choose_runtime(store, c, host).map_err(|e| EngineError::Start { message: e.to_string(), status: 125 })?;
    // The record says which runtime runs it, so that later verbs reach its process,
    // and the addresses it has on its networks from this start on.
    let mut chosen = c.clone();
    super::network::attach(containers, &mut chosen, host.now())?;
    if chosen.host_config.runtime.is_empty() && runtime.on_disk() {
        chosen.host_config.runtime = runtime.name().to_string();
    }
    let c = &chosen;
    let ran = if runtime.on_disk() {
        if !terminal_detached {
            // A real process in the foreground may run long: it is up in the records
            // meanwhile, for the commands that look from elsewhere.
            let mut record = c.clone();
            record.status = Status::Running;
            record.started = Some(c.started.unwrap_or_else(|| host.now()));
            record.suspended = None;
            containers.list.insert(c.id.clone(), record);
            let _ = containers.save();
        }
        execute_on_disk(store, containers, c, host, runtime, stdio)?
    } else {
        let mut runtime = runtime;
        with_container_fs(store, containers, c, host, |fs| {
            let spec = crate::daemon::spec::container_spec(c, fs);
            runtime.run(&spec, fs, stdio)
        })?
    };
    let (Ran { status: code, stdout, mut stderr, suspended, diverged, slept, stamps, oom_killed, supervised }, upper) = match ran {
        (Ok(r), upper) => (r, upper),
        (Err(e), _) => {
            // The container exists but could not start: Docker leaves it Created.
            let (msg, code) = match e {
                RuntimeError::ExecNotFound { argv0, .. } if argv0.contains('/') => (format!("failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: \"{argv0}\": stat {argv0}: no such file or directory: unknown"), 127),
                RuntimeError::ExecNotFound { argv0, .. } => (format!("failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: \"{argv0}\": executable file not found in $PATH: unknown"), 127),
                RuntimeError::ExecDenied { argv0 } => (format!("failed to create task for container: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: \"{argv0}\": permission denied: unknown"), 126),
                other => (other.to_string(), 125),
            };
            let mut record = c.clone();
            record.status = Status::Created;
            record.exit_code = code;
            if !c.auto_remove {
                containers.list.insert(c.id.clone(), record);
                let _ = containers.save();
            } else if containers.list.remove(&c.id).is_some() {
                // It was up in the records while it started (a native foreground run).
                let _ = containers.save();
            }
            return Err(EngineError::Start { message: msg, status: code });
        }
    };
    super::events::container(containers, c, "start", &[], host.now());
    if supervised {
        // Running under its runtime's supervisor: its end is recorded when the engine
        // next looks (`daemon::native::reap`).
        let mut record = c.clone();
        record.status = Status::Running;
        record.exit_code = 0;
        record.started = Some(c.started.unwrap_or_else(|| host.now()));
        record.suspended = None;
        let _ = containers.set_upper(&c.id, &upper);
        containers.list.insert(c.id.clone(), record.clone());
        containers.save().map_err(EngineError::State)?;
        if let Some(dir) = host.native_dir() {
            super::network::announce(containers, &record, &dir, host.now());
        }
        return Ok((0, stdout, stderr));
    }
    if diverged {
        stderr.extend_from_slice(b"berth: the resumed process did not replay as it ran before; it goes on from where the replay parted\n");
    }
    // A detached process ended when its sleeps say, which may be before now.
    let ended = if terminal_detached { c.started.map_or(host.now(), |s| s.saturating_add(slept as i64).min(host.now())) } else { host.now() };
    let started = c.started.unwrap_or(c.created).saturating_mul(1_000_000_000);
    let stamps: Vec<(usize, i64)> = stamps.iter().map(|(offset, t)| (*offset, started.saturating_add((t * 1e9).round() as i64))).collect();
    let ran_ms = if terminal_detached { (slept * 1000.0) as i64 } else { ended.saturating_sub(c.started.unwrap_or(c.created)).saturating_mul(1000) };
    let mut c = c.clone();
    c.oom_killed = oom_killed;
    crate::daemon::monitor::finish(containers, &c, ended, ran_ms, code, &stdout, &stderr, &stamps, &upper, suspended);
    Ok((code, stdout, stderr))
}

/// The runtime that runs `c`: the one `--runtime` named, or by the default rule, the
/// native runtime for a real program where it can run here (a host with a directory
/// for it, Linux, root) and the emulated one for everything else (every catalog
/// image: its programs are modelled).
pub fn choose_runtime(store: &mut ImageStore, c: &Container, host: &dyn Host) -> Result<Box<dyn crate::runtime::Runtime>, RuntimeError> {
    if !c.host_config.runtime.is_empty() {
        return crate::runtime::select(&c.host_config.runtime);
    }
    let name = if crate::runtime::NativeRuntime::unavailable().is_none() && host.native_dir().is_some() && real_program(store, c, host) { "native" } else { crate::runtime::DEFAULT_RUNTIME };
    crate::runtime::select(name)
}

/// Whether `c`'s image is real, not modelled: no catalog layer, and its program (or,
/// where the image has no such program, its `/bin/sh`) has real bytes. The kernel then
/// decides what runs, as under Docker (a file that is not a program is 126).
fn real_program(store: &mut ImageStore, c: &Container, host: &dyn Host) -> bool {
    if store.has_catalog_layer(&c.image_id) {
        return false;
    }
    // Layers written out to disk had only real files (modelled ones are refused there).
    if let (Some(dir), Ok(config)) = (host.native_dir(), store.config(&c.image_id)) {
        let diff_ids: Vec<String> = config.rootfs.diff_ids.iter().map(|d| d.to_string()).collect();
        if !diff_ids.is_empty() && crate::runtime::native::layers_on_disk(&dir, &diff_ids) {
            return true;
        }
    }
    let Ok(layers) = store.layers(&c.image_id) else { return false };
    let view = crate::runtime::rootfs(layers, MemoryFs::new());
    let spec = crate::runtime::ContainerSpec::for_process(crate::runtime::spec::ProcessSpec { args: c.argv.clone(), env: c.env.clone(), cwd: c.working_dir.clone(), ..Default::default() });
    crate::runtime::native::real_image(&spec, &view)
}

pub use crate::runtime::NO_DISK;

/// Runs `c` on a runtime that works over the image's layers on disk: the writable layer
/// and volumes are handed over from the records and saved back after.
fn execute_on_disk(store: &mut ImageStore, containers: &mut Containers, c: &Container, host: &dyn Host, mut runtime: Box<dyn crate::runtime::Runtime>, stdio: Stdio) -> Result<(Result<Ran, RuntimeError>, MemoryFs), EngineError> {
    let Some(dir) = host.native_dir() else { return Ok((Err(RuntimeError::Unavailable { runtime: runtime.name(), reason: NO_DISK }), MemoryFs::new())) };
    let diff_ids: Vec<String> = store.config(&c.image_id).map_err(|e| EngineError::Image(e.to_string()))?.rootfs.diff_ids.iter().map(|d| d.to_string()).collect();
    let quota = c.host_config.storage_quota();
    let mut upper = containers.upper_within(&c.id, &quota).map_err(EngineError::State)?;
    // Layers already on disk need not be read into memory: only mounts (their points
    // resolve over the image, volumes are seeded from it) need the image's files.
    // GPUs and devices, found on the host now (the driver may have changed since create).
    let devices = match crate::daemon::gpu::edits_for(c.host_config.gpus.as_ref(), &c.host_config.devices) {
        Ok(e) => e,
        Err(message) => return Ok((Err(RuntimeError::Failed(message)), upper)),
    };
    // Its bridge networks, which the native runtime connects it to.
    let bridges = super::network::bridges(containers, c, &dir, host.now());
    let joined = match c.host_config.network.strip_prefix("container:") {
        Some(other) => {
            let pid = containers.find(other).filter(|o| o.status == crate::runtime::Status::Running && o.host_config.runtime == "native").and_then(|o| crate::runtime::native::live::Handle::of(&dir, &o.id).pid());
            match pid {
                Some(pid) => Some(format!("/proc/{pid}/ns/net")),
                None => return Ok((Err(RuntimeError::Failed(format!("cannot join network namespace of a non running container: {other}"))), upper)),
            }
        }
        None => None,
    };
    let with_devices = |mut spec: crate::runtime::ContainerSpec| -> Result<crate::runtime::ContainerSpec, RuntimeError> {
        if let Some(edits) = &devices {
            crate::daemon::gpu::apply(&mut spec, edits).map_err(RuntimeError::Failed)?;
        }
        if let Some(b) = &bridges {
            spec.annotations.insert(crate::runtime::spec::ANNOTATION_BRIDGES.into(), serde_json::to_string(b).unwrap_or_default());
        }
        // `--network container:ID`: that container's network namespace, while it runs.
        if let Some(path) = &joined {
            for ns in spec.linux.namespaces.iter_mut().filter(|n| n.kind == "network") {
                ns.path = Some(path.clone());
            }
        }
        Ok(spec)
    };
    if c.mounts.is_empty() && crate::runtime::native::layers_on_disk(&dir, &diff_ids) {
        let accounts = crate::runtime::native::account_files(&dir, &diff_ids, &upper);
        let spec = match with_devices(crate::daemon::spec::container_spec(c, &accounts)) {
            Ok(s) => s,
            Err(e) => return Ok((Err(e), upper)),
        };
        let mut volumes = BTreeMap::new();
        let layers = diff_ids.into_iter().map(|d| (d, None)).collect();
        let ran = runtime.run_on_disk(&spec, crate::runtime::DiskRoot { dir, id: c.id.clone(), layers, upper: &mut upper, volumes: &mut volumes }, stdio);
        return Ok((ran, upper));
    }
    let layers = store.layers(&c.image_id).map_err(|e| EngineError::Image(e.to_string()))?;
    let view = crate::runtime::rootfs(layers.clone(), upper.clone());
    let mut volumes = BTreeMap::new();
    for m in c.mounts.iter().filter(|m| m.kind == "volume") {
        if volumes.contains_key(&m.source) {
            continue;
        }
        let vol = containers.volume_within(&m.source, &quota).map_err(EngineError::State)?;
        // Seed an empty named volume with the image's files at the mount point.
        let vol = if vol.read_dir("/").is_ok_and(|e| e.is_empty()) { seed_volume(&view, &m.target, &quota).unwrap_or(vol) } else { vol };
        volumes.insert(m.source.clone(), vol);
    }
    let spec = match with_devices(crate::daemon::spec::container_spec(c, &view)) {
        Ok(s) => s,
        Err(e) => return Ok((Err(e), upper)),
    };
    if let Err(e) = runtime.check(&spec, &view) {
        return Ok((Err(e), upper));
    }
    let layers = diff_ids.into_iter().zip(layers.into_iter().map(Some)).collect();
    let ran = runtime.run_on_disk(&spec, crate::runtime::DiskRoot { dir, id: c.id.clone(), layers, upper: &mut upper, volumes: &mut volumes }, stdio);
    if ran.is_ok() {
        for (name, vol) in &volumes {
            containers.set_volume(name, vol).map_err(EngineError::State)?;
        }
    }
    Ok((ran, upper))
}

/// Lays out a container's filesystem (image layers, its writable layer, bind mounts and
/// volumes), runs `f` over it, saves the volumes, and returns `f`'s result with the
/// writable layer as it is afterwards.
pub fn with_container_fs<T>(store: &mut ImageStore, containers: &mut Containers, c: &Container, host: &dyn Host, f: impl FnOnce(&mut dyn FileSystem) -> T) -> Result<(T, MemoryFs), EngineError> {
    let layers = store.layers(&c.image_id).map_err(|e| EngineError::Image(e.to_string()))?;
    // One budget for what this run may write: the writable layer and the volumes.
    let quota = c.host_config.storage_quota();
    let upper = containers.upper_within(&c.id, &quota).map_err(EngineError::State)?;
    let mut root = crate::runtime::rootfs(layers, upper);
    // `--tmpfs PATH[:OPTIONS]`: an empty filesystem of its own, gone when the run ends.
    let tmpfs: Vec<(String, bool)> = c.host_config.tmpfs.iter().map(|t| {
        let (path, options) = t.split_once(':').unwrap_or((t, ""));
        (crate::vfs::normalize(path), options.split(',').any(|o| o == "ro"))
    }).collect();
    // The runtime creates the directories that lead to each mount point.
    for target in c.mounts.iter().map(|m| m.target.as_str()).chain(tmpfs.iter().map(|(p, _)| p.as_str())) {
        if let Some((parent, _)) = crate::vfs::split_parent(&crate::vfs::normalize(target)) {
            if !root.exists(&parent) {
                let _ = root.create_dir_all(&parent, 0o755);
            }
        }
    }
    // A volume mounted at several points is one filesystem seen at each of them.
    let mut volumes: BTreeMap<String, crate::vfs::SharedFs> = BTreeMap::new();
    let result = {
        let mut mounted: Vec<(String, Box<dyn FileSystem + '_>, bool)> = Vec::new();
        for m in &c.mounts {
            if m.kind == "bind" {
                match bind_source(host, &m.source) {
                    Ok(fs) => mounted.push((m.target.clone(), fs, m.read_only)),
                    Err(_) => return Err(EngineError::BindSource(m.source.clone())),
                }
            } else {
                if !volumes.contains_key(&m.source) {
                    let vol = containers.volume_within(&m.source, &quota).map_err(EngineError::State)?;
                    // Seed an empty named volume with the image's files at the mount point.
                    let vol = if vol.read_dir("/").is_ok_and(|e| e.is_empty()) { seed_volume(&root, &m.target, &quota).unwrap_or(vol) } else { vol };
                    volumes.insert(m.source.clone(), crate::vfs::SharedFs::new(vol));
                }
                let vol = &volumes[&m.source];
                mounted.push((m.target.clone(), Box::new(vol.clone()), m.read_only));
            }
        }
        for (path, read_only) in &tmpfs {
            let mut fs = MemoryFs::with_quota(quota.clone());
            let _ = fs.set_mode("/", 0o1777);
            mounted.push((path.clone(), Box::new(fs), *read_only));
        }
        // The runtime's `/dev`, as runc makes it, unless something is mounted there.
        if !mounted.iter().any(|(p, _, _)| crate::vfs::normalize(p) == "/dev") {
            if !root.exists("/dev") {
                let _ = root.create_dir("/dev", 0o755);
            }
            mounted.push(("/dev".into(), Box::new(crate::vfs::dev::DevFs::new(host.now() as u64 ^ c.created as u64)), false));
        }
        let mut fs = Mounted { root: &mut root, mounts: mounted, root_read_only: c.host_config.read_only };
        f(&mut fs)
    };
    for (name, fs) in &volumes {
        if let Ok(vol) = fs.0.lock() {
            let _ = containers.set_volume(name, &vol);
        }
    }
    Ok((result, root.into_upper()))
}

pub fn seed_volume(root: &dyn FileSystem, target: &str, quota: &crate::vfs::Quota) -> Option<MemoryFs> {
    let mut vol = MemoryFs::with_quota(quota.clone());
    if root.stat(target).is_ok_and(|m| m.is_dir()) {
        for (rel, m) in walk::walk(root, target).ok()? {
            let _ = walk::copy_entry(root, &crate::vfs::join(target, &rel), &mut vol, &format!("/{rel}"), &m);
        }
    }
    Some(vol)
}
