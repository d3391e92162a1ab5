//! The embedded base-image catalog (`engine/catalog/images.json`): the images course
//! material pulls, synthesised deterministically with no network. Each layer is built by
//! a synthesiser for its `kind` (a distribution's root filesystem, a CPython install, conda,
//! CUDA, …) with the real layout, real version strings and package databases, and lazily
//! sized files fill it to the size Docker reports, so `docker images` adds up while a
//! browser tab holds only kilobytes.
//!
//! Modelled, and documented as such: program and library bytes (reading one says it is
//! modelled), and the layer digests, which hash the layer's recipe rather than Docker
//! Hub's tar.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Deserialize;

use super::digest::Digest;
use super::oci::{ContainerConfig, History, ImageConfig, RootFs};
use crate::reference::Reference;
use crate::vfs::{Attrs, Content, FileSystem, MemoryFs};

const CATALOG_JSON: &str = include_str!("../../catalog/images.json");

/// When catalog images say they were created (their `created` field).
pub const CATALOG_CREATED: &str = "2024-10-01T00:00:00Z";

#[derive(Debug, Clone, Deserialize)]
struct LayerSpec {
    kind: String,
    mb: f64,
    created_by: String,
}

#[derive(Debug, Clone, Deserialize)]
struct ImageSpec {
    repository: String,
    tags: Vec<String>,
    size_mb: f64,
    source: String,
    layers: Vec<LayerSpec>,
    config: ContainerConfig,
}

#[derive(Debug, Clone, Deserialize)]
struct Variant {
    distro: String,
    size_mb: f64,
    #[serde(default)]
    buildpack: Option<String>,
    #[serde(default)]
    versions: Option<Vec<String>>,
}

#[derive(Debug, Clone, Deserialize)]
struct PythonMatrix {
    versions: BTreeMap<String, String>,
    extra_tags: BTreeMap<String, String>,
    variants: BTreeMap<String, Variant>,
}

#[derive(Debug, Clone, Deserialize)]
struct CatalogFile {
    images: Vec<ImageSpec>,
    python: PythonMatrix,
}

/// One layer of a catalog image.
#[derive(Debug, Clone)]
pub struct CatalogLayer {
    pub kind: String,
    /// Bytes of the layer's files.
    pub size: u64,
    pub created_by: String,
    /// Digest of the (modelled) compressed blob: a hash of the recipe.
    pub digest: Digest,
    pub diff_id: Digest,
}

/// A tag of the catalog, ready to become an image.
#[derive(Debug, Clone)]
pub struct CatalogImage {
    /// `python`, `continuumio/miniconda3`.
    pub repository: String,
    pub tag: String,
    /// The size `docker images` shows for the real image, in bytes.
    pub size: u64,
    /// Where the size figure comes from.
    pub source: String,
    pub layers: Vec<CatalogLayer>,
    pub config: ImageConfig,
}

/// The catalog: every repository and tag it can synthesise.
#[derive(Debug, Clone)]
pub struct Catalog {
    images: Vec<ImageSpec>,
}

fn mb(x: f64) -> u64 {
    (x * 1_000_000.0).round() as u64
}

fn python_env(version: &str) -> Vec<String> {
    let mut env = vec!["PATH=/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".to_string()];
    let minor: u32 = version.split('.').nth(1).and_then(|m| m.parse().ok()).unwrap_or(12);
    if minor < 13 {
        env.push("LANG=C.UTF-8".into());
    }
    env.push("GPG_KEY=A035C8C19219BA821ECEA86B64E628F8D684696D".into());
    env.push(format!("PYTHON_VERSION={version}"));
    if minor < 12 {
        env.push("PYTHON_PIP_VERSION=24.0".into());
        env.push("PYTHON_SETUPTOOLS_VERSION=65.5.1".into());
    }
    env
}

