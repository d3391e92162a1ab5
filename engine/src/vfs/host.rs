//! A host directory seen as a filesystem, for bind mounts on the native CLI
//! (`-v $PWD:/app`): reads and writes go to the real folder. Paths and symlinks are
//! resolved here, component by component, so `..` and absolute links stay inside the
//! directory. Only built for Unix hosts (the browser uses its workspace filesystem).

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use super::{components, split_parent, Attrs, Content, DirEntry, Errno, FileSystem, FileType, FsError, FsResult, Metadata};

const MAX_SYMLINKS: usize = 40;

/// A directory of the host, the root of this filesystem.
#[derive(Debug, Clone)]
pub struct HostFs {
    root: PathBuf,
}

fn errno_of(e: &std::io::Error) -> Errno {
    use std::io::ErrorKind::*;
    match e.kind() {
        NotFound => Errno::ENOENT,
        AlreadyExists => Errno::EEXIST,
        PermissionDenied => Errno::EACCES,
        NotADirectory => Errno::ENOTDIR,
        IsADirectory => Errno::EISDIR,
        DirectoryNotEmpty => Errno::ENOTEMPTY,
        StorageFull => Errno::ENOSPC,
        ReadOnlyFilesystem => Errno::EROFS,
        InvalidInput => Errno::EINVAL,
        CrossesDevices => Errno::EXDEV,
        _ => match e.raw_os_error() {
            Some(40) => Errno::ELOOP,
            Some(36) => Errno::ENAMETOOLONG,
            Some(16) => Errno::EBUSY,
            Some(1) => Errno::EPERM,
            _ => Errno::EINVAL,
        },
    }
}

