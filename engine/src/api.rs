//! The engine's API: plain-data requests and responses (serde), the one boundary between
//! the engine and its front ends.
//!
//! - The native `berth` binary hands its argv to [`cli`] with a [`Host`] over `std::fs`.
//! - The browser sandbox runs a [`Session`] in a Web Worker. The page sends [`Request`]s
//!   as JSON and gets [`Response`]s back; after each one the worker persists
//!   [`Session::take_changes`] in IndexedDB.
//!
//! Nothing here touches a host: time comes from the [`Clock`] the front end passes in.

use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::cli::Host;
use crate::image::store::{familiar, ImageStore};
use crate::runtime::Containers;
use crate::sandbox::{HostKind, Sandbox};
use crate::vfs::{self, FileSystem};

pub use crate::build::progress::{build_steps, BuildStep};
/// Docker's figures, for the page's panels.
pub use crate::units::{human_duration, human_size};
/// What a browser's worker lends the sandbox (a clock, its terminal) and the workbench
/// it owns: the front ends reach the engine through this module only.
pub use crate::sandbox::{Clock, FrontEnd};
pub use crate::workbench::{LessonInfo, LessonView, Workbench};

/// The WebAssembly machine a front end installs for the engine: natively wasmtime, in
/// the browser the page's own WebAssembly, which implements [`machine::WasmRuntime`].
pub mod machine {
    pub use crate::wasi::{install, wheel_file, Exit, GuestMemory, Machine, Program, PythonBuild, WasiHost, WasmRuntime, IMPORTS};
}

/// What a front end asks of a session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    /// Runs a command line in the sandbox host's shell (`docker build -t x .`, `ls`).
    Exec { line: String },
    /// Completions for the word before the cursor (Tab in the terminal).
    Complete { line: String },
    /// Ctrl-C at the `> ` prompt: drops the command typed in part. Answers the prompt.
    CancelLine,
    /// The workspace's files and directories.
    ListFiles,
    ReadFile { path: String },
    /// Saves a file from the editor (or an upload), creating its directories.
    WriteFile { path: String, data: Vec<u8> },
    CreateDir { path: String },
    Rename { from: String, to: String },
    Remove { path: String },
    /// Images (with their layers) and containers, for the panels.
    State,
    /// The workspace as a tar archive (download).
    ExportWorkspace,
    /// The lessons, with progress (a `Workbench` answers the lesson requests).
    Lessons,
    /// Moves the terminal to a lesson's sandbox: as it was left, or `fresh`.
    OpenLesson { slug: String, fresh: bool },
    /// Checks the open lesson's current step, and moves on when it passes.
    CheckLesson,
    /// Applies the current step's reference solution, then checks.
    SolveLesson,
    /// Back to the student's own sandbox.
    CloseLesson,
    /// Adds a lesson from its files (an instructor's dropped folder).
    AddLesson { slug: String, files: Vec<(String, Vec<u8>)> },
    /// Adds a lesson from a tar of its folder (a lesson served from a URL).
    AddLessonArchive { slug: String, data: Vec<u8> },
}

/// The answer to one [`Request`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    /// A command line finished. `prompt` is the shell's next prompt.
    Output { code: i32, stdout: String, stderr: String, prompt: String },
    Completions { items: Vec<String> },
    Files { entries: Vec<FileEntry> },
    File { path: String, data: Vec<u8> },
    State { images: Vec<ImageInfo>, containers: Vec<ContainerInfo>, last_build: Vec<BuildStep> },
    Archive { data: Vec<u8> },
    Lessons { lessons: Vec<crate::workbench::LessonInfo>, active: Option<String> },
    Lesson { view: crate::workbench::LessonView },
    Solved { transcript: String, view: crate::workbench::LessonView },
    Prompt { prompt: String },
    Done,
    Error { message: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Relative to the workspace (`src/app.py`).
    pub path: String,
    pub dir: bool,
    pub size: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageInfo {
    pub id: String,
    /// Familiar names (`python:3.11-slim`); empty for a dangling image.
    pub tags: Vec<String>,
    pub size: u64,
    pub created: String,
    /// Oldest first, as the image's history lists them.
    pub layers: Vec<LayerInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerInfo {
    pub created_by: String,
    pub size: u64,
    /// Whether the step is metadata only (`ENV`, `CMD`): no filesystem layer.
    pub empty: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerInfo {
    pub id: String,
    pub name: String,
    pub image: String,
    pub command: String,
    /// `created`, `running` or `exited`.
    pub state: String,
    pub exit_code: i32,
    pub created: i64,
}


/// Engine state and workspace files changed since the last call, for the front end to
/// persist: `(key, None)` is a removal.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct Changes {
    pub storage: Vec<(String, Option<Vec<u8>>)>,
    /// The whole workspace as a tar, when any of its files changed.
    pub workspace: Option<Vec<u8>>,
}

/// One finding of the parser or linter, for the editor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LintItem {
    /// Byte offsets into the source.
    pub start: usize,
    pub end: usize,
    /// 1-based, as `berth lint` prints them.
    pub line: usize,
    pub column: usize,
    /// `error`, `warning` or `info`.
    pub severity: String,
    pub rule: Option<String>,
    pub message: String,
    pub hint: Option<String>,
}

/// The parser's and linter's findings for a Dockerfile, as the editor underlines them.
pub fn lint(source: &str) -> Vec<LintItem> {
    let lines = crate::dockerfile::LineIndex::new(source);
    crate::dockerfile::lint::lint(source, &Default::default())
        .into_iter()
        .map(|d| {
            let (line, column) = lines.line_col(source, d.span.start);
            LintItem { start: d.span.start, end: d.span.end.max(d.span.start), line, column, severity: d.severity.as_str().to_string(), rule: d.rule, message: d.message, hint: d.help }
        })
        .collect()
}

/// What a piece of Dockerfile text is, for highlighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    Instruction,
    Comment,
    Flag,
    String,
    Variable,
    Text,
}

