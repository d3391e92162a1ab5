//! What a program needs to know of the image it runs in: its users and groups
//! (`/etc/passwd`, `/etc/group`) and which shell its `/bin/sh` is. The runtimes, the build
//! and `COPY --chown` ask the same questions.

use super::Flavor;
use crate::vfs::FileSystem;

/// `USER name[:group]` to IDs through the image's `/etc/passwd` and `/etc/group`.
pub fn user_ids(fs: &dyn FileSystem, user: &str) -> (u32, u32) {
    if user.is_empty() {
        return (0, 0);
    }
    let (u, g) = match user.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (user, None),
    };
    let passwd = fs.read("/etc/passwd").map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
    let entry = passwd.lines().map(|l| l.split(':').collect::<Vec<_>>()).find(|f| f.first() == Some(&u) || f.get(2) == Some(&u));
    let uid = u.parse().ok().or_else(|| entry.as_ref().and_then(|f| f.get(2)?.parse().ok())).unwrap_or(0);
    let gid = match g {
        Some(g) => g.parse().ok().or_else(|| {
            let group = fs.read("/etc/group").map(|b| String::from_utf8_lossy(&b).into_owned()).unwrap_or_default();
            group.lines().map(|l| l.split(':').collect::<Vec<_>>()).find(|f| f.first() == Some(&g)).and_then(|f| f.get(2)?.parse().ok())
        }),
        // A user with no passwd entry runs with group 0, as runc sets it.
        None => Some(entry.as_ref().and_then(|f| f.get(3)?.parse().ok()).unwrap_or(0)),
    }
    .unwrap_or(uid);
    (uid, gid)
}

/// The image's `/bin/sh`: BusyBox ash in Alpine and BusyBox, dash elsewhere.
pub fn flavor_of(fs: &dyn FileSystem) -> Flavor {
    match fs.content("/bin/sh") {
        Ok(crate::vfs::Content::Lazy { label, .. }) if label.as_ref() == "exec:busybox" => Flavor::Ash,
        Ok(crate::vfs::Content::Lazy { label, .. }) if label.as_ref() == "exec:bash" => Flavor::Bash,
        _ => Flavor::Dash,
    }
}
