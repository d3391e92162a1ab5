//! An in-memory filesystem: an inode table with directories, files (shared or lazy
//! content), symlinks, hard links and device nodes.

use std::collections::{BTreeMap, HashMap};

use super::{components, split_parent, Attrs, Content, DirEntry, Errno, FileSystem, FileType, FsError, FsResult, Metadata, Quota};

/// Symlinks followed while resolving one path before `ELOOP`, as Linux.
const MAX_SYMLINKS: usize = 40;
const MAX_NAME: usize = 255;

#[derive(Debug, Clone)]
pub(crate) enum Data {
    File(Content),
    Dir(BTreeMap<String, u64>),
    Symlink(String),
    Special { kind: FileType, rdev: u64 },
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) attrs: Attrs,
    pub(crate) nlink: u32,
    pub(crate) data: Data,
}

impl Node {
    fn kind(&self) -> FileType {
        match &self.data {
            Data::File(_) => FileType::File,
            Data::Dir(_) => FileType::Dir,
            Data::Symlink(_) => FileType::Symlink,
            Data::Special { kind, .. } => *kind,
        }
    }
}

/// A filesystem held in memory. Cloning is cheap for file contents (they are shared).
#[derive(Debug, Clone)]
pub struct MemoryFs {
    nodes: HashMap<u64, Node>,
    next_ino: u64,
    quota: Quota,
}

impl Default for MemoryFs {
    fn default() -> MemoryFs {
        MemoryFs::new()
    }
}

const ROOT: u64 = 1;

impl MemoryFs {
    /// An empty filesystem: a root directory owned by root, mode 0755.
    pub fn new() -> MemoryFs {
        MemoryFs::with_quota(Quota::unlimited())
    }

    /// An empty filesystem whose stored bytes count against `quota`.
    pub fn with_quota(quota: Quota) -> MemoryFs {
        let mut nodes = HashMap::new();
        nodes.insert(ROOT, Node { attrs: Attrs::mode(0o755), nlink: 2, data: Data::Dir(BTreeMap::new()) });
        MemoryFs { nodes, next_ino: ROOT + 1, quota }
    }

    pub fn quota(&self) -> &Quota {
        &self.quota
    }

    /// Bytes of file content held (lazy files count zero), each inode once.
    pub fn stored_bytes(&self) -> u64 {
        self.nodes.values().map(|n| if let Data::File(c) = &n.data { c.stored_bytes() } else { 0 }).sum()
    }

    /// The sum of file sizes as `du` would count them (lazy files at their declared size).
    pub fn apparent_bytes(&self) -> u64 {
        self.nodes.values().map(|n| if let Data::File(c) = &n.data { c.len() } else { 0 }).sum()
    }

    pub(crate) fn root_ino(&self) -> u64 {
        ROOT
    }

    pub(crate) fn node(&self, ino: u64) -> Option<&Node> {
        self.nodes.get(&ino)
    }

    pub(crate) fn child(&self, dir: u64, name: &str) -> Option<u64> {
        match &self.nodes.get(&dir)?.data {
            Data::Dir(entries) => entries.get(name).copied(),
            _ => None,
        }
    }

    pub(crate) fn meta_of(&self, ino: u64) -> Option<Metadata> {
        let node = self.nodes.get(&ino)?;
        let (size, rdev) = match &node.data {
            Data::File(c) => (c.len(), 0),
            Data::Dir(e) => (4096.max(e.len() as u64), 0),
            Data::Symlink(t) => (t.len() as u64, 0),
            Data::Special { rdev, .. } => (0, *rdev),
        };
        Some(Metadata {
            kind: node.kind(),
            mode: node.attrs.mode & 0o7777,
            uid: node.attrs.uid,
            gid: node.attrs.gid,
            size,
            mtime: node.attrs.mtime,
            nlink: node.nlink,
            ino,
            rdev,
        })
    }

    fn err<T>(errno: Errno, path: &str) -> FsResult<T> {
        Err(FsError::new(errno, path))
    }

