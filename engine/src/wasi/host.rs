//! The preview 1 calls over a [`FileSystem`]. One process: its arguments, environment,
//! descriptor table and standard streams.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::GuestMemory;
use crate::shell::{Pause, TerminalInput};
use crate::vfs::{join, normalize, Attrs, Content, Errno, FileSystem, FileType, FsError, Metadata};

/// WASI's errno values (`wasi_snapshot_preview1`'s `errno` enum).
mod errno {
    pub const SUCCESS: i32 = 0;
    pub const ACCES: i32 = 2;
    pub const BADF: i32 = 8;
    pub const BUSY: i32 = 10;
    pub const EXIST: i32 = 20;
    pub const FBIG: i32 = 22;
    pub const FAULT: i32 = 21;
    pub const INVAL: i32 = 28;
    pub const ISDIR: i32 = 31;
    pub const LOOP: i32 = 32;
    pub const NAMETOOLONG: i32 = 37;
    pub const NOENT: i32 = 44;
    pub const NOSPC: i32 = 51;
    pub const NOSYS: i32 = 52;
    pub const NOTDIR: i32 = 54;
    pub const NOTEMPTY: i32 = 55;
    pub const NOTSUP: i32 = 58;
    pub const NXIO: i32 = 60;
    pub const PERM: i32 = 63;
    pub const ROFS: i32 = 69;
    pub const SPIPE: i32 = 70;
    pub const XDEV: i32 = 75;
}

/// The one place a filesystem error becomes a WASI errno.
fn wasi_errno(e: &FsError) -> i32 {
    match e.errno {
        Errno::ENOENT => errno::NOENT,
        Errno::EEXIST => errno::EXIST,
        Errno::ENOTDIR => errno::NOTDIR,
        Errno::EISDIR => errno::ISDIR,
        Errno::EACCES => errno::ACCES,
        Errno::EPERM => errno::PERM,
        Errno::ELOOP => errno::LOOP,
        Errno::ENOSPC => errno::NOSPC,
        Errno::ENOTEMPTY => errno::NOTEMPTY,
        Errno::EINVAL => errno::INVAL,
        Errno::EXDEV => errno::XDEV,
        Errno::EROFS => errno::ROFS,
        Errno::ENAMETOOLONG => errno::NAMETOOLONG,
        Errno::EBUSY => errno::BUSY,
        Errno::EFBIG => errno::FBIG,
        Errno::ENXIO => errno::NXIO,
    }
}

const FILETYPE_UNKNOWN: u8 = 0;
const FILETYPE_CHAR: u8 = 2;
const FILETYPE_DIR: u8 = 3;
const FILETYPE_FILE: u8 = 4;
const FILETYPE_SYMLINK: u8 = 7;

const OFLAG_CREAT: i64 = 1;
const OFLAG_DIRECTORY: i64 = 2;
const OFLAG_EXCL: i64 = 4;
const OFLAG_TRUNC: i64 = 8;
const FDFLAG_APPEND: i64 = 1;
const LOOKUP_FOLLOW: i64 = 1;
const RIGHT_FD_READ: u64 = 1 << 1;
const RIGHT_FD_WRITE: u64 = 1 << 6;
const ALL_RIGHTS: u64 = (1 << 30) - 1;

fn filetype(kind: FileType) -> u8 {
    match kind {
        FileType::File => FILETYPE_FILE,
        FileType::Dir => FILETYPE_DIR,
        FileType::Symlink => FILETYPE_SYMLINK,
        FileType::CharDevice => FILETYPE_CHAR,
        FileType::BlockDevice => 1,
        FileType::Fifo | FileType::Socket => FILETYPE_UNKNOWN,
    }
}

/// How a run ended other than by returning from a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// `proc_exit(code)`.
    Status(i32),
    /// The run was interrupted (Ctrl-C, `docker stop`): status 130.
    Interrupted,
    /// The run went past its time limit and was killed: status 137.
    TimedOut,
}

enum Open {
    Stdin,
    Stdout,
    Stderr,
    /// A preopened or opened directory; `cursor` is unused (readdir takes cookies).
    Dir { path: String },
    File { path: String, pos: u64, append: bool, read: bool, write: bool },
}

/// A process as preview 1 sees it.
pub struct WasiHost<'a> {
    fs: &'a mut dyn FileSystem,
    args: Vec<String>,
    env: Vec<(String, String)>,
    fds: BTreeMap<u32, Open>,
    /// Read-only files the host adds to the guest's view without writing them into the
    /// container (the interpreter's standard library).
    host_files: Vec<(String, Arc<Vec<u8>>)>,
    stdin: Vec<u8>,
    stdin_pos: usize,
    /// Everything written to fd 1 and 2, in order, with the stream it went to.
    pub output: Vec<(u8, Vec<u8>)>,
    terminal: Option<TerminalInput>,
    pause: Option<Pause>,
    interrupt: Option<Arc<AtomicBool>>,
    clock: Rc<dyn Fn() -> u64>,
    /// Nanoseconds added by sleeps that were not really waited for.
    slept: u64,
    uid: u32,
    gid: u32,
    /// The standard streams are a terminal (`isatty`), not pipes.
    tty: bool,
    /// Seconds of running time after which the runtime stops the program.
    time_limit: Option<f64>,
    /// Nanoseconds spent in pauses that really waited: not running time.
    paused: Arc<std::sync::atomic::AtomicU64>,
    simulated_clock: bool,
    random: [u8; 32],
    random_counter: u64,
}

