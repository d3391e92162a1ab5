//! The native `berth` command: reads files from the host and hands argv to the engine's
//! API (`engine::api::cli`).

use std::cell::RefCell;
use std::io::{IsTerminal, Read, Write};

use engine::host::Console;
use engine::runtime::TtySession;

/// The host: files through `std::fs`, state under `BERTH_ROOT`, the terminal for `-it`,
/// registries over TCP with logins in the Docker config directory.
struct NativeHost {
    remote: engine::image::distribution::NativeRemote,
    /// The container shell `run -it` attached to, which `main` then feeds typed lines.
    attached: RefCell<Option<TtySession>>,
    /// Another command holds the state lock: this one only reads.
    read_only: std::cell::Cell<bool>,
    /// The state lock, while this command holds it.
    lock: RefCell<Option<std::fs::File>>,
}

impl engine::host::Files for NativeHost {
    fn write_file(&self, path: &str, data: &[u8]) -> Result<(), String> {
        std::fs::write(path, data).map_err(|e| format!("open {path}: {e}"))
    }

    fn storage(&self) -> Result<Box<dyn engine::image::store::Storage>, String> {
        let root = state_dir();
        std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
        Ok(Box::new(engine::image::store::DirStorage::new(root)))
    }

    fn bind(&self, path: &str) -> Result<Box<dyn engine::vfs::FileSystem>, String> {
        let dir = std::path::Path::new(path);
        if !dir.exists() {
            return Err(format!("{path}: no such file or directory"));
        }
        let dir = std::fs::canonicalize(dir).map_err(|e| format!("{path}: {e}"))?;
        Ok(Box::new(engine::vfs::HostFs::new(dir)))
    }

    fn context(&self, path: &str) -> Result<Box<dyn engine::vfs::FileSystem>, String> {
        let dir = std::path::Path::new(path);
        if !dir.is_dir() {
            return Err(format!("path \"{path}\" not found"));
        }
        Ok(Box::new(engine::vfs::HostFs::new(dir)))
    }

    fn native_dir(&self) -> Option<std::path::PathBuf> {
        Some(state_dir().join("native"))
    }

    fn read_only(&self) -> bool {
        self.read_only.get()
    }

    fn remote(&self) -> Option<&dyn engine::image::distribution::Remote> {
        Some(&self.remote)
    }

    fn cwd_name(&self) -> String {
        std::env::current_dir().ok().and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned())).unwrap_or_else(|| "project".into())
    }

    fn env_var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }

    fn read_file(&self, path: &str) -> Result<Vec<u8>, String> {
        if path == "-" {
            let mut buf = Vec::new();
            std::io::stdin().read_to_end(&mut buf).map_err(|e| e.to_string())?;
            return Ok(buf);
        }
        std::fs::read(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => format!("open {path}: no such file or directory"),
            _ => format!("open {path}: {e}"),
        })
    }
}

impl engine::host::Clock for NativeHost {
    fn monotonic(&self) -> f64 {
        static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
        START.get_or_init(std::time::Instant::now).elapsed().as_secs_f64()
    }

    fn now(&self) -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
    }
}

impl engine::host::Console for NativeHost {
    fn native_stdio(&self) -> bool {
        true
    }

    fn release_state(&self) -> bool {
        self.lock.borrow_mut().take().is_some()
    }

    fn retake_state(&self) {
        *self.lock.borrow_mut() = lock_state();
    }

    fn attach(&self, session: &TtySession) -> bool {
        if !std::io::stdin().is_terminal() {
            return false;
        }
        *self.attached.borrow_mut() = Some(session.clone());
        true
    }

    fn progress(&self, chunk: &str) -> bool {
        let mut err = std::io::stderr();
        let _ = err.write_all(chunk.as_bytes());
        let _ = err.flush();
        true
    }

    fn terminal(&self) -> bool {
        std::io::stderr().is_terminal()
    }

    fn stdout_is_terminal(&self) -> bool {
        std::io::stdout().is_terminal()
    }

