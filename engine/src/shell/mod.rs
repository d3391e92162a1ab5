//! The shell of Berth's emulated userland: POSIX sh as dash implements it, the bash
//! features course material uses, and the applets (`ls`, `grep`, `sed`, …) that programs
//! in images resolve to. It runs over a container's [`FileSystem`]; nothing is canned.
//!
//! ```
//! use engine::shell::{Shell, Flavor};
//! use engine::vfs::MemoryFs;
//! let mut fs = MemoryFs::new();
//! let mut sh = Shell::new(&mut fs, Flavor::Dash);
//! let out = sh.run_str("for i in 1 2 3; do echo $((i * i)); done | tail -n 1", b"");
//! assert_eq!((out.status, out.stdout.as_slice()), (0, &b"9\n"[..]));
//! ```

pub mod applets;
pub mod arith;
pub mod ast;
mod interp;
pub mod passwd;
pub mod packages;
pub mod parser;
pub mod pattern;

pub use interp::{Flavor, HostCall, HostProgram, Outcome, Pause, Shell, Stopped, TerminalInput};

#[cfg(test)]
mod tests {
    use super::{Flavor, Shell};
    use crate::vfs::MemoryFs;

    fn run(script: &str) -> (i32, String) {
        let mut fs = MemoryFs::new();
        let mut sh = Shell::new(&mut fs, Flavor::Dash);
        sh.set_args("sh", &["one".to_string()]);
        let out = sh.run_str(script, b"");
        (out.status, String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Inputs the shell fuzz target (`scripts/fuzz shell`) found crashing, kept.
    #[test]
    fn what_the_fuzzer_found_runs() {
        // `${00…0}` is `$0`: it was read as positional parameter 0 - 1.
        assert_eq!(run("echo ${000000000000+set} ${00} ${01}"), (0, "set sh one\n".to_string()));
        // `tr -c` over an empty set: the complement is everything, mapped to set2's last.
        assert_eq!(run("printf ab | tr -c '' x; echo"), (0, "xx\n".to_string()));
        // A reversed range is GNU tr's error, not an empty set.
        let mut fs = MemoryFs::new();
        let out = Shell::new(&mut fs, Flavor::Dash).run_str("printf ab | tr a-# x", b"");
        assert_eq!((out.status, String::from_utf8_lossy(&out.stderr).into_owned()), (1, "tr: range-endpoints of 'a-#' are in reverse collating sequence order\n".to_string()));
        // A function that passes its arguments to itself twice doubles them each call:
        // the command line stops at the limit instead of growing until the tab dies.
        assert_eq!(run("f() { f \"$@\" \"$@\"; }; f x").0, 126);
        let mut fs = MemoryFs::new();
        let found: &[u8] = &[114,101,97,100,32,255,97,32,98,32,110,107,59,32,102,40,41,32,123,32,114,101,116,117,114,126,40,41,32,100,26,125,0,26,47,26,97,97,47,26,32,51,57,64,125,59,32,102,32,129,0,255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,255,45,206,58,45,47,97,110,224,209,114,42,69,58,45,47,97,110,32,47,114,42,36,42,111,32,34,35,47,64,93,125,32,36,177,40,40,32,55,223,218,55,51,32,41,41,35,104,105,115,98,99,36,42,111,32,34,35,36,42,111,32,109,57,117,114,126,32,52,59,32,125,59,32,102,32,124,124,0,0,63];
        let mut sh = Shell::new(&mut fs, Flavor::Ash);
        sh.set_budget(20_000);
        let out = sh.run_str(&String::from_utf8_lossy(found), b"first line\n");
        assert!(out.status != 0, "the fuzzer's input ends, with an error");
    }
}
