//! The sandbox host: the small machine a student's terminal runs on. In the browser it is
//! the machine behind the terminal; natively, `berth lesson` runs lesson checks on it.
//!
//! It is one of two machines ([`HostKind`]). The *workspace* host holds the student's
//! project at [`WORKSPACE`], as a non-root user whose shell is Berth's shell (dash
//! wording) with the applets and no `/bin`: the student's own laptop with Docker on it.
//! The *Ubuntu* host is the machine a Killercoda scenario expects: root in `/root`,
//! Ubuntu 24.04's files (the catalog's `ubuntu:24.04` layer, so `apt` and `dpkg` work on
//! the host), bash, `sudo`, `git`, `systemctl` for the docker service. On both, `docker`
//! and `berth` run the engine's command line against the sandbox's own engine state. A bind mount (`-v "$(pwd)":/app`)
//! and a build context are views of the same files, so a change shows both ways at once.
//!
//! ```
//! use engine::sandbox::{Sandbox, FixedClock};
//! let mut sb = Sandbox::new(std::rc::Rc::new(FixedClock(0)));
//! sb.run_line("printf 'FROM alpine\\nCMD [\"echo\", \"hi\"]\\n' > Dockerfile", &[]);
//! assert_eq!(sb.run_line("docker build -q -t hi . >/dev/null && docker run --rm hi", &[]).stdout, b"hi\n");
//! ```

use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::cli;
use crate::image::layer::{self, LayerOptions};
use crate::image::store::{SharedStorage, Storage};
use crate::runtime::TtySession;
use crate::shell::{Flavor, HostCall, Outcome, Shell};
use crate::vfs::{self, Attrs, Content, FileSystem, MemoryFs, SharedFs, SubdirFs};

/// Where the student's project lives on the sandbox host (and its `$HOME`).
pub const WORKSPACE: &str = "/workspace";
/// The student's user on the sandbox host, as `id` shows it.
pub const USER: (&str, u32) = ("student", 1000);
pub const HOSTNAME: &str = "berth";

/// Which machine a sandbox is (see the module's documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HostKind {
    /// The student's project in `/workspace`, user `student`: the main sandbox and
    /// Berth's own lessons.
    #[default]
    Workspace,
    /// Killercoda's Ubuntu host: root in `/root`, hostname `ubuntu`.
    Ubuntu,
}

impl HostKind {
    /// The user's home, where the terminal starts and the editor's files live.
    pub fn home(self) -> &'static str {
        match self {
            HostKind::Workspace => WORKSPACE,
            HostKind::Ubuntu => "/root",
        }
    }

    /// The user the terminal runs as.
    pub fn user(self) -> (&'static str, u32) {
        match self {
            HostKind::Workspace => USER,
            HostKind::Ubuntu => ("root", 0),
        }
    }

    pub fn hostname(self) -> &'static str {
        match self {
            HostKind::Workspace => HOSTNAME,
            HostKind::Ubuntu => "ubuntu",
        }
    }

    fn flavor(self) -> Flavor {
        match self {
            HostKind::Workspace => Flavor::Dash,
            HostKind::Ubuntu => Flavor::Bash,
        }
    }
}

/// Programs of the Ubuntu host beyond the `ubuntu:24.04` image's, as Killercoda's host
/// has them: the engine's command line, and the system tools a scenario's scripts call.
const UBUNTU_HOST_PROGRAMS: &[(&str, &str)] = &[
    ("/usr/bin/docker", "docker"),
    ("/usr/libexec/docker/cli-plugins/docker-compose", "docker-compose"),
    ("/usr/local/bin/berth", "berth"),
    ("/usr/bin/sudo", "sudo"),
    ("/usr/bin/git", "git"),
    ("/usr/bin/systemctl", "systemctl"),
    ("/usr/sbin/service", "service"),
    ("/usr/bin/tree", "tree"),
    ("/usr/bin/clear", "clear"),
];

/// The Ubuntu host's files: `ubuntu:24.04`'s, the programs above, root's home, and the
/// marks Killercoda's host carries.
fn ubuntu_host_fs() -> MemoryFs {
    let mut fs = crate::image::catalog::synthesize("ubuntu:24.04", 78_100_000);
    let hostname = HostKind::Ubuntu.hostname();
    for (path, program) in UBUNTU_HOST_PROGRAMS {
        if let Some((parent, _)) = vfs::split_parent(path) {
            let _ = fs.create_dir_all(&parent, 0o755);
        }
        let _ = fs.put_file(path, Content::lazy(1_000_000, &format!("exec:{program}")), Attrs::mode(0o755));
    }
    let files = [
        ("/etc/hostname", format!("{hostname}\n")),
        ("/etc/hosts", format!("127.0.0.1 localhost\n127.0.1.1 {hostname}\n::1 localhost ip6-localhost ip6-loopback\n")),
        // Scenarios test for it to know they run on Killercoda's host.
        ("/etc/killercoda/host", "host01\n".to_string()),
        ("/root/.bashrc", "# ~/.bashrc: executed by bash(1) for non-login shells.\n".to_string()),
        ("/root/.profile", "if [ -f ~/.bashrc ]; then . ~/.bashrc; fi\n".to_string()),
    ];
    for (path, text) in files {
        if let Some((parent, _)) = vfs::split_parent(path) {
            let _ = fs.create_dir_all(&parent, 0o755);
        }
        let _ = fs.put_file(path, Content::data(text), Attrs::mode(0o644));
    }
    let _ = fs.create_dir_all("/var/lib/docker", 0o710);
    let _ = fs.set_mode("/var/lib/docker", 0o710);
    let _ = fs.create_dir_all("/root", 0o700);
    let _ = fs.set_mode("/root", 0o700);
    fs
}

pub use crate::host::{Clock, FixedClock};

/// The sandbox host: files, engine state, and the shell's state between command lines.
pub struct Sandbox {
    /// The host's files (the workspace, `/etc/passwd`, `/tmp`).
    pub fs: SharedFs,
    /// The engine's state: images, containers, volumes, build cache.
    pub storage: SharedStorage,
    clock: Rc<dyn Clock>,
    cwd: String,
    vars: Vec<(String, String, bool)>,
    last_status: i32,
    /// The progress output of the last `docker build`.
    last_build: Rc<std::cell::RefCell<String>>,
    /// A container's shell the terminal is attached to (`docker run -it … sh`): typed
    /// lines run in it until it exits.
    attached: Rc<std::cell::RefCell<Option<TtySession>>>,
    front: FrontEnd,
    kind: HostKind,
    /// The lines typed so far of a command that goes on (an open heredoc, quote, `\`,
    /// `if` without `fi`): the prompt is `> ` until it is complete.
    continued: String,
}

