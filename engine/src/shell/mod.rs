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
    }
}
