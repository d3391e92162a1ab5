//! Escapes through planted links: every `HostFs` operation tried through absolute,
//! relative, looping and dangling links, with nothing outside the folder changed.

use super::*;
use std::fs::File;
use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::sync::atomic::{AtomicUsize, Ordering};

static CASE: AtomicUsize = AtomicUsize::new(0);

/// A fresh `outside/` (what must not change) and `mount/` (the HostFs root) with links
/// planted in it that point out: absolute, relative, looping and dangling, to files and
/// to directories.
struct Scene {
    base: PathBuf,
    outside: PathBuf,
    fs: HostFs,
}

impl Scene {
    fn new() -> Scene {
        let base = std::env::temp_dir().join(format!("berth-hostfs-{}-{}", std::process::id(), CASE.fetch_add(1, Ordering::SeqCst)));
        let _ = fs::remove_dir_all(&base);
        let (outside, mount) = (base.join("outside"), base.join("mount"));
        fs::create_dir_all(outside.join("victim_dir")).unwrap();
        fs::create_dir_all(outside.join("empty_dir")).unwrap();
        fs::write(outside.join("victim.txt"), b"secret").unwrap();
        fs::set_permissions(outside.join("victim.txt"), fs::Permissions::from_mode(0o600)).unwrap();
        fs::write(outside.join("victim_dir/keep.txt"), b"kept").unwrap();
        let old = File::options().write(true).open(outside.join("victim.txt")).unwrap();
        old.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000)).unwrap();
        fs::create_dir_all(mount.join("tmp/demo")).unwrap();
        fs::write(mount.join("inside.txt"), b"inside").unwrap();
        let o = outside.display().to_string();
        for (link, target) in [
            ("abs", format!("{o}/victim.txt")),
            ("rel", "../outside/victim.txt".to_string()),
            ("loop", "loop".to_string()),
            ("loop_a", "loop_b".to_string()),
            ("loop_b", "loop_a".to_string()),
            ("dangling", format!("{o}/created.txt")),
            ("dangling_rel", "../outside/created.txt".to_string()),
            ("dir_abs", o.clone()),
            ("dir_rel", "../outside".to_string()),
            ("tmp/demo/victim.txt", format!("{o}/victim.txt")),
        ] {
            symlink(target, mount.join(link)).unwrap();
        }
        // The reported escape: a link whose reading inside the folder is itself (a loop
        // there), while the host's own reading is the file outside.
        let mirror = mount.join(outside.strip_prefix("/").unwrap());
        fs::create_dir_all(&mirror).unwrap();
        symlink(outside.join("victim.txt"), mirror.join("victim.txt")).unwrap();
        Scene { fs: HostFs::new(&mount), base, outside }
    }

    /// Everything about `outside/` that an escape would change.
    /// The mirrored link's path inside the folder.
    fn mirror(&self) -> String {
        format!("{}/victim.txt", self.outside.display())
    }

    fn snapshot(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut todo = vec![self.outside.clone()];
        while let Some(p) = todo.pop() {
            let m = fs::symlink_metadata(&p).unwrap();
            let content = if m.is_file() { String::from_utf8_lossy(&fs::read(&p).unwrap()).into_owned() } else { String::new() };
            out.push(format!("{} {:o} {} {} {} {} {content}", p.display(), m.mode(), m.uid(), m.gid(), m.mtime(), m.nlink()));
            if m.is_dir() {
                let mut names: Vec<_> = fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()).collect();
                names.sort();
                todo.extend(names);
            }
        }
        out.sort();
        out
    }
}

impl Drop for Scene {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.base);
    }
}

const THROUGH: &[&str] = &[
    "/abs",
    "/rel",
    "/loop",
    "/loop_a",
    "/dangling",
    "/dangling_rel",
    "/tmp/demo/victim.txt",
    "/dir_abs/victim.txt",
    "/dir_rel/victim.txt",
    "/dir_abs/new.txt",
    "/dir_rel/new.txt",
    "/dir_abs/empty_dir",
    "/dir_rel/empty_dir",
    "/dir_abs/victim_dir/keep.txt",
    "/dir_abs",
    "/dir_rel",
];

