//! The Dockerfile parser: physical lines → instructions with raw arguments, the way
//! BuildKit's `parser` package reads them (directives, escape character, continuation
//! lines, comments inside continuations, JSON vs shell form, heredocs).
//!
//! It never fails outright and never panics: whatever it cannot accept becomes an
//! error [`Diagnostic`] and parsing carries on with the next instruction.

use super::ast::{Arg, ArgValue, Directive, Dockerfile, Flag, Heredoc, Node, Span, Trivia, TriviaKind};
use super::diagnostic::Diagnostic;
use super::expand::{Lexer, NoEnv};

/// BuildKit reads lines with a 64 KiB scanner buffer; longer lines are an error.
pub const MAX_LINE_LEN: usize = 65535;

const NO_EMPTY_CONTINUATION_URL: &str = "https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/";

/// Parses a Dockerfile. Always returns a tree; problems are reported as diagnostics.
pub fn parse(source: &str) -> (Dockerfile, Vec<Diagnostic>) {
    Parser::new(source).run()
}

/// Go's `unicode.IsSpace` on a byte taken as a rune, restricted to ASCII: the byte-wise
/// scanners (`extractBuilderFlags`, `parseHealthConfig`) would otherwise split UTF-8.
fn is_ascii_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | 0x0b | 0x0c | b'\r' | b' ')
}

/// BuildKit's `reWhitespace`: `[\t\v\f\r ]+`.
fn is_split_space(c: char) -> bool {
    matches!(c, '\t' | '\u{0b}' | '\u{0c}' | '\r' | ' ')
}

fn trim_newline(s: &str) -> &str {
    s.trim_end_matches(['\r', '\n'])
}

fn is_comment(raw: &str) -> bool {
    trim_newline(raw).trim_start().starts_with('#')
}

/// Offset of `sub` inside `base`; `sub` must be a subslice of `base`.
fn offset_in(base: &str, sub: &str) -> usize {
    (sub.as_ptr() as usize).saturating_sub(base.as_ptr() as usize).min(base.len())
}

/// Maps offsets in a joined logical line back to offsets in the source.
#[derive(Debug, Default, Clone)]
struct LineMap {
    /// (offset in the joined line, offset in the source)
    pieces: Vec<(usize, usize)>,
}

impl LineMap {
    fn push(&mut self, joined: usize, source: usize) {
        self.pieces.push((joined, source));
    }

    fn source(&self, joined: usize) -> usize {
        let idx = self.pieces.partition_point(|(j, _)| *j <= joined);
        match idx.checked_sub(1).and_then(|i| self.pieces.get(i)) {
            Some((j, s)) => s + (joined - j),
            None => self.pieces.first().map_or(0, |p| p.1),
        }
    }

    fn span(&self, start: usize, end: usize) -> Span {
        let s = self.source(start);
        Span::new(s, self.source(end).max(s))
    }
}

/// Tracks the leading parser directives.
#[derive(Default)]
struct DirectiveScanner {
    line: usize,
    done: bool,
    seen: Vec<String>,
}

/// Splits a directive line (`# name = value`) into name and value.
pub(crate) fn directive_parts(line: &str) -> Option<(&str, &str)> {
    directive_parts_with(line, "#")
}

fn directive_parts_with<'a>(line: &'a str, comment: &str) -> Option<(&'a str, &'a str)> {
    let rest = line.strip_prefix(comment)?;
    let rest = rest.trim_start();
    let name_len = rest.char_indices().take_while(|(i, c)| if *i == 0 { c.is_ascii_alphabetic() } else { c.is_ascii_alphanumeric() }).count();
    if name_len == 0 {
        return None;
    }
    let name = &rest[..name_len];
    let after = rest[name_len..].trim_start();
    let value = after.strip_prefix('=')?.trim();
    if value.is_empty() {
        return None;
    }
    Some((name, value))
}

/// A directive found by [`detect_directive`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetectedDirective {
    /// The value up to the first space (for `syntax`, the frontend image reference).
    pub value: String,
    /// The whole value.
    pub cmdline: String,
    /// 1-based line.
    pub line: usize,
}