impl<'a> WasiHost<'a> {
    /// A process with `args` and `env` over `fs`, its root preopened as fd 3 (`/`).
    pub fn new(fs: &'a mut dyn FileSystem, args: Vec<String>, env: Vec<(String, String)>, stdin: Vec<u8>, clock: Rc<dyn Fn() -> u64>) -> WasiHost<'a> {
        let mut fds = BTreeMap::new();
        fds.insert(0, Open::Stdin);
        fds.insert(1, Open::Stdout);
        fds.insert(2, Open::Stderr);
        fds.insert(3, Open::Dir { path: "/".into() });
        let seed = Sha256::digest(format!("{}{:?}", clock(), args).as_bytes()).into();
        WasiHost {
            fs,
            args,
            env,
            fds,
            host_files: Vec::new(),
            stdin,
            stdin_pos: 0,
            output: Vec::new(),
            terminal: None,
            pause: None,
            interrupt: None,
            clock,
            slept: 0,
            uid: 0,
            gid: 0,
            tty: false,
            time_limit: None,
            paused: Arc::default(),
            simulated_clock: false,
            random: seed,
            random_counter: 0,
        }
    }

    /// Adds a read-only file at `path` that is not in the filesystem.
    pub fn add_host_file(&mut self, path: &str, data: Arc<Vec<u8>>) {
        self.host_files.push((normalize(path), data));
    }

    /// Owner of the files the process creates.
    pub fn set_user(&mut self, uid: u32, gid: u32) {
        self.uid = uid;
        self.gid = gid;
    }

    /// Reading past the end of stdin waits for the user's next line (an attached
    /// terminal): `terminal` is given the output so far, to show first.
    pub fn set_terminal(&mut self, terminal: Option<TerminalInput>) {
        self.terminal = terminal;
    }

    /// Whether the standard streams are a terminal (an attached `-it` session) rather than
    /// pipes: programs ask with `isatty` (Python's REPL, its line buffering).
    pub fn set_tty(&mut self, tty: bool) {
        self.tty = tty;
    }

    /// Stops the program after `secs` of running time (a runaway loop in a build).
    pub fn set_time_limit(&mut self, secs: Option<f64>) {
        self.time_limit = secs;
    }

    pub fn time_limit(&self) -> Option<f64> {
        self.time_limit
    }

    /// Nanoseconds the program has waited in real pauses so far, which its time limit
    /// does not count (a service followed by `logs -f`, `time.sleep` at a terminal).
    pub fn paused_time(&self) -> Arc<std::sync::atomic::AtomicU64> {
        self.paused.clone()
    }

    /// Says on stderr that the time limit stopped the program.
    pub fn note_timeout(&mut self) {
        let secs = self.time_limit.unwrap_or(0.0);
        self.output.push((2, format!("berth: the program was stopped after {secs} s, the time limit for one program in the emulated runtime\n").into_bytes()));
    }

    /// Sleeps really wait (an interactive terminal); without it, time is simulated.
    /// The clock given to [`WasiHost::new`] is simulated: sleeps move it on even where
    /// they really wait.
    pub fn set_simulated_clock(&mut self, simulated: bool) {
        self.simulated_clock = simulated;
    }

    pub fn set_pause(&mut self, pause: Option<Pause>) {
        self.pause = pause;
    }

    pub fn set_interrupt(&mut self, flag: Option<Arc<AtomicBool>>) {
        self.interrupt = flag;
    }

    /// Whether the run should stop (checked by the runtime between calls too).
    pub fn interrupted(&self) -> bool {
        self.interrupt.as_ref().is_some_and(|f| f.load(Ordering::Relaxed))
    }

    /// The interrupt flag, for a runtime that watches it from another thread.
    pub fn interrupt_flag(&self) -> Option<Arc<AtomicBool>> {
        self.interrupt.clone()
    }

    /// Bytes of stdin the process read.
    pub fn stdin_consumed(&self) -> usize {
        self.stdin_pos
    }

    /// Answers the import `name` with `args` (i32s zero-extended, i64s as they are).
    /// `Err` ends the run.
    pub fn call(&mut self, name: &str, args: &[i64], mem: &mut dyn GuestMemory) -> Result<i32, Exit> {
        if self.interrupted() {
            return Err(Exit::Interrupted);
        }
        let a = |i: usize| args.get(i).copied().unwrap_or(0);
        let u = |i: usize| a(i) as u32;
        let r = match name {
            "args_get" => self.strings_get(&self.args.clone(), u(0), u(1), mem),
            "args_sizes_get" => self.strings_sizes(&self.args.clone(), u(0), u(1), mem),
            "environ_get" => {
                let env: Vec<String> = self.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
                self.strings_get(&env, u(0), u(1), mem)
            }
            "environ_sizes_get" => {
                let env: Vec<String> = self.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
                self.strings_sizes(&env, u(0), u(1), mem)
            }
            "clock_res_get" => put_u64(mem, u(1), 1_000),
            // Every clock (real time, monotonic, CPU time) reads the host's clock plus the
            // time simulated sleeps skipped.
            "clock_time_get" => put_u64(mem, u(2), (self.clock)() + self.slept),
            "fd_advise" | "fd_allocate" | "fd_datasync" | "fd_sync" | "fd_fdstat_set_rights" => self.check_fd(u(0)),
            "fd_fdstat_set_flags" => match self.fds.get_mut(&u(0)) {
                Some(Open::File { append, .. }) => {
                    *append = a(1) & FDFLAG_APPEND != 0;
                    errno::SUCCESS
                }
                Some(_) => errno::SUCCESS,
                None => errno::BADF,
            },
            "fd_close" => match u(0) {
                0..=2 => errno::SUCCESS,
                fd => {
                    if self.fds.remove(&fd).is_some() {
                        errno::SUCCESS
                    } else {
                        errno::BADF
                    }
                }
            },
            "fd_fdstat_get" => self.fdstat(u(0), u(1), mem),
            "fd_filestat_get" => match self.fds.get(&u(0)) {
                Some(Open::Dir { path }) | Some(Open::File { path, .. }) => {
                    let path = path.clone();
                    match self.stat(&path, true) {
                        Ok(m) => write_filestat(mem, u(1), &m),
                        Err(e) => wasi_errno(&e),
                    }
                }
                Some(_) => write_filestat(mem, u(1), &char_device()),
                None => errno::BADF,
            },
            "fd_filestat_set_size" => match self.fds.get(&u(0)) {
                Some(Open::File { path, write: true, .. }) => {
                    let path = path.clone();
                    fs_result(self.fs.set_len(&path, a(1) as u64))
                }
                Some(_) => errno::INVAL,
                None => errno::BADF,
            },
            "fd_filestat_set_times" => match self.fds.get(&u(0)) {
                Some(Open::File { path, .. }) | Some(Open::Dir { path }) => {
                    let path = path.clone();
                    self.set_times(&path, a(2), a(3))
                }
                Some(_) => errno::SUCCESS,
                None => errno::BADF,
            },
            "fd_pread" => self.fd_read(u(0), u(1), u(2), Some(a(3) as u64), u(4), mem)?,
            "fd_read" => self.fd_read(u(0), u(1), u(2), None, u(3), mem)?,
            "fd_pwrite" => self.fd_write(u(0), u(1), u(2), Some(a(3) as u64), u(4), mem),
            "fd_write" => self.fd_write(u(0), u(1), u(2), None, u(3), mem),
            "fd_prestat_get" => match self.fds.get(&u(0)) {
                Some(Open::Dir { path }) if u(0) == 3 => {
                    let mut b = vec![0u8; 8];
                    b[4..8].copy_from_slice(&(path.len() as u32).to_le_bytes());
                    put(mem, u(1), &b)
                }
                _ => errno::BADF,
            },
            "fd_prestat_dir_name" => match self.fds.get(&u(0)) {
                Some(Open::Dir { path }) if u(0) == 3 => {
                    let name = path.as_bytes();
                    put(mem, u(1), &name[..name.len().min(u(2) as usize)])
                }
                _ => errno::BADF,
            },
            "fd_readdir" => self.readdir(u(0), u(1), u(2), a(3) as u64, u(4), mem),
            "fd_renumber" => {
                let (from, to) = (u(0), u(1));
                match self.fds.remove(&from) {
                    Some(open) => {
                        self.fds.insert(to, open);
                        errno::SUCCESS
                    }
                    None => errno::BADF,
                }
            }
            "fd_seek" => self.seek(u(0), a(1), a(2), u(3), mem),
            "fd_tell" => self.seek(u(0), 0, 1, u(1), mem),
            "path_create_directory" => match self.path(u(0), u(1), u(2), mem) {
                Ok(p) => match self.stat(&p, false) {
                    Ok(_) => errno::EXIST,
                    Err(_) => fs_result(self.fs.create_dir(&p, 0o755).and_then(|_| self.fs.set_owner(&p, self.uid, self.gid))),
                },
                Err(e) => e,
            },
            "path_filestat_get" => match self.path(u(0), u(2), u(3), mem) {
                Ok(p) => match self.stat(&p, a(1) & LOOKUP_FOLLOW != 0) {
                    Ok(m) => write_filestat(mem, u(4), &m),
                    Err(e) => wasi_errno(&e),
                },
                Err(e) => e,
            },
            "path_filestat_set_times" => match self.path(u(0), u(2), u(3), mem) {
                Ok(p) => self.set_times(&p, a(5), a(6)),
                Err(e) => e,
            },
            "path_link" => match (self.path(u(0), u(2), u(3), mem), self.path(u(4), u(5), u(6), mem)) {
                (Ok(from), Ok(to)) => fs_result(self.fs.hard_link(&from, &to)),
                (Err(e), _) | (_, Err(e)) => e,
            },
            "path_open" => self.open(u(0), a(1), u(2), u(3), a(4), a(5) as u64, a(7), u(8), mem),
            "path_readlink" => match self.path(u(0), u(1), u(2), mem) {
                Ok(p) => match self.fs.read_link(&p) {
                    Ok(target) => {
                        let b = target.as_bytes();
                        let n = b.len().min(u(4) as usize);
                        let r = put(mem, u(3), &b[..n]);
                        if r != errno::SUCCESS {
                            r
                        } else {
                            put_u32(mem, u(5), n as u32)
                        }
                    }
                    Err(e) => wasi_errno(&e),
                },
                Err(e) => e,
            },
            "path_remove_directory" => match self.path(u(0), u(1), u(2), mem) {
                Ok(p) => fs_result(self.fs.remove_dir(&p)),
                Err(e) => e,
            },
            "path_rename" => match (self.path(u(0), u(1), u(2), mem), self.path(u(3), u(4), u(5), mem)) {
                (Ok(from), Ok(to)) => fs_result(self.fs.rename(&from, &to)),
                (Err(e), _) | (_, Err(e)) => e,
            },
            "path_symlink" => match (mem.read(u(0), u(1)), self.path(u(2), u(3), u(4), mem)) {
                (Some(target), Ok(link)) => fs_result(self.fs.symlink(&String::from_utf8_lossy(&target), &link)),
                (None, _) => errno::FAULT,
                (_, Err(e)) => e,
            },
            "path_unlink_file" => match self.path(u(0), u(1), u(2), mem) {
                Ok(p) => match self.fs.lstat(&p) {
                    Ok(m) if m.is_dir() => errno::ISDIR,
                    Ok(_) => fs_result(self.fs.remove_file(&p)),
                    Err(e) => wasi_errno(&e),
                },
                Err(e) => e,
            },
            "poll_oneoff" => self.poll(u(0), u(1), u(2), u(3), mem)?,
            "proc_exit" => return Err(Exit::Status(a(0) as i32)),
            "proc_raise" => errno::NOSYS,
            "sched_yield" => errno::SUCCESS,
            "random_get" => {
                // Written a block at a time: a bogus length faults instead of allocating.
                let (ptr, len) = (u(0), u(1));
                let mut done = 0u32;
                let mut errno = errno::SUCCESS;
                while done < len && errno == errno::SUCCESS {
                    self.random_counter += 1;
                    let block = Sha256::new().chain_update(self.random).chain_update(self.random_counter.to_le_bytes()).finalize();
                    let n = (len - done).min(block.len() as u32);
                    errno = put(mem, ptr.wrapping_add(done), &block[..n as usize]);
                    done += n;
                }
                errno
            }
            "sock_accept" | "sock_recv" | "sock_send" | "sock_shutdown" => errno::NOTSUP,
            _ => errno::NOSYS,
        };
        Ok(r)
    }

    fn check_fd(&self, fd: u32) -> i32 {
        if self.fds.contains_key(&fd) {
            errno::SUCCESS
        } else {
            errno::BADF
        }
    }

    fn strings_get(&self, list: &[String], ptrs: u32, buf: u32, mem: &mut dyn GuestMemory) -> i32 {
        let mut at = buf;
        for (i, s) in list.iter().enumerate() {
            let mut bytes = s.as_bytes().to_vec();
            bytes.push(0);
            if !mem.write(ptrs + 4 * i as u32, &at.to_le_bytes()) || !mem.write(at, &bytes) {
                return errno::FAULT;
            }
            at += bytes.len() as u32;
        }
        errno::SUCCESS
    }

    fn strings_sizes(&self, list: &[String], count: u32, size: u32, mem: &mut dyn GuestMemory) -> i32 {
        let total: usize = list.iter().map(|s| s.len() + 1).sum();
        match put_u32(mem, count, list.len() as u32) {
            errno::SUCCESS => put_u32(mem, size, total as u32),
            e => e,
        }
    }

    /// The absolute path of `path` (in guest memory) relative to directory `fd`.
    fn path(&self, fd: u32, ptr: u32, len: u32, mem: &dyn GuestMemory) -> Result<String, i32> {
        let base = match self.fds.get(&fd) {
            Some(Open::Dir { path }) => path.clone(),
            Some(_) => return Err(errno::NOTDIR),
            None => return Err(errno::BADF),
        };
        let raw = mem.read(ptr, len).ok_or(errno::FAULT)?;
        let rel = String::from_utf8(raw).map_err(|_| errno::INVAL)?;
        if rel.contains('\0') {
            return Err(errno::INVAL);
        }
        Ok(normalize(&join(&base, &rel)))
    }

    fn host_file(&self, path: &str) -> Option<&Arc<Vec<u8>>> {
        self.host_files.iter().find(|(p, _)| p == path).map(|(_, d)| d)
    }

    /// Whether `path` is a directory only because host files lie under it.
    fn host_dir(&self, path: &str) -> bool {
        let prefix = if path == "/" { "/".to_string() } else { format!("{path}/") };
        self.host_files.iter().any(|(p, _)| p.starts_with(&prefix))
    }

    fn stat(&self, path: &str, follow: bool) -> Result<Metadata, FsError> {
        if let Some(data) = self.host_file(path) {
            return Ok(Metadata { kind: FileType::File, mode: 0o444, uid: 0, gid: 0, size: data.len() as u64, mtime: 0, nlink: 1, ino: 1 << 40, rdev: 0 });
        }
        let found = if follow { self.fs.stat(path) } else { self.fs.lstat(path) };
        match found {
            Err(e) if e.errno == Errno::ENOENT && self.host_dir(path) => Ok(Metadata { kind: FileType::Dir, mode: 0o555, uid: 0, gid: 0, size: 0, mtime: 0, nlink: 2, ino: (1 << 40) + 1, rdev: 0 }),
            other => other,
        }
    }

    fn fdstat(&self, fd: u32, ptr: u32, mem: &mut dyn GuestMemory) -> i32 {
        let stream = if self.tty { FILETYPE_CHAR } else { FILETYPE_UNKNOWN };
        let (kind, flags, rights) = match self.fds.get(&fd) {
            Some(Open::Stdin) => (stream, 0u16, RIGHT_FD_READ),
            Some(Open::Stdout) | Some(Open::Stderr) => (stream, 0, RIGHT_FD_WRITE),
            Some(Open::Dir { .. }) => (FILETYPE_DIR, 0, ALL_RIGHTS),
            Some(Open::File { append, read, write, .. }) => {
                let mut rights = ALL_RIGHTS & !(RIGHT_FD_READ | RIGHT_FD_WRITE);
                if *read {
                    rights |= RIGHT_FD_READ;
                }
                if *write {
                    rights |= RIGHT_FD_WRITE;
                }
                (FILETYPE_FILE, if *append { 1 } else { 0 }, rights)
            }
            None => return errno::BADF,
        };
        let mut b = vec![0u8; 24];
        b[0] = kind;
        b[2..4].copy_from_slice(&flags.to_le_bytes());
        b[8..16].copy_from_slice(&rights.to_le_bytes());
        b[16..24].copy_from_slice(&ALL_RIGHTS.to_le_bytes());
        put(mem, ptr, &b)
    }

    fn iovecs(mem: &dyn GuestMemory, iovs: u32, count: u32) -> Option<Vec<(u32, u32)>> {
        let raw = mem.read(iovs, count.checked_mul(8)?)?;
        Some(raw.chunks_exact(8).map(|c| (le32(&c[0..4]), le32(&c[4..8]))).collect())
    }

    fn fd_read(&mut self, fd: u32, iovs: u32, count: u32, at: Option<u64>, nread: u32, mem: &mut dyn GuestMemory) -> Result<i32, Exit> {
        let Some(vecs) = Self::iovecs(mem, iovs, count) else { return Ok(errno::FAULT) };
        let want: usize = vecs.iter().map(|v| v.1 as usize).sum();
        let data = match self.fds.get_mut(&fd) {
            Some(Open::Stdin) => {
                if at.is_some() {
                    return Ok(errno::SPIPE);
                }
                if self.stdin_pos >= self.stdin.len() && want > 0 {
                    if let Some(terminal) = self.terminal.clone() {
                        let shown = self.take_output();
                        match terminal(&shown) {
                            Some(line) => {
                                self.stdin.extend_from_slice(line.as_bytes());
                                self.stdin.push(b'\n');
                            }
                            None => self.terminal = None,
                        }
                        if self.interrupted() {
                            return Err(Exit::Interrupted);
                        }
                    }
                }
                let end = self.stdin.len().min(self.stdin_pos + want);
                let d = self.stdin[self.stdin_pos..end].to_vec();
                self.stdin_pos = end;
                d
            }
            Some(Open::File { path, pos, read: true, .. }) => {
                let offset = at.unwrap_or(*pos);
                let path = path.clone();
                let d = match self.host_files.iter().find(|(p, _)| *p == path) {
                    Some((_, data)) => {
                        let start = (offset as usize).min(data.len());
                        data[start..data.len().min(start + want)].to_vec()
                    }
                    None => match self.fs.read_range(&path, offset, want) {
                        Ok(d) => d,
                        Err(e) => return Ok(wasi_errno(&e)),
                    },
                };
                if at.is_none() {
                    if let Some(Open::File { pos, .. }) = self.fds.get_mut(&fd) {
                        *pos += d.len() as u64;
                    }
                }
                d
            }
            Some(Open::Dir { .. }) => return Ok(errno::ISDIR),
            Some(_) => return Ok(errno::BADF),
            None => return Ok(errno::BADF),
        };
        let mut done = 0usize;
        for (ptr, len) in vecs {
            if done >= data.len() {
                break;
            }
            let n = (len as usize).min(data.len() - done);
            if !mem.write(ptr, &data[done..done + n]) {
                return Ok(errno::FAULT);
            }
            done += n;
        }
        Ok(put_u32(mem, nread, done as u32))
    }

    /// Output written so far, for the terminal to show before the process waits.
    fn take_output(&mut self) -> String {
        let mut shown = Vec::new();
        for (_, bytes) in self.output.drain(..) {
            shown.extend_from_slice(&bytes);
        }
        String::from_utf8_lossy(&shown).into_owned()
    }

    fn fd_write(&mut self, fd: u32, iovs: u32, count: u32, at: Option<u64>, nwritten: u32, mem: &mut dyn GuestMemory) -> i32 {
        let Some(vecs) = Self::iovecs(mem, iovs, count) else { return errno::FAULT };
        let mut data = Vec::new();
        for (ptr, len) in vecs {
            match mem.read(ptr, len) {
                Some(d) => data.extend_from_slice(&d),
                None => return errno::FAULT,
            }
        }
        match self.fds.get_mut(&fd) {
            Some(Open::Stdout) | Some(Open::Stderr) => {
                let stream = if fd == 2 || matches!(self.fds.get(&fd), Some(Open::Stderr)) { 2 } else { 1 };
                match self.output.last_mut() {
                    Some((s, buf)) if *s == stream => buf.extend_from_slice(&data),
                    _ => self.output.push((stream, data.clone())),
                }
            }
            Some(Open::File { path, pos, append, write: true, .. }) => {
                let path = path.clone();
                let offset = match (at, *append) {
                    (Some(o), _) => o,
                    (None, true) => match self.fs.stat(&path) {
                        Ok(m) => m.size,
                        Err(e) => return wasi_errno(&e),
                    },
                    (None, false) => *pos,
                };
                if let Err(e) = self.fs.write_at(&path, offset, &data) {
                    return wasi_errno(&e);
                }
                if at.is_none() {
                    if let Some(Open::File { pos, .. }) = self.fds.get_mut(&fd) {
                        *pos = offset + data.len() as u64;
                    }
                }
            }
            Some(Open::Stdin) | Some(Open::File { .. }) => return errno::BADF,
            Some(Open::Dir { .. }) => return errno::ISDIR,
            None => return errno::BADF,
        }
        put_u32(mem, nwritten, data.len() as u32)
    }

    fn seek(&mut self, fd: u32, offset: i64, whence: i64, result: u32, mem: &mut dyn GuestMemory) -> i32 {
        let size = match self.fds.get(&fd) {
            Some(Open::File { path, .. }) => match self.stat(&path.clone(), true) {
                Ok(m) => m.size,
                Err(e) => return wasi_errno(&e),
            },
            Some(Open::Dir { .. }) => return errno::ISDIR,
            Some(_) => return errno::SPIPE,
            None => return errno::BADF,
        };
        let Some(Open::File { pos, .. }) = self.fds.get_mut(&fd) else { return errno::BADF };
        let base = match whence {
            0 => 0i64,
            1 => *pos as i64,
            2 => size as i64,
            _ => return errno::INVAL,
        };
        let new = base.saturating_add(offset);
        if new < 0 {
            return errno::INVAL;
        }
        *pos = new as u64;
        put_u64(mem, result, new as u64)
    }

    fn set_times(&mut self, path: &str, _atim: i64, mtim: i64) -> i32 {
        // fst_flags: MTIM (4) sets the given time, MTIM_NOW (8) the current one.
        let secs = if mtim > 0 { mtim / 1_000_000_000 } else { ((self.clock)() / 1_000_000_000) as i64 };
        fs_result(self.fs.set_mtime(path, secs))
    }

    #[allow(clippy::too_many_arguments)]
    fn open(&mut self, dirfd: u32, lookup: i64, ptr: u32, len: u32, oflags: i64, rights: u64, fdflags: i64, result: u32, mem: &mut dyn GuestMemory) -> i32 {
        let path = match self.path(dirfd, ptr, len, mem) {
            Ok(p) => p,
            Err(e) => return e,
        };
        let follow = lookup & LOOKUP_FOLLOW != 0;
        let existing = self.stat(&path, follow);
        let want_write = rights & RIGHT_FD_WRITE != 0 && oflags & OFLAG_DIRECTORY == 0;
        let open = match existing {
            Ok(_) if oflags & OFLAG_CREAT != 0 && oflags & OFLAG_EXCL != 0 => return errno::EXIST,
            Ok(m) if m.is_dir() => {
                if want_write {
                    return errno::ISDIR;
                }
                Open::Dir { path }
            }
            Ok(_) if oflags & OFLAG_DIRECTORY != 0 => return errno::NOTDIR,
            Ok(m) => {
                if self.host_file(&path).is_some() && (want_write || oflags & OFLAG_TRUNC != 0) {
                    return errno::ROFS;
                }
                if m.is_symlink() && !follow {
                    return errno::LOOP;
                }
                if let Some(denied) = self.denied(&m, rights) {
                    return denied;
                }
                if oflags & OFLAG_TRUNC != 0 {
                    if let Err(e) = self.fs.set_len(&path, 0) {
                        return wasi_errno(&e);
                    }
                }
                Open::File { path, pos: 0, append: fdflags & FDFLAG_APPEND != 0, read: rights & RIGHT_FD_READ != 0, write: want_write }
            }
            Err(e) if e.errno == Errno::ENOENT && oflags & OFLAG_CREAT != 0 => {
                let attrs = Attrs { mode: 0o644, uid: self.uid, gid: self.gid, mtime: ((self.clock)() / 1_000_000_000) as i64 };
                if let Err(e) = self.fs.put_file(&path, Content::data(Vec::new()), attrs) {
                    return wasi_errno(&e);
                }
                Open::File { path, pos: 0, append: fdflags & FDFLAG_APPEND != 0, read: rights & RIGHT_FD_READ != 0, write: true }
            }
            Err(e) => return wasi_errno(&e),
        };
        let fd = (4..).find(|n| !self.fds.contains_key(n)).unwrap_or(u32::MAX);
        self.fds.insert(fd, open);
        put_u32(mem, result, fd)
    }

    /// Permission bits, checked as the kernel does for a process that is not root.
    fn denied(&self, m: &Metadata, rights: u64) -> Option<i32> {
        if self.uid == 0 {
            return None;
        }
        let shift = if m.uid == self.uid {
            6
        } else if m.gid == self.gid {
            3
        } else {
            0
        };
        let bits = (m.mode >> shift) & 7;
        if rights & RIGHT_FD_READ != 0 && bits & 4 == 0 && rights & RIGHT_FD_WRITE == 0 {
            return Some(errno::ACCES);
        }
        if rights & RIGHT_FD_WRITE != 0 && bits & 2 == 0 {
            return Some(errno::ACCES);
        }
        None
    }

    fn readdir(&mut self, fd: u32, buf: u32, buf_len: u32, cookie: u64, used: u32, mem: &mut dyn GuestMemory) -> i32 {
        let path = match self.fds.get(&fd) {
            Some(Open::Dir { path }) => path.clone(),
            Some(_) => return errno::NOTDIR,
            None => return errno::BADF,
        };
        let mut entries = vec![(".".to_string(), FILETYPE_DIR), ("..".to_string(), FILETYPE_DIR)];
        match self.fs.read_dir(&path) {
            Ok(list) => entries.extend(list.into_iter().map(|e| (e.name, filetype(e.kind)))),
            Err(e) if e.errno == Errno::ENOENT && self.host_dir(&path) => {}
            Err(e) => return wasi_errno(&e),
        }
        // The host's files show in their directory (Python's importer lists directories).
        for (file, _) in &self.host_files {
            if let Some((parent, name)) = crate::vfs::split_parent(file) {
                if normalize(&parent) == path && !entries.iter().any(|(n, _)| *n == name) {
                    entries.push((name, FILETYPE_FILE));
                }
            }
        }
        let mut out = Vec::new();
        for (i, (name, kind)) in entries.iter().enumerate().skip(cookie as usize) {
            let mut d = vec![0u8; 24];
            d[0..8].copy_from_slice(&((i + 1) as u64).to_le_bytes());
            d[8..16].copy_from_slice(&((i + 2) as u64).to_le_bytes());
            d[16..20].copy_from_slice(&(name.len() as u32).to_le_bytes());
            d[20] = *kind;
            out.extend_from_slice(&d);
            out.extend_from_slice(name.as_bytes());
            if out.len() >= buf_len as usize {
                break;
            }
        }
        out.truncate(buf_len as usize);
        match put(mem, buf, &out) {
            errno::SUCCESS => put_u32(mem, used, out.len() as u32),
            e => e,
        }
    }

    /// Clock subscriptions sleep (really, where the terminal waits; otherwise simulated
    /// time moves on); reading subscriptions are ready at once.
    fn poll(&mut self, subs: u32, events: u32, count: u32, nevents: u32, mem: &mut dyn GuestMemory) -> Result<i32, Exit> {
        let Some(raw) = count.checked_mul(48).and_then(|n| mem.read(subs, n)) else { return Ok(errno::FAULT) };
        let mut out = Vec::new();
        let mut sleep_ns = 0u64;
        for sub in raw.chunks_exact(48) {
            let userdata = &sub[0..8];
            let tag = sub[8];
            let mut ev = vec![0u8; 32];
            ev[0..8].copy_from_slice(userdata);
            ev[10] = tag;
            if tag == 0 {
                let timeout = u64::from_le_bytes(sub[24..32].try_into().unwrap_or_default());
                let absolute = u16::from_le_bytes([sub[40], sub[41]]) & 1 != 0;
                let now = (self.clock)() + self.slept;
                sleep_ns = sleep_ns.max(if absolute { timeout.saturating_sub(now) } else { timeout });
            } else {
                ev[16..24].copy_from_slice(&1u64.to_le_bytes());
            }
            out.extend_from_slice(&ev);
        }
        if sleep_ns > 0 {
            let go_on = match self.pause.clone() {
                Some(pause) => {
                    let shown = self.take_output();
                    // Counted before it starts: the time limit's watcher runs meanwhile.
                    self.paused.fetch_add(sleep_ns, Ordering::Relaxed);
                    pause(&shown, sleep_ns as f64 / 1e9)
                }
                None => true,
            };
            // The host's clock moves on by itself while a pause really waits.
            if self.pause.is_none() || self.simulated_clock {
                self.slept += sleep_ns;
            }
            if !go_on {
                if let Some(flag) = &self.interrupt {
                    flag.store(true, Ordering::Relaxed);
                }
                return Err(Exit::Interrupted);
            }
            if self.interrupted() {
                return Err(Exit::Interrupted);
            }
        }
        if !mem.write(events, &out) {
            return Ok(errno::FAULT);
        }
        Ok(put_u32(mem, nevents, count))
    }
}

fn char_device() -> Metadata {
    Metadata { kind: FileType::CharDevice, mode: 0o620, uid: 0, gid: 0, size: 0, mtime: 0, nlink: 1, ino: 0, rdev: 0 }
}

fn write_filestat(mem: &mut dyn GuestMemory, ptr: u32, m: &Metadata) -> i32 {
    let mut b = vec![0u8; 64];
    b[0..8].copy_from_slice(&1u64.to_le_bytes());
    b[8..16].copy_from_slice(&m.ino.to_le_bytes());
    b[16] = filetype(m.kind);
    b[24..32].copy_from_slice(&u64::from(m.nlink).to_le_bytes());
    b[32..40].copy_from_slice(&m.size.to_le_bytes());
    let t = (m.mtime.max(0) as u64).saturating_mul(1_000_000_000);
    for at in [40, 48, 56] {
        b[at..at + 8].copy_from_slice(&t.to_le_bytes());
    }
    put(mem, ptr, &b)
}

fn fs_result(r: Result<(), FsError>) -> i32 {
    match r {
        Ok(()) => errno::SUCCESS,
        Err(e) => wasi_errno(&e),
    }
}

fn put(mem: &mut dyn GuestMemory, ptr: u32, data: &[u8]) -> i32 {
    if mem.write(ptr, data) {
        errno::SUCCESS
    } else {
        errno::FAULT
    }
}

fn put_u32(mem: &mut dyn GuestMemory, ptr: u32, v: u32) -> i32 {
    put(mem, ptr, &v.to_le_bytes())
}

fn put_u64(mem: &mut dyn GuestMemory, ptr: u32, v: u64) -> i32 {
    put(mem, ptr, &v.to_le_bytes())
}

fn le32(b: &[u8]) -> u32 {
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::MemoryFs;

    fn host(fs: &mut MemoryFs) -> WasiHost<'_> {
        WasiHost::new(fs, vec!["prog".into(), "a b".into()], vec![("HOME".into(), "/root".into())], b"typed\n".to_vec(), Rc::new(|| 1_700_000_000_000_000_000))
    }

