//! Containers: records, their writable layers, logs and volumes, and the runtimes that
//! run a container's process behind one [`Runtime`] trait: the emulated one (Berth's
//! userland over the container's filesystem) and the native one's place. State persists
//! through the same [`Storage`] as images (`berth/containers.json`, `containers/<id>/…`).

pub mod emulated;
pub mod journal;
pub mod mounts;
pub mod native;
pub mod spec;

pub use emulated::{run_emulated, EmulatedRuntime};
pub use native::NativeRuntime;
pub use spec::ContainerSpec;

/// A backend that runs containers: thin, as podman's rule has it: the engine keeps the
/// records and state, builds the [`ContainerSpec`] and the root filesystem, and a runtime
/// only runs what it is given and reports how it went. The command line, the build's
/// `RUN` (BuildKit's executor model), compose and the browser all reach processes
/// through it.
pub trait Runtime {
    /// `emulated`, `native`: what `--runtime` names and `berth info` lists.
    fn name(&self) -> &'static str;
    /// What it can do, for `berth info` and for the engine to refuse what it cannot.
    fn capabilities(&self) -> Capabilities;
    /// Whether it can run `spec` over `root` (youki's `can_handle`): the program exists,
    /// the backend is available. Docker reports these when the container starts.
    fn check(&self, spec: &ContainerSpec, root: &dyn FileSystem) -> Result<(), RuntimeError>;
    /// Runs the process to its exit or, detached, until it is suspended (see [`Ran`]).
    fn run(&mut self, spec: &ContainerSpec, root: &mut dyn FileSystem, stdio: Stdio) -> Result<Ran, RuntimeError>;
    /// Runs another process (`exec`) in a container whose main process `container` runs.
    fn exec(&mut self, container: &ContainerSpec, process: &ContainerSpec, root: &mut dyn FileSystem, stdio: Stdio) -> Result<Ran, RuntimeError> {
        let _ = (container, process, root, stdio);
        Err(self.unsupported("exec"))
    }
    /// The processes of a running container (`docker top`), its main process first.
    fn processes(&self, spec: &ContainerSpec, started: i64) -> Result<Vec<ProcessInfo>, RuntimeError> {
        let _ = (spec, started);
        Err(self.unsupported("listing processes"))
    }
    /// Sends `signal` (`TERM`, `KILL`) to a container's main process.
    fn signal(&mut self, spec: &ContainerSpec, signal: &str) -> Result<(), RuntimeError> {
        let _ = (spec, signal);
        Err(self.unsupported("signals"))
    }
    /// Freezes (`pause`) or thaws (`unpause`) every process of a container.
    fn pause(&mut self, spec: &ContainerSpec, frozen: bool) -> Result<(), RuntimeError> {
        let _ = (spec, frozen);
        Err(self.unsupported("pause"))
    }
    /// Resizes a container's terminal.
    fn resize(&mut self, spec: &ContainerSpec, rows: u16, cols: u16) -> Result<(), RuntimeError> {
        let _ = (spec, rows, cols);
        Err(self.unsupported("terminal sizes"))
    }
    /// Whether it runs over the image's layers on disk ([`Runtime::run_on_disk`]) rather
    /// than over a filesystem in memory ([`Runtime::run`]).
    fn on_disk(&self) -> bool {
        false
    }
    /// Runs the process over the image's layers written out to disk (the native runtime):
    /// the writable layer and the volumes in `root` are written out before and read back
    /// after, so the engine's records stay the one place they are kept.
    fn run_on_disk(&mut self, spec: &ContainerSpec, root: DiskRoot<'_>, stdio: Stdio) -> Result<Ran, RuntimeError> {
        let _ = (spec, root, stdio);
        Err(self.unsupported("root filesystems on disk"))
    }
    /// Forgets what the runtime holds for a container that is removed.
    fn delete(&mut self, spec: &ContainerSpec) -> Result<(), RuntimeError> {
        let _ = spec;
        Ok(())
    }
    /// The error for what this backend does not do (yet).
    fn unsupported(&self, operation: &'static str) -> RuntimeError {
        RuntimeError::Unsupported { runtime: self.name(), operation }
    }
}

/// A container's root filesystem for a runtime that runs on disk: the image's layers
/// (bottom first, with their diff IDs), the writable layer and the volumes by name.
pub struct DiskRoot<'a> {
    /// Where the runtime keeps layers and per-container directories on the host.
    pub dir: std::path::PathBuf,
    /// The container's ID (names its directories and cgroups).
    pub id: String,
    /// Each layer by diff ID, with its files where they are at hand (a layer already on
    /// disk needs none).
    pub layers: Vec<(String, Option<std::sync::Arc<MemoryFs>>)>,
    pub upper: &'a mut MemoryFs,
    pub volumes: &'a mut BTreeMap<String, MemoryFs>,
}

/// One process of a container, as `docker top` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessInfo {
    /// In the container's PID namespace (the emulated runtime has no host PIDs).
    pub pid: u32,
    pub ppid: u32,
    /// As the spec gives it (`docker top` shows the user as the container names it).
    pub uid: u32,
    /// Seconds since the epoch.
    pub started: i64,
    pub args: Vec<String>,
}

/// What a runtime supports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// It can run anything at all here.
    pub available: bool,
    pub detached: bool,
    pub tty: bool,
    pub exec: bool,
    pub pause: bool,
    pub cgroups: bool,
    pub gpus: bool,
    /// `--network` modes it can give a container.
    pub networks: &'static [&'static str],
    /// One line on how it runs things, or why it cannot.
    pub note: &'static str,
}

/// Docker's default detach keys: Ctrl-P, Ctrl-Q.
pub const DEFAULT_DETACH_KEYS: &[u8] = &[0x10, 0x11];

