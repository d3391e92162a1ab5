//! Berth's browser sandbox: a terminal (xterm.js), a Dockerfile editor with live lint, the
//! workspace's files, and panels for images (with a picture of their layers) and
//! containers. The engine runs in a Web Worker (`bin/worker.rs`); this page only draws
//! and sends `engine::api::Request`s.

use std::collections::HashMap;

use engine::api::{BuildStep, ContainerInfo, FileEntry, ImageInfo, LintItem, Request, Response};
use engine::api::{LessonInfo, LessonView};
use web::markdown::{self, Node};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web::editor;
use web::lineedit::{Action, LineEditor};
use web::protocol::{Call, Note, DB_NAME};
use yew::html::Scope;
use yew::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// xterm.js's `Terminal` (vendored from npm into the build, loaded by `index.html`).
    type Terminal;
    #[wasm_bindgen(constructor)]
    fn new(options: &JsValue) -> Terminal;
    #[wasm_bindgen(method)]
    fn open(this: &Terminal, parent: &web_sys::HtmlElement);
    #[wasm_bindgen(method)]
    fn write(this: &Terminal, data: &str);
    #[wasm_bindgen(method)]
    fn clear(this: &Terminal);
    #[wasm_bindgen(method)]
    fn focus(this: &Terminal);
    #[wasm_bindgen(method, js_name = onData)]
    fn on_data(this: &Terminal, callback: &js_sys::Function) -> JsValue;
    #[wasm_bindgen(method, js_name = loadAddon)]
    fn load_addon(this: &Terminal, addon: &JsValue);
}

/// The worker script Trunk writes for `bin/worker.rs`.
const WORKER_SCRIPT: &str = "./worker_loader.js";

struct EngineLink {
    worker: web_sys::Worker,
    _onmessage: Closure<dyn FnMut(web_sys::MessageEvent)>,
    _onerror: Closure<dyn FnMut(web_sys::ErrorEvent)>,
}

impl EngineLink {
    fn spawn(link: &Scope<App>) -> Result<EngineLink, String> {
        let worker = web_sys::Worker::new(WORKER_SCRIPT).map_err(|e| format!("{e:?}"))?;
        let notes = link.callback(Msg::Note);
        let onmessage = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |e: web_sys::MessageEvent| {
            if let Some(text) = e.data().as_string() {
                match serde_json::from_str::<Note>(&text) {
                    Ok(note) => notes.emit(note),
                    Err(err) => notes.emit(Note::Problem { message: format!("unreadable message from the engine: {err}") }),
                }
            }
        });
        let problems = link.callback(Msg::Note);
        let onerror = Closure::<dyn FnMut(web_sys::ErrorEvent)>::new(move |e: web_sys::ErrorEvent| {
            problems.emit(Note::Problem { message: format!("the engine failed to start: {}", e.message()) });
        });
        worker.set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
        worker.set_onerror(Some(onerror.as_ref().unchecked_ref()));
        Ok(EngineLink { worker, _onmessage: onmessage, _onerror: onerror })
    }
}

impl Drop for EngineLink {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

/// What a reply is for.
enum Pending {
    Exec,
    Complete,
    Files,
    Open(String),
    Saved(String),
    State,
    Archive,
    /// A file to hand to the browser as a download.
    FileDownload,
    Quiet,
    Lessons,
    /// A lesson added from a URL, to open once it is in the list.
    LessonAdded(String),
    /// A lesson view; `auto` for the check after each command (no feedback on failure).
    Lesson { auto: bool },
    Prompt,
    /// The prompt after a command typed in part was dropped.
    Continued,
}

struct OpenFile {
    path: String,
    text: String,
    saved: String,
}

pub enum Msg {
    Note(Note),
    TermData(String),
    EditorInput(String),
    EditorKey(KeyboardEvent),
    EditorHover(MouseEvent),
    Save,
    Open(String),
    NewFile,
    NewDir,
    Rename(String),
    Delete(String),
    Upload(web_sys::FileList),
    Uploaded(String, Vec<u8>),
    Download,
    /// Downloads one workspace file.
    DownloadFile(String),
    Reset,
    ResetDone,
    SelectImage(String),
    /// Types a command into the terminal and runs it (panel buttons).
    Type(String),
    OpenLesson(String, bool),
    HashChanged,
    CheckLesson,
    SolveLesson,
    CloseLesson,
    Hint,
    ShowSolution,
    PreviewFolder(web_sys::FileList),
    /// A folder dropped on the lessons panel: its entries (FileSystemEntry objects).
    DroppedFolder(Vec<JsValue>),
    /// `#/lessons/url=URL`: a lesson served as a tar of its folder.
    LoadLessonUrl(String),
    LessonArchive(String, Vec<u8>),
    PreviewLoaded(String, Vec<(String, Vec<u8>)>),
    /// Ctrl-C number N did not end the running command in time.
    InterruptTimeout(u32),
}

struct App {
    engine: Option<EngineLink>,
    ready: bool,
    next_id: u32,
    pending: HashMap<u32, Pending>,
    term: Option<Terminal>,
    fit: Option<JsValue>,
    term_ref: NodeRef,
    _on_data: Option<Closure<dyn FnMut(String)>>,
    _on_resize: Option<Closure<dyn FnMut()>>,
    _on_hash: Option<Closure<dyn FnMut()>>,
    line: LineEditor,
    running: bool,
    /// Tab asked the engine for completions.
    completing: bool,
    /// Keys typed while a command runs, the engine starts or Tab waits: they are fed to
    /// the line editor once it can take them (type-ahead, as in a real terminal).
    held: String,
    /// What the terminal's current row shows (text after the last newline written).
    row: std::cell::RefCell<String>,
    files: Vec<FileEntry>,
    open: Option<OpenFile>,
    findings: Vec<LintItem>,
    hover: String,
    images: Vec<ImageInfo>,
    containers: Vec<ContainerInfo>,
    last_build: Vec<BuildStep>,
    selected_image: Option<String>,
    problem: Option<String>,
    status: String,
    lessons: Vec<LessonInfo>,
    lesson: Option<LessonView>,
    hints_shown: usize,
    solution_shown: bool,
    /// What the last explicit check said, or the step just completed.
    lesson_note: Option<(bool, String)>,
    /// Steps of the running build: (current, total).
    build_progress: Option<(u32, u32)>,
    /// The running command waits in `read` for a typed line.
    reading: bool,
    /// Ctrl-C was pressed: the running command's sleeps are cut short, and unless it
    /// ends soon the engine is restarted (the number tells one press from the next).
    interrupting: Option<u32>,
    next_interrupt: u32,
}

/// How long a program has, after Ctrl-C, to end by itself before the engine is restarted.
const INTERRUPT_GRACE_MS: u32 = 1500;

fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\n', "\r\n")
}

fn window() -> web_sys::Window {
    web_sys::window().expect("a page has a window")
}

fn human_size(bytes: u64) -> String {
    engine::api::human_size(bytes)
}

