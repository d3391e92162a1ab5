//! Bridge networks for native containers, as libnetwork's bridge driver builds them but
//! away from the host's own interfaces and firewall: Berth's bridges live in a network
//! namespace of its own (bind-mounted at `<native>/netns`, as `ip netns add` keeps one),
//! one bridge per network (`br-<id>`, its gateway address on it). A container on a
//! network gets a veth pair: one end on the bridge, the other its `eth0` (`eth1`, … for
//! more networks) with its address and MAC, and a default route through the first
//! network's gateway. Containers on a network reach each other by address and, on a
//! user-defined one, by name (the engine writes their `/etc/hosts`).
//!
//! The way out is user-mode networking, as rootless podman has it: Debian's
//! `slirp4netns` gives the bridges' namespace a `tap0` with a default route (its
//! packets leave through the host's own sockets, so the host's interfaces and firewall
//! stay as they are, and its loopback is not reachable: `--disable-host-loopback`), and
//! an nftables table there masquerades the bridges' traffic out of it and drops what
//! one bridge would forward to another. Without `slirp4netns` or `nft` on the host, the
//! bridges keep no way out and forwarding stays off.
//!
//! Everything goes through rtnetlink from threads that `setns` into the namespace they
//! configure (a per-thread change), so the process's own namespace is never touched.
//! Root only: rootless containers keep loopback only.

// System calls are what this backend is: each unsafe block says what makes it sound.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use crate::runtime::spec::ContainerSpec;
use crate::runtime::RuntimeError;

use crate::runtime::spec::{Bridges, ANNOTATION_BRIDGES};

const RTM_NEWLINK: u16 = 16;
const RTM_NEWADDR: u16 = 20;
const RTM_NEWROUTE: u16 = 24;
const NLMSG_ERROR: u16 = 2;
const NLM_F_REQUEST: u16 = 1;
const NLM_F_ACK: u16 = 4;
const NLM_F_EXCL: u16 = 0x200;
const NLM_F_CREATE: u16 = 0x400;
const IFLA_ADDRESS: u16 = 1;
const IFLA_IFNAME: u16 = 3;
const IFLA_MASTER: u16 = 10;
const IFLA_LINKINFO: u16 = 18;
const IFLA_NET_NS_FD: u16 = 28;
const IFLA_INFO_KIND: u16 = 1;
const IFLA_INFO_DATA: u16 = 2;
const VETH_INFO_PEER: u16 = 1;
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
const RTA_GATEWAY: u16 = 5;
const RTA_OIF: u16 = 4;
/// `NSFS_MAGIC`: a file that is a bind mount of a namespace.
const NSFS_MAGIC: i64 = 0x6e73_6673;

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(libc::EIO)
}

/// A netlink message body being built: a fixed header then attributes.
struct Message(Vec<u8>);

impl Message {
    fn new(header: &[u8]) -> Message {
        Message(header.to_vec())
    }

    fn attr(&mut self, kind: u16, data: &[u8]) -> &mut Message {
        let len = 4 + data.len();
        self.0.extend_from_slice(&(len as u16).to_ne_bytes());
        self.0.extend_from_slice(&kind.to_ne_bytes());
        self.0.extend_from_slice(data);
        while !self.0.len().is_multiple_of(4) {
            self.0.push(0);
        }
        self
    }

    /// A nested attribute: `fill` adds its members.
    fn nest(&mut self, kind: u16, fill: impl FnOnce(&mut Message)) -> &mut Message {
        let start = self.0.len();
        self.0.extend_from_slice(&[0, 0]);
        self.0.extend_from_slice(&kind.to_ne_bytes());
        fill(self);
        let len = (self.0.len() - start) as u16;
        self.0[start..start + 2].copy_from_slice(&len.to_ne_bytes());
        self
    }
}

/// `struct ifinfomsg`: family, type, index, flags, change.
fn ifinfomsg(index: i32, flags: u32, change: u32) -> Vec<u8> {
    let mut h = vec![0u8; 4];
    h.extend_from_slice(&index.to_ne_bytes());
    h.extend_from_slice(&flags.to_ne_bytes());
    h.extend_from_slice(&change.to_ne_bytes());
    h
}

/// An rtnetlink socket of the calling thread's network namespace.
struct Netlink {
    fd: OwnedFd,
    seq: u32,
}