/// Parses `--detach-keys` as Docker does: comma-separated keys, each one character or
/// `ctrl-X` (X a letter, `@`, `[`, `\`, `]`, `^` or `_`).
pub fn parse_detach_keys(text: &str) -> Result<Vec<u8>, String> {
    let bad = || format!("Invalid detach keys ({text}) provided");
    let mut keys = Vec::new();
    for key in text.split(',') {
        match key.strip_prefix("ctrl-") {
            Some(c) if c.len() == 1 => {
                let c = c.as_bytes()[0].to_ascii_lowercase();
                keys.push(match c {
                    b'a'..=b'z' => c - b'a' + 1,
                    b'@' => 0,
                    b'[' => 27,
                    b'\\' => 28,
                    b']' => 29,
                    b'^' => 30,
                    b'_' => 31,
                    _ => return Err(bad()),
                });
            }
            None if key.len() == 1 => keys.push(key.as_bytes()[0]),
            _ => return Err(bad()),
        }
    }
    if keys.is_empty() {
        return Err(bad());
    }
    Ok(keys)
}

/// How an attach ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attached {
    /// The container ended with this status.
    Exited(i32),
    /// The user typed the detach keys; the container goes on.
    Detached,
    /// The supervisor went away without saying how the container ended.
    Lost,
}

/// What a client attaches with.
#[derive(Debug, Clone)]
pub struct AttachOptions {
    /// Send this process's stdin (`-i`; `attach` without `--no-stdin`).
    pub stdin: bool,
    /// The container has a terminal: this one goes raw and its size is sent.
    pub tty: bool,
    pub detach_keys: Vec<u8>,
}

/// The process's side of a run: its stdin, its terminal (or a detached process's time)
/// and when it starts.
pub struct Stdio {
    pub stdin: Vec<u8>,
    pub terminal: Terminal,
    /// stderr written into stdout in order (a build log shows both streams).
    pub combined: bool,
    /// Seconds since the epoch: the process's clock starts here.
    pub started: i64,
    /// Where the process's standard streams go.
    pub console: Console,
}

/// A process's standard streams: captured by the engine (its output is returned and
/// logged), or the command's own, for a runtime that can hand them over (the native
/// one in the `berth` binary, for `run -t`): then with a terminal of its own, whose
/// input is this command's stdin where `interactive`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Console {
    #[default]
    Captured,
    Terminal { interactive: bool },
}

/// Why a runtime did not run a process. The command line words each as Docker does and
/// maps them to exit codes (127 for a missing program, 126 for one that cannot run, 125
/// for the rest), as docker/cli's `runStartContainerErr` does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuntimeError {
    #[error("unknown or invalid runtime name: {0}")]
    UnknownRuntime(String),
    #[error("the {runtime} runtime is not available: {reason}")]
    Unavailable { runtime: &'static str, reason: &'static str },
    #[error("no command specified")]
    NoCommand,
    #[error("the {runtime} runtime does not support {operation} yet")]
    Unsupported { runtime: &'static str, operation: &'static str },
    /// `in_path`: it was looked up in `PATH` (no `/` in its name).
    #[error("exec: \"{argv0}\": executable file not found in $PATH")]
    ExecNotFound { argv0: String, in_path: bool },
    /// The program exists but cannot be run (not executable, a directory): 126.
    #[error("exec: \"{argv0}\": permission denied")]
    ExecDenied { argv0: String },
    /// The runtime could not set the container up (a mount, a cgroup, a limit).
    #[error("{0}")]
    Failed(String),
}

/// The runtimes this engine knows, in the order `berth info` lists them.
pub const RUNTIMES: &[&str] = &["emulated", "native"];

/// The runtime a container gets when `--runtime` does not say: images whose content is
/// modelled (every catalog image: their programs are labels Berth's userland runs) run
/// emulated. Real images will run native on Linux once that backend exists.
pub const DEFAULT_RUNTIME: &str = "emulated";

/// The backend `name` names (empty: [`DEFAULT_RUNTIME`]).
pub fn select(name: &str) -> Result<Box<dyn Runtime>, RuntimeError> {
    match name {
        "" | "emulated" => Ok(Box::new(EmulatedRuntime)),
        "native" => Ok(Box::new(NativeRuntime)),
        other => Err(RuntimeError::UnknownRuntime(other.to_string())),
    }
}

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::image::digest::Digest;
use crate::image::layer::{tar_of, unpack, LayerOptions};
use crate::image::oci::ImageConfig;
use crate::image::store::Storage;
use crate::vfs::{FileSystem, MemoryFs, OverlayFs};

const CONTAINERS_KEY: &str = "berth/containers.json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Status {
    Created,
    Running,
    /// Exited, and its restart policy starts it again at [`Container::restart_at_ms`].
    Restarting,
    Exited,
}

impl Status {
    /// Docker's lower-case name (`State.Status`, `ps --format {{.State}}`).
    pub fn name(&self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Running => "running",
            Status::Restarting => "restarting",
            Status::Exited => "exited",
        }
    }
}

/// A bind mount or volume of a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    /// `bind` or `volume`.
    pub kind: String,
    /// Host path (bind) or volume name.
    pub source: String,
    pub target: String,
    pub read_only: bool,
    /// Mount propagation (`rshared`, `slave`, …; `-v …:rshared`, `bind-propagation=`),
    /// empty for Docker's default, `rprivate`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub propagation: String,
    /// A bind source that is missing is made as a directory when the container starts
    /// (`-v /host/path:/path`, as dockerd does); `--mount type=bind` refuses instead.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub create_source: bool,
}

const VOLUMES_KEY: &str = "volumes/index.json";
const VOLUME_LABELS_KEY: &str = "volumes/labels.json";

