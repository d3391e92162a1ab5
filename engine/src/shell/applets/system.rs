//! System applets: `env`, `printenv`, `which`, `id`, `whoami`, `hostname`, `uname`,
//! `date`, `sleep`, `ps`, `kill`, `free`, `nproc`, `clear`, `curl`, `wget`, `nvidia-smi`.
//! The machine they describe is the sandbox's: one container, no network, no GPU. What
//! Berth cannot know yet (a process table for `ps` and `kill`, memory use for `free`) they
//! say is not available rather than print made-up figures.

use super::files::{id_of, name_of};
use super::{split_flags, Ctx};
use crate::vfs::FileSystem;

/// What `ps` and `kill` say until the emulated runtime has a process table.
const NO_PROCESS_TABLE: &str = "processes are not available: Berth's emulated runtime has no process table yet";

pub fn run(name: &str, argv: &[String], ctx: &mut Ctx) -> Option<i32> {
    let args = &argv[1..];
    Some(match name {
        "env" => env(args, ctx),
        "printenv" => {
            if args.is_empty() {
                let all: String = ctx.env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
                ctx.out(&all);
                0
            } else {
                let mut status = 0;
                for a in args {
                    match ctx.env.get(a).cloned() {
                        Some(v) => ctx.out(&format!("{v}\n")),
                        None => status = 1,
                    }
                }
                status
            }
        }
        "which" => {
            let path = ctx.env.get("PATH").cloned().unwrap_or_default();
            let mut status = 0;
            for a in args.iter().filter(|a| !a.starts_with('-')) {
                let found = path.split(':').map(|d| crate::vfs::join(d, a)).find(|p| ctx.fs.stat(p).is_ok_and(|m| m.is_file() && m.mode & 0o111 != 0));
                match found {
                    Some(p) => ctx.out(&format!("{p}\n")),
                    None => status = 1,
                }
            }
            status
        }
        "id" => id(args, ctx),
        "whoami" => {
            let n = name_of(&*ctx.fs, "/etc/passwd", ctx.uid);
            if n.parse::<u32>().is_ok() {
                return Some(ctx.fail("whoami", &format!("cannot find name for user ID {}", ctx.uid), 1));
            }
            ctx.out(&format!("{n}\n"));
            0
        }
        "hostname" => {
            let h = ctx.hostname.clone();
            ctx.out(&format!("{h}\n"));
            0
        }
        "uname" => {
            let p = split_flags(args);
            let h = ctx.hostname.clone();
            let text = if p.has('a') {
                format!("Linux {h} 6.1.0-berth #1 SMP PREEMPT_DYNAMIC x86_64 GNU/Linux")
            } else {
                let mut parts = Vec::new();
                if p.has('s') || p.short.is_empty() {
                    parts.push("Linux".to_string());
                }
                if p.has('n') {
                    parts.push(h);
                }
                if p.has('r') {
                    parts.push("6.1.0-berth".into());
                }
                if p.has('m') || p.has('p') {
                    parts.push("x86_64".into());
                }
                if p.has('o') {
                    parts.push("GNU/Linux".into());
                }
                parts.join(" ")
            };
            ctx.out(&format!("{text}\n"));
            0
        }
        "date" => {
            let now = ctx.now.unwrap_or(0);
            let iso = crate::time::rfc3339(now);
            if let Some(fmt) = args.iter().find(|a| a.starts_with('+')) {
                let out = fmt[1..]
                    .replace("%Y", &iso[0..4])
                    .replace("%m", &iso[5..7])
                    .replace("%d", &iso[8..10])
                    .replace("%H", &iso[11..13])
                    .replace("%M", &iso[14..16])
                    .replace("%S", &iso[17..19])
                    .replace("%s", &now.to_string())
                    .replace("%F", &iso[0..10])
                    .replace("%T", &iso[11..19]);
                ctx.out(&format!("{out}\n"));
            } else {
                let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
                let months = crate::time::MONTHS;
                let dow = days[(now.div_euclid(86_400).rem_euclid(7)) as usize];
                let m: usize = iso[5..7].parse().unwrap_or(1);
                ctx.out(&format!("{dow} {} {:>2} {} UTC {}\n", months[m - 1], iso[8..10].trim_start_matches('0'), &iso[11..19], &iso[0..4]));
            }
            0
        }
        "sleep" => {
            // Time is simulated: a sleep returns at once (the shell accounts for it).
            use crate::shell::interp::SleepError;
            match crate::shell::interp::sleep_seconds(args) {
                Ok(_) => 0,
                Err(e) if ctx.busybox => {
                    let message = match e {
                        SleepError::Missing => "missing operand".to_string(),
                        SleepError::Option(c) => format!("unrecognized option: {c}"),
                        SleepError::Invalid(a) => format!("invalid number '{a}'"),
                    };
                    ctx.fail("sleep", &message, 1)
                }
                Err(e) => {
                    let message = match e {
                        SleepError::Missing => "missing operand".to_string(),
                        SleepError::Option(c) => format!("invalid option -- '{c}'"),
                        SleepError::Invalid(a) => format!("invalid time interval '{a}'"),
                    };
                    ctx.fail("sleep", &format!("{message}\nTry 'sleep --help' for more information."), 1)
                }
            }
        }
        "ps" => {
            // No process table behind it yet: saying so beats inventing one.
            ctx.fail("ps", NO_PROCESS_TABLE, 1)
        }
        "kill" => {
            if args.is_empty() {
                return Some(ctx.fail("kill", "usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]", 2));
            }
            ctx.fail("kill", NO_PROCESS_TABLE, 1)
        }
        "free" => ctx.fail("free", "memory use is not available: Berth's emulated runtime does not account for memory", 1),
        "adduser" | "useradd" => add_user(name, args, ctx),
        "addgroup" | "groupadd" => add_group(name, args, ctx),
        "nproc" => {
            ctx.out("2\n");
            0
        }
        "clear" | "reset" => {
            ctx.out("\x1b[H\x1b[2J\x1b[3J");
            0
        }
        "curl" => {
            let url = args.iter().find(|a| !a.starts_with('-')).cloned().unwrap_or_default();
            let host = url.split("://").nth(1).unwrap_or(&url).split(['/', ':']).next().unwrap_or("").to_string();
            ctx.fail("curl", &format!("(6) Could not resolve host: {host}"), 6)
        }
        "wget" => {
            let url = args.iter().find(|a| !a.starts_with('-')).cloned().unwrap_or_default();
            let host = url.split("://").nth(1).unwrap_or(&url).split(['/', ':']).next().unwrap_or("").to_string();
            ctx.err(&format!("--1970-01-01 00:00:00--  {url}\nResolving {host} ({host})... failed: Temporary failure in name resolution.\n"));
            ctx.err(&format!("wget: unable to resolve host address '{host}'\n"));
            4
        }
        "redis-server" => redis_server(args, ctx),
        // Nothing listens: the emulated runtime has no network.
        "redis-cli" => {
            let port = args.windows(2).find(|w| w[0] == "-p").map_or("6379", |w| w[1].as_str()).to_string();
            let host = args.windows(2).find(|w| w[0] == "-h").map_or("127.0.0.1", |w| w[1].as_str()).to_string();
            ctx.err(&format!("Could not connect to Redis at {host}:{port}: Connection refused\n"));
            1
        }
        "nvidia-smi" => {
            ctx.out("NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n\n");
            9
        }
        _ => return None,
    })
}

