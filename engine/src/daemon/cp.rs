//! `docker cp` (moby's `daemon/archive.go`): files between a container's filesystem (its
//! image's layers under its writable layer) and the host's, either way; `docker export`,
//! that filesystem as one tar.

use crate::host::Host;
use crate::image::ImageStore;
use crate::runtime::Containers;
use crate::vfs::{walk, FileSystem};

/// Why a copy did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyError {
    NoSuchContainer(String),
    /// The host side (shown as it is: `lstat x: no such file or directory`).
    Host(String),
    /// The daemon's side (shown after `Error response from daemon:`).
    Daemon(String),
}

/// Copies `cpath` of container `cname` to the host's `dst` (into it, where it is a
/// directory); returns the size copied.
pub fn from_container(store: &mut ImageStore, containers: &Containers, host: &dyn Host, cname: &str, cpath: &str, dst: &str) -> Result<u64, CopyError> {
    let c = containers.find(cname).cloned().ok_or_else(|| CopyError::NoSuchContainer(cname.to_string()))?;
    let layers = store.layers(&c.image_id).map_err(|e| CopyError::Daemon(e.to_string()))?;
    let root = crate::runtime::rootfs(layers, containers.upper(&c.id).map_err(CopyError::Daemon)?);
    let path = crate::vfs::join("/", cpath);
    let meta = root.lstat(&path).map_err(|_| CopyError::Daemon(format!("Could not find the file {cpath} in container {cname}")))?;
    let base = path.rsplit('/').next().unwrap_or("").to_string();
    let (mut host_fs, dst_in) = host_side(host, dst)?;
    let dest_is_dir = host_fs.stat(&dst_in).is_ok_and(|m| m.is_dir());
    let target = if dest_is_dir { crate::vfs::join(&dst_in, &base) } else { dst_in.clone() };
    let r = if meta.is_dir() { walk::copy_tree(&root, &path, host_fs.as_mut(), &target) } else { walk::copy_entry(&root, &path, host_fs.as_mut(), &target, &meta) };
    r.map_err(|e| CopyError::Daemon(e.to_string()))?;
    Ok(meta.size)
}

/// `docker export` (moby's `daemon/export.go`): the container's whole filesystem, its
/// image's layers with its writable layer over them, as one tar with every byte written
/// out.
pub fn export(store: &mut ImageStore, containers: &Containers, cname: &str) -> Result<Vec<u8>, CopyError> {
    let c = containers.find(cname).cloned().ok_or_else(|| CopyError::NoSuchContainer(cname.to_string()))?;
    let layers = store.layers(&c.image_id).map_err(|e| CopyError::Daemon(e.to_string()))?;
    let root = crate::runtime::rootfs(layers, containers.upper(&c.id).map_err(CopyError::Daemon)?);
    crate::image::layer::tar_of(&root, &crate::image::layer::LayerOptions::portable()).map_err(|e| CopyError::Daemon(e.to_string()))
}

/// Copies the host's `src` to `cpath` of container `cname` (into it, where it is a
/// directory), into its writable layer; returns the size copied.
pub fn to_container(store: &mut ImageStore, containers: &mut Containers, host: &dyn Host, src: &str, cname: &str, cpath: &str) -> Result<u64, CopyError> {
    let c = containers.find(cname).cloned().ok_or_else(|| CopyError::NoSuchContainer(cname.to_string()))?;
    let (host_fs, src_in) = host_side(host, src)?;
    let meta = host_fs.lstat(&src_in).map_err(|_| CopyError::Host(format!("lstat {src}: no such file or directory")))?;
    let layers = store.layers(&c.image_id).map_err(|e| CopyError::Daemon(e.to_string()))?;
    let quota = c.host_config.storage_quota();
    let mut root = crate::runtime::rootfs(layers, containers.upper_within(&c.id, &quota).map_err(CopyError::Daemon)?);
    let path = crate::vfs::join("/", cpath);
    let base = src.trim_end_matches('/').rsplit('/').next().unwrap_or(src).to_string();
    let target = if root.stat(&path).is_ok_and(|m| m.is_dir()) { crate::vfs::join(&path, &base) } else { path };
    let r = if meta.is_dir() { walk::copy_tree(host_fs.as_ref(), &src_in, &mut root, &target) } else { walk::copy_entry(host_fs.as_ref(), &src_in, &mut root, &target, &meta) };
    r.map_err(|e| CopyError::Daemon(e.to_string()))?;
    containers.set_upper(&c.id, root.upper()).map_err(CopyError::Daemon)?;
    Ok(meta.size)
}

/// The host side of `docker cp`: the filesystem that holds `path` and the path in it. A
/// relative path is under the current directory; an absolute one is under its parent
/// directory, bound as it is (not under the current directory).
fn host_side(host: &dyn Host, path: &str) -> Result<(Box<dyn FileSystem>, String), CopyError> {
    let (dir, inner) = if path.starts_with('/') {
        let trimmed = path.trim_end_matches('/');
        match trimmed.rsplit_once('/') {
            Some((parent, name)) if !name.is_empty() => (if parent.is_empty() { "/".to_string() } else { parent.to_string() }, format!("/{name}{}", if path.ends_with('/') { "/" } else { "" })),
            _ => ("/".to_string(), "/".to_string()),
        }
    } else {
        (".".to_string(), path.to_string())
    };
    let fs = host.bind(&dir).map_err(CopyError::Host)?;
    Ok((fs, inner))
}