    fn call(h: &mut WasiHost<'_>, mem: &mut Vec<u8>, name: &str, args: &[i64]) -> i32 {
        h.call(name, args, &mut crate::wasi::SliceMemory(mem.as_mut_slice())).expect("call returns")
    }

    #[test]
    fn arguments_and_environment_are_laid_out_as_c_strings() {
        let mut fs = MemoryFs::new();
        let mut h = host(&mut fs);
        let mut mem = vec![0u8; 256];
        assert_eq!(call(&mut h, &mut mem, "args_sizes_get", &[0, 4]), 0);
        assert_eq!(le32(&mem[0..4]), 2);
        assert_eq!(le32(&mem[4..8]), 9);
        assert_eq!(call(&mut h, &mut mem, "args_get", &[16, 64]), 0);
        assert_eq!(le32(&mem[16..20]), 64);
        assert_eq!(&mem[64..73], b"prog\0a b\0");
        assert_eq!(call(&mut h, &mut mem, "environ_get", &[16, 128]), 0);
        assert_eq!(&mem[128..139], b"HOME=/root\0");
    }

    #[test]
    fn files_are_created_written_read_back_and_listed() {
        let mut fs = MemoryFs::new();
        let mut h = host(&mut fs);
        let mut mem = vec![0u8; 512];
        mem[100..113].copy_from_slice(b"tmp/notes.txt");
        assert_eq!(call(&mut h, &mut mem, "path_create_directory", &[3, 100, 3]), 0);
        let rights = (RIGHT_FD_READ | RIGHT_FD_WRITE) as i64;
        assert_eq!(call(&mut h, &mut mem, "path_open", &[3, 1, 100, 13, OFLAG_CREAT, rights, 0, 0, 0]), 0);
        let fd = le32(&mem[0..4]) as i64;
        mem[200..205].copy_from_slice(b"hello");
        mem[8..12].copy_from_slice(&200u32.to_le_bytes());
        mem[12..16].copy_from_slice(&5u32.to_le_bytes());
        assert_eq!(call(&mut h, &mut mem, "fd_write", &[fd, 8, 1, 20]), 0);
        assert_eq!(le32(&mem[20..24]), 5);
        assert_eq!(call(&mut h, &mut mem, "fd_seek", &[fd, 1, 0, 24]), 0);
        mem[12..16].copy_from_slice(&16u32.to_le_bytes());
        assert_eq!(call(&mut h, &mut mem, "fd_read", &[fd, 8, 1, 20]), 0);
        assert_eq!(le32(&mem[20..24]), 4);
        assert_eq!(&mem[200..204], b"ello");
        assert_eq!(call(&mut h, &mut mem, "fd_close", &[fd]), 0);
        assert_eq!(call(&mut h, &mut mem, "fd_close", &[fd]), errno::BADF);
        // Opening a missing file without O_CREAT is ENOENT.
        mem[100..113].copy_from_slice(b"tmp/other.txt");
        assert_eq!(call(&mut h, &mut mem, "path_open", &[3, 1, 100, 13, 0, rights, 0, 0, 0]), errno::NOENT);
        drop(h);
        assert_eq!(fs.read("/tmp/notes.txt").expect("written"), b"hello");
    }

