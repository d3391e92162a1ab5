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
  check [--exec] DIR...  Prove each step's checks fail before its solution and pass
                         after it. DIR is a lesson, or any folder with lessons below it
                         (a repository of Killercoda scenarios). A step without a
                         reference solution is solved by its {{exec}} blocks; --exec
                         solves every step by them.
  run DIR                Play a lesson in this terminal (:hint, :check, :solution,
                         :skip, :quit)
  new NAME               Make a lesson folder NAME in Killercoda's format, ready to edit
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

/// How deep below a named folder lessons are looked for (a repository of scenarios
/// groups them in folders by topic).
const SEARCH_DEPTH: usize = 6;

/// The lesson folders named: a lesson itself, or every lesson below a folder, in order.
/// Hidden folders and `node_modules` are not searched, nor a lesson's own folders.
fn lesson_dirs(host: &dyn Host, dir: &str) -> Result<Vec<String>, String> {
    let fs = host.context(dir).map_err(|_| format!("{dir}: no such folder"))?;
    let mut found = Vec::new();
    let mut queue = vec![(String::new(), 0)];
    while let Some((rel, depth)) = queue.pop() {
        let here = format!("/{rel}");
        if fs.exists(&vfs::join(&here, "index.json")) {
            let name = if rel.is_empty() { dir.to_string() } else { format!("{}/{rel}", dir.trim_end_matches('/')) };
            found.push(name);
            continue;
        }
        if depth >= SEARCH_DEPTH {
            continue;
        }
        let Ok(entries) = fs.read_dir(&here) else { continue };
        for e in entries {
            if e.name.starts_with('.') || e.name == "node_modules" || !fs.stat(&vfs::join(&here, &e.name)).is_ok_and(|m| m.is_dir()) {
                continue;
            }
            queue.push((if rel.is_empty() { e.name.clone() } else { format!("{rel}/{}", e.name) }, depth + 1));
        }
    }
    found.sort();
    if found.is_empty() {
        return Err(format!("{dir}: no lessons here (a lesson is a folder with an index.json)"));
    }
    Ok(found)
}

pub fn run(args: &[String], host: &dyn Host) -> Output {
    match args.split_first() {
        Some((sub, rest)) if sub == "check" => check(rest, host),
        Some((sub, rest)) if sub == "run" => play(rest, host),
        Some((sub, rest)) if sub == "new" => new(rest, host),
        Some((sub, _)) if sub == "-h" || sub == "--help" => Output::ok(HELP),
        None => Output::ok(HELP),
        Some((other, _)) => Output::fail(1, format!("berth lesson: '{other}' is not a lesson command.\n{HELP}")),
    }
}

fn check(args: &[String], host: &dyn Host) -> Output {
    let exec = args.iter().any(|a| a == "--exec");
    if let Some(bad) = args.iter().find(|a| a.starts_with('-') && *a != "--exec") {
        return Output::fail(1, format!("unknown flag: {bad}\n\n{HELP}"));
    }
    let dirs: Vec<String> = args.iter().filter(|a| !a.starts_with('-')).cloned().collect();
    if dirs.is_empty() {
        return Output::fail(1, format!("\"berth lesson check\" requires at least 1 argument.\n\n{HELP}"));
    }
    let mut out = String::new();
    let mut err = String::new();
    let (mut lessons, mut steps, mut failed) = (0, 0, 0);
    for dir in &dirs {
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
            let title = if lesson.manifest.title.is_empty() { "(no title)".to_string() } else { lesson.manifest.title.clone() };
            out.push_str(&format!("{dir}: {title} [host: {}]\n", lesson.host_name()));
            for missing in lesson.manifest.details.steps.iter().flat_map(|s| s.text.iter()).filter(|t| lesson.text(t).is_err()) {
                out.push_str(&format!("  missing step text: {missing}\n"));
                failed += 1;
            }
            for note in lesson.unsupported() {
                out.push_str(&format!("  not supported: {note}\n"));
            }
            let (lines, ok) = lesson::self_test(&lesson, clock(host), exec);
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
    let m = &lesson.manifest;
    host.emit(&format!("\x1b[1m{}\x1b[0m  ({}, {})\n{}\n\n", shown(&m.title), shown(&m.difficulty), shown(&m.time), shown(&m.description)));
    // What cannot run as the author meant, before the student starts.
    let notes = lesson.unsupported();
    if !notes.is_empty() {
        host.emit("Berth runs this lesson with these differences:\n");
        for note in &notes {
            host.emit(&format!("  - {}\n", shown(note)));
        }
        host.emit("\n");
    }
    let mut session = match lesson.start(clock(host)) {
        Ok(s) => s,
        Err(e) => return Output::fail(1, format!("{dir}: {e}\n")),
    };
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
            let text = step.text.as_ref().and_then(|t| lesson.text(t).ok()).unwrap_or_default();
            host.emit(&format!("\n\x1b[1mStep {}/{total}: {}\x1b[0m\n\n{}\n", i + 1, shown(&lesson.step_title(i)), shown(&text)));
            let opened = lesson.open_step(&mut session, i);
            host.emit(&shown(&opened.typed));
            fresh = false;
            hints_shown = 0;
        }
        let Some(line) = host.read_line(&session.prompt()) else {
            return Output::ok(format!("\nStopped at step {} of {total}.\n", i + 1));
        };
        if session.sandbox.typing() {
            // The next line of a command that goes on (a heredoc, a `\` line).
            let out = session.sandbox.type_line(&line, None);
            host.emit(&String::from_utf8_lossy(&out.stdout));
            host.emit(&String::from_utf8_lossy(&out.stderr));
            if session.sandbox.typing() {
                continue;
            }
        } else {
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
                    let text = match lesson.solution_source(i, false) {
                        Some(lesson::SolutionSource::Reference) => {
                            let files = step.solution.files.iter().map(|f| format!("  file {f} (from solution/{f})\n")).collect::<String>();
                            let commands = step.solution.commands.iter().map(|c| format!("  $ {c}\n")).collect::<String>();
                            format!("The reference solution:\n{files}{commands}")
                        }
                        Some(lesson::SolutionSource::ExecBlocks) => {
                            let blocks = lesson.step_exec_blocks(i).iter().map(|b| format!("  $ {}\n", b.command.replace('\n', "\n    "))).collect::<String>();
                            format!("The step's commands ({{{{exec}}}} blocks):\n{blocks}")
                        }
                        None => "This step has no solution to show.\n".to_string(),
                    };
                    host.emit(&shown(&text));
                    continue;
                }
                ":skip" => match lesson.solve(&mut session, i) {
                    Ok(t) => host.emit(&shown(&t)),
                    Err(e) => host.emit(&shown(&format!("{e}\n"))),
                },
                ":check" | "" => {}
                _ => {
                    let out = session.sandbox.type_line(&line, None);
                    host.emit(&String::from_utf8_lossy(&out.stdout));
                    host.emit(&String::from_utf8_lossy(&out.stderr));
                    if session.sandbox.typing() {
                        continue;
                    }
                }
            }
        }
        let verdict = lesson.check(&mut session, i);
        if verdict.passed {
            host.emit(&format!("\x1b[32m✓ step {} done\x1b[0m{}\n", i + 1, if verdict.feedback.is_empty() { String::new() } else { format!(": {}", shown(&verdict.feedback)) }));
            i += 1;
            fresh = true;
        } else if line.trim() == ":check" && !verdict.feedback.is_empty() {
            host.emit(&format!("not yet: {}\n", shown(&verdict.feedback)));
        }
    }
    let finished = lesson.finish(&mut session);
    host.emit(&shown(&finished.typed));
    if let Some(text) = m.details.finish.as_ref().and_then(|p| p.text.as_ref()).and_then(|t| lesson.text(t).ok()) {
        host.emit(&format!("\n{}\n", shown(&text)));
    }
    Output::ok(format!("Lesson complete: {}\n", shown(&m.title)))
}

