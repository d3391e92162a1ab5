//! An overlay of read-only layers under one writable upper layer, the way a container's
//! root filesystem stacks its image layers. Deletions are recorded in the upper layer as
//! OCI whiteouts (`.wh.<name>`), and a directory re-created over a deleted one is marked
//! opaque (`.wh..wh..opq`), so the upper layer *is* the container's diff, ready to become
//! an image layer.

use std::sync::Arc;

use super::memory::{Data, MemoryFs};
use super::{components, join, split_parent, Attrs, Content, DirEntry, Errno, FileSystem, FileType, FsError, FsResult, Metadata};

pub const WHITEOUT_PREFIX: &str = ".wh.";
pub const OPAQUE_MARKER: &str = ".wh..wh..opq";
const MAX_SYMLINKS: usize = 40;

/// Layers top-most first: the writable upper layer, then the read-only lower layers.
#[derive(Debug, Clone)]
pub struct OverlayFs {
    upper: MemoryFs,
    lowers: Vec<Arc<MemoryFs>>,
}

/// The directories, one per layer, that merge into one directory of the overlay.
type DirStack = Vec<(usize, u64)>;

enum Found {
    /// A non-directory in layer `.0` with inode `.1`.
    Leaf(usize, u64),
    Dir(DirStack),
}

impl OverlayFs {
    /// `lowers` are ordered bottom (base image) to top, as image layers are listed.
    pub fn new(lowers_bottom_up: Vec<Arc<MemoryFs>>, upper: MemoryFs) -> OverlayFs {
        let mut lowers = lowers_bottom_up;
        lowers.reverse();
        OverlayFs { upper, lowers }
    }

    /// The writable layer: what changed, with whiteouts for what was deleted.
    pub fn upper(&self) -> &MemoryFs {
        &self.upper
    }

    pub fn into_upper(self) -> MemoryFs {
        self.upper
    }

    fn layer(&self, i: usize) -> &MemoryFs {
        if i == 0 {
            &self.upper
        } else {
            &self.lowers[i - 1]
        }
    }

    fn layer_count(&self) -> usize {
        self.lowers.len() + 1
    }

    fn root_stack(&self) -> DirStack {
        let mut stack = Vec::new();
        for i in 0..self.layer_count() {
            let l = self.layer(i);
            stack.push((i, l.root_ino()));
            if l.child(l.root_ino(), OPAQUE_MARKER).is_some() {
                break;
            }
        }
        stack
    }

    fn is_dir(&self, layer: usize, ino: u64) -> bool {
        matches!(self.layer(layer).node(ino).map(|n| &n.data), Some(Data::Dir(_)))
    }

    /// Looks `name` up in a merged directory.
    fn lookup(&self, stack: &DirStack, name: &str) -> Option<Found> {
        let whiteout = format!("{WHITEOUT_PREFIX}{name}");
        for (pos, &(layer, dir)) in stack.iter().enumerate() {
            let l = self.layer(layer);
            if l.child(dir, &whiteout).is_some() {
                return None;
            }
            let Some(ino) = l.child(dir, name) else { continue };
            if !self.is_dir(layer, ino) {
                return Some(Found::Leaf(layer, ino));
            }
            let mut merged = vec![(layer, ino)];
            if l.child(ino, OPAQUE_MARKER).is_none() {
                for &(lower, lower_dir) in &stack[pos + 1..] {
                    let ll = self.layer(lower);
                    if ll.child(lower_dir, &whiteout).is_some() {
                        break;
                    }
                    match ll.child(lower_dir, name) {
                        Some(c) if self.is_dir(lower, c) => {
                            merged.push((lower, c));
                            if ll.child(c, OPAQUE_MARKER).is_some() {
                                break;
                            }
                        }
                        Some(_) => break,
                        None => {}
                    }
                }
            }
            return Some(Found::Dir(merged));
        }
        None
    }

