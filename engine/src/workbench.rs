//! The browser's engine: the student's own sandbox plus one sandbox per lesson (each
//! lesson starts from its own files, as a Killercoda scenario starts a fresh machine),
//! and which of them the terminal is on. Requests about lessons are answered here;
//! the rest go to the active sandbox's [`Session`].
//!
//! Persistence: [`Workbench::take_changes`] hands out records under a prefix per sandbox
//! (`main/…`, `lesson/<slug>/…`); [`Workbench::restore`] takes them back.

use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::api::{Request, Response, Session};
use crate::lesson::{Lesson, LessonSource, Verdict};
use crate::sandbox::{Clock, FrontEnd};

/// A lesson's files in memory (bundled with the page, or a folder an instructor dropped).
#[derive(Debug, Clone, Default)]
pub struct MemorySource(pub BTreeMap<String, Vec<u8>>);

impl LessonSource for MemorySource {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        self.0.get(path.trim_start_matches("./")).cloned().ok_or_else(|| format!("{path}: no such file"))
    }

    fn list(&self, dir: &str) -> Vec<String> {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        self.0.keys().filter_map(|k| k.strip_prefix(&prefix).map(str::to_string)).collect()
    }
}

/// A lesson's files from a tar of its folder (plain or gzip). The folder may be the
/// archive's root or its single top-level directory.
pub fn lesson_files_from_tar(data: &[u8]) -> Result<BTreeMap<String, Vec<u8>>, String> {
    let mut fs = crate::vfs::MemoryFs::new();
    crate::image::layer::unpack(data, &mut fs).map_err(|e| format!("not a lesson archive: {e}"))?;
    use crate::vfs::FileSystem;
    let entries = crate::vfs::walk::walk(&fs, "/").map_err(|e| e.to_string())?;
    let root = if fs.exists("/index.json") {
        String::new()
    } else {
        entries.iter().find(|(p, _)| p.ends_with("/index.json") && p.matches('/').count() == 1).map(|(p, _)| p.trim_end_matches("index.json").to_string()).ok_or("the archive has no index.json")?
    };
    let mut files = BTreeMap::new();
    for (path, meta) in entries {
        if let (true, Some(rel)) = (meta.is_file(), path.strip_prefix(&root)) {
            files.insert(rel.to_string(), fs.read(&format!("/{path}")).map_err(|e| e.to_string())?);
        }
    }
    Ok(files)
}

/// A lesson in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonInfo {
    pub slug: String,
    pub title: String,
    pub description: String,
    pub difficulty: String,
    pub time: String,
    pub steps: usize,
    /// Steps done so far.
    pub done: usize,
}

/// What the lesson panel shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LessonView {
    pub slug: String,
    pub title: String,
    /// 0-based; equal to `total` when the lesson is finished.
    pub step: usize,
    pub total: usize,
    pub step_title: String,
    /// Markdown: the intro and the step on the first step, the step otherwise, the finish
    /// text at the end.
    pub text: String,
    pub hints: Vec<String>,
    /// The reference solution as the student would type it.
    pub solution: Vec<String>,
    /// The last check, if one ran.
    pub verdict: Option<Verdict>,
    /// The terminal's prompt in this lesson's sandbox.
    pub prompt: String,
    /// What Berth runs differently from the lesson's author's platform (shown before the
    /// student starts).
    #[serde(default)]
    pub notes: Vec<String>,
    /// What the step's foreground script typed into the terminal as it opened (the page
    /// writes it there).
    #[serde(default)]
    pub typed: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Progress {
    step: usize,
}

struct Run {
    session: Session,
    progress: Progress,
    progress_dirty: bool,
    /// What a foreground script typed, not shown yet.
    typed: String,
}

pub struct Workbench {
    clock: Rc<dyn Clock>,
    main: Session,
    catalog: Vec<(String, Lesson)>,
    runs: BTreeMap<String, Run>,
    active: Option<String>,
    /// Saved records of lesson sandboxes not opened yet in this tab.
    saved: BTreeMap<String, Vec<(String, Vec<u8>)>>,
    /// The live terminal's hooks, lent to every sandbox.
    front: FrontEnd,
    /// Sandboxes that handled a request since the last `take_changes` (`None` is the
    /// student's own): only they can have changes to save.
    touched: std::collections::BTreeSet<Option<String>>,
}