/// What a lesson's script may do before it is stopped.
#[derive(Debug, Clone, Copy)]
pub struct ScriptLimits {
    pub commands: u64,
    /// Seconds its `sleep`s may add up to (they take no real time in a check).
    pub sleep_seconds: f64,
}

/// The limits of lesson scripts: far more than any check needs.
pub const SCRIPT_LIMITS: ScriptLimits = ScriptLimits { commands: 500_000, sleep_seconds: 300.0 };

/// A front end's display for build progress as it happens.
pub type ShowProgress = Rc<dyn Fn(&str)>;

/// What a front end with a live terminal lends the sandbox. Without them (tests, lesson
/// checks) progress comes with the command's output, `read` sees end of input and
/// `sleep` returns at once.
#[derive(Clone, Default)]
pub struct FrontEnd {
    /// Where build and pull progress goes as it happens.
    pub progress: Option<ShowProgress>,
    /// Where `read` gets the user's next line while a command runs.
    pub input: Option<crate::shell::TerminalInput>,
    /// How `sleep` lets time pass (shown output first).
    pub pause: Option<crate::shell::Pause>,
    /// How `logs -f` shows a resumed process's output and lets its sleeps pass, until
    /// Ctrl-C.
    pub follow: Option<crate::shell::Pause>,
}

/// Commands Tab offers first on the host.
const COMMANDS: &[&str] = &[
    "docker", "berth", "ls", "cat", "cd", "pwd", "mkdir", "rm", "cp", "mv", "touch", "echo", "printf", "head", "tail", "grep", "sed", "awk", "wc", "sort", "find", "tree", "chmod", "clear", "history", "env", "export", "bash", "sh", "id", "whoami", "date", "tar", "gzip",
];

const DOCKER_COMMANDS: &[&str] = &[
    "build", "run", "ps", "images", "pull", "logs", "attach", "rm", "rmi", "start", "stop", "kill", "restart", "wait", "exec", "cp", "inspect", "history", "tag", "save", "load", "create", "diff", "commit", "top", "rename", "volume", "image", "container", "system", "builder", "lint", "version", "help",
];

const DOCKER_FLAGS: &[(&str, &[&str])] = &[
    ("build", &["--tag", "--file", "--target", "--build-arg", "--no-cache", "--progress", "--quiet", "--label"]),
    ("run", &["--rm", "--name", "--detach", "--interactive", "--tty", "--env", "--env-file", "--volume", "--mount", "--workdir", "--user", "--entrypoint", "--publish", "--hostname", "--init", "--ipc", "--gpus", "--network", "--memory", "--cpus"]),
    ("images", &["--all", "--quiet", "--format"]),
    ("rm", &["--force", "--volumes"]),
    ("logs", &["--follow", "--tail", "--timestamps"]),
    ("history", &["--no-trunc", "--quiet", "--format", "--human"]),
];

impl Sandbox {
    /// The workspace host.
    pub fn new(clock: Rc<dyn Clock>) -> Sandbox {
        Sandbox::with_host(clock, HostKind::Workspace)
    }

    /// A fresh machine of the given kind.
    pub fn with_host(clock: Rc<dyn Clock>, kind: HostKind) -> Sandbox {
        let (fs, vars): (MemoryFs, &[(&str, &str)]) = match kind {
            HostKind::Workspace => (Sandbox::workspace_fs(), &[("HOME", WORKSPACE), ("USER", USER.0), ("HOSTNAME", HOSTNAME), ("PATH", "/usr/local/bin:/usr/bin:/bin"), ("TERM", "xterm-256color")]),
            HostKind::Ubuntu => (ubuntu_host_fs(), &[("HOME", "/root"), ("USER", "root"), ("LOGNAME", "root"), ("SHELL", "/bin/bash"), ("HOSTNAME", "ubuntu"), ("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"), ("TERM", "xterm-256color"), ("LANG", "C.UTF-8")]),
        };
        Sandbox {
            fs: SharedFs::new(fs),
            storage: SharedStorage::default(),
            clock,
            cwd: kind.home().to_string(),
            vars: vars.iter().map(|(k, v)| (k.to_string(), v.to_string(), true)).collect(),
            last_status: 0,
            last_build: Rc::default(),
            attached: Rc::default(),
            front: FrontEnd::default(),
            kind,
            continued: String::new(),
        }
    }

    /// Which machine this is.
    pub fn kind(&self) -> HostKind {
        self.kind
    }

