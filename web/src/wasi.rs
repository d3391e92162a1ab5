//! The browser's [`WasmRuntime`]: the worker's own `WebAssembly` runs a module, and every
//! import it makes is answered by the engine's [`WasiHost::call`], the same code wasmtime
//! calls natively. The interpreter build (`python/` next to the page) is fetched on the
//! first `python` and kept; the service worker caches it for offline use.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use engine::api::machine::{Exit, GuestMemory, Machine, Program, PythonBuild, WasiHost, WasmRuntime, IMPORTS};
use js_sys::{Array, Object, Reflect, Uint8Array, WebAssembly};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

/// Where the page keeps the interpreter build, relative to the worker.
pub const PYTHON_DIR: &str = "./python";

thread_local! {
    /// The host of the run in progress, for the imports' callback.
    static CURRENT: Cell<Option<*mut WasiHost<'static>>> = const { Cell::new(None) };
    static MEMORY: RefCell<Option<WebAssembly::Memory>> = const { RefCell::new(None) };
    static EXIT: RefCell<Option<Exit>> = const { RefCell::new(None) };
    static PYTHON: RefCell<Option<PythonBuild>> = const { RefCell::new(None) };
}

struct JsMemory(WebAssembly::Memory);

impl GuestMemory for JsMemory {
    fn read(&self, ptr: u32, len: u32) -> Option<Vec<u8>> {
        let bytes = Uint8Array::new(&self.0.buffer());
        let end = ptr.checked_add(len)?;
        if end > bytes.length() {
            return None;
        }
        let mut out = vec![0u8; len as usize];
        bytes.subarray(ptr, end).copy_to(&mut out);
        Some(out)
    }

    fn write(&mut self, ptr: u32, data: &[u8]) -> bool {
        let bytes = Uint8Array::new(&self.0.buffer());
        let Some(end) = ptr.checked_add(data.len() as u32).filter(|e| *e <= bytes.length()) else { return false };
        bytes.subarray(ptr, end).copy_from(data);
        true
    }
}

/// Runs modules with the browser's WebAssembly; compiled modules are kept by name.
#[derive(Default)]
pub struct BrowserRuntime {
    modules: RefCell<HashMap<String, WebAssembly::Module>>,
}

fn js_error(e: JsValue) -> String {
    e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())).or_else(|| e.as_string()).unwrap_or_else(|| format!("{e:?}"))
}

/// One import's arguments as the host takes them: i32s zero-extended, i64s (BigInts) as
/// they are.
fn argument(v: &JsValue) -> i64 {
    if let Some(n) = v.as_f64() {
        return i64::from(n as i32 as u32);
    }
    v.dyn_ref::<js_sys::BigInt>().and_then(|b| b.to_string(10).ok()).and_then(|s| String::from(s).parse::<i64>().ok()).unwrap_or(0)
}

/// The callback every import calls with its index and arguments.
fn dispatch(index: u32, args: Array) -> Result<JsValue, JsValue> {
    let Some((name, _)) = IMPORTS.get(index as usize) else { return Err(JsValue::from_str("unknown import")) };
    let values: Vec<i64> = args.iter().map(|v| argument(&v)).collect();
    let Some(memory) = MEMORY.with(|m| m.borrow().clone()) else { return Err(JsValue::from_str("the module exports no memory")) };
    let Some(host) = CURRENT.with(Cell::get) else { return Err(JsValue::from_str("no process is running")) };
    // SAFETY: `run` sets CURRENT to the host it borrows mutably for the whole call of
    // `_start`, and clears it before it returns; imports are only called inside it.
    #[allow(unsafe_code)]
    let host = unsafe { &mut *host };
    match host.call(name, &values, &mut JsMemory(memory)) {
        Ok(errno) => Ok(JsValue::from(errno)),
        Err(exit) => {
            EXIT.with(|e| *e.borrow_mut() = Some(exit));
            Err(JsValue::from_str("exit"))
        }
    }
}

impl BrowserRuntime {
    fn module(&self, program: &Program) -> Result<WebAssembly::Module, String> {
        let key = format!("{}-{}", program.name, program.wasm.len());
        if let Some(m) = self.modules.borrow().get(&key) {
            return Ok(m.clone());
        }
        let bytes = Uint8Array::from(program.wasm.as_slice());
        let module = WebAssembly::Module::new(&bytes.into()).map_err(|e| format!("{}: {}", program.name, js_error(e)))?;
        self.modules.borrow_mut().insert(key, module.clone());
        Ok(module)
    }
}