    /// Resolves `path` in the merged view to its canonical (symlink-free) path and entry.
    fn resolve(&self, path: &str, follow: bool) -> FsResult<(String, Found)> {
        let mut names: Vec<String> = Vec::new();
        let mut stacks: Vec<DirStack> = vec![self.root_stack()];
        let mut leaf: Option<Found> = None;
        let mut todo: Vec<String> = components(path).into_iter().rev().map(str::to_string).collect();
        let mut hops = 0;
        while let Some(name) = todo.pop() {
            if leaf.is_some() {
                return Err(FsError::new(Errno::ENOTDIR, path));
            }
            if name == ".." {
                if !names.is_empty() {
                    names.pop();
                    stacks.pop();
                }
                continue;
            }
            if name.starts_with(WHITEOUT_PREFIX) {
                return Err(FsError::new(Errno::ENOENT, path));
            }
            let stack = stacks.last().cloned().unwrap_or_default();
            match self.lookup(&stack, &name) {
                None => return Err(FsError::new(Errno::ENOENT, path)),
                Some(Found::Dir(s)) => {
                    names.push(name);
                    stacks.push(s);
                }
                Some(Found::Leaf(layer, ino)) => {
                    let target = match self.layer(layer).node(ino).map(|n| &n.data) {
                        Some(Data::Symlink(t)) if !todo.is_empty() || follow => Some(t.clone()),
                        _ => None,
                    };
                    if let Some(target) = target {
                        hops += 1;
                        if hops > MAX_SYMLINKS {
                            return Err(FsError::new(Errno::ELOOP, path));
                        }
                        if target.starts_with('/') {
                            names.clear();
                            stacks.truncate(1);
                        }
                        todo.extend(components(&target).into_iter().rev().map(str::to_string));
                        continue;
                    }
                    names.push(name);
                    leaf = Some(Found::Leaf(layer, ino));
                }
            }
        }
        let canonical = format!("/{}", names.join("/"));
        Ok((canonical, leaf.unwrap_or_else(|| Found::Dir(stacks.pop().unwrap_or_default()))))
    }

    fn meta(&self, found: &Found) -> Option<Metadata> {
        match found {
            Found::Leaf(layer, ino) => self.layer(*layer).meta_of(*ino),
            Found::Dir(stack) => {
                let (layer, ino) = *stack.first()?;
                self.layer(layer).meta_of(ino)
            }
        }
    }

    /// The directory that would hold `path` (resolved, copied up) and the entry name.
    fn upper_parent(&mut self, path: &str) -> FsResult<(String, String)> {
        let Some((parent, name)) = split_parent(path) else { return Err(FsError::new(Errno::EEXIST, path)) };
        if name.starts_with(WHITEOUT_PREFIX) {
            return Err(FsError::new(Errno::EPERM, path));
        }
        let (canonical, found) = self.resolve(&parent, true)?;
        if !matches!(found, Found::Dir(_)) {
            return Err(FsError::new(Errno::ENOTDIR, path));
        }
        self.copy_up_dirs(&canonical)?;
        Ok((canonical, name))
    }

    /// Makes every directory of the canonical path `dir` exist in the upper layer.
    fn copy_up_dirs(&mut self, dir: &str) -> FsResult<()> {
        let mut current = String::new();
        for c in components(dir) {
            current.push('/');
            current.push_str(c);
            if self.upper.lstat(&current).is_ok_and(|m| m.is_dir()) {
                continue;
            }
            let (_, found) = self.resolve(&current, false)?;
            let meta = self.meta(&found).ok_or_else(|| FsError::new(Errno::ENOENT, dir))?;
            self.upper.create_dir(&current, meta.mode)?;
            self.upper.set_owner(&current, meta.uid, meta.gid)?;
            self.upper.set_mtime(&current, meta.mtime)?;
        }
        Ok(())
    }

    /// Copies the entry at canonical `path` into the upper layer if it is not there yet.
    fn copy_up(&mut self, path: &str) -> FsResult<()> {
        if self.upper.lstat(path).is_ok() {
            return Ok(());
        }
        let (_, found) = self.resolve(path, false)?;
        let Some((parent, _)) = split_parent(path) else { return Ok(()) };
        self.copy_up_dirs(&parent)?;
        let meta = self.meta(&found).ok_or_else(|| FsError::new(Errno::ENOENT, path))?;
        let attrs = Attrs { mode: meta.mode, uid: meta.uid, gid: meta.gid, mtime: meta.mtime };
        match &found {
            Found::Dir(_) => {
                self.upper.create_dir(path, meta.mode)?;
                self.upper.set_owner(path, meta.uid, meta.gid)?;
                self.upper.set_mtime(path, meta.mtime)?;
            }
            Found::Leaf(layer, ino) => {
                let data = self.layer(*layer).node(*ino).map(|n| n.data.clone());
                match data {
                    Some(Data::File(c)) => self.upper.put_file(path, c, attrs)?,
                    Some(Data::Symlink(t)) => {
                        self.upper.symlink(&t, path)?;
                        self.upper.set_owner(path, meta.uid, meta.gid)?;
                    }
                    Some(Data::Special { kind, rdev }) => self.upper.mknod(path, kind, attrs, rdev)?,
                    _ => return Err(FsError::new(Errno::ENOENT, path)),
                }
            }
        }
        Ok(())
    }

