//! Speed of the emulated userland: a shell loop through a pipeline, `pip install` of a
//! project with dependencies, and the engine-internal time of `run --rm alpine echo hi`
//! (image already pulled, state in memory). Prints median times.
//! Run with `cargo bench -p engine --bench userland`.
//!
//! Not measured yet: `python -c "print(1)"` cold and warm start, which needs the
//! CPython-for-WASI interpreter the engine does not run yet.

#![allow(clippy::unwrap_used)] // a benchmark: failing loudly is fine

use std::time::{Duration, Instant};

use engine::cli::{self, Host};
use engine::image::store::{SharedStorage, Storage};
use engine::shell::{Flavor, Shell};
use engine::vfs::{FileSystem, MemoryFs};

struct BenchHost(SharedStorage);

impl Host for BenchHost {
    fn read_file(&self, path: &str) -> Result<Vec<u8>, String> {
        Err(format!("open {path}: no such file or directory"))
    }
    fn write_file(&self, _: &str, _: &[u8]) -> Result<(), String> {
        Ok(())
    }
    fn storage(&self) -> Result<Box<dyn Storage>, String> {
        Ok(Box::new(self.0.clone()))
    }
    fn now(&self) -> i64 {
        0
    }
    fn bind(&self, path: &str) -> Result<Box<dyn FileSystem>, String> {
        Err(format!("{path}: no such file or directory"))
    }
    fn context(&self, path: &str) -> Result<Box<dyn FileSystem>, String> {
        Err(format!("path \"{path}\" not found"))
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn time<F: FnMut()>(runs: usize, mut f: F) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let mut fs = MemoryFs::new();
    let loop_time = time(20, || {
        let mut sh = Shell::new(&mut fs, Flavor::Dash);
        let out = sh.run_str("for i in $(seq 1 1000); do echo $i; done | wc -l", b"");
        assert_eq!(out.stdout, b"1000\n");
    });
    println!("sh -c 'for i in $(seq 1 1000); do echo $i; done | wc -l'   {:>9.3} ms", loop_time.as_secs_f64() * 1e3);

    let host = BenchHost(SharedStorage::default());
    let argv = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
    assert_eq!(cli::run(&argv("pull alpine:3.20"), &host).code, 0);
    let run_time = time(200, || {
        let out = cli::run(&argv("run --rm alpine:3.20 echo hi"), &host);
        assert_eq!(out.stdout, "hi\n");
    });
    println!("run --rm alpine:3.20 echo hi (engine-internal)               {:>9.3} ms", run_time.as_secs_f64() * 1e3);

    assert_eq!(cli::run(&argv("pull python:3.11-slim"), &host).code, 0);
    let pip_time = time(10, || {
        let out = cli::run(&argv("run --rm python:3.11-slim pip install -q flask requests"), &host);
        assert_eq!(out.code, 0, "{}", out.stderr);
    });
    println!("run --rm python:3.11-slim pip install flask requests        {:>9.3} ms", pip_time.as_secs_f64() * 1e3);
}
