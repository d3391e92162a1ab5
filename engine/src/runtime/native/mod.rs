//! The native runtime behind [`Runtime`]: real Linux containers, as runc or crun start
//! them. A container's first process is cloned into new mount, PID, UTS, IPC, cgroup
//! and network namespaces (the host's network with `--network host`, the host's IPC
//! with `--ipc host`), onto an overlay of the image's layers written out to disk
//! ([`rootfs`]), in cgroups that carry its limits ([`cgroup`]); what the child does
//! between the clone and `execve` is a list of steps ([`plan`]) made through a system
//! call trait ([`sys`]) that tests replace with a recorder.
//!
//! Everything a start mounts lives in the container's own mount namespace, so it is
//! gone when the container's last process is; the child dies with the `berth` that
//! started it (`PR_SET_PDEATHSIG`); and the directories and cgroups of a start that a
//! killed `berth` left behind are removed by the next one. A detached container runs
//! under a supervisor process of its own ([`supervisor`]), and [`oci`] is the same
//! backend as an OCI runtime command line, for bundles and for podman.
//!
//! It is built on Linux with the `native` feature; elsewhere, and in a browser tab, this
//! backend answers every request with a clear error, never with a panic.

use super::spec::ContainerSpec;
use super::{Capabilities, DiskRoot, Ran, Runtime, RuntimeError, Stdio};
use crate::vfs::FileSystem;

#[cfg(all(target_os = "linux", feature = "native"))]
pub mod attach;
#[cfg(all(target_os = "linux", feature = "native"))]
pub mod bridge;
#[cfg(all(target_os = "linux", feature = "native"))]
pub mod cgroup;
#[cfg(all(target_os = "linux", feature = "native"))]
mod exec;
#[cfg(all(target_os = "linux", feature = "native"))]
pub mod hooks;
#[cfg(all(target_os = "linux", feature = "native"))]
pub mod oci;
#[cfg(all(target_os = "linux", feature = "native"))]
pub mod plan;
#[cfg(all(target_os = "linux", feature = "native"))]
pub mod ports;
#[cfg(all(target_os = "linux", feature = "native"))]
mod process;
#[cfg(all(target_os = "linux", feature = "native"))]
pub mod rootfs;
#[cfg(all(target_os = "linux", feature = "native"))]
pub mod rootless;
#[cfg(all(target_os = "linux", feature = "native"))]
pub mod seccomp;
#[cfg(all(target_os = "linux", feature = "native"))]
pub mod supervisor;
#[cfg(all(target_os = "linux", feature = "native"))]
pub mod syscalls;
#[cfg(all(target_os = "linux", feature = "native"))]
pub mod sys;

#[derive(Debug, Default, Clone, Copy)]
pub struct NativeRuntime;

/// The host's default seccomp profile (`containers-common`'s copy of the containers
/// default, which follows Docker's); where it is missing, Berth's own (`seccomp::builtin`).
pub const DEFAULT_SECCOMP_PROFILE: &str = "/usr/share/containers/seccomp.json";

/// Which default seccomp profile native containers get: a file, or `builtin`.
pub fn default_seccomp() -> Result<String, String> {
    #[cfg(all(target_os = "linux", feature = "native"))]
    return seccomp::default_profile().map(|(_, path)| path);
    #[cfg(not(all(target_os = "linux", feature = "native")))]
    Err("the native runtime is not built here".into())
}

/// Whether native containers run rootless here (in a user namespace of this user's).
pub fn rootless() -> bool {
    #[cfg(all(target_os = "linux", feature = "native"))]
    return rootless::in_user_namespace();
    #[cfg(not(all(target_os = "linux", feature = "native")))]
    false
}

/// Which snapshotter native containers' roots come from under `dir`: `overlayfs`, or
/// `copy` where overlayfs cannot mount (`rootfs::overlay_usable`).
pub fn snapshotter(dir: &std::path::Path) -> &'static str {
    #[cfg(all(target_os = "linux", feature = "native"))]
    return if rootfs::overlay_usable(dir) { "overlayfs" } else { "copy" };
    #[cfg(not(all(target_os = "linux", feature = "native")))]
    {
        let _ = dir;
        "none"
    }
}

/// Whether this build has the native backend at all.
pub const BUILT: bool = cfg!(all(target_os = "linux", feature = "native"));

