//! `berth lesson check DIR…` and `berth lesson run DIR`: lessons from the command line,
//! for instructors writing them and for CI.

use std::rc::Rc;

use super::{Host, Output};
use crate::lesson::{self, Lesson, LessonSource};
use crate::host::{Clock, FixedClock};
use crate::vfs::{self, FileSystem};

const HELP: &str = "\
Usage:  berth lesson COMMAND

Lessons: Killercoda-style scenarios (index.json, step Markdown, verify.sh) with Berth's
checks and reference solutions. See lessons/README.md.

Commands:
  check DIR...   Prove each step's checks fail before its solution and pass after it
                 (DIR is a lesson, or a folder of lessons)
  run DIR        Play a lesson in this terminal (:hint, :check, :solution, :skip, :quit)
";

/// A lesson folder read through the host.
struct FsSource(Box<dyn FileSystem>);

impl LessonSource for FsSource {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        self.0.read(&vfs::join("/", path)).map_err(|e| format!("{path}: {}", e.errno.message()))
    }

    fn list(&self, dir: &str) -> Vec<String> {
        vfs::walk::walk(&*self.0, &vfs::join("/", dir)).map(|entries| entries.into_iter().filter(|(_, m)| m.is_file()).map(|(p, _)| p).collect()).unwrap_or_default()
    }
}

fn clock(host: &dyn Host) -> Rc<dyn Clock> {
    Rc::new(FixedClock(host.now()))
}

fn load(host: &dyn Host, dir: &str) -> Result<Lesson, String> {
    let fs = host.context(dir).map_err(|_| format!("{dir}: no such lesson folder"))?;
    Lesson::load(Box::new(FsSource(fs))).map_err(|e| format!("{dir}/{e}"))
}

/// The lesson folders named: a lesson itself, or the lessons inside a folder, in order.
fn lesson_dirs(host: &dyn Host, dir: &str) -> Result<Vec<String>, String> {
    let fs = host.context(dir).map_err(|_| format!("{dir}: no such folder"))?;
    if fs.exists("/index.json") {
        return Ok(vec![dir.to_string()]);
    }
    let mut dirs: Vec<String> = fs.read_dir("/").map_err(|e| format!("{dir}: {}", e.errno.message()))?.into_iter().filter(|e| fs.exists(&format!("/{}/index.json", e.name))).map(|e| format!("{}/{}", dir.trim_end_matches('/'), e.name)).collect();
    dirs.sort();
    if dirs.is_empty() {
        return Err(format!("{dir}: no lessons here (a lesson is a folder with an index.json)"));
    }
    Ok(dirs)
}

pub fn run(args: &[String], host: &dyn Host) -> Output {
    match args.split_first() {
        Some((sub, rest)) if sub == "check" => check(rest, host),
        Some((sub, rest)) if sub == "run" => play(rest, host),
        Some((sub, _)) if sub == "-h" || sub == "--help" => Output::ok(HELP),
        None => Output::ok(HELP),
        Some((other, _)) => Output::fail(1, format!("berth lesson: '{other}' is not a lesson command.\n{HELP}")),
    }
}

fn check(dirs: &[String], host: &dyn Host) -> Output {
    if dirs.is_empty() {
        return Output::fail(1, format!("\"berth lesson check\" requires at least 1 argument.\n\n{HELP}"));
    }
    let mut out = String::new();
    let mut err = String::new();
    let (mut lessons, mut steps, mut failed) = (0, 0, 0);
    for dir in dirs {
        let found = match lesson_dirs(host, dir) {
            Ok(d) => d,
            Err(e) => {
                err.push_str(&format!("{e}\n"));
                failed += 1;
                continue;
            }
        };
        for dir in found {
            let lesson = match load(host, &dir) {
                Ok(l) => l,
                Err(e) => {
                    err.push_str(&format!("{e}\n"));
                    failed += 1;
                    continue;
                }
            };
            lessons += 1;
            steps += lesson.manifest.details.steps.len();
            out.push_str(&format!("{dir}: {}\n", lesson.manifest.title));
            for missing in lesson.manifest.details.steps.iter().flat_map(|s| s.text.iter()).filter(|t| lesson.text(t).is_err()) {
                out.push_str(&format!("  missing step text: {missing}\n"));
                failed += 1;
            }
            for note in lesson.unsupported() {
                out.push_str(&format!("  not supported: {note}\n"));
            }
            let (lines, ok) = lesson::self_test(&lesson, clock(host));
            for line in lines {
                out.push_str(&format!("  {line}\n"));
            }
            if !ok {
                failed += 1;
            }
        }
    }
    if failed == 0 {
        out.push_str(&format!("{lessons} lesson(s), {steps} step(s): every step's checks fail before its solution and pass after it\n"));
        Output { code: 0, stdout: out.into(), stderr: err.into() }
    } else {
        err.push_str(&format!("{failed} lesson(s) with problems\n"));
        Output { code: 1, stdout: out.into(), stderr: err.into() }
    }
}

