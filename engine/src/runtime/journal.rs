//! The journal of a detached process: what each filesystem call it made returned, so that
//! the emulated runtime can suspend it and later resume it where it waited.
//!
//! The emulated userland is an interpreter on the engine's stack: a process cannot be
//! frozen mid-way and thawed later. It is deterministic, though: given the same argv,
//! environment, clock and filesystem answers, it makes the same calls in the same order.
//! So a suspended process is resumed by running it again from its start over a
//! [`JournalFs`] that answers every call from the journal, without touching the
//! container's files and with its output already in the logs, until the process reaches
//! the sleep it was suspended in. From there its calls go to the container's filesystem
//! again, and are journalled for the next suspension. Nothing the process did before is
//! done twice; what `exec`, `cp` or a bind mount changed meanwhile is what it sees next.
//!
//! A call that does not match the journal (a process that is not deterministic after all)
//! marks the journal as diverged; the process then goes on over the live filesystem.

use std::cell::RefCell;
use std::rc::Rc;

use crate::vfs::{Attrs, Content, DirEntry, Errno, FileSystem, FileType, FsError, FsResult, Metadata};

/// One filesystem call: its kind, its path(s) and what it returned.
#[derive(Debug, Clone, PartialEq)]
struct Entry {
    op: Op,
    path: String,
    answer: Answer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum Op {
    Stat,
    Lstat,
    ReadDir,
    ReadLink,
    Content,
    ReadRange,
    PutFile,
    WriteAt,
    SetLen,
    CreateDir,
    RemoveFile,
    RemoveDir,
    Rename,
    Symlink,
    HardLink,
    Mknod,
    SetMode,
    SetOwner,
    SetMtime,
}

const OPS: [Op; 19] = [Op::Stat, Op::Lstat, Op::ReadDir, Op::ReadLink, Op::Content, Op::ReadRange, Op::PutFile, Op::WriteAt, Op::SetLen, Op::CreateDir, Op::RemoveFile, Op::RemoveDir, Op::Rename, Op::Symlink, Op::HardLink, Op::Mknod, Op::SetMode, Op::SetOwner, Op::SetMtime];

#[derive(Debug, Clone, PartialEq)]
enum Answer {
    Meta(FsResult<Metadata>),
    Entries(FsResult<Vec<DirEntry>>),
    Text(FsResult<String>),
    Content(FsResult<Content>),
    Bytes(FsResult<Vec<u8>>),
    Done(FsResult<()>),
}

/// The calls of one process, in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Journal {
    entries: Vec<Entry>,
}

impl Journal {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// A compact binary form, for the container's state.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Vec::new();
        w.extend_from_slice(MAGIC);
        put_u64(&mut w, self.entries.len() as u64);
        for e in &self.entries {
            w.push(e.op as u8);
            put_str(&mut w, &e.path);
            match &e.answer {
                Answer::Meta(r) => put_result(&mut w, r, put_meta),
                Answer::Entries(r) => put_result(&mut w, r, |w, list| {
                    put_u64(w, list.len() as u64);
                    for d in list {
                        put_str(w, &d.name);
                        w.push(kind_code(d.kind));
                    }
                }),
                Answer::Text(r) => put_result(&mut w, r, |w, s| put_str(w, s)),
                Answer::Content(r) => put_result(&mut w, r, |w, c| match c {
                    Content::Data(d) => {
                        w.push(0);
                        put_bytes(w, d);
                    }
                    Content::Lazy { size, label } => {
                        w.push(1);
                        put_u64(w, *size);
                        put_str(w, label);
                    }
                }),
                Answer::Bytes(r) => put_result(&mut w, r, |w, b| put_bytes(w, b)),
                Answer::Done(r) => put_result(&mut w, r, |_, ()| {}),
            }
        }
        w
    }

    /// Reads [`Journal::encode`]'s form; `None` if it is not one.
    pub fn decode(data: &[u8]) -> Option<Journal> {
        let mut r = Reader { data: data.strip_prefix(MAGIC)?, pos: 0 };
        let n = r.u64()?;
        let mut entries = Vec::with_capacity(n.min(1 << 20) as usize);
        for _ in 0..n {
            let op = *OPS.get(r.u8()? as usize)?;
            let path = r.str()?;
            let answer = match op {
                Op::Stat | Op::Lstat => Answer::Meta(r.result(|r| r.meta())?),
                Op::ReadDir => Answer::Entries(r.result(|r| {
                    let n = r.u64()?;
                    let mut list = Vec::new();
                    for _ in 0..n {
                        list.push(DirEntry { name: r.str()?, kind: kind_of(r.u8()?)? });
                    }
                    Some(list)
                })?),
                Op::ReadLink => Answer::Text(r.result(|r| r.str())?),
                Op::Content => Answer::Content(r.result(|r| match r.u8()? {
                    0 => Some(Content::data(r.bytes()?)),
                    1 => {
                        let size = r.u64()?;
                        Some(Content::lazy(size, &r.str()?))
                    }
                    _ => None,
                })?),
                Op::ReadRange => Answer::Bytes(r.result(|r| r.bytes())?),
                _ => Answer::Done(r.result(|_| Some(()))?),
            };
            entries.push(Entry { op, path, answer });
        }
        (r.pos == r.data.len()).then_some(Journal { entries })
    }
}

