//! Image layers: a filesystem (a container's upper layer, whiteouts included) becomes a
//! deterministic tar, gzip-compressed with both digests computed on the way; a layer tar
//! is unpacked into a filesystem with every path checked so nothing lands outside it.

use std::io::{Read, Write};

use flate2::write::GzEncoder;
use flate2::Compression;
use sha2::{Digest as _, Sha256};

use super::digest::Digest;
use crate::vfs::{self, walk, Attrs, Content, Errno, FileSystem, FileType, FsError, MemoryFs};

/// A compressed layer and its two digests.
#[derive(Debug, Clone)]
pub struct LayerBlob {
    /// Digest of the compressed blob (what manifests list).
    pub digest: Digest,
    /// Digest of the uncompressed tar (what `rootfs.diff_ids` lists).
    pub diff_id: Digest,
    pub data: Vec<u8>,
    /// Bytes of the uncompressed tar.
    pub tar_size: u64,
    /// Bytes of the files in the layer (what `docker images` adds up as SIZE).
    pub content_size: u64,
}

/// PAX keys of a modelled (lazy) file in a layer: its declared size and label. The entry
/// itself carries no bytes, so a layer holding a 1.6 GB modelled torch stays small.
/// The most bytes of file content one layer or archive may hold in memory when it is
/// unpacked or written out: what a browser tab (a 4 GiB wasm32 memory) or the machine
/// can hold. A tar header or a gzip stream that claims more is refused before anything
/// is allocated for it.
pub const MAX_BYTES: u64 = if cfg!(target_arch = "wasm32") { 2 << 30 } else { 32 << 30 };

/// The largest size a modelled file may declare (it costs nothing until it is read).
pub const MAX_MODELLED: u64 = 1 << 40;

const MODELLED_SIZE: &str = "BERTH.modelled.size";
const MODELLED_LABEL: &str = "BERTH.modelled.label";

/// A modelled file's declared size and label, from its entry's PAX records.
fn modelled<R: Read>(entry: &mut tar::Entry<'_, R>) -> Option<(u64, String)> {
    let mut size = None;
    let mut label = None;
    for ext in entry.pax_extensions().ok()??.flatten() {
        match ext.key() {
            Ok(MODELLED_SIZE) => size = ext.value().ok().and_then(|v| v.parse().ok()),
            Ok(MODELLED_LABEL) => label = ext.value().ok().map(str::to_string),
            _ => {}
        }
    }
    Some((size?, label.unwrap_or_default()))
}

/// The sum of the sizes of a tar's regular files (modelled files at their declared size).
pub fn content_size(tar: &[u8]) -> u64 {
    let mut archive = tar::Archive::new(tar);
    let Ok(entries) = archive.entries() else { return tar.len() as u64 };
    let mut total = 0;
    for mut e in entries.flatten() {
        if e.header().entry_type().is_file() {
            total += modelled(&mut e).map_or(e.size(), |(size, _)| size);
        }
    }
    total
}

/// Whether a tar (plain or gzip) has modelled entries, which only Berth reads.
pub fn has_modelled(layer: &[u8]) -> bool {
    let reader: Box<dyn Read> = if layer.starts_with(&[0x1f, 0x8b]) { Box::new(flate2::read::MultiGzDecoder::new(layer)) } else { Box::new(layer) };
    let mut archive = tar::Archive::new(reader);
    let Ok(entries) = archive.entries() else { return false };
    entries.flatten().any(|mut e| modelled(&mut e).is_some())
}

#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    #[error("failed to read layer: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Fs(#[from] FsError),
    #[error("refusing layer entry {path:?}: {reason}")]
    Unsafe { path: String, reason: &'static str },
    /// More than [`MAX_BYTES`] (or a modelled file over [`MAX_MODELLED`]).
    #[error("refusing {what}: it holds {size} bytes, more than the {limit} this engine can hold")]
    TooLarge { what: String, size: u64, limit: u64 },
}

