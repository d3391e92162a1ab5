//! Published ports (`-p`), as `docker-proxy` gives them: the runtime binds each host
//! address and port before the container starts (so a port in use is dockerd's
//! "port is already allocated" and the container does not start), and relays every
//! connection into the container: a thread enters the container's network namespace
//! (`setns` on `/proc/<pid>/ns/net`, a per-thread change) and connects to the port on
//! the container's loopback, then bytes are copied both ways until either side ends.
//! What was bound is written to `ports.json` in the container's run directory, for
//! `docker port` and `inspect`. A UDP binding is relayed as docker-proxy relays it: one
//! thread in the container's namespace receives the host socket's datagrams and sends
//! each client's through a socket of its own to the container's port, whose replies go
//! back to that client; a client silent for 90 seconds is forgotten. SCTP is not
//! relayed. The relays live as long as the process that holds them: the supervisor of
//! a detached container, or `berth` itself for a foreground run.

// System calls are what this backend is: each unsafe block says what makes it sound.
#![allow(unsafe_code)]

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::sync::{Arc, Mutex};
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::runtime::spec::{ContainerSpec, PortBinding, Published, ANNOTATION_PORTS};
use crate::runtime::RuntimeError;

/// A host port bound for a container port.
pub struct Bound {
    pub socket: Socket,
    pub container_port: u16,
}

/// The host side of a binding.
pub enum Socket {
    Tcp(TcpListener),
    Udp(UdpSocket),
}

impl Socket {
    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        match self {
            Socket::Tcp(l) => l.local_addr(),
            Socket::Udp(u) => u.local_addr(),
        }
    }

    fn proto(&self) -> &'static str {
        match self {
            Socket::Tcp(_) => "tcp",
            Socket::Udp(_) => "udp",
        }
    }
}

/// How long a UDP client's flow lives without a datagram either way.
const UDP_IDLE: std::time::Duration = std::time::Duration::from_secs(90);

/// One line of `ports.json`: what is bound, as `docker port` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Live {
    pub host_ip: String,
    pub host_port: u16,
    pub container_port: u32,
    pub proto: String,
}

/// The file in a run directory that says what is bound.
pub const FILE: &str = "ports.json";

/// The host ports a binding may take: the one given, a range, or one the kernel picks.
fn candidates(b: &PortBinding) -> Vec<u16> {
    if b.host_port.is_empty() {
        return vec![0];
    }
    let (lo, hi) = b.host_port.split_once('-').unwrap_or((&b.host_port, &b.host_port));
    match (lo.parse::<u16>(), hi.parse::<u16>()) {
        (Ok(lo), Ok(hi)) if lo <= hi => (lo..=hi).collect(),
        _ => Vec::new(),
    }
}

/// Binds the host side of `spec`'s published TCP and UDP ports, or dockerd's error.
pub fn bind(spec: &ContainerSpec) -> Result<Vec<Bound>, RuntimeError> {
    let Some(text) = spec.annotation(ANNOTATION_PORTS) else { return Ok(Vec::new()) };
    let published: Published = serde_json::from_str(text).map_err(|e| RuntimeError::Failed(format!("the published ports: {e}")))?;
    let mut bound = Vec::new();
    for b in published.bindings.iter().filter(|b| b.proto == "tcp" || b.proto == "udp") {
        let ip = if b.host_ip.is_empty() { "0.0.0.0" } else { b.host_ip.as_str() };
        let container_port = u16::try_from(b.container_port).map_err(|_| RuntimeError::Failed(format!("invalid port {}", b.container_port)))?;
        let mut last = None;
        let mut listener = None;
        for port in candidates(b) {
            let socket = if b.proto == "udp" { UdpSocket::bind((ip, port)).map(Socket::Udp) } else { TcpListener::bind((ip, port)).map(Socket::Tcp) };
            match socket {
                Ok(l) => {
                    listener = Some(l);
                    break;
                }
                Err(e) => last = Some((port, e)),
            }
        }
        match (listener, last) {
            (Some(socket), _) => bound.push(Bound { socket, container_port }),
            (None, Some((port, e))) if e.kind() == std::io::ErrorKind::AddrInUse => {
                return Err(RuntimeError::Failed(format!("failed to set up container networking: driver failed programming external connectivity on endpoint {}: Bind for {ip}:{port} failed: port is already allocated", published.endpoint)));
            }
            (None, Some((port, e))) => return Err(RuntimeError::Failed(format!("failed to set up container networking: driver failed programming external connectivity on endpoint {}: Error starting userland proxy: listen {}4 {ip}:{port}: bind: {e}", published.endpoint, b.proto))),
            (None, None) => return Err(RuntimeError::Failed(format!("invalid host port range {}", b.host_port))),
        }
    }
    Ok(bound)
}

