//! `berth info` (`docker info`, `docker system info`): what this engine holds and which
//! runtimes it has, in Docker's layout, with Berth's runtimes and what each supports.

use super::{Host, Output};
use crate::runtime::{self, Runtime, Status};

pub fn run(args: &[String], host: &dyn Host) -> Output {
    let p = match super::tables::INFO.read(args, 0, Some(0)) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let format = p.value("format").map(str::to_string);
    let storage = match host.storage() {
        Ok(s) => s,
        Err(e) => return Output::fail(1, format!("berth: cannot open the state directory: {e}\n")),
    };
    let images = crate::image::ImageStore::open(storage).map(|s| s.images().count()).unwrap_or(0);
    let containers = match host.storage().map_err(|e| e.to_string()).and_then(runtime::Containers::open) {
        Ok(c) => c.list,
        Err(e) => return Output::fail(1, format!("berth: cannot read the container records: {e}\n")),
    };
    // Docker counts a paused container as paused, not running.
    let paused = containers.values().filter(|c| c.status == Status::Running && c.paused).count();
    let running = containers.values().filter(|c| c.status == Status::Running).count() - paused;
    let stopped = containers.len() - running - paused;
    let machine = Machine::here();
    // The engine's state folder (natively), and the cgroup hierarchy where the native
    // runtime uses the host's.
    let root_dir = host.native_dir().and_then(|d| d.parent().map(|p| p.display().to_string())).unwrap_or_default();
    let native_usable = crate::runtime::NativeRuntime::unavailable().is_none() && host.native_dir().is_some();
    let cgroup_version: Option<&str> = native_usable.then(|| if std::path::Path::new("/sys/fs/cgroup/cgroup.controllers").exists() { "2" } else { "1" });
    let backends: Vec<Box<dyn Runtime>> = runtime::RUNTIMES.iter().filter_map(|n| runtime::select(n).ok()).collect();
    let doc = serde_json::json!({
        "Containers": containers.len(),
        "ContainersRunning": running,
        "ContainersPaused": paused,
        "ContainersStopped": stopped,
        "OSType": "linux",
        "Architecture": machine.architecture,
        "NCPU": machine.cpus,
        "MemTotal": machine.memory,
        "KernelVersion": machine.kernel,
        "OperatingSystem": machine.system,
        "Name": machine.name,
        "Images": images,
        "ServerVersion": super::VERSION,
        "Driver": "berth",
        "LoggingDriver": "json-file",
        "CgroupDriver": if cgroup_version.is_some() { "cgroupfs" } else { "none" },
        "CgroupVersion": cgroup_version.unwrap_or(""),
        "Plugins": {"Volume": ["local"], "Network": ["bridge", "host", "null"], "Log": ["json-file"]},
        "Swarm": {"LocalNodeState": "inactive"},
        "DockerRootDir": root_dir,
        "Debug": false,
        "ExperimentalBuild": false,
        "LiveRestoreEnabled": false,
        "DefaultRuntime": runtime::DEFAULT_RUNTIME,
        "Runtimes": backends.iter().map(|r| {
            let c = capabilities_here(r.as_ref(), host);
            (r.name().to_string(), serde_json::json!({
                "available": c.available, "detached": c.detached, "tty": c.tty, "exec": c.exec,
                "pause": c.pause, "cgroups": c.cgroups, "gpus": c.gpus, "networks": c.networks, "note": c.note,
            }))
        }).collect::<serde_json::Map<_, _>>(),
    });
    match format.as_deref() {
        Some("json") => return Output::ok(format!("{doc}\n")),
        Some(t) => return super::template::render(t, &doc).map_or_else(super::format::template_error, |text| Output::ok(text + "\n")),
        None => {}
    }
    let mut out = String::new();
    out.push_str(&format!("Client:\n Version:    {}\n Context:    default\n Debug Mode: false\n\nServer:\n", super::VERSION));
    out.push_str(&format!(" Containers: {}\n  Running: {running}\n  Paused: {paused}\n  Stopped: {stopped}\n", containers.len()));
    out.push_str(&format!(" Images: {images}\n Server Version: {} (Berth)\n Storage Driver: berth\n Logging Driver: json-file\n", super::VERSION));
    if let Some(v) = cgroup_version {
        out.push_str(&format!(" Cgroup Driver: cgroupfs\n Cgroup Version: {v}\n"));
    }
    out.push_str(" Plugins:\n  Volume: local\n  Network: bridge host null\n  Log: json-file\n Swarm: inactive\n");
    out.push_str(&format!(" Runtimes: {}\n Default Runtime: {}\n", runtime::RUNTIMES.join(" "), runtime::DEFAULT_RUNTIME));
    for r in &backends {
        let c = capabilities_here(r.as_ref(), host);
        if c.available {
            let mut can = Vec::new();
            for (yes, what) in [(c.detached, "detached"), (c.tty, "tty"), (c.exec, "exec"), (c.pause, "pause"), (c.cgroups, "cgroups"), (c.gpus, "gpus")] {
                if yes {
                    can.push(what);
                }
            }
            out.push_str(&format!(" Runtime {}: available; supports {}; networks: {}\n  {}\n", r.name(), can.join(", "), c.networks.join(", "), c.note));
        } else {
            out.push_str(&format!(" Runtime {}: not available: {}\n", r.name(), c.note));
        }
    }
    let native_here = crate::runtime::NativeRuntime::unavailable().is_none() && host.native_dir().is_some();
    if let (true, Some(dir)) = (native_here, host.native_dir()) {
        // Where overlayfs cannot mount, native containers' roots are copies of the layers.
        out.push_str(if crate::runtime::native::snapshotter(&dir) == "copy" { " Snapshotter: copy (overlayfs cannot mount here)\n" } else { " Snapshotter: overlayfs\n" });
    }
    if native_here {
        out.push_str(&match crate::runtime::native::default_seccomp() {
            Ok(profile) => format!(" Security Options:\n  seccomp\n   Profile: {profile}\n"),
            Err(e) => format!(" Security Options:\n  seccomp\n   Profile: unusable ({e})\n"),
        });
        if crate::runtime::native::rootless() {
            out.push_str("  rootless\n");
        }
    }
    out.push_str(&format!(" Kernel Version: {}\n Operating System: {}\n OSType: linux\n Architecture: {}\n CPUs: {}\n Total Memory: {}\n Name: {}\n", machine.kernel, machine.system, machine.architecture, machine.cpus, crate::units::bytes_size(machine.memory), machine.name));
    if !root_dir.is_empty() {
        out.push_str(&format!(" Docker Root Dir: {root_dir}\n"));
    }
    out.push_str(" Debug Mode: false\n Experimental: false\n Insecure Registries:\n  ::1/128\n  127.0.0.0/8\n Live Restore Enabled: false\n");
    out.push_str(if native_here {
        " Default Rule: images whose programs are real run native; modelled ones (the catalog's) run emulated\n"
    } else {
        " Default Rule: every container runs emulated here (the native runtime is not available)\n"
    });
    Output::ok(out)
}

