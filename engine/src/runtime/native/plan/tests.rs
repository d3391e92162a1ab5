//! The start's steps as the recorder sees them: their order, what options add, and how a
//! failed or optional step ends.

use super::*;
use super::bundle::MS_SHARED;
use crate::runtime::native::sys::Recorder;
use crate::runtime::spec::{Namespace, ProcessSpec, User};

fn layout() -> Layout {
    Layout {
        rootfs: "/state/run/c1/rootfs".into(),
        lower: vec!["/state/layers/top".into(), "/state/layers/base".into()],
        upper: "/state/run/c1/upper".into(),
        work: "/state/run/c1/work".into(),
        files: "/state/run/c1/files".into(),
        old_root: ".old-r4nd0m".into(),
        id: "c1".into(),
        rootless: false,
        copy: false,
    }
}

fn spec(network_host: bool, uid: u32) -> ContainerSpec {
    let mut s = ContainerSpec::for_process(ProcessSpec {
        args: vec!["app".into(), "--flag".into()],
        env: vec!["PATH=/usr/bin:/bin".into()],
        cwd: "/work/dir".into(),
        user: User { uid, gid: uid, additional_gids: Some(vec![27]) },
        ..ProcessSpec::default()
    });
    s.hostname = "c0ffee".into();
    for kind in ["pid", "ipc", "uts", "mount", "network"] {
        s.linux.namespaces.push(Namespace { kind: kind.into(), path: (network_host && kind == "network").then(|| "/proc/1/ns/net".into()) });
    }
    s
}

fn calls(steps: &[Step], fail: Vec<(String, Errno)>) -> (Result<(), Failed>, Vec<String>) {
    let rec = Recorder { fail, ..Recorder::default() };
    let r = run(steps, &rec);
    (r, rec.calls.into_inner())
}

fn position(calls: &[String], prefix: &str) -> usize {
    calls.iter().position(|c| c.starts_with(prefix)).unwrap_or_else(|| panic!("no call {prefix:?} in {calls:#?}"))
}

