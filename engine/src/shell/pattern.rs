//! Shell patterns (`*`, `?`, `[…]`) for `case`, `[[ == ]]`, `${v#p}` and globbing.

/// One element of a pattern. `Literal` characters came from quoted text or were escaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pat {
    Literal(char),
    Any,
    Star,
    Class { negated: bool, items: Vec<(char, char)> },
}

/// Builds a pattern from (character, quoted) pairs: only unquoted characters are special.
pub fn compile(chars: &[(char, bool)]) -> Vec<Pat> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let (c, quoted) = chars[i];
        i += 1;
        if quoted {
            out.push(Pat::Literal(c));
            continue;
        }
        match c {
            '*' => out.push(Pat::Star),
            '?' => out.push(Pat::Any),
            '\\' if i < chars.len() => {
                out.push(Pat::Literal(chars[i].0));
                i += 1;
            }
            '[' => {
                let mut j = i;
                let negated = matches!(chars.get(j), Some(('!' | '^', false)));
                if negated {
                    j += 1;
                }
                let mut items = Vec::new();
                let mut first = true;
                let mut closed = false;
                while j < chars.len() {
                    let (a, _) = chars[j];
                    if a == ']' && !first {
                        closed = true;
                        j += 1;
                        break;
                    }
                    first = false;
                    if chars.get(j + 1).map(|x| x.0) == Some('-') && chars.get(j + 2).is_some_and(|x| x.0 != ']') {
                        items.push((a, chars[j + 2].0));
                        j += 3;
                    } else {
                        items.push((a, a));
                        j += 1;
                    }
                }
                if closed {
                    out.push(Pat::Class { negated, items });
                    i = j;
                } else {
                    out.push(Pat::Literal('['));
                }
            }
            c => out.push(Pat::Literal(c)),
        }
    }
    out
}

/// A pattern from plain text where every character is live.
pub fn compile_str(s: &str) -> Vec<Pat> {
    compile(&s.chars().map(|c| (c, false)).collect::<Vec<_>>())
}

pub fn has_magic(pat: &[Pat]) -> bool {
    pat.iter().any(|p| !matches!(p, Pat::Literal(_)))
}

fn one(p: &Pat, c: char) -> bool {
    match p {
        Pat::Literal(l) => *l == c,
        Pat::Any => true,
        Pat::Class { negated, items } => items.iter().any(|(a, b)| *a <= c && c <= *b) != *negated,
        Pat::Star => true,
    }
}

