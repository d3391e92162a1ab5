//! Attaching to a supervised container (containerd's shim I/O, Docker's attach stream):
//! the supervisor holds the container's streams (its stdin when it was started with
//! `-i`, the master end of its terminal with `-t`) and serves them on a Unix socket in
//! its run directory, `attach.sock`, to any number of clients at once; `berth attach`
//! and `berth run -it` are clients. What the container prints goes to every client (and
//! to the log); what a client sends goes to the container's input; a client's terminal
//! size becomes the container's.
//!
//! The socket carries frames, `[kind: u8][length: u32 LE][payload]`: `STDIN`, `STDOUT`,
//! `STDERR` (bytes), `RESIZE` (rows and columns, `u16` LE each), `STDIN_EOF`, and `EXIT`
//! (the status, `i32` LE), the last thing a supervisor sends before it goes.
//!
//! The client reads the user's input through the detach keys (Docker's default
//! `ctrl-p,ctrl-q`, or `--detach-keys`): the sequence is not sent, and the client leaves
//! the container running.

// System calls are what this backend is: each unsafe block says what makes it sound.
#![allow(unsafe_code)]

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;

use crate::runtime::{AttachOptions as Options, Attached, RuntimeError};
#[cfg(test)]
use crate::runtime::{parse_detach_keys, DEFAULT_DETACH_KEYS};

pub const STDIN: u8 = 0;
pub const STDOUT: u8 = 1;
pub const STDERR: u8 = 2;
pub const RESIZE: u8 = 3;
pub const STDIN_EOF: u8 = 4;
pub const EXIT: u8 = 5;

/// The socket's name in the run directory.
pub const SOCKET: &str = "attach.sock";

/// A frame's bytes.
pub fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(5 + payload.len());
    f.push(kind);
    f.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    f.extend_from_slice(payload);
    f
}

/// Takes the whole frames off the front of `buf`.
pub fn frames(buf: &mut Vec<u8>) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    loop {
        if buf.len() < 5 {
            return out;
        }
        let len = u32::from_le_bytes([buf[1], buf[2], buf[3], buf[4]]) as usize;
        if buf.len() < 5 + len {
            return out;
        }
        let kind = buf[0];
        let payload = buf[5..5 + len].to_vec();
        buf.drain(..5 + len);
        out.push((kind, payload));
    }
}

/// Finds the detach keys in what the user types, across reads.
#[derive(Debug)]
pub struct DetachKeys {
    keys: Vec<u8>,
    matched: usize,
}

impl DetachKeys {
    pub fn new(keys: Vec<u8>) -> DetachKeys {
        DetachKeys { keys, matched: 0 }
    }

    /// What of `input` goes to the container, and whether the keys were typed (what
    /// follows them is dropped, as Docker drops it).
    pub fn feed(&mut self, input: &[u8]) -> (Vec<u8>, bool) {
        let mut out = Vec::new();
        for &b in input {
            if self.keys.is_empty() {
                out.push(b);
                continue;
            }
            if b == self.keys[self.matched] {
                self.matched += 1;
                if self.matched == self.keys.len() {
                    self.matched = 0;
                    return (out, true);
                }
                continue;
            }
            // A partial match that did not go on is sent as typed.
            out.extend_from_slice(&self.keys[..self.matched]);
            self.matched = 0;
            if b == self.keys[0] {
                self.matched = 1;
            } else {
                out.push(b);
            }
        }
        (out, false)
    }
}

/// The socket's path by way of a descriptor on the run directory (a Unix socket's path
/// is limited to 107 bytes; a run directory's may be longer).
struct DirPath {
    _dir: OwnedFd,
    path: String,
}

fn socket_path(dir: &Path) -> std::io::Result<DirPath> {
    let d = std::fs::File::open(dir)?;
    let fd = OwnedFd::from(d);
    let path = format!("/proc/self/fd/{}/{SOCKET}", fd.as_raw_fd());
    Ok(DirPath { _dir: fd, path })
}

