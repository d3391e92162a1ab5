//! Root filesystems of the base distributions: BusyBox, Alpine, Debian, Ubuntu. Layouts,
//! `/etc` files and package databases follow the real images.

use super::Builder;

/// BusyBox applets installed as links, with the directory each lives in.
const BUSYBOX_APPLETS: &[(&str, &str)] = &[
    ("/bin", "sh ash ls cat echo printf mkdir rm cp mv ln chmod chown chgrp pwd touch date sleep true false test grep egrep fgrep sed gzip gunzip zcat tar hostname uname ps kill mount umount df dmesg more vi ping netstat stat sync login su cpio dd fsync ionice ipcalc kbd_mode linux32 linux64 makemime mknod mktemp mountpoint nice pidof pipe_progress printenv reformime rev run-parts setpriv setserial usleep watch"),
    ("/sbin", "ifconfig route init halt reboot poweroff sysctl getty syslogd klogd losetup mdev modprobe insmod rmmod lsmod switch_root"),
    ("/usr/bin", "env which head tail wc sort uniq cut tr awk find xargs tee du basename dirname seq id whoami free nproc clear less wget nslookup expr od md5sum sha1sum sha256sum sha512sum realpath readlink timeout top uptime yes unzip bzcat bunzip2 xzcat unxz nc diff patch cmp comm install hexdump xxd time tty fold paste split strings tac nohup logger"),
    ("/usr/sbin", "addgroup adduser delgroup deluser chroot crond"),
];

fn busybox_links(b: &mut Builder, binary: &str, hard: bool) {
    for (dir, names) in BUSYBOX_APPLETS {
        for name in names.split_whitespace() {
            let path = format!("{dir}/{name}");
            if path == binary {
                continue;
            }
            if hard {
                b.hard_link(binary, &path);
            } else {
                b.link(&path, binary);
            }
        }
    }
}

fn base_dirs(b: &mut Builder) {
    for d in ["/dev", "/etc", "/home", "/media", "/mnt", "/opt", "/proc", "/run", "/srv", "/sys", "/usr/local/bin", "/usr/local/lib", "/usr/local/share", "/var/cache", "/var/lib", "/var/log", "/var/spool", "/var/tmp"] {
        b.dir(d, 0o755);
    }
    b.dir("/root", 0o700);
    b.dir("/tmp", 0o1777);
}

pub(super) fn busybox(b: &mut Builder, version: &str) {
    base_dirs(b);
    b.exec("/bin/busybox", 0, "busybox");
    busybox_links(b, "/bin/busybox", true);
    b.text("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\nbin:x:2:2:bin:/bin:/bin/false\nsys:x:3:3:sys:/dev:/bin/false\nsync:x:4:100:sync:/bin:/bin/sync\nmail:x:8:8:mail:/var/spool/mail:/bin/false\nwww-data:x:33:33:www-data:/var/www:/bin/false\noperator:x:37:37:Operator:/var:/bin/false\nnobody:x:65534:65534:nobody:/home:/bin/false\n");
    b.text("/etc/group", "root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nadm:x:4:\ntty:x:5:\ndisk:x:6:\nlp:x:7:\nmail:x:8:\nkmem:x:9:\nwheel:x:10:root\ncdrom:x:11:\ndialout:x:18:\nfloppy:x:19:\nvideo:x:28:\naudio:x:29:\ntape:x:32:\nwww-data:x:33:\noperator:x:37:\nutmp:x:43:\nplugdev:x:46:\nstaff:x:50:\nlock:x:54:\nnetdev:x:82:\nusers:x:100:\nnobody:x:65534:\n");
    b.file("/etc/shadow", "root:*::::::\ndaemon:*::::::\nbin:*::::::\nsys:*::::::\nsync:*::::::\nmail:*::::::\nwww-data:*::::::\noperator:*::::::\nnobody:*::::::\n", 0o600);
    b.text("/etc/localtime", "TZif2\n");
    b.text("/etc/network/if-up.d/.keep", "");
    b.text("/etc/busybox-version", &format!("BusyBox v{version}\n"));
    b.fill("/bin/busybox", 1);
}

