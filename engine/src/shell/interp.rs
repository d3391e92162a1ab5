//! The interpreter: expansion, redirections, pipelines, control flow, builtins, and
//! running programs found on `PATH` (applets, shebang scripts, nested shells).

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use super::applets::{self, Ctx};
use super::arith;
use super::ast::*;
use super::parser;
use super::pattern;
use crate::vfs::{join, normalize, Attrs, Content, FileSystem, FileType};

/// Which shell is being emulated: the differences students meet (error wording, `echo`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// Debian's and Ubuntu's `/bin/sh`.
    Dash,
    /// BusyBox `sh` in Alpine and BusyBox images.
    Ash,
    Bash,
}

/// A limit that ended a run (see [`Shell::set_budget`], [`Shell::set_time_limit`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    Commands,
    Time,
}

/// What running a script produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub status: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// What a [`HostProgram`] is called with.
pub struct HostCall<'a> {
    pub argv: &'a [String],
    pub stdin: &'a [u8],
    pub cwd: &'a str,
    pub env: &'a BTreeMap<String, String>,
    /// Its stdout and stderr are the terminal's (not redirected, not piped): what it shows
    /// as it goes reaches the user in order.
    pub terminal: bool,
    /// Its stdout alone is the terminal's (`isatty(1)`): `docker save` refuses to write
    /// an archive there, as Docker does.
    pub stdout_terminal: bool,
}

/// Where `read` gets a line when the shell's stdin is a terminal and has no more typed
/// ahead: given the output written so far (to show before waiting), it returns the line
/// the user types, or `None` at end of input (Ctrl-D).
pub type TerminalInput = Rc<dyn Fn(&str) -> Option<String>>;

/// What `sleep` does where time should really pass (an interactive terminal): given the
/// output written so far (to show now) and the seconds to wait. False when the user
/// pressed Ctrl-C meanwhile: the process is then interrupted (status 130).
pub type Pause = Rc<dyn Fn(&str, f64) -> bool>;

/// The signals `trap` knows, with their numbers on Linux.
const SIGNALS: [(&str, i32); 8] = [("HUP", 1), ("INT", 2), ("QUIT", 3), ("KILL", 9), ("USR1", 10), ("USR2", 12), ("ALRM", 14), ("TERM", 15)];

/// A signal's number by its name (`TERM` is 15).
pub fn signal_number(name: &str) -> Option<i32> {
    SIGNALS.iter().find(|(n, _)| *n == name).map(|(_, num)| *num)
}

/// A program the machine running the shell provides outside its filesystem: the
/// sandbox host's `docker` and `berth`. It returns `None` for a name it does not know.
pub type HostProgram = Rc<dyn Fn(&HostCall<'_>) -> Option<Outcome>>;

#[derive(Debug, Clone)]
struct Var {
    value: String,
    exported: bool,
}

#[derive(Debug, Clone, Copy, Default)]
struct Options {
    errexit: bool,
    nounset: bool,
    xtrace: bool,
    pipefail: bool,
    noglob: bool,
}

/// Non-local control flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Break(u32),
    Continue(u32),
    Return(i32),
    Exit(i32),
}

type Exec = Result<i32, Flow>;

/// The most one simple command's words may expand to (bytes, with a separator each):
/// Linux's default `ARG_MAX`.
const ARGS_LIMIT: usize = 2 << 20;

/// Where output goes: a shared buffer (so `2>&1` keeps the order) or nowhere.
#[derive(Debug, Clone)]
enum Sink {
    Buffer(Rc<RefCell<Vec<u8>>>),
    Null,
}

impl Sink {
    fn buffer() -> Sink {
        Sink::Buffer(Rc::new(RefCell::new(Vec::new())))
    }

    /// The same buffer (both the terminal's, say).
    fn same(&self, other: &Sink) -> bool {
        matches!((self, other), (Sink::Buffer(a), Sink::Buffer(b)) if Rc::ptr_eq(a, b))
    }

    fn write(&self, data: &[u8]) {
        if let Sink::Buffer(b) = self {
            b.borrow_mut().extend_from_slice(data);
        }
    }

    fn take(&self) -> Vec<u8> {
        match self {
            Sink::Buffer(b) => std::mem::take(&mut *b.borrow_mut()),
            Sink::Null => Vec::new(),
        }
    }
}

/// Input with a read position shared by everything reading it (`while read …`).
#[derive(Debug, Default)]
struct Input {
    data: Vec<u8>,
    pos: usize,
}

#[derive(Debug, Clone)]
enum Fd {
    In(Rc<RefCell<Input>>),
    Out(Sink),
}

#[derive(Debug, Clone)]
struct Io {
    fds: BTreeMap<u32, Fd>,
}

impl Io {
    fn out(&self, fd: u32) -> Sink {
        match self.fds.get(&fd) {
            Some(Fd::Out(s)) => s.clone(),
            _ => Sink::Null,
        }
    }

    fn input(&self) -> Rc<RefCell<Input>> {
        match self.fds.get(&0) {
            Some(Fd::In(i)) => i.clone(),
            _ => Rc::new(RefCell::new(Input::default())),
        }
    }

    fn stdout(&self, data: &[u8]) {
        self.out(1).write(data);
    }

    fn stderr(&self, data: &[u8]) {
        self.out(2).write(data);
    }
}

/// A file written by a redirection, flushed to the filesystem when the command ends.
struct PendingFile {
    path: String,
    sink: Sink,
    append: bool,
}

/// A shell over a filesystem.
pub struct Shell<'fs> {
    fs: &'fs mut dyn FileSystem,
    flavor: Flavor,
    vars: BTreeMap<String, Var>,
    functions: HashMap<String, Rc<Command>>,
    positional: Vec<String>,
    arg0: String,
    options: Options,
    last_status: i32,
    cwd: String,
    line: usize,
    exit_trap: Option<String>,
    /// `trap ACTION TERM` and the like: the action by signal name (empty: ignored).
    signal_traps: BTreeMap<String, String>,
    /// Signals sent to the process and not yet handled (`docker stop` sends TERM). The
    /// shell that runs next takes them, between commands, as sh does once its foreground
    /// command is over.
    pub signals: Rc<std::cell::RefCell<Vec<String>>>,
    /// A signal without a trap ends the process (128 + its number). Not for PID 1, which
    /// the kernel shields from signals it has no handler for; it is with `--init`.
    pub signal_kills: bool,
    locals: Vec<Vec<(String, Option<Var>)>>,
    /// > 0 while running a condition, where `set -e` does not apply.
    condition_depth: u32,
    interrupt: Option<Arc<AtomicBool>>,
    /// Commands left before the run is stopped (a runaway loop), when limited.
    budget: Option<u64>,
    /// Seconds of sleep the run may add up to (a guard against waits that never end).
    time_limit: Option<f64>,
    /// Which limit ended the run, shared with nested shells.
    stopped: Rc<std::cell::Cell<Option<Stopped>>>,
    pub uid: u32,
    pub gid: u32,
    /// `USER name:group` named the group: the process has that group only, without the
    /// user's supplementary groups.
    pub group_explicit: bool,
    pub hostname: String,
    /// See [`Ctx::replayable`](crate::shell::applets::Ctx).
    pub replayable: bool,
    depth: u32,
    /// A program the filesystem lacks runs as Berth's applet of that name: the sandbox
    /// host (which has no `/bin`) and a shell over a bare filesystem. Containers and
    /// builds turn it off, so that there only what the image has runs, and a missing
    /// program is `not found` as under Docker.
    pub builtin_userland: bool,
    /// The shell reads a terminal's lines (the sandbox host's): bash's errors name no line.
    pub interactive: bool,
    host_program: Option<HostProgram>,
    /// The script ran `exit` (or `set -e` stopped it): an interactive shell would end.
    pub exited: bool,
    terminal: Option<TerminalInput>,
    pause: Option<Pause>,
    /// The stdin and output of the current `run_str`, for `read` from the terminal.
    top: Option<(Rc<RefCell<Input>>, Sink, Sink)>,
    /// The time the run started (seconds since the epoch) and the seconds its sleeps
    /// have taken since: what `date` shows.
    clock: Option<i64>,
    slept: Rc<std::cell::Cell<f64>>,
}

const MAX_DEPTH: u32 = 200;

impl<'fs> Shell<'fs> {
    pub fn new(fs: &'fs mut dyn FileSystem, flavor: Flavor) -> Shell<'fs> {
        let mut sh = Shell {
            fs,
            flavor,
            vars: BTreeMap::new(),
            functions: HashMap::new(),
            positional: Vec::new(),
            arg0: if flavor == Flavor::Bash { "bash".into() } else { "sh".into() },
            options: Options::default(),
            last_status: 0,
            cwd: "/".into(),
            line: 1,
            exit_trap: None,
            signal_traps: BTreeMap::new(),
            signals: Rc::default(),
            signal_kills: false,
            locals: Vec::new(),
            condition_depth: 0,
            // Every shell has a flag, so that an interrupt seen in one of its programs stops
            // it and its children alike.
            interrupt: Some(Arc::new(AtomicBool::new(false))),
            budget: None,
            time_limit: None,
            stopped: Rc::new(std::cell::Cell::new(None)),
            uid: 0,
            group_explicit: false,
            gid: 0,
            hostname: "localhost".into(),
            replayable: false,
            depth: 0,
            builtin_userland: true,
            interactive: false,
            host_program: None,
            exited: false,
            terminal: None,
            pause: None,
            top: None,
            clock: None,
            slept: Rc::new(std::cell::Cell::new(0.0)),
        };
        for (k, v) in [("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"), ("HOME", "/root"), ("IFS", " \t\n"), ("PWD", "/")] {
            sh.vars.insert(k.into(), Var { value: v.into(), exported: k != "IFS" });
        }
        sh
    }

    /// Sets (and exports) an environment variable.
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.vars.insert(key.to_string(), Var { value: value.to_string(), exported: true });
    }

    pub fn set_cwd(&mut self, cwd: &str) {
        self.cwd = normalize(cwd);
        self.set_env("PWD", &self.cwd.clone());
    }

    pub fn set_args(&mut self, arg0: &str, args: &[String]) {
        self.arg0 = arg0.to_string();
        self.positional = args.to_vec();
    }

    /// Stops the run at the next command once `flag` is set (Ctrl-C, `docker stop`).
    pub fn set_interrupt(&mut self, flag: Arc<AtomicBool>) {
        self.interrupt = Some(flag);
    }

    /// Programs the host provides (the sandbox's `docker`), tried when `PATH` has none.
    pub fn set_host_program(&mut self, program: HostProgram) {
        self.host_program = Some(program);
    }