/// What Berth records about a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Container {
    pub id: String,
    pub name: String,
    /// The image as the user named it.
    pub image: String,
    pub image_id: Digest,
    /// The process: entrypoint and command combined.
    pub argv: Vec<String>,
    pub env: Vec<String>,
    pub working_dir: String,
    pub user: String,
    pub hostname: String,
    pub mounts: Vec<Mount>,
    pub ports: Vec<String>,
    pub created: i64,
    pub started: Option<i64>,
    /// When the process last ended. Kept when it starts again, as Docker keeps
    /// `State.FinishedAt`: a running container that was stopped once shows when.
    pub finished: Option<i64>,
    pub status: Status,
    pub exit_code: i32,
    pub auto_remove: bool,
    /// `--network`, `--memory`, `--cpus`, `--ipc`, `-p`: recorded and shown by `inspect`.
    /// The emulated runtime has no network and no cgroups to apply them to.
    #[serde(default)]
    pub host_config: HostOptions,
    /// The config the container was created with (image config with overrides).
    pub config: ImageConfig,
    /// Running, its process suspended in a sleep (its journal is in the state).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended: Option<Suspended>,
    /// Times its restart policy has started it again (`RestartCount`).
    #[serde(default)]
    pub restart_count: u32,
    /// `stop` or `kill` ended it: its restart policy does not start it again.
    #[serde(default)]
    pub manually_stopped: bool,
    /// Restarting: when it starts again, in milliseconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_at_ms: Option<i64>,
    /// The last restart delay (Docker's back-off doubles it from 100 ms to a minute).
    #[serde(default)]
    pub restart_delay_ms: i64,
    /// Its last run ended by the kernel's OOM killer (`State.OOMKilled`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub oom_killed: bool,
    /// `docker pause`: its processes are frozen.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
    /// `-t`: its process has a terminal (`Config.Tty`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tty: bool,
    /// `-i`: its stdin stays open for `attach` (`Config.OpenStdin`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub open_stdin: bool,
    /// This start is attached to at once (`run -it`): the first client gets what the
    /// process printed before it came. Not recorded.
    #[serde(skip)]
    pub attach_on_start: bool,
    /// The networks it is on, by name (`daemon::network`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub networks: BTreeMap<String, NetworkEndpoint>,
}

/// A container's place on a network (`daemon::network` gives it its address).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetworkEndpoint {
    /// The network's ID when the container joined it: a network of the same name made
    /// since is another one.
    pub network_id: String,
    pub endpoint_id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// `--ip`: the address asked for.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub requested_ip: String,
    /// The address it had at its last start (current only while it runs).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ip: String,
}

impl Container {
    /// The ports to publish: `-p`'s, then with `-P` each exposed port (the image's
    /// `EXPOSE` and `--expose`) that `-p` does not publish, on every address and a port
    /// the kernel picks, as dockerd does.
    pub fn published_ports(&self) -> Vec<spec::PortBinding> {
        let mut out = spec::port_bindings(&self.ports);
        if self.host_config.publish_all {
            for key in self.config.config.exposed_ports.keys() {
                let (port, proto) = key.split_once('/').unwrap_or((key.as_str(), "tcp"));
                let Ok(port) = port.parse::<u32>() else { continue };
                if !out.iter().any(|b| b.container_port == port && b.proto == proto) {
                    out.push(spec::PortBinding { host_ip: String::new(), host_port: String::new(), container_port: port, proto: proto.to_string() });
                }
            }
        }
        out
    }

    pub fn short_id(&self) -> String {
        self.id[..12].to_string()
    }
}

/// Resource and namespace options of a container, as `docker inspect` shows them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostOptions {
    /// `run --stop-timeout`: seconds `stop` waits by default (Docker's 10 when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stop_timeout: Option<i64>,
    /// Options accepted and checked but not applied by the runtimes, with their values
    /// (`cli::run_flags::not_applied` says why; `inspect` shows both).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub not_applied: BTreeMap<String, Vec<String>>,
    /// `default` (bridge), `none`, `host` or a network name.
    pub network: String,
    /// Bytes (`--memory 512m`), 0 for no limit.
    pub memory: u64,
    /// Billionths of a CPU (`--cpus 1.5` is 1500000000), 0 for no limit.
    pub nano_cpus: u64,
    pub ipc: String,
    /// `--init`: an init process runs the command, so a signal it has no trap for ends it.
    #[serde(default)]
    pub init: bool,
    /// `-P`: every exposed port is published on a port the kernel picks.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub publish_all: bool,
    /// `--runtime`: the backend that runs it (empty: [`DEFAULT_RUNTIME`]).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub runtime: String,
    /// `--restart`.
    #[serde(default)]
    pub restart: RestartPolicy,
    /// `--storage-opt size=`: bytes its writable layer and volumes may hold (0: the
    /// engine's default, [`crate::vfs::quota::DEFAULT_LIMIT`]).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub storage_size: u64,
    /// `--read-only`: the root filesystem is mounted read-only.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub read_only: bool,
    /// `--privileged`: every capability, no masked paths, `/sys` writable.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub privileged: bool,
    /// `--cap-add`, `--cap-drop` (names without `CAP_`, or `ALL`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cap_add: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cap_drop: Vec<String>,
    /// `--security-opt no-new-privileges`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub no_new_privileges: bool,
    /// `--pids-limit` (0: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub pids_limit: u64,
    /// `--shm-size` in bytes (0: Docker's 64 MiB).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub shm_size: u64,
    /// `--tmpfs PATH[:OPTIONS]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tmpfs: Vec<String>,
    /// `--ulimit NAME=SOFT[:HARD]`, parsed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ulimits: Vec<spec::Rlimit>,
    /// `--sysctl KEY=VALUE`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sysctls: BTreeMap<String, String>,
    /// `--memory-swap` in bytes (-1: unlimited; 0: Docker's default, twice `--memory`).
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub memory_swap: i64,
    /// `--memory-reservation` in bytes (0: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub memory_reservation: u64,
    /// `--cpu-shares` (0: the default weight).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cpu_shares: u64,
    /// `--cpu-period` and `--cpu-quota` in microseconds (0: not set).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub cpu_period: u64,
    #[serde(default, skip_serializing_if = "is_zero_i64")]
    pub cpu_quota: i64,
    /// `--cpuset-cpus`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cpuset_cpus: String,
    /// `--group-add`: groups (names or IDs) beyond the user's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_add: Vec<String>,
    /// `--gpus`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpus: Option<GpuRequest>,
    /// `--security-opt seccomp=`: `unconfined`, or the profile's JSON (read when the
    /// container is created, as Docker's client reads it); empty: the default.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub seccomp: String,
    /// `--device`: host device paths (`/dev/fuse[:/dev/fuse[:rwm]]`) and CDI names
    /// (`nvidia.com/gpu=0`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<String>,
}

/// `--gpus all|N|device=0,2|capabilities=compute,utility` (see `daemon::gpu`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GpuRequest {
    /// `None`: all of them.
    pub count: Option<usize>,
    pub device_ids: Vec<String>,
    pub capabilities: Vec<String>,
}

