//! The image store: blobs by digest, images by ID (the digest of their config), tags,
//! and the unpacked layers containers are built from. It persists through a [`Storage`]
//! as an OCI image layout (`oci-layout`, `index.json`, `blobs/sha256/…`) plus Berth's
//! metadata (`berth/images.json`); every write is atomic.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::catalog::{CatalogImage, LayerCache};
use super::digest::Digest;
use super::layer::{self, LayerBlob, LayerError};
use super::oci::{self, Descriptor, ImageConfig, Index, Manifest};
use crate::reference::Reference;
use crate::vfs::MemoryFs;

/// Whether `key` stays inside the storage: relative, `/`-separated, no empty, `.` or
/// `..` component and no NUL. Every [`Storage`] refuses other keys, so a name that
/// reaches a key unvalidated (`volume create a/../../x`) cannot leave `$BERTH_ROOT`.
pub fn valid_key(key: &str) -> bool {
    !key.is_empty() && !key.contains('\0') && !key.contains('\\') && key.split('/').all(|c| !c.is_empty() && c != "." && c != "..")
}

fn refuse(key: &str) -> String {
    format!("invalid storage key {key:?}: keys are relative paths without '..'")
}

/// Where the store keeps its files: a key-value view of a directory.
pub trait Storage {
    fn read(&self, key: &str) -> Option<Vec<u8>>;
    /// Replaces `key` atomically: a crash leaves the old or the new content, never half.
    fn write(&mut self, key: &str, data: &[u8]) -> Result<(), String>;
    fn remove(&mut self, key: &str);
    /// Adds `data` at the end of `key` (a journal): cheaper than [`Storage::write`], and
    /// not synced to the disk (a power cut may lose the last lines, never what a
    /// `write` saved).
    fn append(&mut self, key: &str, data: &[u8]) -> Result<(), String> {
        let mut all = self.read(key).unwrap_or_default();
        all.extend_from_slice(data);
        self.write(key, &all)
    }
    /// Removes what interrupted writes left behind (a crash or a full disk between
    /// writing a temporary file and renaming it into place); returns how many files
    /// and bytes it freed. `system prune` calls it.
    fn reclaim(&mut self) -> (usize, u64) {
        (0, 0)
    }
}

/// Storage in memory (the browser before persistence, tests).
#[derive(Debug, Default, Clone)]
pub struct MemoryStorage {
    pub files: BTreeMap<String, Vec<u8>>,
    /// Keys written or removed since [`SharedStorage::take_changes`], for a front end
    /// that persists the state elsewhere (IndexedDB).
    pub changed: std::collections::BTreeSet<String>,
}

impl Storage for MemoryStorage {
    fn read(&self, key: &str) -> Option<Vec<u8>> {
        self.files.get(key).cloned()
    }

    fn write(&mut self, key: &str, data: &[u8]) -> Result<(), String> {
        if !valid_key(key) {
            return Err(refuse(key));
        }
        if self.files.get(key).map(Vec::as_slice) != Some(data) {
            self.files.insert(key.to_string(), data.to_vec());
            self.changed.insert(key.to_string());
        }
        Ok(())
    }

    fn remove(&mut self, key: &str) {
        if self.files.remove(key).is_some() {
            self.changed.insert(key.to_string());
        }
    }
}

/// Storage in memory that several handles share (one engine session in a browser tab,
/// or a test that runs several commands).
#[derive(Debug, Default, Clone)]
pub struct SharedStorage(pub std::sync::Arc<std::sync::Mutex<MemoryStorage>>);

impl SharedStorage {
    /// The keys written or removed since the last call.
    pub fn take_changes(&self) -> Vec<String> {
        self.0.lock().map(|mut s| std::mem::take(&mut s.changed).into_iter().collect()).unwrap_or_default()
    }
}

impl Storage for SharedStorage {
    fn read(&self, key: &str) -> Option<Vec<u8>> {
        self.0.lock().ok()?.read(key)
    }

    fn write(&mut self, key: &str, data: &[u8]) -> Result<(), String> {
        self.0.lock().map_err(|_| "storage lock poisoned".to_string())?.write(key, data)
    }

    fn remove(&mut self, key: &str) {
        if let Ok(mut s) = self.0.lock() {
            s.remove(key);
        }
    }

    fn append(&mut self, key: &str, data: &[u8]) -> Result<(), String> {
        self.0.lock().map_err(|_| "storage lock poisoned".to_string())?.append(key, data)
    }
}

/// How the temporary files of [`DirStorage::write`] start: `.tmp-<pid>-<key>`.
const TMP_PREFIX: &str = ".tmp-";