/// Refuses `size` bytes of `what` where `used` bytes already count against `limit`.
fn within(what: impl FnOnce() -> String, used: u64, size: u64, limit: u64) -> Result<(), LayerError> {
    if used.saturating_add(size) > limit {
        return Err(LayerError::TooLarge { what: what(), size: used.saturating_add(size), limit });
    }
    Ok(())
}

/// How layers are written.
#[derive(Debug, Clone, Copy)]
pub struct LayerOptions {
    /// gzip level (0–9); 6 is gzip's default.
    pub level: u32,
    /// Timestamps later than this are clamped to it (`SOURCE_DATE_EPOCH`).
    pub source_date_epoch: Option<i64>,
    /// Bytes of tar per gzip member. Members are compressed independently (on several
    /// cores where there are any) and concatenated, which every gzip reader accepts. The
    /// size is fixed so the output does not depend on the machine.
    pub chunk_size: usize,
    /// Write modelled files out at their full size (a tar other tools read: `docker
    /// save`, the `tar` applet) instead of as PAX-described empty entries (layers).
    pub materialize: bool,
}

impl Default for LayerOptions {
    fn default() -> LayerOptions {
        LayerOptions { level: 6, source_date_epoch: None, chunk_size: 4 << 20, materialize: false }
    }
}

impl LayerOptions {
    /// Options for a tar that leaves Berth (every byte written out).
    pub fn portable() -> LayerOptions {
        LayerOptions { materialize: true, ..LayerOptions::default() }
    }
}

/// Writes the filesystem as a tar: entries sorted by path, parents first, hard links as
/// links, whiteout files as they are.
pub fn tar_of(fs: &dyn FileSystem, options: &LayerOptions) -> Result<Vec<u8>, LayerError> {
    if options.materialize {
        // Every modelled byte is written out: refuse what could not be held.
        let total = walk::walk(fs, "/")?.iter().filter(|(_, m)| m.kind == FileType::File).fold(0u64, |t, (_, m)| t.saturating_add(m.size));
        within(|| "to write the layer out".to_string(), 0, total, MAX_BYTES)?;
    }
    let mut builder = tar::Builder::new(Vec::new());
    let mut links: std::collections::HashMap<u64, String> = std::collections::HashMap::new();
    for (path, meta) in walk::walk(fs, "/")? {
        let mut header = tar::Header::new_gnu();
        let mtime = options.source_date_epoch.map_or(meta.mtime, |e| meta.mtime.min(e)).max(0);
        header.set_mode(meta.mode);
        header.set_uid(u64::from(meta.uid));
        header.set_gid(u64::from(meta.gid));
        header.set_mtime(mtime as u64);
        header.set_size(0);
        let full = vfs::join("/", &path);
        match meta.kind {
            FileType::Dir => {
                header.set_entry_type(tar::EntryType::Directory);
                builder.append_data(&mut header, format!("{path}/"), std::io::empty())?;
            }
            FileType::File => {
                if meta.nlink > 1 {
                    if let Some(first) = links.get(&meta.ino) {
                        header.set_entry_type(tar::EntryType::Link);
                        builder.append_link(&mut header, &path, first)?;
                        continue;
                    }
                    links.insert(meta.ino, path.clone());
                }
                let content = fs.content(&full)?;
                header.set_entry_type(tar::EntryType::Regular);
                if let (Content::Lazy { size, label }, false) = (&content, options.materialize) {
                    let size = size.to_string();
                    builder.append_pax_extensions([(MODELLED_SIZE, size.as_bytes()), (MODELLED_LABEL, label.as_bytes())])?;
                    builder.append_data(&mut header, &path, std::io::empty())?;
                    continue;
                }
                header.set_size(content.len());
                builder.append_data(&mut header, &path, LazyReader::new(content))?;
            }
            FileType::Symlink => {
                header.set_entry_type(tar::EntryType::Symlink);
                builder.append_link(&mut header, &path, fs.read_link(&full)?)?;
            }
            kind => {
                header.set_entry_type(match kind {
                    FileType::CharDevice => tar::EntryType::Char,
                    FileType::BlockDevice => tar::EntryType::Block,
                    _ => tar::EntryType::Fifo,
                });
                header.set_device_major((meta.rdev >> 8) as u32)?;
                header.set_device_minor((meta.rdev & 0xff) as u32)?;
                builder.append_data(&mut header, &path, std::io::empty())?;
            }
        }
    }
    Ok(builder.into_inner()?)
}

