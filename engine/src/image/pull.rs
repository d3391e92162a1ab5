//! `docker pull` from the embedded catalog: Docker's output, line by line, and its errors
//! for names the catalog does not have. No network is used.

use super::catalog::{Catalog, CATALOG_CREATED};
use super::digest::Digest;
use super::store::{familiar, normalize, ImageStore, StoreError};
use super::distribution::{self, transfer, Platform, Remote};
use crate::reference::Reference;

/// What a pull did.
#[derive(Debug, Clone)]
pub struct Pulled {
    pub id: Digest,
    /// The lines `docker pull` prints (non-interactive form).
    pub lines: Vec<String>,
    /// Layers as (short ID, bytes), for a progress display.
    pub layers: Vec<(String, u64)>,
    /// False when the image was already there ("Image is up to date").
    pub downloaded: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum PullError {
    #[error("pull access denied for {0}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied")]
    Denied(String),
    #[error("manifest for {0} not found: manifest unknown: manifest unknown")]
    ManifestUnknown(String),
    /// Registries other than Docker Hub are out of reach of the sandbox.
    #[error("Get \"https://{0}/v2/\": dial tcp: lookup {0}: no such host")]
    NoNetwork(String),
    #[error("{0}")]
    InvalidReference(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Nothing listens where the registry should be (the engine's own registry answers
    /// for localhost then).
    #[error("connection refused")]
    Refused,
    /// The registry could not be reached (no route, no name, a failed TLS handshake).
    #[error("{0}")]
    Unreachable(String),
    /// What a real registry (or the way to it) answered.
    #[error("{0}")]
    Remote(String),
}

/// Pulls `name` into the store: from a registry over the host's network where it lends
/// one, else from the engine's own registry and the catalog. Docker Hub names come from
/// the catalog first (the offline default), and from Docker Hub where the catalog does
/// not have them and it can be reached, or first where the host asks for that
/// (`BERTH_PULL_FROM=registry`).
pub fn pull(store: &mut ImageStore, catalog: &Catalog, name: &str, remote: Option<&dyn Remote>) -> Result<Pulled, PullError> {
    pull_for(store, catalog, name, remote, None, false)
}

/// [`pull`] for a platform (`--platform linux/arm64`) other than the host's; with `live`,
/// a pull from a registry draws its progress on the host's terminal where it has one
/// (`Pulled::lines` then holds only what comes after the layers).
pub fn pull_for(store: &mut ImageStore, catalog: &Catalog, name: &str, remote: Option<&dyn Remote>, platform: Option<&str>, live: bool) -> Result<Pulled, PullError> {
    let reference = Reference::parse(name).map_err(|e| PullError::InvalidReference(e.to_string()))?;
    let mut lines = Vec::new();
    if reference.tag.is_none() && reference.digest.is_none() {
        lines.push("Using default tag: latest".to_string());
    }
    let hub = reference.domain == "docker.io";
    let platform = match remote {
        Some(r) => Some(Platform::parse(&platform.map_or_else(|| r.platform(), str::to_string)).map_err(PullError::Remote)?),
        None => None,
    };
    let mut tried = false;
    if let (Some(remote), Some(platform)) = (remote, &platform) {
        if !hub || remote.prefer_registry() {
            tried = true;
            match pull_remote(store, remote, &reference, platform, lines.clone(), live) {
                Ok(p) => return Ok(p),
                // Nothing listens on localhost: the engine's own registry answers there.
                Err(PullError::Refused) if is_local_registry(&reference.domain) => {}
                Err(PullError::Refused) => return Err(PullError::Remote(refused(&reference.domain))),
                // Docker Hub out of reach: the catalog answers.
                Err(PullError::Unreachable(_)) if hub => {}
                Err(PullError::Unreachable(m)) => return Err(PullError::Remote(m)),
                Err(e) => return Err(e),
            }
        }
    }
    let offline = pull_offline(store, catalog, &reference, lines.clone());
    match (offline, remote, &platform) {
        (Err(e @ (PullError::Denied(_) | PullError::ManifestUnknown(_))), Some(remote), Some(platform)) if hub && !tried => match pull_remote(store, remote, &reference, platform, lines, live) {
            Ok(p) => Ok(p),
            Err(PullError::Unreachable(_) | PullError::Refused) => Err(e),
            Err(other) => Err(other),
        },
        (r, _, _) => r,
    }
}

/// A pull from the engine's own registry or the catalog.
fn pull_offline(store: &mut ImageStore, catalog: &Catalog, reference: &Reference, mut lines: Vec<String>) -> Result<Pulled, PullError> {
    let repository = reference.familiar_name();
    let tag = reference.tag.clone().unwrap_or_else(|| "latest".to_string());
    // The engine's own registry first: what `docker push` put there.
    let full = normalize(&format!("{repository}:{tag}"))?;
    if store.registry_entry(&full).is_some() {
        return pull_pushed(store, reference, &full, lines);
    }
    if is_local_registry(&reference.domain) {
        return Err(PullError::ManifestUnknown(format!("{repository}:{tag}")));
    }
    if reference.domain != "docker.io" {
        return Err(PullError::NoNetwork(reference.domain.clone()));
    }
    if store.registry_has_repository(full.rsplit_once(':').map_or(full.as_str(), |(r, _)| r)) {
        return Err(PullError::ManifestUnknown(format!("{repository}:{tag}")));
    }
    let Some(image) = catalog.find(reference) else {
        return Err(if catalog.has_repository(&repository) {
            PullError::ManifestUnknown(format!("{repository}:{tag}"))
        } else {
            PullError::Denied(repository)
        });
    };
    lines.push(format!("{tag}: Pulling from {}", reference.path));
    let before = store.resolve(&full).map(|r| r.id.clone());
    let mut layers = Vec::new();
    for l in &image.layers {
        let short = l.digest.short();
        layers.push((short.clone(), l.size));
        if store.has_layer(&l.digest) {
            if before.is_none() {
                lines.push(format!("{short}: Already exists"));
            }
            continue;
        }
        for status in ["Pulling fs layer", "Verifying Checksum", "Download complete", "Pull complete"] {
            lines.push(format!("{short}: {status}"));
        }
    }
    let (id, manifest) = store.add_catalog(&image, CATALOG_CREATED)?;
    lines.push(format!("Digest: {manifest}"));
    let downloaded = before.as_ref() != Some(&id);
    if downloaded {
        lines.push(format!("Status: Downloaded newer image for {}", familiar(&full)));
    } else {
        lines.push(format!("Status: Image is up to date for {}", familiar(&full)));
    }
    lines.push(full);
    Ok(Pulled { id, lines, layers, downloaded })
}

/// A pull from a real registry, with Docker's lines around the layers'.
fn pull_remote(store: &mut ImageStore, remote: &dyn Remote, reference: &Reference, platform: &Platform, mut lines: Vec<String>, live: bool) -> Result<Pulled, PullError> {
    let tag = match (&reference.tag, &reference.digest) {
        (Some(t), _) => Some(t.clone()),
        (None, Some(_)) => None,
        (None, None) => Some("latest".to_string()),
    };
    let wanted = reference.digest.clone().or_else(|| tag.clone()).unwrap_or_default();
    let repository = format!("{}/{}", reference.domain, reference.path);
    let full = tag.as_ref().map(|t| format!("{repository}:{t}"));
    let before = full.as_deref().and_then(|f| store.resolve(f)).map(|r| r.id.clone());
    let mut head = lines.clone();
    head.push(format!("{wanted}: Pulling from {}", reference.path));
    let board = live.then(|| transfer::Board::new(remote, head));
    let pulled = match transfer::pull_image(store, remote, &reference.domain, &reference.path, &wanted, full.as_deref(), platform, board.as_ref()) {
        Ok(p) => p,
        Err(e) if e.refused() => return Err(PullError::Refused),
        Err(e) if e.unreachable() => return Err(PullError::Unreachable(e.to_string())),
        Err(e) => return Err(PullError::Remote(e.to_string())),
    };
    let downloaded = before.as_ref() != Some(&pulled.id);
    if board.as_ref().is_some_and(|b| b.shown.load(std::sync::atomic::Ordering::SeqCst)) {
        // The terminal shows them already.
        lines.clear();
    } else {
        lines.push(format!("{wanted}: Pulling from {}", reference.path));
        // An image that is up to date shows no layers, as in Docker.
        lines.extend(pulled.lines.into_iter().filter(|l| downloaded || !l.ends_with(": Already exists")));
    }
    lines.push(format!("Digest: {}", pulled.digest));
    let shown = full.clone().unwrap_or_else(|| format!("{repository}@{wanted}"));
    lines.push(format!("Status: {} for {}", if downloaded { "Downloaded newer image" } else { "Image is up to date" }, familiar(&shown)));
    lines.push(shown);
    Ok(Pulled { id: pulled.id, lines, layers: pulled.layers, downloaded })
}

/// Docker's words for a registry nothing answers at.
fn refused(domain: &str) -> String {
    format!("Get \"{}/v2/\": dial tcp {domain}: connect: connection refused", distribution::base_url(domain))
}

/// `localhost:5000`, `127.0.0.1:5000`: the engine's own registry answers for them (as a
/// `registry:2` container would on a real machine).
pub fn is_local_registry(domain: &str) -> bool {
    let host = domain.split(':').next().unwrap_or(domain);
    host == "localhost" || host == "127.0.0.1"
}

fn pull_pushed(store: &mut ImageStore, reference: &Reference, full: &str, mut lines: Vec<String>) -> Result<Pulled, PullError> {
    let tag = reference.tag.clone().unwrap_or_else(|| "latest".to_string());
    lines.push(format!("{tag}: Pulling from {}", reference.path));
    let before = store.resolve(full).map(|r| r.id.clone());
    let entry = store.registry_entry(full).cloned().ok_or_else(|| PullError::ManifestUnknown(familiar(full)))?;
    let manifest: super::oci::Manifest = serde_json::from_slice(&store.blob(&entry.manifest)?).map_err(|e| StoreError::Document(e.to_string()))?;
    let mut layers = Vec::new();
    for l in &manifest.layers {
        layers.push((l.digest.short(), l.size));
        if before.is_none() {
            lines.push(format!("{}: Already exists", l.digest.short()));
        }
    }
    let id = store.pull_from_registry(full)?;
    lines.push(format!("Digest: {}", entry.manifest));
    let downloaded = before.as_ref() != Some(&id);
    lines.push(if downloaded { format!("Status: Downloaded newer image for {}", familiar(full)) } else { format!("Status: Image is up to date for {}", familiar(full)) });
    lines.push(full.to_string());
    Ok(Pulled { id, lines, layers, downloaded })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pull_prints_dockers_lines() {
        let mut store = ImageStore::in_memory();
        let catalog = Catalog::embedded();
        let p = pull(&mut store, &catalog, "python:3.11-slim", None).unwrap();
        assert_eq!(p.lines[0], "3.11-slim: Pulling from library/python");
        assert!(p.lines.iter().any(|l| l.ends_with(": Pull complete")));
        assert!(p.lines.iter().any(|l| l.starts_with("Digest: sha256:")));
        assert_eq!(p.lines[p.lines.len() - 2], "Status: Downloaded newer image for python:3.11-slim");
        assert_eq!(p.lines.last().unwrap(), "docker.io/library/python:3.11-slim");
        let again = pull(&mut store, &catalog, "python:3.11-slim", None).unwrap();
        assert_eq!(again.lines[again.lines.len() - 2], "Status: Image is up to date for python:3.11-slim");
        // The shared Debian layer is already there for another image on the same base.
        let slim_bookworm = pull(&mut store, &catalog, "debian:bookworm-slim", None).unwrap();
        assert!(slim_bookworm.lines.iter().any(|l| l.ends_with(": Already exists")), "{:?}", slim_bookworm.lines);
        let first = pull(&mut store, &catalog, "alpine", None).unwrap();
        assert_eq!(first.lines[0], "Using default tag: latest");
        // The image's files are there to run.
        let layers = store.layers(&p.id).unwrap();
        let fs = crate::vfs::OverlayFs::new(layers, crate::vfs::MemoryFs::new());
        use crate::vfs::FileSystem;
        assert!(fs.stat("/usr/local/bin/python3").is_ok());
        assert!(String::from_utf8(fs.read("/etc/os-release").unwrap()).unwrap().contains("bookworm"));
    }

    #[test]
    fn missing_names_fail_with_dockers_words() {
        let mut store = ImageStore::in_memory();
        let catalog = Catalog::embedded();
        let e = pull(&mut store, &catalog, "pyhton:3.11", None).unwrap_err().to_string();
        assert_eq!(e, "pull access denied for pyhton, repository does not exist or may require 'docker login': denied: requested access to the resource is denied");
        let e = pull(&mut store, &catalog, "python:3.99", None).unwrap_err().to_string();
        assert_eq!(e, "manifest for python:3.99 not found: manifest unknown: manifest unknown");
        let e = pull(&mut store, &catalog, "ghcr.io/org/app:1", None).unwrap_err().to_string();
        assert_eq!(e, "Get \"https://ghcr.io/v2/\": dial tcp: lookup ghcr.io: no such host");
    }

    #[test]
    fn docker_hub_names_the_catalog_lacks_come_from_docker_hub_where_it_answers() {
        use crate::image::distribution::tests::{image, Fake};
        let fake = Fake::default();
        let mut src = ImageStore::in_memory();
        let id = image(&mut src, b"tool", "amd64");
        crate::image::distribution::transfer::push_image(&src, &fake, "app:amd64", "docker.io", "ana/tool", "1").unwrap();
        let mut store = ImageStore::in_memory();
        let p = pull(&mut store, &Catalog::embedded(), "ana/tool:1", Some(&fake)).unwrap();
        assert_eq!((p.id, p.lines[0].as_str()), (id, "1: Pulling from ana/tool"));
        assert!(fake.log.lock().unwrap().iter().any(|l| l == "GET /v2/ana/tool/manifests/1"));
        // A catalog image does not ask the registry.
        let before = fake.log.lock().unwrap().len();
        pull(&mut store, &Catalog::embedded(), "alpine:3.20", Some(&fake)).unwrap();
        assert_eq!(fake.log.lock().unwrap().len(), before);
        // What neither has gets the registry's answer; an unreachable one, the catalog's.
        let e = pull(&mut store, &Catalog::embedded(), "ana/none:1", Some(&fake)).unwrap_err().to_string();
        assert_eq!(e, "manifest for ana/none:1 not found: manifest unknown: manifest unknown");
        struct Offline;
        impl Remote for Offline {
            fn send(&self, _: &distribution::Request) -> Result<distribution::Response, distribution::HttpError> {
                Err(distribution::HttpError::Lookup("registry-1.docker.io".into()))
            }
        }
        let e = pull(&mut store, &Catalog::embedded(), "pyhton:3.11", Some(&Offline)).unwrap_err().to_string();
        assert!(e.starts_with("pull access denied for pyhton"), "{e}");
    }

    #[test]
    fn saving_a_catalog_image_writes_its_files() {
        let mut store = ImageStore::in_memory();
        pull(&mut store, &Catalog::embedded(), "alpine:3.20", None).unwrap();
        let archive = super::super::archive::save(&store, &["alpine:3.20".into()]).unwrap();
        let mut other = ImageStore::in_memory();
        assert_eq!(super::super::archive::load(&mut other, &archive, "now").unwrap(), ["Loaded image: alpine:3.20"]);
        let id = other.resolve("alpine:3.20").unwrap().id.clone();
        let layers = other.layers(&id).unwrap();
        use crate::vfs::FileSystem;
        assert!(String::from_utf8(layers[0].read("/etc/alpine-release").unwrap()).unwrap().starts_with("3.20.3"));
    }
}
