//! RFC 3339 timestamps without a date library.

/// Seconds since the epoch of an RFC 3339 UTC timestamp (`2024-10-01T00:00:00Z`).
pub fn parse_rfc3339(s: &str) -> Option<i64> {
    let (date, time) = s.split_once('T')?;
    let mut d = date.split('-').map(|x| x.parse::<i64>());
    let (y, m, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let time = time.trim_end_matches('Z');
    let time = time.split(['+', '.']).next()?;
    let mut t = time.split(':').map(|x| x.parse::<i64>());
    let (hh, mm, ss) = (t.next()?.ok()?, t.next()?.ok()?, t.next().and_then(Result::ok).unwrap_or(0));
    if !(0..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&day) || !(0..24).contains(&hh) || !(0..60).contains(&mm) || !(0..=60).contains(&ss) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Month names as `date`, `ls -l` and logs abbreviate them.
pub const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// RFC 3339 UTC text for seconds since the epoch.
pub fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// The C library's `ctime` layout in UTC, as `git log` dates a commit:
/// `Tue Nov 14 22:13:20 2023`.
pub fn format_ctime(secs: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    let text = rfc3339(secs);
    let (y, m, d) = (&text[..4], text[5..7].parse::<usize>().unwrap_or(1), text[8..10].parse::<u32>().unwrap_or(1));
    format!("{} {} {d} {} {y}", DAYS[secs.div_euclid(86_400).rem_euclid(7) as usize], MONTHS[m.saturating_sub(1).min(11)], &text[11..19])
}

/// RFC 3339 UTC text with nanoseconds, as `docker logs -t` prints it
/// (`2026-11-23T12:00:00.000000000Z`).
pub fn rfc3339_nanos(nanos: i64) -> String {
    let text = rfc3339(nanos.div_euclid(1_000_000_000));
    format!("{}.{:09}Z", text.trim_end_matches('Z'), nanos.rem_euclid(1_000_000_000))
}

/// Nanoseconds since the epoch of an RFC 3339 UTC timestamp with a fraction
/// (`2026-11-23T12:00:00.123456789Z`, as Docker's json-file logs have them).
pub fn parse_rfc3339_nanos(s: &str) -> Option<i64> {
    let secs = parse_rfc3339(s)?;
    let fraction = s.split_once('.').map_or("", |(_, f)| f.trim_end_matches('Z'));
    let digits: String = fraction.chars().take_while(char::is_ascii_digit).take(9).collect();
    let nanos = if digits.is_empty() { 0 } else { format!("{digits:0<9}").parse::<i64>().ok()? };
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

#[test]
fn nanosecond_timestamps_read_back() {
    let t = 1_795_435_200_123_456_789;
    assert_eq!(parse_rfc3339_nanos(&rfc3339_nanos(t)), Some(t));
    assert_eq!(parse_rfc3339_nanos("2026-11-23T12:00:00.5Z"), Some(1_795_435_200_500_000_000));
    assert_eq!(parse_rfc3339_nanos("2026-11-23T12:00:00Z"), Some(1_795_435_200_000_000_000));
}

/// Seconds of a Go duration (`90s`, `10m`, `1h30m`, `1.5h`).
pub fn parse_duration(s: &str) -> Option<f64> {
    let mut total = 0.0;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !(c.is_ascii_digit() || c == '.'))?;
        let n: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(rest.len());
        let scale = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        total += n * scale;
        rest = &rest[unit_len..];
    }
    (!s.is_empty()).then_some(total)
}

#[test]
fn nanosecond_timestamps_and_durations() {
    assert_eq!(rfc3339_nanos(1_795_435_200_500_000_000), "2026-11-23T12:00:00.500000000Z");
    assert_eq!(parse_duration("1h30m"), Some(5400.0));
    assert_eq!(parse_duration("10s"), Some(10.0));
    assert_eq!(parse_duration("10"), None);
    assert_eq!(parse_duration("x"), None);
}
