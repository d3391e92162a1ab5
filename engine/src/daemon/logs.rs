//! `logs`: a container's recorded output, filtered as `--since`, `--until` and `--tail`
//! ask, and following a running container's process as it goes on (`-f`, `attach`,
//! `start -a`, `wait`).

use super::start::{catch_up_until, resume};
use super::EngineError;
use crate::host::Host;
use crate::image::ImageStore;
use crate::runtime::{Container, Containers, Status};

/// What `docker logs` selects (times in nanoseconds since the epoch).
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    pub tail: Option<usize>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    /// Each line starts with its RFC 3339 time (`-t`).
    pub timestamps: bool,
}

/// The container's logs as the options select them: (stdout, stderr).
pub fn logs(containers: &Containers, c: &Container, options: &LogOptions, host: &dyn Host) -> Result<(Vec<u8>, Vec<u8>), EngineError> {
    logs_to(containers, c, options, host).map(|(out, err, _)| (out, err))
}

/// [`logs`], and where in a native supervisor's log they end (what following shows
/// from).
pub fn logs_to(containers: &Containers, c: &Container, options: &LogOptions, host: &dyn Host) -> Result<(Vec<u8>, Vec<u8>, u64), EngineError> {
    let started = c.started.unwrap_or(c.created).saturating_mul(1_000_000_000);
    let mut recorded = containers.logs(&c.id).map_err(|e| EngineError::State(format!("cannot read the logs: {e}")))?;
    // A native container's supervisor holds what it printed since it started.
    let (live, end) = super::native::live_logs(host, c);
    recorded.extend(live);
    let lines: Vec<_> = recorded
        .into_iter()
        .map(|mut l| {
            l.time = if l.time == 0 { started } else { l.time };
            l
        })
        .filter(|l| options.since.is_none_or(|s| l.time >= s) && options.until.is_none_or(|u| l.time < u))
        .collect();
    let skip = options.tail.map_or(0, |t| lines.len().saturating_sub(t));
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    for l in &lines[skip..] {
        let out = if l.stream == "stderr" { &mut stderr } else { &mut stdout };
        if options.timestamps {
            out.extend_from_slice(crate::time::rfc3339_nanos(l.time).as_bytes());
            out.push(b' ');
        }
        out.extend_from_slice(l.text.as_bytes());
    }
    Ok((stdout, stderr, end))
}

/// How following a container ended.
#[derive(Debug, Default)]
pub struct Followed {
    /// What was not shown through the follow callback yet (the logs so far, when the
    /// process printed nothing more, and what it printed after the last pause).
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// The user stopped following (Ctrl-C) and the container goes on.
    pub interrupted: bool,
    /// The process has exited (while followed, or before), with this status.
    pub exited: Option<i32>,
}

impl Followed {
    /// The status of a command that followed the container to its end (`attach`,
    /// `start -a`): the container's exit status, 130 after Ctrl-C, 0 otherwise.
    pub fn status(&self) -> i32 {
        self.exited.unwrap_or(if self.interrupted { 130 } else { 0 })
    }
}

/// Follows a running container: its suspended process, resumed where it waits, goes on
/// in real time with its output shown through `show` as it comes, until it exits or
/// `show` says to stop (where it is suspended again and the container stays up).
/// `so_far` (the logs already selected) is shown with the process's first output; a
/// native container's supervisor's log is shown from `from` on (where `so_far` ended).
pub fn follow(store: &mut ImageStore, containers: &mut Containers, c: &Container, show: crate::shell::Pause, so_far: Vec<u8>, from: u64, host: &dyn Host) -> Result<Followed, EngineError> {
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    if super::native::supervised(c) {
        // Its supervisor writes what it prints as it comes: shown from there on.
        let offset = from;
        if !so_far.is_empty() && !show(&String::from_utf8_lossy(&so_far), 0.0) {
            return Ok(Followed { interrupted: true, ..Followed::default() });
        }
        let (exited, stderr) = super::native::wait(containers, c, host, &show, true, offset);
        return Ok(Followed { interrupted: exited.is_none(), exited, stderr, ..Followed::default() });
    }
    if c.status != Status::Running || c.suspended.is_none() {
        let exited = (c.status == Status::Exited).then_some(c.exit_code);
        return Ok(Followed { stdout: so_far, exited, ..Followed::default() });
    }
    let pending = Rc::new(RefCell::new(Some(String::from_utf8_lossy(&so_far).into_owned())));
    let shown = Rc::new(Cell::new(0usize));
    let follow: crate::shell::Pause = {
        let (pending, shown) = (pending.clone(), shown.clone());
        Rc::new(move |text: &str, secs: f64| {
            shown.set(shown.get() + text.len());
            let first = pending.borrow_mut().take().unwrap_or_default();
            show(&(first + text), secs)
        })
    };
    let (_, stdout, stderr) = resume(store, containers, c, host, catch_up_until(c, host), Some(follow), None).transpose()?.unwrap_or_default();
    let first = pending.borrow_mut().take().unwrap_or_default();
    let rest = stdout.get(shown.get()..).unwrap_or_default();
    let now = containers.find(&c.id);
    let interrupted = now.is_some_and(|c| c.status == Status::Running);
    let exited = now.filter(|c| c.status == Status::Exited).map(|c| c.exit_code);
    Ok(Followed { stdout: [first.as_bytes(), rest].concat(), stderr, interrupted, exited })
}