const MAIN: &str = "main/";
const WORKSPACE: &str = "workspace.tar";
const PROGRESS: &str = "progress.json";

/// Saved records: `(key, bytes)`.
type Records = Vec<(String, Vec<u8>)>;

fn split_records(records: Records) -> (Records, Option<Vec<u8>>) {
    let mut engine = Vec::new();
    let mut workspace = None;
    for (k, v) in records {
        if k == WORKSPACE {
            workspace = Some(v);
        } else if let Some(rest) = k.strip_prefix("engine/") {
            engine.push((rest.to_string(), v));
        }
    }
    (engine, workspace)
}

impl Workbench {
    /// A workbench from saved records (empty on a first visit: `restored` is false).
    pub fn restore(clock: Rc<dyn Clock>, records: Vec<(String, Vec<u8>)>) -> (Workbench, bool) {
        let restored = !records.is_empty();
        let mut groups: BTreeMap<String, Vec<(String, Vec<u8>)>> = BTreeMap::new();
        for (k, v) in records {
            if let Some(rest) = k.strip_prefix(MAIN) {
                groups.entry(MAIN.into()).or_default().push((rest.to_string(), v));
            } else if let Some(rest) = k.strip_prefix("lesson/") {
                if let Some((slug, key)) = rest.split_once('/') {
                    groups.entry(slug.to_string()).or_default().push((key.to_string(), v));
                }
            }
        }
        let (engine, workspace) = split_records(groups.remove(MAIN).unwrap_or_default());
        let main = Session::restore(clock.clone(), engine, workspace.as_deref()).unwrap_or_else(|_| Session::new(clock.clone()));
        (Workbench { clock, main, catalog: Vec::new(), runs: BTreeMap::new(), active: None, saved: groups, front: FrontEnd::default(), touched: Default::default() }, restored)
    }

    /// Lends every sandbox the live terminal's hooks (progress, typed input, `sleep`).
    pub fn set_front_end(&mut self, front: FrontEnd) {
        self.main.sandbox.set_front_end(front.clone());
        for run in self.runs.values_mut() {
            run.session.sandbox.set_front_end(front.clone());
        }
        self.front = front;
    }

    /// Adds a lesson to the list (a bundled one, or an instructor's preview).
    pub fn add_lesson(&mut self, slug: &str, files: BTreeMap<String, Vec<u8>>) -> Result<(), String> {
        let lesson = Lesson::load(Box::new(MemorySource(files)))?;
        self.catalog.retain(|(s, _)| s != slug);
        self.catalog.push((slug.to_string(), lesson));
        self.catalog.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(())
    }

    /// The sandbox the terminal is on.
    pub fn session(&mut self) -> &mut Session {
        match self.active.as_ref().and_then(|s| self.runs.get_mut(s)) {
            Some(run) => &mut run.session,
            None => &mut self.main,
        }
    }

    pub fn active_lesson(&self) -> Option<&str> {
        self.active.as_deref()
    }

    fn progress_of(&self, slug: &str) -> usize {
        if let Some(run) = self.runs.get(slug) {
            return run.progress.step;
        }
        self.saved.get(slug).and_then(|r| r.iter().find(|(k, _)| k == PROGRESS)).and_then(|(_, v)| serde_json::from_slice::<Progress>(v).ok()).map_or(0, |p| p.step)
    }

    pub fn lessons(&self) -> Vec<LessonInfo> {
        self.catalog
            .iter()
            .map(|(slug, l)| {
                let m = &l.manifest;
                LessonInfo { slug: slug.clone(), title: m.title.clone(), description: m.description.clone(), difficulty: m.difficulty.clone(), time: m.time.clone(), steps: m.details.steps.len(), done: self.progress_of(slug).min(m.details.steps.len()) }
            })
            .collect()
    }

