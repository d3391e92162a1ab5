//! The engine service layer (moby's `daemon/`, podman's `libpod/`): what owns image,
//! container, volume and network records between the command line and the runtimes.
//! The command line maps argv to typed options and formats results; the rules about
//! names, records, specs, starting, stopping and a process's end live here, one verb a
//! file. Errors are [`EngineError`]s; only the command line turns them into text with
//! Docker's prefixes and exit codes.

pub mod attach;
pub mod commit;
pub mod cp;
pub mod create;
pub mod events;
pub mod exec;
pub mod gpu;
pub mod import;
pub mod ldcache;
pub mod list;
pub mod logs;
pub mod monitor;
pub mod names;
pub mod network;
pub mod native;
pub mod preempt;
pub mod rm;
pub mod spec;
pub mod start;
pub mod stop;
pub mod volume;
pub mod wait;

use crate::host::Host;
use crate::image::ImageStore;
use crate::runtime::Containers;

/// Why the engine did not do what it was asked: the message of Docker's daemon error
/// response, and the exit status docker/cli gives it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EngineError {
    /// The state directory or a record could not be read (nothing was changed).
    #[error("{0}")]
    State(String),
    #[error("{0}")]
    Image(String),
    #[error("No such container: {0}")]
    NotFound(String),
    /// A request the daemon refuses (a name in use, a bad volume spec, no command).
    #[error("{0}")]
    Invalid(String),
    /// An argument the client refuses before the daemon sees it (`docker: …`).
    #[error("{0}")]
    Usage(String),
    #[error("invalid mount config for type \"bind\": bind source path does not exist: {0}")]
    BindSource(String),
    /// The runtime did not start the process: 127 for a missing program, 125 otherwise
    /// (docker/cli's `runStartContainerErr`).
    #[error("{message}")]
    Start { message: String, status: i32 },
    /// `exec` could not start its process (docker/cli prints it as it is).
    #[error("{message}")]
    Exec { message: String, status: i32 },
}

impl EngineError {
    /// The exit status of the command that met it.
    pub fn status(&self) -> i32 {
        match self {
            EngineError::State(_) => 1,
            EngineError::Start { status, .. } | EngineError::Exec { status, .. } => *status,
            _ => 125,
        }
    }
}

/// The image store and the container records of `host`'s state directory.
pub fn open(host: &dyn Host) -> Result<(ImageStore, Containers), EngineError> {
    let storage = host.storage().map_err(|e| EngineError::State(format!("cannot open the state directory: {e}")))?;
    let store = ImageStore::open(storage).map_err(|e| EngineError::State(format!("cannot read the image store: {e}")))?;
    let storage = host.storage().map_err(|e| EngineError::State(format!("cannot open the state directory: {e}")))?;
    let containers = Containers::open(storage).map_err(|e| EngineError::State(format!("cannot read the container records: {e}\nhint: nothing was changed; move the file aside to start with no containers")))?;
    Ok((store, containers))
}