/// `--ulimit NAME=SOFT[:HARD]` (Docker's names: `nofile`, `nproc`, `core`, …; `-1` is
/// unlimited).
pub fn parse_ulimit(text: &str) -> Option<spec::Rlimit> {
    const NAMES: &[&str] = &["as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"];
    let (name, values) = text.split_once('=')?;
    if !NAMES.contains(&name) {
        return None;
    }
    let value = |v: &str| if v == "-1" { Some(u64::MAX) } else { v.parse::<u64>().ok() };
    let (soft, hard) = match values.split_once(':') {
        Some((s, h)) => (value(s)?, value(h)?),
        None => (value(values)?, value(values)?),
    };
    (soft <= hard).then(|| spec::Rlimit { kind: format!("RLIMIT_{}", name.to_ascii_uppercase()), hard, soft })
}

/// Whether a sysctl belongs to a namespace a container has of its own, as Docker allows.
pub fn namespaced_sysctl(key: &str) -> bool {
    key.starts_with("net.") || key.starts_with("kernel.shm") || key.starts_with("kernel.msg") || key == "kernel.sem" || key.starts_with("fs.mqueue.")
}

fn is_zero_i64(n: &i64) -> bool {
    *n == 0
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl HostOptions {
    /// The storage budget of one run of the container.
    pub fn storage_quota(&self) -> crate::vfs::Quota {
        crate::vfs::Quota::new(if self.storage_size == 0 { crate::vfs::quota::DEFAULT_LIMIT } else { self.storage_size })
    }
}

/// `--restart no|on-failure[:N]|always|unless-stopped` (Docker's `RestartPolicy`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RestartPolicy {
    /// `no` (also empty), `on-failure`, `always`, `unless-stopped`.
    #[serde(default)]
    pub name: String,
    /// `on-failure:N`: at most N restarts (0: no limit).
    #[serde(default)]
    pub maximum_retry_count: u32,
}

impl RestartPolicy {
    pub fn is_none(&self) -> bool {
        self.name.is_empty() || self.name == "no"
    }
}

/// `--memory` sizes: `512m`, `2g`, `1024k`, `100000` (bytes).
pub fn parse_memory(text: &str) -> Option<u64> {
    let t = text.trim().to_ascii_lowercase();
    let (num, mult) = match t.trim_end_matches('b').chars().last()? {
        'k' => (&t[..t.trim_end_matches('b').len() - 1], 1u64 << 10),
        'm' => (&t[..t.trim_end_matches('b').len() - 1], 1 << 20),
        'g' => (&t[..t.trim_end_matches('b').len() - 1], 1 << 30),
        _ => (t.trim_end_matches('b'), 1),
    };
    let n: f64 = num.parse().ok()?;
    (n >= 0.0).then_some((n * mult as f64) as u64)
}

/// One line of a container's output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    pub stream: String,
    pub text: String,
    /// When it was printed, in nanoseconds since the epoch (0: not known).
    #[serde(default)]
    pub time: i64,
}

/// The container records and their layers.
pub struct Containers {
    storage: Box<dyn Storage>,
    pub list: BTreeMap<String, Container>,
}

const ADJECTIVES: &[&str] = &["admiring", "bold", "brave", "clever", "eager", "elegant", "focused", "gifted", "happy", "jolly", "keen", "loving", "nifty", "quirky", "serene", "sharp", "stoic", "vibrant", "wizardly", "zealous"];
const SCIENTISTS: &[&str] = &["babbage", "curie", "darwin", "einstein", "feynman", "galileo", "hopper", "hypatia", "lovelace", "meitner", "newton", "noether", "pascal", "ritchie", "shannon", "tesla", "thompson", "turing", "wozniak", "yalow"];

/// The version of `containers.json` this engine writes. Version 0 was the bare map of
/// records, which [`Containers::open`] still reads (and the next save rewrites).
pub const RECORDS_VERSION: u32 = 1;

/// `containers.json`: the records with the version of their schema.
#[derive(Serialize, Deserialize)]
struct Records {
    version: u32,
    containers: BTreeMap<String, Container>,
}

/// Decodes `containers.json`, of this version or an earlier one. An error leaves the file
/// as it is: the caller refuses to run rather than save over records it could not read.
fn decode_records(data: &[u8]) -> Result<BTreeMap<String, Container>, String> {
    #[derive(Deserialize)]
    struct Versioned {
        version: u32,
    }
    match serde_json::from_slice::<Versioned>(data) {
        Ok(Versioned { version }) if version > RECORDS_VERSION => {
            Err(format!("{CONTAINERS_KEY} is version {version}, written by a newer Berth (this one reads up to {RECORDS_VERSION})"))
        }
        Ok(_) => serde_json::from_slice::<Records>(data).map(|r| r.containers).map_err(|e| format!("{CONTAINERS_KEY}: {e}")),
        // Version 0: the map itself.
        Err(_) => serde_json::from_slice(data).map_err(|e| format!("{CONTAINERS_KEY}: {e}")),
    }
}

impl Containers {
    /// Reads the container records. One that does not decode is an error, never an empty
    /// list: saving that list would erase every container.
    pub fn open(storage: Box<dyn Storage>) -> Result<Containers, String> {
        let list = match storage.read(CONTAINERS_KEY) {
            Some(data) => decode_records(&data)?,
            None => BTreeMap::new(),
        };
        Ok(Containers { storage, list })
    }

    /// The state directory the records are kept in (for the engine's event journal).
    pub fn storage_mut(&mut self) -> &mut dyn Storage {
        self.storage.as_mut()
    }

    pub fn storage(&self) -> &dyn Storage {
        self.storage.as_ref()
    }

    pub fn save(&mut self) -> Result<(), String> {
        let records = Records { version: RECORDS_VERSION, containers: std::mem::take(&mut self.list) };
        let data = serde_json::to_vec_pretty(&records).map_err(|e| e.to_string());
        self.list = records.containers;
        self.storage.write(CONTAINERS_KEY, &data?)
    }