/// Whether the temporary file named `<pid>-<key>` (after its prefix) was left by a
/// process that is gone: one that is still writing must keep it.
fn abandoned(rest: &str) -> bool {
    let Some(pid) = rest.split('-').next().and_then(|p| p.parse::<u32>().ok()) else { return true };
    if pid == std::process::id() {
        return false;
    }
    // Where there is no /proc to ask, every other process's file counts as abandoned
    // (prune is not run while another berth writes).
    !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// Storage in a host directory (`BERTH_ROOT`) for the native CLI: writes go to a
/// temporary file that is renamed into place.
#[derive(Debug, Clone)]
pub struct DirStorage {
    root: std::path::PathBuf,
}

impl DirStorage {
    pub fn new(root: impl Into<std::path::PathBuf>) -> DirStorage {
        DirStorage { root: root.into() }
    }
}

impl Storage for DirStorage {
    fn read(&self, key: &str) -> Option<Vec<u8>> {
        if !valid_key(key) {
            return None;
        }
        std::fs::read(self.root.join(key)).ok()
    }

    fn write(&mut self, key: &str, data: &[u8]) -> Result<(), String> {
        if !valid_key(key) {
            return Err(refuse(key));
        }
        let path = self.root.join(key);
        let dir = path.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let tmp = dir.join(format!("{TMP_PREFIX}{}-{}", std::process::id(), key.replace('/', "_")));
        // The bytes reach the disk before the name does: a power cut leaves the old
        // content or the new, never an empty or partial file under the name. (The
        // directory is not synced: the newest rename may be lost, the old content kept.)
        let durable = |tmp: &std::path::Path| -> std::io::Result<()> {
            use std::io::Write;
            let mut f = std::fs::File::create(tmp)?;
            f.write_all(data)?;
            f.sync_data()
        };
        let written = durable(&tmp).map_err(|e| format!("{}: {e}", tmp.display())).and_then(|()| std::fs::rename(&tmp, &path).map_err(|e| format!("{}: {e}", path.display())));
        if written.is_err() {
            // A full disk leaves no partial file behind; the old content stays.
            let _ = std::fs::remove_file(&tmp);
        }
        written
    }

    fn append(&mut self, key: &str, data: &[u8]) -> Result<(), String> {
        use std::io::Write;
        if !valid_key(key) {
            return Err(refuse(key));
        }
        let path = self.root.join(key);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        f.write_all(data).map_err(|e| format!("{}: {e}", path.display()))
    }

    fn reclaim(&mut self) -> (usize, u64) {
        let (mut files, mut bytes) = (0, 0);
        let mut todo = vec![self.root.clone()];
        while let Some(dir) = todo.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let Ok(kind) = entry.file_type() else { continue };
                let name = entry.file_name().to_string_lossy().into_owned();
                if kind.is_dir() {
                    todo.push(entry.path());
                } else if kind.is_file() && name.strip_prefix(TMP_PREFIX).is_some_and(abandoned) {
                    let size = entry.metadata().map_or(0, |m| m.len());
                    if std::fs::remove_file(entry.path()).is_ok() {
                        files += 1;
                        bytes += size;
                    }
                }
            }
        }
        (files, bytes)
    }

    fn remove(&mut self, key: &str) {
        if valid_key(key) {
            let _ = std::fs::remove_file(self.root.join(key));
        }
    }
}

/// What Berth records about an image beyond its OCI documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageRecord {
    /// The digest of the config.
    pub id: Digest,
    pub manifest: Digest,
    /// Full references (`docker.io/library/python:3.11`).
    pub tags: Vec<String>,
    /// RFC 3339.
    pub created: String,
    /// Bytes of the unpacked layers, as `docker images` shows SIZE.
    pub size: u64,
    /// The digest the image was pulled by, if it was pulled.
    #[serde(default)]
    pub repo_digest: Option<String>,
}

/// `data` if its sha256 is `d`.
pub fn verified(d: &Digest, data: Vec<u8>) -> Result<Vec<u8>, StoreError> {
    let actual = Digest::of(&data);
    if actual == *d {
        Ok(data)
    } else {
        Err(StoreError::DigestMismatch { expected: d.clone(), actual })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Docker: `No such image: x`.
    #[error("No such image: {0}")]
    NotFound(String),
    #[error("invalid reference format: {0}")]
    Reference(String),
    #[error("conflict: unable to remove repository reference \"{reference}\" (must force) - container {container} is using its referenced image {image}")]
    InUse { reference: String, container: String, image: String },
    #[error("conflict: unable to delete {image} (cannot be forced) - image is being used by running container {container}")]
    InUseRunning { image: String, container: String },
    #[error("conflict: unable to delete {0} (must be forced) - image is referenced in multiple repositories")]
    MultipleTags(String),
    #[error("failed to write the image store: {0}")]
    Storage(String),
    #[error("blob {0} is missing from the store")]
    MissingBlob(Digest),
    /// containerd's wording for content that does not match its descriptor.
    #[error("failed to verify {expected}: unexpected commit digest {actual}, expected {expected}: failed precondition")]
    DigestMismatch { expected: Digest, actual: Digest },
    #[error(transparent)]
    Layer(#[from] LayerError),
    #[error("{0}")]
    Document(String),
}

/// Which container uses an image, for `rmi`: `(short container ID, running)`.
pub type InUse<'a> = &'a dyn Fn(&Digest) -> Option<(String, bool)>;

const IMAGES_KEY: &str = "berth/images.json";

/// A build step kept for the cache: the stage's layers and config after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheEntry {
    pub layers: Vec<Digest>,
    pub config: String,
}

/// What `berth/images.json` holds.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Metadata {
    images: BTreeMap<String, ImageRecord>,
    #[serde(default)]
    cache: BTreeMap<String, CacheEntry>,
    /// Catalog layers by blob digest: (kind, size). They are synthesised on use instead of
    /// being stored.
    #[serde(default)]
    synthetic: BTreeMap<String, (String, u64)>,
    #[serde(default)]
    registry: BTreeMap<String, RegistryEntry>,
}

