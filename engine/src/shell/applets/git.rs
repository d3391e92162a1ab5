//! `git`, for the local work a lesson asks of it: `init`, `config`, `add`, `rm --cached`,
//! `commit`, `status`, `log`, `show`, `diff`, `branch`, `checkout`/`switch`, `tag`,
//! `rev-parse`, `ls-files`, `cat-file` and `clone` of a repository on the same machine.
//! The repository is git's own format (zlib-compressed loose objects named by their
//! SHA-1, an index of version 2, refs as files), so what it writes is what `git` reads.
//! The sandbox has no network: cloning a URL fails as git fails when the host cannot be
//! resolved. Commands outside this set say Berth's git does not provide them.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use super::Ctx;
use crate::vfs::{join, Attrs, Content, FileSystem};

const VERSION: &str = "git version 2.43.0";

/// SHA-1 (FIPS 180-4), which names git's objects.
pub fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    let mut msg = data.to_vec();
    let bits = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bits.to_be_bytes());
    for block in msg.chunks(64) {
        let mut w = [0u32; 80];
        for (i, word) in block.chunks(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a.rotate_left(5).wrapping_add(f).wrapping_add(e).wrapping_add(k).wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

fn hex(id: &[u8]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<[u8; 20]> {
    if s.len() != 40 {
        return None;
    }
    let mut out = [0u8; 20];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

/// A tree object's entries: (mode, name, object id), as git writes them
/// (`MODE NAME\0` and 20 bytes of id each). A truncated entry ends the list.
fn tree_entries(body: &[u8]) -> Vec<(u32, String, [u8; 20])> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < body.len() {
        let Some(sp) = body[pos..].iter().position(|c| *c == b' ') else { break };
        let mode = u32::from_str_radix(&String::from_utf8_lossy(&body[pos..pos + sp]), 8).unwrap_or(0);
        let name_start = pos + sp + 1;
        let Some(nul) = body[name_start..].iter().position(|c| *c == 0) else { break };
        let name = String::from_utf8_lossy(&body[name_start..name_start + nul]).into_owned();
        let id_start = name_start + nul + 1;
        let Some(raw) = body.get(id_start..id_start + 20) else { break };
        let mut id = [0u8; 20];
        id.copy_from_slice(raw);
        out.push((mode, name, id));
        pos = id_start + 20;
    }
    out
}

/// A git failure: its message and exit status.
struct Fail(String, i32);

type Res<T> = Result<T, Fail>;

fn fatal<T>(msg: impl Into<String>) -> Res<T> {
    Err(Fail(format!("fatal: {}", msg.into()), 128))
}

/// One repository: its work tree and `.git`.
struct Repo {
    top: String,
    git: String,
}

/// An index entry (the fields `status` and `commit` need).
#[derive(Clone, PartialEq)]
struct Entry {
    mode: u32,
    id: [u8; 20],
    size: u32,
    mtime: u32,
}

impl Repo {
    fn find(fs: &dyn FileSystem, cwd: &str) -> Res<Repo> {
        let mut dir = cwd.to_string();
        loop {
            let git = join(&dir, ".git");
            if fs.stat(&git).is_ok_and(|m| m.is_dir()) && fs.exists(&join(&git, "HEAD")) {
                return Ok(Repo { top: dir, git });
            }
            match crate::vfs::split_parent(&dir) {
                Some((parent, _)) if dir != "/" => dir = parent,
                _ => return fatal("not a git repository (or any of the parent directories): .git"),
            }
        }
    }

    fn path(&self, rel: &str) -> String {
        join(&self.git, rel)
    }

    fn write_object(&self, fs: &mut dyn FileSystem, kind: &str, body: &[u8]) -> Res<[u8; 20]> {
        let mut raw = format!("{kind} {}\0", body.len()).into_bytes();
        raw.extend_from_slice(body);
        let id = sha1(&raw);
        let h = hex(&id);
        let path = self.path(&format!("objects/{}/{}", &h[..2], &h[2..]));
        if !fs.exists(&path) {
            let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
            let _ = z.write_all(&raw);
            let packed = z.finish().map_err(|e| Fail(format!("fatal: {e}"), 128))?;
            let _ = fs.create_dir_all(&self.path(&format!("objects/{}", &h[..2])), 0o755);
            fs.put_file(&path, Content::data(packed), Attrs::mode(0o444)).map_err(|e| Fail(format!("error: unable to write object {h}: {}", e.errno.message()), 128))?;
        }
        Ok(id)
    }

    fn read_object(&self, fs: &dyn FileSystem, id: &[u8; 20]) -> Res<(String, Vec<u8>)> {
        let h = hex(id);
        let packed = fs.read(&self.path(&format!("objects/{}/{}", &h[..2], &h[2..]))).map_err(|_| Fail(format!("fatal: bad object {h}"), 128))?;
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&packed[..]).read_to_end(&mut raw).map_err(|_| Fail(format!("fatal: loose object {h} is corrupt"), 128))?;
        let nul = raw.iter().position(|b| *b == 0).ok_or_else(|| Fail(format!("fatal: loose object {h} is corrupt"), 128))?;
        let header = String::from_utf8_lossy(&raw[..nul]).into_owned();
        let kind = header.split(' ').next().unwrap_or("").to_string();
        Ok((kind, raw[nul + 1..].to_vec()))
    }

    fn head_ref(&self, fs: &dyn FileSystem) -> String {
        let head = String::from_utf8_lossy(&fs.read(&self.path("HEAD")).unwrap_or_default()).trim().to_string();
        head.strip_prefix("ref: ").unwrap_or(&head).to_string()
    }

    fn branch(&self, fs: &dyn FileSystem) -> Option<String> {
        let r = self.head_ref(fs);
        r.strip_prefix("refs/heads/").map(str::to_string)
    }

    /// What a name means: `HEAD`, a branch, a tag, a full or abbreviated object id,
    /// with `~N` / `^` suffixes.
    fn resolve(&self, fs: &dyn FileSystem, name: &str) -> Option<[u8; 20]> {
        if let Some((base, n)) = name.rsplit_once('~') {
            let mut id = self.resolve(fs, base)?;
            for _ in 0..n.parse::<usize>().unwrap_or(1) {
                id = *self.commit(fs, &id).ok()?.parents.first()?;
            }
            return Some(id);
        }
        if let Some(base) = name.strip_suffix('^') {
            let id = self.resolve(fs, base)?;
            return self.commit(fs, &id).ok()?.parents.first().copied();
        }
        let read_ref = |r: &str| fs.read(&self.path(r)).ok().and_then(|b| unhex(String::from_utf8_lossy(&b).trim()));
        if name == "HEAD" || name == "@" {
            let r = self.head_ref(fs);
            return unhex(&r).or_else(|| read_ref(&r));
        }
        for r in [format!("refs/heads/{name}"), format!("refs/tags/{name}"), name.to_string()] {
            if let Some(id) = read_ref(&r) {
                return Some(id);
            }
        }
        if let Some(id) = unhex(name) {
            return Some(id);
        }
        if name.len() >= 4 && name.chars().all(|c| c.is_ascii_hexdigit()) {
            let dir = self.path(&format!("objects/{}", &name[..2]));
            let found: Vec<String> = fs.read_dir(&dir).ok()?.into_iter().map(|e| format!("{}{}", &name[..2], e.name)).filter(|h| h.starts_with(name)).collect();
            if let [one] = found.as_slice() {
                return unhex(one);
            }
        }
        None
    }

    fn set_head(&self, fs: &mut dyn FileSystem, id: &[u8; 20]) -> Res<()> {
        let r = self.head_ref(fs);
        let target = if unhex(&r).is_some() { "HEAD".to_string() } else { r };
        self.write_text(fs, &target, &format!("{}\n", hex(id)))
    }

    fn write_text(&self, fs: &mut dyn FileSystem, rel: &str, text: &str) -> Res<()> {
        let path = self.path(rel);
        if let Some((parent, _)) = crate::vfs::split_parent(&path) {
            let _ = fs.create_dir_all(&parent, 0o755);
        }
        fs.put_file(&path, Content::data(text.as_bytes().to_vec()), Attrs::mode(0o644)).map_err(|e| Fail(format!("fatal: cannot write {rel}: {}", e.errno.message()), 128))
    }

    fn read_index(&self, fs: &dyn FileSystem) -> BTreeMap<String, Entry> {
        let mut out = BTreeMap::new();
        let Ok(b) = fs.read(&self.path("index")) else { return out };
        if b.len() < 12 || &b[..4] != b"DIRC" {
            return out;
        }
        let n = u32::from_be_bytes([b[8], b[9], b[10], b[11]]) as usize;
        let mut pos = 12;
        let word = |p: usize| u32::from_be_bytes([b[p], b[p + 1], b[p + 2], b[p + 3]]);
        for _ in 0..n {
            if pos + 62 > b.len() {
                break;
            }
            let mtime = word(pos + 8);
            let mode = word(pos + 24);
            let size = word(pos + 36);
            let mut id = [0u8; 20];
            id.copy_from_slice(&b[pos + 40..pos + 60]);
            let start = pos + 62;
            let Some(len) = b[start..].iter().position(|c| *c == 0) else { break };
            let name = String::from_utf8_lossy(&b[start..start + len]).into_owned();
            out.insert(name, Entry { mode, id, size, mtime });
            let entry_len = 62 + len;
            pos += (entry_len + 8) / 8 * 8;
        }
        out
    }

    fn write_index(&self, fs: &mut dyn FileSystem, index: &BTreeMap<String, Entry>) -> Res<()> {
        let mut b = b"DIRC".to_vec();
        b.extend_from_slice(&2u32.to_be_bytes());
        b.extend_from_slice(&(index.len() as u32).to_be_bytes());
        for (name, e) in index {
            let start = b.len();
            for w in [e.mtime, 0, e.mtime, 0, 0, 0, e.mode, 0, 0, e.size] {
                b.extend_from_slice(&w.to_be_bytes());
            }
            b.extend_from_slice(&e.id);
            b.extend_from_slice(&(name.len().min(0xfff) as u16).to_be_bytes());
            b.extend_from_slice(name.as_bytes());
            let len = b.len() - start;
            b.resize(start + (len + 8) / 8 * 8, 0);
        }
        let sum = sha1(&b);
        b.extend_from_slice(&sum);
        fs.put_file(&self.path("index"), Content::data(b), Attrs::mode(0o644)).map_err(|e| Fail(format!("fatal: unable to write new index file: {}", e.errno.message()), 128))
    }

    /// The files of a tree, recursively: path → (mode, blob id).
    fn tree_files(&self, fs: &dyn FileSystem, id: &[u8; 20], prefix: &str, out: &mut BTreeMap<String, (u32, [u8; 20])>) -> Res<()> {
        let (_, body) = self.read_object(fs, id)?;
        for (mode, name, child) in tree_entries(&body) {
            let path = if prefix.is_empty() { name } else { format!("{prefix}/{name}") };
            if mode == 0o40000 {
                self.tree_files(fs, &child, &path, out)?;
            } else {
                out.insert(path, (mode, child));
            }
        }
        Ok(())
    }

    fn head_files(&self, fs: &dyn FileSystem) -> BTreeMap<String, (u32, [u8; 20])> {
        let mut out = BTreeMap::new();
        if let Some(c) = self.resolve(fs, "HEAD").and_then(|id| self.commit(fs, &id).ok()) {
            let _ = self.tree_files(fs, &c.tree, "", &mut out);
        }
        out
    }

    /// Writes the index as trees; returns the root tree's id.
    fn write_tree(&self, fs: &mut dyn FileSystem, files: &BTreeMap<String, (u32, [u8; 20])>, prefix: &str) -> Res<[u8; 20]> {
        let mut entries: Vec<(String, u32, [u8; 20])> = Vec::new();
        let mut dirs: Vec<String> = Vec::new();
        for (path, (mode, id)) in files.range(prefix.to_string()..) {
            let Some(rest) = path.strip_prefix(prefix) else { break };
            match rest.split_once('/') {
                Some((dir, _)) => {
                    if !dirs.iter().any(|d| d == dir) {
                        dirs.push(dir.to_string());
                    }
                }
                None => entries.push((rest.to_string(), *mode, *id)),
            }
        }
        for dir in dirs {
            let id = self.write_tree(fs, files, &format!("{prefix}{dir}/"))?;
            entries.push((dir, 0o40000, id));
        }
        // Git sorts a tree's entries by name, a directory as if its name ended in `/`.
        entries.sort_by(|a, b| {
            let key = |e: &(String, u32, [u8; 20])| if e.1 == 0o40000 { format!("{}/", e.0) } else { e.0.clone() };
            key(a).cmp(&key(b))
        });
        let mut body = Vec::new();
        for (name, mode, id) in entries {
            body.extend_from_slice(format!("{mode:o} {name}\0").as_bytes());
            body.extend_from_slice(&id);
        }
        self.write_object(fs, "tree", &body)
    }

    fn commit(&self, fs: &dyn FileSystem, id: &[u8; 20]) -> Res<Commit> {
        let (kind, body) = self.read_object(fs, id)?;
        if kind != "commit" {
            return fatal(format!("{} is a {kind}, not a commit", hex(id)));
        }
        let text = String::from_utf8_lossy(&body).into_owned();
        let (head, message) = text.split_once("\n\n").unwrap_or((&text, ""));
        let mut c = Commit { tree: [0; 20], parents: Vec::new(), author: String::new(), message: message.to_string() };
        for line in head.lines() {
            if let Some(t) = line.strip_prefix("tree ") {
                c.tree = unhex(t).unwrap_or_default();
            } else if let Some(p) = line.strip_prefix("parent ") {
                c.parents.extend(unhex(p));
            } else if let Some(a) = line.strip_prefix("author ") {
                c.author = a.to_string();
            }
        }
        Ok(c)
    }
}

struct Commit {
    tree: [u8; 20],
    parents: Vec<[u8; 20]>,
    author: String,
    message: String,
}

/// `git config`'s files: the repository's, then the user's.
fn config_get(fs: &dyn FileSystem, files: &[String], key: &str) -> Option<String> {
    let (section, name) = key.rsplit_once('.')?;
    let mut found = None;
    for file in files {
        let text = String::from_utf8_lossy(&fs.read(file).unwrap_or_default()).into_owned();
        let mut current = String::new();
        for line in text.lines() {
            let t = line.trim();
            if let Some(s) = t.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                current = match s.split_once(' ') {
                    Some((a, b)) => format!("{}.{}", a.to_lowercase(), b.trim_matches('"')),
                    None => s.to_lowercase(),
                };
            } else if let Some((k, v)) = t.split_once('=') {
                if current == section.to_lowercase() && k.trim().eq_ignore_ascii_case(name) {
                    found = Some(v.trim().trim_matches('"').to_string());
                }
            }
        }
    }
    found
}

fn config_set(fs: &mut dyn FileSystem, file: &str, key: &str, value: &str) -> Res<()> {
    let Some((section, name)) = key.rsplit_once('.') else { return Err(Fail(format!("error: key does not contain a section: {key}"), 2)) };
    let text = String::from_utf8_lossy(&fs.read(file).unwrap_or_default()).into_owned();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header = format!("[{section}]");
    let entry = format!("\t{name} = {value}");
    match lines.iter().position(|l| l.trim().eq_ignore_ascii_case(&header)) {
        Some(at) => {
            let end = lines[at + 1..].iter().position(|l| l.trim_start().starts_with('[')).map_or(lines.len(), |p| at + 1 + p);
            match lines[at + 1..end].iter().position(|l| l.split_once('=').is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case(name))) {
                Some(p) => lines[at + 1 + p] = entry,
                None => lines.insert(end, entry),
            }
        }
        None => {
            lines.push(header);
            lines.push(entry);
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    fs.put_file(file, Content::data(out.into_bytes()), Attrs::mode(0o644)).map_err(|e| Fail(format!("error: could not lock config file {file}: {}", e.errno.message()), 255))
}

pub fn run(args: &[String], ctx: &mut Ctx) -> i32 {
    // `git -C DIR CMD`.
    let mut args = args.to_vec();
    // `git -C DIR` and `git -c KEY=VALUE` before the command; the identity that `-c
    // user.name=…` gives is the commit's author, as the environment's would be.
    while matches!(args.first().map(String::as_str), Some("-C" | "-c")) && args.len() > 1 {
        if args[0] == "-C" {
            ctx.cwd = ctx.path(&args[1]);
        } else if let Some((key, value)) = args[1].split_once('=') {
            match key.to_ascii_lowercase().as_str() {
                "user.name" => {
                    ctx.env.insert("GIT_AUTHOR_NAME".into(), value.to_string());
                }
                "user.email" => {
                    ctx.env.insert("GIT_AUTHOR_EMAIL".into(), value.to_string());
                }
                _ => {}
            }
        }
        args.drain(..2);
    }
    let Some((cmd, rest)) = args.split_first() else {
        ctx.out("usage: git [-v | --version] [-h | --help] [-C <path>] <command> [<args>]\n");
        return 1;
    };
    let result = match cmd.as_str() {
        "--version" | "-v" | "version" => {
            ctx.out(&format!("{VERSION}\n"));
            Ok(0)
        }
        "init" => init(rest, ctx),
        "config" => config(rest, ctx),
        "clone" => clone(rest, ctx),
        "add" => Repo::find(&*ctx.fs, &ctx.cwd).and_then(|r| add(&r, rest, ctx)),
        "rm" => Repo::find(&*ctx.fs, &ctx.cwd).and_then(|r| rm(&r, rest, ctx)),
        "commit" => Repo::find(&*ctx.fs, &ctx.cwd).and_then(|r| commit(&r, rest, ctx)),
        "status" => Repo::find(&*ctx.fs, &ctx.cwd).and_then(|r| status(&r, rest, ctx)),
        "log" => Repo::find(&*ctx.fs, &ctx.cwd).and_then(|r| log(&r, rest, ctx)),
        "show" => Repo::find(&*ctx.fs, &ctx.cwd).and_then(|r| show(&r, rest, ctx)),
        "diff" => Repo::find(&*ctx.fs, &ctx.cwd).and_then(|r| diff(&r, rest, ctx)),
        "branch" => Repo::find(&*ctx.fs, &ctx.cwd).and_then(|r| branch(&r, rest, ctx)),
        "checkout" | "switch" => Repo::find(&*ctx.fs, &ctx.cwd).and_then(|r| checkout(&r, cmd == "switch", rest, ctx)),
        "tag" => Repo::find(&*ctx.fs, &ctx.cwd).and_then(|r| tag(&r, rest, ctx)),
        "rev-parse" => rev_parse(rest, ctx),
        "ls-files" => Repo::find(&*ctx.fs, &ctx.cwd).map(|r| {
            let index = r.read_index(&*ctx.fs);
            for name in index.keys() {
                ctx.out(&format!("{name}\n"));
            }
            0
        }),
        "cat-file" => Repo::find(&*ctx.fs, &ctx.cwd).and_then(|r| cat_file(&r, rest, ctx)),
        "help" | "--help" | "-h" => {
            ctx.out("usage: git [-v | --version] [-h | --help] [-C <path>] <command> [<args>]\n\nBerth's git provides: init, config, clone (of a local repository), add, rm, commit, status, log, show, diff, branch, checkout, switch, tag, rev-parse, ls-files, cat-file.\n");
            Ok(0)
        }
        "push" | "pull" | "fetch" | "remote" | "merge" | "rebase" | "stash" | "reset" | "restore" | "revert" | "cherry-pick" | "bisect" | "blame" | "reflog" | "submodule" | "worktree" | "gc" | "fsck" | "archive" | "describe" | "grep" | "mv" | "clean" => Err(Fail(format!("git: '{cmd}' is not provided by Berth's git (it has init, config, clone, add, rm, commit, status, log, show, diff, branch, checkout, switch, tag, rev-parse, ls-files and cat-file)"), 1)),
        other => Err(Fail(format!("git: '{other}' is not a git command. See 'git --help'."), 1)),
    };
    match result {
        Ok(s) => s,
        Err(Fail(msg, code)) => {
            ctx.err(&format!("{msg}\n"));
            code
        }
    }
}

fn init(args: &[String], ctx: &mut Ctx) -> Res<i32> {
    let mut branch = None;
    let mut dir = None;
    let mut quiet = false;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        match a.as_str() {
            "-b" | "--initial-branch" => {
                branch = args.get(i + 1).cloned();
                i += 1;
            }
            "-q" | "--quiet" => quiet = true,
            s if s.starts_with("--initial-branch=") => branch = Some(s["--initial-branch=".len()..].to_string()),
            s if s.starts_with('-') => {}
            s => dir = Some(s.to_string()),
        }
        i += 1;
    }
    let top = dir.map_or(ctx.cwd.clone(), |d| ctx.path(&d));
    let git = join(&top, ".git");
    let again = ctx.fs.exists(&join(&git, "HEAD"));
    let branch = branch.or_else(|| config_get(&*ctx.fs, &[global_config(ctx)], "init.defaultBranch")).unwrap_or_else(|| "master".into());
    let fs = &mut *ctx.fs;
    for d in ["objects/info", "objects/pack", "refs/heads", "refs/tags", "info", "hooks"] {
        fs.create_dir_all(&join(&git, d), 0o755).map_err(|e| Fail(format!("fatal: cannot mkdir {}: {}", join(&git, d), e.errno.message()), 128))?;
    }
    let repo = Repo { top: top.clone(), git: git.clone() };
    if !again {
        repo.write_text(fs, "HEAD", &format!("ref: refs/heads/{branch}\n"))?;
        repo.write_text(fs, "config", "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n")?;
        repo.write_text(fs, "description", "Unnamed repository; edit this file 'description' to name the repository.\n")?;
        repo.write_text(fs, "info/exclude", "# git ls-files --others --exclude-from=.git/info/exclude\n")?;
    }
    if !quiet {
        ctx.out(&format!("{} Git repository in {git}/\n", if again { "Reinitialized existing" } else { "Initialized empty" }));
    }
    Ok(0)
}

fn global_config(ctx: &Ctx) -> String {
    let home = ctx.env.get("HOME").cloned().unwrap_or_else(|| "/root".into());
    join(&home, ".gitconfig")
}

fn config_files(ctx: &Ctx) -> Vec<String> {
    let mut files = vec!["/etc/gitconfig".to_string(), global_config(ctx)];
    if let Ok(r) = Repo::find(&*ctx.fs, &ctx.cwd) {
        files.push(r.path("config"));
    }
    files
}

fn config(args: &[String], ctx: &mut Ctx) -> Res<i32> {
    let global = args.iter().any(|a| a == "--global");
    let system = args.iter().any(|a| a == "--system");
    let list = args.iter().any(|a| a == "--list" || a == "-l");
    let rest: Vec<&String> = args.iter().filter(|a| !a.starts_with("--") && *a != "-l").collect();
    if list {
        for file in config_files(ctx) {
            let text = String::from_utf8_lossy(&ctx.fs.read(&file).unwrap_or_default()).into_owned();
            let mut section = String::new();
            for line in text.lines().map(str::trim) {
                if let Some(s) = line.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
                    section = s.replace(" \"", ".").replace('"', "").to_lowercase();
                } else if let Some((k, v)) = line.split_once('=') {
                    ctx.out(&format!("{section}.{}={}\n", k.trim().to_lowercase(), v.trim()));
                }
            }
        }
        return Ok(0);
    }
    match rest.as_slice() {
        [key] => match config_get(&*ctx.fs, &config_files(ctx), key) {
            Some(v) => {
                ctx.out(&format!("{v}\n"));
                Ok(0)
            }
            None => Ok(1),
        },
        [key, value] => {
            let file = if global {
                global_config(ctx)
            } else if system {
                "/etc/gitconfig".to_string()
            } else {
                Repo::find(&*ctx.fs, &ctx.cwd).map_err(|_| Fail("fatal: not in a git directory".into(), 128))?.path("config")
            };
            config_set(ctx.fs, &file, key, value)?;
            Ok(0)
        }
        _ => Err(Fail("usage: git config [<options>]".into(), 129)),
    }
}