    /// Resolves `path` to an inode. Symlinks in the middle are always followed, the last
    /// one only when `follow` is set. `..` never goes above the root.
    pub(crate) fn resolve(&self, path: &str, follow: bool) -> FsResult<u64> {
        let mut stack: Vec<u64> = vec![ROOT];
        let mut todo: Vec<String> = components(path).into_iter().rev().map(str::to_string).collect();
        let mut hops = 0;
        while let Some(name) = todo.pop() {
            if name == ".." {
                if stack.len() > 1 {
                    stack.pop();
                }
                continue;
            }
            if name.len() > MAX_NAME {
                return Self::err(Errno::ENAMETOOLONG, path);
            }
            let cur = *stack.last().unwrap_or(&ROOT);
            let entries = match self.nodes.get(&cur).map(|n| &n.data) {
                Some(Data::Dir(e)) => e,
                _ => return Self::err(Errno::ENOTDIR, path),
            };
            let Some(&child) = entries.get(&name) else { return Self::err(Errno::ENOENT, path) };
            if let Some(Data::Symlink(target)) = self.nodes.get(&child).map(|n| &n.data) {
                if !todo.is_empty() || follow {
                    hops += 1;
                    if hops > MAX_SYMLINKS {
                        return Self::err(Errno::ELOOP, path);
                    }
                    if target.starts_with('/') {
                        stack.truncate(1);
                    }
                    todo.extend(components(target).into_iter().rev().map(str::to_string));
                    continue;
                }
            }
            stack.push(child);
        }
        Ok(*stack.last().unwrap_or(&ROOT))
    }

    /// Whether a directory leading to `path` (not `path` itself) is a symlink, found in one
    /// walk from the root (layer unpacking refuses writes through such links).
    pub fn parent_is_symlink(&self, path: &str) -> bool {
        let comps = components(path);
        let mut cur = ROOT;
        for name in &comps[..comps.len().saturating_sub(1)] {
            let Some(Data::Dir(entries)) = self.nodes.get(&cur).map(|n| &n.data) else { return false };
            let Some(&child) = entries.get(*name) else { return false };
            if matches!(self.nodes.get(&child).map(|n| &n.data), Some(Data::Symlink(_))) {
                return true;
            }
            cur = child;
        }
        false
    }

    /// The directory that would hold `path` and the entry name in it.
    fn resolve_parent(&self, path: &str) -> FsResult<(u64, String)> {
        let Some((parent, name)) = split_parent(path) else { return Self::err(Errno::EEXIST, path) };
        if name == ".." {
            return Self::err(Errno::EINVAL, path);
        }
        if name.len() > MAX_NAME {
            return Self::err(Errno::ENAMETOOLONG, path);
        }
        let dir = self.resolve(&parent, true)?;
        match self.nodes.get(&dir).map(|n| &n.data) {
            Some(Data::Dir(_)) => Ok((dir, name)),
            _ => Self::err(Errno::ENOTDIR, path),
        }
    }

    fn entries_mut(&mut self, dir: u64) -> &mut BTreeMap<String, u64> {
        match self.nodes.get_mut(&dir).map(|n| &mut n.data) {
            Some(Data::Dir(e)) => e,
            // resolve_parent only returns directories.
            _ => unreachable!("not a directory"),
        }
    }

    fn alloc(&mut self, node: Node) -> u64 {
        let ino = self.next_ino;
        self.next_ino += 1;
        self.nodes.insert(ino, node);
        ino
    }

    /// Adds a new entry `name` in `dir`; fails if it exists.
    fn insert_new(&mut self, path: &str, node: Node) -> FsResult<u64> {
        let (dir, name) = self.resolve_parent(path)?;
        if self.child(dir, &name).is_some() {
            return Self::err(Errno::EEXIST, path);
        }
        let is_dir = matches!(node.data, Data::Dir(_));
        let ino = self.alloc(node);
        self.entries_mut(dir).insert(name, ino);
        if is_dir {
            if let Some(n) = self.nodes.get_mut(&dir) {
                n.nlink += 1;
            }
        }
        Ok(ino)
    }

