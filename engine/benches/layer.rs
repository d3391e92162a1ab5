//! Layer creation speed: tar + gzip + sha256 of a 256 MB directory tree by the engine
//! (read through `HostFs`, gzip members compressed on all cores, both digests computed on
//! the way) against the `tar | gzip -6 | sha256sum` pipeline on the same data, in one run.
//! Run with `cargo bench -p engine --bench layer` (set `BERTH_BENCH_MB` for another size).

#![allow(clippy::unwrap_used)] // a benchmark: failing loudly is fine

use std::path::Path;
use std::process::Command;
use std::time::Instant;

use engine::image::layer::{compress, tar_of, LayerOptions};
use engine::vfs::HostFs;

/// xorshift64*: reproducible data without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

const WORDS: &[&str] = &[
    "import", "numpy", "as", "np", "def", "return", "self", "for", "in", "range", "if", "else", "class", "tensor", "model", "train", "data", "None", "True", "print", "with", "open", "yield", "lambda", "float", "int", "=", "(", ")", ":", "\n    ",
];

/// A tree like a Python environment: many source files (compressible text) and some
/// shared libraries (mostly incompressible), `total` bytes in all.
fn generate(root: &Path, total: usize) {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    let mut written = 0;
    let mut n: usize = 0;
    while written < total {
        let dir = root.join(format!("site-packages/pkg{}/sub{}", n / 50, n % 7));
        std::fs::create_dir_all(&dir).unwrap();
        let (name, data) = if n.is_multiple_of(10) {
            // A binary: random bytes with some zero runs, like a .so.
            let len = 1 << 20;
            let mut v = Vec::with_capacity(len);
            while v.len() < len {
                let r = rng.next();
                if r.is_multiple_of(4) {
                    v.extend(std::iter::repeat_n(0u8, (r % 512) as usize));
                } else {
                    v.extend_from_slice(&r.to_le_bytes());
                }
            }
            v.truncate(len);
            (format!("lib{n}.so"), v)
        } else {
            let len = 20_000 + (rng.next() % 60_000) as usize;
            let mut s = String::with_capacity(len);
            while s.len() < len {
                s.push_str(WORDS[(rng.next() % WORDS.len() as u64) as usize]);
                s.push(' ');
                if rng.next().is_multiple_of(9) {
                    s.push_str(&format!("x{}", rng.next() % 1000));
                }
            }
            (format!("module{n}.py"), s.into_bytes())
        };
        written += data.len();
        std::fs::write(dir.join(name), data).unwrap();
        n += 1;
    }
}

fn main() {
    let mb: usize = std::env::var("BERTH_BENCH_MB").ok().and_then(|v| v.parse().ok()).unwrap_or(256);
    let root = std::env::temp_dir().join(format!("berth-layer-bench-{mb}"));
    if !root.join(".complete").exists() {
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        generate(&root, mb << 20);
        std::fs::write(root.join(".complete"), b"").unwrap();
    }
    // Warm the page cache for both contenders.
    let _ = Command::new("sh").arg("-c").arg(format!("tar -C {} -cf - . > /dev/null", root.display())).status();

    let start = Instant::now();
    let fs = HostFs::new(&root);
    let tar = tar_of(&fs, &LayerOptions::default()).expect("tar");
    let tar_len = tar.len();
    let blob = compress(tar, &LayerOptions::default());
    let ours = start.elapsed().as_secs_f64();

    let start = Instant::now();
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!("tar -C {} -cf - . | gzip -6 | sha256sum", root.display()))
        .output()
        .expect("the tar | gzip | sha256sum pipeline runs");
    let pipeline = start.elapsed().as_secs_f64();
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());

    println!("tree: {mb} MB generated, tar stream {:.1} MB", tar_len as f64 / 1e6);
    println!("berth (tar+gzip-6+sha256, {threads} threads): {ours:>6.2} s  -> {:.1} MB compressed, {}", blob.data.len() as f64 / 1e6, blob.digest);
    println!(
        "tar | gzip -6 | sha256sum:                  {pipeline:>6.2} s  -> {}",
        String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap_or("?")
    );
    println!("speed-up: {:.2}x", pipeline / ours);
}