    fn lesson(&self, slug: &str) -> Result<&Lesson, String> {
        self.catalog.iter().find(|(s, _)| s == slug).map(|(_, l)| l).ok_or_else(|| format!("there is no lesson {slug}"))
    }

    /// Opens a lesson: its sandbox as it was left, or a fresh one.
    pub fn open(&mut self, slug: &str, fresh: bool) -> Result<LessonView, String> {
        self.lesson(slug)?;
        if fresh || !self.runs.contains_key(slug) {
            let saved = if fresh { None } else { self.saved.remove(slug) };
            let lesson = self.lesson(slug)?;
            let run = match saved {
                Some(records) => {
                    let progress = records.iter().find(|(k, _)| k == PROGRESS).and_then(|(_, v)| serde_json::from_slice(v).ok()).unwrap_or_default();
                    let (engine, workspace) = split_records(records);
                    Run { session: Session::restore_on(self.clock.clone(), lesson.host(), engine, workspace.as_deref())?, progress, progress_dirty: false, typed: String::new() }
                }
                None => {
                    let mut session = lesson.start(self.clock.clone())?;
                    let opened = lesson.open_step(&mut session, 0);
                    // A fresh start replaces whatever was saved: write everything.
                    session.mark_all_changed();
                    Run { session, progress: Progress::default(), progress_dirty: true, typed: opened.typed }
                }
            };
            self.saved.remove(slug);
            let mut run = run;
            run.session.sandbox.set_front_end(self.front.clone());
            self.runs.insert(slug.to_string(), run);
        }
        self.active = Some(slug.to_string());
        self.view(slug, None)
    }

    pub fn close(&mut self) -> String {
        self.active = None;
        self.main.prompt()
    }

    /// Checks the current step; when it passes, moves on (running the next step's
    /// background script).
    pub fn check(&mut self) -> Result<LessonView, String> {
        let slug = self.active.clone().ok_or("no lesson is open")?;
        let Some((_, lesson)) = self.catalog.iter().find(|(s, _)| *s == slug) else { return Err(format!("there is no lesson {slug}")) };
        let run = self.runs.get_mut(&slug).ok_or("the lesson is not open")?;
        let total = lesson.manifest.details.steps.len();
        if run.progress.step >= total {
            return self.view(&slug, None);
        }
        let verdict = lesson.check(&mut run.session, run.progress.step);
        if verdict.passed {
            run.progress.step += 1;
            run.progress_dirty = true;
            let opened = if run.progress.step < total { lesson.open_step(&mut run.session, run.progress.step) } else { lesson.finish(&mut run.session) };
            run.typed.push_str(&opened.typed);
        }
        self.view(&slug, Some(verdict))
    }

    fn view(&mut self, slug: &str, verdict: Option<Verdict>) -> Result<LessonView, String> {
        let typed = self.runs.get_mut(slug).map(|r| std::mem::take(&mut r.typed)).unwrap_or_default();
        let lesson = self.lesson(slug)?;
        let run = self.runs.get(slug).ok_or("the lesson is not open")?;
        let m = &lesson.manifest;
        let total = m.details.steps.len();
        let step = run.progress.step.min(total);
        let page = |p: &Option<crate::lesson::Page>| p.as_ref().and_then(|p| p.text.as_ref()).and_then(|t| lesson.text(t).ok()).unwrap_or_default();
        let (step_title, text, hints, solution) = match m.details.steps.get(step) {
            Some(s) => {
                let mut text = s.text.as_ref().and_then(|t| lesson.text(t).ok()).unwrap_or_default();
                if step == 0 {
                    text = format!("{}\n\n{text}", page(&m.details.intro));
                }
                let mut solution: Vec<String> = s.solution.files.iter().map(|f| format!("# write {f} (the solution's version)")).collect();
                solution.extend(s.solution.commands.iter().cloned());
                if solution.is_empty() {
                    // A Killercoda scenario's solution is its text's {{exec}} blocks.
                    solution = lesson.step_exec_blocks(step).into_iter().map(|b| b.command).collect();
                }
                (lesson.step_title(step), text, s.hints.clone(), solution)
            }
            None => ("Finished".to_string(), page(&m.details.finish), Vec::new(), Vec::new()),
        };
        Ok(LessonView { slug: slug.to_string(), title: m.title.clone(), step, total, step_title, text, hints, solution, verdict, prompt: run.session.prompt(), notes: lesson.unsupported(), typed })
    }

