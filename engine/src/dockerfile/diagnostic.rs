//! Diagnostics from the parser, the instruction checks and the linter, and how they are
//! rendered for a terminal (`Dockerfile:7:1: error: …` with the source line and a caret).

use serde::Serialize;

use super::ast::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding about a Dockerfile, located by a byte span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// A stable rule id for lint findings (`StageNameCasing`), `None` for syntax errors.
    pub rule: Option<String>,
    pub message: String,
    pub span: Span,
    /// A suggestion shown as `hint: …`.
    pub help: Option<String>,
    /// Where to read more.
    pub url: Option<String>,
}

impl Diagnostic {
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Error, rule: None, message: message.into(), span, help: None, url: None }
    }

    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(span, message) }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn with_url(mut self, url: impl Into<String>) -> Diagnostic {
        self.url = Some(url.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// Maps byte offsets to 1-based lines and columns.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
    len: usize,
}

impl LineIndex {
    pub fn new(source: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(source.bytes().enumerate().filter(|(_, b)| *b == b'\n').map(|(i, _)| i + 1));
        LineIndex { starts, len: source.len() }
    }

    /// 1-based line and column (columns count characters) of `offset`.
    pub fn line_col(&self, source: &str, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.len);
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[line];
        let col = source.get(start..offset).map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }

    /// The text of 1-based `line` without its newline.
    pub fn line_text<'s>(&self, source: &'s str, line: usize) -> &'s str {
        let Some(&start) = self.starts.get(line.wrapping_sub(1)) else { return "" };
        let end = self.starts.get(line).map_or(self.len, |e| e.saturating_sub(1));
        source.get(start..end.max(start)).unwrap_or("").trim_end_matches('\r')
    }

    pub fn line_count(&self) -> usize {
        self.starts.len()
    }
}

/// Renders a diagnostic the way `berth lint` prints it:
///
/// ```text
/// Dockerfile:7:1: unknown instruction: RUNN
///   |
/// 7 | RUNN echo hi
///   | ^^^^
/// hint: did you mean RUN?
/// ```
pub fn render(file: &str, source: &str, diagnostic: &Diagnostic) -> String {
    let index = LineIndex::new(source);
    let (line, col) = index.line_col(source, diagnostic.span.start);
    let mut out = String::new();
    // Syntax errors read like Docker's (`Dockerfile:7:1: unknown instruction: RUNN`);
    // lint findings carry their severity and rule id.
    let label = match &diagnostic.rule {
        Some(rule) => format!("{}[{rule}]: ", diagnostic.severity.as_str()),
        None if diagnostic.is_error() => String::new(),
        None => format!("{}: ", diagnostic.severity.as_str()),
    };
    out.push_str(&format!("{file}:{line}:{col}: {label}{}\n", diagnostic.message));
    let text = index.line_text(source, line);
    let gutter = line.to_string().len();
    let pad = " ".repeat(gutter);
    out.push_str(&format!("{pad} |\n{line} | {text}\n"));
    let line_chars = text.chars().count();
    let (end_line, end_col) = index.line_col(source, diagnostic.span.end);
    let width = if end_line == line && end_col > col { end_col - col } else { line_chars.saturating_sub(col - 1).max(1) };
    let caret_indent: String = text.chars().take(col - 1).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
    out.push_str(&format!("{pad} | {caret_indent}{}\n", "^".repeat(width.max(1))));
    if let Some(help) = &diagnostic.help {
        out.push_str(&format!("hint: {help}\n"));
    }
    if let Some(url) = &diagnostic.url {
        out.push_str(&format!("see: {url}\n"));
    }
    out
}
