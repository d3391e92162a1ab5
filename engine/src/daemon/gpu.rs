//! GPUs for containers (`--gpus`, `--device vendor/class=name`), as Docker does with the
//! NVIDIA Container Toolkit: a request is resolved to container edits (environment,
//! device nodes, read-only mounts of the driver's files, extra groups, device cgroup
//! rules) that are applied to the [`ContainerSpec`] before the runtime starts it.
//!
//! Edits come from CDI specs (the Container Device Interface, cdiVersion up to 1.1, YAML
//! or JSON in `/etc/cdi` and `/var/run/cdi`), or, for `--gpus` where no spec names
//! `nvidia.com/gpu`, from discovering the driver as `nvidia-container-cli` does: its
//! device nodes under `/dev`, its libraries per capability where the driver root's
//! linker cache puts them (`daemon::ldcache`; else in the usual library directories),
//! its programs in the `PATH` directories, its GSP firmware, and a `createContainer`
//! hook that refreshes the container's linker cache (`runtime::native::hooks`). A CDI
//! spec's `createContainer` and `startContainer` hooks run in the native runtime.
//! `BERTH_CDI_SPEC_DIRS` (colon-separated) and `BERTH_DRIVER_ROOT` (where the driver's
//! files are, `/` by default) say where to look, as Docker's `cdi-spec-dirs` and the
//! toolkit's `--root` do; the tests point them at a fake driver.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::runtime::spec::{ContainerSpec, DeviceRule, DeviceSpec, Hook, MountSpec};

pub use crate::runtime::GpuRequest;

/// Parses `--gpus` as docker/cli's `opts.GpuOpts` does.
pub fn parse_gpus(text: &str) -> Result<GpuRequest, String> {
    let mut r = GpuRequest::default();
    let text = text.trim_matches('"');
    if text == "all" {
        return Ok(r);
    }
    if let Ok(n) = text.parse::<usize>() {
        r.count = Some(n);
        return Ok(r);
    }
    // `device=0,2` keeps its commas; other keys are comma-separated pairs.
    if let Some(ids) = text.strip_prefix("device=") {
        r.device_ids = ids.split(',').map(str::to_string).collect();
        r.count = Some(r.device_ids.len());
        return Ok(r);
    }
    for part in text.split(',') {
        match part.split_once('=') {
            Some(("count", "all")) => r.count = None,
            Some(("count", n)) => r.count = Some(n.parse().map_err(|_| format!("invalid count {n}"))?),
            Some(("capabilities", c)) => r.capabilities.push(c.to_string()),
            Some(("driver", _)) => {}
            Some(("device", id)) => r.device_ids.push(id.to_string()),
            _ if part == "all" => r.count = None,
            _ => return Err(format!("unexpected key '{}' in '{text}'", part.split('=').next().unwrap_or(part))),
        }
    }
    Ok(r)
}

/// A CDI spec file (the fields Berth applies).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CdiSpec {
    pub cdi_version: String,
    pub kind: String,
    #[serde(default)]
    pub devices: Vec<CdiDevice>,
    #[serde(default)]
    pub container_edits: Edits,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CdiDevice {
    pub name: String,
    #[serde(default)]
    pub container_edits: Edits,
}

/// What a device adds to a container (CDI's `containerEdits`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Edits {
    #[serde(default)]
    pub env: Vec<String>,
    #[serde(default)]
    pub device_nodes: Vec<CdiNode>,
    #[serde(default)]
    pub mounts: Vec<CdiMount>,
    #[serde(default)]
    pub hooks: Vec<CdiHook>,
    #[serde(default, rename = "additionalGIDs")]
    pub additional_gids: Vec<u32>,
    /// `[link, target]` pairs (the toolkit's `create-symlinks` hook; not a CDI field).
    #[serde(skip)]
    pub symlinks: Vec<(String, String)>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CdiNode {
    pub path: String,
    #[serde(default)]
    pub host_path: Option<String>,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub major: Option<u32>,
    #[serde(default)]
    pub minor: Option<u32>,
    #[serde(default)]
    pub file_mode: Option<u32>,
    #[serde(default)]
    pub permissions: Option<String>,
    #[serde(default)]
    pub uid: Option<u32>,
    #[serde(default)]
    pub gid: Option<u32>,
}

