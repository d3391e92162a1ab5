//! Walking a filesystem and copying trees between filesystems (contents are shared, so
//! copying a catalog image's 40 MB library costs nothing).

use super::{join, Attrs, Errno, FileSystem, FileType, FsError, FsResult, Metadata};

/// Every entry below `root` (not following symlinks), depth first, sorted by name:
/// `(path relative to root, metadata)`. The root itself is not included.
pub fn walk(fs: &dyn FileSystem, root: &str) -> FsResult<Vec<(String, Metadata)>> {
    let mut out = Vec::new();
    walk_into(fs, root, "", &mut out)?;
    Ok(out)
}

fn walk_into(fs: &dyn FileSystem, root: &str, rel: &str, out: &mut Vec<(String, Metadata)>) -> FsResult<()> {
    let dir = if rel.is_empty() { root.to_string() } else { join(root, rel) };
    for entry in fs.read_dir(&dir)? {
        let child_rel = if rel.is_empty() { entry.name.clone() } else { format!("{rel}/{}", entry.name) };
        let meta = fs.lstat(&join(root, &child_rel))?;
        let is_dir = meta.is_dir();
        out.push((child_rel.clone(), meta));
        if is_dir {
            walk_into(fs, root, &child_rel, out)?;
        }
    }
    Ok(())
}

/// Copies one entry (a file, symlink, device or empty directory) with its metadata.
pub fn copy_entry(from: &dyn FileSystem, src: &str, to: &mut dyn FileSystem, dst: &str, meta: &Metadata) -> FsResult<()> {
    let attrs = Attrs { mode: meta.mode, uid: meta.uid, gid: meta.gid, mtime: meta.mtime };
    match meta.kind {
        FileType::Dir => {
            match to.stat(dst) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Err(FsError::new(Errno::ENOTDIR, dst)),
                Err(_) => to.create_dir(dst, meta.mode)?,
            }
            to.set_mode(dst, meta.mode)?;
            to.set_owner(dst, meta.uid, meta.gid)?;
            to.set_mtime(dst, meta.mtime)
        }
        FileType::File => to.put_file(dst, from.content(src)?, attrs),
        FileType::Symlink => {
            if to.lstat(dst).is_ok() {
                to.remove_file(dst)?;
            }
            to.symlink(&from.read_link(src)?, dst)?;
            to.set_owner(dst, meta.uid, meta.gid)
        }
        kind => to.mknod(dst, kind, attrs, meta.rdev),
    }
}

/// Copies the tree at `src` in `from` to `dst` in `to`, keeping modes, owners, times and
/// symlinks. Hard links inside the tree stay hard links.
pub fn copy_tree(from: &dyn FileSystem, src: &str, to: &mut dyn FileSystem, dst: &str) -> FsResult<()> {
    let meta = from.lstat(src)?;
    copy_entry(from, src, to, dst, &meta)?;
    if !meta.is_dir() {
        return Ok(());
    }
    let mut seen_inodes: std::collections::HashMap<u64, String> = std::collections::HashMap::new();
    for (rel, meta) in walk(from, src)? {
        let target = join(dst, &rel);
        if meta.is_file() && meta.nlink > 1 {
            if let Some(first) = seen_inodes.get(&meta.ino) {
                if to.lstat(&target).is_ok() {
                    to.remove_file(&target)?;
                }
                to.hard_link(first, &target)?;
                continue;
            }
            seen_inodes.insert(meta.ino, target.clone());
        }
        copy_entry(from, &join(src, &rel), to, &target, &meta)?;
    }
    Ok(())
}
