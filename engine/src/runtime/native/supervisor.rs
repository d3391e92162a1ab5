//! A detached container's supervisor (the role containerd's shim plays): a small process
//! of its own, started as `berth` re-run with a hidden argument, that outlives the
//! `berth` which started it. It clones the container (so it is the container's parent
//! and the one to reap it), holds its output and writes it to `log.json` in Docker's
//! json-file format as it comes, and records how it ended in `exit.json`. Everything
//! lives in the container's run directory (`<native>/run/<id>/`):
//!
//! - `start.json`: what to start (spec, layout, mounts), written by `berth`;
//! - `owner`: the supervisor's PID; `pid`: the container's first process, host PID;
//! - `log.json`: one JSON object per line, `{"log":…,"stream":…,"time":…}`;
//! - `exit.json`: `{"status":…,"oom_killed":…,"finished_ns":…}`, written last;
//! - `attach.sock`: the container's streams for `attach` and `run -it` (see
//!   [`super::attach`]), while it runs.
//!
//! The engine reads these when it looks at its containers (`daemon::native`): a
//! container whose `exit.json` is there has ended; one whose supervisor is gone without
//! one ended with it (Docker reports such a container exited too).

// System calls are what this backend is: each unsafe block says what makes it sound.
#![allow(unsafe_code)]

use std::io::{BufRead, Read, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::cgroup::Cgroups;
use super::plan::{Bind, Layout};
use crate::runtime::spec::ContainerSpec;
use crate::runtime::{LogLine, ProcessInfo, RuntimeError};

/// The hidden first argument that makes `berth` a supervisor.
pub const ARG: &str = "__berth-supervise";

/// What a supervisor starts.
#[derive(Debug, Serialize, Deserialize)]
pub struct Start {
    pub id: String,
    pub spec: ContainerSpec,
    pub layout: Layout,
    pub binds: Vec<Bind>,
    /// `-t`: the container gets a terminal, served on the attach socket.
    #[serde(default)]
    pub tty: bool,
    /// `-i`: its stdin stays open for clients of the attach socket to write to.
    #[serde(default)]
    pub open_stdin: bool,
    /// The first client gets what it printed before it came (`run -it`).
    #[serde(default)]
    pub replay_first: bool,
}

/// How a container ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exit {
    pub status: i32,
    pub oom_killed: bool,
    pub finished_ns: i64,
}

fn now_ns() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// A detached container's run directory.
#[derive(Debug, Clone)]
pub struct Handle {
    pub dir: PathBuf,
}

/// A process's state and start time (in clock ticks since boot) from `/proc`.
fn proc_stat(pid: i32) -> Option<(char, u64)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    Some((fields.first()?.chars().next()?, fields.get(19)?.parse().ok()?))
}

/// What names a process for as long as it lives: its PID and start time (a PID alone
/// may be another process's later).
pub fn identity(pid: i32) -> String {
    format!("{pid} {}", proc_stat(pid).map_or(0, |(_, t)| t))
}

/// Whether the process `identity` names is alive (a zombie is not).
pub fn alive_as(identity: &str) -> bool {
    let mut parts = identity.split_whitespace();
    let (Some(Ok(pid)), start) = (parts.next().map(str::parse::<i32>), parts.next().and_then(|s| s.parse::<u64>().ok())) else { return false };
    match proc_stat(pid) {
        Some((state, started)) => state != 'Z' && start.is_none_or(|s| s == 0 || s == started),
        None => false,
    }
}

fn read_identity(path: &Path) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

impl Handle {
    pub fn of(native: &Path, id: &str) -> Handle {
        Handle { dir: native.join("run").join(id) }
    }

    /// The container's first process, while its supervisor holds it.
    pub fn pid(&self) -> Option<i32> {
        read_identity(&self.dir.join("pid")).filter(|i| alive_as(i)).and_then(|i| i.split_whitespace().next()?.parse().ok())
    }

    /// Attaches this process's streams to the container (see [`super::attach`]).
    pub fn attach(&self, o: &crate::runtime::AttachOptions) -> Result<crate::runtime::Attached, RuntimeError> {
        super::attach::attach(&self.dir, o)
    }

