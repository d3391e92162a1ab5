//! `dd`, as GNU coreutils' reads its operands (`if=`, `of=`, `bs=`, `ibs=`, `obs=`,
//! `count=`, `skip=`, `seek=`, `conv=`, `iflag=`, `oflag=`, `status=`) and reports the
//! records it moved. Input is read in `ibs` blocks and only as far as `count` needs,
//! so `dd if=/dev/zero bs=1M count=8` reads 8 MiB. An endless input (a device with no
//! `count`) stops at the emulated device limit (64 MiB) with `File too large`, where
//! the real one would run until the disk is full.

use super::Ctx;
use crate::vfs::FileType;

/// How much of an endless device an uncounted `dd` reads before it gives up.
const DEVICE_LIMIT: u64 = 64 << 20;

/// A size operand: a number with GNU's suffixes (`c` 1, `w` 2, `b` 512, `kB` 1000,
/// `K`/`KiB` 1024, `MB`, `M`, … up to `E`), and `x` products (`2x512`).
fn size(text: &str) -> Option<u64> {
    let mut total: u64 = 1;
    for part in text.split('x') {
        let digits = part.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        let n: u64 = part[..digits].parse().ok()?;
        let unit = &part[digits..];
        let mult: u64 = match unit {
            "" | "c" => 1,
            "w" => 2,
            "b" => 512,
            _ => {
                let (letter, rest) = unit.split_at(1);
                let power = "KMGTPE".find(letter.to_ascii_uppercase().as_str())? as u32 + 1;
                // `k` is only ever kilo; the others are upper case.
                if letter != "k" && letter.chars().all(|c| c.is_ascii_lowercase()) {
                    return None;
                }
                let base: u64 = match rest {
                    "" | "iB" => 1024,
                    "B" => 1000,
                    _ => return None,
                };
                base.checked_pow(power)?
            }
        };
        total = total.checked_mul(n.checked_mul(mult)?)?;
    }
    Some(total)
}