impl Catalog {
    /// The embedded catalog. Its JSON is checked by the tests, so this cannot fail at
    /// run time; an unreadable file would give an empty catalog rather than a panic.
    pub fn embedded() -> Catalog {
        let file: Option<CatalogFile> = serde_json::from_str(CATALOG_JSON).ok();
        let Some(file) = file else { return Catalog { images: Vec::new() } };
        let mut images = file.images;
        images.extend(python_images(&file.python));
        Catalog { images }
    }

    /// Parses the catalog, reporting what is wrong with it (for the tests).
    pub fn check() -> Result<usize, String> {
        let file: CatalogFile = serde_json::from_str(CATALOG_JSON).map_err(|e| format!("images.json: {e}"))?;
        Ok(file.images.len())
    }

    /// Every `repository:tag` the catalog has.
    pub fn names(&self) -> Vec<String> {
        self.images.iter().flat_map(|i| i.tags.iter().map(move |t| format!("{}:{t}", i.repository))).collect()
    }

    /// Whether the repository exists at all (for Docker's two different errors).
    pub fn has_repository(&self, repository: &str) -> bool {
        self.images.iter().any(|i| i.repository == repository)
    }

    /// The image for a reference on Docker Hub (`python:3.11-slim`, `docker.io/library/alpine`).
    pub fn find(&self, reference: &Reference) -> Option<CatalogImage> {
        if reference.domain != "docker.io" {
            return None;
        }
        let repository = reference.familiar_name();
        let tag = reference.tag.clone().unwrap_or_else(|| "latest".into());
        let spec = self.images.iter().find(|i| i.repository == repository && i.tags.contains(&tag))?;
        Some(build_image(spec, &tag))
    }
}

fn python_images(m: &PythonMatrix) -> Vec<ImageSpec> {
    let mut out = Vec::new();
    let mut versions: Vec<(String, String)> = m.versions.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    versions.extend(m.extra_tags.iter().map(|(k, v)| (k.clone(), v.clone())));
    for (short, full) in &versions {
        for (suffix, variant) in &m.variants {
            if let Some(allowed) = &variant.versions {
                let minor = short.split('.').take(2).collect::<Vec<_>>().join(".");
                if !allowed.contains(&minor) {
                    continue;
                }
            }
            let mut tags = vec![format!("{short}{suffix}")];
            if short != full && !m.extra_tags.contains_key(short) {
                tags.push(format!("{full}{suffix}"));
            }
            if short == "3.12" {
                tags.push(format!("3{suffix}"));
                tags.push(if suffix.is_empty() { "latest".to_string() } else { suffix.trim_start_matches('-').to_string() });
            }
            let distro_mb = match variant.distro.as_str() {
                "debian:bookworm" => 117.0,
                "debian:bullseye" => 124.0,
                "debian:buster" => 114.0,
                "debian:bookworm-slim" => 74.8,
                "debian:bullseye-slim" => 80.6,
                "debian:buster-slim" => 69.2,
                _ => 7.80,
            };
            let mut layers = vec![LayerSpec { kind: variant.distro.clone(), mb: distro_mb, created_by: format!("# {} root filesystem", variant.distro) }];
            let python_mb = if variant.buildpack.is_some() { 58.0 } else { variant.size_mb - distro_mb };
            if let Some(bp) = &variant.buildpack {
                layers.push(LayerSpec {
                    kind: format!("buildpack:{bp}"),
                    mb: variant.size_mb - distro_mb - python_mb,
                    created_by: "RUN /bin/sh -c set -ex; apt-get update; apt-get install -y --no-install-recommends autoconf automake bzip2 ... libssl-dev make patch unzip xz-utils zlib1g-dev # buildkit".into(),
                });
            }
            let musl = variant.distro.starts_with("alpine");
            layers.push(LayerSpec {
                kind: format!("python:{full}{}", if musl { ":musl" } else { "" }),
                mb: python_mb,
                created_by: format!("RUN /bin/sh -c set -eux; wget -O python.tar.xz \"https://www.python.org/ftp/python/{full}/Python-{full}.tar.xz\"; ... ./configure --enable-optimizations --enable-shared ... make install # buildkit"),
            });
            out.push(ImageSpec {
                repository: "python".into(),
                tags,
                size_mb: variant.size_mb,
                source: format!("Docker Hub python{suffix} tags, about {} MB (per-version figures are estimates)", variant.size_mb),
                layers,
                config: ContainerConfig { env: python_env(full), cmd: Some(vec!["python3".into()]), ..ContainerConfig::default() },
            });
        }
    }
    out
}

