//! Interop with a real peer: archives written by `podman save` load into Berth, and
//! archives written by Berth load into podman. Runs where `podman` is installed
//! (`scripts/test` installs it on Debian); elsewhere it says so and passes.

use std::process::Command;

use engine::image::archive::{load, save};
use engine::image::catalog::Catalog;
use engine::image::pull::pull;
use engine::image::ImageStore;
use engine::vfs::FileSystem;

fn podman(args: &[&str]) -> Option<std::process::Output> {
    Command::new("podman").arg("--events-backend=file").args(args).output().ok()
}

fn have_podman() -> bool {
    podman(&["--version"]).is_some_and(|o| o.status.success())
}

#[test]
fn archives_cross_between_podman_and_berth() {
    if !have_podman() {
        println!("podman is not installed: skipping the interop test");
        return;
    }
    let dir = std::env::temp_dir().join(format!("berth-podman-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let name = format!("localhost/berth-interop:{}", std::process::id());

    // A root filesystem built here becomes a podman image.
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(6);
    h.set_mode(0o644);
    b.append_data(&mut h, "etc/greeting.txt", &b"hello\n"[..]).unwrap();
    std::fs::write(dir.join("rootfs.tar"), b.into_inner().unwrap()).unwrap();
    let imported = podman(&["import", dir.join("rootfs.tar").to_str().unwrap(), &name]).unwrap();
    assert!(imported.status.success(), "{}", String::from_utf8_lossy(&imported.stderr));

    for format in ["docker-archive", "oci-archive"] {
        let path = dir.join(format!("{format}.tar"));
        let saved = podman(&["save", "--format", format, "-o", path.to_str().unwrap(), &name]).unwrap();
        assert!(saved.status.success(), "{}", String::from_utf8_lossy(&saved.stderr));
        let mut store = ImageStore::in_memory();
        let lines = load(&mut store, &std::fs::read(&path).unwrap(), "now").unwrap();
        assert_eq!(lines.len(), 1, "{lines:?}");
        let id = store.images().next().unwrap().id.clone();
        let layers = store.layers(&id).unwrap();
        assert_eq!(layers[0].read("/etc/greeting.txt").unwrap(), b"hello\n", "{format}");
        println!("podman save --format {format} → berth load: {}", lines[0]);
    }

    // And the other way: a catalog image saved by Berth loads into podman.
    let mut store = ImageStore::in_memory();
    pull(&mut store, &Catalog::embedded(), "alpine:3.20", None).unwrap();
    store.tag("alpine:3.20", &name).unwrap();
    let path = dir.join("berth.tar");
    std::fs::write(&path, save(&store, std::slice::from_ref(&name)).unwrap()).unwrap();
    let _ = podman(&["rmi", "-f", &name]);
    let loaded = podman(&["load", "-i", path.to_str().unwrap()]).unwrap();
    assert!(loaded.status.success(), "podman load: {}", String::from_utf8_lossy(&loaded.stderr));
    let inspect = podman(&["image", "inspect", "--format", "{{len .RootFS.Layers}} {{.Os}}", &name]).unwrap();
    assert_eq!(String::from_utf8_lossy(&inspect.stdout).trim(), "1 linux");
    println!("berth save → podman load: {}", String::from_utf8_lossy(&loaded.stdout).trim());
    let _ = podman(&["rmi", "-f", &name]);
    std::fs::remove_dir_all(&dir).unwrap();
}
