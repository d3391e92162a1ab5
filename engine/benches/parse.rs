//! Front-end throughput: parses, converts and lints a generated 100,000-line Dockerfile
//! and the conformance files, printing figures. Run with `cargo bench -p engine --bench parse`.

use std::time::{Duration, Instant};

use engine::dockerfile::{instructions, lint, parse};

/// A Dockerfile of `lines` lines mixing every kind of instruction, continuations,
/// comments and heredocs.
fn generate(lines: usize) -> String {
    let mut s = String::from("# syntax=docker/dockerfile:1\nARG BASE=python:3.11-slim\n");
    let mut n = 2;
    let mut stage = 0;
    while n < lines {
        s.push_str(&format!("FROM ${{BASE}} AS stage{stage}\n"));
        stage += 1;
        n += 1;
        for i in 0..40 {
            if n >= lines {
                break;
            }
            let chunk = match i % 8 {
                0 => "ENV PATH=\"/opt/venv/bin:$PATH\" LANG=C.UTF-8\n".to_string(),
                1 => "RUN apt-get update && \\\n    apt-get install -y --no-install-recommends gcc && \\\n    rm -rf /var/lib/apt/lists/*\n".to_string(),
                2 => "# a comment between instructions\n".to_string(),
                3 => format!("COPY --chown=1000:1000 src/{i} /app/{i}\n"),
                4 => "RUN <<EOF\npip install --no-cache-dir -r requirements.txt\necho done\nEOF\n".to_string(),
                5 => "WORKDIR /app\n".to_string(),
                6 => "LABEL org.opencontainers.image.title=\"bench\" version=\"1\"\n".to_string(),
                _ => "CMD [\"python\", \"-u\", \"train.py\"]\n".to_string(),
            };
            n += chunk.lines().count();
            s.push_str(&chunk);
        }
    }
    s
}

fn time<T>(iterations: u32, mut f: impl FnMut() -> T) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..iterations {
        let start = Instant::now();
        std::hint::black_box(f());
        best = best.min(start.elapsed());
    }
    best
}

fn main() {
    let source = generate(100_000);
    let lines = source.lines().count();
    let mb = source.len() as f64 / 1e6;
    println!("generated Dockerfile: {lines} lines, {mb:.1} MB");
    let t = time(5, || parse(&source));
    println!("parse:                {:>8.1} ms  ({:.0} lines/s, {:.0} MB/s)", t.as_secs_f64() * 1e3, lines as f64 / t.as_secs_f64(), mb / t.as_secs_f64());
    let (file, _) = parse(&source);
    let t = time(5, || instructions::from_ast(&file));
    println!("typed instructions:   {:>8.1} ms", t.as_secs_f64() * 1e3);
    let t = time(3, || lint::lint(&source, &lint::LintOptions::default()));
    println!("parse + lint:         {:>8.1} ms", t.as_secs_f64() * 1e3);

    let dir = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/buildkit/parser/testfiles");
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let files: Vec<String> = entries.flatten().filter_map(|e| std::fs::read_to_string(e.path().join("Dockerfile")).ok()).collect();
        let t = time(20, || files.iter().map(|f| parse(f).0.instructions.len()).sum::<usize>());
        println!("33 BuildKit test files: {:>6.3} ms per pass", t.as_secs_f64() * 1e3);
    }
}
