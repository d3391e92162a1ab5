//! Text applets: `head`, `tail`, `wc`, `sort`, `uniq`, `cut`, `tr`, `grep`, `sed`, `awk`,
//! `seq`, `xargs`, `yes`, `rev`, `nl`, `tac`, `sha256sum`, `more`/`less`, `base64`,
//! `expr`, `printf`.

use regex_lite::Regex;

use super::{split_flags, unescape, Ctx};

/// Bytes `yes` writes before it is stopped as if by SIGPIPE: pipelines here are buffered,
/// so an endless producer must end on its own.
const OUTPUT_LIMIT: usize = 1 << 20;

pub fn run(name: &str, args: &[String], ctx: &mut Ctx) -> i32 {
    match name {
        "head" | "tail" => head_tail(name, args, ctx),
        "wc" => wc(args, ctx),
        "sort" => sort(args, ctx),
        "uniq" => uniq(args, ctx),
        "cut" => cut(args, ctx),
        "tr" => tr(args, ctx),
        "grep" | "egrep" | "fgrep" => grep(name, args, ctx),
        "sed" => sed(args, ctx),
        "awk" | "mawk" | "gawk" => awk(args, ctx),
        "seq" => seq(args, ctx),
        "xargs" => xargs(args, ctx),
        "yes" => {
            let line = if args.is_empty() { "y\n".to_string() } else { format!("{}\n", args.join(" ")) };
            while ctx.stdout.len() < OUTPUT_LIMIT {
                ctx.out(&line);
            }
            141
        }
        "rev" | "tac" | "nl" | "more" | "less" => lines_tool(name, args, ctx),
        "sha256sum" => {
            let p = split_flags(args);
            let (inputs, status) = ctx.inputs(name, &p.operands);
            for (f, data) in inputs {
                ctx.out(&format!("{}  {f}\n", crate::image::Digest::of(&data).hex()));
            }
            status
        }
        "base64" => base64(args, ctx),
        "expr" => expr(args, ctx),
        _ => printf(args, ctx),
    }
}

fn text_of(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

fn lines(text: &str) -> Vec<&str> {
    let mut v: Vec<&str> = text.split('\n').collect();
    if text.ends_with('\n') || text.is_empty() {
        v.pop();
    }
    v
}

/// The value after `-n`, `-n5`, `-5` style options.
fn count_option(args: &[String], letter: &str, default: i64) -> (i64, bool, Vec<String>) {
    let mut n = default;
    let mut from_start = false;
    let mut rest = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == letter {
            let v = args.get(i + 1).cloned().unwrap_or_default();
            from_start = v.starts_with('+');
            n = v.trim_start_matches(['+', '-']).parse().unwrap_or(default);
            i += 2;
            continue;
        }
        if let Some(v) = a.strip_prefix(letter) {
            from_start = v.starts_with('+');
            n = v.trim_start_matches(['+', '-']).parse().unwrap_or(default);
        } else if a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| c.is_ascii_digit()) {
            n = a[1..].parse().unwrap_or(default);
        } else if !(a.starts_with('-') && a.len() > 1) {
            rest.push(a.clone());
        }
        i += 1;
    }
    (n, from_start, rest)
}

fn head_tail(name: &str, args: &[String], ctx: &mut Ctx) -> i32 {
    let bytes_mode = args.iter().any(|a| a.starts_with("-c"));
    let letter = if bytes_mode { "-c" } else { "-n" };
    let (n, from_start, files) = count_option(args, letter, 10);
    // A named regular file is read only as far as the answer needs: `head -c 16` of a
    // 700 MB library costs 16 bytes, not the library.
    let part = if name == "head" { Part::Head { lines: !bytes_mode, n: n.max(0) as u64 } } else if from_start { Part::All } else { Part::Tail { lines: !bytes_mode, n: n.max(0) as u64 } };
    let (mut inputs, mut status) = (Vec::new(), 0);
    if files.is_empty() {
        inputs = ctx.inputs(name, &files).0;
    }
    for f in &files {
        let p = ctx.path(f);
        // Files and devices (`/dev/zero`) are read in ranges; the streams (`-`,
        // `/dev/stdin`, `/dev/fd/N`) through the inputs.
        let stream = f == "-" || matches!(f.as_str(), "/dev/stdin" | "/dev/stdout" | "/dev/stderr") || f.starts_with("/dev/fd/") || f.starts_with("/proc/self/fd/");
        let regular = !stream && ctx.fs.stat(&p).is_ok_and(|m| m.is_file() || m.kind == crate::vfs::FileType::CharDevice);
        match regular.then(|| read_part(&*ctx.fs, &p, part)) {
            Some(Ok(data)) => inputs.push((f.clone(), data)),
            Some(Err(e)) => status = ctx.fail(name, &format!("{f}: {}", e.errno.message()), 1),
            None => {
                let (mut one, st) = ctx.inputs(name, std::slice::from_ref(f));
                inputs.append(&mut one);
                status = status.max(st);
            }
        }
    }
    let many = inputs.len() > 1;
    for (i, (f, data)) in inputs.iter().enumerate() {
        if many {
            ctx.out(&format!("{}==> {f} <==\n", if i > 0 { "\n" } else { "" }));
        }
        let n = n.max(0) as usize;
        if bytes_mode {
            let slice = if name == "head" { &data[..n.min(data.len())] } else { &data[data.len().saturating_sub(n)..] };
            ctx.stdout.extend_from_slice(slice);
            continue;
        }
        let text = text_of(data);
        let ls: Vec<&str> = text.split_inclusive('\n').collect();
        let chosen: Vec<&str> = if name == "head" {
            ls.iter().take(n).copied().collect()
        } else if from_start {
            ls.iter().skip(n.saturating_sub(1)).copied().collect()
        } else {
            ls[ls.len().saturating_sub(n)..].to_vec()
        };
        ctx.out(&chosen.concat());
    }
    if name == "head" && files.is_empty() {
        // head stops reading once it has what it needs.
        let text = text_of(&ctx.stdin);
        let used: usize = text.split_inclusive('\n').take(n.max(0) as usize).map(str::len).sum();
        ctx.stdin_consumed = used;
    }
    status
}

/// What of a file `head` or `tail` needs.
#[derive(Clone, Copy)]
enum Part {
    All,
    /// The first `n` lines or bytes.
    Head { lines: bool, n: u64 },
    /// The last `n` lines or bytes.
    Tail { lines: bool, n: u64 },
}

