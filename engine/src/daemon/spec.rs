//! A container record and its root filesystem become the [`ContainerSpec`] a runtime
//! runs (moby's `daemon/oci_linux.go`, podman's `specgen/generate`): the process with
//! its user resolved against the image's `/etc/passwd`, the mounts, the namespaces and
//! resources `--network`, `--ipc`, `--memory` and `--cpus` ask for.

use crate::runtime::spec::{self, ContainerSpec, Cpu, Memory, MountSpec, Namespace, Pids, ProcessSpec, User};
use crate::runtime::Container;
use crate::vfs::FileSystem;

/// The spec of `c`'s main process; `root` is its root filesystem (for the user's IDs).
pub fn container_spec(c: &Container, root: &dyn FileSystem) -> ContainerSpec {
    let h = &c.host_config;
    let capabilities = if h.privileged {
        Some(spec::CAPABILITIES.iter().map(|c| format!("CAP_{c}")).collect::<Vec<_>>())
    } else if h.cap_add.is_empty() && h.cap_drop.is_empty() {
        None
    } else {
        // Names were checked when the container was created.
        spec::tweak_capabilities(&h.cap_add, &h.cap_drop).ok()
    };
    let mut s = ContainerSpec::for_process(ProcessSpec {
        terminal: c.tty,
        user: User::resolve(root, &c.user),
        args: c.argv.clone(),
        env: c.env.clone(),
        cwd: c.working_dir.clone(),
        capabilities: capabilities.map(|set| spec::Capabilities { bounding: set.clone(), effective: set.clone(), permitted: set }),
        no_new_privileges: h.no_new_privileges,
        rlimits: h.ulimits.clone(),
    });
    s.root.readonly = h.read_only;
    if c.open_stdin {
        s.annotations.insert(spec::ANNOTATION_OPEN_STDIN.into(), "true".into());
    }
    if c.attach_on_start {
        s.annotations.insert(spec::ANNOTATION_REPLAY_FIRST.into(), "true".into());
    }
    if !h.group_add.is_empty() {
        s.process.user.additional_gids = Some(supplementary_groups(root, &c.user, &s.process.user, &h.group_add));
    }
    s.hostname = c.hostname.clone();
    s.mounts = c
        .mounts
        .iter()
        .map(|m| {
            let mut options: Vec<String> = vec!["rbind".into(), if m.read_only { "ro" } else { "rw" }.into()];
            options.extend((!m.propagation.is_empty()).then(|| m.propagation.clone()));
            MountSpec { destination: m.target.clone(), kind: m.kind.clone(), source: m.source.clone(), options }
        })
        .collect();
    for t in &h.tmpfs {
        let (path, options) = t.split_once(':').unwrap_or((t, ""));
        let options = options.split(',').filter(|o| !o.is_empty()).map(str::to_string).collect();
        s.mounts.push(MountSpec { destination: path.to_string(), kind: "tmpfs".into(), source: "tmpfs".into(), options });
    }
    if h.shm_size > 0 {
        s.mounts.push(MountSpec { destination: "/dev/shm".into(), kind: "tmpfs".into(), source: "shm".into(), options: vec!["nosuid".into(), "noexec".into(), "nodev".into(), "mode=1777".into(), format!("size={}", h.shm_size)] });
    }
    if h.privileged {
        s.linux.masked_paths = Some(Vec::new());
        s.linux.readonly_paths = Some(Vec::new());
        s.annotations.insert(spec::ANNOTATION_PRIVILEGED.into(), "true".into());
    }
    s.linux.sysctl = h.sysctls.clone();
    // The client checked the profile's JSON (`cli::container`); unconfined is a word.
    if h.seccomp == "unconfined" {
        s.linux.seccomp = Some(spec::unconfined());
    } else if !h.seccomp.is_empty() {
        s.linux.seccomp = Some(serde_json::from_str(&h.seccomp).unwrap_or_else(|_| spec::unconfined()));
    }
    if h.pids_limit > 0 {
        s.linux.resources.pids = Some(Pids { limit: i64::try_from(h.pids_limit).unwrap_or(i64::MAX) });
    }
    for kind in ["pid", "ipc", "uts", "mount", "network", "cgroup"] {
        let shared = match kind {
            "network" => h.network == "host",
            "ipc" => h.ipc == "host",
            _ => false,
        };
        s.linux.namespaces.push(Namespace { kind: kind.into(), path: shared.then(|| format!("/proc/1/ns/{}", if kind == "network" { "net" } else { kind })) });
    }
    s.linux.resources.memory = resources_memory(h);
    s.linux.resources.cpu = resources_cpu(h);
    if h.init {
        s.annotations.insert(spec::ANNOTATION_INIT.into(), "true".into());
    }
    if !c.user.is_empty() {
        s.annotations.insert(spec::ANNOTATION_USER.into(), c.user.clone());
    }
    // Published ports, where the container has a network of its own to reach (Docker
    // discards them with `--network host`, and `none` has nothing to reach).
    let bindings = c.published_ports();
    if !bindings.is_empty() && !matches!(h.network.as_str(), "host" | "none") {
        let published = spec::Published { endpoint: format!("{} ({})", c.name, c.id), bindings };
        s.annotations.insert(spec::ANNOTATION_PORTS.into(), serde_json::to_string(&published).unwrap_or_default());
    }
    s
}


