//! The sandbox host: the small machine a student's terminal runs on. In the browser it is
//! the machine behind the terminal; natively, `berth lesson` runs lesson checks on it.
//!
//! Its filesystem holds the student's project at [`WORKSPACE`]; its shell is Berth's
//! shell (dash wording) with the applets, and `docker` and `berth` run the engine's
//! command line against the sandbox's own engine state. A bind mount (`-v "$(pwd)":/app`)
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
}

/// What a lesson's script may do before it is stopped.
#[derive(Debug, Clone, Copy)]
pub struct ScriptLimits {
    pub commands: u64,
    /// Seconds its `sleep`s may add up to (they take no real time in a check).
    pub sleep_seconds: f64,
}

/// The limits of lesson scripts: far more than any check needs.
pub const SCRIPT_LIMITS: ScriptLimits = ScriptLimits { commands: 2_000_000, sleep_seconds: 300.0 };

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
    pub fn new(clock: Rc<dyn Clock>) -> Sandbox {
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
        // Killercoda scenarios work in /root: here that is the workspace.
        let _ = fs.symlink(WORKSPACE, "/root");
        let vars = [("HOME", WORKSPACE), ("USER", user), ("HOSTNAME", HOSTNAME), ("PATH", "/usr/local/bin:/usr/bin:/bin"), ("TERM", "xterm-256color")];
        Sandbox {
            fs: SharedFs::new(fs),
            storage: SharedStorage::default(),
            clock,
            cwd: WORKSPACE.to_string(),
            vars: vars.iter().map(|(k, v)| (k.to_string(), v.to_string(), true)).collect(),
            last_status: 0,
            last_build: Rc::default(),
            attached: Rc::default(),
            front: FrontEnd::default(),
        }
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
        let dir = match self.cwd.strip_prefix(WORKSPACE) {
            Some("") => "~".to_string(),
            Some(rest) if rest.starts_with('/') => format!("~{rest}"),
            _ => self.cwd.clone(),
        };
        format!("{}@{HOSTNAME}:{dir}$ ", USER.0)
    }

    /// Runs one command line: in the attached container's shell if there is one,
    /// otherwise in the host shell. `cd`, variables and `$?` carry over to the next line.
    /// `interrupt` stops it at the next command (Ctrl-C).
    pub fn run_line_with(&mut self, line: &str, stdin: &[u8], interrupt: Option<Arc<AtomicBool>>) -> Outcome {
        self.run_typed(line, stdin, interrupt, None)
    }

    fn run_typed(&mut self, line: &str, stdin: &[u8], interrupt: Option<Arc<AtomicBool>>, limits: Option<ScriptLimits>) -> Outcome {
        let attached = self.attached.borrow_mut().take();
        if let Some(mut session) = attached {
            let host = self.host(WORKSPACE, &[]);
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
        let mut sh = Shell::new(&mut fs, Flavor::Dash);
        sh.set_args("sh", &[]);
        for (k, v, exported) in &self.vars {
            sh.set_variable(k, v, *exported);
        }
        sh.set_clock(self.clock.now());
        sh.set_cwd(&self.cwd);
        sh.set_last_status(self.last_status);
        sh.set_terminal_input(self.front.input.clone());
        sh.set_pause(self.front.pause.clone());
        sh.uid = USER.1;
        sh.gid = USER.1;
        sh.hostname = HOSTNAME.to_string();
        if let Some(flag) = interrupt {
            sh.set_interrupt(flag);
        }
        if let Some(l) = limits {
            sh.set_budget(l.commands);
            sh.set_time_limit(l.sleep_seconds);
        }
        let template = self.host(WORKSPACE, &[]);
        sh.set_host_program(Rc::new(move |call: &HostCall<'_>| {
            let name = call.argv.first()?.rsplit('/').next()?;
            if name != "docker" && name != "berth" && name != "docker-compose" {
                return None;
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

    /// An absolute path for a path given relative to the workspace; `..` cannot leave it.
    pub fn workspace_path(path: &str) -> String {
        vfs::join(WORKSPACE, vfs::normalize(&format!("/{path}")).trim_start_matches('/'))
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
        let view = SubdirFs { inner: self.fs.clone(), base: WORKSPACE.to_string() };
        layer::tar_of(&view, &LayerOptions::default()).map_err(|e| e.to_string())
    }

    /// Replaces the workspace with the files of a tar archive (a saved session).
    pub fn import_workspace(&mut self, tar: &[u8]) -> Result<(), String> {
        let mut unpacked = MemoryFs::new();
        layer::unpack(tar, &mut unpacked).map_err(|e| e.to_string())?;
        let _ = self.fs.remove_all(WORKSPACE);
        vfs::walk::copy_tree(&unpacked, "/", &mut self.fs, WORKSPACE).map_err(|e| e.to_string())?;
        let _ = self.fs.set_owner(WORKSPACE, USER.1, USER.1);
        Ok(())
    }

    /// Reads a file; a relative path is taken from the workspace.
    pub fn read_file(&self, path: &str) -> Result<Vec<u8>, String> {
        self.fs.read(&Self::workspace_path(path)).map_err(|e| e.to_string())
    }

    /// Writes a file (creating its directories), as the editor saves it.
    pub fn write_file(&mut self, path: &str, data: &[u8]) -> Result<(), String> {
        let path = Self::workspace_path(path);
        if let Some((parent, _)) = vfs::split_parent(&path) {
            self.fs.create_dir_all(&parent, 0o755).map_err(|e| e.to_string())?;
        }
        let exists = self.fs.exists(&path);
        self.fs.write(&path, data).map_err(|e| e.to_string())?;
        if !exists {
            let _ = self.fs.set_owner(&path, USER.1, USER.1);
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
    fn unknown_commands_fail_as_in_a_shell() {
        let mut sb = sandbox();
        let out = sb.run_line("dockr ps", &[]);
        assert_eq!((out.status, text(&out)), (127, "sh: 1: dockr: not found\n".to_string()));
    }
}