/// The bytes of `path` that hold `part`, read in chunks from the start or the end (a
/// little more than needed is fine: the caller cuts it).
fn read_part(fs: &dyn crate::vfs::FileSystem, path: &str, part: Part) -> crate::vfs::FsResult<Vec<u8>> {
    const CHUNK: u64 = 64 << 10;
    let meta = fs.stat(path)?;
    // A device (`/dev/zero`, `/dev/urandom`) is a stream with no size: read as far as the
    // part needs, up to 64 MiB (then `EFBIG`: a line that long never ends here).
    const DEVICE_LIMIT: u64 = 64 << 20;
    let device = meta.kind == crate::vfs::FileType::CharDevice;
    let size = if device { DEVICE_LIMIT } else { meta.size };
    match part {
        Part::All => fs.read(path),
        Part::Head { lines: false, n } => fs.read_range(path, 0, n.min(size) as usize),
        // An empty stream (`/dev/null`) has an empty tail; an endless one has no end to
        // count back from.
        Part::Tail { .. } if device => match fs.read_range(path, 0, 1)?.is_empty() {
            true => Ok(Vec::new()),
            false => Err(crate::vfs::FsError::new(crate::vfs::Errno::EFBIG, path)),
        },
        Part::Tail { lines: false, n } => fs.read_range(path, size.saturating_sub(n), n.min(size) as usize),
        Part::Head { lines: true, n } => {
            let (mut out, mut newlines) = (Vec::new(), 0u64);
            while (out.len() as u64) < size && newlines < n {
                let chunk = fs.read_range(path, out.len() as u64, CHUNK as usize)?;
                if chunk.is_empty() {
                    break;
                }
                newlines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
                out.extend_from_slice(&chunk);
            }
            if device && newlines < n && out.len() as u64 >= size {
                return Err(crate::vfs::FsError::new(crate::vfs::Errno::EFBIG, path));
            }
            Ok(out)
        }
        Part::Tail { lines: true, n } => {
            // From the end back: n lines need n + 1 newlines (the last may end the file).
            let (mut start, mut newlines) = (size, 0u64);
            let mut chunks = Vec::new();
            while start > 0 && newlines <= n {
                let from = start.saturating_sub(CHUNK);
                let chunk = fs.read_range(path, from, (start - from) as usize)?;
                newlines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
                chunks.push(chunk);
                start = from;
            }
            Ok(chunks.into_iter().rev().flatten().collect())
        }
    }
}

fn wc(args: &[String], ctx: &mut Ctx) -> i32 {
    let p = split_flags(args);
    let (mut l, mut w, mut c) = (p.has('l'), p.has('w'), p.has('c') || p.has('m'));
    if !l && !w && !c {
        (l, w, c) = (true, true, true);
    }
    let (inputs, status) = ctx.inputs("wc", &p.operands);
    let single_stat = [l, w, c].iter().filter(|x| **x).count() == 1 && p.operands.is_empty();
    let mut totals = (0, 0, 0);
    let count = inputs.len();
    for (f, data) in inputs {
        let text = text_of(&data);
        let counts = (data.iter().filter(|b| **b == b'\n').count(), text.split_whitespace().count(), data.len());
        totals = (totals.0 + counts.0, totals.1 + counts.1, totals.2 + counts.2);
        let mut fields = Vec::new();
        if l {
            fields.push(counts.0);
        }
        if w {
            fields.push(counts.1);
        }
        if c {
            fields.push(counts.2);
        }
        let name = if f == "-" { String::new() } else { format!(" {f}") };
        if single_stat {
            ctx.out(&format!("{}\n", fields[0]));
        } else {
            let width = if p.operands.is_empty() { 7 } else { totals.2.max(1).to_string().len().max(1) };
            let cols: Vec<String> = fields.iter().map(|v| format!("{v:>width$}")).collect();
            ctx.out(&format!("{}{name}\n", cols.join(" ")));
        }
    }
    if count > 1 {
        let mut fields = Vec::new();
        if l {
            fields.push(totals.0);
        }
        if w {
            fields.push(totals.1);
        }
        if c {
            fields.push(totals.2);
        }
        let width = totals.2.max(1).to_string().len();
        let cols: Vec<String> = fields.iter().map(|v| format!("{v:>width$}")).collect();
        ctx.out(&format!("{} total\n", cols.join(" ")));
    }
    status
}

fn sort(args: &[String], ctx: &mut Ctx) -> i32 {
    let mut numeric = false;
    let mut reverse = false;
    let mut unique = false;
    let mut key: Option<usize> = None;
    let mut sep: Option<char> = None;
    let mut human_numeric = false;
    let mut files = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        match a.as_str() {
            "-k" => {
                key = args.get(i + 1).and_then(|k| k.split([',', '.']).next()?.trim_end_matches(char::is_alphabetic).parse().ok());
                if args.get(i + 1).is_some_and(|k| k.contains('n')) {
                    numeric = true;
                }
                i += 1;
            }
            "-t" => {
                sep = args.get(i + 1).and_then(|s| s.chars().next());
                i += 1;
            }
            s if s.starts_with("-t") && s.len() > 2 => sep = s[2..].chars().next(),
            s if s.starts_with("-k") && s.len() > 2 => key = s[2..].split(',').next().and_then(|k| k.parse().ok()),
            s if s.starts_with('-') && s.len() > 1 => {
                for c in s[1..].chars() {
                    match c {
                        'n' | 'g' => numeric = true,
                        'r' => reverse = true,
                        'u' => unique = true,
                        'h' => human_numeric = true,
                        _ => {}
                    }
                }
            }
            _ => files.push(a.clone()),
        }
        i += 1;
    }
    let (inputs, status) = ctx.inputs("sort", &files);
    let text: String = inputs.iter().map(|(_, d)| text_of(d)).collect::<Vec<_>>().join("");
    let mut ls: Vec<String> = lines(&text).into_iter().map(str::to_string).collect();
    let field = |line: &str| -> String {
        match key {
            None => line.to_string(),
            Some(k) => {
                let fields: Vec<&str> = match sep {
                    Some(s) => line.split(s).collect(),
                    None => line.split_whitespace().collect(),
                };
                fields.get(k.saturating_sub(1)..).map(|f| f.join(" ")).unwrap_or_default()
            }
        }
    };
    let num = |s: &str| -> f64 {
        let t = s.trim();
        let end = t.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-')).unwrap_or(t.len());
        let base: f64 = t[..end].parse().unwrap_or(0.0);
        if human_numeric {
            let mult = match t[end..].chars().next() {
                Some('K' | 'k') => 1e3,
                Some('M') => 1e6,
                Some('G') => 1e9,
                Some('T') => 1e12,
                _ => 1.0,
            };
            base * mult
        } else {
            base
        }
    };
    ls.sort_by(|a, b| {
        let (fa, fb) = (field(a), field(b));
        let ord = if numeric || human_numeric { num(&fa).partial_cmp(&num(&fb)).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.cmp(b)) } else { fa.cmp(&fb).then_with(|| a.cmp(b)) };
        if reverse {
            ord.reverse()
        } else {
            ord
        }
    });
    if unique {
        ls.dedup_by(|a, b| field(a) == field(b));
    }
    for l in ls {
        ctx.out(&format!("{l}\n"));
    }
    status
}

