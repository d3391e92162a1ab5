//! Lessons: Killercoda's `index.json` scenario format with Berth's additions, checks
//! (a `verify.sh` run by the sandbox host's shell, and declarative checks over the
//! engine's state), and the runner behind `berth lesson check` and `berth lesson run`.
//!
//! A lesson is a folder. Files are read through [`LessonSource`], so the same code reads
//! a folder on disk natively and a bundled or dropped folder in the browser.

use serde::{Deserialize, Serialize};

use crate::api::{self, Request, Response, Session};
use crate::sandbox::Sandbox;

/// `index.json`: Killercoda's scenario manifest, plus Berth's fields.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Manifest {
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
    /// Killercoda's assets: `{"host01": [{"file": "x", "target": "/root"}]}`.
    #[serde(default)]
    pub assets: Option<serde_json::Value>,
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

    /// What Berth cannot do of this lesson, said plainly (imported Killercoda scenarios).
    pub fn unsupported(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(b) = &self.manifest.backend {
            if let Some(id) = b.get("imageid").and_then(|v| v.as_str()) {
                if !matches!(id, "ubuntu" | "") && !id.starts_with("ubuntu") {
                    out.push(format!("backend \"{id}\": Berth runs its own Docker sandbox instead"));
                }
            }
        }
        if let Some(bg) = self.manifest.details.intro.as_ref().and_then(|p| p.background.as_ref()) {
            out.push(format!("intro: background script {bg} runs once when the lesson starts, not alongside it"));
        }
        if let Some(bg) = self.manifest.details.finish.as_ref().and_then(|p| p.background.as_ref()) {
            out.push(format!("finish: background script {bg} is not run"));
        }
        for (name, bg) in self.manifest.details.steps.iter().filter_map(|s| Some((s.title.as_str(), s.background.as_ref()?))) {
            out.push(format!("{name}: background script {bg} runs once when the step opens, not alongside it"));
        }
        let pages = self.manifest.details.intro.iter().chain(self.manifest.details.finish.iter()).map(|p| ("intro/finish", p.foreground.as_ref()));
        for (name, foreground) in pages.chain(self.manifest.details.steps.iter().map(|s| (s.title.as_str(), s.foreground.as_ref()))) {
            if let Some(fg) = foreground {
                out.push(format!("{name}: foreground script {fg} is not run (Berth does not type into the student's terminal)"));
            }
        }
        if let Some(assets) = &self.manifest.details.assets {
            for host in assets.as_object().into_iter().flat_map(|o| o.values()) {
                for asset in host.as_array().into_iter().flatten() {
                    let target = asset.get("target").and_then(|t| t.as_str()).unwrap_or("");
                    if !(target == "/root" || target.starts_with("/root/") || target == "~" || target.starts_with("~/")) {
                        out.push(format!("asset target {target}: only /root (the workspace) is supported"));
                    }
                }
            }
        }
        out
    }

    /// A fresh sandbox with the lesson's starting files and images.
    pub fn start(&self, clock: std::rc::Rc<dyn crate::sandbox::Clock>) -> Result<Session, String> {
        let mut session = Session::new(clock);
        for path in self.source.list(&self.manifest.files) {
            let data = self.source.read(&format!("{}/{path}", self.manifest.files))?;
            session.sandbox.write_file(&path, &data)?;
        }
        // Killercoda assets copied into /root (the workspace).
        if let Some(assets) = &self.manifest.details.assets {
            for host in assets.as_object().into_iter().flat_map(|o| o.values()) {
                for asset in host.as_array().into_iter().flatten() {
                    let (Some(file), Some(target)) = (asset.get("file").and_then(|f| f.as_str()), asset.get("target").and_then(|t| t.as_str())) else { continue };
                    let Some(rel) = target.strip_prefix("/root").or_else(|| target.strip_prefix('~')) else { continue };
                    for path in self.source.list("assets") {
                        if file == path || crate::shell::pattern::matches(&crate::shell::pattern::compile_str(file), &path) {
                            let data = self.source.read(&format!("assets/{path}"))?;
                            session.sandbox.write_file(&format!("{}/{path}", rel.trim_matches('/')), &data)?;
                        }
                    }
                }
            }
        }
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
                return Err(format!("intro background script {bg} failed (exit status {}): {}", out.status, String::from_utf8_lossy(&out.stderr).trim()));
            }
        }
        // Clear the pulls from what the student's history shows of builds.
        session.sandbox.take_last_build();
        Ok(session)
    }

    /// Runs the step's background script, if any (as Killercoda does when it opens).
    pub fn open_step(&self, session: &mut Session, index: usize) {
        if let Some(bg) = self.manifest.details.steps.get(index).and_then(|s| s.background.as_ref()) {
            if let Ok(script) = self.text(bg) {
                session.sandbox.run_check(&script);
            }
        }
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

    /// Applies step `index`'s reference solution: its files, then its commands. Returns
    /// the commands' transcript.
    pub fn solve(&self, session: &mut Session, index: usize) -> Result<String, String> {
        let step = self.manifest.details.steps.get(index).ok_or_else(|| format!("there is no step {}", index + 1))?;
        for file in &step.solution.files {
            let data = self.source.read(&format!("solution/{file}"))?;
            session.sandbox.write_file(file, &data)?;
        }
        let mut transcript = String::new();
        for command in &step.solution.commands {
            let out = session.sandbox.run_limited(command);
            transcript.push_str(&format!("$ {command}\n{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)));
            if out.status != 0 {
                return Err(format!("{transcript}solution command failed with exit status {}: {command}", out.status));
            }
        }
        Ok(transcript)
    }
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
/// step, they fail before its reference solution and pass after it. Returns one line per
/// step, and whether all held.
pub fn self_test(lesson: &Lesson, clock: std::rc::Rc<dyn crate::sandbox::Clock>) -> (Vec<String>, bool) {
    let mut lines = Vec::new();
    let mut session = match lesson.start(clock) {
        Ok(s) => s,
        Err(e) => return (vec![format!("cannot start: {e}")], false),
    };
    let mut ok = true;
    for (i, step) in lesson.manifest.details.steps.iter().enumerate() {
        lesson.open_step(&mut session, i);
        let n = i + 1;
        if step.checks.is_empty() && step.verify.is_none() {
            lines.push(format!("step {n} ({}): no checks", step.title));
            ok = false;
            continue;
        }
        let before = lesson.check(&mut session, i);
        if before.passed {
            lines.push(format!("step {n} ({}): checks pass before the solution, so they cannot tell", step.title));
            ok = false;
        }
        if let Err(e) = lesson.solve(&mut session, i) {
            lines.push(format!("step {n} ({}): {e}", step.title));
            ok = false;
            break;
        }
        let after = lesson.check(&mut session, i);
        if !after.passed {
            lines.push(format!("step {n} ({}): checks fail after the solution: {}", step.title, after.feedback));
            ok = false;
        } else if !before.passed {
            lines.push(format!("step {n} ({}): ok (fails before: {})", step.title, before.feedback.lines().next().unwrap_or("")));
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