fn recipe_digest(kind: &str, size: u64, what: &str) -> Digest {
    Digest::of(format!("berth-catalog/v1/{what}/{kind}/{size}").as_bytes())
}

fn build_image(spec: &ImageSpec, tag: &str) -> CatalogImage {
    let layers: Vec<CatalogLayer> = spec
        .layers
        .iter()
        .map(|l| {
            let size = mb(l.mb);
            CatalogLayer { kind: l.kind.clone(), size, created_by: l.created_by.clone(), digest: recipe_digest(&l.kind, size, "blob"), diff_id: recipe_digest(&l.kind, size, "diff") }
        })
        .collect();
    let mut config = ImageConfig::empty();
    config.created = Some(CATALOG_CREATED.into());
    config.config = spec.config.clone();
    config.rootfs = RootFs { kind: "layers".into(), diff_ids: layers.iter().map(|l| l.diff_id.clone()).collect() };
    config.history = layers
        .iter()
        .map(|l| History { created: Some(CATALOG_CREATED.into()), created_by: Some(l.created_by.clone()), comment: Some("berth catalog (synthesised)".into()), empty_layer: false })
        .collect();
    CatalogImage { repository: spec.repository.clone(), tag: tag.to_string(), size: mb(spec.size_mb), source: spec.source.clone(), layers, config }
}

/// Builds the files of one catalog layer. The result is the layer as a tar would hold
/// it; `size` is the total of its file sizes.
pub fn synthesize(kind: &str, size: u64) -> MemoryFs {
    let mut b = Builder::new();
    let parts: Vec<&str> = kind.split(':').collect();
    let arg = |i: usize| parts.get(i).copied().unwrap_or("");
    match parts[0] {
        "hello" => {
            b.exec("/hello", 0, "hello");
            b.fill("/hello", 1);
        }
        "busybox" => distro::busybox(&mut b, arg(1)),
        "alpine" => distro::alpine(&mut b, arg(1)),
        "debian" => distro::debian(&mut b, arg(1)),
        "ubuntu" => distro::ubuntu(&mut b, arg(1)),
        "buildpack" => software::buildpack(&mut b, arg(1)),
        "python" => software::python(&mut b, arg(1), arg(2) == "musl"),
        "apt" => software::apt(&mut b, arg(1)),
        "conda" => software::conda(&mut b, arg(1), arg(2), arg(3)),
        "pytorch" => software::pytorch(&mut b, arg(1), arg(2), arg(3), arg(4)),
        "cuda" => software::cuda(&mut b, arg(1)),
        "nginx" => software::nginx(&mut b, arg(1)),
        "redis" => software::redis(&mut b, arg(1)),
        "node" => software::node(&mut b, arg(1)),
        _ => {}
    }
    b.finish(size)
}

/// Writes layer files; remembers where to put the padding that brings the layer to size.
pub(crate) struct Builder {
    fs: MemoryFs,
    /// (path, weight): the padding is spread over these lazy files.
    fill: Vec<(String, u64)>,
}

impl Builder {
    fn new() -> Builder {
        Builder { fs: MemoryFs::new(), fill: Vec::new() }
    }

    fn parent(&mut self, path: &str) {
        if let Some((parent, _)) = crate::vfs::split_parent(path) {
            // Building a fresh in-memory tree from fixed data cannot fail.
            let _ = self.fs.create_dir_all(&parent, 0o755);
        }
    }

