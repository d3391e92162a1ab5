//! The system tools of a machine the student administers (the sandbox's Ubuntu host, as
//! Killercoda's is): `sudo`, `systemctl` and `service`. The services are the ones the
//! engine provides: `docker` (with `docker.socket` and `containerd`), whose state is kept
//! in [`STOPPED_UNITS`] so that `systemctl stop docker` makes `docker` fail as it does
//! when the daemon is down, and `start` brings it back. Any other unit is not found, as on
//! a machine that lacks it.

use super::files::{id_of, name_of};
use super::Ctx;
use crate::vfs::{Attrs, Content, FileSystem};

/// The units stopped with `systemctl stop`, one name a line.
pub const STOPPED_UNITS: &str = "/run/berth/stopped-units";

/// What Docker answers when its daemon is not running.
pub const DAEMON_DOWN: &str = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?";

struct Unit {
    name: &'static str,
    description: &'static str,
    docs: &'static str,
    file: &'static str,
}

const UNITS: &[Unit] = &[
    Unit { name: "docker.service", description: "Docker Application Container Engine", docs: "https://docs.docker.com", file: "/usr/lib/systemd/system/docker.service" },
    Unit { name: "docker.socket", description: "Docker Socket for the API", docs: "", file: "/usr/lib/systemd/system/docker.socket" },
    Unit { name: "containerd.service", description: "containerd container runtime", docs: "https://containerd.io", file: "/usr/lib/systemd/system/containerd.service" },
];

/// A unit's full name: `docker` is `docker.service`.
fn unit_name(name: &str) -> String {
    if name.contains('.') {
        name.to_string()
    } else {
        format!("{name}.service")
    }
}

fn find(name: &str) -> Option<&'static Unit> {
    let full = unit_name(name);
    UNITS.iter().find(|u| u.name == full)
}

fn stopped(fs: &dyn FileSystem) -> Vec<String> {
    fs.read(STOPPED_UNITS).map(|b| String::from_utf8_lossy(&b).lines().map(str::to_string).collect()).unwrap_or_default()
}

/// Whether the docker daemon runs on this host (it does until `systemctl stop docker`).
pub fn docker_running(fs: &dyn FileSystem) -> bool {
    !stopped(fs).iter().any(|u| u == "docker.service")
}

fn set_stopped(fs: &mut dyn FileSystem, unit: &str, stop: bool) {
    let mut units = stopped(fs);
    units.retain(|u| u != unit);
    if stop {
        units.push(unit.to_string());
    }
    let _ = fs.create_dir_all("/run/berth", 0o755);
    let text: String = units.iter().map(|u| format!("{u}\n")).collect();
    let _ = fs.put_file(STOPPED_UNITS, Content::data(text), Attrs::mode(0o644));
}

pub fn run(name: &str, argv: &[String], ctx: &mut Ctx) -> Option<i32> {
    let args = &argv[1..];
    Some(match name {
        "sudo" => sudo(args, ctx),
        "systemctl" => systemctl(args, ctx),
        "service" => service(args, ctx),
        _ => return None,
    })
}

const SUDO_USAGE: &str = "usage: sudo -h | -K | -k | -V\nusage: sudo -v [-ABkNnS] [-g group] [-h host] [-p prompt] [-u user]\nusage: sudo -l [-ABkNnS] [-g group] [-h host] [-p prompt] [-U user] [-u user] [command [arg ...]]\nusage: sudo [-ABbEHkNnPS] [-C num] [-D directory] [-g group] [-h host] [-p prompt] [-R directory] [-T timeout] [-u user] [VAR=value] [-i | -s] [command [arg ...]]\nusage: sudo -e [-ABkNnS] [-C num] [-D directory] [-g group] [-h host] [-p prompt] [-R directory] [-T timeout] [-u user] file ...\n";

