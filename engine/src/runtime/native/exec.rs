//! `docker exec` in a running native container (runc's `setns` path): a child of
//! `berth` enters the container's cgroups and namespaces (`setns` on the first process's
//! `/proc/<pid>/ns/*`), forks once more so that its own child is in the container's PID
//! namespace, and that one takes the process's user and capabilities and execs the
//! program. Its output comes back through pipes, as a foreground run's does.

// System calls are what this backend is: each unsafe block says what makes it sound.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::io::{Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

use super::plan::{self, Exec, Step};
use super::process::pipe;
use super::sys::{Linux, Sys};
use crate::runtime::spec::ContainerSpec;
use crate::runtime::{Ran, RuntimeError};

/// The namespaces an exec'd process joins, in the order runc joins them (mount last:
/// after it, `/proc` is the container's).
const NAMESPACES: &[(&str, i32)] = &[("ipc", libc::CLONE_NEWIPC), ("uts", libc::CLONE_NEWUTS), ("net", libc::CLONE_NEWNET), ("pid", libc::CLONE_NEWPID), ("cgroup", libc::CLONE_NEWCGROUP), ("mnt", libc::CLONE_NEWNS)];

/// The namespaces of host PID `pid` that this process is not already in, opened.
fn namespaces_of(pid: i32) -> Result<Vec<(OwnedFd, i32)>, RuntimeError> {
    let mut ns: Vec<(OwnedFd, i32)> = Vec::new();
    for (name, kind) in NAMESPACES {
        let path = format!("/proc/{pid}/ns/{name}");
        match std::fs::File::open(&path) {
            Ok(f) => {
                // The host's own namespace (a container with --network host): not joined.
                let own = std::fs::read_link(format!("/proc/self/ns/{name}")).ok();
                if own.is_some() && own == std::fs::read_link(&path).ok() {
                    continue;
                }
                ns.push((OwnedFd::from(f), *kind));
            }
            Err(e) => return Err(RuntimeError::Failed(format!("container {pid} cannot be entered ({path}: {e}); is it running?"))),
        }
    }
    Ok(ns)
}

/// The steps of `spec`'s process once inside: its directory, seccomp filter, user,
/// capabilities, then the exec.
fn steps_of(spec: &ContainerSpec) -> Result<Vec<Step>, RuntimeError> {
    let cwd = if spec.process.cwd.is_empty() { "/".to_string() } else { spec.process.cwd.clone() };
    let cwd = CString::new(cwd).map_err(|_| RuntimeError::Failed("the working directory contains a NUL byte".into()))?;
    let mut env = spec.process.env.clone();
    if !env.iter().any(|e| e.starts_with("PATH=")) {
        env.insert(0, format!("PATH={}", crate::runtime::spec::DEFAULT_PATH));
    }
    let user = &spec.process.user;
    let mut steps = vec![
        Step::Chdir(cwd),
        Step::DropBounding(plan::caps_of(spec)),
        Step::Groups(user.additional_gids.clone().unwrap_or_default()),
        Step::Gid(user.gid),
        Step::Uid(user.uid),
        Step::Umask(0o022),
        Step::Exec(Exec::new(&spec.process.args, &env, spec.path()).map_err(RuntimeError::Failed)?),
    ];
    if user.uid == 0 {
        steps.insert(5, Step::Caps(plan::caps_of(spec)));
    }
    if spec.process.no_new_privileges {
        steps.insert(steps.len() - 1, Step::NoNewPrivs);
    }
    // The container's seccomp filter applies to what is exec'd in it too.
    if let Some(program) = plan::seccomp_program(spec, plan::caps_of(spec)).map_err(RuntimeError::Failed)? {
        steps.insert(1, Step::Seccomp(program));
    }
    Ok(steps)
}

