//! The OCI runtime face (`berth oci …`, and the binary as `berth-oci`) end to end: a
//! bundle's lifecycle through runc's command line, its errors, and podman running
//! containers with Berth as its runtime. Root only, as the native runtime is; they take
//! turns with the native tests (one lock).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::native::{busybox_rootfs, is_root, ONE_AT_A_TIME};

struct Bundle {
    dir: PathBuf,
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl Drop for Bundle {
    fn drop(&mut self) {
        for e in std::fs::read_dir(self.dir.join("state")).into_iter().flatten().filter_map(Result::ok) {
            let _ = self.oci(&["delete", "--force", &e.file_name().to_string_lossy()]);
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A config as runc's `spec` writes it, running `args`.
fn config(args: &[&str], terminal: bool) -> serde_json::Value {
    serde_json::json!({
        "ociVersion": "1.2.0",
        "process": { "terminal": terminal, "user": { "uid": 0, "gid": 0 }, "args": args, "env": ["PATH=/bin", "TERM=xterm"], "cwd": "/",
            "capabilities": { "bounding": ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE"], "effective": ["CAP_KILL"], "permitted": ["CAP_KILL"] },
            "rlimits": [{ "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 }], "noNewPrivileges": true },
        "root": { "path": "rootfs", "readonly": true },
        "hostname": "oci-test",
        "mounts": [
            { "destination": "/proc", "type": "proc", "source": "proc" },
            { "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"] },
            { "destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"] },
            { "destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"] },
            { "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"] },
            { "destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"] },
            { "destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"] },
            { "destination": "/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev"] }
        ],
        "linux": {
            "resources": { "devices": [{ "allow": false, "access": "rwm" }], "pids": { "limit": 50 } },
            "namespaces": [{ "type": "pid" }, { "type": "network" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" }, { "type": "cgroup" }],
            "maskedPaths": ["/proc/kcore", "/proc/keys"],
            "readonlyPaths": ["/proc/sys"]
        }
    })
}

impl Bundle {
    fn new(name: &str, config: serde_json::Value) -> Option<Bundle> {
        if !is_root() {
            println!("not root: the native runtime needs root; skipped");
            return None;
        }
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let dir = std::env::temp_dir().join(format!("berth-oci-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("rootfs")).unwrap();
        tar::Archive::new(&busybox_rootfs()[..]).unpack(dir.join("rootfs")).unwrap();
        let b = Bundle { dir, _turn: turn };
        b.configure(config);
        Some(b)
    }

    fn configure(&self, config: serde_json::Value) {
        std::fs::write(self.dir.join("config.json"), serde_json::to_vec_pretty(&config).unwrap()).unwrap();
    }

    fn oci(&self, args: &[&str]) -> Output {
        let state = self.dir.join("state");
        Command::new(env!("CARGO_BIN_EXE_berth")).arg("oci").arg("--root").arg(&state).args(args).current_dir(&self.dir).output().expect("berth runs")
    }

    /// As `oci`, with the output to files: a created container keeps its caller's
    /// streams (a pipe would stay open as long as it lives).
    fn oci_to_files(&self, args: &[&str]) -> Output {
        let (out, err) = (self.dir.join("out.txt"), self.dir.join("err.txt"));
        let status = Command::new(env!("CARGO_BIN_EXE_berth"))
            .arg("oci")
            .arg("--root")
            .arg(self.dir.join("state"))
            .args(args)
            .current_dir(&self.dir)
            .stdin(std::process::Stdio::null())
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap())
            .status()
            .expect("berth runs");
        Output { status, stdout: std::fs::read(&out).unwrap_or_default(), stderr: std::fs::read(&err).unwrap_or_default() }
    }

    fn state(&self, id: &str) -> serde_json::Value {
        let out = self.oci(&["state", id]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        serde_json::from_slice(&out.stdout).expect("state is JSON")
    }
}

/// podman with this `berth` as its OCI runtime (the binary under the name `berth-oci`),
/// its configuration and storage under `dir`, configured as it runs on this machine.
fn podman_in(dir: &Path) -> impl Fn(&[&str]) -> Output {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let runtime = bin.join("berth-oci");
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_berth"), &runtime).unwrap();
    let conf = dir.join("containers.conf");
    std::fs::write(&conf, "[containers]\ndefault_ulimits = [\"nofile=20000:20000\", \"nproc=4096:4096\"]\n[engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n").unwrap();
    let storage = dir.join("storage.conf");
    std::fs::write(&storage, format!("[storage]\ndriver = \"overlay\"\ngraphroot = \"{0}/podman/root\"\nrunroot = \"{0}/podman/run\"\n", dir.display())).unwrap();
    move |args: &[&str]| Command::new("timeout").arg("120").arg("podman").arg("--runtime").arg(&runtime).args(args).env("CONTAINERS_CONF", &conf).env("CONTAINERS_STORAGE_CONF", &storage).output().expect("podman runs")
}

/// A bundle directory for a podman test, podman in it (see [`podman_in`]), and busybox
/// imported into podman as `image` from `busybox.tar` there; `None` where the test
/// cannot run (not root, no podman), having said why.
fn podman_with_busybox(name: &str, image: &str) -> Option<(Bundle, impl Fn(&[&str]) -> Output, PathBuf)> {
    let b = Bundle::new(name, config(&["true"], false))?;
    if Command::new("podman").arg("--version").output().is_err() {
        println!("podman is not installed (scripts/test installs it on Debian); skipped");
        return None;
    }
    let podman = podman_in(&b.dir);
    let tar = b.dir.join("busybox.tar");
    std::fs::write(&tar, busybox_rootfs()).unwrap();
    let out = podman(&["import", tar.to_str().unwrap(), image]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    Some((b, podman, tar))
}

fn cgroup_exists(id: &str) -> bool {
    Path::new("/sys/fs/cgroup/pids/berth-oci").join(id).exists() || Path::new("/sys/fs/cgroup/berth-oci").join(id).exists()
}

#[test]
fn a_bundle_is_created_started_signalled_and_deleted_as_runc_does() {
    let Some(b) = Bundle::new("life", config(&["sleep", "30"], false)) else { return };
    let pid_file = b.dir.join("pid");
    let out = b.oci_to_files(&["create", "--bundle", b.dir.to_str().unwrap(), "--pid-file", pid_file.to_str().unwrap(), "box-1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let s = b.state("box-1");
    assert_eq!((s["status"].as_str(), s["id"].as_str(), s["ociVersion"].as_str()), (Some("created"), Some("box-1"), Some("1.2.0")));
    let pid = s["pid"].as_i64().unwrap();
    assert_eq!(std::fs::read_to_string(&pid_file).unwrap(), pid.to_string());
    assert_eq!(s["bundle"].as_str(), b.dir.canonicalize().unwrap().to_str());
    // Created: the process waits, not yet its program.
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap();
    assert!(!cmdline.starts_with(b"sleep"), "{}", String::from_utf8_lossy(&cmdline));
    let out = b.oci(&["create", "--bundle", b.dir.to_str().unwrap(), "box-1"]);
    assert!(text(&out).contains("container with id exists: box-1"), "{}", text(&out));

    let out = b.oci(&["start", "box-1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(b.state("box-1")["status"], "running");
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert!(std::fs::read(format!("/proc/{pid}/cmdline")).unwrap().starts_with(b"sleep\x0030"));
    let out = b.oci(&["ps", "--format", "json", "box-1"]);
    assert_eq!(serde_json::from_slice::<Vec<i64>>(&out.stdout).unwrap(), [pid], "{}", text(&out));
    let out = b.oci(&["start", "box-1"]);
    assert!(text(&out).contains("cannot start an already running container"), "{}", text(&out));
    // exec: beside it, in its namespaces and cgroups, with the command line's changes or
    // a process file; in the foreground with its status, or detached with its PID.
    let out = b.oci(&["exec", "--cwd", "/tmp", "-e", "GREETING=hi", "box-1", "sh", "-c", "echo $GREETING $(pwd) $(hostname); ps -o pid,comm | grep -c sleep; exit 4"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hi /tmp oci-test
1
", "{}", text(&out));
    let process = b.dir.join("process.json");
    std::fs::write(&process, r#"{"user":{"uid":1000,"gid":1000},"args":["sh","-c","id -u > /tmp/who; grep NoNewPrivs /proc/self/status >> /tmp/who; sleep 30"],"env":["PATH=/bin"],"cwd":"/","noNewPrivileges":true}"#).unwrap();
    let exec_pid = b.dir.join("exec.pid");
    let out = b.oci_to_files(&["exec", "--detach", "--process", process.to_str().unwrap(), "--pid-file", exec_pid.to_str().unwrap(), "box-1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let pid2: i64 = std::fs::read_to_string(&exec_pid).unwrap().parse().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(100));
    let out = b.oci(&["ps", "--format", "json", "box-1"]);
    let mut pids = serde_json::from_slice::<Vec<i64>>(&out.stdout).unwrap();
    pids.sort();
    assert_eq!(pids, { let mut v = vec![pid, pid2]; v.sort(); v }, "{}", text(&out));
    let out = b.oci(&["exec", "box-1", "cat", "/tmp/who"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1000\nNoNewPrivs:\t1\n", "{}", text(&out));
    let out = b.oci(&["exec", "box-1", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("exec: \"nope\": executable file not found in $PATH"), "{}", text(&out));
    // pause and resume: the freezer.
    let out = b.oci(&["resume", "box-1"]);
    assert!(text(&out).contains("container not paused"), "{}", text(&out));
    assert_eq!(b.oci(&["pause", "box-1"]).status.code(), Some(0));
    assert_eq!(b.state("box-1")["status"], "paused");
    let out = b.oci(&["exec", "box-1", "true"]);
    assert!(text(&out).contains("cannot exec in a paused container"), "{}", text(&out));
    assert_eq!(b.oci(&["resume", "box-1"]).status.code(), Some(0));
    assert_eq!(b.state("box-1")["status"], "running");
    let out = b.oci(&["delete", "box-1"]);
    assert!(text(&out).contains("cannot delete container box-1 that is not stopped: running"), "{}", text(&out));
    assert!(cgroup_exists("box-1"));

    let out = b.oci(&["kill", "box-1", "KILL"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // The process is this test's grandchild: init reaps it once `create` has exited.
    // (A PID namespace's first process ends after the others in it are reaped, and the
    // detached exec's parent is init too, which may reap slowly.)
    for _ in 0..1000 {
        if b.state("box-1")["status"] == "stopped" {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert_eq!(b.state("box-1")["status"], "stopped");
    let out = b.oci(&["delete", "box-1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!b.dir.join("state/box-1").exists());
    assert!(!cgroup_exists("box-1"), "the cgroup is removed");
    let out = b.oci(&["state", "box-1"]);
    assert!(text(&out).contains("container does not exist: box-1"), "{}", text(&out));
}

#[test]
fn run_follows_the_config_and_returns_the_process_status() {
    let script = "echo host=$(hostname); ls /dev; cat /proc/self/status | grep -E '^(NoNewPrivs|CapBnd)'; ulimit -n; touch /ro 2>&1; touch /tmp/ok && echo tmp-ok; cat /proc/kcore | wc -c; exit 7";
    let Some(b) = Bundle::new("run", config(&["sh", "-c", script], false)) else { return };
    let out = b.oci(&["run", "--bundle", b.dir.to_str().unwrap(), "box-2"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out));
    assert!(stdout.contains("host=oci-test"), "{stdout}");
    for node in ["null", "zero", "urandom", "tty", "ptmx", "pts", "shm", "mqueue", "stdout"] {
        assert!(stdout.lines().any(|l| l == node), "/dev/{node} in {stdout}");
    }
    assert!(stdout.contains("NoNewPrivs:\t1"), "{stdout}");
    // CAP_KILL (5), CAP_NET_BIND_SERVICE (10), CAP_AUDIT_WRITE (29).
    assert!(stdout.contains(&format!("CapBnd:\t{:016x}", (1u64 << 5) | (1 << 10) | (1 << 29))), "{stdout}");
    assert!(stdout.contains("\n1024\n"), "{stdout}");
    assert!(stdout.contains("Read-only file system"), "{stdout}");
    assert!(stdout.contains("tmp-ok"), "{stdout}");
    assert!(stdout.lines().any(|l| l.trim() == "0"), "/proc/kcore is masked: {stdout}");
    assert!(!b.dir.join("state/box-2").exists(), "run deletes what it created");
    assert!(!cgroup_exists("box-2"));
}

#[test]
fn bad_bundles_are_refused_naming_what_is_wrong() {
    let Some(b) = Bundle::new("bad", config(&["nope"], false)) else { return };
    let bundle = b.dir.to_str().unwrap().to_string();
    let out = b.oci(&["create", "--bundle", &bundle, "box-3"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("exec: \"nope\": executable file not found in $PATH"), "{}", text(&out));
    let mut c = config(&["sh"], false);
    c["process"]["args"] = serde_json::json!("sh");
    b.configure(c);
    let out = b.oci(&["create", "--bundle", &bundle, "box-3"]);
    assert!(text(&out).contains("config.json: process.args: invalid type: string"), "{}", text(&out));
    let mut c = config(&["sh"], false);
    c["mounts"][0]["destination"] = serde_json::json!("proc");
    b.configure(c);
    let out = b.oci(&["create", "--bundle", &bundle, "box-3"]);
    assert!(text(&out).contains("mounts[0] (proc): destination: not an absolute path"), "{}", text(&out));
    b.configure(config(&["sh"], true));
    let out = b.oci(&["create", "--bundle", &bundle, "box-3"]);
    assert!(text(&out).contains("process.terminal: a terminal needs --console-socket"), "{}", text(&out));
    let out = b.oci(&["create", "--bundle", &bundle, "no/slash"]);
    assert!(text(&out).contains("invalid container ID format: no/slash"), "{}", text(&out));
    // Nothing of the refused starts is left behind.
    assert!(std::fs::read_dir(b.dir.join("state")).map_or(true, |mut d| d.next().is_none()));
    assert!(!cgroup_exists("box-3"));
    let out = b.oci(&["features"]);
    let f: serde_json::Value = serde_json::from_slice(&out.stdout).expect("features is JSON");
    assert_eq!(f["ociVersionMax"], "1.2.0");
    assert!(f["linux"]["namespaces"].as_array().unwrap().iter().any(|n| n == "pid"));
}

#[test]
fn podman_runs_containers_with_berth_oci_as_its_runtime() {
    let Some((_b, podman, _)) = podman_with_busybox("podman", "localhost/berth-oci-busybox") else { return };

    let out = podman(&["run", "--rm", "--network", "none", "--hostname", "via-podman", "localhost/berth-oci-busybox", "sh", "-c", "echo hello $(hostname); exit 3"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hello via-podman\n", "{}", text(&out));
    let out = podman(&["run", "--rm", "--network", "none", "localhost/berth-oci-busybox", "nope"]);
    assert_eq!(out.status.code(), Some(127), "{}", text(&out));
    assert!(text(&out).contains("exec: \"nope\": executable file not found in $PATH"), "{}", text(&out));

    let out = podman(&["run", "-d", "--name", "oci-bg", "--network", "none", "localhost/berth-oci-busybox", "sleep", "60"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let out = podman(&["inspect", "--format", "{{.State.Status}} {{.OCIRuntime}}", "oci-bg"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("running"), "{}", text(&out));
    assert!(Path::new("/run/berth-oci").join(&id).join("state.json").exists(), "berth-oci holds its state");
    // podman exec (conmon runs `exec --detach` and waits as its subreaper), pause.
    let out = podman(&["exec", "oci-bg", "sh", "-c", "echo in $(hostname); exit 5"]);
    assert_eq!(out.status.code(), Some(5), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("in "), "{}", text(&out));
    let out = podman(&["pause", "oci-bg"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = podman(&["inspect", "--format", "{{.State.Status}}", "oci-bg"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "paused", "{}", text(&out));
    let out = podman(&["unpause", "oci-bg"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = podman(&["stop", "-t", "1", "oci-bg"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = podman(&["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "oci-bg"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "exited 137", "{}", text(&out));
    let out = podman(&["rm", "oci-bg"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!Path::new("/run/berth-oci").join(&id).exists(), "deleted with the container");
    let _ = podman(&["rmi", "-f", "localhost/berth-oci-busybox"]);
}

#[test]
fn podman_plays_the_pod_that_kube_generate_writes() {
    let Some((b, podman, tar)) = podman_with_busybox("kube", "localhost/kube-bb") else { return };
    let berth = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_berth")).args(args).env("BERTH_ROOT", b.dir.join("berth")).output().expect("berth runs");
    // The same image on both sides.
    assert_eq!(berth(&["import", tar.to_str().unwrap(), "localhost/kube-bb"]).status.code(), Some(0));
    let out = berth(&["create", "--name", "kb", "-e", "GREETING=from berth", "localhost/kube-bb", "sh", "-c", "echo $GREETING; cat /etc/os"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let yaml = b.dir.join("kb.yaml");
    let out = berth(&["kube", "generate", "-f", yaml.to_str().unwrap(), "kb"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = podman(&["kube", "play", yaml.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mut logs = String::new();
    for _ in 0..50 {
        logs = String::from_utf8_lossy(&podman(&["logs", "kb-pod-kb"]).stdout).into_owned();
        if logs.contains("bb1") {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(logs, "from berth\nbb1\n");
    let _ = podman(&["kube", "down", yaml.to_str().unwrap()]);
    let _ = podman(&["pod", "rm", "-f", "-a"]);
    let _ = podman(&["rmi", "-a", "-f"]);
}

#[test]
fn create_and_start_container_hooks_run_in_the_container_with_its_state() {
    let Some(b) = Bundle::new("hooks", config(&["cat", "/tmp/from-create", "/tmp/from-start"], false)) else { return };
    let dir = b.dir.display().to_string();
    // On the host's filesystem, the container's root (its /tmp mount too) at its host path.
    let hook = b.dir.join("create-hook.sh");
    std::fs::write(&hook, format!("#!/bin/sh\ncat > {dir}/state.json\necho \"create $1 $2\" > {dir}/rootfs/tmp/from-create\n")).unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut c = config(&["cat", "/tmp/from-create", "/tmp/from-start"], false);
    c["hooks"] = serde_json::json!({
        "createContainer": [{ "path": hook, "args": ["create-hook", "one", "two"], "timeout": 10 }],
        // The path resolves in the container: its busybox.
        "startContainer": [{ "path": "/bin/sh", "args": ["sh", "-c", "echo start as $(id -u) in $(hostname) > /tmp/from-start"] }]
    });
    b.configure(c.clone());
    let out = b.oci(&["run", "--bundle", &dir, "box-hooks"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "create one two\nstart as 0 in oci-test\n");
    let state: serde_json::Value = serde_json::from_slice(&std::fs::read(b.dir.join("state.json")).unwrap()).expect("the hook read the state as JSON");
    assert_eq!((state["id"].as_str(), state["status"].as_str(), state["bundle"].as_str()), (Some("box-hooks"), Some("creating"), Some(dir.as_str())));
    assert!(state["pid"].as_i64().is_some_and(|p| p > 1), "the host's PID of the container: {state}");

    // A hook that fails stops the create, with what it said; one out of time is killed.
    c["hooks"] = serde_json::json!({ "createContainer": [{ "path": "/bin/sh", "args": ["sh", "-c", "echo no GPU here >&2; exit 3"] }] });
    b.configure(c.clone());
    let out = b.oci(&["create", "--bundle", &dir, "box-hooks"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("error running createContainer hook #0 (/bin/sh): exit status 3"), "{}", text(&out));
    assert!(text(&out).contains("no GPU here"), "{}", text(&out));
    c["hooks"] = serde_json::json!({ "startContainer": [{ "path": "/bin/sleep", "args": ["sleep", "30"], "timeout": 1 }] });
    b.configure(c);
    let started = std::time::Instant::now();
    let out = b.oci(&["run", "--bundle", &dir, "box-hooks"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(text(&out).contains("error running startContainer hook #0 (/bin/sleep): timed out after 1s"), "{}", text(&out));
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert!(std::fs::read_dir(b.dir.join("state")).map_or(true, |mut d| d.next().is_none()), "nothing is left of the failed starts");
    assert!(!cgroup_exists("box-hooks"));
}

#[test]
fn podman_gives_a_cdi_device_through_berth_oci() {
    let Some((b, podman, tar)) = podman_with_busybox("podman-cdi", "localhost/berth-oci-cdi") else { return };
    // podman reads CDI specs from /var/run/cdi (this podman has no setting for the
    // directory): one of this test's own, removed when it ends.
    struct Spec(PathBuf);
    impl Drop for Spec {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }
    std::fs::create_dir_all("/var/run/cdi").unwrap();
    let spec = Spec(PathBuf::from(format!("/var/run/cdi/berth-test-{}.yaml", std::process::id())));
    let node = b.dir.join("accel0");
    assert!(Command::new("mknod").arg(&node).args(["c", "195", "0"]).status().unwrap().success());
    let hook = b.dir.join("hook.sh");
    std::fs::write(&hook, format!("#!/bin/sh\ncat > {}/hook-state.json\n", b.dir.display())).unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(
        &spec.0,
        format!(
            "cdiVersion: \"0.5.0\"\nkind: berth-test.example.com/accel\ndevices:\n  - name: a\n    containerEdits:\n      env: [ACCEL=a]\n      deviceNodes:\n        - {{path: /dev/accel0, hostPath: {}, type: c, major: 195, minor: 0, permissions: rw}}\ncontainerEdits:\n  mounts:\n    - {{hostPath: {}, containerPath: /opt/accel/rootfs.tar, options: [ro, bind]}}\n  hooks:\n    - {{hookName: createContainer, path: {}}}\n",
            node.display(),
            tar.display(),
            hook.display()
        ),
    )
    .unwrap();
    let script = "echo $ACCEL; ls -l /dev/accel0 | awk '{print $5 $6}'; wc -c < /opt/accel/rootfs.tar; head -c 1 /dev/accel0 2>&1";
    let out = podman(&["run", "--rm", "--name", "cdi-box", "--network", "none", "--device", "berth-test.example.com/accel=a", "localhost/berth-oci-cdi", "sh", "-c", script]);
    let got = String::from_utf8_lossy(&out.stdout).to_string();
    // The device cgroup lets it open the node: ENXIO (no driver behind it), not EPERM.
    assert_eq!(got, format!("a\n195,0\n{}\nhead: /dev/accel0: No such device or address\n", std::fs::metadata(&tar).unwrap().len()), "{}", text(&out));
    let state: serde_json::Value = serde_json::from_slice(&std::fs::read(b.dir.join("hook-state.json")).expect("the spec's hook ran")).unwrap();
    assert_eq!(state["status"], "creating", "{state}");
    let _ = podman(&["rmi", "-f", "localhost/berth-oci-cdi"]);
}
