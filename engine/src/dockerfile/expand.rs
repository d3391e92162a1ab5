//! Word expansion as BuildKit applies it to Dockerfile words (`$VAR`, `${VAR:-x}`, quotes,
//! escapes, word splitting). This is not a shell: no command substitution, no globbing, no
//! arithmetic. It mirrors BuildKit's `shell/lex.go` closely enough to pass its test tables.

use std::collections::BTreeSet;

/// Where variables come from during expansion.
pub trait Environment {
    /// The value of `name`, or `None` when it is not set. An empty value is set.
    fn lookup(&self, name: &str) -> Option<String>;
}

/// An ordered list of `KEY=value` pairs; with duplicate keys the last one wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvList(pub Vec<(String, String)>);

impl EnvList {
    pub fn new() -> EnvList {
        EnvList(Vec::new())
    }

    /// Builds a list from `KEY=value` strings; a bare `KEY` means an empty value.
    pub fn from_pairs<I: IntoIterator<Item = S>, S: AsRef<str>>(items: I) -> EnvList {
        let mut list = EnvList::new();
        for item in items {
            let item = item.as_ref();
            match item.split_once('=') {
                Some((k, v)) => list.set(k, v),
                None => list.set(item, ""),
            }
        }
        list
    }

    /// Sets `key`, replacing an earlier value in place so the order stays stable.
    pub fn set(&mut self, key: &str, value: &str) {
        if let Some(slot) = self.0.iter_mut().find(|(k, _)| k == key) {
            slot.1 = value.to_string();
        } else {
            self.0.push((key.to_string(), value.to_string()));
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }
}

impl Environment for EnvList {
    fn lookup(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_string)
    }
}

/// An environment with no variables.
pub struct NoEnv;

impl Environment for NoEnv {
    fn lookup(&self, _name: &str) -> Option<String> {
        None
    }
}

/// A failed expansion. The message reads like BuildKit's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("failed to process {word:?}: {reason}")]
pub struct ExpandError {
    pub word: String,
    pub reason: String,
}

/// The result of expanding one word.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Expansion {
    /// The word after expansion and quote removal.
    pub word: String,
    /// The same input split into words (unquoted expansion results split on whitespace).
    pub words: Vec<String>,
    /// Variables that were looked up and found.
    pub matched: BTreeSet<String>,
    /// Variables that were looked up and not found.
    pub unmatched: BTreeSet<String>,
}

/// Expansion settings; `Lexer::new('\\')` is what Dockerfile instructions use.
#[derive(Debug, Clone, Copy)]
pub struct Lexer {
    pub escape: char,
    /// Keep quote characters in the output (used to detect quoted heredoc delimiters).
    pub raw_quotes: bool,
    /// Keep escape characters in the output.
    pub raw_escapes: bool,
    /// Treat quotes as ordinary characters.
    pub skip_process_quotes: bool,
    /// Leave references to unset variables as they were written.
    pub skip_unset_env: bool,
}

impl Lexer {
    pub fn new(escape: char) -> Lexer {
        Lexer {
            escape,
            raw_quotes: false,
            raw_escapes: false,
            skip_process_quotes: false,
            skip_unset_env: false,
        }
    }

    /// Expands `word` into a single string (`ProcessWord`).
    pub fn expand_word(&self, word: &str, env: &dyn Environment) -> Result<String, ExpandError> {
        self.expand(word, env).map(|e| e.word)
    }

    /// Expands `word` and splits it into words (`ProcessWords`).
    pub fn expand_words(&self, word: &str, env: &dyn Environment) -> Result<Vec<String>, ExpandError> {
        self.expand(word, env).map(|e| e.words)
    }

    /// Expands `word`, returning the word, the split words and which variables were used.
    pub fn expand(&self, word: &str, env: &dyn Environment) -> Result<Expansion, ExpandError> {
        let mut state = State {
            chars: word.chars().collect(),
            pos: 0,
            env,
            lexer: *self,
            raw_escapes: self.raw_escapes,
            matched: BTreeSet::new(),
            unmatched: BTreeSet::new(),
            depth: 0,
        };
        let raw = state.raw_escapes;
        match state.process_stop_on(None, raw) {
            Ok((result, words)) => Ok(Expansion {
                word: result,
                words,
                matched: state.matched,
                unmatched: state.unmatched,
            }),
            Err(reason) => Err(ExpandError { word: word.to_string(), reason }),
        }
    }
}