    /// A new container ID, derived from what makes the container unique.
    pub fn new_id(&self, seed: &str) -> String {
        let mut n = 0u64;
        loop {
            let id = Digest::of(format!("{seed}/{n}/{}", self.list.len()).as_bytes()).hex();
            if !self.list.contains_key(&id) {
                return id;
            }
            n += 1;
        }
    }

    /// Docker's generated names: `adjective_scientist`.
    pub fn new_name(&self, id: &str) -> String {
        let b = u64::from_str_radix(&id[..8], 16).unwrap_or(0);
        let mut name = format!("{}_{}", ADJECTIVES[(b % 20) as usize], SCIENTISTS[((b / 20) % 20) as usize]);
        let mut k = 2;
        while self.by_name(&name).is_some() {
            name = format!("{}_{}{k}", ADJECTIVES[(b % 20) as usize], SCIENTISTS[((b / 20) % 20) as usize]);
            k += 1;
        }
        name
    }

    pub fn by_name(&self, name: &str) -> Option<&Container> {
        self.list.values().find(|c| c.name == name)
    }

    /// Finds a container by name, full ID or ID prefix (`No such container: x` otherwise).
    pub fn find(&self, key: &str) -> Option<&Container> {
        if let Some(c) = self.by_name(key.trim_start_matches('/')) {
            return Some(c);
        }
        let matches: Vec<&Container> = self.list.values().filter(|c| !key.is_empty() && c.id.starts_with(key)).collect();
        (matches.len() == 1).then(|| matches[0])
    }

    /// Which container uses an image: for `rmi`.
    pub fn using_image(&self, id: &Digest) -> Option<(String, bool)> {
        self.list.values().find(|c| &c.image_id == id).map(|c| (c.short_id(), c.status == Status::Running))
    }

    fn upper_key(id: &str) -> String {
        format!("containers/{id}/upper.tar")
    }

    fn log_key(id: &str) -> String {
        format!("containers/{id}/log.json")
    }

    fn journal_key(id: &str) -> String {
        format!("containers/{id}/journal")
    }

    /// The journal of a container's suspended process.
    pub fn journal(&self, id: &str) -> Option<journal::Journal> {
        journal::Journal::decode(&self.storage.read(&Self::journal_key(id))?)
    }

    /// Keeps (or, with `None`, forgets) the journal of a container's process.
    pub fn set_journal(&mut self, id: &str, journal: Option<&journal::Journal>) -> Result<(), String> {
        match journal {
            Some(j) => self.storage.write(&Self::journal_key(id), &j.encode()),
            None => {
                self.storage.remove(&Self::journal_key(id));
                Ok(())
            }
        }
    }

    /// The container's writable layer (empty before its first run), or why it could not
    /// be read: then nothing may be run or written over it.
    pub fn upper(&self, id: &str) -> Result<MemoryFs, String> {
        self.upper_within(id, &crate::vfs::Quota::unlimited())
    }

    /// [`Containers::upper`], its bytes counted against `quota` (writes past it are
    /// `ENOSPC`).
    pub fn upper_within(&self, id: &str, quota: &crate::vfs::Quota) -> Result<MemoryFs, String> {
        self.archive(&Self::upper_key(id), quota)
    }

    /// The files of the archive at `key` (none where there is no such key).
    fn archive(&self, key: &str, quota: &crate::vfs::Quota) -> Result<MemoryFs, String> {
        let mut fs = MemoryFs::with_quota(quota.clone());
        if let Some(tar) = self.storage.read(key) {
            unpack(&tar, &mut fs).map_err(|e| format!("{key} cannot be read ({e}); nothing was changed: move it aside to start again without it"))?;
        }
        Ok(fs)
    }

    pub fn set_upper(&mut self, id: &str, upper: &MemoryFs) -> Result<(), String> {
        let tar = tar_of(upper, &LayerOptions::default()).map_err(|e| e.to_string())?;
        self.storage.write(&Self::upper_key(id), &tar)
    }

    /// The logs, or why they could not be read (then nothing may be written over them).
    pub fn logs(&self, id: &str) -> Result<Vec<LogLine>, String> {
        match self.storage.read(&Self::log_key(id)) {
            Some(b) => serde_json::from_slice(&b).map_err(|e| format!("{}: {e}", Self::log_key(id))),
            None => Ok(Vec::new()),
        }
    }

    /// Adds a process's output to the logs: a line of stdout is stamped with the time of
    /// the first of `stamps` (end offset in `stdout`, nanoseconds) that covers it, other
    /// lines with `end`.
    pub fn append_logs(&mut self, id: &str, stdout: &[u8], stderr: &[u8], stamps: &[(usize, i64)], end: i64) -> Result<(), String> {
        let mut lines = self.logs(id)?;
        for (stream, data) in [("stdout", stdout), ("stderr", stderr)] {
            let mut at = 0;
            for l in String::from_utf8_lossy(data).split_inclusive('\n') {
                at += l.len();
                let time = if stream == "stdout" { stamps.iter().find(|(offset, _)| *offset >= at).map_or(end, |(_, t)| *t) } else { end };
                lines.push(LogLine { stream: stream.into(), text: l.to_string(), time });
            }
        }
        self.storage.write(&Self::log_key(id), &serde_json::to_vec(&lines).unwrap_or_default())
    }

    /// Appends lines as they are (a native supervisor's log, read back).
    pub fn push_logs(&mut self, id: &str, more: Vec<LogLine>) -> Result<(), String> {
        if more.is_empty() {
            return Ok(());
        }
        let mut lines = self.logs(id)?;
        lines.extend(more);
        self.storage.write(&Self::log_key(id), &serde_json::to_vec(&lines).unwrap_or_default())
    }

    /// A named volume's files (empty if it does not exist yet), or why they could not be
    /// read: then nothing may be mounted or written over them.
    pub fn volume(&self, name: &str) -> Result<MemoryFs, String> {
        self.volume_within(name, &crate::vfs::Quota::unlimited())
    }

    /// [`Containers::volume`], its bytes counted against `quota`.
    pub fn volume_within(&self, name: &str, quota: &crate::vfs::Quota) -> Result<MemoryFs, String> {
        self.archive(&format!("volumes/{name}.tar"), quota)
    }