impl App {
    fn call(&mut self, request: Request, pending: Pending) {
        let Some(engine) = &self.engine else { return };
        if !self.ready {
            return;
        }
        self.next_id += 1;
        let id = self.next_id;
        let Ok(text) = serde_json::to_string(&Call { id, request }) else { return };
        if engine.worker.post_message(&JsValue::from_str(&text)).is_ok() {
            self.pending.insert(id, pending);
        }
    }

    /// Tells the line editor how wide the terminal is (it wraps long lines).
    fn sync_cols(&mut self) {
        let cols = self.term.as_ref().and_then(|t| js_sys::Reflect::get(t, &JsValue::from_str("cols")).ok()).and_then(|c| c.as_f64()).unwrap_or(0.0);
        self.line.set_cols(cols as usize);
    }

    fn redraw_line(&mut self) {
        self.sync_cols();
        let d = self.line.redraw();
        self.write(&d);
    }

    fn write(&self, text: &str) {
        if let Some(t) = &self.term {
            t.write(text);
        }
        let mut row = self.row.borrow_mut();
        match text.rfind('\n') {
            Some(i) => *row = text[i + 1..].to_string(),
            None => row.push_str(text),
        }
    }

    fn refresh(&mut self) {
        self.call(Request::State, Pending::State);
        self.call(Request::ListFiles, Pending::Files);
        if let Some(open) = &self.open {
            if open.text == open.saved {
                let path = open.path.clone();
                self.call(Request::ReadFile { path: path.clone() }, Pending::Open(path));
            }
        }
    }

    fn start_engine(&mut self, ctx: &Context<Self>) {
        self.ready = false;
        self.completing = false;
        self.pending.clear();
        self.status = "starting the engine…".into();
        match EngineLink::spawn(ctx.link()) {
            Ok(link) => self.engine = Some(link),
            Err(e) => self.problem = Some(format!("the engine could not start: {e}")),
        }
    }

    fn submit(&mut self, line: String) {
        if line.trim().is_empty() {
            self.redraw_line();
            return;
        }
        self.running = true;
        self.status = format!("running: {line}");
        self.call(Request::Exec { line }, Pending::Exec);
    }

    /// Feeds the keys typed ahead, once the line editor can take them.
    fn release_held(&mut self, ctx: &Context<Self>) {
        if !self.held.is_empty() {
            ctx.link().send_message(Msg::TermData(std::mem::take(&mut self.held)));
        }
    }

    fn set_open(&mut self, path: String, data: Vec<u8>) {
        let text = String::from_utf8_lossy(&data).into_owned();
        self.findings = if editor::is_dockerfile(&path) { engine::api::lint(&text) } else { Vec::new() };
        self.open = Some(OpenFile { path, saved: text.clone(), text });
    }

    /// Ctrl-C where the running program does not end by itself (a loop that never sleeps,
    /// a program reading the terminal): it runs inside the worker, so the worker goes.
    /// Everything that finished before is already saved.
    fn restart_interrupted(&mut self, ctx: &Context<Self>) {
        self.held.clear();
        self.running = false;
        self.reading = false;
        self.interrupting = None;
        send_stdin_message(&stdin_message("stdin-reset", None));
        send_stdin_message(&stdin_message("interrupt-clear", None));
        self.engine = None;
        self.start_engine(ctx);
        self.status = "interrupted; restarting the engine…".into();
    }

    fn on_reply(&mut self, ctx: &Context<Self>, pending: Pending, response: Response) {
        match (pending, response) {
            (Pending::Exec, Response::Output { stdout, stderr, prompt, .. }) => {
                self.build_progress = None;
                self.reading = false;
                if self.interrupting.take().is_some() {
                    send_stdin_message(&stdin_message("interrupt-clear", None));
                }
                self.write(&crlf(&stdout));
                self.write(&crlf(&stderr));
                self.line.set_prompt(&prompt);
                self.running = false;
                self.status = "ready".into();
                self.redraw_line();
                self.refresh();
                if self.lesson.is_some() {
                    self.call(Request::CheckLesson, Pending::Lesson { auto: true });
                }
                self.release_held(ctx);
            }
            (Pending::Complete, Response::Completions { items }) => {
                let draw = self.line.complete(&items);
                self.write(&draw);
                self.completing = false;
                // The line editor's keys after the Tab, then those typed while waiting.
                ctx.link().send_message(Msg::TermData(std::mem::take(&mut self.held)));
            }
            (Pending::Files, Response::Files { entries }) => self.files = entries,
            (Pending::Open(path), Response::File { data, .. }) => {
                let unchanged = self.open.as_ref().is_some_and(|o| o.path == path && o.saved.as_bytes() == data.as_slice());
                if !unchanged {
                    self.set_open(path, data);
                }
            }
            (Pending::Open(path), Response::Error { .. }) if self.open.as_ref().is_some_and(|o| o.path == path) => {
                self.open = None;
                self.findings.clear();
            }
            (Pending::Open(_), Response::Error { .. }) => {}
            (Pending::Saved(path), Response::Done) => {
                if let Some(open) = self.open.as_mut().filter(|o| o.path == path) {
                    open.saved = open.text.clone();
                }
                self.status = format!("saved {path}");
                self.call(Request::ListFiles, Pending::Files);
            }
            (Pending::State, Response::State { images, containers, last_build }) => {
                self.images = images;
                self.containers = containers;
                self.last_build = last_build;
            }
            (Pending::Archive, Response::Archive { data }) => download("workspace.tar", &data),
            (Pending::FileDownload, Response::File { path, data }) => download(path.rsplit('/').next().unwrap_or(&path), &data),
            (Pending::Lessons, Response::Lessons { lessons, .. }) => self.lessons = lessons,
            (Pending::LessonAdded(slug), Response::Lessons { lessons, .. }) => {
                self.lessons = lessons;
                self.call(Request::OpenLesson { slug, fresh: false }, Pending::Lesson { auto: true });
            }
            (Pending::Lesson { auto }, Response::Lesson { view }) => self.show_lesson(view, auto),
            (Pending::Lesson { .. }, Response::Solved { transcript, view }) => {
                self.write(&format!("\r\n{}", crlf(&transcript)));
                self.show_lesson(view, false);
                self.redraw_line();
                self.refresh();
            }
            (Pending::Prompt, Response::Prompt { prompt }) => {
                self.write("\r\n\x1b[2m— back in your own sandbox —\x1b[0m\r\n");
                self.line.set_prompt(&prompt);
                self.redraw_line();
                self.refresh();
                self.call(Request::Lessons, Pending::Lessons);
            }
            (Pending::Continued, Response::Prompt { prompt }) => {
                self.line.set_prompt(&prompt);
                self.redraw_line();
            }
            (_, Response::Error { message }) => self.problem = Some(message),
            (Pending::Quiet, _) => self.refresh(),
            _ => {}
        }
        let _ = ctx;
    }