/// `ParseDirective`: finds directive `key` at the top of a file without parsing it.
/// For `syntax`, a whole-file JSON object (`{"syntax": "…"}`) and `//` comments count too.
pub fn detect_directive(key: &str, source: &str) -> Option<DetectedDirective> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let (source, first_line) = match source.strip_prefix("#!") {
        Some(rest) => (rest.split_once('\n').map_or("", |(_, r)| r), 2),
        None => (source, 1),
    };
    if key == "syntax" {
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(source) {
            if let Some(serde_json::Value::String(v)) = map.get(key) {
                return Some(DetectedDirective { value: v.clone(), cmdline: v.clone(), line: first_line });
            }
        }
    }
    let prefixes: &[&str] = if key == "syntax" { &["//", "#"] } else { &["#"] };
    for prefix in prefixes {
        for (i, line) in source.lines().enumerate() {
            let Some((name, value)) = directive_parts_with(line.trim_start(), prefix) else { break };
            let name = name.to_ascii_lowercase();
            if !matches!(name.as_str(), "syntax" | "escape" | "check") {
                break;
            }
            if name == key {
                let first = value.split(' ').next().unwrap_or(value);
                return Some(DetectedDirective { value: first.to_string(), cmdline: value.to_string(), line: first_line + i });
            }
        }
    }
    None
}

struct Parser<'s> {
    source: &'s str,
    /// (start offset, line including its newline)
    lines: Vec<(usize, &'s str)>,
    escape: char,
    directives: DirectiveScanner,
    out: Dockerfile,
    diagnostics: Vec<Diagnostic>,
}

/// What `newNodeFromLine` produced.
struct Parsed {
    node: Node,
    error: Option<String>,
}

impl<'s> Parser<'s> {
    fn new(source: &'s str) -> Parser<'s> {
        let mut lines = Vec::new();
        let mut start = 0;
        for line in source.split_inclusive('\n') {
            lines.push((start, line));
            start += line.len();
        }
        Parser {
            source,
            lines,
            escape: '\\',
            directives: DirectiveScanner::default(),
            out: Dockerfile { escape: '\\', ..Dockerfile::default() },
            diagnostics: Vec::new(),
        }
    }

    /// Feeds one line to the directive scanner (`possibleParserDirective`).
    fn scan_directive(&mut self, token: &str, line_start: usize, line_no: usize) -> bool {
        let d = &mut self.directives;
        d.line += 1;
        if d.done {
            return false;
        }
        if d.line == 1 && token.starts_with("#!") {
            return false;
        }
        let Some((name, value)) = directive_parts(token) else {
            d.done = true;
            return false;
        };
        let name = name.to_ascii_lowercase();
        if !matches!(name.as_str(), "syntax" | "escape" | "check") {
            d.done = true;
            return false;
        }
        let span = Span::new(line_start, line_start + token.len());
        if d.seen.contains(&name) {
            self.diagnostics.push(Diagnostic::error(span, format!("only one {name} parser directive can be used")));
            return true;
        }
        d.seen.push(name.clone());
        if name == "escape" {
            match value {
                "`" => self.escape = '`',
                "\\" => self.escape = '\\',
                _ => self.diagnostics.push(
                    Diagnostic::error(span, format!("invalid escape token '{value}' does not match ` or \\"))
                        .with_help("use `# escape=\\` or `# escape=`` `"),
                ),
            }
        }
        self.out.directives.push(Directive { name, value: value.to_string(), line: line_no, span });
        true
    }

    /// `trimContinuationCharacter`: strips a trailing escape (plus blanks) and says whether
    /// the logical line ends here.
    fn trim_continuation<'a>(&self, line: &'a str) -> (&'a str, bool) {
        let esc = self.escape;
        let body = line.trim_end_matches([' ', '\t']);
        if let Some(before) = body.strip_suffix(esc) {
            // The escape must not itself be escaped, unless it is alone on the line.
            if before.is_empty() || !before.ends_with(esc) {
                return (before, false);
            }
        }
        (line, true)
    }