/// The work tree's files (not `.git`, not ignored), relative to the top.
fn work_files(repo: &Repo, fs: &dyn FileSystem) -> BTreeMap<String, (u32, u64, i64)> {
    let mut ignore: Vec<String> = Vec::new();
    for file in [join(&repo.top, ".gitignore"), repo.path("info/exclude")] {
        ignore.extend(String::from_utf8_lossy(&fs.read(&file).unwrap_or_default()).lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')).map(str::to_string));
    }
    let ignored = |path: &str| {
        ignore.iter().any(|p| {
            let p = p.trim_end_matches('/');
            let anchored = p.starts_with('/');
            let pat = crate::shell::pattern::compile_str(p.trim_start_matches('/'));
            let parts: Vec<&str> = path.split('/').collect();
            (0..parts.len()).any(|i| {
                let prefix = parts[..=i].join("/");
                crate::shell::pattern::matches(&pat, &prefix) || (!anchored && !p.contains('/') && crate::shell::pattern::matches(&pat, parts[i]))
            })
        })
    };
    let mut out = BTreeMap::new();
    if let Ok(entries) = crate::vfs::walk::walk(fs, &repo.top) {
        for (path, meta) in entries {
            if path == ".git" || path.starts_with(".git/") || !(meta.is_file() || meta.kind == crate::vfs::FileType::Symlink) || ignored(&path) {
                continue;
            }
            let mode = if meta.kind == crate::vfs::FileType::Symlink { 0o120000 } else if meta.mode & 0o111 != 0 { 0o100755 } else { 0o100644 };
            out.insert(path, (mode, meta.size, meta.mtime));
        }
    }
    out
}

fn blob_of(repo: &Repo, fs: &dyn FileSystem, rel: &str, mode: u32) -> Vec<u8> {
    let path = join(&repo.top, rel);
    if mode == 0o120000 {
        fs.read_link(&path).unwrap_or_default().into_bytes()
    } else {
        fs.read(&path).unwrap_or_default()
    }
}

fn blob_id(data: &[u8]) -> [u8; 20] {
    let mut raw = format!("blob {}\0", data.len()).into_bytes();
    raw.extend_from_slice(data);
    sha1(&raw)
}

/// The path of `arg` (relative to the cwd) relative to the repository's top.
fn rel_path(repo: &Repo, ctx: &Ctx, arg: &str) -> Res<String> {
    let full = crate::vfs::normalize(&ctx.path(arg));
    if full == repo.top {
        return Ok(String::new());
    }
    full.strip_prefix(&format!("{}/", repo.top.trim_end_matches('/'))).map(str::to_string).ok_or_else(|| Fail(format!("fatal: {arg}: '{arg}' is outside repository at '{}'", repo.top), 128))
}

fn add(repo: &Repo, args: &[String], ctx: &mut Ctx) -> Res<i32> {
    let all = args.iter().any(|a| a == "-A" || a == "--all");
    let specs: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if specs.is_empty() && !all {
        ctx.err("Nothing specified, nothing added.\nhint: Maybe you wanted to say 'git add .'?\n");
        return Ok(0);
    }
    let mut prefixes = Vec::new();
    for spec in &specs {
        let rel = rel_path(repo, ctx, spec)?;
        let work = join(&repo.top, &rel);
        if !ctx.fs.exists(&work) && !repo.read_index(&*ctx.fs).keys().any(|k| *k == rel || k.starts_with(&format!("{rel}/"))) {
            return fatal(format!("pathspec '{spec}' did not match any files"));
        }
        prefixes.push(rel);
    }
    if all {
        prefixes.push(String::new());
    }
    let within = |p: &str| prefixes.iter().any(|pre| pre.is_empty() || p == pre || p.starts_with(&format!("{pre}/")));
    let files = work_files(repo, &*ctx.fs);
    let mut index = repo.read_index(&*ctx.fs);
    for (path, (mode, size, mtime)) in &files {
        if !within(path) {
            continue;
        }
        let data = blob_of(repo, &*ctx.fs, path, *mode);
        let id = repo.write_object(ctx.fs, "blob", &data)?;
        index.insert(path.clone(), Entry { mode: *mode, id, size: *size as u32, mtime: *mtime as u32 });
    }
    index.retain(|path, _| !within(path) || files.contains_key(path));
    repo.write_index(ctx.fs, &index)?;
    Ok(0)
}

fn rm(repo: &Repo, args: &[String], ctx: &mut Ctx) -> Res<i32> {
    let cached = args.iter().any(|a| a == "--cached");
    let recursive = args.iter().any(|a| a == "-r");
    let mut index = repo.read_index(&*ctx.fs);
    for spec in args.iter().filter(|a| !a.starts_with('-')) {
        let rel = rel_path(repo, ctx, spec)?;
        let matched: Vec<String> = index.keys().filter(|k| **k == rel || (recursive && k.starts_with(&format!("{rel}/")))).cloned().collect();
        if matched.is_empty() {
            if index.keys().any(|k| k.starts_with(&format!("{rel}/"))) {
                return fatal(format!("not removing '{spec}' recursively without -r"));
            }
            return fatal(format!("pathspec '{spec}' did not match any files"));
        }
        for m in matched {
            index.remove(&m);
            if !cached {
                let _ = ctx.fs.remove_file(&join(&repo.top, &m));
            }
            ctx.out(&format!("rm '{m}'\n"));
        }
    }
    repo.write_index(ctx.fs, &index)?;
    Ok(0)
}

/// Lines added and removed between two texts (a longest common subsequence of lines,
/// as a diff counts them).
fn line_changes(old: &[u8], new: &[u8]) -> (usize, usize) {
    let a: Vec<&[u8]> = split_lines(old);
    let b: Vec<&[u8]> = split_lines(new);
    let common = lcs(&a, &b).len();
    (b.len() - common, a.len() - common)
}

fn split_lines(data: &[u8]) -> Vec<&[u8]> {
    if data.is_empty() {
        return Vec::new();
    }
    let data = data.strip_suffix(b"\n").unwrap_or(data);
    data.split(|c| *c == b'\n').collect()
}

/// Index pairs of a longest common subsequence. Beyond 4,000 lines a side, only the
/// common start and end are matched (a coarser diff, never a stall).
fn lcs(a: &[&[u8]], b: &[&[u8]]) -> Vec<(usize, usize)> {
    let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    let suf = a[pre..].iter().rev().zip(b[pre..].iter().rev()).take_while(|(x, y)| x == y).count();
    let (ma, mb) = (&a[pre..a.len() - suf], &b[pre..b.len() - suf]);
    let mut pairs: Vec<(usize, usize)> = (0..pre).map(|i| (i, i)).collect();
    if !ma.is_empty() && !mb.is_empty() && ma.len() <= 4000 && mb.len() <= 4000 {
        let (n, m) = (ma.len(), mb.len());
        let mut t = vec![0u16; (n + 1) * (m + 1)];
        for i in (0..n).rev() {
            for j in (0..m).rev() {
                t[i * (m + 1) + j] = if ma[i] == mb[j] { t[(i + 1) * (m + 1) + j + 1] + 1 } else { t[(i + 1) * (m + 1) + j].max(t[i * (m + 1) + j + 1]) };
            }
        }
        let (mut i, mut j) = (0, 0);
        while i < n && j < m {
            if ma[i] == mb[j] {
                pairs.push((pre + i, pre + j));
                i += 1;
                j += 1;
            } else if t[(i + 1) * (m + 1) + j] >= t[i * (m + 1) + j + 1] {
                i += 1;
            } else {
                j += 1;
            }
        }
    }
    pairs.extend((0..suf).map(|k| (a.len() - suf + k, b.len() - suf + k)));
    pairs
}

fn identity(ctx: &Ctx) -> Option<(String, String)> {
    let files = config_files(ctx);
    let name = ctx.env.get("GIT_AUTHOR_NAME").cloned().or_else(|| config_get(&*ctx.fs, &files, "user.name"))?;
    let email = ctx.env.get("GIT_AUTHOR_EMAIL").cloned().or_else(|| config_get(&*ctx.fs, &files, "user.email"))?;
    Some((name, email))
}

fn commit(repo: &Repo, args: &[String], ctx: &mut Ctx) -> Res<i32> {
    let mut message = None;
    let mut all = false;
    let mut allow_empty = false;
    let mut quiet = false;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        match a.as_str() {
            "-m" | "--message" => {
                let m = args.get(i + 1).cloned().ok_or_else(|| Fail("error: switch `m' requires a value".into(), 129))?;
                message = Some(match message {
                    Some(prev) => format!("{prev}\n\n{m}"),
                    None => m,
                });
                i += 1;
            }
            "-a" | "--all" => all = true,
            // A cluster such as `-am MSG`, `-qm MSG` or `-mMSG`.
            s if s.starts_with('-') && !s.starts_with("--") && s.contains('m') => {
                let (before, after) = s[1..].split_once('m').unwrap_or(("", ""));
                all |= before.contains('a');
                quiet |= before.contains('q');
                let m = if after.is_empty() {
                    i += 1;
                    args.get(i).cloned().ok_or_else(|| Fail("error: switch `m' requires a value".into(), 129))?
                } else {
                    after.to_string()
                };
                message = Some(match message {
                    Some(prev) => format!("{prev}\n\n{m}"),
                    None => m,
                });
            }
            "--allow-empty" => allow_empty = true,
            "-q" | "--quiet" => quiet = true,
            _ => {}
        }
        i += 1;
    }
    let Some(message) = message else {
        return Err(Fail("error: Berth's git has no editor for the commit message; give it with -m \"message\"".into(), 1));
    };
    if all {
        let files = work_files(repo, &*ctx.fs);
        let mut index = repo.read_index(&*ctx.fs);
        let tracked: Vec<String> = index.keys().cloned().collect();
        for path in tracked {
            match files.get(&path) {
                Some((mode, size, mtime)) => {
                    let data = blob_of(repo, &*ctx.fs, &path, *mode);
                    let id = repo.write_object(ctx.fs, "blob", &data)?;
                    index.insert(path, Entry { mode: *mode, id, size: *size as u32, mtime: *mtime as u32 });
                }
                None => {
                    index.remove(&path);
                }
            }
        }
        repo.write_index(ctx.fs, &index)?;
    }
    let Some((name, email)) = identity(ctx) else {
        return Err(Fail("Author identity unknown\n\n*** Please tell me who you are.\n\nRun\n\n  git config --global user.email \"you@example.com\"\n  git config --global user.name \"Your Name\"\n\nto set your account's default identity.\nOmit --global to set the identity only in this repository.\n\nfatal: unable to auto-detect email address (got 'root@ubuntu.(none)')".into(), 128));
    };
    let index = repo.read_index(&*ctx.fs);
    let staged: BTreeMap<String, (u32, [u8; 20])> = index.iter().map(|(k, e)| (k.clone(), (e.mode, e.id))).collect();
    let head = repo.head_files(&*ctx.fs);
    let parent = repo.resolve(&*ctx.fs, "HEAD");
    if staged == head && !allow_empty {
        let branch = repo.branch(&*ctx.fs).unwrap_or_else(|| "HEAD".into());
        let untracked = work_files(repo, &*ctx.fs).keys().any(|k| !index.contains_key(k));
        if parent.is_none() {
            ctx.out(&format!("On branch {branch}\n\nInitial commit\n\n"));
            ctx.out(if untracked { "nothing added to commit but untracked files present (use \"git add\" to track)\n" } else { "nothing to commit (create/copy files and use \"git add\" to track)\n" });
        } else {
            ctx.out(&format!("On branch {branch}\n"));
            ctx.out(if untracked { "nothing added to commit but untracked files present (use \"git add\" to track)\n" } else { "nothing to commit, working tree clean\n" });
        }
        return Ok(1);
    }
    let tree = repo.write_tree(ctx.fs, &staged, "")?;
    let when = format!("{} +0000", ctx.now.unwrap_or(0));
    let mut body = format!("tree {}\n", hex(&tree));
    if let Some(p) = parent {
        body.push_str(&format!("parent {}\n", hex(&p)));
    }
    let message = format!("{}\n", message.trim_end());
    body.push_str(&format!("author {name} <{email}> {when}\ncommitter {name} <{email}> {when}\n\n{message}"));
    let id = repo.write_object(ctx.fs, "commit", body.as_bytes())?;
    repo.set_head(ctx.fs, &id)?;
    if quiet {
        return Ok(0);
    }
    let branch = repo.branch(&*ctx.fs).unwrap_or_else(|| "detached HEAD".into());
    let root = if parent.is_none() { " (root-commit)" } else { "" };
    ctx.out(&format!("[{branch}{root} {}] {}\n", &hex(&id)[..7], message.lines().next().unwrap_or("")));
    let (mut changed, mut ins, mut del) = (0, 0, 0);
    let mut modes = String::new();
    let paths: std::collections::BTreeSet<&String> = staged.keys().chain(head.keys()).collect();
    for path in paths {
        let (old, new) = (head.get(path), staged.get(path));
        if old == new {
            continue;
        }
        changed += 1;
        let read = |e: Option<&(u32, [u8; 20])>| e.and_then(|(_, id)| repo.read_object(&*ctx.fs, id).ok()).map(|(_, b)| b).unwrap_or_default();
        let (a, d) = line_changes(&read(old), &read(new));
        ins += a;
        del += d;
        match (old, new) {
            (None, Some((mode, _))) => modes.push_str(&format!(" create mode {mode:o} {path}\n")),
            (Some((mode, _)), None) => modes.push_str(&format!(" delete mode {mode:o} {path}\n")),
            (Some((m1, _)), Some((m2, _))) if m1 != m2 => modes.push_str(&format!(" mode change {m1:o} => {m2:o} {path}\n")),
            _ => {}
        }
    }
    let plural = |n: usize, one: &str, many: &str| if n == 1 { format!("{n} {one}") } else { format!("{n} {many}") };
    let mut summary = format!(" {}", plural(changed, "file changed", "files changed"));
    if ins > 0 || del == 0 {
        summary.push_str(&format!(", {}", plural(ins, "insertion(+)", "insertions(+)")));
    }
    if del > 0 {
        summary.push_str(&format!(", {}", plural(del, "deletion(-)", "deletions(-)")));
    }
    ctx.out(&format!("{summary}\n{modes}"));
    Ok(0)
}

