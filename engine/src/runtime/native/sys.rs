//! The system calls a container's setup makes, behind a trait (youki's `Syscall`): the
//! real one calls the kernel, the [`Recorder`] writes each call down, so the whole setup
//! sequence is tested without root. Every method takes what was prepared before the
//! clone (C strings, pointer arrays) and allocates nothing: the real calls run in the
//! cloned child of a process that may have other threads, where an allocation could
//! wait for ever on a lock another thread held.

// System calls are what this backend is: each unsafe block says what makes it sound.
#![allow(unsafe_code)]

use std::ffi::CStr;

/// An `errno` value.
pub type Errno = i32;

pub trait Sys {
    /// Waits for the byte the parent sends once the child is in its cgroups.
    fn wait_parent(&self, fd: i32) -> Result<(), Errno>;
    /// Leaves namespaces of the kinds `flags` names for new ones (`unshare(2)`).
    fn unshare(&self, flags: i32) -> Result<(), Errno>;
    /// The child dies with the `berth` that started it (`PR_SET_PDEATHSIG`).
    fn die_with_parent(&self) -> Result<(), Errno>;
    fn mount(&self, source: Option<&CStr>, target: &CStr, fstype: Option<&CStr>, flags: u64, data: Option<&CStr>) -> Result<(), Errno>;
    fn umount(&self, target: &CStr, flags: i32) -> Result<(), Errno>;
    fn mkdir(&self, path: &CStr, mode: u32) -> Result<(), Errno>;
    /// Creates an empty file where there is none (a mount point for a file); `EEXIST`
    /// where there is one (it is not opened, which would copy it up).
    fn touch(&self, path: &CStr) -> Result<(), Errno>;
    fn mknod(&self, path: &CStr, mode: u32, dev: u64) -> Result<(), Errno>;
    fn symlink(&self, target: &CStr, link: &CStr) -> Result<(), Errno>;
    fn pivot_root(&self, new_root: &CStr, put_old: &CStr) -> Result<(), Errno>;
    fn chdir(&self, path: &CStr) -> Result<(), Errno>;
    fn rmdir(&self, path: &CStr) -> Result<(), Errno>;
    fn sethostname(&self, name: &CStr) -> Result<(), Errno>;
    /// Brings up `lo` in a new network namespace (Docker's `--network none` has it up).
    fn loopback_up(&self) -> Result<(), Errno>;
    /// Drops every capability not in `keep` from the bounding set.
    fn drop_bounding(&self, keep: u64) -> Result<(), Errno>;
    fn setgroups(&self, gids: &[u32]) -> Result<(), Errno>;
    fn setgid(&self, gid: u32) -> Result<(), Errno>;
    fn setuid(&self, uid: u32) -> Result<(), Errno>;
    /// Sets the effective, permitted and inheritable sets to `caps`.
    fn capset(&self, caps: u64) -> Result<(), Errno>;
    /// `execve`; returns only when it failed.
    fn execve(&self, path: &CStr, argv: &[*const libc::c_char], envp: &[*const libc::c_char]) -> Errno;
    fn no_new_privs(&self) -> Result<(), Errno>;
    fn setrlimit(&self, resource: i32, soft: u64, hard: u64) -> Result<(), Errno>;
    /// Writes `data` to an existing file (a sysctl).
    fn write_file(&self, path: &CStr, data: &[u8]) -> Result<(), Errno>;
    /// The init of `--init`: forks; the child returns `Ok` and goes on, this process
    /// stays PID 1 (closing `close`), reaps every child, forwards the signals it gets to
    /// its child and exits with its child's status. Never returns in PID 1.
    fn init(&self, close: i32, args: (usize, usize)) -> Result<(), Errno>;
    /// `-t`: opens a terminal in the container's own `/dev/pts`, sends its master end
    /// over `socket` (runc's console socket), and makes the other end this process's
    /// controlling terminal and standard streams.
    fn console(&self, socket: i32) -> Result<(), Errno>;
    /// Installs a seccomp filter (classic BPF).
    fn seccomp(&self, program: &[super::seccomp::Insn]) -> Result<(), Errno>;
    /// Joins the namespace open at `fd` (`setns(2)`; `nstype` a `CLONE_NEW*` flag).
    fn setns(&self, fd: i32, nstype: i32) -> Result<(), Errno>;
    /// An OCI `create`: tells the parent on `report` that the container is set up
    /// (8 bytes, [`super::process::READY`] first), closes it, and blocks opening `fifo`
    /// for writing until `start` opens it for reading (runc's `exec.fifo`).
    fn await_start(&self, report: i32, fifo: &CStr) -> Result<(), Errno>;
    /// Runs an OCI hook to its end (see [`super::plan::HookRun`]): `Err` with
    /// `ETIMEDOUT`, or its exit status or signal (above [`super::plan::HOOK_EXITED`],
    /// [`super::plan::HOOK_SIGNALLED`]), when it did not succeed.
    fn run_hook(&self, hook: &super::plan::HookRun) -> Result<(), Errno>;
}