    fn run(mut self) -> (Dockerfile, Vec<Diagnostic>) {
        let mut comments: Vec<String> = Vec::new();
        let mut i = 0;
        let mut current_line = 0;
        while i < self.lines.len() {
            let (mut line_start, mut raw) = self.lines[i];
            i += 1;
            if line_start == 0 {
                if let Some(stripped) = raw.strip_prefix('\u{feff}') {
                    raw = stripped;
                    line_start = 3;
                }
            }
            self.check_line_length(line_start, raw);
            if is_comment(raw) {
                let trimmed = trim_newline(raw);
                let after_first = trimmed.char_indices().nth(1).map_or("", |(k, _)| &trimmed[k..]);
                let comment = after_first.trim();
                if comment.is_empty() {
                    comments.clear();
                } else {
                    comments.push(comment.to_string());
                }
            }
            let token = trim_newline(raw).trim_start();
            let token_start = line_start + offset_in(raw, token);
            current_line += 1;
            let is_directive = self.scan_directive(token, token_start, current_line);
            let processed = if is_comment(raw) { "" } else { token };
            let start_line = current_line;
            let (first, mut end_of_line) = self.trim_continuation(processed);
            if end_of_line && first.is_empty() {
                let kind = if is_directive {
                    TriviaKind::Directive
                } else if is_comment(raw) {
                    TriviaKind::Comment
                } else {
                    TriviaKind::Blank
                };
                self.out.trivia.push(Trivia { kind, span: Span::new(line_start, line_start + raw.len()) });
                continue;
            }

            let mut joined = String::from(first);
            let mut map = LineMap::default();
            map.push(0, token_start);
            let mut end = line_start + raw.len();
            let mut last_line_start = token_start;
            let mut has_empty_continuation = false;
            while !end_of_line && i < self.lines.len() {
                let (next_start, next_raw) = self.lines[i];
                i += 1;
                self.check_line_length(next_start, next_raw);
                let token = trim_newline(next_raw);
                self.scan_directive(token, next_start, current_line + 1);
                current_line += 1;
                end = next_start + next_raw.len();
                last_line_start = next_start;
                if is_comment(next_raw) {
                    continue;
                }
                if token.trim_start().is_empty() {
                    has_empty_continuation = true;
                    continue;
                }
                let (piece, eol) = self.trim_continuation(token);
                end_of_line = eol;
                map.push(joined.len(), next_start);
                joined.push_str(piece);
            }

            let keyword_start = token_start;
            if has_empty_continuation {
                // BuildKit reports this on the instruction's last line.
                self.diagnostics.push(
                    Diagnostic::warning(
                        Span::new(last_line_start, trim_end(self.source, end)),
                        format!("Empty continuation line found in: {joined}"),
                    )
                    .with_help("Empty continuation lines will become errors in a future release")
                    .with_url(NO_EMPTY_CONTINUATION_URL)
                    .with_rule("NoEmptyContinuation"),
                );
            }

            let Parsed { mut node, error } = self.node_from_line(&joined, &map);
            if let Some(message) = error {
                self.diagnostics.push(self.instruction_error(&node, keyword_start, end, message));
            }

            if can_contain_heredoc(&node) && joined.contains("<<") {
                match heredocs_from_line(&joined) {
                    Err(message) => {
                        self.diagnostics.push(self.instruction_error(&node, keyword_start, end, message));
                    }
                    Ok(heredocs) => {
                        for mut heredoc in heredocs {
                            let mut terminated = false;
                            while i < self.lines.len() {
                                let (body_start, body_raw) = self.lines[i];
                                i += 1;
                                current_line += 1;
                                end = body_start + body_raw.len();
                                let mut candidate = trim_newline(body_raw);
                                if heredoc.chomp {
                                    candidate = candidate.trim_start_matches('\t');
                                }
                                if candidate == heredoc.name {
                                    terminated = true;
                                    break;
                                }
                                heredoc.content.push_str(body_raw);
                            }
                            if !terminated {
                                self.diagnostics.push(
                                    Diagnostic::error(
                                        Span::new(keyword_start, trim_end(self.source, end)),
                                        "unterminated heredoc",
                                    )
                                    .with_help(format!("end the here-document with a line that holds only `{}`", heredoc.name)),
                                );
                            }
                            node.heredocs.push(heredoc);
                        }
                    }
                }
            }

            node.span = Span::new(line_start, trim_end(self.source, end));
            node.start_line = start_line;
            node.end_line = current_line;
            node.comments = std::mem::take(&mut comments);
            self.out.instructions.push(node);
        }

        if self.out.instructions.is_empty() {
            let at = self.source.len();
            self.diagnostics.push(
                Diagnostic::error(Span::new(at, at), "file with no instructions")
                    .with_help("a Dockerfile starts with `FROM <image>`"),
            );
        }
        self.out.escape = self.escape;
        (self.out, self.diagnostics)
    }

