//! What a runtime is asked to run: a container spec in the shape of the OCI runtime
//! spec (`config.json`: `ociVersion`, `process`, `root`, `hostname`, `mounts`, `linux`,
//! `annotations`), in the project's own serde types. The engine builds it
//! (`daemon::spec`); a runtime only reads it. A native backend can write it out as a
//! bundle's `config.json` without translation, and the emulated one runs it with Berth's
//! userland. What the OCI spec has no field for travels in `annotations` under
//! `org.berth.*`, as runtimes do with their own keys.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The OCI runtime spec version these types follow.
pub const OCI_VERSION: &str = "1.2.0";

/// `--init`: an init process runs the command, so a signal it has no handler for ends it.
pub const ANNOTATION_INIT: &str = "org.berth.init";
/// `-i`: the process's stdin stays open (Docker's `OpenStdin`; the OCI spec has no field).
pub const ANNOTATION_OPEN_STDIN: &str = "org.berth.open-stdin";
/// The first client that attaches gets what the process printed before it came
/// (`run -it`, which attaches just after the start).
pub const ANNOTATION_REPLAY_FIRST: &str = "org.berth.replay-first-attach";
/// The user as the image or `--user` named it (`app`, `1000:staff`), before resolution.
pub const ANNOTATION_USER: &str = "org.berth.user";
/// `--privileged`: `/sys` is writable (the OCI spec has no field for it).
pub const ANNOTATION_PRIVILEGED: &str = "org.berth.privileged";
/// Symlinks to make in the container (a JSON list of `[link, target]`): a GPU driver's
/// library names, which the NVIDIA toolkit makes with a hook.
pub const ANNOTATION_SYMLINKS: &str = "org.berth.symlinks";

/// The ports published on the host (`-p`), a JSON [`Published`]: the native runtime
/// binds them and relays each connection into the container, as `docker-proxy` does.
pub const ANNOTATION_PORTS: &str = "org.berth.ports";

/// The bridge networks a native container joins, a JSON [`Bridges`]
/// (`runtime::native::bridge` connects it before its program runs).
pub const ANNOTATION_BRIDGES: &str = "org.berth.bridges";

/// What [`ANNOTATION_BRIDGES`] carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bridges {
    /// The native state directory, which keeps the bridges' network namespace.
    pub state: String,
    pub attachments: Vec<BridgeAttachment>,
    /// `/etc/hosts` lines: its own address and hostname, then its peers'.
    #[serde(default)]
    pub hosts: Vec<String>,
}

/// A container's place on one bridge network, as the engine allocated it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BridgeAttachment {
    /// The bridge's interface name (`br-` and the network ID's first 12 hex digits).
    pub bridge: String,
    pub ip: [u8; 4],
    pub prefix: u8,
    pub gateway: [u8; 4],
    pub mac: [u8; 6],
}

/// One `-p` binding: a host address and port (empty address: every one; empty port:
/// one the kernel picks; `8000-8010`: a range) to a container port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortBinding {
    pub host_ip: String,
    pub host_port: String,
    pub container_port: u32,
    /// `tcp`, `udp` or `sctp`.
    pub proto: String,
}

/// What [`ANNOTATION_PORTS`] carries: the bindings, and the endpoint's name for
/// dockerd's error (`web (3f2a…)`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Published {
    pub endpoint: String,
    pub bindings: Vec<PortBinding>,
}

