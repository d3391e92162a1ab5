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
    assert_eq!(code, 0, "its {{exec}} block is its solution: {stdout}{stderr}");
    assert!(stdout.contains("not supported: backend \"kubernetes-kubeadm-2nodes\": Berth runs one Ubuntu host with Docker, not a Kubernetes cluster (no kubectl, no second node)"), "{stdout}");
    assert!(stdout.contains("not supported: intro: background script setup.sh runs to its end when the scenario starts, before the student goes on, not alongside them"), "{stdout}");
    assert!(stdout.contains("step 1 (Build the image): ok, solved by its 1 {{exec}} block(s)"), "{stdout}");
    // Played by hand, its verify.sh passes once the student has done the step.
    let (code, stdout, _) = berth(repo(), &["lesson", "run", "tests/cli/fixtures/killercoda-docker-basics"], b"ls /root\ncat /etc/killercoda/notes.txt\ndocker build -q -t basics /root\n");
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.starts_with("\x1b[1mDocker basics") && stdout.contains("Berth runs this lesson with these differences:\n  - backend \"kubernetes-kubeadm-2nodes\""), "what differs is said before the lesson starts: {stdout}");
    assert!(stdout.contains("Dockerfile"), "the asset lands in /root: {stdout}");
    assert!(stdout.contains("prepared.txt"), "the intro's background script ran when the lesson started: {stdout}");
    assert!(stdout.contains(&std::fs::read_to_string(repo().join("tests/cli/fixtures/killercoda-docker-basics/assets/notes.txt")).unwrap()), "an asset lands in /etc/killercoda too: {stdout}");
    assert!(stdout.contains("✓ step 1 done") && stdout.contains("Lesson complete"), "{stdout}");
}

/// A scenario as Killercoda's Docker scenarios are written: its init script an asset in
/// `/ks` (made executable), verify scripts that log to `/ks/stepN-verify.log` under
/// `set -e`, an intro whose background script prepares the machine while its foreground
/// script waits for it, steps without titles, multi-line `{{exec}}` blocks (a heredoc,
/// a `\` continuation) and `{{exec interrupt}}`.
#[test]
fn a_scenario_written_for_killercodas_host_runs_there_unchanged() {
    let dir = "tests/cli/fixtures/killercoda-ks";
    let (code, stdout, stderr) = berth(repo(), &["lesson", "check", dir], b"");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("killercoda-ks: A first image, the Killercoda way [host: ubuntu]"), "{stdout}");
    assert!(stdout.contains("step 1 (Step 1): ok, solved by its 2 {{exec}} block(s) (fails before: Error: No such image: myapp:v1)"), "{stdout}");
    assert!(stdout.contains("step 2 (Run it detached): ok, solved by its 2 {{exec}} block(s) (fails before: The container web has not printed its greeting.)"), "{stdout}");
    // --exec solves every step by its blocks, even one with a reference solution.
    let (code, stdout, _) = berth(repo(), &["lesson", "check", "--exec", "lessons/01-images-and-containers"], b"");
    assert_eq!(code, 1, "lesson 01's third block fails on purpose (the file is not in the container): {stdout}");
    assert!(stdout.contains("step 3 (A container has its own files): $ docker run --name peek alpine:3.20 cat /workspace/notes.txt"), "{stdout}");
    // Played as a student types it: the heredoc and the `\` line over several lines.
    let typed = "stat -c '%a %n' /ks/init.sh; cat /ks/init.log; git -C /root/app status --short\n:check\ncat <<'EOF' > /root/app/Dockerfile\nFROM alpine:3.20\nWORKDIR /app\nCOPY main.sh .\nCMD [\"sh\", \"main.sh\"]\nEOF\ncd /root/app && \\\n  docker build -q -t myapp:v1 .\ncat /ks/step1-verify.log\ndocker run -d --name web myapp:v1 > /dev/null\n";
    let (code, stdout, _) = berth(repo(), &["lesson", "run", dir], typed.as_bytes());
    assert_eq!(code, 0, "{stdout}");
    for expected in [
        // The foreground script, typed for the student once the background one is done.
        "root@ubuntu:~# echo \"Waiting for the environment...\"\nWaiting for the environment...\nroot@ubuntu:~# while [ ! -f /tmp/background0 ]; do sleep 1; done\nroot@ubuntu:~# echo \"Ready.\"\nReady.\n",
        "\x1b[1mStep 1/2: Step 1\x1b[0m",
        "755 /ks/init.sh\n?? README.txt\n?? main.sh\n",
        // A failing verify.sh: what it printed, not only its status.
        "not yet: Error: No such image: myapp:v1\n(step1/verify.sh exited with status 1)",
        "> > > > > ",
        "✓ step 1 done",
        // Each check appended to the log; the `cd` of the typed line stays.
        "root@ubuntu:~/app# checking for myapp:v1\nchecking for myapp:v1\n",
        "root@ubuntu:~/app# \x1b[32m✓ step 2 done",
        "Well done: a Dockerfile, an image and a container.",
        "Lesson complete: A first image, the Killercoda way",
    ] {
        assert!(stdout.contains(expected), "missing {expected:?} in:\n{stdout}");
    }
}

