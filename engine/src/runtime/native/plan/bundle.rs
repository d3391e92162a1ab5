//! The steps of an OCI bundle's container (`berth oci create`): its `config.json` taken
//! as it is, as runc takes it. The root is the bundle's `rootfs` directory (bound onto
//! itself for `pivot_root`, no overlay), the mounts are the config's in its order (none
//! of Docker's are added), the masked and read-only paths are the config's, and the
//! namespaces a config names by path are joined. The runtime adds what the runtime spec
//! asks of it: the default devices, the `/dev` symlinks, loopback in a new network
//! namespace and `HOME`.

use std::path::{Path, PathBuf};

use super::{c, cgroup_mounts, finish, hook_steps, mkdir_all, mount, new_namespace, process, Env, Step, DEVICES, MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT};
use crate::runtime::native::process::Fds;
use crate::runtime::spec::{ContainerSpec, MountSpec};

/// Where a bundle's container is on the host for its `create`.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The bundle directory (relative mount sources are in it).
    pub dir: PathBuf,
    /// The root filesystem, absolute.
    pub rootfs: PathBuf,
    /// The old root's name under the new one while the mounts are made.
    pub old_root: String,
    /// Namespaces to join: a descriptor open on each, and its `CLONE_NEW*` kind.
    pub join: Vec<(i32, i32)>,
    /// `/proc/self/fd/N` of the `exec.fifo` this process opened (`O_PATH`).
    pub fifo: String,
    /// The container's ID (for the state its hooks read).
    pub id: String,
}

pub(crate) const MS_SHARED: u64 = libc::MS_SHARED as u64;
const MS_SLAVE: u64 = libc::MS_SLAVE as u64;
const MS_UNBINDABLE: u64 = libc::MS_UNBINDABLE as u64;

/// A mount's options as mount(2) takes them (runc's `parseMountOptions`).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Options {
    pub flags: u64,
    /// Flags a second call clears (`rw`, `suid`, …) are not set in `flags`.
    pub propagation: Vec<u64>,
    pub bind: bool,
    pub recursive: bool,
    pub data: String,
}

/// Parses `options`; an option this runtime cannot honour is an error naming it.
pub fn parse_options(options: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut data = Vec::new();
    for opt in options {
        let set = |flag: u64, o: &mut Options| o.flags |= flag;
        let clear = |flag: u64, o: &mut Options| o.flags &= !flag;
        match opt.as_str() {
            "defaults" | "rw" | "suid" | "dev" | "exec" | "async" | "atime" | "diratime" | "loud" | "norelatime" | "nostrictatime" | "nomand" | "noiversion" | "nolazytime" => {
                let flag = match opt.as_str() {
                    "rw" => MS_RDONLY,
                    "suid" => MS_NOSUID,
                    "dev" => MS_NODEV,
                    "exec" => MS_NOEXEC,
                    "atime" => libc::MS_NOATIME as u64,
                    "diratime" => libc::MS_NODIRATIME as u64,
                    "norelatime" => libc::MS_RELATIME as u64,
                    "nostrictatime" => libc::MS_STRICTATIME as u64,
                    "nomand" => libc::MS_MANDLOCK as u64,
                    "noiversion" => libc::MS_I_VERSION as u64,
                    "nolazytime" => libc::MS_LAZYTIME as u64,
                    _ => 0,
                };
                clear(flag, &mut o);
            }
            "ro" => set(MS_RDONLY, &mut o),
            "nosuid" => set(MS_NOSUID, &mut o),
            "nodev" => set(MS_NODEV, &mut o),
            "noexec" => set(MS_NOEXEC, &mut o),
            "sync" => set(libc::MS_SYNCHRONOUS as u64, &mut o),
            "dirsync" => set(libc::MS_DIRSYNC as u64, &mut o),
            "remount" => set(MS_REMOUNT, &mut o),
            "mand" => set(libc::MS_MANDLOCK as u64, &mut o),
            "noatime" => set(libc::MS_NOATIME as u64, &mut o),
            "nodiratime" => set(libc::MS_NODIRATIME as u64, &mut o),
            "relatime" => set(libc::MS_RELATIME as u64, &mut o),
            "strictatime" => set(libc::MS_STRICTATIME as u64, &mut o),
            "iversion" => set(libc::MS_I_VERSION as u64, &mut o),
            "lazytime" => set(libc::MS_LAZYTIME as u64, &mut o),
            "silent" => set(libc::MS_SILENT as u64, &mut o),
            "bind" => o.bind = true,
            "rbind" => {
                o.bind = true;
                o.recursive = true;
            }
            "private" => o.propagation.push(MS_PRIVATE),
            "rprivate" => o.propagation.push(MS_PRIVATE | MS_REC),
            "shared" => o.propagation.push(MS_SHARED),
            "rshared" => o.propagation.push(MS_SHARED | MS_REC),
            "slave" => o.propagation.push(MS_SLAVE),
            "rslave" => o.propagation.push(MS_SLAVE | MS_REC),
            "unbindable" => o.propagation.push(MS_UNBINDABLE),
            "runbindable" => o.propagation.push(MS_UNBINDABLE | MS_REC),
            "tmpcopyup" | "idmap" | "ridmap" | "copy-symlink" => return Err(format!("mount option {opt} is not supported by berth-oci")),
            other => data.push(other.to_string()),
        }
    }
    o.data = data.join(",");
    Ok(o)
}