fn status(repo: &Repo, args: &[String], ctx: &mut Ctx) -> Res<i32> {
    let short = args.iter().any(|a| matches!(a.as_str(), "-s" | "--short" | "--porcelain"));
    let index = repo.read_index(&*ctx.fs);
    let head = repo.head_files(&*ctx.fs);
    let work = work_files(repo, &*ctx.fs);
    let mut staged = Vec::new();
    let mut unstaged = Vec::new();
    let mut untracked = Vec::new();
    let paths: std::collections::BTreeSet<&String> = index.keys().chain(head.keys()).chain(work.keys()).collect();
    for path in paths {
        let (h, i, w) = (head.get(path), index.get(path), work.get(path));
        let x = match (h, i) {
            (None, Some(_)) => 'A',
            (Some(_), None) => 'D',
            (Some(h), Some(i)) if *h != (i.mode, i.id) => 'M',
            _ => ' ',
        };
        let y = match (i, w) {
            (Some(_), None) => 'D',
            (Some(e), Some((mode, size, mtime))) => {
                let same = e.mode == *mode && (e.size as u64 == *size && e.mtime == *mtime as u32 || blob_id(&blob_of(repo, &*ctx.fs, path, *mode)) == e.id);
                if same {
                    ' '
                } else {
                    'M'
                }
            }
            (None, Some(_)) if h.is_none() || x == 'D' => {
                if x != 'D' {
                    untracked.push(path.clone());
                }
                ' '
            }
            _ => ' ',
        };
        if x != ' ' {
            staged.push((x, path.clone()));
        }
        if y != ' ' {
            unstaged.push((y, path.clone()));
        }
        if short && (x != ' ' || y != ' ') {
            ctx.out(&format!("{x}{y} {path}\n"));
        }
    }
    if short {
        for path in &untracked {
            ctx.out(&format!("?? {path}\n"));
        }
        return Ok(0);
    }
    let word = |c: char| match c {
        'A' => "new file:   ",
        'D' => "deleted:    ",
        _ => "modified:   ",
    };
    match repo.branch(&*ctx.fs) {
        Some(b) => ctx.out(&format!("On branch {b}\n")),
        None => ctx.out("HEAD detached\n"),
    }
    if head.is_empty() && repo.resolve(&*ctx.fs, "HEAD").is_none() {
        ctx.out("\nNo commits yet\n");
    }
    if !staged.is_empty() {
        ctx.out(&format!("\nChanges to be committed:\n  (use \"git {}\" to unstage)\n", if repo.resolve(&*ctx.fs, "HEAD").is_some() { "restore --staged <file>..." } else { "rm --cached <file>..." }));
        for (c, p) in &staged {
            ctx.out(&format!("\t{}{p}\n", word(*c)));
        }
    }
    if !unstaged.is_empty() {
        ctx.out("\nChanges not staged for commit:\n  (use \"git add <file>...\" to update what will be committed)\n  (use \"git restore <file>...\" to discard changes in working directory)\n");
        for (c, p) in &unstaged {
            ctx.out(&format!("\t{}{p}\n", word(*c)));
        }
    }
    if !untracked.is_empty() {
        ctx.out("\nUntracked files:\n  (use \"git add <file>...\" to include in what will be committed)\n");
        for p in &untracked {
            ctx.out(&format!("\t{p}\n"));
        }
    }
    let nothing_staged = staged.is_empty();
    if nothing_staged && unstaged.is_empty() && untracked.is_empty() {
        ctx.out(if head.is_empty() { "\nnothing to commit (create/copy files and use \"git add\" to track)\n" } else { "nothing to commit, working tree clean\n" });
    } else if nothing_staged && unstaged.is_empty() {
        ctx.out("\nnothing added to commit but untracked files present (use \"git add\" to track)\n");
    } else if nothing_staged {
        ctx.out("\nno changes added to commit (use \"git add\" and/or \"git commit -a\")\n");
    } else {
        ctx.out("\n");
    }
    Ok(0)
}

