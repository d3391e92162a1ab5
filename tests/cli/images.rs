//! Image commands end to end: pull from the catalog, list, tag, remove, save and load.

use crate::{session, sessions, MemoryHost};

#[test]
fn pull_list_tag_and_remove() {
    insta::assert_snapshot!(sessions(
        "",
        &[
            "berth pull python:3.11-slim",
            "berth pull python:3.11-slim",
            "berth pull debian:bookworm-slim",
            "berth pull alpine",
            "berth tag alpine:latest my-alpine:v1",
            "berth images",
            "berth rmi alpine",
            "berth rmi my-alpine:v1",
            "berth images -q",
        ]
    ));
}

#[test]
fn pull_errors_use_dockers_words() {
    insta::assert_snapshot!(sessions("", &["berth pull pyhton:3.11", "berth pull python:3.99", "berth pull Python", "berth pull ghcr.io/org/app:1", "berth pull"]));
}

#[test]
fn rmi_and_tag_of_missing_images() {
    insta::assert_snapshot!(sessions("", &["berth rmi nope", "berth tag nope:1 other:2", "berth images"]));
}

#[test]
fn save_and_load_round_trip() {
    insta::assert_snapshot!(sessions(
        "",
        &["berth pull hello-world", "berth save -o hello.tar hello-world", "berth rmi hello-world", "berth load -i hello.tar", "berth images", "berth save hello-world"]
    ));
}

#[test]
fn load_rejects_what_is_not_an_archive() {
    insta::assert_snapshot!(session("//- notes.txt\nnot a tar\n", "berth load -i notes.txt"));
}

