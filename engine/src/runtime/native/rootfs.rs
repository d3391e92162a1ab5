//! Root filesystems on disk (the snapshotter). Each image layer is written out once,
//! under `<native>/layers/<diff ID>`, with its OCI whiteouts in overlayfs form: a deleted
//! file is a 0:0 character device, an opaque directory carries `trusted.overlay.opaque`
//! (`user.overlay.opaque` rootless).
//! A container's writable layer is written out for each start and read back after it,
//! whiteouts turned back into OCI form, so `diff`, `commit`, `cp` and the next start see
//! what the process changed: the engine's record of the writable layer stays the one
//! place it is kept.

// System calls are what this backend is: each unsafe block says what makes it sound.
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::vfs::walk::walk;
use crate::vfs::{Attrs, Content, FileSystem, FileType, MemoryFs, OPAQUE_MARKER, WHITEOUT_PREFIX};

/// Where overlayfs reads an opaque directory's mark: `trusted.` needs the host's root;
/// in a user namespace (rootless, mounted with `userxattr`) it is `user.`.
fn opaque_xattr() -> &'static str {
    if super::rootless::in_user_namespace() {
        "user.overlay.opaque"
    } else {
        "trusted.overlay.opaque"
    }
}

/// Why a tree could not be written out or read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RootfsError {
    /// The file's bytes are modelled (a catalog image's program is a label, not ELF).
    #[error("{0} is modelled content (its bytes are not real), which only the emulated runtime can run; use --runtime emulated")]
    Modelled(String),
    #[error("{path}: {message}")]
    Io { path: String, message: String },
}

fn io(path: &Path, e: std::io::Error) -> RootfsError {
    RootfsError::Io { path: path.display().to_string(), message: e.to_string() }
}

fn cpath(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).unwrap_or_default()
}

fn last_error(path: &Path) -> RootfsError {
    io(path, std::io::Error::last_os_error())
}

fn lchown(path: &Path, uid: u32, gid: u32) -> Result<(), RootfsError> {
    // SAFETY: a NUL-terminated path.
    if unsafe { libc::lchown(cpath(path).as_ptr(), uid, gid) } != 0 {
        return Err(last_error(path));
    }
    Ok(())
}

fn mknod(path: &Path, mode: u32, dev: u64) -> Result<(), RootfsError> {
    // SAFETY: a NUL-terminated path.
    if unsafe { libc::mknod(cpath(path).as_ptr(), mode as libc::mode_t, dev as libc::dev_t) } != 0 {
        return Err(last_error(path));
    }
    Ok(())
}

fn set_mtime(path: &Path, mtime: i64) {
    let times = [libc::timespec { tv_sec: 0, tv_nsec: libc::UTIME_OMIT }, libc::timespec { tv_sec: mtime.max(0) as libc::time_t, tv_nsec: 0 }];
    // SAFETY: a NUL-terminated path and two timespecs.
    unsafe { libc::utimensat(libc::AT_FDCWD, cpath(path).as_ptr(), times.as_ptr(), libc::AT_SYMLINK_NOFOLLOW) };
}

fn set_opaque(path: &Path) -> Result<(), RootfsError> {
    let name = CString::new(opaque_xattr()).unwrap_or_default();
    // SAFETY: NUL-terminated strings and a one-byte value.
    if unsafe { libc::lsetxattr(cpath(path).as_ptr(), name.as_ptr(), b"y".as_ptr().cast(), 1, 0) } != 0 {
        return Err(last_error(path));
    }
    Ok(())
}

fn is_opaque(path: &Path) -> bool {
    let name = CString::new(opaque_xattr()).unwrap_or_default();
    let mut value = [0u8; 4];
    // SAFETY: NUL-terminated strings and a buffer with its length.
    let n = unsafe { libc::lgetxattr(cpath(path).as_ptr(), name.as_ptr(), value.as_mut_ptr().cast(), value.len()) };
    n == 1 && value[0] == b'y'
}