#[test]
fn lesson_new_scaffolds_a_lesson_that_lesson_check_finds_in_a_repository() {
    let root = std::env::temp_dir().join(format!("berth-lesson-repo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(root.join("docker")).unwrap();
    let (code, stdout, stderr) = berth(&root.join("docker"), &["lesson", "new", "first-steps"], b"");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("Created the lesson first-steps/"), "{stdout}");
    let (code, _, stderr) = berth(&root.join("docker"), &["lesson", "new", "first-steps"], b"");
    assert_eq!((code, stderr.as_str()), (1, "berth lesson new: first-steps already exists\n"), "nothing is written over");
    // A second scenario deeper down, and things that are not lessons.
    std::fs::create_dir_all(root.join("more/topic/.git")).unwrap();
    let (code, _, _) = berth(&root.join("more/topic"), &["lesson", "new", "second"], b"");
    assert_eq!(code, 0);
    let (code, stdout, stderr) = berth(&root, &["lesson", "check", "."], b"");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains("./docker/first-steps: first steps [host: ubuntu]\n  step 1 (Run a container): ok, solved by its 2 {{exec}} block(s) (fails before: There is no container named hello that finished well yet.)"), "{stdout}");
    assert!(stdout.contains("./more/topic/second: second"), "{stdout}");
    assert!(stdout.contains("2 lesson(s), 2 step(s)"), "{stdout}");
    std::fs::remove_dir_all(&root).unwrap();
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
    assert!(stdout.contains("it ran more than 500000 commands"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn killercoda_steps_load_without_titles_and_what_is_not_run_is_said() {
    let dir = lesson_dir(
        "kc-lesson",
        &[("step1/verify.sh", "test -f /root/done.txt || { echo 'done.txt is missing' >&2; exit 1; }\n"), ("step1/foreground.sh", "echo typed for you\n")],
        r#"{"backend": {"imageid": "kubernetes-kubeadm-1node"}, "interface": {"layout": "ide"}, "details": {"steps": [
            {"verify": "step1/verify.sh", "foreground": "step1/foreground.sh", "solution": {"commands": ["touch done.txt"]}}
        ]}}"#,
    );
    let (code, stdout, stderr) = berth(&dir, &["lesson", "check", "."], b"");
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.contains(".: (no title) [host: ubuntu]"), "a lesson without a title loads: {stdout}");
    assert!(stdout.contains("not supported: backend \"kubernetes-kubeadm-1node\": Berth runs one Ubuntu host with Docker, not a Kubernetes cluster"), "{stdout}");
    assert!(stdout.contains("not supported: index.json field \"interface\" is not used by Berth"), "{stdout}");
    // A failing verify.sh's own words reach the student.
    assert!(stdout.contains("step 1 (Step 1): ok (fails before: done.txt is missing)"), "{stdout}");
    let (code, stdout, _) = berth(&dir, &["lesson", "run", "."], b"touch done.txt\n");
    assert_eq!(code, 0, "{stdout}");
    assert!(stdout.contains("root@ubuntu:~# echo typed for you\ntyped for you\n"), "the foreground script is typed into the terminal: {stdout}");
    assert!(stdout.contains("✓ step 1 done"), "{stdout}");
    std::fs::remove_dir_all(&dir).unwrap();
}
