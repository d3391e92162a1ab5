//! A container's filesystem with bind mounts, volumes and tmpfs mounts on top of its
//! root: paths under a mount point go to the mounted filesystem, read-only mounts (and a
//! read-only root, `--read-only`) refuse writes (`EROFS`).
//!
//! A path is resolved once, component by component, over the whole mount table (as a
//! kernel's path walk crosses mount points): a symlink in the image that leads into a
//! mount (`/var/run -> /run` with a volume at `/run/x`) reaches the mount, and a symlink
//! inside a mount that names an absolute path (`/etc/passwd`) means the container's
//! path, not one inside the mount. Only the symlink-free result is routed to a mount.

use crate::vfs::{normalize, Attrs, Content, DirEntry, Errno, FileSystem, FileType, FsError, FsResult, Metadata};

pub struct Mounted<'a> {
    pub root: &'a mut dyn FileSystem,
    /// (mount point, filesystem, read-only), any order.
    pub mounts: Vec<(String, Box<dyn FileSystem + 'a>, bool)>,
    /// `--read-only`: what is not under a mount refuses writes.
    pub root_read_only: bool,
}

/// Symlinks followed in one path walk before `ELOOP`, as Linux's `MAXSYMLINKS`.
const MAX_SYMLINKS: usize = 40;

impl Mounted<'_> {
    /// `path` with every symlink resolved over the mount table (the last component only
    /// with `follow`): the path a kernel's walk would reach.
    fn walk(&self, path: &str, follow: bool) -> FsResult<String> {
        if self.mounts.is_empty() {
            // The root filesystem resolves its own links.
            return Ok(normalize(path));
        }
        let mut pending: Vec<String> = normalize(path).split('/').filter(|c| !c.is_empty()).map(str::to_string).rev().collect();
        // The resolved path so far, and where each of its components starts (for `..`).
        let mut here = String::new();
        let mut starts: Vec<usize> = Vec::new();
        let mut links = 0;
        while let Some(name) = pending.pop() {
            match name.as_str() {
                "." => continue,
                ".." => {
                    if let Some(at) = starts.pop() {
                        here.truncate(at);
                    }
                    continue;
                }
                _ => {}
            }
            let at = here.len();
            here.push('/');
            here.push_str(&name);
            let last = pending.is_empty();
            let is_link = self.route_lstat(&here).is_ok_and(|m| m.kind == FileType::Symlink);
            if !is_link || (last && !follow) {
                starts.push(at);
                continue;
            }
            links += 1;
            if links > MAX_SYMLINKS {
                return Err(FsError::new(Errno::ELOOP, path));
            }
            let target = self.routed(&here, |fs, inner| fs.read_link(inner))?;
            here.truncate(at);
            if target.starts_with('/') {
                here.clear();
                starts.clear();
            }
            pending.extend(target.split('/').filter(|c| !c.is_empty()).map(str::to_string).rev());
        }
        if here.is_empty() {
            here.push('/');
        }
        Ok(here)
    }

    /// `lstat` of a path whose parents are already resolved.
    fn route_lstat(&self, path: &str) -> FsResult<Metadata> {
        self.routed(path, |fs, inner| fs.lstat(inner))
    }

    /// Calls `f` on the filesystem that holds `path` (already resolved), with the path in it.
    fn routed<T>(&self, path: &str, f: impl FnOnce(&dyn FileSystem, &str) -> FsResult<T>) -> FsResult<T> {
        match self.route(path) {
            Some((i, inner)) => f(&*self.mounts[i].1, &inner),
            None => f(&*self.root, path),
        }
    }

    /// The mount holding `path` and the path inside it, longest mount point first.
    fn route(&self, path: &str) -> Option<(usize, String)> {
        let p = normalize(path);
        self.mounts
            .iter()
            .enumerate()
            .filter(|(_, (point, _, _))| p == *point || p.starts_with(&format!("{}/", point.trim_end_matches('/'))))
            .max_by_key(|(_, (point, _, _))| point.len())
            .map(|(i, (point, _, _))| (i, format!("/{}", p[point.len()..].trim_start_matches('/'))))
    }

    fn read_only(&self, path: &str) -> FsResult<()> {
        match self.route(path) {
            Some((i, _)) if self.mounts[i].2 => Err(FsError::new(Errno::EROFS, path)),
            None if self.root_read_only => Err(FsError::new(Errno::EROFS, path)),
            _ => Ok(()),
        }
    }
}

/// An operation on the resolved path (`follow`: through a final symlink, as `stat` and
/// `open` go; not, as `lstat`, `unlink` and `mkdir` do).
macro_rules! read_op {
    ($self:ident, $path:ident, $follow:expr, $method:ident $(, $arg:expr)*) => {{
        let resolved = $self.walk($path, $follow)?;
        match $self.route(&resolved) {
            Some((i, inner)) => $self.mounts[i].1.$method(&inner $(, $arg)*),
            None => $self.root.$method(&resolved $(, $arg)*),
        }
    }};
}

