//! The Dockerfile linter: BuildKit's build checks (same names, wording and behaviour) plus
//! Berth's rules for what course students trip over (apt/pip/conda habits, cache-busting
//! order, secrets). Rules are data ([`RULES`]); checks walk the typed stages.
//!
//! Configuration follows BuildKit: a `# check=skip=A,B;error=true;experimental=C` directive,
//! a `# check=skip=…` comment right above one instruction, or an override string as
//! `BUILDKIT_DOCKERFILE_CHECK` would give it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::ast::{Dockerfile, Node, Span};
use super::diagnostic::{Diagnostic, Severity};
use super::expand::{EnvList, Lexer};
use super::instructions::{self, ArgDecl, CommandLine, Instruction, Instructions, Source, Stage};
use super::parse;
use super::parser::detect_directive;
use super::scope::{GlobalScope, Platform, StageScope, PLATFORM_ARGS};
use super::suggest;
use crate::dockerignore::DockerIgnore;
use crate::reference::Reference;

/// Where a rule comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// One of BuildKit's build checks, reproduced exactly.
    Buildkit,
    /// Berth's own rule for learners.
    Berth,
}

/// A lint rule: stable id, severity, a summary, an explanation for students and a link.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub origin: Origin,
    /// One line, as BuildKit's rule description.
    pub summary: &'static str,
    /// A paragraph for students: what goes wrong and what to do instead.
    pub explanation: &'static str,
    pub url: &'static str,
    /// Off unless enabled with `experimental=`.
    pub experimental: bool,
}

macro_rules! rule {
    ($id:literal, $sev:ident, $origin:ident, $summary:literal, $url:literal, $explanation:literal) => {
        Rule { id: $id, severity: Severity::$sev, origin: Origin::$origin, summary: $summary, explanation: $explanation, url: $url, experimental: false }
    };
}


