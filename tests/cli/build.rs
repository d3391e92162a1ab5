//! `berth build` end to end: stages, RUN in the emulated userland, COPY from the context
//! and from stages, the cache, and Docker's errors.

use crate::sessions;

const APP: &str = "//- app/Dockerfile
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN echo installing $(cat requirements.txt) && mkdir -p /opt/venv && echo ok > /opt/venv/marker
COPY . .
CMD [\"python\", \"app.py\"]
//- app/requirements.txt
flask==3.0.3
//- app/app.py
print('hello')
//- app/.dockerignore
*.log
//- app/debug.log
noise
";

#[test]
fn build_then_rebuild_uses_the_cache() {
    insta::assert_snapshot!(sessions(APP, &["berth build -t web:1 app", "berth build -t web:1 app", "berth images"]));
}

#[test]
fn a_failing_run_fails_the_build_like_docker() {
    insta::assert_snapshot!(sessions(
        "//- Dockerfile\nFROM debian:bookworm-slim\nRUN echo start\nRUN pyhton --version\n",
        &["berth build -t broken ."]
    ));
}

#[test]
fn multi_stage_with_target_and_copy_from() {
    insta::assert_snapshot!(sessions(
        "//- Dockerfile\nFROM alpine:3.20 AS dev\nRUN mkdir -p /opt/venv && echo packages > /opt/venv/list\n\nFROM dev AS share\nCOPY --from=dev /opt/venv /opt/venv\nRUN cat /opt/venv/list\n\nFROM alpine:3.20 AS unused\nRUN false\n",
        &["berth build --target share -t app:share .", "berth build --target dev -t app:dev ."]
    ));
}

#[test]
fn missing_files_and_dockerfiles() {
    insta::assert_snapshot!(sessions(
        "//- Dockerfile\nFROM alpine:3.20\nCOPY missing.txt /\n",
        &["berth build .", "berth build -f trainer.dockerfile .", "berth build --target nope ."]
    ));
}

#[test]
fn history_shows_each_step_and_its_layer_size() {
    insta::assert_snapshot!(sessions(
        APP,
        &["berth build -q -t web:1 app", "berth history web:1", "berth history -q web:1", "berth image history --no-trunc alpine:3.20", "berth history", "berth history nope", "berth history --format \"{{.ID}} {{.Size}} {{.CreatedBy}}\" web:1", "berth history --format \"table {{.ID}}\\t{{.Size}}\" web:1", "berth image inspect --format \"{{.Config.Cmd}} {{.Config.WorkingDir}}\" web:1"]
    ));
}

#[test]
fn onbuild_triggers_run_in_the_child_only() {
    insta::assert_snapshot!(sessions(
        "//- base/Dockerfile\nFROM alpine:3.20\nONBUILD RUN echo triggered > /marker\nONBUILD COPY app.txt /app/\n//- child/Dockerfile\nFROM base:1\nRUN cat /marker /app/app.txt\n//- child/app.txt\nchild app\n//- grandchild/Dockerfile\nFROM child:1\nRUN ls /app\n",
        &[
            "berth build -q -t base:1 base",
            "berth build --progress=plain -t child:1 child",
            "berth build --progress=plain -t grandchild:1 grandchild",
            "berth inspect --format \"{{json .Config.OnBuild}}\" base:1 child:1",
        ]
    ));
}

#[test]
fn progress_tty_shows_buildkits_summary_view() {
    insta::assert_snapshot!(sessions(
        "//- app/Dockerfile\nFROM alpine:3.20\nWORKDIR /app\nCOPY . .\nRUN echo built > /built\n//- bad/Dockerfile\nFROM alpine:3.20\nRUN nosuchcommand\n",
        &["berth build --progress=tty -t app app", "berth build --progress tty -t app app", "berth build --progress=tty bad", "berth build --progress=fancy app", "berth build --progress=quiet -t app app"]
    ));
}

#[test]
fn run_history_records_the_stages_args_as_buildkit_does() {
    insta::assert_snapshot!(sessions(
        "//- app/Dockerfile\nFROM alpine:3.20\nARG TOKEN\nARG MODE=fast\nENV MODE=slow\nRUN echo using the token\n",
        &["berth build -q --build-arg TOKEN=s3cret -t app app", "berth history --no-trunc --format \"{{.CreatedBy}}\" app"]
    ));
}

#[test]
fn run_mounts_stay_out_of_the_layer_and_caches_last_between_builds() {
    let host = crate::MemoryHost::new(
        "//- m/Dockerfile
FROM alpine:3.20
RUN --mount=type=cache,target=/cache sh -c 'echo x >> /cache/log; wc -l < /cache/log > /count'
RUN --mount=type=bind,source=data,target=/mnt sh -c 'cat /mnt/a.txt > /copied; echo scribble > /mnt/new'
RUN --mount=type=tmpfs,target=/scratch sh -c 'echo big > /scratch/f && cat /scratch/f > /tmpfs-seen'
RUN --mount=type=secret,id=token sh -c 'cat /run/secrets/token > /secret-length-source; wc -c < /run/secrets/token > /secret-length; rm /secret-length-source'
//- m/data/a.txt
from the context
//- m/tok.txt
s3cr3t
",
    );
    let run = |line: &str| {
        let args: Vec<String> = crate::split_words(line).into_iter().skip(1).collect();
        let o = engine::cli::run(&args, &host);
        (o.code, o.stdout_text().to_string(), o.stderr_text().to_string())
    };
    let (code, _, err) = run("berth build -q --secret id=token,src=m/tok.txt -t mounted m");
    assert_eq!(code, 0, "{err}");
    let sh = |script: &str| run(&format!("berth run --rm mounted sh -c \"{script}\""));
    assert_eq!(sh("cat /count").1.trim(), "1");
    assert_eq!(sh("cat /copied").1, "from the context\n");
    assert_eq!(sh("cat /tmpfs-seen").1, "big\n");
    assert_eq!(sh("cat /secret-length").1.trim(), "7");
    // Nothing written under a mount is in the image; the mount points stay, empty.
    assert_eq!(sh("ls -A /cache /mnt /scratch").1, "/cache:\n\n/mnt:\n\n/scratch:\n");
    let (code, _, err) = sh("cat /run/secrets/token");
    assert_ne!(code, 0, "the secret is not in the image: {err}");
    // The cache is there for the next build that runs the step.
    let (code, _, err) = run("berth build -q --no-cache --secret id=token,src=m/tok.txt -t mounted m");
    assert_eq!(code, 0, "{err}");
    assert_eq!(sh("cat /count").1.trim(), "2");
    // The result as files, as a tar, and its ID in a file.
    let (code, _, err) = run("berth build -q -o type=local,dest=exported --iidfile id.txt --secret id=token,src=m/tok.txt m");
    assert_eq!(code, 0, "{err}");
    assert_eq!(host.file("/exported/copied").as_deref(), Some(&b"from the context\n"[..]));
    assert!(host.file("/exported/etc/alpine-release").is_some());
    let id = String::from_utf8(host.file("/id.txt").unwrap()).unwrap();
    assert!(id.starts_with("sha256:") && id.len() == 71, "{id}");
    let (code, _, err) = run("berth build -q -o type=tar,dest=out.tar --secret id=token,src=m/tok.txt m");
    assert_eq!(code, 0, "{err}");
    let tar = host.file("/out.tar").unwrap();
    let names: Vec<String> = tar::Archive::new(&tar[..]).entries().unwrap().map(|e| e.unwrap().path().unwrap().display().to_string()).collect();
    assert!(names.iter().any(|n| n.trim_start_matches("./") == "copied"), "{names:?}");
    let (code, _, err) = run("berth build -q -o type=registry m");
    assert_eq!((code, err.as_str()), (1, "ERROR: failed to parse output \"type=registry\": dest is required\n"));
    // A secret the step requires and the build lacks.
    let host2 = crate::MemoryHost::new("//- Dockerfile\nFROM alpine:3.20\nRUN --mount=type=secret,id=key,required=true cat /run/secrets/key\n");
    let o = engine::cli::run(&["build".into(), "-q".into(), ".".into()], &host2);
    assert_eq!(o.code, 1);
    assert!(o.stderr_text().contains("secret key: not found"), "{}", o.stderr_text());
}

/// `build` from its table (buildx's options): clusters and `--flag=value`, options
/// Berth leaves alone named in a warning, ones it cannot do refused, Docker's errors.
#[test]
fn build_reads_buildx_options_from_its_table() {
    let host = crate::MemoryHost::new("//- app/Dockerfile\nFROM alpine:3.20\nLABEL a=b\n");
    let run = |line: &str| crate::run_line(&host, line);
    let (code, id, warnings) = run("berth build -qt web:1 --platform linux/amd64 --cache-from type=local,src=/c --load app");
    assert_eq!(code, 0, "{warnings}");
    assert!(id.starts_with("sha256:"), "{id}");
    assert_eq!(warnings, "WARNING: --platform=linux/amd64 is not applied: Berth builds for the platform of its base images\nWARNING: --cache-from=type=local,src=/c is not applied: Berth's build cache is local only\n");
    assert_eq!(run("berth images -q web:1").0, 0);
    assert_eq!(run("berth build --push -t web:1 app").2, "ERROR: Berth does not push from a build: build with -t NAME, then docker push NAME\n");
    assert_eq!(run("berth build --builder other app").2, "ERROR: no builder \"other\" found\n");
    assert_eq!(run("berth build --forse app"), (125, String::new(), "unknown flag: --forse\nSee 'berth build --help'.\n".into()));
    assert_eq!(run("berth build --shm-size lots app"), (125, String::new(), "invalid argument \"lots\" for \"--shm-size\" flag: invalid size: 'lots'\nSee 'berth build --help'.\n".into()));
    let (code, help, _) = run("berth build --help");
    assert_eq!(code, 0);
    assert!(help.starts_with("\nUsage:  berth build [OPTIONS] PATH | URL | -\n\nBuild an image from a Dockerfile\n"), "{help}");
    assert!(help.contains("  -t, --tag stringArray ") && !help.contains("--squash"), "{help}");
}

/// A rebuild that is all cache hits gives the image the first build gave, whenever it
/// runs (the image is dated by its last step), so the first is not left untagged.
#[test]
fn a_fully_cached_rebuild_gives_the_same_image() {
    let host = crate::MemoryHost::new("//- app/Dockerfile\nFROM alpine:3.20\nCOPY Dockerfile /x\n//- meta/Dockerfile\nFROM alpine:3.20\nARG V=1\nCOPY Dockerfile /x\nENV VERSION=$V\nLABEL team=ml\nCMD [\"env\"]\n");
    let first = crate::run_line(&host, "berth build -q -t app:1 app");
    assert_eq!(first.0, 0, "{}", first.2);
    host.advance(5);
    let again = crate::run_line(&host, "berth build -q -t app:1 app");
    assert_eq!(again.1, first.1, "same image ID");
    assert_eq!(crate::run_line(&host, "berth images -q -f dangling=true").1, "");
    // Metadata steps last (ENV, LABEL, CMD) are cached too.
    let first = crate::run_line(&host, "berth build -q -t meta:1 meta");
    host.advance(5);
    assert_eq!(crate::run_line(&host, "berth build -q -t meta:1 meta").1, first.1, "a build ending in metadata steps, all cached, gives the same image");
    // A changed build argument is a new step, not the cached config.
    let other = crate::run_line(&host, "berth build -q --build-arg V=2 -t meta:2 meta");
    assert_ne!(other.1, first.1);
    assert_eq!(crate::run_line(&host, "berth run --rm meta:2 sh -c 'echo $VERSION'").1, "2\n");
    assert_eq!(crate::run_line(&host, "berth run --rm meta:1 sh -c 'echo $VERSION'").1, "1\n");
}