impl Netlink {
    fn open() -> Result<Netlink, i32> {
        // SAFETY: a new socket, owned at once.
        let fd = unsafe { libc::socket(libc::AF_NETLINK, libc::SOCK_RAW | libc::SOCK_CLOEXEC, libc::NETLINK_ROUTE) };
        if fd < 0 {
            return Err(errno());
        }
        // SAFETY: fd is ours.
        Ok(Netlink { fd: unsafe { OwnedFd::from_raw_fd(fd) }, seq: 0 })
    }

    /// Sends one request and waits for its acknowledgement: `Err(errno)` on a refusal.
    fn request(&mut self, kind: u16, flags: u16, body: &Message) -> Result<(), i32> {
        self.seq += 1;
        let mut msg = Vec::with_capacity(16 + body.0.len());
        msg.extend_from_slice(&((16 + body.0.len()) as u32).to_ne_bytes());
        msg.extend_from_slice(&kind.to_ne_bytes());
        msg.extend_from_slice(&(NLM_F_REQUEST | NLM_F_ACK | flags).to_ne_bytes());
        msg.extend_from_slice(&self.seq.to_ne_bytes());
        msg.extend_from_slice(&0u32.to_ne_bytes());
        msg.extend_from_slice(&body.0);
        // SAFETY: a write of a local buffer on our socket (to the kernel: no address).
        if unsafe { libc::send(self.fd.as_raw_fd(), msg.as_ptr().cast(), msg.len(), 0) } < 0 {
            return Err(errno());
        }
        let mut buf = vec![0u8; 8192];
        loop {
            // SAFETY: a read into a local buffer of its length.
            let n = unsafe { libc::recv(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len(), 0) };
            if n < 0 {
                let e = errno();
                if e == libc::EINTR {
                    continue;
                }
                return Err(e);
            }
            let mut at = 0usize;
            let n = n as usize;
            while at + 16 <= n {
                let len = u32::from_ne_bytes(buf[at..at + 4].try_into().unwrap_or_default()) as usize;
                let kind = u16::from_ne_bytes(buf[at + 4..at + 6].try_into().unwrap_or_default());
                let seq = u32::from_ne_bytes(buf[at + 8..at + 12].try_into().unwrap_or_default());
                if kind == NLMSG_ERROR && seq == self.seq && at + 20 <= n {
                    let code = i32::from_ne_bytes(buf[at + 16..at + 20].try_into().unwrap_or_default());
                    return if code == 0 { Ok(()) } else { Err(-code) };
                }
                if len < 16 {
                    break;
                }
                at += (len + 3) & !3;
            }
        }
    }

    fn set_up(&mut self, index: i32) -> Result<(), i32> {
        self.request(RTM_NEWLINK, 0, &Message::new(&ifinfomsg(index, libc::IFF_UP as u32, libc::IFF_UP as u32)))
    }

    fn add_address(&mut self, index: i32, ip: [u8; 4], prefix: u8) -> Result<(), i32> {
        let mut h = vec![libc::AF_INET as u8, prefix, 0, 0];
        h.extend_from_slice(&(index as u32).to_ne_bytes());
        let mut m = Message::new(&h);
        m.attr(IFA_LOCAL, &ip).attr(IFA_ADDRESS, &ip);
        match self.request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, &m) {
            Err(libc::EEXIST) => Ok(()),
            r => r,
        }
    }
}

fn index_of(name: &str) -> Option<i32> {
    let c = CString::new(name).ok()?;
    // SAFETY: a NUL-terminated name.
    let i = unsafe { libc::if_nametoindex(c.as_ptr()) };
    (i != 0).then_some(i as i32)
}

/// Runs `f` on a thread of its own inside the network namespace `ns`.
fn in_namespace<T: Send + 'static>(ns: &OwnedFd, f: impl FnOnce() -> Result<T, String> + Send + 'static) -> Result<T, String> {
    let ns = ns.try_clone().map_err(|e| e.to_string())?;
    std::thread::spawn(move || {
        // SAFETY: setns on a descriptor we hold; it changes only this thread's namespace.
        if unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
            return Err(format!("entering the network namespace: {}", std::io::Error::last_os_error()));
        }
        f()
    })
    .join()
    .unwrap_or_else(|_| Err("the network thread panicked".into()))
}

