//! The programs of the emulated userland (`ls`, `cat`, `grep`, `sed`, …), run over the
//! container's filesystem with GNU coreutils' wording. Each takes argv, stdin and the
//! environment and writes stdout and stderr; none of them is canned.

mod dd;
mod files;
mod git;
pub mod host;

pub use files::apply_mode;
mod system;
mod text;

use std::collections::BTreeMap;

use crate::vfs::{join, FileSystem, FileType};

/// What an applet runs with.
pub struct Ctx<'a> {
    pub fs: &'a mut dyn FileSystem,
    pub cwd: String,
    pub env: BTreeMap<String, String>,
    pub stdin: Vec<u8>,
    /// Bytes of stdin the applet consumed (the rest stays for the next reader).
    pub stdin_consumed: usize,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// How much stdout had been written when stderr was first written.
    pub stderr_at: Option<usize>,
    /// A program the applet hands over to once it returns (as `execve` does), with its
    /// environment: `conda run` sets the environment up and runs the command.
    pub then_exec: Option<(Vec<String>, BTreeMap<String, String>)>,
    /// The user and group `then_exec`'s program runs as (`sudo -u`).
    pub then_as: Option<(u32, u32)>,
    pub uid: u32,
    pub gid: u32,
    /// The group was given with the user (`USER app:staff`): no supplementary groups.
    pub group_explicit: bool,
    pub hostname: String,
    /// dash's `echo` interprets backslash escapes; bash's and BusyBox's do not.
    pub flavor_echo_escapes: bool,
    /// The applets are BusyBox's (Alpine, busybox images): its error wording.
    pub busybox: bool,
    /// Where a program waits for the user's next line once stdin is used up (stdin is
    /// an attached terminal).
    pub terminal: Option<crate::shell::TerminalInput>,
    /// How a program's sleep really waits (an interactive terminal).
    pub pause: Option<crate::shell::Pause>,
    /// Set when the run is to stop (Ctrl-C, `docker stop`).
    pub interrupt: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    /// Input descriptors above 2 the shell opened for the program (`3<<EOF`, `3<file`),
    /// readable as `/proc/self/fd/N` or `/dev/fd/N`.
    pub fds: BTreeMap<u32, Vec<u8>>,
    /// The time, in seconds since the epoch (`date`), where the shell knows it.
    pub now: Option<i64>,
    /// The process may be run again to resume it (a detached container's, see
    /// `runtime::journal`): programs see the simulated clock, never the host's.
    pub replayable: bool,
    /// Signals sent to the process (`docker stop`'s TERM), for programs that handle them.
    pub signals: Option<std::rc::Rc<std::cell::RefCell<Vec<String>>>>,
}