fn uniq(args: &[String], ctx: &mut Ctx) -> i32 {
    let p = split_flags(args);
    let (inputs, status) = ctx.inputs("uniq", &p.operands[..p.operands.len().min(1)]);
    let text: String = inputs.iter().map(|(_, d)| text_of(d)).collect();
    let mut groups: Vec<(String, usize)> = Vec::new();
    for l in lines(&text) {
        let same = groups.last().is_some_and(|(g, _)| if p.has('i') { g.eq_ignore_ascii_case(l) } else { g == l });
        if same {
            if let Some(last) = groups.last_mut() {
                last.1 += 1;
            }
        } else {
            groups.push((l.to_string(), 1));
        }
    }
    for (l, n) in groups {
        if (p.has('d') && n < 2) || (p.has('u') && n > 1) {
            continue;
        }
        if p.has('c') {
            ctx.out(&format!("{n:>7} {l}\n"));
        } else {
            ctx.out(&format!("{l}\n"));
        }
    }
    status
}

/// A `cut` list like `1,3-5,7-`.
fn ranges(spec: &str) -> Option<Vec<(usize, usize)>> {
    spec.split(',')
        .map(|part| {
            let (a, b) = match part.split_once('-') {
                Some((a, b)) => (if a.is_empty() { 1 } else { a.parse().ok()? }, if b.is_empty() { usize::MAX } else { b.parse().ok()? }),
                None => {
                    let n = part.parse().ok()?;
                    (n, n)
                }
            };
            (a >= 1).then_some((a, b))
        })
        .collect()
}

fn cut(args: &[String], ctx: &mut Ctx) -> i32 {
    let mut delim = '\t';
    let mut fields = None;
    let mut chars = None;
    let mut files = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        let value = |i: &mut usize, prefix: &str| -> String {
            if a.len() > prefix.len() {
                a[prefix.len()..].to_string()
            } else {
                *i += 1;
                args.get(*i).cloned().unwrap_or_default()
            }
        };
        if a.starts_with("-d") {
            delim = value(&mut i, "-d").chars().next().unwrap_or('\t');
        } else if a.starts_with("-f") {
            fields = Some(value(&mut i, "-f"));
        } else if a.starts_with("-c") || a.starts_with("-b") {
            chars = Some(value(&mut i, "-c"));
        } else {
            files.push(a.clone());
        }
        i += 1;
    }
    let Some(spec) = fields.clone().or(chars.clone()) else { return ctx.fail("cut", "you must specify a list of bytes, characters, or fields\nTry 'cut --help' for more information.", 1) };
    let Some(list) = ranges(&spec) else { return ctx.fail("cut", "invalid field value", 1) };
    let (inputs, status) = ctx.inputs("cut", &files);
    let text: String = inputs.iter().map(|(_, d)| text_of(d)).collect();
    let within = |n: usize| list.iter().any(|(a, b)| n >= *a && n <= *b);
    for l in lines(&text) {
        if fields.is_some() {
            if !l.contains(delim) {
                ctx.out(&format!("{l}\n"));
                continue;
            }
            let picked: Vec<&str> = l.split(delim).enumerate().filter(|(i, _)| within(i + 1)).map(|(_, f)| f).collect();
            ctx.out(&format!("{}\n", picked.join(&delim.to_string())));
        } else {
            let picked: String = l.chars().enumerate().filter(|(i, _)| within(i + 1)).map(|(_, c)| c).collect();
            ctx.out(&format!("{picked}\n"));
        }
    }
    status
}

fn expand_set(s: &str) -> Result<Vec<char>, String> {
    let s = unescape(s, false).0;
    let named = [("[:lower:]", "abcdefghijklmnopqrstuvwxyz"), ("[:upper:]", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"), ("[:digit:]", "0123456789"), ("[:space:]", " \t\n\r\x0b\x0c"), ("[:alpha:]", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"), ("[:alnum:]", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), ("[:punct:]", "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")];
    let mut s = s;
    for (k, v) in named {
        s = s.replace(k, v);
    }
    let chars: Vec<char> = s.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if i + 2 < chars.len() && chars[i + 1] == '-' {
            let (a, b) = (chars[i] as u32, chars[i + 2] as u32);
            if a > b {
                return Err(format!("range-endpoints of '{}-{}' are in reverse collating sequence order", chars[i], chars[i + 2]));
            }
            out.extend((a..=b).filter_map(char::from_u32));
            i += 3;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    Ok(out)
}

fn tr(args: &[String], ctx: &mut Ctx) -> i32 {
    let p = split_flags(args);
    let delete = p.has('d');
    let squeeze = p.has('s');
    let complement = p.has('c') || p.has('C');
    let (set1, set2) = match (p.operands.first().map(|s| expand_set(s)), p.operands.get(1).map(|s| expand_set(s)).unwrap_or(Ok(Vec::new()))) {
        (None, _) => return ctx.fail("tr", "missing operand", 1),
        (Some(Err(e)), _) | (_, Err(e)) => return ctx.fail("tr", &e, 1),
        (Some(Ok(a)), Ok(b)) => (a, b),
    };
    let input = text_of(&ctx.stdin);
    let in_set1 = |c: char| set1.contains(&c) != complement;
    let mut out = String::new();
    for c in input.chars() {
        if delete {
            if !in_set1(c) {
                out.push(c);
            }
            continue;
        }
        let mapped = if in_set1(c) && !set2.is_empty() {
            // A character of the complement maps to set2's last (found by the fuzzer:
            // the complement of an empty set1 had no last index).
            let idx = set1.iter().position(|x| *x == c).unwrap_or(set1.len().saturating_sub(1));
            set2.get(idx).or(set2.last()).copied().unwrap_or(c)
        } else {
            c
        };
        if squeeze && out.ends_with(mapped) && (if set2.is_empty() { in_set1(mapped) } else { set2.contains(&mapped) }) {
            continue;
        }
        out.push(mapped);
    }
    ctx.out(&out);
    0
}

/// Translates a POSIX basic regular expression to the extended syntax.
fn bre_to_ere(re: &str) -> String {
    let mut out = String::new();
    let mut chars = re.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e @ ('(' | ')' | '{' | '}' | '|' | '+' | '?')) => out.push(e),
                Some(e) => {
                    out.push('\\');
                    out.push(e);
                }
                None => out.push_str("\\\\"),
            },
            '(' | ')' | '{' | '}' | '|' | '+' | '?' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn compile(pattern: &str, extended: bool, fixed: bool, ignore_case: bool) -> Result<Regex, String> {
    let body = if fixed { regex_escape(pattern) } else if extended { pattern.to_string() } else { bre_to_ere(pattern) };
    let body = if ignore_case { format!("(?i){body}") } else { body };
    Regex::new(&body).map_err(|e| e.to_string())
}