const ALPINE_PACKAGES: &[(&str, &str, &str)] = &[
    ("alpine-baselayout", "3.6.5-r0", "Alpine base dir structure and init scripts"),
    ("alpine-baselayout-data", "3.6.5-r0", "Alpine base dir structure and init scripts"),
    ("alpine-keys", "2.4-r1", "Public keys for Alpine Linux packages"),
    ("apk-tools", "2.14.4-r1", "Alpine Package Keeper - package manager for alpine"),
    ("busybox", "1.36.1-r29", "Size optimized toolbox of many common UNIX utilities"),
    ("busybox-binsh", "1.36.1-r29", "busybox ash /bin/sh"),
    ("ca-certificates-bundle", "20240705-r0", "Pre generated bundle of Mozilla certificates"),
    ("libcrypto3", "3.3.2-r0", "Crypto library from openssl"),
    ("libssl3", "3.3.2-r0", "SSL shared libraries"),
    ("musl", "1.2.5-r0", "the musl c library (libc) implementation"),
    ("musl-utils", "1.2.5-r0", "the musl c library (libc) implementation"),
    ("scanelf", "1.3.7-r2", "Scan ELF binaries for stuff"),
    ("ssl_client", "1.36.1-r29", "EXTERNAL ssl_client for busybox wget"),
    ("zlib", "1.3.1-r1", "A compression/decompression Library"),
];

pub(super) fn alpine(b: &mut Builder, version: &str) {
    base_dirs(b);
    let branch = version.split('.').take(2).collect::<Vec<_>>().join(".");
    b.text(
        "/etc/os-release",
        &format!("NAME=\"Alpine Linux\"\nID=alpine\nVERSION_ID={version}\nPRETTY_NAME=\"Alpine Linux v{branch}\"\nHOME_URL=\"https://alpinelinux.org/\"\nBUG_REPORT_URL=\"https://gitlab.alpinelinux.org/alpine/aports/-/issues\"\n"),
    );
    b.text("/etc/alpine-release", &format!("{version}\n"));
    b.text("/etc/hostname", "localhost\n");
    b.text("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nbin:x:1:1:bin:/bin:/sbin/nologin\ndaemon:x:2:2:daemon:/sbin:/sbin/nologin\nlp:x:4:7:lp:/var/spool/lpd:/sbin/nologin\nsync:x:5:0:sync:/sbin:/bin/sync\nshutdown:x:6:0:shutdown:/sbin:/sbin/shutdown\nhalt:x:7:0:halt:/sbin:/sbin/halt\nmail:x:8:12:mail:/var/mail:/sbin/nologin\nnews:x:9:13:news:/usr/lib/news:/sbin/nologin\nuucp:x:10:14:uucp:/var/spool/uucppublic:/sbin/nologin\ncron:x:16:16:cron:/var/spool/cron:/sbin/nologin\nftp:x:21:21::/var/lib/ftp:/sbin/nologin\nsshd:x:22:22:sshd:/dev/null:/sbin/nologin\ngames:x:35:35:games:/usr/games:/sbin/nologin\nntp:x:123:123:NTP:/var/empty:/sbin/nologin\nguest:x:405:100:guest:/dev/null:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n");
    b.text("/etc/group", "root:x:0:root\nbin:x:1:root,bin,daemon\ndaemon:x:2:root,bin,daemon\nsys:x:3:root,bin\nadm:x:4:root,daemon\ntty:x:5:\ndisk:x:6:root\nlp:x:7:lp\nkmem:x:9:\nwheel:x:10:root\nfloppy:x:11:root\nmail:x:12:mail\nnews:x:13:news\nuucp:x:14:uucp\ncron:x:16:cron\naudio:x:18:\ncdrom:x:19:\ndialout:x:20:root\nftp:x:21:\nsshd:x:22:\ninput:x:23:\ntape:x:26:root\nvideo:x:27:root\nnetdev:x:28:\nkvm:x:34:kvm\ngames:x:35:\nshadow:x:42:\nwww-data:x:82:\nusers:x:100:games\nntp:x:123:\nabuild:x:300:\nutmp:x:406:\nping:x:999:\nnogroup:x:65533:\nnobody:x:65534:\n");
    b.file("/etc/shadow", "root:*::0:::::\nbin:!::0:::::\ndaemon:!::0:::::\nnobody:!::0:::::\n", 0o640);
    b.text("/etc/shells", "# valid login shells\n/bin/sh\n/bin/ash\n");
    b.text("/etc/profile", "export PATH=\"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"\nexport PAGER=less\numask 022\n");
    b.text("/etc/apk/repositories", &format!("https://dl-cdn.alpinelinux.org/alpine/v{branch}/main\nhttps://dl-cdn.alpinelinux.org/alpine/v{branch}/community\n"));
    b.text("/etc/apk/arch", "x86_64\n");
    let mut world = String::new();
    let mut installed = String::new();
    for (name, ver, desc) in ALPINE_PACKAGES {
        if !name.ends_with("-data") && *name != "busybox-binsh" && *name != "musl-utils" {
            world.push_str(name);
            world.push('\n');
        }
        installed.push_str(&format!("C:Q1berthcatalog{name}=\nP:{name}\nV:{ver}\nA:x86_64\nT:{desc}\no:{name}\n\n"));
    }
    b.text("/etc/apk/world", &world);
    b.text("/lib/apk/db/installed", &installed);
    b.exec("/bin/busybox", 813_000, "busybox");
    busybox_links(b, "/bin/busybox", false);
    b.exec("/sbin/apk", 194_000, "apk");
    b.exec("/sbin/ldconfig", 400, "ldconfig");
    b.blob("/lib/ld-musl-x86_64.so.1", 654_000);
    b.link("/lib/libc.musl-x86_64.so.1", "ld-musl-x86_64.so.1");
    b.blob("/lib/libz.so.1.3.1", 100_000);
    b.link("/lib/libz.so.1", "libz.so.1.3.1");
    b.blob("/usr/lib/libapk.so.2.14.0", 240_000);
    b.blob("/usr/lib/libssl.so.3", 600_000);
    b.blob("/usr/lib/libcrypto.so.3", 4_300_000);
    b.blob("/etc/ssl/certs/ca-certificates.crt", 220_000);
    b.fill("/usr/lib/libcrypto.so.3", 6);
    b.fill("/usr/lib/libssl.so.3", 1);
    b.fill("/lib/ld-musl-x86_64.so.1", 1);
}

/// One package of a Debian image's real package set (`engine/catalog/debian-base.json`).
#[derive(serde::Deserialize)]
struct BasePackage {
    version: String,
    priority: String,
    section: String,
    installed_kb: u64,
    description: String,
}

#[derive(serde::Deserialize)]
struct BaseSets {
    releases: std::collections::BTreeMap<String, BaseRelease>,
}

#[derive(serde::Deserialize)]
struct BaseRelease {
    packages: std::collections::BTreeMap<String, BasePackage>,
}

/// The package sets of Debian's images, as `scripts/debian-index --base` took them from
/// the archive.
fn base_sets() -> &'static BaseSets {
    static SETS: std::sync::OnceLock<BaseSets> = std::sync::OnceLock::new();
    SETS.get_or_init(|| serde_json::from_str(include_str!("../../../catalog/debian-base.json")).unwrap_or(BaseSets { releases: Default::default() }))
}