/// `-p` specs as go-connections' `nat.ParsePortSpec` reads them: `[ip:][host:]container[/proto]`
/// (`[::1]:8080:80`, `127.0.0.1::80`, `8000-8001:80-81/udp`), a binding per container
/// port of a range. A spec that does not parse is passed over (the client checked them).
pub fn port_bindings(specs: &[String]) -> Vec<PortBinding> {
    let mut out = Vec::new();
    for spec in specs {
        let (ports, proto) = spec.rsplit_once('/').filter(|(_, p)| matches!(*p, "tcp" | "udp" | "sctp")).unwrap_or((spec, "tcp"));
        let (ip, rest) = match ports.strip_prefix('[').and_then(|r| r.split_once("]:")) {
            Some((ip, rest)) => (ip.to_string(), rest),
            None => match ports.matches(':').count() {
                2 => {
                    let (ip, rest) = ports.split_once(':').unwrap_or_default();
                    (ip.to_string(), rest)
                }
                _ => (String::new(), ports),
            },
        };
        let (host, container) = rest.rsplit_once(':').unwrap_or(("", rest));
        let range = |r: &str| -> Option<(u32, u32)> {
            let (a, b) = r.split_once('-').unwrap_or((r, r));
            Some((a.parse().ok()?, b.parse().ok()?))
        };
        let Some((lo, hi)) = range(container) else { continue };
        let host_range = if host.is_empty() { None } else { range(host) };
        for (i, port) in (lo..=hi.min(lo.saturating_add(65535))).enumerate() {
            let host_port = match host_range {
                Some((hlo, hhi)) if hhi - hlo == hi - lo => (hlo + i as u32).to_string(),
                Some((hlo, hhi)) if hlo == hhi => hlo.to_string(),
                Some((hlo, hhi)) => format!("{hlo}-{hhi}"),
                None => String::new(),
            };
            out.push(PortBinding { host_ip: ip.clone(), host_port, container_port: port, proto: proto.to_string() });
        }
    }
    out
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerSpec {
    pub oci_version: String,
    pub process: ProcessSpec,
    pub root: RootSpec,
    /// Empty: the runtime's default (a build step's `localhost`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hostname: String,
    #[serde(default)]
    pub mounts: Vec<MountSpec>,
    #[serde(default)]
    pub linux: LinuxSpec,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Programs run around the container's life (an OCI bundle's `hooks`; the engine
    /// sets none).
    #[serde(default, skip_serializing_if = "Hooks::is_empty")]
    pub hooks: Hooks,
}

/// The OCI spec's `hooks`: each a program on the host, given the container's state
/// (`ociVersion`, `id`, `status`, `pid`, `bundle`) as JSON on its standard input.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Hooks {
    /// Deprecated in the spec, run as `createRuntime` is.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prestart: Vec<Hook>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub create_runtime: Vec<Hook>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub create_container: Vec<Hook>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub start_container: Vec<Hook>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub poststart: Vec<Hook>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub poststop: Vec<Hook>,
}

impl Hooks {
    pub fn is_empty(&self) -> bool {
        self.prestart.is_empty() && self.create_runtime.is_empty() && self.create_container.is_empty() && self.start_container.is_empty() && self.poststart.is_empty() && self.poststop.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hook {
    pub path: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// Seconds; none: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

impl ContainerSpec {
    /// A spec for `args` with everything else at its default.
    pub fn for_process(process: ProcessSpec) -> ContainerSpec {
        ContainerSpec { oci_version: OCI_VERSION.into(), process, root: RootSpec { path: "rootfs".into(), readonly: false }, ..ContainerSpec::default() }
    }

    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.annotations.get(key).map(String::as_str)
    }

    /// `--init` was given (see [`ANNOTATION_INIT`]).
    pub fn init(&self) -> bool {
        self.annotation(ANNOTATION_INIT) == Some("true")
    }

    /// The `PATH` the process looks programs up in.
    pub fn path(&self) -> &str {
        self.process.env.iter().find_map(|e| e.strip_prefix("PATH=")).unwrap_or(DEFAULT_PATH)
    }
}

/// Linux's capabilities by number (`CAP_CHOWN` is 0).
pub const CAPABILITIES: [&str; 41] = [
    "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE",
    "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
    "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL",
    "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
];

/// Docker's default capability set (moby's `caps.DefaultCapabilities`).
pub const DEFAULT_CAPABILITIES: &[&str] = &["CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID", "SETPCAP", "NET_BIND_SERVICE", "NET_RAW", "SYS_CHROOT", "MKNOD", "AUDIT_WRITE", "SETFCAP"];

/// A capability's number from its name (`NET_ADMIN`, `CAP_NET_ADMIN`, any case).
pub fn capability(name: &str) -> Option<u32> {
    let upper = name.to_ascii_uppercase();
    let bare = upper.strip_prefix("CAP_").unwrap_or(&upper);
    CAPABILITIES.iter().position(|c| *c == bare).map(|i| i as u32)
}

/// The capability set `--cap-add` and `--cap-drop` make of Docker's default one (`ALL`
/// adds or drops every one; a drop of ALL keeps what is added), as moby's
/// `caps.TweakCapabilities` does. An unknown name is an error in Docker's words.
pub fn tweak_capabilities(add: &[String], drop: &[String]) -> Result<Vec<String>, String> {
    for name in add.iter().chain(drop) {
        if !name.eq_ignore_ascii_case("ALL") && capability(name).is_none() {
            return Err(format!("invalid capability: {name}"));
        }
    }
    let all = |list: &[String]| list.iter().any(|n| n.eq_ignore_ascii_case("ALL"));
    let mut set: Vec<u32> = if all(drop) { Vec::new() } else { DEFAULT_CAPABILITIES.iter().filter_map(|n| capability(n)).collect() };
    if all(add) {
        set = (0..CAPABILITIES.len() as u32).collect();
    }
    set.extend(add.iter().filter_map(|n| capability(n)));
    if !all(drop) {
        let dropped: Vec<u32> = drop.iter().filter_map(|n| capability(n)).collect();
        set.retain(|c| !dropped.contains(c));
    }
    set.sort_unstable();
    set.dedup();
    Ok(set.into_iter().map(|c| format!("CAP_{}", CAPABILITIES[c as usize])).collect())
}

/// The `PATH` of a process whose environment has none, as Docker sets it.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessSpec {
    #[serde(default)]
    pub terminal: bool,
    pub user: User,
    pub args: Vec<String>,
    #[serde(default)]
    pub env: Vec<String>,
    pub cwd: String,
    /// `None`: Docker's default set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Capabilities>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_new_privileges: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rlimits: Vec<Rlimit>,
}

/// The process's capability sets, by name (`CAP_CHOWN`), as the OCI spec lists them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Capabilities {
    #[serde(default)]
    pub bounding: Vec<String>,
    #[serde(default)]
    pub effective: Vec<String>,
    #[serde(default)]
    pub permitted: Vec<String>,
}

