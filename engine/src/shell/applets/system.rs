//! System applets: `env`, `printenv`, `which`, `id`, `whoami`, `hostname`, `uname`,
//! `date`, `sleep`, `ps`, `kill`, `free`, `nproc`, `clear`, `curl`, `wget`, `nvidia-smi`.
//! The machine they describe is the sandbox's: one container, no network, no GPU.

use super::files::{id_of, name_of};
use super::{split_flags, Ctx};
use crate::vfs::FileSystem;

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
            let now = ctx.env.get("BERTH_NOW").and_then(|n| n.parse::<i64>().ok()).unwrap_or(0);
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
                let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
                let dow = days[(now.div_euclid(86_400).rem_euclid(7)) as usize];
                let m: usize = iso[5..7].parse().unwrap_or(1);
                ctx.out(&format!("{dow} {} {:>2} {} UTC {}\n", months[m - 1], iso[8..10].trim_start_matches('0'), &iso[11..19], &iso[0..4]));
            }
            0
        }
        "sleep" => {
            // Time is simulated: a sleep returns at once (the runtime may account for it).
            if args.is_empty() {
                return Some(ctx.fail("sleep", "missing operand", 1));
            }
            0
        }
        "ps" => {
            ctx.out("    PID TTY          TIME CMD\n      1 ?        00:00:00 sh\n");
            0
        }
        "kill" => {
            if args.is_empty() {
                return Some(ctx.fail("kill", "usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]", 2));
            }
            let pid = args.iter().find(|a| !a.starts_with('-')).cloned().unwrap_or_default();
            ctx.fail("kill", &format!("({pid}) - No such process"), 1)
        }
        "free" => {
            let p = split_flags(args);
            if p.has('h') {
                ctx.out("               total        used        free      shared  buff/cache   available\nMem:           2.0Gi       128Mi       1.7Gi       0.0Ki       150Mi       1.8Gi\nSwap:             0B          0B          0B\n");
            } else {
                ctx.out("               total        used        free      shared  buff/cache   available\nMem:         2097152      131072     1812480           0      153600     1890304\nSwap:              0           0           0\n");
            }
            0
        }
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
    let name = p.has('n');
    let text = if p.has('u') {
        if name { user } else { uid.to_string() }
    } else if p.has('g') {
        if name { group } else { gid.to_string() }
    } else if p.has('G') {
        gid.to_string()
    } else {
        format!("uid={uid}({user}) gid={gid}({group}) groups={gid}({group})")
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
