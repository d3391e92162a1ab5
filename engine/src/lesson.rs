//! Lessons: Killercoda's `index.json` scenario format with Berth's additions, checks
//! (a `verify.sh` run by the sandbox host's shell, and declarative checks over the
//! engine's state), and the runner behind `berth lesson check` and `berth lesson run`.
//!
//! A lesson is a folder. Files are read through [`LessonSource`], so the same code reads
//! a folder on disk natively and a bundled or dropped folder in the browser.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::api::{self, Request, Response, Session};
use crate::sandbox::{HostKind, Sandbox};

/// `index.json`: Killercoda's scenario manifest, plus Berth's fields.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Manifest {
    /// Killercoda shows a scenario without one; `lesson check` says it lacks one.
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub difficulty: String,
    /// `"10 minutes"`.
    #[serde(default)]
    pub time: String,
    #[serde(default)]
    pub details: Details,
    /// Killercoda's environment; Berth always runs its own sandbox and reports others.
    #[serde(default)]
    pub backend: Option<serde_json::Value>,
    /// Images pulled before the lesson starts (the sandbox has no network to wait for).
    #[serde(default)]
    pub images: Vec<String>,
    /// The starting workspace: this folder's files are copied into it.
    #[serde(default = "default_files")]
    pub files: String,
    /// The machine the lesson runs on. A Killercoda scenario gets Killercoda's Ubuntu
    /// host (root in `/root`, apt, sudo, git, systemctl), which its scripts assume;
    /// Berth's own lessons ask for `"workspace"`, the student's project folder as on
    /// their own computer, which the editor and files panel show.
    #[serde(default)]
    pub host: Option<HostKind>,
    /// Fields Berth does not read (Killercoda's `interface`, `environment`, …):
    /// `lesson check` names them.
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

fn default_files() -> String {
    "files".into()
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Details {
    #[serde(default)]
    pub intro: Option<Page>,
    #[serde(default)]
    pub steps: Vec<Step>,
    #[serde(default)]
    pub finish: Option<Page>,
    /// Killercoda's assets: `{"host01": [{"file": "x", "target": "/root", "chmod": "+x"}]}`.
    #[serde(default)]
    pub assets: Option<serde_json::Value>,
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Page {
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub foreground: Option<String>,
    #[serde(default)]
    pub background: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Step {
    /// Killercoda allows a step without one.
    #[serde(default)]
    pub title: String,
    /// The step's Markdown file.
    #[serde(default)]
    pub text: Option<String>,
    /// A check script: exit 0 means done, its output is the feedback.
    #[serde(default)]
    pub verify: Option<String>,
    #[serde(default)]
    pub foreground: Option<String>,
    #[serde(default)]
    pub background: Option<String>,
    /// Declarative checks; all must hold.
    #[serde(default)]
    pub checks: Vec<Check>,
    /// Revealed one at a time.
    #[serde(default)]
    pub hints: Vec<String>,
    #[serde(default)]
    pub solution: Solution,
    #[serde(flatten)]
    pub other: BTreeMap<String, serde_json::Value>,
}

/// The reference solution of a step: files copied from the lesson's `solution/` folder
/// into the workspace, then commands typed into the terminal.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Solution {
    #[serde(default)]
    pub files: Vec<String>,
    #[serde(default)]
    pub commands: Vec<String>,
}

/// A declarative check. Each field present is one condition; all must hold.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// An image with this reference exists.
    #[serde(default)]
    pub image: Option<String>,
    /// With `image`: it has at most this many filesystem layers.
    #[serde(default)]
    pub max_layers: Option<usize>,
    /// With `image`: its size is at most this many MB (10^6 bytes, as `docker images`).
    #[serde(default)]
    pub max_size_mb: Option<f64>,
    /// A container with this name exists (with `exit_code`: it exited with it).
    #[serde(default)]
    pub container: Option<String>,
    #[serde(default)]
    pub exit_code: Option<i32>,
    /// A workspace file exists (with `contains`: its text contains this).
    #[serde(default)]
    pub file: Option<String>,
    #[serde(default)]
    pub contains: Option<String>,
    /// A Dockerfile in the workspace passes the linter: no finding of `rule`, or with no
    /// rule, no error.
    #[serde(default)]
    pub lint: Option<String>,
    #[serde(default)]
    pub rule: Option<String>,
    /// The last build took a step whose name contains this from the cache.
    #[serde(default)]
    pub cached: Option<String>,
    /// A command line that must succeed (with `output`: its stdout contains this).
    #[serde(default)]
    pub run: Option<String>,
    #[serde(default)]
    pub output: Option<String>,
    /// Feedback shown when the check fails (a default names the condition).
    #[serde(default)]
    pub message: Option<String>,
}

/// Where a lesson's files come from.
pub trait LessonSource {
    /// A file of the lesson, by path relative to its folder.
    fn read(&self, path: &str) -> Result<Vec<u8>, String>;
    /// Every file below a folder of the lesson (relative paths), for `files/` and
    /// `solution/`; empty when the folder does not exist.
    fn list(&self, dir: &str) -> Vec<String>;
}

/// A lesson read from its source.
pub struct Lesson {
    pub manifest: Manifest,
    source: Box<dyn LessonSource>,
}

/// How one check went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verdict {
    pub passed: bool,
    /// What the student reads: the verify script's output, or why a check failed.
    pub feedback: String,
}