fn env(args: &[String], ctx: &mut Ctx) -> i32 {
    let mut env = ctx.env.clone();
    let mut i = 0;
    let mut ignore = false;
    while i < args.len() {
        let a = &args[i];
        if a == "-i" || a == "-" {
            ignore = true;
        } else if a == "-u" {
            if let Some(k) = args.get(i + 1) {
                env.remove(k);
            }
            i += 1;
        } else if let Some((k, v)) = a.split_once('=') {
            env.insert(k.to_string(), v.to_string());
        } else {
            break;
        }
        i += 1;
    }
    if ignore {
        env.retain(|k, _| args[..i].iter().any(|a| a.starts_with(&format!("{k}="))));
    }
    if i >= args.len() {
        let all: String = env.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        ctx.out(&all);
        return 0;
    }
    // `env CMD …` runs the program (as `#!/usr/bin/env python3` does).
    let argv: Vec<String> = args[i..].to_vec();
    let path = env.get("PATH").cloned().unwrap_or_default();
    let program = argv[0].clone();
    let found = if program.contains('/') {
        Some(crate::vfs::join(&ctx.cwd, &program))
    } else {
        path.split(':').map(|d| crate::vfs::join(d, &program)).find(|p| ctx.fs.stat(p).is_ok_and(|m| m.is_file()))
    };
    let Some(found) = found else {
        return ctx.fail("env", &format!("'{program}': No such file or directory"), 127);
    };
    let applet = match ctx.fs.content(&found) {
        Ok(crate::vfs::Content::Lazy { label, .. }) => label.strip_prefix("exec:").map(str::to_string),
        _ => None,
    };
    let applet = applet.unwrap_or_else(|| program.rsplit('/').next().unwrap_or(&program).to_string());
    let mut sub = Ctx::new(ctx.fs, &ctx.cwd, &env, ctx.stdin.clone());
    sub.uid = ctx.uid;
    sub.group_explicit = ctx.group_explicit;
    sub.gid = ctx.gid;
    match super::run(&applet, &argv, &mut sub) {
        Some(s) => {
            let (o, e) = (sub.stdout, sub.stderr);
            ctx.stdout.extend(o);
            ctx.stderr.extend(e);
            s
        }
        None => ctx.fail("env", &format!("'{program}': Berth's userland does not provide this program yet"), 126),
    }
}