/// An OCI hook a device asks for (CDI's `hooks`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CdiHook {
    pub hook_name: String,
    pub path: String,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default)]
    pub env: Vec<String>,
    #[serde(default)]
    pub timeout: Option<u64>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CdiMount {
    pub host_path: String,
    pub container_path: String,
    #[serde(default)]
    pub options: Vec<String>,
}

impl Edits {
    fn extend(&mut self, other: &Edits) {
        self.env.extend(other.env.iter().cloned());
        self.device_nodes.extend(other.device_nodes.iter().cloned());
        self.mounts.extend(other.mounts.iter().cloned());
        self.hooks.extend(other.hooks.iter().cloned());
        self.additional_gids.extend(other.additional_gids.iter().copied());
        self.symlinks.extend(other.symlinks.iter().cloned());
    }
}

/// Where CDI specs are read from.
pub fn spec_dirs() -> Vec<PathBuf> {
    match std::env::var("BERTH_CDI_SPEC_DIRS") {
        Ok(dirs) => dirs.split(':').filter(|d| !d.is_empty()).map(PathBuf::from).collect(),
        Err(_) => vec!["/etc/cdi".into(), "/var/run/cdi".into()],
    }
}

/// Where the GPU driver's files are.
pub fn driver_root() -> PathBuf {
    std::env::var_os("BERTH_DRIVER_ROOT").map_or_else(|| PathBuf::from("/"), PathBuf::from)
}

/// Every CDI spec in `dirs`, with the file it came from; a file that does not parse is
/// an error naming it.
pub fn load_specs(dirs: &[PathBuf]) -> Result<Vec<(PathBuf, CdiSpec)>, String> {
    let mut out = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else { continue };
        let mut files: Vec<PathBuf> = entries.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml" || e == "json")).collect();
        files.sort();
        for file in files {
            let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let spec: CdiSpec = serde_yaml::from_str(&text).map_err(|e| format!("failed to parse CDI spec {}: {e}", file.display()))?;
            let parts: Vec<&str> = spec.cdi_version.split('.').collect();
            let supported = match parts.as_slice() {
                ["0", minor, _] => minor.parse::<u32>().is_ok_and(|m| (3..=8).contains(&m)),
                ["1", "0" | "1", _] => true,
                _ => false,
            };
            if !supported {
                return Err(format!("{}: unsupported cdiVersion {} (Berth reads 0.3.0 to 1.1)", file.display(), spec.cdi_version));
            }
            if !spec.kind.contains('/') {
                return Err(format!("{}: invalid kind {:?}", file.display(), spec.kind));
            }
            out.push((file, spec));
        }
    }
    Ok(out)
}

/// Every fully qualified CDI device name (`nvidia.com/gpu=0`), for `berth cdi list`.
pub fn device_names(specs: &[(PathBuf, CdiSpec)]) -> Vec<String> {
    let mut names: Vec<String> = specs.iter().flat_map(|(_, s)| s.devices.iter().map(move |d| format!("{}={}", s.kind, d.name))).collect();
    names.sort();
    names.dedup();
    names
}

/// Whether `name` is a CDI device name (`vendor/class=name`) rather than a path.
pub fn is_cdi_name(name: &str) -> bool {
    !name.starts_with('/') && name.split_once('=').is_some_and(|(kind, _)| kind.contains('/'))
}

/// The edits for the CDI devices `names` (`nvidia.com/gpu=all` is every device of that
/// kind), with Docker's error for one no spec has.
pub fn cdi_edits(specs: &[(PathBuf, CdiSpec)], names: &[String]) -> Result<Edits, String> {
    let mut edits = Edits::default();
    let mut kinds_seen: Vec<&str> = Vec::new();
    for name in names {
        let (kind, device) = name.split_once('=').ok_or_else(|| format!("invalid CDI device name {name:?}"))?;
        let mut found = false;
        for (_, spec) in specs.iter().filter(|(_, s)| s.kind == kind) {
            for d in spec.devices.iter().filter(|d| device == "all" || d.name == device) {
                edits.extend(&d.container_edits);
                found = true;
            }
            if found && !kinds_seen.contains(&spec.kind.as_str()) {
                edits.extend(&spec.container_edits);
                kinds_seen.push(&spec.kind);
            }
        }
        if !found {
            return Err(format!("could not apply required modification to OCI specification: error modifying OCI spec: failed to inject CDI devices: unresolvable CDI devices {name}"));
        }
    }
    Ok(edits)
}

