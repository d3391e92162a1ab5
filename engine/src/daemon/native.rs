//! Detached containers of the native runtime (moby's `daemon/monitor.go` for a
//! containerd task): their process lives under a supervisor of its own
//! (`runtime::native::supervisor`), so the engine learns how it went by looking. A
//! running one is `Running` in the records with its runtime `native`; [`reap`] turns a
//! supervisor's `exit.json` into the record's end (logs, writable layer, volumes, `--rm`,
//! the restart policy) through [`super::monitor::finish`], as an emulated process's end
//! goes. `stop`, `kill`, `wait`, `logs`, `top` and `rm -f` reach the process through its
//! run directory.

use crate::host::Host;
use crate::runtime::native::live::{self, Handle};
use crate::runtime::{Container, Containers, LogLine, Status};
use crate::vfs::FileSystem;

/// Whether `c` is running under a native supervisor.
pub fn supervised(c: &Container) -> bool {
    c.status == Status::Running && c.host_config.runtime == "native" && c.suspended.is_none()
}

/// The run directory of `c`'s supervisor, where the host has one.
pub fn handle(host: &dyn Host, c: &Container) -> Option<Handle> {
    host.native_dir().map(|dir| Handle::of(&dir, &c.id))
}

/// Whether a supervised container has ended (its supervisor wrote how, or is gone).
pub fn ended(host: &dyn Host, c: &Container) -> bool {
    handle(host, c).is_none_or(|h| h.ended())
}

/// Records the end of every supervised container that has ended. Returns whether any had.
pub fn reap_all(containers: &mut Containers, host: &dyn Host) -> bool {
    let ended: Vec<Container> = containers.list.values().filter(|c| supervised(c) && ended(host, c)).cloned().collect();
    for c in &ended {
        reap(containers, c, host);
    }
    !ended.is_empty()
}

/// Records how the supervised container `c` ended: its output, writable layer and
/// volumes read back, then the monitor's rules (`--rm`, the restart policy). A container
/// whose supervisor went away without saying ended with status 255.
pub fn reap(containers: &mut Containers, c: &Container, host: &dyn Host) -> Option<i32> {
    let dir = host.native_dir()?;
    let reaped = match live::reap(&dir, &c.id) {
        Ok(r) => r,
        Err(e) => {
            let _ = containers.push_logs(&c.id, vec![LogLine { stream: "stderr".into(), text: format!("berth: {e}\n"), time: host.now().saturating_mul(1_000_000_000) }]);
            live::Reaped { exit: None, logs: Vec::new(), upper: containers.upper(&c.id).unwrap_or_default(), volumes: Default::default() }
        }
    };
    let _ = containers.push_logs(&c.id, reaped.logs);
    for (name, vol) in &reaped.volumes {
        let _ = containers.set_volume(name, vol);
    }
    let (status, oom_killed, ended) = match reaped.exit {
        Some(e) => (e.status, e.oom_killed, e.finished_ns.div_euclid(1_000_000_000)),
        None => (255, false, host.now()),
    };
    let mut c = c.clone();
    c.oom_killed = oom_killed;
    c.paused = false;
    let ran_ms = ended.saturating_sub(c.started.unwrap_or(c.created)).saturating_mul(1000);
    // Its name leaves its peers' /etc/hosts, as dockerd's DNS stops answering for it.
    super::network::depart(containers, &c, &dir, host.now());
    super::monitor::finish(containers, &c, ended, ran_ms, status, b"", b"", &[], &reaped.upper, None);
    Some(status)
}

