//! A container's cgroups: one directory per controller under `berth/<id>` on cgroup v1
//! (this machine's memory, pids and cpu hierarchies), or one under the unified
//! hierarchy on cgroup v2. The limits of the spec are written before the process is let
//! go; after it exits the OOM counter says whether the kernel killed it, and the
//! directories are removed.

use std::path::{Path, PathBuf};

use super::Usage;
use crate::runtime::spec::Resources;

const ROOT: &str = "/sys/fs/cgroup";

/// The cgroup v1 controllers a container gets a cgroup of its own in.
pub const V1_CONTROLLERS: &[&str] = &["memory", "pids", "cpu", "cpuacct", "freezer", "devices", "cpuset"];

#[derive(Debug)]
pub struct Cgroups {
    v2: bool,
    dirs: Vec<PathBuf>,
}

fn write(dir: &Path, file: &str, value: &str) -> Result<(), String> {
    std::fs::write(dir.join(file), value).map_err(|e| format!("writing {value} to {}: {e}", dir.join(file).display()))
}

impl Cgroups {
    /// Whether the machine has the unified hierarchy only.
    pub fn unified() -> bool {
        Path::new(ROOT).join("cgroup.controllers").exists()
    }

    /// Creates the cgroups of container `id` and writes its limits.
    pub fn create(id: &str, resources: &Resources) -> Result<Cgroups, String> {
        // Rootless, the host's cgroups are root's (this host does not delegate them).
        if super::rootless::in_user_namespace() {
            if resources.memory.is_some() || resources.cpu.is_some() || resources.pids.is_some() {
                return Err("rootless containers have no cgroups on this host (they are root's): resource limits such as --memory, --cpus and --pids-limit cannot be applied; run berth as root for them".into());
            }
            return Ok(Cgroups { v2: Self::unified(), dirs: Vec::new() });
        }
        Self::create_at(&Path::new("berth").join(id), resources)
    }

    /// Creates cgroups at `path` (relative to each hierarchy's root: an OCI bundle's
    /// `cgroupsPath`) and writes the limits.
    pub fn create_at(path: &Path, resources: &Resources) -> Result<Cgroups, String> {
        let v2 = Self::unified();
        let mut cg = Cgroups { v2, dirs: Vec::new() };
        let controllers: &[&str] = if v2 { &[""] } else { V1_CONTROLLERS };
        let ancestors: Vec<&Path> = path.ancestors().skip(1).filter(|a| !a.as_os_str().is_empty()).collect::<Vec<_>>().into_iter().rev().collect();
        if v2 {
            // The controllers must be enabled down to the container's cgroup.
            let mut at = Path::new(ROOT).to_path_buf();
            let _ = write(&at, "cgroup.subtree_control", "+memory +pids +cpu");
            for a in &ancestors {
                at = Path::new(ROOT).join(a);
                let _ = std::fs::create_dir_all(&at);
                let _ = write(&at, "cgroup.subtree_control", "+memory +pids +cpu");
            }
        }
        for controller in controllers {
            let base = Path::new(ROOT).join(controller);
            if !base.is_dir() {
                continue;
            }
            let dir = base.join(path);
            if *controller == "cpuset" {
                // A cpuset cgroup has no CPUs or memory nodes until given its parent's.
                let mut parent = base.clone();
                for a in &ancestors {
                    let next = base.join(a);
                    let _ = std::fs::create_dir_all(&next);
                    for f in ["cpuset.cpus", "cpuset.mems"] {
                        if std::fs::read_to_string(next.join(f)).is_ok_and(|v| v.trim().is_empty()) {
                            let _ = std::fs::read_to_string(parent.join(f)).map(|v| write(&next, f, v.trim()));
                        }
                    }
                    parent = next;
                }
            }
            if let Err(e) = std::fs::create_dir_all(&dir) {
                cg.remove();
                return Err(format!("creating cgroup {}: {e}", dir.display()));
            }
            if *controller == "cpuset" {
                let parent = dir.parent().unwrap_or(&base).to_path_buf();
                for f in ["cpuset.cpus", "cpuset.mems"] {
                    if std::fs::read_to_string(dir.join(f)).is_ok_and(|v| v.trim().is_empty()) {
                        if let Ok(v) = std::fs::read_to_string(parent.join(f)) {
                            let _ = write(&dir, f, v.trim());
                        }
                    }
                }
            }
            cg.dirs.push(dir);
        }
        if let Err(e) = cg.limit(resources) {
            cg.remove();
            return Err(e);
        }
        Ok(cg)
    }