impl<'a> Ctx<'a> {
    pub fn new(fs: &'a mut dyn FileSystem, cwd: &str, env: &BTreeMap<String, String>, stdin: Vec<u8>) -> Ctx<'a> {
        let consumed = stdin.len();
        Ctx {
            fs,
            cwd: cwd.to_string(),
            env: env.clone(),
            stdin,
            stdin_consumed: consumed,
            stdout: Vec::new(),
            stderr: Vec::new(),
            stderr_at: None,
            then_exec: None,
            then_as: None,
            uid: 0,
            gid: 0,
            group_explicit: false,
            hostname: "localhost".into(),
            flavor_echo_escapes: true,
            busybox: false,
            terminal: None,
            pause: None,
            interrupt: None,
            fds: BTreeMap::new(),
            now: None,
            replayable: false,
            signals: None,
        }
    }

    pub fn path(&self, p: &str) -> String {
        join(&self.cwd, p)
    }

    /// The bytes of an input a program names: a file, or one of its own descriptors
    /// (`/dev/stdin`, `/dev/fd/N`, `/proc/self/fd/N`).
    pub fn read_input(&self, name: &str) -> crate::vfs::FsResult<Vec<u8>> {
        let fd = match name {
            "/dev/stdin" => Some(0),
            _ => name.strip_prefix("/dev/fd/").or_else(|| name.strip_prefix("/proc/self/fd/")).and_then(|n| n.parse::<u32>().ok()),
        };
        match fd {
            Some(0) => Ok(self.stdin.clone()),
            Some(n) => self.fds.get(&n).cloned().ok_or_else(|| crate::vfs::FsError::new(crate::vfs::Errno::ENOENT, name)),
            None => self.fs.read(&self.path(name)),
        }
    }

    pub fn out(&mut self, s: &str) {
        self.stdout.extend_from_slice(s.as_bytes());
    }

    pub fn err(&mut self, s: &str) {
        self.stderr_at.get_or_insert(self.stdout.len());
        self.stderr.extend_from_slice(s.as_bytes());
    }

    /// `prog: message` on stderr, returning `status`.
    pub fn fail(&mut self, prog: &str, message: &str, status: i32) -> i32 {
        self.err(&format!("{prog}: {message}\n"));
        status
    }

    /// The contents of each named file (or stdin for none / `-`), with errors reported.
    pub fn inputs(&mut self, prog: &str, files: &[String]) -> (Vec<(String, Vec<u8>)>, i32) {
        if files.is_empty() {
            return (vec![("-".into(), self.stdin.clone())], 0);
        }
        let mut out = Vec::new();
        let mut status = 0;
        for f in files {
            if f == "-" {
                out.push(("-".into(), self.stdin.clone()));
                continue;
            }
            if f.starts_with("/dev/fd/") || f.starts_with("/proc/self/fd/") || f == "/dev/stdin" {
                match self.read_input(f) {
                    Ok(d) => out.push((f.clone(), d)),
                    Err(e) => status = self.fail(prog, &format!("{f}: {}", e.errno.message()), 1),
                }
                continue;
            }
            let p = self.path(f);
            match self.fs.stat(&p) {
                Ok(m) if m.is_dir() => {
                    status = self.fail(prog, &format!("{f}: Is a directory"), 1);
                }
                Ok(_) => match self.fs.read(&p) {
                    Ok(d) => out.push((f.clone(), d)),
                    Err(e) => status = self.fail(prog, &format!("{f}: {}", e.errno.message()), 1),
                },
                Err(e) if self.busybox => status = self.fail(prog, &format!("can't open '{f}': {}", e.errno.message()), 1),
                Err(e) => status = self.fail(prog, &format!("{f}: {}", e.errno.message()), 1),
            }
        }
        (out, status)
    }
}

/// Arguments split into short flags (`-la` → `l`, `a`), long flags and operands; `--`
/// ends the flags.
#[derive(Debug, Default)]
pub struct Parsed {
    pub short: Vec<char>,
    pub long: Vec<String>,
    pub operands: Vec<String>,
}

impl Parsed {
    pub fn has(&self, c: char) -> bool {
        self.short.contains(&c)
    }