    /// Drops one link to `ino`, freeing it (and its quota) when none remain.
    fn unlink_ino(&mut self, ino: u64) {
        let Some(node) = self.nodes.get_mut(&ino) else { return };
        node.nlink = node.nlink.saturating_sub(1);
        let gone = node.nlink == 0 || matches!(node.data, Data::Dir(_));
        if gone {
            if let Some(Node { data: Data::File(c), .. }) = self.nodes.remove(&ino) {
                self.quota.release(c.stored_bytes());
            }
        }
    }

    fn set_content(&mut self, ino: u64, path: &str, content: Content) -> FsResult<()> {
        let old = match self.nodes.get(&ino).map(|n| &n.data) {
            Some(Data::File(c)) => c.stored_bytes(),
            Some(Data::Dir(_)) => return Self::err(Errno::EISDIR, path),
            _ => return Self::err(Errno::EINVAL, path),
        };
        let new = content.stored_bytes();
        if new > old && !self.quota.charge(new - old) {
            return Self::err(Errno::ENOSPC, path);
        }
        if old > new {
            self.quota.release(old - new);
        }
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.data = Data::File(content);
        }
        Ok(())
    }

    fn attrs_mut(&mut self, path: &str, follow: bool) -> FsResult<&mut Attrs> {
        let ino = self.resolve(path, follow)?;
        Ok(&mut self.nodes.get_mut(&ino).ok_or_else(|| FsError::new(Errno::ENOENT, path))?.attrs)
    }
}

impl FileSystem for MemoryFs {
    fn stat(&self, path: &str) -> FsResult<Metadata> {
        let ino = self.resolve(path, true)?;
        self.meta_of(ino).ok_or_else(|| FsError::new(Errno::ENOENT, path))
    }

    fn lstat(&self, path: &str) -> FsResult<Metadata> {
        let ino = self.resolve(path, false)?;
        self.meta_of(ino).ok_or_else(|| FsError::new(Errno::ENOENT, path))
    }

    fn read_dir(&self, path: &str) -> FsResult<Vec<DirEntry>> {
        let ino = self.resolve(path, true)?;
        match self.nodes.get(&ino).map(|n| &n.data) {
            Some(Data::Dir(entries)) => Ok(entries
                .iter()
                .filter_map(|(name, child)| Some(DirEntry { name: name.clone(), kind: self.nodes.get(child)?.kind() }))
                .collect()),
            _ => Self::err(Errno::ENOTDIR, path),
        }
    }

    fn read_link(&self, path: &str) -> FsResult<String> {
        let ino = self.resolve(path, false)?;
        match self.nodes.get(&ino).map(|n| &n.data) {
            Some(Data::Symlink(t)) => Ok(t.clone()),
            _ => Self::err(Errno::EINVAL, path),
        }
    }

    fn content(&self, path: &str) -> FsResult<Content> {
        let ino = self.resolve(path, true)?;
        match self.nodes.get(&ino).map(|n| &n.data) {
            Some(Data::File(c)) => Ok(c.clone()),
            Some(Data::Dir(_)) => Self::err(Errno::EISDIR, path),
            _ => Self::err(Errno::EINVAL, path),
        }
    }