/// The container's PID as the host sees it, which its parent sends with the go-ahead
/// (inside its PID namespace it is 1).
static HOST_PID: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// `n` in decimal into `buf`; the digits written.
fn decimal(mut n: u32, buf: &mut [u8; 10]) -> &[u8] {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 || at == 0 {
            return &buf[at..];
        }
    }
}

fn monotonic_ms() -> u64 {
    let mut t = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: a timespec for the kernel to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut t) };
    t.tv_sec as u64 * 1000 + t.tv_nsec as u64 / 1_000_000
}

/// A one-byte message with room for one descriptor, over the caller's buffers (which
/// must outlive it): what [`send_fd`] fills and [`recv_fd`] reads.
///
/// # Safety
/// The header points at `iov` and `control`; it is valid while they are.
unsafe fn fd_message(iov: &mut libc::iovec, control: &mut [u64; 4]) -> libc::msghdr {
    // SAFETY: msghdr is plain data; every field used is set below.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    // SAFETY: CMSG_SPACE only computes a size.
    msg.msg_controllen = unsafe { libc::CMSG_SPACE(std::mem::size_of::<i32>() as u32) } as _;
    msg
}

/// Sends `fd` over the Unix socket `socket` (`SCM_RIGHTS`).
pub fn send_fd(socket: i32, fd: i32) -> Result<(), Errno> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec { iov_base: byte.as_mut_ptr().cast(), iov_len: 1 };
    let mut control = [0u64; 4];
    // SAFETY: the header over local buffers that live for the call; the control buffer
    // is sized for one descriptor by CMSG_SPACE.
    unsafe {
        let msg = fd_message(&mut iov, &mut control);
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        (*cmsg).cmsg_level = libc::SOL_SOCKET;
        (*cmsg).cmsg_type = libc::SCM_RIGHTS;
        (*cmsg).cmsg_len = libc::CMSG_LEN(std::mem::size_of::<i32>() as u32) as _;
        std::ptr::copy_nonoverlapping((&fd as *const i32).cast::<u8>(), libc::CMSG_DATA(cmsg), std::mem::size_of::<i32>());
        if libc::sendmsg(socket, &msg, 0) < 0 {
            return Err(errno());
        }
    }
    Ok(())
}

/// Receives a descriptor [`send_fd`] sent; `None` when the other end closed first.
pub fn recv_fd(socket: i32) -> Option<i32> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec { iov_base: byte.as_mut_ptr().cast(), iov_len: 1 };
    let mut control = [0u64; 4];
    // SAFETY: the header over local buffers that live for the call.
    unsafe {
        let mut msg = fd_message(&mut iov, &mut control);
        if libc::recvmsg(socket, &mut msg, libc::MSG_CMSG_CLOEXEC) <= 0 {
            return None;
        }
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        if cmsg.is_null() || (*cmsg).cmsg_type != libc::SCM_RIGHTS {
            return None;
        }
        let mut fd = -1i32;
        std::ptr::copy_nonoverlapping(libc::CMSG_DATA(cmsg), (&mut fd as *mut i32).cast::<u8>(), std::mem::size_of::<i32>());
        Some(fd)
    }
}

/// The kernel.
pub struct Linux;

fn check(r: libc::c_int) -> Result<(), Errno> {
    if r == 0 {
        Ok(())
    } else {
        Err(errno())
    }
}

