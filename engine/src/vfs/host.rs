//! A host directory seen as a filesystem, for bind mounts and `docker cp` on the native
//! CLI (`-v $PWD:/app`): reads and writes go to the real folder. Only built for Unix
//! hosts (the browser uses its workspace filesystem).
//!
//! Nothing here may reach outside the directory, whatever a container (or anyone else)
//! plants in it. Every operation is done relative to directory file descriptors, never
//! through a host path the kernel would resolve again: a path is walked component by
//! component from the root's descriptor (`openat` with `O_NOFOLLOW | O_DIRECTORY` for
//! each directory), symlinks are read (`readlinkat`) and resolved here with `..` and
//! absolute targets kept inside the root (as `openat2`'s `RESOLVE_IN_ROOT` does), and the
//! final call is the `*at` form on the last directory with the flag that does not follow
//! a link (`O_NOFOLLOW`, `AT_SYMLINK_NOFOLLOW`). A link swapped in between two steps
//! makes the step fail with `ELOOP`; it is never followed out.

// The field types of `stat` differ between Unix systems (and 32- and 64-bit targets).
#![allow(clippy::unnecessary_cast)]

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, Mode, OFlags, Timespec, Timestamps, CWD};

use super::{components, Attrs, Content, DirEntry, Errno, FileSystem, FileType, FsError, FsResult, Metadata};

const MAX_SYMLINKS: usize = 40;

/// How a directory is opened only to walk through it: `O_PATH` on Linux (no read
/// permission needed), read-only elsewhere.
#[cfg(target_os = "linux")]
const WALK: OFlags = OFlags::PATH;
#[cfg(not(target_os = "linux"))]
const WALK: OFlags = OFlags::RDONLY;

/// A directory of the host, the root of this filesystem.
#[derive(Debug, Clone)]
pub struct HostFs {
    root: PathBuf,
}

/// A resolved path: the directory that holds it and its name there (`.` for a path
/// that resolves to the root or to a directory reached through `..`).
struct At {
    dir: OwnedFd,
    name: String,
}

fn errno_of(e: rustix::io::Errno) -> Errno {
    use rustix::io::Errno as E;
    match e {
        E::NOENT => Errno::ENOENT,
        E::EXIST => Errno::EEXIST,
        E::ACCESS => Errno::EACCES,
        E::NOTDIR => Errno::ENOTDIR,
        E::ISDIR => Errno::EISDIR,
        E::NOTEMPTY => Errno::ENOTEMPTY,
        E::NOSPC | E::DQUOT => Errno::ENOSPC,
        E::ROFS => Errno::EROFS,
        E::XDEV => Errno::EXDEV,
        E::LOOP => Errno::ELOOP,
        E::NAMETOOLONG => Errno::ENAMETOOLONG,
        E::BUSY => Errno::EBUSY,
        E::PERM => Errno::EPERM,
        _ => Errno::EINVAL,
    }
}

fn kind_of(mode: u32) -> FileType {
    match rustix::fs::FileType::from_raw_mode(mode as rustix::fs::RawMode) {
        rustix::fs::FileType::Directory => FileType::Dir,
        rustix::fs::FileType::Symlink => FileType::Symlink,
        rustix::fs::FileType::CharacterDevice => FileType::CharDevice,
        rustix::fs::FileType::BlockDevice => FileType::BlockDevice,
        rustix::fs::FileType::Fifo => FileType::Fifo,
        rustix::fs::FileType::Socket => FileType::Socket,
        _ => FileType::File,
    }
}

fn meta(st: &rustix::fs::Stat) -> Metadata {
    Metadata {
        kind: kind_of(st.st_mode as u32),
        mode: st.st_mode as u32 & 0o7777,
        uid: st.st_uid,
        gid: st.st_gid,
        size: st.st_size as u64,
        mtime: st.st_mtime as i64,
        nlink: st.st_nlink as u32,
        ino: st.st_ino as u64,
        rdev: st.st_rdev as u64,
    }
}