    fn check_line_length(&mut self, start: usize, raw: &str) {
        if raw.len() > MAX_LINE_LEN + 1 || (raw.len() == MAX_LINE_LEN + 1 && !raw.ends_with('\n')) {
            self.diagnostics.push(Diagnostic::error(
                Span::new(start, start + trim_newline(raw).len().min(80)),
                format!("dockerfile line greater than max allowed size of {MAX_LINE_LEN}"),
            ));
        }
    }

    fn instruction_error(&self, node: &Node, keyword_start: usize, end: usize, message: String) -> Diagnostic {
        let start = if node.keyword_span.is_empty() { keyword_start } else { node.keyword_span.start };
        Diagnostic::error(Span::new(start, trim_end(self.source, end)), message)
    }

    /// `newNodeFromLine`: splits keyword, flags and arguments and dispatches on the keyword.
    fn node_from_line(&self, line: &str, map: &LineMap) -> Parsed {
        let trimmed = line.trim();
        let t0 = offset_in(line, trimmed);
        let (keyword, rest) = match trimmed.find(is_split_space) {
            Some(k) => (&trimmed[..k], Some(trimmed[k..].trim_start_matches(is_split_space))),
            None => (trimmed, None),
        };
        let mut node = Node {
            keyword: keyword.to_string(),
            keyword_span: map.span(t0, t0 + keyword.len()),
            original: line.to_string(),
            ..Node::default()
        };
        let mut args = "";
        if let Some(rest) = rest {
            let (remaining, flags) = extract_builder_flags(rest);
            node.flags = flags
                .into_iter()
                .map(|(text, s, e)| {
                    let base = offset_in(line, rest);
                    Flag { text, span: map.span(base + s, base + e) }
                })
                .collect();
            args = remaining.trim();
        }
        let args_at = offset_in(line, args);
        let span_of = |s: usize, e: usize| map.span(args_at + s, args_at + e);
        let whole = span_of(0, args.len());
        let word = |value: String, span: Span| Arg { value: ArgValue::Word(value), span };
        let mut error = None;
        match keyword.to_ascii_lowercase().as_str() {
            "add" | "copy" | "volume" => match parse_json(args) {
                Json::Array(items) => {
                    node.json = true;
                    node.args = items.into_iter().map(|v| word(v, whole)).collect();
                }
                Json::NotStrings => error = Some(NOT_STRING_ARRAY.to_string()),
                Json::Invalid => {
                    node.args = split_whitespace(args).into_iter().map(|(w, s, e)| word(w.to_string(), span_of(s, e))).collect()
                }
            },
            "run" | "cmd" | "entrypoint" | "shell" => {
                if !args.is_empty() {
                    match parse_json(args) {
                        Json::Array(items) => {
                            node.json = true;
                            node.args = items.into_iter().map(|v| word(v, whole)).collect();
                        }
                        Json::NotStrings => {
                            error = Some(NOT_STRING_ARRAY.to_string());
                            node.args = vec![word(args.to_string(), whole)];
                        }
                        Json::Invalid => node.args = vec![word(args.to_string(), whole)],
                    }
                }
            }
            "env" | "label" => {
                let key = keyword.to_ascii_uppercase();
                match parse_name_val(args, &key, self.escape) {
                    Ok(triples) => {
                        for (k, v, sep, s, e) in triples {
                            let span = span_of(s, e);
                            node.args.push(word(k, span));
                            node.args.push(word(v, span));
                            node.args.push(word(sep, span));
                        }
                    }
                    Err((message, words)) => {
                        error = Some(message);
                        node.args = words.into_iter().map(|(w, s, e)| word(w, span_of(s, e))).collect();
                    }
                }
            }
            "arg" => {
                node.args = parse_words(args, self.escape).into_iter().map(|(w, s, e)| word(w, span_of(s, e))).collect();
            }
            "from" | "expose" => {
                node.args = split_whitespace(args).into_iter().map(|(w, s, e)| word(w.to_string(), span_of(s, e))).collect();
            }
            "maintainer" | "user" | "workdir" | "stopsignal" => {
                if !args.is_empty() {
                    node.args = vec![word(args.to_string(), whole)];
                }
            }
            "healthcheck" => {
                let bytes = args.as_bytes();
                let sep = bytes.iter().position(|b| is_ascii_space(*b)).unwrap_or(bytes.len());
                let next = bytes[sep..].iter().position(|b| !is_ascii_space(*b)).map_or(bytes.len(), |p| sep + p);
                if sep > 0 {
                    node.args.push(word(args[..sep].to_string(), span_of(0, sep)));
                    let cmd = &args[next..];
                    if !cmd.is_empty() {
                        match parse_json(cmd) {
                            Json::Array(items) => {
                                node.json = true;
                                node.args.extend(items.into_iter().map(|v| word(v, span_of(next, args.len()))));
                            }
                            Json::NotStrings => error = Some(NOT_STRING_ARRAY.to_string()),
                            Json::Invalid => node.args.push(word(cmd.to_string(), span_of(next, args.len()))),
                        }
                    }
                }
            }
            "onbuild" => {
                if !args.is_empty() {
                    let mut sub_map = LineMap::default();
                    sub_map.push(0, map.source(args_at));
                    let sub = self.node_from_line(args, &sub_map);
                    error = sub.error;
                    node.args.push(Arg { value: ArgValue::Instruction(Box::new(sub.node)), span: whole });
                }
            }
            // Unknown keywords are kept with one empty argument; the instruction layer
            // rejects them with a suggestion.
            _ => node.args.push(word(String::new(), whole)),
        }
        Parsed { node, error }
    }
}