type Op = (&'static str, fn(&mut HostFs, &str));

const OPS: &[Op] = &[
    ("create", |fs, p| drop(fs.put_file(p, Content::data(b"pwned".to_vec()), Attrs::mode(0o777)))),
    ("write", |fs, p| drop(fs.write(p, b"pwned"))),
    ("truncate", |fs, p| drop(fs.set_len(p, 0))),
    ("append", |fs, p| drop(fs.write_at(p, 6, b"pwned"))),
    ("chmod", |fs, p| drop(fs.set_mode(p, 0o777))),
    ("chown", |fs, p| drop(fs.set_owner(p, 4321, 4321))),
    ("utime", |fs, p| drop(fs.set_mtime(p, 42))),
    ("rename from", |fs, p| drop(fs.rename(p, "/moved"))),
    ("rename onto", |fs, p| drop(fs.rename("/inside.txt", p))),
    ("link from", |fs, p| drop(fs.hard_link(p, "/hardlink"))),
    ("link onto", |fs, p| drop(fs.hard_link("/inside.txt", p))),
    ("symlink", |fs, p| drop(fs.symlink("/inside.txt", p))),
    ("mkdir", |fs, p| drop(fs.create_dir(p, 0o777))),
    ("rmdir", |fs, p| drop(fs.remove_dir(p))),
    ("unlink", |fs, p| drop(fs.remove_file(p))),
    ("mknod", |fs, p| drop(fs.mknod(p, FileType::Fifo, Attrs::mode(0o666), 0))),
];

#[test]
fn no_operation_through_any_planted_link_reaches_outside_the_folder() {
    for (op, run) in OPS {
        for path in THROUGH.iter().map(|p| p.to_string()).chain([String::from("MIRROR")]) {
            let mut scene = Scene::new();
            let path = if path == "MIRROR" { scene.mirror() } else { path };
            let before = scene.snapshot();
            run(&mut scene.fs, &path);
            assert_eq!(scene.snapshot(), before, "{op} through {path} changed a file outside the folder");
            // Nothing inside may now be a hard link to a file outside (the inode escape).
            if let Ok(m) = scene.fs.lstat("/hardlink") {
                assert_ne!(m.ino, fs::metadata(scene.outside.join("victim.txt")).unwrap().ino(), "{op} through {path}");
            }
        }
    }
}

#[test]
fn reads_through_planted_links_see_only_the_folder() {
    let scene = Scene::new();
    for path in THROUGH.iter().map(|p| p.to_string()).chain([scene.mirror()]) {
        let path = path.as_str();
        if let Ok(c) = scene.fs.content(path) {
            assert_ne!(c.to_vec(), b"secret", "read through {path}");
        }
        assert!(scene.fs.read_range(path, 0, 6).map_or(true, |d| d != b"secret"), "read_range through {path}");
        if let Ok(entries) = scene.fs.read_dir(path) {
            // Only outside are there a victim.txt file and these directories (inside,
            // the mirrored folder holds victim.txt as a link).
            let outside = |e: &DirEntry| e.name == "victim_dir" || e.name == "empty_dir" || (e.name == "victim.txt" && e.kind == FileType::File);
            assert!(!entries.iter().any(outside), "read_dir through {path}: {entries:?}");
        }
    }
    // Looping links end in ELOOP, not a hang or a crash.
    assert_eq!(scene.fs.stat("/loop").unwrap_err().errno, Errno::ELOOP);
    assert_eq!(scene.fs.stat("/loop_a/x").unwrap_err().errno, Errno::ELOOP);
    assert_eq!(scene.fs.lstat("/loop").unwrap().kind, FileType::Symlink);
    assert_eq!(scene.fs.stat(&scene.mirror()).unwrap_err().errno, Errno::ELOOP);
}

#[test]
fn links_resolve_inside_the_folder_as_a_chroot_would() {
    let mut scene = Scene::new();
    let fs = &mut scene.fs;
    fs.symlink("/inside.txt", "/in_abs").unwrap();
    fs.symlink("../../inside.txt", "/tmp/demo/in_rel").unwrap();
    assert_eq!(fs.read("/in_abs").unwrap(), b"inside");
    assert_eq!(fs.read("/tmp/demo/in_rel").unwrap(), b"inside");
    assert_eq!(fs.read("/../../inside.txt").unwrap(), b"inside");
    // Writing through a link inside writes its target inside.
    fs.write("/in_abs", b"changed").unwrap();
    assert_eq!(fs.read("/inside.txt").unwrap(), b"changed");
    // A dangling link inside is created inside (as `echo x > link` does).
    fs.symlink("/tmp/new.txt", "/to_new").unwrap();
    fs.write("/to_new", b"new").unwrap();
    assert_eq!(fs.read("/tmp/new.txt").unwrap(), b"new");
    fs.create_dir("/tmp/d", 0o750).unwrap();
    assert_eq!(fs.stat("/tmp/d").unwrap().mode, 0o750);
    fs.set_mode("/in_abs", 0o640).unwrap();
    assert_eq!(fs.stat("/inside.txt").unwrap().mode, 0o640);
    fs.set_mtime("/inside.txt", 1_234_567).unwrap();
    assert_eq!(fs.stat("/inside.txt").unwrap().mtime, 1_234_567);
    fs.rename("/tmp/new.txt", "/tmp/d/renamed.txt").unwrap();
    fs.hard_link("/tmp/d/renamed.txt", "/tmp/hard.txt").unwrap();
    assert_eq!(fs.stat("/tmp/hard.txt").unwrap().nlink, 2);
    fs.remove_file("/tmp/hard.txt").unwrap();
    fs.remove_file("/tmp/d/renamed.txt").unwrap();
    fs.remove_dir("/tmp/d").unwrap();
    let names: Vec<_> = fs.read_dir("/").unwrap().into_iter().map(|e| e.name).collect();
    assert!(names.contains(&"inside.txt".to_string()) && names.contains(&"abs".to_string()), "{names:?}");
    assert_eq!(fs.read_dir("/").unwrap().iter().find(|e| e.name == "tmp").unwrap().kind, FileType::Dir);
    assert_eq!(fs.content("/tmp").unwrap_err().errno, Errno::EISDIR);
}
