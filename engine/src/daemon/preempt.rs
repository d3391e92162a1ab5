//! `stop`, `kill` and `rm -f` of a native container that another `berth` runs in the
//! foreground. That run holds the state's lock until its container ends (it records the
//! end itself), so these commands cannot take the lock first: [`signal`] reaches the
//! container's process through its run directory (`native/run/<id>/pid`, as for a
//! detached one), with Docker's stop signal and grace period; the front end then waits
//! for the lock, which the run gives up once it has recorded the end, and [`finish`]
//! does what is left with the lock held. `bin/berth.rs` calls them when the lock is
//! taken; without a state directory on disk (the browser) nothing runs in the
//! foreground of another command, and neither is called.

use crate::host::Host;
use crate::runtime::native::live::Handle;
use crate::runtime::{signal_number, Containers, Status};

/// What [`signal`] did.
#[derive(Debug, Default)]
pub struct Signalled {
    /// The names given for the containers it reached, in order.
    pub names: Vec<String>,
}

/// A command this module can act on before the lock: the verb, its flags (with their
/// values), and the containers named.
struct Command {
    verb: String,
    flags: Vec<String>,
    names: Vec<String>,
    grace: Option<f64>,
    signal: Option<i32>,
}

/// `stop`, `kill`, `rm` with `-f` (also as `container …`), read from `args`.
fn parse(args: &[String]) -> Option<Command> {
    let mut args = args;
    if args.first().is_some_and(|a| a == "container") {
        args = &args[1..];
    }
    let verb = args.first()?.clone();
    let takes_value: &[&str] = match verb.as_str() {
        "stop" => &["-t", "--time", "-s", "--signal", "--timeout"],
        "kill" => &["-s", "--signal"],
        "rm" => &[],
        _ => return None,
    };
    let mut c = Command { verb, flags: Vec::new(), names: Vec::new(), grace: None, signal: None };
    let mut force = false;
    let mut i = 1;
    while i < args.len() {
        let a = &args[i];
        let (name, inline) = a.split_once('=').map_or((a.as_str(), None), |(n, v)| (n, Some(v.to_string())));
        if a.starts_with('-') && takes_value.contains(&name) {
            let value = match inline {
                Some(v) => v,
                None => {
                    i += 1;
                    args.get(i)?.clone()
                }
            };
            match name {
                "-t" | "--time" | "--timeout" => c.grace = Some(value.parse::<f64>().ok()?.max(0.0)),
                _ => c.signal = Some(signal_number(&value.to_uppercase())?),
            }
            c.flags.extend([name.to_string(), value]);
        } else if a.starts_with('-') && a.len() > 1 {
            force |= a == "--force" || (!a.starts_with("--") && a.contains('f'));
            c.flags.push(a.clone());
        } else {
            c.names.push(a.clone());
        }
        i += 1;
    }
    (c.verb != "rm" || force).then_some(c)
}

/// Whether `args` is a command [`signal`] can act on before the lock.
pub fn applies(args: &[String]) -> bool {
    parse(args).is_some()
}

/// Sends the named running native containers the command's signal (reading the records
/// without the lock, which another command holds): `stop` the image's stop signal and,
/// after the grace period, KILL; `kill` its `-s` (KILL by default); `rm -f` KILL. Waits
/// for each process to end, unless `kill` sent a signal that need not end it.
pub fn signal(args: &[String], host: &dyn Host) -> Signalled {
    let mut done = Signalled::default();
    let (Some(c), Some(dir)) = (parse(args), host.native_dir()) else { return done };
    let Ok(containers) = host.storage().map_err(|e| e.to_string()).and_then(Containers::open) else { return done };
    for name in &c.names {
        let Some(record) = containers.find(name) else { continue };
        if record.status != Status::Running || record.host_config.runtime != "native" {
            continue;
        }
        let h = Handle::of(&dir, &record.id);
        if h.pid().is_none() {
            continue;
        }
        if record.paused {
            let _ = h.freeze(&record.id, false);
        }
        let (first, grace) = match c.verb.as_str() {
            "stop" => (c.signal.or_else(|| record.config.config.stop_signal.as_deref().and_then(signal_number)).unwrap_or(libc_sig::TERM), c.grace.unwrap_or(10.0)),
            "kill" => (c.signal.unwrap_or(libc_sig::KILL), 0.0),
            _ => (libc_sig::KILL, 0.0),
        };
        if h.signal(first).is_err() {
            continue;
        }
        done.names.push(name.clone());
        if c.verb == "kill" && first != libc_sig::KILL {
            continue;
        }
        let gone = |secs: f64| {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs_f64(secs);
            while h.pid().is_some() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            h.pid().is_none()
        };
        if !gone(grace) {
            let _ = h.signal(libc_sig::KILL);
            gone(10.0);
        }
    }
    done
}

/// Signal numbers (Linux's; the same on every architecture Berth runs natively on).
mod libc_sig {
    pub const KILL: i32 = 9;
    pub const TERM: i32 = 15;
}

/// What is left of the command once the lock is held: the containers [`signal`]
/// reached are done for `stop` and `kill` (their run recorded the end) and are printed;
/// `rm -f` removes them where their run's `--rm` has not already. Returns what to print
/// for those, and the command the front end then runs as it would have (for the
/// containers not reached, and `rm -f` of those still recorded), if any is left.
pub fn finish(args: &[String], done: &Signalled, host: &dyn Host) -> (String, Option<Vec<String>>) {
    let Some(c) = parse(args) else { return (String::new(), Some(args.to_vec())) };
    let mut printed = String::new();
    let mut rest: Vec<String> = Vec::new();
    let exists = |name: &str| host.storage().map_err(|e| e.to_string()).and_then(Containers::open).is_ok_and(|cs| cs.find(name).is_some());
    for name in &c.names {
        let reached = done.names.contains(name);
        match c.verb.as_str() {
            "stop" | "kill" if reached => printed.push_str(&format!("{name}\n")),
            "rm" if reached && !exists(name) => printed.push_str(&format!("{name}\n")),
            _ => rest.push(name.clone()),
        }
    }
    if rest.is_empty() {
        return (printed, None);
    }
    let mut argv = vec![c.verb.clone()];
    argv.extend(c.flags.iter().cloned());
    argv.extend(rest);
    (printed, Some(argv))
}