/// Whether `pat` matches all of `text`.
pub fn matches(pat: &[Pat], text: &str) -> bool {
    let t: Vec<char> = text.chars().collect();
    // Iterative matching with star backtracking (linear in practice).
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < pat.len() && pat[pi] != Pat::Star && one(&pat[pi], t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < pat.len() && pat[pi] == Pat::Star {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < pat.len() && pat[pi] == Pat::Star {
        pi += 1;
    }
    pi == pat.len()
}

/// The pattern as an NFA over its positions: state `k` has matched `pat[..k]`. Feeding
/// characters one at a time, [`Ends::feed`] says after each one whether all of `pat` has
/// matched the text so far, so one pass over a text finds every end of a match from a
/// given start: `${v#p}`, `${v%p}` and `${v/p/r}` cost O(text × pattern) per start
/// instead of a full match per candidate end.
struct Ends<'p> {
    pat: &'p [Pat],
    live: Vec<bool>,
    next: Vec<bool>,
}

impl<'p> Ends<'p> {
    fn new(pat: &'p [Pat]) -> Ends<'p> {
        let mut e = Ends { pat, live: vec![false; pat.len() + 1], next: vec![false; pat.len() + 1] };
        e.live[0] = true;
        Self::close(pat, &mut e.live);
        e
    }

    /// Stars match the empty string: a live star makes the state after it live.
    fn close(pat: &[Pat], states: &mut [bool]) {
        for k in 0..pat.len() {
            if states[k] && pat[k] == Pat::Star {
                states[k + 1] = true;
            }
        }
    }

    /// Whether the empty text so far (nothing fed yet, or since `new`) matches.
    fn accepting(&self) -> bool {
        self.live[self.pat.len()]
    }

    /// Feeds one character; false once no state is live (no longer text can match).
    fn feed(&mut self, c: char) -> bool {
        self.next.iter_mut().for_each(|s| *s = false);
        let mut any = false;
        for k in 0..self.pat.len() {
            if !self.live[k] {
                continue;
            }
            match &self.pat[k] {
                Pat::Star => self.next[k] = true,
                p if one(p, c) => self.next[k + 1] = true,
                _ => continue,
            }
            any = true;
        }
        Self::close(self.pat, &mut self.next);
        std::mem::swap(&mut self.live, &mut self.next);
        any
    }
}

/// Byte offsets `end` (after `start`, ascending) where `pat` matches `text[start..end]`.
/// Characters are given as `(offset, char)`; the end after the last is `text_len`.
fn match_ends(pat: &[Pat], chars: &[(usize, char)], from: usize, text_len: usize) -> Vec<usize> {
    let mut nfa = Ends::new(pat);
    let mut ends = Vec::new();
    let offset_of = |i: usize| chars.get(i).map_or(text_len, |c| c.0);
    if nfa.accepting() {
        ends.push(offset_of(from));
    }
    for (i, &(_, c)) in chars.iter().enumerate().skip(from) {
        if !nfa.feed(c) {
            break;
        }
        if nfa.accepting() {
            ends.push(offset_of(i + 1));
        }
    }
    ends
}

/// Removes the shortest or longest prefix matching `pat` (`${v#p}`, `${v##p}`).
pub fn remove_prefix(pat: &[Pat], text: &str, longest: bool) -> String {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let ends = match_ends(pat, &chars, 0, text.len());
    match if longest { ends.last() } else { ends.first() } {
        Some(&end) => text[end..].to_string(),
        None => text.to_string(),
    }
}

/// Removes the shortest or longest suffix matching `pat` (`${v%p}`, `${v%%p}`): the
/// reversed pattern run backwards from the end of the text.
pub fn remove_suffix(pat: &[Pat], text: &str, longest: bool) -> String {
    let reversed: Vec<Pat> = pat.iter().rev().cloned().collect();
    let mut nfa = Ends::new(&reversed);
    let mut starts = Vec::new();
    if nfa.accepting() {
        starts.push(text.len());
    }
    for (i, c) in text.char_indices().rev() {
        if !nfa.feed(c) {
            break;
        }
        if nfa.accepting() {
            starts.push(i);
        }
    }
    match if longest { starts.last() } else { starts.first() } {
        Some(&start) => text[..start].to_string(),
        None => text.to_string(),
    }
}

/// `${v/p/r}` and `${v//p/r}`: the longest match at the leftmost position.
pub fn replace(pat: &[Pat], text: &str, replacement: &str, all: bool) -> String {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let start = chars[i].0;
        let longest = match_ends(pat, &chars, i, text.len()).into_iter().rev().find(|&end| end > start);
        match longest {
            Some(end) => {
                out.push_str(replacement);
                if !all {
                    out.push_str(&text[end..]);
                    return out;
                }
                i = chars.partition_point(|c| c.0 < end);
            }
            None => {
                out.push(chars[i].1);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(matches(&compile_str("*.py"), "train.py"));
        assert!(!matches(&compile_str("*.py"), "train.pyc"));
        assert!(matches(&compile_str("[a-c]?"), "bx"));
        assert!(matches(&compile_str("[!a]*"), "xyz"));
        assert_eq!(remove_prefix(&compile_str("*/"), "a/b/c", false), "b/c");
        assert_eq!(remove_prefix(&compile_str("*/"), "a/b/c", true), "c");
        assert_eq!(remove_suffix(&compile_str(".*"), "f.tar.gz", false), "f.tar");
        assert_eq!(remove_suffix(&compile_str(".*"), "f.tar.gz", true), "f");
        assert_eq!(replace(&compile_str("o"), "foo", "0", true), "f00");
        assert_eq!(replace(&compile_str("o*"), "foobar", "0", false), "f0");
        assert_eq!(replace(&compile_str("[ab]"), "abcab", "", true), "c");
        assert_eq!(remove_suffix(&compile_str("*"), "abc", false), "abc");
        assert_eq!(remove_suffix(&compile_str("*"), "abc", true), "");
        assert_eq!(remove_prefix(&compile_str("a*c"), "abcbc", true), "");
        assert_eq!(remove_prefix(&compile_str("a*c"), "abcbc", false), "bc");
        assert_eq!(remove_suffix(&compile_str("b*"), "abcbc", true), "a");
        assert_eq!(remove_suffix(&compile_str("b*"), "abcbc", false), "abc");
        assert_eq!(replace(&compile_str("é"), "café", "e", true), "cafe");
    }

    /// `${v//?/x}` over 100,000 characters: one NFA step per character and start, not a
    /// full match per (start, end) pair (which took minutes).
    #[test]
    fn replacing_every_character_of_a_long_value_is_linear() {
        let text = "a".repeat(100_000);
        assert_eq!(replace(&compile_str("?"), &text, "x", true), "x".repeat(100_000));
        assert_eq!(remove_prefix(&compile_str("*a"), &text, true), "");
        assert_eq!(remove_suffix(&compile_str("a*"), &text, false), "a".repeat(99_999));
    }
}