    fn terminal_input(&self) -> Option<engine::shell::TerminalInput> {
        // `read` in an attached shell: show what the line wrote so far, then read stdin.
        Some(std::rc::Rc::new(|shown: &str| {
            let mut out = std::io::stdout();
            let _ = out.write_all(shown.as_bytes());
            let _ = out.flush();
            let mut line = String::new();
            match std::io::stdin().read_line(&mut line) {
                Ok(0) | Err(_) => None,
                Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_string()),
            }
        }))
    }

    fn follow(&self) -> Option<engine::shell::Pause> {
        interrupt::watch();
        Some(std::rc::Rc::new(|shown: &str, secs: f64| {
            let mut out = std::io::stdout();
            let _ = out.write_all(shown.as_bytes());
            let _ = out.flush();
            let until = std::time::Instant::now() + std::time::Duration::from_secs_f64(secs.clamp(0.0, 3600.0));
            while !interrupt::pressed() {
                let left = until.saturating_duration_since(std::time::Instant::now());
                if left.is_zero() {
                    return true;
                }
                std::thread::sleep(left.min(std::time::Duration::from_millis(50)));
            }
            false
        }))
    }

    fn emit(&self, text: &str) {
        let mut out = std::io::stdout();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }

    fn read_line(&self, prompt: &str) -> Option<String> {
        self.emit(prompt);
        let mut line = String::new();
        match std::io::stdin().read_line(&mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_string()),
        }
    }
}

/// Ctrl-C while `logs -f` follows a process: noticed at its next wait, where the process is
/// suspended and the state saved, instead of the whole command dying with unsaved state.
mod interrupt {
    use std::sync::atomic::{AtomicBool, Ordering};

    static PRESSED: AtomicBool = AtomicBool::new(false);

    extern "C" fn on_sigint(_: libc::c_int) {
        PRESSED.store(true, Ordering::SeqCst);
    }

    pub fn watch() {
        let handler: extern "C" fn(libc::c_int) = on_sigint;
        // SAFETY: the handler only stores to an atomic, which is async-signal-safe, and
        // `signal` is given a valid function pointer for the process's lifetime.
        #[allow(unsafe_code)]
        unsafe {
            libc::signal(libc::SIGINT, handler as libc::sighandler_t);
        }
    }

    /// Whether Ctrl-C was pressed since the last call: one press interrupts once (a
    /// second one during `compose`'s graceful stop forces it).
    pub fn pressed() -> bool {
        PRESSED.swap(false, Ordering::SeqCst)
    }
}

/// `BERTH_ROOT`, or the user's data directory (`$XDG_DATA_HOME/berth`, `~/.local/share/berth`).
fn state_dir() -> std::path::PathBuf {
    if let Some(root) = std::env::var_os("BERTH_ROOT") {
        return root.into();
    }
    if let Some(data) = std::env::var_os("XDG_DATA_HOME") {
        return std::path::PathBuf::from(data).join("berth");
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| ".".into());
    std::path::PathBuf::from(home).join(".local/share/berth")
}

/// Holds `<state>/lock` for the whole command, so concurrent `berth` processes take turns
/// on the store instead of losing each other's writes. Released when the process exits.
fn lock_state() -> Option<std::fs::File> {
    let root = state_dir();
    std::fs::create_dir_all(&root).ok()?;
    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(root.join("lock")).ok()?;
    file.lock().ok()?;
    Some(file)
}

/// The lock for a command that only looks (`ps`, `logs`, `inspect`, …): taken where it
/// is free; where another command holds it (a container running in the foreground), the
/// command reads the state as it is (every write is an atomic rename) and writes nothing.
fn try_lock_state() -> Result<Option<std::fs::File>, ()> {
    let root = state_dir();
    std::fs::create_dir_all(&root).map_err(|_| ())?;
    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(root.join("lock")).map_err(|_| ())?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Err(()),
        Err(_) => Ok(None),
    }
}

/// Whether a command only looks at the state.
fn looks_only(args: &[String]) -> bool {
    let follow = args.iter().any(|a| a == "-f" || a == "--follow");
    match args.first().map(String::as_str) {
        Some("ps" | "images" | "inspect" | "top" | "history" | "info" | "cdi" | "port") => true,
        Some("logs") => !follow,
        Some("stats") => args.iter().any(|a| a == "--no-stream"),
        Some("container" | "image") => matches!(args.get(1).map(String::as_str), Some("ls" | "list" | "inspect" | "top" | "history")),
        _ => false,
    }
}

