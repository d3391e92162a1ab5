//! A container's `/dev`, as runc makes it (a tmpfs with the default devices): `null`,
//! `zero`, `full`, `random`, `urandom`, `tty`, `console`, `ptmx`, the `fd`, `stdin`,
//! `stdout`, `stderr` and `core` links, and `pts`, `shm` and `mqueue` directories.
//! Everything else in it (what a process makes there, `/dev/shm`'s files) is an ordinary
//! in-memory filesystem, gone with the run.
//!
//! The devices behave as Linux's: `null` reads empty and takes any write; `zero` reads
//! zeros; `full` reads zeros and refuses writes with `ENOSPC`; `random` and `urandom`
//! read pseudo-random bytes (xorshift, seeded per filesystem: not for keys); `tty`,
//! `console` and `ptmx` have no terminal behind them (`ENXIO`). A device's stream has no
//! end, so reading one whole is `EFBIG` (a program reads it in ranges: `head -c 16
//! /dev/urandom`), never a hang.

use std::cell::Cell;

use super::{Attrs, Content, DirEntry, Errno, FileSystem, FileType, FsError, FsResult, Metadata, MemoryFs};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Device {
    Null,
    Zero,
    Full,
    Random,
    Tty,
}

enum Node {
    Char(Device, u64, u32),
    Link(&'static str),
}

/// The fixed entries: name, what it is (device, `major << 8 | minor`, mode).
const NODES: &[(&str, Node)] = &[
    ("console", Node::Char(Device::Tty, 5 << 8 | 1, 0o620)),
    ("core", Node::Link("/proc/kcore")),
    ("fd", Node::Link("/proc/self/fd")),
    ("full", Node::Char(Device::Full, 1 << 8 | 7, 0o666)),
    ("null", Node::Char(Device::Null, 1 << 8 | 3, 0o666)),
    ("ptmx", Node::Char(Device::Tty, 5 << 8 | 2, 0o666)),
    ("random", Node::Char(Device::Random, 1 << 8 | 8, 0o666)),
    ("stderr", Node::Link("/proc/self/fd/2")),
    ("stdin", Node::Link("/proc/self/fd/0")),
    ("stdout", Node::Link("/proc/self/fd/1")),
    ("tty", Node::Char(Device::Tty, 5 << 8, 0o666)),
    ("urandom", Node::Char(Device::Random, 1 << 8 | 9, 0o666)),
    ("zero", Node::Char(Device::Zero, 1 << 8 | 5, 0o666)),
];

/// A container's `/dev` (mounted there; its paths are from its own root).
pub struct DevFs {
    rest: MemoryFs,
    seed: Cell<u64>,
}

impl DevFs {
    /// `seed` varies `random`'s bytes between containers (the clock will do).
    pub fn new(seed: u64) -> DevFs {
        let mut rest = MemoryFs::new();
        let _ = rest.set_mode("/", 0o755);
        for dir in ["/pts", "/mqueue"] {
            let _ = rest.create_dir(dir, 0o755);
        }
        let _ = rest.create_dir("/shm", 0o1777);
        DevFs { rest, seed: Cell::new(seed | 1) }
    }

    fn node(path: &str) -> Option<&'static Node> {
        let name = path.strip_prefix('/')?;
        NODES.iter().find(|(n, _)| *n == name).map(|(_, node)| node)
    }

    fn device(path: &str) -> Option<Device> {
        match Self::node(path) {
            Some(Node::Char(d, ..)) => Some(*d),
            _ => None,
        }
    }

    fn random(&self, len: usize) -> Vec<u8> {
        let mut x = self.seed.get();
        let mut out = Vec::with_capacity(len);
        while out.len() < len {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            out.extend_from_slice(&x.to_le_bytes()[..(len - out.len()).min(8)]);
        }
        self.seed.set(x);
        out
    }