/// Binds the attach socket in `dir` (mode 600: root's only).
pub fn listen(dir: &Path) -> std::io::Result<UnixListener> {
    let p = socket_path(dir)?;
    let _ = std::fs::remove_file(dir.join(SOCKET));
    let l = UnixListener::bind(&p.path)?;
    std::fs::set_permissions(dir.join(SOCKET), std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    l.set_nonblocking(true)?;
    Ok(l)
}

/// The container's streams as the supervisor holds them.
pub struct Streams {
    /// Its output: stdout (or the terminal's master end) and stderr (none with `-t`).
    pub out: Option<OwnedFd>,
    pub err: Option<OwnedFd>,
    /// Where its input goes: its stdin pipe, or the terminal's master end again; none
    /// without `-i`.
    pub input: Option<OwnedFd>,
    /// The terminal's master end, for window sizes.
    pub terminal: Option<i32>,
    /// Whether the first client gets what was printed before it came (`run -it` attaches
    /// just after the start and must not miss the first prompt).
    pub replay_first: bool,
}

struct Client {
    stream: UnixStream,
    inbuf: Vec<u8>,
    /// A write to it failed or it hung up: dropped at the end of the round.
    gone: bool,
}

/// Serves the container's streams until its output ends: each chunk it prints goes to
/// `log` (stream 0 stdout, 1 stderr) and to every client. Returns the clients still
/// connected, for [`finish`].
pub fn serve(mut s: Streams, listener: &UnixListener, log: &mut dyn FnMut(usize, &[u8])) -> Vec<UnixStream> {
    let mut clients: Vec<Client> = Vec::new();
    let mut pending: Vec<u8> = Vec::new();
    let mut input_ends = false;
    let mut early: Vec<u8> = Vec::new();
    let mut replay = s.replay_first;
    if let Some(i) = &s.input {
        // SAFETY: a flag on our own descriptor.
        unsafe {
            let flags = libc::fcntl(i.as_raw_fd(), libc::F_GETFL);
            libc::fcntl(i.as_raw_fd(), libc::F_SETFL, flags | libc::O_NONBLOCK);
        }
    }
    let mut chunk = vec![0u8; 64 << 10];
    let broadcast = |clients: &mut Vec<Client>, kind: u8, bytes: &[u8]| {
        let f = frame(kind, bytes);
        for c in clients.iter_mut().filter(|c| !c.gone) {
            c.gone = c.stream.write_all(&f).is_err();
        }
    };
    while s.out.is_some() || s.err.is_some() {
        let mut polls: Vec<libc::pollfd> = Vec::new();
        let pfd = |fd: i32, events: i16| libc::pollfd { fd, events, revents: 0 };
        polls.push(pfd(s.out.as_ref().map_or(-1, |f| f.as_raw_fd()), libc::POLLIN));
        polls.push(pfd(s.err.as_ref().map_or(-1, |f| f.as_raw_fd()), libc::POLLIN));
        polls.push(pfd(listener.as_raw_fd(), libc::POLLIN));
        let input_fd = s.input.as_ref().map_or(-1, |f| f.as_raw_fd());
        polls.push(pfd(if pending.is_empty() { -1 } else { input_fd }, libc::POLLOUT));
        for c in &clients {
            polls.push(pfd(c.stream.as_raw_fd(), libc::POLLIN));
        }
        // Clients accepted below come after these, polled from the next round.
        let polled = clients.len();
        // SAFETY: an array of pollfd with its length.
        let n = unsafe { libc::poll(polls.as_mut_ptr(), polls.len() as libc::nfds_t, if pending.is_empty() { -1 } else { 50 }) };
        if n < 0 {
            if super::sys::errno() == libc::EINTR {
                continue;
            }
            break;
        }
        for (stream, slot) in [(0usize, 0usize), (1, 1)] {
            if polls[slot].revents == 0 {
                continue;
            }
            let fd = polls[slot].fd;
            // SAFETY: reads into our buffer.
            let got = unsafe { libc::read(fd, chunk.as_mut_ptr().cast(), chunk.len()) };
            if got > 0 {
                let bytes = &chunk[..got as usize];
                log(stream, bytes);
                if replay && early.len() < 64 << 10 {
                    early.extend_from_slice(bytes);
                }
                broadcast(&mut clients, if stream == 0 { STDOUT } else { STDERR }, bytes);
            } else if got == 0 || !matches!(super::sys::errno(), libc::EINTR | libc::EAGAIN) {
                // EIO from a terminal's master: every process with it open has exited.
                if slot == 0 {
                    s.out = None;
                } else {
                    s.err = None;
                }
            }
        }
        if polls[2].revents != 0 {
            while let Ok((stream, _)) = listener.accept() {
                let _ = stream.set_nonblocking(false);
                let _ = stream.set_write_timeout(Some(std::time::Duration::from_secs(2)));
                let mut c = Client { stream, inbuf: Vec::new(), gone: false };
                if replay {
                    replay = false;
                    if !early.is_empty() && c.stream.write_all(&frame(STDOUT, &early)).is_err() {
                        continue;
                    }
                    early = Vec::new();
                }
                clients.push(c);
            }
        }
        // Input the container can take now.
        if !pending.is_empty() {
            if let Some(i) = &s.input {
                // SAFETY: writes from our buffer to our own descriptor.
                let put = unsafe { libc::write(i.as_raw_fd(), pending.as_ptr().cast(), pending.len()) };
                if put > 0 {
                    pending.drain(..put as usize);
                } else if put < 0 && !matches!(super::sys::errno(), libc::EAGAIN | libc::EINTR) {
                    pending.clear();
                }
            } else {
                pending.clear();
            }
        }
        for (i, c) in clients.iter_mut().enumerate().take(polled) {
            if polls[4 + i].revents == 0 || c.gone {
                continue;
            }
            let got = c.stream.read(&mut chunk);
            match got {
                Ok(0) | Err(_) => c.gone = true,
                Ok(n) => {
                    c.inbuf.extend_from_slice(&chunk[..n]);
                    for (kind, payload) in frames(&mut c.inbuf) {
                        match kind {
                            STDIN if s.input.is_some() => pending.extend_from_slice(&payload),
                            // Closed once what came before it is written.
                            STDIN_EOF if s.terminal.is_none() => input_ends = true,
                            RESIZE if payload.len() == 4 => {
                                if let Some(t) = s.terminal {
                                    let size = libc::winsize { ws_row: u16::from_le_bytes([payload[0], payload[1]]), ws_col: u16::from_le_bytes([payload[2], payload[3]]), ws_xpixel: 0, ws_ypixel: 0 };
                                    // SAFETY: a window size to our own terminal.
                                    unsafe { libc::ioctl(t, libc::TIOCSWINSZ, &size as *const libc::winsize) };
                                }
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
        clients.retain(|c| !c.gone);
        if input_ends && pending.is_empty() {
            s.input = None;
            input_ends = false;
        }
    }
    clients.into_iter().map(|c| c.stream).collect()
}

/// Tells the clients still there how the container ended.
pub fn finish(clients: Vec<UnixStream>, status: i32) {
    let f = frame(EXIT, &status.to_le_bytes());
    for mut c in clients {
        let _ = c.write_all(&f);
    }
}

/// Attaches this process's streams to the container supervised in `dir` until it ends
/// or the user detaches.
pub fn attach(dir: &Path, o: &Options) -> Result<Attached, RuntimeError> {
    let p = socket_path(dir).map_err(|e| RuntimeError::Failed(format!("attaching: {e}")))?;
    let mut stream = match UnixStream::connect(&p.path) {
        Ok(s) => s,
        // Gone already: the caller reads how it ended.
        Err(_) => return Ok(Attached::Lost),
    };
    let sock = stream.as_raw_fd();
    // SAFETY: terminal calls on our stdin and local structs.
    let saved = unsafe {
        let mut saved: libc::termios = std::mem::zeroed();
        let raw = o.tty && libc::isatty(0) == 1 && libc::tcgetattr(0, &mut saved) == 0;
        if raw {
            let mut t = saved;
            libc::cfmakeraw(&mut t);
            libc::tcsetattr(0, libc::TCSANOW, &t);
        }
        raw.then_some(saved)
    };
    let restore = || {
        if let Some(t) = saved {
            // SAFETY: the settings read above, back on our stdin.
            unsafe { libc::tcsetattr(0, libc::TCSANOW, &t) };
        }
    };
    let mut keys = DetachKeys::new(o.detach_keys.clone());
    let mut stdin_open = o.stdin;
    let mut last = (0u16, 0u16);
    let mut inbuf = Vec::new();
    let mut buf = vec![0u8; 64 << 10];
    let mut out = std::io::stdout();
    let mut err = std::io::stderr();
    let ended = loop {
        if o.tty {
            // SAFETY: a winsize for the kernel to fill.
            let mut size: libc::winsize = unsafe { std::mem::zeroed() };
            // SAFETY: as above, on our own streams.
            let got = unsafe { libc::ioctl(0, libc::TIOCGWINSZ, &mut size) == 0 || libc::ioctl(1, libc::TIOCGWINSZ, &mut size) == 0 };
            if got && (size.ws_row, size.ws_col) != last {
                last = (size.ws_row, size.ws_col);
                let mut p = size.ws_row.to_le_bytes().to_vec();
                p.extend_from_slice(&size.ws_col.to_le_bytes());
                let _ = stream.write_all(&frame(RESIZE, &p));
            }
        }
        let mut polls = [libc::pollfd { fd: sock, events: libc::POLLIN, revents: 0 }, libc::pollfd { fd: if stdin_open { 0 } else { -1 }, events: libc::POLLIN, revents: 0 }];
        // SAFETY: an array of pollfd with its length.
        if unsafe { libc::poll(polls.as_mut_ptr(), 2, 250) } < 0 {
            if super::sys::errno() == libc::EINTR {
                continue;
            }
            break Attached::Lost;
        }
        if polls[0].revents != 0 {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break Attached::Lost,
                Ok(n) => {
                    inbuf.extend_from_slice(&buf[..n]);
                    let mut exit = None;
                    for (kind, payload) in frames(&mut inbuf) {
                        match kind {
                            STDOUT => {
                                let _ = out.write_all(&payload);
                                let _ = out.flush();
                            }
                            STDERR => {
                                let _ = err.write_all(&payload);
                            }
                            EXIT if payload.len() == 4 => exit = Some(i32::from_le_bytes([payload[0], payload[1], payload[2], payload[3]])),
                            _ => {}
                        }
                    }
                    if let Some(status) = exit {
                        break Attached::Exited(status);
                    }
                }
            }
        }
        if polls[1].revents != 0 {
            // SAFETY: reads our stdin into our buffer.
            let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
            if n <= 0 {
                stdin_open = false;
                let _ = stream.write_all(&frame(STDIN_EOF, &[]));
                continue;
            }
            let (send, detached) = keys.feed(&buf[..n as usize]);
            if !send.is_empty() && stream.write_all(&frame(STDIN, &send)).is_err() {
                break Attached::Lost;
            }
            if detached {
                break Attached::Detached;
            }
        }
    };
    restore();
    drop((stream, p));
    Ok(ended)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detach_keys_parse_as_docker_reads_them_and_are_found_across_reads() {
        assert_eq!(parse_detach_keys("ctrl-p,ctrl-q").unwrap(), DEFAULT_DETACH_KEYS);
        assert_eq!(parse_detach_keys("a,ctrl-@,ctrl-[").unwrap(), [b'a', 0, 27]);
        assert_eq!(parse_detach_keys("ctrl-1").unwrap_err(), "Invalid detach keys (ctrl-1) provided");
        assert!(parse_detach_keys("ab").is_err() && parse_detach_keys("").is_err());
        let mut k = DetachKeys::new(DEFAULT_DETACH_KEYS.to_vec());
        assert_eq!(k.feed(b"ls\x10"), (b"ls".to_vec(), false), "a partial match waits");
        assert_eq!(k.feed(b"x"), (b"\x10x".to_vec(), false), "and goes on as typed");
        assert_eq!(k.feed(b"\x10\x10\x11rest"), (b"\x10".to_vec(), true));
    }

    #[test]
    fn frames_come_apart_whole_whatever_the_reads() {
        let mut all = frame(STDOUT, b"hello");
        all.extend(frame(EXIT, &7i32.to_le_bytes()));
        let mut buf = all[..7].to_vec();
        assert!(frames(&mut buf).is_empty());
        buf.extend_from_slice(&all[7..]);
        assert_eq!(frames(&mut buf), [(STDOUT, b"hello".to_vec()), (EXIT, 7i32.to_le_bytes().to_vec())]);
        assert!(buf.is_empty());
    }
}