/// The propagation flags of a `--mount bind-propagation=…` (or a `-v` option) as a
/// second mount(2) call takes them.
pub fn propagation_of(options: &[String]) -> Vec<u64> {
    parse_options(&options.iter().filter(|o| o.contains("private") || o.contains("shared") || o.contains("slave") || o.contains("bindable")).cloned().collect::<Vec<_>>()).map(|o| o.propagation).unwrap_or_default()
}

fn parent_dirs(steps: &mut Vec<Step>, dest: &str) -> Result<(), String> {
    if let Some((parent, _)) = crate::vfs::split_parent(dest) {
        mkdir_all(steps, &parent)?;
    }
    Ok(())
}

/// The steps of a bundle's container, up to its wait for `start` and its program.
pub fn build(spec: &ContainerSpec, b: &Bundle, fds: Fds) -> Result<Vec<Step>, String> {
    let mut steps: Vec<Step> = b.join.iter().map(|(fd, nstype)| Step::Setns { fd: *fd, nstype: *nstype }).collect();
    steps.push(Step::WaitParent(fds.sync));
    if new_namespace(spec, "cgroup") {
        steps.push(Step::UnshareCgroup);
    }
    steps.push(Step::Umask(0));
    let root = b.rootfs.to_str().ok_or("root.path: the root path is not UTF-8")?.to_string();
    steps.push(mount(None, "/", None, MS_REC | MS_PRIVATE, None, false)?);
    steps.push(mount(Some(&root), &root, None, MS_BIND | MS_REC, None, false)?);
    let old = format!("{root}/{}", b.old_root);
    steps.push(Step::Mkdir { path: c(&old)?, mode: 0o700 });
    steps.push(Step::PivotRoot { new_root: c(&root)?, put_old: c(&old)? });
    steps.push(Step::Chdir(c("/")?));
    let old_root = format!("/{}", b.old_root);

    let mut dev_bound = false;
    let mut devpts = false;
    for (i, m) in spec.mounts.iter().enumerate() {
        mount_one(&mut steps, spec, b, &old_root, m).map_err(|e| format!("mounts[{i}] ({}): {e}", m.destination))?;
        let dest = crate::vfs::normalize(&m.destination);
        dev_bound |= dest == "/dev" && (m.kind == "bind" || m.options.iter().any(|o| o == "bind" || o == "rbind"));
        devpts |= dest == "/dev/pts";
    }

    // What the runtime spec asks a runtime to provide: the default devices (unless /dev
    // is the host's), the devices of the config, and /dev's symlinks.
    steps.push(Step::Mkdir { path: c("/dev")?, mode: 0o755 });
    if !dev_bound {
        for (name, major, minor) in DEVICES {
            steps.push(Step::Mknod { path: c(&format!("/dev/{name}"))?, mode: libc::S_IFCHR | 0o666, dev: libc::makedev(*major, *minor) });
        }
    }
    for (i, d) in spec.linux.devices.iter().enumerate() {
        let kind = match d.kind.as_str() {
            "b" => libc::S_IFBLK,
            "c" | "u" => libc::S_IFCHR,
            "p" => libc::S_IFIFO,
            other => return Err(format!("linux.devices[{i}].type: {other:?} is not a device type (b, c, u or p)")),
        };
        let path = crate::vfs::normalize(&d.path);
        parent_dirs(&mut steps, &path)?;
        steps.push(Step::Mknod { path: c(&path)?, mode: kind | d.file_mode.unwrap_or(0o666) & 0o777, dev: libc::makedev(d.major, d.minor) });
    }
    for (link, target) in [("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")] {
        steps.push(Step::Symlink { target: c(target)?, link: c(&format!("/dev/{link}"))? });
    }
    if devpts {
        steps.push(Step::Symlink { target: c("pts/ptmx")?, link: c("/dev/ptmx")? });
    }
    if let Some(socket) = fds.console {
        if !devpts {
            return Err("process.terminal: a terminal needs a devpts mount at /dev/pts".into());
        }
        steps.push(Step::Console { socket });
    }
    for (key, value) in &spec.linux.sysctl {
        steps.push(Step::WriteFile { path: c(&format!("/proc/sys/{}", key.replace('.', "/")))?, data: value.as_bytes().to_vec() });
    }
    for path in spec.linux.masked_paths.iter().flatten() {
        steps.push(Step::Mask(c(path)?));
    }
    let bundle = b.dir.display().to_string();
    steps.extend(hook_steps("createContainer", &spec.hooks.create_container, &b.id, &bundle, &spec.annotations, Some((&old_root, &root)), false)?);
    finish(spec, &mut steps, spec.linux.readonly_paths.as_deref().unwrap_or_default(), &old_root)?;
    process(spec, &mut steps, fds.report, Some(c(&b.fifo)?), Env::Bundle, (&b.id, &bundle))?;
    Ok(steps)
}

