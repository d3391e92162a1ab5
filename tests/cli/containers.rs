//! Containers end to end: `run` (pull on demand, ENTRYPOINT/CMD, env, workdir, user,
//! volumes, bind mounts), `ps`, `logs`, `inspect`, `cp`, `start`, `rm`, and Docker's errors.

use crate::{sessions, sessions_on, MemoryHost};
use engine::cli::Clock;

#[test]
fn run_pulls_on_demand_and_prints_output() {
    insta::assert_snapshot!(sessions("", &["berth run --rm alpine:3.20 echo hello from a container", "berth ps -a"]));
}

#[test]
fn container_lifecycle() {
    insta::assert_snapshot!(sessions(
        "",
        &[
            "berth pull alpine:3.20",
            "berth run --name job -e GREETING=hi -w /work alpine:3.20 sh -c 'echo $GREETING from $(pwd); echo oops >&2; exit 3'",
            "berth ps -a",
            "berth ps -a --filter status=exited -q",
            "berth logs job",
            "berth inspect --format '{{.State.Status}} {{.State.ExitCode}}' job",
            "berth start -a job",
            "berth rm job",
            "berth rm job",
            "berth ps -a",
        ]
    ));
}

#[test]
fn run_errors_use_dockers_words() {
    insta::assert_snapshot!(sessions(
        "",
        &[
            "berth pull alpine:3.20",
            "berth run --rm alpine:3.20 pyhton train.py",
            "berth run --rm --gpus all alpine:3.20 nvidia-smi",
            "berth run --rm nosuchimage:1",
            "berth run",
        ]
    ));
}

#[test]
fn volumes_bind_mounts_and_cp() {
    let host = MemoryHost::new("//- project/train.py\nprint('train')\n");
    let out = sessions_on(
        &host,
        &[
            "berth pull alpine:3.20",
            "berth run --rm -v models:/models alpine:3.20 sh -c 'echo weights > /models/model.txt'",
            "berth run --rm -v models:/models alpine:3.20 cat /models/model.txt",
            "berth run --rm -v /project:/app -w /app alpine:3.20 sh -c 'ls; echo result > out.txt'",
            "berth run --name maker alpine:3.20 sh -c 'mkdir -p /out && echo artefact > /out/a.txt'",
            "berth cp maker:/out/a.txt project/",
            "berth cp project/train.py maker:/out/",
            "berth start -a maker",
        ],
    );
    assert_eq!(host.file("project/out.txt").as_deref(), Some(&b"result\n"[..]));
    assert_eq!(host.file("project/a.txt").as_deref(), Some(&b"artefact\n"[..]));
    insta::assert_snapshot!(out);
}

#[test]
fn built_images_run_with_their_entrypoint_and_cmd() {
    insta::assert_snapshot!(sessions(
        "//- Dockerfile\nFROM alpine:3.20\nWORKDIR /app\nCOPY greet.sh .\nRUN chmod +x greet.sh\nENTRYPOINT [\"./greet.sh\"]\nCMD [\"world\"]\n//- greet.sh\n#!/bin/sh\necho \"hello $1 from $(pwd)\"\n",
        &["berth build -q -t greet .", "berth run --rm greet", "berth run --rm greet class", "berth run --rm --entrypoint cat greet greet.sh"]
    ));
}

#[test]
fn detach_stop_wait_restart_rename_and_prune() {
    insta::assert_snapshot!(sessions(
        "",
        &[
            "berth run -d --name job alpine:3.20 sh -c \"echo working; exit 3\"",
            "berth logs job",
            "berth wait job",
            "berth stop job",
            "berth kill job",
            "berth exec job ls",
            "berth top job",
            "berth restart job",
            "berth logs job",
            "berth rename job job2",
            "berth ps -a --format \"{{.Names}} {{.Status}}\"",
            "berth ps -a --format \"table {{.ID}}\\t{{.Names}}\\t{{.State}}\"",
            "berth images --format \"{{.Repository}}:{{.Tag}} {{.Size}}\"",
            "berth run --name other alpine:3.20 true",
            "berth rename job2 other",
            "berth container prune -f",
            "berth ps -a -q",
            "berth stop nope",
        ]
    ));
}

#[test]
fn volume_commands() {
    insta::assert_snapshot!(sessions(
        "",
        &[
            "berth volume create data",
            "berth run --name writer -v data:/data alpine:3.20 sh -c \"echo kept > /data/f\"",
            "berth run --rm -v /gone alpine:3.20 true",
            "berth run --name anon -v /scratch alpine:3.20 true",
            "berth volume ls",
            "berth rm anon",
            "berth run --rm -v data:/data alpine:3.20 cat /data/f",
            "berth volume rm data",
            "berth volume inspect data nope",
            "berth volume prune -f",
            "berth rm writer",
            "berth volume rm data",
            "berth volume ls -q",
            "berth system df",
        ]
    ));
}

#[test]
fn create_diff_and_commit() {
    insta::assert_snapshot!(sessions(
        "",
        &[
            "berth create --name box alpine:3.20 sh -c \"echo hi > /tmp/note; rm /etc/shells; echo more >> /etc/hostname; cat /tmp/note\"",
            "berth ps -a --format \"{{.Names}} {{.State}}\"",
            "berth start -a box",
            "berth diff box",
            "berth commit -m \"adds a note\" box notes:1",
            "berth run --rm notes:1 cat /tmp/note",
            "berth run --rm notes:1 cat /etc/shells",
            "berth history notes:1",
            "berth diff nope",
        ]
    ));
}

#[test]
fn alpine_commands_speak_busybox() {
    insta::assert_snapshot!(sessions(
        "",
        &[
            "berth run --rm alpine:3.20 sh -c \"cat /nope; ls /nope; rm /nope; mkdir /etc; head /nope\"",
            "berth run --rm debian:bookworm-slim sh -c \"cat /nope; ls /nope; rm /nope; mkdir /etc; head /nope\"",
        ]
    ));
}

#[test]
fn mount_network_memory_and_cpus_options() {
    insta::assert_snapshot!(sessions(
        "//- project/data.txt\nhello\n",
        &[
            "berth run --rm --mount type=bind,source=project,target=/src,readonly alpine:3.20 cat /src/data.txt",
            "berth run --rm --mount type=bind,src=project,dst=/src,ro alpine:3.20 touch /src/x",
            "berth run --rm --mount type=volume,source=cache,target=/cache alpine:3.20 sh -c 'echo kept > /cache/f'",
            "berth run --rm --mount source=cache,target=/c alpine:3.20 cat /c/f",
            "berth run --rm --mount type=bind,source=project alpine:3.20 true",
            "berth run --rm --mount type=nfs,target=/x alpine:3.20 true",
            "berth run --name limited --network none --memory 512m --cpus 1.5 --ipc host alpine:3.20 true",
            "berth inspect --format \"{{.HostConfig.NetworkMode}} {{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{.HostConfig.IpcMode}}\" limited",
            "berth run --rm --memory 1k alpine:3.20 true",
            "berth run --rm --cpus lots alpine:3.20 true",
        ]
    ));
}

#[test]
fn compose_up_ps_logs_and_down() {
    insta::assert_snapshot!(sessions(
        "//- app/compose.yaml\nversion: \"3.9\"\nservices:\n  web:\n    build: .\n    ports:\n      - \"5000:5000\"\n    environment:\n      GREETING: hello\n    volumes:\n      - ./images:/app/images\n      - cache:/cache\n    depends_on:\n      - worker\n  worker:\n    image: \"alpine:3.20\"\n    command: [\"sh\", \"-c\", \"echo working; ls /\"]\nvolumes:\n  cache:\n//- app/Dockerfile\nFROM alpine:3.20\nWORKDIR /app\nCMD [\"sh\", \"-c\", \"echo $GREETING from web; ls /app/images; echo kept > /cache/f\"]\n//- app/images/cat.png\npng\n",
        &[
            "berth compose -f app/compose.yaml up",
            "berth compose -f app/compose.yaml ps -a",
            "berth compose -f app/compose.yaml logs",
            "berth volume ls",
            "berth compose -f app/compose.yaml down -v",
            "berth ps -a",
            "berth compose -f nope.yaml up",
            "berth compose up",
        ]
    ));
}

