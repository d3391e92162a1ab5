//! The malicious-input suite: archives, build contexts, names, nesting, bombs, quotas and
//! lessons, each tried as a hostile student or a careless author would, in a fresh
//! sandbox. Every case must end contained (refused with a message, or confined) and the
//! suite prints what happened for each (`scripts/test` shows the lines).

use engine::sandbox::{FixedClock, Sandbox};
use engine::shell::Outcome;
use std::rc::Rc;

fn text(out: &Outcome) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

/// A tar of one regular file `name` whose header claims `claimed` bytes over `data`.
fn tar_claiming(name: &str, claimed: u64, data: &[u8]) -> Vec<u8> {
    let mut h = tar::Header::new_gnu();
    h.set_path(name).unwrap();
    h.set_size(claimed);
    h.set_mode(0o644);
    h.set_entry_type(tar::EntryType::Regular);
    h.set_cksum();
    let mut out = h.as_bytes().to_vec();
    out.extend_from_slice(data);
    out.resize(out.len().div_ceil(512) * 512 + 1024, 0);
    out
}

/// The line of a command's output that says why (its first error line, else its last).
fn said(out: &Outcome) -> String {
    let t = text(out);
    let line = t.lines().find(|l| l.contains("rror") || l.contains("refus")).or_else(|| t.lines().rev().find(|l| !l.trim().is_empty()));
    line.unwrap_or("(nothing)").chars().take(140).collect()
}

type Case = (&'static str, &'static str, fn(&mut Sandbox) -> Result<String, String>);