fn is_namespace(path: &Path) -> bool {
    let Ok(c) = CString::new(path.as_os_str().as_encoded_bytes()) else { return false };
    // SAFETY: a zeroed struct for the kernel to fill, and a NUL-terminated path.
    unsafe {
        let mut st: libc::statfs = std::mem::zeroed();
        libc::statfs(c.as_ptr(), &mut st) == 0 && st.f_type as i64 == NSFS_MAGIC
    }
}

/// The namespace that holds Berth's bridges, made (and bind-mounted at
/// `<native>/netns`) the first time; under `<native>/netns.lock` so that two starts
/// make one.
fn holder(native: &Path) -> Result<OwnedFd, String> {
    let path = native.join("netns");
    let lock = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(native.join("netns.lock")).map_err(|e| format!("netns.lock: {e}"))?;
    // SAFETY: flock on a descriptor we hold; released when it closes.
    unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) };
    if !is_namespace(&path) {
        std::fs::write(&path, b"").map_err(|e| format!("{}: {e}", path.display()))?;
        let (tx, rx) = std::sync::mpsc::channel::<Result<i32, String>>();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let t = std::thread::spawn(move || {
            // SAFETY: unshare of this thread's network namespace only.
            if unsafe { libc::unshare(libc::CLONE_NEWNET) } != 0 {
                let _ = tx.send(Err(format!("creating the bridges' network namespace: {}", std::io::Error::last_os_error())));
                return;
            }
            // SAFETY: gettid has no preconditions.
            let _ = tx.send(Ok(unsafe { libc::gettid() }));
            let _ = done_rx.recv();
        });
        let tid = rx.recv().map_err(|e| e.to_string())??;
        let source = CString::new(format!("/proc/self/task/{tid}/ns/net")).map_err(|e| e.to_string())?;
        let target = CString::new(path.as_os_str().as_encoded_bytes()).map_err(|e| e.to_string())?;
        // SAFETY: a bind mount of two NUL-terminated paths.
        let r = unsafe { libc::mount(source.as_ptr(), target.as_ptr(), std::ptr::null(), libc::MS_BIND, std::ptr::null()) };
        let e = std::io::Error::last_os_error();
        let _ = done_tx.send(());
        let _ = t.join();
        if r != 0 {
            return Err(format!("keeping the bridges' network namespace at {}: {e}", path.display()));
        }
        // Its loopback up, and forwarding off until `way_out`'s table keeps the bridges
        // apart: containers on different networks never reach each other, as Docker's
        // isolation rules keep them apart.
        let ns = std::fs::File::open(&path).map(OwnedFd::from).map_err(|e| e.to_string())?;
        in_namespace(&ns, || {
            let mut nl = Netlink::open().map_err(|e| format!("netlink: {}", std::io::Error::from_raw_os_error(e)))?;
            let _ = index_of("lo").map(|i| nl.set_up(i));
            // /proc/sys/net is the opening thread's namespace's.
            std::fs::write("/proc/sys/net/ipv4/ip_forward", "0").map_err(|e| format!("turning forwarding off between the bridges: {e}"))?;
            Ok(())
        })?;
    }
    let ns = std::fs::File::open(&path).map(OwnedFd::from).map_err(|e| format!("{}: {e}", path.display()))?;
    way_out(native, &path, &ns);
    Ok(ns)
}

/// A program on the host's `PATH` (or the usual system directories).
fn program(name: &str) -> Option<PathBuf> {
    let path = std::env::var("PATH").unwrap_or_default();
    let found = path.split(':').chain(["/usr/sbin", "/usr/bin", "/sbin", "/bin"]).map(|d| Path::new(d).join(name)).find(|p| p.is_file());
    found
}

/// Runs `program args` with `input` on its stdin inside the network namespace `ns`.
fn run_in(ns: &OwnedFd, program: &Path, args: &[&str], input: &[u8]) -> Result<(), String> {
    use std::io::Write;
    use std::os::unix::process::CommandExt;
    let fd = ns.as_raw_fd();
    let mut cmd = std::process::Command::new(program);
    cmd.args(args).stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::null()).stderr(std::process::Stdio::piped());
    // SAFETY: setns is async-signal-safe, on a descriptor this process holds.
    unsafe {
        cmd.pre_exec(move || if libc::setns(fd, libc::CLONE_NEWNET) == 0 { Ok(()) } else { Err(std::io::Error::last_os_error()) });
    }
    let mut child = cmd.spawn().map_err(|e| format!("{}: {e}", program.display()))?;
    if let Some(mut stdin) = child.stdin.take() {
        let _ = stdin.write_all(input);
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() { Ok(()) } else { Err(format!("{} {}: {}", program.display(), args.join(" "), String::from_utf8_lossy(&out.stderr).trim())) }
}