    /// The cgroups at `path` that exist (an OCI container's, to delete or list).
    pub fn existing_at(path: &Path) -> Cgroups {
        let v2 = Self::unified();
        let controllers: &[&str] = if v2 { &[""] } else { V1_CONTROLLERS };
        Cgroups { v2, dirs: controllers.iter().map(|c| Path::new(ROOT).join(c).join(path)).filter(|d| d.is_dir()).collect() }
    }

    /// The PIDs in these cgroups (the `pids` one on cgroup v1).
    pub fn pids(&self) -> Vec<i32> {
        let Some(dir) = self.dir("pids").or(self.dirs.first().map(PathBuf::as_path)) else { return Vec::new() };
        std::fs::read_to_string(dir.join("cgroup.procs")).map(|s| s.lines().filter_map(|l| l.trim().parse().ok()).collect()).unwrap_or_default()
    }

    fn dir(&self, controller: &str) -> Option<&Path> {
        if self.v2 {
            return self.dirs.first().map(PathBuf::as_path);
        }
        self.dirs.iter().find(|d| d.starts_with(Path::new(ROOT).join(controller))).map(PathBuf::as_path)
    }

    fn limit(&self, r: &Resources) -> Result<(), String> {
        // Device access as Docker allows it by default: the nodes of /dev and terminals,
        // and mknod of any (a node made is not a node that can be opened). Without this a
        // container with CAP_MKNOD could open the host's disks.
        if let Some(dir) = self.dir("devices").filter(|_| !self.v2) {
            // The spec's rules, then the default ones (as runc appends its allowed
            // devices to a bundle's rules, which often begin with a deny of all).
            write(dir, "devices.deny", "a")?;
            for rule in &r.devices {
                write(dir, if rule.allow { "devices.allow" } else { "devices.deny" }, &rule.v1())?;
            }
            for rule in DEFAULT_DEVICES {
                write(dir, "devices.allow", rule)?;
            }
        }
        self.limit_memory(r.memory.as_ref().cloned().unwrap_or_default())?;
        if let Some(p) = &r.pids {
            let dir = self.dir("pids").ok_or("this machine has no pids cgroup controller: --pids-limit cannot be applied")?;
            write(dir, "pids.max", &p.limit.to_string())?;
        }
        if let Some(c) = &r.cpu {
            self.limit_cpu(c)?;
        }
        Ok(())
    }

    /// Writes memory limits (also `docker update`'s). A limit of 0 is none.
    pub fn limit_memory(&self, m: crate::runtime::spec::Memory) -> Result<(), String> {
        if m.limit == 0 && m.swap.is_none() && m.reservation.is_none() {
            return Ok(());
        }
        let dir = self.dir("memory").ok_or("this machine has no memory cgroup controller: --memory cannot be applied")?;
        if self.v2 {
            write(dir, "memory.max", &if m.limit > 0 { m.limit.to_string() } else { "max".into() })?;
            let swap = match m.swap {
                Some(-1) => "max".to_string(),
                Some(s) => (s - m.limit).max(0).to_string(),
                None => m.limit.max(0).to_string(),
            };
            write(dir, "memory.swap.max", &swap).ok();
            if let Some(r) = m.reservation {
                write(dir, "memory.low", &r.to_string())?;
            }
        } else {
            // The memory+swap limit may not be under the memory limit: the order of the
            // writes follows from raising or lowering.
            let swap = match m.swap {
                Some(s) => s,
                // Docker's default --memory-swap is twice --memory: as much swap again.
                None if m.limit > 0 => m.limit.saturating_mul(2),
                None => -1,
            };
            let _ = write(dir, "memory.memsw.limit_in_bytes", "-1");
            write(dir, "memory.limit_in_bytes", &if m.limit > 0 { m.limit.to_string() } else { "-1".into() })?;
            write(dir, "memory.memsw.limit_in_bytes", &swap.to_string()).ok();
            if let Some(r) = m.reservation {
                write(dir, "memory.soft_limit_in_bytes", &r.to_string())?;
            }
        }
        Ok(())
    }

