//! End-to-end tests of the `berth` command line: whole invocations (exit code, stdout,
//! stderr) through the shared CLI layer over an in-memory host, checked with insta
//! snapshots, plus a few runs of the real binary.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod apt;
mod build;
mod conda;
mod flags;
mod containers;
mod hostile;
mod images;
mod kube;
mod lessons;
mod limits;
mod native;
mod oci;
mod lint;
mod podman;
mod python;
mod registry;
mod rules;
mod seeds;

use engine::cli;
use engine::image::store::{SharedStorage, Storage};
use engine::vfs::{FileSystem, MemoryFs, SharedFs, SubdirFs};

/// The fixed "now" of CLI snapshots: 2026-11-23T12:00:00Z.
pub const NOW: i64 = 1_795_435_200;

/// A host whose files live in memory: `//- /path` headers separate files in one string.
/// Its files are one shared filesystem, so bind mounts and `docker cp` see them.
pub struct MemoryHost {
    files: SharedFs,
    state: SharedStorage,
    /// How many sleeps `logs -f` waits out before the user "presses Ctrl-C" (none: the
    /// host has no real time), and what it showed meanwhile.
    follow: std::rc::Rc<std::cell::Cell<Option<usize>>>,
    followed: std::rc::Rc<std::cell::RefCell<String>>,
    /// `logs -f` really waits out the sleeps it follows.
    pub follow_in_real_time: std::cell::Cell<bool>,
    /// Seconds the host's clock has moved on from [`NOW`] (`advance`, and the waits `logs
    /// -f` makes in real time).
    later: std::rc::Rc<std::cell::Cell<f64>>,
    /// The network the host lends, where a test gives one (`with_remote`).
    remote: Option<Box<dyn engine::image::distribution::Remote>>,
}

impl MemoryHost {
    pub fn new(fixture: &str) -> MemoryHost {
        let mut fs = MemoryFs::new();
        let mut current: Option<(String, String)> = None;
        let add = |fs: &mut MemoryFs, path: String, content: String| {
            let full = format!("/{}", path.trim_start_matches('/'));
            if let Some((parent, _)) = engine::vfs::split_parent(&full) {
                fs.create_dir_all(&parent, 0o755).unwrap();
            }
            fs.write(&full, content.as_bytes()).unwrap();
        };
        for line in fixture.split_inclusive('\n') {
            if let Some(path) = line.strip_prefix("//- ") {
                if let Some((p, c)) = current.take() {
                    add(&mut fs, p, c);
                }
                current = Some((path.trim().to_string(), String::new()));
            } else if let Some((_, c)) = current.as_mut() {
                c.push_str(line);
            }
        }
        if let Some((p, c)) = current {
            add(&mut fs, p, c);
        }
        MemoryHost { files: SharedFs::new(fs), state: SharedStorage::default(), follow: Default::default(), followed: Default::default(), follow_in_real_time: Default::default(), later: Default::default(), remote: None }
    }

    /// The host with a network: `remote` answers its requests.
    pub fn with_remote(mut self, remote: Box<dyn engine::image::distribution::Remote>) -> MemoryHost {
        self.remote = Some(remote);
        self
    }

    /// Moves the host's clock on by `secs`.
    pub fn advance(&self, secs: i64) {
        self.later.set(self.later.get() + secs as f64);
    }

    /// Lets `logs -f` follow for `sleeps` sleeps of the process, then stop as on Ctrl-C
    /// (once: the waits after that go on).
    pub fn follow_for(&self, sleeps: usize) {
        self.follow.set(Some(sleeps));
    }

    fn path(path: &str) -> String {
        engine::vfs::join("/", path)
    }

    /// A file of the host, for assertions.
    pub fn file(&self, path: &str) -> Option<Vec<u8>> {
        self.files.read(&Self::path(path)).ok()
    }
}

impl engine::host::Files for MemoryHost {
    fn read_file(&self, path: &str) -> Result<Vec<u8>, String> {
        self.files.read(&Self::path(path)).map_err(|_| format!("open {path}: no such file or directory"))
    }

    fn write_file(&self, path: &str, data: &[u8]) -> Result<(), String> {
        let mut fs = self.files.clone();
        fs.write(&Self::path(path), data).map_err(|e| e.to_string())
    }

    fn storage(&self) -> Result<Box<dyn Storage>, String> {
        Ok(Box::new(self.state.clone()))
    }

    fn bind(&self, path: &str) -> Result<Box<dyn FileSystem>, String> {
        let base = Self::path(path);
        if !self.files.stat(&base).is_ok_and(|m| m.is_dir()) {
            return Err(format!("{path}: no such file or directory"));
        }
        Ok(Box::new(SubdirFs { inner: self.files.clone(), base }))
    }