    pub fn set_volume(&mut self, name: &str, fs: &MemoryFs) -> Result<(), String> {
        let tar = tar_of(fs, &LayerOptions::default()).map_err(|e| e.to_string())?;
        self.storage.write(&format!("volumes/{name}.tar"), &tar)
    }

    /// Named and anonymous volumes: name → (created, anonymous).
    pub fn volumes(&self) -> BTreeMap<String, (i64, bool)> {
        self.volumes_checked().unwrap_or_default()
    }

    /// The volume index, or why it could not be read (then nothing may be written over it).
    fn volumes_checked(&self) -> Result<BTreeMap<String, (i64, bool)>, String> {
        match self.storage.read(VOLUMES_KEY) {
            Some(d) => serde_json::from_slice(&d).map_err(|e| format!("{VOLUMES_KEY}: {e}")),
            None => Ok(BTreeMap::new()),
        }
    }

    /// Records a volume (`volume create`, or a first mount) if it is new.
    pub fn register_volume(&mut self, name: &str, now: i64, anonymous: bool) -> Result<(), String> {
        let mut all = self.volumes_checked()?;
        if all.contains_key(name) {
            return Ok(());
        }
        all.insert(name.to_string(), (now, anonymous));
        self.storage.write(VOLUMES_KEY, &serde_json::to_vec(&all).unwrap_or_default())
    }

    /// The labels of every volume that has some (`volume create --label`), kept beside
    /// the index so that the index keeps its format.
    pub fn volume_labels(&self) -> BTreeMap<String, BTreeMap<String, String>> {
        self.storage.read(VOLUME_LABELS_KEY).and_then(|d| serde_json::from_slice(&d).ok()).unwrap_or_default()
    }

    pub fn set_volume_labels(&mut self, name: &str, labels: BTreeMap<String, String>) -> Result<(), String> {
        let mut all = self.volume_labels();
        if labels.is_empty() {
            all.remove(name);
        } else {
            all.insert(name.to_string(), labels);
        }
        self.storage.write(VOLUME_LABELS_KEY, &serde_json::to_vec(&all).unwrap_or_default())
    }

    pub fn remove_volume(&mut self, name: &str) -> Result<(), String> {
        if self.volume_labels().contains_key(name) {
            self.set_volume_labels(name, BTreeMap::new())?;
        }
        let mut all = self.volumes_checked()?;
        all.remove(name);
        self.storage.remove(&format!("volumes/{name}.tar"));
        self.storage.write(VOLUMES_KEY, &serde_json::to_vec(&all).unwrap_or_default())
    }

    /// Containers that mount volume `name`.
    pub fn volume_users(&self, name: &str) -> Vec<String> {
        self.list.values().filter(|c| c.mounts.iter().any(|m| m.kind == "volume" && m.source == name)).map(|c| c.id.clone()).collect()
    }

    pub fn remove(&mut self, id: &str) -> Result<(), String> {
        self.list.remove(id);
        self.storage.remove(&Self::upper_key(id));
        self.storage.remove(&Self::log_key(id));
        self.storage.remove(&Self::journal_key(id));
        self.save()
    }
}

/// The argv of a container from the image config and `run` arguments, as the table in
/// Docker's reference defines it.
pub fn process_argv(config: &ImageConfig, entrypoint_override: Option<&str>, args: &[String]) -> Vec<String> {
    let entrypoint: Vec<String> = match entrypoint_override {
        Some("") => Vec::new(),
        Some(e) => vec![e.to_string()],
        None => config.config.entrypoint.clone().unwrap_or_default(),
    };
    let cmd: Vec<String> = if !args.is_empty() {
        args.to_vec()
    } else if entrypoint_override.is_some() {
        Vec::new()
    } else {
        config.config.cmd.clone().unwrap_or_default()
    };
    entrypoint.into_iter().chain(cmd).collect()
}

/// What a process attached to the user's terminal (`run -it`) may use of it, or how a
/// detached one's time passes.
#[derive(Clone, Default)]
pub struct Terminal {
    /// The next typed line, once stdin is used up.
    pub input: Option<crate::shell::TerminalInput>,
    /// Real time passing for sleeps.
    pub pause: Option<crate::shell::Pause>,
    /// A detached process (`run -d`, `start`, `logs -f`).
    pub detached: Option<Detached>,
}

/// How a detached process's sleeps pass. Its time is the seconds its sleeps add up to
/// since it started; the emulated runtime runs it only as far as someone looks.
#[derive(Clone)]
pub enum Detached {
    /// `run -d`, `start`: sleeps pass at once while they end by `until` seconds; at the
    /// first that ends later the process is suspended (see [`Ran::suspended`]) and the
    /// container stays up.
    Start { until: f64 },
    /// A suspended process resumed: it replays its journal up to the sleep it was
    /// suspended in, the `pauses`-th of its life; from there its sleeps pass at once while
    /// they end by `until`, then, with `follow` (`logs -f`, `wait`), in real time until it
    /// says stop (Ctrl-C). It is suspended again where they stop. `signal` (`docker stop`'s
    /// TERM) reaches it in the sleep it was suspended in.
    Resume { journal: std::rc::Rc<journal::Journal>, pauses: u64, until: f64, follow: Option<crate::shell::Pause>, signal: Option<&'static str> },
}

/// How far a suspended process is brought up to the present when someone looks at its
/// container: an hour of its sleeps at most, so that a service left running for days
/// costs an hour's replay.
pub const CATCH_UP_LIMIT: f64 = 3600.0;

/// And at most this many of its sleeps: a loop that sleeps a millisecond would otherwise
/// make every look replay millions of them. Followed in real time (`logs -f`) it goes on.
pub const CATCH_UP_PAUSES: u64 = 10_000;

/// How a container's process ended.
pub struct Ran {
    pub status: i32,
    /// What it printed; for a resumed process, only what it printed after its resumption.
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// It is still running: the emulated runtime suspended it in a sleep.
    pub suspended: Option<Suspension>,
    /// A resumed process did not replay as it ran before (see [`journal`]).
    pub diverged: bool,
    /// Seconds its sleeps added up to: how long it ran, in its own time.
    pub slept: f64,
    /// When its output was printed: (end offset in `stdout`, seconds into its life).
    pub stamps: Vec<(usize, f64)>,
    /// The kernel's OOM killer ended it (`State.OOMKilled`).
    pub oom_killed: bool,
    /// It is still running, detached, under a supervisor process of its runtime (the
    /// native one): the engine learns how it ended later (see `daemon::native`).
    pub supervised: bool,
}

/// Where a suspended process waits: what it needs to be resumed.
pub struct Suspension {
    pub journal: journal::Journal,
    pub at: Suspended,
}

/// The sleep a suspended process waits in: the `pauses`-th of its life, which ends
/// `wakes_ms` after it started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspended {
    pub pauses: u64,
    pub wakes_ms: u64,
}