impl NativeRuntime {
    /// Why it cannot run here, or `None` where it can.
    pub fn unavailable() -> Option<&'static str> {
        if cfg!(target_arch = "wasm32") {
            return Some("a browser tab cannot create Linux namespaces");
        }
        if !BUILT {
            return Some("this build of Berth has no native runtime (it needs Linux and the `native` feature)");
        }
        #[cfg(all(target_os = "linux", feature = "native"))]
        #[allow(unsafe_code)]
        {
            // SAFETY: geteuid cannot fail.
            if unsafe { libc::geteuid() } != 0 {
                return Some(rootless::failure().unwrap_or("the native runtime needs root, or a user namespace of this user's own (rootless)"));
            }
        }
        None
    }

    /// Why it cannot run here (for `berth info`), or how it runs things.
    pub fn reason() -> &'static str {
        Self::unavailable().unwrap_or("real Linux containers: namespaces, an overlay of the image's layers on disk, cgroups; a detached container runs under a supervisor process of its own")
    }

    fn refuse() -> RuntimeError {
        RuntimeError::Unavailable { runtime: "native", reason: Self::reason() }
    }
}

/// Whether `spec`'s program in `root` has real bytes (or, where there is no such
/// program, `/bin/sh` has): a real image, which the default rule runs natively.
pub fn real_image(spec: &ContainerSpec, root: &dyn FileSystem) -> bool {
    let modelled = |p: &str| matches!(root.content(p), Ok(crate::vfs::Content::Lazy { .. }));
    let found = spec.process.args.first().and_then(|a| super::find_program(root, a, spec.path(), &spec.process.cwd));
    match found {
        Some(path) => !modelled(&path),
        None => !modelled("/bin/sh"),
    }
}

/// What the engine uses of a detached native container (its supervisor's run
/// directory): the same names on every target, answering "not running" where there is
/// no native runtime.
#[cfg(all(target_os = "linux", feature = "native"))]
pub mod live {
    pub use super::Usage;
    pub use super::process::{reap, Reaped};
    pub use super::supervisor::{Exit, Handle};
}

#[cfg(not(all(target_os = "linux", feature = "native")))]
pub mod live {
    use std::path::{Path, PathBuf};

    pub use super::Usage;

    use crate::runtime::{LogLine, ProcessInfo, RuntimeError};

    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Exit {
        pub status: i32,
        pub oom_killed: bool,
        pub finished_ns: i64,
    }

    #[derive(Debug, Clone)]
    pub struct Handle {
        pub dir: PathBuf,
    }

    impl Handle {
        pub fn of(native: &Path, id: &str) -> Handle {
            Handle { dir: native.join("run").join(id) }
        }
        pub fn pid(&self) -> Option<i32> {
            None
        }
        pub fn exit(&self) -> Option<Exit> {
            None
        }
        pub fn ended(&self) -> bool {
            true
        }
        pub fn signal(&self, _signal: i32) -> Result<(), RuntimeError> {
            Err(RuntimeError::Unavailable { runtime: "native", reason: super::NativeRuntime::reason() })
        }
        pub fn logs_from(&self, offset: u64) -> (Vec<LogLine>, u64) {
            (Vec::new(), offset)
        }
        pub fn processes(&self, _id: &str) -> Vec<ProcessInfo> {
            Vec::new()
        }
        pub fn exec(&self, _id: &str, _spec: &crate::runtime::ContainerSpec, _stdin: Vec<u8>, _console: crate::runtime::Console) -> Result<crate::runtime::Ran, RuntimeError> {
            Err(RuntimeError::Unavailable { runtime: "native", reason: super::NativeRuntime::reason() })
        }
        pub fn published(&self) -> Vec<(String, u16, u32, String)> {
            Vec::new()
        }
        pub fn exec_detached(&self, _id: &str, _spec: &crate::runtime::ContainerSpec) -> Result<i32, RuntimeError> {
            Err(RuntimeError::Unavailable { runtime: "native", reason: super::NativeRuntime::reason() })
        }
        pub fn update(&self, _id: &str, _memory: Option<crate::runtime::spec::Memory>, _cpu: Option<crate::runtime::spec::Cpu>, _pids: u64) -> Result<(), RuntimeError> {
            Err(RuntimeError::Unavailable { runtime: "native", reason: super::NativeRuntime::reason() })
        }
        pub fn freeze(&self, _id: &str, _frozen: bool) -> Result<(), RuntimeError> {
            Err(RuntimeError::Unavailable { runtime: "native", reason: super::NativeRuntime::reason() })
        }
        pub fn usage(&self, _id: &str) -> (Usage, (u64, u64)) {
            (Usage::default(), (0, 0))
        }
        pub fn attach(&self, _o: &crate::runtime::AttachOptions) -> Result<crate::runtime::Attached, RuntimeError> {
            Err(RuntimeError::Unavailable { runtime: "native", reason: super::NativeRuntime::reason() })
        }
    }


