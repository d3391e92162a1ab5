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

/// Live progress on a terminal, as Docker draws it: the lines before the layers, then a
/// line per layer (`a1b2c3d4e5f6: Downloading [==>     ]  3.146MB/31.37MB`), redrawn in
/// place through [`Remote::show_progress`].
pub struct Board<'a> {
    remote: &'a dyn Remote,
    head: Vec<String>,
    rows: std::sync::Mutex<Rows>,
    /// Whether the host showed a frame (then the lines are not repeated at the end).
    pub shown: std::sync::atomic::AtomicBool,
}

/// Each layer's short ID, status and last drawn percentage; the lines drawn last.
type Rows = (Vec<(String, String, i64)>, usize);

/// Docker's progress bar: 50 wide, the sizes in four significant digits.
pub fn bar(current: u64, total: u64) -> String {
    let filled = if total == 0 { 0 } else { ((current.min(total) as f64 / total as f64 * 100.0) as usize / 2).min(50) };
    format!("[{}>{}] {:>8}/{}", "=".repeat(filled), " ".repeat(50 - filled), crate::units::human_size4(current), crate::units::human_size4(total))
}

impl<'a> Board<'a> {
    pub fn new(remote: &'a dyn Remote, head: Vec<String>) -> Board<'a> {
        Board { remote, head, rows: std::sync::Mutex::new((Vec::new(), 0)), shown: std::sync::atomic::AtomicBool::new(false) }
    }

    fn add(&self, short: &str, status: &str) -> usize {
        let mut g = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        g.0.push((short.to_string(), status.to_string(), -1));
        g.0.len() - 1
    }

    /// Sets a layer's status; `percent` keeps a download from redrawing for every read.
    fn set(&self, row: usize, status: String, percent: i64) {
        let mut g = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        let Some(r) = g.0.get_mut(row) else { return };
        if r.1 == status || (percent >= 0 && percent == r.2) {
            return;
        }
        (r.1, r.2) = (status, percent);
        self.draw(&mut g);
    }

    fn draw(&self, g: &mut Rows) {
        let mut frame = if g.1 > 0 { format!("\x1b[{}A\r\x1b[J", g.1) } else { String::new() };
        for h in &self.head {
            frame.push_str(h);
            frame.push('\n');
        }
        for (short, status, _) in &g.0 {
            frame.push_str(&format!("{short}: {status}\n"));
        }
        if self.remote.show_progress(&frame) {
            g.1 = self.head.len() + g.0.len();
            self.shown.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    fn redraw(&self) {
        let mut g = self.rows.lock().unwrap_or_else(|e| e.into_inner());
        self.draw(&mut g);
    }
}

/// Pulls `reference` (a tag or a digest) of `domain/repository` into the store, tagging
/// it `tag` (a full reference) where one is given. `board` shows progress as it goes.
#[allow(clippy::too_many_arguments)]
pub fn pull_image(store: &mut ImageStore, remote: &dyn Remote, domain: &str, repository: &str, reference: &str, tag: Option<&str>, platform: &Platform, board: Option<&Board<'_>>) -> Result<PulledImage, Error> {
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
    let mut rows = Vec::new();
    for l in &manifest.layers {
        let short = l.digest.short();
        layers.push((short.clone(), l.size));
        if store.has_layer(&l.digest) {
            lines.push(format!("{short}: Already exists"));
            rows.push(board.map(|b| b.add(&short, "Already exists")));
        } else {
            lines.push(format!("{short}: Pulling fs layer"));
            rows.push(board.map(|b| b.add(&short, "Pulling fs layer")));
            wanted.push((l.clone(), *rows.last().unwrap_or(&None)));
        }
    }
    if let Some(b) = board {
        b.redraw();
    }
    // Each layer is fetched, checked against its digest, and unpacked far enough to
    // check its diff ID, beside the others.
    let client = &client;
    // Bytes come in on the download threads; a ticker draws them (at most ten times a
    // second) where there is a board.
    let counters: Vec<std::sync::Arc<std::sync::atomic::AtomicU64>> = wanted.iter().map(|_| Default::default()).collect();
    let finished: Vec<std::sync::atomic::AtomicBool> = wanted.iter().map(|_| Default::default()).collect();
    let jobs: Vec<Job<'_, LayerBlob>> = wanted
        .iter()
        .zip(&counters)
        .zip(&finished)
        .map(|(((l, row), counter), done)| {
            Box::new(move || {
                let progress = board.map(|_| {
                    let counter = counter.clone();
                    super::http::Progress(std::sync::Arc::new(move |n| counter.store(n, std::sync::atomic::Ordering::Relaxed)))
                });
                let data = client.blob_with(&l.digest, l.size, progress);
                done.store(true, std::sync::atomic::Ordering::SeqCst);
                let data = data?;
                if let (Some(b), Some(row)) = (board, row) {
                    b.set(*row, "Verifying Checksum".into(), -1);
                    b.set(*row, "Download complete".into(), -1);
                }
                let tar = crate::image::archive::gunzip_if_needed(data.clone()).map_err(|e| Error::Invalid(format!("layer {}: {e}", l.digest)))?;
                let diff_id = Digest::of(&tar);
                let content_size = crate::image::layer::content_size(&tar);
                Ok(LayerBlob { digest: l.digest.clone(), diff_id, tar_size: tar.len() as u64, content_size, data })
            }) as Job<'_, LayerBlob>
        })
        .collect();
    let all_done = std::sync::atomic::AtomicBool::new(false);
    let fetched = std::thread::scope(|scope| {
        #[cfg(not(target_arch = "wasm32"))]
        if let Some(b) = board {
            let (wanted, counters, finished, all_done) = (&wanted, &counters, &finished, &all_done);
            scope.spawn(move || {
                while !all_done.load(std::sync::atomic::Ordering::SeqCst) {
                    std::thread::sleep(std::time::Duration::from_millis(100));
                    for (((l, row), counter), done) in wanted.iter().zip(counters).zip(finished) {
                        let got = counter.load(std::sync::atomic::Ordering::Relaxed);
                        if let (Some(row), false, true) = (row, done.load(std::sync::atomic::Ordering::SeqCst), got > 0) {
                            let percent = (got * 100).checked_div(l.size).unwrap_or(0) as i64;
                            b.set(*row, format!("Downloading {}", bar(got, l.size)), percent);
                        }
                    }
                }
            });
        }
        let _ = scope;
        let r = concurrently(jobs);
        all_done.store(true, std::sync::atomic::Ordering::SeqCst);
        r
    });
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
        if let (Some(b), Some(Some(row))) = (board, rows.get(i)) {
            b.set(*row, "Pull complete".into(), -1);
        }
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