    pub(crate) fn dir(&mut self, path: &str, mode: u32) {
        let _ = self.fs.create_dir_all(path, 0o755);
        let _ = self.fs.set_mode(path, mode);
    }

    pub(crate) fn text(&mut self, path: &str, content: &str) {
        self.file(path, content, 0o644);
    }

    pub(crate) fn file(&mut self, path: &str, content: &str, mode: u32) {
        self.parent(path);
        let _ = self.fs.put_file(path, Content::data(content.as_bytes().to_vec()), Attrs::mode(mode));
    }

    /// An executable Berth's userland provides: a lazy file whose label names the program.
    pub(crate) fn exec(&mut self, path: &str, size: u64, program: &str) {
        self.parent(path);
        let _ = self.fs.put_file(path, Content::lazy(size, &format!("exec:{program}")), Attrs::mode(0o755));
    }

    /// A library or data file whose bytes are modelled.
    pub(crate) fn blob(&mut self, path: &str, size: u64) {
        self.parent(path);
        let name = path.rsplit('/').next().unwrap_or(path);
        let _ = self.fs.put_file(path, Content::lazy(size, name), Attrs::mode(0o644));
    }

    pub(crate) fn link(&mut self, path: &str, target: &str) {
        self.parent(path);
        let _ = self.fs.symlink(target, path);
    }

    pub(crate) fn hard_link(&mut self, existing: &str, path: &str) {
        self.parent(path);
        let _ = self.fs.hard_link(existing, path);
    }

    /// Registers a file that takes a share (`weight`) of the layer's remaining size.
    pub(crate) fn fill(&mut self, path: &str, weight: u64) {
        self.fill.push((path.to_string(), weight));
    }

    fn finish(mut self, size: u64) -> MemoryFs {
        let used = self.fs.apparent_bytes();
        let mut remaining = size.saturating_sub(used);
        let total_weight: u64 = self.fill.iter().map(|(_, w)| *w).sum::<u64>().max(1);
        let fill = std::mem::take(&mut self.fill);
        let count = fill.len();
        for (i, (path, weight)) in fill.into_iter().enumerate() {
            let share = if i + 1 == count { remaining } else { (size.saturating_sub(used)) * weight / total_weight };
            let share = share.min(remaining);
            remaining -= share;
            match self.fs.content(&path) {
                Ok(existing) => {
                    let label = match &existing {
                        Content::Lazy { label, .. } => label.to_string(),
                        Content::Data(_) => path.clone(),
                    };
                    let _ = self.fs.put_file(&path, Content::lazy(existing.len() + share, &label), Attrs::mode(0o755));
                }
                Err(_) => self.blob(&path, share),
            }
        }
        self.fs
    }
}

mod distro;
mod software;

/// Layers synthesised so far, shared by every image that uses them.
#[derive(Default)]
pub struct LayerCache {
    layers: BTreeMap<(String, u64), Arc<MemoryFs>>,
}

