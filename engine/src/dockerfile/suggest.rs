//! "Did you mean …?" suggestions by edit distance.

/// Levenshtein distance between two strings, by characters.
pub fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The closest option to `word` within a distance of 2 (and less than its length), if any.
pub fn closest<'a, I: IntoIterator<Item = &'a str>>(word: &str, options: I, case_sensitive: bool) -> Option<&'a str> {
    if word.is_empty() {
        return None;
    }
    let norm = |s: &str| if case_sensitive { s.to_string() } else { s.to_lowercase() };
    let word_n = norm(word);
    let mut best: Option<(usize, &str)> = None;
    for option in options {
        let d = distance(&word_n, &norm(option));
        if d == 0 || d > 2 || d >= word_n.chars().count() {
            continue;
        }
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, option));
        }
    }
    best.map(|(_, o)| o)
}

#[cfg(test)]
mod tests {
    #[test]
    fn suggestions() {
        assert_eq!(super::closest("RUNN", ["run", "cmd"], false), Some("run"));
        assert_eq!(super::closest("BADCMD", ["run", "add", "cmd"], false), None);
        assert_eq!(super::closest("BULIDPLATFORM", ["BUILDPLATFORM"], true), Some("BUILDPLATFORM"));
    }
}