    /// Stops the run after this many commands (a guard against runaway loops).
    pub fn set_budget(&mut self, commands: u64) {
        self.budget = Some(commands);
    }

    /// Stops the run once its sleeps add up to more than `seconds` (a guard against a
    /// wait for something that never happens, such as `until [ -f x ]; do sleep 1; done`
    /// where nothing else runs meanwhile).
    pub fn set_time_limit(&mut self, seconds: f64) {
        self.time_limit = Some(seconds);
    }

    /// The limit that ended the run, if one did (exit status 137 for the command budget,
    /// 124 for the time limit, as `timeout` gives).
    pub fn stopped(&self) -> Option<Stopped> {
        self.stopped.get()
    }

    pub fn cwd(&self) -> &str {
        &self.cwd
    }

    /// The exported variables, as a program's environment.
    pub fn environment(&self) -> BTreeMap<String, String> {
        self.vars.iter().filter(|(_, v)| v.exported).map(|(k, v)| (k.clone(), v.value.clone())).collect()
    }

    /// Every variable with its value and whether it is exported (an interactive host
    /// shell keeps them from one command line to the next).
    pub fn variables(&self) -> Vec<(String, String, bool)> {
        self.vars.iter().map(|(k, v)| (k.clone(), v.value.clone(), v.exported)).collect()
    }

    /// Lets `read` wait for the user when stdin is the terminal (an interactive session).
    pub fn set_terminal_input(&mut self, input: Option<TerminalInput>) {
        self.terminal = input;
    }

    /// Makes `sleep` really wait (and show the output so far first). Without it time is
    /// simulated and `sleep` returns at once.
    pub fn set_pause(&mut self, pause: Option<Pause>) {
        self.pause = pause;
    }

    /// The time, in seconds since the epoch, at which this run starts; `sleep` moves it on.
    pub fn set_clock(&mut self, now: i64) {
        self.clock = Some(now);
    }

    /// `$?` before the first command runs (the previous command line's status).
    pub fn set_last_status(&mut self, status: i32) {
        self.last_status = status;
    }

    pub fn set_variable(&mut self, name: &str, value: &str, exported: bool) {
        self.vars.insert(name.to_string(), Var { value: value.to_string(), exported });
    }

    /// Runs `script` with `stdin`, as `sh -c`.
    pub fn run_str(&mut self, script: &str, stdin: &[u8]) -> Outcome {
        let out = Sink::buffer();
        let err = Sink::buffer();
        let input = Rc::new(RefCell::new(Input { data: stdin.to_vec(), pos: 0 }));
        self.top = Some((input.clone(), out.clone(), err.clone()));
        let io = Io {
            fds: BTreeMap::from([
                (0, Fd::In(input)),
                (1, Fd::Out(out.clone())),
                (2, Fd::Out(err.clone())),
            ]),
        };
        let status = self.run_source(script, &io);
        Outcome { status, stdout: out.take(), stderr: err.take() }
    }

    /// Runs a program as `exec` would (PATH lookup, shebangs, applets), capturing output.
    pub fn run_argv(&mut self, argv: &[String], stdin: &[u8]) -> Outcome {
        self.run_argv_into(argv, stdin, false)
    }

    /// [`Shell::run_argv`] with stderr written into stdout in order, as a build log shows
    /// both streams.
    pub fn run_argv_merged(&mut self, argv: &[String], stdin: &[u8]) -> Outcome {
        self.run_argv_into(argv, stdin, true)
    }

    fn run_argv_into(&mut self, argv: &[String], stdin: &[u8], merged: bool) -> Outcome {
        let out = Sink::buffer();
        let err = if merged { out.clone() } else { Sink::buffer() };
        let input = Rc::new(RefCell::new(Input { data: stdin.to_vec(), pos: 0 }));
        self.top = Some((input.clone(), out.clone(), err.clone()));
        let io = Io {
            fds: BTreeMap::from([
                (0, Fd::In(input)),
                (1, Fd::Out(out.clone())),
                (2, Fd::Out(err.clone())),
            ]),
        };
        if argv.is_empty() {
            return Outcome::default();
        }
        let env = self.environment();
        let status = self.exec(argv, &env, &io);
        let stdout = out.take();
        Outcome { status, stdout, stderr: err.take() }
    }

    fn run_source(&mut self, script: &str, io: &Io) -> i32 {
        let status = match parser::parse(script) {
            Err(e) => {
                self.line = e.line;
                self.error(io, &e.to_string());
                2
            }
            Ok(ast) => match self.script(&ast, io) {
                Ok(s) => s,
                Err(Flow::Exit(s)) => {
                    self.exited = true;
                    s
                }
                Err(Flow::Return(s)) => s,
                Err(_) => self.last_status,
            },
        };
        self.last_status = status;
        if let Some(trap) = self.exit_trap.take() {
            if let Ok(ast) = parser::parse(&trap) {
                let _ = self.script(&ast, io);
            }
        }
        status
    }

    /// Prints `sh: LINE: message` (dash), `sh: message` (ash) or `bash: line N: message`.
    fn error(&self, io: &Io, message: &str) {
        let text = match self.flavor {
            Flavor::Dash => format!("{}: {}: {message}\n", self.arg0, self.line),
            Flavor::Ash => format!("{}: {message}\n", self.arg0),
            // An interactive bash names no line (`bash: dockr: command not found`).
            Flavor::Bash if self.interactive => format!("{}: {message}\n", self.arg0),
            Flavor::Bash => format!("{}: line {}: {message}\n", self.arg0, self.line),
        };
        io.stderr(text.as_bytes());
    }