fn read_lines(fs: &dyn FileSystem, path: &str) -> Vec<String> {
    fs.read(path).map(|b| String::from_utf8_lossy(&b).lines().map(str::to_string).collect()).unwrap_or_default()
}

fn append_line(ctx: &mut Ctx, path: &str, line: &str) -> Result<(), String> {
    let mut data = ctx.fs.read(path).unwrap_or_default();
    if !data.is_empty() && !data.ends_with(b"\n") {
        data.push(b'\n');
    }
    data.extend_from_slice(line.as_bytes());
    data.push(b'\n');
    ctx.fs.write(path, &data).map_err(|e| e.to_string())
}

fn next_id(lines: &[String], field: usize) -> u32 {
    lines.iter().filter_map(|l| l.split(':').nth(field)?.parse::<u32>().ok()).filter(|id| (1000..60000).contains(id)).max().map_or(1000, |m| m + 1)
}

/// `adduser` (BusyBox and Debian) and `useradd`: a passwd entry, a group of the same
/// name, and a home directory.
fn add_user(prog: &str, args: &[String], ctx: &mut Ctx) -> i32 {
    let mut uid: Option<u32> = None;
    let mut group: Option<String> = None;
    let mut shell = "/bin/sh".to_string();
    let mut home: Option<String> = None;
    let mut system = false;
    let mut create_home = prog == "adduser";
    let mut names = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let value = args.get(i + 1).cloned();
        match a {
            "-u" | "--uid" => {
                uid = value.and_then(|v| v.parse().ok());
                i += 1;
            }
            "-G" | "-g" | "--ingroup" | "--gid" => {
                group = value;
                i += 1;
            }
            "-s" | "--shell" => {
                shell = value.unwrap_or_default();
                i += 1;
            }
            "-h" | "-d" | "--home" => {
                home = value;
                i += 1;
            }
            "--gecos" | "-c" | "-k" | "-K" => i += 1,
            "-m" | "--create-home" => create_home = true,
            "-M" | "-H" | "--no-create-home" => create_home = false,
            "-S" | "-r" | "--system" => system = true,
            a if a.starts_with('-') => {}
            a => names.push(a.to_string()),
        }
        i += 1;
    }
    if ctx.uid != 0 {
        return ctx.fail(prog, "Permission denied.", 1);
    }
    // `adduser USER GROUP` (Debian) adds an existing user to a group.
    if prog == "adduser" && names.len() == 2 {
        return add_to_group(prog, &names[0], &names[1], ctx);
    }
    let Some(user) = names.first().cloned() else { return ctx.fail(prog, "missing user name", 1) };
    let passwd = read_lines(&*ctx.fs, "/etc/passwd");
    if passwd.iter().any(|l| l.split(':').next() == Some(user.as_str())) {
        return ctx.fail(prog, &format!("user '{user}' already exists"), if prog == "useradd" { 9 } else { 1 });
    }
    let groups = read_lines(&*ctx.fs, "/etc/group");
    let uid = uid.unwrap_or_else(|| if system { 100 + passwd.len() as u32 } else { next_id(&passwd, 2).max(next_id(&groups, 2)) });
    let gid = match &group {
        Some(g) => match super::files::id_of(&*ctx.fs, "/etc/group", g) {
            Some(id) => id,
            None => return ctx.fail(prog, &format!("group '{g}' does not exist"), 6),
        },
        None => {
            if !groups.iter().any(|l| l.split(':').next() == Some(user.as_str())) {
                if let Err(e) = append_line(ctx, "/etc/group", &format!("{user}:x:{uid}:")) {
                    return ctx.fail(prog, &e, 1);
                }
            }
            uid
        }
    };
    let home = home.unwrap_or_else(|| format!("/home/{user}"));
    if let Err(e) = append_line(ctx, "/etc/passwd", &format!("{user}:x:{uid}:{gid}:Linux User,,,:{home}:{shell}")) {
        return ctx.fail(prog, &e, 1);
    }
    if ctx.fs.exists("/etc/shadow") {
        let _ = append_line(ctx, "/etc/shadow", &format!("{user}:!:19976:0:99999:7:::"));
    }
    if create_home {
        let _ = ctx.fs.create_dir_all(&home, 0o755);
        let _ = ctx.fs.set_owner(&home, uid, gid);
    }
    0
}