/// Every rule the linter knows.
pub const RULES: &[Rule] = &[
    rule!("StageNameCasing", Warning, Buildkit, "Stage names should be lowercase", "https://docs.docker.com/go/dockerfile/rule/stage-name-casing/",
        "Stage names are case-insensitive: BuildKit lower-cases them, so `AS Build` and `--from=build` refer to the same stage. Writing them in lower case avoids confusion when you refer to the stage later."),
    rule!("FromAsCasing", Warning, Buildkit, "The 'as' keyword should match the case of the 'from' keyword", "https://docs.docker.com/go/dockerfile/rule/from-as-casing/",
        "Write `FROM image AS name` or `from image as name`: mixing cases makes a Dockerfile harder to read and is usually a typo."),
    rule!("NoEmptyContinuation", Warning, Buildkit, "Empty continuation lines will become errors in a future release", "https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/",
        "A blank line inside an instruction continued with `\\` is skipped today but will be an error later. Remove the blank line or end the instruction before it."),
    rule!("ConsistentInstructionCasing", Warning, Buildkit, "All commands within the Dockerfile should use the same casing (either upper or lower)", "https://docs.docker.com/go/dockerfile/rule/consistent-instruction-casing/",
        "Instructions work in any case, but the convention is upper case (`RUN`, `COPY`). Keeping one style makes the instructions stand out from their arguments."),
    rule!("DuplicateStageName", Warning, Buildkit, "Stage names should be unique", "https://docs.docker.com/go/dockerfile/rule/duplicate-stage-name/",
        "Two stages with the same name make `--target` and `COPY --from` ambiguous. Give every stage its own name."),
    rule!("ReservedStageName", Warning, Buildkit, "Reserved words should not be used as stage names", "https://docs.docker.com/go/dockerfile/rule/reserved-stage-name/",
        "`scratch` (the empty image) and `context` (the build context) have special meanings; a stage with one of those names hides them."),
    rule!("JSONArgsRecommended", Warning, Buildkit, "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals", "https://docs.docker.com/go/dockerfile/rule/json-args-recommended/",
        "In shell form (`CMD python app.py`) your program runs under `/bin/sh -c`, which does not pass on signals: `docker stop` waits 10 seconds and then kills it. The exec form (`CMD [\"python\", \"app.py\"]`) runs the program directly."),
    rule!("MaintainerDeprecated", Warning, Buildkit, "The MAINTAINER instruction is deprecated, use a label instead to define an image author", "https://docs.docker.com/go/dockerfile/rule/maintainer-deprecated/",
        "MAINTAINER is deprecated. Use `LABEL org.opencontainers.image.authors=\"you@example.org\"` instead."),
    rule!("UndefinedArgInFrom", Warning, Buildkit, "FROM command must use declared ARGs", "https://docs.docker.com/go/dockerfile/rule/undefined-arg-in-from/",
        "A variable in FROM must be declared with `ARG` before the first FROM, otherwise it expands to nothing."),
    rule!("WorkdirRelativePath", Warning, Buildkit, "Using WORKDIR with relative paths without an absolute WORKDIR declared within the build can have unexpected results if the base image changes", "https://docs.docker.com/go/dockerfile/rule/workdir-relative-path/",
        "A relative WORKDIR is resolved against the base image's working directory, which you do not control. Use an absolute path such as `WORKDIR /app`."),
    rule!("UndefinedVar", Warning, Buildkit, "Variables should be defined before their use", "https://docs.docker.com/go/dockerfile/rule/undefined-var/",
        "This variable is neither an ARG nor an ENV of this stage (or its base), so it expands to an empty string. Declare it with ARG or ENV, or check the spelling."),
    rule!("MultipleInstructionsDisallowed", Warning, Buildkit, "Multiple instructions of the same type should not be used in the same stage", "https://docs.docker.com/go/dockerfile/rule/multiple-instructions-disallowed/",
        "Only the last CMD, ENTRYPOINT or HEALTHCHECK of a stage takes effect; earlier ones are silently ignored."),
    rule!("LegacyKeyValueFormat", Warning, Buildkit, "Legacy key/value format with whitespace separator should not be used", "https://docs.docker.com/go/dockerfile/rule/legacy-key-value-format/",
        "`ENV KEY value` is the old form: it can set only one variable and everything after the key becomes the value. Write `ENV KEY=value`."),
    rule!("RedundantTargetPlatform", Warning, Buildkit, "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior", "https://docs.docker.com/go/dockerfile/rule/redundant-target-platform/",
        "FROM already uses the target platform; `--platform=$TARGETPLATFORM` changes nothing."),
    rule!("SecretsUsedInArgOrEnv", Warning, Buildkit, "Sensitive data should not be used in the ARG or ENV commands", "https://docs.docker.com/go/dockerfile/rule/secrets-used-in-arg-or-env/",
        "ARG and ENV values are stored in the image's history and config, where anyone who pulls the image can read them. Pass secrets with `RUN --mount=type=secret` or at run time instead."),
    rule!("InvalidDefaultArgInFrom", Warning, Buildkit, "Default value for global ARG results in an empty or invalid base image name", "https://docs.docker.com/go/dockerfile/rule/invalid-default-arg-in-from/",
        "Without a `--build-arg`, this FROM expands to an empty or invalid image name. Give the ARG a default that names a real image."),
    rule!("FromPlatformFlagConstDisallowed", Warning, Buildkit, "FROM --platform flag should not use a constant value", "https://docs.docker.com/go/dockerfile/rule/from-platform-flag-const-disallowed/",
        "A fixed `--platform` makes the image build for that platform only; use `$BUILDPLATFORM` or `$TARGETPLATFORM`, or name the stage after the platform if it is intended."),
    Rule { experimental: true, ..rule!("CopyIgnoredFile", Warning, Buildkit, "Attempting to Copy file that is excluded by .dockerignore", "https://docs.docker.com/go/dockerfile/rule/copy-ignored-file/",
        "The file is excluded by `.dockerignore`, so it is not in the build context and COPY will fail to find it. Remove it from `.dockerignore` or stop copying it.") },
    Rule { experimental: true, ..rule!("InvalidDefinitionDescription", Warning, Buildkit, "Comment for build stage or argument should follow the format: `# <arg/stage name> <description>`. If this is not intended to be a description comment, add an empty line or comment between the instruction and the comment.", "https://docs.docker.com/go/dockerfile/rule/invalid-definition-description/",
        "A comment right above a stage or ARG is read as its description and should start with its name.") },
    rule!("ExposeProtoCasing", Warning, Buildkit, "Protocol in EXPOSE instruction should be lowercase", "https://docs.docker.com/go/dockerfile/rule/expose-proto-casing/",
        "Write protocols in lower case: `EXPOSE 53/udp`."),
    rule!("ExposeInvalidFormat", Warning, Buildkit, "IP address and host-port mapping should not be used in EXPOSE instruction. This will become an error in a future release", "https://docs.docker.com/go/dockerfile/rule/expose-invalid-format/",
        "EXPOSE documents the container's port only (`EXPOSE 8000`). The host side is chosen when running: `docker run -p 8080:8000`."),
    // Berth's rules for learners.
    rule!("UnpinnedBaseImage", Warning, Berth, "Base image should be pinned to a tag", "https://docs.docker.com/build/building/best-practices/#from",
        "`FROM python` means `python:latest`, which changes whenever a new release comes out: the same Dockerfile builds a different image next month. Pin a tag such as `python:3.11-slim`."),
    rule!("AptGetMissingYes", Error, Berth, "apt-get install needs -y in a Dockerfile", "https://docs.docker.com/build/building/best-practices/#apt-get",
        "A build has no terminal to answer apt-get's \"Do you want to continue? [Y/n]\", so apt-get aborts and the build fails. Add `-y`."),
    rule!("AptGetNoInstallRecommends", Warning, Berth, "apt-get install should use --no-install-recommends", "https://docs.docker.com/build/building/best-practices/#apt-get",
        "Without `--no-install-recommends`, apt installs suggested extras too, which often doubles the layer size. Install only what you need."),
    rule!("AptListsNotCleaned", Warning, Berth, "Remove /var/lib/apt/lists in the same RUN as apt-get install", "https://docs.docker.com/build/building/best-practices/#apt-get",
        "`apt-get update` downloads package lists (tens of MB) that stay in the layer unless the same RUN ends with `rm -rf /var/lib/apt/lists/*`. Deleting them in a later RUN does not shrink the image: the earlier layer still has them."),
    rule!("AptInsteadOfAptGet", Warning, Berth, "Use apt-get instead of apt in scripts", "https://docs.docker.com/build/building/best-practices/#apt-get",
        "`apt` is meant for people at a terminal; its output and options can change between releases and it warns that it has no stable CLI. `apt-get` is the scripting interface."),
    rule!("PipNoCacheDir", Warning, Berth, "pip install should use --no-cache-dir", "https://pip.pypa.io/en/stable/cli/pip_install/#cmdoption-no-cache-dir",
        "pip keeps a copy of every downloaded package in `~/.cache/pip`. Inside an image that cache is never reused, but it is saved in the layer. `--no-cache-dir` (or `ENV PIP_NO_CACHE_DIR=1`) keeps it out."),
    rule!("UnpinnedPipVersion", Info, Berth, "Pin Python package versions", "https://pip.pypa.io/en/stable/topics/repeatable-installs/",
        "`pip install pandas` installs whatever is newest on the day you build. Pin versions (`pandas==2.2.2`) or use a requirements file with pinned versions so rebuilds give the same image."),
    rule!("UnpinnedAptVersion", Info, Berth, "Pin apt package versions for repeatable builds", "https://docs.docker.com/build/building/best-practices/#apt-get",
        "`apt-get install curl` installs the newest version in the distribution's index. For repeatable builds pin versions (`curl=7.88.1-10+deb12u5`)."),
    rule!("SecretValueInArgOrEnv", Warning, Berth, "A value in ARG or ENV looks like a credential", "https://docs.docker.com/build/building/secrets/",
        "This value looks like an access token or key. Whatever ARG and ENV hold is stored in the image for anyone to read; use build secrets instead."),
    rule!("CopyAllBeforeInstall", Warning, Berth, "Copy dependency files and install before copying the whole project", "https://docs.docker.com/build/cache/optimize/#order-your-layers",
        "`COPY . .` before installing dependencies means every edit to any source file invalidates the cache of the install step, so each build reinstalls everything. Copy `requirements.txt` (or the lock file) first, install, then copy the rest."),
    rule!("CdInRun", Info, Berth, "Use WORKDIR instead of cd in RUN", "https://docs.docker.com/build/building/best-practices/#workdir",
        "A `cd` inside RUN lasts only for that RUN. WORKDIR changes the directory for every following instruction and for the container, and documents it."),
    rule!("AddInsteadOfCopy", Warning, Berth, "Use COPY for local files; ADD is for archives and URLs", "https://docs.docker.com/build/building/best-practices/#add-or-copy",
        "ADD also extracts local tar archives and downloads URLs, which can surprise you. For plain files and folders COPY says exactly what happens."),
    rule!("ShellFormCommand", Info, Berth, "Shell-form CMD/ENTRYPOINT runs your program under /bin/sh", "https://docs.docker.com/reference/dockerfile/#shell-and-exec-form",
        "With a custom SHELL, shell form is intended, but your program still runs as a child of the shell and does not receive SIGTERM from `docker stop` unless the command uses `exec`."),
    rule!("RunningAsRoot", Info, Berth, "The image runs as root", "https://docs.docker.com/build/building/best-practices/#user",
        "No USER instruction in the final stage, so containers run as root. For services, create a user (`RUN useradd -m app`) and switch to it with `USER app`."),
    rule!("CondaNoClean", Warning, Berth, "Run conda clean in the same RUN as conda install", "https://docs.conda.io/projects/conda/en/latest/commands/clean.html",
        "conda keeps downloaded package tarballs and caches under `/opt/conda/pkgs`; unless the same RUN ends with `conda clean --all -y`, they stay in the layer and can add hundreds of MB."),
];