/// An image pushed to the engine's own registry (`docker push`), by full reference. Its
/// blobs stay in the store, so `docker rmi` of the local copy does not lose it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryEntry {
    pub id: Digest,
    pub manifest: Digest,
    pub size: u64,
    pub created: String,
}

/// What `docker push` sent.
pub struct Pushed {
    /// Layers top first, and whether the registry already had each.
    pub layers: Vec<(Digest, bool)>,
    pub manifest: Digest,
    /// Bytes of the manifest.
    pub size: u64,
}

pub struct ImageStore {
    storage: Box<dyn Storage>,
    images: BTreeMap<String, ImageRecord>,
    cache: BTreeMap<String, CacheEntry>,
    synthetic: BTreeMap<String, (String, u64)>,
    registry: BTreeMap<String, RegistryEntry>,
    unpacked: HashMap<Digest, Arc<MemoryFs>>,
    /// diff ID and content size of layers made in this session.
    layer_sizes: HashMap<Digest, (Digest, u64)>,
    catalog_layers: LayerCache,
}

/// The normalised full reference for a name (`python` → `docker.io/library/python:latest`).
pub fn normalize(name: &str) -> Result<String, StoreError> {
    let r = Reference::parse(name).map_err(|e| StoreError::Reference(e.to_string()))?;
    let mut s = format!("{}/{}", r.domain, r.path);
    if let Some(t) = r.tag_or_latest() {
        s.push(':');
        s.push_str(t);
    }
    if let Some(d) = &r.digest {
        s.push('@');
        s.push_str(d);
    }
    Ok(s)
}

/// The short form Docker prints (`python:3.11`, `ghcr.io/org/app:1`).
pub fn familiar(full: &str) -> String {
    let rest = full.strip_prefix("docker.io/").unwrap_or(full);
    rest.strip_prefix("library/").unwrap_or(rest).to_string()
}