/// The driver's libraries per capability (libnvidia-container's lists, 64-bit).
const LIBRARIES: &[(&str, &[&str])] = &[
    ("utility", &["libnvidia-ml.so", "libnvidia-cfg.so", "libnvidia-nscq.so"]),
    ("compute", &["libcuda.so", "libcudadebugger.so", "libnvidia-opencl.so", "libnvidia-gpucomp.so", "libnvidia-ptxjitcompiler.so", "libnvidia-fatbinaryloader.so", "libnvidia-allocator.so", "libnvidia-compiler.so", "libnvidia-pkcs11.so", "libnvidia-pkcs11-openssl3.so", "libnvidia-nvvm.so"]),
    ("video", &["libvdpau_nvidia.so", "libnvidia-encode.so", "libnvidia-opticalflow.so", "libnvcuvid.so"]),
    ("graphics", &["libnvidia-eglcore.so", "libnvidia-glcore.so", "libnvidia-tls.so", "libnvidia-glsi.so", "libnvidia-fbc.so", "libnvidia-ifr.so", "libnvidia-rtcore.so", "libnvoptix.so", "libGLX_nvidia.so", "libEGL_nvidia.so", "libGLESv2_nvidia.so", "libGLESv1_CM_nvidia.so", "libnvidia-glvkspirv.so", "libnvidia-cbl.so"]),
    ("ngx", &["libnvidia-ngx.so"]),
];

/// The driver's programs per capability.
const PROGRAMS: &[(&str, &[&str])] = &[("utility", &["nvidia-smi", "nvidia-debugdump", "nvidia-persistenced"]), ("compute", &["nvidia-cuda-mps-control", "nvidia-cuda-mps-server"])];

const LIBRARY_DIRS: &[&str] = &["usr/lib/x86_64-linux-gnu", "usr/lib64", "lib64", "usr/lib", "lib/x86_64-linux-gnu"];
const PROGRAM_DIRS: &[&str] = &["usr/bin", "usr/sbin", "bin", "sbin"];