    fn show_lesson(&mut self, view: LessonView, auto: bool) {
        let moved = self.lesson.as_ref().is_none_or(|l| l.slug != view.slug || l.step != view.step);
        let entered = self.lesson.as_ref().is_none_or(|l| l.slug != view.slug);
        if entered {
            self.write(&format!("\r\n\x1b[2m— lesson “{}”: its own sandbox —\x1b[0m\r\n", view.title));
            self.line.set_prompt(&view.prompt);
            self.redraw_line();
            if !view.slug.starts_with("url-") {
                // A lesson from a URL keeps its `url=` link, to load it again.
                set_hash(&format!("#/lessons/{}", view.slug));
            }
            self.refresh();
        }
        if moved {
            self.hints_shown = 0;
            self.solution_shown = false;
        }
        if !view.typed.is_empty() {
            // A step's foreground script, typed into the terminal as the step opened.
            self.write(&format!("\r\n{}", crlf(&view.typed)));
            self.line.set_prompt(&view.prompt);
            self.redraw_line();
        }
        match &view.verdict {
            Some(v) if v.passed => {
                let done = if view.step >= view.total { "Lesson complete!".to_string() } else { format!("Step {} done.", view.step) };
                self.lesson_note = Some((true, if v.feedback.is_empty() { done } else { format!("{done} {}", v.feedback) }));
            }
            Some(v) if !auto => self.lesson_note = Some((false, if v.feedback.is_empty() { "Not done yet.".into() } else { v.feedback.clone() })),
            _ if moved && !entered => {}
            _ if entered => self.lesson_note = None,
            _ => {}
        }
        self.lesson = Some(view);
    }

    fn lesson_view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let Some(view) = &self.lesson else {
            let preview = link.batch_callback(|e: Event| e.target_unchecked_into::<web_sys::HtmlInputElement>().files().map(Msg::PreviewFolder));
            let ondrop = link.batch_callback(|e: DragEvent| {
                e.prevent_default();
                let items = e.data_transfer().map(|dt| dt.items())?;
                let entries: Vec<JsValue> = (0..items.length())
                    .filter_map(|i| items.get(i))
                    .filter_map(|item| js_sys::Reflect::get(&item, &JsValue::from_str("webkitGetAsEntry")).ok()?.dyn_into::<js_sys::Function>().ok()?.call0(&item).ok())
                    .filter(|entry| !entry.is_null())
                    .collect();
                Some(Msg::DroppedFolder(entries))
            });
            let ondragover = Callback::from(|e: DragEvent| e.prevent_default());
            return html! {
                <section class="lessons" aria-label="lessons" {ondrop} {ondragover} title="drop a lesson folder here to preview it">
                    <h2>{ "Lessons" }</h2>
                    <ol>
                        { for self.lessons.iter().map(|l| {
                            let slug = l.slug.clone();
                            let state = if l.done >= l.steps { "done".to_string() } else if l.done > 0 { format!("{}/{}", l.done, l.steps) } else { String::new() };
                            html! {
                                <li>
                                    <a href={format!("#/lessons/{}", l.slug)} onclick={link.callback(move |e: MouseEvent| { e.prevent_default(); Msg::OpenLesson(slug.clone(), false) })}>{ &l.title }</a>
                                    <span class="progress">{ state }</span>
                                    <div class="muted small">{ format!("{} · {}", l.difficulty, l.time) }</div>
                                </li>
                            }
                        }) }
                    </ol>
                    <label class="button small" title="an index.json scenario folder, for instructors">{ "Preview a lesson folder…" }
                        <input type="file" webkitdirectory=true multiple=true onchange={preview} />
                    </label>
                </section>
            };
        };
        let finished = view.step >= view.total;
        let slug = view.slug.clone();
        html! {
            <section class="lessons lesson" aria-label="lesson">
                <div class="lesson-head">
                    <button class="icon" title="all lessons" onclick={link.callback(|_| Msg::CloseLesson)}>{ "← Lessons" }</button>
                    <button class="icon" title="start this lesson again in a fresh sandbox" onclick={link.callback(move |_| Msg::OpenLesson(slug.clone(), true))}>{ "↺ Start over" }</button>
                </div>
                <h2>{ &view.title }</h2>
                if !view.notes.is_empty() && view.step == 0 {
                    <details class="notes" open={view.verdict.is_none()}>
                        <summary>{ format!("Berth runs this lesson with {} difference(s)", view.notes.len()) }</summary>
                        <ul>{ for view.notes.iter().map(|n| html! { <li>{ n }</li> }) }</ul>
                    </details>
                }
                <div class="step-title">{ if finished { "Finished".to_string() } else { format!("Step {} of {}: {}", view.step + 1, view.total, view.step_title) } }</div>
                <div class="lesson-text">{ for markdown::render(&view.text).into_iter().map(|n| node_html(n, link)) }</div>
                if let Some((ok, note)) = &self.lesson_note {
                    <div class={classes!("note", if *ok { "ok" } else { "fail" })} role="status">{ note }</div>
                }
                if !finished {
                    <div class="lesson-actions">
                        <button onclick={link.callback(|_| Msg::CheckLesson)}>{ "Check" }</button>
                        <button onclick={link.callback(|_| Msg::Hint)} disabled={view.hints.is_empty()}>{ "Hint" }</button>
                        <button onclick={link.callback(|_| Msg::ShowSolution)}>{ "Show solution" }</button>
                    </div>
                    <ol class="hints">{ for view.hints.iter().take(self.hints_shown).map(|h| html! { <li>{ for markdown::render(h).into_iter().map(|n| node_html(n, link)) }</li> }) }</ol>
                    if self.solution_shown {
                        <div class="solution">
                            { for view.solution.iter().map(|c| if c.starts_with('#') { html! { <div class="muted">{ c }</div> } } else { node_html(Node::Exec { command: c.clone(), block: true, interrupt: false }, link) }) }
                            <button onclick={link.callback(|_| Msg::SolveLesson)}>{ "Apply the solution" }</button>
                        </div>
                    }
                }
            </section>
        }
    }

    fn mount_terminal(&mut self, ctx: &Context<Self>) {
        let Some(el) = self.term_ref.cast::<web_sys::HtmlElement>() else { return };
        let options = js_sys::Object::new();
        for (k, v) in [("cursorBlink", JsValue::TRUE), ("screenReaderMode", JsValue::TRUE), ("convertEol", JsValue::FALSE), ("fontSize", JsValue::from_f64(14.0)), ("scrollback", JsValue::from_f64(5000.0))] {
            let _ = js_sys::Reflect::set(&options, &JsValue::from_str(k), &v);
        }
        let term = Terminal::new(&options);
        if let Some(fit) = fit_addon() {
            term.load_addon(&fit);
            self.fit = Some(fit);
        }
        term.open(&el);
        let link = ctx.link().clone();
        let on_data = Closure::<dyn FnMut(String)>::new(move |data: String| link.send_message(Msg::TermData(data)));
        term.on_data(on_data.as_ref().unchecked_ref());
        self._on_data = Some(on_data);
        if let Some(fit) = self.fit.clone() {
            call_method(&fit, "fit");
            let on_resize = Closure::<dyn FnMut()>::new(move || call_method(&fit, "fit"));
            window().set_onresize(Some(on_resize.as_ref().unchecked_ref()));
            self._on_resize = Some(on_resize);
        }
        term.write("Berth: a Docker-compatible sandbox. Try `docker build -t hello hello` then `docker run --rm hello`.\r\n");
        term.focus();
        self.term = Some(term);
    }

    fn layer_view(&self) -> Html {
        let Some(image) = self.selected_image.as_ref().and_then(|id| self.images.iter().find(|i| &i.id == id)).or_else(|| self.images.first()) else {
            return html! { <p class="muted">{ "No images yet. Pull or build one." }</p> };
        };
        let max = image.layers.iter().map(|l| l.size).max().unwrap_or(0).max(1);
        let cached = |created_by: &str| {
            let step = normalise_instruction(created_by);
            self.last_build.iter().any(|b| b.cached && b.name.split_once("] ").map(|(_, s)| s) == Some(step.as_str()))
        };
        let name = image.tags.first().cloned().unwrap_or_else(|| format!("<none> {}", image.id));
        html! {
            <div class="layers" aria-label={format!("layers of {name}")}>
                <h3>{ format!("{name} — {} in {} layers", human_size(image.size), image.layers.iter().filter(|l| !l.empty).count()) }</h3>
                { for image.layers.iter().rev().map(|l| {
                    let width = if l.empty { 0.0 } else { (l.size as f64 / max as f64 * 100.0).max(0.5) };
                    let hit = cached(&l.created_by);
                    html! {
                        <div class={classes!("layer", l.empty.then_some("empty"), hit.then_some("cached"))} title={l.created_by.clone()}>
                            <div class="bar" style={format!("width:{width:.1}%")}></div>
                            <span class="label">{ shorten(&normalise_instruction(&l.created_by), 60) }</span>
                            <span class="size">{ if l.empty { "0 B (metadata)".to_string() } else { human_size(l.size) } }{ if hit { " · CACHED" } else { "" } }</span>
                        </div>
                    }
                }) }
            </div>
        }
    }

    fn editor_view(&self, ctx: &Context<Self>) -> Html {
        let Some(open) = &self.open else {
            return html! { <div class="editor empty"><p class="muted">{ "Open a file from the list, or create one with “New file”." }</p></div> };
        };
        let link = ctx.link();
        let dockerfile = editor::is_dockerfile(&open.path);
        let pieces = editor::pieces(&open.text, dockerfile, &self.findings);
        let lines = open.text.matches('\n').count() + 1;
        let widest = open.text.lines().map(|l| l.chars().count()).max().unwrap_or(0) + 2;
        let flagged: Vec<usize> = self.findings.iter().map(|f| f.line).collect();
        let dirty = open.text != open.saved;
        html! {
            <div class="editor">
                <div class="editor-bar">
                    <span class="path">{ &open.path }{ if dirty { " ●" } else { "" } }</span>
                    <button onclick={link.callback(|_| Msg::Save)} title="Ctrl-S">{ "Save" }</button>
                </div>
                <div class="code">
                    <pre class="gutter" aria-hidden="true">{ for (1..=lines).map(|n| html! { <div class={classes!(flagged.contains(&n).then_some("flag"))}>{ n }</div> }) }</pre>
                    <div class="text" style={format!("min-width:{widest}ch")}>
                        <pre class="highlight" aria-hidden="true">
                            { for pieces.iter().map(|p| html! {
                                <span class={classes!(format!("t-{:?}", p.kind).to_lowercase(), p.severity.map(|s| format!("d-{s}")))} title={p.message.map(str::to_string)}>{ p.text }</span>
                            }) }
                            { "\n" }
                        </pre>
                        <textarea id="editor" spellcheck="false" wrap="off" rows={(lines + 1).to_string()} aria-label={format!("editor: {}", open.path)}
                            value={open.text.clone()} title={self.hover.clone()}
                            oninput={link.callback(|e: InputEvent| Msg::EditorInput(e.target_unchecked_into::<web_sys::HtmlTextAreaElement>().value()))}
                            onkeydown={link.callback(Msg::EditorKey)}
                            onmousemove={link.callback(Msg::EditorHover)} />
                    </div>
                </div>
                if dockerfile {
                    <ul class="problems" aria-label="problems">
                        { for self.findings.iter().map(|f| html! {
                            <li class={format!("d-{}", f.severity)}>
                                { format!("{}:{}:{}: {}{}: {}", open.path.rsplit('/').next().unwrap_or(&open.path), f.line, f.column, f.severity, f.rule.as_ref().map(|r| format!(" [{r}]")).unwrap_or_default(), f.message) }
                                { f.hint.as_ref().map(|h| html! { <span class="hint">{ format!(" — hint: {h}") }</span> }).unwrap_or_default() }
                            </li>
                        }) }
                        if self.findings.is_empty() { <li class="ok">{ "No problems found." }</li> }
                    </ul>
                }
            </div>
        }
    }
}

