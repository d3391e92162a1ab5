//! Hooks Berth provides itself, run as `berth __berth-hook NAME …` with the OCI hook
//! protocol (the container's state as JSON on standard input, its bundle's
//! `config.json` saying where its root is). `update-ldcache` refreshes a container's
//! linker cache once the GPU driver's libraries are bound into it, as the NVIDIA
//! Container Toolkit's hook of that name does: the host's `ldconfig`, confined to the
//! container's root with `-r` (it `chroot`s there, so nothing the image links to
//! reaches the host), over the directories given with `--folder`. An image without a
//! glibc linker cache (musl, busybox) is left as it is.

use std::io::Read;
use std::path::{Path, PathBuf};

/// The first argument that makes the binary run a hook.
pub const ARG: &str = "__berth-hook";

/// `berth __berth-hook NAME ARGS…`; returns the exit status.
pub fn main(args: &[String]) -> i32 {
    let r = match args.first().map(String::as_str) {
        Some("update-ldcache") => update_ldcache(&args[1..]),
        other => Err(format!("unknown hook {:?} (update-ldcache)", other.unwrap_or(""))),
    };
    match r {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("berth hook: {e}");
            1
        }
    }
}

/// The container's root on the host, from the state on standard input.
fn container_root() -> Result<PathBuf, String> {
    let mut input = String::new();
    std::io::stdin().take(1 << 20).read_to_string(&mut input).map_err(|e| format!("reading the container's state: {e}"))?;
    let state: serde_json::Value = serde_json::from_str(&input).map_err(|e| format!("the container's state is not JSON: {e}"))?;
    let bundle = PathBuf::from(state["bundle"].as_str().ok_or("the container's state has no bundle")?);
    let config = std::fs::read(bundle.join("config.json")).map_err(|e| format!("{}: {e}", bundle.join("config.json").display()))?;
    let config: serde_json::Value = serde_json::from_slice(&config).map_err(|e| format!("{}: {e}", bundle.join("config.json").display()))?;
    let root = Path::new(config["root"]["path"].as_str().ok_or("config.json has no root.path")?);
    Ok(if root.is_absolute() { root.to_path_buf() } else { bundle.join(root) })
}

fn update_ldcache(args: &[String]) -> Result<(), String> {
    let mut folders = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--folder" => folders.push(it.next().ok_or("--folder needs a directory")?.clone()),
            other => return Err(format!("update-ldcache: unknown option {other}")),
        }
    }
    let root = container_root()?;
    // No glibc linker cache to refresh (symlink_metadata: the image's own files, not
    // what a link in them names).
    if std::fs::symlink_metadata(root.join("etc/ld.so.conf")).is_err() && std::fs::symlink_metadata(root.join("etc/ld.so.cache")).is_err() {
        return Ok(());
    }
    let ldconfig = ["/sbin/ldconfig.real", "/sbin/ldconfig", "/usr/sbin/ldconfig"].into_iter().find(|p| Path::new(p).is_file()).ok_or("no ldconfig on the host")?;
    let out = std::process::Command::new(ldconfig).arg("-r").arg(&root).args(&folders).output().map_err(|e| format!("{ldconfig}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{ldconfig} -r {}: {}{}", root.display(), out.status, String::from_utf8_lossy(&out.stderr).trim_end()));
    }
    Ok(())
}