impl Diagnostic {
    pub(crate) fn with_rule(mut self, rule: &str) -> Diagnostic {
        self.rule = Some(rule.to_string());
        self
    }
}

/// The end of the content before `end`, without the final newline.
fn trim_end(source: &str, end: usize) -> usize {
    let mut e = end.min(source.len());
    let bytes = source.as_bytes();
    while e > 0 && matches!(bytes[e - 1], b'\n' | b'\r') {
        e -= 1;
    }
    e
}

pub(crate) const NOT_STRING_ARRAY: &str = "when using JSON array syntax, arrays must be comprised of strings only";

pub(crate) enum Json {
    Array(Vec<String>),
    NotStrings,
    Invalid,
}

/// `parseJSON`: a JSON array of strings, an array with other values (a hard error), or
/// anything else (the caller falls back to shell form).
pub(crate) fn parse_json(rest: &str) -> Json {
    let rest = rest.trim_start();
    if !rest.starts_with('[') {
        return Json::Invalid;
    }
    match serde_json::from_str::<Vec<serde_json::Value>>(rest) {
        Ok(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match item {
                    serde_json::Value::String(s) => out.push(s),
                    _ => return Json::NotStrings,
                }
            }
            Json::Array(out)
        }
        Err(_) => Json::Invalid,
    }
}

/// Splits on runs of `[\t\v\f\r ]`, returning words with their byte ranges.
fn split_whitespace(s: &str) -> Vec<(&str, usize, usize)> {
    let mut out = Vec::new();
    if s.is_empty() {
        return out;
    }
    let mut start = 0;
    let mut in_sep = false;
    for (i, c) in s.char_indices() {
        if is_split_space(c) {
            if !in_sep {
                out.push((&s[start..i], start, i));
                in_sep = true;
            }
        } else if in_sep {
            start = i;
            in_sep = false;
        }
    }
    if !in_sep {
        out.push((&s[start..], start, s.len()));
    } else {
        out.push(("", s.len(), s.len()));
    }
    out
}