/// `Name <email> 1700000000 +0000` as git's default log date.
fn author_lines(author: &str) -> (String, String) {
    let mut parts = author.rsplitn(3, ' ');
    let _zone = parts.next();
    let secs: i64 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    let who = parts.next().unwrap_or("").to_string();
    (who, crate::time::format_ctime(secs))
}

fn log(repo: &Repo, args: &[String], ctx: &mut Ctx) -> Res<i32> {
    let oneline = args.iter().any(|a| a == "--oneline" || a == "--pretty=oneline");
    // `--format=…` / `--pretty=format:…`: %H %h %s %an %ae %n %%.
    let format = args.iter().find_map(|a| a.strip_prefix("--format=").or_else(|| a.strip_prefix("--pretty=format:")).or_else(|| a.strip_prefix("--pretty=tformat:"))).map(str::to_string);
    let mut limit = usize::MAX;
    let mut start = "HEAD".to_string();
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if a == "-n" {
            limit = args.get(i + 1).and_then(|n| n.parse().ok()).unwrap_or(limit);
            i += 1;
        } else if let Some(n) = a.strip_prefix('-').and_then(|n| n.parse().ok()) {
            limit = n;
        } else if let Some(n) = a.strip_prefix("--max-count=").and_then(|n| n.parse().ok()) {
            limit = n;
        } else if !a.starts_with('-') {
            start = a.clone();
        }
        i += 1;
    }
    let Some(mut id) = repo.resolve(&*ctx.fs, &start) else {
        let branch = repo.branch(&*ctx.fs).unwrap_or_default();
        if start == "HEAD" {
            return fatal(format!("your current branch '{branch}' does not have any commits yet"));
        }
        return fatal(format!("ambiguous argument '{start}': unknown revision or path not in the working tree."));
    };
    let mut shown = 0;
    loop {
        if shown == limit {
            break;
        }
        let c = repo.commit(&*ctx.fs, &id)?;
        let subject = c.message.lines().next().unwrap_or("");
        let decoration = decorations(repo, &*ctx.fs, &id);
        if let Some(f) = &format {
            let (who, _) = author_lines(&c.author);
            let (name, email) = who.rsplit_once(" <").map_or((who.as_str(), ""), |(n, e)| (n, e.trim_end_matches('>')));
            let full = hex(&id);
            let mut line = String::new();
            let mut chars = f.chars().peekable();
            while let Some(ch) = chars.next() {
                if ch != '%' {
                    line.push(ch);
                    continue;
                }
                match chars.next() {
                    Some('H') => line.push_str(&full),
                    Some('h') => line.push_str(&full[..7]),
                    Some('s') => line.push_str(subject),
                    Some('n') => line.push('\n'),
                    Some('%') => line.push('%'),
                    Some('a') => match chars.next() {
                        Some('n') => line.push_str(name),
                        Some('e') => line.push_str(email),
                        Some(other) => line.push_str(&format!("%a{other}")),
                        None => line.push_str("%a"),
                    },
                    Some(other) => line.push_str(&format!("%{other}")),
                    None => line.push('%'),
                }
            }
            ctx.out(&format!("{line}\n"));
        } else if oneline {
            ctx.out(&format!("{}{decoration} {subject}\n", &hex(&id)[..7]));
        } else {
            if shown > 0 {
                ctx.out("\n");
            }
            let (who, date) = author_lines(&c.author);
            ctx.out(&format!("commit {}{decoration}\nAuthor: {who}\nDate:   {date} +0000\n\n", hex(&id)));
            for line in c.message.trim_end().lines() {
                ctx.out(&format!("    {line}\n"));
            }
        }
        shown += 1;
        match c.parents.first() {
            Some(p) => id = *p,
            None => break,
        }
    }
    Ok(0)
}