    /// Whether a lower layer still shows `path` once the upper layer no longer has it.
    fn visible_below(&self, canonical: &str) -> bool {
        let probe = OverlayFs { upper: MemoryFs::new(), lowers: self.lowers.clone() };
        // Whiteouts already in the upper layer along the way still apply.
        let Some((parent, name)) = split_parent(canonical) else { return false };
        if self.upper.child_path_has_whiteout(&parent, &name) {
            return false;
        }
        probe.resolve(canonical, false).is_ok()
    }

    fn add_whiteout(&mut self, parent: &str, name: &str) -> FsResult<()> {
        let wh = join(parent, &format!("{WHITEOUT_PREFIX}{name}"));
        self.upper.put_file(&wh, Content::data(Vec::new()), Attrs::mode(0))
    }

    fn remove_whiteout(&mut self, parent: &str, name: &str) -> bool {
        let wh = join(parent, &format!("{WHITEOUT_PREFIX}{name}"));
        self.upper.remove_file(&wh).is_ok()
    }

    fn leaf_path(&self, path: &str, follow: bool) -> FsResult<String> {
        self.resolve(path, follow).map(|(p, _)| p)
    }
}

impl MemoryFs {
    /// Whether the directory `parent` of this layer holds a whiteout for `name`.
    fn child_path_has_whiteout(&self, parent: &str, name: &str) -> bool {
        self.lstat(&join(parent, &format!("{WHITEOUT_PREFIX}{name}"))).is_ok()
    }
}

impl FileSystem for OverlayFs {
    fn stat(&self, path: &str) -> FsResult<Metadata> {
        let (_, found) = self.resolve(path, true)?;
        self.meta(&found).ok_or_else(|| FsError::new(Errno::ENOENT, path))
    }

    fn lstat(&self, path: &str) -> FsResult<Metadata> {
        let (_, found) = self.resolve(path, false)?;
        self.meta(&found).ok_or_else(|| FsError::new(Errno::ENOENT, path))
    }

    fn read_dir(&self, path: &str) -> FsResult<Vec<DirEntry>> {
        let (_, found) = self.resolve(path, true)?;
        let Found::Dir(stack) = found else { return Err(FsError::new(Errno::ENOTDIR, path)) };
        let mut seen = std::collections::BTreeMap::new();
        let mut hidden = std::collections::BTreeSet::new();
        for (layer, dir) in stack {
            let l = self.layer(layer);
            let Some(Data::Dir(entries)) = l.node(dir).map(|n| &n.data) else { continue };
            let mut whiteouts = Vec::new();
            for (name, ino) in entries {
                if let Some(target) = name.strip_prefix(WHITEOUT_PREFIX) {
                    if name != OPAQUE_MARKER {
                        whiteouts.push(target.to_string());
                    }
                    continue;
                }
                if seen.contains_key(name) || hidden.contains(name) {
                    continue;
                }
                if let Some(meta) = l.meta_of(*ino) {
                    seen.insert(name.clone(), meta.kind);
                }
            }
            hidden.extend(whiteouts);
        }
        Ok(seen.into_iter().map(|(name, kind)| DirEntry { name, kind }).collect())
    }

    fn read_link(&self, path: &str) -> FsResult<String> {
        match self.resolve(path, false)? {
            (_, Found::Leaf(layer, ino)) => match self.layer(layer).node(ino).map(|n| &n.data) {
                Some(Data::Symlink(t)) => Ok(t.clone()),
                _ => Err(FsError::new(Errno::EINVAL, path)),
            },
            _ => Err(FsError::new(Errno::EINVAL, path)),
        }
    }

