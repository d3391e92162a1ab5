//! `berth debug parse` and `berth debug stages`: how Berth reads a Dockerfile, in
//! BuildKit's AST dump format or as stages, so anyone can compare with BuildKit.

use super::{read_text, unknown_flag, Arg, Args, Host, Output};
use crate::dockerfile::diagnostic::render;
use crate::dockerfile::expand::EnvList;
use crate::dockerfile::instructions::{self, ArgDecl, Instruction, Source};
use crate::dockerfile::scope::{GlobalScope, Platform};
use crate::dockerfile::{dump, parse, Diagnostic};

const HELP: &str = "\
Usage:  berth debug COMMAND

Inspect how Berth reads a Dockerfile

Commands:
  parse [--buildkit | --json] FILE   Print the syntax tree (BuildKit's dump format by default)
  stages [OPTIONS] FILE              Print the build stages and which ones a target needs
      --build-arg KEY=VALUE          Set a build-time variable
      --target STAGE                 The stage to build (default: the last)
";

pub fn run(args: &[String], host: &dyn Host) -> Output {
    match args.first().map(String::as_str) {
        Some("parse") => parse_command(&args[1..], host),
        Some("stages") => stages_command(&args[1..], host),
        None | Some("-h" | "--help") => Output::ok(HELP),
        Some(other) => Output::fail(1, format!("berth debug: unknown command {other:?}\n\n{HELP}")),
    }
}

fn read_dockerfile(host: &dyn Host, path: Option<String>) -> Result<(String, String), Output> {
    let path = path.unwrap_or_else(|| "Dockerfile".into());
    let source = read_text(host, &path).map_err(|e| Output::fail(1, format!("failed to read dockerfile: {e}\n")))?;
    Ok((if path == "-" { "Dockerfile".into() } else { path }, source))
}

fn errors_text(file: &str, source: &str, diagnostics: &[Diagnostic]) -> String {
    diagnostics.iter().filter(|d| d.is_error()).map(|d| render(file, source, d)).collect()
}

fn parse_command(args: &[String], host: &dyn Host) -> Output {
    let mut json = false;
    let mut file = None;
    let mut it = Args::new(args);
    while let Some(arg) = it.next() {
        match arg {
            Arg::Flag("--buildkit", _) => json = false,
            Arg::Flag("--json", _) => json = true,
            Arg::Flag("-h" | "--help", _) => return Output::ok(HELP),
            Arg::Flag("-", _) => file = Some("-".to_string()),
            Arg::Positional(p) => file = Some(p.to_string()),
            Arg::Flag(f, _) => return unknown_flag("debug parse", f),
        }
    }
    let (name, source) = match read_dockerfile(host, file) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let (tree, diagnostics) = parse(&source);
    let stdout = if json {
        serde_json::to_string_pretty(&tree).unwrap_or_default() + "\n"
    } else if tree.instructions.is_empty() {
        String::new()
    } else {
        dump(&tree) + "\n"
    };
    let stderr = errors_text(&name, &source, &diagnostics);
    Output { code: i32::from(!stderr.is_empty()), stdout: stdout.into(), stderr: stderr.into() }
}

fn stages_command(args: &[String], host: &dyn Host) -> Output {
    let mut file = None;
    let mut build_args = Vec::new();
    let mut target = None;
    let mut it = Args::new(args);
    while let Some(arg) = it.next() {
        match arg {
            Arg::Flag("--build-arg", v) => match it.value("--build-arg", v) {
                Ok(v) => build_args.push(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("--target", v) => match it.value("--target", v) {
                Ok(v) => target = Some(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("-h" | "--help", _) => return Output::ok(HELP),
            Arg::Positional(p) => file = Some(p.to_string()),
            Arg::Flag(f, _) => return unknown_flag("debug stages", f),
        }
    }
    let (name, source) = match read_dockerfile(host, file) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let (tree, mut diagnostics) = parse(&source);
    let (ins, more) = instructions::from_ast(&tree);
    diagnostics.extend(more);
    let errors = errors_text(&name, &source, &diagnostics);
    if !errors.is_empty() {
        return Output::fail(1, errors);
    }
    let build_args = EnvList::from_pairs(&build_args);
    let meta: Vec<ArgDecl> = ins.meta_args.iter().flat_map(|a| a.value.clone()).collect();
    let global = match GlobalScope::new(&meta, &build_args, &Platform::default()) {
        Ok(g) => g,
        Err(e) => return Output::fail(1, format!("{e}\n")),
    };
    let target_index = match &target {
        None => ins.stages.len().saturating_sub(1),
        Some(t) => match ins.find_stage(t) {
            Some(i) => i,
            None => return Output::fail(1, format!("failed to solve: target stage \"{t}\" could not be found\n")),
        },
    };
    let needed = crate::dockerfile::instructions::needed_stages(&ins, target_index);
    let mut out = String::new();
    for (i, stage) in ins.stages.iter().enumerate() {
        let base = global.expand(&stage.base).unwrap_or_else(|_| stage.base.clone());
        let name = stage.name.as_deref().map(|n| format!(" {n}")).unwrap_or_default();
        let shown_base = if base == stage.base { base } else { format!("{base} (written {})", stage.base) };
        let status = if needed.contains(&i) { "" } else { "  [skipped]" };
        out.push_str(&format!("#{i}{name}: FROM {shown_base}  line {}{status}\n", stage.line));
        for located in &stage.instructions {
            out.push_str(&format!("    {:>3}  {}\n", located.line, describe(&located.value)));
        }
    }
    let list: Vec<String> = needed.iter().map(|i| format!("#{i}")).collect();
    out.push_str(&format!("target: #{target_index}; stages built: {}\n", list.join(", ")));
    Output::ok(out)
}


fn describe(instruction: &Instruction) -> String {
    use crate::dockerfile::instructions::CommandLine;
    let cmd = |c: &CommandLine| match c {
        CommandLine::Exec(v) => serde_json::to_string(v).unwrap_or_default(),
        CommandLine::Shell(s) => s.clone(),
    };
    let kw = instruction.keyword();
    match instruction {
        Instruction::Run(r) => {
            let mounts: String = r.mounts.iter().map(|m| format!("--mount=type={},target={} ", m.kind, m.target.as_deref().unwrap_or(""))).collect();
            let heredocs = if r.heredocs.is_empty() { String::new() } else { format!(" ({} heredoc)", r.heredocs.len()) };
            format!("{kw} {mounts}{}{heredocs}", cmd(&r.command))
        }
        Instruction::Cmd(c) | Instruction::Entrypoint(c) => format!("{kw} {}", cmd(c)),
        Instruction::Shell(v) => format!("{kw} {}", serde_json::to_string(v).unwrap_or_default()),
        Instruction::Env(kvs) | Instruction::Label(kvs) => {
            format!("{kw} {}", kvs.iter().map(|kv| format!("{}={}", kv.key, kv.value)).collect::<Vec<_>>().join(" "))
        }
        Instruction::Arg(decls) => format!(
            "{kw} {}",
            decls.iter().map(|d| match &d.default { Some(v) => format!("{}={v}", d.name), None => d.name.clone() }).collect::<Vec<_>>().join(" ")
        ),
        Instruction::Copy(c) | Instruction::Add(c) => {
            let from = c.from.as_deref().map(|f| format!("--from={f} ")).unwrap_or_default();
            let sources: Vec<String> = c
                .sources
                .iter()
                .map(|s| match s {
                    Source::Path(p) => p.clone(),
                    Source::Heredoc(h) => format!("<<{}", h.name),
                })
                .collect();
            format!("{kw} {from}{} {}", sources.join(" "), c.dest)
        }
        Instruction::Workdir(s) | Instruction::User(s) | Instruction::StopSignal(s) | Instruction::Maintainer(s) => format!("{kw} {s}"),
        Instruction::Volume(v) | Instruction::Expose(v) => format!("{kw} {}", v.join(" ")),
        Instruction::Healthcheck(h) => format!("{kw} {h:?}"),
        Instruction::Onbuild { expression, .. } => format!("{kw} {expression}"),
    }
}
