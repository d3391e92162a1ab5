//! Docker-compatible command-line layer shared by the native `berth` binary and the
//! browser terminal: argv in, exit code plus stdout/stderr out. No host I/O happens here;
//! files are read through the [`Host`] trait the front end passes in.

mod build;
mod compose;
mod container;
mod debug;
pub mod flags;
mod format;

pub use container::{attached_line, AttachedLine};
pub use format::{human_duration, human_size};
mod image;
mod info;
mod kube;
mod lesson;
mod lint;
mod network;
mod registry;
mod run_flags;
mod search;
mod tables;
pub mod template;


pub use crate::host::{Clock, Console, Files, Host};

/// What a command produced.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Output {
    pub code: i32,
    /// Bytes, as the process or command wrote them: `docker run … tar czf - /etc`, `docker
    /// exec c cat model.bin` and `docker save` to a pipe keep every byte.
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Output {
    pub fn ok(stdout: impl Into<Vec<u8>>) -> Output {
        Output { code: 0, stdout: stdout.into(), stderr: Vec::new() }
    }

    pub fn fail(code: i32, stderr: impl Into<Vec<u8>>) -> Output {
        Output { code, stdout: Vec::new(), stderr: stderr.into() }
    }

    /// stdout as text (lossy where it is not UTF-8), for output meant to be read.
    pub fn stdout_text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.stdout)
    }

    pub fn stderr_text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.stderr)
    }

    /// Puts `text` before what the command wrote to stderr (pull progress before an error).
    pub fn prepend_stderr(&mut self, text: &str) {
        self.stderr.splice(0..0, text.bytes());
    }
}

pub const VERSION: &str = env!("CARGO_PKG_VERSION");

const HELP: &str = "\
Usage:  berth [OPTIONS] COMMAND

A Docker-compatible container engine for learning, in the browser and on the command line

Build commands:
  build       Build an image from a Dockerfile

Container commands:
  run         Create and run a new container from an image
  ps          List containers
  logs        Fetch the logs of a container
  attach      Attach local standard input, output, and error streams to a running container
  start       Start one or more stopped containers
  rm          Remove one or more containers
  stop        Stop one or more running containers
  kill        Kill one or more running containers
  restart     Restart one or more containers
  wait        Block until one or more containers stop, then print their exit codes
  exec        Execute a command in a running container
  rename      Rename a container
  create      Create a new container without starting it
  diff        Inspect changes to files on a container's filesystem
  commit      Create a new image from a container's changes
  cp          Copy files between a container and the local filesystem
  export      Export a container's filesystem as a tar archive
  inspect     Return low-level information on containers and images
  pause       Pause all processes within one or more containers
  unpause     Unpause all processes within one or more containers
  port        List port mappings or a specific mapping for the container
  stats       Display a live stream of container(s) resource usage statistics
  top         Display the running processes of a container
  update      Update configuration of one or more containers

Image commands:
  pull        Download an image from a registry (offline: from Berth's catalog)
  images      List images
  tag         Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
  rmi         Remove one or more images
  save        Save one or more images to a tar archive
  load        Load an image from a tar archive
  history     Show the history of an image
  import      Import the contents from a tarball to create a filesystem image
  push        Upload an image to a registry
  login       Log in to a registry
  logout      Log out from a registry
  search      Search Docker Hub for images

Compose:
  compose     Run multi-container applications from a Compose file

Volume commands:
  volume      Manage volumes (create, ls, inspect, rm, prune)

System commands:
  info        Display system-wide information, the runtimes among it
  events      Get real time events from the engine
  version     Show the version information
  system      Manage Berth (df, events, info, prune)

Dockerfile commands:
  lint        Check a Dockerfile for errors and common mistakes
  debug       Inspect how Berth reads a Dockerfile (parse, stages)

Lesson commands:
  lesson      Check or play lessons (check, run)

Options:
  -v, --version   Print version information and quit
  -h, --help      Print this help

Run 'berth COMMAND --help' for more information on a command.
";

/// The commands that are on declarative tables ([`flags::Command`]): parsing, `--help`
/// and the sandbox's completion all read these.
pub static TABLES: &[&flags::Command] = {
    use tables::*;
    &[
        &run_flags::RUN, &run_flags::CREATE, &build::BUILD, &PS, &IMAGES, &STOP, &RESTART, &KILL, &CP, &LOGS, &EXEC, &RM, &START, &ATTACH, &INSPECT, &CONTAINER_INSPECT, &IMAGE_INSPECT, &TOP, &WAIT, &RENAME, &DIFF, &PAUSE, &UNPAUSE, &EXPORT, &COMMIT, &STATS, &UPDATE, &CONTAINER_PRUNE, &RMI, &HISTORY, &TAG, &SAVE, &LOAD, &IMPORT, &PULL, &PUSH, &IMAGE_PRUNE, &LOGIN, &LOGOUT, &search::SEARCH, &SYSTEM_DF, &SYSTEM_PRUNE, &EVENTS, &PORT, &INFO, &VERSION, &VOLUME_CREATE, &VOLUME_LS, &VOLUME_INSPECT, &VOLUME_PRUNE, &VOLUME_RM, &VOLUME_UPDATE, &NETWORK_CREATE, &NETWORK_LS, &NETWORK_INSPECT, &NETWORK_RM, &NETWORK_PRUNE, &NETWORK_CONNECT, &NETWORK_DISCONNECT, &compose::COMPOSE, &compose::UP, &compose::DOWN, &compose::PS, &compose::LOGS, &compose::BUILD, &compose::PULL, &compose::CONFIG, &compose::EXEC, &compose::RUN, &compose::RESTART, &compose::STOP, &compose::START, &compose::RM,
    ]
};

/// The table of a command by the path after the program's name (`ps`, `container ls`).
pub fn table(path: &str) -> Option<&'static flags::Command> {
    TABLES.iter().copied().find(|c| c.path == path || c.aliases.contains(&path))
}

