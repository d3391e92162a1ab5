//! Table-driven tests of the emulated shell (`cases.txt`): each script's stdout and exit
//! status must be what dash gives. Where dash is installed, every case also runs through
//! dash, in a scratch directory, to keep the table honest.

#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use engine::shell::{Flavor, Shell};
use engine::vfs::{Attrs, Content, FileSystem, MemoryFs};

struct Case {
    name: String,
    script: String,
    stdout: String,
    status: i32,
}

fn cases() -> Vec<Case> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/shell/cases.txt")).unwrap();
    let mut out = Vec::new();
    for block in text.split("\n== ").skip(1) {
        let (name, rest) = block.split_once('\n').unwrap();
        let (script, rest) = rest.split_once("-- stdout\n").unwrap();
        let (stdout, status) = rest.rsplit_once("-- status ").unwrap();
        out.push(Case { name: name.trim().to_string(), script: script.to_string(), stdout: stdout.to_string(), status: status.trim().parse().unwrap() });
    }
    out
}

fn run_berth(script: &str) -> (String, i32) {
    let mut fs = MemoryFs::new();
    fs.create_dir_all("/tmp/w", 0o755).unwrap();
    fs.create_dir_all("/home/student", 0o755).unwrap();
    fs.create_dir_all("/bin", 0o755).unwrap();
    fs.put_file("/bin/dash", Content::lazy(125_560, "exec:dash"), Attrs::mode(0o755)).unwrap();
    fs.symlink("dash", "/bin/sh").unwrap();
    let mut sh = Shell::new(&mut fs, Flavor::Dash);
    sh.set_cwd("/tmp/w");
    sh.set_budget(1_000_000);
    let out = sh.run_str(script, b"");
    (String::from_utf8_lossy(&out.stdout).into_owned(), out.status)
}

