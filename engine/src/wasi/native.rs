//! The native [`WasmRuntime`]: wasmtime (Cranelift), every import answered by
//! [`WasiHost::call`]. A module is compiled once per process and, where a cache file is
//! named, serialized next to it so the next process loads it in about a millisecond.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use wasmtime::{Config, Engine, Extern, FuncType, Linker, Module, Store, Val};

use super::{params, Exit, Program, ValType, WasiHost, WasmRuntime, IMPORTS};

/// wasmtime with a per-process cache of compiled modules.
pub struct Wasmtime {
    engine: Engine,
    linker: Linker<Data>,
    modules: Mutex<HashMap<String, Module>>,
    /// Where compiled modules are kept between processes (`<name>.cwasm`).
    cache_dir: Option<PathBuf>,
}

/// What the store carries: the host of the run in progress.
struct Data {
    host: *mut WasiHost<'static>,
    exit: Option<Exit>,
}

impl Wasmtime {
    pub fn new(cache_dir: Option<PathBuf>) -> Result<Wasmtime, String> {
        let mut config = Config::new();
        // Ctrl-C and `docker stop` end a guest that never calls the host (`while True: pass`).
        config.epoch_interruption(true);
        let engine = Engine::new(&config).map_err(|e| e.to_string())?;
        let mut linker: Linker<Data> = Linker::new(&engine);
        for (name, signature) in IMPORTS {
            let args: Vec<wasmtime::ValType> = params(signature)
                .map(|t| match t {
                    ValType::I32 => wasmtime::ValType::I32,
                    ValType::I64 => wasmtime::ValType::I64,
                })
                .collect();
            let results = if *name == "proc_exit" { vec![] } else { vec![wasmtime::ValType::I32] };
            let ty = FuncType::new(&engine, args, results);
            linker
                .func_new("wasi_snapshot_preview1", name, ty, move |mut caller, args, results| {
                    let values: Vec<i64> = args
                        .iter()
                        .map(|v| match v {
                            Val::I32(x) => i64::from(*x as u32),
                            Val::I64(x) => *x,
                            _ => 0,
                        })
                        .collect();
                    let Some(memory) = caller.get_export("memory").and_then(Extern::into_memory) else {
                        return Err(wasmtime::Error::msg("the module exports no memory"));
                    };
                    let (bytes, data) = memory.data_and_store_mut(&mut caller);
                    // SAFETY: `host` points at the `WasiHost` that `run` borrows mutably
                    // for the whole of the call that reaches this import, and the store
                    // holding the pointer is dropped before `run` returns.
                    #[allow(unsafe_code)]
                    let host = unsafe { &mut *data.host };
                    match host.call(name, &values, &mut super::SliceMemory(bytes)) {
                        Ok(errno) => {
                            if let Some(r) = results.first_mut() {
                                *r = Val::I32(errno);
                            }
                            Ok(())
                        }
                        Err(exit) => {
                            data.exit = Some(exit);
                            Err(wasmtime::Error::msg("exit"))
                        }
                    }
                })
                .map_err(|e| e.to_string())?;
        }
        Ok(Wasmtime { engine, linker, modules: Mutex::new(HashMap::new()), cache_dir })
    }