/// Runs one command line typed as `program ARGS…` (`docker`, `berth`): messages name the
/// program as typed ([`flags::program`]).
pub fn run_as(program: &str, args: &[String], host: &dyn Host) -> Output {
    flags::as_program(program, || run(args, host))
}

/// Runs one command line (without the program name).
pub fn run(args: &[String], host: &dyn Host) -> Output {
    let Some(command) = args.first() else {
        return Output::ok(HELP);
    };
    let rest = &args[1..];
    if matches!(command.as_str(), "ps" | "logs" | "attach" | "rm" | "start" | "cp" | "inspect" | "diff" | "commit" | "export" | "stop" | "kill" | "restart" | "wait" | "exec" | "top" | "rename" | "container" | "system" | "compose" | "pause" | "unpause" | "stats" | "update") {
        crate::daemon::start::catch_up(host);
    }
    match command.as_str() {
        "-h" | "--help" | "help" => Output::ok(HELP),
        "-v" | "--version" => Output::ok(format!("Berth version {VERSION}\n")),
        "version" => info::version(rest, host),
        "build" => build::run(rest, host),
        "info" => info::run(rest, host),
        "cdi" => info::cdi(rest),
        "kube" => kube::run(rest, host),
        "inspect" => container::inspect(&tables::INSPECT, rest, host),
        "events" => container::events(rest, host),
        "volume" => container::volume(rest, host),
        "network" => network::run(rest, host),
        "system" => match rest.split_first() {
            Some((sub, args)) if sub == "df" => image::system_df(args, host),
            Some((sub, args)) if sub == "info" => info::run(args, host),
            Some((sub, args)) if sub == "prune" => system_prune(args, host),
            Some((sub, args)) if sub == "events" => container::events(args, host),
            _ => Output::ok("Usage:  berth system COMMAND\n\nCommands:\n  df          Show disk usage\n  events      Get real time events from the engine\n  info        Display system-wide information\n  prune       Remove unused data\n"),
        },
        "container" => match rest.split_first() {
            Some((sub, args)) if sub == "inspect" => container::inspect(&tables::CONTAINER_INSPECT, args, host),
            Some((sub, args)) if sub == "ls" || sub == "list" => container::run("ps", args, host),
            Some((sub, args)) if sub == "prune" => container::lifecycle(sub, args, host),
            Some((sub, args)) => container_verb(sub, args, host).unwrap_or_else(|| Output::fail(1, format!("{prog}: 'container {sub}' is not a {prog} command.\nSee '{prog} --help'\n", prog = flags::program()))),
            None => Output::ok("Usage:  berth container COMMAND\n\nCommands:\n  attach, commit, cp, create, diff, exec, export, inspect, kill, logs, ls, pause, prune, rename, restart, rm, run, start, stats, stop, top, unpause, update, wait\n"),
        },
        "builder" if rest.first().map(String::as_str) == Some("build") => build::run(&rest[1..], host),
        "lint" => lint::run(rest, host),
        "lesson" => lesson::run(rest, host),
        "push" => registry::push(rest, host),
        "compose" => compose::run(rest, host),
        "login" => registry::login(rest, host),
        "search" => search::run(rest, host),
        "logout" => registry::logout(rest, host),
        "debug" => debug::run(rest, host),
        "pull" | "images" | "tag" | "rmi" | "save" | "load" | "history" | "import" => image::run(command, rest, host),
        "image" => match rest.split_first() {
            Some((sub, args)) => match sub.as_str() {
                "pull" | "tag" | "save" | "load" | "history" | "import" => image::run(sub, args, host),
                "push" => registry::push(args, host),
                "build" => build::run(args, host),
                "ls" | "list" => image::run("images", args, host),
                "prune" => image::prune_command(args, host),
                "inspect" => container::inspect(&tables::IMAGE_INSPECT, args, host),
                "rm" | "remove" => image::run("rmi", args, host),
                other => Output::fail(1, format!("{prog}: 'image {other}' is not a {prog} command.\nSee '{prog} --help'\n", prog = flags::program())),
            },
            None => Output::ok("Usage:  berth image COMMAND\n\nCommands:\n  build, history, inspect, load, ls, prune, pull, rm, save, tag\n"),
        },
        other => container_verb(other, rest, host).unwrap_or_else(|| Output::fail(1, format!("{prog}: '{other}' is not a {prog} command.\nSee '{prog} --help'\n", prog = flags::program()))),
    }
}