const MAGIC: &[u8] = b"berth-journal-1\n";

fn put_u64(w: &mut Vec<u8>, mut n: u64) {
    // LEB128: most numbers here are small.
    loop {
        let byte = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            w.push(byte);
            return;
        }
        w.push(byte | 0x80);
    }
}

fn put_i64(w: &mut Vec<u8>, n: i64) {
    put_u64(w, ((n << 1) ^ (n >> 63)) as u64);
}

fn put_bytes(w: &mut Vec<u8>, b: &[u8]) {
    put_u64(w, b.len() as u64);
    w.extend_from_slice(b);
}

fn put_str(w: &mut Vec<u8>, s: &str) {
    put_bytes(w, s.as_bytes());
}

fn put_result<T>(w: &mut Vec<u8>, r: &FsResult<T>, ok: impl FnOnce(&mut Vec<u8>, &T)) {
    match r {
        Ok(v) => {
            w.push(0);
            ok(w, v);
        }
        Err(e) => {
            w.push(1);
            put_u64(w, e.errno.code() as u64);
            put_str(w, &e.path);
        }
    }
}

fn put_meta(w: &mut Vec<u8>, m: &Metadata) {
    w.push(kind_code(m.kind));
    for n in [m.mode as u64, m.uid as u64, m.gid as u64, m.size, m.nlink as u64, m.ino, m.rdev] {
        put_u64(w, n);
    }
    put_i64(w, m.mtime);
}

const KINDS: [FileType; 7] = [FileType::File, FileType::Dir, FileType::Symlink, FileType::CharDevice, FileType::BlockDevice, FileType::Fifo, FileType::Socket];

fn kind_code(kind: FileType) -> u8 {
    KINDS.iter().position(|k| *k == kind).unwrap_or(0) as u8
}

fn kind_of(code: u8) -> Option<FileType> {
    KINDS.get(code as usize).copied()
}