fn regex_escape(s: &str) -> String {
    s.chars().flat_map(|c| if "\\.+*?()|[]{}^$#&-~".contains(c) { vec!['\\', c] } else { vec![c] }).collect()
}

fn grep(name: &str, args: &[String], ctx: &mut Ctx) -> i32 {
    let mut patterns = Vec::new();
    let mut opts = std::collections::HashSet::new();
    let mut files = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "-e" {
            patterns.extend(args.get(i + 1).cloned());
            i += 2;
            continue;
        }
        if a.starts_with("--") {
            match a.as_str() {
                "--ignore-case" => {
                    opts.insert('i');
                }
                "--invert-match" => {
                    opts.insert('v');
                }
                "--count" => {
                    opts.insert('c');
                }
                "--recursive" => {
                    opts.insert('r');
                }
                "--line-number" => {
                    opts.insert('n');
                }
                "--quiet" | "--silent" => {
                    opts.insert('q');
                }
                _ => {}
            }
        } else if a.starts_with('-') && a.len() > 1 {
            opts.extend(a[1..].chars());
        } else {
            files.push(a.clone());
        }
        i += 1;
    }
    if patterns.is_empty() {
        if files.is_empty() {
            return ctx.fail(name, "Usage: grep [OPTION]... PATTERNS [FILE]...\nTry 'grep --help' for more information.", 2);
        }
        patterns.push(files.remove(0));
    }
    let extended = name == "egrep" || opts.contains(&'E');
    let fixed = name == "fgrep" || opts.contains(&'F');
    let mut regexes = Vec::new();
    for p in &patterns {
        for part in p.split('\n') {
            match compile(part, extended, fixed, opts.contains(&'i')) {
                Ok(r) => regexes.push(r),
                Err(e) => return ctx.fail(name, &format!("Invalid regular expression: {e}"), 2),
            }
        }
    }
    let recursive = opts.contains(&'r') || opts.contains(&'R');
    let mut targets: Vec<(String, Vec<u8>)> = Vec::new();
    let mut status = 0;
    if recursive {
        if files.is_empty() {
            files.push(".".into());
        }
        for f in &files {
            let path = ctx.path(f);
            match ctx.fs.stat(&path) {
                Ok(m) if m.is_dir() => {
                    if let Ok(entries) = crate::vfs::walk::walk(&*ctx.fs, &path) {
                        for (rel, m) in entries.into_iter().filter(|(_, m)| m.is_file()) {
                            let _ = m;
                            let shown = if f == "." { rel.clone() } else { format!("{}/{rel}", f.trim_end_matches('/')) };
                            if let Ok(d) = ctx.fs.read(&crate::vfs::join(&path, &rel)) {
                                targets.push((shown, d));
                            }
                        }
                    }
                }
                Ok(_) => {
                    if let Ok(d) = ctx.fs.read(&path) {
                        targets.push((f.clone(), d));
                    }
                }
                Err(e) => status = ctx.fail(name, &format!("{f}: {}", e.errno.message()), 2),
            }
        }
    } else {
        let (inputs, s) = ctx.inputs(name, &files);
        if s != 0 {
            status = 2;
        }
        targets = inputs;
    }
    let show_names = (targets.len() > 1 || recursive) && !opts.contains(&'h');
    let invert = opts.contains(&'v');
    let mut any = false;
    for (f, data) in targets {
        let text = text_of(&data);
        let mut count = 0;
        for (n, line) in lines(&text).into_iter().enumerate() {
            let hit = regexes.iter().any(|r| if opts.contains(&'x') { r.find(line).is_some_and(|m| m.start() == 0 && m.end() == line.len()) } else if opts.contains(&'w') { r.find_iter(line).any(|m| word_bounded(line, m.start(), m.end())) } else { r.is_match(line) });
            if hit == invert {
                continue;
            }
            any = true;
            count += 1;
            if opts.contains(&'q') {
                return 0;
            }
            if opts.contains(&'c') || opts.contains(&'l') {
                continue;
            }
            let prefix = format!("{}{}", if show_names { format!("{f}:") } else { String::new() }, if opts.contains(&'n') { format!("{}:", n + 1) } else { String::new() });
            if opts.contains(&'o') && !invert {
                for r in &regexes {
                    for m in r.find_iter(line) {
                        ctx.out(&format!("{prefix}{}\n", m.as_str()));
                    }
                }
            } else {
                ctx.out(&format!("{prefix}{line}\n"));
            }
        }
        if opts.contains(&'c') {
            ctx.out(&format!("{}{count}\n", if show_names { format!("{f}:") } else { String::new() }));
        } else if opts.contains(&'l') && count > 0 {
            ctx.out(&format!("{f}\n"));
        }
    }
    if status == 2 && !any {
        return 2;
    }
    i32::from(!any)
}

fn word_bounded(line: &str, start: usize, end: usize) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let before = line[..start].chars().last().is_none_or(|c| !is_word(c));
    let after = line[end..].chars().next().is_none_or(|c| !is_word(c));
    before && after
}

/// One `sed` command.
enum SedCmd {
    Substitute { re: Regex, replacement: String, global: bool, print: bool, nth: usize },
    Delete,
    Print,
    Quit,
    Append(String),
    Insert(String),
}

struct SedLine {
    address: Option<(SedAddr, Option<SedAddr>)>,
    negate: bool,
    cmd: SedCmd,
}

enum SedAddr {
    Line(usize),
    Last,
    Regex(Regex),
}