fn add_to_group(prog: &str, user: &str, group: &str, ctx: &mut Ctx) -> i32 {
    let mut lines = read_lines(&*ctx.fs, "/etc/group");
    let Some(line) = lines.iter_mut().find(|l| l.split(':').next() == Some(group)) else {
        return ctx.fail(prog, &format!("unknown group {group}"), 1);
    };
    if !line.ends_with(':') {
        line.push(',');
    }
    line.push_str(user);
    let data = lines.join("\n") + "\n";
    match ctx.fs.write("/etc/group", data.as_bytes()) {
        Ok(()) => 0,
        Err(e) => ctx.fail(prog, &e.to_string(), 1),
    }
}

/// `addgroup` / `groupadd`; `addgroup USER GROUP` adds a user to a group (BusyBox).
fn add_group(prog: &str, args: &[String], ctx: &mut Ctx) -> i32 {
    let mut gid: Option<u32> = None;
    let mut names = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "-g" | "--gid" => {
                gid = args.get(i + 1).and_then(|v| v.parse().ok());
                i += 1;
            }
            a if a.starts_with('-') => {}
            a => names.push(a.to_string()),
        }
        i += 1;
    }
    if names.len() == 2 {
        return add_to_group(prog, &names[0], &names[1], ctx);
    }
    let Some(name) = names.first().cloned() else { return ctx.fail(prog, "missing group name", 1) };
    let groups = read_lines(&*ctx.fs, "/etc/group");
    if groups.iter().any(|l| l.split(':').next() == Some(name.as_str())) {
        return ctx.fail(prog, &format!("group '{name}' already exists"), if prog == "groupadd" { 9 } else { 1 });
    }
    let gid = gid.unwrap_or_else(|| next_id(&groups, 2));
    match append_line(ctx, "/etc/group", &format!("{name}:x:{gid}:")) {
        Ok(()) => 0,
        Err(e) => ctx.fail(prog, &e, 1),
    }
}

/// The groups a user is in: the primary one, then those listing the user as a member.
fn groups_of(fs: &dyn FileSystem, user: &str, primary: u32) -> Vec<u32> {
    let mut out = vec![primary];
    for l in read_lines(fs, "/etc/group") {
        let f: Vec<&str> = l.split(':').collect();
        if f.get(3).is_some_and(|m| m.split(',').any(|x| x == user)) {
            if let Some(g) = f.get(2).and_then(|g| g.parse().ok()) {
                if !out.contains(&g) {
                    out.push(g);
                }
            }
        }
    }
    out
}

fn id(args: &[String], ctx: &mut Ctx) -> i32 {
    let p = split_flags(args);
    let (uid, gid) = match p.operands.first() {
        Some(user) => match id_of(&*ctx.fs, "/etc/passwd", user) {
            Some(u) => (u, primary_gid(&*ctx.fs, u).unwrap_or(u)),
            None => return ctx.fail("id", &format!("'{user}': no such user"), 1),
        },
        None => (ctx.uid, ctx.gid),
    };
    let user = name_of(&*ctx.fs, "/etc/passwd", uid);
    let group = name_of(&*ctx.fs, "/etc/group", gid);
    // Supplementary groups apply to the user's own name when the primary group is theirs.
    let primary_is_users = primary_gid(&*ctx.fs, uid) == Some(gid);
    let groups = if !p.operands.is_empty() || (primary_is_users && !ctx.group_explicit) { groups_of(&*ctx.fs, &user, gid) } else { vec![gid] };
    let name = p.has('n');
    let text = if p.has('u') {
        if name { user } else { uid.to_string() }
    } else if p.has('g') {
        if name { group } else { gid.to_string() }
    } else if p.has('G') {
        groups.iter().map(|g| if name { name_of(&*ctx.fs, "/etc/group", *g) } else { g.to_string() }).collect::<Vec<_>>().join(" ")
    } else {
        // A name in parentheses only where the id has one, as coreutils and BusyBox print.
        let named = |id: u32, name: &str| if name == id.to_string() { id.to_string() } else { format!("{id}({name})") };
        let list: Vec<String> = groups.iter().map(|g| named(*g, &name_of(&*ctx.fs, "/etc/group", *g))).collect();
        format!("uid={} gid={} groups={}", named(uid, &user), named(gid, &group), list.join(","))
    };
    ctx.out(&format!("{text}\n"));
    0
}

