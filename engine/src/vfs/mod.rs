//! The virtual filesystem images and containers live in: one [`FileSystem`] trait, an
//! in-memory implementation ([`MemoryFs`]), an overlay of read-only layers under a writable
//! upper layer with OCI whiteouts ([`OverlayFs`]) and, for bind mounts on the native CLI, a
//! host directory ([`HostFs`]).
//!
//! Paths are absolute and slash-separated inside the filesystem; `..` stops at the root,
//! and symlinks (absolute ones included) resolve inside the filesystem, so nothing can
//! escape it. Errors are an errno-like [`Errno`] with the path attached at this boundary.
//!
//! ```
//! use engine::vfs::{FileSystem, MemoryFs};
//! let mut fs = MemoryFs::new();
//! fs.create_dir("/app", 0o755).unwrap();
//! fs.write("/app/hello.txt", b"hi\n").unwrap();
//! fs.symlink("/app/hello.txt", "/link").unwrap();
//! assert_eq!(fs.read("/link").unwrap(), b"hi\n");
//! ```

pub mod dev;
#[cfg(unix)]
mod host;
mod memory;
mod overlay;
pub mod quota;
mod shared;
pub mod walk;

#[cfg(unix)]
pub use host::HostFs;
pub use memory::MemoryFs;
pub use overlay::{OverlayFs, OPAQUE_MARKER, WHITEOUT_PREFIX};
pub use quota::Quota;
pub use shared::{SharedFs, SubdirFs};

use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// POSIX error numbers the filesystem reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[allow(clippy::upper_case_acronyms)]
pub enum Errno {
    ENOENT,
    EEXIST,
    ENOTDIR,
    EISDIR,
    EACCES,
    EPERM,
    ELOOP,
    ENOSPC,
    ENOTEMPTY,
    EINVAL,
    EXDEV,
    EROFS,
    ENAMETOOLONG,
    EBUSY,
    /// A modelled file too large to read whole (see [`MAX_READ`]), or a device's
    /// endless stream read whole.
    EFBIG,
    /// A device with nothing behind it (`/dev/tty` without a terminal).
    ENXIO,
}

impl Errno {
    /// The number Linux gives the errno (what Python shows as `[Errno N]`).
    pub fn code(self) -> i32 {
        match self {
            Errno::EPERM => 1,
            Errno::ENOENT => 2,
            Errno::EACCES => 13,
            Errno::EBUSY => 16,
            Errno::EFBIG => 27,
            Errno::ENXIO => 6,
            Errno::EEXIST => 17,
            Errno::EXDEV => 18,
            Errno::ENOTDIR => 20,
            Errno::EISDIR => 21,
            Errno::EINVAL => 22,
            Errno::ENOSPC => 28,
            Errno::EROFS => 30,
            Errno::ENAMETOOLONG => 36,
            Errno::ENOTEMPTY => 39,
            Errno::ELOOP => 40,
        }
    }

    /// The C library's message for the errno (`strerror`).
    pub fn message(self) -> &'static str {
        match self {
            Errno::ENOENT => "No such file or directory",
            Errno::EEXIST => "File exists",
            Errno::ENOTDIR => "Not a directory",
            Errno::EISDIR => "Is a directory",
            Errno::EACCES => "Permission denied",
            Errno::EPERM => "Operation not permitted",
            Errno::ELOOP => "Too many levels of symbolic links",
            Errno::ENOSPC => "No space left on device",
            Errno::ENOTEMPTY => "Directory not empty",
            Errno::EINVAL => "Invalid argument",
            Errno::EXDEV => "Invalid cross-device link",
            Errno::EROFS => "Read-only file system",
            Errno::ENAMETOOLONG => "File name too long",
            Errno::EBUSY => "Device or resource busy",
            Errno::EFBIG => "File too large",
            Errno::ENXIO => "No such device or address",
        }
    }
}

/// A failed filesystem operation: the errno and the path it concerns.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {}", errno.message())]
pub struct FsError {
    pub errno: Errno,
    pub path: String,
}

impl FsError {
    pub fn new(errno: Errno, path: &str) -> FsError {
        FsError { errno, path: path.to_string() }
    }
}

pub type FsResult<T> = Result<T, FsError>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FileType {
    File,
    Dir,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
}

