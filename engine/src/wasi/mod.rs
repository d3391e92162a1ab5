//! WASI preview 1, implemented once over the engine's [`FileSystem`]: what a WebAssembly
//! program (`\0asm`, the CPython interpreter behind `python`) sees of its container.
//!
//! [`WasiHost`] holds a process's arguments, environment, open files and streams, and
//! answers each import by name through [`WasiHost::call`], reading and writing the
//! guest's linear memory through [`GuestMemory`]. The runtime that executes the module
//! is a [`WasmRuntime`]: wasmtime natively (`native.rs`), the browser's `WebAssembly` in
//! the web worker. Both hand every import to the same `call`, so the two behave alike.
//!
//! What preview 1 has no room for is refused the way WASI runtimes refuse it: sockets
//! (`ENOTSUP`), signals (`ENOSYS`), `chmod` (there is no call for it).

mod host;
#[cfg(all(feature = "wasmtime", not(target_arch = "wasm32")))]
pub mod native;
pub mod python;

pub use host::{Exit, WasiHost};

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

/// The guest's linear memory, as the runtime lends it for one call.
pub trait GuestMemory {
    /// `len` bytes at `ptr`, or `None` when they lie outside the memory.
    fn read(&self, ptr: u32, len: u32) -> Option<Vec<u8>>;
    /// Writes `data` at `ptr`; false when it does not fit.
    fn write(&mut self, ptr: u32, data: &[u8]) -> bool;
}

/// A memory that is a plain byte slice (wasmtime's view of it, and tests).
pub struct SliceMemory<'a>(pub &'a mut [u8]);

impl GuestMemory for SliceMemory<'_> {
    fn read(&self, ptr: u32, len: u32) -> Option<Vec<u8>> {
        let start = ptr as usize;
        self.0.get(start..start.checked_add(len as usize)?).map(<[u8]>::to_vec)
    }

    fn write(&mut self, ptr: u32, data: &[u8]) -> bool {
        let start = ptr as usize;
        match start.checked_add(data.len()).and_then(|end| self.0.get_mut(start..end)) {
            Some(dst) => {
                dst.copy_from_slice(data);
                true
            }
            None => false,
        }
    }
}

/// A value type of an import's signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValType {
    I32,
    I64,
}

/// The preview 1 imports: name and parameter types (`i` i32, `I` i64). Every one returns
/// an i32 errno except `proc_exit`, which does not return.
pub const IMPORTS: &[(&str, &str)] = &[
    ("args_get", "ii"),
    ("args_sizes_get", "ii"),
    ("environ_get", "ii"),
    ("environ_sizes_get", "ii"),
    ("clock_res_get", "ii"),
    ("clock_time_get", "iIi"),
    ("fd_advise", "iIIi"),
    ("fd_allocate", "iII"),
    ("fd_close", "i"),
    ("fd_datasync", "i"),
    ("fd_fdstat_get", "ii"),
    ("fd_fdstat_set_flags", "ii"),
    ("fd_fdstat_set_rights", "iII"),
    ("fd_filestat_get", "ii"),
    ("fd_filestat_set_size", "iI"),
    ("fd_filestat_set_times", "iIIi"),
    ("fd_pread", "iiiIi"),
    ("fd_prestat_get", "ii"),
    ("fd_prestat_dir_name", "iii"),
    ("fd_pwrite", "iiiIi"),
    ("fd_read", "iiii"),
    ("fd_readdir", "iiiIi"),
    ("fd_renumber", "ii"),
    ("fd_seek", "iIii"),
    ("fd_sync", "i"),
    ("fd_tell", "ii"),
    ("fd_write", "iiii"),
    ("path_create_directory", "iii"),
    ("path_filestat_get", "iiiii"),
    ("path_filestat_set_times", "iiiiIIi"),
    ("path_link", "iiiiiii"),
    ("path_open", "iiiiiIIii"),
    ("path_readlink", "iiiiii"),
    ("path_remove_directory", "iii"),
    ("path_rename", "iiiiii"),
    ("path_symlink", "iiiii"),
    ("path_unlink_file", "iii"),
    ("poll_oneoff", "iiii"),
    ("proc_exit", "i"),
    ("proc_raise", "i"),
    ("sched_yield", ""),
    ("random_get", "ii"),
    ("sock_accept", "iii"),
    ("sock_recv", "iiiiii"),
    ("sock_send", "iiiii"),
    ("sock_shutdown", "ii"),
];