/// Streams a file's content (lazy content is generated in pieces, never all at once).
struct LazyReader {
    content: Content,
    offset: u64,
}

impl LazyReader {
    fn new(content: Content) -> LazyReader {
        LazyReader { content, offset: 0 }
    }
}

impl Read for LazyReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let piece = self.content.read_range(self.offset, buf.len().min(1 << 20));
        buf[..piece.len()].copy_from_slice(&piece);
        self.offset += piece.len() as u64;
        Ok(piece.len())
    }
}

fn gzip_member(data: &[u8], level: u32) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::with_capacity(data.len() / 3), Compression::new(level));
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(data);
    enc.finish().unwrap_or_default()
}

/// Compresses `tar` as concatenated gzip members of `chunk_size` bytes and computes the
/// tar's digest, using a second thread where the platform has threads.
pub fn compress(tar: Vec<u8>, options: &LayerOptions) -> LayerBlob {
    let chunk = options.chunk_size.max(64 << 10);
    let chunks: Vec<&[u8]> = tar.chunks(chunk).collect();
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(chunks.len().max(1));
    let mut members: Vec<Vec<u8>> = vec![Vec::new(); chunks.len()];
    let mut diff_id = None;
    let threaded = workers > 1
        && std::thread::scope(|scope| {
            let (first, rest) = members.split_at_mut(chunks.len().div_ceil(workers));
            let (first_chunks, rest_chunks) = chunks.split_at(first.len());
            // The other thread compresses the second part; this one hashes the whole tar
            // and then compresses the first part.
            let helper = std::thread::Builder::new().spawn_scoped(scope, move || {
                for (out, data) in rest.iter_mut().zip(rest_chunks) {
                    *out = gzip_member(data, options.level);
                }
            });
            let Ok(helper) = helper else { return false };
            diff_id = Some(Digest::of(&tar));
            for (out, data) in first.iter_mut().zip(first_chunks) {
                *out = gzip_member(data, options.level);
            }
            helper.join().is_ok()
        });
    if !threaded {
        diff_id = Some(Digest::of(&tar));
        for (out, data) in members.iter_mut().zip(&chunks) {
            *out = gzip_member(data, options.level);
        }
    }
    if tar.is_empty() {
        members = vec![gzip_member(&[], options.level)];
    }
    let mut hasher = Sha256::new();
    let mut data = Vec::with_capacity(members.iter().map(Vec::len).sum());
    for m in &members {
        hasher.update(m);
        data.extend_from_slice(m);
    }
    let tar_size = tar.len() as u64;
    let content_size = content_size(&tar);
    let diff_id = diff_id.unwrap_or_else(|| Digest::of(&tar));
    LayerBlob { digest: Digest(hasher.finalize().into()), diff_id, data, tar_size, content_size }
}

/// A filesystem (typically a container's upper layer) as a compressed layer.
pub fn layer_of(fs: &dyn FileSystem, options: &LayerOptions) -> Result<LayerBlob, LayerError> {
    Ok(compress(tar_of(fs, options)?, options))
}

fn unsafe_entry(path: &str, reason: &'static str) -> LayerError {
    LayerError::Unsafe { path: path.to_string(), reason }
}

/// Checks a layer path: relative, no `..`, and returns it as an absolute vfs path.
/// Linux's `PATH_MAX`: no program in a container could open a longer path in one call,
/// and walking deeper ones per entry costs time in proportion to their depth.
const PATH_MAX: usize = 4096;

fn checked_path(raw: &str) -> Result<String, LayerError> {
    if raw.len() > PATH_MAX {
        return Err(unsafe_entry(&format!("{}…", &raw[..raw.char_indices().nth(60).map_or(raw.len(), |(i, _)| i)]), "path longer than PATH_MAX (4096 bytes)"));
    }
    if raw.starts_with('/') {
        return Err(unsafe_entry(raw, "absolute path"));
    }
    let comps = vfs::components(raw);
    if comps.contains(&"..") {
        return Err(unsafe_entry(raw, "path contains .."));
    }
    Ok(format!("/{}", comps.join("/")))
}