/// What `stat` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Metadata {
    pub kind: FileType,
    /// Permission bits including setuid/setgid/sticky (`0o7777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Bytes of a file (a lazy file's declared size), the target length of a symlink.
    pub size: u64,
    /// Seconds since the Unix epoch.
    pub mtime: i64,
    pub nlink: u32,
    pub ino: u64,
    /// Device number of a device node (`major << 8 | minor`, as in tar).
    pub rdev: u64,
}

impl Metadata {
    pub fn is_dir(&self) -> bool {
        self.kind == FileType::Dir
    }

    pub fn is_file(&self) -> bool {
        self.kind == FileType::File
    }

    pub fn is_symlink(&self) -> bool {
        self.kind == FileType::Symlink
    }
}

/// Ownership, mode and time for a new entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attrs {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub mtime: i64,
}

impl Attrs {
    pub fn mode(mode: u32) -> Attrs {
        Attrs { mode, uid: 0, gid: 0, mtime: 0 }
    }
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub kind: FileType,
}

/// The bytes of a file. Catalog files are *sized but lazy*: they report their real size
/// and cost a few bytes until written. Reading one yields modelled filler text that says
/// so. Cloning shares the bytes (copy-on-write).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    Data(Arc<Vec<u8>>),
    Lazy { size: u64, label: Arc<str> },
}

impl Content {
    pub fn data(bytes: impl Into<Vec<u8>>) -> Content {
        Content::Data(Arc::new(bytes.into()))
    }

    pub fn lazy(size: u64, label: &str) -> Content {
        Content::Lazy { size, label: Arc::from(label) }
    }

