//! The emulated runtime: a container's process runs in Berth's userland (the shell, its
//! applets and package managers, CPython for WASI) over the container's filesystem, on
//! the engine's own stack. It runs everywhere the engine does, the browser included.
//! A detached process runs until it waits in a sleep that ends in the future; there it
//! is suspended over a journal and later resumed by replay (see [`super::journal`]).

use super::spec::ContainerSpec;
use super::{journal, Capabilities, Detached, ProcessInfo, Ran, Runtime, RuntimeError, Stdio, Suspended, Suspension, CATCH_UP_PAUSES};
use crate::vfs::FileSystem;

/// How many commands one run of an emulated process may take before it is stopped
/// (exit 137, with a message): the guard against a loop without end until the emulated
/// kernel can preempt it.
pub const COMMAND_BUDGET: u64 = 5_000_000;

/// The emulated backend of [`Runtime`].
#[derive(Debug, Default, Clone, Copy)]
pub struct EmulatedRuntime;

impl Runtime for EmulatedRuntime {
    fn name(&self) -> &'static str {
        "emulated"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities {
            available: true,
            detached: true,
            tty: true,
            exec: true,
            pause: false,
            cgroups: false,
            gpus: false,
            networks: &["none"],
            note: "Berth's userland over the container's filesystem; a detached process is suspended at its sleeps and resumed by replay",
        }
    }

    fn check(&self, spec: &ContainerSpec, root: &dyn FileSystem) -> Result<(), RuntimeError> {
        let Some(argv0) = spec.process.args.first() else { return Err(RuntimeError::NoCommand) };
        if super::resolve_program(root, argv0, spec.path(), &spec.process.cwd) {
            Ok(())
        } else {
            Err(RuntimeError::ExecNotFound { argv0: argv0.clone(), in_path: !argv0.contains('/') })
        }
    }

    fn run(&mut self, spec: &ContainerSpec, root: &mut dyn FileSystem, stdio: Stdio) -> Result<Ran, RuntimeError> {
        self.check(spec, root)?;
        Ok(run_emulated(root, spec, stdio))
    }

    /// An exec'd process runs to its end within the call, beside the main process's
    /// suspension: its own run over the same filesystem.
    fn exec(&mut self, _container: &ContainerSpec, process: &ContainerSpec, root: &mut dyn FileSystem, stdio: Stdio) -> Result<Ran, RuntimeError> {
        self.run(process, root, stdio)
    }

    /// While a container is up its one process is its main process, PID 1 in its own
    /// namespace: an exec'd process has ended before anyone can look (there is no
    /// scheduler to run two at once yet).
    fn processes(&self, spec: &ContainerSpec, started: i64) -> Result<Vec<ProcessInfo>, RuntimeError> {
        Ok(vec![ProcessInfo { pid: 1, ppid: 0, uid: spec.process.user.uid, started, args: spec.process.args.clone() }])
    }
}