impl LayerCache {
    pub fn get(&mut self, kind: &str, size: u64) -> Arc<MemoryFs> {
        self.layers.entry((kind.to_string(), size)).or_insert_with(|| Arc::new(synthesize(kind, size))).clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn image(name: &str) -> CatalogImage {
        Catalog::embedded().find(&Reference::parse(name).unwrap()).unwrap_or_else(|| panic!("{name} not in the catalog"))
    }

    #[test]
    fn catalog_parses_and_has_what_the_course_pulls() {
        assert!(Catalog::check().unwrap() > 10);
        let names = Catalog::embedded().names();
        for want in [
            "alpine:3.18", "alpine:3.19", "alpine:3.20", "alpine:latest", "busybox:latest", "debian:bullseye", "debian:bookworm-slim",
            "debian:buster", "ubuntu:20.04", "ubuntu:22.04", "ubuntu:24.04", "python:3.7", "python:3.7-slim", "python:3.8-slim-buster",
            "python:3.11.9-bullseye", "python:3.12-alpine", "python:3.11-slim", "python:3.11", "python:latest",
            "continuumio/miniconda3:latest", "anibali/pytorch:1.8.1-cuda11.1-ubuntu20.04", "anibali/pytorch:1.8.1-nocuda-ubuntu20.04",
            "nvidia/cuda:11.8.0-base-ubuntu22.04", "redis:alpine", "nginx:latest", "node:20", "hello-world:latest",
        ] {
            assert!(names.contains(&want.to_string()), "{want} missing");
        }
    }

    #[test]
    fn layer_sizes_add_up_to_the_real_image_within_ten_percent() {
        let catalog = Catalog::embedded();
        for name in catalog.names() {
            let img = catalog.find(&Reference::parse(&name).unwrap()).unwrap();
            let layers: u64 = img.layers.iter().map(|l| l.size).sum();
            let diff = (layers as f64 - img.size as f64).abs() / img.size as f64;
            assert!(diff <= 0.10, "{name}: layers {layers} vs {} ({})", img.size, img.source);
        }
        // The files synthesised for a layer add up to its size.
        for name in ["alpine:3.20", "python:3.11-slim", "ubuntu:22.04"] {
            let img = image(name);
            for l in &img.layers {
                let fs = synthesize(&l.kind, l.size);
                let got = fs.apparent_bytes();
                assert!((got as f64 - l.size as f64).abs() / (l.size as f64) < 0.10, "{name} {}: {got} vs {}", l.kind, l.size);
            }
        }
        assert_eq!(image("alpine:3.20").size, 7_800_000);
        assert_eq!(image("python:3.11-slim").size, 130_000_000);
        let big = image("python:3.11");
        assert!((900_000_000..=1_100_000_000).contains(&big.size));
    }

    #[test]
    fn images_have_real_layouts_and_versions() {
        let img = image("python:3.11.9-bullseye");
        assert!(img.config.config.env.contains(&"PYTHON_VERSION=3.11.9".to_string()));
        let debian = synthesize(&img.layers[0].kind, img.layers[0].size);
        let os = String::from_utf8(debian.read("/etc/os-release").unwrap()).unwrap();
        assert!(os.contains("VERSION_CODENAME=bullseye"), "{os}");
        assert!(debian.exists("/var/lib/dpkg/status"));
        let py = synthesize(&img.layers.last().unwrap().kind, 50_000_000);
        assert_eq!(py.read_link("/usr/local/bin/python3").unwrap(), "python3.11");
        assert!(py.stat("/usr/local/bin/python3.11").unwrap().mode & 0o111 != 0);

        let alpine = synthesize("alpine:3.20.3", 7_800_000);
        assert!(String::from_utf8(alpine.read("/etc/os-release").unwrap()).unwrap().contains("VERSION_ID=3.20.3"));
        assert_eq!(alpine.read_link("/bin/sh").unwrap(), "/bin/busybox");
        assert!(String::from_utf8(alpine.read("/lib/apk/db/installed").unwrap()).unwrap().contains("P:musl"));
        let passwd = String::from_utf8(synthesize("ubuntu:22.04", 77_900_000).read("/etc/passwd").unwrap()).unwrap();
        assert!(passwd.starts_with("root:x:0:0:root:/root:/bin/bash"));
    }

    #[test]
    fn synthesis_is_deterministic_and_cheap() {
        let la = crate::image::layer::tar_of(&synthesize("alpine:3.20.3", 7_800_000), &Default::default()).unwrap();
        let lb = crate::image::layer::tar_of(&synthesize("alpine:3.20.3", 7_800_000), &Default::default()).unwrap();
        assert_eq!(Digest::of(&la), Digest::of(&lb));
        let a = synthesize("debian:bookworm", 117_000_000);
        assert!(a.stored_bytes() < 200_000, "stored {}", a.stored_bytes());
        assert!(a.apparent_bytes() >= 110_000_000);
    }
}
