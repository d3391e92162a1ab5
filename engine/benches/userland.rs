//! Speed of the emulated userland and the engine: a shell loop through a pipeline,
//! `pip install` of a project with dependencies, the engine-internal time of
//! `run --rm alpine echo hi` (image already pulled, state in memory), and a cold build and
//! a fully cached rebuild of an 8-step Dockerfile, and `python -c "print(1)"` on the real
//! interpreter (CPython for WASI under wasmtime): cold with a compile, cold with the
//! compiled module cached on disk, and warm. Prints median times.
//! A detached shell service (`while true; do echo tick; sleep 1; done`) brought up to the
//! present ten minutes after it started (600 of its sleeps replayed and run), and looked
//! at again a second later (600 replayed, one run).
//! Where podman is installed, a RUN-free 8-step Dockerfile is also built by `podman build`
//! and by Berth from the same base image, as the reference.
//! Run with `cargo bench -p engine --bench userland` (after `scripts/build-python`).

#![allow(clippy::unwrap_used)] // a benchmark: failing loudly is fine

use std::time::{Duration, Instant};

use engine::cli;
use engine::image::store::{SharedStorage, Storage};
use engine::shell::{Flavor, Shell};
use engine::vfs::{FileSystem, MemoryFs};

struct BenchHost(SharedStorage, MemoryFs, std::cell::Cell<i64>);

impl engine::host::Files for BenchHost {
    fn read_file(&self, path: &str) -> Result<Vec<u8>, String> {
        self.1.read(&engine::vfs::join("/", path)).map_err(|_| format!("open {path}: no such file or directory"))
    }

    fn write_file(&self, _: &str, _: &[u8]) -> Result<(), String> {
        Ok(())
    }

    fn storage(&self) -> Result<Box<dyn Storage>, String> {
        Ok(Box::new(self.0.clone()))
    }

    fn bind(&self, path: &str) -> Result<Box<dyn FileSystem>, String> {
        Err(format!("{path}: no such file or directory"))
    }

    fn context(&self, _: &str) -> Result<Box<dyn FileSystem>, String> {
        Ok(Box::new(self.1.clone()))
    }
}

impl engine::host::Clock for BenchHost {
    fn now(&self) -> i64 {
        self.2.get()
    }
}

impl engine::host::Console for BenchHost {}

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

    let mut context = MemoryFs::new();
    context.write("/Dockerfile", DOCKERFILE.as_bytes()).unwrap();
    context.write("/requirements.txt", b"flask\nrequests\n").unwrap();
    context.write("/app.py", b"print('hello')\n").unwrap();
    let host = BenchHost(SharedStorage::default(), context, std::cell::Cell::new(0));
    let argv = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
    assert_eq!(cli::run(&argv("pull alpine:3.20"), &host).code, 0);
    let run_time = time(200, || {
        let out = cli::run(&argv("run --rm alpine:3.20 echo hi"), &host);
        assert_eq!(out.stdout_text(), "hi\n");
    });
    println!("run --rm alpine:3.20 echo hi (engine-internal)               {:>9.3} ms", run_time.as_secs_f64() * 1e3);

    assert_eq!(cli::run(&argv("pull python:3.11-slim"), &host).code, 0);
    let pip_time = time(10, || {
        let out = cli::run(&argv("run --rm python:3.11-slim pip install -q flask requests"), &host);
        assert_eq!(out.code, 0, "{}", out.stderr_text());
    });
    println!("run --rm python:3.11-slim pip install flask requests        {:>9.3} ms", pip_time.as_secs_f64() * 1e3);

    let cold = time(5, || {
        let out = cli::run(&argv("build --no-cache -q -t bench ."), &host);
        assert_eq!(out.code, 0, "{}", out.stderr_text());
    });
    println!("build of an 8-step Dockerfile, cold (--no-cache)             {:>9.3} ms", cold.as_secs_f64() * 1e3);
    let cached = time(50, || {
        let out = cli::run(&argv("build -q -t bench ."), &host);
        assert_eq!(out.code, 0, "{}", out.stderr_text());
    });
    println!("build of the same Dockerfile, fully cached                   {:>9.3} ms", cached.as_secs_f64() * 1e3);

    catch_up(&host);
    python(&host);
    podman_reference(&host);
}

