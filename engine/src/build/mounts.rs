//! `RUN --mount` as BuildKit gives it: `cache` (a directory kept between builds under its
//! `id`, default the target), `tmpfs`, `bind` (from the context, a stage or an image) and
//! `secret` (`build --secret id=…`). A mount exists only while its step runs: what a step
//! writes there stays out of the layer.
//!
//! The step's writable layer is where a mount is made. Its target becomes an opaque
//! directory in that layer (so the image's files there are hidden, as under a mount),
//! filled with the mount's files; after the step, a cache's files are kept and everything
//! under the target is taken out of the layer again, leaving only the mount point where
//! the image had none (as BuildKit leaves it). The same layer goes to the emulated and the
//! native runtime, so both see the mounts. Modelled: a `bind` mount is not read-only (what
//! the step writes there is dropped, as with `rw`), and `ssh` mounts are refused.

use crate::dockerfile::instructions::Mount;
use crate::image::layer::{layer_of, unpack, LayerOptions};
use crate::vfs::walk::{copy_tree, walk};
use crate::vfs::{FileSystem, MemoryFs, OPAQUE_MARKER, WHITEOUT_PREFIX};

/// A mount made in a step's writable layer, to take out after the step.
pub struct Made {
    target: String,
    /// The cache `id` to keep the contents under (cache mounts only).
    cache: Option<String>,
    /// The image had something at the target (else the empty mount point stays).
    existed: bool,
    /// Directories made for the target that the image did not have.
    parents: Vec<String>,
    file: bool,
}

/// What the mounts of a step need from the build.
pub struct Sources<'a> {
    /// The files of each `bind` mount's `from` (the context, a stage or an image), in order.
    pub binds: Vec<Box<dyn FileSystem + 'a>>,
    /// Cache mounts' files from earlier builds, as layer tars, by id.
    pub caches: std::collections::HashMap<String, Vec<u8>>,
    /// `build --secret` values by id.
    pub secrets: &'a [(String, Vec<u8>)],
}

/// The ids of a step's cache mounts.
pub fn cache_ids(mounts: &[Mount]) -> Vec<String> {
    mounts.iter().filter(|m| m.kind == "cache").filter_map(|m| target_of(m).ok().map(|t| cache_id(m, &t))).collect()
}

/// A cache mount's `id`, by default its target.
fn cache_id(m: &Mount, target: &str) -> String {
    option(m, "id").unwrap_or(target).to_string()
}

fn option<'m>(m: &'m Mount, key: &str) -> Option<&'m str> {
    m.options.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}

/// The part of a step's cache key its mounts add: what they are, never what a secret or
/// a cache holds (BuildKit keys them the same way).
pub fn cache_key(mounts: &[Mount]) -> String {
    mounts.iter().map(|m| format!("{}:{}:{}:{}:{}", m.kind, m.target.as_deref().unwrap_or(""), option(m, "id").unwrap_or(""), m.source.as_deref().unwrap_or(""), m.from.as_deref().unwrap_or(""))).collect::<Vec<_>>().join(",")
}

fn target_of(m: &Mount) -> Result<String, String> {
    let t = match (&m.target, m.kind.as_str()) {
        (Some(t), _) => t.clone(),
        (None, "secret") => format!("/run/secrets/{}", option(m, "id").or(m.source.as_deref()).unwrap_or("")),
        (None, _) => return Err(format!("mount type {} needs a target", m.kind)),
    };
    let t = crate::vfs::normalize(&t);
    if t == "/" {
        return Err("a mount cannot replace the root directory".into());
    }
    Ok(t)
}