    pub fn has_long(&self, name: &str) -> bool {
        self.long.iter().any(|l| l == name)
    }
}

pub fn split_flags(args: &[String]) -> Parsed {
    let mut p = Parsed::default();
    let mut done = false;
    for a in args {
        if done {
            p.operands.push(a.clone());
        } else if a == "--" {
            done = true;
        } else if let Some(long) = a.strip_prefix("--") {
            p.long.push(long.to_string());
        } else if a.len() > 1 && a.starts_with('-') {
            p.short.extend(a[1..].chars());
        } else {
            p.operands.push(a.clone());
        }
    }
    p
}

/// Runs applet `name`; `None` when there is no such applet.
pub fn run(name: &str, argv: &[String], ctx: &mut Ctx) -> Option<i32> {
    if let Some(path) = name.strip_prefix("wasi:") {
        return Some(crate::wasi::exec_module(path, argv, ctx));
    }
    let args = &argv[1..];
    let status = match name {
        "echo" => {
            let mut out = Vec::new();
            echo(args, ctx.flavor_echo_escapes, &mut out);
            ctx.stdout.extend(out);
            0
        }
        "printf" => text::printf(args, ctx),
        "test" => {
            let mut err = Vec::new();
            let s = test_eval(args, &*ctx.fs, &ctx.cwd.clone(), &mut err);
            ctx.stderr.extend(err);
            s
        }
        "[" => {
            if args.last().map(String::as_str) != Some("]") {
                return Some(ctx.fail("[", "missing ]", 2));
            }
            let mut err = Vec::new();
            let s = test_eval(&args[..args.len() - 1], &*ctx.fs, &ctx.cwd.clone(), &mut err);
            ctx.stderr.extend(err);
            s
        }
        "true" => 0,
        "false" => 1,
        "dd" => dd::dd(args, ctx),
        "cat" | "ls" | "mkdir" | "rmdir" | "rm" | "cp" | "mv" | "ln" | "touch" | "chmod" | "chown" | "chgrp" | "stat" | "find" | "du" | "df" | "basename" | "dirname" | "readlink" | "realpath" | "mktemp" | "tar" | "gzip" | "gunzip" | "zcat" | "tee" | "install" => {
            files::run(name, args, ctx)
        }
        "head" | "tail" | "wc" | "sort" | "uniq" | "cut" | "tr" | "grep" | "egrep" | "fgrep" | "sed" | "awk" | "mawk" | "gawk" | "seq" | "xargs" | "yes" | "rev" | "nl" | "tac" | "md5sum" | "sha256sum" | "more" | "less" | "base64" | "expr" => {
            text::run(name, args, ctx)
        }
        "python" | "python3" | "pip" | "pip3" | "apt-get" | "apt" | "apt-cache" | "dpkg" | "dpkg-query" | "conda" | "apk" => return super::packages::run(name, argv, ctx),
        "sudo" | "systemctl" | "service" => return host::run(name, argv, ctx),
        "git" => git::run(args, ctx),
        _ => return system::run(name, argv, ctx),
    };
    Some(status)
}

/// `echo`: `-n`, and with `escapes` (dash) `\n`, `\t`, `\c`… interpreted.
pub fn echo(args: &[String], escapes: bool, out: &mut Vec<u8>) {
    let mut newline = true;
    let mut interpret = escapes;
    let mut i = 0;
    while let Some(a) = args.get(i) {
        match a.as_str() {
            "-n" => newline = false,
            "-e" if !escapes => interpret = true,
            "-E" => interpret = false,
            "-ne" | "-en" if !escapes => {
                newline = false;
                interpret = true;
            }
            _ => break,
        }
        i += 1;
    }
    let text = args[i..].join(" ");
    if interpret {
        let (s, stop) = unescape(&text, true);
        out.extend_from_slice(&raw_bytes(&s));
        if stop {
            return;
        }
    } else {
        out.extend_from_slice(text.as_bytes());
    }
    if newline {
        out.push(b'\n');
    }
}

/// The character that stands for byte `n` (an octal escape, `\377`) in text that
/// [`raw_bytes`] writes out: below 0x80 the ASCII character itself, above it one of the
/// last 128 code points of plane 16 (private use), so that `printf '\377'` writes the one
/// byte 0xff as C's printf does, not its UTF-8 encoding.
pub fn raw_byte(n: u32) -> char {
    let n = n & 0xff;
    if n < 0x80 {
        char::from(n as u8)
    } else {
        char::from_u32(RAW_BASE + n).unwrap_or('\u{fffd}')
    }
}

const RAW_BASE: u32 = 0x10_ff00;

/// `text` as the bytes a program writes: UTF-8, except the stand-ins of [`raw_byte`].
pub fn raw_bytes(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match u32::from(c) {
            n if (RAW_BASE + 0x80..=RAW_BASE + 0xff).contains(&n) => out.push((n - RAW_BASE) as u8),
            _ => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    out
}

/// Backslash escapes of `echo`/`printf`; the flag says `\c` stopped output.
pub fn unescape(s: &str, echo_style: bool) -> (String, bool) {
    let mut out = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('a') => out.push('\x07'),
            Some('b') => out.push('\x08'),
            Some('f') => out.push('\x0c'),
            Some('v') => out.push('\x0b'),
            Some('e') => out.push('\x1b'),
            Some('\\') => out.push('\\'),
            Some('c') => return (out, true),
            Some('0') if echo_style => {
                let mut n = 0u32;
                for _ in 0..3 {
                    match chars.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            n = n * 8 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(raw_byte(n));
            }
            Some(d) if d.is_digit(8) && !echo_style => {
                let mut n = d.to_digit(8).unwrap_or(0);
                for _ in 0..2 {
                    match chars.peek().and_then(|d| d.to_digit(8)) {
                        Some(d) => {
                            n = n * 8 + d;
                            chars.next();
                        }
                        None => break,
                    }
                }
                out.push(raw_byte(n));
            }
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    (out, false)
}

/// `test` / `[`: file tests, string and integer comparisons, `!`, `-a`, `-o`.
pub fn test_eval(args: &[String], fs: &dyn FileSystem, cwd: &str, err: &mut Vec<u8>) -> i32 {
    let mut pos = 0;
    match test_or(args, &mut pos, fs, cwd) {
        Ok(v) if pos == args.len() => i32::from(!v),
        Ok(_) => {
            err.extend_from_slice(format!("test: {}: unexpected operator\n", args.get(pos).map_or("", |s| s.as_str())).as_bytes());
            2
        }
        Err(msg) => {
            err.extend_from_slice(format!("test: {msg}\n").as_bytes());
            2
        }
    }
}

fn test_or(args: &[String], pos: &mut usize, fs: &dyn FileSystem, cwd: &str) -> Result<bool, String> {
    let mut v = test_and(args, pos, fs, cwd)?;
    while args.get(*pos).is_some_and(|a| a == "-o") {
        *pos += 1;
        let r = test_and(args, pos, fs, cwd)?;
        v = v || r;
    }
    Ok(v)
}

fn test_and(args: &[String], pos: &mut usize, fs: &dyn FileSystem, cwd: &str) -> Result<bool, String> {
    let mut v = test_not(args, pos, fs, cwd)?;
    while args.get(*pos).is_some_and(|a| a == "-a") {
        *pos += 1;
        let r = test_not(args, pos, fs, cwd)?;
        v = v && r;
    }
    Ok(v)
}

fn test_not(args: &[String], pos: &mut usize, fs: &dyn FileSystem, cwd: &str) -> Result<bool, String> {
    let remaining = args.len() - *pos;
    if args.get(*pos).is_some_and(|a| a == "!") && remaining > 1 {
        *pos += 1;
        return Ok(!test_not(args, pos, fs, cwd)?);
    }
    if args.get(*pos).is_some_and(|a| a == "(") && remaining > 2 {
        *pos += 1;
        let v = test_or(args, pos, fs, cwd)?;
        if args.get(*pos).is_some_and(|a| a == ")") {
            *pos += 1;
        }
        return Ok(v);
    }
    test_primary(args, pos, fs, cwd)
}

fn int(s: &str) -> Result<i64, String> {
    s.trim().parse().map_err(|_| format!("Illegal number: {s}"))
}

fn test_primary(args: &[String], pos: &mut usize, fs: &dyn FileSystem, cwd: &str) -> Result<bool, String> {
    let Some(a) = args.get(*pos) else { return Ok(false) };
    // Binary operators.
    if let (Some(op), Some(b)) = (args.get(*pos + 1), args.get(*pos + 2)) {
        let r = match op.as_str() {
            "=" | "==" => Some(a == b),
            "!=" => Some(a != b),
            "<" => Some(a < b),
            ">" => Some(a > b),
            "-eq" => Some(int(a)? == int(b)?),
            "-ne" => Some(int(a)? != int(b)?),
            "-lt" => Some(int(a)? < int(b)?),
            "-le" => Some(int(a)? <= int(b)?),
            "-gt" => Some(int(a)? > int(b)?),
            "-ge" => Some(int(a)? >= int(b)?),
            "-nt" | "-ot" => {
                let ma = fs.stat(&join(cwd, a)).map(|m| m.mtime).ok();
                let mb = fs.stat(&join(cwd, b)).map(|m| m.mtime).ok();
                Some(if op == "-nt" { ma > mb } else { ma < mb && ma.is_some() })
            }
            _ => None,
        };
        if let Some(r) = r {
            *pos += 3;
            return Ok(r);
        }
    }
    // Unary operators.
    if a.starts_with('-') && a.len() == 2 {
        if let Some(operand) = args.get(*pos + 1) {
            let path = join(cwd, operand);
            let stat = fs.stat(&path).ok();
            let r = match a.as_str() {
                "-z" => Some(operand.is_empty()),
                "-n" => Some(!operand.is_empty()),
                "-e" | "-a" => Some(stat.is_some()),
                "-f" => Some(stat.as_ref().is_some_and(|m| m.kind == FileType::File)),
                "-d" => Some(stat.as_ref().is_some_and(|m| m.kind == FileType::Dir)),
                "-L" | "-h" => Some(fs.lstat(&path).is_ok_and(|m| m.is_symlink())),
                "-s" => Some(stat.as_ref().is_some_and(|m| m.size > 0)),
                "-r" | "-w" => Some(stat.is_some()),
                "-x" => Some(stat.as_ref().is_some_and(|m| m.mode & 0o111 != 0)),
                "-b" => Some(stat.as_ref().is_some_and(|m| m.kind == FileType::BlockDevice)),
                "-c" => Some(stat.as_ref().is_some_and(|m| m.kind == FileType::CharDevice)),
                "-p" => Some(stat.as_ref().is_some_and(|m| m.kind == FileType::Fifo)),
                "-S" => Some(stat.as_ref().is_some_and(|m| m.kind == FileType::Socket)),
                "-u" => Some(stat.as_ref().is_some_and(|m| m.mode & 0o4000 != 0)),
                "-g" => Some(stat.as_ref().is_some_and(|m| m.mode & 0o2000 != 0)),
                "-t" => Some(false),
                _ => None,
            };
            if let Some(r) = r {
                *pos += 2;
                return Ok(r);
            }
        }
    }
    *pos += 1;
    Ok(!a.is_empty())
}