/// The cost of a detached service's time passing: replaying its journal and running on.
fn catch_up(host: &BenchHost) {
    let argv = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
    let (mut first, mut again) = (Vec::new(), Vec::new());
    for round in 0..10 {
        host.2.set(1_000_000 * round);
        let name = format!("ticker{round}");
        let mut run = argv(&format!("run -d --name {name} alpine:3.20 sh -c"));
        run.push("i=0; while true; do i=$((i+1)); echo tick $i; sleep 1; done".into());
        assert_eq!(cli::run(&run, host).code, 0);
        host.2.set(1_000_000 * round + 600);
        let t = Instant::now();
        let out = cli::run(&argv(&format!("logs --tail 1 {name}")), host);
        first.push(t.elapsed());
        assert_eq!(out.stdout_text(), "tick 601\n");
        host.2.set(1_000_000 * round + 601);
        let t = Instant::now();
        let out = cli::run(&argv(&format!("logs --tail 1 {name}")), host);
        again.push(t.elapsed());
        assert_eq!(out.stdout_text(), "tick 602\n");
        assert_eq!(cli::run(&argv(&format!("rm -f {name}")), host).code, 0);
    }
    println!("detached shell service, 10 minutes on: catch-up on `logs`   {:>9.3} ms", median(first).as_secs_f64() * 1e3);
    println!("the same, one second later (600 sleeps replayed, 1 run)      {:>9.3} ms", median(again).as_secs_f64() * 1e3);
}

