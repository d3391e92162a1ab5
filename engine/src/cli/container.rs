//! Container commands (`run`, `create`, `ps`, `logs`, `rm`, `start`, `stop`, `kill`,
//! `restart`, `wait`, `exec`, `top`, `rename`, `attach`, `cp`, `inspect`, `diff`,
//! `commit`, `volume`), with Docker's output and error wording: argv becomes typed
//! options, the engine (`daemon::`) does the work, and its results and errors are worded
//! here with docker/cli's exit codes.

use super::flags::Command;
use super::tables::*;
use super::format::{human_duration, human_size, table};
use super::{Arg, Args, Host, Output};
use crate::image::store::familiar;
use crate::image::ImageStore;
use crate::runtime::{Container, Containers, Detached, Status, Terminal};

fn daemon(message: &str, code: i32) -> Output {
    Output::fail(code, format!("{prog}: Error response from daemon: {message}.\nSee '{prog} run --help'.\n", prog = super::flags::program()))
}

fn open(host: &dyn Host) -> Result<(ImageStore, Containers), Output> {
    crate::daemon::open(host).map_err(engine_error)
}

/// An engine error as `docker run` reports it: a state error in Berth's words, the
/// daemon's others with Docker's prefix, each with its exit status.
fn engine_error(e: EngineError) -> Output {
    match e {
        EngineError::State(m) => Output::fail(1, format!("berth: {m}\n")),
        EngineError::Usage(m) => Output::fail(125, format!("{prog}: {m}.\nSee '{prog} run --help'.\n", prog = super::flags::program())),
        e => daemon(&e.to_string(), e.status()),
    }
}

use crate::daemon::start::{execute_with, restart, start as start_container};
use crate::daemon::stop::{kill, stop};
use crate::daemon::wait::Waited;
use crate::daemon::EngineError;

pub fn run(command: &str, args: &[String], host: &dyn Host) -> Output {
    match command {
        "run" => run_command(args, host, false),
        "create" => run_command(args, host, true),
        "ps" => ps(args, host),
        "logs" => logs(args, host),
        "rm" => rm(args, host),
        "start" => start(args, host),
        "cp" => cp(args, host),
        _ => inspect(&INSPECT, args, host),
    }
}

struct RunOptions {
    name: Option<String>,
    rm: bool,
    env: Vec<String>,
    workdir: Option<String>,
    user: Option<String>,
    entrypoint: Option<String>,
    volumes: Vec<String>,
    ports: Vec<String>,
    hostname: Option<String>,
    gpus: bool,
    tty: bool,
    host: crate::runtime::HostOptions,
    detach: bool,
    /// `-i`: the container's stdin is the command's stdin.
    interactive: bool,
    /// `--pull always|missing|never` (empty: missing).
    pull: String,
    platform: Option<String>,
    detach_keys: Option<String>,
    /// `-l`/`--label KEY=VALUE`, `--label-file`: merged over the image's labels.
    labels: Vec<String>,
    /// `--expose PORT[/PROTO]` (or a range): added to the config's exposed ports.
    expose: Vec<String>,
    cidfile: Option<String>,
    stop_signal: Option<String>,
    /// `-q`: no pull progress.
    quiet: bool,
    /// The bind sources of `--mount type=bind`, which must exist.
    binds_must_exist: Vec<String>,
    /// `--network-alias`, `--ip`: on the container's network.
    network_aliases: Vec<String>,
    ip: Option<String>,
}

