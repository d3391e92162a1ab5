//! A small deterministic fuzz run inside the normal test suite: byte-level mutations of
//! every conformance Dockerfile must parse, convert and lint without a panic. The
//! coverage-guided fuzzer (`scripts/fuzz`) goes much further.

use crate::support::root;
use engine::dockerfile::{dump, instructions, lint, parse};

/// xorshift64*: reproducible pseudo-random numbers without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const INTERESTING: &[&[u8]] = &[b"\\", b"`", b"\n", b"<<EOF", b"<<-'E'", b"${", b"}", b"[\"", b"\"]", b"--", b"=", b"#", b" ", b"\t", b"\r\n", b"ONBUILD ", b"$", b"\xc3\xa0", b"'", b"\""];

#[test]
fn mutated_conformance_files_never_panic() {
    let mut seeds: Vec<Vec<u8>> = Vec::new();
    let base = root().join("buildkit/parser");
    for dir in ["testfiles", "testfiles-negative"] {
        for entry in std::fs::read_dir(base.join(dir)).expect("conformance data present").flatten() {
            if let Ok(bytes) = std::fs::read(entry.path().join("Dockerfile")) {
                seeds.push(bytes);
            }
        }
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut runs = 0;
    for seed in &seeds {
        for _ in 0..40 {
            let mut data = seed.clone();
            for _ in 0..1 + rng.below(8) {
                let at = rng.below(data.len() + 1);
                match rng.below(3) {
                    0 => {
                        let piece = INTERESTING[rng.below(INTERESTING.len())];
                        data.splice(at..at, piece.iter().copied());
                    }
                    1 if !data.is_empty() => {
                        let end = (at + rng.below(16)).min(data.len());
                        data.drain(at.min(end)..end);
                    }
                    _ => data.insert(at, (rng.next() & 0xff) as u8),
                }
            }
            let source = String::from_utf8_lossy(&data);
            let (file, _) = parse(&source);
            let _ = dump(&file);
            let _ = instructions::from_ast(&file);
            let _ = lint::lint(&source, &lint::LintOptions { dockerignore: Some("*\n!a".into()), ..Default::default() });
            runs += 1;
        }
    }
    println!("robustness: {runs} mutated Dockerfiles parsed and linted without a panic");
}

#[test]
fn mutated_builds_never_panic() {
    use engine::build::{build, BuildRequest};
    use engine::image::catalog::Catalog;
    use engine::image::ImageStore;
    use engine::vfs::{FileSystem, MemoryFs};
    let seeds = [
        "FROM alpine:3.20 AS base\nWORKDIR /app\nCOPY . .\nRUN ls -la && echo ok > /out\nFROM scratch\nCOPY --from=base /out /\nCMD [\"x\"]\n",
        "ARG V=3.20\nFROM alpine:${V}\nENV A=1 B=\"x y\"\nRUN <<EOF\necho $A\nEOF\nCOPY <<EOF /f\n$B\nEOF\nUSER nobody\nEXPOSE 80/tcp\nENTRYPOINT [\"sh\"]\n",
        "FROM busybox\nRUN adduser -D u && mkdir -m 0777 /out\nCOPY --chown=u:u --chmod=640 a /out/\nRUN stat -c '%U %a' /out/a\n",
    ];
    let mut context = MemoryFs::new();
    context.write("/a", b"data").unwrap();
    context.write("/.dockerignore", b"*.log\n").unwrap();
    let catalog = Catalog::embedded();
    let mut rng = Rng(0x5eed_1234_5678_9abc);
    let mut runs = 0;
    let mut store = ImageStore::in_memory();
    for seed in seeds {
        for _ in 0..60 {
            let mut data = seed.as_bytes().to_vec();
            for _ in 0..1 + rng.below(6) {
                let at = rng.below(data.len() + 1);
                match rng.below(3) {
                    0 => {
                        let piece = INTERESTING[rng.below(INTERESTING.len())];
                        data.splice(at..at, piece.iter().copied());
                    }
                    1 if !data.is_empty() => {
                        let end = (at + rng.below(12)).min(data.len());
                        data.drain(at.min(end)..end);
                    }
                    _ => data.insert(at, (rng.next() & 0x7f) as u8),
                }
            }
            let dockerfile = String::from_utf8_lossy(&data).into_owned();
            let req = BuildRequest { dockerfile, dockerfile_name: "Dockerfile".into(), context: &context, tags: vec!["fuzz:1".into()], target: None, build_args: vec![("V".into(), "3.19".into())], labels: Vec::new(), no_cache: false, now: 0, clock: None, progress: None, runtime: String::new(), disk: None, network: String::new(), remote: None, pull: false, secrets: Vec::new() };
            let _ = build(&mut store, &catalog, &req);
            runs += 1;
        }
    }
    println!("robustness: {runs} mutated builds ran without a panic");
}