    /// Applies the current step's reference solution ("show me"), then checks.
    pub fn solve(&mut self) -> Result<(String, LessonView), String> {
        let slug = self.active.clone().ok_or("no lesson is open")?;
        let Some((_, lesson)) = self.catalog.iter().find(|(s, _)| *s == slug) else { return Err(format!("there is no lesson {slug}")) };
        let run = self.runs.get_mut(&slug).ok_or("the lesson is not open")?;
        let transcript = lesson.solve(&mut run.session, run.progress.step).unwrap_or_else(|e| e);
        Ok((transcript, self.check()?))
    }

    pub fn handle(&mut self, request: Request) -> Response {
        self.handle_with(request, None)
    }

    pub fn handle_with(&mut self, request: Request, interrupt: Option<Arc<AtomicBool>>) -> Response {
        self.touched.insert(self.active.clone());
        let response = self.dispatch(request, interrupt);
        self.touched.insert(self.active.clone());
        response
    }

    fn dispatch(&mut self, request: Request, interrupt: Option<Arc<AtomicBool>>) -> Response {
        let fail = |message: String| Response::Error { message };
        match request {
            Request::Lessons => Response::Lessons { lessons: self.lessons(), active: self.active.clone() },
            Request::OpenLesson { slug, fresh } => self.open(&slug, fresh).map_or_else(fail, |view| Response::Lesson { view }),
            Request::CheckLesson => self.check().map_or_else(fail, |view| Response::Lesson { view }),
            Request::SolveLesson => self.solve().map_or_else(fail, |(transcript, view)| Response::Solved { transcript, view }),
            Request::CloseLesson => Response::Prompt { prompt: self.close() },
            Request::AddLesson { slug, files } => match self.add_lesson(&slug, files.into_iter().collect()) {
                Ok(()) => Response::Lessons { lessons: self.lessons(), active: self.active.clone() },
                Err(e) => fail(e),
            },
            Request::AddLessonArchive { slug, data } => match lesson_files_from_tar(&data).and_then(|files| self.add_lesson(&slug, files)) {
                Ok(()) => Response::Lessons { lessons: self.lessons(), active: self.active.clone() },
                Err(e) => fail(format!("{slug}: {e}")),
            },
            other => self.session().handle_with(other, interrupt),
        }
    }

    /// Records changed since the last call, under each sandbox's prefix.
    pub fn take_changes(&mut self) -> Vec<(String, Option<Vec<u8>>)> {
        fn push(out: &mut Vec<(String, Option<Vec<u8>>)>, prefix: &str, c: crate::api::Changes) {
            out.extend(c.storage.into_iter().map(|(k, v)| (format!("{prefix}engine/{k}"), v)));
            if let Some(tar) = c.workspace {
                out.push((format!("{prefix}{WORKSPACE}"), Some(tar)));
            }
        }
        let mut out = Vec::new();
        let touched = std::mem::take(&mut self.touched);
        if touched.contains(&None) {
            push(&mut out, MAIN, self.main.take_changes());
        }
        for (slug, run) in self.runs.iter_mut().filter(|(slug, _)| touched.contains(&Some(slug.to_string()))) {
            let prefix = format!("lesson/{slug}/");
            push(&mut out, &prefix, run.session.take_changes());
            if run.progress_dirty {
                run.progress_dirty = false;
                out.push((format!("{prefix}{PROGRESS}"), serde_json::to_vec(&run.progress).ok()));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::FixedClock;

    fn lesson_files() -> BTreeMap<String, Vec<u8>> {
        let manifest = r#"{"title": "Tiny", "images": ["alpine:3.20"], "details": {
            "intro": {"text": "intro.md"},
            "steps": [
                {"title": "Make a file", "text": "s1.md", "checks": [{"file": "hello.txt", "contains": "hi"}], "hints": ["echo"], "solution": {"commands": ["echo hi > hello.txt"]}},
                {"title": "Build", "text": "s2.md", "checks": [{"image": "tiny:1"}], "solution": {"files": ["Dockerfile"], "commands": ["docker build -q -t tiny:1 ."]}}
            ],
            "finish": {"text": "end.md"}}}"#;
        [("index.json", manifest), ("intro.md", "# Tiny"), ("s1.md", "Write `hello.txt`."), ("s2.md", "Build it."), ("end.md", "Well done."), ("files/start.txt", "start"), ("solution/Dockerfile", "FROM alpine:3.20\n")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.as_bytes().to_vec()))
            .collect()
    }