/// ` (HEAD -> master, tag: v1)` for a commit that refs point at.
fn decorations(repo: &Repo, fs: &dyn FileSystem, id: &[u8; 20]) -> String {
    let mut names = Vec::new();
    let current = repo.branch(fs);
    let head = repo.resolve(fs, "HEAD");
    for (dir, prefix) in [("refs/heads", ""), ("refs/tags", "tag: ")] {
        let mut refs: Vec<String> = fs.read_dir(&repo.path(dir)).map(|e| e.into_iter().map(|e| e.name).collect()).unwrap_or_default();
        refs.sort();
        for name in refs {
            if repo.resolve(fs, &format!("{dir}/{name}")) == Some(*id) {
                if prefix.is_empty() && current.as_deref() == Some(name.as_str()) {
                    names.insert(0, format!("HEAD -> {name}"));
                } else {
                    names.push(format!("{prefix}{name}"));
                }
            }
        }
    }
    if current.is_none() && head == Some(*id) {
        names.insert(0, "HEAD".into());
    }
    if names.is_empty() {
        String::new()
    } else {
        format!(" ({})", names.join(", "))
    }
}

fn show(repo: &Repo, args: &[String], ctx: &mut Ctx) -> Res<i32> {
    let target = args.iter().find(|a| !a.starts_with('-')).cloned().unwrap_or_else(|| "HEAD".into());
    if let Some((rev, path)) = target.split_once(':') {
        let id = repo.resolve(&*ctx.fs, if rev.is_empty() { "HEAD" } else { rev }).ok_or_else(|| Fail(format!("fatal: invalid object name '{rev}'."), 128))?;
        let c = repo.commit(&*ctx.fs, &id)?;
        let mut files = BTreeMap::new();
        repo.tree_files(&*ctx.fs, &c.tree, "", &mut files)?;
        let (_, blob) = files.get(path).ok_or_else(|| Fail(format!("fatal: path '{path}' does not exist in '{rev}'"), 128))?;
        let (_, data) = repo.read_object(&*ctx.fs, blob)?;
        ctx.stdout.extend_from_slice(&data);
        return Ok(0);
    }
    let id = repo.resolve(&*ctx.fs, &target).ok_or_else(|| Fail(format!("fatal: ambiguous argument '{target}': unknown revision or path not in the working tree."), 128))?;
    let c = repo.commit(&*ctx.fs, &id)?;
    let (who, date) = author_lines(&c.author);
    ctx.out(&format!("commit {}{}\nAuthor: {who}\nDate:   {date} +0000\n\n", hex(&id), decorations(repo, &*ctx.fs, &id)));
    for line in c.message.trim_end().lines() {
        ctx.out(&format!("    {line}\n"));
    }
    let mut new = BTreeMap::new();
    repo.tree_files(&*ctx.fs, &c.tree, "", &mut new)?;
    let mut old = BTreeMap::new();
    if let Some(p) = c.parents.first() {
        let pc = repo.commit(&*ctx.fs, p)?;
        repo.tree_files(&*ctx.fs, &pc.tree, "", &mut old)?;
    }
    let text = |e: Option<&(u32, [u8; 20])>| e.and_then(|(_, id)| repo.read_object(&*ctx.fs, id).ok()).map(|(_, b)| b);
    let mut out = String::new();
    let paths: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for path in paths {
        let (a, b) = (old.get(path), new.get(path));
        if a != b {
            out.push('\n');
            out.push_str(&unified(path, a.map(|e| e.0), b.map(|e| e.0), &text(a).unwrap_or_default(), &text(b).unwrap_or_default(), a.is_some(), b.is_some()));
        }
    }
    ctx.out(&out);
    Ok(0)
}