/// Finds a rule by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().find(|r| r.id == id)
}

/// What to lint and how.
#[derive(Debug, Clone, Default)]
pub struct LintOptions {
    /// The `.dockerignore` of the build context, if there is one.
    pub dockerignore: Option<String>,
    /// A check configuration that overrides the file's `# check=` directive
    /// (`skip=A,B;error=true;experimental=all`), like `BUILDKIT_DOCKERFILE_CHECK`.
    pub check_override: Option<String>,
    /// Base image environments, when known (name as written in FROM → ENV list). A stage
    /// whose base image is unknown is not checked for undefined variables.
    pub image_env: BTreeMap<String, EnvList>,
}

/// Lint configuration from `check=` (`skip=…;error=…;experimental=…`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckConfig {
    pub skip_all: bool,
    pub skip: BTreeSet<String>,
    pub error: bool,
    pub experimental_all: bool,
    pub experimental: BTreeSet<String>,
}

impl CheckConfig {
    pub fn parse(value: &str) -> CheckConfig {
        let mut cfg = CheckConfig::default();
        for part in value.split(';') {
            let Some((k, v)) = part.split_once('=') else { continue };
            let names = || v.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
            match k.trim().to_ascii_lowercase().as_str() {
                "skip" => {
                    if v.trim() == "all" {
                        cfg.skip_all = true;
                    } else {
                        cfg.skip.extend(names());
                    }
                }
                "error" => cfg.error = v.trim().eq_ignore_ascii_case("true"),
                "experimental" => {
                    if v.trim() == "all" {
                        cfg.experimental_all = true;
                    } else {
                        cfg.experimental.extend(names());
                    }
                }
                _ => {}
            }
        }
        cfg
    }

    fn enabled(&self, rule: &Rule) -> bool {
        if self.skip_all || self.skip.contains(rule.id) {
            return false;
        }
        !rule.experimental || self.experimental_all || self.experimental.contains(rule.id)
    }
}

/// Lints a Dockerfile: syntax and instruction errors first, then every rule.
pub fn lint(source: &str, options: &LintOptions) -> Vec<Diagnostic> {
    let (file, mut parse_diags) = parse(source);
    let (ins, ins_diags) = instructions::from_ast(&file);
    let mut cfg = match &options.check_override {
        Some(v) => CheckConfig::parse(v),
        None => detect_directive("check", source).map(|d| CheckConfig::parse(&d.cmdline)).unwrap_or_default(),
    };
    // CopyIgnoredFile is useful whenever a .dockerignore exists: Berth enables it then.
    if options.dockerignore.is_some() {
        cfg.experimental.insert("CopyIgnoredFile".into());
    }

    let mut ctx = Ctx { file: &file, source, findings: Vec::new() };
    // The parser's own warning becomes the lint finding.
    parse_diags.retain(|d| {
        if d.rule.as_deref() == Some("NoEmptyContinuation") {
            ctx.findings.push(Finding { rule: "NoEmptyContinuation", span: d.span, message: "Empty continuation line".into(), help: None, node: None });
            false
        } else {
            true
        }
    });
    check_casing(&mut ctx);
    check_definition_descriptions(&mut ctx, &ins);
    check_stages(&mut ctx, &ins, options);

    let mut out: Vec<Diagnostic> = parse_diags;
    out.extend(ins_diags);
    out.extend(expansion_errors(&file));
    let mut findings = std::mem::take(&mut ctx.findings);
    findings.sort_by(|a, b| (a.span.start, a.rule, &a.message).cmp(&(b.span.start, b.rule, &b.message)));
    for f in findings {
        let Some(rule) = rule(f.rule) else { continue };
        if !cfg.enabled(rule) {
            continue;
        }
        if let Some(node) = f.node.and_then(|i| file.instructions.get(i)) {
            if locally_skipped(&file, node, rule.id) {
                continue;
            }
        }
        let severity = if cfg.error && rule.severity == Severity::Warning { Severity::Error } else { rule.severity };
        out.push(Diagnostic {
            severity,
            rule: Some(rule.id.to_string()),
            message: f.message,
            span: f.span,
            help: f.help,
            url: Some(rule.url.to_string()),
        });
    }
    out.sort_by_key(|d| d.span.start);
    out
}

/// Words the builder would fail to expand (a missing `}`, substitutions nested past
/// [`super::expand::MAX_NESTING`]), as the build would report them.
fn expansion_errors(file: &Dockerfile) -> Vec<Diagnostic> {
    let lexer = super::expand::Lexer::new(file.escape);
    let mut out = Vec::new();
    for node in &file.instructions {
        if !matches!(node.name().as_str(), "ADD" | "ARG" | "COPY" | "ENV" | "EXPOSE" | "FROM" | "LABEL" | "STOPSIGNAL" | "USER" | "VOLUME" | "WORKDIR") || node.json {
            continue;
        }
        for arg in &node.args {
            if let super::ast::ArgValue::Word(word) = &arg.value {
                if let Err(e) = lexer.expand(word, &super::expand::NoEnv) {
                    // A long word is shown by its start (the span marks all of it).
                    let message = match word.char_indices().nth(40) {
                        Some((cut, _)) => format!("failed to process \"{}…\": {}", &word[..cut], e.reason),
                        None => e.to_string(),
                    };
                    out.push(Diagnostic::error(arg.span, message));
                }
            }
        }
    }
    out
}