/// Writes `fs` out into the new directory `dir` with owners, modes and times, OCI
/// whiteouts in overlayfs form. A file whose bytes are modelled is refused.
pub fn write_out(fs: &dyn FileSystem, dir: &Path) -> Result<(), RootfsError> {
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    let entries = walk(fs, "/").map_err(|e| RootfsError::Io { path: dir.display().to_string(), message: e.to_string() })?;
    let mut linked: HashMap<u64, PathBuf> = HashMap::new();
    let mut dirs: Vec<(PathBuf, i64)> = Vec::new();
    let root = fs.lstat("/").ok();
    for (rel, meta) in &entries {
        let path = dir.join(rel);
        let name = rel.rsplit('/').next().unwrap_or(rel);
        let parent = path.parent().unwrap_or(dir);
        if name == OPAQUE_MARKER {
            set_opaque(parent)?;
            continue;
        }
        if let Some(hidden) = name.strip_prefix(WHITEOUT_PREFIX) {
            mknod(&parent.join(hidden), libc::S_IFCHR, 0)?;
            continue;
        }
        match meta.kind {
            FileType::Dir => {
                std::fs::create_dir(&path).map_err(|e| io(&path, e))?;
                dirs.push((path.clone(), meta.mtime));
            }
            FileType::File => {
                if meta.nlink > 1 {
                    if let Some(first) = linked.get(&meta.ino) {
                        std::fs::hard_link(first, &path).map_err(|e| io(&path, e))?;
                        continue;
                    }
                    linked.insert(meta.ino, path.clone());
                }
                let content = fs.content(&format!("/{rel}")).map_err(|e| RootfsError::Io { path: rel.clone(), message: e.to_string() })?;
                let Content::Data(bytes) = content else { return Err(RootfsError::Modelled(format!("/{rel}"))) };
                std::fs::write(&path, bytes.as_slice()).map_err(|e| io(&path, e))?;
            }
            FileType::Symlink => {
                let target = fs.read_link(&format!("/{rel}")).map_err(|e| RootfsError::Io { path: rel.clone(), message: e.to_string() })?;
                std::os::unix::fs::symlink(target, &path).map_err(|e| io(&path, e))?;
            }
            FileType::CharDevice => mknod(&path, libc::S_IFCHR | meta.mode, meta.rdev)?,
            FileType::BlockDevice => mknod(&path, libc::S_IFBLK | meta.mode, meta.rdev)?,
            FileType::Fifo => mknod(&path, libc::S_IFIFO | meta.mode, 0)?,
            // A socket cannot be carried in a layer; tar writers skip them too.
            FileType::Socket => continue,
        }
        lchown(&path, meta.uid, meta.gid)?;
        if meta.kind != FileType::Symlink {
            // After chown, which clears setuid bits.
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(meta.mode)).map_err(|e| io(&path, e))?;
        }
        set_mtime(&path, meta.mtime);
    }
    if let Some(m) = root {
        lchown(dir, m.uid, m.gid)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(m.mode)).map_err(|e| io(dir, e))?;
        dirs.push((dir.to_path_buf(), m.mtime));
    }
    // Directory times last, deepest first: writing into one changes its time.
    for (path, mtime) in dirs.iter().rev() {
        set_mtime(path, *mtime);
    }
    Ok(())
}

