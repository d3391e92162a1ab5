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

/// A view of a directory inside another filesystem as the root of its own.
pub struct SubdirFs<F> {
    pub inner: F,
    pub base: String,
}

impl<F: FileSystem> SubdirFs<F> {
    fn p(&self, path: &str) -> String {
        // Normalising first keeps `..` from leaving the directory.
        super::join(&self.base, super::normalize(path).trim_start_matches('/'))
    }
}

impl<F: FileSystem> FileSystem for SubdirFs<F> {
    fn stat(&self, p: &str) -> FsResult<Metadata> {
        self.inner.stat(&self.p(p))
    }
    fn lstat(&self, p: &str) -> FsResult<Metadata> {
        self.inner.lstat(&self.p(p))
    }
    fn read_dir(&self, p: &str) -> FsResult<Vec<DirEntry>> {
        self.inner.read_dir(&self.p(p))
    }
    fn read_link(&self, p: &str) -> FsResult<String> {
        self.inner.read_link(&self.p(p))
    }
    fn content(&self, p: &str) -> FsResult<Content> {
        self.inner.content(&self.p(p))
    }
    fn put_file(&mut self, p: &str, c: Content, a: Attrs) -> FsResult<()> {
        let q = self.p(p);
        self.inner.put_file(&q, c, a)
    }
    fn write_at(&mut self, p: &str, o: u64, d: &[u8]) -> FsResult<()> {
        let q = self.p(p);
        self.inner.write_at(&q, o, d)
    }
    fn set_len(&mut self, p: &str, l: u64) -> FsResult<()> {
        let q = self.p(p);
        self.inner.set_len(&q, l)
    }
    fn create_dir(&mut self, p: &str, m: u32) -> FsResult<()> {
        let q = self.p(p);
        self.inner.create_dir(&q, m)
    }
    fn remove_file(&mut self, p: &str) -> FsResult<()> {
        let q = self.p(p);
        self.inner.remove_file(&q)
    }
    fn remove_dir(&mut self, p: &str) -> FsResult<()> {
        let q = self.p(p);
        self.inner.remove_dir(&q)
    }
    fn rename(&mut self, a: &str, b: &str) -> FsResult<()> {
        let (qa, qb) = (self.p(a), self.p(b));
        self.inner.rename(&qa, &qb)
    }
    fn symlink(&mut self, t: &str, l: &str) -> FsResult<()> {
        let q = self.p(l);
        self.inner.symlink(t, &q)
    }
    fn hard_link(&mut self, a: &str, b: &str) -> FsResult<()> {
        let (qa, qb) = (self.p(a), self.p(b));
        self.inner.hard_link(&qa, &qb)
    }
    fn mknod(&mut self, p: &str, k: FileType, a: Attrs, r: u64) -> FsResult<()> {
        let q = self.p(p);
        self.inner.mknod(&q, k, a, r)
    }
    fn set_mode(&mut self, p: &str, m: u32) -> FsResult<()> {
        let q = self.p(p);
        self.inner.set_mode(&q, m)
    }
    fn set_owner(&mut self, p: &str, u: u32, g: u32) -> FsResult<()> {
        let q = self.p(p);
        self.inner.set_owner(&q, u, g)
    }
    fn set_mtime(&mut self, p: &str, t: i64) -> FsResult<()> {
        let q = self.p(p);
        self.inner.set_mtime(&q, t)
    }
}