fn run_dash(script: &str, n: usize) -> Option<(String, i32)> {
    if !std::path::Path::new("/usr/bin/dash").exists() {
        return None;
    }
    let dir = std::env::temp_dir().join(format!("berth-dash-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let out = std::process::Command::new("/usr/bin/dash")
        .arg("-c")
        .arg(script)
        .current_dir(&dir)
        .env_clear()
        .env("PATH", "/usr/local/bin:/usr/bin:/bin")
        .env("HOME", "/root")
        .output()
        .ok()?;
    let _ = std::fs::remove_dir_all(&dir);
    Some((String::from_utf8_lossy(&out.stdout).into_owned(), out.status.code().unwrap_or(-1)))
}

#[test]
fn shell_cases_match_dash() {
    let cases = cases();
    let mut failures = Vec::new();
    let mut compared = 0;
    for (n, case) in cases.iter().enumerate() {
        let got = run_berth(&case.script);
        if got != (case.stdout.clone(), case.status) {
            failures.push(format!("{}:\n  berth: {got:?}\n  table: {:?}", case.name, (&case.stdout, case.status)));
        }
        if let Some(dash) = run_dash(&case.script, n) {
            compared += 1;
            if dash != (case.stdout.clone(), case.status) {
                failures.push(format!("{} (table disagrees with dash):\n  dash:  {dash:?}\n  table: {:?}", case.name, (&case.stdout, case.status)));
            }
        }
    }
    println!("shell cases: {}/{} pass; {compared} also checked against dash", cases.len() - failures.len(), cases.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn errors_use_dashs_wording() {
    let mut fs = MemoryFs::new();
    let mut sh = Shell::new(&mut fs, Flavor::Dash);
    let out = sh.run_str("foo", b"");
    assert_eq!((out.status, String::from_utf8_lossy(&out.stderr).as_ref()), (127, "sh: 1: foo: not found\n"));
    let out = sh.run_str("echo ok\nif true; then", b"");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "sh: 2: Syntax error: end of file unexpected (expecting \"fi\")\n");
    let mut fs = MemoryFs::new();
    let mut bash = Shell::new(&mut fs, Flavor::Bash);
    let out = bash.run_str("foo", b"");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "bash: line 1: foo: command not found\n");
}

#[test]
fn runaway_loops_are_stopped_by_the_budget_and_the_interrupt() {
    let mut fs = MemoryFs::new();
    let mut sh = Shell::new(&mut fs, Flavor::Dash);
    sh.set_budget(10_000);
    let out = sh.run_str("while true; do :; done; echo never", b"");
    assert_eq!(out.status, 137);
    let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let mut fs = MemoryFs::new();
    let mut sh = Shell::new(&mut fs, Flavor::Dash);
    sh.set_interrupt(flag);
    assert_eq!(sh.run_str("while true; do :; done", b"").status, 130);
    let mut fs = MemoryFs::new();
    let mut sh = Shell::new(&mut fs, Flavor::Dash);
    assert_eq!(sh.run_str("yes | head -n 2", b"").stdout, b"y\ny\n");
}

#[test]
fn programs_resolve_through_path_like_a_kernel() {
    let mut fs = MemoryFs::new();
    fs.create_dir_all("/bin", 0o755).unwrap();
    fs.create_dir_all("/usr/bin", 0o755).unwrap();
    fs.put_file("/bin/busybox", Content::lazy(800_000, "exec:busybox"), Attrs::mode(0o755)).unwrap();
    fs.symlink("/bin/busybox", "/bin/ls").unwrap();
    fs.symlink("/bin/busybox", "/bin/sh").unwrap();
    fs.put_file("/usr/bin/env", Content::lazy(40_000, "exec:env"), Attrs::mode(0o755)).unwrap();
    fs.put_file("/usr/bin/tool", Content::data(b"#!/bin/sh\necho tool ran with $1\n".to_vec()), Attrs::mode(0o755)).unwrap();
    fs.put_file("/usr/bin/data", Content::lazy(10, "data"), Attrs::mode(0o644)).unwrap();
    let mut sh = Shell::new(&mut fs, Flavor::Ash);
    let out = sh.run_str("ls /bin; tool x; data; echo $?", b"");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "busybox\nls\nsh\ntool ran with x\n127\n");
    assert_eq!(String::from_utf8_lossy(&out.stderr), "sh: data: not found\n");
}

/// xorshift64*: reproducible pseudo-random numbers without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn mutated_scripts_never_panic() {
    const PIECES: &[&str] = &["$(", ")", "${", "}", "'", "\"", "`", "<<EOF\n", "\nEOF\n", "|", "&&", ";;", "$((", "))", "\\", "\n", " ", "*", "[", "]", "#", "${x:-", "${#", "<", ">&", "2>", "case ", " in ", "esac", "if ", "fi", "do", "done", "{", "(", "é"];
    let mut rng = Rng(0x1234_5678_9abc_def0);
    let mut runs = 0;
    for case in cases() {
        for _ in 0..25 {
            let mut s: Vec<char> = case.script.chars().collect();
            for _ in 0..1 + rng.next() % 5 {
                let at = (rng.next() as usize) % (s.len() + 1);
                if rng.next().is_multiple_of(3) && !s.is_empty() {
                    let end = (at + (rng.next() % 8) as usize).min(s.len());
                    s.drain(at.min(end)..end);
                } else {
                    let piece = PIECES[(rng.next() as usize) % PIECES.len()];
                    for (k, c) in piece.chars().enumerate() {
                        s.insert((at + k).min(s.len()), c);
                    }
                }
            }
            let script: String = s.into_iter().collect();
            let mut fs = MemoryFs::new();
            fs.create_dir_all("/tmp/w", 0o755).unwrap();
            let mut sh = Shell::new(&mut fs, Flavor::Dash);
            sh.set_cwd("/tmp/w");
            sh.set_budget(20_000);
            let _ = sh.run_str(&script, b"input line\n");
            runs += 1;
        }
    }
    println!("shell robustness: {runs} mutated scripts ran without a panic");
}

/// `head` and `tail` of a modelled file read only what they print: a file the size of a
/// large library (here 1 TiB, which no machine could read whole) costs what is read.
#[test]
fn head_and_tail_of_a_huge_modelled_file_read_only_what_they_print() {
    let mut fs = MemoryFs::new();
    fs.create_dir_all("/lib", 0o755).unwrap();
    fs.put_file("/lib/libhuge.so", Content::lazy(1 << 40, "libhuge.so"), Attrs::mode(0o644)).unwrap();
    let mut sh = Shell::new(&mut fs, Flavor::Ash);
    let out = sh.run_str("head -c 16 /lib/libhuge.so; echo; tail -c 3 /lib/libhuge.so | wc -c; head -n 1 /lib/libhuge.so | wc -c; tail -n 1 /lib/libhuge.so | wc -c", b"");
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "[berth: modelled", "{text}");
    assert_eq!(lines[1].trim(), "3", "{text}");
    let line = "[berth: modelled content of libhuge.so; the real file's bytes are not part of the sandbox]\n".len();
    assert_eq!(lines[2].trim(), line.to_string(), "{text}");
    assert!(lines[3].trim().parse::<usize>().unwrap() <= line, "{text}");
    assert_eq!(out.status, 0);
    // Read whole, it would have to be made up in memory: refused with the errno.
    let out = sh.run_str("cat /lib/libhuge.so > /dev/null", b"");
    assert_eq!(out.status, 1);
    assert_eq!(String::from_utf8_lossy(&out.stderr), "cat: /lib/libhuge.so: File too large\n");
}