/// What a container's program starts with, as runc gives it: every signal's default
/// action and none blocked, whatever `berth` inherited. An ignored signal survives
/// `execve` (`nohup` ignores HUP), and a shell cannot trap a signal that was ignored
/// when it started. Only async-signal-safe calls: this runs between fork and exec.
///
/// # Safety
/// In a process about to `execve`.
unsafe fn default_signals() {
    // SAFETY: sigaction and sigprocmask on zeroed local structures.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = libc::SIG_DFL;
        for signal in 1..=64 {
            if signal != libc::SIGKILL && signal != libc::SIGSTOP {
                libc::sigaction(signal, &action, std::ptr::null_mut());
            }
        }
        let mut none: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut none);
        libc::sigprocmask(libc::SIG_SETMASK, &none, std::ptr::null_mut());
    }
}

pub fn errno() -> Errno {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO)
}

fn ptr(s: Option<&CStr>) -> *const libc::c_char {
    s.map_or(std::ptr::null(), CStr::as_ptr)
}

/// The highest capability number the kernel knows (`CAP_CHECKPOINT_RESTORE` is 40).
pub const CAP_LAST: u32 = 40;

impl Sys for Linux {
    fn setns(&self, fd: i32, nstype: i32) -> Result<(), Errno> {
        // SAFETY: integer arguments.
        check(unsafe { libc::setns(fd, nstype) })
    }

    fn await_start(&self, report: i32, fifo: &CStr) -> Result<(), Errno> {
        let mut msg = [0u8; 8];
        msg[..4].copy_from_slice(&super::process::READY.to_ne_bytes());
        // SAFETY: writes a local buffer and closes our own descriptor.
        unsafe {
            libc::write(report, msg.as_ptr().cast(), msg.len());
            libc::close(report);
        }
        loop {
            // SAFETY: opens a path given as a C string.
            let fd = unsafe { libc::open(fifo.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC) };
            if fd >= 0 {
                // SAFETY: one byte from a local to our own descriptor, which is closed.
                unsafe {
                    libc::write(fd, b"0".as_ptr().cast(), 1);
                    libc::close(fd);
                }
                return Ok(());
            }
            let e = errno();
            if e != libc::EINTR {
                return Err(e);
            }
        }
    }