    /// The user's home: where the editor's files live.
    pub fn home(&self) -> &'static str {
        self.kind.home()
    }

    fn workspace_fs() -> MemoryFs {
        let mut fs = MemoryFs::new();
        let (user, uid) = USER;
        let files = [
            ("/etc/passwd", format!("root:x:0:0:root:/root:/bin/sh\n{user}:x:{uid}:{uid}:{user}:{WORKSPACE}:/bin/sh\n")),
            ("/etc/group", format!("root:x:0:\n{user}:x:{uid}:\n")),
            ("/etc/hostname", format!("{HOSTNAME}\n")),
        ];
        let _ = fs.create_dir_all("/etc", 0o755);
        for (path, text) in files {
            let _ = fs.put_file(path, Content::data(text), Attrs::mode(0o644));
        }
        let _ = fs.create_dir_all("/tmp", 0o777);
        let _ = fs.set_mode("/tmp", 0o1777);
        let _ = fs.create_dir_all(WORKSPACE, 0o755);
        let _ = fs.set_owner(WORKSPACE, uid, uid);
        // Scripts written for Killercoda work in /root: here that is the workspace.
        let _ = fs.symlink(WORKSPACE, "/root");
        fs
    }

    /// The shell's working directory.
    pub fn cwd(&self) -> &str {
        &self.cwd
    }

    /// The exit status of the last command line (`$?`).
    pub fn last_status(&self) -> i32 {
        self.last_status
    }

    /// The prompt, as bash's default shows it (`student@berth:~/app$ `), or the attached
    /// container shell's.
    pub fn prompt(&self) -> String {
        if let Some(session) = self.attached.borrow().as_ref() {
            return session.prompt();
        }
        if !self.continued.is_empty() {
            return "> ".into();
        }
        let dir = match self.cwd.strip_prefix(self.home()) {
            Some("") => "~".to_string(),
            Some(rest) if rest.starts_with('/') => format!("~{rest}"),
            _ => self.cwd.clone(),
        };
        let (user, uid) = self.kind.user();
        format!("{user}@{}:{dir}{} ", self.kind.hostname(), if uid == 0 { '#' } else { '$' })
    }

    /// Runs one command line: in the attached container's shell if there is one,
    /// otherwise in the host shell. `cd`, variables and `$?` carry over to the next line.
    /// `interrupt` stops it at the next command (Ctrl-C).
    pub fn run_line_with(&mut self, line: &str, stdin: &[u8], interrupt: Option<Arc<AtomicBool>>) -> Outcome {
        self.run_typed(line, stdin, interrupt, None)
    }

    /// Runs a line as typed at the terminal. A command that goes on past the line (an
    /// open here-document or quote, a trailing `\`, `|` or `&&`, an `if` without its
    /// `fi`) waits under the `> ` prompt for its next lines, then runs whole, as bash
    /// reads it: a pasted or clicked block of several lines is one command.
    pub fn type_line(&mut self, line: &str, interrupt: Option<Arc<AtomicBool>>) -> Outcome {
        self.type_with(line, interrupt, None)
    }

    /// [`Sandbox::type_line`] for a line a lesson types (a foreground script's): within
    /// [`SCRIPT_LIMITS`], so a line that waits for what never comes is stopped.
    pub fn type_limited(&mut self, line: &str) -> Outcome {
        self.type_with(line, None, Some(SCRIPT_LIMITS))
    }

    fn type_with(&mut self, line: &str, interrupt: Option<Arc<AtomicBool>>, limits: Option<ScriptLimits>) -> Outcome {
        let shell = self.attached.borrow().as_ref().is_none_or(|s| matches!(s.shell.as_str(), "sh" | "bash" | "ash" | "dash"));
        let mut text = std::mem::take(&mut self.continued);
        text.push_str(line);
        if shell && crate::shell::parser::needs_more(&text) {
            text.push('\n');
            self.continued = text;
            return Outcome { status: self.last_status, stdout: Vec::new(), stderr: Vec::new() };
        }
        self.run_typed(&text, &[], interrupt, limits)
    }

    /// Whether a command typed in part waits for its next line (the `> ` prompt).
    pub fn typing(&self) -> bool {
        !self.continued.is_empty()
    }

    /// Drops a command typed in part (Ctrl-C at the `> ` prompt); whether there was one.
    pub fn cancel_typing(&mut self) -> bool {
        !std::mem::take(&mut self.continued).is_empty()
    }

    fn run_typed(&mut self, line: &str, stdin: &[u8], interrupt: Option<Arc<AtomicBool>>, limits: Option<ScriptLimits>) -> Outcome {
        let attached = self.attached.borrow_mut().take();
        if let Some(mut session) = attached {
            let host = self.host(self.home(), &[]);
            let result = cli::attached_line(&mut session, line, &host);
            if result.exited.is_none() {
                *self.attached.borrow_mut() = Some(session);
            }
            let out = result.output;
            return Outcome { status: out.code, stdout: out.stdout, stderr: out.stderr };
        }
        self.run_host_line(line, stdin, interrupt, limits)
    }

    fn host(&self, cwd: &str, stdin: &[u8]) -> SandboxHost {
        SandboxHost { fs: self.fs.clone(), storage: self.storage.clone(), clock: self.clock.clone(), cwd: cwd.to_string(), stdin: stdin.to_vec(), attached: self.attached.clone(), last_build: self.last_build.clone(), front: self.front.clone(), stdout_terminal: true, env: Default::default() }
    }

    /// Runs a line in the host shell even while the terminal is attached to a container,
    /// without `read` waiting for the user (a lesson's check).
    /// Runs a lesson's command line (a reference solution's) as typed (in the attached
    /// container's shell if there is one), within [`SCRIPT_LIMITS`] on the host; the
    /// shell's state carries on as after a typed line.
    pub fn run_limited(&mut self, line: &str) -> Outcome {
        self.run_typed(line, &[], None, Some(SCRIPT_LIMITS))
    }

    /// Runs a lesson's script (a check, a verify or background script) within
    /// [`SCRIPT_LIMITS`]: a script that loops or waits for what never happens ends with
    /// status 124 or 137 and says why on stderr, instead of hanging the lesson.
    pub(crate) fn run_host_check(&mut self, line: &str) -> Outcome {
        let quiet = FrontEnd { progress: self.front.progress.clone(), ..FrontEnd::default() };
        let front = std::mem::replace(&mut self.front, quiet);
        let out = self.run_host_line(line, &[], None, Some(SCRIPT_LIMITS));
        self.front = front;
        out
    }

    /// Whether the terminal is in a container's shell (`docker run -it … sh`).
    pub fn attached_container(&self) -> Option<String> {
        self.attached.borrow().as_ref().map(|s| s.container.clone())
    }

    fn run_host_line(&mut self, line: &str, stdin: &[u8], interrupt: Option<Arc<AtomicBool>>, limits: Option<ScriptLimits>) -> Outcome {
        let mut fs = self.fs.clone();
        let mut sh = Shell::new(&mut fs, self.kind.flavor());
        sh.set_args(if self.kind == HostKind::Ubuntu { "bash" } else { "sh" }, &[]);
        sh.interactive = limits.is_none();
        for (k, v, exported) in &self.vars {
            sh.set_variable(k, v, *exported);
        }
        sh.set_clock(self.clock.now());
        sh.set_cwd(&self.cwd);
        sh.set_last_status(self.last_status);
        sh.set_terminal_input(self.front.input.clone());
        sh.set_pause(self.front.pause.clone());
        let (_, uid) = self.kind.user();
        sh.uid = uid;
        sh.gid = uid;
        sh.hostname = self.kind.hostname().to_string();
        // The Ubuntu host has its programs as files; the workspace host has no `/bin`.
        sh.builtin_userland = self.kind == HostKind::Workspace;
        if let Some(flag) = interrupt {
            sh.set_interrupt(flag);
        }
        if let Some(l) = limits {
            sh.set_budget(l.commands);
            sh.set_time_limit(l.sleep_seconds);
        }
        let template = self.host(self.home(), &[]);
        sh.set_host_program(Rc::new(move |call: &HostCall<'_>| {
            let name = call.argv.first()?.rsplit('/').next()?;
            if name != "docker" && name != "berth" && name != "docker-compose" {
                return None;
            }
            if name != "berth" && !crate::shell::applets::host::docker_running(&template.fs) {
                // `systemctl stop docker` on the Ubuntu host.
                return Some(Outcome { status: 1, stdout: Vec::new(), stderr: format!("{}\n", crate::shell::applets::host::DAEMON_DOWN).into_bytes() });
            }
            let mut host = SandboxHost { cwd: call.cwd.to_string(), stdin: call.stdin.to_vec(), stdout_terminal: call.stdout_terminal, env: call.env.clone(), ..template.clone() };
            if !call.terminal {
                // Redirected or piped: nothing is shown or waited for on the terminal.
                host.front = FrontEnd { progress: host.front.progress.clone(), ..FrontEnd::default() };
            }
            let mut args = call.argv[1..].to_vec();
            if name == "docker-compose" {
                args.insert(0, "compose".into());
            }
            let out = cli::run_as(name, &args, &host);
            Some(Outcome { status: out.code, stdout: out.stdout, stderr: out.stderr })
        }));
        let mut out = sh.run_str(line, stdin);
        if let (Some(stopped), Some(l)) = (sh.stopped(), limits) {
            let why = match stopped {
                crate::shell::Stopped::Time => format!("its sleeps added up to more than {} s", l.sleep_seconds),
                crate::shell::Stopped::Commands => format!("it ran more than {} commands", l.commands),
            };
            out.stderr.extend_from_slice(format!("berth: the script was stopped: {why}. Nothing else runs while a lesson's script does, so a loop that waits (`until [ -f x ]; do sleep 1; done`) waits for ever; check once instead.\n").as_bytes());
        }
        self.cwd = sh.cwd().to_string();
        self.vars = sh.variables().into_iter().filter(|(k, _, _)| k != "PWD").collect();
        self.last_status = out.status;
        out
    }

    /// [`Sandbox::run_line_with`] without an interrupt.
    pub fn run_line(&mut self, line: &str, stdin: &[u8]) -> Outcome {
        self.run_line_with(line, stdin, None)
    }

    /// An absolute path for a path given relative to the workspace (the home); `..`
    /// cannot leave it.
    pub fn workspace_path(&self, path: &str) -> String {
        vfs::join(self.home(), vfs::normalize(&format!("/{path}")).trim_start_matches('/'))
    }

    /// Lends the sandbox a live terminal's hooks (the browser's worker).
    pub fn set_front_end(&mut self, front: FrontEnd) {
        self.front = front;
    }

    /// Shows build progress as it happens through `show` (the browser's terminal).
    pub fn set_progress(&mut self, show: Option<ShowProgress>) {
        self.front.progress = show;
    }

    /// Lets `read` (in the host shell or an attached container shell) wait for the user.
    pub fn set_terminal_input(&mut self, input: Option<crate::shell::TerminalInput>) {
        self.front.input = input;
    }

    /// Makes `sleep` wait for real (in the host shell and attached container shells).
    pub fn set_pause(&mut self, pause: Option<crate::shell::Pause>) {
        self.front.pause = pause;
    }

    /// Forgets the last build's record (a fresh lesson).
    pub fn take_last_build(&mut self) -> String {
        std::mem::take(&mut *self.last_build.borrow_mut())
    }

    /// What a command line can change of the shell itself, for checks to put back.
    pub(crate) fn shell_state(&self) -> (String, Vec<(String, String, bool)>, i32, String) {
        (self.cwd.clone(), self.vars.clone(), self.last_status, self.last_build.borrow().clone())
    }

    pub(crate) fn restore_shell_state(&mut self, (cwd, vars, status, build): (String, Vec<(String, String, bool)>, i32, String)) {
        self.cwd = cwd;
        self.vars = vars;
        self.last_status = status;
        *self.last_build.borrow_mut() = build;
    }

    /// The steps of the last `docker build` that ran on this host.
    pub fn last_build(&self) -> Vec<crate::build::progress::BuildStep> {
        crate::build::progress::build_steps(&self.last_build.borrow())
    }

    /// Candidates for the last word of `line` (Tab): commands, docker's subcommands and
    /// flags, image and container names, paths.
    pub fn complete(&self, line: &str) -> Vec<String> {
        let segment = line.rsplit(['|', ';', '&']).next().unwrap_or("").trim_start();
        let mut words: Vec<&str> = segment.split_whitespace().collect();
        let current = if segment.is_empty() || segment.ends_with(char::is_whitespace) { "" } else { words.pop().unwrap_or("") };
        let mut out: Vec<String> = match words.as_slice() {
            [] => COMMANDS.iter().map(|c| c.to_string()).collect(),
            [docker] if matches!(*docker, "docker" | "berth") => DOCKER_COMMANDS.iter().map(|c| c.to_string()).collect(),
            [docker, sub, ..] if matches!(*docker, "docker" | "berth") && current.starts_with('-') => {
                match cli::table(sub) {
                    Some(table) => table.flags.iter().filter(|f| !f.hidden).map(|f| format!("--{}", f.long)).collect(),
                    None => DOCKER_FLAGS.iter().find(|(c, _)| c == sub).map(|(_, f)| f.iter().map(|f| f.to_string()).collect()).unwrap_or_default(),
                }
            }
            [docker, sub, ..] if matches!(*docker, "docker" | "berth") && matches!(*sub, "run" | "create" | "rmi" | "tag" | "history" | "save" | "push") => self.image_names(),
            [docker, sub, ..] if matches!(*docker, "docker" | "berth") && matches!(*sub, "rm" | "logs" | "start" | "stop" | "kill" | "restart" | "wait" | "exec" | "inspect" | "diff" | "commit" | "rename" | "top" | "cp") => {
                let mut names = self.container_names();
                if *sub == "cp" || *sub == "inspect" {
                    names.extend(self.paths(current));
                }
                names
            }
            _ => self.paths(current),
        };
        out.retain(|c| c.starts_with(current));
        out.sort();
        out.dedup();
        out
    }

    fn image_names(&self) -> Vec<String> {
        crate::image::store::ImageStore::open(Box::new(self.storage.clone()))
            .map(|s| s.images().flat_map(|r| r.tags.iter().map(|t| crate::image::store::familiar(t))).collect())
            .unwrap_or_default()
    }

    fn container_names(&self) -> Vec<String> {
        crate::runtime::Containers::open(Box::new(self.storage.clone())).map(|c| c.list.values().map(|c| c.name.clone()).collect()).unwrap_or_default()
    }

    /// Paths that complete `word` (directories with a trailing `/`).
    fn paths(&self, word: &str) -> Vec<String> {
        let (dir, _) = word.rsplit_once('/').map_or(("", word), |(d, b)| (d, b));
        let prefix = if word.contains('/') { format!("{dir}/") } else { String::new() };
        let full = vfs::join(&self.cwd, if dir.is_empty() && word.starts_with('/') { "/" } else if dir.is_empty() { "." } else { dir });
        self.fs
            .read_dir(&full)
            .map(|entries| {
                entries
                    .into_iter()
                    .map(|e| {
                        let slash = if self.fs.stat(&vfs::join(&full, &e.name)).is_ok_and(|m| m.is_dir()) { "/" } else { "" };
                        format!("{prefix}{}{slash}", e.name)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The workspace as a tar archive (for saving it in the browser, or downloading).
    pub fn export_workspace(&self) -> Result<Vec<u8>, String> {
        let view = SubdirFs { inner: self.fs.clone(), base: self.home().to_string() };
        layer::tar_of(&view, &LayerOptions::default()).map_err(|e| e.to_string())
    }

    /// Replaces the workspace with the files of a tar archive (a saved session).
    pub fn import_workspace(&mut self, tar: &[u8]) -> Result<(), String> {
        let mut unpacked = MemoryFs::new();
        layer::unpack(tar, &mut unpacked).map_err(|e| e.to_string())?;
        let home = self.home();
        let _ = self.fs.remove_all(home);
        vfs::walk::copy_tree(&unpacked, "/", &mut self.fs, home).map_err(|e| e.to_string())?;
        let (_, uid) = self.kind.user();
        let _ = self.fs.set_owner(home, uid, uid);
        Ok(())
    }

    /// Reads a file; a relative path is taken from the workspace.
    pub fn read_file(&self, path: &str) -> Result<Vec<u8>, String> {
        self.fs.read(&self.workspace_path(path)).map_err(|e| e.to_string())
    }

    /// Writes a file (creating its directories), as the editor saves it.
    pub fn write_file(&mut self, path: &str, data: &[u8]) -> Result<(), String> {
        let path = self.workspace_path(path);
        if let Some((parent, _)) = vfs::split_parent(&path) {
            self.fs.create_dir_all(&parent, 0o755).map_err(|e| e.to_string())?;
        }
        let exists = self.fs.exists(&path);
        self.fs.write(&path, data).map_err(|e| e.to_string())?;
        if !exists {
            let (_, uid) = self.kind.user();
            let _ = self.fs.set_owner(&path, uid, uid);
        }
        Ok(())
    }
}

/// What `docker` on the sandbox host sees of its machine.
#[derive(Clone)]
struct SandboxHost {
    fs: SharedFs,
    storage: SharedStorage,
    clock: Rc<dyn Clock>,
    cwd: String,
    stdin: Vec<u8>,
    attached: Rc<std::cell::RefCell<Option<TtySession>>>,
    last_build: Rc<std::cell::RefCell<String>>,
    front: FrontEnd,
    /// The command's stdout is the terminal (not redirected or piped).
    stdout_terminal: bool,
    /// The calling shell's exported variables.
    env: std::collections::BTreeMap<String, String>,
}

impl SandboxHost {
    fn path(&self, path: &str) -> String {
        vfs::join(&self.cwd, path)
    }
}

impl crate::host::Files for SandboxHost {
    fn read_file(&self, path: &str) -> Result<Vec<u8>, String> {
        if path == "-" {
            return Ok(self.stdin.clone());
        }
        self.fs.read(&self.path(path)).map_err(|e| format!("open {path}: {}", e.errno.message().to_lowercase()))
    }

    fn write_file(&self, path: &str, data: &[u8]) -> Result<(), String> {
        let mut fs = self.fs.clone();
        fs.write(&self.path(path), data).map_err(|e| format!("open {path}: {}", e.errno.message().to_lowercase()))
    }

    fn storage(&self) -> Result<Box<dyn Storage>, String> {
        Ok(Box::new(self.storage.clone()))
    }

    fn cwd_name(&self) -> String {
        self.cwd.rsplit('/').find(|s| !s.is_empty()).unwrap_or("workspace").to_string()
    }

    fn env_var(&self, name: &str) -> Option<String> {
        self.env.get(name).cloned()
    }

    fn bind(&self, path: &str) -> Result<Box<dyn FileSystem>, String> {
        let full = self.path(path);
        match self.fs.stat(&full) {
            Ok(_) => Ok(Box::new(SubdirFs { inner: self.fs.clone(), base: full })),
            Err(_) => Err(format!("{path}: no such file or directory")),
        }
    }

    fn context(&self, path: &str) -> Result<Box<dyn FileSystem>, String> {
        let full = self.path(path);
        match self.fs.stat(&full) {
            Ok(m) if m.is_dir() => Ok(Box::new(SubdirFs { inner: self.fs.clone(), base: full })),
            _ => Err(format!("path \"{path}\" not found")),
        }
    }
}

impl crate::host::Clock for SandboxHost {
    fn now(&self) -> i64 {
        self.clock.now()
    }

    fn monotonic(&self) -> f64 {
        self.clock.monotonic()
    }
}

impl crate::host::Console for SandboxHost {
    fn progress(&self, chunk: &str) -> bool {
        match self.front.progress.as_ref() {
            Some(show) => {
                show(chunk);
                true
            }
            None => false,
        }
    }

    fn terminal_input(&self) -> Option<crate::shell::TerminalInput> {
        self.front.input.clone()
    }

    fn pause(&self) -> Option<crate::shell::Pause> {
        self.front.pause.clone()
    }

    fn follow(&self) -> Option<crate::shell::Pause> {
        self.front.follow.clone()
    }

    fn pull_progress(&self, line: &str) -> bool {
        self.progress(line)
    }

    fn build_log(&self, log: &str) {
        *self.last_build.borrow_mut() = log.to_string();
    }

    fn attach(&self, session: &TtySession) -> bool {
        *self.attached.borrow_mut() = Some(session.clone());
        true
    }

    fn stdout_is_terminal(&self) -> bool {
        self.stdout_terminal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox() -> Sandbox {
        Sandbox::new(Rc::new(FixedClock(1_700_000_000)))
    }

    fn text(out: &Outcome) -> String {
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
    }

    #[test]
    fn cd_and_variables_carry_over_between_lines() {
        let mut sb = sandbox();
        assert_eq!(sb.prompt(), "student@berth:~$ ");
        sb.run_line("mkdir -p app && cd app && x=42", &[]);
        assert_eq!(sb.cwd(), "/workspace/app");
        assert_eq!(sb.prompt(), "student@berth:~/app$ ");
        assert_eq!(sb.run_line("echo $x $(pwd); id -u", &[]).stdout, b"42 /workspace/app\n1000\n");
        assert_eq!(sb.run_line("false", &[]).status, 1);
        assert_eq!(sb.run_line("echo $?", &[]).stdout, b"1\n");
    }

    #[test]
    fn docker_builds_the_workspace_and_binds_it_both_ways() {
        let mut sb = sandbox();
        sb.write_file("Dockerfile", b"FROM alpine\nWORKDIR /app\nCOPY hello.txt .\nCMD [\"cat\", \"hello.txt\"]\n").unwrap();
        sb.write_file("hello.txt", b"hello\n").unwrap();
        let out = sb.run_line("docker build -t greet .", &[]);
        assert_eq!(out.status, 0, "{}", text(&out));
        assert_eq!(sb.run_line("docker run --rm greet", &[]).stdout, b"hello\n");
        let out = sb.run_line("docker run --rm -v \"$(pwd)\":/data alpine sh -c 'echo from-container > /data/out.txt'", &[]);
        assert_eq!(out.status, 0, "{}", text(&out));
        assert_eq!(sb.run_line("cat out.txt", &[]).stdout, b"from-container\n");
        assert_eq!(sb.run_line("docker images -q greet | wc -l", &[]).stdout, b"1\n");
        let out = sb.run_line("docker nosuch", &[]);
        assert_eq!(out.status, 1);
    }

    #[test]
    fn docker_exec_it_attaches_a_shell_to_a_running_container_and_leaves_it_running() {
        let mut sb = sandbox();
        let out = sb.run_line("docker run -d --name web alpine:3.20 sh -c 'while true; do date > /tmp/beat; sleep 5; done'", &[]);
        assert_eq!(out.status, 0, "{}", text(&out));
        assert_eq!(sb.run_line("docker exec -it web sh", &[]).status, 0);
        assert!(sb.attached_container().is_some());
        assert_eq!(sb.prompt(), "/ # ");
        assert_eq!(sb.run_line("ls /tmp; echo note > /tmp/from-exec", &[]).stdout, b"beat\n");
        assert_eq!(sb.run_line("exit", &[]).status, 0);
        assert_eq!(sb.attached_container(), None);
        assert_eq!(sb.run_line("docker ps --format '{{.Names}} {{.State}}'", &[]).stdout, b"web running\n");
        assert_eq!(sb.run_line("docker exec web cat /tmp/from-exec", &[]).stdout, b"note\n");
        assert_eq!(sb.run_line("docker rm -f web", &[]).status, 0);
    }

    #[test]
    fn docker_run_it_attaches_the_terminal_to_the_container_shell_until_exit() {
        let mut sb = sandbox();
        sb.write_file("data.txt", b"from the host\n").unwrap();
        let out = sb.run_line("docker run -it --name box -v \"$(pwd)\":/data -w /data alpine:3.20 sh", &[]);
        assert_eq!(out.status, 0, "{}", text(&out));
        let id = sb.attached_container().expect("attached");
        assert_eq!(sb.prompt(), "/data # ");
        assert_eq!(sb.run_line("docker ps --format '{{.Names}} {{.State}}'", &[]).stdout, b"", "docker is not a program inside the container");
        assert_eq!(sb.run_line("cat data.txt; cd /etc && x=5", &[]).stdout, b"from the host\n");
        assert_eq!(sb.prompt(), "/etc # ");
        assert_eq!(sb.run_line("echo $x $(pwd) $HOSTNAME > /tmp/state; cat /tmp/state", &[]).stdout, format!("5 /etc {}\n", &id[..12]).as_bytes());
        assert_eq!(sb.run_line("touch /data/made-inside", &[]).status, 0);
        let out = sb.run_line("exit 3", &[]);
        assert_eq!(out.status, 3);
        assert_eq!(sb.attached_container(), None);
        assert_eq!(sb.prompt(), "student@berth:~$ ");
        assert_eq!(sb.run_line("docker ps -a --format '{{.Names}} {{.Status}}'", &[]).stdout, b"box Exited (3) Less than a second ago\n");
        assert_eq!(sb.run_line("docker cp -q box:/tmp/state state.txt && cat state.txt", &[]).stdout, format!("5 /etc {}\n", &id[..12]).as_bytes(), "the container's files persist between lines");
        assert_eq!(sb.run_line("ls made-inside", &[]).stdout, b"made-inside\n");
        // bash in a Debian image, and --rm.
        sb.run_line("docker run --rm -it python:3.11-slim bash", &[]);
        assert!(sb.prompt().starts_with("root@") && sb.prompt().ends_with(":/# "), "{}", sb.prompt());
        assert_eq!(sb.run_line("python --version", &[]).stdout, b"Python 3.11.10\n");
        sb.run_line("exit", &[]);
        assert_eq!(sb.run_line("docker ps -aq | wc -l", &[]).stdout, b"1\n", "--rm removed the bash container");
        // Python's REPL, over the emulated python.
        let out = sb.run_line("docker run -it --rm python:3.11.9-bullseye python", &[]);
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("Python 3.11.9 on linux\nType \"help\""), "{}", text(&out));
        assert_eq!(sb.prompt(), ">>> ");
        assert_eq!(sb.run_line("print(\"hi\")", &[]).stdout, b"hi\n");
        assert_eq!(sb.run_line("import sys", &[]).status, 0);
        let out = sb.run_line("import numpy", &[]);
        assert!(String::from_utf8_lossy(&out.stderr).contains("ModuleNotFoundError: No module named 'numpy'"), "{}", text(&out));
        sb.run_line("exit()", &[]);
        assert_eq!(sb.prompt(), "student@berth:~$ ");
    }

    #[test]
    fn build_progress_streams_to_the_front_end_as_it_happens() {
        let mut sb = sandbox();
        sb.write_file("Dockerfile", b"FROM alpine:3.20\nRUN echo one\nRUN echo two\n").unwrap();
        let seen = Rc::new(std::cell::RefCell::new(Vec::<String>::new()));
        let sink = seen.clone();
        sb.set_progress(Some(Rc::new(move |chunk: &str| sink.borrow_mut().push(chunk.to_string()))));
        let out = sb.run_line("docker build -t two .", &[]);
        assert_eq!(out.status, 0);
        assert!(out.stderr.is_empty(), "the progress was shown as it came, not again at the end");
        let chunks = seen.borrow();
        assert!(chunks.len() > 10, "{chunks:?}");
        assert!(chunks.iter().any(|c| c.contains("#5 [2/3] RUN echo one")), "{chunks:?}");
        assert!(chunks.concat().contains("naming to docker.io/library/two:latest done"));
        assert_eq!(sb.last_build().len(), 3, "the last build is still recorded for lesson checks");
        drop(chunks);
        let out = sb.run_line("docker pull alpine:3.19", &[]);
        assert!(!String::from_utf8_lossy(&out.stdout).contains("Pull complete"), "pull lines were shown as they came");
        assert!(seen.borrow().iter().any(|c| c.ends_with(": Pull complete\n")));
    }

    #[test]
    fn read_waits_for_the_users_line_in_the_host_and_in_a_container() {
        let mut sb = sandbox();
        let typed = Rc::new(std::cell::RefCell::new(vec!["second".to_string(), "first".to_string()]));
        let shown = Rc::new(std::cell::RefCell::new(String::new()));
        let (t, s) = (typed.clone(), shown.clone());
        sb.set_terminal_input(Some(Rc::new(move |so_far: &str| {
            s.borrow_mut().push_str(so_far);
            t.borrow_mut().pop()
        })));
        let out = sb.run_line("echo before; read -p 'name? ' name; echo \"hello $name\"", &[]);
        assert_eq!(shown.borrow().as_str(), "before\nname? ", "what was written before the read is shown first");
        assert_eq!(out.stdout, b"hello first\n");
        assert_eq!(sb.run_line("echo piped | read x; echo \"[$x]\"", &[]).stdout, b"[]\n", "a pipe is not the terminal");
        sb.run_line("docker run -it --rm alpine:3.20 sh", &[]);
        assert_eq!(sb.run_line("read v && echo got $v", &[]).stdout, b"got second\n");
        let out = sb.run_line("read v || echo eof", &[]);
        assert_eq!(out.stdout, b"eof\n", "Ctrl-D (no line) is end of input");
        sb.run_line("exit", &[]);
    }

    /// Lets sleeps "pass" by noting what they showed and how long they asked for.
    fn record_pauses(sb: &mut Sandbox) -> Rc<std::cell::RefCell<Vec<(String, f64)>>> {
        let log = Rc::new(std::cell::RefCell::new(Vec::<(String, f64)>::new()));
        let l = log.clone();
        sb.set_pause(Some(Rc::new(move |shown: &str, secs: f64| {
            l.borrow_mut().push((shown.to_string(), secs));
            true
        })));
        log
    }

    #[test]
    fn sleep_shows_the_output_so_far_and_lets_time_pass() {
        let mut sb = sandbox();
        let log = record_pauses(&mut sb);
        let out = sb.run_line("for i in 1 2; do echo tick $i; sleep 0.5; done; echo done", &[]);
        assert_eq!(*log.borrow(), [("tick 1\n".to_string(), 0.5), ("tick 2\n".to_string(), 0.5)]);
        assert_eq!(out.stdout, b"done\n", "what was shown during the run is not repeated");
        sb.run_line("docker run -it --rm alpine:3.20 sh", &[]);
        sb.run_line("echo in; sleep 1m", &[]);
        assert_eq!(log.borrow().last(), Some(&("in\n".to_string(), 60.0)));
        sb.run_line("exit", &[]);
    }

    #[test]
    fn a_foreground_container_shows_its_output_as_it_sleeps_unless_redirected() {
        let mut sb = sandbox();
        let log = record_pauses(&mut sb);
        sb.run_line("docker pull -q alpine:3.20", &[]);
        let out = sb.run_line("echo first; docker run --rm alpine:3.20 sh -c 'echo a; sleep 2; echo b'", &[]);
        assert_eq!(*log.borrow(), [("first\n".to_string(), 0.0), ("a\n".to_string(), 2.0)]);
        assert_eq!(out.stdout, b"b\n", "what was shown is not repeated");
        log.borrow_mut().clear();
        let out = sb.run_line("docker run --rm alpine:3.20 sh -c 'echo a; sleep 2; echo b' > out.txt; cat out.txt", &[]);
        assert!(log.borrow().is_empty(), "{:?}", log.borrow());
        assert_eq!(out.stdout, b"a\nb\n");
    }

    #[test]
    fn ctrl_c_in_a_sleep_interrupts_the_line_and_the_program() {
        let mut sb = sandbox();
        sb.set_pause(Some(Rc::new(|_: &str, secs: f64| secs < 10.0)));
        sb.set_terminal_input(Some(Rc::new(|_: &str| None)));
        let out = sb.run_line("echo a; sleep 1; sh -c 'sleep 30; echo inner'; echo after", &[]);
        assert_eq!((out.status, out.stdout.as_slice()), (130, b"" as &[u8]), "{}", String::from_utf8_lossy(&out.stdout));
        assert_eq!(sb.run_line("echo $?", &[]).stdout, b"130\n");
        let out = sb.run_line("docker run --rm -it alpine:3.20 sh -c 'sleep 60; echo late'", &[]);
        assert_eq!(out.status, 130);
        assert!(!String::from_utf8_lossy(&out.stdout).contains("late"));
    }

    /// A clock the test moves on.
    struct Moving(std::cell::Cell<i64>);

    impl Clock for Moving {
        fn now(&self) -> i64 {
            self.0.get()
        }
        fn monotonic(&self) -> f64 {
            0.0
        }
    }

    #[test]
    fn containers_keep_time_with_the_clock() {
        let clock = Rc::new(Moving(std::cell::Cell::new(1_700_000_000)));
        let mut sb = Sandbox::new(clock.clone() as Rc<dyn Clock>);
        sb.run_line("docker run -d --name beat alpine:3.20 sh -c 'while true; do date +%s; sleep 10; done'", &[]);
        sb.run_line("docker run -it --rm alpine:3.20 sh", &[]);
        clock.0.set(1_700_000_000 + 3600);
        assert_eq!(sb.run_line("date +%s", &[]).stdout, b"1700003600\n", "a typed line runs when it is typed");
        sb.run_line("exit", &[]);
        clock.0.set(1_700_000_000 + 25);
        let logs = sb.run_line("docker logs beat", &[]);
        assert_eq!(String::from_utf8_lossy(&logs.stdout), "1700000000\n1700000010\n1700000020\n", "{}", text(&logs));
    }

    #[test]
    fn lesson_checks_run_on_the_host_while_a_container_shell_is_attached() {
        let mut sb = sandbox();
        sb.run_line("docker run -it --rm alpine:3.20 sh", &[]);
        sb.run_line("cd /etc", &[]);
        assert_eq!(sb.run_check("echo $HOSTNAME $(pwd)").stdout, b"berth /workspace\n");
        assert_eq!(sb.run_line("pwd", &[]).stdout, b"/etc\n", "the container's shell is as it was");
        assert_eq!(sb.prompt(), "/etc # ");
        sb.run_line("exit", &[]);
    }

    #[test]
    fn tab_completes_commands_subcommands_names_and_paths() {
        let mut sb = sandbox();
        sb.write_file("Dockerfile", b"FROM alpine\n").unwrap();
        sb.write_file("docs/notes.md", b"").unwrap();
        sb.run_line("docker build -q -t greet . && docker run --name greeter greet true", &[]);
        assert_eq!(sb.complete("dock"), ["docker"]);
        assert_eq!(sb.complete("docker bu"), ["build", "builder"]);
        assert_eq!(sb.complete("docker run --r"), ["--read-only", "--restart", "--rm", "--runtime"]);
        assert_eq!(sb.complete("docker ps --l"), ["--last", "--latest"], "from ps's own table");
        assert_eq!(sb.complete("docker run --rm gr"), ["greet:latest"]);
        assert_eq!(sb.complete("docker logs g"), ["greeter"]);
        assert_eq!(sb.complete("cat Do"), ["Dockerfile"]);
        assert_eq!(sb.complete("ls do"), ["docs/"]);
        assert_eq!(sb.complete("cat docs/n"), ["docs/notes.md"]);
        assert_eq!(sb.complete("ls | gr"), ["grep"]);
    }

    #[test]
    fn workspace_round_trips_through_a_tar() {
        let mut sb = sandbox();
        sb.run_line("mkdir -p src && echo 'print(1)' > src/app.py && chmod 755 src/app.py", &[]);
        let tar = sb.export_workspace().unwrap();
        let mut other = sandbox();
        other.import_workspace(&tar).unwrap();
        assert_eq!(other.read_file("src/app.py").unwrap(), b"print(1)\n");
        assert_eq!(other.run_line("stat -c %a src/app.py", &[]).stdout, b"755\n");
    }

    #[test]
    fn the_ubuntu_host_is_a_machine_like_killercodas() {
        let mut sb = Sandbox::with_host(Rc::new(FixedClock(1_700_000_000)), HostKind::Ubuntu);
        assert_eq!(sb.prompt(), "root@ubuntu:~# ");
        let run = |sb: &mut Sandbox, line: &str| {
            let out = sb.run_line(line, &[]);
            (out.status, text(&out))
        };
        assert_eq!(run(&mut sb, "id -u; pwd; echo $HOME; hostname; cat /etc/killercoda/host"), (0, "0\n/root\n/root\nubuntu\nhost01\n".into()));
        assert_eq!(run(&mut sb, ". /etc/os-release && echo $ID $VERSION_ID; test -d /var/lib/docker && command -v docker apt-get dpkg git sudo systemctl"), (0, "ubuntu 24.04\n/usr/bin/docker\n/usr/bin/apt-get\n/usr/bin/dpkg\n/usr/bin/git\n/usr/bin/sudo\n/usr/bin/systemctl\n".into()));
        assert_eq!(run(&mut sb, "docker pull -q alpine:3.20 >/dev/null; docker run --rm alpine:3.20 echo hi && sudo docker ps -q | wc -l"), (0, "hi\n0\n".into()));
        assert_eq!(run(&mut sb, "sudo -u ubuntu id -un; sudo id -un; sudo"), (1, format!("ubuntu\nroot\n{}", super::super::shell::applets::host::tests_usage())));
        assert_eq!(run(&mut sb, "dockr ps").1, "bash: dockr: command not found\n");
        // apt and dpkg over the host's own package database.
        let (code, out) = run(&mut sb, "apt-get install -y bash | grep newest; dpkg -s bash | head -2; dpkg -l nosuch");
        assert_eq!((code, out.as_str()), (1, "bash is already the newest version (5.2.21-2ubuntu4).\nPackage: bash\nStatus: install ok installed\ndpkg-query: no packages found matching nosuch\n"));
        // The docker service, as systemd has it.
        assert_eq!(run(&mut sb, "systemctl is-active docker && systemctl stop docker && systemctl is-active docker"), (3, "active\ninactive\n".into()));
        assert_eq!(run(&mut sb, "docker ps"), (1, "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n".into()));
        assert_eq!(run(&mut sb, "service docker start && docker ps --format x"), (0, "".into()));
        assert_eq!(run(&mut sb, "systemctl restart nginx"), (5, "Failed to restart nginx.service: Unit nginx.service not found.\n".into()));
        // git, locally.
        let (code, out) = run(&mut sb, "mkdir proj && cd proj && git init -q && echo one > a.txt && git add . && git commit -m first");
        assert_eq!(code, 128, "no identity yet: {out}");
        assert!(out.starts_with("Author identity unknown"), "{out}");
        let (code, out) = run(&mut sb, "git config --global user.name Student && git config --global user.email s@example.com && git commit -q -m first && echo two >> a.txt && git status --short && git commit -am second && git log --oneline | wc -l && git show HEAD:a.txt");
        assert_eq!(code, 0, "{out}");
        assert!(out.starts_with(" M a.txt\n[master "), "{out}");
        assert!(out.ends_with("] second\n 1 file changed, 1 insertion(+)\n2\none\ntwo\n"), "{out}");
        let (code, out) = run(&mut sb, "git clone https://github.com/docker/getting-started.git");
        assert_eq!((code, out.as_str()), (128, "Cloning into 'getting-started'...\nfatal: unable to access 'https://github.com/docker/getting-started.git/': Could not resolve host: github.com\n"));
        assert_eq!(run(&mut sb, "cd /root && git clone -q proj copy 2>/dev/null; cat copy/a.txt").1, "one\ntwo\n");
        // Options before the command, clustered flags, the log's format, a tree's entries.
        let (code, out) = run(&mut sb, "cd /root/copy && echo three >> a.txt && git -c user.name=Other -c user.email=o@example.com commit -qam third && git log --format='%an <%ae> %s' -n 1 && git cat-file -p HEAD | head -1 | cut -c1-5 && git cat-file -p $(git cat-file -p HEAD | sed -n 's/^tree //p')");
        assert_eq!(code, 0, "{out}");
        assert!(out.starts_with("Other <o@example.com> third\ntree \n100644 blob "), "{out}");
        assert!(out.ends_with("\ta.txt\n"), "{out}");
    }

    #[test]
    fn a_command_typed_over_several_lines_runs_whole() {
        let mut sb = sandbox();
        for line in ["cat <<EOF > greeting.txt", "hello", "EOF"] {
            assert!(sb.type_line(line, None).stdout.is_empty());
            if line != "EOF" {
                assert_eq!(sb.prompt(), "> ");
            }
        }
        assert_eq!(sb.prompt(), "student@berth:~$ ");
        assert_eq!(sb.type_line("echo a \\", None).stdout, b"");
        assert_eq!(sb.type_line("  b; cat greeting.txt", None).stdout, b"a b\nhello\n");
        sb.type_line("if true; then", None);
        assert!(sb.cancel_typing());
        assert_eq!(sb.prompt(), "student@berth:~$ ");
        assert_eq!(sb.type_line("echo )", None).status, 2, "an error before the end is reported at once");
    }

    #[test]
    fn unknown_commands_fail_as_in_a_shell() {
        let mut sb = sandbox();
        let out = sb.run_line("dockr ps", &[]);
        assert_eq!((out.status, text(&out)), (127, "sh: 1: dockr: not found\n".to_string()));
    }
}