impl WasmRuntime for BrowserRuntime {
    fn run(&self, program: &Program, host: &mut WasiHost<'_>) -> Result<i32, String> {
        let module = self.module(program)?;
        let callback = Closure::<dyn Fn(u32, Array) -> Result<JsValue, JsValue>>::new(dispatch);
        // One small function per import, each passing its index and arguments on.
        let make = js_sys::Function::new_with_args("callback, index", "return function (...args) { return callback(index, args); };");
        let table = Object::new();
        for (i, (name, _)) in IMPORTS.iter().enumerate() {
            let f = make.call2(&JsValue::NULL, callback.as_ref(), &JsValue::from(i as u32)).map_err(js_error)?;
            Reflect::set(&table, &JsValue::from_str(name), &f).map_err(js_error)?;
        }
        let imports = Object::new();
        Reflect::set(&imports, &JsValue::from_str("wasi_snapshot_preview1"), &table).map_err(js_error)?;
        let instance = WebAssembly::Instance::new(&module, &imports).map_err(|e| format!("{}: {}", program.name, js_error(e)))?;
        let exports = instance.exports();
        let memory: WebAssembly::Memory = Reflect::get(&exports, &JsValue::from_str("memory")).map_err(js_error)?.dyn_into().map_err(|_| format!("{}: the module exports no memory", program.name))?;
        let start: js_sys::Function = Reflect::get(&exports, &JsValue::from_str("_start")).map_err(js_error)?.dyn_into().map_err(|_| format!("{}: the module has no _start", program.name))?;
        MEMORY.with(|m| *m.borrow_mut() = Some(memory));
        EXIT.with(|e| *e.borrow_mut() = None);
        CURRENT.with(|c| c.set(Some((host as *mut WasiHost<'_>).cast::<WasiHost<'static>>())));
        let result = start.call0(&JsValue::NULL);
        CURRENT.with(|c| c.set(None));
        MEMORY.with(|m| *m.borrow_mut() = None);
        drop(callback);
        match (result, EXIT.with(|e| e.borrow_mut().take())) {
            (_, Some(Exit::Status(code))) => Ok(code),
            (_, Some(Exit::Interrupted)) => Ok(130),
            (_, Some(Exit::TimedOut)) => Ok(137),
            (Ok(_), None) => Ok(0),
            (Err(e), None) => Err(format!("{}: {}", program.name, js_error(e))),
        }
    }
}

/// Where the page keeps its wheelhouse.
pub const WHEELS_DIR: &str = "./wheels";
/// Where the page serves the generated package indexes, `debian/` and `pypi/`
/// (`build_web` copies them).
pub const INDEX_DIR: &str = ".";

/// Fetches `name` from the interpreter's directory with a synchronous request (the
/// worker may block; the service worker answers from its cache when offline).
fn fetch(name: &str) -> Result<Vec<u8>, String> {
    fetch_from(PYTHON_DIR, name)
}

fn fetch_from(dir: &str, name: &str) -> Result<Vec<u8>, String> {
    let url = format!("{dir}/{name}");
    let xhr = web_sys::XmlHttpRequest::new().map_err(js_error)?;
    xhr.open_with_async("GET", &url, false).map_err(js_error)?;
    xhr.set_response_type(web_sys::XmlHttpRequestResponseType::Arraybuffer);
    xhr.send().map_err(|e| format!("{url}: {}", js_error(e)))?;
    match xhr.status().map_err(js_error)? {
        200 => Ok(Uint8Array::new(&xhr.response().map_err(js_error)?).to_vec()),
        status => Err(format!("{url}: HTTP {status} (this build of the page has no Python interpreter)")),
    }
}

fn python_build() -> Result<PythonBuild, String> {
    if let Some(b) = PYTHON.with(|p| p.borrow().clone()) {
        return Ok(b);
    }
    let version = fetch("VERSION").map(|v| String::from_utf8_lossy(&v).trim().to_string()).unwrap_or_else(|_| "3.11".into());
    let build = PythonBuild { interpreter: Program { name: "python".into(), wasm: Arc::new(fetch("python.wasm")?) }, stdlib: Arc::new(fetch("python311.zip")?), version };
    PYTHON.with(|p| *p.borrow_mut() = Some(build.clone()));
    Ok(build)
}

/// A wheel of the page's wheelhouse (`wheels/`, listed by its `index.json`).
fn wheel(name: &str, version: &str) -> Option<Arc<Vec<u8>>> {
    thread_local! {
        static INDEX: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
    }
    let index = match INDEX.with(|i| i.borrow().clone()) {
        Some(i) => i,
        None => {
            let i = fetch_from(WHEELS_DIR, "index.json").unwrap_or_default();
            INDEX.with(|x| *x.borrow_mut() = Some(i.clone()));
            i
        }
    };
    let file = engine::api::machine::wheel_file(&index, name, version)?;
    fetch_from(WHEELS_DIR, &file).ok().map(Arc::new)
}

/// A file of a generated package index the page serves (`debian/…`, `pypi/…`), fetched
/// when apt or pip first needs it; a page built without one answers 404 and they use
/// their curated indexes.
fn package_index(path: &str) -> Option<Arc<Vec<u8>>> {
    fetch_from(INDEX_DIR, path).ok().map(Arc::new)
}

/// The worker's machine: the browser's WebAssembly, the interpreter fetched on first
/// use, the page's clock.
pub fn machine() -> Machine {
    Machine {
        runtime: Rc::new(BrowserRuntime::default()),
        python: Rc::new(python_build),
        clock: Rc::new(|| (js_sys::Date::now() * 1_000_000.0) as u64),
        wheels: Rc::new(wheel),
        indexes: Rc::new(package_index),
        // Ctrl-C stops a runaway program in the page (the worker is replaced).
        time_limit: None,
    }
}