/// The nftables table of the bridges' namespace: the bridges' traffic masqueraded out
/// of `tap0`, and no forwarding from one bridge to another (a bridge's own traffic is
/// let through: with `br_netfilter` loaded, bridged packets meet this hook too).
const RULES: &str = "table ip berth {\n  chain forward {\n    type filter hook forward priority 0; policy accept;\n    iifname \"br-*\" oifname \"br-*\" drop\n  }\n  chain postrouting {\n    type nat hook postrouting priority 100; policy accept;\n    oifname \"tap0\" masquerade\n  }\n}\n";

/// Gives the bridges' namespace its way out where it has none running: `slirp4netns`
/// (started on its own, its PID in `<native>/slirp.pid`) and the nftables table, then
/// forwarding on. Best effort: without either program the bridges stay closed.
fn way_out(native: &Path, path: &Path, ns: &OwnedFd) {
    let pid_file = native.join("slirp.pid");
    let running = std::fs::read_to_string(&pid_file).ok().and_then(|p| p.trim().parse::<i32>().ok()).is_some_and(|pid| std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.windows(11).any(|w| w == b"slirp4netns")));
    if running {
        return;
    }
    let (Some(slirp), Some(nft)) = (program("slirp4netns"), program("nft")) else { return };
    if run_in(ns, &nft, &["-f", "-"], RULES.as_bytes()).is_err() {
        return;
    }
    let log = std::fs::OpenOptions::new().create(true).append(true).open(native.join("slirp.log")).ok();
    let mut cmd = std::process::Command::new(slirp);
    cmd.args(["--configure", "--mtu=65520", "--disable-host-loopback", "--netns-type=path"]).arg(path).arg("tap0").stdin(std::process::Stdio::null()).stdout(std::process::Stdio::null());
    if let Some(log) = log {
        cmd.stderr(log);
    }
    use std::os::unix::process::CommandExt;
    // SAFETY: setsid is async-signal-safe: it leaves the caller's session, so it
    // outlives the berth that started it, as the bridges' namespace does.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let Ok(child) = cmd.spawn() else { return };
    let _ = std::fs::write(&pid_file, child.id().to_string());
    std::mem::forget(child);
    // Its tap0 comes up configured within a moment; forwarding on once it is there.
    let ns2 = ns.try_clone();
    let _ = ns2.map(|ns| {
        in_namespace(&ns, || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
            while index_of("tap0").is_none() && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            std::fs::write("/proc/sys/net/ipv4/ip_forward", "1").map_err(|e| e.to_string())
        })
    });
}

fn nl_error(what: &str, e: i32) -> String {
    format!("{what}: {}", std::io::Error::from_raw_os_error(e))
}