    fn content(&self, path: &str) -> FsResult<Content> {
        match self.resolve(path, true)? {
            (_, Found::Leaf(layer, ino)) => match self.layer(layer).node(ino).map(|n| &n.data) {
                Some(Data::File(c)) => Ok(c.clone()),
                _ => Err(FsError::new(Errno::EINVAL, path)),
            },
            _ => Err(FsError::new(Errno::EISDIR, path)),
        }
    }

    fn put_file(&mut self, path: &str, content: Content, attrs: Attrs) -> FsResult<()> {
        match self.resolve(path, true) {
            Ok((canonical, Found::Leaf(..))) => {
                self.copy_up(&canonical)?;
                self.upper.put_file(&canonical, content, attrs)
            }
            Ok((_, Found::Dir(_))) => Err(FsError::new(Errno::EISDIR, path)),
            Err(e) if e.errno == Errno::ENOENT => {
                let (parent, name) = self.upper_parent(path)?;
                if self.lstat(&join(&parent, &name)).is_ok() {
                    // A dangling symlink: create its target.
                    let target = self.read_link(&join(&parent, &name))?;
                    return self.put_file(&join(&parent, &target), content, attrs);
                }
                self.remove_whiteout(&parent, &name);
                self.upper.put_file(&join(&parent, &name), content, attrs)
            }
            Err(e) => Err(e),
        }
    }

    fn write_at(&mut self, path: &str, offset: u64, data: &[u8]) -> FsResult<()> {
        match self.resolve(path, true) {
            Ok((canonical, Found::Leaf(..))) => {
                self.copy_up(&canonical)?;
                self.upper.write_at(&canonical, offset, data)
            }
            Ok((_, Found::Dir(_))) => Err(FsError::new(Errno::EISDIR, path)),
            Err(e) if e.errno == Errno::ENOENT => {
                self.put_file(path, Content::data(Vec::new()), Attrs::mode(0o644))?;
                self.write_at(path, offset, data)
            }
            Err(e) => Err(e),
        }
    }

    fn set_len(&mut self, path: &str, len: u64) -> FsResult<()> {
        let canonical = self.leaf_path(path, true)?;
        self.copy_up(&canonical)?;
        self.upper.set_len(&canonical, len)
    }

    fn create_dir(&mut self, path: &str, mode: u32) -> FsResult<()> {
        if self.lstat(path).is_ok() {
            return Err(FsError::new(Errno::EEXIST, path));
        }
        let (parent, name) = self.upper_parent(path)?;
        let full = join(&parent, &name);
        let was_deleted = self.remove_whiteout(&parent, &name);
        self.upper.create_dir(&full, mode)?;
        if was_deleted || self.visible_below(&full) {
            // Hide whatever a lower layer had under this name.
            self.upper.put_file(&join(&full, OPAQUE_MARKER), Content::data(Vec::new()), Attrs::mode(0))?;
        }
        Ok(())
    }

    fn remove_file(&mut self, path: &str) -> FsResult<()> {
        let meta = self.lstat(path)?;
        if meta.is_dir() {
            return Err(FsError::new(Errno::EISDIR, path));
        }
        let (parent, name) = self.upper_parent(path)?;
        let full = join(&parent, &name);
        if self.upper.lstat(&full).is_ok() {
            self.upper.remove_file(&full)?;
        }
        if self.visible_below(&full) {
            self.add_whiteout(&parent, &name)?;
        }
        Ok(())
    }

    fn remove_dir(&mut self, path: &str) -> FsResult<()> {
        let meta = self.lstat(path)?;
        if !meta.is_dir() {
            return Err(FsError::new(Errno::ENOTDIR, path));
        }
        if !self.read_dir(path)?.is_empty() {
            return Err(FsError::new(Errno::ENOTEMPTY, path));
        }
        let (parent, name) = self.upper_parent(path)?;
        let full = join(&parent, &name);
        if self.upper.lstat(&full).is_ok() {
            // Only whiteouts and markers can be left in it.
            self.upper.remove_all(&full)?;
        }
        if self.visible_below(&full) {
            self.add_whiteout(&parent, &name)?;
        }
        Ok(())
    }