/// Draws a lesson's Markdown node; `{{exec}}` commands type themselves into the terminal.
fn node_html(node: Node, link: &Scope<App>) -> Html {
    match node {
        Node::Text(t) => html! { { t } },
        Node::Exec { command, block, interrupt } => {
            let c = command.clone();
            let onclick = link.callback(move |_| Msg::Type(if interrupt { format!("\x03{c}") } else { c.clone() }));
            if block {
                html! { <pre class="exec" title="click to run it in the terminal" {onclick}>{ command }</pre> }
            } else {
                html! { <code class="exec" title="click to run it in the terminal" {onclick}>{ command }</code> }
            }
        }
        Node::Element { tag, href, children } => {
            let children: Html = children.into_iter().map(|n| node_html(n, link)).collect();
            match tag {
                "a" => match href {
                    Some(h) if h.starts_with('#') => html! { <a href={h}>{ children }</a> },
                    Some(h) => html! { <a href={h} target="_blank" rel="noopener noreferrer">{ children }</a> },
                    None => html! { <span class="link">{ children }</span> },
                },
                "br" => html! { <br /> },
                "hr" => html! { <hr /> },
                tag => html! { <@{tag}>{ children }</@> },
            }
        }
    }
}

/// Reads a dropped file or folder (a `FileSystemEntry`) into `(path, bytes)` pairs, paths
/// relative to the dropped folder.
fn read_entry(entry: JsValue, prefix: String, out: &mut Vec<(String, Vec<u8>)>) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + '_>> {
    Box::pin(async move {
        let get = |name: &str| js_sys::Reflect::get(&entry, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED);
        let name = get("name").as_string().unwrap_or_default();
        if get("isFile").as_bool() == Some(true) {
            let entry2 = entry.clone();
            let promise = js_sys::Promise::new(&mut |resolve, reject| {
                let _ = js_sys::Reflect::get(&entry2, &JsValue::from_str("file")).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok()).map(|f| f.call2(&entry2, &resolve, &reject));
            });
            if let Ok(file) = wasm_bindgen_futures::JsFuture::from(promise).await.and_then(|f| f.dyn_into::<web_sys::File>()) {
                if let Ok(bytes) = gloo::file::futures::read_as_bytes(&gloo::file::File::from(file)).await {
                    out.push((if prefix.is_empty() { name } else { prefix }, bytes));
                }
            }
            return;
        }
        let Ok(reader) = js_sys::Reflect::get(&entry, &JsValue::from_str("createReader")).and_then(|f| f.dyn_into::<js_sys::Function>()).and_then(|f| f.call0(&entry)) else { return };
        loop {
            let reader2 = reader.clone();
            let promise = js_sys::Promise::new(&mut |resolve, reject| {
                let _ = js_sys::Reflect::get(&reader2, &JsValue::from_str("readEntries")).ok().and_then(|f| f.dyn_into::<js_sys::Function>().ok()).map(|f| f.call2(&reader2, &resolve, &reject));
            });
            let Ok(batch) = wasm_bindgen_futures::JsFuture::from(promise).await else { break };
            let batch: js_sys::Array = batch.unchecked_into();
            if batch.length() == 0 {
                break;
            }
            for child in batch.iter() {
                let child_name = js_sys::Reflect::get(&child, &JsValue::from_str("name")).ok().and_then(|v| v.as_string()).unwrap_or_default();
                let path = if prefix.is_empty() { child_name } else { format!("{prefix}/{child_name}") };
                read_entry(child, path, out).await;
            }
        }
    })
}