/// Waits until `c` ends, in real time through `show` (which says false on Ctrl-C).
/// Where `print`, what the container prints to stdout meanwhile goes to `show` as it
/// comes, and what it prints to stderr is returned (the console has one stream). Returns
/// its exit status once recorded (`None` when interrupted) and that stderr.
pub fn wait(containers: &mut Containers, c: &Container, host: &dyn Host, show: &crate::shell::Pause, print: bool, mut offset: u64) -> (Option<i32>, Vec<u8>) {
    let mut stderr = Vec::new();
    let Some(h) = handle(host, c) else { return (None, stderr) };
    let take = |offset: &mut u64, stderr: &mut Vec<u8>| -> String {
        let (lines, next) = h.logs_from(*offset);
        *offset = next;
        let mut out = String::new();
        for l in lines {
            if l.stream == "stderr" {
                stderr.extend_from_slice(l.text.as_bytes());
            } else {
                out.push_str(&l.text);
            }
        }
        out
    };
    loop {
        let ended = h.ended();
        if print {
            let text = take(&mut offset, &mut stderr);
            if !text.is_empty() && !show(&text, 0.0) {
                return (None, stderr);
            }
        }
        if ended {
            return (reap(containers, c, host), stderr);
        }
        if !show("", 0.05) {
            return (None, stderr);
        }
    }
}

pub use crate::runtime::signal_number;