fn parse_sed(script: &str, extended: bool) -> Result<Vec<SedLine>, String> {
    let mut out = Vec::new();
    for part in split_sed_commands(script) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        let chars: Vec<char> = part.chars().collect();
        let mut i = 0;
        let parse_addr = |i: &mut usize| -> Result<Option<SedAddr>, String> {
            if *i < chars.len() && chars[*i].is_ascii_digit() {
                let start = *i;
                while *i < chars.len() && chars[*i].is_ascii_digit() {
                    *i += 1;
                }
                return Ok(Some(SedAddr::Line(chars[start..*i].iter().collect::<String>().parse().unwrap_or(0))));
            }
            if *i < chars.len() && chars[*i] == '$' {
                *i += 1;
                return Ok(Some(SedAddr::Last));
            }
            if *i < chars.len() && chars[*i] == '/' {
                *i += 1;
                let start = *i;
                while *i < chars.len() && chars[*i] != '/' {
                    if chars[*i] == '\\' {
                        *i += 1;
                    }
                    *i += 1;
                }
                let re: String = chars[start..(*i).min(chars.len())].iter().collect();
                *i += 1;
                return Ok(Some(SedAddr::Regex(compile(&re, extended, false, false)?)));
            }
            Ok(None)
        };
        let a1 = parse_addr(&mut i)?;
        let mut address = None;
        if let Some(a1) = a1 {
            let mut a2 = None;
            if i < chars.len() && chars[i] == ',' {
                i += 1;
                a2 = parse_addr(&mut i)?;
            }
            address = Some((a1, a2));
        }
        while i < chars.len() && chars[i] == ' ' {
            i += 1;
        }
        let mut negate = false;
        if i < chars.len() && chars[i] == '!' {
            negate = true;
            i += 1;
        }
        let Some(&c) = chars.get(i) else { return Err("missing command".into()) };
        let rest: String = chars[i + 1..].iter().collect();
        let cmd = match c {
            's' => {
                let delim = rest.chars().next().ok_or("unterminated `s' command")?;
                let mut fields = Vec::new();
                let mut cur = String::new();
                let mut it = rest.chars().skip(1).peekable();
                while let Some(ch) = it.next() {
                    if ch == '\\' {
                        if let Some(n) = it.next() {
                            if n == delim {
                                cur.push(n);
                            } else {
                                cur.push('\\');
                                cur.push(n);
                            }
                        }
                    } else if ch == delim && fields.len() < 2 {
                        fields.push(std::mem::take(&mut cur));
                    } else {
                        cur.push(ch);
                    }
                }
                if fields.len() < 2 {
                    return Err("unterminated `s' command".into());
                }
                let flags = cur;
                let ignore = flags.contains('I') || flags.contains('i');
                let re = compile(&fields[0], extended, false, ignore)?;
                let nth = flags.chars().filter(|c| c.is_ascii_digit()).collect::<String>().parse().unwrap_or(1);
                SedCmd::Substitute { re, replacement: fields[1].clone(), global: flags.contains('g'), print: flags.contains('p'), nth }
            }
            'd' => SedCmd::Delete,
            'p' => SedCmd::Print,
            'q' => SedCmd::Quit,
            'a' => SedCmd::Append(rest.trim_start_matches('\\').trim_start().to_string()),
            'i' => SedCmd::Insert(rest.trim_start_matches('\\').trim_start().to_string()),
            other => return Err(format!("unknown command: `{other}'")),
        };
        out.push(SedLine { address, negate, cmd });
    }
    Ok(out)
}

fn split_sed_commands(script: &str) -> Vec<String> {
    // `;` and newlines separate commands, except inside s/// fields.
    let mut out = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = script.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == 's' && cur.trim().chars().all(|x| x.is_ascii_digit() || x == ',' || x == '$' || x == '!') && i + 1 < chars.len() {
            let delim = chars[i + 1];
            cur.push(c);
            cur.push(delim);
            i += 2;
            let mut seen = 0;
            while i < chars.len() && seen < 2 {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    cur.push(chars[i]);
                    cur.push(chars[i + 1]);
                    i += 2;
                    continue;
                }
                if chars[i] == delim {
                    seen += 1;
                }
                cur.push(chars[i]);
                i += 1;
            }
            continue;
        }
        if c == ';' || c == '\n' {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
        i += 1;
    }
    out.push(cur);
    out
}