/// The container verbs, as `docker VERB` and `docker container VERB` both run them.
fn container_verb(verb: &str, args: &[String], host: &dyn Host) -> Option<Output> {
    Some(match verb {
        "run" | "create" | "ps" | "logs" | "rm" | "start" | "cp" => container::run(verb, args, host),
        "attach" => container::attach(args, host),
        "diff" => container::diff(args, host),
        "commit" => container::commit(args, host),
        "export" => container::export(args, host),
        "stop" | "kill" | "restart" | "wait" | "exec" | "top" | "rename" | "pause" | "unpause" => container::lifecycle(verb, args, host),
        "stats" => container::stats(args, host),
        "update" => container::update(args, host),
        "port" => container::port(args, host),
        _ => return None,
    })
}

/// `system prune [-a] [--volumes] [--filter …]`: stopped containers, then (with
/// `--volumes`) unused anonymous volumes, then dangling images (every unused one with
/// `-a`), then what interrupted writes left behind.
fn system_prune(args: &[String], host: &dyn Host) -> Output {
    let p = match tables::SYSTEM_PRUNE.read(args, 0, Some(0)) {
        Ok(p) => p,
        Err(out) => return out,
    };
    let filters: Vec<String> = p.values("filter").iter().map(|f| format!("--filter={f}")).collect();
    let mut out = container::lifecycle("prune", &filters, host);
    if out.code != 0 {
        return out;
    }
    if p.bool("volumes") {
        // Volumes have no `until`; their labels are filtered as the others' are.
        let mut volume_args = vec!["prune".to_string(), "--force".into()];
        volume_args.extend(p.values("filter").iter().filter(|f| f.starts_with("label")).map(|f| format!("--filter={f}")));
        let volumes = container::volume(&volume_args, host);
        out.stdout.extend_from_slice(&volumes.stdout);
        out.stderr.extend_from_slice(&volumes.stderr);
    }
    let images = image::prune_images(p.bool("all"), &p.filters(), host);
    out.stdout.extend_from_slice(&images.stdout);
    out.stderr.extend_from_slice(&images.stderr);
    out.code = images.code;
    // What interrupted writes left behind (a crash, a full disk).
    if let Ok(mut storage) = host.storage() {
        let (files, bytes) = storage.reclaim();
        if files > 0 {
            out.stdout.extend_from_slice(format!("Removed {files} partial file{} left by interrupted writes: {}\n", if files == 1 { "" } else { "s" }, human_size(bytes)).as_bytes());
        }
    }
    out
}

/// Reads a text file through the host, replacing invalid UTF-8.
fn read_text(host: &dyn Host, path: &str) -> Result<String, String> {
    host.read_file(path).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// A minimal option scanner: `--name value`, `--name=value`, flags and positionals.
struct Args<'a> {
    items: &'a [String],
    pos: usize,
}

enum Arg<'a> {
    Flag(&'a str, Option<&'a str>),
    Positional(&'a str),
}

impl<'a> Args<'a> {
    fn new(items: &'a [String]) -> Args<'a> {
        Args { items, pos: 0 }
    }

    fn next(&mut self) -> Option<Arg<'a>> {
        let item = self.items.get(self.pos)?;
        self.pos += 1;
        if item.len() > 1 && item.starts_with('-') {
            match item.split_once('=') {
                Some((n, v)) if item.starts_with("--") => Some(Arg::Flag(n, Some(v))),
                _ => Some(Arg::Flag(item, None)),
            }
        } else {
            Some(Arg::Positional(item))
        }
    }

    /// The value of a flag given as `--name value` when it was not `--name=value`.
    fn value(&mut self, name: &str, inline: Option<&'a str>) -> Result<&'a str, Output> {
        if let Some(v) = inline {
            return Ok(v);
        }
        let v = self.items.get(self.pos).ok_or_else(|| Output::fail(125, format!("flag needs an argument: {name}\n")))?;
        self.pos += 1;
        Ok(v)
    }
}

fn unknown_flag(command: &str, flag: &str) -> Output {
    Output::fail(125, format!("unknown flag: {flag}\nSee 'berth {command} --help'.\n"))
}