/// The state of an interactive shell in a container between the lines a user types
/// (`docker run -it … sh`): each line runs as the container's process would, over its
/// filesystem, and the shell's directory and variables carry over.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TtySession {
    pub container: String,
    pub cwd: String,
    pub vars: Vec<(String, String, bool)>,
    pub status: i32,
    /// `bash`, `ash` or `sh`: what the prompt looks like.
    pub shell: String,
    pub user: String,
    pub hostname: String,
    /// A shell started by `exec -it` in a running container: its exit leaves the
    /// container running.
    #[serde(default)]
    pub exec: bool,
}

impl TtySession {
    /// The prompt the shell would print: bash's `root@id:/app# `, BusyBox ash's
    /// `/app # `, dash's `# `.
    pub fn prompt(&self) -> String {
        let sign = if self.user == "root" { '#' } else { '$' };
        match self.shell.as_str() {
            "python" => ">>> ".to_string(),
            "bash" => format!("{}@{}:{}{sign} ", self.user, self.hostname, if self.cwd == "/root" && self.user == "root" { "~" } else { &self.cwd }),
            "ash" => format!("{} {sign} ", self.cwd),
            _ => format!("{sign} "),
        }
    }
}

/// Whether `argv` starts an interactive program a terminal can attach to: a shell (`sh`,
/// `/bin/bash`, `bash -l`) or Python's REPL (`python`, `python3 -i`).
pub fn is_interactive_shell(argv: &[String]) -> bool {
    let name = argv.first().map(|a| a.rsplit('/').next().unwrap_or(a)).unwrap_or("");
    let shell = matches!(name, "sh" | "bash" | "ash" | "dash") && argv[1..].iter().all(|a| matches!(a.as_str(), "-l" | "--login" | "-i"));
    let python = is_python(name) && argv[1..].iter().all(|a| matches!(a.as_str(), "-i" | "-u" | "-q" | "-B"));
    shell || python
}

fn is_python(name: &str) -> bool {
    name == "python" || name.strip_prefix("python").is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

/// Starts an attached shell session for container `c` (its environment, user, directory).
pub fn start_tty(fs: &mut dyn FileSystem, c: &Container) -> TtySession {
    let (uid, _) = crate::shell::passwd::user_ids(fs, &c.user);
    let base = c.argv.first().map(|a| a.rsplit('/').next().unwrap_or(a).to_string()).unwrap_or_default();
    let flavor = crate::shell::passwd::flavor_of(fs);
    let shell = if is_python(&base) { "python" } else if base == "bash" { "bash" } else if flavor == crate::shell::Flavor::Ash { "ash" } else { "sh" };
    let user = if uid == 0 {
        "root".to_string()
    } else {
        let passwd = fs.read("/etc/passwd").map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
        passwd.lines().find(|l| l.split(':').nth(2) == Some(&uid.to_string())).and_then(|l| l.split(':').next()).map_or_else(|| "I have no name!".to_string(), str::to_string)
    };
    let mut vars: Vec<(String, String, bool)> = c.env.iter().filter_map(|e| e.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string(), true)).collect();
    if !vars.iter().any(|(k, _, _)| k == "HOME") {
        vars.push(("HOME".into(), if uid == 0 { "/root".into() } else { "/".into() }, true));
    }
    vars.push(("HOSTNAME".into(), c.hostname.clone(), true));
    TtySession { container: c.id.clone(), cwd: c.working_dir.clone(), vars, status: 0, shell: shell.into(), user, hostname: c.hostname.clone(), exec: false }
}

/// Runs one typed line in an attached session. Returns the status, output, and whether
/// the shell exited.
pub fn run_attached(fs: &mut dyn FileSystem, c: &Container, session: &mut TtySession, line: &str, input: Option<crate::shell::TerminalInput>) -> (i32, Vec<u8>, Vec<u8>, bool) {
    run_attached_with(fs, c, session, line, input, None)
}

/// [`run_attached`] where `sleep` really waits (`pause`).
pub fn run_attached_with(fs: &mut dyn FileSystem, c: &Container, session: &mut TtySession, line: &str, input: Option<crate::shell::TerminalInput>, pause: Option<crate::shell::Pause>) -> (i32, Vec<u8>, Vec<u8>, bool) {
    if session.shell == "python" {
        if let Some(input) = input.filter(|_| crate::wasi::python_available()) {
            return python_repl(fs, c, session, line, input, pause);
        }
        return python_line(fs, c, session, line);
    }
    let (uid, gid) = crate::shell::passwd::user_ids(fs, &c.user);
    let flavor = match session.shell.as_str() {
        "bash" => crate::shell::Flavor::Bash,
        "ash" => crate::shell::Flavor::Ash,
        _ => crate::shell::Flavor::Dash,
    };
    let mut sh = crate::shell::Shell::new(fs, flavor);
    sh.builtin_userland = false;
    for (k, v, exported) in &session.vars {
        sh.set_variable(k, v, *exported);
    }
    sh.set_cwd(&session.cwd);
    sh.set_last_status(session.status);
    sh.set_args(&session.shell, &[]);
    sh.hostname = c.hostname.clone();
    sh.uid = uid;
    sh.gid = gid;
    sh.group_explicit = c.user.contains(':');
    sh.set_budget(5_000_000);
    sh.set_clock(c.started.unwrap_or(c.created));
    sh.set_terminal_input(input);
    sh.set_pause(pause);
    let out = sh.run_str(line, &[]);
    session.cwd = sh.cwd().to_string();
    session.vars = sh.variables().into_iter().filter(|(k, _, _)| k != "PWD").collect();
    session.status = out.status;
    (out.status, out.stdout, out.stderr, sh.exited)
}

