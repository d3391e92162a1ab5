//! The engine's Web Worker. It restores the sandbox from IndexedDB, answers the page's
//! calls with `engine::api::Session`, and saves each call's changes before it replies,
//! so a reply means "done and saved". A runaway program is stopped by the page
//! terminating this worker (Ctrl-C): what had finished before it is already saved.

use std::cell::RefCell;
use std::rc::Rc;

use engine::api::Request;
use engine::api::{Clock, FrontEnd, Workbench};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web::protocol::{Call, Note, DB_NAME, INTERRUPTED_STATUS, SLEEP_PATH, STDIN_PATH};
use web_sys::{DedicatedWorkerGlobalScope, IdbDatabase, MessageEvent};

struct BrowserClock;

impl Clock for BrowserClock {
    fn now(&self) -> i64 {
        (js_sys::Date::now() / 1000.0) as i64
    }
    fn monotonic(&self) -> f64 {
        let performance = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("performance")).ok();
        performance.and_then(|p| p.dyn_into::<web_sys::Performance>().ok()).map_or(0.0, |p| p.now() / 1000.0)
    }
}

mod bundled {
    include!(concat!(env!("OUT_DIR"), "/lessons.rs"));
}

struct Worker {
    bench: Workbench,
    db: Option<IdbDatabase>,
}

thread_local! {
    static WORKER: RefCell<Option<Rc<RefCell<Worker>>>> = const { RefCell::new(None) };
}

fn scope() -> DedicatedWorkerGlobalScope {
    js_sys::global().unchecked_into()
}

fn post(note: &Note) {
    match serde_json::to_string(note) {
        Ok(text) => {
            let _ = scope().post_message(&JsValue::from_str(&text));
        }
        Err(e) => web_sys::console::error_1(&JsValue::from_str(&format!("berth worker: {e}"))),
    }
}

/// A first visit's workspace: a small project to build.
fn starter(bench: &mut Workbench) {
    let files: [(&str, &[u8]); 3] = [
        ("README.md", include_bytes!("../../starter/README.md")),
        ("hello/Dockerfile", include_bytes!("../../starter/hello/Dockerfile")),
        ("hello/greet.sh", include_bytes!("../../starter/hello/greet.sh")),
    ];
    for (path, data) in files {
        bench.handle(Request::WriteFile { path: path.into(), data: data.to_vec() });
    }
}

async fn start() {
    let db = match web::idb::open(DB_NAME).await {
        Ok(db) => Some(db),
        Err(e) => {
            post(&Note::Problem { message: format!("IndexedDB is not available, so nothing will be kept after a reload ({e:?})") });
            None
        }
    };
    let saved = match &db {
        Some(db) => web::idb::load_all(db).await.unwrap_or_default(),
        None => Vec::new(),
    };
    // Records of the first release had no `main/` prefix.
    let saved = saved.into_iter().map(|(k, v)| if k.starts_with("main/") || k.starts_with("lesson/") { (k, v) } else { (format!("main/{k}"), v) }).collect();
    // `python` and `\0asm` programs run on the browser's own WebAssembly.
    engine::api::machine::install(web::wasi::machine());
    let clock: Rc<dyn Clock> = Rc::new(BrowserClock);
    let (mut bench, restored) = Workbench::restore(clock, saved);
    for (slug, files) in bundled::LESSONS {
        let files = files.iter().map(|(p, b)| (p.to_string(), b.to_vec())).collect();
        if let Err(e) = bench.add_lesson(slug, files) {
            post(&Note::Problem { message: format!("lesson {slug}: {e}") });
        }
    }
    if !restored {
        starter(&mut bench);
    }
    // Build progress reaches the page while the build runs: postMessage does not wait
    // for this worker to finish the call.
    bench.set_front_end(FrontEnd {
        progress: Some(Rc::new(|text: &str| post(&Note::Progress { text: text.to_string() }))),
        input: Some(Rc::new(read_typed_line)),
        pause: Some(Rc::new(pause)),
        follow: Some(Rc::new(pause)),
    });
    let prompt = bench.session().prompt();
    let worker = Rc::new(RefCell::new(Worker { bench, db }));
    WORKER.with(|w| *w.borrow_mut() = Some(worker.clone()));
    if !restored {
        save(&worker).await;
    }
    let onmessage = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let Some(text) = event.data().as_string() else { return };
        let call: Call = match serde_json::from_str(&text) {
            Ok(c) => c,
            Err(e) => {
                post(&Note::Problem { message: format!("a message the engine does not understand: {e}") });
                return;
            }
        };
        let worker = worker.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let response = worker.borrow_mut().bench.handle(call.request);
            save(&worker).await;
            post(&Note::Reply { id: call.id, response });
        });
    });
    scope().set_onmessage(Some(onmessage.as_ref().unchecked_ref()));
    onmessage.forget();
    post(&Note::Ready { prompt, restored });
}

/// Blocks until the page's service worker hands over the line typed in the terminal:
/// a synchronous request works in a worker without cross-origin isolation. `None` (end
/// of input) when there is no service worker to answer, or on Ctrl-D.
fn read_typed_line(shown: &str) -> Option<String> {
    post(&Note::Input { shown: shown.to_string() });
    let xhr = web_sys::XmlHttpRequest::new().ok()?;
    xhr.open_with_async("GET", &format!("./{STDIN_PATH}"), false).ok()?;
    xhr.send().ok()?;
    if xhr.status().ok()? != 200 {
        return None;
    }
    xhr.response_text().ok()?
}

/// `sleep`: shows the output so far, then blocks on a request the service worker answers
/// after the delay. Without a service worker it returns at once (simulated time). False
/// when the service worker cut the wait short because the user pressed Ctrl-C.
fn pause(shown: &str, secs: f64) -> bool {
    if !shown.is_empty() {
        post(&Note::Progress { text: shown.to_string() });
    }
    let ms = (secs * 1000.0).clamp(0.0, 3_600_000.0) as u64;
    let Ok(xhr) = web_sys::XmlHttpRequest::new() else { return true };
    if xhr.open_with_async("GET", &format!("./{SLEEP_PATH}?ms={ms}"), false).is_err() || xhr.send().is_err() {
        return true;
    }
    let interrupted = xhr.status().ok() == Some(INTERRUPTED_STATUS);
    if interrupted {
        post(&Note::Interrupted);
    }
    !interrupted
}

/// Writes what the last call changed to IndexedDB and waits for the commit.
async fn save(worker: &Rc<RefCell<Worker>>) {
    let (records, db) = {
        let mut w = worker.borrow_mut();
        (w.bench.take_changes(), w.db.clone())
    };
    let Some(db) = db else { return };
    if let Err(e) = web::idb::apply(&db, &records).await {
        post(&Note::Problem { message: format!("could not save the sandbox: {e:?}") });
    }
}

fn main() {
    std::panic::set_hook(Box::new(|info| {
        post(&Note::Problem { message: format!("the engine stopped on an internal error: {info}") });
    }));
    wasm_bindgen_futures::spawn_local(start());
}