/// Whether some parent of `path` is a symlink in `fs` (writing through it is refused).
fn through_symlink(fs: &MemoryFs, path: &str) -> bool {
    fs.parent_is_symlink(path)
}

/// Unpacks a layer (gzip-compressed or plain tar) into `fs` as it is: whiteout files
/// stay files, for an [`vfs::OverlayFs`] to interpret. Refuses absolute paths, `..`,
/// links that point outside the root and writes through symlinks.
pub fn unpack(layer: &[u8], fs: &mut MemoryFs) -> Result<(), LayerError> {
    unpack_within(layer, fs, MAX_BYTES)
}

/// [`unpack`] holding at most `limit` bytes of file content.
pub fn unpack_within(layer: &[u8], fs: &mut MemoryFs, limit: u64) -> Result<(), LayerError> {
    let reader: Box<dyn Read> = if layer.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::read::MultiGzDecoder::new(layer))
    } else {
        Box::new(layer)
    };
    let mut archive = tar::Archive::new(reader);
    let mut held = 0u64;
    for entry in archive.entries()? {
        let mut entry = entry?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let path = checked_path(&raw)?;
        if path == "/" {
            continue;
        }
        if through_symlink(fs, &path) {
            return Err(unsafe_entry(&raw, "parent directory is a symlink"));
        }
        let header = entry.header();
        // Some writers leave numeric fields blank; treat those as zero like GNU tar.
        let attrs = Attrs {
            mode: header.mode().unwrap_or(0o644) & 0o7777,
            uid: header.uid().unwrap_or(0) as u32,
            gid: header.gid().unwrap_or(0) as u32,
            mtime: header.mtime().unwrap_or(0) as i64,
        };
        let kind = header.entry_type();
        if let Some((parent, _)) = vfs::split_parent(&path) {
            if !fs.exists(&parent) {
                fs.create_dir_all(&parent, 0o755)?;
            }
        }
        let existing = fs.lstat(&path).ok();
        if let Some(m) = &existing {
            if !(m.is_dir() && kind == tar::EntryType::Directory) {
                fs.remove_all(&path)?;
            }
        }
        match kind {
            tar::EntryType::Directory => {
                if existing.as_ref().is_some_and(|m| m.is_dir()) {
                    fs.set_mode(&path, attrs.mode)?;
                } else {
                    fs.create_dir(&path, attrs.mode)?;
                }
                fs.set_owner(&path, attrs.uid, attrs.gid)?;
                fs.set_mtime(&path, attrs.mtime)?;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous | tar::EntryType::GNUSparse => {
                if let Some((size, label)) = modelled(&mut entry) {
                    within(|| format!("layer entry {raw:?} (a modelled file)"), 0, size, MAX_MODELLED)?;
                    fs.put_file(&path, Content::lazy(size, &label), attrs)?;
                    continue;
                }
                // The header's size is a claim: checked against the budget, and the
                // buffer grows with what is really there.
                let claimed = entry.size();
                within(|| "the layer".to_string(), held, claimed, limit)?;
                let mut data = Vec::with_capacity(claimed.min(1 << 20) as usize);
                (&mut entry).take(claimed).read_to_end(&mut data)?;
                if (data.len() as u64) < claimed {
                    return Err(LayerError::Io(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, format!("entry {raw:?} is truncated: {} of {claimed} bytes", data.len()))));
                }
                held += data.len() as u64;
                let content = Content::recognise(data);
                fs.put_file(&path, content, attrs)?;
            }
            tar::EntryType::Symlink => {
                // Any target is kept as it is, as Docker and containerd keep it: it is
                // resolved inside the root (`..` stops at `/`), never on the host.
                let target = entry.link_name_bytes().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
                fs.symlink(&target, &path)?;
                fs.set_owner(&path, attrs.uid, attrs.gid)?;
                fs.set_mtime(&path, attrs.mtime)?;
            }
            tar::EntryType::Link => {
                let target = entry.link_name_bytes().map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
                let target = checked_path(&target).map_err(|_| unsafe_entry(&raw, "hard link points outside the root"))?;
                fs.hard_link(&target, &path)?;
            }
            tar::EntryType::Char | tar::EntryType::Block | tar::EntryType::Fifo => {
                let major = header.device_major().ok().flatten().unwrap_or(0) as u64;
                let minor = header.device_minor().ok().flatten().unwrap_or(0) as u64;
                let kind = match kind {
                    tar::EntryType::Char => FileType::CharDevice,
                    tar::EntryType::Block => FileType::BlockDevice,
                    _ => FileType::Fifo,
                };
                fs.mknod(&path, kind, attrs, (major << 8) | minor)?;
            }
            // pax headers and other metadata entries are consumed by the tar reader.
            _ => {}
        }
    }
    Ok(())
}