impl ImageStore {
    /// Opens the store kept in `storage` (empty if there is nothing yet).
    pub fn open(storage: Box<dyn Storage>) -> Result<ImageStore, StoreError> {
        let meta: Metadata = match storage.read(IMAGES_KEY) {
            Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| StoreError::Document(format!("{IMAGES_KEY}: {e}")))?,
            None => Metadata::default(),
        };
        Ok(ImageStore { storage, images: meta.images, cache: meta.cache, synthetic: meta.synthetic, registry: meta.registry, unpacked: HashMap::new(), layer_sizes: HashMap::new(), catalog_layers: LayerCache::default() })
    }

    pub fn in_memory() -> ImageStore {
        ImageStore {
            storage: Box::new(MemoryStorage::default()),
            images: BTreeMap::new(),
            cache: BTreeMap::new(),
            synthetic: BTreeMap::new(),
            registry: BTreeMap::new(),
            unpacked: HashMap::new(),
            layer_sizes: HashMap::new(),
            catalog_layers: LayerCache::default(),
        }
    }

    /// Whether the store has the layer blob `digest` (stored or synthesised).
    pub fn has_layer(&self, digest: &Digest) -> bool {
        self.synthetic.contains_key(&digest.hex()) || self.storage.read(&Self::blob_key(digest)).is_some()
    }

    /// The catalog layer behind a digest, if it is one: (kind, size).
    pub fn synthetic_layer(&self, digest: &Digest) -> Option<&(String, u64)> {
        self.synthetic.get(&digest.hex())
    }

    /// Adds a catalog image: its config and manifest are stored, its layers are recorded
    /// as recipes and synthesised when a container needs them.
    pub fn add_catalog(&mut self, image: &CatalogImage, created: &str) -> Result<(Digest, Digest), StoreError> {
        let config_bytes = image.config.to_bytes();
        let id = self.put_blob(&config_bytes)?;
        let layers: Vec<Descriptor> = image
            .layers
            .iter()
            .map(|l| Descriptor { media_type: oci::MEDIA_TYPE_LAYER_GZIP.into(), digest: l.digest.clone(), size: l.size, annotations: BTreeMap::new() })
            .collect();
        for l in &image.layers {
            self.synthetic.insert(l.digest.hex(), (l.kind.clone(), l.size));
        }
        let manifest = Manifest {
            schema_version: 2,
            media_type: Some(oci::MEDIA_TYPE_MANIFEST.into()),
            config: Descriptor { media_type: oci::MEDIA_TYPE_CONFIG.into(), digest: id.clone(), size: config_bytes.len() as u64, annotations: BTreeMap::new() },
            layers,
        };
        let manifest_digest = self.put_blob(&serde_json::to_vec(&manifest).unwrap_or_default())?;
        let tag = normalize(&format!("{}:{}", image.repository, image.tag))?;
        let record = self.images.entry(id.hex()).or_insert_with(|| ImageRecord {
            id: id.clone(),
            manifest: manifest_digest.clone(),
            tags: Vec::new(),
            created: created.to_string(),
            size: image.size,
            repo_digest: None,
        });
        record.repo_digest = Some(format!("{}@{manifest_digest}", image.repository));
        self.move_tag(&tag, &id);
        self.save()?;
        Ok((id, manifest_digest))
    }

    fn blob_key(d: &Digest) -> String {
        format!("blobs/sha256/{}", d.hex())
    }

    pub fn put_blob(&mut self, data: &[u8]) -> Result<Digest, StoreError> {
        let d = Digest::of(data);
        let key = Self::blob_key(&d);
        if self.storage.read(&key).is_none() {
            self.storage.write(&key, data).map_err(StoreError::Storage)?;
        }
        Ok(d)
    }

    /// The blob `d` names, verified: content whose sha256 is not `d` (a corrupt or
    /// substituted file) is refused.
    pub fn blob(&self, d: &Digest) -> Result<Vec<u8>, StoreError> {
        let data = self.storage.read(&Self::blob_key(d)).ok_or_else(|| StoreError::MissingBlob(d.clone()))?;
        verified(d, data)
    }

    pub fn images(&self) -> impl Iterator<Item = &ImageRecord> {
        self.images.values()
    }

    /// Images with no tag (`<none>:<none>`).
    pub fn dangling(&self) -> impl Iterator<Item = &ImageRecord> {
        self.images.values().filter(|r| r.tags.is_empty())
    }

    pub fn config(&self, id: &Digest) -> Result<ImageConfig, StoreError> {
        serde_json::from_slice(&self.blob(id)?).map_err(|e| StoreError::Document(e.to_string()))
    }

    pub fn manifest(&self, record: &ImageRecord) -> Result<Manifest, StoreError> {
        serde_json::from_slice(&self.blob(&record.manifest)?).map_err(|e| StoreError::Document(e.to_string()))
    }

    /// Finds an image by reference, full ID or ID prefix, as `docker` resolves names.
    pub fn resolve(&self, name: &str) -> Option<&ImageRecord> {
        let hex = name.strip_prefix("sha256:").unwrap_or(name);
        if hex.len() >= 4 && hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
            let matches: Vec<&ImageRecord> = self.images.values().filter(|r| r.id.hex().starts_with(hex)).collect();
            if matches.len() == 1 {
                return Some(matches[0]);
            }
        }
        let full = normalize(name).ok()?;
        self.images.values().find(|r| r.tags.contains(&full))
    }

    /// Adds an image from its config and compressed layers, tagging it with `tags`.
    /// Returns the image ID; adding the same image again only adds tags.
    pub fn add(&mut self, config: &ImageConfig, layers: &[LayerBlob], tags: &[String], created: &str) -> Result<Digest, StoreError> {
        self.add_with_config_bytes(&config.to_bytes(), layers, tags, created)
    }

    /// [`ImageStore::add`] with the config's exact bytes (a loaded image keeps its ID).
    pub fn add_with_config_bytes(&mut self, config_bytes: &[u8], layers: &[LayerBlob], tags: &[String], created: &str) -> Result<Digest, StoreError> {
        let id = self.put_blob(config_bytes)?;
        // `docker images` shows when the image was made, from its config.
        let created = serde_json::from_slice::<ImageConfig>(config_bytes).ok().and_then(|c| c.created).unwrap_or_else(|| created.to_string());
        let created = created.as_str();
        let mut descriptors = Vec::new();
        let mut size = 0;
        for l in layers {
            let d = self.put_blob(&l.data)?;
            let media_type = if l.data.starts_with(&[0x1f, 0x8b]) { oci::MEDIA_TYPE_LAYER_GZIP } else { oci::MEDIA_TYPE_LAYER_TAR };
            descriptors.push(Descriptor { media_type: media_type.into(), digest: d, size: l.data.len() as u64, annotations: BTreeMap::new() });
            size += l.content_size;
        }
        let manifest = Manifest {
            schema_version: 2,
            media_type: Some(oci::MEDIA_TYPE_MANIFEST.into()),
            config: Descriptor { media_type: oci::MEDIA_TYPE_CONFIG.into(), digest: id.clone(), size: config_bytes.len() as u64, annotations: BTreeMap::new() },
            layers: descriptors,
        };
        let manifest_digest = self.put_blob(&serde_json::to_vec(&manifest).unwrap_or_default())?;
        let key = id.hex();
        let record = self.images.entry(key).or_insert_with(|| ImageRecord {
            id: id.clone(),
            manifest: manifest_digest,
            tags: Vec::new(),
            created: created.to_string(),
            size,
            repo_digest: None,
        });
        record.size = size;
        let full_tags: Vec<String> = tags.iter().map(|t| normalize(t)).collect::<Result<_, _>>()?;
        for t in &full_tags {
            self.move_tag(t, &id);
        }
        self.save()?;
        Ok(id)
    }

    /// An image pulled from a registry, kept as the registry sent it: the manifest's own
    /// bytes (so the image's digest stays the registry's), its config and its compressed
    /// layers. `tag` (a full reference) moves to it where one is given; `repo_digest` is
    /// what `RepoDigests` shows (`127.0.0.1:5000/app@sha256:…`).
    pub fn add_pulled(&mut self, manifest: &[u8], config_bytes: &[u8], layers: &[LayerBlob], tag: Option<&str>, repo_digest: &str) -> Result<Digest, StoreError> {
        let listed: Vec<Digest> = serde_json::from_slice::<Manifest>(manifest).map(|m| m.layers.into_iter().map(|l| l.digest).collect()).unwrap_or_default();
        let id = self.put_blob(config_bytes)?;
        for l in layers {
            // The client checked the blob against its digest: no second hash.
            self.storage.write(&Self::blob_key(&l.digest), &l.data).map_err(StoreError::Storage)?;
            self.layer_sizes.insert(l.digest.clone(), (l.diff_id.clone(), l.content_size));
        }
        let manifest_digest = self.put_blob(manifest)?;
        let created = serde_json::from_slice::<ImageConfig>(config_bytes).ok().and_then(|c| c.created).unwrap_or_default();
        let size: u64 = listed.iter().map(|d| self.layer_content_size(d)).sum();
        let record = self.images.entry(id.hex()).or_insert_with(|| ImageRecord { id: id.clone(), manifest: manifest_digest.clone(), tags: Vec::new(), created, size, repo_digest: None });
        record.manifest = manifest_digest;
        record.size = size;
        record.repo_digest = Some(repo_digest.to_string());
        if let Some(t) = tag {
            self.move_tag(t, &id);
        }
        self.save()?;
        Ok(id)
    }

    /// The files a build's `RUN --mount=type=cache,id=ID` left, as a layer tar.
    pub fn mount_cache(&self, id: &str) -> Option<Vec<u8>> {
        self.storage.read(&format!("berth/mount-cache/{}", Digest::of(id.as_bytes()).hex()))
    }

    /// Keeps a cache mount's files for the next build (best effort: a cache may be lost).
    pub fn set_mount_cache(&mut self, id: &str, tar: &[u8]) {
        let _ = self.storage.write(&format!("berth/mount-cache/{}", Digest::of(id.as_bytes()).hex()), tar);
    }

    /// The manifest's bytes as stored (what a push sends), and its media type.
    pub fn manifest_bytes(&self, record: &ImageRecord) -> Result<(Vec<u8>, String), StoreError> {
        let bytes = self.blob(&record.manifest)?;
        let media_type = serde_json::from_slice::<Manifest>(&bytes).ok().and_then(|m| m.media_type).unwrap_or_else(|| oci::MEDIA_TYPE_MANIFEST.into());
        Ok((bytes, media_type))
    }

    /// `docker push`: records the image `name` resolves to under the full reference
    /// `target` in the engine's registry. Returns its layers (digest, whether the registry
    /// already had it) top first, and the manifest's digest and size.
    pub fn push(&mut self, name: &str, target: &str) -> Result<Pushed, StoreError> {
        let record = self.resolve(name).ok_or_else(|| StoreError::NotFound(name.to_string()))?.clone();
        let manifest = self.manifest(&record)?;
        let known: std::collections::HashSet<Digest> = self
            .registry
            .values()
            .filter_map(|e| serde_json::from_slice::<Manifest>(&self.storage.read(&Self::blob_key(&e.manifest)).unwrap_or_default()).ok())
            .flat_map(|m| m.layers.into_iter().map(|l| l.digest))
            .collect();
        let layers = manifest.layers.iter().rev().map(|l| (l.digest.clone(), known.contains(&l.digest))).collect();
        let size = self.storage.read(&Self::blob_key(&record.manifest)).map_or(0, |b| b.len() as u64);
        self.registry.insert(target.to_string(), RegistryEntry { id: record.id.clone(), manifest: record.manifest.clone(), size: record.size, created: record.created.clone() });
        self.save()?;
        Ok(Pushed { layers, manifest: record.manifest, size })
    }

    /// What the engine's registry holds under a full reference.
    pub fn registry_entry(&self, full: &str) -> Option<&RegistryEntry> {
        self.registry.get(full)
    }

    /// Whether the engine's registry has any tag of a repository (`docker.io/ana/app`).
    pub fn registry_has_repository(&self, repository: &str) -> bool {
        self.registry.keys().any(|k| k.rsplit_once(':').is_some_and(|(r, _)| r == repository))
    }

    /// `docker pull` from the engine's registry: the image comes back under `full`.
    pub fn pull_from_registry(&mut self, full: &str) -> Result<Digest, StoreError> {
        let entry = self.registry.get(full).cloned().ok_or_else(|| StoreError::NotFound(full.to_string()))?;
        self.images.entry(entry.id.hex()).or_insert_with(|| ImageRecord { id: entry.id.clone(), manifest: entry.manifest.clone(), tags: Vec::new(), created: entry.created.clone(), size: entry.size, repo_digest: None });
        self.move_tag(full, &entry.id);
        if let Some(r) = self.images.get_mut(&entry.id.hex()) {
            let repo = full.rsplit_once(':').map_or(full, |(r, _)| r);
            r.repo_digest = Some(format!("{}@{}", familiar(repo), entry.manifest));
        }
        self.save()?;
        Ok(entry.id)
    }

    /// Points `tag` at image `id`, taking it from any other image.
    fn move_tag(&mut self, tag: &str, id: &Digest) {
        for r in self.images.values_mut() {
            r.tags.retain(|t| t != tag);
        }
        if let Some(r) = self.images.get_mut(&id.hex()) {
            r.tags.push(tag.to_string());
            r.tags.sort();
        }
    }

    /// `docker tag SOURCE TARGET`.
    pub fn tag(&mut self, source: &str, target: &str) -> Result<(), StoreError> {
        let id = self.resolve(source).ok_or_else(|| StoreError::NotFound(source.to_string()))?.id.clone();
        let full = normalize(target)?;
        self.move_tag(&full, &id);
        self.save()
    }

    /// `docker rmi [-f] NAME`: the lines Docker prints (`Untagged: …`, `Deleted: …`).
    pub fn remove(&mut self, name: &str, force: bool, in_use: InUse) -> Result<Vec<String>, StoreError> {
        let record = self.resolve(name).ok_or_else(|| StoreError::NotFound(name.to_string()))?.clone();
        let by_tag = normalize(name).ok().filter(|full| record.tags.contains(full));
        let mut out = Vec::new();
        let user = in_use(&record.id);
        if let Some((container, true)) = &user {
            if by_tag.is_none() || record.tags.len() == 1 {
                return Err(StoreError::InUseRunning { image: record.id.short(), container: container.clone() });
            }
        }
        if let Some(tag) = &by_tag {
            if record.tags.len() > 1 {
                // Other tags keep the image: only this one goes.
                if let Some(r) = self.images.get_mut(&record.id.hex()) {
                    r.tags.retain(|t| t != tag);
                }
                self.save()?;
                return Ok(vec![format!("Untagged: {}", familiar(tag))]);
            }
            if let (Some((container, _)), false) = (&user, force) {
                return Err(StoreError::InUse { reference: familiar(tag), container: container.clone(), image: record.id.short() });
            }
        } else if record.tags.len() > 1 && !force {
            return Err(StoreError::MultipleTags(record.id.short()));
        } else if let (Some((container, _)), false) = (&user, force) {
            let reference = record.tags.first().map_or_else(|| record.id.short(), |t| familiar(t));
            return Err(StoreError::InUse { reference, container: container.clone(), image: record.id.short() });
        }
        for t in &record.tags {
            out.push(format!("Untagged: {}", familiar(t)));
        }
        if let Some(d) = &record.repo_digest {
            out.push(format!("Untagged: {d}"));
        }
        self.images.remove(&record.id.hex());
        out.push(format!("Deleted: {}", record.id));
        self.collect_garbage(&record);
        self.save()?;
        Ok(out)
    }

    /// Drops the blobs of a removed image that no remaining image uses.
    fn collect_garbage(&mut self, removed: &ImageRecord) {
        let Ok(manifest) = self.manifest(removed) else { return };
        let mut used = std::collections::HashSet::new();
        for entry in self.cache.values() {
            used.extend(entry.layers.iter().cloned());
        }
        // Local images and what was pushed to the engine's registry keep their blobs.
        let pushed = self.registry.values().map(|e| (e.id.clone(), e.manifest.clone()));
        for (id, manifest) in self.images.values().map(|r| (r.id.clone(), r.manifest.clone())).chain(pushed).collect::<Vec<_>>() {
            used.insert(id);
            used.insert(manifest.clone());
            if let Ok(m) = serde_json::from_slice::<Manifest>(&self.storage.read(&Self::blob_key(&manifest)).unwrap_or_default()) {
                used.extend(m.layers.into_iter().map(|l| l.digest));
            }
        }
        let mut candidates = vec![removed.id.clone(), removed.manifest.clone()];
        candidates.extend(manifest.layers.into_iter().map(|l| l.digest));
        for d in candidates {
            if !used.contains(&d) {
                self.storage.remove(&Self::blob_key(&d));
                self.unpacked.remove(&d);
            }
        }
    }

    /// Writes `berth/images.json` and the OCI layout's `index.json`.
    fn save(&mut self) -> Result<(), StoreError> {
        #[derive(Serialize)]
        struct MetadataRef<'a> {
            images: &'a BTreeMap<String, ImageRecord>,
            cache: &'a BTreeMap<String, CacheEntry>,
            synthetic: &'a BTreeMap<String, (String, u64)>,
            registry: &'a BTreeMap<String, RegistryEntry>,
        }
        let meta = serde_json::to_vec_pretty(&MetadataRef { images: &self.images, cache: &self.cache, synthetic: &self.synthetic, registry: &self.registry }).unwrap_or_default();
        self.storage.write(IMAGES_KEY, &meta).map_err(StoreError::Storage)?;
        let mut manifests = Vec::new();
        for r in self.images.values() {
            let size = self.storage.read(&Self::blob_key(&r.manifest)).map_or(0, |b| b.len() as u64);
            let names: Vec<&String> = if r.tags.is_empty() { vec![] } else { r.tags.iter().collect() };
            if names.is_empty() {
                manifests.push(Descriptor { media_type: oci::MEDIA_TYPE_MANIFEST.into(), digest: r.manifest.clone(), size, annotations: BTreeMap::new() });
            }
            for name in names {
                let mut annotations = BTreeMap::new();
                annotations.insert("io.containerd.image.name".to_string(), name.clone());
                annotations.insert("org.opencontainers.image.ref.name".to_string(), name.rsplit_once(':').map_or("latest", |(_, t)| t).to_string());
                manifests.push(Descriptor { media_type: oci::MEDIA_TYPE_MANIFEST.into(), digest: r.manifest.clone(), size, annotations });
            }
        }
        let index = Index { schema_version: 2, media_type: Some(oci::MEDIA_TYPE_INDEX.into()), manifests };
        self.storage.write("index.json", &serde_json::to_vec(&index).unwrap_or_default()).map_err(StoreError::Storage)?;
        if self.storage.read("oci-layout").is_none() {
            self.storage.write("oci-layout", br#"{"imageLayoutVersion":"1.0.0"}"#).map_err(StoreError::Storage)?;
        }
        Ok(())
    }

    /// Whether one of the image's layers is a catalog layer (its files are modelled).
    pub fn has_catalog_layer(&self, id: &Digest) -> bool {
        let Some(record) = self.images.get(&id.hex()) else { return false };
        self.manifest(record).is_ok_and(|m| m.layers.iter().any(|l| self.synthetic.contains_key(&l.digest.hex())))
    }

    /// The image's layers unpacked, bottom first, ready to stack under a container.
    pub fn layers(&mut self, id: &Digest) -> Result<Vec<Arc<MemoryFs>>, StoreError> {
        let record = self.images.get(&id.hex()).cloned().ok_or_else(|| StoreError::NotFound(id.to_string()))?;
        let manifest = self.manifest(&record)?;
        let mut out = Vec::new();
        for l in &manifest.layers {
            if let Some(fs) = self.unpacked.get(&l.digest) {
                out.push(fs.clone());
                continue;
            }
            if let Some((kind, size)) = self.synthetic.get(&l.digest.hex()).cloned() {
                out.push(self.catalog_layers.get(&kind, size));
                continue;
            }
            let mut fs = MemoryFs::new();
            layer::unpack(&self.blob(&l.digest)?, &mut fs)?;
            let fs = Arc::new(fs);
            self.unpacked.insert(l.digest.clone(), fs.clone());
            out.push(fs);
        }
        Ok(out)
    }

    pub fn record(&self, id: &Digest) -> Option<&ImageRecord> {
        self.images.get(&id.hex())
    }

    /// How many build steps the cache holds.
    pub fn cache_entries(&self) -> usize {
        self.cache.len()
    }

    /// The build cache entry for a step key.
    pub fn cache_get(&self, key: &Digest) -> Option<CacheEntry> {
        self.cache.get(&key.hex()).cloned()
    }

    pub fn cache_put(&mut self, key: &Digest, entry: &CacheEntry) {
        self.cache.insert(key.hex(), entry.clone());
        let _ = self.save();
    }

    /// Stores a layer made by a build step, with its files already unpacked.
    pub fn put_layer(&mut self, blob: &LayerBlob, fs: Arc<MemoryFs>) -> Digest {
        let d = self.put_blob(&blob.data).unwrap_or_else(|_| blob.digest.clone());
        self.unpacked.insert(d.clone(), fs);
        self.layer_sizes.insert(d.clone(), (blob.diff_id.clone(), blob.content_size));
        d
    }

    /// The files of a layer: unpacked, synthesised or read from its blob.
    pub fn layer_fs(&mut self, digest: &Digest) -> Option<Arc<MemoryFs>> {
        if let Some(fs) = self.unpacked.get(digest) {
            return Some(fs.clone());
        }
        if let Some((kind, size)) = self.synthetic.get(&digest.hex()).cloned() {
            return Some(self.catalog_layers.get(&kind, size));
        }
        if let Some(fs) = unpacked_cache::get(digest) {
            self.unpacked.insert(digest.clone(), fs.clone());
            return Some(fs);
        }
        let blob = self.blob(digest).ok()?;
        let mut fs = MemoryFs::new();
        layer::unpack(&blob, &mut fs).ok()?;
        let fs = Arc::new(fs);
        self.unpacked.insert(digest.clone(), fs.clone());
        unpacked_cache::put(digest, &fs);
        Some(fs)
    }

    /// The bytes a layer's files take once unpacked (what `docker history` shows).
    pub fn layer_content_size(&mut self, digest: &Digest) -> u64 {
        if let Some((_, size)) = self.synthetic.get(&digest.hex()) {
            return *size;
        }
        if let Some((_, size)) = self.layer_sizes.get(digest) {
            return *size;
        }
        self.layer_fs(digest).map_or(0, |fs| fs.apparent_bytes())
    }

    /// Records a built image: its config and the layer blobs (already stored) it lists.
    pub fn add_built(&mut self, config: &ImageConfig, layers: &[Digest], tags: &[String], created: &str) -> Result<Digest, StoreError> {
        let config_bytes = config.to_bytes();
        let id = self.put_blob(&config_bytes)?;
        let mut descriptors = Vec::new();
        let mut size = 0;
        for d in layers {
            let (media_type, blob_size, content) = match self.synthetic.get(&d.hex()) {
                Some((_, s)) => (oci::MEDIA_TYPE_LAYER_GZIP, *s, *s),
                None => {
                    let len = self.storage.read(&Self::blob_key(d)).map_or(0, |b| b.len() as u64);
                    let content = match self.layer_sizes.get(d) {
                        Some((_, c)) => *c,
                        None => self.layer_fs(d).map_or(0, |fs| fs.apparent_bytes()),
                    };
                    (oci::MEDIA_TYPE_LAYER_GZIP, len, content)
                }
            };
            size += content;
            descriptors.push(Descriptor { media_type: media_type.into(), digest: d.clone(), size: blob_size, annotations: BTreeMap::new() });
        }
        let manifest = Manifest {
            schema_version: 2,
            media_type: Some(oci::MEDIA_TYPE_MANIFEST.into()),
            config: Descriptor { media_type: oci::MEDIA_TYPE_CONFIG.into(), digest: id.clone(), size: config_bytes.len() as u64, annotations: BTreeMap::new() },
            layers: descriptors,
        };
        let manifest_digest = self.put_blob(&serde_json::to_vec(&manifest).unwrap_or_default())?;
        let record = self.images.entry(id.hex()).or_insert_with(|| ImageRecord {
            id: id.clone(),
            manifest: manifest_digest.clone(),
            tags: Vec::new(),
            created: created.to_string(),
            size,
            repo_digest: None,
        });
        record.size = size;
        for t in tags {
            let full = normalize(t)?;
            self.move_tag(&full, &id);
        }
        self.save()?;
        Ok(id)
    }
}