/// A file's unified diff with three lines of context, as `git diff` prints it.
fn unified(path: &str, old_mode: Option<u32>, new_mode: Option<u32>, old: &[u8], new: &[u8], old_exists: bool, new_exists: bool) -> String {
    let mut out = format!("diff --git a/{path} b/{path}\n");
    match (old_mode, new_mode) {
        (None, Some(m)) => out.push_str(&format!("new file mode {m:o}\n")),
        (Some(m), None) => out.push_str(&format!("deleted file mode {m:o}\n")),
        (Some(a), Some(b)) if a != b => out.push_str(&format!("old mode {a:o}\nnew mode {b:o}\n")),
        _ => {}
    }
    out.push_str(&format!("index {}..{}\n", &hex(&blob_id(old))[..7], &hex(&blob_id(new))[..7]).replace("index e69de29..", if old_exists { "index e69de29.." } else { "index 0000000.." }));
    if !new_exists {
        out = out.replace(&format!("..{}", &hex(&blob_id(new))[..7]), "..0000000");
    }
    if old == new {
        return out;
    }
    if old.contains(&0) || new.contains(&0) {
        out.push_str(&format!("Binary files {} and {} differ\n", if old_exists { format!("a/{path}") } else { "/dev/null".into() }, if new_exists { format!("b/{path}") } else { "/dev/null".into() }));
        return out;
    }
    out.push_str(&format!("--- {}\n+++ {}\n", if old_exists { format!("a/{path}") } else { "/dev/null".into() }, if new_exists { format!("b/{path}") } else { "/dev/null".into() }));
    let a = split_lines(old);
    let b = split_lines(new);
    let pairs = lcs(&a, &b);
    // Edit script: (kind, line) with ' ', '-', '+'.
    let mut script: Vec<(char, usize, usize)> = Vec::new();
    let (mut i, mut j) = (0, 0);
    for (pi, pj) in pairs.iter().copied().chain(std::iter::once((a.len(), b.len()))) {
        while i < pi {
            script.push(('-', i, j));
            i += 1;
        }
        while j < pj {
            script.push(('+', i, j));
            j += 1;
        }
        if pi < a.len() {
            script.push((' ', i, j));
            i += 1;
            j += 1;
        }
    }
    let changed: Vec<usize> = script.iter().enumerate().filter(|(_, s)| s.0 != ' ').map(|(k, _)| k).collect();
    let mut k = 0;
    while k < changed.len() {
        let start = changed[k].saturating_sub(3);
        let mut end = changed[k];
        while k < changed.len() && changed[k] <= end + 6 {
            end = changed[k];
            k += 1;
        }
        let end = (end + 3).min(script.len() - 1);
        let hunk = &script[start..=end];
        let old_start = hunk[0].1;
        let new_start = hunk[0].2;
        let old_len = hunk.iter().filter(|s| s.0 != '+').count();
        let new_len = hunk.iter().filter(|s| s.0 != '-').count();
        let range = |start: usize, len: usize| if len == 1 { format!("{}", start + 1) } else { format!("{},{len}", if len == 0 { start } else { start + 1 }) };
        out.push_str(&format!("@@ -{} +{} @@\n", range(old_start, old_len), range(new_start, new_len)));
        for (kind, li, lj) in hunk {
            let line = if *kind == '+' { b[*lj] } else { a[*li] };
            out.push(*kind);
            out.push_str(&String::from_utf8_lossy(line));
            out.push('\n');
        }
        let last_old = hunk.iter().rev().find(|s| s.0 != '+').map(|s| s.1);
        let last_new = hunk.iter().rev().find(|s| s.0 != '-').map(|s| s.2);
        if (last_old == Some(a.len().wrapping_sub(1)) && !old.ends_with(b"\n") && !old.is_empty()) || (last_new == Some(b.len().wrapping_sub(1)) && !new.ends_with(b"\n") && !new.is_empty()) {
            out.push_str("\\ No newline at end of file\n");
        }
    }
    out
}