/// The parameter types of an import.
pub fn params(signature: &str) -> impl Iterator<Item = ValType> + '_ {
    signature.chars().map(|c| if c == 'I' { ValType::I64 } else { ValType::I32 })
}

/// A WebAssembly program ready to run: its bytes and a name for caches and messages.
#[derive(Clone)]
pub struct Program {
    pub name: String,
    pub wasm: Arc<Vec<u8>>,
}

/// What executes a module's `_start` with a [`WasiHost`] answering its imports.
pub trait WasmRuntime {
    /// Runs `program` to its end; the exit status, or why it could not run (a trap,
    /// a module that is not WebAssembly, an interrupt).
    fn run(&self, program: &Program, host: &mut WasiHost<'_>) -> Result<i32, String>;
}

/// The interpreter behind `python`: the module, its standard library (a zip of `.pyc`)
/// and the CPython version the build is.
#[derive(Clone)]
pub struct PythonBuild {
    pub interpreter: Program,
    pub stdlib: Arc<Vec<u8>>,
    pub version: String,
}

/// Gives the `.whl` bytes of a distribution (normalized name, version), if available.
pub type WheelSource = dyn Fn(&str, &str) -> Option<Arc<Vec<u8>>>;

/// Where a front end finds a file of a package index, by its relative path.
pub type IndexSource = dyn Fn(&str) -> Option<Arc<Vec<u8>>>;

/// Where the front end keeps the runtime and the interpreter: set once per thread
/// (the native binary at start, the browser's worker when it loads).
#[derive(Clone)]
pub struct Machine {
    pub runtime: Rc<dyn WasmRuntime>,
    /// Finds (or fetches, the first time) the interpreter build.
    pub python: Rc<dyn Fn() -> Result<PythonBuild, String>>,
    /// The real time, in nanoseconds since the Unix epoch.
    pub clock: Rc<dyn Fn() -> u64>,
    /// The wheelhouse (`engine/catalog/wheelhouse.txt`): the `.whl` of a distribution
    /// name and version, where the build has it.
    pub wheels: Rc<WheelSource>,
    /// A file of a generated package index by its path (`debian/bookworm/07.tsv`,
    /// `pypi/07.jsonl`; see `shell::packages::debian_index` and `pypi_index`), where
    /// the front end has the index.
    pub indexes: Rc<IndexSource>,
    /// Seconds a program may run before it is stopped (exit 137), where the runtime can
    /// stop it.
    pub time_limit: Option<f64>,
}

/// The wheel of `name==version` from the front end's wheelhouse, if it has one.
pub fn wheel(name: &str, version: &str) -> Option<Arc<Vec<u8>>> {
    (machine()?.wheels)(&name.to_lowercase().replace('_', "-"), version)
}

/// The wheel file named for `name==version` in a wheelhouse's `index.json`.
pub fn wheel_file(index: &[u8], name: &str, version: &str) -> Option<String> {
    let index: std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>> = serde_json::from_slice(index).ok()?;
    index.get(name)?.get(version).cloned()
}

/// Berth's cache on this machine, where the scripts leave what they build and generate
/// (the interpreter, the wheelhouse, the package indexes): `BERTH_CACHE`, else
/// `~/.cache/berth`.
#[cfg(not(target_arch = "wasm32"))]
pub fn cache_dir() -> Option<std::path::PathBuf> {
    std::env::var_os("BERTH_CACHE").map(std::path::PathBuf::from).or_else(|| std::env::var_os("HOME").map(|h| std::path::PathBuf::from(h).join(".cache/berth")))
}

/// The newest `PREFIX*` directory in [`cache_dir`] that holds `marker` (what its script
/// writes last, so only a finished one counts), by the marker's time.
#[cfg(not(target_arch = "wasm32"))]
pub fn newest_in_cache(prefix: &str, marker: &str) -> Option<std::path::PathBuf> {
    let mut found: Vec<(std::time::SystemTime, std::path::PathBuf)> = std::fs::read_dir(cache_dir()?)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(prefix) && !n.ends_with(".tmp")))
        .filter_map(|p| Some((std::fs::metadata(p.join(marker)).ok()?.modified().ok()?, p)))
        .collect();
    found.sort();
    found.pop().map(|(_, p)| p)
}