    pub struct Reaped {
        pub exit: Option<Exit>,
        pub logs: Vec<LogLine>,
        pub upper: crate::vfs::MemoryFs,
        pub volumes: std::collections::BTreeMap<String, crate::vfs::MemoryFs>,
    }

    pub fn reap(_native: &Path, _id: &str) -> Result<Reaped, RuntimeError> {
        Err(RuntimeError::Unavailable { runtime: "native", reason: super::NativeRuntime::reason() })
    }
}

/// A container's use of its cgroups' resources (`docker stats`): CPU time used (ns),
/// memory used and its limit (bytes; none: no limit), and processes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    pub cpu_ns: u64,
    pub memory: u64,
    pub limit: Option<u64>,
    pub pids: u64,
}

/// Whether every layer `diff_ids` names is written out under `dir` already: a start
/// then needs none of them in memory.
pub fn layers_on_disk(dir: &std::path::Path, diff_ids: &[String]) -> bool {
    BUILT && diff_ids.iter().all(|d| dir.join("layers").join(d.strip_prefix("sha256:").unwrap_or(d)).is_dir())
}

/// `/etc/passwd` and `/etc/group` as the container will see them (its writable layer,
/// then the layers on disk, top first), for resolving its user without the layers in
/// memory.
pub fn account_files(dir: &std::path::Path, diff_ids: &[String], upper: &crate::vfs::MemoryFs) -> crate::vfs::MemoryFs {
    let mut out = crate::vfs::MemoryFs::new();
    let _ = out.create_dir("/etc", 0o755);
    for file in ["passwd", "group"] {
        let path = format!("/etc/{file}");
        let found = match upper.read(&path) {
            Ok(bytes) => Some(bytes),
            Err(_) if upper.lstat(&format!("/etc/.wh.{file}")).is_ok() || upper.lstat("/etc/.wh..wh..opq").is_ok() => None,
            Err(_) => diff_ids.iter().rev().find_map(|d| {
                let layer = dir.join("layers").join(d.strip_prefix("sha256:").unwrap_or(d));
                std::fs::read(layer.join("etc").join(file)).ok()
            }),
        };
        if let Some(bytes) = found {
            let _ = out.write(&path, &bytes);
        }
    }
    out
}