/// Splits a Dockerfile into highlighted pieces that cover it exactly, in order. Line by
/// line: a comment, or an instruction keyword at the start of an instruction, then its
/// flags (`--from=build`), quoted strings and `$VARIABLES`. Continuation lines carry on.
pub fn highlight(source: &str) -> Vec<(TokenKind, &str)> {
    let mut out = Vec::new();
    let mut continued = false;
    let mut heredoc: Option<String> = None;
    for line in source.split_inclusive('\n') {
        let body = line.trim_end_matches(['\n', '\r']);
        if let Some(end) = &heredoc {
            if body.trim_start_matches('\t') == end {
                heredoc = None;
            }
            out.push((TokenKind::String, line));
            continue;
        }
        let trimmed = body.trim_start();
        let indent = &line[..body.len() - trimmed.len()];
        if !indent.is_empty() {
            out.push((TokenKind::Text, indent));
        }
        let rest = &line[indent.len()..];
        if trimmed.starts_with('#') {
            out.push((TokenKind::Comment, rest));
            continue;
        }
        let mut rest = rest;
        if !continued && !trimmed.is_empty() {
            let word_len = rest.find(char::is_whitespace).unwrap_or(rest.len());
            out.push((TokenKind::Instruction, &rest[..word_len]));
            rest = &rest[word_len..];
        }
        if let Some(pos) = body.find("<<") {
            let marker = body[pos + 2..].trim_start_matches('-').split_whitespace().next().unwrap_or("").trim_matches(['"', '\'']);
            if !marker.is_empty() && marker.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                heredoc = Some(marker.to_string());
            }
        }
        continued = body.ends_with('\\');
        highlight_words(rest, &mut out);
    }
    out
}

fn highlight_words<'a>(mut rest: &'a str, out: &mut Vec<(TokenKind, &'a str)>) {
    while !rest.is_empty() {
        let bytes = rest.as_bytes();
        let (kind, len) = match bytes[0] {
            b'"' | b'\'' => {
                let q = bytes[0];
                let end = bytes[1..].iter().position(|&b| b == q || b == b'\n').map_or(rest.len(), |i| i + 2).min(rest.len());
                (TokenKind::String, end)
            }
            b'$' if bytes.len() > 1 && (bytes[1] == b'{' || bytes[1].is_ascii_alphabetic() || bytes[1] == b'_') => {
                let end = if bytes[1] == b'{' { rest.find('}').map_or(rest.len(), |i| i + 1) } else { 1 + rest[1..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len() - 1) };
                (TokenKind::Variable, end)
            }
            b'-' if rest.starts_with("--") && bytes.get(2).is_some_and(u8::is_ascii_alphabetic) => {
                let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
                (TokenKind::Flag, end)
            }
            _ => {
                let end = rest.char_indices().skip(1).find(|(_, c)| matches!(c, '"' | '\'' | '$') || c.is_whitespace()).map_or(rest.len(), |(i, _)| i);
                let end = if rest.starts_with(char::is_whitespace) { rest.find(|c: char| !c.is_whitespace()).unwrap_or(rest.len()) } else { end };
                (TokenKind::Text, end.max(1))
            }
        };
        let len = (1..=len).rev().find(|&l| rest.is_char_boundary(l)).unwrap_or(rest.len());
        out.push((kind, &rest[..len]));
        rest = &rest[len..];
    }
}

