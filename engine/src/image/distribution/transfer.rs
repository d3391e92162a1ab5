//! `pull` and `push` of a whole image between a registry and the image store, with the
//! lines Docker prints for them (its non-terminal form).

use super::{concurrently, is_index, layer_supported, select, Client, Error, Platform, Remote};
use crate::image::digest::Digest;
use crate::image::layer::LayerBlob;
use crate::image::oci::{ImageConfig, Manifest};
use crate::image::store::{familiar, ImageStore, StoreError};

/// One transfer to run beside others.
type Job<'a, T> = Box<dyn FnOnce() -> Result<T, Error> + Send + 'a>;

/// What a pull brought.
pub struct PulledImage {
    pub id: Digest,
    /// The digest the reference resolved to (an index's where it was one).
    pub digest: Digest,
    /// Per-layer lines (`a1b2c3d4e5f6: Pull complete`), in Docker's order.
    pub lines: Vec<String>,
    pub layers: Vec<(String, u64)>,
}

fn store_error(e: StoreError) -> Error {
    Error::Invalid(e.to_string())
}

/// Pulls `reference` (a tag or a digest) of `domain/repository` into the store, tagging
/// it `tag` (a full reference) where one is given.
pub fn pull_image(store: &mut ImageStore, remote: &dyn Remote, domain: &str, repository: &str, reference: &str, tag: Option<&str>, platform: &Platform) -> Result<PulledImage, Error> {
    let client = Client::new(remote, domain, repository, false);
    let shown = format!("{}{}{reference}", familiar(&format!("{domain}/{repository}")), if reference.contains(':') { "@" } else { ":" });
    let top = client.manifest(reference, &shown)?;
    let (manifest_bytes, digest) = if is_index(&top) {
        let (d, _) = select(&top.bytes, platform)?;
        let m = client.manifest(&d.to_string(), &shown)?;
        (m.bytes, top.digest.clone())
    } else {
        (top.bytes.clone(), top.digest.clone())
    };
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes).map_err(|e| Error::Invalid(format!("manifest for {shown}: {e}")))?;
    for l in &manifest.layers {
        layer_supported(&l.media_type)?;
    }
    let config_bytes = client.blob(&manifest.config.digest, manifest.config.size)?;
    let config: ImageConfig = serde_json::from_slice(&config_bytes).map_err(|e| Error::Invalid(format!("image config {}: {e}", manifest.config.digest)))?;
    if config.rootfs.diff_ids.len() != manifest.layers.len() {
        return Err(Error::Invalid(format!("image config {} lists {} layers and the manifest {}", manifest.config.digest, config.rootfs.diff_ids.len(), manifest.layers.len())));
    }
    let mut lines = Vec::new();
    let mut layers = Vec::new();
    let mut wanted = Vec::new();
    for l in &manifest.layers {
        let short = l.digest.short();
        layers.push((short.clone(), l.size));
        if store.has_layer(&l.digest) {
            lines.push(format!("{short}: Already exists"));
        } else {
            lines.push(format!("{short}: Pulling fs layer"));
            wanted.push(l.clone());
        }
    }
    // Each layer is fetched, checked against its digest, and unpacked far enough to
    // check its diff ID, beside the others.
    let client = &client;
    let jobs: Vec<Job<'_, LayerBlob>> = wanted
        .iter()
        .map(|l| {
            Box::new(move || {
                let data = client.blob(&l.digest, l.size)?;
                let tar = crate::image::archive::gunzip_if_needed(data.clone()).map_err(|e| Error::Invalid(format!("layer {}: {e}", l.digest)))?;
                let diff_id = Digest::of(&tar);
                let content_size = crate::image::layer::content_size(&tar);
                Ok(LayerBlob { digest: l.digest.clone(), diff_id, tar_size: tar.len() as u64, content_size, data })
            }) as Job<'_, LayerBlob>
        })
        .collect();
    let fetched = concurrently(jobs);
    let mut unpacked = Vec::new();
    for blob in fetched {
        let blob = blob?;
        let short = blob.digest.short();
        lines.push(format!("{short}: Verifying Checksum"));
        lines.push(format!("{short}: Download complete"));
        unpacked.push(blob);
    }
    for (i, l) in manifest.layers.iter().enumerate() {
        let Some(blob) = unpacked.iter().find(|b| b.digest == l.digest) else { continue };
        if config.rootfs.diff_ids.get(i) != Some(&blob.diff_id) {
            return Err(Error::Invalid(format!("layer {} does not match the diff ID in the image config ({})", l.digest, blob.diff_id)));
        }
        lines.push(format!("{}: Pull complete", l.digest.short()));
    }
    let repo_digest = format!("{}@{digest}", familiar(&format!("{domain}/{repository}")));
    let id = store.add_pulled(&manifest_bytes, &config_bytes, &unpacked, tag, &repo_digest).map_err(store_error)?;
    Ok(PulledImage { id, digest, lines, layers })
}

/// What a push sent: a line per layer, top first, and the manifest's digest and size.
pub struct PushedImage {
    pub lines: Vec<String>,
    pub digest: Digest,
    pub size: u64,
}

/// Pushes the image `name` resolves to as `domain/repository:tag`.
pub fn push_image(store: &ImageStore, remote: &dyn Remote, name: &str, domain: &str, repository: &str, tag: &str) -> Result<PushedImage, Error> {
    let record = store.resolve(name).ok_or_else(|| Error::Invalid(format!("An image does not exist locally with the tag: {name}")))?.clone();
    let (manifest_bytes, media_type) = store.manifest_bytes(&record).map_err(store_error)?;
    let manifest: Manifest = serde_json::from_slice(&manifest_bytes).map_err(|e| Error::Invalid(e.to_string()))?;
    // A blob this image was pulled with from another repository of the same registry can
    // be mounted from there instead of sent again.
    let from = record.repo_digest.as_deref().and_then(|r| r.split_once('@')).and_then(|(repo, _)| repo.strip_prefix(&format!("{domain}/"))).map(str::to_string).filter(|f| f != repository);
    let client = Client::new(remote, domain, repository, true);
    let client = &client;
    let blobs: Vec<(Digest, Vec<u8>)> = manifest.layers.iter().rev().map(|l| Ok((l.digest.clone(), store.blob(&l.digest).map_err(store_error)?))).collect::<Result<_, Error>>()?;
    let mut jobs: Vec<Job<'_, String>> = Vec::new();
    for (digest, data) in &blobs {
        let from = from.clone();
        jobs.push(Box::new(move || {
            let short = digest.short();
            if client.has_blob(digest)? {
                return Ok(format!("{short}: Layer already exists"));
            }
            Ok(match client.put_blob(digest, data, from.as_deref())? {
                true => format!("{short}: Mounted from {}", from.unwrap_or_default()),
                false => format!("{short}: Pushed"),
            })
        }));
    }
    let mut lines = Vec::new();
    for r in concurrently(jobs) {
        lines.push(r?);
    }
    if !client.has_blob(&manifest.config.digest)? {
        client.put_blob(&manifest.config.digest, &store.blob(&manifest.config.digest).map_err(store_error)?, None)?;
    }
    let digest = client.put_manifest(tag, &manifest_bytes, &media_type)?;
    Ok(PushedImage { lines, digest, size: manifest_bytes.len() as u64 })
}
