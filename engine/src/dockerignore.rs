//! `.dockerignore` patterns: `*`, `?`, `[…]`, `**`, `!` exceptions, the last matching
//! pattern wins, and a pattern that matches a directory excludes what is inside it.
//! Used by the build context and by the `CopyIgnoredFile` lint rule.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(char),
    /// `?`: one character other than `/`.
    Any,
    /// `*`: any run of characters other than `/`.
    Star,
    /// `**` followed by more pattern: any number of whole path segments (`(.*/)?`).
    Segments,
    /// `**` at the end: anything.
    Rest,
    Class { negated: bool, items: Vec<(char, char)> },
}

#[derive(Debug, Clone)]
struct Pattern {
    text: String,
    exclusion: bool,
    tokens: Vec<Token>,
}

/// A parsed `.dockerignore`.
#[derive(Debug, Clone, Default)]
pub struct DockerIgnore {
    patterns: Vec<Pattern>,
}

/// Lexical clean of a slash-separated path (Go's `path.Clean` without the leading `/`).
pub fn clean_path(p: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !p.starts_with('/') {
                    parts.push("..");
                }
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

impl DockerIgnore {
    pub fn parse(text: &str) -> DockerIgnore {
        let mut patterns = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (exclusion, raw) = match line.strip_prefix('!') {
                Some(r) => (true, r.trim()),
                None => (false, line),
            };
            if raw.is_empty() {
                continue;
            }
            let cleaned = clean_path(raw);
            patterns.push(Pattern { tokens: tokenize(&cleaned), text: cleaned, exclusion });
        }
        DockerIgnore { patterns }
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether `path` (relative to the context root) is excluded from the build context.
    pub fn excludes(&self, path: &str) -> bool {
        let path = clean_path(path);
        if path == "." {
            return false;
        }
        let segments: Vec<&str> = path.split('/').collect();
        let mut excluded = false;
        for pattern in &self.patterns {
            let mut matched = matches(&pattern.tokens, &path);
            if !matched {
                // A pattern that matches a parent directory covers everything inside it.
                for n in 1..segments.len() {
                    if matches(&pattern.tokens, &segments[..n].join("/")) {
                        matched = true;
                        break;
                    }
                }
            }
            if matched {
                excluded = !pattern.exclusion;
            }
        }
        excluded
    }

    /// Whether some `!` exception could re-include something under the excluded `dir`, so
    /// the walk must still descend into it.
    pub fn has_exceptions(&self) -> bool {
        self.patterns.iter().any(|p| p.exclusion)
    }

    pub fn patterns(&self) -> impl Iterator<Item = &str> {
        self.patterns.iter().map(|p| p.text.as_str())
    }
}

fn tokenize(pattern: &str) -> Vec<Token> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '*' if chars.get(i) == Some(&'*') => {
                i += 1;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                tokens.push(if i >= chars.len() { Token::Rest } else { Token::Segments });
            }
            '*' => tokens.push(Token::Star),
            '?' => tokens.push(Token::Any),
            '\\' => {
                if let Some(&n) = chars.get(i) {
                    tokens.push(Token::Literal(n));
                    i += 1;
                }
            }
            '[' => {
                let mut j = i;
                let negated = matches!(chars.get(j), Some('!' | '^'));
                if negated {
                    j += 1;
                }
                let mut items = Vec::new();
                let mut closed = false;
                let mut first = true;
                while j < chars.len() {
                    let mut a = chars[j];
                    if a == ']' && !first {
                        closed = true;
                        j += 1;
                        break;
                    }
                    first = false;
                    if a == '\\' && j + 1 < chars.len() {
                        j += 1;
                        a = chars[j];
                    }
                    if chars.get(j + 1) == Some(&'-') && chars.get(j + 2).is_some_and(|c| *c != ']') {
                        items.push((a, chars[j + 2]));
                        j += 3;
                    } else {
                        items.push((a, a));
                        j += 1;
                    }
                }
                if closed {
                    tokens.push(Token::Class { negated, items });
                    i = j;
                } else {
                    tokens.push(Token::Literal('['));
                }
            }
            c => tokens.push(Token::Literal(c)),
        }
    }
    tokens
}

fn matches(tokens: &[Token], path: &str) -> bool {
    let text: Vec<char> = path.chars().collect();
    let mut failed = std::collections::HashSet::new();
    match_from(tokens, 0, &text, 0, &mut failed)
}

fn match_from(tokens: &[Token], ti: usize, text: &[char], pos: usize, failed: &mut std::collections::HashSet<(usize, usize)>) -> bool {
    if failed.contains(&(ti, pos)) || crate::stack::exhausted() {
        return false;
    }
    // Tokens that match one character each are walked in a loop, so the recursion is as
    // deep as the pattern has `*` and `**`, not as long as it is.
    let (start_ti, start_pos) = (ti, pos);
    let (mut ti, mut pos) = (ti, pos);
    let ok = loop {
        if ti == tokens.len() {
            break pos == text.len();
        }
        let single = match &tokens[ti] {
            Token::Literal(c) => Some(text.get(pos) == Some(c)),
            Token::Any => Some(text.get(pos).is_some_and(|c| *c != '/')),
            Token::Class { negated, items } => Some(text.get(pos).is_some_and(|c| {
                let inside = items.iter().any(|(a, b)| *a <= *c && *c <= *b);
                inside != *negated && *c != '/'
            })),
            _ => None,
        };
        match single {
            Some(true) => {
                ti += 1;
                pos += 1;
            }
            Some(false) => break false,
            None => break match &tokens[ti] {
                Token::Star => {
                    let mut k = pos;
                    loop {
                        if match_from(tokens, ti + 1, text, k, failed) {
                            break true;
                        }
                        if k >= text.len() || text[k] == '/' {
                            break false;
                        }
                        k += 1;
                    }
                }
                // Zero segments, or any prefix that ends just after a '/'.
                Token::Segments => match_from(tokens, ti + 1, text, pos, failed) || (pos..text.len()).any(|k| text[k] == '/' && match_from(tokens, ti + 1, text, k + 1, failed)),
                _ => true, // Token::Rest
            },
        }
    };
    if !ok {
        failed.insert((start_ti, start_pos));
    }
    ok
}

#[cfg(test)]
mod tests {
    use super::DockerIgnore;

    #[test]
    fn patterns() {
        let ig = DockerIgnore::parse("# comment\n*.pyc\n**/__pycache__\ndata/\n!data/keep.csv\n/secret?.txt\n");
        assert!(ig.excludes("a.pyc"));
        assert!(!ig.excludes("src/a.pyc"));
        assert!(ig.excludes("src/x/__pycache__/m.pyc"));
        assert!(ig.excludes("data/big.csv"));
        assert!(!ig.excludes("data/keep.csv"));
        assert!(ig.excludes("secret1.txt"));
        assert!(!ig.excludes("."));
        let all = DockerIgnore::parse("**\n!Dockerfile\n");
        assert!(!all.excludes("Dockerfile"));
        assert!(!all.excludes("./Dockerfile"));
        assert!(all.excludes("src/main.py"));
        assert!(DockerIgnore::parse("[a-c]*.log").excludes("b1.log"));
    }
}