fn play(args: &[String], host: &dyn Host) -> Output {
    let [dir] = args else {
        return Output::fail(1, format!("\"berth lesson run\" requires exactly 1 argument.\n\n{HELP}"));
    };
    let lesson = match load(host, dir) {
        Ok(l) => l,
        Err(e) => return Output::fail(1, format!("{e}\n")),
    };
    let mut session = match lesson.start(clock(host)) {
        Ok(s) => s,
        Err(e) => return Output::fail(1, format!("{dir}: {e}\n")),
    };
    let m = &lesson.manifest;
    host.emit(&format!("\x1b[1m{}\x1b[0m  ({}, {})\n{}\n\n", shown(&m.title), shown(&m.difficulty), shown(&m.time), shown(&m.description)));
    if let Some(text) = m.details.intro.as_ref().and_then(|p| p.text.as_ref()).and_then(|t| lesson.text(t).ok()) {
        host.emit(&format!("{}\n", shown(&text)));
    }
    let total = m.details.steps.len();
    let mut i = 0;
    let mut hints_shown = 0;
    let mut fresh = true;
    while i < total {
        let step = &m.details.steps[i];
        if fresh {
            lesson.open_step(&mut session, i);
            let text = step.text.as_ref().and_then(|t| lesson.text(t).ok()).unwrap_or_default();
            host.emit(&format!("\n\x1b[1mStep {}/{total}: {}\x1b[0m\n\n{}\n", i + 1, shown(&step.title), shown(&text)));
            fresh = false;
            hints_shown = 0;
        }
        let Some(line) = host.read_line(&session.prompt()) else {
            return Output::ok(format!("\nStopped at step {} of {total}.\n", i + 1));
        };
        let command = line.trim();
        match command {
            ":quit" | ":q" => return Output::ok(format!("Stopped at step {} of {total}.\n", i + 1)),
            ":hint" => {
                match step.hints.get(hints_shown) {
                    Some(h) => host.emit(&format!("hint {}/{}: {}\n", hints_shown + 1, step.hints.len(), shown(h))),
                    None => host.emit("no more hints for this step (try :solution)\n"),
                }
                hints_shown += 1;
                continue;
            }
            ":solution" => {
                let files = step.solution.files.iter().map(|f| format!("  file {f} (from solution/{f})\n")).collect::<String>();
                let commands = step.solution.commands.iter().map(|c| format!("  $ {c}\n")).collect::<String>();
                host.emit(&shown(&format!("The reference solution:\n{files}{commands}")));
                continue;
            }
            ":skip" => {
                match lesson.solve(&mut session, i) {
                    Ok(t) => host.emit(&shown(&t)),
                    Err(e) => host.emit(&shown(&format!("{e}\n"))),
                }
            }
            ":check" | "" => {}
            _ => {
                let out = session.sandbox.run_line(command, &[]);
                host.emit(&String::from_utf8_lossy(&out.stdout));
                host.emit(&String::from_utf8_lossy(&out.stderr));
            }
        }
        let verdict = lesson.check(&mut session, i);
        if verdict.passed {
            host.emit(&format!("\x1b[32m✓ step {} done\x1b[0m{}\n", i + 1, if verdict.feedback.is_empty() { String::new() } else { format!(": {}", shown(&verdict.feedback)) }));
            i += 1;
            fresh = true;
        } else if command == ":check" && !verdict.feedback.is_empty() {
            host.emit(&format!("not yet: {}\n", shown(&verdict.feedback)));
        }
    }
    if let Some(text) = m.details.finish.as_ref().and_then(|p| p.text.as_ref()).and_then(|t| lesson.text(t).ok()) {
        host.emit(&format!("\n{}\n", shown(&text)));
    }
    Output::ok(format!("Lesson complete: {}\n", shown(&m.title)))
}

/// A lesson's text as it may reach the terminal: control characters other than newline
/// and tab are dropped, so a lesson cannot send escape sequences (OSC 52 sets the
/// clipboard, others retitle the window or hide text).
fn shown(text: &str) -> String {
    text.chars().filter(|c| *c == '\n' || *c == '\t' || !c.is_control()).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn lesson_text_cannot_reach_the_terminal_as_escape_sequences() {
        let text = "Step one\x1b]52;c;ZWNobyBwd25lZA==\x07 done\n\tnext \u{9b}31m\x1b[2J";
        assert_eq!(super::shown(text), "Step one]52;c;ZWNobyBwd25lZA== done\n\tnext 31m[2J");
    }
}