impl HostFs {
    pub fn new(root: impl Into<PathBuf>) -> HostFs {
        HostFs { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn io<T>(path: &str, r: std::io::Result<T>) -> FsResult<T> {
        r.map_err(|e| FsError::new(errno_of(&e), path))
    }

    /// The host path for `path`, resolving symlinks inside the root.
    fn host_path(&self, path: &str, follow: bool) -> FsResult<PathBuf> {
        let mut names: Vec<String> = Vec::new();
        let mut todo: Vec<String> = components(path).into_iter().rev().map(str::to_string).collect();
        let mut hops = 0;
        while let Some(name) = todo.pop() {
            if name == ".." {
                names.pop();
                continue;
            }
            let candidate = self.root.join(names.join("/")).join(&name);
            let is_link = fs::symlink_metadata(&candidate).map(|m| m.file_type().is_symlink()).unwrap_or(false);
            if is_link && (!todo.is_empty() || follow) {
                hops += 1;
                if hops > MAX_SYMLINKS {
                    return Err(FsError::new(Errno::ELOOP, path));
                }
                let target = Self::io(path, fs::read_link(&candidate))?;
                let target = target.to_string_lossy().into_owned();
                if target.starts_with('/') {
                    names.clear();
                }
                todo.extend(components(&target).into_iter().rev().map(str::to_string));
                continue;
            }
            names.push(name);
        }
        Ok(self.root.join(names.join("/")))
    }

    fn parent_path(&self, path: &str) -> FsResult<PathBuf> {
        let Some((parent, name)) = split_parent(path) else { return Err(FsError::new(Errno::EEXIST, path)) };
        Ok(self.host_path(&parent, true)?.join(name))
    }

    fn meta(path: &str, m: &fs::Metadata) -> Metadata {
        let ft = m.file_type();
        let kind = if ft.is_dir() {
            FileType::Dir
        } else if ft.is_symlink() {
            FileType::Symlink
        } else if ft.is_file() {
            FileType::File
        } else {
            use std::os::unix::fs::FileTypeExt;
            if ft.is_char_device() {
                FileType::CharDevice
            } else if ft.is_block_device() {
                FileType::BlockDevice
            } else if ft.is_fifo() {
                FileType::Fifo
            } else {
                FileType::Socket
            }
        };
        let _ = path;
        Metadata {
            kind,
            mode: m.mode() & 0o7777,
            uid: m.uid(),
            gid: m.gid(),
            size: m.size(),
            mtime: m.mtime(),
            nlink: m.nlink() as u32,
            ino: m.ino(),
            rdev: m.rdev(),
        }
    }
}

impl FileSystem for HostFs {
    fn stat(&self, path: &str) -> FsResult<Metadata> {
        let p = self.host_path(path, true)?;
        Self::io(path, fs::metadata(&p)).map(|m| Self::meta(path, &m))
    }

    fn lstat(&self, path: &str) -> FsResult<Metadata> {
        let p = self.host_path(path, false)?;
        Self::io(path, fs::symlink_metadata(&p)).map(|m| Self::meta(path, &m))
    }

    fn read_dir(&self, path: &str) -> FsResult<Vec<DirEntry>> {
        let p = self.host_path(path, true)?;
        let mut out = Vec::new();
        for entry in Self::io(path, fs::read_dir(&p))? {
            let entry = Self::io(path, entry)?;
            let meta = Self::io(path, entry.metadata())?;
            out.push(DirEntry { name: entry.file_name().to_string_lossy().into_owned(), kind: Self::meta(path, &meta).kind });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    fn read_link(&self, path: &str) -> FsResult<String> {
        let p = self.host_path(path, false)?;
        Self::io(path, fs::read_link(&p)).map(|t| t.to_string_lossy().into_owned())
    }

    fn content(&self, path: &str) -> FsResult<Content> {
        let p = self.host_path(path, true)?;
        if p.is_dir() {
            return Err(FsError::new(Errno::EISDIR, path));
        }
        Self::io(path, fs::read(&p)).map(Content::data)
    }

    fn read_range(&self, path: &str, offset: u64, len: usize) -> FsResult<Vec<u8>> {
        let p = self.host_path(path, true)?;
        let mut f = Self::io(path, fs::File::open(&p))?;
        Self::io(path, f.seek(SeekFrom::Start(offset)))?;
        let mut buf = Vec::with_capacity(len.min(1 << 20));
        Self::io(path, f.take(len as u64).read_to_end(&mut buf))?;
        Ok(buf)
    }

    fn put_file(&mut self, path: &str, content: Content, attrs: Attrs) -> FsResult<()> {
        let p = match self.host_path(path, true) {
            Ok(p) => p,
            Err(_) => self.parent_path(path)?,
        };
        Self::io(path, fs::write(&p, content.to_vec()))?;
        Self::io(path, fs::set_permissions(&p, fs::Permissions::from_mode(attrs.mode)))
    }

    fn write_at(&mut self, path: &str, offset: u64, data: &[u8]) -> FsResult<()> {
        let p = self.host_path(path, true)?;
        let mut f = Self::io(path, fs::OpenOptions::new().write(true).create(true).truncate(false).open(&p))?;
        Self::io(path, f.seek(SeekFrom::Start(offset)))?;
        Self::io(path, f.write_all(data))
    }

    fn set_len(&mut self, path: &str, len: u64) -> FsResult<()> {
        let p = self.host_path(path, true)?;
        let f = Self::io(path, fs::OpenOptions::new().write(true).open(&p))?;
        Self::io(path, f.set_len(len))
    }

    fn create_dir(&mut self, path: &str, mode: u32) -> FsResult<()> {
        let p = self.parent_path(path)?;
        Self::io(path, fs::create_dir(&p))?;
        Self::io(path, fs::set_permissions(&p, fs::Permissions::from_mode(mode)))
    }

    fn remove_file(&mut self, path: &str) -> FsResult<()> {
        let p = self.parent_path(path)?;
        Self::io(path, fs::remove_file(&p))
    }

    fn remove_dir(&mut self, path: &str) -> FsResult<()> {
        let p = self.parent_path(path)?;
        Self::io(path, fs::remove_dir(&p))
    }

    fn rename(&mut self, from: &str, to: &str) -> FsResult<()> {
        let a = self.parent_path(from)?;
        let b = self.parent_path(to)?;
        Self::io(from, fs::rename(&a, &b))
    }

    fn symlink(&mut self, target: &str, link: &str) -> FsResult<()> {
        let p = self.parent_path(link)?;
        Self::io(link, symlink(target, &p))
    }

    fn hard_link(&mut self, existing: &str, new: &str) -> FsResult<()> {
        let a = self.host_path(existing, false)?;
        let b = self.parent_path(new)?;
        Self::io(new, fs::hard_link(&a, &b))
    }

    fn mknod(&mut self, path: &str, _kind: FileType, _attrs: Attrs, _rdev: u64) -> FsResult<()> {
        // Creating device nodes on the host needs privileges a bind mount must not use.
        Err(FsError::new(Errno::EPERM, path))
    }

    fn set_mode(&mut self, path: &str, mode: u32) -> FsResult<()> {
        let p = self.host_path(path, true)?;
        Self::io(path, fs::set_permissions(&p, fs::Permissions::from_mode(mode)))
    }

    fn set_owner(&mut self, path: &str, uid: u32, gid: u32) -> FsResult<()> {
        let p = self.host_path(path, false)?;
        Self::io(path, std::os::unix::fs::lchown(&p, Some(uid), Some(gid)))
    }

    fn set_mtime(&mut self, path: &str, mtime: i64) -> FsResult<()> {
        let p = self.host_path(path, false)?;
        let f = Self::io(path, fs::File::options().write(true).open(&p).or_else(|_| fs::File::open(&p)))?;
        let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(mtime.max(0) as u64);
        Self::io(path, f.set_modified(time))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_and_writes_the_real_folder_without_escaping() {
        let dir = std::env::temp_dir().join(format!("berth-hostfs-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("app")).unwrap();
        let mut host = HostFs::new(&dir);
        host.write("/app/train.py", b"print(1)\n").unwrap();
        assert_eq!(fs::read(dir.join("app/train.py")).unwrap(), b"print(1)\n");
        host.symlink("/../../../etc", "/app/etc").unwrap();
        // The absolute link resolves inside the folder, where there is no etc.
        assert_eq!(host.stat("/app/etc/passwd").unwrap_err().errno, Errno::ENOENT);
        assert_eq!(host.read("/../../app/train.py").unwrap(), b"print(1)\n");
        assert_eq!(host.read_dir("/app").unwrap().len(), 2);
        fs::remove_dir_all(&dir).unwrap();
    }
}