/// Serves `bound` into the network namespace of host PID `pid`, and writes what is
/// bound to `dir`'s `ports.json`. Returns at once; the relays are threads.
pub fn serve(bound: Vec<Bound>, pid: i32, dir: &Path) {
    if bound.is_empty() {
        return;
    }
    let live: Vec<Live> = bound
        .iter()
        .filter_map(|b| {
            let addr = b.socket.local_addr().ok()?;
            Some(Live { host_ip: addr.ip().to_string(), host_port: addr.port(), container_port: u32::from(b.container_port), proto: b.socket.proto().into() })
        })
        .collect();
    let _ = std::fs::write(dir.join(FILE), serde_json::to_vec(&live).unwrap_or_default());
    let Ok(ns) = std::fs::File::open(format!("/proc/{pid}/ns/net")).map(OwnedFd::from) else { return };
    for b in bound {
        let Ok(ns) = ns.try_clone() else { continue };
        let port = b.container_port;
        match b.socket {
            Socket::Tcp(listener) => {
                std::thread::spawn(move || {
                    for conn in listener.incoming() {
                        let (Ok(client), Ok(ns)) = (conn, ns.try_clone()) else { continue };
                        std::thread::spawn(move || relay(client, &ns, port));
                    }
                });
            }
            Socket::Udp(socket) => {
                std::thread::spawn(move || relay_udp(socket, &ns, port));
            }
        }
    }
}

/// The UDP relay: from this thread, inside the container's network namespace, each
/// client's datagrams go out of a socket of its own to the container's port; a thread
/// per client sends the replies back from the host socket.
fn relay_udp(host: UdpSocket, ns: &OwnedFd, port: u16) {
    // SAFETY: setns on a descriptor we hold; it changes only this thread's namespace.
    // The host socket stays in the namespace it was made in.
    if unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return;
    }
    let flows: Arc<Mutex<HashMap<SocketAddr, UdpSocket>>> = Arc::default();
    let mut buf = vec![0u8; 65_535];
    loop {
        let Ok((n, client)) = host.recv_from(&mut buf) else { return };
        let existing = flows.lock().ok().and_then(|f| f.get(&client).and_then(|s| s.try_clone().ok()));
        let upstream = match existing {
            Some(s) => s,
            None => {
                let Ok(s) = UdpSocket::bind(("127.0.0.1", 0)) else { continue };
                if s.connect(("127.0.0.1", port)).is_err() || s.set_read_timeout(Some(UDP_IDLE)).is_err() {
                    continue;
                }
                let (Ok(replies), Ok(back)) = (s.try_clone(), host.try_clone()) else { continue };
                if let Ok(mut f) = flows.lock() {
                    if let Ok(kept) = s.try_clone() {
                        f.insert(client, kept);
                    }
                }
                let flows = flows.clone();
                std::thread::spawn(move || {
                    let mut buf = vec![0u8; 65_535];
                    // Ends when the client has been silent and no reply came for a while.
                    while let Ok(n) = replies.recv(&mut buf) {
                        let _ = back.send_to(&buf[..n], client);
                    }
                    if let Ok(mut f) = flows.lock() {
                        f.remove(&client);
                    }
                });
                s
            }
        };
        let _ = upstream.send(&buf[..n]);
    }
}

/// Reads what a run directory says is bound.
pub fn live(dir: &Path) -> Vec<Live> {
    std::fs::read(dir.join(FILE)).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default()
}

/// One connection: from this thread, inside the container's network namespace, to the
/// port on its loopback; then bytes both ways. A refused connection closes the client's,
/// as docker-proxy does.
fn relay(client: TcpStream, ns: &OwnedFd, port: u16) {
    // SAFETY: setns on a descriptor we hold; it changes only this thread's namespace.
    if unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) } != 0 {
        return;
    }
    let Ok(upstream) = TcpStream::connect(("127.0.0.1", port)) else { return };
    let (Ok(mut from_client), Ok(mut to_upstream)) = (client.try_clone(), upstream.try_clone()) else { return };
    let up = std::thread::spawn(move || {
        let _ = std::io::copy(&mut from_client, &mut to_upstream);
        let _ = to_upstream.shutdown(std::net::Shutdown::Write);
    });
    let (mut from_upstream, mut to_client) = (upstream, client);
    let _ = std::io::copy(&mut from_upstream, &mut to_client);
    let _ = to_client.shutdown(std::net::Shutdown::Write);
    let _ = up.join();
}