/// `# check=skip=…` directly above one instruction applies to it alone.
fn locally_skipped(file: &Dockerfile, node: &Node, rule: &str) -> bool {
    node.comments.iter().any(|c| {
        let Some((name, value)) = super::parser::directive_parts(&format!("#{c}")).map(|(n, v)| (n.to_ascii_lowercase(), v.to_string())) else {
            return false;
        };
        if name != "check" || file.directives.iter().any(|d| d.name == "check" && d.value == value) {
            return false;
        }
        let value = value.split(' ').next().unwrap_or("");
        let cfg = CheckConfig::parse(value);
        cfg.skip_all || cfg.skip.contains(rule)
    })
}

struct Finding {
    rule: &'static str,
    span: Span,
    message: String,
    help: Option<String>,
    /// The instruction the finding is about, for per-instruction `check=` comments.
    node: Option<usize>,
}

struct Ctx<'a> {
    file: &'a Dockerfile,
    source: &'a str,
    findings: Vec<Finding>,
}

impl Ctx<'_> {
    fn report(&mut self, rule: &'static str, node: usize, message: String) {
        self.report_with(rule, node, message, None);
    }

    fn report_with(&mut self, rule: &'static str, node: usize, message: String, help: Option<String>) {
        let span = self.file.instructions.get(node).map_or(Span::default(), |n| Span::new(n.keyword_span.start, n.span.end));
        self.findings.push(Finding { rule, span, message, help, node: Some(node) });
    }

    fn node(&self, i: usize) -> &Node {
        &self.file.instructions[i]
    }
}

fn check_casing(ctx: &mut Ctx) {
    let consistent = |s: &str| s == s.to_lowercase() || s == s.to_uppercase();
    let (mut lower, mut upper) = (0, 0);
    for node in &ctx.file.instructions {
        if consistent(&node.keyword) {
            if node.keyword == node.keyword.to_lowercase() {
                lower += 1;
            } else {
                upper += 1;
            }
        }
    }
    let majority_lower = lower > upper;
    for i in 0..ctx.file.instructions.len() {
        let kw = ctx.node(i).keyword.clone();
        let casing = if majority_lower && kw.to_lowercase() != kw {
            "lowercase"
        } else if !majority_lower && kw.to_uppercase() != kw {
            "uppercase"
        } else {
            continue;
        };
        ctx.report("ConsistentInstructionCasing", i, format!("Command '{kw}' should match the case of the command majority ({casing})"));
    }
}

