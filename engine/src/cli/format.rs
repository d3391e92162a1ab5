//! Docker's human-readable figures: sizes (`1.01GB`), ages (`2 weeks ago`) and tables
//! aligned the way Go's tabwriter aligns them.

/// `go-units.HumanSize`: decimal units, three significant digits.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    let digits = if value < 1.0 { 1 } else { value.log10().floor() as i32 + 1 };
    let decimals = (3 - digits).max(0) as usize;
    let mut s = format!("{value:.decimals$}");
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    format!("{s}{}", UNITS[unit])
}

/// `go-units.HumanDuration` of `seconds`.
pub fn human_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    let minutes = s / 60;
    let hours = (s + 1800) / 3600;
    if s < 1 {
        "Less than a second".into()
    } else if s == 1 {
        "1 second".into()
    } else if s < 60 {
        format!("{s} seconds")
    } else if minutes == 1 {
        "About a minute".into()
    } else if minutes < 60 {
        format!("{minutes} minutes")
    } else if hours == 1 {
        "About an hour".into()
    } else if hours < 48 {
        format!("{hours} hours")
    } else if hours < 24 * 7 * 2 {
        format!("{} days", hours / 24)
    } else if hours < 24 * 30 * 2 {
        format!("{} weeks", hours / 24 / 7)
    } else if hours < 24 * 365 * 2 {
        format!("{} months", hours / 24 / 30)
    } else {
        format!("{} years", s / 3600 / 24 / 365)
    }
}

pub use crate::time::{parse_rfc3339, rfc3339};

/// Aligns rows like Go's `tabwriter` with padding 3 (what `docker ps`/`images` use).
pub fn table(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols).map(|c| rows.iter().filter_map(|r| r.get(c)).map(|s| s.chars().count()).max().unwrap_or(0)).collect();
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
        assert_eq!(table(&[vec!["REPOSITORY".into(), "TAG".into()], vec!["hello-world".into(), "latest".into()]]), "REPOSITORY    TAG\nhello-world   latest\n");
    }
}

/// The value of `--format X` or `--format=X` among a command's arguments.
pub fn format_flag(args: &[String]) -> Option<String> {
    args.iter().position(|a| a == "--format").and_then(|i| args.get(i + 1)).cloned().or_else(|| args.iter().find_map(|a| a.strip_prefix("--format=")).map(str::to_string))
}

/// `--format` for listings: a Go template per row, or with a `table` prefix, a header
/// row (each field's column name) and rows aligned on their tabs, as Docker prints them.
pub fn format_rows(template: &str, fields: &[(&str, &str)], rows: &[serde_json::Value]) -> String {
    let (table_mode, body) = match template.strip_prefix("table") {
        Some(rest) => (true, rest.trim_start()),
        None => (false, template),
    };
    let body = body.replace("\\t", "\t");
    if !table_mode {
        return rows.iter().map(|r| super::template::render(&body, r) + "\n").collect();
    }
    let header = serde_json::Value::Object(fields.iter().map(|(k, h)| (k.to_string(), serde_json::Value::String(h.to_string()))).collect());
    let mut lines = vec![super::template::render(&body, &header)];
    lines.extend(rows.iter().map(|r| super::template::render(&body, r)));
    table(&lines.iter().map(|l| l.split('\t').map(str::to_string).collect()).collect::<Vec<_>>())
}

#[test]
fn format_rows_plain_and_table() {
    let rows = vec![serde_json::json!({"Names": "web", "Status": "Exited (0)"})];
    assert_eq!(format_rows("{{.Names}}", &[("Names", "NAMES")], &rows), "web\n");
    assert_eq!(format_rows("table {{.Names}}\\t{{.Status}}", &[("Names", "NAMES"), ("Status", "STATUS")], &rows), "NAMES   STATUS\nweb     Exited (0)\n");
}
