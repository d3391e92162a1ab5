//! A filesystem several owners share (the browser's workspace: the editor, the terminal
//! and bind mounts of containers all see the same files).

use std::sync::{Arc, Mutex};

use super::{Attrs, Content, DirEntry, Errno, FileSystem, FileType, FsError, FsResult, MemoryFs, Metadata};

#[derive(Debug, Clone, Default)]
pub struct SharedFs(pub Arc<Mutex<MemoryFs>>);

impl SharedFs {
    pub fn new(fs: MemoryFs) -> SharedFs {
        SharedFs(Arc::new(Mutex::new(fs)))
    }

    fn with<T>(&self, path: &str, f: impl FnOnce(&mut MemoryFs) -> FsResult<T>) -> FsResult<T> {
        match self.0.lock() {
            Ok(mut fs) => f(&mut fs),
            Err(_) => Err(FsError::new(Errno::EBUSY, path)),
        }
    }
}

impl FileSystem for SharedFs {
    fn stat(&self, p: &str) -> FsResult<Metadata> {
        self.with(p, |fs| fs.stat(p))
    }
    fn lstat(&self, p: &str) -> FsResult<Metadata> {
        self.with(p, |fs| fs.lstat(p))
    }
    fn read_dir(&self, p: &str) -> FsResult<Vec<DirEntry>> {
        self.with(p, |fs| fs.read_dir(p))
    }
    fn read_link(&self, p: &str) -> FsResult<String> {
        self.with(p, |fs| fs.read_link(p))
    }
    fn content(&self, p: &str) -> FsResult<Content> {
        self.with(p, |fs| fs.content(p))
    }
    fn put_file(&mut self, p: &str, c: Content, a: Attrs) -> FsResult<()> {
        self.with(p, |fs| fs.put_file(p, c, a))
    }
    fn write_at(&mut self, p: &str, o: u64, d: &[u8]) -> FsResult<()> {
        self.with(p, |fs| fs.write_at(p, o, d))
    }
    fn set_len(&mut self, p: &str, l: u64) -> FsResult<()> {
        self.with(p, |fs| fs.set_len(p, l))
    }
    fn create_dir(&mut self, p: &str, m: u32) -> FsResult<()> {
        self.with(p, |fs| fs.create_dir(p, m))
    }
    fn remove_file(&mut self, p: &str) -> FsResult<()> {
        self.with(p, |fs| fs.remove_file(p))
    }
    fn remove_dir(&mut self, p: &str) -> FsResult<()> {
        self.with(p, |fs| fs.remove_dir(p))
    }
    fn rename(&mut self, a: &str, b: &str) -> FsResult<()> {
        self.with(a, |fs| fs.rename(a, b))
    }
    fn symlink(&mut self, t: &str, l: &str) -> FsResult<()> {
        self.with(l, |fs| fs.symlink(t, l))
    }
    fn hard_link(&mut self, a: &str, b: &str) -> FsResult<()> {
        self.with(b, |fs| fs.hard_link(a, b))
    }
    fn mknod(&mut self, p: &str, k: FileType, a: Attrs, r: u64) -> FsResult<()> {
        self.with(p, |fs| fs.mknod(p, k, a, r))
    }
    fn set_mode(&mut self, p: &str, m: u32) -> FsResult<()> {
        self.with(p, |fs| fs.set_mode(p, m))
    }
    fn set_owner(&mut self, p: &str, u: u32, g: u32) -> FsResult<()> {
        self.with(p, |fs| fs.set_owner(p, u, g))
    }
    fn set_mtime(&mut self, p: &str, t: i64) -> FsResult<()> {
        self.with(p, |fs| fs.set_mtime(p, t))
    }
}

/// A view of a directory inside another filesystem as the root of its own. Paths are
/// resolved inside it, as `openat2`'s `RESOLVE_IN_ROOT` resolves them: `..` stops at
/// its root, and a symbolic link (absolute or relative) is followed within it, so no
/// path through it reaches the filesystem outside (a link a container planted in a
/// bind-mounted folder cannot lead `docker cp` out of it).
pub struct SubdirFs<F> {
    pub inner: F,
    pub base: String,
}

/// How many links one resolution follows (Linux's `MAXSYMLINKS`).
const MAX_LINKS: usize = 40;

impl<F: FileSystem> SubdirFs<F> {
    /// `path` in the inner filesystem, every link on the way resolved inside the view;
    /// the last component's too where `follow`.
    fn resolve(&self, path: &str, follow: bool) -> FsResult<String> {
        let mut pending: Vec<String> = super::components(path).into_iter().map(str::to_string).collect();
        pending.reverse();
        let mut done: Vec<String> = Vec::new();
        let mut links = 0;
        while let Some(c) = pending.pop() {
            match c.as_str() {
                "." | "" => continue,
                ".." => {
                    done.pop();
                    continue;
                }
                _ => {}
            }
            let last = pending.is_empty();
            let here = super::join(&self.base, &done.iter().map(String::as_str).chain(std::iter::once(c.as_str())).collect::<Vec<_>>().join("/"));
            match self.inner.lstat(&here) {
                Ok(m) if m.kind == FileType::Symlink && (!last || follow) => {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(FsError::new(Errno::ELOOP, path));
                    }
                    let target = self.inner.read_link(&here)?;
                    if target.starts_with('/') {
                        done.clear();
                    }
                    let mut parts: Vec<String> = super::components(&target).into_iter().map(str::to_string).collect();
                    parts.reverse();
                    pending.extend(parts);
                }
                _ => done.push(c),
            }
        }
        Ok(super::join(&self.base, &done.join("/")))
    }

    fn p(&self, path: &str) -> FsResult<String> {
        self.resolve(path, true)
    }

    /// Without following the last component (lstat, unlink, rename, …).
    fn l(&self, path: &str) -> FsResult<String> {
        self.resolve(path, false)
    }
}