fn check_definition_descriptions(ctx: &mut Ctx, ins: &Instructions) {
    let directive_texts: Vec<String> = ctx.file.directives.iter().map(|d| format!("{}={}", d.name, d.value)).collect();
    let description = |node: &Node| -> Option<String> {
        node.comments
            .iter()
            .find(|c| !directive_texts.iter().any(|d| c.replace(' ', "").eq_ignore_ascii_case(&d.replace(' ', ""))))
            .cloned()
    };
    let mut checks: Vec<(usize, &'static str, Option<String>)> = Vec::new();
    for stage in &ins.stages {
        if let Some(name) = &stage.name {
            checks.push((stage.node, "FROM", Some(name.clone())));
        }
    }
    let arg_nodes = ins.meta_args.iter().map(|a| (a.node, &a.value)).chain(
        ins.stages.iter().flat_map(|s| s.instructions.iter()).filter_map(|i| match &i.value {
            Instruction::Arg(decls) => Some((i.node, decls)),
            _ => None,
        }),
    );
    for (node, decls) in arg_nodes {
        let name = if decls.len() == 1 { Some(decls[0].name.clone()) } else { None };
        checks.push((node, "ARG", name));
    }
    for (node, kind, name) in checks {
        let Some(comment) = description(ctx.node(node)) else { continue };
        let ok = name.as_ref().is_some_and(|n| comment.split_whitespace().next() == Some(n.as_str()));
        if !ok {
            let shown = name.unwrap_or_else(|| "<arg_key>".into());
            ctx.report("InvalidDefinitionDescription", node, format!("Comment for {kind} should follow the format: `# {shown} <description>`"));
        }
    }
}

/// What a later stage inherits from an earlier one it is based on.
#[derive(Clone, Default)]
struct StageFacts {
    shell_set: bool,
    absolute_workdir: bool,
    /// ENV names after the stage, `None` when the chain starts at an unknown image.
    env: Option<EnvList>,
}

const SCRATCH_ENV: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

fn check_stages(ctx: &mut Ctx, ins: &Instructions, options: &LintOptions) {
    let meta: Vec<ArgDecl> = ins.meta_args.iter().flat_map(|a| a.value.clone()).collect();
    let no_build_args = EnvList::new();
    let platform = Platform::default();
    let global = GlobalScope::new(&meta, &no_build_args, &platform).unwrap_or_default();
    let declared_globals: Vec<String> = meta.iter().map(|d| d.name.clone()).collect();
    let ignore = options.dockerignore.as_deref().map(DockerIgnore::parse);
    let mut facts: Vec<StageFacts> = Vec::new();
    let mut names: BTreeSet<String> = BTreeSet::new();

    for (index, stage) in ins.stages.iter().enumerate() {
        check_from(ctx, stage, &global, &declared_globals, &mut names);
        let parent = ins.stages[..index]
            .iter()
            .position(|s| s.name.as_deref() == Some(stage.base.to_lowercase().as_str()))
            .and_then(|i| facts.get(i).cloned());
        let mut f = parent.clone().unwrap_or_default();
        if parent.is_none() {
            f.env = if stage.base == "scratch" {
                Some(EnvList::from_pairs([SCRATCH_ENV]))
            } else {
                global.expand(&stage.base).ok().and_then(|b| options.image_env.get(&b).or_else(|| options.image_env.get(&stage.base)).cloned())
            };
        }
        check_stage_body(ctx, stage, &global, &mut f, ignore.as_ref(), index + 1 == ins.stages.len());
        facts.push(f);
    }
}

fn check_from(ctx: &mut Ctx, stage: &Stage, global: &GlobalScope, declared: &[String], names: &mut BTreeSet<String>) {
    let node = stage.node;
    let n = ctx.node(node).clone();
    let from_kw = n.keyword.clone();
    let values = n.values();
    if let (Some(name), Some(written)) = (&stage.name, &stage.name_as_written) {
        let as_kw = values.get(1).copied().unwrap_or("AS");
        let from_upper = from_kw == from_kw.to_uppercase();
        let from_lower = from_kw == from_kw.to_lowercase();
        if (from_upper && as_kw != as_kw.to_uppercase()) || (from_lower && as_kw != as_kw.to_lowercase()) {
            ctx.report("FromAsCasing", node, format!("'{as_kw}' and '{from_kw}' keywords' casing do not match"));
        }
        if written != &written.to_lowercase() {
            ctx.report("StageNameCasing", node, format!("Stage name '{written}' should be lowercase"));
        }
        if matches!(name.as_str(), "scratch" | "context") {
            ctx.report("ReservedStageName", node, format!("Stage name should not use the same name as reserved stage \"{name}\""));
        }
        if !names.insert(name.clone()) {
            ctx.report("DuplicateStageName", node, format!("Duplicate stage name \"{name}\", stage names should be unique"));
        }
    }

    // Variables in FROM must be global ARGs or platform args.
    let known: Vec<&str> = declared.iter().map(String::as_str).chain(PLATFORM_ARGS.iter().copied()).collect();
    let mut words = vec![stage.base.clone()];
    if let Some(p) = &stage.platform {
        words.push(p.clone());
    }
    for word in &words {
        if let Ok(e) = Lexer::new('\\').expand(word, &global.values) {
            for var in e.unmatched.iter().filter(|v| !known.contains(&v.as_str())) {
                let mut msg = format!("FROM argument '{var}' is not declared");
                let mut help = None;
                if let Some(s) = suggest::closest(var, known.iter().copied(), true) {
                    msg.push_str(&format!(" (did you mean {s}?)"));
                    help = Some(format!("did you mean {s}?"));
                }
                ctx.report_with("UndefinedArgInFrom", node, msg, help);
            }
        }
    }
    if stage.base.contains('$') {
        let expanded = global.expand(&stage.base).unwrap_or_default();
        if expanded.is_empty() || Reference::parse(&expanded).is_err() {
            ctx.report("InvalidDefaultArgInFrom", node, format!("Default value for ARG {} results in empty or invalid base image name", stage.base));
        }
    } else if stage.base != "scratch" && Reference::parse(&stage.base).is_ok_and(|r| r.tag.is_none() && r.digest.is_none()) && !names_before(ctx, stage) {
        ctx.report_with(
            "UnpinnedBaseImage",
            node,
            format!("Base image '{}' has no tag, so it means '{}:latest'", stage.base, stage.base),
            Some(format!("pin a version, for example `FROM {}:<version>`", stage.base)),
        );
    } else if Reference::parse(&stage.base).is_ok_and(|r| r.tag.as_deref() == Some("latest")) {
        ctx.report_with(
            "UnpinnedBaseImage",
            node,
            format!("Base image '{}' uses the 'latest' tag", stage.base),
            Some("pin a version tag instead of `latest`".into()),
        );
    }
    if let Some(p) = &stage.platform {
        if p == "$TARGETPLATFORM" || p == "${TARGETPLATFORM}" {
            ctx.report("RedundantTargetPlatform", node, format!("Setting platform to predefined {p} in FROM is redundant as this is the default behavior"));
        } else if !p.contains('$') {
            let mut parts = p.split('/');
            let os = parts.next().unwrap_or("");
            let arch = parts.next().unwrap_or("");
            let named_for_it = stage.name.as_deref().is_some_and(|n| (!os.is_empty() && n.contains(os)) || (!arch.is_empty() && n.contains(arch)));
            if !named_for_it {
                ctx.report("FromPlatformFlagConstDisallowed", node, format!("FROM --platform flag should not use constant value \"{p}\""));
            }
        }
    }
}

/// Whether the FROM names an earlier stage (stages are not pinned by tag).
fn names_before(ctx: &Ctx, stage: &Stage) -> bool {
    let base = stage.base.to_lowercase();
    ctx.file.instructions[..stage.node].iter().any(|n| {
        let v = n.values();
        n.keyword.eq_ignore_ascii_case("from") && v.len() == 3 && v[2].to_lowercase() == base
    })
}

fn is_secret_key(key: &str) -> bool {
    let lower = key.to_lowercase();
    let segments: Vec<&str> = lower.split('_').collect();
    if segments.contains(&"public") {
        return false;
    }
    let last = segments.last().copied().unwrap_or("");
    matches!(last, "apikey" | "auth" | "credential" | "credentials" | "key" | "password" | "pword" | "passwd" | "passphrase" | "secret" | "token")
}

fn looks_like_credential(value: &str) -> bool {
    const PREFIXES: &[&str] = &["ghp_", "gho_", "github_pat_", "glpat-", "xoxb-", "xoxp-", "sk-", "hf_", "AKIA", "ASIA", "AIza"];
    let v = value.trim_matches(['"', '\'']);
    v.len() >= 16 && PREFIXES.iter().any(|p| v.starts_with(p)) && !v.contains('$')
}

fn check_stage_body(ctx: &mut Ctx, stage: &Stage, global: &GlobalScope, f: &mut StageFacts, ignore: Option<&DockerIgnore>, last: bool) {
    let build_args = EnvList::new();
    let mut scope = StageScope::new(global, &build_args, f.env.clone().unwrap_or_default());
    let mut declared: BTreeSet<String> = f.env.as_ref().map(|e| e.keys().map(str::to_string).collect()).unwrap_or_default();
    let check_vars = f.env.is_some();
    let mut repeated: BTreeMap<&'static str, Vec<usize>> = BTreeMap::new();
    let mut copied_all: Option<usize> = None;
    let mut has_user = false;
    let mut pip_no_cache_env = false;

    for located in &stage.instructions {
        let node = located.node;
        let instruction = &located.value;
        // Undefined variables in words BuildKit expands.
        if check_vars {
            for word in expanded_words(instruction) {
                if let Ok(e) = Lexer::new('\\').expand(&word, &scope.environment()) {
                    for var in e.unmatched.iter().filter(|v| !declared.contains(v.as_str())) {
                        let mut msg = format!("Usage of undefined variable '${var}'");
                        let mut help = None;
                        if let Some(s) = suggest::closest(var, declared.iter().map(String::as_str), true) {
                            msg.push_str(&format!(" (did you mean ${s}?)"));
                            help = Some(format!("did you mean ${s}?"));
                        }
                        ctx.report_with("UndefinedVar", node, msg, help);
                    }
                }
            }
        }
        match instruction {
            Instruction::Arg(decls) => {
                for d in decls {
                    declared.insert(d.name.clone());
                    if is_secret_key(&d.name) {
                        ctx.report("SecretsUsedInArgOrEnv", node, format!("Do not use ARG or ENV instructions for sensitive data (ARG \"{}\")", d.name));
                    }
                    if d.default.as_deref().is_some_and(looks_like_credential) {
                        ctx.report("SecretValueInArgOrEnv", node, format!("The default of ARG {} looks like a credential", d.name));
                    }
                }
            }
            Instruction::Env(pairs) => {
                for kv in pairs {
                    declared.insert(kv.key.clone());
                    if is_secret_key(&kv.key) {
                        ctx.report("SecretsUsedInArgOrEnv", node, format!("Do not use ARG or ENV instructions for sensitive data (ENV \"{}\")", kv.key));
                    }
                    if looks_like_credential(&kv.value) {
                        ctx.report("SecretValueInArgOrEnv", node, format!("The value of ENV {} looks like a credential", kv.key));
                    }
                    if kv.key == "PIP_NO_CACHE_DIR" {
                        pip_no_cache_env = true;
                    }
                }
                if pairs.iter().any(|kv| kv.legacy) {
                    ctx.report("LegacyKeyValueFormat", node, "\"ENV key=value\" should be used instead of legacy \"ENV key value\" format".into());
                }
            }
            Instruction::Label(pairs) if pairs.iter().any(|kv| kv.legacy) => {
                ctx.report("LegacyKeyValueFormat", node, "\"LABEL key=value\" should be used instead of legacy \"LABEL key value\" format".into());
            }
            Instruction::Maintainer(_) => ctx.report("MaintainerDeprecated", node, "Maintainer instruction is deprecated in favor of using label".into()),
            Instruction::Shell(_) => f.shell_set = true,
            Instruction::Cmd(c) | Instruction::Entrypoint(c) => {
                let kw = instruction.keyword();
                repeated.entry(kw).or_default().push(node);
                if c.is_shell() {
                    if f.shell_set {
                        let text = if let CommandLine::Shell(s) = c { s.as_str() } else { "" };
                        if !text.trim_start().starts_with("exec ") {
                            ctx.report("ShellFormCommand", node, format!("{kw} in shell form runs under the stage's SHELL"));
                        }
                    } else {
                        ctx.report_with(
                            "JSONArgsRecommended",
                            node,
                            format!("JSON arguments recommended for {kw} to prevent unintended behavior related to OS signals"),
                            Some(exec_form_hint(kw, c)),
                        );
                    }
                }
            }
            Instruction::Healthcheck(_) => repeated.entry("HEALTHCHECK").or_default().push(node),
            Instruction::Workdir(w) => {
                if w.starts_with('/') || w.starts_with('$') {
                    f.absolute_workdir = true;
                } else if !f.absolute_workdir {
                    ctx.report("WorkdirRelativePath", node, format!("Relative workdir \"{w}\" can have unexpected results if the base image changes"));
                }
            }
            Instruction::User(u) => has_user = !matches!(u.as_str(), "root" | "0" | "0:0" | "root:root"),
            Instruction::Expose(ports) => {
                for p in ports.iter().flat_map(|p| p.split_whitespace()) {
                    if p.contains(':') {
                        ctx.report("ExposeInvalidFormat", node, format!("EXPOSE instruction should not define an IP address or host-port mapping, found '{p}'"));
                    } else if let Some((_, proto)) = p.split_once('/') {
                        if proto != proto.to_lowercase() {
                            ctx.report("ExposeProtoCasing", node, format!("Defined protocol '{p}' in EXPOSE instruction should be lowercase"));
                        }
                    }
                }
            }
            Instruction::Copy(c) | Instruction::Add(c) => {
                let is_add = matches!(instruction, Instruction::Add(_));
                if c.from.is_none() {
                    if let Some(ignore) = ignore {
                        for src in &c.sources {
                            if let Source::Path(p) = src {
                                let p = scope.expand_word(p).unwrap_or_else(|_| p.clone());
                                if ignore.excludes(&p) {
                                    let verb = if is_add { "Add" } else { "Copy" };
                                    ctx.report("CopyIgnoredFile", node, format!("Attempting to {verb} file \"{p}\" that is excluded by .dockerignore"));
                                }
                            }
                        }
                    }
                    let copies_all = c.sources.iter().any(|s| matches!(s, Source::Path(p) if p == "." || p == "./"));
                    if copies_all && copied_all.is_none() {
                        copied_all = Some(node);
                    }
                }
                if is_add && add_could_be_copy(c) {
                    ctx.report_with("AddInsteadOfCopy", node, "ADD copies local files here; COPY says so more plainly".into(), Some("replace ADD with COPY".into()));
                }
            }
            Instruction::Run(run) => {
                check_run(ctx, node, run, pip_no_cache_env, &mut copied_all);
            }
            _ => {}
        }
        let _ = scope.apply(instruction);
    }
    for nodes in repeated.values() {
        for &node in &nodes[..nodes.len().saturating_sub(1)] {
            let kw = ctx.node(node).keyword.to_uppercase();
            ctx.report("MultipleInstructionsDisallowed", node, format!("Multiple {kw} instructions should not be used in the same stage because only the last one will be used"));
        }
    }
    if last && !has_user && stage.base != "scratch" {
        ctx.report_with(
            "RunningAsRoot",
            stage.node,
            "The final stage sets no USER, so containers run as root".into(),
            Some("add `USER <name>` after creating the user".into()),
        );
    }
}

fn exec_form_hint(kw: &str, c: &CommandLine) -> String {
    match c {
        CommandLine::Shell(s) => {
            let words: Vec<String> = s.split_whitespace().map(|w| format!("\"{}\"", w.replace('"', "\\\""))).collect();
            if s.contains(['|', '&', ';', '$', '>', '<']) {
                format!("use the exec form, for example {kw} [\"/bin/sh\", \"-c\", \"exec …\"], or put the command in a script")
            } else {
                format!("write it as {kw} [{}]", words.join(", "))
            }
        }
        CommandLine::Exec(_) => String::new(),
    }
}

/// The words of an instruction that BuildKit expands with ARG/ENV.
fn expanded_words(instruction: &Instruction) -> Vec<String> {
    match instruction {
        Instruction::Env(pairs) | Instruction::Label(pairs) => pairs.iter().flat_map(|kv| [kv.key.clone(), kv.value.clone()]).collect(),
        Instruction::Arg(decls) => decls.iter().filter_map(|d| d.default.clone()).collect(),
        Instruction::Copy(c) | Instruction::Add(c) => {
            let mut w: Vec<String> = c.sources.iter().filter_map(|s| if let Source::Path(p) = s { Some(p.clone()) } else { None }).collect();
            w.push(c.dest.clone());
            w.extend(c.chown.clone());
            w.extend(c.chmod.clone());
            w
        }
        Instruction::Workdir(s) | Instruction::User(s) | Instruction::StopSignal(s) => vec![s.clone()],
        Instruction::Volume(v) | Instruction::Expose(v) => v.clone(),
        _ => Vec::new(),
    }
}

fn add_could_be_copy(c: &instructions::Copy) -> bool {
    const ARCHIVES: &[&str] = &[".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst", ".gz", ".bz2", ".xz"];
    c.sources.iter().all(|s| match s {
        Source::Path(p) => {
            let lower = p.to_lowercase();
            !(lower.contains("://") || lower.starts_with("git@") || lower.contains('$') || ARCHIVES.iter().any(|a| lower.ends_with(a)))
        }
        Source::Heredoc(_) => true,
    }) && c.checksum.is_none()
}

/// Splits a shell command line into simple commands (words), roughly: quotes are
/// respected, `&& || ; |` and newlines separate commands, leading `VAR=x` and `sudo` are
/// dropped. Good enough to recognise `apt-get install` and friends.
pub(crate) fn simple_commands(script: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = script.chars().peekable();
    let mut quote: Option<char> = None;
    let flush_word = |word: &mut String, words: &mut Vec<String>, in_word: &mut bool| {
        if *in_word {
            words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    while let Some(c) = chars.next() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            } else {
                word.push(c);
            }
            continue;
        }
        match c {
            '\'' | '"' => {
                quote = Some(c);
                in_word = true;
            }
            '\\' => {
                if let Some(n) = chars.next() {
                    if n != '\n' {
                        word.push(n);
                        in_word = true;
                    }
                }
            }
            '&' | '|' | ';' | '\n' | '(' | ')' => {
                flush_word(&mut word, &mut words, &mut in_word);
                if !words.is_empty() {
                    commands.push(std::mem::take(&mut words));
                }
                if matches!(c, '&' | '|') && chars.peek() == Some(&c) {
                    chars.next();
                }
            }
            c if c.is_whitespace() => flush_word(&mut word, &mut words, &mut in_word),
            c => {
                word.push(c);
                in_word = true;
            }
        }
    }
    flush_word(&mut word, &mut words, &mut in_word);
    if !words.is_empty() {
        commands.push(words);
    }
    for cmd in &mut commands {
        while cmd.first().is_some_and(|w| w == "sudo" || w == "env" || (w.contains('=') && !w.starts_with('-') && !w.starts_with('='))) {
            cmd.remove(0);
        }
    }
    commands.retain(|c| !c.is_empty());
    commands
}

