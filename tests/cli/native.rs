//! The native runtime end to end, through the real `berth` binary: real Linux
//! containers from an image imported from Debian's `busybox-static` (`scripts/test`
//! installs it). They need root (rootless containers are still to come): as another
//! user these tests say so and pass; as root a missing busybox is a failure.
//!
//! The tests take turns (one lock): the cleanup test counts the host's mounts, cgroups
//! and processes, which a container started beside it would change.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;

pub static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0")))
}

struct Native {
    root: PathBuf,
    _turn: std::sync::MutexGuard<'static, ()>,
}

impl Drop for Native {
    fn drop(&mut self) {
        // Supervisors a test left running go first (their containers die with them), then
        // their cgroups, which berth would sweep only at its next start: the next test
        // counts the host's cgroups.
        let mut ids = Vec::new();
        for run in std::fs::read_dir(self.root.join("native/run")).into_iter().flatten().filter_map(Result::ok) {
            ids.push(run.file_name());
            if let Some(pid) = std::fs::read_to_string(run.path().join("owner")).ok().and_then(|s| s.split_whitespace().next()?.parse::<i32>().ok()) {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            }
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        for id in &ids {
            for controller in ["", "memory", "pids", "cpu", "cpuacct", "cpuset", "devices", "freezer", "blkio", "net_cls", "perf_event", "hugetlb"] {
                let dir = Path::new("/sys/fs/cgroup").join(controller).join("berth").join(id);
                // A cgroup goes once its last process has been reaped.
                while dir.is_dir() && std::fs::remove_dir(&dir).is_err() && std::time::Instant::now() < deadline {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
            }
        }
        // The bridges' way out (slirp4netns, on its own), then their network namespace,
        // a bind mount in the state directory.
        if let Some(pid) = std::fs::read_to_string(self.root.join("native/slirp.pid")).ok().and_then(|p| p.trim().parse::<i32>().ok()) {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
        let _ = Command::new("umount").arg("-l").arg(self.root.join("native/netns")).stderr(std::process::Stdio::null()).status();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

impl Native {
    /// A state directory with the busybox image imported as `bb`; `None` (the test
    /// passes, saying why) where this is not root.
    fn new(name: &str) -> Option<Native> {
        if !is_root() {
            println!("not root: the native runtime needs root; skipped");
            return None;
        }
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let root = std::env::temp_dir().join(format!("berth-native-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let n = Native { root, _turn: turn };
        let tar = n.root.join("busybox.tar");
        std::fs::write(&tar, busybox_rootfs()).unwrap();
        let out = n.berth(&["import", "--change", "CMD [\"sh\"]", tar.to_str().unwrap(), "bb"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        Some(n)
    }

    fn berth(&self, args: &[&str]) -> Output {
        self.berth_with(&[], args)
    }

    /// Imports the debootstrapped Debian root filesystem as `debian:bookworm`; false
    /// (the test passes, saying why) where `BERTH_DEBIAN_ROOTFS` is not set.
    fn debian(&self) -> bool {
        let Some(tar) = std::env::var_os("BERTH_DEBIAN_ROOTFS") else {
            println!("BERTH_DEBIAN_ROOTFS is not set: skipped (./scripts/test sets it)");
            return false;
        };
        let out = self.berth(&["import", "-c", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", tar.to_str().unwrap(), "debian:bookworm"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        true
    }

    fn berth_with(&self, env: &[(&str, &str)], args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_berth")).args(args).env("BERTH_ROOT", &self.root).envs(env.iter().copied()).output().expect("berth runs")
    }

    /// `berth run --rm bb sh -c SCRIPT` (with `flags` before the image): stdout, and
    /// the exit status.
    fn sh(&self, flags: &[&str], script: &str) -> (String, i32) {
        let mut args = vec!["run", "--rm"];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["bb", "sh", "-c", script]);
        let out = self.berth(&args);
        (String::from_utf8_lossy(&out.stdout).into_owned(), out.status.code().unwrap_or(-1))
    }

    /// `berth run --rm IMAGE sh -c SCRIPT`: stdout, and the exit status.
    fn sh_in(&self, image: &str, script: &str) -> (String, i32) {
        let out = self.berth(&["run", "--rm", image, "sh", "-c", script]);
        (String::from_utf8_lossy(&out.stdout).into_owned(), out.status.code().unwrap_or(-1))
    }
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A root filesystem of Debian's static busybox and a link for each of its applets.
pub fn busybox_rootfs() -> Vec<u8> {
    let busybox = std::fs::read("/bin/busybox").expect("busybox-static is installed (scripts/test installs it)");
    let list = Command::new("/bin/busybox").arg("--list").output().expect("busybox runs");
    let mut b = tar::Builder::new(Vec::new());
    let dir = |path: &str| {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Directory);
        h.set_mode(0o755);
        h.set_size(0);
        (h, path.to_string())
    };
    for d in ["bin", "tmp", "root"] {
        let (mut h, p) = dir(d);
        if d == "tmp" {
            h.set_mode(0o1777);
        }
        b.append_data(&mut h, p, &[][..]).unwrap();
    }
    let mut h = tar::Header::new_gnu();
    h.set_size(busybox.len() as u64);
    h.set_mode(0o755);
    b.append_data(&mut h, "bin/busybox", &busybox[..]).unwrap();
    for applet in String::from_utf8_lossy(&list.stdout).lines().filter(|a| *a != "busybox") {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        h.set_mode(0o777);
        b.append_link(&mut h, format!("bin/{applet}"), "busybox").unwrap();
    }
    let mut h = tar::Header::new_gnu();
    h.set_size(4);
    h.set_mode(0o644);
    b.append_data(&mut h, "etc/os", &b"bb1\n"[..]).unwrap();
    b.into_inner().unwrap()
}

#[test]
fn native_containers_run_real_programs_in_namespaces_of_their_own() {
    let Some(n) = Native::new("ns") else { return };
    // PID 1 in its own PID namespace, its own hostname, Docker's capabilities, /dev.
    let (out, code) = n.sh(&[], "echo pid=$$; hostname; cat /etc/hostname; grep CapBnd /proc/self/status; ls /dev | tr '\\n' ' '; echo; cat /etc/os");
    assert_eq!(code, 0, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "pid=1", "{out}");
    assert_eq!(lines[1].len(), 12, "the short container ID: {out}");
    assert_eq!(lines[1], lines[2]);
    assert_eq!(lines[3], "CapBnd:\t00000000a80425fb", "Docker's default capability set");
    for dev in ["null", "zero", "full", "random", "urandom", "tty", "pts", "ptmx", "shm", "mqueue", "fd", "stdin"] {
        assert!(lines[4].split(' ').any(|d| d == dev), "/dev/{dev}: {out}");
    }
    assert_eq!(lines[5], "bb1", "the image's own files");
    // Its own network namespace with lo up (--network none), or the host's.
    let (out, _) = n.sh(&["--network", "none"], "ls /sys/class/net");
    assert_eq!(out, "lo\n");
    let host_links = std::fs::read_dir("/sys/class/net").unwrap().count();
    let (out, _) = n.sh(&["--network", "host"], "ls /sys/class/net | wc -l");
    assert_eq!(out.trim(), host_links.to_string());
    // Read-only /sys, masked and read-only /proc paths, one process in its table.
    let (out, _) = n.sh(&[], "touch /sys/x 2>&1; stat -c %t,%T /proc/keys; (echo 1 > /proc/sys/vm/drop_caches) 2>&1; ps -o pid,comm > /tmp/ps; wc -l < /tmp/ps");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].contains("Read-only file system"), "{out}");
    assert_eq!(lines[1], "1,3", "/proc/keys is masked with /dev/null: {out}");
    assert!(lines[2].contains("Read-only file system"), "{out}");
    assert_eq!(lines[3], "3", "a header, then sh and ps: {out}");
    // A node the container makes is not one it can open: the devices cgroup allows only
    // Docker's defaults (here the host's /dev/fuse, c 10:229, which any user may open).
    let (out, _) = n.sh(&[], "mknod /fuse c 10 229 && head -c 1 /fuse 2>&1; echo x > /dev/null && echo null works");
    assert_eq!(out, "head: /fuse: Operation not permitted\nnull works\n");
    // Exit statuses and the errors Docker gives.
    assert_eq!(n.sh(&[], "exit 7").1, 7);
    // PID 1 ignores a signal it has no handler for, even SIGKILL from inside; a child
    // killed reports 128 + 9.
    assert_eq!(n.sh(&[], "kill -9 $$; echo survived"), ("survived\n".to_string(), 0));
    assert_eq!(n.sh(&[], "sh -c 'kill -9 $$'; exit $?").1, 137);
    let out = n.berth(&["run", "--rm", "bb", "nosuch"]);
    assert_eq!(out.status.code(), Some(127));
    assert!(text(&out).contains("exec: \"nosuch\": executable file not found in $PATH"), "{}", text(&out));
    let out = n.berth(&["run", "--rm", "bb", "/etc/os"]);
    assert_eq!(out.status.code(), Some(126), "{}", text(&out));
    assert!(text(&out).contains("exec: \"/etc/os\": permission denied"), "{}", text(&out));
    // The user, working directory and environment.
    let (out, _) = n.sh(&["-u", "1000", "-w", "/srv/app", "-e", "GREETING=hi"], "id -u; pwd; echo $GREETING; grep CapEff /proc/self/status");
    assert_eq!(out, "1000\n/srv/app\nhi\nCapEff:\t0000000000000000\n");
    // A memory limit the kernel enforces, reported as Docker does.
    let out = n.berth(&["run", "--name", "hog", "-m", "16m", "bb", "sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived"]);
    assert_eq!(out.status.code(), Some(137), "{}", text(&out));
    let state = n.berth(&["inspect", "--format", "{{.State.OOMKilled}} {{.State.ExitCode}}", "hog"]);
    assert_eq!(String::from_utf8_lossy(&state.stdout), "true 137\n");
    // And berth info says what runs where.
    let info = String::from_utf8(n.berth(&["info"]).stdout).unwrap();
    assert!(info.contains(" Runtime native: available; supports detached, tty, exec, pause, cgroups; networks: bridge, none, host, container\n"), "{info}");
    assert!(info.contains(" Default Rule: images whose programs are real run native"), "{info}");
}

#[test]
fn native_containers_keep_their_changes_and_volumes_and_bind_mounts_reach_the_host() {
    let Some(n) = Native::new("state") else { return };
    let out = n.berth(&["run", "--name", "keeper", "bb", "sh", "-c", "echo one >> /root/notes; rm /bin/vi; mkdir -p /srv/x; cat /root/notes"]);
    assert_eq!((String::from_utf8_lossy(&out.stdout).as_ref(), out.status.code()), ("one\n", Some(0)), "{}", text(&out));
    let diff = String::from_utf8(n.berth(&["diff", "keeper"]).stdout).unwrap();
    assert_eq!(diff, "C /bin\nD /bin/vi\nC /root\nA /root/notes\nA /srv\nA /srv/x\n", "only what the process changed, not the runtime's mount points");
    // Started again, it sees what it left.
    let out = n.berth(&["start", "-a", "keeper"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "one\none\n", "{}", text(&out));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "rm: can't remove '/bin/vi': No such file or directory\n", "stderr stays stderr");
    assert_eq!(String::from_utf8_lossy(&n.berth(&["logs", "keeper"]).stdout), "one\none\none\n");
    // Committed, its layer is an image that runs natively too.
    assert_eq!(n.berth(&["commit", "keeper", "kept"]).status.code(), Some(0));
    let out = n.berth(&["run", "--rm", "kept", "cat", "/root/notes"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "one\none\n", "{}", text(&out));
    // A named volume outlives its containers; read-only is read-only.
    assert_eq!(n.sh(&["-v", "vol:/v"], "echo kept > /v/file").1, 0);
    let (out, code) = n.sh(&["-v", "vol:/v:ro"], "cat /v/file; echo x > /v/other 2>/dev/null || echo refused");
    assert_eq!((out.as_str(), code), ("kept\nrefused\n", 0));
    // A bind mount is the host's directory, both ways; a missing one is created.
    let host = n.root.join("shared");
    std::fs::create_dir_all(&host).unwrap();
    std::fs::write(host.join("in"), "from host\n").unwrap();
    let (out, _) = n.sh(&["-v", &format!("{}:/data", host.display())], "cat /data/in; echo from container > /data/out");
    assert_eq!(out, "from host\n");
    assert_eq!(std::fs::read_to_string(host.join("out")).unwrap(), "from container\n");
    let fresh = n.root.join("fresh/dir");
    assert_eq!(n.sh(&["-v", &format!("{}:/new", fresh.display())], "touch /new/made").1, 0);
    assert!(fresh.join("made").exists());
    // `--mount type=bind` refuses a missing source, as dockerd does.
    let absent = n.root.join("absent");
    let out = n.berth(&["run", "--rm", "--mount", &format!("type=bind,src={},dst=/x", absent.display()), "bb", "true"]);
    assert_eq!(out.status.code(), Some(125), "{}", text(&out));
    assert!(text(&out).contains("bind source path does not exist"), "{}", text(&out));
    assert!(!absent.exists());
}

#[test]
fn mounts_resolve_inside_the_container_not_on_the_host() {
    let Some(n) = Native::new("escape") else { return };
    // An image whose /evil points at a host directory, absolutely and through `..`.
    let victim = n.root.join("victim");
    std::fs::create_dir_all(&victim).unwrap();
    let out = n.berth(&["run", "--name", "planter", "bb", "sh", "-c", &format!("ln -s {} /evil; ln -s ../../../../../..{} /evil2", victim.display(), victim.display())]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(n.berth(&["commit", "planter", "planted"]).status.code(), Some(0));
    let src = n.root.join("src");
    std::fs::create_dir_all(&src).unwrap();
    for target in ["/evil/sub", "/evil2/sub"] {
        let out = n.berth(&["run", "--rm", "-v", &format!("{}:{target}", src.display()), "-v", "vol:/evil/vol", "planted", "sh", "-c", "echo written > /evil/sub/f 2>/dev/null; true"]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    }
    assert_eq!(std::fs::read_dir(&victim).unwrap().count(), 0, "nothing was created in the host directory the links name");
}

/// Mounts in the host's namespace of this state directory, cgroups under `berth/`, processes in those cgroups,
/// and run directories of this state directory.
fn leftovers(root: &Path) -> (usize, usize, usize, usize) {
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap().lines().filter(|l| l.contains(root.to_str().unwrap())).count();
    let cgroups = ["memory", "pids", "cpu", ""].iter().filter_map(|c| std::fs::read_dir(Path::new("/sys/fs/cgroup").join(c).join("berth")).ok()).flat_map(|d| d.filter_map(Result::ok).filter(|e| e.path().is_dir())).count();
    let procs = std::fs::read_dir("/proc").unwrap().filter_map(Result::ok).filter(|e| std::fs::read_to_string(e.path().join("cgroup")).is_ok_and(|c| c.lines().any(|l| l.ends_with(&format!("/berth/{}", l.rsplit('/').next().unwrap_or_default())) && l.contains(":/berth/")))).count();
    let runs = std::fs::read_dir(root.join("native/run")).map_or(0, |d| d.count());
    (mounts, cgroups, procs, runs)
}

#[test]
fn native_starts_leave_no_mount_cgroup_process_or_directory_behind() {
    let Some(n) = Native::new("leaks") else { return };
    assert_eq!(n.sh(&[], "true").1, 0);
    let before = leftovers(&n.root);
    assert_eq!((before.2, before.3), (0, 0));
    // Runs that end well, fail in the program, fail to start, and are removed.
    assert_eq!(n.sh(&["-m", "64m", "-v", "v1:/v"], "echo x > /v/x").1, 0);
    assert_eq!(n.sh(&[], "exit 3").1, 3);
    assert_eq!(n.berth(&["run", "--rm", "bb", "nosuch"]).status.code(), Some(127));
    assert_eq!(n.berth(&["run", "--name", "gone", "bb", "true"]).status.code(), Some(0));
    assert_eq!(n.berth(&["rm", "gone"]).status.code(), Some(0));
    assert_eq!(leftovers(&n.root), before);
    // `berth` killed while its container runs: the container dies with it, and the next
    // start removes what was left.
    let mut child = Command::new(env!("CARGO_BIN_EXE_berth")).args(["run", "--rm", "bb", "sleep", "30"]).env("BERTH_ROOT", &n.root).spawn().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while leftovers(&n.root).2 == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(leftovers(&n.root).2, 1, "the container's process is running");
    child.kill().unwrap();
    child.wait().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while leftovers(&n.root).2 != 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(leftovers(&n.root).2, 0, "the container died with its berth");
    assert_eq!(n.sh(&[], "true").1, 0);
    assert_eq!(leftovers(&n.root), before, "(mounts, cgroups, processes, run directories)");
}

#[test]
fn modelled_images_stay_emulated_and_the_native_runtime_refuses_them() {
    let Some(n) = Native::new("modelled") else { return };
    assert_eq!(n.berth(&["pull", "alpine:3.20"]).status.code(), Some(0));
    // The default rule: a catalog image's programs are modelled, so it runs emulated.
    let out = n.berth(&["run", "--rm", "alpine:3.20", "sh", "-c", "echo $$"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = n.berth(&["run", "--rm", "--runtime", "native", "alpine:3.20", "echo", "hi"]);
    assert_eq!(out.status.code(), Some(125), "{}", text(&out));
    assert!(text(&out).contains("is modelled") && text(&out).contains("use --runtime emulated"), "{}", text(&out));
    // A real image run emulated, when asked: Berth's userland cannot run Linux programs.
    let out = n.berth(&["run", "--rm", "--runtime", "emulated", "bb", "sh", "-c", "cat /etc/os"]);
    assert!(text(&out).contains("Exec format error"), "{}", text(&out));
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn detached_native_containers_live_under_a_supervisor_and_the_verbs_reach_them() {
    let Some(n) = Native::new("detached") else { return };
    // `run -d` returns at once; the service goes on after `berth` has exited.
    let t = std::time::Instant::now();
    let out = n.berth(&["run", "-d", "--name", "svc", "bb", "sh", "-c", "trap 'echo bye; exit 3' TERM; echo up; while true; do sleep 0.05; done"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(stdout(&out).trim().len(), 64, "the container's ID");
    assert!(t.elapsed() < std::time::Duration::from_secs(5));
    std::thread::sleep(std::time::Duration::from_millis(300));
    let ps = stdout(&n.berth(&["ps", "--format", "{{.Names}} {{.Status}}"]));
    assert!(ps.starts_with("svc Up "), "{ps}");
    assert_eq!(stdout(&n.berth(&["logs", "svc"])), "up\n");
    // exec runs beside it, in its namespaces, and what it writes is the container's.
    let out = n.berth(&["exec", "svc", "sh", "-c", "echo $$ > /root/exec-pid; hostname; ps -o pid,comm"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let lines: Vec<String> = stdout(&out).lines().map(str::to_string).collect();
    assert_eq!(lines[0].len(), 12, "the container's hostname: {lines:?}");
    assert_eq!(lines[2].split_whitespace().collect::<Vec<_>>(), ["1", "sh"], "the main process is PID 1 beside it: {lines:?}");
    let out = n.berth(&["exec", "svc", "nosuch"]);
    assert_eq!(out.status.code(), Some(127));
    assert!(text(&out).contains("exec: \"nosuch\": executable file not found in $PATH"), "{}", text(&out));
    let out = n.berth(&["exec", "-u", "1000", "svc", "id", "-u"]);
    assert_eq!(stdout(&out), "1000\n", "{}", text(&out));
    // exec -d returns once its process runs, and leaves it running; its output goes
    // nowhere, and a program that is not there is still Docker's error.
    let t = std::time::Instant::now();
    let out = n.berth(&["exec", "-d", "svc", "sh", "-c", "echo lost; sleep 1; echo done > /root/later"]);
    assert_eq!((out.status.code(), stdout(&out)), (Some(0), String::new()), "{}", text(&out));
    assert!(t.elapsed() < std::time::Duration::from_millis(900), "exec -d waited for its process: {:?}", t.elapsed());
    assert_eq!(stdout(&n.berth(&["exec", "svc", "sh", "-c", "ps -o args | grep -c '^sleep 1$'; cat /root/later 2>/dev/null || echo not-yet"])), "1\nnot-yet\n", "its sleep runs beside the main process");
    std::thread::sleep(std::time::Duration::from_millis(1500));
    assert_eq!(stdout(&n.berth(&["exec", "svc", "cat", "/root/later"])), "done\n");
    let out = n.berth(&["exec", "-d", "svc", "nosuch"]);
    assert_eq!(out.status.code(), Some(127), "{}", text(&out));
    assert!(text(&out).contains("exec: \"nosuch\": executable file not found in $PATH"), "{}", text(&out));
    // top lists its real processes, the first one first.
    let top = stdout(&n.berth(&["top", "svc"]));
    assert!(top.lines().nth(1).is_some_and(|l| l.contains("sh -c trap")), "{top}");
    // stop: its trap runs, its exit status and output are recorded, its changes kept.
    let out = n.berth(&["stop", "svc"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(stdout(&n.berth(&["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "svc"])), "exited 3\n");
    assert_eq!(stdout(&n.berth(&["logs", "svc"])), "up\nbye\n");
    assert!(stdout(&n.berth(&["diff", "svc"])).contains("A /root/exec-pid"));
    // Started again, it is detached again; kill ends it (137), wait says so.
    assert_eq!(n.berth(&["start", "svc"]).status.code(), Some(0));
    assert!(stdout(&n.berth(&["ps", "--format", "{{.Names}}"])).contains("svc"));
    assert_eq!(n.berth(&["kill", "svc"]).status.code(), Some(0));
    assert_eq!(stdout(&n.berth(&["wait", "svc"])), "137\n");
    // A PID 1 without a trap outlives TERM and is killed after the grace period.
    assert_eq!(n.berth(&["run", "-d", "--name", "stubborn", "bb", "sleep", "30"]).status.code(), Some(0));
    let t = std::time::Instant::now();
    assert_eq!(n.berth(&["stop", "-t", "1", "stubborn"]).status.code(), Some(0));
    assert!(t.elapsed() >= std::time::Duration::from_millis(900));
    assert_eq!(stdout(&n.berth(&["inspect", "--format", "{{.State.ExitCode}}", "stubborn"])), "137\n");
    // wait and logs -f follow it to its end; --rm removes it when it has ended.
    assert_eq!(n.berth(&["run", "-d", "--rm", "--name", "brief", "bb", "sh", "-c", "sleep 0.3; echo done; exit 4"]).status.code(), Some(0));
    let out = n.berth(&["logs", "-f", "brief"]);
    assert_eq!(stdout(&out), "done\n", "{}", text(&out));
    assert!(!stdout(&n.berth(&["ps", "-a", "--format", "{{.Names}}"])).contains("brief"), "removed");
    assert_eq!(n.berth(&["run", "-d", "--name", "waited", "bb", "sh", "-c", "sleep 0.2; exit 5"]).status.code(), Some(0));
    assert_eq!(stdout(&n.berth(&["wait", "waited"])), "5\n");
    // A restart policy starts it again when it fails.
    assert_eq!(n.berth(&["run", "-d", "--name", "flaky", "--restart", "on-failure:2", "bb", "sh", "-c", "echo try; exit 1"]).status.code(), Some(0));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while std::time::Instant::now() < deadline && stdout(&n.berth(&["logs", "flaky"])).lines().count() < 3 {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(stdout(&n.berth(&["logs", "flaky"])), "try\ntry\ntry\n");
    assert_eq!(stdout(&n.berth(&["inspect", "--format", "{{.RestartCount}} {{.State.ExitCode}}", "flaky"])), "2 1\n");
    // rm -f of a running one kills it; nothing of it is left.
    assert_eq!(n.berth(&["run", "-d", "--name", "doomed", "bb", "sleep", "30"]).status.code(), Some(0));
    assert_eq!(n.berth(&["rm", "-f", "doomed"]).status.code(), Some(0));
    assert_eq!(leftovers(&n.root).2, 0, "no process is left");
}

#[test]
fn a_container_whose_supervisor_is_killed_is_reported_exited_and_leaves_nothing() {
    let Some(n) = Native::new("orphan") else { return };
    // A first start sweeps what earlier containers' killed supervisors left.
    assert_eq!(n.sh(&[], "true").1, 0);
    let before = leftovers(&n.root);
    assert_eq!(n.berth(&["run", "-d", "--name", "orphan", "bb", "sleep", "30"]).status.code(), Some(0));
    let id = stdout(&n.berth(&["inspect", "--format", "{{.Id}}", "orphan"])).trim().to_string();
    let owner: i32 = std::fs::read_to_string(n.root.join("native/run").join(&id).join("owner")).unwrap().split_whitespace().next().unwrap().parse().unwrap();
    assert_eq!(Command::new("kill").args(["-9", &owner.to_string()]).status().unwrap().code(), Some(0));
    // The container dies with its supervisor.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while leftovers(&n.root).2 != 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let state = stdout(&n.berth(&["ps", "-a", "--format", "{{.Names}} {{.Status}}"]));
    assert!(state.starts_with("orphan Exited (255)"), "{state}");
    assert_eq!(leftovers(&n.root), before, "(mounts, cgroups, processes, run directories)");
}

#[test]
fn import_makes_an_image_of_a_root_filesystem_tarball() {
    let root = std::env::temp_dir().join(format!("berth-import-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    std::fs::create_dir_all(&root).unwrap();
    let berth = |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_berth")).args(args).env("BERTH_ROOT", &root).output().expect("berth runs");
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(6);
    h.set_mode(0o644);
    b.append_data(&mut h, "etc/motd", &b"hello\n"[..]).unwrap();
    let tar = root.join("rootfs.tar");
    std::fs::write(&tar, b.into_inner().unwrap()).unwrap();
    let out = berth(&["import", "-c", "ENV MODE=test", "-c", "WORKDIR /srv", "-m", "from a test", tar.to_str().unwrap(), "imported:v1"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let id = String::from_utf8(out.stdout).unwrap();
    assert!(id.starts_with("sha256:") && id.len() == 72, "{id}");
    let out = berth(&["inspect", "--format", "{{.Config.Env}} {{.Config.WorkingDir}}", "imported:v1"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "[MODE=test] /srv\n", "{}", text(&out));
    let history = String::from_utf8(berth(&["history", "imported:v1"]).stdout).unwrap();
    assert!(history.contains("from a test"), "{history}");
    let out = berth(&["import", "-c", "RUN true", tar.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "Error response from daemon: RUN is not a valid change command\n");
    let out = berth(&["import", root.join("missing.tar").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("no such file or directory"), "{}", text(&out));
    let out = berth(&["import"]);
    assert!(text(&out).contains("\"berth import\" requires at least 1 argument."), "{}", text(&out));
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn security_and_resource_options_reach_the_kernel() {
    let Some(n) = Native::new("options") else { return };
    let (out, _) = n.sh(&["--read-only", "--tmpfs", "/scratch:size=1m,mode=755"], "touch /x 2>&1; echo hi > /scratch/f && cat /scratch/f; grep ' /scratch ' /proc/mounts");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].contains("Read-only file system"), "{out}");
    assert_eq!(lines[1], "hi");
    assert!(lines[2].starts_with("tmpfs /scratch tmpfs rw") && lines[2].contains("size=1024k") && lines[2].contains("mode=755"), "{out}");
    let (out, _) = n.sh(&["--mount", "type=tmpfs,destination=/t,tmpfs-size=2m,tmpfs-mode=0700"], "grep ' /t ' /proc/mounts | cut -d' ' -f3,4");
    assert_eq!(out, "tmpfs rw,relatime,size=2048k,mode=700\n", "--mount type=tmpfs is a tmpfs, not a volume");
    let (out, _) = n.sh(&["--cap-drop", "ALL", "--cap-add", "NET_ADMIN"], "grep CapBnd /proc/self/status");
    assert_eq!(out, "CapBnd:\t0000000000001000\n");
    let (out, _) = n.sh(&["--cap-drop", "chown"], "chown 1000 /root 2>&1 || echo refused");
    assert!(out.ends_with("refused\n"), "{out}");
    let out = n.berth(&["run", "--rm", "--cap-add", "NOPE", "bb", "true"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(text(&out).contains("invalid CapAdd: unknown capability: \"CAP_NOPE\""), "{}", text(&out));
    let (out, _) = n.sh(&["--privileged"], "grep ' /sys ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1; grep -c ' /proc/keys ' /proc/mounts");
    assert_eq!(out, "rw\n0\n", "privileged: /sys writable, nothing masked");
    let (out, _) = n.sh(&["--security-opt", "no-new-privileges"], "grep NoNewPrivs /proc/self/status");
    assert_eq!(out, "NoNewPrivs:\t1\n");
    // The pids cgroup stops the fifth process.
    let out = n.berth(&["run", "--rm", "--pids-limit", "4", "bb", "sh", "-c", "for i in 1 2 3 4 5 6; do sleep 1 & done; wait"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("can't fork"), "{}", text(&out));
    assert_eq!(n.sh(&["--pids-limit", "4"], "for i in 1 2; do sleep 0.1 & done; wait; echo fine").0, "fine\n");
    let (out, _) = n.sh(&["--ulimit", "nofile=100:200"], "ulimit -n; ulimit -Hn");
    assert_eq!(out, "100\n200\n");
    let (out, _) = n.sh(&["--sysctl", "net.ipv4.ip_forward=1"], "cat /proc/sys/net/ipv4/ip_forward");
    assert_eq!(out, "1\n");
    let out = n.berth(&["run", "--rm", "--sysctl", "vm.swappiness=1", "bb", "true"]);
    assert_eq!(out.status.code(), Some(125));
    let (out, _) = n.sh(&["--shm-size", "2m"], "grep ' /dev/shm ' /proc/mounts");
    assert!(out.contains("size=2048k"), "{out}");
    // Seccomp: the host's default profile (containers-common's, which podman brings), a
    // profile of one's own, unconfined, and none for --privileged; exec'd processes too.
    let (out, _) = n.sh(&[], "grep Seccomp: /proc/self/status");
    assert_eq!(out, "Seccomp:\t2\n", "a default profile always: the host's, or Berth's own");
    // Berth's own (a host without containers-common): a user namespace is refused unless
    // CAP_SYS_ADMIN is given, as Docker's profile refuses it.
    let builtin = |flags: &[&str]| {
        let mut args = vec!["run", "--rm"];
        args.extend_from_slice(flags);
        args.extend_from_slice(&["bb", "sh", "-c", "grep Seccomp: /proc/self/status; unshare -U true 2>&1 && echo made a user namespace"]);
        let out = Command::new(env!("CARGO_BIN_EXE_berth")).args(&args).env("BERTH_ROOT", &n.root).env("BERTH_SECCOMP_PROFILE", n.root.join("no-containers-common.json")).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(builtin(&[]), "Seccomp:\t2\nunshare: unshare(0x10000000): Operation not permitted\n");
    assert_eq!(builtin(&["--cap-add", "SYS_ADMIN"]), "Seccomp:\t2\nmade a user namespace\n");
    assert_eq!(builtin(&["--security-opt", "seccomp=unconfined"]), "Seccomp:\t0\nmade a user namespace\n", "the kernel itself allows it");
    let info = Command::new(env!("CARGO_BIN_EXE_berth")).arg("info").env("BERTH_ROOT", &n.root).env("BERTH_SECCOMP_PROFILE", "builtin").output().unwrap();
    assert!(stdout(&info).contains("   Profile: builtin\n"), "{}", text(&info));
    let profile = n.root.join("no-mkdir.json");
    std::fs::write(&profile, r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}"#).unwrap();
    let (out, _) = n.sh(&["--security-opt", &format!("seccomp={}", profile.display())], "mkdir /made 2>&1; grep Seccomp: /proc/self/status");
    assert_eq!(out, "mkdir: can't create directory '/made': Operation not permitted\nSeccomp:\t2\n");
    assert_eq!(n.sh(&["--security-opt", "seccomp=unconfined"], "grep Seccomp: /proc/self/status").0, "Seccomp:\t0\n");
    assert_eq!(n.sh(&["--privileged"], "grep Seccomp: /proc/self/status").0, "Seccomp:\t0\n");
    let out = n.berth(&["run", "--rm", "--security-opt", "seccomp=/no/such.json", "bb", "true"]);
    assert!(text(&out).contains("opening seccomp profile (/no/such.json) failed"), "{}", text(&out));
    assert_eq!(n.berth(&["run", "-d", "--name", "filtered", "--security-opt", &format!("seccomp={}", profile.display()), "bb", "sleep", "30"]).status.code(), Some(0));
    let out = n.berth(&["exec", "filtered", "mkdir", "/made"]);
    assert!(text(&out).contains("Operation not permitted"), "the exec'd process has the filter too: {}", text(&out));
    assert_eq!(n.berth(&["rm", "-f", "filtered"]).status.code(), Some(0));
    // --init: PID 1 is an init that forwards signals, so TERM ends a shell without a trap.
    let (out, _) = n.sh(&["--init"], "ps -o pid,comm | head -3");
    assert_eq!(out.split_whitespace().collect::<Vec<_>>(), ["PID", "COMMAND", "1", "init", "2", "sh"]);
    assert_eq!(n.berth(&["run", "-d", "--init", "--name", "inited", "bb", "sleep", "30"]).status.code(), Some(0));
    let t = std::time::Instant::now();
    assert_eq!(n.berth(&["stop", "inited"]).status.code(), Some(0));
    assert!(t.elapsed() < std::time::Duration::from_secs(5), "TERM reached sleep at once");
    assert_eq!(stdout(&n.berth(&["inspect", "--format", "{{.State.ExitCode}}", "inited"])), "143\n");
}

/// Runs `berth ARGS` on a terminal of 30 rows of 90 columns, types `input`, and
/// returns its exit status and what the terminal showed.
fn on_a_terminal(n: &Native, args: &[&str], input: &[u8]) -> (Option<i32>, String) {
    typed_on_a_terminal(n, args, &[(0, input)])
}

/// As [`on_a_terminal`], typing each input after its pause (milliseconds).
fn typed_on_a_terminal(n: &Native, args: &[&str], typed: &[(u64, &[u8])]) -> (Option<i32>, String) {
    #[allow(unsafe_code)]
    // SAFETY: the pseudo-terminal calls of libc on a descriptor this test owns.
    let (master, slave_path) = unsafe {
        let m = libc::posix_openpt(libc::O_RDWR | libc::O_NOCTTY);
        assert!(m >= 0 && libc::grantpt(m) == 0 && libc::unlockpt(m) == 0);
        let size = libc::winsize { ws_row: 30, ws_col: 90, ws_xpixel: 0, ws_ypixel: 0 };
        libc::ioctl(m, libc::TIOCSWINSZ, &size);
        let name = std::ffi::CStr::from_ptr(libc::ptsname(m)).to_string_lossy().into_owned();
        (<std::fs::File as std::os::fd::FromRawFd>::from_raw_fd(m), name)
    };
    let slave = std::fs::OpenOptions::new().read(true).write(true).open(&slave_path).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_berth")).args(args).env("BERTH_ROOT", &n.root).stdin(slave.try_clone().unwrap()).stdout(slave.try_clone().unwrap()).stderr(slave).spawn().unwrap();
    let mut reader = master.try_clone().unwrap();
    let output = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        // Until every end of the terminal is closed (EIO).
        while let Ok(n) = std::io::Read::read(&mut reader, &mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&all).replace('\r', "")
    });
    let mut writer = master;
    for (pause, input) in typed {
        std::thread::sleep(std::time::Duration::from_millis(*pause));
        std::io::Write::write_all(&mut writer, input).unwrap();
    }
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(std::time::Instant::now() < deadline, "berth {args:?} did not end");
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    drop(writer);
    (status.code(), output.join().unwrap())
}

#[test]
fn run_t_and_exec_t_give_the_container_a_terminal_of_its_own() {
    let Some(n) = Native::new("tty") else { return };
    let (status, text) = on_a_terminal(&n, &["run", "-it", "--rm", "bb", "sh"], b"tty; echo $((6*7)); stty size; exit 5\n");
    assert_eq!(status, Some(5), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.contains(&"/dev/pts/0"), "the container's own terminal: {text}");
    assert!(lines.contains(&"42") && lines.contains(&"30 90"), "{text}");
    // exec -it beside a detached one.
    assert_eq!(n.berth(&["run", "-d", "--name", "host", "bb", "sleep", "30"]).status.code(), Some(0));
    let (status, text) = on_a_terminal(&n, &["exec", "-it", "host", "sh"], b"tty; echo $((2*21)); ps -o pid,comm | grep -c sleep; exit 4\n");
    assert_eq!(status, Some(4), "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.contains(&"/dev/pts/0") && lines.contains(&"42") && lines.contains(&"1"), "in the container, beside its sleep: {text}");
    assert_eq!(n.berth(&["rm", "-f", "host"]).status.code(), Some(0));
}

#[test]
fn the_detach_keys_leave_a_container_running_and_attach_comes_back_to_it() {
    let Some(n) = Native::new("detach") else { return };
    // Ctrl-P Ctrl-Q: `run -it` returns, the container goes on under its supervisor.
    let (status, shown) = typed_on_a_terminal(&n, &["run", "-it", "--name", "shell", "bb", "sh"], &[(0, b"echo first > /tmp/mark\n"), (700, b"\x10\x11")]);
    assert_eq!(status, Some(0), "{shown}");
    assert!(shown.ends_with("read escape sequence\n"), "{shown}");
    assert_eq!(stdout(&n.berth(&["inspect", "--format", "{{.State.Status}}", "shell"])), "running\n");
    // While nobody is attached, other commands run beside it: exec sees what it did.
    assert_eq!(stdout(&n.berth(&["exec", "shell", "cat", "/tmp/mark"])), "first\n");
    // attach, with detach keys of one's own: the keys are not typed into the shell.
    let (status, shown) = typed_on_a_terminal(&n, &["attach", "--detach-keys", "ctrl-x,x", "shell"], &[(300, b"echo second >> /tmp/mark\n"), (500, b"\x18x")]);
    assert_eq!(status, Some(1), "attach says it was detached: {shown}");
    assert!(shown.contains("read escape sequence"), "{shown}");
    // Attached again, the shell's end is the command's end, and recorded.
    let (status, shown) = typed_on_a_terminal(&n, &["attach", "shell"], &[(300, b"cat /tmp/mark; exit 9\n")]);
    assert_eq!(status, Some(9), "{shown}");
    assert!(shown.contains("first\nsecond\n"), "{shown}");
    assert_eq!(stdout(&n.berth(&["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "shell"])), "exited 9\n");
    // While `run -it` is attached it does not hold the state: exec from elsewhere runs.
    let mut busy = Command::new(env!("CARGO_BIN_EXE_berth")).args(["run", "-it", "--rm", "--name", "held", "bb", "sh", "-c", "sleep 3"]).env("BERTH_ROOT", &n.root).stdin(std::process::Stdio::null()).stdout(std::process::Stdio::null()).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(800));
    let t = std::time::Instant::now();
    assert_eq!(stdout(&n.berth(&["exec", "held", "echo", "beside"])), "beside\n");
    assert!(t.elapsed() < std::time::Duration::from_secs(2), "exec waited for the run");
    assert_eq!(busy.wait().unwrap().code(), Some(0));
    assert_eq!(n.berth(&["inspect", "held"]).status.code(), Some(1), "--rm removed it at its end");
    // -i without -t: attach writes its stdin to the container's and ends with it.
    assert_eq!(n.berth(&["run", "-d", "-i", "--name", "reader", "bb", "sh", "-c", "read line; echo got $line; exit 4"]).status.code(), Some(0));
    let mut attach = Command::new(env!("CARGO_BIN_EXE_berth")).args(["attach", "reader"]).env("BERTH_ROOT", &n.root).stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).spawn().unwrap();
    std::io::Write::write_all(attach.stdin.as_mut().unwrap(), b"hello\n").unwrap();
    let out = attach.wait_with_output().unwrap();
    assert_eq!((out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned()), (Some(4), "got hello\n".to_string()));
    assert_eq!(stdout(&n.berth(&["logs", "reader"])), "got hello\n");
    let out = n.berth(&["run", "-it", "--detach-keys", "ctrl-1", "bb", "true"]);
    assert!(text(&out).contains("Invalid detach keys (ctrl-1) provided"), "{}", text(&out));
}

#[test]
fn pause_freezes_and_stats_reads_the_cgroups() {
    let Some(n) = Native::new("pause") else { return };
    assert_eq!(n.berth(&["run", "-d", "--name", "busy", "-m", "64m", "bb", "sh", "-c", "while true; do :; done"]).status.code(), Some(0));
    std::thread::sleep(std::time::Duration::from_millis(200));
    let table = stdout(&n.berth(&["stats", "--no-stream"]));
    let header: Vec<&str> = table.lines().next().unwrap().split("   ").map(str::trim).filter(|s| !s.is_empty()).collect();
    assert_eq!(header, ["CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %", "NET I/O", "BLOCK I/O", "PIDS"]);
    let row = table.lines().nth(1).unwrap().to_string();
    let cpu: f64 = row.split_whitespace().nth(2).unwrap().trim_end_matches('%').parse().unwrap();
    assert!(cpu > 20.0, "a busy loop uses a CPU: {row}");
    assert!(row.contains(" / 64MiB "), "the memory limit: {row}");
    // Paused, it uses no CPU and says so; exec and a second pause are refused.
    assert_eq!(stdout(&n.berth(&["pause", "busy"])), "busy\n");
    assert_eq!(stdout(&n.berth(&["inspect", "--format", "{{.State.Status}} {{.State.Paused}}", "busy"])), "paused true\n");
    assert!(stdout(&n.berth(&["ps", "--format", "{{.Status}}"])).trim_end().ends_with("(Paused)"));
    let row = stdout(&n.berth(&["stats", "--no-stream", "busy"]));
    assert!(row.lines().nth(1).unwrap().split_whitespace().nth(2) == Some("0.00%"), "{row}");
    let out = n.berth(&["exec", "busy", "true"]);
    assert!(text(&out).contains("is paused, unpause the container before exec"), "{}", text(&out));
    assert!(text(&n.berth(&["pause", "busy"])).contains("is already paused"));
    assert_eq!(stdout(&n.berth(&["unpause", "busy"])), "busy\n");
    assert!(text(&n.berth(&["unpause", "busy"])).contains("is not paused"));
    // A paused container still stops.
    assert_eq!(n.berth(&["pause", "busy"]).status.code(), Some(0));
    assert_eq!(n.berth(&["stop", "-t", "1", "busy"]).status.code(), Some(0));
    assert_eq!(stdout(&n.berth(&["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", "busy"])), "exited 137\n");
}

/// A fake NVIDIA driver under `root`: two GPUs, the control and UVM nodes, two of its
/// libraries and an `nvidia-smi` that says what it is.
fn fake_driver(root: &Path) {
    for d in ["dev", "usr/lib/x86_64-linux-gnu", "usr/bin"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    for (name, major, minor) in [("nvidia0", 195, 0), ("nvidia1", 195, 1), ("nvidiactl", 195, 255), ("nvidia-uvm", 511, 0)] {
        assert_eq!(Command::new("mknod").arg(root.join("dev").join(name)).args(["c", &major.to_string(), &minor.to_string()]).status().unwrap().code(), Some(0));
    }
    for lib in ["libcuda.so.535.104.05", "libnvidia-ml.so.535.104.05"] {
        std::fs::write(root.join("usr/lib/x86_64-linux-gnu").join(lib), format!("fake {lib}\n")).unwrap();
    }
    std::os::unix::fs::symlink("libcuda.so.535.104.05", root.join("usr/lib/x86_64-linux-gnu/libcuda.so.1")).unwrap();
    std::fs::write(root.join("usr/bin/nvidia-smi"), "#!/bin/sh\necho 'GPU 0: Fake GPU (UUID: GPU-fake-0)'\n").unwrap();
    let mut perms = std::fs::metadata(root.join("usr/bin/nvidia-smi")).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(root.join("usr/bin/nvidia-smi"), perms).unwrap();
}

#[test]
fn gpus_come_from_the_driver_or_a_cdi_spec_and_a_host_without_one_gets_dockers_error() {
    let Some(n) = Native::new("gpus") else { return };
    let driver = n.root.join("driver");
    fake_driver(&driver);
    let cdi = n.root.join("cdi");
    std::fs::create_dir_all(&cdi).unwrap();
    let berth = |args: &[&str], driver: &Path| Command::new(env!("CARGO_BIN_EXE_berth")).args(args).env("BERTH_ROOT", &n.root).env("BERTH_DRIVER_ROOT", driver).env("BERTH_CDI_SPEC_DIRS", &cdi).output().unwrap();
    let script = "ls -l /dev | grep nvidia | awk '{print $5 $6, $NF}'; ls /usr/lib/x86_64-linux-gnu; echo $NVIDIA_VISIBLE_DEVICES $NVIDIA_DRIVER_CAPABILITIES; nvidia-smi -L; head -c 1 /dev/nvidia0 2>&1";
    let out = berth(&["run", "--rm", "--gpus", "all", "bb", "sh", "-c", script], &driver);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let got = stdout(&out);
    let lines: Vec<&str> = got.lines().collect();
    assert_eq!(&lines[..4], ["511,0 nvidia-uvm", "195,0 nvidia0", "195,1 nvidia1", "195,255 nvidiactl"], "{got}");
    assert_eq!(lines[4..7], ["libcuda.so.1", "libcuda.so.535.104.05", "libnvidia-ml.so.535.104.05"], "the library and the name the host's linker cache gave it");
    assert_eq!(lines[7], "all utility,compute");
    assert_eq!(lines[8], "GPU 0: Fake GPU (UUID: GPU-fake-0)");
    // The cgroup lets it open the node (the fake has no driver behind it: ENXIO, not EPERM).
    assert_eq!(lines[9], "head: /dev/nvidia0: No such device or address");
    let out = berth(&["run", "--rm", "--gpus", "device=1", "bb", "sh", "-c", "ls /dev | grep nvidia | tr '\\n' ' '; echo $NVIDIA_VISIBLE_DEVICES"], &driver);
    assert_eq!(stdout(&out), "nvidia-uvm nvidia1 nvidiactl 1\n", "{}", text(&out));
    // No GPU on the host: Docker's words, and the container stays created.
    let empty = n.root.join("no-driver");
    std::fs::create_dir_all(empty.join("dev")).unwrap();
    let out = berth(&["run", "--name", "nogpu", "--gpus", "all", "bb", "true"], &empty);
    assert_eq!(out.status.code(), Some(125));
    assert!(text(&out).contains("could not select device driver \"\" with capabilities: [[gpu]]"), "{}", text(&out));
    assert_eq!(stdout(&n.berth(&["ps", "-a", "--filter", "name=nogpu", "--format", "{{.Status}}"])), "Created\n");
    // A CDI spec: its devices are listed, and one given with --device is applied, its
    // createContainer hook too (which finds the container's root through its bundle).
    let hook = n.root.join("accel-hook.sh");
    std::fs::write(&hook, "#!/bin/sh\nbundle=$(sed 's/.*\"bundle\":\"\\([^\"]*\\)\".*/\\1/')\ngrep -q '\"path\": \"rootfs\"' \"$bundle/config.json\" && echo \"$1\" > \"$bundle/rootfs/etc/accel\"\n").unwrap();
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(cdi.join("example.yaml"), format!("cdiVersion: \"0.6.0\"\nkind: example.com/accel\ndevices:\n  - name: a\n    containerEdits:\n      env: [ACCEL=a]\n      deviceNodes:\n        - {{path: /dev/accel0, hostPath: {}, permissions: rw}}\ncontainerEdits:\n  mounts:\n    - {{hostPath: {}, containerPath: /opt/accel/libaccel.so, options: [ro, bind]}}\n  hooks:\n    - {{hookName: createContainer, path: {}, args: [accel-hook, made-by-hook]}}\n", driver.join("dev/nvidia0").display(), driver.join("usr/lib/x86_64-linux-gnu/libcuda.so.535.104.05").display(), hook.display())).unwrap();
    assert_eq!(stdout(&berth(&["cdi", "list"], &driver)), "example.com/accel=a\n");
    let out = berth(&["run", "--rm", "--device", "example.com/accel=a", "bb", "sh", "-c", "echo $ACCEL; ls -l /dev/accel0 | awk '{print $5 $6}'; cat /opt/accel/libaccel.so; echo x > /opt/accel/libaccel.so 2>/dev/null || echo read-only; cat /etc/accel"], &driver);
    assert_eq!(stdout(&out), "a\n195,0\nfake libcuda.so.535.104.05\nread-only\nmade-by-hook\n", "the spec's hook ran on the host's side, the container's root in its bundle: {}", text(&out));
    let out = berth(&["run", "--rm", "--device", "example.com/accel=b", "bb", "true"], &driver);
    assert_eq!(out.status.code(), Some(125));
    assert!(text(&out).contains("unresolvable CDI devices example.com/accel=b"), "{}", text(&out));
    // A host device by path.
    let out = berth(&["run", "--rm", "--device", "/dev/fuse", "bb", "sh", "-c", "ls -l /dev/fuse | awk '{print $5 $6}'; head -c 1 /dev/fuse 2>&1"], &driver);
    assert_eq!(stdout(&out), "10,229\nhead: /dev/fuse: Input/output error\n", "the cgroup allows the device given: {}", text(&out));
}

#[test]
fn gpu_libraries_enter_the_containers_linker_cache_and_the_drivers_firmware_is_bound() {
    let Some(n) = Native::new("gpu-ldcache") else { return };
    if !n.debian() {
        return;
    }
    // A driver whose libraries are real shared objects with the real sonames (ldconfig
    // reads the ELF), and its firmware.
    let driver = n.root.join("driver");
    fake_driver(&driver);
    let libs = driver.join("usr/lib/x86_64-linux-gnu");
    for (file, soname) in [("libcuda.so.535.104.05", "libcuda.so.1"), ("libnvidia-ml.so.535.104.05", "libnvidia-ml.so.1")] {
        let out = Command::new("cc").args(["-shared", "-nostdlib", &format!("-Wl,-soname,{soname}"), "-o"]).arg(libs.join(file)).args(["-x", "c", "/dev/null"]).output().expect("cc runs");
        assert!(out.status.success(), "{}", text(&out));
    }
    // One library where only the driver root's linker cache says it is (the cloud
    // images' /usr/local/nvidia/lib64).
    let extra = driver.join("usr/local/nvidia/lib64");
    std::fs::create_dir_all(&extra).unwrap();
    let out = Command::new("cc").args(["-shared", "-nostdlib", "-Wl,-soname,libnvidia-ptxjitcompiler.so.1", "-o"]).arg(extra.join("libnvidia-ptxjitcompiler.so.535.104.05")).args(["-x", "c", "/dev/null"]).output().expect("cc runs");
    assert!(out.status.success(), "{}", text(&out));
    std::fs::create_dir_all(driver.join("etc")).unwrap();
    std::fs::write(driver.join("etc/ld.so.conf"), "/usr/local/nvidia/lib64\n").unwrap();
    let out = Command::new("ldconfig").arg("-r").arg(&driver).output().expect("ldconfig runs");
    assert!(out.status.success(), "{}", text(&out));
    std::fs::create_dir_all(driver.join("lib/firmware/nvidia/535.104.05")).unwrap();
    std::fs::write(driver.join("lib/firmware/nvidia/535.104.05/gsp_ga10x.bin"), "firmware").unwrap();
    let script = "ldconfig -p | grep -E 'lib(cuda|nvidia-ml|nvidia-ptxjitcompiler)\\.so\\.1 ' | awk '{print $1, $NF}' | sort; cat /lib/firmware/nvidia/535.104.05/gsp_ga10x.bin";
    let out = Command::new(env!("CARGO_BIN_EXE_berth")).args(["run", "--rm", "--gpus", "all", "debian:bookworm", "sh", "-c", script]).env("BERTH_ROOT", &n.root).env("BERTH_DRIVER_ROOT", &driver).env("BERTH_CDI_SPEC_DIRS", n.root.join("no-cdi")).output().unwrap();
    assert_eq!(stdout(&out), "libcuda.so.1 /usr/lib/x86_64-linux-gnu/libcuda.so.1\nlibnvidia-ml.so.1 /usr/lib/x86_64-linux-gnu/libnvidia-ml.so.1\nlibnvidia-ptxjitcompiler.so.1 /usr/local/nvidia/lib64/libnvidia-ptxjitcompiler.so.1\nfirmware", "{}", text(&out));
    // The image's own cache is the container's change, not the image's.
    let out = n.berth(&["run", "--rm", "debian:bookworm", "sh", "-c", "ldconfig -p | grep -c libcuda"]);
    assert_eq!(stdout(&out), "0\n", "{}", text(&out));
}

/// A free port on 127.0.0.1 (bound, then let go).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// An HTTP GET of `/` on 127.0.0.1:`port`, retried while the server comes up: the body,
/// or what went wrong last.
fn http_get(port: u16) -> String {
    use std::io::{Read, Write};
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let got = std::net::TcpStream::connect(("127.0.0.1", port)).and_then(|mut s| {
            s.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
            s.write_all(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")?;
            let mut text = String::new();
            s.read_to_string(&mut text)?;
            Ok(text)
        });
        match got {
            Ok(text) if !text.is_empty() => return text,
            other if std::time::Instant::now() > deadline => return format!("no answer: {other:?}"),
            _ => std::thread::sleep(std::time::Duration::from_millis(100)),
        }
    }
}

/// `-p` natively: the host port is bound before the container starts and each
/// connection is relayed to the port inside the container (busybox httpd here), as
/// docker-proxy does; `port` and `inspect` show the binding, a port the kernel picks
/// too; a port already taken is dockerd's error and the container does not start; at
/// stop the port is free again. Only 127.0.0.1 is bound.
#[test]
fn published_ports_reach_a_server_in_the_container() {
    let Some(n) = Native::new("ports") else { return };
    let port = free_port();
    let serve = "mkdir -p /www && echo hello from the container > /www/index.html && exec httpd -f -p 8080 -h /www";
    let out = n.berth(&["run", "-d", "--name", "web", "-p", &format!("127.0.0.1:{port}:8080"), "bb", "sh", "-c", serve]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let answer = http_get(port);
    assert!(answer.starts_with("HTTP/1.") && answer.ends_with("hello from the container\n"), "{answer}");
    assert_eq!(stdout(&n.berth(&["port", "web"])), format!("8080/tcp -> 127.0.0.1:{port}\n"));
    assert_eq!(stdout(&n.berth(&["port", "web", "8080"])), format!("127.0.0.1:{port}\n"));
    assert_eq!(stdout(&n.berth(&["inspect", "-f", "{{json .NetworkSettings.Ports}}", "web"])), format!("{{\"8080/tcp\":[{{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"{port}\"}}]}}\n"));
    // Several at once, each its own connection.
    let answers: Vec<String> = (0..4).map(|_| std::thread::spawn(move || http_get(port))).collect::<Vec<_>>().into_iter().map(|t| t.join().unwrap()).collect();
    assert!(answers.iter().all(|a| a.ends_with("hello from the container\n")), "{answers:?}");
    // The port again: dockerd's error, and the container does not start.
    let out = n.berth(&["run", "-d", "--name", "web2", "-p", &format!("127.0.0.1:{port}:8080"), "bb", "true"]);
    assert_eq!(out.status.code(), Some(125), "{}", text(&out));
    assert!(text(&out).contains(&format!("Bind for 127.0.0.1:{port} failed: port is already allocated")), "{}", text(&out));
    assert_eq!(stdout(&n.berth(&["ps", "-a", "--filter", "name=web2", "--format", "{{.Status}}"])), "Created\n");
    // A host port the kernel picks, shown as bound.
    let out = n.berth(&["run", "-d", "--name", "any", "-p", "127.0.0.1::8080", "bb", "sh", "-c", serve]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shown = stdout(&n.berth(&["port", "any", "8080/tcp"]));
    let picked: u16 = shown.trim().rsplit(':').next().and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("{shown}"));
    assert!(http_get(picked).ends_with("hello from the container\n"));
    // Stopped, its port is let go.
    assert_eq!(n.berth(&["stop", "-t", "1", "web"]).status.code(), Some(0));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while std::net::TcpListener::bind(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "port {port} still bound after stop");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(stdout(&n.berth(&["port", "web"])), "");
    let _ = n.berth(&["rm", "-f", "any", "web2", "web"]);
}

/// `-P` publishes each exposed port (the image's and `--expose`'s) on a port the kernel
/// picks, and a UDP binding is relayed both ways (a Perl echo server in Debian's image,
/// which has perl-base).
#[test]
fn publish_all_and_udp_ports_reach_the_container() {
    let Some(n) = Native::new("ports-udp") else { return };
    let serve = "mkdir -p /www && echo hello from -P > /www/index.html && exec httpd -f -p 8080 -h /www";
    let out = n.berth(&["run", "-d", "--name", "all", "-P", "--expose", "8080", "bb", "sh", "-c", serve]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let shown = stdout(&n.berth(&["port", "all", "8080"]));
    let picked: u16 = shown.trim().strip_prefix("0.0.0.0:").and_then(|p| p.parse().ok()).unwrap_or_else(|| panic!("{shown}"));
    assert!(http_get(picked).ends_with("hello from -P\n"));
    assert_eq!(stdout(&n.berth(&["inspect", "-f", "{{.HostConfig.PublishAllPorts}} {{json .HostConfig.PortBindings}}", "all"])), "true {}\n");
    let _ = n.berth(&["rm", "-f", "all"]);
    if !n.debian() {
        return;
    }
    let port = std::net::UdpSocket::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let echo = "use IO::Socket::INET; $| = 1; my $s = IO::Socket::INET->new(LocalPort => 9999, Proto => 'udp') or die \"bind: $!\"; while ($s->recv(my $m, 1024)) { $s->send(\"echo:$m\") }";
    let out = n.berth(&["run", "-d", "--name", "udp", "-p", &format!("127.0.0.1:{port}:9999/udp"), "debian:bookworm", "perl", "-e", echo]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(stdout(&n.berth(&["port", "udp"])), format!("9999/udp -> 127.0.0.1:{port}\n"));
    let client = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    client.set_read_timeout(Some(std::time::Duration::from_millis(300))).unwrap();
    let mut buf = [0u8; 64];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    // Sent until the server is up (a datagram before it binds is lost, as with Docker).
    let got = loop {
        client.send_to(b"ping", ("127.0.0.1", port)).unwrap();
        if let Ok((k, _)) = client.recv_from(&mut buf) {
            break String::from_utf8_lossy(&buf[..k]).into_owned();
        }
        assert!(std::time::Instant::now() < deadline, "no UDP reply through the relay");
    };
    assert_eq!(got, "echo:ping");
    // A second client has a flow of its own.
    let other = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    other.set_read_timeout(Some(std::time::Duration::from_secs(5))).unwrap();
    other.send_to(b"two", ("127.0.0.1", port)).unwrap();
    let (k, _) = other.recv_from(&mut buf).expect("a reply to the second client");
    assert_eq!(&buf[..k], b"echo:two");
    let _ = n.berth(&["rm", "-f", "udp"]);
}

/// Bridge networks natively: a container on a user-defined network has `eth0` with
/// the address the engine gave it, a default route through the network's gateway, and
/// reaches another container there by address and by name (and alias), both ways (the
/// first one's `/etc/hosts` learns the second's name when it starts); a container on the
/// default bridge is on another network and cannot reach them; `--network container:X`
/// shares X's. The host's own interfaces are untouched: the bridges live in a network
/// namespace of Berth's.
#[test]
fn containers_on_a_bridge_network_reach_each_other_by_address_and_name() {
    let Some(n) = Native::new("bridge") else { return };
    let host_links = std::fs::read_dir("/sys/class/net").unwrap().count();
    assert_eq!(n.berth(&["network", "create", "appnet"]).status.code(), Some(0));
    let serve = "mkdir -p /w && echo from-srv > /w/index.html && exec httpd -f -p 80 -h /w";
    let out = n.berth(&["run", "-d", "--name", "srv", "--network", "appnet", "--network-alias", "api", "bb", "sh", "-c", serve]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let ip = stdout(&n.berth(&["inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", "srv"]));
    assert_eq!(ip, "172.18.0.2\n");
    // (BusyBox's static wget resolves through glibc's NSS: files first, as images say;
    // its -T crashes it, so none is given.)
    let script = "echo 'hosts: files dns' > /etc/nsswitch.conf; for i in 1 2 3 4 5 6 7 8 9 10; do wget -q -O /dev/null http://172.18.0.2/ && break; sleep 0.3; done; ip -4 -o addr show eth0 | awk '{print $4}'; ip route | head -n 1; for h in 172.18.0.2 srv api; do wget -q -O- http://$h/ || echo \"no $h\"; done; grep -c srv /etc/hosts";
    let (out, code) = n.sh(&["--network", "appnet", "--name", "client"], script);
    assert_eq!(code, 0, "{out}");
    let why = || format!("{}{}", text(&n.berth(&["ps", "-a"])), text(&n.berth(&["logs", "srv"])));
    assert_eq!(out, "172.18.0.3/16\ndefault via 172.18.0.1 dev eth0 \nfrom-srv\nfrom-srv\nfrom-srv\n1\n", "{}", why());
    // The first one learns a later one's name.
    let out = n.berth(&["run", "-d", "--name", "later", "--network", "appnet", "bb", "sleep", "30"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let hosts = stdout(&n.berth(&["exec", "srv", "cat", "/etc/hosts"]));
    assert!(hosts.lines().any(|l| l.starts_with("172.18.0.3\tlater ")), "{hosts}");
    let out = n.berth(&["exec", "later", "sh", "-c", "ping -c 1 -W 2 srv >/dev/null && echo reached"]);
    assert_eq!(stdout(&out), "reached\n", "{}", text(&out));
    // Stopped, it leaves the others' /etc/hosts.
    assert_eq!(n.berth(&["stop", "-t", "0", "later"]).status.code(), Some(0));
    let hosts = stdout(&n.berth(&["exec", "srv", "cat", "/etc/hosts"]));
    assert!(!hosts.contains("later"), "{hosts}");
    // The default bridge is another network.
    let (out, _) = n.sh(&[], "ip -4 -o addr show eth0 | awk '{print $4}'; ping -c 1 -W 1 172.18.0.2 >/dev/null 2>&1 && echo reached || echo unreachable");
    assert_eq!(out, "172.17.0.2/16\nunreachable\n");
    // `--network container:srv`: a sidecar in srv's network namespace sees its loopback.
    let (out, code) = n.sh(&["--network", "container:srv"], "wget -q -O- http://127.0.0.1/; ip -4 -o addr show eth0 | awk '{print $4}'");
    assert_eq!((out.as_str(), code), ("from-srv\n172.18.0.2/16\n", 0));
    let out = n.berth(&["run", "--rm", "--network", "container:nope", "bb", "true"]);
    assert!(text(&out).contains("No such container: nope"), "{}", text(&out));
    assert_eq!(std::fs::read_dir("/sys/class/net").unwrap().count(), host_links, "no interface was added to the host");
    let _ = n.berth(&["rm", "-f", "srv", "later"]);
}

/// The way out of a bridge network: user-mode networking (slirp4netns) and the
/// bridges' own masquerading, so a container on the default bridge fetches Debian's
/// package lists from the real mirror (which CI reaches), while the host's interfaces
/// stay as they were.
#[test]
fn a_container_on_a_bridge_reaches_the_outside_through_user_mode_networking() {
    let Some(n) = Native::new("way-out") else { return };
    if !n.debian() {
        return;
    }
    let have = |p: &str| ["/usr/bin", "/usr/sbin", "/bin", "/sbin"].iter().any(|d| Path::new(d).join(p).is_file());
    assert!(have("slirp4netns") && have("nft"), "slirp4netns and nft are installed (scripts/env.sh installs them)");
    let host_links = std::fs::read_dir("/sys/class/net").unwrap().count();
    let out = n.berth(&["run", "--rm", "debian:bookworm", "sh", "-c", "timeout 120 apt-get update >/tmp/log 2>&1; echo apt=$?; grep -c '^Get:\\|^Hit:' /tmp/log"]);
    let got = stdout(&out);
    assert!(got.contains("apt=0\n"), "apt-get update through the bridge: {}", text(&out));
    assert!(got.lines().last().and_then(|l| l.parse::<u32>().ok()).is_some_and(|n| n > 0), "{got}");
    assert_eq!(std::fs::read_dir("/sys/class/net").unwrap().count(), host_links, "no interface was added to the host");
}

#[test]
fn stop_kill_and_rm_f_from_another_terminal_reach_a_foreground_run() {
    let Some(n) = Native::new("preempt") else { return };
    let start = |name: &str, extra: &[&str], script: &str| {
        let child = Command::new(env!("CARGO_BIN_EXE_berth")).args(["run", "--name", name]).args(extra).args(["bb", "sh", "-c", script]).env("BERTH_ROOT", &n.root).stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::null()).spawn().unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while stdout(&n.berth(&["inspect", "--format", "{{.State.Pid}}", name])).trim().parse::<i32>().unwrap_or(0) == 0 {
            assert!(std::time::Instant::now() < deadline, "{name} did not start");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        // The run has started its process and holds the state's lock.
        std::thread::sleep(std::time::Duration::from_millis(200));
        child
    };
    let status = |name: &str| stdout(&n.berth(&["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name]));
    // sh as PID 1 has no handler for TERM: the grace period passes, then KILL.
    let run = start("fg-stop", &[], "sleep 60");
    let t = std::time::Instant::now();
    let out = n.berth(&["stop", "-t", "1", "fg-stop"]);
    assert_eq!(stdout(&out), "fg-stop\n", "{}", text(&out));
    assert!(t.elapsed() < std::time::Duration::from_secs(8), "stop did not wait for the run to end by itself");
    assert_eq!(run.wait_with_output().unwrap().status.code(), Some(137));
    assert_eq!(status("fg-stop"), "exited 137\n", "recorded by the run before stop returned");
    // A handler for TERM ends it at once, with its own status.
    let run = start("fg-trap", &[], "trap 'echo bye; exit 3' TERM; sleep 60 & wait");
    assert_eq!(stdout(&n.berth(&["stop", "fg-trap"])), "fg-trap\n");
    let ran = run.wait_with_output().unwrap();
    assert_eq!((ran.status.code(), String::from_utf8_lossy(&ran.stdout).into_owned()), (Some(3), "bye\n".to_string()));
    assert_eq!(status("fg-trap"), "exited 3\n");
    // kill, of a --rm run: gone once kill returns.
    let run = start("fg-kill", &["--rm"], "sleep 60");
    assert_eq!(stdout(&n.berth(&["kill", "fg-kill"])), "fg-kill\n");
    assert_eq!(run.wait_with_output().unwrap().status.code(), Some(137));
    assert_eq!(n.berth(&["inspect", "fg-kill"]).status.code(), Some(1), "removed by its --rm");
    // rm -f: killed and removed.
    let run = start("fg-rm", &[], "sleep 60");
    let out = n.berth(&["rm", "-f", "fg-rm", "no-such"]);
    assert_eq!(stdout(&out), "fg-rm\n");
    assert!(text(&out).contains("No such container: no-such"), "{}", text(&out));
    assert_eq!(run.wait_with_output().unwrap().status.code(), Some(137));
    assert_eq!(stdout(&n.berth(&["ps", "-a", "--format", "{{.Names}}"])), "fg-trap\nfg-stop\n", "newest first");
}

#[test]
fn a_long_foreground_run_leaves_the_commands_that_look_free() {
    let Some(n) = Native::new("looking") else { return };
    let mut child = Command::new(env!("CARGO_BIN_EXE_berth")).args(["run", "--rm", "--name", "long", "bb", "sh", "-c", "echo started; sleep 2"]).env("BERTH_ROOT", &n.root).stdout(std::process::Stdio::null()).spawn().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    // While it holds the state, ps, inspect and logs still answer, at once.
    let t = std::time::Instant::now();
    let ps = stdout(&n.berth(&["ps", "--format", "{{.Names}} {{.Status}}"]));
    assert!(ps.starts_with("long Up "), "{ps}");
    assert_eq!(stdout(&n.berth(&["inspect", "--format", "{{.State.Status}}", "long"])), "running\n");
    assert!(t.elapsed() < std::time::Duration::from_secs(1), "they did not wait for the run");
    assert!(child.wait().unwrap().success());
    assert_eq!(stdout(&n.berth(&["ps", "-a", "--format", "{{.Names}}"])), "", "--rm removed it at the end");
    // A start that fails does not stay up in the records.
    assert_eq!(n.berth(&["run", "--rm", "bb", "nosuch"]).status.code(), Some(127));
    assert_eq!(stdout(&n.berth(&["ps", "-a", "--format", "{{.Names}}"])), "");
}

#[test]
fn a_debian_image_made_by_debootstrap_runs_natively() {
    let Some(n) = Native::new("debian") else { return };
    let Some(tar) = std::env::var_os("BERTH_DEBIAN_ROOTFS") else {
        // ./scripts/test makes it once (scripts/env.sh, ensure_debian_rootfs).
        println!("BERTH_DEBIAN_ROOTFS is not set: skipped (./scripts/test sets it)");
        return;
    };
    let out = n.berth(&["import", "-c", "CMD [\"bash\"]", "-c", "ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", tar.to_str().unwrap(), "debian:bookworm"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let script = ". /etc/os-release; echo $ID $VERSION_CODENAME; echo ${BASH_VERSION%%.*}; perl -e 'print 6*7, qq(\\n)'; dpkg -s coreutils | grep -c '^Status: install ok installed'; id -un; stat -c %A /tmp; apt-get --version | head -1 | cut -d' ' -f1";
    let out = n.berth(&["run", "--rm", "debian:bookworm", "bash", "-c", script]);
    assert_eq!(stdout(&out), "debian bookworm\n5\n42\n1\nroot\ndrwxrwxrwt\napt\n", "{}", text(&out));
    // --group-add: by name through the image's /etc/group, or by number.
    let out = n.berth(&["run", "--rm", "--group-add", "video", "--group-add", "1111", "debian:bookworm", "id", "-G"]);
    assert_eq!(stdout(&out), "0 44 1111\n", "{}", text(&out));
    // A user made in one container is a user of the image committed from it.
    assert_eq!(n.berth(&["run", "--name", "adduser", "debian:bookworm", "useradd", "-m", "-u", "1234", "student"]).status.code(), Some(0));
    assert_eq!(n.berth(&["commit", "adduser", "debian:student"]).status.code(), Some(0));
    let out = n.berth(&["run", "--rm", "-u", "student", "-w", "/home/student", "debian:student", "sh", "-c", "id -u; whoami; pwd; touch mine && ls -n mine | awk '{print $3}'"]);
    assert_eq!(stdout(&out), "1234\nstudent\n/home/student\n1234\n", "{}", text(&out));
}

#[test]
fn a_native_build_installs_from_debians_mirror_and_pypi() {
    let Some(n) = Native::new("debian-build") else { return };
    if !n.debian() {
        return;
    }
    let ctx = n.root.join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    // pip verifies PyPI against the host's CA roots, given to the step as a build secret
    // (the machine's own, which a TLS-inspecting proxy on the way may need).
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM debian:bookworm\n\
         RUN apt-get update && apt-get install -y --no-install-recommends python3-venv\n\
         RUN --mount=type=secret,id=ca python3 -m venv /opt/venv && /opt/venv/bin/pip install -q --no-cache-dir --cert /run/secrets/ca flask==3.0.0\n\
         CMD [\"/opt/venv/bin/python\", \"-c\", \"import importlib.metadata as m, flask; print('flask', m.version('flask'))\"]\n",
    )
    .unwrap();
    let out = n.berth(&["build", "--progress", "plain", "--secret", "id=ca,src=/etc/ssl/certs/ca-certificates.crt", "-t", "venv", ctx.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = n.berth(&["run", "--rm", "venv"]);
    assert_eq!(stdout(&out), "flask 3.0.0\n", "{}", text(&out));
    // The secret is not in the image.
    let out = n.berth(&["run", "--rm", "venv", "ls", "/run/secrets"]);
    assert_ne!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn bind_mounts_take_the_propagation_they_are_given() {
    let Some(n) = Native::new("propagation") else { return };
    let host_dir = n.root.join("shared-dir");
    std::fs::create_dir_all(&host_dir).unwrap();
    let v = format!("{}:/mnt:rshared", host_dir.display());
    let m = format!("type=bind,source={},target=/m2,bind-propagation=rshared", host_dir.display());
    let p = format!("{}:/plain", host_dir.display());
    // mountinfo's optional fields: `shared:N` for a shared mount, none for a private one.
    let script = "for d in /mnt /m2 /plain; do awk -v d=$d '$5 == d { print d, ($7 ~ /^shared:/) ? \"shared\" : \"private\" }' /proc/self/mountinfo; done";
    let (out, code) = n.sh(&["-v", &v, "--mount", &m, "-v", &p], script);
    assert_eq!((out.as_str(), code), ("/mnt shared\n/m2 shared\n/plain private\n", 0));
    let bad = n.berth(&["run", "--rm", "-v", &format!("{}:/x:sideways", host_dir.display()), "bb", "true"]);
    assert_eq!(bad.status.code(), Some(125));
    assert!(text(&bad).contains("invalid mode: sideways"), "{}", text(&bad));
}

#[test]
fn resource_flags_and_update_reach_the_cgroups() {
    let Some(n) = Native::new("update") else { return };
    if Path::new("/sys/fs/cgroup/cgroup.controllers").exists() {
        println!("cgroup v2 host: this test reads cgroup v1 files; skipped");
        return;
    }
    let out = n.berth(&["run", "-d", "--name", "limited", "-m", "64m", "--memory-swap", "128m", "--memory-reservation", "32m", "--cpu-shares", "512", "--cpuset-cpus", "0", "--cpus", "0.5", "bb", "sleep", "30"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let id = stdout(&n.berth(&["inspect", "--format", "{{.Id}}", "limited"])).trim().to_string();
    let read = |file: &str| std::fs::read_to_string(Path::new("/sys/fs/cgroup").join(file.split('.').next().unwrap()).join("berth").join(&id).join(file)).unwrap().trim().to_string();
    assert_eq!(read("memory.limit_in_bytes"), "67108864");
    assert_eq!(read("memory.memsw.limit_in_bytes"), "134217728");
    assert_eq!(read("memory.soft_limit_in_bytes"), "33554432");
    assert_eq!(read("cpu.shares"), "512");
    assert_eq!((read("cpu.cfs_quota_us"), read("cpu.cfs_period_us")), ("50000".to_string(), "100000".to_string()));
    assert_eq!(read("cpuset.cpus"), "0");
    // Inside, its own cgroups are the root of its cgroup namespace, read-only at
    // /sys/fs/cgroup, with its limits (what JVMs and ML tools read).
    let out = n.berth(&["exec", "limited", "sh", "-c", "grep ':memory:' /proc/self/cgroup | cut -d: -f3; cat /sys/fs/cgroup/memory/memory.limit_in_bytes; ls /sys/fs/cgroup | tr '\n' ' '; touch /sys/fs/cgroup/x 2>&1"]);
    assert_eq!(stdout(&out), "/\n67108864\ncpu cpuacct cpuset devices freezer memory pids touch: /sys/fs/cgroup/x: Read-only file system\n", "{}", text(&out));
    // update: the running container's cgroups change at once.
    let out = n.berth(&["update", "-m", "100m", "--memory-swap", "200m", "--cpus", "1.5", "--pids-limit", "50", "limited"]);
    assert_eq!(stdout(&out), "limited\n", "{}", text(&out));
    assert_eq!(read("memory.limit_in_bytes"), "104857600");
    assert_eq!(read("memory.memsw.limit_in_bytes"), "209715200");
    assert_eq!(read("cpu.cfs_quota_us"), "150000");
    assert_eq!(read("pids.max"), "50");
    assert_eq!(stdout(&n.berth(&["inspect", "--format", "{{.HostConfig.Memory}}", "limited"])).trim(), "104857600");
    // Docker's refusals.
    let out = n.berth(&["run", "--rm", "--memory-swap", "10m", "bb", "true"]);
    assert!(text(&out).contains("You should always set the Memory limit when using Memoryswap limit"), "{}", text(&out));
    let out = n.berth(&["run", "--rm", "--cpus", "1", "--cpu-period", "50000", "bb", "true"]);
    assert!(text(&out).contains("Conflicting options: Nano CPUs and CPU Period cannot both be set"), "{}", text(&out));
    assert_eq!(n.berth(&["rm", "-f", "limited"]).status.code(), Some(0));
}

#[test]
fn build_runs_run_steps_natively_over_the_image_layers() {
    let Some(n) = Native::new("build") else { return };
    let ctx = n.root.join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(ctx.join("hello.txt"), "hi\n").unwrap();
    std::fs::write(
        ctx.join("Dockerfile"),
        "FROM bb\nWORKDIR /app\nCOPY hello.txt .\nRUN echo \"built on $(hostname) as $$\" > built && rm /bin/vi && mkdir -p /var/x && touch /var/x/f\nRUN cat hello.txt built; ls /bin/vi || echo vi gone\nCMD [\"cat\", \"/app/built\"]\n",
    )
    .unwrap();
    assert_eq!(n.sh(&[], "true").1, 0, "a first start sweeps what earlier killed supervisors left");
    let before = leftovers(&n.root);
    // Without --runtime a real image's steps run natively, in BuildKit's sandbox.
    let out = n.berth(&["build", "--progress", "plain", "-t", "nb", ctx.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains(" hi\n") && text(&out).contains(" built on buildkitsandbox as 1\n") && text(&out).contains(" vi gone\n"), "{}", text(&out));
    // Each step's changes are a layer: files added, a file removed (a whiteout).
    assert_eq!(stdout(&n.berth(&["run", "--rm", "nb"])), "built on buildkitsandbox as 1\n");
    let (out, _) = n.sh_in("nb", "ls /bin/vi 2>&1; ls /var/x");
    assert_eq!(out, "ls: /bin/vi: No such file or directory\nf\n");
    assert!(stdout(&n.berth(&["history", "--no-trunc", "--format", "{{.CreatedBy}}", "nb"])).contains("RUN /bin/sh -c echo \"built on $(hostname) as $$\" > built"));
    // Built again, every step comes from the cache.
    let out = n.berth(&["build", "--progress", "plain", "-t", "nb", ctx.to_str().unwrap()]);
    assert_eq!(text(&out).matches("CACHED").count(), 4, "{}", text(&out));
    // The default network is the host's (no bridge yet); --network none has only lo.
    let interfaces = |dev: &str| -> Vec<String> {
        let mut v: Vec<String> = dev.lines().skip(2).filter_map(|l| Some(l.split(':').next()?.trim().to_string())).collect();
        v.sort();
        v
    };
    std::fs::write(ctx.join("Dockerfile.net"), "FROM bb\nRUN cat /proc/net/dev > /dev.txt\n").unwrap();
    for (network, expect) in [("default", interfaces(&std::fs::read_to_string("/proc/net/dev").unwrap())), ("none", vec!["lo".to_string()])] {
        let out = n.berth(&["build", "-q", "--no-cache", "--network", network, "-f", ctx.join("Dockerfile.net").to_str().unwrap(), "-t", "net", ctx.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let (dev, _) = n.sh_in("net", "cat /dev.txt");
        assert_eq!(interfaces(&dev), expect, "--network {network}");
    }
    let out = n.berth(&["build", "--network", "bridge", ctx.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "ERROR: network mode \"bridge\" not supported by buildkit\n");
    // A failing step fails the build with its status and its line.
    std::fs::write(ctx.join("Dockerfile.bad"), "FROM bb\nRUN echo partial > /p && exit 3\n").unwrap();
    let out = n.berth(&["build", "--progress", "plain", "-f", ctx.join("Dockerfile.bad").to_str().unwrap(), ctx.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("ERROR: failed to solve: process \"/bin/sh -c echo partial > /p && exit 3\" did not complete successfully: exit code: 3"), "{}", text(&out));
    assert!(text(&out).contains(">>> RUN echo partial > /p && exit 3"), "{}", text(&out));
    // The emulated runtime still builds it when asked.
    let out = n.berth(&["build", "-q", "--runtime", "emulated", "-t", "emu", ctx.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // Nothing of the steps' containers is left.
    assert_eq!(leftovers(&n.root), before, "(mounts, cgroups, processes, run directories)");
}

/// A user of the host's for the rootless test, made once: its name, UID and GID, with
/// ranges in /etc/subuid and /etc/subgid. `None` (and why) where it cannot be.
fn rootless_user() -> Option<(String, u32, u32)> {
    let name = "berth-rootless";
    if Command::new("newuidmap").arg("--help").output().is_err() {
        println!("newuidmap is not installed (scripts/test installs Debian's uidmap); skipped");
        return None;
    }
    if Command::new("id").arg(name).output().ok()?.status.code() != Some(0) {
        let out = Command::new("useradd").args(["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name]).output().ok()?;
        assert!(out.status.success(), "useradd: {}", text(&out));
    }
    for file in ["/etc/subuid", "/etc/subgid"] {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        if !text.lines().any(|l| l.starts_with(&format!("{name}:"))) {
            std::fs::write(file, format!("{text}{name}:400000:65536\n")).unwrap();
        }
    }
    let id = |flag: &str| stdout(&Command::new("id").args([flag, name]).output().unwrap()).trim().parse::<u32>().unwrap();
    Some((name.to_string(), id("-u"), id("-g")))
}

#[test]
fn rootless_containers_run_as_an_unprivileged_user_in_a_user_namespace() {
    let Some(n) = Native::new("rootless") else { return };
    let Some((_, uid, gid)) = rootless_user() else { return };
    // Everything the user needs in a directory of its own: berth itself (root's target
    // directory is not the user's to read), the image, the state.
    let home = std::env::temp_dir().join(format!("berth-rootless-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_berth"), home.join("berth")).unwrap();
    std::fs::write(home.join("busybox.tar"), busybox_rootfs()).unwrap();
    assert!(Command::new("chown").args(["-R", &format!("{uid}:{gid}"), home.to_str().unwrap()]).status().unwrap().success());
    struct Cleanup(PathBuf);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            // The user namespace's holder, then what the user had.
            if let Some(pid) = std::fs::read_to_string(self.0.join("state/rootless/holder")).ok().and_then(|i| i.split_whitespace().next()?.parse::<i32>().ok()) {
                let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            }
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let _cleanup = Cleanup(home.clone());
    let berth = |args: &[&str]| {
        use std::os::unix::process::CommandExt;
        Command::new(home.join("berth")).args(args).current_dir(&home).env_clear().env("PATH", "/usr/bin:/bin").env("HOME", &home).env("BERTH_ROOT", home.join("state")).uid(uid).gid(gid).output().unwrap()
    };
    let out = berth(&["import", "--change", "CMD [\"sh\"]", "busybox.tar", "bb"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(stdout(&berth(&["info"])).contains("  rootless\n"), "info says so");
    // Root in the container is the user on the host; the rest of the IDs are its range.
    let out = berth(&["run", "--rm", "bb", "sh", "-c", "id -u; cat /proc/self/uid_map | tr -s ' ' | sed 's/^ //'; echo hi > /made && ls -n /made | awk '{print $3}'; cat /dev/null; hostname | wc -c"]);
    assert_eq!(stdout(&out), format!("0\n0 {uid} 1\n1 400000 65536\n0\n13\n"), "{}", text(&out));
    // Detached, with exec, logs and stop; what it wrote, owners included, is its change.
    let out = berth(&["run", "-d", "--name", "bg", "bb", "sh", "-c", "mkdir /data; echo x > /data/f; chown 33:33 /data/f; echo started; sleep 30"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(stdout(&berth(&["exec", "bg", "sh", "-c", "ls -n /data/f | awk '{print $3, $4}'"])), "33 33\n");
    assert_eq!(stdout(&berth(&["logs", "bg"])), "started\n");
    assert_eq!(stdout(&berth(&["stop", "-t", "1", "bg"])), "bg\n");
    assert_eq!(stdout(&berth(&["diff", "bg"])), "A /data\nA /data/f\n");
    assert_eq!(berth(&["commit", "bg", "bb:owned"]).status.code(), Some(0));
    assert_eq!(stdout(&berth(&["run", "--rm", "bb:owned", "stat", "-c", "%u:%g %n", "/data/f"])), "33:33 /data/f\n");
    // On the host, the file belongs to the user's range, not to root.
    let layer_file = std::fs::read_dir(home.join("state/native/layers")).unwrap().filter_map(Result::ok).map(|e| e.path().join("data/f")).find(|p| p.exists()).expect("the committed layer is on disk");
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&layer_file).unwrap()), 400000 + 32);
    // What a user namespace cannot give is refused, saying why.
    let out = berth(&["run", "--rm", "-m", "64m", "bb", "true"]);
    assert_eq!(out.status.code(), Some(125));
    assert!(text(&out).contains("rootless containers have no cgroups on this host"), "{}", text(&out));
    let _ = n;
}

/// `kill -s`: a signal reaches a detached container's process; one that does not end
/// it (a handler, or PID 1 with none) leaves the container running; KILL ends it. The
/// container's program starts with default signal actions whatever berth inherited.
#[test]
fn kill_sends_the_signal_it_is_given() {
    let Some(n) = Native::new("kill-signal") else { return };
    // Started by a berth that ignores HUP (as under `nohup`): the container's program
    // starts with every signal's default action all the same, so its shell can trap it.
    let out = Command::new("nohup")
        .arg(env!("CARGO_BIN_EXE_berth"))
        .args(["run", "-d", "--name", "hup", "bb", "sh", "-c", "trap 'echo got HUP' HUP; echo ready; while true; do sleep 0.1; done"])
        .env("BERTH_ROOT", &n.root)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // The logs say when the trap is set, and when it has run.
    let logged = |what: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !stdout(&n.berth(&["logs", "hup"])).contains(what) {
            assert!(std::time::Instant::now() < deadline, "{what:?} never reached the logs: {}", text(&n.berth(&["logs", "hup"])));
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    };
    logged("ready");
    let status = |name: &str| stdout(&n.berth(&["inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", name]));
    assert_eq!(stdout(&n.berth(&["kill", "-s", "HUP", "hup"])), "hup\n");
    logged("got HUP");
    assert_eq!(stdout(&n.berth(&["kill", "--signal=SIGTERM", "hup"])), "hup\n", "sh as PID 1 has no handler for TERM");
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(status("hup"), "running 0\n");
    let out = n.berth(&["kill", "-s", "NOPE", "hup"]);
    assert_eq!((out.status.code(), text(&out)), (Some(1), "Error response from daemon: Invalid signal: NOPE\n".to_string()));
    assert_eq!(stdout(&n.berth(&["kill", "-s", "KILL", "hup"])), "hup\n");
    assert_eq!(status("hup"), "exited 137\n");
}

/// Where overlayfs cannot mount (here forced with `BERTH_SNAPSHOTTER=copy`), the copying
/// snapshotter lays the layers out in the container's root: the process sees the same
/// files, and its writable layer (for `diff`, `commit`, the next start) is what differs
/// from the layers, in the foreground and detached alike.
#[test]
fn the_copying_snapshotter_runs_containers_where_overlayfs_cannot_mount() {
    let Some(n) = Native::new("copy") else { return };
    let copy = [("BERTH_SNAPSHOTTER", "copy")];
    let berth = |args: &[&str]| n.berth_with(&copy, args);
    let out = berth(&["run", "--name", "keeper", "bb", "sh", "-c", "grep -c ' / / .* - overlay ' /proc/self/mountinfo; echo one >> /root/notes; rm /bin/vi; mkdir -p /srv/x; cat /root/notes"]);
    assert_eq!((String::from_utf8_lossy(&out.stdout).as_ref(), out.status.code()), ("0\none\n", Some(0)), "no overlay mount, and the image's files are there: {}", text(&out));
    let diff = String::from_utf8(berth(&["diff", "keeper"]).stdout).unwrap();
    assert_eq!(diff, "C /bin\nD /bin/vi\nC /root\nA /root/notes\nA /srv\nA /srv/x\n", "the same writable layer overlayfs gives");
    let out = berth(&["start", "-a", "keeper"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "0\none\none\n", "{}", text(&out));
    assert_eq!(berth(&["commit", "keeper", "kept"]).status.code(), Some(0));
    let out = berth(&["run", "--rm", "kept", "sh", "-c", "cat /root/notes; test -e /bin/vi || echo gone"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "one\none\ngone\n", "{}", text(&out));
    // Detached, under its supervisor: read back when it ends.
    let out = berth(&["run", "-d", "--name", "away", "bb", "sh", "-c", "echo made > /tmp/made; sleep 100"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(berth(&["stop", "-t", "0", "away"]).status.code(), Some(0));
    let diff = String::from_utf8(berth(&["diff", "away"]).stdout).unwrap();
    assert_eq!(diff, "C /tmp\nA /tmp/made\n", "{diff}");
    assert!(String::from_utf8_lossy(&berth(&["info"]).stdout).contains(" Snapshotter: copy (overlayfs cannot mount here)\n"));
    assert!(String::from_utf8_lossy(&n.berth(&["info"]).stdout).contains(" Snapshotter: overlayfs\n"), "this machine mounts overlayfs");
    // The overlay snapshotter, asked for, still gives the same answers.
    let out = n.berth_with(&[("BERTH_SNAPSHOTTER", "overlay")], &["run", "--rm", "kept", "sh", "-c", "grep -c ' / / .* - overlay ' /proc/self/mountinfo; cat /root/notes"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1\none\none\n", "{}", text(&out));
}