    fn rename(&mut self, from: &str, to: &str) -> FsResult<()> {
        let src_meta = self.lstat(from)?;
        let (src_parent, src_name) = self.upper_parent(from)?;
        let src = join(&src_parent, &src_name);
        let (dst_parent, dst_name) = self.upper_parent(to)?;
        let dst = join(&dst_parent, &dst_name);
        if src == dst {
            return Ok(());
        }
        if src_meta.is_dir() && (dst == src || dst.starts_with(&format!("{src}/"))) {
            return Err(FsError::new(Errno::EINVAL, to));
        }
        if let Ok(dst_meta) = self.lstat(&dst) {
            match (src_meta.is_dir(), dst_meta.is_dir()) {
                (true, false) => return Err(FsError::new(Errno::ENOTDIR, to)),
                (false, true) => return Err(FsError::new(Errno::EISDIR, to)),
                (true, true) => self.remove_dir(&dst)?,
                (false, false) => self.remove_file(&dst)?,
            }
        }
        // Copy the whole source into the upper layer (contents are shared, not copied),
        // move it there, and hide the original below.
        copy_up_tree(self, &src)?;
        self.remove_whiteout(&dst_parent, &dst_name);
        self.upper.rename(&src, &dst)?;
        if src_meta.is_dir() && self.visible_below(&dst) {
            self.upper.put_file(&join(&dst, OPAQUE_MARKER), Content::data(Vec::new()), Attrs::mode(0))?;
        }
        if self.visible_below(&src) {
            self.add_whiteout(&src_parent, &src_name)?;
        }
        Ok(())
    }

    fn symlink(&mut self, target: &str, link: &str) -> FsResult<()> {
        if self.lstat(link).is_ok() {
            return Err(FsError::new(Errno::EEXIST, link));
        }
        let (parent, name) = self.upper_parent(link)?;
        self.remove_whiteout(&parent, &name);
        self.upper.symlink(target, &join(&parent, &name))
    }

    fn hard_link(&mut self, existing: &str, new: &str) -> FsResult<()> {
        let source = self.leaf_path(existing, false)?;
        if self.lstat(&source)?.is_dir() {
            return Err(FsError::new(Errno::EPERM, existing));
        }
        if self.lstat(new).is_ok() {
            return Err(FsError::new(Errno::EEXIST, new));
        }
        self.copy_up(&source)?;
        let (parent, name) = self.upper_parent(new)?;
        self.remove_whiteout(&parent, &name);
        self.upper.hard_link(&source, &join(&parent, &name))
    }

    fn mknod(&mut self, path: &str, kind: FileType, attrs: Attrs, rdev: u64) -> FsResult<()> {
        if self.lstat(path).is_ok() {
            return Err(FsError::new(Errno::EEXIST, path));
        }
        let (parent, name) = self.upper_parent(path)?;
        self.remove_whiteout(&parent, &name);
        self.upper.mknod(&join(&parent, &name), kind, attrs, rdev)
    }

    fn set_mode(&mut self, path: &str, mode: u32) -> FsResult<()> {
        let canonical = self.leaf_path(path, true)?;
        self.copy_up(&canonical)?;
        self.upper.set_mode(&canonical, mode)
    }

    fn set_owner(&mut self, path: &str, uid: u32, gid: u32) -> FsResult<()> {
        let canonical = self.leaf_path(path, false)?;
        self.copy_up(&canonical)?;
        self.upper.set_owner(&canonical, uid, gid)
    }

    fn set_mtime(&mut self, path: &str, mtime: i64) -> FsResult<()> {
        let canonical = self.leaf_path(path, false)?;
        self.copy_up(&canonical)?;
        self.upper.set_mtime(&canonical, mtime)
    }
}