/// Journals store an errno by its place here: new ones go at the end.
const ERRNOS: [Errno; 15] = [Errno::ENOENT, Errno::EEXIST, Errno::ENOTDIR, Errno::EISDIR, Errno::EACCES, Errno::EPERM, Errno::ELOOP, Errno::ENOSPC, Errno::ENOTEMPTY, Errno::EINVAL, Errno::EXDEV, Errno::EROFS, Errno::ENAMETOOLONG, Errno::EBUSY, Errno::EFBIG];

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn u8(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn u64(&mut self) -> Option<u64> {
        let mut n = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            n |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Some(n);
            }
        }
        None
    }

    fn i64(&mut self) -> Option<i64> {
        let n = self.u64()?;
        Some(((n >> 1) as i64) ^ -((n & 1) as i64))
    }

    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.u64()?).ok()
    }

    fn bytes(&mut self) -> Option<Vec<u8>> {
        let n = usize::try_from(self.u64()?).ok()?;
        let end = self.pos.checked_add(n).filter(|e| *e <= self.data.len())?;
        let b = self.data[self.pos..end].to_vec();
        self.pos = end;
        Some(b)
    }

    fn str(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?).ok()
    }

    fn meta(&mut self) -> Option<Metadata> {
        let kind = kind_of(self.u8()?)?;
        let (mode, uid, gid) = (self.u32()?, self.u32()?, self.u32()?);
        let (size, nlink, ino, rdev) = (self.u64()?, self.u32()?, self.u64()?, self.u64()?);
        Some(Metadata { kind, mode, uid, gid, size, mtime: self.i64()?, nlink, ino, rdev })
    }

    fn result<T>(&mut self, ok: impl FnOnce(&mut Self) -> Option<T>) -> Option<FsResult<T>> {
        match self.u8()? {
            0 => Some(Ok(ok(self)?)),
            1 => {
                let code = self.u64()?;
                let errno = *ERRNOS.iter().find(|e| e.code() as u64 == code)?;
                Some(Err(FsError { errno, path: self.str()? }))
            }
            _ => None,
        }
    }
}

/// Where a journalled process is: replaying its journal, going on over the live
/// filesystem (and journalling), or suspended.
#[derive(Debug, Default)]
pub struct JournalState {
    journal: Journal,
    /// The next entry to replay.
    replayed: usize,
    /// Calls go to the filesystem (the replay is over, or there was none).
    live: bool,
    /// Suspended: calls fail without effect (the process is stopped at its next check).
    frozen: bool,
    diverged: bool,
}

impl JournalState {
    /// A process that starts now: every call is live and journalled.
    pub fn recording() -> JournalState {
        JournalState { live: true, ..JournalState::default() }
    }

    /// A suspended process run again: its calls are answered from `journal` until
    /// [`JournalState::go_live`].
    pub fn replaying(journal: Journal) -> JournalState {
        JournalState { journal, ..JournalState::default() }
    }

    /// The process reached the point it was suspended at: from here its calls are live.
    /// A journal not used up by then means the run went another way.
    pub fn go_live(&mut self) {
        if !self.live && self.replayed != self.journal.entries.len() {
            self.diverged = true;
            self.journal.entries.truncate(self.replayed);
        }
        self.live = true;
    }

    /// Suspends the process: later calls fail and change nothing.
    pub fn freeze(&mut self) {
        self.frozen = true;
    }

    pub fn diverged(&self) -> bool {
        self.diverged
    }

    pub fn into_journal(self) -> Journal {
        self.journal
    }

    /// The recorded answer to `op` on `path` while replaying.
    fn replay(&mut self, op: Op, path: &str) -> Step {
        if self.frozen {
            return Step::Frozen;
        }
        if self.live {
            return Step::Live;
        }
        match self.journal.entries.get(self.replayed) {
            Some(e) if e.op == op && e.path == path => {
                self.replayed += 1;
                Step::Replay(e.answer.clone())
            }
            _ => {
                // Not what the process did before: it goes on over the live files.
                self.diverged = true;
                self.journal.entries.truncate(self.replayed);
                self.live = true;
                Step::Live
            }
        }
    }

    fn record(&mut self, op: Op, path: &str, answer: Answer) {
        self.journal.entries.push(Entry { op, path: path.to_string(), answer });
    }
}

enum Step {
    Replay(Answer),
    Live,
    Frozen,
}

/// A filesystem seen through a process's journal.
pub struct JournalFs<'a> {
    inner: &'a mut dyn FileSystem,
    state: Rc<RefCell<JournalState>>,
}