/// What a child's 8-byte report says went wrong.
fn failure(steps: &[Step], report: &[u8; 8]) -> RuntimeError {
    let step = u32::from_ne_bytes(report[..4].try_into().unwrap_or_default()) as usize;
    let errno = i32::from_ne_bytes(report[4..].try_into().unwrap_or_default());
    match steps.get(step) {
        Some(Step::Exec(e)) if errno == libc::ENOENT => RuntimeError::ExecNotFound { argv0: e.argv0.clone(), in_path: !e.argv0.contains('/') },
        Some(Step::Exec(e)) if errno == libc::EACCES => RuntimeError::ExecDenied { argv0: e.argv0.clone() },
        Some(s) => RuntimeError::Failed(format!("{}: {}", plan::describe(s), std::io::Error::from_raw_os_error(errno))),
        None => RuntimeError::Failed(format!("entering the container: {}", std::io::Error::from_raw_os_error(errno))),
    }
}

/// Reads up to `buf.len()` bytes until end of file: how many came.
fn read_full(file: &mut std::fs::File, buf: &mut [u8]) -> usize {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    got
}

/// Runs `spec`'s process in the container whose first process is host PID `pid`, in its
/// cgroups (`procs`: their `cgroup.procs` files), to its exit.
pub fn exec(pid: i32, procs: &[std::path::PathBuf], spec: &ContainerSpec, stdin: Vec<u8>, console: crate::runtime::Console) -> Result<Ran, RuntimeError> {
    // Everything the children use, made before the fork.
    let ns = namespaces_of(pid)?;
    let cgroup_files: Vec<CString> = procs.iter().filter_map(|p| CString::new(p.as_os_str().as_encoded_bytes()).ok()).collect();
    let mut steps = steps_of(spec)?;
    // `exec -t`: a terminal in the container's /dev/pts, its master end sent back.
    let sockets = match console {
        crate::runtime::Console::Terminal { .. } => Some(super::process::socketpair()?),
        crate::runtime::Console::Captured => None,
    };
    if let Some((_, child)) = &sockets {
        steps.insert(0, Step::Console { socket: child.as_raw_fd() });
    }
    let (in_r, in_w) = pipe()?;
    let (out_r, out_w) = pipe()?;
    let (err_r, err_w) = pipe()?;
    let (report_r, report_w) = pipe()?;
    let started = std::time::Instant::now();
    // SAFETY: fork; the child only makes system calls over what was prepared above.
    let child = unsafe { libc::fork() };
    if child < 0 {
        return Err(RuntimeError::Failed(format!("fork: {}", std::io::Error::last_os_error())));
    }
    if child == 0 {
        enter(&ns, &cgroup_files, &steps, [in_r.as_raw_fd(), out_w.as_raw_fd(), err_w.as_raw_fd()], report_w.as_raw_fd(), None);
    }
    drop((in_r, out_w, err_w, report_w));
    // SAFETY: a descriptor the kernel passed to us.
    let master = sockets.and_then(|(parent, child)| {
        drop(child);
        super::sys::recv_fd(parent.as_raw_fd())
    }).map(|fd| unsafe { OwnedFd::from_raw_fd(fd) });
    let mut report = [0u8; 8];
    if read_full(&mut std::fs::File::from(report_r), &mut report) == 8 {
        super::process::wait(child);
        return Err(failure(&steps, &report));
    }
    if let (Some(master), crate::runtime::Console::Terminal { interactive }) = (master, console) {
        drop((in_w, out_r, err_r));
        super::process::relay(master, interactive);
        let status = super::process::wait(child);
        return Ok(Ran { status, stdout: Vec::new(), stderr: Vec::new(), suspended: None, diverged: false, slept: started.elapsed().as_secs_f64(), stamps: Vec::new(), oom_killed: false, supervised: false });
    }
    let mut in_file = std::fs::File::from(in_w);
    let feeder = std::thread::spawn(move || {
        let _ = in_file.write_all(&stdin);
    });
    let mut bufs = [Vec::new(), Vec::new()];
    super::process::collect(out_r, Some(err_r), &mut |stream, bytes| bufs[stream].extend_from_slice(bytes));
    let status = super::process::wait(child);
    let _ = feeder.join();
    let [stdout, stderr] = bufs;
    Ok(Ran { status, stdout, stderr, suspended: None, diverged: false, slept: started.elapsed().as_secs_f64(), stamps: Vec::new(), oom_killed: false, supervised: false })
}