/// Copies `path` and everything below it into the upper layer.
fn copy_up_tree(fs: &mut OverlayFs, path: &str) -> FsResult<()> {
    fs.copy_up(path)?;
    if fs.lstat(path)?.is_dir() {
        for entry in fs.read_dir(path)? {
            copy_up_tree(fs, &join(path, &entry.name))?;
        }
        // The merged listing is now all in the upper layer; lower ones must stay hidden.
        if fs.visible_below(path) && fs.upper.lstat(&join(path, OPAQUE_MARKER)).is_err() {
            fs.upper.put_file(&join(path, OPAQUE_MARKER), Content::data(Vec::new()), Attrs::mode(0))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Arc<MemoryFs> {
        let mut fs = MemoryFs::new();
        fs.create_dir_all("/etc", 0o755).unwrap();
        fs.write("/etc/os-release", b"ID=alpine\n").unwrap();
        fs.write("/etc/hostname", b"base\n").unwrap();
        fs.create_dir_all("/usr/lib/python3.11/site-packages", 0o755).unwrap();
        fs.write("/usr/lib/python3.11/site-packages/a.py", b"a").unwrap();
        fs.symlink("usr/lib", "/lib").unwrap();
        Arc::new(fs)
    }

    fn second() -> Arc<MemoryFs> {
        // A layer that deletes /etc/hostname and adds a file.
        let mut fs = MemoryFs::new();
        fs.create_dir_all("/etc", 0o755).unwrap();
        fs.write("/etc/.wh.hostname", b"").unwrap();
        fs.write("/etc/motd", b"hi\n").unwrap();
        Arc::new(fs)
    }

    fn names(fs: &OverlayFs, path: &str) -> Vec<String> {
        fs.read_dir(path).unwrap().into_iter().map(|e| e.name).collect()
    }

    #[test]
    fn lower_whiteouts_hide_files() {
        let fs = OverlayFs::new(vec![base(), second()], MemoryFs::new());
        assert_eq!(names(&fs, "/etc"), ["motd", "os-release"]);
        assert_eq!(fs.stat("/etc/hostname").unwrap_err().errno, Errno::ENOENT);
        assert_eq!(fs.read("/lib/python3.11/site-packages/a.py").unwrap(), b"a");
    }

    #[test]
    fn writes_copy_up_and_deletes_leave_whiteouts() {
        let mut fs = OverlayFs::new(vec![base(), second()], MemoryFs::new());
        fs.write("/etc/os-release", b"ID=berth\n").unwrap();
        fs.remove_file("/etc/motd").unwrap();
        fs.remove_all("/usr/lib/python3.11").unwrap();
        fs.write("/lib/new.txt", b"x").unwrap();
        assert_eq!(fs.read("/etc/os-release").unwrap(), b"ID=berth\n");
        assert_eq!(names(&fs, "/etc"), ["os-release"]);
        assert_eq!(names(&fs, "/usr/lib"), ["new.txt"]);
        let upper = fs.upper();
        assert!(upper.exists("/etc/.wh.motd"));
        assert!(upper.exists("/usr/lib/.wh.python3.11"));
        assert!(upper.exists("/usr/lib/new.txt"));
        // Lower layers are untouched.
        assert_eq!(base().read("/etc/os-release").unwrap(), b"ID=alpine\n");
    }

    #[test]
    fn writes_cost_only_what_changed() {
        let mut big = MemoryFs::new();
        big.create_dir_all("/usr/lib", 0o755).unwrap();
        big.create_dir_all("/etc", 0o755).unwrap();
        big.put_file("/usr/lib/libtorch.so", Content::lazy(900_000_000, "libtorch.so"), Attrs::mode(0o644)).unwrap();
        big.write("/etc/config", b"x=1\n").unwrap();
        let mut fs = OverlayFs::new(vec![Arc::new(big)], MemoryFs::new());
        fs.write("/etc/config", b"x=2\n").unwrap();
        fs.set_mode("/usr/lib/libtorch.so", 0o600).unwrap();
        assert_eq!(fs.upper().stored_bytes(), 4);
        assert_eq!(fs.stat("/usr/lib/libtorch.so").unwrap().size, 900_000_000);
    }

    #[test]
    fn recreated_directory_is_opaque() {
        let mut fs = OverlayFs::new(vec![base()], MemoryFs::new());
        fs.remove_all("/usr/lib/python3.11").unwrap();
        fs.create_dir("/usr/lib/python3.11", 0o755).unwrap();
        assert!(names(&fs, "/usr/lib/python3.11").is_empty());
        assert!(fs.upper().exists("/usr/lib/python3.11/.wh..wh..opq"));
        assert!(!fs.upper().exists("/usr/lib/.wh.python3.11"));
    }

    #[test]
    fn rename_moves_across_layers() {
        let mut fs = OverlayFs::new(vec![base()], MemoryFs::new());
        fs.rename("/usr/lib/python3.11", "/opt").unwrap();
        assert_eq!(fs.read("/opt/site-packages/a.py").unwrap(), b"a");
        assert_eq!(fs.stat("/usr/lib/python3.11").unwrap_err().errno, Errno::ENOENT);
        fs.hard_link("/etc/os-release", "/etc/os-release.bak").unwrap();
        assert_eq!(fs.stat("/etc/os-release").unwrap().nlink, 2);
    }
}
