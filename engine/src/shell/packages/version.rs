//! Versions and specifiers as pip compares them (PEP 440, the parts package indexes use):
//! release numbers, `.postN`/`aN`/`rcN` suffixes, `==`, `!=`, `>=`, `<=`, `>`, `<`, `~=`
//! and `==X.*`.

use std::cmp::Ordering;

/// A version split into comparable parts: numbers compare numerically, and a
/// pre-release tag sorts before the release it precedes.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (pa, pb) = (parts(a), parts(b));
    let n = pa.len().max(pb.len());
    for i in 0..n {
        let x = pa.get(i).cloned().unwrap_or(Part::Num(0));
        let y = pb.get(i).cloned().unwrap_or(Part::Num(0));
        match x.cmp(&y) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    Ordering::Equal
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    /// `a1`, `b2`, `rc1`: below a release's zero.
    Pre(String, u64),
    Num(u64),
    /// `post1`: above every further release number.
    Post(u64),
}

fn parts(v: &str) -> Vec<Part> {
    let v = v.trim().trim_start_matches(['v', 'V']);
    let mut out = Vec::new();
    for piece in v.split(['.', '-', '_']) {
        let digits: String = piece.chars().take_while(char::is_ascii_digit).collect();
        let rest = &piece[digits.len()..];
        if !digits.is_empty() {
            out.push(Part::Num(digits.parse().unwrap_or(u64::MAX)));
        }
        if rest.is_empty() {
            continue;
        }
        let tag: String = rest.chars().take_while(char::is_ascii_alphabetic).collect::<String>().to_ascii_lowercase();
        let n: u64 = rest[tag.len()..].parse().unwrap_or(0);
        out.push(match tag.as_str() {
            "post" | "rev" | "r" => Part::Post(n),
            _ => Part::Pre(tag, n),
        });
    }
    out
}

/// One clause of a specifier, `>=1.2`.
#[derive(Clone, Debug, PartialEq)]
pub struct Clause {
    pub op: String,
    pub version: String,
}

/// Parses `>=1.2,<3` (empty for no constraint); `Err` names the bad clause.
pub fn parse_specifier(text: &str) -> Result<Vec<Clause>, String> {
    let mut out = Vec::new();
    for raw in text.split(',') {
        let c = raw.trim();
        if c.is_empty() {
            continue;
        }
        let op_len = c.chars().take_while(|ch| "<>=!~".contains(*ch)).count();
        let (op, version) = c.split_at(op_len);
        let version = version.trim();
        if !matches!(op, "==" | "!=" | ">=" | "<=" | ">" | "<" | "~=" | "===") || version.is_empty() || !version.chars().all(|ch| ch.is_ascii_alphanumeric() || ".*+-_!".contains(ch)) {
            return Err(c.to_string());
        }
        out.push(Clause { op: op.to_string(), version: version.to_string() });
    }
    Ok(out)
}

/// Whether `version` satisfies every clause.
pub fn satisfies(version: &str, clauses: &[Clause]) -> bool {
    clauses.iter().all(|c| {
        if let Some(prefix) = c.version.strip_suffix(".*") {
            let matches = version == prefix || version.starts_with(&format!("{prefix}."));
            return if c.op == "!=" { !matches } else { matches };
        }
        let o = compare(version, &c.version);
        match c.op.as_str() {
            "==" | "===" => o == Ordering::Equal,
            "!=" => o != Ordering::Equal,
            ">=" => o != Ordering::Less,
            "<=" => o != Ordering::Greater,
            ">" => o == Ordering::Greater,
            "<" => o == Ordering::Less,
            "~=" => {
                let mut base: Vec<&str> = c.version.split('.').collect();
                if base.len() > 1 {
                    base.pop();
                }
                let prefix = base.join(".");
                o != Ordering::Less && (version == prefix || version.starts_with(&format!("{prefix}.")))
            }
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordering_and_specifiers() {
        assert_eq!(compare("1.26.4", "1.3"), Ordering::Greater);
        assert_eq!(compare("2.9.0.post0", "2.9.0"), Ordering::Greater);
        assert_eq!(compare("2.0rc1", "2.0"), Ordering::Less);
        assert_eq!(compare("1.0", "1.0.0"), Ordering::Equal);
        let s = parse_specifier(">=2,<4").unwrap();
        assert!(satisfies("3.4", &s) && !satisfies("4.0", &s) && !satisfies("1.9", &s));
        assert!(satisfies("1.4.2", &parse_specifier("~=1.4").unwrap()));
        assert!(!satisfies("2.0", &parse_specifier("~=1.4").unwrap()));
        assert!(satisfies("1.26.4", &parse_specifier("==1.26.*").unwrap()));
        assert!(parse_specifier("=>1.0").is_err());
    }
}