    /// Handles the signals sent meanwhile: runs their traps, ignores them, or ends.
    fn deliver_signals(&mut self, io: &Io) -> Result<(), Flow> {
        if self.signals.borrow().is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut *self.signals.borrow_mut());
        for signal in pending {
            match self.signal_traps.get(&signal).cloned() {
                Some(action) if action.is_empty() => {}
                Some(action) => {
                    if let Ok(ast) = parser::parse(&action) {
                        let saved = self.last_status;
                        self.script(&ast, io)?;
                        self.last_status = saved;
                    }
                }
                None if self.signal_kills => return Err(Flow::Exit(128 + signal_number(&signal).unwrap_or(15))),
                None => {}
            }
        }
        Ok(())
    }

    fn check_interrupt(&mut self) -> Result<(), Flow> {
        if self.interrupt.as_ref().is_some_and(|f| f.load(Ordering::Relaxed)) {
            return Err(Flow::Exit(130));
        }
        if let Some(b) = self.budget.as_mut() {
            if *b == 0 {
                self.stopped.set(Some(Stopped::Commands));
                return Err(Flow::Exit(137));
            }
            *b -= 1;
        }
        if self.time_limit.is_some_and(|limit| self.slept.get() > limit) {
            self.stopped.set(Some(Stopped::Time));
            return Err(Flow::Exit(124));
        }
        Ok(())
    }

    fn get_var(&self, name: &str) -> Option<String> {
        match name {
            "?" => Some(self.last_status.to_string()),
            "#" => Some(self.positional.len().to_string()),
            "$" => Some("1".into()),
            "!" => Some(String::new()),
            "0" => Some(self.arg0.clone()),
            "-" => Some(String::new()),
            "@" | "*" => Some(self.positional.join(" ")),
            // `${00}` is `$0`, as the shells read it (found by the shell fuzz target).
            n if n.chars().all(|c| c.is_ascii_digit()) => n.parse::<usize>().ok().and_then(|i| if i == 0 { Some(self.arg0.clone()) } else { self.positional.get(i - 1).cloned() }),
            "PWD" => Some(self.cwd.clone()),
            _ => self.vars.get(name).map(|v| v.value.clone()),
        }
    }

    fn set_var(&mut self, name: &str, value: &str) {
        let exported = self.vars.get(name).is_some_and(|v| v.exported) || self.options_allexport();
        self.vars.insert(name.to_string(), Var { value: value.to_string(), exported });
        if name == "PWD" {
            self.cwd = normalize(value);
        }
    }

    fn options_allexport(&self) -> bool {
        false
    }

    // ----- execution -------------------------------------------------------------------

    fn script(&mut self, script: &Script, io: &Io) -> Exec {
        let mut status = 0;
        for item in &script.items {
            status = self.and_or(item, io)?;
        }
        Ok(status)
    }

    fn and_or(&mut self, item: &AndOr, io: &Io) -> Exec {
        let has_rest = !item.rest.is_empty();
        if has_rest {
            self.condition_depth += 1;
        }
        let status = self.pipeline(&item.first, io);
        if has_rest {
            self.condition_depth -= 1;
        }
        let mut status = status?;
        for (i, (connector, pipeline)) in item.rest.iter().enumerate() {
            let run = match connector {
                Connector::And => status == 0,
                Connector::Or => status != 0,
            };
            if run {
                let last = i + 1 == item.rest.len();
                if !last {
                    self.condition_depth += 1;
                }
                let s = self.pipeline(pipeline, io);
                if !last {
                    self.condition_depth -= 1;
                }
                status = s?;
            }
        }
        self.last_status = status;
        if status != 0 && self.options.errexit && self.condition_depth == 0 && !has_rest {
            return Err(Flow::Exit(status));
        }
        if status != 0 && self.options.errexit && self.condition_depth == 0 && has_rest {
            // `a && b` fails the script only when the last command ran and failed.
            let last_ran = item.rest.last().is_some_and(|(c, _)| matches!(c, Connector::Or)) || status != 0;
            if last_ran && matches!(item.rest.last(), Some((Connector::Or, _))) {
                return Err(Flow::Exit(status));
            }
        }
        Ok(status)
    }

    fn pipeline(&mut self, p: &Pipeline, io: &Io) -> Exec {
        self.check_interrupt()?;
        self.deliver_signals(io)?;
        if p.negate {
            self.condition_depth += 1;
        }
        let result = if p.commands.len() == 1 {
            self.command(&p.commands[0], io)
        } else {
            let mut input = io.input();
            let mut statuses = Vec::new();
            for (i, cmd) in p.commands.iter().enumerate() {
                let last = i + 1 == p.commands.len();
                let out = if last { io.out(1) } else { Sink::buffer() };
                let mut stage_io = io.clone();
                stage_io.fds.insert(0, Fd::In(input.clone()));
                stage_io.fds.insert(1, Fd::Out(out.clone()));
                // Each part of a pipeline runs in a subshell.
                let status = self.subshell(|sh| sh.command(cmd, &stage_io));
                statuses.push(status);
                if !last {
                    input = Rc::new(RefCell::new(Input { data: out.take(), pos: 0 }));
                }
            }
            let last = *statuses.last().unwrap_or(&0);
            Ok(if self.options.pipefail { statuses.iter().rev().find(|s| **s != 0).copied().unwrap_or(0) } else { last })
        };
        if p.negate {
            self.condition_depth -= 1;
        }
        let status = result?;
        Ok(if p.negate { i32::from(status == 0) } else { status })
    }

    /// Runs `f` with the shell state saved and restored, as a subshell.
    fn subshell(&mut self, f: impl FnOnce(&mut Shell) -> Exec) -> i32 {
        let saved = (self.vars.clone(), self.functions.clone(), self.positional.clone(), self.options, self.cwd.clone(), self.exit_trap.take());
        let status = match f(self) {
            Ok(s) => s,
            Err(Flow::Exit(s)) | Err(Flow::Return(s)) => s,
            Err(_) => self.last_status,
        };
        (self.vars, self.functions, self.positional, self.options, self.cwd, self.exit_trap) = saved;
        status
    }

    fn command(&mut self, cmd: &Command, io: &Io) -> Exec {
        if crate::stack::exhausted() {
            // Recursion through functions, eval, `.` and nested shells together: end the
            // shell rather than the engine (see `crate::stack`).
            self.error(io, "commands nested too deeply");
            return Err(Flow::Exit(2));
        }
        match cmd {
            Command::Simple { assignments, words, redirects, line } => {
                self.line = *line;
                self.simple(assignments, words, redirects, io)
            }
            Command::Group { body, redirects } => self.with_redirects(redirects, io, |sh, io| sh.script(body, io)),
            Command::Subshell { body, redirects } => self.with_redirects(redirects, io, |sh, io| Ok(sh.subshell(|sh| sh.script(body, io)))),
            Command::If { branches, otherwise, redirects } => self.with_redirects(redirects, io, |sh, io| {
                for (cond, body) in branches {
                    sh.condition_depth += 1;
                    let c = sh.script(cond, io);
                    sh.condition_depth -= 1;
                    if c? == 0 {
                        return sh.script(body, io);
                    }
                }
                match otherwise {
                    Some(o) => sh.script(o, io),
                    None => Ok(0),
                }
            }),
            Command::While { condition, body, until, redirects } => self.with_redirects(redirects, io, |sh, io| {
                let mut status = 0;
                loop {
                    sh.check_interrupt()?;
                    sh.condition_depth += 1;
                    let c = sh.script(condition, io);
                    sh.condition_depth -= 1;
                    if (c? == 0) == *until {
                        break;
                    }
                    match sh.script(body, io) {
                        Ok(s) => status = s,
                        Err(Flow::Break(n)) if n > 1 => return Err(Flow::Break(n - 1)),
                        Err(Flow::Break(_)) => break,
                        Err(Flow::Continue(n)) if n > 1 => return Err(Flow::Continue(n - 1)),
                        Err(Flow::Continue(_)) => continue,
                        Err(e) => return Err(e),
                    }
                }
                Ok(status)
            }),
            Command::For { var, items, body, redirects } => self.with_redirects(redirects, io, |sh, io| {
                let values = match items {
                    Some(words) => {
                        let mut v = Vec::new();
                        for w in words {
                            v.extend(sh.expand_fields(w, io)?);
                        }
                        v
                    }
                    None => sh.positional.clone(),
                };
                let mut status = 0;
                for value in values {
                    sh.check_interrupt()?;
                    sh.set_var(var, &value);
                    match sh.script(body, io) {
                        Ok(s) => status = s,
                        Err(Flow::Break(n)) if n > 1 => return Err(Flow::Break(n - 1)),
                        Err(Flow::Break(_)) => break,
                        Err(Flow::Continue(n)) if n > 1 => return Err(Flow::Continue(n - 1)),
                        Err(Flow::Continue(_)) => continue,
                        Err(e) => return Err(e),
                    }
                }
                Ok(status)
            }),
            Command::Case { word, items, redirects } => self.with_redirects(redirects, io, |sh, io| {
                let value = sh.expand_single(word, io)?;
                for item in items {
                    for p in &item.patterns {
                        let pat = sh.expand_pattern(p, io)?;
                        if pattern::matches(&pat, &value) {
                            return sh.script(&item.body, io);
                        }
                    }
                }
                Ok(0)
            }),
            Command::Function { name, body } => {
                self.functions.insert(name.clone(), Rc::new((**body).clone()));
                Ok(0)
            }
            Command::Test { words, line } => {
                self.line = *line;
                let mut args = Vec::new();
                let mut i = 0;
                while i < words.len() {
                    // The right side of `==`/`!=` is a pattern; `=~` a regular expression.
                    let is_op = |w: &Word| matches!(w.as_slice(), [WordPart::Quoted(op)] if op == "==" || op == "!=" || op == "=");
                    if i > 0 && is_op(&words[i - 1]) {
                        args.push(TestArg::Pattern(self.expand_pattern(&words[i], io)?));
                    } else {
                        args.push(TestArg::Text(self.expand_single(&words[i], io)?));
                    }
                    i += 1;
                }
                match double_bracket(&args, self) {
                    Ok(b) => Ok(i32::from(!b)),
                    Err(msg) => {
                        self.error(io, &msg);
                        Ok(2)
                    }
                }
            }
        }
    }

    /// Applies redirections for the duration of `f`.
    fn with_redirects(&mut self, redirects: &[Redirect], io: &Io, f: impl FnOnce(&mut Shell, &Io) -> Exec) -> Exec {
        if redirects.is_empty() {
            return f(self, io);
        }
        let mut io2 = io.clone();
        let mut files = Vec::new();
        if let Err(status) = self.apply_redirects(redirects, &mut io2, &mut files, io) {
            return Ok(status);
        }
        let result = f(self, &io2);
        let flushed = self.flush_files(files, io);
        // A write that failed (ENOSPC, EROFS) fails the command, as a failed write(2) does.
        result.map(|status| if flushed { status } else { status.max(1) })
    }

    fn apply_redirects(&mut self, redirects: &[Redirect], io2: &mut Io, files: &mut Vec<PendingFile>, io: &Io) -> Result<(), i32> {
        for r in redirects {
            let target = match &r.kind {
                RedirectKind::HereDoc { .. } => String::new(),
                _ => match self.expand_single(&r.target, io) {
                    Ok(t) => t,
                    Err(_) => return Err(1),
                },
            };
            match &r.kind {
                RedirectKind::Input | RedirectKind::ReadWrite => {
                    if target == "/dev/null" {
                        io2.fds.insert(r.fd, Fd::In(Rc::new(RefCell::new(Input { data: Vec::new(), pos: 0 }))));
                        continue;
                    }
                    let path = join(&self.cwd, &target);
                    match self.fs.read(&path) {
                        Ok(data) => {
                            io2.fds.insert(r.fd, Fd::In(Rc::new(RefCell::new(Input { data, pos: 0 }))));
                        }
                        Err(e) => {
                            let msg = match self.flavor {
                                Flavor::Bash => format!("{target}: {}", e.errno.message()),
                                _ => format!("cannot open {target}: {}", short_errno(e.errno)),
                            };
                            self.error(io, &msg);
                            return Err(if self.flavor == Flavor::Bash { 1 } else { 2 });
                        }
                    }
                }
                RedirectKind::Output | RedirectKind::Append => {
                    if target == "/dev/null" {
                        io2.fds.insert(r.fd, Fd::Out(Sink::Null));
                        continue;
                    }
                    if target == "/dev/stdout" || target == "/dev/stderr" {
                        let fd = if target == "/dev/stdout" { 1 } else { 2 };
                        io2.fds.insert(r.fd, Fd::Out(io2.out(fd)));
                        continue;
                    }
                    let path = join(&self.cwd, &target);
                    let append = matches!(r.kind, RedirectKind::Append);
                    // Create (or truncate) now, so errors surface before the command runs.
                    let create = if append && self.fs.exists(&path) { Ok(()) } else { self.fs.write(&path, b"") };
                    if let Err(e) = create {
                        let msg = match self.flavor {
                            Flavor::Bash => format!("{target}: {}", e.errno.message()),
                            _ => format!("cannot create {target}: {}", e.errno.message()),
                        };
                        self.error(io, &msg);
                        return Err(if self.flavor == Flavor::Bash { 1 } else { 2 });
                    }
                    let sink = Sink::buffer();
                    files.push(PendingFile { path, sink: sink.clone(), append: true });
                    io2.fds.insert(r.fd, Fd::Out(sink));
                }
                RedirectKind::Dup => {
                    if target == "-" {
                        io2.fds.remove(&r.fd);
                    } else if let Ok(n) = target.parse::<u32>() {
                        match io2.fds.get(&n).cloned() {
                            Some(fd) => {
                                io2.fds.insert(r.fd, fd);
                            }
                            None => {
                                self.error(io, &format!("{n}: Bad file descriptor"));
                                return Err(2);
                            }
                        }
                    } else {
                        self.error(io, &format!("Syntax error: Bad fd number \"{target}\""));
                        return Err(2);
                    }
                }
                RedirectKind::HereDoc { body, expand } => {
                    let text = if *expand { self.expand_heredoc(body, io) } else { body.clone() };
                    io2.fds.insert(r.fd, Fd::In(Rc::new(RefCell::new(Input { data: text.into_bytes(), pos: 0 }))));
                }
                RedirectKind::HereString => {
                    io2.fds.insert(r.fd, Fd::In(Rc::new(RefCell::new(Input { data: format!("{target}\n").into_bytes(), pos: 0 }))));
                }
            }
        }
        Ok(())
    }

    /// Writes what commands sent to redirected files; false if a write failed (said on
    /// stderr).
    fn flush_files(&mut self, files: Vec<PendingFile>, io: &Io) -> bool {
        let mut ok = true;
        for f in files {
            let data = f.sink.take();
            if data.is_empty() {
                continue;
            }
            let result = if f.append {
                let len = self.fs.stat(&f.path).map_or(0, |m| m.size);
                self.fs.write_at(&f.path, len, &data)
            } else {
                self.fs.write(&f.path, &data)
            };
            if let Err(e) = result {
                io.stderr(format!("{}: write error: {}\n", self.arg0, e.errno.message()).as_bytes());
                ok = false;
            }
        }
        ok
    }

    fn simple(&mut self, assignments: &[Assignment], words: &[Word], redirects: &[Redirect], io: &Io) -> Exec {
        let mut argv: Vec<String> = Vec::new();
        let mut size = 0usize;
        for w in words {
            let fields = self.expand_fields(w, io)?;
            size += fields.iter().map(|f| f.len() + 1).sum::<usize>();
            // A command line that grows past what a tab can hold (a function passing
            // `"$@" "$@"` to itself doubles it each call, which the shell fuzz target
            // found) is refused as Linux refuses an exec past ARG_MAX, never a hang.
            if size > ARGS_LIMIT {
                self.error(io, "Argument list too long");
                return Ok(126);
            }
            argv.extend(fields);
        }
        let mut assigned = Vec::new();
        for a in assignments {
            let value = self.expand_single(&a.value, io)?;
            assigned.push((a.name.clone(), value));
        }
        if self.options.xtrace {
            let mut line = String::from("+");
            for (k, v) in &assigned {
                line.push_str(&format!(" {k}={v}"));
            }
            for a in &argv {
                line.push(' ');
                line.push_str(&trace_quote(a));
            }
            line.push('\n');
            io.stderr(line.as_bytes());
        }
        if argv.is_empty() {
            for (k, v) in &assigned {
                self.set_var(k, v);
            }
            let mut io2 = io.clone();
            let mut files = Vec::new();
            let status = match self.apply_redirects(redirects, &mut io2, &mut files, io) {
                Ok(()) => 0,
                Err(s) => s,
            };
            let flushed = self.flush_files(files, io);
            return Ok(if flushed { status } else { status.max(1) });
        }
        let mut io2 = io.clone();
        let mut files = Vec::new();
        if let Err(status) = self.apply_redirects(redirects, &mut io2, &mut files, io) {
            return Ok(status);
        }
        let result = self.run_command(&argv, &assigned, &io2);
        let flushed = self.flush_files(files, io);
        let status = result.map(|status| if flushed { status } else { status.max(1) })?;
        self.last_status = status;
        Ok(status)
    }

    fn run_command(&mut self, argv: &[String], assigned: &[(String, String)], io: &Io) -> Exec {
        let name = argv[0].as_str();
        if is_special_builtin(name) {
            // Assignments before special builtins persist.
            for (k, v) in assigned {
                self.set_var(k, v);
            }
            return self.builtin(name, &argv[1..], io);
        }
        if let Some(f) = self.functions.get(name).cloned() {
            if self.depth > MAX_DEPTH {
                self.error(io, &format!("{name}: function nested too deeply"));
                return Err(Flow::Exit(2));
            }
            let saved_args = std::mem::replace(&mut self.positional, argv[1..].to_vec());
            let saved_vars: Vec<(String, Option<Var>)> = assigned.iter().map(|(k, _)| (k.clone(), self.vars.get(k).cloned())).collect();
            for (k, v) in assigned {
                self.set_var(k, v);
            }
            self.locals.push(Vec::new());
            self.depth += 1;
            let result = self.command(&f, io);
            self.depth -= 1;
            for (k, old) in self.locals.pop().unwrap_or_default().into_iter().rev().chain(saved_vars) {
                match old {
                    Some(v) => {
                        self.vars.insert(k, v);
                    }
                    None => {
                        self.vars.remove(&k);
                    }
                }
            }
            self.positional = saved_args;
            return match result {
                Err(Flow::Return(s)) => Ok(s),
                other => other,
            };
        }
        if is_regular_builtin(name) {
            let saved: Vec<(String, Option<Var>)> = assigned.iter().map(|(k, _)| (k.clone(), self.vars.get(k).cloned())).collect();
            for (k, v) in assigned {
                self.set_var(k, v);
            }
            let r = self.builtin(name, &argv[1..], io);
            for (k, old) in saved {
                match old {
                    Some(v) => {
                        self.vars.insert(k, v);
                    }
                    None => {
                        self.vars.remove(&k);
                    }
                }
            }
            return r;
        }
        let mut env = self.environment();
        for (k, v) in assigned {
            env.insert(k.clone(), v.clone());
        }
        Ok(self.exec(argv, &env, io))
    }

    /// Finds `name` on `PATH` the way the shell does: the first regular file.
    fn lookup(&self, name: &str, env: &BTreeMap<String, String>) -> Option<String> {
        if name.contains('/') {
            return Some(join(&self.cwd, name));
        }
        let path = env.get("PATH").cloned().unwrap_or_default();
        for dir in path.split(':') {
            let dir = if dir.is_empty() { "." } else { dir };
            let candidate = join(&join(&self.cwd, dir), name);
            if let Ok(m) = self.fs.stat(&candidate) {
                if m.kind == FileType::File && m.mode & 0o111 != 0 {
                    return Some(candidate);
                }
            }
        }
        None
    }

    fn not_found(&self, name: &str, io: &Io) -> i32 {
        let msg = match self.flavor {
            Flavor::Bash => format!("{name}: command not found"),
            _ => format!("{name}: not found"),
        };
        self.error(io, &msg);
        127
    }

    /// Runs a program from the filesystem.
    fn exec(&mut self, argv: &[String], env: &BTreeMap<String, String>, io: &Io) -> i32 {
        let name = &argv[0];
        let Some(path) = self.lookup(name, env) else {
            // The sandbox host's programs, which have no files.
            if self.builtin_userland {
                if let Some(status) = self.run_program(name, argv, env, io) {
                    return status;
                }
            }
            if let Some(status) = self.run_host_program(argv, env, io) {
                return status;
            }
            return self.not_found(name, io);
        };
        let meta = match self.fs.stat(&path) {
            Ok(m) => m,
            Err(_) => return self.not_found(name, io),
        };
        if meta.is_dir() {
            self.error(io, &format!("{name}: Permission denied"));
            return 126;
        }
        let executable = if self.uid == 0 { meta.mode & 0o111 != 0 } else if meta.uid == self.uid { meta.mode & 0o100 != 0 } else if meta.gid == self.gid { meta.mode & 0o010 != 0 } else { meta.mode & 0o001 != 0 };
        if !executable {
            self.error(io, &format!("{name}: Permission denied"));
            return 126;
        }
        let content = match self.fs.content(&path) {
            Ok(c) => c,
            Err(_) => return self.not_found(name, io),
        };
        match content {
            Content::Lazy { label, .. } => {
                let Some(program) = label.strip_prefix("exec:") else {
                    self.error(io, &format!("{name}: Exec format error"));
                    return 126;
                };
                let base = name.rsplit('/').next().unwrap_or(name);
                // BusyBox picks the applet from argv[0].
                let applet = if program == "busybox" && base != "busybox" { base.to_string() } else { program.to_string() };
                let args: Vec<String> = if program == "busybox" && base == "busybox" { argv[1..].to_vec() } else { argv.to_vec() };
                if args.is_empty() {
                    io.stdout(b"BusyBox v1.36.1 multi-call binary.\n");
                    return 0;
                }
                let applet = if program == "busybox" && base == "busybox" { args[0].rsplit('/').next().unwrap_or("").to_string() } else { applet };
                // The sandbox host's `docker` is a program file the host answers.
                match self.run_program(&applet, &args, env, io).or_else(|| self.run_host_program(&args, env, io)) {
                    Some(s) => s,
                    None => {
                        io.stderr(format!("{base}: Berth's userland does not provide this program yet (the image lists it as {path})\n").as_bytes());
                        127
                    }
                }
            }
            Content::Data(bytes) => {
                if let Some(rest) = bytes.strip_prefix(b"#!") {
                    let first = rest.split(|b| *b == b'\n').next().unwrap_or(b"");
                    let line = String::from_utf8_lossy(first).trim().to_string();
                    let mut parts = line.splitn(2, char::is_whitespace);
                    let interpreter = parts.next().unwrap_or("").to_string();
                    let mut new_argv = vec![interpreter.clone()];
                    if let Some(arg) = parts.next().map(str::trim).filter(|a| !a.is_empty()) {
                        new_argv.push(arg.to_string());
                    }
                    new_argv.push(path.clone());
                    new_argv.extend(argv[1..].iter().cloned());
                    if !self.fs.exists(&interpreter) {
                        self.error(io, &format!("{name}: not found"));
                        return 127;
                    }
                    self.depth += 1;
                    let s = if self.depth > MAX_DEPTH { 126 } else { self.exec(&new_argv, env, io) };
                    self.depth -= 1;
                    return s;
                }
                if crate::wasi::is_wasm(&bytes) {
                    return self.run_applet(&format!("wasi:{path}"), argv, env, io).unwrap_or(126);
                }
                if bytes.starts_with(b"\x7fELF") {
                    self.error(io, &format!("{name}: Exec format error"));
                    return 126;
                }
                // No interpreter line: the shell runs it as a script.
                let script = String::from_utf8_lossy(&bytes).into_owned();
                self.nested_shell(self.flavor, &script, path.as_str(), &argv[1..], env, io)
            }
        }
    }

    fn run_host_program(&mut self, argv: &[String], env: &BTreeMap<String, String>, io: &Io) -> Option<i32> {
        let program = self.host_program.clone()?;
        let input = io.input();
        let stdin = {
            let mut i = input.borrow_mut();
            let rest = i.data[i.pos..].to_vec();
            i.pos = i.data.len();
            rest
        };
        let stdout_terminal = self.top.as_ref().is_some_and(|(_, out, _)| io.out(1).same(out));
        let terminal = stdout_terminal && self.top.as_ref().is_some_and(|(_, _, err)| io.out(2).same(err));
        if let (true, Some(pause)) = (terminal, self.pause.clone()) {
            // What the line printed before shows first.
            let shown = self.take_shown_output();
            if !shown.is_empty() {
                pause(&shown, 0.0);
            }
        }
        let out = program(&HostCall { argv, stdin: &stdin, cwd: &self.cwd, env, terminal, stdout_terminal })?;
        io.stdout(&out.stdout);
        io.stderr(&out.stderr);
        Some(out.status)
    }

    fn run_program(&mut self, program: &str, argv: &[String], env: &BTreeMap<String, String>, io: &Io) -> Option<i32> {
        match program {
            "sh" | "ash" | "dash" | "bash" | "rbash" => {
                let flavor = match program {
                    "bash" | "rbash" => Flavor::Bash,
                    "ash" => Flavor::Ash,
                    _ if self.flavor == Flavor::Ash => Flavor::Ash,
                    _ => Flavor::Dash,
                };
                Some(self.shell_program(flavor, argv, env, io))
            }
            _ => self.run_applet(program, argv, env, io),
        }
    }

    /// `sh -c CMD [ARG0 ARGS…]`, `sh FILE ARGS…`, or a script on stdin.
    fn shell_program(&mut self, flavor: Flavor, argv: &[String], env: &BTreeMap<String, String>, io: &Io) -> i32 {
        let mut i = 1;
        let mut errexit = false;
        let mut xtrace = false;
        // Options may come bundled (`-euxc`): a `c` among them makes the next word the script.
        let mut command_mode = false;
        while i < argv.len() && argv[i].starts_with('-') && argv[i].len() > 1 && argv[i] != "--" {
            let flags = &argv[i][1..];
            errexit |= flags.contains('e');
            xtrace |= flags.contains('x');
            i += 1;
            if flags.contains('c') {
                command_mode = true;
                break;
            }
        }
        let name = argv[0].rsplit('/').next().unwrap_or("sh").to_string();
        let (script, arg0, args) = if command_mode {
            i -= 1;
            let Some(cmd) = argv.get(i + 1) else {
                io.stderr(format!("{name}: -c requires an argument\n").as_bytes());
                return 2;
            };
            // dash names itself as invoked (`/bin/sh: 1: foo: not found`).
            let arg0 = argv.get(i + 2).cloned().unwrap_or_else(|| argv[0].clone());
            (cmd.clone(), arg0, argv.get(i + 3..).map(<[String]>::to_vec).unwrap_or_default())
        } else if let Some(file) = argv.get(i) {
            let path = join(&self.cwd, file);
            match self.fs.read(&path) {
                Ok(b) => (String::from_utf8_lossy(&b).into_owned(), file.clone(), argv[i + 1..].to_vec()),
                Err(_) => {
                    let msg = match flavor {
                        Flavor::Bash => format!("{name}: {file}: No such file or directory\n"),
                        _ => format!("{name}: 0: cannot open {file}: No such file\n"),
                    };
                    io.stderr(msg.as_bytes());
                    return if flavor == Flavor::Bash { 127 } else { 2 };
                }
            }
        } else {
            let input = io.input();
            let mut input = input.borrow_mut();
            let rest = input.data[input.pos..].to_vec();
            input.pos = input.data.len();
            (String::from_utf8_lossy(&rest).into_owned(), name.clone(), Vec::new())
        };
        let mut env = env.clone();
        env.remove("PWD");
        let status = {
            let mut child = Shell::new(self.fs, flavor);
            for (k, v) in &env {
                child.set_env(k, v);
            }
            child.cwd = self.cwd.clone();
            child.set_env("PWD", &self.cwd);
            child.uid = self.uid;
            child.gid = self.gid;
            child.group_explicit = self.group_explicit;
            child.hostname = self.hostname.clone();
            child.replayable = self.replayable;
            child.signals = self.signals.clone();
            child.signal_kills = self.signal_kills;
            child.interrupt = self.interrupt.clone();
            child.budget = self.budget;
            child.time_limit = self.time_limit;
            child.stopped = self.stopped.clone();
            child.depth = self.depth + 1;
            child.builtin_userland = self.builtin_userland;
            child.host_program = self.host_program.clone();
            child.terminal = self.terminal.clone();
            child.pause = self.pause.clone();
            child.top = self.top.clone();
            child.clock = self.clock;
            child.slept = self.slept.clone();
            child.options.errexit = errexit;
            child.options.xtrace = xtrace;
            child.set_args(&arg0, &args);
            if child.depth > MAX_DEPTH {
                return 126;
            }
            let s = child.run_source(&script, io);
            self.budget = child.budget;
            s
        };
        status
    }

    fn nested_shell(&mut self, flavor: Flavor, script: &str, arg0: &str, args: &[String], env: &BTreeMap<String, String>, io: &Io) -> i32 {
        let mut argv = vec!["sh".to_string(), "-c".to_string(), script.to_string(), arg0.to_string()];
        argv.extend(args.iter().cloned());
        self.shell_program(flavor, &argv, env, io)
    }

    fn run_applet(&mut self, name: &str, argv: &[String], env: &BTreeMap<String, String>, io: &Io) -> Option<i32> {
        // `tail -f FILE` prints the tail, then waits for more for ever: nothing else writes
        // while an emulated process runs, so the wait is `sleep infinity`'s (the
        // keep-alive idiom `tail -f /dev/null` keeps a container up).
        let follows = |a: &String| matches!(a.as_str(), "-f" | "-F" | "--follow" | "--retry") || a.starts_with("--follow=");
        if name == "tail" && argv[1..].iter().any(follows) {
            let plain: Vec<String> = argv.iter().filter(|a| !follows(a)).cloned().collect();
            let status = self.run_applet(name, &plain, env, io)?;
            if status != 0 {
                return Some(status);
            }
            let forever = ["infinity".to_string()];
            return self.run_applet("sleep", &[["sleep".to_string()].as_slice(), &forever].concat(), env, io).map(|s| if s == 130 { 130 } else { status });
        }
        if name == "sleep" {
            if let Ok(secs) = sleep_seconds(&argv[1..]) {
                self.slept.set(self.slept.get() + secs);
                if let Some(pause) = self.pause.clone() {
                    let shown = self.take_shown_output();
                    if !pause(&shown, secs) {
                        if let Some(flag) = &self.interrupt {
                            flag.store(true, Ordering::Relaxed);
                        }
                        return Some(130);
                    }
                }
            }
        }
        let input = io.input();
        let stdin = {
            let i = input.borrow();
            i.data[i.pos..].to_vec()
        };
        let mut ctx = Ctx::new(self.fs, &self.cwd, env, stdin);
        ctx.uid = self.uid;
        ctx.group_explicit = self.group_explicit;
        ctx.gid = self.gid;
        ctx.hostname = self.hostname.clone();
        ctx.replayable = self.replayable;
        ctx.signals = Some(self.signals.clone());
        ctx.flavor_echo_escapes = self.flavor == Flavor::Dash;
        ctx.busybox = self.flavor == Flavor::Ash;
        ctx.interrupt = self.interrupt.clone();
        ctx.now = self.clock.map(|t| t.saturating_add(self.slept.get() as i64));
        for (n, fd) in &io.fds {
            if let (3.., Fd::In(data)) = (*n, fd) {
                let d = data.borrow();
                ctx.fds.insert(*n, d.data[d.pos.min(d.data.len())..].to_vec());
            }
        }
        // A program that waits (reads the terminal, sleeps) first shows what the shell
        // wrote before it, then its own output so far.
        if let Some((top, out, err)) = self.top.clone() {
            let earlier = move |own: &str| {
                let mut shown = Vec::new();
                for sink in [&out, &err] {
                    if let Sink::Buffer(b) = sink {
                        shown.append(&mut b.borrow_mut());
                    }
                }
                String::from_utf8_lossy(&shown).into_owned() + own
            };
            let earlier = Rc::new(earlier);
            if let Some(pause) = self.pause.clone() {
                let earlier = earlier.clone();
                ctx.pause = Some(Rc::new(move |own: &str, secs: f64| pause(&earlier(own), secs)));
            }
            if let Some(terminal) = self.terminal.clone().filter(|_| Rc::ptr_eq(&top, &input)) {
                ctx.terminal = Some(Rc::new(move |own: &str| terminal(&earlier(own))));
            }
        }
        let status = applets::run(name, argv, &mut ctx)?;
        let consumed = ctx.stdin_consumed;
        // Where both streams reach one log, the first error keeps its place in the output.
        let split = ctx.stderr_at.unwrap_or(ctx.stdout.len()).min(ctx.stdout.len());
        io.stdout(&ctx.stdout[..split]);
        io.stderr(&ctx.stderr);
        io.stdout(&ctx.stdout[split..]);
        {
            let mut i = input.borrow_mut();
            i.pos = (i.pos + consumed).min(i.data.len());
        }
        if let Some((argv, env)) = ctx.then_exec.take() {
            let then_as = ctx.then_as.take();
            drop(ctx);
            if argv.is_empty() {
                return Some(status);
            }
            let user = (self.uid, self.gid);
            if let Some((uid, gid)) = then_as {
                (self.uid, self.gid) = (uid, gid);
            }
            self.depth += 1;
            let s = if self.depth > MAX_DEPTH { 126 } else { self.exec(&argv, &env, io) };
            self.depth -= 1;
            (self.uid, self.gid) = user;
            return Some(s);
        }
        Some(status)
    }

    // ----- builtins ----------------------------------------------------------------------

    fn builtin(&mut self, name: &str, args: &[String], io: &Io) -> Exec {
        match name {
            ":" | "true" => Ok(0),
            "false" => Ok(1),
            "exit" => {
                let code = match args.first() {
                    Some(a) => match a.parse::<i32>() {
                        Ok(n) => n & 0xff,
                        Err(_) => {
                            self.error(io, &format!("exit: Illegal number: {a}"));
                            2
                        }
                    },
                    None => self.last_status,
                };
                Err(Flow::Exit(code))
            }
            "return" => Err(Flow::Return(args.first().and_then(|a| a.parse().ok()).unwrap_or(self.last_status))),
            "break" | "continue" => {
                let n = args.first().and_then(|a| a.parse().ok()).unwrap_or(1).max(1);
                Err(if name == "break" { Flow::Break(n) } else { Flow::Continue(n) })
            }
            "cd" => {
                let target = match args.first().map(String::as_str) {
                    None => self.get_var("HOME").unwrap_or_else(|| "/".into()),
                    Some("-") => self.get_var("OLDPWD").unwrap_or_else(|| self.cwd.clone()),
                    Some(d) => d.to_string(),
                };
                let path = join(&self.cwd, &target);
                match self.fs.stat(&path) {
                    Ok(m) if m.is_dir() => {
                        let old = self.cwd.clone();
                        self.set_var("OLDPWD", &old);
                        self.cwd = path.clone();
                        self.set_var("PWD", &path);
                        if args.first().map(String::as_str) == Some("-") {
                            io.stdout(format!("{path}\n").as_bytes());
                        }
                        Ok(0)
                    }
                    _ => {
                        let msg = match self.flavor {
                            Flavor::Bash => format!("cd: {target}: No such file or directory"),
                            _ => format!("cd: can't cd to {target}"),
                        };
                        self.error(io, &msg);
                        Ok(if self.flavor == Flavor::Bash { 1 } else { 2 })
                    }
                }
            }
            "pwd" => {
                io.stdout(format!("{}\n", self.cwd).as_bytes());
                Ok(0)
            }
            "export" | "readonly" => {
                if args.is_empty() || args[0] == "-p" {
                    let mut out = String::new();
                    for (k, v) in self.vars.iter().filter(|(_, v)| v.exported) {
                        out.push_str(&format!("export {k}='{}'\n", v.value.replace('\'', "'\\''")));
                    }
                    io.stdout(out.as_bytes());
                    return Ok(0);
                }
                for a in args {
                    match a.split_once('=') {
                        Some((k, v)) => {
                            self.vars.insert(k.to_string(), Var { value: v.to_string(), exported: true });
                        }
                        None => {
                            let value = self.vars.get(a).map(|v| v.value.clone()).unwrap_or_default();
                            if self.vars.contains_key(a) || name == "export" {
                                self.vars.insert(a.clone(), Var { value, exported: true });
                            }
                        }
                    }
                }
                Ok(0)
            }
            "unset" => {
                for a in args.iter().filter(|a| !a.starts_with('-')) {
                    self.vars.remove(a);
                    if args.iter().any(|x| x == "-f") {
                        self.functions.remove(a);
                    }
                }
                Ok(0)
            }
            "local" => {
                for a in args {
                    let (k, v) = match a.split_once('=') {
                        Some((k, v)) => (k.to_string(), Some(v.to_string())),
                        None => (a.clone(), None),
                    };
                    let old = self.vars.get(&k).cloned();
                    if let Some(frame) = self.locals.last_mut() {
                        frame.push((k.clone(), old));
                    }
                    if let Some(v) = v {
                        self.set_var(&k, &v);
                    }
                }
                Ok(0)
            }
            "set" => {
                let mut i = 0;
                while i < args.len() {
                    let a = &args[i];
                    if a == "--" {
                        self.positional = args[i + 1..].to_vec();
                        return Ok(0);
                    }
                    if a == "-o" || a == "+o" {
                        let on = a == "-o";
                        if let Some(opt) = args.get(i + 1) {
                            match opt.as_str() {
                                "errexit" => self.options.errexit = on,
                                "nounset" => self.options.nounset = on,
                                "xtrace" => self.options.xtrace = on,
                                "pipefail" => self.options.pipefail = on,
                                "noglob" => self.options.noglob = on,
                                _ => {}
                            }
                        }
                        i += 2;
                        continue;
                    }
                    if let Some(flags) = a.strip_prefix('-').or_else(|| a.strip_prefix('+')) {
                        let on = a.starts_with('-');
                        for f in flags.chars() {
                            match f {
                                'e' => self.options.errexit = on,
                                'u' => self.options.nounset = on,
                                'x' => self.options.xtrace = on,
                                'f' => self.options.noglob = on,
                                _ => {}
                            }
                        }
                        i += 1;
                        continue;
                    }
                    self.positional = args[i..].to_vec();
                    return Ok(0);
                }
                if args.is_empty() {
                    let mut out = String::new();
                    for (k, v) in &self.vars {
                        out.push_str(&format!("{k}='{}'\n", v.value));
                    }
                    io.stdout(out.as_bytes());
                }
                Ok(0)
            }
            "shift" => {
                let n = args.first().and_then(|a| a.parse().ok()).unwrap_or(1);
                if n > self.positional.len() {
                    self.error(io, "shift: can't shift that many");
                    return Err(Flow::Exit(2));
                }
                self.positional.drain(..n);
                Ok(0)
            }
            "eval" => {
                let src = args.join(" ");
                if self.depth >= MAX_DEPTH {
                    self.error(io, "eval: nested too deeply");
                    return Err(Flow::Exit(2));
                }
                match parser::parse(&src) {
                    Ok(ast) => {
                        self.depth += 1;
                        let r = self.script(&ast, io);
                        self.depth -= 1;
                        r
                    }
                    Err(e) => {
                        self.error(io, &e.to_string());
                        Ok(2)
                    }
                }
            }
            "." | "source" => {
                let Some(file) = args.first() else {
                    self.error(io, &format!("{name}: filename argument required"));
                    return Ok(2);
                };
                let path = if file.contains('/') { Some(join(&self.cwd, file)) } else { self.lookup_source(file) };
                let Some(data) = path.and_then(|p| self.fs.read(&p).ok()) else {
                    let msg = match self.flavor {
                        Flavor::Bash => format!("{file}: No such file or directory"),
                        _ => format!("{name}: cannot open {file}: No such file"),
                    };
                    self.error(io, &msg);
                    return Err(Flow::Exit(if self.flavor == Flavor::Bash { 1 } else { 2 }));
                };
                let src = String::from_utf8_lossy(&data).into_owned();
                if self.depth >= MAX_DEPTH {
                    self.error(io, &format!("{name}: {file}: nested too deeply"));
                    return Err(Flow::Exit(2));
                }
                match parser::parse(&src) {
                    Ok(ast) => {
                        let saved = if args.len() > 1 { Some(std::mem::replace(&mut self.positional, args[1..].to_vec())) } else { None };
                        self.depth += 1;
                        let r = self.script(&ast, io);
                        self.depth -= 1;
                        if let Some(s) = saved {
                            self.positional = s;
                        }
                        match r {
                            Err(Flow::Return(s)) => Ok(s),
                            other => other,
                        }
                    }
                    Err(e) => {
                        self.error(io, &e.to_string());
                        Err(Flow::Exit(2))
                    }
                }
            }
            "exec" => {
                if args.is_empty() {
                    return Ok(0);
                }
                let env = self.environment();
                let s = self.exec(args, &env, io);
                Err(Flow::Exit(s))
            }
            "trap" => {
                if args.len() < 2 {
                    return Ok(0);
                }
                for name in &args[1..] {
                    let upper = name.to_ascii_uppercase();
                    let upper = upper.strip_prefix("SIG").unwrap_or(&upper);
                    if upper == "EXIT" || upper == "0" {
                        self.exit_trap = if args[0] == "-" || args[0].is_empty() { None } else { Some(args[0].clone()) };
                        continue;
                    }
                    let Some(signal) = SIGNALS.iter().find(|(n, num)| *n == upper || num.to_string() == upper).map(|(n, _)| n.to_string()) else {
                        self.error(io, &format!("trap: {name}: bad trap"));
                        return Ok(1);
                    };
                    if args[0] == "-" {
                        self.signal_traps.remove(&signal);
                    } else {
                        self.signal_traps.insert(signal, args[0].clone());
                    }
                }
                Ok(0)
            }
            "read" => Ok(self.read_builtin(args, io)),
            "echo" => {
                let mut ctx_out = Vec::new();
                applets::echo(args, self.flavor == Flavor::Dash, &mut ctx_out);
                io.stdout(&ctx_out);
                Ok(0)
            }
            "printf" | "test" | "[" | "kill" => {
                let env = self.environment();
                let mut argv = vec![name.to_string()];
                argv.extend(args.iter().cloned());
                Ok(self.run_applet(name, &argv, &env, io).unwrap_or(127))
            }
            "command" | "type" | "which" if name != "which" => {
                let verbose = args.first().is_some_and(|a| a == "-v" || a == "-V") || name == "type";
                let names: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
                if !verbose {
                    let Some(first) = names.first() else { return Ok(0) };
                    let mut argv: Vec<String> = names.iter().map(|s| s.to_string()).collect();
                    let env = self.environment();
                    let first = first.to_string();
                    if is_special_builtin(&first) || is_regular_builtin(&first) {
                        return self.builtin(&first, &argv.split_off(1), io);
                    }
                    return Ok(self.exec(&argv, &env, io));
                }
                let env = self.environment();
                let mut status = 0;
                for n in names {
                    if self.functions.contains_key(n.as_str()) {
                        io.stdout(if name == "type" { format!("{n} is a shell function\n") } else { format!("{n}\n") }.as_bytes());
                    } else if is_special_builtin(n) || is_regular_builtin(n) {
                        io.stdout(if name == "type" { format!("{n} is a shell builtin\n") } else { format!("{n}\n") }.as_bytes());
                    } else if let Some(p) = self.lookup(n, &env) {
                        io.stdout(if name == "type" { format!("{n} is {p}\n") } else { format!("{p}\n") }.as_bytes());
                    } else {
                        if name == "type" {
                            io.stdout(format!("{n}: not found\n").as_bytes());
                        }
                        status = if name == "type" { 127 } else { 1 };
                    }
                }
                Ok(status)
            }
            "umask" => {
                io.stdout(b"0022\n");
                Ok(0)
            }
            "wait" | "alias" | "unalias" | "hash" | "ulimit" | "times" => Ok(0),
            "shopt" => Ok(0),
            _ => Ok(127),
        }
    }

    fn lookup_source(&self, file: &str) -> Option<String> {
        let env = self.environment();
        let path = env.get("PATH").cloned().unwrap_or_default();
        for dir in path.split(':') {
            let p = join(&join(&self.cwd, dir), file);
            if self.fs.stat(&p).is_ok_and(|m| m.is_file()) {
                return Some(p);
            }
        }
        let local = join(&self.cwd, file);
        (self.flavor == Flavor::Bash && self.fs.exists(&local)).then_some(local)
    }

    /// What the current run wrote to its top-level stdout and stderr so far, taken out
    /// so that it can be shown now.
    fn take_shown_output(&mut self) -> String {
        let Some((_, out, err)) = self.top.clone() else { return String::new() };
        let mut shown = Vec::new();
        for sink in [&out, &err] {
            if let Sink::Buffer(b) = sink {
                shown.append(&mut b.borrow_mut());
            }
        }
        String::from_utf8_lossy(&shown).into_owned()
    }

    /// When `input` is the terminal and nothing is typed ahead, shows the output so far
    /// and waits for the user's next line.
    fn await_terminal_line(&mut self, input: &Rc<RefCell<Input>>) {
        let (Some(terminal), Some((top, out, err))) = (self.terminal.clone(), self.top.clone()) else { return };
        if !Rc::ptr_eq(&top, input) || input.borrow().pos < input.borrow().data.len() {
            return;
        }
        let mut shown = Vec::new();
        for sink in [&out, &err] {
            if let Sink::Buffer(b) = sink {
                shown.append(&mut b.borrow_mut());
            }
        }
        if let Some(line) = terminal(&String::from_utf8_lossy(&shown)) {
            let mut i = input.borrow_mut();
            i.data.extend_from_slice(line.as_bytes());
            i.data.push(b'\n');
        }
    }

    fn read_builtin(&mut self, args: &[String], io: &Io) -> i32 {
        let mut raw = false;
        let mut names = Vec::new();
        let mut prompt = None;
        let mut i = 0;
        while i < args.len() {
            match args[i].as_str() {
                "-r" => raw = true,
                "-p" => {
                    prompt = args.get(i + 1).cloned();
                    i += 1;
                }
                a if a.starts_with('-') => {}
                a => names.push(a.to_string()),
            }
            i += 1;
        }
        if let Some(p) = prompt {
            io.stderr(p.as_bytes());
        }
        if names.is_empty() {
            names.push("REPLY".into());
        }
        let input = io.input();
        self.await_terminal_line(&input);
        let mut input = input.borrow_mut();
        if input.pos >= input.data.len() {
            for n in &names {
                self.set_var(n, "");
            }
            return 1;
        }
        let rest = &input.data[input.pos..];
        let (line, consumed, complete) = match rest.iter().position(|b| *b == b'\n') {
            Some(i) => (&rest[..i], i + 1, true),
            None => (rest, rest.len(), false),
        };
        let mut line = String::from_utf8_lossy(line).into_owned();
        input.pos += consumed;
        drop(input);
        if !raw {
            line = line.replace("\\\n", "").replace('\\', "");
        }
        let ifs = self.get_var("IFS").unwrap_or_else(|| " \t\n".into());
        let trimmed = line.trim_matches(|c: char| ifs.contains(c) && c.is_whitespace());
        let mut fields: Vec<&str> = Vec::new();
        let mut rest = trimmed;
        for idx in 0..names.len() {
            if idx + 1 == names.len() {
                fields.push(rest);
                break;
            }
            match rest.find(|c| ifs.contains(c)) {
                Some(p) => {
                    fields.push(&rest[..p]);
                    rest = rest[p..].trim_start_matches(|c| ifs.contains(c));
                }
                None => {
                    fields.push(rest);
                    rest = "";
                }
            }
        }
        for (n, v) in names.iter().zip(fields.iter().chain(std::iter::repeat(&""))) {
            self.set_var(n, v);
        }
        i32::from(!complete)
    }

    // ----- expansion ---------------------------------------------------------------------

    /// Expands a word into fields: parameter, command and arithmetic expansion, field
    /// splitting on `IFS`, pathname expansion, quote removal.
    fn expand_fields(&mut self, word: &Word, io: &Io) -> Result<Vec<String>, Flow> {
        let mut pieces: Vec<Piece> = Vec::new();
        self.expand_parts(word, false, &mut pieces, io)?;
        // Split.
        let ifs = self.get_var("IFS").unwrap_or_else(|| " \t\n".into());
        let mut fields: Vec<Vec<(char, bool)>> = Vec::new();
        let mut current: Vec<(char, bool)> = Vec::new();
        let mut has_field = false;
        for piece in pieces {
            match piece {
                Piece::Text { text, quoted, split } => {
                    if split && !ifs.is_empty() {
                        for c in text.chars() {
                            if ifs.contains(c) {
                                if has_field || !current.is_empty() {
                                    fields.push(std::mem::take(&mut current));
                                }
                                has_field = false;
                            } else {
                                current.push((c, false));
                                has_field = true;
                            }
                        }
                    } else {
                        current.extend(text.chars().map(|c| (c, quoted)));
                        has_field = true;
                    }
                }
                Piece::FieldBreak => {
                    fields.push(std::mem::take(&mut current));
                    has_field = false;
                }
                Piece::Empty => has_field = true,
            }
        }
        if has_field || !current.is_empty() {
            fields.push(current);
        }
        // Glob.
        let mut out = Vec::new();
        for field in fields {
            let pat = pattern::compile(&field);
            if !self.options.noglob && pattern::has_magic(&pat) {
                let matches = self.glob(&field);
                if !matches.is_empty() {
                    out.extend(matches);
                    continue;
                }
            }
            out.push(field.into_iter().map(|(c, _)| c).collect());
        }
        Ok(out)
    }

    /// Expands a word into one string (assignments, redirection targets, `case`).
    fn expand_single(&mut self, word: &Word, io: &Io) -> Result<String, Flow> {
        let mut pieces = Vec::new();
        self.expand_parts(word, true, &mut pieces, io)?;
        Ok(pieces
            .into_iter()
            .map(|p| match p {
                Piece::Text { text, .. } => text,
                Piece::FieldBreak => " ".into(),
                Piece::Empty => String::new(),
            })
            .collect())
    }

    fn expand_pattern(&mut self, word: &Word, io: &Io) -> Result<Vec<pattern::Pat>, Flow> {
        let mut pieces = Vec::new();
        // Unquoted parts (and unquoted expansions) keep their pattern characters live.
        self.expand_parts(word, false, &mut pieces, io)?;
        let mut chars = Vec::new();
        for p in pieces {
            if let Piece::Text { text, quoted, .. } = p {
                chars.extend(text.chars().map(|c| (c, quoted)));
            }
        }
        Ok(pattern::compile(&chars))
    }

    fn expand_parts(&mut self, parts: &[WordPart], in_quotes: bool, out: &mut Vec<Piece>, io: &Io) -> Result<(), Flow> {
        for part in parts {
            match part {
                WordPart::Literal(s) => out.push(Piece::Text { text: s.clone(), quoted: in_quotes, split: false }),
                WordPart::Quoted(s) => {
                    if s.is_empty() {
                        out.push(Piece::Empty);
                    } else {
                        out.push(Piece::Text { text: s.clone(), quoted: true, split: false });
                    }
                }
                WordPart::DoubleQuoted(inner) => {
                    if inner.is_empty() {
                        out.push(Piece::Empty);
                    }
                    // "$@" gives one field per parameter.
                    if let [WordPart::Param(Param { name, op: ParamOp::Plain })] = inner.as_slice() {
                        if name == "@" {
                            for (i, p) in self.positional.clone().into_iter().enumerate() {
                                if i > 0 {
                                    out.push(Piece::FieldBreak);
                                }
                                out.push(Piece::Text { text: p, quoted: true, split: false });
                            }
                            if self.positional.is_empty() {
                                // No fields at all.
                            }
                            continue;
                        }
                    }
                    let mut inner_pieces = Vec::new();
                    self.expand_parts(inner, true, &mut inner_pieces, io)?;
                    if inner_pieces.is_empty() {
                        out.push(Piece::Empty);
                    }
                    for p in inner_pieces {
                        out.push(match p {
                            Piece::Text { text, .. } => Piece::Text { text, quoted: true, split: false },
                            other => other,
                        });
                    }
                }
                WordPart::Param(p) => {
                    let value = self.param(p, in_quotes, io)?;
                    if in_quotes {
                        out.push(Piece::Text { text: value, quoted: true, split: false });
                    } else if !value.is_empty() {
                        out.push(Piece::Text { text: value, quoted: false, split: true });
                    }
                }
                WordPart::Command(script) => {
                    let text = self.command_substitution(script, io);
                    if in_quotes {
                        out.push(Piece::Text { text, quoted: true, split: false });
                    } else if !text.is_empty() {
                        out.push(Piece::Text { text, quoted: false, split: true });
                    }
                }
                WordPart::Arith(expr) => {
                    let expanded = self.expand_arith_text(expr, io)?;
                    let mut vars = ArithVars { shell: self };
                    match arith::eval(&expanded, &mut vars) {
                        Ok(v) => out.push(Piece::Text { text: v.to_string(), quoted: in_quotes, split: !in_quotes }),
                        Err(e) => {
                            self.error(io, &e);
                            return Err(Flow::Exit(2));
                        }
                    }
                }
                WordPart::Tilde(user) => {
                    let home = if user.is_empty() { self.get_var("HOME").unwrap_or_default() } else { self.home_of(user).unwrap_or(format!("~{user}")) };
                    out.push(Piece::Text { text: home, quoted: true, split: false });
                }
            }
        }
        Ok(())
    }

    fn home_of(&self, user: &str) -> Option<String> {
        let passwd = String::from_utf8(self.fs.read("/etc/passwd").ok()?).ok()?;
        passwd.lines().find(|l| l.split(':').next() == Some(user)).and_then(|l| l.split(':').nth(5)).map(str::to_string)
    }

    fn expand_arith_text(&mut self, expr: &str, io: &Io) -> Result<String, Flow> {
        // Parameter and command expansions inside $(( )) happen first.
        if !expr.contains(['$', '`']) {
            return Ok(expr.to_string());
        }
        match parser::parse(&format!("_ \"{}\"", expr.replace('"', "\\\""))) {
            Ok(script) => {
                if let Some(Command::Simple { words, .. }) = script.items.first().and_then(|i| i.first.commands.first()) {
                    if let Some(w) = words.get(1) {
                        return self.expand_single(w, io);
                    }
                }
                Ok(expr.to_string())
            }
            Err(_) => Ok(expr.to_string()),
        }
    }

    fn expand_heredoc(&mut self, body: &str, io: &Io) -> String {
        // A here-document expands like a double-quoted string, but `"` is literal.
        let escaped: String = body.chars().flat_map(|c| if c == '"' { vec!['\\', '"'] } else { vec![c] }).collect();
        match parser::parse(&format!("_ \"{escaped}\"")) {
            Ok(script) => {
                if let Some(Command::Simple { words, .. }) = script.items.first().and_then(|i| i.first.commands.first()) {
                    if let Some(w) = words.get(1) {
                        return self.expand_single(w, io).unwrap_or_else(|_| body.to_string());
                    }
                }
                body.to_string()
            }
            Err(_) => body.to_string(),
        }
    }

    fn command_substitution(&mut self, script: &Script, io: &Io) -> String {
        let out = Sink::buffer();
        let mut sub_io = io.clone();
        sub_io.fds.insert(1, Fd::Out(out.clone()));
        let status = self.subshell(|sh| sh.script(script, &sub_io));
        self.last_status = status;
        let mut text = String::from_utf8_lossy(&out.take()).into_owned();
        while text.ends_with('\n') {
            text.pop();
        }
        text
    }

    fn param(&mut self, p: &Param, _in_quotes: bool, io: &Io) -> Result<String, Flow> {
        let value = self.get_var(&p.name);
        let set = value.is_some();
        let value_str = value.clone().unwrap_or_default();
        let empty_or_unset = |colon: bool| !set || (colon && value_str.is_empty());
        match &p.op {
            ParamOp::Plain => {
                if !set && self.options.nounset && !matches!(p.name.as_str(), "@" | "*") {
                    self.error(io, &format!("{}: parameter not set", p.name));
                    return Err(Flow::Exit(2));
                }
                Ok(value_str)
            }
            ParamOp::Length => Ok(value_str.chars().count().to_string()),
            ParamOp::Default { colon, word } => {
                if empty_or_unset(*colon) {
                    self.expand_single(word, io)
                } else {
                    Ok(value_str)
                }
            }
            ParamOp::Assign { colon, word } => {
                if empty_or_unset(*colon) {
                    let v = self.expand_single(word, io)?;
                    self.set_var(&p.name, &v);
                    Ok(v)
                } else {
                    Ok(value_str)
                }
            }
            ParamOp::Error { colon, word } => {
                if empty_or_unset(*colon) {
                    let msg = self.expand_single(word, io)?;
                    let msg = if msg.is_empty() { "parameter not set".to_string() } else { msg };
                    self.error(io, &format!("{}: {msg}", p.name));
                    return Err(Flow::Exit(2));
                }
                Ok(value_str)
            }
            ParamOp::Alternative { colon, word } => {
                if empty_or_unset(*colon) {
                    Ok(String::new())
                } else {
                    self.expand_single(word, io)
                }
            }
            ParamOp::RemovePrefix { longest, pattern: pw } => {
                let pat = self.expand_pattern(pw, io)?;
                Ok(pattern::remove_prefix(&pat, &value_str, *longest))
            }
            ParamOp::RemoveSuffix { longest, pattern: pw } => {
                let pat = self.expand_pattern(pw, io)?;
                Ok(pattern::remove_suffix(&pat, &value_str, *longest))
            }
            ParamOp::Replace { all, pattern: pw, replacement } => {
                let pat = self.expand_pattern(pw, io)?;
                let rep = self.expand_single(replacement, io)?;
                Ok(pattern::replace(&pat, &value_str, &rep, *all))
            }
        }
    }

    /// Pathname expansion of one field, sorted; empty when nothing matches.
    fn glob(&self, field: &[(char, bool)]) -> Vec<String> {
        let text: String = field.iter().map(|(c, _)| c).collect();
        let absolute = text.starts_with('/');
        // Split the field into components, keeping quotedness.
        let mut comps: Vec<Vec<(char, bool)>> = vec![Vec::new()];
        for &(c, q) in field {
            if c == '/' && !q {
                comps.push(Vec::new());
            } else if let Some(last) = comps.last_mut() {
                last.push((c, q));
            }
        }
        let comps: Vec<Vec<(char, bool)>> = comps.into_iter().filter(|c| !c.is_empty()).collect();
        let mut results: Vec<String> = vec![if absolute { "/".into() } else { String::new() }];
        for comp in &comps {
            let pat = pattern::compile(comp);
            let mut next = Vec::new();
            for base in &results {
                let dir = if base.is_empty() { self.cwd.clone() } else { join(&self.cwd, base) };
                if !pattern::has_magic(&pat) {
                    let name: String = comp.iter().map(|(c, _)| c).collect();
                    let candidate = if base.is_empty() { name.clone() } else if base.ends_with('/') { format!("{base}{name}") } else { format!("{base}/{name}") };
                    if self.fs.lstat(&join(&self.cwd, &candidate)).is_ok() {
                        next.push(candidate);
                    }
                    continue;
                }
                let Ok(entries) = self.fs.read_dir(&dir) else { continue };
                let dot_ok = comp.first().is_some_and(|(c, _)| *c == '.');
                for e in entries {
                    if e.name.starts_with('.') && !dot_ok {
                        continue;
                    }
                    if pattern::matches(&pat, &e.name) {
                        next.push(if base.is_empty() { e.name.clone() } else if base.ends_with('/') { format!("{base}{}", e.name) } else { format!("{base}/{}", e.name) });
                    }
                }
            }
            results = next;
        }
        results.sort();
        results
    }
}