struct State<'a> {
    chars: Vec<char>,
    pos: usize,
    env: &'a dyn Environment,
    lexer: Lexer,
    raw_escapes: bool,
    matched: BTreeSet<String>,
    unmatched: BTreeSet<String>,
    /// How many `${…}` the current position is inside.
    depth: usize,
}

/// How deeply `${a:-${b:-…}}` may nest: far past any real Dockerfile, well inside the
/// stack (the editor lints on every keystroke, and an overflow would end the tab).
pub const MAX_NESTING: usize = 200;

#[derive(Default)]
struct Words {
    word: String,
    words: Vec<String>,
    in_word: bool,
}

impl Words {
    fn add_char(&mut self, ch: char) {
        if ch.is_whitespace() {
            if self.in_word && !self.word.is_empty() {
                self.words.push(std::mem::take(&mut self.word));
                self.in_word = false;
            }
        } else {
            self.add_raw_char(ch);
        }
    }

    fn add_raw_char(&mut self, ch: char) {
        self.word.push(ch);
        self.in_word = true;
    }

    fn add_string(&mut self, s: &str) {
        for ch in s.chars() {
            self.add_char(ch);
        }
    }

    fn add_raw_string(&mut self, s: &str) {
        self.word.push_str(s);
        self.in_word = true;
    }

    fn finish(mut self) -> Vec<String> {
        if !self.word.is_empty() {
            self.words.push(self.word);
        }
        self.words
    }
}

type Step<T> = Result<T, String>;