fn run_command(args: &[String], host: &dyn Host, create_only: bool) -> Output {
    let mut o = RunOptions { name: None, rm: false, env: Vec::new(), workdir: None, user: None, entrypoint: None, volumes: Vec::new(), ports: Vec::new(), hostname: None, gpus: false, tty: false, host: Default::default(), detach: false, interactive: false, pull: String::new(), platform: None, detach_keys: None, labels: Vec::new(), expose: Vec::new(), cidfile: None, stop_signal: None, quiet: false, binds_must_exist: Vec::new(), network_aliases: Vec::new(), ip: None };
    // The table reads the line (clusters, `--flag=value`, `--rm=false`, typed values);
    // the scan below sees one spelling of each flag, in the order given.
    let table = if create_only { &super::run_flags::CREATE } else { &super::run_flags::RUN };
    let normalized = match super::flags::parse(table, args) {
        Ok(p) => p.normalized(),
        Err(out) => return out,
    };
    let args = &normalized[..];
    let mut rest = Vec::new();
    let mut it = Args::new(args);
    let mut env_files = Vec::new();
    while let Some(arg) = it.next() {
        match arg {
            Arg::Positional(p) => {
                rest.push(p.to_string());
                // Everything after the image belongs to the container's command.
                rest.extend(args[it.pos..].iter().cloned());
                break;
            }
            Arg::Flag("--", _) => {
                rest.extend(args[it.pos..].iter().cloned());
                break;
            }
            Arg::Flag("--rm", _) => o.rm = true,
            Arg::Flag("-d" | "--detach", _) => o.detach = true,
            Arg::Flag("-i" | "--interactive", _) => o.interactive = true,
            Arg::Flag("-q" | "--quiet", _) => o.quiet = true,
            Arg::Flag(flag @ ("--label" | "--label-file" | "--expose" | "--cidfile" | "--stop-signal" | "--stop-timeout"), v) => match it.value(flag, v) {
                Ok(v) => match flag {
                    "--label" => o.labels.push(v.to_string()),
                    "--label-file" => match host.read_file(v) {
                        Ok(d) => o.labels.extend(String::from_utf8_lossy(&d).lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string)),
                        Err(e) => return Output::fail(125, format!("{prog}: open {v}: {e}.\nSee '{prog} run --help'.\n", prog = super::flags::program())),
                    },
                    "--expose" => o.expose.push(v.to_string()),
                    "--cidfile" => o.cidfile = Some(v.to_string()),
                    "--stop-signal" => o.stop_signal = Some(v.to_string()),
                    _ => o.host.stop_timeout = super::flags::parse_int(v).ok(),
                },
                Err(e) => return e,
            },
            Arg::Flag("-t" | "--tty", _) => o.tty = true,
            Arg::Flag("--init", _) => o.host.init = true,
            Arg::Flag("-P" | "--publish-all", _) => o.host.publish_all = true,
            Arg::Flag("--privileged", _) => o.host.privileged = true,
            Arg::Flag("--read-only", _) => o.host.read_only = true,
            Arg::Flag(flag @ ("--cap-add" | "--cap-drop"), v) => match it.value(flag, v) {
                Ok(v) => {
                    for name in v.split(',') {
                        if !name.eq_ignore_ascii_case("ALL") && crate::runtime::spec::capability(name).is_none() {
                            let which = if flag == "--cap-add" { "CapAdd" } else { "CapDrop" };
                            let shown = if name.to_ascii_uppercase().starts_with("CAP_") { name.to_ascii_uppercase() } else { format!("CAP_{}", name.to_ascii_uppercase()) };
                            return daemon(&format!("invalid {which}: unknown capability: \"{shown}\""), 125);
                        }
                        if flag == "--cap-add" { o.host.cap_add.push(name.to_string()) } else { o.host.cap_drop.push(name.to_string()) }
                    }
                }
                Err(e) => return e,
            },
            Arg::Flag("--security-opt", v) => match it.value("--security-opt", v) {
                Ok(opt) => match opt.split_once(['=', ':']).map_or((opt, ""), |(k, v)| (k, v)) {
                    ("no-new-privileges", "" | "true") => o.host.no_new_privileges = true,
                    ("no-new-privileges", "false") => o.host.no_new_privileges = false,
                    ("seccomp", "unconfined") => o.host.seccomp = "unconfined".into(),
                    // The client reads the profile, as Docker's does.
                    ("seccomp", path) => match host.read_file(path) {
                        Ok(bytes) => match serde_json::from_slice::<serde_json::Value>(&bytes) {
                            Ok(_) => o.host.seccomp = String::from_utf8_lossy(&bytes).into_owned(),
                            Err(e) => return Output::fail(125, format!("{prog}: Decoding seccomp profile failed: {e}.\nSee '{prog} run --help'.\n", prog = super::flags::program())),
                        },
                        Err(e) => return Output::fail(125, format!("{prog}: opening seccomp profile ({path}) failed: {e}.\nSee '{prog} run --help'.\n", prog = super::flags::program())),
                    },
                    ("apparmor" | "label" | "systempaths", _) => return daemon(&format!("--security-opt {opt} is not supported by Berth yet"), 125),
                    _ => return daemon(&format!("invalid --security-opt 1: \"{opt}\""), 125),
                },
                Err(e) => return e,
            },
            Arg::Flag(flag @ ("--memory-swap" | "--memory-reservation" | "--cpu-shares" | "-c" | "--cpu-period" | "--cpu-quota" | "--cpuset-cpus"), v) => match it.value(flag, v) {
                Ok(v) => {
                    if let Err(e) = set_resource(&mut o.host, flag, v) {
                        return e;
                    }
                }
                Err(e) => return e,
            },
            Arg::Flag("--group-add", v) => match it.value("--group-add", v) {
                Ok(v) => o.host.group_add.push(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("--pids-limit", v) => match it.value("--pids-limit", v) {
                Ok(v) => match v.parse::<i64>() {
                    Ok(n) => o.host.pids_limit = u64::try_from(n).unwrap_or(0),
                    Err(_) => return Output::fail(125, format!("invalid argument \"{v}\" for \"--pids-limit\" flag: strconv.ParseInt: parsing \"{v}\": invalid syntax\nSee '{prog} run --help'.\n", prog = super::flags::program())),
                },
                Err(e) => return e,
            },
            Arg::Flag("--shm-size", v) => match it.value("--shm-size", v) {
                Ok(v) => match crate::runtime::parse_memory(v) {
                    Some(bytes) => o.host.shm_size = bytes,
                    None => return Output::fail(125, format!("invalid argument \"{v}\" for \"--shm-size\" flag: invalid size: '{v}'\nSee '{prog} run --help'.\n", prog = super::flags::program())),
                },
                Err(e) => return e,
            },
            Arg::Flag("--tmpfs", v) => match it.value("--tmpfs", v) {
                Ok(v) if v.starts_with('/') => o.host.tmpfs.push(v.to_string()),
                Ok(v) => return daemon(&format!("invalid mount config for type \"tmpfs\": mount path must be absolute: {}", v.split(':').next().unwrap_or(v)), 125),
                Err(e) => return e,
            },
            Arg::Flag("--ulimit", v) => match it.value("--ulimit", v) {
                Ok(v) => match crate::runtime::parse_ulimit(v) {
                    Some(l) => o.host.ulimits.push(l),
                    None => return Output::fail(125, format!("invalid argument \"{v}\" for \"--ulimit\" flag: invalid ulimit argument: {v}\nSee '{prog} run --help'.\n", prog = super::flags::program())),
                },
                Err(e) => return e,
            },
            Arg::Flag("--sysctl", v) => match it.value("--sysctl", v) {
                Ok(v) => match v.split_once('=') {
                    Some((key, value)) if crate::runtime::namespaced_sysctl(key) => {
                        o.host.sysctls.insert(key.to_string(), value.to_string());
                    }
                    Some((key, _)) => return daemon(&format!("invalid argument \"{v}\" for \"--sysctl\" flag: sysctl '{key}' is not allowed: only namespaced ones (net.*, kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*) can be set in a container"), 125),
                    None => return Output::fail(125, format!("invalid argument \"{v}\" for \"--sysctl\" flag: {v} is not a valid key=value pair\nSee '{prog} run --help'.\n", prog = super::flags::program())),
                },
                Err(e) => return e,
            },
            Arg::Flag("--name", v) => match it.value("--name", v) {
                Ok(v) => o.name = Some(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("--detach-keys", v) => match it.value("--detach-keys", v) {
                Ok(v) => o.detach_keys = Some(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("-e" | "--env", v) => match it.value("--env", v) {
                Ok(v) => o.env.push(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("--env-file", v) => match it.value("--env-file", v) {
                Ok(v) => env_files.push(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("-w" | "--workdir", v) => match it.value("--workdir", v) {
                Ok(v) => o.workdir = Some(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("-u" | "--user", v) => match it.value("--user", v) {
                Ok(v) => o.user = Some(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("--entrypoint", v) => match it.value("--entrypoint", v) {
                Ok(v) => o.entrypoint = Some(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("-v" | "--volume", v) => match it.value("--volume", v) {
                Ok(v) => o.volumes.push(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("-p" | "--publish", v) => match it.value("--publish", v) {
                Ok(v) => o.ports.push(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("-h" | "--hostname", v) => match it.value("--hostname", v) {
                Ok(v) => o.hostname = Some(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("--gpus", v) => match it.value("--gpus", v) {
                Ok(v) => match crate::daemon::gpu::parse_gpus(v) {
                    Ok(r) => {
                        o.gpus = true;
                        o.host.gpus = Some(r);
                    }
                    Err(e) => return Output::fail(125, format!("invalid argument \"{v}\" for \"--gpus\" flag: {e}\nSee '{prog} run --help'.\n", prog = super::flags::program())),
                },
                Err(e) => return e,
            },
            Arg::Flag("--device", v) => match it.value("--device", v) {
                Ok(v) => o.host.devices.push(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("--mount", v) => match it.value("--mount", v) {
                Ok(spec) => match mount_to_volume(spec) {
                    // A tmpfs is a tmpfs (`--tmpfs PATH:OPTIONS`), not a volume.
                    Ok(volume) if volume.starts_with("tmpfs:") => o.host.tmpfs.push(volume["tmpfs:".len()..].to_string()),
                    Ok(volume) => {
                        // `--mount type=bind` refuses a missing source; `-v` makes it.
                        if volume.starts_with('/') || volume.starts_with('.') {
                            o.binds_must_exist.push(volume.split(':').next().unwrap_or_default().to_string());
                        }
                        o.volumes.push(volume);
                    }
                    Err(message) => return Output::fail(125, format!("invalid argument \"{spec}\" for \"--mount\" flag: {message}\nSee '{prog} run --help'.\n", prog = super::flags::program())),
                },
                Err(e) => return e,
            },
            Arg::Flag(flag @ ("--network" | "--net" | "--memory" | "-m" | "--cpus" | "--ipc"), v) => match it.value(flag, v) {
                Ok(v) => match flag {
                    "--network" | "--net" => o.host.network = v.to_string(),
                    "--ipc" => o.host.ipc = v.to_string(),
                    "--cpus" => match v.parse::<f64>() {
                        Ok(n) if n >= 0.0 => o.host.nano_cpus = (n * 1e9) as u64,
                        _ => return Output::fail(125, format!("invalid argument \"{v}\" for \"--cpus\" flag: failed to parse {v} as a rational number\nSee '{prog} run --help'.\n", prog = super::flags::program())),
                    },
                    _ => match crate::runtime::parse_memory(v) {
                        Some(bytes) if bytes == 0 || bytes >= 6 << 20 => o.host.memory = bytes,
                        Some(_) => return daemon("Minimum memory limit allowed is 6MB", 125),
                        None => return Output::fail(125, format!("invalid argument \"{v}\" for \"-m, --memory\" flag: invalid size: '{v}'\nSee '{prog} run --help'.\n", prog = super::flags::program())),
                    },
                },
                Err(e) => return e,
            },
            Arg::Flag("--runtime", v) => match it.value("--runtime", v) {
                Ok(v) => o.host.runtime = v.to_string(),
                Err(e) => return e,
            },
            Arg::Flag("--restart", v) => match it.value("--restart", v) {
                Ok(v) => match crate::daemon::monitor::parse_restart_policy(v) {
                    Ok(p) => o.host.restart = p,
                    Err(e) => return Output::fail(125, format!("{prog}: {e}.\nSee '{prog} run --help'.\n", prog = super::flags::program())),
                },
                Err(e) => return e,
            },
            // `--storage-opt size=120M`: what the writable layer and volumes may hold.
            Arg::Flag("--storage-opt", v) => match it.value("--storage-opt", v) {
                Ok(opt) => match opt.split_once('=') {
                    Some(("size", size)) => match crate::runtime::parse_memory(size) {
                        Some(bytes) if bytes > 0 => o.host.storage_size = bytes,
                        _ => return daemon(&format!("invalid storage option size: {size}"), 125),
                    },
                    _ => return daemon(&format!("invalid storage option: {opt}: only size=<bytes> is supported"), 125),
                },
                Err(e) => return e,
            },
            Arg::Flag("--platform", v) => match it.value("--platform", v) {
                Ok(v) => o.platform = Some(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("--pull", v) => match it.value("--pull", v) {
                Ok(v @ ("always" | "missing" | "never")) => o.pull = v.to_string(),
                Ok(v) => return Output::fail(125, format!("{prog}: invalid pull option: '{v}': must be one of \"always\", \"missing\" or \"never\"\nSee '{prog} {} --help'.\n", if create_only { "create" } else { "run" }, prog = super::flags::program())),
                Err(e) => return e,
            },
            // In the table, not applied by Berth's runtimes: recorded, with the reason.
            Arg::Flag(flag @ ("--network-alias" | "--ip"), v) => match it.value(flag, v) {
                Ok(v) if flag == "--ip" => o.ip = Some(v.to_string()),
                Ok(v) => o.network_aliases.push(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag(f, v) if super::run_flags::not_applied(f.trim_start_matches('-')).is_some() => {
                o.host.not_applied.entry(f.trim_start_matches('-').to_string()).or_default().push(v.unwrap_or("true").to_string());
            }
            Arg::Flag(f, _) => return Output::fail(125, format!("unknown flag: {f}\nSee '{prog} run --help'.\n", prog = super::flags::program())),
        }
    }
    if let Err(e) = check_resources(&o.host) {
        return e;
    }
    if o.rm && !o.host.restart.is_none() {
        return Output::fail(125, format!("{prog}: conflicting options: cannot specify both --restart and --rm.\nSee '{prog} run --help'.\n", prog = super::flags::program()));
    }
    let Some((image_name, cmd_args)) = rest.split_first() else {
        return Output::fail(125, format!("\"{prog} run\" requires at least 1 argument.\nSee '{prog} run --help'.\n\nUsage:  {prog} run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nCreate and run a new container from an image\n", prog = super::flags::program()));
    };
    match env_files_of(host, &env_files, "run") {
        Ok(env) => o.env.extend(env),
        Err(out) => return out,
    }
    let (mut store, mut containers) = match open(host) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let create_options = crate::daemon::create::CreateOptions {
        image: image_name.clone(),
        args: cmd_args.to_vec(),
        name: o.name.clone(),
        rm: o.rm,
        env: o.env.clone(),
        workdir: o.workdir.clone(),
        user: o.user.clone(),
        entrypoint: o.entrypoint.clone(),
        volumes: o.volumes.clone(),
        binds_must_exist: o.binds_must_exist.clone(),
        ports: o.ports.clone(),
        hostname: o.hostname.clone(),
        host: o.host.clone(),
        pull: o.pull.clone(),
        platform: o.platform.clone(),
        tty: o.tty,
        open_stdin: o.interactive,
        labels: o.labels.iter().map(|l| l.split_once('=').map_or((l.clone(), String::new()), |(k, v)| (k.to_string(), v.to_string()))).collect(),
        expose: o.expose.clone(),
        stop_signal: o.stop_signal.clone(),
        network_aliases: o.network_aliases.clone(),
        ip: o.ip.clone(),
        extra_networks: Vec::new(),
    };
    let created = crate::daemon::create::create(host, &mut store, &mut containers, &create_options);
    let (container, prelude) = match created {
        Ok(c) => (c.container, if o.quiet { String::new() } else { c.prelude }),
        Err(f) => {
            let mut out = engine_error(f.error);
            if !o.quiet {
                out.prepend_stderr(&f.prelude);
            }
            return out;
        }
    };
    let id = container.id.clone();
    // `--cidfile`: the ID, written when the container is made; a file already there
    // refuses the run, as Docker does.
    if let Some(path) = &o.cidfile {
        if host.read_file(path).is_ok() {
            return Output::fail(125, format!("{prog}: Container ID file found, make sure the other container isn't running or delete {path}.\nSee '{prog} run --help'.\n", prog = super::flags::program()));
        }
        if let Err(e) = host.write_file(path, id.as_bytes()) {
            return Output::fail(125, format!("{prog}: failed to create the container ID file: {e}.\nSee '{prog} run --help'.\n", prog = super::flags::program()));
        }
    }
    // `--gpus` where no runtime gives GPUs (the emulated one): Docker creates the
    // container, then cannot start it, so it stays in `ps -a` as Created (unless --rm).
    // The native runtime finds the GPUs when it starts the container.
    let wants_devices = o.gpus || !o.host.devices.is_empty();
    let native = wants_devices && crate::daemon::start::choose_runtime(&mut store, &container, host).is_ok_and(|r| r.on_disk());
    let o_gpus = wants_devices && !native;
    if create_only || (o_gpus && !o.rm) {
        if let Err(e) = crate::daemon::create::record(&mut containers, &container) {
            return daemon(&e.to_string(), 125);
        }
        if create_only {
            return Output { code: 0, stdout: format!("{id}\n").into(), stderr: prelude.into() };
        }
    }
    if o_gpus {
        let mut out = daemon("could not select device driver \"\" with capabilities: [[gpu]]", 125);
        out.prepend_stderr(&prelude);
        return out;
    }
    // `-t` on the native runtime in the `berth` binary: a real terminal of the
    // container's own, under its supervisor, with the user's attached to it: the detach
    // keys (Ctrl-P Ctrl-Q) leave it running, and `attach` comes back to it.
    if o.tty && !o.detach && host.native_stdio() && crate::daemon::start::choose_runtime(&mut store, &container, host).is_ok_and(|r| r.on_disk()) {
        let keys = match crate::runtime::parse_detach_keys(o.detach_keys.as_deref().unwrap_or("ctrl-p,ctrl-q")) {
            Ok(k) => k,
            Err(e) => return daemon(&e, 125),
        };
        let mut first = container.clone();
        first.attach_on_start = true;
        let fail = |e: EngineError| {
            let mut out = engine_error(e);
            out.prepend_stderr(&prelude);
            out
        };
        if let Err(e) = execute_with(&mut store, &mut containers, &first, host, b"", Terminal { detached: Some(Detached::Start { until: 0.0 }), ..Terminal::default() }) {
            return fail(e);
        }
        let Some(started) = containers.find(&id).cloned().filter(crate::daemon::native::supervised) else { return Output { code: 0, stdout: Vec::new(), stderr: prelude.into() } };
        return match crate::daemon::attach::attach_native(&mut containers, &started, host, o.interactive, keys) {
            Ok(crate::daemon::attach::NativeAttach::Exited(code)) => Output { code, stdout: Vec::new(), stderr: prelude.into() },
            // Docker's words; `run` itself succeeds.
            Ok(crate::daemon::attach::NativeAttach::Detached) => Output { code: 0, stdout: Vec::new(), stderr: format!("{prelude}read escape sequence\n").into() },
            Err(e) => fail(e),
        };
    }
    // `-it` with a shell, on a host with a terminal: the session stays open for the lines
    // the user types next (`attached_line`); the container runs until the shell exits.
    if o.interactive && o.tty && !o.detach && crate::runtime::is_interactive_shell(&container.argv) {
        match crate::daemon::attach::open_session(&mut store, &mut containers, &container, host, false) {
            Ok(Some(banner)) => return Output { code: 0, stdout: banner.into(), stderr: prelude.into() },
            Ok(None) => {}
            Err(e) => return daemon(&e.to_string(), 125),
        }
    }
    // With -i the process reads the command's stdin (`echo 'echo hi' | berth run -i alpine sh`).
    // With -it, a program that reads past what was typed ahead waits for the terminal
    // (Python's input(), `read`), and its sleeps take real time.
    let terminal = if o.interactive && o.tty && !o.detach { host.terminal_input() } else { None };
    let stdin = if o.interactive && !o.detach && terminal.is_none() { host.read_file("-").unwrap_or_default() } else { Vec::new() };
    // In the foreground, sleeps take real time where the host has it, with the output
    // shown as it comes (Ctrl-C interrupts).
    let pause = if o.detach { None } else { host.pause() };
    // Detached, it runs as far as its sleeps take it now (see `catch_up`).
    let detached = o.detach.then_some(Detached::Start { until: 0.0 });
    let result = execute_with(&mut store, &mut containers, &container, host, &stdin, Terminal { input: terminal, pause, detached });
    let (code, stdout, stderr) = match result {
        Ok(x) => x,
        Err(e) => {
            let mut out = engine_error(e);
            out.prepend_stderr(&prelude);
            return out;
        }
    };
    if o.detach {
        // Detached: the ID on stdout, the output in the logs. The emulated process has
        // run to completion, or until it waits in a sleep (the container is then up).
        return Output { code: 0, stdout: format!("{id}\n").into(), stderr: prelude.into() };
    }
    Output { code, stdout, stderr: [prelude.into_bytes(), stderr].concat() }
}



/// `stop`, `kill`, `restart`, `wait`, `exec`, `top`, `rename` and `container prune`. An
/// emulated process runs to completion when it starts, or, detached, until it waits in a
/// sleep: such a container is up, and these act on it as Docker does.
pub fn lifecycle(command: &str, args: &[String], host: &dyn Host) -> Output {
    // `stop` and `restart` wait `-t` seconds (the container's `--stop-timeout`, else 10)
    // for the process to end after its stop signal; `kill` sends `-s` (KILL).
    let mut grace: Option<f64> = None;
    let mut signal: Option<(String, i32)> = None;
    if command == "exec" {
        let (mut store, mut containers) = match open(host) {
            Ok(x) => x,
            Err(e) => return e,
        };
        return exec(&mut store, &mut containers, args, host);
    }
    let table: &'static Command = match command {
        "stop" => &STOP,
        "restart" => &RESTART,
        "kill" => &KILL,
        "wait" => &WAIT,
        "top" => &TOP,
        "rename" => &RENAME,
        "pause" => &PAUSE,
        "unpause" => &UNPAUSE,
        _ => &CONTAINER_PRUNE,
    };
    let (min, max) = match command {
        "rename" => (2, Some(2)),
        "prune" => (0, Some(0)),
        _ => (1, None),
    };
    let parsed = match table.read(args, min, max) {
        Ok(p) => p,
        Err(out) => return out,
    };
    if matches!(command, "stop" | "restart" | "kill") && parsed.changed("signal") {
        let name = parsed.value("signal").unwrap_or_default().to_string();
        match crate::runtime::signal_number(&name.to_uppercase()) {
            Some(n) => signal = Some((name, n)),
            None => return Output::fail(1, format!("Error response from daemon: Invalid signal: {name}\n")),
        }
    }
    if matches!(command, "stop" | "restart") && (parsed.changed("timeout") || parsed.changed("time")) {
        grace = Some(parsed.int(if parsed.changed("timeout") { "timeout" } else { "time" }).max(0) as f64);
    }
    // `top CONTAINER [ps OPTIONS]`: the process table is the runtime's, in `ps -ef`'s
    // columns; the options for `ps` are not applied.
    let names: Vec<&String> = if command == "top" { parsed.args.iter().take(1).collect() } else { parsed.args.iter().collect() };
    let (mut store, mut containers) = match open(host) {
        Ok(x) => x,
        Err(e) => return e,
    };
    match command {
        "rename" => {
            let [old, new] = names[..] else { unreachable!("arity checked") };
            match crate::daemon::rm::rename(&mut containers, old, new, host.now()) {
                Ok(()) => Output::ok(""),
                Err(e) => Output::fail(1, format!("Error response from daemon: {e}\n")),
            }
        }
        "prune" => {
            let stopped = match crate::daemon::rm::prune(&mut containers, &parsed.filters(), host.now()) {
                Ok(s) => s,
                Err(e) => return Output::fail(1, format!("Error response from daemon: {e}\n")),
            };
            let mut out = String::from("Deleted Containers:\n");
            for id in &stopped {
                out.push_str(&format!("{id}\n"));
            }
            if stopped.is_empty() {
                out.clear();
            } else {
                out.push('\n');
            }
            out.push_str("Total reclaimed space: 0B\n");
            Output::ok(out)
        }
        _ => {
            let mut out = Output::ok("");
            for n in names {
                let Some(c) = containers.find(n).cloned() else {
                    out.stderr.extend_from_slice(format!("Error response from daemon: No such container: {n}\n").as_bytes());
                    out.code = 1;
                    continue;
                };
                let running = c.status == Status::Running;
                let restarting = c.status == Status::Restarting;
                // `run --stop-timeout`, else Docker's 10 seconds.
                let grace = grace.unwrap_or_else(|| c.host_config.stop_timeout.map_or(10.0, |t| t.max(0) as f64));
                match command {
                    // Docker's stop signal, SIGTERM, does not end a process that is PID 1
                    // without a handler; after the grace period it is killed.
                    "stop" => {
                        let mut c = c.clone();
                        if let Some((name, _)) = &signal {
                            c.config.config.stop_signal = Some(name.to_uppercase());
                        }
                        stop(&mut store, &mut containers, &c, host, grace);
                        out.stdout.extend_from_slice(format!("{n}\n").as_bytes());
                    }
                    "kill" => match kill(&mut containers, &c, n, host, signal.as_ref().map_or(9, |(_, n)| *n)) {
                        Ok(()) => out.stdout.extend_from_slice(format!("{n}\n").as_bytes()),
                        Err(e) => {
                            out.stderr.extend_from_slice(format!("Error response from daemon: {e}\n").as_bytes());
                            out.code = 1;
                        }
                    },
                    "restart" if running || restarting => match restart(&mut store, &mut containers, &c, host, grace) {
                        Ok(_) => out.stdout.extend_from_slice(format!("{n}\n").as_bytes()),
                        Err(e) => {
                            out.stderr.extend_from_slice(&engine_error(e).stderr);
                            out.code = 1;
                        }
                    },
                    // Waits in real time, as `logs -f` follows, without showing the output.
                    "wait" => match crate::daemon::wait::wait(&mut store, &mut containers, &c, host) {
                        Ok(Waited::Exited(status)) => out.stdout.extend_from_slice(format!("{status}\n").as_bytes()),
                        // Ctrl-C ends `docker wait` (130); the container goes on.
                        Ok(Waited::Interrupted) => out.code = 130,
                        Ok(Waited::NoRealTime) => {
                            out.stderr.extend_from_slice(format!("berth: container {n} is running and this host has no real time to wait in: stop it, then wait\n").as_bytes());
                            out.code = 1;
                        }
                        Err(e) => {
                            out.stderr.extend_from_slice(&engine_error(e).stderr);
                            out.code = 1;
                        }
                    },
                    "top" if running => match crate::daemon::exec::top(&c, host) {
                        Ok(processes) => {
                            out.stdout.extend_from_slice(format!("{:<20}{:<20}{:<20}{:<20}{:<20}{:<20}{:<20}{}\n", "UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD").as_bytes());
                            let user = if c.user.is_empty() { "root" } else { c.user.as_str() };
                            for p in processes {
                                let stime = crate::time::rfc3339(p.started);
                                out.stdout.extend_from_slice(format!("{:<20}{:<20}{:<20}{:<20}{:<20}{:<20}{:<20}{}\n", user, p.pid, p.ppid, 0, &stime[11..16], "?", "00:00:00", p.args.join(" ")).as_bytes());
                            }
                        }
                        Err(e) => {
                            out.stderr.extend_from_slice(format!("Error response from daemon: {e}\n").as_bytes());
                            out.code = 1;
                        }
                    },
                    "pause" | "unpause" => match crate::daemon::native::pause(&mut containers, &c, host, command == "pause") {
                        Ok(()) => out.stdout.extend_from_slice(format!("{n}\n").as_bytes()),
                        Err(e) => {
                            out.stderr.extend_from_slice(format!("Error response from daemon: {e}\n").as_bytes());
                            out.code = 1;
                        }
                    },
                    "start" if running => out.stdout.extend_from_slice(format!("{n}\n").as_bytes()),
                    "exec" | "top" => {
                        return Output::fail(1, format!("Error response from daemon: container {} is not running\n", c.id));
                    }
                    _ => match start_container(&mut store, &mut containers, &c, host) {
                        Ok(_) => out.stdout.extend_from_slice(format!("{n}\n").as_bytes()),
                        Err(e) => {
                            out.stderr.extend_from_slice(&engine_error(e).stderr);
                            out.code = 1;
                        }
                    },
                }
            }
            out
        }
    }
}

/// `--env-file`s' lines, in order: blank lines and `#` comments skipped, as docker/cli
/// reads them.
fn env_files_of(host: &dyn Host, files: &[impl AsRef<str>], command: &str) -> Result<Vec<String>, Output> {
    let mut env = Vec::new();
    for f in files {
        match host.read_file(f.as_ref()) {
            Ok(d) => env.extend(String::from_utf8_lossy(&d).lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).map(str::to_string)),
            Err(e) => return Err(Output::fail(125, format!("{prog}: {e}.\nSee '{prog} {command} --help'.\n", prog = super::flags::program()))),
        }
    }
    Ok(env)
}

/// `exec [OPTIONS] CONTAINER COMMAND…`: a command in a running container, over its
/// files; `-it` with a shell attaches the terminal to it. `-d` runs it without waiting
/// for its output, which an emulated process (run to its end at once) cannot show
/// anyway; `--privileged` and `--detach-keys` are read and not applied.
fn exec(store: &mut ImageStore, containers: &mut Containers, args: &[String], host: &dyn Host) -> Output {
    let p = match EXEC.read(args, 2, None) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let (interactive, tty, detach) = (p.bool("interactive"), p.bool("tty"), p.bool("detach"));
    let mut env = match env_files_of(host, &p.values("env-file"), "exec") {
        Ok(env) => env,
        Err(out) => return out,
    };
    env.extend(p.values("env").iter().map(|s| s.to_string()));
    let (workdir, user) = (p.value("workdir").map(str::to_string), p.value("user").map(str::to_string));
    let (name, command) = (&p.args[0], &p.args[1..]);
    let Some(c) = containers.find(name).cloned() else { return no_such(name) };
    if c.status != Status::Running {
        return Output::fail(1, format!("Error response from daemon: container {} is not running\n", c.id));
    }
    let mut options = crate::daemon::exec::ExecOptions { args: command.to_vec(), env, workdir, user, stdin: Vec::new(), detach };
    let process = crate::daemon::exec::process_of(&c, &options);
    // `-t` in a native container, from the `berth` binary: a real terminal of its own.
    if tty && host.native_stdio() && crate::daemon::native::supervised(&c) {
        return match crate::daemon::exec::exec_in(store, containers, host, &c, &options, crate::runtime::Console::Terminal { interactive }) {
            Ok((code, stdout, stderr)) => Output { code, stdout, stderr },
            Err(EngineError::Exec { message, status }) => Output::fail(status, format!("{message}\n")),
            Err(e) => engine_error(e),
        };
    }
    if interactive && tty && crate::runtime::is_interactive_shell(&process.argv) {
        if let Ok(Some(_)) = crate::daemon::attach::open_session(store, containers, &process, host, true) {
            return Output::ok("");
        }
    }
    if interactive && !detach {
        options.stdin = host.read_file("-").unwrap_or_default();
    }
    match crate::daemon::exec::exec(store, containers, host, &c, &options) {
        // Detached, nothing is shown and the status is not waited for.
        Ok(_) if detach => Output::ok(""),
        Ok((code, stdout, stderr)) => Output { code, stdout, stderr },
        Err(EngineError::Exec { message, status }) => Output::fail(status, format!("{message}\n")),
        Err(e) => engine_error(e),
    }
}

/// What one line typed into an attached container (`run -it … sh`) did.
pub struct AttachedLine {
    pub output: Output,
    /// The shell exited (with this status): the container has stopped.
    pub exited: Option<i32>,
}

/// Runs one line in the shell of a container started with `run -it` (or of an
/// `exec -it`) on a host that attached to it (see [`crate::daemon::attach::line`]).
pub fn attached_line(session: &mut crate::runtime::TtySession, line: &str, host: &dyn Host) -> AttachedLine {
    match crate::daemon::attach::line(session, line, host) {
        Ok(l) => AttachedLine { output: Output { code: l.status, stdout: l.stdout, stderr: l.stderr }, exited: l.exited.then_some(l.status) },
        Err(EngineError::NotFound(id)) => AttachedLine { output: no_such(&id), exited: Some(1) },
        Err(e) => AttachedLine { output: engine_error(e), exited: Some(1) },
    }
}

fn quote_command(argv: &[String]) -> String {
    let joined = argv.join(" ");
    let shown: String = if joined.chars().count() > 20 { joined.chars().take(19).collect::<String>() + "…" } else { joined };
    go_quote(&shown)
}

/// A string as Go's `strconv.Quote` writes it, as `docker ps` shows a command.
fn go_quote(s: &str) -> String {
    crate::dockerfile::dump::go_quote(s)
}

/// `ps`'s STATUS column: `Up 2 minutes`, `Exited (0) 5 seconds ago`, `Created`.
pub(crate) fn status_text(c: &Container, now: i64) -> String {
    match c.status {
        Status::Exited => format!("Exited ({}) {} ago", c.exit_code, human_duration(now - c.finished.unwrap_or(now))),
        Status::Created => "Created".into(),
        Status::Running if c.paused => format!("Up {} (Paused)", human_duration(now - c.started.unwrap_or(now))),
        Status::Running => format!("Up {}", human_duration(now - c.started.unwrap_or(now))),
        Status::Restarting => format!("Restarting ({}) {} ago", c.exit_code, human_duration(now - c.finished.unwrap_or(now))),
    }
}



fn ps(args: &[String], host: &dyn Host) -> Output {
    let p = match super::flags::parse(&PS, args) {
        Ok(p) => p,
        Err(out) => return out,
    };
    if let Err(out) = PS.arity(&p, 0, Some(0)) {
        return out;
    }
    let mut last = p.int("last");
    if last == -1 && p.bool("latest") {
        last = 1;
    }
    let options = crate::daemon::list::ListOptions {
        all: p.bool("all"),
        last,
        filters: p.filters(),
    };
    let (store, containers) = match open(host) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let list = match crate::daemon::list::list(&store, &containers, &options) {
        Ok(list) => list,
        Err(e) => return Output::fail(1, format!("Error response from daemon: {e}\n")),
    };
    let no_trunc = p.bool("no-trunc");
    let id = |c: &Container| if no_trunc { c.id.clone() } else { c.short_id() };
    if p.bool("quiet") {
        return Output::ok(list.iter().map(|c| format!("{}\n", id(c))).collect::<String>());
    }
    let size = p.bool("size");
    let now = host.now();
    let mut header = vec!["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"];
    if size {
        header.push("SIZE");
    }
    let mut rows = vec![header.iter().map(|s| s.to_string()).collect::<Vec<_>>()];
    let mut docs = Vec::new();
    for c in list {
        let status = status_text(c, now);
        let command = if no_trunc { go_quote(&c.argv.join(" ")) } else { quote_command(&c.argv) };
        let mut row = vec![id(c), c.image.clone(), command, format!("{} ago", human_duration(now - c.created)), status, String::new(), c.name.clone()];
        let rw = containers.upper(&c.id).map_or(0, |u| u.apparent_bytes());
        let virtual_size = rw + store.record(&c.image_id).map_or(0, |r| r.size);
        let size_text = format!("{} (virtual {})", human_size(rw), human_size(virtual_size));
        if size {
            row.push(size_text.clone());
        }
        let labels = c.config.config.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
        let mounts = c.mounts.iter().map(|m| m.source.clone()).collect::<Vec<_>>().join(",");
        let network = if !c.networks.is_empty() { c.networks.keys().cloned().collect::<Vec<_>>().join(",") } else if c.host_config.network.is_empty() || c.host_config.network == "default" { "bridge".to_string() } else { c.host_config.network.clone() };
        docs.push(serde_json::json!({"ID": row[0], "Image": row[1], "Command": row[2], "RunningFor": human_duration(now - c.created), "CreatedAt": crate::time::rfc3339(c.created), "Status": row[4], "State": crate::daemon::list::state(c), "Ports": "", "Names": row[6], "Size": size_text, "Labels": labels, "Mounts": mounts, "Networks": network}));
        rows.push(row);
    }
    if let Some(f) = p.value("format") {
        let fields = [("ID", "CONTAINER ID"), ("Image", "IMAGE"), ("Command", "COMMAND"), ("RunningFor", "CREATED"), ("CreatedAt", "CREATED AT"), ("Status", "STATUS"), ("State", "STATE"), ("Ports", "PORTS"), ("Names", "NAMES"), ("Size", "SIZE"), ("Labels", "LABELS"), ("Mounts", "MOUNTS"), ("Networks", "NETWORKS")];
        return super::format::format_rows(f, &fields, &docs).map_or_else(super::format::template_error, Output::ok);
    }
    Output::ok(table(&rows))
}

fn no_such(name: &str) -> Output {
    Output::fail(1, format!("Error response from daemon: No such container: {name}\n"))
}

fn logs(args: &[String], host: &dyn Host) -> Output {
    let p = match LOGS.read(args, 1, Some(1)) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let mut options = crate::daemon::logs::LogOptions { timestamps: p.bool("timestamps"), ..Default::default() };
    // docker/cli reads `--tail` as a number or `all`; dockerd refuses anything else.
    match p.value("tail") {
        None | Some("all") => {}
        Some(n) => match n.parse::<i64>() {
            Ok(n) if n >= 0 => options.tail = Some(n as usize),
            Ok(_) => {}
            Err(_) => return Output::fail(1, format!("Error response from daemon: invalid value for \"tail\": expected a number or \"all\", got \"{n}\"\n")),
        },
    }
    for flag in ["since", "until"] {
        if let Some(value) = p.value(flag) {
            let Some(at) = log_time(value, host.now()) else {
                return Output::fail(1, format!("invalid value for \"{flag}\": failed to parse value as time or duration: \"{value}\"\n"));
            };
            if flag == "since" {
                options.since = Some(at);
            } else {
                options.until = Some(at);
            }
        }
    }
    let follow = p.bool("follow");
    let name = &p.args[0];
    let (mut store, mut containers) = match open(host) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let Some(c) = containers.find(name).cloned() else { return no_such(name) };
    let (stdout, stderr, from) = match crate::daemon::logs::logs_to(&containers, &c, &options, host) {
        Ok(x) => x,
        Err(e) => return engine_error(e),
    };
    match (follow, host.follow()) {
        (true, Some(show)) => followed(crate::daemon::logs::follow(&mut store, &mut containers, &c, show, [stdout, stderr].concat(), from, host)),
        _ => Output { code: 0, stdout, stderr },
    }
}

/// How following a container ends, as `logs -f` and `attach` report it: Ctrl-C ends
/// them with 130 and leaves the container running; a process that exits ends them too.
fn followed(result: Result<crate::daemon::logs::Followed, EngineError>) -> Output {
    match result {
        Ok(f) => Output { code: if f.interrupted { 130 } else { 0 }, stdout: f.stdout, stderr: f.stderr },
        Err(e) => engine_error(e),
    }
}

/// `attach CONTAINER`: the running container's output from now on, as it comes, until it
/// exits or Ctrl-C (which detaches here and leaves it running: the emulated process gets
/// no signal from the terminal).
pub fn attach(args: &[String], host: &dyn Host) -> Output {
    let p = match ATTACH.read(args, 1, Some(1)) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let (name, keys_flag, no_stdin) = (&p.args[0], p.value("detach-keys"), p.bool("no-stdin"));
    let (mut store, mut containers) = match open(host) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let Some(c) = containers.find(name).cloned() else { return no_such(name) };
    // A native container under its supervisor: its own streams, both ways.
    if crate::daemon::native::supervised(&c) && host.native_stdio() {
        let keys = match crate::runtime::parse_detach_keys(keys_flag.unwrap_or("ctrl-p,ctrl-q")) {
            Ok(k) => k,
            Err(e) => return Output::fail(1, format!("Error response from daemon: {e}\n")),
        };
        if c.paused {
            return Output::fail(1, "You cannot attach to a paused container, unpause it first\n");
        }
        return match crate::daemon::attach::attach_native(&mut containers, &c, host, !no_stdin, keys) {
            Ok(crate::daemon::attach::NativeAttach::Exited(code)) => Output { code, stdout: Vec::new(), stderr: Vec::new() },
            Ok(crate::daemon::attach::NativeAttach::Detached) => Output::fail(1, "read escape sequence\n"),
            Err(e) => engine_error(e),
        };
    }
    match crate::daemon::attach::attach(&mut store, &mut containers, &c, host) {
        // `attach` ends with the container's exit status when it exits.
        Ok(Some(f)) => Output { code: f.status(), stdout: f.stdout, stderr: f.stderr },
        Ok(None) => Output::ok(""),
        Err(EngineError::Invalid(m)) => Output::fail(1, format!("{m}\n")),
        Err(e) => engine_error(e),
    }
}

/// `events [--since T] [--until T] [--filter K=V] [--format F]`: the engine's journal
/// (`daemon::events`) from `--since`, then, without `--until`, new events as they come
/// until Ctrl-C where the host has real time.
pub fn events(args: &[String], host: &dyn Host) -> Output {
    let p = match EVENTS.read(args, 0, Some(0)) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let now = host.now();
    let time = |flag: &str| -> Result<Option<i64>, Output> {
        match p.value(flag) {
            None => Ok(None),
            Some(v) => log_time(v, now).map(Some).ok_or_else(|| Output::fail(1, format!("Error response from daemon: invalid value for \"{flag}\": failed to parse value as time or duration: \"{v}\"\n"))),
        }
    };
    let (since, until) = match (time("since"), time("until")) {
        (Ok(s), Ok(u)) => (s, u),
        (Err(e), _) | (_, Err(e)) => return e,
    };
    let filters = p.filters();
    let format = p.value("format").filter(|f| !f.is_empty());
    let show_event = |e: &crate::daemon::events::Event| -> Result<String, Output> {
        Ok(match format {
            None => crate::daemon::events::line(e) + "\n",
            Some("json") => serde_json::json!({"Type": e.kind, "Action": e.action, "Actor": e.actor, "scope": "local", "time": e.time_nano / 1_000_000_000, "timeNano": e.time_nano}).to_string() + "\n",
            Some(f) => {
                let doc = serde_json::json!({"Type": e.kind, "Action": e.action, "Actor": {"ID": e.actor.id, "Attributes": e.actor.attributes}, "Scope": "local", "Time": e.time_nano / 1_000_000_000, "TimeNano": e.time_nano, "Status": e.action, "ID": e.actor.id, "From": e.actor.attributes.get("image")});
                super::template::render(f, &doc).map_err(super::format::template_error)? + "\n"
            }
        })
    };
    let read = || host.storage().map(|s| crate::daemon::events::read(s.as_ref())).unwrap_or_default();
    let mut out = String::new();
    let past = read();
    // Without --since only what happens from now on is shown, as dockerd streams it.
    let shown_past = past.iter().filter(|e| since.is_some_and(|s| e.time_nano >= s) && until.is_none_or(|u| e.time_nano <= u));
    for e in shown_past {
        match crate::daemon::events::matches(e, &filters) {
            Ok(true) => match show_event(e) {
                Ok(text) => out.push_str(&text),
                Err(o) => return o,
            },
            Ok(false) => {}
            Err(m) => return Output::fail(1, format!("Error response from daemon: {m}\n")),
        }
    }
    let (Some(show), None) = (host.follow(), until) else { return Output::ok(out) };
    let mut last = past.last().cloned();
    loop {
        if !show(&std::mem::take(&mut out), 1.0) {
            return Output { code: 130, stdout: Vec::new(), stderr: Vec::new() };
        }
        let all = read();
        // What follows the last event shown (the journal drops its oldest, so by
        // content, not by count).
        let from = match &last {
            None => 0,
            Some(l) => all.iter().rposition(|e| e == l).map_or_else(|| all.iter().position(|e| e.time_nano > l.time_nano).unwrap_or(all.len()), |i| i + 1),
        };
        last = all.last().cloned().or(last);
        for e in &all[from..] {
            if crate::daemon::events::matches(e, &filters).unwrap_or(false) {
                match show_event(e) {
                    Ok(text) => out.push_str(&text),
                    Err(o) => return o,
                }
            }
        }
    }
}

/// A `--since`/`--until` value in nanoseconds since the epoch: RFC 3339, Unix seconds
/// (`1700000000.5`) or a duration before `now` (`10m`).
fn log_time(value: &str, now: i64) -> Option<i64> {
    if let Some(secs) = crate::time::parse_duration(value) {
        return Some(((now as f64 - secs) * 1e9) as i64);
    }
    if let Ok(secs) = value.parse::<f64>() {
        return Some((secs * 1e9) as i64);
    }
    let secs = crate::time::parse_rfc3339(value)?;
    let fraction = value.split_once('.').map_or(0, |(_, f)| {
        let digits: String = f.chars().take_while(char::is_ascii_digit).take(9).collect();
        format!("{digits:0<9}").parse::<i64>().unwrap_or(0)
    });
    Some(secs.saturating_mul(1_000_000_000).saturating_add(fraction))
}

/// `rm [-f] [-v] CONTAINER...`. Berth makes no links (`run --link` is not applied), so
/// `-l` finds none to remove, in dockerd's words.
fn rm(args: &[String], host: &dyn Host) -> Output {
    let p = match RM.read(args, 1, None) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let (force, volumes) = (p.bool("force"), p.bool("volumes"));
    let names = &p.args;
    if p.bool("link") {
        let mut out = Output::ok("");
        for n in names {
            out.stderr.extend_from_slice(format!("Error response from daemon: Failed to remove link: No such link: {n}\n").as_bytes());
            out.code = 1;
        }
        return out;
    }
    let (_, mut containers) = match open(host) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let mut out = Output::ok("");
    for n in names {
        match crate::daemon::rm::remove(&mut containers, n, force, volumes, host) {
            Ok(_) => out.stdout.extend_from_slice(format!("{n}\n").as_bytes()),
            Err(e) => {
                out.stderr.extend_from_slice(format!("Error response from daemon: {e}\n").as_bytes());
                out.code = 1;
            }
        }
    }
    out
}

/// `start [-a] [-i] CONTAINER...`: as docker/cli, `-i` attaches as `-a` does.
fn start(args: &[String], host: &dyn Host) -> Output {
    let p = match START.read(args, 1, None) {
        Ok(p) => p,
        Err(out) => return out,
    };
    if p.changed("checkpoint") || p.changed("checkpoint-dir") {
        return Output::fail(1, "Error response from daemon: checkpoints are not supported: Berth does not checkpoint containers\n");
    }
    let attach = p.bool("attach") || p.bool("interactive");
    let names = &p.args;
    let (mut store, mut containers) = match open(host) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let mut out = Output::ok("");
    for n in names {
        let Some(c) = containers.find(n).cloned() else {
            out.stderr.extend_from_slice(format!("Error response from daemon: No such container: {n}\nError: failed to start containers: {n}\n").as_bytes());
            out.code = 1;
            continue;
        };
        let (executed, foreground) = if attach { crate::daemon::start::start_attached(&mut store, &mut containers, &c, host) } else { (start_container(&mut store, &mut containers, &c, host), false) };
        match executed {
            Ok((code, stdout, stderr)) if foreground => {
                out.stdout.extend_from_slice(&stdout);
                out.stderr.extend_from_slice(&stderr);
                out.code = code;
            }
            Ok((code, stdout, stderr)) => {
                let started = containers.find(&c.id).cloned();
                if attach {
                    // Attached: it goes on in real time, as `logs -f` follows it.
                    let followed = match (started, host.follow()) {
                        (Some(started), Some(show)) => match crate::daemon::logs::follow(&mut store, &mut containers, &started, show, [stdout, stderr].concat(), 0, host) {
                            Ok(f) => Output { code: f.status(), stdout: f.stdout, stderr: f.stderr },
                            Err(e) => engine_error(e),
                        },
                        // It ran to its end when it started (or cannot be followed here).
                        _ => Output { code, stdout, stderr },
                    };
                    out.stdout.extend_from_slice(&followed.stdout);
                    out.stderr.extend_from_slice(&followed.stderr);
                    out.code = followed.code;
                } else {
                    out.stdout.extend_from_slice(format!("{n}\n").as_bytes());
                }
            }
            Err(e) => {
                out.stderr.extend_from_slice(&engine_error(e).stderr);
                out.code = 1;
            }
        }
    }
    out
}

/// `--mount type=bind,source=…,target=…[,readonly]` as the `-v` spec it amounts to.
/// `tmpfs` mounts are modelled as anonymous volumes.
fn mount_to_volume(spec: &str) -> Result<String, String> {
    let (mut kind, mut source, mut target, mut ro) = ("volume".to_string(), String::new(), String::new(), false);
    let mut tmpfs_options: Vec<String> = Vec::new();
    let mut propagation: Option<String> = None;
    for field in spec.split(',') {
        let (k, v) = field.split_once('=').unwrap_or((field, ""));
        match k {
            "type" => kind = v.to_string(),
            "source" | "src" => source = v.to_string(),
            "target" | "destination" | "dst" => target = v.to_string(),
            "readonly" | "ro" => ro = matches!(v, "" | "true" | "1"),
            "tmpfs-size" => match crate::runtime::parse_memory(v) {
                Some(bytes) => tmpfs_options.push(format!("size={bytes}")),
                None => return Err(format!("invalid value for tmpfs-size: {v}")),
            },
            "tmpfs-mode" => match u32::from_str_radix(v.trim_start_matches("0o"), 8) {
                Ok(mode) => tmpfs_options.push(format!("mode={mode:o}")),
                Err(_) => return Err(format!("invalid value for tmpfs-mode: {v}")),
            },
            "bind-propagation" => match v {
                "private" | "rprivate" | "shared" | "rshared" | "slave" | "rslave" => propagation = Some(v.to_string()),
                _ => return Err(format!("invalid value for bind-propagation: {v}")),
            },
            "consistency" | "volume-nocopy" => {}
            other => return Err(format!("unexpected key '{other}' in '{field}'")),
        }
    }
    if target.is_empty() {
        return Err("target is required".into());
    }
    if kind == "tmpfs" {
        if !source.is_empty() {
            return Err("source must not be specified for tmpfs mounts".into());
        }
        if ro {
            tmpfs_options.push("ro".into());
        }
        return Ok(format!("tmpfs:{target}{}{}", if tmpfs_options.is_empty() { "" } else { ":" }, tmpfs_options.join(",")));
    }
    let ro = match (ro, &propagation) {
        (true, Some(p)) => format!(":ro,{p}"),
        (false, Some(p)) => format!(":{p}"),
        (true, None) => ":ro".to_string(),
        (false, None) => String::new(),
    };
    if propagation.is_some() && kind != "bind" {
        return Err("bind-propagation is only for bind mounts".into());
    }
    match kind.as_str() {
        "bind" if source.is_empty() => Err("source is required when specifying bind mount".into()),
        "bind" if !source.starts_with('/') && !source.starts_with('.') => Ok(format!("./{source}:{target}{ro}")),
        "bind" | "volume" if !source.is_empty() => Ok(format!("{source}:{target}{ro}")),
        "volume" => Ok(format!("{target}{ro}")),
        other => Err(format!("invalid mount type: {other}")),
    }
}

/// `docker cp` reports on stderr (stdout is for a tar stream), unless `-q`.
fn copied(quiet: bool, message: String) -> Output {
    Output { code: 0, stdout: Vec::new(), stderr: if quiet { Vec::new() } else { message.into() } }
}



/// `cp`: the copy is `vfs::walk`'s either way; `-a` and `-L` are read and not applied
/// (owners and links are as that walk keeps them).
fn cp(args: &[String], host: &dyn Host) -> Output {
    let p = match super::flags::parse(&CP, args) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let operands: Vec<&String> = p.args.iter().collect();
    let [src, dst] = operands[..] else {
        return Output::fail(1, format!("\"{prog} cp\" requires exactly 2 arguments.\nSee '{prog} cp --help'.\n\nUsage:  {prog} cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\t{prog} cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH\n", prog = super::flags::program()));
    };
    let (mut store, mut containers) = match open(host) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let split = |s: &str| s.split_once(':').filter(|(c, _)| !c.contains('/') && !c.is_empty()).map(|(c, p)| (c.to_string(), p.to_string()));
    use crate::daemon::cp::{from_container, to_container, CopyError};
    let copied_or = |r: Result<u64, CopyError>, to: String| match r {
        Ok(size) => copied(p.bool("quiet"), format!("Successfully copied {} to {to}\n", super::human_size(size))),
        Err(CopyError::NoSuchContainer(n)) => no_such(&n),
        Err(CopyError::Host(m)) => Output::fail(1, format!("{m}\n")),
        Err(CopyError::Daemon(m)) => Output::fail(1, format!("Error response from daemon: {m}\n")),
    };
    match (split(src), split(dst)) {
        (Some((cname, cpath)), None) => copied_or(from_container(&mut store, &containers, host, &cname, &cpath, dst), dst.to_string()),
        (None, Some((cname, cpath))) => copied_or(to_container(&mut store, &mut containers, host, src, &cname, &cpath), format!("{cname}:{cpath}")),
        _ => Output::fail(1, "must specify at least one container source\n"),
    }
}

/// `-p` specs as dockerd's `PortBindings` map: `"80/tcp": [{"HostIp": "", "HostPort":
/// "8080"}]`, a port range a binding per port (go-connections' `nat.ParsePortSpec`).
fn port_bindings(specs: &[String]) -> serde_json::Map<String, serde_json::Value> {
    let mut map = serde_json::Map::new();
    for b in crate::runtime::spec::port_bindings(specs) {
        let entry = map.entry(format!("{}/{}", b.container_port, b.proto)).or_insert_with(|| serde_json::Value::Array(Vec::new()));
        if let Some(list) = entry.as_array_mut() {
            list.push(serde_json::json!({"HostIp": b.host_ip, "HostPort": b.host_port}));
        }
    }
    map
}

/// What a running container's published ports are bound to, by `PORT/PROTO`: the
/// native runtime's (`ports.json` in its run directory); none for the emulated one.
fn bound_ports(c: &Container, host: &dyn Host) -> Vec<(String, String, u16)> {
    match (c.status == Status::Running, host.native_dir()) {
        (true, Some(dir)) if c.host_config.runtime == "native" => crate::runtime::native::live::Handle::of(&dir, &c.id).published().into_iter().map(|(ip, port, cport, proto)| (format!("{cport}/{proto}"), ip, port)).collect(),
        _ => Vec::new(),
    }
}

/// `port CONTAINER [PRIVATE_PORT[/PROTO]]`: the container's bound ports, as dockerd
/// reports them (`80/tcp -> 0.0.0.0:8080`). What `-p` asked for and is not bound (the
/// emulated runtime binds none; UDP is not relayed) is said to be so on stderr.
pub fn port(args: &[String], host: &dyn Host) -> Output {
    let p = match PORT.read(args, 1, Some(2)) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let (_, containers) = match open(host) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let Some(c) = containers.find(&p.args[0]) else { return no_such(&p.args[0]) };
    let asked: std::collections::BTreeMap<String, ()> = c.published_ports().into_iter().map(|b| (format!("{}/{}", b.container_port, b.proto), ())).collect();
    let bound = bound_ports(c, host);
    let unbound: Vec<String> = asked.keys().filter(|k| !bound.iter().any(|(b, _, _)| b == *k)).cloned().collect();
    match p.args.get(1) {
        Some(private) => {
            let key = if private.contains('/') { private.clone() } else { format!("{private}/tcp") };
            let here: Vec<String> = bound.iter().filter(|(k, _, _)| *k == key).map(|(_, ip, port)| format!("{ip}:{port}\n")).collect();
            if !here.is_empty() {
                Output::ok(here.concat())
            } else if asked.contains_key(&key) {
                Output::fail(1, format!("berth: {} asks for {key} to be published (-p); it is not bound: {}\n", c.name, not_bound_why(c)))
            } else {
                Output::fail(1, format!("Error: No public port '{key}' published for {}\n", p.args[0]))
            }
        }
        None => {
            let mut out = Output::ok(bound.iter().map(|(k, ip, port)| format!("{k} -> {ip}:{port}\n")).collect::<String>());
            if !unbound.is_empty() {
                out.stderr = format!("berth: {} asks for {} to be published (-p); {} not bound: {}\n", c.name, unbound.join(", "), if unbound.len() == 1 { "it is" } else { "they are" }, not_bound_why(c)).into_bytes();
            }
            out
        }
    }
}

/// Why a port `-p` asked for is not bound.
fn not_bound_why(c: &Container) -> &'static str {
    if c.status != Status::Running {
        "the container is not running"
    } else if c.host_config.runtime == "native" {
        "the native runtime relays TCP and UDP ports only"
    } else {
        "no traffic flows on the emulated runtime's container networks yet"
    }
}

/// `export [-o FILE] CONTAINER`: the container's filesystem as a tar, to the file or to
/// stdout where that is not a terminal (docker/cli's refusal otherwise).
pub fn export(args: &[String], host: &dyn Host) -> Output {
    let p = match EXPORT.read(args, 1, Some(1)) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let output = p.value("output").filter(|o| !o.is_empty());
    if output.is_none() && host.stdout_is_terminal() {
        return Output::fail(1, "cowardly refusing to save to a terminal. Use the -o flag or redirect\n");
    }
    let (mut store, containers) = match open(host) {
        Ok(x) => x,
        Err(e) => return e,
    };
    match (crate::daemon::cp::export(&mut store, &containers, &p.args[0]), output) {
        (Ok(data), None) => Output::ok(data),
        (Ok(data), Some(file)) => match host.write_file(file, &data) {
            Ok(()) => Output::ok(""),
            Err(e) => Output::fail(1, format!("failed to export container: {e}\n")),
        },
        (Err(crate::daemon::cp::CopyError::NoSuchContainer(n)), _) => no_such(&n),
        (Err(crate::daemon::cp::CopyError::Host(m) | crate::daemon::cp::CopyError::Daemon(m)), _) => Output::fail(1, format!("Error response from daemon: {m}\n")),
    }
}

/// `inspect`, `container inspect` and `image inspect`: each name as a container or an
/// image (containers first, as dockerd looks), narrowed by `--type` or the command; `-s`
/// adds a container's `SizeRw` and `SizeRootFs`. `--type volume` is `volume inspect`'s.
pub fn inspect(table: &'static Command, args: &[String], host: &dyn Host) -> Output {
    let p = match table.read(args, 1, None) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let format = p.value("format").map(str::to_string);
    let names = &p.args;
    let only = match table.path {
        "container inspect" => Some("container"),
        "image inspect" => Some("image"),
        _ => p.value("type"),
    };
    match only {
        None | Some("container" | "image") => {}
        Some("volume") => {
            let mut volume_args = vec!["inspect".to_string()];
            volume_args.extend(format.iter().map(|f| format!("--format={f}")));
            volume_args.push("--".into());
            volume_args.extend(names.iter().cloned());
            return volume(&volume_args, host);
        }
        Some("network") => {
            let mut network_args = vec!["inspect".to_string()];
            network_args.extend(format.iter().map(|f| format!("--format={f}")));
            network_args.push("--".into());
            network_args.extend(names.iter().cloned());
            return super::network::run(&network_args, host);
        }
        // Berth keeps none of these: what dockerd says of a name it has not.
        Some("config" | "node" | "plugin" | "secret" | "service" | "task") => return Output { code: 1, stdout: b"[]\n".to_vec(), stderr: names.iter().map(|n| format!("Error: No such object: {n}\n")).collect::<String>().into_bytes() },
        Some(other) => return Output::fail(1, format!("\"{other}\" is not a valid value for --type\n")),
    }
    // As the docker CLI: what was found goes to stdout (`[]` when nothing was), each
    // name not found is an error on stderr, and the status is 1.
    let missing = |n: &str| match only {
        Some("container") => format!("Error: No such container: {n}\n"),
        Some("image") => format!("Error: No such image: {n}\n"),
        _ => format!("Error: No such object: {n}\n"),
    };
    let mut errors = String::new();
    let (store, containers) = match open(host) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let network_list = crate::daemon::network::load(&containers, host.now()).unwrap_or_default();
    let mut docs = Vec::new();
    for n in names {
        if let Some(c) = containers.find(n).filter(|_| only != Some("image")) {
            let status = crate::daemon::list::state(c);
            // The host's PID of a native container's process (an emulated one has none).
            let pid = match (c.status == Status::Running, host.native_dir()) {
                (true, Some(dir)) if c.host_config.runtime == "native" => crate::runtime::native::live::Handle::of(&dir, &c.id).pid().unwrap_or(0),
                _ => 0,
            };
            let networks = crate::daemon::network::settings(c, &network_list);
            let bridge = networks.get("bridge").cloned().unwrap_or_else(|| serde_json::json!({"IPAddress": "", "IPPrefixLen": 0, "Gateway": "", "MacAddress": ""}));
            docs.push(serde_json::json!({
                "Id": c.id,
                "Created": crate::time::rfc3339(c.created),
                "Path": c.argv.first(),
                "Args": c.argv.get(1..).unwrap_or(&[]),
                "State": {"Status": status, "Running": c.status == Status::Running, "Paused": c.paused, "Restarting": c.status == Status::Restarting, "OOMKilled": c.oom_killed, "Dead": false, "Pid": pid, "ExitCode": c.exit_code, "StartedAt": c.started.map_or_else(|| "0001-01-01T00:00:00Z".to_string(), crate::time::rfc3339), "FinishedAt": c.finished.map_or_else(|| "0001-01-01T00:00:00Z".to_string(), crate::time::rfc3339)},
                "RestartCount": c.restart_count,
                "Image": c.image_id.to_string(),
                "Name": format!("/{}", c.name),
                "Mounts": c.mounts.iter().map(|m| serde_json::json!({"Type": m.kind, "Source": m.source, "Destination": m.target, "RW": !m.read_only})).collect::<Vec<_>>(),
                // The networks' records and addresses (`daemon::network`), and the ports
                // bound for `-p` (natively; what was asked is in PortBindings).
                "NetworkSettings": {
                    "Ports": bound_ports(c, host).into_iter().fold(serde_json::Map::new(), |mut m, (k, ip, port)| {
                        if let Some(list) = m.entry(k).or_insert_with(|| serde_json::json!([])).as_array_mut() {
                            list.push(serde_json::json!({"HostIp": ip, "HostPort": port.to_string()}));
                        }
                        m
                    }),
                    "IPAddress": bridge["IPAddress"],
                    "IPPrefixLen": bridge["IPPrefixLen"],
                    "Gateway": bridge["Gateway"],
                    "MacAddress": bridge["MacAddress"],
                    "Networks": networks,
                },
                "Config": {"Hostname": c.hostname, "User": c.user, "Tty": c.tty, "OpenStdin": c.open_stdin, "StdinOnce": c.open_stdin, "AttachStdin": c.open_stdin, "Env": c.env, "Cmd": c.argv, "Image": c.image, "WorkingDir": c.working_dir, "Labels": c.config.config.labels, "ExposedPorts": c.config.config.exposed_ports, "StopSignal": c.config.config.stop_signal, "StopTimeout": c.host_config.stop_timeout},
                "HostConfig": {
                    "NetworkMode": if c.host_config.network.is_empty() { "default" } else { c.host_config.network.as_str() },
                    "Memory": c.host_config.memory,
                    "NanoCpus": c.host_config.nano_cpus,
                    "IpcMode": if c.host_config.ipc.is_empty() { "private" } else { c.host_config.ipc.as_str() },
                    "Init": c.host_config.init.then_some(true),
                    "RestartPolicy": {"Name": if c.host_config.restart.name.is_empty() { "no" } else { c.host_config.restart.name.as_str() }, "MaximumRetryCount": c.host_config.restart.maximum_retry_count},
                    "Runtime": if c.host_config.runtime.is_empty() { crate::runtime::DEFAULT_RUNTIME } else { c.host_config.runtime.as_str() },
                    "AutoRemove": c.auto_remove,
                    "PortBindings": port_bindings(&c.ports),
                    "PublishAllPorts": c.host_config.publish_all,
                    // Berth's own: options accepted and recorded, not applied, and why.
                    "BerthNotApplied": c.host_config.not_applied.iter().map(|(k, v)| (format!("--{k}"), serde_json::json!({"Values": v, "Why": super::run_flags::not_applied(k)}))).collect::<serde_json::Map<_, _>>(),
                },
            }));
            if p.bool("size") {
                // As `ps -s` counts them: the writable layer, and it over the image.
                let rw = containers.upper(&c.id).map_or(0, |u| u.apparent_bytes());
                let root = rw + store.record(&c.image_id).map_or(0, |r| r.size);
                if let Some(doc) = docs.last_mut().and_then(|d| d.as_object_mut()) {
                    doc.insert("SizeRw".into(), rw.into());
                    doc.insert("SizeRootFs".into(), root.into());
                }
            }
        } else if let Some(r) = store.resolve(n).filter(|_| only != Some("container")) {
            let config = store.config(&r.id).ok();
            docs.push(serde_json::json!({
                "Id": r.id.to_string(),
                "RepoTags": r.tags.iter().map(|t| familiar(t)).collect::<Vec<_>>(),
                "RepoDigests": r.repo_digest.iter().collect::<Vec<_>>(),
                "Created": r.created,
                "Architecture": config.as_ref().map(|c| c.architecture.clone()),
                "Os": config.as_ref().map(|c| c.os.clone()),
                // Berth's own: the image's files are modelled (a catalog image), so it
                // runs on the emulated runtime only.
                "Modelled": store.has_catalog_layer(&r.id),
                "Size": r.size,
                "Config": config.as_ref().map(|c| serde_json::to_value(&c.config).unwrap_or_default()),
                "RootFS": config.as_ref().map(|c| serde_json::json!({"Type": "layers", "Layers": c.rootfs.diff_ids})),
            }));
        } else {
            errors.push_str(&missing(n));
        }
    }
    let mut out = match format.filter(|f| !f.is_empty() && f != "json") {
        Some(f) => {
            let mut out = String::new();
            for d in &docs {
                match super::template::render(&f, d) {
                    Ok(text) => out.push_str(&text),
                    Err(e) => return super::format::template_error(e),
                }
                out.push('\n');
            }
            Output::ok(out)
        }
        None => Output::ok(serde_json::to_string_pretty(&docs).unwrap_or_default() + "\n"),
    };
    if !errors.is_empty() {
        out.code = 1;
        out.stderr = errors.into_bytes();
    }
    out
}



const CLUSTER: &str = "cluster volumes need a swarm, which Berth does not have";

/// `volume create|ls|inspect|rm|prune|update`.
pub fn volume(args: &[String], host: &dyn Host) -> Output {
    let Some((sub, rest)) = args.split_first() else {
        return Output::ok(format!("Usage:  {prog} volume COMMAND\n\nManage volumes\n\nCommands:\n  create      Create a volume\n  inspect     Display detailed information on one or more volumes\n  ls          List volumes\n  prune       Remove unused local volumes\n  rm          Remove one or more volumes\n  update      Update a volume (cluster volumes only)\n", prog = super::flags::program()));
    };
    let command = match sub.as_str() {
        "create" => &VOLUME_CREATE,
        "ls" | "list" => &VOLUME_LS,
        "inspect" => &VOLUME_INSPECT,
        "prune" => &VOLUME_PRUNE,
        "rm" | "remove" => &VOLUME_RM,
        "update" => &VOLUME_UPDATE,
        other => return Output::fail(1, format!("{prog}: 'volume {other}' is not a {prog} command.\nSee '{prog} --help'\n", prog = super::flags::program())),
    };
    let p = match super::flags::parse(command, rest) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let arity = match sub.as_str() {
        "create" | "update" => command.arity(&p, 0, Some(1)),
        "ls" | "list" | "prune" => command.arity(&p, 0, Some(0)),
        _ => command.arity(&p, 1, None),
    };
    if let Err(out) = arity {
        return out;
    }
    let filters = if command.flags.iter().any(|f| f.long == "filter") { p.filters() } else { Vec::new() };
    let names: Vec<&String> = p.args.iter().collect();
    let (_, mut containers) = match open(host) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let all = containers.volumes();
    let labels = containers.volume_labels();
    let labels_text = |n: &str| labels.get(n).map(|l| l.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")).unwrap_or_default();
    match sub.as_str() {
        "create" => {
            let cluster = ["availability", "group", "limit-bytes", "required-bytes", "scope", "secret", "sharing", "topology-preferred", "topology-required", "type"];
            if let Some(f) = cluster.iter().find(|f| p.changed(f)) {
                return Output::fail(1, format!("Error response from daemon: --{f}: {CLUSTER}\n"));
            }
            if let Some(driver) = p.value("driver").filter(|d| *d != "local") {
                return Output::fail(1, format!("Error response from daemon: create {}: error looking up volume plugin {driver}: plugin \"{driver}\" not found\n", names.first().map_or("", |n| n.as_str())));
            }
            if let Some(opt) = p.values("opt").first() {
                return Output::fail(1, format!("Error response from daemon: create {}: the local driver's options (type, device, o: a mount of the host's) are not supported by Berth: {opt}\n", names.first().map_or("", |n| n.as_str())));
            }
            let labels = p.values("label").iter().map(|l| l.split_once('=').map_or((l.to_string(), String::new()), |(k, v)| (k.to_string(), v.to_string()))).collect();
            let name = names.first().map(|n| n.as_str()).or(p.value("name"));
            match crate::daemon::volume::create_labelled(&mut containers, name, host.now(), &labels) {
                Ok(name) => Output::ok(format!("{name}\n")),
                Err(e) => Output::fail(1, format!("Error response from daemon: {e}\n")),
            }
        }
        "ls" | "list" => {
            if p.bool("cluster") {
                return Output::fail(1, format!("Error response from daemon: {CLUSTER}\n"));
            }
            let shown = match crate::daemon::volume::list(&containers, &filters) {
                Ok(s) => s,
                Err(e) => return Output::fail(1, format!("Error response from daemon: {e}\n")),
            };
            if p.bool("quiet") {
                return Output::ok(shown.iter().map(|n| format!("{n}\n")).collect::<String>());
            }
            if let Some(f) = p.value("format") {
                let docs: Vec<_> = shown.iter().map(|n| serde_json::json!({"Driver": "local", "Name": n, "Scope": "local", "Mountpoint": format!("/var/lib/docker/volumes/{n}/_data"), "Labels": labels_text(n)})).collect();
                return super::format::format_rows(f, &[("Driver", "DRIVER"), ("Name", "VOLUME NAME"), ("Scope", "SCOPE"), ("Mountpoint", "MOUNTPOINT"), ("Labels", "LABELS")], &docs).map_or_else(super::format::template_error, Output::ok);
            }
            let mut rows = vec![vec!["DRIVER".to_string(), "VOLUME NAME".to_string()]];
            rows.extend(shown.iter().map(|n| vec!["local".to_string(), n.clone()]));
            Output::ok(table(&rows))
        }
        "inspect" => super::format::inspect_each(p.value("format"), names.iter().copied(), |n| match all.get(n) {
            Some((created, _)) => Ok(serde_json::json!({"CreatedAt": crate::time::rfc3339(*created), "Driver": "local", "Labels": labels.get(n), "Mountpoint": format!("/var/lib/docker/volumes/{n}/_data"), "Name": n, "Options": null, "Scope": "local"})),
            None => Err(format!("get {n}: no such volume")),
        }),
        "rm" | "remove" => {
            let mut out = Output::ok("");
            for n in &names {
                match crate::daemon::volume::remove(&mut containers, n, host.now()) {
                    Ok(()) => out.stdout.extend_from_slice(format!("{n}\n").as_bytes()),
                    // `-f`: a volume that is not there is not an error.
                    Err(EngineError::Invalid(m)) if p.bool("force") && m.ends_with("no such volume") => out.stdout.extend_from_slice(format!("{n}\n").as_bytes()),
                    Err(e) => {
                        out.stderr.extend_from_slice(format!("Error response from daemon: {e}\n").as_bytes());
                        out.code = 1;
                    }
                }
            }
            out
        }
        "prune" => {
            let deleted = match crate::daemon::volume::prune_filtered(&mut containers, p.bool("all"), &filters) {
                Ok(d) => d,
                Err(e) => return Output::fail(1, format!("Error response from daemon: {e}\n")),
            };
            let mut text = String::new();
            if !deleted.is_empty() {
                text.push_str("Deleted Volumes:\n");
                for d in &deleted {
                    text.push_str(&format!("{d}\n"));
                }
                text.push('\n');
            }
            text.push_str("Total reclaimed space: 0B\n");
            Output::ok(text)
        }
        _ => Output::fail(1, format!("Error response from daemon: volume update: {CLUSTER}\n")),
    }
}

/// `diff CONTAINER`: what the container changed, as `A`dded, `C`hanged and `D`eleted
/// paths of its writable layer against its image.
pub fn diff(args: &[String], host: &dyn Host) -> Output {
    let p = match DIFF.read(args, 1, Some(1)) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let name = &p.args[0];
    let (mut store, containers) = match open(host) {
        Ok(x) => x,
        Err(e) => return e,
    };
    match crate::daemon::commit::diff(&mut store, &containers, name) {
        Ok(changes) => Output::ok(changes.iter().map(|(kind, path)| format!("{kind} {path}\n")).collect::<String>()),
        Err(EngineError::NotFound(n)) => no_such(&n),
        Err(e) => Output::fail(1, format!("Error response from daemon: {e}\n")),
    }
}

/// `commit [-m MESSAGE] CONTAINER [REPOSITORY[:TAG]]`: the container's writable layer
/// on top of its image, with the container's command as CMD.
pub fn commit(args: &[String], host: &dyn Host) -> Output {
    let p = match COMMIT.read(args, 1, Some(2)) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let (name, message) = (&p.args[0], p.value("message").map(str::to_string));
    let changes: Vec<String> = p.values("change").iter().map(|c| c.to_string()).collect();
    let (mut store, containers) = match open(host) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let options = crate::daemon::commit::CommitOptions { message, tag: p.args.get(1).cloned(), author: p.value("author").map(str::to_string), changes };
    match crate::daemon::commit::commit(&mut store, &containers, name, &options, host.now()) {
        Ok(id) => Output::ok(format!("{id}\n")),
        Err(EngineError::NotFound(n)) => no_such(&n),
        Err(e) => Output::fail(1, format!("Error response from daemon: {e}\n")),
    }
}

/// `stats [--no-stream] [-a] [CONTAINER...]`: each running container's CPU, memory,
/// network and PIDs from its cgroups (the native runtime's; an emulated container has
/// none, and shows `--`). Without `--no-stream` the table is drawn again every second
/// until Ctrl-C, where the host has real time.
pub fn stats(args: &[String], host: &dyn Host) -> Output {
    let p = match STATS.read(args, 0, None) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let (no_stream, all, no_trunc) = (p.bool("no-stream"), p.bool("all"), p.bool("no-trunc"));
    let format = p.value("format").filter(|f| !f.is_empty() && *f != "table").map(|f| if f == "json" { "{{json .}}" } else { f });
    let names = &p.args;
    let table = |host: &dyn Host| -> Result<String, Output> {
        let (_, containers) = open(host)?;
        let mut list: Vec<Container> = Vec::new();
        if names.is_empty() {
            list = containers.list.values().filter(|c| all || c.status == Status::Running).cloned().collect();
            list.sort_by_key(|c| std::cmp::Reverse(c.created));
        } else {
            for n in names {
                match containers.find(n) {
                    Some(c) => list.push(c.clone()),
                    None => return Err(Output::fail(1, format!("Error response from daemon: No such container: {n}\n"))),
                }
            }
        }
        let stats = crate::daemon::native::stats(host, &list, std::time::Duration::from_millis(250));
        if let Some(format) = format {
            // docker/cli's stats fields, each as the table shows it.
            let docs: Vec<serde_json::Value> = list
                .iter()
                .zip(&stats)
                .map(|(c, s)| {
                    let id = if no_trunc { c.id.clone() } else { c.short_id() };
                    let dash = || "--".to_string();
                    serde_json::json!({
                        "Container": names.iter().find(|n| c.id.starts_with(n.as_str()) || c.name == **n).cloned().unwrap_or_else(|| id.clone()),
                        "ID": id,
                        "Name": c.name,
                        "CPUPerc": s.as_ref().map_or_else(dash, |s| format!("{:.2}%", s.cpu_percent)),
                        "MemUsage": s.as_ref().map_or_else(|| "-- / --".into(), |s| format!("{} / {}", crate::units::bytes_size(s.memory), crate::units::bytes_size(s.limit))),
                        "MemPerc": s.as_ref().map_or_else(dash, |s| format!("{:.2}%", if s.limit > 0 { s.memory as f64 / s.limit as f64 * 100.0 } else { 0.0 })),
                        "NetIO": s.as_ref().map_or_else(dash, |s| format!("{} / {}", crate::units::human_size(s.net.0), crate::units::human_size(s.net.1))),
                        "BlockIO": "--",
                        "PIDs": s.as_ref().map_or_else(dash, |s| s.pids.to_string()),
                    })
                })
                .collect();
            let fields = [("Container", "CONTAINER"), ("ID", "CONTAINER ID"), ("Name", "NAME"), ("CPUPerc", "CPU %"), ("MemUsage", "MEM USAGE / LIMIT"), ("MemPerc", "MEM %"), ("NetIO", "NET I/O"), ("BlockIO", "BLOCK I/O"), ("PIDs", "PIDS")];
            return super::format::format_rows(format, &fields, &docs).map_err(super::format::template_error);
        }
        let mut rows = vec![["CONTAINER ID".to_string(), "NAME".into(), "CPU %".into(), "MEM USAGE / LIMIT".into(), "MEM %".into(), "NET I/O".into(), "BLOCK I/O".into(), "PIDS".into()]];
        for (c, s) in list.iter().zip(stats) {
            let row = match s {
                Some(s) => [
                    if no_trunc { c.id.clone() } else { c.short_id() },
                    c.name.clone(),
                    format!("{:.2}%", s.cpu_percent),
                    format!("{} / {}", crate::units::bytes_size(s.memory), crate::units::bytes_size(s.limit)),
                    format!("{:.2}%", if s.limit > 0 { s.memory as f64 / s.limit as f64 * 100.0 } else { 0.0 }),
                    format!("{} / {}", crate::units::human_size(s.net.0), crate::units::human_size(s.net.1)),
                    "--".into(),
                    s.pids.to_string(),
                ],
                // Not running, or on a runtime without cgroups.
                None => [c.short_id(), c.name.clone(), "--".into(), "-- / --".into(), "--".into(), "--".into(), "--".into(), "--".into()],
            };
            rows.push(row);
        }
        let widths: Vec<usize> = (0..8).map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
        let mut out = String::new();
        for r in &rows {
            let line: Vec<String> = r.iter().enumerate().map(|(i, cell)| if i == 7 { cell.clone() } else { format!("{cell:<w$}   ", w = widths[i]) }).collect();
            out.push_str(line.concat().trim_end());
            out.push('\n');
        }
        Ok(out)
    };
    if no_stream {
        return match table(host) {
            Ok(t) => Output::ok(t),
            Err(e) => e,
        };
    }
    let Some(show) = host.follow() else {
        return match table(host) {
            Ok(t) => Output::ok(t),
            Err(e) => e,
        };
    };
    loop {
        match table(host) {
            // Drawn over the last one, as Docker's live table is.
            Ok(t) => {
                if !show(&format!("\x1b[2J\x1b[H{t}"), 1.0) {
                    return Output::ok("");
                }
            }
            Err(e) => return e,
        }
    }
}

/// One of the resource flags `run` and `update` share, into `h`.
fn set_resource(h: &mut crate::runtime::HostOptions, flag: &str, v: &str) -> Result<(), Output> {
    let bad = |what: &str| Output::fail(125, format!("invalid argument \"{v}\" for \"{flag}\" flag: {what}\nSee '{prog} run --help'.\n", prog = super::flags::program()));
    let int = |v: &str| v.parse::<i64>().map_err(|_| bad(&format!("strconv.ParseInt: parsing \"{v}\": invalid syntax")));
    match flag {
        "--memory" | "-m" => match crate::runtime::parse_memory(v) {
            Some(bytes) if bytes == 0 || bytes >= 6 << 20 => h.memory = bytes,
            Some(_) => return Err(daemon("Minimum memory limit allowed is 6MB", 125)),
            None => return Err(bad(&format!("invalid size: '{v}'"))),
        },
        "--memory-swap" => h.memory_swap = if v == "-1" { -1 } else { crate::runtime::parse_memory(v).and_then(|b| i64::try_from(b).ok()).ok_or_else(|| bad(&format!("invalid size: '{v}'")))? },
        "--memory-reservation" => h.memory_reservation = crate::runtime::parse_memory(v).ok_or_else(|| bad(&format!("invalid size: '{v}'")))?,
        "--cpu-shares" | "-c" => h.cpu_shares = u64::try_from(int(v)?).unwrap_or(0),
        "--cpu-period" => h.cpu_period = u64::try_from(int(v)?).unwrap_or(0),
        "--cpu-quota" => h.cpu_quota = int(v)?,
        "--cpus" => match v.parse::<f64>() {
            Ok(n) if n >= 0.0 => h.nano_cpus = (n * 1e9) as u64,
            _ => return Err(bad(&format!("failed to parse {v} as a rational number"))),
        },
        "--cpuset-cpus" => {
            if !v.split(',').all(|r| r.split('-').all(|n| n.parse::<u32>().is_ok())) {
                return Err(daemon(&format!("Invalid value {v} for cpuset cpus"), 125));
            }
            h.cpuset_cpus = v.to_string();
        }
        "--pids-limit" => h.pids_limit = u64::try_from(int(v)?).unwrap_or(0),
        _ => return Err(Output::fail(125, format!("unknown flag: {flag}\n"))),
    }
    Ok(())
}

/// Docker's checks of resource flags that go together.
fn check_resources(h: &crate::runtime::HostOptions) -> Result<(), Output> {
    if h.memory_swap > 0 && h.memory == 0 {
        return Err(daemon("You should always set the Memory limit when using Memoryswap limit, see usage", 125));
    }
    if h.memory_swap > 0 && (h.memory_swap as u64) < h.memory {
        return Err(daemon("Minimum memoryswap limit should be larger than memory limit, see usage", 125));
    }
    if h.memory_reservation > 0 && h.memory > 0 && h.memory_reservation > h.memory {
        return Err(daemon("Minimum memory limit can not be less than memory reservation limit, see usage", 125));
    }
    if h.nano_cpus > 0 && (h.cpu_period > 0 || h.cpu_quota != 0) {
        return Err(daemon("Conflicting options: Nano CPUs and CPU Period cannot both be set", 125));
    }
    Ok(())
}

/// `update [--memory …] [--cpus …] [--pids-limit …] [--restart …] CONTAINER...`: a
/// container's limits and restart policy changed; a running native one's cgroups take
/// them at once.
pub fn update(args: &[String], host: &dyn Host) -> Output {
    let p = match UPDATE.read(args, 1, None) {
        Ok(p) => p,
        Err(out) => return out,
    };
    // The memory limit first: the checks of swap and reservation are against it.
    let applied = ["memory", "memory-swap", "memory-reservation", "cpus", "cpu-shares", "cpu-period", "cpu-quota", "cpuset-cpus", "pids-limit", "restart"];
    let changes: Vec<(String, String)> = applied.iter().filter_map(|f| p.value(f).map(|v| (format!("--{f}"), v.to_string()))).collect();
    // Read, checked and kept for `inspect`, as `run` keeps them (`kernel-memory` is gone
    // from cgroup v2 and from dockerd, which ignores it).
    let recorded: Vec<(&str, Vec<String>)> = ["blkio-weight", "cpu-rt-period", "cpu-rt-runtime", "cpuset-mems"].iter().filter(|f| p.changed(f)).map(|f| (*f, p.values(f).iter().map(|v| v.to_string()).collect())).collect();
    let names = &p.args;
    let (_, mut containers) = match open(host) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let mut out = Output::ok("");
    for n in names {
        let Some(c) = containers.find(n).cloned() else {
            out.stderr.extend_from_slice(format!("Error response from daemon: No such container: {n}\n").as_bytes());
            out.code = 1;
            continue;
        };
        let mut h = c.host_config.clone();
        for (flag, v) in &changes {
            let r = if flag == "--restart" {
                crate::daemon::monitor::parse_restart_policy(v).map(|p| h.restart = p).map_err(|e| daemon(&e.to_string(), 125))
            } else {
                set_resource(&mut h, flag, v)
            };
            if let Err(e) = r.and_then(|()| check_resources(&h)) {
                return e;
            }
        }
        for (flag, values) in &recorded {
            h.not_applied.insert(flag.to_string(), values.clone());
        }
        if let Err(e) = crate::daemon::native::update(&c, &h, host) {
            out.stderr.extend_from_slice(format!("Error response from daemon: Cannot update container {}: {e}\n", c.id).as_bytes());
            out.code = 1;
            continue;
        }
        if let Some(r) = containers.list.get_mut(&c.id) {
            r.host_config = h;
        }
        out.stdout.extend_from_slice(format!("{n}\n").as_bytes());
    }
    if let Err(e) = containers.save() {
        return Output::fail(1, format!("berth: {e}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn ps_quotes_a_command_as_go_does() {
        let argv = ["sh".to_string(), "-c".to_string(), "\n  echo \"hi\"\tthere".to_string()];
        assert_eq!(super::quote_command(&argv), "\"sh -c \\n  echo \\\"hi\\\"\\t…\"");
        assert_eq!(super::go_quote("a\\b\u{1}"), "\"a\\\\b\\x01\"");
    }
}