/// `berth lesson new NAME`: a lesson folder in Killercoda's format whose one step
/// already passes `berth lesson check`, for an author to grow.
fn new(args: &[String], host: &dyn Host) -> Output {
    let [name] = args else {
        return Output::fail(1, format!("\"berth lesson new\" requires exactly 1 argument.\n\n{HELP}"));
    };
    if name.is_empty() || name.starts_with('-') || name.split('/').any(|p| p == "..") {
        return Output::fail(1, format!("berth lesson new: {name:?} is not a folder name\n"));
    }
    let mut fs = match host.bind(".") {
        Ok(fs) => fs,
        Err(e) => return Output::fail(1, format!("berth lesson new: {e}\n")),
    };
    let root = vfs::join("/", name);
    if fs.exists(&root) {
        return Output::fail(1, format!("berth lesson new: {name} already exists\n"));
    }
    let title = name.rsplit('/').next().unwrap_or(name).replace(['-', '_'], " ");
    let index = serde_json::json!({
        "title": title,
        "description": "One sentence for the lesson list.",
        "difficulty": "beginner",
        "time": "5 minutes",
        "details": {
            "intro": { "text": "intro.md" },
            "steps": [ { "title": "Run a container", "text": "step1/text.md", "verify": "step1/verify.sh" } ],
            "finish": { "text": "finish.md" }
        },
        "backend": { "imageid": "ubuntu" }
    });
    let files: [(&str, String); 5] = [
        ("index.json", format!("{}\n", serde_json::to_string_pretty(&index).unwrap_or_default())),
        ("intro.md", format!("# {title}\n\nSay here what the student will learn and what they need to know first.\n")),
        ("step1/text.md", "Run a container named `hello` that prints a greeting and exits:\n\n```\ndocker run --name hello alpine:3.20 echo \"Hello from a container\"\n```{{exec}}\n\nThen look at what is left of it with `docker ps -a`{{exec}}.\n".to_string()),
        ("step1/verify.sh", "#!/bin/bash\n# Exit 0 when the step is done; what this prints is shown to the student.\nif [ \"$(docker inspect -f '{{.State.ExitCode}}' hello 2>/dev/null)\" != 0 ]; then\n  echo \"There is no container named hello that finished well yet.\"\n  exit 1\nfi\n".to_string()),
        ("finish.md", "Done. Next, add steps: a Markdown file and a verify.sh each, listed in index.json.\n".to_string()),
    ];
    for (path, text) in files {
        let full = vfs::join(&root, path);
        if let Some((parent, _)) = vfs::split_parent(&full) {
            if let Err(e) = fs.create_dir_all(&parent, 0o755) {
                return Output::fail(1, format!("berth lesson new: {name}/{path}: {e}\n"));
            }
        }
        if let Err(e) = fs.write(&full, text.as_bytes()) {
            return Output::fail(1, format!("berth lesson new: {name}/{path}: {e}\n"));
        }
        if path.ends_with(".sh") {
            let _ = fs.set_mode(&full, 0o755);
        }
    }
    Output::ok(format!("Created the lesson {name}/ (index.json, intro.md, step1/text.md, step1/verify.sh, finish.md).\nCheck it with: berth lesson check {name}\n"))
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