    pub fn supervisor_alive(&self) -> bool {
        read_identity(&self.dir.join("owner")).is_some_and(|i| alive_as(&i))
    }

    /// How it ended, once it has.
    pub fn exit(&self) -> Option<Exit> {
        serde_json::from_slice(&std::fs::read(self.dir.join("exit.json")).ok()?).ok()
    }

    /// Whether it has ended, or its supervisor is gone (then it has ended with it).
    pub fn ended(&self) -> bool {
        self.exit().is_some() || !self.supervisor_alive()
    }

    /// Sends `signal` to the container's first process.
    pub fn signal(&self, signal: i32) -> Result<(), RuntimeError> {
        let pid = self.pid().ok_or_else(|| RuntimeError::Failed("the container is not running".into()))?;
        // SAFETY: a signal to a process of ours.
        if unsafe { libc::kill(pid, signal) } != 0 {
            return Err(RuntimeError::Failed(format!("sending signal {signal}: {}", std::io::Error::last_os_error())));
        }
        Ok(())
    }

    /// Freezes or thaws the container's processes (`docker pause`, `unpause`).
    pub fn freeze(&self, id: &str, frozen: bool) -> Result<(), RuntimeError> {
        Cgroups::freeze(id, frozen).map_err(RuntimeError::Failed)
    }

    /// What `docker stats` shows: its cgroups' use, and its network's bytes received and
    /// sent (from its first process's `/proc/<pid>/net/dev`).
    pub fn usage(&self, id: &str) -> (super::Usage, (u64, u64)) {
        let net = self.pid().and_then(|pid| std::fs::read_to_string(format!("/proc/{pid}/net/dev")).ok()).map_or((0, 0), |dev| {
            dev.lines().skip(2).filter_map(|l| l.split_once(':')).filter(|(name, _)| name.trim() != "lo").fold((0, 0), |(rx, tx), (_, v)| {
                let f: Vec<u64> = v.split_whitespace().filter_map(|x| x.parse().ok()).collect();
                (rx + f.first().copied().unwrap_or(0), tx + f.get(8).copied().unwrap_or(0))
            })
        });
        (Cgroups::usage(id), net)
    }

    /// New limits for the running container's cgroups (`docker update`).
    pub fn update(&self, id: &str, memory: Option<crate::runtime::spec::Memory>, cpu: Option<crate::runtime::spec::Cpu>, pids: u64) -> Result<(), RuntimeError> {
        let cg = Cgroups::of(id);
        if let Some(m) = memory {
            cg.limit_memory(m).map_err(RuntimeError::Failed)?;
        }
        if let Some(c) = cpu {
            cg.limit_cpu(&c).map_err(RuntimeError::Failed)?;
        }
        if pids > 0 {
            cg.limit_pids(i64::try_from(pids).unwrap_or(i64::MAX)).map_err(RuntimeError::Failed)?;
        }
        Ok(())
    }

    /// Runs another process in the container (`docker exec`), to its end.
    pub fn exec(&self, id: &str, spec: &ContainerSpec, stdin: Vec<u8>, console: crate::runtime::Console) -> Result<crate::runtime::Ran, RuntimeError> {
        let pid = self.pid().ok_or_else(|| RuntimeError::Failed("the container is not running".into()))?;
        super::exec::exec(pid, &Cgroups::procs_files(id), spec, stdin, console)
    }

    /// What its published ports are bound to: `(host ip, host port, container port,
    /// proto)`, while it runs.
    pub fn published(&self) -> Vec<(String, u16, u32, String)> {
        super::ports::live(&self.dir).into_iter().map(|l| (l.host_ip, l.host_port, l.container_port, l.proto)).collect()
    }

    /// `docker exec -d`: starts `spec`'s process in the container with its streams on
    /// `/dev/null` and returns its host PID once it has exec'd (or why it could not).
    pub fn exec_detached(&self, id: &str, spec: &ContainerSpec) -> Result<i32, RuntimeError> {
        let pid = self.pid().ok_or_else(|| RuntimeError::Failed("the container is not running".into()))?;
        let null = std::fs::OpenOptions::new().read(true).write(true).open("/dev/null").map_err(|e| RuntimeError::Failed(format!("/dev/null: {e}")))?;
        let fd = std::os::fd::AsRawFd::as_raw_fd(&null);
        super::exec::exec_detached(pid, &Cgroups::procs_files(id), spec, None, [fd, fd, fd])
    }

