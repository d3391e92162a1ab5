//! `docker save` / `docker load` archives. Berth writes what Docker 25 writes: an OCI image
//! layout (`oci-layout`, `index.json`, `blobs/sha256/…`) that also carries the classic
//! `manifest.json` and `repositories`, so both `docker load` and `podman load` accept it.
//! It reads classic docker-archive tars (`<id>.json`, `<layer>/layer.tar`) and OCI layouts.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use serde::{Deserialize, Serialize};

use super::digest::Digest;
use super::layer::{compress, LayerBlob, LayerOptions};
use super::oci::{self, Descriptor, ImageConfig, Index, Manifest};
use super::store::{familiar, ImageStore, StoreError};

#[derive(Debug, Serialize, Deserialize)]
struct ArchiveManifest {
    #[serde(rename = "Config")]
    config: String,
    #[serde(rename = "RepoTags", default)]
    repo_tags: Option<Vec<String>>,
    #[serde(rename = "Layers")]
    layers: Vec<String>,
}

/// Inflates gzip data, at most [`super::layer::MAX_BYTES`] of it (a gzip bomb is refused,
/// not inflated).
pub fn gunzip_if_needed(data: Vec<u8>) -> std::io::Result<Vec<u8>> {
    if data.starts_with(&[0x1f, 0x8b]) {
        let limit = super::layer::MAX_BYTES;
        let mut out = Vec::new();
        flate2::read::MultiGzDecoder::new(&data[..]).take(limit + 1).read_to_end(&mut out)?;
        if out.len() as u64 > limit {
            return Err(std::io::Error::other(format!("gzip data inflates to more than the {limit} bytes this engine can hold")));
        }
        Ok(out)
    } else {
        Ok(data)
    }
}

fn append(builder: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]) -> Result<(), StoreError> {
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    builder.append_data(&mut header, path, data).map_err(|e| StoreError::Storage(e.to_string()))
}

