//! What the engine needs from the machine it runs on, in three small traits a front
//! end implements: [`Files`] (named files, bind mounts, build contexts, state storage),
//! [`Clock`] (wall and monotonic time) and [`Console`] (the terminal). [`Host`] is all
//! three, for the command line, which needs each. The native binary implements them
//! over `std::fs` and its terminal, the browser's sandbox over its workspace and the
//! page's terminal, tests over memory.

use crate::image::store::Storage;

/// Files the user names (`-f`, `save -o`, bind mounts, build contexts) and where the
/// engine keeps its state.
pub trait Files {
    /// Reads a file named on the command line (`-` is standard input). The error reads
    /// like Go's (`open x: no such file or directory`).
    fn read_file(&self, path: &str) -> Result<Vec<u8>, String>;
    /// Writes a file named on the command line (`save -o`).
    fn write_file(&self, path: &str, data: &[u8]) -> Result<(), String>;
    /// Where the engine keeps its state (images, containers, volumes).
    fn storage(&self) -> Result<Box<dyn Storage>, String>;
    /// A host directory for a bind mount or `docker cp` (`.` is the current directory).
    fn bind(&self, path: &str) -> Result<Box<dyn crate::vfs::FileSystem>, String>;
    /// A build context directory as a filesystem (its root is the directory).
    fn context(&self, path: &str) -> Result<Box<dyn crate::vfs::FileSystem>, String>;
    /// Where the native runtime keeps image layers and containers' directories on the
    /// host (`$BERTH_ROOT/native`); `None` where there is no such place (the browser,
    /// tests in memory), and then no container runs natively.
    fn native_dir(&self) -> Option<std::path::PathBuf> {
        None
    }
    /// The network registries are reached over, and where logins are kept; `None` (the
    /// browser, tests in memory) leaves pulls to the catalog and the engine's own registry.
    fn remote(&self) -> Option<&dyn crate::image::distribution::Remote> {
        None
    }
    /// Whether this command may only read the state (another holds the lock while a
    /// container runs in the foreground): it then brings nothing up to date.
    fn read_only(&self) -> bool {
        false
    }
    /// The name of the current directory (Compose's default project name).
    fn cwd_name(&self) -> String {
        "project".into()
    }
    /// A variable of the caller's environment (the shell that ran the command): Compose
    /// interpolates `${VAR}` from it. `None` where the front end has none to give.
    fn env_var(&self, _name: &str) -> Option<String> {
        None
    }
}

/// Time as the front end knows it: the engine reads no clock of its own (there is none
/// on `wasm32-unknown-unknown`).
pub trait Clock {
    /// The current time, in seconds since the Unix epoch.
    fn now(&self) -> i64;
    /// Seconds on a monotonic clock, for durations (0 where there is none).
    fn monotonic(&self) -> f64 {
        0.0
    }
}

/// The user's terminal: progress as it happens, typed input, real time passing, and
/// whether output goes to a screen. Every method has a default for a host without one.
pub trait Console {
    /// `run -it` of a shell, where the host has a terminal: the host takes the session
    /// over and sends the lines typed next to [`attached_line`]. False where there is no
    /// terminal (the shell then runs to completion with the command's stdin).
    fn attach(&self, _session: &crate::runtime::TtySession) -> bool {
        false
    }
    /// Shows a piece of build progress as it happens (BuildKit streams it). Returns true
    /// when it did, and the command's output then leaves the progress out.
    fn progress(&self, _chunk: &str) -> bool {
        false
    }
    /// Shows a line of `pull` progress as it happens. Returns true when it did (the
    /// browser's terminal); the native CLI keeps pull lines on stdout, as Docker does.
    fn pull_progress(&self, _line: &str) -> bool {
        false
    }
    /// How `sleep` in an attached container shell lets time pass.
    fn pause(&self) -> Option<crate::shell::Pause> {
        None
    }
    /// Real time for `logs -f` on a running container: shows what its process printed,
    /// waits out one of its sleeps, and says whether to go on (false after Ctrl-C).
    /// `None` where the host has no real time: `logs -f` then shows the logs so far.
    fn follow(&self) -> Option<crate::shell::Pause> {
        None
    }
    /// Where `read` in an attached container shell gets the user's next line.
    fn terminal_input(&self) -> Option<crate::shell::TerminalInput> {
        None
    }
    /// Whether a native container may use this command's own standard streams and
    /// terminal (`run -t` in the `berth` binary); false where the engine's output is all
    /// the front end shows (the browser, tests).
    fn native_stdio(&self) -> bool {
        false
    }
    /// Lets go of the state's lock while this command waits on something that records
    /// itself (an attached container under its supervisor), so that other commands run
    /// meanwhile; [`Console::retake_state`] takes it back, after which the command must
    /// read the state again. False where there is no lock to let go of.
    fn release_state(&self) -> bool {
        false
    }
    fn retake_state(&self) {}
    /// Whether progress goes to a terminal (`--progress=auto` then means `tty`).
    fn terminal(&self) -> bool {
        false
    }
    /// Whether the command's stdout is a terminal (`isatty(1)`), where `docker save`
    /// refuses to write an archive. True where the host cannot tell, so that binary
    /// output never lands on a screen by default.
    fn stdout_is_terminal(&self) -> bool {
        true
    }
    /// The plain progress log of a finished build (the sandbox remembers the last one).
    fn build_log(&self, _log: &str) {}
    /// Shows output at once, for interactive commands (`lesson run`); others return it.
    fn emit(&self, _text: &str) {}
    /// Reads a line typed by the user after showing `prompt`; `None` at the end of input.
    fn read_line(&self, _prompt: &str) -> Option<String> {
        None
    }
}

/// A host for the command line: files, a clock and a console.
pub trait Host: Files + Clock + Console {}

impl<T: Files + Clock + Console + ?Sized> Host for T {}

/// A clock that stands still (tests, docs).
pub struct FixedClock(pub i64);

impl Clock for FixedClock {
    fn now(&self) -> i64 {
        self.0
    }
}