    /// The log lines from byte `offset` of `log.json` on, and the offset after them.
    pub fn logs_from(&self, offset: u64) -> (Vec<LogLine>, u64) {
        let Ok(mut f) = std::fs::File::open(self.dir.join("log.json")) else { return (Vec::new(), offset) };
        let mut buf = Vec::new();
        use std::io::Seek;
        if f.seek(std::io::SeekFrom::Start(offset)).is_err() || f.read_to_end(&mut buf).is_err() {
            return (Vec::new(), offset);
        }
        // Only whole lines: the supervisor may be writing the next one.
        let end = buf.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let lines = buf[..end].lines().map_while(Result::ok).filter_map(|l| serde_json::from_str::<JsonLine>(&l).ok()).map(|j| LogLine { stream: j.stream, text: j.log, time: crate::time::parse_rfc3339_nanos(&j.time).unwrap_or(0) }).collect();
        (lines, offset + end as u64)
    }

    /// The container's processes, its first one first (`docker top`): those in its
    /// `pids` cgroup, with host PIDs as Docker shows them.
    pub fn processes(&self, id: &str) -> Vec<ProcessInfo> {
        let first = self.pid();
        let mut pids: Vec<i32> = Cgroups::procs(id);
        pids.sort_by_key(|p| (Some(*p) != first, *p));
        pids.into_iter().filter_map(process_info).collect()
    }
}

/// One process as `/proc` describes it.
fn process_info(pid: i32) -> Option<ProcessInfo> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ppid = fields.get(1)?.parse().ok()?;
    let ticks: i64 = fields.get(19)?.parse().ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let uid = status.lines().find_map(|l| l.strip_prefix("Uid:")).and_then(|v| v.split_whitespace().next()?.parse().ok()).unwrap_or(0);
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    let args = cmdline.split(|b| *b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
    let boot = std::fs::read_to_string("/proc/stat").ok()?.lines().find_map(|l| l.strip_prefix("btime ")).and_then(|v| v.trim().parse::<i64>().ok())?;
    // SAFETY: sysconf cannot fail for this name.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1);
    Some(ProcessInfo { pid: pid as u32, ppid, uid, started: boot + ticks / hz, args })
}

/// A line of Docker's json-file log.
#[derive(Serialize, Deserialize)]
struct JsonLine {
    log: String,
    stream: String,
    time: String,
}

/// Starts the supervisor for the prepared `start` in `dir` and waits until the
/// container's program runs (or did not start, and why).
pub fn launch(dir: &Path, start: &Start) -> Result<(), RuntimeError> {
    let json = serde_json::to_vec(start).map_err(|e| RuntimeError::Failed(e.to_string()))?;
    std::fs::write(dir.join("start.json"), json).map_err(|e| RuntimeError::Failed(format!("writing the container's start: {e}")))?;
    let exe = std::env::current_exe().map_err(|e| RuntimeError::Failed(format!("finding berth itself to supervise the container: {e}")))?;
    let mut cmd = std::process::Command::new(exe);
    cmd.arg(ARG).arg(dir).stdin(std::process::Stdio::null()).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null());
    use std::os::unix::process::CommandExt;
    // SAFETY: setsid is async-signal-safe; the supervisor leaves the terminal's session,
    // so Ctrl-C in it does not reach the container.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = cmd.spawn().map_err(|e| RuntimeError::Failed(format!("starting the container's supervisor: {e}")))?;
    let mut answer = String::new();
    if let Some(out) = child.stdout.take() {
        let _ = std::io::BufReader::new(out).read_line(&mut answer);
    }
    // The supervisor goes on alone; its exit is nobody's to wait for but init's.
    std::mem::forget(child);
    match answer.trim_end().split_once(' ') {
        _ if answer.trim_end() == "started" => Ok(()),
        Some(("failed", json)) => Err(serde_json::from_str::<Failure>(json).map(Failure::into_error).unwrap_or_else(|_| RuntimeError::Failed(json.to_string()))),
        _ => Err(RuntimeError::Failed("the container's supervisor exited before it started the container".into())),
    }
}