thread_local! {
    static MACHINE: RefCell<Option<Machine>> = const { RefCell::new(None) };
}

/// Installs the runtime for programs run on this thread.
pub fn install(machine: Machine) {
    MACHINE.with(|m| *m.borrow_mut() = Some(machine));
}

/// The runtime installed on this thread. Natively, the first call installs wasmtime
/// with the interpreter build, where one has been built.
pub fn machine() -> Option<Machine> {
    if let Some(m) = MACHINE.with(|m| m.borrow().clone()) {
        return Some(m);
    }
    #[cfg(all(feature = "wasmtime", not(target_arch = "wasm32")))]
    {
        thread_local! {
            static TRIED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
        }
        if !TRIED.with(|t| t.replace(true)) {
            if let Some(m) = native::machine() {
                install(m.clone());
                return Some(m);
            }
        }
    }
    None
}

/// Whether `python` runs on the real interpreter here (a runtime and a build).
pub fn python_available() -> bool {
    machine().is_some_and(|m| (m.python)().is_ok())
}

/// Whether `data` is a WebAssembly module (`\0asm`).
pub fn is_wasm(data: &[u8]) -> bool {
    data.starts_with(b"\0asm")
}

/// Runs `program` as a process of the container `ctx` belongs to: `args`, the
/// environment `vars`, its stdin and streams, `files` added read-only to its view.
/// Output goes to the context's streams; the exit status, or why it could not run.
pub fn run_process(machine: &Machine, program: &Program, args: Vec<String>, vars: Vec<(String, String)>, files: Vec<(String, Arc<Vec<u8>>)>, ctx: &mut crate::shell::applets::Ctx) -> Result<i32, String> {
    let stdin = std::mem::take(&mut ctx.stdin);
    // A process that may be replayed reads the simulated clock (its sleeps move it on, and
    // each reading a microsecond), so that a replay sees the same times and random seed.
    let simulated = ctx.replayable && ctx.now.is_some();
    let clock: Rc<dyn Fn() -> u64> = match (ctx.replayable, ctx.now) {
        (true, Some(now)) => {
            let readings = std::cell::Cell::new(0u64);
            let base = u64::try_from(now).unwrap_or(0).saturating_mul(1_000_000_000);
            Rc::new(move || {
                readings.set(readings.get() + 1);
                base + readings.get() * 1_000
            })
        }
        _ => machine.clock.clone(),
    };
    let (status, output, consumed) = {
        let mut host = WasiHost::new(&mut *ctx.fs, args, vars, stdin.clone(), clock);
        for (path, data) in files {
            host.add_host_file(&path, data);
        }
        host.set_user(ctx.uid, ctx.gid);
        host.set_tty(ctx.terminal.is_some());
        host.set_terminal(ctx.terminal.clone());
        host.set_pause(ctx.pause.clone());
        host.set_simulated_clock(simulated);
        host.set_interrupt(ctx.interrupt.clone());
        host.set_time_limit(machine.time_limit);
        let status = machine.runtime.run(program, &mut host);
        let consumed = host.stdin_consumed();
        (status, std::mem::take(&mut host.output), consumed)
    };
    ctx.stdin = stdin;
    ctx.stdin_consumed = consumed.min(ctx.stdin.len());
    for (stream, bytes) in output {
        if stream == 2 {
            ctx.err(&String::from_utf8_lossy(&bytes));
        } else {
            ctx.stdout.extend_from_slice(&bytes);
        }
    }
    status.map(|code| code & 0xff)
}

/// A process's environment: its parent's exported variables, with `PWD` the directory it
/// starts in (WASI programs start in `/`; the interpreter build goes to `PWD` first).
pub fn process_env(ctx: &crate::shell::applets::Ctx) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = ctx.env.iter().filter(|(k, _)| k.as_str() != "PWD").map(|(k, v)| (k.clone(), v.clone())).collect();
    vars.push(("PWD".into(), ctx.cwd.clone()));
    vars
}

