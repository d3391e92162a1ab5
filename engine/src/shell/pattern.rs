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

/// Removes the shortest or longest prefix matching `pat` (`${v#p}`, `${v##p}`).
pub fn remove_prefix(pat: &[Pat], text: &str, longest: bool) -> String {
    let idx: Vec<usize> = text.char_indices().map(|(i, _)| i).chain(std::iter::once(text.len())).collect();
    let order: Box<dyn Iterator<Item = &usize>> = if longest { Box::new(idx.iter().rev()) } else { Box::new(idx.iter()) };
    for &end in order {
        if matches(pat, &text[..end]) {
            return text[end..].to_string();
        }
    }
    text.to_string()
}

/// Removes the shortest or longest suffix matching `pat` (`${v%p}`, `${v%%p}`).
pub fn remove_suffix(pat: &[Pat], text: &str, longest: bool) -> String {
    let idx: Vec<usize> = text.char_indices().map(|(i, _)| i).chain(std::iter::once(text.len())).collect();
    let order: Box<dyn Iterator<Item = &usize>> = if longest { Box::new(idx.iter()) } else { Box::new(idx.iter().rev()) };
    for &start in order {
        if matches(pat, &text[start..]) {
            return text[..start].to_string();
        }
    }
    text.to_string()
}

/// `${v/p/r}` and `${v//p/r}`: the longest match at the leftmost position.
pub fn replace(pat: &[Pat], text: &str, replacement: &str, all: bool) -> String {
    let idx: Vec<usize> = text.char_indices().map(|(i, _)| i).chain(std::iter::once(text.len())).collect();
    let mut out = String::new();
    let mut i = 0;
    while i < idx.len() {
        let start = idx[i];
        let found = idx[i..].iter().rev().find(|&&end| end > start && matches(pat, &text[start..end]));
        match found {
            Some(&end) => {
                out.push_str(replacement);
                if !all {
                    out.push_str(&text[end..]);
                    return out;
                }
                i = idx.iter().position(|&x| x == end).unwrap_or(idx.len());
            }
            None => {
                if i + 1 < idx.len() {
                    out.push_str(&text[start..idx[i + 1]]);
                }
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
    }
}