impl State<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn next(&mut self) -> Option<char> {
        let ch = self.peek();
        if ch.is_some() {
            self.pos += 1;
        }
        ch
    }

    fn get_env(&mut self, name: &str) -> Option<String> {
        match self.env.lookup(name) {
            Some(v) => {
                self.matched.insert(name.to_string());
                Some(v)
            }
            None => {
                self.unmatched.insert(name.to_string());
                None
            }
        }
    }

    /// Processes characters until `stop` (consumed) or the end of input.
    fn process_stop_on(&mut self, stop: Option<char>, raw_escapes: bool) -> Step<(String, Vec<String>)> {
        if self.depth >= MAX_NESTING || crate::stack::exhausted() {
            return Err(format!("variable substitutions nest more than {MAX_NESTING} levels deep"));
        }
        let saved = self.raw_escapes;
        self.raw_escapes = raw_escapes;
        self.depth += 1;
        let out = self.process_stop_on_inner(stop);
        self.depth -= 1;
        self.raw_escapes = saved;
        out
    }

    fn process_stop_on_inner(&mut self, stop: Option<char>) -> Step<(String, Vec<String>)> {
        let mut result = String::new();
        let mut words = Words::default();
        let quotes = !self.lexer.skip_process_quotes;
        while let Some(ch) = self.peek() {
            if Some(ch) == stop {
                self.next();
                return Ok((result, words.finish()));
            }
            if ch == '$' {
                let tmp = self.process_dollar()?;
                result.push_str(&tmp);
                words.add_string(&tmp);
            } else if quotes && ch == '\'' {
                let tmp = self.process_single_quote()?;
                result.push_str(&tmp);
                words.add_raw_string(&tmp);
            } else if quotes && ch == '"' {
                let tmp = self.process_double_quote()?;
                result.push_str(&tmp);
                words.add_raw_string(&tmp);
            } else {
                self.next();
                if ch == self.lexer.escape {
                    if self.raw_escapes {
                        words.add_raw_char(ch);
                        result.push(ch);
                    }
                    // The escape character escapes the next one; a trailing one is dropped.
                    match self.next() {
                        None => break,
                        Some(escaped) => {
                            words.add_raw_char(escaped);
                            result.push(escaped);
                        }
                    }
                } else {
                    words.add_char(ch);
                    result.push(ch);
                }
            }
        }
        if let Some(stop) = stop {
            return Err(format!("unexpected end of statement while looking for matching {stop}"));
        }
        Ok((result, words.finish()))
    }

    fn process_single_quote(&mut self) -> Step<String> {
        let mut result = String::new();
        let open = self.next();
        if self.lexer.raw_quotes {
            result.extend(open);
        }
        loop {
            match self.next() {
                None => return Err("unexpected end of statement while looking for matching single-quote".into()),
                Some('\'') => {
                    if self.lexer.raw_quotes {
                        result.push('\'');
                    }
                    return Ok(result);
                }
                Some(ch) => result.push(ch),
            }
        }
    }

    fn process_double_quote(&mut self) -> Step<String> {
        let mut result = String::new();
        let open = self.next();
        if self.lexer.raw_quotes {
            result.extend(open);
        }
        loop {
            match self.peek() {
                None => return Err("unexpected end of statement while looking for matching double-quote".into()),
                Some('"') => {
                    self.next();
                    if self.lexer.raw_quotes {
                        result.push('"');
                    }
                    return Ok(result);
                }
                Some('$') => {
                    let value = self.process_dollar()?;
                    result.push_str(&value);
                }
                Some(mut ch) => {
                    self.next();
                    if ch == self.lexer.escape {
                        if self.raw_escapes {
                            result.push(ch);
                        }
                        match self.peek() {
                            // A trailing escape inside quotes is ignored; the missing quote
                            // is reported on the next turn.
                            None => continue,
                            Some(c) if c == '"' || c == '$' || c == self.lexer.escape => {
                                self.next();
                                ch = c;
                            }
                            Some(_) => {}
                        }
                    }
                    result.push(ch);
                }
            }
        }
    }

    fn process_name(&mut self) -> String {
        let mut name = String::new();
        while let Some(ch) = self.peek() {
            if name.is_empty() && ch.is_ascii_digit() {
                while let Some(d) = self.peek().filter(char::is_ascii_digit) {
                    self.next();
                    name.push(d);
                }
                return name;
            }
            if name.is_empty() && matches!(ch, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0') {
                self.next();
                return ch.to_string();
            }
            if !ch.is_alphanumeric() && ch != '_' {
                break;
            }
            self.next();
            name.push(ch);
        }
        name
    }

    fn process_dollar(&mut self) -> Step<String> {
        self.next();
        if self.peek() != Some('{') {
            let name = self.process_name();
            if name.is_empty() {
                return Ok("$".into());
            }
            return Ok(match self.get_env(&name) {
                Some(v) => v,
                None if self.lexer.skip_unset_env => format!("${name}"),
                None => String::new(),
            });
        }
        self.next();
        match self.peek() {
            None => return Err("syntax error: missing '}'".into()),
            Some('{' | '}' | ':') => return Err("syntax error: bad substitution".into()),
            _ => {}
        }
        let name = self.process_name();
        let Some(mut ch) = self.next() else {
            return Err("syntax error: missing '}'".into());
        };
        let mut modifier = ch.to_string();
        match ch {
            '}' => Ok(match self.get_env(&name) {
                Some(v) => v,
                None if self.lexer.skip_unset_env => format!("${{{name}}}"),
                None => String::new(),
            }),
            ':' | '+' | '-' | '?' | '#' | '%' => {
                let null_is_unset = ch == ':';
                if null_is_unset {
                    match self.next() {
                        Some(c) => {
                            ch = c;
                            modifier.push(c);
                        }
                        None => return Err("syntax error: missing '}'".into()),
                    }
                }
                let raw = ch == '#' || ch == '%';
                if null_is_unset && raw {
                    return Err(format!("unsupported modifier ({modifier}) in substitution"));
                }
                let word = match self.process_stop_on(Some('}'), raw) {
                    Ok((w, _)) => w,
                    Err(e) if self.peek().is_none() => {
                        let _ = e;
                        return Err("syntax error: missing '}'".into());
                    }
                    Err(e) => return Err(e),
                };
                let value = self.get_env(&name);
                if self.lexer.skip_unset_env && value.is_none() {
                    return Ok(format!("${{{name}{modifier}{word}}}"));
                }
                let empty = value.as_deref().is_none_or(str::is_empty);
                match ch {
                    '-' => Ok(if value.is_none() || (null_is_unset && empty) { word } else { value.unwrap_or_default() }),
                    '+' => Ok(if value.is_none() || (null_is_unset && empty) { String::new() } else { word }),
                    '?' => match value {
                        None => Err(format!(
                            "{name}: {}",
                            if word.is_empty() { "is not allowed to be unset" } else { &word }
                        )),
                        Some(v) if null_is_unset && v.is_empty() => Err(format!(
                            "{name}: {}",
                            if word.is_empty() { "is not allowed to be empty" } else { &word }
                        )),
                        Some(v) => Ok(v),
                    },
                    '%' | '#' => {
                        let value = value.unwrap_or_default();
                        let (greedy, pattern) = match word.strip_prefix(ch) {
                            Some(rest) => (true, rest.to_string()),
                            None => (false, word),
                        };
                        let pattern = Pattern::parse(&pattern)
                            .map_err(|e| format!("invalid pattern ({pattern}) in substitution: {e}"))?;
                        if ch == '#' {
                            Ok(match pattern.match_at(&value.chars().collect::<Vec<_>>(), 0, greedy) {
                                Some(end) => value.chars().skip(end).collect(),
                                None => value,
                            })
                        } else {
                            let reversed: Vec<char> = value.chars().rev().collect();
                            let pattern = pattern.reversed();
                            Ok(match pattern.match_at(&reversed, 0, greedy) {
                                Some(end) => reversed[end..].iter().rev().collect(),
                                None => value,
                            })
                        }
                    }
                    _ => Err(format!("unsupported modifier ({modifier}) in substitution")),
                }
            }
            '/' => {
                let all = self.peek() == Some('/');
                if all {
                    self.next();
                }
                let pattern = match self.process_stop_on(Some('/'), true) {
                    Ok((w, _)) => w,
                    Err(_) if self.peek().is_none() => return Err("syntax error: missing '/' in ${}".into()),
                    Err(e) => return Err(e),
                };
                let replacement = match self.process_stop_on(Some('}'), true) {
                    Ok((w, _)) => w,
                    Err(_) if self.peek().is_none() => return Err("syntax error: missing '}'".into()),
                    Err(e) => return Err(e),
                };
                let value = self.get_env(&name);
                if self.lexer.skip_unset_env && value.is_none() {
                    return Ok(format!("${{{name}/{pattern}/{replacement}}}"));
                }
                let value = value.unwrap_or_default();
                let compiled = Pattern::parse(&pattern)
                    .map_err(|e| format!("invalid pattern ({pattern}) in substitution: {e}"))?;
                Ok(compiled.replace(&value, &replacement, all))
            }
            _ => Err(format!("unsupported modifier ({modifier}) in substitution")),
        }
    }
}