/// The edits `--gpus` gives without a CDI spec: the driver discovered under `root`.
/// `None` where there is no GPU (no `/dev/nvidiactl`, no `/dev/nvidiaN`).
pub fn discover(root: &Path, request: &GpuRequest) -> Option<Edits> {
    let dev = root.join("dev");
    let node = |name: &str| -> Option<CdiNode> {
        let (kind, major, minor) = device_numbers(&dev.join(name))?;
        (kind == "c").then(|| CdiNode {
            path: format!("/dev/{name}"),
            host_path: None,
            kind: Some(kind.into()),
            major: Some(major),
            minor: Some(minor),
            file_mode: Some(0o666),
            permissions: Some("rwm".into()),
            uid: None,
            gid: None,
        })
    };
    let mut gpus: Vec<(usize, CdiNode)> = std::fs::read_dir(&dev).ok()?.filter_map(Result::ok).filter_map(|e| {
        let name = e.file_name().to_string_lossy().into_owned();
        let index: usize = name.strip_prefix("nvidia")?.parse().ok()?;
        Some((index, node(&name)?))
    }).collect();
    gpus.sort_by_key(|(i, _)| *i);
    let control = node("nvidiactl")?;
    if gpus.is_empty() {
        return None;
    }
    let chosen: Vec<(usize, CdiNode)> = if !request.device_ids.is_empty() {
        gpus.into_iter().filter(|(i, _)| request.device_ids.iter().any(|d| d == &i.to_string())).collect()
    } else {
        match request.count {
            Some(n) => gpus.into_iter().take(n).collect(),
            None => gpus,
        }
    };
    let mut edits = Edits::default();
    let visible = if request.count.is_none() && request.device_ids.is_empty() { "all".to_string() } else { chosen.iter().map(|(i, _)| i.to_string()).collect::<Vec<_>>().join(",") };
    let capabilities: Vec<String> = if request.capabilities.is_empty() { vec!["utility".into(), "compute".into()] } else { request.capabilities.iter().flat_map(|c| c.split(',')).map(str::to_string).collect() };
    let all_caps = capabilities.iter().any(|c| c == "all" || c == "gpu");
    edits.env.push(format!("NVIDIA_VISIBLE_DEVICES={visible}"));
    edits.env.push(format!("NVIDIA_DRIVER_CAPABILITIES={}", capabilities.join(",")));
    edits.device_nodes.extend(chosen.into_iter().map(|(_, n)| n));
    edits.device_nodes.push(control);
    for extra in ["nvidia-uvm", "nvidia-uvm-tools", "nvidia-modeset"] {
        edits.device_nodes.extend(node(extra));
    }
    let wanted = |cap: &str| all_caps || capabilities.iter().any(|c| c == cap);
    // The libraries: where the driver root's linker cache puts them (as the toolkit
    // finds them), else in the usual library directories.
    let cache = std::fs::read(root.join("etc/ld.so.cache")).map(|b| crate::daemon::ldcache::parse(&b)).unwrap_or_default();
    let mut mounted = std::collections::BTreeSet::new();
    for (_, libs) in LIBRARIES.iter().filter(|(c, _)| wanted(c)) {
        for lib in *libs {
            let prefix = format!("{lib}.");
            let mut names: Vec<String> = cache.iter().filter(|(name, _)| name.starts_with(&prefix) && name.len() > prefix.len()).map(|(_, path)| path.trim_start_matches('/').to_string()).collect();
            let from_cache = !names.is_empty();
            if !from_cache {
                for dir in library_dirs(root) {
                    let Ok(entries) = std::fs::read_dir(root.join(&dir)) else { continue };
                    let mut found: Vec<String> = entries.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.starts_with(&prefix) && n.len() > prefix.len()).map(|n| format!("{dir}/{n}")).collect();
                    found.sort();
                    names.extend(found);
                }
            }
            let mut files = library_files(root, &names);
            if !from_cache {
                // A directory's listing names every version left there: keep the files
                // a name links to, else the longest name (the full version), as the
                // toolkit mounts it.
                let dirs: std::collections::BTreeSet<String> = files.iter().map(|(d, _, _)| d.clone()).collect();
                files = dirs.into_iter().filter_map(|d| {
                    let here: Vec<_> = files.iter().filter(|(x, _, _)| *x == d).cloned().collect();
                    let linked: Vec<_> = here.iter().filter(|(_, _, l)| !l.is_empty()).cloned().collect();
                    if linked.is_empty() { here.into_iter().max_by_key(|(_, f, _)| f.len()).map(|x| vec![x]) } else { Some(linked) }
                }).flatten().collect();
            }
            for (dir, file, links) in files {
                if mounted.insert(format!("{dir}/{file}")) {
                    edits.mounts.push(CdiMount { host_path: root.join(&dir).join(&file).display().to_string(), container_path: format!("/{dir}/{file}"), options: vec!["ro".into(), "nosuid".into(), "nodev".into(), "bind".into()] });
                }
                // The names the host's linker cache gave it (`libcuda.so.1`), again.
                for link in links {
                    let link = (format!("/{dir}/{link}"), file.clone());
                    if !edits.symlinks.contains(&link) {
                        edits.symlinks.push(link);
                    }
                }
            }
        }
    }
    for (_, programs) in PROGRAMS.iter().filter(|(c, _)| wanted(c)) {
        for p in *programs {
            if let Some(dir) = program_dirs(root).into_iter().find(|d| root.join(d).join(p).is_file()) {
                edits.mounts.push(CdiMount { host_path: root.join(dir).join(p).display().to_string(), container_path: format!("/usr/bin/{p}"), options: vec!["ro".into(), "nosuid".into(), "nodev".into(), "bind".into()] });
            }
        }
    }
    // The GSP firmware of this driver version (`/lib/firmware/nvidia/VERSION/*.bin`).
    let version = edits.mounts.iter().find_map(|m| m.container_path.rsplit_once("/libnvidia-ml.so.").or_else(|| m.container_path.rsplit_once("/libcuda.so.")).map(|(_, v)| v.to_string()));
    if let Some(version) = version {
        let dir = format!("lib/firmware/nvidia/{version}");
        let mut firmware: Vec<String> = std::fs::read_dir(root.join(&dir)).into_iter().flatten().filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).filter(|n| n.ends_with(".bin")).collect();
        firmware.sort();
        for f in firmware {
            edits.mounts.push(CdiMount { host_path: root.join(&dir).join(&f).display().to_string(), container_path: format!("/{dir}/{f}"), options: vec!["ro".into(), "nosuid".into(), "nodev".into(), "bind".into()] });
        }
    }
    // The container's linker cache, refreshed once the libraries are in (Berth's own
    // hook: the host's ldconfig confined to the container's root).
    let folders: Vec<String> = edits.mounts.iter().filter(|m| m.container_path.contains(".so.")).filter_map(|m| m.container_path.rsplit_once('/').map(|(d, _)| d.to_string())).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    if let (false, Ok(exe)) = (folders.is_empty(), std::env::current_exe()) {
        let mut args = vec!["berth".to_string(), HOOK_ARG.into(), "update-ldcache".into()];
        args.extend(folders.into_iter().flat_map(|f| ["--folder".to_string(), f]));
        edits.hooks.push(CdiHook { hook_name: "createContainer".into(), path: exe.display().to_string(), args, env: Vec::new(), timeout: Some(30) });
    }
    Some(edits)
}