const CASES: &[Case] = &[
    ("archives", "a tar header claiming 100 GiB over 10 bytes", |sb| {
        sb.write_file("claim.tar", &tar_claiming("manifest.json", 100 << 30, b"0123456789")).unwrap();
        let out = sb.run_line("docker load -i claim.tar", &[]);
        if out.status != 0 { Ok(format!("refused: {}", said(&out))) } else { Err(text(&out)) }
    }),
    ("archives", "a layer entry that climbs out with ..", |sb| {
        let mut b = tar::Builder::new(Vec::new());
        let mut h = tar::Header::new_gnu();
        h.as_gnu_mut().unwrap().name[..13].copy_from_slice(b"../../escaped");
        h.set_size(2);
        h.set_mode(0o644);
        h.set_cksum();
        b.append(&h, &b"x\n"[..]).unwrap();
        let layer = b.into_inner().unwrap();
        // An image archive whose one layer is the hostile tar (diff ID matching it).
        let diff = format!("sha256:{}", engine::image::digest::Digest::of(&layer).hex());
        let config = format!(r#"{{"architecture":"amd64","os":"linux","config":{{}},"rootfs":{{"type":"layers","diff_ids":["{diff}"]}}}}"#);
        let manifest = r#"[{"Config":"config.json","RepoTags":["evil:1"],"Layers":["layer.tar"]}]"#;
        let mut a = tar::Builder::new(Vec::new());
        for (name, data) in [("config.json", config.as_bytes()), ("layer.tar", &layer[..]), ("manifest.json", manifest.as_bytes())] {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            a.append_data(&mut h, name, data).unwrap();
        }
        sb.write_file("evil.tar", &a.into_inner().unwrap()).unwrap();
        let out = sb.run_line("docker load -i evil.tar && docker run --rm evil:1 true", &[]);
        if out.status != 0 && text(&out).contains("..") { Ok(format!("refused: {}", said(&out))) } else { Err(text(&out)) }
    }),
    ("contexts", "a build context symlink to a host file", |sb| {
        sb.write_file("ctx/Dockerfile", b"FROM alpine:3.20\nCOPY passwd /stolen\n").unwrap();
        sb.run_line("ln -s /etc/passwd ctx/passwd", &[]);
        let host = String::from_utf8_lossy(&sb.run_line("cat /etc/passwd", &[]).stdout).into_owned();
        if !host.lines().any(|l| !l.starts_with("root:")) {
            return Err(format!("the host's passwd has no account of its own to recognise: {host}"));
        }
        let out = sb.run_line("docker build -q -t stolen ctx && docker run --rm stolen sh -c 'ls -l /stolen; cat /stolen'", &[]);
        // The sandbox host's own passwd (its student account) must not come through.
        let leaked = host.lines().filter(|l| !l.starts_with("root:")).any(|l| text(&out).contains(l));
        if leaked { Err(text(&out)) } else { Ok(format!("contained: {}", text(&out).lines().find(|l| l.contains("/stolen")).unwrap_or("(nothing)"))) }
    }),
    ("names", "a volume name that climbs out of the state directory", |sb| {
        let out = sb.run_line("docker volume create a/../../../../tmp/x", &[]);
        if out.status != 0 { Ok(format!("refused: {}", said(&out))) } else { Err(text(&out)) }
    }),
    ("names", "a container name with a slash", |sb| {
        let out = sb.run_line("docker run --name a/b alpine:3.20 true", &[]);
        if out.status != 0 { Ok(format!("refused: {}", said(&out))) } else { Err(text(&out)) }
    }),
    ("nesting", "100,000 nested { in a shell script", |sb| {
        let script = format!("{}true; {}", "{ ".repeat(100_000), "} ".repeat(100_000));
        sb.write_file("deep.sh", script.as_bytes()).unwrap();
        let out = sb.run_line("sh deep.sh", &[]);
        if out.status != 0 { Ok(format!("refused: {}", said(&out))) } else { Err(text(&out)) }
    }),
    ("nesting", "ENV with ${X:-…} 10,000 deep in a build", |sb| {
        let deep = format!("FROM alpine:3.20\nENV A={}x{}\n", "${X:-".repeat(10_000), "}".repeat(10_000));
        sb.write_file("deepenv/Dockerfile", deep.as_bytes()).unwrap();
        let out = sb.run_line("docker build deepenv", &[]);
        let t = text(&out);
        if out.status != 0 && t.contains("nest more than") { Ok("refused: variable substitutions nest more than 200 levels deep".into()) } else { Err(t) }
    }),
    ("nesting", "a compose file with a flow list 100,000 deep", |sb| {
        let deep = format!("services:\n  a:\n    image: alpine:3.20\n    command: {}x{}\n", "[".repeat(100_000), "]".repeat(100_000));
        sb.write_file("deepc/compose.yaml", deep.as_bytes()).unwrap();
        let out = sb.run_line("cd deepc && docker compose config", &[]);
        if out.status != 0 { Ok(format!("refused: {}", said(&out))) } else { Err(text(&out)) }
    }),
    ("bombs", "a YAML alias bomb in a compose file", |sb| {
        let mut bomb = String::from("x0: &a0 [x, x]\n");
        for i in 1..30 {
            bomb.push_str(&format!("x{i}: &a{i} [*a{}, *a{}]\n", i - 1, i - 1));
        }
        bomb.push_str("services:\n  a:\n    image: alpine:3.20\n");
        sb.write_file("bomb/compose.yaml", bomb.as_bytes()).unwrap();
        let out = sb.run_line("cd bomb && docker compose config", &[]);
        if out.status != 0 { Ok(format!("refused: {}", said(&out))) } else { Err(text(&out)) }
    }),
    ("bombs", "head -c 16 of a 700 MB modelled library", |sb| {
        let out = sb.run_line("docker run --rm python:3.12-slim sh -c 'f=$(ls /usr/local/lib/libpython3*.so* | head -n 1); head -c 16 \"$f\" | wc -c'", &[]);
        if out.status == 0 && String::from_utf8_lossy(&out.stdout).trim() == "16" { Ok("16 bytes read".into()) } else { Err(text(&out)) }
    }),
    ("quotas", "a container writing past --storage-opt size=1m", |sb| {
        let out = sb.run_line("docker run --rm --storage-opt size=1m alpine:3.20 sh -c 'printf %0600000d 0 > /a; printf %0600000d 0 > /b'", &[]);
        if out.status != 0 && text(&out).contains("No space left on device") { Ok(format!("ENOSPC: {}", said(&out))) } else { Err(text(&out)) }
    }),
    ("mounts", "a symlink in a bind mount to a file outside it, written from the container", |sb| {
        let before = String::from_utf8_lossy(&sb.run_line("cat /etc/passwd", &[]).stdout).into_owned();
        sb.write_file("shared/keep.txt", b"keep\n").unwrap();
        sb.run_line("ln -s /etc/passwd shared/link; ln -s ../../../../etc/passwd shared/up", &[]);
        let out = sb.run_line("docker run --rm -v $PWD/shared:/d alpine:3.20 sh -c 'echo owned > /d/link; echo owned > /d/up; echo done'", &[]);
        let after = String::from_utf8_lossy(&sb.run_line("cat /etc/passwd", &[]).stdout).into_owned();
        if after == before && !after.contains("owned") { Ok(format!("contained: the host's /etc/passwd is unchanged ({})", said(&out))) } else { Err(format!("{}\nhost passwd now:\n{after}", text(&out))) }
    }),
    ("mounts", "docker cp into a folder where a container planted a symlink out of it", |sb| {
        let before = String::from_utf8_lossy(&sb.run_line("cat /etc/passwd", &[]).stdout).into_owned();
        sb.run_line("mkdir -p drop", &[]);
        let planted = sb.run_line("docker run --rm -v $PWD/drop:/d alpine:3.20 ln -s /etc/passwd /d/passwd", &[]);
        if planted.status != 0 {
            return Err(text(&planted));
        }
        let out = sb.run_line("docker create --name src alpine:3.20 true && docker cp src:/etc/hostname drop/passwd", &[]);
        let after = String::from_utf8_lossy(&sb.run_line("cat /etc/passwd", &[]).stdout).into_owned();
        if after == before { Ok(format!("contained: {}", said(&out))) } else { Err(text(&out)) }
    }),
    ("lessons", "a lesson whose verify script loops for ever", |sb| {
        sb.write_file("les/index.json", br#"{"title":"loop","details":{"steps":[{"title":"s","text":"step1.md","verify":"verify1.sh"}]}}"#).unwrap();
        sb.write_file("les/step1.md", b"# Wait\n").unwrap();
        sb.write_file("les/verify1.sh", b"while :; do :; done\n").unwrap();
        let out = sb.run_line("berth lesson check les", &[]);
        let t = text(&out);
        if out.status != 0 && t.contains("the script was stopped") { Ok(format!("stopped: {}", t.lines().find(|l| l.contains("was stopped")).unwrap_or("").trim().chars().take(120).collect::<String>())) } else { Err(t) }
    }),
    ("lessons", "a lesson's background script that waits for a file that never comes", |sb| {
        sb.write_file("wait/index.json", br#"{"title":"wait","details":{"intro":{"text":"intro.md","background":"bg.sh"},"steps":[{"title":"s","text":"step1.md","checks":[{"file":"x"}]}]}}"#).unwrap();
        sb.write_file("wait/intro.md", b"# Hi\n").unwrap();
        sb.write_file("wait/step1.md", b"# Go\n").unwrap();
        sb.write_file("wait/bg.sh", b"until [ -f /never ]; do sleep 1; done\n").unwrap();
        let out = sb.run_line("berth lesson check wait", &[]);
        let t = text(&out);
        if out.status != 0 && t.contains("background") { Ok(format!("stopped: {}", said(&out))) } else { Err(t) }
    }),
    ("lessons", "a step's Markdown with terminal escape sequences (OSC 52 clipboard)", |sb| {
        sb.write_file("esc/index.json", br#"{"title":"esc","details":{"steps":[{"title":"s","text":"step1.md","checks":[{"file":"x"}]}]}}"#).unwrap();
        sb.write_file("esc/step1.md", b"# Step\n\x1b]52;c;ZXZpbA==\x07 and \x1b[2J cleared\n").unwrap();
        let out = sb.run_line("berth lesson run esc", b":quit\n");
        let t = text(&out);
        if !t.contains('\x1b') || !t.contains("]52;") { Ok("sanitized: no escape sequence reached the terminal".into()) } else { Err(t.escape_debug().to_string()) }
    }),
    ("runaway", "a container looping for ever", |sb| {
        let out = sb.run_line("docker run --rm alpine:3.20 sh -c 'while :; do :; done'", &[]);
        if out.status == 137 && text(&out).contains("was stopped after") { Ok(format!("stopped with status {}: {}", out.status, said(&out))) } else { Err(text(&out)) }
    }),
];

#[test]
fn hostile_inputs_are_contained_and_each_says_what_happened() {
    let mut failed = Vec::new();
    for (group, case, run) in CASES {
        let mut sb = Sandbox::new(Rc::new(FixedClock(1_700_000_000)));
        match run(&mut sb) {
            Ok(what) => println!("hostile: {group}: {case}: {what}"),
            Err(out) => {
                println!("hostile: {group}: {case}: NOT CONTAINED");
                failed.push(format!("{group}: {case}:\n{}", out.chars().take(2000).collect::<String>()));
            }
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n\n"));
}
