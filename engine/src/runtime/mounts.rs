//! A container's filesystem with bind mounts and volumes on top of its root: paths under
//! a mount point go to the mounted filesystem, read-only mounts refuse writes (`EROFS`).

use crate::vfs::{normalize, Attrs, Content, DirEntry, Errno, FileSystem, FileType, FsError, FsResult, Metadata};

pub struct Mounted<'a> {
    pub root: &'a mut dyn FileSystem,
    /// (mount point, filesystem, read-only), any order.
    pub mounts: Vec<(String, Box<dyn FileSystem + 'a>, bool)>,
}

impl Mounted<'_> {
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
            _ => Ok(()),
        }
    }
}

macro_rules! read_op {
    ($self:ident, $path:ident, $method:ident $(, $arg:expr)*) => {
        match $self.route($path) {
            Some((i, inner)) => $self.mounts[i].1.$method(&inner $(, $arg)*),
            None => $self.root.$method($path $(, $arg)*),
        }
    };
}

macro_rules! write_op {
    ($self:ident, $path:ident, $method:ident $(, $arg:expr)*) => {{
        $self.read_only($path)?;
        match $self.route($path) {
            Some((i, inner)) => $self.mounts[i].1.$method(&inner $(, $arg)*),
            None => $self.root.$method($path $(, $arg)*),
        }
    }};
}

impl FileSystem for Mounted<'_> {
    fn stat(&self, path: &str) -> FsResult<Metadata> {
        read_op!(self, path, stat)
    }
    fn lstat(&self, path: &str) -> FsResult<Metadata> {
        read_op!(self, path, lstat)
    }
    fn read_dir(&self, path: &str) -> FsResult<Vec<DirEntry>> {
        let mut entries = read_op!(self, path, read_dir)?;
        // Mount points show up in their parent directory.
        let p = normalize(path);
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
        read_op!(self, path, read_link)
    }
    fn content(&self, path: &str) -> FsResult<Content> {
        read_op!(self, path, content)
    }
    fn read_range(&self, path: &str, offset: u64, len: usize) -> FsResult<Vec<u8>> {
        read_op!(self, path, read_range, offset, len)
    }
    fn put_file(&mut self, path: &str, content: Content, attrs: Attrs) -> FsResult<()> {
        write_op!(self, path, put_file, content, attrs)
    }
    fn write_at(&mut self, path: &str, offset: u64, data: &[u8]) -> FsResult<()> {
        write_op!(self, path, write_at, offset, data)
    }
    fn set_len(&mut self, path: &str, len: u64) -> FsResult<()> {
        write_op!(self, path, set_len, len)
    }
    fn create_dir(&mut self, path: &str, mode: u32) -> FsResult<()> {
        write_op!(self, path, create_dir, mode)
    }
    fn remove_file(&mut self, path: &str) -> FsResult<()> {
        write_op!(self, path, remove_file)
    }
    fn remove_dir(&mut self, path: &str) -> FsResult<()> {
        write_op!(self, path, remove_dir)
    }
    fn rename(&mut self, from: &str, to: &str) -> FsResult<()> {
        self.read_only(from)?;
        self.read_only(to)?;
        match (self.route(from), self.route(to)) {
            (Some((a, fa)), Some((b, tb))) if a == b => self.mounts[a].1.rename(&fa, &tb),
            (None, None) => self.root.rename(from, to),
            _ => Err(FsError::new(Errno::EXDEV, from)),
        }
    }
    fn symlink(&mut self, target: &str, link: &str) -> FsResult<()> {
        self.read_only(link)?;
        match self.route(link) {
            Some((i, inner)) => self.mounts[i].1.symlink(target, &inner),
            None => self.root.symlink(target, link),
        }
    }
    fn hard_link(&mut self, existing: &str, new: &str) -> FsResult<()> {
        self.read_only(new)?;
        match (self.route(existing), self.route(new)) {
            (Some((a, e)), Some((b, n))) if a == b => self.mounts[a].1.hard_link(&e, &n),
            (None, None) => self.root.hard_link(existing, new),
            _ => Err(FsError::new(Errno::EXDEV, new)),
        }
    }
    fn mknod(&mut self, path: &str, kind: FileType, attrs: Attrs, rdev: u64) -> FsResult<()> {
        write_op!(self, path, mknod, kind, attrs, rdev)
    }
    fn set_mode(&mut self, path: &str, mode: u32) -> FsResult<()> {
        write_op!(self, path, set_mode, mode)
    }
    fn set_owner(&mut self, path: &str, uid: u32, gid: u32) -> FsResult<()> {
        write_op!(self, path, set_owner, uid, gid)
    }
    fn set_mtime(&mut self, path: &str, mtime: i64) -> FsResult<()> {
        write_op!(self, path, set_mtime, mtime)
    }
}