    #[test]
    fn output_keeps_the_order_of_the_two_streams_and_exit_ends_the_run() {
        let mut fs = MemoryFs::new();
        let mut h = host(&mut fs);
        let mut mem = vec![0u8; 64];
        mem[32..35].copy_from_slice(b"out");
        mem[0..4].copy_from_slice(&32u32.to_le_bytes());
        mem[4..8].copy_from_slice(&3u32.to_le_bytes());
        call(&mut h, &mut mem, "fd_write", &[1, 0, 1, 8]);
        call(&mut h, &mut mem, "fd_write", &[2, 0, 1, 8]);
        call(&mut h, &mut mem, "fd_write", &[1, 0, 1, 8]);
        assert_eq!(h.output.iter().map(|(s, _)| *s).collect::<Vec<_>>(), [1, 2, 1]);
        assert_eq!(h.call("proc_exit", &[3], &mut crate::wasi::SliceMemory(mem.as_mut_slice())), Err(Exit::Status(3)));
    }

    #[test]
    fn stdin_is_read_then_the_terminal_is_asked() {
        let mut fs = MemoryFs::new();
        let mut h = host(&mut fs);
        let asked = Rc::new(std::cell::Cell::new(0));
        let a = asked.clone();
        h.set_terminal(Some(Rc::new(move |_shown: &str| {
            a.set(a.get() + 1);
            Some("more".to_string())
        })));
        let mut mem = vec![0u8; 128];
        mem[0..4].copy_from_slice(&64u32.to_le_bytes());
        mem[4..8].copy_from_slice(&32u32.to_le_bytes());
        call(&mut h, &mut mem, "fd_read", &[0, 0, 1, 8]);
        assert_eq!(&mem[64..70], b"typed\n");
        assert_eq!(asked.get(), 0);
        call(&mut h, &mut mem, "fd_read", &[0, 0, 1, 8]);
        assert_eq!(&mem[64..69], b"more\n");
        assert_eq!(asked.get(), 1);
    }