fn sed_replacement(template: &str, caps: &regex_lite::Captures) -> String {
    let mut out = String::new();
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        match c {
            '&' => out.push_str(caps.get(0).map_or("", |m| m.as_str())),
            '\\' => match chars.next() {
                Some(d) if d.is_ascii_digit() => out.push_str(caps.get(d.to_digit(10).unwrap_or(0) as usize).map_or("", |m| m.as_str())),
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(o) => out.push(o),
                None => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}

fn sed(args: &[String], ctx: &mut Ctx) -> i32 {
    let mut scripts = Vec::new();
    let mut quiet = false;
    let mut in_place = false;
    let mut extended = false;
    let mut files = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        match a.as_str() {
            "-n" | "--quiet" | "--silent" => quiet = true,
            "-e" => {
                scripts.extend(args.get(i + 1).cloned());
                i += 1;
            }
            "-E" | "-r" => extended = true,
            s if s.starts_with("-i") => in_place = true,
            s if s.starts_with('-') && s.len() > 1 => {
                quiet |= s.contains('n');
                extended |= s.contains('E') || s.contains('r');
                in_place |= s.contains('i');
            }
            _ => files.push(a.clone()),
        }
        i += 1;
    }
    if scripts.is_empty() {
        if files.is_empty() {
            return ctx.fail("sed", "no script specified", 1);
        }
        scripts.push(files.remove(0));
    }
    let program = match parse_sed(&scripts.join("\n"), extended) {
        Ok(p) => p,
        Err(e) => return ctx.fail("sed", &format!("-e expression #1, char 1: {e}"), 1),
    };
    let run_on = |text: &str| -> (String, bool) {
        let all: Vec<&str> = lines(text);
        let mut out = String::new();
        let mut in_range = vec![false; program.len()];
        let mut quit = false;
        for (n, line) in all.iter().enumerate() {
            let lineno = n + 1;
            let last = lineno == all.len();
            let mut pattern = line.to_string();
            let mut deleted = false;
            let mut appends = Vec::new();
            for (k, cmd) in program.iter().enumerate() {
                let matches_addr = |a: &SedAddr, p: &str| match a {
                    SedAddr::Line(l) => *l == lineno,
                    SedAddr::Last => last,
                    SedAddr::Regex(r) => r.is_match(p),
                };
                let selected = match &cmd.address {
                    None => true,
                    Some((a1, None)) => matches_addr(a1, &pattern),
                    Some((a1, Some(a2))) => {
                        if in_range[k] {
                            if matches_addr(a2, &pattern) || matches!(a2, SedAddr::Line(l) if *l <= lineno) {
                                in_range[k] = false;
                            }
                            true
                        } else if matches_addr(a1, &pattern) {
                            in_range[k] = !matches!(a2, SedAddr::Line(l) if *l <= lineno);
                            true
                        } else {
                            false
                        }
                    }
                };
                if selected == cmd.negate {
                    continue;
                }
                match &cmd.cmd {
                    SedCmd::Substitute { re, replacement, global, print, nth } => {
                        let mut count = 0;
                        let mut changed = false;
                        let mut result = String::new();
                        let mut last_end = 0;
                        for caps in re.captures_iter(&pattern) {
                            let Some(m) = caps.get(0) else { continue };
                            count += 1;
                            if count < *nth || (!*global && count > *nth) {
                                continue;
                            }
                            result.push_str(&pattern[last_end..m.start()]);
                            result.push_str(&sed_replacement(replacement, &caps));
                            last_end = m.end();
                            changed = true;
                        }
                        if changed {
                            result.push_str(&pattern[last_end..]);
                            pattern = result;
                            if *print {
                                out.push_str(&pattern);
                                out.push('\n');
                            }
                        }
                    }
                    SedCmd::Delete => {
                        deleted = true;
                        break;
                    }
                    SedCmd::Print => {
                        out.push_str(&pattern);
                        out.push('\n');
                    }
                    SedCmd::Quit => quit = true,
                    SedCmd::Append(t) => appends.push(t.clone()),
                    SedCmd::Insert(t) => {
                        out.push_str(t);
                        out.push('\n');
                    }
                }
            }
            if !deleted && !quiet {
                out.push_str(&pattern);
                out.push('\n');
            }
            for a in appends {
                out.push_str(&a);
                out.push('\n');
            }
            if quit {
                break;
            }
        }
        (out, true)
    };
    if in_place {
        let mut status = 0;
        for f in &files {
            let path = ctx.path(f);
            match ctx.fs.read(&path) {
                Ok(d) => {
                    let (out, _) = run_on(&text_of(&d));
                    let _ = ctx.fs.write(&path, out.as_bytes());
                }
                Err(e) => status = ctx.fail("sed", &format!("can't read {f}: {}", e.errno.message()), 2),
            }
        }
        return status;
    }
    let (inputs, status) = ctx.inputs("sed", &files);
    let text: String = inputs.iter().map(|(_, d)| text_of(d)).collect();
    let (out, _) = run_on(&text);
    ctx.out(&out);
    if status != 0 {
        2
    } else {
        0
    }
}

/// A small awk: `BEGIN`/`END` blocks, patterns (`/re/`, comparisons such as `NR>1`,
/// `$3=="x"`), `print` and `printf` of fields, variables, strings and arithmetic,
/// `-F`, `-v` and `-f progfile` (`-f -`: the program from stdin).
fn awk(args: &[String], ctx: &mut Ctx) -> i32 {
    let mut fs_sep: Option<String> = None;
    let mut program = None;
    let mut program_files = Vec::new();
    let mut files = Vec::new();
    let mut vars: std::collections::HashMap<String, String> = std::collections::HashMap::new();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "-F" {
            fs_sep = args.get(i + 1).cloned();
            i += 2;
            continue;
        }
        if let Some(s) = a.strip_prefix("-F") {
            fs_sep = Some(s.to_string());
        } else if a == "-v" {
            if let Some((k, v)) = args.get(i + 1).and_then(|x| x.split_once('=')) {
                vars.insert(k.to_string(), v.to_string());
            }
            i += 1;
        } else if a == "-f" {
            match args.get(i + 1) {
                Some(f) => program_files.push(f.clone()),
                None => return ctx.fail("awk", "option requires an argument -- f", 2),
            }
            i += 1;
        } else if program.is_none() && program_files.is_empty() {
            program = Some(a.clone());
        } else {
            files.push(a.clone());
        }
        i += 1;
    }
    let mut stdin_used = false;
    if program.is_none() && !program_files.is_empty() {
        let mut text = String::new();
        for f in &program_files {
            let data = if f == "-" {
                stdin_used = true;
                Ok(ctx.stdin.clone())
            } else {
                ctx.read_input(f)
            };
            match data {
                Ok(d) => text.push_str(&String::from_utf8_lossy(&d)),
                Err(e) => return ctx.fail("awk", &format!("can't open file {f}: {}", e.errno.message()), 2),
            }
            text.push('\n');
        }
        program = Some(text);
    }
    let Some(program) = program else { return ctx.fail("awk", "usage: awk [-F value] [-v var=value] [-f progfile | 'program'] [file ...]", 2) };
    let rules = match awk::parse(&program) {
        Ok(r) => r,
        Err(e) => return ctx.fail("awk", &format!("syntax error in program: {e}"), 2),
    };
    // With the program on stdin and no files, there is no other input.
    let (inputs, status) = if stdin_used && files.is_empty() { (Vec::new(), 0) } else { ctx.inputs("awk", &files) };
    let text: String = inputs.iter().map(|(_, d)| text_of(d)).collect();
    let sep = fs_sep.map(|s| if s == "\\t" { "\t".to_string() } else { s });
    let out = {
        let reader = |name: &str| ctx.read_input(name).ok();
        awk::run(&rules, &text, sep.as_deref(), vars, &reader)
    };
    ctx.out(&out.stdout);
    if out.runaway {
        ctx.err("awk: stopped a runaway loop (1000000 iterations)\n");
    }
    for (name, append, data) in out.files {
        let path = ctx.path(&name);
        let mut bytes = if append { ctx.fs.read(&path).unwrap_or_default() } else { Vec::new() };
        bytes.extend_from_slice(data.as_bytes());
        if let Err(e) = ctx.fs.write(&path, &bytes) {
            return ctx.fail("awk", &format!("can't redirect to {name}: {}", e.errno.message()), 2);
        }
    }
    if out.status != 0 {
        out.status
    } else {
        status
    }
}

mod awk;