/// Files by path: mode and bytes.
type Contents = BTreeMap<String, (u32, Vec<u8>)>;

fn diff(repo: &Repo, args: &[String], ctx: &mut Ctx) -> Res<i32> {
    let cached = args.iter().any(|a| a == "--cached" || a == "--staged");
    let stat_only = args.iter().any(|a| a == "--stat" || a == "--name-only");
    let index = repo.read_index(&*ctx.fs);
    let (old, new): (Contents, Contents) = if cached {
        let head = repo.head_files(&*ctx.fs);
        let read = |id: &[u8; 20]| repo.read_object(&*ctx.fs, id).map(|(_, b)| b).unwrap_or_default();
        (head.iter().map(|(k, (m, id))| (k.clone(), (*m, read(id)))).collect(), index.iter().map(|(k, e)| (k.clone(), (e.mode, read(&e.id)))).collect())
    } else {
        let work = work_files(repo, &*ctx.fs);
        let read = |id: &[u8; 20]| repo.read_object(&*ctx.fs, id).map(|(_, b)| b).unwrap_or_default();
        let old: Contents = index.iter().map(|(k, e)| (k.clone(), (e.mode, read(&e.id)))).collect();
        let new = index.keys().filter_map(|k| work.get(k).map(|(m, _, _)| (k.clone(), (*m, blob_of(repo, &*ctx.fs, k, *m))))).collect();
        (old, new)
    };
    let paths: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for path in paths {
        let (a, b) = (old.get(path), new.get(path));
        if a == b {
            continue;
        }
        if stat_only {
            ctx.out(&format!("{path}\n"));
            continue;
        }
        let empty = (0, Vec::new());
        let text = unified(path, a.map(|e| e.0), b.map(|e| e.0), &a.unwrap_or(&empty).1, &b.unwrap_or(&empty).1, a.is_some(), b.is_some());
        ctx.out(&text);
    }
    Ok(0)
}

fn branch(repo: &Repo, args: &[String], ctx: &mut Ctx) -> Res<i32> {
    let delete = args.iter().any(|a| a == "-d" || a == "-D" || a == "--delete");
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let current = repo.branch(&*ctx.fs);
    if names.is_empty() {
        let mut all: Vec<String> = ctx.fs.read_dir(&repo.path("refs/heads")).map(|e| e.into_iter().map(|e| e.name).collect()).unwrap_or_default();
        all.sort();
        for b in all {
            let mark = if current.as_deref() == Some(b.as_str()) { "* " } else { "  " };
            ctx.out(&format!("{mark}{b}\n"));
        }
        return Ok(0);
    }
    if delete {
        for name in names {
            if current.as_deref() == Some(name.as_str()) {
                return Err(Fail(format!("error: cannot delete branch '{name}' used by worktree at '{}'", repo.top), 1));
            }
            let path = repo.path(&format!("refs/heads/{name}"));
            let Some(id) = repo.resolve(&*ctx.fs, &format!("refs/heads/{name}")) else {
                return Err(Fail(format!("error: branch '{name}' not found"), 1));
            };
            let _ = ctx.fs.remove_file(&path);
            ctx.out(&format!("Deleted branch {name} (was {}).\n", &hex(&id)[..7]));
        }
        return Ok(0);
    }
    let name = names[0];
    let start = names.get(1).map_or("HEAD", |s| s.as_str());
    let Some(id) = repo.resolve(&*ctx.fs, start) else {
        return fatal(format!("not a valid object name: '{start}'"));
    };
    if ctx.fs.exists(&repo.path(&format!("refs/heads/{name}"))) {
        return fatal(format!("a branch named '{name}' already exists"));
    }
    repo.write_text(ctx.fs, &format!("refs/heads/{name}"), &format!("{}\n", hex(&id)))?;
    Ok(0)
}

fn tag(repo: &Repo, args: &[String], ctx: &mut Ctx) -> Res<i32> {
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    if names.is_empty() || args.iter().any(|a| a == "-l" || a == "--list") {
        let mut all: Vec<String> = ctx.fs.read_dir(&repo.path("refs/tags")).map(|e| e.into_iter().map(|e| e.name).collect()).unwrap_or_default();
        all.sort();
        for t in all {
            ctx.out(&format!("{t}\n"));
        }
        return Ok(0);
    }
    let id = repo.resolve(&*ctx.fs, names.get(1).map_or("HEAD", |s| s.as_str())).ok_or_else(|| Fail("fatal: Failed to resolve 'HEAD' as a valid ref.".into(), 128))?;
    if ctx.fs.exists(&repo.path(&format!("refs/tags/{}", names[0]))) {
        return fatal(format!("tag '{}' already exists", names[0]));
    }
    repo.write_text(ctx.fs, &format!("refs/tags/{}", names[0]), &format!("{}\n", hex(&id)))?;
    Ok(0)
}

fn checkout(repo: &Repo, switch: bool, args: &[String], ctx: &mut Ctx) -> Res<i32> {
    let create = args.iter().any(|a| a == "-b" || a == "-c" || a == "-B" || a == "-C");
    let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let Some(name) = names.first() else {
        return Err(Fail(if switch { "fatal: missing branch or commit argument".into() } else { "error: Berth's git checks out branches and commits (git checkout BRANCH)".to_string() }, 128));
    };
    let current = repo.resolve(&*ctx.fs, "HEAD");
    if create {
        if ctx.fs.exists(&repo.path(&format!("refs/heads/{name}"))) {
            return fatal(format!("a branch named '{name}' already exists"));
        }
        if let Some(id) = current {
            repo.write_text(ctx.fs, &format!("refs/heads/{name}"), &format!("{}\n", hex(&id)))?;
        }
        repo.write_text(ctx.fs, "HEAD", &format!("ref: refs/heads/{name}\n"))?;
        ctx.err(&format!("Switched to a new branch '{name}'\n"));
        return Ok(0);
    }
    let is_branch = ctx.fs.exists(&repo.path(&format!("refs/heads/{name}")));
    let Some(target) = repo.resolve(&*ctx.fs, name) else {
        return Err(Fail(if switch { format!("fatal: invalid reference: {name}") } else { format!("error: pathspec '{name}' did not match any file(s) known to git") }, if switch { 128 } else { 1 }));
    };
    if repo.branch(&*ctx.fs).as_deref() == Some(name.as_str()) {
        ctx.err(&format!("Already on '{name}'\n"));
        return Ok(0);
    }
    // Move the work tree from the current commit's files to the target's, refusing to
    // overwrite changes not committed.
    let index = repo.read_index(&*ctx.fs);
    let head = repo.head_files(&*ctx.fs);
    let work = work_files(repo, &*ctx.fs);
    let dirty: Vec<&String> = index.iter().filter(|(p, e)| head.get(*p) != Some(&(e.mode, e.id)) || work.get(*p).is_none_or(|(m, _, _)| blob_id(&blob_of(repo, &*ctx.fs, p, *m)) != e.id)).map(|(p, _)| p).collect();
    let mut want = BTreeMap::new();
    let c = repo.commit(&*ctx.fs, &target)?;
    repo.tree_files(&*ctx.fs, &c.tree, "", &mut want)?;
    if let Some(p) = dirty.iter().find(|p| head.get(**p) != want.get(**p)) {
        return Err(Fail(format!("error: Your local changes to the following files would be overwritten by checkout:\n\t{p}\nPlease commit your changes or stash them before you switch branches.\nAborting"), 1));
    }
    for path in head.keys().filter(|p| !want.contains_key(*p)) {
        let _ = ctx.fs.remove_file(&join(&repo.top, path));
    }
    let mut new_index = BTreeMap::new();
    for (path, (mode, id)) in &want {
        let (_, data) = repo.read_object(&*ctx.fs, id)?;
        let full = join(&repo.top, path);
        if let Some((parent, _)) = crate::vfs::split_parent(&full) {
            let _ = ctx.fs.create_dir_all(&parent, 0o755);
        }
        let _ = ctx.fs.remove_file(&full);
        if *mode == 0o120000 {
            let _ = ctx.fs.symlink(&String::from_utf8_lossy(&data), &full);
        } else {
            let _ = ctx.fs.put_file(&full, Content::data(data.clone()), Attrs::mode(if *mode == 0o100755 { 0o755 } else { 0o644 }));
        }
        let meta = ctx.fs.lstat(&full).ok();
        new_index.insert(path.clone(), Entry { mode: *mode, id: *id, size: data.len() as u32, mtime: meta.map_or(0, |m| m.mtime as u32) });
    }
    repo.write_index(ctx.fs, &new_index)?;
    if is_branch {
        repo.write_text(ctx.fs, "HEAD", &format!("ref: refs/heads/{name}\n"))?;
        ctx.err(&format!("Switched to branch '{name}'\n"));
    } else {
        repo.write_text(ctx.fs, "HEAD", &format!("{}\n", hex(&target)))?;
        ctx.err(&format!("Note: switching to '{name}'.\n\nYou are in 'detached HEAD' state.\nHEAD is now at {} {}\n", &hex(&target)[..7], c.message.lines().next().unwrap_or("")));
    }
    Ok(0)
}