/// `extractBuilderFlags`: takes leading `--flag` words off the arguments. Returns the rest
/// and each flag with its byte range in `line`.
fn extract_builder_flags(line: &str) -> (&str, Vec<(String, usize, usize)>) {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let bytes = line.as_bytes();
    let mut flags = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word: Vec<u8> = Vec::new();
    let mut word_start = 0;
    let mut quote = 0u8;
    let mut blank_ok = false;
    let mut pos = 0;
    let finish = |word: &mut Vec<u8>| String::from_utf8_lossy(&std::mem::take(word)).into_owned();
    while pos <= bytes.len() {
        let ch = bytes.get(pos).copied().unwrap_or(0);
        if phase == Phase::Spaces {
            if pos == bytes.len() {
                break;
            }
            if is_ascii_space(ch) {
                pos += 1;
                continue;
            }
            if ch != b'-' || bytes.get(pos + 1) != Some(&b'-') {
                return (&line[pos..], flags);
            }
            phase = Phase::Word;
            word_start = pos;
        }
        if pos == bytes.len() {
            if word != b"--" && (blank_ok || !word.is_empty()) {
                flags.push((finish(&mut word), word_start, pos));
            }
            break;
        }
        if phase == Phase::Word {
            if is_ascii_space(ch) {
                phase = Phase::Spaces;
                if word == b"--" {
                    return (&line[pos..], flags);
                }
                if blank_ok || !word.is_empty() {
                    flags.push((finish(&mut word), word_start, pos));
                }
                word.clear();
                blank_ok = false;
                pos += 1;
                continue;
            }
            if ch == b'\'' || ch == b'"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
                pos += 1;
                continue;
            }
            let mut c = ch;
            if c == b'\\' {
                if pos + 1 == bytes.len() {
                    pos += 1;
                    continue;
                }
                pos += 1;
                c = bytes[pos];
            }
            word.push(c);
            pos += 1;
            continue;
        }
        // Phase::Quote
        if ch == quote {
            phase = Phase::Word;
            pos += 1;
            continue;
        }
        let mut c = ch;
        if c == b'\\' {
            if pos + 1 == bytes.len() {
                phase = Phase::Word;
                pos += 1;
                continue;
            }
            pos += 1;
            c = bytes[pos];
        }
        word.push(c);
        pos += 1;
    }
    ("", flags)
}

/// `parseWords`: splits on whitespace, keeping quotes and escapes in the words.
pub fn parse_words(rest: &str, escape: char) -> Vec<(String, usize, usize)> {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote,
    }
    let chars: Vec<(usize, char)> = rest.char_indices().collect();
    let mut words = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word = String::new();
    let mut start = 0;
    let mut quote = '\0';
    let mut blank_ok = false;
    let mut i = 0;
    let end_of = |i: usize| chars.get(i).map_or(rest.len(), |(o, _)| *o);
    while i <= chars.len() {
        let ch = chars.get(i).map_or('\0', |(_, c)| *c);
        if phase == Phase::Spaces {
            if i == chars.len() {
                break;
            }
            if ch.is_whitespace() {
                i += 1;
                continue;
            }
            phase = Phase::Word;
            start = end_of(i);
        }
        if i == chars.len() {
            if blank_ok || !word.is_empty() {
                words.push((std::mem::take(&mut word), start, rest.len()));
            }
            break;
        }
        if phase == Phase::Word {
            if ch.is_whitespace() {
                phase = Phase::Spaces;
                if blank_ok || !word.is_empty() {
                    words.push((std::mem::take(&mut word), start, end_of(i)));
                }
                word.clear();
                blank_ok = false;
                i += 1;
                continue;
            }
            if ch == '\'' || ch == '"' {
                quote = ch;
                blank_ok = true;
                phase = Phase::Quote;
            }
            let mut c = ch;
            if ch == escape {
                if i + 1 == chars.len() {
                    i += 1;
                    continue;
                }
                word.push(ch);
                i += 1;
                c = chars[i].1;
            }
            word.push(c);
            i += 1;
            continue;
        }
        // Phase::Quote
        if ch == quote {
            phase = Phase::Word;
        }
        let mut c = ch;
        if ch == escape && quote != '\'' {
            if i + 1 == chars.len() {
                phase = Phase::Word;
                i += 1;
                continue;
            }
            i += 1;
            word.push(ch);
            c = chars[i].1;
        }
        word.push(c);
        i += 1;
    }
    words
}

type Triple = (String, String, String, usize, usize);
type NameValError = (String, Vec<(String, usize, usize)>);

/// `parseNameVal`: `KEY value` (legacy) or `k=v k2=v2` into (key, value, separator) triples.
fn parse_name_val(rest: &str, key: &str, escape: char) -> Result<Vec<Triple>, NameValError> {
    let words = parse_words(rest, escape);
    let Some(first) = words.first() else { return Ok(Vec::new()) };
    if !first.0.contains('=') {
        let Some(k) = rest.find(is_split_space) else {
            return Err((format!("{key} must have two arguments"), words));
        };
        let value = rest[k..].trim_start_matches(is_split_space);
        return Ok(vec![(rest[..k].to_string(), value.to_string(), String::new(), 0, rest.len())]);
    }
    let mut out = Vec::new();
    for (word, s, e) in &words {
        let Some((k, v)) = word.split_once('=') else {
            return Err((
                format!(
                    "Syntax error - can't find = in {}. Must be of the form: name=value",
                    super::dump::go_quote(word)
                ),
                words.clone(),
            ));
        };
        out.push((k.to_string(), v.to_string(), "=".to_string(), *s, *e));
    }
    Ok(out)
}

