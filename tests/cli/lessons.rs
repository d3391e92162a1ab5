//! Lessons: every lesson in `lessons/` passes `berth lesson check` (its checks fail before
//! each step's solution and pass after it), a lesson can be played over stdin, an
//! unchanged Killercoda scenario imports, and checks that cannot fail are caught.

use std::path::Path;

fn berth(dir: &Path, args: &[&str], input: &[u8]) -> (i32, String, String) {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .current_dir(dir)
        .env("BERTH_ROOT", std::env::temp_dir().join(format!("berth-lessons-{}", std::process::id())))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("berth runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// A fresh lesson folder under the temporary directory: `files` (path, content), then
/// its `index.json`.
fn lesson_dir(name: &str, files: &[(&str, &str)], index: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("berth-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, content) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    std::fs::write(dir.join("index.json"), index).unwrap();
    dir
}

fn repo() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

#[test]
fn every_lesson_passes_lesson_check() {
    let (code, stdout, stderr) = berth(repo(), &["lesson", "check", "lessons"], b"");
    println!("{stdout}{stderr}");
    assert_eq!(code, 0, "{stdout}{stderr}");
    let lessons = std::fs::read_dir(repo().join("lessons")).unwrap().filter(|e| e.as_ref().unwrap().path().join("index.json").exists()).count();
    assert!(lessons >= 10, "{lessons} lessons");
    assert!(stdout.contains(&format!("{lessons} lesson(s), ")), "{stdout}");
    assert!(!stdout.contains("checks pass before") && !stdout.contains("checks fail after"), "{stdout}");
}

#[test]
fn a_lesson_plays_over_stdin_with_hints_checks_and_feedback() {
    let input = b"docker pull alpine:3.20\n:hint\n:hint\n:hint\ndocker pull python:3.11.9-bullseye\ndocker run --name pyver python:3.11.9-bullseye python --version\n:solution\n:skip\n:check\n:quit\n";
    let (code, stdout, _) = berth(repo(), &["lesson", "run", "lessons/01-images-and-containers"], input);
    assert_eq!(code, 0);
    for expected in [
        "Step 1/6: Pull an image",
        "hint 1/2: The image name goes right after `docker pull`.",
        "hint 2/2: Include the tag",
        "no more hints for this step",
        "✓ step 1 done",
        "Step 2/6: Run a program in a container",
        "Python 3.11.9",
        "✓ step 2 done",
        "The reference solution:\n  $ docker run --name peek alpine:3.20 cat /workspace/notes.txt || true",
        "✓ step 3 done",
        "not yet: there is no container named peek2",
        "Stopped at step 4 of 6.",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?} in:\n{stdout}");
    }
}

#[test]
fn a_killercoda_scenario_runs_unchanged_and_what_cannot_run_is_reported() {
    let (code, stdout, stderr) = berth(repo(), &["lesson", "check", "tests/cli/fixtures/killercoda-docker-basics"], b"");
    assert_eq!(code, 1, "a scenario without a reference solution cannot prove its checks: {stdout}{stderr}");
    assert!(stdout.contains("not supported: backend \"kubernetes-kubeadm-2nodes\": Berth runs its own Docker sandbox instead"), "{stdout}");
    assert!(stdout.contains("not supported: intro: background script setup.sh runs once when the lesson starts, not alongside it"), "{stdout}");
    assert!(stdout.contains("not supported: asset target /etc/killercoda: only /root (the workspace) is supported"), "{stdout}");
    // Played by hand, its verify.sh passes once the student has done the step.
    let (code, stdout, _) = berth(repo(), &["lesson", "run", "tests/cli/fixtures/killercoda-docker-basics"], b"ls /root\ndocker build -q -t basics /root\n");
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("Dockerfile"), "the asset lands in /root: {stdout}");
    assert!(stdout.contains("prepared.txt"), "the intro's background script ran when the lesson started: {stdout}");
    assert!(stdout.contains("✓ step 1 done") && stdout.contains("Lesson complete"), "{stdout}");
}

#[test]
fn checks_that_cannot_fail_are_caught() {
    let dir = lesson_dir(
        "weak-lesson",
        &[("files/app.txt", "hi\n")],
        r#"{"title": "Weak", "details": {"steps": [
            {"title": "Always true", "checks": [{"file": "app.txt"}], "solution": {"commands": ["true"]}},
            {"title": "Never true", "checks": [{"image": "nope:1"}], "solution": {"commands": ["docker pull -q alpine:3.20"]}},
            {"title": "No checks"}
        ]}}"#,
    );
    let (code, stdout, stderr) = berth(&dir, &["lesson", "check", "."], b"");
    assert_eq!(code, 1);
    assert!(stdout.contains("step 1 (Always true): checks pass before the solution, so they cannot tell"), "{stdout}");
    assert!(stdout.contains("step 2 (Never true): checks fail after the solution: there is no image nope:1 yet"), "{stdout}");
    assert!(stdout.contains("step 3 (No checks): no checks"), "{stdout}");
    assert!(stderr.contains("1 lesson(s) with problems"), "{stderr}");
    std::fs::write(dir.join("index.json"), "{\"title\": \"Broken\",\n \"details\": {\"steps\": [}\n").unwrap();
    let (code, _, stderr) = berth(&dir, &["lesson", "check", "."], b"");
    assert_eq!(code, 1);
    assert!(stderr.contains("./index.json:2:"), "a bad manifest names file, line and column: {stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn lesson_scripts_that_loop_or_wait_for_ever_are_stopped_with_why() {
    // Killercoda's usual wait, and a check that spins.
    let dir = lesson_dir(
        "looping-lesson",
        &[("step1/verify.sh", "until [ -f /root/never ]; do sleep 1; done\n")],
        r#"{"title": "Loops", "details": {"steps": [
            {"title": "Waits", "verify": "step1/verify.sh", "solution": {"commands": ["true"]}},
            {"title": "Spins", "checks": [{"run": "while :; do :; done"}], "solution": {"commands": ["true"]}}
        ]}}"#,
    );
    let (code, stdout, stderr) = berth(&dir, &["lesson", "check", "."], b"");
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(stdout.contains("step 1 (Waits): checks fail after the solution: step1/verify.sh: the script was stopped: its sleeps added up to more than 300 s."), "{stdout}");
    assert!(stdout.contains("step 2 (Spins): checks fail after the solution: `while :; do :; done` failed (exit status 137)"), "{stdout}");
    assert!(stdout.contains("it ran more than 2000000 commands"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn killercoda_steps_load_without_titles_and_what_is_not_run_is_said() {
    let dir = lesson_dir(
        "kc-lesson",
        &[("step1/verify.sh", "test -f /root/done.txt || { echo 'done.txt is missing' >&2; exit 1; }\n"), ("step1/foreground.sh", "echo typed for you\n")],
        r#"{"title": "Untitled steps", "backend": {"imageid": "kubernetes-kubeadm-1node"}, "details": {"steps": [
            {"verify": "step1/verify.sh", "foreground": "step1/foreground.sh", "solution": {"commands": ["touch done.txt"]}}
        ]}}"#,
    );
    let (code, stdout, stderr) = berth(&dir, &["lesson", "check", "."], b"");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("not supported: backend \"kubernetes-kubeadm-1node\": Berth runs its own Docker sandbox instead"), "{stdout}");
    assert!(stdout.contains("foreground script step1/foreground.sh is not run"), "{stdout}");
    // A failing verify.sh's own words reach the student.
    assert!(stdout.contains("step 1 (): ok (fails before: done.txt is missing)"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}