/// Reads a writable layer back from `dir`: a 0:0 character device becomes a whiteout,
/// an opaque directory gets its marker. `skip` are paths (from the root, `/etc/hosts`)
/// that the runtime created as mount points and that are not the container's change.
pub fn read_back(dir: &Path, skip: &[String]) -> Result<MemoryFs, RootfsError> {
    let mut fs = MemoryFs::new();
    let mut linked: HashMap<(u64, u64), String> = HashMap::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    let mut dirs: Vec<(String, i64)> = Vec::new();
    while let Some((host, rel)) = stack.pop() {
        let mut names: Vec<_> = std::fs::read_dir(&host).map_err(|e| io(&host, e))?.filter_map(Result::ok).map(|e| e.file_name()).collect();
        names.sort();
        if !rel.is_empty() && is_opaque(&host) {
            fs.put_file(&format!("{rel}/{OPAQUE_MARKER}"), Content::data(Vec::new()), Attrs::mode(0)).map_err(|e| RootfsError::Io { path: rel.clone(), message: e.to_string() })?;
        }
        for name in names {
            let name = name.to_string_lossy().into_owned();
            let path = host.join(&name);
            let at = format!("{rel}/{name}");
            let m = std::fs::symlink_metadata(&path).map_err(|e| io(&path, e))?;
            // A mount point the runtime made, unless the process put something in it.
            if skip.contains(&at) && (m.len() == 0 && m.is_file() || m.is_dir() && std::fs::read_dir(&path).is_ok_and(|mut d| d.next().is_none())) {
                continue;
            }
            let attrs = Attrs { mode: m.mode() & 0o7777, uid: m.uid(), gid: m.gid(), mtime: m.mtime() };
            let err = |e: crate::vfs::FsError| RootfsError::Io { path: at.clone(), message: e.to_string() };
            let ft = m.file_type();
            use std::os::unix::fs::FileTypeExt;
            if ft.is_char_device() && m.rdev() == 0 {
                fs.put_file(&format!("{rel}/{WHITEOUT_PREFIX}{name}"), Content::data(Vec::new()), Attrs::mode(0)).map_err(err)?;
            } else if ft.is_dir() {
                fs.create_dir(&at, attrs.mode).map_err(err)?;
                fs.set_owner(&at, attrs.uid, attrs.gid).map_err(err)?;
                dirs.push((at.clone(), attrs.mtime));
                stack.push((path, at));
            } else if ft.is_symlink() {
                let target = std::fs::read_link(&path).map_err(|e| io(&path, e))?;
                fs.symlink(&target.to_string_lossy(), &at).map_err(err)?;
                fs.set_owner(&at, attrs.uid, attrs.gid).map_err(err)?;
            } else if ft.is_file() {
                if m.nlink() > 1 {
                    if let Some(first) = linked.get(&(m.dev(), m.ino())) {
                        fs.hard_link(first, &at).map_err(err)?;
                        continue;
                    }
                    linked.insert((m.dev(), m.ino()), at.clone());
                }
                let bytes = std::fs::read(&path).map_err(|e| io(&path, e))?;
                fs.put_file(&at, Content::data(bytes), attrs).map_err(err)?;
            } else {
                let kind = if ft.is_char_device() {
                    FileType::CharDevice
                } else if ft.is_block_device() {
                    FileType::BlockDevice
                } else if ft.is_fifo() {
                    FileType::Fifo
                } else {
                    continue;
                };
                fs.mknod(&at, kind, attrs, m.rdev()).map_err(err)?;
            }
        }
    }
    for (at, mtime) in dirs {
        let _ = fs.set_mtime(&at, mtime);
    }
    Ok(fs)
}

/// Whether overlayfs can be mounted here (the copying snapshotter is used where it
/// cannot): `BERTH_SNAPSHOTTER=copy` or `overlay` decides; otherwise a throwaway overlay
/// is mounted, in a child's own mount namespace, under `native`. The answer is kept in
/// `native/overlay-probe` with the kernel's release, so a start does not pay for the
/// probe again until the kernel changes.
pub fn overlay_usable(native: &Path) -> bool {
    static USABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    match std::env::var("BERTH_SNAPSHOTTER").as_deref() {
        Ok("copy") => return false,
        Ok("overlay") => return true,
        _ => {}
    }
    *USABLE.get_or_init(|| {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
        let rootless = super::rootless::in_user_namespace();
        let key = format!("{} rootless={rootless}", release.trim());
        let kept = native.join("overlay-probe");
        if let Some(answer) = std::fs::read_to_string(&kept).ok().and_then(|t| t.strip_prefix(&format!("{key} ")).map(|a| a.trim() == "yes")) {
            return answer;
        }
        let usable = probe_overlay(native);
        let _ = std::fs::write(&kept, format!("{key} {}\n", if usable { "yes" } else { "no" }));
        usable
    })
}