/// Where podman is installed: one RUN-free 8-step Dockerfile (podman cannot run the
/// catalog's programs, nor pull without a network) built by podman and by Berth from the
/// same base image, imported into podman and loaded into Berth from `podman save`.
fn podman_reference(host: &BenchHost) {
    use std::process::Command;
    let podman = |args: &[&str]| Command::new("podman").arg("--events-backend=file").args(args).output().ok().filter(|o| o.status.success());
    if podman(&["--version"]).is_none() {
        println!("podman build (reference): skipped, podman is not installed");
        return;
    }
    let dir = std::env::temp_dir().join(format!("berth-bench-podman-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("ctx")).unwrap();
    let mut b = tar::Builder::new(Vec::new());
    for (path, body) in [("etc/os-release", "ID=bench\n"), ("etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")] {
        let mut h = tar::Header::new_gnu();
        h.set_size(body.len() as u64);
        h.set_mode(0o644);
        b.append_data(&mut h, path, body.as_bytes()).unwrap();
    }
    std::fs::write(dir.join("rootfs.tar"), b.into_inner().unwrap()).unwrap();
    let base = "localhost/berth-bench-base:1";
    let base_tar = dir.join("base.tar");
    if podman(&["import", dir.join("rootfs.tar").to_str().unwrap(), base]).is_none() || podman(&["save", "--format", "docker-archive", "-o", base_tar.to_str().unwrap(), base]).is_none() {
        println!("podman build (reference): skipped, podman could not import a base image here");
        return;
    }
    let dockerfile = format!("FROM {base}\nWORKDIR /app\nENV APP_ENV=bench\nCOPY requirements.txt .\nCOPY app.py .\nLABEL org.example.stage=bench\nUSER 1000\nCMD [\"python\", \"app.py\"]\n");
    for (name, body) in [("Dockerfile", dockerfile.as_str()), ("requirements.txt", "flask\n"), ("app.py", "print('hello')\n")] {
        std::fs::write(dir.join("ctx").join(name), body).unwrap();
    }
    let ctx = dir.join("ctx");
    let ctx = ctx.to_str().unwrap();
    let podman_cold = time(3, || assert!(podman(&["build", "--no-cache", "-q", "-t", "localhost/berth-bench:1", ctx]).is_some()));
    let podman_cached = time(5, || assert!(podman(&["build", "-q", "-t", "localhost/berth-bench:1", ctx]).is_some()));
    // The same base and Dockerfile in Berth.
    let mut context = host.1.clone();
    context.write("/base.tar", &std::fs::read(&base_tar).unwrap()).unwrap();
    context.write("/ref.Dockerfile", dockerfile.as_bytes()).unwrap();
    let berth_host = BenchHost(host.0.clone(), context, std::cell::Cell::new(0));
    let argv = |s: &str| s.split(' ').map(str::to_string).collect::<Vec<_>>();
    assert_eq!(cli::run(&argv("load -q -i base.tar"), &berth_host).code, 0);
    let berth_cold = time(5, || assert_eq!(cli::run(&argv("build --no-cache -q -f ref.Dockerfile -t ref ."), &berth_host).code, 0));
    let berth_cached = time(20, || assert_eq!(cli::run(&argv("build -q -f ref.Dockerfile -t ref ."), &berth_host).code, 0));
    println!("8-step RUN-free Dockerfile, cold:   podman build {:>9.1} ms, berth {:>7.3} ms", podman_cold.as_secs_f64() * 1e3, berth_cold.as_secs_f64() * 1e3);
    println!("8-step RUN-free Dockerfile, cached: podman build {:>9.1} ms, berth {:>7.3} ms", podman_cached.as_secs_f64() * 1e3, berth_cached.as_secs_f64() * 1e3);
    let _ = podman(&["rmi", "-f", "localhost/berth-bench:1", base]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `python -c "print(1)"` in a container: a new runtime that compiles the interpreter,
/// a new runtime that loads the compiled module from its cache file, then warm runs.
fn python(host: &BenchHost) {
    use engine::wasi::native::{python_dir, Wasmtime};
    use std::rc::Rc;
    let Some(dir) = python_dir() else {
        println!("python -c \"print(1)\": skipped, the interpreter is not built (scripts/build-python)");
        return;
    };
    let native = engine::wasi::native::machine().unwrap();
    let with_runtime = |runtime: Wasmtime| engine::wasi::Machine { runtime: Rc::new(runtime), python: native.python.clone(), clock: native.clock.clone(), wheels: native.wheels.clone(), indexes: native.indexes.clone(), time_limit: None };
    let argv = ["run", "--rm", "python:3.11-slim", "python", "-c", "print(1)"].map(str::to_string);
    let mut once = || {
        let out = cli::run(&argv, host);
        assert_eq!(out.stdout_text(), "1\n", "{}", out.stderr_text());
    };
    let compile = time(3, || {
        engine::wasi::install(with_runtime(Wasmtime::new(None).unwrap()));
        once();
    });
    println!("python -c \"print(1)\", cold: compiles the interpreter          {:>9.3} ms", compile.as_secs_f64() * 1e3);
    engine::wasi::install(with_runtime(Wasmtime::new(Some(dir.clone())).unwrap()));
    once();
    let cached = time(10, || {
        engine::wasi::install(with_runtime(Wasmtime::new(Some(dir.clone())).unwrap()));
        once();
    });
    println!("python -c \"print(1)\", cold: compiled module from its cache     {:>9.3} ms", cached.as_secs_f64() * 1e3);
    let warm = time(30, &mut once);
    println!("python -c \"print(1)\", warm (engine-internal)                   {:>9.3} ms", warm.as_secs_f64() * 1e3);
}

const DOCKERFILE: &str = "FROM python:3.11-slim
WORKDIR /app
ENV PYTHONUNBUFFERED=1
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
RUN useradd -m app && mkdir -p /app/data
COPY app.py .
USER app
CMD [\"python\", \"app.py\"]
";