/// Runs one docker-style command line against a host (the native binary): its exit
/// code and the bytes it wrote.
pub fn cli(argv: &[String], host: &dyn Host) -> crate::cli::Output {
    crate::cli::run(argv, host)
}

/// [`cli`] for a line typed as `program ARGS…`: messages name the program as typed.
pub fn cli_as(program: &str, argv: &[String], host: &dyn Host) -> crate::cli::Output {
    crate::cli::run_as(program, argv, host)
}

/// A browser tab's engine: the sandbox host and its engine state.
pub struct Session {
    pub sandbox: Sandbox,
    workspace_version: u64,
}

impl Session {
    /// A session on the workspace host.
    pub fn new(clock: Rc<dyn Clock>) -> Session {
        Session::on(clock, HostKind::Workspace)
    }

    /// A session on a fresh host of the given kind.
    pub fn on(clock: Rc<dyn Clock>, kind: HostKind) -> Session {
        let sandbox = Sandbox::with_host(clock, kind);
        let workspace_version = workspace_version(&sandbox);
        Session { sandbox, workspace_version }
    }

    /// A session restored from what [`Session::take_changes`] handed out earlier.
    pub fn restore(clock: Rc<dyn Clock>, storage: Vec<(String, Vec<u8>)>, workspace: Option<&[u8]>) -> Result<Session, String> {
        Session::restore_on(clock, HostKind::Workspace, storage, workspace)
    }

    /// [`Session::restore`] on a host of the given kind. What the saved records hold is
    /// the engine's state and the home folder; the rest of the host (packages installed
    /// on it, files outside the home) starts fresh, as a reloaded machine would.
    pub fn restore_on(clock: Rc<dyn Clock>, kind: HostKind, storage: Vec<(String, Vec<u8>)>, workspace: Option<&[u8]>) -> Result<Session, String> {
        let mut session = Session::on(clock, kind);
        if let Ok(mut s) = session.sandbox.storage.0.lock() {
            for (k, v) in storage {
                s.files.insert(k, v);
            }
        }
        if let Some(tar) = workspace {
            session.sandbox.import_workspace(tar)?;
        }
        session.sandbox.storage.take_changes();
        session.workspace_version = workspace_version(&session.sandbox);
        Ok(session)
    }

    pub fn prompt(&self) -> String {
        self.sandbox.prompt()
    }

    pub fn handle(&mut self, request: Request) -> Response {
        self.handle_with(request, None)
    }

    /// [`Session::handle`] with an interrupt flag for a command line (Ctrl-C).
    pub fn handle_with(&mut self, request: Request, interrupt: Option<Arc<AtomicBool>>) -> Response {
        let fail = |message: String| Response::Error { message };
        match request {
            Request::Exec { line } => {
                let out = self.sandbox.type_line(&line, interrupt);
                Response::Output { code: out.status, stdout: String::from_utf8_lossy(&out.stdout).into_owned(), stderr: String::from_utf8_lossy(&out.stderr).into_owned(), prompt: self.sandbox.prompt() }
            }
            Request::Complete { line } => Response::Completions { items: self.sandbox.complete(&line) },
            Request::CancelLine => {
                self.sandbox.cancel_typing();
                Response::Prompt { prompt: self.sandbox.prompt() }
            }
            Request::ListFiles => match vfs::walk::walk(&self.sandbox.fs, self.sandbox.home()) {
                Ok(list) => Response::Files {
                    entries: list
                        .into_iter()
                        .map(|(path, meta)| FileEntry { path, dir: meta.is_dir(), size: meta.size })
                        .collect(),
                },
                Err(e) => fail(e.to_string()),
            },
            Request::ReadFile { path } => match self.sandbox.read_file(&path) {
                Ok(data) => Response::File { path, data },
                Err(e) => fail(e),
            },
            Request::WriteFile { path, data } => self.sandbox.write_file(&path, &data).map_or_else(fail, |()| Response::Done),
            Request::CreateDir { path } => self.sandbox.fs.create_dir_all(&self.sandbox.workspace_path(&path), 0o755).map_or_else(|e| fail(e.to_string()), |()| Response::Done),
            Request::Rename { from, to } => self.sandbox.fs.rename(&self.sandbox.workspace_path(&from), &self.sandbox.workspace_path(&to)).map_or_else(|e| fail(e.to_string()), |()| Response::Done),
            Request::Remove { path } => {
                let full = self.sandbox.workspace_path(&path);
                if full == self.sandbox.home() {
                    return fail("the workspace itself cannot be removed".into());
                }
                self.sandbox.fs.remove_all(&full).map_or_else(|e| fail(e.to_string()), |()| Response::Done)
            }
            Request::State => self.state(),
            Request::ExportWorkspace => self.sandbox.export_workspace().map_or_else(fail, |data| Response::Archive { data }),
            Request::Lessons | Request::OpenLesson { .. } | Request::CheckLesson | Request::SolveLesson | Request::CloseLesson | Request::AddLesson { .. } | Request::AddLessonArchive { .. } => fail("lessons need a workbench (engine::workbench::Workbench)".into()),
        }
    }