/// Where a library is looked for when the linker cache does not name it: the usual
/// directories, then (for the host's own root) those of `LD_LIBRARY_PATH`; relative to
/// the driver root.
fn library_dirs(root: &Path) -> Vec<String> {
    let mut dirs: Vec<String> = LIBRARY_DIRS.iter().map(|d| d.to_string()).collect();
    if root == Path::new("/") {
        dirs.extend(std::env::var("LD_LIBRARY_PATH").unwrap_or_default().split(':').filter(|d| d.starts_with('/')).map(|d| d.trim_matches('/').to_string()));
    }
    dirs.dedup();
    dirs
}

/// Where a program is looked for: the host's `PATH` for its own root (as
/// nvidia-container-cli does), then the usual directories; relative to the driver root.
fn program_dirs(root: &Path) -> Vec<String> {
    let mut dirs = Vec::new();
    if root == Path::new("/") {
        dirs.extend(std::env::var("PATH").unwrap_or_default().split(':').filter(|d| d.starts_with('/')).map(|d| d.trim_matches('/').to_string()));
    }
    dirs.extend(PROGRAM_DIRS.iter().map(|d| d.to_string()));
    dirs
}

/// The real files behind `names` (paths relative to `root`, each a library or a link
/// to one): `(directory, file, names in that directory that link to it)`, the
/// directory with its own links resolved (`lib` → `usr/lib`), so that the container
/// gets the file where the host's linker finds it. A name whose links leave `root`, or
/// end nowhere, is passed over.
fn library_files(root: &Path, names: &[String]) -> Vec<(String, String, Vec<String>)> {
    let Ok(top) = std::fs::canonicalize(root) else { return Vec::new() };
    let inside = |p: &Path| p.strip_prefix(&top).ok().map(|r| r.display().to_string());
    let mut out: Vec<(String, String, Vec<String>)> = Vec::new();
    for name in names {
        let Some((dir, link)) = name.rsplit_once('/') else { continue };
        let (Ok(dir), Ok(real)) = (std::fs::canonicalize(root.join(dir)), std::fs::canonicalize(root.join(name))) else { continue };
        let (Some(link_dir), Some(real_dir), Some(file)) = (inside(&dir), real.parent().and_then(inside), real.file_name().map(|f| f.to_string_lossy().into_owned())) else { continue };
        if !real.is_file() {
            continue;
        }
        let i = match out.iter().position(|(d, f, _)| *d == real_dir && *f == file) {
            Some(i) => i,
            None => {
                out.push((real_dir.clone(), file.clone(), Vec::new()));
                out.len() - 1
            }
        };
        if link != file && link_dir == real_dir && !out[i].2.iter().any(|l| l == link) {
            out[i].2.push(link.to_string());
        }
    }
    out
}

/// The argument that runs one of Berth's own hooks (`runtime::native::hooks::ARG`).
const HOOK_ARG: &str = "__berth-hook";

/// A host device node's type (`c`, `b`) and numbers.
#[cfg(unix)]
fn device_numbers(path: &Path) -> Option<(&'static str, u32, u32)> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    let m = std::fs::metadata(path).ok()?;
    let kind = if m.file_type().is_char_device() {
        "c"
    } else if m.file_type().is_block_device() {
        "b"
    } else {
        return None;
    };
    let rdev = m.rdev();
    Some((kind, ((rdev >> 8) & 0xfff) as u32, ((rdev & 0xff) | ((rdev >> 12) & 0xfff00)) as u32))
}