/// The banner Python's REPL prints when it starts.
pub fn python_banner(fs: &mut dyn FileSystem, c: &Container) -> String {
    let mut session = start_tty(fs, c);
    session.shell = "sh".into();
    let (_, out, _, _) = run_attached(fs, c, &mut session, &format!("{} -V", shell_quote(&c.argv[0])), None);
    let version = String::from_utf8_lossy(&out).trim().to_string();
    format!("{version} on linux\nType \"help\", \"copyright\", \"credits\" or \"license\" for more information.\n")
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Python's REPL on the real interpreter: one process reads the line typed first and
/// then every next one from the terminal, until `exit()` or Ctrl-D. The engine printed
/// the banner and the first prompt already (`-q`, and the first prompt is not shown
/// twice).
fn python_repl(fs: &mut dyn FileSystem, c: &Container, session: &mut TtySession, line: &str, input: crate::shell::TerminalInput, pause: Option<crate::shell::Pause>) -> (i32, Vec<u8>, Vec<u8>, bool) {
    let typed = std::cell::RefCell::new(Some(line.to_string()));
    let reader: crate::shell::TerminalInput = std::rc::Rc::new(move |shown: &str| match typed.borrow_mut().take() {
        Some(first) => Some(first),
        None => input(shown),
    });
    let mut argv: Vec<String> = c.argv.iter().map(|a| shell_quote(a)).collect();
    argv.insert(1, "-q".into());
    let mut sh_session = TtySession { shell: "sh".into(), ..session.clone() };
    sh_session.vars.retain(|(k, _, _)| k != "__repl_imports__");
    let (status, out, err, _) = run_attached_with(fs, c, &mut sh_session, &argv.join(" "), Some(reader), pause);
    session.status = status;
    (status, out, err, true)
}

/// One line typed at Python's REPL in a container. It runs as `python -c` would, after
/// the imports typed so far, so `import numpy` on one line serves the next. `exit()`,
/// `quit()` and Ctrl-D end it.
fn python_line(fs: &mut dyn FileSystem, c: &Container, session: &mut TtySession, line: &str) -> (i32, Vec<u8>, Vec<u8>, bool) {
    let code = line.trim();
    if matches!(code, "exit()" | "quit()" | "exit" | "quit") {
        return (0, Vec::new(), Vec::new(), true);
    }
    if code.is_empty() {
        return (0, Vec::new(), Vec::new(), false);
    }
    let imports = session.vars.iter().find(|(k, _, _)| k == "__repl_imports__").map(|(_, v, _)| v.clone()).unwrap_or_default();
    let program = format!("{imports}{code}\n");
    let mut sh_session = TtySession { shell: "sh".into(), ..session.clone() };
    sh_session.vars.retain(|(k, _, _)| k != "__repl_imports__");
    let (status, out, err, _) = run_attached(fs, c, &mut sh_session, &format!("{} -c {}", shell_quote(&c.argv[0]), shell_quote(&program)), None);
    if status == 0 && (code.starts_with("import ") || code.starts_with("from ")) {
        session.vars.retain(|(k, _, _)| k != "__repl_imports__");
        session.vars.push(("__repl_imports__".into(), format!("{imports}{code}\n"), false));
    }
    session.status = status;
    (status, out, err, false)
}

/// Whether `argv[0]` can be found in the container (for Docker's create-time error).
pub fn resolve_program(fs: &dyn FileSystem, argv0: &str, path: &str, cwd: &str) -> bool {
    find_program(fs, argv0, path, cwd).is_some()
}

/// Where `argv0` is: itself (relative to `cwd`) when it names a path, else the first
/// file of that name in a `PATH` directory.
pub fn find_program(fs: &dyn FileSystem, argv0: &str, path: &str, cwd: &str) -> Option<String> {
    if argv0.contains('/') {
        let p = crate::vfs::join(cwd, argv0);
        return fs.stat(&p).is_ok().then_some(p);
    }
    path.split(':').map(|d| crate::vfs::join(d, argv0)).find(|p| fs.stat(p).is_ok_and(|m| m.is_file()))
}

/// Why a runtime on disk cannot run under a front end without a state directory.
pub const NO_DISK: &str = "this front end keeps no state on disk for it (a browser tab cannot create Linux namespaces)";

/// The container's root filesystem: image layers, its upper layer, and mounts on top.
pub fn rootfs(layers: Vec<std::sync::Arc<MemoryFs>>, upper: MemoryFs) -> OverlayFs {
    OverlayFs::new(layers, upper)
}

/// The number of a signal as Docker names them (`TERM`, `SIGKILL`, `9`).
pub fn signal_number(name: &str) -> Option<i32> {
    let n = name.trim_start_matches("SIG");
    if let Ok(n) = n.parse::<i32>() {
        return (1..=64).contains(&n).then_some(n);
    }
    let table = [("HUP", 1), ("INT", 2), ("QUIT", 3), ("ILL", 4), ("TRAP", 5), ("ABRT", 6), ("BUS", 7), ("FPE", 8), ("KILL", 9), ("USR1", 10), ("SEGV", 11), ("USR2", 12), ("PIPE", 13), ("ALRM", 14), ("TERM", 15), ("CHLD", 17), ("CONT", 18), ("STOP", 19), ("TSTP", 20), ("WINCH", 28)];
    table.iter().find(|(s, _)| s.eq_ignore_ascii_case(n)).map(|(_, v)| *v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entrypoint_and_cmd_combine_as_in_dockers_table() {
        let mut c = ImageConfig::empty();
        c.config.entrypoint = Some(vec!["python".into(), "train.py".into()]);
        c.config.cmd = Some(vec!["--epochs".into(), "1".into()]);
        assert_eq!(process_argv(&c, None, &[]), ["python", "train.py", "--epochs", "1"]);
        assert_eq!(process_argv(&c, None, &["--epochs".into(), "5".into()]), ["python", "train.py", "--epochs", "5"]);
        assert_eq!(process_argv(&c, Some("sh"), &[]), ["sh"]);
    }
}