    /// Writes CPU limits (also `docker update`'s).
    pub fn limit_cpu(&self, c: &crate::runtime::spec::Cpu) -> Result<(), String> {
        let dir = self.dir("cpu").ok_or("this machine has no cpu cgroup controller: --cpus cannot be applied")?;
        if c.period > 0 || c.quota != 0 {
            if self.v2 {
                write(dir, "cpu.max", &format!("{} {}", if c.quota > 0 { c.quota.to_string() } else { "max".into() }, c.period.max(1000)))?;
            } else {
                write(dir, "cpu.cfs_period_us", &c.period.max(1000).to_string())?;
                write(dir, "cpu.cfs_quota_us", &if c.quota > 0 { c.quota.to_string() } else { "-1".into() })?;
            }
        }
        if let Some(shares) = c.shares {
            if self.v2 {
                // Docker's conversion of shares (2..262144) to a weight (1..10000).
                let weight = 1 + (shares.clamp(2, 262_144) - 2) * 9999 / 262_142;
                write(dir, "cpu.weight", &weight.to_string())?;
            } else {
                write(dir, "cpu.shares", &shares.to_string())?;
            }
        }
        if let Some(cpus) = &c.cpus {
            let dir = self.dir("cpuset").ok_or("this machine has no cpuset cgroup controller: --cpuset-cpus cannot be applied")?;
            write(dir, "cpuset.cpus", cpus)?;
            if !self.v2 {
                let mems = std::fs::read_to_string(Path::new(ROOT).join("cpuset").join("cpuset.mems")).unwrap_or_default();
                write(dir, "cpuset.mems", mems.trim())?;
            }
        }
        Ok(())
    }

    /// The cgroups of a running container, to change its limits (`docker update`).
    pub fn of(id: &str) -> Cgroups {
        let v2 = Self::unified();
        let controllers: &[&str] = if v2 { &[""] } else { V1_CONTROLLERS };
        Cgroups { v2, dirs: controllers.iter().map(|c| Path::new(ROOT).join(c).join("berth").join(id)).filter(|d| d.is_dir()).collect() }
    }

    /// `docker update --pids-limit`.
    pub fn limit_pids(&self, limit: i64) -> Result<(), String> {
        let dir = self.dir("pids").ok_or("this machine has no pids cgroup controller")?;
        write(dir, "pids.max", &if limit > 0 { limit.to_string() } else { "max".into() })
    }

    /// Moves `pid` into every cgroup of the container.
    pub fn add(&self, pid: i32) -> Result<(), String> {
        for dir in &self.dirs {
            write(dir, "cgroup.procs", &pid.to_string())?;
        }
        Ok(())
    }

    /// The `cgroup.procs` files of container `id`'s cgroups (to join them).
    pub fn procs_files(id: &str) -> Vec<PathBuf> {
        let dirs: Vec<PathBuf> = if Self::unified() { vec![Path::new(ROOT).join("berth").join(id)] } else { V1_CONTROLLERS.iter().map(|c| Path::new(ROOT).join(c).join("berth").join(id)).collect() };
        dirs.into_iter().map(|d| d.join("cgroup.procs")).filter(|p| p.exists()).collect()
    }

    /// A controller's directory for container `id` (the unified one on cgroup v2).
    fn dir_of(id: &str, controller: &str) -> PathBuf {
        if Self::unified() {
            Path::new(ROOT).join("berth").join(id)
        } else {
            Path::new(ROOT).join(controller).join("berth").join(id)
        }
    }

    /// Freezes (`docker pause`) or thaws every process of container `id`, and waits
    /// until the kernel says it is done.
    pub fn freeze(id: &str, frozen: bool) -> Result<(), String> {
        Self::existing_at(&Path::new("berth").join(id)).set_frozen(frozen)
    }