/// The memory limits `--memory`, `--memory-swap` and `--memory-reservation` ask for.
pub fn resources_memory(h: &crate::runtime::HostOptions) -> Option<Memory> {
    if h.memory == 0 && h.memory_swap == 0 && h.memory_reservation == 0 {
        return None;
    }
    let bytes = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    Some(Memory { limit: bytes(h.memory), swap: (h.memory_swap != 0).then_some(h.memory_swap), reservation: (h.memory_reservation > 0).then(|| bytes(h.memory_reservation)) })
}

/// The CPU limits `--cpus`, `--cpu-quota`/`--cpu-period`, `--cpu-shares` and
/// `--cpuset-cpus` ask for.
pub fn resources_cpu(h: &crate::runtime::HostOptions) -> Option<Cpu> {
    if h.nano_cpus == 0 && h.cpu_quota == 0 && h.cpu_period == 0 && h.cpu_shares == 0 && h.cpuset_cpus.is_empty() {
        return None;
    }
    // Docker's --cpus: a quota over a 100 ms period.
    let (quota, period) = if h.nano_cpus > 0 { (i64::try_from(h.nano_cpus / 10_000).unwrap_or(i64::MAX), 100_000) } else { (h.cpu_quota, if h.cpu_period > 0 { h.cpu_period } else if h.cpu_quota != 0 { 100_000 } else { 0 }) };
    Some(Cpu { quota, period, shares: (h.cpu_shares > 0).then_some(h.cpu_shares), cpus: (!h.cpuset_cpus.is_empty()).then(|| h.cpuset_cpus.clone()) })
}

/// The user's groups from the image's `/etc/group` (where it names the user) and the
/// groups `--group-add` names (numbers as they are, names through `/etc/group`; a name
/// the image does not have is left out, and the start says so).
fn supplementary_groups(root: &dyn FileSystem, user: &str, ids: &User, add: &[String]) -> Vec<u32> {
    let group = root.read("/etc/group").map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    let entries: Vec<Vec<&str>> = group.lines().map(|l| l.split(':').collect()).collect();
    let name = user.split(':').next().unwrap_or_default();
    let mut gids: Vec<u32> = ids.additional_gids.clone().unwrap_or_else(|| entries.iter().filter(|f| !name.is_empty() && f.get(3).is_some_and(|m| m.split(',').any(|u| u == name))).filter_map(|f| f.get(2)?.parse().ok()).collect());
    for g in add {
        let gid = g.parse::<u32>().ok().or_else(|| entries.iter().find(|f| f.first() == Some(&g.as_str())).and_then(|f| f.get(2)?.parse().ok()));
        gids.extend(gid);
    }
    gids.sort_unstable();
    gids.dedup();
    gids
}