/// Runs a container's process in the emulated userland over `fs`.
pub fn run_emulated(fs: &mut dyn FileSystem, spec: &ContainerSpec, stdio: Stdio) -> Ran {
    let Stdio { stdin, terminal, combined, started, .. } = stdio;
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    let env = crate::dockerfile::expand::EnvList::from_pairs(&spec.process.env);
    let (uid, gid) = (spec.process.user.uid, spec.process.user.gid);
    let flavor = crate::shell::passwd::flavor_of(fs);
    let _ = fs.create_dir_all(&spec.process.cwd, 0o755);
    // A detached process's calls go through its journal, so that it can be suspended and
    // resumed where it waits.
    let journal = terminal.detached.as_ref().map(|d| {
        Rc::new(RefCell::new(match d {
            Detached::Start { .. } => journal::JournalState::recording(),
            Detached::Resume { journal, .. } => journal::JournalState::replaying(journal::Journal::clone(journal)),
        }))
    });
    let mut journalled;
    let fs: &mut dyn FileSystem = match &journal {
        Some(state) => {
            journalled = journal::JournalFs::new(fs, state.clone());
            &mut journalled
        }
        None => fs,
    };
    let mut sh = crate::shell::Shell::new(fs, flavor);
    sh.builtin_userland = false;
    for (k, v) in &env.0 {
        sh.set_env(k, v);
    }
    if env.get("HOME").is_none() {
        sh.set_env("HOME", if uid == 0 { "/root" } else { "/" });
    }
    if !spec.hostname.is_empty() {
        sh.set_env("HOSTNAME", &spec.hostname);
        sh.hostname = spec.hostname.clone();
    }
    sh.set_cwd(&spec.process.cwd);
    sh.uid = uid;
    sh.gid = gid;
    sh.group_explicit = spec.process.user.additional_gids.is_some();
    sh.set_budget(COMMAND_BUDGET);
    sh.set_clock(started);
    sh.set_terminal_input(terminal.input);
    sh.replayable = journal.is_some();
    sh.signal_kills = spec.init();
    let signals = sh.signals.clone();
    // Output shown at each sleep of a detached process: what it printed since the last.
    let suspended_at = Rc::new(Cell::new(None::<Suspended>));
    let earlier = Rc::new(RefCell::new(Vec::<u8>::new()));
    let slept = Rc::new(Cell::new(0.0f64));
    let stamps = Rc::new(RefCell::new(Vec::<(usize, f64)>::new()));
    match (terminal.pause, terminal.detached, &journal) {
        (_, Some(detached), Some(state)) => {
            let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            sh.set_interrupt(flag.clone());
            let count = Cell::new(0u64);
            // Output of sleeps passed at once while following, shown at the next real wait.
            let unshown = RefCell::new(String::new());
            let (suspended_at, earlier, state, slept, stamps) = (suspended_at.clone(), earlier.clone(), state.clone(), slept.clone(), stamps.clone());
            let printed = move |shown: &str, t: f64| {
                earlier.borrow_mut().extend_from_slice(shown.as_bytes());
                stamps.borrow_mut().push((earlier.borrow().len(), t));
            };
            sh.set_pause(Some(Rc::new(move |shown: &str, secs: f64| {
                count.set(count.get() + 1);
                let n = count.get();
                let t = slept.get();
                slept.set(t + secs);
                let go_on = match &detached {
                    Detached::Start { until } => {
                        printed(shown, t);
                        t + secs <= *until && n < CATCH_UP_PAUSES
                    }
                    // Replayed: its output is in the logs already.
                    Detached::Resume { pauses, .. } if n < *pauses => true,
                    Detached::Resume { pauses, until, follow, signal, .. } => {
                        if n == *pauses {
                            // The sleep it was suspended in: from here it runs again.
                            state.borrow_mut().go_live();
                            signals.borrow_mut().extend(signal.map(str::to_string));
                        } else {
                            printed(shown, t);
                            unshown.borrow_mut().push_str(shown);
                        }
                        match follow {
                            _ if t + secs <= *until && n < CATCH_UP_PAUSES => true,
                            Some(follow) => {
                                let text = std::mem::take(&mut *unshown.borrow_mut());
                                // What is left of it: all of it once the process is in the
                                // present, or where catching up stopped short of it.
                                let left = if t + secs <= *until { secs } else { (t + secs - until).min(secs) };
                                follow(&text, (left * 1e6).round() / 1e6)
                            }
                            None => false,
                        }
                    }
                };
                if !go_on && suspended_at.get().is_none() {
                    // Stopped where it waits: nothing it would do next happens.
                    suspended_at.set(Some(Suspended { pauses: n, wakes_ms: ((t + secs) * 1000.0) as u64 }));
                    state.borrow_mut().freeze();
                    flag.store(true, std::sync::atomic::Ordering::Relaxed);
                }
                go_on
            })));
        }
        (pause, _, _) => sh.set_pause(pause),
    }
    let mut out = if combined { sh.run_argv_merged(&spec.process.args, &stdin) } else { sh.run_argv(&spec.process.args, &stdin) };
    if sh.stopped() == Some(crate::shell::Stopped::Commands) {
        // Until the emulated kernel preempts processes, a run is bounded: say so.
        out.stderr.extend_from_slice(format!("berth: the emulated process was stopped after {COMMAND_BUDGET} commands (a loop without end cannot run in the emulated runtime yet)\n").as_bytes());
    }
    drop(sh);
    let state = journal.map(|s| std::mem::take(&mut *s.borrow_mut())).unwrap_or_default();
    let diverged = state.diverged();
    let mut stdout = std::mem::take(&mut *earlier.borrow_mut());
    match suspended_at.get() {
        // What it would have printed after the sleep it waits in, it prints when it goes
        // on from there.
        Some(at) => Ran { status: 0, stdout, stderr: Vec::new(), suspended: Some(Suspension { journal: state.into_journal(), at }), diverged, slept: slept.get(), stamps: stamps.take(), oom_killed: false, supervised: false },
        None => {
            stdout.extend_from_slice(&out.stdout);
            Ran { status: out.status, stdout, stderr: out.stderr, suspended: None, diverged, slept: slept.get(), stamps: stamps.take(), oom_killed: false, supervised: false }
        }
    }
}