    fn context(&self, path: &str) -> Result<Box<dyn FileSystem>, String> {
        self.bind(path).map_err(|_| format!("path \"{path}\" not found"))
    }

    fn remote(&self) -> Option<&dyn engine::image::distribution::Remote> {
        self.remote.as_deref()
    }
}

impl engine::host::Clock for MemoryHost {
    fn now(&self) -> i64 {
        NOW + self.later.get() as i64
    }
}

impl engine::host::Console for MemoryHost {
    fn follow(&self) -> Option<engine::shell::Pause> {
        self.follow.get()?;
        let (left, followed, real, later) = (self.follow.clone(), self.followed.clone(), self.follow_in_real_time.get(), self.later.clone());
        Some(std::rc::Rc::new(move |shown: &str, secs: f64| {
            followed.borrow_mut().push_str(&format!("{shown}[waits {secs} s]\n"));
            if real {
                std::thread::sleep(std::time::Duration::from_secs_f64(secs));
            }
            let n = left.get().unwrap_or(0);
            left.set(Some(n.checked_sub(1).unwrap_or(usize::MAX)));
            if n > 0 {
                later.set(later.get() + secs);
            }
            n > 0
        }))
    }
}

/// Runs one command line (`berth …`, the program's name dropped) on `host`: its exit
/// status, stdout and stderr.
pub fn run_line(host: &MemoryHost, line: &str) -> (i32, String, String) {
    let words = split_words(line);
    let o = cli::run_as(&words[0], &words[1..], host);
    (o.code, o.stdout_text().into_owned(), o.stderr_text().into_owned())
}

/// Splits a command line on spaces, honouring single and double quotes.
pub fn split_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (None, ' ') => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (None, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// Runs `command` (split on spaces, quotes respected) and renders the session for a snapshot.
pub fn session(fixture: &str, command: &str) -> String {
    sessions(fixture, &[command])
}

/// Runs several commands against one engine state, rendering each.
pub fn sessions(fixture: &str, commands: &[&str]) -> String {
    let host = MemoryHost::new(fixture);
    sessions_on(&host, commands)
}

/// [`sessions`] on a host the caller keeps, to look at its files afterwards. apt and pip
/// answer from their curated indexes here, so that what a test prints does not follow
/// the archive's and PyPI's new releases; [`sessions_live`] uses the generated indexes.
pub fn sessions_on(host: &MemoryHost, commands: &[&str]) -> String {
    engine::shell::packages::debian_index::curated_only(true);
    engine::shell::packages::pypi_index::curated_only(true);
    run_sessions(host, commands)
}

/// [`sessions`] with apt and pip over the generated indexes (`scripts/debian-index`,
/// `scripts/pypi-index`), for tests that check against the indexes themselves.
pub fn sessions_live(fixture: &str, commands: &[&str]) -> String {
    engine::shell::packages::debian_index::curated_only(false);
    engine::shell::packages::pypi_index::curated_only(false);
    run_sessions(&MemoryHost::new(fixture), commands)
}

fn run_sessions(host: &MemoryHost, commands: &[&str]) -> String {
    let mut out = String::new();
    for command in commands {
        let words = split_words(command);
        let o = cli::run_as(&words[0], &words[1..], host);
        let followed = std::mem::take(&mut *host.followed.borrow_mut());
        out.push_str(&format!("$ {command}\nexit: {}\n--- stdout\n{followed}{}--- stderr\n{}", o.code, o.stdout_text(), o.stderr_text()));
    }
    out
}

#[test]
fn unknown_command() {
    insta::assert_snapshot!(session("", "berth frobnicate"), @r"
    $ berth frobnicate
    exit: 1
    --- stdout
    --- stderr
    berth: 'frobnicate' is not a berth command.
    See 'berth --help'
    ");
}

#[test]
fn native_binary_reads_stdin_and_sets_exit_code() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(["lint", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("berth runs");
    child.stdin.take().unwrap().write_all(b"FROM alpine:3.20\nRUNN echo hi\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(findings[1]["message"], "unknown instruction: RUNN");
    assert_eq!(findings[1]["line"], 2);
    assert_eq!(findings[1]["hint"], "did you mean RUN?");

    let missing = Command::new(env!("CARGO_BIN_EXE_berth")).args(["lint", "trainer.dockerfile"]).current_dir(std::env::temp_dir()).output().unwrap();
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&missing.stderr), "failed to read dockerfile: open trainer.dockerfile: no such file or directory\n");
}