/// One mount of the config, after the pivot (a bind's source through the old root).
fn mount_one(steps: &mut Vec<Step>, spec: &ContainerSpec, b: &Bundle, old_root: &str, m: &MountSpec) -> Result<(), String> {
    let dest = crate::vfs::normalize(&m.destination);
    if !m.destination.starts_with('/') {
        return Err("destination: not an absolute path".into());
    }
    let o = parse_options(&m.options)?;
    let bind = o.bind || m.kind == "bind";
    if bind {
        let source = if Path::new(&m.source).is_absolute() { PathBuf::from(&m.source) } else { b.dir.join(&m.source) };
        let meta = std::fs::metadata(&source).map_err(|e| format!("source {}: {e}", source.display()))?;
        if meta.is_dir() {
            mkdir_all(steps, &dest)?;
        } else {
            parent_dirs(steps, &dest)?;
            steps.push(Step::Touch(c(&dest)?));
        }
        let from = format!("{old_root}{}", source.display());
        steps.push(mount(Some(&from), &dest, None, MS_BIND | if o.recursive { MS_REC } else { 0 }, None, false)?);
        let remount = o.flags & !MS_REMOUNT;
        if remount != 0 {
            steps.push(mount(None, &dest, None, MS_BIND | MS_REMOUNT | remount, None, false)?);
        }
    } else {
        match m.kind.as_str() {
            "" => return Err("type: missing (a mount that is not a bind needs one)".into()),
            "cgroup" | "cgroup2" => {
                mkdir_all(steps, &dest)?;
                if dest != "/sys/fs/cgroup" {
                    return Err("a cgroup mount is made at /sys/fs/cgroup only".into());
                }
                cgroup_mounts(steps, o.flags & MS_RDONLY != 0)?;
            }
            "sysfs" if !new_namespace(spec, "network") => {
                // Sharing a network namespace: the host's /sys, read-only, as runc does.
                mkdir_all(steps, &dest)?;
                steps.push(mount(Some(&format!("{old_root}/sys")), &dest, None, MS_BIND | MS_REC, None, false)?);
                steps.push(mount(None, &dest, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, None, false)?);
            }
            kind => {
                mkdir_all(steps, &dest)?;
                let source = if m.source.is_empty() { kind } else { m.source.as_str() };
                // A message queue filesystem may not be mountable in a shared IPC namespace.
                let optional = kind == "mqueue";
                steps.push(mount(Some(source), &dest, Some(kind), o.flags, (!o.data.is_empty()).then_some(o.data.as_str()), optional)?);
            }
        }
    }
    for flags in &o.propagation {
        steps.push(mount(None, &dest, None, *flags, None, false)?);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_options_are_flags_propagation_and_data() {
        let o = parse_options(&["nosuid".into(), "strictatime".into(), "mode=755".into(), "size=65536k".into()]).unwrap();
        assert_eq!(o.flags, MS_NOSUID | libc::MS_STRICTATIME as u64);
        assert_eq!(o.data, "mode=755,size=65536k");
        let o = parse_options(&["rbind".into(), "ro".into(), "rprivate".into()]).unwrap();
        assert!(o.bind && o.recursive);
        assert_eq!((o.flags, o.propagation.as_slice()), (MS_RDONLY, [MS_PRIVATE | MS_REC].as_slice()));
        assert_eq!(parse_options(&["ro".into(), "rw".into()]).unwrap().flags, 0);
        assert_eq!(parse_options(&["tmpcopyup".into()]).unwrap_err(), "mount option tmpcopyup is not supported by berth-oci");
        assert_eq!(propagation_of(&["ro".into(), "rshared".into()]), [MS_SHARED | MS_REC]);
    }
}
