//! Docker's human-readable figures (go-units): sizes (`1.01GB`) and durations
//! (`2 weeks`). A leaf: the build's progress, the command line and the page all use it.

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

/// `go-units.BytesSize`: binary units, four significant digits (`1.234MiB`), as
/// `docker stats` shows memory.
pub fn bytes_size(bytes: u64) -> String {
    const UNITS: [&str; 7] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    // Go's %.4g: four significant digits, no trailing zeros.
    let digits = if value < 1.0 { 1 } else { value.log10().floor() as i32 + 1 };
    let decimals = (4 - digits).max(0) as usize;
    let mut s = format!("{value:.decimals$}");
    if s.contains('.') {
        s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    }
    format!("{s}{}", UNITS[unit])
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
