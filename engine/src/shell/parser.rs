//! A recursive-descent parser for POSIX sh (as dash reads it) plus the bash features
//! course material uses (`[[ ]]`, `$'…'`, `function f`, `<<<`, `&>`, `${v/a/b}`).

use super::ast::*;

/// A syntax error, worded as dash words them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub line: usize,
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Syntax error: {}", self.message)
    }
}

type PResult<T> = Result<T, ParseError>;

/// Parses a whole script.
pub fn parse(source: &str) -> PResult<Script> {
    parse_nested(source, 0)
}

/// How deeply commands, substitutions and `${…}` may nest in one script. Real scripts
/// stay below 20; the limit keeps the parser (and the interpreter walking its tree) well
/// inside a browser tab's 1 MiB stack, where 100,000 nested `{` would otherwise trap.
pub const MAX_NESTING: u32 = 200;

/// [`parse`] for source nested `depth` levels inside another (backquotes).
fn parse_nested(source: &str, depth: u32) -> PResult<Script> {
    let mut p = Parser { s: source.chars().collect(), pos: 0, line: 1, pending: Vec::new(), bodies: Vec::new(), depth, heredoc_open: false };
    let script = p.script(&[])?;
    p.skip_blanks();
    if p.pos < p.s.len() {
        let tok = p.describe_here();
        return Err(p.err(format!("{tok} unexpected")));
    }
    if !p.pending.is_empty() {
        p.read_heredoc_bodies()?;
    }
    let mut script = script;
    let mut bodies = std::mem::take(&mut p.bodies).into_iter();
    fill_heredocs_script(&mut script, &mut bodies);
    Ok(script)
}

struct Pending {
    delimiter: String,
    strip_tabs: bool,
}

struct Parser {
    s: Vec<char>,
    pos: usize,
    line: usize,
    pending: Vec<Pending>,
    bodies: Vec<String>,
    /// Nesting so far (see [`MAX_NESTING`]).
    depth: u32,
    /// A here-document ran to the end of the source without its delimiter.
    heredoc_open: bool,
}

/// Whether a command typed at a terminal goes on past what was typed so far, where an
/// interactive shell prints `> ` and reads the next line: an open quote or here-document,
/// a `\` ending the line, an operator that wants more (`|`, `&&`), a compound command not
/// closed. A syntax error before the end is not: it is reported at once.
pub fn needs_more(source: &str) -> bool {
    let last = source.trim_end_matches('\n').rsplit('\n').next().unwrap_or("");
    if !source.ends_with('\n') && last.chars().rev().take_while(|c| *c == '\\').count() % 2 == 1 {
        return true;
    }
    let mut p = Parser { s: source.chars().collect(), pos: 0, line: 1, pending: Vec::new(), bodies: Vec::new(), depth: 0, heredoc_open: false };
    let parsed = p.script(&[]).and_then(|_| {
        p.skip_blanks();
        if p.pos < p.s.len() {
            return Err(p.err("unexpected"));
        }
        if !p.pending.is_empty() {
            p.read_heredoc_bodies()?;
        }
        Ok(())
    });
    match parsed {
        Ok(()) => p.heredoc_open,
        Err(_) => p.pos >= p.s.len(),
    }
}

const RESERVED_END: &[&str] = &["then", "else", "elif", "fi", "do", "done", "esac", "}", ")", ";;", "in"];

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn is_word_end(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | ';' | '&' | '|' | '(' | ')' | '<' | '>')
}

impl Parser {
    fn err(&self, message: impl Into<String>) -> ParseError {
        ParseError { message: message.into(), line: self.line }
    }

    fn peek(&self) -> Option<char> {
        self.s.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<char> {
        self.s.get(self.pos + n).copied()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += 1;
        if c == '\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn starts_with(&self, text: &str) -> bool {
        text.chars().enumerate().all(|(i, c)| self.peek_at(i) == Some(c))
    }

    /// Skips blanks, line continuations and comments (not newlines).
    fn skip_blanks(&mut self) {
        loop {
            match self.peek() {
                Some(' ' | '\t' | '\r') => {
                    self.bump();
                }
                Some('\\') if self.peek_at(1) == Some('\n') => {
                    self.bump();
                    self.bump();
                }
                Some('#') => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                }
                _ => return,
            }
        }
    }

    /// Consumes one newline, then any here-document bodies that are due.
    fn newline(&mut self) -> PResult<()> {
        self.bump();
        if !self.pending.is_empty() {
            self.read_heredoc_bodies()?;
        }
        Ok(())
    }

    fn linebreak(&mut self) -> PResult<()> {
        loop {
            self.skip_blanks();
            if self.peek() == Some('\n') {
                self.newline()?;
            } else {
                return Ok(());
            }
        }
    }