/// `sudo [-u USER] [-E] [-i | -s] [VAR=value] COMMAND`: the command runs as the user
/// (root by default). The sandbox's user may use sudo without a password, as
/// Killercoda's root and a course machine's student can.
fn sudo(args: &[String], ctx: &mut Ctx) -> i32 {
    let mut i = 0;
    let mut user = "root".to_string();
    let (mut login, mut shell, mut keep_env) = (false, false, false);
    while let Some(a) = args.get(i) {
        match a.as_str() {
            "-u" | "--user" => {
                let Some(u) = args.get(i + 1) else { return ctx.fail("sudo", "option requires an argument -- 'u'", 1) };
                user = u.clone();
                i += 1;
            }
            "-i" | "--login" => login = true,
            "-s" | "--shell" => shell = true,
            "-E" | "--preserve-env" => keep_env = true,
            "-H" | "--set-home" | "-n" | "--non-interactive" | "-k" | "-S" | "--stdin" => {}
            "-V" | "--version" => {
                ctx.out("Sudo version 1.9.15p5\n");
                return 0;
            }
            "-h" | "--help" => {
                ctx.out(SUDO_USAGE);
                return 0;
            }
            "--" => {
                i += 1;
                break;
            }
            s if s.starts_with('-') => {
                ctx.err(&format!("sudo: invalid option -- '{}'\n{SUDO_USAGE}", s.trim_start_matches('-')));
                return 1;
            }
            _ => break,
        }
        i += 1;
    }
    let Some(uid) = id_of(&*ctx.fs, "/etc/passwd", user.trim_start_matches('#')) else {
        return ctx.fail("sudo", &format!("unknown user {user}"), 1);
    };
    let passwd = String::from_utf8_lossy(&ctx.fs.read("/etc/passwd").unwrap_or_default()).into_owned();
    let entry: Vec<&str> = passwd.lines().map(|l| l.split(':').collect::<Vec<_>>()).find(|f| f.get(2).and_then(|x| x.parse::<u32>().ok()) == Some(uid)).unwrap_or_default();
    let gid = entry.get(3).and_then(|g| g.parse().ok()).unwrap_or(uid);
    let home = entry.get(5).copied().unwrap_or("/root").to_string();
    let user_shell = entry.get(6).copied().filter(|s| !s.is_empty()).unwrap_or("/bin/sh").to_string();
    let name = entry.first().copied().unwrap_or(&user).to_string();
    let mut env = if keep_env { ctx.env.clone() } else { ctx.env.iter().filter(|(k, _)| matches!(k.as_str(), "TERM" | "PATH" | "LANG" | "DISPLAY" | "COLORTERM")).map(|(k, v)| (k.clone(), v.clone())).collect() };
    while let Some((k, v)) = args.get(i).and_then(|a| a.split_once('=')).filter(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')) {
        env.insert(k.to_string(), v.to_string());
        i += 1;
    }
    for (k, v) in [("HOME", home.as_str()), ("USER", &name), ("LOGNAME", &name), ("SUDO_USER", &name_of(&*ctx.fs, "/etc/passwd", ctx.uid)), ("SUDO_UID", &ctx.uid.to_string()), ("SHELL", &user_shell)] {
        env.insert(k.to_string(), v.to_string());
    }
    env.insert("PATH".into(), "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into());
    let mut command: Vec<String> = args[i..].to_vec();
    if command.is_empty() {
        if !(login || shell) {
            ctx.err(SUDO_USAGE);
            return 1;
        }
        command = vec![user_shell];
    } else if login || shell {
        // `sudo -i CMD`: the user's shell runs the command line.
        command = vec![user_shell, "-c".into(), command.join(" ")];
    }
    ctx.then_exec = Some((command, env));
    ctx.then_as = Some((uid, gid));
    0
}

fn systemctl(args: &[String], ctx: &mut Ctx) -> i32 {
    let operands: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let quiet = args.iter().any(|a| a == "-q" || a == "--quiet");
    let Some((verb, units)) = operands.split_first() else {
        return list_units(ctx);
    };
    match verb.as_str() {
        "list-units" | "list-unit-files" => list_units(ctx),
        "daemon-reload" | "daemon-reexec" => 0,
        "--version" | "version" => {
            ctx.out("systemd 255 (255.4-1ubuntu8.4)\n");
            0
        }
        "status" => {
            let mut status = 0;
            for unit in units {
                let Some(u) = find(unit) else {
                    ctx.err(&format!("Unit {} could not be found.\n", unit_name(unit)));
                    status = 4;
                    continue;
                };
                let active = !stopped(&*ctx.fs).iter().any(|s| s == u.name);
                let dot = if active { "●" } else { "○" };
                ctx.out(&format!("{dot} {} - {}\n     Loaded: loaded ({}; enabled; preset: enabled)\n     Active: {}\n", u.name, u.description, u.file, if active { "active (running)" } else { "inactive (dead)" }));
                if !u.docs.is_empty() {
                    ctx.out(&format!("       Docs: {}\n", u.docs));
                }
                if !active {
                    status = status.max(3);
                }
            }
            status
        }
        "is-active" => {
            let mut status = 0;
            for unit in units {
                let active = find(unit).is_some_and(|u| !stopped(&*ctx.fs).iter().any(|s| s == u.name));
                if !quiet {
                    ctx.out(if active { "active\n" } else { "inactive\n" });
                }
                if !active {
                    status = 3;
                }
            }
            status
        }
        "is-enabled" => {
            let mut status = 0;
            for unit in units {
                match find(unit) {
                    Some(_) if !quiet => ctx.out("enabled\n"),
                    Some(_) => {}
                    None => {
                        ctx.err(&format!("Failed to get unit file state for {}: No such file or directory\n", unit_name(unit)));
                        status = 1;
                    }
                }
            }
            status
        }
        "start" | "stop" | "restart" | "reload" | "try-restart" | "reload-or-restart" | "enable" | "disable" | "mask" | "unmask" => {
            if units.is_empty() {
                return ctx.fail("systemctl", "Too few arguments.", 1);
            }
            for unit in units {
                let full = unit_name(unit);
                let Some(u) = find(unit) else {
                    ctx.err(&format!("Failed to {verb} {full}: Unit {full} not found.\n"));
                    return 5;
                };
                if ctx.uid != 0 {
                    ctx.err(&format!("Failed to {verb} {full}: Interactive authentication required.\nSee system logs and 'systemctl status {full}' for details.\n"));
                    return 1;
                }
                match verb.as_str() {
                    "stop" => set_stopped(ctx.fs, u.name, true),
                    "start" | "restart" | "reload-or-restart" => set_stopped(ctx.fs, u.name, false),
                    _ => {}
                }
            }
            0
        }
        other => ctx.fail("systemctl", &format!("Unknown command verb '{other}'."), 1),
    }
}

fn list_units(ctx: &mut Ctx) -> i32 {
    let stopped = stopped(&*ctx.fs);
    ctx.out("  UNIT                   LOAD   ACTIVE   SUB     DESCRIPTION\n");
    for u in UNITS {
        let active = !stopped.iter().any(|s| s == u.name);
        let sub = if !active { "dead" } else if u.name.ends_with(".socket") { "listening" } else { "running" };
        ctx.out(&format!("  {:<22} loaded {:<8} {:<7} {}\n", u.name, if active { "active" } else { "inactive" }, sub, u.description));
    }
    ctx.out(&format!("\n{} loaded units listed.\n", UNITS.len()));
    0
}

/// `service NAME start|stop|restart|status`: SysV's front to the same units.
fn service(args: &[String], ctx: &mut Ctx) -> i32 {
    match args {
        [flag] if flag == "--status-all" => {
            let stopped = stopped(&*ctx.fs);
            for name in ["containerd", "docker"] {
                let active = !stopped.iter().any(|s| *s == unit_name(name));
                ctx.out(&format!(" [ {} ]  {name}\n", if active { "+" } else { "-" }));
            }
            0
        }
        [name, verb, ..] => {
            let verb = if verb == "force-reload" { "restart".to_string() } else { verb.clone() };
            systemctl(&[verb, name.clone()], ctx)
        }
        [name] => ctx.fail(name, "unrecognized service", 1),
        [] => {
            ctx.err("Usage: service < option > | --status-all | [ service_name [ command | --full-restart ] ]\n");
            1
        }
    }
}

/// `sudo`'s usage text, for tests elsewhere.
#[cfg(test)]
pub fn tests_usage() -> &'static str {
    SUDO_USAGE
}