fn rev_parse(args: &[String], ctx: &mut Ctx) -> Res<i32> {
    let short = args.iter().any(|a| a == "--short" || a.starts_with("--short="));
    for a in args {
        match a.as_str() {
            "--is-inside-work-tree" => match Repo::find(&*ctx.fs, &ctx.cwd) {
                Ok(_) => ctx.out("true\n"),
                Err(e) => return Err(e),
            },
            "--show-toplevel" => {
                let r = Repo::find(&*ctx.fs, &ctx.cwd)?;
                ctx.out(&format!("{}\n", r.top));
            }
            "--git-dir" => {
                let r = Repo::find(&*ctx.fs, &ctx.cwd)?;
                ctx.out(&format!("{}\n", if r.top == ctx.cwd { ".git".to_string() } else { r.git.clone() }));
            }
            "--abbrev-ref" => {}
            s if s.starts_with('-') => {}
            name => {
                let r = Repo::find(&*ctx.fs, &ctx.cwd)?;
                if args.iter().any(|a| a == "--abbrev-ref") {
                    ctx.out(&format!("{}\n", if name == "HEAD" { r.branch(&*ctx.fs).unwrap_or_else(|| "HEAD".into()) } else { name.to_string() }));
                    continue;
                }
                let id = r.resolve(&*ctx.fs, name).ok_or_else(|| Fail(format!("{name}\nfatal: ambiguous argument '{name}': unknown revision or path not in the working tree."), 128))?;
                let h = hex(&id);
                ctx.out(&format!("{}\n", if short { &h[..7] } else { &h }));
            }
        }
    }
    Ok(0)
}

fn cat_file(repo: &Repo, args: &[String], ctx: &mut Ctx) -> Res<i32> {
    let name = args.iter().find(|a| !a.starts_with('-')).ok_or_else(|| Fail("usage: git cat-file (-t | -s | -p) <object>".into(), 129))?;
    let id = repo.resolve(&*ctx.fs, name).ok_or_else(|| Fail(format!("fatal: Not a valid object name {name}"), 128))?;
    let (kind, body) = repo.read_object(&*ctx.fs, &id)?;
    if args.iter().any(|a| a == "-t") {
        ctx.out(&format!("{kind}\n"));
    } else if args.iter().any(|a| a == "-s") {
        ctx.out(&format!("{}\n", body.len()));
    } else if kind == "tree" {
        for (mode, name, id) in tree_entries(&body) {
            let kind = if mode == 0o40000 { "tree" } else { "blob" };
            ctx.out(&format!("{mode:06o} {kind} {}\t{name}\n", hex(&id)));
        }
    } else {
        ctx.stdout.extend_from_slice(&body);
    }
    Ok(0)
}

/// `git clone SOURCE [DIR]`: a repository on this machine is copied; a URL needs the
/// network, which the sandbox does not have.
fn clone(args: &[String], ctx: &mut Ctx) -> Res<i32> {
    let operands: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
    let Some(source) = operands.first() else {
        return Err(Fail("fatal: You must specify a repository to clone.".into(), 129));
    };
    let name = source.trim_end_matches('/').trim_end_matches(".git").rsplit(['/', ':']).next().unwrap_or("repo").to_string();
    let dir = operands.get(1).map_or(name, |d| d.to_string());
    let target = ctx.path(&dir);
    if ctx.fs.exists(&target) && ctx.fs.read_dir(&target).is_ok_and(|e| !e.is_empty()) {
        return fatal(format!("destination path '{dir}' already exists and is not an empty directory."));
    }
    if source.contains("://") || source.contains('@') {
        let host = source.split("://").nth(1).unwrap_or(source).split(['/', ':']).next().unwrap_or("").rsplit('@').next().unwrap_or("").to_string();
        ctx.err(&format!("Cloning into '{dir}'...\n"));
        let what = if source.starts_with("http") { format!("unable to access '{source}/': Could not resolve host: {host}") } else { format!("Could not read from remote repository.\n\nssh: Could not resolve hostname {host}: Temporary failure in name resolution") };
        return fatal(what);
    }
    let from = Repo::find(&*ctx.fs, &ctx.path(source)).map_err(|_| Fail(format!("fatal: repository '{source}' does not exist"), 128))?;
    ctx.err(&format!("Cloning into '{dir}'...\n"));
    let git = join(&target, ".git");
    let _ = ctx.fs.create_dir_all(&target, 0o755);
    let mut copy = crate::vfs::MemoryFs::new();
    crate::vfs::walk::copy_tree(&*ctx.fs, &from.git, &mut copy, "/").map_err(|e| Fail(format!("fatal: {e}"), 128))?;
    crate::vfs::walk::copy_tree(&copy, "/", ctx.fs, &git).map_err(|e| Fail(format!("fatal: {e}"), 128))?;
    let repo = Repo { top: target.clone(), git };
    let _ = ctx.fs.remove_file(&repo.path("index"));
    config_set(ctx.fs, &repo.path("config"), "remote \"origin\".url", &from.top)?;
    if let Some(id) = repo.resolve(&*ctx.fs, "HEAD") {
        let c = repo.commit(&*ctx.fs, &id)?;
        let mut files = BTreeMap::new();
        repo.tree_files(&*ctx.fs, &c.tree, "", &mut files)?;
        let mut index = BTreeMap::new();
        for (path, (mode, id)) in &files {
            let (_, data) = repo.read_object(&*ctx.fs, id)?;
            let full = join(&target, path);
            if let Some((parent, _)) = crate::vfs::split_parent(&full) {
                let _ = ctx.fs.create_dir_all(&parent, 0o755);
            }
            let _ = ctx.fs.put_file(&full, Content::data(data.clone()), Attrs::mode(if *mode == 0o100755 { 0o755 } else { 0o644 }));
            let mtime = ctx.fs.stat(&full).map_or(0, |m| m.mtime as u32);
            index.insert(path.clone(), Entry { mode: *mode, id: *id, size: data.len() as u32, mtime });
        }
        repo.write_index(ctx.fs, &index)?;
    } else {
        ctx.err("warning: You appear to have cloned an empty repository.\n");
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha1_matches_the_standard_vectors_and_gits_empty_blob() {
        assert_eq!(hex(&sha1(b"abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
        assert_eq!(hex(&sha1(b"")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
        assert_eq!(hex(&sha1(&[b'a'; 1_000])), "291e9a6c66994949b57ba5e650361e98fc36b1ba");
        assert_eq!(hex(&blob_id(b"")), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
        assert_eq!(hex(&blob_id(b"hello\n")), "ce013625030ba8dba906f756967f9e9ca394464a");
    }

    #[test]
    fn a_diff_counts_lines_as_git_does() {
        assert_eq!(line_changes(b"", b"a\nb\n"), (2, 0));
        assert_eq!(line_changes(b"a\nb\nc\n", b"a\nB\nc\nd\n"), (2, 1));
        let d = unified("f.txt", Some(0o100644), Some(0o100644), b"one\ntwo\nthree\n", b"one\n2\nthree\n", true, true);
        assert!(d.ends_with("--- a/f.txt\n+++ b/f.txt\n@@ -1,3 +1,3 @@\n one\n-two\n+2\n three\n"), "{d}");
    }
}