    fn state(&self) -> Response {
        let mut images = Vec::new();
        if let Ok(mut store) = ImageStore::open(Box::new(self.sandbox.storage.clone())) {
            let records: Vec<_> = store.images().cloned().collect();
            for record in &records {
                let mut layers = Vec::new();
                if let Ok(config) = store.config(&record.id) {
                    let digests: Vec<_> = store.manifest(record).map(|m| m.layers.into_iter().map(|l| l.digest).collect()).unwrap_or_default();
                    let mut sizes = digests.iter().map(|d| store.layer_content_size(d));
                    for h in &config.history {
                        let size = if h.empty_layer { 0 } else { sizes.next().unwrap_or(0) };
                        layers.push(LayerInfo { created_by: h.created_by.clone().unwrap_or_default(), size, empty: h.empty_layer });
                    }
                }
                images.push(ImageInfo { id: record.id.short(), tags: record.tags.iter().map(|t| familiar(t)).collect(), size: record.size, created: record.created.clone(), layers });
            }
        }
        let records = Containers::open(Box::new(self.sandbox.storage.clone())).map(|c| c.list).unwrap_or_default();
        let containers = records
            .values()
            .map(|c| ContainerInfo {
                id: c.short_id(),
                name: c.name.clone(),
                image: c.image.clone(),
                command: c.argv.join(" "),
                state: c.status.name().into(),
                exit_code: c.exit_code,
                created: c.created,
            })
            .collect();
        Response::State { images, containers, last_build: self.sandbox.last_build() }
    }

    /// Makes the next [`Session::take_changes`] hand out everything (a fresh start that
    /// replaces saved state).
    pub fn mark_all_changed(&mut self) {
        if let Ok(mut s) = self.sandbox.storage.0.lock() {
            let keys: Vec<String> = s.files.keys().cloned().collect();
            s.changed.extend(keys);
        }
        self.workspace_version = 0;
    }

    /// What changed since the last call: engine state keys, and the workspace when any
    /// file in it changed.
    pub fn take_changes(&mut self) -> Changes {
        let storage = self.sandbox.storage.take_changes().into_iter().map(|k| {
            let v = self.sandbox.storage.0.lock().ok().and_then(|s| s.files.get(&k).cloned());
            (k, v)
        });
        let storage = storage.collect();
        let version = workspace_version(&self.sandbox);
        let workspace = if version != self.workspace_version {
            self.workspace_version = version;
            self.sandbox.export_workspace().ok()
        } else {
            None
        };
        Changes { storage, workspace }
    }
}