/// A command a lesson's text marks to be run on a click (Killercoda's `{{exec}}` after a
/// code block or inline code; `{{exec interrupt}}` first stops what runs in the
/// terminal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecBlock {
    /// The whole block: several lines are one command, as when pasted into a terminal.
    pub command: String,
    pub interrupt: bool,
}

/// The `{{exec}}` commands of a step's Markdown, in order.
pub fn exec_blocks(markdown: &str) -> Vec<ExecBlock> {
    let marker = |rest: &str| -> Option<bool> {
        let rest = rest.trim_start();
        let inner = rest.strip_prefix("{{")?.split("}}").next()?.trim();
        let mut words = inner.split_whitespace();
        matches!(words.next(), Some("exec" | "execute")).then(|| words.any(|w| w == "interrupt"))
    };
    let mut out = Vec::new();
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if let Some(fence) = t.strip_prefix("```").map(|_| t.chars().take_while(|c| *c == '`').count()) {
            let indent = line.len() - t.len();
            let mut body = Vec::new();
            for inner in lines.by_ref() {
                let it = inner.trim_start();
                if it.starts_with(&"`".repeat(fence)) {
                    if let Some(interrupt) = marker(it.trim_start_matches('`')) {
                        let text: Vec<&str> = body.iter().map(|l: &&str| l.get(indent.min(l.len() - l.trim_start().len())..).unwrap_or(l)).collect();
                        out.push(ExecBlock { command: text.join("\n").trim_end().to_string(), interrupt });
                    }
                    break;
                }
                body.push(inner);
            }
            continue;
        }
        // Inline: `docker ps`{{exec}}.
        let mut rest = line;
        while let Some(start) = rest.find('`') {
            let after = &rest[start + 1..];
            let Some(end) = after.find('`') else { break };
            let code = &after[..end];
            let tail = &after[end + 1..];
            if let Some(interrupt) = marker(tail).filter(|_| tail.starts_with("{{")) {
                out.push(ExecBlock { command: code.to_string(), interrupt });
            }
            rest = tail;
        }
    }
    out
}

/// Where the commands that solve a step come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SolutionSource {
    /// The step's `solution` (Berth's field).
    Reference,
    /// The step's `{{exec}}` blocks, clicked in order, as a student following the text
    /// would (a Killercoda scenario has no other solution).
    ExecBlocks,
}

/// What happened when a step opened: what its foreground script typed into the
/// terminal, as the terminal shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Opened {
    pub typed: String,
}

