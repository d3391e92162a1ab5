//! Docker's human-readable figures: sizes (`1.01GB`), ages (`2 weeks ago`) and tables
//! aligned the way Go's tabwriter aligns them.

pub use crate::units::{human_duration, human_size};
pub use crate::time::{parse_rfc3339, rfc3339};

/// Aligns rows as docker/cli's formatter does, with Go's `tabwriter` (minimum width 10,
/// padding 3): a column is as wide as its widest cell plus 3, and at least 10
/// (`IMAGE     COMMAND`).
pub fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols).map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0).max(7)).collect();
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            if c + 1 == row.len() {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[c] - cell.chars().count() + 3));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_like_docker() {
        assert_eq!(human_size(13_300), "13.3kB");
        assert_eq!(human_size(7_800_000), "7.8MB");
        assert_eq!(human_size(130_000_000), "130MB");
        assert_eq!(human_size(1_010_000_000), "1.01GB");
        assert_eq!(human_size(512), "512B");
        assert_eq!(human_duration(30), "30 seconds");
        assert_eq!(human_duration(3600 * 24 * 15), "2 weeks");
        assert_eq!(human_duration(3600 * 24 * 400), "13 months");
        let t = parse_rfc3339("2024-10-01T00:00:00Z").unwrap();
        assert_eq!(t, 1_727_740_800);
        assert_eq!(rfc3339(t), "2024-10-01T00:00:00Z");
        assert_eq!(table(&[vec!["REPOSITORY".into(), "TAG".into(), "SIZE".into()], vec!["alpine".into(), "latest".into(), "7.8MB".into()]]), "REPOSITORY   TAG       SIZE\nalpine       latest    7.8MB\n");
    }
}

/// `--format` for listings: a Go template per row, or with a `table` prefix, a header
/// row (each field's column name) and rows aligned on their tabs, as Docker prints them.
/// A template that does not parse or run is Go's error.
pub fn format_rows(template: &str, fields: &[(&str, &str)], rows: &[serde_json::Value]) -> Result<String, String> {
    let (table_mode, body) = match template.strip_prefix("table") {
        Some(rest) => (true, rest.trim_start()),
        None => (false, template),
    };
    let body = body.replace("\\t", "\t");
    if !table_mode {
        return rows.iter().map(|r| super::template::render(&body, r).map(|line| line + "\n")).collect();
    }
    let header = serde_json::Value::Object(fields.iter().map(|(k, h)| (k.to_string(), serde_json::Value::String(h.to_string()))).collect());
    let mut lines = vec![super::template::render(&body, &header)?];
    for r in rows {
        lines.push(super::template::render(&body, r)?);
    }
    Ok(table(&lines.iter().map(|l| l.split('\t').map(str::to_string).collect()).collect::<Vec<_>>()))
}

/// A `--format` that did not parse or run, as docker/cli reports it.
pub fn template_error(e: String) -> super::Output {
    super::Output::fail(1, format!("template parsing error: {e}\n"))
}

#[test]
fn format_rows_plain_and_table() {
    let rows = vec![serde_json::json!({"Names": "web", "Status": "Exited (0)"})];
    assert_eq!(format_rows("{{.Names}}", &[("Names", "NAMES")], &rows).unwrap(), "web\n");
    assert_eq!(format_rows("table {{.Names}}\\t{{.Status}}", &[("Names", "NAMES"), ("Status", "STATUS")], &rows).unwrap(), "NAMES     STATUS\nweb       Exited (0)\n");
}

/// `inspect`'s output of `docs`: each rendered with a `--format` template, or (none, or
/// `json`) the array as dockerd's client prints it, indented by four.
pub fn inspect_docs(format: Option<&str>, docs: &[serde_json::Value]) -> Result<Vec<u8>, super::Output> {
    match format.filter(|f| *f != "json") {
        Some(f) => docs.iter().map(|d| super::template::render(f, d).map(|t| t + "\n")).collect::<Result<String, String>>().map(String::into_bytes).map_err(template_error),
        None => Ok(format!("{}\n", serde_json::to_string_pretty(docs).unwrap_or_default().replace("  ", "    ")).into_bytes()),
    }
}

/// `inspect` of each of `keys`: the documents `doc` gives, and dockerd's error line for
/// each it refuses (status 1), as `volume inspect` and `network inspect` print them.
pub fn inspect_each<'a>(format: Option<&str>, keys: impl IntoIterator<Item = &'a String>, mut doc: impl FnMut(&str) -> Result<serde_json::Value, String>) -> super::Output {
    let mut out = super::Output::ok("");
    let mut docs = Vec::new();
    for key in keys {
        match doc(key) {
            Ok(d) => docs.push(d),
            Err(message) => {
                out.stderr.extend_from_slice(format!("Error response from daemon: {message}\n").as_bytes());
                out.code = 1;
            }
        }
    }
    match inspect_docs(format, &docs) {
        Ok(text) => out.stdout = text,
        Err(e) => return e,
    }
    out
}