fn stdin_message(kind: &str, line: Option<&str>) -> JsValue {
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &JsValue::from_str("type"), &JsValue::from_str(kind));
    match line {
        Some(l) => {
            let _ = js_sys::Reflect::set(&message, &JsValue::from_str("line"), &JsValue::from_str(l));
        }
        None => {
            let _ = js_sys::Reflect::set(&message, &JsValue::from_str("eof"), &JsValue::TRUE);
        }
    }
    message.into()
}

/// Posts to the service worker that controls the page (it answers the engine's wait
/// for typed input).
fn send_stdin_message(message: &JsValue) {
    if let Some(sw) = window().navigator().service_worker().controller() {
        let _ = sw.post_message(message);
    }
}

/// The line typed for a program in `read` (`None`: end of input, Ctrl-D).
fn send_typed_line(line: Option<&str>) {
    send_stdin_message(&stdin_message("stdin", line));
}

/// The bytes at a URL (a lesson archive), with the server's refusal as an error.
async fn fetch_bytes(url: &str) -> Result<Vec<u8>, String> {
    let response = wasm_bindgen_futures::JsFuture::from(window().fetch_with_str(url)).await.map_err(|e| format!("{e:?}"))?;
    let response: web_sys::Response = response.dyn_into().map_err(|_| "not a response".to_string())?;
    if !response.ok() {
        return Err(format!("HTTP {} {}", response.status(), response.status_text()));
    }
    let buffer = wasm_bindgen_futures::JsFuture::from(response.array_buffer().map_err(|e| format!("{e:?}"))?).await.map_err(|e| format!("{e:?}"))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// "3 minutes ago", as `docker ps` words it.
fn age(created: i64) -> String {
    let now = (js_sys::Date::now() / 1000.0) as i64;
    format!("{} ago", engine::api::human_duration(now - created))
}

fn set_hash(hash: &str) {
    let _ = window().location().set_hash(hash);
}

fn hash_lesson() -> Option<String> {
    let hash = window().location().hash().ok()?;
    hash.strip_prefix("#/lessons/").map(|s| s.trim_end_matches('/').to_string()).filter(|s| !s.is_empty())
}

fn fit_addon() -> Option<JsValue> {
    let ns = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("FitAddon")).ok()?;
    let ctor = js_sys::Reflect::get(&ns, &JsValue::from_str("FitAddon")).ok()?.dyn_into::<js_sys::Function>().ok()?;
    js_sys::Reflect::construct(&ctor, &js_sys::Array::new()).ok()
}

fn call_method(target: &JsValue, name: &str) {
    if let Ok(f) = js_sys::Reflect::get(target, &JsValue::from_str(name)).and_then(|f| f.dyn_into::<js_sys::Function>()) {
        let _ = f.call0(target);
    }
}

/// `RUN /bin/sh -c pip install x # buildkit` → `RUN pip install x`, as the build's steps
/// name it.
fn normalise_instruction(created_by: &str) -> String {
    let s = created_by.trim_end_matches(" # buildkit");
    let s = s.strip_prefix("/bin/sh -c #(nop) ").unwrap_or(s);
    match s.strip_prefix("RUN /bin/sh -c ") {
        Some(rest) => format!("RUN {rest}"),
        None => s.to_string(),
    }
}

fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        s.chars().take(n - 1).collect::<String>() + "…"
    }
}

fn download(name: &str, data: &[u8]) {
    let array = js_sys::Array::of1(&js_sys::Uint8Array::from(data).into());
    // Bytes as they are: a text MIME type would make the browser add `.txt`.
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("application/octet-stream");
    let Ok(blob) = web_sys::Blob::new_with_u8_array_sequence_and_options(&array, &options) else { return };
    let Ok(url) = web_sys::Url::create_object_url_with_blob(&blob) else { return };
    if let Some(a) = window().document().and_then(|d| d.create_element("a").ok()).and_then(|a| a.dyn_into::<web_sys::HtmlAnchorElement>().ok()) {
        a.set_href(&url);
        a.set_download(name);
        a.click();
    }
    let _ = web_sys::Url::revoke_object_url(&url);
}

