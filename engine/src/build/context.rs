//! The build context and `COPY`/`ADD`: which files a source names (globs, `.dockerignore`),
//! what their content hashes to for the cache, and how they land in the image.

use crate::dockerfile::instructions::{Copy, Source};
use crate::dockerignore::DockerIgnore;
use crate::image::digest::Digest;
use crate::shell::pattern;
use crate::vfs::{components, join, walk, Attrs, Content, FileSystem, MemoryFs};

/// The context as the build sees it: everything `.dockerignore` does not exclude.
pub struct Filtered<'a> {
    pub fs: &'a dyn FileSystem,
    pub ignore: &'a DockerIgnore,
}

impl Filtered<'_> {
    /// A snapshot of the visible context (contents are shared, not copied).
    pub fn snapshot(&self) -> MemoryFs {
        let mut out = MemoryFs::new();
        if let Ok(entries) = walk::walk(self.fs, "/") {
            for (rel, meta) in entries {
                if rel == ".dockerignore" || (self.ignore.excludes(&rel) && !meta.is_dir()) {
                    continue;
                }
                if meta.is_dir() && self.ignore.excludes(&rel) && !self.ignore.has_exceptions() {
                    continue;
                }
                let path = format!("/{rel}");
                if let Some((parent, _)) = crate::vfs::split_parent(&path) {
                    let _ = out.create_dir_all(&parent, 0o755);
                }
                let _ = walk::copy_entry(self.fs, &path, &mut out, &path, &meta);
            }
        }
        out
    }
}

/// Bytes of the files in a context, for "transferring context".
pub fn size(fs: &dyn FileSystem) -> u64 {
    walk::walk(fs, "/").map(|w| w.iter().filter(|(_, m)| m.is_file()).map(|(_, m)| m.size).sum()).unwrap_or(0)
}

/// What one source names: a path in the source filesystem, or an inline file.
pub enum Resolved {
    Path(String),
    Inline { name: String, content: String },
}