/// A start error as the supervisor reports it.
#[derive(Serialize, Deserialize)]
enum Failure {
    NotFound(String),
    Denied(String),
    Other(String),
}

impl Failure {
    fn of(e: &RuntimeError) -> Failure {
        match e {
            RuntimeError::ExecNotFound { argv0, .. } => Failure::NotFound(argv0.clone()),
            RuntimeError::ExecDenied { argv0 } => Failure::Denied(argv0.clone()),
            other => Failure::Other(other.to_string()),
        }
    }

    fn into_error(self) -> RuntimeError {
        match self {
            Failure::NotFound(argv0) => RuntimeError::ExecNotFound { in_path: !argv0.contains('/'), argv0 },
            Failure::Denied(argv0) => RuntimeError::ExecDenied { argv0 },
            Failure::Other(m) => RuntimeError::Failed(m),
        }
    }
}

extern "C" {
    /// glibc's: returns the free memory at the top of the heap to the system.
    fn malloc_trim(pad: libc::size_t) -> libc::c_int;
}

/// Once the container has started, the supervisor keeps only what its wait needs
/// resident: the heap that held the start is handed back, and the pages of the code it
/// ran to start the container (berth's, libc's) leave its resident set. Only mappings
/// that are read-only, file-backed and wholly clean (no anonymous pages: nothing was
/// written or relocated there) are dropped, so nothing is lost: a page the wait loop
/// needs is read back from the page cache when it runs.
fn shrink() {
    // SAFETY: malloc_trim only releases free heap memory.
    unsafe { malloc_trim(0) };
    let Ok(smaps) = std::fs::read_to_string("/proc/self/smaps") else { return };
    let mut current: Option<(usize, usize, bool)> = None;
    let drop_range = |(start, end, clean): (usize, usize, bool)| {
        if clean {
            // SAFETY: the range is a whole mapping that is read-only, file-backed and
            // has no anonymous pages, so discarding its pages loses nothing: they are
            // faulted back from the file.
            // MADV_RANDOM first: a page read back later comes alone, without the
            // neighbours the kernel would otherwise map around it.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_RANDOM);
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED);
            }
        }
    };
    for line in smaps.lines() {
        let mut fields = line.split_whitespace();
        let first = fields.next().unwrap_or_default();
        if let Some((a, b)) = first.split_once('-').filter(|(a, _)| a.chars().all(|c| c.is_ascii_hexdigit())) {
            if let Some(m) = current.take() {
                drop_range(m);
            }
            let perms = fields.next().unwrap_or_default();
            let path = fields.nth(3).unwrap_or_default();
            let candidate = !perms.contains('w') && perms.ends_with('p') && path.starts_with('/');
            if let (Ok(start), Ok(end), true) = (usize::from_str_radix(a, 16), usize::from_str_radix(b, 16), candidate) {
                current = Some((start, end, true));
            }
        } else if first == "Anonymous:" || first == "Private_Dirty:" {
            let kb: u64 = fields.next().and_then(|v| v.parse().ok()).unwrap_or(1);
            if let Some(m) = current.as_mut().filter(|_| kb > 0) {
                m.2 = false;
            }
        }
    }
    if let Some(m) = current {
        drop_range(m);
    }
}

