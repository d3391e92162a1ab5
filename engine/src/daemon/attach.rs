//! `attach` and terminal sessions: following a running container's output, and the
//! `run -it`/`exec -it` shell whose lines the host sends one at a time.

use super::logs::{follow, Followed};
use super::start::with_container_fs;
use super::EngineError;
use crate::host::Host;
use crate::image::ImageStore;
use crate::runtime::{Container, Containers, Status, TtySession};

/// `attach`: the running container's output from now on, as it comes, until it exits or
/// the user stops (Ctrl-C detaches here and leaves it running: the emulated process gets
/// no signal from the terminal). `None` where the host has no real time to follow in.
pub fn attach(store: &mut ImageStore, containers: &mut Containers, c: &Container, host: &dyn Host) -> Result<Option<Followed>, EngineError> {
    if c.status != Status::Running {
        return Err(EngineError::Invalid("You cannot attach to a stopped container, start it first".into()));
    }
    let Some(show) = host.follow() else { return Ok(None) };
    // Attached, it shows what the process prints from now on.
    let from = super::native::live_logs(host, c).1;
    follow(store, containers, c, show, Vec::new(), from, host).map(Some)
}

/// Opens a terminal session on `process` (a container's main process for `run -it`, an
/// `exec`'s for `exec -it`) if the host attaches to it: the host then sends the lines
/// typed next to [`line`], and a `run -it` container is recorded as running. Returns the
/// banner to print (Python's), or `None` where the host has no terminal to attach (the
/// process then runs to completion instead).
pub fn open_session(store: &mut ImageStore, containers: &mut Containers, process: &Container, host: &dyn Host, exec: bool) -> Result<Option<String>, EngineError> {
    let opened = with_container_fs(store, containers, process, host, |fs| {
        let mut session = crate::runtime::start_tty(fs, process);
        session.exec = exec;
        let banner = if session.shell == "python" && !exec { crate::runtime::python_banner(fs, process) } else { String::new() };
        (session, banner)
    });
    let Ok(((session, banner), _)) = opened else { return Ok(None) };
    if !host.attach(&session) {
        return Ok(None);
    }
    if !exec {
        containers.list.insert(process.id.clone(), process.clone());
        containers.save().map_err(EngineError::State)?;
    }
    Ok(Some(banner))
}

/// What one line typed into a session did.
pub struct Line {
    pub status: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// The shell exited: a `run -it` container has stopped (its end is recorded), an
    /// `exec` session has ended and the container goes on.
    pub exited: bool,
}

/// Runs one line in a session's shell, keeping the shell's state in `session` between
/// lines, and records what it changed and printed.
pub fn line(session: &mut TtySession, text: &str, host: &dyn Host) -> Result<Line, EngineError> {
    let (mut store, mut containers) = super::open(host)?;
    let Some(c) = containers.list.get(&session.container).cloned() else { return Err(EngineError::NotFound(session.container.clone())) };
    let (input, pause) = (host.terminal_input(), host.pause());
    // Each line runs when it is typed: `date` tells that time.
    let mut now = c.clone();
    now.started = Some(host.now());
    let ((status, stdout, mut stderr, exited), upper) = with_container_fs(&mut store, &mut containers, &c, host, |fs| crate::runtime::run_attached_with(fs, &now, session, text, input, pause))?;
    if exited && !session.exec {
        let ran_ms = host.now().saturating_sub(c.started.unwrap_or(c.created)).saturating_mul(1000);
        super::monitor::finish(&mut containers, &c, host.now(), ran_ms, status, &stdout, &stderr, &[], &upper, None);
    } else {
        // What the line printed is shown even where recording it failed; the failure is
        // said after it.
        let recorded = containers.set_upper(&c.id, &upper).and_then(|()| if exited { Ok(()) } else { containers.append_logs(&c.id, &stdout, &stderr, &[], host.now() * 1_000_000_000) }).and_then(|()| containers.save());
        if let Err(e) = recorded {
            stderr.extend_from_slice(format!("berth: could not record the session: {e}\n").as_bytes());
        }
    }
    Ok(Line { status, stdout, stderr, exited })
}

/// How an attach to a native container ended, for the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NativeAttach {
    Exited(i32),
    /// The detach keys: the container goes on.
    Detached,
}

/// Attaches this command's streams to the supervised native container `c` (its terminal
/// with `-t`; this command's stdin to its stdin where `stdin`), letting go of the
/// state's lock meanwhile so that other commands run; once it ends, its end is recorded
/// (`--rm`, the restart policy) as for any supervised container. `containers` is read
/// again after the lock is back.
pub fn attach_native(containers: &mut Containers, c: &Container, host: &dyn Host, stdin: bool, detach_keys: Vec<u8>) -> Result<NativeAttach, EngineError> {
    let h = super::native::handle(host, c).ok_or_else(|| EngineError::Invalid("this host has no native runtime to attach to".into()))?;
    let released = host.release_state();
    let ended = h.attach(&crate::runtime::AttachOptions { stdin: stdin && c.open_stdin, tty: c.tty, detach_keys });
    if released {
        host.retake_state();
    }
    let storage = host.storage().map_err(EngineError::State)?;
    *containers = Containers::open(storage).map_err(EngineError::State)?;
    match ended.map_err(|e| EngineError::Start { message: e.to_string(), status: 125 })? {
        crate::runtime::Attached::Detached => Ok(NativeAttach::Detached),
        _ => {
            // Its supervisor has written how it ended (or is gone): recorded now, unless
            // another command (`rm -f`, `stop`) recorded it meanwhile.
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            while !h.ended() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            let status = h.exit().map(|e| e.status);
            match containers.find(&c.id).cloned() {
                Some(now) if super::native::supervised(&now) => Ok(NativeAttach::Exited(super::native::reap(containers, &now, host).unwrap_or(255))),
                Some(now) => Ok(NativeAttach::Exited(status.unwrap_or(now.exit_code))),
                None => Ok(NativeAttach::Exited(status.unwrap_or(255))),
            }
        }
    }
}