    fn exec(w: &mut Workbench, line: &str) -> String {
        match w.handle(Request::Exec { line: line.into() }) {
            Response::Output { stdout, stderr, .. } => stdout + &stderr,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_lesson_has_its_own_sandbox_progress_and_survives_a_reload() {
        let clock: Rc<dyn Clock> = Rc::new(FixedClock(1_700_000_000));
        let (mut w, restored) = Workbench::restore(clock.clone(), Vec::new());
        assert!(!restored);
        w.add_lesson("01-tiny", lesson_files()).unwrap();
        exec(&mut w, "echo mine > mine.txt");
        let Response::Lesson { view } = w.handle(Request::OpenLesson { slug: "01-tiny".into(), fresh: false }) else { panic!() };
        assert_eq!((view.step, view.total, view.step_title.as_str()), (0, 2, "Make a file"));
        assert!(view.text.starts_with("# Tiny") && view.text.contains("Write `hello.txt`."), "{}", view.text);
        assert_eq!(exec(&mut w, "ls"), "start.txt\n", "the lesson's sandbox has the lesson's files only");
        let Response::Lesson { view } = w.handle(Request::CheckLesson) else { panic!() };
        assert!(!view.verdict.unwrap().passed);
        exec(&mut w, "echo hi > hello.txt");
        let Response::Lesson { view } = w.handle(Request::CheckLesson) else { panic!() };
        assert!(view.verdict.as_ref().unwrap().passed);
        assert_eq!(view.step, 1);
        let records: Vec<(String, Vec<u8>)> = w.take_changes().into_iter().filter_map(|(k, v)| Some((k, v?))).collect();
        assert!(records.iter().any(|(k, _)| k == "lesson/01-tiny/progress.json"));
        assert!(records.iter().any(|(k, _)| k == "main/workspace.tar"));

        // A reload: the main sandbox and the lesson's are both back, at the same step.
        let (mut w2, restored) = Workbench::restore(clock, records);
        assert!(restored);
        w2.add_lesson("01-tiny", lesson_files()).unwrap();
        assert_eq!(w2.lessons()[0].done, 1);
        assert_eq!(exec(&mut w2, "cat mine.txt"), "mine\n");
        let Response::Lesson { view } = w2.handle(Request::OpenLesson { slug: "01-tiny".into(), fresh: false }) else { panic!() };
        assert_eq!(view.step, 1);
        assert_eq!(exec(&mut w2, "cat hello.txt"), "hi\n");
        let Response::Solved { transcript, view } = w2.handle(Request::SolveLesson) else { panic!() };
        assert!(transcript.contains("$ docker build -q -t tiny:1 ."), "{transcript}");
        assert_eq!((view.step, view.text.as_str()), (2, "Well done."));
        assert!(matches!(w2.handle(Request::CloseLesson), Response::Prompt { .. }));
        assert_eq!(exec(&mut w2, "ls"), "mine.txt\n");
        // Starting over gives a fresh sandbox.
        let Response::Lesson { view } = w2.handle(Request::OpenLesson { slug: "01-tiny".into(), fresh: true }) else { panic!() };
        assert_eq!(view.step, 0);
        assert_eq!(exec(&mut w2, "ls"), "start.txt\n");
    }
}