/// `docker save NAME...`: one tar with every named image.
pub fn save(store: &ImageStore, names: &[String]) -> Result<Vec<u8>, StoreError> {
    let mut builder = tar::Builder::new(Vec::new());
    let mut written: std::collections::HashSet<Digest> = std::collections::HashSet::new();
    let mut classic = Vec::new();
    let mut repositories: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    let mut index = Vec::new();
    for name in names {
        let record = store.resolve(name).ok_or_else(|| StoreError::NotFound(name.clone()))?.clone();
        let manifest = store.manifest(&record)?;
        let mut config = store.config(&record.id)?;
        // Catalog layers are written out as synthesised; their diff IDs then describe the
        // real tars, so such an image gets a new ID in the archive.
        let mut layer_tars: Vec<Vec<u8>> = Vec::new();
        let mut rewritten = false;
        for (i, l) in manifest.layers.iter().enumerate() {
            let tar = match store.synthetic_layer(&l.digest) {
                Some((kind, size)) => {
                    let fs = super::catalog::synthesize(kind, *size);
                    let tar = super::layer::tar_of(&fs, &LayerOptions::portable())?;
                    if let Some(d) = config.rootfs.diff_ids.get_mut(i) {
                        *d = Digest::of(&tar);
                    }
                    rewritten = true;
                    tar
                }
                None => {
                    let tar = gunzip_if_needed(store.blob(&l.digest)?).map_err(|e| StoreError::Storage(e.to_string()))?;
                    // A built layer with modelled files: every byte written out, so other
                    // tools read it; its diff ID changes as a catalog layer's does.
                    if super::layer::has_modelled(&tar) {
                        let mut fs = crate::vfs::MemoryFs::new();
                        super::layer::unpack(&tar, &mut fs)?;
                        let tar = super::layer::tar_of(&fs, &LayerOptions::portable())?;
                        if let Some(d) = config.rootfs.diff_ids.get_mut(i) {
                            *d = Digest::of(&tar);
                        }
                        rewritten = true;
                        tar
                    } else {
                        tar
                    }
                }
            };
            layer_tars.push(tar);
        }
        let config_bytes = if rewritten { config.to_bytes() } else { store.blob(&record.id)? };
        let config_digest = Digest::of(&config_bytes);
        let mut blob = |d: &Digest, data: &[u8], builder: &mut tar::Builder<Vec<u8>>| -> Result<String, StoreError> {
            let path = format!("blobs/sha256/{}", d.hex());
            if written.insert(d.clone()) {
                append(builder, &path, data)?;
            }
            Ok(path)
        };
        let config_path = blob(&config_digest, &config_bytes, &mut builder)?;
        // Layers go in uncompressed, addressed by their diff ID, as Docker saves them.
        let mut layer_paths = Vec::new();
        let mut layer_descriptors = Vec::new();
        for (tar, diff_id) in layer_tars.iter().zip(&config.rootfs.diff_ids) {
            layer_paths.push(blob(diff_id, tar, &mut builder)?);
            layer_descriptors.push(Descriptor { media_type: oci::MEDIA_TYPE_LAYER_TAR.into(), digest: diff_id.clone(), size: tar.len() as u64, annotations: BTreeMap::new() });
        }
        let saved_manifest = Manifest {
            schema_version: 2,
            media_type: Some(oci::MEDIA_TYPE_MANIFEST.into()),
            config: Descriptor { media_type: oci::MEDIA_TYPE_CONFIG.into(), digest: config_digest.clone(), size: config_bytes.len() as u64, annotations: BTreeMap::new() },
            layers: layer_descriptors,
        };
        let manifest_bytes = serde_json::to_vec(&saved_manifest).unwrap_or_default();
        let manifest_digest = Digest::of(&manifest_bytes);
        blob(&manifest_digest, &manifest_bytes, &mut builder)?;
        // A name given as a tag saves that tag; an ID saves every tag of the image.
        let tags: Vec<String> = match super::store::normalize(name) {
            Ok(full) if record.tags.contains(&full) => vec![full],
            _ => record.tags.clone(),
        };
        for t in &tags {
            let short = familiar(t);
            if let Some((repo, tag)) = short.rsplit_once(':') {
                repositories.entry(repo.to_string()).or_default().insert(tag.to_string(), config.rootfs.diff_ids.last().map(Digest::hex).unwrap_or_default());
            }
            let mut annotations = BTreeMap::new();
            annotations.insert("io.containerd.image.name".to_string(), t.clone());
            annotations.insert("org.opencontainers.image.ref.name".to_string(), t.rsplit_once(':').map_or("latest", |(_, x)| x).to_string());
            index.push(Descriptor { media_type: oci::MEDIA_TYPE_MANIFEST.into(), digest: manifest_digest.clone(), size: manifest_bytes.len() as u64, annotations });
        }
        if tags.is_empty() {
            index.push(Descriptor { media_type: oci::MEDIA_TYPE_MANIFEST.into(), digest: manifest_digest.clone(), size: manifest_bytes.len() as u64, annotations: BTreeMap::new() });
        }
        classic.push(ArchiveManifest { config: config_path, repo_tags: Some(tags.iter().map(|t| familiar(t)).collect()), layers: layer_paths });
    }
    append(&mut builder, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#)?;
    let index = Index { schema_version: 2, media_type: Some(oci::MEDIA_TYPE_INDEX.into()), manifests: index };
    append(&mut builder, "index.json", &serde_json::to_vec(&index).unwrap_or_default())?;
    append(&mut builder, "manifest.json", &serde_json::to_vec(&classic).unwrap_or_default())?;
    if !repositories.is_empty() {
        append(&mut builder, "repositories", &serde_json::to_vec(&repositories).unwrap_or_default())?;
    }
    builder.into_inner().map_err(|e| StoreError::Storage(e.to_string()))
}

fn read_entries(archive: &[u8]) -> Result<HashMap<String, Vec<u8>>, StoreError> {
    let data = gunzip_if_needed(archive.to_vec()).map_err(|e| StoreError::Document(format!("not a tar archive: {e}")))?;
    let mut files = HashMap::new();
    let mut tar = tar::Archive::new(&data[..]);
    let invalid = |_| StoreError::Document("archive/tar: invalid tar header".into());
    let entries = tar.entries().map_err(invalid)?;
    for entry in entries {
        let mut entry = entry.map_err(invalid)?;
        if entry.header().entry_type() != tar::EntryType::Regular {
            continue;
        }
        let path = String::from_utf8_lossy(&entry.path_bytes()).trim_start_matches("./").to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).map_err(|e| StoreError::Document(e.to_string()))?;
        files.insert(path, bytes);
    }
    Ok(files)
}

/// An image read from an archive: config bytes, layer blobs, tags.
type Loaded = (Vec<u8>, Vec<Vec<u8>>, Vec<String>);