/// A piece of an expanded word.
enum Piece {
    Text { text: String, quoted: bool, split: bool },
    /// A forced field boundary (`"$@"`).
    FieldBreak,
    /// An empty quoted string: it still makes a field.
    Empty,
}

struct ArithVars<'a, 'fs> {
    shell: &'a mut Shell<'fs>,
}

impl arith::Vars for ArithVars<'_, '_> {
    fn get(&self, name: &str) -> Option<String> {
        self.shell.get_var(name)
    }

    fn set(&mut self, name: &str, value: i64) {
        self.shell.set_var(name, &value.to_string());
    }
}

fn is_special_builtin(name: &str) -> bool {
    matches!(name, ":" | "." | "break" | "continue" | "eval" | "exec" | "exit" | "export" | "readonly" | "return" | "set" | "shift" | "trap" | "unset" | "source" | "local")
}

fn is_regular_builtin(name: &str) -> bool {
    matches!(name, "cd" | "pwd" | "read" | "echo" | "printf" | "test" | "[" | "true" | "false" | "command" | "type" | "umask" | "wait" | "alias" | "unalias" | "hash" | "ulimit" | "times" | "kill" | "shopt")
}

fn short_errno(e: crate::vfs::Errno) -> &'static str {
    match e {
        crate::vfs::Errno::ENOENT => "No such file",
        other => other.message(),
    }
}

