//! What the Dockerfile editor draws: the text cut into pieces that carry a highlighting
//! class and, where the linter found something, its severity and message. Pure, so it is
//! tested natively.

use engine::api::{highlight, LintItem, TokenKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece<'a> {
    pub text: &'a str,
    pub kind: TokenKind,
    /// The most severe finding over this piece: `error`, `warning`, `info`.
    pub severity: Option<&'a str>,
    pub message: Option<&'a str>,
}

/// Whether a file is edited as a Dockerfile (highlighting and lint).
pub fn is_dockerfile(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "Dockerfile" || name.starts_with("Dockerfile.") || name.ends_with(".dockerfile") || name == "Containerfile"
}

fn rank(severity: &str) -> u8 {
    match severity {
        "error" => 3,
        "warning" => 2,
        _ => 1,
    }
}

/// The range a finding underlines: its span, or the rest of its line when the span is
/// empty.
fn range(source: &str, item: &LintItem) -> (usize, usize) {
    let mut start = item.start.min(source.len());
    while !source.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = item.end.min(source.len());
    if end <= start {
        end = source[start..].find('\n').map_or(source.len(), |i| start + i);
        if end == start && start > 0 {
            // A finding at the very end of a line: underline the character before it.
            return (source[..start].char_indices().last().map_or(0, |(i, _)| i), start);
        }
    }
    while !source.is_char_boundary(end) {
        end -= 1;
    }
    (start, end.max(start))
}

pub fn pieces<'a>(source: &'a str, dockerfile: bool, findings: &'a [LintItem]) -> Vec<Piece<'a>> {
    let tokens: Vec<(TokenKind, &str)> = if dockerfile { highlight(source) } else { vec![(TokenKind::Text, source)] };
    let ranges: Vec<(usize, usize, &LintItem)> = findings.iter().map(|f| {
        let (s, e) = range(source, f);
        (s, e, f)
    }).collect();
    let mut out = Vec::new();
    let mut offset = 0;
    for (kind, text) in tokens {
        let (start, end) = (offset, offset + text.len());
        offset = end;
        let mut cuts: Vec<usize> = vec![start, end];
        for (s, e, _) in &ranges {
            for c in [*s, *e] {
                if c > start && c < end {
                    cuts.push(c);
                }
            }
        }
        cuts.sort_unstable();
        cuts.dedup();
        for w in cuts.windows(2) {
            let (a, b) = (w[0], w[1]);
            let worst = ranges.iter().filter(|(s, e, _)| *s < b && *e > a).max_by_key(|(_, _, f)| rank(&f.severity));
            out.push(Piece { text: &source[a..b], kind, severity: worst.map(|(_, _, f)| f.severity.as_str()), message: worst.map(|(_, _, f)| f.message.as_str()) });
        }
    }
    out
}

/// The messages of the findings on a 1-based line (the editor's hover text).
pub fn messages_on_line(source: &str, findings: &[LintItem], line: usize) -> String {
    findings
        .iter()
        .filter(|f| {
            let (s, e) = range(source, f);
            let first = source[..s].matches('\n').count() + 1;
            let last = source[..e].matches('\n').count() + 1;
            (first..=last).contains(&line)
        })
        .map(|f| match &f.hint {
            Some(h) => format!("{}: {} (hint: {h})", f.severity, f.message),
            None => format!("{}: {}", f.severity, f.message),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_cover_the_source_and_mark_findings() {
        let src = "FROM alpine:3.20\nRUNN echo hi\nCMD [\"sh\"]\n";
        let findings = engine::api::lint(src);
        let pieces = pieces(src, true, &findings);
        assert_eq!(pieces.iter().map(|p| p.text).collect::<String>(), src);
        let marked: String = pieces.iter().filter(|p| p.severity == Some("error")).map(|p| p.text).collect();
        assert!(marked.starts_with("RUNN"), "{marked:?}");
        assert_eq!(pieces.iter().find(|p| p.text == "CMD"), Some(&Piece { text: "CMD", kind: TokenKind::Instruction, severity: None, message: None }));
        assert!(messages_on_line(src, &findings, 2).contains("unknown instruction: RUNN (hint: did you mean RUN?)"));
        assert_eq!(messages_on_line(src, &findings, 3), "");
    }

    #[test]
    fn plain_files_are_one_piece_and_odd_spans_never_split_a_character() {
        let src = "héllo\n";
        assert_eq!(pieces(src, false, &[]).len(), 1);
        let odd = LintItem { start: 2, end: 2, line: 1, column: 2, severity: "warning".into(), rule: None, message: "m".into(), hint: None };
        let p = pieces(src, true, std::slice::from_ref(&odd));
        assert_eq!(p.iter().map(|p| p.text).collect::<String>(), src);
        assert!(is_dockerfile("app/Dockerfile") && is_dockerfile("trainer.dockerfile") && !is_dockerfile("app.py"));
    }
}