/// The Debian packages of a minimal image, with versions per release: for the Debian
/// releases the archive's real package set of the release's image, for the others a
/// curated one.
fn dpkg_status(release: &str, slim: bool, extra: &[(&str, &str)]) -> String {
    if let Some(base) = base_sets().releases.get(release) {
        let mut out = String::new();
        for (name, p) in &base.packages {
            if extra.iter().any(|(n, _)| n == name) {
                continue;
            }
            out.push_str(&format!("Package: {name}\nStatus: install ok installed\nPriority: {}\nSection: {}\nInstalled-Size: {}\nMaintainer: Debian maintainers\nArchitecture: amd64\nVersion: {}\nDescription: {}\n\n", p.priority, p.section, p.installed_kb, p.version, p.description));
        }
        let mut more: Vec<(String, String)> = extra.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
        if !slim {
            more.extend([("ca-certificates".to_string(), "20230311".to_string()), ("libssl3".to_string(), "3.0.14-1~deb12u2".to_string())].into_iter().filter(|(n, _)| !base.packages.contains_key(n)));
        }
        for (name, version) in more {
            out.push_str(&format!("Package: {name}\nStatus: install ok installed\nPriority: optional\nSection: admin\nMaintainer: Debian maintainers\nArchitecture: amd64\nVersion: {version}\nDescription: {name}\n\n"));
        }
        return out;
    }
    let (libc, apt, coreutils, bash, perl) = match release {
        "bookworm" => ("2.36-9+deb12u8", "2.6.1", "9.1-1", "5.2.15-2+b7", "5.36.0-7+deb12u1"),
        "bullseye" => ("2.31-13+deb11u11", "2.2.4", "8.32-4+b1", "5.1-2+deb11u1", "5.32.1-4+deb11u3"),
        "buster" => ("2.28-10+deb10u3", "1.8.2.3", "8.30-3", "5.0-4", "5.28.1-6+deb10u1"),
        "focal" => ("2.31-0ubuntu9.16", "2.0.10", "8.30-3ubuntu2", "5.0-6ubuntu1.2", "5.30.0-9ubuntu0.5"),
        "jammy" => ("2.35-0ubuntu3.8", "2.4.12", "8.32-4.1ubuntu1.2", "5.1-6ubuntu1.1", "5.34.0-3ubuntu1.3"),
        _ => ("2.39-0ubuntu8.3", "2.7.14build2", "9.4-3ubuntu6", "5.2.21-2ubuntu4", "5.38.2-3.2build2"),
    };
    let mut packages: Vec<(String, String)> = vec![
        ("apt".into(), apt.into()),
        ("base-files".into(), if release == "bookworm" { "12.4+deb12u7".into() } else { "1".into() }),
        ("base-passwd".into(), "3.6.1".into()),
        ("bash".into(), bash.into()),
        ("bsdutils".into(), "1:2.38.1-5+b1".into()),
        ("coreutils".into(), coreutils.into()),
        ("dash".into(), "0.5.12-2".into()),
        ("debconf".into(), "1.5.82".into()),
        ("debianutils".into(), "5.7-0.5~deb12u1".into()),
        ("diffutils".into(), "1:3.8-4".into()),
        ("dpkg".into(), "1.21.22".into()),
        ("findutils".into(), "4.9.0-4".into()),
        ("gpgv".into(), "2.2.40-1.1".into()),
        ("grep".into(), "3.8-5".into()),
        ("gzip".into(), "1.12-1".into()),
        ("hostname".into(), "3.23+nmu1".into()),
        ("libc-bin".into(), libc.into()),
        ("libc6".into(), libc.into()),
        ("login".into(), "1:4.13+dfsg1-1+b1".into()),
        ("mawk".into(), "1.3.4.20200120-3.1".into()),
        ("mount".into(), "2.38.1-5+b1".into()),
        ("ncurses-base".into(), "6.4-4".into()),
        ("ncurses-bin".into(), "6.4-4".into()),
        ("passwd".into(), "1:4.13+dfsg1-1+b1".into()),
        ("perl-base".into(), perl.into()),
        ("sed".into(), "4.9-1".into()),
        ("sysvinit-utils".into(), "3.06-4".into()),
        ("tar".into(), "1.34+dfsg-1.2+deb12u1".into()),
        ("tzdata".into(), "2024a-0+deb12u1".into()),
        ("util-linux".into(), "2.38.1-5+b1".into()),
        ("zlib1g".into(), "1:1.2.13.dfsg-1".into()),
    ];
    if !slim {
        packages.push(("ca-certificates".into(), "20230311".into()));
        packages.push(("libssl3".into(), "3.0.14-1~deb12u2".into()));
    }
    packages.extend(extra.iter().map(|(n, v)| (n.to_string(), v.to_string())));
    packages.sort();
    packages.dedup_by(|a, b| a.0 == b.0);
    packages
        .iter()
        .map(|(name, version)| {
            format!("Package: {name}\nStatus: install ok installed\nPriority: required\nSection: admin\nMaintainer: Debian maintainers\nArchitecture: amd64\nVersion: {version}\nDescription: {name}\n\n")
        })
        .collect()
}

