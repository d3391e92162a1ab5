//! Docker-compatible command-line layer shared by the native `berth` binary and the
//! browser terminal: argv in, exit code plus stdout/stderr out. No host I/O happens here;
//! files are read through the [`Host`] trait the front end passes in.

pub trait Host {
    /// Reads a file named on the command line (`-` is standard input).
    fn read_file(&self, path: &str) -> Result<Vec<u8>, String>;
}

/// What a command produced.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn run(_args: &[String], _host: &dyn Host) -> Output {
    Output::default()
}