/// Connects the container whose first process is host PID `pid` to its bridges, as
/// `spec`'s [`ANNOTATION_BRIDGES`] says, before it is let go. Nothing to do without
/// one, or rootless.
pub fn connect(spec: &ContainerSpec, pid: i32) -> Result<(), RuntimeError> {
    let Some(text) = spec.annotation(ANNOTATION_BRIDGES) else { return Ok(()) };
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 || super::rootless::in_user_namespace() {
        return Ok(());
    }
    let bridges: Bridges = serde_json::from_str(text).map_err(|e| RuntimeError::Failed(format!("the container's networks: {e}")))?;
    let attachments = bridges.attachments;
    if attachments.is_empty() {
        return Ok(());
    }
    let fail = |e: String| RuntimeError::Failed(format!("failed to set up container networking: {e}"));
    // Where the kernel will not let Berth make its bridges (a restricted host), say what
    // still runs.
    let holder = holder(Path::new(&bridges.state)).map_err(|e| fail(format!("{e} (where bridge networks cannot be made, run it with --network host or --network none)")))?;
    let container = std::fs::File::open(format!("/proc/{pid}/ns/net")).map(OwnedFd::from).map_err(|e| fail(format!("the container's network namespace: {e}")))?;
    for (i, a) in attachments.iter().enumerate() {
        let a = a.clone();
        let inside = format!("eth{i}");
        let host_end = format!("veth{:x}{:04x}", pid & 0xfffff, i);
        let container_fd = container.try_clone().map_err(|e| fail(e.to_string()))?;
        let (bridge, peer) = (a.bridge.clone(), inside.clone());
        // On the bridges' side: the bridge (once), the pair, its end on the bridge.
        let new_bridge = in_namespace(&holder, move || {
            let mut nl = Netlink::open().map_err(|e| nl_error("netlink", e))?;
            let mut new_bridge = false;
            if index_of(&bridge).is_none() {
                let mut m = Message::new(&ifinfomsg(0, 0, 0));
                m.attr(IFLA_IFNAME, format!("{bridge}\0").as_bytes()).nest(IFLA_LINKINFO, |m| {
                    m.attr(IFLA_INFO_KIND, b"bridge\0");
                });
                match nl.request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &m) {
                    Ok(()) => new_bridge = true,
                    Err(libc::EEXIST) => {}
                    Err(e) => return Err(nl_error(&format!("creating bridge {bridge}"), e)),
                }
            }
            let br = index_of(&bridge).ok_or_else(|| format!("bridge {bridge} is not there"))?;
            nl.add_address(br, a.gateway, a.prefix).map_err(|e| nl_error("the bridge's address", e))?;
            nl.set_up(br).map_err(|e| nl_error("bringing the bridge up", e))?;
            let mut m = Message::new(&ifinfomsg(0, 0, 0));
            m.attr(IFLA_IFNAME, format!("{host_end}\0").as_bytes()).nest(IFLA_LINKINFO, |m| {
                m.attr(IFLA_INFO_KIND, b"veth\0").nest(IFLA_INFO_DATA, |m| {
                    m.nest(VETH_INFO_PEER, |m| {
                        m.0.extend_from_slice(&ifinfomsg(0, 0, 0));
                        m.attr(IFLA_IFNAME, format!("{peer}\0").as_bytes()).attr(IFLA_NET_NS_FD, &(container_fd.as_raw_fd() as u32).to_ne_bytes()).attr(IFLA_ADDRESS, &a.mac);
                    });
                });
            });
            nl.request(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, &m).map_err(|e| nl_error("creating the veth pair", e))?;
            let end = index_of(&host_end).ok_or_else(|| format!("{host_end} is not there"))?;
            let mut m = Message::new(&ifinfomsg(end, libc::IFF_UP as u32, libc::IFF_UP as u32));
            m.attr(IFLA_MASTER, &(br as u32).to_ne_bytes());
            nl.request(RTM_NEWLINK, 0, &m).map_err(|e| nl_error("putting the veth on the bridge", e))?;
            Ok(new_bridge)
        })
        .map_err(fail)?;
        // A new bridge's own traffic is let through the forward chain (where the table is).
        if let (true, Some(nft)) = (new_bridge, program("nft")) {
            let _ = run_in(&holder, &nft, &["insert", "rule", "ip", "berth", "forward", "iifname", &a.bridge, "oifname", &a.bridge, "accept"], b"");
        }
        // In the container: its address, the link up, the default route (first network).
        let first = i == 0;
        in_namespace(&container, move || {
            let mut nl = Netlink::open().map_err(|e| nl_error("netlink", e))?;
            let eth = index_of(&inside).ok_or_else(|| format!("{inside} is not in the container"))?;
            nl.add_address(eth, a.ip, a.prefix).map_err(|e| nl_error("the container's address", e))?;
            nl.set_up(eth).map_err(|e| nl_error("bringing eth up", e))?;
            if first {
                let mut m = Message::new(&[libc::AF_INET as u8, 0, 0, 0, 254, 3, 0, 1, 0, 0, 0, 0]);
                m.attr(RTA_GATEWAY, &a.gateway).attr(RTA_OIF, &(eth as u32).to_ne_bytes());
                nl.request(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &m).map_err(|e| nl_error("the default route", e))?;
            }
            Ok(())
        })
        .map_err(fail)?;
    }
    Ok(())
}