const COREUTILS: &str = "arch b2sum base32 base64 basename cat chcon chgrp chmod chown cksum comm cp csplit cut date dd df dir dircolors dirname du echo env expand expr factor false fmt fold groups head hostid id install join link ln logname ls md5sum mkdir mkfifo mknod mktemp mv nice nl nohup nproc numfmt od paste pathchk pinky pr printenv printf ptx pwd readlink realpath rm rmdir runcon seq sha1sum sha224sum sha256sum sha384sum sha512sum shred shuf sleep sort split stat stty sum sync tac tail tee test timeout touch tr true truncate tsort tty uname unexpand uniq unlink users vdir wc who whoami yes [";

fn debian_like(b: &mut Builder, merged_usr: bool, os_release: &str, release: &str, slim: bool, passwd_extra: &str) {
    base_dirs(b);
    let bin = if merged_usr { "/usr/bin" } else { "/bin" };
    if merged_usr {
        b.dir("/usr/bin", 0o755);
        b.dir("/usr/sbin", 0o755);
        b.dir("/usr/lib/x86_64-linux-gnu", 0o755);
        b.dir("/usr/lib64", 0o755);
        b.link("/bin", "usr/bin");
        b.link("/sbin", "usr/sbin");
        b.link("/lib", "usr/lib");
        b.link("/lib64", "usr/lib64");
    }
    b.text("/usr/lib/os-release", os_release);
    b.link("/etc/os-release", "../usr/lib/os-release");
    b.text("/etc/hostname", "localhost\n");
    b.text(
        "/etc/passwd",
        &format!("root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nbin:x:2:2:bin:/bin:/usr/sbin/nologin\nsys:x:3:3:sys:/dev:/usr/sbin/nologin\nsync:x:4:65534:sync:/bin:/bin/sync\ngames:x:5:60:games:/usr/games:/usr/sbin/nologin\nman:x:6:12:man:/var/cache/man:/usr/sbin/nologin\nlp:x:7:7:lp:/var/spool/lpd:/usr/sbin/nologin\nmail:x:8:8:mail:/var/mail:/usr/sbin/nologin\nnews:x:9:9:news:/var/spool/news:/usr/sbin/nologin\nuucp:x:10:10:uucp:/var/spool/uucp:/usr/sbin/nologin\nproxy:x:13:13:proxy:/bin:/usr/sbin/nologin\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\nbackup:x:34:34:backup:/var/backups:/usr/sbin/nologin\nlist:x:38:38:Mailing List Manager:/var/list:/usr/sbin/nologin\nirc:x:39:39:ircd:/run/ircd:/usr/sbin/nologin\n_apt:x:42:65534::/nonexistent:/usr/sbin/nologin\n{passwd_extra}nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"),
    );
    b.text("/etc/group", "root:x:0:\ndaemon:x:1:\nbin:x:2:\nsys:x:3:\nadm:x:4:\ntty:x:5:\ndisk:x:6:\nlp:x:7:\nmail:x:8:\nnews:x:9:\nuucp:x:10:\nman:x:12:\nproxy:x:13:\nkmem:x:15:\ndialout:x:20:\nfax:x:21:\nvoice:x:22:\ncdrom:x:24:\nfloppy:x:25:\ntape:x:26:\nsudo:x:27:\naudio:x:29:\ndip:x:30:\nwww-data:x:33:\nbackup:x:34:\noperator:x:37:\nlist:x:38:\nirc:x:39:\nsrc:x:40:\nshadow:x:42:\nutmp:x:43:\nvideo:x:44:\nsasl:x:45:\nplugdev:x:46:\nstaff:x:50:\ngames:x:60:\nusers:x:100:\nnogroup:x:65534:\n");
    b.file("/etc/shadow", "root:*:19976:0:99999:7:::\ndaemon:*:19976:0:99999:7:::\nbin:*:19976:0:99999:7:::\nnobody:*:19976:0:99999:7:::\n", 0o640);
    b.text("/etc/shells", "# /etc/shells: valid login shells\n/bin/sh\n/usr/bin/sh\n/bin/bash\n/usr/bin/bash\n/bin/dash\n/usr/bin/dash\n");
    b.text("/etc/bash.bashrc", "# System-wide .bashrc file for interactive bash(1) shells.\n[ -z \"$PS1\" ] && return\nPS1='${debian_chroot:+($debian_chroot)}\\u@\\h:\\w\\$ '\n");
    b.text("/root/.bashrc", "# ~/.bashrc: executed by bash(1) for non-login shells.\nexport LS_OPTIONS='--color=auto'\n");
    b.text("/root/.profile", "# ~/.profile: executed by Bourne-compatible login shells.\nif [ \"$BASH\" ]; then\n  if [ -f ~/.bashrc ]; then\n    . ~/.bashrc\n  fi\nfi\nmesg n 2> /dev/null || true\n");
    b.text("/var/lib/dpkg/status", &dpkg_status(release, slim, &[]));
    b.dir("/var/lib/apt/lists/partial", 0o700);
    b.dir("/var/cache/apt/archives/partial", 0o700);
    b.dir("/var/lib/dpkg/info", 0o755);
    // Programs.
    b.exec(&format!("{bin}/bash"), 1_265_648, "bash");
    b.exec(&format!("{bin}/dash"), 125_560, "dash");
    b.link(&format!("{bin}/sh"), "dash");
    b.link(&format!("{bin}/rbash"), "bash");
    for name in COREUTILS.split_whitespace() {
        b.exec(&format!("/usr/bin/{name}"), 60_000, name);
    }
    if !merged_usr {
        // Before merged /usr, the essential ones live in /bin.
        for name in ["cat", "chgrp", "chmod", "chown", "cp", "date", "dd", "df", "dir", "echo", "false", "ln", "ls", "mkdir", "mknod", "mktemp", "mv", "pwd", "readlink", "rm", "rmdir", "sleep", "stty", "sync", "touch", "true", "uname", "vdir"] {
            b.exec(&format!("/bin/{name}"), 60_000, name);
        }
    }
    for (name, size) in [("grep", 203_152), ("sed", 122_224), ("tar", 531_984), ("gzip", 97_848), ("hostname", 22_760), ("mount", 59_704), ("umount", 35_128), ("more", 43_496), ("su", 72_000), ("login", 60_000)] {
        b.exec(&format!("{bin}/{name}"), size, name);
    }
    b.link(&format!("{bin}/gunzip"), "gzip");
    b.link(&format!("{bin}/zcat"), "gzip");
    b.link(&format!("{bin}/egrep"), "grep");
    for (name, size) in [
        ("find", 224_848), ("xargs", 68_560), ("mawk", 154_000), ("apt", 18_824), ("apt-get", 51_864), ("apt-cache", 80_000), ("apt-config", 27_000), ("apt-mark", 60_000),
        ("dpkg", 310_000), ("dpkg-query", 150_000), ("dpkg-deb", 160_000), ("perl", 3_900_000), ("which", 1_000), ("ps", 137_000), ("kill", 30_000), ("diff", 230_000),
        ("cmp", 60_000), ("ldd", 5_000), ("getent", 40_000), ("locale", 60_000), ("tput", 23_000), ("clear", 15_000), ("reset", 27_000), ("tabs", 19_000),
        ("nproc", 35_000), ("free", 22_000), ("top", 130_000), ("uptime", 14_000), ("pgrep", 31_000), ("pkill", 31_000), ("zdump", 23_000),
        ("useradd", 150_000), ("usermod", 140_000), ("groupadd", 90_000), ("chpasswd", 60_000), ("passwd", 60_000),
    ] {
        b.exec(&format!("/usr/bin/{name}"), size, name);
    }
    b.link("/usr/bin/awk", "/etc/alternatives/awk");
    b.link("/etc/alternatives/awk", "/usr/bin/mawk");
    for (name, size) in [("adduser", 40_000), ("useradd", 150_000), ("groupadd", 90_000), ("ldconfig", 930_000), ("start-stop-daemon", 50_000), ("nologin", 14_000), ("chroot", 40_000)] {
        b.exec(&format!("/usr/sbin/{name}"), size, name);
    }
    let lib = "/usr/lib/x86_64-linux-gnu";
    b.blob(&format!("{lib}/libc.so.6"), 1_922_136);
    b.blob(&format!("{lib}/libm.so.6"), 907_784);
    b.blob(&format!("{lib}/ld-linux-x86-64.so.2"), 210_968);
    b.link("/usr/lib64/ld-linux-x86-64.so.2", "../lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
    b.blob(&format!("{lib}/libz.so.1.2.13"), 121_280);
    b.blob(&format!("{lib}/libtinfo.so.6.4"), 200_000);
    b.blob(&format!("{lib}/libapt-pkg.so.6.0.0"), 2_200_000);
    b.blob(&format!("{lib}/libstdc++.so.6.0.30"), 2_260_000);
    b.blob(&format!("{lib}/libsystemd.so.0.35.0"), 900_000);
    b.blob("/usr/lib/x86_64-linux-gnu/perl-base/unicore/Name.pm", 1_400_000);
    b.fill(&format!("{lib}/libapt-pkg.so.6.0.0"), 1);
    b.fill(&format!("{lib}/libstdc++.so.6.0.30"), 1);
    b.fill("/usr/lib/x86_64-linux-gnu/gconv/gconv-modules.cache", 3);
    b.fill("/usr/share/zoneinfo/zone1970.tab", 2);
    if !slim {
        // The full images keep documentation, manual pages and locales.
        b.fill("/usr/share/doc/libc6/changelog.Debian.gz", 3);
        b.fill("/usr/share/man/man1/bash.1.gz", 2);
        b.fill("/usr/share/locale/locale.alias", 3);
        b.fill("/usr/share/i18n/charmaps/UTF-8.gz", 2);
    }
}

pub(super) fn debian(b: &mut Builder, tag: &str) {
    let (codename, slim) = match tag.strip_suffix("-slim") {
        Some(c) => (c, true),
        None => (tag, false),
    };
    let (id, full) = match codename {
        "bookworm" => ("12", "12.7"),
        "bullseye" => ("11", "11.11"),
        _ => ("10", "10.13"),
    };
    let os_release = format!(
        "PRETTY_NAME=\"Debian GNU/Linux {id} ({codename})\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"{id}\"\nVERSION=\"{id} ({codename})\"\nVERSION_CODENAME={codename}\nID=debian\nHOME_URL=\"https://www.debian.org/\"\nSUPPORT_URL=\"https://www.debian.org/support\"\nBUG_REPORT_URL=\"https://bugs.debian.org/\"\n"
    );
    debian_like(b, codename == "bookworm", &os_release, codename, slim, "");
    b.text("/etc/debian_version", &format!("{full}\n"));
    if codename == "bookworm" {
        b.text(
            "/etc/apt/sources.list.d/debian.sources",
            "Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\nTypes: deb\nURIs: http://deb.debian.org/debian-security\nSuites: bookworm-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n",
        );
    } else {
        let mirror = if codename == "buster" { "http://archive.debian.org/debian" } else { "http://deb.debian.org/debian" };
        b.text("/etc/apt/sources.list", &format!("deb {mirror} {codename} main\ndeb {mirror}-security {codename}/updates main\ndeb {mirror} {codename}-updates main\n"));
    }
}

pub(super) fn ubuntu(b: &mut Builder, version: &str) {
    let (point, codename, name) = match version {
        "20.04" => ("20.04.6", "focal", "Focal Fossa"),
        "22.04" => ("22.04.5", "jammy", "Jammy Jellyfish"),
        _ => ("24.04.1", "noble", "Noble Numbat"),
    };
    let logo = if version == "24.04" { "LOGO=ubuntu-logo\n" } else { "" };
    let os_release = format!(
        "PRETTY_NAME=\"Ubuntu {point} LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"{version}\"\nVERSION=\"{point} LTS ({name})\"\nVERSION_CODENAME={codename}\nID=ubuntu\nID_LIKE=debian\nHOME_URL=\"https://www.ubuntu.com/\"\nSUPPORT_URL=\"https://help.ubuntu.com/\"\nBUG_REPORT_URL=\"https://bugs.launchpad.net/ubuntu/\"\nPRIVACY_POLICY_URL=\"https://www.ubuntu.com/legal/terms-and-policies/privacy-policy\"\nUBUNTU_CODENAME={codename}\n{logo}"
    );
    let extra = if version == "24.04" { "ubuntu:x:1000:1000:Ubuntu:/home/ubuntu:/bin/bash\n" } else { "" };
    debian_like(b, true, &os_release, codename, true, extra);
    b.text("/etc/lsb-release", &format!("DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE={version}\nDISTRIB_CODENAME={codename}\nDISTRIB_DESCRIPTION=\"Ubuntu {point} LTS\"\n"));
    b.text("/etc/debian_version", &format!("{}/sid\n", match codename { "focal" => "bullseye", "jammy" => "bookworm", _ => "trixie" }));
    b.text("/etc/apt/sources.list", &format!("deb http://archive.ubuntu.com/ubuntu/ {codename} main restricted universe multiverse\ndeb http://archive.ubuntu.com/ubuntu/ {codename}-updates main restricted universe multiverse\ndeb http://security.ubuntu.com/ubuntu/ {codename}-security main restricted universe multiverse\n"));
    if version == "24.04" {
        b.dir("/home/ubuntu", 0o750);
    }
}

/// `dpkg_status` for layers that install more packages on top of a base.
pub(super) fn dpkg_status_with(release: &str, extra: &[(&str, &str)]) -> String {
    dpkg_status(release, false, extra)
}