    fn module(&self, program: &Program) -> Result<Module, String> {
        let key = format!("{}-{}", program.name, program.wasm.len());
        if let Some(m) = self.modules.lock().map_err(|e| e.to_string())?.get(&key) {
            return Ok(m.clone());
        }
        // Only the interpreter is worth a file; other modules are compiled per process.
        let dir = self.cache_dir.as_ref().filter(|_| program.name == "python");
        let cached = dir.map(|d| d.join(format!("{}.cwasm", program.name)));
        let stamp = dir.map(|d| d.join(format!("{}.cwasm.key", program.name)));
        let fingerprint = match dir {
            // Size and the two ends: cheap at every start, and a rebuild changes them.
            Some(_) => {
                let w = &program.wasm;
                let (head, tail) = (&w[..w.len().min(1 << 16)], &w[w.len().saturating_sub(1 << 16)..]);
                format!("{} {} {} {}\n", env!("CARGO_PKG_VERSION"), w.len(), crate::image::digest::Digest::of(head).hex(), crate::image::digest::Digest::of(tail).hex())
            }
            None => String::new(),
        };
        let mut module = None;
        if let (Some(path), Some(stamp)) = (&cached, &stamp) {
            if std::fs::read_to_string(stamp).is_ok_and(|s| s == fingerprint) {
                // SAFETY: the file is one this runtime serialized (its key names the
                // source module), and wasmtime checks its engine configuration.
                #[allow(unsafe_code)]
                let loaded = unsafe { Module::deserialize_file(&self.engine, path) };
                module = loaded.ok();
            }
        }
        let module = match module {
            Some(m) => m,
            None => {
                let m = Module::new(&self.engine, program.wasm.as_slice()).map_err(|e| format!("{}: {e}", program.name))?;
                if let (Some(path), Some(stamp), Ok(bytes)) = (&cached, &stamp, m.serialize()) {
                    let tmp = path.with_extension("cwasm.tmp");
                    if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, path).is_ok() {
                        let _ = std::fs::write(stamp, &fingerprint);
                    }
                }
                m
            }
        };
        self.modules.lock().map_err(|e| e.to_string())?.insert(key, module.clone());
        Ok(module)
    }
}

impl WasmRuntime for Wasmtime {
    fn run(&self, program: &Program, host: &mut WasiHost<'_>) -> Result<i32, String> {
        let module = self.module(program)?;
        let flag = host.interrupt_flag();
        let ptr = (host as *mut WasiHost<'_>).cast::<WasiHost<'static>>();
        let mut store = Store::new(&self.engine, Data { host: ptr, exit: None });
        store.set_epoch_deadline(1);
        let done = Arc::new(AtomicBool::new(false));
        let timed_out = Arc::new(AtomicBool::new(false));
        let limit = host.time_limit().map(std::time::Duration::from_secs_f64);
        let paused = host.paused_time();
        // Stops the guest at the next epoch check when the interrupt flag is set or the
        // time limit passes.
        let watcher = (flag.is_some() || limit.is_some()).then(|| {
            let (engine, done, timed_out) = (self.engine.clone(), done.clone(), timed_out.clone());
            let started = std::time::Instant::now();
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    let running = started.elapsed().saturating_sub(std::time::Duration::from_nanos(paused.load(Ordering::Relaxed)));
                    let over = limit.is_some_and(|l| running >= l);
                    if over || flag.as_ref().is_some_and(|f| f.load(Ordering::Relaxed)) {
                        timed_out.store(over, Ordering::Relaxed);
                        engine.increment_epoch();
                        return;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(10));
                }
            })
        });
        let result = (|| {
            let instance = self.linker.instantiate(&mut store, &module).map_err(|e| format!("{}: {e}", program.name))?;
            let start = instance.get_typed_func::<(), ()>(&mut store, "_start").map_err(|e| format!("{}: {e}", program.name))?;
            Ok::<_, String>(start.call(&mut store, ()))
        })();
        done.store(true, Ordering::Relaxed);
        if let Some(w) = watcher {
            let _ = w.join();
        }
        let exit = store.data_mut().exit.take();
        drop(store);
        match (result?, exit) {
            (_, Some(Exit::Status(code))) => Ok(code),
            (_, Some(Exit::Interrupted)) => Ok(130),
            (_, Some(Exit::TimedOut)) => Ok(137),
            (Ok(()), None) => Ok(0),
            (Err(e), None) => {
                if e.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::Interrupt) {
                    if timed_out.load(Ordering::Relaxed) {
                        host.note_timeout();
                        return Ok(137);
                    }
                    return Ok(130);
                }
                Err(format!("{}: {}", program.name, e.root_cause()))
            }
        }
    }
}