impl<F: FileSystem> FileSystem for SubdirFs<F> {
    fn stat(&self, p: &str) -> FsResult<Metadata> {
        self.inner.stat(&self.p(p)?)
    }
    fn lstat(&self, p: &str) -> FsResult<Metadata> {
        self.inner.lstat(&self.l(p)?)
    }
    fn read_dir(&self, p: &str) -> FsResult<Vec<DirEntry>> {
        self.inner.read_dir(&self.p(p)?)
    }
    fn read_link(&self, p: &str) -> FsResult<String> {
        self.inner.read_link(&self.l(p)?)
    }
    fn content(&self, p: &str) -> FsResult<Content> {
        self.inner.content(&self.p(p)?)
    }
    fn put_file(&mut self, p: &str, c: Content, a: Attrs) -> FsResult<()> {
        let q = self.p(p)?;
        self.inner.put_file(&q, c, a)
    }
    fn write_at(&mut self, p: &str, o: u64, d: &[u8]) -> FsResult<()> {
        let q = self.p(p)?;
        self.inner.write_at(&q, o, d)
    }
    fn set_len(&mut self, p: &str, l: u64) -> FsResult<()> {
        let q = self.p(p)?;
        self.inner.set_len(&q, l)
    }
    fn create_dir(&mut self, p: &str, m: u32) -> FsResult<()> {
        let q = self.l(p)?;
        self.inner.create_dir(&q, m)
    }
    fn remove_file(&mut self, p: &str) -> FsResult<()> {
        let q = self.l(p)?;
        self.inner.remove_file(&q)
    }
    fn remove_dir(&mut self, p: &str) -> FsResult<()> {
        let q = self.l(p)?;
        self.inner.remove_dir(&q)
    }
    fn rename(&mut self, a: &str, b: &str) -> FsResult<()> {
        let (qa, qb) = (self.l(a)?, self.l(b)?);
        self.inner.rename(&qa, &qb)
    }
    fn symlink(&mut self, t: &str, l: &str) -> FsResult<()> {
        let q = self.l(l)?;
        self.inner.symlink(t, &q)
    }
    fn hard_link(&mut self, a: &str, b: &str) -> FsResult<()> {
        let (qa, qb) = (self.l(a)?, self.l(b)?);
        self.inner.hard_link(&qa, &qb)
    }
    fn mknod(&mut self, p: &str, k: FileType, a: Attrs, r: u64) -> FsResult<()> {
        let q = self.l(p)?;
        self.inner.mknod(&q, k, a, r)
    }
    fn set_mode(&mut self, p: &str, m: u32) -> FsResult<()> {
        let q = self.p(p)?;
        self.inner.set_mode(&q, m)
    }
    fn set_owner(&mut self, p: &str, u: u32, g: u32) -> FsResult<()> {
        let q = self.l(p)?;
        self.inner.set_owner(&q, u, g)
    }
    fn set_mtime(&mut self, p: &str, t: i64) -> FsResult<()> {
        let q = self.p(p)?;
        self.inner.set_mtime(&q, t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_subdirectory_view_resolves_links_inside_itself() {
        let mut fs = MemoryFs::new();
        fs.create_dir_all("/etc", 0o755).unwrap();
        fs.write("/etc/passwd", b"host\n").unwrap();
        fs.create_dir_all("/ws/d/sub", 0o755).unwrap();
        fs.symlink("/etc/passwd", "/ws/d/abs").unwrap();
        fs.symlink("../../../etc/passwd", "/ws/d/rel").unwrap();
        fs.symlink("/etc", "/ws/d/dir").unwrap();
        fs.symlink("sub", "/ws/d/inside").unwrap();
        fs.symlink("loop", "/ws/d/loop").unwrap();
        let shared = SharedFs::new(fs);
        let mut view = SubdirFs { inner: shared.clone(), base: "/ws/d".into() };
        // Links out of the view resolve inside it: to nothing yet, then to the view's own.
        assert_eq!(view.write("/abs", b"a").unwrap_err().errno, Errno::ENOENT);
        assert_eq!(view.write("/rel", b"r").unwrap_err().errno, Errno::ENOENT, "`..` stops at the view's root");
        view.create_dir_all("/etc", 0o755).unwrap();
        view.write("/abs", b"a").unwrap();
        view.write("/rel", b"r").unwrap();
        view.write("/dir/group", b"d").unwrap();
        view.write("/inside/f", b"i").unwrap();
        let outer = shared.0.lock().unwrap();
        assert_eq!(outer.read("/etc/passwd").unwrap(), b"host\n", "nothing outside the view changed");
        assert!(outer.read("/etc/group").is_err());
        assert_eq!(outer.read("/ws/d/etc/passwd").unwrap(), b"r", "`/etc` is the view's own");
        assert_eq!(outer.read("/ws/d/etc/group").unwrap(), b"d");
        assert_eq!(outer.read("/ws/d/sub/f").unwrap(), b"i", "a link inside is followed");
        drop(outer);
        assert_eq!(view.read_link("/abs").unwrap(), "/etc/passwd", "the link itself is kept");
        assert_eq!(view.stat("/loop").unwrap_err().errno, Errno::ELOOP);
        assert!(view.lstat("/loop").is_ok());
    }
}
