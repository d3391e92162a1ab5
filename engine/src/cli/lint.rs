//! `berth lint [FILE]`: syntax errors and lint findings as `FILE:LINE:COL: severity[RULE]:
//! message` with the source line, a caret and a hint; `--format json` for tools.

use serde::Serialize;

use super::{read_text, unknown_flag, Arg, Args, Host, Output};
use crate::dockerfile::diagnostic::render;
use crate::dockerfile::lint::{lint, rule, LintOptions, RULES};
use crate::dockerfile::{Diagnostic, LineIndex, Severity};

const HELP: &str = "\
Usage:  berth lint [OPTIONS] [FILE]

Check a Dockerfile (default: ./Dockerfile) for errors and common mistakes

Options:
      --format string      Output format: text or json (default \"text\")
      --check string       Rule configuration, overriding the file's # check= directive
                           (e.g. \"skip=JSONArgsRecommended;error=true\")
      --dockerignore path  The build context's .dockerignore (default: next to FILE)
      --rules              List every rule
      --explain RULE       Explain one rule

Exit status is 1 when an error-level finding is reported.
";

#[derive(Serialize)]
struct JsonFinding<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    severity: Severity,
    rule: Option<&'a str>,
    message: &'a str,
    hint: Option<&'a str>,
    url: Option<&'a str>,
}

pub fn run(args: &[String], host: &dyn Host) -> Output {
    let mut format = "text";
    let mut check = None;
    let mut ignore_path = None;
    let mut file = None;
    let mut it = Args::new(args);
    while let Some(arg) = it.next() {
        match arg {
            Arg::Flag("-h" | "--help", _) => return Output::ok(HELP),
            Arg::Flag("--format", v) => match it.value("--format", v) {
                Ok(v) => format = v,
                Err(e) => return e,
            },
            Arg::Flag("--check", v) => match it.value("--check", v) {
                Ok(v) => check = Some(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("--dockerignore", v) => match it.value("--dockerignore", v) {
                Ok(v) => ignore_path = Some(v.to_string()),
                Err(e) => return e,
            },
            Arg::Flag("--rules", _) => return list_rules(),
            Arg::Flag("--explain", v) => {
                return match it.value("--explain", v) {
                    Ok(id) => explain(id),
                    Err(e) => e,
                }
            }
            Arg::Flag("-", _) | Arg::Positional(_) if file.is_some() => {
                return Output::fail(1, "\"berth lint\" requires at most 1 argument.\nSee 'berth lint --help'.\n")
            }
            Arg::Flag("-", _) => file = Some("-".to_string()),
            Arg::Positional(p) => file = Some(p.to_string()),
            Arg::Flag(f, _) => return unknown_flag("lint", f),
        }
    }
    if !matches!(format, "text" | "json") {
        return Output::fail(1, format!("unknown format {format:?}: use text or json\n"));
    }
    let path = file.unwrap_or_else(|| "Dockerfile".to_string());
    let source = match read_text(host, &path) {
        Ok(s) => s,
        Err(e) => return Output::fail(1, format!("failed to read dockerfile: {e}\n")),
    };
    let display = if path == "-" { "Dockerfile".to_string() } else { path.clone() };
    let ignore_path = ignore_path.or_else(|| {
        (path != "-").then(|| match path.rfind('/') {
            Some(i) => format!("{}/.dockerignore", &path[..i]),
            None => ".dockerignore".to_string(),
        })
    });
    let dockerignore = ignore_path.and_then(|p| read_text(host, &p).ok());
    let diagnostics = lint(&source, &LintOptions { dockerignore, check_override: check, ..LintOptions::default() });
    let code = i32::from(diagnostics.iter().any(Diagnostic::is_error));
    let stdout = if format == "json" {
        to_json(&display, &source, &diagnostics)
    } else {
        let mut out: String = diagnostics.iter().map(|d| render(&display, &source, d) + "\n").collect();
        out.push_str(&summary(&diagnostics));
        out
    };
    Output { code, stdout: stdout.into(), stderr: Vec::new() }
}

fn summary(diagnostics: &[Diagnostic]) -> String {
    let count = |s: Severity| diagnostics.iter().filter(|d| d.severity == s).count();
    let (e, w, i) = (count(Severity::Error), count(Severity::Warning), count(Severity::Info));
    if e + w + i == 0 {
        return "no problems found\n".to_string();
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!("{}, {}, {}\n", plural(e, "error"), plural(w, "warning"), plural(i, "note"))
}

fn to_json(file: &str, source: &str, diagnostics: &[Diagnostic]) -> String {
    let index = LineIndex::new(source);
    let findings: Vec<JsonFinding> = diagnostics
        .iter()
        .map(|d| {
            let (line, column) = index.line_col(source, d.span.start);
            let (end_line, end_column) = index.line_col(source, d.span.end);
            JsonFinding {
                file,
                line,
                column,
                end_line,
                end_column,
                severity: d.severity,
                rule: d.rule.as_deref(),
                message: &d.message,
                hint: d.help.as_deref(),
                url: d.url.as_deref(),
            }
        })
        .collect();
    serde_json::to_string_pretty(&findings).unwrap_or_else(|_| "[]".into()) + "\n"
}

fn list_rules() -> Output {
    let mut out = String::from("RULE                              SEVERITY  ORIGIN    SUMMARY\n");
    for r in RULES {
        let origin = match r.origin {
            crate::dockerfile::lint::Origin::Buildkit => "buildkit",
            crate::dockerfile::lint::Origin::Berth => "berth",
        };
        let experimental = if r.experimental { " (experimental)" } else { "" };
        out.push_str(&format!("{:<33} {:<9} {:<9} {}{experimental}\n", r.id, r.severity.as_str(), origin, r.summary));
    }
    Output::ok(out)
}

fn explain(id: &str) -> Output {
    match rule(id) {
        Some(r) => Output::ok(format!("{} ({})\n\n{}\n\n{}\n\nsee: {}\n", r.id, r.severity.as_str(), r.summary, r.explanation, r.url)),
        None => {
            let mut msg = format!("unknown rule: {id}\n");
            if let Some(s) = crate::dockerfile::suggest::closest(id, RULES.iter().map(|r| r.id), false) {
                msg.push_str(&format!("hint: did you mean {s}?\n"));
            }
            Output::fail(1, msg)
        }
    }
}
