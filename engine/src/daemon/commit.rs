//! `docker diff` and `docker commit` (moby's `daemon/changes.go`, `commit.go`): what a
//! container's writable layer changed over its image, and that layer as a new image.

use super::EngineError;
use crate::image::digest::Digest;
use crate::image::ImageStore;
use crate::runtime::Containers;
use crate::vfs::{walk, FileSystem, MemoryFs};

/// One change a container made: `A` added, `C` changed, `D` deleted, and the path.
pub type Change = (char, String);

/// The changes of the container `key` names, sorted by path as Docker lists them.
pub fn diff(store: &mut ImageStore, containers: &Containers, key: &str) -> Result<Vec<Change>, EngineError> {
    let c = containers.find(key).cloned().ok_or_else(|| EngineError::NotFound(key.to_string()))?;
    let layers = store.layers(&c.image_id).map_err(|e| EngineError::Image(e.to_string()))?;
    let lower = crate::vfs::OverlayFs::new(layers, MemoryFs::new());
    let upper = containers.upper(&c.id).map_err(EngineError::State)?;
    let mut changes = Vec::new();
    for (rel, _) in walk::walk(&upper, "/").unwrap_or_default() {
        let path = format!("/{rel}");
        let (parent, base) = crate::vfs::split_parent(&path).unwrap_or_default();
        if base == ".wh..wh..opq" {
            continue;
        }
        if let Some(gone) = base.strip_prefix(".wh.") {
            changes.push(('D', crate::vfs::join(&parent, gone)));
        } else if lower.lstat(&path).is_ok() {
            changes.push(('C', path));
        } else {
            changes.push(('A', path));
        }
    }
    changes.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(changes)
}

/// `commit`'s options.
#[derive(Debug, Clone, Default)]
pub struct CommitOptions {
    /// `-m`: the history entry's comment.
    pub message: Option<String>,
    /// `REPOSITORY[:TAG]`.
    pub tag: Option<String>,
    /// `-a`: the image's author.
    pub author: Option<String>,
    /// `-c`: Dockerfile instructions applied to the image's config, as `import -c`.
    pub changes: Vec<String>,
}

/// The container `key` names as a new image: its writable layer on top of its image's,
/// its command as CMD and its environment as ENV. `now` is seconds since the epoch.
pub fn commit(store: &mut ImageStore, containers: &Containers, key: &str, o: &CommitOptions, now: i64) -> Result<Digest, EngineError> {
    let c = containers.find(key).cloned().ok_or_else(|| EngineError::NotFound(key.to_string()))?;
    let record = store.record(&c.image_id).cloned().ok_or_else(|| EngineError::Image(format!("No such image: {}", c.image)))?;
    let mut config = store.config(&c.image_id).map_err(|e| EngineError::Image(e.to_string()))?;
    let mut layers: Vec<_> = store.manifest(&record).map(|m| m.layers.into_iter().map(|l| l.digest).collect()).unwrap_or_default();
    let upper = containers.upper(&c.id).map_err(EngineError::State)?;
    let blob = crate::image::layer::layer_of(&upper, &crate::image::layer::LayerOptions::default()).map_err(|e| EngineError::Image(e.to_string()))?;
    layers.push(store.put_layer(&blob, std::sync::Arc::new(upper)));
    config.rootfs.diff_ids.push(blob.diff_id.clone());
    let entrypoint = config.config.entrypoint.clone().unwrap_or_default();
    config.config.cmd = Some(if c.argv.starts_with(&entrypoint) { c.argv[entrypoint.len()..].to_vec() } else { c.argv.clone() });
    config.config.env = c.env.clone();
    super::import::apply_changes(&mut config, &o.changes)?;
    if o.author.is_some() {
        config.author = o.author.clone();
    }
    let created = crate::time::rfc3339(now);
    config.created = Some(created.clone());
    config.history.push(crate::image::oci::History { created: Some(created.clone()), created_by: Some(c.argv.join(" ")), comment: o.message.clone(), empty_layer: false });
    let tags: Vec<String> = o.tag.clone().into_iter().collect();
    store.add_built(&config, &layers, &tags, &created).map_err(|e| EngineError::Image(e.to_string()))
}