    fn put_file(&mut self, path: &str, content: Content, attrs: Attrs) -> FsResult<()> {
        match self.resolve(path, true) {
            Ok(ino) => {
                self.set_content(ino, path, content)?;
                if let Some(n) = self.nodes.get_mut(&ino) {
                    n.attrs = attrs;
                }
                Ok(())
            }
            Err(e) if e.errno == Errno::ENOENT => {
                // A dangling symlink: create its target, as open(O_CREAT) does.
                if let Ok(target) = self.read_link(path) {
                    let (dir, _) = self.resolve_parent(path)?;
                    let base = self.path_of(dir).unwrap_or_else(|| "/".into());
                    return self.put_file(&super::join(&base, &target), content, attrs);
                }
                if !self.quota.charge(content.stored_bytes()) {
                    return Self::err(Errno::ENOSPC, path);
                }
                let stored = content.stored_bytes();
                self.insert_new(path, Node { attrs, nlink: 1, data: Data::File(content) }).inspect_err(|_| self.quota.release(stored))?;
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    fn write_at(&mut self, path: &str, offset: u64, data: &[u8]) -> FsResult<()> {
        let ino = match self.resolve(path, true) {
            Ok(ino) => ino,
            Err(e) if e.errno == Errno::ENOENT => {
                self.put_file(path, Content::data(Vec::new()), Attrs::mode(0o644))?;
                self.resolve(path, true)?
            }
            Err(e) => return Err(e),
        };
        let current = match self.nodes.get(&ino).map(|n| &n.data) {
            Some(Data::File(c)) => c.clone(),
            Some(Data::Dir(_)) => return Self::err(Errno::EISDIR, path),
            _ => return Self::err(Errno::EINVAL, path),
        };
        let mut bytes = current.to_vec();
        let end = offset as usize + data.len();
        if bytes.len() < end {
            bytes.resize(end, 0);
        }
        bytes[offset as usize..end].copy_from_slice(data);
        self.set_content(ino, path, Content::data(bytes))
    }

    fn set_len(&mut self, path: &str, len: u64) -> FsResult<()> {
        let ino = self.resolve(path, true)?;
        let current = match self.nodes.get(&ino).map(|n| &n.data) {
            Some(Data::File(c)) => c.clone(),
            Some(Data::Dir(_)) => return Self::err(Errno::EISDIR, path),
            _ => return Self::err(Errno::EINVAL, path),
        };
        let mut bytes = current.read_range(0, len as usize);
        bytes.resize(len as usize, 0);
        self.set_content(ino, path, Content::data(bytes))
    }

    fn create_dir(&mut self, path: &str, mode: u32) -> FsResult<()> {
        self.insert_new(path, Node { attrs: Attrs::mode(mode), nlink: 2, data: Data::Dir(BTreeMap::new()) }).map(|_| ())
    }

    fn remove_file(&mut self, path: &str) -> FsResult<()> {
        let (dir, name) = self.resolve_parent(path)?;
        let Some(ino) = self.child(dir, &name) else { return Self::err(Errno::ENOENT, path) };
        if matches!(self.nodes.get(&ino).map(|n| &n.data), Some(Data::Dir(_))) {
            return Self::err(Errno::EISDIR, path);
        }
        self.entries_mut(dir).remove(&name);
        self.unlink_ino(ino);
        Ok(())
    }

    fn remove_dir(&mut self, path: &str) -> FsResult<()> {
        let (dir, name) = self.resolve_parent(path)?;
        let Some(ino) = self.child(dir, &name) else { return Self::err(Errno::ENOENT, path) };
        match self.nodes.get(&ino).map(|n| &n.data) {
            Some(Data::Dir(e)) if !e.is_empty() => return Self::err(Errno::ENOTEMPTY, path),
            Some(Data::Dir(_)) => {}
            _ => return Self::err(Errno::ENOTDIR, path),
        }
        self.entries_mut(dir).remove(&name);
        self.nodes.remove(&ino);
        if let Some(n) = self.nodes.get_mut(&dir) {
            n.nlink = n.nlink.saturating_sub(1);
        }
        Ok(())
    }

    fn rename(&mut self, from: &str, to: &str) -> FsResult<()> {
        let (src_dir, src_name) = self.resolve_parent(from)?;
        let Some(ino) = self.child(src_dir, &src_name) else { return Self::err(Errno::ENOENT, from) };
        let (dst_dir, dst_name) = self.resolve_parent(to)?;
        let src_is_dir = matches!(self.nodes.get(&ino).map(|n| &n.data), Some(Data::Dir(_)));
        if src_is_dir {
            // A directory cannot move inside itself.
            let mut cur = Some(dst_dir);
            while let Some(c) = cur {
                if c == ino {
                    return Self::err(Errno::EINVAL, to);
                }
                cur = self.parent_of(c);
            }
        }
        if let Some(existing) = self.child(dst_dir, &dst_name) {
            if existing == ino {
                return Ok(());
            }
            let dst_is_dir = matches!(self.nodes.get(&existing).map(|n| &n.data), Some(Data::Dir(_)));
            match (src_is_dir, dst_is_dir) {
                (true, false) => return Self::err(Errno::ENOTDIR, to),
                (false, true) => return Self::err(Errno::EISDIR, to),
                (true, true) => self.remove_dir(to)?,
                (false, false) => self.remove_file(to)?,
            }
        }
        self.entries_mut(src_dir).remove(&src_name);
        self.entries_mut(dst_dir).insert(dst_name, ino);
        if src_is_dir && src_dir != dst_dir {
            if let Some(n) = self.nodes.get_mut(&src_dir) {
                n.nlink = n.nlink.saturating_sub(1);
            }
            if let Some(n) = self.nodes.get_mut(&dst_dir) {
                n.nlink += 1;
            }
        }
        Ok(())
    }

    fn symlink(&mut self, target: &str, link: &str) -> FsResult<()> {
        self.insert_new(link, Node { attrs: Attrs::mode(0o777), nlink: 1, data: Data::Symlink(target.to_string()) }).map(|_| ())
    }

    fn hard_link(&mut self, existing: &str, new: &str) -> FsResult<()> {
        let ino = self.resolve(existing, false)?;
        if matches!(self.nodes.get(&ino).map(|n| &n.data), Some(Data::Dir(_))) {
            return Self::err(Errno::EPERM, existing);
        }
        let (dir, name) = self.resolve_parent(new)?;
        if self.child(dir, &name).is_some() {
            return Self::err(Errno::EEXIST, new);
        }
        self.entries_mut(dir).insert(name, ino);
        if let Some(n) = self.nodes.get_mut(&ino) {
            n.nlink += 1;
        }
        Ok(())
    }

    fn mknod(&mut self, path: &str, kind: FileType, attrs: Attrs, rdev: u64) -> FsResult<()> {
        if matches!(kind, FileType::File | FileType::Dir | FileType::Symlink) {
            return Self::err(Errno::EINVAL, path);
        }
        self.insert_new(path, Node { attrs, nlink: 1, data: Data::Special { kind, rdev } }).map(|_| ())
    }

    fn set_mode(&mut self, path: &str, mode: u32) -> FsResult<()> {
        self.attrs_mut(path, true)?.mode = mode & 0o7777;
        Ok(())
    }

    fn set_owner(&mut self, path: &str, uid: u32, gid: u32) -> FsResult<()> {
        let attrs = self.attrs_mut(path, false)?;
        attrs.uid = uid;
        attrs.gid = gid;
        Ok(())
    }

    fn set_mtime(&mut self, path: &str, mtime: i64) -> FsResult<()> {
        self.attrs_mut(path, false)?.mtime = mtime;
        Ok(())
    }
}

impl MemoryFs {
    fn parent_of(&self, ino: u64) -> Option<u64> {
        if ino == ROOT {
            return None;
        }
        self.nodes.iter().find_map(|(p, n)| match &n.data {
            Data::Dir(e) if e.values().any(|c| *c == ino) => Some(*p),
            _ => None,
        })
    }

    /// The path of a directory inode (directories have one parent).
    fn path_of(&self, ino: u64) -> Option<String> {
        let mut names = Vec::new();
        let mut cur = ino;
        while cur != ROOT {
            let parent = self.parent_of(cur)?;
            let Data::Dir(e) = &self.nodes.get(&parent)?.data else { return None };
            names.push(e.iter().find(|(_, c)| **c == cur)?.0.clone());
            cur = parent;
        }
        names.reverse();
        Some(format!("/{}", names.join("/")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fs() -> MemoryFs {
        let mut fs = MemoryFs::new();
        fs.create_dir_all("/usr/bin", 0o755).unwrap();
        fs.write("/usr/bin/python3.11", b"#!python").unwrap();
        fs.symlink("python3.11", "/usr/bin/python3").unwrap();
        fs.symlink("/usr/bin", "/bin").unwrap();
        fs
    }

    #[test]
    fn symlinks_resolve_inside_the_root() {
        let mut fs = fs();
        assert_eq!(fs.read("/bin/python3").unwrap(), b"#!python");
        assert_eq!(fs.lstat("/bin").unwrap().kind, FileType::Symlink);
        fs.symlink("../../../../usr/bin/python3", "/usr/escape").unwrap();
        assert_eq!(fs.read("/usr/escape").unwrap(), b"#!python");
        fs.symlink("/loop2", "/loop1").unwrap();
        fs.symlink("/loop1", "/loop2").unwrap();
        assert_eq!(fs.stat("/loop1").unwrap_err().errno, Errno::ELOOP);
        assert_eq!(fs.read("/usr/bin/python3.11/x").unwrap_err().errno, Errno::ENOTDIR);
        assert_eq!(fs.read("/nope").unwrap_err().to_string(), "/nope: No such file or directory");
    }

    #[test]
    fn hard_links_share_content_and_count() {
        let mut fs = fs();
        fs.hard_link("/usr/bin/python3.11", "/usr/bin/py").unwrap();
        assert_eq!(fs.stat("/usr/bin/py").unwrap().nlink, 2);
        fs.write("/usr/bin/py", b"new").unwrap();
        assert_eq!(fs.read("/usr/bin/python3.11").unwrap(), b"new");
        fs.remove_file("/usr/bin/python3.11").unwrap();
        assert_eq!(fs.stat("/usr/bin/py").unwrap().nlink, 1);
    }

    #[test]
    fn errors_and_rename() {
        let mut fs = fs();
        assert_eq!(fs.create_dir("/usr", 0o755).unwrap_err().errno, Errno::EEXIST);
        assert_eq!(fs.remove_dir("/usr").unwrap_err().errno, Errno::ENOTEMPTY);
        assert_eq!(fs.remove_file("/usr").unwrap_err().errno, Errno::EISDIR);
        assert_eq!(fs.rename("/usr", "/usr/bin/x").unwrap_err().errno, Errno::EINVAL);
        fs.rename("/usr/bin/python3.11", "/py").unwrap();
        assert!(!fs.exists("/usr/bin/python3.11"));
        assert_eq!(fs.read("/py").unwrap(), b"#!python");
        fs.mknod("/null", FileType::CharDevice, Attrs::mode(0o666), (1 << 8) | 3).unwrap();
        assert_eq!(fs.lstat("/null").unwrap().rdev, 259);
    }

    #[test]
    fn lazy_files_cost_nothing_until_written_and_quota_gives_enospc() {
        let quota = Quota::new(1000);
        let mut fs = MemoryFs::with_quota(quota.clone());
        fs.put_file("/big.so", Content::lazy(40_000_000, "libbig.so"), Attrs::mode(0o644)).unwrap();
        assert_eq!(fs.stat("/big.so").unwrap().size, 40_000_000);
        assert_eq!(quota.used(), 0);
        assert!(String::from_utf8(fs.read_range("/big.so", 0, 60).unwrap()).unwrap().starts_with("[berth: modelled content of libbig.so"));
        fs.write("/a", &[1; 600]).unwrap();
        assert_eq!(fs.write("/b", &[1; 600]).unwrap_err().errno, Errno::ENOSPC);
        assert!(!fs.exists("/b"));
        fs.remove_file("/a").unwrap();
        assert_eq!(quota.used(), 0);
        fs.write("/b", &[1; 600]).unwrap();
    }
}