#[test]
fn mangled_compose_files_and_lesson_manifests_never_panic() {
    let compose = "services:\n  web:\n    build: .\n    ports:\n      - \"5000:5000\"\n    environment:\n      A: 'x # y'\n    command: [\"sh\", \"-c\", \"echo hi\"]\n    depends_on: [db]\n  db:\n    image: redis:alpine\nvolumes:\n  data:\n";
    let manifest = r#"{"title": "T", "details": {"steps": [{"title": "S", "checks": [{"file": "a", "contains": "b"}], "solution": {"commands": ["echo b > a"]}}]}}"#;
    // Unmangled, both are read.
    assert!(crate::session(&format!("//- compose.yaml\n{compose}"), "berth compose config").contains("image: redis:alpine"));
    assert!(crate::session(&format!("//- l/index.json\n{manifest}"), "berth lesson check l").contains("1 lesson(s), 1 step(s)"));
    let mut runs = 0;
    for (name, text, command) in [("compose.yaml", compose, "berth compose config"), ("l/index.json", manifest, "berth lesson check l")] {
        let chars: Vec<char> = text.chars().collect();
        for i in 0..chars.len() {
            for edit in 0..4 {
                let mut c = chars.clone();
                match edit {
                    0 => c.truncate(i),
                    1 => {
                        c.remove(i);
                    }
                    2 => c.insert(i, ':'),
                    _ => c.insert(i, if i % 2 == 0 { '"' } else { '\n' }),
                }
                let mangled: String = c.into_iter().collect();
                // A panic fails the test; an error is fine.
                let _ = crate::session(&format!("//- {name}\n{mangled}"), command);
                runs += 1;
            }
        }
    }
    assert!(runs > 1000, "{runs}");
}

/// `-v ./config.yml:/app/config.yml`: one host file at a path in the container, both ways,
/// and read-only when asked. A `-v` source that is missing is made as a directory, as
/// dockerd makes it (the well-known surprise of a config file that was not there);
/// `--mount type=bind` refuses it.
#[test]
fn a_single_file_binds_into_the_container() {
    let host = crate::MemoryHost::new("//- project/config.yml\nname: demo\n");
    insta::assert_snapshot!(crate::sessions_on(
        &host,
        &[
            "berth run --rm -v /project/config.yml:/app/config.yml alpine:3.20 sh -c 'cat /app/config.yml; echo port: 80 >> /app/config.yml; ls /app'",
            "berth run --rm -v /project/config.yml:/etc/app.yml:ro alpine:3.20 sh -c 'echo x > /etc/app.yml'",
            "berth run --rm -v /project/missing.yml:/app/missing.yml alpine:3.20 sh -c 'test -d /app/missing.yml && echo a directory'",
            "berth run --rm --mount type=bind,src=/project/absent,dst=/app alpine:3.20 true",
        ]
    ));
    assert_eq!(host.file("project/config.yml").unwrap(), b"name: demo\nport: 80\n");
    assert!(crate::run_line(&host, "berth run --rm -v /project:/p alpine:3.20 ls -d /p/missing.yml").1 == "/p/missing.yml\n", "the directory -v made is on the host");
}

/// A detached service (a loop that sleeps) stays up: what it printed by now is in the
/// logs (its sleeps pass as the host's clock does), `exec` runs beside it over its files,
/// `top` shows it, `rm` refuses it until `stop` ends it.
#[test]
fn a_detached_service_stays_up_until_stopped() {
    let host = MemoryHost::new("");
    let mut out = sessions_on(&host, &["berth run -d --name ticker alpine:3.20 sh -c 'i=0; while true; do i=$((i+1)); echo tick $i; echo $i > /tmp/count; sleep 1; done'", "berth logs ticker"]);
    // A minute and a half later it has ticked as long.
    host.advance(90);
    out += &sessions_on(
        &host,
        &[
            "berth ps --format \"{{.Names}} {{.Status}}\"",
            "berth logs --tail 2 ticker",
            "berth exec ticker cat /tmp/count",
            "berth exec -w /tmp -e WHO=exec ticker sh -c 'echo hi from $WHO in $(pwd)'",
            "berth exec ticker nosuch",
            "berth top ticker",
            "berth rm ticker",
            "berth wait ticker",
            "berth stop ticker",
            "berth ps -a --format \"{{.Names}} {{.Status}}\"",
            "berth exec ticker true",
            "berth rm ticker",
        ],
    );
    insta::assert_snapshot!(out);
}