impl Runtime for NativeRuntime {
    fn name(&self) -> &'static str {
        "native"
    }

    fn capabilities(&self) -> Capabilities {
        let available = Self::unavailable().is_none();
        Capabilities { available, detached: available, tty: available, exec: available, pause: available, cgroups: available, gpus: false, networks: if available { &["bridge", "none", "host", "container"] } else { &[] }, note: Self::reason() }
    }

    fn check(&self, spec: &ContainerSpec, root: &dyn FileSystem) -> Result<(), RuntimeError> {
        if Self::unavailable().is_some() {
            return Err(Self::refuse());
        }
        let argv0 = spec.process.args.first().ok_or(RuntimeError::NoCommand)?;
        // The program must exist (Docker's wording when it does not), and be real.
        let Some(path) = super::find_program(root, argv0, spec.path(), &spec.process.cwd) else {
            // A path may name what the start itself creates (`/etc/hostname`, a mount):
            // the kernel's exec decides then.
            if argv0.contains('/') {
                return Ok(());
            }
            // So may a mount over a directory of the PATH, or over the program itself
            // (`--gpus` binds the driver's nvidia-smi into /usr/bin).
            let mounted = |dir: &str| spec.mounts.iter().any(|m| {
                let d = m.destination.trim_end_matches('/');
                d == dir.trim_end_matches('/') || d == format!("{}/{argv0}", dir.trim_end_matches('/'))
            });
            if spec.path().split(':').filter(|d| !d.is_empty()).any(mounted) {
                return Ok(());
            }
            return Err(RuntimeError::ExecNotFound { argv0: argv0.clone(), in_path: true });
        };
        if matches!(root.content(&path), Ok(crate::vfs::Content::Lazy { .. })) {
            return Err(RuntimeError::Failed(format!("{path} in this image is modelled (its bytes are labels Berth's userland runs, not a Linux program): the native runtime cannot run it; use --runtime emulated")));
        }
        Ok(())
    }

    fn run(&mut self, spec: &ContainerSpec, root: &mut dyn FileSystem, _stdio: Stdio) -> Result<Ran, RuntimeError> {
        self.check(spec, root)?;
        Err(RuntimeError::Failed("the native runtime runs over the image's layers on disk, not over a filesystem in memory".into()))
    }

    fn on_disk(&self) -> bool {
        true
    }

    #[cfg(all(target_os = "linux", feature = "native"))]
    fn run_on_disk(&mut self, spec: &ContainerSpec, root: DiskRoot<'_>, stdio: Stdio) -> Result<Ran, RuntimeError> {
        if Self::unavailable().is_some() {
            return Err(Self::refuse());
        }
        process::run(spec, root, stdio)
    }

    #[cfg(not(all(target_os = "linux", feature = "native")))]
    fn run_on_disk(&mut self, _spec: &ContainerSpec, _root: DiskRoot<'_>, _stdio: Stdio) -> Result<Ran, RuntimeError> {
        Err(Self::refuse())
    }

    fn unsupported(&self, operation: &'static str) -> RuntimeError {
        match Self::unavailable() {
            Some(reason) => RuntimeError::Unavailable { runtime: "native", reason },
            None => RuntimeError::Unsupported { runtime: "native", operation },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::spec::ProcessSpec;
    use super::super::EmulatedRuntime;
    use super::*;

    #[test]
    fn backends_answer_what_they_cannot_do_with_an_error() {
        let spec = ContainerSpec::for_process(ProcessSpec { args: vec!["sh".into()], cwd: "/".into(), ..ProcessSpec::default() });
        let mut native = NativeRuntime;
        // No /bin/sh in an empty filesystem: Docker's "executable file not found", or,
        // where the backend cannot run at all, why.
        match native.check(&spec, &crate::vfs::MemoryFs::new()) {
            Err(RuntimeError::Unavailable { runtime: "native", .. }) => assert!(NativeRuntime::unavailable().is_some()),
            Err(RuntimeError::ExecNotFound { .. }) => assert!(NativeRuntime::unavailable().is_none()),
            other => panic!("{other:?}"),
        }
        // A program a mount brings (the driver's nvidia-smi that --gpus binds) is the
        // kernel's to find.
        if NativeRuntime::unavailable().is_none() {
            let mut gpu = ContainerSpec::for_process(ProcessSpec { args: vec!["nvidia-smi".into()], cwd: "/".into(), ..ProcessSpec::default() });
            gpu.mounts.push(super::super::spec::MountSpec { destination: "/usr/bin/nvidia-smi".into(), kind: "bind".into(), source: "/usr/bin/nvidia-smi".into(), options: vec!["ro".into()] });
            assert!(native.check(&gpu, &crate::vfs::MemoryFs::new()).is_ok());
            gpu.mounts[0].destination = "/opt/nvidia-smi".into();
            assert!(matches!(native.check(&gpu, &crate::vfs::MemoryFs::new()), Err(RuntimeError::ExecNotFound { .. })), "a mount off the PATH does not");
        }
        assert!(native.pause(&spec, true).is_err());
        assert_eq!(native.capabilities().available, NativeRuntime::unavailable().is_none());
        let mut emulated = EmulatedRuntime;
        assert_eq!(emulated.pause(&spec, true).unwrap_err().to_string(), "the emulated runtime does not support pause yet");
        assert!(emulated.signal(&spec, "TERM").is_err());
        let top = emulated.processes(&spec, 7).expect("the main process");
        assert_eq!((top[0].pid, top[0].args.as_slice(), top[0].started), (1, ["sh".to_string()].as_slice(), 7));
        assert!(matches!(emulated.check(&spec, &crate::vfs::MemoryFs::new()), Err(RuntimeError::ExecNotFound { .. })));
    }

    #[test]
    fn images_are_real_unless_their_programs_are_modelled() {
        use crate::vfs::{Attrs, Content, MemoryFs};
        let mut fs = MemoryFs::new();
        fs.create_dir_all("/bin", 0o755).unwrap();
        fs.put_file("/bin/busybox", Content::data(b"\x7fELF\x02\x01".to_vec()), Attrs::mode(0o755)).unwrap();
        fs.symlink("busybox", "/bin/sh").unwrap();
        fs.put_file("/bin/python", Content::lazy(1000, "exec:python"), Attrs::mode(0o755)).unwrap();
        fs.put_file("/etc-file", Content::data(b"text".to_vec()), Attrs::mode(0o644)).unwrap();
        let spec = |p: &str| ContainerSpec::for_process(ProcessSpec { args: vec![p.into()], cwd: "/".into(), env: vec!["PATH=/bin".into()], ..ProcessSpec::default() });
        assert!(real_image(&spec("sh"), &fs));
        assert!(real_image(&spec("/etc-file"), &fs), "the kernel says it cannot run");
        assert!(real_image(&spec("missing"), &fs), "the kernel says what is missing");
        assert!(!real_image(&spec("python"), &fs));
        fs.remove_file("/bin/sh").unwrap();
        fs.put_file("/bin/sh", Content::lazy(10, "exec:busybox"), Attrs::mode(0o755)).unwrap();
        assert!(!real_image(&spec("missing"), &fs), "a modelled image");
    }

}