fn probe_overlay(native: &Path) -> bool {
    let dir = native.join(format!("probe-{}", std::process::id()));
    let made = ["lower", "upper", "work", "merged"].iter().all(|d| std::fs::create_dir_all(dir.join(d)).is_ok());
    let data = format!("lowerdir={},upperdir={},workdir={}{}", dir.join("lower").display(), dir.join("upper").display(), dir.join("work").display(), if super::rootless::in_user_namespace() { ",userxattr" } else { "" });
    let (target, data, fstype) = (cpath(&dir.join("merged")), CString::new(data).unwrap_or_default(), c"overlay");
    let usable = made && {
        // SAFETY: the child makes only async-signal-safe calls (unshare, mount, _exit) on
        // strings made before the fork; the parent waits for it.
        unsafe {
            match libc::fork() {
                0 => {
                    let ok = libc::unshare(libc::CLONE_NEWNS) == 0
                        && libc::mount(std::ptr::null(), c"/".as_ptr(), std::ptr::null(), libc::MS_REC | libc::MS_PRIVATE, std::ptr::null()) == 0
                        && libc::mount(fstype.as_ptr(), target.as_ptr(), fstype.as_ptr(), 0, data.as_ptr().cast()) == 0;
                    libc::_exit(if ok { 0 } else { 1 })
                }
                -1 => false,
                pid => {
                    let mut status = 0;
                    libc::waitpid(pid, &mut status, 0) == pid && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0
                }
            }
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    usable
}

/// The copying snapshotter: lays the layer directory `src` (overlayfs form: a 0:0
/// device deletes, an opaque directory hides what is below) over the tree `dst`, as an
/// overlay mount would show them merged. Hard links within a layer are copied apart.
pub fn apply_dir(src: &Path, dst: &Path) -> Result<(), RootfsError> {
    use std::os::unix::fs::FileTypeExt;
    let mut stack = vec![(src.to_path_buf(), dst.to_path_buf())];
    let mut dirs: Vec<(PathBuf, i64)> = Vec::new();
    while let Some((from, to)) = stack.pop() {
        if is_opaque(&from) && from != src {
            // Nothing below shows through: the directory starts empty.
            let _ = std::fs::remove_dir_all(&to);
        }
        match std::fs::symlink_metadata(&to) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                std::fs::remove_file(&to).map_err(|e| io(&to, e))?;
                std::fs::create_dir(&to).map_err(|e| io(&to, e))?;
            }
            Err(_) => std::fs::create_dir(&to).map_err(|e| io(&to, e))?,
        }
        let m = std::fs::symlink_metadata(&from).map_err(|e| io(&from, e))?;
        lchown(&to, m.uid(), m.gid())?;
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(m.mode() & 0o7777)).map_err(|e| io(&to, e))?;
        dirs.push((to.clone(), m.mtime()));
        for entry in std::fs::read_dir(&from).map_err(|e| io(&from, e))? {
            let entry = entry.map_err(|e| io(&from, e))?;
            let (path, target) = (entry.path(), to.join(entry.file_name()));
            let m = std::fs::symlink_metadata(&path).map_err(|e| io(&path, e))?;
            let ft = m.file_type();
            if ft.is_dir() {
                stack.push((path, target));
                continue;
            }
            // What is there goes: a whiteout removes it, anything else replaces it.
            match std::fs::symlink_metadata(&target) {
                Ok(t) if t.is_dir() => std::fs::remove_dir_all(&target).map_err(|e| io(&target, e))?,
                Ok(_) => std::fs::remove_file(&target).map_err(|e| io(&target, e))?,
                Err(_) => {}
            }
            if ft.is_char_device() && m.rdev() == 0 {
                continue;
            }
            if ft.is_symlink() {
                std::os::unix::fs::symlink(std::fs::read_link(&path).map_err(|e| io(&path, e))?, &target).map_err(|e| io(&target, e))?;
            } else if ft.is_file() {
                std::fs::copy(&path, &target).map_err(|e| io(&target, e))?;
            } else {
                let kind = if ft.is_char_device() { libc::S_IFCHR } else if ft.is_block_device() { libc::S_IFBLK } else if ft.is_fifo() { libc::S_IFIFO } else { continue };
                mknod(&target, kind | (m.mode() & 0o7777), m.rdev())?;
            }
            lchown(&target, m.uid(), m.gid())?;
            if !ft.is_symlink() {
                std::fs::set_permissions(&target, std::fs::Permissions::from_mode(m.mode() & 0o7777)).map_err(|e| io(&target, e))?;
                set_mtime(&target, m.mtime());
            }
        }
    }
    for (path, mtime) in dirs.iter().rev() {
        set_mtime(path, *mtime);
    }
    Ok(())
}