macro_rules! write_op {
    ($self:ident, $path:ident, $follow:expr, $method:ident $(, $arg:expr)*) => {{
        let resolved = $self.walk($path, $follow)?;
        $self.read_only(&resolved)?;
        match $self.route(&resolved) {
            Some((i, inner)) => $self.mounts[i].1.$method(&inner $(, $arg)*),
            None => $self.root.$method(&resolved $(, $arg)*),
        }
    }};
}

impl FileSystem for Mounted<'_> {
    fn stat(&self, path: &str) -> FsResult<Metadata> {
        read_op!(self, path, true, stat)
    }
    fn lstat(&self, path: &str) -> FsResult<Metadata> {
        read_op!(self, path, false, lstat)
    }
    fn read_dir(&self, path: &str) -> FsResult<Vec<DirEntry>> {
        let mut entries = read_op!(self, path, true, read_dir)?;
        // Mount points show up in their parent directory.
        let p = self.walk(path, true)?;
        for (point, fs, _) in &self.mounts {
            if let Some((parent, name)) = crate::vfs::split_parent(point) {
                if parent == p && !entries.iter().any(|e| e.name == name) {
                    // A single-file bind mount shows as the file it is.
                    let kind = fs.stat("/").map_or(FileType::Dir, |m| m.kind);
                    entries.push(DirEntry { name, kind });
                }
            }
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(entries)
    }
    fn read_link(&self, path: &str) -> FsResult<String> {
        read_op!(self, path, false, read_link)
    }
    fn content(&self, path: &str) -> FsResult<Content> {
        read_op!(self, path, true, content)
    }
    fn read_range(&self, path: &str, offset: u64, len: usize) -> FsResult<Vec<u8>> {
        read_op!(self, path, true, read_range, offset, len)
    }
    fn put_file(&mut self, path: &str, content: Content, attrs: Attrs) -> FsResult<()> {
        write_op!(self, path, true, put_file, content, attrs)
    }
    fn write_at(&mut self, path: &str, offset: u64, data: &[u8]) -> FsResult<()> {
        write_op!(self, path, true, write_at, offset, data)
    }
    fn set_len(&mut self, path: &str, len: u64) -> FsResult<()> {
        write_op!(self, path, true, set_len, len)
    }
    fn create_dir(&mut self, path: &str, mode: u32) -> FsResult<()> {
        write_op!(self, path, false, create_dir, mode)
    }
    fn remove_file(&mut self, path: &str) -> FsResult<()> {
        write_op!(self, path, false, remove_file)
    }
    fn remove_dir(&mut self, path: &str) -> FsResult<()> {
        write_op!(self, path, false, remove_dir)
    }
    fn rename(&mut self, from: &str, to: &str) -> FsResult<()> {
        let (from, to) = (&self.walk(from, false)?, &self.walk(to, false)?);
        self.read_only(from)?;
        self.read_only(to)?;
        match (self.route(from), self.route(to)) {
            (Some((a, fa)), Some((b, tb))) if a == b => self.mounts[a].1.rename(&fa, &tb),
            (None, None) => self.root.rename(from, to),
            _ => Err(FsError::new(Errno::EXDEV, from)),
        }
    }
    fn symlink(&mut self, target: &str, link: &str) -> FsResult<()> {
        let link = &self.walk(link, false)?;
        self.read_only(link)?;
        match self.route(link) {
            Some((i, inner)) => self.mounts[i].1.symlink(target, &inner),
            None => self.root.symlink(target, link),
        }
    }
    fn hard_link(&mut self, existing: &str, new: &str) -> FsResult<()> {
        let (existing, new) = (&self.walk(existing, false)?, &self.walk(new, false)?);
        self.read_only(new)?;
        match (self.route(existing), self.route(new)) {
            (Some((a, e)), Some((b, n))) if a == b => self.mounts[a].1.hard_link(&e, &n),
            (None, None) => self.root.hard_link(existing, new),
            _ => Err(FsError::new(Errno::EXDEV, new)),
        }
    }
    fn mknod(&mut self, path: &str, kind: FileType, attrs: Attrs, rdev: u64) -> FsResult<()> {
        write_op!(self, path, false, mknod, kind, attrs, rdev)
    }
    fn set_mode(&mut self, path: &str, mode: u32) -> FsResult<()> {
        write_op!(self, path, true, set_mode, mode)
    }
    fn set_owner(&mut self, path: &str, uid: u32, gid: u32) -> FsResult<()> {
        write_op!(self, path, true, set_owner, uid, gid)
    }
    fn set_mtime(&mut self, path: &str, mtime: i64) -> FsResult<()> {
        write_op!(self, path, true, set_mtime, mtime)
    }
}
