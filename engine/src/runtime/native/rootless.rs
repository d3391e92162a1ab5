//! Rootless containers, as rootless podman runs them: `berth` run by an unprivileged
//! user enters a user namespace in which that user is root, mapped with the setuid
//! helpers `newuidmap`/`newgidmap` (Debian's `uidmap`) to the user's own ID and the
//! range `/etc/subuid` and `/etc/subgid` give it, and does everything from inside:
//! layers are written out with their owners (within the range), containers are cloned
//! into namespaces the user namespace owns, overlayfs mounts with `userxattr`, and what a
//! container writes is read back with the IDs the container sees.
//!
//! The namespace is held by a small process of its own (podman's "pause" process,
//! `<state>/rootless/holder`), so that every `berth` of that user joins the same one and
//! reaches the containers another started. What a user namespace cannot do is not done:
//! device nodes are bound from the host's `/dev` instead of made, and there are no
//! cgroups (the host's are root's), so resource limits are refused with a message.

// System calls are what this backend is: each unsafe block says what makes it sound.
#![allow(unsafe_code)]

use std::os::fd::AsRawFd;
use std::path::Path;

/// Whether this process is in a user namespace other than the host's (the ID map is not
/// the identity over all IDs).
pub fn in_user_namespace() -> bool {
    std::fs::read_to_string("/proc/self/uid_map").is_ok_and(|m| m.split_whitespace().collect::<Vec<_>>() != ["0", "0", "4294967295"])
}

/// The subordinate range `file` (`/etc/subuid`) gives the user `name` or `id`.
fn subordinate(file: &str, name: &str, id: u32) -> Option<(u32, u32)> {
    let text = std::fs::read_to_string(file).ok()?;
    text.lines().find_map(|l| {
        let mut f = l.trim().split(':');
        let (who, start, count) = (f.next()?, f.next()?.parse().ok()?, f.next()?.parse().ok()?);
        (who == name || who == id.to_string()).then_some((start, count))
    })
}

static FAILED: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Why [`enter`] could not enter the user namespace, if it tried and could not.
pub fn failure() -> Option<&'static str> {
    FAILED.get().map(String::as_str)
}

/// [`enter`], remembering why it failed (the native runtime then says so).
pub fn try_enter(state: &Path) {
    if let Err(e) = enter(state) {
        let _ = FAILED.set(format!("the native runtime needs root, or for rootless containers a user namespace: {e}"));
    }
}

/// This user's name, from `/etc/passwd`.
fn user_name(uid: u32) -> String {
    std::fs::read_to_string("/etc/passwd").ok().and_then(|p| p.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.get(2).and_then(|u| u.parse::<u32>().ok()) == Some(uid)).then(|| f[0].to_string())
    })).unwrap_or_else(|| uid.to_string())
}

/// Joins this user's user namespace, making it (and its holder) first where there is
/// none alive. Call it before any thread is started: joining a user namespace needs a
/// single-threaded process. `state` is the user's state directory.
pub fn enter(state: &Path) -> Result<(), String> {
    // SAFETY: getters that cannot fail.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    if uid == 0 || in_user_namespace() {
        return Ok(());
    }
    let dir = state.join("rootless");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let holder = dir.join("holder");
    let alive = std::fs::read_to_string(&holder).ok().filter(|i| super::supervisor::alive_as(i));
    let pid: i32 = match alive.and_then(|i| i.split_whitespace().next()?.parse().ok()) {
        Some(pid) => pid,
        None => {
            let name = user_name(uid);
            let need = "rootless containers need newuidmap and newgidmap (Debian's uidmap) and a range for this user in /etc/subuid and /etc/subgid";
            let subuid = subordinate("/etc/subuid", &name, uid).ok_or(need)?;
            let subgid = subordinate("/etc/subgid", &name, gid).ok_or(need)?;
            let pid = hold()?;
            let map = |tool: &str, own: u32, (start, count): (u32, u32)| {
                std::process::Command::new(tool).args([pid.to_string(), "0".into(), own.to_string(), "1".into(), "1".into(), start.to_string(), count.to_string()]).output().map_err(|e| format!("{tool}: {e} ({need})")).and_then(|o| if o.status.success() { Ok(()) } else { Err(format!("{tool}: {}", String::from_utf8_lossy(&o.stderr).trim())) })
            };
            if let Err(e) = map("newuidmap", uid, subuid).and_then(|()| map("newgidmap", gid, subgid)) {
                // SAFETY: a signal to the holder just made.
                unsafe { libc::kill(pid, libc::SIGKILL) };
                return Err(e);
            }
            std::fs::write(&holder, super::supervisor::identity(pid)).map_err(|e| format!("{}: {e}", holder.display()))?;
            pid
        }
    };
    let ns = std::fs::File::open(format!("/proc/{pid}/ns/user")).map_err(|e| format!("the user namespace's holder: {e}"))?;
    // SAFETY: joins the namespace open at our own descriptor.
    if unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWUSER) } != 0 {
        return Err(format!("joining the user namespace: {}", std::io::Error::last_os_error()));
    }
    // Root in it: the IDs its files are written with.
    // SAFETY: setting our own IDs to ones mapped in the namespace.
    unsafe {
        libc::setgid(0);
        libc::setuid(0);
    }
    Ok(())
}

/// Forks the holder: it makes the user namespace, says so, and waits for ever (setsid,
/// its streams closed), so that the namespace lives while its containers do.
fn hold() -> Result<i32, String> {
    let mut fds = [0i32; 2];
    // SAFETY: two ints for the kernel to fill.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(format!("a pipe: {}", std::io::Error::last_os_error()));
    }
    // SAFETY: the process is single-threaded here (see `enter`); the child makes only
    // system calls and never returns.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        // SAFETY: system calls on our own descriptors; the child never leaves this block.
        unsafe {
            libc::close(fds[0]);
            libc::setsid();
            let ok: u8 = u8::from(libc::unshare(libc::CLONE_NEWUSER) == 0);
            libc::write(fds[1], (&ok as *const u8).cast(), 1);
            libc::close(fds[1]);
            let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
            for fd in 0..3 {
                libc::dup2(null, fd);
            }
            libc::prctl(libc::PR_SET_NAME, c"berth-userns".as_ptr());
            loop {
                libc::pause();
            }
        }
    }
    // SAFETY: our own descriptors and a one-byte local buffer.
    unsafe {
        libc::close(fds[1]);
        if pid < 0 {
            libc::close(fds[0]);
            return Err(format!("fork: {}", std::io::Error::last_os_error()));
        }
        let mut ok = 0u8;
        let n = libc::read(fds[0], (&mut ok as *mut u8).cast(), 1);
        libc::close(fds[0]);
        if n != 1 || ok != 1 {
            libc::kill(pid, libc::SIGKILL);
            libc::waitpid(pid, std::ptr::null_mut(), 0);
            return Err("this kernel does not let this user make a user namespace".into());
        }
    }
    Ok(pid)
}