fn run_scripts(run: &instructions::Run) -> Vec<String> {
    let mut scripts = Vec::new();
    match &run.command {
        CommandLine::Shell(s) => scripts.push(s.clone()),
        CommandLine::Exec(argv) => {
            // ["sh", "-c", "…"] carries a script; otherwise the argv is one command.
            if argv.len() >= 3 && argv[argv.len() - 2] == "-c" {
                scripts.push(argv[argv.len() - 1].clone());
            } else {
                scripts.push(argv.iter().map(|a| format!("'{}'", a.replace('\'', ""))).collect::<Vec<_>>().join(" "));
            }
        }
    }
    scripts.extend(run.heredocs.iter().map(|h| h.body()));
    scripts
}

fn check_run(ctx: &mut Ctx, node: usize, run: &instructions::Run, pip_no_cache_env: bool, copied_all: &mut Option<usize>) {
    let scripts = run_scripts(run);
    let all = scripts.join("\n");
    let commands: Vec<Vec<String>> = scripts.iter().flat_map(|s| simple_commands(s)).collect();
    let mut installs_deps = false;
    for cmd in &commands {
        let program = cmd[0].rsplit('/').next().unwrap_or(&cmd[0]);
        let args: Vec<&str> = cmd[1..].iter().map(String::as_str).collect();
        let sub = args.iter().find(|a| !a.starts_with('-')).copied();
        match program {
            "apt" | "apt-get" => {
                if program == "apt" {
                    ctx.report_with(
                        "AptInsteadOfAptGet",
                        node,
                        format!("`apt {}` in a RUN: apt has no stable interface for scripts", sub.unwrap_or("")),
                        Some("use apt-get".into()),
                    );
                }
                if sub == Some("install") {
                    installs_deps = true;
                    let yes = args.iter().any(|a| {
                        matches!(*a, "-y" | "--yes" | "--assume-yes" | "-qy" | "-yq" | "-qqy" | "-yqq" | "-q=2")
                            || (a.starts_with('-') && !a.starts_with("--") && a.contains('y'))
                    });
                    if !yes {
                        ctx.report_with(
                            "AptGetMissingYes",
                            node,
                            format!("`{program} install` without -y waits for an answer that never comes, and the build fails"),
                            Some(format!("use `{program} install -y …`")),
                        );
                    }
                    if !args.contains(&"--no-install-recommends") {
                        ctx.report_with(
                            "AptGetNoInstallRecommends",
                            node,
                            format!("`{program} install` without --no-install-recommends also installs recommended packages"),
                            Some(format!("use `{program} install -y --no-install-recommends …`")),
                        );
                    }
                    if !all.contains("/var/lib/apt/lists") {
                        ctx.report_with(
                            "AptListsNotCleaned",
                            node,
                            "the package lists from apt-get update stay in this layer".into(),
                            Some("end the same RUN with `&& rm -rf /var/lib/apt/lists/*`".into()),
                        );
                    }
                    let packages: Vec<&&str> = args.iter().skip_while(|a| **a != "install").skip(1).filter(|a| !a.starts_with('-')).collect();
                    let unpinned: Vec<&str> = packages.iter().filter(|p| !p.contains('=') && !p.contains('$')).map(|p| **p).collect();
                    if !unpinned.is_empty() {
                        ctx.report("UnpinnedAptVersion", node, format!("apt packages without a pinned version: {}", unpinned.join(", ")));
                    }
                }
            }
            "pip" | "pip3" | "python" | "python3" => {
                let pip_args: Vec<&str> = if program.starts_with("python") {
                    match args.iter().position(|a| *a == "-m") {
                        Some(i) if args.get(i + 1).is_some_and(|m| *m == "pip") => args[i + 2..].to_vec(),
                        _ => continue,
                    }
                } else {
                    args.clone()
                };
                let Some(pos) = pip_args.iter().position(|a| *a == "install") else { continue };
                installs_deps = true;
                if !pip_args.contains(&"--no-cache-dir") && !pip_no_cache_env {
                    ctx.report_with(
                        "PipNoCacheDir",
                        node,
                        "`pip install` without --no-cache-dir keeps pip's download cache in the layer".into(),
                        Some("use `pip install --no-cache-dir …`".into()),
                    );
                }
                let mut unpinned = Vec::new();
                let mut skip_next = false;
                for a in &pip_args[pos + 1..] {
                    if skip_next {
                        skip_next = false;
                        continue;
                    }
                    if matches!(*a, "-r" | "--requirement" | "-c" | "--constraint" | "-e" | "--editable" | "-i" | "--index-url" | "--extra-index-url" | "-f" | "--find-links" | "--target" | "-t" | "--prefix") {
                        skip_next = true;
                        continue;
                    }
                    if a.starts_with('-') || a.starts_with('.') || a.starts_with('/') || a.contains("://") || a.contains('$') || a.ends_with(".whl") || a.ends_with(".tar.gz") {
                        continue;
                    }
                    if !a.contains(['=', '<', '>', '~', '@']) && *a != "pip" && *a != "setuptools" && *a != "wheel" {
                        unpinned.push(*a);
                    }
                }
                if !unpinned.is_empty() {
                    ctx.report_with(
                        "UnpinnedPipVersion",
                        node,
                        format!("Python packages without a pinned version: {}", unpinned.join(", ")),
                        Some(format!("pin them, for example `{}==<version>`", unpinned[0])),
                    );
                }
            }
            "conda" | "mamba" | "micromamba" => {
                let installs = matches!(sub, Some("install" | "create")) || (sub == Some("env") && args.contains(&"create"));
                if installs {
                    installs_deps = true;
                    if !all.contains("clean") {
                        ctx.report_with(
                            "CondaNoClean",
                            node,
                            format!("`{program} {}` without `conda clean` leaves package caches in this layer", sub.unwrap_or("")),
                            Some("end the same RUN with `&& conda clean --all -y`".into()),
                        );
                    }
                }
            }
            "npm" | "yarn" | "pnpm" | "poetry" | "pipenv" | "bundle" | "go" | "cargo" => {
                if matches!(sub, Some("install" | "ci" | "sync" | "build" | "download" | "fetch")) {
                    installs_deps = true;
                }
            }
            "cd" => ctx.report_with(
                "CdInRun",
                node,
                format!("`cd {}` inside RUN", args.first().copied().unwrap_or("")),
                Some("use `WORKDIR <dir>` to change directory for the following instructions".into()),
            ),
            _ => {}
        }
    }
    if installs_deps {
        // Reported once, on the first install step the `COPY . .` invalidates.
        if let Some(copy_node) = copied_all.take() {
            let line = ctx.node(copy_node).start_line;
            ctx.report_with(
                "CopyAllBeforeInstall",
                node,
                format!("dependencies are installed after `COPY . .` (line {line}), so any source change reinstalls them"),
                Some("copy only the dependency files (requirements.txt, package.json, environment.yml) before this RUN and the rest after".into()),
            );
        }
    }
    let _ = ctx.source;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(src: &str) -> Vec<String> {
        lint(src, &LintOptions::default()).into_iter().map(|d| d.rule.unwrap_or_else(|| format!("error: {}", d.message))).collect()
    }

    #[test]
    fn student_rules() {
        let r = rules("FROM python\nRUN apt-get update && apt-get install curl\nCOPY . .\nRUN pip install flask\nCMD python app.py\n");
        for want in ["UnpinnedBaseImage", "AptGetMissingYes", "AptGetNoInstallRecommends", "AptListsNotCleaned", "PipNoCacheDir", "UnpinnedPipVersion", "CopyAllBeforeInstall", "JSONArgsRecommended", "RunningAsRoot"] {
            assert!(r.contains(&want.to_string()), "{want} missing from {r:?}");
        }
        let clean = rules("FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nUSER nobody\nCMD [\"python\", \"app.py\"]\n");
        assert!(clean.is_empty(), "{clean:?}");
    }

    #[test]
    fn simple_commands_split() {
        let c = simple_commands("DEBIAN_FRONTEND=noninteractive apt-get install -y 'a b' && cd /x; echo \"hi there\" | wc");
        assert_eq!(c, vec![vec!["apt-get", "install", "-y", "a b"], vec!["cd", "/x"], vec!["echo", "hi there"], vec!["wc"]]);
    }

    #[test]
    fn error_true_makes_warnings_errors() {
        let d = lint("#check=error=true\nFROM scratch as base\n", &LintOptions::default());
        assert!(d.iter().any(|d| d.rule.as_deref() == Some("FromAsCasing") && d.is_error()));
    }
}