fn main() {
    // A detached native container's supervisor is this binary run again.
    #[cfg(all(target_os = "linux", feature = "native"))]
    if std::env::args_os().nth(1).is_some_and(|a| a == engine::runtime::native::supervisor::ARG) {
        let dir = std::env::args_os().nth(2).map(std::path::PathBuf::from).unwrap_or_default();
        std::process::exit(engine::runtime::native::supervisor::main(&dir));
    }
    // The hooks Berth provides to its containers (`update-ldcache` for GPUs).
    #[cfg(all(target_os = "linux", feature = "native"))]
    if std::env::args_os().nth(1).is_some_and(|a| a == engine::runtime::native::hooks::ARG) {
        let args: Vec<String> = std::env::args().skip(2).collect();
        std::process::exit(engine::runtime::native::hooks::main(&args));
    }
    // The OCI runtime command line: `berth oci …`, or this binary named `berth-oci`.
    #[cfg(all(target_os = "linux", feature = "native"))]
    {
        use engine::runtime::native::oci;
        let argv: Vec<String> = std::env::args().collect();
        let named = argv.first().and_then(|a| std::path::Path::new(a).file_name()).is_some_and(|n| n == oci::BINARY);
        if named {
            std::process::exit(oci::main(&argv[1..]));
        }
        if argv.get(1).is_some_and(|a| a == "oci") {
            std::process::exit(oci::main(&argv[2..]));
        }
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    // Messages name the program as it was run (`berth`, or `docker` through a link).
    let program = std::env::args().next().and_then(|a| a.rsplit('/').next().map(str::to_string)).unwrap_or_else(|| "berth".into());
    // Run by an unprivileged user, the engine works in that user's user namespace
    // (rootless containers), entered while this process has one thread.
    #[cfg(all(target_os = "linux", feature = "native"))]
    if !matches!(args.first().map(String::as_str), None | Some("lint" | "debug" | "lesson" | "help" | "--help" | "-h" | "version" | "--version" | "-v")) {
        engine::runtime::native::rootless::try_enter(&state_dir());
    }
    let stateless = matches!(args.first().map(String::as_str), None | Some("lint" | "debug" | "lesson" | "help" | "--help" | "-h" | "version" | "--version" | "-v"));
    let host = NativeHost { remote: engine::image::distribution::NativeRemote::from_env(), attached: Default::default(), read_only: Default::default(), lock: Default::default() };
    let mut preempted = None;
    let _lock = if stateless {
        None
    } else if looks_only(&args) {
        try_lock_state().unwrap_or_else(|()| {
            host.read_only.set(true);
            None
        })
    } else if engine::daemon::preempt::applies(&args) {
        // `stop`, `kill`, `rm -f` while another berth holds the state (a container it
        // runs in the foreground): the container is reached by signal first, then the
        // lock is waited for (its run records the end and lets it go).
        try_lock_state().unwrap_or_else(|()| {
            preempted = Some(engine::daemon::preempt::signal(&args, &host));
            lock_state()
        })
    } else {
        lock_state()
    };
    *host.lock.borrow_mut() = _lock;
    let engine::cli::Output { mut code, stdout, stderr } = match &preempted {
        Some(done) => match engine::daemon::preempt::finish(&args, done, &host) {
            (printed, None) => engine::cli::Output { code: 0, stdout: printed.into_bytes(), stderr: Vec::new() },
            (printed, Some(rest)) => {
                let mut out = engine::api::cli_as(&program, &rest, &host);
                out.stdout.splice(0..0, printed.into_bytes());
                out
            }
        },
        None => engine::api::cli_as(&program, &args, &host),
    };
    // Write errors (a closed pipe) are not worth a panic.
    let _ = std::io::stdout().write_all(&stdout);
    let _ = std::io::stderr().write_all(&stderr);
    // `run -it … sh` on a terminal: each line typed runs in the container until `exit`
    // (or Ctrl-D).
    let attached = host.attached.borrow_mut().take();
    if let Some(mut session) = attached {
        loop {
            let line = host.read_line(&session.prompt()).unwrap_or_else(|| {
                host.emit("exit\n");
                "exit".into()
            });
            let result = engine::cli::attached_line(&mut session, &line, &host);
            let _ = std::io::stdout().write_all(&result.output.stdout);
            let _ = std::io::stderr().write_all(&result.output.stderr);
            if let Some(status) = result.exited {
                code = status;
                break;
            }
        }
    }
    std::process::exit(code);
}