/// GNU's `human_readable` with autoscale, SI or IEC, rounded to nearest: `512 B`,
/// `1.0 kB`, `52 MB`.
fn human(bytes: f64, si: bool) -> String {
    let base = if si { 1000.0 } else { 1024.0 };
    let units = if si { ["B", "kB", "MB", "GB", "TB", "PB", "EB"] } else { ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"] };
    let mut v = bytes;
    let mut i = 0;
    while v >= base && i + 1 < units.len() {
        v /= base;
        i += 1;
    }
    if i == 0 {
        return format!("{} B", v.round());
    }
    if v < 10.0 {
        let r = (v * 10.0).round() / 10.0;
        if r < 10.0 {
            return format!("{r:.1} {}", units[i]);
        }
    }
    format!("{} {}", v.round(), units[i])
}

/// C's `%g` (six significant digits, no trailing zeros).
fn g(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let exp = v.abs().log10().floor() as i32;
    if !(-5..6).contains(&exp) {
        let s = format!("{:.5e}", v);
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let m = m.trim_end_matches('0').trim_end_matches('.');
        let e: i32 = e.parse().unwrap_or(0);
        return format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    let decimals = (5 - exp).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

fn usage_error(ctx: &mut Ctx, message: &str) -> i32 {
    ctx.err(&format!("dd: {message}\nTry 'dd --help' for more information.\n"));
    1
}

pub fn dd(args: &[String], ctx: &mut Ctx) -> i32 {
    #[cfg(not(target_family = "wasm"))]
    let started = std::time::Instant::now();
    let (mut input, mut output) = (None::<String>, None::<String>);
    let (mut ibs, mut obs) = (512u64, 512u64);
    let (mut count, mut skip, mut seek) = (None::<u64>, 0u64, 0u64);
    let mut conv: Vec<String> = Vec::new();
    let mut iflags: Vec<String> = Vec::new();
    let mut oflags: Vec<String> = Vec::new();
    let mut status = "default".to_string();
    for a in args {
        let Some((key, value)) = a.split_once('=') else {
            return usage_error(ctx, &format!("unrecognized operand '{a}'"));
        };
        let number = |v: &str| size(v);
        match key {
            "if" => input = Some(value.to_string()),
            "of" => output = Some(value.to_string()),
            "bs" | "ibs" | "obs" | "count" | "skip" | "seek" | "iseek" | "oseek" => {
                let Some(n) = number(value) else {
                    return ctx.fail("dd", &format!("invalid number: '{value}'"), 1);
                };
                if matches!(key, "bs" | "ibs" | "obs") && n == 0 {
                    return ctx.fail("dd", &format!("invalid number: '{value}'"), 1);
                }
                match key {
                    "bs" => (ibs, obs) = (n, n),
                    "ibs" => ibs = n,
                    "obs" => obs = n,
                    "count" => count = Some(n),
                    "skip" | "iseek" => skip = n,
                    _ => seek = n,
                }
            }
            "conv" | "iflag" | "oflag" => {
                let known: &[&str] = match key {
                    "conv" => &["ascii", "ebcdic", "ibm", "block", "unblock", "lcase", "ucase", "sparse", "swab", "sync", "excl", "nocreat", "notrunc", "noerror", "fdatasync", "fsync"],
                    _ => &["append", "direct", "directory", "dsync", "sync", "fullblock", "nonblock", "noatime", "nocache", "noctty", "nofollow", "count_bytes", "skip_bytes", "seek_bytes"],
                };
                for f in value.split(',') {
                    if !known.contains(&f) {
                        let what = if key == "conv" { "conversion" } else { "input flag" };
                        let what = if key == "oflag" { "output flag" } else { what };
                        return usage_error(ctx, &format!("invalid {what}: '{f}'"));
                    }
                }
                let list = match key {
                    "conv" => &mut conv,
                    "iflag" => &mut iflags,
                    _ => &mut oflags,
                };
                list.extend(value.split(',').map(str::to_string));
            }
            "status" => {
                if !matches!(value, "none" | "noxfer" | "progress") {
                    return usage_error(ctx, &format!("invalid status level: '{value}'"));
                }
                status = value.to_string();
            }
            _ => return usage_error(ctx, &format!("unrecognized operand '{a}'")),
        }
    }
    let has = |list: &[String], f: &str| list.iter().any(|x| x == f);
    if has(&conv, "lcase") && has(&conv, "ucase") {
        return usage_error(ctx, "cannot combine lcase and ucase");
    }
    let skip_bytes = if has(&iflags, "skip_bytes") { skip } else { skip.saturating_mul(ibs) };
    let count_bytes = count.map(|c| if has(&iflags, "count_bytes") { c } else { c.saturating_mul(ibs) });
    let seek_bytes = if has(&oflags, "seek_bytes") { seek } else { seek.saturating_mul(obs) };

    // The input: blocks of ibs, as far as count needs.
    let (mut data, mut full_in, mut partial_in) = (Vec::new(), 0u64, 0u64);
    let name = input.clone().unwrap_or_else(|| "standard input".into());
    let mut read_error = None;
    let stream = input.as_deref().is_none_or(|f| matches!(f, "-" | "/dev/stdin") || f.starts_with("/dev/fd/") || f.starts_with("/proc/self/fd/"));
    if stream {
        let all = match input.as_deref() {
            None | Some("-") => ctx.stdin.clone(),
            Some(f) => match ctx.read_input(f) {
                Ok(d) => d,
                Err(e) => return ctx.fail("dd", &format!("failed to open '{f}': {}", e.errno.message()), 1),
            },
        };
        let start = (skip_bytes as usize).min(all.len());
        if (skip_bytes as usize) > all.len() {
            ctx.err(&format!("dd: '{name}': cannot skip to specified offset\n"));
        }
        let end = count_bytes.map_or(all.len(), |c| start.saturating_add(c as usize).min(all.len()));
        for block in all[start..end].chunks(ibs as usize) {
            if block.len() as u64 == ibs { full_in += 1 } else { partial_in += 1 }
            data.extend_from_slice(block);
        }
    } else {
        let f = input.clone().unwrap_or_default();
        let path = ctx.path(&f);
        let meta = match ctx.fs.stat(&path) {
            Ok(m) => m,
            Err(e) => return ctx.fail("dd", &format!("failed to open '{f}': {}", e.errno.message()), 1),
        };
        if meta.is_dir() {
            return ctx.fail("dd", &format!("error reading '{f}': Is a directory"), 1);
        }
        let device = meta.kind == FileType::CharDevice;
        let mut at = skip_bytes;
        if !device && skip_bytes > meta.size {
            ctx.err(&format!("dd: '{f}': cannot skip to specified offset\n"));
        }
        let mut left = count_bytes;
        loop {
            let want = left.map_or(ibs, |l| l.min(ibs));
            if want == 0 {
                break;
            }
            if device && count_bytes.is_none() && data.len() as u64 >= DEVICE_LIMIT {
                read_error = Some(format!("dd: error reading '{f}': File too large\n"));
                break;
            }
            let block = match ctx.fs.read_range(&path, at, want as usize) {
                Ok(b) => b,
                Err(e) => {
                    read_error = Some(format!("dd: error reading '{f}': {}\n", e.errno.message()));
                    break;
                }
            };
            if block.is_empty() {
                break;
            }
            if block.len() as u64 == ibs { full_in += 1 } else { partial_in += 1 }
            at += block.len() as u64;
            left = left.map(|l| l - block.len() as u64);
            data.extend_from_slice(&block);
            if (block.len() as u64) < want {
                break;
            }
        }
    }
    if has(&conv, "sync") && partial_in > 0 {
        // A short last block is padded to ibs with NULs.
        let pad = (ibs - data.len() as u64 % ibs) % ibs;
        data.resize(data.len() + pad as usize, 0);
    }
    if has(&conv, "ucase") {
        data.make_ascii_uppercase();
    } else if has(&conv, "lcase") {
        data.make_ascii_lowercase();
    }
    if has(&conv, "swab") {
        for pair in data.chunks_exact_mut(2) {
            pair.swap(0, 1);
        }
    }

    // The output.
    let mut code = 0;
    match output.as_deref() {
        None | Some("-") | Some("/dev/stdout") => ctx.stdout.extend_from_slice(&data),
        Some("/dev/stderr") => ctx.err(&String::from_utf8_lossy(&data)),
        Some(f) => {
            let path = ctx.path(f);
            let exists = ctx.fs.stat(&path);
            let r = (|| {
                if let Ok(m) = &exists {
                    if m.is_dir() {
                        return Err(format!("failed to open '{f}': Is a directory"));
                    }
                    if has(&conv, "excl") {
                        return Err(format!("failed to open '{f}': File exists"));
                    }
                } else if has(&conv, "nocreat") {
                    return Err(format!("failed to open '{f}': No such file or directory"));
                }
                let msg = |e: crate::vfs::FsError| format!("failed to open '{f}': {}", e.errno.message());
                let device = exists.as_ref().is_ok_and(|m| m.kind == FileType::CharDevice);
                if device {
                    // /dev/null and friends take what is written.
                    return ctx.fs.write_at(&path, 0, &data).map_err(|e| format!("error writing '{f}': {}", e.errno.message()));
                }
                if exists.is_err() {
                    ctx.fs.write(&path, b"").map_err(msg)?;
                }
                let at = if has(&oflags, "append") { ctx.fs.stat(&path).map_or(0, |m| m.size) } else { seek_bytes };
                if !has(&conv, "notrunc") && !has(&oflags, "append") {
                    ctx.fs.set_len(&path, seek_bytes).map_err(|e| format!("failed to truncate to {seek_bytes} bytes in output file '{f}': {}", e.errno.message()))?;
                }
                if !data.is_empty() {
                    ctx.fs.write_at(&path, at, &data).map_err(|e| format!("error writing '{f}': {}", e.errno.message()))?;
                }
                Ok(())
            })();
            if let Err(e) = r {
                ctx.err(&format!("dd: {e}\n"));
                code = 1;
                if e.starts_with("failed to open") {
                    return code;
                }
            }
        }
    }
    if let Some(e) = read_error {
        ctx.err(&e);
        code = 1;
    }
    if status != "none" {
        let (full_out, partial_out) = (data.len() as u64 / obs, u64::from(!(data.len() as u64).is_multiple_of(obs)));
        let mut report = format!("{full_in}+{partial_in} records in\n{full_out}+{partial_out} records out\n");
        if status != "noxfer" {
            #[cfg(not(target_family = "wasm"))]
            let elapsed = started.elapsed().as_secs_f64();
            #[cfg(target_family = "wasm")]
            let elapsed = 0.0f64;
            let bytes = data.len() as u64;
            if ctx.busybox {
                // BusyBox's `make_human_readable_str` figures: 1024s, one decimal.
                let bb = |v: f64| {
                    let (mut v, mut i) = (v, 0);
                    while v >= 1024.0 && i < 6 {
                        v /= 1024.0;
                        i += 1;
                    }
                    if i == 0 { format!("{}", v.round()) } else { format!("{v:.1}{}", ["", "K", "M", "G", "T", "P", "E"][i]) }
                };
                let rate = if elapsed > 0.0 { bb(bytes as f64 / elapsed) } else { "inf".into() };
                report.push_str(&format!("{bytes} bytes ({}B) copied, {elapsed:.6} seconds, {rate}B/s\n", bb(bytes as f64)));
                ctx.err(&report);
                return code;
            }
            let (si, iec) = (human(bytes as f64, true), human(bytes as f64, false));
            let amount = match (si.ends_with(" B"), iec.ends_with(" B")) {
                (true, _) if bytes == 1 => "1 byte copied".to_string(),
                (true, _) => format!("{bytes} bytes copied"),
                (false, true) => format!("{bytes} bytes ({si}) copied"),
                (false, false) => format!("{bytes} bytes ({si}, {iec}) copied"),
            };
            let rate = if elapsed > 0.0 { format!("{}/s", human(bytes as f64 / elapsed, true)) } else { "Infinity B/s".into() };
            report.push_str(&format!("{amount}, {} s, {rate}\n", g(elapsed)));
        }
        ctx.err(&report);
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_figures_read_and_print_as_gnu_dd_does() {
        assert_eq!(size("512"), Some(512));
        assert_eq!(size("1M"), Some(1 << 20));
        assert_eq!(size("1MB"), Some(1_000_000));
        assert_eq!(size("1k"), Some(1024));
        assert_eq!(size("1kB"), Some(1000));
        assert_eq!(size("2x512"), Some(1024));
        assert_eq!(size("4b"), Some(2048));
        assert_eq!(size("1m"), None);
        assert_eq!(size("x"), None);
        assert_eq!(size("99999999999E"), None, "overflow is refused, not wrapped");
        assert_eq!(human(512.0, true), "512 B");
        assert_eq!(human(1_048_576.0, true), "1.0 MB");
        assert_eq!(human(1_048_576.0, false), "1.0 MiB");
        assert_eq!(human(52_428_800.0, true), "52 MB");
        assert_eq!(g(0.000123456789), "0.000123457");
        assert_eq!(g(1.5), "1.5");
    }
}