fn trace_quote(s: &str) -> String {
    if !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

enum TestArg {
    Text(String),
    Pattern(Vec<pattern::Pat>),
}

/// `[[ … ]]`: `&&`, `||`, `!`, parentheses, pattern `==`, and everything `test` knows.
fn double_bracket(args: &[TestArg], sh: &Shell) -> Result<bool, String> {
    fn text(a: &TestArg) -> String {
        match a {
            TestArg::Text(t) => t.clone(),
            TestArg::Pattern(p) => p.iter().map(|x| if let pattern::Pat::Literal(c) = x { *c } else { '*' }).collect(),
        }
    }
    fn or(args: &[TestArg], pos: &mut usize, sh: &Shell) -> Result<bool, String> {
        let mut v = and(args, pos, sh)?;
        while args.get(*pos).is_some_and(|a| text(a) == "||") {
            *pos += 1;
            let r = and(args, pos, sh)?;
            v = v || r;
        }
        Ok(v)
    }
    fn and(args: &[TestArg], pos: &mut usize, sh: &Shell) -> Result<bool, String> {
        let mut v = not(args, pos, sh)?;
        while args.get(*pos).is_some_and(|a| text(a) == "&&") {
            *pos += 1;
            let r = not(args, pos, sh)?;
            v = v && r;
        }
        Ok(v)
    }
    fn not(args: &[TestArg], pos: &mut usize, sh: &Shell) -> Result<bool, String> {
        if crate::stack::exhausted() {
            return Err("[[: expression nested too deeply".into());
        }
        if args.get(*pos).is_some_and(|a| text(a) == "!") {
            *pos += 1;
            return Ok(!not(args, pos, sh)?);
        }
        if args.get(*pos).is_some_and(|a| text(a) == "(") {
            *pos += 1;
            let v = or(args, pos, sh)?;
            if args.get(*pos).is_some_and(|a| text(a) == ")") {
                *pos += 1;
            }
            return Ok(v);
        }
        primary(args, pos, sh)
    }
    fn primary(args: &[TestArg], pos: &mut usize, sh: &Shell) -> Result<bool, String> {
        let a = args.get(*pos).map(text).unwrap_or_default();
        if let Some(op) = args.get(*pos + 1).map(text) {
            if matches!(op.as_str(), "==" | "=" | "!=") {
                let right = args.get(*pos + 2);
                *pos += 3;
                let m = match right {
                    Some(TestArg::Pattern(p)) => pattern::matches(p, &a),
                    Some(t) => text(t) == a,
                    None => return Err("[[: syntax error".into()),
                };
                return Ok(if op == "!=" { !m } else { m });
            }
            if matches!(op.as_str(), "<" | ">" | "-eq" | "-ne" | "-lt" | "-le" | "-gt" | "-ge" | "-nt" | "-ot" | "=~") {
                let b = args.get(*pos + 2).map(text).unwrap_or_default();
                *pos += 3;
                return Ok(match op.as_str() {
                    "<" => a < b,
                    ">" => a > b,
                    "=~" => b.is_empty() || a.contains(b.trim_matches(['^', '$'])),
                    _ => {
                        let mut buf = Vec::new();
                        applets::test_eval(&[a.clone(), op.clone(), b.clone()], sh.fs_ref(), sh.cwd(), &mut buf) == 0
                    }
                });
            }
        }
        if a.starts_with('-') && a.len() == 2 {
            if let Some(operand) = args.get(*pos + 1).map(text) {
                *pos += 2;
                let mut buf = Vec::new();
                return Ok(applets::test_eval(&[a, operand], sh.fs_ref(), sh.cwd(), &mut buf) == 0);
            }
        }
        *pos += 1;
        Ok(!a.is_empty())
    }
    let mut pos = 0;
    let v = or(args, &mut pos, sh)?;
    Ok(v)
}

impl Shell<'_> {
    fn fs_ref(&self) -> &dyn FileSystem {
        &*self.fs
    }

    /// Creates `/etc/hostname`-style files a shell expects (used by tests and runtimes).
    pub fn write_file(&mut self, path: &str, data: &[u8], mode: u32) -> Result<(), crate::vfs::FsError> {
        self.fs.put_file(path, Content::data(data.to_vec()), Attrs::mode(mode))
    }
}