fn primary_gid(fs: &dyn FileSystem, uid: u32) -> Option<u32> {
    let b = fs.read("/etc/passwd").ok()?;
    String::from_utf8_lossy(&b).lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.get(2)?.parse::<u32>().ok()? == uid).then(|| f.get(3)?.parse().ok()).flatten()
    })
}

/// `redis-server`, modelled: Redis's start-up log, then it waits for connections, which
/// never come (the emulated runtime has no network). Detached, it is suspended there and
/// the container stays up; in the foreground it waits in real time until Ctrl-C. It
/// shuts down on Ctrl-C and on `docker stop`'s TERM as Redis does (it looks for signals
/// every second it waits). Where there is no real time to wait in, it is stopped.
fn redis_server(args: &[String], ctx: &mut Ctx) -> i32 {
    let version = ctx.env.get("REDIS_VERSION").cloned().unwrap_or_else(|| "7.4.1".into());
    if args.iter().any(|a| a == "-v" || a == "--version") {
        ctx.out(&format!("Redis server v={version} sha=00000000:0 malloc=jemalloc-5.3.0 bits=64 build=0\n"));
        return 0;
    }
    let port = args.windows(2).find(|w| w[0] == "--port").map_or("6379", |w| w[1].as_str()).to_string();
    let now = ctx.now.unwrap_or(0);
    let iso = crate::time::rfc3339(now);
    let months = crate::time::MONTHS;
    let month = months[iso[5..7].parse::<usize>().unwrap_or(1).clamp(1, 12) - 1];
    let stamp = format!("{} {month} {} {}.000", &iso[8..10], &iso[0..4], &iso[11..19]);
    let log = |role: char, level: char, text: &str| format!("1:{role} {stamp} {level} {text}\n");
    ctx.out(&log('C', '*', "oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo"));
    ctx.out(&log('C', '*', &format!("Redis version={version}, bits=64, commit=00000000, modified=0, pid=1, just started")));
    ctx.out(&log('C', '#', "Warning: no config file specified, using the default config. In order to specify a config file use redis-server /path/to/redis.conf"));
    ctx.out(&log('M', '*', "monotonic clock: POSIX clock_gettime"));
    ctx.out(&log('M', '*', &format!("Running mode=standalone, port={port}.")));
    ctx.out(&log('M', '*', "Server initialized"));
    ctx.out(&log('M', '*', "Ready to accept connections tcp"));
    let Some(pause) = ctx.pause.clone() else {
        ctx.err("berth: redis-server waits for connections; with no real time to wait in here, the emulated runtime stops it\n");
        return 137;
    };
    let signal = loop {
        let shown = String::from_utf8_lossy(&std::mem::take(&mut ctx.stdout)).into_owned();
        if !pause(&shown, 1.0) {
            // Ctrl-C (a suspended detached server prints nothing more).
            break "SIGINT".to_string();
        }
        let sent = ctx.signals.as_ref().and_then(|s| {
            let mut s = s.borrow_mut();
            (!s.is_empty()).then(|| s.remove(0))
        });
        if let Some(sent) = sent {
            break format!("SIG{sent}");
        }
    };
    ctx.out(&format!("1:signal-handler ({now}) Received {signal} scheduling shutdown...\n"));
    ctx.out(&log('M', '#', "User requested shutdown..."));
    ctx.out(&log('M', '*', "Saving the final RDB snapshot before exiting."));
    ctx.out(&log('M', '*', "DB saved on disk"));
    ctx.out(&log('M', '#', "Redis is now ready to exit, bye bye..."));
    0
}