    /// A write to a device: taken, refused (`full`), or nothing behind it (`tty`).
    fn write_device(d: Device, path: &str) -> FsResult<()> {
        match d {
            Device::Full => Err(FsError::new(Errno::ENOSPC, path)),
            Device::Tty => Err(FsError::new(Errno::ENXIO, path)),
            _ => Ok(()),
        }
    }

    /// Fixed entries cannot be removed, renamed or made again.
    fn fixed(path: &str) -> FsResult<()> {
        match Self::node(path) {
            Some(_) => Err(FsError::new(Errno::EPERM, path)),
            None => Ok(()),
        }
    }
}

impl FileSystem for DevFs {
    fn stat(&self, path: &str) -> FsResult<Metadata> {
        self.lstat(path)
    }

    fn lstat(&self, path: &str) -> FsResult<Metadata> {
        let meta = |kind, mode, size, rdev, ino| Metadata { kind, mode, uid: 0, gid: 0, size, mtime: 0, nlink: 1, ino, rdev };
        match Self::node(path) {
            Some(Node::Char(_, rdev, mode)) => Ok(meta(FileType::CharDevice, *mode, 0, *rdev, 0x1000 + rdev)),
            Some(Node::Link(target)) => Ok(meta(FileType::Symlink, 0o777, target.len() as u64, 0, 0x2000 + target.len() as u64)),
            None => self.rest.lstat(path),
        }
    }

    fn read_dir(&self, path: &str) -> FsResult<Vec<DirEntry>> {
        let mut entries = self.rest.read_dir(path)?;
        if super::normalize(path) == "/" {
            for (name, node) in NODES {
                let kind = if matches!(node, Node::Char(..)) { FileType::CharDevice } else { FileType::Symlink };
                entries.push(DirEntry { name: name.to_string(), kind });
            }
            entries.sort_by(|a, b| a.name.cmp(&b.name));
        }
        Ok(entries)
    }

    fn read_link(&self, path: &str) -> FsResult<String> {
        match Self::node(path) {
            Some(Node::Link(target)) => Ok(target.to_string()),
            Some(_) => Err(FsError::new(Errno::EINVAL, path)),
            None => self.rest.read_link(path),
        }
    }

    fn content(&self, path: &str) -> FsResult<Content> {
        match Self::device(path) {
            Some(Device::Null) => Ok(Content::data(Vec::new())),
            Some(Device::Tty) => Err(FsError::new(Errno::ENXIO, path)),
            Some(_) => Err(FsError::new(Errno::EFBIG, path)),
            None => self.rest.content(path),
        }
    }

    fn read(&self, path: &str) -> FsResult<Vec<u8>> {
        self.content(path).map(|c| c.to_vec())
    }

    fn read_range(&self, path: &str, offset: u64, len: usize) -> FsResult<Vec<u8>> {
        match Self::device(path) {
            Some(Device::Null) => Ok(Vec::new()),
            Some(Device::Zero | Device::Full) => Ok(vec![0; len]),
            Some(Device::Random) => Ok(self.random(len)),
            Some(Device::Tty) => Err(FsError::new(Errno::ENXIO, path)),
            None => self.rest.read_range(path, offset, len),
        }
    }

    fn put_file(&mut self, path: &str, content: Content, attrs: Attrs) -> FsResult<()> {
        match (Self::device(path), Self::node(path)) {
            (Some(d), _) => Self::write_device(d, path),
            (None, Some(_)) => Err(FsError::new(Errno::ENOENT, path)),
            _ => self.rest.put_file(path, content, attrs),
        }
    }

    fn write_at(&mut self, path: &str, offset: u64, data: &[u8]) -> FsResult<()> {
        match (Self::device(path), Self::node(path)) {
            (Some(d), _) => Self::write_device(d, path),
            (None, Some(_)) => Err(FsError::new(Errno::ENOENT, path)),
            _ => self.rest.write_at(path, offset, data),
        }
    }