/// `docker stop`: the image's stop signal (TERM by default), then KILL after `grace`
/// seconds, and the end recorded. A paused container is thawed first, as Docker does.
pub fn stop(containers: &mut Containers, c: &Container, host: &dyn Host, grace: f64) {
    let Some(h) = handle(host, c) else { return };
    if c.paused {
        let _ = h.freeze(&c.id, false);
    }
    let signal = c.config.config.stop_signal.as_deref().and_then(signal_number).unwrap_or(15);
    let _ = h.signal(signal);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs_f64(grace.max(0.0));
    while !h.ended() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    if !h.ended() {
        let _ = h.signal(9);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !h.ended() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
    reap(containers, c, host);
}

/// `docker kill`: the signal (KILL unless `-s`), and the end recorded where it ends the
/// process: KILL always does (waited for up to 10 s); another signal is given a moment,
/// and a process that lives on (a handler, or PID 1 ignoring it) stays running.
pub fn kill(containers: &mut Containers, c: &Container, host: &dyn Host, signal: i32) {
    let Some(h) = handle(host, c) else { return };
    if c.paused && signal == 9 {
        // A frozen process dies only once thawed.
        let _ = h.freeze(&c.id, false);
    }
    let _ = h.signal(signal);
    let wait = if signal == 9 { 10_000 } else { 200 };
    let deadline = std::time::Instant::now() + std::time::Duration::from_millis(wait);
    while !h.ended() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    if h.ended() || signal == 9 {
        reap(containers, c, host);
    }
}

/// What a running container has printed that its record does not have yet, and where
/// its supervisor's log ends after it.
pub fn live_logs(host: &dyn Host, c: &Container) -> (Vec<LogLine>, u64) {
    if !supervised(c) {
        return (Vec::new(), 0);
    }
    handle(host, c).map(|h| h.logs_from(0)).unwrap_or_default()
}

/// `docker exec` in a supervised container: `process` is the container's record with
/// the exec's command, environment, directory and user. Its user is resolved against the
/// container's own `/etc/passwd` as it is now.
pub fn exec(host: &dyn Host, c: &Container, process: &Container, stdin: Vec<u8>, console: crate::runtime::Console) -> Result<crate::runtime::Ran, crate::runtime::RuntimeError> {
    let h = handle(host, c).ok_or(crate::runtime::RuntimeError::Unavailable { runtime: "native", reason: super::start::NO_DISK })?;
    let spec = exec_spec(&h, process);
    h.exec(&c.id, &spec, stdin, console)
}

/// The spec of a process exec'd in the running container of `h`, its user resolved
/// against the container's own `/etc/passwd` and `/etc/group`.
fn exec_spec(h: &Handle, process: &Container) -> crate::runtime::ContainerSpec {
    let mut accounts = crate::vfs::MemoryFs::new();
    let _ = accounts.create_dir("/etc", 0o755);
    if let Some(pid) = h.pid() {
        for file in ["passwd", "group"] {
            if let Ok(bytes) = std::fs::read(format!("/proc/{pid}/root/etc/{file}")) {
                let _ = accounts.write(&format!("/etc/{file}"), &bytes);
            }
        }
    }
    super::spec::container_spec(process, &accounts)
}

/// `docker exec -d` in a supervised container: the process's host PID once it runs.
pub fn exec_detached(host: &dyn Host, c: &Container, process: &Container) -> Result<i32, crate::runtime::RuntimeError> {
    let h = handle(host, c).ok_or(crate::runtime::RuntimeError::Unavailable { runtime: "native", reason: super::start::NO_DISK })?;
    let spec = exec_spec(&h, process);
    h.exec_detached(&c.id, &spec)
}

/// `docker pause` (`frozen`) and `unpause`, with Docker's refusals.
pub fn pause(containers: &mut Containers, c: &Container, host: &dyn Host, frozen: bool) -> Result<(), super::EngineError> {
    use super::EngineError;
    if c.status != Status::Running {
        return Err(EngineError::Invalid(format!("Container {} is not running", c.id)));
    }
    if frozen && c.paused {
        return Err(EngineError::Invalid(format!("Container {} is already paused", c.id)));
    }
    if !frozen && !c.paused {
        return Err(EngineError::Invalid(format!("Container {} is not paused", c.id)));
    }
    if !supervised(c) {
        let spec = super::spec::container_spec(c, &crate::vfs::MemoryFs::new());
        let mut runtime = crate::runtime::select(&c.host_config.runtime).map_err(|e| EngineError::Invalid(e.to_string()))?;
        runtime.pause(&spec, frozen).map_err(|e| EngineError::Invalid(e.to_string()))?;
    } else {
        let h = handle(host, c).ok_or_else(|| EngineError::Invalid(format!("Container {} is not running", c.id)))?;
        h.freeze(&c.id, frozen).map_err(|e| EngineError::Invalid(e.to_string()))?;
    }
    if let Some(r) = containers.list.get_mut(&c.id) {
        r.paused = frozen;
    }
    super::events::container(containers, c, if frozen { "pause" } else { "unpause" }, &[], host.now());
    containers.save().map_err(EngineError::State)
}

/// One row of `docker stats`: CPU %, memory used, its limit, network in and out, PIDs.
/// `None` for a container whose runtime has no cgroups (the emulated one).
pub struct Stats {
    pub cpu_percent: f64,
    pub memory: u64,
    pub limit: u64,
    pub net: (u64, u64),
    pub pids: u64,
}

/// Samples the running containers' use twice, `interval` apart (CPU % is the
/// difference, as Docker's is between two reads).
pub fn stats(host: &dyn Host, list: &[Container], interval: std::time::Duration) -> Vec<Option<Stats>> {
    let handles: Vec<Option<Handle>> = list.iter().map(|c| if supervised(c) { handle(host, c) } else { None }).collect();
    let first: Vec<Option<u64>> = handles.iter().zip(list).map(|(h, c)| h.as_ref().map(|h| h.usage(&c.id).0.cpu_ns)).collect();
    let started = std::time::Instant::now();
    if handles.iter().any(Option::is_some) {
        std::thread::sleep(interval);
    }
    let wall = started.elapsed().as_nanos().max(1) as f64;
    let total = std::fs::read_to_string("/proc/meminfo").ok().and_then(|m| m.lines().find_map(|l| l.strip_prefix("MemTotal:")).and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())).map_or(0, |kb| kb * 1024);
    handles
        .iter()
        .zip(list)
        .zip(first)
        .map(|((h, c), before)| {
            let h = h.as_ref()?;
            let (u, net) = h.usage(&c.id);
            let cpu = u.cpu_ns.saturating_sub(before.unwrap_or(u.cpu_ns)) as f64 / wall * 100.0;
            Some(Stats { cpu_percent: cpu, memory: u.memory, limit: u.limit.unwrap_or(total), net, pids: u.pids })
        })
        .collect()
}

/// `docker update` of a running supervised container: its cgroups take the new limits.
/// Other containers take them when they next start.
pub fn update(c: &Container, h: &crate::runtime::HostOptions, host: &dyn Host) -> Result<(), String> {
    if !supervised(c) {
        return Ok(());
    }
    let Some(handle) = handle(host, c) else { return Ok(()) };
    handle.update(&c.id, super::spec::resources_memory(h), super::spec::resources_cpu(h), h.pids_limit).map_err(|e| e.to_string())
}