fn seq(args: &[String], ctx: &mut Ctx) -> i32 {
    let nums: Vec<f64> = match args.iter().map(|a| a.parse::<f64>()).collect::<Result<Vec<_>, _>>() {
        Ok(n) => n,
        Err(_) => return ctx.fail("seq", &format!("invalid floating point argument: '{}'", args.iter().find(|a| a.parse::<f64>().is_err()).map_or("", |s| s.as_str())), 1),
    };
    let (first, step, last) = match nums.as_slice() {
        [l] => (1.0, 1.0, *l),
        [f, l] => (*f, 1.0, *l),
        [f, s, l] => (*f, *s, *l),
        _ => return ctx.fail("seq", "missing operand", 1),
    };
    if step == 0.0 {
        return ctx.fail("seq", "invalid Zero increment value: '0'", 1);
    }
    let integral = args.iter().all(|a| !a.contains('.'));
    let mut x = first;
    let mut count = 0;
    while (step > 0.0 && x <= last) || (step < 0.0 && x >= last) {
        if integral {
            ctx.out(&format!("{}\n", x as i64));
        } else {
            ctx.out(&format!("{x}\n"));
        }
        x += step;
        count += 1;
        if count > 10_000_000 || ctx.stdout.len() > 64 << 20 {
            break;
        }
    }
    0
}

fn xargs(args: &[String], ctx: &mut Ctx) -> i32 {
    let mut n: Option<usize> = None;
    let mut replace: Option<String> = None;
    let mut cmd = Vec::new();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "-n" => {
                n = args.get(i + 1).and_then(|x| x.parse().ok());
                i += 2;
                continue;
            }
            "-I" => {
                replace = args.get(i + 1).cloned();
                i += 2;
                continue;
            }
            a if cmd.is_empty() && a.starts_with('-') => {}
            a => cmd.push(a.to_string()),
        }
        i += 1;
    }
    if cmd.is_empty() {
        cmd.push("echo".into());
    }
    let input = text_of(&ctx.stdin);
    let items: Vec<String> = if replace.is_some() { lines(&input).into_iter().map(str::to_string).collect() } else { input.split_whitespace().map(str::to_string).collect() };
    let batches: Vec<Vec<String>> = match (&replace, n) {
        (Some(_), _) => items.into_iter().map(|x| vec![x]).collect(),
        (None, Some(n)) => items.chunks(n.max(1)).map(<[String]>::to_vec).collect(),
        (None, None) => vec![items],
    };
    let mut status = 0;
    for batch in batches {
        let argv: Vec<String> = match &replace {
            Some(r) => cmd.iter().map(|c| c.replace(r.as_str(), &batch[0])).collect(),
            None => cmd.iter().cloned().chain(batch).collect(),
        };
        let program = argv[0].rsplit('/').next().unwrap_or(&argv[0]).to_string();
        let mut sub = Ctx::new(ctx.fs, &ctx.cwd, &ctx.env, Vec::new());
        sub.uid = ctx.uid;
        sub.group_explicit = ctx.group_explicit;
        sub.gid = ctx.gid;
        match super::run(&program, &argv, &mut sub) {
            Some(s) => {
                let (o, e) = (sub.stdout, sub.stderr);
                ctx.stdout.extend(o);
                ctx.stderr.extend(e);
                if s != 0 {
                    status = 123;
                }
            }
            None => {
                return ctx.fail("xargs", &format!("{}: No such file or directory", argv[0]), 127);
            }
        }
    }
    status
}

fn lines_tool(name: &str, args: &[String], ctx: &mut Ctx) -> i32 {
    let p = split_flags(args);
    let (inputs, status) = ctx.inputs(name, &p.operands);
    let text: String = inputs.iter().map(|(_, d)| text_of(d)).collect();
    match name {
        "rev" => {
            for l in lines(&text) {
                ctx.out(&format!("{}\n", l.chars().rev().collect::<String>()));
            }
        }
        "tac" => {
            for l in lines(&text).into_iter().rev() {
                ctx.out(&format!("{l}\n"));
            }
        }
        "nl" => {
            let mut n = 1;
            for l in lines(&text) {
                if l.is_empty() {
                    ctx.out("\n");
                } else {
                    ctx.out(&format!("{n:>6}\t{l}\n"));
                    n += 1;
                }
            }
        }
        // more and less page at a terminal; without one they copy their input.
        _ => ctx.out(&text),
    }
    status
}

fn base64(args: &[String], ctx: &mut Ctx) -> i32 {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let p = split_flags(args);
    let (inputs, status) = ctx.inputs("base64", &p.operands);
    let data: Vec<u8> = inputs.into_iter().flat_map(|(_, d)| d).collect();
    if p.has('d') {
        let clean: Vec<u8> = data.into_iter().filter(|b| !b.is_ascii_whitespace() && *b != b'=').collect();
        let mut out = Vec::new();
        for chunk in clean.chunks(4) {
            let vals: Vec<u32> = chunk.iter().filter_map(|b| ALPHABET.iter().position(|a| a == b).map(|p| p as u32)).collect();
            let n = vals.iter().fold(0u32, |acc, v| (acc << 6) | v) << (6 * (4 - vals.len() as u32));
            let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            out.extend_from_slice(&bytes[..vals.len().saturating_sub(1)]);
        }
        ctx.stdout.extend(out);
        return status;
    }
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    let wrapped: Vec<String> = out.as_bytes().chunks(76).map(|c| String::from_utf8_lossy(c).into_owned()).collect();
    ctx.out(&format!("{}\n", wrapped.join("\n")));
    status
}

fn expr(args: &[String], ctx: &mut Ctx) -> i32 {
    let text = args.join(" ");
    let value = match args {
        [a, op, b] => {
            let (x, y) = (a.parse::<i64>(), b.parse::<i64>());
            match (op.as_str(), x, y) {
                ("+", Ok(x), Ok(y)) => (x + y).to_string(),
                ("-", Ok(x), Ok(y)) => (x - y).to_string(),
                ("*", Ok(x), Ok(y)) => (x * y).to_string(),
                ("/", Ok(_), Ok(0)) | ("%", Ok(_), Ok(0)) => return ctx.fail("expr", "division by zero", 2),
                ("/", Ok(x), Ok(y)) => (x / y).to_string(),
                ("%", Ok(x), Ok(y)) => (x % y).to_string(),
                ("=", _, _) => i32::from(a == b).to_string(),
                ("!=", _, _) => i32::from(a != b).to_string(),
                ("<", Ok(x), Ok(y)) => i32::from(x < y).to_string(),
                (">", Ok(x), Ok(y)) => i32::from(x > y).to_string(),
                (":", _, _) => match compile(&format!("^{b}"), false, false, false) {
                    Ok(r) => r.captures(a).map_or("0".into(), |c| c.get(1).map_or_else(|| c.get(0).map_or(0, |m| m.len()).to_string(), |m| m.as_str().to_string())),
                    Err(_) => return ctx.fail("expr", "Invalid regular expression", 2),
                },
                _ => return ctx.fail("expr", "non-integer argument", 2),
            }
        }
        [a] => a.clone(),
        _ => return ctx.fail("expr", &format!("syntax error: {text}"), 2),
    };
    ctx.out(&format!("{value}\n"));
    i32::from(value == "0" || value.is_empty())
}

