//! `docker exec` (moby's `daemon/exec.go`): another process in a running container, over
//! its filesystem, through the container's runtime.

use super::start::with_container_fs;
use super::EngineError;
use crate::host::Host;
use crate::image::ImageStore;
use crate::runtime::{Container, Containers, RuntimeError, Status, Stdio, Terminal};

/// What `exec` runs.
#[derive(Debug, Clone, Default)]
pub struct ExecOptions {
    pub args: Vec<String>,
    /// Added to the container's environment (`-e`).
    pub env: Vec<String>,
    pub workdir: Option<String>,
    pub user: Option<String>,
    /// `-i`: the process's stdin.
    pub stdin: Vec<u8>,
    /// `-d`: started and left running, its output discarded (natively; the emulated
    /// runtime runs it to its end, see ARCHITECTURE.md).
    pub detach: bool,
}

/// The processes of the running container `c` (`docker top`), from its runtime. The
/// spec is built without the root filesystem: `top` names the user as the record does.
pub fn top(c: &Container, host: &dyn Host) -> Result<Vec<crate::runtime::ProcessInfo>, EngineError> {
    if super::native::supervised(c) {
        return Ok(super::native::handle(host, c).map(|h| h.processes(&c.id)).unwrap_or_default());
    }
    let spec = super::spec::container_spec(c, &crate::vfs::MemoryFs::new());
    let runtime = crate::runtime::select(&c.host_config.runtime).map_err(|e| EngineError::Invalid(e.to_string()))?;
    runtime.processes(&spec, c.started.unwrap_or(c.created)).map_err(|e| EngineError::Invalid(e.to_string()))
}

/// The container's record as the exec'd process sees it: its command, environment,
/// directory and user replaced or extended by `o`.
pub fn process_of(c: &Container, o: &ExecOptions) -> Container {
    let mut process = c.clone();
    process.argv = o.args.clone();
    process.env.extend(o.env.iter().cloned());
    if let Some(w) = &o.workdir {
        process.working_dir = w.clone();
    }
    if let Some(u) = &o.user {
        process.user = u.clone();
    }
    process
}

/// Runs `o` in the running container `c`: its exit status, stdout and stderr. What it
/// writes to the container's files stays in its writable layer.
pub fn exec(store: &mut ImageStore, containers: &mut Containers, host: &dyn Host, c: &Container, o: &ExecOptions) -> Result<(i32, Vec<u8>, Vec<u8>), EngineError> {
    exec_in(store, containers, host, c, o, crate::runtime::Console::Captured)
}

/// [`exec`] with the process's streams as `console` says (`exec -t` of a native
/// container in the `berth` binary: a terminal of its own).
pub fn exec_in(store: &mut ImageStore, containers: &mut Containers, host: &dyn Host, c: &Container, o: &ExecOptions, console: crate::runtime::Console) -> Result<(i32, Vec<u8>, Vec<u8>), EngineError> {
    if c.status != Status::Running {
        return Err(EngineError::Invalid(format!("container {} is not running", c.id)));
    }
    if c.paused {
        return Err(EngineError::Invalid(format!("Container {} is paused, unpause the container before exec", c.id)));
    }
    let process = process_of(c, o);
    let started = process.started.unwrap_or(process.created);
    let stdin = o.stdin.clone();
    if super::native::supervised(c) && o.detach {
        return match super::native::exec_detached(host, c, &process) {
            Ok(_) => Ok((0, Vec::new(), Vec::new())),
            Err(e) => Err(exec_error(e)),
        };
    }
    if super::native::supervised(c) {
        return match super::native::exec(host, c, &process, stdin, console) {
            Ok(r) => Ok((r.status, r.stdout, r.stderr)),
            Err(e) => Err(exec_error(e)),
        };
    }
    let (ran, upper) = with_container_fs(store, containers, &process, host, |fs| {
        let main = super::spec::container_spec(c, fs);
        let spec = super::spec::container_spec(&process, fs);
        crate::runtime::select(&process.host_config.runtime)?.exec(&main, &spec, fs, Stdio { stdin, terminal: Terminal::default(), combined: false, started, console: Default::default() })
    })?;
    match ran {
        Ok(r) => {
            let _ = containers.set_upper(&c.id, &upper);
            let _ = containers.save();
            Ok((r.status, r.stdout, r.stderr))
        }
        Err(e) => Err(exec_error(e)),
    }
}

/// An exec that did not start, as Docker words it.
fn exec_error(e: RuntimeError) -> EngineError {
    match e {
        RuntimeError::ExecNotFound { argv0, .. } => EngineError::Exec { message: format!("OCI runtime exec failed: exec failed: unable to start container process: exec: \"{argv0}\": executable file not found in $PATH: unknown"), status: 127 },
        RuntimeError::ExecDenied { argv0 } => EngineError::Exec { message: format!("OCI runtime exec failed: exec failed: unable to start container process: exec: \"{argv0}\": permission denied: unknown"), status: 126 },
        RuntimeError::Failed(m) => EngineError::Exec { message: format!("OCI runtime exec failed: exec failed: unable to start container process: {m}: unknown"), status: 126 },
        e => EngineError::Start { message: e.to_string(), status: 126 },
    }
}