/// Makes `mounts` in `upper` over the stage's files `lower`.
pub fn make(upper: &mut MemoryFs, lower: &dyn FileSystem, mounts: &[Mount], sources: Sources<'_>) -> Result<Vec<Made>, String> {
    let mut made = Vec::new();
    let mut binds = sources.binds.into_iter();
    for m in mounts {
        if m.kind == "ssh" {
            return Err("RUN --mount=type=ssh: SSH agent forwarding is not available in Berth".into());
        }
        let target = target_of(m)?;
        let existed = lower.lstat(&target).is_ok();
        // The directories leading to the target, made where the image has none.
        let mut parents = Vec::new();
        let mut dir = String::new();
        let segments: Vec<&str> = target.trim_start_matches('/').split('/').collect();
        let file = m.kind == "secret";
        let dirs = if file { &segments[..segments.len() - 1] } else { &segments[..] };
        for s in dirs {
            dir = format!("{dir}/{s}");
            if lower.lstat(&dir).is_err() && upper.lstat(&dir).is_err() {
                parents.push(dir.clone());
            }
            if upper.lstat(&dir).is_err() {
                upper.create_dir(&dir, 0o755).map_err(|e| format!("mount {target}: {e}"))?;
            }
        }
        let mut cache = None;
        match m.kind.as_str() {
            "secret" => {
                let id = option(m, "id").or(m.source.as_deref()).unwrap_or_else(|| target.rsplit('/').next().unwrap_or(""));
                match sources.secrets.iter().find(|(i, _)| i == id) {
                    Some((_, value)) => {
                        upper.write(&target, value).map_err(|e| format!("secret {id}: {e}"))?;
                        let mode = option(m, "mode").and_then(|v| u32::from_str_radix(v, 8).ok()).unwrap_or(0o400);
                        let _ = upper.set_mode(&target, mode);
                    }
                    None if option(m, "required") == Some("true") => return Err(format!("secret {id}: not found")),
                    None => {}
                }
            }
            kind => {
                upper.write(&format!("{target}/{OPAQUE_MARKER}"), b"").map_err(|e| format!("mount {target}: {e}"))?;
                match kind {
                    "cache" => {
                        let id = cache_id(m, &target);
                        if let Some(tar) = sources.caches.get(&id) {
                            let mut fs = MemoryFs::new();
                            unpack(tar, &mut fs).map_err(|e| format!("cache mount {id}: {e}"))?;
                            for e in fs.read_dir("/").map_err(|e| e.to_string())? {
                                copy_tree(&fs, &format!("/{}", e.name), upper, &format!("{target}/{}", e.name)).map_err(|e| format!("cache mount {id}: {e}"))?;
                            }
                        }
                        cache = Some(id);
                    }
                    "bind" => {
                        let from = binds.next().ok_or("bind mount without a source")?;
                        let source = crate::vfs::normalize(m.source.as_deref().unwrap_or("/"));
                        let meta = from.lstat(&source).map_err(|_| format!("failed to compute cache key: \"{source}\": not found"))?;
                        if meta.is_dir() {
                            for e in from.read_dir(&source).map_err(|e| e.to_string())? {
                                let src = if source == "/" { format!("/{}", e.name) } else { format!("{source}/{}", e.name) };
                                copy_tree(from.as_ref(), &src, upper, &format!("{target}/{}", e.name)).map_err(|e| format!("bind mount {target}: {e}"))?;
                            }
                        } else {
                            return Err(format!("bind mount of the file {source}: only directories are supported"));
                        }
                    }
                    "tmpfs" => {}
                    other => return Err(format!("unsupported mount type \"{other}\"")),
                }
            }
        }
        made.push(Made { target, cache, existed, parents, file });
    }
    Ok(made)
}

/// Removes what is at `path` in `fs`, directories and all.
fn remove_all(fs: &mut MemoryFs, path: &str) {
    let Ok(meta) = fs.lstat(path) else { return };
    if meta.is_dir() {
        let mut entries = walk(fs, path).unwrap_or_default();
        entries.reverse();
        for (rel, m) in entries {
            let p = format!("{path}/{rel}");
            let _ = if m.is_dir() { fs.remove_dir(&p) } else { fs.remove_file(&p) };
        }
        let _ = fs.remove_dir(path);
    } else {
        let _ = fs.remove_file(path);
    }
}

/// Takes the mounts out of `upper` after the step; the caches to keep, as (id, layer tar).
pub fn take_out(upper: &mut MemoryFs, made: Vec<Made>) -> Vec<(String, Vec<u8>)> {
    let mut keep = Vec::new();
    for m in made.into_iter().rev() {
        if let Some(id) = &m.cache {
            let mut fs = MemoryFs::new();
            for (rel, meta) in walk(upper, &m.target).unwrap_or_default() {
                if rel.rsplit('/').next().is_some_and(|n| n.starts_with(WHITEOUT_PREFIX)) {
                    continue;
                }
                let _ = if meta.is_dir() { fs.create_dir_all(&format!("/{rel}"), meta.mode & 0o7777) } else { copy_tree(upper, &format!("{}/{rel}", m.target), &mut fs, &format!("/{rel}")) };
            }
            if let Ok(blob) = layer_of(&fs, &LayerOptions::default()) {
                if let Ok(tar) = crate::image::archive::gunzip_if_needed(blob.data) {
                    keep.push((id.clone(), tar));
                }
            }
        }
        remove_all(upper, &m.target);
        if !m.existed && !m.file {
            // The mount point stays, as BuildKit leaves it.
            let _ = upper.create_dir(&m.target, 0o755);
        }
        if m.file {
            // A secret's directories go with it where the image had none.
            for p in m.parents.iter().rev() {
                if upper.read_dir(p).is_ok_and(|e| e.is_empty()) {
                    let _ = upper.remove_dir(p);
                }
            }
        }
    }
    keep
}