/// `docker load`: adds every image in the archive and returns Docker's lines
/// (`Loaded image: x:y`, or `Loaded image ID: sha256:…` for an untagged image).
pub fn load(store: &mut ImageStore, archive: &[u8], created: &str) -> Result<Vec<String>, StoreError> {
    let files = read_entries(archive)?;
    // A blob named by its digest must be what the digest says.
    let get = |p: &str| {
        let data = files.get(p).cloned().ok_or_else(|| StoreError::Document(format!("archive is missing {p}")))?;
        match p.strip_prefix("blobs/sha256/").and_then(|hex| Digest::parse(&format!("sha256:{hex}"))) {
            Some(d) => super::store::verified(&d, data),
            None => Ok(data),
        }
    };
    let mut images: Vec<Loaded> = Vec::new();
    if let Some(manifest) = files.get("manifest.json") {
        let entries: Vec<ArchiveManifest> = serde_json::from_slice(manifest).map_err(|e| StoreError::Document(format!("manifest.json: {e}")))?;
        for m in entries {
            let layers = m.layers.iter().map(|p| get(p)).collect::<Result<Vec<_>, _>>()?;
            images.push((get(&m.config)?, layers, m.repo_tags.unwrap_or_default()));
        }
    } else if let Some(index) = files.get("index.json") {
        let index: Index = serde_json::from_slice(index).map_err(|e| StoreError::Document(format!("index.json: {e}")))?;
        let blob = |d: &Digest| get(&format!("blobs/sha256/{}", d.hex()));
        let mut by_manifest: Vec<(Digest, Vec<String>)> = Vec::new();
        for desc in &index.manifests {
            let name = desc.annotations.get("io.containerd.image.name").cloned().or_else(|| desc.annotations.get("org.opencontainers.image.ref.name").filter(|n| n.contains([':', '/'])).cloned());
            match by_manifest.iter_mut().find(|(d, _)| *d == desc.digest) {
                Some((_, names)) => names.extend(name),
                None => by_manifest.push((desc.digest.clone(), name.into_iter().collect())),
            }
        }
        for (digest, names) in by_manifest {
            let manifest: Manifest = serde_json::from_slice(&blob(&digest)?).map_err(|e| StoreError::Document(format!("manifest {digest}: {e}")))?;
            let layers = manifest.layers.iter().map(|l| blob(&l.digest)).collect::<Result<Vec<_>, _>>()?;
            images.push((blob(&manifest.config.digest)?, layers, names));
        }
    } else {
        return Err(StoreError::Document("archive has neither manifest.json nor index.json: not a docker save or OCI archive".into()));
    }
    let mut out = Vec::new();
    for (config_bytes, layers, tags) in images {
        let config: ImageConfig = serde_json::from_slice(&config_bytes).map_err(|e| StoreError::Document(format!("image config: {e}")))?;
        let mut blobs: Vec<LayerBlob> = Vec::new();
        for (i, layer) in layers.into_iter().enumerate() {
            let tar = gunzip_if_needed(layer).map_err(|e| StoreError::Document(e.to_string()))?;
            let blob = compress(tar, &LayerOptions::default());
            if config.rootfs.diff_ids.get(i) != Some(&blob.diff_id) {
                return Err(StoreError::Document(format!("layer {i} does not match the diff ID in the image config")));
            }
            blobs.push(blob);
        }
        // Keep the config bytes as they were so the image ID stays the same.
        let id = store.add_with_config_bytes(&config_bytes, &blobs, &tags, created)?;
        if tags.is_empty() {
            out.push(format!("Loaded image ID: {id}"));
        }
        for t in tags {
            out.push(format!("Loaded image: {}", familiar(&super::store::normalize(&t).unwrap_or(t))));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::layer::layer_of;
    use crate::vfs::{FileSystem, MemoryFs};

    fn store_with_image() -> (ImageStore, Digest) {
        let mut store = ImageStore::in_memory();
        let mut fs = MemoryFs::new();
        fs.create_dir("/app", 0o755).unwrap();
        fs.write("/app/model.txt", b"weights").unwrap();
        let blob = layer_of(&fs, &LayerOptions::default()).unwrap();
        let mut config = ImageConfig::empty();
        config.rootfs.diff_ids.push(blob.diff_id.clone());
        config.config.cmd = Some(vec!["python".into(), "app.py".into()]);
        let id = store.add(&config, &[blob], &["trainer:v1".to_string()], "2026-01-01T00:00:00Z").unwrap();
        (store, id)
    }

    #[test]
    fn save_then_load_gives_the_same_image() {
        let (store, id) = store_with_image();
        let archive = save(&store, &["trainer:v1".into()]).unwrap();
        let files = read_entries(&archive).unwrap();
        for f in ["manifest.json", "index.json", "oci-layout", "repositories", &format!("blobs/sha256/{}", id.hex())] {
            assert!(files.contains_key(f), "{f} missing");
        }
        let mut other = ImageStore::in_memory();
        assert_eq!(load(&mut other, &archive, "now").unwrap(), ["Loaded image: trainer:v1"]);
        let record = other.resolve("trainer:v1").unwrap().clone();
        assert_eq!(record.id, id);
        assert_eq!(other.layers(&record.id).unwrap()[0].read("/app/model.txt").unwrap(), b"weights");
    }

    #[test]
    fn loads_a_classic_docker_archive_and_an_oci_layout() {
        let (store, id) = store_with_image();
        let config = store.blob(&id).unwrap();
        let record = store.resolve("trainer:v1").unwrap().clone();
        let layer_gz = store.blob(&store.manifest(&record).unwrap().layers[0].digest).unwrap();
        let layer_tar = gunzip_if_needed(layer_gz.clone()).unwrap();
        // The layout `docker save` wrote before Docker 25.
        let mut b = tar::Builder::new(Vec::new());
        append(&mut b, &format!("{}.json", id.hex()), &config).unwrap();
        append(&mut b, "abc123/layer.tar", &layer_tar).unwrap();
        append(&mut b, "abc123/VERSION", b"1.0").unwrap();
        let manifest = format!(r#"[{{"Config":"{}.json","RepoTags":["trainer:old"],"Layers":["abc123/layer.tar"]}}]"#, id.hex());
        append(&mut b, "manifest.json", manifest.as_bytes()).unwrap();
        let mut s = ImageStore::in_memory();
        assert_eq!(load(&mut s, &b.into_inner().unwrap(), "now").unwrap(), ["Loaded image: trainer:old"]);
        assert_eq!(s.resolve("trainer:old").unwrap().id, id);

        // An OCI layout as `podman save --format oci-archive` writes it (compressed layer).
        let mut b = tar::Builder::new(Vec::new());
        let manifest = store.blob(&record.manifest).unwrap();
        let layer_digest = Digest::of(&layer_gz);
        append(&mut b, &format!("blobs/sha256/{}", id.hex()), &config).unwrap();
        append(&mut b, &format!("blobs/sha256/{}", layer_digest.hex()), &layer_gz).unwrap();
        append(&mut b, &format!("blobs/sha256/{}", record.manifest.hex()), &manifest).unwrap();
        let index = format!(r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","size":{},"annotations":{{"org.opencontainers.image.ref.name":"localhost/trainer:oci"}}}}]}}"#, record.manifest, manifest.len());
        append(&mut b, "index.json", index.as_bytes()).unwrap();
        append(&mut b, "oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
        let mut s = ImageStore::in_memory();
        assert_eq!(load(&mut s, &b.into_inner().unwrap(), "now").unwrap(), ["Loaded image: localhost/trainer:oci"]);
    }

    #[test]
    fn blobs_that_are_not_what_their_digest_says_are_refused() {
        let (store, id) = store_with_image();
        let record = store.resolve("trainer:v1").unwrap().clone();
        let manifest = store.blob(&record.manifest).unwrap();
        let layer_gz = store.blob(&store.manifest(&record).unwrap().layers[0].digest).unwrap();
        // A config swapped under the original config's name (another command to run).
        let forged = String::from_utf8(store.blob(&id).unwrap()).unwrap().replace("app.py", "evil.py");
        let mut b = tar::Builder::new(Vec::new());
        append(&mut b, &format!("blobs/sha256/{}", id.hex()), forged.as_bytes()).unwrap();
        append(&mut b, &format!("blobs/sha256/{}", Digest::of(&layer_gz).hex()), &layer_gz).unwrap();
        append(&mut b, &format!("blobs/sha256/{}", record.manifest.hex()), &manifest).unwrap();
        let index = format!(r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","size":{}}}]}}"#, record.manifest, manifest.len());
        append(&mut b, "index.json", index.as_bytes()).unwrap();
        let mut s = ImageStore::in_memory();
        let err = load(&mut s, &b.into_inner().unwrap(), "now").unwrap_err().to_string();
        assert_eq!(err, format!("failed to verify {id}: unexpected commit digest {}, expected {id}: failed precondition", Digest::of(forged.as_bytes())));
        assert_eq!(s.images().count(), 0);
    }

    #[test]
    fn rejects_what_is_not_an_image_archive() {
        let mut b = tar::Builder::new(Vec::new());
        append(&mut b, "hello.txt", b"hi").unwrap();
        let err = load(&mut ImageStore::in_memory(), &b.into_inner().unwrap(), "now").unwrap_err();
        assert!(err.to_string().contains("neither manifest.json nor index.json"));
    }
}