impl Lesson {
    pub fn load(source: Box<dyn LessonSource>) -> Result<Lesson, String> {
        let raw = source.read("index.json")?;
        let manifest: Manifest = serde_json::from_slice(&raw).map_err(|e| format!("index.json:{}:{}: {e}", e.line(), e.column()))?;
        if manifest.details.steps.is_empty() {
            return Err("index.json: the lesson has no steps (details.steps)".into());
        }
        Ok(Lesson { manifest, source })
    }

    /// A file of the lesson as text (step Markdown, scripts).
    pub fn text(&self, path: &str) -> Result<String, String> {
        self.source.read(path).map(|b| String::from_utf8_lossy(&b).into_owned())
    }

    /// The machine the lesson runs on (see [`Manifest::host`]).
    pub fn host(&self) -> HostKind {
        self.manifest.host.unwrap_or(HostKind::Ubuntu)
    }

    /// The host's name as `index.json` spells it.
    pub fn host_name(&self) -> &'static str {
        match self.host() {
            HostKind::Ubuntu => "ubuntu",
            HostKind::Workspace => "workspace",
        }
    }

    /// A step's title as lists show it: Killercoda numbers a step without one.
    pub fn step_title(&self, index: usize) -> String {
        match self.manifest.details.steps.get(index) {
            Some(s) if !s.title.is_empty() => s.title.clone(),
            _ => format!("Step {}", index + 1),
        }
    }

    /// A step's `{{exec}}` commands.
    pub fn step_exec_blocks(&self, index: usize) -> Vec<ExecBlock> {
        let text = self.manifest.details.steps.get(index).and_then(|s| s.text.as_ref()).and_then(|t| self.text(t).ok()).unwrap_or_default();
        exec_blocks(&text)
    }

    /// What Berth cannot do of this lesson, said plainly, for `lesson check`, `lesson
    /// run` and the browser before the student starts.
    pub fn unsupported(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(b) = &self.manifest.backend {
            let id = b.get("imageid").and_then(|v| v.as_str()).unwrap_or("");
            if id.starts_with("kubernetes") {
                out.push(format!("backend \"{id}\": Berth runs one Ubuntu host with Docker, not a Kubernetes cluster (no kubectl, no second node)"));
            } else if !matches!(id, "ubuntu" | "") && !id.starts_with("ubuntu") {
                out.push(format!("backend \"{id}\": Berth runs its own Ubuntu host with Docker instead"));
            }
            for (k, _) in b.as_object().into_iter().flatten().filter(|(k, _)| *k != "imageid") {
                out.push(format!("backend.{k} is not used by Berth"));
            }
        }
        for k in self.manifest.other.keys() {
            out.push(format!("index.json field \"{k}\" is not used by Berth"));
        }
        for k in self.manifest.details.other.keys() {
            out.push(format!("details.{k} is not used by Berth"));
        }
        // Without the emulated kernel nothing runs beside the student's commands.
        let pages = [("intro", self.manifest.details.intro.as_ref()), ("finish", self.manifest.details.finish.as_ref())];
        for (name, page) in pages {
            if let Some(bg) = page.and_then(|p| p.background.as_ref()) {
                let when = if name == "intro" { "when the scenario starts" } else { "when the last step is done" };
                out.push(format!("{name}: background script {bg} runs to its end {when}, before the student goes on, not alongside them"));
            }
        }
        for (i, step) in self.manifest.details.steps.iter().enumerate() {
            if let Some(bg) = &step.background {
                out.push(format!("{}: background script {bg} runs to its end when the step opens, not alongside the student", self.step_title(i)));
            }
            for k in step.other.keys() {
                out.push(format!("{}: field \"{k}\" is not used by Berth", self.step_title(i)));
            }
        }
        for (target, file) in self.assets() {
            if !target.starts_with('/') && !target.starts_with('~') {
                out.push(format!("asset {file}: target {target} is not an absolute path"));
            }
        }
        out
    }

    /// Killercoda's assets: (target directory, file pattern, chmod).
    fn asset_list(&self) -> Vec<(String, String, Option<String>)> {
        let mut out = Vec::new();
        if let Some(assets) = &self.manifest.details.assets {
            for host in assets.as_object().into_iter().flat_map(|o| o.values()) {
                for asset in host.as_array().into_iter().flatten() {
                    let field = |k: &str| asset.get(k).and_then(|v| v.as_str()).map(str::to_string);
                    if let (Some(file), Some(target)) = (field("file"), field("target")) {
                        out.push((target, file, field("chmod")));
                    }
                }
            }
        }
        out
    }

    fn assets(&self) -> Vec<(String, String)> {
        self.asset_list().into_iter().map(|(t, f, _)| (t, f)).collect()
    }

    /// A fresh sandbox with the lesson's starting files and images, its assets in
    /// place and its intro's background script run.
    pub fn start(&self, clock: std::rc::Rc<dyn crate::sandbox::Clock>) -> Result<Session, String> {
        let mut session = Session::on(clock, self.host());
        for path in self.source.list(&self.manifest.files) {
            let data = self.source.read(&format!("{}/{path}", self.manifest.files))?;
            session.sandbox.write_file(&path, &data)?;
        }
        self.place_assets(&mut session)?;
        for image in &self.manifest.images {
            let out = session.sandbox.run_line(&format!("docker pull -q {image}"), &[]);
            if out.status != 0 {
                return Err(format!("index.json: image {image}: {}", String::from_utf8_lossy(&out.stderr).trim()));
            }
        }
        // The intro's background script prepares the scenario (Killercoda runs it when
        // the scenario starts), within the lesson script limits.
        if let Some(bg) = self.manifest.details.intro.as_ref().and_then(|p| p.background.as_ref()) {
            let script = self.text(bg)?;
            let out = session.sandbox.run_check(&script);
            if out.status != 0 {
                let said = String::from_utf8_lossy(&out.stderr).trim().to_string();
                return Err(format!("intro background script {bg} failed (exit status {}){}", out.status, if said.is_empty() { String::new() } else { format!(": {said}") }));
            }
        }
        // Clear the pulls from what the student's history shows of builds.
        session.sandbox.take_last_build();
        Ok(session)
    }

    /// Copies the assets to their targets, anywhere on the host (Killercoda's scenarios
    /// put theirs in `/ks`, `/opt`, `/etc`…), with their `chmod`. A target is a folder:
    /// the asset keeps its name (and its folders below `assets/`) inside it.
    fn place_assets(&self, session: &mut Session) -> Result<(), String> {
        let home = session.sandbox.home();
        let files = self.source.list("assets");
        for (target, pattern, chmod) in self.asset_list() {
            let target = match target.strip_prefix('~') {
                Some(rest) => format!("{home}{rest}"),
                None if target.starts_with('/') => target,
                None => crate::vfs::join(home, &target),
            };
            let compiled = crate::shell::pattern::compile_str(&pattern);
            let matched: Vec<&String> = files.iter().filter(|p| **p == pattern || crate::shell::pattern::matches(&compiled, p) || p.starts_with(&format!("{}/", pattern.trim_end_matches('/')))).collect();
            if matched.is_empty() {
                return Err(format!("index.json: asset {pattern}: there is no assets/{pattern}"));
            }
            for path in matched {
                let data = self.source.read(&format!("assets/{path}"))?;
                let dest = crate::vfs::join(&target, path);
                let fs = &mut session.sandbox.fs;
                use crate::vfs::FileSystem;
                if let Some((parent, _)) = crate::vfs::split_parent(&dest) {
                    fs.create_dir_all(&parent, 0o755).map_err(|e| format!("asset {path}: {e}"))?;
                }
                fs.write(&dest, &data).map_err(|e| format!("asset {path}: {e}"))?;
                let mode = match &chmod {
                    Some(spec) => crate::shell::applets::apply_mode(spec, 0o644, false).ok_or_else(|| format!("index.json: asset {pattern}: chmod {spec:?} is not a mode"))?,
                    None => 0o644,
                };
                let _ = fs.set_mode(&dest, mode);
            }
        }
        Ok(())
    }

    /// Opens step `index` as Killercoda does: its background script runs, then its
    /// foreground script is typed into the terminal line by line (the intro's with the
    /// first step).
    pub fn open_step(&self, session: &mut Session, index: usize) -> Opened {
        let Some(step) = self.manifest.details.steps.get(index) else { return Opened::default() };
        if let Some(script) = step.background.as_ref().and_then(|bg| self.text(bg).ok()) {
            session.sandbox.run_check(&script);
        }
        let mut typed = String::new();
        let intro = if index == 0 { self.manifest.details.intro.as_ref().and_then(|p| p.foreground.as_ref()) } else { None };
        for fg in intro.into_iter().chain(step.foreground.as_ref()) {
            let Ok(script) = self.text(fg) else {
                typed.push_str(&format!("berth: foreground script {fg} is missing\n"));
                continue;
            };
            typed.push_str(&type_into(session, &script));
        }
        Opened { typed }
    }

    /// The finish page's background script, once the last step is done.
    pub fn finish(&self, session: &mut Session) -> Opened {
        if let Some(script) = self.manifest.details.finish.as_ref().and_then(|p| p.background.as_ref()).and_then(|bg| self.text(bg).ok()) {
            session.sandbox.run_check(&script);
        }
        let typed = self.manifest.details.finish.as_ref().and_then(|p| p.foreground.as_ref()).and_then(|fg| self.text(fg).ok()).map(|s| type_into(session, &s)).unwrap_or_default();
        Opened { typed }
    }

    /// Checks step `index` against the sandbox: every declarative check, then the verify
    /// script. The shell's directory, variables and the last build's record are put back
    /// afterwards, so checking leaves the student's session as it was.
    pub fn check(&self, session: &mut Session, index: usize) -> Verdict {
        let Some(step) = self.manifest.details.steps.get(index) else {
            return Verdict { passed: false, feedback: format!("there is no step {}", index + 1) };
        };
        for check in &step.checks {
            if let Err(why) = evaluate(check, session) {
                return Verdict { passed: false, feedback: check.message.clone().unwrap_or(why) };
            }
        }
        if let Some(verify) = &step.verify {
            let script = match self.text(verify) {
                Ok(s) => s,
                Err(e) => return Verdict { passed: false, feedback: format!("{verify}: {e}") },
            };
            let out = session.sandbox.run_check(&script);
            let mut feedback = String::from_utf8_lossy(&out.stdout).trim_end().to_string();
            let stderr = String::from_utf8_lossy(&out.stderr);
            if let Some(stopped) = stderr.lines().find(|l| l.starts_with("berth: the script was stopped")) {
                feedback = format!("{feedback}{}{verify}: {}", if feedback.is_empty() { "" } else { "\n" }, stopped.trim_start_matches("berth: "));
            } else if out.status != 0 {
                // What the script printed on either stream is what the student can act on.
                let said = [feedback.as_str(), stderr.trim_end()].iter().filter(|t| !t.is_empty()).copied().collect::<Vec<_>>().join("\n");
                feedback = if said.is_empty() { format!("{verify} says this step is not done yet (exit status {})", out.status) } else { format!("{said}\n({verify} exited with status {})", out.status) };
            }
            return Verdict { passed: out.status == 0, feedback };
        }
        Verdict { passed: true, feedback: String::new() }
    }

    /// Where step `index`'s solution comes from: its `solution` where it has one
    /// (unless `exec` asks for the `{{exec}}` blocks), else its `{{exec}}` blocks.
    pub fn solution_source(&self, index: usize, exec: bool) -> Option<SolutionSource> {
        let step = self.manifest.details.steps.get(index)?;
        let reference = !step.solution.files.is_empty() || !step.solution.commands.is_empty();
        let blocks = !self.step_exec_blocks(index).is_empty();
        match (reference, blocks) {
            (true, false) => Some(SolutionSource::Reference),
            (true, true) if !exec => Some(SolutionSource::Reference),
            (_, true) => Some(SolutionSource::ExecBlocks),
            (false, false) => None,
        }
    }

    /// Applies step `index`'s solution: the reference solution's files, then its
    /// commands, or the step's `{{exec}}` blocks (see [`Lesson::solution_source`]), each
    /// typed as a student would. Returns the transcript.
    pub fn solve(&self, session: &mut Session, index: usize) -> Result<String, String> {
        self.solve_with(session, index, false)
    }

    pub fn solve_with(&self, session: &mut Session, index: usize, exec: bool) -> Result<String, String> {
        let step = self.manifest.details.steps.get(index).ok_or_else(|| format!("there is no step {}", index + 1))?;
        let commands: Vec<String> = match self.solution_source(index, exec) {
            Some(SolutionSource::Reference) => {
                for file in &step.solution.files {
                    let data = self.source.read(&format!("solution/{file}"))?;
                    session.sandbox.write_file(file, &data)?;
                }
                step.solution.commands.clone()
            }
            Some(SolutionSource::ExecBlocks) => self.step_exec_blocks(index).into_iter().map(|b| b.command).collect(),
            None => Vec::new(),
        };
        let mut transcript = String::new();
        for command in &commands {
            let out = session.sandbox.run_limited(command);
            transcript.push_str(&format!("$ {command}\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)));
            if out.status != 0 {
                if !transcript.ends_with('\n') {
                    transcript.push('\n');
                }
                return Err(format!("{transcript}solution command failed with exit status {}: {command}", out.status));
            }
        }
        Ok(transcript)
    }
}

/// Types a script into the terminal line by line, as Killercoda types a foreground
/// script: each line after the prompt, then what it printed.
fn type_into(session: &mut Session, script: &str) -> String {
    let mut typed = String::new();
    for line in script.lines() {
        if typed.is_empty() && line.starts_with("#!") {
            continue;
        }
        let prompt = session.sandbox.prompt();
        let out = session.sandbox.type_limited(line);
        typed.push_str(&format!("{prompt}{line}\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)));
    }
    session.sandbox.cancel_typing();
    typed
}

fn evaluate(check: &Check, session: &mut Session) -> Result<(), String> {
    if let Some(name) = &check.image {
        let Response::State { images, .. } = session.handle(Request::State) else { return Err("the engine's state could not be read".into()) };
        let wanted = crate::image::store::normalize(name).map(|full| crate::image::store::familiar(&full)).unwrap_or_else(|_| name.clone());
        let image = images.iter().find(|i| i.tags.iter().any(|t| *t == wanted || *t == *name)).ok_or_else(|| format!("there is no image {name} yet"))?;
        if let Some(max) = check.max_layers {
            let n = image.layers.iter().filter(|l| !l.empty).count();
            if n > max {
                return Err(format!("{name} has {n} layers; aim for at most {max}"));
            }
        }
        if let Some(max) = check.max_size_mb {
            let mb = image.size as f64 / 1e6;
            if mb > max {
                return Err(format!("{name} is {mb:.1} MB; aim for at most {max} MB"));
            }
        }
    }
    if let Some(name) = &check.container {
        let Response::State { containers, .. } = session.handle(Request::State) else { return Err("the engine's state could not be read".into()) };
        let c = containers.iter().find(|c| c.name == *name).ok_or_else(|| format!("there is no container named {name}"))?;
        if let Some(code) = check.exit_code {
            if c.state != "exited" || c.exit_code != code {
                return Err(format!("container {name} should have exited with {code} (it is {} with {})", c.state, c.exit_code));
            }
        }
    }
    if let Some(path) = &check.file {
        let data = session.sandbox.read_file(path).map_err(|_| format!("there is no file {path} in the workspace"))?;
        if let Some(text) = &check.contains {
            if !String::from_utf8_lossy(&data).contains(text.as_str()) {
                return Err(format!("{path} does not contain {text:?} yet"));
            }
        }
    }
    if let Some(path) = &check.lint {
        let data = session.sandbox.read_file(path).map_err(|_| format!("there is no file {path} in the workspace"))?;
        let source = String::from_utf8_lossy(&data);
        let findings = api::lint(&source);
        let bad = findings.iter().find(|f| match &check.rule {
            Some(rule) => f.rule.as_deref() == Some(rule.as_str()),
            None => f.severity == "error",
        });
        if let Some(f) = bad {
            return Err(format!("{path}:{}:{}: {}", f.line, f.column, f.message));
        }
    }
    if let Some(step) = &check.cached {
        let steps = session.sandbox.last_build();
        if steps.is_empty() {
            return Err("build the image first".into());
        }
        if !steps.iter().any(|s| s.cached && s.name.contains(step.as_str())) {
            return Err(format!("in the last build, the step {step:?} was not CACHED"));
        }
    }
    if let Some(line) = &check.run {
        let out = session.sandbox.run_check(line);
        if out.status != 0 {
            return Err(format!("`{line}` failed (exit status {}): {}", out.status, String::from_utf8_lossy(&out.stderr).trim()));
        }
        if let Some(text) = &check.output {
            if !String::from_utf8_lossy(&out.stdout).contains(text.as_str()) {
                return Err(format!("`{line}` does not print {text:?}"));
            }
        }
    }
    Ok(())
}

/// Whether a lesson's checks can tell a finished step from an unfinished one: for every
/// step, they fail before its solution and pass after it. The solution is the step's
/// reference solution, or its `{{exec}}` blocks where it has none or `exec` is set (a
/// Killercoda scenario's only solution). Returns one line per step, saying what ran,
/// and whether all held.
pub fn self_test(lesson: &Lesson, clock: std::rc::Rc<dyn crate::sandbox::Clock>, exec: bool) -> (Vec<String>, bool) {
    let mut lines = Vec::new();
    let mut session = match lesson.start(clock) {
        Ok(s) => s,
        Err(e) => return (vec![format!("cannot start: {e}")], false),
    };
    let mut ok = true;
    for (i, step) in lesson.manifest.details.steps.iter().enumerate() {
        let opened = lesson.open_step(&mut session, i);
        let n = i + 1;
        let title = lesson.step_title(i);
        if let Some(stopped) = opened.typed.lines().find(|l| l.starts_with("berth: the script was stopped") || l.starts_with("berth: foreground script")) {
            lines.push(format!("step {n} ({title}): its foreground script: {}", stopped.trim_start_matches("berth: ")));
        }
        if step.checks.is_empty() && step.verify.is_none() {
            lines.push(format!("step {n} ({title}): no checks"));
            ok = false;
            continue;
        }
        let before = lesson.check(&mut session, i);
        if before.passed {
            lines.push(format!("step {n} ({title}): checks pass before the solution, so they cannot tell"));
            ok = false;
        }
        let Some(source) = lesson.solution_source(i, exec) else {
            lines.push(format!("step {n} ({title}): no solution and no {{{{exec}}}} blocks, so its checks cannot be proven (before: {})", before.feedback.lines().collect::<Vec<_>>().join(" ")));
            ok = false;
            break;
        };
        let by = match source {
            SolutionSource::Reference => String::new(),
            SolutionSource::ExecBlocks => format!(", solved by its {} {{{{exec}}}} block(s)", lesson.step_exec_blocks(i).len()),
        };
        if let Err(e) = lesson.solve_with(&mut session, i, exec) {
            lines.push(format!("step {n} ({title}): {e}"));
            ok = false;
            break;
        }
        let after = lesson.check(&mut session, i);
        if !after.passed {
            lines.push(format!("step {n} ({title}): checks fail after the solution{by}: {}", after.feedback));
            ok = false;
        } else if !before.passed {
            lines.push(format!("step {n} ({title}): ok{by} (fails before: {})", before.feedback.lines().next().unwrap_or("")));
        }
    }
    (lines, ok)
}

impl Sandbox {
    /// Runs a check's script or command line without leaving traces the student would
    /// see: the working directory, variables and `$?` are put back afterwards.
    pub fn run_check(&mut self, script: &str) -> crate::shell::Outcome {
        let saved = self.shell_state();
        // Checks run on the host even while the terminal is in a container's shell.
        let out = self.run_host_check(script);
        self.restore_shell_state(saved);
        out
    }
}
