//! Docker's human-readable figures (go-units): sizes (`1.01GB`) and durations
//! (`2 weeks`). A leaf: the build's progress, the command line and the page all use it.

/// `go-units.HumanSize`: decimal units, three significant digits.
pub fn human_size(bytes: u64) -> String {
    scaled(bytes, 1000.0, &["B", "kB", "MB", "GB", "TB", "PB", "EB"], 3)
}

/// [`human_size`] with four significant digits, as Docker's progress bars write sizes.
pub fn human_size4(bytes: u64) -> String {
    scaled(bytes, 1000.0, &["B", "kB", "MB", "GB", "TB", "PB", "EB"], 4)
}

/// `bytes` in the largest of `units` (each `base` times the last) that keeps it at or
/// above 1, with `significant` digits and no trailing zeros, as Go's `%.<n>g` writes it.
fn scaled(bytes: u64, base: f64, units: &[&str], significant: i32) -> String {
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= base && unit + 1 < units.len() {
        value /= base;
        unit += 1;
    }
    let digits = if value < 1.0 { 1 } else { value.log10().floor() as i32 + 1 };
    let decimals = (significant - digits).max(0) as usize;
    let mut s = format!("{value:.decimals$}");
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    format!("{s}{}", units[unit])
}

/// `go-units.BytesSize`: binary units, four significant digits (`1.234MiB`), as
/// `docker stats` shows memory.
pub fn bytes_size(bytes: u64) -> String {
    scaled(bytes, 1024.0, &["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"], 4)
}

#[test]
fn binary_sizes_read_as_go_units_writes_them() {
    assert_eq!(bytes_size(0), "0B");
    assert_eq!(bytes_size(64 << 20), "64MiB");
    assert_eq!(bytes_size(1_294_336), "1.234MiB");
    assert_eq!(bytes_size(1536), "1.5KiB");
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
