//! End-to-end tests of the `berth` command line: whole invocations (exit code, stdout,
//! stderr) through the shared CLI layer over an in-memory host, checked with insta
//! snapshots, plus a few runs of the real binary.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod lint;
mod rules;
mod seeds;

use std::collections::BTreeMap;

use engine::cli::{self, Host};

/// A host whose files live in memory: `//- /path` headers separate files in one string.
pub struct MemoryHost {
    files: BTreeMap<String, String>,
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
        MemoryHost { files }
    }
}

impl Host for MemoryHost {
    fn read_file(&self, path: &str) -> Result<Vec<u8>, String> {
        let key = path.trim_start_matches("./");
        self.files.get(key).map(|c| c.as_bytes().to_vec()).ok_or_else(|| format!("open {path}: no such file or directory"))
    }
}

/// Runs `command` (split on spaces) and renders the session for a snapshot.
pub fn session(fixture: &str, command: &str) -> String {
    let host = MemoryHost::new(fixture);
    let args: Vec<String> = command.split_whitespace().skip(1).map(str::to_string).collect();
    let out = cli::run(&args, &host);
    format!("$ {command}\nexit: {}\n--- stdout\n{}--- stderr\n{}", out.code, out.stdout, out.stderr)
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