/// `date` in a container tells the time the process runs at, and sleeps move it on.
#[test]
fn date_tells_the_time_and_sleep_moves_it_on() {
    insta::assert_snapshot!(sessions("", &["berth run --rm alpine:3.20 sh -c 'date; sleep 90; date +%T'"]), @r"
    $ berth run --rm alpine:3.20 sh -c 'date; sleep 90; date +%T'
    exit: 0
    --- stdout
    Mon Nov 23 12:00:00 UTC 2026
    12:01:30
    --- stderr
    Unable to find image 'alpine:3.20' locally
    3.20: Pulling from library/alpine
    779817a6eaec: Pulling fs layer
    779817a6eaec: Verifying Checksum
    779817a6eaec: Download complete
    779817a6eaec: Pull complete
    Digest: sha256:605f5d7c4b55b85315d2244f5ee09ac10b7781b605e43a5b53d0df6f970e53d5
    Status: Downloaded newer image for alpine:3.20
    ");
}

/// `logs -f` on a running container: its process goes on from the sleep it was suspended
/// in, in real time, until Ctrl-C; nothing it did before happens twice (its ticks in a
/// bind mount), and what `exec` changed meanwhile is what it sees next.
#[test]
fn logs_follow_resumes_the_process_where_it_waits() {
    let host = MemoryHost::new("//- /work/keep\n");
    let script = "i=0; while true; do i=$((i+1)); echo tick $i; echo $i >> /out/ticks; [ -f /tmp/stop ] && exit 3; sleep 1; done";
    sessions_on(&host, &[&format!("berth run -d --name ticker -v /work:/out alpine:3.20 sh -c '{script}'")]);
    host.advance(60);
    let mut out = sessions_on(&host, &["berth logs --tail 2 ticker"]);
    host.follow_for(3);
    out += &sessions_on(&host, &["berth logs -f --tail 1 ticker", "berth ps -a --format \"{{.Names}} {{.Status}}\"", "berth logs --tail 2 ticker"]);
    host.follow_for(1);
    out += &sessions_on(&host, &["berth logs --follow -n 0 ticker", "berth exec ticker touch /tmp/stop"]);
    host.follow_for(5);
    out += &sessions_on(&host, &["berth logs -f -n 1 ticker", "berth ps -a --format \"{{.Names}} {{.Status}}\"", "berth logs -f -n 1 ticker"]);
    insta::assert_snapshot!(out.split("Status: Downloaded newer image for alpine:3.20\n").last().unwrap());
    let ticks = String::from_utf8(host.file("/work/ticks").unwrap()).unwrap();
    let expected: Vec<String> = (1..=66).map(|i| i.to_string()).collect();
    assert_eq!(ticks.lines().collect::<Vec<_>>(), expected);
}

/// `wait` and `start -a` on a running container follow it in real time until it exits;
/// `compose up -d` leaves a looping service up.
#[test]
fn wait_and_start_attach_follow_a_running_container() {
    let host = MemoryHost::new("//- app/compose.yaml\nservices:\n  beat:\n    image: alpine:3.20\n    command: [\"sh\", \"-c\", \"while true; do date +%T; sleep 30; done\"]\n");
    let mut out = sessions_on(&host, &["berth run -d --name job alpine:3.20 sh -c 'echo started; sleep 5; echo done; exit 7'", "berth create --name later alpine:3.20 sh -c 'echo one; sleep 2; echo two'"]);
    host.follow_for(10);
    out += &sessions_on(&host, &["berth wait job", "berth logs job", "berth start -a later", "berth ps -a --format \"{{.Names}} {{.Status}}\""]);
    out += &sessions_on(&host, &["berth compose -f app/compose.yaml up -d"]);
    host.advance(65);
    out += &sessions_on(&host, &["berth compose -f app/compose.yaml logs", "berth ps --format \"{{.Names}} {{.Status}}\"", "berth compose -f app/compose.yaml down"]);
    insta::assert_snapshot!(out.split("Status: Downloaded newer image for alpine:3.20\n").last().unwrap());
}

/// `docker stop` sends TERM: a trap runs once the sleep it waits in is over and the
/// container exits with the trap's status; PID 1 without a trap ignores TERM and is killed
/// after the grace period (`-t`); with `--init` TERM ends it (143).
#[test]
fn stop_sends_term_and_kills_after_the_grace_period() {
    let host = MemoryHost::new("");
    let trapped = "trap 'echo got TERM; exit 0' TERM; while true; do echo tick; sleep 3; done";
    let plain = "while true; do echo tick; sleep 3; done";
    let out = sessions_on(
        &host,
        &[
            &format!("berth run -d --name trapped alpine:3.20 sh -c \"{trapped}\""),
            &format!("berth run -d --name plain alpine:3.20 sh -c \"{plain}\""),
            &format!("berth run -d --name init --init alpine:3.20 sh -c \"{plain}\""),
            "berth run -d --name long alpine:3.20 sh -c \"trap 'exit 0' TERM; sleep 60\"",
            "berth stop trapped plain init",
            "berth stop -t 70 long",
            "berth stop --time=x long",
            "berth ps -a --format \"{{.Names}} {{.Status}}\"",
            "berth logs trapped",
            "berth inspect --format \"{{.HostConfig.Init}}\" init",
            "berth run --rm alpine:3.20 sh -c \"trap 'echo bye' NOSUCH\"",
        ],
    );
    insta::assert_snapshot!(out.split("Status: Downloaded newer image for alpine:3.20\n").last().unwrap());
}

/// A loop with tiny sleeps is brought up to the present only so far (10,000 sleeps), so
/// that looking at it stays cheap; it stays up.
#[test]
fn catching_up_stops_at_ten_thousand_sleeps() {
    let host = MemoryHost::new("");
    sessions_on(&host, &["berth run -d --name fast alpine:3.20 sh -c 'i=0; while true; do i=$((i+1)); echo $i > /tmp/n; sleep 0.01; done'"]);
    host.advance(3600);
    let out = sessions_on(&host, &["berth exec fast cat /tmp/n", "berth ps --format \"{{.Names}} {{.Status}}\""]);
    host.advance(60);
    let again = sessions_on(&host, &["berth exec fast cat /tmp/n"]);
    insta::assert_snapshot!(out + &again, @r#"
    $ berth exec fast cat /tmp/n
    exit: 0
    --- stdout
    10000
    --- stderr
    $ berth ps --format "{{.Names}} {{.Status}}"
    exit: 0
    --- stdout
    fast Up About an hour
    --- stderr
    $ berth exec fast cat /tmp/n
    exit: 0
    --- stdout
    10000
    --- stderr
    "#);
}

/// `logs -t` stamps each line with the time it was printed, in the process's own time
/// (its start and its sleeps); `--since` and `--until` take RFC 3339 times, Unix seconds
/// or durations before now.
#[test]
fn logs_carry_the_time_each_line_was_printed() {
    let host = MemoryHost::new("");
    sessions_on(&host, &["berth run -d --name beat alpine:3.20 sh -c 'while true; do date +%T; sleep 30; done'"]);
    host.advance(65);
    insta::assert_snapshot!(sessions_on(&host, &["berth logs -t beat", "berth logs --since 30s beat", "berth logs --until 2026-11-23T12:00:31Z beat", "berth logs --since 1795435230.5 -n 1 beat", "berth logs --since yesterday beat"]), @r#"
    $ berth logs -t beat
    exit: 0
    --- stdout
    2026-11-23T12:00:00.000000000Z 12:00:00
    2026-11-23T12:00:30.000000000Z 12:00:30
    2026-11-23T12:01:00.000000000Z 12:01:00
    --- stderr
    $ berth logs --since 30s beat
    exit: 0
    --- stdout
    12:01:00
    --- stderr
    $ berth logs --until 2026-11-23T12:00:31Z beat
    exit: 0
    --- stdout
    12:00:00
    12:00:30
    --- stderr
    $ berth logs --since 1795435230.5 -n 1 beat
    exit: 0
    --- stdout
    12:01:00
    --- stderr
    $ berth logs --since yesterday beat
    exit: 1
    --- stdout
    --- stderr
    invalid value for "since": failed to parse value as time or duration: "yesterday"
    "#);
}

/// `compose up` attached shows the services' output as it comes, each line prefixed, and
/// their exits; Ctrl-C stops those still running. The course's compose file (a built web
/// service and `redis:alpine`) comes up: Redis waits for connections.
#[test]
fn compose_up_follows_the_services_until_ctrl_c() {
    let host = MemoryHost::new(
        "//- app/compose.yaml\nversion: \"3.9\"\nservices:\n  web:\n    build: .\n    ports:\n      - \"5000:5000\"\n  redis:\n    image: \"redis:alpine\"\n//- app/Dockerfile\nFROM alpine:3.20\nCMD [\"sh\", \"-c\", \"echo web starts; sleep 2; echo web done\"]\n",
    );
    host.follow_for(3);
    let out = sessions_on(&host, &["berth compose -f app/compose.yaml up", "berth ps -a --format \"{{.Names}} {{.Status}}\"", "berth compose -f app/compose.yaml up -d", "berth exec app-redis-1 redis-cli ping", "berth compose -f app/compose.yaml down"]);
    let out = out.split("naming to docker.io/library/app-web:latest done\n").last().unwrap().to_string();
    insta::assert_snapshot!(out);
}

/// `attach` shows a running container's output from now on, until it exits; a stopped one
/// cannot be attached to.
#[test]
fn attach_follows_a_running_container_from_now_on() {
    let host = MemoryHost::new("");
    sessions_on(&host, &["berth run -d --name job alpine:3.20 sh -c 'echo early; sleep 3; echo late; exit 4'"]);
    host.follow_for(5);
    insta::assert_snapshot!(sessions_on(&host, &["berth attach job", "berth attach job", "berth attach"]), @r#"
    $ berth attach job
    exit: 4
    --- stdout
    [waits 3 s]
    late
    --- stderr
    $ berth attach job
    exit: 1
    --- stdout
    --- stderr
    You cannot attach to a stopped container, start it first
    $ berth attach
    exit: 1
    --- stdout
    --- stderr
    "berth attach" requires exactly 1 argument.
    See 'berth attach --help'.

    Usage:  berth attach [OPTIONS] CONTAINER

    Attach local standard input, output, and error streams to a running container
    "#);
}

/// `ps` from its table: Docker's `--help`, its flag errors, and the daemon's filters
/// (same key: any; different keys: all; `label`: every one), with dockerd's refusals.
#[test]
fn ps_filters_and_flags_behave_as_dockers() {
    let host = MemoryHost::new("//- app/Dockerfile\nFROM alpine:3.20\nLABEL tier=web owner=ml\n");
    let run = |line: &str| crate::run_line(&host, line);
    let names = |filters: &str| {
        let (code, out, err) = run(&format!("berth ps -a --format {{{{.Names}}}} {filters}"));
        assert_eq!((code, err.as_str()), (0, ""), "{filters}");
        out.lines().collect::<Vec<_>>().join(" ")
    };
    assert_eq!(run("berth build -q -t labelled app").0, 0);
    for line in [
        "berth run --name zero alpine:3.20 true",
        "berth run --name three alpine:3.20 sh -c 'exit 3'",
        "berth create --name fresh alpine:3.20 true",
        "berth run --name web-1 labelled true",
        "berth run -d --name up alpine:3.20 sleep 100",
    ] {
        assert_eq!(run(line).0, if line.contains("exit 3") { 3 } else { 0 }, "{line}");
        host.advance(1);
    }
    assert_eq!(names(""), "up web-1 fresh three zero", "newest first");
    assert_eq!(run("berth ps --format {{.Names}}").1, "up\n", "running only without -a");
    assert_eq!(names("-f status=exited"), "web-1 three zero");
    assert_eq!(names("-f status=created -f status=running"), "up fresh", "one key: any of its values");
    assert_eq!(names("-f exited=3"), "three");
    assert_eq!(names("-f exited=0 -f name=^zero$"), "zero", "different keys: all of them");
    assert_eq!(names("-f name=e"), "web-1 fresh three zero", "a pattern matches anywhere in the name");
    assert_eq!(names("-f name=^/three"), "three", "dockerd's names start with a slash");
    assert_eq!(names("-f label=tier"), "web-1");
    assert_eq!(names("-f label=tier=web -f label=owner=ml"), "web-1");
    assert_eq!(names("-f label=tier=web -f label=owner=ops"), "", "every label filter must hold");
    assert_eq!(names("-f ancestor=labelled"), "web-1");
    assert_eq!(names("-f ancestor=alpine:3.20"), "up web-1 fresh three zero", "images built on alpine count");
    assert_eq!(names("-f before=fresh"), "three zero");
    assert_eq!(names("-f since=three"), "up web-1 fresh");
    assert_eq!(names("-f health=none -f status=running"), "up");
    assert_eq!(names("-f is-task=true"), "");
    assert_eq!(run("berth ps -n 2 --format {{.Names}}").1, "up\nweb-1\n", "-n: the newest, whatever their state");
    assert_eq!(run("berth ps -l --format {{.Names}}").1, "up\n");
    assert_eq!(run("berth ps -aq --no-trunc").1.lines().next().map(str::len), Some(64));
    let (_, sized, _) = run("berth ps -s");
    assert!(sized.lines().next().unwrap().ends_with("SIZE") && sized.contains("(virtual "), "{sized}");

    for (filter, said) in [
        ("bogus=1", "invalid filter 'bogus'"),
        ("status=gone", "invalid filter 'status=gone': invalid value for state (gone): must be one of created, running, paused, restarting, removing, exited, dead"),
        ("exited=x", "invalid filter 'exited=x': strconv.Atoi: parsing \"x\": invalid syntax"),
        ("before=nobody", "No such container: nobody"),
        ("publish=1:2", "filter for 'publish' should not contain ':': 1:2"),
    ] {
        assert_eq!(run(&format!("berth ps -f {filter}")), (1, String::new(), format!("Error response from daemon: {said}\n")));
    }
    let usage = |e: &str| (125, String::new(), format!("{e}\nSee 'berth ps --help'.\n"));
    assert_eq!(run("berth ps --forse"), usage("unknown flag: --forse"));
    assert_eq!(run("berth ps -az"), usage("unknown shorthand flag: 'z' in -az"));
    assert_eq!(run("berth ps -f status"), usage("invalid argument \"status\" for \"-f, --filter\" flag: bad format of filter (expected name=value)"));
    assert_eq!(run("berth ps -n x"), usage("invalid argument \"x\" for \"-n, --last\" flag: strconv.ParseInt: parsing \"x\": invalid syntax"));
    assert_eq!(run("berth ps --format"), usage("flag needs an argument: --format"));
    let (code, _, err) = run("berth ps web");
    assert_eq!((code, err.lines().next()), (1, Some("\"berth ps\" accepts no arguments.")));
    let (code, help, _) = run("berth ps --help");
    assert_eq!(code, 0);
    assert!(help.starts_with("\nUsage:  berth ps [OPTIONS]\n\nList containers\n\nAliases:\n  berth container ls, berth container list, berth container ps, berth ps\n\nOptions:\n  -a, --all             Show all containers (default shows just running)\n"), "{help}");
    // Wrapped at 79 columns under the usage column, as docker/cli wraps off a terminal.
    assert!(help.contains("  -n, --last int        Show n last created containers (includes all\n                        states) (default -1)\n"), "{help}");
    assert!(help.contains("\n                        'json':             Print in JSON format\n"), "{help}");
}

/// `run` from its table: the getting-started tutorial's `-dp 8080:80`, clusters with a
/// value (`-ie A=1`), `--rm=false`, Docker's flag errors, and options that are applied
/// (`--label`, `--expose`, `--cidfile`, `--stop-signal`, `--stop-timeout`) or accepted
/// and recorded with the reason (`--dns`).
#[test]
fn run_reads_its_line_as_docker_does() {
    let host = MemoryHost::new("//- labels.txt\n# a comment\nteam=ml\n");
    let run = |line: &str| crate::run_line(&host, line);
    let inspect = |name: &str, format: &str| run(&format!("berth inspect --format '{format}' {name}")).1;
    assert_eq!(run("berth pull -q alpine:3.20").0, 0);
    let (code, id, _) = run("berth run -dp 8080:80 --name web alpine:3.20 sleep 100");
    assert_eq!((code, id.trim().len()), (0, 64), "the tutorial's line: detached, with the port");
    assert_eq!(inspect("web", "{{json .HostConfig.PortBindings}}"), "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]}\n");
    assert_eq!(run("berth run --rm -ie A=1 alpine:3.20 sh -c 'echo $A'").1, "1\n");
    assert_eq!(run("berth run --rm -p8081:81 -eB=2 alpine:3.20 sh -c 'echo $B'").1, "2\n");
    assert_eq!(run("berth run --rm=false --name kept alpine:3.20 true").0, 0);
    assert_eq!(inspect("kept", "{{.HostConfig.AutoRemove}}"), "false\n", "--rm=false leaves --rm off");
    assert_eq!(run("berth run --rm alpine:3.20 echo --rm -d").1, "--rm -d\n", "after the image, the command's own");

    let (code, _, _) = run("berth run -l tier=web --label-file labels.txt --expose 80 --expose 9000-9001/udp --cidfile cid --stop-signal SIGINT --stop-timeout 3 --dns 8.8.8.8 --name made alpine:3.20 true");
    assert_eq!(code, 0);
    assert_eq!(inspect("made", "{{json .Config.Labels}}"), "{\"team\":\"ml\",\"tier\":\"web\"}\n");
    assert_eq!(inspect("made", "{{json .Config.ExposedPorts}}"), "{\"80/tcp\":{},\"9000/udp\":{},\"9001/udp\":{}}\n");
    assert_eq!(inspect("made", "{{.Config.StopSignal}} {{.Config.StopTimeout}}"), "SIGINT 3\n");
    assert_eq!(host.file("cid").map(|b| b.len()), Some(64));
    let not_applied = inspect("made", "{{json .HostConfig.BerthNotApplied}}");
    assert!(not_applied.starts_with("{\"--dns\":{\"Values\":[\"8.8.8.8\"],\"Why\":\"Berth's container networks have no resolver"), "{not_applied}");
    assert_eq!(run("berth run -l x --cidfile cid alpine:3.20 true").2, "berth: Container ID file found, make sure the other container isn't running or delete cid.\nSee 'berth run --help'.\n");
    assert_eq!(run("berth ps -a -f label=tier=web --format {{.Names}}").1, "made\n");

    let usage = |e: &str| (125, String::new(), format!("{e}\nSee 'berth run --help'.\n"));
    assert_eq!(run("berth run --forse alpine:3.20 true"), usage("unknown flag: --forse"));
    assert_eq!(run("berth run -dz alpine:3.20 true"), usage("unknown shorthand flag: 'z' in -dz"));
    assert_eq!(run("berth run -m lots alpine:3.20 true"), usage("invalid argument \"lots\" for \"-m, --memory\" flag: invalid size: 'lots'"));
    assert_eq!(run("berth run --ip 300.1.1.1 alpine:3.20 true"), usage("invalid argument \"300.1.1.1\" for \"--ip\" flag: invalid string being converted to IP address: 300.1.1.1"));
    assert_eq!(run("berth run --health-interval 5 alpine:3.20 true"), usage("invalid argument \"5\" for \"--health-interval\" flag: time: missing unit in duration \"5\""));
    assert_eq!(run("berth create --detach alpine:3.20 true"), (125, String::new(), "unknown flag: --detach\nSee 'berth create --help'.\n".into()), "create has no -d");
    let (code, help, _) = run("berth run --help");
    assert_eq!(code, 0);
    assert!(help.starts_with("\nUsage:  berth run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nCreate and run a new container from an image\n\nAliases:\n  berth container run, berth run\n\nOptions:\n      --add-host list "), "{help}");
    assert!(help.contains("\n  -d, --detach ") && help.contains("\n  -h, --hostname string ") && help.contains("(default \"missing\")"), "{help}");
    assert!(!help.contains("--net "), "hidden aliases stay out of --help");
    assert_eq!(run("berth run -h box --rm alpine:3.20 hostname").1, "box\n", "-h is --hostname for run");
}

/// `kill -s` and `stop -s`/`-t` from their tables, on the emulated runtime.
#[test]
fn kill_and_stop_read_their_flags_as_docker_does() {
    let host = MemoryHost::new("");
    let run = |line: &str| crate::run_line(&host, line);
    assert_eq!(run("berth run -d --name web alpine:3.20 sleep 100").0, 0);
    assert_eq!(run("berth kill -s TERM web"), (1, String::new(), "Error response from daemon: cannot kill container: web: Berth's emulated runtime delivers only SIGKILL to a container's process (`docker stop` sends it its stop signal)\n".into()));
    assert_eq!(run("berth kill -s BOGUS web"), (1, String::new(), "Error response from daemon: Invalid signal: BOGUS\n".into()));
    assert_eq!(run("berth kill -s KILL web"), (0, "web\n".into(), String::new()), "KILL is the signal, web the container");
    assert_eq!(run("berth inspect --format {{.State.ExitCode}} web").1, "137\n");
    assert_eq!(run("berth kill"), (1, String::new(), "\"berth kill\" requires at least 1 argument.\nSee 'berth kill --help'.\n\nUsage:  berth kill [OPTIONS] CONTAINER [CONTAINER...]\n\nKill one or more running containers\n".into()));
    assert_eq!(run("berth stop -t x web"), (125, String::new(), "invalid argument \"x\" for \"-t, --timeout\" flag: strconv.ParseInt: parsing \"x\": invalid syntax\nSee 'berth stop --help'.\n".into()));
    let (code, help, _) = run("berth stop --help");
    assert_eq!(code, 0);
    assert!(help.ends_with("Options:\n  -s, --signal string   Signal to send to the container\n  -t, --timeout int     Seconds to wait before killing the container\n"), "{help}");
}

/// `volume` subcommands from their tables: labels kept and filtered on, `ls` filters,
/// `prune --filter`, `rm -f`, `inspect --format`, and what Berth refuses in words.
#[test]
fn volume_commands_take_dockers_flags() {
    let host = MemoryHost::new("");
    let run = |line: &str| crate::run_line(&host, line);
    assert_eq!(run("berth volume create --label tier=db --label keep data"), (0, "data\n".into(), String::new()));
    assert_eq!(run("berth volume create scratch").0, 0);
    assert_eq!(run("berth run --rm -v used:/u alpine:3.20 true").0, 0);
    assert_eq!(run("berth run --name user -v data:/d alpine:3.20 true").0, 0);
    assert_eq!(run("berth volume ls -q -f label=tier=db").1, "data\n");
    assert_eq!(run("berth volume ls -q -f label=keep").1, "data\n");
    assert_eq!(run("berth volume ls -q -f dangling=true").1, "scratch\nused\n");
    assert_eq!(run("berth volume ls -q -f name=scr").1, "scratch\n");
    assert_eq!(run("berth volume ls --format {{.Name}}:{{.Labels}} -f label=tier").1, "data:keep=,tier=db\n");
    assert_eq!(run("berth volume inspect -f {{.Labels.tier}} data").1, "db\n");
    assert_eq!(run("berth volume ls -f bogus=1"), (1, String::new(), "Error response from daemon: invalid filter 'bogus'\n".into()));
    assert_eq!(run("berth volume prune -a -f --filter label!=keep").1, "Deleted Volumes:\nscratch\nused\n\nTotal reclaimed space: 0B\n");
    assert_eq!(run("berth volume rm -f gone"), (0, "gone\n".into(), String::new()), "-f: a missing volume is no error");
    assert_eq!(run("berth volume rm gone").0, 1);
    assert_eq!(run("berth volume create -d nfs x").2, "Error response from daemon: create x: error looking up volume plugin nfs: plugin \"nfs\" not found\n");
    assert!(run("berth volume create --scope multi x").2.contains("cluster volumes need a swarm"));
    assert_eq!(run("berth volume ls --forse"), (125, String::new(), "unknown flag: --forse\nSee 'berth volume ls --help'.\n".into()));
    assert_eq!(run("berth volume rm").0, 1);
    assert_eq!(run("berth run --name maker alpine:3.20 sh -c 'echo hi > /hi'").0, 0);
    assert_eq!(run("berth cp -aq maker:/hi got.txt"), (0, String::new(), String::new()), "a cluster of cp's flags; -q is quiet");
    assert_eq!(host.file("got.txt").as_deref(), Some(&b"hi\n"[..]));
}

/// The commands moved onto tables do what their options say, as Docker's do: `inspect`
/// with Go templates, `--type` and `-s`; `logs --tail`; `exec --env-file`, `-d`;
/// `rm -v`; `commit -c`/`-a`; `export`; `history -H=false`; `container prune --filter`;
/// `system df -v`/`--format`; `stats --format`; `version` and `info --format`.
#[test]
fn commands_on_tables_apply_their_options() {
    let host = MemoryHost::new("//- vars.env\n# set for exec\nGREETING=hi\n");
    let run = |line: &str| crate::run_line(&host, line);
    assert_eq!(run("berth run -d --name web -l tier=db -v /cache -p 127.0.0.1:8080-8081:80-81/udp alpine:3.20 sh -c 'echo one; echo two; echo three; sleep 100'").0, 0);
    // Go templates: ranges, index, functions, variables, conditions.
    let inspect = |format: &str| run(&format!("berth inspect --format '{format}' web"));
    assert_eq!(inspect("{{range .Mounts}}{{.Destination}}{{end}} {{index .Config.Labels \"tier\" | upper}} {{.State.Status | title}}").1, "/cache DB Running\n");
    assert_eq!(inspect("{{range $p, $b := .HostConfig.PortBindings}}{{$p}}>{{(index $b 0).HostIp}}:{{(index $b 0).HostPort}} {{end}}").1, "80/udp>127.0.0.1:8080 81/udp>127.0.0.1:8081 \n");
    assert_eq!(inspect("{{if .State.Running}}up{{else}}down{{end}} {{len .Config.Cmd}} {{join .Config.Cmd \"+\"}}").1, "up 3 sh+-c+echo one; echo two; echo three; sleep 100\n");
    assert_eq!(inspect("{{.Nope"), (1, String::new(), "template parsing error: template: :1: unclosed action\n".into()));
    assert_eq!(inspect("{{nosuch .Id}}").2, "template parsing error: template: :1: function \"nosuch\" not defined\n");
    assert_eq!(run("berth inspect --type image web"), (1, "[]\n".into(), "Error: No such image: web\n".into()));
    assert_eq!(run("berth container inspect alpine:3.20"), (1, "[]\n".into(), "Error: No such container: alpine:3.20\n".into()));
    assert_eq!(run("berth inspect --type box web").2, "\"box\" is not a valid value for --type\n");
    assert!(run("berth inspect -s --format '{{.SizeRw}} {{gt .SizeRootFs 0}}' web").1.ends_with(" true\n"));
    assert_eq!(run("berth ps --format '{{.Names | upper}}\\t{{.Image}}'").1, "WEB\talpine:3.20\n");
    // Nothing is bound (no traffic flows on the networks yet), and port and inspect say
    // so; the container has its address on the bridge.
    assert_eq!(inspect("{{json .NetworkSettings.Ports}} {{.NetworkSettings.IPAddress}}|").1, "{} 172.17.0.2|\n");
    assert_eq!(run("berth port web"), (0, String::new(), "berth: web asks for 80/udp, 81/udp to be published (-p); they are not bound: no traffic flows on the emulated runtime's container networks yet\n".into()));
    assert_eq!(run("berth port web 81/udp").0, 1);
    assert_eq!(run("berth port web 90").2, "Error: No public port '90/tcp' published for web\n");
    // logs --tail, -n.
    assert_eq!(run("berth logs --tail 2 web").1, "two\nthree\n");
    assert_eq!(run("berth logs -n1 web").1, "three\n");
    assert_eq!(run("berth logs --tail lots web").2, "Error response from daemon: invalid value for \"tail\": expected a number or \"all\", got \"lots\"\n");
    // exec reads --env-file and -e, and -d shows nothing.
    assert_eq!(run("berth exec --env-file vars.env -e NAME=ana web sh -c 'echo $GREETING $NAME'").1, "hi ana\n");
    assert_eq!(run("berth exec -d web sh -c 'echo hidden; exit 3'"), (0, String::new(), String::new()));
    // commit -c and -a.
    assert_eq!(run("berth commit -a 'Ana <ana@example.com>' -c 'ENV STAGE=prod' -c 'CMD [\"env\"]' web snap:1").0, 0);
    assert_eq!(run("berth image inspect --format '{{.Config.Cmd}} {{range .Config.Env}}{{if eq . \"STAGE=prod\"}}{{.}}{{end}}{{end}}' snap:1").1, "[env] STAGE=prod\n");
    assert_eq!(run("berth commit -c 'RUN true' web").2, "Error response from daemon: RUN is not a valid change command\n");
    // export: the whole filesystem as a tar, refused to a terminal.
    let (code, tar, _) = run("berth export -o web.tar web");
    assert_eq!((code, tar), (0, String::new()));
    let exported = host.file("web.tar").expect("web.tar written");
    let mut archive = tar::Archive::new(&exported[..]);
    let names: Vec<String> = archive.entries().unwrap().map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned()).collect();
    assert!(names.iter().any(|n| n == "etc/os-release") && names.iter().any(|n| n == "bin/busybox"), "{names:?}");
    // history -H=false: dates as RFC 3339, sizes in bytes.
    let history = run("berth history -H=false --format '{{.CreatedSince}}|{{.Size}}' snap:1").1;
    let first = history.lines().next().unwrap_or_default();
    assert!(first.contains('T') && !first.ends_with('Z') && first.split('|').nth(1).is_some_and(|s| s.parse::<u64>().is_ok()), "{history}");
    // rm -v takes the anonymous volume; container prune keeps what the filter does not.
    let volumes = |host: &MemoryHost| crate::run_line(host, "berth volume ls -q").1.lines().count();
    assert_eq!(volumes(&host), 1);
    assert_eq!(run("berth rm -fv web").1, "web\n");
    assert_eq!(volumes(&host), 0);
    assert_eq!(run("berth create --name keep -l keep=yes alpine:3.20 true").0, 0);
    assert_eq!(run("berth create --name drop alpine:3.20 true").0, 0);
    let pruned = run("berth container prune -f --filter label!=keep=yes").1;
    assert!(pruned.starts_with("Deleted Containers:\n") && pruned.lines().count() == 4, "{pruned}");
    assert_eq!(run("berth ps -a --format {{.Names}}").1, "keep\n");
    assert_eq!(run("berth container prune -f --filter color=red").2, "Error response from daemon: invalid filter 'color'\n");
    // system df: a format, and -v.
    assert_eq!(run("berth system df --format '{{.Type}} {{.TotalCount}}'").1, "Images 2\nContainers 1\nLocal Volumes 0\nBuild Cache 0\n");
    let verbose = run("berth system df -v").1;
    assert!(verbose.starts_with("Images space usage:\n\nREPOSITORY   TAG ") && verbose.contains("\nContainers space usage:\n\nCONTAINER ID ") && verbose.contains("keep\n"), "{verbose}");
    // stats: an emulated container has no cgroups and says so with dashes.
    assert_eq!(run("berth stats -a --no-stream --format '{{.Name}} {{.CPUPerc}} {{.PIDs}}'").1, "keep -- --\n");
    // version's two blocks, and templates over them and over info.
    let version = run("berth version").1;
    assert!(version.starts_with("Client:\n Version:           ") && version.contains("\nServer: Berth Engine\n Engine:\n  Version:          ") && version.contains("  API version:      1.48 (minimum version 1.24)\n"), "{version}");
    assert_eq!(run("berth version --format '{{.Server.Version}}'").1, format!("{}\n", env!("CARGO_PKG_VERSION")));
    assert_eq!(run("berth info --format '{{.Containers}} {{.ServerVersion}}'").1, format!("1 {}\n", env!("CARGO_PKG_VERSION")));
    assert_eq!(run("berth info --format '{{.OSType}} {{.ContainersStopped}} {{gt .NCPU 0}}'").1, "linux 1 true\n");
    assert_eq!(run("berth info --format '{{.LoggingDriver}} {{.Swarm.LocalNodeState}} {{join .Plugins.Network \" \"}} {{.LiveRestoreEnabled}}'").1, "json-file inactive bridge host null false\n");
    let info = run("berth info").1;
    for line in [" Logging Driver: json-file\n", " Plugins:\n  Volume: local\n  Network: bridge host null\n  Log: json-file\n Swarm: inactive\n", " Insecure Registries:\n  ::1/128\n  127.0.0.0/8\n Live Restore Enabled: false\n"] {
        assert!(info.contains(line), "docker info's {line:?}:\n{info}");
    }
}

/// A container has runc's `/dev`: the devices read and write as Linux's (`null`,
/// `zero`, `full`, `urandom`), `/dev/shm` takes files, and `tail -f /dev/null`, the
/// keep-alive idiom, keeps a detached container up as `sleep infinity` does.
#[test]
fn containers_have_dev_nodes_and_tail_f_dev_null_keeps_one_up() {
    let host = MemoryHost::new("");
    let run = |line: &str| crate::run_line(&host, line);
    assert_eq!(run("berth pull -q alpine:3.20").0, 0);
    let ls = run("berth run --rm alpine:3.20 ls /dev").1;
    assert_eq!(ls.split_whitespace().collect::<Vec<_>>(), ["console", "core", "fd", "full", "mqueue", "null", "ptmx", "pts", "random", "shm", "stderr", "stdin", "stdout", "tty", "urandom", "zero"]);
    assert!(run("berth run --rm alpine:3.20 ls -l /dev/null").1.starts_with("crw-rw-rw- 1 root root 1,   3 "), "{}", run("berth run --rm alpine:3.20 ls -l /dev/null").1);
    assert_eq!(run("berth run --rm alpine:3.20 sh -c 'head -c 5 /dev/zero | wc -c; head -c 16 /dev/urandom | wc -c; echo gone > /dev/null; cat /dev/null | wc -c'").1, "5\n16\n0\n");
    let (code, _, err) = run("berth run --rm alpine:3.20 sh -c 'echo x > /dev/full'");
    assert!(code != 0 && err.contains("No space left on device"), "{err}");
    assert_eq!(run("berth run --rm alpine:3.20 cat /dev/zero").2, "cat: /dev/zero: File too large\n", "an endless stream read whole is an error, never a hang");
    assert_eq!(run("berth run --rm alpine:3.20 sh -c 'echo shared > /dev/shm/seg; cat /dev/shm/seg'").1, "shared\n");
    assert_eq!(run("berth run -d --name keeper alpine:3.20 tail -f /dev/null").0, 0);
    assert_eq!(run("berth ps --format '{{.Names}} {{.State}}'").1, "keeper running\n");
    assert_eq!(run("berth exec keeper sh -c 'test -c /dev/zero && echo device'").1, "device\n");
}

/// Networks as dockerd keeps them: the predefined three, user-defined bridges on
/// dockerd's default pools or a `--subnet`, containers joined by `--network` (with
/// `--network-alias`, `--ip`) and `network connect`, an address while they run (released
/// at stop), `inspect` and `ps` showing them, and Docker's refusals; compose makes and
/// removes its project's networks. No traffic flows on them yet (see `daemon::network`).
#[test]
fn networks_keep_dockers_records_addresses_and_aliases() {
    let host = MemoryHost::new(concat!(
        "//- app/compose.yaml
services:
  web:
    image: alpine:3.20
    command: sleep 100
    networks: [front, default]
",
        "  db:
    image: alpine:3.20
    command: sleep 100
    networks:
      back:
        aliases: [database]
",
        "networks:
  front:
  back:
",
    ));
    let run = |line: &str| crate::run_line(&host, line);
    assert_eq!(run("berth pull -q alpine:3.20").0, 0);
    assert_eq!(run("berth network ls --format '{{.Name}} {{.Driver}} {{.Scope}}'").1, "bridge bridge local\nhost host local\nnone null local\n");
    let (code, id, _) = run("berth network create mynet");
    assert_eq!((code, id.trim().len()), (0, 64), "the network's ID");
    assert_eq!(run("berth network create mynet"), (1, String::new(), "Error response from daemon: network with name mynet already exists\n".into()));
    assert_eq!(run("berth network create -d overlay x").2, "Error response from daemon: This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.\n");
    assert_eq!(run("berth network create --subnet 10.5.0.0/24 --gateway 10.5.0.254 --label team=ml lab").0, 0);
    assert_eq!(run("berth network create --subnet 10.5.0.128/25 clash").2, "Error response from daemon: invalid pool request: Pool overlaps with other one on this address space\n");
    let table = run("berth network ls").1;
    assert!(table.starts_with("NETWORK ID     NAME      DRIVER    SCOPE\n"), "{table}");
    assert_eq!(table.lines().skip(1).map(|l| l.split_whitespace().nth(1).unwrap_or("").to_string()).collect::<Vec<_>>(), ["bridge", "host", "lab", "mynet", "none"]);
    assert_eq!(run("berth network ls -f type=custom -f label=team=ml -q").1.trim().len(), 12);
    assert_eq!(run("berth network inspect -f '{{.Driver}} {{range .IPAM.Config}}{{.Subnet}} {{.Gateway}}{{end}}' mynet lab").1, "bridge 172.18.0.0/16 172.18.0.1\nbridge 10.5.0.0/24 10.5.0.254\n");
    assert_eq!(run("berth network inspect -f '{{.Labels.team}}' lab").1, "ml\n");
    // Containers: the bridge by default, a named network with an alias, --ip.
    assert_eq!(run("berth run -d --name one alpine:3.20 sleep 100").0, 0);
    assert_eq!(run("berth run -d --name web --network mynet --network-alias www alpine:3.20 sleep 100").0, 0);
    let inspect = |name: &str, f: &str| run(&format!("berth inspect -f '{f}' {name}")).1;
    assert_eq!(inspect("one", "{{.NetworkSettings.IPAddress}} {{.NetworkSettings.Gateway}} {{.NetworkSettings.MacAddress}} {{.NetworkSettings.IPPrefixLen}}"), "172.17.0.2 172.17.0.1 02:42:ac:11:00:02 16\n");
    assert_eq!(inspect("web", "{{range $n, $e := .NetworkSettings.Networks}}{{$n}} {{$e.IPAddress}} {{join $e.Aliases \",\"}} {{index $e.DNSNames 0}}{{end}}"), "mynet 172.18.0.2 www web\n");
    assert_eq!(run("berth network connect --ip 10.5.0.9 lab one").0, 0);
    assert_eq!(run("berth network connect lab one").2, "Error response from daemon: endpoint with name one already exists in network lab\n");
    assert_eq!(run("berth network connect --alias x bridge web").2, "Error response from daemon: network-scoped alias is supported only for containers in user defined networks\n");
    assert_eq!(run("berth network connect --ip 10.9.9.9 lab web").2, "Error response from daemon: no configured subnet or ip-range contain the IP address 10.9.9.9\n");
    assert_eq!(run("berth network connect lab nosuch").2, "Error response from daemon: No such container: nosuch\n");
    assert_eq!(run("berth network inspect -f '{{range .Containers}}{{.Name}} {{.IPv4Address}} {{.MacAddress}}{{end}}' lab").1, "one 10.5.0.9/24 02:42:0a:05:00:09\n");
    assert_eq!(run("berth ps --filter network=lab --format '{{.Names}} {{.Networks}}'").1, "one bridge,lab\n");
    assert_eq!(run("berth inspect --type network -f '{{.Name}}' lab").1, "lab\n");
    // Removal: refused while a running container is on it, never for the predefined.
    assert_eq!(run("berth network rm lab").2, format!("Error response from daemon: error while removing network: network lab has active endpoints (name:\"one\" id:\"{}\")\n", run("berth ps -q -f name=one").1.trim()));
    assert_eq!(run("berth network rm bridge").2, "Error response from daemon: bridge is a pre-defined network and cannot be removed\n");
    assert_eq!(run("berth network rm nope"), (1, String::new(), "Error response from daemon: network nope not found\n".into()));
    assert_eq!(run("berth network rm -f nope").0, 0);
    assert_eq!(run("berth run --rm --network nope alpine:3.20 true"), (125, String::new(), "berth: Error response from daemon: network nope not found.\nSee 'berth run --help'.\n".into()));
    assert_eq!(run("berth network disconnect lab one").0, 0);
    assert!(run("berth network disconnect lab one").2.contains("is not connected to network lab"));
    // A stopped container's address is released: the next one takes it.
    assert_eq!(run("berth stop -t 0 one").0, 0);
    assert_eq!(inspect("one", "{{.NetworkSettings.IPAddress}}|"), "|\n");
    assert_eq!(run("berth run -d --name two alpine:3.20 sleep 100").0, 0);
    assert_eq!(inspect("two", "{{.NetworkSettings.IPAddress}}"), "172.17.0.2\n");
    assert_eq!(run("berth start one").0, 0);
    assert_eq!(inspect("one", "{{.NetworkSettings.IPAddress}}"), "172.17.0.3\n");
    // prune: the user-defined networks no running container is on.
    assert_eq!(run("berth network prune -f").1, "Deleted Networks:\nlab\n");
    // Compose: the project's networks, made on up (labelled), joined with the service's
    // name as an alias, removed on down.
    let (code, _, err) = run("berth compose -f app/compose.yaml up -d");
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(" ✔ Network app_front  Created\n") && err.contains(" ✔ Network app_default  Created\n") && err.contains(" ✔ Network app_back  Created\n"), "{err}");
    assert_eq!(inspect("app-db-1", "{{range $n, $e := .NetworkSettings.Networks}}{{$n}}:{{join $e.Aliases \",\"}} {{end}}"), "app_back:db,database \n");
    assert_eq!(inspect("app-web-1", "{{range $n, $e := .NetworkSettings.Networks}}{{$n}} {{end}}"), "app_default app_front \n");
    assert_eq!(run("berth network inspect -f '{{index .Labels \"com.docker.compose.project\"}} {{index .Labels \"com.docker.compose.network\"}}' app_back").1, "app back\n");
    let err = run("berth compose -f app/compose.yaml down -t 0").2;
    assert!(err.contains(" ✔ Network app_front  Removed\n") && err.contains(" ✔ Network app_back  Removed\n"), "{err}");
    assert_eq!(run("berth network ls -q -f name=app_").1, "");
}

/// `dd` copies blocks as GNU's and BusyBox's do: sizes with suffixes, `count`, `skip`,
/// `seek`, `conv=notrunc,ucase`, devices read only as far as asked, and the records
/// report on stderr (its timing is the run's own, so only its shape is compared).
#[test]
fn dd_copies_blocks_and_reports_its_records() {
    let host = MemoryHost::new("");
    let run = |line: &str| crate::run_line(&host, line);
    assert_eq!(run("berth pull -q debian:bookworm-slim").0, 0);
    assert_eq!(run("berth pull -q alpine:3.20").0, 0);
    let (code, out, err) = run("berth run --rm debian:bookworm-slim sh -c 'dd if=/dev/zero of=/tmp/z bs=1M count=2 && stat -c %s /tmp/z'");
    assert_eq!((code, out.as_str()), (0, "2097152\n"), "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines[..2], ["2+0 records in", "2+0 records out"], "{err}");
    assert!(lines[2].starts_with("2097152 bytes (2.1 MB, 2.0 MiB) copied, ") && lines[2].ends_with("/s"), "{err}");
    let script = "printf abcdefghij > /tmp/f; dd if=/tmp/f bs=3 skip=1 count=2 status=none; echo; printf XY | dd of=/tmp/f bs=1 seek=2 conv=notrunc status=none; cat /tmp/f; echo; printf hello | dd conv=ucase 2>/dev/null; echo; printf 12345 | dd of=/tmp/g bs=2 2>&1 >/dev/null | head -n 2 | tr '\\n' ' '; cat /tmp/g";
    assert_eq!(run(&format!("berth run --rm debian:bookworm-slim sh -c \"{script}\"")).1, "defghi\nabXYefghij\nHELLO\n2+1 records in 2+1 records out 12345");
    let (code, _, err) = run("berth run --rm debian:bookworm-slim dd if=/nope bs=1x");
    assert_eq!((code, err.as_str()), (1, "dd: invalid number: '1x'\n"));
    let (code, _, err) = run("berth run --rm debian:bookworm-slim dd if=/nope");
    assert_eq!((code, err.as_str()), (1, "dd: failed to open '/nope': No such file or directory\n"));
    let (code, _, err) = run("berth run --rm debian:bookworm-slim dd bogus");
    assert_eq!((code, err.as_str()), (1, "dd: unrecognized operand 'bogus'\nTry 'dd --help' for more information.\n"));
    let (_, _, err) = run("berth run --rm alpine:3.20 dd if=/dev/zero of=/dev/null bs=512 count=3");
    assert!(err.starts_with("3+0 records in\n3+0 records out\n1536 bytes (1.5KB) copied, ") && err.contains(" seconds, "), "BusyBox's words: {err}");
}

/// Compose over the specification: `.env` and the caller's variables interpolated with
/// defaults, the override file merged, `-f` files merged in order, profiles, `env_file`,
/// long port and volume syntax, `deploy.resources.limits`, labels, `container_name`, and
/// `depends_on` conditions (a healthcheck run in the container, a job that must
/// complete); then `config`, `ps`, `logs`, `exec`, `run`, `stop`/`start`/`restart`,
/// `rm` and `down`, each with its common flags.
#[test]
fn compose_follows_the_specification() {
    let host = MemoryHost::new(concat!(
        "//- app/.env\nTAG=3.20\nGREETING=hello from .env\n",
        "//- app/web.env\n# for web\nMODE=production\n",
        "//- app/compose.yaml\n",
        "name: shop\n",
        "x-base: &base\n  image: alpine:${TAG}\n",
        "services:\n",
        "  db:\n    <<: *base\n    command: sh -c 'touch /tmp/ready; echo db up; sleep 1000'\n",
        "    healthcheck:\n      test: [\"CMD\", \"test\", \"-f\", \"/tmp/ready\"]\n      interval: 1s\n      retries: 2\n",
        "  migrate:\n    <<: *base\n    command: [\"sh\", \"-c\", \"echo migrated\"]\n",
        "  web:\n    <<: *base\n    container_name: shop-web\n    env_file: web.env\n",
        "    environment:\n      - GREETING\n      - PORT=${PORT:-8080}\n",
        "    command: sh -c 'echo \"$$GREETING $$MODE $$PORT\"; sleep 1000'\n",
        "    ports:\n      - target: 80\n        published: \"8080\"\n        protocol: tcp\n",
        "    volumes:\n      - type: volume\n        source: data\n        target: /data\n      - ./site:/site:ro\n",
        "    deploy:\n      resources:\n        limits:\n          cpus: \"0.5\"\n          memory: 64M\n",
        "    labels:\n      tier: front\n",
        "    depends_on:\n      db:\n        condition: service_healthy\n      migrate:\n        condition: service_completed_successfully\n",
        "  debug:\n    <<: *base\n    profiles: [tools]\n    command: echo debugging\n",
        "volumes:\n  data:\n",
        "//- app/compose.override.yaml\nservices:\n  web:\n    environment:\n      EXTRA: from-override\n",
        "//- app/site/index.html\n<h1>hi</h1>\n",
        "//- more.yaml\nservices:\n  web:\n    labels:\n      added: by-second-file\n",
    ));
    let run = |line: &str| crate::run_line(&host, line);
    let compose = |rest: &str| run(&format!("berth compose --project-directory app -f app/compose.yaml -f app/compose.override.yaml {rest}"));
    // Configuration: interpolated, merged, normalised.
    let (code, services, _) = compose("config --services");
    assert_eq!((code, services.as_str()), (0, "db\nmigrate\nweb\n"), "the profile's service stays out");
    assert_eq!(compose("--profile tools config --services").1, "db\ndebug\nmigrate\nweb\n");
    let json: serde_json::Value = serde_json::from_str(&compose("config --format json").1).unwrap();
    assert_eq!(json["name"], "shop");
    assert_eq!(json["services"]["web"]["image"], "alpine:3.20");
    assert_eq!(json["services"]["web"]["environment"]["EXTRA"], "from-override");
    assert_eq!(json["services"]["web"]["environment"]["PORT"], "8080");
    assert!(compose("config").1.contains("    image: alpine:3.20\n"), "YAML by default");
    assert!(run("berth compose -f app/compose.yaml -f more.yaml config --format json").1.contains("by-second-file"));
    assert_eq!(run("berth compose -f app/nope.yaml config").0, 1);
    // up: dependencies first, with their conditions met.
    let (code, _, err) = compose("up -d");
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(" ✔ Container shop-db-1  Healthy\n") && err.contains(" ✔ Container shop-web  Started\n") && err.contains(" ✔ Volume \"shop_data\"  Created\n"), "{err}");
    assert_eq!(run("berth logs shop-web").1, "hello from .env production 8080\n");
    let inspect = |f: &str| run(&format!("berth inspect --format '{f}' shop-web")).1;
    assert_eq!(inspect("{{.HostConfig.Memory}} {{.HostConfig.NanoCpus}} {{index .Config.Labels \"tier\"}} {{index .Config.Labels \"com.docker.compose.service\"}}"), "67108864 500000000 front web\n");
    assert_eq!(inspect("{{json .HostConfig.PortBindings}}"), "{\"80/tcp\":[{\"HostIp\":\"\",\"HostPort\":\"8080\"}]}\n");
    assert_eq!(inspect("{{range .Mounts}}{{.Destination}}={{.RW}} {{end}}"), "/data=true /site=false \n");
    // ps: running only, all with -a, formats and services.
    assert_eq!(compose("ps --format '{{.Service}} {{.State}}'").1, "db running\nweb running\n");
    assert_eq!(compose("ps -a --format '{{.Service}} {{.State}}'").1, "db running\nmigrate exited\nweb running\n");
    assert_eq!(compose("ps --services").1, "db\nmigrate\nweb\n");
    assert_eq!(compose("ps --status exited -q").1.trim().len(), 64);
    // logs, exec and a one-off run.
    assert_eq!(compose("logs --no-log-prefix migrate db").1, "db up\nmigrated\n");
    assert_eq!(compose("logs -n 1 web").1, "web-1 | hello from .env production 8080\n");
    assert_eq!(compose("exec -T web sh -c 'echo $EXTRA; cat /site/index.html'").1, "from-override\n<h1>hi</h1>\n");
    assert_eq!(compose("exec -e X=1 web sh -c 'echo $X'").1, "1\n");
    assert_eq!(compose("exec nope true"), (1, String::new(), "service \"nope\" is not running\n".into()));
    assert_eq!(compose("run --rm --no-deps -e MODE=test web sh -c 'echo $MODE'").1, "test\n");
    assert_eq!(run("berth ps -a -q --filter label=com.docker.compose.oneoff=True").1, "", "--rm took the one-off container");
    // stop, start, restart, rm.
    assert!(compose("stop -t 1 web").2.contains(" ✔ Container shop-web  Stopped\n"));
    assert_eq!(compose("ps --format '{{.Service}}'").1, "db\n");
    assert!(compose("start web").2.contains(" ✔ Container shop-web  Started\n"));
    assert!(compose("restart db").2.contains(" ✔ Container shop-db-1  Started\n"));
    assert!(compose("rm -f migrate").2.contains(" ✔ Container shop-migrate-1  Removed\n"));
    assert_eq!(compose("rm -f web").2, "No stopped containers\n", "a running container stays without -s");
    // up --wait: every service running, and healthy where it has a healthcheck.
    let (code, _, err) = compose("up -d --wait db");
    assert_eq!(code, 0, "{err}");
    assert!(err.ends_with(" ✔ Container shop-db-1  Healthy\n"), "{err}");
    // down: containers, named volumes with -v.
    let down = compose("down -v").2;
    assert!(down.contains(" ✔ Container shop-web  Removed\n") && down.contains(" ✔ Volume shop_data  Removed\n"), "{down}");
    assert_eq!(run("berth ps -a -q").1, "");
    // Bad input: unknown flags and services, variables that must be set.
    assert_eq!(compose("up --forse"), (125, String::new(), "unknown flag: --forse\nSee 'berth compose up --help'.\n".into()));
    assert_eq!(compose("logs nope").2, "no such service: nope\n");
    let (code, _, err) = run("berth compose -f bad.yaml config");
    assert_eq!(code, 1, "{err}");
}

/// `docker events`: the engine's journal of what happened, in dockerd's words and shape,
/// with `--since`/`--until`, filters and templates.
#[test]
fn events_show_what_happened_as_dockerd_reports_it() {
    let host = MemoryHost::new("");
    let run = |line: &str| crate::run_line(&host, line);
    let start = host.now();
    assert_eq!(run("berth pull -q alpine:3.20").0, 0);
    assert_eq!(run("berth run --name once alpine:3.20 true").0, 0);
    assert_eq!(run("berth rm once").0, 0);
    assert_eq!(run("berth volume create data").0, 0);
    assert_eq!(run("berth tag alpine:3.20 mine:1").0, 0);
    let since = format!("--since {start} --until {}", host.now() + 1);
    let (code, out, err) = run(&format!("berth events {since} --format '{{{{.Type}}}} {{{{.Action}}}} {{{{.Actor.Attributes.name}}}}'"));
    assert_eq!((code, err.as_str()), (0, ""));
    assert_eq!(out, "image pull alpine\ncontainer create once\ncontainer start once\ncontainer die once\ncontainer destroy once\nvolume create <no value>\nimage tag mine:1\n", "a volume has no name attribute: Go prints a missing key so");
    let dies = run(&format!("berth events {since} --filter event=die"));
    assert!(dies.1.contains(" container die ") && dies.1.ends_with("(exitCode=0, image=alpine:3.20, name=once)\n"), "{}", dies.1);
    assert_eq!(run(&format!("berth events {since} --filter type=volume --format '{{{{.Actor.ID}}}}'")).1, "data\n");
    assert_eq!(run(&format!("berth events {since} --filter container=once --filter event=start")).1.lines().count(), 1);
    assert_eq!(run(&format!("berth events {since} --filter colour=red")).2, "Error response from daemon: invalid filter 'colour'\n");
    // Without --since, only what comes from now on: nothing has yet.
    assert_eq!(run(&format!("berth events --until {}", host.now() + 1)).1, "");
    assert_eq!(run("berth system events --since lots").0, 1);
}