    /// Freezes or thaws every process in these cgroups, and waits until the kernel
    /// says it is done.
    pub fn set_frozen(&self, frozen: bool) -> Result<(), String> {
        let (file, value, done) = if self.v2 { ("cgroup.freeze", if frozen { "1" } else { "0" }, None) } else { ("freezer.state", if frozen { "FROZEN" } else { "THAWED" }, Some(if frozen { "FROZEN" } else { "THAWED" })) };
        let dir = self.dir("freezer").ok_or("the container has no freezer cgroup")?;
        write(dir, file, value)?;
        if let Some(done) = done {
            for _ in 0..500 {
                if std::fs::read_to_string(dir.join(file)).is_ok_and(|s| s.trim() == done) {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        }
        Ok(())
    }

    /// Whether these cgroups are frozen.
    pub fn frozen(&self) -> bool {
        let (file, value) = if self.v2 { ("cgroup.freeze", "1") } else { ("freezer.state", "FROZEN") };
        self.dir("freezer").is_some_and(|d| std::fs::read_to_string(d.join(file)).is_ok_and(|s| s.trim() == value))
    }

    /// The `cgroup.procs` files of these cgroups (to join them).
    pub fn procs_files_here(&self) -> Vec<PathBuf> {
        self.dirs.iter().map(|d| d.join("cgroup.procs")).filter(|p| p.exists()).collect()
    }

    /// What `docker stats` shows of container `id`: CPU time used (ns), memory used and
    /// its limit (bytes; none: no limit), and processes.
    pub fn usage(id: &str) -> Usage {
        let read = |controller: &str, file: &str| std::fs::read_to_string(Self::dir_of(id, controller).join(file)).ok();
        let number = |s: Option<String>| s.and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok());
        let (cpu_ns, memory, limit) = if Self::unified() {
            let usec = read("", "cpu.stat").and_then(|s| s.lines().find_map(|l| l.strip_prefix("usage_usec ")).and_then(|v| v.trim().parse::<u64>().ok()));
            (usec.map(|u| u * 1000), number(read("", "memory.current")), number(read("", "memory.max")))
        } else {
            (number(read("cpuacct", "cpuacct.usage")), number(read("memory", "memory.usage_in_bytes")), number(read("memory", "memory.limit_in_bytes")))
        };
        // The kernel's "no limit" is a huge number (v1) or "max" (v2, not a number).
        let limit = limit.filter(|l| *l < (1 << 60));
        Usage { cpu_ns: cpu_ns.unwrap_or(0), memory: memory.unwrap_or(0), limit, pids: number(read("pids", "pids.current")).unwrap_or(0) }
    }

    /// The PIDs in container `id`'s cgroup (its `pids` one on cgroup v1).
    pub fn procs(id: &str) -> Vec<i32> {
        let dir = if Self::unified() { Path::new(ROOT).join("berth").join(id) } else { Path::new(ROOT).join("pids").join("berth").join(id) };
        std::fs::read_to_string(dir.join("cgroup.procs")).map(|s| s.lines().filter_map(|l| l.trim().parse().ok()).collect()).unwrap_or_default()
    }

    /// Whether the kernel's OOM killer killed a process of the container.
    pub fn oom_killed(&self) -> bool {
        let Some(dir) = self.dir("memory") else { return false };
        let (file, key) = if self.v2 { ("memory.events", "oom_kill") } else { ("memory.oom_control", "oom_kill") };
        std::fs::read_to_string(dir.join(file))
            .ok()
            .and_then(|s| s.lines().find_map(|l| l.strip_prefix(key).and_then(|v| v.trim().parse::<u64>().ok())))
            .is_some_and(|n| n > 0)
    }

    /// Kills every process in these cgroups, and `also` (one that may not have joined
    /// them yet, or has left them), waits up to a second for them to be gone, and
    /// removes the directories.
    #[allow(unsafe_code)]
    pub fn kill_and_remove(&mut self, also: Option<i32>) {
        let gone = |pid: i32| {
            // SAFETY: signal 0 only asks whether the process exists.
            unsafe { libc::kill(pid, 0) != 0 }
        };
        for pid in also.into_iter().chain(self.pids()) {
            // SAFETY: a signal to a process of the container.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
        // A frozen process takes its KILL once thawed.
        if self.frozen() {
            let _ = self.set_frozen(false);
        }
        for _ in 0..500 {
            if self.pids().is_empty() && also.is_none_or(gone) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        self.remove();
    }

    /// Removes the directories (the processes have exited).
    pub fn remove(&mut self) {
        for dir in self.dirs.drain(..) {
            // A cgroup whose last process has just exited can be busy for a moment.
            for _ in 0..50 {
                if std::fs::remove_dir(&dir).is_ok() || !dir.exists() {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(2));
            }
        }
    }
}

/// The cgroups of containers that are no longer running (their `berth` was killed):
/// removed when the next native container starts. `dead` are known to be (their run
/// directories' owners are gone); any other empty one not `live` goes once it is older
/// than a start could take.
pub fn sweep(live: &dyn Fn(&str) -> bool, dead: &[String]) {
    // A cgroup made in the last seconds may be another berth's that is placing its
    // container in it (it is empty until then): only older empty ones are left over.
    let young = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok()).is_none_or(|age| age < std::time::Duration::from_secs(SETTLING_SECS));
    for controller in std::iter::once("").chain(V1_CONTROLLERS.iter().copied()) {
        let base = Path::new(ROOT).join(controller).join("berth");
        let Ok(entries) = std::fs::read_dir(&base) else { continue };
        for e in entries.filter_map(Result::ok) {
            let name = e.file_name().to_string_lossy().into_owned();
            if dead.contains(&name) || (!live(&name) && !young(&e.path())) {
                let _ = std::fs::remove_dir(e.path());
            }
        }
    }
}

/// How long a new cgroup is left alone by [`sweep`]: longer than any start takes to
/// place its process in it.
const SETTLING_SECS: u64 = 30;

/// Docker's default device rules (moby's `DefaultLinuxSpec`, runc's `AllowedDevices`):
/// mknod of any node; read and write of null, zero, full, random, urandom, tty,
/// console, ptmx, the pseudo-terminals and tun.
pub const DEFAULT_DEVICES: &[&str] = &["c *:* m", "b *:* m", "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm", "c 10:200 rwm"];