#[test]
fn a_start_mounts_pivots_then_binds_through_the_old_root_and_drops_privileges_before_exec() {
    let binds = [Bind { source: "/srv/data".into(), destination: "/data/in".into(), read_only: true, file: false, propagation: vec![MS_SHARED | MS_REC] }];
    let steps = build(&spec(false, 0), &layout(), &binds, 9, 10, None).unwrap();
    let (r, calls) = calls(&steps, Vec::new());
    assert_eq!(r, Ok(()), "the fake exec succeeds");
    assert_eq!(calls[0], "die_with_parent", "a parent that dies before its go-ahead takes the child with it");
    assert_eq!(calls[1], "wait_parent true", "nothing else happens before the parent placed the child");
    let overlay = &calls[position(&calls, "mount overlay")];
    assert_eq!(overlay, "mount overlay /state/run/c1/rootfs overlay 0x0 lowerdir=/state/layers/top:/state/layers/base,upperdir=/state/run/c1/upper,workdir=/state/run/c1/work,volatile");
    let pivot = position(&calls, "pivot_root /state/run/c1/rootfs /state/run/c1/rootfs/.old-r4nd0m");
    assert!(position(&calls, "mount - / - ") < pivot, "mounts are private before anything is mounted");
    // The container's mounts come after the pivot, from under the old root.
    let bind = position(&calls, "mount /.old-r4nd0m/srv/data /data/in - ");
    assert!(bind > pivot);
    assert!(position(&calls, "mkdir /data/in") < bind && position(&calls, "mkdir /data ") < bind);
    assert!(calls[bind + 1].starts_with("mount - /data/in - ") && calls[bind + 1].ends_with(" -"), "then read-only: {}", calls[bind + 1]);
    assert_eq!(calls[bind + 2], format!("mount - /data/in - {:#x} -", MS_SHARED | MS_REC), "then its propagation");
    assert!(position(&calls, "mount /.old-r4nd0m/state/run/c1/files/hosts /etc/hosts") > pivot);
    let detach = position(&calls, "umount /.old-r4nd0m 2");
    assert!(detach > bind && position(&calls, "rmdir /.old-r4nd0m") > detach, "the old root goes before the program runs");
    for dev in ["/dev/null 20666 259", "/dev/zero 20666 261", "/dev/full 20666 263", "/dev/urandom 20666 265", "/dev/tty 20666 1280"] {
        assert!(calls.iter().any(|c| c == &format!("mknod {dev}")), "{dev} in {calls:#?}");
    }
    assert!(calls.iter().any(|c| c.starts_with("mount sysfs /sys sysfs")));
    assert!(calls.iter().any(|c| c.starts_with("mount /dev/null /proc/kcore ")));
    assert!(calls.contains(&"sethostname c0ffee".to_string()));
    assert!(calls.contains(&"loopback_up".to_string()), "a new network namespace has lo up");
    // Privileges: bounding set, groups, gid, uid, then the capabilities, then exec.
    let order = ["drop_bounding 0xa80425fb", "setgroups [27]", "setgid 0", "setuid 0", "capset 0xa80425fb", "execve /usr/bin/app argv=2 envp=3"];
    let at: Vec<usize> = order.iter().map(|o| position(&calls, o)).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{calls:#?}");
    assert!(position(&calls, "chdir /work/dir") < at[0]);
}

#[test]
fn host_networking_keeps_the_hosts_sys_read_only_and_a_user_keeps_no_capabilities() {
    let steps = build(&spec(true, 1000), &layout(), &[], 3, 4, None).unwrap();
    let (_, calls) = calls(&steps, Vec::new());
    assert!(!calls.contains(&"loopback_up".to_string()));
    assert!(calls.iter().any(|c| c.starts_with("mount /.old-r4nd0m/sys /sys - ")));
    assert!(!calls.iter().any(|c| c.starts_with("capset")), "a non-root user keeps only the bounding set");
    assert!(calls.iter().any(|c| c == "setuid 1000"));
}

#[test]
fn a_failed_step_says_which_and_optional_ones_do_not_stop_the_start() {
    let steps = build(&spec(false, 0), &layout(), &[], 3, 4, None).unwrap();
    // A masked path the kernel does not have is fine.
    let (r, _) = calls(&steps, vec![("mount /dev/null /proc/timer_stats".into(), libc::ENOENT)]);
    assert_eq!(r, Ok(()));
    let (r, _) = calls(&steps, vec![("pivot_root".into(), libc::EINVAL)]);
    let failed = r.unwrap_err();
    assert_eq!((describe(&steps[failed.step]).as_str(), failed.errno), ("pivot_root", libc::EINVAL));
    // The program is looked for in each PATH directory; EACCES beats ENOENT, as execvp.
    let (r, made) = calls(&steps, vec![("execve /usr/bin/app".into(), libc::EACCES), ("execve /bin/app".into(), libc::ENOENT)]);
    assert_eq!(r.unwrap_err().errno, libc::EACCES);
    assert!(made.iter().any(|c| c.starts_with("execve /bin/app")), "every candidate is tried");
    let (r, _) = calls(&steps, vec![("execve".into(), libc::ENOENT)]);
    let failed = r.unwrap_err();
    assert!(matches!(&steps[failed.step], Step::Exec(e) if e.argv0 == "app"));
    assert_eq!(failed.errno, libc::ENOENT);
}

#[test]
fn strings_with_nul_bytes_are_refused_before_the_clone() {
    let mut s = spec(false, 0);
    s.process.env.push("BAD=a\0b".into());
    assert!(build(&s, &layout(), &[], 3, 4, None).unwrap_err().contains("NUL"));
}

#[test]
fn options_become_steps_in_their_place() {
    let mut s = spec(false, 0);
    s.root.readonly = true;
    s.mounts.push(crate::runtime::spec::MountSpec { destination: "/scratch".into(), kind: "tmpfs".into(), source: "tmpfs".into(), options: vec!["ro".into(), "size=1m".into()] });
    s.linux.sysctl.insert("net.ipv4.ip_forward".into(), "1".into());
    s.linux.masked_paths = Some(vec!["/proc/custom".into()]);
    s.process.no_new_privileges = true;
    s.process.rlimits.push(crate::runtime::spec::Rlimit { kind: "RLIMIT_NOFILE".into(), soft: 100, hard: 200 });
    s.annotations.insert(crate::runtime::spec::ANNOTATION_INIT.into(), "true".into());
    let steps = build(&s, &layout(), &[], 3, 4, None).unwrap();
    let (r, calls) = calls(&steps, vec![("mount /dev/null /proc/custom".into(), libc::ENOTDIR)]);
    assert_eq!(r, Ok(()));
    assert!(calls.iter().any(|c| c == "mount tmpfs /scratch tmpfs 0x1 size=1m"), "{calls:#?}");
    assert!(calls.iter().any(|c| c == "mount tmpfs /proc/custom tmpfs 0x1 -"), "a masked directory gets an empty tmpfs");
    let sysctl = position(&calls, "write_file /proc/sys/net/ipv4/ip_forward 1");
    assert!(sysctl < position(&calls, "mount /proc/sys /proc/sys"), "written before /proc/sys turns read-only");
    assert!(position(&calls, "mount - / - ") < position(&calls, "sethostname"), "the root remounted read-only");
    let order = ["setrlimit 7 100 200", "init true", "drop_bounding", "setuid 0", "no_new_privs", "execve"];
    let at: Vec<usize> = order.iter().map(|o| position(&calls, o)).collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{calls:#?}");
}

#[test]
fn hooks_run_where_the_runtime_spec_puts_them_with_the_state_on_their_input() {
    use crate::runtime::spec::Hook;
    let mut s = spec(false, 1000);
    s.hooks.create_container.push(Hook { path: "/usr/bin/nvidia-ctk".into(), args: vec!["nvidia-ctk".into(), "hook".into(), "update-ldcache".into()], env: vec![], timeout: Some(5) });
    s.hooks.start_container.push(Hook { path: "/sbin/ldconfig".into(), args: vec![], env: vec![], timeout: None });
    let steps = build(&s, &layout(), &[], 9, 10, None).unwrap();
    let (r, calls) = calls(&steps, Vec::new());
    assert_eq!(r, Ok(()));
    let create = position(&calls, "hook createContainer #0 /usr/bin/nvidia-ctk argv=3 chroot /.old-r4nd0m with / at /.old-r4nd0m/state/run/c1/rootfs");
    assert!(calls[create].contains(r#"state={"annotations":{},"bundle":"/state/run/c1","id":"c1","ociVersion":"1.2.0","pid":<pid>,"status":"creating"}"#), "{}", calls[create]);
    // After the container's mounts and masks, while the old root is still there.
    assert!(position(&calls, "mount /.old-r4nd0m/state/run/c1/files/hosts") < create);
    assert!(create < position(&calls, "umount /.old-r4nd0m"));
    let start = position(&calls, "hook startContainer #0 /sbin/ldconfig argv=1 in the container");
    assert!(calls[start].contains(r#""status":"created""#));
    // Inside the container, before the filter and the user change.
    assert!(position(&calls, "umount /.old-r4nd0m") < start && start < position(&calls, "setuid 1000"));

    // A bundle's: the same places, the bundle's directory and ID in the state.
    let b = bundle::Bundle { dir: "/b".into(), rootfs: "/b/rootfs".into(), old_root: ".old".into(), join: vec![], fifo: "/proc/self/fd/7".into(), id: "pod-1".into() };
    let fds = crate::runtime::native::process::Fds { sync: 9, report: 10, console: None };
    let steps = bundle::build(&s, &b, fds).unwrap();
    let (_, calls) = self::calls(&steps, Vec::new());
    let create = position(&calls, "hook createContainer #0 /usr/bin/nvidia-ctk argv=3 chroot /.old with / at /.old/b/rootfs");
    assert!(calls[create].contains(r#""bundle":"/b","id":"pod-1""#));
    assert!(position(&calls, "await_start") < position(&calls, "hook startContainer"));
}