fn can_contain_heredoc(node: &Node) -> bool {
    let node = if node.keyword.eq_ignore_ascii_case("onbuild") {
        match node.sub_instruction() {
            Some(sub) => sub,
            None => node,
        }
    } else {
        node
    };
    let k = node.keyword.to_ascii_lowercase();
    matches!(k.as_str(), "add" | "copy" | "run") && !node.json
}

/// `ParseHeredoc`: `[fd]<<[-]WORD` into a heredoc, `Ok(None)` when the word is not one.
pub fn parse_heredoc(src: &str) -> Result<Option<Heredoc>, String> {
    let digits = src.bytes().take_while(u8::is_ascii_digit).count();
    let Some(after) = src[digits..].strip_prefix("<<") else { return Ok(None) };
    let (chomp, rest) = match after.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, after),
    };
    if rest.is_empty() || rest.contains('<') {
        return Ok(None);
    }
    let fd = src[..digits].parse::<u32>().unwrap_or(0);
    let mut lexer = Lexer::new('\\');
    lexer.skip_unset_env = true;
    let words = lexer.expand_words(rest, &NoEnv).map_err(|e| e.to_string())?;
    if words.len() != 1 {
        return Ok(None);
    }
    lexer.raw_quotes = true;
    let raw = lexer.expand_words(rest, &NoEnv).map_err(|e| e.to_string())?;
    if raw.len() != words.len() {
        return Err(format!("internal lexing of heredoc produced inconsistent results: {rest}"));
    }
    let quotes = |s: &str| s.matches(['\'', '"']).count();
    let expand = quotes(&words[0]) == quotes(&raw[0]);
    Ok(Some(Heredoc { name: words[0].clone(), file_descriptor: fd, expand, chomp, content: String::new() }))
}

/// `heredocsFromLine`: the heredocs an instruction line opens, in order.
pub fn heredocs_from_line(line: &str) -> Result<Vec<Heredoc>, String> {
    let mut lexer = Lexer::new('\\');
    lexer.raw_quotes = true;
    lexer.raw_escapes = true;
    lexer.skip_unset_env = true;
    let words = lexer.expand_words(line, &NoEnv).unwrap_or_default();
    let mut docs = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let word = &words[i];
        let bare = word.trim_start_matches(|c: char| c.is_ascii_digit());
        // `<< EOF` and `<<- EOF`: the delimiter is the next word.
        if (bare == "<<" || bare == "<<-") && i + 1 < words.len() {
            if let Some(doc) = parse_heredoc(&format!("{word} {}", words[i + 1]))? {
                docs.push(doc);
                i += 2;
                continue;
            }
        }
        if let Some(doc) = parse_heredoc(word)? {
            docs.push(doc);
        }
        i += 1;
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_words() {
        let (rest, flags) = extract_builder_flags("--from=build --chown=\"a b\" src dst");
        assert_eq!(rest, "src dst");
        let texts: Vec<_> = flags.iter().map(|f| f.0.as_str()).collect();
        assert_eq!(texts, ["--from=build", "--chown=a b"]);
        let words: Vec<_> = parse_words("a=\"1 2\" b", '\\').into_iter().map(|w| w.0).collect();
        assert_eq!(words, ["a=\"1 2\"", "b"]);
    }

    #[test]
    fn spans_point_into_the_source() {
        let src = "FROM alpine\nRUN echo \\\n  hi\nCOPY --from=a x y\n";
        let (df, diags) = parse(src);
        assert!(diags.is_empty(), "{diags:?}");
        let copy = &df.instructions[2];
        assert_eq!(&src[copy.keyword_span.start..copy.keyword_span.end], "COPY");
        assert_eq!(&src[copy.flags[0].span.start..copy.flags[0].span.end], "--from=a");
        assert_eq!(&src[copy.args[1].span.start..copy.args[1].span.end], "y");
        assert_eq!(df.instructions[1].end_line, 3);
    }
}