/// A shell pattern from `${v#p}`, `${v%p}` or `${v/p/r}`: literals, `*` and `?`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PatternToken {
    Literal(char),
    Any,
    Star,
}

#[derive(Debug, Clone)]
struct Pattern(Vec<PatternToken>);

impl Pattern {
    fn parse(src: &str) -> Result<Pattern, String> {
        let chars: Vec<char> = src.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '*' => tokens.push(PatternToken::Star),
                '?' => tokens.push(PatternToken::Any),
                '\\' => match chars.get(i + 1) {
                    // `\}` and `\/` escape the delimiters of `${}`; the backslash is not part
                    // of the pattern.
                    Some('}' | '/') => {}
                    Some(&c @ ('*' | '?' | '\\')) => {
                        tokens.push(PatternToken::Literal(c));
                        i += 1;
                    }
                    Some(c) => return Err(format!("invalid escape '\\{c}'")),
                    None => return Err("invalid escape '\\\u{fffd}'".into()),
                },
                c => tokens.push(PatternToken::Literal(c)),
            }
            i += 1;
        }
        Ok(Pattern(tokens))
    }

    fn reversed(&self) -> Pattern {
        Pattern(self.0.iter().rev().cloned().collect())
    }

    /// The end of the match that starts at `start`, choosing among several as a
    /// leftmost-first regex engine would (`.*` or `.*?`); `.` never matches a newline.
    fn match_at(&self, text: &[char], start: usize, greedy: bool) -> Option<usize> {
        let mut failed = std::collections::HashSet::new();
        self.match_from(0, text, start, greedy, &mut failed)
    }

    fn match_from(
        &self,
        ti: usize,
        text: &[char],
        pos: usize,
        greedy: bool,
        failed: &mut std::collections::HashSet<(usize, usize)>,
    ) -> Option<usize> {
        if failed.contains(&(ti, pos)) || crate::stack::exhausted() {
            return None;
        }
        // Single-character tokens are walked in a loop: the recursion is as deep as the
        // pattern has `*`, not as long as it is.
        let (start_ti, start_pos) = (ti, pos);
        let (mut ti, mut pos) = (ti, pos);
        let found = loop {
            if ti == self.0.len() {
                break Some(pos);
            }
            match &self.0[ti] {
                PatternToken::Literal(c) if text.get(pos) == Some(c) => {}
                PatternToken::Any if text.get(pos).is_some_and(|&c| c != '\n') => {}
                PatternToken::Literal(_) | PatternToken::Any => break None,
                PatternToken::Star => {
                    let mut limit = pos;
                    while limit < text.len() && text[limit] != '\n' {
                        limit += 1;
                    }
                    let mut result = None;
                    if greedy {
                        for k in (pos..=limit).rev() {
                            result = self.match_from(ti + 1, text, k, greedy, failed);
                            if result.is_some() {
                                break;
                            }
                        }
                    } else {
                        for k in pos..=limit {
                            result = self.match_from(ti + 1, text, k, greedy, failed);
                            if result.is_some() {
                                break;
                            }
                        }
                    }
                    break result;
                }
            }
            ti += 1;
            pos += 1;
        };
        if found.is_none() {
            failed.insert((start_ti, start_pos));
        }
        found
    }

    /// Replaces the first (or every) leftmost match in `value` with `replacement`.
    fn replace(&self, value: &str, replacement: &str, all: bool) -> String {
        let text: Vec<char> = value.chars().collect();
        let mut out = String::new();
        let mut pos = 0;
        let mut last_match_end: Option<usize> = None;
        while pos <= text.len() {
            match self.match_at(&text, pos, true) {
                Some(end) => {
                    // Go skips an empty match that abuts the previous match.
                    if end == pos && last_match_end == Some(pos) {
                        if pos < text.len() {
                            out.push(text[pos]);
                        }
                        pos += 1;
                        continue;
                    }
                    out.push_str(replacement);
                    last_match_end = Some(end);
                    if !all {
                        out.extend(&text[end..]);
                        return out;
                    }
                    if end == pos {
                        if pos < text.len() {
                            out.push(text[pos]);
                        }
                        pos += 1;
                    } else {
                        pos = end;
                    }
                }
                None => {
                    if pos < text.len() {
                        out.push(text[pos]);
                    }
                    pos += 1;
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(word: &str, env: &[(&str, &str)], expect: &str) {
        let env = EnvList(env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect());
        assert_eq!(Lexer::new('\\').expand_word(word, &env).unwrap(), expect, "{word}");
    }

    #[test]
    fn modifiers() {
        check("${A:-x}", &[], "x");
        check("${A:-x}", &[("A", "")], "x");
        check("${A-x}", &[("A", "")], "");
        check("${A:+x}", &[("A", "1")], "x");
        check("${A#*/}", &[("A", "a/b/c")], "b/c");
        check("${A##*/}", &[("A", "a/b/c")], "c");
        check("${A%/*}", &[("A", "a/b/c")], "a/b");
        check("${A%%/*}", &[("A", "a/b/c")], "a");
        check("${A/b/x}", &[("A", "abcb")], "axcb");
        check("${A//b/x}", &[("A", "abcb")], "axcx");
        check("'$A'\"$A\"\\$A", &[("A", "1")], "$A1$A");
    }

    #[test]
    fn mandatory() {
        let err = Lexer::new('\\').expand_word("${A:?needed}", &NoEnv).unwrap_err();
        assert_eq!(err.to_string(), "failed to process \"${A:?needed}\": A: needed");
    }
}
