//! Typed instructions grouped into build stages, built from the syntax tree the way
//! BuildKit's `instructions` package does (`parseRun`, `parseCopy`, …), with its error
//! wording. Words are kept unexpanded here; [`super::scope`] expands them at build time.

use serde::Serialize;

use super::ast::{Dockerfile, Heredoc, Node, Span};
use super::diagnostic::Diagnostic;
use super::parser::parse_heredoc;
use super::suggest;

/// Every instruction keyword of the Dockerfile reference, lower case.
pub const INSTRUCTIONS: &[&str] = &[
    "add", "arg", "cmd", "copy", "entrypoint", "env", "expose", "from", "healthcheck", "label", "maintainer", "onbuild",
    "run", "shell", "stopsignal", "user", "volume", "workdir",
];

/// The parsed instructions of a Dockerfile.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Instructions {
    /// `ARG`s before the first `FROM` (global scope).
    pub meta_args: Vec<Located<Vec<ArgDecl>>>,
    pub stages: Vec<Stage>,
}

impl Instructions {
    /// The index of the stage called `name` (stage names are case-insensitive) or with that
    /// index number, as `--target` and `COPY --from` resolve it.
    pub fn find_stage(&self, name: &str) -> Option<usize> {
        let lower = name.to_lowercase();
        if let Some(i) = self.stages.iter().position(|s| s.name.as_deref() == Some(lower.as_str())) {
            return Some(i);
        }
        name.parse::<usize>().ok().filter(|i| *i < self.stages.len())
    }
}

/// A value together with where it came from.
#[derive(Debug, Clone, Serialize)]
pub struct Located<T> {
    pub value: T,
    /// Index of the instruction in [`Dockerfile::instructions`].
    pub node: usize,
    pub span: Span,
    /// 1-based line of the keyword.
    pub line: usize,
}