/// Reports a failed step (`u32::MAX` for entering) and ends the child.
fn fail(report: i32, step: u32, errno: i32) -> ! {
    let mut msg = [0u8; 8];
    msg[..4].copy_from_slice(&step.to_ne_bytes());
    msg[4..].copy_from_slice(&errno.to_ne_bytes());
    // SAFETY: a write of a local buffer, then _exit.
    unsafe {
        libc::write(report, msg.as_ptr().cast(), msg.len());
        libc::_exit(126);
    }
}

/// In the forked child: into the cgroups and namespaces, fork again, and in that child
/// the process's steps. This one waits and exits with its child's status; with
/// `detach`, it writes its child's PID there and exits at once, leaving it to the
/// nearest subreaper (conmon, under podman).
fn enter(ns: &[(OwnedFd, i32)], cgroups: &[CString], steps: &[Step], stdio: [i32; 3], report: i32, detach: Option<i32>) -> ! {
    // SAFETY: system calls on prepared data only; every path ends in _exit or exec.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0);
        for (i, fd) in stdio.iter().enumerate() {
            libc::dup2(*fd, i as i32);
        }
        for path in cgroups {
            let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
            if fd >= 0 {
                // "0": the writing process itself.
                libc::write(fd, b"0".as_ptr().cast(), 1);
                libc::close(fd);
            }
        }
        for (fd, kind) in ns {
            if libc::setns(fd.as_raw_fd(), *kind) != 0 {
                fail(report, u32::MAX, super::sys::errno());
            }
        }
        let grandchild = libc::fork();
        if grandchild < 0 {
            fail(report, u32::MAX, super::sys::errno());
        }
        if grandchild == 0 {
            let sys: &dyn Sys = &Linux;
            match plan::run(steps, sys) {
                Ok(()) => fail(report, steps.len() as u32 - 1, libc::ENOEXEC),
                Err(f) => fail(report, f.step as u32, f.errno),
            }
        }
        libc::close(report);
        if let Some(fd) = detach {
            let bytes = grandchild.to_ne_bytes();
            libc::write(fd, bytes.as_ptr().cast(), bytes.len());
            libc::_exit(0);
        }
        let mut status = 0;
        while libc::waitpid(grandchild, &mut status, 0) < 0 && super::sys::errno() == libc::EINTR {}
        let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else if libc::WIFSIGNALED(status) { 128 + libc::WTERMSIG(status) } else { 255 };
        libc::_exit(code);
    }
}

/// Starts `spec`'s process in the container whose first process is host PID `pid`,
/// in the cgroups whose `cgroup.procs` files are `procs`, with `stdio` as its standard
/// streams (runc's `exec`: this process's; a terminal's master goes to `console`, a
/// connected socket).
/// Returns its host PID at once; the caller's subreaper is its parent.
pub fn exec_detached(pid: i32, procs: &[std::path::PathBuf], spec: &ContainerSpec, console: Option<&std::os::unix::net::UnixStream>, stdio: [i32; 3]) -> Result<i32, RuntimeError> {
    let ns = namespaces_of(pid)?;
    let cgroup_files: Vec<CString> = procs.iter().filter_map(|p| CString::new(p.as_os_str().as_encoded_bytes()).ok()).collect();
    let mut steps = steps_of(spec)?;
    if let Some(socket) = console {
        steps.insert(0, Step::Console { socket: socket.as_raw_fd() });
    }
    let (report_r, report_w) = pipe()?;
    let (pid_r, pid_w) = pipe()?;
    // SAFETY: fork; the child only makes system calls over what was prepared above.
    let child = unsafe { libc::fork() };
    if child < 0 {
        return Err(RuntimeError::Failed(format!("fork: {}", std::io::Error::last_os_error())));
    }
    if child == 0 {
        enter(&ns, &cgroup_files, &steps, stdio, report_w.as_raw_fd(), Some(pid_w.as_raw_fd()));
    }
    drop((report_w, pid_w));
    let mut bytes = [0u8; 4];
    let got = read_full(&mut std::fs::File::from(pid_r), &mut bytes);
    super::process::wait(child);
    let mut report = [0u8; 8];
    if read_full(&mut std::fs::File::from(report_r), &mut report) == 8 {
        return Err(failure(&steps, &report));
    }
    if got != 4 {
        return Err(RuntimeError::Failed("entering the container: the process did not start".into()));
    }
    Ok(i32::from_ne_bytes(bytes))
}