impl<'a> JournalFs<'a> {
    pub fn new(inner: &'a mut dyn FileSystem, state: Rc<RefCell<JournalState>>) -> JournalFs<'a> {
        JournalFs { inner, state }
    }
}

fn frozen(path: &str) -> FsError {
    FsError::new(Errno::EBUSY, path)
}

/// One method of [`JournalFs`]: the journal's answer while replaying, else the inner
/// filesystem's, journalled.
macro_rules! journalled {
    ($self:ident, $op:expr, $path:expr, $variant:ident, $live:expr) => {{
        let path: &str = &$path;
        let step = $self.state.borrow_mut().replay($op, path);
        match step {
            Step::Replay(Answer::$variant(r)) => r,
            Step::Replay(_) => unreachable_answer(path),
            Step::Frozen => Err(frozen(path)),
            Step::Live => {
                let r = $live;
                $self.state.borrow_mut().record($op, path, Answer::$variant(r.clone()));
                r
            }
        }
    }};
}

/// An entry whose answer is of another kind than its call: the journal was not written by
/// [`JournalFs`] (it decodes every call with the answer kind of its op).
fn unreachable_answer<T>(path: &str) -> FsResult<T> {
    Err(FsError::new(Errno::EINVAL, path))
}

impl FileSystem for JournalFs<'_> {
    fn stat(&self, p: &str) -> FsResult<Metadata> {
        journalled!(self, Op::Stat, p, Meta, self.inner.stat(p))
    }
    fn lstat(&self, p: &str) -> FsResult<Metadata> {
        journalled!(self, Op::Lstat, p, Meta, self.inner.lstat(p))
    }
    fn read_dir(&self, p: &str) -> FsResult<Vec<DirEntry>> {
        journalled!(self, Op::ReadDir, p, Entries, self.inner.read_dir(p))
    }
    fn read_link(&self, p: &str) -> FsResult<String> {
        journalled!(self, Op::ReadLink, p, Text, self.inner.read_link(p))
    }
    fn content(&self, p: &str) -> FsResult<Content> {
        journalled!(self, Op::Content, p, Content, self.inner.content(p))
    }
    fn read_range(&self, p: &str, offset: u64, len: usize) -> FsResult<Vec<u8>> {
        journalled!(self, Op::ReadRange, format!("{p}\0{offset}\0{len}"), Bytes, self.inner.read_range(p, offset, len))
    }
    fn put_file(&mut self, p: &str, c: Content, a: Attrs) -> FsResult<()> {
        journalled!(self, Op::PutFile, p, Done, self.inner.put_file(p, c, a))
    }
    fn write_at(&mut self, p: &str, o: u64, d: &[u8]) -> FsResult<()> {
        journalled!(self, Op::WriteAt, p, Done, self.inner.write_at(p, o, d))
    }
    fn set_len(&mut self, p: &str, l: u64) -> FsResult<()> {
        journalled!(self, Op::SetLen, p, Done, self.inner.set_len(p, l))
    }
    fn create_dir(&mut self, p: &str, m: u32) -> FsResult<()> {
        journalled!(self, Op::CreateDir, p, Done, self.inner.create_dir(p, m))
    }
    fn remove_file(&mut self, p: &str) -> FsResult<()> {
        journalled!(self, Op::RemoveFile, p, Done, self.inner.remove_file(p))
    }
    fn remove_dir(&mut self, p: &str) -> FsResult<()> {
        journalled!(self, Op::RemoveDir, p, Done, self.inner.remove_dir(p))
    }
    fn rename(&mut self, f: &str, t: &str) -> FsResult<()> {
        journalled!(self, Op::Rename, format!("{f}\0{t}"), Done, self.inner.rename(f, t))
    }
    fn symlink(&mut self, t: &str, l: &str) -> FsResult<()> {
        journalled!(self, Op::Symlink, format!("{t}\0{l}"), Done, self.inner.symlink(t, l))
    }
    fn hard_link(&mut self, e: &str, n: &str) -> FsResult<()> {
        journalled!(self, Op::HardLink, format!("{e}\0{n}"), Done, self.inner.hard_link(e, n))
    }
    fn mknod(&mut self, p: &str, k: FileType, a: Attrs, r: u64) -> FsResult<()> {
        journalled!(self, Op::Mknod, p, Done, self.inner.mknod(p, k, a, r))
    }
    fn set_mode(&mut self, p: &str, m: u32) -> FsResult<()> {
        journalled!(self, Op::SetMode, p, Done, self.inner.set_mode(p, m))
    }
    fn set_owner(&mut self, p: &str, u: u32, g: u32) -> FsResult<()> {
        journalled!(self, Op::SetOwner, p, Done, self.inner.set_owner(p, u, g))
    }
    fn set_mtime(&mut self, p: &str, t: i64) -> FsResult<()> {
        journalled!(self, Op::SetMtime, p, Done, self.inner.set_mtime(p, t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vfs::MemoryFs;

    fn work(fs: &mut dyn FileSystem, round: u32) {
        let n: u32 = fs.read("/count").ok().and_then(|b| String::from_utf8_lossy(&b).trim().parse().ok()).unwrap_or(0);
        fs.write("/count", format!("{}\n", n + 1).as_bytes()).unwrap();
        fs.create_dir_all("/logs/a", 0o755).unwrap();
        fs.write_at("/logs/a/out", u64::from(round) * 2, b"x\n").unwrap();
        let _ = fs.read_range("/logs/a/out", 0, 4);
        let _ = fs.rename("/nothing", "/else");
        let _ = fs.read_dir("/logs");
        fs.put_file("/big", Content::lazy(1 << 30, "a modelled file"), Attrs::mode(0o600)).unwrap();
        let _ = fs.content("/big");
    }

    #[test]
    fn a_replayed_process_sees_what_it_saw_and_changes_nothing_twice() {
        let mut fs = MemoryFs::new();
        let state = Rc::new(RefCell::new(JournalState::recording()));
        work(&mut JournalFs::new(&mut fs, state.clone()), 0);
        let journal = Rc::try_unwrap(state).unwrap().into_inner().into_journal();
        assert!(journal.len() > 10);
        let decoded = Journal::decode(&journal.encode()).unwrap();
        assert_eq!(decoded, journal);
        assert_eq!(Journal::decode(&journal.encode()[..20]), None);

        // Someone else changes a file meanwhile; the replay does not see it, the live part does.
        fs.write("/count", b"41\n").unwrap();
        let state = Rc::new(RefCell::new(JournalState::replaying(decoded)));
        {
            let mut jfs = JournalFs::new(&mut fs, state.clone());
            work(&mut jfs, 0);
            assert_eq!(fs_text(fs_of(&jfs), "/count"), "41\n");
            state.borrow_mut().go_live();
            work(&mut jfs, 1);
        }
        assert!(!state.borrow().diverged());
        assert_eq!(fs_text(&fs, "/count"), "42\n");
        assert_eq!(fs_text(&fs, "/logs/a/out"), "x\nx\n");

        // A frozen process changes nothing.
        state.borrow_mut().freeze();
        let mut jfs = JournalFs::new(&mut fs, state.clone());
        assert_eq!(jfs.write("/count", b"0").unwrap_err().errno, Errno::EBUSY);
        assert_eq!(fs_text(&fs, "/count"), "42\n");
    }

    #[test]
    fn a_process_that_goes_another_way_is_noticed() {
        let mut fs = MemoryFs::new();
        let state = Rc::new(RefCell::new(JournalState::recording()));
        work(&mut JournalFs::new(&mut fs, state.clone()), 0);
        let journal = Rc::try_unwrap(state).unwrap().into_inner().into_journal();
        let state = Rc::new(RefCell::new(JournalState::replaying(journal)));
        let jfs = JournalFs::new(&mut fs, state.clone());
        assert!(jfs.stat("/elsewhere").is_err());
        assert!(state.borrow().diverged());
        assert_eq!(jfs.read("/count").unwrap(), b"1\n");
    }

    fn fs_of<'a>(jfs: &'a JournalFs<'_>) -> &'a dyn FileSystem {
        &*jfs.inner
    }

    fn fs_text(fs: &dyn FileSystem, path: &str) -> String {
        String::from_utf8_lossy(&fs.read(path).unwrap()).into_owned()
    }
}