/// `sleep`'s operands in seconds, as GNU `sleep` reads them: decimal numbers with an
/// optional `s`, `m`, `h` or `d` suffix, summed; `inf`/`infinity` is forever. A negative,
/// NaN or malformed operand is an error (the applet reports it with the image's wording).
pub(crate) fn sleep_seconds(args: &[String]) -> Result<f64, SleepError> {
    let ended = args.first().is_some_and(|f| f == "--");
    let operands: Vec<&String> = if ended { args[1..].iter().collect() } else { args.iter().collect() };
    if operands.is_empty() {
        return Err(SleepError::Missing);
    }
    let mut total = 0.0f64;
    for a in operands {
        if a.len() > 1 && a.starts_with('-') && !ended {
            return Err(SleepError::Option(a.chars().nth(1).unwrap_or('-')));
        }
        let (num, mult) = match a.char_indices().last() {
            Some((i, 's')) => (&a[..i], 1.0),
            Some((i, 'm')) => (&a[..i], 60.0),
            Some((i, 'h')) => (&a[..i], 3600.0),
            Some((i, 'd')) => (&a[..i], 86_400.0),
            _ => (a.as_str(), 1.0),
        };
        let lower = num.to_ascii_lowercase();
        let value = if lower == "inf" || lower == "infinity" {
            f64::INFINITY
        } else if !num.is_empty() && num.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b'+' || b == b'e' || b == b'E' || b == b'-') {
            num.parse::<f64>().map_err(|_| SleepError::Invalid(a.clone()))?
        } else {
            return Err(SleepError::Invalid(a.clone()));
        };
        if value.is_nan() || value < 0.0 {
            return Err(SleepError::Invalid(a.clone()));
        }
        total += value * mult;
    }
    Ok(total)
}

/// Why `sleep`'s operands were refused.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum SleepError {
    Missing,
    /// `sleep -5`: a leading `-` is an option to getopt.
    Option(char),
    Invalid(String),
}