#[cfg(not(unix))]
fn device_numbers(_path: &Path) -> Option<(&'static str, u32, u32)> {
    None
}

/// Applies `edits` to `spec`: environment (replacing a variable of the same name),
/// device nodes with cgroup rules, read-only bind mounts, extra groups.
pub fn apply(spec: &mut ContainerSpec, edits: &Edits) -> Result<(), String> {
    for e in &edits.env {
        let key = e.split('=').next().unwrap_or(e);
        spec.process.env.retain(|x| x.split('=').next() != Some(key));
        spec.process.env.push(e.clone());
    }
    for n in &edits.device_nodes {
        let host = n.host_path.clone().unwrap_or_else(|| n.path.clone());
        let (kind, major, minor) = match (n.kind.clone(), n.major, n.minor) {
            (Some(k), Some(ma), Some(mi)) => (k, ma, mi),
            _ => {
                let (kind, major, minor) = device_numbers(Path::new(&host)).ok_or_else(|| format!("CDI device node {host}: not a device node"))?;
                (kind.to_string(), major, minor)
            }
        };
        let permissions = n.permissions.clone().unwrap_or_else(|| "rwm".into());
        spec.linux.resources.devices.push(DeviceRule::allow(&kind, major, Some(minor), &permissions));
        spec.linux.devices.push(DeviceSpec { path: n.path.clone(), kind, major, minor, file_mode: n.file_mode.or(Some(0o666)), uid: n.uid, gid: n.gid });
    }
    for m in &edits.mounts {
        let mut options = m.options.clone();
        if !options.iter().any(|o| o == "ro" || o == "rw") {
            options.push("rw".into());
        }
        spec.mounts.push(MountSpec { destination: m.container_path.clone(), kind: "bind".into(), source: m.host_path.clone(), options });
    }
    if !edits.symlinks.is_empty() {
        let mut all: Vec<(String, String)> = spec.annotation(crate::runtime::spec::ANNOTATION_SYMLINKS).and_then(|j| serde_json::from_str(j).ok()).unwrap_or_default();
        all.extend(edits.symlinks.iter().cloned());
        spec.annotations.insert(crate::runtime::spec::ANNOTATION_SYMLINKS.into(), serde_json::to_string(&all).unwrap_or_default());
    }
    for h in &edits.hooks {
        let hook = Hook { path: h.path.clone(), args: h.args.clone(), env: h.env.clone(), timeout: h.timeout };
        match h.hook_name.as_str() {
            "createContainer" => spec.hooks.create_container.push(hook),
            "startContainer" => spec.hooks.start_container.push(hook),
            // The ones the runtime's own process runs are run by `berth oci` only.
            "prestart" | "createRuntime" | "poststart" | "poststop" => return Err(format!("CDI hook {} ({}): the native runtime runs createContainer and startContainer hooks; run this device through podman with berth-oci", h.hook_name, h.path)),
            other => return Err(format!("CDI hook {other:?} ({}): not an OCI hook name", h.path)),
        }
    }
    if !edits.additional_gids.is_empty() {
        let gids = spec.process.user.additional_gids.get_or_insert_with(Vec::new);
        gids.extend(edits.additional_gids.iter().copied());
    }
    Ok(())
}

/// `--device HOST[:CONTAINER[:PERMISSIONS]]` as a device node edit.
fn host_device(text: &str) -> Result<CdiNode, String> {
    let mut parts = text.split(':');
    let host = parts.next().unwrap_or_default().to_string();
    let path = parts.next().filter(|p| !p.is_empty()).map_or_else(|| host.clone(), str::to_string);
    let permissions = parts.next().unwrap_or("rwm").to_string();
    if !permissions.chars().all(|c| "rwm".contains(c)) {
        return Err(format!("invalid device mode: {permissions}"));
    }
    let (kind, major, minor) = device_numbers(Path::new(&host)).ok_or_else(|| format!("error gathering device information while adding custom device \"{host}\": no such file or directory"))?;
    Ok(CdiNode { path, host_path: Some(host), kind: Some(kind.into()), major: Some(major), minor: Some(minor), file_mode: Some(0o666), permissions: Some(permissions), uid: None, gid: None })
}