/// Unpacked layers shared by every store opened on this thread. A store lives for one
/// command, and a layer blob never changes under its digest, so the next command (a
/// cached rebuild reading `/etc/passwd` for `USER`) finds its layers unpacked already.
/// Bounded by the bytes the layers hold.
mod unpacked_cache {
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::sync::Arc;

    use crate::image::digest::Digest;
    use crate::vfs::MemoryFs;

    const BUDGET: u64 = 256 << 20;

    /// Oldest first: a layer's digest, its files and the bytes they hold; and the total.
    type Entries = (VecDeque<(Digest, Arc<MemoryFs>, u64)>, u64);

    thread_local! {
        static CACHE: RefCell<Entries> = const { RefCell::new((VecDeque::new(), 0)) };
    }

    pub fn get(digest: &Digest) -> Option<Arc<MemoryFs>> {
        CACHE.with(|c| c.borrow().0.iter().find(|(d, _, _)| d == digest).map(|(_, fs, _)| fs.clone()))
    }

    pub fn put(digest: &Digest, fs: &Arc<MemoryFs>) {
        let bytes = fs.stored_bytes();
        if bytes > BUDGET / 4 {
            return;
        }
        CACHE.with(|c| {
            let (entries, total) = &mut *c.borrow_mut();
            entries.push_back((digest.clone(), fs.clone(), bytes));
            *total += bytes;
            while *total > BUDGET {
                match entries.pop_front() {
                    Some((_, _, b)) => *total -= b,
                    None => break,
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::layer::{layer_of, LayerOptions};
    use crate::vfs::FileSystem;

    fn image(store: &mut ImageStore, content: &[u8], tags: &[&str]) -> Digest {
        let mut fs = MemoryFs::new();
        fs.write("/hello.txt", content).unwrap();
        let blob = layer_of(&fs, &LayerOptions::default()).unwrap();
        let mut config = ImageConfig::empty();
        config.rootfs.diff_ids.push(blob.diff_id.clone());
        let tags: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
        store.add(&config, &[blob], &tags, "2026-01-01T00:00:00Z").unwrap()
    }

    #[test]
    fn tags_resolve_and_rmi_follows_docker() {
        let mut store = ImageStore::in_memory();
        let id = image(&mut store, b"hi", &["python:3.11", "python:latest"]);
        assert_eq!(store.resolve("python").map(|r| &r.id), Some(&id));
        assert_eq!(store.resolve("docker.io/library/python:3.11").map(|r| &r.id), Some(&id));
        assert_eq!(store.resolve(&id.hex()[..12]).map(|r| &r.id), Some(&id));
        let none = |_: &Digest| None;
        assert_eq!(store.remove(&id.hex()[..12], false, &none).unwrap_err().to_string(), format!("conflict: unable to delete {} (must be forced) - image is referenced in multiple repositories", id.short()));
        assert_eq!(store.remove("python:latest", false, &none).unwrap(), ["Untagged: python:latest"]);
        let used = |_: &Digest| Some(("4f2a9c1d0b7e".to_string(), false));
        let err = store.remove("python:3.11", false, &used).unwrap_err().to_string();
        assert_eq!(err, format!("conflict: unable to remove repository reference \"python:3.11\" (must force) - container 4f2a9c1d0b7e is using its referenced image {}", id.short()));
        let out = store.remove("python:3.11", true, &used).unwrap();
        assert_eq!(out, ["Untagged: python:3.11".to_string(), format!("Deleted: {id}")]);
        assert!(store.resolve("python:3.11").is_none());
        assert_eq!(store.remove("nope", false, &none).unwrap_err().to_string(), "No such image: nope");
    }

    #[test]
    fn retagging_leaves_a_dangling_image_and_layers_unpack() {
        let mut store = ImageStore::in_memory();
        let old = image(&mut store, b"v1", &["app:latest"]);
        let new = image(&mut store, b"v2", &["app:latest"]);
        assert_ne!(old, new);
        assert_eq!(store.dangling().map(|r| r.id.clone()).collect::<Vec<_>>(), [old]);
        let layers = store.layers(&new).unwrap();
        assert_eq!(layers[0].read("/hello.txt").unwrap(), b"v2");
    }

    #[test]
    fn persists_through_storage() {
        let dir = std::env::temp_dir().join(format!("berth-store-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let id = {
            let mut store = ImageStore::open(Box::new(DirStorage::new(&dir))).unwrap();
            image(&mut store, b"persist", &["saved:1"])
        };
        let mut store = ImageStore::open(Box::new(DirStorage::new(&dir))).unwrap();
        assert_eq!(store.resolve("saved:1").map(|r| r.id.clone()), Some(id.clone()));
        assert_eq!(store.layers(&id).unwrap()[0].read("/hello.txt").unwrap(), b"persist");
        assert!(dir.join("oci-layout").exists() && dir.join("index.json").exists());
        let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().starts_with(".tmp")).collect();
        assert!(leftovers.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