    fn read_heredoc_bodies(&mut self) -> PResult<()> {
        for pending in std::mem::take(&mut self.pending) {
            let mut body = String::new();
            let mut found = false;
            while self.pos < self.s.len() {
                let mut line = String::new();
                while let Some(c) = self.peek() {
                    self.bump();
                    if c == '\n' {
                        break;
                    }
                    line.push(c);
                }
                let check = if pending.strip_tabs { line.trim_start_matches('\t') } else { line.as_str() };
                if check == pending.delimiter {
                    found = true;
                    break;
                }
                body.push_str(if pending.strip_tabs { line.trim_start_matches('\t') } else { &line });
                body.push('\n');
            }
            // dash accepts a here-document that ends at end of file; a terminal reads on.
            self.heredoc_open |= !found;
            self.bodies.push(body);
        }
        Ok(())
    }

    /// The reserved word at the cursor, if the next token is one.
    fn reserved_word(&self) -> Option<&'static str> {
        const WORDS: &[&str] = &["if", "then", "else", "elif", "fi", "do", "done", "case", "esac", "while", "until", "for", "in", "function", "{", "}", "!", "[["];
        for w in WORDS {
            if self.starts_with(w) {
                let next = self.peek_at(w.chars().count());
                if next.is_none_or(is_word_end) {
                    return Some(w);
                }
            }
        }
        None
    }

    fn at_terminator(&self, terminators: &[&str]) -> bool {
        if self.pos >= self.s.len() {
            return true;
        }
        if self.starts_with(";;") || self.peek() == Some(')') {
            return true;
        }
        match self.reserved_word() {
            Some(w) => RESERVED_END.contains(&w) || terminators.contains(&w),
            None => false,
        }
    }

    fn describe_here(&self) -> String {
        if self.pos >= self.s.len() {
            return "end of file".into();
        }
        if let Some(w) = self.reserved_word() {
            return format!("\"{w}\"");
        }
        let tok: String = self.s[self.pos..].iter().take_while(|c| !c.is_whitespace()).take(2).collect();
        format!("\"{tok}\"")
    }

    fn expect_word(&mut self, word: &str) -> PResult<()> {
        self.linebreak()?;
        if self.reserved_word() == Some(word) || (word == ")" && self.peek() == Some(')')) {
            for _ in 0..word.chars().count() {
                self.bump();
            }
            Ok(())
        } else {
            let found = self.describe_here();
            Err(self.err(format!("{found} unexpected (expecting \"{word}\")")))
        }
    }

    /// Enters one more level of nesting, or fails past [`MAX_NESTING`].
    fn nest(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING || crate::stack::exhausted() {
            return Err(self.err("nested too deeply"));
        }
        Ok(())
    }

    fn script(&mut self, terminators: &[&str]) -> PResult<Script> {
        self.nest()?;
        let script = self.script_items(terminators);
        self.depth -= 1;
        script
    }

    fn script_items(&mut self, terminators: &[&str]) -> PResult<Script> {
        let mut items = Vec::new();
        loop {
            self.linebreak()?;
            if self.at_terminator(terminators) {
                return Ok(Script { items });
            }
            let mut and_or = self.and_or()?;
            self.skip_blanks();
            match self.peek() {
                Some(';') if self.peek_at(1) != Some(';') => {
                    self.bump();
                }
                Some('&') => {
                    self.bump();
                    and_or.background = true;
                }
                Some('\n') => self.newline()?,
                _ => {
                    items.push(and_or);
                    if self.at_terminator(terminators) {
                        return Ok(Script { items });
                    }
                    let found = self.describe_here();
                    return Err(self.err(format!("{found} unexpected")));
                }
            }
            items.push(and_or);
        }
    }

    fn and_or(&mut self) -> PResult<AndOr> {
        let first = self.pipeline()?;
        let mut rest = Vec::new();
        loop {
            self.skip_blanks();
            let connector = if self.starts_with("&&") {
                Connector::And
            } else if self.starts_with("||") {
                Connector::Or
            } else {
                break;
            };
            self.bump();
            self.bump();
            self.linebreak()?;
            rest.push((connector, self.pipeline()?));
        }
        Ok(AndOr { first, rest, background: false })
    }

    fn pipeline(&mut self) -> PResult<Pipeline> {
        self.skip_blanks();
        let mut negate = false;
        if self.reserved_word() == Some("!") {
            self.bump();
            negate = true;
        }
        let mut commands = vec![self.command()?];
        loop {
            self.skip_blanks();
            if self.peek() == Some('|') && self.peek_at(1) != Some('|') {
                self.bump();
                self.linebreak()?;
                commands.push(self.command()?);
            } else {
                break;
            }
        }
        Ok(Pipeline { negate, commands })
    }

    fn redirects(&mut self) -> PResult<Vec<Redirect>> {
        let mut out = Vec::new();
        loop {
            self.skip_blanks();
            match self.redirect()? {
                Some(r) => out.extend(r),
                None => return Ok(out),
            }
        }
    }

    fn command(&mut self) -> PResult<Command> {
        self.skip_blanks();
        let line = self.line;
        match self.reserved_word() {
            Some("if") => {
                self.pos += 2;
                let mut branches = Vec::new();
                let cond = self.script(&["then"])?;
                self.expect_word("then")?;
                let body = self.script(&["elif", "else", "fi"])?;
                branches.push((cond, body));
                let mut otherwise = None;
                loop {
                    self.linebreak()?;
                    match self.reserved_word() {
                        Some("elif") => {
                            self.pos += 4;
                            let cond = self.script(&["then"])?;
                            self.expect_word("then")?;
                            let body = self.script(&["elif", "else", "fi"])?;
                            branches.push((cond, body));
                        }
                        Some("else") => {
                            self.pos += 4;
                            otherwise = Some(self.script(&["fi"])?);
                        }
                        _ => break,
                    }
                }
                self.expect_word("fi")?;
                let redirects = self.redirects()?;
                Ok(Command::If { branches, otherwise, redirects })
            }
            Some(w @ ("while" | "until")) => {
                self.pos += w.len();
                let condition = self.script(&["do"])?;
                self.expect_word("do")?;
                let body = self.script(&["done"])?;
                self.expect_word("done")?;
                let redirects = self.redirects()?;
                Ok(Command::While { condition, body, until: w == "until", redirects })
            }
            Some("for") => {
                self.pos += 3;
                self.skip_blanks();
                let var = self.name().ok_or_else(|| self.err("Bad for loop variable"))?;
                self.skip_blanks();
                let mut items = None;
                // `for x in a b c` or `for x` (the positional parameters), then `;`/newline.
                let save = (self.pos, self.line);
                self.linebreak()?;
                if self.reserved_word() == Some("in") {
                    self.pos += 2;
                    let mut words = Vec::new();
                    loop {
                        self.skip_blanks();
                        if matches!(self.peek(), Some(';' | '\n') | None) {
                            break;
                        }
                        match self.word()? {
                            Some(w) => words.push(w),
                            None => break,
                        }
                    }
                    items = Some(words);
                } else {
                    self.pos = save.0;
                    self.line = save.1;
                }
                self.skip_blanks();
                if self.peek() == Some(';') {
                    self.bump();
                }
                self.expect_word("do")?;
                let body = self.script(&["done"])?;
                self.expect_word("done")?;
                let redirects = self.redirects()?;
                Ok(Command::For { var, items, body, redirects })
            }
            Some("case") => {
                self.pos += 4;
                self.skip_blanks();
                let word = self.word()?.ok_or_else(|| self.err("expecting word after case"))?;
                self.expect_word("in")?;
                let mut items = Vec::new();
                loop {
                    self.linebreak()?;
                    if self.reserved_word() == Some("esac") {
                        break;
                    }
                    if self.pos >= self.s.len() {
                        return Err(self.err("end of file unexpected (expecting \"esac\")"));
                    }
                    if self.peek() == Some('(') {
                        self.bump();
                    }
                    let mut patterns = Vec::new();
                    loop {
                        self.skip_blanks();
                        let w = self.word()?.ok_or_else(|| self.err(format!("{} unexpected", self.describe_here())))?;
                        patterns.push(w);
                        self.skip_blanks();
                        match self.peek() {
                            Some('|') => {
                                self.bump();
                            }
                            Some(')') => {
                                self.bump();
                                break;
                            }
                            _ => return Err(self.err(format!("{} unexpected (expecting \")\")", self.describe_here()))),
                        }
                    }
                    let body = self.script(&["esac"])?;
                    items.push(CaseItem { patterns, body });
                    self.linebreak()?;
                    if self.starts_with(";;") {
                        self.pos += 2;
                    } else if self.reserved_word() != Some("esac") {
                        return Err(self.err(format!("{} unexpected (expecting \";;\")", self.describe_here())));
                    }
                }
                self.expect_word("esac")?;
                let redirects = self.redirects()?;
                Ok(Command::Case { word, items, redirects })
            }
            Some("{") => {
                self.pos += 1;
                let body = self.script(&["}"])?;
                self.expect_word("}")?;
                let redirects = self.redirects()?;
                Ok(Command::Group { body, redirects })
            }
            Some("function") => {
                self.pos += 8;
                self.skip_blanks();
                let name = self.name().ok_or_else(|| self.err("Bad function name"))?;
                self.skip_blanks();
                if self.starts_with("()") {
                    self.pos += 2;
                }
                self.linebreak()?;
                let body = self.command()?;
                Ok(Command::Function { name, body: Box::new(body) })
            }
            Some("[[") => {
                self.pos += 2;
                let mut words = Vec::new();
                loop {
                    self.skip_blanks();
                    if self.starts_with("]]") && self.peek_at(2).is_none_or(is_word_end) {
                        self.pos += 2;
                        break;
                    }
                    if self.pos >= self.s.len() || self.peek() == Some('\n') {
                        return Err(self.err("end of file unexpected (expecting \"]]\")"));
                    }
                    let op = ["&&", "||", "==", "!=", "=~", "<", ">", "(", ")", "!"].into_iter().find(|op| self.starts_with(op));
                    match op {
                        Some(op) if !matches!(op, "==" | "!=" | "=~" | "!") || self.peek_at(op.len()).is_none_or(|c| c == ' ') => {
                            self.pos += op.len();
                            words.push(vec![WordPart::Quoted(op.to_string())]);
                        }
                        _ => match self.word()? {
                            Some(w) => words.push(w),
                            None => return Err(self.err(format!("{} unexpected", self.describe_here()))),
                        },
                    }
                }
                Ok(Command::Test { words, line })
            }
            Some(w) if RESERVED_END.contains(&w) || w == "!" => Err(self.err(format!("\"{w}\" unexpected"))),
            _ => {
                if self.peek() == Some('(') {
                    self.bump();
                    let body = self.script(&[])?;
                    self.expect_word(")")?;
                    let redirects = self.redirects()?;
                    return Ok(Command::Subshell { body, redirects });
                }
                self.simple_command(line)
            }
        }
    }

    fn name(&mut self) -> Option<String> {
        if !self.peek().is_some_and(is_name_start) {
            return None;
        }
        let mut n = String::new();
        while let Some(c) = self.peek().filter(|c| is_name_char(*c)) {
            n.push(c);
            self.bump();
        }
        Some(n)
    }

    fn simple_command(&mut self, line: usize) -> PResult<Command> {
        let mut assignments = Vec::new();
        let mut words: Vec<Word> = Vec::new();
        let mut redirects = Vec::new();
        loop {
            self.skip_blanks();
            if let Some(r) = self.redirect()? {
                redirects.extend(r);
                continue;
            }
            match self.peek() {
                None | Some('\n' | ';' | '&' | '|' | ')') => break,
                Some('(') if words.len() == 1 && assignments.is_empty() => {
                    // `name() { …; }`
                    let name = match words[0].as_slice() {
                        [WordPart::Literal(n)] if n.chars().next().is_some_and(is_name_start) => n.clone(),
                        _ => return Err(self.err("\"(\" unexpected")),
                    };
                    self.bump();
                    self.skip_blanks();
                    if self.peek() != Some(')') {
                        return Err(self.err(format!("{} unexpected (expecting \")\")", self.describe_here())));
                    }
                    self.bump();
                    self.linebreak()?;
                    let body = self.command()?;
                    return Ok(Command::Function { name, body: Box::new(body) });
                }
                Some('(') => return Err(self.err("\"(\" unexpected")),
                _ => {}
            }
            let start = self.pos;
            let Some(word) = self.word()? else { break };
            if words.is_empty() {
                if let Some(a) = assignment(&self.s[start..self.pos], &word) {
                    assignments.push(a);
                    continue;
                }
            }
            words.push(word);
        }
        if words.is_empty() && assignments.is_empty() && redirects.is_empty() {
            let found = self.describe_here();
            return Err(self.err(format!("{found} unexpected")));
        }
        Ok(Command::Simple { assignments, words, redirects, line })
    }

    /// A redirection at the cursor, if there is one. `&>file` gives two.
    fn redirect(&mut self) -> PResult<Option<Vec<Redirect>>> {
        let save = (self.pos, self.line);
        let mut digits = String::new();
        while let Some(c) = self.peek().filter(char::is_ascii_digit) {
            digits.push(c);
            self.bump();
        }
        let c = self.peek();
        if !(matches!(c, Some('<' | '>')) || digits.is_empty() && self.starts_with("&>")) {
            self.pos = save.0;
            self.line = save.1;
            return Ok(None);
        }
        if digits.is_empty() && self.starts_with("&>") {
            self.pos += 2;
            let append = self.peek() == Some('>');
            if append {
                self.bump();
            }
            self.skip_blanks();
            let target = self.word()?.ok_or_else(|| self.err("missing redirection target"))?;
            let kind = if append { RedirectKind::Append } else { RedirectKind::Output };
            return Ok(Some(vec![
                Redirect { fd: 1, kind, target },
                Redirect { fd: 2, kind: RedirectKind::Dup, target: vec![WordPart::Literal("1".into())] },
            ]));
        }
        let (kind, default_fd, len) = if self.starts_with("<<<") {
            (RedirectKind::HereString, 0, 3)
        } else if self.starts_with("<<-") {
            (RedirectKind::HereDoc { body: String::new(), expand: true }, 0, 3)
        } else if self.starts_with("<<") {
            (RedirectKind::HereDoc { body: String::new(), expand: true }, 0, 2)
        } else if self.starts_with("<&") {
            (RedirectKind::Dup, 0, 2)
        } else if self.starts_with("<>") {
            (RedirectKind::ReadWrite, 0, 2)
        } else if self.starts_with("<") {
            (RedirectKind::Input, 0, 1)
        } else if self.starts_with(">>") {
            (RedirectKind::Append, 1, 2)
        } else if self.starts_with(">&") {
            (RedirectKind::Dup, 1, 2)
        } else if self.starts_with(">|") {
            (RedirectKind::Output, 1, 2)
        } else {
            (RedirectKind::Output, 1, 1)
        };
        let strip_tabs = self.starts_with("<<-");
        self.pos += len;
        let fd = digits.parse().unwrap_or(default_fd);
        self.skip_blanks();
        if let RedirectKind::HereDoc { .. } = kind {
            // The delimiter: quotes anywhere in it mean the body is taken literally.
            let mut raw = String::new();
            while let Some(c) = self.peek().filter(|c| !is_word_end(*c)) {
                raw.push(c);
                self.bump();
            }
            if raw.is_empty() {
                return Err(self.err(format!("{} unexpected", self.describe_here())));
            }
            let expand = !raw.contains(['\'', '"', '\\']);
            let delimiter: String = raw.chars().filter(|c| !matches!(c, '\'' | '"' | '\\')).collect();
            self.pending.push(Pending { delimiter, strip_tabs });
            return Ok(Some(vec![Redirect { fd, kind: RedirectKind::HereDoc { body: String::new(), expand }, target: Vec::new() }]));
        }
        let target = match self.word()? {
            Some(w) => w,
            None => return Err(self.err(format!("{} unexpected", self.describe_here()))),
        };
        Ok(Some(vec![Redirect { fd, kind, target }]))
    }

    /// Reads one word, or `None` at an operator or the end.
    fn word(&mut self) -> PResult<Option<Word>> {
        let mut parts: Vec<WordPart> = Vec::new();
        let mut literal = String::new();
        let start = self.pos;
        let flush = |literal: &mut String, parts: &mut Vec<WordPart>| {
            if !literal.is_empty() {
                parts.push(WordPart::Literal(std::mem::take(literal)));
            }
        };
        if self.peek() == Some('~') {
            self.bump();
            let mut user = String::new();
            while let Some(c) = self.peek().filter(|c| !is_word_end(*c) && *c != '/') {
                if !(is_name_char(c) || c == '-' || c == '.') {
                    break;
                }
                user.push(c);
                self.bump();
            }
            if self.peek().is_none_or(|c| is_word_end(c) || c == '/') {
                parts.push(WordPart::Tilde(user));
            } else {
                literal.push('~');
                literal.push_str(&user);
            }
        }
        while let Some(c) = self.peek() {
            match c {
                c if is_word_end(c) => break,
                '\\' => {
                    self.bump();
                    match self.bump() {
                        Some('\n') => {}
                        Some(e) => {
                            flush(&mut literal, &mut parts);
                            parts.push(WordPart::Quoted(e.to_string()));
                        }
                        None => literal.push('\\'),
                    }
                }
                '\'' => {
                    self.bump();
                    let mut q = String::new();
                    loop {
                        match self.bump() {
                            Some('\'') => break,
                            Some(c) => q.push(c),
                            None => return Err(self.err("Unterminated quoted string")),
                        }
                    }
                    flush(&mut literal, &mut parts);
                    parts.push(WordPart::Quoted(q));
                }
                '"' => {
                    self.bump();
                    flush(&mut literal, &mut parts);
                    let inner = self.double_quoted()?;
                    parts.push(WordPart::DoubleQuoted(inner));
                }
                '$' if self.peek_at(1) == Some('\'') => {
                    self.pos += 2;
                    flush(&mut literal, &mut parts);
                    parts.push(WordPart::Quoted(self.ansi_c()?));
                }
                '$' => {
                    match self.dollar()? {
                        Some(part) => {
                            flush(&mut literal, &mut parts);
                            parts.push(part);
                        }
                        None => literal.push('$'),
                    }
                }
                '`' => {
                    flush(&mut literal, &mut parts);
                    parts.push(self.backquote()?);
                }
                _ => {
                    literal.push(c);
                    self.bump();
                }
            }
        }
        flush(&mut literal, &mut parts);
        if self.pos == start {
            return Ok(None);
        }
        if parts.is_empty() {
            // `""` is an empty word.
            parts.push(WordPart::Quoted(String::new()));
        }
        Ok(Some(parts))
    }

    fn double_quoted(&mut self) -> PResult<Vec<WordPart>> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        loop {
            let Some(c) = self.peek() else { return Err(self.err("Unterminated quoted string")) };
            match c {
                '"' => {
                    self.bump();
                    break;
                }
                '\\' => {
                    self.bump();
                    match self.bump() {
                        Some(e @ ('$' | '`' | '"' | '\\')) => literal.push(e),
                        Some('\n') => {}
                        Some(e) => {
                            literal.push('\\');
                            literal.push(e);
                        }
                        None => return Err(self.err("Unterminated quoted string")),
                    }
                }
                '$' => match self.dollar()? {
                    Some(part) => {
                        if !literal.is_empty() {
                            parts.push(WordPart::Literal(std::mem::take(&mut literal)));
                        }
                        parts.push(part);
                    }
                    None => literal.push('$'),
                },
                '`' => {
                    if !literal.is_empty() {
                        parts.push(WordPart::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(self.backquote()?);
                }
                c => {
                    literal.push(c);
                    self.bump();
                }
            }
        }
        if !literal.is_empty() {
            parts.push(WordPart::Literal(literal));
        }
        Ok(parts)
    }

    fn ansi_c(&mut self) -> PResult<String> {
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err(self.err("Unterminated quoted string")),
                Some('\'') => return Ok(out),
                Some('\\') => match self.bump() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some('r') => out.push('\r'),
                    Some('a') => out.push('\x07'),
                    Some('b') => out.push('\x08'),
                    Some('e' | 'E') => out.push('\x1b'),
                    Some('f') => out.push('\x0c'),
                    Some('v') => out.push('\x0b'),
                    Some('0') => out.push('\0'),
                    Some('x') => {
                        let mut hex = String::new();
                        while hex.len() < 2 && self.peek().is_some_and(|c| c.is_ascii_hexdigit()) {
                            hex.extend(self.bump());
                        }
                        out.extend(u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32));
                    }
                    Some(c) => out.push(c),
                    None => return Err(self.err("Unterminated quoted string")),
                },
                Some(c) => out.push(c),
            }
        }
    }

    fn backquote(&mut self) -> PResult<WordPart> {
        self.bump();
        let mut inner = String::new();
        loop {
            match self.bump() {
                None => return Err(self.err("EOF in backquote substitution")),
                Some('`') => break,
                Some('\\') => match self.bump() {
                    Some(c @ ('$' | '`' | '\\')) => inner.push(c),
                    Some(c) => {
                        inner.push('\\');
                        inner.push(c);
                    }
                    None => return Err(self.err("EOF in backquote substitution")),
                },
                Some(c) => inner.push(c),
            }
        }
        let script = parse_nested(&inner, self.depth + 1).map_err(|e| ParseError { line: self.line, ..e })?;
        Ok(WordPart::Command(Box::new(script)))
    }

    /// `$…` at the cursor; `None` for a lone `$`.
    fn dollar(&mut self) -> PResult<Option<WordPart>> {
        self.nest()?;
        let part = self.dollar_part();
        self.depth -= 1;
        part
    }

    fn dollar_part(&mut self) -> PResult<Option<WordPart>> {
        self.bump();
        match self.peek() {
            Some('(') if self.peek_at(1) == Some('(') => {
                self.pos += 2;
                let mut depth = 0;
                let mut expr = String::new();
                loop {
                    match self.bump() {
                        None => return Err(self.err("end of file unexpected (expecting \"))\")")),
                        Some('(') => {
                            depth += 1;
                            expr.push('(');
                        }
                        Some(')') if depth == 0 && self.peek() == Some(')') => {
                            self.bump();
                            break;
                        }
                        Some(')') => {
                            depth -= 1;
                            expr.push(')');
                        }
                        Some(c) => expr.push(c),
                    }
                }
                Ok(Some(WordPart::Arith(expr)))
            }
            Some('(') => {
                self.bump();
                let script = self.script(&[])?;
                self.linebreak()?;
                if self.peek() != Some(')') {
                    return Err(self.err(format!("{} unexpected (expecting \")\")", self.describe_here())));
                }
                self.bump();
                Ok(Some(WordPart::Command(Box::new(script))))
            }
            Some('{') => {
                self.bump();
                Ok(Some(WordPart::Param(self.braced_param()?)))
            }
            Some(c) if is_name_start(c) => {
                let name = self.name().unwrap_or_default();
                Ok(Some(WordPart::Param(Param { name, op: ParamOp::Plain })))
            }
            Some(c) if c.is_ascii_digit() || matches!(c, '@' | '*' | '#' | '?' | '-' | '$' | '!') => {
                self.bump();
                Ok(Some(WordPart::Param(Param { name: c.to_string(), op: ParamOp::Plain })))
            }
            _ => Ok(None),
        }
    }

    fn braced_param(&mut self) -> PResult<Param> {
        let bad = |p: &Parser| p.err("Bad substitution");
        if self.peek() == Some('#') && self.peek_at(1).is_some_and(|c| c != '}') {
            self.bump();
            let name = self.param_name().ok_or_else(|| bad(self))?;
            if self.bump() != Some('}') {
                return Err(bad(self));
            }
            return Ok(Param { name, op: ParamOp::Length });
        }
        let name = self.param_name().ok_or_else(|| bad(self))?;
        let colon = self.peek() == Some(':');
        if colon {
            self.bump();
        }
        let op = match self.bump() {
            Some('}') if !colon => return Ok(Param { name, op: ParamOp::Plain }),
            Some(c @ ('-' | '=' | '?' | '+')) => {
                let word = self.param_word()?;
                match c {
                    '-' => ParamOp::Default { colon, word },
                    '=' => ParamOp::Assign { colon, word },
                    '?' => ParamOp::Error { colon, word },
                    _ => ParamOp::Alternative { colon, word },
                }
            }
            Some(c @ ('#' | '%')) if !colon => {
                let longest = self.peek() == Some(c);
                if longest {
                    self.bump();
                }
                let pattern = self.param_word()?;
                if c == '#' {
                    ParamOp::RemovePrefix { longest, pattern }
                } else {
                    ParamOp::RemoveSuffix { longest, pattern }
                }
            }
            Some('/') if !colon => {
                let all = self.peek() == Some('/');
                if all {
                    self.bump();
                }
                let pattern = self.param_word_until(&['/', '}'])?;
                let replacement = if self.s.get(self.pos.wrapping_sub(1)) == Some(&'/') { self.param_word()? } else { Vec::new() };
                ParamOp::Replace { all, pattern, replacement }
            }
            _ => return Err(bad(self)),
        };
        Ok(Param { name, op })
    }

    fn param_name(&mut self) -> Option<String> {
        match self.peek()? {
            c if is_name_start(c) => self.name(),
            c if c.is_ascii_digit() => {
                let mut n = String::new();
                while let Some(d) = self.peek().filter(char::is_ascii_digit) {
                    n.push(d);
                    self.bump();
                }
                Some(n)
            }
            c @ ('@' | '*' | '#' | '?' | '-' | '$' | '!') => {
                self.bump();
                Some(c.to_string())
            }
            _ => None,
        }
    }

    /// The word inside `${name-…}`, up to the closing brace.
    fn param_word(&mut self) -> PResult<Word> {
        self.param_word_until(&['}'])
    }

    fn param_word_until(&mut self, stops: &[char]) -> PResult<Word> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut depth = 0;
        loop {
            let Some(c) = self.peek() else { return Err(self.err("Missing '}'")) };
            if stops.contains(&c) && depth == 0 {
                self.bump();
                break;
            }
            match c {
                '{' => {
                    depth += 1;
                    literal.push(c);
                    self.bump();
                }
                '}' => {
                    depth -= 1;
                    literal.push(c);
                    self.bump();
                }
                '\\' => {
                    self.bump();
                    if let Some(e) = self.bump() {
                        if !literal.is_empty() {
                            parts.push(WordPart::Literal(std::mem::take(&mut literal)));
                        }
                        parts.push(WordPart::Quoted(e.to_string()));
                    }
                }
                '\'' => {
                    self.bump();
                    let mut q = String::new();
                    loop {
                        match self.bump() {
                            Some('\'') => break,
                            Some(c) => q.push(c),
                            None => return Err(self.err("Unterminated quoted string")),
                        }
                    }
                    if !literal.is_empty() {
                        parts.push(WordPart::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(WordPart::Quoted(q));
                }
                '"' => {
                    self.bump();
                    if !literal.is_empty() {
                        parts.push(WordPart::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(WordPart::DoubleQuoted(self.double_quoted()?));
                }
                '$' => match self.dollar()? {
                    Some(p) => {
                        if !literal.is_empty() {
                            parts.push(WordPart::Literal(std::mem::take(&mut literal)));
                        }
                        parts.push(p);
                    }
                    None => literal.push('$'),
                },
                '`' => {
                    if !literal.is_empty() {
                        parts.push(WordPart::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(self.backquote()?);
                }
                c => {
                    literal.push(c);
                    self.bump();
                }
            }
        }
        if !literal.is_empty() {
            parts.push(WordPart::Literal(literal));
        }
        Ok(parts)
    }
}

/// `NAME=value` at the start of a command.
fn assignment(raw: &[char], word: &Word) -> Option<Assignment> {
    let eq = raw.iter().position(|c| *c == '=')?;
    let name: String = raw[..eq].iter().collect();
    if name.is_empty() || !name.chars().next().is_some_and(is_name_start) || !name.chars().all(is_name_char) {
        return None;
    }
    // The name must be plain text in the first part of the word.
    let WordPart::Literal(first) = word.first()? else { return None };
    let rest = first.strip_prefix(&format!("{name}="))?;
    let mut value: Word = Vec::new();
    if !rest.is_empty() {
        value.push(WordPart::Literal(rest.to_string()));
    }
    value.extend(word[1..].iter().cloned());
    Some(Assignment { name, value })
}

fn fill_heredocs_script(script: &mut Script, bodies: &mut impl Iterator<Item = String>) {
    for item in &mut script.items {
        for p in std::iter::once(&mut item.first).chain(item.rest.iter_mut().map(|(_, p)| p)) {
            for c in &mut p.commands {
                fill_heredocs_command(c, bodies);
            }
        }
    }
}

fn fill_redirects(redirects: &mut [Redirect], bodies: &mut impl Iterator<Item = String>) {
    for r in redirects {
        if let RedirectKind::HereDoc { body, .. } = &mut r.kind {
            *body = bodies.next().unwrap_or_default();
        }
    }
}

fn fill_heredocs_command(c: &mut Command, bodies: &mut impl Iterator<Item = String>) {
    match c {
        Command::Simple { redirects, .. } => fill_redirects(redirects, bodies),
        Command::Group { body, redirects } | Command::Subshell { body, redirects } => {
            fill_heredocs_script(body, bodies);
            fill_redirects(redirects, bodies);
        }
        Command::If { branches, otherwise, redirects } => {
            for (c, b) in branches {
                fill_heredocs_script(c, bodies);
                fill_heredocs_script(b, bodies);
            }
            if let Some(o) = otherwise {
                fill_heredocs_script(o, bodies);
            }
            fill_redirects(redirects, bodies);
        }
        Command::While { condition, body, redirects, .. } => {
            fill_heredocs_script(condition, bodies);
            fill_heredocs_script(body, bodies);
            fill_redirects(redirects, bodies);
        }
        Command::For { body, redirects, .. } => {
            fill_heredocs_script(body, bodies);
            fill_redirects(redirects, bodies);
        }
        Command::Case { items, redirects, .. } => {
            for i in items {
                fill_heredocs_script(&mut i.body, bodies);
            }
            fill_redirects(redirects, bodies);
        }
        Command::Function { body, .. } => fill_heredocs_command(body, bodies),
        Command::Test { .. } => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() {
        for src in [
            "echo hi",
            "a=1 b=2 env | grep a && echo ok || echo no; echo done &",
            "if [ -f x ]; then echo y; elif true; then :; else echo n; fi",
            "for i in 1 2 3; do echo $i; done",
            "while read line; do echo \"$line\"; done < file",
            "case $x in a|b) echo ab;; *) echo other;; esac",
            "f() { echo \"${1:-none}\"; }; f",
            "x=$(echo $((1 + 2))) y=`echo hi`",
            "cat <<EOF\nhello $USER\nEOF\necho after",
            "[[ -n $x && $x == y* ]] && echo ok",
            "(cd /tmp && ls) 2>/dev/null >&2",
            "echo $'a\\tb' ${v#*/} ${v%%.*} ${#v} ${v/a/b}",
        ] {
            parse(src).unwrap_or_else(|e| panic!("{src:?}: {e}"));
        }
    }

    #[test]
    fn heredoc_bodies_are_attached() {
        let s = parse("cat <<-'EOF'\n\tliteral $x\n\tEOF\n").unwrap();
        let Command::Simple { redirects, .. } = &s.items[0].first.commands[0] else { panic!() };
        assert_eq!(redirects[0].kind, RedirectKind::HereDoc { body: "literal $x\n".into(), expand: false });
    }

    #[test]
    fn syntax_errors_read_like_dash() {
        assert_eq!(parse("if true; then echo").unwrap_err().to_string(), "Syntax error: end of file unexpected (expecting \"fi\")");
        assert_eq!(parse("echo )").unwrap_err().to_string(), "Syntax error: \")\" unexpected");
        assert_eq!(parse("fi").unwrap_err().to_string(), "Syntax error: \"fi\" unexpected");
    }

    #[test]
    fn a_terminal_reads_on_while_the_command_is_open() {
        for open in ["cat <<EOF > f", "cat <<'EOF'\nline one", "echo \"abc", "echo 'it", "ls | \\", "docker run \\", "ls |", "true &&", "if true; then", "for i in 1 2; do echo $i", "f() {", "echo $(date", "case x in"] {
            assert!(needs_more(open), "{open:?} goes on");
        }
        for done in ["", "echo hi", "cat <<EOF\nbody\nEOF", "echo \\\\", "if true; then echo; fi", "echo )", "fi", "echo 'a' \"b\"", "ls | wc -l"] {
            assert!(!needs_more(done), "{done:?} is complete (or an error now)");
        }
    }
}