fn has_glob(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Expands the sources of a `COPY`/`ADD`; `Err` names the first one that is missing.
pub fn resolve_sources(fs: &dyn FileSystem, c: &Copy) -> Result<Vec<Resolved>, String> {
    let mut out = Vec::new();
    let mut missing_glob: Option<String> = None;
    for s in &c.sources {
        match s {
            Source::Heredoc(h) => out.push(Resolved::Inline { name: h.name.clone(), content: h.body() }),
            Source::Path(p) if p.contains("://") || p.starts_with("git@") => out.push(Resolved::Path(p.clone())),
            Source::Path(p) => {
                let clean = crate::vfs::normalize(&format!("/{p}"));
                if !has_glob(p) {
                    if fs.lstat(&clean).is_err() {
                        return Err(p.trim_start_matches("./").to_string());
                    }
                    out.push(Resolved::Path(clean));
                    continue;
                }
                // Glob one component at a time.
                let mut matches = vec!["/".to_string()];
                for comp in components(&clean) {
                    let pat = pattern::compile_str(comp);
                    let mut next = Vec::new();
                    for base in &matches {
                        if !has_glob(comp) {
                            let c = join(base, comp);
                            if fs.lstat(&c).is_ok() {
                                next.push(c);
                            }
                            continue;
                        }
                        for e in fs.read_dir(base).unwrap_or_default() {
                            if pattern::matches(&pat, &e.name) {
                                next.push(join(base, &e.name));
                            }
                        }
                    }
                    matches = next;
                }
                // A wildcard that matches nothing is fine as long as some source exists.
                if matches.is_empty() {
                    missing_glob.get_or_insert_with(|| p.trim_start_matches("./").to_string());
                }
                out.extend(matches.into_iter().map(Resolved::Path));
            }
        }
    }
    if out.is_empty() {
        if let Some(m) = missing_glob {
            return Err(m);
        }
    }
    Ok(out)
}

/// The content digest of a file, cheap for lazy files.
pub fn content_digest(c: &Content) -> String {
    match c {
        Content::Data(d) => Digest::of(d).hex(),
        Content::Lazy { size, label } => format!("lazy:{label}:{size}"),
    }
}

/// What the cache keys a `COPY`/`ADD` on: every source file's path, mode and content.
pub fn sources_digest(fs: &dyn FileSystem, sources: &[Resolved]) -> String {
    let mut text = String::new();
    for s in sources {
        match s {
            Resolved::Inline { name, content } => text.push_str(&format!("inline {name} {}\n", Digest::of(content.as_bytes()).hex())),
            Resolved::Path(p) => {
                let mut entries = vec![(String::new(), fs.lstat(p).ok())];
                if let Ok(w) = walk::walk(fs, p) {
                    entries.extend(w.into_iter().map(|(r, m)| (r, Some(m))));
                }
                for (rel, meta) in entries {
                    let Some(meta) = meta else { continue };
                    let full = if rel.is_empty() { p.clone() } else { join(p, &rel) };
                    let content = if meta.is_file() { fs.content(&full).map(|c| content_digest(&c)).unwrap_or_default() } else { String::new() };
                    text.push_str(&format!("{full} {:o} {:?} {content}\n", meta.mode, meta.kind));
                }
            }
        }
    }
    Digest::of(text.as_bytes()).hex()
}

enum ChmodSpec {
    Octal(u32),
    Symbolic(String),
}

fn is_archive(name: &str) -> bool {
    [".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tar.xz", ".tar.zst"].iter().any(|s| name.ends_with(s))
}

/// Copies the resolved sources into `dest_fs` as `COPY`/`ADD` does.
pub fn copy_into(from: &dyn FileSystem, sources: &[Resolved], c: &Copy, is_add: bool, workdir: &str, dest_fs: &mut dyn FileSystem) -> Result<(), String> {
    let dest = join(workdir, &c.dest);
    let dest_is_dir = c.dest.ends_with('/') || c.dest == "." || sources.len() > 1 || dest_fs.stat(&dest).is_ok_and(|m| m.is_dir());
    let owner = c.chown.as_ref().map(|spec| crate::shell::passwd::user_ids(dest_fs, spec));
    let chmod = match &c.chmod {
        Some(m) => match u32::from_str_radix(m, 8) {
            Ok(n) if n <= 0o7777 => Some(ChmodSpec::Octal(n)),
            Ok(_) => return Err(format!("invalid chmod parameter: '{m}'. it should be octal string and between 0 and 07777")),
            Err(_) if crate::shell::applets::apply_mode(m, 0o644, false).is_some() => Some(ChmodSpec::Symbolic(m.clone())),
            Err(_) => return Err(format!("invalid chmod parameter: '{m}'. it should be octal string and between 0 and 07777")),
        },
        None => None,
    };
    let fix = |fs: &mut dyn FileSystem, path: &str, is_dir: bool| {
        if let Some((u, g)) = owner {
            let _ = fs.set_owner(path, u, g);
        }
        match &chmod {
            Some(ChmodSpec::Octal(m)) => {
                let _ = fs.set_mode(path, *m);
            }
            Some(ChmodSpec::Symbolic(spec)) => {
                if let Ok(meta) = fs.stat(path) {
                    if let Some(m) = crate::shell::applets::apply_mode(spec, meta.mode, is_dir) {
                        let _ = fs.set_mode(path, m);
                    }
                }
            }
            None => {}
        }
    };
    // Directories COPY creates on the way get the copy's owner and mode, as in BuildKit.
    let mkdirs = |fs: &mut dyn FileSystem, dir: &str| {
        let mut missing = Vec::new();
        let mut cur = dir.to_string();
        while !cur.is_empty() && cur != "/" && fs.stat(&cur).is_err() {
            missing.push(cur.clone());
            cur = crate::vfs::split_parent(&cur).map(|p| p.0).unwrap_or_default();
        }
        for d in missing.iter().rev() {
            let _ = fs.create_dir(d, 0o755);
            fix(fs, d, true);
        }
    };
    let mkparent = |fs: &mut dyn FileSystem, path: &str| {
        if let Some((parent, _)) = crate::vfs::split_parent(path) {
            mkdirs(fs, &parent);
        }
    };
    if dest_is_dir {
        mkdirs(dest_fs, &dest);
    }
    for s in sources {
        match s {
            Resolved::Inline { name, content } => {
                let target = if dest_is_dir { join(&dest, name) } else { dest.clone() };
                mkparent(dest_fs, &target);
                dest_fs.put_file(&target, Content::data(content.as_bytes().to_vec()), Attrs::mode(0o644)).map_err(|e| e.to_string())?;
                fix(dest_fs, &target, false);
            }
            Resolved::Path(p) if p.contains("://") => {
                let host = p.split("://").nth(1).unwrap_or("").split('/').next().unwrap_or("");
                return Err(format!("failed to load cache key: Get \"{p}\": dial tcp: lookup {host}: no such host"));
            }
            Resolved::Path(p) => {
                // A source that is a symlink is copied as what it points to (chains too);
                // links inside a copied directory stay links.
                let meta = from.stat(p).or_else(|_| from.lstat(p)).map_err(|e| e.to_string())?;
                if meta.is_dir() {
                    // A directory's contents are copied, not the directory itself.
                    let _ = dest_fs.create_dir_all(&dest, 0o755);
                    for (rel, m) in walk::walk(from, p).map_err(|e| e.to_string())? {
                        let target = join(&dest, &rel);
                        walk::copy_entry(from, &join(p, &rel), dest_fs, &target, &m).map_err(|e| e.to_string())?;
                        if owner.is_none() {
                            let _ = dest_fs.set_owner(&target, 0, 0);
                        }
                        fix(dest_fs, &target, m.is_dir());
                    }
                    continue;
                }
                let base = p.rsplit('/').next().unwrap_or(p);
                if is_add && is_archive(base) {
                    let data = from.read(p).map_err(|e| e.to_string())?;
                    let mut unpacked = MemoryFs::new();
                    crate::image::layer::unpack(&data, &mut unpacked).map_err(|e| e.to_string())?;
                    let _ = dest_fs.create_dir_all(&dest, 0o755);
                    for (rel, m) in walk::walk(&unpacked, "/").map_err(|e| e.to_string())? {
                        walk::copy_entry(&unpacked, &format!("/{rel}"), dest_fs, &join(&dest, &rel), &m).map_err(|e| e.to_string())?;
                    }
                    continue;
                }
                let target = if dest_is_dir { join(&dest, base) } else { dest.clone() };
                mkparent(dest_fs, &target);
                walk::copy_entry(from, p, dest_fs, &target, &meta).map_err(|e| e.to_string())?;
                if owner.is_none() {
                    let _ = dest_fs.set_owner(&target, 0, 0);
                }
                fix(dest_fs, &target, false);
            }
        }
    }
    Ok(())
}