/// Executes the WebAssembly module at `path` (a file starting with `\0asm`) with `argv`.
pub fn exec_module(path: &str, argv: &[String], ctx: &mut crate::shell::applets::Ctx) -> i32 {
    let name = argv.first().cloned().unwrap_or_else(|| path.to_string());
    let Some(machine) = machine() else {
        return ctx.fail(&name, "Exec format error (this build of Berth has no WebAssembly runtime)", 126);
    };
    let wasm = match ctx.fs.read(path) {
        Ok(w) => w,
        Err(e) => return ctx.fail(&name, e.errno.message(), 126),
    };
    let program = Program { name: format!("module-{}", &crate::image::digest::Digest::of(&wasm).hex()[..12]), wasm: Arc::new(wasm) };
    match run_process(&machine, &program, argv.to_vec(), process_env(ctx), Vec::new(), ctx) {
        Ok(code) => code,
        Err(e) => ctx.fail(&name, &e, 126),
    }
}

#[cfg(all(test, feature = "wasmtime", not(target_arch = "wasm32")))]
mod tests {
    use crate::shell::{Flavor, Shell};
    use crate::vfs::{Attrs, Content, FileSystem, MemoryFs};

    fn section(id: u8, content: &[u8]) -> Vec<u8> {
        let mut s = vec![id, content.len() as u8];
        s.extend_from_slice(content);
        s
    }

    fn name(s: &str) -> Vec<u8> {
        let mut v = vec![s.len() as u8];
        v.extend_from_slice(s.as_bytes());
        v
    }

    /// A WASI command written out by hand: writes `hi from wasm` to stdout with
    /// `fd_write`, then `proc_exit(3)`.
    fn hello_module() -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        m.extend(section(1, &[3, 0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f, 0x60, 1, 0x7f, 0, 0x60, 0, 0]));
        let mut imports = vec![2];
        for (field, ty) in [("fd_write", 0u8), ("proc_exit", 1)] {
            imports.extend(name("wasi_snapshot_preview1"));
            imports.extend(name(field));
            imports.extend([0, ty]);
        }
        m.extend(section(2, &imports));
        m.extend(section(3, &[1, 2]));
        m.extend(section(5, &[1, 0, 1]));
        let mut exports = vec![2];
        exports.extend(name("memory"));
        exports.extend([2, 0]);
        exports.extend(name("_start"));
        exports.extend([0, 2]);
        m.extend(section(7, &exports));
        #[rustfmt::skip]
        let body = [
            0, // no locals
            0x41, 0, 0x41, 16, 0x36, 2, 0, // iov.buf = 16
            0x41, 4, 0x41, 13, 0x36, 2, 0, // iov.len = 13
            0x41, 1, 0x41, 0, 0x41, 1, 0x41, 8, 0x10, 0, 0x1a, // fd_write(1, iov, 1, &n)
            0x41, 3, 0x10, 1, // proc_exit(3)
            0x0b,
        ];
        let mut code = vec![1, body.len() as u8];
        code.extend(body);
        m.extend(section(10, &code));
        let mut data = vec![1, 0, 0x41, 16, 0x0b, 13];
        data.extend_from_slice(b"hi from wasm\n");
        m.extend(section(11, &data));
        m
    }

    #[test]
    fn a_webassembly_file_runs_as_a_program() {
        let mut fs = MemoryFs::new();
        fs.create_dir_all("/usr/local/bin", 0o755).expect("dir");
        fs.put_file("/usr/local/bin/hello", Content::data(hello_module()), Attrs::mode(0o755)).expect("file");
        fs.put_file("/usr/local/bin/noexec", Content::data(hello_module()), Attrs::mode(0o644)).expect("file");
        let mut sh = Shell::new(&mut fs, Flavor::Dash);
        let out = sh.run_str("hello; echo status $?; noexec; echo status $?", b"");
        assert_eq!(String::from_utf8_lossy(&out.stdout), "hi from wasm\nstatus 3\nstatus 127\n");
    }
}