impl From<LayerError> for FsError {
    fn from(e: LayerError) -> FsError {
        match e {
            LayerError::Fs(f) => f,
            other => FsError::new(Errno::EINVAL, &other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> MemoryFs {
        let mut fs = MemoryFs::new();
        fs.create_dir_all("/app/data", 0o755).unwrap();
        fs.put_file("/app/train.py", Content::data(b"print(1)\n".to_vec()), Attrs { mode: 0o755, uid: 1000, gid: 1000, mtime: 1_700_000_000 }).unwrap();
        fs.hard_link("/app/train.py", "/app/train-link.py").unwrap();
        fs.symlink("train.py", "/app/main.py").unwrap();
        fs.put_file("/app/.wh.old.txt", Content::data(Vec::new()), Attrs::mode(0)).unwrap();
        fs.mknod("/app/null", FileType::CharDevice, Attrs::mode(0o666), (1 << 8) | 3).unwrap();
        fs.put_file("/app/data/big.bin", Content::lazy(3 << 20, "big.bin"), Attrs::mode(0o644)).unwrap();
        fs
    }

    /// A tar of one file whose header says `claimed` bytes, followed by `data`.
    fn claiming(claimed: u64, data: &[u8], pax: Option<(&str, &str)>) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        if let Some((k, v)) = pax {
            b.append_pax_extensions([(k, v.as_bytes())]).unwrap();
        }
        let mut h = tar::Header::new_gnu();
        h.set_path("big.bin").unwrap();
        h.set_size(claimed);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        h.set_cksum();
        let mut out = b.into_inner().unwrap();
        // Without the end-of-archive blocks the builder wrote.
        out.truncate(out.len() - 1024);
        out.extend_from_slice(h.as_bytes());
        out.extend_from_slice(data);
        out.resize(out.len() + 1024, 0);
        out
    }

    #[test]
    fn sizes_from_headers_and_streams_are_claims_that_are_checked() {
        // 100 GiB claimed over 10 bytes: refused before anything is allocated.
        let err = unpack(&claiming(100 << 30, b"0123456789", None), &mut MemoryFs::new()).unwrap_err();
        assert!(matches!(err, LayerError::TooLarge { size, .. } if size == 100 << 30), "{err}");
        // Within the budget but not there: the read ends with the data, not at the claim.
        let err = unpack(&claiming(1 << 30, b"0123456789", None), &mut MemoryFs::new()).unwrap_err();
        assert!(matches!(err, LayerError::Io(_)), "{err}");
        // A modelled file may be large, but not absurd.
        let mut fs = MemoryFs::new();
        unpack(&claiming(0, b"", Some((MODELLED_SIZE, "700000000"))), &mut fs).unwrap();
        assert_eq!(fs.stat("/big.bin").unwrap().size, 700_000_000);
        assert_eq!(fs.read_range("/big.bin", 0, 4).unwrap().len(), 4);
        let err = unpack(&claiming(0, b"", Some((MODELLED_SIZE, "1000000000000000"))), &mut MemoryFs::new()).unwrap_err();
        assert!(matches!(err, LayerError::TooLarge { .. }), "{err}");
        // A gzip bomb (a 64 MiB file of zeros in a few kilobytes) against a smaller budget.
        let mut bomb = MemoryFs::new();
        bomb.put_file("/zeros", Content::data(vec![0u8; 64 << 20]), Attrs::mode(0o644)).unwrap();
        let blob = layer_of(&bomb, &LayerOptions::default()).unwrap();
        assert!(blob.data.len() < 1 << 20);
        let err = unpack_within(&blob.data, &mut MemoryFs::new(), 16 << 20).unwrap_err();
        assert!(matches!(err, LayerError::TooLarge { limit, .. } if limit == 16 << 20), "{err}");
        // Writing out a modelled file bigger than the engine holds is refused, not tried.
        let mut huge = MemoryFs::new();
        huge.put_file("/lib.so", Content::lazy(MAX_MODELLED, "lib.so"), Attrs::mode(0o644)).unwrap();
        assert!(matches!(tar_of(&huge, &LayerOptions::portable()), Err(LayerError::TooLarge { .. })));
        assert!(tar_of(&huge, &LayerOptions::default()).is_ok());
    }

    #[test]
    fn paths_longer_than_path_max_are_refused_quickly() {
        // 100,000 nested directories, one entry each: refused at the first one past
        // PATH_MAX instead of walking ever deeper paths for each entry.
        let mut b = tar::Builder::new(Vec::new());
        let mut path = String::new();
        for _ in 0..100_000 {
            path.push_str("abcdefgh/");
            let mut h = tar::Header::new_gnu();
            h.set_entry_type(tar::EntryType::Directory);
            h.set_mode(0o755);
            h.set_size(0);
            b.append_data(&mut h, &path, std::io::empty()).unwrap();
            if path.len() > 5000 {
                break;
            }
        }
        let tar = b.into_inner().unwrap();
        let err = unpack(&tar, &mut MemoryFs::new()).unwrap_err();
        assert!(err.to_string().contains("path longer than PATH_MAX (4096 bytes)"), "{err}");
    }

    #[test]
    fn round_trip_keeps_everything() {
        let fs = sample();
        let blob = layer_of(&fs, &LayerOptions { chunk_size: 1 << 20, ..Default::default() }).unwrap();
        let mut back = MemoryFs::new();
        unpack(&blob.data, &mut back).unwrap();
        for path in ["/app/train.py", "/app/data/big.bin"] {
            assert_eq!(back.read(path).unwrap(), fs.read(path).unwrap());
        }
        let m = back.stat("/app/train.py").unwrap();
        assert_eq!((m.mode, m.uid, m.gid, m.mtime, m.nlink), (0o755, 1000, 1000, 1_700_000_000, 2));
        assert_eq!(back.read_link("/app/main.py").unwrap(), "train.py");
        assert!(back.exists("/app/.wh.old.txt"));
        assert_eq!(back.lstat("/app/null").unwrap().rdev, 259);
    }

    #[test]
    fn modelled_files_stay_small_in_layers_and_are_written_out_in_portable_tars() {
        let mut fs = MemoryFs::new();
        fs.create_dir_all("/opt/conda/lib", 0o755).unwrap();
        // A modelled libtorch: 1.6 GB declared, a few bytes stored.
        fs.put_file("/opt/conda/lib/libtorch_cpu.so", Content::lazy(1_600_000_000, "modelled:torch"), Attrs::mode(0o755)).unwrap();
        let blob = layer_of(&fs, &LayerOptions::default()).unwrap();
        assert!(blob.data.len() < 4096, "{} bytes", blob.data.len());
        assert_eq!(blob.content_size, 1_600_000_000);
        assert!(has_modelled(&blob.data));
        let mut back = MemoryFs::new();
        unpack(&blob.data, &mut back).unwrap();
        assert_eq!(back.content("/opt/conda/lib/libtorch_cpu.so").unwrap(), Content::lazy(1_600_000_000, "modelled:torch"));
        assert_eq!(back.stat("/opt/conda/lib/libtorch_cpu.so").unwrap().mode, 0o755);
        // What leaves Berth carries every byte.
        let mut small = MemoryFs::new();
        small.put_file("/big.bin", Content::lazy(3 << 20, "big.bin"), Attrs::mode(0o644)).unwrap();
        let portable = tar_of(&small, &LayerOptions::portable()).unwrap();
        assert!(portable.len() > 3 << 20);
        assert!(!has_modelled(&portable));
    }

    #[test]
    fn a_containers_changes_become_a_layer_with_whiteouts() {
        use crate::vfs::OverlayFs;
        let base = std::sync::Arc::new(sample());
        let mut container = OverlayFs::new(vec![base], MemoryFs::new());
        container.remove_file("/app/train.py").unwrap();
        container.remove_all("/app/data").unwrap();
        container.write("/app/new.txt", b"new").unwrap();
        let tar = tar_of(container.upper(), &LayerOptions::default()).unwrap();
        let mut names: Vec<String> = tar::Archive::new(&tar[..]).entries().unwrap().map(|e| e.unwrap().path().unwrap().display().to_string()).collect();
        names.sort();
        assert_eq!(names, ["app/", "app/.wh.data", "app/.wh.train.py", "app/new.txt"]);
    }

    #[test]
    fn output_is_deterministic() {
        let a = layer_of(&sample(), &LayerOptions::default()).unwrap();
        let b = layer_of(&sample(), &LayerOptions::default()).unwrap();
        assert_eq!((&a.digest, &a.diff_id), (&b.digest, &b.diff_id));
        let plain = tar_of(&sample(), &LayerOptions::default()).unwrap();
        assert_eq!(Digest::of(&plain), b.diff_id);
    }

    fn tar_with(name: &str, kind: tar::EntryType, link: Option<&str>) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(kind);
        h.set_size(0);
        h.set_mode(0o644);
        // Write the name bytes directly: the tar crate refuses unsafe names itself.
        let bytes = name.as_bytes();
        if let Some(gnu) = h.as_gnu_mut() {
            gnu.name[..bytes.len()].copy_from_slice(bytes);
        }
        if let Some(l) = link {
            h.set_link_name(l).unwrap();
        }
        h.set_cksum();
        b.append(&h, std::io::empty()).unwrap();
        b.into_inner().unwrap()
    }

    #[test]
    fn unsafe_entries_are_refused() {
        let cases = [
            (tar_with("../evil", tar::EntryType::Regular, None), "path contains .."),
            (tar_with("a/../../evil", tar::EntryType::Regular, None), "path contains .."),
            (tar_with("/etc/passwd", tar::EntryType::Regular, None), "absolute path"),
            (tar_with("x", tar::EntryType::Link, Some("../../etc/shadow")), "hard link points outside the root"),
        ];
        for (data, reason) in cases {
            let mut fs = MemoryFs::new();
            match unpack(&data, &mut fs) {
                Err(LayerError::Unsafe { reason: r, .. }) => assert_eq!(r, reason),
                other => panic!("expected refusal ({reason}), got {other:?}"),
            }
        }
        // Writing through a symlink inside the layer is refused too.
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, "etc", "/tmp").unwrap();
        let mut h = tar::Header::new_gnu();
        h.set_size(1);
        b.append_data(&mut h, "etc/passwd", &b"x"[..]).unwrap();
        let mut fs = MemoryFs::new();
        assert!(matches!(unpack(&b.into_inner().unwrap(), &mut fs), Err(LayerError::Unsafe { .. })));
        // Absolute symlinks, and relative ones that climb above the root, are kept: they
        // resolve inside it.
        let mut fs = MemoryFs::new();
        unpack(&tar_with("sh", tar::EntryType::Symlink, Some("/bin/busybox")), &mut fs).unwrap();
        let mut fs = MemoryFs::new();
        fs.create_dir("/etc", 0o755).unwrap();
        fs.write("/etc/os", b"inside").unwrap();
        fs.create_dir("/lib", 0o755).unwrap();
        unpack(&tar_with("lib/x", tar::EntryType::Symlink, Some("../../../etc")), &mut fs).unwrap();
        assert_eq!(fs.read("/lib/x/os").unwrap(), b"inside");
    }
}