#[test]
fn native_state_persists_under_berth_root() {
    let root = std::env::temp_dir().join(format!("berth-root-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let berth = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_berth")).args(args).env("BERTH_ROOT", &root).output().expect("berth runs")
    };
    let pulled = berth(&["pull", "alpine:3.20"]);
    assert_eq!(pulled.status.code(), Some(0), "{}", String::from_utf8_lossy(&pulled.stderr));
    let listed = String::from_utf8(berth(&["images"]).stdout).unwrap();
    let row: Vec<&str> = listed.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!((row[0], row[1]), ("alpine", "3.20"), "{listed}");
    assert!(listed.contains("7.8MB"));
    assert!(root.join("oci-layout").exists() && root.join("index.json").exists() && root.join("berth/images.json").exists());
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn concurrent_commands_do_not_lose_each_others_writes() {
    let root = std::env::temp_dir().join(format!("berth-lock-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let berth = |args: &[&str]| std::process::Command::new(env!("CARGO_BIN_EXE_berth")).args(args).env("BERTH_ROOT", &root).output().expect("berth runs");
    assert_eq!(berth(&["pull", "alpine:3.20"]).status.code(), Some(0));
    let children: Vec<_> = (0..12)
        .map(|i| std::process::Command::new(env!("CARGO_BIN_EXE_berth")).args(["tag", "alpine:3.20", &format!("copy:{i}")]).env("BERTH_ROOT", &root).spawn().expect("berth runs"))
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let listed = String::from_utf8(berth(&["images", "copy"]).stdout).unwrap();
    assert_eq!(listed.lines().count(), 13, "every tag survives:\n{listed}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn image_prune_removes_dangling_images_no_container_uses() {
    insta::assert_snapshot!(sessions(
        "//- Dockerfile\nFROM alpine:3.20\nRUN echo one > /f\n//- v2/Dockerfile\nFROM alpine:3.20\nRUN echo two > /f\n",
        &["berth build -q -t app .", "berth build -q -t app v2", "berth images", "berth image prune -f", "berth images", "berth image prune -a -f", "berth images"]
    ));
}

/// Runs the native `berth` in `dir` with state under `dir/state`, feeding `input` on stdin.
fn native_with_stdin(dir: &std::path::Path, args: &[&str], input: &[u8]) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_berth"))
        .args(args)
        .current_dir(dir)
        .env("BERTH_ROOT", dir.join("state"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("berth runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn scratch_dir(name: &str) -> std::path::PathBuf {
    let root = std::env::temp_dir().join(format!("berth-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    root
}

#[test]
fn native_build_reads_the_dockerfile_from_stdin() {
    let root = scratch_dir("stdin");
    let build = ["build", "-q", "-t", "from-stdin", "-f", "-", "."];
    let out = native_with_stdin(&root, &build, b"FROM alpine:3.20\nRUN echo built > /marker\nRUNN oops\n");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("dockerfile parse error on line 3: unknown instruction: RUNN"), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(native_with_stdin(&root, &build, b"FROM alpine:3.20\nRUN echo built > /marker\n").status.success());
    let run = native_with_stdin(&root, &["run", "--rm", "from-stdin", "cat", "/marker"], b"");
    assert_eq!(String::from_utf8_lossy(&run.stdout), "built\n");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn native_run_dash_i_feeds_stdin_to_the_container() {
    let root = scratch_dir("stdin-run");
    let run = |args: &[&str], input: &[u8]| String::from_utf8(native_with_stdin(&root, args, input).stdout).unwrap();
    assert_eq!(run(&["run", "--rm", "-i", "alpine:3.20", "sh"], b"x=21; echo $((x * 2))\n"), "42\n");
    // Without -i the container's stdin is empty, as in Docker.
    assert_eq!(run(&["run", "--rm", "alpine:3.20", "cat"], b"ignored\n"), "");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn push_login_and_pull_through_the_engines_registry() {
    insta::assert_snapshot!(sessions(
        "//- app/Dockerfile\nFROM alpine:3.20\nRUN echo v1 > /version\nCMD [\"cat\", \"/version\"]\n",
        &[
            "berth build -q -t app:1 app",
            "berth push app:1",
            "berth tag app:1 ana/app:1",
            "berth push ana/app:1",
            "berth login -u ana -p secret",
            "berth push ana/app:1",
            "berth push ana/app:1",
            "berth tag app:1 localhost:5000/app",
            "berth push localhost:5000/app",
            "berth rmi app:1 ana/app:1 localhost:5000/app",
            "berth images --format \"{{.Repository}}:{{.Tag}}\"",
            "berth run --rm ana/app:1",
            "berth pull localhost:5000/app",
            "berth pull ana/app:2",
            "berth pull localhost:5000/nope",
            "berth push ghcr.io/ana/app:1",
            "berth login",
            "berth logout",
            "berth logout",
        ]
    ));
}

#[test]
fn images_and_inspect_say_which_images_are_modelled() {
    let host = crate::MemoryHost::new("//- c/Dockerfile\nFROM scratch\nCOPY Dockerfile /\n");
    let run = |line: &str| {
        let args: Vec<String> = crate::split_words(line).into_iter().skip(1).collect();
        let o = engine::cli::run(&args, &host);
        assert_eq!(o.code, 0, "{line}: {}", o.stderr_text());
        o.stdout_text().to_string()
    };
    run("berth pull alpine:3.20");
    run("berth build -q -t own c");
    assert_eq!(run("berth images --format \"{{.Repository}} {{.Modelled}}\""), "own false\nalpine true\n");
    assert_eq!(run("berth image inspect --format \"{{.Modelled}}\" alpine:3.20"), "true\n");
    assert_eq!(run("berth image inspect --format \"{{.Modelled}}\" own"), "false\n");
}

/// `images` from its table: dockerd's image filters (`dangling`, `label`, `reference`
/// patterns, `before`, `since`, `until`), `--digests`, `--tree`, and refusals.
#[test]
fn images_filter_and_show_digests_and_trees_as_docker_does() {
    let host = MemoryHost::new("//- app/Dockerfile\nFROM alpine:3.20\nLABEL tier=web\n//- plain/Dockerfile\nFROM alpine:3.20\nRUN echo hi > /hi\n");
    let run = |line: &str| crate::run_line(&host, line);
    let shown = |flags: &str| {
        let (code, out, err) = run(&format!("berth images --format {{{{.Repository}}}}:{{{{.Tag}}}} {flags}"));
        assert_eq!((code, err.as_str()), (0, ""), "{flags}");
        out.lines().collect::<Vec<_>>().join(" ")
    };
    assert_eq!(run("berth pull -q alpine:3.20").0, 0);
    host.advance(10);
    assert_eq!(run("berth build -q -t web:1 app").0, 0);
    host.advance(10);
    assert_eq!(run("berth build -q -t plain:1 plain").0, 0);
    assert_eq!(run("berth tag plain:1 plain:2").0, 0);
    assert_eq!(shown("-f label=tier=web"), "web:1");
    assert_eq!(shown("-f label=tier=db"), "");
    assert_eq!(shown("-f reference=plain"), "plain:1 plain:2");
    assert_eq!(shown("-f reference=plain:2"), "plain:2", "only the tags that match are shown");
    assert_eq!(shown("-f reference=*:1"), "plain:1 web:1");
    assert_eq!(shown("plain"), "plain:1 plain:2", "the positional is a reference filter");
    assert_eq!(shown("-f since=alpine:3.20 -f dangling=false"), "plain:1 plain:2 web:1");
    assert_eq!(shown("-f before=web:1"), "alpine:3.20");
    assert_eq!(shown("-f dangling=true"), "");
    // Rebuilding plain:1 and plain:2 elsewhere leaves the old image untagged.
    assert_eq!(run("berth rmi plain:2").0, 0);
    host.advance(10);
    assert_eq!(run("berth build -q -t plain:1 app").0, 0);
    assert_eq!(shown("-f dangling=true"), "<none>:<none>");
    // Every step of it is cached (its LABEL too), so the new plain:1 is web:1's image,
    // made 20 seconds ago: both tags are older than 15 seconds.
    assert_eq!(shown("-f until=15s"), "plain:1 web:1 alpine:3.20");

    let (code, out, _) = run("berth images --digests alpine");
    assert_eq!(code, 0);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0].split_whitespace().collect::<Vec<_>>(), ["REPOSITORY", "TAG", "DIGEST", "IMAGE", "ID", "CREATED", "SIZE"]);
    assert!(lines[1].split_whitespace().nth(2).is_some_and(|d| d.starts_with("sha256:")), "{out}");
    let (code, tree, _) = run("berth images --tree");
    assert_eq!(code, 0);
    let lines: Vec<&str> = tree.lines().collect();
    assert!(lines[0].starts_with("IMAGE") && lines[0].ends_with("EXTRA"), "{tree}");
    assert!(lines.iter().any(|l| l.starts_with("alpine:3.20 ")) && lines.iter().any(|l| l.starts_with("└─ linux/amd64 ")), "{tree}");
    assert!(!tree.contains("<none>"), "untagged images stay out of the tree");

    for (filter, said) in [("bogus=1", "invalid filter 'bogus'"), ("dangling=maybe", "invalid filter 'dangling=maybe'"), ("before=nothing:1", "No such image: nothing:1"), ("until=soon", "failed to parse value as time or duration: \"soon\"")] {
        assert_eq!(run(&format!("berth images -f {filter}")), (1, String::new(), format!("Error response from daemon: {said}\n")), "{filter}");
    }
    assert_eq!(run("berth images --forse"), (125, String::new(), "unknown flag: --forse\nSee 'berth images --help'.\n".into()));
    let (code, _, err) = run("berth images a b");
    assert_eq!((code, err.lines().next()), (1, Some("\"berth images\" requires at most 1 argument.")));
    let (code, help, _) = run("berth images --help");
    assert_eq!(code, 0);
    assert!(help.starts_with("\nUsage:  berth images [OPTIONS] [REPOSITORY[:TAG]]\n\nList images\n\nAliases:\n  berth image ls, berth image list, berth images\n"), "{help}");
}