fn ask(question: &str, default: &str) -> Option<String> {
    window().prompt_with_message_and_default(question, default).ok().flatten().map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl Component for App {
    type Message = Msg;
    type Properties = ();

    fn create(ctx: &Context<Self>) -> Self {
        let mut app = App {
            engine: None,
            ready: false,
            next_id: 0,
            pending: HashMap::new(),
            term: None,
            fit: None,
            term_ref: NodeRef::default(),
            _on_data: None,
            _on_resize: None,
            _on_hash: None,
            line: LineEditor::new("$ "),
            running: false,
            completing: false,
            held: String::new(),
            row: Default::default(),
            files: Vec::new(),
            open: None,
            findings: Vec::new(),
            hover: String::new(),
            images: Vec::new(),
            containers: Vec::new(),
            last_build: Vec::new(),
            selected_image: None,
            problem: None,
            status: String::new(),
            lessons: Vec::new(),
            lesson: None,
            hints_shown: 0,
            solution_shown: false,
            lesson_note: None,
            build_progress: None,
            reading: false,
            interrupting: None,
            next_interrupt: 0,
        };
        app.start_engine(ctx);
        // A link to a lesson (`#/lessons/03-multi-stage`) opens it.
        let link = ctx.link().clone();
        let on_hash = Closure::<dyn FnMut()>::new(move || link.send_message(Msg::HashChanged));
        window().set_onhashchange(Some(on_hash.as_ref().unchecked_ref()));
        app._on_hash = Some(on_hash);
        app
    }

    fn rendered(&mut self, ctx: &Context<Self>, first_render: bool) {
        if first_render {
            self.mount_terminal(ctx);
        } else if let Some(fit) = &self.fit {
            // Panels may have changed size (a lesson opened or closed).
            call_method(fit, "fit");
        }
    }

    fn update(&mut self, ctx: &Context<Self>, msg: Msg) -> bool {
        match msg {
            Msg::Note(Note::Ready { prompt, restored }) => {
                self.ready = true;
                self.running = false;
                // A Ctrl-C pressed just before a reload must not cut the new page's sleeps.
                send_stdin_message(&stdin_message("interrupt-clear", None));
                self.status = if restored { "ready (sandbox restored)".into() } else { "ready".into() };
                self.line.set_prompt(&prompt);
                self.redraw_line();
                self.refresh();
                self.call(Request::Lessons, Pending::Lessons);
                let reopen = self.lesson.as_ref().map(|l| l.slug.clone()).or_else(hash_lesson);
                self.lesson = None;
                if let Some(slug) = reopen {
                    ctx.link().send_message(Msg::OpenLesson(slug, false));
                }
                if self.open.is_none() {
                    let first = if restored { "Dockerfile" } else { "hello/Dockerfile" };
                    self.call(Request::ReadFile { path: first.into() }, Pending::Open(first.into()));
                }
                self.release_held(ctx);
            }
            Msg::Note(Note::Reply { id, response }) => {
                if let Some(p) = self.pending.remove(&id) {
                    self.on_reply(ctx, p, response);
                }
            }
            Msg::Note(Note::Input { shown }) => {
                self.write(&crlf(&shown));
                self.reading = true;
                // What the program printed on this row (`name? `, `>>> `) stays when the
                // typed line is redrawn.
                let row = self.row.borrow().rsplit('\r').next().unwrap_or("").to_string();
                self.line.set_prompt(&row);
                let typed = std::mem::take(&mut self.held);
                if !typed.is_empty() {
                    ctx.link().send_message(Msg::TermData(typed));
                }
            }
            Msg::Note(Note::Progress { text }) => {
                self.write(&crlf(&text));
                // `#5 [2/4] RUN …`: the build's step count, for the progress bar; a pull's
                // layers (`…: Pull complete`) likewise.
                for line in text.lines() {
                    let (done, total) = self.build_progress.unwrap_or((0, 0));
                    if line.ends_with(": Pulling fs layer") {
                        self.build_progress = Some((done, total + 1));
                    } else if line.ends_with(": Pull complete") {
                        self.build_progress = Some((done + 1, total.max(done + 1)));
                    } else if line.ends_with(": Already exists") {
                        self.build_progress = Some((done + 1, total + 1));
                    }
                    if let Some((k, m)) = line.split_once(" [").and_then(|(_, r)| r.split_once(']')).and_then(|(inside, _)| inside.rsplit(' ').next()?.split_once('/')) {
                        if let (Ok(k), Ok(m)) = (k.parse::<u32>(), m.parse::<u32>()) {
                            self.build_progress = Some((k, m));
                        }
                    }
                }
            }
            Msg::Note(Note::Problem { message }) => self.problem = Some(message),
            // The program got the Ctrl-C and goes on ending (a graceful stop): no restart.
            Msg::Note(Note::Interrupted) => self.interrupting = None,
            Msg::TermData(data) => {
                if self.running && self.reading && !data.contains('\x03') {
                    // A line for the program waiting in `read`, through the service worker.
                    if data == "\x04" && self.line.line().is_empty() {
                        self.write("\r\n");
                        send_typed_line(None);
                        self.reading = false;
                        return false;
                    }
                    self.sync_cols();
                    for action in self.line.feed(&data) {
                        match action {
                            Action::Draw(s) => self.write(&s),
                            Action::Submit(line) if self.reading => {
                                send_typed_line(Some(&line));
                                self.reading = false;
                            }
                            Action::Submit(line) => self.held.push_str(&format!("{line}\r")),
                            _ => {}
                        }
                    }
                    return false;
                }
                if self.running && data.contains('\x03') && !self.reading && self.interrupting.is_none() {
                    // Ctrl-C: a program waiting in a sleep (`logs -f`, `sleep 100`) is
                    // told at once, through the service worker, and ends by itself.
                    self.write("^C\r\n");
                    self.held.clear();
                    send_stdin_message(&stdin_message("interrupt", None));
                    let press = self.next_interrupt;
                    self.next_interrupt += 1;
                    self.interrupting = Some(press);
                    let link = ctx.link().clone();
                    gloo::timers::callback::Timeout::new(INTERRUPT_GRACE_MS, move || link.send_message(Msg::InterruptTimeout(press))).forget();
                    return false;
                }
                if self.running && data.contains('\x03') {
                    if self.interrupting.is_none() {
                        self.write("^C\r\n");
                    }
                    self.restart_interrupted(ctx);
                    return true;
                }
                if self.running || !self.ready || self.completing {
                    self.held.push_str(&data);
                    return false;
                }
                let mut submitted = false;
                self.sync_cols();
                for action in self.line.feed(&data) {
                    match action {
                        Action::Draw(s) => self.write(&s),
                        Action::Submit(line) => {
                            submitted = true;
                            self.submit(line);
                        }
                        Action::Interrupt => {
                            self.write("^C\r\n");
                            if self.line.prompt() == "> " {
                                // Ctrl-C at the `> ` prompt drops the command typed so far.
                                self.call(Request::CancelLine, Pending::Continued);
                            } else {
                                self.redraw_line();
                            }
                        }
                        Action::Clear => {
                            if let Some(t) = &self.term {
                                t.clear();
                            }
                        }
                        Action::Complete(line) => {
                            // Keys typed until the answer comes wait for it, as in readline.
                            self.completing = true;
                            self.call(Request::Complete { line }, Pending::Complete);
                        }
                    }
                }
                return submitted;
            }
            Msg::InterruptTimeout(press) => {
                if self.running && self.interrupting == Some(press) {
                    self.restart_interrupted(ctx);
                    return true;
                }
            }
            Msg::EditorInput(text) => {
                if let Some(open) = self.open.as_mut() {
                    self.findings = if editor::is_dockerfile(&open.path) { engine::api::lint(&text) } else { Vec::new() };
                    open.text = text;
                }
            }
            Msg::EditorKey(e) => {
                if (e.ctrl_key() || e.meta_key()) && e.key().eq_ignore_ascii_case("s") {
                    e.prevent_default();
                    ctx.link().send_message(Msg::Save);
                } else if e.key() == "Tab" {
                    // Tab indents instead of leaving the editor.
                    e.prevent_default();
                    if let Some(area) = e.target().and_then(|t| t.dyn_into::<web_sys::HtmlTextAreaElement>().ok()) {
                        let start = area.selection_start().ok().flatten().unwrap_or(0);
                        let _ = area.set_range_text("    ");
                        let _ = area.set_selection_range(start + 4, start + 4);
                        ctx.link().send_message(Msg::EditorInput(area.value()));
                    }
                }
                return false;
            }
            Msg::EditorHover(e) => {
                let Some(open) = &self.open else { return false };
                // 20 px per line and 8 px of padding, as the stylesheet sets them.
                let line = ((e.offset_y() - 8).max(0) / 20) as usize + 1;
                let hover = editor::messages_on_line(&open.text, &self.findings, line);
                if hover == self.hover {
                    return false;
                }
                self.hover = hover;
            }
            Msg::Save => {
                if let Some(open) = &self.open {
                    let (path, data) = (open.path.clone(), open.text.clone().into_bytes());
                    self.call(Request::WriteFile { path: path.clone(), data }, Pending::Saved(path));
                }
            }
            Msg::Open(path) => self.call(Request::ReadFile { path: path.clone() }, Pending::Open(path)),
            Msg::NewFile => {
                if let Some(path) = ask("New file (a path in the workspace):", "Dockerfile") {
                    self.call(Request::WriteFile { path: path.clone(), data: Vec::new() }, Pending::Quiet);
                    self.set_open(path, Vec::new());
                }
            }
            Msg::NewDir => {
                if let Some(path) = ask("New folder:", "") {
                    self.call(Request::CreateDir { path }, Pending::Quiet);
                }
            }
            Msg::Rename(from) => {
                if let Some(to) = ask(&format!("Rename {from} to:"), &from) {
                    if self.open.as_ref().is_some_and(|o| o.path == from) {
                        self.open = None;
                    }
                    self.call(Request::Rename { from, to }, Pending::Quiet);
                }
            }
            Msg::Delete(path) => {
                if window().confirm_with_message(&format!("Delete {path}?")).unwrap_or(false) {
                    self.call(Request::Remove { path }, Pending::Quiet);
                }
            }
            Msg::Upload(list) => {
                for i in 0..list.length() {
                    let Some(file) = list.get(i) else { continue };
                    let link = ctx.link().clone();
                    let file = gloo::file::File::from(file);
                    let name = file.name();
                    wasm_bindgen_futures::spawn_local(async move {
                        if let Ok(bytes) = gloo::file::futures::read_as_bytes(&file).await {
                            link.send_message(Msg::Uploaded(name, bytes));
                        }
                    });
                }
            }
            Msg::Uploaded(name, data) => self.call(Request::WriteFile { path: name, data }, Pending::Quiet),
            Msg::Download => self.call(Request::ExportWorkspace, Pending::Archive),
            Msg::DownloadFile(path) => self.call(Request::ReadFile { path }, Pending::FileDownload),
            Msg::Reset => {
                if !window().confirm_with_message("Reset the sandbox? Your files, images, containers and volumes in this browser will be deleted.").unwrap_or(false) {
                    return false;
                }
                self.engine = None;
                self.ready = false;
                self.status = "resetting…".into();
                let link = ctx.link().clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let _ = web::idb::delete(DB_NAME).await;
                    link.send_message(Msg::ResetDone);
                });
            }
            Msg::ResetDone => {
                self.open = None;
                self.findings.clear();
                self.files.clear();
                self.images.clear();
                self.containers.clear();
                self.last_build.clear();
                self.held.clear();
                if let Some(t) = &self.term {
                    t.clear();
                    t.write("\r\x1b[KThe sandbox was reset.\r\n");
                }
                self.start_engine(ctx);
            }
            Msg::SelectImage(id) => self.selected_image = Some(id),
            Msg::OpenLesson(slug, _) if slug.starts_with("url=") => ctx.link().send_message(Msg::LoadLessonUrl(slug["url=".len()..].to_string())),
            Msg::OpenLesson(slug, fresh) => {
                if fresh && !window().confirm_with_message("Start this lesson again? Its sandbox (files, images, containers) starts over.").unwrap_or(false) {
                    return false;
                }
                if fresh {
                    self.lesson = None;
                }
                self.open = None;
                self.call(Request::OpenLesson { slug, fresh }, Pending::Lesson { auto: true });
            }
            Msg::LoadLessonUrl(url) => {
                self.status = format!("loading the lesson at {url}…");
                let link = ctx.link().clone();
                wasm_bindgen_futures::spawn_local(async move {
                    match fetch_bytes(&url).await {
                        Ok(data) => link.send_message(Msg::LessonArchive(url, data)),
                        Err(e) => link.send_message(Msg::Note(Note::Problem { message: format!("could not load the lesson at {url}: {e}") })),
                    }
                });
            }
            Msg::LessonArchive(url, data) => {
                let name = url.rsplit('/').next().unwrap_or("lesson").trim_end_matches(".gz").trim_end_matches(".tgz").trim_end_matches(".tar");
                let slug = format!("url-{}", name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '-' }).collect::<String>());
                self.status = "ready".into();
                self.call(Request::AddLessonArchive { slug: slug.clone(), data }, Pending::LessonAdded(slug));
            }
            Msg::HashChanged => match hash_lesson() {
                Some(slug) if self.lesson.as_ref().is_none_or(|l| l.slug != slug) => ctx.link().send_message(Msg::OpenLesson(slug, false)),
                _ => return false,
            },
            Msg::CheckLesson => self.call(Request::CheckLesson, Pending::Lesson { auto: false }),
            Msg::SolveLesson => self.call(Request::SolveLesson, Pending::Lesson { auto: false }),
            Msg::CloseLesson => {
                self.lesson = None;
                self.lesson_note = None;
                self.open = None;
                set_hash("#/");
                self.call(Request::CloseLesson, Pending::Prompt);
            }
            Msg::Hint => self.hints_shown += 1,
            Msg::ShowSolution => self.solution_shown = true,
            Msg::PreviewFolder(list) => {
                let mut files = Vec::new();
                for i in 0..list.length() {
                    if let Some(f) = list.get(i) {
                        // webkitRelativePath is `folder/sub/file`.
                        let rel = js_sys::Reflect::get(&f, &JsValue::from_str("webkitRelativePath")).ok().and_then(|v| v.as_string()).filter(|r| !r.is_empty()).unwrap_or_else(|| f.name());
                        files.push((rel, gloo::file::File::from(f)));
                    }
                }
                let link = ctx.link().clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let mut loaded = Vec::new();
                    let mut root = String::new();
                    for (rel, file) in files {
                        // Paths inside the dropped folder: drop the folder's own name.
                        let (top, path) = rel.split_once('/').map_or((String::new(), rel.clone()), |(a, b)| (a.to_string(), b.to_string()));
                        root = top;
                        if let Ok(bytes) = gloo::file::futures::read_as_bytes(&file).await {
                            loaded.push((path, bytes));
                        }
                    }
                    link.send_message(Msg::PreviewLoaded(format!("preview-{root}"), loaded));
                });
            }
            Msg::DroppedFolder(entries) => {
                let link = ctx.link().clone();
                wasm_bindgen_futures::spawn_local(async move {
                    let mut files = Vec::new();
                    let mut name = String::from("dropped");
                    for entry in entries {
                        if let Some(n) = js_sys::Reflect::get(&entry, &JsValue::from_str("name")).ok().and_then(|v| v.as_string()) {
                            name = n;
                        }
                        read_entry(entry, String::new(), &mut files).await;
                    }
                    link.send_message(Msg::PreviewLoaded(format!("preview-{name}"), files));
                });
            }
            Msg::PreviewLoaded(slug, files) => self.call(Request::AddLesson { slug, files }, Pending::Lessons),
            Msg::Type(command) => {
                if let Some(t) = &self.term {
                    t.focus();
                }
                // `{{exec interrupt}}`: Ctrl-C first, then the command (held until what
                // ran has stopped).
                if let Some(rest) = command.strip_prefix('\x03') {
                    ctx.link().send_message(Msg::TermData("\x03".into()));
                    ctx.link().send_message(Msg::TermData(format!("{rest}\r")));
                } else {
                    ctx.link().send_message(Msg::TermData(format!("{command}\r")));
                }
            }
        }
        true
    }

    fn view(&self, ctx: &Context<Self>) -> Html {
        let link = ctx.link();
        let upload = link.batch_callback(|e: Event| e.target_unchecked_into::<web_sys::HtmlInputElement>().files().map(Msg::Upload));
        html! {
            <div class="app">
                <header>
                    <h1>{ "Berth" }</h1>
                    <span class="status" aria-live="polite">{ &self.status }</span>
                    if let Some((k, m)) = self.build_progress {
                        <progress class="build" max={m.to_string()} value={k.to_string()} title={format!("{k} of {m}")} />
                    }
                    if let Some(p) = &self.problem { <span class="problem" role="alert">{ p }</span> }
                    <button class="reset" onclick={link.callback(|_| Msg::Reset)}>{ "Reset sandbox" }</button>
                </header>
                <aside class="files">
                    <div class="toolbar">
                        <button onclick={link.callback(|_| Msg::NewFile)}>{ "New file" }</button>
                        <button onclick={link.callback(|_| Msg::NewDir)}>{ "New folder" }</button>
                        <label class="button">{ "Upload" }<input type="file" multiple=true onchange={upload} /></label>
                        <button onclick={link.callback(|_| Msg::Download)} title="the whole workspace as a tar archive">{ "Download" }</button>
                    </div>
                    <ul aria-label="workspace files">
                        { for self.files.iter().map(|f| {
                            let depth = f.path.matches('/').count();
                            let name = f.path.rsplit('/').next().unwrap_or(&f.path).to_string();
                            let (p1, p2, p3, p4) = (f.path.clone(), f.path.clone(), f.path.clone(), f.path.clone());
                            let active = self.open.as_ref().is_some_and(|o| o.path == f.path);
                            html! {
                                <li class={classes!(f.dir.then_some("dir"), active.then_some("active"))} style={format!("padding-left:{}em", depth as f32 * 1.0 + 0.3)}>
                                    if f.dir { <span>{ format!("{name}/") }</span> }
                                    else { <a href="#" onclick={link.callback(move |e: MouseEvent| { e.prevent_default(); Msg::Open(p1.clone()) })}>{ name }</a> }
                                    if !f.dir {
                                        <button class="icon" title={format!("download {}", f.path)} onclick={link.callback(move |_| Msg::DownloadFile(p4.clone()))}>{ "⤓" }</button>
                                    }
                                    <button class="icon" title={format!("rename {}", f.path)} onclick={link.callback(move |_| Msg::Rename(p2.clone()))}>{ "✎" }</button>
                                    <button class="icon" title={format!("delete {}", f.path)} onclick={link.callback(move |_| Msg::Delete(p3.clone()))}>{ "✕" }</button>
                                </li>
                            }
                        }) }
                    </ul>
                </aside>
                <aside class="lesson-pane">{ self.lesson_view(ctx) }</aside>
                <main>
                    { self.editor_view(ctx) }
                    <div class="term-pane" ref={self.term_ref.clone()} aria-label="terminal"></div>
                </main>
                <aside class="panels">
                    <section>
                        <h2>{ "Images" }</h2>
                        <table aria-label="images">
                            <tr><th>{ "Image" }</th><th>{ "ID" }</th><th>{ "Size" }</th><th></th></tr>
                            { for self.images.iter().map(|i| {
                                let name = i.tags.first().cloned().unwrap_or_else(|| "<none>".into());
                                let (id, run, rmi) = (i.id.clone(), format!("docker run --rm {name}"), format!("docker rmi {}", if i.tags.is_empty() { &i.id } else { &name }));
                                html! {
                                    <tr class={classes!((self.selected_image.as_ref() == Some(&i.id)).then_some("selected"))}>
                                        <td><a href="#" onclick={link.callback(move |e: MouseEvent| { e.prevent_default(); Msg::SelectImage(id.clone()) })}>{ name }</a></td>
                                        <td class="mono">{ &i.id }</td>
                                        <td>{ human_size(i.size) }</td>
                                        <td>
                                            <button class="icon" title="run" onclick={link.callback(move |_| Msg::Type(run.clone()))}>{ "▶" }</button>
                                            <button class="icon" title="remove" onclick={link.callback(move |_| Msg::Type(rmi.clone()))}>{ "✕" }</button>
                                        </td>
                                    </tr>
                                }
                            }) }
                        </table>
                        { self.layer_view() }
                    </section>
                    <section>
                        <h2>{ "Containers" }</h2>
                        <table aria-label="containers">
                            <tr><th>{ "Name" }</th><th>{ "Image" }</th><th>{ "Status" }</th><th>{ "Created" }</th><th></th></tr>
                            { for self.containers.iter().map(|c| {
                                let status = match c.state.as_str() { "exited" => format!("Exited ({})", c.exit_code), other => other.to_string() };
                                let (logs, rm) = (format!("docker logs {}", c.name), format!("docker rm {}", c.name));
                                html! {
                                    <tr title={c.command.clone()}>
                                        <td>{ &c.name }</td>
                                        <td>{ &c.image }</td>
                                        <td>{ status }</td>
                                        <td>{ age(c.created) }</td>
                                        <td>
                                            <button class="icon" title="logs" onclick={link.callback(move |_| Msg::Type(logs.clone()))}>{ "☰" }</button>
                                            <button class="icon" title="remove" onclick={link.callback(move |_| Msg::Type(rm.clone()))}>{ "✕" }</button>
                                        </td>
                                    </tr>
                                }
                            }) }
                        </table>
                    </section>
                </aside>
            </div>
        }
    }
}

fn main() {
    yew::Renderer::<App>::new().render();
}