    fn run_hook(&self, h: &super::plan::HookRun) -> Result<(), Errno> {
        let mut input = [0i32; 2];
        let mut output = [0i32; 2];
        // SAFETY: arrays of two ints for the kernel to fill.
        unsafe {
            if libc::socketpair(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0, input.as_mut_ptr()) != 0 {
                return Err(errno());
            }
            if libc::pipe2(output.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
                let e = errno();
                libc::close(input[0]);
                libc::close(input[1]);
                return Err(e);
            }
        }
        // SAFETY: this process is single-threaded (the container's first); the child
        // only makes system calls on prepared data, then execs or exits.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            // SAFETY: system calls with prepared C strings and our own descriptors.
            unsafe {
                if let Some((old_root, at)) = &h.host {
                    if libc::unshare(libc::CLONE_NEWNS) != 0 || libc::mount(c"/".as_ptr(), at.as_ptr(), std::ptr::null(), libc::MS_BIND | libc::MS_REC, std::ptr::null()) != 0 || libc::chroot(old_root.as_ptr()) != 0 {
                        libc::_exit(126);
                    }
                }
                libc::chdir(c"/".as_ptr());
                libc::dup2(input[0], 0);
                libc::dup2(output[1], 1);
                libc::dup2(output[1], 2);
                default_signals();
                libc::execve(h.program.candidates[0].as_ptr(), h.program.argv.as_ptr(), h.program.envp.as_ptr());
                libc::_exit(127);
            }
        }
        // SAFETY: our own descriptors; buffers are locals of the lengths given.
        unsafe {
            libc::close(input[0]);
            libc::close(output[1]);
            if pid < 0 {
                let e = errno();
                libc::close(input[1]);
                libc::close(output[0]);
                return Err(e);
            }
            // The state: a hook that does not read it must not stop this one.
            let mut digits = [0u8; 10];
            let pid_text = decimal(HOST_PID.load(std::sync::atomic::Ordering::Relaxed).max(0) as u32, &mut digits);
            for part in [h.state.0.as_slice(), pid_text, h.state.1.as_slice()] {
                libc::send(input[1], part.as_ptr().cast(), part.len(), libc::MSG_NOSIGNAL);
            }
            libc::close(input[1]);
            // Its output, the last 4 KiB kept, until it exits or its time is up.
            let mut kept = [0u8; 4096];
            let mut len = 0usize;
            let deadline = (h.timeout_ms > 0).then(|| monotonic_ms() + h.timeout_ms);
            let mut open = true;
            let mut status = 0;
            let outcome = loop {
                if open {
                    let mut p = libc::pollfd { fd: output[0], events: libc::POLLIN, revents: 0 };
                    if libc::poll(&mut p, 1, 20) > 0 {
                        let mut chunk = [0u8; 1024];
                        let n = libc::read(output[0], chunk.as_mut_ptr().cast(), chunk.len());
                        if n <= 0 {
                            open = false;
                        } else {
                            let n = n as usize;
                            if len + n > kept.len() {
                                let drop = (len + n - kept.len()).min(len);
                                kept.copy_within(drop..len, 0);
                                len -= drop;
                            }
                            let n = n.min(kept.len() - len);
                            kept[len..len + n].copy_from_slice(&chunk[..n]);
                            len += n;
                        }
                    }
                } else {
                    let pause = libc::timespec { tv_sec: 0, tv_nsec: 5_000_000 };
                    libc::nanosleep(&pause, std::ptr::null_mut());
                }
                let r = libc::waitpid(pid, &mut status, libc::WNOHANG);
                if r == pid {
                    break if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
                        Ok(())
                    } else if libc::WIFEXITED(status) {
                        Err(super::plan::HOOK_EXITED + libc::WEXITSTATUS(status))
                    } else {
                        Err(super::plan::HOOK_SIGNALLED + libc::WTERMSIG(status))
                    };
                }
                if r < 0 && errno() != libc::EINTR {
                    break Err(errno());
                }
                if deadline.is_some_and(|d| monotonic_ms() > d) {
                    libc::kill(pid, libc::SIGKILL);
                    libc::waitpid(pid, &mut status, 0);
                    break Err(libc::ETIMEDOUT);
                }
            };
            libc::close(output[0]);
            if let Err(e) = outcome {
                if len > 0 {
                    libc::write(2, kept.as_ptr().cast(), len);
                }
                if let Some(prefix) = &h.after_start {
                    let mut digits = [0u8; 10];
                    let (what, n): (&[u8], Option<u32>) = match e {
                        libc::ETIMEDOUT => (b"timed out after ", Some((h.timeout_ms / 1000) as u32)),
                        e if e >= super::plan::HOOK_SIGNALLED => (b"killed by signal ", Some((e - super::plan::HOOK_SIGNALLED) as u32)),
                        e if e >= super::plan::HOOK_EXITED => (b"exit status ", Some((e - super::plan::HOOK_EXITED) as u32)),
                        _ => (b"could not run it", None),
                    };
                    let number = n.map_or(&[][..], |n| decimal(n, &mut digits));
                    let unit: &[u8] = if e == libc::ETIMEDOUT { b"s\n" } else { b"\n" };
                    for part in [prefix.as_slice(), what, number, unit] {
                        libc::write(2, part.as_ptr().cast(), part.len());
                    }
                }
            }
            outcome
        }
    }

    fn wait_parent(&self, fd: i32) -> Result<(), Errno> {
        // The go-ahead byte and the PID, written at once (a pipe write under PIPE_BUF
        // arrives whole).
        let mut go = [0u8; 5];
        loop {
            // SAFETY: reads into a local buffer of that length.
            let n = unsafe { libc::read(fd, go.as_mut_ptr().cast(), go.len()) };
            if n >= 1 {
                if n == 5 {
                    HOST_PID.store(i32::from_ne_bytes([go[1], go[2], go[3], go[4]]), std::sync::atomic::Ordering::Relaxed);
                }
                return Ok(());
            }
            if n == 0 {
                // The parent went away before the child was placed: do not run.
                return Err(libc::ECANCELED);
            }
            let e = errno();
            if e != libc::EINTR {
                return Err(e);
            }
        }
    }

    fn unshare(&self, flags: i32) -> Result<(), Errno> {
        // SAFETY: integer flags.
        check(unsafe { libc::unshare(flags) })
    }

    fn die_with_parent(&self) -> Result<(), Errno> {
        // SAFETY: prctl with integer arguments.
        check(unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) })
    }

    fn mount(&self, source: Option<&CStr>, target: &CStr, fstype: Option<&CStr>, flags: u64, data: Option<&CStr>) -> Result<(), Errno> {
        // SAFETY: every pointer is a NUL-terminated string or null.
        check(unsafe { libc::mount(ptr(source), target.as_ptr(), ptr(fstype), flags as libc::c_ulong, ptr(data).cast()) })
    }

    fn umount(&self, target: &CStr, flags: i32) -> Result<(), Errno> {
        // SAFETY: a NUL-terminated path.
        check(unsafe { libc::umount2(target.as_ptr(), flags) })
    }

    fn mkdir(&self, path: &CStr, mode: u32) -> Result<(), Errno> {
        // SAFETY: a NUL-terminated path.
        check(unsafe { libc::mkdir(path.as_ptr(), mode as libc::mode_t) })
    }

    fn touch(&self, path: &CStr) -> Result<(), Errno> {
        // SAFETY: a NUL-terminated path; the descriptor is closed at once.
        let fd = unsafe { libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC | libc::O_NOFOLLOW, 0o644) };
        if fd < 0 {
            return Err(errno());
        }
        // SAFETY: our own descriptor.
        unsafe { libc::close(fd) };
        Ok(())
    }

    fn mknod(&self, path: &CStr, mode: u32, dev: u64) -> Result<(), Errno> {
        // SAFETY: a NUL-terminated path.
        check(unsafe { libc::mknod(path.as_ptr(), mode as libc::mode_t, dev as libc::dev_t) })
    }

    fn symlink(&self, target: &CStr, link: &CStr) -> Result<(), Errno> {
        // SAFETY: NUL-terminated paths.
        check(unsafe { libc::symlink(target.as_ptr(), link.as_ptr()) })
    }

    fn pivot_root(&self, new_root: &CStr, put_old: &CStr) -> Result<(), Errno> {
        // SAFETY: NUL-terminated paths.
        let r = unsafe { libc::syscall(libc::SYS_pivot_root, new_root.as_ptr(), put_old.as_ptr()) };
        if r == 0 {
            Ok(())
        } else {
            Err(errno())
        }
    }

    fn chdir(&self, path: &CStr) -> Result<(), Errno> {
        // SAFETY: a NUL-terminated path.
        check(unsafe { libc::chdir(path.as_ptr()) })
    }

    fn rmdir(&self, path: &CStr) -> Result<(), Errno> {
        // SAFETY: a NUL-terminated path.
        check(unsafe { libc::rmdir(path.as_ptr()) })
    }

    fn sethostname(&self, name: &CStr) -> Result<(), Errno> {
        let bytes = name.to_bytes();
        // SAFETY: a pointer and its length.
        check(unsafe { libc::sethostname(bytes.as_ptr().cast(), bytes.len()) })
    }

    fn loopback_up(&self) -> Result<(), Errno> {
        #[repr(C)]
        struct IfReq {
            name: [u8; 16],
            flags: libc::c_short,
            pad: [u8; 22],
        }
        // SAFETY: a socket used for one ioctl pair and closed.
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0);
            if fd < 0 {
                return Err(errno());
            }
            let mut req = IfReq { name: [0; 16], flags: 0, pad: [0; 22] };
            req.name[..2].copy_from_slice(b"lo");
            let mut r = libc::ioctl(fd, libc::SIOCGIFFLAGS, &mut req as *mut IfReq);
            if r == 0 {
                req.flags |= (libc::IFF_UP | libc::IFF_RUNNING) as libc::c_short;
                r = libc::ioctl(fd, libc::SIOCSIFFLAGS, &mut req as *mut IfReq);
            }
            let e = errno();
            libc::close(fd);
            if r == 0 {
                Ok(())
            } else {
                Err(e)
            }
        }
    }

    fn drop_bounding(&self, keep: u64) -> Result<(), Errno> {
        for cap in 0..=CAP_LAST {
            if keep & (1 << cap) != 0 {
                continue;
            }
            // SAFETY: prctl with integer arguments.
            if unsafe { libc::prctl(libc::PR_CAPBSET_DROP, cap as libc::c_ulong, 0, 0, 0) } != 0 {
                let e = errno();
                // A kernel older than the capability: nothing to drop.
                if e != libc::EINVAL {
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn setgroups(&self, gids: &[u32]) -> Result<(), Errno> {
        // SAFETY: a pointer and its length.
        check(unsafe { libc::setgroups(gids.len(), gids.as_ptr()) })
    }

    fn setgid(&self, gid: u32) -> Result<(), Errno> {
        // SAFETY: integer arguments.
        check(unsafe { libc::setresgid(gid, gid, gid) })
    }

    fn setuid(&self, uid: u32) -> Result<(), Errno> {
        // SAFETY: integer arguments.
        check(unsafe { libc::setresuid(uid, uid, uid) })
    }

    fn capset(&self, caps: u64) -> Result<(), Errno> {
        #[repr(C)]
        struct Header {
            version: u32,
            pid: i32,
        }
        #[repr(C)]
        #[derive(Clone, Copy)]
        struct Data {
            effective: u32,
            permitted: u32,
            inheritable: u32,
        }
        const VERSION_3: u32 = 0x2008_0522;
        let header = Header { version: VERSION_3, pid: 0 };
        let low = caps as u32;
        let high = (caps >> 32) as u32;
        let data = [Data { effective: low, permitted: low, inheritable: low }, Data { effective: high, permitted: high, inheritable: high }];
        // SAFETY: the kernel reads the header and two data words.
        let r = unsafe { libc::syscall(libc::SYS_capset, &header as *const Header, data.as_ptr()) };
        if r == 0 {
            Ok(())
        } else {
            Err(errno())
        }
    }

    fn execve(&self, path: &CStr, argv: &[*const libc::c_char], envp: &[*const libc::c_char]) -> Errno {
        // SAFETY: both arrays end with a null pointer (see `plan::Exec`); the signal calls
        // take local data.
        unsafe {
            default_signals();
            libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr())
        };
        errno()
    }

    fn no_new_privs(&self) -> Result<(), Errno> {
        // SAFETY: prctl with integer arguments.
        check(unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) })
    }

    fn setrlimit(&self, resource: i32, soft: u64, hard: u64) -> Result<(), Errno> {
        let limit = libc::rlimit { rlim_cur: soft as libc::rlim_t, rlim_max: hard as libc::rlim_t };
        // SAFETY: a resource number and a local struct.
        check(unsafe { libc::setrlimit(resource as _, &limit) })
    }

    fn write_file(&self, path: &CStr, data: &[u8]) -> Result<(), Errno> {
        // SAFETY: a NUL-terminated path, our own descriptor, a buffer with its length.
        unsafe {
            let fd = libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC);
            if fd < 0 {
                return Err(errno());
            }
            let n = libc::write(fd, data.as_ptr().cast(), data.len());
            let e = errno();
            libc::close(fd);
            if n < 0 {
                return Err(e);
            }
        }
        Ok(())
    }

    fn seccomp(&self, program: &[super::seccomp::Insn]) -> Result<(), Errno> {
        #[repr(C)]
        struct Fprog {
            len: u16,
            filter: *const super::seccomp::Insn,
        }
        let prog = Fprog { len: program.len() as u16, filter: program.as_ptr() };
        // SAFETY: the kernel reads `len` instructions from `filter`, which lives for the call.
        check(unsafe { libc::prctl(libc::PR_SET_SECCOMP, libc::SECCOMP_MODE_FILTER as libc::c_ulong, &prog as *const Fprog as libc::c_ulong, 0, 0) })
    }

    fn console(&self, socket: i32) -> Result<(), Errno> {
        // SAFETY: terminal ioctls and descriptor calls on local data.
        unsafe {
            let master = libc::open(c"/dev/pts/ptmx".as_ptr(), libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC);
            if master < 0 {
                return Err(errno());
            }
            let mut unlock: libc::c_int = 0;
            let mut n: libc::c_uint = 0;
            if libc::ioctl(master, libc::TIOCSPTLCK, &mut unlock) != 0 || libc::ioctl(master, libc::TIOCGPTN, &mut n) != 0 {
                return Err(errno());
            }
            // "/dev/pts/<n>", written without allocating.
            let mut path = [0u8; 32];
            let prefix = b"/dev/pts/";
            path[..prefix.len()].copy_from_slice(prefix);
            let mut digits = [0u8; 10];
            let mut len = 0;
            loop {
                digits[len] = b'0' + (n % 10) as u8;
                len += 1;
                n /= 10;
                if n == 0 {
                    break;
                }
            }
            for i in 0..len {
                path[prefix.len() + i] = digits[len - 1 - i];
            }
            let slave = libc::open(path.as_ptr().cast(), libc::O_RDWR | libc::O_NOCTTY);
            if slave < 0 {
                return Err(errno());
            }
            send_fd(socket, master)?;
            libc::close(master);
            libc::close(socket);
            if libc::setsid() < 0 || libc::ioctl(slave, libc::TIOCSCTTY, 0) != 0 {
                return Err(errno());
            }
            for i in 0..3 {
                libc::dup2(slave, i);
            }
            if slave > 2 {
                libc::close(slave);
            }
        }
        Ok(())
    }

    fn init(&self, close: i32, args: (usize, usize)) -> Result<(), Errno> {
        // SAFETY: signal-mask, fork, wait and kill calls on local data; PID 1 ends in _exit.
        // The command line area is this process's own memory, from the kernel's record.
        unsafe {
            let mut all: libc::sigset_t = std::mem::zeroed();
            libc::sigfillset(&mut all);
            let mut old: libc::sigset_t = std::mem::zeroed();
            libc::sigprocmask(libc::SIG_BLOCK, &all, &mut old);
            let child = libc::fork();
            if child < 0 {
                return Err(errno());
            }
            if child == 0 {
                libc::sigprocmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
                return Ok(());
            }
            libc::close(close);
            libc::prctl(libc::PR_SET_NAME, c"init".as_ptr() as libc::c_ulong, 0, 0, 0);
            let (start, end) = args;
            if start != 0 && end > start + 5 {
                std::ptr::write_bytes(start as *mut u8, 0, end - start);
                std::ptr::copy_nonoverlapping(b"init".as_ptr(), start as *mut u8, 4);
            }
            loop {
                let mut info: libc::siginfo_t = std::mem::zeroed();
                let sig = libc::sigwaitinfo(&all, &mut info);
                if sig < 0 {
                    continue;
                }
                if sig != libc::SIGCHLD {
                    libc::kill(child, sig);
                    continue;
                }
                loop {
                    let mut status = 0;
                    let reaped = libc::waitpid(-1, &mut status, libc::WNOHANG);
                    if reaped <= 0 {
                        break;
                    }
                    if reaped == child {
                        let code = if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { 128 + libc::WTERMSIG(status) };
                        libc::_exit(code);
                    }
                }
            }
        }
    }
}

