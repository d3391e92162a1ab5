//! End-to-end tests of the `berth` command line: whole invocations (exit code, stdout,
//! stderr) through the shared CLI layer over an in-memory host, checked with insta
//! snapshots, plus a few runs of the real binary.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod build;
mod images;
mod lint;
mod podman;
mod rules;
mod seeds;

use std::collections::BTreeMap;

use engine::cli::{self, Host};
use engine::image::store::{SharedStorage, Storage};

/// The fixed "now" of CLI snapshots: 2026-11-23T12:00:00Z.
pub const NOW: i64 = 1_795_435_200;

/// A host whose files live in memory: `//- /path` headers separate files in one string.
pub struct MemoryHost {
    files: std::cell::RefCell<BTreeMap<String, Vec<u8>>>,
    state: SharedStorage,
}

impl MemoryHost {
    pub fn new(fixture: &str) -> MemoryHost {
        let mut files = BTreeMap::new();
        let mut current: Option<(String, String)> = None;
        for line in fixture.split_inclusive('\n') {
            if let Some(path) = line.strip_prefix("//- ") {
                if let Some((p, c)) = current.take() {
                    files.insert(p, c);
                }
                current = Some((path.trim().trim_start_matches('/').to_string(), String::new()));
            } else if let Some((_, c)) = current.as_mut() {
                c.push_str(line);
            }
        }
        if let Some((p, c)) = current {
            files.insert(p, c);
        }
        let files = files.into_iter().map(|(p, c)| (p, c.into_bytes())).collect();
        MemoryHost { files: std::cell::RefCell::new(files), state: SharedStorage::default() }
    }
}

impl Host for MemoryHost {
    fn read_file(&self, path: &str) -> Result<Vec<u8>, String> {
        let key = path.trim_start_matches("./");
        self.files.borrow().get(key).cloned().ok_or_else(|| format!("open {path}: no such file or directory"))
    }

    fn write_file(&self, path: &str, data: &[u8]) -> Result<(), String> {
        self.files.borrow_mut().insert(path.trim_start_matches("./").to_string(), data.to_vec());
        Ok(())
    }

    fn storage(&self) -> Result<Box<dyn Storage>, String> {
        Ok(Box::new(self.state.clone()))
    }

    fn now(&self) -> i64 {
        NOW
    }

    fn context(&self, path: &str) -> Result<Box<dyn engine::vfs::FileSystem>, String> {
        use engine::vfs::FileSystem;
        let prefix = path.trim_start_matches("./").trim_end_matches('/');
        let prefix = if prefix == "." { "" } else { prefix };
        let mut fs = engine::vfs::MemoryFs::new();
        let mut found = prefix.is_empty();
        for (name, data) in self.files.borrow().iter() {
            let rel = if prefix.is_empty() { Some(name.as_str()) } else { name.strip_prefix(&format!("{prefix}/")) };
            let Some(rel) = rel else { continue };
            found = true;
            let full = format!("/{rel}");
            if let Some((parent, _)) = engine::vfs::split_parent(&full) {
                fs.create_dir_all(&parent, 0o755).map_err(|e| e.to_string())?;
            }
            fs.write(&full, data).map_err(|e| e.to_string())?;
        }
        if !found {
            return Err(format!("path \"{path}\" not found"));
        }
        Ok(Box::new(fs))
    }
}

/// Runs `command` (split on spaces) and renders the session for a snapshot.
pub fn session(fixture: &str, command: &str) -> String {
    sessions(fixture, &[command])
}

/// Runs several commands against one engine state, rendering each.
pub fn sessions(fixture: &str, commands: &[&str]) -> String {
    let host = MemoryHost::new(fixture);
    let mut out = String::new();
    for command in commands {
        let args: Vec<String> = command.split_whitespace().skip(1).map(str::to_string).collect();
        let o = cli::run(&args, &host);
        out.push_str(&format!("$ {command}\nexit: {}\n--- stdout\n{}--- stderr\n{}", o.code, o.stdout, o.stderr));
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
