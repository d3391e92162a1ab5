//! Input that used to panic, overflow the stack, escape the state directory or lose
//! records: each now ends in an error (or the right answer) and leaves the engine usable.

use engine::image::store::Storage;
use engine::sandbox::{FixedClock, Sandbox};
use engine::shell::Outcome;
use std::rc::Rc;

fn sandbox() -> Sandbox {
    Sandbox::new(Rc::new(FixedClock(1_700_000_000)))
}

fn text(out: &Outcome) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

fn stdout(out: &Outcome) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `f` on a thread with a browser tab's 1 MiB stack: an overflow aborts the test
/// binary, so passing means the engine stopped itself in time.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(1 << 20).spawn(f).unwrap().join().unwrap()
}

#[test]
fn sleep_infinity_keeps_a_container_up_and_bad_durations_are_refused() {
    let mut sb = sandbox();
    let out = sb.run_line("docker run -d --name keep alpine:3.20 sleep infinity", &[]);
    assert_eq!(out.status, 0, "{}", text(&out));
    assert_eq!(stdout(&sb.run_line("docker ps -q | wc -l", &[])).trim(), "1");
    let out = sb.run_line("docker run -d --name keep2 debian:12 sh -c 'echo up; sleep inf'", &[]);
    assert_eq!(out.status, 0, "{}", text(&out));
    assert_eq!(stdout(&sb.run_line("docker logs keep2", &[])), "up\n");
    assert_eq!(stdout(&sb.run_line("docker ps --format '{{.Names}}' | sort | tr '\\n' ' '", &[])), "keep keep2 ");
    let out = sb.run_line("docker stop keep keep2", &[]);
    assert_eq!(out.status, 0, "{}", text(&out));

    let out = sb.run_line("docker run --rm alpine:3.20 sh -c 'sleep infinity & echo started'", &[]);
    assert_eq!(out.status, 0, "{}", text(&out));
    // GNU sleep (Debian) and BusyBox (Alpine) each refuse a negative or malformed time.
    let out = sb.run_line("docker run --rm debian:12 sh -c 'a=$(date +%s); sleep -- -5; echo $?; sleep 1x; b=$(date +%s); [ $b -ge $a ] && echo monotonic'", &[]);
    assert_eq!(stdout(&out), "1\nmonotonic\n", "{}", text(&out));
    assert!(text(&out).contains("sleep: invalid time interval '-5'"), "{}", text(&out));
    assert!(text(&out).contains("sleep: invalid time interval '1x'"), "{}", text(&out));
    let out = sb.run_line("docker run --rm alpine:3.20 sleep nan", &[]);
    assert_eq!(out.status, 1);
    assert!(text(&out).contains("sleep: invalid number 'nan'"), "{}", text(&out));
    let out = sb.run_line("docker run --rm alpine:3.20 sh -c 'sleep 1m 1.5s && date +%s'", &[]);
    assert_eq!(out.status, 0, "{}", text(&out));
}