    pub fn len(&self) -> u64 {
        match self {
            Content::Data(d) => d.len() as u64,
            Content::Lazy { size, .. } => *size,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes this content occupies in memory (what the quota counts).
    pub fn stored_bytes(&self) -> u64 {
        match self {
            Content::Data(d) => d.len() as u64,
            Content::Lazy { .. } => 0,
        }
    }

    /// `len` bytes from `offset` (fewer at the end of the file).
    pub fn read_range(&self, offset: u64, len: usize) -> Vec<u8> {
        let total = self.len();
        if offset >= total {
            return Vec::new();
        }
        let end = total.min(offset.saturating_add(len as u64));
        match self {
            Content::Data(d) => d[offset as usize..end as usize].to_vec(),
            Content::Lazy { label, .. } => {
                let pattern = lazy_pattern(label);
                let mut out = Vec::with_capacity((end - offset) as usize);
                let mut at = offset;
                while at < end {
                    let start = (at % pattern.len() as u64) as usize;
                    let take = (pattern.len() - start).min((end - at) as usize);
                    out.extend_from_slice(&pattern[start..start + take]);
                    at += take as u64;
                }
                out
            }
        }
    }

    /// Bytes read back from a layer: modelled content (the repeated pattern lazy content
    /// reads as) becomes lazy again, so it keeps its label and costs no memory.
    pub fn recognise(data: Vec<u8>) -> Content {
        const HEAD: &[u8] = b"[berth: modelled content of ";
        if data.starts_with(HEAD) {
            if let Some(end) = data.iter().position(|b| *b == b'\n') {
                let first = String::from_utf8_lossy(&data[HEAD.len()..end]).into_owned();
                if let Some(label) = first.strip_suffix("; the real file's bytes are not part of the sandbox]") {
                    let lazy = Content::lazy(data.len() as u64, label);
                    let pattern = lazy_pattern(label);
                    if data.chunks(pattern.len()).all(|c| pattern.starts_with(c)) {
                        return lazy;
                    }
                }
            }
        }
        Content::data(data)
    }

    /// The whole content.
    pub fn to_vec(&self) -> Vec<u8> {
        match self {
            Content::Data(d) => d.as_ref().clone(),
            lazy => lazy.read_range(0, lazy.len() as usize),
        }
    }
}

#[test]
fn modelled_content_is_recognised_again() {
    let lazy = Content::lazy(1000, "exec:python");
    match Content::recognise(lazy.to_vec()) {
        Content::Lazy { size, label } => assert_eq!((size, label.as_ref()), (1000, "exec:python")),
        Content::Data(_) => panic!("not recognised"),
    }
    let mut tampered = lazy.to_vec();
    tampered[500] ^= 1;
    assert!(matches!(Content::recognise(tampered), Content::Data(_)));
    assert!(matches!(Content::recognise(b"plain".to_vec()), Content::Data(_)));
}

fn lazy_pattern(label: &str) -> Vec<u8> {
    format!("[berth: modelled content of {label}; the real file's bytes are not part of the sandbox]\n").into_bytes()
}

/// The largest modelled file read whole into memory ([`FileSystem::read`]); a browser
/// tab's memory is 4 GiB at most.
pub const MAX_READ: u64 = if cfg!(target_arch = "wasm32") { 1 << 30 } else { 8 << 30 };

/// Splits an absolute or relative path into its components, dropping empty and `.` ones.
pub fn components(path: &str) -> Vec<&str> {
    path.split('/').filter(|c| !c.is_empty() && *c != ".").collect()
}

/// Joins `base` and `path` (an absolute `path` replaces `base`), lexically cleaned.
pub fn join(base: &str, path: &str) -> String {
    let full = if path.starts_with('/') { path.to_string() } else { format!("{base}/{path}") };
    normalize(&full)
}

/// Lexical clean of an absolute path: `/a/./b/../c` → `/a/c`; `..` stops at `/`.
pub fn normalize(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in components(path) {
        if c == ".." {
            out.pop();
        } else {
            out.push(c);
        }
    }
    format!("/{}", out.join("/"))
}

/// Parent directory and last component of a normalised path (`/` has no parent).
pub fn split_parent(path: &str) -> Option<(String, String)> {
    let path = normalize(path);
    let (parent, name) = path.rsplit_once('/')?;
    if name.is_empty() {
        return None;
    }
    Some((if parent.is_empty() { "/".to_string() } else { parent.to_string() }, name.to_string()))
}

/// The filesystem interface every backend implements. Paths are absolute inside the
/// filesystem. Operations that take a path follow symlinks except where noted (`lstat`,
/// `read_link`, `remove_*`, `rename`, `set_owner`, `symlink`).
pub trait FileSystem {
    fn stat(&self, path: &str) -> FsResult<Metadata>;
    fn lstat(&self, path: &str) -> FsResult<Metadata>;
    /// Entries sorted by name, without `.` and `..`.
    fn read_dir(&self, path: &str) -> FsResult<Vec<DirEntry>>;
    fn read_link(&self, path: &str) -> FsResult<String>;
    /// The content of a regular file, shared rather than copied.
    fn content(&self, path: &str) -> FsResult<Content>;
    /// The whole file. A modelled file larger than [`MAX_READ`] is `EFBIG`: its bytes
    /// would have to be made up in memory (read it in ranges instead).
    fn read(&self, path: &str) -> FsResult<Vec<u8>> {
        let content = self.content(path)?;
        if content.stored_bytes() < content.len() && content.len() > MAX_READ {
            return Err(FsError::new(Errno::EFBIG, path));
        }
        Ok(content.to_vec())
    }
    fn read_range(&self, path: &str, offset: u64, len: usize) -> FsResult<Vec<u8>> {
        self.content(path).map(|c| c.read_range(offset, len))
    }

    /// Creates or replaces a regular file with `content` and `attrs` (the parent must
    /// exist). Replacing keeps the inode, so hard links see the new content.
    fn put_file(&mut self, path: &str, content: Content, attrs: Attrs) -> FsResult<()>;
    /// Writes `data` at `offset`, creating the file (mode 0644) if needed.
    fn write_at(&mut self, path: &str, offset: u64, data: &[u8]) -> FsResult<()>;
    fn set_len(&mut self, path: &str, len: u64) -> FsResult<()>;
    fn create_dir(&mut self, path: &str, mode: u32) -> FsResult<()>;
    fn remove_file(&mut self, path: &str) -> FsResult<()>;
    fn remove_dir(&mut self, path: &str) -> FsResult<()>;
    fn rename(&mut self, from: &str, to: &str) -> FsResult<()>;
    fn symlink(&mut self, target: &str, link: &str) -> FsResult<()>;
    fn hard_link(&mut self, existing: &str, new: &str) -> FsResult<()>;
    fn mknod(&mut self, path: &str, kind: FileType, attrs: Attrs, rdev: u64) -> FsResult<()>;
    fn set_mode(&mut self, path: &str, mode: u32) -> FsResult<()>;
    /// `lchown`: does not follow a final symlink.
    fn set_owner(&mut self, path: &str, uid: u32, gid: u32) -> FsResult<()>;
    fn set_mtime(&mut self, path: &str, mtime: i64) -> FsResult<()>;

    /// Creates or truncates a file with `data` (mode 0644 for a new file, existing
    /// metadata kept otherwise).
    fn write(&mut self, path: &str, data: &[u8]) -> FsResult<()> {
        let attrs = match self.stat(path) {
            Ok(m) if m.is_dir() => return Err(FsError::new(Errno::EISDIR, path)),
            Ok(m) => Attrs { mode: m.mode, uid: m.uid, gid: m.gid, mtime: m.mtime },
            Err(_) => Attrs::mode(0o644),
        };
        self.put_file(path, Content::data(data), attrs)
    }

    fn exists(&self, path: &str) -> bool {
        self.lstat(path).is_ok()
    }

    /// `mkdir -p`.
    fn create_dir_all(&mut self, path: &str, mode: u32) -> FsResult<()> {
        let mut current = String::new();
        for c in components(&normalize(path)) {
            current.push('/');
            current.push_str(c);
            match self.stat(&current) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Err(FsError::new(Errno::ENOTDIR, &current)),
                Err(e) if e.errno == Errno::ENOENT => self.create_dir(&current, mode)?,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// `rm -rf`: removes a file, symlink or directory tree; a missing path is fine.
    fn remove_all(&mut self, path: &str) -> FsResult<()> {
        let meta = match self.lstat(path) {
            Ok(m) => m,
            Err(e) if e.errno == Errno::ENOENT => return Ok(()),
            Err(e) => return Err(e),
        };
        if meta.is_dir() {
            for entry in self.read_dir(path)? {
                self.remove_all(&join(path, &entry.name))?;
            }
            self.remove_dir(path)
        } else {
            self.remove_file(path)
        }
    }
}

/// A mutable borrow or a box of a filesystem is a filesystem (a mount borrows a volume,
/// a bind mount boxes the host's directory).
macro_rules! forward_filesystem {
    ($($ty:ty),*) => {$(
        impl<T: FileSystem + ?Sized> FileSystem for $ty {
            fn stat(&self, p: &str) -> FsResult<Metadata> { (**self).stat(p) }
            fn lstat(&self, p: &str) -> FsResult<Metadata> { (**self).lstat(p) }
            fn read_dir(&self, p: &str) -> FsResult<Vec<DirEntry>> { (**self).read_dir(p) }
            fn read_link(&self, p: &str) -> FsResult<String> { (**self).read_link(p) }
            fn content(&self, p: &str) -> FsResult<Content> { (**self).content(p) }
            fn read_range(&self, p: &str, offset: u64, len: usize) -> FsResult<Vec<u8>> { (**self).read_range(p, offset, len) }
            fn put_file(&mut self, p: &str, c: Content, a: Attrs) -> FsResult<()> { (**self).put_file(p, c, a) }
            fn write_at(&mut self, p: &str, o: u64, d: &[u8]) -> FsResult<()> { (**self).write_at(p, o, d) }
            fn set_len(&mut self, p: &str, l: u64) -> FsResult<()> { (**self).set_len(p, l) }
            fn create_dir(&mut self, p: &str, m: u32) -> FsResult<()> { (**self).create_dir(p, m) }
            fn remove_file(&mut self, p: &str) -> FsResult<()> { (**self).remove_file(p) }
            fn remove_dir(&mut self, p: &str) -> FsResult<()> { (**self).remove_dir(p) }
            fn rename(&mut self, f: &str, t: &str) -> FsResult<()> { (**self).rename(f, t) }
            fn symlink(&mut self, t: &str, l: &str) -> FsResult<()> { (**self).symlink(t, l) }
            fn hard_link(&mut self, e: &str, n: &str) -> FsResult<()> { (**self).hard_link(e, n) }
            fn mknod(&mut self, p: &str, k: FileType, a: Attrs, r: u64) -> FsResult<()> { (**self).mknod(p, k, a, r) }
            fn set_mode(&mut self, p: &str, m: u32) -> FsResult<()> { (**self).set_mode(p, m) }
            fn set_owner(&mut self, p: &str, u: u32, g: u32) -> FsResult<()> { (**self).set_owner(p, u, g) }
            fn set_mtime(&mut self, p: &str, t: i64) -> FsResult<()> { (**self).set_mtime(p, t) }
        }
    )*};
}

forward_filesystem!(&mut T, Box<T>);