/// A cheap fingerprint of the workspace: paths, sizes, modes and mtimes.
fn workspace_version(sandbox: &Sandbox) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    if let Ok(list) = vfs::walk::walk(&sandbox.fs, sandbox.home()) {
        for (path, meta) in list {
            (path, meta.size, meta.mode, meta.mtime, meta.ino).hash(&mut h);
        }
    }
    h.finish()
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::FixedClock;

    fn session() -> Session {
        Session::new(Rc::new(FixedClock(1_700_000_000)))
    }

    fn exec(s: &mut Session, line: &str) -> (i32, String) {
        match s.handle(Request::Exec { line: line.into() }) {
            Response::Output { code, stdout, stderr, .. } => (code, stdout + &stderr),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn requests_and_responses_are_plain_json() {
        let req: Request = serde_json::from_str(r#"{"type":"exec","line":"ls"}"#).unwrap();
        assert_eq!(req, Request::Exec { line: "ls".into() });
        let resp = serde_json::to_string(&Response::Completions { items: vec!["build".into()] }).unwrap();
        assert_eq!(resp, r#"{"type":"completions","items":["build"]}"#);
    }

    #[test]
    fn a_session_survives_a_restore_from_its_changes() {
        let mut s = session();
        s.handle(Request::WriteFile { path: "Dockerfile".into(), data: b"FROM alpine\nRUN echo hi > /hi\nCMD [\"cat\", \"/hi\"]\n".to_vec() });
        let (code, out) = exec(&mut s, "docker build -t greet .");
        assert_eq!(code, 0, "{out}");
        let changes = s.take_changes();
        assert!(changes.workspace.is_some());
        assert!(!changes.storage.is_empty());
        assert_eq!(s.take_changes(), Changes::default(), "nothing changed since");
        let saved: Vec<(String, Vec<u8>)> = changes.storage.into_iter().filter_map(|(k, v)| Some((k, v?))).collect();
        let mut restored = Session::restore(Rc::new(FixedClock(1_700_000_100)), saved, changes.workspace.as_deref()).unwrap();
        assert_eq!(exec(&mut restored, "docker run --rm greet"), (0, "hi\n".into()));
        assert_eq!(exec(&mut restored, "cat Dockerfile | head -n 1"), (0, "FROM alpine\n".into()));
    }

    #[test]
    fn state_lists_images_with_layers_containers_and_the_last_build() {
        let mut s = session();
        s.handle(Request::WriteFile { path: "Dockerfile".into(), data: b"FROM alpine\nRUN echo hi > /hi\n".to_vec() });
        exec(&mut s, "docker build -t greet . && docker build -t greet . && docker run --name c1 greet true");
        let Response::State { images, containers, last_build } = s.handle(Request::State) else { panic!() };
        let greet = images.iter().find(|i| i.tags == ["greet:latest"]).unwrap();
        assert_eq!(greet.layers.last().unwrap().created_by, "RUN /bin/sh -c echo hi > /hi # buildkit");
        assert_eq!(containers[0].name, "c1");
        assert_eq!(containers[0].state, "exited");
        assert_eq!(last_build.iter().map(|b| (b.name.as_str(), b.cached)).collect::<Vec<_>>(), [("[1/2] FROM docker.io/library/alpine:latest", false), ("[2/2] RUN echo hi > /hi", true)]);
    }

    #[test]
    fn highlighting_covers_the_source_exactly() {
        let src = "# syntax=docker/dockerfile:1\nFROM python:3.11 AS base\nCOPY --from=base \"/a b\" $HOME/\nRUN apt-get update && \\\n    echo ${X:-y}\nRUN <<EOF\necho hi\nEOF\nCMD [\"python\"]\n";
        let tokens = highlight(src);
        assert_eq!(tokens.iter().map(|(_, t)| *t).collect::<String>(), src);
        let kinds = |k: TokenKind| tokens.iter().filter(|(kind, _)| *kind == k).map(|(_, t)| *t).collect::<Vec<_>>();
        assert_eq!(kinds(TokenKind::Instruction), ["FROM", "COPY", "RUN", "RUN", "CMD"]);
        assert_eq!(kinds(TokenKind::Comment), ["# syntax=docker/dockerfile:1\n"]);
        assert_eq!(kinds(TokenKind::Flag), ["--from=base"]);
        assert_eq!(kinds(TokenKind::Variable), ["$HOME", "${X:-y}"]);
        assert_eq!(kinds(TokenKind::String), ["\"/a b\"", "echo hi\n", "EOF\n", "\"python\""]);
        for src in ["\"", "$", "${", "--", "é$é\"é", "RUN \\\n\n"] {
            assert_eq!(highlight(src).iter().map(|(_, t)| *t).collect::<String>(), src);
        }
    }

    #[test]
    fn lint_items_carry_offsets_lines_and_rules() {
        let items = lint("FROM alpine\nRUNN echo\n");
        let items: Vec<_> = items.into_iter().filter(|i| i.severity == "error").collect();
        assert_eq!((items[0].line, items[0].column, items[0].start), (2, 1, 12));
        assert_eq!(items[0].severity, "error");
        assert_eq!(items[0].message, "unknown instruction: RUNN");
        assert_eq!(items[0].hint.as_deref(), Some("did you mean RUN?"));
    }

    #[test]
    fn files_can_be_listed_renamed_and_removed() {
        let mut s = session();
        s.handle(Request::WriteFile { path: "src/a.py".into(), data: b"x".to_vec() });
        s.handle(Request::Rename { from: "src/a.py".into(), to: "src/b.py".into() });
        let Response::Files { entries } = s.handle(Request::ListFiles) else { panic!() };
        assert_eq!(entries.iter().map(|e| (e.path.as_str(), e.dir)).collect::<Vec<_>>(), [("src", true), ("src/b.py", false)]);
        assert_eq!(s.handle(Request::Remove { path: "src".into() }), Response::Done);
        assert!(matches!(s.handle(Request::Remove { path: "/".into() }), Response::Error { .. }));
        assert!(matches!(s.handle(Request::ReadFile { path: "src/b.py".into() }), Response::Error { .. }));
    }
}