/// `version`: docker/cli's two blocks, the client (this front end: the `berth` binary or
/// the browser's engine) and the server (the engine it drives, which is the same code,
/// in-process: Berth has no daemon). The API version is the Docker Engine API that
/// Berth's command line follows, Docker 28's.
pub fn version(args: &[String], host: &dyn Host) -> Output {
    let p = match super::tables::VERSION.read(args, 0, Some(0)) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let (os, arch) = platform_here();
    let runtimes: Vec<serde_json::Value> = runtime::RUNTIMES
        .iter()
        .filter_map(|n| runtime::select(n).ok())
        .map(|r| {
            let c = capabilities_here(r.as_ref(), host);
            serde_json::json!({"Name": format!("runtime {}", r.name()), "Version": super::VERSION, "Details": {"Available": c.available.to_string()}})
        })
        .collect();
    let engine = serde_json::json!({"Name": "Engine", "Version": super::VERSION, "Details": {"ApiVersion": API_VERSION, "MinAPIVersion": MIN_API_VERSION, "Os": os, "Arch": arch, "Experimental": "false"}});
    let components: Vec<serde_json::Value> = std::iter::once(engine).chain(runtimes.iter().cloned()).collect();
    let doc = serde_json::json!({
        "Client": {"Platform": {"Name": "Berth"}, "Version": super::VERSION, "ApiVersion": API_VERSION, "DefaultAPIVersion": API_VERSION, "Os": os, "Arch": arch, "Context": "default"},
        "Server": {
            "Platform": {"Name": "Berth Engine"},
            "Version": super::VERSION, "ApiVersion": API_VERSION, "MinAPIVersion": MIN_API_VERSION, "Os": os, "Arch": arch,
            "Experimental": false,
            "Components": components,
        },
    });
    match p.value("format") {
        Some("json") => return Output::ok(format!("{doc}\n")),
        Some(t) => return super::template::render(t, &doc).map_or_else(super::format::template_error, |text| Output::ok(text + "\n")),
        None => {}
    }
    let mut out = format!("Client:\n Version:           {}\n API version:       {API_VERSION}\n OS/Arch:           {os}/{arch}\n Context:           default\n\n", super::VERSION);
    out.push_str(&format!("Server: Berth Engine\n Engine:\n  Version:          {}\n  API version:      {API_VERSION} (minimum version {MIN_API_VERSION})\n  OS/Arch:          {os}/{arch}\n  Experimental:     false\n", super::VERSION));
    for r in &runtimes {
        out.push_str(&format!(" {}:\n  Version:          {}\n  Available:        {}\n", r["Name"].as_str().unwrap_or_default(), super::VERSION, r["Details"]["Available"].as_str().unwrap_or_default()));
    }
    Output::ok(out)
}