/// Runs `line` in a fresh sandbox on a 1 MiB stack; returns its status and output.
fn deep(line: String, files: &[(&'static str, String)]) -> (i32, String) {
    let files: Vec<(&'static str, String)> = files.to_vec();
    on_small_stack(move || {
        let mut sb = sandbox();
        for (name, data) in &files {
            sb.write_file(name, data.as_bytes()).unwrap();
        }
        let out = sb.run_line(&line, &[]);
        // The engine is still fine afterwards.
        assert_eq!(sb.run_line("echo still here", &[]).stdout, b"still here\n");
        (out.status, text(&out))
    })
}

#[test]
fn deeply_nested_braces_are_a_syntax_error() {
    let (status, out) = deep("{ ".repeat(100_000), &[]);
    assert_eq!(status, 2, "{out}");
    assert!(out.contains("nested too deeply"), "{out}");
    let (status, _) = deep(format!("echo {}x{}", "$(echo ".repeat(50_000), ")".repeat(50_000)), &[]);
    assert_eq!(status, 2);
    let (status, _) = deep(format!("echo {}x{}", "${x:-".repeat(50_000), "}".repeat(50_000)), &[]);
    assert_eq!(status, 2);
}

#[test]
fn eval_and_source_without_end_stop_with_an_error() {
    let (status, out) = deep("x='eval \"$x\"'; eval \"$x\"".to_string(), &[]);
    assert_eq!(status, 2, "{out}");
    assert!(out.contains("nested too deeply"), "{out}");
    let (status, out) = deep(". ./self.sh".to_string(), &[("self.sh", ". ./self.sh\n".to_string())]);
    assert_eq!(status, 2, "{out}");
    let (status, out) = deep("f() { f; }; f".to_string(), &[]);
    assert_ne!(status, 0, "{out}");
    let (status, out) = deep("f() { eval 'g() { f; }; { { g; }; }'; }; f".to_string(), &[]);
    assert_ne!(status, 0, "{out}");
}

#[test]
fn deep_arithmetic_and_tests_stop_with_an_error() {
    let (status, _) = deep(format!("echo $(( {}1{} ))", "(".repeat(100_000), ")".repeat(100_000)), &[]);
    assert_ne!(status, 0);
    let (status, _) = deep(format!("echo $(( {}1 ))", "- ".repeat(100_000)), &[]);
    assert_ne!(status, 0);
    let (status, _) = deep(format!("[[ {}x ]] && echo yes", "! ".repeat(100_000)), &[]);
    assert_ne!(status, 0);
}

#[test]
fn deep_awk_programs_are_refused() {
    let run = "docker run --rm -v \"$(pwd)\":/w alpine:3.20 awk -f /w/p.awk".to_string();
    let (status, out) = deep(run.clone(), &[("p.awk", format!("BEGIN {{ print {}1{} }}", "(".repeat(100_000), ")".repeat(100_000)))]);
    assert_ne!(status, 0, "{out}");
    assert!(out.contains("nested too deeply"), "{out}");
    let (status, out) = deep(run.clone(), &[("p.awk", format!("BEGIN {{ print {}1 }}", "1+".repeat(100_000)))]);
    assert_ne!(status, 0, "{out}");
    let (status, out) = deep(run, &[("p.awk", format!("BEGIN {{ print {}1 }}", "1+".repeat(100)))]);
    assert_eq!(status, 0, "{out}");
    assert!(out.starts_with("101\n"), "{out}");
}

#[test]
fn long_patterns_match_without_deep_recursion() {
    on_small_stack(|| {
        let mut sb = sandbox();
        let long = "a".repeat(200_000);
        sb.write_file(".dockerignore", format!("{long}\n").as_bytes()).unwrap();
        sb.write_file("Dockerfile", b"FROM alpine:3.20\nCOPY . /ctx\nRUN ls /ctx | wc -l\n").unwrap();
        let out = sb.run_line("docker build -q -t ctx .", &[]);
        assert_eq!(out.status, 0, "{}", text(&out));
        let out = sb.run_line(&format!("v={long}; echo ${{#v}} ${{v//?/}}. ${{v%%a*}}. ${{v#*a}}", ), &[]);
        assert_eq!(stdout(&out), format!("200000 . . {}\n", "a".repeat(199_999)));
    });
}

#[test]
fn arithmetic_and_printf_stay_within_bounds() {
    let mut sb = sandbox();
    let out = sb.run_line("x=9223372036854775807; echo $((++x)) $((x--)) $x", &[]);
    assert_eq!(stdout(&out), "-9223372036854775808 -9223372036854775808 9223372036854775807\n", "{}", text(&out));
    let out = sb.run_line("printf '%9999999999d' 1", &[]);
    assert_eq!(out.status, 1);
    assert!(text(&out).contains("printf: invalid field width: '9999999999'"), "{}", text(&out));
    let out = sb.run_line("printf '%.2000000000s' x", &[]);
    assert_eq!(out.status, 1);
    assert_eq!(stdout(&sb.run_line("printf '%5d|%-3s|%05.1f\\n' 42 a 3.14159", &[])), "   42|a  |003.1\n");
    // Past what nanoseconds in an i64 hold (2262): saturated, not overflowed.
    let out = sb.run_line("docker run --name lg alpine:3.20 echo hi >/dev/null; docker logs --since 2300-01-01T00:00:00Z lg; echo $?; docker logs --until 2300-01-01T00:00:00Z lg", &[]);
    assert_eq!(stdout(&out), "0\nhi\n", "{}", text(&out));
    let out = sb.run_line("docker logs --since 9999999-01-01T00:00:00Z lg", &[]);
    assert!(text(&out).contains("failed to parse value as time or duration"), "{}", text(&out));
}

#[test]
fn names_are_validated_and_storage_keys_cannot_leave_the_state_directory() {
    let mut sb = sandbox();
    let out = sb.run_line("docker volume create a/../../../../tmp/x", &[]);
    assert_eq!(out.status, 1);
    assert!(text(&out).contains("Error response from daemon: create a/../../../../tmp/x: \"a/../../../../tmp/x\" includes invalid characters for a local volume name, only \"[a-zA-Z0-9][a-zA-Z0-9_.-]\" are allowed. If you intended to pass a host directory, use absolute path"), "{}", text(&out));
    let out = sb.run_line("docker run --rm -v a/../../x:/d alpine:3.20 true", &[]);
    assert_eq!(out.status, 125);
    assert!(text(&out).contains("includes invalid characters for a local volume name"), "{}", text(&out));
    let out = sb.run_line("docker run --name a/b alpine:3.20 true", &[]);
    assert_eq!(out.status, 125);
    assert!(text(&out).contains("docker: Error response from daemon: Invalid container name (a/b), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed."), "{}", text(&out));
    let out = sb.run_line("docker run --name ok1 alpine:3.20 true && docker rename ok1 ../x", &[]);
    assert_eq!(out.status, 1);
    assert!(text(&out).contains("Invalid container name (../x)"), "{}", text(&out));
    // A compose file's volume names are checked as `volume create`'s are.
    let out = sb.run_line("mkdir cv && printf 'services:\\n  app:\\n    image: alpine:3.20\\n    volumes:\\n      - ../../../x:/d\\nvolumes:\\n  ../../../x:\\n' > cv/compose.yaml && cd cv && docker compose up", &[]);
    assert_ne!(out.status, 0, "{}", text(&out));
    assert!(text(&out).contains("includes invalid characters for a local volume name"), "{}", text(&out));
    assert!(sb.storage.0.lock().unwrap().files.keys().all(|k| !k.contains("..")));
    let mut storage = sb.storage.clone();
    assert!(storage.write("volumes/../../x.tar", b"x").is_err());
    assert!(storage.write("/etc/x", b"x").is_err());
    let dir = std::env::temp_dir().join(format!("berth-keys-{}", std::process::id()));
    let mut disk = engine::image::store::DirStorage::new(dir.join("root"));
    assert!(disk.write("a/../../escaped", b"x").is_err());
    assert!(!dir.join("escaped").exists());
    assert!(disk.write("volumes/ok.tar", b"x").is_ok());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn container_records_that_do_not_decode_are_never_overwritten() {
    let mut sb = sandbox();
    let out = sb.run_line("docker run --name first alpine:3.20 true", &[]);
    assert_eq!(out.status, 0, "{}", text(&out));
    let key = "berth/containers.json";
    let saved = sb.storage.read(key).unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&saved).unwrap();
    assert_eq!(doc["version"], 1, "records carry their schema version");
    // A record this engine cannot read (a field of the wrong type, as a newer or broken
    // writer could leave): commands refuse, and the file stays as it was.
    let broken = String::from_utf8(saved.clone()).unwrap().replace("\"exit_code\": 0", "\"exit_code\": \"zero\"");
    assert_ne!(broken.as_bytes(), saved.as_slice());
    sb.storage.clone().write(key, broken.as_bytes()).unwrap();
    for line in ["docker ps -a", "docker run --name second alpine:3.20 true", "docker rm first", "docker container prune -f"] {
        let out = sb.run_line(line, &[]);
        assert_eq!(out.status, 1, "{line}: {}", text(&out));
        assert!(text(&out).contains("cannot read the container records"), "{line}: {}", text(&out));
    }
    assert_eq!(sb.storage.read(key).unwrap(), broken.as_bytes());
    let newer = serde_json::json!({"version": 99, "containers": {}});
    sb.storage.clone().write(key, newer.to_string().as_bytes()).unwrap();
    let out = sb.run_line("docker ps -a", &[]);
    assert!(text(&out).contains("version 99, written by a newer Berth"), "{}", text(&out));

    // Version 0 (the bare map) still reads, and the next save writes version 1.
    let legacy = serde_json::to_vec(&doc["containers"]).unwrap();
    sb.storage.clone().write(key, &legacy).unwrap();
    let out = sb.run_line("docker ps -a --format '{{.Names}}'", &[]);
    assert_eq!(stdout(&out), "first\n", "{}", text(&out));
    let out = sb.run_line("docker rename first renamed", &[]);
    assert_eq!(out.status, 0, "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&sb.storage.read(key).unwrap()).unwrap();
    assert_eq!(doc["version"], 1);
    assert!(doc["containers"].as_object().unwrap().values().any(|c| c["name"] == "renamed"));
}

#[test]
fn writable_layers_and_volumes_that_do_not_unpack_are_never_overwritten() {
    let mut sb = sandbox();
    let out = sb.run_line("docker run --name keep -v data:/data alpine:3.20 sh -c 'echo mine > /mine; echo v > /data/v'", &[]);
    assert_eq!(out.status, 0, "{}", text(&out));
    let id = stdout(&sb.run_line("docker inspect --format '{{.Id}}' keep", &[])).trim().to_string();
    let (upper, volume) = (format!("containers/{id}/upper.tar"), "volumes/data.tar".to_string());
    assert!(sb.storage.read(&upper).is_some() && sb.storage.read(&volume).is_some());
    // Truncated archives, as a full disk or another writer could leave them.
    for key in [&upper, &volume] {
        let whole = sb.storage.read(key).unwrap();
        sb.storage.clone().write(key, &whole[..700]).unwrap();
    }
    let (broken_upper, broken_volume) = (sb.storage.read(&upper).unwrap(), sb.storage.read(&volume).unwrap());
    for line in ["docker start keep", "docker diff keep", "docker commit keep kept:1", "docker cp keep:/mine ."] {
        let out = sb.run_line(line, &[]);
        assert_ne!(out.status, 0, "{line}: {}", text(&out));
        assert!(text(&out).contains(&format!("{upper} cannot be read")), "{line}: {}", text(&out));
    }
    let out = sb.run_line("docker run --rm -v data:/data alpine:3.20 cat /data/v", &[]);
    assert_ne!(out.status, 0, "{}", text(&out));
    assert!(text(&out).contains("volumes/data.tar cannot be read"), "{}", text(&out));
    assert_eq!(sb.storage.read(&upper).unwrap(), broken_upper);
    assert_eq!(sb.storage.read(&volume).unwrap(), broken_volume);
    // Logs that do not decode are an error, not an empty log.
    let log = format!("containers/{id}/log.json");
    sb.storage.clone().write(&log, b"[{\"stream\": \"stdout\", \"te").unwrap();
    let out = sb.run_line("docker logs keep", &[]);
    assert_eq!(out.status, 1, "{}", text(&out));
    assert!(text(&out).contains(&format!("cannot read the logs: {log}")), "{}", text(&out));
}

/// Partial files of interrupted writes: a failed write leaves none, and `system prune`
/// removes those a crashed process left.
#[test]
fn interrupted_writes_leave_nothing_that_prune_does_not_reclaim() {
    use engine::image::store::{DirStorage, Storage};
    let root = std::env::temp_dir().join(format!("berth-partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let mut disk = DirStorage::new(&root);
    // The rename cannot happen (a directory is in the way): the old content stays and no
    // temporary file is left.
    std::fs::create_dir_all(root.join("berth/blocked/inside")).unwrap();
    assert!(disk.write("berth/blocked", b"new").is_err());
    let partial = |dir: &std::path::Path| std::fs::read_dir(dir).unwrap().flatten().filter(|e| e.file_name().to_string_lossy().starts_with(".tmp-")).count();
    assert_eq!(partial(&root.join("berth")), 0);
    // A crashed process's file (no such PID) goes; a live writer's stays.
    std::fs::write(root.join("berth/.tmp-4000000000-berth_containers.json"), b"half a record").unwrap();
    std::fs::write(root.join(format!("berth/.tmp-{}-berth_volumes.json", std::process::id())), b"being written").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_berth")).args(["system", "prune", "-f"]).env("BERTH_ROOT", &root).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("Removed 1 partial file left by interrupted writes: 13B"), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(partial(&root.join("berth")), 1);
    assert_eq!(disk.reclaim(), (0, 0));
    let _ = std::fs::remove_dir_all(&root);
}

#[test]
fn a_base_image_whose_layer_is_corrupt_stops_the_build_with_why() {
    let mut sb = sandbox();
    sb.write_file("base/Dockerfile", b"FROM alpine:3.20\nCOPY data.txt /data.txt\n").unwrap();
    sb.write_file("base/data.txt", b"data\n").unwrap();
    let gzip_blobs = |sb: &Sandbox| -> Vec<(String, Vec<u8>)> { sb.storage.0.lock().unwrap().files.iter().filter(|(k, v)| k.starts_with("blobs/sha256/") && v.starts_with(&[0x1f, 0x8b])).map(|(k, v)| (k.clone(), v.clone())).collect() };
    let before = gzip_blobs(&sb);
    let out = sb.run_line("docker build -q -t base:1 base", &[]);
    assert_eq!(out.status, 0, "{}", text(&out));
    // The COPY layer's blob (the one gzip blob the build added), changed on disk.
    let added: Vec<_> = gzip_blobs(&sb).into_iter().filter(|b| !before.contains(b)).collect();
    let [(key, layer)] = &added[..] else { panic!("one layer blob added: {added:?}") };
    let mut corrupt = layer.clone();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0xff;
    sb.storage.clone().write(key, &corrupt).unwrap();
    sb.write_file("app/Dockerfile", b"FROM base:1\nRUN cat /data.txt\n").unwrap();
    let out = sb.run_line("docker build -t app:1 app", &[]);
    assert_eq!(out.status, 1, "{}", text(&out));
    assert!(text(&out).contains("failed to solve: base:1: failed to verify sha256:"), "{}", text(&out));
    assert!(!text(&out).contains("not found"), "{}", text(&out));
    let out = sb.run_line("docker run --rm base:1 cat /data.txt", &[]);
    assert_ne!(out.status, 0, "{}", text(&out));
    assert!(text(&out).contains("failed to verify sha256:"), "{}", text(&out));
}

#[test]
fn docker_cp_takes_absolute_host_paths_as_they_are() {
    let mut sb = sandbox();
    sb.run_line("mkdir -p out app && cd app", &[]);
    let out = sb.run_line("docker run --name src alpine:3.20 sh -c 'echo hello > /greeting'", &[]);
    assert_eq!(out.status, 0, "{}", text(&out));
    let out = sb.run_line("docker cp src:/greeting /workspace/out/greeting.txt", &[]);
    assert_eq!(out.status, 0, "{}", text(&out));
    assert_eq!(sb.read_file("out/greeting.txt").unwrap(), b"hello\n");
    assert!(sb.read_file("app/workspace/out/greeting.txt").is_err());
    let out = sb.run_line("docker cp src:/greeting /workspace/out", &[]);
    assert_eq!(out.status, 0, "{}", text(&out));
    assert_eq!(sb.read_file("out/greeting").unwrap(), b"hello\n");
    sb.write_file("out/up.txt", b"up\n").unwrap();
    let out = sb.run_line("docker cp /workspace/out/up.txt src:/ && docker diff src", &[]);
    assert!(stdout(&out).contains("A /up.txt"), "{}", text(&out));
}

#[test]
fn one_volume_mounted_twice_is_one_filesystem_at_both_points() {
    let mut sb = sandbox();
    let out = sb.run_line("docker run --rm -v data:/a -v data:/b alpine:3.20 sh -c 'echo one > /a/f; cat /b/f; echo two > /b/g; ls /a'", &[]);
    assert_eq!(stdout(&out), "one\nf\ng\n", "{}", text(&out));
    let out = sb.run_line("docker run --rm -v data:/c alpine:3.20 ls /c", &[]);
    assert_eq!(stdout(&out), "f\ng\n", "{}", text(&out));
}

#[test]
fn in_a_container_only_what_the_image_has_runs() {
    let mut sb = sandbox();
    let out = sb.run_line("docker run --rm python:3.11-slim sh -c 'curl -s example.com'", &[]);
    assert_eq!(out.status, 127, "{}", text(&out));
    assert!(text(&out).contains("sh: 1: curl: not found"), "{}", text(&out));
    let out = sb.run_line("docker run --rm python:3.11-slim sh -c 'command -v curl || echo no curl'", &[]);
    assert_eq!(stdout(&out), "no curl\n", "{}", text(&out));
    // A build sees the same image.
    sb.write_file("Dockerfile", b"FROM python:3.11-slim\nRUN wget -q http://example.com/x\n").unwrap();
    let out = sb.run_line("docker build -t nowget .", &[]);
    assert_ne!(out.status, 0);
    assert!(text(&out).contains("wget: not found"), "{}", text(&out));
    // BusyBox has ps, but there is no process table behind it yet: it says so.
    let out = sb.run_line("docker run --rm alpine:3.20 ps", &[]);
    assert_eq!(out.status, 1, "{}", text(&out));
    assert!(text(&out).contains("ps: processes are not available"), "{}", text(&out));
    assert!(stdout(&out).is_empty());
    let out = sb.run_line("docker run --rm alpine:3.20 free -m", &[]);
    assert_eq!((out.status, stdout(&out).as_str()), (1, ""), "{}", text(&out));
}

#[test]
fn paths_resolve_symlinks_across_mount_points() {
    let mut sb = sandbox();
    // A symlink in the root (as Debian's /var/run -> /run) leads into the volume at /run/x.
    let out = sb.run_line("docker run --rm -v vol:/run/x debian:12 sh -c 'ln -s /run /tmp/run; echo hi > /tmp/run/x/f; ls /run/x'", &[]);
    assert_eq!(stdout(&out), "f\n", "{}", text(&out));
    let out = sb.run_line("docker run --rm -v vol:/data alpine:3.20 cat /data/f", &[]);
    assert_eq!(stdout(&out), "hi\n", "{}", text(&out));
    // A link inside a bind mount naming an absolute path means the container's path.
    let out = sb.run_line("mkdir d && ln -s /etc/alpine-release d/rel && ln -s ../../etc d/up && docker run --rm -v \"$(pwd)/d\":/d alpine:3.20 sh -c 'cat /d/rel; ls /d/up/alpine-release'", &[]);
    assert_eq!(stdout(&out), "3.20.3\n/d/up/alpine-release\n", "{}", text(&out));
    let out = sb.run_line("ln -s loop d/loop && docker run --rm -v \"$(pwd)/d\":/d alpine:3.20 cat /d/loop", &[]);
    assert_ne!(out.status, 0);
    assert!(text(&out).contains("Too many levels of symbolic links") || text(&out).contains("Symbolic link loop"), "{}", text(&out));
}

#[test]
fn binary_output_keeps_every_byte_through_pipes_and_redirects() {
    let mut sb = sandbox();
    let out = sb.run_line("docker run --rm alpine:3.20 sh -c 'echo hi | gzip -c' | gunzip -c", &[]);
    assert_eq!(stdout(&out), "hi\n", "{}", text(&out));
    // Every byte value, out of a container, into a file in the workspace.
    let out = sb.run_line("docker run --rm alpine:3.20 sh -c \"printf '\\\\000\\\\377\\\\200\\\\303('\" > bytes.bin", &[]);
    assert_eq!(out.status, 0, "{}", text(&out));
    assert_eq!(sb.read_file("bytes.bin").unwrap(), b"\x00\xff\x80\xc3(");
    let out = sb.run_line("docker run --name tarred alpine:3.20 tar czf - /etc/alpine-release > etc.tgz && mkdir x && tar xzf etc.tgz -C x && cat x/etc/alpine-release", &[]);
    assert_eq!(stdout(&out), "3.20.3\n", "{}", text(&out));
    let out = sb.run_line("docker run -d --name box alpine:3.20 sleep 1000 && docker exec box sh -c 'printf \"\\\\377\\\\376\"' > ex.bin", &[]);
    assert_eq!(out.status, 0, "{}", text(&out));
    assert_eq!(sb.read_file("ex.bin").unwrap(), b"\xff\xfe");
    // `docker save` writes to a redirect or a pipe, and refuses a terminal.
    let out = sb.run_line("docker save alpine:3.20", &[]);
    assert_eq!(out.status, 1);
    assert!(text(&out).contains("cowardly refusing to save to a terminal"), "{}", text(&out));
    let out = sb.run_line("docker save alpine:3.20 > a.tar && docker rm -f tarred box >/dev/null && docker rmi alpine:3.20 >/dev/null && docker load < a.tar", &[]);
    assert_eq!(out.status, 0, "{}", text(&out));
    assert!(stdout(&out).contains("Loaded image: alpine:3.20"), "{}", text(&out));
    let out = sb.run_line("docker save alpine:3.20 | tar t | grep -c manifest.json", &[]);
    assert_eq!(stdout(&out), "1\n", "{}", text(&out));
}

#[test]
fn runtimes_are_chosen_per_container_and_build_and_listed_by_info() {
    let mut sb = sandbox();
    let out = sb.run_line("docker info", &[]);
    assert_eq!(out.status, 0, "{}", text(&out));
    let info = stdout(&out);
    assert!(info.contains(" Runtimes: emulated native\n Default Runtime: emulated\n"), "{info}");
    assert!(info.contains(" Runtime emulated: available; supports detached, tty, exec; networks: none\n"), "{info}");
    assert!(info.contains(" Runtime native: not available: "), "{info}");
    assert_eq!(stdout(&sb.run_line("docker info --format '{{.DefaultRuntime}}'", &[])), "emulated\n");
    let out = sb.run_line("docker run --rm --runtime emulated alpine:3.20 echo emulated", &[]);
    assert_eq!(stdout(&out), "emulated\n", "{}", text(&out));
    let out = sb.run_line("docker run --rm --runtime crun alpine:3.20 true", &[]);
    assert_eq!(out.status, 125);
    assert!(text(&out).contains("docker: Error response from daemon: unknown or invalid runtime name: crun."), "{}", text(&out));
    // The native backend answers, with why it cannot run here, and the container stays
    // created as Docker leaves one whose start failed.
    let out = sb.run_line("docker run --name nat --runtime native alpine:3.20 true", &[]);
    assert_eq!(out.status, 125, "{}", text(&out));
    assert!(text(&out).contains("the native runtime is not available"), "{}", text(&out));
    assert_eq!(stdout(&sb.run_line("docker ps -a --filter name=nat --format '{{.Status}}'", &[])), "Created\n");
    let out = sb.run_line("docker run --name emu alpine:3.20 true && docker inspect --format '{{.HostConfig.Runtime}}' emu", &[]);
    assert_eq!(stdout(&out), "emulated\n", "{}", text(&out));
    // RUN goes through the same runtime.
    sb.write_file("Dockerfile", b"FROM alpine:3.20\nRUN echo built > /b\n").unwrap();
    let out = sb.run_line("docker build --runtime native -t nb .", &[]);
    assert_ne!(out.status, 0);
    assert!(text(&out).contains("the native runtime is not available"), "{}", text(&out));
    let out = sb.run_line("docker build --runtime emulated -q -t eb . && docker run --rm eb cat /b", &[]);
    assert!(stdout(&out).ends_with("built\n"), "{}", text(&out));
}

#[test]
fn restart_policies_start_exited_containers_again_as_docker_does() {
    use engine::sandbox::Clock;
    struct Later(std::rc::Rc<std::cell::Cell<i64>>);
    impl Clock for Later {
        fn now(&self) -> i64 {
            self.0.get()
        }
    }
    let t = std::rc::Rc::new(std::cell::Cell::new(1_700_000_000));
    let mut sb = Sandbox::new(Rc::new(Later(t.clone())));
    let run = |sb: &mut Sandbox, line: &str| {
        let out = sb.run_line(line, &[]);
        (out.status, text(&out))
    };
    // Docker's errors.
    let (status, out) = run(&mut sb, "docker run --rm --restart always alpine:3.20 true");
    assert_eq!(status, 125);
    assert!(out.contains("docker: conflicting options: cannot specify both --restart and --rm."), "{out}");
    let (status, out) = run(&mut sb, "docker run --restart sometimes alpine:3.20 true");
    assert_eq!(status, 125);
    assert!(out.contains("invalid restart policy: unknown policy 'sometimes'"), "{out}");

    // on-failure:2: two restarts after the first failure, then it stays exited.
    let (status, _) = run(&mut sb, "docker run -d --name flaky --restart on-failure:2 alpine:3.20 sh -c 'echo try; exit 3'");
    assert_eq!(status, 0);
    assert_eq!(stdout(&sb.run_line("docker ps --format '{{.Names}} {{.State}}'", &[])), "flaky restarting\n");
    t.set(t.get() + 5);
    let out = sb.run_line("docker ps -a --format '{{.Status}}'; docker logs flaky; docker inspect --format '{{.RestartCount}} {{.HostConfig.RestartPolicy.Name}} {{.HostConfig.RestartPolicy.MaximumRetryCount}} {{.State.ExitCode}}' flaky", &[]);
    assert_eq!(stdout(&out), "Exited (3) 5 seconds ago\ntry\ntry\ntry\n2 on-failure 2 3\n", "{}", text(&out));

    // A success is not a failure.
    run(&mut sb, "docker run -d --name fine --restart on-failure alpine:3.20 true");
    t.set(t.get() + 5);
    assert_eq!(stdout(&sb.run_line("docker inspect --format '{{.State.Status}} {{.RestartCount}}' fine", &[])), "exited 0\n");

    // always: restarted with a delay that doubles (0.1 s, 0.2 s, 0.4 s, …), whatever the code.
    run(&mut sb, "docker run -d --name again --restart always alpine:3.20 echo up");
    t.set(t.get() + 2);
    let out = sb.run_line("docker inspect --format '{{.RestartCount}}' again; docker logs again | wc -l", &[]);
    assert_eq!(stdout(&out), "4\n5\n", "{}", text(&out));
    // stop ends it for good; start brings the policy back.
    let (status, out) = run(&mut sb, "docker stop again");
    assert_eq!(status, 0, "{out}");
    t.set(t.get() + 60);
    assert_eq!(stdout(&sb.run_line("docker inspect --format '{{.State.Status}} {{.RestartCount}}' again", &[])), "exited 4\n");
    let (status, out) = run(&mut sb, "docker rm again");
    assert_eq!(status, 0, "{out}");

    // A restarting container is not removed without -f.
    run(&mut sb, "docker run -d --name loop --restart unless-stopped alpine:3.20 false");
    let (status, out) = run(&mut sb, "docker rm loop");
    assert_eq!(status, 1);
    assert!(out.contains("container is restarting"), "{out}");
    let (status, out) = run(&mut sb, "docker rm -f loop");
    assert_eq!(status, 0, "{out}");

    // A service that stops after a while restarts and goes on with its own time.
    run(&mut sb, "docker run -d --name svc --restart always alpine:3.20 sh -c 'echo start; sleep 30; exit 1'");
    t.set(t.get() + 70);
    let out = sb.run_line("docker logs svc | grep -c start; docker inspect --format '{{.RestartCount}} {{.State.Status}}' svc", &[]);
    assert_eq!(stdout(&out), "3\n2 running\n", "{}", text(&out));
}

/// The reported escape, end to end through the native binary: links planted in a bind
/// mount (or in a folder `cp` writes to) that point at a host file outside it.
#[cfg(unix)]
#[test]
fn containers_cannot_write_host_files_through_links_in_a_bind_mount() {
    use std::os::unix::fs::{symlink, PermissionsExt};
    let base = std::env::temp_dir().join(format!("berth-bind-escape-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let (outside, proj, root) = (base.join("outside"), base.join("proj"), base.join("root"));
    std::fs::create_dir_all(&outside).unwrap();
    let victim = outside.join("victim.txt");
    std::fs::write(&victim, b"secret").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o600)).unwrap();
    // Its reading inside the folder is itself (a loop); the host's is the victim.
    let mirror = proj.join(outside.strip_prefix("/").unwrap());
    std::fs::create_dir_all(&mirror).unwrap();
    symlink(&victim, mirror.join("victim.txt")).unwrap();
    symlink(&victim, proj.join("abs")).unwrap();
    symlink("../outside/victim.txt", proj.join("rel")).unwrap();
    let berth = |args: &[&str]| std::process::Command::new(env!("CARGO_BIN_EXE_berth")).args(args).env("BERTH_ROOT", &root).current_dir(&base).output().expect("berth runs");
    let inner = format!("/w/{}/victim.txt", outside.strip_prefix("/").unwrap().display());
    let script = format!("echo x > {inner}; echo x >> /w/abs; cp /etc/alpine-release /w/rel; chmod 777 /w/abs; touch {inner}; true");
    let volume = format!("{}:/w", proj.display());
    let out = berth(&["run", "--rm", "-v", &volume, "alpine:3.20", "sh", "-c", &script]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let out = berth(&["create", "--name", "cpsrc", "alpine:3.20", "true"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    for dest in [proj.join("abs"), proj.join("rel"), mirror.join("victim.txt")] {
        berth(&["cp", "cpsrc:/etc/alpine-release", dest.to_str().unwrap()]);
    }
    assert_eq!(std::fs::read(&victim).unwrap(), b"secret");
    assert_eq!(std::fs::metadata(&victim).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 1);
    let _ = std::fs::remove_dir_all(&base);
}

/// `${X:-${X:-…}}` 10,000 deep, as the editor lints it on every keystroke and the build
/// expands it: an error naming the place, never a stack overflow.
#[test]
fn deeply_nested_substitutions_end_in_a_diagnostic() {
    let deep = format!("FROM alpine:3.20\nENV A={}x{}\n", "${X:-".repeat(10_000), "}".repeat(10_000));
    let found = engine::dockerfile::lint::lint(&deep, &Default::default());
    let error = found.iter().find(|d| d.severity == engine::dockerfile::Severity::Error).expect("an error");
    assert!(error.message.ends_with("variable substitutions nest more than 200 levels deep"), "{}", error.message);
    assert!(error.message.len() < 200, "the message shows the word's start only");
    assert_eq!(error.span.start, deep.find("A=").unwrap());
    // The same error for a missing brace, as the build reports it.
    let found = engine::dockerfile::lint::lint("FROM alpine:3.20\nENV A=${X\n", &Default::default());
    assert!(found.iter().any(|d| d.message == "failed to process \"${X\": syntax error: missing '}'"), "{found:?}");
    let mut sb = sandbox();
    sb.write_file("deep/Dockerfile", deep.as_bytes()).unwrap();
    let out = sb.run_line("docker build deep", &[]);
    assert_eq!(out.status, 1);
    assert!(text(&out).contains("variable substitutions nest more than 200 levels deep"), "{}", &text(&out)[..300.min(text(&out).len())]);
}

/// A container's writes have a budget (`--storage-opt size=`, by default the engine's):
/// past it they fail with ENOSPC, and what was written before is kept.
#[test]
fn a_container_that_writes_past_its_budget_gets_enospc() {
    let mut sb = sandbox();
    let out = sb.run_line("docker run --name full --storage-opt size=1m alpine:3.20 sh -c 'printf %0512000d 0 > /a; printf %0512000d 0 > /b; echo status $?; printf %0512000d 0 > /c || echo refused'", &[]);
    assert!(text(&out).contains("No space left on device"), "{}", text(&out));
    assert!(stdout(&out).contains("refused"), "{}", text(&out));
    let out = sb.run_line("docker diff full", &[]);
    assert!(stdout(&out).contains("A /a"), "{}", text(&out));
    // Volumes count against the same budget.
    let out = sb.run_line("docker run --rm --storage-opt size=1m -v data:/data alpine:3.20 sh -c 'printf %02000000d 0 > /data/big || echo refused'", &[]);
    assert!(stdout(&out).contains("refused"), "{}", text(&out));
    // Python writing more than the budget gets OSError, not an aborted engine.
    if engine::wasi::python_available() {
        let out = sb.run_line("docker run --rm --storage-opt size=1m python:3.12-slim python3 -c \"open('/x','w').write('a'*2000000)\"", &[]);
        assert_eq!(out.status, 1, "{}", text(&out));
        assert!(text(&out).contains("OSError: [Errno") && text(&out).contains("No space left on device"), "{}", text(&out));
    }
    let out = sb.run_line("docker run --rm --storage-opt size=lots alpine:3.20 true", &[]);
    assert_eq!(out.status, 125);
    assert!(text(&out).contains("invalid storage option size: lots"), "{}", text(&out));
}

/// `berth` killed at arbitrary points of build, run, load, rmi, volume and compose: what
/// was complete before stays, the state stays readable, and `system prune` leaves no
/// partial file behind.
#[cfg(unix)]
#[test]
fn killing_berth_mid_command_loses_nothing_complete_and_leaves_nothing_partial() {
    use std::process::{Command, Stdio};
    let base = std::env::temp_dir().join(format!("berth-kill-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    let root = base.join("root");
    std::fs::create_dir_all(base.join("app")).unwrap();
    std::fs::write(base.join("app/Dockerfile"), "FROM alpine:3.20\nRUN echo one > /one\nCOPY data.txt /data.txt\nRUN cat /one /data.txt > /both\n").unwrap();
    std::fs::write(base.join("app/data.txt"), "data\n").unwrap();
    std::fs::write(base.join("app/compose.yaml"), "services:\n  web:\n    image: alpine:3.20\n    command: [\"sh\", \"-c\", \"echo up\"]\n    volumes:\n      - cache:/cache\nvolumes:\n  cache:\n").unwrap();
    let berth = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_berth")).args(args).env("BERTH_ROOT", &root).current_dir(base.join("app")).output().expect("berth runs");
    // What is complete before the kills, and must stay.
    for args in [&["build", "-q", "-t", "kept:1", "."][..], &["run", "--name", "kept", "alpine:3.20", "true"], &["volume", "create", "keptvol"], &["save", "-o", "../kept.tar", "kept:1"]] {
        let out = berth(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let commands: [&[&str]; 7] = [
        &["build", "--no-cache", "-q", "-t", "app:1", "."],
        &["run", "--rm", "alpine:3.20", "sh", "-c", "echo hi > /x"],
        &["load", "-i", "../kept.tar"],
        &["rmi", "app:1"],
        &["volume", "create", "v2"],
        &["compose", "up", "-d"],
        &["compose", "down", "-v"],
    ];
    // Deterministic, spread kill points: from before the command starts reading to after
    // it has written most of what it writes.
    let mut seed = 0x9e37_79b9_u64;
    for round in 0..28 {
        let args = commands[round % commands.len()];
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = std::time::Duration::from_micros(seed % 60_000);
        let mut child = Command::new(env!("CARGO_BIN_EXE_berth")).args(args).env("BERTH_ROOT", &root).current_dir(base.join("app")).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let _ = child.wait();
        for (check, expect) in [(&["images", "--format", "{{.Repository}}:{{.Tag}}"][..], "kept:1"), (&["ps", "-a", "--format", "{{.Names}}"], "kept"), (&["volume", "ls", "-q"], "keptvol")] {
            let out = berth(check);
            assert_eq!(out.status.code(), Some(0), "after killing {args:?} at {delay:?}: {check:?}: {}", String::from_utf8_lossy(&out.stderr));
            assert!(String::from_utf8_lossy(&out.stdout).lines().any(|l| l == expect), "after killing {args:?} at {delay:?}: {check:?} lost {expect}: {}", String::from_utf8_lossy(&out.stdout));
        }
        let out = berth(&["run", "--rm", "kept:1", "cat", "/both"]);
        assert_eq!(String::from_utf8_lossy(&out.stdout), "one\ndata\n", "after killing {args:?} at {delay:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    let out = berth(&["system", "prune", "-f"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let mut todo = vec![root.clone()];
    while let Some(dir) = todo.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            assert!(!e.file_name().to_string_lossy().starts_with(".tmp-"), "partial file left: {}", e.path().display());
            if e.file_type().unwrap().is_dir() {
                todo.push(e.path());
            }
        }
    }
    let _ = std::fs::remove_dir_all(&base);
}

#[test]
fn read_only_roots_and_tmpfs_mounts_hold_in_the_emulated_runtime_too() {
    let mut sb = sandbox();
    let out = sb.run_line("docker run --rm --read-only alpine:3.20 sh -c 'touch /x; echo status $?'", &[]);
    assert!(text(&out).contains("Read-only file system"), "{}", text(&out));
    assert!(stdout(&out).ends_with("status 1\n"), "{}", text(&out));
    // A tmpfs is writable under a read-only root, and its files are gone with the run.
    let out = sb.run_line("docker run --name scratch --read-only --tmpfs /scratch alpine:3.20 sh -c 'echo kept > /scratch/f && cat /scratch/f'", &[]);
    assert_eq!(stdout(&out), "kept\n", "{}", text(&out));
    assert!(!stdout(&sb.run_line("docker diff scratch", &[])).contains("/scratch/f"), "not in the writable layer");
    let out = sb.run_line("docker run --rm --mount type=tmpfs,destination=/t alpine:3.20 sh -c 'echo x > /t/y && ls /t'", &[]);
    assert_eq!(stdout(&out), "y\n", "{}", text(&out));
    let out = sb.run_line("docker run --rm --tmpfs /ro:ro alpine:3.20 sh -c 'touch /ro/z 2>&1 | grep -c Read-only'", &[]);
    assert_eq!(stdout(&out), "1\n", "{}", text(&out));
}