/// The edits a container's `--gpus` and `--device`s (host paths and CDI names) ask for,
/// or Docker's error.
pub fn edits_for(gpus: Option<&GpuRequest>, devices: &[String]) -> Result<Option<Edits>, String> {
    if gpus.is_none() && devices.is_empty() {
        return Ok(None);
    }
    let mut edits = Edits::default();
    let (cdi_devices, paths): (Vec<String>, Vec<String>) = devices.iter().cloned().partition(|d| is_cdi_name(d));
    for p in &paths {
        edits.device_nodes.push(host_device(p)?);
    }
    if gpus.is_none() && cdi_devices.is_empty() {
        return Ok(Some(edits));
    }
    let specs = load_specs(&spec_dirs())?;
    if !cdi_devices.is_empty() {
        edits.extend(&cdi_edits(&specs, &cdi_devices)?);
    }
    if let Some(request) = gpus {
        // A CDI spec for NVIDIA's GPUs is used where there is one, as Docker 25+ does.
        let has_cdi = specs.iter().any(|(_, s)| s.kind == "nvidia.com/gpu");
        if has_cdi {
            let names: Vec<String> = if request.device_ids.is_empty() { vec!["nvidia.com/gpu=all".into()] } else { request.device_ids.iter().map(|d| format!("nvidia.com/gpu={d}")).collect() };
            edits.extend(&cdi_edits(&specs, &names)?);
        } else {
            let found = discover(&driver_root(), request).ok_or("could not select device driver \"\" with capabilities: [[gpu]]")?;
            edits.extend(&found);
        }
    }
    Ok(Some(edits))
}

/// The spec's environment as a map (for tests and `berth cdi`).
pub fn env_map(spec: &ContainerSpec) -> BTreeMap<String, String> {
    spec.process.env.iter().filter_map(|e| e.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpu_requests_parse_as_docker_parses_them() {
        assert_eq!(parse_gpus("all").unwrap(), GpuRequest::default());
        assert_eq!(parse_gpus("2").unwrap().count, Some(2));
        assert_eq!(parse_gpus("\"device=0,2\"").unwrap().device_ids, ["0", "2"]);
        let r = parse_gpus("count=1,capabilities=utility").unwrap();
        assert_eq!((r.count, r.capabilities.as_slice()), (Some(1), ["utility".to_string()].as_slice()));
        assert!(parse_gpus("colour=blue").unwrap_err().contains("unexpected key 'colour'"));
    }

    #[test]
    fn cdi_specs_resolve_to_edits_and_unknown_names_are_refused() {
        let yaml = r#"
cdiVersion: "0.6.0"
kind: nvidia.com/gpu
devices:
  - name: "0"
    containerEdits:
      deviceNodes:
        - path: /dev/nvidia0
          type: c
          major: 195
          minor: 0
containerEdits:
  env: ["NVIDIA_VISIBLE_DEVICES=void"]
  deviceNodes:
    - {path: /dev/nvidiactl, type: c, major: 195, minor: 255}
  mounts:
    - {hostPath: /opt/libcuda.so.1, containerPath: /usr/lib/libcuda.so.1, options: [ro, bind]}
  additionalGIDs: [44]
"#;
        let spec: CdiSpec = serde_yaml::from_str(yaml).unwrap();
        let specs = vec![(PathBuf::from("nvidia.yaml"), spec)];
        assert_eq!(device_names(&specs), ["nvidia.com/gpu=0"]);
        let edits = cdi_edits(&specs, &["nvidia.com/gpu=all".into()]).unwrap();
        assert_eq!(edits.device_nodes.len(), 2);
        let mut c = ContainerSpec::default();
        apply(&mut c, &edits).unwrap();
        assert_eq!(c.linux.resources.devices.iter().map(DeviceRule::v1).collect::<Vec<_>>(), ["c 195:0 rwm", "c 195:255 rwm"]);
        assert_eq!(c.mounts[0].destination, "/usr/lib/libcuda.so.1");
        assert_eq!(c.process.user.additional_gids.as_deref(), Some(&[44][..]));
        assert_eq!(env_map(&c)["NVIDIA_VISIBLE_DEVICES"], "void");
        let e = cdi_edits(&specs, &["nvidia.com/gpu=7".into()]).unwrap_err();
        assert!(e.ends_with("unresolvable CDI devices nvidia.com/gpu=7"), "{e}");
        assert!(is_cdi_name("nvidia.com/gpu=0") && !is_cdi_name("/dev/fuse"));
    }
}