/// A resource limit (`--ulimit nofile=1024:2048`): `type` is `RLIMIT_NOFILE`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rlimit {
    #[serde(rename = "type")]
    pub kind: String,
    pub hard: u64,
    pub soft: u64,
}

/// The process's credentials, resolved by the engine against the image's
/// `/etc/passwd` and `/etc/group` before the runtime sees them.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub uid: u32,
    pub gid: u32,
    /// `None`: the user's groups from `/etc/group`; `Some`: exactly these (a `user:group`
    /// that named the group has none beyond it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub additional_gids: Option<Vec<u32>>,
}

impl User {
    /// `USER name[:group]` as IDs, through `root`'s `/etc/passwd` and `/etc/group`: a
    /// named group means that group alone.
    pub fn resolve(root: &dyn crate::vfs::FileSystem, name: &str) -> User {
        let (uid, gid) = crate::shell::passwd::user_ids(root, name);
        User { uid, gid, additional_gids: name.contains(':').then(Vec::new) }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RootSpec {
    pub path: String,
    #[serde(default)]
    pub readonly: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MountSpec {
    pub destination: String,
    /// `bind`, `volume` (a named or anonymous volume, which the engine stores), `tmpfs`;
    /// in a bundle also `proc`, `sysfs`, `devpts`, `mqueue`, `cgroup`, … (empty: a bind
    /// mount where the options say `bind`).
    #[serde(rename = "type", default)]
    pub kind: String,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub options: Vec<String>,
}

impl MountSpec {
    pub fn read_only(&self) -> bool {
        self.options.iter().any(|o| o == "ro")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinuxSpec {
    #[serde(default)]
    pub namespaces: Vec<Namespace>,
    #[serde(default)]
    pub resources: Resources,
    /// `None`: Docker's default masked paths; `--privileged` has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masked_paths: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readonly_paths: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sysctl: BTreeMap<String, String>,
    /// The seccomp profile, as the OCI spec has it (an object: `defaultAction`,
    /// `syscalls`, …; Docker's profile form too). `None` is the engine runtime's default
    /// profile, the string `"unconfined"` none (an OCI bundle without one is run
    /// unconfined, as the spec says).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seccomp: Option<serde_json::Value>,
    /// Device nodes made in the container's `/dev` (`--device`, `--gpus`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceSpec>,
    /// The container's cgroup, relative to each hierarchy's root (`/libpod_parent/x`);
    /// none: the runtime's own place for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cgroups_path: Option<String>,
}

/// The seccomp value that means none (`--security-opt seccomp=unconfined`).
pub fn unconfined() -> serde_json::Value {
    serde_json::Value::String("unconfined".into())
}

/// A device node of the container (the OCI spec's `linux.devices`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceSpec {
    pub path: String,
    /// `c` or `b`.
    #[serde(rename = "type")]
    pub kind: String,
    pub major: u32,
    pub minor: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file_mode: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Namespace {
    /// `pid`, `network`, `ipc`, `uts`, `mount`, `cgroup`, `user`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Join this one instead of a new one (`--network host`: the host's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Resources {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Memory>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<Cpu>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pids: Option<Pids>,
    /// Device cgroup rules beyond Docker's defaults (`c 195:* rwm` for a GPU), in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<DeviceRule>,
}

/// A device cgroup rule (the OCI spec's `linux.resources.devices`): no type, major or
/// minor means all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceRule {
    pub allow: bool,
    /// `a`, `c` or `b`.
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub major: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minor: Option<i64>,
    /// Of `r`, `w`, `m`; none: all three.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<String>,
}

impl DeviceRule {
    pub fn allow(kind: &str, major: u32, minor: Option<u32>, access: &str) -> DeviceRule {
        DeviceRule { allow: true, kind: Some(kind.into()), major: Some(major.into()), minor: minor.map(i64::from), access: Some(access.into()) }
    }

    /// The rule in cgroup v1's `devices.allow` / `devices.deny` form: `c 195:* rwm`.
    pub fn v1(&self) -> String {
        let number = |n: Option<i64>| n.filter(|n| *n >= 0).map_or("*".to_string(), |n| n.to_string());
        let kind = self.kind.as_deref().unwrap_or("a");
        if kind == "a" && self.major.is_none() && self.minor.is_none() {
            return "a".into();
        }
        format!("{kind} {}:{} {}", number(self.major), number(self.minor), self.access.as_deref().unwrap_or("rwm"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pids {
    pub limit: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Memory {
    /// Bytes; 0: none.
    #[serde(default)]
    pub limit: i64,
    /// Memory and swap together (`--memory-swap`; -1 unlimited, `None` Docker's
    /// default of twice the limit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub swap: Option<i64>,
    /// `--memory-reservation`: a soft limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reservation: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Cpu {
    /// Microseconds per period (`--cpus`, `--cpu-quota`); 0: none.
    #[serde(default)]
    pub quota: i64,
    #[serde(default)]
    pub period: u64,
    /// `--cpu-shares` (relative weight, 1024 by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shares: Option<u64>,
    /// `--cpuset-cpus` (`0-1,3`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpus: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_are_tweaked_as_docker_tweaks_them() {
        let names = |v: Vec<String>| v.iter().map(|c| c.trim_start_matches("CAP_").to_string()).collect::<Vec<_>>();
        let default = names(tweak_capabilities(&[], &[]).unwrap());
        assert_eq!(default.len(), 14);
        let tweaked = names(tweak_capabilities(&["net_admin".into()], &["CAP_CHOWN".into(), "MKNOD".into()]).unwrap());
        assert!(tweaked.contains(&"NET_ADMIN".to_string()) && !tweaked.contains(&"CHOWN".to_string()) && !tweaked.contains(&"MKNOD".to_string()));
        assert_eq!(names(tweak_capabilities(&["SYS_TIME".into()], &["ALL".into()]).unwrap()), ["SYS_TIME"]);
        assert_eq!(tweak_capabilities(&["ALL".into()], &[]).unwrap().len(), 41);
        assert_eq!(tweak_capabilities(&["NOPE".into()], &[]).unwrap_err(), "invalid capability: NOPE");
    }

    #[test]
    fn a_spec_serialises_with_the_oci_field_names() {
        let mut spec = ContainerSpec::for_process(ProcessSpec { args: vec!["sh".into()], cwd: "/".into(), env: vec!["PATH=/bin".into()], ..ProcessSpec::default() });
        spec.mounts.push(MountSpec { destination: "/data".into(), kind: "bind".into(), source: "/srv".into(), options: vec!["rbind".into(), "ro".into()] });
        spec.linux.namespaces.push(Namespace { kind: "network".into(), path: None });
        spec.linux.resources.memory = Some(Memory { limit: 512 << 20, ..Memory::default() });
        let json = serde_json::to_value(&spec).expect("serialise");
        assert_eq!(json["ociVersion"], "1.2.0");
        assert_eq!(json["process"]["args"][0], "sh");
        assert_eq!(json["root"]["path"], "rootfs");
        assert_eq!(json["mounts"][0]["type"], "bind");
        assert_eq!(json["linux"]["namespaces"][0]["type"], "network");
        assert_eq!(json["linux"]["resources"]["memory"]["limit"], 536_870_912);
        assert!(spec.mounts[0].read_only());
        assert_eq!(spec.path(), "/bin");
        let back: ContainerSpec = serde_json::from_value(json).expect("read back");
        assert_eq!(back, spec);
    }
}