/// What `info` says of the machine the engine runs on: this host natively; in a
/// browser, what a tab can know (one CPU for the engine, no kernel of its own).
struct Machine {
    architecture: String,
    cpus: usize,
    memory: u64,
    kernel: String,
    system: String,
    name: String,
}

impl Machine {
    fn here() -> Machine {
        if cfg!(target_arch = "wasm32") {
            return Machine { architecture: "wasm32".into(), cpus: 1, memory: 0, kernel: "none (Berth's emulated kernel)".into(), system: "a browser tab".into(), name: "berth".into() };
        }
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default().trim().to_string();
        let memory = read("/proc/meminfo").lines().find_map(|l| l.strip_prefix("MemTotal:")).and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok()).map_or(0, |kb| kb * 1024);
        let system = read("/etc/os-release").lines().find_map(|l| l.strip_prefix("PRETTY_NAME=")).map(|v| v.trim_matches('"').to_string()).unwrap_or_else(|| std::env::consts::OS.to_string());
        Machine {
            architecture: std::env::consts::ARCH.to_string(),
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory,
            kernel: read("/proc/sys/kernel/osrelease"),
            system,
            name: read("/proc/sys/kernel/hostname"),
        }
    }
}

/// The Docker Engine API version of Docker 28, whose command line Berth follows, and the
/// oldest dockerd accepts.
const API_VERSION: &str = "1.48";
const MIN_API_VERSION: &str = "1.24";

/// The OS and architecture in Go's names: this machine's natively, `js/wasm` in a browser.
fn platform_here() -> (&'static str, &'static str) {
    if cfg!(target_arch = "wasm32") {
        return ("js", "wasm");
    }
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    };
    (std::env::consts::OS, arch)
}

/// What a runtime can do under this front end: one that runs on disk cannot where the
/// front end keeps no state on disk (the browser's sandbox).
fn capabilities_here(r: &dyn Runtime, host: &dyn Host) -> runtime::Capabilities {
    let mut c = r.capabilities();
    if r.on_disk() && host.native_dir().is_none() {
        c.available = false;
        c.note = crate::daemon::start::NO_DISK;
    }
    c
}

/// `cdi list`: the CDI devices the specs in the CDI directories name (what `--device`
/// and `--gpus` can give a container on the native runtime).
pub fn cdi(args: &[String]) -> Output {
    match args.first().map(String::as_str) {
        Some("list" | "ls") => match crate::daemon::gpu::load_specs(&crate::daemon::gpu::spec_dirs()) {
            Ok(specs) => Output::ok(crate::daemon::gpu::device_names(&specs).iter().map(|n| format!("{n}\n")).collect::<String>()),
            Err(e) => Output::fail(1, format!("berth: {e}\n")),
        },
        _ => Output::ok("\nUsage:  berth cdi list\n\nList the CDI devices of the specs in /etc/cdi and /var/run/cdi (BERTH_CDI_SPEC_DIRS)\n"),
    }
}