/// One `FROM` and the instructions that follow it.
#[derive(Debug, Clone, Serialize)]
pub struct Stage {
    /// Lower-cased `AS` name.
    pub name: Option<String>,
    /// The name as written after `AS`.
    pub name_as_written: Option<String>,
    /// The base image or stage, unexpanded (`python:${VERSION}-slim`).
    pub base: String,
    pub platform: Option<String>,
    pub node: usize,
    pub span: Span,
    pub line: usize,
    pub instructions: Vec<Located<Instruction>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum CommandLine {
    /// JSON form: run the program directly.
    Exec(Vec<String>),
    /// Shell form: run through the stage's `SHELL` (`/bin/sh -c` by default).
    Shell(String),
}

impl CommandLine {
    pub fn is_shell(&self) -> bool {
        matches!(self, CommandLine::Shell(_))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyValue {
    pub key: String,
    pub value: String,
    /// Written as `KEY value` (legacy form) rather than `KEY=value`.
    pub legacy: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArgDecl {
    pub name: String,
    /// The default, unexpanded; `None` for `ARG NAME`.
    pub default: Option<String>,
}

/// A `--mount` of `RUN`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mount {
    /// `bind`, `cache`, `tmpfs`, `secret` or `ssh`.
    pub kind: String,
    pub target: Option<String>,
    pub source: Option<String>,
    pub from: Option<String>,
    pub readonly: bool,
    /// Every option as written, in order.
    pub options: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Run {
    pub command: CommandLine,
    pub heredocs: Vec<Heredoc>,
    pub mounts: Vec<Mount>,
    pub network: Option<String>,
    pub security: Option<String>,
}

/// A source of `COPY`/`ADD`: a path (or URL) or an inline heredoc.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Source {
    Path(String),
    Heredoc(Heredoc),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Copy {
    pub sources: Vec<Source>,
    pub dest: String,
    pub from: Option<String>,
    pub chown: Option<String>,
    pub chmod: Option<String>,
    pub link: bool,
    pub parents: bool,
    pub exclude: Vec<String>,
    pub keep_git_dir: Option<bool>,
    pub checksum: Option<String>,
    pub unpack: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Healthcheck {
    None,
    Cmd {
        test: CommandLine,
        interval_ms: Option<u64>,
        timeout_ms: Option<u64>,
        start_period_ms: Option<u64>,
        start_interval_ms: Option<u64>,
        retries: Option<u32>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Instruction {
    Run(Run),
    Cmd(CommandLine),
    Entrypoint(CommandLine),
    Shell(Vec<String>),
    Env(Vec<KeyValue>),
    Label(Vec<KeyValue>),
    Arg(Vec<ArgDecl>),
    Copy(Copy),
    Add(Copy),
    Workdir(String),
    User(String),
    Volume(Vec<String>),
    Expose(Vec<String>),
    StopSignal(String),
    Healthcheck(Healthcheck),
    Maintainer(String),
    /// The trigger as written (stored in the image config) and its parsed form.
    Onbuild { expression: String, trigger: Box<Instruction> },
}

impl Instruction {
    /// The keyword, upper case.
    pub fn keyword(&self) -> &'static str {
        match self {
            Instruction::Run(_) => "RUN",
            Instruction::Cmd(_) => "CMD",
            Instruction::Entrypoint(_) => "ENTRYPOINT",
            Instruction::Shell(_) => "SHELL",
            Instruction::Env(_) => "ENV",
            Instruction::Label(_) => "LABEL",
            Instruction::Arg(_) => "ARG",
            Instruction::Copy(_) => "COPY",
            Instruction::Add(_) => "ADD",
            Instruction::Workdir(_) => "WORKDIR",
            Instruction::User(_) => "USER",
            Instruction::Volume(_) => "VOLUME",
            Instruction::Expose(_) => "EXPOSE",
            Instruction::StopSignal(_) => "STOPSIGNAL",
            Instruction::Healthcheck(_) => "HEALTHCHECK",
            Instruction::Maintainer(_) => "MAINTAINER",
            Instruction::Onbuild { .. } => "ONBUILD",
        }
    }
}

/// Either a stage start or an instruction inside one.
enum Parsed {
    From { name: Option<String>, name_as_written: Option<String>, base: String, platform: Option<String> },
    Instruction(Instruction),
}

/// Builds typed stages from a parsed file. Instructions that fail to parse are reported
/// and left out; the rest are kept so that a build or lint can report everything at once.
pub fn from_ast(file: &Dockerfile) -> (Instructions, Vec<Diagnostic>) {
    let mut out = Instructions::default();
    let mut diagnostics = Vec::new();
    for (index, node) in file.instructions.iter().enumerate() {
        let span = Span::new(node.keyword_span.start, node_end(node));
        let parsed = match parse_instruction(node) {
            Ok(p) => p,
            Err(e) => {
                diagnostics.push(e.into_diagnostic(node));
                continue;
            }
        };
        let line = node.start_line;
        match parsed {
            Parsed::From { name, name_as_written, base, platform } => out.stages.push(Stage {
                name,
                name_as_written,
                base,
                platform,
                node: index,
                span,
                line,
                instructions: Vec::new(),
            }),
            Parsed::Instruction(Instruction::Arg(args)) if out.stages.is_empty() => {
                out.meta_args.push(Located { value: args, node: index, span, line });
            }
            Parsed::Instruction(instruction) => match out.stages.last_mut() {
                Some(stage) => stage.instructions.push(Located { value: instruction, node: index, span, line }),
                None => diagnostics.push(
                    Diagnostic::error(span, "no build stage in current context")
                        .with_help("only ARG may come before the first FROM; start the Dockerfile with `FROM <image>`"),
                ),
            },
        }
    }
    if out.stages.is_empty() && !file.instructions.is_empty() && diagnostics.is_empty() {
        let end = file.instructions.last().map_or(0, node_end);
        diagnostics.push(
            Diagnostic::error(Span::new(end, end), "dockerfile contains no stages to build")
                .with_help("add `FROM <image>` after the global ARGs"),
        );
    }
    (out, diagnostics)
}

/// The end of an instruction's text without the trailing newline.
fn node_end(node: &Node) -> usize {
    node.span.end.max(node.keyword_span.end)
}

/// Why an instruction was rejected.
struct InstructionError {
    message: String,
    help: Option<String>,
    /// Point at the keyword only (unknown instruction) rather than the whole line.
    at_keyword: bool,
}

impl InstructionError {
    fn new(message: impl Into<String>) -> InstructionError {
        InstructionError { message: message.into(), help: None, at_keyword: false }
    }

    fn help(mut self, help: impl Into<String>) -> InstructionError {
        self.help = Some(help.into());
        self
    }

    fn into_diagnostic(self, node: &Node) -> Diagnostic {
        let span = if self.at_keyword { node.keyword_span } else { Span::new(node.keyword_span.start, node_end(node)) };
        let mut d = Diagnostic::error(span, self.message);
        d.help = self.help;
        d
    }
}

type Result<T> = std::result::Result<T, InstructionError>;

fn at_least_one(keyword: &str) -> InstructionError {
    InstructionError::new(format!("{keyword} requires at least one argument"))
}

fn exactly_one(keyword: &str) -> InstructionError {
    InstructionError::new(format!("{keyword} requires exactly one argument"))
}

#[derive(Clone, Copy, PartialEq)]
enum FlagKind {
    Bool,
    String,
    Strings,
}

/// Parsed builder flags (`BFlags`).
#[derive(Default)]
struct Flags {
    values: Vec<(String, Vec<String>)>,
}

impl Flags {
    fn parse(node: &Node, allowed: &[(&str, FlagKind)]) -> Result<Flags> {
        let mut flags = Flags::default();
        for flag in &node.flags {
            let text = &flag.text;
            let Some(body) = text.strip_prefix("--") else {
                return Err(InstructionError::new(format!("arg should start with -- : {text}")));
            };
            let (name, value) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (body, None),
            };
            let Some(&(_, kind)) = allowed.iter().find(|(n, _)| *n == name) else {
                let mut err = InstructionError::new(format!("unknown flag: {name}"));
                if let Some(s) = suggest::closest(name, allowed.iter().map(|(n, _)| *n), true) {
                    err.message.push_str(&format!(" (did you mean {s}?)"));
                    err = err.help(format!("did you mean --{s}?"));
                } else if allowed.is_empty() {
                    err = err.help(format!("{} takes no flags", node.keyword.to_uppercase()));
                } else {
                    let names: Vec<String> = allowed.iter().map(|(n, _)| format!("--{n}")).collect();
                    err = err.help(format!("{} accepts {}", node.keyword.to_uppercase(), names.join(", ")));
                }
                return Err(err);
            };
            if kind != FlagKind::Strings && flags.values.iter().any(|(n, _)| n == name) {
                return Err(InstructionError::new(format!("duplicate flag specified: {name}")));
            }
            let value = match (kind, value) {
                (FlagKind::Bool, None) => "true".to_string(),
                (FlagKind::Bool, Some(v)) => match v.to_ascii_lowercase().as_str() {
                    "true" | "false" => v.to_ascii_lowercase(),
                    _ => return Err(InstructionError::new(format!("expecting boolean value for flag {name}, not: {v}"))),
                },
                (_, None) => return Err(InstructionError::new(format!("missing a value on flag: {name}"))),
                (_, Some(v)) => v.to_string(),
            };
            match flags.values.iter_mut().find(|(n, _)| n == name) {
                Some((_, vs)) => vs.push(value),
                None => flags.values.push((name.to_string(), vec![value])),
            }
        }
        Ok(flags)
    }

    fn string(&self, name: &str) -> Option<String> {
        self.values.iter().find(|(n, _)| n == name).and_then(|(_, v)| v.last().cloned())
    }

    fn strings(&self, name: &str) -> Vec<String> {
        self.values.iter().find(|(n, _)| n == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    fn bool(&self, name: &str) -> Option<bool> {
        self.string(name).map(|v| v == "true")
    }
}

fn command_line(node: &Node) -> CommandLine {
    let values = node.values();
    if node.json {
        CommandLine::Exec(values.into_iter().map(str::to_string).collect())
    } else {
        CommandLine::Shell(values.first().map(|s| s.to_string()).unwrap_or_default())
    }
}

fn key_values(node: &Node) -> Vec<KeyValue> {
    node.values()
        .chunks(3)
        .map(|c| KeyValue {
            key: c.first().map(|s| s.to_string()).unwrap_or_default(),
            value: c.get(1).map(|s| s.to_string()).unwrap_or_default(),
            legacy: c.get(2).is_some_and(|s| s.is_empty()),
        })
        .collect()
}

/// Stage names BuildKit accepts: `^[a-z][a-z0-9-_\.]*$` after lower-casing.
pub fn is_valid_stage_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

fn parse_instruction(node: &Node) -> Result<Parsed> {
    let keyword = node.keyword.to_ascii_lowercase();
    let upper = node.keyword.to_ascii_uppercase();
    let values = node.values();
    use FlagKind::*;
    let no_flags = |node: &Node| Flags::parse(node, &[]);
    let instruction = match keyword.as_str() {
        "from" => {
            let flags = Flags::parse(node, &[("platform", String)])?;
            let (name, name_as_written) = match values.len() {
                3 if values[1].eq_ignore_ascii_case("as") => {
                    let lower = values[2].to_lowercase();
                    if !is_valid_stage_name(&lower) {
                        return Err(InstructionError::new(format!(
                            "invalid name for build stage: {}, name can't start with a number or contain symbols",
                            super::dump::go_quote(values[2])
                        )));
                    }
                    (Some(lower), Some(values[2].to_string()))
                }
                1 => (None, None),
                _ => {
                    let mut err = InstructionError::new("FROM requires either one or three arguments");
                    if values.iter().any(|v| v.starts_with('#')) {
                        err = err.help("comments must be on their own line: a `#` after an instruction is part of its arguments");
                    } else {
                        err = err.help("write `FROM <image>` or `FROM <image> AS <name>`");
                    }
                    return Err(err);
                }
            };
            return Ok(Parsed::From { name, name_as_written, base: values[0].to_string(), platform: flags.string("platform") });
        }
        "run" => {
            let flags = Flags::parse(node, &[("mount", Strings), ("network", String), ("security", String)])?;
            if values.is_empty() && node.heredocs.is_empty() {
                return Err(at_least_one(&upper));
            }
            let mounts = flags.strings("mount").iter().map(|m| parse_mount(m)).collect::<Result<Vec<_>>>()?;
            if let Some(network) = flags.string("network") {
                if !matches!(network.as_str(), "default" | "none" | "host") {
                    return Err(InstructionError::new(format!("unsupported network mode {network:?}")).help("use none, host or default"));
                }
            }
            Instruction::Run(Run {
                command: command_line(node),
                heredocs: node.heredocs.clone(),
                mounts,
                network: flags.string("network"),
                security: flags.string("security"),
            })
        }
        "cmd" => {
            no_flags(node)?;
            Instruction::Cmd(command_line(node))
        }
        "entrypoint" => {
            no_flags(node)?;
            Instruction::Entrypoint(command_line(node))
        }
        "shell" => {
            no_flags(node)?;
            if !node.json {
                return Err(InstructionError::new("SHELL requires the arguments to be in JSON form")
                    .help("write it as a JSON array: SHELL [\"/bin/bash\", \"-c\"]"));
            }
            if values.is_empty() {
                return Err(at_least_one(&upper));
            }
            Instruction::Shell(values.iter().map(|s| s.to_string()).collect())
        }
        "env" | "label" => {
            no_flags(node)?;
            if values.is_empty() {
                return Err(at_least_one(&upper));
            }
            let pairs = key_values(node);
            if pairs.iter().any(|kv| kv.key.is_empty()) {
                return Err(InstructionError::new(format!("{upper} names can not be blank")));
            }
            if keyword == "env" {
                Instruction::Env(pairs)
            } else {
                Instruction::Label(pairs)
            }
        }
        "arg" => {
            no_flags(node)?;
            if values.is_empty() {
                return Err(at_least_one(&upper));
            }
            let mut decls = Vec::new();
            for word in &values {
                let (name, default) = match word.split_once('=') {
                    Some((n, d)) => (n.to_string(), Some(d.to_string())),
                    None => (word.to_string(), None),
                };
                if name.is_empty() {
                    return Err(InstructionError::new("ARG names can not be blank"));
                }
                decls.push(ArgDecl { name, default });
            }
            Instruction::Arg(decls)
        }
        "copy" | "add" => {
            let flags = if keyword == "copy" {
                Flags::parse(
                    node,
                    &[("from", String), ("chown", String), ("chmod", String), ("link", Bool), ("parents", Bool), ("exclude", Strings)],
                )?
            } else {
                Flags::parse(
                    node,
                    &[
                        ("chown", String),
                        ("chmod", String),
                        ("link", Bool),
                        ("keep-git-dir", Bool),
                        ("checksum", String),
                        ("exclude", Strings),
                        ("unpack", Bool),
                    ],
                )?
            };
            if values.len() < 2 {
                if values.is_empty() {
                    return Err(InstructionError::new(format!("{upper} requires at least two arguments"))
                        .help(format!("write `{upper} <source>... <destination>`")));
                }
                return Err(InstructionError::new(format!(
                    "{upper} requires at least two arguments, but only one was provided. Destination could not be determined"
                ))
                .help(format!("add a destination: `{upper} {} <destination>`", values[0])));
            }
            let (dest, srcs) = values.split_last().unwrap_or((&"", &[]));
            if matches!(parse_heredoc(dest), Ok(Some(_))) {
                return Err(InstructionError::new(format!("{upper} cannot accept a heredoc as a destination")));
            }
            let mut heredocs = node.heredocs.iter();
            let mut sources = Vec::new();
            for src in srcs {
                if !node.json && matches!(parse_heredoc(src), Ok(Some(_))) {
                    match heredocs.next() {
                        Some(h) => sources.push(Source::Heredoc(h.clone())),
                        None => sources.push(Source::Path(src.to_string())),
                    }
                } else {
                    sources.push(Source::Path(src.to_string()));
                }
            }
            let copy = Copy {
                sources,
                dest: dest.to_string(),
                from: flags.string("from"),
                chown: flags.string("chown"),
                chmod: flags.string("chmod"),
                link: flags.bool("link").unwrap_or(false),
                parents: flags.bool("parents").unwrap_or(false),
                exclude: flags.strings("exclude"),
                keep_git_dir: flags.bool("keep-git-dir"),
                checksum: flags.string("checksum"),
                unpack: flags.bool("unpack"),
            };
            if keyword == "copy" {
                Instruction::Copy(copy)
            } else {
                Instruction::Add(copy)
            }
        }
        "workdir" | "user" | "stopsignal" | "maintainer" => {
            no_flags(node)?;
            if values.len() != 1 {
                return Err(exactly_one(&upper));
            }
            let v = values[0].to_string();
            match keyword.as_str() {
                "workdir" => Instruction::Workdir(v),
                "user" => Instruction::User(v),
                "stopsignal" => Instruction::StopSignal(v),
                _ => Instruction::Maintainer(v),
            }
        }
        "volume" => {
            no_flags(node)?;
            if values.is_empty() {
                return Err(at_least_one(&upper));
            }
            if values.iter().any(|v| v.trim().is_empty()) {
                return Err(InstructionError::new("VOLUME specified can not be an empty string"));
            }
            Instruction::Volume(values.iter().map(|s| s.to_string()).collect())
        }
        "expose" => {
            no_flags(node)?;
            if values.is_empty() {
                return Err(at_least_one(&upper));
            }
            Instruction::Expose(values.iter().map(|s| s.to_string()).collect())
        }
        "healthcheck" => Instruction::Healthcheck(parse_healthcheck(node)?),
        "onbuild" => {
            no_flags(node)?;
            let Some(sub) = node.sub_instruction() else { return Err(at_least_one(&upper)) };
            let sub_kw = sub.keyword.to_ascii_uppercase();
            match sub_kw.as_str() {
                "ONBUILD" => return Err(InstructionError::new("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed")),
                "FROM" | "MAINTAINER" => {
                    return Err(InstructionError::new(format!("{sub_kw} isn't allowed as an ONBUILD trigger")));
                }
                _ => {}
            }
            let trigger = match parse_instruction(sub)? {
                Parsed::Instruction(i) => i,
                Parsed::From { .. } => return Err(InstructionError::new("FROM isn't allowed as an ONBUILD trigger")),
            };
            let expression = node.original.trim_start();
            let expression = expression.get(node.keyword.len()..).unwrap_or("").trim().to_string();
            Instruction::Onbuild { expression, trigger: Box::new(trigger) }
        }
        _ => {
            let mut err = InstructionError::new(format!("unknown instruction: {}", node.keyword));
            if let Some(s) = suggest::closest(&node.keyword, INSTRUCTIONS.iter().copied(), false) {
                err = err.help(format!("did you mean {}?", s.to_uppercase()));
            }
            err.at_keyword = true;
            return Err(err);
        }
    };
    Ok(Parsed::Instruction(instruction))
}

fn parse_mount(spec: &str) -> Result<Mount> {
    let mut mount = Mount { kind: "bind".into(), target: None, source: None, from: None, readonly: false, options: Vec::new() };
    for field in spec.split(',').filter(|f| !f.is_empty()) {
        let (key, value) = match field.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_lowercase(), v.trim().to_string()),
            None => (field.trim().to_ascii_lowercase(), String::new()),
        };
        match key.as_str() {
            "type" => {
                if !matches!(value.as_str(), "bind" | "cache" | "tmpfs" | "secret" | "ssh") {
                    return Err(InstructionError::new(format!("unsupported mount type {value:?}"))
                        .help("use one of bind, cache, tmpfs, secret, ssh"));
                }
                mount.kind = value.clone();
            }
            "target" | "dst" | "destination" => mount.target = Some(value.clone()),
            "source" | "src" => mount.source = Some(value.clone()),
            "from" => mount.from = Some(value.clone()),
            "ro" | "readonly" => mount.readonly = value.is_empty() || value == "true",
            "rw" | "readwrite" => mount.readonly = !(value.is_empty() || value == "true"),
            "id" | "sharing" | "mode" | "uid" | "gid" | "required" | "size" | "env" => {}
            _ => return Err(InstructionError::new(format!("unexpected key '{key}' in '{field}'"))),
        }
        mount.options.push((key, value));
    }
    if mount.target.is_none() && !matches!(mount.kind.as_str(), "secret" | "ssh") {
        return Err(InstructionError::new("mount target must be specified").help("add target=<path> to --mount"));
    }
    Ok(mount)
}

fn parse_healthcheck(node: &Node) -> Result<Healthcheck> {
    use FlagKind::String;
    let flags = Flags::parse(
        node,
        &[("interval", String), ("timeout", String), ("start-period", String), ("start-interval", String), ("retries", String)],
    )?;
    let values = node.values();
    let Some(kind) = values.first() else { return Err(at_least_one("HEALTHCHECK")) };
    match kind.to_ascii_uppercase().as_str() {
        "NONE" => {
            if values.len() > 1 {
                return Err(InstructionError::new("HEALTHCHECK NONE takes no arguments"));
            }
            Ok(Healthcheck::None)
        }
        "CMD" => {
            if values.len() < 2 {
                return Err(InstructionError::new("Missing command after HEALTHCHECK CMD"));
            }
            let test = if node.json {
                CommandLine::Exec(values[1..].iter().map(|s| s.to_string()).collect())
            } else {
                CommandLine::Shell(values[1].to_string())
            };
            let duration = |name: &str| -> Result<Option<u64>> {
                match flags.string(name) {
                    None => Ok(None),
                    Some(v) => parse_duration_ms(&v).map(Some).ok_or_else(|| {
                        InstructionError::new(format!("time: invalid duration {}", super::dump::go_quote(&v)))
                            .help("durations look like 30s, 1m30s or 500ms")
                    }),
                }
            };
            let retries = match flags.string("retries") {
                None => None,
                Some(v) => Some(v.parse::<u32>().map_err(|_| InstructionError::new(format!("invalid retries value {v:?}")))?),
            };
            Ok(Healthcheck::Cmd {
                test,
                interval_ms: duration("interval")?,
                timeout_ms: duration("timeout")?,
                start_period_ms: duration("start-period")?,
                start_interval_ms: duration("start-interval")?,
                retries,
            })
        }
        other => Err(InstructionError::new(format!("Unknown type {} in HEALTHCHECK (try CMD)", super::dump::go_quote(other)))),
    }
}

/// Parses a Go duration (`1h2m3.5s`, `500ms`, `0`) into milliseconds.
pub fn parse_duration_ms(s: &str) -> Option<u64> {
    if s == "0" {
        return Some(0);
    }
    let mut rest = s;
    let mut total = 0f64;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let num_len = rest.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(rest.len());
        if num_len == 0 {
            return None;
        }
        let number: f64 = rest[..num_len].parse().ok()?;
        rest = &rest[num_len..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ns" => 1e-6,
            "us" | "µs" => 1e-3,
            "ms" => 1.0,
            "s" => 1e3,
            "m" => 60e3,
            "h" => 3600e3,
            _ => return None,
        };
        total += number * factor;
        rest = &rest[unit_len..];
    }
    Some(total.round() as u64)
}

/// Stages the target depends on through `FROM <stage>`, `COPY --from` and
/// `RUN --mount=from=`, in order. The others are skipped, as BuildKit does.
pub fn needed_stages(ins: &Instructions, target: usize) -> Vec<usize> {
    let mut needed = vec![false; ins.stages.len()];
    let mut todo = vec![target];
    while let Some(i) = todo.pop() {
        if i >= needed.len() || needed[i] {
            continue;
        }
        needed[i] = true;
        let stage = &ins.stages[i];
        let mut refs = vec![stage.base.clone()];
        for located in &stage.instructions {
            match &located.value {
                Instruction::Copy(c) => refs.extend(c.from.clone()),
                Instruction::Run(r) => refs.extend(r.mounts.iter().filter_map(|m| m.from.clone())),
                _ => {}
            }
        }
        for r in refs {
            // Only earlier stages can be referenced by name or index.
            if let Some(j) = ins.find_stage(&r).filter(|j| *j < i) {
                todo.push(j);
            }
        }
    }
    (0..needed.len()).filter(|i| needed[*i]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dockerfile::parse;

    fn check_error(src: &str, message: &str, help: Option<&str>) {
        let (file, _) = parse(src);
        let (_, diags) = from_ast(&file);
        let d = diags.first().unwrap_or_else(|| panic!("no error for {src:?}"));
        assert_eq!(d.message, message);
        assert_eq!(d.help.as_deref(), help);
    }

    #[test]
    fn errors_read_like_buildkit() {
        check_error("FROM alpine\nRUNN echo\n", "unknown instruction: RUNN", Some("did you mean RUN?"));
        check_error(
            "FROM img:1  # a comment\n",
            "FROM requires either one or three arguments",
            Some("comments must be on their own line: a `#` after an instruction is part of its arguments"),
        );
        check_error("FROM alpine\nCOPY x\n", "COPY requires at least two arguments, but only one was provided. Destination could not be determined", Some("add a destination: `COPY x <destination>`"));
        check_error("FROM alpine\nCOPY --form=a x y\n", "unknown flag: form (did you mean from?)", Some("did you mean --from?"));
        check_error("RUN echo\n", "no build stage in current context", Some("only ARG may come before the first FROM; start the Dockerfile with `FROM <image>`"));
        check_error("FROM a AS 1x\n", "invalid name for build stage: \"1x\", name can't start with a number or contain symbols", None);
    }

    #[test]
    fn stages_and_copy() {
        let src = "ARG V=3\nFROM python:${V} AS Build\nRUN --mount=type=cache,target=/root/.cache pip install x\nFROM scratch\nCOPY --from=build --chown=1:1 <<EOF /a /dst/\nhi\nEOF\n";
        let (file, _) = parse(src);
        let (ins, diags) = from_ast(&file);
        assert!(diags.is_empty(), "{diags:?}");
        assert_eq!(ins.meta_args.len(), 1);
        assert_eq!(ins.stages[0].name.as_deref(), Some("build"));
        assert_eq!(ins.find_stage("BUILD"), Some(0));
        assert_eq!(ins.find_stage("1"), Some(1));
        let Instruction::Run(run) = &ins.stages[0].instructions[0].value else { panic!() };
        assert_eq!(run.mounts[0].kind, "cache");
        let Instruction::Copy(copy) = &ins.stages[1].instructions[0].value else { panic!() };
        assert_eq!(copy.from.as_deref(), Some("build"));
        assert!(matches!(&copy.sources[0], Source::Heredoc(h) if h.content == "hi\n"));
        assert_eq!(copy.sources[1], Source::Path("/a".into()));
        assert_eq!(copy.dest, "/dst/");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration_ms("1m30s"), Some(90_000));
        assert_eq!(parse_duration_ms("500ms"), Some(500));
        assert_eq!(parse_duration_ms("5x"), None);
    }
}