    fn set_len(&mut self, path: &str, len: u64) -> FsResult<()> {
        match Self::device(path) {
            Some(_) => Ok(()),
            None => self.rest.set_len(path, len),
        }
    }

    fn create_dir(&mut self, path: &str, mode: u32) -> FsResult<()> {
        if Self::node(path).is_some() {
            return Err(FsError::new(Errno::EEXIST, path));
        }
        self.rest.create_dir(path, mode)
    }

    fn remove_file(&mut self, path: &str) -> FsResult<()> {
        Self::fixed(path)?;
        self.rest.remove_file(path)
    }

    fn remove_dir(&mut self, path: &str) -> FsResult<()> {
        Self::fixed(path)?;
        self.rest.remove_dir(path)
    }

    fn rename(&mut self, from: &str, to: &str) -> FsResult<()> {
        Self::fixed(from)?;
        Self::fixed(to)?;
        self.rest.rename(from, to)
    }

    fn symlink(&mut self, target: &str, link: &str) -> FsResult<()> {
        if Self::node(link).is_some() {
            return Err(FsError::new(Errno::EEXIST, link));
        }
        self.rest.symlink(target, link)
    }

    fn hard_link(&mut self, existing: &str, new: &str) -> FsResult<()> {
        Self::fixed(existing)?;
        if Self::node(new).is_some() {
            return Err(FsError::new(Errno::EEXIST, new));
        }
        self.rest.hard_link(existing, new)
    }

    fn mknod(&mut self, path: &str, kind: FileType, attrs: Attrs, rdev: u64) -> FsResult<()> {
        if Self::node(path).is_some() {
            return Err(FsError::new(Errno::EEXIST, path));
        }
        self.rest.mknod(path, kind, attrs, rdev)
    }

    fn set_mode(&mut self, path: &str, mode: u32) -> FsResult<()> {
        match Self::node(path) {
            Some(_) => Ok(()),
            None => self.rest.set_mode(path, mode),
        }
    }

    fn set_owner(&mut self, path: &str, uid: u32, gid: u32) -> FsResult<()> {
        match Self::node(path) {
            Some(_) => Ok(()),
            None => self.rest.set_owner(path, uid, gid),
        }
    }

    fn set_mtime(&mut self, path: &str, mtime: i64) -> FsResult<()> {
        match Self::node(path) {
            Some(_) => Ok(()),
            None => self.rest.set_mtime(path, mtime),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_read_and_write_as_linuxs_do() {
        let mut dev = DevFs::new(7);
        let names: Vec<String> = dev.read_dir("/").unwrap().into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["console", "core", "fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero"]);
        assert_eq!(dev.stat("/null").unwrap().kind, FileType::CharDevice);
        assert_eq!(dev.stat("/zero").unwrap().rdev, 1 << 8 | 5);
        assert_eq!(dev.read_range("/zero", 0, 4).unwrap(), [0; 4]);
        assert_eq!(dev.read("/null").unwrap(), b"");
        assert_eq!(dev.read("/zero").unwrap_err().errno, Errno::EFBIG, "an endless stream read whole is an error, not a hang");
        let (a, b) = (dev.read_range("/urandom", 0, 16).unwrap(), dev.read_range("/urandom", 0, 16).unwrap());
        assert!(a.len() == 16 && a != b);
        assert!(dev.write("/null", b"gone").is_ok());
        assert_eq!(dev.write("/full", b"x").unwrap_err().errno, Errno::ENOSPC);
        assert_eq!(dev.read("/tty").unwrap_err().errno, Errno::ENXIO);
        assert_eq!(dev.read_link("/stdout").unwrap(), "/proc/self/fd/1");
        assert_eq!(dev.remove_file("/null").unwrap_err().errno, Errno::EPERM);
        dev.write("/shm/segment", b"shared").unwrap();
        assert_eq!(dev.read("/shm/segment").unwrap(), b"shared");
        assert_eq!(dev.stat("/shm").unwrap().mode & 0o7777, 0o1777);
    }
}