/// `printf FORMAT [ARGS…]`, reusing the format for extra arguments.
pub fn printf(args: &[String], ctx: &mut Ctx) -> i32 {
    let Some(format) = args.first() else { return ctx.fail("printf", "usage: printf format [arg ...]", 2) };
    if let Some(width) = oversized_field(format) {
        return ctx.fail("printf", &format!("invalid field width: '{width}' (Berth pads fields to {MAX_FIELD} characters at most)"), 1);
    }
    let mut rest: Vec<String> = args[1..].to_vec();
    let mut out = String::new();
    loop {
        let used = format_once(format, &mut rest, &mut out);
        if rest.is_empty() || used == 0 {
            break;
        }
    }
    ctx.stdout.extend_from_slice(&super::raw_bytes(&out));
    0
}

/// The widest field or precision `printf` pads to. C allows up to `INT_MAX`, which would
/// ask a browser tab for gigabytes; wider ones are refused (see [`oversized_field`]).
pub const MAX_FIELD: usize = 1 << 20;

/// A width or precision, at most [`MAX_FIELD`].
fn field(digits: &str) -> usize {
    if digits.is_empty() {
        return 0;
    }
    digits.parse::<usize>().unwrap_or(usize::MAX).min(MAX_FIELD)
}

/// The first width or precision in `format` wider than [`MAX_FIELD`], as written.
pub fn oversized_field(format: &str) -> Option<String> {
    let mut rest = format;
    while let Some(at) = rest.find('%') {
        let spec = &rest[at + 1..];
        let flags = spec.trim_start_matches(['-', '+', ' ', '#', '0']);
        for part in flags.split('.').take(2) {
            let digits: String = part.chars().take_while(char::is_ascii_digit).collect();
            if !digits.is_empty() && digits.parse::<usize>().map_or(true, |n| n > MAX_FIELD) {
                return Some(digits);
            }
            if part.len() != digits.len() {
                break;
            }
        }
        rest = &rest[at + 1 + usize::from(spec.starts_with('%'))..];
    }
    None
}

/// Formats once; returns how many arguments were consumed.
pub fn format_once(format: &str, args: &mut Vec<String>, out: &mut String) -> usize {
    let chars: Vec<char> = format.chars().collect();
    let mut used = 0;
    let mut i = 0;
    let next_arg = |args: &mut Vec<String>, used: &mut usize| -> String {
        if args.is_empty() {
            String::new()
        } else {
            *used += 1;
            args.remove(0)
        }
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            let (s, _) = unescape(&chars[i..(i + 2).min(chars.len())].iter().collect::<String>(), false);
            if chars.get(i + 1).is_some_and(|d| d.is_digit(8)) {
                let mut j = i + 1;
                while j < chars.len() && j < i + 4 && chars[j].is_digit(8) {
                    j += 1;
                }
                let (s, _) = unescape(&chars[i..j].iter().collect::<String>(), false);
                out.push_str(&s);
                i = j;
                continue;
            }
            out.push_str(&s);
            i += 2;
            continue;
        }
        if c != '%' {
            out.push(c);
            i += 1;
            continue;
        }
        if chars.get(i + 1) == Some(&'%') {
            out.push('%');
            i += 2;
            continue;
        }
        let start = i;
        i += 1;
        while i < chars.len() && "-+ #0123456789.".contains(chars[i]) {
            i += 1;
        }
        let Some(&conv) = chars.get(i) else { break };
        let spec: String = chars[start + 1..i].iter().collect();
        i += 1;
        let left = spec.contains('-');
        let zero = spec.starts_with('0') || spec.contains("0") && !spec.contains('.') && spec.trim_start_matches(['-', '+', ' ', '#']).starts_with('0');
        let (width, precision) = {
            let digits = spec.trim_start_matches(['-', '+', ' ', '#', '0']);
            match digits.split_once('.') {
                Some((w, p)) => (field(w), Some(field(p))),
                None => (field(digits), None),
            }
        };
        let arg = next_arg(args, &mut used);
        let body = match conv {
            'd' | 'i' => {
                let n: i64 = arg.trim().parse().or_else(|_| arg.trim().parse::<f64>().map(|f| f as i64)).unwrap_or(0);
                let s = n.abs().to_string();
                let sign = if n < 0 { "-" } else if spec.contains('+') { "+" } else { "" };
                if zero && !left && width > s.len() + sign.len() {
                    format!("{sign}{}{s}", "0".repeat(width - s.len() - sign.len()))
                } else {
                    format!("{sign}{s}")
                }
            }
            'u' => arg.trim().parse::<u64>().unwrap_or(0).to_string(),
            'x' => format!("{:x}", arg.trim().parse::<i64>().unwrap_or(0)),
            'X' => format!("{:X}", arg.trim().parse::<i64>().unwrap_or(0)),
            'o' => format!("{:o}", arg.trim().parse::<i64>().unwrap_or(0)),
            'f' | 'F' | 'e' | 'g' => {
                let f: f64 = arg.trim().parse().unwrap_or(0.0);
                let p = precision.unwrap_or(6);
                let s = if conv == 'e' { format!("{f:.p$e}") } else { format!("{f:.p$}") };
                if zero && !left && width > s.len() {
                    format!("{}{s}", "0".repeat(width - s.len()))
                } else {
                    s
                }
            }
            'c' => arg.chars().next().map(String::from).unwrap_or_default(),
            'b' => unescape(&arg, true).0,
            _ => match precision {
                Some(p) => arg.chars().take(p).collect(),
                None => arg,
            },
        };
        let len = body.chars().count();
        if width > len {
            let pad = " ".repeat(width - len);
            if left {
                out.push_str(&body);
                out.push_str(&pad);
            } else {
                out.push_str(&pad);
                out.push_str(&body);
            }
        } else {
            out.push_str(&body);
        }
    }
    used
}