/// The copying snapshotter's writable layer: what differs between the container's
/// tree `merged` and `lower` (its layers, merged), in OCI form (changed and new entries,
/// a whiteout for each one removed), as BuildKit's naive differ finds it. `skip` as in
/// [`read_back`].
pub fn diff_tree(lower: &dyn FileSystem, merged: &Path, skip: &[String]) -> Result<MemoryFs, RootfsError> {
    let now = read_back(merged, skip)?;
    let mut upper = MemoryFs::new();
    let err = |at: &str, e: crate::vfs::FsError| RootfsError::Io { path: at.to_string(), message: e.to_string() };
    let entries = walk(&now, "/").map_err(|e| err("/", e))?;
    // Parents of a change are in the layer with their own attributes.
    let ensure_parents = |upper: &mut MemoryFs, at: &str| -> Result<(), RootfsError> {
        let mut current = String::new();
        let parts: Vec<&str> = at.trim_start_matches('/').split('/').collect();
        for part in &parts[..parts.len().saturating_sub(1)] {
            current.push('/');
            current.push_str(part);
            if upper.lstat(&current).is_err() {
                let m = now.lstat(&current).map_err(|e| err(&current, e))?;
                upper.create_dir(&current, m.mode).map_err(|e| err(&current, e))?;
                upper.set_owner(&current, m.uid, m.gid).map_err(|e| err(&current, e))?;
                upper.set_mtime(&current, m.mtime).map_err(|e| err(&current, e))?;
            }
        }
        Ok(())
    };
    for (rel, m) in &entries {
        let at = format!("/{rel}");
        let before = lower.lstat(&at).ok();
        let same = match &before {
            None => false,
            Some(b) if b.kind != m.kind || b.mode != m.mode || b.uid != m.uid || b.gid != m.gid => false,
            Some(_) if m.kind == FileType::Dir => true,
            Some(b) if m.kind == FileType::File => b.mtime == m.mtime && b.size == m.size && lower.read(&at).ok() == now.read(&at).ok(),
            Some(_) if m.kind == FileType::Symlink => lower.read_link(&at).ok() == now.read_link(&at).ok(),
            Some(b) => b.rdev == m.rdev,
        };
        if same {
            continue;
        }
        ensure_parents(&mut upper, &at)?;
        match m.kind {
            FileType::Dir => {
                upper.create_dir(&at, m.mode).map_err(|e| err(&at, e))?;
                upper.set_owner(&at, m.uid, m.gid).map_err(|e| err(&at, e))?;
                upper.set_mtime(&at, m.mtime).map_err(|e| err(&at, e))?;
                if before.is_some_and(|b| b.kind != FileType::Dir) {
                    // It replaced a file: nothing of the old shows through.
                    upper.put_file(&format!("{at}/{OPAQUE_MARKER}"), Content::data(Vec::new()), Attrs::mode(0)).map_err(|e| err(&at, e))?;
                }
            }
            FileType::File => {
                let content = now.content(&at).map_err(|e| err(&at, e))?;
                upper.put_file(&at, content, Attrs { mode: m.mode, uid: m.uid, gid: m.gid, mtime: m.mtime }).map_err(|e| err(&at, e))?;
            }
            FileType::Symlink => {
                upper.symlink(&now.read_link(&at).map_err(|e| err(&at, e))?, &at).map_err(|e| err(&at, e))?;
                upper.set_owner(&at, m.uid, m.gid).map_err(|e| err(&at, e))?;
            }
            kind => upper.mknod(&at, kind, Attrs { mode: m.mode, uid: m.uid, gid: m.gid, mtime: m.mtime }, m.rdev).map_err(|e| err(&at, e))?,
        }
    }
    // What the layers had and the container removed.
    for (rel, _) in walk(lower, "/").map_err(|e| err("/", e))? {
        let at = format!("/{rel}");
        let name = rel.rsplit('/').next().unwrap_or(&rel);
        if name.starts_with(WHITEOUT_PREFIX) || now.lstat(&at).is_ok() {
            continue;
        }
        let parent = at.rsplit_once('/').map_or("/", |(p, _)| if p.is_empty() { "/" } else { p });
        // Only the topmost removed entry needs a whiteout.
        if parent != "/" && now.lstat(parent).is_err() {
            continue;
        }
        ensure_parents(&mut upper, &at)?;
        upper.put_file(&format!("{}/{WHITEOUT_PREFIX}{name}", if parent == "/" { "" } else { parent }), Content::data(Vec::new()), Attrs::mode(0)).map_err(|e| err(&at, e))?;
    }
    Ok(upper)
}