/// The directory of the interpreter build: `BERTH_PYTHON_DIR`, or the newest
/// `python-wasi-*` that `scripts/build-python` left in the cache (`BERTH_CACHE`,
/// `~/.cache/berth`).
pub fn python_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("BERTH_PYTHON_DIR") {
        return Some(PathBuf::from(dir));
    }
    let cache = crate::wasi::cache_dir()?;
    let mut builds: Vec<PathBuf> = std::fs::read_dir(cache)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("python-wasi-") && !n.ends_with("-build") && !n.ends_with(".tmp")))
        .filter(|p| p.join("python.wasm").is_file() && p.join("python311.zip").is_file())
        .collect();
    builds.sort();
    builds.pop()
}

/// The wheelhouse `scripts/fetch-wheels` left: `BERTH_WHEELHOUSE`, or the newest
/// `wheelhouse-*` in the cache.
pub fn wheelhouse_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("BERTH_WHEELHOUSE") {
        return Some(PathBuf::from(dir));
    }
    crate::wasi::newest_in_cache("wheelhouse-", "index.json")
}

fn load_build(dir: &std::path::Path) -> Result<super::PythonBuild, String> {
    let read = |name: &str| std::fs::read(dir.join(name)).map_err(|e| format!("{}: {e}", dir.join(name).display()));
    let version = String::from_utf8_lossy(&read("VERSION").unwrap_or_else(|_| b"3.11".to_vec())).trim().to_string();
    Ok(super::PythonBuild { interpreter: Program { name: "python".into(), wasm: Arc::new(read("python.wasm")?) }, stdlib: Arc::new(read("python311.zip")?), version })
}

thread_local! {
    static BUILD: std::cell::RefCell<Option<super::PythonBuild>> = const { std::cell::RefCell::new(None) };
}

/// The native machine: wasmtime, the interpreter build found by [`python_dir`] (an
/// error until `scripts/build-python` has run), the system clock.
pub fn machine() -> Option<super::Machine> {
    let dir = python_dir();
    let runtime = Wasmtime::new(dir.clone()).ok()?;
    let python = move || {
        if let Some(b) = BUILD.with(|b| b.borrow().clone()) {
            return Ok(b);
        }
        let dir = dir.as_deref().ok_or("the Python interpreter has not been built (run scripts/build-python)")?;
        let build = load_build(dir)?;
        BUILD.with(|b| *b.borrow_mut() = Some(build.clone()));
        Ok(build)
    };
    let clock = || std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos() as u64).unwrap_or(0);
    let wheelhouse = wheelhouse_dir();
    let wheels = move |name: &str, version: &str| {
        let kept = wheelhouse.as_ref().and_then(|dir| {
            let file = super::wheel_file(&std::fs::read(dir.join("index.json")).ok()?, name, version)?;
            std::fs::read(dir.join(file)).ok().map(Arc::new)
        });
        // Else a pure-Python project of PyPI's list, downloaded on demand.
        #[cfg(feature = "tls")]
        let kept = kept.or_else(|| crate::shell::packages::pypi_index::fetch_wheel(name, version));
        kept
    };
    // A runaway program in a build or a script stops after ten minutes, or after
    // BERTH_PROGRAM_TIMEOUT seconds.
    let time_limit = std::env::var("BERTH_PROGRAM_TIMEOUT").ok().and_then(|v| v.parse::<f64>().ok()).or(Some(600.0)).filter(|s| *s > 0.0);
    let debian_dir = crate::shell::packages::debian_index::native_dir();
    let pypi_dir = crate::shell::packages::pypi_index::native_dir();
    let indexes = move |path: &str| {
        // Paths come from the engine (`debian/release/NN.tsv`, `pypi/NN.jsonl`); nothing
        // climbs out.
        if path.split('/').any(|p| p == ".." || p.is_empty()) {
            return None;
        }
        let (dir, rest) = match path.split_once('/')? {
            ("debian", rest) => (debian_dir.as_ref()?, rest),
            ("pypi", rest) => (pypi_dir.as_ref()?, rest),
            _ => return None,
        };
        std::fs::read(dir.join(rest)).ok().map(Arc::new)
    };
    Some(super::Machine { runtime: std::rc::Rc::new(runtime), python: std::rc::Rc::new(python), clock: std::rc::Rc::new(clock), wheels: std::rc::Rc::new(wheels), indexes: std::rc::Rc::new(indexes), time_limit })
}