    #[test]
    fn bad_pointers_and_lengths_fault_instead_of_panicking() {
        let mut fs = MemoryFs::new();
        let mut h = host(&mut fs);
        let mut mem = vec![0u8; 64];
        assert_eq!(call(&mut h, &mut mem, "random_get", &[0, 32]), 0);
        assert_ne!(&mem[..32], &[0u8; 32]);
        assert_eq!(call(&mut h, &mut mem, "random_get", &[0, u32::MAX as i64]), errno::FAULT);
        assert_eq!(call(&mut h, &mut mem, "args_get", &[60, 62]), errno::FAULT);
        assert_eq!(call(&mut h, &mut mem, "fd_write", &[1, 0, u32::MAX as i64, 8]), errno::FAULT);
        assert_eq!(call(&mut h, &mut mem, "path_open", &[3, 1, 10, u32::MAX as i64, 0, 0, 0, 0, 0]), errno::FAULT);
        assert_eq!(call(&mut h, &mut mem, "fd_close", &[99]), errno::BADF);
        assert_eq!(call(&mut h, &mut mem, "no_such_call", &[]), errno::NOSYS);
    }

    #[test]
    fn host_files_are_readable_but_not_writable() {
        let mut fs = MemoryFs::new();
        let mut h = host(&mut fs);
        h.add_host_file("/usr/lib/stdlib.zip", Arc::new(b"PK".to_vec()));
        let mut mem = vec![0u8; 128];
        mem[64..82].copy_from_slice(b"usr/lib/stdlib.zip");
        assert_eq!(call(&mut h, &mut mem, "path_open", &[3, 1, 64, 18, 0, RIGHT_FD_READ as i64, 0, 0, 0]), 0);
        assert_eq!(call(&mut h, &mut mem, "path_open", &[3, 1, 64, 18, OFLAG_TRUNC, RIGHT_FD_WRITE as i64, 0, 0, 0]), errno::ROFS);
    }
}