fn mode(bits: u32) -> Mode {
    Mode::from_raw_mode((bits & 0o7777) as rustix::fs::RawMode)
}

impl HostFs {
    pub fn new(root: impl Into<PathBuf>) -> HostFs {
        HostFs { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A system call's result as an `FsResult` for `path`.
    fn sys<T>(path: &str, r: rustix::io::Result<T>) -> FsResult<T> {
        r.map_err(|e| FsError::new(errno_of(e), path))
    }

    fn io<T>(path: &str, r: std::io::Result<T>) -> FsResult<T> {
        r.map_err(|e| FsError::new(e.raw_os_error().map_or(Errno::EINVAL, |n| errno_of(rustix::io::Errno::from_raw_os_error(n))), path))
    }

    /// Walks `path` from the root's descriptor; the last component's link is followed
    /// where `follow` says. Symlinks resolve inside the root: `..` stops at it and an
    /// absolute target starts again from it.
    fn resolve(&self, path: &str, follow: bool) -> FsResult<At> {
        let root = Self::sys(path, rustix::fs::openat(CWD, &self.root, WALK | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty()))?;
        let mut stack: Vec<OwnedFd> = Vec::new();
        let mut todo: Vec<String> = components(path).into_iter().rev().map(str::to_string).collect();
        let mut hops = 0;
        while let Some(name) = todo.pop() {
            if name == ".." {
                stack.pop();
                continue;
            }
            if name.contains('\0') {
                return Err(FsError::new(Errno::EINVAL, path));
            }
            let last = todo.is_empty();
            let dir = stack.last().unwrap_or(&root);
            let st = match rustix::fs::statat(dir, name.as_str(), AtFlags::SYMLINK_NOFOLLOW) {
                Ok(st) => st,
                // What does not exist yet may be created (as the last component only).
                Err(rustix::io::Errno::NOENT) if last => return Ok(At { dir: stack.pop().unwrap_or(root), name }),
                Err(e) => return Err(FsError::new(errno_of(e), path)),
            };
            let kind = kind_of(st.st_mode as u32);
            if kind == FileType::Symlink && (!last || follow) {
                hops += 1;
                if hops > MAX_SYMLINKS {
                    return Err(FsError::new(Errno::ELOOP, path));
                }
                let target = Self::sys(path, rustix::fs::readlinkat(dir, name.as_str(), Vec::new()))?;
                let target = String::from_utf8_lossy(target.as_bytes()).into_owned();
                if target.starts_with('/') {
                    stack.clear();
                }
                todo.extend(components(&target).into_iter().rev().map(str::to_string));
                continue;
            }
            if last {
                return Ok(At { dir: stack.pop().unwrap_or(root), name });
            }
            if kind != FileType::Dir {
                return Err(FsError::new(Errno::ENOTDIR, path));
            }
            // O_NOFOLLOW: a link put here since the statat is not followed (ELOOP).
            let next = Self::sys(path, rustix::fs::openat(dir, name.as_str(), WALK | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC, Mode::empty()))?;
            stack.push(next);
        }
        Ok(At { dir: stack.pop().unwrap_or(root), name: ".".into() })
    }

    /// Opens what `at` names, never through a link. `O_NONBLOCK`: a FIFO without a
    /// peer fails instead of hanging the engine.
    fn open_at(path: &str, at: &At, flags: OFlags, bits: u32) -> FsResult<OwnedFd> {
        Self::sys(path, rustix::fs::openat(&at.dir, at.name.as_str(), flags | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC, mode(bits)))
    }

    fn open(&self, path: &str, follow: bool, flags: OFlags, bits: u32) -> FsResult<File> {
        let at = self.resolve(path, follow)?;
        Self::open_at(path, &at, flags, bits).map(File::from)
    }
}

impl FileSystem for HostFs {
    fn stat(&self, path: &str) -> FsResult<Metadata> {
        let at = self.resolve(path, true)?;
        Self::sys(path, rustix::fs::statat(&at.dir, at.name.as_str(), AtFlags::SYMLINK_NOFOLLOW)).map(|st| meta(&st))
    }

    fn lstat(&self, path: &str) -> FsResult<Metadata> {
        let at = self.resolve(path, false)?;
        Self::sys(path, rustix::fs::statat(&at.dir, at.name.as_str(), AtFlags::SYMLINK_NOFOLLOW)).map(|st| meta(&st))
    }

    fn read_dir(&self, path: &str) -> FsResult<Vec<DirEntry>> {
        let at = self.resolve(path, true)?;
        let fd = Self::open_at(path, &at, OFlags::RDONLY | OFlags::DIRECTORY, 0)?;
        let mut out = Vec::new();
        for entry in Self::sys(path, rustix::fs::Dir::read_from(&fd))? {
            let entry = Self::sys(path, entry)?;
            let name = String::from_utf8_lossy(entry.file_name().to_bytes()).into_owned();
            if name == "." || name == ".." {
                continue;
            }
            let kind = rustix::fs::statat(&fd, entry.file_name(), AtFlags::SYMLINK_NOFOLLOW).map_or(FileType::File, |st| kind_of(st.st_mode as u32));
            out.push(DirEntry { name, kind });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn read_link(&self, path: &str) -> FsResult<String> {
        let at = self.resolve(path, false)?;
        let target = Self::sys(path, rustix::fs::readlinkat(&at.dir, at.name.as_str(), Vec::new()))?;
        Ok(String::from_utf8_lossy(target.as_bytes()).into_owned())
    }

    fn content(&self, path: &str) -> FsResult<Content> {
        let mut f = self.open(path, true, OFlags::RDONLY, 0)?;
        if Self::io(path, f.metadata())?.is_dir() {
            return Err(FsError::new(Errno::EISDIR, path));
        }
        let mut data = Vec::new();
        Self::io(path, f.read_to_end(&mut data))?;
        Ok(Content::data(data))
    }

    fn read_range(&self, path: &str, offset: u64, len: usize) -> FsResult<Vec<u8>> {
        let mut f = self.open(path, true, OFlags::RDONLY, 0)?;
        Self::io(path, f.seek(SeekFrom::Start(offset)))?;
        let mut buf = Vec::with_capacity(len.min(1 << 20));
        Self::io(path, f.take(len as u64).read_to_end(&mut buf))?;
        Ok(buf)
    }

    fn put_file(&mut self, path: &str, content: Content, attrs: Attrs) -> FsResult<()> {
        let mut f = self.open(path, true, OFlags::WRONLY | OFlags::CREATE | OFlags::TRUNC, attrs.mode)?;
        Self::io(path, f.write_all(&content.to_vec()))?;
        // The mode as asked, not as the umask left it.
        Self::sys(path, rustix::fs::fchmod(&f, mode(attrs.mode)))
    }

    fn write_at(&mut self, path: &str, offset: u64, data: &[u8]) -> FsResult<()> {
        let mut f = self.open(path, true, OFlags::WRONLY | OFlags::CREATE, 0o644)?;
        Self::io(path, f.seek(SeekFrom::Start(offset)))?;
        Self::io(path, f.write_all(data))
    }

    fn set_len(&mut self, path: &str, len: u64) -> FsResult<()> {
        let f = self.open(path, true, OFlags::WRONLY, 0)?;
        Self::io(path, f.set_len(len))
    }

    fn create_dir(&mut self, path: &str, bits: u32) -> FsResult<()> {
        let at = self.resolve(path, false)?;
        Self::sys(path, rustix::fs::mkdirat(&at.dir, at.name.as_str(), mode(bits)))?;
        // The mode as asked, not as the umask left it.
        let dir = Self::open_at(path, &at, OFlags::RDONLY | OFlags::DIRECTORY, 0)?;
        Self::sys(path, rustix::fs::fchmod(&dir, mode(bits)))
    }

    fn remove_file(&mut self, path: &str) -> FsResult<()> {
        let at = self.resolve(path, false)?;
        Self::sys(path, rustix::fs::unlinkat(&at.dir, at.name.as_str(), AtFlags::empty()))
    }

    fn remove_dir(&mut self, path: &str) -> FsResult<()> {
        let at = self.resolve(path, false)?;
        Self::sys(path, rustix::fs::unlinkat(&at.dir, at.name.as_str(), AtFlags::REMOVEDIR))
    }

    fn rename(&mut self, from: &str, to: &str) -> FsResult<()> {
        let (a, b) = (self.resolve(from, false)?, self.resolve(to, false)?);
        Self::sys(from, rustix::fs::renameat(&a.dir, a.name.as_str(), &b.dir, b.name.as_str()))
    }

    fn symlink(&mut self, target: &str, link: &str) -> FsResult<()> {
        let at = self.resolve(link, false)?;
        Self::sys(link, rustix::fs::symlinkat(target, &at.dir, at.name.as_str()))
    }

    fn hard_link(&mut self, existing: &str, new: &str) -> FsResult<()> {
        let (a, b) = (self.resolve(existing, false)?, self.resolve(new, false)?);
        // No AT_SYMLINK_FOLLOW: a link is linked itself, never its target.
        Self::sys(new, rustix::fs::linkat(&a.dir, a.name.as_str(), &b.dir, b.name.as_str(), AtFlags::empty()))
    }

    fn mknod(&mut self, path: &str, _kind: FileType, _attrs: Attrs, _rdev: u64) -> FsResult<()> {
        // Creating device nodes on the host needs privileges a bind mount must not use.
        Err(FsError::new(Errno::EPERM, path))
    }

    fn set_mode(&mut self, path: &str, bits: u32) -> FsResult<()> {
        let at = self.resolve(path, true)?;
        // fchmod on the file itself, opened without following a link. One this user
        // cannot open for reading (or a socket) is changed through its O_PATH
        // descriptor's /proc entry, which names that inode and nothing else.
        match Self::open_at(path, &at, OFlags::RDONLY, 0) {
            Ok(fd) => Self::sys(path, rustix::fs::fchmod(&fd, mode(bits))),
            #[cfg(target_os = "linux")]
            Err(e) if matches!(e.errno, Errno::EACCES | Errno::EINVAL) => {
                let fd = Self::open_at(path, &at, OFlags::PATH, 0)?;
                let proc_path = format!("/proc/self/fd/{}", fd.as_raw_fd());
                Self::sys(path, rustix::fs::chmodat(CWD, proc_path.as_str(), mode(bits), AtFlags::empty()))
            }
            Err(e) => Err(e),
        }
    }

    fn set_owner(&mut self, path: &str, uid: u32, gid: u32) -> FsResult<()> {
        let at = self.resolve(path, false)?;
        let (uid, gid) = (rustix::fs::Uid::from_raw(uid), rustix::fs::Gid::from_raw(gid));
        Self::sys(path, rustix::fs::chownat(&at.dir, at.name.as_str(), Some(uid), Some(gid), AtFlags::SYMLINK_NOFOLLOW))
    }

    fn set_mtime(&mut self, path: &str, mtime: i64) -> FsResult<()> {
        let at = self.resolve(path, false)?;
        let times = Timestamps { last_access: Timespec { tv_sec: 0, tv_nsec: rustix::fs::UTIME_OMIT }, last_modification: Timespec { tv_sec: mtime.max(0), tv_nsec: 0 } };
        Self::sys(path, rustix::fs::utimensat(&at.dir, at.name.as_str(), &times, AtFlags::SYMLINK_NOFOLLOW))
    }
}

#[cfg(test)]
mod tests;