/// The merged view of layer directories (top first, as overlayfs's `lowerdir` lists
/// them), read back from disk: what [`diff_tree`] compares a container's tree with.
pub fn lower_view(lower: &[PathBuf]) -> Result<crate::vfs::OverlayFs, RootfsError> {
    let mut layers = Vec::new();
    for dir in lower.iter().rev() {
        layers.push(std::sync::Arc::new(read_back(dir, &[])?));
    }
    Ok(crate::vfs::OverlayFs::new(layers, MemoryFs::new()))
}

/// The directory of a layer written out before, if there is one.
pub fn existing_layer_dir(native: &Path, diff_id: &str) -> Option<PathBuf> {
    let dir = native.join("layers").join(diff_id.strip_prefix("sha256:").unwrap_or(diff_id));
    dir.is_dir().then_some(dir)
}

/// The directory an image layer is written out to, written out on first use.
pub fn layer_dir(native: &Path, diff_id: &str, layer: &dyn FileSystem) -> Result<PathBuf, RootfsError> {
    let hex = diff_id.strip_prefix("sha256:").unwrap_or(diff_id);
    let dir = native.join("layers").join(hex);
    if dir.is_dir() {
        return Ok(dir);
    }
    // Written beside and renamed into place, so a layer directory is complete or absent.
    let tmp = native.join("layers").join(format!(".tmp-{}-{hex}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    match write_out(layer, &tmp) {
        Ok(()) => {}
        Err(e) => {
            let _ = std::fs::remove_dir_all(&tmp);
            return Err(e);
        }
    }
    match std::fs::rename(&tmp, &dir) {
        Ok(()) => Ok(dir),
        // Another berth wrote it first.
        Err(_) if dir.is_dir() => {
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(dir)
        }
        Err(e) => Err(io(&dir, e)),
    }
}

/// `path` with every symlink in it resolved inside `fs` (`..` stops at the root, an
/// absolute target starts again from it), as runc's `securejoin` resolves a mount's
/// destination: what is created and mounted there then stays in the container's root.
pub fn resolve_in(fs: &dyn FileSystem, path: &str) -> String {
    let mut done: Vec<String> = Vec::new();
    let mut todo: Vec<String> = crate::vfs::components(path).into_iter().rev().map(str::to_string).collect();
    let mut links = 0;
    while let Some(part) = todo.pop() {
        match part.as_str() {
            "." => continue,
            ".." => {
                done.pop();
                continue;
            }
            _ => {}
        }
        let at = format!("/{}", done.iter().chain(std::iter::once(&part)).cloned().collect::<Vec<_>>().join("/"));
        match fs.lstat(&at) {
            Ok(m) if m.is_symlink() && links < 40 => {
                links += 1;
                let Ok(target) = fs.read_link(&at) else {
                    done.push(part);
                    continue;
                };
                if target.starts_with('/') {
                    done.clear();
                }
                todo.extend(crate::vfs::components(&target).into_iter().rev().map(str::to_string));
            }
            _ => done.push(part),
        }
    }
    format!("/{}", done.join("/"))
}

/// Whether every regular file in `fs` has real bytes; the first modelled one otherwise.
pub fn first_modelled(fs: &dyn FileSystem, paths: &[String]) -> Option<String> {
    paths.iter().find(|p| matches!(fs.content(p), Ok(Content::Lazy { .. }))).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_destinations_resolve_inside_the_root() {
        let mut links = MemoryFs::new();
        links.create_dir_all("/tmp/real", 0o755).unwrap();
        links.symlink("/tmp/real", "/abs").unwrap();
        links.symlink("../../../../tmp", "/rel").unwrap();
        links.symlink("loop", "/loop").unwrap();
        assert_eq!(resolve_in(&links, "/abs/sub/dir"), "/tmp/real/sub/dir");
        assert_eq!(resolve_in(&links, "/rel/real/x"), "/tmp/real/x");
        assert_eq!(resolve_in(&links, "/../../etc"), "/etc");
        assert_eq!(resolve_in(&links, "/loop/x"), "/loop/x");

    }

    fn root_only() -> bool {
        // SAFETY: geteuid cannot fail.
        unsafe { libc::geteuid() == 0 }
    }

    #[test]
    fn layers_go_to_disk_and_writable_layers_come_back_with_their_whiteouts() {
        if !root_only() {
            println!("not root: device whiteouts and owners need root; skipped");
            return;
        }
        let dir = std::env::temp_dir().join(format!("berth-rootfs-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let mut upper = MemoryFs::new();
        upper.create_dir("/etc", 0o755).unwrap();
        upper.put_file("/etc/motd", Content::data(b"hi\n".to_vec()), Attrs { mode: 0o4755, uid: 1000, gid: 50, mtime: 1_700_000_000 }).unwrap();
        upper.put_file("/etc/.wh.passwd", Content::data(Vec::new()), Attrs::mode(0)).unwrap();
        upper.create_dir("/var", 0o700).unwrap();
        upper.put_file("/var/.wh..wh..opq", Content::data(Vec::new()), Attrs::mode(0)).unwrap();
        upper.symlink("../etc/motd", "/var/link").unwrap();
        upper.hard_link("/etc/motd", "/etc/motd2").unwrap();
        write_out(&upper, &dir).unwrap();

        use std::os::unix::fs::FileTypeExt;
        let wh = std::fs::symlink_metadata(dir.join("etc/passwd")).unwrap();
        assert!(wh.file_type().is_char_device() && wh.rdev() == 0, "a whiteout is a 0:0 device");
        assert!(is_opaque(&dir.join("var")));
        let motd = std::fs::symlink_metadata(dir.join("etc/motd")).unwrap();
        assert_eq!((motd.mode() & 0o7777, motd.uid(), motd.gid(), motd.mtime(), motd.nlink()), (0o4755, 1000, 50, 1_700_000_000, 2));
        assert_eq!(std::fs::read_link(dir.join("var/link")).unwrap(), Path::new("../etc/motd"));

        let back = read_back(&dir, &[]).unwrap();
        assert_eq!(back.read("/etc/motd").unwrap(), b"hi\n");
        assert!(back.lstat("/etc/.wh.passwd").is_ok(), "the whiteout is OCI form again");
        assert!(back.lstat("/var/.wh..wh..opq").is_ok());
        assert_eq!(back.read_link("/var/link").unwrap(), "../etc/motd");
        let m = back.lstat("/etc/motd").unwrap();
        assert_eq!((m.mode, m.uid, m.gid, m.nlink), (0o4755, 1000, 50, 2));
        // A mount point the runtime made is skipped while it is empty.
        std::fs::write(dir.join("etc/mountpoint"), "").unwrap();
        let skipped = read_back(&dir, &["/etc/mountpoint".to_string(), "/etc/motd2".to_string()]).unwrap();
        assert!(skipped.lstat("/etc/mountpoint").is_err());
        assert!(skipped.lstat("/etc/motd2").is_ok(), "not empty: the process wrote it");

        let mut modelled = MemoryFs::new();
        modelled.put_file("/python", Content::lazy(10, "exec:python"), Attrs::mode(0o755)).unwrap();
        let e = write_out(&modelled, &dir.join("m")).unwrap_err();
        assert!(e.to_string().contains("/python is modelled content"), "{e}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