/// Writes every call down instead of making it; `fail` makes the call whose record
/// starts with it fail with that errno.
#[cfg(test)]
#[derive(Default)]
pub struct Recorder {
    pub calls: std::cell::RefCell<Vec<String>>,
    pub fail: Vec<(String, Errno)>,
}

#[cfg(test)]
impl Recorder {
    fn record(&self, call: String) -> Result<(), Errno> {
        let failed = self.fail.iter().find(|(prefix, _)| call.starts_with(prefix.as_str())).map(|(_, e)| *e);
        self.calls.borrow_mut().push(call);
        failed.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
fn s(c: &CStr) -> String {
    c.to_string_lossy().into_owned()
}

#[cfg(test)]
impl Sys for Recorder {
    fn setns(&self, fd: i32, nstype: i32) -> Result<(), Errno> {
        self.record(format!("setns {} {nstype:#x}", fd >= 0))
    }
    fn await_start(&self, _report: i32, fifo: &CStr) -> Result<(), Errno> {
        self.record(format!("await_start {}", s(fifo)))
    }
    fn wait_parent(&self, fd: i32) -> Result<(), Errno> {
        self.record(format!("wait_parent {}", fd >= 0))
    }
    fn run_hook(&self, h: &super::plan::HookRun) -> Result<(), Errno> {
        let host = h.host.as_ref().map_or("in the container".into(), |(old, at)| format!("chroot {} with / at {}", s(old), s(at)));
        self.record(format!("hook {} #{} {} argv={} {host} state={}<pid>{}", h.kind, h.index, s(&h.program.candidates[0]), h.program.argv.len() - 1, String::from_utf8_lossy(&h.state.0), String::from_utf8_lossy(&h.state.1)))
    }
    fn unshare(&self, flags: i32) -> Result<(), Errno> {
        self.record(format!("unshare {flags:#x}"))
    }
    fn die_with_parent(&self) -> Result<(), Errno> {
        self.record("die_with_parent".into())
    }
    fn mount(&self, source: Option<&CStr>, target: &CStr, fstype: Option<&CStr>, flags: u64, data: Option<&CStr>) -> Result<(), Errno> {
        self.record(format!("mount {} {} {} {:#x} {}", source.map_or("-".into(), s), s(target), fstype.map_or("-".into(), s), flags, data.map_or("-".into(), s)))
    }
    fn umount(&self, target: &CStr, flags: i32) -> Result<(), Errno> {
        self.record(format!("umount {} {flags}", s(target)))
    }
    fn mkdir(&self, path: &CStr, mode: u32) -> Result<(), Errno> {
        self.record(format!("mkdir {} {mode:o}", s(path)))
    }
    fn touch(&self, path: &CStr) -> Result<(), Errno> {
        self.record(format!("touch {}", s(path)))
    }
    fn mknod(&self, path: &CStr, mode: u32, dev: u64) -> Result<(), Errno> {
        self.record(format!("mknod {} {mode:o} {dev}", s(path)))
    }
    fn symlink(&self, target: &CStr, link: &CStr) -> Result<(), Errno> {
        self.record(format!("symlink {} {}", s(target), s(link)))
    }
    fn pivot_root(&self, new_root: &CStr, put_old: &CStr) -> Result<(), Errno> {
        self.record(format!("pivot_root {} {}", s(new_root), s(put_old)))
    }
    fn chdir(&self, path: &CStr) -> Result<(), Errno> {
        self.record(format!("chdir {}", s(path)))
    }
    fn rmdir(&self, path: &CStr) -> Result<(), Errno> {
        self.record(format!("rmdir {}", s(path)))
    }
    fn sethostname(&self, name: &CStr) -> Result<(), Errno> {
        self.record(format!("sethostname {}", s(name)))
    }
    fn loopback_up(&self) -> Result<(), Errno> {
        self.record("loopback_up".into())
    }
    fn drop_bounding(&self, keep: u64) -> Result<(), Errno> {
        self.record(format!("drop_bounding {keep:#x}"))
    }
    fn setgroups(&self, gids: &[u32]) -> Result<(), Errno> {
        self.record(format!("setgroups {gids:?}"))
    }
    fn setgid(&self, gid: u32) -> Result<(), Errno> {
        self.record(format!("setgid {gid}"))
    }
    fn setuid(&self, uid: u32) -> Result<(), Errno> {
        self.record(format!("setuid {uid}"))
    }
    fn capset(&self, caps: u64) -> Result<(), Errno> {
        self.record(format!("capset {caps:#x}"))
    }
    fn no_new_privs(&self) -> Result<(), Errno> {
        self.record("no_new_privs".into())
    }
    fn setrlimit(&self, resource: i32, soft: u64, hard: u64) -> Result<(), Errno> {
        self.record(format!("setrlimit {resource} {soft} {hard}"))
    }
    fn write_file(&self, path: &CStr, data: &[u8]) -> Result<(), Errno> {
        self.record(format!("write_file {} {}", s(path), String::from_utf8_lossy(data)))
    }
    fn console(&self, socket: i32) -> Result<(), Errno> {
        self.record(format!("console {}", socket >= 0))
    }
    fn seccomp(&self, program: &[super::seccomp::Insn]) -> Result<(), Errno> {
        self.record(format!("seccomp {}", program.len()))
    }
    fn init(&self, close: i32, _args: (usize, usize)) -> Result<(), Errno> {
        self.record(format!("init {}", close >= 0))
    }
    fn execve(&self, path: &CStr, argv: &[*const libc::c_char], envp: &[*const libc::c_char]) -> Errno {
        let _ = self.record(format!("execve {} argv={} envp={}", s(path), argv.len() - 1, envp.len() - 1));
        self.fail.iter().find(|(p, _)| format!("execve {}", s(path)).starts_with(p.as_str())).map_or(0, |(_, e)| *e)
    }
}