/// The supervisor: `berth __berth-supervise DIR`. Returns its exit status.
pub fn main(dir: &Path) -> i32 {
    let mut report = std::io::stdout();
    let say = |report: &mut std::io::Stdout, line: &str| {
        let _ = writeln!(report, "{line}");
        let _ = report.flush();
    };
    let start: Start = match std::fs::read(dir.join("start.json")).map_err(|e| e.to_string()).and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string())) {
        Ok(s) => s,
        Err(e) => {
            say(&mut report, &format!("failed {}", serde_json::to_string(&Failure::Other(format!("reading the container's start: {e}"))).unwrap_or_default()));
            return 1;
        }
    };
    let _ = std::fs::write(dir.join("owner"), identity(std::process::id() as i32));
    let mut cgroups = match Cgroups::create(&start.id, &start.spec.linux.resources) {
        Ok(c) => c,
        Err(e) => {
            say(&mut report, &format!("failed {}", serde_json::to_string(&Failure::Other(e)).unwrap_or_default()));
            return 1;
        }
    };
    let listener = match super::attach::listen(dir) {
        Ok(l) => l,
        Err(e) => {
            cgroups.remove();
            say(&mut report, &format!("failed {}", serde_json::to_string(&Failure::Other(format!("creating the attach socket: {e}"))).unwrap_or_default()));
            return 1;
        }
    };
    // The published ports are bound before the container starts: one in use stops it.
    let bound = match super::ports::bind(&start.spec) {
        Ok(b) => b,
        Err(e) => {
            cgroups.remove();
            say(&mut report, &format!("failed {}", serde_json::to_string(&Failure::of(&e)).unwrap_or_default()));
            return 1;
        }
    };
    let console = if start.tty { crate::runtime::Console::Terminal { interactive: start.open_stdin } } else { crate::runtime::Console::Captured };
    let child = match super::process::spawn(&start.spec, &start.layout, &start.binds, false, console, &cgroups, || Ok(())) {
        Ok(c) => c,
        Err(e) => {
            cgroups.remove();
            say(&mut report, &format!("failed {}", serde_json::to_string(&Failure::of(&e)).unwrap_or_default()));
            return 1;
        }
    };
    let _ = std::fs::write(dir.join("pid"), identity(child.pid));
    let pid = child.pid;
    super::ports::serve(bound, pid, dir);
    // Without `-i` its stdin is closed, as `docker run -d` has it.
    let streams = match child.master {
        Some(master) => {
            let terminal = master.as_raw_fd();
            let input = if start.open_stdin { master.try_clone().ok() } else { None };
            super::attach::Streams { out: Some(master), err: None, input, terminal: Some(terminal), replay_first: start.replay_first }
        }
        None => super::attach::Streams { out: Some(child.stdout), err: child.stderr, input: start.open_stdin.then_some(child.stdin), terminal: None, replay_first: start.replay_first },
    };
    say(&mut report, "started");
    // From here on nothing reads this process's stdout.
    if let Ok(null) = std::fs::OpenOptions::new().write(true).open("/dev/null") {
        use std::os::fd::AsRawFd;
        // SAFETY: replaces our stdout with /dev/null.
        unsafe { libc::dup2(null.as_raw_fd(), 1) };
    }
    drop(start);
    shrink();
    let mut log = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("log.json")).ok();
    let mut partial: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    let mut write_lines = |stream: usize, bytes: &[u8], flush_all: bool| {
        let buf = &mut partial[stream];
        buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        while let Some(i) = buf.iter().position(|b| *b == b'\n').or_else(|| (flush_all && !buf.is_empty()).then(|| buf.len() - 1)) {
            let line: Vec<u8> = buf.drain(..=i).collect();
            let entry = JsonLine { log: String::from_utf8_lossy(&line).into_owned(), stream: if stream == 0 { "stdout" } else { "stderr" }.into(), time: crate::time::rfc3339_nanos(now_ns()) };
            if let Ok(mut json) = serde_json::to_vec(&entry) {
                json.push(b'\n');
                out.extend_from_slice(&json);
            }
        }
        if let Some(f) = log.as_mut() {
            let _ = f.write_all(&out);
        }
    };
    let clients = super::attach::serve(streams, &listener, &mut |stream, bytes| write_lines(stream, bytes, false));
    write_lines(0, b"", true);
    write_lines(1, b"", true);
    let status = super::process::wait(pid);
    let oom_killed = cgroups.oom_killed();
    cgroups.remove();
    let _ = std::fs::remove_file(dir.join("pid"));
    let _ = std::fs::remove_file(dir.join(super::ports::FILE));
    let exit = Exit { status, oom_killed, finished_ns: now_ns() };
    let tmp = dir.join("exit.json.tmp");
    if std::fs::write(&tmp, serde_json::to_vec(&exit).unwrap_or_default()).is_ok() {
        let _ = std::fs::rename(&tmp, dir.join("exit.json"));
    }
    // After exit.json: an attached client that hears of the end finds it recorded.
    let _ = std::fs::remove_file(dir.join(super::attach::SOCKET));
    super::attach::finish(clients, status);
    0
}
